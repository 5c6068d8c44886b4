//! Wire tests: every operation against wiremock, pinning the exact method,
//! path (with its trailing slash), query, headers and body, and asserting
//! the decoded result.

use futures::{StreamExt, TryStreamExt};
use roster_adverity::{AdverityClient, AdverityConfig, WorkspaceOptions};
use roster_core::{
    CreateOutcome, Email, ErrorKind, MembershipDirectory, MembershipDirectoryExt,
    MembershipRequest, NewTenant, NewUser, Operation, PageRequest, Role, TenantDirectory,
    TenantDirectoryExt, TenantId, TenantRole, UserDirectory, UserDirectoryExt, UserId, UserStatus,
    UserUpdate,
};
use roster_http::{HttpSettings, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

/// Bodies generated from the spec's response schemas (issue: decode every
/// body the spec allows).
#[path = "spec/decoding.rs"]
mod spec_decoding;

const TOKEN: &str = "adv_3f9c2e71b8d44a0f9e6c5d2b1a7e8f90";

fn fixture(name: &str) -> Value {
    let text = match name {
        "user" => include_str!("fixtures/user.json"),
        "users_page" => include_str!("fixtures/users_page.json"),
        "stacks" => include_str!("fixtures/stacks.json"),
        "create_user_request" => include_str!("fixtures/create_user_request.json"),
        "field_errors" => include_str!("fixtures/field_errors.json"),
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).expect("fixture is JSON")
}

async fn setup() -> (MockServer, AdverityClient) {
    let server = MockServer::start().await;
    let client = client_for(&server, Some(4));
    (server, client)
}

fn client_for(server: &MockServer, datalake: Option<u64>) -> AdverityClient {
    let mut config = AdverityConfig::new(server.uri(), SecretString::from(TOKEN.to_owned()));
    if let Some(id) = datalake {
        config = config.with_datalake_id(id);
    }
    AdverityClient::new(config).expect("client")
}

/// What every request must carry: the Bearer API key, our user agent, and
/// none of progenitor's `api-version` header.
fn authorized(m: &str, p: &str) -> MockBuilder {
    Mock::given(method(m))
        .and(path(p))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(|req: &Request| !req.headers.contains_key("api-version"))
        .and(|req: &Request| {
            req.headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ua| ua.starts_with("roster/"))
        })
}

/// An authorized request with no query string.
fn plain(m: &str, p: &str) -> MockBuilder {
    authorized(m, p).and(|req: &Request| req.url.query().is_none())
}

/// An authorized list request for exactly this page and size.
fn page_of(p: &str, page: u32, size: u32) -> MockBuilder {
    let query = format!("page={page}&page_size={size}");
    authorized("GET", p).and(move |req: &Request| req.url.query() == Some(query.as_str()))
}

fn with_json_body(builder: MockBuilder, body: Value) -> MockBuilder {
    builder
        .and(header("content-type", "application/json"))
        .and(body_json(body))
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
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

fn user_json(id: i64, workspaces: &[i64]) -> Value {
    json!({
        "id": id, "email": format!("user{id}@example.com"), "first_name": "U", "last_name": format!("{id}"),
        "active": true, "groups": [], "workspaces": workspaces, "workspace_names": [],
        "created": "2024-01-01T00:00:00Z", "last_login": null, "last_modified": "2024-01-01T00:00:00Z"
    })
}

fn stack_json(id: i64, slug: &str) -> Value {
    json!({"id": id, "name": format!("Workspace {slug}"), "slug": slug, "parent_id": null})
}

/// Serves workspace `slug` (numeric id `id`) at `GET /api/stacks/{slug}/`,
/// expected exactly once.
async fn mount_stack(server: &MockServer, id: i64, slug: &str) {
    plain("GET", &format!("/api/stacks/{slug}/"))
        .respond_with(ok(stack_json(id, slug)))
        .expect(1)
        .mount(server)
        .await;
}

fn users(range: std::ops::Range<i64>) -> Vec<Value> {
    range.map(|id| user_json(id, &[])).collect()
}

fn envelope(results: Vec<Value>, next: Option<&str>, count: usize) -> Value {
    json!({"count": count, "next": next, "previous": null, "results": results})
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording")
}

// ---------- users: listing and pagination ----------

#[tokio::test]
async fn list_users_decodes_the_envelope_and_every_field() {
    let (server, client) = setup().await;
    page_of("/api/v1/users/", 1, 50)
        .and(header("accept", "application/json"))
        .respond_with(ok(fixture("users_page")))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .list_users_page(PageRequest::first())
        .await
        .expect("list");
    assert_eq!(page.next, None, "next is null");
    assert_eq!(page.items.len(), 2);
    let ada = &page.items[0];
    assert_eq!(ada.id.as_str(), "42");
    assert_eq!(
        ada.email.as_ref().map(Email::as_str),
        Some("ada.lovelace@example.com")
    );
    assert_eq!(ada.display_name.as_deref(), Some("Ada King Lovelace"));
    assert_eq!(ada.status, UserStatus::Active);
    assert_eq!((ada.role, ada.raw_role.as_deref()), (None, None));
    let grace = &page.items[1];
    assert_eq!(grace.id.as_str(), "57");
    assert_eq!(
        grace.email.as_ref().map(Email::as_str),
        Some("Grace.Hopper+ops@Example.com")
    );
    assert_eq!(grace.display_name, None, "both names empty");
    assert_eq!(grace.status, UserStatus::Suspended, "active: false");
}

#[tokio::test]
async fn list_users_accepts_a_bare_array_and_a_short_page_is_the_last() {
    let (server, client) = setup().await;
    page_of("/api/v1/users/", 1, 3)
        .respond_with(ok(json!(users(1..4))))
        .expect(1)
        .mount(&server)
        .await;
    page_of("/api/v1/users/", 2, 3)
        .respond_with(ok(json!(users(4..6))))
        .expect(1)
        .mount(&server)
        .await;
    let first = client
        .list_users_page(PageRequest::first().with_page_size(3))
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 3);
    assert_eq!(
        first.next.as_deref(),
        Some("2"),
        "a full page may have more"
    );
    let second = client
        .list_users_page(PageRequest::after("2").with_page_size(3))
        .await
        .expect("page 2");
    let ids: Vec<&str> = second.items.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["4", "5"]);
    assert_eq!(second.next, None, "a short page is the last");
}

/// Three pages of `size` users, in the form the test picks.
async fn mount_three_pages(server: &MockServer, bare: bool, third_page_requests: u64) {
    let size = 50;
    let pages = [(1u32, 1..51), (2, 51..101), (3, 101..121)];
    for (number, range) in pages {
        let body = if bare {
            json!(users(range))
        } else {
            let next = (number < 3).then(|| {
                format!(
                    "https://acme.example.com/api/v1/users/?page={}&page_size=50",
                    number + 1
                )
            });
            // A wrong count proves it is never trusted.
            envelope(users(range), next.as_deref(), 10_000)
        };
        page_of("/api/v1/users/", number, size)
            .respond_with(ok(body))
            .expect(if number == 3 { third_page_requests } else { 1 })
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn the_user_stream_follows_three_envelope_pages_and_stops_at_no_next() {
    let (server, client) = setup().await;
    mount_three_pages(&server, false, 1).await;
    let all: Vec<_> = client.list_users().try_collect().await.expect("all");
    assert_eq!(all.len(), 120, "count said 10000; next decides");
    assert_eq!(all[119].id.as_str(), "120");
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn the_user_stream_follows_three_bare_pages_and_stops_at_a_short_one() {
    let (server, client) = setup().await;
    mount_three_pages(&server, true, 1).await;
    let all: Vec<_> = client.list_users().try_collect().await.expect("all");
    assert_eq!(all.len(), 120);
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn a_consumer_that_stops_early_sends_no_further_request() {
    for bare in [false, true] {
        let (server, client) = setup().await;
        mount_three_pages(&server, bare, 0).await;
        let first_sixty: Vec<_> = client
            .list_users()
            .take(60)
            .try_collect()
            .await
            .expect("sixty");
        assert_eq!(first_sixty.len(), 60);
        assert_eq!(first_sixty[59].id.as_str(), "60");
        // The `.expect(0)` on page 3 is verified when the server drops.
        server.verify().await;
        assert_eq!(requests(&server).await.len(), 2, "bare: {bare}");
    }
}

#[tokio::test]
async fn an_invalid_page_404_after_the_first_page_ends_the_list() {
    let (server, client) = setup().await;
    page_of("/api/v1/users/", 1, 50)
        .respond_with(ok(json!(users(1..51))))
        .expect(1)
        .mount(&server)
        .await;
    page_of("/api/v1/users/", 2, 50)
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"detail": "Invalid page."})))
        .expect(1)
        .mount(&server)
        .await;
    let all: Vec<_> = client.list_users().try_collect().await.expect("all");
    assert_eq!(all.len(), 50, "exactly one full page, then the end");
}

#[tokio::test]
async fn an_envelope_page_with_a_next_link_is_followed_even_when_short() {
    // A server that caps page_size below what was asked answers short pages
    // that are not the last; its `next` link is what tells.
    let (server, client) = setup().await;
    page_of("/api/v1/users/", 1, 50)
        .respond_with(ok(envelope(
            users(1..21),
            Some("https://x/api/v1/users/?page=2"),
            30,
        )))
        .expect(1)
        .mount(&server)
        .await;
    page_of("/api/v1/users/", 2, 50)
        .respond_with(ok(envelope(users(21..31), None, 30)))
        .expect(1)
        .mount(&server)
        .await;
    let all: Vec<_> = client.list_users().try_collect().await.expect("all");
    assert_eq!(all.len(), 30);
}

#[tokio::test]
async fn page_sizes_are_clamped_and_foreign_cursors_refused() {
    let (server, client) = setup().await;
    page_of("/api/v1/users/", 1, 100)
        .respond_with(ok(envelope(vec![], None, 0)))
        .expect(1)
        .mount(&server)
        .await;
    page_of("/api/v1/users/", 7, 1)
        .respond_with(ok(envelope(vec![], None, 0)))
        .expect(1)
        .mount(&server)
        .await;
    client
        .list_users_page(PageRequest::first().with_page_size(5_000))
        .await
        .expect("clamped to 100");
    client
        .list_users_page(PageRequest::after("7").with_page_size(0))
        .await
        .expect("at least 1");
    for bad in ["0", "-1", "abc", "2.5", "https://x/api/v1/users/?page=2"] {
        let err = client
            .list_users_page(PageRequest::after(bad))
            .await
            .expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
        let err = client
            .list_tenants_page(PageRequest::after(bad))
            .await
            .expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
    }
    assert_eq!(requests(&server).await.len(), 2);
}

// ---------- users: one at a time ----------

#[tokio::test]
async fn get_user_reads_one_and_keeps_the_raw_names() {
    let (server, client) = setup().await;
    plain("GET", "/api/v1/users/42/")
        .respond_with(ok(fixture("user")))
        .expect(2)
        .mount(&server)
        .await;
    let user = client.get_user(&uid("42")).await.expect("get");
    assert_eq!(user.display_name.as_deref(), Some("Ada King Lovelace"));
    let full = client.adverity_user(&uid("042")).await.expect("get raw");
    assert_eq!(full.user, user);
    assert_eq!(
        (full.first_name.as_str(), full.last_name.as_str()),
        ("Ada", "King Lovelace")
    );
    assert_eq!(full.groups, [2, 5]);
    assert_eq!(full.workspace_ids, [3, 8]);
    assert_eq!(full.workspace_names, ["Marketing", "Marketing EMEA"]);
    assert_eq!(full.created.as_deref(), Some("2024-03-01T09:15:22.123456Z"));
    assert_eq!(full.last_login, None);
    assert_eq!(
        full.last_modified.as_deref(),
        Some("2024-06-11T17:02:45.000000Z")
    );
}

#[tokio::test]
async fn create_user_sends_the_documented_body() {
    let (server, client) = setup().await;
    let mut created = fixture("user");
    created["email"] = json!("user@example.com");
    created["first_name"] = json!("string");
    created["last_name"] = json!("string");
    with_json_body(
        plain("POST", "/api/v1/users/"),
        fixture("create_user_request"),
    )
    .respond_with(ResponseTemplate::new(201).set_body_json(created))
    .expect(1)
    .mount(&server)
    .await;
    let user = client
        .create_user(&NewUser::new(email("user@example.com")).with_display_name("string string"))
        .await
        .expect("create");
    assert_eq!(user.outcome, CreateOutcome::Created);
    assert_eq!(user.id.as_str(), "42");
    assert_eq!(user.display_name.as_deref(), Some("string string"));
    assert_eq!(user.status, UserStatus::Active);
}

#[tokio::test]
async fn create_user_without_a_name_sends_empty_names_and_accepts_200() {
    let (server, client) = setup().await;
    with_json_body(
        plain("POST", "/api/v1/users/"),
        json!({"email": "Bob+x@Example.com", "first_name": "", "last_name": "", "groups": [], "workspaces": [], "active": true}),
    )
    .respond_with(ok(user_json(9, &[])))
    .expect(1)
    .mount(&server)
    .await;
    let user = client
        .create_user(&NewUser::new(email("Bob+x@Example.com")))
        .await
        .expect("create");
    assert_eq!(user.id.as_str(), "9");
}

#[tokio::test]
async fn update_user_patches_only_what_changes() {
    let (server, client) = setup().await;
    let cases: Vec<(UserUpdate, Value)> = vec![
        (
            UserUpdate::new().display_name("Grace Brewster Hopper"),
            json!({"first_name": "Grace", "last_name": "Brewster Hopper"}),
        ),
        (
            UserUpdate::new().email(email("new@example.com")),
            json!({"email": "new@example.com"}),
        ),
        (
            UserUpdate::new().status(UserStatus::Suspended),
            json!({"active": false}),
        ),
        (
            UserUpdate::new().status(UserStatus::Active),
            json!({"active": true}),
        ),
        (
            UserUpdate::new().display_name("Cher"),
            json!({"first_name": "Cher", "last_name": ""}),
        ),
    ];
    for (update, body) in cases {
        server.reset().await;
        let mut answer = user_json(42, &[3]);
        if body.get("active") == Some(&json!(false)) {
            answer["active"] = json!(false);
        }
        with_json_body(plain("PATCH", "/api/v1/users/42/"), body.clone())
            .respond_with(ok(answer))
            .expect(1)
            .mount(&server)
            .await;
        let user = client
            .update_user(&uid("42"), &update)
            .await
            .unwrap_or_else(|e| panic!("{body}: {e}"));
        let expected = if body.get("active") == Some(&json!(false)) {
            UserStatus::Suspended
        } else {
            UserStatus::Active
        };
        assert_eq!(user.status, expected, "{body}");
        server.verify().await;
    }
}

#[tokio::test]
async fn an_empty_update_reads_instead_of_writing() {
    let (server, client) = setup().await;
    plain("GET", "/api/v1/users/42/")
        .respond_with(ok(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    let user = client
        .update_user(&uid("42"), &UserUpdate::new())
        .await
        .expect("read");
    assert_eq!(user.id.as_str(), "42");
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn set_names_patches_both_raw_names_exactly() {
    let (server, client) = setup().await;
    let mut answer = user_json(42, &[]);
    answer["first_name"] = json!("Mary Ann");
    answer["last_name"] = json!("Evans");
    with_json_body(
        plain("PATCH", "/api/v1/users/42/"),
        json!({"first_name": "Mary Ann", "last_name": "Evans"}),
    )
    .respond_with(ok(answer))
    .expect(1)
    .mount(&server)
    .await;
    let user = client
        .set_names(&uid("42"), "Mary Ann", "Evans")
        .await
        .expect("names");
    assert_eq!(user.first_name, "Mary Ann");
    assert_eq!(user.user.display_name.as_deref(), Some("Mary Ann Evans"));
}

#[tokio::test]
async fn delete_user_is_one_delete() {
    let (server, client) = setup().await;
    plain("DELETE", "/api/v1/users/42/")
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    client.delete_user(&uid("42")).await.expect("delete");
}

// ---------- workspaces (tenants) ----------

#[tokio::test]
async fn list_tenants_decodes_the_documented_envelope() {
    let (server, client) = setup().await;
    page_of("/api/stacks/", 1, 50)
        .respond_with(ok(fixture("stacks")))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("list");
    assert_eq!(page.next, None);
    let ids: Vec<(&str, &str)> = page
        .items
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("marketing", "Marketing"),
            ("marketing-emea", "Marketing EMEA")
        ]
    );
}

#[tokio::test]
async fn the_tenant_stream_follows_next() {
    let (server, client) = setup().await;
    page_of("/api/stacks/", 1, 50)
        .respond_with(ok(envelope(
            vec![stack_json(1, "a")],
            Some("https://x/api/stacks/?page=2"),
            2,
        )))
        .expect(1)
        .mount(&server)
        .await;
    page_of("/api/stacks/", 2, 50)
        .respond_with(ok(envelope(vec![stack_json(2, "b")], None, 2)))
        .expect(1)
        .mount(&server)
        .await;
    let found = client
        .find_tenant_by_name("Workspace b")
        .await
        .expect("find")
        .expect("on page 2");
    assert_eq!(found.id.as_str(), "b");
}

#[tokio::test]
async fn get_tenant_and_workspace_address_the_slug() {
    let (server, client) = setup().await;
    plain("GET", "/api/stacks/marketing-emea/")
        .respond_with(ok(fixture("stacks")["results"][1].clone()))
        .expect(2)
        .mount(&server)
        .await;
    let tenant = client
        .get_tenant(&tid("marketing-emea"))
        .await
        .expect("get");
    assert_eq!(tenant.name, "Marketing EMEA");
    let workspace = client
        .workspace(&tid("marketing-emea"))
        .await
        .expect("workspace");
    assert_eq!((workspace.id, workspace.parent_id), (8, Some(3)));
    assert_eq!(workspace.tenant, tenant);
}

#[tokio::test]
async fn slugs_are_percent_encoded_into_one_segment() {
    let (server, client) = setup().await;
    plain("GET", "/api/stacks/a%2Fb%3Fc%23d%20e/")
        .respond_with(ok(stack_json(5, "a/b?c#d e")))
        .expect(1)
        .mount(&server)
        .await;
    plain("DELETE", "/api/stacks/..%2F..%2Fv1%2Fusers%2F1/")
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let tenant = client.get_tenant(&tid("a/b?c#d e")).await.expect("get");
    assert_eq!(tenant.id.as_str(), "a/b?c#d e");
    client
        .delete_tenant(&tid("../../v1/users/1"))
        .await
        .expect("one segment");
}

#[tokio::test]
async fn create_tenant_sends_the_configured_datalake() {
    let (server, client) = setup().await;
    with_json_body(
        plain("POST", "/api/stacks/"),
        json!({"datalake_id": 4, "name": "Growth Team"}),
    )
    .respond_with(ResponseTemplate::new(201).set_body_json(
        json!({"id": 12, "name": "Growth Team", "slug": "growth-team", "parent_id": null}),
    ))
    .expect(1)
    .mount(&server)
    .await;
    let tenant = client
        .create_tenant(&NewTenant::new("Growth Team").expect("name"))
        .await
        .expect("create");
    assert_eq!(tenant.outcome, CreateOutcome::Created);
    assert_eq!(
        (tenant.id.as_str(), tenant.name.as_str()),
        ("growth-team", "Growth Team")
    );
}

#[tokio::test]
async fn create_workspace_takes_a_per_call_datalake_and_parent() {
    let (server, client) = setup().await;
    mount_stack(&server, 3, "marketing").await;
    with_json_body(
        plain("POST", "/api/stacks/"),
        json!({"datalake_id": 9, "name": "EMEA", "parent_id": 3}),
    )
    .respond_with(
        ResponseTemplate::new(201)
            .set_body_json(json!({"id": 13, "name": "EMEA", "slug": "emea", "parent_id": 3})),
    )
    .expect(1)
    .mount(&server)
    .await;
    let options = WorkspaceOptions::new()
        .with_datalake_id(9)
        .with_parent(tid("marketing"));
    let tenant = client
        .create_workspace(&NewTenant::new("EMEA").expect("name"), &options)
        .await
        .expect("create");
    assert_eq!(tenant.id.as_str(), "emea");
}

#[tokio::test]
async fn create_tenant_without_a_datalake_sends_nothing() {
    let server = MockServer::start().await;
    let client = client_for(&server, None);
    let err = client
        .create_tenant(&NewTenant::new("Orphan").expect("name"))
        .await
        .expect_err("no datalake");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("datalake"), "{err}");
    assert_eq!(err.operation(), Some(Operation::CreateTenant));
    let with_one = client
        .create_workspace(
            &NewTenant::new("Orphan").expect("name"),
            &WorkspaceOptions::new().with_parent(tid("..")),
        )
        .await
        .expect_err("no datalake, bad parent");
    assert_eq!(with_one.kind(), ErrorKind::InvalidInput);
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn delete_tenant_is_one_delete_of_the_slug() {
    let (server, client) = setup().await;
    plain("DELETE", "/api/stacks/growth-team/")
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    client
        .delete_tenant(&tid("growth-team"))
        .await
        .expect("delete");
}

// ---------- memberships ----------

#[tokio::test]
async fn add_member_reads_the_workspace_and_user_then_patches_only_workspaces() {
    let (server, client) = setup().await;
    mount_stack(&server, 8, "marketing-emea").await;
    plain("GET", "/api/v1/users/42/")
        .respond_with(ok(user_json(42, &[3])))
        .expect(1)
        .mount(&server)
        .await;
    with_json_body(
        plain("PATCH", "/api/v1/users/42/"),
        json!({"workspaces": [3, 8]}),
    )
    .respond_with(ok(user_json(42, &[3, 8])))
    .expect(1)
    .mount(&server)
    .await;
    let membership = client
        .add_member(
            &tid("marketing-emea"),
            &uid("42"),
            &MembershipRequest::new(),
        )
        .await
        .expect("add");
    assert_eq!(membership.tenant.as_str(), "marketing-emea");
    assert_eq!(membership.user.as_str(), "42");
    assert_eq!(
        membership.user_email.as_ref().map(Email::as_str),
        Some("user42@example.com")
    );
    assert_eq!(membership.role, None);
}

#[tokio::test]
async fn add_member_for_a_member_writes_nothing() {
    let (server, client) = setup().await;
    plain("GET", "/api/stacks/marketing/")
        .respond_with(ok(stack_json(3, "marketing")))
        .mount(&server)
        .await;
    plain("GET", "/api/v1/users/42/")
        .respond_with(ok(user_json(42, &[3])))
        .mount(&server)
        .await;
    let membership = client
        .add_member(&tid("marketing"), &uid("42"), &MembershipRequest::new())
        .await
        .expect("already there");
    assert_eq!(membership.tenant.as_str(), "marketing");
    let writes = requests(&server)
        .await
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .count();
    assert_eq!(writes, 0);
}

#[tokio::test]
async fn remove_member_patches_the_list_without_it_even_when_it_empties() {
    let (server, client) = setup().await;
    plain("GET", "/api/stacks/marketing/")
        .respond_with(ok(stack_json(3, "marketing")))
        .mount(&server)
        .await;
    plain("GET", "/api/v1/users/42/")
        .respond_with(ok(user_json(42, &[3])))
        .expect(1)
        .mount(&server)
        .await;
    with_json_body(
        plain("PATCH", "/api/v1/users/42/"),
        json!({"workspaces": []}),
    )
    .respond_with(ok(user_json(42, &[])))
    .expect(1)
    .mount(&server)
    .await;
    client
        .remove_member(&tid("marketing"), &uid("42"))
        .await
        .expect("remove");
}

#[tokio::test]
async fn remove_member_of_a_non_member_is_not_found_and_writes_nothing() {
    let (server, client) = setup().await;
    plain("GET", "/api/stacks/marketing/")
        .respond_with(ok(stack_json(3, "marketing")))
        .mount(&server)
        .await;
    plain("GET", "/api/v1/users/42/")
        .respond_with(ok(user_json(42, &[8])))
        .mount(&server)
        .await;
    let err = client
        .remove_member(&tid("marketing"), &uid("42"))
        .await
        .expect_err("not a member");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        requests(&server)
            .await
            .iter()
            .all(|r| r.method.as_str() == "GET")
    );
}

#[tokio::test]
async fn a_patch_the_server_did_not_apply_is_unexpected() {
    let (server, client) = setup().await;
    plain("GET", "/api/stacks/marketing/")
        .respond_with(ok(stack_json(3, "marketing")))
        .mount(&server)
        .await;
    plain("GET", "/api/v1/users/42/")
        .respond_with(ok(user_json(42, &[])))
        .mount(&server)
        .await;
    plain("PATCH", "/api/v1/users/42/")
        .respond_with(ok(user_json(42, &[])))
        .mount(&server)
        .await;
    let err = client
        .add_member(&tid("marketing"), &uid("42"), &MembershipRequest::new())
        .await
        .expect_err("ignored");
    assert_eq!(err.kind(), ErrorKind::Unexpected);
}

#[tokio::test]
async fn add_member_to_an_unknown_workspace_is_not_found_and_reads_no_user() {
    let (server, client) = setup().await;
    plain("GET", "/api/stacks/nope/")
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"detail": "Not found."})))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .add_member(&tid("nope"), &uid("42"), &MembershipRequest::new())
        .await
        .expect_err("unknown");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.message(), "Not found.");
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn list_members_maps_the_slug_to_its_id_and_filters_every_page() {
    let (server, client) = setup().await;
    mount_stack(&server, 3, "marketing").await;
    let mut first: Vec<Value> = (1..51).map(|id| user_json(id, &[])).collect();
    first[9] = user_json(10, &[3, 8]);
    page_of("/api/v1/users/", 1, 50)
        .respond_with(ok(json!(first)))
        .expect(1)
        .mount(&server)
        .await;
    page_of("/api/v1/users/", 2, 50)
        .respond_with(ok(json!([user_json(51, &[8]), user_json(52, &[3])])))
        .expect(1)
        .mount(&server)
        .await;
    let members = client
        .list_members(&tid("marketing"))
        .await
        .expect("members");
    let ids: Vec<&str> = members.iter().map(|m| m.user.as_str()).collect();
    assert_eq!(ids, ["10", "52"]);
    assert!(members.iter().all(|m| m.tenant.as_str() == "marketing"));
}

/// Each request as `(method, path, query)`, in the order received.
async fn sent(server: &MockServer) -> Vec<(String, String, Option<String>)> {
    requests(server)
        .await
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.url.path().to_owned(),
                r.url.query().map(str::to_owned),
            )
        })
        .collect()
}

fn get(path: &str, query: Option<&str>) -> (String, String, Option<String>) {
    ("GET".to_owned(), path.to_owned(), query.map(str::to_owned))
}

#[tokio::test]
async fn the_member_stream_reads_page_by_page_through_an_empty_middle_page() {
    let (server, client) = setup().await;
    mount_stack(&server, 3, "marketing").await;
    // Workspace 3's members: users 10 and 20 on page 1, none of the 50 on
    // page 2, user 105 on page 3 (the last).
    let mut first = users(1..51);
    first[9] = user_json(10, &[3]);
    first[19] = user_json(20, &[8, 3]);
    let second: Vec<Value> = (51..101).map(|id| user_json(id, &[8])).collect();
    let mut third = users(101..111);
    third[4] = user_json(105, &[3]);
    let next = |n: u32| format!("https://acme.example.com/api/v1/users/?page={n}&page_size=50");
    for (number, results, next) in [
        (1, first, Some(next(2))),
        (2, second, Some(next(3))),
        (3, third, None),
    ] {
        page_of("/api/v1/users/", number, 50)
            .and(header("accept", "application/json"))
            .respond_with(ok(envelope(results, next.as_deref(), 110)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let stack = get("/api/stacks/marketing/", None);
    let users_page = |n: u32| get("/api/v1/users/", Some(&format!("page={n}&page_size=50")));

    let mut members = client.stream_members(&tid("marketing"));
    let member = members.try_next().await.expect("page 1").expect("a member");
    assert_eq!(
        (member.tenant.as_str(), member.user.as_str()),
        ("marketing", "10")
    );
    assert_eq!(
        member.user_email.as_ref().map(Email::as_str),
        Some("user10@example.com")
    );
    assert_eq!(sent(&server).await, [stack.clone(), users_page(1)]);
    let member = members.try_next().await.expect("page 1").expect("a member");
    assert_eq!(member.user.as_str(), "20");
    assert_eq!(
        sent(&server).await.len(),
        2,
        "the second member is on the page already read"
    );
    let member = members.try_next().await.expect("page 3").expect("a member");
    assert_eq!(member.user.as_str(), "105", "on past the empty page");
    assert_eq!(
        sent(&server).await,
        [stack.clone(), users_page(1), users_page(2), users_page(3)],
        "the workspace is read once; each page of users once, in order"
    );
    assert!(members.try_next().await.expect("end").is_none());
    assert_eq!(sent(&server).await.len(), 4, "nothing after the last page");
    drop(members);

    // Collected, it is the same list, read the same way.
    server.reset().await;
    mount_stack(&server, 3, "marketing").await;
    let mut first = users(1..51);
    first[9] = user_json(10, &[3]);
    page_of("/api/v1/users/", 1, 50)
        .respond_with(ok(envelope(first, Some(&next(2)), 60)))
        .expect(1)
        .mount(&server)
        .await;
    page_of("/api/v1/users/", 2, 50)
        .respond_with(ok(envelope(users(51..61), None, 60)))
        .expect(1)
        .mount(&server)
        .await;
    let all = client
        .list_members(&tid("marketing"))
        .await
        .expect("members");
    let ids: Vec<&str> = all.iter().map(|m| m.user.as_str()).collect();
    assert_eq!(ids, ["10"], "an empty last page ends the list");
    assert_eq!(sent(&server).await, [stack, users_page(1), users_page(2)]);
}

#[tokio::test]
async fn member_pages_carry_the_workspace_on_in_their_cursor() {
    let (server, client) = setup().await;
    mount_stack(&server, 3, "marketing").await;
    // Bare arrays of two: a full page may have more, a short one is the
    // last.
    page_of("/api/v1/users/", 1, 2)
        .respond_with(ok(json!([user_json(1, &[3]), user_json(2, &[])])))
        .expect(1)
        .mount(&server)
        .await;
    page_of("/api/v1/users/", 2, 2)
        .respond_with(ok(json!([user_json(3, &[]), user_json(4, &[8])])))
        .expect(1)
        .mount(&server)
        .await;
    page_of("/api/v1/users/", 3, 2)
        .respond_with(ok(json!([user_json(5, &[8, 3])])))
        .expect(1)
        .mount(&server)
        .await;
    let marketing = tid("marketing");
    let first = client
        .list_members_page(&marketing, PageRequest::first().with_page_size(2))
        .await
        .expect("page 1");
    let ids: Vec<&str> = first.items.iter().map(|m| m.user.as_str()).collect();
    assert_eq!(ids, ["1"]);
    assert_eq!(first.next.as_deref(), Some("2:3:marketing"));
    let second = client
        .list_members_page(
            &marketing,
            PageRequest::after(first.next.expect("next")).with_page_size(2),
        )
        .await
        .expect("page 2");
    assert!(second.items.is_empty(), "no member among users 3 and 4");
    assert_eq!(
        second.next.as_deref(),
        Some("3:3:marketing"),
        "an empty page of members still names the next"
    );
    let third = client
        .list_members_page(
            &marketing,
            PageRequest::after(second.next.expect("next")).with_page_size(2),
        )
        .await
        .expect("page 3");
    let ids: Vec<&str> = third.items.iter().map(|m| m.user.as_str()).collect();
    assert_eq!(ids, ["5"]);
    assert_eq!(third.next, None, "a short page of users is the last");
    assert_eq!(
        sent(&server).await,
        [
            get("/api/stacks/marketing/", None),
            get("/api/v1/users/", Some("page=1&page_size=2")),
            get("/api/v1/users/", Some("page=2&page_size=2")),
            get("/api/v1/users/", Some("page=3&page_size=2")),
        ],
        "later pages need no second read of the workspace"
    );
}

#[tokio::test]
async fn a_member_cursor_of_another_list_or_workspace_is_refused_before_sending() {
    let (server, client) = setup().await;
    let marketing = tid("marketing");
    for bad in [
        "2",
        "abc",
        "2:3",
        "0:3:marketing",
        "-1:3:marketing",
        "2:x:marketing",
        "2:3:sales",
        "2:3:marketing-emea",
    ] {
        let err = client
            .list_members_page(&marketing, PageRequest::after(bad))
            .await
            .expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}: {err}");
        assert_eq!(err.operation(), Some(Operation::ListMembers), "{bad}");
    }
    let err = client
        .list_members_page(&marketing, PageRequest::after("2:3:sales"))
        .await
        .expect_err("another workspace");
    assert!(
        err.message().contains("\"sales\"") && err.message().contains("\"marketing\""),
        "{err}"
    );
    assert!(requests(&server).await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn list_user_memberships_maps_ids_to_slugs_and_stops_once_all_are_found() {
    let (server, client) = setup().await;
    plain("GET", "/api/v1/users/42/")
        .respond_with(ok(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    page_of("/api/stacks/", 1, 50)
        .respond_with(ok(fixture("stacks")))
        .expect(1)
        .mount(&server)
        .await;
    let memberships = client
        .list_user_memberships(&uid("42"))
        .await
        .expect("memberships");
    let slugs: Vec<&str> = memberships.iter().map(|m| m.tenant.as_str()).collect();
    assert_eq!(slugs, ["marketing", "marketing-emea"]);

    // A user with no workspaces costs one request.
    server.reset().await;
    plain("GET", "/api/v1/users/7/")
        .respond_with(ok(user_json(7, &[])))
        .expect(1)
        .mount(&server)
        .await;
    assert!(
        client
            .list_user_memberships(&uid("7"))
            .await
            .expect("none")
            .is_empty()
    );
    assert_eq!(requests(&server).await.len(), 1);

    // Found on page 1: page 2 is never read.
    server.reset().await;
    plain("GET", "/api/v1/users/8/")
        .respond_with(ok(user_json(8, &[1])))
        .mount(&server)
        .await;
    page_of("/api/stacks/", 1, 50)
        .respond_with(ok(envelope(
            vec![stack_json(1, "a")],
            Some("https://x/api/stacks/?page=2"),
            2,
        )))
        .expect(1)
        .mount(&server)
        .await;
    page_of("/api/stacks/", 2, 50)
        .respond_with(ok(envelope(vec![stack_json(2, "b")], None, 2)))
        .expect(0)
        .mount(&server)
        .await;
    let memberships = client.list_user_memberships(&uid("8")).await.expect("one");
    assert_eq!(memberships.len(), 1);
    server.verify().await;
}

// ---------- bad input sends nothing ----------

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let (server, client) = setup().await;
    let invalid = ErrorKind::InvalidInput;
    let good_tenant = tid("marketing");
    let request = MembershipRequest::new();
    for bad in [
        "a/b", "..", ".", "1?x=2", "5#frag", "../2", "abc", "-4", "12 ", "١٢",
    ] {
        let user = uid(bad);
        assert_eq!(
            client.get_user(&user).await.expect_err(bad).kind(),
            invalid,
            "{bad}"
        );
        assert_eq!(
            client.adverity_user(&user).await.expect_err(bad).kind(),
            invalid
        );
        assert_eq!(
            client.delete_user(&user).await.expect_err(bad).kind(),
            invalid
        );
        assert_eq!(
            client
                .update_user(&user, &UserUpdate::new().display_name("X"))
                .await
                .expect_err(bad)
                .kind(),
            invalid
        );
        assert_eq!(
            client
                .update_user(&user, &UserUpdate::new().role(Role::Admin))
                .await
                .expect_err(bad)
                .kind(),
            invalid,
            "the id is checked before the arguments"
        );
        assert_eq!(
            client
                .set_names(&user, "A", "B")
                .await
                .expect_err(bad)
                .kind(),
            invalid
        );
        assert_eq!(
            client
                .add_member(&good_tenant, &user, &request)
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
            client.get_tenant(&tenant).await.expect_err(dots).kind(),
            invalid
        );
        assert_eq!(
            client.delete_tenant(&tenant).await.expect_err(dots).kind(),
            invalid
        );
        assert_eq!(
            client.list_members(&tenant).await.expect_err(dots).kind(),
            invalid
        );
        assert_eq!(
            client
                .add_member(&tenant, &uid("42"), &request)
                .await
                .expect_err(dots)
                .kind(),
            invalid
        );
        assert_eq!(
            client
                .remove_member(&tenant, &uid("42"))
                .await
                .expect_err(dots)
                .kind(),
            invalid
        );
    }
    for status in [UserStatus::Blocked, UserStatus::Invited] {
        assert_eq!(
            client
                .update_user(&uid("42"), &UserUpdate::new().status(status))
                .await
                .expect_err("no such status")
                .kind(),
            invalid
        );
    }
    // Arguments Adverity has no place for are refused, never dropped.
    let unsupported = ErrorKind::Unsupported;
    let admin = NewUser::new(email("a@x.io")).with_role(Role::Admin);
    assert_eq!(
        client.create_user(&admin).await.expect_err("role").kind(),
        unsupported
    );
    assert_eq!(
        client
            .update_user(&uid("42"), &UserUpdate::new().role(Role::Member))
            .await
            .expect_err("role")
            .kind(),
        unsupported
    );
    assert_eq!(
        client
            .add_member(
                &good_tenant,
                &uid("42"),
                &MembershipRequest::new().with_role(TenantRole::Admin)
            )
            .await
            .expect_err("tenant role")
            .kind(),
        unsupported
    );
    let team = NewTenant::new("T")
        .expect("name")
        .with_member(uid("42"), MembershipRequest::new());
    assert_eq!(
        client
            .create_tenant(&team)
            .await
            .expect_err("members")
            .kind(),
        unsupported
    );
    assert_eq!(
        client.current_user().await.expect_err("no me").kind(),
        unsupported
    );
    assert!(
        requests(&server).await.is_empty(),
        "nothing reached the server"
    );
}

// ---------- status mapping ----------

async fn error_for(
    response: ResponseTemplate, call: impl AsyncFnOnce(&AdverityClient) -> roster_core::Error,
) -> roster_core::Error {
    let (server, client) = setup().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(response)
        .mount(&server)
        .await;
    call(&client).await
}

#[tokio::test]
async fn a_400_with_field_errors_is_invalid_input_with_the_fields() {
    let err = error_for(
        ResponseTemplate::new(400).set_body_json(fixture("field_errors")),
        async |c| {
            c.create_user(&NewUser::new(email("a@b.io")))
                .await
                .expect_err("400")
        },
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        err.message(),
        "email: Enter a valid email address.; workspaces: Invalid pk \"99\" - object does not exist."
    );
    assert!(err.body_snippet().expect("snippet").contains("Invalid pk"));
}

#[tokio::test]
async fn a_duplicate_email_is_already_exists_on_create_and_conflict_on_update() {
    let duplicate = || {
        ResponseTemplate::new(400)
            .set_body_json(json!({"email": ["user with this email already exists."]}))
    };
    let err = error_for(duplicate(), async |c| {
        c.create_user(&NewUser::new(email("dup@x.io")))
            .await
            .expect_err("dup")
    })
    .await;
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert_eq!(err.message(), "email: user with this email already exists.");
    let err = error_for(duplicate(), async |c| {
        c.update_user(&uid("1"), &UserUpdate::new().email(email("dup@x.io")))
            .await
            .expect_err("dup")
    })
    .await;
    assert_eq!(err.kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn a_401_is_unauthenticated_with_drfs_detail() {
    let err = error_for(
        ResponseTemplate::new(401)
            .insert_header("www-authenticate", "Bearer realm=\"api\"")
            .set_body_json(json!({"detail": "Invalid token."})),
        async |c| {
            c.list_tenants_page(PageRequest::first())
                .await
                .expect_err("401")
        },
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.message(), "Invalid token.");
}

#[tokio::test]
async fn a_404_on_the_first_page_is_not_found_not_the_end() {
    let err = error_for(
        ResponseTemplate::new(404).set_body_json(json!({"detail": "Not found."})),
        async |c| {
            c.list_users_page(PageRequest::first())
                .await
                .expect_err("404")
        },
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let err = error_for(
        ResponseTemplate::new(301).insert_header("location", "https://elsewhere.example.com/"),
        async |c| c.get_user(&uid("1")).await.expect_err("301"),
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::Unexpected);
    assert_eq!(err.status(), Some(301));
}

// ---------- bodies the server should not send ----------

#[tokio::test]
async fn an_html_page_for_a_workspace_is_a_decode_error() {
    let err = error_for(
        ResponseTemplate::new(200).set_body_raw("<html>oops</html>", "text/html"),
        async |c| c.get_tenant(&tid("x")).await.expect_err("html"),
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn a_workspace_with_an_empty_slug_is_a_decode_error() {
    let err = error_for(
        ok(json!({"id": 1, "name": "Nameless", "slug": ""})),
        async |c| c.get_tenant(&tid("x")).await.expect_err("empty slug"),
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::Decode);
}

// ---------- configuration ----------

#[tokio::test]
async fn the_instance_may_be_a_bare_host_and_plain_http_needs_the_opt_in() {
    let token = SecretString::from(TOKEN.to_owned());
    let bare = AdverityConfig::new("acme.datatap.adverity.com", token.clone());
    assert_eq!(bare.base_url(), "https://acme.datatap.adverity.com");
    assert!(AdverityClient::new(bare).is_ok());
    let err = AdverityClient::new(AdverityConfig::new(
        "http://acme.example.com",
        token.clone(),
    ))
    .expect_err("plain http");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.provider(), Some("adverity"));
    let opted_in = AdverityConfig::new("http://acme.example.com", token.clone())
        .with_http(HttpSettings::new().allow_insecure_http(true));
    assert!(AdverityClient::new(opted_in).is_ok());
    let empty = AdverityClient::new(AdverityConfig::new(
        "https://acme.example.com",
        SecretString::from(String::new()),
    ))
    .expect_err("empty token");
    assert_eq!(empty.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn query_parameters_are_sent_as_documented() {
    let (server, client) = setup().await;
    authorized("GET", "/api/v1/users/")
        .and(query_param("page", "1"))
        .and(query_param("page_size", "50"))
        .respond_with(ok(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .list_users_page(PageRequest::first())
        .await
        .expect("defaults");
    assert!(page.items.is_empty() && page.next.is_none());
}

// ---------- provider data: every record keeps the JSON it came from ----------

/// A user as a real server may send one: every documented field, keys no
/// doc lists, and `null`s.
const LOOSE_USER: &str = r#"{"id": 42, "email": "ada@example.com", "first_name": "Ada", "last_name": null,
 "active": true, "groups": [2, 5], "workspaces": [3], "workspace_names": ["Marketing"],
 "created": "2024-03-01T09:15:22Z", "last_login": null, "last_modified": null,
 "is_superuser": false, "profile": {"timezone": null, "theme": {"dark": true}}, "sso": [1, "x", null]}"#;

fn raw_ok(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json")
}

fn data(value: &Option<roster_core::ProviderData>) -> &str {
    value.as_ref().expect("provider data").get()
}

#[tokio::test]
async fn a_listed_user_keeps_its_json_byte_for_byte_in_both_list_forms() {
    let second = r#"{ "id":57 }"#;
    for body in [
        format!("[{LOOSE_USER},  {second}]"),
        format!(
            r#"{{"count": 2, "next": null, "previous": null, "unknown": {{"a": 1}}, "results": [{LOOSE_USER},{second}]}}"#
        ),
    ] {
        let (server, client) = setup().await;
        page_of("/api/v1/users/", 1, 50)
            .respond_with(raw_ok(&body))
            .expect(1)
            .mount(&server)
            .await;
        let page = client
            .list_users_page(PageRequest::first())
            .await
            .expect("list");
        assert_eq!(page.next, None, "{body}");
        assert_eq!(page.items.len(), 2);
        let ada = &page.items[0];
        assert_eq!(data(&ada.provider_data), LOOSE_USER, "as it arrived");
        assert_eq!(ada.id.as_str(), "42");
        assert_eq!(ada.display_name.as_deref(), Some("Ada"), "null last name");
        assert_eq!(ada.status, UserStatus::Active);
        assert_eq!(ada.raw_status, None, "Adverity sends a flag, not a word");
        assert_eq!(
            ada.provider_data.as_ref().expect("data").field("profile"),
            Some(json!({"timezone": null, "theme": {"dark": true}}))
        );
        let bare = &page.items[1];
        assert_eq!(data(&bare.provider_data), second);
        assert_eq!(bare.id.as_str(), "57");
        assert_eq!(
            (bare.email.as_ref(), bare.display_name.as_deref()),
            (None, None)
        );
        assert_eq!(bare.status, UserStatus::Other, "no `active`: unknown");
    }
}

#[tokio::test]
async fn a_user_with_nothing_but_an_id_or_nulls_everywhere_decodes() {
    let nulls = json!({
        "id": 7, "email": null, "first_name": null, "last_name": null, "active": null,
        "groups": null, "workspaces": null, "workspace_names": null, "created": null,
        "last_login": null, "last_modified": null
    });
    let (server, client) = setup().await;
    plain("GET", "/api/v1/users/7/")
        .respond_with(ok(nulls.clone()))
        .expect(2)
        .mount(&server)
        .await;
    let user = client.get_user(&uid("7")).await.expect("decodes");
    assert_eq!(user.id.as_str(), "7");
    assert_eq!(user.status, UserStatus::Other);
    assert_eq!(user.provider_data.as_ref().expect("data").to_value(), nulls);
    let full = client.adverity_user(&uid("7")).await.expect("decodes");
    assert_eq!(
        (full.first_name.as_str(), full.last_name.as_str()),
        ("", "")
    );
    assert!(full.groups.is_empty() && full.workspace_ids.is_empty());
    assert_eq!(full.last_login, None);
    assert_eq!(full.user, user);
}

#[tokio::test]
async fn a_user_an_email_cannot_be_parsed_from_keeps_it_in_the_provider_data() {
    let (server, client) = setup().await;
    page_of("/api/v1/users/", 1, 50)
        .respond_with(ok(
            json!([{"id": 3, "email": "not an email", "active": false}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .list_users_page(PageRequest::first())
        .await
        .expect("list");
    let user = &page.items[0];
    assert_eq!(user.email, None);
    assert_eq!(user.status, UserStatus::Suspended);
    assert_eq!(
        user.provider_data.as_ref().expect("data").field("email"),
        Some(json!("not an email"))
    );
}

#[tokio::test]
async fn only_an_item_without_a_usable_id_fails_a_list_and_it_is_named() {
    let cases = [
        (
            r#"[{"id": 1}, {"email": "no-id@example.com"}]"#,
            "item 1 of the list",
        ),
        (
            r#"{"results": [{"id": 1}, {"id": 2}, {"id": "3"}], "next": null}"#,
            "item 2 of the list",
        ),
        (r#"[{"id": null}]"#, "item 0 of the list"),
    ];
    for (body, position) in cases {
        let (server, client) = setup().await;
        page_of("/api/v1/users/", 1, 50)
            .respond_with(raw_ok(body))
            .expect(1)
            .mount(&server)
            .await;
        let err = client
            .list_users_page(PageRequest::first())
            .await
            .expect_err(body);
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}");
        assert!(err.message().starts_with(position), "{body}: {err}");
        assert!(err.message().contains("user"), "{err}");
        assert_eq!(err.operation(), Some(Operation::ListUsers));
        assert_eq!(err.provider(), Some("adverity"));
        assert!(err.body_snippet().is_some(), "the item is quoted, redacted");
    }
    let cases = [
        (
            r#"{"results": [{"id": 1, "slug": "a"}, {"id": 2, "name": "No slug"}]}"#,
            "item 1 of the list",
        ),
        (
            r#"{"results": [{"id": 1, "slug": ""}]}"#,
            "item 0 of the list",
        ),
        (r#"{"results": [{"slug": "no-id"}]}"#, "item 0 of the list"),
    ];
    for (body, position) in cases {
        let (server, client) = setup().await;
        page_of("/api/stacks/", 1, 50)
            .respond_with(raw_ok(body))
            .expect(1)
            .mount(&server)
            .await;
        let err = client
            .list_tenants_page(PageRequest::first())
            .await
            .expect_err(body);
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}");
        assert!(err.message().starts_with(position), "{body}: {err}");
        assert_eq!(err.operation(), Some(Operation::ListTenants));
    }
}

#[tokio::test]
async fn a_decode_error_for_an_item_never_quotes_the_token() {
    let (server, client) = setup().await;
    let body = format!(r#"[{{"id": "{TOKEN}"}}]"#);
    page_of("/api/v1/users/", 1, 50)
        .respond_with(raw_ok(&body))
        .mount(&server)
        .await;
    let err = client
        .list_users_page(PageRequest::first())
        .await
        .expect_err("string id");
    assert_eq!(err.kind(), ErrorKind::Decode);
    for text in [
        err.to_string(),
        format!("{err:?}"),
        err.body_snippet().unwrap_or_default().to_owned(),
    ] {
        assert!(!text.contains(TOKEN), "{text}");
    }
}

#[tokio::test]
async fn workspaces_keep_their_json_and_may_lack_a_name_or_come_bare() {
    let (server, client) = setup().await;
    page_of("/api/stacks/", 1, 50)
        .respond_with(ok(fixture("stacks")))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("list");
    for (tenant, item) in page
        .items
        .iter()
        .zip(fixture("stacks")["results"].as_array().expect("list"))
    {
        assert_eq!(
            &tenant.provider_data.as_ref().expect("data").to_value(),
            item
        );
    }

    // A bare array of workspaces, one without a name: its id is its slug,
    // its name empty, and a short page is the last.
    server.reset().await;
    let unnamed =
        r#"{"id": 4, "slug": "unnamed", "name": null, "parent_id": null, "extra": [true]}"#;
    page_of("/api/stacks/", 1, 50)
        .respond_with(raw_ok(&format!("[{unnamed}]")))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("bare list");
    assert_eq!(page.next, None);
    assert_eq!(page.items.len(), 1);
    assert_eq!(
        (page.items[0].id.as_str(), page.items[0].name.as_str()),
        ("unnamed", "")
    );
    assert_eq!(data(&page.items[0].provider_data), unnamed);
}

#[tokio::test]
async fn get_create_and_workspace_keep_the_workspace_json() {
    let (server, client) = setup().await;
    let stack = r#"{"id": 8, "name": "Marketing EMEA", "slug": "marketing-emea", "parent_id": 3, "url": "/api/stacks/marketing-emea/"}"#;
    plain("GET", "/api/stacks/marketing-emea/")
        .respond_with(raw_ok(stack))
        .expect(2)
        .mount(&server)
        .await;
    let created = r#"{"id": 12, "name": "Growth", "slug": "growth", "parent_id": null, "counts": {"datastreams": 0}}"#;
    with_json_body(
        plain("POST", "/api/stacks/"),
        json!({"datalake_id": 4, "name": "Growth"}),
    )
    .respond_with(ResponseTemplate::new(201).set_body_raw(created, "application/json"))
    .expect(1)
    .mount(&server)
    .await;
    let tenant = client
        .get_tenant(&tid("marketing-emea"))
        .await
        .expect("get");
    assert_eq!(data(&tenant.provider_data), stack);
    let workspace = client.workspace(&tid("marketing-emea")).await.expect("get");
    assert_eq!(workspace.tenant, tenant);
    let growth = client
        .create_tenant(&NewTenant::new("Growth").expect("name"))
        .await
        .expect("create");
    assert_eq!(growth.id.as_str(), "growth");
    assert_eq!(data(&growth.provider_data), created);
}

#[tokio::test]
async fn get_create_and_update_keep_the_user_json() {
    let (server, client) = setup().await;
    plain("GET", "/api/v1/users/42/")
        .respond_with(raw_ok(LOOSE_USER))
        .expect(1)
        .mount(&server)
        .await;
    with_json_body(
        plain("PATCH", "/api/v1/users/42/"),
        json!({"first_name": "Ada", "last_name": ""}),
    )
    .respond_with(raw_ok(LOOSE_USER))
    .expect(1)
    .mount(&server)
    .await;
    with_json_body(
        plain("POST", "/api/v1/users/"),
        json!({"email": "ada@example.com", "first_name": "", "last_name": "", "groups": [], "workspaces": [], "active": true}),
    )
    .respond_with(ResponseTemplate::new(201).set_body_raw(LOOSE_USER, "application/json"))
    .expect(1)
    .mount(&server)
    .await;
    let got = client.get_user(&uid("42")).await.expect("get");
    assert_eq!(data(&got.provider_data), LOOSE_USER);
    let updated = client
        .update_user(&uid("42"), &UserUpdate::new().display_name("Ada"))
        .await
        .expect("update");
    assert_eq!(data(&updated.provider_data), LOOSE_USER);
    let created = client
        .create_user(&NewUser::new(email("ada@example.com")))
        .await
        .expect("create");
    assert_eq!(data(&created.provider_data), LOOSE_USER);
    assert_eq!(created.value, got);
}

// ---------- memberships carry the user's entry ----------

#[tokio::test]
async fn memberships_carry_the_users_json() {
    let (server, client) = setup().await;
    plain("GET", "/api/stacks/marketing/")
        .respond_with(ok(stack_json(3, "marketing")))
        .mount(&server)
        .await;
    let member = LOOSE_USER;
    let other = r#"{"id": 43, "workspaces": [9]}"#;
    let no_list = r#"{"id": 44, "email": "no-list@example.com"}"#;
    page_of("/api/v1/users/", 1, 50)
        .respond_with(raw_ok(&format!("[{member}, {other}, {no_list}]")))
        .expect(1)
        .mount(&server)
        .await;
    let members = client
        .list_members(&tid("marketing"))
        .await
        .expect("members");
    assert_eq!(members.len(), 1, "a user without `workspaces` is no member");
    assert_eq!(
        (members[0].tenant.as_str(), members[0].user.as_str()),
        ("marketing", "42")
    );
    assert_eq!(
        members[0].user_email.as_ref().map(Email::as_str),
        Some("ada@example.com")
    );
    assert_eq!(data(&members[0].provider_data), member);

    server.reset().await;
    plain("GET", "/api/v1/users/42/")
        .respond_with(raw_ok(member))
        .expect(1)
        .mount(&server)
        .await;
    page_of("/api/stacks/", 1, 50)
        .respond_with(ok(envelope(vec![stack_json(3, "marketing")], None, 1)))
        .expect(1)
        .mount(&server)
        .await;
    let memberships = client
        .list_user_memberships(&uid("42"))
        .await
        .expect("memberships");
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].tenant.as_str(), "marketing");
    assert_eq!(data(&memberships[0].provider_data), member);

    server.reset().await;
    plain("GET", "/api/stacks/marketing-emea/")
        .respond_with(ok(stack_json(8, "marketing-emea")))
        .mount(&server)
        .await;
    plain("GET", "/api/v1/users/42/")
        .respond_with(raw_ok(member))
        .mount(&server)
        .await;
    let after = LOOSE_USER.replace(r#""workspaces": [3]"#, r#""workspaces": [3, 8]"#);
    with_json_body(
        plain("PATCH", "/api/v1/users/42/"),
        json!({"workspaces": [3, 8]}),
    )
    .respond_with(raw_ok(&after))
    .expect(1)
    .mount(&server)
    .await;
    let added = client
        .add_member(
            &tid("marketing-emea"),
            &uid("42"),
            &MembershipRequest::new(),
        )
        .await
        .expect("add");
    assert_eq!(data(&added.provider_data), after, "the answer of the PATCH");
}

#[tokio::test]
async fn a_user_sent_without_workspaces_is_never_rewritten() {
    let (server, client) = setup().await;
    plain("GET", "/api/stacks/marketing/")
        .respond_with(ok(stack_json(3, "marketing")))
        .mount(&server)
        .await;
    plain("GET", "/api/v1/users/44/")
        .respond_with(ok(
            json!({"id": 44, "email": "no-list@example.com", "active": true}),
        ))
        .mount(&server)
        .await;
    let err = client
        .add_member(&tid("marketing"), &uid("44"), &MembershipRequest::new())
        .await
        .expect_err("no list to extend");
    assert_eq!(err.kind(), ErrorKind::Unexpected);
    assert!(
        err.message().contains("without a `workspaces` list"),
        "{err}"
    );
    assert_eq!(err.operation(), Some(Operation::AddMember));
    let err = client
        .remove_member(&tid("marketing"), &uid("44"))
        .await
        .expect_err("no list to shorten");
    assert_eq!(err.kind(), ErrorKind::Unexpected);
    let memberships = client
        .list_user_memberships(&uid("44"))
        .await
        .expect("none known");
    assert!(memberships.is_empty());
    let writes = requests(&server)
        .await
        .into_iter()
        .filter(|r| r.method.as_str() != "GET")
        .count();
    assert_eq!(writes, 0, "nothing was written");
}

// ---------- provider-specific fields: groups and active ----------

#[tokio::test]
async fn the_adapter_lists_its_fields_and_has_one_role_per_user_at_most() {
    let (_server, client) = setup().await;
    use roster_core::Provider as _;
    assert_eq!(client.user_fields(), ["active", "groups"]);
    assert_eq!(roster_adverity::USER_FIELDS, ["active", "groups"]);
    assert!(!client.capabilities().multiple_roles_per_user);
    assert!(!roster_adverity::capabilities().user_roles);
}

#[tokio::test]
async fn create_user_sends_the_groups_and_active_it_is_given_and_the_defaults_otherwise() {
    let cases: Vec<(NewUser, Value)> = vec![
        (
            NewUser::new(email("a@example.com"))
                .with_display_name("Ada Lovelace")
                .with_field("groups", json!([2, 5]))
                .expect("field")
                .with_field("active", false)
                .expect("field"),
            json!({"email": "a@example.com", "first_name": "Ada", "last_name": "Lovelace", "groups": [2, 5], "workspaces": [], "active": false}),
        ),
        (
            NewUser::new(email("a@example.com"))
                .with_field("groups", json!([7]))
                .expect("field"),
            json!({"email": "a@example.com", "first_name": "", "last_name": "", "groups": [7], "workspaces": [], "active": true}),
        ),
        (
            NewUser::new(email("a@example.com"))
                .with_field("active", false)
                .expect("field"),
            json!({"email": "a@example.com", "first_name": "", "last_name": "", "groups": [], "workspaces": [], "active": false}),
        ),
        (
            NewUser::new(email("a@example.com"))
                .with_field("groups", json!([]))
                .expect("field")
                .with_field("active", true)
                .expect("field"),
            json!({"email": "a@example.com", "first_name": "", "last_name": "", "groups": [], "workspaces": [], "active": true}),
        ),
    ];
    for (new_user, body) in cases {
        let (server, client) = setup().await;
        let mut answer = body.clone();
        answer["id"] = json!(61);
        answer["workspace_names"] = json!([]);
        answer["created"] = json!("2025-01-01T00:00:00Z");
        answer["last_login"] = Value::Null;
        answer["unknown"] = json!({"kept": true});
        with_json_body(plain("POST", "/api/v1/users/"), body.clone())
            .respond_with(ResponseTemplate::new(201).set_body_json(answer.clone()))
            .expect(1)
            .mount(&server)
            .await;
        let created = client.create_user(&new_user).await.expect("create");
        let expected = if body["active"] == json!(false) {
            UserStatus::Suspended
        } else {
            UserStatus::Active
        };
        assert_eq!(created.id.as_str(), "61");
        assert_eq!(created.status, expected, "{body}");
        assert_eq!(
            created.provider_data.as_ref().expect("data").to_value(),
            answer,
            "nothing the server sent is dropped"
        );
        server.verify().await;
        assert_eq!(requests(&server).await.len(), 1);
    }
}

#[tokio::test]
async fn update_user_patches_groups_alone_or_beside_what_else_is_named() {
    let cases: Vec<(UserUpdate, Value)> = vec![
        (
            UserUpdate::new()
                .field("groups", json!([2, 9]))
                .expect("field"),
            json!({"groups": [2, 9]}),
        ),
        (
            UserUpdate::new().field("groups", json!([])).expect("field"),
            json!({"groups": []}),
        ),
        (
            UserUpdate::new()
                .display_name("Grace Hopper")
                .field("groups", json!([3]))
                .expect("field"),
            json!({"first_name": "Grace", "last_name": "Hopper", "groups": [3]}),
        ),
        (
            UserUpdate::new().field("active", false).expect("field"),
            json!({"active": false}),
        ),
        (
            UserUpdate::new()
                .status(UserStatus::Active)
                .field("active", true)
                .expect("field"),
            json!({"active": true}),
        ),
    ];
    for (update, body) in cases {
        let (server, client) = setup().await;
        let mut answer = user_json(42, &[3]);
        if let Some(groups) = body.get("groups") {
            answer["groups"] = groups.clone();
        }
        with_json_body(plain("PATCH", "/api/v1/users/42/"), body.clone())
            .respond_with(ok(answer.clone()))
            .expect(1)
            .mount(&server)
            .await;
        let user = client
            .update_user(&uid("42"), &update)
            .await
            .unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(user.id.as_str(), "42");
        assert_eq!(
            user.provider_data.as_ref().expect("data").to_value(),
            answer
        );
        server.verify().await;
        assert_eq!(
            requests(&server).await.len(),
            1,
            "one PATCH, no read: {body}"
        );
    }
}

#[tokio::test]
async fn bad_fields_and_role_lists_are_refused_before_sending() {
    let (server, client) = setup().await;
    let base = || NewUser::new(email("a@example.com"));
    let bad_creates: Vec<(NewUser, ErrorKind, &str)> = vec![
        (
            base().with_field("phone", "+1 555").expect("key"),
            ErrorKind::InvalidInput,
            "phone",
        ),
        (
            base().with_field("workspaces", json!([3])).expect("key"),
            ErrorKind::InvalidInput,
            "workspaces",
        ),
        (
            base().with_field("groups", "2").expect("key"),
            ErrorKind::InvalidInput,
            "groups",
        ),
        (
            base().with_field("groups", 2).expect("key"),
            ErrorKind::InvalidInput,
            "groups",
        ),
        (
            base().with_field("groups", json!([1.5])).expect("key"),
            ErrorKind::InvalidInput,
            "groups",
        ),
        (
            base().with_field("groups", json!(["2"])).expect("key"),
            ErrorKind::InvalidInput,
            "groups",
        ),
        (
            base().with_field("groups", json!([-1])).expect("key"),
            ErrorKind::InvalidInput,
            "groups",
        ),
        (
            base().with_field("groups", json!([u64::MAX])).expect("key"),
            ErrorKind::InvalidInput,
            "too large",
        ),
        (
            base().with_field("groups", Value::Null).expect("key"),
            ErrorKind::InvalidInput,
            "groups",
        ),
        (
            base().with_field("active", "yes").expect("key"),
            ErrorKind::InvalidInput,
            "active",
        ),
        (
            base().with_field("active", 1).expect("key"),
            ErrorKind::InvalidInput,
            "active",
        ),
        (
            base().with_additional_role(Role::Admin),
            ErrorKind::Unsupported,
            "roles",
        ),
        (
            base().with_role(Role::Member),
            ErrorKind::Unsupported,
            "roles",
        ),
    ];
    for (new_user, kind, mentions) in bad_creates {
        let err = client.create_user(&new_user).await.expect_err(mentions);
        assert_eq!(err.kind(), kind, "{mentions}: {err}");
        assert!(err.message().contains(mentions), "{mentions}: {err}");
        assert_eq!(err.operation(), Some(Operation::CreateUser));
        assert_eq!(err.provider(), Some("adverity"));
    }
    let bad_updates: Vec<(UserUpdate, ErrorKind, &str)> = vec![
        (
            UserUpdate::new().field("phone", "1").expect("key"),
            ErrorKind::InvalidInput,
            "phone",
        ),
        (
            UserUpdate::new()
                .field("groups", json!({"a": 1}))
                .expect("key"),
            ErrorKind::InvalidInput,
            "groups",
        ),
        (
            UserUpdate::new().field("active", "false").expect("key"),
            ErrorKind::InvalidInput,
            "active",
        ),
        (
            UserUpdate::new()
                .status(UserStatus::Suspended)
                .field("active", true)
                .expect("key"),
            ErrorKind::InvalidInput,
            "active",
        ),
        (
            UserUpdate::new().replace_roles([Role::Admin.into()]),
            ErrorKind::Unsupported,
            "roles",
        ),
        (
            UserUpdate::new().replace_roles([]),
            ErrorKind::Unsupported,
            "roles",
        ),
    ];
    for (update, kind, mentions) in bad_updates {
        let err = client
            .update_user(&uid("42"), &update)
            .await
            .expect_err(mentions);
        assert_eq!(err.kind(), kind, "{mentions}: {err}");
        assert!(err.message().contains(mentions), "{mentions}: {err}");
        assert_eq!(err.operation(), Some(Operation::UpdateUser));
    }
    assert!(requests(&server).await.is_empty(), "mock received nothing");
}
