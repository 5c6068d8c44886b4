//! Spec-driven decoding: bodies generated from our spec's own response
//! schemas (required fields only, every field, unknown keys, unknown
//! strings, empty strings) all decode, and every value comes back in the
//! neutral model or its provider data.

use roster_core::{Email, PageRequest, TenantDirectory, UserDirectory};
use roster_http::SecretString;
use roster_medium_one::{MediumOneClient, MediumOneConfig};
use roster_testkit::spec_bodies::{Spec, for_each_body, kept_as_sent, one_per_item, serve_get};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SPEC: &str = include_str!("../../../../specs/medium-one/openapi.yaml");
const CASES: u32 = 48;

/// Serves `body` at `route`, behind a login that always succeeds.
async fn serve(server: &MockServer, route: &str, body: &Value) {
    serve_get(server, route, body).await;
    Mock::given(method("POST"))
        .and(path("/v2/login/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(true)
                .insert_header("set-cookie", "sessionid=s3ss10n; Path=/; HttpOnly"),
        )
        .mount(server)
        .await;
}

async fn setup() -> (MockServer, MediumOneClient) {
    let server = MockServer::start().await;
    let config = MediumOneConfig::new(
        "admin@example.com",
        SecretString::from("pw".to_owned()),
        SecretString::from("key".to_owned()),
    )
    .with_base_url(format!("{}/v2", server.uri()));
    let client = MediumOneClient::new(config).expect("client");
    (server, client)
}

/// A user list body's items: a bare array, or the `user_list` envelope's.
fn items(body: &Value) -> &[Value] {
    match body {
        Value::Array(items) => items,
        other => other["user_list"].as_array().map_or(&[], Vec::as_slice),
    }
}

#[test]
fn every_user_list_the_spec_allows_decodes_without_loss() {
    let spec = Spec::parse(SPEC);
    let schema = spec.response("GET", "/user_list");
    for_each_body(
        &spec,
        &schema,
        CASES,
        setup,
        async |(server, client), _, body| {
            serve(server, "/v2/user_list", &body).await;
            let page = client
                .list_users_page(PageRequest::first())
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            one_per_item("users", &page.items, items(&body), |user, item| {
                if Some(user.id.as_str()) != item["user_id"].as_str() {
                    return Err(format!("id {} for {}", user.id, item["user_id"]));
                }
                let email = item["user_name"]
                    .as_str()
                    .and_then(|e| Email::parse(e).ok());
                if user.email != email {
                    return Err(format!("email {:?} for {}", user.email, item["user_name"]));
                }
                let name = item["full_name"]
                    .as_str()
                    .filter(|n| !n.trim().is_empty())
                    .map(str::to_owned);
                if user.display_name != name {
                    return Err(format!(
                        "name {:?} for {}",
                        user.display_name, item["full_name"]
                    ));
                }
                kept_as_sent(user.provider_data.as_ref(), item)
            })
        },
    );
}

#[test]
fn every_tenant_list_the_spec_allows_decodes_without_loss() {
    let spec = Spec::parse(SPEC);
    let schema = spec.response("GET", "/tenant_list");
    for_each_body(
        &spec,
        &schema,
        CASES,
        setup,
        async |(server, client), _, body| {
            serve(server, "/v2/tenant_list", &body).await;
            let page = client
                .list_tenants_page(PageRequest::first())
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            let items = body.as_array().map_or(&[][..], Vec::as_slice);
            one_per_item("tenants", &page.items, items, |tenant, item| {
                if Some(tenant.id.as_str()) != item["tenant_id"].as_str() {
                    return Err(format!("id {} for {}", tenant.id, item["tenant_id"]));
                }
                kept_as_sent(tenant.provider_data.as_ref(), item)
            })
        },
    );
}
