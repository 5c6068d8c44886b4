//! A load generator that provisions through SCIM as an IdP does: users
//! first, then groups, each group pushed empty and filled with one PATCH
//! (Okta's group push). `roster-bench scim` runs it at 10,000 users and
//! 500 groups; the crate's tests run the same path at 200 users.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use roster_core::WireGuardKey;
use serde_json::{Value, json};

use crate::resource::{GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA};

/// The roster extension schema the load's users carry their WireGuard key in.
pub const LOAD_EXTENSION: &str = "urn:ietf:params:scim:schemas:extension:roster:2.0:User";

/// The mapping the load runs with: every group becomes a tenant of the same
/// name where the provider can create tenants; Astra gets the accounts only.
pub const LOAD_MAPPING: &str = r#"
[server]
extension_schemas = ["urn:ietf:params:scim:schemas:extension:roster:2.0:User"]

[workers]
count = 32
per_provider = 8
retry_base_ms = 100
retry_max_ms = 2000
poll_ms = 50

[providers.iaas]
groups_as_tenants = true
wireguard_key_attribute = "urn:ietf:params:scim:schemas:extension:roster:2.0:User:wireguardKey"

[providers.netbird]
groups_as_tenants = true

[providers.adverity]
groups_as_tenants = true

[providers.medium-one]
groups_as_tenants = true
"#;

/// How much to provision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadPlan {
    /// Users to create.
    pub users: usize,
    /// Groups to create; user `i` joins group `i % groups`.
    pub groups: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
}

/// What the load did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// The users' SCIM ids, in order.
    pub user_ids: Vec<String>,
    /// The groups' SCIM ids, in order.
    pub group_ids: Vec<String>,
    /// How many SCIM requests were sent.
    pub requests: usize,
    /// How long until every request was accepted.
    pub accepted_in: Duration,
}

/// The email of load user `i`.
pub fn load_email(i: usize) -> String {
    format!("load{i}@load.example")
}

/// The name of load group `g`.
pub fn load_group(g: usize) -> String {
    format!("load-group-{g}")
}

fn user_body(i: usize) -> Value {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    let email = load_email(i);
    json!({
        "schemas": [USER_SCHEMA, LOAD_EXTENSION],
        "userName": email,
        "externalId": format!("load-ext-{i}"),
        "name": {"givenName": "Load", "familyName": format!("User{i}")},
        "displayName": format!("Load User{i}"),
        "emails": [{"primary": true, "type": "work", "value": email}],
        "active": true,
        LOAD_EXTENSION: {"wireguardKey": WireGuardKey::from_bytes(key).as_str()}
    })
}

/// Sends one request; the body of a 2xx answer, or an error naming the
/// status (never the token).
async fn send(request: reqwest::RequestBuilder) -> Result<Value, String> {
    let response = request.send().await.map_err(|e| format!("sending: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("reading: {e}"))?;
    if !status.is_success() {
        return Err(format!("answer {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("decoding: {e}"))
}

/// Provisions `plan` into the SCIM service at `base` (`…/scim/v2`).
pub async fn provision(base: &str, token: &str, plan: LoadPlan) -> Result<LoadReport, String> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let requests = Arc::new(AtomicUsize::new(0));
    let post = |path: &str, body: Value| {
        requests.fetch_add(1, Ordering::Relaxed);
        http.post(format!("{base}{path}"))
            .bearer_auth(token)
            .header("content-type", "application/scim+json")
            .body(body.to_string())
    };
    let users: Vec<Result<String, String>> = futures::stream::iter(0..plan.users)
        .map(|i| {
            let request = post("/Users", user_body(i));
            async move {
                let body = send(request).await?;
                body["id"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| "a created user has no id".to_owned())
            }
        })
        .buffered(plan.concurrency.max(1))
        .collect()
        .await;
    let user_ids: Vec<String> = users.into_iter().collect::<Result<_, _>>()?;
    let groups: Vec<Result<String, String>> = futures::stream::iter(0..plan.groups)
        .map(|g| {
            let request = post("/Groups", json!({"schemas": [GROUP_SCHEMA], "displayName": load_group(g), "members": []}));
            let members: Vec<Value> = user_ids
                .iter()
                .enumerate()
                .filter(|(i, _)| i % plan.groups == g)
                .map(|(_, id)| json!({"value": id}))
                .collect();
            let http = &http;
            let requests = requests.clone();
            async move {
                let body = send(request).await?;
                let id = body["id"].as_str().ok_or("a created group has no id")?.to_owned();
                for chunk in members.chunks(100) {
                    requests.fetch_add(1, Ordering::Relaxed);
                    let patch = http
                        .patch(format!("{base}/Groups/{id}"))
                        .bearer_auth(token)
                        .header("content-type", "application/scim+json")
                        .body(json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": "members", "value": chunk}]}).to_string());
                    send(patch).await?;
                }
                Ok(id)
            }
        })
        .buffered(plan.concurrency.max(1))
        .collect()
        .await;
    let group_ids = groups.into_iter().collect::<Result<_, _>>()?;
    Ok(LoadReport {
        user_ids,
        group_ids,
        requests: requests.load(Ordering::Relaxed),
        accepted_in: started.elapsed(),
    })
}
