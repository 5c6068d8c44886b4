//! The behaviour suite every adapter runs against its emulator.
//!
//! Each check is a `pub async fn` taking a [`Subject`]: the adapter as a
//! `&dyn Directory` plus a way to count the requests that reached the
//! server. Checks read [`Capabilities`] first: a check whose operation the
//! adapter does not offer returns early, and [`unsupported_is_error`]
//! checks the other side, that every operation it does not offer answers
//! `Unsupported` without sending anything.
//!
//! An adapter runs the whole suite with one line (see [`contract_tests!`]):
//!
//! ```text
//! roster_testkit::contract_tests!(crate::setup);
//! ```
//!
//! where `setup` is an `async fn() -> (Emulator<M>, Arc<dyn Directory>)`.
//!
//! [`contract_tests!`]: crate::contract_tests

use std::collections::HashSet;

use async_trait::async_trait;
use futures::TryStreamExt;
use roster_core::{
    Capabilities, CreateOutcome, Directory, Email, ErrorKind, MembershipRequest, NewTenant,
    NewUser, PageRequest, Result, Role, RoleSpec, Tenant, TenantDirectoryExt, TenantId, TenantRole,
    User, UserDirectoryExt, UserId, UserStatus, UserUpdate, WireGuardKey,
};
use uuid::Uuid;

use crate::emulator::{Emulator, Model};

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
        &self,
        what: &str,
        kind: ErrorKind,
        f: impl std::future::Future<Output = Result<T>>,
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
        &self,
        what: &str,
        kind: ErrorKind,
        f: impl std::future::Future<Output = Result<T>>,
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
/// bound to one organization); `None` when it can do neither, or lists none.
async fn member_tenant(subject: &Subject<'_>, label: &str) -> Option<Tenant> {
    let caps = subject.caps();
    if caps.create_tenant {
        return Some(new_tenant(subject, label).await);
    }
    if !caps.list_tenants {
        return None;
    }
    let tenants: Vec<Tenant> = subject
        .directory
        .list_tenants()
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{}: list tenants: {e}", subject.name()));
    tenants.into_iter().next()
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
pub async fn capabilities_are_consistent(subject: &Subject<'_>) {
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
}

/// Create, read, list, update and delete a user; a deleted user is gone.
pub async fn user_crud(subject: &Subject<'_>) {
    let caps = subject.caps();
    if !caps.create_user {
        return;
    }
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
}

/// Creating a user whose email exists answers `AlreadyExists`, and the
/// `ensure_user` helper never makes a second one.
pub async fn no_duplicate_users(subject: &Subject<'_>) {
    let caps = subject.caps();
    if !caps.create_user || !caps.list_users {
        return;
    }
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
}

/// The user stream returns every user exactly once.
pub async fn list_streams_all_pages(subject: &Subject<'_>) {
    let caps = subject.caps();
    if !caps.create_user || !caps.list_users {
        return;
    }
    let mut created = HashSet::new();
    for _ in 0..7 {
        created.insert(new_user(subject, "page").await.id);
    }
    let listed = all_users(subject).await;
    let ids: Vec<&UserId> = listed.iter().map(|u| &u.id).collect();
    let unique: HashSet<&UserId> = ids.iter().copied().collect();
    assert_eq!(
        ids.len(),
        unique.len(),
        "{}: a user was listed twice",
        subject.name()
    );
    for id in &created {
        assert!(
            unique.contains(id),
            "{}: {id} missing from the list",
            subject.name()
        );
    }
}

/// Create, read, list, find and delete a tenant.
pub async fn tenant_crud(subject: &Subject<'_>) {
    let caps = subject.caps();
    if !caps.create_tenant {
        return;
    }
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
        let fetched = subject.directory.get_tenant(&id).await.expect("get tenant");
        assert_eq!(fetched, created.value, "{name}");
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
}

/// Add a member, see them from both sides, remove them.
pub async fn membership_roundtrip(subject: &Subject<'_>) {
    let caps = subject.caps();
    if !(caps.add_member && caps.create_user) {
        return;
    }
    let name = subject.name();
    let Some(tenant) = member_tenant(subject, "team").await else {
        return;
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
}

/// On a provider with one tenant per user, a second add is a `Conflict`
/// that changes nothing, and `move_user` moves.
pub async fn single_tenant_rule(subject: &Subject<'_>) {
    let caps = subject.caps();
    if !(caps.single_tenant_per_user()
        && caps.create_user
        && caps.create_tenant
        && caps.remove_member)
    {
        return;
    }
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
}

/// Deleting a user removes their memberships, where the provider says so.
pub async fn delete_user_cascades(subject: &Subject<'_>) {
    let caps = subject.caps();
    if !(caps.delete_user_cascades_memberships && caps.add_member && caps.list_members) {
        return;
    }
    if !caps.create_user {
        return;
    }
    let Some(tenant) = member_tenant(subject, "cascade").await else {
        return;
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
}

/// A tenant created with members has them.
pub async fn create_tenant_with_members(subject: &Subject<'_>) {
    let caps = subject.caps();
    if !(caps.create_tenant_with_members && caps.list_members) {
        return;
    }
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
}

/// Input Roster can tell is wrong fails with `InvalidInput` and sends
/// nothing.
pub async fn bad_input_sends_nothing(subject: &Subject<'_>) {
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
}

/// Every operation or argument the capabilities rule out answers
/// `Unsupported` and sends nothing.
pub async fn unsupported_is_error(subject: &Subject<'_>) {
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
            .assert_refused_locally("list_members", unsupported, dir.list_members(&tenant))
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
}

/// Generates one `#[tokio::test]` per contract check, each against a fresh
/// emulator from `$setup`, an `async fn() -> (Emulator<M>, Arc<dyn Directory>)`.
#[macro_export]
macro_rules! contract_tests {
    ($setup:path) => {
        $crate::contract_tests!(@checks $setup;
            capabilities_are_consistent,
            user_crud,
            no_duplicate_users,
            list_streams_all_pages,
            tenant_crud,
            membership_roundtrip,
            single_tenant_rule,
            delete_user_cascades,
            create_tenant_with_members,
            bad_input_sends_nothing,
            unsupported_is_error
        );
    };
    (@checks $setup:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let (emulator, directory) = $setup().await;
                let subject = $crate::contract::Subject {
                    directory: &*directory,
                    requests: &emulator,
                };
                $crate::contract::$check(&subject).await;
            }
        )*
    };
}
