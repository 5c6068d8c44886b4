//! Spec-driven decoding: bodies generated from our spec's own response
//! schemas (required fields only, every field, unknown keys, unknown
//! strings, empty strings) all decode, and every value comes back in the
//! neutral model or its provider data.

use roster_core::{Email, PageRequest, Role, TenantDirectory, UserDirectory, UserStatus};
use roster_http::SecretString;
use roster_netbird::{NetbirdClient, NetbirdConfig};
use roster_testkit::spec_bodies::{Spec, for_each_body, kept_as_sent, one_per_item, serve_get};
use serde_json::Value;
use wiremock::MockServer;

const SPEC: &str = include_str!("../../../../specs/netbird/openapi.yaml");
const CASES: u32 = 48;

async fn setup() -> (MockServer, NetbirdClient) {
    let server = MockServer::start().await;
    let config = NetbirdConfig::personal_access_token(SecretString::from("nbp_t".to_owned()))
        .with_base_url(server.uri());
    let client = NetbirdClient::new(config).expect("client");
    (server, client)
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
            serve_get(server, "/api/users", &body).await;
            let page = client
                .list_users_page(PageRequest::first())
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            let items = body.as_array().map_or(&[][..], Vec::as_slice);
            one_per_item("users", &page.items, items, |user, item| {
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
                kept_as_sent(user.provider_data.as_ref(), item)
            })
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
            serve_get(server, "/api/groups", &body).await;
            let page = client
                .list_tenants_page(PageRequest::first())
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            let items = body.as_array().map_or(&[][..], Vec::as_slice);
            one_per_item("groups", &page.items, items, |tenant, item| {
                if Some(tenant.id.as_str()) != item["id"].as_str() {
                    return Err(format!("id {} for {}", tenant.id, item["id"]));
                }
                kept_as_sent(tenant.provider_data.as_ref(), item)
            })
        },
    );
}
