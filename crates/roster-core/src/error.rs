//! The one error type every Roster operation returns.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A `Result` whose error is Roster's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, independent of the provider.
///
/// Match on this to decide what to do; read the [`Error`]'s other fields to
/// report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The user, tenant or membership does not exist.
    NotFound,
    /// A create collided with an existing resource (same email, same name).
    AlreadyExists,
    /// The request conflicts with the current state, for example a user who
    /// already belongs to another tenant on a provider that allows only one.
    Conflict,
    /// The input was rejected, by Roster before sending or by the provider.
    InvalidInput,
    /// The credentials are missing, expired or wrong.
    Unauthenticated,
    /// The credentials are valid but not allowed to do this.
    PermissionDenied,
    /// The provider asked us to slow down.
    RateLimited,
    /// The provider cannot do this operation or accept this argument.
    Unsupported,
    /// The request did not complete in time.
    Timeout,
    /// The connection failed or broke.
    Transport,
    /// The provider answered, but the body could not be understood.
    Decode,
    /// Anything else, including server errors.
    Unexpected,
}

impl ErrorKind {
    /// A short, stable, lower-case name, such as `not_found`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::Conflict => "conflict",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Transport => "transport",
            ErrorKind::Decode => "decode",
            ErrorKind::Unexpected => "unexpected",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The operation an error (or a log line, or a retry decision) belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Operation {
    /// Listing users, one page or all of them.
    ListUsers,
    /// Reading one user.
    GetUser,
    /// Creating (or inviting) a user.
    CreateUser,
    /// Changing a user.
    UpdateUser,
    /// Deleting a user.
    DeleteUser,
    /// Reading the identity behind the credentials.
    CurrentUser,
    /// Listing tenants.
    ListTenants,
    /// Reading one tenant.
    GetTenant,
    /// Creating a tenant.
    CreateTenant,
    /// Deleting a tenant.
    DeleteTenant,
    /// Listing the members of a tenant.
    ListMembers,
    /// Listing the tenants a user belongs to.
    ListUserMemberships,
    /// Adding a user to a tenant.
    AddMember,
    /// Removing a user from a tenant.
    RemoveMember,
    /// Moving a user from one tenant to another.
    MoveMember,
    /// Logging in to obtain a session.
    Login,
    /// Creating a user directly inside a tenant, in one request (Medium
    /// One's create-and-link form of `tenant_add_user`).
    CreateUserInTenant,
    /// Approving a user who waits for approval (NetBird).
    ApproveUser,
    /// Rejecting a user who waits for approval, which deletes them (NetBird).
    RejectUser,
    /// Listing the roles users can hold (Astra).
    ListRoles,
    /// Reading one role.
    GetRole,
    /// Creating a custom role.
    CreateRole,
    /// Changing a custom role.
    UpdateRole,
    /// Deleting a custom role.
    DeleteRole,
    /// Listing SSH keys (IaaS).
    ListSshKeys,
    /// Registering an SSH key.
    CreateSshKey,
    /// Deleting an SSH key.
    DeleteSshKey,
    /// Assigning an SSH key to a user, or unassigning it.
    AssignSshKey,
    /// An adapter-specific operation, named by the adapter. Prefer adding a
    /// variant: retry and its lookups decide by operation.
    Other(&'static str),
}

/// Whether an operation only reads, or changes something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// It changes nothing.
    Read,
    /// It changes state on the provider.
    Write,
}

/// How the retry layer finds out whether a create whose answer was lost
/// took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateLookup {
    /// Look the user up by the email the create asked for.
    UserByEmail,
    /// Look the tenant up by the name the create asked for.
    TenantByName,
}

/// What is known about an operation, in one place: the retry layer, the
/// layered forwarding, the fault matrix and the docs all read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct OperationFacts {
    /// Read or write.
    pub access: Access,
    /// Sending it twice has the same effect as sending it once, so an
    /// ambiguous failure (a 500 after the request was sent) may be re-sent.
    pub idempotent: bool,
    /// It removes something, so "already gone" on a retry means done.
    pub removal: bool,
    /// It creates something, so a conflict means it already exists.
    pub creates: bool,
    /// How a create whose answer was lost is looked up before re-sending;
    /// `None` where there is no natural key to look it up by.
    pub lookup: Option<CreateLookup>,
}

impl OperationFacts {
    const fn of_read() -> Self {
        OperationFacts {
            access: Access::Read,
            idempotent: true,
            removal: false,
            creates: false,
            lookup: None,
        }
    }

    const fn of_write(idempotent: bool) -> Self {
        OperationFacts {
            access: Access::Write,
            idempotent,
            removal: false,
            creates: false,
            lookup: None,
        }
    }

    const fn of_removal() -> Self {
        OperationFacts {
            removal: true,
            ..OperationFacts::of_write(true)
        }
    }

    const fn of_create(lookup: Option<CreateLookup>) -> Self {
        OperationFacts {
            creates: true,
            lookup,
            ..OperationFacts::of_write(false)
        }
    }
}

impl Operation {
    /// A short, stable, lower-case name, such as `create_user`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::ListUsers => "list_users",
            Operation::GetUser => "get_user",
            Operation::CreateUser => "create_user",
            Operation::UpdateUser => "update_user",
            Operation::DeleteUser => "delete_user",
            Operation::CurrentUser => "current_user",
            Operation::ListTenants => "list_tenants",
            Operation::GetTenant => "get_tenant",
            Operation::CreateTenant => "create_tenant",
            Operation::DeleteTenant => "delete_tenant",
            Operation::ListMembers => "list_members",
            Operation::ListUserMemberships => "list_user_memberships",
            Operation::AddMember => "add_member",
            Operation::RemoveMember => "remove_member",
            Operation::MoveMember => "move_member",
            Operation::Login => "login",
            Operation::CreateUserInTenant => "create_user_in_tenant",
            Operation::ApproveUser => "approve_user",
            Operation::RejectUser => "reject_user",
            Operation::ListRoles => "list_roles",
            Operation::GetRole => "get_role",
            Operation::CreateRole => "create_role",
            Operation::UpdateRole => "update_role",
            Operation::DeleteRole => "delete_role",
            Operation::ListSshKeys => "list_ssh_keys",
            Operation::CreateSshKey => "create_ssh_key",
            Operation::DeleteSshKey => "delete_ssh_key",
            Operation::AssignSshKey => "assign_ssh_key",
            Operation::Other(name) => name,
        }
    }

    /// The facts of this operation: the one table every per-operation
    /// decision reads.
    ///
    /// | operation | access | idempotent | removal | create lookup |
    /// |---|---|---|---|---|
    /// | list / get / current user, list roles, list SSH keys | read | yes | | |
    /// | `CreateUser`, `CreateUserInTenant` | write | no | | user by email |
    /// | `CreateTenant` | write | no | | tenant by name |
    /// | `CreateRole`, `CreateSshKey` | write | no | | none |
    /// | `UpdateUser`, `AddMember`, `ApproveUser`, `UpdateRole`, `AssignSshKey` | write | yes | | |
    /// | `DeleteUser`, `DeleteTenant`, `RemoveMember`, `RejectUser`, `DeleteRole`, `DeleteSshKey` | write | yes | yes | |
    /// | `MoveMember`, `Login`, `Other` | write | no | | |
    pub const fn facts(self) -> OperationFacts {
        use Operation::*;
        match self {
            ListUsers | GetUser | CurrentUser | ListTenants | GetTenant | ListMembers
            | ListUserMemberships | ListRoles | GetRole | ListSshKeys => OperationFacts::of_read(),
            CreateUser | CreateUserInTenant => {
                OperationFacts::of_create(Some(CreateLookup::UserByEmail))
            }
            CreateTenant => OperationFacts::of_create(Some(CreateLookup::TenantByName)),
            CreateRole | CreateSshKey => OperationFacts::of_create(None),
            UpdateUser | AddMember | ApproveUser | UpdateRole | AssignSshKey => {
                OperationFacts::of_write(true)
            }
            DeleteUser | DeleteTenant | RemoveMember | RejectUser | DeleteRole | DeleteSshKey => {
                OperationFacts::of_removal()
            }
            MoveMember | Login | Other(_) => OperationFacts::of_write(false),
        }
    }

    /// Whether sending this operation twice has the same effect as sending it
    /// once ([`OperationFacts::idempotent`]).
    pub const fn is_idempotent(self) -> bool {
        self.facts().idempotent
    }

    /// Whether this operation creates a resource, so that a conflict means the
    /// resource already exists rather than a clash with other state
    /// ([`OperationFacts::creates`]).
    pub const fn is_create(self) -> bool {
        self.facts().creates
    }

    /// Whether this operation removes something, so that "already gone" on a
    /// retry means done ([`OperationFacts::removal`](OperationFacts#structfield.removal)).
    pub const fn is_removal(self) -> bool {
        self.facts().removal
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tags an error with `provider` and `operation`: for an adapter's own
/// methods, which do not pass the checking step
/// ([`Checked`](crate::Checked) tags the neutral operations' errors).
pub fn in_operation(provider: &'static str, operation: Operation) -> impl Fn(Error) -> Error {
    move |err| err.with_provider(provider).with_operation(operation)
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Roster's error: a [`kind`](Error::kind) to match on, plus what is known
/// about where it happened.
///
/// Nothing in an `Error` carries a secret: messages and body snippets are
/// redacted by the adapter before they get here, and transport errors have
/// their URL (and with it any query token) removed.
///
/// The details are boxed, so a `Result<T, Error>` stays one pointer wide.
#[derive(thiserror::Error)]
#[error(transparent)]
#[non_exhaustive]
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    provider: Option<&'static str>,
    operation: Option<Operation>,
    message: String,
    status: Option<u16>,
    request_id: Option<String>,
    body_snippet: Option<String>,
    retry_after: Option<Duration>,
    partly_done: bool,
    source: Option<BoxError>,
}

impl Error {
    /// Longest body snippet an error keeps, in bytes.
    pub const MAX_SNIPPET_BYTES: usize = 512;

    /// Creates an error of `kind` with a human-readable `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                provider: None,
                operation: None,
                message: message.into(),
                status: None,
                request_id: None,
                body_snippet: None,
                retry_after: None,
                partly_done: false,
                source: None,
            }),
        }
    }

    /// Shorthand for an [`ErrorKind::InvalidInput`] error.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    /// Shorthand for an [`ErrorKind::NotFound`] error.
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::NotFound, message)
    }

    /// An [`ErrorKind::Unsupported`] error for `operation` on `provider`.
    pub fn unsupported(
        provider: &'static str, operation: Operation, what: impl fmt::Display,
    ) -> Self {
        Error::new(
            ErrorKind::Unsupported,
            format!("{provider} does not support {what}"),
        )
        .with_provider(provider)
        .with_operation(operation)
    }

    /// Sets the provider the error came from.
    pub fn with_provider(mut self, provider: &'static str) -> Self {
        self.inner.provider = Some(provider);
        self
    }

    /// Sets the operation, unless one is already set: the innermost operation
    /// is the most precise.
    pub fn with_operation(mut self, operation: Operation) -> Self {
        self.inner.operation.get_or_insert(operation);
        self
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// Sets the provider's request id, for support tickets.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.inner.request_id = Some(request_id.into());
        self
    }

    /// Sets a snippet of the response body. It must already be redacted; it is
    /// cut to [`Error::MAX_SNIPPET_BYTES`] on a character boundary.
    pub fn with_body_snippet(mut self, snippet: impl Into<String>) -> Self {
        let mut snippet: String = snippet.into();
        truncate_at_char_boundary(&mut snippet, Self::MAX_SNIPPET_BYTES);
        self.inner.body_snippet = Some(snippet);
        self
    }

    /// Sets how long the provider asked us to wait before retrying.
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.inner.retry_after = Some(retry_after);
        self
    }

    /// Marks an operation that took effect in part before this failure (a
    /// tenant created, then adding one of its members failed). Retrying it
    /// would repeat what was done, so the retry layer returns it as it is.
    pub fn partly_done(mut self) -> Self {
        self.inner.partly_done = true;
        self
    }

    /// Whether the operation took effect in part ([`Error::partly_done`]).
    pub fn is_partly_done(&self) -> bool {
        self.inner.partly_done
    }

    /// Sets the underlying cause.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// Prefixes the message with more context, keeping everything else.
    pub fn with_context(mut self, context: impl fmt::Display) -> Self {
        self.inner.message = format!("{context}: {}", self.inner.message);
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The provider the error came from, such as `iaas`.
    pub fn provider(&self) -> Option<&'static str> {
        self.inner.provider
    }

    /// The operation that failed.
    pub fn operation(&self) -> Option<Operation> {
        self.inner.operation
    }

    /// The human-readable message, with the provider's own text where it gave one.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP status, when the provider answered.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The provider's request id, when it sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// A redacted snippet of the response body, at most
    /// [`Error::MAX_SNIPPET_BYTES`] long.
    pub fn body_snippet(&self) -> Option<&str> {
        self.inner.body_snippet.as_deref()
    }

    /// How long the provider asked us to wait (from `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Whether trying again later may succeed: rate limits, timeouts,
    /// transport failures, and the statuses 408, 429, 500, 502, 503 and 504.
    ///
    /// A temporary error is not always safe to retry: a create that failed
    /// with a 500 may have taken effect. Retry policies combine this with
    /// [`Operation::is_idempotent`].
    pub fn is_temporary(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::RateLimited | ErrorKind::Timeout | ErrorKind::Transport
        ) || matches!(self.inner.status, Some(408 | 429 | 500 | 502 | 503 | 504))
    }
}

fn truncate_at_char_boundary(text: &mut String, max_bytes: usize) {
    if text.len() > max_bytes {
        let mut cut = max_bytes;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
}

impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.provider, self.operation) {
            (Some(provider), Some(operation)) => write!(f, "{provider} {operation}: ")?,
            (Some(provider), None) => write!(f, "{provider}: ")?,
            (None, Some(operation)) => write!(f, "{operation}: ")?,
            (None, None) => {}
        }
        write!(f, "{}: {}", self.kind, self.message)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status}")?;
            if let Some(id) = &self.request_id {
                write!(f, ", request id {id}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Error");
        debug
            .field("kind", &self.kind)
            .field("provider", &self.provider)
            .field("operation", &self.operation)
            .field("message", &self.message);
        if let Some(status) = self.status {
            debug.field("status", &status);
        }
        if let Some(id) = &self.request_id {
            debug.field("request_id", id);
        }
        if let Some(snippet) = &self.body_snippet {
            debug.field("body_snippet", snippet);
        }
        if let Some(wait) = self.retry_after {
            debug.field("retry_after", &wait);
        }
        if let Some(source) = &self.source {
            debug.field("source", &source.to_string());
        }
        debug.finish()
    }
}

impl std::error::Error for Inner {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_facts_table_is_consistent() {
        use super::Operation::*;
        let all = [
            ListUsers,
            GetUser,
            CreateUser,
            UpdateUser,
            DeleteUser,
            CurrentUser,
            ListTenants,
            GetTenant,
            CreateTenant,
            DeleteTenant,
            ListMembers,
            ListUserMemberships,
            AddMember,
            RemoveMember,
            MoveMember,
            Login,
            CreateUserInTenant,
            ApproveUser,
            RejectUser,
            ListRoles,
            GetRole,
            CreateRole,
            UpdateRole,
            DeleteRole,
            ListSshKeys,
            CreateSshKey,
            DeleteSshKey,
            AssignSshKey,
            Other("x"),
        ];
        for operation in all {
            let facts = operation.facts();
            if facts.access == Access::Read {
                assert!(
                    facts.idempotent && !facts.removal && !facts.creates,
                    "{operation}"
                );
            }
            if facts.removal {
                assert!(
                    facts.idempotent && facts.access == Access::Write,
                    "{operation}"
                );
            }
            if facts.creates {
                assert!(
                    !facts.idempotent,
                    "{operation}: a create is never blindly re-sent"
                );
            } else {
                assert!(facts.lookup.is_none(), "{operation}: only creates look up");
            }
        }
        assert_eq!(CreateUser.facts().lookup, Some(CreateLookup::UserByEmail));
        assert_eq!(
            CreateTenant.facts().lookup,
            Some(CreateLookup::TenantByName)
        );
        // A role create must never be "recovered" by an email lookup.
        assert_eq!(CreateRole.facts().lookup, None);
        assert!(DeleteTenant.is_removal() && RemoveMember.is_removal() && DeleteUser.is_removal());
        assert!(!MoveMember.is_idempotent() && !Login.is_idempotent());
        let names: std::collections::BTreeSet<&str> = all.iter().map(|o| o.as_str()).collect();
        assert_eq!(names.len(), all.len(), "every operation has its own name");
    }

    use super::*;

    #[test]
    fn display_names_provider_operation_kind_and_status() {
        let err = Error::new(ErrorKind::NotFound, "no such user")
            .with_provider("iaas")
            .with_operation(Operation::GetUser)
            .with_status(404)
            .with_request_id("req-1");
        assert_eq!(
            err.to_string(),
            "iaas get_user: not_found: no such user (HTTP 404, request id req-1)"
        );
    }

    #[test]
    fn innermost_operation_wins() {
        let err = Error::not_found("x")
            .with_operation(Operation::GetUser)
            .with_operation(Operation::UpdateUser);
        assert_eq!(err.operation(), Some(Operation::GetUser));
    }

    #[test]
    fn temporary_by_kind_and_status() {
        for kind in [
            ErrorKind::RateLimited,
            ErrorKind::Timeout,
            ErrorKind::Transport,
        ] {
            assert!(Error::new(kind, "").is_temporary(), "{kind}");
        }
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(
                Error::new(ErrorKind::Unexpected, "")
                    .with_status(status)
                    .is_temporary(),
                "{status}"
            );
        }
        for status in [400, 401, 403, 404, 409, 422, 501] {
            assert!(
                !Error::new(ErrorKind::Unexpected, "")
                    .with_status(status)
                    .is_temporary(),
                "{status}"
            );
        }
        assert!(!Error::new(ErrorKind::Decode, "").is_temporary());
    }

    #[test]
    fn snippet_is_cut_on_a_char_boundary() {
        let long = "é".repeat(400); // 800 bytes
        let err = Error::new(ErrorKind::Decode, "bad").with_body_snippet(long);
        let snippet = err.body_snippet().expect("snippet");
        assert!(snippet.len() <= Error::MAX_SNIPPET_BYTES);
        assert_eq!(snippet.len(), 512);
        assert!(snippet.chars().all(|c| c == 'é'));
    }

    #[test]
    fn result_stays_small_and_source_is_kept() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
        let err = Error::new(ErrorKind::Transport, "down")
            .with_source(std::io::Error::other("connection reset"));
        let source = std::error::Error::source(&err).expect("source");
        assert_eq!(source.to_string(), "connection reset");
        assert!(format!("{err:?}").contains("connection reset"));
    }

    #[test]
    fn creates_are_not_idempotent() {
        assert!(!Operation::CreateUser.is_idempotent());
        assert!(!Operation::CreateTenant.is_idempotent());
        assert!(Operation::DeleteUser.is_idempotent());
        assert!(Operation::AddMember.is_idempotent());
        assert!(Operation::CreateUser.is_create());
        assert!(!Operation::AddMember.is_create());
    }
}
