//! Scenario 7: bulk offboarding.
//!
//! `Fleet::offboard_many` of 1,000 emails against one IaaS server holding
//! 10,000 users (the adapter in `Stack::default()`), every response 20 ms
//! late. The IaaS API has no lookup by email, so finding people one at a
//! time reads the whole user list per person; the bulk call reads it once.
//! The server counts the requests and the records it sent. The minimum is
//! one list read plus one delete per person found, and one list of records.
//! For contrast, a few people are then offboarded one at a time with
//! `Fleet::offboard`, whose per-person cost (a list read and a delete) is
//! unchanged.

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::{Method, StatusCode};
use roster::fleet::{BULK_WRITES_AT_ONCE, OffboardOutcome};
use roster::{Email, Fleet};
use roster_http::SecretString;
use roster_iaas::{IaasClient, IaasConfig};
use roster_layers::Stack;
use serde_json::json;

use crate::overhead::{TOKEN, users_body};
use crate::report::{Goal, Report};
use crate::server::{CannedServer, Reply};
use crate::stats::{ROUNDS, Rounds};

/// Users on the server at 1× size.
pub const USERS: usize = 10_000;
/// People offboarded at 1× size.
pub const LEAVERS: usize = 1_000;
/// Injected latency of every response.
pub const LATENCY: Duration = Duration::from_millis(20);
/// People offboarded one at a time, for contrast.
const ONE_BY_ONE: usize = 10;

/// What one bulk offboard cost.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    /// Requests the server answered.
    pub requests: u64,
    /// Records (users) the server sent.
    pub records: u64,
    /// Wall time of the call.
    pub wall: Duration,
}

/// A server with `users` users that answers `GET /users` (counting the
/// records) and any user's `DELETE`.
fn server(users: usize) -> Result<CannedServer, Box<dyn Error>> {
    let (body, _) = users_body(users);
    let body = hyper::body::Bytes::from(body);
    let records = users as u64;
    Ok(CannedServer::start(
        Arc::new(move |seen| {
            if seen.method == Method::GET && seen.path == "/api/users" {
                Reply::ok(body.clone()).with_records(records)
            } else if seen.method == Method::DELETE && seen.path.starts_with("/api/users/") {
                Reply::empty(StatusCode::NO_CONTENT)
            } else {
                Reply::not_found()
            }
        }),
        LATENCY,
    )?)
}

fn fleet_on(server: &CannedServer) -> Result<Fleet, Box<dyn Error>> {
    let client = IaasClient::new(IaasConfig::new(
        format!("{}/api", server.url()),
        SecretString::from(TOKEN.to_owned()),
    ))?;
    Ok(Fleet::builder()
        .provider("iaas", Stack::default().apply(client))
        .build()?)
}

/// `leavers` emails spread evenly over `users` users.
fn leavers_of(users: usize, leavers: usize) -> Result<Vec<Email>, Box<dyn Error>> {
    let step = (users / leavers.max(1)).max(1);
    (0..leavers)
        .map(|i| Ok(Email::parse(format!("user{}@example.com", i * step))?))
        .collect()
}

/// Offboards `leavers` of `users` with one `offboard_many`, on a fresh
/// server, and checks every one was removed.
pub fn measure(users: usize, leavers: usize) -> Result<Cost, Box<dyn Error>> {
    let server = server(users)?;
    let emails = leavers_of(users, leavers)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let wall = runtime.block_on(async {
        let fleet = fleet_on(&server)?;
        let started = Instant::now();
        let reports = fleet.offboard_many(&emails).await?;
        let wall = started.elapsed();
        for report in &reports {
            for (name, outcome) in &report.outcomes {
                if !matches!(outcome, OffboardOutcome::Removed(_)) {
                    return Err(format!("{}: {name}: {outcome:?}", report.email).into());
                }
            }
        }
        Ok::<_, Box<dyn Error>>(wall)
    })?;
    Ok(Cost {
        requests: server.counters().requests(),
        records: server.counters().records(),
        wall,
    })
}

/// The per-person call's cost: requests and records per person.
fn one_by_one(users: usize, people: usize) -> Result<(f64, f64), Box<dyn Error>> {
    let server = server(users)?;
    let emails = leavers_of(users, people)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let fleet = fleet_on(&server)?;
        for email in &emails {
            if !fleet.offboard(email).await.is_complete() {
                return Err(format!("offboarding {email} failed").into());
            }
        }
        Ok::<_, Box<dyn Error>>(())
    })?;
    let people = people as f64;
    Ok((
        server.counters().requests() as f64 / people,
        server.counters().records() as f64 / people,
    ))
}

/// The fewest requests: one list read, one delete per person.
pub fn minimum_requests(leavers: usize) -> u64 {
    1 + leavers as u64
}

/// Runs the scenario.
pub fn run() -> Result<Report, Box<dyn Error>> {
    let mut costs = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        costs.push(measure(USERS, LEAVERS)?);
    }
    let (requests_each, records_each) = one_by_one(USERS, ONE_BY_ONE)?;
    let minimum = minimum_requests(LEAVERS);
    let requests = Rounds::of(
        &costs
            .iter()
            .map(|c| c.requests as f64 / minimum as f64)
            .collect::<Vec<_>>(),
    );
    let records = Rounds::of(
        &costs
            .iter()
            .map(|c| c.records as f64 / USERS as f64)
            .collect::<Vec<_>>(),
    );
    let wall_ms = Rounds::of(
        &costs
            .iter()
            .map(|c| c.wall.as_secs_f64() * 1e3)
            .collect::<Vec<_>>(),
    );
    let least_wall_ms =
        (1 + LEAVERS.div_ceil(BULK_WRITES_AT_ONCE)) as f64 * LATENCY.as_secs_f64() * 1e3;
    let mut report = Report::new(
        "bulk-offboard",
        format!(
            "Fleet::offboard_many of {LEAVERS} emails on an IaaS server of {USERS} users, {} ms \
             per response, median of {ROUNDS} rounds",
            LATENCY.as_millis()
        ),
    );
    report.rounds(
        "requests vs minimum (1 list read + 1 delete per person)",
        format!("{} vs {minimum}", costs[0].requests),
        requests,
        "×",
        Goal::AtMost(1.05),
        false,
    );
    report.rounds(
        "user records read vs one list",
        format!("{} vs {USERS}", costs[0].records),
        records,
        "×",
        Goal::AtMost(1.05),
        false,
    );
    report.rounds(
        "wall time",
        format!(
            "{:.0} ms; least possible at {BULK_WRITES_AT_ONCE} deletes at once: {least_wall_ms:.0} ms",
            wall_ms.median
        ),
        wall_ms,
        "ms",
        Goal::Info,
        false,
    );
    report.absolute(
        format!("one at a time (Fleet::offboard, {ONE_BY_ONE} people): requests per person"),
        format!(
            "{requests_each:.1} requests and {records_each:.0} records per person; {LEAVERS} \
             people would read {:.0} records",
            records_each * LEAVERS as f64
        ),
        requests_each,
        "req",
        Goal::Info,
    );
    report.raw = json!({
        "users": USERS,
        "leavers": LEAVERS,
        "latency_ms": LATENCY.as_millis() as u64,
        "rounds": costs.iter().map(|c| json!({
            "requests": c.requests,
            "records": c.records,
            "wall_s": c.wall.as_secs_f64(),
        })).collect::<Vec<_>>(),
        "one_by_one": {"people": ONE_BY_ONE, "requests_per_person": requests_each, "records_per_person": records_each},
    });
    Ok(report)
}
