//! The adapter: Roster's traits over the generated Medium One client.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::lock::Mutex as AsyncMutex;
use progenitor_client::ResponseValue;
use reqwest::header::{HeaderValue, SET_COOKIE};
use roster_core::{
    Capabilities, Created, Error, ErrorKind, Membership, MembershipDirectory, MembershipRequest,
    NewTenant, NewUser, Operation, Page, PageRequest, Provider, Result, Tenant, TenantDirectory,
    TenantId, User, UserDirectory, UserId, UserUpdate,
};
use roster_http::{ClientContext, SecretString};
use serde_json::Value;
use uuid::Uuid;

use crate::PROVIDER;
use crate::config::{AdminMode, MediumOneConfig, SessionTransport};
use crate::error::is_lockout;
use crate::generated::{self, types};
use crate::mapping::{
    created_id, memberships_from_api, role_to_api, same_uuid, tenant_from_api, tenant_uuid,
    user_entries, user_from_api, user_uuid,
};
use crate::session::{Credential, LOCKOUT, SessionAuth};
use crate::wire::UpdateParam;

roster_http::impl_client_hooks!(generated::Client);

/// The language sent with `/user_create` (the API's own default).
const LANGUAGE: &str = "en";

/// A Roster adapter for Medium One's Accounts & Users API.
///
/// It implements [`UserDirectory`], [`TenantDirectory`] and
/// [`MembershipDirectory`] and follows the API's rules:
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
///   the default).
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
#[derive(Clone)]
pub struct MediumOneClient {
    api: Arc<generated::Client>,
    auth: Arc<SessionAuth>,
    /// One login at a time: concurrent first calls share one session.
    login_lock: Arc<AsyncMutex<()>>,
    mode: AdminMode,
    transport: SessionTransport,
    /// Users a tenant admin created through this client. They are in no
    /// tenant yet, so `/user_list_in_tenant` does not show them, and this
    /// is the only way to resolve their id to their name for `add_member`.
    created_by_tenant_admin: Arc<Mutex<HashMap<Uuid, types::UserEntry>>>,
}

impl MediumOneClient {
    /// Connects with `config`. Fails with `InvalidInput` for a bad base URL
    /// (including plain `http://` to a non-loopback host without the
    /// opt-in), an empty login id, password or API key, or a tenant-admin
    /// mode whose tenant id is not a UUID. Nothing is sent: the login
    /// happens on the first call.
    pub fn new(config: MediumOneConfig) -> Result<Self> {
        use roster_http::ExposeSecret;
        let refuse = |message: &str| Err(Error::invalid_input(message).with_provider(PROVIDER));
        if config.login_id.trim().is_empty() {
            return refuse("the Medium One login id is empty");
        }
        if config.password.expose_secret().is_empty() {
            return refuse("the Medium One password is empty");
        }
        if config.api_key.expose_secret().trim().is_empty() {
            return refuse("the Medium One API key is empty");
        }
        if let AdminMode::TenantAdmin(tenant) = &config.mode {
            tenant_uuid(tenant).map_err(|e| e.with_provider(PROVIDER))?;
        }
        let auth = Arc::new(SessionAuth::new(
            config.login_id.clone(),
            config.password.clone(),
            config.api_key.clone(),
        ));
        let api = ClientContext::connect(
            PROVIDER,
            &config.base_url,
            &config.http,
            auth.clone(),
            crate::error::describe,
        )?
        .into_client(generated::Client::new_with_client);
        Ok(MediumOneClient {
            api: Arc::new(api),
            auth,
            login_lock: Arc::new(AsyncMutex::new(())),
            mode: config.mode,
            transport: config.session,
            created_by_tenant_admin: Arc::default(),
        })
    }

    fn context(&self) -> &ClientContext {
        &self.api.inner
    }

    fn error(&self, kind: ErrorKind, operation: Operation, message: impl Into<String>) -> Error {
        Error::new(kind, message)
            .with_provider(PROVIDER)
            .with_operation(operation)
    }

    fn unsupported(&self, operation: Operation, what: &str) -> Error {
        Error::unsupported(PROVIDER, operation, what)
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
            let mut locked = self.error(ErrorKind::Unauthenticated, Operation::Login, message);
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
            return Err(self.error(
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
            return Err(self.error(
                ErrorKind::Unexpected,
                Operation::Login,
                "the login succeeded but set no session cookie",
            ));
        }
        let joined = pairs.join("; ");
        redactor.add(SecretString::from(joined.clone()));
        let mut header = HeaderValue::from_str(&joined).map_err(|_| {
            self.error(
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
            Value::Bool(true) => Err(self.error(
                ErrorKind::Unexpected,
                Operation::Login,
                "the login answered true instead of a token: the server ignored no_cookies",
            )),
            Value::Bool(false) => Err(self.error(
                ErrorKind::Unauthenticated,
                Operation::Login,
                "the login answered false",
            )),
            _ => Err(self.error(
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
            Some(own) => Err(self.error(
                ErrorKind::PermissionDenied,
                operation,
                format!("a tenant admin of {own} cannot manage tenant {tenant}"),
            )),
        }
    }

    /// Every user this client can see: all users for a system admin, the
    /// tenant's users for a tenant admin. One request.
    async fn visible_users(&self, operation: Operation) -> Result<Vec<types::UserEntry>> {
        let list = match self.own_tenant() {
            None => self.send(operation, || self.api.user_list()).await?,
            Some(_) => {
                self.send(operation, || self.api.user_list_in_tenant(None))
                    .await?
            }
        };
        Ok(user_entries(list))
    }

    /// Resolves a user id to the user (and so their `user_name`): one list
    /// request.
    async fn find_user(&self, id: Uuid, operation: Operation) -> Result<types::UserEntry> {
        let listed = self
            .visible_users(operation)
            .await?
            .into_iter()
            .find(|user| same_uuid(&user.user_id, id));
        listed
            .or_else(|| self.created_here(id))
            .ok_or_else(|| self.error(ErrorKind::NotFound, operation, format!("no user {id}")))
    }

    fn created_here(&self, id: Uuid) -> Option<types::UserEntry> {
        let created = self
            .created_by_tenant_admin
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        created.get(&id).cloned()
    }

    async fn all_tenants(&self, operation: Operation) -> Result<Vec<types::TenantEntry>> {
        self.send(operation, || self.api.tenant_list()).await
    }

    /// The lists are never paginated, so the only page is the first; a
    /// cursor (which this adapter never hands out) is refused.
    fn first_page_only(&self, page: &PageRequest, operation: Operation) -> Result<()> {
        match page.cursor {
            None => Ok(()),
            Some(_) => Err(self.error(
                ErrorKind::InvalidInput,
                operation,
                "the Medium One API does not paginate; there is no page after the first",
            )),
        }
    }

    /// Checks a membership request: tenant roles are fine, WireGuard keys
    /// are not something Medium One stores.
    fn check_membership(&self, request: &MembershipRequest, operation: Operation) -> Result<()> {
        if request.wireguard_key.is_some() {
            return Err(self.unsupported(operation, "WireGuard keys on memberships"));
        }
        capabilities(&self.mode)
            .check_membership_request(request)
            .map_err(in_operation(operation))?;
        role_to_api(request.role)
            .map(|_| ())
            .map_err(in_operation(operation))
    }
}

impl fmt::Debug for MediumOneClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediumOneClient")
            .field("base_url", &self.api.baseurl)
            .field("auth", &self.auth)
            .field("mode", &self.mode)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl Provider for MediumOneClient {
    fn provider_id(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        capabilities(&self.mode)
    }
}

/// Tags an error raised here, before any request, with where it happened.
fn in_operation(operation: Operation) -> impl Fn(Error) -> Error {
    move |err| err.with_provider(PROVIDER).with_operation(operation)
}

/// What Medium One supports in `mode`: a tenant admin cannot list all users
/// or create tenants (`/user_list` and `/tenant_create` are SA-only).
pub fn capabilities(mode: &AdminMode) -> Capabilities {
    let system_admin = *mode == AdminMode::SystemAdmin;
    Capabilities {
        list_users: system_admin,
        server_side_pagination: false,
        get_user: true,
        create_user: true,
        create_is_invitation: false,
        update_user: true,
        update_email: false,
        update_role: false,
        update_status: false,
        user_display_name: true,
        user_roles: false,
        delete_user: true,
        delete_user_cascades_memberships: true,
        current_user: false,
        list_tenants: true,
        get_tenant: true,
        create_tenant: system_admin,
        create_tenant_with_members: false,
        delete_tenant: false,
        list_members: true,
        list_user_memberships: true,
        add_member: true,
        remove_member: true,
        membership_roles: true,
        membership_requires_wireguard_key: false,
        max_tenants_per_user: None,
    }
}

#[async_trait]
impl UserDirectory for MediumOneClient {
    /// `/user_list` (SA only; `Unsupported` for a tenant admin). Not
    /// paginated: the first page holds every user. Both answer shapes are
    /// read: `{"user_list": [...]}` and a bare array.
    async fn list_users_page(&self, page: PageRequest) -> Result<Page<User>> {
        let operation = Operation::ListUsers;
        if self.own_tenant().is_some() {
            return Err(self.unsupported(
                operation,
                "listing all users as a tenant admin (/user_list is SA-only)",
            ));
        }
        self.first_page_only(&page, operation)?;
        let users = self.visible_users(operation).await?;
        let users = users.iter().map(user_from_api).collect::<Result<_>>();
        Ok(Page::complete(users.map_err(in_operation(operation))?))
    }

    /// There is no "get one user" endpoint: this reads the user list (one
    /// request) and picks the user.
    async fn get_user(&self, id: &UserId) -> Result<User> {
        let operation = Operation::GetUser;
        let uuid = user_uuid(id).map_err(in_operation(operation))?;
        user_from_api(&self.find_user(uuid, operation).await?).map_err(in_operation(operation))
    }

    /// `/user_create` with the email as `user_name`, the display name as
    /// `full_name` (empty when none is given) and `language=en`. Medium One
    /// mails the new user a generated password. Users have no account-wide
    /// role, so a role is `Unsupported`. An existing user answers 400, which
    /// becomes `AlreadyExists`.
    async fn create_user(&self, user: &NewUser) -> Result<Created<User>> {
        let operation = Operation::CreateUser;
        if user.role.is_some() {
            return Err(
                self.unsupported(operation, "account-wide user roles (roles are per tenant)")
            );
        }
        let full_name = user.display_name.as_deref().unwrap_or_default();
        let email = user.email.as_str();
        let id: String = self
            .send(operation, || {
                self.api.user_create(full_name, Some(LANGUAGE), email)
            })
            .await?;
        let id = created_id(&id, "user").map_err(in_operation(operation))?;
        if self.own_tenant().is_some() {
            let entry = types::UserEntry {
                api_basic_user: None,
                full_name: user.display_name.clone(),
                tenant_roles: Vec::new(),
                user_id: id.to_string(),
                user_name: email.to_owned(),
            };
            self.created_by_tenant_admin
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id, entry);
        }
        Ok(Created::new(User {
            id: UserId::new(id.to_string())?,
            email: Some(user.email.clone()),
            display_name: user.display_name.clone().filter(|n| !n.trim().is_empty()),
            role: None,
            raw_role: None,
            status: roster_core::UserStatus::Active,
        }))
    }

    /// Changes the display name (`full_name`) with one `param_list` entry.
    /// Reads the user list first (one request) to find the user's name, and
    /// returns the user as read with the new name. Email, role and status
    /// changes are `Unsupported`.
    async fn update_user(&self, id: &UserId, update: &UserUpdate) -> Result<User> {
        let operation = Operation::UpdateUser;
        let uuid = user_uuid(id).map_err(in_operation(operation))?;
        if update.email.is_some() {
            return Err(self.unsupported(operation, "changing a user's email (user_name)"));
        }
        if update.role.is_some() {
            return Err(
                self.unsupported(operation, "account-wide user roles (roles are per tenant)")
            );
        }
        if update.status.is_some() {
            return Err(self.unsupported(operation, "blocking or suspending users"));
        }
        let current = self.find_user(uuid, operation).await?;
        let mut user = user_from_api(&current).map_err(in_operation(operation))?;
        let Some(name) = update.display_name.as_deref() else {
            return Ok(user);
        };
        let params = vec![
            UpdateParam {
                field: "full_name",
                value: name,
            }
            .to_json(),
        ];
        self.send(operation, || {
            self.api.user_update(Some(&params), &current.user_name)
        })
        .await?;
        user.display_name = Some(name.to_owned()).filter(|n| !n.trim().is_empty());
        Ok(user)
    }

    /// Reads the user list (one request) to find the user's name, then
    /// `/user_remove`. Their tenant roles go with them.
    async fn delete_user(&self, id: &UserId) -> Result<()> {
        let operation = Operation::DeleteUser;
        let uuid = user_uuid(id).map_err(in_operation(operation))?;
        let user = self.find_user(uuid, operation).await?;
        self.send(operation, || self.api.user_remove(&user.user_name))
            .await?;
        self.created_by_tenant_admin
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&uuid);
        Ok(())
    }
}

#[async_trait]
impl TenantDirectory for MediumOneClient {
    /// `/tenant_list`; the first page holds every tenant.
    async fn list_tenants_page(&self, page: PageRequest) -> Result<Page<Tenant>> {
        let operation = Operation::ListTenants;
        self.first_page_only(&page, operation)?;
        let tenants = self.all_tenants(operation).await?;
        let tenants = tenants.iter().map(tenant_from_api).collect::<Result<_>>();
        Ok(Page::complete(tenants.map_err(in_operation(operation))?))
    }

    /// Reads the tenant list (one request) and picks the tenant.
    async fn get_tenant(&self, id: &TenantId) -> Result<Tenant> {
        let operation = Operation::GetTenant;
        let uuid = tenant_uuid(id).map_err(in_operation(operation))?;
        let tenant = self
            .all_tenants(operation)
            .await?
            .into_iter()
            .find(|t| same_uuid(&t.tenant_id, uuid))
            .ok_or_else(|| self.error(ErrorKind::NotFound, operation, format!("no tenant {id}")))?;
        tenant_from_api(&tenant).map_err(in_operation(operation))
    }

    /// `/tenant_create` (SA only). Members are `Unsupported`: add them with
    /// `add_member` afterwards.
    async fn create_tenant(&self, tenant: &NewTenant) -> Result<Created<Tenant>> {
        let operation = Operation::CreateTenant;
        if self.own_tenant().is_some() {
            return Err(self.unsupported(
                operation,
                "creating tenants as a tenant admin (/tenant_create is SA-only)",
            ));
        }
        if !tenant.members.is_empty() {
            return Err(self.unsupported(operation, "creating a tenant with members"));
        }
        let name = tenant.name();
        let id: String = self
            .send(operation, || self.api.tenant_create(name))
            .await?;
        let id = created_id(&id, "tenant").map_err(in_operation(operation))?;
        Ok(Created::new(Tenant {
            id: TenantId::new(id.to_string())?,
            name: name.to_owned(),
        }))
    }

    /// Medium One has no endpoint to delete a tenant.
    async fn delete_tenant(&self, _id: &TenantId) -> Result<()> {
        Err(self.unsupported(Operation::DeleteTenant, "deleting tenants"))
    }
}

#[async_trait]
impl MembershipDirectory for MediumOneClient {
    /// `/user_list_in_tenant` (one request), with each member's role in
    /// this tenant.
    async fn list_members(&self, tenant: &TenantId) -> Result<Vec<Membership>> {
        let operation = Operation::ListMembers;
        let uuid = tenant_uuid(tenant).map_err(in_operation(operation))?;
        let tenant_id = self.tenant_param(uuid, operation)?;
        let list = self
            .send(operation, || {
                self.api.user_list_in_tenant(tenant_id.as_deref())
            })
            .await?;
        let mut memberships = Vec::new();
        for user in user_entries(list) {
            let mut found =
                memberships_from_api(&user, Some(uuid)).map_err(in_operation(operation))?;
            if found.is_empty() {
                // Listed in the tenant without a role entry for it: still a
                // member, with no role reported.
                found.push(Membership {
                    tenant: tenant.clone(),
                    user: UserId::new(user.user_id.clone()).map_err(in_operation(operation))?,
                    user_email: roster_core::Email::parse(user.user_name.as_str()).ok(),
                    role: None,
                });
            }
            memberships.extend(found);
        }
        Ok(memberships)
    }

    /// Reads the user list (one request) and returns the user's
    /// `tenant_roles`.
    async fn list_user_memberships(&self, user: &UserId) -> Result<Vec<Membership>> {
        let operation = Operation::ListUserMemberships;
        let uuid = user_uuid(user).map_err(in_operation(operation))?;
        let entry = self.find_user(uuid, operation).await?;
        memberships_from_api(&entry, None).map_err(in_operation(operation))
    }

    /// Reads the user list (one request) to find the user's name, then
    /// `/tenant_add_user` with the role (`tenant-user` unless the request
    /// asks for admin). A tenant admin also sends the user's `full_name`,
    /// which the API requires of them. Adding a member again sets their role.
    async fn add_member(
        &self,
        tenant: &TenantId,
        user: &UserId,
        request: &MembershipRequest,
    ) -> Result<Membership> {
        let operation = Operation::AddMember;
        let tenant_uuid = tenant_uuid(tenant).map_err(in_operation(operation))?;
        let user_uuid = user_uuid(user).map_err(in_operation(operation))?;
        self.check_membership(request, operation)?;
        let role = role_to_api(request.role).map_err(in_operation(operation))?;
        let tenant_id = self.tenant_param(tenant_uuid, operation)?;
        let entry = self.find_user(user_uuid, operation).await?;
        let full_name = match self.own_tenant() {
            Some(_) => Some(entry.full_name.clone().unwrap_or_default()),
            None => None,
        };
        self.send(operation, || {
            self.api.tenant_add_user(
                full_name.as_deref(),
                role,
                tenant_id.as_deref(),
                &entry.user_name,
            )
        })
        .await?;
        Ok(Membership {
            tenant: tenant.clone(),
            user: UserId::new(entry.user_id.clone()).map_err(in_operation(operation))?,
            user_email: roster_core::Email::parse(entry.user_name.as_str()).ok(),
            role: Some(request.role.unwrap_or(roster_core::TenantRole::Member)),
        })
    }

    /// Reads the user list (one request) to find the user's name, then
    /// `/tenant_remove_user`. The user stays in the portal.
    async fn remove_member(&self, tenant: &TenantId, user: &UserId) -> Result<()> {
        let operation = Operation::RemoveMember;
        let tenant_uuid = tenant_uuid(tenant).map_err(in_operation(operation))?;
        let user_uuid = user_uuid(user).map_err(in_operation(operation))?;
        let tenant_id = self.tenant_param(tenant_uuid, operation)?;
        let entry = self.find_user(user_uuid, operation).await?;
        self.send(operation, || {
            self.api
                .tenant_remove_user(tenant_id.as_deref(), &entry.user_name)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    /// The adapter only ever updates `full_name`, so this drives the
    /// generated client directly to pin what progenitor does with an array
    /// query parameter: one `param_list=` per element, in order, each
    /// percent-encoded on its own.
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
