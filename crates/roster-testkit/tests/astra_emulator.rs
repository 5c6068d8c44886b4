#![cfg(feature = "astra")]
//! The Astra emulator's own rules, driven with raw HTTP: PascalCase answers,
//! invitations and re-invitations, and the answers an adapter never
//! provokes because it refuses bad input first.

use roster_testkit::Emulator;
use roster_testkit::astra::{ASTRA_TOKEN, AstraModel, BUILT_IN_ROLES};
use serde_json::{Value, json};

struct Api {
    emulator: Emulator<AstraModel>,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Self {
        roster_http::install_crypto_provider();
        Api {
            emulator: Emulator::start(AstraModel::default()).await,
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send_with(Some(ASTRA_TOKEN), method, path, body).await
    }

    async fn send_with(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
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
