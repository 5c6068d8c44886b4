//! A full run logs no secret: every tracing event, at every level, from the
//! adapter and the libraries under it, in both session modes.
//!
//! This is the only test in its binary on purpose: the capture subscriber is
//! installed as the global default before any event fires.

use roster_core::{
    Email, MembershipDirectory, MembershipRequest, NewTenant, NewUser, PageRequest,
    TenantDirectory, UserDirectory, UserUpdate,
};
use roster_http::SecretString;
use roster_medium_one::{MediumOneClient, MediumOneConfig, SessionTransport};
use roster_testkit::Emulator;
use roster_testkit::medium_one::{
    MEDIUMONE_API_KEY, MEDIUMONE_LOGIN, MEDIUMONE_PASSWORD, MediumOneModel,
};

#[tokio::test]
async fn a_full_run_logs_no_secret() {
    let captured = roster_testkit::leaks::LogCapture::install_global();

    let emulator = Emulator::start(MediumOneModel::default()).await;
    let mut tokens = Vec::new();
    for transport in [SessionTransport::Cookie, SessionTransport::QueryToken] {
        let config = MediumOneConfig::new(
            MEDIUMONE_LOGIN,
            SecretString::from(MEDIUMONE_PASSWORD.to_owned()),
            SecretString::from(MEDIUMONE_API_KEY.to_owned()),
        )
        .with_base_url(emulator.base_url())
        .with_session(transport);
        let client = MediumOneClient::new(config).expect("client");
        let user = client
            .create_user(&NewUser::new(
                Email::parse(format!("log-{transport:?}@example.com")).expect("email"),
            ))
            .await
            .expect("create");
        let tenant = client
            .create_tenant(&NewTenant::new(format!("logs-{transport:?}")).expect("name"))
            .await
            .expect("tenant");
        client
            .add_member(&tenant.id, &user.id, &MembershipRequest::new())
            .await
            .expect("add");
        client
            .update_user(&user.id, &UserUpdate::new().display_name("Logged"))
            .await
            .expect("update");
        // An expired session: a 401, then a second login.
        emulator.with_model(|m| {
            tokens.extend(m.session_tokens());
            m.expire_sessions();
        });
        client
            .list_users_page(PageRequest::first())
            .await
            .expect("after re-login");
        tokens.extend(emulator.with_model(|m| m.session_tokens()));
    }
    // And a failed login.
    let wrong = MediumOneClient::new(
        MediumOneConfig::new(
            MEDIUMONE_LOGIN,
            SecretString::from(format!("{MEDIUMONE_PASSWORD}-wrong")),
            SecretString::from(MEDIUMONE_API_KEY.to_owned()),
        )
        .with_base_url(emulator.base_url()),
    )
    .expect("client");
    assert!(wrong.list_tenants_page(PageRequest::first()).await.is_err());

    let logs = captured.text();
    assert!(logs.contains("http request"), "the run logged: {logs}");
    assert!(logs.contains("status=401"), "{logs}");
    assert!(tokens.len() >= 4, "sessions were seen: {tokens:?}");
    for secret in tokens
        .iter()
        .map(String::as_str)
        .chain([MEDIUMONE_PASSWORD, MEDIUMONE_API_KEY])
    {
        assert!(!logs.contains(secret), "the logs leaked {secret}: {logs}");
    }
    assert!(!logs.contains("token="), "{logs}");
    assert!(!logs.to_ascii_lowercase().contains("cookie:"), "{logs}");
}
