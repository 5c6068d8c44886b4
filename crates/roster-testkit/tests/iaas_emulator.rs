#![cfg(feature = "iaas")]
//! The IaaS emulator's own rules, driven with raw HTTP: the answers an
//! adapter never provokes because it refuses bad input first.

use roster_testkit::Emulator;
use roster_testkit::contract::random_wireguard_key;
use roster_testkit::iaas::{IAAS_TOKEN, IaasModel};
use serde_json::{Value, json};

struct Api {
    emulator: Emulator<IaasModel>,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Self {
        roster_http::install_crypto_provider();
        Api {
            emulator: Emulator::start(IaasModel::default()).await,
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send_as(IAAS_TOKEN, method, path, body).await
    }

    async fn send_as(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.emulator.base_url());
        let mut request = self
            .http
            .request(method.parse().expect("method"), url)
            .bearer_auth(token);
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
}

#[tokio::test]
async fn a_wrong_or_missing_token_is_401_with_fastapis_shape() {
    let api = Api::start().await;
    let (status, body) = api.send_as("wrong", "GET", "/users", None).await;
    assert_eq!(
        (status, body),
        (401, json!({"detail": "Not authenticated"}))
    );
    let url = format!("{}/users", api.emulator.base_url());
    let bare = api.http.get(url).send().await.expect("send");
    assert_eq!(bare.status().as_u16(), 401);
    assert_eq!(bare.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn invalid_bodies_are_422_with_loc_msg_type() {
    let api = Api::start().await;
    let (status, body) = api
        .send(
            "POST",
            "/users",
            Some(json!({"email": "not-an-email", "role": "king"})),
        )
        .await;
    assert_eq!(status, 422);
    let locs: Vec<&Value> = body["detail"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| &d["loc"])
        .collect();
    assert_eq!(locs, [&json!(["body", "email"]), &json!(["body", "role"])]);
    assert!(
        body["detail"][0]["msg"]
            .as_str()
            .expect("msg")
            .contains("email")
    );

    let (status, body) = api
        .send("POST", "/users", Some(json!({"role": "member"})))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["type"], "missing");

    let url = format!("{}/users", api.emulator.base_url());
    let raw = api
        .http
        .post(url)
        .bearer_auth(IAAS_TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(raw.status().as_u16(), 422);

    let (status, body) = api.send("DELETE", "/users/not-a-uuid", None).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["path", "user_id"]));
}

#[tokio::test]
async fn users_crud_duplicates_and_unknown_ids() {
    let api = Api::start().await;
    let (status, alice) = api
        .send(
            "POST",
            "/users",
            Some(json!({"email": "a@x.io", "role": "member", "ssh_key_id": null})),
        )
        .await;
    assert_eq!(status, 200);
    let id = alice["id"].as_str().expect("id").to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "uuid ids");

    let (status, _) = api
        .send(
            "POST",
            "/users",
            Some(json!({"email": "A@X.io", "role": "member"})),
        )
        .await;
    assert_eq!(status, 409, "emails are unique ignoring case");

    let (status, updated) = api
        .send(
            "PUT",
            &format!("/users/{id}"),
            Some(json!({"email": "a@x.io", "role": "operator", "ssh_key_id": null})),
        )
        .await;
    assert_eq!((status, &updated["role"]), (200, &json!("operator")));

    let unknown = uuid::Uuid::new_v4();
    let (status, body) = api.send("DELETE", &format!("/users/{unknown}"), None).await;
    assert_eq!((status, body), (404, json!({"detail": "User not found"})));
    let (status, _) = api.send("DELETE", &format!("/users/{id}"), None).await;
    assert_eq!(status, 204);

    let (status, _) = api.send("PATCH", "/users", None).await;
    assert_eq!(status, 405);
    let (status, _) = api.send("GET", "/nothing-here", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn one_tenant_per_user_and_cascades() {
    let api = Api::start().await;
    let key = random_wireguard_key();
    let (user, first, second) = api.emulator.with_model(|m| {
        let user = m.add_user("u@x.io", "member");
        (user, m.add_tenant("first"), m.add_tenant("second"))
    });
    let pubkey = json!({"pubkey": key.as_str()});

    let (status, body) = api
        .send(
            "PUT",
            &format!("/tenants/{first}/users/{user}"),
            Some(json!({"pubkey": "short"})),
        )
        .await;
    assert_eq!(
        (status, &body["detail"][0]["loc"]),
        (422, &json!(["body", "pubkey"]))
    );
    let (status, _) = api
        .send(
            "PUT",
            &format!("/tenants/{first}/users/{user}"),
            Some(pubkey.clone()),
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = api
        .send(
            "PUT",
            &format!("/tenants/{second}/users/{user}"),
            Some(pubkey.clone()),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let tenant_of = |api: &Api| {
        api.emulator
            .with_model(|m| m.tenant_of(user).map(|t| t.id.clone()))
    };
    assert_eq!(tenant_of(&api), Some(first.clone()));

    // POST /tenants reassigns the users it lists, as the server's own
    // description says.
    let (status, created) = api
        .send(
            "POST",
            "/tenants",
            Some(json!({"name": "third", "users": [{"user_id": user, "pubkey": key.as_str()}]})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(created["users"][0]["id"], json!(user));
    let third = created["id"].as_str().expect("id").to_owned();
    assert_eq!(tenant_of(&api), Some(third));

    let (status, _) = api
        .send(
            "POST",
            "/tenants",
            Some(json!({"name": "third", "users": []})),
        )
        .await;
    assert_eq!(status, 409, "tenant names are unique");

    let (status, _) = api
        .send("DELETE", &format!("/tenants/{first}/users/{user}"), None)
        .await;
    assert_eq!(status, 404, "not a member there any more");
    let (status, _) = api.send("DELETE", &format!("/users/{user}"), None).await;
    assert_eq!(status, 204);
    let (_, tenants) = api.send("GET", "/tenants", None).await;
    assert!(
        tenants
            .as_array()
            .expect("list")
            .iter()
            .all(|t| t["users"] == json!([])),
        "{tenants}"
    );
}
