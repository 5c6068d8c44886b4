//! Spec-driven decoding: bodies generated from our spec's own response
//! schemas (required fields only, every field, unknown keys, unknown
//! strings, empty strings) all decode, and every value comes back in the
//! neutral model or its provider data.

use roster_core::{
    Email, MembershipDirectory, PageRequest, Role, TenantDirectory, TenantId, UserDirectory,
};
use roster_http::SecretString;
use roster_iaas::{IaasClient, IaasConfig};
use roster_testkit::spec_bodies::{Spec, for_each_body, kept_as_sent, serve_get};
use serde_json::Value;
use uuid::Uuid;
use wiremock::MockServer;

const SPEC: &str = include_str!("../../../../specs/iaas-operator/openapi.json");
const CASES: u32 = 48;

async fn serve(server: &MockServer, route: &str, body: &Value) {
    serve_get(server, &format!("/api{route}"), body).await;
}

async fn setup() -> (MockServer, IaasClient) {
    let server = MockServer::start().await;
    let config = IaasConfig::new(
        format!("{}/api", server.uri()),
        SecretString::from("eyJ.t.s".to_owned()),
    );
    let client = IaasClient::new(config).expect("client");
    (server, client)
}

/// The id the adapter reports for an id the server sent: a UUID in its
/// canonical form, anything else as it is.
fn expected_id(item: &Value) -> String {
    let id = item["id"].as_str().unwrap_or_default();
    Uuid::parse_str(id).map_or_else(|_| id.to_owned(), |u| u.to_string())
}

fn expected_email(item: &Value) -> Option<Email> {
    item["email"].as_str().and_then(|e| Email::parse(e).ok())
}

fn expected_role(item: &Value) -> Option<Role> {
    Some(match item["role"].as_str()? {
        "operator" => Role::Admin,
        "member" => Role::Member,
        _ => Role::Other,
    })
}

fn items(body: &Value) -> &[Value] {
    body.as_array().map_or(&[][..], Vec::as_slice)
}

#[test]
fn every_user_list_the_spec_allows_decodes_without_loss() {
    let spec = Spec::parse(SPEC);
    let schema = spec.response("GET", "/users");
    for_each_body(
        &spec,
        &schema,
        CASES,
        setup,
        async |(server, client), _, body| {
            serve(server, "/users", &body).await;
            let page = client
                .list_users_page(PageRequest::first())
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            let items = items(&body);
            if page.items.len() != items.len() {
                return Err(format!(
                    "{} users for {} items",
                    page.items.len(),
                    items.len()
                ));
            }
            for (user, item) in page.items.iter().zip(items) {
                if user.id.as_str() != expected_id(item) {
                    return Err(format!("id {} for {}", user.id, item["id"]));
                }
                if user.email != expected_email(item) {
                    return Err(format!("email {:?} for {}", user.email, item["email"]));
                }
                if user.role != expected_role(item)
                    || user.raw_role.as_deref() != item["role"].as_str()
                {
                    return Err(format!(
                        "role {:?} {:?} for {item}",
                        user.role, user.raw_role
                    ));
                }
                kept_as_sent(user.provider_data.as_ref(), item)?;
            }
            Ok(())
        },
    );
}

#[test]
fn every_tenant_list_the_spec_allows_decodes_with_its_members() {
    let spec = Spec::parse(SPEC);
    let schema = spec.response("GET", "/tenants");
    for_each_body(
        &spec,
        &schema,
        CASES,
        setup,
        async |(server, client), _, body| {
            serve(server, "/tenants", &body).await;
            let page = client
                .list_tenants_page(PageRequest::first())
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            let items = items(&body);
            if page.items.len() != items.len() {
                return Err(format!(
                    "{} tenants for {} items",
                    page.items.len(),
                    items.len()
                ));
            }
            for (tenant, item) in page.items.iter().zip(items) {
                if Some(tenant.id.as_str()) != item["id"].as_str()
                    || Some(tenant.name.as_str()) != item["name"].as_str()
                {
                    return Err(format!("{tenant:?} for {item}"));
                }
                kept_as_sent(tenant.provider_data.as_ref(), item)?;
            }
            // Every tenant's members, in one read; an id listed twice answers
            // from its first tenant.
            let mut ids: Vec<TenantId> = Vec::new();
            for tenant in &page.items {
                if !ids.contains(&tenant.id) {
                    ids.push(tenant.id.clone());
                }
            }
            let members = client
                .list_members_of(&ids)
                .await
                .map_err(|e| format!("members: {e} for {body}"))?;
            let entries: Vec<(&str, &Value)> = ids
                .iter()
                .filter_map(|id| items.iter().find(|t| t["id"].as_str() == Some(id.as_str())))
                .flat_map(|t| {
                    let tenant = t["id"].as_str().unwrap_or_default();
                    self::items(&t["users"]).iter().map(move |u| (tenant, u))
                })
                .collect();
            if members.len() != entries.len() {
                return Err(format!(
                    "{} members for {} entries",
                    members.len(),
                    entries.len()
                ));
            }
            for (member, (tenant, entry)) in members.iter().zip(entries) {
                if member.tenant.as_str() != tenant || member.user.as_str() != expected_id(entry) {
                    return Err(format!("{member:?} for {entry} in {tenant}"));
                }
                if member.user_email != expected_email(entry) {
                    return Err(format!("email {:?} for {entry}", member.user_email));
                }
                kept_as_sent(member.provider_data.as_ref(), entry)?;
            }
            Ok(())
        },
    );
}

#[test]
fn every_ssh_key_list_the_spec_allows_decodes_without_loss() {
    let spec = Spec::parse(SPEC);
    let schema = spec.response("GET", "/sshkeys");
    for_each_body(
        &spec,
        &schema,
        CASES,
        setup,
        async |(server, client), _, body| {
            serve(server, "/sshkeys", &body).await;
            let keys = client
                .list_ssh_keys()
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            let items = items(&body);
            if keys.len() != items.len() {
                return Err(format!("{} keys for {} items", keys.len(), items.len()));
            }
            for (key, item) in keys.iter().zip(items) {
                if key.id.as_str() != expected_id(item)
                    || Some(key.public_key.as_str()) != item["public_key"].as_str()
                {
                    return Err(format!("{key:?} for {item}"));
                }
                kept_as_sent(key.provider_data.as_ref(), item)?;
            }
            Ok(())
        },
    );
}

#[test]
fn every_current_user_the_spec_allows_decodes_without_loss() {
    let spec = Spec::parse(SPEC);
    let schema = spec.response("GET", "/users/me");
    for_each_body(
        &spec,
        &schema,
        CASES,
        setup,
        async |(server, client), _, body| {
            serve(server, "/users/me", &body).await;
            let me = client
                .current_user()
                .await
                .map_err(|e| format!("{e} for {body}"))?;
            if me.email != expected_email(&body)
                || me.display_name.as_deref() != body["name"].as_str()
                || me.role != expected_role(&body)
                || me.raw_role.as_deref() != body["role"].as_str()
            {
                return Err(format!("{me:?} for {body}"));
            }
            kept_as_sent(me.provider_data.as_ref(), &body)
        },
    );
}
