//! Between the generated wire types and Roster's neutral model.

use roster_core::{
    Email, Error, Membership, Principal, Result, Role, RoleSpec, Tenant, TenantId, User, UserId,
    UserStatus,
};
use uuid::Uuid;

use crate::generated::types;

/// The IaaS role names, as the API spells them.
const ROLE_NAMES: &str = "\"operator\" or \"member\"";

/// IaaS user ids are UUIDs; anything else cannot name a user, so it is
/// refused before a request is sent.
pub(crate) fn user_uuid(id: &UserId) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| {
        Error::invalid_input(format!(
            "IaaS user ids are UUIDs; {:?} is not one",
            id.as_str()
        ))
    })
}

/// The id the server uses for a user: the UUID's canonical lower-case,
/// hyphenated form.
pub(crate) fn canonical_user_id(id: Uuid) -> UserId {
    UserId::new(id.to_string()).expect("a UUID is never empty")
}

/// Checks a tenant id can be sent as one path segment.
pub(crate) fn tenant_path(id: &TenantId) -> Result<&str> {
    roster_http::path_segment("tenant id", id.as_str())
}

/// The API role for a requested role: admin is `operator`, member is
/// `member`; provider names match case-insensitively.
pub(crate) fn role_to_api(role: &RoleSpec) -> Result<types::UserRole> {
    match role {
        RoleSpec::Neutral(Role::Admin) => Ok(types::UserRole::Operator),
        RoleSpec::Neutral(Role::Member) => Ok(types::UserRole::Member),
        RoleSpec::Neutral(other) => Err(Error::invalid_input(format!(
            "the IaaS operator API has no {other} role; use admin (operator) or member"
        ))),
        RoleSpec::Provider(name) => match name.to_ascii_lowercase().as_str() {
            "operator" => Ok(types::UserRole::Operator),
            "member" => Ok(types::UserRole::Member),
            _ => Err(Error::invalid_input(format!(
                "unknown IaaS role {name:?}; expected {ROLE_NAMES}"
            ))),
        },
    }
}

fn role_from_api(role: types::UserRole) -> (Role, String) {
    let neutral = match role {
        types::UserRole::Operator => Role::Admin,
        types::UserRole::Member => Role::Member,
    };
    (neutral, role.to_string())
}

/// An email the server sent. The server validates emails itself, so one that
/// does not pass our stricter input rules is kept out of `User::email`
/// rather than failing the whole listing.
fn server_email(email: String) -> Option<Email> {
    Email::parse(email).ok()
}

pub(crate) fn user_from_api(user: types::UserGetResponseDto) -> User {
    let (role, raw_role) = role_from_api(user.role);
    User {
        id: canonical_user_id(user.id),
        email: server_email(user.email),
        display_name: None,
        role: Some(role),
        raw_role: Some(raw_role),
        status: UserStatus::Active,
    }
}

pub(crate) fn principal_from_api(me: types::CurrentUserResponse) -> Principal {
    let (role, raw_role) = role_from_api(me.role);
    Principal {
        id: None,
        email: server_email(me.email),
        display_name: me.name,
        role: Some(role),
        raw_role: Some(raw_role),
    }
}

/// A tenant id from the server; an empty one is a malformed answer.
fn tenant_id(id: &str) -> Result<TenantId> {
    TenantId::new(id).map_err(|_| {
        Error::new(
            roster_core::ErrorKind::Decode,
            "the server sent a tenant with an empty id",
        )
    })
}

pub(crate) fn tenant_from_api(tenant: &types::TenantResponseDto) -> Result<Tenant> {
    Ok(Tenant {
        id: tenant_id(&tenant.id)?,
        name: tenant.name.clone(),
    })
}

pub(crate) fn memberships_from_api(tenant: &types::TenantResponseDto) -> Result<Vec<Membership>> {
    let id = tenant_id(&tenant.id)?;
    Ok(tenant
        .users
        .iter()
        .map(|user| Membership {
            tenant: id.clone(),
            user: canonical_user_id(user.id),
            user_email: server_email(user.email.clone()),
            role: None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_core::ErrorKind;

    #[test]
    fn roles_map_both_ways() {
        assert!(matches!(
            role_to_api(&Role::Admin.into()),
            Ok(types::UserRole::Operator)
        ));
        assert!(matches!(
            role_to_api(&Role::Member.into()),
            Ok(types::UserRole::Member)
        ));
        assert!(matches!(
            role_to_api(&RoleSpec::Provider("OPERATOR".into())),
            Ok(types::UserRole::Operator)
        ));
        for bad in [
            RoleSpec::Neutral(Role::Owner),
            RoleSpec::Provider("admin".into()),
        ] {
            assert_eq!(
                role_to_api(&bad).expect_err("unmapped").kind(),
                ErrorKind::InvalidInput
            );
        }
        assert_eq!(
            role_from_api(types::UserRole::Operator),
            (Role::Admin, "operator".to_owned())
        );
    }

    #[test]
    fn user_ids_must_be_uuids() {
        for bad in ["..", "a/b", "x?y", "not-a-uuid", "9b1f2c3d"] {
            let err = user_uuid(&UserId::new(bad).expect("id")).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
        }
        let id = Uuid::new_v4();
        assert_eq!(
            user_uuid(&UserId::new(id.to_string()).expect("id")).expect("uuid"),
            id
        );
    }
}
