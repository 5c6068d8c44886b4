//! Organization roles: what the adapter returns and what callers send to
//! create or change a custom role. None of these are generated types.

use roster_core::{Error, ProviderData, Raw, Result};

use crate::generated::types;
use crate::wire;

/// An organization role as the server sent it.
///
/// The published spec requires none of a role's fields, so each is an
/// `Option`; a role without an id can be listed but not assigned. The
/// role's own JSON is kept in [`provider_data`](OrgRole::provider_data)
/// (with keys this type does not name, such as `LastUpdateDateTime`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrgRole {
    /// The role's UUID, what invitations and role changes send.
    pub id: Option<String>,
    /// Its name, such as `Organization Administrator`.
    pub name: Option<String>,
    /// What it allows; `None` when the server sent no policy or one that is
    /// not a JSON policy (see the provider data).
    pub policy: Option<RolePolicy>,
    /// The role's JSON as it arrived.
    pub provider_data: Option<ProviderData>,
}

impl OrgRole {
    /// A role with this id and name, and nothing else known yet.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        OrgRole {
            id: Some(id.into()),
            name: Some(name.into()),
            policy: None,
            provider_data: None,
        }
    }

    /// Sets the policy.
    pub fn with_policy(self, policy: RolePolicy) -> Self {
        OrgRole {
            policy: Some(policy),
            ..self
        }
    }

    /// Attaches the role's JSON.
    pub fn with_provider_data(mut self, data: ProviderData) -> Self {
        self.provider_data = Some(data);
        self
    }

    pub(crate) fn from_api(role: Raw<wire::Role>) -> Self {
        let (role, data) = role.into_parts();
        OrgRole {
            id: role.id.filter(|id| !id.is_empty()),
            name: role.name,
            policy: role.policy.map(RolePolicy::from),
            provider_data: Some(data),
        }
    }

    /// Whether this role is the one named `name` (ignoring case) or with
    /// that id.
    pub(crate) fn answers_to(&self, name: &str) -> bool {
        self.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
            || self.id.as_deref() == Some(name)
    }
}

/// A role's policy as read: every part is optional, as the live service's
/// JSON-encoded policies may leave parts out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RolePolicy {
    /// What the policy is for.
    pub description: Option<String>,
    /// The resources it applies to (`drn:astra:org:<orgID>`, …).
    pub resources: Vec<String>,
    /// The actions it allows, such as `db-keyspace-create`.
    pub actions: Vec<String>,
    /// `allow`.
    pub effect: Option<String>,
}

impl RolePolicy {
    /// An empty policy; set the parts you know.
    pub fn new() -> Self {
        Self::default()
    }
}

impl From<wire::Policy> for RolePolicy {
    fn from(policy: wire::Policy) -> Self {
        RolePolicy {
            description: policy.description,
            resources: policy.resources,
            actions: policy.actions,
            effect: policy.effect,
        }
    }
}

/// The effect a policy gets when the caller names none: the only one the
/// published spec knows.
pub const DEFAULT_EFFECT: &str = "allow";

/// A custom role to create (`POST /v2/organizations/roles`).
///
/// ```
/// use roster_astra::NewRole;
///
/// let role = NewRole::new("Keyspace Creator")
///     .with_description("creates keyspaces")
///     .with_resource("drn:astra:org:dacb3c32-cc2a-4bea-bd95-47ab8eb20410")
///     .with_action("db-all-keyspace-create");
/// assert_eq!(role.effect, "allow");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewRole {
    /// The role's name; not blank.
    pub name: String,
    /// What its policy is for (sent as given, `""` by default).
    pub description: String,
    /// The resources the policy applies to.
    pub resources: Vec<String>,
    /// The actions it allows. Sent as given: the server judges them.
    pub actions: Vec<String>,
    /// The policy's effect, [`DEFAULT_EFFECT`] unless set.
    pub effect: String,
}

impl NewRole {
    /// A role named `name` with an empty `allow` policy.
    pub fn new(name: impl Into<String>) -> Self {
        NewRole {
            name: name.into(),
            description: String::new(),
            resources: Vec::new(),
            actions: Vec::new(),
            effect: DEFAULT_EFFECT.to_owned(),
        }
    }

    /// Sets the policy's description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Adds a resource.
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self
    }

    /// Adds an action.
    pub fn with_action(mut self, action: impl Into<String>) -> Self {
        self.actions.push(action.into());
        self
    }

    /// Sets the effect.
    pub fn with_effect(mut self, effect: impl Into<String>) -> Self {
        self.effect = effect.into();
        self
    }

    /// The request body, checked: a blank name or effect is `InvalidInput`.
    pub(crate) fn body(&self) -> Result<types::CreateRoleRequest> {
        Ok(types::CreateRoleRequest {
            name: checked_name(&self.name)?,
            policy: types::PolicyBody {
                description: self.description.clone(),
                resources: self.resources.clone(),
                actions: self.actions.clone(),
                effect: checked_effect(&self.effect)?,
            },
        })
    }
}

/// What to change on a custom role. Parts left `None` keep their value:
/// the published update replaces the whole role, so the adapter reads the
/// role first and sends its current values for every part not named here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RoleUpdate {
    /// A new name.
    pub name: Option<String>,
    /// A new policy description.
    pub description: Option<String>,
    /// The new set of resources, replacing the old one.
    pub resources: Option<Vec<String>>,
    /// The new set of actions, replacing the old one.
    pub actions: Option<Vec<String>>,
    /// A new effect.
    pub effect: Option<String>,
}

impl RoleUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Renames the role.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Changes the policy's description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Replaces the resources.
    pub fn resources(mut self, resources: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.resources = Some(resources.into_iter().map(Into::into).collect());
        self
    }

    /// Replaces the actions.
    pub fn actions(mut self, actions: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.actions = Some(actions.into_iter().map(Into::into).collect());
        self
    }

    /// Changes the effect.
    pub fn effect(mut self, effect: impl Into<String>) -> Self {
        self.effect = Some(effect.into());
        self
    }

    /// Whether the update changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &RoleUpdate::default()
    }

    /// Whether it names every part of the policy, so nothing of the
    /// current one is needed.
    pub(crate) fn names_whole_policy(&self) -> bool {
        self.description.is_some()
            && self.resources.is_some()
            && self.actions.is_some()
            && self.effect.is_some()
    }

    /// Checks what the caller named, before anything is sent.
    pub(crate) fn check(&self) -> Result<()> {
        if let Some(name) = &self.name {
            checked_name(name)?;
        }
        if let Some(effect) = &self.effect {
            checked_effect(effect)?;
        }
        Ok(())
    }

    /// The whole new role: the parts named here, the current values for the
    /// rest. A current policy part that is missing is sent empty (and the
    /// effect as [`DEFAULT_EFFECT`]).
    pub(crate) fn merged(&self, current: &OrgRole) -> Result<types::UpdateRoleRequest> {
        let policy = current.policy.clone().unwrap_or_default();
        let name = match (&self.name, &current.name) {
            (Some(name), _) | (None, Some(name)) => checked_name(name)?,
            (None, None) => {
                return Err(Error::invalid_input(
                    "the role has no name on the server; give one with RoleUpdate::name",
                ));
            }
        };
        Ok(types::UpdateRoleRequest {
            name,
            policy: types::PolicyBody {
                description: self
                    .description
                    .clone()
                    .or(policy.description)
                    .unwrap_or_default(),
                resources: self.resources.clone().unwrap_or(policy.resources),
                actions: self.actions.clone().unwrap_or(policy.actions),
                effect: checked_effect(
                    self.effect
                        .as_deref()
                        .or(policy.effect.as_deref())
                        .unwrap_or(DEFAULT_EFFECT),
                )?,
            },
        })
    }
}

fn checked_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid_input("the role name is empty"));
    }
    Ok(name.to_owned())
}

fn checked_effect(effect: &str) -> Result<String> {
    let effect = effect.trim();
    if effect.is_empty() {
        return Err(Error::invalid_input("the policy effect is empty"));
    }
    Ok(effect.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current() -> OrgRole {
        OrgRole::new("r1", "Keyspace Creator").with_policy(RolePolicy {
            description: Some("old".into()),
            resources: vec!["drn:astra:org:o".into()],
            actions: vec!["db-keyspace-create".into()],
            effect: Some("allow".into()),
        })
    }

    #[test]
    fn an_update_keeps_every_part_it_does_not_name() {
        let body = RoleUpdate::new()
            .actions(["db-cql"])
            .merged(&current())
            .expect("merged");
        assert_eq!(
            serde_json::to_value(&body).expect("json"),
            serde_json::json!({"name": "Keyspace Creator", "policy": {
                "description": "old", "resources": ["drn:astra:org:o"],
                "actions": ["db-cql"], "effect": "allow"}})
        );
        let renamed = RoleUpdate::new()
            .name(" New ")
            .merged(&current())
            .expect("renamed");
        assert_eq!(renamed.name, "New");
        assert_eq!(renamed.policy.actions, ["db-keyspace-create"]);
    }

    #[test]
    fn blank_names_and_effects_are_refused() {
        assert!(RoleUpdate::new().name(" ").check().is_err());
        assert!(RoleUpdate::new().effect("").check().is_err());
        assert!(NewRole::new("  ").body().is_err());
        assert!(NewRole::new("x").with_effect(" ").body().is_err());
        let unnamed = OrgRole {
            name: None,
            ..current()
        };
        assert!(RoleUpdate::new().actions(["a"]).merged(&unnamed).is_err());
        assert!(RoleUpdate::new().is_empty());
        assert!(
            RoleUpdate::new()
                .description("")
                .resources(Vec::<String>::new())
                .actions(["a"])
                .effect("allow")
                .names_whole_policy()
        );
    }
}
