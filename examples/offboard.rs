//! Offboard people from every real provider in a fleet config.
//!
//! ```sh
//! ROSTER_FLEET_CONFIG=fleet.toml cargo run --example offboard -- leaver@example.com [more@example.com ...] [--yes]
//! cargo run --example offboard -- --config fleet.toml leaver@example.com
//! ```
//!
//! The config file (see `roster::config`) names the providers and the
//! environment variables that hold their credentials. For each person it
//! first shows where they are, then asks for confirmation (unless `--yes`),
//! then removes them from every provider at once and prints the report.
//! With several people, a progress bar shows on a terminal and stays quiet
//! otherwise.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use indicatif::ProgressBar;
use roster::{Email, FleetConfig};

const USAGE: &str = "usage: offboard [--config FILE] [--yes] EMAIL [EMAIL ...]
  --config FILE  the fleet config (default: $ROSTER_FLEET_CONFIG)
  --yes          do not ask for confirmation";

struct Args {
    config: String,
    yes: bool,
    emails: Vec<Email>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut config = std::env::var("ROSTER_FLEET_CONFIG").ok();
    let mut yes = false;
    let mut emails = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--yes" => yes = true,
            "--config" => config = Some(args.next().ok_or("--config needs a file")?.clone()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            email => emails.push(Email::parse(email).map_err(|e| e.to_string())?),
        }
    }
    let config = config.ok_or("no fleet config: give --config FILE or set ROSTER_FLEET_CONFIG")?;
    if emails.is_empty() {
        return Err("name at least one person to offboard".into());
    }
    Ok(Args {
        config,
        yes,
        emails,
    })
}

fn confirmed() -> bool {
    print!("Remove them from every provider above? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok()
        && matches!(answer.trim(), "y" | "Y" | "yes")
}

#[tokio::main]
async fn main() -> ExitCode {
    roster_examples::init_logging();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&args) {
        Ok(args) => args,
        Err(problem) => {
            eprintln!("offboard: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let fleet = match FleetConfig::read(&args.config).and_then(|c| c.connect()) {
        Ok(fleet) => fleet,
        Err(e) => {
            eprintln!("offboard: {e}");
            return ExitCode::FAILURE;
        }
    };

    for email in &args.emails {
        let audit = fleet.audit(email).await;
        println!("{audit}");
        let present = audit.present().count();
        let unknown: Vec<&str> = audit.unknown().collect();
        if unknown.is_empty() {
            println!("{email} has an account on {present} provider(s).\n");
        } else {
            println!(
                "{email} has an account on {present} provider(s); unknown on {} (could not be asked).\n",
                unknown.join(", ")
            );
        }
    }
    if !args.yes && !confirmed() {
        println!("Nothing was changed.");
        return ExitCode::SUCCESS;
    }

    // Hidden automatically when stderr is not a terminal.
    let progress = ProgressBar::new(args.emails.len() as u64);
    let mut complete = true;
    for email in &args.emails {
        progress.set_message(email.to_string());
        let report = fleet.offboard(email).await;
        complete &= report.is_complete();
        progress.suspend(|| println!("{report}"));
        progress.inc(1);
    }
    progress.finish_and_clear();
    if complete {
        ExitCode::SUCCESS
    } else {
        eprintln!("offboard: some providers failed; see the reports above");
        ExitCode::FAILURE
    }
}
