//! `roster whoami`, the streaming lists and `roster import`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use roster::plan::{DesiredState, Format, ProviderDesired};
use roster::state::{MembershipState, TenantState, UserState};
use roster::{
    Directory, Error, Membership, MembershipDirectoryExt, PageRequest, Role, Tenant,
    TenantDirectoryExt, TenantId, TenantRole, User, UserDirectoryExt,
};
use serde_json::json;

use crate::app::{App, Exit, one_line};
use crate::cli::{ImportArgs, MembersListArgs, ProviderFilter};
use crate::output::stream_row;

fn providers(
    app: &App, filter: &ProviderFilter,
) -> roster::Result<Vec<(String, Arc<dyn Directory>)>> {
    let fleet = app.fleet(&filter.providers)?;
    Ok(fleet
        .names()
        .filter_map(|name| fleet.provider(name).map(|d| (name.to_owned(), d.clone())))
        .collect())
}

/// Exit 0 when every provider answered, 3 when some did not, 1 when none.
fn exit_for(failed: usize, total: usize) -> Exit {
    match failed {
        0 => Exit::Success,
        n if n == total => Exit::Error,
        _ => Exit::Partial,
    }
}

fn report_failure(app: &App, provider: &str, error: &Error) {
    match error.provider() {
        Some(_) => eprintln!("roster: error: {}", app.explain_for(Some(provider), error)),
        None => eprintln!(
            "roster: error: {provider}: {}",
            app.explain_for(Some(provider), error)
        ),
    }
}

/// The capabilities that are on, by name.
fn capability_names(directory: &dyn Directory) -> Vec<String> {
    match serde_json::to_value(directory.capabilities()) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter(|(_, on)| on.as_bool() == Some(true))
            .map(|(name, _)| name)
            .collect(),
        _ => Vec::new(),
    }
}

/// `roster whoami`: the credentials work (one request each), who they are
/// where the provider can say, and what the provider can do.
pub async fn whoami(app: &App, filter: ProviderFilter) -> roster::Result<Exit> {
    let providers = providers(app, &filter)?;
    let out = app.out();
    let checks = futures::future::join_all(providers.iter().map(|(name, directory)| async move {
        let caps = directory.capabilities();
        // The first read the capabilities allow; a provider allowing none
        // (not a failure of the credentials) is reported as not checked.
        let who = if caps.current_user {
            directory.current_user().await.map(Some).map(Some)
        } else if caps.list_users {
            directory
                .list_users_page(PageRequest::first())
                .await
                .map(|_| Some(None))
        } else if caps.list_tenants {
            directory
                .list_tenants_page(PageRequest::first())
                .await
                .map(|_| Some(None))
        } else {
            Ok(None)
        };
        (name, directory, who)
    }))
    .await;
    let mut failed = 0;
    let mut rows = Vec::new();
    let mut abilities = Vec::new();
    for (name, directory, who) in checks {
        let capabilities = capability_names(directory.as_ref());
        match who {
            Ok(None) => {
                if out.is_json() {
                    out.object(
                        "whoami",
                        json!({"provider": name, "provider_kind": directory.provider_id(),
                               "credentials": "unchecked", "principal": null,
                               "capabilities": capabilities}),
                    );
                } else {
                    rows.push(vec![
                        name.clone(),
                        "cannot check".into(),
                        "(nothing these credentials may read can check them)".into(),
                    ]);
                    abilities.push((name.clone(), capabilities));
                }
            }
            Ok(Some(principal)) => {
                let identity = principal
                    .as_ref()
                    .map(|p| {
                        let email = p.email.as_ref().map(|e| e.to_string());
                        let role = p.raw_role.clone().or_else(|| p.role.map(|r| r.to_string()));
                        match (email.or_else(|| p.display_name.clone()), role) {
                            (Some(who), Some(role)) => format!("{who} ({role})"),
                            (Some(who), None) => who,
                            (None, _) => "(the provider names no one)".to_owned(),
                        }
                    })
                    .unwrap_or_else(|| "(this provider cannot say)".to_owned());
                if out.is_json() {
                    out.object(
                        "whoami",
                        json!({"provider": name, "provider_kind": directory.provider_id(),
                               "credentials": "ok", "principal": principal,
                               "capabilities": capabilities}),
                    );
                } else {
                    rows.push(vec![name.clone(), "ok".into(), identity]);
                    abilities.push((name.clone(), capabilities));
                }
            }
            Err(e) => {
                failed += 1;
                if out.is_json() {
                    out.object(
                        "whoami",
                        json!({"provider": name, "credentials": "failed",
                               "error_kind": e.kind().as_str(), "error": app.explain_for(Some(name), &e),
                               "capabilities": capabilities}),
                    );
                } else {
                    rows.push(vec![
                        name.clone(),
                        "FAILED".into(),
                        app.explain_for(Some(name), &e),
                    ]);
                    abilities.push((name.clone(), capabilities));
                }
            }
        }
    }
    if !out.is_json() {
        out.table(&["provider", "credentials", "who"], &rows);
        for (name, capabilities) in abilities {
            out.line("");
            out.line(format!("{name} can:"));
            for line in wrap(&capabilities, 76) {
                out.line(format!("  {line}"));
            }
        }
    }
    Ok(exit_for(failed, providers.len()))
}

/// How one kind of record is printed as it streams: a JSON object of
/// `kind`, or a row of `widths` under `header`, whose cells are the
/// provider's name and then `row`'s.
struct Records<'a, T> {
    kind: &'a str,
    header: &'a [&'a str],
    widths: &'a [usize],
    row: &'a dyn Fn(&T) -> Vec<String>,
}

impl<T: serde::Serialize> Records<'_, T> {
    /// The table's header line; JSON has none.
    fn print_header(&self, app: &App) {
        let out = app.out();
        if !out.is_json() {
            out.line(stream_row(self.header, self.widths));
        }
    }

    /// Prints each record of provider `name`'s stream as it arrives, so
    /// no list is ever held whole. A stream that fails is reported and
    /// ends there; the answer says whether it did.
    async fn print_stream(
        &self, app: &App, name: &str,
        mut records: futures::stream::BoxStream<'_, roster::Result<T>>,
    ) -> bool {
        let out = app.out();
        while let Some(record) = records.next().await {
            match record {
                Ok(record) if out.is_json() => {
                    let mut value = json!(record);
                    value["provider"] = json!(name);
                    out.object(self.kind, value);
                }
                Ok(record) => {
                    let mut cells = vec![name.to_owned()];
                    cells.extend((self.row)(&record));
                    let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
                    out.line(stream_row(&cells, self.widths));
                }
                Err(e) => {
                    report_failure(app, name, &e);
                    return false;
                }
            }
        }
        true
    }
}

/// Prints every record `list` streams from each provider as it arrives
/// ([`Records::print_stream`]). A provider whose stream fails is reported
/// and counted, and the others go on.
async fn stream_each<T: serde::Serialize>(
    app: &App, filter: &ProviderFilter, records: &Records<'_, T>,
    list: impl Fn(&dyn Directory) -> futures::stream::BoxStream<'_, roster::Result<T>>,
) -> roster::Result<Exit> {
    let providers = providers(app, filter)?;
    records.print_header(app);
    let mut failed = 0;
    for (name, directory) in &providers {
        if !records
            .print_stream(app, name, list(directory.as_ref()))
            .await
        {
            failed += 1;
        }
    }
    Ok(exit_for(failed, providers.len()))
}

/// `roster users list`: one line per user, printed as each page arrives.
pub async fn users(app: &App, filter: ProviderFilter) -> roster::Result<Exit> {
    let row = |user: &User| {
        let email = user.email.as_ref().map(|e| e.to_string());
        let role = user
            .raw_role
            .clone()
            .or_else(|| user.role.map(|r| r.to_string()));
        vec![
            user.id.to_string(),
            email.unwrap_or_default(),
            user.status.to_string(),
            role.unwrap_or_else(|| "-".into()),
        ]
    };
    let records = Records {
        kind: "user",
        header: &["provider", "id", "email", "status", "role"],
        widths: &[12, 36, 40, 10],
        row: &row,
    };
    stream_each(app, &filter, &records, |directory| directory.list_users()).await
}

/// `roster tenants list`, streaming.
pub async fn tenants(app: &App, filter: ProviderFilter) -> roster::Result<Exit> {
    let row = |tenant: &Tenant| vec![tenant.id.to_string(), tenant.name.clone()];
    let records = Records {
        kind: "tenant",
        header: &["provider", "id", "name"],
        widths: &[12, 36],
        row: &row,
    };
    stream_each(app, &filter, &records, |directory| directory.list_tenants()).await
}

/// `roster members list TENANT`: on each provider that has the tenant (by
/// name, or else by id), one line per member, printed as each page
/// arrives, as the other lists are.
pub async fn members(app: &App, args: MembersListArgs) -> roster::Result<Exit> {
    let providers = providers(app, &args.filter)?;
    let row = |member: &Membership| {
        let email = member
            .user_email
            .as_ref()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let role = member
            .raw_role
            .clone()
            .or_else(|| member.role.map(|r| r.to_string()))
            .unwrap_or_else(|| "-".into());
        vec![member.user.to_string(), email, role]
    };
    let records = Records {
        kind: "member",
        header: &["provider", "user id", "email", "role"],
        widths: &[12, 36, 40],
        row: &row,
    };
    records.print_header(app);
    let mut failed = 0;
    let mut found = 0;
    for (name, directory) in &providers {
        let tenant = match directory.find_tenant_by_name(&args.tenant).await {
            Ok(Some(tenant)) => tenant.id,
            Ok(None) => match TenantId::new(args.tenant.clone()) {
                Ok(id) => match directory.get_tenant(&id).await {
                    Ok(tenant) => tenant.id,
                    Err(_) => continue,
                },
                Err(_) => continue,
            },
            Err(e) => {
                failed += 1;
                report_failure(app, name, &e);
                continue;
            }
        };
        found += 1;
        if !records
            .print_stream(app, name, directory.stream_members(&tenant))
            .await
        {
            failed += 1;
        }
    }
    if found == 0 && failed == 0 {
        return Err(Error::not_found(format!(
            "no provider has a tenant named {:?}; see `roster tenants list`",
            args.tenant
        )));
    }
    Ok(exit_for(failed, providers.len()))
}

/// The role to write for a user so that planning finds it held: the
/// neutral name where there is one, else the provider's own.
fn role_of(user: &User) -> Option<String> {
    match user.role {
        Some(Role::Other) | None => user.raw_role.clone(),
        Some(role) => Some(
            serde_json::to_value(role)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| role.to_string()),
        ),
    }
}

/// One provider's users, tenants and memberships as a desired-state
/// section (without `prune`), and a note for each record a desired-state
/// file cannot hold (left out).
async fn import_one(directory: &dyn Directory) -> roster::Result<(ProviderDesired, Vec<String>)> {
    let caps = directory.capabilities();
    let (users, tenants) = futures::try_join!(
        directory.list_users().try_collect::<Vec<_>>(),
        directory.list_tenants().try_collect::<Vec<_>>()
    )?;
    let mut section = ProviderDesired::default();
    let mut emails = HashMap::new();
    let mut seen = HashSet::new();
    let mut skipped = Vec::new();
    for user in &users {
        let Some(email) = &user.email else {
            skipped.push(format!(
                "user {} has no email (a desired state names users by email)",
                user.id
            ));
            continue;
        };
        if !seen.insert(email.as_str().to_lowercase()) {
            skipped.push(format!(
                "user {} ({email}): another user has that email already",
                user.id
            ));
            continue;
        }
        emails.insert(user.id.clone(), email.clone());
        section.users.push(UserState {
            email: email.clone(),
            role: if caps.user_roles { role_of(user) } else { None },
            display_name: if caps.user_display_name {
                user.display_name.clone()
            } else {
                None
            },
        });
    }
    let mut names = HashMap::new();
    for tenant in &tenants {
        if names.values().any(|n: &String| n == &tenant.name) {
            skipped.push(format!(
                "tenant {} ({:?}): another tenant has that name already (a desired state \
                 names tenants by name)",
                tenant.id, tenant.name
            ));
            continue;
        }
        names.insert(tenant.id.clone(), tenant.name.clone());
        section.tenants.push(TenantState {
            name: tenant.name.clone(),
        });
    }
    if caps.list_members && !tenants.is_empty() {
        let ids: Vec<TenantId> = names.keys().cloned().collect();
        let mut pairs = HashSet::new();
        for member in directory.list_members_of(&ids).await? {
            let email = member
                .user_email
                .clone()
                .or_else(|| emails.get(&member.user).cloned());
            let (Some(email), Some(tenant)) = (email, names.get(&member.tenant)) else {
                continue;
            };
            if !seen.contains(&email.as_str().to_lowercase())
                || !pairs.insert((tenant.clone(), email.as_str().to_lowercase()))
            {
                continue;
            }
            section.memberships.push(MembershipState {
                tenant: tenant.clone(),
                user: email,
                role: member
                    .role
                    .filter(|r| caps.membership_roles && *r != TenantRole::Other),
                wireguard_key: None,
            });
        }
    }
    Ok((section, skipped))
}

/// `roster import`: the providers' current state as a desired-state file,
/// so that `roster plan` right after it is empty.
pub async fn import(app: &App, args: ImportArgs) -> roster::Result<Exit> {
    let providers = providers(
        app,
        &ProviderFilter {
            providers: args.providers.clone(),
        },
    )?;
    let mut desired = DesiredState {
        providers: BTreeMap::new(),
    };
    let mut skipped_on = BTreeMap::new();
    for (name, directory) in &providers {
        let (section, skipped) = import_one(directory.as_ref())
            .await
            .map_err(|e| e.with_context(format!("importing {name}")))?;
        for note in &skipped {
            app.note(format!("{name}: left out {note}"));
        }
        skipped_on.insert(name.clone(), skipped.len());
        let section = ProviderDesired {
            users: sorted(section.users, |u| u.email.as_str().to_lowercase()),
            tenants: sorted(section.tenants, |t| t.name.clone()),
            memberships: sorted(section.memberships, |m| {
                format!("{}\u{0}{}", m.tenant, m.user.as_str().to_lowercase())
            }),
            ..section
        };
        desired.providers.insert(name.clone(), section);
    }
    let format = match &args.out {
        Some(path) => Format::of_path(path),
        None if app.json() => Format::Json,
        None => Format::Toml,
    };
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&desired).unwrap_or_default() + "\n",
        _ => toml::to_string_pretty(&desired)
            .map_err(|e| Error::invalid_input(format!("writing TOML: {e}")))?,
    };
    let counts: Vec<String> = desired
        .providers
        .iter()
        .map(|(name, s)| {
            let left_out = match skipped_on.get(name).copied().unwrap_or(0) {
                0 => String::new(),
                n => format!(", {n} left out"),
            };
            format!(
                "{name}: {} users, {} tenants, {} memberships{left_out}",
                s.users.len(),
                s.tenants.len(),
                s.memberships.len()
            )
        })
        .collect();
    match &args.out {
        Some(path) => {
            std::fs::write(path, text)
                .map_err(|e| Error::invalid_input(format!("writing {}: {e}", path.display())))?;
            let out = app.out();
            if out.is_json() {
                out.object(
                    "import",
                    json!({"file": path.display().to_string(), "providers": desired.providers.iter().map(|(n, s)| json!({
                        "provider": n, "users": s.users.len(), "tenants": s.tenants.len(),
                        "memberships": s.memberships.len(),
                        "left_out": skipped_on.get(n).copied().unwrap_or(0)})).collect::<Vec<_>>()}),
                );
            } else {
                out.line(format!(
                    "Imported into {}: {}.",
                    path.display(),
                    counts.join("; ")
                ));
            }
        }
        None => {
            app.out().text(text);
            app.note(format!("Imported {}.", one_line(&counts.join("; "))));
        }
    }
    Ok(Exit::Success)
}

fn sorted<T>(mut items: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    items.sort_by_key(|item| key(item));
    items
}

/// Words joined by spaces, in lines of at most `width` characters.
fn wrap(words: &[String], width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in words {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
