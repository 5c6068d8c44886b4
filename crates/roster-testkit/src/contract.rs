//! The behaviour suite every adapter runs against its emulator.
//!
//! Each check is a `pub async fn` taking a [`Subject`] (the adapter as a
//! `&dyn Directory` plus a way to count the requests that reached the
//! server) and returning a [`CheckOutcome`]. Checks read [`Capabilities`]
//! first: a check whose operation the adapter does not offer answers
//! [`CheckOutcome::Skipped`] with the capability that is off, and
//! [`unsupported_is_error`] checks the other side, that every operation it
//! does not offer answers `Unsupported` without sending anything. A check
//! fails by panicking, with the adapter's name in the message.
//!
//! An adapter runs the whole suite with one line per emulator setup (see
//! [`contract_tests!`]):
//!
//! ```text
//! roster_testkit::contract_tests!(crate::setup);
//! ```
//!
//! where `setup` is an `async fn() -> (Emulator<M>, Arc<dyn Directory>)`.
//! That line adds two tests: `contract_suite` runs every check in
//! [`CHECKS`] against the adapter as `setup` built it, and
//! `contract_suite_through_default_stack` runs them again through
//! [`Stack::default()`]. Each check gets a fresh emulator. Each test
//! prints one line per check and a summary (see [`SuiteReport`]) such as
//!
//! ```text
//! contract suite: adverity, setup bare_array_user_list, adapter alone
//!   ok       capabilities_are_consistent
//!   skipped  tenant_roles_of_memberships: capability off: membership_roles
//!   …
//! adverity (bare_array_user_list, adapter alone): 12 passed, 0 failed, 3 skipped
//! ```
//!
//! on standard error, past the test harness's capture, so skipped checks
//! are visible on every run, not only when something fails. The test fails
//! if any check failed; a skipped check never counts as passed.
//!
//! [`contract_tests!`]: crate::contract_tests

use std::collections::HashSet;
use std::future::Future;
use std::io::Write as _;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use async_trait::async_trait;
use futures::future::BoxFuture;
use futures::{FutureExt, TryStreamExt};
use roster_core::{
    Capabilities, CreateOutcome, Directory, Email, ErrorKind, Membership, MembershipDirectoryExt,
    MembershipRequest, NewTenant, NewUser, PageRequest, Result, Role, RoleSpec, Tenant,
    TenantDirectoryExt, TenantId, TenantRole, User, UserDirectoryExt, UserId, UserStatus,
    UserUpdate, WireGuardKey, paginate, paginate_through_empty_pages,
};
use roster_layers::Stack;
use uuid::Uuid;

use crate::emulator::{Emulator, Model};

/// What a check came to, when it did not fail (a failure panics).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckOutcome {
    /// Everything the check is about was exercised and held.
    Passed,
    /// The check ran and held, but some of its parts could not run; each
    /// entry says which and why. Counted as passed, printed with the notes.
    PassedInPart(Vec<String>),
    /// Nothing was checked: the reason names the capability that is off, or
    /// the adapter defect the check steps around.
    Skipped(String),
}

impl CheckOutcome {
    /// Skipped because these capabilities are off.
    pub fn capability_off(names: &[&str]) -> Self {
        CheckOutcome::Skipped(format!("capability off: {}", names.join(", ")))
    }
}

/// Skips the check unless every named capability is on, naming those that
/// are off.
macro_rules! require {
    ($caps:expr, $($flag:ident),+ $(,)?) => {{
        let caps = &$caps;
        let off: Vec<&str> = [$((stringify!($flag), caps.$flag)),+]
            .into_iter()
            .filter(|(_, on)| !on)
            .map(|(name, _)| name)
            .collect();
        if !off.is_empty() {
            return CheckOutcome::capability_off(&off);
        }
    }};
}

/// A check as [`CHECKS`] lists it.
pub type CheckFn = for<'s> fn(&'s Subject<'s>) -> BoxFuture<'s, CheckOutcome>;

/// One entry of the suite.
#[derive(Clone, Copy)]
pub struct Check {
    /// The check's function name.
    pub name: &'static str,
    /// Runs it.
    pub run: CheckFn,
}

macro_rules! checks {
    ($($check:ident),* $(,)?) => {
        /// Every check of the suite, in the order it runs.
        pub const CHECKS: &[Check] = &[
            $(Check { name: stringify!($check), run: |subject| Box::pin($check(subject)) }),*
        ];
    };
}

checks!(
    capabilities_are_consistent,
    user_crud,
    no_duplicate_users,
    list_streams_all_pages,
    display_name_roundtrip,
    status_changes,
    tenant_crud,
    membership_roundtrip,
    member_list_streams_all_pages,
    tenant_roles_of_memberships,
    single_tenant_rule,
    move_between_tenants,
    delete_user_cascades,
    create_tenant_with_members,
    bad_input_sends_nothing,
    unsupported_is_error,
);

/// How the suite reaches the adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Through {
    /// The adapter exactly as the setup built it.
    Adapter,
    /// The adapter wrapped in [`Stack::default()`], as an application
    /// would run it.
    DefaultStack,
}

impl std::fmt::Display for Through {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Through::Adapter => "adapter alone",
            Through::DefaultStack => "through Stack::default()",
        })
    }
}

/// One check's result in a [`SuiteReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckResult {
    /// It ran and held (with notes on parts that could not run).
    Passed(Vec<String>),
    /// It did not run, for this reason.
    Skipped(String),
    /// It panicked with this message.
    Failed(String),
}

/// What a run of the suite against one setup came to.
#[derive(Debug, Clone)]
pub struct SuiteReport {
    /// The adapter's [`provider_id`](roster_core::Provider::provider_id).
    pub provider: String,
    /// The setup's name (from its module path, in [`contract_tests!`]; see
    /// [`setup_name`]).
    ///
    /// [`contract_tests!`]: crate::contract_tests
    pub setup: String,
    /// How the suite reached the adapter.
    pub through: Through,
    /// Each check by name, in the order it ran.
    pub results: Vec<(&'static str, CheckResult)>,
}

impl SuiteReport {
    fn count(&self, f: impl Fn(&CheckResult) -> bool) -> usize {
        self.results.iter().filter(|(_, r)| f(r)).count()
    }

    /// Checks that ran and held.
    pub fn passed(&self) -> usize {
        self.count(|r| matches!(r, CheckResult::Passed(_)))
    }

    /// Checks that did not run.
    pub fn skipped(&self) -> usize {
        self.count(|r| matches!(r, CheckResult::Skipped(_)))
    }

    /// Checks that failed.
    pub fn failed(&self) -> usize {
        self.count(|r| matches!(r, CheckResult::Failed(_)))
    }

    /// The summary line: `<provider> (<setup>, <through>): N passed, N
    /// failed, N skipped`.
    pub fn summary(&self) -> String {
        format!(
            "{} ({}, {}): {} passed, {} failed, {} skipped",
            self.provider,
            self.setup,
            self.through,
            self.passed(),
            self.failed(),
            self.skipped()
        )
    }

    /// One line per check, then the summary.
    pub fn render(&self) -> String {
        let mut out = format!(
            "contract suite: {}, setup {}, {}\n",
            self.provider, self.setup, self.through
        );
        for (name, result) in &self.results {
            let line = match result {
                CheckResult::Passed(notes) if notes.is_empty() => format!("  ok       {name}"),
                CheckResult::Passed(notes) => {
                    format!("  ok       {name} (not run: {})", notes.join("; "))
                }
                CheckResult::Skipped(reason) => format!("  skipped  {name}: {reason}"),
                CheckResult::Failed(message) => {
                    format!(
                        "  FAILED   {name}: {}",
                        message.replace('\n', "\n           ")
                    )
                }
            };
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }
}

/// Runs every check in [`CHECKS`], each against a fresh `(emulator,
/// adapter)` from `setup`, reached as `through` says. A failing check does
/// not stop the others; the report holds every result.
pub async fn run_suite<M, F, Fut>(setup_name: &str, through: Through, setup: F) -> SuiteReport
where
    M: Model,
    F: Fn() -> Fut,
    Fut: Future<Output = (Emulator<M>, Arc<dyn Directory>)>,
{
    let mut provider = String::new();
    let mut results = Vec::with_capacity(CHECKS.len());
    for check in CHECKS {
        let (emulator, adapter) = setup().await;
        provider = adapter.provider_id().to_owned();
        let directory = match through {
            Through::Adapter => adapter,
            Through::DefaultStack => Stack::default().apply(adapter),
        };
        let subject = Subject {
            directory: &*directory,
            requests: &emulator,
        };
        let outcome = AssertUnwindSafe((check.run)(&subject)).catch_unwind().await;
        let result = match outcome {
            Ok(CheckOutcome::Passed) => CheckResult::Passed(Vec::new()),
            Ok(CheckOutcome::PassedInPart(notes)) => CheckResult::Passed(notes),
            Ok(CheckOutcome::Skipped(reason)) => CheckResult::Skipped(reason),
            Err(payload) => CheckResult::Failed(panic_message(&*payload)),
        };
        results.push((check.name, result));
    }
    SuiteReport {
        provider,
        setup: setup_name.to_owned(),
        through,
        results,
    }
}

/// The setup's name for a report, from the module path the suite was
/// invoked in: the test crate's name is dropped (`contract::faithful` is
/// `faithful`), and the crate root is `default`.
pub fn setup_name(module_path: &str) -> &str {
    module_path
        .split_once("::")
        .map_or("default", |(_, inner)| inner)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panicked with a non-string payload".to_owned()
    }
}

/// Runs the suite, prints its report and fails if any check failed: the
/// body of each test [`contract_tests!`] generates.
///
/// The report goes straight to the process's standard error, not through
/// `eprintln!`, which the test harness captures and shows only for failed
/// tests: the skipped checks must be seen on a green run too.
///
/// [`contract_tests!`]: crate::contract_tests
pub async fn run_and_report<M, F, Fut>(setup_name: &str, through: Through, setup: F)
where
    M: Model,
    F: Fn() -> Fut,
    Fut: Future<Output = (Emulator<M>, Arc<dyn Directory>)>,
{
    let report = run_suite(setup_name, through, setup).await;
    let rendered = report.render();
    // One write, so parallel tests do not interleave within a report.
    let _ = std::io::stderr().lock().write_all(rendered.as_bytes());
    assert_eq!(
        report.passed() + report.skipped() + report.failed(),
        CHECKS.len(),
        "every check is counted once"
    );
    assert!(
        report.failed() == 0,
        "{} of {} contract checks failed:\n{rendered}",
        report.failed(),
        CHECKS.len()
    );
}

/// Counts the requests that reached a server.
#[async_trait]
pub trait RequestCounter: Send + Sync {
    /// Requests received so far.
    async fn request_count(&self) -> usize;

    /// Requests with a method other than `GET` received so far. The default
    /// counts every request, which is never too lenient.
    async fn write_count(&self) -> usize {
        self.request_count().await
    }
}

#[async_trait]
impl<M: Model> RequestCounter for Emulator<M> {
    async fn request_count(&self) -> usize {
        Emulator::request_count(self).await
    }

    async fn write_count(&self) -> usize {
        Emulator::write_count(self).await
    }
}

/// What a check runs against.
#[derive(Clone, Copy)]
pub struct Subject<'a> {
    /// The adapter under test.
    pub directory: &'a dyn Directory,
    /// The server it talks to.
    pub requests: &'a dyn RequestCounter,
}

impl Subject<'_> {
    fn caps(&self) -> Capabilities {
        self.directory.capabilities()
    }

    fn name(&self) -> &'static str {
        self.directory.provider_id()
    }

    /// Runs `f` and asserts that it failed with `kind` and that no request
    /// reached the server.
    async fn assert_refused_locally<T: std::fmt::Debug>(
        &self, what: &str, kind: ErrorKind, f: impl std::future::Future<Output = Result<T>>,
    ) {
        let before = self.requests.request_count().await;
        let result = f.await;
        let after = self.requests.request_count().await;
        match result {
            Err(err) => assert_eq!(err.kind(), kind, "{}: {what}: {err}", self.name()),
            Ok(value) => panic!("{}: {what}: expected {kind}, got {value:?}", self.name()),
        }
        assert_eq!(
            after,
            before,
            "{}: {what}: sent {} request(s)",
            self.name(),
            after - before
        );
    }

    /// Runs `f` and asserts that it failed with `kind` and that nothing but
    /// reads reached the server: for input only the provider's own lists
    /// can judge, such as a role name on a provider with custom roles.
    async fn assert_refused_without_writes<T: std::fmt::Debug>(
        &self, what: &str, kind: ErrorKind, f: impl std::future::Future<Output = Result<T>>,
    ) {
        let before = self.requests.write_count().await;
        let result = f.await;
        let after = self.requests.write_count().await;
        match result {
            Err(err) => assert_eq!(err.kind(), kind, "{}: {what}: {err}", self.name()),
            Ok(value) => panic!("{}: {what}: expected {kind}, got {value:?}", self.name()),
        }
        assert_eq!(
            after,
            before,
            "{}: {what}: sent {} write(s)",
            self.name(),
            after - before
        );
    }
}

/// A fresh address nobody has used.
pub fn unique_email(label: &str) -> Email {
    let tag = &Uuid::new_v4().simple().to_string()[..12];
    Email::parse(format!("{label}+{tag}@example.com")).expect("generated email is valid")
}

/// A fresh tenant name.
pub fn unique_name(label: &str) -> String {
    format!("{label}-{}", &Uuid::new_v4().simple().to_string()[..12])
}

/// A random, valid WireGuard public key.
pub fn random_wireguard_key() -> WireGuardKey {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    WireGuardKey::from_bytes(bytes)
}

/// A membership request with what `caps` says the provider needs.
pub fn membership_request(caps: &Capabilities) -> MembershipRequest {
    let mut request = MembershipRequest::new();
    if caps.membership_requires_wireguard_key {
        request = request.with_wireguard_key(random_wireguard_key());
    }
    request
}

async fn new_user(subject: &Subject<'_>, label: &str) -> User {
    let email = unique_email(label);
    let created = subject
        .directory
        .create_user(&NewUser::new(email.clone()))
        .await
        .unwrap_or_else(|e| panic!("{}: create {email}: {e}", subject.name()));
    created.into_inner()
}

async fn new_tenant(subject: &Subject<'_>, label: &str) -> Tenant {
    let name = unique_name(label);
    subject
        .directory
        .create_tenant(&NewTenant::new(name.clone()).expect("name"))
        .await
        .unwrap_or_else(|e| panic!("{}: create tenant {name}: {e}", subject.name()))
        .into_inner()
}

/// A tenant to put members in: a new one where the adapter can create
/// tenants, else the first one it lists (a provider whose credentials are
/// bound to one organization). When it can do neither, or lists none, the
/// check is skipped with the reason.
async fn member_tenant(
    subject: &Subject<'_>, label: &str,
) -> std::result::Result<Tenant, CheckOutcome> {
    let caps = subject.caps();
    if caps.create_tenant {
        return Ok(new_tenant(subject, label).await);
    }
    if !caps.list_tenants {
        return Err(CheckOutcome::capability_off(&[
            "create_tenant",
            "list_tenants",
        ]));
    }
    all_tenants(subject)
        .await
        .into_iter()
        .next()
        .ok_or_else(|| {
            CheckOutcome::Skipped("create_tenant is off and the adapter lists no tenant".to_owned())
        })
}

/// `count` distinct tenants to put members in, made or listed as
/// [`member_tenant`] does.
async fn member_tenants(
    subject: &Subject<'_>, label: &str, count: usize,
) -> std::result::Result<Vec<Tenant>, CheckOutcome> {
    let caps = subject.caps();
    if caps.create_tenant {
        let mut tenants = Vec::with_capacity(count);
        for _ in 0..count {
            tenants.push(new_tenant(subject, label).await);
        }
        return Ok(tenants);
    }
    if !caps.list_tenants {
        return Err(CheckOutcome::capability_off(&[
            "create_tenant",
            "list_tenants",
        ]));
    }
    let listed = all_tenants(subject).await;
    if listed.len() < count {
        return Err(CheckOutcome::Skipped(format!(
            "needs {count} tenants: create_tenant is off and the adapter lists {}",
            listed.len()
        )));
    }
    Ok(listed.into_iter().take(count).collect())
}

async fn all_tenants(subject: &Subject<'_>) -> Vec<Tenant> {
    subject
        .directory
        .list_tenants()
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{}: list tenants: {e}", subject.name()))
}

async fn all_users(subject: &Subject<'_>) -> Vec<User> {
    subject
        .directory
        .list_users()
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{}: list users: {e}", subject.name()))
}

async fn member_ids(subject: &Subject<'_>, tenant: &TenantId) -> HashSet<UserId> {
    subject
        .directory
        .list_members(tenant)
        .await
        .unwrap_or_else(|e| panic!("{}: list members: {e}", subject.name()))
        .into_iter()
        .map(|m| m.user)
        .collect()
}

async fn tenant_ids_of(subject: &Subject<'_>, user: &UserId) -> HashSet<TenantId> {
    subject
        .directory
        .list_user_memberships(user)
        .await
        .unwrap_or_else(|e| panic!("{}: list memberships: {e}", subject.name()))
        .into_iter()
        .map(|m| m.tenant)
        .collect()
}

/// Capabilities that imply one another agree.
pub async fn capabilities_are_consistent(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    let name = subject.name();
    assert!(
        !caps.create_is_invitation || caps.create_user,
        "{name}: invitation without create"
    );
    assert!(
        !caps.create_tenant_with_members || caps.create_tenant,
        "{name}: members on create without create"
    );
    assert!(
        !caps.membership_requires_wireguard_key || caps.add_member,
        "{name}: key rule without add"
    );
    assert!(
        !(caps.update_email || caps.update_role || caps.update_status) || caps.update_user,
        "{name}: field updates without update"
    );
    assert!(
        !caps.update_role || caps.user_roles,
        "{name}: role update without roles"
    );
    assert_ne!(
        caps.max_tenants_per_user,
        Some(0),
        "{name}: zero tenants per user"
    );
    CheckOutcome::Passed
}

/// Create, read, list, update and delete a user; a deleted user is gone.
pub async fn user_crud(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    require!(caps, create_user);
    let name = subject.name();
    let email = unique_email("crud");
    let created = subject
        .directory
        .create_user(&NewUser::new(email.clone()))
        .await
        .unwrap_or_else(|e| panic!("{name}: create: {e}"));
    assert_eq!(created.outcome, CreateOutcome::Created, "{name}");
    assert!(
        created
            .email
            .as_ref()
            .is_some_and(|e| email.matches(e.as_str())),
        "{name}: created user has email {:?}",
        created.email
    );
    let expected_status = if caps.create_is_invitation {
        UserStatus::Invited
    } else {
        UserStatus::Active
    };
    assert_eq!(created.status, expected_status, "{name}");
    let id = created.id.clone();

    if caps.get_user {
        let fetched = subject
            .directory
            .get_user(&id)
            .await
            .unwrap_or_else(|e| panic!("{name}: get: {e}"));
        assert_eq!(fetched.id, id, "{name}");
        assert_eq!(fetched.email, created.email, "{name}");
    }
    if caps.list_users {
        let users = all_users(subject).await;
        assert_eq!(
            users.iter().filter(|u| u.id == id).count(),
            1,
            "{name}: listed once"
        );
    }
    if caps.update_role {
        for role in [Role::Admin, Role::Member] {
            let updated = subject
                .directory
                .update_user(&id, &UserUpdate::new().role(role))
                .await
                .unwrap_or_else(|e| panic!("{name}: update role to {role}: {e}"));
            assert_eq!(updated.role, Some(role), "{name}: role after update");
            assert_eq!(updated.email, created.email, "{name}: email kept");
            if caps.get_user {
                let fetched = subject.directory.get_user(&id).await.expect("get");
                assert_eq!(fetched.role, Some(role), "{name}: role persisted");
            }
        }
    }
    if caps.update_email {
        let new_email = unique_email("renamed");
        let updated = subject
            .directory
            .update_user(&id, &UserUpdate::new().email(new_email.clone()))
            .await
            .unwrap_or_else(|e| panic!("{name}: update email: {e}"));
        assert_eq!(updated.email.as_ref(), Some(&new_email), "{name}");
    }
    if caps.delete_user {
        subject
            .directory
            .delete_user(&id)
            .await
            .unwrap_or_else(|e| panic!("{name}: delete: {e}"));
        if caps.get_user {
            let err = subject.directory.get_user(&id).await.expect_err("deleted");
            assert_eq!(
                err.kind(),
                ErrorKind::NotFound,
                "{name}: get after delete: {err}"
            );
        }
        if caps.list_users {
            assert!(
                !all_users(subject).await.iter().any(|u| u.id == id),
                "{name}"
            );
        }
        let err = subject.directory.delete_user(&id).await.expect_err("twice");
        assert_eq!(
            err.kind(),
            ErrorKind::NotFound,
            "{name}: second delete: {err}"
        );
    }
    CheckOutcome::Passed
}

/// Creating a user whose email exists answers `AlreadyExists`, and the
/// `ensure_user` helper never makes a second one.
pub async fn no_duplicate_users(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    require!(caps, create_user, list_users);
    let name = subject.name();
    let email = unique_email("dup");
    let request = NewUser::new(email.clone());
    let first = subject
        .directory
        .ensure_user(&request)
        .await
        .expect("ensure");
    assert_eq!(first.outcome, CreateOutcome::Created, "{name}");
    let second = subject
        .directory
        .ensure_user(&request)
        .await
        .expect("ensure again");
    assert_eq!(second.outcome, CreateOutcome::AlreadyPresent, "{name}");
    assert_eq!(second.id, first.id, "{name}");
    if !caps.create_is_invitation {
        let err = subject
            .directory
            .create_user(&request)
            .await
            .expect_err("duplicate create");
        assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{name}: {err}");
    }
    let same: Vec<User> = all_users(subject)
        .await
        .into_iter()
        .filter(|u| u.email.as_ref().is_some_and(|e| email.matches(e.as_str())))
        .collect();
    assert_eq!(same.len(), 1, "{name}: exactly one user with {email}");
    CheckOutcome::Passed
}

/// The page size the pagination check asks for: small, so a handful of
/// records spans several pages on any provider that pages.
pub const SMALL_PAGE: u32 = 3;

/// Records the pagination check creates: enough for [`SMALL_PAGE`] to cross
/// at least two page boundaries even on an empty server.
const PAGED_RECORDS: usize = 7;

/// The user stream returns every user exactly once, and so does the tenant
/// stream. Where the adapter says it pages, a walk with a small page size
/// crosses at least two page boundaries and still sees each record once;
/// where it does not, it answers everything in one page whatever is asked.
pub async fn list_streams_all_pages(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    require!(caps, create_user, list_users);
    let name = subject.name();
    let dir = subject.directory;
    let mut created = HashSet::new();
    for _ in 0..PAGED_RECORDS {
        created.insert(new_user(subject, "page").await.id);
    }
    let listed: Vec<UserId> = all_users(subject).await.into_iter().map(|u| u.id).collect();
    assert_each_once(name, "the user stream", &listed, &created);

    let pages = std::sync::atomic::AtomicUsize::new(0);
    let small: Vec<User> = paginate(|cursor| {
        pages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let request = match cursor {
            Some(cursor) => PageRequest::after(cursor),
            None => PageRequest::first(),
        }
        .with_page_size(SMALL_PAGE);
        dir.list_users_page(request)
    })
    .try_collect()
    .await
    .unwrap_or_else(|e| panic!("{name}: list users {SMALL_PAGE} at a time: {e}"));
    let small: Vec<UserId> = small.into_iter().map(|u| u.id).collect();
    assert_each_once(name, "users in small pages", &small, &created);
    let fetched = pages.into_inner();
    if caps.server_side_pagination {
        assert!(
            fetched >= 3,
            "{name}: {} users in {fetched} page(s) of {SMALL_PAGE}: fewer than two boundaries",
            small.len()
        );
    } else {
        assert_eq!(
            fetched, 1,
            "{name}: does not page, yet answered {SMALL_PAGE} at a time in {fetched} pages"
        );
    }

    if !(caps.create_tenant && caps.list_tenants) {
        return CheckOutcome::PassedInPart(vec![
            "tenant pages: capability off: create_tenant or list_tenants".to_owned(),
        ]);
    }
    let mut tenants = HashSet::new();
    for _ in 0..PAGED_RECORDS {
        tenants.insert(new_tenant(subject, "page").await.id);
    }
    let listed: Vec<TenantId> = all_tenants(subject)
        .await
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_each_once(name, "the tenant stream", &listed, &tenants);
    let pages = std::sync::atomic::AtomicUsize::new(0);
    let small: Vec<Tenant> = paginate(|cursor| {
        pages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let request = match cursor {
            Some(cursor) => PageRequest::after(cursor),
            None => PageRequest::first(),
        }
        .with_page_size(SMALL_PAGE);
        dir.list_tenants_page(request)
    })
    .try_collect()
    .await
    .unwrap_or_else(|e| panic!("{name}: list tenants {SMALL_PAGE} at a time: {e}"));
    let small: Vec<TenantId> = small.into_iter().map(|t| t.id).collect();
    assert_each_once(name, "tenants in small pages", &small, &tenants);
    let fetched = pages.into_inner();
    if caps.server_side_pagination {
        assert!(
            fetched >= 3,
            "{name}: {} tenants in {fetched} page(s) of {SMALL_PAGE}: fewer than two boundaries",
            small.len()
        );
    } else {
        assert_eq!(
            fetched, 1,
            "{name}: does not page, yet answered tenants in {fetched} pages"
        );
    }
    CheckOutcome::Passed
}

/// `listed` holds no id twice and holds every id in `expected`.
fn assert_each_once<T: std::hash::Hash + Eq + std::fmt::Display>(
    name: &str, what: &str, listed: &[T], expected: &HashSet<T>,
) {
    let unique: HashSet<&T> = listed.iter().collect();
    assert_eq!(
        listed.len(),
        unique.len(),
        "{name}: {what}: an item was listed twice"
    );
    for id in expected {
        assert!(unique.contains(id), "{name}: {what}: {id} missing");
    }
}

/// Create, read, list, find and delete a tenant.
pub async fn tenant_crud(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    require!(caps, create_tenant);
    let name = subject.name();
    let tenant_name = unique_name("tenant");
    let created = subject
        .directory
        .create_tenant(&NewTenant::new(tenant_name.clone()).expect("name"))
        .await
        .unwrap_or_else(|e| panic!("{name}: create tenant: {e}"));
    assert_eq!(created.outcome, CreateOutcome::Created, "{name}");
    assert_eq!(created.name, tenant_name, "{name}");
    let id = created.id.clone();
    if caps.get_tenant {
        // By id and name: the provider object a get returns may hold more
        // (or other) fields than the create's answer did.
        let fetched = subject.directory.get_tenant(&id).await.expect("get tenant");
        assert_eq!(fetched.id, id, "{name}: get_tenant id");
        assert_eq!(fetched.name, tenant_name, "{name}: get_tenant name");
    }
    if caps.list_tenants {
        let found = subject
            .directory
            .find_tenant_by_name(&tenant_name)
            .await
            .expect("find")
            .unwrap_or_else(|| panic!("{name}: tenant not listed"));
        assert_eq!(found.id, id, "{name}");
        let again = subject
            .directory
            .ensure_tenant(&NewTenant::new(tenant_name.clone()).expect("name"))
            .await
            .expect("ensure");
        assert_eq!(again.outcome, CreateOutcome::AlreadyPresent, "{name}");
        assert_eq!(again.id, id, "{name}");
    }
    if caps.delete_tenant {
        subject
            .directory
            .delete_tenant(&id)
            .await
            .expect("delete tenant");
        if caps.get_tenant {
            let err = subject
                .directory
                .get_tenant(&id)
                .await
                .expect_err("deleted");
            assert_eq!(err.kind(), ErrorKind::NotFound, "{name}: {err}");
        }
        let err = subject
            .directory
            .delete_tenant(&id)
            .await
            .expect_err("twice");
        assert_eq!(err.kind(), ErrorKind::NotFound, "{name}: {err}");
    }
    CheckOutcome::Passed
}

/// Add a member, see them from both sides, remove them.
pub async fn membership_roundtrip(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    require!(caps, add_member, create_user);
    let name = subject.name();
    let tenant = match member_tenant(subject, "team").await {
        Ok(tenant) => tenant,
        Err(skip) => return skip,
    };
    let user = new_user(subject, "member").await;
    let membership = subject
        .directory
        .add_member(&tenant.id, &user.id, &membership_request(&caps))
        .await
        .unwrap_or_else(|e| panic!("{name}: add member: {e}"));
    assert_eq!(membership.tenant, tenant.id, "{name}");
    assert_eq!(membership.user, user.id, "{name}");
    if caps.list_members {
        assert!(
            member_ids(subject, &tenant.id).await.contains(&user.id),
            "{name}"
        );
    }
    if caps.list_user_memberships {
        assert!(
            tenant_ids_of(subject, &user.id).await.contains(&tenant.id),
            "{name}"
        );
    }
    if caps.remove_member {
        subject
            .directory
            .remove_member(&tenant.id, &user.id)
            .await
            .unwrap_or_else(|e| panic!("{name}: remove member: {e}"));
        if caps.list_members {
            assert!(
                !member_ids(subject, &tenant.id).await.contains(&user.id),
                "{name}"
            );
        }
        if caps.list_user_memberships {
            assert!(
                !tenant_ids_of(subject, &user.id).await.contains(&tenant.id),
                "{name}"
            );
        }
    }
    CheckOutcome::Passed
}

/// A tenant's members, listed page by page. The member stream sees each
/// member once. Where the adapter says it pages, a walk
/// [`SMALL_PAGE`] at a time crosses at least two page boundaries, going on
/// through pages that hold no member (a provider whose members are read off
/// its paged user list has them: a run of users outside the tenant fills a
/// whole page), and still sees each member once; where it does not, it
/// answers in one page whatever is asked, and a cursor is `InvalidInput`
/// with nothing sent.
pub async fn member_list_streams_all_pages(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    require!(caps, list_members, add_member, create_user);
    let name = subject.name();
    let dir = subject.directory;
    let tenant = match member_tenant(subject, "paged-members").await {
        Ok(tenant) => tenant,
        Err(skip) => return skip,
    };
    // Enough members for two page boundaries on their own, with a run of
    // outsiders after the first that covers a whole page of users wherever
    // the page boundaries fall.
    let outsiders_run = 2 * SMALL_PAGE as usize - 1;
    let mut members = HashSet::new();
    for n in 0..PAGED_RECORDS {
        let user = new_user(subject, "paged-member").await;
        dir.add_member(&tenant.id, &user.id, &membership_request(&caps))
            .await
            .unwrap_or_else(|e| panic!("{name}: add member: {e}"));
        members.insert(user.id);
        if n == 0 {
            for _ in 0..outsiders_run {
                new_user(subject, "outsider").await;
            }
        }
    }
    let streamed: Vec<UserId> = dir
        .stream_members(&tenant.id)
        .map_ok(|m| m.user)
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{name}: stream members: {e}"));
    assert_each_once(name, "the member stream", &streamed, &members);

    let pages = std::sync::atomic::AtomicUsize::new(0);
    // Pages with no member that still name a next page: the run of
    // outsiders makes at least one where the provider pages.
    let empty_pages = std::sync::atomic::AtomicUsize::new(0);
    let small: Vec<UserId> = paginate_through_empty_pages(|cursor| {
        pages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let request = match cursor {
            Some(cursor) => PageRequest::after(cursor),
            None => PageRequest::first(),
        }
        .with_page_size(SMALL_PAGE);
        let empty_pages = &empty_pages;
        let read = dir.list_members_page(&tenant.id, request);
        async move {
            let page = read.await?;
            if page.items.is_empty() && page.next.is_some() {
                empty_pages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(page)
        }
    })
    .map_ok(|m| m.user)
    .try_collect()
    .await
    .unwrap_or_else(|e| panic!("{name}: list members {SMALL_PAGE} at a time: {e}"));
    assert_each_once(name, "members in small pages", &small, &members);
    let fetched = pages.into_inner();
    if caps.server_side_pagination {
        assert!(
            fetched >= 3,
            "{name}: {} members in {fetched} page(s) of {SMALL_PAGE}: fewer than two boundaries",
            small.len()
        );
        assert!(
            empty_pages.into_inner() >= 1,
            "{name}: no empty member page with a next one in {fetched} pages of {SMALL_PAGE}: \
             the stream was never shown to go on through one"
        );
    } else {
        assert_eq!(
            fetched, 1,
            "{name}: does not page, yet answered members in {fetched} pages"
        );
        subject
            .assert_refused_locally(
                "list_members_page with a cursor",
                ErrorKind::InvalidInput,
                dir.list_members_page(&tenant.id, PageRequest::after("2")),
            )
            .await;
    }
    CheckOutcome::Passed
}

/// A member added with a tenant role holds it, as the add answers and as
/// both membership lists read it back, for each neutral tenant role.
pub async fn tenant_roles_of_memberships(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    require!(caps, membership_roles, add_member, create_user);
    if !(caps.list_members || caps.list_user_memberships) {
        return CheckOutcome::capability_off(&["list_members", "list_user_memberships"]);
    }
    let name = subject.name();
    let tenant = match member_tenant(subject, "roles").await {
        Ok(tenant) => tenant,
        Err(skip) => return skip,
    };
    for role in [TenantRole::Admin, TenantRole::Member] {
        let user = new_user(subject, "roled-member").await;
        let request = membership_request(&caps).with_role(role);
        let added = subject
            .directory
            .add_member(&tenant.id, &user.id, &request)
            .await
            .unwrap_or_else(|e| panic!("{name}: add member as {role}: {e}"));
        assert_eq!(
            added.role,
            Some(role),
            "{name}: the add's answer, as {role}"
        );
        if caps.list_members {
            let members = subject
                .directory
                .list_members(&tenant.id)
                .await
                .unwrap_or_else(|e| panic!("{name}: list members: {e}"));
            let entry = only_entry(name, "list_members", &members, |m| m.user == user.id);
            assert_eq!(
                entry.role,
                Some(role),
                "{name}: list_members role, as {role}"
            );
        }
        if caps.list_user_memberships {
            let memberships = subject
                .directory
                .list_user_memberships(&user.id)
                .await
                .unwrap_or_else(|e| panic!("{name}: list memberships: {e}"));
            let entry = only_entry(name, "list_user_memberships", &memberships, |m| {
                m.tenant == tenant.id
            });
            assert_eq!(
                entry.role,
                Some(role),
                "{name}: list_user_memberships role, as {role}"
            );
        }
    }
    CheckOutcome::Passed
}

/// The one membership in `list` that `is` picks.
fn only_entry<'m>(
    name: &str, what: &str, list: &'m [Membership], is: impl Fn(&Membership) -> bool,
) -> &'m Membership {
    let mut found = list.iter().filter(|m| is(m));
    let entry = found
        .next()
        .unwrap_or_else(|| panic!("{name}: {what}: the membership is missing"));
    assert!(found.next().is_none(), "{name}: {what}: listed twice");
    entry
}

/// Suspending (or blocking) a user holds, as answered and as read back,
/// and reactivating restores the status the user had; a status the adapter
/// does not take is refused without a write.
pub async fn status_changes(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    require!(caps, update_status, create_user);
    let name = subject.name();
    let dir = subject.directory;
    let user = new_user(subject, "status").await;
    let before = user.status;
    let mut switched_off = None;
    for off in [UserStatus::Suspended, UserStatus::Blocked] {
        let writes = subject.requests.write_count().await;
        match dir
            .update_user(&user.id, &UserUpdate::new().status(off))
            .await
        {
            Ok(updated) => {
                assert_eq!(updated.status, off, "{name}: status after setting {off}");
                assert_eq!(updated.id, user.id, "{name}");
                assert_eq!(updated.email, user.email, "{name}: email kept");
                if caps.get_user {
                    let fetched = dir.get_user(&user.id).await.expect("get");
                    assert_eq!(fetched.status, off, "{name}: {off} persisted");
                }
                switched_off = Some(off);
                break;
            }
            Err(err) => {
                assert!(
                    matches!(err.kind(), ErrorKind::Unsupported | ErrorKind::InvalidInput),
                    "{name}: setting {off}: {err}"
                );
                assert_eq!(
                    subject.requests.write_count().await,
                    writes,
                    "{name}: a refused {off} wrote"
                );
            }
        }
    }
    let off = switched_off
        .unwrap_or_else(|| panic!("{name}: update_status is on, but neither suspend nor block"));
    let updated = dir
        .update_user(&user.id, &UserUpdate::new().status(UserStatus::Active))
        .await
        .unwrap_or_else(|e| panic!("{name}: reactivate after {off}: {e}"));
    // An invited user who was blocked and unblocked is invited again.
    assert_eq!(updated.status, before, "{name}: status after reactivating");
    if caps.get_user {
        let fetched = dir.get_user(&user.id).await.expect("get");
        assert_eq!(fetched.status, before, "{name}: reactivation persisted");
    }
    if caps.list_users {
        let listed = all_users(subject).await;
        let entry = listed
            .iter()
            .find(|u| u.id == user.id)
            .unwrap_or_else(|| panic!("{name}: user not listed"));
        assert_eq!(entry.status, before, "{name}: listed status");
    }
    CheckOutcome::Passed
}

/// A user's display name reads back as `expected` from get and list.
async fn assert_display_name(subject: &Subject<'_>, id: &UserId, expected: &str) {
    let caps = subject.caps();
    let name = subject.name();
    if caps.get_user {
        let fetched = subject.directory.get_user(id).await.expect("get");
        assert_eq!(
            fetched.display_name.as_deref(),
            Some(expected),
            "{name}: get_user display name"
        );
    }
    if caps.list_users {
        let listed = all_users(subject).await;
        let entry = listed
            .iter()
            .find(|u| &u.id == id)
            .unwrap_or_else(|| panic!("{name}: user not listed"));
        assert_eq!(
            entry.display_name.as_deref(),
            Some(expected),
            "{name}: listed display name"
        );
    }
}

/// A user created with a display name has it, as answered, read and
/// listed; where the adapter takes display-name updates, a new name holds.
pub async fn display_name_roundtrip(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    require!(caps, user_display_name, create_user);
    let name = subject.name();
    let dir = subject.directory;
    let first_name = "Ada Lovelace";
    let request = NewUser::new(unique_email("named")).with_display_name(first_name);
    let created = dir
        .create_user(&request)
        .await
        .unwrap_or_else(|e| panic!("{name}: create with a display name: {e}"));
    assert_eq!(
        created.display_name.as_deref(),
        Some(first_name),
        "{name}: the create's answer"
    );
    assert_display_name(subject, &created.id, first_name).await;

    if !caps.update_user || !caps.update_display_name {
        return CheckOutcome::PassedInPart(vec![
            "display-name update: capability off: update_display_name".to_owned(),
        ]);
    }
    let second_name = "Grace Hopper";
    let requests = subject.requests.request_count().await;
    match dir
        .update_user(&created.id, &UserUpdate::new().display_name(second_name))
        .await
    {
        Ok(updated) => {
            assert_eq!(
                updated.display_name.as_deref(),
                Some(second_name),
                "{name}: the update's answer"
            );
            assert_display_name(subject, &created.id, second_name).await;
            CheckOutcome::Passed
        }
        Err(err) => {
            let sent = subject.requests.request_count().await - requests;
            panic!(
                "{name}: update_display_name is on, but updating a display name failed \
                 ({sent} requests sent): {err}"
            )
        }
    }
}

/// Where a user may be in several tenants, `move_user` takes them out of
/// one and into another, and leaves their other memberships alone.
pub async fn move_between_tenants(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    if caps.single_tenant_per_user() {
        return CheckOutcome::Skipped(
            "one tenant per user (max_tenants_per_user is 1); single_tenant_rule covers moves"
                .to_owned(),
        );
    }
    require!(
        caps,
        create_user,
        add_member,
        remove_member,
        list_user_memberships
    );
    let name = subject.name();
    let tenants = match member_tenants(subject, "move", 3).await {
        Ok(tenants) => tenants,
        Err(skip) => return skip,
    };
    let [from, to, other] = [&tenants[0], &tenants[1], &tenants[2]];
    let user = new_user(subject, "mover").await;
    let request = membership_request(&caps);
    for tenant in [from, other] {
        subject
            .directory
            .add_member(&tenant.id, &user.id, &request)
            .await
            .unwrap_or_else(|e| panic!("{name}: add to {}: {e}", tenant.name));
    }
    let moved = subject
        .directory
        .move_user(&user.id, &from.id, &to.id, &request)
        .await
        .unwrap_or_else(|e| panic!("{name}: move: {e}"));
    assert_eq!(moved.tenant, to.id, "{name}: the move's answer");
    assert_eq!(moved.user, user.id, "{name}: the move's answer");
    assert_eq!(
        tenant_ids_of(subject, &user.id).await,
        HashSet::from([to.id.clone(), other.id.clone()]),
        "{name}: after the move: in the new tenant and the untouched one only"
    );
    if caps.list_members {
        assert!(
            !member_ids(subject, &from.id).await.contains(&user.id),
            "{name}: still listed in the tenant moved from"
        );
        assert!(
            member_ids(subject, &to.id).await.contains(&user.id),
            "{name}: not listed in the tenant moved to"
        );
    }
    CheckOutcome::Passed
}

/// On a provider with one tenant per user, a second add is a `Conflict`
/// that changes nothing, and `move_user` moves.
pub async fn single_tenant_rule(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    if !caps.single_tenant_per_user() {
        return CheckOutcome::Skipped(format!(
            "several tenants per user allowed (max_tenants_per_user is {:?}); \
             move_between_tenants covers moves",
            caps.max_tenants_per_user
        ));
    }
    require!(
        caps,
        create_user,
        create_tenant,
        add_member,
        remove_member,
        list_user_memberships
    );
    let name = subject.name();
    let user = new_user(subject, "mover").await;
    let first = new_tenant(subject, "first").await;
    let second = new_tenant(subject, "second").await;
    let request = membership_request(&caps);
    subject
        .directory
        .add_member(&first.id, &user.id, &request)
        .await
        .expect("add to first");
    let err = subject
        .directory
        .add_member(&second.id, &user.id, &request)
        .await
        .expect_err("second tenant");
    assert_eq!(err.kind(), ErrorKind::Conflict, "{name}: {err}");
    assert_eq!(
        tenant_ids_of(subject, &user.id).await,
        HashSet::from([first.id.clone()]),
        "{name}: the refused add changed nothing"
    );
    let moved = subject
        .directory
        .move_user(&user.id, &first.id, &second.id, &request)
        .await
        .unwrap_or_else(|e| panic!("{name}: move: {e}"));
    assert_eq!(moved.tenant, second.id, "{name}");
    assert_eq!(
        tenant_ids_of(subject, &user.id).await,
        HashSet::from([second.id.clone()]),
        "{name}: in the new tenant only"
    );
    CheckOutcome::Passed
}

/// Deleting a user removes their memberships, where the provider says so.
pub async fn delete_user_cascades(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    require!(
        caps,
        delete_user_cascades_memberships,
        add_member,
        list_members,
        create_user,
        delete_user
    );
    let tenant = match member_tenant(subject, "cascade").await {
        Ok(tenant) => tenant,
        Err(skip) => return skip,
    };
    let user = new_user(subject, "leaver").await;
    subject
        .directory
        .add_member(&tenant.id, &user.id, &membership_request(&caps))
        .await
        .expect("add");
    subject
        .directory
        .delete_user(&user.id)
        .await
        .expect("delete");
    assert!(
        !member_ids(subject, &tenant.id).await.contains(&user.id),
        "{}: membership survived the delete",
        subject.name()
    );
    CheckOutcome::Passed
}

/// A tenant created with members has them.
pub async fn create_tenant_with_members(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    require!(caps, create_tenant_with_members, list_members, create_user);
    let alice = new_user(subject, "alice").await;
    let bob = new_user(subject, "bob").await;
    let tenant = NewTenant::new(unique_name("project"))
        .expect("name")
        .with_member(alice.id.clone(), membership_request(&caps))
        .with_member(bob.id.clone(), membership_request(&caps));
    let created = subject
        .directory
        .create_tenant(&tenant)
        .await
        .unwrap_or_else(|e| panic!("{}: create with members: {e}", subject.name()));
    assert_eq!(
        member_ids(subject, &created.id).await,
        HashSet::from([alice.id, bob.id]),
        "{}",
        subject.name()
    );
    CheckOutcome::Passed
}

/// Input Roster can tell is wrong fails with `InvalidInput` and sends
/// nothing.
pub async fn bad_input_sends_nothing(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    let dir = subject.directory;
    // Values that cannot even be built.
    for bad in ["", " ", "no-at", "a b@example.com", "@example.com", "a@"] {
        assert_eq!(
            Email::parse(bad).expect_err(bad).kind(),
            ErrorKind::InvalidInput
        );
    }
    for bad in [
        "",
        "short",
        "not base64 at all but exactly forty-four chars",
    ] {
        assert_eq!(
            WireGuardKey::parse(bad).expect_err(bad).kind(),
            ErrorKind::InvalidInput
        );
    }
    assert!(UserId::new("").is_err() && TenantId::new("").is_err());
    assert!(NewTenant::new("").is_err());

    // Dot segments cannot travel in a URL path.
    for dots in [".", ".."] {
        let user = UserId::new(dots).expect("opaque");
        let tenant = TenantId::new(dots).expect("opaque");
        let invalid = ErrorKind::InvalidInput;
        if caps.get_user {
            subject
                .assert_refused_locally("get_user ..", invalid, dir.get_user(&user))
                .await;
        }
        if caps.delete_user {
            subject
                .assert_refused_locally("delete_user ..", invalid, dir.delete_user(&user))
                .await;
        }
        if caps.update_user {
            let update = UserUpdate::new().role(Role::Member);
            subject
                .assert_refused_locally("update_user ..", invalid, dir.update_user(&user, &update))
                .await;
        }
        if caps.get_tenant {
            subject
                .assert_refused_locally("get_tenant ..", invalid, dir.get_tenant(&tenant))
                .await;
        }
        if caps.delete_tenant {
            subject
                .assert_refused_locally("delete_tenant ..", invalid, dir.delete_tenant(&tenant))
                .await;
        }
        if caps.add_member {
            let request = membership_request(&caps);
            subject
                .assert_refused_locally(
                    "add_member ..",
                    invalid,
                    dir.add_member(&tenant, &user, &request),
                )
                .await;
        }
        if caps.remove_member {
            subject
                .assert_refused_locally(
                    "remove_member ..",
                    invalid,
                    dir.remove_member(&tenant, &user),
                )
                .await;
        }
    }

    if caps.membership_requires_wireguard_key && caps.create_user && caps.create_tenant {
        let user = new_user(subject, "nokey").await;
        let tenant = new_tenant(subject, "nokey").await;
        subject
            .assert_refused_locally(
                "add_member without a WireGuard key",
                ErrorKind::InvalidInput,
                dir.add_member(&tenant.id, &user.id, &MembershipRequest::new()),
            )
            .await;
        // A move must refuse the same input before it removes anything.
        if caps.remove_member && caps.list_user_memberships {
            dir.add_member(&tenant.id, &user.id, &membership_request(&caps))
                .await
                .expect("add with a key");
            let other = new_tenant(subject, "nokey-target").await;
            subject
                .assert_refused_locally(
                    "move_user without a WireGuard key",
                    ErrorKind::InvalidInput,
                    dir.move_user(&user.id, &tenant.id, &other.id, &MembershipRequest::new()),
                )
                .await;
            assert_eq!(
                tenant_ids_of(subject, &user.id).await,
                HashSet::from([tenant.id.clone()]),
                "{}: the refused move left the user where they were",
                subject.name()
            );
        }
    }
    if caps.create_user && caps.user_roles {
        let request = NewUser::new(unique_email("badrole"))
            .with_role(RoleSpec::Provider("no-such-role-at-all".into()));
        // Reads are allowed: a provider with custom roles must read its role
        // list to know a name is unknown. Nothing may be written.
        subject
            .assert_refused_without_writes(
                "unknown role",
                ErrorKind::InvalidInput,
                dir.create_user(&request),
            )
            .await;
    }
    CheckOutcome::Passed
}

/// Every operation or argument the capabilities rule out answers
/// `Unsupported` and sends nothing.
pub async fn unsupported_is_error(subject: &Subject<'_>) -> CheckOutcome {
    let caps = subject.caps();
    let dir = subject.directory;
    let unsupported = ErrorKind::Unsupported;
    // Plausible arguments: real ones where the adapter can make them.
    let user = if caps.create_user {
        new_user(subject, "unsup").await.id
    } else {
        UserId::new(Uuid::new_v4().to_string()).expect("id")
    };
    let tenant = if caps.create_tenant {
        new_tenant(subject, "unsup").await.id
    } else {
        TenantId::new(Uuid::new_v4().to_string()).expect("id")
    };

    if !caps.current_user {
        subject
            .assert_refused_locally("current_user", unsupported, dir.current_user())
            .await;
    }
    if !caps.list_users {
        subject
            .assert_refused_locally(
                "list_users",
                unsupported,
                dir.list_users_page(PageRequest::first()),
            )
            .await;
    }
    if !caps.get_user {
        subject
            .assert_refused_locally("get_user", unsupported, dir.get_user(&user))
            .await;
    }
    if !caps.list_tenants {
        subject
            .assert_refused_locally(
                "list_tenants",
                unsupported,
                dir.list_tenants_page(PageRequest::first()),
            )
            .await;
    }
    if !caps.get_tenant {
        subject
            .assert_refused_locally("get_tenant", unsupported, dir.get_tenant(&tenant))
            .await;
    }
    if !caps.create_user {
        let request = NewUser::new(unique_email("unsup"));
        subject
            .assert_refused_locally("create_user", unsupported, dir.create_user(&request))
            .await;
    }
    if caps.create_user && !caps.user_display_name {
        let request = NewUser::new(unique_email("named")).with_display_name("Named Person");
        subject
            .assert_refused_locally(
                "create_user with a display name",
                unsupported,
                dir.create_user(&request),
            )
            .await;
    }
    if caps.create_user && !caps.user_roles {
        let request = NewUser::new(unique_email("roled")).with_role(Role::Admin);
        subject
            .assert_refused_locally(
                "create_user with a role",
                unsupported,
                dir.create_user(&request),
            )
            .await;
    }
    if !caps.update_user {
        let update = UserUpdate::new().role(Role::Member);
        subject
            .assert_refused_locally("update_user", unsupported, dir.update_user(&user, &update))
            .await;
    } else {
        let checks = [
            (
                caps.update_status,
                UserUpdate::new().status(UserStatus::Suspended),
                "status",
            ),
            (
                caps.update_role,
                UserUpdate::new().role(Role::Admin),
                "role",
            ),
            (
                caps.update_email,
                UserUpdate::new().email(unique_email("moved")),
                "email",
            ),
            (
                caps.user_display_name,
                UserUpdate::new().display_name("New Name"),
                "display name",
            ),
        ];
        for (supported, update, what) in checks {
            if !supported {
                subject
                    .assert_refused_locally(
                        &format!("update_user {what}"),
                        unsupported,
                        dir.update_user(&user, &update),
                    )
                    .await;
            }
        }
    }
    if !caps.delete_user {
        subject
            .assert_refused_locally("delete_user", unsupported, dir.delete_user(&user))
            .await;
    }
    if !caps.create_tenant {
        let request = NewTenant::new(unique_name("unsup")).expect("name");
        subject
            .assert_refused_locally("create_tenant", unsupported, dir.create_tenant(&request))
            .await;
    } else if !caps.create_tenant_with_members {
        let request = NewTenant::new(unique_name("unsup"))
            .expect("name")
            .with_member(user.clone(), membership_request(&caps));
        subject
            .assert_refused_locally(
                "create_tenant with members",
                unsupported,
                dir.create_tenant(&request),
            )
            .await;
    }
    if !caps.delete_tenant {
        subject
            .assert_refused_locally("delete_tenant", unsupported, dir.delete_tenant(&tenant))
            .await;
    }
    if !caps.add_member {
        let request = membership_request(&caps);
        subject
            .assert_refused_locally(
                "add_member",
                unsupported,
                dir.add_member(&tenant, &user, &request),
            )
            .await;
    } else if !caps.membership_roles {
        let request = membership_request(&caps).with_role(TenantRole::Admin);
        subject
            .assert_refused_locally(
                "add_member with a role",
                unsupported,
                dir.add_member(&tenant, &user, &request),
            )
            .await;
    }
    if !caps.remove_member {
        subject
            .assert_refused_locally(
                "remove_member",
                unsupported,
                dir.remove_member(&tenant, &user),
            )
            .await;
    }
    if !caps.list_members {
        subject
            .assert_refused_locally(
                "list_members_page",
                unsupported,
                dir.list_members_page(&tenant, PageRequest::first()),
            )
            .await;
    }
    if !caps.list_user_memberships {
        subject
            .assert_refused_locally(
                "list_user_memberships",
                unsupported,
                dir.list_user_memberships(&user),
            )
            .await;
    }
    CheckOutcome::Passed
}

/// Adds the contract suite to an adapter's tests: two `#[tokio::test]`s,
/// `contract_suite` and `contract_suite_through_default_stack`, each running
/// every check in [`CHECKS`](crate::contract::CHECKS) against a fresh
/// emulator from `$setup`, an `async fn() -> (Emulator<M>, Arc<dyn
/// Directory>)`; the second wraps the adapter in `Stack::default()`. The
/// setup is named by the module the macro is invoked in. See
/// [`run_and_report`](crate::contract::run_and_report) for what they print.
#[macro_export]
macro_rules! contract_tests {
    ($setup:path) => {
        #[tokio::test]
        async fn contract_suite() {
            $crate::contract::run_and_report(
                $crate::contract::setup_name(module_path!()),
                $crate::contract::Through::Adapter,
                $setup,
            )
            .await;
        }

        #[tokio::test]
        async fn contract_suite_through_default_stack() {
            $crate::contract::run_and_report(
                $crate::contract::setup_name(module_path!()),
                $crate::contract::Through::DefaultStack,
                $setup,
            )
            .await;
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_core::{
        Created, MembershipDirectory, Page, Provider, TenantDirectory, UserDirectory,
    };

    /// A directory that can list members but neither add them nor create
    /// users; every call panics, so a check that skips must send none.
    struct ListsMembersOnly;

    impl Provider for ListsMembersOnly {
        fn provider_id(&self) -> &'static str {
            "lists-members-only"
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities {
                list_members: true,
                list_tenants: true,
                ..Capabilities::default()
            }
        }
    }

    #[async_trait]
    impl UserDirectory for ListsMembersOnly {
        async fn list_users_page(&self, _: PageRequest) -> Result<Page<User>> {
            unreachable!("list_users_page")
        }
        async fn get_user(&self, _: &UserId) -> Result<User> {
            unreachable!("get_user")
        }
        async fn create_user(&self, _: &NewUser) -> Result<Created<User>> {
            unreachable!("create_user")
        }
        async fn update_user(&self, _: &UserId, _: &UserUpdate) -> Result<User> {
            unreachable!("update_user")
        }
        async fn delete_user(&self, _: &UserId) -> Result<()> {
            unreachable!("delete_user")
        }
    }

    #[async_trait]
    impl TenantDirectory for ListsMembersOnly {
        async fn list_tenants_page(&self, _: PageRequest) -> Result<Page<Tenant>> {
            unreachable!("list_tenants_page")
        }
        async fn get_tenant(&self, _: &TenantId) -> Result<Tenant> {
            unreachable!("get_tenant")
        }
        async fn create_tenant(&self, _: &NewTenant) -> Result<Created<Tenant>> {
            unreachable!("create_tenant")
        }
        async fn delete_tenant(&self, _: &TenantId) -> Result<()> {
            unreachable!("delete_tenant")
        }
    }

    #[async_trait]
    impl MembershipDirectory for ListsMembersOnly {
        async fn list_members_page(
            &self, _: &TenantId, _: PageRequest,
        ) -> Result<Page<Membership>> {
            unreachable!("list_members_page")
        }
        async fn list_user_memberships(&self, _: &UserId) -> Result<Vec<Membership>> {
            unreachable!("list_user_memberships")
        }
        async fn add_member(
            &self, _: &TenantId, _: &UserId, _: &MembershipRequest,
        ) -> Result<Membership> {
            unreachable!("add_member")
        }
        async fn remove_member(&self, _: &TenantId, _: &UserId) -> Result<()> {
            unreachable!("remove_member")
        }
    }

    struct NoServer;

    #[async_trait]
    impl RequestCounter for NoServer {
        async fn request_count(&self) -> usize {
            0
        }
    }

    #[tokio::test]
    async fn the_paged_member_check_is_skipped_naming_what_is_off() {
        let subject = Subject {
            directory: &ListsMembersOnly,
            requests: &NoServer,
        };
        assert_eq!(
            member_list_streams_all_pages(&subject).await,
            CheckOutcome::Skipped("capability off: add_member, create_user".into())
        );
    }
}
