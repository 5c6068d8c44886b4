//! Between the generated wire types and Roster's neutral model.

use roster_core::{
    Email, Error, ErrorKind, Membership, Result, Tenant, TenantId, TenantRole, User, UserId,
    UserStatus,
};
use uuid::Uuid;

use crate::generated::types;

/// Medium One user ids are UUIDs; anything else cannot name a user, so it
/// is refused before a request is sent.
pub(crate) fn user_uuid(id: &UserId) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| {
        Error::invalid_input(format!(
            "Medium One user ids are UUIDs; {:?} is not one",
            id.as_str()
        ))
    })
}

/// Medium One tenant ids are UUIDs too.
pub(crate) fn tenant_uuid(id: &TenantId) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| {
        Error::invalid_input(format!(
            "Medium One tenant ids are UUIDs; {:?} is not one",
            id.as_str()
        ))
    })
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

/// A role the server reports. An unknown name is kept out of the neutral
/// field rather than failing a whole listing.
pub(crate) fn role_from_api(role: &str) -> Option<TenantRole> {
    match role {
        "tenant-admin" => Some(TenantRole::Admin),
        "tenant-user" => Some(TenantRole::Member),
        _ => None,
    }
}

/// Both shapes of a user list: the documented `{"user_list": [...]}` and the
/// bare array `/user_list`'s sample shows.
pub(crate) fn user_entries(list: types::UserListResponse) -> Vec<types::UserEntry> {
    match list {
        types::UserListResponse::UserListEnvelope(envelope) => envelope.user_list,
        types::UserListResponse::Array(users) => users,
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
    UserId::new(id).map_err(|_| decode_error("the server sent a user with an empty id"))
}

fn server_tenant_id(id: &str) -> Result<TenantId> {
    TenantId::new(id).map_err(|_| decode_error("the server sent a tenant with an empty id"))
}

/// A display name the server sent; an empty one is no name.
fn display_name(name: Option<&String>) -> Option<String> {
    name.filter(|n| !n.trim().is_empty()).cloned()
}

pub(crate) fn user_from_api(user: &types::UserEntry) -> Result<User> {
    Ok(User {
        id: server_user_id(&user.user_id)?,
        // The server validates logins itself; one that fails our stricter
        // rules is kept out of `email` rather than failing the listing.
        email: Email::parse(user.user_name.as_str()).ok(),
        display_name: display_name(user.full_name.as_ref()),
        role: None,
        raw_role: None,
        status: UserStatus::Active,
    })
}

/// The user's memberships, all of them or only those in `tenant`.
pub(crate) fn memberships_from_api(
    user: &types::UserEntry,
    tenant: Option<Uuid>,
) -> Result<Vec<Membership>> {
    let id = server_user_id(&user.user_id)?;
    let email = Email::parse(user.user_name.as_str()).ok();
    user.tenant_roles
        .iter()
        .filter(|role| tenant.is_none_or(|t| same_uuid(&role.tenant_id, t)))
        .map(|role| {
            Ok(Membership {
                tenant: server_tenant_id(&role.tenant_id)?,
                user: id.clone(),
                user_email: email.clone(),
                role: role_from_api(&role.tenant_role),
            })
        })
        .collect()
}

pub(crate) fn tenant_from_api(tenant: &types::TenantEntry) -> Result<Tenant> {
    Ok(Tenant {
        id: server_tenant_id(&tenant.tenant_id)?,
        name: tenant.tenant_name.clone(),
    })
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
        assert_eq!(role_from_api("tenant-admin"), Some(TenantRole::Admin));
        assert_eq!(role_from_api("tenant-user"), Some(TenantRole::Member));
        assert_eq!(role_from_api("owner"), None);
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
