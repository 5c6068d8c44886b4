//! The token never leaks: not through `Debug`, and not through errors,
//! even when the server echoes it back. Logs are checked in
//! `secrets_in_logs.rs`.

use roster_astra::{AstraClient, AstraConfig};
use roster_core::{ErrorKind, PageRequest, UserDirectory};
use roster_http::SecretString;
use roster_testkit::Emulator;
use roster_testkit::astra::AstraModel;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, ResponseTemplate};

const TOKEN: &str = "AstraCS:TOPSECRETCLIENT:5ecre7hexdigits5ecre7hexdigits5ecre7hex";

fn config(url: String) -> AstraConfig {
    AstraConfig::new(SecretString::from(TOKEN.to_owned())).with_base_url(url)
}

fn assert_clean(label: &str, text: &str) {
    for fragment in [TOKEN, "TOPSECRETCLIENT", "5ecre7hexdigits"] {
        assert!(!text.contains(fragment), "{label} leaked the token: {text}");
    }
}

#[tokio::test]
async fn debug_never_prints_the_token() {
    let config = config("https://api.astra.datastax.com".into());
    assert_clean("config", &format!("{config:?}"));
    assert!(format!("{config:?}").contains("******"));
    let client = AstraClient::new(config).expect("client");
    assert_clean("client", &format!("{client:?}"));
}

#[tokio::test]
async fn a_wrong_token_gets_the_emulators_401_and_nothing_leaks() {
    let emulator = Emulator::start(AstraModel::new("a-different-token")).await;
    let client = AstraClient::new(config(emulator.base_url())).expect("client");
    let err = client
        .list_users_page(PageRequest::first())
        .await
        .expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(
        err.message(),
        "The user is unauthorized to perform the operation"
    );
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
}

#[tokio::test]
async fn errors_never_carry_the_token_even_when_the_server_echoes_it() {
    let emulator = Emulator::start(AstraModel::new("a-different-token")).await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("x-request-id", "req-1")
                .set_body_json(json!({
                    "errors": [{"ID": 401, "message": format!("invalid token {TOKEN}")}],
                    "echo": {"authorization": format!("Bearer {TOKEN}")}
                })),
        )
        .mount(emulator.server())
        .await;
    let client = AstraClient::new(config(emulator.base_url())).expect("client");
    let err = client
        .list_users_page(PageRequest::first())
        .await
        .expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
    assert_clean("snippet", err.body_snippet().unwrap_or_default());
    assert!(err.message().contains("invalid token ******"), "{err}");
}

#[tokio::test]
async fn a_decode_error_quoting_the_token_is_redacted() {
    let emulator = Emulator::start(AstraModel::new("a-different-token")).await;
    // An unknown status no longer fails a list (it is `Other`), so the
    // token rides in a value of the wrong type, which serde quotes.
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"OrgID": "o", "Users": TOKEN})),
        )
        .mount(emulator.server())
        .await;
    let client = AstraClient::new(config(emulator.base_url())).expect("client");
    let err = client
        .list_users_page(PageRequest::first())
        .await
        .expect_err("users is not a list");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("invalid type"), "{err}");
    assert!(
        err.message().contains("******"),
        "the quote is masked: {err}"
    );
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
    assert_clean("snippet", err.body_snippet().unwrap_or_default());
}
