//! Between the wire types and Roster's neutral model.

use roster_core::{
    Email, Error, ErrorKind, Membership, Raw, Result, Role, RoleSpec, Tenant, TenantId, User,
    UserId, UserStatus, map_items,
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

/// The neutral role for one Astra role name; a role without a name, or
/// with one that maps to none, is `Other`.
pub(crate) fn neutral_role(name: Option<&str>) -> Role {
    let Some(name) = name else {
        return Role::Other;
    };
    [Role::Admin, Role::Member, Role::Auditor, Role::BillingAdmin]
        .into_iter()
        .find(|role| neutral_role_name(*role).is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .unwrap_or(Role::Other)
}

/// Whether a role the user holds is one of the built-in roles that stand
/// for a neutral role ([`neutral_role_name`]): those are what
/// `UserUpdate::role` replaces.
pub(crate) fn maps_to_neutral(role: &wire::Role) -> bool {
    neutral_role(role.name.as_deref()) != Role::Other
}

/// A user's neutral role: `Admin` when any of their roles is Organization
/// Administrator, else the mapping of their only role, else `Other` for a
/// mix; `None` without roles.
fn user_role(roles: &[wire::Role]) -> Option<Role> {
    let neutral: Vec<Role> = roles
        .iter()
        .map(|r| neutral_role(r.name.as_deref()))
        .collect();
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

/// The user's id: one without an id (or with an empty one) is the only
/// user the adapter cannot report.
fn user_id(user: &wire::OrgUser) -> Result<UserId> {
    match user.id() {
        Some(id) => server_id("user", id, |id| UserId::new(id)),
        None => Err(Error::new(
            ErrorKind::Decode,
            "the server sent a user without a userID",
        )),
    }
}

/// An email the server sent. One our input rules would refuse is left out of
/// `User::email` rather than failing the whole listing (the provider data
/// keeps it).
fn server_email(email: Option<&str>) -> Option<Email> {
    email.and_then(|e| Email::parse(e).ok())
}

/// The status a user gets when the server sends none: `Active`, with no
/// raw status. The published spec makes `status` optional and names only
/// `active` and `invited`; invitations are the case the service marks, so
/// an unmarked user is taken to be a member.
pub const MISSING_STATUS: UserStatus = UserStatus::Active;

/// The neutral status and the word the server sent. `active` is `Active`,
/// `invited` (or `pending`) is `Invited`, in any case; any other word is
/// `Other`; none is [`MISSING_STATUS`].
fn status(user: &wire::OrgUser) -> (UserStatus, Option<String>) {
    let Some(raw) = user.status.as_deref() else {
        return (MISSING_STATUS, None);
    };
    let status = match raw.trim().to_ascii_lowercase().as_str() {
        "active" => UserStatus::Active,
        "invited" | "pending" => UserStatus::Invited,
        _ => UserStatus::Other,
    };
    (status, Some(raw.to_owned()))
}

/// Whether the user has a pending invitation.
pub(crate) fn is_invited(user: &wire::OrgUser) -> bool {
    status(user).0 == UserStatus::Invited
}

/// One user, with the JSON it arrived as. Only a missing id fails.
pub(crate) fn user_from_api(raw: &Raw<wire::OrgUser>) -> Result<User> {
    let user = raw.value();
    let (status, raw_status) = status(user);
    let names: Vec<&str> = user
        .roles
        .iter()
        .filter_map(|r| r.name.as_deref())
        .collect();
    let mut mapped = User::new(user_id(user)?, status).with_provider_data(raw.data().clone());
    mapped.email = server_email(user.email.as_deref());
    mapped.role = user_role(&user.roles);
    mapped.raw_role = (!names.is_empty()).then(|| names.join(", "));
    mapped.raw_status = raw_status;
    Ok(mapped)
}

/// Every user of a list; a user without an id fails it, naming its place.
pub(crate) fn users_from_api(users: &[Raw<wire::OrgUser>]) -> Result<Vec<User>> {
    map_items(users, user_from_api)
}

pub(crate) fn org_id(org: &str) -> Result<TenantId> {
    server_id("organization", org, |id| TenantId::new(id))
}

pub(crate) fn tenant_from_api(
    org: &Raw<wire::Organization>, fallback_name: Option<&str>,
) -> Result<Tenant> {
    let name = org
        .name
        .clone()
        .or_else(|| fallback_name.map(str::to_owned))
        .unwrap_or_else(|| org.id.clone());
    Ok(Tenant::new(org_id(&org.id)?, name).with_provider_data(org.data().clone()))
}

/// A member of the organization: the user's entry is the membership's
/// provider data.
pub(crate) fn membership_from_api(org: &TenantId, raw: &Raw<wire::OrgUser>) -> Result<Membership> {
    let mut membership =
        Membership::new(org.clone(), user_id(raw)?).with_provider_data(raw.data().clone());
    membership.user_email = server_email(raw.email.as_deref());
    Ok(membership)
}

/// Every member in a list; a user without an id fails it, naming its place.
pub(crate) fn memberships_from_api<'a>(
    org: &TenantId, users: impl IntoIterator<Item = &'a Raw<wire::OrgUser>>,
) -> Result<Vec<Membership>> {
    let users: Vec<&Raw<wire::OrgUser>> = users.into_iter().collect();
    map_items(&users, |user| membership_from_api(org, user))
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
            id: Some(format!("id-{name}")),
            name: Some(name.into()),
            policy: None,
        }
    }

    fn raw_user(json: &str) -> Raw<wire::OrgUser> {
        serde_json::from_str(json).expect("user JSON")
    }

    #[test]
    fn neutral_roles_map_to_built_in_names_and_back() {
        for neutral in [Role::Admin, Role::Member, Role::Auditor, Role::BillingAdmin] {
            let name = neutral_role_name(neutral).expect("mapped");
            assert_eq!(neutral_role(Some(name)), neutral);
            assert_eq!(neutral_role(Some(&name.to_uppercase())), neutral);
        }
        assert_eq!(neutral_role(Some("Database Administrator")), Role::Other);
        assert_eq!(neutral_role(None), Role::Other);
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
        let json = r#"{"UserID":"u","Email":"a@b.io","Status":"Invited","Roles":[{"ID":"1","Name":"Read Only User"},{"ID":"2","Name":"Database Administrator"},{"ID":"3"}]}"#;
        let mapped = user_from_api(&raw_user(json)).expect("user");
        assert_eq!(mapped.status, UserStatus::Invited);
        assert_eq!(mapped.raw_status.as_deref(), Some("Invited"));
        assert_eq!(mapped.role, Some(Role::Other));
        assert_eq!(
            mapped.raw_role.as_deref(),
            Some("Read Only User, Database Administrator")
        );
        assert_eq!(mapped.provider_data.expect("data").get(), json);
    }

    #[test]
    fn unknown_and_missing_statuses_decode() {
        let frozen =
            user_from_api(&raw_user(r#"{"UserID":"u","Status":"frozen"}"#)).expect("other");
        assert_eq!(frozen.status, UserStatus::Other);
        assert_eq!(frozen.raw_status.as_deref(), Some("frozen"));
        let active = user_from_api(&raw_user(r#"{"UserID":"u","Status":"ACTIVE"}"#)).expect("ok");
        assert_eq!(active.status, UserStatus::Active);
        assert_eq!(active.raw_status.as_deref(), Some("ACTIVE"));
        let bare = user_from_api(&raw_user(r#"{"UserID":"u"}"#)).expect("no status");
        assert_eq!((bare.status, bare.raw_status), (MISSING_STATUS, None));
        assert_eq!(bare.role, None);
        let blank = user_from_api(&raw_user(r#"{"UserID":"u","Status":""}"#)).expect("blank");
        assert_eq!(blank.status, UserStatus::Other);
        assert_eq!(blank.raw_status.as_deref(), Some(""));
    }

    #[test]
    fn only_a_user_without_an_id_fails_and_its_place_is_named() {
        let users: Vec<Raw<wire::OrgUser>> = serde_json::from_str(
            r#"[{"UserID":"a","Status":"odd"},{"UserID":"b","Email":"not an email"},{"Email":"c@d.io"}]"#,
        )
        .expect("users");
        let err = users_from_api(&users).expect_err("third has no id");
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.message().starts_with("item 2 of the list"), "{err}");
        let first_two = users_from_api(&users[..2]).expect("two users");
        assert_eq!(first_two[1].email, None, "kept in the provider data only");
        let empty: Vec<Raw<wire::OrgUser>> =
            serde_json::from_str(r#"[{"UserID":""}]"#).expect("users");
        assert_eq!(
            users_from_api(&empty).expect_err("empty id").kind(),
            ErrorKind::Decode
        );
        let tenant = TenantId::new("o").expect("id");
        let err = memberships_from_api(&tenant, &users).expect_err("members");
        assert!(err.message().starts_with("item 2 of the list"), "{err}");
    }
}
