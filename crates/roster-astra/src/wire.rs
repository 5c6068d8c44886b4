//! The response bodies, written by hand and plugged into the generated
//! client through progenitor's replacements (see `xtask/src/providers.rs`).
//!
//! The published spec names every key in camelCase (`userID`, `orgName`,
//! `roles: [{id, name, policy: {...}}]`), but the live service answers in
//! PascalCase (`UserID`, `OrgName`, `Roles: [{ID, Name, Policy: "{...}"}]`)
//! and sends a role's policy as a JSON-encoded string. Each field therefore
//! takes its spec name plus serde aliases for the live spellings, and
//! [`Policy`] accepts a string or an object. Unknown keys are ignored.

use serde::{Deserialize, Deserializer, Serialize};

/// `null` and a missing-but-defaulted list both mean "none".
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// `GET /v2/currentOrg`: the organization the token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// The organization's UUID.
    #[serde(alias = "ID", alias = "Id", alias = "OrgID", alias = "orgID")]
    pub id: String,
    /// Its name; the published spec does not promise one.
    #[serde(
        default,
        alias = "Name",
        alias = "OrgName",
        alias = "orgName",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
}

/// `GET /v2/organizations/users`: the organization and its users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUsers {
    /// The organization's UUID.
    #[serde(rename = "orgID", alias = "OrgID", alias = "orgId")]
    pub org_id: String,
    /// The organization's name.
    #[serde(
        rename = "orgName",
        alias = "OrgName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub org_name: Option<String>,
    /// Every user, active or invited.
    #[serde(rename = "users", alias = "Users", deserialize_with = "null_as_empty")]
    pub users: Vec<OrgUser>,
}

/// One user of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUser {
    /// The user's id.
    #[serde(rename = "userID", alias = "UserID", alias = "userId")]
    pub user_id: String,
    /// Their email.
    #[serde(default, alias = "Email", skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `active` or `invited`.
    #[serde(default, alias = "Status", skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Their organization roles.
    #[serde(
        default,
        alias = "Roles",
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub roles: Vec<Role>,
}

/// An organization role. Inside a user only `ID` and `Name` arrive; the
/// role endpoints add the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// The role's UUID.
    #[serde(alias = "ID", alias = "Id")]
    pub id: String,
    /// Its name, such as `Organization Administrator`.
    #[serde(alias = "Name")]
    pub name: String,
    /// What the role allows.
    #[serde(default, alias = "Policy", skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
}

/// A role's policy, read from an object or from the JSON-encoded string the
/// live service sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PolicyForm")]
pub struct Policy {
    /// What the policy is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The resources it applies to (`drn:astra:org:...`).
    pub resources: Vec<String>,
    /// The actions it allows, such as `db-keyspace-create`.
    pub actions: Vec<String>,
    /// `allow`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PolicyForm {
    Encoded(String),
    Object(PolicyFields),
}

#[derive(Deserialize)]
struct PolicyFields {
    #[serde(default, alias = "Description")]
    description: Option<String>,
    #[serde(default, alias = "Resources", deserialize_with = "null_as_empty")]
    resources: Vec<String>,
    #[serde(default, alias = "Actions", deserialize_with = "null_as_empty")]
    actions: Vec<String>,
    #[serde(default, alias = "Effect")]
    effect: Option<String>,
}

impl TryFrom<PolicyForm> for Policy {
    type Error = String;

    fn try_from(form: PolicyForm) -> Result<Self, String> {
        let fields = match form {
            PolicyForm::Object(fields) => fields,
            PolicyForm::Encoded(text) if text.trim().is_empty() => return Ok(Policy::default()),
            PolicyForm::Encoded(text) => serde_json::from_str(&text)
                .map_err(|err| format!("a role policy string is not a JSON policy: {err}"))?,
        };
        Ok(Policy {
            description: fields.description,
            resources: fields.resources,
            actions: fields.actions,
            effect: fields.effect,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY_STRING: &str = r#"{ "OrgID":"dccb8c32-cc2a-4bea-bd95-47ab8eb20510", "ID":"b125f9ab-675e-4bc7-9306-5e50a05b7c56", "Name":"newRoleName", "Policy":"{ \"description\":\"keyspaces\", \"resources\":[\"drn:astra:org:dccb8c32-cc2a-4bea-bd95-47ab8eb20510\"], \"actions\":[\"db-all-keyspace-create\",\"db-all-keyspace-describe\"], \"effect\":\"allow\" }", "LastUpdateDateTime":"", "LastUpdateUserID":"wsbCtHyXCfuSHkiKbYWHsYZa" }"#;

    fn expected_policy() -> Policy {
        Policy {
            description: Some("keyspaces".into()),
            resources: vec!["drn:astra:org:dccb8c32-cc2a-4bea-bd95-47ab8eb20510".into()],
            actions: vec![
                "db-all-keyspace-create".into(),
                "db-all-keyspace-describe".into(),
            ],
            effect: Some("allow".into()),
        }
    }

    #[test]
    fn a_live_role_with_its_policy_as_a_string() {
        let role: Role = serde_json::from_str(POLICY_STRING).expect("role");
        assert_eq!(role.id, "b125f9ab-675e-4bc7-9306-5e50a05b7c56");
        assert_eq!(role.name, "newRoleName");
        assert_eq!(role.policy, Some(expected_policy()));
    }

    #[test]
    fn a_spec_role_with_its_policy_as_an_object() {
        let body = r#"{"id":"b125","name":"newRoleName","policy":{"description":"keyspaces","resources":["drn:astra:org:dccb8c32-cc2a-4bea-bd95-47ab8eb20510"],"actions":["db-all-keyspace-create","db-all-keyspace-describe"],"effect":"allow"},"last_update_datetime":"2021-01-01T00:00:00Z"}"#;
        let role: Role = serde_json::from_str(body).expect("role");
        assert_eq!(role.policy, Some(expected_policy()));
    }

    #[test]
    fn a_policy_string_that_is_not_json_is_an_error() {
        let err = serde_json::from_str::<Role>(r#"{"ID":"r","Name":"n","Policy":"{not json"}"#)
            .expect_err("bad policy");
        assert!(err.to_string().contains("not a JSON policy"), "{err}");
        let empty: Role =
            serde_json::from_str(r#"{"ID":"r","Name":"n","Policy":""}"#).expect("empty policy");
        assert_eq!(empty.policy, Some(Policy::default()));
    }

    #[test]
    fn users_in_both_casings_decode_alike() {
        let pascal = r#"{"OrgID":"o","OrgName":"DataStax","Users":[{"UserID":"u","Email":"a@b.io","Status":"active","Roles":[{"ID":"r","Name":"Admin User"}]}]}"#;
        let camel = r#"{"orgID":"o","orgName":"DataStax","users":[{"userID":"u","email":"a@b.io","status":"active","roles":[{"id":"r","name":"Admin User"}]}]}"#;
        let a: OrgUsers = serde_json::from_str(pascal).expect("pascal");
        let b: OrgUsers = serde_json::from_str(camel).expect("camel");
        assert_eq!(a, b);
        assert_eq!(a.users[0].roles[0].name, "Admin User");
        let no_users: OrgUsers =
            serde_json::from_str(r#"{"OrgID":"o","Users":null}"#).expect("null users");
        assert!(no_users.users.is_empty() && no_users.org_name.is_none());
        assert!(serde_json::from_str::<OrgUsers>(r#"{"OrgID":"o"}"#).is_err());
    }

    #[test]
    fn organizations_in_both_casings() {
        for body in [r#"{"id":"o","name":"n"}"#, r#"{"ID":"o","Name":"n"}"#] {
            let org: Organization = serde_json::from_str(body).expect(body);
            assert_eq!(org.id, "o");
            assert_eq!(org.name.as_deref(), Some("n"));
        }
        let bare: Organization = serde_json::from_str(r#"{"id":"o"}"#).expect("bare");
        assert_eq!(bare.name, None);
    }
}
