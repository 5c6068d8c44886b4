//! Between the wire types and Roster's neutral model.

use roster_core::{
    Email, Error, ErrorKind, Membership, Result, Role, RoleSpec, Tenant, TenantId, User, UserId,
    UserStatus,
};

use crate::wire;

/// The role a user is invited with when [`NewUser::role`](roster_core::NewUser::role)
/// is `None`: Astra's least-privileged built-in role.
pub const DEFAULT_ROLE: &str = "Read Only User";

/// Astra's built-in role name for a neutral [`Role`], or `None` when Astra
/// has no counterpart (`Owner`, `NetworkAdmin`, `Other`).
///
/// | neutral | Astra role |
/// |---|---|
/// | `Admin` | Organization Administrator |
/// | `Member` | R/W User |
/// | `Auditor` | Read Only User |
/// | `BillingAdmin` | Billing Administrator |
///
/// Any other role (custom ones included) can be asked for by name with
/// [`RoleSpec::Provider`].
pub fn neutral_role_name(role: Role) -> Option<&'static str> {
    match role {
        Role::Admin => Some("Organization Administrator"),
        Role::Member => Some("R/W User"),
        Role::Auditor => Some(DEFAULT_ROLE),
        Role::BillingAdmin => Some("Billing Administrator"),
        _ => None,
    }
}

/// The Astra role name a caller asked for, checked before anything is sent.
pub(crate) fn requested_role_name(role: Option<&RoleSpec>) -> Result<String> {
    match role {
        None => Ok(DEFAULT_ROLE.to_owned()),
        Some(RoleSpec::Neutral(neutral)) => neutral_role_name(*neutral)
            .map(str::to_owned)
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "Astra has no {neutral} role; use admin, member, auditor or billing_admin, \
                     or an Astra role name"
                ))
            }),
        Some(RoleSpec::Provider(name)) if name.trim().is_empty() => {
            Err(Error::invalid_input("the role name is empty"))
        }
        Some(RoleSpec::Provider(name)) => Ok(name.trim().to_owned()),
    }
}

/// The neutral role for one Astra role name.
fn neutral_role(name: &str) -> Role {
    [Role::Admin, Role::Member, Role::Auditor, Role::BillingAdmin]
        .into_iter()
        .find(|role| neutral_role_name(*role).is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .unwrap_or(Role::Other)
}

/// A user's neutral role: `Admin` when any of their roles is Organization
/// Administrator, else the mapping of their only role, else `Other` for a
/// mix; `None` without roles.
fn user_role(roles: &[wire::Role]) -> Option<Role> {
    let neutral: Vec<Role> = roles.iter().map(|r| neutral_role(&r.name)).collect();
    if neutral.contains(&Role::Admin) {
        return Some(Role::Admin);
    }
    match neutral.as_slice() {
        [] => None,
        [only] => Some(*only),
        _ => Some(Role::Other),
    }
}

/// An id the server sent; an empty one is a malformed answer.
fn server_id<T>(what: &str, id: &str, make: impl Fn(&str) -> Result<T>) -> Result<T> {
    make(id).map_err(|_| {
        Error::new(
            ErrorKind::Decode,
            format!("the server sent a {what} with an empty id"),
        )
    })
}

/// An email the server sent. One our input rules would refuse is left out of
/// `User::email` rather than failing the whole listing.
fn server_email(email: Option<&str>) -> Option<Email> {
    email.and_then(|e| Email::parse(e).ok())
}

fn status(user: &wire::OrgUser) -> Result<UserStatus> {
    match user
        .status
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("active") => Ok(UserStatus::Active),
        Some("invited" | "pending") => Ok(UserStatus::Invited),
        _ => Err(Error::new(
            ErrorKind::Decode,
            format!(
                "the server sent user {} with an unknown status {:?}",
                user.user_id, user.status
            ),
        )),
    }
}

/// Whether the user has a pending invitation.
pub(crate) fn is_invited(user: &wire::OrgUser) -> bool {
    matches!(status(user), Ok(UserStatus::Invited))
}

pub(crate) fn user_from_api(user: &wire::OrgUser) -> Result<User> {
    let raw_role = (!user.roles.is_empty()).then(|| {
        user.roles
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    });
    Ok(User {
        id: server_id("user", &user.user_id, |id| UserId::new(id))?,
        email: server_email(user.email.as_deref()),
        display_name: None,
        role: user_role(&user.roles),
        raw_role,
        status: status(user)?,
    })
}

pub(crate) fn users_from_api(users: &[wire::OrgUser]) -> Result<Vec<User>> {
    users.iter().map(user_from_api).collect()
}

pub(crate) fn org_id(org: &str) -> Result<TenantId> {
    server_id("organization", org, |id| TenantId::new(id))
}

pub(crate) fn tenant_from_api(
    org: &wire::Organization,
    fallback_name: Option<&str>,
) -> Result<Tenant> {
    Ok(Tenant {
        id: org_id(&org.id)?,
        name: org
            .name
            .clone()
            .or_else(|| fallback_name.map(str::to_owned))
            .unwrap_or_else(|| org.id.clone()),
    })
}

pub(crate) fn membership_from_api(org: &TenantId, user: &wire::OrgUser) -> Result<Membership> {
    Ok(Membership {
        tenant: org.clone(),
        user: server_id("user", &user.user_id, |id| UserId::new(id))?,
        user_email: server_email(user.email.as_deref()),
        role: None,
    })
}

/// Checks an id can be sent as one path segment.
pub(crate) fn path_id<'a>(what: &str, id: &'a str) -> Result<&'a str> {
    roster_http::path_segment(what, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str) -> wire::Role {
        wire::Role {
            id: format!("id-{name}"),
            name: name.into(),
            policy: None,
        }
    }

    #[test]
    fn neutral_roles_map_to_built_in_names_and_back() {
        for neutral in [Role::Admin, Role::Member, Role::Auditor, Role::BillingAdmin] {
            let name = neutral_role_name(neutral).expect("mapped");
            assert_eq!(neutral_role(name), neutral);
            assert_eq!(neutral_role(&name.to_uppercase()), neutral);
        }
        assert_eq!(neutral_role("Database Administrator"), Role::Other);
        for unmapped in [Role::Owner, Role::NetworkAdmin, Role::Other] {
            let err = requested_role_name(Some(&unmapped.into())).expect_err("unmapped");
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
        }
        assert_eq!(requested_role_name(None).expect("default"), DEFAULT_ROLE);
        assert_eq!(
            requested_role_name(Some(&RoleSpec::Provider(
                "  Database Administrator ".into()
            )))
            .expect("named"),
            "Database Administrator"
        );
        let err = requested_role_name(Some(&RoleSpec::Provider(" ".into()))).expect_err("blank");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn a_users_neutral_role_prefers_admin_and_keeps_every_name() {
        assert_eq!(user_role(&[]), None);
        assert_eq!(user_role(&[role("R/W User")]), Some(Role::Member));
        assert_eq!(
            user_role(&[role("Read Only User"), role("Organization Administrator")]),
            Some(Role::Admin)
        );
        assert_eq!(
            user_role(&[role("Read Only User"), role("Database Administrator")]),
            Some(Role::Other)
        );
        let user = wire::OrgUser {
            user_id: "u".into(),
            email: Some("a@b.io".into()),
            status: Some("Invited".into()),
            roles: vec![role("Read Only User"), role("Database Administrator")],
        };
        let mapped = user_from_api(&user).expect("user");
        assert_eq!(mapped.status, UserStatus::Invited);
        assert_eq!(
            mapped.raw_role.as_deref(),
            Some("Read Only User, Database Administrator")
        );
    }

    #[test]
    fn unknown_statuses_and_empty_ids_are_decode_errors() {
        let mut user = wire::OrgUser {
            user_id: "u".into(),
            email: None,
            status: Some("frozen".into()),
            roles: vec![],
        };
        assert_eq!(
            user_from_api(&user).expect_err("status").kind(),
            ErrorKind::Decode
        );
        user.status = Some("active".into());
        user.user_id = String::new();
        assert_eq!(
            user_from_api(&user).expect_err("id").kind(),
            ErrorKind::Decode
        );
    }
}
