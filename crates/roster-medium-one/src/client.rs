//! The adapter: Roster's traits over the generated Medium One client.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures::lock::Mutex as AsyncMutex;
use progenitor_client::ResponseValue;
use reqwest::header::{HeaderValue, SET_COOKIE};
use roster_core::service::op;
use roster_core::{
    Capabilities, Checked, Connect, Created, Email, Error, ErrorKind, Membership,
    MembershipRequest, MembershipService, NewUser, Operation, Page, Raw, Result, Tenant, TenantId,
    TenantService, User, UserId, UserService, UserStatus, UserUpdate, in_operation, map_items,
};
use roster_http::{ClientContext, SecretString};
use serde_json::Value;
use uuid::Uuid;

use crate::PROVIDER;
use crate::config::{AdminMode, MediumOneConfig, SessionTransport};
use crate::error::is_lockout;
use crate::generated::{self, types};
use crate::mapping::{
    KnownUser, created_id, members_from_api, memberships_from_api, role_to_api, same_uuid,
    tenant_from_api, tenant_uuid, user_from_api, user_uuid,
};
use crate::session::{Credential, LOCKOUT, SessionAuth};
use crate::wire::UpdateParam;

roster_http::impl_client_hooks!(generated::Client);

/// The language sent with `/user_create` when the caller names none (the
/// API's own default).
const LANGUAGE: &str = "en";

/// The `param_list` fields `/user_update` documents besides `full_name`, in
/// the docs' order: the order they are sent in.
const PROFILE_FIELDS: [&str; 7] = [
    "user_phone",
    "street",
    "street2",
    "city",
    "state",
    "zip",
    "country",
];

/// Every provider-specific field: `language` (create only: a
/// `/user_create` parameter) and the [`PROFILE_FIELDS`] (update only:
/// `param_list` entries).
const USER_FIELDS: &[&str] = &[
    "language",
    "user_phone",
    "street",
    "street2",
    "city",
    "state",
    "zip",
    "country",
];

/// A user created directly inside a tenant by
/// [`MediumOneService::create_user_in_tenant`]: the user and their
/// membership, as `/user_list_in_tenant` reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantUser {
    /// The user, with the `/user_list_in_tenant` entry as provider data.
    pub user: User,
    /// Their membership in the tenant, with the role the server reports
    /// and the same entry as provider data.
    pub membership: Membership,
}

/// A Roster adapter for Medium One's Accounts & Users API.
///
/// It implements [`UserDirectory`](roster_core::UserDirectory), [`TenantDirectory`](roster_core::TenantDirectory) and
/// [`MembershipDirectory`](roster_core::MembershipDirectory) and follows the API's rules:
///
/// - **Session.** The first call logs in (`POST /login/`) and keeps the
///   session cookie, or the `token` that `no_cookies` returns (see
///   [`SessionTransport`]). When a call answers 401 or 403, the client logs
///   in again once and repeats the call once. A login the server rejects
///   (wrong password, unknown login) is `Unauthenticated`, and the client
///   makes no further login attempts, since each one counts towards Medium
///   One's lockout; "Exceeded bad login count" is `Unauthenticated`, not
///   temporary, and the client makes no attempt for 5 minutes.
/// - **Identity.** Users carry their UUID as their id, but the API addresses
///   them by `user_name` (their email). Every method taking a [`UserId`]
///   therefore first reads the user list (one request: `/user_list` for a
///   system admin, `/user_list_in_tenant` for a tenant admin) to find the
///   user's name. A tenant admin sees only their tenant's users, plus the
///   users this client created (remembered in memory, so they can be added
///   to the tenant).
/// - **Mode.** [`AdminMode::TenantAdmin`] cannot use the SA-only
///   `/user_list` and `/tenant_create`: listing all users and creating
///   tenants answer `Unsupported`, and [`capabilities`] says so. Membership
///   calls for any tenant but the admin's own are refused before sending.
/// - **Roles.** Users have no account-wide role; memberships carry
///   `tenant-admin` ([`TenantRole::Admin`](roster_core::TenantRole::Admin))
///   or `tenant-user` ([`TenantRole::Member`](roster_core::TenantRole::Member),
///   the default). A role name the server reports and Roster does not know
///   is [`TenantRole::Other`](roster_core::TenantRole::Other), with the name
///   in [`Membership::raw_role`].
/// - **Provider fields.** `create_user` takes `language`; `update_user`
///   takes the `param_list` fields `user_phone`, `street`, `street2`,
///   `city`, `state`, `zip` and `country` (strings; see
///   [`Provider::user_fields`](roster_core::Provider::user_fields)). Any other key, or a value that is not a
///   string, is `InvalidInput`, and nothing is sent.
/// - **Provider data.** Every listed [`User`] and [`Tenant`] carries the
///   object the server sent, byte for byte, in `provider_data`; a
///   membership from `list_members` carries the member's
///   `/user_list_in_tenant` entry, one from `list_user_memberships` its
///   `tenant_roles` entry.
/// - **Not offered by the API:** deleting tenants, reading the current user,
///   changing a user's email, creating a tenant with members.
///
/// Nothing is paginated: the first page of a list holds everything.
///
/// ```no_run
/// # async fn demo() -> roster_core::Result<()> {
/// use roster_core::{Email, NewUser, UserDirectory};
/// use roster_medium_one::{MediumOneClient, MediumOneConfig};
///
/// let client = MediumOneClient::new(MediumOneConfig::require_env()?)?;
/// let alice = client
///     .create_user(&NewUser::new(Email::parse("alice@example.com")?).with_display_name("Alice"))
///     .await?;
/// println!("created {}", alice.id);
/// # Ok(()) }
/// ```
pub type MediumOneClient = Checked<MediumOneService>;

/// The Medium One adapter itself, behind [`MediumOneClient`]'s checks: its
/// rules and costs are described there. Its own methods (creating a user
/// inside a tenant) are called on a `MediumOneClient` directly.
#[derive(Clone)]
pub struct MediumOneService {
    api: Arc<generated::Client>,
    auth: Arc<SessionAuth>,
    /// One login at a time: concurrent first calls share one session.
    login_lock: Arc<AsyncMutex<()>>,
    mode: AdminMode,
    transport: SessionTransport,
    /// Users a tenant admin created through this client. They are in no
    /// tenant yet, so `/user_list_in_tenant` does not show them, and this
    /// is the only way to resolve their id to their name for `add_member`.
    created_by_tenant_admin: Arc<Mutex<HashMap<Uuid, KnownUser>>>,
}

impl Connect for MediumOneService {
    type Config = MediumOneConfig;

    /// Connects with `config`. Fails with `InvalidInput` for a bad base URL
    /// (including plain `http://` to a non-loopback host without the
    /// opt-in), an empty login id, password or API key, or a tenant-admin
    /// mode whose tenant id is not a UUID. Nothing is sent: the login
    /// happens on the first call.
    fn connect(config: MediumOneConfig) -> Result<Self> {
        use roster_http::ExposeSecret;
        let refuse = |message: &str| Err(Error::invalid_input(message).with_provider(PROVIDER));
        let login = config.endpoint.credential();
        if login.login_id.trim().is_empty() {
            return refuse("the Medium One login id is empty");
        }
        if login.password.expose_secret().is_empty() {
            return refuse("the Medium One password is empty");
        }
        if login.api_key.expose_secret().trim().is_empty() {
            return refuse("the Medium One API key is empty");
        }
        if let AdminMode::TenantAdmin(tenant) = &config.mode {
            tenant_uuid(tenant).map_err(|e| e.with_provider(PROVIDER))?;
        }
        let auth = Arc::new(SessionAuth::new(
            login.login_id.clone(),
            login.password.clone(),
            login.api_key.clone(),
        ));
        let api = config
            .endpoint
            .connect(PROVIDER, auth.clone(), crate::error::describe)?
            .into_client(generated::Client::new_with_client);
        Ok(MediumOneService {
            api: Arc::new(api),
            auth,
            login_lock: Arc::new(AsyncMutex::new(())),
            mode: config.mode,
            transport: config.session,
            created_by_tenant_admin: Arc::default(),
        })
    }
}

impl MediumOneService {
    fn context(&self) -> &ClientContext {
        &self.api.inner
    }

    /// The session's generation, logging in first if there is none.
    async fn session(&self) -> Result<u64> {
        if let Some(generation) = self.auth.generation() {
            return Ok(generation);
        }
        let _one_login_at_a_time = self.login_lock.lock().await;
        // Another task may have logged in while this one waited.
        if let Some(generation) = self.auth.generation() {
            return Ok(generation);
        }
        self.login().await
    }

    /// One login attempt; never retried here.
    async fn login(&self) -> Result<u64> {
        if let Some(refused) = self.auth.refusal() {
            return Err(refused);
        }
        let token_mode = self.transport == SessionTransport::QueryToken;
        let body = self.auth.login_request(token_mode);
        let no_cookies = token_mode.then_some("true");
        let answer = self
            .context()
            .call_response(Operation::Login, self.api.login(no_cookies, &body))
            .await;
        let response = match answer {
            Ok(response) => response,
            Err(err) => return Err(self.login_failed(err)),
        };
        let credential = match self.transport {
            SessionTransport::Cookie => self.cookie_from(&response)?,
            SessionTransport::QueryToken => self.token_from(response.into_inner())?,
        };
        Ok(self.auth.install(credential))
    }

    /// Turns a failed login into its error, and stops further attempts when
    /// the server rejected the credentials or locked the account.
    fn login_failed(&self, err: Error) -> Error {
        let lockout = is_lockout(err.message().as_bytes())
            || err.body_snippet().is_some_and(|s| is_lockout(s.as_bytes()));
        if lockout {
            let message = "Medium One answered \"Exceeded bad login count\": too many failed \
                           logins. Wait 5 minutes without any login attempt (or log in from \
                           another IP address); this client makes no login attempt until then";
            self.auth.refuse(message.to_owned(), Some(LOCKOUT));
            let mut locked =
                self.context()
                    .error(ErrorKind::Unauthenticated, Operation::Login, message);
            // Keep the status unless it would make the error look temporary:
            // retrying a lockout only extends it.
            if let Some(status) = err.status().filter(|s| !matches!(s, 408 | 429 | 500..=504)) {
                locked = locked.with_status(status);
            }
            if let Some(snippet) = err.body_snippet() {
                locked = locked.with_body_snippet(snippet);
            }
            return locked;
        }
        if err.kind() == ErrorKind::Unauthenticated && err.status().is_some() {
            self.auth.refuse(
                format!(
                    "an earlier login was rejected ({}); this client makes no further login \
                     attempt, since each failure counts towards Medium One's lockout. Fix the \
                     credentials and create a new client",
                    err.message()
                ),
                None,
            );
        }
        err
    }

    /// The session cookies a successful login set, as one `Cookie` header.
    fn cookie_from(&self, response: &ResponseValue<Value>) -> Result<Credential> {
        if response.as_ref() == &Value::Bool(false) {
            return Err(self.context().error(
                ErrorKind::Unauthenticated,
                Operation::Login,
                "the login answered false",
            ));
        }
        let redactor = self.context().redactor();
        let mut pairs = Vec::new();
        for header in response.headers().get_all(SET_COOKIE) {
            let Ok(text) = header.to_str() else { continue };
            let pair = text.split(';').next().unwrap_or_default().trim();
            if let Some((name, value)) = pair.split_once('=')
                && !name.trim().is_empty()
                && !value.is_empty()
            {
                // Teach the redactor before the value can reach any message.
                redactor.add(SecretString::from(value.to_owned()));
                pairs.push(pair.to_owned());
            }
        }
        if pairs.is_empty() {
            return Err(self.context().error(
                ErrorKind::Unexpected,
                Operation::Login,
                "the login succeeded but set no session cookie",
            ));
        }
        let joined = pairs.join("; ");
        redactor.add(SecretString::from(joined.clone()));
        let mut header = HeaderValue::from_str(&joined).map_err(|_| {
            self.context().error(
                ErrorKind::Decode,
                Operation::Login,
                "the session cookie cannot be sent back in a header",
            )
        })?;
        header.set_sensitive(true);
        Ok(Credential::Cookie(header))
    }

    /// The token a `no_cookies` login answered with.
    fn token_from(&self, body: Value) -> Result<Credential> {
        match body {
            Value::String(token) if !token.trim().is_empty() && token.trim() == token => {
                let token = SecretString::from(token);
                self.context().redactor().add(token.clone());
                Ok(Credential::QueryToken(token))
            }
            Value::Bool(true) => Err(self.context().error(
                ErrorKind::Unexpected,
                Operation::Login,
                "the login answered true instead of a token: the server ignored no_cookies",
            )),
            Value::Bool(false) => Err(self.context().error(
                ErrorKind::Unauthenticated,
                Operation::Login,
                "the login answered false",
            )),
            _ => Err(self.context().error(
                ErrorKind::Decode,
                Operation::Login,
                "the login answered something other than a session token",
            )),
        }
    }

    /// Sends one call with the session, logging in first if needed. On 401
    /// or 403 (an expired session) it logs in again once and repeats the
    /// call once; a second failure is returned as it is.
    async fn send<T, E, F, Fut>(&self, operation: Operation, request: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = std::result::Result<ResponseValue<T>, progenitor_client::Error<E>>>,
    {
        let generation = self.session().await?;
        match self.context().call(operation, request()).await {
            Err(err) if matches!(err.status(), Some(401 | 403)) => {
                self.auth.invalidate(generation);
                self.session().await?;
                self.context().call(operation, request()).await
            }
            other => other,
        }
    }

    /// The tenant admin's own tenant, if this is a tenant-admin client.
    fn own_tenant(&self) -> Option<&TenantId> {
        match &self.mode {
            AdminMode::SystemAdmin => None,
            AdminMode::TenantAdmin(tenant) => Some(tenant),
        }
    }

    /// The `tenant_id` query value: the tenant for a system admin; none for
    /// a tenant admin, whose tenant the server implies, and who may only
    /// name their own.
    fn tenant_param(&self, tenant: Uuid, operation: Operation) -> Result<Option<String>> {
        match self.own_tenant() {
            None => Ok(Some(tenant.to_string())),
            Some(own) if same_uuid(own.as_str(), tenant) => Ok(None),
            Some(own) => Err(self.context().error(
                ErrorKind::PermissionDenied,
                operation,
                format!("a tenant admin of {own} cannot manage tenant {tenant}"),
            )),
        }
    }

    /// Every user this client can see: all users for a system admin, the
    /// tenant's users for a tenant admin. One request.
    async fn visible_users(
        &self, operation: Operation,
    ) -> Result<Vec<Raw<types::UserEntryFields>>> {
        let list = match self.own_tenant() {
            None => self.send(operation, || self.api.user_list()).await?,
            Some(_) => {
                self.send(operation, || self.api.user_list_in_tenant(None))
                    .await?
            }
        };
        Ok(list.0)
    }

    /// Resolves a user id to the user (and so their `user_name`): one list
    /// request.
    async fn find_user(&self, id: Uuid, operation: Operation) -> Result<KnownUser> {
        let listed = self
            .visible_users(operation)
            .await?
            .into_iter()
            .find(|user| same_uuid(&user.user_id, id));
        listed
            .map(KnownUser::listed)
            .or_else(|| self.created_here(id))
            .ok_or_else(|| {
                self.context()
                    .error(ErrorKind::NotFound, operation, format!("no user {id}"))
            })
    }

    fn created_here(&self, id: Uuid) -> Option<KnownUser> {
        let created = self
            .created_by_tenant_admin
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        created.get(&id).cloned()
    }

    /// After a 400 from `/user_create`: `AlreadyExists` when a lookup (one
    /// list request) finds a user with this login, else the 400 as it was
    /// (`InvalidInput` with the server's text). A lookup that fails also
    /// leaves the 400 as it was.
    async fn confirm_exists(&self, refused: Error, email: &Email) -> Error {
        let users = match self.visible_users(Operation::CreateUser).await {
            Ok(users) => users,
            // Say so: the refusal may be a duplicate the lookup could not see.
            Err(lookup) => {
                return refused.with_context(format!(
                    "refused; whether {email} already exists could not be checked ({})",
                    lookup.message()
                ));
            }
        };
        let exists = users
            .iter()
            .any(|user| user.user_name.as_deref().is_some_and(|n| email.matches(n)));
        if !exists {
            return refused;
        }
        let mut err = self.context().error(
            ErrorKind::AlreadyExists,
            Operation::CreateUser,
            refused.message(),
        );
        if let Some(status) = refused.status() {
            err = err.with_status(status);
        }
        if let Some(id) = refused.request_id() {
            err = err.with_request_id(id);
        }
        if let Some(snippet) = refused.body_snippet() {
            err = err.with_body_snippet(snippet);
        }
        err
    }

    /// Reads `/user_list_in_tenant` (one request) and returns the entry of
    /// the user with this login: how the server reports them after a
    /// `/tenant_add_user`, which answers only `null`.
    async fn read_back_member(
        &self, tenant_id: Option<&str>, user_name: &str, operation: Operation,
    ) -> Result<Raw<types::UserEntryFields>> {
        let list = self
            .send(operation, || self.api.user_list_in_tenant(tenant_id))
            .await?;
        let wanted = user_name.to_lowercase();
        list.0
            .into_iter()
            .find(|user| {
                user.user_name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase() == wanted)
            })
            .ok_or_else(|| {
                self.context().error(
                    ErrorKind::Unexpected,
                    operation,
                    format!(
                        "/tenant_add_user succeeded, but /user_list_in_tenant does not list {user_name}"
                    ),
                )
            })
    }

    async fn all_tenants(
        &self, operation: Operation,
    ) -> Result<Vec<Raw<types::TenantEntryFields>>> {
        Ok(self.send(operation, || self.api.tenant_list()).await?.0)
    }

    /// Checks a membership request: tenant roles are fine, WireGuard keys
    /// are not something Medium One stores.
    fn check_membership(&self, request: &MembershipRequest, operation: Operation) -> Result<()> {
        if request.wireguard_key.is_some() {
            return Err(self
                .context()
                .unsupported(operation, "WireGuard keys on memberships"));
        }
        capabilities(&self.mode)
            .check_membership_request(request)
            .map_err(in_operation(PROVIDER, operation))?;
        role_to_api(request.role)
            .map(|_| ())
            .map_err(in_operation(PROVIDER, operation))
    }
}

impl fmt::Debug for MediumOneService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediumOneClient")
            .field("base_url", &self.api.baseurl)
            .field("auth", &self.auth)
            .field("mode", &self.mode)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

// `language` (on create) and `user_phone`, `street`, `street2`,
// `city`, `state`, `zip`, `country` (on update), all strings.
roster_core::impl_provider! {
    MediumOneService, id: PROVIDER, capabilities: |service| capabilities(&service.mode),
    user_fields: USER_FIELDS,
    request_timeout: |service| service.context().request_timeout()
}

/// What Medium One supports in `mode`: a tenant admin cannot list all users
/// or create tenants (`/user_list` and `/tenant_create` are SA-only).
pub fn capabilities(mode: &AdminMode) -> Capabilities {
    let system_admin = *mode == AdminMode::SystemAdmin;
    roster_core::capabilities! {
        supported: [get_user, create_user, update_user, user_display_name, update_display_name,
            delete_user, delete_user_cascades_memberships, list_tenants, get_tenant, list_members,
            list_user_memberships, add_member, remove_member, membership_roles],
        unsupported: [server_side_pagination, create_is_invitation, update_email, update_role,
            update_status, user_roles, multiple_roles_per_user, current_user,
            create_tenant_with_members, delete_tenant, membership_requires_wireguard_key],
        list_users: system_admin,
        create_tenant: system_admin,
        max_tenants_per_user: None,
    }
}

impl MediumOneService {
    /// Creates a user directly inside `tenant` with the create-and-link form
    /// of `/tenant_add_user` (`user_name`, `full_name` and the role), then
    /// reads `/user_list_in_tenant` once to learn the new user's id and the
    /// role the server reports, since the call answers only `null`. Two
    /// requests, where [`create_user`](roster_core::UserDirectory::create_user) and then
    /// [`add_member`](roster_core::MembershipDirectory::add_member) cost four (a system
    /// admin) or three (a tenant admin).
    ///
    /// - `full_name` is the display name, or the default
    ///   [`create_user`](roster_core::UserDirectory::create_user) documents (the part of
    ///   the email before `@`); it is never sent blank.
    /// - The role is `tenant-user` unless the request asks for admin; a
    ///   WireGuard key is `Unsupported`.
    /// - `/tenant_add_user` takes no other user field: an account-wide role,
    ///   additional roles or any provider-specific field are refused
    ///   (`Unsupported` or `InvalidInput`) before anything is sent.
    /// - Per the docs, a user with this login who exists already is linked
    ///   instead, keeping their name; the answer is then that user.
    /// - A tenant admin may only name their own tenant (`PermissionDenied`
    ///   otherwise, nothing sent), and sends no `tenant_id`.
    ///
    /// Tagged [`Operation::CreateUserInTenant`]. It is not retried here; a
    /// lost answer is found again by the user's email.
    pub async fn create_user_in_tenant(
        &self, tenant: &TenantId, user: &NewUser, request: &MembershipRequest,
    ) -> Result<TenantUser> {
        let operation = Operation::CreateUserInTenant;
        let uuid = tenant_uuid(tenant).map_err(in_operation(PROVIDER, operation))?;
        self.refuse_roles(user, operation)?;
        if let Some((key, _)) = user.fields.iter().next() {
            return Err(self.context().error(
                ErrorKind::InvalidInput,
                operation,
                format!(
                    "/tenant_add_user takes no {key:?}; create the user with create_user, or \
                     set it afterwards with update_user"
                ),
            ));
        }
        self.check_membership(request, operation)?;
        let role = role_to_api(request.role).map_err(in_operation(PROVIDER, operation))?;
        let tenant_id = self.tenant_param(uuid, operation)?;
        let full_name = full_name_for(user);
        let email = user.email.as_str();
        self.send(operation, || {
            self.api
                .tenant_add_user(Some(&full_name), role, tenant_id.as_deref(), email)
        })
        .await?;
        let entry = self
            .read_back_member(tenant_id.as_deref(), email, operation)
            .await?;
        let user = user_from_api(&entry).map_err(in_operation(PROVIDER, operation))?;
        let membership = members_from_api(&entry, tenant, uuid)
            .map_err(in_operation(PROVIDER, operation))?
            .swap_remove(0);
        Ok(TenantUser { user, membership })
    }

    /// Account-wide roles do not exist here: a role is `Unsupported`, as are
    /// additional roles (`multiple_roles_per_user` is false).
    fn refuse_roles(&self, user: &NewUser, operation: Operation) -> Result<()> {
        if user.role.is_some() || !user.additional_roles.is_empty() {
            return Err(self
                .context()
                .unsupported(operation, "account-wide user roles (roles are per tenant)"));
        }
        Ok(())
    }

    /// The `language` of a create: the caller's (a non-blank string), or
    /// the API's default. Any other field is refused: `/user_create` takes
    /// no profile fields.
    fn create_language<'a>(&self, user: &'a NewUser, operation: Operation) -> Result<&'a str> {
        let refuse = |message: String| {
            self.context()
                .error(ErrorKind::InvalidInput, operation, message)
        };
        user.fields
            .check(USER_FIELDS)
            .map_err(in_operation(PROVIDER, operation))?;
        if let Some((key, _)) = user.fields.iter().find(|(key, _)| *key != "language") {
            return Err(refuse(format!(
                "{key:?} is not a /user_create parameter; set it with update_user once the \
                 user exists"
            )));
        }
        match user
            .fields
            .string("language")
            .map_err(in_operation(PROVIDER, operation))?
        {
            None => Ok(LANGUAGE),
            Some(language) if language.trim().is_empty() => {
                Err(refuse("the language must not be blank".to_owned()))
            }
            Some(language) => Ok(language),
        }
    }

    /// The `param_list` of an update, in the order sent: `full_name` first,
    /// then the named profile fields in the docs' order. Only what the
    /// caller named is in it.
    fn update_params(&self, update: &UserUpdate, operation: Operation) -> Result<Vec<String>> {
        let refuse = |message: String| {
            self.context()
                .error(ErrorKind::InvalidInput, operation, message)
        };
        if update.fields.get("language").is_some() {
            return Err(refuse(
                "\"language\" can only be set on create: /user_update's param_list does not \
                 document it"
                    .to_owned(),
            ));
        }
        let mut params = Vec::new();
        if let Some(name) = update.display_name.as_deref() {
            if name.trim().is_empty() {
                return Err(refuse(
                    "the display name (full_name) must not be blank".to_owned(),
                ));
            }
            params.push(
                UpdateParam {
                    field: "full_name",
                    value: name,
                }
                .to_json(),
            );
        }
        for field in PROFILE_FIELDS {
            if let Some(value) = update
                .fields
                .string(field)
                .map_err(in_operation(PROVIDER, operation))?
            {
                params.push(UpdateParam { field, value }.to_json());
            }
        }
        Ok(params)
    }
}

/// The `full_name` a create sends: the display name, or, when there is none
/// (or it is blank), the part of the email before `@`. The API requires a
/// full name; it is never sent blank.
fn full_name_for(user: &NewUser) -> String {
    match user.display_name.as_deref() {
        Some(name) if !name.trim().is_empty() => name.to_owned(),
        _ => {
            let email = user.email.as_str();
            email
                .split_once('@')
                .map_or(email, |(local, _)| local)
                .to_owned()
        }
    }
}

impl UserService for MediumOneService {
    /// `/user_list` (SA only; `Unsupported` for a tenant admin). Not
    /// paginated: the first page holds every user. Both answer shapes are
    /// read: `{"user_list": [...]}` and a bare array. Each user carries
    /// their object as provider data; only an item without a `user_id`
    /// fails the list (`Decode`, naming its position).
    async fn list_users_page(&self, args: op::ListUsers) -> Result<Page<User>> {
        let users = self.visible_users(args.operation()).await?;
        map_items(&users, user_from_api).map(Page::complete)
    }

    /// There is no "get one user" endpoint: this reads the user list (one
    /// request) and picks the user.
    async fn get_user(&self, args: op::GetUser<'_>) -> Result<User> {
        let uuid = user_uuid(args.id())?;
        self.find_user(uuid, args.operation()).await?.user()
    }

    /// `/user_create` with the email as `user_name`, a `full_name` and a
    /// `language`. Medium One mails the new user a generated password.
    ///
    /// - `full_name` is the display name. The API requires one, so a user
    ///   without a display name (or with a blank one) gets **the part of
    ///   the email before `@`** (`ann` for `ann@example.com`); the answer's
    ///   `display_name` is what was sent.
    /// - `language` is the `language` field when given (a non-blank
    ///   string), else `en`, the API's default. No other provider field is
    ///   a `/user_create` parameter: they are `InvalidInput` (set them with
    ///   `update_user`), and nothing is sent.
    /// - Users have no account-wide role: a role or additional roles are
    ///   `Unsupported`, nothing sent.
    /// - The API answers 400 both for a user who exists and for input it
    ///   refuses. On a 400 the client looks the login up (one more list
    ///   request): `AlreadyExists` when the user is there, otherwise the
    ///   400 as `InvalidInput` with the server's text. A tenant admin sees
    ///   only their tenant's users (and those this client created), so an
    ///   existing user elsewhere stays `InvalidInput` for them.
    ///
    /// The answer is only the new id, so the user has no provider data; a
    /// tenant admin's client remembers the user (in memory) so that
    /// `add_member` can find them.
    async fn create_user(&self, args: op::CreateUser<'_>) -> Result<Created<User>> {
        let language = self.create_language(args.user(), args.operation())?;
        let full_name = full_name_for(args.user());
        let email = args.user().email.as_str();
        let answer: Result<String> = self
            .send(args.operation(), || {
                self.api.user_create(&full_name, Some(language), email)
            })
            .await;
        let id = match answer {
            Ok(id) => id,
            Err(err) if err.status() == Some(400) => {
                return Err(self.confirm_exists(err, &args.user().email).await);
            }
            Err(err) => return Err(err),
        };
        let id = created_id(&id, "user")?;
        if self.own_tenant().is_some() {
            let entry = types::UserEntryFields {
                api_basic_user: None,
                full_name: Some(full_name.clone()),
                tenant_roles: Vec::new(),
                user_id: id.to_string(),
                user_name: Some(email.to_owned()),
            };
            self.created_by_tenant_admin
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id, KnownUser { entry, data: None });
        }
        let created = User::new(UserId::new(id.to_string())?, UserStatus::Active)
            .with_email(args.user().email.clone())
            .with_display_name(full_name);
        Ok(Created::new(created))
    }

    /// One `/user_update` whose `param_list` holds exactly what the update
    /// names: `full_name` for the display name, then any of `user_phone`,
    /// `street`, `street2`, `city`, `state`, `zip`, `country` given as
    /// provider fields (strings). Reads the user list first (one request)
    /// to find the user's name; an update that names nothing sends nothing
    /// more.
    ///
    /// Returns the user as read, with the new display name; the API answers
    /// `null`, so `provider_data` is the entry as read before the change.
    /// Email, role and status changes are `Unsupported`; a blank display
    /// name, `language`, an unknown field or a non-string value is
    /// `InvalidInput`. Nothing is sent for any of them.
    async fn update_user(&self, args: op::UpdateUser<'_>) -> Result<User> {
        let uuid = user_uuid(args.id())?;
        let params = self.update_params(args.update(), args.operation())?;
        let current = self.find_user(uuid, args.operation()).await?;
        let mut user = current.user()?;
        if params.is_empty() {
            return Ok(user);
        }
        let user_name = current.user_name()?;
        self.send(args.operation(), || {
            self.api.user_update(Some(&params), user_name)
        })
        .await?;
        if let Some(name) = args.update().display_name.as_deref() {
            user.display_name = Some(name.to_owned());
        }
        Ok(user)
    }

    /// Reads the user list (one request) to find the user's name, then
    /// `/user_remove`. Their tenant roles go with them.
    async fn delete_user(&self, args: op::DeleteUser<'_>) -> Result<()> {
        let uuid = user_uuid(args.id())?;
        let user = self.find_user(uuid, args.operation()).await?;
        let user_name = user.user_name()?;
        self.send(args.operation(), || self.api.user_remove(user_name))
            .await?;
        self.created_by_tenant_admin
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&uuid);
        Ok(())
    }
}

impl TenantService for MediumOneService {
    /// `/tenant_list`; the first page holds every tenant, each with its
    /// object as provider data.
    async fn list_tenants_page(&self, args: op::ListTenants) -> Result<Page<Tenant>> {
        let tenants = self.all_tenants(args.operation()).await?;
        let tenants = map_items(&tenants, tenant_from_api)?;
        Ok(Page::complete(tenants))
    }

    /// Reads the tenant list (one request) and picks the tenant.
    async fn get_tenant(&self, args: op::GetTenant<'_>) -> Result<Tenant> {
        let uuid = tenant_uuid(args.id())?;
        let tenants = self.all_tenants(args.operation()).await?;
        let tenant =
            self.context()
                .pick(args.operation(), tenants, "tenant", args.id(), |tenant| {
                    same_uuid(&tenant.tenant_id, uuid)
                })?;
        tenant_from_api(&tenant)
    }

    /// `/tenant_create` (SA only), then `/tenant_list` once (a second
    /// request) so that the tenant comes back as the server lists it, with
    /// its object as provider data: the create answers only the id. When
    /// that read fails or does not show the tenant yet, the tenant is
    /// returned as created, without provider data (the create succeeded).
    /// Members are `Unsupported`: add them with `add_member` afterwards.
    async fn create_tenant(&self, args: op::CreateTenant<'_>) -> Result<Created<Tenant>> {
        let name = args.tenant().name();
        let id: String = self
            .send(args.operation(), || self.api.tenant_create(name))
            .await?;
        let id = created_id(&id, "tenant")?;
        let listed = self
            .all_tenants(args.operation())
            .await
            .ok()
            .and_then(|tenants| tenants.into_iter().find(|t| same_uuid(&t.tenant_id, id)))
            .and_then(|t| tenant_from_api(&t).ok());
        let created = match listed {
            Some(tenant) => tenant,
            None => Tenant::new(TenantId::new(id.to_string())?, name),
        };
        Ok(Created::new(created))
    }

    /// Medium One has no endpoint to delete a tenant.
    async fn delete_tenant(&self, args: op::DeleteTenant<'_>) -> Result<()> {
        Err(self
            .context()
            .unsupported(args.operation(), "deleting tenants"))
    }
}

impl MembershipService for MediumOneService {
    /// `/user_list_in_tenant` (one request), in one page (the API does not
    /// paginate; a cursor is refused), with each member's role in this
    /// tenant (an unknown role name is `TenantRole::Other`, the name in
    /// `raw_role`) and their entry as provider data. Only an entry without
    /// a `user_id` fails the list (`Decode`, naming its position).
    async fn list_members_page(&self, args: op::ListMembers<'_>) -> Result<Page<Membership>> {
        let uuid = tenant_uuid(args.tenant())?;
        let tenant_id = self.tenant_param(uuid, args.operation())?;
        let list = self
            .send(args.operation(), || {
                self.api.user_list_in_tenant(tenant_id.as_deref())
            })
            .await?;
        let members = map_items(&list.0, |user| members_from_api(user, args.tenant(), uuid))?;
        Ok(Page::complete(members.into_iter().flatten().collect()))
    }

    /// Reads the user list (one request) and returns the user's
    /// `tenant_roles`, each with its entry as provider data.
    async fn list_user_memberships(
        &self, args: op::ListUserMemberships<'_>,
    ) -> Result<Vec<Membership>> {
        let uuid = user_uuid(args.user())?;
        let entry = self.find_user(uuid, args.operation()).await?;
        memberships_from_api(&entry, None)
    }

    /// `/tenant_add_user` with the role (`tenant-user` unless the request
    /// asks for admin), then `/user_list_in_tenant` (one request) to return
    /// the membership as the server reports it: the role it stored (an
    /// unknown name is `TenantRole::Other`, kept in `raw_role`) and the
    /// member's entry as provider data. Adding a member again sets their
    /// role.
    ///
    /// Finding the user's name costs one more list request first, so three
    /// in all. A tenant admin also sends the user's `full_name`, which the
    /// API requires of them; for a user this client created (which no list
    /// shows yet) it skips that read and sends the create-and-link form
    /// directly, so two. Should that user have been deleted meanwhile, the
    /// API creates a new one under the login, and the call answers
    /// `NotFound` naming it.
    async fn add_member(&self, args: op::AddMember<'_>) -> Result<Membership> {
        let tenant_uuid = tenant_uuid(args.tenant())?;
        let user_uuid = user_uuid(args.user())?;
        self.check_membership(args.request(), args.operation())?;
        let role = role_to_api(args.request().role)?;
        let tenant_id = self.tenant_param(tenant_uuid, args.operation())?;
        let known = match self.own_tenant().and_then(|_| self.created_here(user_uuid)) {
            Some(known) => known,
            None => self.find_user(user_uuid, args.operation()).await?,
        };
        let user_name = known.user_name()?;
        let full_name = match self.own_tenant() {
            Some(_) => Some(
                known
                    .entry
                    .full_name
                    .clone()
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| {
                        user_name
                            .split_once('@')
                            .map_or(user_name, |(local, _)| local)
                            .to_owned()
                    }),
            ),
            None => None,
        };
        self.send(args.operation(), || {
            self.api
                .tenant_add_user(full_name.as_deref(), role, tenant_id.as_deref(), user_name)
        })
        .await?;
        let entry = self
            .read_back_member(tenant_id.as_deref(), user_name, args.operation())
            .await?;
        if !same_uuid(&entry.user_id, user_uuid) {
            return Err(self.context().error(
                ErrorKind::NotFound,
                args.operation(),
                format!(
                    "no user {user_uuid}: {user_name} is now user {} in the tenant",
                    entry.user_id
                ),
            ));
        }
        members_from_api(&entry, args.tenant(), tenant_uuid).map(|mut found| found.swap_remove(0))
    }

    /// Reads the user list (one request) to find the user's name, then
    /// `/tenant_remove_user`. The user stays in the portal.
    async fn remove_member(&self, args: op::RemoveMember<'_>) -> Result<()> {
        let tenant_uuid = tenant_uuid(args.tenant())?;
        let user_uuid = user_uuid(args.user())?;
        let tenant_id = self.tenant_param(tenant_uuid, args.operation())?;
        let entry = self.find_user(user_uuid, args.operation()).await?;
        let user_name = entry.user_name()?;
        self.send(args.operation(), || {
            self.api.tenant_remove_user(tenant_id.as_deref(), user_name)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    /// Drives the generated client directly to pin what progenitor does
    /// with an array query parameter, whatever the adapter builds: one
    /// `param_list=` per element, in order, each percent-encoded on its
    /// own.
    #[tokio::test]
    async fn the_generated_client_repeats_param_list_keys() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v2/login/"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(true)
                    .insert_header("set-cookie", "sessionid=abcdef123456; Path=/"),
            )
            .expect(1)
            .mount(&server)
            .await;
        let expected = "param_list=%7B%22field%22%3A%22full_name%22%2C%22value%22%3A%22Mr+Smith%22%7D\
                        &param_list=%7B%22field%22%3A%22user_phone%22%2C%22value%22%3A%228888888888%22%7D\
                        &user_name=testuser%2B8%40medium.one";
        Mock::given(method("GET"))
            .and(path("/v2/user_update"))
            .and(move |req: &Request| req.url.query() == Some(expected))
            .respond_with(ResponseTemplate::new(200).set_body_json(Value::Null))
            .expect(1)
            .mount(&server)
            .await;
        let config = MediumOneConfig::new(
            "sa@example.com",
            SecretString::from("password".to_owned()),
            SecretString::from("api-key".to_owned()),
        )
        .with_base_url(format!("{}/v2", server.uri()));
        let client = MediumOneClient::new(config).expect("client");
        let params = vec![
            UpdateParam {
                field: "full_name",
                value: "Mr Smith",
            }
            .to_json(),
            UpdateParam {
                field: "user_phone",
                value: "8888888888",
            }
            .to_json(),
        ];
        assert_eq!(params[0], r#"{"field":"full_name","value":"Mr Smith"}"#);
        client
            .send(Operation::UpdateUser, || {
                client
                    .api
                    .user_update(Some(&params), "testuser+8@medium.one")
            })
            .await
            .expect("update");
        let sent = server.received_requests().await.expect("recorded");
        let decoded: Vec<String> = sent[1]
            .url
            .query_pairs()
            .filter(|(k, _)| k == "param_list")
            .map(|(_, v)| v.into_owned())
            .collect();
        assert_eq!(decoded, params, "each value decodes to the exact JSON text");
    }
}
