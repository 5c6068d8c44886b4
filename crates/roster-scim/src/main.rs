//! `roster-scim`: the same commands as `roster scim …`, as a binary of its
//! own. Logs go to stderr, data to stdout.
//!
//! ```text
//! roster-scim serve --config roster-scim.toml
//! roster-scim status --config roster-scim.toml -o json
//! roster-scim retry --config roster-scim.toml 42
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use roster_scim::cli::{Globals, ScimCommand, run};

/// A SCIM 2.0 service in front of a Roster fleet.
///
/// Exit codes: 0 success · 1 error (usage errors too) · 3 `status` found
/// failed operations.
#[derive(Debug, Parser)]
#[command(name = "roster-scim", version, about)]
struct Cli {
    /// The service's config file [default: ./roster-scim.toml].
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Output format of `status`.
    #[arg(short, long, value_enum, default_value_t = Output::Table, global = true)]
    output: Output,
    #[command(subcommand)]
    command: ScimCommand,
}

/// `-o`: the same values as the `roster` CLI's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    /// A table.
    Table,
    /// JSON.
    Json,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // As the `roster` CLI: usage errors exit 1, --help and --version 0.
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    let globals = Globals {
        config: cli.config,
        json: cli.output == Output::Json,
    };
    run(cli.command, &globals).await
}
