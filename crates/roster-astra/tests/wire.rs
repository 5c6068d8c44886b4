//! Wire tests: every operation against wiremock, pinning the exact method,
//! path, headers and body, and asserting the decoded result.

use roster_astra::{AstraClient, AstraConfig, DEFAULT_URL};
use roster_core::{
    CreateOutcome, Email, ErrorKind, MembershipDirectory, MembershipDirectoryExt,
    MembershipRequest, NewTenant, NewUser, Operation, PageRequest, Role, RoleSpec, TenantDirectory,
    TenantId, TenantRole, UserDirectory, UserId, UserStatus, UserUpdate,
};
use roster_http::{HttpSettings, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "AstraCS:wiretest:0123456789abcdef0123456789abcdef";
const ORG: &str = "dacb3c32-cc2a-4bea-bd95-47ab8eb20410";
const JOHN: &str = "388def78-0040-4dge-b235-d67806929c8f";
const JANE: &str = "d8bb706b-95a0-499b-aadc-5a43b4f9042d";
const ORG_ADMIN: &str = "21ef3576-0197-415a-b167-d510af12ecf0";
const RW_USER: &str = "ad0566b5-2a67-49de-89e8-92258c2f2c98";
const READ_ONLY: &str = "8fb6b6b5-9c52-4a33-9d7e-4f0e1a3b5c71";
const NEW_USER: &str = "5a1c9e0b-7d2f-4b8a-9c3e-1f2a3b4c5d6e";
const USERS: &str = "/v2/organizations/users";
const ROLES: &str = "/v2/organizations/roles";

fn fixture(name: &str) -> Value {
    let text = match name {
        "users" => include_str!("fixtures/users.json"),
        "users_camel" => include_str!("fixtures/users_camel.json"),
        "user" => include_str!("fixtures/user.json"),
        "role" => include_str!("fixtures/role.json"),
        "roles" => include_str!("fixtures/roles.json"),
        "roles_camel" => include_str!("fixtures/roles_camel.json"),
        "error" => include_str!("fixtures/error.json"),
        "current_org" => include_str!("fixtures/current_org.json"),
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).expect("fixture is JSON")
}

/// Bodies generated from the spec's response schemas.
#[path = "spec/decoding.rs"]
mod spec_decoding;

async fn setup() -> (MockServer, AstraClient) {
    let server = MockServer::start().await;
    let client = client_for(&server, HttpSettings::default());
    (server, client)
}

fn client_for(server: &MockServer, http: HttpSettings) -> AstraClient {
    let config = AstraConfig::new(SecretString::from(TOKEN.to_owned()))
        .with_base_url(server.uri())
        .with_http(http);
    AstraClient::new(config).expect("client")
}

/// What every request must carry: the bearer token, our user agent, no
/// query string, and none of progenitor's `api-version` header.
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

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn uid(id: &str) -> UserId {
    UserId::new(id).expect("user id")
}

fn tid(id: &str) -> TenantId {
    TenantId::new(id).expect("tenant id")
}

fn email(e: &str) -> Email {
    Email::parse(e).expect("email")
}

/// A user as `(id, email, status, [(role id, role name)])`.
type UserRow<'a> = (&'a str, &'a str, &'a str, &'a [(&'a str, &'a str)]);

/// The organization's users, as the live service lists them.
fn org_users(users: &[UserRow<'_>]) -> Value {
    let users: Vec<Value> = users
        .iter()
        .map(|(id, email, status, roles)| {
            let roles: Vec<Value> = roles
                .iter()
                .map(|(id, name)| json!({"ID": id, "Name": name}))
                .collect();
            json!({"UserID": id, "Email": email, "Status": status, "Roles": roles})
        })
        .collect();
    json!({"OrgID": ORG, "OrgName": "DataStax", "Users": users})
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording")
}

async fn writes(server: &MockServer) -> usize {
    requests(server)
        .await
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .count()
}

async fn mount_roles(server: &MockServer, times: u64) {
    authorized("GET", ROLES)
        .respond_with(ok(fixture("roles")))
        .expect(times)
        .mount(server)
        .await;
}

/// The users list answers `first` once, then `then`.
async fn mount_users_before_and_after(server: &MockServer, first: Value, then: Value) {
    authorized("GET", USERS)
        .respond_with(ok(first))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(server)
        .await;
    authorized("GET", USERS)
        .respond_with(ok(then))
        .expect(1)
        .with_priority(2)
        .mount(server)
        .await;
}

/// `GET /v2/organizations/users/{id}` answers `first` once, then `then`.
async fn mount_user_before_and_after(server: &MockServer, id: &str, first: Value, then: Value) {
    authorized("GET", &format!("{USERS}/{id}"))
        .respond_with(ok(first))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(server)
        .await;
    authorized("GET", &format!("{USERS}/{id}"))
        .respond_with(ok(then))
        .expect(1)
        .with_priority(2)
        .mount(server)
        .await;
}

/// The JSON bodies of every request with this method and path, in order.
async fn bodies_sent(server: &MockServer, m: &str, p: &str) -> Vec<Value> {
    requests(server)
        .await
        .iter()
        .filter(|r| r.method.as_str() == m && r.url.path() == p)
        .map(|r| serde_json::from_slice(&r.body).expect("a JSON body"))
        .collect()
}

// ---------- users ----------

#[tokio::test]
async fn list_users_decodes_the_live_pascal_case_body() {
    let (server, client) = setup().await;
    authorized("GET", USERS)
        .and(header("accept", "application/json"))
        .respond_with(ok(fixture("users")))
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
    assert_eq!(john.id.as_str(), JOHN, "ids need not be UUIDs");
    assert_eq!(
        john.email.as_ref().map(Email::as_str),
        Some("john.smith@datastax.com")
    );
    assert_eq!(john.status, UserStatus::Active);
    assert_eq!(john.role, Some(Role::Other));
    assert_eq!(john.raw_role.as_deref(), Some("Admin User"));
    assert_eq!(john.display_name, None);
    let jane = &page.items[1];
    assert_eq!(jane.id.as_str(), JANE);
    assert_eq!(jane.role, Some(Role::Admin));
    assert_eq!(jane.raw_role.as_deref(), Some("Organization Administrator"));
}

#[tokio::test]
async fn list_users_decodes_the_spec_camel_case_body_alike() {
    let (server, client) = setup().await;
    authorized("GET", USERS)
        .respond_with(ok(fixture("users")))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    authorized("GET", USERS)
        .respond_with(ok(fixture("users_camel")))
        .with_priority(2)
        .mount(&server)
        .await;
    let pascal = client
        .list_users_page(PageRequest::first())
        .await
        .expect("pascal");
    let camel = client
        .list_users_page(PageRequest::first())
        .await
        .expect("camel");
    assert_eq!(pascal.items.len(), 2);
    // Alike but for the provider data, which is each body as it arrived.
    let strip = |users: Vec<roster_core::User>| -> Vec<roster_core::User> {
        users
            .into_iter()
            .map(|mut u| {
                u.provider_data = None;
                u
            })
            .collect()
    };
    assert_eq!(
        camel.items[0]
            .provider_data
            .as_ref()
            .expect("data")
            .to_value(),
        fixture("users_camel")["users"][0]
    );
    assert_eq!(strip(pascal.items), strip(camel.items));
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
async fn get_user_reads_one_user() {
    let (server, client) = setup().await;
    let id = "388def78-0040-4dfe-b235-d67806939c8f";
    authorized("GET", &format!("{USERS}/{id}"))
        .respond_with(ok(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    let user = client.get_user(&uid(id)).await.expect("get");
    assert_eq!(user.id.as_str(), id);
    assert_eq!(
        user.email.as_ref().map(Email::as_str),
        Some("sebastian.estevez@datastax.com")
    );
    assert_eq!(user.raw_role.as_deref(), Some("Admin User"));
}

#[tokio::test]
async fn get_user_404_is_not_found_with_the_message() {
    let (server, client) = setup().await;
    authorized("GET", &format!("{USERS}/nobody"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"errors": [{"ID": 404, "message": "user not found"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client.get_user(&uid("nobody")).await.expect_err("404");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.message(), "user not found");
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn create_user_invites_with_org_id_and_role_uuid_then_finds_the_user() {
    let (server, client) = setup().await;
    mount_roles(&server, 1).await;
    mount_users_before_and_after(
        &server,
        fixture("users"),
        org_users(&[(
            NEW_USER,
            "Alice@Example.com",
            "invited",
            &[(READ_ONLY, "Read Only User")],
        )]),
    )
    .await;
    with_json_body(
        authorized("PUT", USERS),
        json!({"email": "alice@example.com", "orgID": ORG, "roles": [READ_ONLY]}),
    )
    .respond_with(ResponseTemplate::new(200))
    .expect(1)
    .mount(&server)
    .await;

    let created = client
        .create_user(&NewUser::new(email("alice@example.com")))
        .await
        .expect("invite");
    assert_eq!(created.outcome, CreateOutcome::Created);
    assert_eq!(created.id.as_str(), NEW_USER, "the id found by email");
    assert_eq!(created.status, UserStatus::Invited);
    assert_eq!(created.role, Some(Role::Auditor));
    assert_eq!(created.raw_role.as_deref(), Some("Read Only User"));
}

#[tokio::test]
async fn inviting_an_already_invited_email_resends_and_says_so() {
    let (server, client) = setup().await;
    mount_roles(&server, 1).await;
    let invited = org_users(&[(
        NEW_USER,
        "alice@example.com",
        "invited",
        &[(READ_ONLY, "Read Only User")],
    )]);
    let promoted = org_users(&[(
        NEW_USER,
        "alice@example.com",
        "invited",
        &[(ORG_ADMIN, "Organization Administrator")],
    )]);
    mount_users_before_and_after(&server, invited, promoted).await;
    with_json_body(
        authorized("PUT", USERS),
        json!({"email": "ALICE@example.com", "orgID": ORG, "roles": [ORG_ADMIN]}),
    )
    .respond_with(ResponseTemplate::new(200))
    .expect(1)
    .mount(&server)
    .await;

    let created = client
        .create_user(
            &NewUser::new(email("ALICE@example.com"))
                .with_role(RoleSpec::Provider("organization administrator".into())),
        )
        .await
        .expect("re-invite");
    assert_eq!(created.outcome, CreateOutcome::InvitationResent);
    assert_eq!(created.id.as_str(), NEW_USER);
    assert_eq!(created.role, Some(Role::Admin));
}

#[tokio::test]
async fn inviting_an_active_member_is_already_exists_and_sends_no_invite() {
    let (server, client) = setup().await;
    mount_roles(&server, 1).await;
    authorized("GET", USERS)
        .respond_with(ok(fixture("users")))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .create_user(&NewUser::new(email("Jane.Doe@datastax.com")))
        .await
        .expect_err("member");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert!(err.message().contains(JANE), "{err}");
    assert_eq!(writes(&server).await, 0);
}

#[tokio::test]
async fn neutral_roles_resolve_to_their_built_in_role_ids() {
    let (server, client) = setup().await;
    mount_roles(&server, 1).await;
    authorized("GET", USERS)
        .respond_with(ok(org_users(&[(
            NEW_USER,
            "ops@example.com",
            "invited",
            &[(RW_USER, "R/W User")],
        )])))
        .mount(&server)
        .await;
    with_json_body(
        authorized("PUT", USERS),
        json!({"email": "ops@example.com", "orgID": ORG, "roles": [RW_USER]}),
    )
    .respond_with(ResponseTemplate::new(200))
    .expect(1)
    .mount(&server)
    .await;
    let created = client
        .create_user(&NewUser::new(email("ops@example.com")).with_role(Role::Member))
        .await
        .expect("invite");
    assert_eq!(created.role, Some(Role::Member));
    assert_eq!(created.outcome, CreateOutcome::InvitationResent);
}

#[tokio::test]
async fn the_role_list_is_cached_and_refreshed_once_on_a_miss() {
    let (server, client) = setup().await;
    // First the three built-in roles; after that, a new custom role too.
    authorized("GET", ROLES)
        .respond_with(ok(fixture("roles")))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let mut refreshed = fixture("roles");
    refreshed
        .as_array_mut()
        .expect("array")
        .push(json!({"ID": "c0ffee00-0000-4000-8000-000000000001", "Name": "Keyspace Auditor", "Policy": ""}));
    authorized("GET", ROLES)
        .respond_with(ok(refreshed))
        .expect(2)
        .with_priority(2)
        .mount(&server)
        .await;
    authorized("GET", USERS)
        .respond_with(ok(org_users(&[])))
        .mount(&server)
        .await;
    authorized("PUT", USERS)
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;

    let invite = |role: &str| {
        NewUser::new(email("x@example.com")).with_role(RoleSpec::Provider(role.to_owned()))
    };
    // Roles read once (1), then served from the cache.
    for role in ["R/W User", "read only user", RW_USER] {
        let err = client
            .create_user(&invite(role))
            .await
            .expect_err("unlisted");
        assert_eq!(
            err.kind(),
            ErrorKind::Unexpected,
            "the invite went out: {err}"
        );
    }
    // A name the cache lacks: one refresh (2), which has it.
    let err = client
        .create_user(&invite("Keyspace Auditor"))
        .await
        .expect_err("unlisted");
    assert_eq!(err.kind(), ErrorKind::Unexpected, "{err}");
    // An unknown name: one more refresh (3), then InvalidInput, no invite.
    let invites_before = writes(&server).await;
    let err = client
        .create_user(&invite("Galaxy Brain"))
        .await
        .expect_err("unknown role");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("Galaxy Brain"), "{err}");
    assert!(
        err.message().contains("Keyspace Auditor"),
        "lists the roles: {err}"
    );
    assert_eq!(writes(&server).await, invites_before, "no invite sent");
    let bodies: Vec<Value> = requests(&server)
        .await
        .iter()
        .filter(|r| r.method.as_str() == "PUT")
        .map(|r| serde_json::from_slice(&r.body).expect("json"))
        .collect();
    let role_ids: Vec<&str> = bodies
        .iter()
        .map(|b| b["roles"][0].as_str().expect("id"))
        .collect();
    assert_eq!(
        role_ids,
        [
            RW_USER,
            READ_ONLY,
            RW_USER,
            "c0ffee00-0000-4000-8000-000000000001"
        ]
    );
}

#[tokio::test]
async fn an_unknown_role_on_a_fresh_client_reads_the_roles_once_and_sends_nothing_else() {
    let (server, client) = setup().await;
    mount_roles(&server, 1).await;
    let err = client
        .create_user(
            &NewUser::new(email("x@example.com"))
                .with_role(RoleSpec::Provider("no-such-role".into())),
        )
        .await
        .expect_err("unknown");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(requests(&server).await.len(), 1, "only the role list");
}

#[tokio::test]
async fn create_user_refuses_what_astra_cannot_store_before_sending() {
    let (server, client) = setup().await;
    let named = NewUser::new(email("a@example.com")).with_display_name("Alice");
    let err = client.create_user(&named).await.expect_err("display name");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    for role in [Role::Owner, Role::NetworkAdmin, Role::Other] {
        let err = client
            .create_user(&NewUser::new(email("a@example.com")).with_role(role))
            .await
            .expect_err("unmapped role");
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{role}");
    }
    let err = client
        .create_user(&NewUser::new(email("a@example.com")).with_role(RoleSpec::Provider("".into())))
        .await
        .expect_err("blank role");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn update_user_changes_the_neutral_role_then_reads_the_user() {
    let (server, client) = setup().await;
    mount_roles(&server, 1).await;
    let before = json!({"UserID": JANE, "Email": "jane.doe@datastax.com", "Status": "active", "Roles": [{"ID": READ_ONLY, "Name": "Read Only User"}]});
    let after = json!({"UserID": JANE, "Email": "jane.doe@datastax.com", "Status": "active", "Roles": [{"ID": ORG_ADMIN, "Name": "Organization Administrator"}]});
    mount_user_before_and_after(&server, JANE, before, after.clone()).await;
    with_json_body(
        authorized("PUT", &format!("{USERS}/{JANE}/roles")),
        json!({"roles": [ORG_ADMIN]}),
    )
    .respond_with(ResponseTemplate::new(204))
    .expect(1)
    .mount(&server)
    .await;
    let user = client
        .update_user(&uid(JANE), &UserUpdate::new().role(Role::Admin))
        .await
        .expect("update");
    assert_eq!(user.role, Some(Role::Admin));
    assert_eq!(user.status, UserStatus::Active);
    assert_eq!(user.provider_data.expect("data").to_value(), after);
}

#[tokio::test]
async fn an_empty_update_only_reads() {
    let (server, client) = setup().await;
    authorized("GET", &format!("{USERS}/{JANE}"))
        .respond_with(ok(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    client
        .update_user(&uid(JANE), &UserUpdate::new())
        .await
        .expect("read");
    assert_eq!(writes(&server).await, 0);
}

#[tokio::test]
async fn update_user_refuses_email_name_and_status_before_sending() {
    let (server, client) = setup().await;
    for update in [
        UserUpdate::new().email(email("new@example.com")),
        UserUpdate::new().display_name("New"),
        UserUpdate::new().status(UserStatus::Suspended),
    ] {
        let err = client
            .update_user(&uid(JANE), &update)
            .await
            .expect_err("unsupported");
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{update:?}");
    }
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn delete_user_is_one_delete() {
    let (server, client) = setup().await;
    authorized("DELETE", &format!("{USERS}/{JANE}"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    client.delete_user(&uid(JANE)).await.expect("delete");
}

#[tokio::test]
async fn current_user_is_unsupported_and_sends_nothing() {
    let (server, client) = setup().await;
    let err = client.current_user().await.expect_err("unsupported");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(requests(&server).await.is_empty());
}

// ---------- roles ----------

#[tokio::test]
async fn roles_decode_policies_as_strings_and_as_objects() {
    let (server, client) = setup().await;
    authorized("GET", ROLES)
        .respond_with(ok(fixture("roles")))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    authorized("GET", ROLES)
        .respond_with(ok(fixture("roles_camel")))
        .with_priority(2)
        .mount(&server)
        .await;
    let live = client.roles().await.expect("live roles");
    assert_eq!(live.len(), 3);
    assert_eq!(live[0].id.as_deref(), Some(ORG_ADMIN));
    assert_eq!(live[0].name.as_deref(), Some("Organization Administrator"));
    let policy = live[0].policy.as_ref().expect("policy");
    assert_eq!(policy.actions, ["org-read", "org-write"]);
    assert_eq!(policy.effect.as_deref(), Some("allow"));
    assert_eq!(
        live[0].provider_data.as_ref().expect("data").to_value(),
        fixture("roles")[0]
    );
    let spec = client.roles().await.expect("spec roles");
    assert_eq!(spec[0].id, live[0].id);
    assert_eq!(spec[0].name, live[0].name);
    assert_eq!(spec[0].policy, live[0].policy);
    assert_eq!(
        spec[0].provider_data.as_ref().expect("data").to_value(),
        fixture("roles_camel")[0]
    );
}

#[tokio::test]
async fn one_role_by_id() {
    let (server, client) = setup().await;
    let id = "b125f9ab-675e-4bc7-9306-5e50a05b7c56";
    authorized("GET", &format!("{ROLES}/{id}"))
        .respond_with(ok(fixture("role")))
        .expect(1)
        .mount(&server)
        .await;
    let role = client.role(id).await.expect("role");
    assert_eq!(role.name.as_deref(), Some("newRoleName"));
    assert_eq!(role.id.as_deref(), Some(id));
    assert_eq!(
        role.policy.as_ref().expect("policy").description.as_deref(),
        Some("keyspaces")
    );
    assert_eq!(
        role.provider_data.as_ref().expect("data").to_value(),
        fixture("role")
    );
    let err = client.role("..").await.expect_err("dots");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.operation(), Some(Operation::GetRole));
}

#[tokio::test]
async fn a_policy_string_that_is_not_json_leaves_the_role_listed_without_a_policy() {
    let (server, client) = setup().await;
    let body = json!([{"ID": "r", "Name": "n", "Policy": "{broken"}, {}]);
    authorized("GET", ROLES)
        .respond_with(ok(body.clone()))
        .mount(&server)
        .await;
    let roles = client.roles().await.expect("listed");
    assert_eq!(roles.len(), 2);
    assert_eq!(roles[0].policy, None);
    assert_eq!(
        roles[0].provider_data.as_ref().expect("data").to_value(),
        body[0],
        "the text is kept"
    );
    assert_eq!(
        (roles[1].id.as_deref(), roles[1].name.as_deref()),
        (None, None)
    );
}

// ---------- tenants ----------

#[tokio::test]
async fn the_only_tenant_is_the_tokens_organization() {
    let (server, client) = setup().await;
    authorized("GET", "/v2/currentOrg")
        .respond_with(ok(fixture("current_org")))
        .expect(3)
        .mount(&server)
        .await;
    let page = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("list");
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id.as_str(), ORG);
    assert_eq!(page.items[0].name, "DataStax");
    assert_eq!(page.next, None);
    let org = client.get_tenant(&tid(ORG)).await.expect("get");
    assert_eq!(org, page.items[0]);
    let err = client
        .get_tenant(&tid("another-org"))
        .await
        .expect_err("other org");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn an_unnamed_organization_takes_its_name_from_the_user_list() {
    let (server, client) = setup().await;
    authorized("GET", "/v2/currentOrg")
        .respond_with(ok(json!({"id": ORG})))
        .expect(1)
        .mount(&server)
        .await;
    authorized("GET", USERS)
        .respond_with(ok(fixture("users")))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .list_tenants_page(PageRequest::first())
        .await
        .expect("list");
    assert_eq!(page.items[0].name, "DataStax");
}

#[tokio::test]
async fn tenants_cannot_be_created_or_deleted() {
    let (server, client) = setup().await;
    let err = client
        .create_tenant(&NewTenant::new("new org").expect("name"))
        .await
        .expect_err("create");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let err = client.delete_tenant(&tid(ORG)).await.expect_err("delete");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(requests(&server).await.is_empty());
    let caps = roster_astra::capabilities();
    assert!(!caps.create_tenant && !caps.delete_tenant && caps.create_is_invitation);
}

// ---------- memberships ----------

#[tokio::test]
async fn members_are_the_organizations_users() {
    let (server, client) = setup().await;
    authorized("GET", USERS)
        .respond_with(ok(fixture("users")))
        .expect(4)
        .mount(&server)
        .await;
    let members = client.list_members(&tid(ORG)).await.expect("members");
    let ids: Vec<&str> = members.iter().map(|m| m.user.as_str()).collect();
    assert_eq!(ids, [JOHN, JANE]);
    assert!(members.iter().all(|m| m.tenant.as_str() == ORG));
    assert_eq!(
        members[1].user_email.as_ref().map(Email::as_str),
        Some("jane.doe@datastax.com")
    );
    let err = client
        .list_members(&tid("other"))
        .await
        .expect_err("other org");
    assert_eq!(err.kind(), ErrorKind::NotFound);

    let mine = client
        .list_user_memberships(&uid(JANE))
        .await
        .expect("mine");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].tenant.as_str(), ORG);
    let none = client
        .list_user_memberships(&uid("stranger"))
        .await
        .expect("none");
    assert!(none.is_empty());
}

#[tokio::test]
async fn adding_an_invited_member_resends_their_invitation() {
    let (server, client) = setup().await;
    authorized("GET", USERS)
        .respond_with(ok(org_users(&[(
            NEW_USER,
            "alice@example.com",
            "invited",
            &[(RW_USER, "R/W User"), (READ_ONLY, "Read Only User")],
        )])))
        .expect(1)
        .mount(&server)
        .await;
    with_json_body(
        authorized("PUT", USERS),
        json!({"email": "alice@example.com", "orgID": ORG, "roles": [RW_USER, READ_ONLY]}),
    )
    .respond_with(ResponseTemplate::new(200))
    .expect(1)
    .mount(&server)
    .await;
    let membership = client
        .add_member(&tid(ORG), &uid(NEW_USER), &MembershipRequest::new())
        .await
        .expect("add");
    assert_eq!(membership.user.as_str(), NEW_USER);
    assert_eq!(membership.tenant.as_str(), ORG);
}

#[tokio::test]
async fn adding_an_active_member_changes_nothing() {
    let (server, client) = setup().await;
    authorized("GET", USERS)
        .respond_with(ok(fixture("users")))
        .expect(1)
        .mount(&server)
        .await;
    client
        .add_member(&tid(ORG), &uid(JANE), &MembershipRequest::new())
        .await
        .expect("add");
    assert_eq!(writes(&server).await, 0);
}

#[tokio::test]
async fn adding_to_another_org_or_an_unknown_user_is_not_found_and_writes_nothing() {
    let (server, client) = setup().await;
    authorized("GET", USERS)
        .respond_with(ok(fixture("users")))
        .expect(2)
        .mount(&server)
        .await;
    let request = MembershipRequest::new();
    let err = client
        .add_member(&tid("other"), &uid(JANE), &request)
        .await
        .expect_err("other org");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = client
        .add_member(&tid(ORG), &uid("stranger"), &request)
        .await
        .expect_err("stranger");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("create_user"), "{err}");
    assert_eq!(writes(&server).await, 0);
}

#[tokio::test]
async fn a_tenant_role_is_unsupported_and_sends_nothing() {
    let (server, client) = setup().await;
    let err = client
        .add_member(
            &tid(ORG),
            &uid(JANE),
            &MembershipRequest::new().with_role(TenantRole::Admin),
        )
        .await
        .expect_err("role");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn remove_member_checks_the_org_then_deletes_the_user() {
    let (server, client) = setup().await;
    authorized("GET", USERS)
        .respond_with(ok(fixture("users")))
        .expect(2)
        .mount(&server)
        .await;
    authorized("DELETE", &format!("{USERS}/{JOHN}"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    client
        .remove_member(&tid(ORG), &uid(JOHN))
        .await
        .expect("remove");
    let err = client
        .remove_member(&tid(ORG), &uid("stranger"))
        .await
        .expect_err("not a member");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(writes(&server).await, 1);
}

// ---------- encoding and bad input ----------

#[tokio::test]
async fn user_ids_are_percent_encoded_into_one_segment() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(|req: &Request| req.url.path() == "/v2/organizations/users/a%2Fb%3Fc%23d%25e")
        .respond_with(ok(json!({"UserID": "a/b?c#d%e", "Email": "odd@example.com", "Status": "active", "Roles": []})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(|req: &Request| req.url.path() == "/v2/organizations/users/..%2F..%2Fdatabases")
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let user = client.get_user(&uid("a/b?c#d%e")).await.expect("get");
    assert_eq!(user.id.as_str(), "a/b?c#d%e");
    assert_eq!(user.role, None);
    client
        .delete_user(&uid("../../databases"))
        .await
        .expect("one segment");
}

#[tokio::test]
async fn dot_segment_ids_are_refused_before_sending() {
    let (server, client) = setup().await;
    for dots in [".", ".."] {
        let user = uid(dots);
        let tenant = tid(dots);
        let request = MembershipRequest::new();
        let errors = [
            client.get_user(&user).await.expect_err("get"),
            client.delete_user(&user).await.expect_err("delete"),
            client
                .update_user(&user, &UserUpdate::new().role(Role::Admin))
                .await
                .expect_err("update"),
            client.get_tenant(&tenant).await.expect_err("tenant"),
            client.list_members(&tenant).await.expect_err("members"),
            client
                .list_user_memberships(&user)
                .await
                .expect_err("memberships"),
            client
                .add_member(&tid(ORG), &user, &request)
                .await
                .expect_err("add"),
            client
                .remove_member(&tenant, &uid(JANE))
                .await
                .expect_err("remove"),
        ];
        for err in errors {
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        }
    }
    assert!(requests(&server).await.is_empty());
}

// ---------- status mapping ----------

async fn status_error<F>(response: ResponseTemplate, call: F) -> roster_core::Error
where
    F: AsyncFnOnce(&AstraClient) -> roster_core::Error,
{
    let (server, client) = setup().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(response)
        .mount(&server)
        .await;
    call(&client).await
}

#[tokio::test]
async fn statuses_map_to_error_kinds_and_keep_the_messages() {
    let cases = [
        (400, ErrorKind::InvalidInput),
        (401, ErrorKind::Unauthenticated),
        (403, ErrorKind::PermissionDenied),
        (404, ErrorKind::NotFound),
        (409, ErrorKind::Conflict),
        (422, ErrorKind::InvalidInput),
        (429, ErrorKind::RateLimited),
        (500, ErrorKind::Unexpected),
        (502, ErrorKind::Unexpected),
        (503, ErrorKind::Unexpected),
    ];
    for (status, kind) in cases {
        let err = status_error(
            ResponseTemplate::new(status).set_body_json(fixture("error")),
            async |c| {
                c.update_user(&uid(JANE), &UserUpdate::new())
                    .await
                    .expect_err("error status")
            },
        )
        .await;
        assert_eq!(err.kind(), kind, "{status}");
        assert_eq!(err.status(), Some(status));
        assert_eq!(
            err.message(),
            "invalid email address; role 9d2e not found",
            "{status}"
        );
        assert_eq!(err.provider(), Some("astra"));
        assert_eq!(err.operation(), Some(roster_core::Operation::UpdateUser));
    }
}

#[tokio::test]
async fn a_409_on_the_invite_is_already_exists() {
    let (server, client) = setup().await;
    mount_roles(&server, 1).await;
    authorized("GET", USERS)
        .respond_with(ok(org_users(&[])))
        .mount(&server)
        .await;
    authorized("PUT", USERS)
        .respond_with(
            ResponseTemplate::new(409)
                .set_body_json(json!({"errors": [{"ID": 9, "message": "already a member"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .create_user(&NewUser::new(email("race@example.com")))
        .await
        .expect_err("409");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert_eq!(err.message(), "already a member");
}

#[tokio::test]
async fn an_unexpected_success_status_is_unexpected() {
    let err = status_error(
        ResponseTemplate::new(200).set_body_json(json!({"ok": true})),
        async |c| {
            c.delete_user(&uid(JANE))
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
async fn an_error_body_that_is_html_falls_back_to_the_status() {
    let err = status_error(
        ResponseTemplate::new(502).set_body_raw("<html>Bad Gateway</html>", "text/html"),
        async |c| c.get_user(&uid(JANE)).await.expect_err("502"),
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::Unexpected);
    assert_eq!(err.message(), "HTTP 502 Bad Gateway");
    assert!(err.body_snippet().expect("snippet").contains("Bad Gateway"));
}

// ---------- configuration ----------

#[tokio::test]
async fn the_default_url_and_plain_http_rules() {
    let token = SecretString::from(TOKEN.to_owned());
    let config = AstraConfig::new(token.clone());
    assert_eq!(config.base_url(), DEFAULT_URL);
    assert_eq!(DEFAULT_URL, "https://api.astra.datastax.com");
    assert!(AstraClient::new(config).is_ok());
    let err = AstraClient::new(
        AstraConfig::new(token.clone()).with_base_url("http://api.astra.example.com"),
    )
    .expect_err("plain http");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.provider(), Some("astra"));
    let opted_in = AstraConfig::new(token)
        .with_base_url("http://api.astra.example.com")
        .with_http(HttpSettings::new().allow_insecure_http(true));
    assert!(AstraClient::new(opted_in).is_ok());
}

// ---------- issue 14: whatever the spec allows decodes ----------

const CUSTOM: &str = "c0ffee00-0000-4000-8000-000000000001";
const NEW_ROLE: &str = "b125f9ab-675e-4bc7-9306-5e50a05b7c56";

/// The role list plus one custom role, `Keyspace Auditor`.
fn roles_with_custom() -> Value {
    let mut roles = fixture("roles");
    roles
        .as_array_mut()
        .expect("array")
        .push(json!({"ID": CUSTOM, "Name": "Keyspace Auditor", "Policy": ""}));
    roles
}

async fn mount_roles_body(server: &MockServer, body: Value, times: u64) {
    authorized("GET", ROLES)
        .respond_with(ok(body))
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn list_users_keeps_unknown_and_missing_statuses_and_loose_roles() {
    let (server, client) = setup().await;
    let body = json!({"OrgID": ORG, "OrgName": "DataStax", "OrgType": "enterprise", "Users": [
        {"UserID": "u1", "Email": "a@example.com", "Status": "deactivated", "Roles": [{"ID": CUSTOM}], "IdpType": "sso"},
        {"UserID": "u2", "Email": "b@example.com", "Roles": [{"Name": "R/W User"}, {}]},
        {"UserID": "u3", "Status": "Invited", "Roles": null},
        {"userID": "u4", "email": "d@example.com", "status": "ACTIVE", "roles": [{"id": ORG_ADMIN, "name": "Organization Administrator", "policy": "{broken"}]}
    ]});
    authorized("GET", USERS)
        .respond_with(ok(body.clone()))
        .expect(1)
        .mount(&server)
        .await;
    let users = client
        .list_users_page(PageRequest::first())
        .await
        .expect("every spec-valid user decodes")
        .items;
    assert_eq!(users.len(), 4);
    let expected = [
        (
            UserStatus::Other,
            Some("deactivated"),
            Some(Role::Other),
            None,
        ),
        (
            roster_astra::MISSING_STATUS,
            None,
            Some(Role::Other),
            Some("R/W User"),
        ),
        (UserStatus::Invited, Some("Invited"), None, None),
        (
            UserStatus::Active,
            Some("ACTIVE"),
            Some(Role::Admin),
            Some("Organization Administrator"),
        ),
    ];
    for (i, (user, (status, raw_status, role, raw_role))) in users.iter().zip(expected).enumerate()
    {
        assert_eq!(user.status, status, "user {i}");
        assert_eq!(user.raw_status.as_deref(), raw_status, "user {i}");
        assert_eq!(user.role, role, "user {i}");
        assert_eq!(user.raw_role.as_deref(), raw_role, "user {i}");
        assert_eq!(
            user.provider_data.as_ref().expect("data").to_value(),
            body["Users"][i],
            "user {i} keeps its JSON"
        );
    }
    assert_eq!(roster_astra::MISSING_STATUS, UserStatus::Active);
    assert_eq!(users[2].email, None);
    assert_eq!(users[3].id.as_str(), "u4");
}

#[tokio::test]
async fn only_a_user_without_an_id_fails_the_list_naming_its_position() {
    for bad in [
        json!({"Email": "x@example.com"}),
        json!({"UserID": ""}),
        json!({"UserID": null}),
    ] {
        let err = status_error(
            ok(json!({"OrgID": ORG, "Users": [{"UserID": "u1"}, bad]})),
            async |c| {
                c.list_users_page(PageRequest::first())
                    .await
                    .expect_err("no id")
            },
        )
        .await;
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
        assert!(err.message().contains("item 1 of the list"), "{err}");
        assert_eq!(err.operation(), Some(Operation::ListUsers));
    }
}

#[tokio::test]
async fn get_user_keeps_the_body_as_provider_data() {
    let (server, client) = setup().await;
    let id = "388def78-0040-4dfe-b235-d67806939c8f";
    authorized("GET", &format!("{USERS}/{id}"))
        .respond_with(ok(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    let user = client.get_user(&uid(id)).await.expect("get");
    assert_eq!(user.status, UserStatus::Active);
    assert_eq!(user.raw_status.as_deref(), Some("active"));
    assert_eq!(
        user.provider_data.expect("data").to_value(),
        fixture("user")
    );
}

#[tokio::test]
async fn the_tenant_and_members_keep_their_json() {
    let (server, client) = setup().await;
    authorized("GET", "/v2/currentOrg")
        .respond_with(ok(fixture("current_org")))
        .expect(1)
        .mount(&server)
        .await;
    authorized("GET", USERS)
        .respond_with(ok(fixture("users")))
        .expect(2)
        .mount(&server)
        .await;
    let org = client.get_tenant(&tid(ORG)).await.expect("org");
    assert_eq!(
        org.provider_data.expect("data").to_value(),
        fixture("current_org")
    );
    let members = client.list_members(&tid(ORG)).await.expect("members");
    for (i, member) in members.iter().enumerate() {
        assert_eq!(
            member.provider_data.as_ref().expect("data").to_value(),
            fixture("users")["Users"][i]
        );
    }
    let mine = client
        .list_user_memberships(&uid(JANE))
        .await
        .expect("mine");
    assert_eq!(
        mine[0].provider_data.as_ref().expect("data").to_value(),
        fixture("users")["Users"][1]
    );
}

// ---------- issue 14: several roles, and nothing dropped ----------

#[tokio::test]
async fn an_invitation_carries_every_role_asked_for() {
    let (server, client) = setup().await;
    mount_roles_body(&server, roles_with_custom(), 1).await;
    let invited = org_users(&[(
        NEW_USER,
        "multi@example.com",
        "invited",
        &[
            (RW_USER, "R/W User"),
            (CUSTOM, "Keyspace Auditor"),
            (READ_ONLY, "Read Only User"),
        ],
    )]);
    mount_users_before_and_after(&server, org_users(&[]), invited.clone()).await;
    with_json_body(
        authorized("PUT", USERS),
        json!({"email": "multi@example.com", "orgID": ORG, "roles": [RW_USER, CUSTOM, READ_ONLY]}),
    )
    .respond_with(ResponseTemplate::new(200))
    .expect(1)
    .mount(&server)
    .await;
    let created = client
        .create_user(
            &NewUser::new(email("multi@example.com"))
                .with_role(Role::Member)
                .with_additional_role(RoleSpec::Provider("keyspace auditor".into()))
                .with_additional_role(Role::Auditor)
                // A repeat is sent once.
                .with_additional_role(RoleSpec::Provider(RW_USER.into())),
        )
        .await
        .expect("invite");
    assert_eq!(created.outcome, CreateOutcome::Created);
    assert_eq!(
        created.raw_role.as_deref(),
        Some("R/W User, Keyspace Auditor, Read Only User")
    );
    assert_eq!(
        created.provider_data.as_ref().expect("data").to_value(),
        invited["Users"][0]
    );
    assert!(roster_astra::capabilities().multiple_roles_per_user);
}

#[tokio::test]
async fn additional_roles_alone_replace_the_default_role() {
    let (server, client) = setup().await;
    mount_roles_body(&server, roles_with_custom(), 1).await;
    authorized("GET", USERS)
        .respond_with(ok(org_users(&[])))
        .mount(&server)
        .await;
    authorized("PUT", USERS)
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .create_user(
            &NewUser::new(email("solo@example.com"))
                .with_additional_role(RoleSpec::Provider("Keyspace Auditor".into())),
        )
        .await
        .expect_err("the mock never lists the user");
    assert_eq!(err.kind(), ErrorKind::Unexpected);
    assert_eq!(
        bodies_sent(&server, "PUT", USERS).await,
        [json!({"email": "solo@example.com", "orgID": ORG, "roles": [CUSTOM]})]
    );
}

#[tokio::test]
async fn a_neutral_role_change_keeps_every_other_role() {
    let (server, client) = setup().await;
    mount_roles_body(&server, roles_with_custom(), 1).await;
    let path = format!("{USERS}/{JANE}");
    // Jane holds R/W User (neutral), a custom role sent without its name,
    // one sent without its id, and Billing Administrator (neutral).
    let before = json!({"UserID": JANE, "Email": "jane.doe@datastax.com", "Status": "active", "Roles": [
        {"ID": RW_USER, "Name": "R/W User"},
        {"ID": "d00d0000-0000-4000-8000-00000000beef"},
        {"Name": "Keyspace Auditor"},
        {"Name": "Billing Administrator"}
    ]});
    let after = json!({"UserID": JANE, "Status": "active", "Roles": [
        {"ID": ORG_ADMIN, "Name": "Organization Administrator"},
        {"ID": "d00d0000-0000-4000-8000-00000000beef"},
        {"ID": CUSTOM, "Name": "Keyspace Auditor"}
    ]});
    mount_user_before_and_after(&server, JANE, before, after.clone()).await;
    authorized("PUT", &format!("{path}/roles"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let user = client
        .update_user(&uid(JANE), &UserUpdate::new().role(Role::Admin))
        .await
        .expect("update");
    assert_eq!(
        bodies_sent(&server, "PUT", &format!("{path}/roles")).await,
        [json!({"roles": [ORG_ADMIN, "d00d0000-0000-4000-8000-00000000beef", CUSTOM]})],
        "the new role, then every non-neutral role she held; nothing else"
    );
    assert_eq!(user.role, Some(Role::Admin));
    assert_eq!(user.provider_data.expect("data").to_value(), after);
}

#[tokio::test]
async fn a_neutral_role_change_that_changes_nothing_writes_nothing() {
    let (server, client) = setup().await;
    mount_roles_body(&server, roles_with_custom(), 1).await;
    let body = json!({"UserID": JANE, "Status": "active", "Roles": [
        {"ID": ORG_ADMIN, "Name": "Organization Administrator"}, {"ID": CUSTOM}
    ]});
    authorized("GET", &format!("{USERS}/{JANE}"))
        .respond_with(ok(body.clone()))
        .expect(1)
        .mount(&server)
        .await;
    let user = client
        .update_user(&uid(JANE), &UserUpdate::new().role(Role::Admin))
        .await
        .expect("unchanged");
    assert_eq!(user.role, Some(Role::Admin));
    assert_eq!(user.provider_data.expect("data").to_value(), body);
    assert_eq!(writes(&server).await, 0);
}

#[tokio::test]
async fn a_held_role_that_cannot_be_named_stops_a_neutral_change_before_writing() {
    let (server, client) = setup().await;
    mount_roles(&server, 2).await;
    for unknown in [json!({}), json!({"Name": "Vanished Role"})] {
        authorized("GET", &format!("{USERS}/{JANE}"))
            .respond_with(ok(json!({"UserID": JANE, "Roles": [{"ID": READ_ONLY, "Name": "Read Only User"}, unknown]})))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        let err = client
            .update_user(&uid(JANE), &UserUpdate::new().role(Role::Member))
            .await
            .expect_err("cannot keep it");
        assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
        assert!(err.message().contains("replace_roles"), "{err}");
    }
    assert_eq!(writes(&server).await, 0);
}

#[tokio::test]
async fn replace_roles_sends_exactly_the_roles_named() {
    let (server, client) = setup().await;
    mount_roles_body(&server, roles_with_custom(), 1).await;
    let path = format!("{USERS}/{JANE}/roles");
    with_json_body(
        authorized("PUT", &path),
        json!({"roles": [CUSTOM, READ_ONLY]}),
    )
    .respond_with(ResponseTemplate::new(204))
    .expect(1)
    .mount(&server)
    .await;
    let after = json!({"UserID": JANE, "Status": "active", "Roles": [{"ID": CUSTOM, "Name": "Keyspace Auditor"}, {"ID": READ_ONLY, "Name": "Read Only User"}]});
    authorized("GET", &format!("{USERS}/{JANE}"))
        .respond_with(ok(after.clone()))
        .expect(1)
        .mount(&server)
        .await;
    let user = client
        .update_user(
            &uid(JANE),
            &UserUpdate::new().replace_roles([
                RoleSpec::Provider("Keyspace Auditor".into()),
                Role::Auditor.into(),
                RoleSpec::Provider(CUSTOM.into()),
            ]),
        )
        .await
        .expect("replace");
    assert_eq!(user.role, Some(Role::Other));
    assert_eq!(
        user.raw_role.as_deref(),
        Some("Keyspace Auditor, Read Only User")
    );
    assert_eq!(user.provider_data.expect("data").to_value(), after);
}

#[tokio::test]
async fn bad_role_updates_and_any_fields_are_refused_before_sending() {
    let (server, client) = setup().await;
    let both = UserUpdate::new()
        .role(Role::Admin)
        .replace_roles([RoleSpec::Neutral(Role::Member)]);
    let none = UserUpdate::new().replace_roles(Vec::<RoleSpec>::new());
    let unmapped = UserUpdate::new().replace_roles([RoleSpec::Neutral(Role::Owner)]);
    let fields = UserUpdate::new()
        .field("phone", "+1 555")
        .expect("well-formed key");
    for update in [both, none, unmapped, fields] {
        let err = client
            .update_user(&uid(JANE), &update)
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{update:?}: {err}");
        assert_eq!(err.operation(), Some(Operation::UpdateUser));
    }
    let err = client
        .create_user(
            &NewUser::new(email("f@example.com"))
                .with_field("groups", json!(["a"]))
                .expect("well-formed key"),
        )
        .await
        .expect_err("fields");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.message().contains("no provider-specific fields"),
        "{err}"
    );
    let err = client
        .create_user(&NewUser::new(email("f@example.com")).with_additional_role(Role::NetworkAdmin))
        .await
        .expect_err("unmapped additional role");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(requests(&server).await.is_empty(), "mock received nothing");
}

#[tokio::test]
async fn a_resent_invitation_resolves_a_role_sent_without_its_id() {
    let (server, client) = setup().await;
    mount_roles(&server, 1).await;
    authorized("GET", USERS)
        .respond_with(ok(json!({"OrgID": ORG, "Users": [
            {"UserID": NEW_USER, "Email": "p@example.com", "Status": "invited",
             "Roles": [{"ID": RW_USER}, {"Name": "read only user"}]}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    with_json_body(
        authorized("PUT", USERS),
        json!({"email": "p@example.com", "orgID": ORG, "roles": [RW_USER, READ_ONLY]}),
    )
    .respond_with(ResponseTemplate::new(200))
    .expect(1)
    .mount(&server)
    .await;
    let membership = client
        .add_member(&tid(ORG), &uid(NEW_USER), &MembershipRequest::new())
        .await
        .expect("re-sent");
    assert!(membership.provider_data.is_some());
}

// ---------- issue 14: custom roles ----------

#[tokio::test]
async fn create_role_posts_the_published_body_and_the_cache_takes_it() {
    let (server, client) = setup().await;
    mount_roles(&server, 1).await;
    with_json_body(
        authorized("POST", ROLES),
        json!({"name": "newRoleName", "policy": {
            "description": "keyspaces",
            "resources": ["drn:astra:org:dccb8c32-cc2a-4bea-bd95-47ab8eb20510"],
            "actions": ["db-all-keyspace-create", "db-all-keyspace-describe"],
            "effect": "allow"
        }}),
    )
    .respond_with(ResponseTemplate::new(201).set_body_json(fixture("role")))
    .expect(1)
    .mount(&server)
    .await;
    client.roles().await.expect("warm the cache");
    let created = client
        .create_role(
            &roster_astra::NewRole::new(" newRoleName ")
                .with_description("keyspaces")
                .with_resource("drn:astra:org:dccb8c32-cc2a-4bea-bd95-47ab8eb20510")
                .with_action("db-all-keyspace-create")
                .with_action("db-all-keyspace-describe"),
        )
        .await
        .expect("create");
    assert_eq!(created.outcome, CreateOutcome::Created);
    assert_eq!(created.id.as_deref(), Some(NEW_ROLE));
    assert_eq!(created.name.as_deref(), Some("newRoleName"));
    assert_eq!(
        created.policy.as_ref().expect("policy").actions,
        ["db-all-keyspace-create", "db-all-keyspace-describe"]
    );
    assert_eq!(
        created.provider_data.as_ref().expect("data").to_value(),
        fixture("role")
    );

    // Inviting with the new role needs no second role list (expect(1)).
    authorized("GET", USERS)
        .respond_with(ok(org_users(&[])))
        .mount(&server)
        .await;
    authorized("PUT", USERS)
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let _ = client
        .create_user(
            &NewUser::new(email("n@example.com"))
                .with_role(RoleSpec::Provider("NEWROLENAME".into())),
        )
        .await;
    assert_eq!(
        bodies_sent(&server, "PUT", USERS).await,
        [json!({"email": "n@example.com", "orgID": ORG, "roles": [NEW_ROLE]})]
    );
}

#[tokio::test]
async fn create_role_refuses_blank_input_and_a_409_is_already_exists() {
    let (server, client) = setup().await;
    for bad in [
        roster_astra::NewRole::new("  "),
        roster_astra::NewRole::new("x").with_effect(""),
    ] {
        let err = client.create_role(&bad).await.expect_err("blank");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.operation(), Some(Operation::CreateRole));
    }
    assert!(requests(&server).await.is_empty(), "mock received nothing");
    authorized("POST", ROLES)
        .respond_with(
            ResponseTemplate::new(409)
                .set_body_json(json!({"errors": [{"ID": 409, "message": "role exists"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .create_role(&roster_astra::NewRole::new("Taken"))
        .await
        .expect_err("409");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert_eq!(err.operation(), Some(Operation::CreateRole));
    assert_eq!(err.message(), "role exists");
}

#[tokio::test]
async fn update_role_sends_the_whole_role_keeping_what_it_does_not_name() {
    let (server, client) = setup().await;
    mount_roles_body(&server, roles_with_custom(), 1).await;
    let path = format!("{ROLES}/{NEW_ROLE}");
    let mut renamed = fixture("role");
    renamed["Name"] = json!("Keyspace Keeper");
    authorized("GET", &path)
        .respond_with(ok(fixture("role")))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    authorized("GET", &path)
        .respond_with(ok(renamed.clone()))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    with_json_body(
        authorized("PUT", &path),
        json!({"name": "Keyspace Keeper", "policy": {
            "description": "keyspaces",
            "resources": ["drn:astra:org:dccb8c32-cc2a-4bea-bd95-47ab8eb20510"],
            "actions": ["db-all-keyspace-create", "db-all-keyspace-describe"],
            "effect": "allow"
        }}),
    )
    .respond_with(ResponseTemplate::new(200))
    .expect(1)
    .mount(&server)
    .await;
    client.roles().await.expect("warm the cache");
    let updated = client
        .update_role(
            NEW_ROLE,
            &roster_astra::RoleUpdate::new().name("Keyspace Keeper"),
        )
        .await
        .expect("update");
    assert_eq!(updated.name.as_deref(), Some("Keyspace Keeper"));
    assert_eq!(updated.provider_data.expect("data").to_value(), renamed);

    // The cache knows the new name without reading the list again.
    authorized("GET", USERS)
        .respond_with(ok(org_users(&[])))
        .mount(&server)
        .await;
    authorized("PUT", USERS)
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let _ = client
        .create_user(
            &NewUser::new(email("k@example.com"))
                .with_role(RoleSpec::Provider("keyspace keeper".into())),
        )
        .await;
    assert_eq!(
        bodies_sent(&server, "PUT", USERS).await,
        [json!({"email": "k@example.com", "orgID": ORG, "roles": [NEW_ROLE]})]
    );
}

#[tokio::test]
async fn update_role_needs_the_whole_policy_when_the_current_one_is_unreadable() {
    let (server, client) = setup().await;
    let path = format!("{ROLES}/{CUSTOM}");
    authorized("GET", &path)
        .respond_with(ok(
            json!({"ID": CUSTOM, "Name": "Odd", "Policy": "{not json"}),
        ))
        .mount(&server)
        .await;
    let err = client
        .update_role(CUSTOM, &roster_astra::RoleUpdate::new().actions(["db-cql"]))
        .await
        .expect_err("would drop the policy");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.operation(), Some(Operation::UpdateRole));
    assert_eq!(writes(&server).await, 0);

    with_json_body(
        authorized("PUT", &path),
        json!({"name": "Odd", "policy": {"description": "", "resources": [], "actions": ["db-cql"], "effect": "allow"}}),
    )
    .respond_with(ResponseTemplate::new(200))
    .expect(1)
    .mount(&server)
    .await;
    client
        .update_role(
            CUSTOM,
            &roster_astra::RoleUpdate::new()
                .description("")
                .resources(Vec::<String>::new())
                .actions(["db-cql"])
                .effect("allow"),
        )
        .await
        .expect("whole policy named");
}

#[tokio::test]
async fn bad_role_ids_and_names_are_refused_before_sending() {
    let (server, client) = setup().await;
    let update = roster_astra::RoleUpdate::new().name("x");
    for (err, operation) in [
        (
            client.role("..").await.expect_err("get"),
            Operation::GetRole,
        ),
        (
            client.update_role(".", &update).await.expect_err("update"),
            Operation::UpdateRole,
        ),
        (
            client
                .update_role(CUSTOM, &roster_astra::RoleUpdate::new().name(" "))
                .await
                .expect_err("blank name"),
            Operation::UpdateRole,
        ),
        (
            client.delete_role("..").await.expect_err("delete"),
            Operation::DeleteRole,
        ),
    ] {
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert_eq!(err.operation(), Some(operation));
    }
    assert!(requests(&server).await.is_empty(), "mock received nothing");
}

#[tokio::test]
async fn delete_role_is_one_delete_and_the_cache_forgets_the_role() {
    let (server, client) = setup().await;
    authorized("DELETE", &format!("{ROLES}/{CUSTOM}"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    // The list before the delete has the role; the one after does not.
    authorized("GET", ROLES)
        .respond_with(ok(roles_with_custom()))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_roles(&server, 1).await;
    client.roles().await.expect("warm the cache");
    client.delete_role(CUSTOM).await.expect("delete");
    let err = client
        .create_user(
            &NewUser::new(email("d@example.com"))
                .with_role(RoleSpec::Provider("Keyspace Auditor".into())),
        )
        .await
        .expect_err("the role is gone");
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidInput,
        "re-read, not served stale: {err}"
    );
    assert_eq!(writes(&server).await, 1, "only the delete");
}

#[tokio::test]
async fn role_errors_name_their_own_operations() {
    let cases: [(Operation, ResponseTemplate); 5] = [
        (Operation::ListRoles, ResponseTemplate::new(403)),
        (Operation::GetRole, ResponseTemplate::new(404)),
        (Operation::CreateRole, ResponseTemplate::new(400)),
        (Operation::UpdateRole, ResponseTemplate::new(404)),
        (Operation::DeleteRole, ResponseTemplate::new(404)),
    ];
    for (operation, response) in cases {
        let err = status_error(response, async |c| match operation {
            Operation::ListRoles => c.roles().await.map(drop).expect_err("list"),
            Operation::GetRole => c.role(CUSTOM).await.map(drop).expect_err("get"),
            Operation::CreateRole => c
                .create_role(&roster_astra::NewRole::new("r"))
                .await
                .map(drop)
                .expect_err("create"),
            Operation::UpdateRole => c
                .update_role(CUSTOM, &roster_astra::RoleUpdate::new().name("r"))
                .await
                .map(drop)
                .expect_err("update"),
            _ => c.delete_role(CUSTOM).await.expect_err("delete"),
        })
        .await;
        assert_eq!(err.operation(), Some(operation), "{err}");
        assert_eq!(err.provider(), Some("astra"));
    }
}
