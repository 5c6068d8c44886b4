//! The `roster scim …` commands, as clap derive types and one `run`
//! function, so the `roster` CLI adds them with one enum variant:
//!
//! ```ignore
//! #[derive(clap::Subcommand)]
//! enum Command {
//!     /// Serve SCIM 2.0 in front of the fleet.
//!     #[command(subcommand)]
//!     Scim(roster_scim::cli::ScimCommand),
//! }
//! // …
//! Command::Scim(cmd) => roster_scim::cli::run(cmd).await,
//! ```
//!
//! Exit codes: 0 success; 1 an error (the message is on stderr); 2 a usage
//! error (clap's); 3 `status` found failed operations; 4 `retry` found no
//! failed operation with that id.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use crate::config::ScimConfig;
use crate::store::{Status, Store};

/// `roster scim <command>`.
#[derive(Debug, Clone, Subcommand)]
pub enum ScimCommand {
    /// Serve SCIM 2.0 and deliver to the fleet until SIGTERM.
    Serve(ConfigArg),
    /// Show pending, done and failed operations per provider, and the last error.
    Status(StatusArgs),
    /// Put failed operations back in the queue.
    Retry(RetryArgs),
    /// Print the SHA-256 of a token read from stdin, for auth.token_sha256.
    HashToken,
}

/// The config file.
#[derive(Debug, Clone, Args)]
pub struct ConfigArg {
    /// The service's config file (TOML).
    #[arg(short, long, default_value = "roster-scim.toml")]
    pub config: PathBuf,
}

/// How `status` prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// A table.
    #[default]
    Text,
    /// JSON.
    Json,
}

/// `status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    /// The config file.
    pub config: ConfigArg,
    /// The output format.
    #[arg(short, long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// `retry`.
#[derive(Debug, Clone, Args)]
pub struct RetryArgs {
    #[command(flatten)]
    /// The config file.
    pub config: ConfigArg,
    /// The failed operation's id (from `status`).
    #[arg(required_unless_present = "all_failed", conflicts_with = "all_failed")]
    pub id: Option<i64>,
    /// Retry every failed operation.
    #[arg(long)]
    pub all_failed: bool,
}

async fn open_store(config: &ConfigArg) -> Result<Store, String> {
    let scim = ScimConfig::read(&config.config).map_err(|e| e.to_string())?;
    Store::open(&scim.store.url)
        .await
        .map_err(|e| e.to_string())
}

/// Prints a status as a table.
pub fn format_status(status: &Status) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<16} {:>8} {:>8} {:>8} {:>10}  last error\n",
        "provider", "pending", "done", "failed", "superseded"
    ));
    for (provider, s) in &status.providers {
        let last = s
            .last_error
            .as_ref()
            .map(|(id, e)| format!("#{id}: {e}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{provider:<16} {:>8} {:>8} {:>8} {:>10}  {last}\n",
            s.pending, s.done, s.failed, s.superseded
        ));
    }
    for (provider, s) in &status.providers {
        for note in &s.notes {
            out.push_str(&format!("note {provider}: {note}\n"));
        }
    }
    for op in &status.failed {
        out.push_str(&format!(
            "failed #{} {} {} on {}: {}\n",
            op.id,
            op.kind,
            op.subject,
            op.provider,
            op.last_error.as_deref().unwrap_or("")
        ));
    }
    out
}

/// Runs one command; the exit code is documented in the module docs.
pub async fn run(command: ScimCommand) -> ExitCode {
    match run_inner(command).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

async fn run_inner(command: ScimCommand) -> Result<ExitCode, String> {
    match command {
        ScimCommand::Serve(config) => {
            let scim = ScimConfig::read(&config.config).map_err(|e| e.to_string())?;
            crate::server::serve(scim)
                .await
                .map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        ScimCommand::Status(args) => {
            let store = open_store(&args.config).await?;
            let status = store.status().await.map_err(|e| e.to_string())?;
            let mut stdout = std::io::stdout().lock();
            let text = match args.output {
                Output::Json => {
                    serde_json::to_string_pretty(&status).map_err(|e| e.to_string())? + "\n"
                }
                Output::Text => format_status(&status),
            };
            stdout
                .write_all(text.as_bytes())
                .map_err(|e| e.to_string())?;
            Ok(if status.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            })
        }
        ScimCommand::Retry(args) => {
            let store = open_store(&args.config).await?;
            if args.all_failed {
                let n = store.retry_all_failed().await.map_err(|e| e.to_string())?;
                println!("{n} failed operation(s) queued again");
                return Ok(ExitCode::SUCCESS);
            }
            let id = args.id.ok_or("give an operation id or --all-failed")?;
            if store.retry(id).await.map_err(|e| e.to_string())? {
                println!("operation {id} queued again");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("no failed operation {id}");
                Ok(ExitCode::from(4))
            }
        }
        ScimCommand::HashToken => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            let token = line.trim();
            if token.is_empty() {
                return Err("no token on stdin".into());
            }
            println!("{}", crate::auth::hash_token(token));
            Ok(ExitCode::SUCCESS)
        }
    }
}
