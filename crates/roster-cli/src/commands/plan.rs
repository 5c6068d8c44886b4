//! `roster plan` and `roster drift`, and the planning apply shares.

use roster::plan::{Change, DesiredState, Plan, ProviderPlan};
use roster::saved::SavedPlan;
use roster::{Error, Fleet};
use serde_json::json;

use crate::app::{App, Exit};
use crate::cli::{DesiredArgs, DriftArgs, PlanArgs};
use crate::output::Out;

/// A plan with what it came from and the providers it went without.
pub struct Planned {
    /// The desired state, limited to the providers planned.
    pub desired: DesiredState,
    /// The desired state with the skipped providers too: what a journal
    /// records, so that resuming from it does them as well.
    pub whole: DesiredState,
    /// The plan.
    pub plan: Plan,
    /// Providers that could not be read (`--skip-unreachable`), with why.
    pub skipped: Vec<(String, Error)>,
}

/// Reads the desired-state file, limited to `--provider`.
pub fn read_desired(args: &DesiredArgs) -> roster::Result<DesiredState> {
    if !args.desired.exists() {
        return Err(Error::invalid_input(format!(
            "no desired-state file at {}; pass --desired FILE, or write one with \
             `roster import --out {}`",
            args.desired.display(),
            args.desired.display()
        )));
    }
    let mut desired = DesiredState::read(&args.desired)?;
    let only = &args.filter.providers;
    if !only.is_empty() {
        for name in only {
            if !desired.providers.contains_key(name) {
                return Err(Error::invalid_input(format!(
                    "{} has no section for provider {name:?}; check --provider",
                    args.desired.display()
                )));
            }
        }
        desired.providers.retain(|name, _| only.contains(name));
    }
    Ok(desired)
}

/// Whether a planning failure means the provider could not be reached
/// (what `--skip-unreachable` skips), rather than a mistake to fix.
fn unreachable(error: &Error) -> bool {
    error.is_temporary()
}

/// Plans `desired` on the fleet: by default one provider's failure fails
/// the plan (naming it); with `skip_unreachable`, unreachable providers
/// are listed and left out.
pub async fn plan_desired(
    fleet: &Fleet, mut desired: DesiredState, skip_unreachable: bool,
) -> roster::Result<Planned> {
    if !skip_unreachable {
        let plan = fleet.plan(&desired).await?;
        return Ok(Planned {
            whole: desired.clone(),
            desired,
            plan,
            skipped: Vec::new(),
        });
    }
    let mut providers = Vec::new();
    let mut skipped = Vec::new();
    for (name, planned) in fleet.plan_each(&desired).await? {
        match planned {
            Ok(plan) => providers.push(plan),
            Err(e) if unreachable(&e) => {
                tracing::warn!(provider = %name, "skipped: {e}");
                skipped.push((name, e));
            }
            Err(e) => return Err(e),
        }
    }
    let whole = desired.clone();
    desired
        .providers
        .retain(|name, _| !skipped.iter().any(|(s, _)| s == name));
    Ok(Planned {
        desired,
        whole,
        plan: Plan { providers },
        skipped,
    })
}

/// Reads the desired state, connects its providers and plans it.
pub async fn plan_now(app: &App, args: &DesiredArgs) -> roster::Result<(Fleet, Planned)> {
    let desired = read_desired(args)?;
    let names: Vec<String> = desired.providers.keys().cloned().collect();
    let fleet = app.fleet(&names)?;
    let planned = plan_desired(&fleet, desired, args.skip_unreachable).await?;
    Ok((fleet, planned))
}

/// How many changes add, change and destroy.
pub fn counts(plan: &Plan) -> (usize, usize, usize) {
    let count = |symbol| {
        plan.providers
            .iter()
            .flat_map(|p| &p.changes)
            .filter(|c| c.symbol() == symbol)
            .count()
    };
    (count('+'), count('~'), count('-'))
}

/// A change as JSON: its provider, the change (tagged by `action`) and
/// the line a person reads.
pub fn change_json(provider: &ProviderPlan, change: &Change) -> serde_json::Value {
    json!({
        "provider": provider.provider,
        "change": change,
        "text": change.to_string(),
    })
}

/// Prints a plan and what was skipped.
pub fn print_plan(out: &Out, planned: &Planned) {
    let (add, change, destroy) = counts(&planned.plan);
    if out.is_json() {
        for provider in &planned.plan.providers {
            for c in &provider.changes {
                out.object("change", change_json(provider, c));
            }
            for note in &provider.notes {
                out.object(
                    "note",
                    json!({"provider": provider.provider, "note": note, "text": note.to_string()}),
                );
            }
        }
        print_skipped(out, &planned.skipped);
        out.object(
            "plan_summary",
            json!({
                "add": add, "change": change, "destroy": destroy,
                "providers": planned.plan.providers.iter().map(|p| json!({
                    "provider": p.provider,
                    "changes": p.changes.len(),
                    "fingerprint": p.fingerprint,
                })).collect::<Vec<_>>(),
                "skipped": planned.skipped.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            }),
        );
    } else {
        out.text(planned.plan.to_string());
        print_skipped(out, &planned.skipped);
    }
}

/// Lists the providers left out.
pub fn print_skipped(out: &Out, skipped: &[(String, Error)]) {
    for (name, error) in skipped {
        let text = crate::app::one_line(&error.to_string());
        if out.is_json() {
            out.object(
                "skipped",
                json!({"provider": name, "error_kind": error.kind().as_str(), "error": text}),
            );
        } else {
            out.line(format!("skipped {name} (unreachable): {text}"));
        }
    }
}

/// `roster plan`.
pub async fn run(app: &App, args: PlanArgs) -> roster::Result<Exit> {
    let (_, planned) = plan_now(app, &args.desired).await?;
    let out = app.out();
    print_plan(&out, &planned);
    if let Some(path) = &args.out {
        let saved = SavedPlan::new(planned.desired.clone(), planned.plan.clone());
        std::fs::write(path, saved.to_json()).map_err(|e| {
            Error::invalid_input(format!("writing the plan to {}: {e}", path.display()))
        })?;
        app.note(format!(
            "Saved the plan to {}; apply it with `roster apply {}`.",
            path.display(),
            path.display()
        ));
    }
    Ok(if !planned.skipped.is_empty() {
        Exit::Partial
    } else if args.detailed_exitcode && !planned.plan.is_empty() {
        Exit::Changes
    } else {
        Exit::Success
    })
}

/// `roster drift`: each difference between the providers and the desired
/// state as an event; exit 2 when there is any.
pub async fn drift(app: &App, args: DriftArgs) -> roster::Result<Exit> {
    let (_, planned) = plan_now(app, &args.desired).await?;
    let out = app.out();
    let mut differences = 0;
    let mut rows = Vec::new();
    for provider in &planned.plan.providers {
        for change in &provider.changes {
            differences += 1;
            if out.is_json() {
                out.object("drift", change_json(provider, change));
            } else {
                rows.push(vec![provider.provider.clone(), change.to_string()]);
            }
        }
    }
    if out.is_json() {
        print_skipped(&out, &planned.skipped);
        out.object(
            "drift_summary",
            json!({
                "differences": differences,
                "providers": planned.plan.providers.iter().map(|p| &p.provider).collect::<Vec<_>>(),
                "skipped": planned.skipped.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            }),
        );
    } else {
        if differences == 0 {
            out.line("No drift: every provider matches the desired state.");
        } else {
            out.table(&["provider", "difference"], &rows);
            out.line(format!("Drift: {differences} difference(s)."));
        }
        print_skipped(&out, &planned.skipped);
    }
    Ok(if !planned.skipped.is_empty() {
        Exit::Partial
    } else if differences > 0 {
        Exit::Changes
    } else {
        Exit::Success
    })
}
