//! Every generic check refuses before the service is called, and errors the
//! service returns come back tagged. The fake service records each call it
//! receives, so "refused" is proved by an empty record.

use std::sync::Mutex;

use super::*;
use crate::model::{Email, Role, RoleSpec, TenantRole, UserStatus, WireGuardKey};

const PROVIDER: &str = "fake";

struct Fake {
    caps: Capabilities,
    calls: Mutex<Vec<&'static str>>,
    /// What every call answers with instead of success: a kind, a message
    /// and the operation the service itself names, if any.
    fail: Option<(ErrorKind, &'static str, Option<Operation>)>,
    native_move: bool,
}

impl Fake {
    fn new(caps: Capabilities) -> Checked<Fake> {
        Checked::from_service(Fake {
            caps,
            calls: Mutex::new(Vec::new()),
            fail: None,
            native_move: false,
        })
    }

    fn failing(
        kind: ErrorKind, message: &'static str, operation: Option<Operation>,
    ) -> Checked<Fake> {
        let mut fake = Fake::new(everything()).into_service();
        fake.fail = Some((kind, message, operation));
        Checked::from_service(fake)
    }

    fn answer<T>(&self, call: &'static str, value: T) -> Result<T> {
        self.calls.lock().unwrap().push(call);
        match self.fail {
            Some((kind, message, None)) => Err(Error::new(kind, message)),
            Some((kind, message, Some(operation))) => {
                Err(Error::new(kind, message).with_operation(operation))
            }
            None => Ok(value),
        }
    }

    fn calls(&self) -> Vec<&'static str> {
        self.calls.lock().unwrap().clone()
    }
}

fn user() -> User {
    User::new(uid("u1"), UserStatus::Active)
}

fn tenant() -> Tenant {
    Tenant::new(tid("t1"), "one")
}

fn uid(id: &str) -> UserId {
    UserId::new(id).unwrap()
}

fn tid(id: &str) -> TenantId {
    TenantId::new(id).unwrap()
}

fn membership() -> Membership {
    Membership::new(tid("t1"), uid("u1"))
}

impl Provider for Fake {
    fn provider_id(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    fn user_fields(&self) -> &'static [&'static str] {
        &["phone"]
    }
}

impl UserService for Fake {
    async fn list_users_page(&self, _: op::ListUsers) -> Result<Page<User>> {
        self.answer("list_users_page", Page::complete(vec![user()]))
    }
    fn check_user_id(&self, id: &UserId) -> Result<()> {
        match id.as_str() {
            "not-mine" => Err(Error::invalid_input("not an id of this provider")),
            _ => Ok(()),
        }
    }
    async fn get_user(&self, _: op::GetUser<'_>) -> Result<User> {
        self.answer("get_user", user())
    }
    async fn create_user(&self, _: op::CreateUser<'_>) -> Result<Created<User>> {
        self.answer("create_user", Created::new(user()))
    }
    async fn update_user(&self, _: op::UpdateUser<'_>) -> Result<User> {
        self.answer("update_user", user())
    }
    async fn delete_user(&self, _: op::DeleteUser<'_>) -> Result<()> {
        self.answer("delete_user", ())
    }
    async fn current_user(&self, _: op::CurrentUser) -> Result<Principal> {
        self.answer("current_user", Principal::new())
    }
}

impl TenantService for Fake {
    async fn list_tenants_page(&self, _: op::ListTenants) -> Result<Page<Tenant>> {
        self.answer("list_tenants_page", Page::complete(vec![tenant()]))
    }
    async fn get_tenant(&self, _: op::GetTenant<'_>) -> Result<Tenant> {
        self.answer("get_tenant", tenant())
    }
    async fn create_tenant(&self, _: op::CreateTenant<'_>) -> Result<Created<Tenant>> {
        self.answer("create_tenant", Created::new(tenant()))
    }
    async fn delete_tenant(&self, _: op::DeleteTenant<'_>) -> Result<()> {
        self.answer("delete_tenant", ())
    }
}

impl MembershipService for Fake {
    async fn list_members_page(&self, _: op::ListMembers<'_>) -> Result<Page<Membership>> {
        self.answer("list_members_page", Page::complete(vec![membership()]))
    }
    async fn list_user_memberships(
        &self, _: op::ListUserMemberships<'_>,
    ) -> Result<Vec<Membership>> {
        self.answer("list_user_memberships", vec![membership()])
    }
    async fn add_member(&self, _: op::AddMember<'_>) -> Result<Membership> {
        self.answer("add_member", membership())
    }
    async fn remove_member(&self, _: op::RemoveMember<'_>) -> Result<()> {
        self.answer("remove_member", ())
    }
    async fn move_natively(&self, _: op::MoveMember<'_>) -> Option<Result<Membership>> {
        self.native_move
            .then(|| self.answer("move_natively", membership()))
    }
}

fn everything() -> Capabilities {
    Capabilities {
        list_users: true,
        server_side_pagination: true,
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
        multiple_roles_per_user: true,
        delete_user: true,
        delete_user_cascades_memberships: false,
        current_user: true,
        list_tenants: true,
        get_tenant: true,
        create_tenant: true,
        create_tenant_with_members: true,
        delete_tenant: true,
        list_members: true,
        list_user_memberships: true,
        add_member: true,
        remove_member: true,
        membership_roles: true,
        membership_requires_wireguard_key: false,
        max_tenants_per_user: None,
    }
}

fn email() -> Email {
    Email::parse("a@example.com").unwrap()
}

/// One call through the checked client, as its operation and the record
/// name it reaches the service with.
type Call = fn(&Checked<Fake>) -> futures::future::BoxFuture<'_, Result<()>>;

fn calls() -> Vec<(Operation, &'static str, Call)> {
    vec![
        (Operation::ListUsers, "list_users_page", |c| {
            Box::pin(async move { c.list_users_page(PageRequest::first()).await.map(drop) })
        }),
        (Operation::GetUser, "get_user", |c| {
            Box::pin(async move { c.get_user(&uid("u1")).await.map(drop) })
        }),
        (Operation::CreateUser, "create_user", |c| {
            Box::pin(async move { c.create_user(&NewUser::new(email())).await.map(drop) })
        }),
        (Operation::UpdateUser, "update_user", |c| {
            Box::pin(async move {
                c.update_user(&uid("u1"), &UserUpdate::new())
                    .await
                    .map(drop)
            })
        }),
        (Operation::DeleteUser, "delete_user", |c| {
            Box::pin(async move { c.delete_user(&uid("u1")).await })
        }),
        (Operation::CurrentUser, "current_user", |c| {
            Box::pin(async move { c.current_user().await.map(drop) })
        }),
        (Operation::ListTenants, "list_tenants_page", |c| {
            Box::pin(async move { c.list_tenants_page(PageRequest::first()).await.map(drop) })
        }),
        (Operation::GetTenant, "get_tenant", |c| {
            Box::pin(async move { c.get_tenant(&tid("t1")).await.map(drop) })
        }),
        (Operation::CreateTenant, "create_tenant", |c| {
            Box::pin(async move { c.create_tenant(&NewTenant::new("x")?).await.map(drop) })
        }),
        (Operation::DeleteTenant, "delete_tenant", |c| {
            Box::pin(async move { c.delete_tenant(&tid("t1")).await })
        }),
        (Operation::ListMembers, "list_members_page", |c| {
            Box::pin(async move {
                c.list_members_page(&tid("t1"), PageRequest::first())
                    .await
                    .map(drop)
            })
        }),
        (
            Operation::ListUserMemberships,
            "list_user_memberships",
            |c| Box::pin(async move { c.list_user_memberships(&uid("u1")).await.map(drop) }),
        ),
        (Operation::AddMember, "add_member", |c| {
            Box::pin(async move {
                c.add_member(&tid("t1"), &uid("u1"), &MembershipRequest::new())
                    .await
                    .map(drop)
            })
        }),
        (Operation::RemoveMember, "remove_member", |c| {
            Box::pin(async move { c.remove_member(&tid("t1"), &uid("u1")).await })
        }),
    ]
}

/// The capabilities with the flag of `operation` turned off.
fn without(operation: Operation) -> Capabilities {
    let mut caps = everything();
    let flag = match operation {
        Operation::ListUsers => &mut caps.list_users,
        Operation::GetUser => &mut caps.get_user,
        Operation::CreateUser => &mut caps.create_user,
        Operation::UpdateUser => &mut caps.update_user,
        Operation::DeleteUser => &mut caps.delete_user,
        Operation::CurrentUser => &mut caps.current_user,
        Operation::ListTenants => &mut caps.list_tenants,
        Operation::GetTenant => &mut caps.get_tenant,
        Operation::CreateTenant => &mut caps.create_tenant,
        Operation::DeleteTenant => &mut caps.delete_tenant,
        Operation::ListMembers => &mut caps.list_members,
        Operation::ListUserMemberships => &mut caps.list_user_memberships,
        Operation::AddMember => &mut caps.add_member,
        Operation::RemoveMember => &mut caps.remove_member,
        other => panic!("no flag for {other}"),
    };
    *flag = false;
    caps
}

fn assert_refused(client: &Checked<Fake>, err: Error, kind: ErrorKind, operation: Operation) {
    assert_eq!(err.kind(), kind, "{err}");
    assert_eq!(err.provider(), Some(PROVIDER), "{err}");
    assert_eq!(err.operation(), Some(operation), "{err}");
    assert!(client.calls().is_empty(), "sent {:?}", client.calls());
}

#[tokio::test]
async fn every_operation_passes_when_supported_and_is_unsupported_without_its_flag() {
    for (operation, name, call) in calls() {
        let open = Fake::new(everything());
        call(&open).await.expect(name);
        assert_eq!(open.calls(), vec![name]);

        let closed = Fake::new(without(operation));
        let err = call(&closed).await.expect_err(name);
        assert_refused(&closed, err, ErrorKind::Unsupported, operation);
    }
}

#[tokio::test]
async fn list_members_of_and_move_need_their_flags() {
    let closed = Fake::new(without(Operation::ListMembers));
    let err = closed.list_members_of(&[tid("t1")]).await.unwrap_err();
    assert_refused(&closed, err, ErrorKind::Unsupported, Operation::ListMembers);
    for operation in [Operation::AddMember, Operation::RemoveMember] {
        let closed = Fake::new(without(operation));
        let err = closed
            .move_user(&uid("u1"), &tid("a"), &tid("b"), &MembershipRequest::new())
            .await
            .unwrap_err();
        assert_refused(&closed, err, ErrorKind::Unsupported, Operation::MoveMember);
    }
}

#[tokio::test]
async fn arguments_the_provider_cannot_take_are_unsupported() {
    let with_name = NewUser::new(email()).with_display_name("Ada");
    let with_role = NewUser::new(email()).with_role(Role::Member);
    let mut with_roles = NewUser::new(email());
    with_roles.additional_roles = vec![RoleSpec::from(Role::Admin)];
    let creates = [
        (
            Capabilities {
                user_display_name: false,
                ..everything()
            },
            with_name,
        ),
        (
            Capabilities {
                user_roles: false,
                ..everything()
            },
            with_role,
        ),
        (
            Capabilities {
                multiple_roles_per_user: false,
                ..everything()
            },
            with_roles,
        ),
    ];
    for (caps, new_user) in creates {
        let client = Fake::new(caps);
        let err = client.create_user(&new_user).await.unwrap_err();
        assert_refused(&client, err, ErrorKind::Unsupported, Operation::CreateUser);
        // The same input passes where the provider takes it.
        let open = Fake::new(everything());
        open.create_user(&new_user).await.expect("supported");
    }

    let updates = [
        (
            Capabilities {
                update_email: false,
                ..everything()
            },
            UserUpdate::new().email(email()),
        ),
        (
            Capabilities {
                user_display_name: false,
                ..everything()
            },
            UserUpdate::new().display_name("Ada"),
        ),
        (
            // Names taken on create only (NetBird).
            Capabilities {
                update_display_name: false,
                ..everything()
            },
            UserUpdate::new().display_name("Ada"),
        ),
        (
            Capabilities {
                update_role: false,
                ..everything()
            },
            UserUpdate::new().role(Role::Admin),
        ),
        (
            Capabilities {
                update_status: false,
                ..everything()
            },
            UserUpdate::new().status(UserStatus::Blocked),
        ),
        (
            Capabilities {
                multiple_roles_per_user: false,
                ..everything()
            },
            UserUpdate::new().replace_roles(vec![RoleSpec::from(Role::Admin)]),
        ),
    ];
    for (caps, update) in updates {
        let client = Fake::new(caps);
        let err = client.update_user(&uid("u1"), &update).await.unwrap_err();
        assert_refused(&client, err, ErrorKind::Unsupported, Operation::UpdateUser);
        let open = Fake::new(everything());
        open.update_user(&uid("u1"), &update)
            .await
            .expect("supported");
    }

    let client = Fake::new(Capabilities {
        create_tenant_with_members: false,
        ..everything()
    });
    let team = NewTenant::new("x")
        .unwrap()
        .with_member(uid("u1"), MembershipRequest::new());
    let err = client.create_tenant(&team).await.unwrap_err();
    assert_refused(
        &client,
        err,
        ErrorKind::Unsupported,
        Operation::CreateTenant,
    );
    Fake::new(everything())
        .create_tenant(&team)
        .await
        .expect("supported");
}

#[tokio::test]
async fn unknown_provider_fields_are_invalid_input() {
    let client = Fake::new(everything());
    let create = NewUser::new(email()).with_field("shoe_size", 44).unwrap();
    let err = client.create_user(&create).await.unwrap_err();
    assert_refused(&client, err, ErrorKind::InvalidInput, Operation::CreateUser);
    let update = UserUpdate::new().field("shoe_size", 44).unwrap();
    let err = client.update_user(&uid("u1"), &update).await.unwrap_err();
    assert_refused(&client, err, ErrorKind::InvalidInput, Operation::UpdateUser);

    let known = NewUser::new(email()).with_field("phone", "+1").unwrap();
    client.create_user(&known).await.expect("declared field");
    assert_eq!(client.calls(), vec!["create_user"]);
}

#[tokio::test]
async fn ids_that_are_no_path_segment_are_invalid_input() {
    for bad in [".", ".."] {
        let client = Fake::new(everything());
        let cases: Vec<(Operation, Result<()>)> = vec![
            (
                Operation::GetUser,
                client.get_user(&uid(bad)).await.map(drop),
            ),
            (
                Operation::UpdateUser,
                client
                    .update_user(&uid(bad), &UserUpdate::new())
                    .await
                    .map(drop),
            ),
            (Operation::DeleteUser, client.delete_user(&uid(bad)).await),
            (
                Operation::GetTenant,
                client.get_tenant(&tid(bad)).await.map(drop),
            ),
            (
                Operation::DeleteTenant,
                client.delete_tenant(&tid(bad)).await,
            ),
            (
                Operation::CreateTenant,
                client
                    .create_tenant(
                        &NewTenant::new("x")
                            .unwrap()
                            .with_member(uid(bad), MembershipRequest::new()),
                    )
                    .await
                    .map(drop),
            ),
            (
                Operation::ListMembers,
                client
                    .list_members_page(&tid(bad), PageRequest::first())
                    .await
                    .map(drop),
            ),
            (
                Operation::ListMembers,
                client
                    .list_members_of(&[tid("t1"), tid(bad)])
                    .await
                    .map(drop),
            ),
            (
                Operation::ListUserMemberships,
                client.list_user_memberships(&uid(bad)).await.map(drop),
            ),
            (
                Operation::AddMember,
                client
                    .add_member(&tid(bad), &uid("u1"), &MembershipRequest::new())
                    .await
                    .map(drop),
            ),
            (
                Operation::AddMember,
                client
                    .add_member(&tid("t1"), &uid(bad), &MembershipRequest::new())
                    .await
                    .map(drop),
            ),
            (
                Operation::RemoveMember,
                client.remove_member(&tid(bad), &uid("u1")).await,
            ),
            (
                Operation::RemoveMember,
                client.remove_member(&tid("t1"), &uid(bad)).await,
            ),
            (
                Operation::MoveMember,
                client
                    .move_user(&uid("u1"), &tid("a"), &tid(bad), &MembershipRequest::new())
                    .await
                    .map(drop),
            ),
        ];
        for (operation, result) in cases {
            let err = result.expect_err(operation.as_str());
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{operation}: {err}");
            assert_eq!(err.operation(), Some(operation), "{err}");
        }
        assert!(client.calls().is_empty(), "sent {:?}", client.calls());
    }
    // Dots inside an id are an ordinary segment.
    let client = Fake::new(everything());
    client.get_user(&uid("a..b")).await.expect("a..b");
}

#[tokio::test]
async fn a_cursor_where_the_provider_does_not_paginate_is_invalid_input() {
    let flat = Capabilities {
        server_side_pagination: false,
        ..everything()
    };
    let client = Fake::new(flat);
    let err = client
        .list_users_page(PageRequest::after("2"))
        .await
        .unwrap_err();
    assert_refused(&client, err, ErrorKind::InvalidInput, Operation::ListUsers);
    let err = client
        .list_tenants_page(PageRequest::after("2"))
        .await
        .unwrap_err();
    assert_refused(
        &client,
        err,
        ErrorKind::InvalidInput,
        Operation::ListTenants,
    );
    // Members follow the same rule: one flag covers every paged list.
    let err = client
        .list_members_page(&tid("t1"), PageRequest::after("2"))
        .await
        .unwrap_err();
    assert_refused(
        &client,
        err,
        ErrorKind::InvalidInput,
        Operation::ListMembers,
    );
    client
        .list_users_page(PageRequest::first())
        .await
        .expect("first page");
    client
        .list_members_page(&tid("t1"), PageRequest::first())
        .await
        .expect("first page of members");

    let paged = Fake::new(everything());
    paged
        .list_users_page(PageRequest::after("2"))
        .await
        .expect("paginating provider takes a cursor");
    paged
        .list_members_page(&tid("t1"), PageRequest::after("2"))
        .await
        .expect("and so do its member pages");
}

#[tokio::test]
async fn membership_rules_are_checked_before_any_write() {
    let strict = Capabilities {
        membership_requires_wireguard_key: true,
        membership_roles: false,
        ..everything()
    };
    let keyless = MembershipRequest::new();
    let with_role = MembershipRequest::new()
        .with_wireguard_key(WireGuardKey::from_bytes([1; 32]))
        .with_role(TenantRole::Admin);
    for (request, kind) in [
        (&keyless, ErrorKind::InvalidInput),
        (&with_role, ErrorKind::Unsupported),
    ] {
        let client = Fake::new(strict);
        let err = client
            .add_member(&tid("t1"), &uid("u1"), request)
            .await
            .unwrap_err();
        assert_refused(&client, err, kind, Operation::AddMember);
        let err = client
            .move_user(&uid("u1"), &tid("a"), &tid("b"), request)
            .await
            .unwrap_err();
        assert_refused(&client, err, kind, Operation::MoveMember);
        let team = NewTenant::new("x")
            .unwrap()
            .with_member(uid("u1"), request.clone());
        let err = client.create_tenant(&team).await.unwrap_err();
        assert_refused(&client, err, kind, Operation::CreateTenant);
    }
}

#[tokio::test]
async fn a_move_is_native_where_the_service_has_one_and_remove_then_add_otherwise() {
    let request = MembershipRequest::new();
    let fallback = Fake::new(everything());
    fallback
        .move_user(&uid("u1"), &tid("a"), &tid("b"), &request)
        .await
        .expect("moved");
    // Tenant roles exist, so the old role is read first for a restore.
    assert_eq!(
        fallback.calls(),
        vec!["list_members_page", "remove_member", "add_member"]
    );

    let mut native = Fake::new(everything()).into_service();
    native.native_move = true;
    let native = Checked::from_service(native);
    native
        .move_user(&uid("u1"), &tid("a"), &tid("b"), &request)
        .await
        .expect("moved");
    assert_eq!(native.calls(), vec!["move_natively"]);
}

#[tokio::test]
async fn errors_from_the_service_come_back_tagged_once() {
    for (operation, name, call) in calls() {
        let client = Fake::failing(ErrorKind::Conflict, "taken", None);
        let err = call(&client).await.expect_err(name);
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert_eq!(err.provider(), Some(PROVIDER));
        assert_eq!(err.operation(), Some(operation), "{name}");
        assert_eq!(
            err.to_string(),
            format!("fake {operation}: conflict: taken")
        );
        assert_eq!(client.calls(), vec![name]);
    }
    // A service error that names its own step (a follow-up write) keeps it.
    let client = Fake::failing(ErrorKind::Conflict, "x", Some(Operation::AddMember));
    let err = client
        .create_tenant(&NewTenant::new("x").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.operation(), Some(Operation::AddMember));
    assert_eq!(err.provider(), Some(PROVIDER));
}

#[test]
fn the_checked_client_derefs_to_its_service_and_prints_as_it() {
    #[derive(Debug)]
    struct Named(&'static str);
    let client = Checked::from_service(Named("inner"));
    assert_eq!(client.0, "inner");
    assert_eq!(format!("{client:?}"), "Named(\"inner\")");
    assert_eq!(client.into_service().0, "inner");
}

#[test]
fn dot_segments_are_refused_everything_else_passes() {
    for bad in ["", ".", ".."] {
        assert_eq!(
            path_segment("tenant id", bad).expect_err(bad).kind(),
            ErrorKind::InvalidInput
        );
    }
    for ok in ["...", "a..b", "../x", "a/b", "%2e%2e", "x?y#z"] {
        assert_eq!(path_segment("tenant id", ok).expect(ok), ok);
    }
}

#[tokio::test]
async fn a_bad_id_is_reported_before_anything_else_about_the_call() {
    let client = Fake::new(Capabilities {
        update_role: false,
        ..everything()
    });
    let update = UserUpdate::new().role(Role::Admin);
    for id in ["..", "not-mine"] {
        let err = client.update_user(&uid(id), &update).await.unwrap_err();
        assert_refused(&client, err, ErrorKind::InvalidInput, Operation::UpdateUser);
        let err = client.get_user(&uid(id)).await.unwrap_err();
        assert_refused(&client, err, ErrorKind::InvalidInput, Operation::GetUser);
        let err = client.delete_user(&uid(id)).await.unwrap_err();
        assert_refused(&client, err, ErrorKind::InvalidInput, Operation::DeleteUser);
    }
    // A good id with an argument the provider cannot take is Unsupported.
    let err = client.update_user(&uid("u1"), &update).await.unwrap_err();
    assert_refused(&client, err, ErrorKind::Unsupported, Operation::UpdateUser);
}

#[tokio::test]
async fn membership_calls_check_the_user_id_too() {
    let client = Fake::new(everything());
    let request = MembershipRequest::new();
    for id in ["..", "not-mine"] {
        let user = uid(id);
        let err = client.list_user_memberships(&user).await.unwrap_err();
        assert_refused(
            &client,
            err,
            ErrorKind::InvalidInput,
            Operation::ListUserMemberships,
        );
        let err = client
            .add_member(&tid("t1"), &user, &request)
            .await
            .unwrap_err();
        assert_refused(&client, err, ErrorKind::InvalidInput, Operation::AddMember);
        let err = client.remove_member(&tid("t1"), &user).await.unwrap_err();
        assert_refused(
            &client,
            err,
            ErrorKind::InvalidInput,
            Operation::RemoveMember,
        );
        let err = client
            .move_user(&user, &tid("a"), &tid("b"), &request)
            .await
            .unwrap_err();
        assert_refused(&client, err, ErrorKind::InvalidInput, Operation::MoveMember);
    }
}

#[tokio::test]
async fn a_move_to_the_same_tenant_is_refused_natively_or_not() {
    for native_move in [false, true] {
        let mut fake = Fake::new(everything()).into_service();
        fake.native_move = native_move;
        let client = Checked::from_service(fake);
        let err = client
            .move_user(&uid("u1"), &tid("a"), &tid("a"), &MembershipRequest::new())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("to itself"), "{err}");
        assert_refused(&client, err, ErrorKind::InvalidInput, Operation::MoveMember);
    }
}
