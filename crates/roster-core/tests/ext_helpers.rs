//! The blanket helpers, checked against a tiny in-memory directory whose
//! failures can be scripted.

use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use roster_core::{
    Capabilities, CreateOutcome, Created, Directory, Email, Error, ErrorKind, Membership,
    MembershipDirectory, MembershipDirectoryExt, MembershipRequest, NewTenant, NewUser, Page,
    PageRequest, Provider, Tenant, TenantDirectory, TenantDirectoryExt, TenantId, User,
    UserDirectory, UserDirectoryExt, UserId, UserStatus, UserUpdate, async_trait,
};

#[derive(Default)]
struct State {
    users: Vec<User>,
    tenants: Vec<Tenant>,
    members: Vec<(TenantId, UserId)>,
    /// Emails that a concurrent writer "creates" right after our lookup.
    race_on_create: Vec<String>,
    /// Tenants whose add fails.
    refuse_add_to: Vec<TenantId>,
    calls: Vec<String>,
}

#[derive(Default, Clone)]
struct Fake(Arc<Mutex<State>>, Capabilities);

impl Fake {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().expect("lock")
    }
    fn user(id: &str, email: &str) -> User {
        User::new(UserId::new(id).expect("id"), UserStatus::Active)
            .with_email(Email::parse(email).expect("email"))
    }
}

impl Provider for Fake {
    fn provider_id(&self) -> &'static str {
        "fake"
    }
    fn capabilities(&self) -> Capabilities {
        self.1
    }
}

#[async_trait]
impl UserDirectory for Fake {
    async fn list_users_page(&self, page: PageRequest) -> roster_core::Result<Page<User>> {
        // Pages of two, cursor = offset.
        let mut state = self.state();
        state.calls.push("list_users".into());
        let start: usize = page.cursor.map_or(0, |c| c.parse().expect("cursor"));
        let end = (start + 2).min(state.users.len());
        Ok(Page {
            items: state.users[start..end].to_vec(),
            next: (end < state.users.len()).then(|| end.to_string()),
        })
    }
    async fn get_user(&self, id: &UserId) -> roster_core::Result<User> {
        self.state()
            .users
            .iter()
            .find(|u| &u.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found("no user"))
    }
    async fn create_user(&self, user: &NewUser) -> roster_core::Result<Created<User>> {
        let mut state = self.state();
        state.calls.push("create_user".into());
        let n = state.users.len();
        let email = user.email.as_str().to_string();
        if state.race_on_create.contains(&email) {
            state.users.push(Fake::user(&format!("u{n}"), &email));
            return Err(Error::new(ErrorKind::AlreadyExists, "taken"));
        }
        let created = Fake::user(&format!("u{n}"), &email);
        state.users.push(created.clone());
        Ok(Created::new(created))
    }
    async fn update_user(&self, id: &UserId, _: &UserUpdate) -> roster_core::Result<User> {
        self.get_user(id).await
    }
    async fn delete_user(&self, id: &UserId) -> roster_core::Result<()> {
        self.state().users.retain(|u| &u.id != id);
        Ok(())
    }
}

#[async_trait]
impl TenantDirectory for Fake {
    async fn list_tenants_page(&self, _: PageRequest) -> roster_core::Result<Page<Tenant>> {
        Ok(Page::complete(self.state().tenants.clone()))
    }
    async fn get_tenant(&self, id: &TenantId) -> roster_core::Result<Tenant> {
        self.state()
            .tenants
            .iter()
            .find(|t| &t.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found("no tenant"))
    }
    async fn create_tenant(&self, tenant: &NewTenant) -> roster_core::Result<Created<Tenant>> {
        let mut state = self.state();
        state.calls.push("create_tenant".into());
        let created = Tenant::new(
            TenantId::new(format!("t{}", state.tenants.len())).expect("id"),
            tenant.name(),
        );
        state.tenants.push(created.clone());
        Ok(Created::new(created))
    }
    async fn delete_tenant(&self, id: &TenantId) -> roster_core::Result<()> {
        self.state().tenants.retain(|t| &t.id != id);
        Ok(())
    }
}

#[async_trait]
impl MembershipDirectory for Fake {
    async fn list_members_page(
        &self, tenant: &TenantId, page: PageRequest,
    ) -> roster_core::Result<Page<Membership>> {
        // As Adverity reads them: pages of two rows of the whole membership
        // table (cursor = offset), filtered to the tenant, so a page may
        // hold none of its members and still name a next one.
        let mut state = self.state();
        state.calls.push(format!("list_members {tenant}"));
        let start: usize = page.cursor.map_or(0, |c| c.parse().expect("cursor"));
        let end = (start + 2).min(state.members.len());
        Ok(Page {
            items: state.members[start..end]
                .iter()
                .filter(|(t, _)| t == tenant)
                .map(|(t, u)| membership(t, u))
                .collect(),
            next: (end < state.members.len()).then(|| end.to_string()),
        })
    }
    async fn list_user_memberships(&self, user: &UserId) -> roster_core::Result<Vec<Membership>> {
        Ok(self
            .state()
            .members
            .iter()
            .filter(|(_, u)| u == user)
            .map(|(t, u)| membership(t, u))
            .collect())
    }
    async fn add_member(
        &self, tenant: &TenantId, user: &UserId, _: &MembershipRequest,
    ) -> roster_core::Result<Membership> {
        let mut state = self.state();
        state.calls.push(format!("add {tenant}"));
        if state.refuse_add_to.contains(tenant) {
            return Err(Error::new(ErrorKind::PermissionDenied, "no"));
        }
        state.members.push((tenant.clone(), user.clone()));
        Ok(membership(tenant, user))
    }
    async fn remove_member(&self, tenant: &TenantId, user: &UserId) -> roster_core::Result<()> {
        let mut state = self.state();
        state.calls.push(format!("remove {tenant}"));
        state.members.retain(|(t, u)| !(t == tenant && u == user));
        Ok(())
    }
}

fn membership(tenant: &TenantId, user: &UserId) -> Membership {
    Membership::new(tenant.clone(), user.clone())
}

fn tid(s: &str) -> TenantId {
    TenantId::new(s).expect("tenant id")
}

fn uid(s: &str) -> UserId {
    UserId::new(s).expect("user id")
}

#[tokio::test]
async fn list_users_streams_every_page() {
    let fake = Fake::default();
    for i in 0..5 {
        fake.state()
            .users
            .push(Fake::user(&format!("u{i}"), &format!("p{i}@x.io")));
    }
    let all: Vec<User> = fake.list_users().try_collect().await.expect("list");
    assert_eq!(all.len(), 5);
    assert_eq!(fake.state().calls.len(), 3, "pages of two: 2 + 2 + 1");
}

/// `a`'s members in rows 0 and 5 of the membership table: in pages of
/// two, page 0 holds one, pages 1 and 2 (rows 2 to 5) hold none and one.
fn members_with_empty_pages_between() -> Fake {
    let fake = Fake::default();
    let rows = ["a", "b", "b", "b", "b", "a", "b"];
    for (n, tenant) in rows.into_iter().enumerate() {
        let user = UserId::new(format!("u{n}")).expect("id");
        fake.state().members.push((tid(tenant), user));
    }
    fake
}

#[tokio::test]
async fn stream_members_goes_on_through_empty_pages_to_the_last() {
    let fake = members_with_empty_pages_between();
    let members: Vec<Membership> = fake
        .stream_members(&tid("a"))
        .try_collect()
        .await
        .expect("members");
    let ids: Vec<&str> = members.iter().map(|m| m.user.as_str()).collect();
    assert_eq!(ids, ["u0", "u5"]);
    assert_eq!(
        fake.state().calls.len(),
        4,
        "every page of two, the empty middle one too: rows 0-1, 2-3, 4-5, 6"
    );
}

#[tokio::test]
async fn stream_members_is_lazy_and_list_members_collects_every_page() {
    let fake = members_with_empty_pages_between();
    let first: Vec<Membership> = {
        use futures::StreamExt;
        fake.stream_members(&tid("a"))
            .take(1)
            .try_collect()
            .await
            .expect("first")
    };
    assert_eq!(first[0].user.as_str(), "u0");
    assert_eq!(fake.state().calls.len(), 1, "one page for the first member");

    fake.state().calls.clear();
    let all = fake.list_members(&tid("a")).await.expect("members");
    assert_eq!(all.len(), 2);
    assert_eq!(fake.state().calls.len(), 4);

    // The default list_members_of reads every tenant's pages the same way.
    fake.state().calls.clear();
    let both = fake
        .list_members_of(&[tid("a"), tid("b")])
        .await
        .expect("of both");
    let ids: Vec<&str> = both.iter().map(|m| m.user.as_str()).collect();
    assert_eq!(ids, ["u0", "u5", "u1", "u2", "u3", "u4", "u6"]);
    assert_eq!(fake.state().calls.len(), 8, "four pages per tenant");
}

#[tokio::test]
async fn find_user_by_email_ignores_case_and_stops_early() {
    let fake = Fake::default();
    for i in 0..6 {
        fake.state()
            .users
            .push(Fake::user(&format!("u{i}"), &format!("P{i}@X.io")));
    }
    let found = fake
        .find_user_by_email(&Email::parse("p1@x.io").expect("email"))
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(found.id.as_str(), "u1");
    assert_eq!(fake.state().calls.len(), 1, "match on the first page");
}

#[tokio::test]
async fn ensure_user_creates_once_then_finds() {
    let fake = Fake::default();
    let request = NewUser::new(Email::parse("a+b@x.io").expect("email"));
    let first = fake.ensure_user(&request).await.expect("create");
    assert_eq!(first.outcome, CreateOutcome::Created);
    let second = fake.ensure_user(&request).await.expect("find");
    assert_eq!(second.outcome, CreateOutcome::AlreadyPresent);
    assert_eq!(second.id, first.id);
    assert_eq!(fake.state().users.len(), 1);
}

#[tokio::test]
async fn ensure_user_adopts_the_winner_of_a_race() {
    let fake = Fake::default();
    fake.state().race_on_create.push("race@x.io".into());
    let request = NewUser::new(Email::parse("race@x.io").expect("email"));
    let ensured = fake.ensure_user(&request).await.expect("adopt");
    assert_eq!(ensured.outcome, CreateOutcome::AlreadyPresent);
    assert_eq!(fake.state().users.len(), 1, "no duplicate");
}

#[tokio::test]
async fn ensure_tenant_is_idempotent() {
    let fake = Fake::default();
    let request = NewTenant::new("alpha").expect("name");
    assert_eq!(
        fake.ensure_tenant(&request).await.expect("create").outcome,
        CreateOutcome::Created
    );
    assert_eq!(
        fake.ensure_tenant(&request).await.expect("find").outcome,
        CreateOutcome::AlreadyPresent
    );
    assert_eq!(fake.state().tenants.len(), 1);
}

#[tokio::test]
async fn move_user_removes_then_adds() {
    let fake = Fake::default();
    let user = UserId::new("u1").expect("id");
    fake.state().members.push((tid("a"), user.clone()));
    let moved = fake
        .move_user(&user, &tid("a"), &tid("b"), &MembershipRequest::new())
        .await
        .expect("move");
    assert_eq!(moved.tenant, tid("b"));
    assert_eq!(fake.state().calls, vec!["remove a", "add b"]);
    assert!(fake.is_member(&tid("b"), &user).await.expect("check"));
    assert!(!fake.is_member(&tid("a"), &user).await.expect("check"));
}

#[tokio::test]
async fn move_user_puts_the_user_back_when_the_add_fails() {
    let fake = Fake::default();
    let user = UserId::new("u1").expect("id");
    fake.state().members.push((tid("a"), user.clone()));
    fake.state().refuse_add_to.push(tid("b"));
    let err = fake
        .move_user(&user, &tid("a"), &tid("b"), &MembershipRequest::new())
        .await
        .expect_err("add refused");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.message().contains("put back in a"), "{err}");
    assert_eq!(fake.state().calls, vec!["remove a", "add b", "add a"]);
    assert!(fake.is_member(&tid("a"), &user).await.expect("check"));
}

#[tokio::test]
async fn move_user_refuses_what_the_add_would_refuse_before_removing() {
    let strict = Capabilities {
        membership_requires_wireguard_key: true,
        ..Capabilities::default()
    };
    let fake = Fake(Arc::default(), strict);
    let user = UserId::new("u1").expect("id");
    fake.state().members.push((tid("a"), user.clone()));
    let err = fake
        .move_user(&user, &tid("a"), &tid("b"), &MembershipRequest::new())
        .await
        .expect_err("no key");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.provider(), Some("fake"));
    assert_eq!(err.operation(), Some(roster_core::Operation::MoveMember));
    assert!(fake.state().calls.is_empty(), "nothing removed");
    assert!(fake.is_member(&tid("a"), &user).await.expect("check"));

    let with_role = MembershipRequest::new()
        .with_wireguard_key(roster_core::WireGuardKey::from_bytes([3; 32]))
        .with_role(roster_core::TenantRole::Admin);
    let err = fake
        .move_user(&user, &tid("a"), &tid("b"), &with_role)
        .await
        .expect_err("no tenant roles");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(fake.state().calls.is_empty());
}

#[tokio::test]
async fn move_user_to_the_same_tenant_is_invalid_and_sends_nothing() {
    let fake = Fake::default();
    let user = UserId::new("u1").expect("id");
    let err = fake
        .move_user(&user, &tid("a"), &tid("a"), &MembershipRequest::new())
        .await
        .expect_err("same tenant");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(fake.state().calls.is_empty());
}

#[tokio::test]
async fn traits_are_object_safe_and_helpers_work_through_dyn() {
    let fake = Fake::default();
    let directory: Arc<dyn Directory> = Arc::new(fake.clone());
    let users: Arc<dyn UserDirectory> = directory.clone();
    let created = users
        .ensure_user(&NewUser::new(Email::parse("dyn@x.io").expect("email")))
        .await
        .expect("create through dyn");
    assert_eq!(created.outcome, CreateOutcome::Created);
    assert_eq!(directory.provider_id(), "fake");
    let tenants: Arc<dyn TenantDirectory> = directory.clone();
    assert!(
        tenants
            .find_tenant_by_name("none")
            .await
            .expect("find")
            .is_none()
    );
}

#[tokio::test]
async fn find_member_reads_pages_through_empty_ones_until_the_match_and_no_further() {
    let fake = members_with_empty_pages_between();
    // Tenant a: u0 on page 0, u5 on page 2, an empty page 1 between and
    // one more page (3) after.
    let found = fake.find_member(&tid("a"), &uid("u5")).await.expect("u5");
    assert_eq!(
        found.map(|m| m.user.as_str().to_owned()).as_deref(),
        Some("u5")
    );
    assert_eq!(fake.state().calls.len(), 3, "pages 0 to 2, not page 3");

    fake.state().calls.clear();
    let first = fake.find_member(&tid("a"), &uid("u0")).await.expect("u0");
    assert!(first.is_some());
    assert_eq!(
        fake.state().calls.len(),
        1,
        "stops at the page with the match"
    );

    fake.state().calls.clear();
    let absent = fake.find_member(&tid("a"), &uid("u1")).await.expect("u1");
    assert!(absent.is_none(), "u1 is in tenant b, not a");
    assert_eq!(fake.state().calls.len(), 4, "every page");
}
