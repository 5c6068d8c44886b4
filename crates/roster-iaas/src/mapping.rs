//! Between the generated wire types and Roster's neutral model.
//!
//! Every response object arrives as a [`Raw`] value: the decoded fields
//! plus the JSON exactly as the server sent it, which becomes the neutral
//! record's `provider_data`. Decoding itself is loose (see
//! `specs/iaas-operator/SOURCE.md`): only an object with an empty id is an
//! error here, and a list names its position.

use roster_core::{
    Email, Error, ErrorKind, Membership, Principal, Raw, Result, Role, RoleSpec, Tenant, TenantId,
    User, UserId, UserStatus, map_items,
};
use uuid::Uuid;

use crate::generated::types;
use crate::ssh::{SshKey, SshKeyId};

/// A user object as the server sent it.
pub(crate) type ApiUser = Raw<types::UserGetResponseDtoFields>;
/// A tenant object as the server sent it.
pub(crate) type ApiTenant = Raw<types::TenantResponseDtoFields>;
/// A tenant's `users[]` entry as the server sent it.
pub(crate) type ApiMember = Raw<types::TenantUserFields>;
/// An SSH key object as the server sent it.
pub(crate) type ApiSshKey = Raw<types::SshKeysResponseDtoFields>;
/// `GET /users/me` as the server sent it.
pub(crate) type ApiMe = Raw<types::CurrentUserResponseFields>;

/// The IaaS role names, as the API spells them.
const ROLE_NAMES: &str = "\"operator\" or \"member\"";

/// IaaS user ids are UUIDs; anything else cannot name a user, so it is
/// refused before a request is sent.
pub(crate) fn user_uuid(id: &UserId) -> Result<Uuid> {
    roster_http::parse_id("IaaS user", "UUIDs", id.as_str())
}

/// IaaS SSH key ids are UUIDs too.
pub(crate) fn ssh_key_uuid(id: &SshKeyId) -> Result<Uuid> {
    roster_http::parse_id("IaaS SSH key", "UUIDs", id.as_str())
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

/// The neutral role for the role string the server sent: the two roles the
/// API documents map, anything else (a newer server's role) is
/// [`Role::Other`]; the string itself is always kept as the raw role.
fn role_from_api(role: &str) -> Role {
    match role {
        "operator" => Role::Admin,
        "member" => Role::Member,
        _ => Role::Other,
    }
}

/// The request value that writes `role`, as the server sent it, back
/// unchanged; `None` for a role the request enum does not have.
pub(crate) fn role_for_write_back(role: &str) -> Option<types::UserRole> {
    match role {
        "operator" => Some(types::UserRole::Operator),
        "member" => Some(types::UserRole::Member),
        _ => None,
    }
}

/// An email the server sent. The server validates emails itself, so one that
/// does not pass our stricter input rules is kept out of `User::email`
/// (it is still in the provider data) rather than failing the listing.
fn server_email(email: impl Into<String>) -> Option<Email> {
    Email::parse(email).ok()
}

fn decode(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Decode, message)
}

/// The id of a user or an SSH key the server sent. The API's ids are
/// UUIDs, which come back in their canonical form (so any spelling the
/// server uses compares equal); any other non-empty id is kept as it is,
/// so a list never fails over one, though the calls that take a UUID
/// refuse it. An empty id is a malformed answer. An id already in the
/// canonical form (as the server sends them) is kept without a copy.
fn server_id(what: &str, id: String) -> Result<String> {
    if id.is_empty() {
        return Err(decode(format!("the server sent {what} with an empty id")));
    }
    Ok(match Uuid::parse_str(&id) {
        // 36 characters that parse are the hyphenated form; without upper
        // case, that is the canonical text already.
        Ok(_) if id.len() == 36 && !id.bytes().any(|b| b.is_ascii_uppercase()) => id,
        Ok(uuid) => uuid.to_string(),
        Err(_) => id,
    })
}

/// Whether the id the server sent names `id`, whose canonical form is
/// `canonical`: a string comparison first (the server's own spelling is
/// the canonical one), parsing only an id of another length (no hyphens,
/// braces), so finding one user in a long list parses almost nothing.
pub(crate) fn names_uuid(server: &str, id: Uuid, canonical: &str) -> bool {
    server.eq_ignore_ascii_case(canonical)
        || (server.len() != canonical.len() && Uuid::parse_str(server).ok() == Some(id))
}

/// The UUID of a tenant's `users[]` entry, when its id is one.
pub(crate) fn member_uuid(member: &ApiMember) -> Option<Uuid> {
    Uuid::parse_str(&member.id).ok()
}

/// Consumes the wire value: its strings and its JSON move into the user.
pub(crate) fn user_from_api(user: ApiUser) -> Result<User> {
    let (user, data) = user.into_parts();
    let id = UserId::new(server_id("a user", user.id)?).expect("checked non-empty");
    let mut mapped = User::new(id, UserStatus::Active)
        .with_role(role_from_api(&user.role), user.role)
        .with_provider_data(data);
    if let Some(email) = server_email(user.email) {
        mapped = mapped.with_email(email);
    }
    Ok(mapped)
}

pub(crate) fn users_from_api(users: Vec<ApiUser>) -> Result<Vec<User>> {
    map_items(users, user_from_api)
}

pub(crate) fn principal_from_api(me: &ApiMe) -> Principal {
    let mut principal = Principal::new();
    principal.email = server_email(me.email.as_str());
    principal.display_name = me.name.clone();
    principal.role = Some(role_from_api(&me.role));
    principal.raw_role = Some(me.role.clone());
    principal.provider_data = Some(me.data().clone());
    principal
}

/// A tenant id from the server; a missing or empty one is a malformed
/// answer.
pub(crate) fn tenant_id(tenant: &ApiTenant) -> Result<TenantId> {
    TenantId::new(tenant.id.as_str())
        .map_err(|_| decode("the server sent a tenant with an empty id"))
}

pub(crate) fn tenant_from_api(tenant: &ApiTenant) -> Result<Tenant> {
    Ok(Tenant::new(tenant_id(tenant)?, tenant.name.clone())
        .with_provider_data(tenant.data().clone()))
}

pub(crate) fn tenants_from_api(tenants: &[ApiTenant]) -> Result<Vec<Tenant>> {
    map_items(tenants, tenant_from_api)
}

/// The tenant's members, each carrying its `users[]` entry. An entry without
/// a usable id fails, naming the tenant and the entry's position.
pub(crate) fn memberships_from_api(tenant: ApiTenant) -> Result<Vec<Membership>> {
    let id = tenant_id(&tenant)?;
    let (tenant, _) = tenant.into_parts();
    members_from_api(&id, tenant.users)
}

/// The members of tenant `id`, consuming the `users[]` entries.
pub(crate) fn members_from_api(
    id: &TenantId, members: impl IntoIterator<Item = ApiMember>,
) -> Result<Vec<Membership>> {
    map_items(members, |member| {
        let (member, data) = member.into_parts();
        let user = UserId::new(server_id("a tenant member", member.id)?).expect("non-empty");
        let mut membership = Membership::new(id.clone(), user).with_provider_data(data);
        if let Some(email) = server_email(member.email) {
            membership = membership.with_user_email(email);
        }
        Ok(membership)
    })
    .map_err(|err| Error::new(err.kind(), format!("tenant {id}: {}", err.message())))
}

/// Every tenant of a list with its members, consuming the list: each
/// tenant keeps its whole object (members included) as its provider data,
/// and each member its `users[]` entry. Tenant ids are checked first, so a
/// tenant without one fails before any member is looked at.
pub(crate) fn tenants_with_members_from_api(
    tenants: Vec<ApiTenant>,
) -> Result<(Vec<Tenant>, Vec<Membership>)> {
    map_items(&tenants, tenant_id)?;
    let mut members = Vec::with_capacity(tenants.iter().map(|t| t.users.len()).sum());
    let tenants = tenants
        .into_iter()
        .map(|tenant| {
            let id = tenant_id(&tenant)?;
            let (fields, data) = tenant.into_parts();
            members.extend(members_from_api(&id, fields.users)?);
            Ok(Tenant::new(id, fields.name).with_provider_data(data))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((tenants, members))
}

pub(crate) fn ssh_key_from_api(key: &ApiSshKey) -> Result<SshKey> {
    let id = SshKeyId::new(server_id("an SSH key", key.id.clone())?).expect("non-empty");
    Ok(SshKey::new(id, key.public_key.clone()).with_provider_data(key.data().clone()))
}

pub(crate) fn ssh_keys_from_api(keys: &[ApiSshKey]) -> Result<Vec<SshKey>> {
    map_items(keys, ssh_key_from_api)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(role_from_api("operator"), Role::Admin);
        assert_eq!(role_from_api("member"), Role::Member);
        assert_eq!(role_from_api("auditor"), Role::Other);
        assert_eq!(role_from_api("Operator"), Role::Other, "exact spelling");
        assert_eq!(role_for_write_back("member"), Some(types::UserRole::Member));
        assert_eq!(role_for_write_back("auditor"), None);
    }

    #[test]
    fn user_ids_must_be_uuids() {
        for bad in ["..", "a/b", "x?y", "not-a-uuid", "9b1f2c3d"] {
            let err = user_uuid(&UserId::new(bad).expect("id")).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            let err = ssh_key_uuid(&SshKeyId::new(bad).expect("id")).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
        }
        let id = Uuid::new_v4();
        assert_eq!(
            user_uuid(&UserId::new(id.to_string()).expect("id")).expect("uuid"),
            id
        );
    }

    #[test]
    fn any_spelling_of_a_uuid_names_it() {
        let id = Uuid::parse_str("0b8a1c52-7f3e-4c8e-9a51-2d6f0e4b7a10").expect("uuid");
        let canonical = id.to_string();
        for same in [
            "0b8a1c52-7f3e-4c8e-9a51-2d6f0e4b7a10",
            "0B8A1C52-7F3E-4C8E-9A51-2D6F0E4B7A10",
            "0b8a1c527f3e4c8e9a512d6f0e4b7a10",
            "{0b8a1c52-7f3e-4c8e-9a51-2d6f0e4b7a10}",
        ] {
            assert!(names_uuid(same, id, &canonical), "{same}");
        }
        for other in ["0b8a1c52-7f3e-4c8e-9a51-2d6f0e4b7a11", "user-7", ""] {
            assert!(!names_uuid(other, id, &canonical), "{other}");
        }
    }

    #[test]
    fn only_an_item_with_an_empty_id_fails_and_it_is_named() {
        let users: Vec<ApiUser> = serde_json::from_str(
            r#"[{"id": "0B8A1C527F3E4C8E9A512D6F0E4B7A10", "email": "a@b.io", "role": "root"},
                {"id": "user-7", "email": "c@d.io", "role": "member"},
                {"id": "", "email": "e@f.io", "role": "member"}]"#,
        )
        .expect("decodes");
        let err = users_from_api(users.clone()).expect_err("third has an empty id");
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert_eq!(
            err.message(),
            "item 2 of the list: the server sent a user with an empty id"
        );
        let first = user_from_api(users[0].clone()).expect("first maps");
        assert_eq!(first.id.as_str(), "0b8a1c52-7f3e-4c8e-9a51-2d6f0e4b7a10");
        assert_eq!(first.role, Some(Role::Other));
        assert_eq!(first.raw_role.as_deref(), Some("root"));
        let second = user_from_api(users[1].clone()).expect("any other id is kept");
        assert_eq!(second.id.as_str(), "user-7");

        let tenants: Vec<ApiTenant> = serde_json::from_str(
            r#"[{"id": "t1", "name": "one", "users": [{"id": "", "email": "a@b.io"}]}]"#,
        )
        .expect("decodes");
        let err = memberships_from_api(tenants[0].clone()).expect_err("empty member id");
        assert_eq!(
            err.message(),
            "tenant t1: item 0 of the list: the server sent a tenant member with an empty id"
        );
    }
}
