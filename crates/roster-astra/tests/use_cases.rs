//! The use cases end to end against the stateful emulator, checking
//! the organization's state after each: invite, re-invite, promote, accept,
//! remove, and the organization as the one tenant.

use roster_astra::{AstraClient, AstraConfig};
use roster_core::{
    CreateOutcome, Email, ErrorKind, MembershipDirectory, MembershipRequest, NewUser, Role,
    RoleSpec, TenantDirectoryExt, UserDirectory, UserDirectoryExt, UserStatus, UserUpdate,
};
use roster_http::SecretString;
use roster_testkit::Emulator;
use roster_testkit::astra::{ASTRA_TOKEN, AstraModel};

async fn setup() -> (Emulator<AstraModel>, AstraClient) {
    let emulator = Emulator::start(AstraModel::default()).await;
    let config = AstraConfig::new(SecretString::from(ASTRA_TOKEN.to_owned()))
        .with_base_url(emulator.base_url());
    (emulator, AstraClient::new(config).expect("client"))
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("email")
}

#[tokio::test]
async fn invite_reinvite_promote_and_remove() {
    let (emulator, client) = setup().await;

    let invited = client
        .create_user(&NewUser::new(email("alice@example.com")))
        .await
        .expect("invite");
    assert_eq!(invited.outcome, CreateOutcome::Created);
    assert_eq!(invited.status, UserStatus::Invited);
    assert_eq!(invited.raw_role.as_deref(), Some("Read Only User"));

    // The same address again: the invitation is re-sent, visibly.
    let again = client
        .create_user(
            &NewUser::new(email("Alice@Example.com"))
                .with_role(RoleSpec::Provider("database administrator".into())),
        )
        .await
        .expect("re-invite");
    assert_eq!(again.outcome, CreateOutcome::InvitationResent);
    assert_eq!(again.id, invited.id);
    assert_eq!(again.raw_role.as_deref(), Some("Database Administrator"));
    emulator.with_model(|m| {
        assert_eq!(m.invitations.len(), 2, "two invitation emails");
        assert_eq!(m.users.len(), 1, "one user");
    });

    // She accepts; promoting changes her neutral role and keeps the custom
    // one she holds.
    emulator.with_model(|m| assert!(m.accept_invitation("alice@example.com")));
    let promoted = client
        .update_user(&invited.id, &UserUpdate::new().role(Role::Admin))
        .await
        .expect("promote");
    assert_eq!(promoted.status, UserStatus::Active);
    assert_eq!(promoted.role, Some(Role::Admin));
    emulator.with_model(|m| {
        let user = m.user_by_email("alice@example.com").expect("stored");
        assert_eq!(
            m.role_names(user),
            ["Organization Administrator", "Database Administrator"]
        );
    });
    // Replacing every role leaves only the ones named.
    let replaced = client
        .update_user(
            &invited.id,
            &UserUpdate::new().replace_roles([RoleSpec::Neutral(Role::Admin)]),
        )
        .await
        .expect("replace");
    assert_eq!(
        replaced.raw_role.as_deref(),
        Some("Organization Administrator")
    );
    emulator.with_model(|m| {
        let user = m.user_by_email("alice@example.com").expect("stored");
        assert_eq!(m.role_names(user), ["Organization Administrator"]);
    });

    // An active member cannot be invited again; ensure_user finds her.
    let err = client
        .create_user(&NewUser::new(email("alice@example.com")))
        .await
        .expect_err("member");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    let ensured = client
        .ensure_user(&NewUser::new(email("alice@example.com")))
        .await
        .expect("ensure");
    assert_eq!(ensured.outcome, CreateOutcome::AlreadyPresent);
    assert_eq!(emulator.with_model(|m| m.invitations.len()), 2);

    // Removing her from the organization (the tenant) deletes her.
    let org = client
        .find_tenant_by_name("Emulated Org")
        .await
        .expect("list")
        .expect("the token's organization");
    assert_eq!(org.id.as_str(), emulator.with_model(|m| m.org_id.clone()));
    client
        .remove_member(&org.id, &invited.id)
        .await
        .expect("remove");
    assert!(emulator.with_model(|m| m.users.is_empty()));
    let err = client.get_user(&invited.id).await.expect_err("gone");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn adding_a_pending_member_resends_the_invitation_with_their_roles() {
    let (emulator, client) = setup().await;
    let id = emulator.with_model(|m| m.add_user("bob@example.com", "invited", &["R/W User"]));
    let org = client
        .find_tenant_by_name("Emulated Org")
        .await
        .expect("list")
        .expect("org");
    let user = roster_core::UserId::new(id).expect("id");
    client
        .add_member(&org.id, &user, &MembershipRequest::new())
        .await
        .expect("add");
    emulator.with_model(|m| {
        assert_eq!(m.invitations, ["bob@example.com"]);
        let bob = m.user_by_email("bob@example.com").expect("bob");
        assert_eq!(m.role_names(bob), ["R/W User"], "roles kept");
    });
}

#[tokio::test]
async fn a_custom_role_created_after_the_cache_is_found_by_one_refresh() {
    let (emulator, client) = setup().await;
    client
        .create_user(&NewUser::new(email("first@example.com")))
        .await
        .expect("warms the role cache");
    emulator.with_model(|m| m.add_role("Keyspace Auditor"));
    let created = client
        .create_user(
            &NewUser::new(email("second@example.com"))
                .with_role(RoleSpec::Provider("Keyspace Auditor".into())),
        )
        .await
        .expect("custom role");
    assert_eq!(created.raw_role.as_deref(), Some("Keyspace Auditor"));
    assert_eq!(created.role, Some(Role::Other));
}

// ---------- the faithful emulator: everything the spec allows ----------

async fn faithful_setup() -> (Emulator<AstraModel>, AstraClient) {
    let emulator = Emulator::start(AstraModel::default().faithful()).await;
    let config = AstraConfig::new(SecretString::from(ASTRA_TOKEN.to_owned()))
        .with_base_url(emulator.base_url());
    (emulator, AstraClient::new(config).expect("client"))
}

#[tokio::test]
async fn a_faithful_organization_lists_whole_in_both_casings() {
    use roster_testkit::astra::FAITHFUL_USERS;
    let (_emulator, client) = faithful_setup().await;
    for round in 0..2 {
        let users = client
            .list_users_page(roster_core::PageRequest::first())
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"))
            .items;
        assert_eq!(users.len(), FAITHFUL_USERS.len(), "round {round}");
        let service = &users[0];
        assert_eq!(service.email, None);
        assert_eq!(service.status, roster_astra::MISSING_STATUS);
        assert_eq!(service.raw_status, None);
        assert_eq!(
            service.role,
            Some(Role::Other),
            "a mix with a nameless role"
        );
        let frozen = &users[1];
        assert_eq!(frozen.status, UserStatus::Other);
        assert_eq!(frozen.raw_status.as_deref(), Some("deactivated"));
        let data = frozen.provider_data.as_ref().expect("data");
        assert!(
            data.field("IdpType").or(data.field("idpType")).is_some(),
            "the unknown key is kept: round {round}"
        );
    }
}

#[tokio::test]
async fn with_the_faithful_emulator_a_neutral_change_keeps_a_nameless_custom_role() {
    use roster_testkit::astra::FAITHFUL_ROLE;
    let (emulator, client) = faithful_setup().await;
    let invited = client
        .create_user(
            &NewUser::new(email("keep@example.com"))
                .with_role(Role::Member)
                .with_additional_role(RoleSpec::Provider(FAITHFUL_ROLE.into())),
        )
        .await
        .expect("invite with two roles");
    emulator.with_model(|m| {
        let user = m.user_by_email("keep@example.com").expect("stored");
        assert_eq!(m.role_names(user), ["R/W User", FAITHFUL_ROLE]);
    });
    // The emulator sends the custom role with its id only.
    assert_eq!(invited.raw_role.as_deref(), Some("R/W User"));
    let promoted = client
        .update_user(&invited.id, &UserUpdate::new().role(Role::Admin))
        .await
        .expect("promote");
    assert_eq!(promoted.role, Some(Role::Admin));
    emulator.with_model(|m| {
        let user = m.user_by_email("keep@example.com").expect("stored");
        assert_eq!(
            m.role_names(user),
            ["Organization Administrator", FAITHFUL_ROLE]
        );
    });
}

#[tokio::test]
async fn with_the_faithful_emulator_a_role_that_cannot_be_kept_stops_the_change() {
    let (emulator, client) = faithful_setup().await;
    let service = emulator.with_model(|m| m.users[0].id.clone());
    let service = roster_core::UserId::new(service).expect("id");
    let writes = emulator.write_count().await;
    let err = client
        .update_user(&service, &UserUpdate::new().role(Role::Member))
        .await
        .expect_err("a role with neither id nor name");
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert_eq!(emulator.write_count().await, writes, "nothing written");
    let replaced = client
        .update_user(
            &service,
            &UserUpdate::new().replace_roles([RoleSpec::Neutral(Role::Member)]),
        )
        .await
        .expect("replacing them all works");
    assert_eq!(replaced.role, Some(Role::Member));
}

#[tokio::test]
async fn custom_roles_are_created_used_renamed_and_deleted() {
    use roster_astra::{NewRole, RoleUpdate};
    let (emulator, client) = faithful_setup().await;
    let org = emulator.with_model(|m| m.org_id.clone());
    let created = client
        .create_role(
            &NewRole::new("Keyspace Creator")
                .with_description("creates keyspaces")
                .with_resource(format!("drn:astra:org:{org}"))
                .with_action("db-all-keyspace-create"),
        )
        .await
        .expect("create");
    let role_id = created.id.clone().expect("an id");
    let err = client
        .create_role(&NewRole::new("keyspace creator"))
        .await
        .expect_err("taken");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);

    let user = client
        .create_user(
            &NewUser::new(email("kc@example.com"))
                .with_role(RoleSpec::Provider("Keyspace Creator".into())),
        )
        .await
        .expect("invite with the new role");
    let renamed = client
        .update_role(&role_id, &RoleUpdate::new().name("Keyspace Maker"))
        .await
        .expect("rename");
    assert_eq!(renamed.name.as_deref(), Some("Keyspace Maker"));
    let policy = renamed.policy.expect("policy");
    assert_eq!(policy.actions, ["db-all-keyspace-create"], "kept");
    assert_eq!(policy.description.as_deref(), Some("creates keyspaces"));
    emulator.with_model(|m| {
        let role = m.role(&role_id).expect("stored");
        assert_eq!(role.name, "Keyspace Maker");
        assert_eq!(role.policy["description"], "creates keyspaces");
    });
    let listed = client.role(&role_id).await.expect("get");
    assert_eq!(listed.name.as_deref(), Some("Keyspace Maker"));

    let err = client.delete_role(&role_id).await.expect_err("still held");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    client.delete_user(&user.id).await.expect("remove the user");
    client.delete_role(&role_id).await.expect("delete");
    assert!(emulator.with_model(|m| m.role(&role_id).is_none()));
    let err = client.role(&role_id).await.expect_err("gone");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = client
        .create_user(
            &NewUser::new(email("late@example.com"))
                .with_role(RoleSpec::Provider("Keyspace Maker".into())),
        )
        .await
        .expect_err("deleted role");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}
