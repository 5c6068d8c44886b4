//! Between the generated wire types and Roster's neutral model, plus the
//! adapter's own public types.

use roster_core::{
    Email, Error, ErrorKind, Membership, ProviderData, Raw, Result, Tenant, TenantId, User, UserId,
    UserStatus, map_items,
};
use roster_http::Redactor;
use serde::de::DeserializeOwned;

use crate::generated::types;
use crate::wire::Item;

/// Adverity user ids are numbers. Anything else (including ids holding
/// `/`, `..`, `?` or `#`) cannot name a user, so it is refused before a
/// request is sent. Leading zeros are accepted and dropped.
pub(crate) fn user_number(id: &UserId) -> Result<i64> {
    let raw = id.as_str();
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid_input(format!(
            "Adverity user ids are numeric; {raw:?} is not one"
        )));
    }
    raw.parse::<i64>()
        .map_err(|_| Error::invalid_input(format!("Adverity user id {raw:?} is too large")))
}

/// The id as the server spells it.
pub(crate) fn canonical_user_id(id: i64) -> UserId {
    UserId::new(id.to_string()).expect("a number is never empty")
}

/// A workspace slug, checked to travel as one path segment (it is
/// percent-encoded by the generated client).
pub(crate) fn workspace_slug(id: &TenantId) -> Result<&str> {
    roster_http::path_segment("workspace slug", id.as_str())
}

/// Splits a neutral display name into Adverity's `first_name` and
/// `last_name`.
///
/// The rule: surrounding whitespace is trimmed; the first word is the first
/// name and everything after the first run of whitespace is the last name,
/// as written. One word is a first name with an empty last name; a blank
/// name clears both.
///
/// ```
/// use roster_adverity::split_display_name;
///
/// assert_eq!(split_display_name("Ada Lovelace"), ("Ada".into(), "Lovelace".into()));
/// assert_eq!(split_display_name(" Mary Ann  Smith "), ("Mary".into(), "Ann  Smith".into()));
/// assert_eq!(split_display_name("Prince"), ("Prince".into(), String::new()));
/// assert_eq!(split_display_name("  "), (String::new(), String::new()));
/// ```
///
/// Names this rule cannot express (a multi-word first name) can be set
/// exactly with [`AdverityClient::set_names`](crate::AdverityService::set_names).
pub fn split_display_name(name: &str) -> (String, String) {
    let name = name.trim();
    match name.split_once(char::is_whitespace) {
        Some((first, rest)) => (first.to_owned(), rest.trim_start().to_owned()),
        None => (name.to_owned(), String::new()),
    }
}

/// The neutral display name for Adverity's two name fields: both trimmed
/// and joined with one space, leaving out an empty one; `None` when both
/// are empty. [`split_display_name`] inverts it for names whose first name
/// is one word.
///
/// ```
/// use roster_adverity::join_names;
///
/// assert_eq!(join_names("Ada", "Lovelace").as_deref(), Some("Ada Lovelace"));
/// assert_eq!(join_names("", "Lovelace").as_deref(), Some("Lovelace"));
/// assert_eq!(join_names(" ", ""), None);
/// ```
pub fn join_names(first_name: &str, last_name: &str) -> Option<String> {
    let parts: Vec<&str> = [first_name.trim(), last_name.trim()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// `active: false` is Adverity's only non-active state; a user whose
/// `active` is missing or `null` has a status we cannot tell, which is
/// [`UserStatus::Other`] (there is no status word to keep).
pub(crate) fn status_from_active(active: Option<bool>) -> UserStatus {
    match active {
        Some(true) => UserStatus::Active,
        Some(false) => UserStatus::Suspended,
        None => UserStatus::Other,
    }
}

/// The `active` flag for a requested status. Adverity has no invited or
/// blocked users, so those cannot be mapped.
pub(crate) fn active_for_status(status: UserStatus) -> Result<bool> {
    match status {
        UserStatus::Active => Ok(true),
        UserStatus::Suspended => Ok(false),
        other => Err(Error::invalid_input(format!(
            "Adverity users are active or suspended (active: false); there is no {other} status"
        ))),
    }
}

/// An email the server sent. The server validates emails itself, so one
/// that does not pass our stricter rules is left out of `User::email`
/// (it stays in the provider data) rather than failing a whole listing.
fn server_email(email: Option<&str>) -> Option<Email> {
    email.and_then(|email| Email::parse(email).ok())
}

/// A value decoded from the server with the JSON it came from.
#[derive(Debug, Clone)]
pub(crate) struct Decoded<T> {
    pub(crate) value: T,
    pub(crate) data: ProviderData,
}

impl<T> From<Raw<T>> for Decoded<T> {
    fn from(raw: Raw<T>) -> Self {
        let (value, data) = raw.into_parts();
        Decoded { value, data }
    }
}

impl<T> std::ops::Deref for Decoded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// A user as the generated client decodes one.
pub(crate) type ApiUser = Decoded<types::UserFields>;
/// A workspace as the generated client decodes one.
pub(crate) type ApiStack = Decoded<types::StackFields>;

/// Decodes every item of a list page, in order, keeping each item's JSON.
/// An item that does not fit (one without a numeric `id`, say) is a
/// `Decode` error naming its position, with a redacted snippet of it; the
/// other fields are all optional, so that is the only way to fail.
pub(crate) fn decode_items<T: DeserializeOwned>(
    items: Vec<Item>, what: &str, redactor: &Redactor,
) -> Result<Vec<Decoded<T>>> {
    let mut failed = None;
    let values = map_items(&items, |item| {
        serde_json::from_str::<T>(item.data().get()).map_err(|err| {
            failed = Some(redactor.snippet(item.data().get().as_bytes(), 256));
            Error::new(
                ErrorKind::Decode,
                redactor.redact(&format!(
                    "the server sent a {what} that does not fit: {err}"
                )),
            )
        })
    })
    .map_err(|err| match failed.take() {
        Some(snippet) => err.with_body_snippet(snippet),
        None => err,
    })?;
    Ok(values
        .into_iter()
        .zip(items)
        .map(|(value, item)| Decoded {
            value,
            data: item.into_parts().1,
        })
        .collect())
}

/// The neutral user, carrying `data` (the user's JSON as it arrived).
pub(crate) fn user_from_api(user: &types::UserFields, data: ProviderData) -> User {
    let mut neutral = User::new(canonical_user_id(user.id), status_from_active(user.active));
    neutral.email = server_email(user.email.as_deref());
    neutral.display_name = join_names(
        user.first_name.as_deref().unwrap_or_default(),
        user.last_name.as_deref().unwrap_or_default(),
    );
    neutral.with_provider_data(data)
}

/// The neutral user of a decoded answer, keeping its JSON.
pub(crate) fn user_from_decoded(user: ApiUser) -> User {
    user_from_api(&user.value, user.data)
}

/// The user's workspace ids; an absent (or `null`) list holds none.
pub(crate) fn workspace_ids(user: &types::UserFields) -> &[i64] {
    user.workspaces.as_deref().unwrap_or_default()
}

/// A workspace slug from the server; an empty one is a malformed answer.
fn tenant_id(slug: &str) -> Result<TenantId> {
    TenantId::new(slug).map_err(|_| {
        Error::new(
            ErrorKind::Decode,
            "the server sent a workspace with an empty slug",
        )
    })
}

/// The neutral tenant (slug as id; a missing name is empty), carrying
/// `data` (the workspace's JSON as it arrived).
pub(crate) fn tenant_from_api(stack: &types::StackFields, data: ProviderData) -> Result<Tenant> {
    Ok(Tenant::new(
        tenant_id(&stack.slug)?,
        stack.name.clone().unwrap_or_default(),
    )
    .with_provider_data(data))
}

/// The neutral tenants of a list page, in order. A workspace with an empty
/// slug (which could not be addressed) is `Decode`, naming its position.
pub(crate) fn tenants_from_api(stacks: Vec<ApiStack>) -> Result<Vec<Tenant>> {
    let ids = map_items(&stacks, |stack| tenant_id(&stack.slug))?;
    Ok(ids
        .into_iter()
        .zip(stacks)
        .map(|(id, stack)| {
            Tenant::new(id, stack.value.name.unwrap_or_default()).with_provider_data(stack.data)
        })
        .collect())
}

/// The neutral tenant of a decoded answer, keeping its JSON.
pub(crate) fn tenant_from_decoded(stack: ApiStack) -> Result<Tenant> {
    tenant_from_api(&stack.value, stack.data)
}

/// `user` in the workspace `slug`. The membership's provider data is the
/// user's object as it arrived: its `workspaces` entry is what makes the
/// membership, and Adverity has no per-membership object of its own.
pub(crate) fn membership(slug: &str, user: &ApiUser) -> Result<Membership> {
    let mut membership = Membership::new(tenant_id(slug)?, canonical_user_id(user.id))
        .with_provider_data(user.data.clone());
    membership.user_email = server_email(user.email.as_deref());
    Ok(membership)
}

/// An Adverity user with everything the API reports, including the raw
/// name fields behind [`User::display_name`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AdverityUser {
    /// The neutral view: id, email, display name (see [`join_names`]),
    /// status (`active: false` is [`UserStatus::Suspended`]) and the user's
    /// JSON as it arrived ([`User::provider_data`]).
    pub user: User,
    /// `first_name`, exactly as the server sent it (empty when absent).
    pub first_name: String,
    /// `last_name`, exactly as the server sent it (empty when absent).
    pub last_name: String,
    /// The ids of the groups the user belongs to (empty when absent).
    pub groups: Vec<i64>,
    /// The numeric ids of the workspaces the user has access to (empty
    /// when absent).
    pub workspace_ids: Vec<i64>,
    /// The names of those workspaces, as the server lists them.
    pub workspace_names: Vec<String>,
    /// When the account was created, as the server spells it.
    pub created: Option<String>,
    /// The last login; `None` if the user never logged in.
    pub last_login: Option<String>,
    /// When the account last changed.
    pub last_modified: Option<String>,
}

impl AdverityUser {
    pub(crate) fn from_api(user: ApiUser) -> Self {
        let Decoded { value, data } = user;
        AdverityUser {
            user: user_from_api(&value, data),
            first_name: value.first_name.unwrap_or_default(),
            last_name: value.last_name.unwrap_or_default(),
            groups: value.groups.unwrap_or_default(),
            workspace_ids: value.workspaces.unwrap_or_default(),
            workspace_names: value.workspace_names.unwrap_or_default(),
            created: value.created,
            last_login: value.last_login,
            last_modified: value.last_modified,
        }
    }
}

/// A workspace (stack) with both of its identifiers: the slug its URLs use
/// (and Roster's [`TenantId`]), and the numeric id user memberships use.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Workspace {
    /// The neutral view: the slug as id, the name, and the workspace's
    /// JSON as it arrived ([`Tenant::provider_data`]).
    pub tenant: Tenant,
    /// The numeric id, as it appears in a user's `workspaces`.
    pub id: i64,
    /// The parent workspace's numeric id.
    pub parent_id: Option<i64>,
}

impl Workspace {
    pub(crate) fn from_api(stack: ApiStack) -> Result<Self> {
        let id = stack.id;
        let parent_id = stack.parent_id;
        Ok(Workspace {
            tenant: tenant_from_decoded(stack)?,
            id,
            parent_id,
        })
    }
}

/// Per-call settings for [`AdverityClient::create_workspace`](crate::AdverityService::create_workspace).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkspaceOptions {
    /// The datalake (storage) id; overrides the one in the config.
    pub datalake_id: Option<u64>,
    /// The parent workspace, by slug. Resolving it to the numeric id the
    /// API takes costs one `GET`.
    pub parent: Option<TenantId>,
}

impl WorkspaceOptions {
    /// No overrides: the config's datalake id, no parent.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates the workspace in this datalake.
    pub fn with_datalake_id(mut self, datalake_id: u64) -> Self {
        self.datalake_id = Some(datalake_id);
        self
    }

    /// Creates the workspace under this parent.
    pub fn with_parent(mut self, parent: TenantId) -> Self {
        self.parent = Some(parent);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_must_be_numbers() {
        for bad in [
            "..",
            ".",
            "a/b",
            "1/2",
            "x?y",
            "1?x=2",
            "7#f",
            "abc",
            "-1",
            "+1",
            " 1",
            "1.0",
            "99999999999999999999",
        ] {
            let err = user_number(&UserId::new(bad).expect("id")).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
        assert_eq!(
            user_number(&UserId::new("42").expect("id")).expect("42"),
            42
        );
        assert_eq!(user_number(&UserId::new("007").expect("id")).expect("7"), 7);
        assert_eq!(canonical_user_id(7).as_str(), "7");
    }

    #[test]
    fn names_split_on_the_first_space_and_join_back() {
        for name in [
            "Ada Lovelace",
            "Mary Ann Smith",
            "Prince",
            "Jean-Luc Picard",
        ] {
            let (first, last) = split_display_name(name);
            assert_eq!(join_names(&first, &last).as_deref(), Some(name));
        }
        assert_eq!(
            split_display_name("Ada\tLovelace"),
            ("Ada".into(), "Lovelace".into())
        );
        assert_eq!(join_names("", ""), None);
    }

    #[test]
    fn statuses_map_to_active() {
        assert!(active_for_status(UserStatus::Active).expect("active"));
        assert!(!active_for_status(UserStatus::Suspended).expect("suspended"));
        for other in [UserStatus::Blocked, UserStatus::Invited] {
            assert_eq!(
                active_for_status(other).expect_err("no such status").kind(),
                ErrorKind::InvalidInput
            );
        }
        assert_eq!(status_from_active(Some(false)), UserStatus::Suspended);
        assert_eq!(status_from_active(Some(true)), UserStatus::Active);
        assert_eq!(status_from_active(None), UserStatus::Other);
    }
}
