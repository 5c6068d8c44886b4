//! The flows end to end against the stateful emulator, checking the
//! server's state after each: sessions that expire, the lockout, SA and TA
//! rules, duplicate creates.

use roster_core::{
    Email, ErrorKind, MembershipDirectory, MembershipDirectoryExt, MembershipRequest, NewTenant,
    NewUser, PageRequest, TenantDirectory, TenantDirectoryExt, TenantId, TenantRole, UserDirectory,
    UserDirectoryExt, UserUpdate,
};
use roster_http::SecretString;
use roster_medium_one::{AdminMode, MediumOneClient, MediumOneConfig, SessionTransport};
use roster_testkit::Emulator;
use roster_testkit::medium_one::{
    MAX_BAD_LOGINS, MEDIUMONE_API_KEY, MEDIUMONE_LOGIN, MEDIUMONE_PASSWORD, MediumOneModel,
};

fn sa_config(emulator: &Emulator<MediumOneModel>) -> MediumOneConfig {
    MediumOneConfig::new(
        MEDIUMONE_LOGIN,
        SecretString::from(MEDIUMONE_PASSWORD.to_owned()),
        SecretString::from(MEDIUMONE_API_KEY.to_owned()),
    )
    .with_base_url(emulator.base_url())
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("email")
}

/// Create, add as tenant-admin, update, remove from the tenant, delete: the
/// example's flow, in both session modes.
#[tokio::test]
async fn onboard_and_offboard_in_both_session_modes() {
    for transport in [SessionTransport::Cookie, SessionTransport::QueryToken] {
        let emulator = Emulator::start(MediumOneModel::default()).await;
        let client =
            MediumOneClient::new(sa_config(&emulator).with_session(transport)).expect("client");
        let tenant = client
            .ensure_tenant(&NewTenant::new("plant-floor").expect("name"))
            .await
            .expect("tenant");
        let alice = client
            .ensure_user(&NewUser::new(email("alice+ops@example.com")).with_display_name("Alice"))
            .await
            .expect("create");
        let tenant_uuid = uuid::Uuid::parse_str(tenant.id.as_str()).expect("uuid");
        client
            .add_member(
                &tenant.id,
                &alice.id,
                &MembershipRequest::new().with_role(TenantRole::Admin),
            )
            .await
            .expect("add");
        emulator.with_model(|m| {
            assert_eq!(
                m.role_of(tenant_uuid, "alice+ops@example.com"),
                Some("tenant-admin")
            );
        });
        let updated = client
            .update_user(&alice.id, &UserUpdate::new().display_name("Alice Smith"))
            .await
            .expect("update");
        assert_eq!(updated.display_name.as_deref(), Some("Alice Smith"));
        emulator.with_model(|m| {
            let stored = m.user_by_name("alice+ops@example.com").expect("stored");
            assert_eq!(stored.full_name, "Alice Smith");
        });
        let members = client.list_members(&tenant.id).await.expect("members");
        assert_eq!(members.len(), 1);
        assert_eq!(members[0].role, Some(TenantRole::Admin));
        client
            .remove_member(&tenant.id, &alice.id)
            .await
            .expect("remove");
        assert!(
            client
                .list_members(&tenant.id)
                .await
                .expect("members")
                .is_empty()
        );
        client.delete_user(&alice.id).await.expect("delete");
        emulator.with_model(|m| {
            assert!(m.user_by_name("alice+ops@example.com").is_none());
            assert_eq!(m.logins, 1, "{transport:?}: one session for the whole run");
        });
    }
}

#[tokio::test]
async fn an_expired_session_is_renewed_transparently() {
    let emulator = Emulator::start(MediumOneModel::default()).await;
    let client = MediumOneClient::new(sa_config(&emulator)).expect("client");
    client
        .list_users_page(PageRequest::first())
        .await
        .expect("first");
    emulator.with_model(MediumOneModel::expire_sessions);
    client
        .list_users_page(PageRequest::first())
        .await
        .expect("after expiry");
    emulator.with_model(|m| {
        assert_eq!(m.logins, 2);
        assert_eq!(m.session_count(), 1);
    });
}

#[tokio::test]
async fn duplicate_creates_are_already_exists_and_ensure_adopts() {
    let emulator = Emulator::start(MediumOneModel::default()).await;
    let existing = emulator.with_model(|m| m.add_user("bob@example.com", "Bob"));
    let client = MediumOneClient::new(sa_config(&emulator)).expect("client");
    let err = client
        .create_user(&NewUser::new(email("BOB@example.com")))
        .await
        .expect_err("exists");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    let ensured = client
        .ensure_user(&NewUser::new(email("bob@example.com")))
        .await
        .expect("ensure");
    assert_eq!(ensured.id.as_str(), existing.to_string());
    emulator.with_model(|m| assert_eq!(m.users.len(), 1));
}

#[tokio::test]
async fn wrong_credentials_never_reach_the_lockout() {
    let emulator = Emulator::start(MediumOneModel::default()).await;
    let good = MediumOneClient::new(sa_config(&emulator)).expect("client");
    let bad = MediumOneClient::new(
        MediumOneConfig::new(
            MEDIUMONE_LOGIN,
            SecretString::from("not-the-password".to_owned()),
            SecretString::from(MEDIUMONE_API_KEY.to_owned()),
        )
        .with_base_url(emulator.base_url()),
    )
    .expect("client");
    for _ in 0..(MAX_BAD_LOGINS * 2) {
        let err = bad
            .list_tenants_page(PageRequest::first())
            .await
            .expect_err("bad");
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    }
    emulator.with_model(|m| assert_eq!(m.bad_logins(), 1, "one attempt, however many calls"));
    good.list_tenants_page(PageRequest::first())
        .await
        .expect("the good client still works");
}

#[tokio::test]
async fn a_locked_out_account_is_reported_once_and_not_hammered() {
    let emulator = Emulator::start(MediumOneModel::default()).await;
    // Other clients' failed logins lock the account.
    for attempt in 0..MAX_BAD_LOGINS {
        let bad = MediumOneClient::new(
            MediumOneConfig::new(
                MEDIUMONE_LOGIN,
                SecretString::from(format!("wrong-{attempt}")),
                SecretString::from(MEDIUMONE_API_KEY.to_owned()),
            )
            .with_base_url(emulator.base_url()),
        )
        .expect("client");
        let _ = bad.list_tenants_page(PageRequest::first()).await;
    }
    let client = MediumOneClient::new(sa_config(&emulator)).expect("client");
    emulator.reset_requests().await;
    let err = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect_err("locked");
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert!(!err.is_temporary());
    assert!(err.message().contains("Exceeded bad login count"), "{err}");
    let _ = client
        .get_tenant(&TenantId::new(uuid::Uuid::new_v4().to_string()).expect("id"))
        .await;
    assert_eq!(
        emulator.request_count().await,
        1,
        "one login attempt, then none"
    );
}

#[tokio::test]
async fn a_tenant_admin_manages_their_own_tenant_only() {
    let emulator = Emulator::start(MediumOneModel::default()).await;
    let (own, other) = emulator.with_model(|m| {
        let own = m.add_tenant("own");
        let other = m.add_tenant("other");
        m.add_tenant_admin("ta@example.com", "ta-password-1", own);
        (own, other)
    });
    let config = MediumOneConfig::new(
        "ta@example.com",
        SecretString::from("ta-password-1".to_owned()),
        SecretString::from(MEDIUMONE_API_KEY.to_owned()),
    )
    .with_base_url(emulator.base_url())
    .with_mode(AdminMode::TenantAdmin(
        TenantId::new(own.to_string()).expect("id"),
    ));
    let ta = MediumOneClient::new(config).expect("client");
    let own_id = TenantId::new(own.to_string()).expect("id");
    let created = ta
        .create_user(&NewUser::new(email("carol@example.com")).with_display_name("Carol"))
        .await
        .expect("TA may create users");
    ta.add_member(&own_id, &created.id, &MembershipRequest::new())
        .await
        .expect("add to own tenant");
    emulator.with_model(|m| assert_eq!(m.role_of(own, "carol@example.com"), Some("tenant-user")));
    let fetched = ta.get_user(&created.id).await.expect("visible now");
    assert_eq!(fetched.display_name.as_deref(), Some("Carol"));
    let tenants = ta
        .list_tenants_page(PageRequest::first())
        .await
        .expect("tenants");
    assert_eq!(tenants.items.len(), 1, "a TA sees their tenant only");
    let other_id = TenantId::new(other.to_string()).expect("id");
    emulator.reset_requests().await;
    let err = ta
        .remove_member(&other_id, &created.id)
        .await
        .expect_err("other tenant");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    let err = ta
        .list_users_page(PageRequest::first())
        .await
        .expect_err("SA only");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(emulator.request_count().await, 0);
    ta.remove_member(&own_id, &created.id)
        .await
        .expect("remove");
    emulator.with_model(|m| assert_eq!(m.role_of(own, "carol@example.com"), None));
}

/// Against the faithful emulator: a create without a display name gets the
/// documented default, profile fields reach the server, create-and-link
/// makes a member in one call, unknown keys and roles survive in provider
/// data, and a duplicate create is confirmed by a lookup.
#[tokio::test]
async fn the_faithful_emulator_round_trips_fields_roles_and_provider_data() {
    use roster_core::{Provider, TenantRole};
    use roster_testkit::medium_one::{EXTRA_KEY, RESIDENT_ROLE, RESIDENT_USER};
    let emulator = Emulator::start(MediumOneModel::faithful()).await;
    let client = MediumOneClient::new(sa_config(&emulator)).expect("client");
    assert!(client.user_fields().contains(&"user_phone"));
    let ann = client
        .create_user(
            &NewUser::new(email("ann@example.com"))
                .with_field("language", "fr")
                .expect("field"),
        )
        .await
        .expect("create without a name");
    assert_eq!(ann.display_name.as_deref(), Some("ann"));
    let err = client
        .create_user(&NewUser::new(email("ann@example.com")))
        .await
        .expect_err("duplicate");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    client
        .update_user(
            &ann.id,
            &UserUpdate::new()
                .field("city", "Santa Cruz")
                .and_then(|u| u.field("zip", "95062"))
                .expect("fields"),
        )
        .await
        .expect("update");
    emulator.with_model(|m| {
        let stored = m.user_by_name("ann@example.com").expect("stored");
        assert_eq!(stored.full_name, "ann", "the name was not touched");
        assert_eq!(
            stored.fields.get("city").map(String::as_str),
            Some("Santa Cruz")
        );
        assert_eq!(
            stored.fields.get("language").map(String::as_str),
            Some("fr")
        );
    });
    let fetched = client.get_user(&ann.id).await.expect("get");
    let data = fetched.provider_data.expect("provider data");
    assert_eq!(data.field("city"), Some(serde_json::json!("Santa Cruz")));
    assert!(data.field(EXTRA_KEY).is_some());

    let tenant = client
        .create_tenant(&NewTenant::new("plant").expect("name"))
        .await
        .expect("tenant");
    assert!(
        tenant
            .provider_data
            .as_ref()
            .is_some_and(|d| d.field(EXTRA_KEY).is_some())
    );
    let bo = client
        .create_user_in_tenant(
            &tenant.id,
            &NewUser::new(email("bo@example.com")).with_display_name("Bo"),
            &MembershipRequest::new().with_role(TenantRole::Admin),
        )
        .await
        .expect("create in tenant");
    assert_eq!(bo.membership.role, Some(TenantRole::Admin));
    let members = client.list_members(&tenant.id).await.expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user, bo.user.id);

    let users: Vec<_> = client
        .list_users_page(PageRequest::first())
        .await
        .expect("users")
        .items;
    let resident = users
        .iter()
        .find(|u| {
            u.email
                .as_ref()
                .is_some_and(|e| e.as_str() == RESIDENT_USER)
        })
        .expect("resident");
    let memberships = client
        .list_user_memberships(&resident.id)
        .await
        .expect("memberships");
    assert_eq!(memberships[0].role, Some(TenantRole::Other));
    assert_eq!(memberships[0].raw_role.as_deref(), Some(RESIDENT_ROLE));
}
