//! The discovery documents: `/ServiceProviderConfig`, `/ResourceTypes` and
//! `/Schemas` (RFC 7643 §5–7), saying exactly what this service supports.

use serde_json::{Value, json};

use crate::resource::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};

/// The most resources one list answer holds.
pub const MAX_RESULTS: usize = 1000;

/// `/ServiceProviderConfig`.
pub fn service_provider_config() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/roster-rs/roster#scim",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A static bearer token in the Authorization header",
            "primary": true
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": "/scim/v2/ServiceProviderConfig"}
    })
}

/// `/ResourceTypes`: User (with the Enterprise extension) and Group.
pub fn resource_types() -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User", "name": "User", "endpoint": "/Users",
            "description": "A person, provisioned to every provider of the fleet",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/User"}
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group", "name": "Group", "endpoint": "/Groups",
            "description": "A group, mapped to tenants and roles per provider",
            "schema": GROUP_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/Group"}
        }),
    ]
}

fn attr(
    name: &str, kind: &str, multi: bool, required: bool, case_exact: bool, mutability: &str,
    uniqueness: &str,
) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": multi, "required": required,
        "caseExact": case_exact, "mutability": mutability, "returned": "default",
        "uniqueness": uniqueness, "description": name
    })
}

fn complex(name: &str, multi: bool, subs: &[&str]) -> Value {
    let mut a = attr(name, "complex", multi, false, false, "readWrite", "none");
    a["subAttributes"] = Value::Array(
        subs.iter()
            .map(|s| match *s {
                "primary" => attr(s, "boolean", false, false, false, "readWrite", "none"),
                "$ref" => attr(s, "reference", false, false, false, "immutable", "none"),
                _ => attr(s, "string", false, false, false, "readWrite", "none"),
            })
            .collect(),
    );
    a
}

/// `/Schemas`: the User, Group and Enterprise User schemas.
pub fn schemas() -> Vec<Value> {
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA, "name": "User", "description": "User Account",
        "attributes": [
            attr("userName", "string", false, true, false, "readWrite", "server"),
            complex("name", false, &["formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"]),
            attr("displayName", "string", false, false, false, "readWrite", "none"),
            attr("nickName", "string", false, false, false, "readWrite", "none"),
            attr("title", "string", false, false, false, "readWrite", "none"),
            attr("userType", "string", false, false, false, "readWrite", "none"),
            attr("preferredLanguage", "string", false, false, false, "readWrite", "none"),
            attr("locale", "string", false, false, false, "readWrite", "none"),
            attr("timezone", "string", false, false, false, "readWrite", "none"),
            attr("active", "boolean", false, false, false, "readWrite", "none"),
            attr("externalId", "string", false, false, true, "readWrite", "none"),
            complex("emails", true, &["value", "display", "type", "primary"]),
            complex("phoneNumbers", true, &["value", "display", "type", "primary"]),
            complex("addresses", true, &["formatted", "streetAddress", "locality", "region", "postalCode", "country", "type", "primary"]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("/scim/v2/Schemas/{USER_SCHEMA}")}
    });
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA, "name": "Group", "description": "Group",
        "attributes": [
            attr("displayName", "string", false, true, false, "readWrite", "server"),
            attr("externalId", "string", false, false, true, "readWrite", "none"),
            complex("members", true, &["value", "display", "type", "$ref"]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("/scim/v2/Schemas/{GROUP_SCHEMA}")}
    });
    let enterprise = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": ENTERPRISE_SCHEMA, "name": "EnterpriseUser", "description": "Enterprise User",
        "attributes": [
            attr("employeeNumber", "string", false, false, false, "readWrite", "none"),
            attr("costCenter", "string", false, false, false, "readWrite", "none"),
            attr("organization", "string", false, false, false, "readWrite", "none"),
            attr("division", "string", false, false, false, "readWrite", "none"),
            attr("department", "string", false, false, false, "readWrite", "none"),
            complex("manager", false, &["value", "$ref", "displayName"]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("/scim/v2/Schemas/{ENTERPRISE_SCHEMA}")}
    });
    vec![user, group, enterprise]
}
