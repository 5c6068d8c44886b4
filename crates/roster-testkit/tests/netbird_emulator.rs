#![cfg(feature = "netbird")]
//! The NetBird emulator's own rules, driven with raw HTTP: the answers an
//! adapter never provokes because it refuses bad input first, and the
//! server rules the adapter relies on.

use roster_testkit::Emulator;
use roster_testkit::netbird::{
    ALL_GROUP_ID, NETBIRD_TOKEN, NEVER, NetbirdModel, OWNER_ID, OWNER_LAST_LOGIN, PENDING_ID,
    UNKNOWN_ROLE_ID, UNKNOWN_STATUS_ID,
};
use serde_json::{Value, json};

struct Api {
    emulator: Emulator<NetbirdModel>,
    http: reqwest::Client,
}

impl Api {
    async fn start(model: NetbirdModel) -> Self {
        roster_http::install_crypto_provider();
        Api {
            emulator: Emulator::start(model).await,
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send_with(Some(&format!("Token {NETBIRD_TOKEN}")), method, path, body)
            .await
    }

    async fn send_with(
        &self, authorization: Option<&str>, method: &str, path: &str, body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.emulator.base_url());
        let mut request = self.http.request(method.parse().expect("method"), url);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, json)
    }

    async fn raw_body(&self, method: &str, path: &str, body: &'static str) -> (u16, Value) {
        let url = format!("{}{path}", self.emulator.base_url());
        let response = self
            .http
            .request(method.parse().expect("method"), url)
            .header("authorization", format!("Token {NETBIRD_TOKEN}"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("send");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json"))
    }
}

fn netbird_error(status: u16, message: &str) -> (u16, Value) {
    (status, json!({"message": message, "code": status}))
}

#[tokio::test]
async fn wrong_missing_or_bearer_credentials_are_401_with_netbirds_shape() {
    let api = Api::start(NetbirdModel::default().with_jwt("eyJ.jwt.sig")).await;
    assert_eq!(
        api.send_with(Some("Token nbp_wrong"), "GET", "/api/users", None)
            .await,
        netbird_error(401, "token invalid")
    );
    assert_eq!(
        api.send_with(None, "GET", "/api/users", None).await,
        netbird_error(401, "no valid authentication provided")
    );
    assert_eq!(
        api.send_with(
            Some(&format!("Basic {NETBIRD_TOKEN}")),
            "GET",
            "/api/users",
            None
        )
        .await,
        netbird_error(401, "no valid authentication provided")
    );
    assert_eq!(
        api.send_with(Some("Bearer eyJ.other.sig"), "GET", "/api/users", None)
            .await,
        netbird_error(401, "token invalid")
    );
    let (status, _) = api
        .send_with(Some("Bearer eyJ.jwt.sig"), "GET", "/api/users", None)
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn there_is_no_get_user_by_id() {
    let api = Api::start(NetbirdModel::default()).await;
    let path = format!("/api/users/{}", OWNER_ID.replace('|', "%7C"));
    let (status, _) = api.send("GET", &path, None).await;
    assert_eq!(status, 405);
    let (status, body) = api.send("GET", "/api/users/current", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], OWNER_ID);
    assert_eq!(body["is_current"], true);
    let (status, body) = api.send("GET", "/api/nothing-here", None).await;
    assert_eq!((status, body), (404, json!("404 page not found\n")));
}

#[tokio::test]
async fn invitations_duplicates_roles_and_idp_rules() {
    let api = Api::start(NetbirdModel::default()).await;
    let invite = json!({"email": "Ann@Company.com", "role": "USER", "auto_groups": [], "is_service_user": false});
    let (status, ann) = api.send("POST", "/api/users", Some(invite)).await;
    assert_eq!(status, 200);
    assert_eq!(ann["status"], "invited");
    assert_eq!(ann["role"], "user", "stored in NetBird's spelling");
    assert!(
        ann["id"]
            .as_str()
            .expect("id")
            .starts_with("google-oauth2|")
    );
    let again = json!({"email": "ann@company.com", "role": "user", "auto_groups": [], "is_service_user": false});
    assert_eq!(
        api.send("POST", "/api/users", Some(again)).await,
        netbird_error(409, "can't invite a user with an existing NetBird account")
    );
    let bad_role = json!({"email": "b@company.com", "role": "superuser", "auto_groups": [], "is_service_user": false});
    assert_eq!(api.send("POST", "/api/users", Some(bad_role)).await.0, 422);
    let owner = json!({"email": "c@company.com", "role": "owner", "auto_groups": [], "is_service_user": false});
    assert_eq!(
        api.send("POST", "/api/users", Some(owner)).await,
        netbird_error(422, "can't create a user with owner role")
    );
    let unknown_group = json!({"email": "d@company.com", "role": "user", "auto_groups": ["nope"], "is_service_user": false});
    assert_eq!(
        api.send("POST", "/api/users", Some(unknown_group)).await,
        netbird_error(422, "group: nope doesn't exist")
    );
    let nameless_robot = json!({"role": "user", "auto_groups": [], "is_service_user": true});
    assert_eq!(
        api.send("POST", "/api/users", Some(nameless_robot)).await.0,
        422
    );
    let robot =
        json!({"name": "robot", "role": "admin", "auto_groups": [], "is_service_user": true});
    let (status, robot) = api.send("POST", "/api/users", Some(robot)).await;
    assert_eq!(
        (status, robot["status"].clone(), robot["email"].clone()),
        (200, json!("active"), json!(""))
    );
    let (_, only_robots) = api.send("GET", "/api/users?service_user=true", None).await;
    assert_eq!(only_robots.as_array().map(Vec::len), Some(1));
    let (_, people) = api.send("GET", "/api/users?service_user=false", None).await;
    assert_eq!(people.as_array().map(Vec::len), Some(2), "owner and Ann");

    let ann_path = format!(
        "/api/users/{}/invite",
        ann["id"].as_str().expect("id").replace('|', "%7C")
    );
    assert_eq!(api.send("POST", &ann_path, None).await, (200, json!({})));
    let owner_path = format!("/api/users/{}/invite", OWNER_ID.replace('|', "%7C"));
    assert_eq!(
        api.send("POST", &owner_path, None).await,
        netbird_error(412, "can't invite a user with an activated NetBird account")
    );

    let no_idp = Api::start(NetbirdModel::default().without_idp()).await;
    let invite = json!({"email": "e@company.com", "role": "user", "auto_groups": [], "is_service_user": false});
    assert_eq!(
        no_idp.send("POST", "/api/users", Some(invite)).await,
        netbird_error(412, "IdP manager must be enabled to send user invites")
    );
}

#[tokio::test]
async fn put_user_replaces_all_three_fields_like_go_decodes() {
    let api = Api::start(NetbirdModel::default()).await;
    let (user, devs) = api.emulator.with_model(|m| {
        let user = m.add_user("gina@company.com", "admin");
        let devs = m.add_group("devs");
        m.user_mut(&user).expect("user").is_blocked = true;
        (user, devs)
    });
    let path = format!("/api/users/{}", user.replace('|', "%7C"));
    // A body without is_blocked unblocks: Go decodes a missing bool as false.
    let (status, body) = api
        .send(
            "PUT",
            &path,
            Some(json!({"role": "admin", "auto_groups": [devs]})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["is_blocked"].clone(), body["status"].clone()),
        (json!(false), json!("active"))
    );
    let (_, body) = api
        .send(
            "PUT",
            &path,
            Some(json!({"role": "admin", "is_blocked": true})),
        )
        .await;
    assert_eq!(body["auto_groups"], json!([]), "a missing list empties it");
    assert_eq!(body["status"], "blocked");
    assert_eq!(
        api.send(
            "PUT",
            &path,
            Some(json!({"role": "admin", "auto_groups": ["nope"], "is_blocked": false}))
        )
        .await,
        netbird_error(422, "group: nope doesn't exist")
    );
    assert_eq!(
        api.send(
            "PUT",
            &path,
            Some(json!({"role": "admin", "auto_groups": [ALL_GROUP_ID], "is_blocked": false}))
        )
        .await
        .0,
        422
    );
    assert_eq!(
        api.send("PUT", &path, Some(json!({"auto_groups": []})))
            .await
            .0,
        422,
        "no role"
    );
    assert_eq!(
        api.send(
            "PUT",
            "/api/users/google-oauth2%7C0",
            Some(json!({"role": "user"}))
        )
        .await,
        netbird_error(404, "user: google-oauth2|0 not found")
    );
    assert_eq!(
        api.raw_body("PUT", &path, "{\"role\": ").await,
        netbird_error(400, "couldn't parse JSON request")
    );
    assert_eq!(api.send("DELETE", &path, None).await, (200, json!({})));
    assert_eq!(api.send("DELETE", &path, None).await.0, 404);
}

#[tokio::test]
async fn group_names_are_unique_and_used_groups_cannot_be_deleted() {
    let api = Api::start(NetbirdModel::default()).await;
    let (status, group) = api
        .send("POST", "/api/groups", Some(json!({"name": "devs"})))
        .await;
    assert_eq!(status, 200);
    assert_eq!(group["peers"], json!([]));
    assert_eq!(group["peers_count"], 0);
    assert_eq!(
        api.send("POST", "/api/groups", Some(json!({"name": "devs"})))
            .await,
        netbird_error(409, "group with name devs already exists")
    );
    assert_eq!(
        api.send("POST", "/api/groups", Some(json!({"name": " "})))
            .await
            .0,
        422
    );
    let (status, found) = api.send("GET", "/api/groups?name=devs", None).await;
    assert_eq!((status, found[0]["id"].clone()), (200, group["id"].clone()));
    assert_eq!(api.send("GET", "/api/groups?name=nope", None).await.0, 404);
    let id = group["id"].as_str().expect("id").to_owned();
    api.emulator.with_model(|m| {
        let user = m.add_user("hal@company.com", "user");
        m.user_mut(&user).expect("user").auto_groups = vec![id.clone()];
    });
    assert_eq!(
        api.send("DELETE", &format!("/api/groups/{id}"), None).await,
        netbird_error(422, "group has been linked to user: hal@company.com")
    );
    assert_eq!(
        api.send("DELETE", &format!("/api/groups/{ALL_GROUP_ID}"), None)
            .await,
        netbird_error(422, "deleting group ALL is not allowed")
    );
    assert_eq!(api.send("DELETE", "/api/groups/nope", None).await.0, 404);
    assert_eq!(api.send("GET", "/api/groups/nope", None).await.0, 404);
}

#[tokio::test]
async fn put_group_replaces_name_peers_and_resources() {
    let api = Api::start(NetbirdModel::default()).await;
    let (group, peer) = api
        .emulator
        .with_model(|m| (m.add_group("ops"), m.add_peer("host-1")));
    let path = format!("/api/groups/{group}");
    let (status, body) = api
        .send(
            "PUT",
            &path,
            Some(json!({"name": "operations", "peers": [peer], "resources": [{"id": "r1", "type": "host"}]})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["peers"], json!([{"id": peer, "name": "host-1"}]));
    assert_eq!(body["resources_count"], 1);
    assert_eq!(
        api.send("PUT", &path, Some(json!({"name": "x", "peers": ["ghost"]})))
            .await,
        netbird_error(422, "peer: ghost not found")
    );
    assert_eq!(
        api.send(
            "PUT",
            &format!("/api/groups/{ALL_GROUP_ID}"),
            Some(json!({"name": "Everyone"}))
        )
        .await
        .0,
        422
    );
    assert_eq!(
        api.send("PUT", &path, Some(json!({"name": "All"}))).await.0,
        409,
        "another group's name"
    );
}

#[tokio::test]
async fn a_dump_seeds_the_next_run() {
    use roster_testkit::Model;
    use roster_testkit::snapshot;
    let seed = snapshot::parse(
        r#"{
            "users": [
                {"email": "ivy@company.com", "role": "Member", "display_name": "Ivy"},
                {"email": "jon@company.com", "role": "network_admin"}
            ],
            "tenants": [{"name": "devs"}, {"name": "ops"}],
            "memberships": [
                {"tenant": "devs", "user": "ivy@company.com"},
                {"tenant": "ops", "user": "ivy@company.com"}
            ]
        }"#,
        "seed.json",
    )
    .expect("parse");
    let mut model = NetbirdModel::default();
    model.seed(&seed).expect("seed");
    let ivy = model.user_by_email("ivy@company.com").expect("ivy").clone();
    assert_eq!((ivy.role.as_str(), ivy.name.as_str()), ("user", "Ivy"));
    assert_eq!(ivy.auto_groups.len(), 2);
    let dump = model.snapshot().expect("dump");
    assert_eq!(
        dump.clone().sorted().memberships,
        seed.clone().sorted().memberships
    );
    let mut next = NetbirdModel::default();
    next.seed(&dump).expect("a dump seeds");
    assert_eq!(next.snapshot().expect("dump").sorted(), dump.sorted());

    let keyed = snapshot::parse(
        r#"{"users": [{"email": "k@company.com"}], "tenants": [{"name": "t"}],
            "memberships": [{"tenant": "t", "user": "k@company.com",
                             "wireguard_key": "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="}]}"#,
        "s.json",
    )
    .expect("parse");
    assert!(NetbirdModel::default().seed(&keyed).is_err());
    let bad_role = snapshot::parse(
        r#"{"users": [{"email": "r@company.com", "role": "root"}]}"#,
        "s.json",
    )
    .expect("parse");
    assert!(
        NetbirdModel::default()
            .seed(&bad_role)
            .unwrap_err()
            .contains("root")
    );
}

fn encoded(id: &str) -> String {
    id.replace('|', "%7C")
}

#[tokio::test]
async fn users_waiting_for_approval_are_blocked_until_approved() {
    let api = Api::start(NetbirdModel::default()).await;
    let id = api
        .emulator
        .with_model(|m| m.add_pending_user("wait@company.com"));
    let (_, users) = api.send("GET", "/api/users", None).await;
    let waiting = users
        .as_array()
        .expect("list")
        .iter()
        .find(|u| u["id"] == id.as_str())
        .cloned()
        .expect("listed");
    assert_eq!(
        (
            &waiting["status"],
            &waiting["is_blocked"],
            &waiting["pending_approval"]
        ),
        (&json!("blocked"), &json!(true), &json!(true)),
        "as NetBird reports a user it holds for approval"
    );
    let path = format!("/api/users/{}/approve", encoded(&id));
    let (status, approved) = api.send("POST", &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(approved["id"], id.as_str());
    assert_eq!(
        (
            &approved["status"],
            &approved["is_blocked"],
            &approved["pending_approval"]
        ),
        (&json!("active"), &json!(false), &json!(false))
    );
    assert_eq!(
        api.send("POST", &path, None).await,
        netbird_error(422, &format!("user {id} is not pending approval"))
    );
    let (status, _) = api.send("GET", &path, None).await;
    assert_eq!(status, 405, "approve is a POST");
}

#[tokio::test]
async fn reject_removes_only_a_user_waiting_for_approval() {
    let api = Api::start(NetbirdModel::default()).await;
    let (waiting, active) = api.emulator.with_model(|m| {
        (
            m.add_pending_user("wait@company.com"),
            m.add_user("active@company.com", "user"),
        )
    });
    let reject = |id: &str| format!("/api/users/{}/reject", encoded(id));
    assert_eq!(
        api.send("DELETE", &reject(&active), None).await,
        netbird_error(422, &format!("user {active} is not pending approval"))
    );
    assert_eq!(
        api.send("DELETE", &reject(&waiting), None).await,
        (200, json!({}))
    );
    assert!(api.emulator.with_model(|m| m.user(&waiting).is_none()));
    assert!(api.emulator.with_model(|m| m.user(&active).is_some()));
    assert_eq!(
        api.send("DELETE", &reject(&waiting), None).await,
        netbird_error(404, &format!("user: {waiting} not found"))
    );
    assert_eq!(
        api.send("POST", "/api/users/nobody/approve", None).await,
        netbird_error(404, "user: nobody not found")
    );
    let (status, _) = api.send("POST", &reject(&active), None).await;
    assert_eq!(status, 405, "reject is a DELETE");
}

#[tokio::test]
async fn faithful_answers_carry_every_documented_field() {
    let api = Api::start(NetbirdModel::default().faithful()).await;
    let (_, users) = api.send("GET", "/api/users", None).await;
    let users = users.as_array().expect("list").clone();
    let by_id = |id: &str| {
        users
            .iter()
            .find(|u| u["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} listed"))
    };
    for user in &users {
        for field in [
            "id",
            "email",
            "name",
            "role",
            "status",
            "last_login",
            "auto_groups",
            "is_current",
            "is_service_user",
            "is_blocked",
            "pending_approval",
            "issued",
        ] {
            assert!(user.get(field).is_some(), "{field} in {user}");
        }
        assert!(user.get("password").is_none(), "never in a list: {user}");
    }
    assert_eq!(by_id(OWNER_ID)["last_login"], OWNER_LAST_LOGIN);
    let pending = by_id(PENDING_ID);
    assert_eq!(pending["pending_approval"], true);
    assert_eq!(pending["last_login"], NEVER, "Go's zero time");
    assert_eq!(by_id(UNKNOWN_ROLE_ID)["role"], "policy_admin");
    assert_eq!(by_id(UNKNOWN_STATUS_ID)["status"], "dormant");

    let (_, me) = api.send("GET", "/api/users/current", None).await;
    assert_eq!(me["permissions"]["is_restricted"], false);
    assert_eq!(me["permissions"]["modules"]["users"]["read"], true);

    let (status, created) = api
        .send(
            "POST",
            "/api/users",
            Some(
                json!({"email": "pw@company.com", "role": "user", "auto_groups": [],
                        "is_service_user": false}),
            ),
        )
        .await;
    assert_eq!(status, 200);
    let password = created["password"].as_str().expect("a password").to_owned();
    assert!(password.len() >= 16, "{password}");
    assert_eq!(created["last_login"], NEVER);
    assert_eq!(
        api.emulator.with_model(|m| m.issued_passwords().to_vec()),
        vec![password.clone()]
    );
    {
        use roster_testkit::Model;
        assert_eq!(
            api.emulator.with_model(|m| m.issued_secrets()),
            vec![password.clone()],
            "the secrets check learns the password"
        );
    }
    let (_, robot) = api
        .send(
            "POST",
            "/api/users",
            Some(json!({"name": "robot", "role": "user", "auto_groups": [],
                        "is_service_user": true})),
        )
        .await;
    assert!(robot.get("password").is_none(), "service users get none");
    let (_, listed) = api.send("GET", "/api/users", None).await;
    assert!(
        !listed.to_string().contains(&password),
        "the password is shown once"
    );
}

#[tokio::test]
async fn the_plain_emulator_answers_as_before() {
    let api = Api::start(NetbirdModel::default()).await;
    let (_, users) = api.send("GET", "/api/users", None).await;
    assert_eq!(users.as_array().map(Vec::len), Some(1), "only the owner");
    assert!(users[0].get("last_login").is_none());
    assert_eq!(users[0]["pending_approval"], false);
    let (_, me) = api.send("GET", "/api/users/current", None).await;
    assert!(me.get("permissions").is_none());
    let (_, created) = api
        .send(
            "POST",
            "/api/users",
            Some(
                json!({"email": "np@company.com", "role": "user", "auto_groups": [],
                        "is_service_user": false}),
            ),
        )
        .await;
    assert!(created.get("password").is_none());
    assert!(api.emulator.with_model(|m| m.issued_passwords().is_empty()));
}

#[test]
fn the_faithful_fixtures_stay_out_of_dumps() {
    use roster_testkit::Model;
    let model = NetbirdModel::default().faithful();
    assert!(model.user(PENDING_ID).is_some());
    let dump = model.snapshot().expect("dump");
    assert!(dump.users.is_empty(), "{:?}", dump.users);
    let mut next = NetbirdModel::default().faithful();
    next.seed(&dump)
        .expect("a faithful dump seeds a faithful model");
}

/// The contract suite's counts are honest: a check that meets a server
/// which refuses to block fails (it is neither passed nor skipped), the
/// checks whose capabilities NetBird lacks are skipped with the capability
/// named, and every check is counted once.
#[tokio::test]
async fn the_contract_suite_counts_a_failure_and_names_each_skip() {
    use std::sync::Arc;

    use roster_core::Directory;
    use roster_testkit::contract::{CHECKS, CheckResult, Through, run_suite};
    use wiremock::matchers::{body_partial_json, method};
    use wiremock::{Mock, ResponseTemplate};

    let setup = || async {
        let emulator = Emulator::start(NetbirdModel::default()).await;
        Mock::given(method("PUT"))
            .and(body_partial_json(json!({"is_blocked": true})))
            .respond_with(ResponseTemplate::new(500).set_body_json(json!({"message": "no"})))
            .mount(emulator.server())
            .await;
        let config = roster_netbird::NetbirdConfig::personal_access_token(
            roster_http::SecretString::from(NETBIRD_TOKEN.to_owned()),
        )
        .with_base_url(emulator.base_url());
        let client = roster_netbird::NetbirdClient::new(config).expect("client");
        (emulator, Arc::new(client) as Arc<dyn Directory>)
    };
    let report = run_suite("refuses-to-block", Through::Adapter, setup).await;
    let result = |name: &str| {
        report
            .results
            .iter()
            .find(|(check, _)| *check == name)
            .map(|(_, result)| result.clone())
            .unwrap_or_else(|| panic!("{name} did not run"))
    };
    match result("status_changes") {
        CheckResult::Failed(message) => {
            assert!(message.contains(&report.provider), "{message}");
            assert!(message.contains("blocked"), "{message}");
        }
        other => panic!("status_changes: {other:?}"),
    }
    assert_eq!(
        result("tenant_roles_of_memberships"),
        CheckResult::Skipped("capability off: membership_roles".into())
    );
    assert!(matches!(result("user_crud"), CheckResult::Passed(_)));
    assert_eq!(report.failed(), 1, "{}", report.render());
    assert_eq!(
        report.passed() + report.skipped() + report.failed(),
        CHECKS.len()
    );
    let summary = report.summary();
    assert!(
        summary.ends_with(&format!(
            ": {} passed, 1 failed, {} skipped",
            report.passed(),
            report.skipped()
        )),
        "{summary}"
    );
    assert!(report.render().contains("  FAILED   status_changes: "));
}
