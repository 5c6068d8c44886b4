#![cfg(feature = "medium-one")]
//! The Medium One emulator's own rules, driven with raw HTTP: sessions,
//! the lockout, SA and TA rules, and the answers an adapter never provokes
//! because it refuses bad input first.

use roster_testkit::Emulator;
use roster_testkit::medium_one::{
    EXTRA_KEY, MAX_BAD_LOGINS, MEDIUMONE_API_KEY, MEDIUMONE_LOGIN, MEDIUMONE_PASSWORD,
    MediumOneModel, RESIDENT_ROLE, RESIDENT_TENANT, RESIDENT_USER, SESSION_COOKIE,
};
use serde_json::{Value, json};

struct Api {
    emulator: Emulator<MediumOneModel>,
    http: reqwest::Client,
}

/// How a request carries its session.
enum Session<'a> {
    None,
    Cookie(&'a str),
    Token(&'a str),
}

impl Api {
    async fn start() -> Self {
        Api::start_with(MediumOneModel::default()).await
    }

    async fn start_with(model: MediumOneModel) -> Self {
        roster_http::install_crypto_provider();
        Api {
            emulator: Emulator::start(model).await,
            http: reqwest::Client::new(),
        }
    }

    async fn login_as(&self, body: Value, query: &str) -> (u16, Option<String>, Value) {
        let url = format!("{}/login/{query}", self.emulator.base_url());
        let response = self.http.post(url).json(&body).send().await.expect("send");
        let status = response.status().as_u16();
        let cookie = response
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().expect("ascii").to_owned());
        let body = response.json().await.expect("JSON");
        (status, cookie, body)
    }

    async fn sa_cookie(&self) -> String {
        let (status, cookie, body) = self
            .login_as(
                json!({"login_id": MEDIUMONE_LOGIN, "password": MEDIUMONE_PASSWORD, "api_key": MEDIUMONE_API_KEY}),
                "",
            )
            .await;
        assert_eq!((status, body), (200, json!(true)));
        let cookie = cookie.expect("set-cookie");
        let pair = cookie.split(';').next().expect("pair");
        pair.strip_prefix(&format!("{SESSION_COOKIE}="))
            .expect("session cookie")
            .to_owned()
    }

    async fn get(&self, session: &Session<'_>, path_and_query: &str) -> (u16, Value) {
        let mut url = format!("{}{path_and_query}", self.emulator.base_url());
        let mut request = self.http.get(&url);
        match session {
            Session::None => {}
            Session::Cookie(value) => {
                request = request.header("cookie", format!("{SESSION_COOKIE}={value}"));
            }
            Session::Token(token) => {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&format!("token={token}"));
                request = self.http.get(&url);
            }
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON"))
    }
}

fn errors(message: &str) -> Value {
    json!({"errors": [message]})
}

#[tokio::test]
async fn no_session_or_an_expired_one_is_401() {
    let api = Api::start().await;
    assert_eq!(
        api.get(&Session::None, "/user_list").await,
        (401, errors("Not logged in"))
    );
    assert_eq!(
        api.get(&Session::Cookie("forged"), "/user_list").await.0,
        401
    );
    let cookie = api.sa_cookie().await;
    assert_eq!(
        api.get(&Session::Cookie(&cookie), "/user_list").await,
        (200, json!([]))
    );
    api.emulator.with_model(MediumOneModel::expire_sessions);
    assert_eq!(
        api.get(&Session::Cookie(&cookie), "/user_list").await.0,
        401
    );
}

#[tokio::test]
async fn no_cookies_answers_a_token_for_the_query() {
    let api = Api::start().await;
    for (body, query) in [
        (
            json!({"login_id": MEDIUMONE_LOGIN, "password": MEDIUMONE_PASSWORD, "api_key": MEDIUMONE_API_KEY, "no_cookies": true}),
            "",
        ),
        (
            json!({"login_id": MEDIUMONE_LOGIN, "password": MEDIUMONE_PASSWORD, "api_key": MEDIUMONE_API_KEY}),
            "?no_cookies=true",
        ),
    ] {
        let (status, cookie, token) = api.login_as(body, query).await;
        assert_eq!(status, 200);
        assert_eq!(cookie, None);
        let token = token.as_str().expect("a JSON string").to_owned();
        assert_eq!(
            api.get(&Session::Token(&token), "/tenant_list").await,
            (200, json!([]))
        );
    }
}

#[tokio::test]
async fn bad_logins_are_400_or_403_then_locked_out() {
    let api = Api::start().await;
    let (status, _, body) = api.login_as(json!({"login_id": MEDIUMONE_LOGIN}), "").await;
    assert_eq!(
        (status, body),
        (400, errors("Missing login_id, password or api_key"))
    );
    let (status, _, _) = api
        .login_as(
            json!({"login_id": "nobody@example.com", "password": "x", "api_key": MEDIUMONE_API_KEY}),
            "",
        )
        .await;
    assert_eq!(status, 403);
    for _ in 1..MAX_BAD_LOGINS {
        let (status, _, body) = api
            .login_as(
                json!({"login_id": MEDIUMONE_LOGIN, "password": "wrong", "api_key": MEDIUMONE_API_KEY}),
                "",
            )
            .await;
        assert_eq!((status, body), (400, errors("Invalid login")));
    }
    let (status, _, body) = api
        .login_as(
            json!({"login_id": MEDIUMONE_LOGIN, "password": MEDIUMONE_PASSWORD, "api_key": MEDIUMONE_API_KEY}),
            "",
        )
        .await;
    assert_eq!(
        (status, body),
        (400, errors("Exceeded bad login count")),
        "even the right password is refused once locked"
    );
}

#[tokio::test]
async fn users_follow_the_documented_rules() {
    let api = Api::start().await;
    let cookie = api.sa_cookie().await;
    let sa = Session::Cookie(&cookie);
    let (status, id) = api
        .get(
            &sa,
            "/user_create?full_name=Test+User&user_name=testuser%2B8%40medium.one",
        )
        .await;
    assert_eq!(status, 200);
    let id = id.as_str().expect("uuid string").to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    assert_eq!(
        api.get(
            &sa,
            "/user_create?full_name=&user_name=TESTUSER%2B8%40medium.one"
        )
        .await,
        (400, errors("User already exists"))
    );
    assert_eq!(
        api.get(&sa, "/user_create?full_name=x&user_name=not-an-email")
            .await
            .0,
        400
    );
    assert_eq!(api.get(&sa, "/user_create?user_name=a%40b.io").await.0, 400);
    let (status, update) = api
        .get(
            &sa,
            "/user_update?param_list=%7B%22field%22:%22full_name%22,%22value%22:%22Mr+Smith%22%7D\
             &param_list=%7B%22field%22:%22city%22,%22value%22:%22Santa+Cruz%22%7D\
             &user_name=testuser%2B8@medium.one",
        )
        .await;
    assert_eq!((status, update), (200, Value::Null));
    api.emulator.with_model(|m| {
        let user = m.user_by_name("testuser+8@medium.one").expect("stored");
        assert_eq!(user.full_name, "Mr Smith");
        assert_eq!(
            user.fields.get("city").map(String::as_str),
            Some("Santa Cruz")
        );
    });
    assert_eq!(
        api.get(
            &sa,
            "/user_update?param_list=%7Bbroken&user_name=testuser%2B8%40medium.one"
        )
        .await
        .0,
        400
    );
    assert_eq!(
        api.get(&sa, "/user_update?param_list=%7B%22field%22:%22password%22,%22value%22:%22x%22%7D&user_name=testuser%2B8%40medium.one").await,
        (400, errors("Unknown field password"))
    );
    let (status, list) = api.get(&sa, "/user_list").await;
    assert_eq!(status, 200);
    assert_eq!(list[0]["user_id"], json!(id));
    assert_eq!(list[0]["api_basic_user"], json!(format!("u_{id}")));
    assert_eq!(
        api.get(&sa, "/user_remove?user_name=testuser%2B8%40medium.one")
            .await,
        (200, Value::Null)
    );
    assert_eq!(
        api.get(&sa, "/user_remove?user_name=testuser%2B8%40medium.one")
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn memberships_and_the_sa_ta_rules() {
    let api = Api::start().await;
    let cookie = api.sa_cookie().await;
    let sa = Session::Cookie(&cookie);
    let (_, tenant) = api.get(&sa, "/tenant_create?tenant_name=Plant+A").await;
    let tenant = tenant.as_str().expect("uuid").to_owned();
    let (_, other) = api.get(&sa, "/tenant_create?tenant_name=Plant+B").await;
    let other = other.as_str().expect("uuid").to_owned();
    assert_eq!(
        api.get(&sa, "/tenant_add_user?role=tenant-user&user_name=a%40b.io")
            .await,
        (400, errors("tenant_id is required"))
    );
    assert_eq!(
        api.get(
            &sa,
            &format!("/tenant_add_user?tenant_id={tenant}&role=owner&user_name=a%40b.io")
        )
        .await
        .0,
        400
    );
    assert_eq!(
        api.get(
            &sa,
            &format!("/tenant_add_user?tenant_id={tenant}&role=tenant-user&user_name=a%40b.io")
        )
        .await,
        (404, errors("User not found")),
        "no full_name, no user"
    );
    assert_eq!(
        api.get(&sa, &format!("/tenant_add_user?tenant_id={tenant}&role=tenant-admin&user_name=a%40b.io&full_name=A")).await,
        (200, Value::Null),
        "full_name creates the user"
    );
    let (status, listed) = api
        .get(&sa, &format!("/user_list_in_tenant?tenant_id={tenant}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        listed["user_list"][0]["tenant_roles"][0]["tenant_role"],
        "tenant-admin"
    );
    assert_eq!(
        listed["user_list"][0]["tenant_roles"][0]["tenant_name"],
        "Plant A"
    );

    // A tenant admin: SA-only endpoints are 403, the tenant is implied.
    api.emulator.with_model(|m| {
        m.add_tenant_admin(
            "ta@example.com",
            "ta-pass",
            uuid::Uuid::parse_str(&tenant).expect("uuid"),
        );
    });
    let (_, _, token) = api
        .login_as(
            json!({"login_id": "ta@example.com", "password": "ta-pass", "api_key": MEDIUMONE_API_KEY}),
            "?no_cookies=1",
        )
        .await;
    let token = token.as_str().expect("token").to_owned();
    let ta = Session::Token(&token);
    assert_eq!(
        api.get(&ta, "/user_list").await,
        (403, errors("Permission denied"))
    );
    assert_eq!(api.get(&ta, "/tenant_create?tenant_name=x").await.0, 403);
    assert_eq!(
        api.get(&ta, &format!("/user_list_in_tenant?tenant_id={other}"))
            .await
            .0,
        403
    );
    assert_eq!(api.get(&ta, "/user_list_in_tenant").await.1, listed);
    assert_eq!(
        api.get(&ta, "/tenant_add_user?role=tenant-user&user_name=c%40d.io")
            .await,
        (400, errors("full_name is required"))
    );
    assert_eq!(
        api.get(
            &ta,
            "/tenant_add_user?role=tenant-user&user_name=c%40d.io&full_name=C"
        )
        .await,
        (200, Value::Null)
    );
    assert_eq!(
        api.get(&ta, "/tenant_list")
            .await
            .1
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        api.get(&ta, "/tenant_remove_user?user_name=c%40d.io").await,
        (200, Value::Null)
    );
    assert_eq!(
        api.get(&ta, "/tenant_remove_user?user_name=c%40d.io").await,
        (404, errors("User is not in this tenant"))
    );
    assert_eq!(
        api.get(&ta, "/user_remove?user_name=c%40d.io").await.0,
        403,
        "not in their tenant"
    );
    // Removing a user removes their roles.
    assert_eq!(api.get(&sa, "/user_remove?user_name=a%40b.io").await.0, 200);
    let (_, listed) = api
        .get(&sa, &format!("/user_list_in_tenant?tenant_id={tenant}"))
        .await;
    assert_eq!(listed, json!({"user_list": []}));
}

#[tokio::test]
async fn other_methods_and_paths_are_refused() {
    let api = Api::start().await;
    let url = format!("{}/user_list", api.emulator.base_url());
    let response = api.http.post(url).send().await.expect("send");
    assert_eq!(response.status().as_u16(), 405);
    let url = format!("{}/login/", api.emulator.base_url());
    assert_eq!(
        api.http
            .get(url)
            .send()
            .await
            .expect("send")
            .status()
            .as_u16(),
        405
    );
    let cookie = api.sa_cookie().await;
    assert_eq!(
        api.get(&Session::Cookie(&cookie), "/tenant_delete").await.0,
        404
    );
}

#[tokio::test]
async fn a_seed_round_trips_through_a_snapshot() {
    use roster_testkit::Model;
    use roster_testkit::snapshot;
    let text = r#"{
        "users": [
            {"email": "alice@example.com", "display_name": "Alice"},
            {"email": "bob@example.com"}
        ],
        "tenants": [{"name": "plant-a"}],
        "memberships": [
            {"tenant": "plant-a", "user": "alice@example.com", "role": "admin"},
            {"tenant": "plant-a", "user": "bob@example.com", "role": "member"}
        ]
    }"#;
    let snapshot = snapshot::parse(text, "seed.json").expect("snapshot");
    let mut model = MediumOneModel::default();
    model.seed(&snapshot).expect("seed");
    let tenant = model.tenant_by_name("plant-a").expect("tenant").tenant_id;
    assert_eq!(
        model.role_of(tenant, "alice@example.com"),
        Some("tenant-admin")
    );
    assert_eq!(model.snapshot().expect("dump").sorted(), snapshot.sorted());
    let with_role = snapshot::parse(
        r#"{"users": [{"email": "c@example.com", "role": "admin"}]}"#,
        "seed.json",
    )
    .expect("snapshot");
    assert!(MediumOneModel::default().seed(&with_role).is_err());
}

// ---------- faithful mode ----------

#[tokio::test]
async fn faithful_mode_starts_with_a_resident_in_an_unknown_role() {
    let api = Api::start_with(MediumOneModel::faithful()).await;
    assert!(api.emulator.with_model(|m| m.is_faithful()));
    let cookie = api.sa_cookie().await;
    let sa = Session::Cookie(&cookie);
    let (status, tenants) = api.get(&sa, "/tenant_list").await;
    assert_eq!(status, 200);
    let tenant = &tenants[0];
    assert_eq!(tenant["tenant_name"], json!(RESIDENT_TENANT));
    let tenant_id = tenant["tenant_id"].as_str().expect("id").to_owned();
    assert_eq!(tenant["api_basic_user"], json!(format!("t_{tenant_id}")));
    assert!(tenant.get(EXTRA_KEY).is_some(), "{tenant}");
    let (status, users) = api.get(&sa, "/user_list").await;
    assert_eq!(status, 200);
    let user = &users[0];
    assert_eq!(user["user_name"], json!(RESIDENT_USER));
    for key in [
        "full_name",
        "user_id",
        "api_basic_user",
        "tenant_roles",
        EXTRA_KEY,
    ] {
        assert!(user.get(key).is_some(), "{key} in {user}");
    }
    let role = &user["tenant_roles"][0];
    assert_eq!(role["tenant_role"], json!(RESIDENT_ROLE));
    assert_eq!(role["tenant_id"], json!(tenant_id));
    assert_eq!(role["tenant_name"], json!(RESIDENT_TENANT));
    assert!(role.get(EXTRA_KEY).is_some(), "{role}");
    let (status, members) = api
        .get(&sa, &format!("/user_list_in_tenant?tenant_id={tenant_id}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        members["user_list"][0]["tenant_roles"][0]["tenant_role"],
        json!(RESIDENT_ROLE)
    );
}

#[tokio::test]
async fn plain_mode_adds_no_extra_keys() {
    let api = Api::start().await;
    let cookie = api.sa_cookie().await;
    let sa = Session::Cookie(&cookie);
    api.get(&sa, "/tenant_create?tenant_name=Plain").await;
    let (_, tenants) = api.get(&sa, "/tenant_list").await;
    assert_eq!(
        tenants[0].as_object().expect("object").len(),
        2,
        "{tenants}"
    );
    let (_, users) = api.get(&sa, "/user_list").await;
    assert_eq!(users, json!([]), "no resident");
}

#[tokio::test]
async fn faithful_mode_requires_a_full_name_and_shows_stored_fields() {
    let api = Api::start_with(MediumOneModel::faithful()).await;
    let cookie = api.sa_cookie().await;
    let sa = Session::Cookie(&cookie);
    for query in [
        "/user_create?full_name=&user_name=ann%40example.com",
        "/user_create?full_name=+&user_name=ann%40example.com",
        "/user_create?user_name=ann%40example.com",
    ] {
        assert_eq!(
            api.get(&sa, query).await,
            (400, errors("full_name is required")),
            "{query}"
        );
    }
    let (status, _) = api
        .get(
            &sa,
            "/user_create?full_name=Ann&language=de&user_name=ann%40example.com",
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .get(
            &sa,
            "/user_update?param_list=%7B%22field%22:%22user_phone%22,%22value%22:%228888888888%22%7D\
             &param_list=%7B%22field%22:%22zip%22,%22value%22:%2295062%22%7D\
             &user_name=ann%40example.com",
        )
        .await;
    assert_eq!(status, 200);
    api.emulator.with_model(|m| {
        let ann = m.user_by_name("ann@example.com").expect("stored");
        assert_eq!(ann.full_name, "Ann");
        assert_eq!(
            ann.fields.get("user_phone").map(String::as_str),
            Some("8888888888")
        );
        assert_eq!(ann.fields.get("zip").map(String::as_str), Some("95062"));
        assert_eq!(ann.fields.get("language").map(String::as_str), Some("de"));
    });
    let (_, users) = api.get(&sa, "/user_list").await;
    let ann = users
        .as_array()
        .expect("array")
        .iter()
        .find(|u| u["user_name"] == json!("ann@example.com"))
        .expect("listed");
    assert_eq!(ann["user_phone"], json!("8888888888"));
    assert_eq!(ann["zip"], json!("95062"));
    assert_eq!(ann["language"], json!("de"));
}

#[tokio::test]
async fn create_and_link_creates_an_unknown_user_inside_the_tenant() {
    let api = Api::start_with(MediumOneModel::faithful()).await;
    let cookie = api.sa_cookie().await;
    let sa = Session::Cookie(&cookie);
    let (_, tenant) = api.get(&sa, "/tenant_create?tenant_name=Plant").await;
    let tenant = tenant.as_str().expect("id").to_owned();
    let tenant_uuid = uuid::Uuid::parse_str(&tenant).expect("uuid");
    // Without a full_name, an unknown user cannot be created.
    assert_eq!(
        api.get(
            &sa,
            &format!(
                "/tenant_add_user?tenant_id={tenant}&role=tenant-user&user_name=bo%40example.com"
            )
        )
        .await,
        (404, errors("User not found"))
    );
    assert_eq!(
        api.get(&sa, &format!("/tenant_add_user?tenant_id={tenant}&role=tenant-user&user_name=bo%40example.com&full_name="))
            .await,
        (400, errors("full_name is required"))
    );
    assert_eq!(
        api.get(&sa, &format!("/tenant_add_user?tenant_id={tenant}&role=tenant-admin&user_name=bo%40example.com&full_name=Bo"))
            .await,
        (200, Value::Null)
    );
    api.emulator.with_model(|m| {
        let bo = m.user_by_name("bo@example.com").expect("created");
        assert_eq!(bo.full_name, "Bo");
        assert_eq!(
            m.role_of(tenant_uuid, "bo@example.com"),
            Some("tenant-admin")
        );
    });
    // An existing user is linked, keeping their name.
    assert_eq!(
        api.get(&sa, &format!("/tenant_add_user?tenant_id={tenant}&role=tenant-user&user_name=bo%40example.com&full_name=Other"))
            .await,
        (200, Value::Null)
    );
    api.emulator.with_model(|m| {
        assert_eq!(
            m.user_by_name("bo@example.com").expect("kept").full_name,
            "Bo"
        );
        assert_eq!(
            m.role_of(tenant_uuid, "bo@example.com"),
            Some("tenant-user")
        );
        assert_eq!(m.users.len(), 2, "the resident and Bo");
    });
}
