//! The layers' behaviour, against a scripted in-memory directory, with
//! tokio's clock paused so waits are exact and instant.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::TryStreamExt;
use roster_core::{
    Capabilities, CreateOutcome, Created, Email, Error, ErrorKind, Membership, MembershipDirectory,
    MembershipDirectoryExt, MembershipRequest, NewTenant, NewUser, Operation, Page, PageRequest,
    Provider, Result, Tenant, TenantDirectory, TenantId, User, UserDirectory, UserId, UserStatus,
    UserUpdate,
};
use roster_layers::{ConcurrencyLimit, LayerExt, RateLimit, Retry, Stack, Timeout, Trace};
use tokio::time::Instant;

/// What one call to the fake does.
enum Step {
    Ok,
    Fail(Error),
    /// Sleeps this long, then succeeds.
    Slow(Duration),
    /// Creates the user, then fails (the response was lost).
    CreateThenFail(Error),
    /// Fails; the user it was creating appears only after the first
    /// lookup (the request was still on its way).
    CreateLate(Error),
    /// Deletes nothing, but fails as if the answer was lost.
    LostAnswer(Error),
}

#[derive(Default)]
struct State {
    script: VecDeque<Step>,
    users: Vec<User>,
    calls: Vec<Operation>,
    /// A user that appears after the next lookup.
    arriving: Option<User>,
    /// Lists in this many pages, each this slow (the users on the last).
    slow_pages: Option<(usize, Duration)>,
    /// The cursor of every member page asked for, in order.
    member_cursors: Vec<Option<String>>,
    /// What the fake says its client enforces per request (it enforces
    /// nothing, so a test sees whether the stack armed a timer).
    request_timeout: Option<Duration>,
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<State>>);

impl Fake {
    fn scripted(steps: impl IntoIterator<Item = Step>) -> Self {
        let fake = Fake::default();
        fake.0.lock().unwrap().script = steps.into_iter().collect();
        fake
    }

    fn calls(&self, operation: Operation) -> usize {
        let state = self.0.lock().unwrap();
        state.calls.iter().filter(|op| **op == operation).count()
    }

    fn users(&self) -> usize {
        self.0.lock().unwrap().users.len()
    }

    async fn step(&self, operation: Operation) -> Result<()> {
        let step = {
            let mut state = self.0.lock().unwrap();
            state.calls.push(operation);
            state.script.pop_front().unwrap_or(Step::Ok)
        };
        match step {
            Step::Ok => Ok(()),
            Step::Fail(error)
            | Step::CreateThenFail(error)
            | Step::CreateLate(error)
            | Step::LostAnswer(error)
                if !matches!(operation, Operation::CreateUser) && !operation.is_removal() =>
            {
                Err(error)
            }
            Step::LostAnswer(error) => Err(error),
            Step::CreateLate(error) => {
                self.0.lock().unwrap().arriving = Some(user("late@example.com"));
                Err(error)
            }
            Step::Fail(error) => Err(error),
            Step::CreateThenFail(error) => {
                self.0.lock().unwrap().users.push(user("lost@example.com"));
                Err(error)
            }
            Step::Slow(wait) => {
                tokio::time::sleep(wait).await;
                Ok(())
            }
        }
    }
}

fn user(email: &str) -> User {
    User::new(
        UserId::new(format!("id-{email}")).unwrap(),
        UserStatus::Active,
    )
    .with_email(Email::parse(email).unwrap())
}

fn status(code: u16) -> Error {
    Error::new(ErrorKind::Unexpected, format!("status {code}")).with_status(code)
}

fn all_capabilities() -> Capabilities {
    Capabilities {
        list_users: true,
        server_side_pagination: false,
        get_user: true,
        create_user: true,
        create_is_invitation: false,
        update_user: true,
        update_email: true,
        update_role: true,
        update_status: true,
        user_display_name: true,
        update_display_name: true,
        user_roles: true,
        multiple_roles_per_user: false,
        delete_user: true,
        delete_user_cascades_memberships: true,
        current_user: false,
        list_tenants: true,
        get_tenant: true,
        create_tenant: true,
        create_tenant_with_members: false,
        delete_tenant: true,
        list_members: true,
        list_user_memberships: true,
        add_member: true,
        remove_member: true,
        membership_roles: false,
        membership_requires_wireguard_key: false,
        max_tenants_per_user: None,
    }
}

impl Provider for Fake {
    fn provider_id(&self) -> &'static str {
        "fake"
    }

    fn capabilities(&self) -> Capabilities {
        all_capabilities()
    }

    fn request_timeout(&self) -> Option<Duration> {
        self.0.lock().unwrap().request_timeout
    }
}

#[async_trait]
impl UserDirectory for Fake {
    async fn list_users_page(&self, page: PageRequest) -> Result<Page<User>> {
        self.step(Operation::ListUsers).await?;
        let slow_pages = self.0.lock().unwrap().slow_pages;
        if let Some((pages, each)) = slow_pages {
            tokio::time::sleep(each).await;
            let index: usize = page.cursor.as_deref().map_or(0, |c| c.parse().unwrap());
            if index + 1 < pages {
                // Not empty: a pager stops at an empty page.
                return Ok(Page {
                    items: vec![user(&format!("page{index}@example.com"))],
                    next: Some((index + 1).to_string()),
                });
            }
            return Ok(Page::complete(self.0.lock().unwrap().users.clone()));
        }
        let mut state = self.0.lock().unwrap();
        let users = state.users.clone();
        if let Some(late) = state.arriving.take() {
            state.users.push(late);
        }
        Ok(Page::complete(users))
    }

    async fn get_user(&self, _id: &UserId) -> Result<User> {
        self.step(Operation::GetUser).await?;
        Ok(user("read@example.com"))
    }

    async fn create_user(&self, new: &NewUser) -> Result<Created<User>> {
        self.step(Operation::CreateUser).await?;
        let created = user(new.email.as_str());
        self.0.lock().unwrap().users.push(created.clone());
        Ok(Created::new(created))
    }

    async fn update_user(&self, _id: &UserId, _update: &UserUpdate) -> Result<User> {
        self.step(Operation::UpdateUser).await?;
        Ok(user("updated@example.com"))
    }

    async fn delete_user(&self, _id: &UserId) -> Result<()> {
        self.step(Operation::DeleteUser).await
    }
}

#[async_trait]
impl TenantDirectory for Fake {
    async fn list_tenants_page(&self, _page: PageRequest) -> Result<Page<Tenant>> {
        self.step(Operation::ListTenants).await?;
        Ok(Page::complete(Vec::new()))
    }

    async fn get_tenant(&self, id: &TenantId) -> Result<Tenant> {
        self.step(Operation::GetTenant).await?;
        Err(Error::not_found(format!("no tenant {id}")))
    }

    async fn create_tenant(&self, tenant: &NewTenant) -> Result<Created<Tenant>> {
        self.step(Operation::CreateTenant).await?;
        Ok(Created::new(Tenant::new(
            TenantId::new("t1").unwrap(),
            tenant.name(),
        )))
    }

    async fn delete_tenant(&self, _id: &TenantId) -> Result<()> {
        self.step(Operation::DeleteTenant).await
    }
}

#[async_trait]
impl MembershipDirectory for Fake {
    /// Three pages, the middle one empty: `u0` on the first, `u2` on the
    /// last.
    async fn list_members_page(
        &self, tenant: &TenantId, page: PageRequest,
    ) -> Result<Page<Membership>> {
        self.0
            .lock()
            .unwrap()
            .member_cursors
            .push(page.cursor.clone());
        self.step(Operation::ListMembers).await?;
        let index: usize = page.cursor.as_deref().map_or(0, |c| c.parse().unwrap());
        let items = match index {
            1 => Vec::new(),
            _ => vec![Membership::new(
                tenant.clone(),
                UserId::new(format!("u{index}")).unwrap(),
            )],
        };
        Ok(Page {
            items,
            next: (index < 2).then(|| (index + 1).to_string()),
        })
    }

    async fn list_user_memberships(&self, _user: &UserId) -> Result<Vec<Membership>> {
        self.step(Operation::ListUserMemberships).await?;
        Ok(Vec::new())
    }

    async fn add_member(
        &self, _tenant: &TenantId, _user: &UserId, _request: &MembershipRequest,
    ) -> Result<Membership> {
        self.step(Operation::AddMember).await?;
        Err(Error::new(ErrorKind::Unexpected, "not scripted"))
    }

    async fn remove_member(&self, _tenant: &TenantId, _user: &UserId) -> Result<()> {
        self.step(Operation::RemoveMember).await
    }
}

fn retry() -> Retry {
    Retry::default()
        .jitter(false)
        .max_attempts(4)
        .delays(Duration::from_secs(1), Duration::from_secs(30))
}

fn id() -> UserId {
    UserId::new("u1").unwrap()
}

fn new_user(email: &str) -> NewUser {
    NewUser::new(Email::parse(email).unwrap())
}

#[tokio::test(start_paused = true)]
async fn temporary_errors_are_retried_with_exponential_waits() {
    let fake = Fake::scripted([Step::Fail(status(503)), Step::Fail(status(502)), Step::Ok]);
    let directory = fake.clone().layer(retry());
    let started = Instant::now();
    let read = directory.get_user(&id()).await.unwrap();
    assert_eq!(read.email.unwrap().as_str(), "read@example.com");
    assert_eq!(fake.calls(Operation::GetUser), 3);
    // 1 s, then 2 s: exact, because the clock is paused.
    assert_eq!(started.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn retry_after_replaces_the_backoff() {
    let limited = || status(429).with_retry_after(Duration::from_secs(7));
    let fake = Fake::scripted([Step::Fail(limited()), Step::Fail(limited()), Step::Ok]);
    let directory = fake.clone().layer(retry());
    let started = Instant::now();
    directory.delete_user(&id()).await.unwrap();
    assert_eq!(fake.calls(Operation::DeleteUser), 3);
    assert_eq!(started.elapsed(), Duration::from_secs(14));
}

#[tokio::test(start_paused = true)]
async fn it_gives_up_after_max_attempts_with_the_last_error() {
    let fake = Fake::scripted((0..10).map(|_| Step::Fail(status(504))));
    let directory = fake.clone().layer(retry());
    let error = directory.get_user(&id()).await.unwrap_err();
    assert_eq!(error.status(), Some(504));
    assert!(error.is_temporary());
    assert!(
        error.to_string().contains("gave up after 4 attempts"),
        "{error}"
    );
    assert_eq!(fake.calls(Operation::GetUser), 4);
}

#[tokio::test(start_paused = true)]
async fn it_never_waits_past_the_deadline() {
    let long = status(429).with_retry_after(Duration::from_secs(120));
    let fake = Fake::scripted([Step::Fail(long), Step::Ok]);
    let directory = fake
        .clone()
        .layer(retry().deadline(Some(Duration::from_secs(60))));
    let started = Instant::now();
    let error = directory.get_user(&id()).await.unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert!(error.to_string().contains("retry deadline"), "{error}");
    assert_eq!(fake.calls(Operation::GetUser), 1);
    assert_eq!(started.elapsed(), Duration::ZERO, "it slept anyway");
}

#[tokio::test(start_paused = true)]
async fn permanent_errors_and_500_on_creates_are_not_retried() {
    for error in [
        status(400),
        status(401),
        status(404),
        status(409),
        status(422),
    ] {
        let code = error.status();
        let fake = Fake::scripted([Step::Fail(error)]);
        let directory = fake.clone().layer(retry());
        assert_eq!(directory.get_user(&id()).await.unwrap_err().status(), code);
        assert_eq!(fake.calls(Operation::GetUser), 1, "{code:?}");
    }
    // A 500 is retried for an idempotent read...
    let fake = Fake::scripted([Step::Fail(status(500)), Step::Ok]);
    fake.clone().layer(retry()).get_user(&id()).await.unwrap();
    assert_eq!(fake.calls(Operation::GetUser), 2);
    // ...but a create that got a 500 is looked up, and not re-sent when the
    // lookup finds nothing.
    let fake = Fake::scripted([Step::Fail(status(500))]);
    let error = fake
        .clone()
        .layer(retry())
        .create_user(&new_user("a@example.com"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(500));
    assert_eq!(fake.calls(Operation::CreateUser), 1);
    assert_eq!(fake.calls(Operation::ListUsers), 1, "no lookup");
    assert_eq!(fake.users(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_create_that_took_effect_is_adopted_not_repeated() {
    let lost = Error::new(ErrorKind::Timeout, "timed out while reading the response");
    let fake = Fake::scripted([Step::CreateThenFail(lost)]);
    let directory = fake.clone().layer(retry());
    let created = directory
        .create_user(&new_user("lost@example.com"))
        .await
        .unwrap();
    assert_eq!(created.outcome, CreateOutcome::Adopted);
    assert_eq!(created.value.email.unwrap().as_str(), "lost@example.com");
    assert_eq!(
        fake.calls(Operation::CreateUser),
        1,
        "the create was re-sent"
    );
    assert_eq!(fake.users(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_create_that_did_not_take_effect_is_resent_after_the_lookup() {
    let fake = Fake::scripted([Step::Fail(status(503))]);
    let directory = fake.clone().layer(retry());
    let created = directory
        .create_user(&new_user("b@example.com"))
        .await
        .unwrap();
    assert_eq!(created.outcome, CreateOutcome::Created);
    assert_eq!(fake.calls(Operation::CreateUser), 2);
    // Looked up right away, and once more after the wait, before re-sending.
    assert_eq!(fake.calls(Operation::ListUsers), 2);
    assert_eq!(fake.users(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_create_that_lands_late_is_found_by_the_second_lookup_not_resent() {
    let lost = Error::new(ErrorKind::Timeout, "the attempt took longer than 5s");
    let fake = Fake::scripted([Step::CreateLate(lost)]);
    let created = fake
        .clone()
        .layer(retry())
        .create_user(&new_user("late@example.com"))
        .await
        .unwrap();
    assert_eq!(created.outcome, CreateOutcome::Adopted);
    assert_eq!(
        fake.calls(Operation::CreateUser),
        1,
        "the create was re-sent"
    );
    assert_eq!(fake.calls(Operation::ListUsers), 2);
    assert_eq!(fake.users(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failed_follow_up_of_a_create_is_neither_adopted_nor_resent() {
    let step_failed = status(503)
        .with_operation(Operation::AddMember)
        .partly_done();
    let fake = Fake::scripted([Step::Fail(step_failed)]);
    let error = fake
        .clone()
        .layer(retry())
        .create_tenant(&NewTenant::new("alpha").unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.operation(), Some(Operation::AddMember));
    assert_eq!(fake.calls(Operation::CreateTenant), 1, "not re-sent");
    assert_eq!(fake.calls(Operation::ListTenants), 0, "not looked up");
    assert!(error.is_partly_done());
}

/// Every removal the fact table names, run once through `Retry`: a first
/// attempt whose answer was lost, then `NotFound`.
async fn removal(fake: &Fake, operation: Operation) -> Result<()> {
    let directory = fake.clone().layer(retry());
    let tenant = TenantId::new("t1").unwrap();
    match operation {
        Operation::DeleteUser => directory.delete_user(&id()).await,
        Operation::DeleteTenant => directory.delete_tenant(&tenant).await,
        Operation::RemoveMember => directory.remove_member(&tenant, &id()).await,
        other => panic!("{other} is not a trait removal"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_retried_removal_that_finds_nothing_left_is_done() {
    let removals = [
        Operation::DeleteUser,
        Operation::DeleteTenant,
        Operation::RemoveMember,
    ];
    for operation in removals {
        assert!(operation.is_removal(), "{operation} is a removal");
        let lost = Error::new(ErrorKind::Timeout, "the answer was lost");
        let gone = Error::not_found("no such thing");
        let fake = Fake::scripted([Step::LostAnswer(lost), Step::Fail(gone)]);
        removal(&fake, operation)
            .await
            .unwrap_or_else(|e| panic!("{operation}: {e}"));
        assert_eq!(fake.calls(operation), 2, "{operation}");
        // But a first attempt that finds nothing is still NotFound.
        let fake = Fake::scripted([Step::Fail(Error::not_found("no such thing"))]);
        let error = removal(&fake, operation).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotFound, "{operation}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_lost_lookup_is_retried_like_a_read() {
    // The create's answer is lost, then the first lookup's too.
    let fake = Fake::scripted([
        Step::Fail(Error::new(ErrorKind::Transport, "connection reset")),
        Step::Fail(status(503)),
    ]);
    let started = Instant::now();
    let created = fake
        .clone()
        .layer(retry())
        .create_user(&new_user("c@example.com"))
        .await
        .unwrap();
    assert_eq!(created.outcome, CreateOutcome::Created);
    // Lookup (503), lookup again after 1 s (absent), wait 1 s, look once
    // more (absent), then the create is sent again.
    assert_eq!(fake.calls(Operation::ListUsers), 3);
    assert_eq!(fake.calls(Operation::CreateUser), 2);
    assert_eq!(fake.users(), 1);
    assert_eq!(started.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn a_create_whose_lookups_keep_failing_is_not_resent() {
    let fake = Fake::scripted([
        Step::Fail(Error::new(ErrorKind::Transport, "connection reset")),
        Step::Fail(status(503)),
        Step::Fail(status(503)),
        Step::Fail(status(503)),
        Step::Fail(status(503)),
    ]);
    let started = Instant::now();
    let error = fake
        .clone()
        .layer(retry())
        .create_user(&new_user("c@example.com"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert!(
        error
            .to_string()
            .contains("checking whether the create took effect failed"),
        "{error}"
    );
    // Four lookups, like the four attempts of a read, waiting 1, 2, 4 s.
    assert_eq!(fake.calls(Operation::ListUsers), 4);
    assert_eq!(fake.calls(Operation::CreateUser), 1);
    assert_eq!(started.elapsed(), Duration::from_secs(7));
}

#[tokio::test(start_paused = true)]
async fn a_rate_limited_create_is_resent_without_a_lookup() {
    let fake = Fake::scripted([Step::Fail(status(429))]);
    fake.clone()
        .layer(retry())
        .create_user(&new_user("d@example.com"))
        .await
        .unwrap();
    assert_eq!(fake.calls(Operation::CreateUser), 2);
    assert_eq!(fake.calls(Operation::ListUsers), 0);
}

#[tokio::test(start_paused = true)]
async fn disabled_retry_runs_once() {
    let fake = Fake::scripted([Step::Fail(status(503)), Step::Ok]);
    let error = fake
        .clone()
        .layer(Retry::disabled())
        .get_user(&id())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(fake.calls(Operation::GetUser), 1);
}

#[tokio::test(start_paused = true)]
async fn a_slow_attempt_times_out_and_is_retried_inside_the_total_limit() {
    let fake = Fake::scripted([Step::Slow(Duration::from_secs(100)), Step::Ok]);
    let directory = fake
        .clone()
        .layer(Timeout::per_attempt(Duration::from_secs(5)))
        .layer(retry());
    directory.get_user(&id()).await.unwrap();
    assert_eq!(fake.calls(Operation::GetUser), 2);

    let fake = Fake::scripted((0..10).map(|_| Step::Slow(Duration::from_secs(100))));
    let directory = fake
        .clone()
        .layer(Timeout::per_attempt(Duration::from_secs(5)))
        .layer(retry())
        .layer(Timeout::total(Duration::from_secs(8)));
    let started = Instant::now();
    let error = directory.get_user(&id()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(
        error
            .to_string()
            .contains("the operation took longer than 8s")
    );
    assert_eq!(error.operation(), Some(Operation::GetUser));
    assert_eq!(error.provider(), Some("fake"));
    assert_eq!(started.elapsed(), Duration::from_secs(8));
    // 5 s attempt, 1 s wait, then the second attempt is cut at 8 s.
    assert_eq!(fake.calls(Operation::GetUser), 2);
}

#[tokio::test(start_paused = true)]
async fn a_concurrency_limit_is_shared_between_clients() {
    let limit = ConcurrencyLimit::new(2);
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));

    struct Probe {
        fake: Fake,
        in_flight: Arc<AtomicUsize>,
        most: Arc<AtomicUsize>,
    }
    impl Provider for Probe {
        fn provider_id(&self) -> &'static str {
            "probe"
        }
        fn capabilities(&self) -> Capabilities {
            all_capabilities()
        }
    }
    #[async_trait]
    impl UserDirectory for Probe {
        async fn list_users_page(&self, page: PageRequest) -> Result<Page<User>> {
            self.fake.list_users_page(page).await
        }
        async fn get_user(&self, id: &UserId) -> Result<User> {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(10)).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            self.fake.get_user(id).await
        }
        async fn create_user(&self, user: &NewUser) -> Result<Created<User>> {
            self.fake.create_user(user).await
        }
        async fn update_user(&self, id: &UserId, update: &UserUpdate) -> Result<User> {
            self.fake.update_user(id, update).await
        }
        async fn delete_user(&self, id: &UserId) -> Result<()> {
            self.fake.delete_user(id).await
        }
    }

    let clients: Vec<_> = (0..2)
        .map(|_| {
            Arc::new(
                Probe {
                    fake: Fake::default(),
                    in_flight: in_flight.clone(),
                    most: most.clone(),
                }
                .layer(limit.clone()),
            )
        })
        .collect();
    let calls: Vec<_> = (0..10)
        .map(|i| {
            let client = clients[i % 2].clone();
            tokio::spawn(async move { client.get_user(&id()).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(most.load(Ordering::SeqCst), 2);
    assert_eq!(limit.available(), 2);
}

#[tokio::test]
async fn a_rate_limit_holds_calls_beyond_the_burst() {
    let one = NonZeroU32::new(1).unwrap();
    let limit = RateLimit::per_minute(one, NonZeroU32::new(2).unwrap());
    let fake = Fake::default();
    let first = fake.clone().layer(limit.clone());
    let second = fake.clone().layer(limit);
    first.get_user(&id()).await.unwrap();
    second.get_user(&id()).await.unwrap();
    // The bucket (shared by both clients) is empty and refills once a
    // minute: the third call must still be waiting well after it started.
    let third = tokio::time::timeout(Duration::from_millis(200), first.get_user(&id())).await;
    assert!(third.is_err(), "the third call was not held");
    assert_eq!(fake.calls(Operation::GetUser), 2);
}

#[test]
fn netbird_gets_its_documented_rate_limit() {
    assert!(format!("{:?}", RateLimit::netbird_cloud()).contains("120/min, burst 1200"));
    assert!(
        format!("{:?}", roster_layers::RateLimitPreset::NetbirdCloud.limit())
            .contains("120/min, burst 1200")
    );
    let stack = Stack::with_preset(roster_layers::RateLimitPreset::NetbirdCloud);
    assert!(format!("{stack:?}").contains("120/min"), "{stack:?}");
    assert!(!format!("{:?}", Stack::default()).contains("/min"));
}

#[tokio::test(start_paused = true)]
async fn the_default_stack_wraps_every_trait_and_keeps_capabilities() {
    let fake = Fake::scripted([Step::Fail(status(503))]);
    let directory = Stack::default().apply(fake.clone());
    assert_eq!(directory.provider_id(), "fake");
    assert_eq!(directory.capabilities(), all_capabilities());
    directory.get_user(&id()).await.unwrap();
    directory
        .delete_tenant(&TenantId::new("t1").unwrap())
        .await
        .unwrap();
    directory
        .list_members(&TenantId::new("t1").unwrap())
        .await
        .unwrap();
    assert_eq!(
        fake.calls(Operation::GetUser),
        2,
        "the default stack retries"
    );

    let bare = Stack::none().apply(Fake::scripted([Step::Fail(status(503))]));
    assert_eq!(bare.get_user(&id()).await.unwrap_err().status(), Some(503));
}

#[tokio::test(start_paused = true)]
async fn a_member_stream_through_the_layers_retries_the_failed_page_alone() {
    // The second page (the empty one) fails once.
    let fake = Fake::scripted([Step::Ok, Step::Fail(status(503)), Step::Ok, Step::Ok]);
    let directory = Stack::default().retry(retry()).apply(fake.clone());
    let tenant = TenantId::new("t1").unwrap();
    let members: Vec<Membership> = directory
        .stream_members(&tenant)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = members.iter().map(|m| m.user.as_str()).collect();
    assert_eq!(ids, ["u0", "u2"], "on through the empty page");
    let cursors = fake.0.lock().unwrap().member_cursors.clone();
    assert_eq!(
        cursors,
        [None, Some("1".into()), Some("1".into()), Some("2".into())],
        "each cursor reaches the directory as given; only the failed page is sent again"
    );
}

#[tokio::test(start_paused = true)]
async fn the_composed_stack_bounds_each_attempt_retries_and_bounds_the_whole() {
    // A slow first attempt is cut at the per-attempt limit, then retried.
    let fake = Fake::scripted([Step::Slow(Duration::from_secs(40)), Step::Ok]);
    let directory = Stack::default().retry(retry()).apply(fake.clone());
    let started = Instant::now();
    directory.get_user(&id()).await.unwrap();
    assert_eq!(fake.calls(Operation::GetUser), 2);
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(31),
        "30 s cut + 1 s wait"
    );

    // The whole operation has its own limit.
    let slow = Step::Slow(Duration::from_secs(40));
    let fake = Fake::scripted([slow, Step::Slow(Duration::from_secs(40))]);
    let directory = Stack::default()
        .retry(retry())
        .total_timeout(Some(Duration::from_secs(45)))
        .apply(fake.clone());
    let error = directory.get_user(&id()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(
        error.message().contains("the operation took longer"),
        "{error}"
    );
    assert_eq!(error.provider(), Some("fake"));

    // A create whose answer was lost is looked up through the stack and
    // adopted, not sent twice.
    let lost = Error::new(ErrorKind::Timeout, "the answer was lost");
    let fake = Fake::scripted([Step::CreateThenFail(lost)]);
    let created = Stack::default()
        .retry(retry())
        .apply(fake.clone())
        .create_user(&new_user("lost@example.com"))
        .await
        .unwrap();
    assert_eq!(created.outcome, CreateOutcome::Adopted);
    assert_eq!(fake.calls(Operation::CreateUser), 1);
    assert_eq!(fake.users(), 1);

    // A lost create's lookup passes the per-attempt layers request by
    // request: four 20 s pages, each within the 30 s limit, adopt the user.
    let lost = Error::new(ErrorKind::Timeout, "the answer was lost");
    let fake = Fake::scripted([Step::CreateThenFail(lost)]);
    fake.0.lock().unwrap().slow_pages = Some((4, Duration::from_secs(20)));
    let created = Stack::default()
        .retry(retry())
        .total_timeout(None)
        .apply(fake.clone())
        .create_user(&new_user("lost@example.com"))
        .await
        .unwrap();
    assert_eq!(created.outcome, CreateOutcome::Adopted);
    assert_eq!(fake.calls(Operation::ListUsers), 4, "every page read once");

    // With no retry, the per-attempt limit still applies.
    let fake = Fake::scripted([Step::Slow(Duration::from_secs(40))]);
    let directory = Stack::default()
        .retry(Retry::disabled())
        .apply(fake.clone());
    let error = directory.get_user(&id()).await.unwrap_err();
    assert!(
        error.message().contains("the attempt took longer"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn no_attempt_timer_where_the_client_enforces_the_same_limit() {
    // The fake claims a 30 s request timeout of its own (and enforces
    // none): the stack's 30 s attempt limit arms no second timer, so a
    // 40 s attempt runs to its end.
    let fake = Fake::scripted([Step::Slow(Duration::from_secs(40))]);
    fake.0.lock().unwrap().request_timeout = Some(Duration::from_secs(30));
    let directory = Stack::default().retry(retry()).apply(fake.clone());
    let started = Instant::now();
    directory.get_user(&id()).await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(40));
    assert_eq!(fake.calls(Operation::GetUser), 1);

    // A client limit longer than the attempt's keeps the stack's timer.
    let fake = Fake::scripted([Step::Slow(Duration::from_secs(40)), Step::Ok]);
    fake.0.lock().unwrap().request_timeout = Some(Duration::from_secs(31));
    let directory = Stack::default().retry(retry()).apply(fake.clone());
    let started = Instant::now();
    directory.get_user(&id()).await.unwrap();
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(31),
        "30 s cut + 1 s wait"
    );

    // The whole-operation deadline still binds where it comes first: the
    // one timer is armed at it.
    let fake = Fake::scripted([Step::Slow(Duration::from_secs(40))]);
    fake.0.lock().unwrap().request_timeout = Some(Duration::from_secs(30));
    let directory = Stack::default()
        .retry(retry())
        .total_timeout(Some(Duration::from_secs(20)))
        .apply(fake.clone());
    let started = Instant::now();
    let error = directory.get_user(&id()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(
        error
            .message()
            .contains("the operation took longer than 20s"),
        "{error}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(20));

    // An attempt of several requests, each within the client's limit, still
    // ends at the whole-operation deadline even when that is further away
    // than one request's limit (the client's timer cannot see it).
    let fake = Fake::scripted([Step::Slow(Duration::from_secs(70))]);
    fake.0.lock().unwrap().request_timeout = Some(Duration::from_secs(30));
    let directory = Stack::default()
        .retry(retry())
        .total_timeout(Some(Duration::from_secs(60)))
        .apply(fake.clone());
    let started = Instant::now();
    let error = directory.get_user(&id()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(
        error
            .message()
            .contains("the operation took longer than 60s"),
        "{error}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn a_retry_wait_ends_at_the_whole_operation_deadline() {
    // 503, then a 10 s Retry-After that would pass the 5 s deadline: the
    // wait ends at the deadline with the operation's timeout, as the old
    // whole-operation timer did.
    let busy = status(503).with_retry_after(Duration::from_secs(10));
    let fake = Fake::scripted([Step::Fail(busy)]);
    let directory = Stack::default()
        .retry(retry())
        .total_timeout(Some(Duration::from_secs(5)))
        .apply(fake.clone());
    let started = Instant::now();
    let error = directory.get_user(&id()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(
        error
            .message()
            .contains("the operation took longer than 5s"),
        "{error}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    assert_eq!(fake.calls(Operation::GetUser), 1);
}

/// Captures formatted log output.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn trace_opens_one_span_per_operation_with_the_attempt_count() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = Fake::scripted([Step::Fail(status(503)), Step::Ok, Step::Fail(status(404))]);
    let directory = fake.clone().layer(retry()).layer(Trace);
    directory.get_user(&id()).await.unwrap();
    directory.delete_user(&id()).await.unwrap_err();

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let succeeded = text
        .lines()
        .find(|line| line.contains("operation succeeded"))
        .unwrap_or_else(|| panic!("no success event in:\n{text}"));
    // `fmt` prints a re-recorded field again rather than replacing it.
    assert!(
        succeeded.contains(
            "roster.operation{provider=\"fake\" operation=\"get_user\" attempt=1 attempt=2 "
        ),
        "{succeeded}"
    );
    assert!(succeeded.contains("outcome=\"ok\""), "{succeeded}");
    let failed = text
        .lines()
        .find(|line| line.contains("operation failed"))
        .unwrap_or_else(|| panic!("no failure event in:\n{text}"));
    assert!(
        failed.contains("operation=\"delete_user\" attempt=1"),
        "{failed}"
    );
    assert!(failed.contains("status=404"), "{failed}");
    assert!(text.contains("retrying"), "{text}");
}
