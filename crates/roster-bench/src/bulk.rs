//! Scenario 2: bulk onboarding throughput.
//!
//! 10,000 `create_user` calls at concurrency 32 through Roster (the IaaS
//! adapter in `Stack::default()`, with the client it builds itself) against
//! 10,000 hand-written reqwest `POST /users` at concurrency 32 (a client
//! with the same timeouts and user agent), on one canned server. Each round
//! uses fresh clients, so the server's accept count for a round is the
//! number of connections that round opened. Rounds alternate the order;
//! the median round counts.

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use hyper::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use roster_core::{Email, NewUser, Role};
use roster_http::{HttpSettings, SecretString};
use roster_iaas::{IaasClient, IaasConfig};
use roster_layers::Stack;
use serde_json::json;

use crate::generated::types;
use crate::overhead::TOKEN;
use crate::report::{Goal, Report};
use crate::server::{CannedServer, Reply};
use crate::stats::{ROUNDS, Rounds, median, process_cpu, ratio, thread_cpu_ns};

const CONCURRENCY: usize = 32;
const VARIANTS: [&str; 4] = [
    "roster",
    "roster, no timeouts",
    "roster-no-layers",
    "reqwest",
];
/// The baseline every ratio is against.
const RAW: usize = 3;

/// The stack of each Roster variant.
fn stack(variant: usize) -> Stack {
    match variant {
        0 => Stack::default(),
        1 => Stack::default().total_timeout(None).attempt_timeout(None),
        _ => Stack::none(),
    }
}

struct Round {
    elapsed: Duration,
    connections: u64,
    cpu: Duration,
    /// CPU of the thread polling the 32 requests (`block_on`'s thread).
    caller_cpu_ns: u64,
}

async fn roster_creates(stack: Stack, base: &str, emails: &[String]) -> Result<(), Box<dyn Error>> {
    let directory = stack.apply(IaasClient::new(IaasConfig::new(
        base.to_owned(),
        SecretString::from(TOKEN.to_owned()),
    ))?);
    futures::stream::iter(emails)
        .map(|email| {
            let directory = directory.clone();
            async move {
                let user = NewUser::new(Email::parse(email.as_str())?).with_role(Role::Member);
                directory.create_user(&user).await.map(drop)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<()>()
        .await?;
    Ok(())
}

async fn reqwest_creates(base: &str, emails: &[String]) -> Result<(), Box<dyn Error>> {
    let client = HttpSettings::new().build_client()?;
    let url = format!("{base}/users");
    let auth = format!("Bearer {TOKEN}");
    futures::stream::iter(emails)
        .map(|email| {
            let request = client
                .post(&url)
                .header(AUTHORIZATION, &auth)
                .header(ACCEPT, "application/json")
                .json(&types::UserPostRequestDto {
                    email: email.clone(),
                    role: types::UserRole::Member,
                    ssh_key_id: None,
                });
            async move {
                let response = request.send().await?;
                if !response.status().is_success() {
                    return Err(format!("status {}", response.status()).into());
                }
                let _: roster_core::Raw<types::UserGetResponseDtoFields> = response.json().await?;
                Ok::<_, Box<dyn Error>>(())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<()>()
        .await
}

/// Runs the scenario with `creates` creates per variant and round.
pub fn run(creates: usize) -> Result<Report, Box<dyn Error>> {
    let created = json!({
        "email": "created@example.com",
        "id": "5eed0000-0000-4000-8000-00000000c0de",
        "role": "member",
        "ssh_key_id": null,
    })
    .to_string();
    let created = hyper::body::Bytes::from(created);
    let server = CannedServer::start(
        Arc::new(move |seen| {
            if seen.method == Method::POST && seen.path == "/api/users" {
                Reply::ok(created.clone())
            } else {
                Reply::not_found()
            }
        }),
        Duration::ZERO,
    )?;
    let base = format!("{}/api", server.url());
    let emails: Vec<String> = (0..creates)
        .map(|i| format!("new.user{i}@example.com"))
        .collect();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let rounds = runtime.block_on(async {
        // Warm-up round, not counted.
        for variant in 0..RAW {
            roster_creates(stack(variant), &base, &emails[..creates.min(1000)]).await?;
        }
        reqwest_creates(&base, &emails[..creates.min(1000)]).await?;
        let mut rounds: Vec<Vec<Round>> = VARIANTS.iter().map(|_| Vec::new()).collect();
        for round in 0..ROUNDS {
            for step in 0..VARIANTS.len() {
                let variant = (round + step) % VARIANTS.len();
                let accepted = server.counters().accepted();
                let cpu = process_cpu().unwrap_or_default();
                let caller_cpu = thread_cpu_ns().unwrap_or(0);
                let started = Instant::now();
                if variant == RAW {
                    reqwest_creates(&base, &emails).await?;
                } else {
                    roster_creates(stack(variant), &base, &emails).await?;
                }
                rounds[variant].push(Round {
                    elapsed: started.elapsed(),
                    connections: server.counters().accepted() - accepted,
                    cpu: process_cpu().unwrap_or_default().saturating_sub(cpu),
                    caller_cpu_ns: thread_cpu_ns().unwrap_or(0).saturating_sub(caller_cpu),
                });
            }
        }
        Ok::<_, Box<dyn Error>>(rounds)
    })?;

    let throughput: Vec<f64> = rounds
        .iter()
        .map(|r| {
            let per_round: Vec<f64> = r
                .iter()
                .map(|round| creates as f64 / round.elapsed.as_secs_f64())
                .collect();
            median(&per_round).unwrap_or(0.0)
        })
        .collect();
    let connections: Vec<u64> = rounds
        .iter()
        .map(|r| r.iter().map(|round| round.connections).max().unwrap_or(0))
        .collect();
    let cpu_per_create: Vec<f64> = rounds
        .iter()
        .map(|r| {
            let per_round: Vec<f64> = r
                .iter()
                .map(|round| round.cpu.as_secs_f64() * 1e6 / creates as f64)
                .collect();
            median(&per_round).unwrap_or(0.0)
        })
        .collect();

    let caller_cpu_per_create: Vec<f64> = rounds
        .iter()
        .map(|r| {
            let per_round: Vec<f64> = r
                .iter()
                .map(|round| round.caller_cpu_ns as f64 / 1e3 / creates as f64)
                .collect();
            median(&per_round).unwrap_or(0.0)
        })
        .collect();
    let mut report = Report::new(
        "bulk",
        format!(
            "bulk onboarding: {creates} creates at concurrency {CONCURRENCY}, median of \
             {ROUNDS} rounds"
        ),
    );
    // Each round runs every variant once, so a round's ratio compares
    // runs made close together.
    let throughput_ratios = |variant: usize| -> Rounds {
        let per_round: Vec<f64> = rounds[variant]
            .iter()
            .zip(&rounds[RAW])
            .map(|(ours, raw)| raw.elapsed.as_secs_f64() / ours.elapsed.as_secs_f64())
            .collect();
        Rounds::of(&per_round)
    };
    for (variant, name) in VARIANTS.iter().enumerate().take(RAW) {
        report.rounds(
            format!("{name}: throughput vs reqwest"),
            format!("{:.0}/s vs {:.0}/s", throughput[variant], throughput[RAW]),
            throughput_ratios(variant),
            "×",
            if variant == 0 {
                Goal::AtLeast(0.9)
            } else {
                Goal::Info
            },
            false,
        );
        report.ratio(
            format!("{name}: process CPU per create vs reqwest"),
            format!(
                "{:.1} µs vs {:.1} µs",
                cpu_per_create[variant], cpu_per_create[RAW]
            ),
            ratio(cpu_per_create[variant], cpu_per_create[RAW]),
            Goal::Info,
        );
        report.ratio(
            format!("{name}: polling-thread CPU per create vs reqwest"),
            format!(
                "{:.1} µs vs {:.1} µs",
                caller_cpu_per_create[variant], caller_cpu_per_create[RAW]
            ),
            ratio(caller_cpu_per_create[variant], caller_cpu_per_create[RAW]),
            Goal::Info,
        );
    }
    for (variant, name) in VARIANTS.iter().enumerate() {
        report.absolute(
            format!("{name}: TCP connections opened per round"),
            format!("{} for {creates} creates", connections[variant]),
            connections[variant] as f64,
            "conn",
            // Reused: a few more than the concurrency, as reqwest opens a
            // new connection when the next request starts before the last
            // response has handed its connection back to the pool.
            Goal::AtMost(2.0 * CONCURRENCY as f64),
        );
    }
    report.note(
        "process CPU counts the client and the canned server (the same server work for every \
         variant); the connection target is reuse: at most 2 × the concurrency for 10,000 creates",
    );
    report.note(format!(
        "client: tokio multi-thread runtime ({} workers); server: one thread; 2-core machines \
         share both",
        std::thread::available_parallelism().map_or(0, usize::from)
    ));
    report.raw = json!({
        "creates_per_round": creates,
        "concurrency": CONCURRENCY,
        "rounds": VARIANTS.iter().enumerate().map(|(v, name)| json!({
            "name": name,
            "median_throughput_per_s": throughput[v],
            "rounds": rounds[v].iter().map(|round| json!({
                "elapsed_s": round.elapsed.as_secs_f64(),
                "connections": round.connections,
                "process_cpu_s": round.cpu.as_secs_f64(),
                "polling_thread_cpu_s": round.caller_cpu_ns as f64 / 1e9,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    Ok(report)
}
