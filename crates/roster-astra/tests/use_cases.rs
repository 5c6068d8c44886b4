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

    // She accepts; promoting replaces her roles.
    emulator.with_model(|m| assert!(m.accept_invitation("alice@example.com")));
    let promoted = client
        .update_user(&invited.id, &UserUpdate::new().role(Role::Admin))
        .await
        .expect("promote");
    assert_eq!(promoted.status, UserStatus::Active);
    assert_eq!(promoted.role, Some(Role::Admin));
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
