//! Plan, and optionally apply, a desired-state file against the real
//! providers of a fleet config.
//!
//! ```sh
//! cargo run --example sync -- --config fleet.toml --desired desired-state.toml          # plan only
//! cargo run --example sync -- --config fleet.toml --desired desired-state.toml --apply  # and apply
//! ```
//!
//! The plan prints like `terraform plan`: per provider, `+` to add, `~` to
//! change, `-` to destroy (only for providers whose section says
//! `prune = true`). With `--apply`, the changes run in dependency order; a
//! progress bar shows on a terminal, and the journal of what was done is
//! printed at the end.

use std::process::ExitCode;
use std::sync::Arc;

use indicatif::ProgressBar;
use roster::FleetConfig;
use roster::plan::{ApplyOptions, DesiredState, OnError};

const USAGE: &str = "usage: sync --desired FILE [--config FILE] [--apply] [--keep-going]
  --desired FILE  the desired state (TOML, or JSON if it ends in .json)
  --config FILE   the fleet config (default: $ROSTER_FLEET_CONFIG)
  --apply         make the changes (without it, only plan)
  --keep-going    after a failure, go on with that provider's other changes";

struct Args {
    config: String,
    desired: String,
    apply: bool,
    keep_going: bool,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut config = std::env::var("ROSTER_FLEET_CONFIG").ok();
    let mut desired = None;
    let (mut apply, mut keep_going) = (false, false);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--apply" => apply = true,
            "--keep-going" => keep_going = true,
            "--config" => config = Some(args.next().ok_or("--config needs a file")?.clone()),
            "--desired" => desired = Some(args.next().ok_or("--desired needs a file")?.clone()),
            other => return Err(format!("unexpected argument {other}")),
        }
    }
    Ok(Args {
        config: config.ok_or("no fleet config: give --config FILE or set ROSTER_FLEET_CONFIG")?,
        desired: desired.ok_or("give --desired FILE")?,
        apply,
        keep_going,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    roster_examples::init_logging();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&args) {
        Ok(args) => args,
        Err(problem) => {
            eprintln!("sync: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let loaded = FleetConfig::read(&args.config)
        .and_then(|config| config.connect())
        .and_then(|fleet| Ok((fleet, DesiredState::read(&args.desired)?)));
    let (fleet, desired) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("sync: {e}");
            return ExitCode::FAILURE;
        }
    };
    let plan = match fleet.plan(&desired).await {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("sync: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{plan}");
    if !args.apply || plan.is_empty() {
        return ExitCode::SUCCESS;
    }

    // Hidden automatically when stderr is not a terminal.
    let progress = ProgressBar::new(plan.len() as u64);
    let ticker = progress.clone();
    let options = ApplyOptions {
        on_error: if args.keep_going {
            OnError::Continue
        } else {
            OnError::Stop
        },
        progress: Some(Arc::new(move |_| ticker.inc(1))),
        ..ApplyOptions::default()
    };
    let journal = fleet.apply(&plan, &options).await;
    progress.finish_and_clear();
    println!("\n{journal}");
    if journal.is_complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
