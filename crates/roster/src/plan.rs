//! Declarative plan and apply: describe the users, tenants and memberships
//! that should exist on each provider, see what would change, then change
//! exactly that, in dependency order.
//!
//! A desired-state file (TOML or JSON) has one section per fleet provider,
//! in the neutral shape of [`DirectoryState`]:
//!
//! ```toml
//! [providers.iaas]
//! prune = false            # delete what is not listed? off by default
//!
//! [[providers.iaas.users]]
//! email = "alice@example.com"
//! role = "admin"
//!
//! [[providers.iaas.tenants]]
//! name = "project-alpha"
//!
//! [[providers.iaas.memberships]]
//! tenant = "project-alpha"
//! user = "alice@example.com"
//! wireguard_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

// Planning indexes every user and membership a provider holds: a fast
// seeded hasher, not SipHash.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use futures::StreamExt;
use futures::future::join_all;
use futures::stream::FuturesUnordered;
use roster_core::state::{DirectoryState, MembershipState, TenantState, UserState, lowercase};
use roster_core::{
    Capabilities, Directory, Email, Error, ErrorKind, MembershipRequest, NewTenant, NewUser,
    Result, RoleSpec, Tenant, TenantId, TenantRole, User, UserId, UserUpdate,
};
use serde::{Deserialize, Serialize};

use crate::fleet::{Fleet, all_tenants, all_users};
use crate::table::write_table;
use crate::whereabouts::Whereabouts;

mod fingerprint;
pub use fingerprint::Fingerprint;

/// What should exist, per fleet provider.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesiredState {
    /// One section per provider, by its fleet name. Providers not listed
    /// are left alone.
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderDesired>,
}

/// What should exist on one provider.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderDesired {
    /// Whether users, tenants and memberships that are not listed are
    /// deleted. Off by default: without it, a plan only adds and changes.
    #[serde(default)]
    pub prune: bool,
    /// The users (by email).
    #[serde(default)]
    pub users: Vec<UserState>,
    /// The tenants (by name). A membership's tenant must be listed here.
    #[serde(default)]
    pub tenants: Vec<TenantState>,
    /// The memberships.
    #[serde(default)]
    pub memberships: Vec<MembershipState>,
}

impl ProviderDesired {
    /// Checks the section as [`DirectoryState::check`] does, without
    /// copying it: no user or tenant listed twice, every membership naming a
    /// listed user and tenant.
    pub fn check(&self) -> Result<()> {
        roster_core::state::check(&self.users, &self.tenants, &self.memberships)
    }

    /// The section as a [`DirectoryState`].
    pub fn state(&self) -> DirectoryState {
        DirectoryState {
            users: self.users.clone(),
            tenants: self.tenants.clone(),
            memberships: self.memberships.clone(),
        }
    }
}

/// The format of a desired-state document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// TOML, the default.
    #[default]
    Toml,
    /// JSON.
    Json,
}

impl Format {
    /// The format a file's extension names: `.json` is JSON, anything else
    /// TOML.
    pub fn of_path(path: &Path) -> Self {
        match path.extension() {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Toml,
        }
    }
}

impl DesiredState {
    /// Parses a desired-state document in `format`.
    pub fn parse(text: &str, format: Format) -> Result<Self> {
        let parsed: DesiredState = match format {
            Format::Json => {
                serde_json::from_str(text).map_err(|e| Error::invalid_input(e.to_string()))?
            }
            Format::Toml => {
                toml::from_str(text).map_err(|e| Error::invalid_input(e.to_string()))?
            }
        };
        for (name, section) in &parsed.providers {
            section
                .check()
                .map_err(|e| e.with_context(format!("desired state for {name}")))?;
        }
        Ok(parsed)
    }

    /// Reads a desired-state file, in the format its extension names
    /// ([`Format::of_path`]).
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::invalid_input(format!("reading {}: {e}", path.display())).with_source(e)
        })?;
        Self::parse(&text, Format::of_path(path)).map_err(|e| e.with_context(path.display()))
    }
}

/// One change a plan makes. Users are named by email and tenants by name,
/// as in the desired state. Serialized with an `action` tag in snake case
/// (`create_user`, `add_member`, …), the shape a saved plan stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Change {
    /// Create a tenant.
    CreateTenant {
        /// Its name.
        name: String,
    },
    /// Create (or invite) a user.
    CreateUser {
        /// The user to create.
        user: UserState,
    },
    /// Change a user's role and/or display name.
    UpdateUser {
        /// The user.
        email: Email,
        /// The new role, if it changes.
        role: Option<RoleSpec>,
        /// The new display name, if it changes.
        display_name: Option<String>,
    },
    /// Move a user between tenants (on a provider that allows one tenant
    /// per user, instead of an add and a remove).
    MoveMember {
        /// The user.
        user: Email,
        /// The tenant they leave.
        from: String,
        /// The tenant they join.
        to: String,
        /// The membership in `to`.
        request: MembershipRequest,
    },
    /// Remove a user from a tenant.
    RemoveMember {
        /// The tenant.
        tenant: String,
        /// The user.
        user: Email,
    },
    /// Change a member's tenant role, in one write.
    UpdateMember {
        /// The tenant.
        tenant: String,
        /// The user.
        user: Email,
        /// The membership, with the new role.
        request: MembershipRequest,
    },
    /// Add a user to a tenant.
    AddMember {
        /// The tenant.
        tenant: String,
        /// The user.
        user: Email,
        /// The membership.
        request: MembershipRequest,
    },
    /// Delete a user (only with `prune`).
    DeleteUser {
        /// The user.
        email: Email,
    },
    /// Delete a tenant (only with `prune`).
    DeleteTenant {
        /// Its name.
        name: String,
    },
}

impl Change {
    /// The apply phase: tenants are created first, then users; moves come
    /// before adds (a provider with one tenant per user needs the old
    /// membership gone); memberships are removed before adds and before
    /// users are deleted; tenants are deleted last.
    pub fn phase(&self) -> u8 {
        match self {
            Change::CreateTenant { .. } => 0,
            Change::CreateUser { .. } => 1,
            Change::UpdateUser { .. } => 2,
            Change::MoveMember { .. } => 3,
            Change::RemoveMember { .. } => 4,
            Change::AddMember { .. } | Change::UpdateMember { .. } => 5,
            Change::DeleteUser { .. } => 6,
            Change::DeleteTenant { .. } => 7,
        }
    }

    /// `+` adds, `~` changes, `-` destroys.
    pub fn symbol(&self) -> char {
        match self {
            Change::CreateTenant { .. } | Change::CreateUser { .. } | Change::AddMember { .. } => {
                '+'
            }
            Change::UpdateUser { .. } | Change::MoveMember { .. } | Change::UpdateMember { .. } => {
                '~'
            }
            Change::RemoveMember { .. }
            | Change::DeleteUser { .. }
            | Change::DeleteTenant { .. } => '-',
        }
    }
}

fn tenant_role(role: Option<TenantRole>) -> String {
    role.map(|r| format!(" as {r}")).unwrap_or_default()
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.symbol())?;
        match self {
            Change::CreateTenant { name } => write!(f, "tenant {name:?}"),
            Change::CreateUser { user } => {
                write!(f, "user {}", user.email)?;
                if let Some(role) = &user.role {
                    write!(f, " (role {role})")?;
                }
                Ok(())
            }
            Change::UpdateUser {
                email,
                role,
                display_name,
            } => {
                write!(f, "user {email}:")?;
                if let Some(role) = role {
                    write!(f, " role → {role}")?;
                }
                if let Some(name) = display_name {
                    write!(f, " name → {name:?}")?;
                }
                Ok(())
            }
            Change::MoveMember {
                user,
                from,
                to,
                request,
            } => write!(
                f,
                "move {user}: {from:?} → {to:?}{}",
                tenant_role(request.role)
            ),
            Change::RemoveMember { tenant, user } => write!(f, "membership {user} in {tenant:?}"),
            Change::UpdateMember {
                tenant,
                user,
                request,
            } => write!(
                f,
                "membership {user} in {tenant:?}: role → {}",
                request
                    .role
                    .map_or_else(|| "-".to_owned(), |r| r.to_string())
            ),
            Change::AddMember {
                tenant,
                user,
                request,
            } => write!(
                f,
                "membership {user} in {tenant:?}{}",
                tenant_role(request.role)
            ),
            Change::DeleteUser { email } => write!(f, "user {email}"),
            Change::DeleteTenant { name } => write!(f, "tenant {name:?}"),
        }
    }
}

/// The changes for one provider, with the ids read while planning so that
/// apply needs no second read, and the [`Fingerprint`] of what was read so
/// that a saved plan can be checked for staleness before it is applied.
///
/// It serializes (with its ids) for a saved plan: see
/// [`SavedPlan`](crate::saved::SavedPlan).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderPlan {
    /// The provider's fleet name.
    pub provider: String,
    /// The changes, in apply order.
    pub changes: Vec<Change>,
    /// What the desired state asks for that this provider cannot do, and
    /// what the plan leaves alone on purpose; printed with `!`.
    pub notes: Vec<Note>,
    /// What the provider held when the plan read it.
    pub fingerprint: Fingerprint,
    users: HashMap<String, UserId>,
    tenants: HashMap<String, TenantId>,
}

/// Something a plan leaves alone, on purpose or because the provider
/// cannot do it: printed with `!`, and serialized with a `kind` that the
/// command line and JSON output can match on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Note {
    /// With `prune`, an unlisted tenant the provider cannot delete.
    TenantNotDeletable {
        /// The tenant's name.
        tenant: String,
    },
    /// A user to create with a role, on a provider without user roles: they
    /// are created without it.
    NoUserRoles {
        /// The user.
        user: Email,
        /// The role the file asks for.
        role: String,
    },
    /// A display name on a provider that keeps none: created without it,
    /// or (`on_create` false) left as is.
    NoDisplayName {
        /// The user.
        user: Email,
        /// Whether the user is being created.
        on_create: bool,
    },
    /// A role that differs, on a provider that cannot change roles.
    RoleNotChangeable {
        /// The user.
        user: Email,
        /// The role the file asks for.
        role: String,
    },
    /// With `prune`, the account the plan runs as: never deleted.
    CurrentAccount {
        /// The account.
        user: Email,
    },
    /// A tenant role that differs, on a provider without tenant roles.
    NoTenantRoles {
        /// The tenant.
        tenant: String,
        /// The member.
        user: Email,
    },
    /// With `prune`, a membership of a listed user on a provider where
    /// leaving the tenant deletes the account (Astra): kept.
    LeavingDeletesAccount {
        /// The tenant.
        tenant: String,
        /// The member.
        user: Email,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::TenantNotDeletable { tenant } => write!(
                f,
                "tenant {tenant:?} is not listed, but this provider cannot delete tenants: left as is"
            ),
            Note::NoUserRoles { user, role } => write!(
                f,
                "{user}: this provider has no user roles; created without {role:?}"
            ),
            Note::NoDisplayName {
                user,
                on_create: true,
            } => write!(
                f,
                "{user}: this provider keeps no display name; created without one"
            ),
            Note::NoDisplayName {
                user,
                on_create: false,
            } => write!(f, "{user}: this provider keeps no display name: left as is"),
            Note::RoleNotChangeable { user, role } => write!(
                f,
                "{user}: role {role:?} differs, but this provider cannot change roles: left as is"
            ),
            Note::CurrentAccount { user } => {
                write!(f, "{user} is the account this runs as: not deleted")
            }
            Note::NoTenantRoles { tenant, user } => write!(
                f,
                "{user} in {tenant:?}: this provider has no tenant roles: left as is"
            ),
            Note::LeavingDeletesAccount { tenant, user } => write!(
                f,
                "{user} in {tenant:?}: on this provider leaving the tenant deletes the \
                 account, which the file keeps: left as is"
            ),
        }
    }
}

/// What [`Fleet::apply`] would do, per provider. Print it to review it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Plan {
    /// One entry per provider in the desired state, in name order.
    pub providers: Vec<ProviderPlan>,
}

impl Plan {
    /// How many changes in all.
    pub fn len(&self) -> usize {
        self.providers.iter().map(|p| p.changes.len()).sum()
    }

    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn count(&self, symbol: char) -> usize {
        self.providers
            .iter()
            .flat_map(|p| &p.changes)
            .filter(|c| c.symbol() == symbol)
            .count()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for provider in &self.providers {
            writeln!(f, "{}:", provider.provider)?;
            if provider.changes.is_empty() {
                writeln!(f, "  (no changes)")?;
            }
            for change in &provider.changes {
                writeln!(f, "  {change}")?;
            }
            for note in &provider.notes {
                writeln!(f, "  ! {note}")?;
            }
        }
        writeln!(
            f,
            "Plan: {} to add, {} to change, {} to destroy.",
            self.count('+'),
            self.count('~'),
            self.count('-')
        )
    }
}

/// What [`Fleet::apply`] does after a change fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnError {
    /// Skip the rest of that provider's changes (other providers go on).
    #[default]
    Stop,
    /// Go on with every other change; one that needs what failed (a
    /// membership of a user whose create failed) fails too.
    Continue,
}

/// Called after each change is applied, for progress reporting.
pub type Progress = Arc<dyn Fn(&JournalEntry) + Send + Sync>;

/// How [`Fleet::apply`] runs.
#[derive(Clone)]
pub struct ApplyOptions {
    /// How many changes of one phase run at once on one provider
    /// (providers also run concurrently). At least one.
    pub concurrency: usize,
    /// What to do after a failure.
    pub on_error: OnError,
    /// Called after every change.
    pub progress: Option<Progress>,
    /// Once stopped, no new change is started: those in flight finish and
    /// every later one is [`ChangeOutcome::Skipped`] (a Ctrl-C handler
    /// stops it).
    pub stop: Option<StopSignal>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            concurrency: 8,
            on_error: OnError::Stop,
            progress: None,
            stop: None,
        }
    }
}

/// A flag that asks a running [`Fleet::apply`] to start no new change.
/// Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct StopSignal(Arc<std::sync::atomic::AtomicBool>);

impl StopSignal {
    /// A signal not yet given.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks apply to start no new change.
    pub fn stop(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether [`StopSignal::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("concurrency", &self.concurrency)
            .field("on_error", &self.on_error)
            .finish_non_exhaustive()
    }
}

/// What happened to one change.
#[derive(Debug)]
pub enum ChangeOutcome {
    /// It was made.
    Done,
    /// It failed.
    Failed(Error),
    /// It was not tried, because an earlier change failed ([`OnError::Stop`])
    /// or apply was stopped ([`ApplyOptions::stop`]).
    Skipped,
}

/// One line of the journal.
#[derive(Debug)]
pub struct JournalEntry {
    /// The provider.
    pub provider: String,
    /// The change.
    pub change: Change,
    /// What happened.
    pub outcome: ChangeOutcome,
    /// A one-time secret the provider returned with a user it created
    /// (NetBird's generated password: its only copy). Never printed by
    /// `Debug` or the journal's `Display`.
    pub secret: Option<roster_http::SecretString>,
}

/// Everything [`Fleet::apply`] did, in the order it did it.
#[derive(Debug, Default)]
pub struct Journal {
    /// One entry per planned change; none is left out.
    pub entries: Vec<JournalEntry>,
}

impl Journal {
    /// Whether every change was made.
    pub fn is_complete(&self) -> bool {
        self.entries
            .iter()
            .all(|e| matches!(e.outcome, ChangeOutcome::Done))
    }

    /// The entries that failed.
    pub fn failures(&self) -> impl Iterator<Item = &JournalEntry> {
        self.entries
            .iter()
            .filter(|e| matches!(e.outcome, ChangeOutcome::Failed(_)))
    }
}

impl fmt::Display for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<Vec<String>> = self
            .entries
            .iter()
            .map(|entry| {
                let outcome = match &entry.outcome {
                    ChangeOutcome::Done => "done".to_owned(),
                    ChangeOutcome::Failed(e) => format!("FAILED: {e}"),
                    ChangeOutcome::Skipped => "skipped".to_owned(),
                };
                vec![entry.provider.clone(), entry.change.to_string(), outcome]
            })
            .collect();
        write_table(f, &["provider", "change", "outcome"], &rows)
    }
}

fn email_key(email: &Email) -> String {
    lowercase(email.as_str()).into_owned()
}

impl Fleet {
    /// Reads each provider named in `desired` (concurrently) and computes
    /// the changes that make it match. Nothing is written. Deletions are
    /// planned only for providers whose section says `prune = true`.
    ///
    /// Reads, concurrently: the user list, and the tenants with their
    /// members. Where one read gives both (the IaaS tenant list carries its
    /// members, [`list_tenants_with_members`](roster_core::MembershipDirectory::list_tenants_with_members)),
    /// that is all: two reads. Otherwise the tenant list, then the members
    /// of each listed tenant (of every tenant on a provider that allows one
    /// tenant per user), several tenants at a time. With `prune`, also the
    /// current user where the provider can say. Emails are matched against
    /// the one user list, never looked up one by one. Each provider is
    /// read, decoded and indexed in a tokio task of its own, so large
    /// providers use every worker thread; the sections are checked before
    /// anything is read (a section that fails the check sends nothing), and
    /// compared with what was read without being copied.
    ///
    /// `prune` deletes unlisted users and tenants and removes unlisted
    /// memberships of listed tenants. It never deletes the account the plan
    /// runs as, nor a tenant the provider cannot delete, nor (where
    /// leaving the only tenant deletes the account, as on Astra) a listed
    /// user's membership; each is a `!` note in the plan. Anything the
    /// provider cannot store (roles, display names, tenant roles) is a note
    /// too, not a change that would fail on every apply.
    pub async fn plan(&self, desired: &DesiredState) -> Result<Plan> {
        for name in desired.providers.keys() {
            self.require(name)?;
        }
        for (name, section) in &desired.providers {
            section
                .check()
                .map_err(|e| e.with_context(format!("planning {name}")))?;
        }
        // Each provider is read in a task of its own, so that decoding and
        // indexing large providers uses every worker thread, not one. The
        // task owns only what the read needs, not a copy of the section;
        // each reading is compared with its section here, borrowing it, as
        // soon as it is in, while the other reads go on.
        let mut readings = desired
            .providers
            .iter()
            .enumerate()
            .map(|(at, (name, section))| {
                let directory = Arc::clone(self.require(name)?);
                let needs = ReadNeeds::of(section);
                let task =
                    tokio::spawn(async move { read_provider(directory.as_ref(), &needs).await });
                // Dropping the plan (a cancelled caller) stops its tasks too.
                let mut task = AbortOnDrop(task);
                Ok::<_, Error>(async move {
                    let reading = (&mut task.0).await.unwrap_or_else(|panic| {
                        Err(Error::new(
                            ErrorKind::Unexpected,
                            format!("planning a provider panicked: {panic}"),
                        ))
                    });
                    (at, reading)
                })
            })
            .collect::<Result<FuturesUnordered<_>>>()?;
        let sections: Vec<(&String, &ProviderDesired)> = desired.providers.iter().collect();
        let mut planned: Vec<Option<Result<ProviderPlan>>> = std::iter::repeat_with(|| None)
            .take(sections.len())
            .collect();
        while let Some((at, reading)) = readings.next().await {
            let (name, section) = sections[at];
            planned[at] = Some(
                reading
                    .and_then(|reading| plan_reading(name, reading, section))
                    .map_err(|e| e.with_context(format!("planning {name}"))),
            );
        }
        // The first failure in name order, as if planned one by one.
        Ok(Plan {
            providers: planned
                .into_iter()
                .map(|plan| plan.expect("every provider's reading came in"))
                .collect::<Result<_>>()?,
        })
    }

    /// Like [`Fleet::plan`], but one provider's failure does not fail the
    /// others: each provider named in `desired` gets its own result, in
    /// name order. A name the fleet does not have is still an error for the
    /// whole call, before anything is read.
    pub async fn plan_each(
        &self, desired: &DesiredState,
    ) -> Result<Vec<(String, Result<ProviderPlan>)>> {
        for name in desired.providers.keys() {
            self.require(name)?;
        }
        Ok(
            join_all(desired.providers.iter().map(|(name, section)| async move {
                let planned = match self.require(name) {
                    Ok(directory) => plan_provider(name, directory.as_ref(), section)
                        .await
                        .map_err(|e| e.with_context(format!("planning {name}"))),
                    Err(e) => Err(e),
                };
                (name.clone(), planned)
            }))
            .await,
        )
    }

    /// Makes the changes of `plan`, each provider concurrently, each in
    /// dependency order ([`Change::phase`]), at most
    /// [`ApplyOptions::concurrency`] changes of one phase at once. Writes
    /// only the planned changes: applying an empty plan sends nothing.
    ///
    /// On a provider that allows one tenant per user, each phase that adds
    /// or moves members first reads where everyone is now (one read on
    /// IaaS), checks each add and move against that, and keeps it up to
    /// date as it writes; the adapter is handed what it shows
    /// ([`MembershipRequest::known_tenants`]) instead of reading before
    /// every write. Someone another client put in a different tenant since
    /// the plan is not moved silently: that change fails with `Conflict`
    /// and nothing is sent for it. If the read fails, each write checks
    /// for itself, as a direct call does.
    pub async fn apply(&self, plan: &Plan, options: &ApplyOptions) -> Journal {
        let journals = join_all(plan.providers.iter().map(|provider| async move {
            match self.require(&provider.provider) {
                Ok(directory) => apply_provider(directory.as_ref(), provider, options).await,
                Err(e) => provider
                    .changes
                    .iter()
                    .enumerate()
                    .map(|(i, change)| JournalEntry {
                        provider: provider.provider.clone(),
                        change: change.clone(),
                        outcome: if i == 0 {
                            ChangeOutcome::Failed(Error::not_found(e.message().to_owned()))
                        } else {
                            ChangeOutcome::Skipped
                        },
                        secret: None,
                    })
                    .collect(),
            }
        }))
        .await;
        Journal {
            entries: journals.into_iter().flatten().collect(),
        }
    }
}

/// A spawned task that is stopped when its handle is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A user's email as a key: addresses match whatever their case. It
/// borrows as its lower-case text, so a map of them is searched without
/// building one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct EmailKey(String);

impl EmailKey {
    fn of(email: &Email) -> Self {
        EmailKey(email_key(email))
    }
}

impl std::borrow::Borrow<str> for EmailKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// One membership as the plan compares it: the tenant's name and the
/// member's lower-case email, borrowed from the section or the snapshot.
type PairKey<'a> = (&'a str, Cow<'a, str>);

/// What reading a provider needs from its desired section, owned, so that
/// the read runs in a task of its own without a copy of the section.
struct ReadNeeds {
    /// Whether the section lists memberships (the members must be read).
    memberships: bool,
    /// The tenants the section lists.
    tenants: HashSet<String>,
    /// Whether the section prunes (the current account must be known).
    prune: bool,
}

impl ReadNeeds {
    fn of(desired: &ProviderDesired) -> Self {
        ReadNeeds {
            memberships: !desired.memberships.is_empty(),
            tenants: desired.tenants.iter().map(|t| t.name.clone()).collect(),
            prune: desired.prune,
        }
    }
}

/// What a provider holds now, indexed the way the desired state names
/// things: users by email, tenants by name, memberships by both.
struct Snapshot {
    caps: Capabilities,
    users: Vec<User>,
    tenants: Vec<Tenant>,
    user_by_email: HashMap<EmailKey, usize>,
    tenant_names: HashSet<String>,
    /// Each member's tenants (indexes into `tenants`) with their tenant
    /// roles, in the order read, one per tenant name: the last is where a
    /// member is on a provider with one tenant per user.
    members: HashMap<EmailKey, Vec<(usize, Option<TenantRole>)>>,
    /// How many memberships `members` holds.
    member_count: usize,
}

impl Snapshot {
    /// Reads the users, the tenants and the members concurrently: where one
    /// read gives the tenants with their members (the IaaS tenant list),
    /// that read beside the user list and nothing else; otherwise the
    /// members of the tenants that matter (those listed, or every tenant on
    /// a provider that allows one tenant per user, since a move needs to
    /// know where someone is), tenant by tenant at once, as soon as the
    /// tenant list is in.
    async fn read(directory: &dyn Directory, needs: &ReadNeeds) -> Result<Snapshot> {
        let caps = directory.capabilities();
        if !caps.list_members && needs.memberships {
            return Err(Error::unsupported(
                directory.provider_id(),
                roster_core::Operation::ListMembers,
                "listing a tenant's members, which planning memberships needs",
            ));
        }
        let tenants_and_members = async {
            if caps.list_members
                && let Some(both) = directory.list_tenants_with_members().await?
            {
                return Ok((both.tenants, Some(both.members)));
            }
            let tenants = all_tenants(directory).await?;
            if !caps.list_members {
                return Ok((tenants, None));
            }
            let members = read_members(directory, &tenants, &caps, needs).await?;
            Ok::<_, Error>((tenants, Some(members)))
        };
        let (users, (tenants, members)) =
            futures::try_join!(all_users(directory), tenants_and_members)?;
        let mut user_by_email = HashMap::with_capacity(users.len());
        user_by_email.extend(
            users
                .iter()
                .enumerate()
                .filter_map(|(i, u)| u.email.as_ref().map(|e| (EmailKey::of(e), i))),
        );
        let tenant_names = tenants.iter().map(|t| t.name.clone()).collect();
        let mut snapshot = Snapshot {
            caps,
            users,
            tenants,
            user_by_email,
            tenant_names,
            members: HashMap::new(),
            member_count: 0,
        };
        if let Some(members) = members {
            snapshot.index_members(members);
        }
        Ok(snapshot)
    }

    fn index_members(&mut self, members: Vec<roster_core::Membership>) {
        let index: HashMap<&TenantId, usize> = self
            .tenants
            .iter()
            .enumerate()
            .map(|(i, t)| (&t.id, i))
            .collect();
        // Built only for a provider whose members come without emails.
        let mut email_of: Option<HashMap<&UserId, &Email>> = None;
        let users = &self.users;
        self.members.reserve(members.len());
        for member in members {
            let email = member.user_email.as_ref().or_else(|| {
                email_of
                    .get_or_insert_with(|| {
                        users
                            .iter()
                            .filter_map(|u| u.email.as_ref().map(|e| (&u.id, e)))
                            .collect()
                    })
                    .get(&member.user)
                    .copied()
            });
            let (Some(email), Some(&tenant)) = (email, index.get(&member.tenant)) else {
                continue;
            };
            let tenants = self.members.entry(EmailKey::of(email)).or_default();
            let name = &self.tenants[tenant].name;
            // Read twice: the later read counts, as the later position.
            if let Some(at) = tenants
                .iter()
                .position(|(t, _)| self.tenants[*t].name == *name)
            {
                tenants.remove(at);
                self.member_count -= 1;
            }
            tenants.push((tenant, member.role));
            self.member_count += 1;
        }
    }

    /// The member's tenant role in the tenant of this name, if a member.
    fn role_in(&self, tenant: &str, email: &str) -> Option<Option<TenantRole>> {
        self.members
            .get(email)?
            .iter()
            .find(|(t, _)| self.tenants[*t].name == tenant)
            .map(|(_, role)| *role)
    }

    /// The tenant a member is in (the last one read, which is the only one
    /// on a provider with one tenant per user).
    fn tenant_of(&self, email: &str) -> Option<&str> {
        let (tenant, _) = self.members.get(email)?.last()?;
        Some(self.tenants[*tenant].name.as_str())
    }

    /// Every membership read: tenant name, member, tenant role.
    fn memberships(&self) -> impl Iterator<Item = (&str, &EmailKey, Option<TenantRole>)> {
        self.members.iter().flat_map(move |(user, tenants)| {
            tenants
                .iter()
                .map(move |(t, role)| (self.tenants[*t].name.as_str(), user, *role))
        })
    }

    /// The ids planning read, by email and by tenant name, for apply;
    /// moved out of the snapshot, not copied.
    fn into_ids(self) -> (HashMap<String, UserId>, HashMap<String, TenantId>) {
        let mut ids: Vec<Option<UserId>> = self.users.into_iter().map(|u| Some(u.id)).collect();
        let mut users = HashMap::with_capacity(self.user_by_email.len());
        users.extend(
            self.user_by_email
                .into_iter()
                .filter_map(|(email, i)| ids[i].take().map(|id| (email.0, id))),
        );
        let tenants = self.tenants.into_iter().map(|t| (t.name, t.id)).collect();
        (users, tenants)
    }

    fn user(&self, email: &str) -> Option<&User> {
        self.user_by_email.get(email).map(|i| &self.users[*i])
    }

    /// A provider whose tenants cannot be created or deleted has a fixed
    /// set (Astra: the token's organization), where belonging to the tenant
    /// is having the account: removing the membership would delete the user.
    fn fixed_tenants(&self) -> bool {
        !self.caps.create_tenant && !self.caps.delete_tenant
    }
}

/// The members of the tenants planning needs: those listed, or every
/// tenant on a provider that allows one tenant per user.
async fn read_members(
    directory: &dyn Directory, tenants: &[Tenant], caps: &Capabilities, needs: &ReadNeeds,
) -> Result<Vec<roster_core::Membership>> {
    let single_tenant = caps.single_tenant_per_user();
    let read: Vec<TenantId> = tenants
        .iter()
        .filter(|t| single_tenant || needs.tenants.contains(&t.name))
        .map(|t| t.id.clone())
        .collect();
    directory.list_members_of(&read).await
}

/// The changes and notes of one provider's plan, as the passes add them.
#[derive(Default)]
struct Draft {
    changes: Vec<Change>,
    notes: Vec<Note>,
}

/// What planning read from one provider.
struct Reading {
    snapshot: Snapshot,
    /// The account the plan runs as, where pruning needs it and the
    /// provider can say.
    me: Option<EmailKey>,
    fingerprint: Fingerprint,
}

/// The reads of one provider's plan, and what is derived from them alone.
async fn read_provider(directory: &dyn Directory, needs: &ReadNeeds) -> Result<Reading> {
    let snapshot = Snapshot::read(directory, needs).await?;
    let me = if needs.prune {
        current_account(directory, &snapshot.caps).await
    } else {
        None
    };
    let fingerprint = fingerprint::of_snapshot(&snapshot);
    Ok(Reading {
        snapshot,
        me,
        fingerprint,
    })
}

/// Compares what was read with the section: the plan itself.
fn plan_reading(name: &str, reading: Reading, desired: &ProviderDesired) -> Result<ProviderPlan> {
    let Reading {
        snapshot,
        me,
        fingerprint,
    } = reading;
    let mut draft = Draft::default();
    plan_tenants(&snapshot, desired, &mut draft);
    plan_users(&snapshot, desired, &mut draft);
    if desired.prune {
        prune_users(&snapshot, desired, me.as_ref(), &mut draft);
    }
    plan_memberships(&snapshot, desired, &mut draft)?;

    let mut changes = draft.changes;
    changes.sort_by_key(Change::phase);
    let (users, tenants) = snapshot.into_ids();
    Ok(ProviderPlan {
        provider: name.to_owned(),
        changes,
        notes: draft.notes,
        fingerprint,
        users,
        tenants,
    })
}

async fn plan_provider(
    name: &str, directory: &dyn Directory, desired: &ProviderDesired,
) -> Result<ProviderPlan> {
    desired.check()?;
    let reading = read_provider(directory, &ReadNeeds::of(desired)).await?;
    plan_reading(name, reading, desired)
}

/// The tenant pass: create what is missing; with `prune`, delete what is
/// not listed, where the provider can.
fn plan_tenants(snapshot: &Snapshot, desired: &ProviderDesired, draft: &mut Draft) {
    for tenant in &desired.tenants {
        if !snapshot.tenant_names.contains(&tenant.name) {
            draft.changes.push(Change::CreateTenant {
                name: tenant.name.clone(),
            });
        }
    }
    if !desired.prune {
        return;
    }
    let wanted: HashSet<&str> = desired.tenants.iter().map(|t| t.name.as_str()).collect();
    for tenant in snapshot
        .tenants
        .iter()
        .filter(|t| !wanted.contains(t.name.as_str()))
    {
        if snapshot.caps.delete_tenant {
            draft.changes.push(Change::DeleteTenant {
                name: tenant.name.clone(),
            });
        } else {
            draft.notes.push(Note::TenantNotDeletable {
                tenant: tenant.name.clone(),
            });
        }
    }
}

/// The user pass: create who is missing, change the role or display name
/// of who differs, leaving out (as a note) what the provider cannot store.
fn plan_users(snapshot: &Snapshot, desired: &ProviderDesired, draft: &mut Draft) {
    let caps = &snapshot.caps;
    for wanted in &desired.users {
        let Some(actual) = snapshot.user(&lowercase(wanted.email.as_str())) else {
            let mut user = wanted.clone();
            if let Some(role) = user.role.take_if(|_| !caps.user_roles) {
                draft.notes.push(Note::NoUserRoles {
                    user: wanted.email.clone(),
                    role,
                });
            }
            if user
                .display_name
                .take_if(|_| !caps.user_display_name)
                .is_some()
            {
                draft.notes.push(Note::NoDisplayName {
                    user: wanted.email.clone(),
                    on_create: true,
                });
            }
            draft.changes.push(Change::CreateUser { user });
            continue;
        };
        let mut role = wanted
            .role
            .as_deref()
            .map(RoleSpec::parse)
            .filter(|role| !role.held_by(actual));
        if role.is_some() && !(caps.update_role && caps.user_roles) {
            draft.notes.push(Note::RoleNotChangeable {
                user: wanted.email.clone(),
                role: wanted.role.clone().unwrap_or_default(),
            });
            role = None;
        }
        let mut display_name = wanted
            .display_name
            .clone()
            .filter(|name| actual.display_name.as_ref() != Some(name));
        if display_name.is_some() && !(caps.user_display_name && caps.update_display_name) {
            draft.notes.push(Note::NoDisplayName {
                user: wanted.email.clone(),
                on_create: false,
            });
            display_name = None;
        }
        if role.is_some() || display_name.is_some() {
            draft.changes.push(Change::UpdateUser {
                email: wanted.email.clone(),
                role,
                display_name,
            });
        }
    }
}

/// The account the plan runs as, where the provider can say.
async fn current_account(directory: &dyn Directory, caps: &Capabilities) -> Option<EmailKey> {
    if !caps.current_user {
        return None;
    }
    let me = directory.current_user().await.ok()?;
    me.email.as_ref().map(EmailKey::of)
}

/// With `prune`: delete unlisted users, never the account the plan runs as.
fn prune_users(
    snapshot: &Snapshot, desired: &ProviderDesired, me: Option<&EmailKey>, draft: &mut Draft,
) {
    let wanted: HashSet<Cow<'_, str>> = desired
        .users
        .iter()
        .map(|u| lowercase(u.email.as_str()))
        .collect();
    for email in snapshot.users.iter().filter_map(|u| u.email.as_ref()) {
        let key = lowercase(email.as_str());
        if wanted.contains(&key) {
            continue;
        }
        if me.is_some_and(|me| me.0 == *key) {
            draft.notes.push(Note::CurrentAccount {
                user: email.clone(),
            });
        } else {
            draft.changes.push(Change::DeleteUser {
                email: email.clone(),
            });
        }
    }
}

/// The membership pass: add what is missing (as a move where a user may be
/// in one tenant only), change tenant roles in one write; with `prune`,
/// remove unlisted memberships of listed tenants.
fn plan_memberships<'a>(
    snapshot: &'a Snapshot, desired: &'a ProviderDesired, draft: &mut Draft,
) -> Result<()> {
    let caps = &snapshot.caps;
    // Every listed membership, built only once something needs it (a move
    // or pruning), not for a provider that already matches.
    let listed = || -> HashSet<PairKey<'a>> {
        desired
            .memberships
            .iter()
            .map(|m| (m.tenant.as_str(), lowercase(m.user.as_str())))
            .collect()
    };
    let mut wanted: Option<HashSet<PairKey<'a>>> = desired.prune.then(listed);
    let mut moved_out: HashSet<PairKey<'a>> = HashSet::new();
    for membership in &desired.memberships {
        let user = lowercase(membership.user.as_str());
        match snapshot.role_in(&membership.tenant, &user) {
            Some(role) if membership.role.is_none() || role == membership.role => {}
            Some(_) if caps.membership_roles => {
                // One write that sets the role, never a remove and an add
                // that a failure in between could split.
                draft.changes.push(Change::UpdateMember {
                    tenant: membership.tenant.clone(),
                    user: membership.user.clone(),
                    request: membership_request(membership),
                });
            }
            Some(_) => draft.notes.push(Note::NoTenantRoles {
                tenant: membership.tenant.clone(),
                user: membership.user.clone(),
            }),
            None => {
                let from = snapshot.tenant_of(&user).filter(|from| {
                    caps.single_tenant_per_user()
                        && !wanted
                            .get_or_insert_with(listed)
                            .contains(&(*from, user.clone()))
                });
                match from {
                    Some(from) => {
                        draft.changes.push(Change::MoveMember {
                            user: membership.user.clone(),
                            from: from.to_owned(),
                            to: membership.tenant.clone(),
                            request: membership_request(membership),
                        });
                        moved_out.insert((from, user));
                    }
                    None => draft.changes.push(Change::AddMember {
                        tenant: membership.tenant.clone(),
                        user: membership.user.clone(),
                        request: membership_request(membership),
                    }),
                }
            }
        }
    }
    if let Some(wanted) = wanted.filter(|_| desired.prune) {
        prune_memberships(snapshot, desired, &wanted, &moved_out, draft)?;
    }
    Ok(())
}

/// Only in listed tenants: an unlisted one is deleted whole, or kept.
fn prune_memberships(
    snapshot: &Snapshot, desired: &ProviderDesired, wanted: &HashSet<PairKey<'_>>,
    moved_out: &HashSet<PairKey<'_>>, draft: &mut Draft,
) -> Result<()> {
    let listed_tenants: HashSet<&str> = desired.tenants.iter().map(|t| t.name.as_str()).collect();
    let listed_users: HashSet<Cow<'_, str>> = desired
        .users
        .iter()
        .map(|u| lowercase(u.email.as_str()))
        .collect();
    let mut extra: Vec<(&str, &EmailKey)> = snapshot
        .memberships()
        .filter(|(tenant, user, _)| {
            let key = (*tenant, Cow::Borrowed(user.0.as_str()));
            listed_tenants.contains(tenant) && !wanted.contains(&key) && !moved_out.contains(&key)
        })
        .map(|(tenant, user, _)| (tenant, user))
        .collect();
    extra.sort();
    for (tenant, key) in extra {
        let user = snapshot
            .user(&key.0)
            .and_then(|u| u.email.clone())
            .ok_or_else(|| Error::new(ErrorKind::Unexpected, "a member without an email"))?;
        if snapshot.fixed_tenants() && listed_users.contains(key.0.as_str()) {
            draft.notes.push(Note::LeavingDeletesAccount {
                tenant: tenant.to_owned(),
                user,
            });
            continue;
        }
        draft.changes.push(Change::RemoveMember {
            tenant: tenant.to_owned(),
            user,
        });
    }
    Ok(())
}

fn membership_request(membership: &MembershipState) -> MembershipRequest {
    let mut request = MembershipRequest::new();
    if let Some(role) = membership.role {
        request = request.with_role(role);
    }
    if let Some(key) = &membership.wireguard_key {
        request = request.with_wireguard_key(key.clone());
    }
    request
}

/// Ids known so far: read while planning, plus those created by apply.
struct Ids {
    users: HashMap<String, UserId>,
    tenants: HashMap<String, TenantId>,
}

impl Ids {
    fn user(&self, email: &Email) -> Result<&UserId> {
        self.users.get(&email_key(email)).ok_or_else(|| {
            Error::not_found(format!(
                "user {email} does not exist (was its create skipped or failed?)"
            ))
        })
    }

    fn tenant(&self, name: &str) -> Result<&TenantId> {
        self.tenants.get(name).ok_or_else(|| {
            Error::not_found(format!(
                "tenant {name:?} does not exist (was its create skipped or failed?)"
            ))
        })
    }
}

/// What a change created, so later phases can find it.
enum Made {
    /// Not started: apply was stopped.
    NotStarted,
    Nothing,
    User(String, UserId, Option<roster_http::SecretString>),
    Tenant(String, TenantId),
}

fn changed_since_the_plan(error: Error) -> Error {
    error.with_context("changed since the plan (re-plan)")
}

/// Whether a change adds someone to a tenant (an add, a role change, a
/// move): what the one-tenant rule is checked for.
fn joins_a_tenant(change: &Change) -> bool {
    matches!(
        change,
        Change::AddMember { .. } | Change::UpdateMember { .. } | Change::MoveMember { .. }
    )
}

async fn apply_change(
    directory: &dyn Directory, ids: &Ids, whereabouts: Option<&Whereabouts>, change: &Change,
) -> Result<Made> {
    match change {
        Change::CreateTenant { name } => {
            let tenant = directory
                .create_tenant(&NewTenant::new(name.clone())?)
                .await?;
            Ok(Made::Tenant(name.clone(), tenant.value.id))
        }
        Change::CreateUser { user } => {
            let mut new = NewUser::new(user.email.clone());
            if let Some(role) = &user.role {
                new = new.with_role(RoleSpec::parse(role));
            }
            if let Some(name) = &user.display_name {
                new = new.with_display_name(name.clone());
            }
            let created = directory.create_user(&new).await?;
            Ok(Made::User(
                email_key(&user.email),
                created.value.id,
                created.secret,
            ))
        }
        Change::UpdateUser {
            email,
            role,
            display_name,
        } => {
            let mut update = UserUpdate::new();
            if let Some(role) = role {
                update = update.role(role.clone());
            }
            if let Some(name) = display_name {
                update = update.display_name(name.clone());
            }
            directory.update_user(ids.user(email)?, &update).await?;
            Ok(Made::Nothing)
        }
        Change::MoveMember {
            user: email,
            from: from_name,
            to: to_name,
            request,
        } => {
            let (user, from, to) = (
                ids.user(email)?,
                ids.tenant(from_name)?,
                ids.tenant(to_name)?,
            );
            let Some(whereabouts) = whereabouts else {
                directory.move_user(user, from, to, request).await?;
                return Ok(Made::Nothing);
            };
            let before = whereabouts
                .mv(user, from, to, email, (from_name, to_name))
                .map_err(changed_since_the_plan)?;
            let request = request.clone().with_known_tenants(before.iter().cloned());
            if let Err(error) = directory.move_user(user, from, to, &request).await {
                whereabouts.undo(user, before);
                return Err(error);
            }
            Ok(Made::Nothing)
        }
        Change::RemoveMember { tenant, user } => {
            let (tenant, user) = (ids.tenant(tenant)?, ids.user(user)?);
            directory.remove_member(tenant, user).await?;
            if let Some(whereabouts) = whereabouts {
                whereabouts.remove(user, tenant);
            }
            Ok(Made::Nothing)
        }
        Change::AddMember {
            tenant: name,
            user: email,
            request,
        }
        | Change::UpdateMember {
            tenant: name,
            user: email,
            request,
        } => {
            let (tenant, user) = (ids.tenant(name)?, ids.user(email)?);
            let Some(whereabouts) = whereabouts else {
                directory.add_member(tenant, user, request).await?;
                return Ok(Made::Nothing);
            };
            let before = whereabouts
                .add(user, tenant, email, name)
                .map_err(changed_since_the_plan)?;
            let request = request.clone().with_known_tenants(before.iter().cloned());
            if let Err(error) = directory.add_member(tenant, user, &request).await {
                whereabouts.undo(user, before);
                return Err(error);
            }
            Ok(Made::Nothing)
        }
        Change::DeleteUser { email } => {
            directory.delete_user(ids.user(email)?).await?;
            Ok(Made::Nothing)
        }
        Change::DeleteTenant { name } => {
            directory.delete_tenant(ids.tenant(name)?).await?;
            Ok(Made::Nothing)
        }
    }
}

async fn apply_provider(
    directory: &dyn Directory, plan: &ProviderPlan, options: &ApplyOptions,
) -> Vec<JournalEntry> {
    let mut ids = Ids {
        users: plan.users.clone(),
        tenants: plan.tenants.clone(),
    };
    let mut journal = Vec::with_capacity(plan.changes.len());
    let mut stopped = false;
    let single_tenant = directory.capabilities().single_tenant_per_user();
    let mut phases: BTreeMap<u8, Vec<&Change>> = BTreeMap::new();
    for change in &plan.changes {
        phases.entry(change.phase()).or_default().push(change);
    }
    for changes in phases.values() {
        if stopped {
            for change in changes {
                let entry = JournalEntry {
                    provider: plan.provider.clone(),
                    change: (*change).clone(),
                    outcome: ChangeOutcome::Skipped,
                    secret: None,
                };
                report(options, &entry);
                journal.push(entry);
            }
            continue;
        }
        // On a provider with one tenant per user, a phase that puts people
        // in tenants first reads where everyone is now, once: the world may
        // have changed since the plan, and the server would silently move
        // someone rather than refuse a second tenant.
        let whereabouts = if single_tenant && changes.iter().any(|c| joins_a_tenant(c)) {
            Whereabouts::read(directory).await
        } else {
            None
        };
        let (ids_now, whereabouts) = (&ids, whereabouts.as_ref());
        // With OnError::Stop, a failure starts no further change of this
        // provider, in this phase too (those in flight finish).
        let failed = AtomicBool::new(false);
        let failed = &failed;
        let results: Vec<(&Change, Result<Made>)> = futures::stream::iter(changes.iter())
            .map(|change| async move {
                let stop_here = options.on_error == OnError::Stop && failed.load(Ordering::SeqCst);
                if stop_here || options.stop.as_ref().is_some_and(StopSignal::is_stopped) {
                    return (*change, Ok(Made::NotStarted));
                }
                let result = apply_change(directory, ids_now, whereabouts, change).await;
                if result.is_err() {
                    failed.store(true, Ordering::SeqCst);
                }
                (*change, result)
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        let mut made = Vec::new();
        for (change, result) in results {
            let mut secret = None;
            let outcome = match result {
                Ok(Made::NotStarted) => ChangeOutcome::Skipped,
                Ok(mut created) => {
                    if let Made::User(_, _, one_time) = &mut created {
                        secret = one_time.take();
                    }
                    made.push(created);
                    ChangeOutcome::Done
                }
                Err(e) => {
                    if options.on_error == OnError::Stop {
                        stopped = true;
                    }
                    ChangeOutcome::Failed(e)
                }
            };
            let entry = JournalEntry {
                provider: plan.provider.clone(),
                change: change.clone(),
                outcome,
                secret,
            };
            report(options, &entry);
            journal.push(entry);
        }
        for created in made {
            match created {
                Made::User(email, id, _) => {
                    ids.users.insert(email, id);
                }
                Made::Tenant(name, id) => {
                    ids.tenants.insert(name, id);
                }
                Made::Nothing | Made::NotStarted => {}
            }
        }
    }
    journal
}

fn report(options: &ApplyOptions, entry: &JournalEntry) {
    if let Some(progress) = &options.progress {
        progress(entry);
    }
}
