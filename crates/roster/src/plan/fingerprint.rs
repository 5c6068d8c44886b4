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

use super::{Snapshot, lowercase};

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

    #[cfg(test)]
    fn of_lines(lines: Vec<String>) -> Self {
        let mut canonical = Lines::default();
        for line in &lines {
            canonical.push(format_args!("{line}"));
        }
        canonical.digest()
    }
}

/// A string as `{:?}` prints it, quickly where that is the text itself
/// between quotes (printable ASCII without `"` or `\\`, as ids and emails
/// are), so the digest stays the one of the `{:?}` text.
struct Quoted<'a>(&'a str);

impl fmt::Debug for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = self
            .0
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\');
        if plain {
            f.write_str("\"")?;
            f.write_str(self.0)?;
            f.write_str("\"")
        } else {
            fmt::Debug::fmt(self.0, f)
        }
    }
}

/// The canonical lines, written one after the other into one buffer (one
/// allocation for all of them, not one per line), then hashed in sorted
/// order: the same digest as sorting separate strings.
#[derive(Default)]
struct Lines {
    text: String,
    ends: Vec<usize>,
}

impl Lines {
    fn push(&mut self, line: fmt::Arguments<'_>) {
        use fmt::Write as _;
        let _ = self.text.write_fmt(line);
        self.ends.push(self.text.len());
    }

    fn digest(self) -> Fingerprint {
        let mut start = 0;
        let mut lines: Vec<&str> = self
            .ends
            .iter()
            .map(|&end| {
                let line = &self.text[start..end];
                start = end;
                line
            })
            .collect();
        lines.sort_unstable();
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
    let mut lines = Lines {
        text: String::with_capacity(
            160 * (snapshot.users.len() + snapshot.tenants.len() + snapshot.member_count),
        ),
        ends: Vec::with_capacity(
            snapshot.users.len() + snapshot.tenants.len() + snapshot.member_count,
        ),
    };
    for user in &snapshot.users {
        let email = user.email.as_ref().map(|e| lowercase(e.as_str()));
        lines.push(format_args!(
            "user {:?} {:?} {:?} {:?} {:?} {:?}",
            Quoted(user.id.as_str()),
            email.as_deref().map(Quoted),
            user.role,
            user.raw_role.as_deref().map(Quoted),
            user.status,
            user.display_name.as_deref().map(Quoted),
        ));
    }
    for tenant in &snapshot.tenants {
        lines.push(format_args!(
            "tenant {:?} {:?}",
            Quoted(tenant.id.as_str()),
            Quoted(&tenant.name)
        ));
    }
    for (tenant, user, role) in snapshot.memberships() {
        lines.push(format_args!(
            "member {:?} {:?} {role:?}",
            Quoted(tenant),
            Quoted(&user.0)
        ));
    }
    lines.digest()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_prints_as_debug_does() {
        for text in [
            "",
            "plain@example.com",
            "0b8a1c52-7f3e-4c8e-9a51-2d6f0e4b7a10",
            "with \"quotes\" and \\ backslash",
            "tab\tnew\nline",
            "caf\u{e9} \u{200b} \u{1f600}",
            "~ and \u{7f}",
            "it's",
        ] {
            assert_eq!(format!("{:?}", Quoted(text)), format!("{text:?}"), "{text}");
        }
        assert_eq!(
            format!("{:?}", Some(Quoted("a"))),
            format!("{:?}", Some("a"))
        );
    }

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
