//! The token never leaks: not through `Debug`, and not through errors,
//! even when the server echoes it back. Logs are checked in
//! `secrets_in_logs.rs`.

use roster_core::{PageRequest, TenantDirectory, UserDirectory};
use roster_http::SecretString;
use roster_iaas::{IaasClient, IaasConfig};
use roster_testkit::Emulator;
use roster_testkit::iaas::IaasModel;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, ResponseTemplate};

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LW9wZXJhdG9y.TOPSECRETSIGNATURE";

fn config(url: String) -> IaasConfig {
    IaasConfig::new(url, SecretString::from(TOKEN.to_owned()))
}

fn assert_clean(label: &str, text: &str) {
    for fragment in [TOKEN, "TOPSECRETSIGNATURE", "c2VjcmV0LW9wZXJhdG9y"] {
        assert!(!text.contains(fragment), "{label} leaked the token: {text}");
    }
}

#[tokio::test]
async fn debug_never_prints_the_token() {
    let config = config("https://iaas.example.com/api".into());
    assert_clean("config", &format!("{config:?}"));
    assert!(format!("{config:?}").contains("******"));
    let client = IaasClient::new(config).expect("client");
    assert_clean("client", &format!("{client:?}"));
}

#[tokio::test]
async fn errors_never_carry_the_token_even_when_the_server_echoes_it() {
    let emulator = Emulator::start(IaasModel::new("a-different-token")).await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("x-request-id", "req-1")
                .set_body_json(json!({
                    "detail": format!("invalid token {TOKEN}"),
                    "echo": {"authorization": format!("Bearer {TOKEN}")}
                })),
        )
        .mount(emulator.server())
        .await;
    let client = IaasClient::new(config(emulator.base_url())).expect("client");
    let err = client
        .list_users_page(PageRequest::first())
        .await
        .expect_err("401");
    assert_eq!(err.kind(), roster_core::ErrorKind::Unauthenticated);
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
    assert_clean("snippet", err.body_snippet().unwrap_or_default());
    assert!(err.message().contains("invalid token ******"), "{err}");
}

#[tokio::test]
async fn a_decode_error_quoting_the_token_is_redacted() {
    let emulator = Emulator::start(IaasModel::new("a-different-token")).await;
    // serde quotes a string it found where a list belongs.
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"id": "t", "name": "n", "users": TOKEN}])),
        )
        .mount(emulator.server())
        .await;
    let client = IaasClient::new(config(emulator.base_url())).expect("client");
    let err = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect_err("users is no list");
    assert_eq!(err.kind(), roster_core::ErrorKind::Decode);
    assert!(err.message().contains("invalid type: string"), "{err}");
    assert!(err.message().contains("******"), "{err}");
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
}
