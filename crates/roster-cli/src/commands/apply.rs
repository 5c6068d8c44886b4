//! `roster apply`: from a saved plan (refused when stale), from a journal
//! an interrupted apply left (the rest of it), or planned now.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use indicatif::ProgressBar;
use roster::plan::{
    ApplyOptions, Change, ChangeOutcome, DesiredState, Journal, JournalEntry, OnError, Plan,
    StopSignal,
};
use roster::saved::SavedPlan;
use roster::{Error, ErrorKind, Fleet};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::app::{App, Exit, one_line};
use crate::cli::{ApplyArgs, OnErrorArg};
use crate::commands::plan::{Planned, plan_desired, plan_now, print_plan, print_skipped};

/// What an unfinished apply leaves behind: the desired state it worked
/// towards and what happened to each change. `roster apply FILE` plans
/// that desired state again, which is exactly what is left.
#[derive(Debug, Serialize, Deserialize)]
struct JournalFile {
    version: u32,
    kind: String,
    desired: DesiredState,
    entries: Vec<JournalLine>,
}

/// One change of a journal file.
#[derive(Debug, Serialize, Deserialize)]
struct JournalLine {
    provider: String,
    change: Change,
    outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn outcome(entry: &ChangeOutcome) -> (&'static str, Option<String>) {
    match entry {
        ChangeOutcome::Done => ("done", None),
        ChangeOutcome::Failed(e) => ("failed", Some(one_line(&e.to_string()))),
        ChangeOutcome::Skipped => ("skipped", None),
    }
}

/// Where the plan comes from.
async fn source(app: &App, args: &ApplyArgs) -> roster::Result<(Fleet, Planned)> {
    let Some(path) = &args.plan else {
        return plan_now(app, &args.desired).await;
    };
    if args.desired_on_command_line {
        return Err(Error::invalid_input(format!(
            "--desired is for planning now; {} already holds the desired state (drop \
             --desired, or drop {0} to plan from the file)",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::invalid_input(format!("reading {}: {e}", path.display())))?;
    let kind = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned));
    if kind.as_deref() == Some("journal") {
        let journal: JournalFile = serde_json::from_str(&text).map_err(|e| {
            Error::invalid_input(format!("{}: not a roster journal: {e}", path.display()))
        })?;
        let done = journal
            .entries
            .iter()
            .filter(|e| e.outcome == "done")
            .count();
        app.note(format!(
            "Resuming from {}: {done} of {} change(s) were done; planning what is left.",
            path.display(),
            journal.entries.len()
        ));
        let names: Vec<String> = journal.desired.providers.keys().cloned().collect();
        let fleet = app.fleet(&names)?;
        let planned = plan_desired(&fleet, journal.desired, args.desired.skip_unreachable).await?;
        return Ok((fleet, planned));
    }
    let saved = SavedPlan::from_json(&text).map_err(|e| e.with_context(path.display()))?;
    if args.desired.skip_unreachable {
        return Err(Error::invalid_input(
            "--skip-unreachable is for planning; a saved plan covers the providers it was \
             planned with (plan again with --skip-unreachable --out FILE)",
        ));
    }
    let names: Vec<String> = saved
        .plan
        .providers
        .iter()
        .map(|p| p.provider.clone())
        .collect();
    let fleet = app.fleet(&names)?;
    let stale = fleet.stale_providers(&saved).await?;
    if !stale.is_empty() {
        let which: Vec<String> = stale
            .iter()
            .map(|s| {
                format!(
                    "{} (fingerprint {} at planning, {} now)",
                    s.provider, s.planned, s.now
                )
            })
            .collect();
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "the saved plan {} is stale: {} changed since it was planned; nothing was \
                 applied; run `roster plan --out {}` again",
                path.display(),
                which.join(", "),
                path.display()
            ),
        ));
    }
    Ok((
        fleet,
        Planned {
            whole: saved.desired.clone(),
            desired: saved.desired,
            plan: saved.plan,
            skipped: Vec::new(),
        },
    ))
}

/// `roster apply`.
pub async fn run(app: &App, args: ApplyArgs) -> roster::Result<Exit> {
    let (fleet, planned) = source(app, &args).await?;
    let out = app.out();
    print_plan(&out, &planned);
    let partial = if planned.skipped.is_empty() {
        Exit::Success
    } else {
        Exit::Partial
    };
    if planned.plan.is_empty() {
        if !out.is_json() {
            out.line("No changes. Nothing to apply.");
        }
        if !planned.skipped.is_empty() {
            // What is left is the skipped providers: a resume plans them.
            write_journal(&args.journal, &planned.whole, &[])?;
            note_journal(app, &args.journal);
        }
        return Ok(partial);
    }
    if !args.auto_approve && !app.confirm("Do you want to make these changes?")? {
        app.note("Apply cancelled; nothing was changed.");
        return Ok(Exit::Error);
    }
    // Opened (and made 0600) before anything is applied: a secret the
    // provider hands out once has to have somewhere to go.
    let secrets_file = open_secrets(args.one_time_secrets.as_deref())?;

    let stop = StopSignal::new();
    let on_signal = stop.clone();
    let interrupted = interrupt_signal()?;
    let watcher = tokio::spawn(async move {
        if interrupted.await {
            on_signal.stop();
            eprintln!(
                "Interrupted: starting no new change; waiting for those in flight to finish."
            );
        }
    });
    // Hidden when stderr is not a terminal.
    let progress = ProgressBar::new(planned.plan.len() as u64);
    let ticker = progress.clone();
    let options = ApplyOptions {
        concurrency: usize::from(args.parallelism),
        on_error: match args.on_error {
            OnErrorArg::Stop => OnError::Stop,
            OnErrorArg::Continue => OnError::Continue,
        },
        progress: Some(Arc::new(move |_| ticker.inc(1))),
        stop: Some(stop.clone()),
    };
    let journal = fleet.apply(&planned.plan, &options).await;
    progress.finish_and_clear();
    watcher.abort();

    let kept = keep_secrets(app, secrets_file, &journal);
    print_journal(&out, &planned.plan, &journal);
    if !out.is_json() {
        // Said again under the journal; JSON has them once, before.
        print_skipped(&out, &planned.skipped);
    }
    let failed = journal.failures().count();
    let skipped = journal
        .entries
        .iter()
        .filter(|e| matches!(e.outcome, ChangeOutcome::Skipped))
        .count();
    let done = journal.entries.len() - failed - skipped;
    let unfinished = failed + skipped > 0 || !planned.skipped.is_empty();
    if out.is_json() {
        out.object(
            "apply_summary",
            json!({
                "done": done, "failed": failed, "skipped": skipped,
                "interrupted": stop.is_stopped(),
                "journal": unfinished.then(|| args.journal.display().to_string()),
            }),
        );
    } else {
        out.line(format!(
            "Apply {}: {done} done, {failed} failed, {skipped} not started.",
            if stop.is_stopped() {
                "interrupted"
            } else if failed + skipped > 0 {
                "incomplete"
            } else {
                "complete"
            }
        ));
    }
    // The journal is written before any error is returned: it is what
    // tells the operator what was done.
    let written = if unfinished || kept.is_err() {
        write_journal(&args.journal, &planned.whole, &journal.entries)
    } else {
        Ok(())
    };
    kept?;
    written?;
    if unfinished {
        note_journal(app, &args.journal);
        return Ok(Exit::Partial);
    }
    Ok(partial)
}

fn note_journal(app: &App, path: &Path) {
    app.note(format!(
        "The journal is in {}; run `roster apply {}` to pick up what is left.",
        path.display(),
        path.display()
    ));
}

/// The journal in plan order: changes of one phase finish in any order,
/// but what is printed should not depend on it.
fn in_plan_order<'a>(plan: &Plan, journal: &'a Journal) -> Vec<&'a JournalEntry> {
    let key = |provider: &str, change: &Change| {
        format!(
            "{provider}\u{0}{}",
            serde_json::to_string(change).unwrap_or_default()
        )
    };
    let position: HashMap<String, usize> = plan
        .providers
        .iter()
        .flat_map(|p| p.changes.iter().map(move |c| key(&p.provider, c)))
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect();
    let mut entries: Vec<&JournalEntry> = journal.entries.iter().collect();
    entries.sort_by_key(|e| {
        position
            .get(&key(&e.provider, &e.change))
            .copied()
            .unwrap_or(usize::MAX)
    });
    entries
}

fn print_journal(out: &crate::output::Out, plan: &Plan, journal: &Journal) {
    let entries = in_plan_order(plan, journal);
    if !out.is_json() {
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|entry| {
                let what = match &entry.outcome {
                    ChangeOutcome::Done => "done".to_owned(),
                    ChangeOutcome::Failed(e) => format!("FAILED: {}", one_line(&e.to_string())),
                    ChangeOutcome::Skipped => "not started".to_owned(),
                };
                vec![entry.provider.clone(), entry.change.to_string(), what]
            })
            .collect();
        out.table(&["provider", "change", "outcome"], &rows);
        return;
    }
    for entry in entries {
        let (what, error) = outcome(&entry.outcome);
        out.object(
            "applied",
            json!({
                "provider": entry.provider,
                "change": entry.change,
                "text": entry.change.to_string(),
                "outcome": what,
                "error": error,
            }),
        );
    }
}

fn write_journal(
    path: &Path, desired: &DesiredState, entries: &[JournalEntry],
) -> roster::Result<()> {
    let file = JournalFile {
        version: 1,
        kind: "journal".into(),
        desired: desired.clone(),
        entries: entries
            .iter()
            .map(|entry| {
                let (what, error) = outcome(&entry.outcome);
                JournalLine {
                    provider: entry.provider.clone(),
                    change: entry.change.clone(),
                    outcome: what.to_owned(),
                    error,
                }
            })
            .collect(),
    };
    let text = serde_json::to_string_pretty(&file).unwrap_or_default();
    std::fs::write(path, text).map_err(|e| {
        Error::invalid_input(format!("writing the journal to {}: {e}", path.display()))
    })
}

/// One-time secrets never reach stdout or logs: with `--one-time-secrets
/// FILE` they are written there (mode 0600 on Unix), one
/// `provider email secret` line each; without it the operator is told they
/// were not kept.
fn keep_secrets(
    app: &App, file: Option<(&Path, std::fs::File)>, journal: &Journal,
) -> roster::Result<()> {
    let secrets = journal.entries.iter().filter_map(|entry| {
        let secret = entry.secret.as_ref()?;
        let who = match &entry.change {
            Change::CreateUser { user } => user.email.to_string(),
            _ => "-".to_owned(),
        };
        Some((entry.provider.as_str(), who, secret))
    });
    write_secrets(app, file, secrets)
}

/// Writes `provider who secret` lines to the opened `--one-time-secrets`
/// file, or warns that they were not kept.
pub(crate) fn write_secrets<'a>(
    app: &App, file: Option<(&Path, std::fs::File)>,
    secrets: impl Iterator<Item = (&'a str, String, &'a roster::http::SecretString)>,
) -> roster::Result<()> {
    use roster::http::ExposeSecret;
    let lines: Vec<String> = secrets
        .map(|(provider, who, secret)| format!("{provider} {who} {}\n", secret.expose_secret()))
        .collect();
    if lines.is_empty() {
        return Ok(());
    }
    let Some((path, mut file)) = file else {
        app.note(format!(
            "warning: {} created user(s) came with a one-time secret (such as a generated \
             password), not kept; pass --one-time-secrets FILE to keep them",
            lines.len()
        ));
        return Ok(());
    };
    use std::io::Write;
    file.write_all(lines.concat().as_bytes()).map_err(|e| {
        Error::invalid_input(format!(
            "writing one-time secrets to {}: {e}",
            path.display()
        ))
    })?;
    app.note(format!(
        "{} one-time secret(s) written to {}.",
        lines.len(),
        path.display()
    ));
    Ok(())
}

/// `--one-time-secrets FILE`, opened for appending (created if missing)
/// and made readable by its owner alone (0600 on Unix, also when it was
/// already there with wider permissions).
pub(crate) fn open_secrets(path: Option<&Path>) -> roster::Result<Option<(&Path, std::fs::File)>> {
    let Some(path) = path else { return Ok(None) };
    let refuse = |e: std::io::Error| {
        Error::invalid_input(format!(
            "--one-time-secrets {}: {e}; nothing was changed",
            path.display()
        ))
    };
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).map_err(refuse)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(refuse)?;
    }
    Ok(Some((path, file)))
}

/// Resolves (true) on Ctrl-C. The listener is registered now, not when
/// first polled, so an interrupt right after apply starts is not missed
/// (it would kill the process mid-write).
fn interrupt_signal() -> roster::Result<impl std::future::Future<Output = bool>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())
            .map_err(|e| Error::new(ErrorKind::Unexpected, format!("listening for Ctrl-C: {e}")))?;
        Ok(async move { interrupt.recv().await.is_some() })
    }
    #[cfg(not(unix))]
    {
        Ok(async { tokio::signal::ctrl_c().await.is_ok() })
    }
}
