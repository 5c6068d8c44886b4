#![cfg(feature = "astra")]
//! The Astra emulator's own rules, driven with raw HTTP: PascalCase answers,
//! invitations and re-invitations, and the answers an adapter never
//! provokes because it refuses bad input first.

use roster_testkit::Emulator;
use roster_testkit::astra::{
    ASTRA_TOKEN, AstraModel, BUILT_IN_ROLES, FAITHFUL_ROLE, FAITHFUL_USERS,
};
use serde_json::{Value, json};

struct Api {
    emulator: Emulator<AstraModel>,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Self {
        Self::with(AstraModel::default()).await
    }

    async fn with(model: AstraModel) -> Self {
        roster_http::install_crypto_provider();
        Api {
            emulator: Emulator::start(model).await,
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send_with(Some(ASTRA_TOKEN), method, path, body).await
    }

    async fn send_with(
        &self, token: Option<&str>, method: &str, path: &str, body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.emulator.base_url());
        let mut request = self.http.request(method.parse().expect("method"), url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("emulator answers JSON")
        };
        (status, json)
    }

    fn org(&self) -> String {
        self.emulator.with_model(|m| m.org_id.clone())
    }

    fn role(&self, name: &str) -> String {
        self.emulator
            .with_model(|m| m.role_id(name))
            .expect("built-in role")
    }
}

fn first_message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().expect("errors body")
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_401_with_an_errors_body() {
    let api = Api::start().await;
    for token in [None, Some("AstraCS:wrong")] {
        let (status, body) = api
            .send_with(token, "GET", "/v2/organizations/users", None)
            .await;
        assert_eq!(status, 401);
        assert_eq!(body["errors"][0]["ID"], 401);
        assert!(!first_message(&body).is_empty());
    }
}

#[tokio::test]
async fn answers_use_pascal_case_and_policies_are_strings() {
    let api = Api::start().await;
    let (status, roles) = api.send("GET", "/v2/organizations/roles", None).await;
    assert_eq!(status, 200);
    let roles = roles.as_array().expect("array");
    assert_eq!(roles.len(), BUILT_IN_ROLES.len());
    let policy = roles[0]["Policy"].as_str().expect("policy string");
    let policy: Value = serde_json::from_str(policy).expect("JSON inside");
    assert_eq!(policy["effect"], "allow");
    let id = roles[0]["ID"].as_str().expect("id");
    let (status, one) = api
        .send("GET", &format!("/v2/organizations/roles/{id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["Name"], roles[0]["Name"]);
    let (status, _) = api.send("GET", "/v2/organizations/roles/nope", None).await;
    assert_eq!(status, 404);

    let (status, org) = api.send("GET", "/v2/currentOrg", None).await;
    assert_eq!(status, 200);
    assert_eq!(org, json!({"id": api.org(), "name": "Emulated Org"}));
    let (_, users) = api.send("GET", "/v2/organizations/users", None).await;
    assert_eq!(
        users,
        json!({"OrgID": api.org(), "OrgName": "Emulated Org", "Users": []})
    );
}

#[tokio::test]
async fn an_invitation_answers_200_without_an_id_and_a_second_one_resends() {
    let api = Api::start().await;
    let read_only = api.role("Read Only User");
    let body = json!({"email": "a@example.com", "orgID": api.org(), "roles": [read_only]});
    let (status, answer) = api.send("PUT", "/v2/organizations/users", Some(body)).await;
    assert_eq!((status, answer), (200, Value::Null));
    let (_, users) = api.send("GET", "/v2/organizations/users", None).await;
    let user = &users["Users"][0];
    assert_eq!(user["Email"], "a@example.com");
    assert_eq!(user["Status"], "invited");
    assert_eq!(user["Roles"][0]["ID"], read_only.as_str());
    assert_eq!(user["Roles"][0]["Name"], "Read Only User");

    let admin = api.role("Organization Administrator");
    let again = json!({"email": "A@Example.com", "orgID": api.org(), "roles": [admin]});
    let (status, _) = api
        .send("PUT", "/v2/organizations/users", Some(again.clone()))
        .await;
    assert_eq!(status, 200);
    api.emulator.with_model(|m| {
        assert_eq!(m.users.len(), 1);
        assert_eq!(m.invitations, ["a@example.com", "A@Example.com"]);
        assert_eq!(m.role_names(&m.users[0]), ["Organization Administrator"]);
    });

    // Once accepted, inviting again is a conflict.
    api.emulator
        .with_model(|m| assert!(m.accept_invitation("a@example.com")));
    let (status, body) = api
        .send("PUT", "/v2/organizations/users", Some(again))
        .await;
    assert_eq!(status, 409);
    assert!(first_message(&body).contains("already a member"));
}

#[tokio::test]
async fn invitations_are_validated() {
    let api = Api::start().await;
    let role = api.role("R/W User");
    let org = api.org();
    let cases = [
        (
            json!({"email": "not-an-email", "orgID": org, "roles": [role]}),
            400,
        ),
        (json!({"orgID": org, "roles": [role]}), 400),
        (json!({"email": "a@example.com", "roles": [role]}), 400),
        (
            json!({"email": "a@example.com", "orgID": "another-org", "roles": [role]}),
            403,
        ),
        (
            json!({"email": "a@example.com", "orgID": org, "roles": []}),
            400,
        ),
        (
            json!({"email": "a@example.com", "orgID": org, "roles": ["R/W User"]}),
            400,
        ),
        (json!({"email": "a@example.com", "orgID": org}), 400),
    ];
    for (body, expected) in cases {
        let (status, answer) = api
            .send("PUT", "/v2/organizations/users", Some(body.clone()))
            .await;
        assert_eq!(status, expected, "{body}");
        assert!(!first_message(&answer).is_empty());
    }
    assert!(api.emulator.with_model(|m| m.users.is_empty()));
}

#[tokio::test]
async fn roles_are_replaced_and_users_deleted_with_204() {
    let api = Api::start().await;
    let id = api
        .emulator
        .with_model(|m| m.add_user("b@example.com", "active", &["Read Only User"]));
    let admin = api.role("Organization Administrator");
    let path = format!("/v2/organizations/users/{id}/roles");
    let (status, _) = api
        .send("PUT", &path, Some(json!({"roles": [admin]})))
        .await;
    assert_eq!(status, 204);
    let (status, user) = api
        .send("GET", &format!("/v2/organizations/users/{id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        user["Roles"],
        json!([{"ID": admin, "Name": "Organization Administrator"}])
    );
    let (status, _) = api
        .send("PUT", &path, Some(json!({"roles": ["nope"]})))
        .await;
    assert_eq!(status, 400);
    let (status, _) = api
        .send(
            "PUT",
            "/v2/organizations/users/nobody/roles",
            Some(json!({"roles": [admin]})),
        )
        .await;
    assert_eq!(status, 404);

    let user_path = format!("/v2/organizations/users/{id}");
    assert_eq!(api.send("DELETE", &user_path, None).await.0, 204);
    assert_eq!(api.send("DELETE", &user_path, None).await.0, 404);
    assert_eq!(api.send("GET", &user_path, None).await.0, 404);
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let api = Api::start().await;
    assert_eq!(api.send("GET", "/v2/databases", None).await.0, 404);
    assert_eq!(
        api.send("POST", "/v2/organizations/users", None).await.0,
        405
    );
    assert_eq!(api.send("DELETE", "/v2/currentOrg", None).await.0, 405);
    let (status, _) = api.send("PUT", "/v2/organizations/users", None).await;
    assert_eq!(status, 400, "no body");
}

#[tokio::test]
async fn an_invitation_takes_several_roles() {
    let api = Api::start().await;
    let roles = [api.role("R/W User"), api.role("Billing Administrator")];
    let body = json!({"email": "two@example.com", "orgID": api.org(), "roles": roles});
    let (status, _) = api.send("PUT", "/v2/organizations/users", Some(body)).await;
    assert_eq!(status, 200);
    let (_, users) = api.send("GET", "/v2/organizations/users", None).await;
    assert_eq!(
        users["Users"][0]["Roles"],
        json!([{"ID": roles[0], "Name": "R/W User"}, {"ID": roles[1], "Name": "Billing Administrator"}])
    );
}

#[tokio::test]
async fn custom_roles_are_created_replaced_and_deleted() {
    let api = Api::start().await;
    let policy = json!({"description": "keyspaces", "resources": [format!("drn:astra:org:{}", api.org())],
        "actions": ["db-all-keyspace-create"], "effect": "allow"});
    let (status, created) = api
        .send(
            "POST",
            "/v2/organizations/roles",
            Some(json!({"name": "Creator", "policy": policy})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(created["Name"], "Creator");
    let id = created["ID"].as_str().expect("id").to_owned();
    let stored: Value =
        serde_json::from_str(created["Policy"].as_str().expect("a string")).expect("JSON inside");
    assert_eq!(stored, policy);
    let (status, _) = api
        .send(
            "POST",
            "/v2/organizations/roles",
            Some(json!({"name": "creator", "policy": policy})),
        )
        .await;
    assert_eq!(status, 409, "names are unique, ignoring case");

    let path = format!("/v2/organizations/roles/{id}");
    let mut changed = policy.clone();
    changed["actions"] = json!(["db-cql"]);
    let (status, answer) = api
        .send(
            "PUT",
            &path,
            Some(json!({"name": "Maker", "policy": changed})),
        )
        .await;
    assert_eq!((status, answer), (200, Value::Null), "no body");
    let (_, role) = api.send("GET", &path, None).await;
    assert_eq!(role["Name"], "Maker");
    assert!(role["Policy"].as_str().expect("string").contains("db-cql"));

    // Held by a user, it cannot be deleted; then it can, once.
    let user = api
        .emulator
        .with_model(|m| m.add_user("h@example.com", "active", &["Maker"]));
    assert_eq!(api.send("DELETE", &path, None).await.0, 409);
    api.send("DELETE", &format!("/v2/organizations/users/{user}"), None)
        .await;
    assert_eq!(api.send("DELETE", &path, None).await.0, 204);
    assert_eq!(api.send("DELETE", &path, None).await.0, 404);
    assert_eq!(api.send("GET", &path, None).await.0, 404);
    assert_eq!(
        api.send("PUT", &path, Some(json!({"name": "x", "policy": policy})))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn role_bodies_are_validated_and_built_in_roles_are_fixed() {
    let api = Api::start().await;
    let policy =
        json!({"description": "d", "resources": [], "actions": ["org-read"], "effect": "allow"});
    let cases = [
        json!({"policy": policy}),
        json!({"name": " ", "policy": policy}),
        json!({"name": "n"}),
        json!({"name": "n", "policy": {"resources": [], "actions": [], "effect": "allow"}}),
        json!({"name": "n", "policy": {"description": "d", "resources": [1], "actions": [], "effect": "allow"}}),
        json!({"name": "n", "policy": {"description": "d", "resources": [], "actions": [], "effect": "deny"}}),
    ];
    for body in cases {
        let (status, answer) = api
            .send("POST", "/v2/organizations/roles", Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(!first_message(&answer).is_empty());
    }
    let admin = api.role("Organization Administrator");
    let path = format!("/v2/organizations/roles/{admin}");
    let body = json!({"name": "Boss", "policy": policy});
    assert_eq!(api.send("PUT", &path, Some(body)).await.0, 403);
    assert_eq!(api.send("DELETE", &path, None).await.0, 403);
    let count = api.emulator.with_model(|m| m.roles.len());
    assert_eq!(count, BUILT_IN_ROLES.len(), "nothing was created");
}

#[tokio::test]
async fn the_faithful_switch_sends_everything_the_spec_allows() {
    let api = Api::with(AstraModel::default().faithful()).await;
    let custom = api.role(FAITHFUL_ROLE);
    let accepted = api
        .emulator
        .with_model(|m| m.add_user("member@example.com", "active", &["R/W User", FAITHFUL_ROLE]));

    // First answer: live PascalCase.
    let (_, pascal) = api.send("GET", "/v2/organizations/users", None).await;
    assert_eq!(pascal["OrgType"], "enterprise", "a key nobody asked for");
    let users = pascal["Users"].as_array().expect("users");
    assert_eq!(users.len(), FAITHFUL_USERS.len() + 1);
    // The service account: no email, no status, four roles: a nameless
    // custom one, a built-in one, one without an id, one with neither.
    let service = &users[0];
    assert!(service.get("Email").is_none() && service.get("Status").is_none());
    assert_eq!(
        service["Roles"],
        json!([{"ID": custom}, {"ID": api.role("Read Only User"), "Name": "Read Only User"},
               {"Name": "Legacy Viewer"}, {}])
    );
    assert_eq!(service["IdpType"], "password");
    assert_eq!(users[1]["Status"], "deactivated", "a status never seen");
    assert_eq!(users[2]["Status"], "pending_sso_link");
    // An active user at an odd position says `Active`.
    assert_eq!(users[3]["UserID"], accepted.as_str());
    assert_eq!(users[3]["Status"], "Active");

    // Second answer: the spec's camelCase.
    let (_, camel) = api.send("GET", "/v2/organizations/users", None).await;
    assert_eq!(camel["orgID"], api.org());
    assert_eq!(camel["users"][0]["roles"][0], json!({"id": custom}));
    assert_eq!(camel["users"][3]["status"], "active");
    assert!(camel.get("Users").is_none());

    // An active user at an even position comes without a status.
    api.emulator.with_model(|m| {
        m.users.swap(0, 3);
    });
    let (_, again) = api.send("GET", "/v2/organizations/users", None).await;
    assert_eq!(again["Users"][0]["UserID"], accepted.as_str());
    assert!(again["Users"][0].get("Status").is_none());

    // Roles: camelCase answers carry the policy as an object.
    let (_, roles) = api.send("GET", "/v2/organizations/roles", None).await;
    assert!(roles[0]["policy"].is_object(), "{}", roles[0]);
    let (_, roles) = api.send("GET", "/v2/organizations/roles", None).await;
    assert!(roles[0]["Policy"].is_string(), "{}", roles[0]);
    let (_, org) = api.send("GET", "/v2/currentOrg", None).await;
    let (_, org_again) = api.send("GET", "/v2/currentOrg", None).await;
    let ids = [
        org.get("ID").or(org.get("id")),
        org_again.get("ID").or(org_again.get("id")),
    ];
    assert!(ids.iter().all(|id| *id == Some(&json!(api.org()))));
    assert_ne!(org, org_again, "both casings");
}

#[tokio::test]
async fn a_plain_emulator_has_none_of_it() {
    let api = Api::start().await;
    api.emulator
        .with_model(|m| m.add_user("p@example.com", "active", &["R/W User"]));
    for _ in 0..2 {
        let (_, users) = api.send("GET", "/v2/organizations/users", None).await;
        assert_eq!(users["Users"][0]["Status"], "active");
        assert!(users.get("OrgType").is_none());
    }
}
