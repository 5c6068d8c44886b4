//! An emulator's state in neutral shapes, for seeding and dumping.
//!
//! The same shape goes in (`roster-emulator --seed FILE`) and comes out
//! (`--dump FILE`), as JSON or TOML, so a dump can seed the next run:
//!
//! ```toml
//! [[users]]
//! email = "alice@example.com"
//! role = "admin"            # a neutral role name; each emulator maps it
//!
//! [[tenants]]
//! name = "project-alpha"
//!
//! [[memberships]]
//! tenant = "project-alpha"  # by name
//! user = "alice@example.com"  # by email
//! role = "admin"            # optional: "admin" or "member"
//! wireguard_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="  # IaaS needs one
//! ```

use roster_core::{Email, TenantRole, WireGuardKey};
use serde::{Deserialize, Serialize};

/// Users, tenants and memberships, addressed by email and name so that a
/// snapshot means the same thing to every provider.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// The users.
    #[serde(default)]
    pub users: Vec<SnapshotUser>,
    /// The tenants.
    #[serde(default)]
    pub tenants: Vec<SnapshotTenant>,
    /// Who is in which tenant.
    #[serde(default)]
    pub memberships: Vec<SnapshotMembership>,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotUser {
    /// Their email, which identifies them.
    pub email: Email,
    /// A neutral role name (`owner`, `admin`, `member`, `auditor`,
    /// `billing_admin`, `network_admin`) or the provider's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// A display name, where the provider keeps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotTenant {
    /// Its name, which identifies it.
    pub name: String,
}

/// A user's membership of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotMembership {
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

impl Snapshot {
    /// Parses JSON, or TOML when `path` ends in `.toml`.
    pub fn parse(text: &str, path: &str) -> Result<Snapshot, String> {
        if path.ends_with(".toml") {
            toml::from_str(text).map_err(|e| format!("{path}: {e}"))
        } else {
            serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))
        }
    }

    /// Renders as JSON, or TOML when `path` ends in `.toml`.
    pub fn render(&self, path: &str) -> Result<String, String> {
        if path.ends_with(".toml") {
            toml::to_string_pretty(self).map_err(|e| e.to_string())
        } else {
            serde_json::to_string_pretty(self).map_err(|e| e.to_string())
        }
    }

    /// Checks that every membership names a user and a tenant of the
    /// snapshot.
    pub fn check(&self) -> Result<(), String> {
        for membership in &self.memberships {
            if !self.users.iter().any(|u| u.email == membership.user) {
                return Err(format!(
                    "membership of {} names no user of the snapshot",
                    membership.user
                ));
            }
            if !self.tenants.iter().any(|t| t.name == membership.tenant) {
                return Err(format!(
                    "membership in {:?} names no tenant of the snapshot",
                    membership.tenant
                ));
            }
        }
        Ok(())
    }

    /// The same snapshot in a canonical order, for comparisons.
    pub fn sorted(mut self) -> Snapshot {
        self.users
            .sort_by(|a, b| a.email.as_str().cmp(b.email.as_str()));
        self.tenants.sort_by(|a, b| a.name.cmp(&b.name));
        self.memberships.sort_by(|a, b| {
            (a.tenant.as_str(), a.user.as_str()).cmp(&(b.tenant.as_str(), b.user.as_str()))
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
[[users]]
email = "alice@example.com"
role = "admin"

[[users]]
email = "bob@example.com"

[[tenants]]
name = "alpha"

[[memberships]]
tenant = "alpha"
user = "alice@example.com"
role = "admin"
wireguard_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
"#;

    #[test]
    fn toml_and_json_round_trip() {
        let snapshot = Snapshot::parse(TOML, "seed.toml").unwrap();
        snapshot.check().unwrap();
        assert_eq!(snapshot.users.len(), 2);
        assert_eq!(snapshot.memberships[0].role, Some(TenantRole::Admin));
        for path in ["out.toml", "out.json"] {
            let text = snapshot.render(path).unwrap();
            assert_eq!(Snapshot::parse(&text, path).unwrap(), snapshot, "{path}");
        }
    }

    #[test]
    fn bad_seeds_are_refused_with_the_reason() {
        let bad_email = "[[users]]\nemail = \"nope\"\n";
        assert!(
            Snapshot::parse(bad_email, "s.toml")
                .unwrap_err()
                .contains("s.toml")
        );
        let unknown = "[[tenants]]\nname = \"a\"\ncolour = \"red\"\n";
        assert!(
            Snapshot::parse(unknown, "s.toml")
                .unwrap_err()
                .contains("colour")
        );
        let dangling = r#"{"memberships": [{"tenant": "x", "user": "a@b.c"}]}"#;
        assert!(
            Snapshot::parse(dangling, "s.json")
                .unwrap()
                .check()
                .is_err()
        );
    }
}
