//! The API key never leaks: not through `Debug`, and not through errors,
//! even when the server echoes it back. Logs are checked in
//! `secrets_in_logs.rs`.

use roster_adverity::{AdverityClient, AdverityConfig};
use roster_core::{ErrorKind, PageRequest, UserDirectory, UserId};
use roster_http::SecretString;
use roster_testkit::Emulator;
use roster_testkit::adverity::AdverityModel;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, ResponseTemplate};

const TOKEN: &str = "adv_live_SECRETKEYMATERIAL_7c1d9e0f2a3b4c5d";

fn config(url: String) -> AdverityConfig {
    AdverityConfig::new(url, SecretString::from(TOKEN.to_owned()))
}

fn assert_clean(label: &str, text: &str) {
    for fragment in [TOKEN, "SECRETKEYMATERIAL"] {
        assert!(!text.contains(fragment), "{label} leaked the key: {text}");
    }
}

#[tokio::test]
async fn debug_never_prints_the_key() {
    let config = config("https://acme.datatap.adverity.com".into()).with_datalake_id(3);
    assert_clean("config", &format!("{config:?}"));
    assert!(format!("{config:?}").contains("******"));
    let client = AdverityClient::new(config).expect("client");
    assert_clean("client", &format!("{client:?}"));
}

#[tokio::test]
async fn errors_never_carry_the_key_even_when_the_server_echoes_it() {
    let emulator = Emulator::start(AdverityModel::new("a-different-key")).await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("x-request-id", "req-1")
                .set_body_json(json!({
                    "detail": format!("Invalid token {TOKEN}"),
                    "echo": {"authorization": format!("Bearer {TOKEN}")}
                })),
        )
        .mount(emulator.server())
        .await;
    let client = AdverityClient::new(config(emulator.base_url())).expect("client");
    let err = client
        .list_users_page(PageRequest::first())
        .await
        .expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
    assert_clean("snippet", err.body_snippet().unwrap_or_default());
    assert!(err.message().contains("Invalid token ******"), "{err}");
}

#[tokio::test]
async fn the_emulator_rejects_a_wrong_key_with_drfs_401() {
    let emulator = Emulator::start(AdverityModel::new("the-right-key")).await;
    let client = AdverityClient::new(config(emulator.base_url())).expect("client");
    let err = client
        .get_user(&UserId::new("1").expect("id"))
        .await
        .expect_err("wrong key");
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.message(), "Invalid token.");
    assert_clean("Debug", &format!("{err:?}"));
}

#[tokio::test]
async fn a_decode_error_quoting_the_key_is_redacted() {
    let emulator = Emulator::start(AdverityModel::new("a-different-key")).await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": TOKEN, "email": "a@b.io", "active": true, "workspaces": []}),
        ))
        .mount(emulator.server())
        .await;
    let client = AdverityClient::new(config(emulator.base_url())).expect("client");
    let err = client
        .get_user(&UserId::new("1").expect("id"))
        .await
        .expect_err("id is not a number");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
    assert_clean("snippet", err.body_snippet().unwrap_or_default());
}
