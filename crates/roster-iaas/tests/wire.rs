//! Wire tests: every operation against wiremock, pinning the exact method,
//! path, query, headers and body, and asserting the decoded result.

use roster_core::{
    CreateOutcome, Email, ErrorKind, MembershipDirectory, MembershipDirectoryExt,
    MembershipRequest, NewTenant, NewUser, Operation, PageRequest, ProviderData, Role, RoleSpec,
    TenantDirectory, TenantId, TenantRole, UserDirectory, UserId, UserStatus, UserUpdate,
    WireGuardKey,
};
use roster_http::{HttpSettings, SecretString};
use roster_iaas::{IaasClient, IaasConfig, SshKeyId};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.operator-token.signature";
const JOHN: &str = "0b8a1c52-7f3e-4c8e-9a51-2d6f0e4b7a10";
const ALICE: &str = "7e2d9f14-3b6a-4d85-b0c7-8a9e1f2d3c46";
const ALICE_SSH_KEY: &str = "5d0c2a8e-91b4-4f37-8e2a-6c1b9d3f4e25";
const DEV_TEAM: &str = "d3c1b2a0-5e4f-4a6b-8c7d-9e0f1a2b3c4d";
const KEY_1: &str = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
const KEY_2: &str = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";

fn fixture(name: &str) -> Value {
    let text = match name {
        "users" => include_str!("fixtures/users.json"),
        "tenants" => include_str!("fixtures/tenants.json"),
        "me" => include_str!("fixtures/me.json"),
        "validation_error" => include_str!("fixtures/validation_error.json"),
        "tenant_created_2025_11" => include_str!("fixtures/tenant_created_2025_11.json"),
        "ssh_keys" => include_str!("fixtures/ssh_keys.json"),
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).expect("fixture is JSON")
}

/// Bodies generated from the spec's response schemas.
#[path = "spec/decoding.rs"]
mod spec_decoding;

async fn setup() -> (MockServer, IaasClient) {
    let server = MockServer::start().await;
    let client = client_for(&server, HttpSettings::default());
    (server, client)
}

fn client_for(server: &MockServer, http: HttpSettings) -> IaasClient {
    let config = IaasConfig::new(
        format!("{}/api", server.uri()),
        SecretString::from(TOKEN.to_owned()),
    )
    .with_http(http);
    IaasClient::new(config).expect("client")
}

/// Matches what every request must carry: the bearer token, our user
/// agent, no query string, and none of progenitor's `api-version` header.
fn authorized(m: &str, p: &str) -> wiremock::MockBuilder {
    Mock::given(method(m))
        .and(path(p))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(|req: &Request| req.url.query().is_none())
        .and(|req: &Request| !req.headers.contains_key("api-version"))
        .and(|req: &Request| {
            req.headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ua| ua.starts_with("roster/"))
        })
}

fn with_json_body(builder: wiremock::MockBuilder, body: Value) -> wiremock::MockBuilder {
    builder
        .and(header("content-type", "application/json"))
        .and(body_json(body))
}

fn uid(id: &str) -> UserId {
    UserId::new(id).expect("user id")
}

fn tid(id: &str) -> TenantId {
    TenantId::new(id).expect("tenant id")
}

fn key(k: &str) -> MembershipRequest {
    MembershipRequest::new().with_wireguard_key(WireGuardKey::parse(k).expect("key"))
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording")
}

/// A record's provider data, as JSON.
fn data(record: &Option<ProviderData>) -> Value {
    record.as_ref().expect("provider data").to_value()
}

/// `METHOD path` of every request the server received, in order.
async fn calls(server: &MockServer) -> Vec<String> {
    requests(server)
        .await
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

// ---------- users ----------

#[tokio::test]
async fn list_users_decodes_every_field() {
    let (server, client) = setup().await;
    authorized("GET", "/api/users")
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users")))
        .expect(1)
        .mount(&server)
        .await;

    let page = client
        .list_users_page(PageRequest::first())
        .await
        .expect("list");
    assert_eq!(page.next, None, "the API does not paginate");
    assert_eq!(page.items.len(), 2);
    let john = &page.items[0];
    assert_eq!(john.id.as_str(), JOHN);
    assert_eq!(
        john.email.as_ref().map(Email::as_str),
        Some("john.doe@example.com")
    );
    assert_eq!(john.role, Some(Role::Member));
    assert_eq!(john.raw_role.as_deref(), Some("member"));
    assert_eq!(john.status, UserStatus::Active);
    assert_eq!(john.display_name, None);
    let alice = &page.items[1];
    assert_eq!(
        alice.email.as_ref().map(Email::as_str),
        Some("Alice.Smith+ops@company.com")
    );
    assert_eq!(alice.role, Some(Role::Admin));
    assert_eq!(alice.raw_role.as_deref(), Some("operator"));
    for (user, sent) in page
        .items
        .iter()
        .zip(fixture("users").as_array().expect("list"))
    {
        assert_eq!(&data(&user.provider_data), sent, "the object as received");
    }
    assert_eq!(
        data(&alice.provider_data)["ssh_key_id"],
        json!(ALICE_SSH_KEY),
        "unmapped fields are kept"
    );
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
    authorized("GET", "/api/users")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users")))
        .expect(2)
        .mount(&server)
        .await;
    let alice = client.get_user(&uid(ALICE)).await.expect("get");
    assert_eq!(
        alice.email.as_ref().map(Email::as_str),
        Some("Alice.Smith+ops@company.com")
    );
    assert_eq!(data(&alice.provider_data), fixture("users")[1]);
    let missing = "11111111-2222-4333-8444-555555555555";
    let err = client.get_user(&uid(missing)).await.expect_err("missing");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains(missing), "{err}");
}

#[tokio::test]
async fn create_user_sends_the_guides_body() {
    let (server, client) = setup().await;
    let created = json!({"email": "alice.smith+new@company.com", "role": "member", "ssh_key_id": null, "id": ALICE});
    with_json_body(
        authorized("POST", "/api/users"),
        json!({"email": "alice.smith+new@company.com", "role": "member", "ssh_key_id": null}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(created.clone()))
    .expect(1)
    .mount(&server)
    .await;

    let user = client
        .create_user(&NewUser::new(
            Email::parse("alice.smith+new@company.com").expect("email"),
        ))
        .await
        .expect("create");
    assert_eq!(user.outcome, roster_core::CreateOutcome::Created);
    assert_eq!(user.id.as_str(), ALICE);
    assert_eq!(user.role, Some(Role::Member));
    assert_eq!(data(&user.provider_data), created);
}

#[tokio::test]
async fn create_operator_by_neutral_or_provider_role() {
    let (server, client) = setup().await;
    with_json_body(
        authorized("POST", "/api/users"),
        json!({"email": "ops@company.com", "role": "operator", "ssh_key_id": null}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(
        json!({"email": "ops@company.com", "role": "operator", "ssh_key_id": null, "id": JOHN}),
    ))
    .expect(2)
    .mount(&server)
    .await;
    let email = Email::parse("ops@company.com").expect("email");
    for role in [
        RoleSpec::Neutral(Role::Admin),
        RoleSpec::Provider("Operator".into()),
    ] {
        let user = client
            .create_user(&NewUser::new(email.clone()).with_role(role))
            .await
            .expect("create");
        assert_eq!(user.role, Some(Role::Admin));
    }
}

#[tokio::test]
async fn update_user_writes_back_every_field_and_keeps_the_ssh_key() {
    let (server, client) = setup().await;
    authorized("GET", "/api/users")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users")))
        .expect(1)
        .mount(&server)
        .await;
    with_json_body(
        authorized("PUT", &format!("/api/users/{ALICE}")),
        json!({"email": "Alice.Smith+ops@company.com", "role": "member", "ssh_key_id": ALICE_SSH_KEY}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(json!({
        "email": "Alice.Smith+ops@company.com", "role": "member", "ssh_key_id": ALICE_SSH_KEY, "id": ALICE
    })))
    .expect(1)
    .mount(&server)
    .await;

    let user = client
        .update_user(&uid(ALICE), &UserUpdate::new().role(Role::Member))
        .await
        .expect("update");
    assert_eq!(user.role, Some(Role::Member));
    assert_eq!(user.raw_role.as_deref(), Some("member"));
    assert_eq!(
        data(&user.provider_data),
        json!({"email": "Alice.Smith+ops@company.com", "role": "member", "ssh_key_id": ALICE_SSH_KEY, "id": ALICE})
    );
}

#[tokio::test]
async fn update_user_changes_email_and_sends_null_ssh_key_when_none() {
    let (server, client) = setup().await;
    authorized("GET", "/api/users")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users")))
        .mount(&server)
        .await;
    with_json_body(
        authorized("PUT", &format!("/api/users/{JOHN}")),
        json!({"email": "john.smith@example.com", "role": "member", "ssh_key_id": null}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(json!({
        "email": "john.smith@example.com", "role": "member", "ssh_key_id": null, "id": JOHN
    })))
    .expect(1)
    .mount(&server)
    .await;
    let user = client
        .update_user(
            &uid(JOHN),
            &UserUpdate::new().email(Email::parse("john.smith@example.com").expect("email")),
        )
        .await
        .expect("update");
    assert_eq!(
        user.email.as_ref().map(Email::as_str),
        Some("john.smith@example.com")
    );
}

#[tokio::test]
async fn delete_user_is_one_delete() {
    let (server, client) = setup().await;
    authorized("DELETE", &format!("/api/users/{JOHN}"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    client.delete_user(&uid(JOHN)).await.expect("delete");
}

#[tokio::test]
async fn current_user_reads_users_me() {
    let (server, client) = setup().await;
    authorized("GET", "/api/users/me")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("me")))
        .expect(1)
        .mount(&server)
        .await;
    let me = client.current_user().await.expect("me");
    assert_eq!(
        me.email.as_ref().map(Email::as_str),
        Some("operator@company.com")
    );
    assert_eq!(me.display_name.as_deref(), Some("Ops Person"));
    assert_eq!(me.role, Some(Role::Admin));
    assert_eq!(me.raw_role.as_deref(), Some("operator"));
    assert_eq!(me.id, None);
    assert_eq!(data(&me.provider_data), fixture("me"));
}

// ---------- tenants ----------

#[tokio::test]
async fn list_and_get_tenants() {
    let (server, client) = setup().await;
    authorized("GET", "/api/tenants")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("tenants")))
        .expect(2)
        .mount(&server)
        .await;
    let page = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("list");
    let names: Vec<&str> = page.items.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["development-team", "project-alpha"]);
    assert_eq!(page.items[0].id.as_str(), DEV_TEAM);
    assert_eq!(data(&page.items[0].provider_data), fixture("tenants")[0]);
    let alpha = client.get_tenant(&tid("project-alpha")).await.expect("get");
    assert_eq!(alpha.name, "project-alpha");
    assert_eq!(data(&alpha.provider_data), fixture("tenants")[1]);
}

#[tokio::test]
async fn create_tenant_without_members_sends_an_empty_team_and_no_read() {
    let (server, client) = setup().await;
    with_json_body(
        authorized("POST", "/api/tenants"),
        json!({"name": "development-team", "users": []}),
    )
    .respond_with(
        ResponseTemplate::new(200)
            .set_body_json(json!({"id": DEV_TEAM, "name": "development-team", "users": []})),
    )
    .expect(1)
    .mount(&server)
    .await;
    let tenant = client
        .create_tenant(&NewTenant::new("development-team").expect("name"))
        .await
        .expect("create");
    assert_eq!(tenant.id.as_str(), DEV_TEAM);
    assert_eq!(
        requests(&server).await.len(),
        1,
        "no GET when there is no team"
    );
}

#[tokio::test]
async fn create_tenant_with_its_team_sends_ids_and_keys() {
    let (server, client) = setup().await;
    let answer = json!({
        "id": "t-alpha", "name": "project-alpha",
        "users": [{"id": JOHN, "email": "john.doe@example.com"}, {"id": ALICE, "email": "a@company.com"}]
    });
    authorized("GET", "/api/tenants")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    with_json_body(
        authorized("POST", "/api/tenants"),
        json!({"name": "project-alpha", "users": [
            {"user_id": JOHN, "pubkey": KEY_1},
            {"user_id": ALICE, "pubkey": KEY_2}
        ]}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(answer.clone()))
    .expect(1)
    .mount(&server)
    .await;
    let tenant = NewTenant::new("project-alpha")
        .expect("name")
        .with_member(uid(JOHN), key(KEY_1))
        .with_member(uid(ALICE), key(KEY_2));
    let created = client.create_tenant(&tenant).await.expect("create");
    assert_eq!(created.outcome, CreateOutcome::Created);
    assert_eq!(created.id.as_str(), "t-alpha");
    assert_eq!(created.name, "project-alpha");
    assert_eq!(data(&created.provider_data), answer);
    assert_eq!(
        calls(&server).await,
        ["GET /api/tenants", "POST /api/tenants"],
        "the server honoured users: no follow-up request"
    );
}

#[tokio::test]
async fn create_tenant_refuses_to_steal_a_member_from_another_tenant() {
    let (server, client) = setup().await;
    authorized("GET", "/api/tenants")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("tenants")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let tenant = NewTenant::new("new-team")
        .expect("name")
        .with_member(uid(JOHN), key(KEY_1));
    let err = client
        .create_tenant(&tenant)
        .await
        .expect_err("john is taken");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().contains("development-team"), "{err}");
}

#[tokio::test]
async fn delete_tenant_is_one_delete() {
    let (server, client) = setup().await;
    authorized("DELETE", &format!("/api/tenants/{DEV_TEAM}"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    client.delete_tenant(&tid(DEV_TEAM)).await.expect("delete");
}

// ---------- memberships ----------

#[tokio::test]
async fn add_member_checks_the_tenant_then_puts_the_pubkey() {
    let (server, client) = setup().await;
    authorized("GET", "/api/tenants")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("tenants")))
        .expect(1)
        .mount(&server)
        .await;
    with_json_body(
        authorized("PUT", &format!("/api/tenants/project-alpha/users/{ALICE}")),
        json!({"pubkey": KEY_1}),
    )
    .respond_with(ResponseTemplate::new(204))
    .expect(1)
    .mount(&server)
    .await;
    let membership = client
        .add_member(&tid("project-alpha"), &uid(ALICE), &key(KEY_1))
        .await
        .expect("add");
    assert_eq!(membership.tenant.as_str(), "project-alpha");
    assert_eq!(membership.user.as_str(), ALICE);
    assert_eq!(membership.role, None);
    assert_eq!(
        membership.provider_data, None,
        "the PUT answers 204, no body"
    );
}

#[tokio::test]
async fn add_member_in_another_tenant_is_a_conflict_and_writes_nothing() {
    let (server, client) = setup().await;
    authorized("GET", "/api/tenants")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("tenants")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    let err = client
        .add_member(&tid("project-alpha"), &uid(JOHN), &key(KEY_1))
        .await
        .expect_err("one tenant per user");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().contains(DEV_TEAM), "{err}");
    assert!(err.message().contains("move_user"), "{err}");
}

#[tokio::test]
async fn add_member_to_an_unknown_tenant_is_not_found_and_writes_nothing() {
    let (server, client) = setup().await;
    authorized("GET", "/api/tenants")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("tenants")))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    let err = client
        .add_member(&tid("nope"), &uid(ALICE), &key(KEY_1))
        .await
        .expect_err("unknown tenant");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn remove_member_is_one_delete() {
    let (server, client) = setup().await;
    authorized("DELETE", &format!("/api/tenants/{DEV_TEAM}/users/{JOHN}"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    client
        .remove_member(&tid(DEV_TEAM), &uid(JOHN))
        .await
        .expect("remove");
}

#[tokio::test]
async fn list_members_and_user_memberships_read_the_tenant_list() {
    let (server, client) = setup().await;
    authorized("GET", "/api/tenants")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("tenants")))
        .expect(3)
        .mount(&server)
        .await;
    let members = client.list_members(&tid(DEV_TEAM)).await.expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user.as_str(), JOHN);
    assert_eq!(
        members[0].user_email.as_ref().map(Email::as_str),
        Some("john.doe@example.com")
    );
    assert_eq!(
        data(&members[0].provider_data),
        fixture("tenants")[0]["users"][0],
        "the tenant's users[] entry"
    );
    let johns = client
        .list_user_memberships(&uid(JOHN))
        .await
        .expect("john");
    assert_eq!(
        johns.iter().map(|m| m.tenant.as_str()).collect::<Vec<_>>(),
        [DEV_TEAM]
    );
    assert!(
        client
            .list_user_memberships(&uid(ALICE))
            .await
            .expect("alice")
            .is_empty()
    );
}

#[tokio::test]
async fn move_user_removes_then_adds_with_the_same_key() {
    let (server, client) = setup().await;
    authorized("DELETE", &format!("/api/tenants/{DEV_TEAM}/users/{JOHN}"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    // After the removal, John is in no tenant.
    authorized("GET", "/api/tenants")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": DEV_TEAM, "name": "development-team", "users": []},
            {"id": "project-alpha", "name": "project-alpha", "users": []}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    with_json_body(
        authorized("PUT", &format!("/api/tenants/project-alpha/users/{JOHN}")),
        json!({"pubkey": KEY_1}),
    )
    .respond_with(ResponseTemplate::new(204))
    .expect(1)
    .mount(&server)
    .await;
    let moved = client
        .move_user(
            &uid(JOHN),
            &tid(DEV_TEAM),
            &tid("project-alpha"),
            &key(KEY_1),
        )
        .await
        .expect("move");
    assert_eq!(moved.tenant.as_str(), "project-alpha");
    let methods: Vec<String> = requests(&server)
        .await
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(methods, ["DELETE", "GET", "PUT"]);
}

#[tokio::test]
async fn move_user_without_a_key_sends_nothing() {
    let (server, client) = setup().await;
    let err = client
        .move_user(
            &uid(JOHN),
            &tid(DEV_TEAM),
            &tid("project-alpha"),
            &MembershipRequest::new(),
        )
        .await
        .expect_err("no key");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(requests(&server).await.is_empty(), "nothing removed");
}

#[tokio::test]
async fn user_ids_in_any_uuid_spelling_name_the_same_user() {
    let (server, client) = setup().await;
    authorized("GET", "/api/tenants")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("tenants")))
        .mount(&server)
        .await;
    authorized("GET", "/api/users")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users")))
        .mount(&server)
        .await;
    let spellings = [
        JOHN.to_owned(),
        JOHN.to_uppercase(),
        JOHN.replace('-', ""),
        format!("{{{JOHN}}}"),
    ];
    for spelling in spellings {
        let memberships = client
            .list_user_memberships(&uid(&spelling))
            .await
            .expect("memberships");
        assert_eq!(memberships.len(), 1, "{spelling}");
        assert_eq!(memberships[0].user.as_str(), JOHN, "canonical id back");
        assert_eq!(
            client
                .get_user(&uid(&spelling))
                .await
                .expect("get")
                .id
                .as_str(),
            JOHN
        );
    }
}

// ---------- encoding ----------

#[tokio::test]
async fn tenant_ids_are_percent_encoded_into_one_segment() {
    let cases = [
        ("a/b", "/api/tenants/a%2Fb"),
        ("x?y", "/api/tenants/x%3Fy"),
        ("p#q", "/api/tenants/p%23q"),
        ("a..b", "/api/tenants/a..b"),
        ("../etc", "/api/tenants/..%2Fetc"),
        ("with space", "/api/tenants/with%20space"),
        ("100%", "/api/tenants/100%25"),
        ("%2F", "/api/tenants/%252F"),
        ("google-oauth2|1", "/api/tenants/google-oauth2%7C1"),
        ("zürich", "/api/tenants/z%C3%BCrich"),
        ("back\\slash", "/api/tenants/back%5Cslash"),
    ];
    for (id, expected) in cases {
        let (server, client) = setup().await;
        authorized("DELETE", expected)
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
        client
            .delete_tenant(&tid(id))
            .await
            .unwrap_or_else(|e| panic!("{id:?}: {e}"));
        let seen = requests(&server).await;
        assert_eq!(seen.len(), 1, "{id:?}");
        assert_eq!(seen[0].url.path(), expected, "{id:?}");
    }
}

#[tokio::test]
async fn membership_paths_encode_the_tenant_id() {
    let (server, client) = setup().await;
    authorized(
        "DELETE",
        &format!("/api/tenants/team%2F1%3Fx%23y/users/{ALICE}"),
    )
    .respond_with(ResponseTemplate::new(204))
    .expect(1)
    .mount(&server)
    .await;
    client
        .remove_member(&tid("team/1?x#y"), &uid(ALICE))
        .await
        .expect("remove");
}

// ---------- bad input sends nothing ----------

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let (server, client) = setup().await;
    let invalid = ErrorKind::InvalidInput;
    let good_tenant = tid("project-alpha");
    for bad in ["..", ".", "a/b", "x?y", "p#q", "not-a-uuid", "with space"] {
        let user = uid(bad);
        assert_eq!(
            client.get_user(&user).await.expect_err(bad).kind(),
            invalid,
            "{bad}"
        );
        assert_eq!(
            client.delete_user(&user).await.expect_err(bad).kind(),
            invalid,
            "{bad}"
        );
        assert_eq!(
            client
                .update_user(&user, &UserUpdate::new().role(Role::Member))
                .await
                .expect_err(bad)
                .kind(),
            invalid,
            "{bad}"
        );
        assert_eq!(
            client
                .add_member(&good_tenant, &user, &key(KEY_1))
                .await
                .expect_err(bad)
                .kind(),
            invalid
        );
        assert_eq!(
            client
                .remove_member(&good_tenant, &user)
                .await
                .expect_err(bad)
                .kind(),
            invalid
        );
        assert_eq!(
            client
                .list_user_memberships(&user)
                .await
                .expect_err(bad)
                .kind(),
            invalid
        );
    }
    for dots in [".", ".."] {
        let tenant = tid(dots);
        assert_eq!(
            client.delete_tenant(&tenant).await.expect_err(dots).kind(),
            invalid
        );
        assert_eq!(
            client.get_tenant(&tenant).await.expect_err(dots).kind(),
            invalid
        );
        assert_eq!(
            client.list_members(&tenant).await.expect_err(dots).kind(),
            invalid
        );
        assert_eq!(
            client
                .add_member(&tenant, &uid(ALICE), &key(KEY_1))
                .await
                .expect_err(dots)
                .kind(),
            invalid
        );
    }
    // A membership without a key, a role the API lacks, a team member without a key.
    let no_key = client
        .add_member(&good_tenant, &uid(ALICE), &MembershipRequest::new())
        .await
        .expect_err("no key");
    assert_eq!(no_key.kind(), invalid);
    assert!(no_key.message().contains("WireGuard"), "{no_key}");
    let owner = NewUser::new(Email::parse("o@x.io").expect("email")).with_role(Role::Owner);
    assert_eq!(
        client.create_user(&owner).await.expect_err("owner").kind(),
        invalid
    );
    let team = NewTenant::new("t")
        .expect("name")
        .with_member(uid(ALICE), MembershipRequest::new());
    assert_eq!(
        client
            .create_tenant(&team)
            .await
            .expect_err("keyless")
            .kind(),
        invalid
    );
    let twice = NewTenant::new("t")
        .expect("name")
        .with_member(uid(ALICE), key(KEY_1))
        .with_member(uid(ALICE), key(KEY_2));
    assert_eq!(
        client
            .create_tenant(&twice)
            .await
            .expect_err("twice")
            .kind(),
        invalid
    );
    // Unsupported arguments are refused too, never dropped.
    let named = NewUser::new(Email::parse("n@x.io").expect("email")).with_display_name("N");
    assert_eq!(
        client.create_user(&named).await.expect_err("name").kind(),
        ErrorKind::Unsupported
    );
    let suspend = UserUpdate::new().status(UserStatus::Suspended);
    assert_eq!(
        client
            .update_user(&uid(ALICE), &suspend)
            .await
            .expect_err("status")
            .kind(),
        ErrorKind::Unsupported
    );
    let with_role = key(KEY_1).with_role(TenantRole::Admin);
    assert_eq!(
        client
            .add_member(&good_tenant, &uid(ALICE), &with_role)
            .await
            .expect_err("role")
            .kind(),
        ErrorKind::Unsupported
    );
    assert!(
        requests(&server).await.is_empty(),
        "nothing reached the server"
    );
}

// ---------- status mapping ----------

async fn status_error(
    status: u16, body: ResponseTemplate, call: impl AsyncFnOnce(&IaasClient) -> roster_core::Error,
) -> roster_core::Error {
    let _ = status;
    let (server, client) = setup().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(body)
        .mount(&server)
        .await;
    call(&client).await
}

#[tokio::test]
async fn conflict_on_a_non_create_is_conflict() {
    let err = status_error(
        409,
        ResponseTemplate::new(409).set_body_json(json!({"detail": "in use"})),
        async |c| c.delete_tenant(&tid("t")).await.expect_err("conflict"),
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn a_422_carries_fastapis_detail() {
    let err = status_error(
        422,
        ResponseTemplate::new(422).set_body_json(fixture("validation_error")),
        async |c| {
            c.create_user(&NewUser::new(Email::parse("a@b.io").expect("email")))
                .await
                .expect_err("422")
        },
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        err.message(),
        "body.email: value is not a valid email address: An email address must have an @-sign."
    );
    assert!(err.body_snippet().expect("snippet").contains("value_error"));
}

#[tokio::test]
async fn an_unexpected_success_status_is_unexpected() {
    let err = status_error(
        200,
        ResponseTemplate::new(200).set_body_json(json!({"ok": true})),
        async |c| {
            c.delete_user(&uid(JOHN))
                .await
                .expect_err("200 instead of 204")
        },
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::Unexpected);
    assert_eq!(err.status(), Some(200));
}

// ---------- bodies the server should not send ----------

#[tokio::test]
async fn an_unknown_role_from_the_server_is_other_with_the_raw_role() {
    let (server, client) = setup().await;
    let body = json!([
        {"email": "a@b.io", "role": "superuser", "id": JOHN},
        {"email": "c@d.io", "role": "member", "id": ALICE}
    ]);
    authorized("GET", "/api/users")
        .respond_with(ResponseTemplate::new(200).set_body_json(body.clone()))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .list_users_page(PageRequest::first())
        .await
        .expect("one unknown role never fails the list");
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].role, Some(Role::Other));
    assert_eq!(page.items[0].raw_role.as_deref(), Some("superuser"));
    assert_eq!(data(&page.items[0].provider_data), body[0]);
    assert_eq!(page.items[1].role, Some(Role::Member));
}

// ---------- configuration ----------

#[tokio::test]
async fn an_injected_reqwest_client_is_used() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/users"))
        .and(header("user-agent", "custom-agent/9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    roster_http::install_crypto_provider();
    let custom = reqwest::Client::builder()
        .user_agent("custom-agent/9")
        .build()
        .expect("client");
    let client = client_for(&server, HttpSettings::new().client(custom));
    let page = client
        .list_users_page(PageRequest::first())
        .await
        .expect("list");
    assert!(page.items.is_empty());
}

// ---------- decoding what the spec allows ----------

#[tokio::test]
async fn only_required_fields_and_unknown_extras_decode_and_are_kept() {
    let (server, client) = setup().await;
    // What the published spec requires, and nothing else: no ssh_key_id, no
    // users, no name; plus fields it does not name, as a newer server's.
    let users =
        json!([{"email": "a@b.io", "role": "member", "id": JOHN, "created_at": "2025-11-03"}]);
    let tenants = json!([{"id": DEV_TEAM, "name": "bare", "project_id": "p-1"}]);
    let me = json!({"email": "operator@company.com", "role": "operator"});
    for (p, body) in [
        ("/api/users", &users),
        ("/api/tenants", &tenants),
        ("/api/users/me", &me),
    ] {
        authorized("GET", p)
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    let user = client.get_user(&uid(JOHN)).await.expect("user");
    assert_eq!(user.role, Some(Role::Member));
    assert_eq!(data(&user.provider_data), users[0]);
    let tenant = client.get_tenant(&tid(DEV_TEAM)).await.expect("tenant");
    assert_eq!(data(&tenant.provider_data)["project_id"], "p-1");
    assert!(
        client
            .list_members(&tid(DEV_TEAM))
            .await
            .expect("members")
            .is_empty()
    );
    let principal = client.current_user().await.expect("me");
    assert_eq!(principal.display_name, None);
    assert_eq!(data(&principal.provider_data), me);
}

#[tokio::test]
async fn an_unknown_role_on_users_me_is_other() {
    let (server, client) = setup().await;
    let me = json!({"email": "root@company.com", "name": null, "role": "superadmin"});
    authorized("GET", "/api/users/me")
        .respond_with(ResponseTemplate::new(200).set_body_json(me.clone()))
        .mount(&server)
        .await;
    let principal = client.current_user().await.expect("me");
    assert_eq!(principal.role, Some(Role::Other));
    assert_eq!(principal.raw_role.as_deref(), Some("superadmin"));
    assert_eq!(data(&principal.provider_data), me);
}

#[tokio::test]
async fn only_an_item_without_a_usable_id_fails_a_list_and_is_named() {
    let cases: [(&str, Value, &str); 3] = [
        (
            "/api/users",
            json!([{"email": "a@b.io", "role": "member", "id": JOHN}, {"email": "c@d.io", "role": "member", "id": ""}]),
            "item 1 of the list: the server sent a user with an empty id",
        ),
        (
            "/api/tenants",
            json!([{"id": DEV_TEAM, "name": "a"}, {"id": "t2", "name": "b"}, {"id": "", "name": "c"}]),
            "item 2 of the list: the server sent a tenant with an empty id",
        ),
        (
            "/api/sshkeys",
            json!([{"id": "", "public_key": "ssh-ed25519 AAAA"}]),
            "item 0 of the list: the server sent an SSH key with an empty id",
        ),
    ];
    for (p, body, message) in cases {
        let (server, client) = setup().await;
        authorized("GET", p)
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
        let err = match p {
            "/api/users" => client.list_users_page(PageRequest::first()).await.err(),
            "/api/tenants" => client.list_tenants_page(PageRequest::first()).await.err(),
            _ => client.list_ssh_keys().await.err(),
        }
        .unwrap_or_else(|| panic!("{p}: no error"));
        assert_eq!(err.kind(), ErrorKind::Decode, "{p}");
        assert_eq!(err.message(), message, "{p}");
        assert_eq!(err.provider(), Some("iaas"));
    }
    // A member entry with an empty id names its tenant and position.
    let (server, client) = setup().await;
    authorized("GET", "/api/tenants")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": DEV_TEAM, "name": "a", "users": [{"id": JOHN, "email": "j@x.io"}, {"id": "", "email": "k@x.io"}]}
        ])))
        .mount(&server)
        .await;
    let err = client
        .list_members(&tid(DEV_TEAM))
        .await
        .expect_err("member with an empty id");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(
        err.message(),
        format!(
            "tenant {DEV_TEAM}: item 1 of the list: the server sent a tenant member with an empty id"
        )
    );
    assert_eq!(err.operation(), Some(Operation::ListMembers));
}

#[tokio::test]
async fn ids_that_are_not_uuids_are_listed_as_they_are() {
    let (server, client) = setup().await;
    // The API's ids are UUIDs (any spelling comes back canonical); another
    // id never fails the list, though calls that take a UUID refuse it.
    authorized("GET", "/api/users")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"email": "a@b.io", "role": "member", "id": JOHN.to_uppercase()},
            {"email": "c@d.io", "role": "member", "id": "user-7"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .list_users_page(PageRequest::first())
        .await
        .expect("list");
    let ids: Vec<&str> = page.items.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, [JOHN, "user-7"]);
    let err = client
        .delete_user(&page.items[1].id)
        .await
        .expect_err("not a UUID");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

// ---------- provider fields, roles ----------

#[tokio::test]
async fn create_user_assigns_an_ssh_key_through_the_ssh_key_id_field() {
    let (server, client) = setup().await;
    with_json_body(
        authorized("POST", "/api/users"),
        json!({"email": "k@company.com", "role": "member", "ssh_key_id": ALICE_SSH_KEY}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(
        json!({"email": "k@company.com", "role": "member", "ssh_key_id": ALICE_SSH_KEY, "id": JOHN}),
    ))
    .expect(1)
    .mount(&server)
    .await;
    assert_eq!(roster_core::Provider::user_fields(&client), ["ssh_key_id"]);
    let request = NewUser::new(Email::parse("k@company.com").expect("email"))
        .with_field("ssh_key_id", ALICE_SSH_KEY)
        .expect("field");
    let user = client.create_user(&request).await.expect("create");
    assert_eq!(data(&user.provider_data)["ssh_key_id"], ALICE_SSH_KEY);
}

#[tokio::test]
async fn update_user_sets_or_clears_the_ssh_key_field_and_keeps_the_rest() {
    let (server, client) = setup().await;
    authorized("GET", "/api/users")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users")))
        .expect(2)
        .mount(&server)
        .await;
    // Alice's key is cleared; her email and role go back as received.
    with_json_body(
        authorized("PUT", &format!("/api/users/{ALICE}")),
        json!({"email": "Alice.Smith+ops@company.com", "role": "operator", "ssh_key_id": null}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(json!({
        "email": "Alice.Smith+ops@company.com", "role": "operator", "ssh_key_id": null, "id": ALICE
    })))
    .expect(1)
    .mount(&server)
    .await;
    // John gets a key together with a new role.
    with_json_body(
        authorized("PUT", &format!("/api/users/{JOHN}")),
        json!({"email": "john.doe@example.com", "role": "operator", "ssh_key_id": ALICE_SSH_KEY}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(json!({
        "email": "john.doe@example.com", "role": "operator", "ssh_key_id": ALICE_SSH_KEY, "id": JOHN
    })))
    .expect(1)
    .mount(&server)
    .await;
    let cleared = client
        .update_user(
            &uid(ALICE),
            &UserUpdate::new()
                .field("ssh_key_id", Value::Null)
                .expect("field"),
        )
        .await
        .expect("clear");
    assert_eq!(cleared.role, Some(Role::Admin));
    let keyed = client
        .update_user(
            &uid(JOHN),
            &UserUpdate::new()
                .role(Role::Admin)
                .field("ssh_key_id", ALICE_SSH_KEY.to_uppercase())
                .expect("field"),
        )
        .await
        .expect("key and role");
    assert_eq!(keyed.role, Some(Role::Admin));
}

#[tokio::test]
async fn a_user_with_an_unknown_role_is_only_updated_with_a_new_role() {
    let (server, client) = setup().await;
    let auditor =
        json!([{"email": "aud@company.com", "role": "auditor", "ssh_key_id": null, "id": JOHN}]);
    authorized("GET", "/api/users")
        .respond_with(ResponseTemplate::new(200).set_body_json(auditor))
        .mount(&server)
        .await;
    with_json_body(
        authorized("PUT", &format!("/api/users/{JOHN}")),
        json!({"email": "aud@company.com", "role": "member", "ssh_key_id": null}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(
        json!({"email": "aud@company.com", "role": "member", "ssh_key_id": null, "id": JOHN}),
    ))
    .expect(1)
    .mount(&server)
    .await;
    let rename = UserUpdate::new().email(Email::parse("new@company.com").expect("email"));
    let err = client
        .update_user(&uid(JOHN), &rename)
        .await
        .expect_err("the role cannot be sent back");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.message().contains("\"auditor\""), "{err}");
    let err = client
        .assign_ssh_key(&uid(JOHN), &SshKeyId::new(ALICE_SSH_KEY).expect("id"))
        .await
        .expect_err("the role cannot be sent back");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(err.operation(), Some(Operation::AssignSshKey));
    let demoted = client
        .update_user(&uid(JOHN), &UserUpdate::new().role(Role::Member))
        .await
        .expect("a new role is sent");
    assert_eq!(demoted.role, Some(Role::Member));
    let methods: Vec<String> = calls(&server).await;
    assert_eq!(
        methods.iter().filter(|c| c.starts_with("PUT")).count(),
        1,
        "{methods:?}"
    );
}

#[tokio::test]
async fn fields_and_roles_the_api_lacks_are_refused_before_sending() {
    let (server, client) = setup().await;
    let email = || Email::parse("f@x.io").expect("email");
    let cases: Vec<(NewUser, ErrorKind)> = vec![
        (
            NewUser::new(email()).with_field("phone", "+1").expect("f"),
            ErrorKind::InvalidInput,
        ),
        (
            NewUser::new(email())
                .with_field("ssh_key_id", 7)
                .expect("f"),
            ErrorKind::InvalidInput,
        ),
        (
            NewUser::new(email())
                .with_field("ssh_key_id", "../etc")
                .expect("f"),
            ErrorKind::InvalidInput,
        ),
        (
            NewUser::new(email())
                .with_role(Role::Member)
                .with_additional_role(Role::Admin),
            ErrorKind::Unsupported,
        ),
    ];
    for (request, kind) in cases {
        let err = client.create_user(&request).await.expect_err("refused");
        assert_eq!(err.kind(), kind, "{request:?}: {err}");
        assert_eq!(err.operation(), Some(Operation::CreateUser));
    }
    let updates = [
        (
            UserUpdate::new().field("groups", json!([1])).expect("f"),
            ErrorKind::InvalidInput,
        ),
        (
            UserUpdate::new().field("ssh_key_id", "nope").expect("f"),
            ErrorKind::InvalidInput,
        ),
        (
            UserUpdate::new().replace_roles([RoleSpec::Neutral(Role::Admin)]),
            ErrorKind::Unsupported,
        ),
    ];
    for (update, kind) in updates {
        let err = client
            .update_user(&uid(JOHN), &update)
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), kind, "{update:?}: {err}");
    }
    assert!(requests(&server).await.is_empty(), "mock received nothing");
}

// ---------- create_tenant on a 2025-11 server ----------

/// The team for `project-alpha`: John with KEY_1, Alice with KEY_2.
fn alpha_team() -> NewTenant {
    NewTenant::new("project-alpha")
        .expect("name")
        .with_member(uid(JOHN), key(KEY_1))
        .with_member(uid(ALICE), key(KEY_2))
}

/// The team check before the create, and the create itself answering
/// `answer`, pinned to the current guide's body.
async fn mount_team_create(server: &MockServer, answer: Value) {
    authorized("GET", "/api/tenants")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(server)
        .await;
    with_json_body(
        authorized("POST", "/api/tenants"),
        json!({"name": "project-alpha", "users": [
            {"user_id": JOHN, "pubkey": KEY_1},
            {"user_id": ALICE, "pubkey": KEY_2}
        ]}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(answer))
    .expect(1)
    .mount(server)
    .await;
}

#[tokio::test]
async fn create_tenant_adds_the_members_a_2025_11_server_ignored() {
    let (server, client) = setup().await;
    // A 2025-11 server reads `user_ids`, drops our `users` unread, and
    // answers the new tenant with no members (fixture written by us).
    let answer = fixture("tenant_created_2025_11");
    let tenant_id = answer["id"].as_str().expect("id").to_owned();
    mount_team_create(&server, answer.clone()).await;
    for (user, pubkey) in [(JOHN, KEY_1), (ALICE, KEY_2)] {
        with_json_body(
            authorized("PUT", &format!("/api/tenants/{tenant_id}/users/{user}")),
            json!({"pubkey": pubkey}),
        )
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    }
    let created = client.create_tenant(&alpha_team()).await.expect("create");
    assert_eq!(created.outcome, CreateOutcome::Created);
    assert_eq!(created.id.as_str(), tenant_id);
    assert_eq!(created.name, "project-alpha");
    assert_eq!(
        data(&created.provider_data),
        answer,
        "the answer as received"
    );
    assert_eq!(
        calls(&server).await,
        [
            "GET /api/tenants".to_owned(),
            "POST /api/tenants".to_owned(),
            format!("PUT /api/tenants/{tenant_id}/users/{JOHN}"),
            format!("PUT /api/tenants/{tenant_id}/users/{ALICE}"),
        ]
    );
}

#[tokio::test]
async fn create_tenant_adds_only_the_members_missing_from_the_answer() {
    let (server, client) = setup().await;
    // `users` absent altogether for one shape, John honoured for the other.
    mount_team_create(
        &server,
        json!({"id": "t-alpha", "name": "project-alpha", "users": [{"id": JOHN.to_uppercase(), "email": "j@x.io"}]}),
    )
    .await;
    with_json_body(
        authorized("PUT", &format!("/api/tenants/t-alpha/users/{ALICE}")),
        json!({"pubkey": KEY_2}),
    )
    .respond_with(ResponseTemplate::new(204))
    .expect(1)
    .mount(&server)
    .await;
    client.create_tenant(&alpha_team()).await.expect("create");
    assert_eq!(calls(&server).await.len(), 3, "one follow-up");

    let (server, client) = setup().await;
    mount_team_create(&server, json!({"id": "t-alpha", "name": "project-alpha"})).await;
    authorized("PUT", &format!("/api/tenants/t-alpha/users/{JOHN}"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    authorized("PUT", &format!("/api/tenants/t-alpha/users/{ALICE}"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    client.create_tenant(&alpha_team()).await.expect("create");
}

#[tokio::test]
async fn a_failed_follow_up_says_the_tenant_exists_and_who_is_missing() {
    let (server, client) = setup().await;
    mount_team_create(&server, fixture("tenant_created_2025_11")).await;
    let tenant_id = "9a4f3e2d-1c0b-4a98-b765-43210fedcba9";
    authorized("PUT", &format!("/api/tenants/{tenant_id}/users/{JOHN}"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    authorized("PUT", &format!("/api/tenants/{tenant_id}/users/{ALICE}"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"detail": "User not found"})))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .create_tenant(&alpha_team())
        .await
        .expect_err("Alice was not added");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.operation(), Some(Operation::AddMember));
    assert!(
        err.is_partly_done(),
        "retrying would create a second tenant"
    );
    assert_eq!(
        err.message(),
        format!(
            "tenant {tenant_id} (project-alpha) was created, but the server ignored its users; \
             adding user {ALICE} afterwards failed (1 added before): User not found"
        )
    );
}

// ---------- SSH keys ----------

const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBwhmW4kS6JjoQ6VMuvGx2Bt2EAI7hvKyoa6VdgtTRVm alice@laptop";
const NEW_KEY_ID: &str = "3b2a1908-7f6e-4d5c-8b4a-392817160504";

fn ssh_id(id: &str) -> SshKeyId {
    SshKeyId::new(id).expect("ssh key id")
}

#[tokio::test]
async fn list_ssh_keys_decodes_every_key_and_keeps_its_object() {
    let (server, client) = setup().await;
    authorized("GET", "/api/sshkeys")
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("ssh_keys")))
        .expect(1)
        .mount(&server)
        .await;
    let keys = client.list_ssh_keys().await.expect("list");
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].id.as_str(), ALICE_SSH_KEY);
    assert_eq!(keys[0].public_key, SSH_KEY);
    assert_eq!(keys[1].id.as_str(), "c1e2d3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f");
    for (key, sent) in keys
        .iter()
        .zip(fixture("ssh_keys").as_array().expect("list"))
    {
        assert_eq!(&data(&key.provider_data), sent);
    }
}

#[tokio::test]
async fn create_ssh_key_sends_the_trimmed_key_and_decodes_the_answer() {
    let (server, client) = setup().await;
    let answer = json!({"id": NEW_KEY_ID, "public_key": SSH_KEY});
    with_json_body(
        authorized("POST", "/api/sshkeys"),
        json!({"public_key": SSH_KEY}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(answer.clone()))
    .expect(1)
    .mount(&server)
    .await;
    let created = client
        .create_ssh_key(&format!("{SSH_KEY}\n"))
        .await
        .expect("create");
    assert_eq!(created.outcome, CreateOutcome::Created);
    assert_eq!(created.id.as_str(), NEW_KEY_ID);
    assert_eq!(created.public_key, SSH_KEY);
    assert_eq!(data(&created.provider_data), answer);
}

#[tokio::test]
async fn a_malformed_ssh_key_is_refused_before_sending() {
    let (server, client) = setup().await;
    for bad in [
        "",
        " \n ",
        "ssh-ed25519",
        "ssh-ed25519 ***",
        "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIBwhmW4kS6JjoQ6VMuvGx2Bt2EAI7hvKyoa6VdgtTRVm",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBwhmW4kS6JjoQ6VMuvGx2Bt2EAI7hvKyoa6VdgtTRVm a\nssh-rsa AAAA b",
    ] {
        let err = client.create_ssh_key(bad).await.expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        assert_eq!(err.operation(), Some(Operation::CreateSshKey));
    }
    assert!(requests(&server).await.is_empty(), "mock received nothing");
}

#[tokio::test]
async fn a_key_the_server_refuses_is_invalid_input_with_its_detail() {
    let err = status_error(
        400,
        ResponseTemplate::new(400)
            .set_body_json(json!({"detail": "Invalid SSH public key format"})),
        async |c| c.create_ssh_key(SSH_KEY).await.expect_err("400"),
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.message(), "Invalid SSH public key format");
    assert_eq!(err.operation(), Some(Operation::CreateSshKey));
}

#[tokio::test]
async fn delete_ssh_key_is_one_delete() {
    let (server, client) = setup().await;
    authorized("DELETE", &format!("/api/sshkeys/{ALICE_SSH_KEY}"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    // Any UUID spelling names the key; the path carries the canonical one.
    client
        .delete_ssh_key(&ssh_id(&ALICE_SSH_KEY.to_uppercase()))
        .await
        .expect("delete");
}

#[tokio::test]
async fn deleting_an_assigned_key_is_a_conflict_with_the_servers_detail() {
    let (server, client) = setup().await;
    authorized("DELETE", &format!("/api/sshkeys/{ALICE_SSH_KEY}"))
        .respond_with(
            ResponseTemplate::new(409).set_body_json(
                json!({"detail": "SSH key is assigned to a user; unassign it first"}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .delete_ssh_key(&ssh_id(ALICE_SSH_KEY))
        .await
        .expect_err("assigned");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.status(), Some(409));
    assert_eq!(
        err.message(),
        "SSH key is assigned to a user; unassign it first"
    );
    assert_eq!(err.operation(), Some(Operation::DeleteSshKey));
    assert!(!err.is_temporary());
}

#[tokio::test]
async fn assign_ssh_key_writes_back_the_user_as_received_with_the_key() {
    let (server, client) = setup().await;
    authorized("GET", "/api/users")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users")))
        .expect(1)
        .mount(&server)
        .await;
    let answer = json!({"email": "john.doe@example.com", "role": "member", "ssh_key_id": NEW_KEY_ID, "id": JOHN});
    with_json_body(
        authorized("PUT", &format!("/api/users/{JOHN}")),
        json!({"email": "john.doe@example.com", "role": "member", "ssh_key_id": NEW_KEY_ID}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(answer.clone()))
    .expect(1)
    .mount(&server)
    .await;
    let user = client
        .assign_ssh_key(&uid(JOHN), &ssh_id(NEW_KEY_ID))
        .await
        .expect("assign");
    assert_eq!(user.id.as_str(), JOHN);
    assert_eq!(user.role, Some(Role::Member));
    assert_eq!(data(&user.provider_data), answer);
}

#[tokio::test]
async fn unassign_ssh_key_sends_null_and_keeps_email_and_role() {
    let (server, client) = setup().await;
    authorized("GET", "/api/users")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users")))
        .expect(1)
        .mount(&server)
        .await;
    with_json_body(
        authorized("PUT", &format!("/api/users/{ALICE}")),
        json!({"email": "Alice.Smith+ops@company.com", "role": "operator", "ssh_key_id": null}),
    )
    .respond_with(ResponseTemplate::new(200).set_body_json(json!({
        "email": "Alice.Smith+ops@company.com", "role": "operator", "ssh_key_id": null, "id": ALICE
    })))
    .expect(1)
    .mount(&server)
    .await;
    let user = client
        .unassign_ssh_key(&uid(ALICE))
        .await
        .expect("unassign");
    assert_eq!(data(&user.provider_data)["ssh_key_id"], Value::Null);
    assert_eq!(user.raw_role.as_deref(), Some("operator"));
}

#[tokio::test]
async fn assigning_what_is_already_so_writes_nothing() {
    let (server, client) = setup().await;
    authorized("GET", "/api/users")
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users")))
        .expect(2)
        .mount(&server)
        .await;
    let alice = client
        .assign_ssh_key(&uid(ALICE), &ssh_id(ALICE_SSH_KEY))
        .await
        .expect("already hers");
    assert_eq!(data(&alice.provider_data), fixture("users")[1]);
    let john = client.unassign_ssh_key(&uid(JOHN)).await.expect("has none");
    assert_eq!(john.id.as_str(), JOHN);
    assert_eq!(
        calls(&server).await,
        ["GET /api/users", "GET /api/users"],
        "no write"
    );
}

#[tokio::test]
async fn ssh_key_ids_that_cannot_name_a_key_are_refused_before_sending() {
    let (server, client) = setup().await;
    for bad in ["..", ".", "a/b", "x?y", "p#q", "not-a-uuid", "with space"] {
        let id = ssh_id(bad);
        let err = client.delete_ssh_key(&id).await.expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
        assert_eq!(err.operation(), Some(Operation::DeleteSshKey));
        let err = client.assign_ssh_key(&uid(JOHN), &id).await.expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
        assert_eq!(err.operation(), Some(Operation::AssignSshKey));
        let err = client
            .assign_ssh_key(&uid(bad), &ssh_id(NEW_KEY_ID))
            .await
            .expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
        let err = client.unassign_ssh_key(&uid(bad)).await.expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
    }
    assert!(SshKeyId::new("").is_err(), "an empty id cannot be built");
    assert!(requests(&server).await.is_empty(), "mock received nothing");
}

#[tokio::test]
async fn ssh_key_errors_carry_their_own_operation() {
    let key_id = ssh_id(ALICE_SSH_KEY);
    let cases: Vec<(Operation, roster_core::Error)> = vec![
        (
            Operation::ListSshKeys,
            status_error(500, ResponseTemplate::new(500), async |c| {
                c.list_ssh_keys().await.expect_err("500")
            })
            .await,
        ),
        (
            Operation::CreateSshKey,
            status_error(500, ResponseTemplate::new(500), async |c| {
                c.create_ssh_key(SSH_KEY).await.expect_err("500")
            })
            .await,
        ),
        (
            Operation::DeleteSshKey,
            status_error(500, ResponseTemplate::new(500), async |c| {
                c.delete_ssh_key(&key_id).await.expect_err("500")
            })
            .await,
        ),
        (
            Operation::AssignSshKey,
            status_error(500, ResponseTemplate::new(500), async |c| {
                c.assign_ssh_key(&uid(JOHN), &key_id)
                    .await
                    .expect_err("500")
            })
            .await,
        ),
    ];
    for (operation, err) in cases {
        assert_eq!(err.operation(), Some(operation), "{err}");
        assert_eq!(err.status(), Some(500));
        assert_eq!(err.provider(), Some("iaas"));
    }
}
