//! Spec-driven decoding: bodies generated from our spec's own response
//! schemas (required fields only, every field, unknown keys, unknown
//! strings, empty strings) all decode, and every value comes back in the
//! neutral model or its provider data.

use roster_astra::{AstraClient, AstraConfig, MISSING_STATUS};
use roster_core::{Email, PageRequest, ProviderData, UserDirectory, UserStatus};
use roster_http::SecretString;
use roster_testkit::spec_bodies::{Spec, for_each_body};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SPEC: &str = include_str!("../../../../specs/astra-devops/openapi.yaml");
const CASES: u32 = 48;

async fn serve(server: &MockServer, route: &str, body: &Value) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn setup() -> (MockServer, AstraClient) {
    let server = MockServer::start().await;
    let config =
        AstraConfig::new(SecretString::from("AstraCS:t".to_owned())).with_base_url(server.uri());
    let client = AstraClient::new(config).expect("client");
    (server, client)
}

fn same_json(data: Option<&ProviderData>, item: &Value) -> Result<(), String> {
    let data = data.ok_or("no provider data")?;
    let kept: Value = serde_json::from_str(data.get()).map_err(|e| e.to_string())?;
    (kept == *item)
        .then_some(())
        .ok_or_else(|| format!("provider data {kept} is not the item {item}"))
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
            serve(server, "/v2/organizations/users", &body).await;
            let page = client
                .list_users_page(PageRequest::first())
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            let items = body["users"].as_array().map_or(&[][..], Vec::as_slice);
            if page.items.len() != items.len() {
                return Err(format!(
                    "{} users for {} items",
                    page.items.len(),
                    items.len()
                ));
            }
            for (user, item) in page.items.iter().zip(items) {
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
                same_json(user.provider_data.as_ref(), item)?;
            }
            Ok(())
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
            serve(server, "/v2/organizations/roles", &body).await;
            let roles = client
                .roles()
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            let items = body.as_array().map_or(&[][..], Vec::as_slice);
            if roles.len() != items.len() {
                return Err(format!("{} roles for {} items", roles.len(), items.len()));
            }
            for (role, item) in roles.iter().zip(items) {
                if role.id.as_deref() != item["id"].as_str() {
                    return Err(format!("id {:?} for {}", role.id, item["id"]));
                }
                if role.name.as_deref() != item["name"].as_str() {
                    return Err(format!("name {:?} for {}", role.name, item["name"]));
                }
                same_json(role.provider_data.as_ref(), item)?;
            }
            Ok(())
        },
    );
}
