//! Between the generated wire types and Roster's neutral model.

use roster_core::{
    Email, Error, ErrorKind, Membership, ProviderData, Raw, Result, Tenant, TenantId, TenantRole,
    User, UserId, UserStatus,
};
use uuid::Uuid;

use crate::generated::types;

/// Medium One user ids are UUIDs; anything else cannot name a user, so it
/// is refused before a request is sent.
pub(crate) fn user_uuid(id: &UserId) -> Result<Uuid> {
    roster_http::parse_id("Medium One user", "UUIDs", id.as_str())
}

/// Medium One tenant ids are UUIDs too.
pub(crate) fn tenant_uuid(id: &TenantId) -> Result<Uuid> {
    roster_http::parse_id("Medium One tenant", "UUIDs", id.as_str())
}

/// Whether a UUID the server sent names `id`, whatever spelling either uses.
pub(crate) fn same_uuid(server: &str, id: Uuid) -> bool {
    Uuid::parse_str(server).is_ok_and(|parsed| parsed == id)
}

/// The tenant role name for a requested role; no role asks for the
/// least-privileged `tenant-user`.
pub(crate) fn role_to_api(role: Option<TenantRole>) -> Result<types::TenantRoleName> {
    match role {
        None | Some(TenantRole::Member) => Ok(types::TenantRoleName::TenantUser),
        Some(TenantRole::Admin) => Ok(types::TenantRoleName::TenantAdmin),
        Some(other) => Err(Error::invalid_input(format!(
            "Medium One has no {other} tenant role; use admin (tenant-admin) or member (tenant-user)"
        ))),
    }
}

/// A tenant role the server reports: the neutral role and the server's own
/// word. An unknown name is [`TenantRole::Other`] (the raw word says which)
/// rather than failing a whole listing; no name is no role.
pub(crate) fn role_from_api(role: Option<&str>) -> (Option<TenantRole>, Option<String>) {
    match role {
        None => (None, None),
        Some(raw) => {
            let neutral = match raw {
                "tenant-admin" => TenantRole::Admin,
                "tenant-user" => TenantRole::Member,
                _ => TenantRole::Other,
            };
            (Some(neutral), Some(raw.to_owned()))
        }
    }
}

fn decode_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Decode, message)
}

/// A UUID the server answered with (a created user or tenant).
pub(crate) fn created_id(value: &str, what: &str) -> Result<Uuid> {
    Uuid::parse_str(value.trim()).map_err(|_| {
        decode_error(format!(
            "the server answered a new {what} id that is not a UUID"
        ))
    })
}

fn server_user_id(id: &str) -> Result<UserId> {
    UserId::new(id).map_err(|_| decode_error("the server sent a user with an empty user_id"))
}

fn server_tenant_id(id: &str) -> Result<TenantId> {
    TenantId::new(id).map_err(|_| decode_error("the server sent a tenant with an empty tenant_id"))
}

/// A display name the server sent; an empty one is no name.
fn display_name(name: Option<&String>) -> Option<String> {
    name.filter(|n| !n.trim().is_empty()).cloned()
}

/// A user as this client knows them: as a list showed them (with the JSON
/// it sent), or as a tenant admin created them (no list shows them yet).
#[derive(Debug, Clone)]
pub(crate) struct KnownUser {
    pub(crate) entry: types::UserEntryFields,
    pub(crate) data: Option<ProviderData>,
}

impl KnownUser {
    /// A user from a list, with the JSON it arrived as.
    pub(crate) fn listed(raw: Raw<types::UserEntryFields>) -> Self {
        let (entry, data) = raw.into_parts();
        KnownUser {
            entry,
            data: Some(data),
        }
    }

    /// The `user_name` every call that names the user needs. A user the
    /// server listed without one cannot be addressed.
    pub(crate) fn user_name(&self) -> Result<&str> {
        self.entry
            .user_name
            .as_deref()
            .filter(|name| !name.trim().is_empty())
            .ok_or_else(|| {
                decode_error(format!(
                    "the server listed user {} without a user_name, so it cannot be addressed",
                    self.entry.user_id
                ))
            })
    }

    pub(crate) fn email(&self) -> Option<Email> {
        self.entry
            .user_name
            .as_deref()
            .and_then(|name| Email::parse(name).ok())
    }

    pub(crate) fn user(&self) -> Result<User> {
        let mut user = User::new(server_user_id(&self.entry.user_id)?, UserStatus::Active);
        // The server validates logins itself; one that fails our stricter
        // rules is kept out of `email` rather than failing the listing.
        user.email = self.email();
        user.display_name = display_name(self.entry.full_name.as_ref());
        user.provider_data = self.data.clone();
        Ok(user)
    }
}

/// A listed user as a neutral [`User`], with their JSON as provider data.
pub(crate) fn user_from_api(raw: &Raw<types::UserEntryFields>) -> Result<User> {
    let mut user = User::new(server_user_id(&raw.user_id)?, UserStatus::Active);
    user.email = raw
        .user_name
        .as_deref()
        .and_then(|name| Email::parse(name).ok());
    user.display_name = display_name(raw.full_name.as_ref());
    user.provider_data = Some(raw.data().clone());
    Ok(user)
}

/// The user's memberships from their `tenant_roles`, all of them or only
/// those in `tenant`. Each carries its `tenant_roles` entry as provider
/// data.
pub(crate) fn memberships_from_api(
    user: &KnownUser, tenant: Option<Uuid>,
) -> Result<Vec<Membership>> {
    let id = server_user_id(&user.entry.user_id)?;
    let email = user.email();
    user.entry
        .tenant_roles
        .iter()
        .filter(|role| tenant.is_none_or(|t| same_uuid(&role.tenant_id, t)))
        .map(|role| {
            let mut membership = Membership::new(server_tenant_id(&role.tenant_id)?, id.clone());
            membership.user_email = email.clone();
            (membership.role, membership.raw_role) = role_from_api(role.tenant_role.as_deref());
            membership.provider_data = Some(role.data().clone());
            Ok(membership)
        })
        .collect()
}

/// The memberships in `tenant` of one `/user_list_in_tenant` entry, each
/// carrying that entry as provider data. A user listed without a role
/// entry for the tenant is still a member, with no role reported.
pub(crate) fn members_from_api(
    raw: &Raw<types::UserEntryFields>, tenant: &TenantId, uuid: Uuid,
) -> Result<Vec<Membership>> {
    let id = server_user_id(&raw.user_id)?;
    let email = raw
        .user_name
        .as_deref()
        .and_then(|name| Email::parse(name).ok());
    let member = |role: Option<&str>| {
        let mut membership = Membership::new(tenant.clone(), id.clone());
        membership.user_email = email.clone();
        (membership.role, membership.raw_role) = role_from_api(role);
        membership.provider_data = Some(raw.data().clone());
        membership
    };
    let found: Vec<Membership> = raw
        .tenant_roles
        .iter()
        .filter(|role| same_uuid(&role.tenant_id, uuid))
        .map(|role| member(role.tenant_role.as_deref()))
        .collect();
    Ok(if found.is_empty() {
        vec![member(None)]
    } else {
        found
    })
}

/// A listed tenant, with its JSON as provider data. A tenant listed
/// without a name gets an empty one.
pub(crate) fn tenant_from_api(raw: &Raw<types::TenantEntryFields>) -> Result<Tenant> {
    let name = raw.tenant_name.clone().unwrap_or_default();
    Ok(Tenant::new(server_tenant_id(&raw.tenant_id)?, name).with_provider_data(raw.data().clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_map_both_ways() {
        assert_eq!(
            role_to_api(Some(TenantRole::Admin)).expect("admin"),
            types::TenantRoleName::TenantAdmin
        );
        assert_eq!(
            role_to_api(Some(TenantRole::Member)).expect("member"),
            types::TenantRoleName::TenantUser
        );
        assert_eq!(
            role_to_api(None).expect("default"),
            types::TenantRoleName::TenantUser
        );
        assert_eq!(
            role_from_api(Some("tenant-admin")),
            (Some(TenantRole::Admin), Some("tenant-admin".to_owned()))
        );
        assert_eq!(
            role_from_api(Some("tenant-user")),
            (Some(TenantRole::Member), Some("tenant-user".to_owned()))
        );
        assert_eq!(
            role_from_api(Some("owner")),
            (Some(TenantRole::Other), Some("owner".to_owned()))
        );
        assert_eq!(role_from_api(None), (None, None));
        assert_eq!(
            types::TenantRoleName::TenantAdmin.to_string(),
            "tenant-admin"
        );
    }

    #[test]
    fn ids_must_be_uuids() {
        for bad in ["..", ".", "a/b", "x?y", "a#b", "not-a-uuid", "9b1f2c3d"] {
            let user = UserId::new(bad).expect("id");
            assert_eq!(
                user_uuid(&user).expect_err(bad).kind(),
                ErrorKind::InvalidInput
            );
            let tenant = TenantId::new(bad).expect("id");
            assert_eq!(
                tenant_uuid(&tenant).expect_err(bad).kind(),
                ErrorKind::InvalidInput
            );
        }
        let id = Uuid::new_v4();
        assert!(same_uuid(&id.to_string().to_uppercase(), id));
        assert!(!same_uuid("nope", id));
    }
}
