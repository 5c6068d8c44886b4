//! Bad input gets the right SCIM error, changes nothing, and no log line
//! holds a token.

use serde_json::{Value, json};

use crate::harness::{Harness, TOKEN, okta_user};

async fn raw(
    h: &Harness, method: reqwest::Method, path: &str, token: Option<&str>, body: Option<Vec<u8>>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = h.http.request(method, h.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/scim+json")
            .body(body);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body, headers)
}

/// Method, path, token, body, expected status and scimType.
type Case<'a> = (
    reqwest::Method,
    String,
    Option<&'a str>,
    Option<Vec<u8>>,
    u16,
    Option<&'a str>,
);

fn assert_error(body: &Value, status: u16, scim_type: Option<&str>) {
    assert_eq!(
        body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{body}"
    );
    assert_eq!(body["status"], status.to_string(), "{body}");
    match scim_type {
        Some(t) => assert_eq!(body["scimType"], t, "{body}"),
        None => assert!(body.get("scimType").is_none(), "{body}"),
    }
}

#[tokio::test]
async fn bad_requests_get_scim_errors_and_change_nothing() {
    let h = Harness::start().await;
    let ada = h.create_user("ada@example.com", "Ada", "L").await;
    h.settle().await;
    let ops_before = h.store.operations().await.expect("ops").len();
    let writes_before = h.sandbox.write_counts().await;
    let post = reqwest::Method::POST;

    let cases: Vec<Case<'_>> = vec![
        (post.clone(), "/Users".into(), Some(TOKEN), Some(b"{\"schemas\": [".to_vec()), 400, Some("invalidSyntax")),
        (post.clone(), "/Users".into(), Some(TOKEN), Some(b"[1,2]".to_vec()), 400, Some("invalidSyntax")),
        (post.clone(), "/Users".into(), Some(TOKEN), Some(json!({"schemas": ["urn:example:made-up"], "userName": "x@example.com"}).to_string().into_bytes()), 400, Some("invalidValue")),
        (post.clone(), "/Users".into(), Some(TOKEN), Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:example:made-up"], "userName": "x@example.com"}).to_string().into_bytes()), 400, Some("invalidValue")),
        (post.clone(), "/Users".into(), Some(TOKEN), Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}).to_string().into_bytes()), 400, Some("invalidValue")),
        (post.clone(), "/Users".into(), Some(TOKEN), Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "not-an-email"}).to_string().into_bytes()), 400, Some("invalidValue")),
        (post.clone(), "/Users".into(), Some(TOKEN), Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x@example.com", "active": "maybe"}).to_string().into_bytes()), 400, Some("invalidValue")),
        (post.clone(), "/Users".into(), Some(TOKEN), Some(vec![b' '; 2 * 1024 * 1024]), 413, None),
        (post.clone(), "/Groups".into(), Some(TOKEN), Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G", "members": [{"value": "no-such-user"}]}).to_string().into_bytes()), 400, Some("invalidValue")),
        (reqwest::Method::GET, format!("/Users?filter={}", "userName%20eq"), Some(TOKEN), None, 400, Some("invalidFilter")),
        (reqwest::Method::GET, format!("/Users?filter={}", "userName%20zz%20%22a%22"), Some(TOKEN), None, 400, Some("invalidFilter")),
        (reqwest::Method::GET, "/Users?count=ten".into(), Some(TOKEN), None, 400, Some("invalidValue")),
        // Nesting far past the parser's depth limit: refused, not a stack overflow.
        (reqwest::Method::GET, format!("/Users?filter={}userName%20eq%20%22a%22{}", "(".repeat(20_000), ")".repeat(20_000)), Some(TOKEN), None, 400, Some("invalidFilter")),
        (reqwest::Method::PATCH, format!("/Users/{ada}"), Some(TOKEN), Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "remove", "path": format!("{}value eq \"x\"{}", "emails[".repeat(20_000), "]".repeat(20_000))}]}).to_string().into_bytes()), 400, Some("invalidPath")),
        (reqwest::Method::PATCH, format!("/Users/{ada}"), Some(TOKEN), Some(json!({"Operations": [{"op": "replace", "path": "active", "value": false}]}).to_string().into_bytes()), 400, Some("invalidValue")),
        (reqwest::Method::PATCH, format!("/Users/{ada}"), Some(TOKEN), Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "emails[type eq", "value": "x"}]}).to_string().into_bytes()), 400, Some("invalidPath")),
        (reqwest::Method::PATCH, format!("/Users/{ada}"), Some(TOKEN), Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "id", "value": "x"}]}).to_string().into_bytes()), 400, Some("mutability")),
        (reqwest::Method::GET, "/Users/does-not-exist".into(), Some(TOKEN), None, 404, None),
        (post.clone(), "/Users".into(), None, Some(okta_user("eve@example.com", "E", "V").to_string().into_bytes()), 401, None),
        (post.clone(), "/Users".into(), Some("wrong-token"), Some(okta_user("eve@example.com", "E", "V").to_string().into_bytes()), 401, None),
        (reqwest::Method::GET, "/Users".into(), Some("wrong-token"), None, 401, None),
        (reqwest::Method::DELETE, format!("/Users/{ada}"), Some("wrong-token"), None, 401, None),
    ];
    for (method, path, token, body, status, scim_type) in cases {
        let (got, body, headers) = raw(&h, method.clone(), &path, token, body).await;
        assert_eq!(got, status, "{method} {path}: {body}");
        assert_error(&body, status, scim_type);
        if status == 401 {
            assert!(headers.get("www-authenticate").is_some());
        }
    }
    let (status, body, _) = raw(&h, reqwest::Method::GET, "/Users", None, None).await;
    assert_eq!(status, 401);
    assert!(!body.to_string().contains(TOKEN));
    // Nothing changed: no operation queued, no provider written to, the
    // user as it was.
    h.settle().await;
    assert_eq!(h.store.operations().await.expect("ops").len(), ops_before);
    assert_eq!(h.sandbox.write_counts().await, writes_before);
    let (_, user) = h.get(&format!("/Users/{ada}")).await;
    assert_eq!(user["meta"]["version"], "W/\"1\"");
    let (_, list) = h.get("/Users").await;
    assert_eq!(list["totalResults"], 1);
    let (_, groups) = h.get("/Groups").await;
    assert_eq!(groups["totalResults"], 0);
    // The status needs the token too.
    let status = h
        .http
        .get(format!("{}/status", h.base))
        .send()
        .await
        .expect("status")
        .status()
        .as_u16();
    assert_eq!(status, 401);
    let logs = h.logs.text();
    assert!(!logs.contains(TOKEN), "a log line holds the token");
    assert!(
        !logs.contains("wrong-token"),
        "a log line holds a refused token"
    );
    assert!(
        logs.contains("refused: no valid bearer token"),
        "the refusals were logged (so the check above saw them)"
    );
    for provider_secret in [
        roster_testkit::iaas::IAAS_TOKEN,
        roster_testkit::netbird::NETBIRD_TOKEN,
        roster_testkit::adverity::ADVERITY_TOKEN,
        roster_testkit::astra::ASTRA_TOKEN,
        roster_testkit::medium_one::MEDIUMONE_PASSWORD,
    ] {
        assert!(
            !logs.contains(provider_secret),
            "a log line holds a provider credential"
        );
    }
}

#[tokio::test]
async fn tokens_never_reach_debug_output() {
    let mut tokens = roster_scim::auth::Tokens::default();
    tokens.add(TOKEN);
    let config = crate::harness::config("sqlite::memory:");
    let server = roster_scim::Server::new(config.clone()).with_tokens(tokens.clone());
    for text in [
        format!("{server:?}"),
        format!("{tokens:?}"),
        format!("{config:?}"),
    ] {
        assert!(!text.contains(TOKEN), "{text}");
        assert!(
            !text.contains(&roster_scim::auth::hash_token(TOKEN)),
            "{text}"
        );
    }
}

#[tokio::test]
async fn health_readiness_and_status_endpoints() {
    let h = Harness::start().await;
    let health = h
        .http
        .get(format!("{}/healthz", h.base))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200);
    let ready = h
        .http
        .get(format!("{}/readyz", h.base))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);
    h.create_user("ada@example.com", "Ada", "L").await;
    h.settle().await;
    let response = h
        .http
        .get(format!("{}/status", h.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("status");
    // Not a SCIM resource, so not application/scim+json.
    assert_eq!(response.headers()["content-type"], "application/json");
    let status: Value = response.json().await.expect("json");
    for provider in ["adverity", "astra", "iaas", "medium-one", "netbird"] {
        assert_eq!(status["providers"][provider]["done"], 1, "{status}");
        assert_eq!(status["providers"][provider]["pending"], 0, "{status}");
        assert_eq!(status["providers"][provider]["failed"], 0, "{status}");
    }
    let text = roster_scim::cli::format_status(&h.store.status().await.expect("status"));
    assert!(
        text.contains("provider") && text.contains("netbird"),
        "{text}"
    );
}
