//! Onboarding, moving and offboarding end to end against the stateful
//! emulator, checking the server's state after each step.

use futures::TryStreamExt as _;
use roster_core::{
    Email, ErrorKind, MembershipDirectory, MembershipDirectoryExt, MembershipRequest, NewTenant,
    NewUser, Role, TenantDirectory, TenantDirectoryExt, TenantId, UserDirectory, UserDirectoryExt,
    UserId, UserStatus, UserUpdate,
};
use roster_http::SecretString;
use roster_netbird::{NetbirdClient, NetbirdConfig};
use roster_testkit::Emulator;
use roster_testkit::netbird::{ALL_GROUP_ID, NETBIRD_TOKEN, NetbirdModel};

async fn start(model: NetbirdModel) -> (Emulator<NetbirdModel>, NetbirdClient) {
    let emulator = Emulator::start(model).await;
    let config = NetbirdConfig::personal_access_token(SecretString::from(NETBIRD_TOKEN.to_owned()))
        .with_base_url(emulator.base_url());
    (emulator, NetbirdClient::new(config).expect("client"))
}

async fn setup() -> (Emulator<NetbirdModel>, NetbirdClient) {
    start(NetbirdModel::default()).await
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("email")
}

fn uid(id: &str) -> UserId {
    UserId::new(id).expect("id")
}

fn tid(id: &str) -> TenantId {
    TenantId::new(id).expect("id")
}

#[tokio::test]
async fn onboard_invites_and_places_a_user_in_a_group() {
    let (emulator, client) = setup().await;
    let devs = emulator.with_model(|m| m.add_group("devs"));

    let alice = client
        .ensure_user(&NewUser::new(email("alice@company.com")).with_role(Role::Member))
        .await
        .expect("invite");
    assert_eq!(alice.status, UserStatus::Invited);
    assert!(
        alice.id.as_str().contains('|'),
        "an IdP-style id: {}",
        alice.id
    );
    let group = client
        .find_group_by_name("devs")
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(group.id.as_str(), devs);
    client
        .add_member(&group.id, &alice.id, &MembershipRequest::new())
        .await
        .expect("add");
    client.resend_invitation(&alice.id).await.expect("resend");

    emulator.with_model(|m| {
        let stored = m.user(alice.id.as_str()).expect("stored");
        assert_eq!(stored.role, "user");
        assert_eq!(stored.auto_groups, vec![devs.clone()]);
        assert_eq!(stored.invitations_sent, 2);
    });
    let members = client.list_members(&group.id).await.expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user, alice.id);
}

#[tokio::test]
async fn move_between_groups_keeps_role_block_and_other_groups() {
    let (emulator, client) = setup().await;
    let (user, old, new, keep) = emulator.with_model(|m| {
        let user = m.add_user("bob@company.com", "network_admin");
        let old = m.add_group("old-project");
        let new = m.add_group("new-project");
        let keep = m.add_group("vpn-users");
        let stored = m.user_mut(&user).expect("user");
        stored.auto_groups = vec![keep.clone(), old.clone()];
        stored.is_blocked = true;
        (user, old, new, keep)
    });
    let moved = client
        .move_user(
            &uid(&user),
            &tid(&old),
            &tid(&new),
            &MembershipRequest::new(),
        )
        .await
        .expect("move");
    assert_eq!(moved.tenant.as_str(), new);
    emulator.with_model(|m| {
        let stored = m.user(&user).expect("user");
        assert_eq!(stored.auto_groups, [keep.clone(), new.clone()]);
        assert_eq!(stored.role, "network_admin");
        assert!(stored.is_blocked, "still blocked");
    });
    assert!(
        !client
            .is_member(&tid(&old), &uid(&user))
            .await
            .expect("read")
    );
}

#[tokio::test]
async fn offboard_removes_the_user_then_the_unused_group() {
    let (emulator, client) = setup().await;
    let (user, team) = emulator.with_model(|m| {
        let user = m.add_user("carol@company.com", "user");
        let team = m.add_group("carol-team");
        m.user_mut(&user).expect("user").auto_groups = vec![team.clone()];
        (user, team)
    });
    // NetBird refuses to delete a group a user still has.
    let refused = client.delete_tenant(&tid(&team)).await.expect_err("in use");
    assert_eq!(refused.kind(), ErrorKind::Conflict);
    assert!(refused.message().contains("carol@company.com"), "{refused}");
    assert_eq!(refused.status(), Some(422));

    let blocked = client
        .update_user(&uid(&user), &UserUpdate::new().status(UserStatus::Blocked))
        .await
        .expect("block");
    assert_eq!(blocked.status, UserStatus::Blocked);
    client.delete_user(&uid(&user)).await.expect("delete");
    client.delete_tenant(&tid(&team)).await.expect("now unused");
    emulator.with_model(|m| {
        assert!(m.user(&user).is_none());
        assert!(m.group(&team).is_none());
    });
    assert_eq!(
        client.get_user(&uid(&user)).await.expect_err("gone").kind(),
        ErrorKind::NotFound
    );
    let all = client
        .delete_tenant(&tid(ALL_GROUP_ID))
        .await
        .expect_err("All");
    assert_eq!(all.kind(), ErrorKind::Conflict);
    assert_eq!(all.message(), "deleting group ALL is not allowed");
}

#[tokio::test]
async fn many_concurrent_adds_to_one_user_all_survive() {
    let (emulator, client) = setup().await;
    let (user, groups) = emulator.with_model(|m| {
        let user = m.add_user("dave@company.com", "admin");
        let groups: Vec<String> = (0..6).map(|i| m.add_group(&format!("g{i}"))).collect();
        (user, groups)
    });
    let user = uid(&user);
    let adds = groups.iter().map(|group| {
        let client = client.clone();
        let user = user.clone();
        let group = tid(group);
        tokio::spawn(async move {
            client
                .add_member(&group, &user, &MembershipRequest::new())
                .await
        })
    });
    for add in futures::future::join_all(adds).await {
        add.expect("task").expect("add");
    }
    let mut stored =
        emulator.with_model(|m| m.user(user.as_str()).expect("user").auto_groups.clone());
    stored.sort();
    let mut expected = groups.clone();
    expected.sort();
    assert_eq!(stored, expected);
}

#[tokio::test]
async fn service_users_are_created_active_and_listed_apart() {
    let (emulator, client) = setup().await;
    let robot = client
        .create_service_user("ci-robot", Some(&Role::Auditor.into()))
        .await
        .expect("create");
    assert_eq!(robot.status, UserStatus::Active);
    assert_eq!(robot.email, None);
    let robots = client.list_service_users().await.expect("list");
    assert_eq!(robots.len(), 1);
    assert_eq!(robots[0].id, robot.id);
    emulator.with_model(|m| {
        let stored = m.user(robot.id.as_str()).expect("stored");
        assert!(stored.is_service_user);
        assert_eq!(stored.role, "auditor");
    });
    // Service users are not invited, so there is nothing to resend.
    let err = client.resend_invitation(&robot.id).await.expect_err("412");
    assert_eq!(err.kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn the_servers_refusals_become_typed_errors() {
    let (emulator, client) = start(NetbirdModel::default().without_idp()).await;
    let err = client
        .create_user(&NewUser::new(email("eve@company.com")))
        .await
        .expect_err("no IdP");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.status(), Some(412));
    assert!(err.message().contains("IdP"), "{err}");

    let user = emulator.with_model(|m| m.add_user("frank@company.com", "user"));
    let err = client
        .add_member(
            &tid("no-such-group"),
            &uid(&user),
            &MembershipRequest::new(),
        )
        .await
        .expect_err("unknown group");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.status(), Some(422));

    let err = client
        .create_tenant(&NewTenant::new("All").expect("name"))
        .await
        .expect_err("duplicate");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);

    let (_emulator, fresh) = setup().await;
    fresh
        .ensure_tenant(&NewTenant::new("ops").expect("name"))
        .await
        .expect("create");
    let renamed = fresh
        .rename_group(
            &fresh
                .find_group_by_name("ops")
                .await
                .expect("find")
                .expect("ops")
                .id,
            "operations",
        )
        .await
        .expect("rename");
    assert_eq!(renamed.name, "operations");
    assert_eq!(fresh.find_group_by_name("ops").await.expect("find"), None);

    let wrong = NetbirdClient::new(
        NetbirdConfig::personal_access_token(SecretString::from("nbp_wrong".to_owned()))
            .with_base_url(emulator.base_url()),
    )
    .expect("client");
    let err = wrong.current_user().await.expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.message(), "token invalid");
}

#[tokio::test]
async fn a_user_waiting_for_approval_is_approved_or_rejected() {
    let (emulator, client) = setup().await;
    let (ann, ben) = emulator.with_model(|m| {
        (
            m.add_pending_user("ann@company.com"),
            m.add_pending_user("ben@company.com"),
        )
    });
    let waiting = client.get_user(&uid(&ann)).await.expect("get");
    assert_eq!(waiting.status, UserStatus::PendingApproval);

    let approved = client.approve_user(&uid(&ann)).await.expect("approve");
    assert_eq!(approved.status, UserStatus::Active);
    emulator.with_model(|m| {
        let stored = m.user(&ann).expect("kept");
        assert!(!stored.pending_approval && !stored.is_blocked);
    });
    let err = client.approve_user(&uid(&ann)).await.expect_err("twice");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().contains("not pending approval"), "{err}");

    client.reject_user(&uid(&ben)).await.expect("reject");
    assert!(emulator.with_model(|m| m.user(&ben).is_none()), "removed");
    let err = client.reject_user(&uid(&ben)).await.expect_err("gone");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = client.reject_user(&uid(&ann)).await.expect_err("active");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(
        emulator.with_model(|m| m.user(&ann).is_some()),
        "left alone"
    );
}

#[tokio::test]
async fn the_faithful_account_lists_every_kind_of_user() {
    use roster_testkit::netbird::{PENDING_ID, UNKNOWN_ROLE_ID, UNKNOWN_STATUS_ID};
    let (_emulator, client) = start(NetbirdModel::default().faithful()).await;
    let users: Vec<roster_core::User> = client
        .list_users()
        .try_collect()
        .await
        .expect("the whole list decodes");
    let find = |id: &str| users.iter().find(|u| u.id.as_str() == id).expect(id);
    assert_eq!(find(PENDING_ID).status, UserStatus::PendingApproval);
    assert_eq!(find(UNKNOWN_ROLE_ID).role, Some(Role::Other));
    assert_eq!(
        find(UNKNOWN_ROLE_ID).raw_role.as_deref(),
        Some("policy_admin")
    );
    assert_eq!(find(UNKNOWN_STATUS_ID).status, UserStatus::Other);
    assert_eq!(
        find(UNKNOWN_STATUS_ID).raw_status.as_deref(),
        Some("dormant")
    );
    for user in &users {
        let data = user.provider_data.as_ref().expect("data");
        assert!(data.field("last_login").is_some(), "{}", user.id);
    }
    let me = client.current_user().await.expect("me");
    let permissions = me
        .provider_data
        .expect("data")
        .field("permissions")
        .expect("permissions");
    assert_eq!(permissions["is_restricted"], false);
}
