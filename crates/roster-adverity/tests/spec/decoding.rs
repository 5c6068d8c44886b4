//! Spec-driven decoding: bodies generated from our spec's own response
//! schemas (required fields only, every field, unknown keys, unknown
//! strings, empty strings) all decode, and every value comes back in the
//! neutral model or its provider data.

use roster_adverity::{AdverityClient, AdverityConfig};
use roster_core::{Email, PageRequest, TenantDirectory, UserDirectory, UserStatus};
use roster_http::SecretString;
use roster_testkit::spec_bodies::{Spec, for_each_body, kept_as_sent, one_per_item, serve_get};
use serde_json::Value;
use wiremock::MockServer;

const SPEC: &str = include_str!("../../../../specs/adverity/openapi.yaml");
const CASES: u32 = 48;

async fn setup() -> (MockServer, AdverityClient) {
    let server = MockServer::start().await;
    let config = AdverityConfig::new(server.uri(), SecretString::from("t".to_owned()));
    let client = AdverityClient::new(config).expect("client");
    (server, client)
}

/// A list body's items: a bare array, or an envelope's `results`.
fn items(body: &Value) -> &[Value] {
    match body {
        Value::Array(items) => items,
        other => other["results"].as_array().map_or(&[], Vec::as_slice),
    }
}

#[test]
fn every_user_list_the_spec_allows_decodes_without_loss() {
    let spec = Spec::parse(SPEC);
    let schema = spec.response("GET", "/api/v1/users/");
    for_each_body(
        &spec,
        &schema,
        CASES,
        setup,
        async |(server, client), _, body| {
            serve_get(server, "/api/v1/users/", &body).await;
            let page = client
                .list_users_page(PageRequest::first())
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            one_per_item("users", &page.items, items(&body), |user, item| {
                if *user.id.as_str() != *item["id"].to_string() {
                    return Err(format!("id {} for {}", user.id, item["id"]));
                }
                let email = item["email"].as_str().and_then(|e| Email::parse(e).ok());
                if user.email != email {
                    return Err(format!("email {:?} for {}", user.email, item["email"]));
                }
                let status = match item.get("active") {
                    Some(Value::Bool(true)) => UserStatus::Active,
                    Some(Value::Bool(false)) => UserStatus::Suspended,
                    _ => UserStatus::Other,
                };
                if user.status != status {
                    return Err(format!("status {:?} for {item}", user.status));
                }
                kept_as_sent(user.provider_data.as_ref(), item)
            })
        },
    );
}

#[test]
fn every_workspace_list_the_spec_allows_decodes_without_loss() {
    let spec = Spec::parse(SPEC);
    let schema = spec.response("GET", "/api/stacks/");
    for_each_body(
        &spec,
        &schema,
        CASES,
        setup,
        async |(server, client), _, body| {
            serve_get(server, "/api/stacks/", &body).await;
            let page = client
                .list_tenants_page(PageRequest::first())
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            one_per_item("workspaces", &page.items, items(&body), |tenant, item| {
                if Some(tenant.id.as_str()) != item["slug"].as_str() {
                    return Err(format!("id {} for {}", tenant.id, item["slug"]));
                }
                if tenant.name != item["name"].as_str().unwrap_or_default() {
                    return Err(format!("name {:?} for {}", tenant.name, item["name"]));
                }
                kept_as_sent(tenant.provider_data.as_ref(), item)
            })
        },
    );
}
