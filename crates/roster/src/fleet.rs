//! Acting on every provider at once: offboard, onboard, move and audit a
//! person across a named set of configured providers.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use futures::future::join_all;
use roster_core::{
    CreateOutcome, Created, Directory, Email, Error, ErrorKind, Membership, MembershipDirectoryExt,
    MembershipRequest, NewUser, Operation, Result, RoleSpec, Tenant, TenantDirectoryExt, TenantId,
    User, UserDirectoryExt,
};

use crate::table::write_table;
use crate::whereabouts::Whereabouts;

/// A named set of configured providers, each held as an
/// `Arc<dyn Directory>` with whatever layers it was given.
///
/// Build one in code with [`Fleet::builder`], or from a config file with
/// [`Fleet::from_config`](crate::config::FleetConfig). Every operation runs
/// on the providers concurrently, and a failure on one never stops the
/// others: reports list every provider, in name order.
///
/// ```no_run
/// # async fn demo(iaas: roster::iaas::IaasClient) -> roster::Result<()> {
/// use std::sync::Arc;
/// use roster::layers::Stack;
/// use roster::{Email, Fleet};
///
/// let fleet = Fleet::builder()
///     .provider("iaas", Stack::default().apply(iaas))
///     .build()?;
/// let report = fleet.offboard(&Email::parse("leaver@example.com")?).await;
/// println!("{report}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Fleet {
    providers: BTreeMap<String, Arc<dyn Directory>>,
}

/// Collects the providers of a [`Fleet`].
#[derive(Default)]
pub struct FleetBuilder {
    providers: Vec<(String, Arc<dyn Directory>)>,
}

impl FleetBuilder {
    /// Adds a provider under `name` (the name reports and desired-state
    /// files use).
    pub fn provider(mut self, name: impl Into<String>, directory: Arc<dyn Directory>) -> Self {
        self.providers.push((name.into(), directory));
        self
    }

    /// The fleet; `InvalidInput` for an empty or repeated name.
    pub fn build(self) -> Result<Fleet> {
        let mut providers = BTreeMap::new();
        for (name, directory) in self.providers {
            if name.trim().is_empty() {
                return Err(Error::invalid_input("a fleet provider needs a name"));
            }
            if providers.insert(name.clone(), directory).is_some() {
                return Err(Error::invalid_input(format!(
                    "the fleet has two providers named {name:?}"
                )));
            }
        }
        Ok(Fleet { providers })
    }
}

impl fmt::Debug for Fleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.providers
                    .iter()
                    .map(|(name, directory)| (name, directory.provider_id())),
            )
            .finish()
    }
}

/// A person to onboard: who they are, everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Their email, which finds them on every provider.
    pub email: Email,
    /// A display name, kept where the provider keeps one.
    pub display_name: Option<String>,
}

impl Person {
    /// A person with this email.
    pub fn new(email: Email) -> Self {
        Person {
            email,
            display_name: None,
        }
    }

    /// Adds a display name.
    pub fn with_display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }
}

/// Where a person goes on one provider: an account (with a role) and the
/// tenants to join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The provider's name in the fleet.
    pub provider: String,
    /// Their role on that provider, if it has roles.
    pub role: Option<RoleSpec>,
    /// The tenants to join, by name, each with its membership request.
    pub tenants: Vec<(String, MembershipRequest)>,
}

impl Placement {
    /// An account on `provider`, in no tenant yet.
    pub fn new(provider: impl Into<String>) -> Self {
        Placement {
            provider: provider.into(),
            role: None,
            tenants: Vec::new(),
        }
    }

    /// Sets the role.
    pub fn role(mut self, role: impl Into<RoleSpec>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// Adds a tenant to join, by name.
    pub fn tenant(mut self, name: impl Into<String>, membership: MembershipRequest) -> Self {
        self.tenants.push((name.into(), membership));
        self
    }
}

/// What offboarding did on one provider.
#[derive(Debug)]
pub enum OffboardOutcome {
    /// The user was deleted.
    Removed(User),
    /// There was no user with that email.
    NotPresent,
    /// The provider cannot find or delete users with these credentials.
    Unsupported(Error),
    /// Something went wrong; the person may still be there.
    Failed(Error),
}

/// What happened to one person on each provider.
#[derive(Debug)]
pub struct Report<T> {
    /// The person.
    pub email: Email,
    /// One outcome per provider, in name order; none is left out.
    pub outcomes: Vec<(String, T)>,
}

/// The result of [`Fleet::offboard`].
pub type OffboardReport = Report<OffboardOutcome>;

impl OffboardReport {
    /// Whether the person is gone from every provider that could remove
    /// them (nothing failed).
    pub fn is_complete(&self) -> bool {
        !self
            .outcomes
            .iter()
            .any(|(_, outcome)| matches!(outcome, OffboardOutcome::Failed(_)))
    }
}

impl fmt::Display for OffboardReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Offboarding {}", self.email)?;
        let rows: Vec<Vec<String>> = self
            .outcomes
            .iter()
            .map(|(provider, outcome)| {
                let (what, detail) = match outcome {
                    OffboardOutcome::Removed(user) => ("removed", format!("user {}", user.id)),
                    OffboardOutcome::NotPresent => ("not present", String::new()),
                    OffboardOutcome::Unsupported(e) => ("unsupported", e.message().to_owned()),
                    OffboardOutcome::Failed(e) => ("FAILED", e.to_string()),
                };
                vec![provider.clone(), what.to_owned(), detail]
            })
            .collect();
        write_table(f, &["provider", "outcome", "detail"], &rows)
    }
}

/// What onboarding did on one provider.
#[derive(Debug)]
pub struct OnboardOutcome {
    /// The account: created, already there, or the error.
    pub user: Result<(User, CreateOutcome)>,
    /// Each tenant named in the placement.
    pub memberships: Vec<(String, MembershipOutcome)>,
    /// Parts of the request this provider cannot keep (such as a display
    /// name), said out loud rather than dropped.
    pub notes: Vec<String>,
    /// A one-time secret the provider handed out with a new account (such
    /// as NetBird's generated password): only here, never printed, logged
    /// or in `Debug`.
    pub secret: Option<roster_http::SecretString>,
}

/// What onboarding did for one tenant.
#[derive(Debug)]
pub enum MembershipOutcome {
    /// The person was added.
    Added,
    /// They were already a member; nothing was sent.
    AlreadyMember,
    /// It failed (an unknown tenant is `NotFound`).
    Failed(Error),
    /// Not tried, because the account could not be made.
    Skipped,
}

/// The result of [`Fleet::onboard`].
pub type OnboardReport = Report<OnboardOutcome>;

impl OnboardReport {
    /// Whether every account and membership is in place.
    pub fn is_complete(&self) -> bool {
        self.outcomes.iter().all(|(_, outcome)| {
            outcome.user.is_ok()
                && outcome.memberships.iter().all(|(_, m)| {
                    matches!(
                        m,
                        MembershipOutcome::Added | MembershipOutcome::AlreadyMember
                    )
                })
        })
    }

    /// How many things were changed (accounts made, memberships added).
    pub fn changes(&self) -> usize {
        self.outcomes
            .iter()
            .map(|(_, outcome)| {
                let created = matches!(
                    outcome.user,
                    Ok((_, CreateOutcome::Created | CreateOutcome::InvitationResent))
                );
                usize::from(created)
                    + outcome
                        .memberships
                        .iter()
                        .filter(|(_, m)| matches!(m, MembershipOutcome::Added))
                        .count()
            })
            .sum()
    }
}

impl fmt::Display for OnboardReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Onboarding {}", self.email)?;
        let mut rows = Vec::new();
        for (provider, outcome) in &self.outcomes {
            let account = match &outcome.user {
                Ok((user, how)) => format!("{} ({})", how_created(*how), user.id),
                Err(e) => format!("FAILED: {e}"),
            };
            rows.push(vec![provider.clone(), "account".into(), account]);
            for (tenant, membership) in &outcome.memberships {
                let what = match membership {
                    MembershipOutcome::Added => "added".to_owned(),
                    MembershipOutcome::AlreadyMember => "already a member".to_owned(),
                    MembershipOutcome::Failed(e) => format!("FAILED: {e}"),
                    MembershipOutcome::Skipped => "skipped".to_owned(),
                };
                rows.push(vec![provider.clone(), format!("tenant {tenant}"), what]);
            }
            for note in &outcome.notes {
                rows.push(vec![provider.clone(), "note".into(), note.clone()]);
            }
        }
        write_table(f, &["provider", "what", "outcome"], &rows)
    }
}

fn how_created(outcome: CreateOutcome) -> &'static str {
    match outcome {
        CreateOutcome::Created => "created",
        CreateOutcome::AlreadyPresent => "already there",
        CreateOutcome::InvitationResent => "invitation re-sent",
        CreateOutcome::Adopted => "adopted",
        _ => "done",
    }
}

/// Where a person is on one provider.
#[derive(Debug)]
pub enum AuditOutcome {
    /// They have an account.
    Present {
        /// The account, with its role and status.
        user: User,
        /// The names of their tenants; `None` when the provider cannot
        /// list a user's memberships.
        tenants: Option<Vec<String>>,
    },
    /// No account with that email.
    NotPresent,
    /// The provider cannot list users with these credentials.
    Unsupported(Error),
    /// The provider could not be read.
    Failed(Error),
}

/// The result of [`Fleet::audit`].
pub type AuditReport = Report<AuditOutcome>;

impl AuditReport {
    /// The providers where the person has an account.
    pub fn present(&self) -> impl Iterator<Item = &str> {
        self.outcomes
            .iter()
            .filter(|(_, o)| matches!(o, AuditOutcome::Present { .. }))
            .map(|(name, _)| name.as_str())
    }

    /// The providers that could not be asked: whether the person is there
    /// is unknown (never to be read as absent).
    pub fn unknown(&self) -> impl Iterator<Item = &str> {
        self.outcomes
            .iter()
            .filter(|(_, o)| matches!(o, AuditOutcome::Failed(_)))
            .map(|(name, _)| name.as_str())
    }
}

impl fmt::Display for AuditReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Where {} is", self.email)?;
        let rows: Vec<Vec<String>> = self
            .outcomes
            .iter()
            .map(|(provider, outcome)| match outcome {
                AuditOutcome::Present { user, tenants } => vec![
                    provider.clone(),
                    user.status.to_string(),
                    user.raw_role
                        .clone()
                        .or_else(|| user.role.map(|r| r.to_string()))
                        .unwrap_or_else(|| "-".into()),
                    match tenants {
                        Some(names) if names.is_empty() => "-".into(),
                        Some(names) => names.join(", "),
                        None => "(cannot list)".into(),
                    },
                ],
                AuditOutcome::NotPresent => {
                    vec![
                        provider.clone(),
                        "not present".into(),
                        String::new(),
                        String::new(),
                    ]
                }
                AuditOutcome::Unsupported(e) => {
                    vec![
                        provider.clone(),
                        "unsupported".into(),
                        e.message().to_owned(),
                        String::new(),
                    ]
                }
                // Never "not present": the provider could not be asked.
                AuditOutcome::Failed(e) => {
                    vec![
                        provider.clone(),
                        "unknown".into(),
                        e.to_string(),
                        String::new(),
                    ]
                }
            })
            .collect();
        write_table(f, &["provider", "status", "role", "tenants"], &rows)
    }
}

impl Fleet {
    /// Starts a fleet.
    pub fn builder() -> FleetBuilder {
        FleetBuilder::default()
    }

    /// The providers' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }

    /// One provider, by name.
    pub fn provider(&self, name: &str) -> Option<&Arc<dyn Directory>> {
        self.providers.get(name)
    }

    pub(crate) fn require(&self, name: &str) -> Result<&Arc<dyn Directory>> {
        self.providers.get(name).ok_or_else(|| {
            Error::not_found(format!(
                "the fleet has no provider {name:?} (it has {})",
                self.names().collect::<Vec<_>>().join(", ")
            ))
        })
    }

    /// Removes the person from every provider, concurrently: finds their
    /// account by email and deletes it (which also ends their
    /// memberships). Every provider gets an outcome in the report, and a
    /// failure on one never stops the others.
    pub async fn offboard(&self, email: &Email) -> OffboardReport {
        let outcomes = join_all(self.providers.iter().map(|(name, directory)| async move {
            (name.clone(), offboard_one(directory.as_ref(), email).await)
        }))
        .await;
        Report {
            email: email.clone(),
            outcomes,
        }
    }

    /// Removes many people from every provider, as [`offboard`](Fleet::offboard)
    /// does for one, but finds them all with one read of each provider's
    /// user list (page by page, keeping only the users named, so memory
    /// stays bounded by a page and the people found) rather than one
    /// lookup per person; then deletes each one found, a few at a time
    /// ([`BULK_WRITES_AT_ONCE`]). The per-person cost is the delete alone.
    ///
    /// One report per email, in the order given. An email listed twice
    /// (in any letter case) is `InvalidInput`, and nothing is sent. If a
    /// provider's user list cannot be read, every person's outcome there is
    /// that failure.
    pub async fn offboard_many(&self, emails: &[Email]) -> Result<Vec<OffboardReport>> {
        self.offboard_many_with(emails, &BulkOptions::default())
            .await
    }

    /// [`offboard_many`](Fleet::offboard_many) with `options`: how many
    /// deletes go out at once on each provider, and a callback told of each
    /// person's outcome on each provider as it is known (for a progress
    /// bar: there are `emails.len()` × providers calls in all).
    pub async fn offboard_many_with(
        &self, emails: &[Email], options: &BulkOptions,
    ) -> Result<Vec<OffboardReport>> {
        let wanted = email_index(emails.iter())?;
        let per_provider = join_all(self.providers.iter().map(|(name, directory)| {
            let wanted = &wanted;
            async move {
                let outcomes =
                    offboard_all(directory.as_ref(), emails, wanted, options, name).await;
                (name.clone(), outcomes)
            }
        }))
        .await;
        Ok(transpose(emails.to_vec(), per_provider))
    }

    /// Onboards many people, as [`onboard`](Fleet::onboard) does for one,
    /// with each provider read once for all of them, not once per person:
    /// one user-list read finds who has an account, one tenant read (IaaS:
    /// the tenant list, which carries the members) finds the tenants and
    /// who is in them. Then, per person, only the writes: a create where the
    /// account is missing, an add per membership they lack, a few people at
    /// a time ([`BULK_WRITES_AT_ONCE`]). On a provider that allows one
    /// tenant per user, each add is checked against that read (and the
    /// adapter is handed it, [`MembershipRequest::known_tenants`]), so a
    /// person already in another tenant is refused with `Conflict`, not
    /// moved. Running it again changes nothing.
    ///
    /// One report per person, in the order given. A person listed twice, a
    /// provider placed twice for one person, or an unknown provider is
    /// `InvalidInput` (`NotFound` for the provider), and nothing is sent.
    pub async fn onboard_many(
        &self, people: &[(Person, Vec<Placement>)],
    ) -> Result<Vec<OnboardReport>> {
        email_index(people.iter().map(|(person, _)| &person.email))?;
        for (_, placements) in people {
            self.check_placements(placements)?;
        }
        let per_provider = join_all(self.providers.iter().map(|(name, directory)| async move {
            // Who is placed here, with their placement.
            let placed: Vec<(usize, &Person, &Placement)> = people
                .iter()
                .enumerate()
                .filter_map(|(i, (person, placements))| {
                    placements
                        .iter()
                        .find(|p| &p.provider == name)
                        .map(|placement| (i, person, placement))
                })
                .collect();
            let outcomes = onboard_all(directory.as_ref(), &placed).await;
            (name.clone(), outcomes)
        }))
        .await;
        let mut reports: Vec<OnboardReport> = people
            .iter()
            .map(|(person, _)| Report {
                email: person.email.clone(),
                outcomes: Vec::new(),
            })
            .collect();
        for (name, outcomes) in per_provider {
            for (i, outcome) in outcomes {
                reports[i].outcomes.push((name.clone(), outcome));
            }
        }
        Ok(reports)
    }

    /// Refuses unknown providers and a provider placed twice.
    fn check_placements(&self, placements: &[Placement]) -> Result<()> {
        let mut seen = HashMap::new();
        for placement in placements {
            self.require(&placement.provider)?;
            if seen.insert(placement.provider.as_str(), ()).is_some() {
                return Err(Error::invalid_input(format!(
                    "{} is placed twice; give one placement per provider",
                    placement.provider
                )));
            }
        }
        Ok(())
    }

    /// Gives the person an account on each provider in `placements`
    /// (creating it only where missing, never a duplicate) and adds the
    /// tenant memberships they lack. Running it again changes nothing.
    /// Providers run concurrently; unknown provider names are refused
    /// before anything is sent.
    pub async fn onboard(
        &self, person: &Person, placements: &[Placement],
    ) -> Result<OnboardReport> {
        self.check_placements(placements)?;
        let mut outcomes = join_all(placements.iter().map(|placement| async move {
            let directory = &self.providers[&placement.provider];
            (
                placement.provider.clone(),
                onboard_one(directory.as_ref(), person, placement).await,
            )
        }))
        .await;
        outcomes.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Report {
            email: person.email.clone(),
            outcomes,
        })
    }

    /// Moves the person between two tenants (by name) on one provider,
    /// with that provider's own move: NetBird swaps the group in one
    /// write; the IaaS API (one tenant per user) removes, then adds with
    /// `request`, which carries the WireGuard key so it is kept; others
    /// remove and add, putting the user back if the add fails.
    pub async fn move_user(
        &self, provider: &str, email: &Email, from: &str, to: &str, request: &MembershipRequest,
    ) -> Result<Membership> {
        let directory = self.require(provider)?;
        let in_move = |e: Error| e.with_operation(Operation::MoveMember);
        let user = directory.find_user_by_email(email).await?.ok_or_else(|| {
            in_move(Error::not_found(format!(
                "{email} has no account on {provider}"
            )))
        })?;
        let from = find_tenant(directory.as_ref(), from).await?;
        let to = find_tenant(directory.as_ref(), to).await?;
        directory
            .move_user(&user.id, &from.id, &to.id, request)
            .await
    }

    /// Where the person has an account, with their role, status and
    /// tenants, on every provider, concurrently.
    pub async fn audit(&self, email: &Email) -> AuditReport {
        let outcomes = join_all(self.providers.iter().map(|(name, directory)| async move {
            (name.clone(), audit_one(directory.as_ref(), email).await)
        }))
        .await;
        Report {
            email: email.clone(),
            outcomes,
        }
    }

    /// Where each of many people is, as [`audit`](Fleet::audit) says for
    /// one, but found with one read of each provider's user list (keeping
    /// only the users named) rather than one lookup per person; each
    /// person found then costs what `audit` spends on their tenants.
    ///
    /// One report per email, in the order given. An email listed twice
    /// (in any letter case) is `InvalidInput`, and nothing is sent. If a
    /// provider's user list cannot be read, every person's outcome there is
    /// that failure (or `Unsupported`).
    pub async fn audit_many(&self, emails: &[Email]) -> Result<Vec<AuditReport>> {
        let wanted = email_index(emails.iter())?;
        let per_provider = join_all(self.providers.iter().map(|(name, directory)| {
            let wanted = &wanted;
            async move {
                (
                    name.clone(),
                    audit_all(directory.as_ref(), emails, wanted).await,
                )
            }
        }))
        .await;
        Ok(transpose(emails.to_vec(), per_provider))
    }
}

/// Audits everyone in `emails` on one provider: one user-list read, then
/// the tenants of each person found, a few at a time.
async fn audit_all(
    directory: &dyn Directory, emails: &[Email], wanted: &HashMap<String, usize>,
) -> Vec<AuditOutcome> {
    use futures::StreamExt;
    let mut found = match find_all(directory, wanted).await {
        Ok(found) => found,
        Err(e) => {
            let unsupported = e.kind() == ErrorKind::Unsupported;
            return emails
                .iter()
                .map(|_| {
                    let e = for_each_person(&e, "reading the user list");
                    if unsupported {
                        AuditOutcome::Unsupported(e)
                    } else {
                        AuditOutcome::Failed(e)
                    }
                })
                .collect();
        }
    };
    let reads = (0..emails.len()).map(|i| {
        let user = found.remove(&i);
        async move {
            match user {
                None => AuditOutcome::NotPresent,
                Some(user) => audit_found(directory, user).await,
            }
        }
    });
    futures::stream::iter(reads)
        .buffered(BULK_WRITES_AT_ONCE)
        .collect()
        .await
}

/// How many people's writes the bulk operations send at once on one
/// provider ([`Fleet::offboard_many`], [`Fleet::onboard_many`]); layers
/// around a provider still apply their own concurrency and rate limits.
pub const BULK_WRITES_AT_ONCE: usize = 8;

/// A callback told of one person's outcome on one provider: the provider's
/// name and the person's email.
pub type BulkProgress = Arc<dyn Fn(&str, &Email) + Send + Sync>;

/// How [`Fleet::offboard_many_with`] runs.
#[derive(Clone)]
#[non_exhaustive]
pub struct BulkOptions {
    /// How many people's writes go out at once on one provider (at least
    /// one); layers around a provider still apply their own limits.
    pub writes_at_once: usize,
    /// Told of each person's outcome on each provider as it is known.
    pub progress: Option<BulkProgress>,
}

impl Default for BulkOptions {
    fn default() -> Self {
        BulkOptions {
            writes_at_once: BULK_WRITES_AT_ONCE,
            progress: None,
        }
    }
}

impl BulkOptions {
    /// At most `writes` people's writes at once on one provider.
    pub fn writes_at_once(mut self, writes: usize) -> Self {
        self.writes_at_once = writes.max(1);
        self
    }

    /// Calls `progress` with each person's outcome on each provider.
    pub fn progress(mut self, progress: impl Fn(&str, &Email) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    fn tell(&self, provider: &str, email: &Email) {
        if let Some(progress) = &self.progress {
            progress(provider, email);
        }
    }
}

impl fmt::Debug for BulkOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkOptions")
            .field("writes_at_once", &self.writes_at_once)
            .field("progress", &self.progress.as_ref().map(|_| "callback"))
            .finish()
    }
}

/// Emails by their case-folded form, with their position; `InvalidInput`
/// for one listed twice.
fn email_index<'a>(emails: impl Iterator<Item = &'a Email>) -> Result<HashMap<String, usize>> {
    let mut index = HashMap::new();
    for (i, email) in emails.enumerate() {
        if index.insert(email.as_str().to_lowercase(), i).is_some() {
            return Err(Error::invalid_input(format!("{email} is listed twice")));
        }
    }
    Ok(index)
}

/// The users of `directory` whose email is in `wanted`, by position, from
/// one walk of the user list that keeps nothing else.
async fn find_all(
    directory: &dyn Directory, wanted: &HashMap<String, usize>,
) -> Result<HashMap<usize, User>> {
    use futures::TryStreamExt;
    let mut found = HashMap::new();
    let mut users = directory.list_users();
    while let Some(user) = users.try_next().await? {
        let position = user
            .email
            .as_ref()
            .and_then(|email| wanted.get(&email.as_str().to_lowercase()));
        if let Some(&position) = position {
            found.insert(position, user);
        }
    }
    Ok(found)
}

/// One error, told to each person it stopped (the error itself is not
/// `Clone`: its source is shared by none).
fn for_each_person(error: &Error, what: &str) -> Error {
    let mut copy = Error::new(error.kind(), format!("{what}: {}", error.message()));
    if let Some(provider) = error.provider() {
        copy = copy.with_provider(provider);
    }
    if let Some(operation) = error.operation() {
        copy = copy.with_operation(operation);
    }
    if let Some(status) = error.status() {
        copy = copy.with_status(status);
    }
    copy
}

/// Offboards everyone in `emails` from one provider.
async fn offboard_all(
    directory: &dyn Directory, emails: &[Email], wanted: &HashMap<String, usize>,
    options: &BulkOptions, provider: &str,
) -> Vec<OffboardOutcome> {
    use futures::StreamExt;
    let mut found = match find_all(directory, wanted).await {
        Ok(found) => found,
        Err(e) => {
            let unsupported = e.kind() == ErrorKind::Unsupported;
            return emails
                .iter()
                .map(|email| {
                    options.tell(provider, email);
                    let e = for_each_person(&e, "reading the user list");
                    if unsupported {
                        OffboardOutcome::Unsupported(e)
                    } else {
                        OffboardOutcome::Failed(e)
                    }
                })
                .collect();
        }
    };
    let deletes = emails.iter().enumerate().map(|(i, email)| {
        let user = found.remove(&i);
        async move {
            let outcome = match user {
                None => OffboardOutcome::NotPresent,
                Some(user) => delete_found(directory, user).await,
            };
            options.tell(provider, email);
            outcome
        }
    });
    futures::stream::iter(deletes)
        .buffered(options.writes_at_once.max(1))
        .collect()
        .await
}

/// One report per person out of one outcome list per provider (each in
/// the people's order).
fn transpose<T>(emails: Vec<Email>, per_provider: Vec<(String, Vec<T>)>) -> Vec<Report<T>> {
    let mut reports: Vec<Report<T>> = emails
        .into_iter()
        .map(|email| Report {
            email,
            outcomes: Vec::new(),
        })
        .collect();
    for (name, outcomes) in per_provider {
        for (report, outcome) in reports.iter_mut().zip(outcomes) {
            report.outcomes.push((name.clone(), outcome));
        }
    }
    reports
}

/// Onboards everyone `placed` on one provider: one read of the users, one
/// of the tenants and their members, then each person's writes.
async fn onboard_all(
    directory: &dyn Directory, placed: &[(usize, &Person, &Placement)],
) -> Vec<(usize, OnboardOutcome)> {
    use futures::StreamExt;
    if placed.is_empty() {
        return Vec::new();
    }
    let wanted: HashMap<String, usize> = placed
        .iter()
        .enumerate()
        .map(|(slot, (_, person, _))| (person.email.as_str().to_lowercase(), slot))
        .collect();
    let needs_tenants = placed.iter().any(|(_, _, p)| !p.tenants.is_empty());
    let (users, tenants) = futures::join!(find_all(directory, &wanted), async {
        if needs_tenants {
            Some(TenantsNow::read(directory).await)
        } else {
            None
        }
    });
    let mut users = match users {
        Ok(users) => users,
        Err(e) => {
            // Nobody can be placed without knowing who is there already.
            return placed
                .iter()
                .map(|(i, _, placement)| {
                    let outcome = OnboardOutcome {
                        user: Err(for_each_person(&e, "reading the user list")),
                        memberships: placement
                            .tenants
                            .iter()
                            .map(|(tenant, _)| (tenant.clone(), MembershipOutcome::Skipped))
                            .collect(),
                        notes: Vec::new(),
                        secret: None,
                    };
                    (*i, outcome)
                })
                .collect();
        }
    };
    let tenants = tenants.as_ref();
    let work = placed
        .iter()
        .enumerate()
        .map(|(slot, (i, person, placement))| {
            let existing = users.remove(&slot);
            async move {
                let outcome = onboard_found(directory, person, placement, existing, tenants).await;
                (*i, outcome)
            }
        });
    futures::stream::iter(work)
        .buffered(BULK_WRITES_AT_ONCE)
        .collect()
        .await
}

/// The tenants of a provider, by name, and who is in them, as
/// [`Fleet::onboard_many`] read them once.
struct TenantsNow {
    by_name: Result<HashMap<String, TenantId>>,
    /// Where everyone is, kept up to date as people are added; `None`
    /// where the members could not be read (each add then checks for
    /// itself).
    whereabouts: Option<Whereabouts>,
    single_tenant: bool,
}

impl TenantsNow {
    async fn read(directory: &dyn Directory) -> TenantsNow {
        let caps = directory.capabilities();
        let single_tenant = caps.single_tenant_per_user();
        let (by_name, whereabouts) = match directory.list_tenants_with_members().await {
            Ok(Some(both)) => {
                let names = both
                    .tenants
                    .iter()
                    .map(|t| (t.name.clone(), t.id.clone()))
                    .collect();
                (
                    Ok(names),
                    Some(Whereabouts::from_members(directory, both.members)),
                )
            }
            _ => match all_tenants(directory).await {
                Err(e) => (Err(e), None),
                Ok(tenants) => {
                    let ids: Vec<TenantId> = tenants.iter().map(|t| t.id.clone()).collect();
                    let whereabouts = if caps.list_members {
                        directory
                            .list_members_of(&ids)
                            .await
                            .ok()
                            .map(|members| Whereabouts::from_members(directory, members))
                    } else {
                        None
                    };
                    let names = tenants.into_iter().map(|t| (t.name, t.id)).collect();
                    (Ok(names), whereabouts)
                }
            },
        };
        TenantsNow {
            by_name,
            whereabouts,
            single_tenant,
        }
    }
}

/// One person's onboarding on one provider, with what was read for all.
async fn onboard_found(
    directory: &dyn Directory, person: &Person, placement: &Placement, existing: Option<User>,
    tenants: Option<&TenantsNow>,
) -> OnboardOutcome {
    let (new_user, mut notes) = new_user_for(directory, person, placement);
    let created = match existing {
        Some(user) => Ok(Created::with_outcome(user, CreateOutcome::AlreadyPresent)),
        None => match directory.create_user(&new_user).await {
            // Created by someone else since the read: adopt it, as
            // `ensure_user` does.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                directory.ensure_user(&new_user).await
            }
            created => created,
        },
    };
    let (user, secret) = split_secret(created);
    role_note(&user, placement, &mut notes);
    let memberships = match (&user, tenants) {
        (Err(_), _) => placement
            .tenants
            .iter()
            .map(|(tenant, _)| (tenant.clone(), MembershipOutcome::Skipped))
            .collect(),
        (Ok(_), None) => Vec::new(),
        (Ok((user, _)), Some(tenants)) => {
            let mut outcomes = Vec::new();
            for (name, request) in &placement.tenants {
                let outcome =
                    match join_known(directory, &user.id, &person.email, name, request, tenants)
                        .await
                    {
                        Ok(true) => MembershipOutcome::Added,
                        Ok(false) => MembershipOutcome::AlreadyMember,
                        Err(e) => MembershipOutcome::Failed(e),
                    };
                outcomes.push((name.clone(), outcome));
            }
            outcomes
        }
    };
    OnboardOutcome {
        user,
        memberships,
        notes,
        secret,
    }
}

/// Adds the user to the tenant named `name` unless the read shows them in
/// it; says whether anything was added.
async fn join_known(
    directory: &dyn Directory, user: &roster_core::UserId, email: &Email, name: &str,
    request: &MembershipRequest, tenants: &TenantsNow,
) -> Result<bool> {
    let by_name = tenants
        .by_name
        .as_ref()
        .map_err(|e| for_each_person(e, "reading the tenants"))?;
    let tenant = by_name
        .get(name)
        .ok_or_else(|| Error::not_found(format!("no tenant named {name:?}")))?;
    let Some(whereabouts) = &tenants.whereabouts else {
        // The members could not be read: ask as `onboard` does.
        let current = current_tenants(directory, user).await.ok().flatten();
        return join_tenant(directory, user, name, request, &current).await;
    };
    if whereabouts.is_in(user, tenant) {
        return Ok(false);
    }
    if !tenants.single_tenant {
        directory.add_member(tenant, user, request).await?;
        whereabouts.joined(user, tenant);
        return Ok(true);
    }
    let before = whereabouts.add(user, tenant, email, name)?;
    let request = request.clone().with_known_tenants(before.iter().cloned());
    if let Err(error) = directory.add_member(tenant, user, &request).await {
        whereabouts.undo(user, before);
        return Err(error);
    }
    Ok(true)
}

async fn find_tenant(directory: &dyn Directory, name: &str) -> Result<Tenant> {
    directory
        .find_tenant_by_name(name)
        .await?
        .ok_or_else(|| Error::not_found(format!("no tenant named {name:?}")))
}

async fn offboard_one(directory: &dyn Directory, email: &Email) -> OffboardOutcome {
    let user = match directory.find_user_by_email(email).await {
        Ok(Some(user)) => user,
        Ok(None) => return OffboardOutcome::NotPresent,
        Err(e) if e.kind() == ErrorKind::Unsupported => return OffboardOutcome::Unsupported(e),
        Err(e) => return OffboardOutcome::Failed(e),
    };
    delete_found(directory, user).await
}

/// Deletes a user just found.
async fn delete_found(directory: &dyn Directory, user: User) -> OffboardOutcome {
    match directory.delete_user(&user.id).await {
        Ok(()) => OffboardOutcome::Removed(user),
        // Gone between the lookup and the delete: someone else was faster.
        Err(e) if e.kind() == ErrorKind::NotFound => OffboardOutcome::NotPresent,
        Err(e) if e.kind() == ErrorKind::Unsupported => OffboardOutcome::Unsupported(e),
        Err(e) => OffboardOutcome::Failed(e),
    }
}

async fn onboard_one(
    directory: &dyn Directory, person: &Person, placement: &Placement,
) -> OnboardOutcome {
    let (new_user, mut notes) = new_user_for(directory, person, placement);
    let (user, secret) = split_secret(directory.ensure_user(&new_user).await);
    role_note(&user, placement, &mut notes);
    let memberships = match &user {
        Err(_) => placement
            .tenants
            .iter()
            .map(|(tenant, _)| (tenant.clone(), MembershipOutcome::Skipped))
            .collect(),
        Ok((user, _)) => {
            let mut outcomes = Vec::new();
            // If the user's memberships cannot be read, each tenant's members
            // are checked instead.
            let current = current_tenants(directory, &user.id).await.ok().flatten();
            for (name, request) in &placement.tenants {
                let outcome = match join_tenant(directory, &user.id, name, request, &current).await
                {
                    Ok(true) => MembershipOutcome::Added,
                    Ok(false) => MembershipOutcome::AlreadyMember,
                    Err(e) => MembershipOutcome::Failed(e),
                };
                outcomes.push((name.clone(), outcome));
            }
            outcomes
        }
    };
    OnboardOutcome {
        user,
        memberships,
        notes,
        secret,
    }
}

/// The account and how it came about, apart from its one-time secret.
fn split_secret(
    created: Result<Created<User>>,
) -> (
    Result<(User, CreateOutcome)>,
    Option<roster_http::SecretString>,
) {
    match created {
        Ok(mut created) => {
            let secret = created.secret.take();
            (Ok((created.value, created.outcome)), secret)
        }
        Err(e) => (Err(e), None),
    }
}

/// The account to create for `person` on this provider, and notes on what
/// it cannot keep.
fn new_user_for(
    directory: &dyn Directory, person: &Person, placement: &Placement,
) -> (NewUser, Vec<String>) {
    let caps = directory.capabilities();
    let mut notes = Vec::new();
    let mut new_user = NewUser::new(person.email.clone());
    if let Some(name) = &person.display_name {
        if caps.user_display_name {
            new_user = new_user.with_display_name(name.clone());
        } else {
            notes.push(format!(
                "display name {name:?} not kept: this provider stores none"
            ));
        }
    }
    if let Some(role) = &placement.role {
        new_user = new_user.with_role(role.clone());
    }
    (new_user, notes)
}

/// Says so when an existing account keeps a role other than the one asked.
fn role_note(user: &Result<(User, CreateOutcome)>, placement: &Placement, notes: &mut Vec<String>) {
    if let (Ok((existing, CreateOutcome::AlreadyPresent)), Some(role)) = (user, &placement.role)
        && !role.held_by(existing)
    {
        notes.push(format!(
            "the existing account keeps its role {}; onboarding does not change roles \
             (plan and apply does)",
            existing.raw_role.as_deref().unwrap_or("(none)")
        ));
    }
}

/// The tenants the user is in; `None` where the provider cannot say (one
/// request where it can).
async fn current_tenants(
    directory: &dyn Directory, user: &roster_core::UserId,
) -> Result<Option<Vec<TenantId>>> {
    if !directory.capabilities().list_user_memberships {
        return Ok(None);
    }
    let memberships = directory.list_user_memberships(user).await?;
    Ok(Some(memberships.into_iter().map(|m| m.tenant).collect()))
}

/// Adds the user to the tenant named `name` unless they are in it; says
/// whether anything was added.
async fn join_tenant(
    directory: &dyn Directory, user: &roster_core::UserId, name: &str, request: &MembershipRequest,
    current: &Option<Vec<TenantId>>,
) -> Result<bool> {
    let tenant = find_tenant(directory, name).await?;
    let member = match current {
        Some(tenants) => tenants.contains(&tenant.id),
        None => directory.find_member(&tenant.id, user).await?.is_some(),
    };
    if member {
        return Ok(false);
    }
    directory.add_member(&tenant.id, user, request).await?;
    Ok(true)
}

async fn audit_one(directory: &dyn Directory, email: &Email) -> AuditOutcome {
    let user = match directory.find_user_by_email(email).await {
        Ok(Some(user)) => user,
        Ok(None) => return AuditOutcome::NotPresent,
        Err(e) if e.kind() == ErrorKind::Unsupported => return AuditOutcome::Unsupported(e),
        Err(e) => return AuditOutcome::Failed(e),
    };
    audit_found(directory, user).await
}

/// Where a found user is: their tenants by name, read as [`audit_one`] does.
async fn audit_found(directory: &dyn Directory, user: User) -> AuditOutcome {
    let tenants = match current_tenants(directory, &user.id).await {
        Err(e) => return AuditOutcome::Failed(e),
        Ok(None) => None,
        Ok(Some(ids)) => {
            let names: HashMap<TenantId, String> = match all_tenants(directory).await {
                Ok(tenants) => tenants.into_iter().map(|t| (t.id, t.name)).collect(),
                Err(e) => return AuditOutcome::Failed(e),
            };
            Some(
                ids.into_iter()
                    .map(|id| names.get(&id).cloned().unwrap_or_else(|| id.to_string()))
                    .collect(),
            )
        }
    };
    AuditOutcome::Present { user, tenants }
}

/// A provider's whole tenant list.
pub(crate) async fn all_tenants(directory: &dyn Directory) -> Result<Vec<Tenant>> {
    use futures::TryStreamExt;
    directory.list_tenants().try_collect().await
}

/// A provider's whole user list.
pub(crate) async fn all_users(directory: &dyn Directory) -> Result<Vec<User>> {
    use futures::TryStreamExt;
    directory.list_users().try_collect().await
}
