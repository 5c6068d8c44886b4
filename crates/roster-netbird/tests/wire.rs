//! Wire tests: every operation against wiremock, pinning the exact method,
//! path, query, headers and body, and asserting the decoded result.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use roster_core::{
    CreateOutcome, Email, ErrorKind, MembershipDirectory, MembershipDirectoryExt,
    MembershipRequest, NewTenant, NewUser, Operation, PageRequest, Role, RoleSpec, TenantDirectory,
    TenantId, TenantRole, UserDirectory, UserId, UserStatus, UserUpdate,
};
use roster_http::{HttpSettings, SecretString};
use roster_netbird::{
    NetbirdClient, NetbirdConfig, NetbirdCredential, RENAME_GROUP, RESEND_INVITATION,
};
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Bodies generated from the spec's response schemas.
#[path = "spec/decoding.rs"]
mod spec_decoding;

const TOKEN: &str = "nbp_WireTestTokenAbCdEfGhIjKlMnOpQrStUv01";
const TOM: &str = "google-oauth2|277474792786460067937";
const TOM_PATH: &str = "google-oauth2%7C277474792786460067937";
const ALICE: &str = "auth0|63f4b2c1e9a8d7f6a5b4c3d2";
const ALICE_PATH: &str = "auth0%7C63f4b2c1e9a8d7f6a5b4c3d2";
const BOB: &str = "google-oauth2|108953316357223456789";
const ROBOT: &str = "4b3e2a1c-9d8f-4e7a-b6c5-d4e3f2a1b0c9";
const DEVS: &str = "ch8i4ug6lnn4g9hqv7m0";
const OPS: &str = "cjl9lnt6lnnc73d5cn61";
const ALL: &str = "cjl9lnt6lnnc73d5cn60";
const NEW_GROUP: &str = "d1a2b3c4d5e6f7g8h9i0";

fn fixture(name: &str) -> Value {
    let text = match name {
        "users" => include_str!("fixtures/users.json"),
        "groups" => include_str!("fixtures/groups.json"),
        "user" => include_str!("fixtures/user_doc_example.json"),
        "error" => include_str!("fixtures/error.json"),
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).expect("fixture is JSON")
}

/// The fixture user with this id.
fn fixture_user(id: &str) -> Value {
    fixture("users")
        .as_array()
        .expect("list")
        .iter()
        .find(|u| u["id"] == id)
        .cloned()
        .expect("fixture user")
}

fn fixture_group(id: &str) -> Value {
    fixture("groups")
        .as_array()
        .expect("list")
        .iter()
        .find(|g| g["id"] == id)
        .cloned()
        .expect("fixture group")
}

async fn setup() -> (MockServer, NetbirdClient) {
    let server = MockServer::start().await;
    let client = client_for(&server, HttpSettings::default());
    (server, client)
}

fn client_for(server: &MockServer, http: HttpSettings) -> NetbirdClient {
    let config = NetbirdConfig::personal_access_token(SecretString::from(TOKEN.to_owned()))
        .with_base_url(server.uri())
        .with_http(http);
    NetbirdClient::new(config).expect("client")
}

/// Matches what every request must carry: the PAT with NetBird's `Token`
/// scheme, our user agent, the given query (or none), and none of
/// progenitor's `api-version` header.
fn authorized_query(m: &str, p: &str, query: Option<&'static str>) -> wiremock::MockBuilder {
    Mock::given(method(m))
        .and(path(p))
        .and(header("authorization", format!("Token {TOKEN}").as_str()))
        .and(move |req: &Request| req.url.query() == query)
        .and(|req: &Request| !req.headers.contains_key("api-version"))
        .and(|req: &Request| {
            req.headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ua| ua.starts_with("roster/"))
        })
}

fn authorized(m: &str, p: &str) -> wiremock::MockBuilder {
    authorized_query(m, p, None)
}

fn with_json_body(builder: wiremock::MockBuilder, body: Value) -> wiremock::MockBuilder {
    builder
        .and(header("content-type", "application/json"))
        .and(body_json(body))
}

fn without_body(builder: wiremock::MockBuilder) -> wiremock::MockBuilder {
    builder.and(|req: &Request| req.body.is_empty())
}

async fn serve_users(server: &MockServer, times: u64) {
    authorized("GET", "/api/users")
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users")))
        .expect(times)
        .mount(server)
        .await;
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

/// The user `id` from the fixture with other groups and role, as the
/// server would answer a `PUT`.
fn user_answer(id: &str, role: &str, groups: &[&str], blocked: bool) -> Value {
    let mut user = fixture_user(id);
    user["role"] = json!(role);
    user["auto_groups"] = json!(groups);
    user["is_blocked"] = json!(blocked);
    if blocked {
        user["status"] = json!("blocked");
    } else if user["status"] == "blocked" {
        user["status"] = json!("active");
    }
    user
}

// ---------- users ----------

#[tokio::test]
async fn list_users_decodes_every_field() {
    let (server, client) = setup().await;
    serve_users(&server, 1).await;
    let page = client
        .list_users_page(PageRequest::first())
        .await
        .expect("list");
    assert_eq!(page.next, None, "the API does not paginate");
    assert_eq!(page.items.len(), 4);

    let tom = &page.items[0];
    assert_eq!(tom.id.as_str(), TOM);
    assert_eq!(
        tom.email.as_ref().map(Email::as_str),
        Some("demo@netbird.io")
    );
    assert_eq!(tom.display_name.as_deref(), Some("Tom Schulz"));
    assert_eq!(tom.role, Some(Role::Admin));
    assert_eq!(tom.raw_role.as_deref(), Some("admin"));
    assert_eq!(tom.status, UserStatus::Active);

    let alice = &page.items[1];
    assert_eq!(
        alice.role,
        Some(Role::NetworkAdmin),
        "matched ignoring case"
    );
    assert_eq!(alice.raw_role.as_deref(), Some("Network_Admin"), "raw kept");
    assert_eq!(alice.status, UserStatus::Blocked);
    assert_eq!(
        alice.email.as_ref().map(Email::as_str),
        Some("Alice.Smith+ops@company.com")
    );

    let bob = &page.items[2];
    assert_eq!(bob.id.as_str(), BOB);
    assert_eq!(bob.status, UserStatus::Invited);
    assert_eq!(bob.role, Some(Role::Member), "NetBird's user is member");
    assert_eq!(bob.display_name, None);

    let robot = &page.items[3];
    assert_eq!(robot.id.as_str(), ROBOT);
    assert_eq!(robot.email, None, "service users have no email");
    assert_eq!(robot.display_name.as_deref(), Some("ci-robot"));
    assert_eq!(robot.role, Some(Role::Auditor));
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
async fn list_service_users_sends_the_filter() {
    let (server, client) = setup().await;
    authorized_query("GET", "/api/users", Some("service_user=true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([fixture_user(ROBOT)])))
        .expect(1)
        .mount(&server)
        .await;
    let robots = client.list_service_users().await.expect("list");
    assert_eq!(robots.len(), 1);
    assert_eq!(robots[0].id.as_str(), ROBOT);
    assert_eq!(robots[0].email, None);
}

#[tokio::test]
async fn get_user_lists_every_user_and_picks_one() {
    let (server, client) = setup().await;
    serve_users(&server, 2).await;
    let alice = client.get_user(&uid(ALICE)).await.expect("get");
    assert_eq!(alice.id.as_str(), ALICE);
    assert_eq!(alice.status, UserStatus::Blocked);
    let missing = "google-oauth2|999";
    let err = client.get_user(&uid(missing)).await.expect_err("missing");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.operation(), Some(Operation::GetUser));
    assert!(err.message().contains(missing), "{err}");
}

#[tokio::test]
async fn create_user_invites_with_the_default_role() {
    let (server, client) = setup().await;
    let mut invited = fixture_user(BOB);
    invited["email"] = json!("Carol+vpn@company.com");
    with_json_body(
        authorized("POST", "/api/users"),
        json!({"email": "Carol+vpn@company.com", "role": "user", "auto_groups": [], "is_service_user": false}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(invited))
    .expect(1)
    .mount(&server)
    .await;

    let user = client
        .create_user(&NewUser::new(email("Carol+vpn@company.com")))
        .await
        .expect("create");
    assert_eq!(user.outcome, CreateOutcome::Created);
    assert_eq!(user.id.as_str(), BOB);
    assert_eq!(user.status, UserStatus::Invited);
    assert_eq!(user.role, Some(Role::Member));
}

#[tokio::test]
async fn create_user_sends_the_name_and_any_role_by_neutral_or_netbird_name() {
    let (server, client) = setup().await;
    let cases = [
        (RoleSpec::Neutral(Role::BillingAdmin), "billing_admin"),
        (RoleSpec::Provider("Billing_ADMIN".into()), "billing_admin"),
        (RoleSpec::Neutral(Role::Admin), "admin"),
        (RoleSpec::Neutral(Role::Auditor), "auditor"),
        (RoleSpec::Neutral(Role::NetworkAdmin), "network_admin"),
        (RoleSpec::Provider("USER".into()), "user"),
    ];
    for (_, api) in &cases {
        let mut answer = fixture_user(TOM);
        answer["role"] = json!(api);
        with_json_body(
            authorized("POST", "/api/users"),
            json!({"email": "tom@company.com", "name": "Tom Schulz", "role": api, "auto_groups": [], "is_service_user": false}),
        )
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;
    }
    for (role, api) in cases {
        let request = NewUser::new(email("tom@company.com"))
            .with_display_name("Tom Schulz")
            .with_role(role);
        let user = client.create_user(&request).await.expect(api);
        assert_eq!(user.raw_role.as_deref(), Some(api));
        assert_eq!(user.display_name.as_deref(), Some("Tom Schulz"));
    }
    assert_eq!(requests(&server).await.len(), 6);
}

#[tokio::test]
async fn create_service_user_sets_is_service_user_and_the_name() {
    let (server, client) = setup().await;
    with_json_body(
        authorized("POST", "/api/users"),
        json!({"name": "ci-robot", "role": "auditor", "auto_groups": [], "is_service_user": true}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(fixture_user(ROBOT)))
    .expect(1)
    .mount(&server)
    .await;
    with_json_body(
        authorized("POST", "/api/users"),
        json!({"name": "deployer", "role": "user", "auto_groups": [], "is_service_user": true}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(fixture_user(ROBOT)))
    .expect(1)
    .mount(&server)
    .await;

    let robot = client
        .create_service_user("ci-robot", Some(&Role::Auditor.into()))
        .await
        .expect("create");
    assert_eq!(robot.id.as_str(), ROBOT);
    assert_eq!(robot.email, None);
    assert_eq!(robot.status, UserStatus::Active);
    client
        .create_service_user("deployer", None)
        .await
        .expect("default role");
}

#[tokio::test]
async fn update_role_writes_back_groups_and_blocked_flag_exactly() {
    let (server, client) = setup().await;
    serve_users(&server, 1).await;
    with_json_body(
        authorized("PUT", &format!("/api/users/{ALICE_PATH}")),
        json!({"role": "admin", "auto_groups": [DEVS, OPS], "is_blocked": true}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(user_answer(
        ALICE,
        "admin",
        &[DEVS, OPS],
        true,
    )))
    .expect(1)
    .mount(&server)
    .await;
    let user = client
        .update_user(&uid(ALICE), &UserUpdate::new().role(Role::Admin))
        .await
        .expect("update");
    assert_eq!(user.role, Some(Role::Admin));
    assert_eq!(user.status, UserStatus::Blocked);
}

#[tokio::test]
async fn update_status_blocks_and_unblocks_keeping_the_raw_role() {
    let (server, client) = setup().await;
    serve_users(&server, 2).await;
    with_json_body(
        authorized("PUT", &format!("/api/users/{TOM_PATH}")),
        json!({"role": "admin", "auto_groups": [DEVS], "is_blocked": true}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(user_answer(
        TOM,
        "admin",
        &[DEVS],
        true,
    )))
    .expect(1)
    .mount(&server)
    .await;
    with_json_body(
        authorized("PUT", &format!("/api/users/{ALICE_PATH}")),
        json!({"role": "Network_Admin", "auto_groups": [DEVS, OPS], "is_blocked": false}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(user_answer(
        ALICE,
        "Network_Admin",
        &[DEVS, OPS],
        false,
    )))
    .expect(1)
    .mount(&server)
    .await;
    let blocked = client
        .update_user(&uid(TOM), &UserUpdate::new().status(UserStatus::Blocked))
        .await
        .expect("block");
    assert_eq!(blocked.status, UserStatus::Blocked);
    let unblocked = client
        .update_user(&uid(ALICE), &UserUpdate::new().status(UserStatus::Active))
        .await
        .expect("unblock");
    assert_eq!(unblocked.status, UserStatus::Active);
}

#[tokio::test]
async fn an_empty_update_reads_and_writes_nothing() {
    let (server, client) = setup().await;
    serve_users(&server, 1).await;
    let user = client
        .update_user(&uid(BOB), &UserUpdate::new())
        .await
        .expect("no-op");
    assert_eq!(user.id.as_str(), BOB);
    assert!(
        requests(&server)
            .await
            .iter()
            .all(|r| r.method.as_str() == "GET")
    );
}

#[tokio::test]
async fn delete_user_percent_encodes_the_pipe() {
    let (server, client) = setup().await;
    without_body(authorized("DELETE", &format!("/api/users/{TOM_PATH}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    client.delete_user(&uid(TOM)).await.expect("delete");
    let sent = requests(&server).await;
    assert!(
        sent[0]
            .url
            .as_str()
            .ends_with("/api/users/google-oauth2%7C277474792786460067937"),
        "{}",
        sent[0].url
    );
}

#[tokio::test]
async fn resend_invitation_posts_to_the_encoded_invite_path() {
    let (server, client) = setup().await;
    without_body(authorized(
        "POST",
        "/api/users/google-oauth2%7C108953316357223456789/invite",
    ))
    .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
    .expect(1)
    .mount(&server)
    .await;
    client.resend_invitation(&uid(BOB)).await.expect("resend");
}

#[tokio::test]
async fn resend_invitation_without_an_idp_is_a_conflict_with_netbirds_message() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(412).set_body_json(
            json!({"message": "IdP manager must be enabled to send user invites", "code": 412}),
        ))
        .mount(&server)
        .await;
    let err = client.resend_invitation(&uid(BOB)).await.expect_err("412");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.operation(), Some(RESEND_INVITATION));
    assert_eq!(
        err.message(),
        "IdP manager must be enabled to send user invites"
    );
}

#[tokio::test]
async fn current_user_reads_users_current_with_its_id() {
    let (server, client) = setup().await;
    authorized("GET", "/api/users/current")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    let me = client.current_user().await.expect("me");
    assert_eq!(me.id.as_ref().map(UserId::as_str), Some(TOM));
    assert_eq!(
        me.email.as_ref().map(Email::as_str),
        Some("demo@netbird.io")
    );
    assert_eq!(me.display_name.as_deref(), Some("Tom Schulz"));
    assert_eq!(me.role, Some(Role::Admin));
    assert_eq!(me.raw_role.as_deref(), Some("admin"));
}

// ---------- groups ----------

#[tokio::test]
async fn list_and_get_groups() {
    let (server, client) = setup().await;
    authorized("GET", "/api/groups")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("groups")))
        .expect(1)
        .mount(&server)
        .await;
    authorized("GET", &format!("/api/groups/{DEVS}"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture_group(DEVS)))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("list");
    assert_eq!(page.next, None);
    let names: Vec<&str> = page.items.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["All", "devs"]);
    assert_eq!(page.items[0].id.as_str(), ALL);
    let devs = client.get_tenant(&tid(DEVS)).await.expect("get");
    assert_eq!(devs.id.as_str(), DEVS);
    assert_eq!(devs.name, "devs");
}

#[tokio::test]
async fn create_group_sends_only_the_name() {
    let (server, client) = setup().await;
    with_json_body(
        authorized("POST", "/api/groups"),
        json!({"name": "platform team"}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(json!({
        "id": NEW_GROUP, "name": "platform team", "peers_count": 0, "resources_count": 0,
        "issued": "api", "peers": [], "resources": []
    })))
    .expect(1)
    .mount(&server)
    .await;
    let created = client
        .create_tenant(&NewTenant::new("platform team").expect("name"))
        .await
        .expect("create");
    assert_eq!(created.outcome, CreateOutcome::Created);
    assert_eq!(created.id.as_str(), NEW_GROUP);
    assert_eq!(created.name, "platform team");
}

#[tokio::test]
async fn a_duplicate_group_name_is_already_exists() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(409).set_body_json(
                json!({"message": "group with name devs already exists", "code": 409}),
            ),
        )
        .mount(&server)
        .await;
    let err = client
        .create_tenant(&NewTenant::new("devs").expect("name"))
        .await
        .expect_err("duplicate");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert_eq!(err.message(), "group with name devs already exists");
}

#[tokio::test]
async fn delete_group_is_one_delete() {
    let (server, client) = setup().await;
    without_body(authorized("DELETE", &format!("/api/groups/{DEVS}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    client.delete_tenant(&tid(DEVS)).await.expect("delete");
}

#[tokio::test]
async fn a_group_netbird_refuses_to_delete_is_a_conflict_with_its_message() {
    for (status, message) in [
        (422, "group has been linked to user: alice@company.com"),
        (400, "deleting group ALL is not allowed"),
    ] {
        let (server, client) = setup().await;
        authorized("DELETE", &format!("/api/groups/{DEVS}"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("x-request-id", "cot7r4n3l3vh3qj4qveg")
                    .set_body_json(json!({"message": message, "code": status})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let err = client.delete_tenant(&tid(DEVS)).await.expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Conflict, "{status}");
        assert_eq!(err.message(), message);
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.request_id(), Some("cot7r4n3l3vh3qj4qveg"));
        assert_eq!(err.operation(), Some(Operation::DeleteTenant));
    }
}

#[tokio::test]
async fn find_group_by_name_filters_on_the_server() {
    let (server, client) = setup().await;
    authorized_query("GET", "/api/groups", Some("name=devs"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([fixture_group(DEVS)])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/groups"))
        .and(|req: &Request| {
            let pairs: Vec<(String, String)> = req.url.query_pairs().into_owned().collect();
            pairs == [("name".to_owned(), "dev ops&qa=1".to_owned())]
        })
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"message": "group with name dev ops&qa=1 not found", "code": 404}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let devs = client
        .find_group_by_name("devs")
        .await
        .expect("find")
        .expect("found");
    assert_eq!(devs.id.as_str(), DEVS);
    assert_eq!(
        client
            .find_group_by_name("dev ops&qa=1")
            .await
            .expect("404 is none"),
        None
    );
}

#[tokio::test]
async fn rename_group_writes_back_peers_and_resources() {
    let (server, client) = setup().await;
    authorized("GET", &format!("/api/groups/{DEVS}"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture_group(DEVS)))
        .expect(1)
        .mount(&server)
        .await;
    let mut renamed = fixture_group(DEVS);
    renamed["name"] = json!("developers");
    with_json_body(
        authorized("PUT", &format!("/api/groups/{DEVS}")),
        json!({
            "name": "developers",
            "peers": ["chacbco6lnnbn6cg5s90", "chacbco6lnnbn6cg5s91"],
            "resources": [{"id": "chacdk86lnnboviihd7g", "type": "host"}]
        }),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(renamed))
    .expect(1)
    .mount(&server)
    .await;
    let tenant = client
        .rename_group(&tid(DEVS), "developers")
        .await
        .expect("rename");
    assert_eq!(tenant.name, "developers");
    assert_eq!(tenant.id.as_str(), DEVS);
}

// ---------- memberships ----------

#[tokio::test]
async fn list_members_checks_the_group_then_filters_users() {
    let (server, client) = setup().await;
    authorized("GET", &format!("/api/groups/{DEVS}"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture_group(DEVS)))
        .expect(1)
        .mount(&server)
        .await;
    serve_users(&server, 1).await;
    let members = client.list_members(&tid(DEVS)).await.expect("members");
    let ids: Vec<&str> = members.iter().map(|m| m.user.as_str()).collect();
    assert_eq!(ids, [TOM, ALICE]);
    assert!(
        members
            .iter()
            .all(|m| m.tenant.as_str() == DEVS && m.role.is_none())
    );
    assert_eq!(
        members[0].user_email.as_ref().map(Email::as_str),
        Some("demo@netbird.io")
    );
}

#[tokio::test]
async fn members_come_in_one_page_and_a_cursor_is_refused_before_sending() {
    let (server, client) = setup().await;
    for bad in ["2", "2:3:devs", "next"] {
        let err = client
            .list_members_page(&tid(DEVS), PageRequest::after(bad))
            .await
            .expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}: {err}");
        assert_eq!(err.operation(), Some(Operation::ListMembers), "{bad}");
        assert_eq!(err.provider(), Some("netbird"), "{bad}");
    }
    assert!(requests(&server).await.is_empty(), "nothing was sent");

    authorized("GET", &format!("/api/groups/{DEVS}"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture_group(DEVS)))
        .expect(1)
        .mount(&server)
        .await;
    serve_users(&server, 1).await;
    // A page size is no cursor: the one page holds every member anyway.
    let page = client
        .list_members_page(&tid(DEVS), PageRequest::first().with_page_size(1))
        .await
        .expect("one page");
    let ids: Vec<&str> = page.items.iter().map(|m| m.user.as_str()).collect();
    assert_eq!(ids, [TOM, ALICE]);
    assert_eq!(page.next, None, "there is never a next page");
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn list_members_of_an_unknown_group_is_not_found() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/groups/nope"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"message": "group: nope not found", "code": 404})),
        )
        .mount(&server)
        .await;
    let err = client.list_members(&tid("nope")).await.expect_err("404");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(requests(&server).await.len(), 1, "no user list after a 404");
}

#[tokio::test]
async fn list_user_memberships_reads_auto_groups() {
    let (server, client) = setup().await;
    serve_users(&server, 1).await;
    let memberships = client
        .list_user_memberships(&uid(ALICE))
        .await
        .expect("memberships");
    let groups: Vec<&str> = memberships.iter().map(|m| m.tenant.as_str()).collect();
    assert_eq!(groups, [DEVS, OPS]);
    assert!(memberships.iter().all(|m| m.user.as_str() == ALICE));
}

#[tokio::test]
async fn add_member_changes_only_auto_groups() {
    let (server, client) = setup().await;
    serve_users(&server, 1).await;
    // Alice is blocked and her role is spelled "Network_Admin": both must
    // go back exactly as read.
    with_json_body(
        authorized("PUT", &format!("/api/users/{ALICE_PATH}")),
        json!({"role": "Network_Admin", "auto_groups": [DEVS, OPS, NEW_GROUP], "is_blocked": true}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(user_answer(
        ALICE,
        "Network_Admin",
        &[DEVS, OPS, NEW_GROUP],
        true,
    )))
    .expect(1)
    .mount(&server)
    .await;
    let membership = client
        .add_member(&tid(NEW_GROUP), &uid(ALICE), &MembershipRequest::new())
        .await
        .expect("add");
    assert_eq!(membership.tenant.as_str(), NEW_GROUP);
    assert_eq!(membership.user.as_str(), ALICE);
    let put = requests(&server)
        .await
        .into_iter()
        .find(|r| r.method.as_str() == "PUT")
        .expect("one PUT");
    let body: Value = serde_json::from_slice(&put.body).expect("json");
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(3),
        "exactly role, auto_groups and is_blocked: {body}"
    );
}

#[tokio::test]
async fn add_member_to_a_group_the_user_has_writes_nothing() {
    let (server, client) = setup().await;
    serve_users(&server, 1).await;
    let membership = client
        .add_member(&tid(OPS), &uid(ALICE), &MembershipRequest::new())
        .await
        .expect("already");
    assert_eq!(membership.tenant.as_str(), OPS);
    assert_eq!(requests(&server).await.len(), 1, "only the read");
}

#[tokio::test]
async fn add_member_to_an_unknown_user_is_not_found_and_writes_nothing() {
    let (server, client) = setup().await;
    serve_users(&server, 1).await;
    let err = client
        .add_member(
            &tid(DEVS),
            &uid("google-oauth2|1"),
            &MembershipRequest::new(),
        )
        .await
        .expect_err("unknown");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn remove_member_writes_back_the_other_groups() {
    let (server, client) = setup().await;
    serve_users(&server, 1).await;
    with_json_body(
        authorized("PUT", &format!("/api/users/{ALICE_PATH}")),
        json!({"role": "Network_Admin", "auto_groups": [OPS], "is_blocked": true}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(user_answer(
        ALICE,
        "Network_Admin",
        &[OPS],
        true,
    )))
    .expect(1)
    .mount(&server)
    .await;
    client
        .remove_member(&tid(DEVS), &uid(ALICE))
        .await
        .expect("remove");
}

#[tokio::test]
async fn remove_member_not_in_the_group_is_not_found_and_writes_nothing() {
    let (server, client) = setup().await;
    serve_users(&server, 1).await;
    let err = client
        .remove_member(&tid(DEVS), &uid(BOB))
        .await
        .expect_err("not a member");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains(DEVS), "{err}");
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn move_user_swaps_the_group_in_place_with_one_put() {
    let (server, client) = setup().await;
    serve_users(&server, 1).await;
    with_json_body(
        authorized("PUT", &format!("/api/users/{ALICE_PATH}")),
        json!({"role": "Network_Admin", "auto_groups": [NEW_GROUP, OPS], "is_blocked": true}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(user_answer(
        ALICE,
        "Network_Admin",
        &[NEW_GROUP, OPS],
        true,
    )))
    .expect(1)
    .mount(&server)
    .await;
    let moved = client
        .move_user(
            &uid(ALICE),
            &tid(DEVS),
            &tid(NEW_GROUP),
            &MembershipRequest::new(),
        )
        .await
        .expect("move");
    assert_eq!(moved.tenant.as_str(), NEW_GROUP);
    assert_eq!(moved.user.as_str(), ALICE);
    let methods: Vec<String> = requests(&server)
        .await
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(methods, ["GET", "PUT"]);
}

#[tokio::test]
async fn move_user_into_a_group_already_held_only_drops_the_old_one() {
    let (server, client) = setup().await;
    serve_users(&server, 1).await;
    with_json_body(
        authorized("PUT", &format!("/api/users/{ALICE_PATH}")),
        json!({"role": "Network_Admin", "auto_groups": [OPS], "is_blocked": true}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(user_answer(
        ALICE,
        "Network_Admin",
        &[OPS],
        true,
    )))
    .expect(1)
    .mount(&server)
    .await;
    client
        .move_user(
            &uid(ALICE),
            &tid(DEVS),
            &tid(OPS),
            &MembershipRequest::new(),
        )
        .await
        .expect("move");
}

#[tokio::test]
async fn move_user_from_a_group_they_are_not_in_writes_nothing() {
    let (server, client) = setup().await;
    serve_users(&server, 1).await;
    let err = client
        .move_user(&uid(BOB), &tid(DEVS), &tid(OPS), &MembershipRequest::new())
        .await
        .expect_err("not in devs");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.operation(), Some(Operation::MoveMember));
    assert_eq!(requests(&server).await.len(), 1, "only the read");
    let same = client
        .move_user(&uid(BOB), &tid(DEVS), &tid(DEVS), &MembershipRequest::new())
        .await
        .expect_err("same group");
    assert_eq!(same.kind(), ErrorKind::InvalidInput);
    assert_eq!(requests(&server).await.len(), 1, "refused before sending");
}

/// A server holding one user whose reads are slow, so that two
/// unserialised read-modify-writes would both read before either writes.
struct SlowReadsOneUser {
    groups: Arc<Mutex<Vec<String>>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Respond for SlowReadsOneUser {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut groups = self.groups.lock().expect("lock");
        self.log
            .lock()
            .expect("lock")
            .push(request.method.to_string());
        let user = |groups: &[String]| {
            json!({"id": TOM, "email": "demo@netbird.io", "name": "Tom", "role": "admin",
                   "status": "active", "auto_groups": groups, "is_blocked": false})
        };
        match request.method.as_str() {
            "GET" => ResponseTemplate::new(200)
                .set_body_json(json!([user(&groups)]))
                .set_delay(Duration::from_millis(150)),
            _ => {
                let body: Value = serde_json::from_slice(&request.body).expect("json");
                *groups = serde_json::from_value(body["auto_groups"].clone()).expect("groups");
                ResponseTemplate::new(200).set_body_json(user(&groups))
            }
        }
    }
}

#[tokio::test]
async fn concurrent_membership_changes_to_one_user_both_survive() {
    let server = MockServer::start().await;
    let groups = Arc::new(Mutex::new(vec![OPS.to_owned()]));
    let log = Arc::new(Mutex::new(Vec::new()));
    Mock::given(wiremock::matchers::any())
        .respond_with(SlowReadsOneUser {
            groups: groups.clone(),
            log: log.clone(),
        })
        .mount(&server)
        .await;
    let client = client_for(&server, HttpSettings::default());
    let clone = client.clone();
    let request = MembershipRequest::new();
    let (tom, devs, new_group) = (uid(TOM), tid(DEVS), tid(NEW_GROUP));
    let (first, second) = tokio::join!(
        client.add_member(&devs, &tom, &request),
        clone.add_member(&new_group, &tom, &request),
    );
    first.expect("first add");
    second.expect("second add");
    let mut stored = groups.lock().expect("lock").clone();
    stored.sort();
    assert_eq!(stored, [DEVS, OPS, NEW_GROUP], "no update was lost");
    assert_eq!(
        *log.lock().expect("lock"),
        ["GET", "PUT", "GET", "PUT"],
        "the second read waited for the first write"
    );
}

// ---------- encoding ----------

#[tokio::test]
async fn reserved_characters_in_ids_stay_in_one_segment() {
    let (server, client) = setup().await;
    let odd = "a/b?c#d|e%f\\g";
    let encoded = "a%2Fb%3Fc%23d%7Ce%25f%5Cg";
    for (m, p) in [
        ("DELETE", format!("/api/users/{encoded}")),
        ("POST", format!("/api/users/{encoded}/invite")),
        ("GET", format!("/api/groups/{encoded}")),
        ("DELETE", format!("/api/groups/{encoded}")),
    ] {
        authorized(m, &p)
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": odd, "name": "odd", "peers_count": 0, "resources_count": 0,
                "peers": [], "resources": []
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    client.delete_user(&uid(odd)).await.expect("delete user");
    client.resend_invitation(&uid(odd)).await.expect("invite");
    let tenant = client.get_tenant(&tid(odd)).await.expect("get group");
    assert_eq!(tenant.id.as_str(), odd);
    client.delete_tenant(&tid(odd)).await.expect("delete group");
}

// ---------- bad input sends nothing ----------

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let (server, client) = setup().await;
    let invalid = ErrorKind::InvalidInput;
    let unsupported = ErrorKind::Unsupported;
    let none = MembershipRequest::new();
    for dots in [".", ".."] {
        let (user, group) = (uid(dots), tid(dots));
        let kinds = [
            client.get_user(&user).await.expect_err(dots).kind(),
            client.delete_user(&user).await.expect_err(dots).kind(),
            client
                .update_user(&user, &UserUpdate::new().role(Role::Admin))
                .await
                .expect_err(dots)
                .kind(),
            client
                .resend_invitation(&user)
                .await
                .expect_err(dots)
                .kind(),
            client
                .list_user_memberships(&user)
                .await
                .expect_err(dots)
                .kind(),
            client.get_tenant(&group).await.expect_err(dots).kind(),
            client.delete_tenant(&group).await.expect_err(dots).kind(),
            client.list_members(&group).await.expect_err(dots).kind(),
            client
                .rename_group(&group, "x")
                .await
                .expect_err(dots)
                .kind(),
            client
                .add_member(&group, &uid(TOM), &none)
                .await
                .expect_err(dots)
                .kind(),
            client
                .add_member(&tid(DEVS), &user, &none)
                .await
                .expect_err(dots)
                .kind(),
            client
                .remove_member(&group, &uid(TOM))
                .await
                .expect_err(dots)
                .kind(),
            client
                .remove_member(&tid(DEVS), &user)
                .await
                .expect_err(dots)
                .kind(),
        ];
        assert!(kinds.iter().all(|k| *k == invalid), "{dots}: {kinds:?}");
    }
    // Roles NetBird does not have, and the one it does not create.
    let new = |role: RoleSpec| NewUser::new(email("x@company.com")).with_role(role);
    for role in [
        RoleSpec::Provider("superuser".into()),
        RoleSpec::Provider("member".into()),
        RoleSpec::Neutral(Role::Other),
        RoleSpec::Neutral(Role::Owner),
        RoleSpec::Provider("OWNER".into()),
    ] {
        let err = client
            .create_user(&new(role.clone()))
            .await
            .expect_err("role");
        assert_eq!(err.kind(), invalid, "{role}");
        assert_eq!(err.operation(), Some(Operation::CreateUser));
        let err = client
            .create_service_user("robot", Some(&role))
            .await
            .expect_err("role");
        assert_eq!(err.kind(), invalid, "{role}");
        // Owners can hand over ownership, so only unknown roles are
        // refused on update.
        let owner = matches!(&role, RoleSpec::Neutral(Role::Owner))
            || matches!(&role, RoleSpec::Provider(name) if name == "OWNER");
        if !owner {
            let err = client
                .update_user(&uid(TOM), &UserUpdate::new().role(role.clone()))
                .await
                .expect_err("role");
            assert_eq!(err.kind(), invalid, "{role}");
        }
    }
    assert_eq!(
        client
            .create_service_user("  ", None)
            .await
            .expect_err("name")
            .kind(),
        invalid
    );
    assert_eq!(
        client
            .find_group_by_name("")
            .await
            .expect_err("name")
            .kind(),
        invalid
    );
    assert_eq!(
        client
            .rename_group(&tid(DEVS), " ")
            .await
            .expect_err("name")
            .kind(),
        invalid
    );
    // What NetBird cannot do is refused, never dropped.
    for update in [
        UserUpdate::new().email(email("new@company.com")),
        UserUpdate::new().display_name("New Name"),
        UserUpdate::new().status(UserStatus::Suspended),
        UserUpdate::new().status(UserStatus::Invited),
        UserUpdate::new()
            .role(Role::Admin)
            .email(email("new@company.com")),
    ] {
        assert_eq!(
            client
                .update_user(&uid(TOM), &update)
                .await
                .expect_err("unsupported")
                .kind(),
            unsupported,
            "{update:?}"
        );
    }
    let with_members = NewTenant::new("team")
        .expect("name")
        .with_member(uid(TOM), MembershipRequest::new());
    assert_eq!(
        client
            .create_tenant(&with_members)
            .await
            .expect_err("members")
            .kind(),
        unsupported
    );
    let with_role = MembershipRequest::new().with_role(TenantRole::Admin);
    assert_eq!(
        client
            .add_member(&tid(DEVS), &uid(TOM), &with_role)
            .await
            .expect_err("role")
            .kind(),
        unsupported
    );
    assert_eq!(
        client
            .move_user(&uid(TOM), &tid(DEVS), &tid(OPS), &with_role)
            .await
            .expect_err("role")
            .kind(),
        unsupported
    );
    for dots in [".", ".."] {
        for (user, from, to) in [
            (uid(dots), tid(DEVS), tid(OPS)),
            (uid(TOM), tid(dots), tid(OPS)),
            (uid(TOM), tid(DEVS), tid(dots)),
        ] {
            assert_eq!(
                client
                    .move_user(&user, &from, &to, &none)
                    .await
                    .expect_err(dots)
                    .kind(),
                invalid
            );
        }
    }
    assert!(
        requests(&server).await.is_empty(),
        "nothing reached the server"
    );
}

// ---------- status mapping ----------

async fn status_error(
    body: ResponseTemplate, call: impl AsyncFnOnce(&NetbirdClient) -> roster_core::Error,
) -> roster_core::Error {
    let (server, client) = setup().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(body)
        .mount(&server)
        .await;
    call(&client).await
}

fn netbird_error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-request-id", format!("req-{status}").as_str())
        .set_body_json(json!({"message": message, "code": status}))
}

#[tokio::test]
async fn an_unknown_group_in_auto_groups_is_invalid_input() {
    let (server, client) = setup().await;
    serve_users(&server, 1).await;
    Mock::given(method("PUT"))
        .respond_with(netbird_error(422, "group: zzz doesn't exist"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .add_member(&tid("zzz"), &uid(TOM), &MembershipRequest::new())
        .await
        .expect_err("422");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.message(), "group: zzz doesn't exist");
    assert_eq!(err.operation(), Some(Operation::AddMember));
}

#[tokio::test]
async fn a_409_on_an_update_is_a_conflict_and_404_on_delete_is_not_found() {
    let err = status_error(netbird_error(409, "conflict"), async |c| {
        c.rename_group(&tid(DEVS), "x").await.expect_err("409")
    })
    .await;
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.operation(), Some(RENAME_GROUP));
    let err = status_error(netbird_error(404, "user: x not found"), async |c| {
        c.delete_user(&uid(TOM)).await.expect_err("404")
    })
    .await;
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

// ---------- bodies the server should not send ----------

#[tokio::test]
async fn an_html_error_page_falls_back_to_the_status() {
    let err = status_error(
        ResponseTemplate::new(502)
            .set_body_raw("<html><h1>502 Bad Gateway</h1></html>", "text/html"),
        async |c| c.get_tenant(&tid(DEVS)).await.expect_err("502"),
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::Unexpected);
    assert_eq!(err.message(), "HTTP 502 Bad Gateway");
    assert!(err.body_snippet().expect("snippet").contains("Bad Gateway"));
    assert!(err.is_temporary());
}

// ---------- configuration ----------

#[tokio::test]
async fn an_oauth_token_goes_out_as_bearer() {
    let server = MockServer::start().await;
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0b20ifQ.c2lnbmF0dXJl";
    Mock::given(method("GET"))
        .and(path("/api/users/current"))
        .and(header("authorization", format!("Bearer {jwt}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    let config =
        NetbirdConfig::oauth_token(SecretString::from(jwt.to_owned())).with_base_url(server.uri());
    assert_eq!(config.credential().scheme(), "Bearer");
    let client = NetbirdClient::new(config).expect("client");
    client.current_user().await.expect("bearer accepted");
}

#[tokio::test]
async fn the_default_base_url_is_netbird_cloud_and_plain_http_needs_an_opt_in() {
    let token = SecretString::from(TOKEN.to_owned());
    let cloud = NetbirdConfig::personal_access_token(token.clone());
    assert_eq!(cloud.base_url(), "https://api.netbird.io");
    assert!(NetbirdClient::new(cloud).is_ok());
    let plain = NetbirdConfig::new(
        "http://netbird.example.com",
        NetbirdCredential::PersonalAccessToken(token.clone()),
    );
    let err = NetbirdClient::new(plain.clone()).expect_err("plain http");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.provider(), Some("netbird"));
    let opted_in = plain.with_http(HttpSettings::new().allow_insecure_http(true));
    assert!(NetbirdClient::new(opted_in).is_ok());
    let empty = NetbirdConfig::personal_access_token(SecretString::from(String::new()));
    assert_eq!(
        NetbirdClient::new(empty).expect_err("empty").kind(),
        ErrorKind::InvalidInput
    );
}

// ---------- provider data, pending approval, unknown words ----------

const PAT: &str = "google-oauth2|100000000000000000901";
const PAT_PATH: &str = "google-oauth2%7C100000000000000000901";

/// A user waiting for approval, as NetBird reports one: blocked, with
/// `pending_approval`, and every optional field the spec documents.
fn pending_user() -> Value {
    json!({
        "id": PAT, "email": "pat@company.com", "name": "Pat Pending", "role": "user",
        "status": "blocked", "last_login": "0001-01-01T00:00:00Z", "auto_groups": [],
        "is_current": false, "is_service_user": false, "is_blocked": true,
        "pending_approval": true, "issued": "api", "idp_id": "okta-abc123"
    })
}

#[tokio::test]
async fn every_user_and_group_carries_its_object_exactly_as_sent() {
    let (server, client) = setup().await;
    let mut users = fixture("users").as_array().cloned().expect("list");
    users.push(pending_user());
    users.push(
        json!({"id": "u-new-role", "email": "n@company.com", "name": "N",
                      "role": "policy_admin", "status": "active", "auto_groups": [],
                      "is_blocked": false, "pending_approval": false,
                      "future_field": {"nested": [1, 2]}}),
    );
    users.push(
        json!({"id": "u-new-status", "role": "user", "status": "dormant",
                      "auto_groups": [], "is_blocked": false}),
    );
    users.push(json!({"id": "u-bare"}));
    authorized("GET", "/api/users")
        .respond_with(ResponseTemplate::new(200).set_body_json(&users))
        .expect(1)
        .mount(&server)
        .await;
    authorized("GET", "/api/groups")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("groups")))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .list_users_page(PageRequest::first())
        .await
        .expect("list");
    assert_eq!(page.items.len(), users.len());
    for (user, sent) in page.items.iter().zip(&users) {
        let data = user.provider_data.as_ref().expect("provider data");
        assert_eq!(&data.to_value(), sent, "{}", user.id);
        assert_eq!(data.get(), sent.to_string(), "the bytes as they arrived");
    }
    let pat = &page.items[4];
    assert_eq!(
        pat.status,
        UserStatus::PendingApproval,
        "not Active, not Blocked"
    );
    assert_eq!(pat.raw_status.as_deref(), Some("blocked"));
    let new_role = &page.items[5];
    assert_eq!(new_role.role, Some(Role::Other));
    assert_eq!(new_role.raw_role.as_deref(), Some("policy_admin"));
    assert_eq!(new_role.status, UserStatus::Active);
    let new_status = &page.items[6];
    assert_eq!(new_status.status, UserStatus::Other);
    assert_eq!(new_status.raw_status.as_deref(), Some("dormant"));
    let bare = &page.items[7];
    assert_eq!(bare.id.as_str(), "u-bare");
    assert_eq!(
        (bare.email.as_ref(), bare.role, bare.display_name.as_ref()),
        (None, None, None)
    );
    assert_eq!(page.items[0].raw_status.as_deref(), Some("active"));

    let groups = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("groups");
    for (tenant, sent) in groups
        .items
        .iter()
        .zip(fixture("groups").as_array().expect("list"))
    {
        assert_eq!(
            &tenant.provider_data.as_ref().expect("data").to_value(),
            sent
        );
    }
}

#[tokio::test]
async fn memberships_are_ids_in_auto_groups_and_carry_no_provider_data() {
    let (server, client) = setup().await;
    serve_users(&server, 1).await;
    let memberships = client
        .list_user_memberships(&uid(ALICE))
        .await
        .expect("memberships");
    assert_eq!(memberships.len(), 2);
    assert!(memberships.iter().all(|m| m.provider_data.is_none()));
}

#[tokio::test]
async fn only_an_item_without_a_usable_id_fails_naming_its_position() {
    let (server, client) = setup().await;
    let users = json!([fixture_user(TOM), fixture_user(BOB), {"id": "", "email": "x@y.io"}]);
    authorized("GET", "/api/users")
        .respond_with(ResponseTemplate::new(200).set_body_json(users))
        .mount(&server)
        .await;
    authorized("GET", "/api/groups")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            fixture_group(ALL), {"id": "", "name": "ghost"}
        ])))
        .mount(&server)
        .await;
    let err = client
        .list_users_page(PageRequest::first())
        .await
        .expect_err("empty id");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("item 2 of the list"), "{err}");
    assert_eq!(err.operation(), Some(Operation::ListUsers));
    let err = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect_err("empty id");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("item 1 of the list"), "{err}");
}

#[tokio::test]
async fn the_current_user_carries_permissions_in_its_provider_data() {
    let (server, client) = setup().await;
    let mut me = fixture("user");
    me["pending_approval"] = json!(false);
    me["permissions"] = json!({
        "is_restricted": false,
        "modules": {"networks": {"read": true, "create": false, "update": false, "delete": false}}
    });
    authorized("GET", "/api/users/current")
        .respond_with(ResponseTemplate::new(200).set_body_json(&me))
        .expect(1)
        .mount(&server)
        .await;
    let principal = client.current_user().await.expect("me");
    let data = principal.provider_data.expect("provider data");
    assert_eq!(data.to_value(), me);
    assert_eq!(
        data.field("permissions").expect("permissions")["modules"]["networks"]["read"],
        json!(true)
    );
    assert_eq!(principal.id.as_ref().map(UserId::as_str), Some(TOM));
}

const PASSWORD: &str = "Zq8!mR2#vL5@pX9w";

#[tokio::test]
async fn create_user_returns_the_generated_password_once_as_a_secret() {
    let (server, client) = setup().await;
    let mut answer = fixture_user(BOB);
    answer["email"] = json!("carol@company.com");
    answer["status"] = json!("active");
    answer["password"] = json!(PASSWORD);
    answer["idp_id"] = json!("local");
    with_json_body(
        authorized("POST", "/api/users"),
        json!({"email": "carol@company.com", "role": "user", "auto_groups": [], "is_service_user": false}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(&answer))
    .expect(1)
    .mount(&server)
    .await;
    let created = client
        .create_user(&NewUser::new(email("carol@company.com")))
        .await
        .expect("create");
    assert_eq!(created.outcome, CreateOutcome::Created);
    assert_eq!(created.status, UserStatus::Active);
    assert_eq!(
        created.secret.as_ref().map(|s| s.expose_secret()),
        Some(PASSWORD)
    );
    let mut without = answer.clone();
    without.as_object_mut().expect("object").remove("password");
    let data = created.provider_data.as_ref().expect("provider data");
    assert_eq!(data.to_value(), without, "everything but the password");
    for (label, text) in [
        ("provider data", data.get().to_owned()),
        ("Debug", format!("{created:?}")),
        ("user Debug", format!("{:?}", created.value)),
        (
            "serialized",
            serde_json::to_string(&created).expect("serialize"),
        ),
    ] {
        assert!(!text.contains(PASSWORD), "{label}: {text}");
    }
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_create_answer_without_a_password_has_no_secret_and_keeps_its_bytes() {
    let (server, client) = setup().await;
    authorized("POST", "/api/users")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture_user(BOB)))
        .expect(1)
        .mount(&server)
        .await;
    let created = client
        .create_user(&NewUser::new(email("bob@company.com")))
        .await
        .expect("create");
    assert!(created.secret.is_none());
    assert_eq!(
        created.provider_data.as_ref().expect("data").get(),
        fixture_user(BOB).to_string()
    );
}

#[tokio::test]
async fn a_create_answer_that_does_not_decode_never_shows_the_password() {
    let bodies = [
        format!(r#"{{"id": 5, "email": "a@b.io", "password": "{PASSWORD}"}}"#),
        format!(r#"{{"id": "u", "is_blocked": "yes", "password": "{PASSWORD}"}}"#),
        r#"{"id": "u", "password": 90817263544}"#.to_owned(),
        format!(r#"{{"id": "u", "password": "{PASSWORD}", "name": "#),
    ];
    for body in bodies {
        let err = status_error(
            ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
            async |c| {
                c.create_user(&NewUser::new(email("a@b.io")))
                    .await
                    .expect_err("undecodable")
            },
        )
        .await;
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}");
        assert_eq!(err.operation(), Some(Operation::CreateUser));
        assert_eq!(err.provider(), Some("netbird"));
        let snippet = err.body_snippet().expect("a snippet is kept");
        assert!(snippet.contains(r#""password""#), "{snippet}");
        let rendered = format!("{err}\n{err:?}\n{snippet}");
        for secret in [PASSWORD, "90817263544"] {
            assert!(!rendered.contains(secret), "{body}: {rendered}");
        }
    }
}

#[tokio::test]
async fn approve_user_posts_nothing_and_returns_the_user_as_answered() {
    let (server, client) = setup().await;
    let mut approved = pending_user();
    approved["status"] = json!("active");
    approved["is_blocked"] = json!(false);
    approved["pending_approval"] = json!(false);
    without_body(authorized(
        "POST",
        &format!("/api/users/{PAT_PATH}/approve"),
    ))
    .respond_with(ResponseTemplate::new(200).set_body_json(&approved))
    .expect(1)
    .mount(&server)
    .await;
    let user = client.approve_user(&uid(PAT)).await.expect("approve");
    assert_eq!(user.id.as_str(), PAT);
    assert_eq!(user.status, UserStatus::Active);
    assert_eq!(user.role, Some(Role::Member));
    assert_eq!(
        user.email.as_ref().map(Email::as_str),
        Some("pat@company.com")
    );
    assert_eq!(user.provider_data.expect("data").to_value(), approved);
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1, "one request, no read first");
    assert!(sent[0].body.is_empty() && !sent[0].headers.contains_key("content-type"));
}

#[tokio::test]
async fn reject_user_is_one_delete_of_the_reject_path() {
    let (server, client) = setup().await;
    without_body(authorized(
        "DELETE",
        &format!("/api/users/{PAT_PATH}/reject"),
    ))
    .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
    .expect(1)
    .mount(&server)
    .await;
    client.reject_user(&uid(PAT)).await.expect("reject");
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn deciding_on_a_user_who_is_not_waiting_is_a_conflict_and_unknown_is_not_found() {
    for (status, kind) in [(422, ErrorKind::Conflict), (404, ErrorKind::NotFound)] {
        let message = format!("user {TOM} is not pending approval");
        let err = status_error(netbird_error(status, &message), async |c| {
            c.approve_user(&uid(TOM)).await.expect_err("refused")
        })
        .await;
        assert_eq!((err.kind(), err.status()), (kind, Some(status)));
        assert_eq!(err.operation(), Some(Operation::ApproveUser));
        assert_eq!(err.message(), message);
        let err = status_error(netbird_error(status, &message), async |c| {
            c.reject_user(&uid(TOM)).await.expect_err("refused")
        })
        .await;
        assert_eq!((err.kind(), err.status()), (kind, Some(status)));
        assert_eq!(err.operation(), Some(Operation::RejectUser));
        assert_eq!(err.request_id(), Some(format!("req-{status}").as_str()));
    }
}

#[tokio::test]
async fn new_input_netbird_cannot_take_is_refused_before_sending() {
    let (server, client) = setup().await;
    for dots in [".", ".."] {
        for err in [
            client.approve_user(&uid(dots)).await.expect_err(dots),
            client.reject_user(&uid(dots)).await.expect_err(dots),
        ] {
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{dots}");
            assert!(matches!(
                err.operation(),
                Some(Operation::ApproveUser | Operation::RejectUser)
            ));
        }
    }
    let two_roles = NewUser::new(email("x@company.com"))
        .with_role(Role::Admin)
        .with_additional_role(Role::Auditor);
    let err = client.create_user(&two_roles).await.expect_err("two roles");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let with_field = NewUser::new(email("x@company.com"))
        .with_field("phone", "+1 555")
        .expect("field");
    let err = client.create_user(&with_field).await.expect_err("field");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.operation(), Some(Operation::CreateUser));
    let err = client
        .update_user(
            &uid(TOM),
            &UserUpdate::new().replace_roles([RoleSpec::Neutral(Role::Admin)]),
        )
        .await
        .expect_err("roles");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let err = client
        .update_user(
            &uid(TOM),
            &UserUpdate::new().field("groups", json!([])).expect("field"),
        )
        .await
        .expect_err("field");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = client
        .update_user(
            &uid(TOM),
            &UserUpdate::new().status(UserStatus::PendingApproval),
        )
        .await
        .expect_err("status");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(requests(&server).await.is_empty(), "mock received nothing");
}

#[tokio::test]
async fn a_record_without_what_a_put_sends_back_writes_nothing() {
    for missing in ["role", "auto_groups", "is_blocked"] {
        let (server, client) = setup().await;
        let mut alice = fixture_user(ALICE);
        alice.as_object_mut().expect("object").remove(missing);
        authorized("GET", "/api/users")
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([alice])))
            .mount(&server)
            .await;
        let results = [
            client
                .add_member(&tid(NEW_GROUP), &uid(ALICE), &MembershipRequest::new())
                .await
                .map(|_| ()),
            client
                .update_user(&uid(ALICE), &UserUpdate::new().status(UserStatus::Active))
                .await
                .map(|_| ()),
            client.remove_member(&tid(OPS), &uid(ALICE)).await,
        ];
        for result in results {
            let err = result.expect_err(missing);
            // Without auto_groups Alice is in no group, so the removal
            // stops at NotFound; either way nothing is written.
            assert!(
                matches!(err.kind(), ErrorKind::Decode | ErrorKind::NotFound),
                "{missing}: {err}"
            );
        }
        assert!(
            requests(&server)
                .await
                .iter()
                .all(|r| r.method.as_str() == "GET"),
            "{missing}: only reads"
        );
    }
}

#[tokio::test]
async fn rename_group_refuses_a_record_without_peers() {
    let (server, client) = setup().await;
    let mut devs = fixture_group(DEVS);
    devs.as_object_mut().expect("object").remove("peers");
    authorized("GET", &format!("/api/groups/{DEVS}"))
        .respond_with(ResponseTemplate::new(200).set_body_json(devs))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .rename_group(&tid(DEVS), "developers")
        .await
        .expect_err("no peers");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.operation(), Some(RENAME_GROUP));
    assert_eq!(requests(&server).await.len(), 1, "no PUT");
}
