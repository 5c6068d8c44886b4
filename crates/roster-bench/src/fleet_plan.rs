//! Scenario 8: planning a large fleet.
//!
//! Five IaaS servers, each holding 20,000 users in 200 tenants (every user
//! in one), every response 20 ms late; `Fleet::plan` of a desired state
//! that lists all of it (so the plan is empty: this measures the reads).
//! Each provider is first read alone, its users and then its tenants one
//! after the other, the way a sequential planner would; the slowest of
//! those is the yardstick. Planning reads each provider's users beside its
//! tenants (with their members, one read on IaaS), and every provider at
//! once, so five providers should take about as long as the slowest
//! one's reads. Peak RSS is the process's `VmHWM`, servers included; `all`
//! runs this scenario in a process of its own.

use std::error::Error;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use hyper::Method;
use roster::plan::{DesiredState, ProviderDesired};
use roster::state::{MembershipState, TenantState, UserState};
use roster::{Directory, Email, Fleet, MembershipDirectory, UserDirectoryExt};
use roster_http::SecretString;
use roster_iaas::{IaasClient, IaasConfig};
use roster_layers::Stack;
use serde_json::json;
use uuid::Uuid;

use crate::overhead::{TOKEN, users_body};
use crate::report::{Goal, Report};
use crate::server::{CannedServer, Reply};
use crate::stats::{ROUNDS, Rounds, peak_rss_kib};

/// Providers in the fleet.
pub const PROVIDERS: usize = 5;
/// Users per provider at 1× size.
pub const USERS: usize = 20_000;
/// Tenants per provider at 1× size.
pub const TENANTS: usize = 200;
/// Injected latency of every response.
pub const LATENCY: Duration = Duration::from_millis(20);

fn user_uuid(i: usize) -> Uuid {
    Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0000 + i as u128)
}

fn tenant_uuid(t: usize) -> Uuid {
    Uuid::from_u128(0x7e4a_0000_0000_4000_8000_0000_0000_0000 + t as u128)
}

/// `GET /tenants` with `tenants` tenants; user `i` is in tenant
/// `i % tenants` (the emails and ids of [`users_body`]).
fn tenants_body(users: usize, tenants: usize) -> String {
    let mut body = String::with_capacity(users * 80 + tenants * 80);
    body.push('[');
    for t in 0..tenants {
        if t > 0 {
            body.push(',');
        }
        let _ = write!(
            body,
            "{{\"id\":\"{}\",\"name\":\"team-{t:04}\",\"users\":[",
            tenant_uuid(t)
        );
        for (n, i) in (t..users).step_by(tenants).enumerate() {
            if n > 0 {
                body.push(',');
            }
            let _ = write!(
                body,
                "{{\"id\":\"{}\",\"email\":\"user{i}@example.com\"}}",
                user_uuid(i)
            );
        }
        body.push_str("]}");
    }
    body.push(']');
    body
}

/// The desired state of one provider: everything it holds.
fn desired_section(users: usize, tenants: usize) -> Result<ProviderDesired, Box<dyn Error>> {
    let mut section = ProviderDesired::default();
    for t in 0..tenants {
        section.tenants.push(TenantState {
            name: format!("team-{t:04}"),
        });
    }
    for i in 0..users {
        let email = Email::parse(format!("user{i}@example.com"))?;
        section.users.push(UserState {
            email: email.clone(),
            role: None,
            display_name: None,
        });
        section.memberships.push(MembershipState {
            tenant: format!("team-{:04}", i % tenants),
            user: email,
            role: None,
            wireguard_key: None,
        });
    }
    Ok(section)
}

/// What one size of the scenario measured.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Wall time of `Fleet::plan` over every provider, per round.
    pub plan: Vec<Duration>,
    /// The slowest provider's sequential read time, per round.
    pub slowest: Vec<Duration>,
    /// Requests the servers answered during one plan.
    pub requests: u64,
    /// Records (users, tenants, members) they sent during one plan.
    pub records: u64,
    /// Peak RSS of the process, in KiB.
    pub peak_rss_kib: u64,
}

/// Runs `rounds` rounds at `users` users and `tenants` tenants per provider.
pub fn measure(users: usize, tenants: usize, rounds: usize) -> Result<Measured, Box<dyn Error>> {
    let (user_list, _) = users_body(users);
    let user_list = hyper::body::Bytes::from(user_list);
    let tenant_list = hyper::body::Bytes::from(tenants_body(users, tenants));
    let (user_records, tenant_records) = (users as u64, (tenants + users) as u64);
    let mut servers = Vec::with_capacity(PROVIDERS);
    for _ in 0..PROVIDERS {
        let (user_list, tenant_list) = (user_list.clone(), tenant_list.clone());
        servers.push(CannedServer::start(
            Arc::new(move |seen| match (seen.method, seen.path) {
                (&Method::GET, "/api/users") => {
                    Reply::ok(user_list.clone()).with_records(user_records)
                }
                (&Method::GET, "/api/tenants") => {
                    Reply::ok(tenant_list.clone()).with_records(tenant_records)
                }
                _ => Reply::not_found(),
            }),
            LATENCY,
        )?);
    }
    let mut desired = DesiredState::default();
    let section = desired_section(users, tenants)?;
    for p in 0..PROVIDERS {
        desired
            .providers
            .insert(format!("iaas-{}", p + 1), section.clone());
    }
    drop(section);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (plan, slowest, requests, records) = runtime.block_on(async {
        let mut builder = Fleet::builder();
        let mut directories: Vec<Arc<dyn Directory>> = Vec::new();
        for (p, server) in servers.iter().enumerate() {
            let client = IaasClient::new(IaasConfig::new(
                format!("{}/api", server.url()),
                SecretString::from(TOKEN.to_owned()),
            ))?;
            let directory = Stack::default().apply(client);
            directories.push(directory.clone());
            builder = builder.provider(format!("iaas-{}", p + 1), directory);
        }
        let fleet = builder.build()?;
        let (mut plan, mut slowest) = (Vec::new(), Vec::new());
        let (mut requests, mut records) = (0, 0);
        // Round 0 warms the connections up and is not counted.
        for round in 0..=rounds {
            let mut longest = Duration::ZERO;
            for directory in &directories {
                let started = Instant::now();
                let users: Vec<_> = directory.list_users().try_collect().await?;
                let both = directory.list_tenants_with_members().await?;
                longest = longest.max(started.elapsed());
                std::hint::black_box((users, both));
            }
            let before: (u64, u64) = servers.iter().fold((0, 0), |(r, n), s| {
                (r + s.counters().requests(), n + s.counters().records())
            });
            let started = Instant::now();
            let planned = fleet.plan(&desired).await?;
            let took = started.elapsed();
            if !planned.is_empty() {
                return Err(format!("the plan should be empty:\n{planned}").into());
            }
            let after: (u64, u64) = servers.iter().fold((0, 0), |(r, n), s| {
                (r + s.counters().requests(), n + s.counters().records())
            });
            (requests, records) = (after.0 - before.0, after.1 - before.1);
            if round > 0 {
                plan.push(took);
                slowest.push(longest);
            }
        }
        Ok::<_, Box<dyn Error>>((plan, slowest, requests, records))
    })?;
    Ok(Measured {
        plan,
        slowest,
        requests,
        records,
        peak_rss_kib: peak_rss_kib().unwrap_or(0),
    })
}

/// Runs the scenario.
pub fn run() -> Result<Report, Box<dyn Error>> {
    let measured = measure(USERS, TENANTS, ROUNDS)?;
    let ratios: Vec<f64> = measured
        .plan
        .iter()
        .zip(&measured.slowest)
        .map(|(plan, slowest)| plan.as_secs_f64() / slowest.as_secs_f64())
        .collect();
    let ms = |values: &[Duration]| -> Rounds {
        Rounds::of(
            &values
                .iter()
                .map(|d| d.as_secs_f64() * 1e3)
                .collect::<Vec<_>>(),
        )
    };
    let (plan_ms, slowest_ms) = (ms(&measured.plan), ms(&measured.slowest));
    let rss_mib = measured.peak_rss_kib as f64 / 1024.0;
    let mut report = Report::new(
        "fleet-plan",
        format!(
            "Fleet::plan of {PROVIDERS} IaaS providers × {USERS} users × {TENANTS} tenants, {} ms \
             per response, median of {ROUNDS} rounds",
            LATENCY.as_millis()
        ),
    );
    report.rounds(
        "plan wall time vs the slowest provider's sequential reads",
        format!("{:.0} ms vs {:.0} ms", plan_ms.median, slowest_ms.median),
        Rounds::of(&ratios),
        "×",
        Goal::AtMost(1.2),
        false,
    );
    report.absolute(
        "peak RSS (servers, desired state and client)",
        format!("{rss_mib:.1} MiB"),
        (rss_mib * 10.0).round() / 10.0,
        "MiB",
        Goal::AtMost(256.0),
    );
    report.absolute(
        "requests per plan (2 per provider: users, tenants with members)",
        format!("{} for {PROVIDERS} providers", measured.requests),
        measured.requests as f64,
        "req",
        Goal::AtMost(2.0 * PROVIDERS as f64),
    );
    report.absolute(
        "records read per plan",
        format!(
            "{} (users {USERS} + tenants {TENANTS} + members {USERS}, × {PROVIDERS})",
            measured.records
        ),
        measured.records as f64,
        "records",
        Goal::Info,
    );
    report.raw = json!({
        "providers": PROVIDERS,
        "users": USERS,
        "tenants": TENANTS,
        "latency_ms": LATENCY.as_millis() as u64,
        "plan_s": measured.plan.iter().map(Duration::as_secs_f64).collect::<Vec<_>>(),
        "slowest_sequential_s": measured.slowest.iter().map(Duration::as_secs_f64).collect::<Vec<_>>(),
        "requests": measured.requests,
        "records": measured.records,
        "peak_rss_kib": measured.peak_rss_kib,
    });
    Ok(report)
}
