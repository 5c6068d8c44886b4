//! Spec-driven decoding: bodies generated from our spec's own response
//! schemas (required fields only, every field, unknown keys, unknown
//! strings, empty strings) all decode, and every value comes back in the
//! neutral model or its provider data.

use roster_astra::{AstraClient, AstraConfig, MISSING_STATUS};
use roster_core::{Email, PageRequest, UserDirectory, UserStatus};
use roster_http::SecretString;
use roster_testkit::spec_bodies::{Spec, for_each_body, kept_as_sent, one_per_item, serve_get};
use serde_json::Value;
use wiremock::MockServer;

const SPEC: &str = include_str!("../../../../specs/astra-devops/openapi.yaml");
const CASES: u32 = 48;

async fn setup() -> (MockServer, AstraClient) {
    let server = MockServer::start().await;
    let config =
        AstraConfig::new(SecretString::from("AstraCS:t".to_owned())).with_base_url(server.uri());
    let client = AstraClient::new(config).expect("client");
    (server, client)
}

fn expected_status(item: &Value) -> UserStatus {
    match item["status"].as_str() {
        None => MISSING_STATUS,
        Some(word) => match word.trim().to_ascii_lowercase().as_str() {
            "active" => UserStatus::Active,
            "invited" | "pending" => UserStatus::Invited,
            _ => UserStatus::Other,
        },
    }
}

#[test]
fn every_user_list_the_spec_allows_decodes_without_loss() {
    let spec = Spec::parse(SPEC);
    let schema = spec.response("GET", "/v2/organizations/users");
    for_each_body(
        &spec,
        &schema,
        CASES,
        setup,
        async |(server, client), _, body| {
            serve_get(server, "/v2/organizations/users", &body).await;
            let page = client
                .list_users_page(PageRequest::first())
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            let items = body["users"].as_array().map_or(&[][..], Vec::as_slice);
            one_per_item("users", &page.items, items, |user, item| {
                if Some(user.id.as_str()) != item["userID"].as_str() {
                    return Err(format!("id {} for {}", user.id, item["userID"]));
                }
                let email = item["email"].as_str().and_then(|e| Email::parse(e).ok());
                if user.email != email {
                    return Err(format!("email {:?} for {}", user.email, item["email"]));
                }
                if user.status != expected_status(item) {
                    return Err(format!("status {:?} for {item}", user.status));
                }
                if user.raw_status.as_deref() != item["status"].as_str() {
                    return Err(format!("raw status {:?} for {item}", user.raw_status));
                }
                kept_as_sent(user.provider_data.as_ref(), item)
            })
        },
    );
}

#[test]
fn every_role_list_the_spec_allows_decodes_without_loss() {
    let spec = Spec::parse(SPEC);
    let schema = spec.response("GET", "/v2/organizations/roles");
    for_each_body(
        &spec,
        &schema,
        CASES,
        setup,
        async |(server, client), _, body| {
            serve_get(server, "/v2/organizations/roles", &body).await;
            let roles = client
                .roles()
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            let items = body.as_array().map_or(&[][..], Vec::as_slice);
            one_per_item("roles", &roles, items, |role, item| {
                if role.id.as_deref() != item["id"].as_str() {
                    return Err(format!("id {:?} for {}", role.id, item["id"]));
                }
                if role.name.as_deref() != item["name"].as_str() {
                    return Err(format!("name {:?} for {}", role.name, item["name"]));
                }
                kept_as_sent(role.provider_data.as_ref(), item)
            })
        },
    );
}
