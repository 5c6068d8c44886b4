//! A roster-scim server in process, in front of the five emulators.

use std::path::PathBuf;
use std::time::Duration;

use roster::layers::Stack;
use roster_examples::Sandbox;
use roster_scim::auth::Tokens;
use roster_scim::config::ScimConfig;
use roster_scim::server::{Running, Server};
use roster_scim::store::Store;
use roster_testkit::leaks::LogCapture;
use serde_json::{Value, json};

/// The token every test authenticates with; no log line may hold it.
pub const TOKEN: &str = "scim-test-token-5d0b9c1e7a";

pub const ROSTER_EXT: &str = "urn:ietf:params:scim:schemas:extension:roster:2.0:User";
pub const WG_KEY: &str = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

/// The mapping the tests use: "Engineering" joins tenant alpha everywhere
/// (Astra: its one organization), "Ops" joins beta, "Admins" makes a
/// NetBird admin.
pub const MAPPING: &str = r#"
[server]
extension_schemas = ["urn:ietf:params:scim:schemas:extension:roster:2.0:User"]

[workers]
count = 8
retry_base_ms = 50
retry_max_ms = 400
poll_ms = 50

[providers.iaas]
tenant_priority = ["beta", "alpha"]
wireguard_key_attribute = "urn:ietf:params:scim:schemas:extension:roster:2.0:User:wireguardKey"
role = "member"

[providers.netbird]
role = "user"

[groups."Engineering".iaas]
tenant = "alpha"
[groups."Engineering".netbird]
tenant = "alpha"
[groups."Engineering".adverity]
tenant = "alpha"
[groups."Engineering".astra]
tenant = "Emulated Org"
[groups."Engineering".medium-one]
tenant = "alpha"
tenant_role = "admin"

[groups."Ops".iaas]
tenant = "beta"
[groups."Ops".netbird]
tenant = "beta"

[groups."Admins".netbird]
role = "admin"

[groups."Research".adverity]
tenant = "research"
[groups."Research".astra]
tenant = "No Such Org"
"#;

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-scim-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A fresh SQLite store's URL, in a directory of its own.
pub fn sqlite_url(name: &str) -> String {
    format!("sqlite://{}", temp_dir(name).join("scim.db").display())
}

pub fn config(store_url: &str) -> ScimConfig {
    let mut config = ScimConfig::parse(MAPPING).expect("the test mapping parses");
    config.store.url = store_url.to_owned();
    config
}

pub struct Harness {
    pub sandbox: Sandbox,
    /// Kept so the server runs as long as the harness.
    pub _running: Running,
    pub store: Store,
    pub base: String,
    pub http: reqwest::Client,
    pub logs: LogCapture,
}

impl Harness {
    pub async fn start() -> Harness {
        let dir = temp_dir("h");
        let url = format!("sqlite://{}", dir.join("scim.db").display());
        Self::start_with(Sandbox::start().await, &url, Stack::none()).await
    }

    pub async fn start_with(sandbox: Sandbox, store_url: &str, stack: Stack) -> Harness {
        Self::start_with_config(sandbox, config(store_url), stack).await
    }

    pub async fn start_with_config(sandbox: Sandbox, config: ScimConfig, stack: Stack) -> Harness {
        let store_url = config.store.url.clone();
        let store_url = store_url.as_str();
        let logs = LogCapture::install_global();
        let store = Store::open(store_url).await.expect("store");
        let mut tokens = Tokens::default();
        tokens.add(TOKEN);
        let running = Server::new(config)
            .with_fleet(sandbox.fleet(&stack))
            .with_tokens(tokens)
            .with_store(store.clone())
            .with_listener(std::net::TcpListener::bind("127.0.0.1:0").expect("bind"))
            .start()
            .await
            .expect("server starts");
        let base = format!("http://{}", running.local_addr());
        Harness {
            sandbox,
            _running: running,
            store,
            base,
            http: http_client(),
            logs,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/scim/v2{path}", self.base)
    }

    pub async fn send(
        &self, method: reqwest::Method, path: &str, body: Option<Value>,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body, headers)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let (s, b, _) = self.send(reqwest::Method::GET, path, None).await;
        (s, b)
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, b, _) = self.send(reqwest::Method::POST, path, Some(body)).await;
        (s, b)
    }

    pub async fn patch(&self, path: &str, ops: Value) -> (u16, Value) {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        let (s, b, _) = self.send(reqwest::Method::PATCH, path, Some(body)).await;
        (s, b)
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, b, _) = self.send(reqwest::Method::PUT, path, Some(body)).await;
        (s, b)
    }

    pub async fn delete(&self, path: &str) -> u16 {
        self.send(reqwest::Method::DELETE, path, None).await.0
    }

    /// Creates a user the way Okta does; returns its id.
    pub async fn create_user(&self, user_name: &str, given: &str, family: &str) -> String {
        let (status, body) = self
            .post("/Users", okta_user(user_name, given, family))
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().expect("id").to_owned()
    }

    /// Waits until the outbox has nothing pending.
    pub async fn settle(&self) {
        wait_until(Duration::from_secs(60), || async {
            !self.store.has_pending().await.expect("store")
        })
        .await;
    }
}

/// A client for talking to a server the test started. reqwest needs the
/// process's rustls provider, which otherwise is installed only once some
/// roster client was built (a test run alone may have built none).
pub fn http_client() -> reqwest::Client {
    roster_http::install_crypto_provider();
    reqwest::Client::new()
}

pub async fn wait_until<F, Fut>(limit: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if condition().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the condition did not hold within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A user as Okta's provisioning guide creates one.
pub fn okta_user(user_name: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ROSTER_EXT],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": format!("00u-{user_name}"),
        "groups": [],
        "password": "1mz050nq",
        "active": true,
        ROSTER_EXT: {"wireguardKey": WG_KEY}
    })
}

/// The emails of the accounts on each provider.
pub async fn accounts(
    sandbox: &Sandbox,
) -> std::collections::BTreeMap<&'static str, Vec<(String, roster::UserStatus)>> {
    use futures::TryStreamExt;
    use roster::UserDirectoryExt;
    let mut out = std::collections::BTreeMap::new();
    for (name, dir) in sandbox.clients() {
        // A provider that is down (the outage test) lists as empty.
        let users: Vec<roster::User> = dir.list_users().try_collect().await.unwrap_or_default();
        let mut emails: Vec<(String, roster::UserStatus)> = users
            .into_iter()
            .filter_map(|u| u.email.map(|e| (e.as_str().to_lowercase(), u.status)))
            .collect();
        emails.sort_by(|a, b| a.0.cmp(&b.0));
        out.insert(name, emails);
    }
    out
}

/// The tenant names a person is in, per provider.
pub async fn memberships_of(
    sandbox: &Sandbox, email: &str,
) -> std::collections::BTreeMap<&'static str, Vec<String>> {
    let mut out = std::collections::BTreeMap::new();
    for (name, dir) in sandbox.clients() {
        let mut tenants = Vec::new();
        if let Ok(state) = match name {
            "iaas" => sandbox
                .iaas
                .with_model(|m| roster_testkit::Model::snapshot(m)),
            "netbird" => sandbox
                .netbird
                .with_model(|m| roster_testkit::Model::snapshot(m)),
            "adverity" => sandbox
                .adverity
                .with_model(|m| roster_testkit::Model::snapshot(m)),
            "astra" => sandbox
                .astra
                .with_model(|m| roster_testkit::Model::snapshot(m)),
            _ => sandbox
                .medium_one
                .with_model(|m| roster_testkit::Model::snapshot(m)),
        } {
            for m in state.memberships {
                if m.user.as_str().eq_ignore_ascii_case(email) {
                    tenants.push(m.tenant);
                }
            }
        }
        let _ = dir;
        tenants.sort();
        out.insert(name, tenants);
    }
    out
}
