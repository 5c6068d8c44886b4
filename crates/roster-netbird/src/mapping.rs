//! Between the generated wire types and Roster's neutral model.

use roster_core::{
    Email, Error, ErrorKind, Membership, Principal, ProviderData, Raw, Result, Role, RoleSpec,
    Tenant, TenantId, User, UserId, UserStatus,
};
use secrecy::SecretString;

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

/// A user as the generated client decodes it: the fields and the JSON they
/// came from.
pub(crate) type WireUser = Raw<types::UserFields>;

/// A group as the generated client decodes it.
pub(crate) type WireGroup = Raw<types::GroupFields>;

/// The neutral status, in this order:
///
/// 1. `pending_approval: true` is [`UserStatus::PendingApproval`]. It wins
///    over the rest because NetBird blocks a user while they wait, so such a
///    user also arrives with `is_blocked: true` and status `blocked`.
/// 2. `is_blocked: true` is [`UserStatus::Blocked`].
/// 3. NetBird's `status`, ignoring case: `active`, `invited` (an invitation
///    not accepted yet) and `blocked`. Any other word, such as one a newer
///    server adds, is [`UserStatus::Other`], and so is no status at all;
///    the word itself is kept in [`User::raw_status`].
pub(crate) fn status_from_api(user: &types::UserFields) -> UserStatus {
    if user.pending_approval == Some(true) {
        return UserStatus::PendingApproval;
    }
    if user.is_blocked == Some(true) {
        return UserStatus::Blocked;
    }
    match user.status.as_deref() {
        Some(s) if s.eq_ignore_ascii_case("active") => UserStatus::Active,
        Some(s) if s.eq_ignore_ascii_case("invited") => UserStatus::Invited,
        Some(s) if s.eq_ignore_ascii_case("blocked") => UserStatus::Blocked,
        _ => UserStatus::Other,
    }
}

/// An email the server sent. Service users have an empty one, and an
/// address that fails our stricter input rules is kept out of
/// `User::email` (it stays in the provider data) rather than failing the
/// whole listing.
fn server_email(email: Option<&str>) -> Option<Email> {
    email.and_then(|email| Email::parse(email).ok())
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.filter(|text| !text.trim().is_empty())
        .map(str::to_owned)
}

fn decode_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Decode, message)
}

/// A user id from the server; an empty one is a malformed answer.
pub(crate) fn server_user_id(id: &str) -> Result<UserId> {
    UserId::new(id).map_err(|_| decode_error("the server sent a user with an empty id"))
}

/// The neutral user, carrying NetBird's object as it arrived.
pub(crate) fn user_from_api(user: &WireUser) -> Result<User> {
    user_with_data(user, user.data().clone())
}

fn user_with_data(fields: &types::UserFields, data: ProviderData) -> Result<User> {
    let mut user = User::new(server_user_id(&fields.id)?, status_from_api(fields));
    user.email = server_email(fields.email.as_deref());
    user.display_name = non_empty(fields.name.as_deref());
    if let Some(role) = &fields.role {
        let (neutral, raw) = role_from_api(role);
        user = user.with_role(neutral, raw);
    }
    if let Some(status) = &fields.status {
        user = user.with_raw_status(status.clone());
    }
    Ok(user.with_provider_data(data))
}

/// The user in a create answer, and the one-time `password` the answer
/// carries when NetBird's identity provider creates users with a password.
///
/// The password is taken out of the provider data: the object is parsed,
/// its `password` key removed and the rest serialised again (keys then come
/// in alphabetical order). Every other answer keeps its bytes as they
/// arrived; a create is not a hot path. An answer without a `password` key
/// is kept as it arrived too.
pub(crate) fn created_user(answer: WireUser) -> Result<(User, Option<SecretString>)> {
    let (mut fields, data) = answer.into_parts();
    let password = fields.password.take();
    let data = if password.is_some() || data.get().contains("\"password\"") {
        without_password(&data)?
    } else {
        data
    };
    let user = user_with_data(&fields, data)?;
    let secret = password
        .filter(|password| !password.is_empty())
        .map(SecretString::from);
    Ok((user, secret))
}

/// `data` without its top-level `password` key.
fn without_password(data: &ProviderData) -> Result<ProviderData> {
    let mut object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(data.get())
            .map_err(|_| decode_error("the create answer is not a JSON object"))?;
    object.remove("password");
    Ok(ProviderData::from_value(&serde_json::Value::Object(object)))
}

/// Masks the value of every `"password"` key in a (possibly truncated)
/// JSON text, for the body snippet of an error about a create answer.
pub(crate) fn mask_passwords(text: &str) -> String {
    const KEY: &str = "\"password\"";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        let after_key = at + KEY.len();
        out.push_str(&rest[..after_key]);
        rest = &rest[after_key..];
        let trimmed = rest.trim_start();
        let Some(value) = trimmed.strip_prefix(':') else {
            continue;
        };
        let value = value.trim_start();
        out.push_str(&rest[..rest.len() - value.len()]);
        let end = match value.strip_prefix('"') {
            Some(string) => {
                let mut escaped = false;
                string
                    .char_indices()
                    .find(|&(_, c)| {
                        let closes = c == '"' && !escaped;
                        escaped = c == '\\' && !escaped;
                        closes
                    })
                    .map_or(value.len(), |(i, _)| i + 2)
            }
            None => value.find([',', '}', ']']).unwrap_or(value.len()),
        };
        out.push_str("\"******\"");
        rest = &value[end..];
    }
    out.push_str(rest);
    out
}

/// What a `PUT /api/users/{id}` sends back unchanged: the role, groups and
/// blocked flag exactly as read. A record that lacks one of them is a
/// `Decode` error, and nothing is written: the `PUT` replaces all three,
/// so guessing one would change what the caller did not name.
pub(crate) fn write_back(user: &WireUser) -> Result<types::UserRequest> {
    let missing = |field: &str| {
        decode_error(format!(
            "the server's record of user {} has no `{field}`, which every change sends back; \
             nothing was written",
            user.id
        ))
    };
    let role = user.role.clone().ok_or_else(|| missing("role"))?;
    let is_blocked = user.is_blocked.ok_or_else(|| missing("is_blocked"))?;
    if user.data().field("auto_groups").is_none() {
        return Err(missing("auto_groups"));
    }
    Ok(types::UserRequest {
        role,
        auto_groups: user.auto_groups.clone(),
        is_blocked,
    })
}

pub(crate) fn principal_from_api(user: &WireUser) -> Result<Principal> {
    let mut principal = Principal::new();
    principal.id = Some(server_user_id(&user.id)?);
    principal.email = server_email(user.email.as_deref());
    principal.display_name = non_empty(user.name.as_deref());
    if let Some(role) = &user.role {
        let (neutral, raw) = role_from_api(role);
        principal.role = Some(neutral);
        principal.raw_role = Some(raw);
    }
    principal.provider_data = Some(user.data().clone());
    Ok(principal)
}

/// The neutral tenant, carrying NetBird's group object as it arrived. A
/// group without a name gets an empty one.
pub(crate) fn tenant_from_api(group: &WireGroup) -> Result<Tenant> {
    let id = TenantId::new(group.id.as_str())
        .map_err(|_| decode_error("the server sent a group with an empty id"))?;
    Ok(Tenant::new(id, group.name.clone().unwrap_or_default())
        .with_provider_data(group.data().clone()))
}

/// The membership of `user` in `group` (one of their `auto_groups`). It is
/// only an id in a list, so it carries no provider data.
pub(crate) fn membership(group: &TenantId, user: &types::UserFields) -> Result<Membership> {
    let mut membership = Membership::new(group.clone(), server_user_id(&user.id)?);
    membership.user_email = server_email(user.email.as_deref());
    Ok(membership)
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

    fn wire(json: serde_json::Value) -> WireUser {
        serde_json::from_str(&json.to_string()).expect("user")
    }

    fn wire_user(status: &str, is_blocked: bool) -> WireUser {
        wire(serde_json::json!({
            "id": "google-oauth2|1", "email": "", "name": " ", "role": "user",
            "status": status, "auto_groups": [], "is_blocked": is_blocked
        }))
    }

    #[test]
    fn pending_wins_then_blocked_then_the_status_word() {
        let cases = [
            (
                serde_json::json!({"id": "u", "status": "active"}),
                UserStatus::Active,
            ),
            (
                serde_json::json!({"id": "u", "status": "Invited"}),
                UserStatus::Invited,
            ),
            (
                serde_json::json!({"id": "u", "status": "blocked"}),
                UserStatus::Blocked,
            ),
            (
                serde_json::json!({"id": "u", "status": "invited", "is_blocked": true}),
                UserStatus::Blocked,
            ),
            (
                serde_json::json!({"id": "u", "status": "blocked", "is_blocked": true,
                                   "pending_approval": true}),
                UserStatus::PendingApproval,
            ),
            (
                serde_json::json!({"id": "u", "status": "active", "pending_approval": false}),
                UserStatus::Active,
            ),
            (
                serde_json::json!({"id": "u", "status": "dormant"}),
                UserStatus::Other,
            ),
            (serde_json::json!({"id": "u"}), UserStatus::Other),
        ];
        for (json, status) in cases {
            assert_eq!(status_from_api(&wire(json.clone())), status, "{json}");
        }
        let pending = user_from_api(&wire(serde_json::json!({
            "id": "u", "status": "blocked", "is_blocked": true, "pending_approval": true
        })))
        .expect("user");
        assert_eq!(
            pending.raw_status.as_deref(),
            Some("blocked"),
            "the word is kept"
        );
        let odd = user_from_api(&wire(serde_json::json!({"id": "u", "status": "dormant"})))
            .expect("user");
        assert_eq!(
            (odd.status, odd.raw_status.as_deref()),
            (UserStatus::Other, Some("dormant"))
        );
    }

    #[test]
    fn a_user_with_only_an_id_decodes_and_keeps_its_object() {
        let user = user_from_api(&wire(serde_json::json!({"id": "u"}))).expect("user");
        assert_eq!(user.id.as_str(), "u");
        assert_eq!((user.email, user.role, user.raw_role), (None, None, None));
        assert_eq!(
            user.provider_data.expect("data").to_value(),
            serde_json::json!({"id": "u"})
        );
        let service = user_from_api(&wire_user("active", false)).expect("user");
        assert_eq!(service.email, None, "service users have no email");
        assert_eq!(service.display_name, None, "a blank name is no name");
    }

    #[test]
    fn the_create_answers_password_moves_to_the_secret() {
        use secrecy::ExposeSecret as _;
        let text = r#"{"id":"u1","email":"a@b.io","password":"Xy7!kQ2-pLm9#zR4","role":"user"}"#;
        let answer: WireUser = serde_json::from_str(text).expect("answer");
        let (user, secret) = created_user(answer).expect("user");
        assert_eq!(secret.expect("secret").expose_secret(), "Xy7!kQ2-pLm9#zR4");
        let data = user.provider_data.expect("data");
        assert!(!data.get().contains("Xy7!kQ2"), "{}", data.get());
        assert_eq!(
            data.to_value(),
            serde_json::json!({"id": "u1", "email": "a@b.io", "role": "user"})
        );
        let plain = r#"{"id":"u2", "role":"user"}"#;
        let (user, secret) =
            created_user(serde_json::from_str(plain).expect("answer")).expect("user");
        assert!(secret.is_none());
        assert_eq!(
            user.provider_data.expect("data").get(),
            plain,
            "kept as it arrived"
        );
        let null = r#"{"id":"u3","password":null}"#;
        let (user, secret) =
            created_user(serde_json::from_str(null).expect("answer")).expect("user");
        assert!(secret.is_none());
        assert_eq!(
            user.provider_data.expect("data").to_value(),
            serde_json::json!({"id": "u3"})
        );
    }

    #[test]
    fn passwords_are_masked_in_snippets_even_when_cut_off() {
        let cases = [
            (
                r#"{"id": 5, "password": "s3cr\"et", "name": "x"}"#,
                r#"{"id": 5, "password": "******", "name": "x"}"#,
            ),
            (r#"{"password":"abc"#, r#"{"password":"******""#),
            (r#"{"password" : 123456}"#, r#"{"password" : "******"}"#),
            (
                r#"{"name": "password", "x": 1}"#,
                r#"{"name": "password", "x": 1}"#,
            ),
            (
                r#"{"password":"a","password":"b"}"#,
                r#"{"password":"******","password":"******"}"#,
            ),
            (r#"{"passw"#, r#"{"passw"#),
        ];
        for (text, masked) in cases {
            assert_eq!(mask_passwords(text), masked, "{text}");
        }
    }

    #[test]
    fn a_record_without_what_a_put_sends_back_is_refused() {
        let full = wire_user("active", true);
        let body = write_back(&full).expect("complete");
        assert_eq!(
            (body.role.as_str(), body.auto_groups.len(), body.is_blocked),
            ("user", 0, true)
        );
        for missing in ["role", "auto_groups", "is_blocked"] {
            let mut json = serde_json::json!({
                "id": "u", "role": "user", "auto_groups": ["g"], "is_blocked": false
            });
            json.as_object_mut().expect("object").remove(missing);
            let err = write_back(&wire(json)).expect_err(missing);
            assert_eq!(err.kind(), ErrorKind::Decode);
            assert!(err.message().contains(missing), "{err}");
        }
    }

    /// The documented examples decode, and each neutral record carries the
    /// example's object exactly as it was sent.
    #[test]
    fn documented_examples_decode_without_loss() {
        let text = include_str!("../tests/fixtures/user_doc_example.json");
        let user: WireUser = serde_json::from_str(text).expect("decodes");
        let mapped = user_from_api(&user).expect("maps");
        assert_eq!(mapped.provider_data.expect("data").get(), text.trim_end());
        let users: Vec<WireUser> =
            serde_json::from_str(include_str!("../tests/fixtures/users.json")).expect("users");
        let list: Vec<serde_json::Value> =
            serde_json::from_str(include_str!("../tests/fixtures/users.json")).expect("json");
        for (user, json) in users.iter().zip(&list) {
            let mapped = user_from_api(user).expect("maps");
            assert_eq!(&mapped.provider_data.expect("data").to_value(), json);
        }
        let groups: Vec<WireGroup> =
            serde_json::from_str(include_str!("../tests/fixtures/groups.json")).expect("groups");
        let list: Vec<serde_json::Value> =
            serde_json::from_str(include_str!("../tests/fixtures/groups.json")).expect("json");
        for (group, json) in groups.iter().zip(&list) {
            let tenant = tenant_from_api(group).expect("maps");
            assert_eq!(&tenant.provider_data.expect("data").to_value(), json);
        }
        let error: types::ErrorResponse =
            serde_json::from_str(include_str!("../tests/fixtures/error.json")).expect("error");
        assert_eq!(error.code, Some(409));
    }

    #[test]
    fn empty_ids_from_the_server_are_decode_errors() {
        let user = wire(serde_json::json!({"id": ""}));
        assert_eq!(
            user_from_api(&user).expect_err("empty").kind(),
            ErrorKind::Decode
        );
        let group: WireGroup = serde_json::from_str(r#"{"id": ""}"#).expect("group");
        assert_eq!(
            tenant_from_api(&group).expect_err("empty").kind(),
            ErrorKind::Decode
        );
        let nameless: WireGroup = serde_json::from_str(r#"{"id": "g"}"#).expect("group");
        assert_eq!(tenant_from_api(&nameless).expect("maps").name, "");
    }
}
