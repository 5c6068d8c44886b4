//! # roster-bench
//!
//! Side-by-side benchmarks of Roster (issue 9): each scenario runs Roster
//! and a baseline in one process against a canned loopback HTTP server,
//! prints a table with ratios next to their targets and writes the same as
//! JSON to `target/roster-bench/<scenario>.json`.
//!
//! ```text
//! cargo run --release -p roster-bench -- <scenario> [--n N]
//! cargo run --release -p roster-bench -- all [--skip-build-cost]
//! ```
//!
//! | scenario | what |
//! |---|---|
//! | `overhead` (1) | IaaS `get_user`: Roster vs the generated client vs raw reqwest |
//! | `bulk` (2) | 10,000 creates at concurrency 32: Roster vs raw reqwest |
//! | `memory` (3) | 1,000,000 users streamed through `list_users()`, peak RSS |
//! | `offboard` (4) | `Fleet::offboard` on 5 providers with 100 ms latency each |
//! | `plan` (5) | `Fleet::plan`/`apply` of 1,000 changes: requests vs the minimum |
//! | `build-cost` (6) | runs `crates/roster-bench/build-cost.sh` |
//! | `bulk-offboard` (7) | `Fleet::offboard_many` of 1,000 of 10,000 IaaS users, 20 ms latency: requests vs the minimum |
//! | `fleet-plan` (8) | `Fleet::plan` of 5 providers × 20,000 users × 200 tenants, 20 ms latency: wall time vs the slowest provider, peak RSS |
//! | `scaling` (9) | scenarios 7 and 8 at 1×, 2× and 4× size: requests and records read per size |
//! | `scim` | 10,000 users + 500 groups through roster-scim vs the fleet directly (not in `all`) |
//!
//! Ratio scenarios run 5 rounds and report the median with the min and
//! max; the overhead scenario's timing targets count only when its raw
//! reqwest A/A control stays within ±2% in the same run.
//!
//! `all` runs every scenario in a child process of its own, so one
//! scenario's memory never shows in another's peak RSS.
#![warn(missing_docs)]

mod alloc;
mod bulk;
mod bulk_offboard;
mod fleet_plan;
mod layers;
mod memory;
mod offboard;
mod overhead;
mod plan;
mod report;
mod scaling;
mod scim;
mod server;
mod stats;

/// The IaaS client progenitor generated, included from roster-iaas (where
/// it is private) so the benchmark can call it directly.
#[path = "../../roster-iaas/src/generated/mod.rs"]
#[allow(clippy::all, missing_docs, unused)]
mod generated;

roster_http::impl_client_hooks!(generated::Client);

/// Every allocation goes through the counting allocator, so scenarios can
/// report allocations per call.
#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

use std::error::Error;
use std::process::{Command, ExitCode};

const USAGE: &str = "usage: roster-bench \
                     <overhead|bulk|memory|offboard|plan|bulk-offboard|fleet-plan|scaling|build-cost|scim|all> \
                     [--n N] [--skip-build-cost]";

/// The scenarios `all` runs, in order.
const ALL: [&str; 9] = [
    "overhead",
    "bulk",
    "memory",
    "offboard",
    "plan",
    "bulk-offboard",
    "fleet-plan",
    "scaling",
    "build-cost",
];

fn canonical(name: &str) -> Option<&'static str> {
    Some(match name {
        "1" | "overhead" => "overhead",
        "2" | "bulk" => "bulk",
        "3" | "memory" => "memory",
        "4" | "offboard" => "offboard",
        "5" | "plan" => "plan",
        "6" | "build-cost" => "build-cost",
        "7" | "bulk-offboard" => "bulk-offboard",
        "8" | "fleet-plan" => "fleet-plan",
        "9" | "scaling" => "scaling",
        "scim" => "scim",
        "all" => "all",
        _ => return None,
    })
}

fn run_one(scenario: &'static str, n: Option<u64>) -> Result<(), Box<dyn Error>> {
    let report = match scenario {
        "overhead" => overhead::run(n.unwrap_or(10_000) as usize)?,
        "bulk" => bulk::run(n.unwrap_or(10_000) as usize)?,
        "memory" => memory::run(n.unwrap_or(1_000_000))?,
        "offboard" => offboard::run()?,
        "plan" => plan::run()?,
        "bulk-offboard" => bulk_offboard::run()?,
        "fleet-plan" => fleet_plan::run()?,
        "scaling" => scaling::run()?,
        "scim" => scim::run(n.unwrap_or(10_000) as usize)?,
        "build-cost" => {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/build-cost.sh");
            println!("== build-cost: running {script} (clean builds; takes minutes)");
            let status = Command::new("bash").arg(script).status()?;
            if !status.success() {
                return Err(format!("{script} failed: {status}").into());
            }
            return Ok(());
        }
        other => return Err(format!("unknown scenario {other}").into()),
    };
    report.emit()?;
    Ok(())
}

fn run_all(n: Option<u64>, skip_build_cost: bool) -> Result<(), Box<dyn Error>> {
    let exe = std::env::current_exe()?;
    let mut failed = Vec::new();
    for scenario in ALL {
        if skip_build_cost && scenario == "build-cost" {
            println!("== build-cost: skipped (--skip-build-cost)\n");
            continue;
        }
        let mut command = Command::new(&exe);
        command.arg(scenario);
        if let Some(n) = n {
            command.args(["--n", &n.to_string()]);
        }
        if !command.status()?.success() {
            failed.push(scenario);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("scenarios failed: {}", failed.join(", ")).into())
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut scenario = None;
    let mut n = None;
    let mut skip_build_cost = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--n" => n = args.next().and_then(|v| v.replace('_', "").parse().ok()),
            "--skip-build-cost" => skip_build_cost = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            name => match canonical(name) {
                Some(found) if scenario.is_none() => scenario = Some(found),
                _ => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            },
        }
    }
    let Some(scenario) = scenario else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = if scenario == "all" {
        run_all(n, skip_build_cost)
    } else {
        run_one(scenario, n)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("roster-bench {scenario}: {err}");
            ExitCode::FAILURE
        }
    }
}
