//! A short digest of what planning read from one provider, so that a saved
//! plan can tell whether the provider changed before it is applied (as
//! terraform refuses a stale plan).
//!
//! It covers what a plan depends on, in a canonical order: each user's id,
//! email, role, status and display name; each tenant's id and name; each
//! membership read, with its tenant role. It leaves out the provider's own
//! objects ([`ProviderData`](roster_core::ProviderData)), whose timestamps
//! change without anything a plan cares about changing. It detects change;
//! it is not a security measure.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Snapshot;

/// The digest of one provider's state as planning read it: 16 hex digits,
/// stable across runs and builds (FNV-1a, 64 bits, over a canonical text).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn of_lines(mut lines: Vec<String>) -> Self {
        lines.sort();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for line in &lines {
            for byte in line.bytes().chain([b'\n']) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        Fingerprint(format!("{hash:016x}"))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Each field is written with `{:?}`, so a value holding the separator
/// cannot make two different states print the same line.
pub(super) fn of_snapshot(snapshot: &Snapshot) -> Fingerprint {
    let mut lines = Vec::new();
    for user in &snapshot.users {
        lines.push(format!(
            "user {:?} {:?} {:?} {:?} {:?} {:?}",
            user.id.as_str(),
            user.email.as_ref().map(|e| e.as_str().to_lowercase()),
            user.role,
            user.raw_role,
            user.status,
            user.display_name,
        ));
    }
    for tenant in &snapshot.tenants {
        lines.push(format!("tenant {:?} {:?}", tenant.id.as_str(), tenant.name));
    }
    for (key, role) in &snapshot.members {
        lines.push(format!(
            "member {:?} {:?} {:?}",
            key.tenant, key.user.0, role
        ));
    }
    Fingerprint::of_lines(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_and_content_does() {
        let a = Fingerprint::of_lines(vec!["user a".into(), "tenant t".into()]);
        let b = Fingerprint::of_lines(vec!["tenant t".into(), "user a".into()]);
        let c = Fingerprint::of_lines(vec!["tenant t".into(), "user b".into()]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.as_str().len(), 16);
        // Pinned, so that a saved plan stays comparable across builds.
        assert_eq!(
            Fingerprint::of_lines(Vec::new()).as_str(),
            "cbf29ce484222325"
        );
    }
}
