#![cfg(feature = "iaas")]
//! The IaaS emulator's own rules, driven with raw HTTP: the answers an
//! adapter never provokes because it refuses bad input first.

use roster_testkit::Emulator;
use roster_testkit::contract::random_wireguard_key;
use roster_testkit::iaas::{FAITHFUL_ROLE, IAAS_TOKEN, IaasApi, IaasModel, random_ssh_public_key};
use serde_json::{Value, json};

struct Api {
    emulator: Emulator<IaasModel>,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Self {
        Self::serving(IaasModel::default()).await
    }

    async fn serving(model: IaasModel) -> Self {
        roster_http::install_crypto_provider();
        Api {
            emulator: Emulator::start(model).await,
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send_as(IAAS_TOKEN, method, path, body).await
    }

    async fn send_as(
        &self, token: &str, method: &str, path: &str, body: Option<Value>,
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

// ---------- SSH keys ----------

#[tokio::test]
async fn ssh_keys_list_upload_and_delete() {
    let api = Api::start().await;
    let public_key = random_ssh_public_key("alice@laptop");
    let (status, created) = api
        .send("POST", "/sshkeys", Some(json!({"public_key": public_key})))
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["public_key"], json!(public_key));
    let id = created["id"].as_str().expect("id").to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "uuid ids");
    assert_eq!(
        created.as_object().expect("object").len(),
        2,
        "id and public_key only: {created}"
    );

    let (status, keys) = api.send("GET", "/sshkeys", None).await;
    assert_eq!((status, keys), (200, json!([created])));

    let (status, _) = api.send("DELETE", &format!("/sshkeys/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, body) = api.send("DELETE", &format!("/sshkeys/{id}"), None).await;
    assert_eq!(
        (status, body),
        (404, json!({"detail": "SSH key not found"}))
    );
    let (status, body) = api.send("DELETE", "/sshkeys/not-a-uuid", None).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["path", "key_id"]));
    let (status, _) = api.send("PUT", "/sshkeys", None).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn a_malformed_ssh_key_is_400_and_a_missing_one_422() {
    let api = Api::start().await;
    for bad in [
        json!("not a key"),
        json!("ssh-ed25519"),
        json!("ssh-foo AAAAC3NzaC1lZDI1NTE5"),
        json!("ssh-ed25519 ***"),
        json!("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\nssh-rsa AAAA"),
    ] {
        let (status, body) = api
            .send("POST", "/sshkeys", Some(json!({"public_key": bad})))
            .await;
        assert_eq!(
            (status, body),
            (400, json!({"detail": "Invalid SSH public key format"})),
            "{bad}"
        );
    }
    let (status, body) = api.send("POST", "/sshkeys", Some(json!({}))).await;
    assert_eq!(
        (status, &body["detail"][0]["loc"]),
        (422, &json!(["body", "public_key"]))
    );
    let (status, _) = api
        .send("POST", "/sshkeys", Some(json!({"public_key": 5})))
        .await;
    assert_eq!(status, 422);
    assert!(api.emulator.with_model(|m| m.ssh_keys.is_empty()));
}

#[tokio::test]
async fn a_key_is_assigned_through_the_user_and_cannot_be_deleted_while_assigned() {
    let api = Api::start().await;
    let key = api
        .emulator
        .with_model(|m| m.add_ssh_key(&random_ssh_public_key("k")));
    let (status, user) = api
        .send(
            "POST",
            "/users",
            Some(json!({"email": "k@x.io", "role": "member", "ssh_key_id": key})),
        )
        .await;
    assert_eq!((status, &user["ssh_key_id"]), (200, &json!(key)));
    let id = user["id"].as_str().expect("id").to_owned();

    let (status, body) = api.send("DELETE", &format!("/sshkeys/{key}"), None).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"].as_str().expect("detail").contains("k@x.io"),
        "{body}"
    );
    assert_eq!(api.emulator.with_model(|m| m.ssh_keys.len()), 1, "kept");

    let unknown = uuid::Uuid::new_v4();
    let (status, body) = api
        .send(
            "PUT",
            &format!("/users/{id}"),
            Some(json!({"email": "k@x.io", "role": "member", "ssh_key_id": unknown})),
        )
        .await;
    assert_eq!(
        (status, body),
        (404, json!({"detail": "SSH key not found"}))
    );
    assert_eq!(
        api.emulator
            .with_model(|m| m.user_by_email("k@x.io").and_then(|u| u.ssh_key_id)),
        Some(key),
        "a refused update changes nothing"
    );

    // Unassigning is an update with `ssh_key_id: null`; then the key can go.
    let (status, user) = api
        .send(
            "PUT",
            &format!("/users/{id}"),
            Some(json!({"email": "k@x.io", "role": "member", "ssh_key_id": null})),
        )
        .await;
    assert_eq!((status, &user["ssh_key_id"]), (200, &Value::Null));
    let (status, _) = api.send("DELETE", &format!("/sshkeys/{key}"), None).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn a_key_outlives_its_user() {
    let api = Api::start().await;
    let (user, key) = api.emulator.with_model(|m| {
        let key = m.add_ssh_key(&random_ssh_public_key("k"));
        let user = m.add_user("u@x.io", "member");
        m.users[0].ssh_key_id = Some(key);
        (user, key)
    });
    let (status, _) = api.send("DELETE", &format!("/users/{user}"), None).await;
    assert_eq!(status, 204);
    let (_, keys) = api.send("GET", "/sshkeys", None).await;
    assert_eq!(keys[0]["id"], json!(key));
    let (status, _) = api.send("DELETE", &format!("/sshkeys/{key}"), None).await;
    assert_eq!(status, 204, "no holder any more");
}

// ---------- the 2025-11 API ----------

#[tokio::test]
async fn a_2025_11_server_ignores_users_on_tenant_create() {
    let api = Api::serving(IaasModel::default().with_api(IaasApi::V2025_11)).await;
    let key = random_wireguard_key();
    let (first, second) = api.emulator.with_model(|m| {
        (
            m.add_user("a@x.io", "member"),
            m.add_user("b@x.io", "member"),
        )
    });
    let (status, created) = api
        .send(
            "POST",
            "/tenants",
            Some(json!({"name": "alpha", "users": [{"user_id": first, "pubkey": key.as_str()}]})),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["users"], json!([]), "users dropped unread");
    let alpha = created["id"].as_str().expect("id").to_owned();
    assert!(api.emulator.with_model(|m| m.tenant_of(first).is_none()));

    // Not even read: a malformed `users` is no error there.
    let (status, _) = api
        .send(
            "POST",
            "/tenants",
            Some(json!({"name": "beta", "users": "nonsense"})),
        )
        .await;
    assert_eq!(status, 200);

    // The 2025-11 body is `user_ids`.
    let (status, gamma) = api
        .send(
            "POST",
            "/tenants",
            Some(json!({"name": "gamma", "user_ids": [second]})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(gamma["users"][0]["id"], json!(second));
    let (status, body) = api
        .send(
            "POST",
            "/tenants",
            Some(json!({"name": "delta", "user_ids": ["x"]})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "user_ids", 0]));

    // Its membership PUT has no body: a key sent is not stored, none is needed.
    let (status, _) = api
        .send(
            "PUT",
            &format!("/tenants/{alpha}/users/{first}"),
            Some(json!({"pubkey": key.as_str()})),
        )
        .await;
    assert_eq!(status, 204);
    api.emulator.with_model(|m| {
        let tenant = m.tenant_of(first).expect("added");
        assert_eq!(tenant.id, alpha);
        assert_eq!(tenant.members[0].pubkey, "", "the body was ignored");
    });
    let (status, _) = api
        .send("PUT", &format!("/tenants/{alpha}/users/{second}"), None)
        .await;
    assert_eq!(status, 409, "still one tenant per user");
}

#[tokio::test]
async fn the_current_api_honours_users_and_needs_the_key() {
    let api = Api::start().await;
    let user = api.emulator.with_model(|m| m.add_user("a@x.io", "member"));
    let (status, body) = api
        .send(
            "POST",
            "/tenants",
            Some(json!({"name": "alpha", "user_ids": [user]})),
        )
        .await;
    assert_eq!(
        (status, &body["users"]),
        (200, &json!([])),
        "user_ids is gone"
    );
    let alpha = body["id"].as_str().expect("id").to_owned();
    let (status, body) = api
        .send("PUT", &format!("/tenants/{alpha}/users/{user}"), None)
        .await;
    assert_eq!(status, 422, "{body}");
}

// ---------- faithful answers ----------

#[tokio::test]
async fn faithful_answers_carry_everything_the_spec_allows() {
    let api = Api::serving(IaasModel::default().faithful()).await;
    let key = random_wireguard_key();

    let (status, users) = api.send("GET", "/users", None).await;
    assert_eq!(status, 200);
    let auditor = &users[0];
    assert_eq!(auditor["email"], "auditor@example.com");
    assert_eq!(auditor["role"], FAITHFUL_ROLE, "a role the enum lacks");
    assert!(auditor["ssh_key_id"].is_string(), "{auditor}");
    assert!(auditor["created_at"].is_string(), "an unnamed field");
    let (_, keys) = api.send("GET", "/sshkeys", None).await;
    assert_eq!(keys[0]["id"], auditor["ssh_key_id"]);
    assert!(keys[0]["created_at"].is_string());

    let (status, user) = api
        .send(
            "POST",
            "/users",
            Some(json!({"email": "m@x.io", "role": "member"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(user["ssh_key_id"], Value::Null, "optional, present as null");
    let (status, body) = api
        .send(
            "POST",
            "/users",
            Some(json!({"email": "n@x.io", "role": FAITHFUL_ROLE})),
        )
        .await;
    assert_eq!(status, 422, "requests keep the enum: {body}");

    let (_, tenant) = api
        .send(
            "POST",
            "/tenants",
            Some(json!({"name": "alpha", "users": [{"user_id": user["id"], "pubkey": key.as_str()}]})),
        )
        .await;
    assert!(tenant["project_id"].is_string(), "{tenant}");
    assert_eq!(tenant["users"][0]["pubkey"], json!(key.as_str()));
    let (_, tenants) = api.send("GET", "/tenants", None).await;
    assert_eq!(tenants[0], tenant, "the list answers the same object");

    let (status, me) = api.send("GET", "/users/me", None).await;
    assert_eq!(status, 200);
    assert_eq!(me["name"], Value::Null, "optional, present as null");
    assert!(me["id"].is_string(), "an unnamed field: {me}");
}

#[tokio::test]
async fn plain_answers_are_what_the_guide_shows() {
    let api = Api::start().await;
    let (_, user) = api
        .send(
            "POST",
            "/users",
            Some(json!({"email": "m@x.io", "role": "member", "ssh_key_id": null})),
        )
        .await;
    let fields: Vec<&String> = user.as_object().expect("object").keys().collect();
    assert_eq!(fields, ["email", "id", "role", "ssh_key_id"]);
    let (_, me) = api.send("GET", "/users/me", None).await;
    assert_eq!(
        me,
        json!({"email": "operator@example.com", "name": "Operator", "role": "operator"})
    );
    let (_, users) = api.send("GET", "/users", None).await;
    assert_eq!(users.as_array().map(Vec::len), Some(1), "no extra user");
}
