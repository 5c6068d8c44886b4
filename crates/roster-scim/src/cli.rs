//! The `roster scim …` commands, as clap derive types and one `run`
//! function, so the `roster` CLI adds them with one enum variant:
//!
//! ```text
//! #[derive(clap::Subcommand)]
//! enum Command {
//!     /// Serve SCIM 2.0 in front of the fleet.
//!     #[command(subcommand)]
//!     Scim(roster_scim::cli::ScimCommand),
//! }
//! // …
//! Command::Scim(cmd) => roster_scim::cli::run(cmd, &globals).await,
//! ```
//!
//! Exit codes, as the `roster` CLI's: 0 success; 1 an error, usage errors
//! included (the message is on stderr; `retry` of an id that is not a
//! failed operation is one); 3 `status` found failed operations.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::config::ScimConfig;
use crate::store::{Status, Store};

/// `roster scim <command>`.
#[derive(Debug, Clone, Subcommand)]
pub enum ScimCommand {
    /// Serve SCIM 2.0 and deliver to the fleet until SIGTERM.
    #[command(after_help = "Example: roster scim serve --config roster-scim.toml")]
    Serve,
    /// Show pending, done and failed operations per provider, and the last error.
    #[command(after_help = "Example: roster scim status --config roster-scim.toml -o json")]
    Status,
    /// Put failed operations back in the queue.
    #[command(after_help = "Example: roster scim retry 42 --config roster-scim.toml")]
    Retry(RetryArgs),
    /// Print the SHA-256 of a token read from stdin, for auth.token_sha256.
    #[command(after_help = "Example: printf %s \"$TOKEN\" | roster scim hash-token")]
    HashToken,
}

/// What the host command line gives every `scim` command: its global
/// `--config` and `-o` flags (the `roster` CLI's own, or the `roster-scim`
/// binary's, which has the same two).
#[derive(Debug, Clone, Default)]
pub struct Globals {
    /// The service's config file; `None` means [`DEFAULT_CONFIG`].
    pub config: Option<PathBuf>,
    /// `-o json`: `status` prints JSON rather than a table.
    pub json: bool,
}

/// The config file read when no `--config` is given.
pub const DEFAULT_CONFIG: &str = "roster-scim.toml";

impl Globals {
    fn config(&self) -> PathBuf {
        self.config
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG))
    }
}

/// `retry`.
#[derive(Debug, Clone, Args)]
pub struct RetryArgs {
    /// The failed operation's id (from `status`).
    #[arg(required_unless_present = "all_failed", conflicts_with = "all_failed")]
    pub id: Option<i64>,
    /// Retry every failed operation.
    #[arg(long)]
    pub all_failed: bool,
}

async fn open_store(globals: &Globals) -> Result<Store, String> {
    let scim = ScimConfig::read(globals.config()).map_err(|e| e.to_string())?;
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
pub async fn run(command: ScimCommand, globals: &Globals) -> ExitCode {
    match run_inner(command, globals).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

async fn run_inner(command: ScimCommand, globals: &Globals) -> Result<ExitCode, String> {
    match command {
        ScimCommand::Serve => {
            let scim = ScimConfig::read(globals.config()).map_err(|e| e.to_string())?;
            crate::server::serve(scim)
                .await
                .map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        ScimCommand::Status => {
            let store = open_store(globals).await?;
            let status = store.status().await.map_err(|e| e.to_string())?;
            let mut stdout = std::io::stdout().lock();
            let text = if globals.json {
                serde_json::to_string_pretty(&status).map_err(|e| e.to_string())? + "\n"
            } else {
                format_status(&status)
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
            let store = open_store(globals).await?;
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
                Err(format!("no failed operation {id}; `status` lists them"))
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
