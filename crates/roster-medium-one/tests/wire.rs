//! Wire tests: every operation, the login and the re-login against
//! wiremock, pinning the exact method, path, raw query string, session
//! header and body, and asserting the decoded result.

use roster_core::{
    Email, ErrorKind, MembershipDirectory, MembershipDirectoryExt, MembershipRequest, NewTenant,
    NewUser, PageRequest, Provider, Role, TenantDirectory, TenantId, TenantRole, UserDirectory,
    UserId, UserStatus, UserUpdate, WireGuardKey,
};
use roster_http::SecretString;
use roster_medium_one::{AdminMode, MediumOneClient, MediumOneConfig, SessionTransport};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Bodies generated from the spec's response schemas.
#[path = "spec/decoding.rs"]
mod spec_decoding;

const LOGIN: &str = "admin@example.com";
const PASSWORD: &str = "correct-horse-battery";
const API_KEY: &str = "ABCDEFGHIJKLmnopabcdefghijklmnop1234567890";
const COOKIE: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const TOKEN: &str = "tok3n0123456789abcdefSESSION";

const APP_TEST: &str = "fdc0487f-a0ff-4e2c-8df1-957936ec9350";
const ALICE: &str = "7e2d9f14-3b6a-4d85-b0c7-8a9e1f2d3c46";
const JOHN: &str = "1fdf2fd2-b198-490e-8b6c-ab8f787fef4c";
const TEST_USER_TENANT: &str = "8a5107f0-43f6-4b1a-9326-bbd684f13646";
const TEST_TENANT: &str = "3f1a5b4d-5e64-48d4-abab-8ead052fad1e";

fn fixture(name: &str) -> Value {
    let text = match name {
        "user_list" => include_str!("fixtures/user_list.json"),
        "user_list_in_tenant" => include_str!("fixtures/user_list_in_tenant.json"),
        "tenant_list" => include_str!("fixtures/tenant_list.json"),
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).expect("fixture is JSON")
}

fn config(server: &MockServer) -> MediumOneConfig {
    MediumOneConfig::new(
        LOGIN,
        SecretString::from(PASSWORD.to_owned()),
        SecretString::from(API_KEY.to_owned()),
    )
    .with_base_url(format!("{}/v2", server.uri()))
}

async fn setup() -> (MockServer, MediumOneClient) {
    let server = MockServer::start().await;
    let client = MediumOneClient::new(config(&server)).expect("client");
    (server, client)
}

async fn setup_token() -> (MockServer, MediumOneClient) {
    let server = MockServer::start().await;
    let client = MediumOneClient::new(config(&server).with_session(SessionTransport::QueryToken))
        .expect("client");
    (server, client)
}

async fn setup_tenant_admin() -> (MockServer, MediumOneClient) {
    let server = MockServer::start().await;
    let mode = AdminMode::TenantAdmin(tid(TEST_TENANT));
    let client = MediumOneClient::new(config(&server).with_mode(mode)).expect("client");
    (server, client)
}

fn login_body(no_cookies: bool) -> Value {
    let mut body = json!({"login_id": LOGIN, "password": PASSWORD, "api_key": API_KEY});
    if no_cookies {
        body["no_cookies"] = json!(true);
    }
    body
}

/// The cookie login: exact body, no query, no session sent along.
fn cookie_login() -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path("/v2/login/"))
        .and(header("content-type", "application/json"))
        .and(body_json(login_body(false)))
        .and(|req: &Request| req.url.query().is_none())
        .and(|req: &Request| !req.headers.contains_key("cookie"))
}

fn cookie_granted() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(true)
        .insert_header(
            "set-cookie",
            format!("sessionid={COOKIE}; Path=/; HttpOnly; Max-Age=86400").as_str(),
        )
}

async fn mount_cookie_login(server: &MockServer, times: u64) {
    cookie_login()
        .respond_with(cookie_granted())
        .expect(times)
        .mount(server)
        .await;
}

async fn mount_token_login(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v2/login/"))
        .and(body_json(login_body(true)))
        .and(|req: &Request| req.url.query() == Some("no_cookies=true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(TOKEN))
        .expect(1)
        .mount(server)
        .await;
}

/// A data call with the session cookie and exactly this raw query string
/// (`""` for none).
fn with_cookie(p: &str, raw_query: &'static str) -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path(p))
        .and(header("cookie", format!("sessionid={COOKIE}").as_str()))
        .and(move |req: &Request| req.url.query().unwrap_or("") == raw_query)
        .and(|req: &Request| !req.headers.contains_key("api-version"))
        .and(|req: &Request| {
            req.headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ua| ua.starts_with("roster/"))
        })
}

fn null() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(Value::Null)
}

fn uid(id: &str) -> UserId {
    UserId::new(id).expect("user id")
}

fn tid(id: &str) -> TenantId {
    TenantId::new(id).expect("tenant id")
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("email")
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording")
}

async fn mount_user_list(server: &MockServer) {
    with_cookie("/v2/user_list", "")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user_list")))
        .mount(server)
        .await;
}

// ---------- login and session ----------

#[tokio::test]
async fn login_is_lazy_and_the_cookie_is_reused() {
    let (server, client) = setup().await;
    assert!(requests(&server).await.is_empty(), "nothing sent on new()");
    mount_cookie_login(&server, 1).await;
    with_cookie("/v2/tenant_list", "")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("tenant_list")))
        .expect(2)
        .mount(&server)
        .await;
    client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("first");
    client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("second");
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 3, "one login, two calls");
    assert_eq!(sent[0].url.path(), "/v2/login/");
}

#[tokio::test]
async fn concurrent_first_calls_share_one_login() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie("/v2/tenant_list", "")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(3)
        .mount(&server)
        .await;
    let (a, b, c) = futures::join!(
        client.list_tenants_page(PageRequest::first()),
        client.list_tenants_page(PageRequest::first()),
        client.list_tenants_page(PageRequest::first()),
    );
    for result in [a, b, c] {
        result.expect("list");
    }
}

#[tokio::test]
async fn token_mode_asks_for_no_cookies_and_sends_the_token_in_the_query() {
    let (server, client) = setup_token().await;
    mount_token_login(&server).await;
    Mock::given(method("GET"))
        .and(path("/v2/user_create"))
        .and(|req: &Request| {
            req.url.query()
                == Some(
                    "full_name=Ann+Lee&language=en&user_name=a%2Bb%40x.io&token=tok3n0123456789abcdefSESSION",
                )
        })
        .and(|req: &Request| !req.headers.contains_key("cookie"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json("946a453f-da88-44dd-8885-d5461f5e07a1"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let created = client
        .create_user(&NewUser::new(email("a+b@x.io")).with_display_name("Ann Lee"))
        .await
        .expect("create");
    assert_eq!(created.id.as_str(), "946a453f-da88-44dd-8885-d5461f5e07a1");
}

#[tokio::test]
async fn an_expired_session_logs_in_again_once_and_repeats_the_call() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 2).await;
    with_cookie("/v2/tenant_list", "")
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"errors": ["Not logged in"]})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    with_cookie("/v2/tenant_list", "")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("tenant_list")))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("after re-login");
    assert_eq!(page.items.len(), 2);
    let paths: Vec<String> = requests(&server)
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/v2/login/",
            "/v2/tenant_list",
            "/v2/login/",
            "/v2/tenant_list"
        ]
    );
}

#[tokio::test]
async fn a_second_401_or_403_is_returned_without_another_login() {
    for (status, kind) in [
        (401, ErrorKind::Unauthenticated),
        (403, ErrorKind::PermissionDenied),
    ] {
        let (server, client) = setup().await;
        mount_cookie_login(&server, 2).await;
        with_cookie("/v2/tenant_list", "")
            .respond_with(ResponseTemplate::new(status))
            .expect(2)
            .mount(&server)
            .await;
        let err = client
            .list_tenants_page(PageRequest::first())
            .await
            .expect_err("still refused");
        assert_eq!(err.kind(), kind, "{status}: {err}");
        assert_eq!(err.status(), Some(status));
        assert_eq!(requests(&server).await.len(), 4, "{status}");
    }
}

#[tokio::test]
async fn a_rejected_login_is_unauthenticated_and_never_retried() {
    for (status, body) in [
        (400, json!({"errors": ["Invalid login"]})),
        (403, json!({"errors": ["No user matching login_id"]})),
    ] {
        let (server, client) = setup().await;
        cookie_login()
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
        let err = client
            .list_tenants_page(PageRequest::first())
            .await
            .expect_err("rejected");
        assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
        assert_eq!(err.operation(), Some(roster_core::Operation::Login));
        assert!(!err.is_temporary());
        // Later calls do not try again: each failure counts towards the lockout.
        for _ in 0..3 {
            let again = client.get_user(&uid(ALICE)).await.expect_err("refused");
            assert_eq!(again.kind(), ErrorKind::Unauthenticated);
            assert!(
                again.message().contains("earlier login was rejected"),
                "{again}"
            );
        }
        assert_eq!(requests(&server).await.len(), 1, "one login attempt in all");
    }
}

#[tokio::test]
async fn exceeded_bad_login_count_is_clear_permanent_and_not_retried() {
    for status in [400, 403, 503] {
        let (server, client) = setup().await;
        cookie_login()
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(json!({"errors": ["Exceeded bad login count"]})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let err = client
            .list_users_page(PageRequest::first())
            .await
            .expect_err("locked out");
        assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
        assert!(!err.is_temporary(), "{status}: a lockout is not temporary");
        assert!(err.message().contains("Exceeded bad login count"), "{err}");
        assert!(err.message().contains("5 minutes"), "{err}");
        let again = client
            .list_users_page(PageRequest::first())
            .await
            .expect_err("still locked out");
        assert_eq!(again.kind(), ErrorKind::Unauthenticated);
        assert!(!again.is_temporary());
        assert_eq!(
            requests(&server).await.len(),
            1,
            "{status}: no second attempt"
        );
    }
}

#[tokio::test]
async fn a_login_server_error_is_temporary_and_the_next_call_tries_once_more() {
    let (server, client) = setup().await;
    cookie_login()
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_cookie_login(&server, 1).await;
    with_cookie("/v2/tenant_list", "")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect_err("503");
    assert!(err.is_temporary(), "{err}");
    assert_eq!(
        requests(&server).await.len(),
        1,
        "the failed login was not repeated"
    );
    client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("the caller's retry logs in");
}

#[tokio::test]
async fn odd_login_answers_are_errors() {
    // No cookie in cookie mode.
    let (server, client) = setup().await;
    cookie_login()
        .respond_with(ResponseTemplate::new(200).set_body_json(true))
        .mount(&server)
        .await;
    let err = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect_err("no cookie");
    assert_eq!(err.kind(), ErrorKind::Unexpected, "{err}");

    // `true` instead of a token, and HTML, in token mode.
    for (answer, kind) in [
        (
            ResponseTemplate::new(200).set_body_json(true),
            ErrorKind::Unexpected,
        ),
        (
            ResponseTemplate::new(200).set_body_json(false),
            ErrorKind::Unauthenticated,
        ),
        (
            ResponseTemplate::new(200).set_body_string("<html>login</html>"),
            ErrorKind::Decode,
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"t": 1})),
            ErrorKind::Decode,
        ),
    ] {
        let (server, client) = setup_token().await;
        Mock::given(method("POST"))
            .and(path("/v2/login/"))
            .respond_with(answer)
            .mount(&server)
            .await;
        let err = client
            .list_tenants_page(PageRequest::first())
            .await
            .expect_err("odd");
        assert_eq!(err.kind(), kind, "{err}");
        assert_eq!(requests(&server).await.len(), 1);
    }
}

// ---------- users ----------

#[tokio::test]
async fn list_users_reads_the_documented_bare_array() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    mount_user_list(&server).await;
    let page = client
        .list_users_page(PageRequest::first())
        .await
        .expect("list");
    assert_eq!(page.next, None);
    assert_eq!(page.items.len(), 2);
    let app = &page.items[0];
    assert_eq!(app.id.as_str(), APP_TEST);
    assert_eq!(
        app.email.as_ref().map(Email::as_str),
        Some("test@medium.one")
    );
    assert_eq!(app.display_name.as_deref(), Some("App Test"));
    assert_eq!(app.role, None);
    assert_eq!(app.status, UserStatus::Active);
    assert_eq!(
        page.items[1].email.as_ref().map(Email::as_str),
        Some("alice+ops@example.com")
    );
}

#[tokio::test]
async fn list_users_reads_the_documented_envelope_too() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie("/v2/user_list", "")
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"user_list": fixture("user_list")})),
        )
        .mount(&server)
        .await;
    let page = client
        .list_users_page(PageRequest::first())
        .await
        .expect("list");
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[1].id.as_str(), ALICE);
}

#[tokio::test]
async fn list_users_refuses_a_cursor_it_never_gave_out() {
    let (server, client) = setup().await;
    let err = client
        .list_users_page(PageRequest::after("2"))
        .await
        .expect_err("no pages");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn get_user_picks_from_the_list() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    mount_user_list(&server).await;
    let alice = client
        .get_user(&uid(&ALICE.to_uppercase()))
        .await
        .expect("get");
    assert_eq!(alice.id.as_str(), ALICE, "any UUID spelling names the user");
    let err = client
        .get_user(&uid("11111111-2222-4333-8444-555555555555"))
        .await
        .expect_err("missing");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn create_user_percent_encodes_every_query_value() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie(
        "/v2/user_create",
        "full_name=Ann+L%C3%A9e+%26+Co&language=en&user_name=a%2Bb%40x.io",
    )
    .respond_with(ResponseTemplate::new(200).set_body_json("946a453f-da88-44dd-8885-d5461f5e07a1"))
    .expect(1)
    .mount(&server)
    .await;
    let created = client
        .create_user(&NewUser::new(email("a+b@x.io")).with_display_name("Ann Lée & Co"))
        .await
        .expect("create");
    assert_eq!(created.id.as_str(), "946a453f-da88-44dd-8885-d5461f5e07a1");
    assert_eq!(created.email.as_ref().map(Email::as_str), Some("a+b@x.io"));
    assert_eq!(created.display_name.as_deref(), Some("Ann Lée & Co"));
    // The server decodes the query back to exactly what was given.
    let sent = &requests(&server).await[1];
    let pairs: Vec<(String, String)> = sent
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert!(
        pairs.contains(&("user_name".into(), "a+b@x.io".into())),
        "{pairs:?}"
    );
}

#[tokio::test]
async fn create_user_without_a_name_sends_the_documented_default_full_name() {
    for request in [
        NewUser::new(email("testuser@mediumone.com")),
        NewUser::new(email("testuser@mediumone.com")).with_display_name("  "),
    ] {
        let (server, client) = setup().await;
        mount_cookie_login(&server, 1).await;
        with_cookie(
            "/v2/user_create",
            "full_name=testuser&language=en&user_name=testuser%40mediumone.com",
        )
        .respond_with(
            ResponseTemplate::new(200).set_body_json("946a453f-da88-44dd-8885-d5461f5e07a1"),
        )
        .expect(1)
        .mount(&server)
        .await;
        let created = client.create_user(&request).await.expect("create");
        assert_eq!(created.display_name.as_deref(), Some("testuser"));
        assert_eq!(created.provider_data, None, "the answer is only an id");
        assert_eq!(requests(&server).await.len(), 2, "login and create");
    }
}

#[tokio::test]
async fn a_400_from_user_create_is_already_exists_when_a_lookup_finds_the_user() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie(
        "/v2/user_create",
        "full_name=Alice&language=en&user_name=Alice%2BOps%40example.com",
    )
    .respond_with(
        ResponseTemplate::new(400)
            .insert_header("x-request-id", "req-7")
            .set_body_json(json!({"errors": ["User already exists"]})),
    )
    .expect(1)
    .mount(&server)
    .await;
    with_cookie("/v2/user_list", "")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user_list")))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .create_user(&NewUser::new(email("Alice+Ops@example.com")).with_display_name("Alice"))
        .await
        .expect_err("exists");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert_eq!(err.message(), "User already exists");
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.request_id(), Some("req-7"));
    assert_eq!(err.operation(), Some(roster_core::Operation::CreateUser));
    let paths: Vec<String> = requests(&server)
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths, ["/v2/login/", "/v2/user_create", "/v2/user_list"]);
}

#[tokio::test]
async fn a_400_from_user_create_is_invalid_input_when_no_such_user_exists() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie(
        "/v2/user_create",
        "full_name=nobody&language=en&user_name=nobody%40example.com",
    )
    .respond_with(ResponseTemplate::new(400).set_body_json(json!({"errors": ["Invalid language"]})))
    .expect(1)
    .mount(&server)
    .await;
    with_cookie("/v2/user_list", "")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user_list")))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .create_user(&NewUser::new(email("nobody@example.com")))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(err.message(), "Invalid language", "the server's text");
    assert_eq!(err.status(), Some(400));
    assert_eq!(requests(&server).await.len(), 3, "login, create, lookup");
}

#[tokio::test]
async fn a_400_whose_lookup_fails_says_the_duplicate_could_not_be_checked() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie(
        "/v2/user_create",
        "full_name=nobody&language=en&user_name=nobody%40example.com",
    )
    .respond_with(ResponseTemplate::new(400).set_body_json(json!({"errors": ["Invalid language"]})))
    .expect(1)
    .mount(&server)
    .await;
    with_cookie("/v2/user_list", "")
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .create_user(&NewUser::new(email("nobody@example.com")))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(err.status(), Some(400), "the create's own answer");
    assert!(
        err.message().starts_with(
            "refused; whether nobody@example.com already exists could not be checked ("
        ) && err.message().ends_with("): Invalid language"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn a_tenant_admin_looks_a_refused_create_up_in_their_tenant() {
    let (server, client) = setup_tenant_admin().await;
    mount_cookie_login(&server, 1).await;
    with_cookie(
        "/v2/user_create",
        "full_name=John&language=en&user_name=john%40example.com",
    )
    .respond_with(
        ResponseTemplate::new(400).set_body_json(json!({"errors": ["User already exists"]})),
    )
    .expect(2)
    .mount(&server)
    .await;
    with_cookie("/v2/user_list_in_tenant", "")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user_list_in_tenant")))
        .expect(2)
        .mount(&server)
        .await;
    let err = client
        .create_user(&NewUser::new(email("john@example.com")).with_display_name("John"))
        .await
        .expect_err("exists");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    // Someone outside the tenant: the tenant admin cannot see them.
    server.reset().await;
    mount_cookie_login(&server, 0).await;
    with_cookie(
        "/v2/user_create",
        "full_name=Eve&language=en&user_name=eve%40example.com",
    )
    .respond_with(
        ResponseTemplate::new(400).set_body_json(json!({"errors": ["User already exists"]})),
    )
    .expect(1)
    .mount(&server)
    .await;
    with_cookie("/v2/user_list_in_tenant", "")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user_list_in_tenant")))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .create_user(&NewUser::new(email("eve@example.com")).with_display_name("Eve"))
        .await
        .expect_err("unconfirmed");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(err.message(), "User already exists");
}

#[tokio::test]
async fn a_400_is_invalid_input_everywhere_else() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"errors": ["User already exists"]})),
        )
        .mount(&server)
        .await;
    let err = client
        .create_user(&NewUser::new(email("dup@example.com")))
        .await
        .expect_err("400");
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidInput,
        "the lookup failed too: {err}"
    );
    let err = client
        .create_tenant(&NewTenant::new("t").expect("name"))
        .await
        .expect_err("400");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let err = client
        .list_members(&tid(TEST_TENANT))
        .await
        .expect_err("400");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[tokio::test]
async fn a_non_uuid_id_from_user_create_is_a_decode_error() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v2/user_create"))
        .respond_with(ResponseTemplate::new(200).set_body_json("not-a-uuid"))
        .mount(&server)
        .await;
    let err = client
        .create_user(&NewUser::new(email("x@example.com")))
        .await
        .expect_err("bad id");
    assert_eq!(err.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn update_user_sends_the_exact_param_list_json() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    mount_user_list(&server).await;
    with_cookie(
        "/v2/user_update",
        "param_list=%7B%22field%22%3A%22full_name%22%2C%22value%22%3A%22Mr+Smith+%2B+%5C%22Jr%5C%22%22%7D&user_name=alice%2Bops%40example.com",
    )
    .respond_with(null())
    .expect(1)
    .mount(&server)
    .await;
    let updated = client
        .update_user(
            &uid(ALICE),
            &UserUpdate::new().display_name("Mr Smith + \"Jr\""),
        )
        .await
        .expect("update");
    assert_eq!(updated.display_name.as_deref(), Some("Mr Smith + \"Jr\""));
    assert_eq!(updated.id.as_str(), ALICE);
    let sent = requests(&server).await;
    let (_, param) = sent[2]
        .url
        .query_pairs()
        .find(|(k, _)| k == "param_list")
        .expect("param_list");
    assert_eq!(
        param, r#"{"field":"full_name","value":"Mr Smith + \"Jr\""}"#,
        "the server decodes exactly this JSON text"
    );
}

#[tokio::test]
async fn an_empty_update_reads_and_writes_nothing_else() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    mount_user_list(&server).await;
    let user = client
        .update_user(&uid(ALICE), &UserUpdate::new())
        .await
        .expect("noop");
    assert_eq!(user.display_name.as_deref(), Some("Alice Smith"));
    assert_eq!(requests(&server).await.len(), 2, "login and list");
}

#[tokio::test]
async fn delete_user_resolves_the_name_then_removes() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    mount_user_list(&server).await;
    with_cookie("/v2/user_remove", "user_name=alice%2Bops%40example.com")
        .respond_with(null())
        .expect(1)
        .mount(&server)
        .await;
    client.delete_user(&uid(ALICE)).await.expect("delete");
    let err = client
        .delete_user(&uid("11111111-2222-4333-8444-555555555555"))
        .await
        .expect_err("unknown");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

// ---------- tenants ----------

#[tokio::test]
async fn list_and_get_tenants() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie("/v2/tenant_list", "")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("tenant_list")))
        .expect(3)
        .mount(&server)
        .await;
    let page = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("list");
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].id.as_str(), TEST_USER_TENANT);
    assert_eq!(page.items[0].name, "Test User");
    let tenant = client.get_tenant(&tid(TEST_TENANT)).await.expect("get");
    assert_eq!(tenant.name, "test tenant");
    let err = client
        .get_tenant(&tid("11111111-2222-4333-8444-555555555555"))
        .await
        .expect_err("missing");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn create_tenant_encodes_the_name() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie("/v2/tenant_create", "tenant_name=Team+A%2FB+%231")
        .respond_with(
            ResponseTemplate::new(200).set_body_json("b57f1307-02d6-4294-aba9-27fa12cb8049"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let created = client
        .create_tenant(&NewTenant::new("Team A/B #1").expect("name"))
        .await
        .expect("create");
    assert_eq!(created.id.as_str(), "b57f1307-02d6-4294-aba9-27fa12cb8049");
    assert_eq!(created.name, "Team A/B #1");
}

#[tokio::test]
async fn what_the_api_lacks_is_unsupported_and_sends_nothing() {
    let (server, client) = setup().await;
    let tenant = tid(TEST_TENANT);
    let with_member = NewTenant::new("t")
        .expect("name")
        .with_member(uid(ALICE), MembershipRequest::new());
    let cases = [
        client.delete_tenant(&tenant).await.map(|_| ()),
        client.create_tenant(&with_member).await.map(|_| ()),
        client.current_user().await.map(|_| ()),
        client
            .create_user(&NewUser::new(email("r@example.com")).with_role(Role::Admin))
            .await
            .map(|_| ()),
        client
            .update_user(
                &uid(ALICE),
                &UserUpdate::new().email(email("n@example.com")),
            )
            .await
            .map(|_| ()),
        client
            .update_user(&uid(ALICE), &UserUpdate::new().role(Role::Member))
            .await
            .map(|_| ()),
        client
            .update_user(&uid(ALICE), &UserUpdate::new().status(UserStatus::Blocked))
            .await
            .map(|_| ()),
        client
            .add_member(
                &tenant,
                &uid(ALICE),
                &MembershipRequest::new().with_wireguard_key(WireGuardKey::from_bytes([7; 32])),
            )
            .await
            .map(|_| ()),
    ];
    for (index, result) in cases.into_iter().enumerate() {
        let err = result.expect_err("unsupported");
        assert_eq!(err.kind(), ErrorKind::Unsupported, "case {index}: {err}");
    }
    assert!(requests(&server).await.is_empty());
}

// ---------- memberships ----------

#[tokio::test]
async fn list_members_decodes_the_documented_sample() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie(
        "/v2/user_list_in_tenant",
        "tenant_id=3f1a5b4d-5e64-48d4-abab-8ead052fad1e",
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user_list_in_tenant")))
    .expect(1)
    .mount(&server)
    .await;
    let members = client
        .list_members(&tid(TEST_TENANT))
        .await
        .expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user.as_str(), JOHN);
    assert_eq!(members[0].tenant.as_str(), TEST_TENANT);
    assert_eq!(
        members[0].user_email.as_ref().map(Email::as_str),
        Some("john@example.com")
    );
    assert_eq!(members[0].role, Some(TenantRole::Admin));
}

#[tokio::test]
async fn the_published_user_list_in_tenant_sample_is_malformed_and_a_decode_error() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie(
        "/v2/user_list_in_tenant",
        "tenant_id=3f1a5b4d-5e64-48d4-abab-8ead052fad1e",
    )
    .respond_with(ResponseTemplate::new(200).set_body_string(include_str!(
        "fixtures/user_list_in_tenant_as_published.txt"
    )))
    .mount(&server)
    .await;
    let err = client
        .list_members(&tid(TEST_TENANT))
        .await
        .expect_err("malformed");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.body_snippet().is_some_and(|s| s.contains("user_list")));
}

#[tokio::test]
async fn list_user_memberships_reads_tenant_roles() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    mount_user_list(&server).await;
    let memberships = client
        .list_user_memberships(&uid(ALICE))
        .await
        .expect("list");
    let found: Vec<(&str, Option<TenantRole>)> = memberships
        .iter()
        .map(|m| (m.tenant.as_str(), m.role))
        .collect();
    assert_eq!(
        found,
        [
            (TEST_USER_TENANT, Some(TenantRole::Member)),
            (TEST_TENANT, Some(TenantRole::Admin))
        ]
    );
}

#[tokio::test]
async fn add_member_resolves_the_name_sends_the_role_and_reads_it_back() {
    for (request, role, reported, expected) in [
        (
            MembershipRequest::new().with_role(TenantRole::Admin),
            "tenant-admin",
            "tenant-admin",
            Some(TenantRole::Admin),
        ),
        (
            MembershipRequest::new(),
            "tenant-user",
            "tenant-user",
            Some(TenantRole::Member),
        ),
        // What the server stored, not what was asked for.
        (
            MembershipRequest::new(),
            "tenant-user",
            "tenant-auditor",
            Some(TenantRole::Other),
        ),
    ] {
        let (server, client) = setup().await;
        mount_cookie_login(&server, 1).await;
        mount_user_list(&server).await;
        let query = Box::leak(
            format!(
                "role={role}&tenant_id=3f1a5b4d-5e64-48d4-abab-8ead052fad1e&user_name=test%40medium.one"
            )
            .into_boxed_str(),
        );
        with_cookie("/v2/tenant_add_user", query)
            .respond_with(null())
            .expect(1)
            .mount(&server)
            .await;
        let entry = format!(
            r#"{{"full_name": "App Test", "user_name": "test@medium.one", "user_id": "{APP_TEST}",
               "tenant_roles": [{{"tenant_role": "{reported}", "tenant_id": "{TEST_TENANT}"}}], "extra": 1}}"#
        );
        with_cookie(
            "/v2/user_list_in_tenant",
            "tenant_id=3f1a5b4d-5e64-48d4-abab-8ead052fad1e",
        )
        .respond_with(
            ResponseTemplate::new(200).set_body_string(format!(r#"{{"user_list": [{entry}]}}"#)),
        )
        .expect(1)
        .mount(&server)
        .await;
        let membership = client
            .add_member(&tid(TEST_TENANT), &uid(APP_TEST), &request)
            .await
            .expect("add");
        assert_eq!(membership.tenant.as_str(), TEST_TENANT);
        assert_eq!(membership.user.as_str(), APP_TEST);
        assert_eq!(membership.role, expected);
        assert_eq!(membership.raw_role.as_deref(), Some(reported));
        assert_eq!(
            membership.user_email.as_ref().map(Email::as_str),
            Some("test@medium.one")
        );
        assert_eq!(
            membership.provider_data.as_ref().map(|d| d.get()),
            Some(entry.as_str()),
            "the entry as it arrived"
        );
        let paths: Vec<String> = requests(&server)
            .await
            .iter()
            .map(|r| r.url.path().to_owned())
            .collect();
        assert_eq!(
            paths,
            [
                "/v2/login/",
                "/v2/user_list",
                "/v2/tenant_add_user",
                "/v2/user_list_in_tenant"
            ]
        );
    }
}

#[tokio::test]
async fn remove_member_resolves_the_name() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    mount_user_list(&server).await;
    with_cookie(
        "/v2/tenant_remove_user",
        "tenant_id=8a5107f0-43f6-4b1a-9326-bbd684f13646&user_name=alice%2Bops%40example.com",
    )
    .respond_with(null())
    .expect(1)
    .mount(&server)
    .await;
    client
        .remove_member(&tid(TEST_USER_TENANT), &uid(ALICE))
        .await
        .expect("remove");
}

// ---------- tenant-admin mode ----------

#[tokio::test]
async fn tenant_admin_mode_refuses_sa_only_operations_up_front() {
    let (server, client) = setup_tenant_admin().await;
    let caps = client.capabilities();
    assert!(!caps.list_users && !caps.create_tenant);
    assert!(caps.get_user && caps.add_member && caps.list_tenants);
    let err = client
        .list_users_page(PageRequest::first())
        .await
        .expect_err("SA only");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let err = client
        .create_tenant(&NewTenant::new("t").expect("name"))
        .await
        .expect_err("SA only");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let other = tid(TEST_USER_TENANT);
    let err = client.list_members(&other).await.expect_err("other tenant");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    let err = client
        .add_member(&other, &uid(JOHN), &MembershipRequest::new())
        .await
        .expect_err("other tenant");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(requests(&server).await.is_empty());
    let sa = MediumOneClient::new(config(&server)).expect("client");
    assert!(sa.capabilities().list_users && sa.capabilities().create_tenant);
}

#[tokio::test]
async fn tenant_admin_mode_implies_the_tenant_and_sends_full_name() {
    let (server, client) = setup_tenant_admin().await;
    mount_cookie_login(&server, 1).await;
    with_cookie("/v2/user_list_in_tenant", "")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user_list_in_tenant")))
        .expect(4)
        .mount(&server)
        .await;
    with_cookie(
        "/v2/tenant_add_user",
        "full_name=John&role=tenant-admin&user_name=john%40example.com",
    )
    .respond_with(null())
    .expect(1)
    .mount(&server)
    .await;
    with_cookie("/v2/tenant_remove_user", "user_name=john%40example.com")
        .respond_with(null())
        .expect(1)
        .mount(&server)
        .await;
    let members = client
        .list_members(&tid(TEST_TENANT))
        .await
        .expect("members");
    assert_eq!(members.len(), 1);
    client
        .add_member(
            &tid(TEST_TENANT),
            &uid(JOHN),
            &MembershipRequest::new().with_role(TenantRole::Admin),
        )
        .await
        .expect("add");
    client
        .remove_member(&tid(TEST_TENANT), &uid(JOHN))
        .await
        .expect("remove");
}

// ---------- bad input sends nothing ----------

#[tokio::test]
async fn bad_input_is_refused_before_sending_or_logging_in() {
    let (server, client) = setup().await;
    let good_user = uid(ALICE);
    let good_tenant = tid(TEST_TENANT);
    for bad in ["..", ".", "a/b", "x?y", "a#b", "not-a-uuid", "%2e%2e"] {
        let user = uid(bad);
        let tenant = tid(bad);
        let results = [
            client.get_user(&user).await.map(|_| ()),
            client.delete_user(&user).await.map(|_| ()),
            client
                .update_user(&user, &UserUpdate::new().display_name("x"))
                .await
                .map(|_| ()),
            client.list_user_memberships(&user).await.map(|_| ()),
            client.get_tenant(&tenant).await.map(|_| ()),
            client.list_members(&tenant).await.map(|_| ()),
            client
                .add_member(&tenant, &good_user, &MembershipRequest::new())
                .await
                .map(|_| ()),
            client
                .add_member(&good_tenant, &user, &MembershipRequest::new())
                .await
                .map(|_| ()),
            client.remove_member(&tenant, &good_user).await.map(|_| ()),
            client.remove_member(&good_tenant, &user).await.map(|_| ()),
        ];
        for (index, result) in results.into_iter().enumerate() {
            let err = result.expect_err(bad);
            assert_eq!(
                err.kind(),
                ErrorKind::InvalidInput,
                "{bad:?} case {index}: {err}"
            );
        }
    }
    for bad in ["", "a b@x.io", "no-at", "@x.io"] {
        assert_eq!(
            Email::parse(bad).expect_err(bad).kind(),
            ErrorKind::InvalidInput
        );
    }
    assert!(requests(&server).await.is_empty(), "not even a login");
}

#[tokio::test]
async fn empty_credentials_and_bad_urls_are_refused_at_construction() {
    let cases = [
        MediumOneConfig::new(
            "",
            SecretString::from("p".to_owned()),
            SecretString::from("k".to_owned()),
        ),
        MediumOneConfig::new(
            "a@b.io",
            SecretString::from(String::new()),
            SecretString::from("k".to_owned()),
        ),
        MediumOneConfig::new(
            "a@b.io",
            SecretString::from("p".to_owned()),
            SecretString::from(" ".to_owned()),
        ),
        MediumOneConfig::new(
            "a@b.io",
            SecretString::from("p".to_owned()),
            SecretString::from("k".to_owned()),
        )
        .with_base_url("http://api.mediumone.com/v2"),
        MediumOneConfig::new(
            "a@b.io",
            SecretString::from("p".to_owned()),
            SecretString::from("k".to_owned()),
        )
        .with_mode(AdminMode::TenantAdmin(tid("not-a-uuid"))),
    ];
    for (index, config) in cases.into_iter().enumerate() {
        let err = MediumOneClient::new(config).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "case {index}: {err}");
    }
}

// ---------- provider data, loose decoding ----------

/// Two users as a server might send them: odd spacing, keys the docs never
/// name, optional fields missing, and a tenant role the docs do not list.
const ODD_USER_0: &str = r#"{ "user_id" : "fdc0487f-a0ff-4e2c-8df1-957936ec9350", "user_name": "test@medium.one",
  "full_name": "App Test", "api_basic_user": "u_fdc0487f-a0ff-4e2c-8df1-957936ec9350", "user_phone": "555",
  "tenant_roles": [ {"tenant_role": "tenant-viewer", "tenant_id": "3f1a5b4d-5e64-48d4-abab-8ead052fad1e", "since": 2019} ] }"#;
const ODD_USER_1: &str =
    r#"{"user_id": "7e2d9f14-3b6a-4d85-b0c7-8a9e1f2d3c46", "future": {"x": [1, null]}}"#;

fn users_as_array() -> String {
    format!("[{ODD_USER_0},\n {ODD_USER_1}]")
}

fn users_in_envelope() -> String {
    format!(r#"{{"count": 2, "user_list": [{ODD_USER_0}, {ODD_USER_1}], "more": null}}"#)
}

#[tokio::test]
async fn both_user_list_shapes_keep_each_item_as_it_arrived() {
    for body in [users_as_array(), users_in_envelope()] {
        let (server, client) = setup().await;
        mount_cookie_login(&server, 1).await;
        with_cookie("/v2/user_list", "")
            .respond_with(ResponseTemplate::new(200).set_body_string(body.clone()))
            .expect(1)
            .mount(&server)
            .await;
        let page = client
            .list_users_page(PageRequest::first())
            .await
            .expect("list");
        assert_eq!(page.items.len(), 2, "{body}");
        let [first, second] = [&page.items[0], &page.items[1]];
        assert_eq!(first.id.as_str(), APP_TEST);
        assert_eq!(first.display_name.as_deref(), Some("App Test"));
        assert_eq!(
            first.provider_data.as_ref().map(|d| d.get()),
            Some(ODD_USER_0)
        );
        assert_eq!(second.id.as_str(), ALICE);
        assert_eq!(second.email, None, "no user_name");
        assert_eq!(second.display_name, None);
        assert_eq!(
            second.provider_data.as_ref().map(|d| d.get()),
            Some(ODD_USER_1)
        );
    }
}

#[tokio::test]
async fn list_members_keeps_unknown_roles_and_each_entry() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie(
        "/v2/user_list_in_tenant",
        "tenant_id=3f1a5b4d-5e64-48d4-abab-8ead052fad1e",
    )
    .respond_with(ResponseTemplate::new(200).set_body_string(users_in_envelope()))
    .expect(1)
    .mount(&server)
    .await;
    let members = client
        .list_members(&tid(TEST_TENANT))
        .await
        .expect("members");
    assert_eq!(members.len(), 2);
    assert_eq!(members[0].user.as_str(), APP_TEST);
    assert_eq!(members[0].role, Some(TenantRole::Other));
    assert_eq!(members[0].raw_role.as_deref(), Some("tenant-viewer"));
    assert_eq!(
        members[0].provider_data.as_ref().map(|d| d.get()),
        Some(ODD_USER_0),
        "the user_list_in_tenant entry"
    );
    assert_eq!(members[1].user.as_str(), ALICE);
    assert_eq!(
        (members[1].role, members[1].raw_role.as_deref()),
        (None, None)
    );
    assert_eq!(
        members[1].provider_data.as_ref().map(|d| d.get()),
        Some(ODD_USER_1)
    );
}

#[tokio::test]
async fn list_user_memberships_keep_their_tenant_roles_entry() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie("/v2/user_list", "")
        .respond_with(ResponseTemplate::new(200).set_body_string(users_as_array()))
        .expect(1)
        .mount(&server)
        .await;
    let memberships = client
        .list_user_memberships(&uid(APP_TEST))
        .await
        .expect("memberships");
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].tenant.as_str(), TEST_TENANT);
    assert_eq!(memberships[0].role, Some(TenantRole::Other));
    assert_eq!(memberships[0].raw_role.as_deref(), Some("tenant-viewer"));
    assert_eq!(
        memberships[0].provider_data.as_ref().map(|d| d.get()),
        Some(
            r#"{"tenant_role": "tenant-viewer", "tenant_id": "3f1a5b4d-5e64-48d4-abab-8ead052fad1e", "since": 2019}"#
        )
    );
}

#[tokio::test]
async fn only_an_item_without_a_usable_id_fails_a_list_and_it_is_named() {
    for (p, body) in [
        (
            "/v2/user_list",
            format!(r#"[{ODD_USER_1}, {{"user_name": "x@y.io"}}]"#),
        ),
        (
            "/v2/user_list",
            format!(r#"{{"user_list": [{ODD_USER_1}, {{"user_id": 7}}]}}"#),
        ),
        (
            "/v2/user_list",
            format!(r#"[{ODD_USER_1}, {{"user_id": ""}}]"#),
        ),
        (
            "/v2/tenant_list",
            r#"[{"tenant_id": "8a5107f0-43f6-4b1a-9326-bbd684f13646"}, {"tenant_name": "no id"}]"#
                .to_owned(),
        ),
        (
            "/v2/tenant_list",
            r#"[{"tenant_id": "8a5107f0-43f6-4b1a-9326-bbd684f13646"}, {"tenant_id": ""}]"#
                .to_owned(),
        ),
    ] {
        let (server, client) = setup().await;
        mount_cookie_login(&server, 1).await;
        with_cookie(p, "")
            .respond_with(ResponseTemplate::new(200).set_body_string(body.clone()))
            .mount(&server)
            .await;
        let err = if p == "/v2/user_list" {
            client.list_users_page(PageRequest::first()).await.map(drop)
        } else {
            client
                .list_tenants_page(PageRequest::first())
                .await
                .map(drop)
        }
        .expect_err(&body);
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}: {err}");
        assert!(
            err.message().contains("item 1 of the list"),
            "{body}: {err}"
        );
    }
}

#[tokio::test]
async fn tenants_keep_their_object_and_a_missing_name_is_empty() {
    let first = r#"{"tenant_id": "8a5107f0-43f6-4b1a-9326-bbd684f13646", "tenant_name": "Test User", "api_basic_user": "t_8a5107f0", "seats": 5}"#;
    let second = r#"{"tenant_id": "3f1a5b4d-5e64-48d4-abab-8ead052fad1e", "tenant_name": null}"#;
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie("/v2/tenant_list", "")
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("[{first}, {second}]")))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("list");
    assert_eq!(page.items[0].name, "Test User");
    assert_eq!(
        page.items[0].provider_data.as_ref().map(|d| d.get()),
        Some(first)
    );
    assert_eq!(page.items[1].name, "");
    assert_eq!(
        page.items[1].provider_data.as_ref().map(|d| d.get()),
        Some(second)
    );
}

#[tokio::test]
async fn create_tenant_reads_the_tenant_back_with_its_object() {
    let entry = r#"{"tenant_id": "b57f1307-02d6-4294-aba9-27fa12cb8049", "tenant_name": "Team", "x": true}"#;
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie("/v2/tenant_create", "tenant_name=Team")
        .respond_with(
            ResponseTemplate::new(200).set_body_json("b57f1307-02d6-4294-aba9-27fa12cb8049"),
        )
        .expect(1)
        .mount(&server)
        .await;
    with_cookie("/v2/tenant_list", "")
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("[{entry}]")))
        .expect(1)
        .mount(&server)
        .await;
    let created = client
        .create_tenant(&NewTenant::new("Team").expect("name"))
        .await
        .expect("create");
    assert_eq!(created.id.as_str(), "b57f1307-02d6-4294-aba9-27fa12cb8049");
    assert_eq!(created.name, "Team");
    assert_eq!(created.provider_data.as_ref().map(|d| d.get()), Some(entry));
}

// ---------- provider-specific fields ----------

#[tokio::test]
async fn capabilities_and_fields_are_declared() {
    let (_server, client) = setup().await;
    assert!(!client.capabilities().multiple_roles_per_user);
    assert_eq!(
        client.user_fields(),
        [
            "language",
            "user_phone",
            "street",
            "street2",
            "city",
            "state",
            "zip",
            "country"
        ]
    );
}

#[tokio::test]
async fn create_user_sends_the_language_field() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie(
        "/v2/user_create",
        "full_name=Ann&language=de&user_name=ann%40example.com",
    )
    .respond_with(ResponseTemplate::new(200).set_body_json("946a453f-da88-44dd-8885-d5461f5e07a1"))
    .expect(1)
    .mount(&server)
    .await;
    let user = NewUser::new(email("ann@example.com"))
        .with_display_name("Ann")
        .with_field("language", "de")
        .expect("field");
    let created = client.create_user(&user).await.expect("create");
    assert_eq!(created.display_name.as_deref(), Some("Ann"));
}

/// The docs' own example: every `param_list` field, in the docs' order,
/// and nothing else.
#[tokio::test]
async fn update_user_sends_every_documented_param_list_field() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    mount_user_list(&server).await;
    let expected = [
        r#"{"field":"full_name","value":"Mr Smith"}"#,
        r#"{"field":"user_phone","value":"8888888888"}"#,
        r#"{"field":"street","value":"1 Ocean"}"#,
        r#"{"field":"street2","value":"Apt 1"}"#,
        r#"{"field":"city","value":"Santa Cruz"}"#,
        r#"{"field":"state","value":"CALIFORNIA"}"#,
        r#"{"field":"zip","value":"95062"}"#,
        r#"{"field":"country","value":"United States"}"#,
    ];
    let query = "param_list=%7B%22field%22%3A%22full_name%22%2C%22value%22%3A%22Mr+Smith%22%7D\
                 &param_list=%7B%22field%22%3A%22user_phone%22%2C%22value%22%3A%228888888888%22%7D\
                 &param_list=%7B%22field%22%3A%22street%22%2C%22value%22%3A%221+Ocean%22%7D\
                 &param_list=%7B%22field%22%3A%22street2%22%2C%22value%22%3A%22Apt+1%22%7D\
                 &param_list=%7B%22field%22%3A%22city%22%2C%22value%22%3A%22Santa+Cruz%22%7D\
                 &param_list=%7B%22field%22%3A%22state%22%2C%22value%22%3A%22CALIFORNIA%22%7D\
                 &param_list=%7B%22field%22%3A%22zip%22%2C%22value%22%3A%2295062%22%7D\
                 &param_list=%7B%22field%22%3A%22country%22%2C%22value%22%3A%22United+States%22%7D\
                 &user_name=alice%2Bops%40example.com";
    with_cookie("/v2/user_update", query)
        .respond_with(null())
        .expect(1)
        .mount(&server)
        .await;
    // Set in another order than the docs': the wire order is the docs'.
    let update = UserUpdate::new()
        .field("country", "United States")
        .and_then(|u| u.field("zip", "95062"))
        .and_then(|u| u.field("city", "Santa Cruz"))
        .and_then(|u| u.field("street2", "Apt 1"))
        .and_then(|u| u.field("street", "1 Ocean"))
        .and_then(|u| u.field("state", "CALIFORNIA"))
        .and_then(|u| u.field("user_phone", "8888888888"))
        .expect("fields")
        .display_name("Mr Smith");
    let updated = client
        .update_user(&uid(ALICE), &update)
        .await
        .expect("update");
    assert_eq!(updated.display_name.as_deref(), Some("Mr Smith"));
    let sent = requests(&server).await;
    let params: Vec<String> = sent[2]
        .url
        .query_pairs()
        .filter(|(k, _)| k == "param_list")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(params, expected);
}

#[tokio::test]
async fn an_update_of_one_field_sends_only_that_field() {
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    mount_user_list(&server).await;
    with_cookie(
        "/v2/user_update",
        "param_list=%7B%22field%22%3A%22city%22%2C%22value%22%3A%22Oslo%22%7D&user_name=alice%2Bops%40example.com",
    )
    .respond_with(null())
    .expect(1)
    .mount(&server)
    .await;
    let updated = client
        .update_user(
            &uid(ALICE),
            &UserUpdate::new().field("city", "Oslo").expect("field"),
        )
        .await
        .expect("update");
    assert_eq!(updated.display_name.as_deref(), Some("Alice Smith"), "kept");
    let listed = fixture("user_list")[1].clone();
    assert_eq!(
        updated.provider_data.as_ref().map(|d| d.to_value()),
        Some(listed),
        "the entry as read before the change"
    );
}

#[tokio::test]
async fn bad_fields_and_roles_are_refused_before_sending() {
    let (server, client) = setup().await;
    let ann = || NewUser::new(email("ann@example.com"));
    let creates = [
        (
            ann().with_field("user_phone", "555").expect("f"),
            ErrorKind::InvalidInput,
        ),
        (
            ann().with_field("nickname", "a").expect("f"),
            ErrorKind::InvalidInput,
        ),
        (
            ann().with_field("language", 7).expect("f"),
            ErrorKind::InvalidInput,
        ),
        (
            ann().with_field("language", " ").expect("f"),
            ErrorKind::InvalidInput,
        ),
        (
            ann().with_additional_role(Role::Member),
            ErrorKind::Unsupported,
        ),
    ];
    for (index, (user, kind)) in creates.into_iter().enumerate() {
        let err = client.create_user(&user).await.expect_err("refused");
        assert_eq!(err.kind(), kind, "create case {index}: {err}");
        assert_eq!(err.provider(), Some("medium-one"));
        let err = client
            .create_user_in_tenant(&tid(TEST_TENANT), &user, &MembershipRequest::new())
            .await
            .expect_err("refused");
        assert!(
            matches!(err.kind(), ErrorKind::InvalidInput | ErrorKind::Unsupported),
            "create in tenant case {index}: {err}"
        );
    }
    let updates = [
        (
            UserUpdate::new().field("language", "de"),
            ErrorKind::InvalidInput,
        ),
        (
            UserUpdate::new().field("nickname", "x"),
            ErrorKind::InvalidInput,
        ),
        (
            UserUpdate::new().field("zip", 95062),
            ErrorKind::InvalidInput,
        ),
        (
            UserUpdate::new().field("city", json!(["a"])),
            ErrorKind::InvalidInput,
        ),
        (
            Ok(UserUpdate::new().display_name(" ")),
            ErrorKind::InvalidInput,
        ),
        (
            Ok(UserUpdate::new().replace_roles([Role::Member.into()])),
            ErrorKind::Unsupported,
        ),
    ];
    for (index, (update, kind)) in updates.into_iter().enumerate() {
        let err = client
            .update_user(&uid(ALICE), &update.expect("built"))
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), kind, "update case {index}: {err}");
    }
    assert!(requests(&server).await.is_empty(), "mock received nothing");
}

// ---------- create-and-link ----------

#[tokio::test]
async fn create_user_in_tenant_is_one_add_and_one_read_back() {
    let entry = format!(
        r#"{{"full_name": "Ann", "user_name": "ann@example.com", "user_id": "946a453f-da88-44dd-8885-d5461f5e07a1", "api_basic_user": "u_946a453f",
            "tenant_roles": [{{"tenant_role": "tenant-admin", "tenant_id": "{TEST_TENANT}", "tenant_name": "test tenant"}}]}}"#
    );
    let (server, client) = setup().await;
    mount_cookie_login(&server, 1).await;
    with_cookie(
        "/v2/tenant_add_user",
        "full_name=Ann&role=tenant-admin&tenant_id=3f1a5b4d-5e64-48d4-abab-8ead052fad1e&user_name=ann%40example.com",
    )
    .respond_with(null())
    .expect(1)
    .mount(&server)
    .await;
    with_cookie(
        "/v2/user_list_in_tenant",
        "tenant_id=3f1a5b4d-5e64-48d4-abab-8ead052fad1e",
    )
    .respond_with(
        ResponseTemplate::new(200)
            .set_body_string(format!(r#"{{"user_list": [{ODD_USER_1}, {entry}]}}"#)),
    )
    .expect(1)
    .mount(&server)
    .await;
    let created = client
        .create_user_in_tenant(
            &tid(TEST_TENANT),
            &NewUser::new(email("ann@example.com")).with_display_name("Ann"),
            &MembershipRequest::new().with_role(TenantRole::Admin),
        )
        .await
        .expect("create in tenant");
    assert_eq!(
        created.user.id.as_str(),
        "946a453f-da88-44dd-8885-d5461f5e07a1"
    );
    assert_eq!(
        created.user.email.as_ref().map(Email::as_str),
        Some("ann@example.com")
    );
    assert_eq!(created.user.display_name.as_deref(), Some("Ann"));
    assert_eq!(
        created.user.provider_data.as_ref().map(|d| d.get()),
        Some(entry.as_str())
    );
    assert_eq!(created.membership.user, created.user.id);
    assert_eq!(created.membership.tenant.as_str(), TEST_TENANT);
    assert_eq!(created.membership.role, Some(TenantRole::Admin));
    assert_eq!(
        created.membership.provider_data.as_ref().map(|d| d.get()),
        Some(entry.as_str())
    );
    assert_eq!(requests(&server).await.len(), 3, "login, add, read back");
}

#[tokio::test]
async fn a_tenant_admin_creates_in_their_tenant_with_a_default_name() {
    let (server, client) = setup_tenant_admin().await;
    mount_cookie_login(&server, 1).await;
    with_cookie(
        "/v2/tenant_add_user",
        "full_name=john&role=tenant-user&user_name=john%40example.com",
    )
    .respond_with(null())
    .expect(1)
    .mount(&server)
    .await;
    with_cookie("/v2/user_list_in_tenant", "")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user_list_in_tenant")))
        .expect(1)
        .mount(&server)
        .await;
    let created = client
        .create_user_in_tenant(
            &tid(TEST_TENANT),
            &NewUser::new(email("john@example.com")),
            &MembershipRequest::new(),
        )
        .await
        .expect("create in tenant");
    assert_eq!(created.user.id.as_str(), JOHN);
    // The sample lists John as tenant-admin: the server's word wins.
    assert_eq!(created.membership.role, Some(TenantRole::Admin));
    let err = client
        .create_user_in_tenant(
            &tid(TEST_USER_TENANT),
            &NewUser::new(email("x@example.com")),
            &MembershipRequest::new(),
        )
        .await
        .expect_err("other tenant");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_eq!(
        err.operation(),
        Some(roster_core::Operation::CreateUserInTenant)
    );
    assert_eq!(requests(&server).await.len(), 3, "nothing more sent");
}

/// A tenant admin's user that this client created is in no list yet; adding
/// them skips the list read and sends the create-and-link form directly.
#[tokio::test]
async fn a_tenant_admin_adds_a_user_it_created_without_reading_the_list_first() {
    let new_id = "946a453f-da88-44dd-8885-d5461f5e07a1";
    let (server, client) = setup_tenant_admin().await;
    mount_cookie_login(&server, 1).await;
    with_cookie(
        "/v2/user_create",
        "full_name=Ann&language=en&user_name=ann%40example.com",
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(new_id))
    .expect(1)
    .mount(&server)
    .await;
    with_cookie(
        "/v2/tenant_add_user",
        "full_name=Ann&role=tenant-user&user_name=ann%40example.com",
    )
    .respond_with(null())
    .expect(1)
    .mount(&server)
    .await;
    let entry = format!(
        r#"{{"full_name": "Ann", "user_name": "ann@example.com", "user_id": "{new_id}", "tenant_roles": [{{"tenant_role": "tenant-user", "tenant_id": "{TEST_TENANT}"}}]}}"#
    );
    with_cookie("/v2/user_list_in_tenant", "")
        .respond_with(
            ResponseTemplate::new(200).set_body_string(format!(r#"{{"user_list": [{entry}]}}"#)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let created = client
        .create_user(&NewUser::new(email("ann@example.com")).with_display_name("Ann"))
        .await
        .expect("create");
    let membership = client
        .add_member(&tid(TEST_TENANT), &created.id, &MembershipRequest::new())
        .await
        .expect("add");
    assert_eq!(membership.user.as_str(), new_id);
    assert_eq!(membership.role, Some(TenantRole::Member));
    let paths: Vec<String> = requests(&server)
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/v2/login/",
            "/v2/user_create",
            "/v2/tenant_add_user",
            "/v2/user_list_in_tenant"
        ]
    );
}
