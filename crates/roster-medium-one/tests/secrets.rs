//! The password, API key and session never leak: not through `Debug`, and
//! not through errors, even when the server echoes them back. Logs are
//! checked in `secrets_in_logs.rs`.

use roster_core::{ErrorKind, PageRequest, TenantDirectory, UserDirectory};
use roster_http::SecretString;
use roster_medium_one::{MediumOneClient, MediumOneConfig, SessionTransport};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LOGIN: &str = "admin@example.com";
const PASSWORD: &str = "Pa55word-TOPSECRET";
const API_KEY: &str = "APIKEYabcdefghijklmnop1234567890";
const TOKEN: &str = "SESSIONTOKEN0123456789abcdef";
const COOKIE: &str = "COOKIEVALUE9876543210fedcba";

fn config(url: String) -> MediumOneConfig {
    MediumOneConfig::new(
        LOGIN,
        SecretString::from(PASSWORD.to_owned()),
        SecretString::from(API_KEY.to_owned()),
    )
    .with_base_url(url)
}

fn assert_clean(label: &str, text: &str) {
    for secret in [PASSWORD, API_KEY, TOKEN, COOKIE, "TOPSECRET"] {
        assert!(!text.contains(secret), "{label} leaked {secret}: {text}");
    }
}

fn assert_error_clean(err: &roster_core::Error) {
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
    assert_clean("message", err.message());
    assert_clean("snippet", err.body_snippet().unwrap_or_default());
}

async fn token_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/login/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(TOKEN))
        .mount(&server)
        .await;
    server
}

async fn cookie_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/login/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(true)
                .insert_header("set-cookie", format!("sessionid={COOKIE}; Path=/").as_str()),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn debug_never_prints_credentials_or_the_session() {
    let server = token_server().await;
    Mock::given(method("GET"))
        .and(path("/v2/tenant_list"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let config = config(format!("{}/v2", server.uri())).with_session(SessionTransport::QueryToken);
    assert_clean("config", &format!("{config:?}"));
    assert!(format!("{config:?}").contains("******"));
    let client = MediumOneClient::new(config).expect("client");
    assert_clean("client before login", &format!("{client:?}"));
    client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("list");
    let debug = format!("{client:?}");
    assert_clean("client with a session", &debug);
    assert!(debug.contains("session: Some(******)"), "{debug}");
}

#[tokio::test]
async fn an_echoed_query_token_never_reaches_an_error() {
    let server = token_server().await;
    Mock::given(method("GET"))
        .and(path("/v2/tenant_list"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "errors": [format!("crash in GET /v2/tenant_list?token={TOKEN} for {TOKEN}")]
        })))
        .mount(&server)
        .await;
    let client = MediumOneClient::new(
        config(format!("{}/v2", server.uri())).with_session(SessionTransport::QueryToken),
    )
    .expect("client");
    let err = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect_err("500");
    assert_eq!(err.kind(), ErrorKind::Unexpected);
    assert!(err.message().contains("crash in"), "{err}");
    assert_error_clean(&err);
}

#[tokio::test]
async fn an_echoed_cookie_never_reaches_an_error() {
    let server = cookie_server().await;
    Mock::given(method("GET"))
        .and(path("/v2/user_list"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(format!("[{{\"user_id\": \"{COOKIE}\", \"broken")),
        )
        .mount(&server)
        .await;
    let client = MediumOneClient::new(config(format!("{}/v2", server.uri()))).expect("client");
    let err = client
        .list_users_page(PageRequest::first())
        .await
        .expect_err("decode");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_error_clean(&err);
}

#[tokio::test]
async fn a_login_error_echoing_the_credentials_is_redacted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/login/"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "errors": [format!("Invalid login for password {PASSWORD} and key {API_KEY}")],
            "echo": {"login_id": LOGIN, "password": PASSWORD, "api_key": API_KEY}
        })))
        .mount(&server)
        .await;
    let client = MediumOneClient::new(config(format!("{}/v2", server.uri()))).expect("client");
    let err = client
        .get_user(&roster_core::UserId::new("7e2d9f14-3b6a-4d85-b0c7-8a9e1f2d3c46").expect("id"))
        .await
        .expect_err("rejected");
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_error_clean(&err);
    // The refusal that later calls answer quotes the first error: clean too.
    let again = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect_err("refused");
    assert_error_clean(&again);
}
