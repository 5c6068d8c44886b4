//! `roster-scim`: the same commands as `roster scim …`, as a binary of its
//! own. Logs go to stderr, data to stdout.
//!
//! ```text
//! roster-scim serve --config roster-scim.toml
//! roster-scim status --config roster-scim.toml -o json
//! roster-scim retry --config roster-scim.toml 42
//! ```

use std::process::ExitCode;

use clap::Parser;
use roster_scim::cli::{ScimCommand, run};

/// A SCIM 2.0 service in front of a Roster fleet.
#[derive(Debug, Parser)]
#[command(name = "roster-scim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: ScimCommand,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    run(cli.command).await
}
