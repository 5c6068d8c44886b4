//! Reading and writing emulator seeds and dumps: a
//! [`DirectoryState`] (users by email, tenants by name, memberships) as
//! JSON or TOML. The same shape goes in (`roster-emulator --seed FILE`) and
//! comes out (`--dump FILE`), so a dump can seed the next run, and it is the
//! shape of a provider's section in a desired-state file.
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

pub use roster_core::state::{DirectoryState, MembershipState, TenantState, UserState};

/// Parses JSON, or TOML when `path` ends in `.toml`.
pub fn parse(text: &str, path: &str) -> Result<DirectoryState, String> {
    if path.ends_with(".toml") {
        toml::from_str(text).map_err(|e| format!("{path}: {e}"))
    } else {
        serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))
    }
}

/// Renders as JSON, or TOML when `path` ends in `.toml`.
pub fn render(state: &DirectoryState, path: &str) -> Result<String, String> {
    if path.ends_with(".toml") {
        toml::to_string_pretty(state).map_err(|e| e.to_string())
    } else {
        serde_json::to_string_pretty(state).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_core::TenantRole;

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
        let state = parse(TOML, "seed.toml").unwrap();
        state.check().unwrap();
        assert_eq!(state.users.len(), 2);
        assert_eq!(state.memberships[0].role, Some(TenantRole::Admin));
        for path in ["out.toml", "out.json"] {
            let text = render(&state, path).unwrap();
            assert_eq!(parse(&text, path).unwrap(), state, "{path}");
        }
    }

    #[test]
    fn bad_seeds_are_refused_with_the_reason() {
        let bad_email = "[[users]]\nemail = \"nope\"\n";
        assert!(parse(bad_email, "s.toml").unwrap_err().contains("s.toml"));
        let unknown = "[[tenants]]\nname = \"a\"\ncolour = \"red\"\n";
        assert!(parse(unknown, "s.toml").unwrap_err().contains("colour"));
        let dangling = r#"{"memberships": [{"tenant": "x", "user": "a@b.c"}]}"#;
        assert!(parse(dangling, "s.json").unwrap().check().is_err());
    }
}
