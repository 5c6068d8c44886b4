#![cfg(feature = "adverity")]
//! The Adverity emulator's own rules, driven with raw HTTP: the answers an
//! adapter never provokes because it refuses bad input first.

use roster_testkit::Emulator;
use roster_testkit::adverity::{ADVERITY_DATALAKE_ID, ADVERITY_TOKEN, AdverityModel, UserListForm};
use serde_json::{Value, json};

struct Api {
    emulator: Emulator<AdverityModel>,
    http: reqwest::Client,
}

impl Api {
    async fn start(model: AdverityModel) -> Self {
        roster_http::install_crypto_provider();
        Api {
            emulator: Emulator::start(model).await,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        }
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send_raw(
            Some(ADVERITY_TOKEN),
            method,
            path,
            body.map(|b| b.to_string()),
        )
        .await
    }

    async fn send_raw(
        &self, token: Option<&str>, method: &str, path: &str, body: Option<String>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.emulator.base_url());
        let mut request = self.http.request(method.parse().expect("method"), url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
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
async fn a_missing_or_wrong_key_is_drfs_401() {
    let api = Api::start(AdverityModel::default()).await;
    let (status, body) = api.send_raw(None, "GET", "/api/v1/users/", None).await;
    assert_eq!(
        (status, body),
        (
            401,
            json!({"detail": "Authentication credentials were not provided."})
        )
    );
    let (status, body) = api
        .send_raw(Some("wrong"), "GET", "/api/stacks/", None)
        .await;
    assert_eq!((status, body), (401, json!({"detail": "Invalid token."})));
    let url = format!("{}/api/v1/users/", api.emulator.base_url());
    let token_scheme = api
        .http
        .get(url)
        .header("authorization", format!("Token {ADVERITY_TOKEN}"))
        .send()
        .await
        .expect("send");
    assert_eq!(
        token_scheme.status().as_u16(),
        401,
        "user endpoints take Bearer keys only"
    );
    assert_eq!(
        token_scheme.headers()["www-authenticate"],
        "Bearer realm=\"api\""
    );
}

#[tokio::test]
async fn a_path_without_its_trailing_slash_is_redirected() {
    let api = Api::start(AdverityModel::default()).await;
    let url = format!("{}/api/v1/users?page=2", api.emulator.base_url());
    let response = api
        .http
        .get(url)
        .bearer_auth(ADVERITY_TOKEN)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 301);
    assert_eq!(response.headers()["location"], "/api/v1/users/?page=2");
}

#[tokio::test]
async fn users_are_created_read_patched_and_deleted_by_number() {
    let api = Api::start(AdverityModel::default()).await;
    let (_, ws) = api
        .send(
            "POST",
            "/api/stacks/",
            Some(json!({"datalake_id": ADVERITY_DATALAKE_ID, "name": "Team A"})),
        )
        .await;
    let (status, user) = api
        .send(
            "POST",
            "/api/v1/users/",
            Some(json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "groups": [], "workspaces": [ws["id"]], "active": true})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(user["id"], 1);
    assert_eq!(user["workspace_names"], json!(["Team A"]));
    assert_eq!(user["last_login"], Value::Null);
    let (status, patched) = api
        .send("PATCH", "/api/v1/users/1/", Some(json!({"active": false})))
        .await;
    assert_eq!(status, 200);
    assert_eq!(patched["active"], false);
    assert_eq!(
        patched["first_name"], "A",
        "a PATCH keeps what it does not name"
    );
    assert_eq!(patched["workspaces"], json!([ws["id"]]));
    assert_eq!(api.send("DELETE", "/api/v1/users/1/", None).await.0, 204);
    assert_eq!(
        api.send("GET", "/api/v1/users/1/", None).await,
        (404, json!({"detail": "Not found."}))
    );
    assert_eq!(api.send("GET", "/api/v1/users/abc/", None).await.0, 404);
    assert_eq!(
        api.send("PUT", "/api/v1/users/1/", Some(json!({}))).await,
        (405, json!({"detail": "Method \"PUT\" not allowed."}))
    );
}

#[tokio::test]
async fn invalid_user_bodies_are_400_field_errors() {
    let api = Api::start(AdverityModel::default()).await;
    let (status, body) = api
        .send(
            "POST",
            "/api/v1/users/",
            Some(json!({"email": "not-an-email", "workspaces": [99], "active": "yes", "first_name": 5})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({
            "email": ["Enter a valid email address."],
            "workspaces": ["Invalid pk \"99\" - object does not exist."],
            "active": ["Must be a valid boolean."],
            "first_name": ["Not a valid string."],
        })
    );
    let (status, body) = api.send("POST", "/api/v1/users/", Some(json!({}))).await;
    assert_eq!(
        (status, body),
        (400, json!({"email": ["This field is required."]}))
    );
    let (status, body) = api
        .send_raw(
            Some(ADVERITY_TOKEN),
            "POST",
            "/api/v1/users/",
            Some("{\"email\":".into()),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .starts_with("JSON parse error")
    );
    let (status, body) = api.send("POST", "/api/v1/users/", Some(json!([1]))).await;
    assert_eq!(status, 400);
    assert!(body["non_field_errors"].is_array());
}

#[tokio::test]
async fn a_duplicate_email_is_drfs_uniqueness_error() {
    let api = Api::start(AdverityModel::default()).await;
    api.emulator
        .with_model(|m| m.add_user("taken@example.com", "", ""));
    let (status, body) = api
        .send(
            "POST",
            "/api/v1/users/",
            Some(json!({"email": "TAKEN@example.com"})),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"email": ["user with this email already exists."]})
        )
    );
}

#[tokio::test]
async fn lists_paginate_with_page_and_page_size() {
    let api = Api::start(AdverityModel::default()).await;
    api.emulator.with_model(|m| {
        for n in 0..5 {
            m.add_user(&format!("u{n}@example.com"), "", "");
        }
    });
    let (status, body) = api
        .send("GET", "/api/v1/users/?page=2&page_size=2", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["count"], 5);
    let ids: Vec<i64> = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|u| u["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [3, 4]);
    assert!(
        body["next"]
            .as_str()
            .expect("next")
            .ends_with("/api/v1/users/?page=3&page_size=2")
    );
    assert!(
        body["previous"]
            .as_str()
            .expect("previous")
            .contains("page=1")
    );
    let (_, last) = api
        .send("GET", "/api/v1/users/?page=3&page_size=2", None)
        .await;
    assert_eq!(last["next"], Value::Null);
    assert_eq!(
        api.send("GET", "/api/v1/users/?page=4&page_size=2", None)
            .await,
        (404, json!({"detail": "Invalid page."}))
    );
    assert_eq!(
        api.send("GET", "/api/v1/users/?page=zero", None).await.0,
        404
    );
    let (_, defaults) = api.send("GET", "/api/v1/users/?page_size=oops", None).await;
    assert_eq!(
        defaults["results"].as_array().expect("results").len(),
        5,
        "default size 50"
    );
    // An empty list still has a first page.
    let (status, stacks) = api.send("GET", "/api/stacks/?page=1", None).await;
    assert_eq!((status, stacks["results"].clone()), (200, json!([])));
}

#[tokio::test]
async fn page_sizes_are_capped_and_the_bare_form_is_an_array() {
    let mut model = AdverityModel::default().with_user_list_form(UserListForm::BareArray);
    model.max_page_size = 2;
    let api = Api::start(model).await;
    api.emulator.with_model(|m| {
        for n in 0..3 {
            m.add_user(&format!("u{n}@example.com"), "", "");
        }
    });
    let (status, body) = api
        .send("GET", "/api/v1/users/?page=1&page_size=50", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().expect("a bare array").len(), 2);
}

#[tokio::test]
async fn workspaces_are_addressed_by_a_slug_that_never_changes() {
    let api = Api::start(AdverityModel::default()).await;
    let (status, first) = api
        .send(
            "POST",
            "/api/stacks/",
            Some(json!({"datalake_id": 1, "name": "Marketing & Sales!"})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(first["slug"], "marketing-sales");
    let (_, child) = api
        .send(
            "POST",
            "/api/stacks/",
            Some(json!({"datalake_id": 1, "name": "Marketing  Sales", "parent_id": first["id"]})),
        )
        .await;
    assert_eq!(child["slug"], "marketing-sales-2", "slugs are unique");
    assert_eq!(child["parent_id"], first["id"]);
    let (status, renamed) = api
        .send(
            "PATCH",
            "/api/stacks/marketing-sales/",
            Some(json!({"name": "Growth"})),
        )
        .await;
    assert_eq!(
        (status, renamed["slug"].clone()),
        (200, json!("marketing-sales"))
    );
    let (status, fetched) = api.send("GET", "/api/stacks/marketing-sales/", None).await;
    assert_eq!((status, fetched["name"].clone()), (200, json!("Growth")));
    assert_eq!(
        api.send("GET", "/api/stacks/2/", None).await.0,
        404,
        "not by id"
    );
}

#[tokio::test]
async fn invalid_workspace_bodies_are_400_field_errors() {
    let api = Api::start(AdverityModel::default()).await;
    let (status, body) = api
        .send("POST", "/api/stacks/", Some(json!({"name": " "})))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"name": ["This field may not be blank."], "datalake_id": ["This field is required."]})
    );
    let (_, body) = api
        .send(
            "POST",
            "/api/stacks/",
            Some(json!({"name": "X", "datalake_id": 99})),
        )
        .await;
    assert_eq!(
        body,
        json!({"datalake_id": ["Invalid pk \"99\" - object does not exist."]})
    );
    api.send(
        "POST",
        "/api/stacks/",
        Some(json!({"name": "X", "datalake_id": 1})),
    )
    .await;
    let (status, body) = api
        .send(
            "POST",
            "/api/stacks/",
            Some(json!({"name": "X", "datalake_id": 1})),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"name": ["stack with this name already exists."]})
        )
    );
}

#[tokio::test]
async fn deleting_a_workspace_deletes_its_children_and_memberships() {
    let api = Api::start(AdverityModel::default()).await;
    let (_, parent) = api
        .send(
            "POST",
            "/api/stacks/",
            Some(json!({"name": "Parent", "datalake_id": 1})),
        )
        .await;
    let (_, child) = api
        .send(
            "POST",
            "/api/stacks/",
            Some(json!({"name": "Child", "datalake_id": 1, "parent_id": parent["id"]})),
        )
        .await;
    let user = api.emulator.with_model(|m| {
        let user = m.add_user("m@example.com", "", "");
        m.assign(user, parent["id"].as_i64().expect("id"));
        m.assign(user, child["id"].as_i64().expect("id"));
        user
    });
    assert_eq!(api.send("DELETE", "/api/stacks/parent/", None).await.0, 204);
    assert_eq!(api.send("GET", "/api/stacks/child/", None).await.0, 404);
    assert!(
        api.emulator
            .with_model(|m| m.user(user).expect("user").workspaces.is_empty())
    );
    assert_eq!(api.send("DELETE", "/api/stacks/parent/", None).await.0, 404);
}

/// The keys the docs list for a user, and for a workspace.
const USER_KEYS: [&str; 11] = [
    "id",
    "email",
    "first_name",
    "last_name",
    "active",
    "groups",
    "workspaces",
    "workspace_names",
    "created",
    "last_login",
    "last_modified",
];

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn the_faithful_switch_adds_undocumented_keys_to_every_object() {
    for form in [UserListForm::Envelope, UserListForm::BareArray] {
        let mut model = AdverityModel::default().with_user_list_form(form);
        let id = model.add_user("a@example.com", "A", "B");
        let (stack, slug) = model.add_workspace("Team A");
        model.assign(id, stack);
        let plain = Api::start(model.clone()).await;
        let faithful = Api::start(model.faithful()).await;

        let (_, user) = plain.send("GET", "/api/v1/users/1/", None).await;
        let mut documented = USER_KEYS.to_vec();
        documented.sort_unstable();
        assert_eq!(keys(&user), documented, "by default: the documented keys");
        let (status, rich) = faithful.send("GET", "/api/v1/users/1/", None).await;
        assert_eq!(status, 200);
        for key in USER_KEYS {
            assert_eq!(rich[key], user[key], "{key} is as documented");
        }
        assert!(rich.as_object().expect("object").len() > USER_KEYS.len());
        assert_eq!(rich["profile"]["timezone"], Value::Null);
        assert_eq!(rich["last_login"], Value::Null, "never logged in: null");

        let (_, list) = faithful.send("GET", "/api/v1/users/", None).await;
        let listed = match form {
            UserListForm::Envelope => list["results"][0].clone(),
            UserListForm::BareArray => list[0].clone(),
        };
        assert_eq!(listed, rich, "{form:?}: the list shows the same object");

        let (_, ws) = plain
            .send("GET", &format!("/api/stacks/{slug}/"), None)
            .await;
        let (_, rich_ws) = faithful
            .send("GET", &format!("/api/stacks/{slug}/"), None)
            .await;
        assert!(rich_ws.get("url").is_some() && ws.get("url").is_none());
        assert_eq!(rich_ws["color"], Value::Null);
        for key in ["id", "name", "slug", "parent_id", "created", "updated"] {
            assert_eq!(rich_ws[key], ws[key], "{key}");
        }
        let (_, stacks) = faithful.send("GET", "/api/stacks/", None).await;
        assert_eq!(stacks["results"][0], rich_ws);
    }
}

#[tokio::test]
async fn last_login_is_a_timestamp_once_the_user_logged_in() {
    let mut model = AdverityModel::default().faithful();
    let id = model.add_user("a@example.com", "A", "B");
    let api = Api::start(model).await;
    assert_eq!(
        api.send("GET", "/api/v1/users/1/", None).await.1["last_login"],
        Value::Null
    );
    api.emulator.with_model(|m| m.log_in(id));
    let (_, user) = api.send("GET", "/api/v1/users/1/", None).await;
    assert!(
        user["last_login"]
            .as_str()
            .is_some_and(|t| t.starts_with("2025-")),
        "{user}"
    );
}

#[tokio::test]
async fn a_create_honours_groups_and_active_and_a_patch_changes_only_groups() {
    let api = Api::start(AdverityModel::default().faithful().with_groups([2, 5, 9])).await;
    let (status, user) = api
        .send(
            "POST",
            "/api/v1/users/",
            Some(json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "groups": [5, 2], "workspaces": [], "active": false})),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(
        (user["groups"].clone(), user["active"].clone()),
        (json!([5, 2]), json!(false))
    );
    api.emulator.with_model(|m| {
        let stored = m.user(1).expect("stored");
        assert_eq!((stored.groups.clone(), stored.active), (vec![5, 2], false));
    });

    let (status, patched) = api
        .send("PATCH", "/api/v1/users/1/", Some(json!({"groups": [9]})))
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["groups"], json!([9]));
    for key in [
        "email",
        "first_name",
        "last_name",
        "active",
        "workspaces",
        "created",
    ] {
        assert_eq!(patched[key], user[key], "{key} is kept");
    }
    let (status, emptied) = api
        .send("PATCH", "/api/v1/users/1/", Some(json!({"groups": []})))
        .await;
    assert_eq!((status, emptied["groups"].clone()), (200, json!([])));

    // Groups that do not exist are DRF's primary-key errors; nothing changes.
    let (status, body) = api
        .send(
            "PATCH",
            "/api/v1/users/1/",
            Some(json!({"groups": [9, 77]})),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"groups": ["Invalid pk \"77\" - object does not exist."]})
        )
    );
    let (status, body) = api
        .send(
            "POST",
            "/api/v1/users/",
            Some(json!({"email": "b@example.com", "groups": ["x"], "active": "no"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({
            "groups": ["Incorrect type. Expected pk value, received str."],
            "active": ["Must be a valid boolean."]
        })
    );
    api.emulator.with_model(|m| {
        assert_eq!(m.user(1).expect("kept").groups, Vec::<i64>::new());
        assert!(m.user_by_email("b@example.com").is_none());
    });
}
