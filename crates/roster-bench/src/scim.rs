//! Scenario `scim`: provisioning through roster-scim beside the fleet.
//!
//! N users (default 10,000) and N/20 groups (500), on loopback against the
//! five testkit emulators, each provider in `Stack::default()`:
//! - **scim**: an IdP-shaped load (`roster_scim::load`: users, then each
//!   group pushed and filled with a PATCH) into an in-process roster-scim
//!   with a SQLite store, timed until the outbox is drained (every account
//!   and membership delivered);
//! - **fleet**: the same accounts and memberships made directly through the
//!   fleet's directories (create, then add to the group's tenant), at the
//!   same concurrency.
//!
//! Each runs in a child process of its own, so one's memory never shows in
//! the other's peak RSS. The figures: throughput (users per second) and
//! peak RSS of each, and their ratios.

use std::error::Error;
use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt;
use roster::layers::Stack;
use roster::{
    Directory, Email, MembershipDirectory, MembershipRequest, NewTenant, NewUser,
    TenantDirectoryExt, UserDirectory, WireGuardKey,
};
use roster_examples::Sandbox;
use roster_scim::config::ScimConfig;
use roster_scim::load::{LOAD_MAPPING, LoadPlan, load_email, load_group, provision};
use serde_json::{Value, json};

use crate::report::{Goal, Report};
use crate::stats::peak_rss_kib;

const PHASE_ENV: &str = "ROSTER_BENCH_SCIM_PHASE";
const CONCURRENCY: usize = 32;
const TOKEN: &str = "roster-bench-scim-token";

/// Runs the scenario (or, in a child, one phase of it).
pub fn run(users: usize) -> Result<Report, Box<dyn Error>> {
    let groups = (users / 20).max(1);
    if let Ok(phase) = std::env::var(PHASE_ENV) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let seconds = match phase.as_str() {
            "scim" => runtime.block_on(scim_phase(users, groups))?,
            _ => runtime.block_on(fleet_phase(users, groups))?,
        };
        println!(
            "{}",
            json!({"seconds": seconds, "peak_rss_kib": peak_rss_kib()})
        );
        std::process::exit(0);
    }
    let measure = |phase: &str| -> Result<(f64, f64), Box<dyn Error>> {
        println!("== scim: {phase} phase, {users} users and {groups} groups …");
        let output = Command::new(std::env::current_exe()?)
            .args(["scim", "--n", &users.to_string()])
            .env(PHASE_ENV, phase)
            .output()?;
        if !output.status.success() {
            return Err(format!(
                "the {phase} phase failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        let line = String::from_utf8_lossy(&output.stdout);
        let figures: Value = serde_json::from_str(line.lines().last().unwrap_or("{}"))?;
        let seconds = figures["seconds"].as_f64().ok_or("no seconds")?;
        let rss = figures["peak_rss_kib"].as_f64().unwrap_or(0.0);
        Ok((seconds, rss))
    };
    let (fleet_s, fleet_rss) = measure("fleet")?;
    let (scim_s, scim_rss) = measure("scim")?;
    let rate = |s: f64| users as f64 / s.max(1e-9);
    let mut report = Report::new(
        "scim",
        format!("{users} users and {groups} groups through SCIM vs the fleet directly"),
    );
    report.absolute(
        "SCIM: users/s, accepted and delivered",
        format!("{:.0} users/s ({scim_s:.1} s)", rate(scim_s)),
        rate(scim_s),
        " users/s",
        Goal::Info,
    );
    report.absolute(
        "fleet directly: users/s",
        format!("{:.0} users/s ({fleet_s:.1} s)", rate(fleet_s)),
        rate(fleet_s),
        " users/s",
        Goal::Info,
    );
    report.ratio(
        "SCIM time / fleet time",
        format!("{scim_s:.1} s / {fleet_s:.1} s"),
        scim_s / fleet_s.max(1e-9),
        Goal::Info,
    );
    report.absolute(
        "SCIM peak RSS",
        format!("{:.0} MiB", scim_rss / 1024.0),
        scim_rss / 1024.0,
        " MiB",
        Goal::Info,
    );
    report.absolute(
        "fleet peak RSS",
        format!("{:.0} MiB", fleet_rss / 1024.0),
        fleet_rss / 1024.0,
        " MiB",
        Goal::Info,
    );
    report.note("Both phases include the five in-process emulators' own memory and CPU.");
    report.note("SCIM adds a durable SQLite commit per accepted request and per delivered operation, and adopts by email first.");
    report.raw = json!({"users": users, "groups": groups, "scim_seconds": scim_s, "fleet_seconds": fleet_s, "scim_peak_rss_kib": scim_rss, "fleet_peak_rss_kib": fleet_rss});
    Ok(report)
}

async fn scim_phase(users: usize, groups: usize) -> Result<f64, Box<dyn Error>> {
    let sandbox = Sandbox::start().await;
    let dir = std::env::temp_dir().join(format!("roster-bench-scim-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut config = ScimConfig::parse(LOAD_MAPPING)?;
    config.store.url = format!("sqlite://{}", dir.join("scim.db").display());
    let store = roster_scim::Store::open(&config.store.url).await?;
    let mut tokens = roster_scim::auth::Tokens::default();
    tokens.add(TOKEN);
    let running = roster_scim::Server::new(config)
        .with_fleet(sandbox.fleet(&Stack::default()))
        .with_tokens(tokens)
        .with_store(store.clone())
        .with_listener(std::net::TcpListener::bind("127.0.0.1:0")?)
        .start()
        .await?;
    let base = format!("http://{}/scim/v2", running.local_addr());
    let started = Instant::now();
    provision(
        &base,
        TOKEN,
        LoadPlan {
            users,
            groups,
            concurrency: CONCURRENCY,
        },
    )
    .await?;
    while store.has_pending().await? {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let status = store.status().await?;
    if !status.failed.is_empty() {
        return Err(format!("{} operations failed", status.failed.len()).into());
    }
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(seconds)
}

async fn fleet_phase(users: usize, groups: usize) -> Result<f64, Box<dyn Error>> {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::default());
    let tenant_providers = ["adverity", "iaas", "medium-one", "netbird"];
    let started = Instant::now();
    let mut tenants = std::collections::BTreeMap::new();
    for provider in tenant_providers {
        let dir = fleet.provider(provider).ok_or("provider")?;
        for g in 0..groups {
            let tenant = dir.ensure_tenant(&NewTenant::new(load_group(g))?).await?;
            tenants.insert((provider, g), tenant.value.id);
        }
    }
    let tenants = &tenants;
    let fleet = &fleet;
    let results: Vec<Result<(), roster::Error>> = futures::stream::iter(0..users)
        .map(|i| async move {
            for name in fleet.names() {
                let dir: &std::sync::Arc<dyn Directory> = fleet
                    .provider(name)
                    .ok_or_else(|| roster::Error::invalid_input("provider"))?;
                let caps = dir.capabilities();
                let mut new = NewUser::new(Email::parse(load_email(i))?);
                if caps.user_display_name {
                    new = new.with_display_name(format!("Load User{i}"));
                }
                let user = dir.create_user(&new).await?;
                if let Some(tenant) = tenants.get(&(name_key(name), i % groups)) {
                    let mut request = MembershipRequest::new();
                    if caps.membership_requires_wireguard_key {
                        let mut key = [0u8; 32];
                        key[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
                        request = request.with_wireguard_key(WireGuardKey::from_bytes(key));
                    }
                    dir.add_member(tenant, &user.id, &request).await?;
                }
            }
            Ok(())
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for result in results {
        result?;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// The `'static` provider name the tenant map is keyed by.
fn name_key(name: &str) -> &'static str {
    match name {
        "adverity" => "adverity",
        "iaas" => "iaas",
        "medium-one" => "medium-one",
        "netbird" => "netbird",
        _ => "",
    }
}
