//! The token never leaks: not through `Debug`, and not through errors,
//! even when the server echoes it back. Logs are checked in
//! `secrets_in_logs.rs`.

use roster_core::{ErrorKind, PageRequest, UserDirectory};
use roster_http::SecretString;
use roster_netbird::{NetbirdClient, NetbirdConfig};
use roster_testkit::Emulator;
use roster_testkit::netbird::NetbirdModel;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, ResponseTemplate};

const PAT: &str = "nbp_TOPSECRETpersonalAccessToken0123456789";
const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LWp3dA.TOPSECRETSIGNATURE";

fn assert_clean(label: &str, text: &str) {
    for fragment in [PAT, JWT, "TOPSECRET", "c2VjcmV0LWp3dA"] {
        assert!(!text.contains(fragment), "{label} leaked a token: {text}");
    }
}

#[tokio::test]
async fn debug_never_prints_either_kind_of_token() {
    for config in [
        NetbirdConfig::personal_access_token(SecretString::from(PAT.to_owned())),
        NetbirdConfig::oauth_token(SecretString::from(JWT.to_owned())),
    ] {
        assert_clean("config", &format!("{config:?}"));
        assert!(format!("{config:?}").contains("******"));
        assert_clean("credential", &format!("{:?}", config.credential()));
        let client = NetbirdClient::new(config).expect("client");
        assert_clean("client", &format!("{client:?}"));
    }
}

#[tokio::test]
async fn errors_never_carry_the_token_even_when_the_server_echoes_it() {
    let emulator = Emulator::start(NetbirdModel::new("a-different-token")).await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("x-request-id", "req-1")
                .set_body_json(json!({
                    "message": format!("token invalid: {PAT}"),
                    "code": 401,
                    "echo": {"authorization": format!("Token {PAT}")}
                })),
        )
        .mount(emulator.server())
        .await;
    let config = NetbirdConfig::personal_access_token(SecretString::from(PAT.to_owned()))
        .with_base_url(emulator.base_url());
    let client = NetbirdClient::new(config).expect("client");
    let err = client
        .list_users_page(PageRequest::first())
        .await
        .expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.request_id(), Some("req-1"));
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
    assert_clean("snippet", err.body_snippet().unwrap_or_default());
    assert!(err.message().contains("token invalid: ******"), "{err}");
}

#[tokio::test]
async fn a_decode_error_quoting_the_token_is_redacted() {
    let emulator = Emulator::start(NetbirdModel::new("a-different-token")).await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 5, "email": JWT})))
        .mount(emulator.server())
        .await;
    let config = NetbirdConfig::oauth_token(SecretString::from(JWT.to_owned()))
        .with_base_url(emulator.base_url());
    let client = NetbirdClient::new(config).expect("client");
    let err = client.current_user().await.expect_err("bad shape");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
    assert_clean("snippet", err.body_snippet().unwrap_or_default());
}

/// The password a faithful create answer carries reaches the caller in
/// `Created::secret` only: through the default layer stack, it is in no
/// `Debug`, no serialized record and no provider data, and the emulator
/// reports it (`Model::issued_secrets`) so that `secrets_in_logs.rs`
/// checks the logs for it too.
#[tokio::test]
async fn the_create_answers_password_shows_only_in_the_secret() {
    use roster_core::{Email, NewUser, UserDirectory as _};
    use roster_layers::Stack;
    use roster_testkit::netbird::NETBIRD_TOKEN;
    use secrecy::ExposeSecret as _;

    let emulator = Emulator::start(NetbirdModel::default().faithful()).await;
    let config = NetbirdConfig::personal_access_token(SecretString::from(NETBIRD_TOKEN.to_owned()))
        .with_base_url(emulator.base_url());
    let directory = Stack::default().apply(std::sync::Arc::new(
        NetbirdClient::new(config).expect("client"),
    ));
    let created = directory
        .create_user(&NewUser::new(
            Email::parse("pw@example.com").expect("email"),
        ))
        .await
        .expect("create");
    let issued = emulator.with_model(|m| m.issued_passwords().to_vec());
    assert_eq!(issued.len(), 1);
    let password = issued[0].as_str();
    assert_eq!(
        created.secret.as_ref().map(|s| s.expose_secret()),
        Some(password),
        "the layers pass the secret through"
    );
    let listed = directory.get_user(&created.id).await.expect("get");
    for (label, text) in [
        ("Created Debug", format!("{created:?}")),
        ("secret Debug", format!("{:?}", created.secret)),
        ("serialized", serde_json::to_string(&created).expect("json")),
        (
            "provider data",
            created
                .provider_data
                .as_ref()
                .expect("data")
                .get()
                .to_owned(),
        ),
        ("listed user", serde_json::to_string(&listed).expect("json")),
    ] {
        assert!(!text.contains(password), "{label}: {text}");
    }
}
