//! The providers whose HTTP clients `cargo xtask codegen` generates.
//!
//! Adding a provider is one row in [`PROVIDERS`]: where its spec is, where its
//! generated client goes and, rarely, which schema types progenitor should not
//! generate but take from elsewhere. Paths are relative to the repository root
//! and use `/`.

/// One generated client.
#[derive(Debug, Clone, Copy)]
pub struct Provider {
    /// The spec, `specs/<provider>/openapi.json` (or `.yaml` / `.yml`).
    pub spec: &'static str,
    /// The single generated file, `crates/<crate>/src/generated/mod.rs`.
    pub output: &'static str,
    /// `(schema name, Rust type path)` pairs passed to progenitor's
    /// `GenerationSettings::with_replacement`: the named component schema is
    /// not generated and every use of it becomes the given type.
    pub replacements: &'static [(&'static str, &'static str)],
    /// Response schemas whose every use becomes `roster_core::Raw<…>` of
    /// the generated struct (renamed `<name>Fields`), so the adapter gets
    /// the decoded fields and the JSON exactly as it arrived.
    pub raw: &'static [&'static str],
}

/// Every provider, in the order codegen processes them.
pub const PROVIDERS: &[Provider] = &[
    // NTY Gridworks IaaS operator API (FastAPI, OpenAPI 3.1). Every
    // response object keeps its JSON as the adapter's provider data.
    Provider {
        spec: "specs/iaas-operator/openapi.json",
        output: "crates/roster-iaas/src/generated/mod.rs",
        replacements: &[],
        raw: &[
            "UserGetResponseDto",
            "CurrentUserResponse",
            "TenantResponseDto",
            "TenantUser",
            "SshKeysResponseDto",
        ],
    },
    // NetBird management API (users and groups subset, OpenAPI 3.0).
    Provider {
        spec: "specs/netbird/openapi.yaml",
        output: "crates/roster-netbird/src/generated/mod.rs",
        replacements: &[],
        raw: &["User", "Group"],
    },
    // DataStax Astra DevOps API v2 (users and roles; the live service answers
    // in PascalCase, so the response types are hand-written in roster-astra).
    Provider {
        spec: "specs/astra-devops/openapi.yaml",
        output: "crates/roster-astra/src/generated/mod.rs",
        replacements: &[
            // Each read keeps the object as it arrived (`Raw`): the users
            // inside `OrgUsers` are `Raw` too, in the hand-written type.
            (
                "Organization",
                "roster_core::Raw<crate::wire::Organization>",
            ),
            ("OrganizationUsers", "crate::wire::OrgUsers"),
            ("UserResponse", "roster_core::Raw<crate::wire::OrgUser>"),
            ("Role", "roster_core::Raw<crate::wire::Role>"),
            ("Policy", "crate::wire::Policy"),
        ],
        raw: &[],
    },
    // Adverity Management API (users, workspaces as tenants); written by us
    // from the public guides, see specs/adverity/SOURCE.md. The two lists
    // are read item by item (the user list comes bare or in an envelope),
    // so they are hand-written in roster-adverity.
    Provider {
        spec: "specs/adverity/openapi.yaml",
        output: "crates/roster-adverity/src/generated/mod.rs",
        replacements: &[
            ("UserList", "crate::wire::ItemList"),
            ("StackPage", "crate::wire::ItemList"),
        ],
        raw: &["User", "Stack"],
    },
    // Medium One Accounts & Users API (written by us, OpenAPI 3.0).
    Provider {
        spec: "specs/medium-one/openapi.yaml",
        output: "crates/roster-medium-one/src/generated/mod.rs",
        replacements: &[
            ("LoginRequest", "crate::wire::LoginRequest"),
            // Decoded by hand so each item keeps its JSON and a bad item is
            // named by its position; the user list has two shapes (an
            // envelope or a bare array), and `Raw` cannot sit in the
            // untagged enum progenitor would make of them.
            ("UserListResponse", "crate::wire::UserList"),
            ("TenantList", "crate::wire::TenantList"),
        ],
        raw: &["UserEntry", "TenantRoleEntry", "TenantEntry"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn rows_are_well_formed_and_distinct() {
        let mut outputs = BTreeSet::new();
        for p in PROVIDERS {
            assert!(p.spec.starts_with("specs/"), "{}", p.spec);
            assert!(
                [".json", ".yaml", ".yml"]
                    .iter()
                    .any(|e| p.spec.ends_with(e)),
                "{}",
                p.spec
            );
            assert!(p.output.starts_with("crates/"), "{}", p.output);
            assert!(p.output.ends_with("/src/generated/mod.rs"), "{}", p.output);
            assert!(outputs.insert(p.output), "two rows write {}", p.output);
        }
    }
}
