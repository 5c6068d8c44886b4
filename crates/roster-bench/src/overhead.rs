//! Scenario 1: per-call overhead of `get_user`.
//!
//! The variants, all against the same canned server over the same
//! kept-alive connection (one shared `reqwest::Client`, calls in
//! sequence), each sending `GET /users` with the same headers and
//! decoding the same list into the generated `Raw<UserGetResponseDtoFields>` before
//! picking one user:
//!
//! - **roster**: `IaasClient` inside `Stack::default()`, called as
//!   `Arc<dyn Directory>::get_user` (then mapped to the neutral `User`);
//! - **roster, `<layer>` only**: the same adapter in one layer of the
//!   default stack (Trace; the two Timeouts; Retry), and
//!   **roster-no-layers**: in none, which together tell each layer's share
//!   from the adapter's;
//! - **generated**: the progenitor client (with Roster's hooks) called
//!   directly;
//! - **reqwest**: a hand-written request, the baseline; and the same again
//!   as an A/A control, whose ratio shows the noise floor.
//!
//! Calls are interleaved in short blocks whose variant order rotates. The
//! client runs on one thread (a current-thread runtime, so reqwest's
//! connection task runs there too); CPU time is that thread's, from
//! `/proc/thread-self/schedstat`, read around each block.

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use roster_core::{Directory, UserId};
use roster_http::{ClientContext, HttpSettings, SecretString, StaticToken};
use roster_iaas::{IaasClient, IaasConfig};
use roster_layers::{LayerExt, Retry, Stack, Timeout, Trace};
use serde_json::json;
use uuid::Uuid;

use crate::generated::{self, types};
use crate::report::{Goal, Report};
use crate::server::{CannedServer, Reply, block_on_current_thread};
use crate::stats::{mean, median, percentile, ratio, thread_cpu_ns};

/// The bearer token every variant sends.
pub const TOKEN: &str = "bench-token-0123456789abcdef";
/// Users in the canned `GET /users` answer.
const USERS: usize = 25;
/// Calls per variant in one interleaved block.
const BLOCK: usize = 20;

const VARIANTS: [&str; 8] = [
    "roster",
    "roster, Trace only",
    "roster, 2 Timeouts only",
    "roster, Retry only",
    "roster-no-layers",
    "generated",
    "reqwest",
    "reqwest again (A/A control)",
];
/// The baseline every ratio is against.
const RAW: usize = 6;
/// How many of the variants are the adapter (behind some stack).
const ADAPTER_VARIANTS: usize = 5;

/// A canned `GET /users` body with `count` users, and the id of one in the
/// middle.
pub fn users_body(count: usize) -> (String, Uuid) {
    let users: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            json!({
                "email": format!("user{i}@example.com"),
                "id": Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0000 + i as u128),
                "role": if i % 5 == 0 { "operator" } else { "member" },
                "ssh_key_id": null,
            })
        })
        .collect();
    let target = Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0000 + (count / 2) as u128);
    (serde_json::Value::from(users).to_string(), target)
}

struct Subjects {
    /// The adapter behind each stack, in `VARIANTS` order.
    adapters: Vec<Arc<dyn Directory>>,
    generated: generated::Client,
    client: reqwest::Client,
    users_url: String,
    auth_header: String,
    target: Uuid,
    target_id: UserId,
}

impl Subjects {
    async fn call(&self, variant: usize) -> Result<Uuid, Box<dyn Error>> {
        match variant {
            v if v < ADAPTER_VARIANTS => {
                let user = self.adapters[v].get_user(&self.target_id).await?;
                Ok(Uuid::parse_str(user.id.as_str())?)
            }
            5 => {
                let users = self
                    .generated
                    .list_users_users_get()
                    .await
                    .map_err(|e| e.to_string())?
                    .into_inner();
                pick(users, self.target)
            }
            _ => {
                let response = self
                    .client
                    .get(&self.users_url)
                    .header(AUTHORIZATION, &self.auth_header)
                    .header(ACCEPT, "application/json")
                    .send()
                    .await?;
                if !response.status().is_success() {
                    return Err(format!("status {}", response.status()).into());
                }
                let users: Vec<roster_core::Raw<types::UserGetResponseDtoFields>> =
                    response.json().await?;
                pick(users, self.target)
            }
        }
    }
}

fn pick(
    users: Vec<roster_core::Raw<types::UserGetResponseDtoFields>>,
    id: Uuid,
) -> Result<Uuid, Box<dyn Error>> {
    users
        .iter()
        .find(|user| Uuid::parse_str(&user.id).ok() == Some(id))
        .map(|_| id)
        .ok_or_else(|| "user not found".into())
}

/// Runs the scenario with `calls` calls per variant.
pub fn run(calls: usize) -> Result<Report, Box<dyn Error>> {
    let (body, target) = users_body(USERS);
    let body = hyper::body::Bytes::from(body);
    let body_len = body.len();
    let server = CannedServer::start(
        Arc::new(move |seen| {
            if seen.method == Method::GET && seen.path == "/api/users" {
                Reply::ok(body.clone())
            } else {
                Reply::not_found()
            }
        }),
        Duration::ZERO,
    )?;
    let base = format!("{}/api", server.url());
    let token = SecretString::from(TOKEN.to_owned());

    let (latencies, cpu) = block_on_current_thread(async {
        // One client, one pool: every variant reuses the same connection.
        let client = HttpSettings::new().build_client()?;
        let adapter = IaasClient::new(
            IaasConfig::new(base.clone(), token.clone())
                .with_http(HttpSettings::new().client(client.clone())),
        )?;
        let adapters = vec![
            Stack::default().apply(adapter.clone()),
            Stack::none().apply(adapter.clone().layer(Trace)),
            Stack::none().apply(
                adapter
                    .clone()
                    .layer(Timeout::per_attempt(Duration::from_secs(30)))
                    .layer(Timeout::total(Duration::from_secs(120))),
            ),
            Stack::none().apply(adapter.clone().layer(Retry::default())),
            Stack::none().apply(adapter),
        ];
        let context = ClientContext::new(
            roster_iaas::PROVIDER,
            Arc::new(StaticToken::bearer(&token)?),
            roster_http::no_detail,
        );
        let subjects = Subjects {
            adapters,
            generated: generated::Client::new_with_client(&base, client.clone(), context),
            client,
            users_url: format!("{base}/users"),
            auth_header: format!("Bearer {TOKEN}"),
            target,
            target_id: UserId::new(target.to_string())?,
        };
        // Warm up (and check every variant finds the same user).
        for round in 0..500 {
            for (variant, name) in VARIANTS.iter().enumerate() {
                let found = subjects.call(variant).await?;
                if round == 0 && found != target {
                    return Err(format!("{name} found {found}").into());
                }
            }
        }
        let mut latencies = vec![Vec::with_capacity(calls); VARIANTS.len()];
        let mut cpu = [0u64; VARIANTS.len()];
        let blocks = calls.div_ceil(BLOCK);
        // For profiling one variant alone (`perf record`), e.g.
        // ROSTER_BENCH_ONLY=0 for roster, 4 for roster-no-layers.
        let only: Option<usize> = std::env::var("ROSTER_BENCH_ONLY")
            .ok()
            .and_then(|v| v.parse().ok());
        for block in 0..blocks {
            let in_block = BLOCK.min(calls - block * BLOCK);
            for step in 0..VARIANTS.len() {
                let variant = (block + step) % VARIANTS.len();
                if only.is_some_and(|only| only != variant) {
                    continue;
                }
                let cpu_before = thread_cpu_ns().unwrap_or(0);
                for _ in 0..in_block {
                    let started = Instant::now();
                    let found = subjects.call(variant).await?;
                    latencies[variant].push(started.elapsed().as_nanos() as f64);
                    std::hint::black_box(found);
                }
                cpu[variant] += thread_cpu_ns().unwrap_or(0).saturating_sub(cpu_before);
            }
        }
        Ok::<_, Box<dyn Error>>((latencies, cpu))
    })?;

    let mut report = Report::new(
        "overhead",
        format!(
            "per-call overhead of IaaS get_user (GET /users, {USERS} users, {body_len} B), \
             {calls} calls per variant, interleaved"
        ),
    );
    let medians: Vec<f64> = latencies.iter().map(|l| median(l).unwrap_or(0.0)).collect();
    let p90s: Vec<f64> = latencies
        .iter()
        .map(|l| percentile(l, 90.0).unwrap_or(0.0))
        .collect();
    let cpu_per_call: Vec<f64> = cpu.iter().map(|&ns| ns as f64 / calls as f64).collect();
    let raw = RAW;
    for (variant, name) in VARIANTS.iter().enumerate().filter(|(v, _)| *v != RAW) {
        let (latency_goal, cpu_goal) = if variant == 0 {
            (Goal::AtMost(1.05), Goal::AtMost(1.10))
        } else {
            (Goal::Info, Goal::Info)
        };
        report.ratio(
            format!("{name}: median latency vs reqwest"),
            format!(
                "{:.1} µs vs {:.1} µs",
                medians[variant] / 1e3,
                medians[raw] / 1e3
            ),
            ratio(medians[variant], medians[raw]),
            latency_goal,
        );
        report.ratio(
            format!("{name}: CPU per call vs reqwest"),
            format!(
                "{:.1} µs vs {:.1} µs",
                cpu_per_call[variant] / 1e3,
                cpu_per_call[raw] / 1e3
            ),
            ratio(cpu_per_call[variant], cpu_per_call[raw]),
            cpu_goal,
        );
    }
    report.absolute(
        "TCP connections the server accepted",
        format!(
            "{} for {} requests",
            server.counters().accepted(),
            server.counters().requests()
        ),
        server.counters().accepted() as f64,
        "conn",
        Goal::AtMost(1.0),
    );
    let layer_costs = if std::env::var_os("ROSTER_BENCH_ONLY").is_some() {
        Vec::new()
    } else {
        crate::layers::layer_costs(100_000)?
    };
    let bare_ns = layer_costs.first().map_or(0.0, |(_, ns)| *ns);
    for (name, ns) in &layer_costs {
        report.absolute(
            format!("no I/O (in-memory, 1 yield): {name}"),
            format!(
                "{:.2} µs/call (+{:.2} over none)",
                ns / 1e3,
                (ns - bare_ns) / 1e3
            ),
            (ns / 10.0).round() / 100.0,
            "µs",
            Goal::Info,
        );
    }
    report.note(
        "CPU is the client thread's only (current-thread runtime; the server has its own thread); \
         the default stack's Trace layer runs with no tracing subscriber installed",
    );
    report.raw = json!({
        "calls_per_variant": calls,
        "block": BLOCK,
        "users_in_response": USERS,
        "response_bytes": body_len,
        "variants": VARIANTS.iter().enumerate().map(|(v, name)| json!({
            "name": name,
            "median_latency_ns": medians[v],
            "p90_latency_ns": p90s[v],
            "mean_latency_ns": mean(&latencies[v]),
            "cpu_ns_per_call": cpu_per_call[v],
        })).collect::<Vec<_>>(),
        "connections_accepted": server.counters().accepted(),
        "requests": server.counters().requests(),
        "layer_cpu_ns_per_call_no_io": layer_costs
            .iter()
            .map(|(name, ns)| json!({"config": name, "cpu_ns": ns}))
            .collect::<Vec<_>>(),
    });
    Ok(report)
}
