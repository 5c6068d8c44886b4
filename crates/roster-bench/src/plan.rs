//! Scenario 5: plan/apply request count.
//!
//! A generated desired state of 1,000 changes on one IaaS provider (100
//! tenants, 450 users, 450 memberships, from an empty server) is planned
//! and applied through `Fleet::plan` / `Fleet::apply` against the stateful
//! IaaS emulator from roster-testkit, which records every request. This is
//! a count, not a timing, so the emulator's wiremock matching does not
//! matter here.
//!
//! The minimum is one write per change plus the reads a planner cannot
//! avoid: the IaaS API does not paginate and its tenant list carries the
//! members, so planning needs exactly two reads (`GET /users`,
//! `GET /tenants`); apply adds one read of where everyone is per phase
//! that puts people in tenants (the one-tenant rule is checked against
//! it), here one. Re-planning the same state must find 0 changes in two
//! reads, and re-applying must send 0 writes. A count, the same every
//! round; it runs 5 rounds like every ratio scenario, each on a fresh
//! emulator.

use std::error::Error;
use std::sync::Arc;

use roster::plan::{ApplyOptions, DesiredState, ProviderDesired};
use roster::state::{MembershipState, TenantState, UserState};
use roster::{Email, Fleet, WireGuardKey};
use roster_http::SecretString;
use roster_iaas::{IaasClient, IaasConfig};
use roster_layers::Stack;
use roster_testkit::Emulator;
use roster_testkit::iaas::{IAAS_TOKEN, IaasModel};
use serde_json::json;

use crate::report::{Goal, Report};
use crate::stats::{ROUNDS, Rounds};

const TENANTS: usize = 100;
const USERS: usize = 450;

/// The generated desired state: `TENANTS + 2 × USERS` changes from empty.
fn desired() -> Result<DesiredState, Box<dyn Error>> {
    let mut section = ProviderDesired::default();
    for t in 0..TENANTS {
        section.tenants.push(TenantState {
            name: format!("project-{t:03}"),
        });
    }
    for u in 0..USERS {
        let email = Email::parse(format!("person{u:04}@example.com"))?;
        section.users.push(UserState {
            email: email.clone(),
            role: Some(if u % 10 == 0 { "admin" } else { "member" }.to_owned()),
            display_name: None,
        });
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&(u as u64 + 1).to_le_bytes());
        section.memberships.push(MembershipState {
            tenant: format!("project-{:03}", u % TENANTS),
            user: email,
            role: None,
            wireguard_key: Some(WireGuardKey::from_bytes(key)),
        });
    }
    let mut desired = DesiredState::default();
    desired.providers.insert("iaas".to_owned(), section);
    Ok(desired)
}

#[derive(Debug, Default, Clone, Copy)]
struct Count {
    requests: usize,
    writes: usize,
}

async fn counted(emulator: &Emulator<IaasModel>) -> Count {
    let count = Count {
        requests: emulator.request_count().await,
        writes: emulator.write_count().await,
    };
    emulator.reset_requests().await;
    count
}

/// What one round counted.
struct Counted {
    changes: usize,
    plan1: Count,
    apply1: Count,
    replan_changes: usize,
    plan2: Count,
    apply2: Count,
}

/// Runs the scenario.
pub fn run() -> Result<Report, Box<dyn Error>> {
    let mut rounds = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        rounds.push(round()?);
    }
    let Counted {
        changes,
        plan1,
        apply1,
        replan_changes,
        plan2,
        apply2,
    } = rounds[0];
    const MIN_READS: usize = 2;
    const REFRESH_READS: usize = 1;
    let minimum = changes + MIN_READS + REFRESH_READS;
    let sent = |c: &Counted| c.plan1.requests + c.apply1.requests;
    let ratios = Rounds::of(
        &rounds
            .iter()
            .map(|c| sent(c) as f64 / minimum as f64)
            .collect::<Vec<_>>(),
    );
    let replan = Rounds::of(
        &rounds
            .iter()
            .map(|c| c.plan2.requests as f64 / MIN_READS as f64)
            .collect::<Vec<_>>(),
    );
    let mut report = Report::new(
        "plan",
        format!(
            "plan/apply request count: {changes} generated changes ({TENANTS} tenants, {USERS} \
             users, {USERS} memberships) on the IaaS emulator, {ROUNDS} rounds"
        ),
    );
    report.rounds(
        "requests sent (plan + apply) vs minimum (changes + 2 plan reads + 1 refresh read)",
        format!("{} vs {minimum}", sent(&rounds[0])),
        ratios,
        "×",
        Goal::AtMost(1.01),
        false,
    );
    report.absolute(
        "requests: plan / apply (writes)",
        format!(
            "{} / {} ({} writes)",
            plan1.requests, apply1.requests, apply1.writes
        ),
        apply1.writes as f64,
        "writes",
        Goal::Info,
    );
    report.absolute(
        "changes found by re-planning",
        format!("{replan_changes} ({} requests)", plan2.requests),
        replan_changes as f64,
        "changes",
        Goal::AtMost(0.0),
    );
    report.rounds(
        "re-plan reads vs minimum (2 reads)",
        format!("{} vs {MIN_READS}", plan2.requests),
        replan,
        "×",
        Goal::AtMost(1.0),
        false,
    );
    report.absolute(
        "writes sent by re-applying",
        format!("{} ({} requests)", apply2.writes, apply2.requests),
        apply2.writes as f64,
        "writes",
        Goal::AtMost(0.0),
    );
    report.raw = json!({
        "changes": changes,
        "minimum_requests": minimum,
        "rounds": rounds.iter().map(|c| json!({
            "plan": {"requests": c.plan1.requests, "writes": c.plan1.writes},
            "apply": {"requests": c.apply1.requests, "writes": c.apply1.writes},
            "replan": {"changes": c.replan_changes, "requests": c.plan2.requests},
            "reapply": {"requests": c.apply2.requests, "writes": c.apply2.writes},
        })).collect::<Vec<_>>(),
    });
    Ok(report)
}

/// One round on a fresh emulator.
fn round() -> Result<Counted, Box<dyn Error>> {
    let desired = desired()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (changes, plan1, apply1, replan_changes, plan2, apply2, failures) =
        runtime.block_on(async {
            let emulator = Emulator::start(IaasModel::new(IAAS_TOKEN)).await;
            let client = IaasClient::new(IaasConfig::new(
                emulator.base_url(),
                SecretString::from(IAAS_TOKEN.to_owned()),
            ))?;
            let directory: Arc<dyn roster::Directory> = Stack::default().apply(client);
            let fleet = Fleet::builder().provider("iaas", directory).build()?;
            emulator.reset_requests().await;

            let plan = fleet.plan(&desired).await?;
            let plan1 = counted(&emulator).await;
            let journal = fleet.apply(&plan, &ApplyOptions::default()).await;
            let apply1 = counted(&emulator).await;
            let failures = journal.failures().count();

            let replan = fleet.plan(&desired).await?;
            let plan2 = counted(&emulator).await;
            fleet.apply(&replan, &ApplyOptions::default()).await;
            let apply2 = counted(&emulator).await;
            Ok::<_, Box<dyn Error>>((
                plan.len(),
                plan1,
                apply1,
                replan.len(),
                plan2,
                apply2,
                failures,
            ))
        })?;
    if failures > 0 {
        return Err(format!("{failures} changes failed to apply").into());
    }
    Ok(Counted {
        changes,
        plan1,
        apply1,
        replan_changes,
        plan2,
        apply2,
    })
}
