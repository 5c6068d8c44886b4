//! Scenario 1: per-call overhead of `get_user`.
//!
//! The variants, all against the same canned server, calls in sequence,
//! each sending `GET /users` with the same headers and decoding the same
//! list into the generated `Raw<UserGetResponseDtoFields>` before picking
//! one user:
//!
//! - **`Stack::default()` (erased once)**: `IaasClient` inside the default
//!   stack, called as `Arc<dyn Directory>::get_user` (then mapped to the
//!   neutral `User`). The adapter builds its own HTTP client, as it does by
//!   default, so the stack knows the client's request timeout and arms no
//!   second timer;
//! - **stack, erased per layer (the old shape)**: the same layers built the
//!   way the stack was before it composed them (issue 15), each layer in an
//!   `Arc<dyn Directory>` of its own, with a timer for each time limit;
//! - **roster, `<layer>` only**: the adapter in one layer (Trace; Retry),
//!   and **roster-no-layers**: in none, which tell each layer's share from
//!   the adapter's;
//! - **generated**: the progenitor client (with Roster's hooks) called
//!   directly;
//! - **reqwest**: a hand-written request, the baseline; and the same again
//!   as an A/A control, whose ratio shows the noise floor. A timing target
//!   counts only when the control stays within ±2%.
//!
//! The adapter variants share the adapter's connection pool; the generated
//! client and both reqwest variants share one client with the same
//! settings. Calls are interleaved in short blocks whose variant order
//! rotates, in 5 rounds; each round gives one ratio per variant, and the
//! median round counts. The client runs on one thread (a current-thread
//! runtime, so reqwest's connection task runs there too); CPU time is that
//! thread's, from `/proc/thread-self/schedstat`, read around each block.
//! Allocations per call are counted on that thread by the bench's counting
//! allocator, in a pass of their own.

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
use crate::stats::{ROUNDS, Rounds, mean, median, percentile, ratio, thread_cpu_ns};

/// The bearer token every variant sends.
pub const TOKEN: &str = "bench-token-0123456789abcdef";
/// Users in the canned `GET /users` answer.
const USERS: usize = 25;
/// Calls per variant in one interleaved block.
const BLOCK: usize = 20;

const VARIANTS: [&str; 8] = [
    "Stack::default() (erased once)",
    "stack, erased per layer (the old shape)",
    "roster, Trace only",
    "roster, Retry only",
    "roster-no-layers",
    "generated",
    "reqwest",
    "reqwest again (A/A control)",
];
/// The baseline every ratio is against.
const RAW: usize = 6;
/// The A/A control: raw reqwest again.
const CONTROL: usize = 7;
/// How many of the variants are the adapter (behind some stack).
const ADAPTER_VARIANTS: usize = 5;
/// How far the A/A control may stray for a timing target to count.
const CONTROL_BOUNDS: (f64, f64) = (0.98, 1.02);
/// Calls per variant in the allocation-counting pass.
const ALLOCATION_CALLS: u64 = 1_000;

/// The default stack's layers as the stack built them before issue 15:
/// each in an `Arc<dyn Directory>` of its own (one boxed future per layer
/// per call), and a timer for each time limit.
fn erased_per_layer(client: IaasClient) -> Arc<dyn Directory> {
    let attempt: Arc<dyn Directory> =
        Arc::new(client.layer(Timeout::per_attempt(Duration::from_secs(30))));
    let retried: Arc<dyn Directory> = Arc::new(attempt.layer(Retry::default()));
    let total: Arc<dyn Directory> =
        Arc::new(retried.layer(Timeout::total(Duration::from_secs(120))));
    Arc::new(total.layer(Trace))
}

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
    users: Vec<roster_core::Raw<types::UserGetResponseDtoFields>>, id: Uuid,
) -> Result<Uuid, Box<dyn Error>> {
    users
        .iter()
        .find(|user| Uuid::parse_str(&user.id).ok() == Some(id))
        .map(|_| id)
        .ok_or_else(|| "user not found".into())
}

/// One round's figures per variant.
struct Round {
    medians: Vec<f64>,
    p90s: Vec<f64>,
    means: Vec<f64>,
    cpu_per_call: Vec<f64>,
}

/// Runs the scenario with `calls` calls per variant in each round.
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

    let (rounds, allocations) = block_on_current_thread(async {
        // The adapter builds its client from the default settings, as an
        // application's would; the baselines share one built the same way.
        let adapter = IaasClient::new(IaasConfig::new(base.clone(), token.clone()))?;
        let client = HttpSettings::new().build_client()?;
        let adapters = vec![
            Stack::default().apply(adapter.clone()),
            erased_per_layer(adapter.clone()),
            Stack::none().apply(adapter.clone().layer(Trace)),
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
        // For profiling one variant alone (`perf record`), e.g.
        // ROSTER_BENCH_ONLY=0 for the default stack, 4 for no layers.
        let only: Option<usize> = std::env::var("ROSTER_BENCH_ONLY")
            .ok()
            .and_then(|v| v.parse().ok());
        let mut rounds = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let mut latencies = vec![Vec::with_capacity(calls); VARIANTS.len()];
            let mut cpu = [0u64; VARIANTS.len()];
            let blocks = calls.div_ceil(BLOCK);
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
            rounds.push(Round {
                medians: latencies.iter().map(|l| median(l).unwrap_or(0.0)).collect(),
                p90s: latencies
                    .iter()
                    .map(|l| percentile(l, 90.0).unwrap_or(0.0))
                    .collect(),
                means: latencies.iter().map(|l| mean(l).unwrap_or(0.0)).collect(),
                cpu_per_call: cpu.iter().map(|&ns| ns as f64 / calls as f64).collect(),
            });
        }
        // Allocations per call, on this thread (reqwest's connection task
        // included), in a pass of their own.
        let mut allocations = [0.0; VARIANTS.len()];
        for (variant, count) in allocations.iter_mut().enumerate() {
            let before = crate::alloc::allocations();
            for _ in 0..ALLOCATION_CALLS {
                std::hint::black_box(subjects.call(variant).await?);
            }
            *count = (crate::alloc::allocations() - before) as f64 / ALLOCATION_CALLS as f64;
        }
        Ok::<_, Box<dyn Error>>((rounds, allocations))
    })?;

    let mut report = Report::new(
        "overhead",
        format!(
            "per-call overhead of IaaS get_user (GET /users, {USERS} users, {body_len} B), \
             {calls} calls per variant per round, interleaved, median of {ROUNDS} rounds"
        ),
    );
    let per_round = |figure: fn(&Round) -> &Vec<f64>, variant: usize| -> Vec<f64> {
        rounds
            .iter()
            .map(|round| ratio(figure(round)[variant], figure(round)[RAW]))
            .collect()
    };
    let middle = |figure: fn(&Round) -> &Vec<f64>, variant: usize| -> f64 {
        median(
            &rounds
                .iter()
                .map(|r| figure(r)[variant])
                .collect::<Vec<_>>(),
        )
        .unwrap_or(0.0)
    };
    let control = Rounds::of(&per_round(|r| &r.medians, CONTROL));
    let control_cpu = Rounds::of(&per_round(|r| &r.cpu_per_call, CONTROL));
    let held = CONTROL_BOUNDS.0 <= control.median
        && control.median <= CONTROL_BOUNDS.1
        && CONTROL_BOUNDS.0 <= control_cpu.median
        && control_cpu.median <= CONTROL_BOUNDS.1;
    report.control_held = Some(held);
    for (variant, name) in VARIANTS.iter().enumerate().filter(|(v, _)| *v != RAW) {
        let (latency_goal, cpu_goal) = match variant {
            0 => (Goal::AtMost(1.05), Goal::AtMost(1.10)),
            CONTROL => (
                Goal::Between(CONTROL_BOUNDS.0, CONTROL_BOUNDS.1),
                Goal::Between(CONTROL_BOUNDS.0, CONTROL_BOUNDS.1),
            ),
            _ => (Goal::Info, Goal::Info),
        };
        let controlled = variant != CONTROL;
        report.rounds(
            format!("{name}: median latency vs reqwest"),
            format!(
                "{:.1} µs vs {:.1} µs; {:.0} vs {:.0} allocations per call",
                middle(|r| &r.medians, variant) / 1e3,
                middle(|r| &r.medians, RAW) / 1e3,
                allocations[variant],
                allocations[RAW],
            ),
            Rounds::of(&per_round(|r| &r.medians, variant)),
            "×",
            latency_goal,
            controlled,
        );
        report.rounds(
            format!("{name}: CPU per call vs reqwest"),
            format!(
                "{:.1} µs vs {:.1} µs",
                middle(|r| &r.cpu_per_call, variant) / 1e3,
                middle(|r| &r.cpu_per_call, RAW) / 1e3
            ),
            Rounds::of(&per_round(|r| &r.cpu_per_call, variant)),
            "×",
            cpu_goal,
            controlled,
        );
    }
    for (variant, name) in VARIANTS.iter().enumerate().take(ADAPTER_VARIANTS + 1) {
        report.absolute(
            format!("{name}: allocations per call"),
            format!(
                "{:.1} (reqwest: {:.1}, +{:.1})",
                allocations[variant],
                allocations[RAW],
                allocations[variant] - allocations[RAW]
            ),
            allocations[variant],
            "allocs",
            Goal::Info,
        );
    }
    report.absolute(
        "TCP connections the server accepted",
        format!(
            "{} for {} requests (one pool for the adapter, one for the baselines)",
            server.counters().accepted(),
            server.counters().requests()
        ),
        server.counters().accepted() as f64,
        "conn",
        Goal::AtMost(2.0),
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
        "calls_per_variant_per_round": calls,
        "rounds": ROUNDS,
        "block": BLOCK,
        "users_in_response": USERS,
        "response_bytes": body_len,
        "control_held": held,
        "variants": VARIANTS.iter().enumerate().map(|(v, name)| json!({
            "name": name,
            "median_latency_ns": rounds.iter().map(|r| r.medians[v]).collect::<Vec<_>>(),
            "p90_latency_ns": rounds.iter().map(|r| r.p90s[v]).collect::<Vec<_>>(),
            "mean_latency_ns": rounds.iter().map(|r| r.means[v]).collect::<Vec<_>>(),
            "cpu_ns_per_call": rounds.iter().map(|r| r.cpu_per_call[v]).collect::<Vec<_>>(),
            "allocations_per_call": allocations[v],
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
