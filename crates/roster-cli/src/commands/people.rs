//! `roster audit`, `offboard`, `onboard` and `move`: one person (or a list
//! of leavers) across every provider.

use std::collections::BTreeMap;
use std::path::Path;

use indicatif::ProgressBar;
use roster::fleet::{
    AuditOutcome, AuditReport, BulkOptions, MembershipOutcome, OffboardOutcome, OffboardReport,
    Person, Placement,
};
use roster::{Email, Error, Fleet, MembershipRequest, RoleSpec, TenantRole};
use serde_json::json;

use crate::app::{App, Exit, one_line, wireguard_key};
use crate::cli::{AuditArgs, MoveArgs, OffboardArgs, OnboardArgs};
use crate::output::Out;

fn parse_emails(emails: &[String]) -> roster::Result<Vec<Email>> {
    emails.iter().map(|e| Email::parse(e.trim())).collect()
}

fn error_text(e: &Error) -> String {
    one_line(&e.to_string())
}

/// The status word of an audit outcome; `unknown` where the provider could
/// not be asked (never "absent").
fn audit_status(outcome: &AuditOutcome) -> &'static str {
    match outcome {
        AuditOutcome::Present { .. } => "present",
        AuditOutcome::NotPresent => "absent",
        AuditOutcome::Unsupported(_) => "unsupported",
        AuditOutcome::Failed(_) => "unknown",
        #[allow(unreachable_patterns)]
        _ => "unknown",
    }
}

fn print_audit(out: &Out, report: &AuditReport) {
    if !out.is_json() {
        out.text(report.to_string());
        return;
    }
    for (provider, outcome) in &report.outcomes {
        let mut fields = json!({
            "email": report.email,
            "provider": provider,
            "status": audit_status(outcome),
        });
        match outcome {
            AuditOutcome::Present { user, tenants } => {
                fields["user"] = json!(user);
                fields["tenants"] = json!(tenants);
            }
            AuditOutcome::Unsupported(e) | AuditOutcome::Failed(e) => {
                fields["error"] = json!(error_text(e));
            }
            _ => {}
        }
        out.object("audit", fields);
    }
}

/// `roster audit`.
pub async fn audit(app: &App, args: AuditArgs) -> roster::Result<Exit> {
    let emails = each_once(parse_emails(&args.emails)?);
    let fleet = app.fleet(&args.filter.providers)?;
    let out = app.out();
    let mut unknown = false;
    for report in audit_reports(&fleet, &emails).await? {
        unknown |= report.unknown().next().is_some();
        print_audit(&out, &report);
    }
    Ok(if unknown {
        Exit::Partial
    } else {
        Exit::Success
    })
}

/// Where each person is: one lookup for one person, one user-list read per
/// provider for several ([`Fleet::audit_many`]). `emails` are each once.
async fn audit_reports(fleet: &Fleet, emails: &[Email]) -> roster::Result<Vec<AuditReport>> {
    match emails {
        [one] => Ok(vec![fleet.audit(one).await]),
        _ => fleet.audit_many(emails).await,
    }
}

/// The emails of `--from-file`: one a line; blank lines and `#` comments
/// are skipped; a bad one is refused naming its line, before anything runs.
fn read_email_file(path: &Path) -> roster::Result<Vec<Email>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::invalid_input(format!("reading {}: {e}", path.display())))?;
    let mut emails = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        emails.push(
            Email::parse(line)
                .map_err(|e| e.with_context(format!("{} line {}", path.display(), i + 1)))?,
        );
    }
    Ok(emails)
}

/// Offboards everyone with one user-list read per provider
/// ([`Fleet::offboard_many_with`]), at most `writes` deletes at once on each
/// provider, ticking `progress` as each person's outcome on each provider
/// is known; reports come back in the order given.
async fn offboard_many(
    fleet: &Fleet, emails: &[Email], writes: usize, progress: &ProgressBar,
) -> roster::Result<Vec<OffboardReport>> {
    let ticks = progress.clone();
    let options = BulkOptions::default()
        .writes_at_once(writes)
        .progress(move |_, _| ticks.inc(1));
    fleet.offboard_many_with(emails, &options).await
}

/// `emails` with each person once (letter case aside), in first-seen order:
/// a leavers file may well name someone twice.
fn each_once(emails: Vec<Email>) -> Vec<Email> {
    let mut seen = std::collections::HashSet::new();
    emails
        .into_iter()
        .filter(|email| seen.insert(email.as_str().to_lowercase()))
        .collect()
}

fn offboard_word(outcome: &OffboardOutcome) -> &'static str {
    match outcome {
        OffboardOutcome::Removed(_) => "removed",
        OffboardOutcome::NotPresent => "not_present",
        OffboardOutcome::Unsupported(_) => "unsupported",
        OffboardOutcome::Failed(_) => "failed",
        #[allow(unreachable_patterns)]
        _ => "failed",
    }
}

/// `roster offboard`.
pub async fn offboard(app: &App, args: OffboardArgs) -> roster::Result<Exit> {
    let mut emails = parse_emails(&args.emails)?;
    if let Some(path) = &args.from_file {
        emails.extend(read_email_file(path)?);
    }
    let emails = each_once(emails);
    if emails.is_empty() {
        return Err(Error::invalid_input("no email to offboard"));
    }
    let fleet = app.fleet(&args.filter.providers)?;
    let out = app.out();
    if args.dry_run {
        let mut unknown = false;
        let mut rows = Vec::new();
        for report in audit_reports(&fleet, &emails).await? {
            let email = &report.email;
            unknown |= report.unknown().next().is_some();
            for (provider, outcome) in &report.outcomes {
                let would = match outcome {
                    AuditOutcome::Present { .. } => "would remove",
                    AuditOutcome::NotPresent => "not present",
                    AuditOutcome::Unsupported(_) => "unsupported",
                    _ => "unknown",
                };
                let detail = match outcome {
                    AuditOutcome::Failed(e) | AuditOutcome::Unsupported(e) => error_text(e),
                    _ => String::new(),
                };
                if out.is_json() {
                    out.object(
                        "offboard_preview",
                        json!({"email": email, "provider": provider,
                               "action": would.replace(' ', "_"), "error": (!detail.is_empty()).then_some(&detail)}),
                    );
                } else {
                    rows.push(vec![
                        email.to_string(),
                        provider.clone(),
                        would.into(),
                        detail,
                    ]);
                }
            }
        }
        if !out.is_json() {
            out.table(&["email", "provider", "dry run", "detail"], &rows);
            out.line("Dry run: nothing was changed.");
        }
        return Ok(if unknown {
            Exit::Partial
        } else {
            Exit::Success
        });
    }
    if !args.yes {
        let names: Vec<&str> = fleet.names().collect();
        let question = format!(
            "Offboard {} {} from {}? Their accounts are deleted.",
            emails.len(),
            if emails.len() == 1 {
                "person"
            } else {
                "people"
            },
            names.join(", ")
        );
        if !app.confirm(&question)? {
            app.note("Offboarding cancelled; nothing was changed.");
            return Ok(Exit::Error);
        }
    }
    // Hidden when stderr is not a terminal.
    let progress = ProgressBar::new((emails.len() * fleet.names().count()) as u64);
    let reports = offboard_many(&fleet, &emails, usize::from(args.concurrency), &progress).await?;
    progress.finish_and_clear();

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failed_on: BTreeMap<String, usize> = BTreeMap::new();
    let mut unsupported_on: BTreeMap<String, usize> = BTreeMap::new();
    let mut incomplete = 0;
    for report in &reports {
        // Unsupported is not done: the leaver may still have an account there.
        let unsupported = report
            .outcomes
            .iter()
            .any(|(_, o)| matches!(o, OffboardOutcome::Unsupported(_)));
        if !report.is_complete() || unsupported {
            incomplete += 1;
        }
        for (provider, outcome) in &report.outcomes {
            *counts.entry(offboard_word(outcome)).or_default() += 1;
            match outcome {
                OffboardOutcome::Failed(_) => *failed_on.entry(provider.clone()).or_default() += 1,
                OffboardOutcome::Unsupported(_) => {
                    *unsupported_on.entry(provider.clone()).or_default() += 1
                }
                _ => {}
            }
            if out.is_json() {
                let mut fields = json!({"email": report.email, "provider": provider,
                                        "outcome": offboard_word(outcome)});
                match outcome {
                    OffboardOutcome::Removed(user) => fields["user_id"] = json!(user.id),
                    OffboardOutcome::Failed(e) | OffboardOutcome::Unsupported(e) => {
                        fields["error"] = json!(error_text(e))
                    }
                    _ => {}
                }
                out.object("offboard", fields);
            }
        }
        if !out.is_json() {
            out.text(report.to_string());
        }
    }
    let count = |k| counts.get(k).copied().unwrap_or(0);
    if out.is_json() {
        out.object(
            "offboard_summary",
            json!({
                "people": reports.len(), "complete": reports.len() - incomplete,
                "incomplete": incomplete, "removed": count("removed"),
                "not_present": count("not_present"), "unsupported": count("unsupported"),
                "failed": count("failed"), "failed_providers": failed_on.keys().collect::<Vec<_>>(),
                "unsupported_providers": unsupported_on.keys().collect::<Vec<_>>(),
            }),
        );
    } else {
        let mut line = format!(
            "Summary: {} people, {} complete, {incomplete} incomplete; {} account(s) removed, \
             {} not present, {} unsupported, {} failed.",
            reports.len(),
            reports.len() - incomplete,
            count("removed"),
            count("not_present"),
            count("unsupported"),
            count("failed"),
        );
        if !unsupported_on.is_empty() {
            let names: Vec<&str> = unsupported_on.keys().map(String::as_str).collect();
            line.push_str(&format!(
                " Unsupported on {}: these credentials cannot offboard there; remove the \
                 account(s) another way.",
                names.join(", ")
            ));
        }
        if !failed_on.is_empty() {
            let names: Vec<&str> = failed_on.keys().map(String::as_str).collect();
            line.push_str(&format!(
                " Failed on {}: run the same command again once it answers.",
                names.join(", ")
            ));
        }
        out.line(line);
    }
    Ok(if incomplete > 0 {
        Exit::Partial
    } else {
        Exit::Success
    })
}

/// `PROVIDER[:TENANT[:ROLE]]`.
fn parse_target(text: &str) -> roster::Result<(String, Option<String>, Option<TenantRole>)> {
    let mut parts = text.splitn(3, ':');
    let provider = parts.next().unwrap_or("").trim().to_owned();
    if provider.is_empty() {
        return Err(Error::invalid_input(format!(
            "--to {text:?}: give PROVIDER, PROVIDER:TENANT or PROVIDER:TENANT:ROLE"
        )));
    }
    let tenant = parts.next().map(str::to_owned).filter(|t| !t.is_empty());
    let role = match parts.next() {
        None => None,
        Some(role) => Some(match role.to_ascii_lowercase().as_str() {
            "admin" => TenantRole::Admin,
            "member" => TenantRole::Member,
            _ => {
                return Err(Error::invalid_input(format!(
                    "--to {text:?}: the tenant role is admin or member"
                )));
            }
        }),
    };
    Ok((provider, tenant, role))
}

/// `roster onboard`.
pub async fn onboard(app: &App, args: OnboardArgs) -> roster::Result<Exit> {
    let email = Email::parse(args.email.trim())?;
    let key = wireguard_key(&args.data)?;
    let targets = args
        .to
        .iter()
        .map(|t| parse_target(t))
        .collect::<roster::Result<Vec<_>>>()?;
    let mut names: Vec<String> = targets.iter().map(|(p, _, _)| p.clone()).collect();
    names.sort();
    names.dedup();
    let fleet = app.fleet(&names)?;
    // The key goes where the provider takes one; a key no provider named
    // takes is refused rather than dropped.
    let takes_key = |provider: &str| {
        fleet
            .provider(provider)
            .is_some_and(|d| d.capabilities().membership_requires_wireguard_key)
    };
    if key.is_some() && !targets.iter().any(|(p, t, _)| t.is_some() && takes_key(p)) {
        return Err(Error::invalid_input(
            "--wireguard-key: no tenant named with --to is on a provider that takes a \
             WireGuard key (the IaaS API does)",
        ));
    }
    let mut placements: BTreeMap<String, Placement> = BTreeMap::new();
    for (provider, tenant, role) in targets {
        let wants_key = takes_key(&provider);
        let placement = placements.entry(provider.clone()).or_insert_with(|| {
            let placement = Placement::new(provider.clone());
            match &args.role {
                Some(role) => placement.role(RoleSpec::parse(role)),
                None => placement,
            }
        });
        if let Some(tenant) = tenant {
            let mut request = MembershipRequest::new();
            if let Some(role) = role {
                request = request.with_role(role);
            }
            if let (Some(key), true) = (&key, wants_key) {
                request = request.with_wireguard_key(key.clone());
            }
            placement.tenants.push((tenant, request));
        }
    }
    let mut person = Person::new(email);
    if let Some(name) = &args.display_name {
        person = person.with_display_name(name.clone());
    }
    let placements: Vec<Placement> = placements.into_values().collect();
    // Opened (and made 0600) before anything is created: a generated
    // password is handed out once.
    let secrets_file = crate::commands::apply::open_secrets(args.one_time_secrets.as_deref())?;
    let report = fleet.onboard(&person, &placements).await?;
    let secrets = report.outcomes.iter().filter_map(|(provider, outcome)| {
        let secret = outcome.secret.as_ref()?;
        Some((provider.as_str(), report.email.to_string(), secret))
    });
    crate::commands::apply::write_secrets(app, secrets_file, secrets)?;
    let out = app.out();
    if out.is_json() {
        for (provider, outcome) in &report.outcomes {
            let account = match &outcome.user {
                Ok((user, how)) => json!({"user_id": user.id, "outcome": how}),
                Err(e) => json!({"outcome": "failed", "error": error_text(e)}),
            };
            let memberships: Vec<_> = outcome
                .memberships
                .iter()
                .map(|(tenant, m)| {
                    let (what, error) = match m {
                        MembershipOutcome::Added => ("added", None),
                        MembershipOutcome::AlreadyMember => ("already_member", None),
                        MembershipOutcome::Failed(e) => ("failed", Some(error_text(e))),
                        MembershipOutcome::Skipped => ("skipped", None),
                        #[allow(unreachable_patterns)]
                        _ => ("unknown", None),
                    };
                    json!({"tenant": tenant, "outcome": what, "error": error})
                })
                .collect();
            out.object(
                "onboard",
                json!({"email": report.email, "provider": provider, "account": account,
                       "memberships": memberships, "notes": outcome.notes}),
            );
        }
    } else {
        out.text(report.to_string());
    }
    Ok(if report.is_complete() {
        Exit::Success
    } else {
        Exit::Partial
    })
}

/// `roster move`.
pub async fn move_user(app: &App, args: MoveArgs) -> roster::Result<Exit> {
    let email = Email::parse(args.email.trim())?;
    let mut request = MembershipRequest::new();
    if let Some(key) = wireguard_key(&args.data)? {
        request = request.with_wireguard_key(key);
    }
    let fleet = app.fleet(std::slice::from_ref(&args.provider))?;
    let membership = fleet
        .move_user(&args.provider, &email, &args.from, &args.to, &request)
        .await?;
    let out = app.out();
    if out.is_json() {
        out.object(
            "move",
            json!({"email": email, "provider": args.provider, "from": args.from,
                   "to": args.to, "membership": membership}),
        );
    } else {
        out.line(format!(
            "Moved {email} on {} from {:?} to {:?}.",
            args.provider, args.from, args.to
        ));
    }
    Ok(Exit::Success)
}
