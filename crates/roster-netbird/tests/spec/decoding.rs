//! Spec-driven decoding: bodies generated from our spec's own response
//! schemas (required fields only, every field, unknown keys, unknown
//! strings, empty strings) all decode, and every value comes back in the
//! neutral model or its provider data.

use roster_core::{
    Email, PageRequest, ProviderData, Role, TenantDirectory, UserDirectory, UserStatus,
};
use roster_http::SecretString;
use roster_netbird::{NetbirdClient, NetbirdConfig};
use roster_testkit::spec_bodies::{Spec, for_each_body};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SPEC: &str = include_str!("../../../../specs/netbird/openapi.yaml");
const CASES: u32 = 48;

async fn serve(server: &MockServer, route: &str, body: &Value) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn setup() -> (MockServer, NetbirdClient) {
    let server = MockServer::start().await;
    let config = NetbirdConfig::personal_access_token(SecretString::from("nbp_t".to_owned()))
        .with_base_url(server.uri());
    let client = NetbirdClient::new(config).expect("client");
    (server, client)
}

fn same_json(data: Option<&ProviderData>, item: &Value) -> Result<(), String> {
    let data = data.ok_or("no provider data")?;
    let kept: Value = serde_json::from_str(data.get()).map_err(|e| e.to_string())?;
    (kept == *item)
        .then_some(())
        .ok_or_else(|| format!("provider data {kept} is not the item {item}"))
}

/// The status the adapter's documented rules give an item.
fn expected_status(item: &Value) -> UserStatus {
    if item["pending_approval"] == Value::Bool(true) {
        return UserStatus::PendingApproval;
    }
    if item["is_blocked"] == Value::Bool(true) {
        return UserStatus::Blocked;
    }
    match item["status"]
        .as_str()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("active") => UserStatus::Active,
        Some("invited") => UserStatus::Invited,
        Some("blocked") => UserStatus::Blocked,
        _ => UserStatus::Other,
    }
}

#[test]
fn every_user_list_the_spec_allows_decodes_without_loss() {
    let spec = Spec::parse(SPEC);
    let schema = spec.response("GET", "/api/users");
    for_each_body(
        &spec,
        &schema,
        CASES,
        setup,
        async |(server, client), _, body| {
            serve(server, "/api/users", &body).await;
            let page = client
                .list_users_page(PageRequest::first())
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            let items = body.as_array().map_or(&[][..], Vec::as_slice);
            if page.items.len() != items.len() {
                return Err(format!(
                    "{} users for {} items",
                    page.items.len(),
                    items.len()
                ));
            }
            for (user, item) in page.items.iter().zip(items) {
                if Some(user.id.as_str()) != item["id"].as_str() {
                    return Err(format!("id {} for {}", user.id, item["id"]));
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
                if user.raw_role.as_deref() != item["role"].as_str() {
                    return Err(format!("raw role {:?} for {item}", user.raw_role));
                }
                if item["role"].as_str().is_some_and(|r| r.starts_with("zz-"))
                    && user.role != Some(Role::Other)
                {
                    return Err(format!("an unknown role is {:?}", user.role));
                }
                same_json(user.provider_data.as_ref(), item)?;
            }
            Ok(())
        },
    );
}

#[test]
fn every_group_list_the_spec_allows_decodes_without_loss() {
    let spec = Spec::parse(SPEC);
    let schema = spec.response("GET", "/api/groups");
    for_each_body(
        &spec,
        &schema,
        CASES,
        setup,
        async |(server, client), _, body| {
            serve(server, "/api/groups", &body).await;
            let page = client
                .list_tenants_page(PageRequest::first())
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            let items = body.as_array().map_or(&[][..], Vec::as_slice);
            if page.items.len() != items.len() {
                return Err(format!(
                    "{} groups for {} items",
                    page.items.len(),
                    items.len()
                ));
            }
            for (tenant, item) in page.items.iter().zip(items) {
                if Some(tenant.id.as_str()) != item["id"].as_str() {
                    return Err(format!("id {} for {}", tenant.id, item["id"]));
                }
                same_json(tenant.provider_data.as_ref(), item)?;
            }
            Ok(())
        },
    );
}
