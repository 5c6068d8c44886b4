//! Users, tenants and memberships as plain data, addressed by email and
//! name so that one description means the same thing to every provider.
//!
//! It is the shape of a desired-state file (what `plan` compares a provider
//! against) and of the testkit emulators' seeds and dumps, so a dump can
//! seed the next run or become a desired state:
//!
//! ```
//! use roster_core::state::DirectoryState;
//!
//! let state: DirectoryState = serde_json::from_str(r#"{
//!     "users": [{"email": "alice@example.com", "role": "admin"}],
//!     "tenants": [{"name": "project-alpha"}],
//!     "memberships": [{"tenant": "project-alpha", "user": "alice@example.com"}]
//! }"#)?;
//! state.check()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Email, RoleSpec, TenantRole, User, WireGuardKey};

/// Users, tenants and memberships.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryState {
    /// The users.
    #[serde(default)]
    pub users: Vec<UserState>,
    /// The tenants.
    #[serde(default)]
    pub tenants: Vec<TenantState>,
    /// Who is in which tenant.
    #[serde(default)]
    pub memberships: Vec<MembershipState>,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserState {
    /// Their email, which identifies them.
    pub email: Email,
    /// A neutral role name (`owner`, `admin`, `member`, `auditor`,
    /// `billing_admin`, `network_admin`) or the provider's own; see
    /// [`RoleSpec::parse`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// A display name, where the provider keeps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantState {
    /// Its name, which identifies it.
    pub name: String,
}

/// A user's membership of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipState {
    /// The tenant's name.
    pub tenant: String,
    /// The user's email.
    pub user: Email,
    /// Their role in the tenant, where the provider has tenant roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<TenantRole>,
    /// Their WireGuard public key, where the provider needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wireguard_key: Option<WireGuardKey>,
}

impl DirectoryState {
    /// Checks that no user or tenant is listed twice and that every
    /// membership names a user and a tenant of the state.
    pub fn check(&self) -> Result<()> {
        check(&self.users, &self.tenants, &self.memberships)
    }

    /// The same state in a canonical order, for comparisons.
    pub fn sorted(mut self) -> DirectoryState {
        self.users
            .sort_by(|a, b| a.email.as_str().cmp(b.email.as_str()));
        self.tenants.sort_by(|a, b| a.name.cmp(&b.name));
        self.memberships.sort_by(|a, b| {
            (a.tenant.as_str(), a.user.as_str()).cmp(&(b.tenant.as_str(), b.user.as_str()))
        });
        self
    }
}

/// Checks a state given in its parts (as a desired-state section holds
/// them, without copying them into a [`DirectoryState`]): no user or tenant
/// listed twice, and every membership naming a user and a tenant of the
/// state. Emails match whatever their case.
pub fn check(
    users: &[UserState], tenants: &[TenantState], memberships: &[MembershipState],
) -> Result<()> {
    use std::collections::HashSet;
    let mut emails = HashSet::with_capacity(users.len());
    for user in users {
        if !emails.insert(lowercase(user.email.as_str())) {
            return Err(Error::invalid_input(format!(
                "{} is listed twice",
                user.email
            )));
        }
    }
    let mut names = HashSet::with_capacity(tenants.len());
    for tenant in tenants {
        if !names.insert(tenant.name.as_str()) {
            return Err(Error::invalid_input(format!(
                "tenant {:?} is listed twice",
                tenant.name
            )));
        }
    }
    let mut pairs = HashSet::with_capacity(memberships.len());
    for membership in memberships {
        let user = lowercase(membership.user.as_str());
        if !emails.contains(&user) {
            return Err(Error::invalid_input(format!(
                "the membership of {} names no user of the state",
                membership.user
            )));
        }
        if !names.contains(membership.tenant.as_str()) {
            return Err(Error::invalid_input(format!(
                "the membership in {:?} names no tenant of the state",
                membership.tenant
            )));
        }
        if !pairs.insert((membership.tenant.as_str(), user)) {
            return Err(Error::invalid_input(format!(
                "{} is listed twice in {:?}",
                membership.user, membership.tenant
            )));
        }
    }
    Ok(())
}

/// `text` in lower case (as [`str::to_lowercase`]), copying it only when it
/// has a letter to change: emails are compared this way by the thousand.
pub fn lowercase(text: &str) -> Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.to_lowercase())
    }
}

impl RoleSpec {
    /// A role given by name: a neutral name (`owner`, `admin`, `member`,
    /// `auditor`, `billing_admin`, `network_admin`, in any case) is that
    /// neutral role; anything else is the provider's own role name.
    pub fn parse(name: &str) -> RoleSpec {
        use crate::model::Role;
        let neutral = match name.trim().to_ascii_lowercase().as_str() {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            "auditor" => Some(Role::Auditor),
            "billing_admin" => Some(Role::BillingAdmin),
            "network_admin" => Some(Role::NetworkAdmin),
            _ => None,
        };
        match neutral {
            Some(role) => RoleSpec::Neutral(role),
            None => RoleSpec::Provider(name.to_owned()),
        }
    }

    /// Whether `user` holds this role: the same neutral role, or a raw role
    /// of that name (ignoring case; a provider that lists several roles
    /// separates them with commas).
    pub fn held_by(&self, user: &User) -> bool {
        match self {
            RoleSpec::Neutral(role) => user.role == Some(*role),
            RoleSpec::Provider(name) => user.raw_role.as_deref().is_some_and(|raw| {
                raw.split(',')
                    .any(|part| part.trim().eq_ignore_ascii_case(name.trim()))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Role, UserId, UserStatus};

    #[test]
    fn check_refuses_duplicates_and_dangling_memberships() {
        let state: DirectoryState = serde_json::from_str(
            r#"{"users": [{"email": "A@B.c"}], "tenants": [{"name": "t"}],
                "memberships": [{"tenant": "t", "user": "a@b.c"}]}"#,
        )
        .unwrap();
        // Emails match whatever their case, as everywhere else.
        state.check().unwrap();
        let mut twice = state.clone();
        twice.users.push(twice.users[0].clone());
        assert!(twice.check().is_err());
        let mut dangling = state.clone();
        dangling.memberships[0].tenant = "nope".into();
        assert!(dangling.check().is_err());
        assert!(
            serde_json::from_str::<DirectoryState>(r#"{"tenants": [{"name": "t", "x": 1}]}"#)
                .is_err()
        );
    }

    #[test]
    fn role_names_parse_and_match() {
        assert_eq!(RoleSpec::parse("Admin"), RoleSpec::Neutral(Role::Admin));
        assert_eq!(
            RoleSpec::parse("billing_admin"),
            RoleSpec::Neutral(Role::BillingAdmin)
        );
        assert_eq!(
            RoleSpec::parse("R/W User"),
            RoleSpec::Provider("R/W User".into())
        );
        let user = User::new(UserId::new("u").unwrap(), UserStatus::Active)
            .with_role(Role::Member, "R/W User, Read Only User");
        assert!(RoleSpec::parse("member").held_by(&user));
        assert!(!RoleSpec::parse("admin").held_by(&user));
        assert!(RoleSpec::parse("read only user").held_by(&user));
        assert!(!RoleSpec::parse("Billing").held_by(&user));
    }
}
