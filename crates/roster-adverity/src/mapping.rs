//! Between the generated wire types and Roster's neutral model, plus the
//! adapter's own public types.

use roster_core::{
    Email, Error, ErrorKind, Membership, Result, Tenant, TenantId, User, UserId, UserStatus,
};

use crate::generated::types;

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
/// exactly with [`AdverityClient::set_names`](crate::AdverityClient::set_names).
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

/// `active: false` is Adverity's only non-active state.
pub(crate) fn status_from_active(active: bool) -> UserStatus {
    if active {
        UserStatus::Active
    } else {
        UserStatus::Suspended
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
/// rather than failing a whole listing.
fn server_email(email: &str) -> Option<Email> {
    Email::parse(email).ok()
}

pub(crate) fn user_from_api(user: &types::User) -> User {
    User {
        id: canonical_user_id(user.id),
        email: server_email(&user.email),
        display_name: join_names(
            user.first_name.as_deref().unwrap_or_default(),
            user.last_name.as_deref().unwrap_or_default(),
        ),
        role: None,
        raw_role: None,
        status: status_from_active(user.active),
    }
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

pub(crate) fn tenant_from_api(stack: &types::Stack) -> Result<Tenant> {
    Ok(Tenant {
        id: tenant_id(&stack.slug)?,
        name: stack.name.clone(),
    })
}

pub(crate) fn membership(stack: &types::Stack, user: &types::User) -> Result<Membership> {
    Ok(Membership {
        tenant: tenant_id(&stack.slug)?,
        user: canonical_user_id(user.id),
        user_email: server_email(&user.email),
        role: None,
    })
}

/// An Adverity user with everything the API reports, including the raw
/// name fields behind [`User::display_name`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AdverityUser {
    /// The neutral view: id, email, display name (see [`join_names`]) and
    /// status (`active: false` is [`UserStatus::Suspended`]).
    pub user: User,
    /// `first_name`, exactly as the server sent it (empty when absent).
    pub first_name: String,
    /// `last_name`, exactly as the server sent it (empty when absent).
    pub last_name: String,
    /// The ids of the groups the user belongs to.
    pub groups: Vec<i64>,
    /// The numeric ids of the workspaces the user has access to.
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
    pub(crate) fn from_api(user: &types::User) -> Self {
        AdverityUser {
            user: user_from_api(user),
            first_name: user.first_name.clone().unwrap_or_default(),
            last_name: user.last_name.clone().unwrap_or_default(),
            groups: user.groups.clone(),
            workspace_ids: user.workspaces.clone(),
            workspace_names: user.workspace_names.clone(),
            created: user.created.clone(),
            last_login: user.last_login.clone(),
            last_modified: user.last_modified.clone(),
        }
    }
}

/// A workspace (stack) with both of its identifiers: the slug its URLs use
/// (and Roster's [`TenantId`]), and the numeric id user memberships use.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Workspace {
    /// The neutral view: the slug as id, and the name.
    pub tenant: Tenant,
    /// The numeric id, as it appears in a user's `workspaces`.
    pub id: i64,
    /// The parent workspace's numeric id.
    pub parent_id: Option<i64>,
}

impl Workspace {
    pub(crate) fn from_api(stack: &types::Stack) -> Result<Self> {
        Ok(Workspace {
            tenant: tenant_from_api(stack)?,
            id: stack.id,
            parent_id: stack.parent_id,
        })
    }
}

/// Per-call settings for [`AdverityClient::create_workspace`](crate::AdverityClient::create_workspace).
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
        assert_eq!(status_from_active(false), UserStatus::Suspended);
    }
}
