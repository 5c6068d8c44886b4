//! The response bodies, written by hand and plugged into the generated
//! client through progenitor's replacements (see `xtask/src/providers.rs`).
//!
//! The published spec names every key in camelCase (`userID`, `orgName`,
//! `roles: [{id, name, policy: {...}}]`), but the live service answers in
//! PascalCase (`UserID`, `OrgName`, `Roles: [{ID, Name, Policy: "{...}"}]`)
//! and sends a role's policy as a JSON-encoded string. Each field therefore
//! takes its spec name plus serde aliases for the live spellings, and
//! [`Policy`] accepts a string or an object. Unknown keys are ignored here
//! and kept by [`Raw`], which holds every user, role and organization as it
//! arrived.
//!
//! Everything the published spec leaves optional is optional here: a user's
//! `status` (a free string), every field of a role, every field of a
//! policy. A user's `userID` is required by the spec, but is decoded as an
//! `Option` so that a user without one fails the list with its position
//! (see `mapping::users_from_api`) rather than with serde's line and column.

use roster_core::Raw;
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Every user, active or invited, each with its JSON as it arrived.
    /// Required, as published; `null` is read as none.
    #[serde(rename = "users", alias = "Users", deserialize_with = "null_as_empty")]
    pub users: Vec<Raw<OrgUser>>,
}

/// One user of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUser {
    /// The user's id; `None` only in a malformed answer.
    #[serde(
        rename = "userID",
        alias = "UserID",
        alias = "userId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub user_id: Option<String>,
    /// Their email.
    #[serde(default, alias = "Email", skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `active` or `invited` today; the spec types it as a free string.
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

impl OrgUser {
    /// The id, when the server sent a usable one.
    pub fn id(&self) -> Option<&str> {
        self.user_id.as_deref().filter(|id| !id.is_empty())
    }
}

/// An organization role. Inside a user usually only `ID` and `Name` arrive;
/// the role endpoints add the policy. The spec requires none of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// The role's UUID.
    #[serde(
        default,
        alias = "ID",
        alias = "Id",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// Its name, such as `Organization Administrator`.
    #[serde(default, alias = "Name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the role allows; `None` when absent, and when a policy string
    /// is not a JSON policy (the role's JSON still holds it).
    #[serde(
        default,
        alias = "Policy",
        deserialize_with = "lenient_policy",
        skip_serializing_if = "Option::is_none"
    )]
    pub policy: Option<Policy>,
}

impl Role {
    /// The id, when the server sent a usable one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref().filter(|id| !id.is_empty())
    }
}

/// A role's policy, read from an object or from the JSON-encoded string the
/// live service sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// What the policy is for.
    #[serde(
        default,
        alias = "Description",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// The resources it applies to (`drn:astra:org:...`).
    #[serde(default, alias = "Resources", deserialize_with = "null_as_empty")]
    pub resources: Vec<String>,
    /// The actions it allows, such as `db-keyspace-create`.
    #[serde(default, alias = "Actions", deserialize_with = "null_as_empty")]
    pub actions: Vec<String>,
    /// `allow`.
    #[serde(default, alias = "Effect", skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PolicyForm {
    Encoded(String),
    Object(Policy),
}

/// A policy object, or a string holding one. A string that is blank reads
/// as an empty policy; one that is not a JSON policy reads as none, so that
/// one odd role never fails a role list (its JSON keeps the text).
fn lenient_policy<'de, D>(deserializer: D) -> Result<Option<Policy>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Option::<PolicyForm>::deserialize(deserializer)? {
        None => None,
        Some(PolicyForm::Object(policy)) => Some(policy),
        Some(PolicyForm::Encoded(text)) if text.trim().is_empty() => Some(Policy::default()),
        Some(PolicyForm::Encoded(text)) => serde_json::from_str(&text).ok(),
    })
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
        let role: Raw<Role> = serde_json::from_str(POLICY_STRING).expect("role");
        assert_eq!(role.id(), Some("b125f9ab-675e-4bc7-9306-5e50a05b7c56"));
        assert_eq!(role.name.as_deref(), Some("newRoleName"));
        assert_eq!(role.policy, Some(expected_policy()));
        assert_eq!(role.data().get(), POLICY_STRING, "kept as it arrived");
    }

    #[test]
    fn a_spec_role_with_its_policy_as_an_object() {
        let body = r#"{"id":"b125","name":"newRoleName","policy":{"description":"keyspaces","resources":["drn:astra:org:dccb8c32-cc2a-4bea-bd95-47ab8eb20510"],"actions":["db-all-keyspace-create","db-all-keyspace-describe"],"effect":"allow"},"last_update_datetime":"2021-01-01T00:00:00Z"}"#;
        let role: Role = serde_json::from_str(body).expect("role");
        assert_eq!(role.policy, Some(expected_policy()));
    }

    #[test]
    fn a_policy_string_that_is_not_json_reads_as_no_policy() {
        let role: Role = serde_json::from_str(r#"{"ID":"r","Name":"n","Policy":"{not json"}"#)
            .expect("odd policy");
        assert_eq!(role.policy, None);
        let empty: Role =
            serde_json::from_str(r#"{"ID":"r","Name":"n","Policy":""}"#).expect("empty policy");
        assert_eq!(empty.policy, Some(Policy::default()));
        let partial: Role =
            serde_json::from_str(r#"{"Policy":"{\"actions\":[\"org-read\"],\"extra\":1}"}"#)
                .expect("partial policy");
        let policy = partial.policy.expect("policy");
        assert_eq!(policy.actions, ["org-read"]);
        assert_eq!(policy.description, None);
        let null: Role = serde_json::from_str(r#"{"Policy":null}"#).expect("null");
        assert_eq!(null.policy, None);
    }

    #[test]
    fn a_role_needs_no_field_at_all() {
        let role: Role = serde_json::from_str("{}").expect("bare role");
        assert_eq!((role.id(), role.name.as_deref()), (None, None));
        let blank: Role = serde_json::from_str(r#"{"ID":""}"#).expect("blank id");
        assert_eq!(blank.id(), None);
    }

    #[test]
    fn users_in_both_casings_decode_alike() {
        let pascal = r#"{"OrgID":"o","OrgName":"DataStax","Users":[{"UserID":"u","Email":"a@b.io","Status":"active","Roles":[{"ID":"r","Name":"Admin User"}]}]}"#;
        let camel = r#"{"orgID":"o","orgName":"DataStax","users":[{"userID":"u","email":"a@b.io","status":"active","roles":[{"id":"r","name":"Admin User"}]}]}"#;
        let a: OrgUsers = serde_json::from_str(pascal).expect("pascal");
        let b: OrgUsers = serde_json::from_str(camel).expect("camel");
        assert_eq!(a.users[0].value(), b.users[0].value());
        assert_eq!(a.org_id, b.org_id);
        assert_eq!(a.users[0].roles[0].name.as_deref(), Some("Admin User"));
        assert_eq!(
            a.users[0].data().get(),
            r#"{"UserID":"u","Email":"a@b.io","Status":"active","Roles":[{"ID":"r","Name":"Admin User"}]}"#
        );
        let no_users: OrgUsers =
            serde_json::from_str(r#"{"OrgID":"o","Users":null}"#).expect("null users");
        assert!(no_users.users.is_empty() && no_users.org_name.is_none());
        assert!(serde_json::from_str::<OrgUsers>(r#"{"OrgID":"o"}"#).is_err());
    }

    #[test]
    fn a_user_needs_only_what_it_has() {
        let bare: OrgUsers = serde_json::from_str(
            r#"{"OrgID":"o","Users":[{"UserID":"u"},{"Email":"x@y.io","Roles":[{}],"New":1}]}"#,
        )
        .expect("loose users");
        assert_eq!(bare.users[0].id(), Some("u"));
        assert_eq!(bare.users[0].status, None);
        assert_eq!(bare.users[1].id(), None, "decoded; the mapping refuses it");
        assert_eq!(bare.users[1].roles.len(), 1);
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
