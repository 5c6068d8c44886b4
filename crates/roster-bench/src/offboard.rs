//! Scenario 4: cross-provider offboard.
//!
//! Five providers, each an IaaS adapter in `Stack::default()` against a
//! canned server of its own that answers every request 100 ms late.
//! `Fleet::offboard` on one provider alone is timed first, then on all
//! five; if the providers run concurrently, five take about as long as one.
//! Offboarding on one IaaS provider is two requests in sequence (list the
//! users to find the email, then delete), so one provider takes about
//! 2 × 100 ms.

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::{Method, StatusCode};
use roster::fleet::OffboardOutcome;
use roster::{Directory, Email, Fleet};
use roster_http::SecretString;
use roster_iaas::{IaasClient, IaasConfig};
use roster_layers::Stack;
use serde_json::json;

use crate::overhead::{TOKEN, users_body};
use crate::report::{Goal, Report};
use crate::server::{CannedServer, Reply};
use crate::stats::{ROUNDS, Rounds, median};

const PROVIDERS: usize = 5;
const LATENCY: Duration = Duration::from_millis(100);

fn provider_server() -> Result<(CannedServer, String), Box<dyn Error>> {
    let (body, leaver) = users_body(25);
    let body = hyper::body::Bytes::from(body);
    let delete_path = format!("/api/users/{leaver}");
    let server = CannedServer::start(
        Arc::new(move |seen| {
            if seen.method == Method::GET && seen.path == "/api/users" {
                Reply::ok(body.clone())
            } else if seen.method == Method::DELETE && seen.path == delete_path {
                Reply::empty(StatusCode::NO_CONTENT)
            } else {
                Reply::not_found()
            }
        }),
        LATENCY,
    )?;
    // users_body puts the leaver in the middle of the list.
    let email = format!("user{}@example.com", 25 / 2);
    Ok((server, email))
}

async fn timed_offboard(fleet: &Fleet, email: &Email) -> Result<Duration, Box<dyn Error>> {
    let started = Instant::now();
    let report = fleet.offboard(email).await;
    let elapsed = started.elapsed();
    for (name, outcome) in &report.outcomes {
        if !matches!(outcome, OffboardOutcome::Removed(_)) {
            return Err(format!("{name}: {outcome:?}").into());
        }
    }
    Ok(elapsed)
}

/// Runs the scenario.
pub fn run() -> Result<Report, Box<dyn Error>> {
    let mut servers = Vec::new();
    let mut email = String::new();
    for _ in 0..PROVIDERS {
        let (server, leaver) = provider_server()?;
        email = leaver;
        servers.push(server);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (single, five) = runtime.block_on(async {
        let mut directories: Vec<(String, Arc<dyn Directory>)> = Vec::new();
        for (i, server) in servers.iter().enumerate() {
            let client = IaasClient::new(IaasConfig::new(
                format!("{}/api", server.url()),
                SecretString::from(TOKEN.to_owned()),
            ))?;
            directories.push((format!("iaas-{}", i + 1), Stack::default().apply(client)));
        }
        let (first_name, first) = directories[0].clone();
        let one = Fleet::builder().provider(first_name, first).build()?;
        let all = directories
            .into_iter()
            .fold(Fleet::builder(), |builder, (name, directory)| {
                builder.provider(name, directory)
            })
            .build()?;
        let email = Email::parse(email.as_str())?;
        // Warm up: connections to every server.
        timed_offboard(&all, &email).await?;
        let mut single = Vec::new();
        let mut five = Vec::new();
        for _ in 0..ROUNDS {
            single.push(timed_offboard(&one, &email).await?.as_secs_f64());
            five.push(timed_offboard(&all, &email).await?.as_secs_f64());
        }
        Ok::<_, Box<dyn Error>>((single, five))
    })?;
    let single_ms = median(&single).unwrap_or(0.0) * 1e3;
    let five_ms = median(&five).unwrap_or(0.0) * 1e3;

    let mut report = Report::new(
        "offboard",
        format!(
            "Fleet::offboard on {PROVIDERS} providers, {} ms injected per response, median of \
             {ROUNDS} rounds",
            LATENCY.as_millis()
        ),
    );
    let per_round: Vec<f64> = five.iter().zip(&single).map(|(f, s)| f / s).collect();
    report.rounds(
        format!("{PROVIDERS} providers vs one provider (wall time)"),
        format!("{five_ms:.0} ms vs {single_ms:.0} ms"),
        Rounds::of(&per_round),
        "×",
        Goal::AtMost(1.2),
        false,
    );
    report.ratio(
        format!("{PROVIDERS} providers vs the injected latency of one provider's 2 requests"),
        format!("{five_ms:.0} ms vs {} ms", 2 * LATENCY.as_millis()),
        five_ms / (2.0 * LATENCY.as_secs_f64() * 1e3),
        Goal::Info,
    );
    report.note(
        "each provider is an IaaS adapter in Stack::default() on its own canned server; one \
         offboard there is 2 sequential requests (GET /users to find the email, DELETE)",
    );
    report.raw = json!({
        "providers": PROVIDERS,
        "latency_ms": LATENCY.as_millis() as u64,
        "single_provider_s": single,
        "five_providers_s": five,
        "requests_per_server": servers.iter().map(|s| s.counters().requests()).collect::<Vec<_>>(),
    });
    Ok(report)
}
