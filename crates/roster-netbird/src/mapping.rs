//! Between the generated wire types and Roster's neutral model.

use roster_core::{
    Email, Error, ErrorKind, Membership, Principal, Result, Role, RoleSpec, Tenant, TenantId, User,
    UserId, UserStatus,
};

use crate::generated::types;

/// NetBird's account roles as the API spells them, with their neutral
/// equivalents. NetBird's `user` is Roster's `member`.
const ROLES: [(&str, Role); 6] = [
    ("owner", Role::Owner),
    ("admin", Role::Admin),
    ("user", Role::Member),
    ("billing_admin", Role::BillingAdmin),
    ("auditor", Role::Auditor),
    ("network_admin", Role::NetworkAdmin),
];

/// The role new users get when the caller names none: NetBird's ordinary
/// `user`, which can see only its own peers.
pub(crate) const DEFAULT_ROLE: &str = "user";

/// Checks a user id can be sent as one path segment (it is percent-encoded,
/// so `google-oauth2|123` is fine; `.` and `..` are not).
pub(crate) fn user_path(id: &UserId) -> Result<&str> {
    roster_http::path_segment("user id", id.as_str())
}

/// Checks a group id can be sent as one path segment.
pub(crate) fn group_path(id: &TenantId) -> Result<&str> {
    roster_http::path_segment("group id", id.as_str())
}

/// The API role name for a requested role. Provider names match
/// case-insensitively and are sent in NetBird's lower-case spelling.
pub(crate) fn role_to_api(role: &RoleSpec) -> Result<&'static str> {
    let found = match role {
        RoleSpec::Neutral(neutral) => ROLES.iter().find(|(_, r)| r == neutral),
        RoleSpec::Provider(name) => ROLES.iter().find(|(api, _)| api.eq_ignore_ascii_case(name)),
    };
    found.map(|(api, _)| *api).ok_or_else(|| {
        let names: Vec<&str> = ROLES.iter().map(|(api, _)| *api).collect();
        Error::invalid_input(format!(
            "NetBird has no {role} role; use one of {}",
            names.join(", ")
        ))
    })
}

/// The neutral role for a role NetBird sent, matched case-insensitively; a
/// role this adapter does not know (NetBird adds roles now and then) is
/// [`Role::Other`]. The raw name is always kept as sent.
pub(crate) fn role_from_api(role: &str) -> (Role, String) {
    let neutral = ROLES
        .iter()
        .find(|(api, _)| api.eq_ignore_ascii_case(role))
        .map_or(Role::Other, |(_, neutral)| *neutral);
    (neutral, role.to_owned())
}

/// `is_blocked` wins over everything; then NetBird's `status`: `invited`
/// (an invitation not accepted yet) and `blocked`. Every other status,
/// `active` included, can sign in.
fn status_from_api(user: &types::User) -> UserStatus {
    if user.is_blocked || user.status.eq_ignore_ascii_case("blocked") {
        UserStatus::Blocked
    } else if user.status.eq_ignore_ascii_case("invited") {
        UserStatus::Invited
    } else {
        UserStatus::Active
    }
}

/// An email the server sent. Service users have an empty one, and an
/// address that fails our stricter input rules is kept out of
/// `User::email` rather than failing the whole listing.
fn server_email(email: &str) -> Option<Email> {
    Email::parse(email).ok()
}

fn non_empty(text: &str) -> Option<String> {
    (!text.trim().is_empty()).then(|| text.to_owned())
}

fn decode_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Decode, message)
}

/// A user id from the server; an empty one is a malformed answer.
pub(crate) fn server_user_id(id: &str) -> Result<UserId> {
    UserId::new(id).map_err(|_| decode_error("the server sent a user with an empty id"))
}

pub(crate) fn user_from_api(user: &types::User) -> Result<User> {
    let (role, raw_role) = role_from_api(&user.role);
    Ok(User {
        id: server_user_id(&user.id)?,
        email: server_email(&user.email),
        display_name: non_empty(&user.name),
        role: Some(role),
        raw_role: Some(raw_role),
        status: status_from_api(user),
    })
}

pub(crate) fn principal_from_api(user: &types::User) -> Result<Principal> {
    let (role, raw_role) = role_from_api(&user.role);
    Ok(Principal {
        id: Some(server_user_id(&user.id)?),
        email: server_email(&user.email),
        display_name: non_empty(&user.name),
        role: Some(role),
        raw_role: Some(raw_role),
    })
}

pub(crate) fn tenant_from_api(group: &types::Group) -> Result<Tenant> {
    Ok(Tenant {
        id: TenantId::new(group.id.as_str())
            .map_err(|_| decode_error("the server sent a group with an empty id"))?,
        name: group.name.clone(),
    })
}

/// The membership of `user` in `group` (one of their `auto_groups`).
pub(crate) fn membership(group: &TenantId, user: &types::User) -> Result<Membership> {
    Ok(Membership {
        tenant: group.clone(),
        user: server_user_id(&user.id)?,
        user_email: server_email(&user.email),
        role: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_maps_both_ways_case_insensitively() {
        for (api, neutral) in ROLES {
            assert_eq!(role_to_api(&neutral.into()).expect(api), api);
            let shouted = RoleSpec::Provider(api.to_ascii_uppercase());
            assert_eq!(role_to_api(&shouted).expect(api), api);
            assert_eq!(role_from_api(api), (neutral, api.to_owned()));
            let upper = api.to_ascii_uppercase();
            assert_eq!(role_from_api(&upper), (neutral, upper.clone()), "raw kept");
        }
        assert_eq!(
            role_to_api(&RoleSpec::Provider("Network_Admin".into())).expect("mixed"),
            "network_admin"
        );
    }

    #[test]
    fn unknown_roles_are_refused_going_out_and_kept_coming_in() {
        for bad in [
            RoleSpec::Neutral(Role::Other),
            RoleSpec::Provider("member".into()),
            RoleSpec::Provider("superuser".into()),
            RoleSpec::Provider(String::new()),
        ] {
            let err = role_to_api(&bad).expect_err("unknown");
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.message().contains("billing_admin"), "{err}");
        }
        assert_eq!(
            role_from_api("policy_admin"),
            (Role::Other, "policy_admin".to_owned())
        );
    }

    fn wire_user(status: &str, is_blocked: bool) -> types::User {
        serde_json::from_value(serde_json::json!({
            "id": "google-oauth2|1", "email": "", "name": " ", "role": "user",
            "status": status, "auto_groups": [], "is_blocked": is_blocked
        }))
        .expect("user")
    }

    #[test]
    fn status_blocked_wins_then_invited() {
        assert_eq!(
            status_from_api(&wire_user("active", false)),
            UserStatus::Active
        );
        assert_eq!(
            status_from_api(&wire_user("invited", false)),
            UserStatus::Invited
        );
        assert_eq!(
            status_from_api(&wire_user("invited", true)),
            UserStatus::Blocked
        );
        assert_eq!(
            status_from_api(&wire_user("blocked", false)),
            UserStatus::Blocked
        );
        let service = user_from_api(&wire_user("active", false)).expect("user");
        assert_eq!(service.email, None, "service users have no email");
        assert_eq!(service.display_name, None, "a blank name is no name");
    }

    /// Decoding into the generated types and encoding again gives back
    /// exactly the documented examples: no field is dropped or changed.
    #[test]
    fn documented_examples_decode_without_loss() {
        let user: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/user_doc_example.json"))
                .expect("json");
        let decoded: types::User = serde_json::from_value(user.clone()).expect("decodes");
        assert_eq!(serde_json::to_value(&decoded).expect("encodes"), user);
        for fixture in [
            include_str!("../tests/fixtures/users.json"),
            include_str!("../tests/fixtures/groups.json"),
        ] {
            let list: serde_json::Value = serde_json::from_str(fixture).expect("json");
            let round_trip = match list[0].get("peers") {
                Some(_) => serde_json::to_value(
                    serde_json::from_value::<Vec<types::Group>>(list.clone()).expect("groups"),
                ),
                None => serde_json::to_value(
                    serde_json::from_value::<Vec<types::User>>(list.clone()).expect("users"),
                ),
            };
            assert_eq!(round_trip.expect("encodes"), list);
        }
        let error: types::ErrorResponse =
            serde_json::from_str(include_str!("../tests/fixtures/error.json")).expect("error");
        assert_eq!(error.code, Some(409));
    }

    #[test]
    fn empty_ids_from_the_server_are_decode_errors() {
        let mut user = wire_user("active", false);
        user.id = String::new();
        assert_eq!(
            user_from_api(&user).expect_err("empty").kind(),
            ErrorKind::Decode
        );
    }
}
