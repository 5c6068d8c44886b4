//! The adapter: Roster's traits over the generated Astra DevOps client.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use roster_core::{
    Capabilities, CreateOutcome, Created, Email, Error, ErrorKind, Membership, MembershipDirectory,
    MembershipRequest, NewTenant, NewUser, Operation, Page, PageRequest, Provider, Result, Tenant,
    TenantDirectory, TenantId, User, UserDirectory, UserId, UserUpdate,
};
use roster_http::{ClientContext, StaticToken};

use crate::PROVIDER;
use crate::config::AstraConfig;
use crate::generated::{self, types};
use crate::mapping::{
    is_invited, membership_from_api, org_id, path_id, requested_role_name, tenant_from_api,
    user_from_api, users_from_api,
};
use crate::wire;

roster_http::impl_client_hooks!(generated::Client);

/// An organization role: its UUID (what the API takes) and its name (what
/// callers give).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgRole {
    /// The role's UUID.
    pub id: String,
    /// Its name, such as `Organization Administrator`.
    pub name: String,
}

impl From<wire::Role> for OrgRole {
    fn from(role: wire::Role) -> Self {
        OrgRole {
            id: role.id,
            name: role.name,
        }
    }
}

/// A Roster adapter for the DataStax Astra DevOps API.
///
/// An application token belongs to one organization, and that organization
/// is the only tenant this adapter sees. It maps Astra's rules like this:
///
/// - **Creating a user is an invitation** (`PUT /v2/organizations/users`).
///   The API answers without an id, so the adapter then lists the users and
///   returns the invited user (status [`Invited`](roster_core::UserStatus::Invited)).
///   Inviting an address that already has a pending invitation re-sends it
///   and answers [`CreateOutcome::InvitationResent`]; an address that is
///   already an active member is [`AlreadyExists`](ErrorKind::AlreadyExists)
///   and nothing is sent. Costs: roles (first use), users, invite, users.
/// - **Roles are given by name** ([`RoleSpec::Provider`](roster_core::RoleSpec::Provider),
///   case-insensitive, or a role UUID) or as a neutral role (see
///   [`neutral_role_name`](crate::neutral_role_name)); without one, users
///   get [`DEFAULT_ROLE`](crate::DEFAULT_ROLE). Names are resolved to UUIDs
///   from `GET /v2/organizations/roles`, cached per client (clones share
///   it) and reloaded once when a name is missing. An unknown name is
///   [`InvalidInput`](ErrorKind::InvalidInput) and nothing is written.
/// - **Updating** replaces the user's roles with the one given; email,
///   display name and status are [`Unsupported`](ErrorKind::Unsupported).
/// - **Deleting** removes a member or withdraws an invitation.
/// - **Tenants**: listing answers the token's organization; reading works
///   for its id only; creating and deleting are `Unsupported`.
/// - **Memberships**: the members of the organization are its users; adding
///   a member is an invitation (it re-sends a pending one, and changes
///   nothing for an active member); removing one deletes the user from the
///   organization. A user id exists only for someone already invited, so
///   new people join through [`create_user`](UserDirectory::create_user).
///
/// ```no_run
/// # async fn demo() -> roster_core::Result<()> {
/// use roster_core::{Email, NewUser, RoleSpec, UserDirectory};
/// use roster_astra::{AstraClient, AstraConfig};
///
/// let astra = AstraClient::new(AstraConfig::require_env()?)?;
/// let invited = astra
///     .create_user(
///         &NewUser::new(Email::parse("alice@example.com")?)
///             .with_role(RoleSpec::Provider("Database Administrator".into())),
///     )
///     .await?;
/// println!("invited {} ({:?})", invited.id, invited.outcome);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AstraClient {
    api: Arc<generated::Client>,
    roles: Arc<Mutex<Option<Vec<OrgRole>>>>,
}

impl AstraClient {
    /// Connects with `config`. Fails with `InvalidInput` for a bad base URL
    /// (including plain `http://` to a non-loopback host without the opt-in)
    /// or an unusable token; nothing is sent.
    pub fn new(config: AstraConfig) -> Result<Self> {
        let auth = StaticToken::bearer(&config.token).map_err(|e| e.with_provider(PROVIDER))?;
        let api = ClientContext::connect(
            PROVIDER,
            &config.base_url,
            &config.http,
            Arc::new(auth),
            crate::error::describe,
        )?
        .into_client(generated::Client::new_with_client);
        Ok(AstraClient {
            api: Arc::new(api),
            roles: Arc::new(Mutex::new(None)),
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

    /// Tags an error about a server answer that could not be mapped. Its
    /// message may quote the answer, so it is redacted like a body snippet.
    fn decoded(&self, operation: Operation) -> impl Fn(Error) -> Error + '_ {
        move |err| {
            let message = self.context().redactor().redact(err.message());
            self.error(err.kind(), operation, message)
        }
    }

    fn unsupported(&self, operation: Operation, what: &str) -> Error {
        Error::unsupported(PROVIDER, operation, what)
    }

    /// Every role of the organization, read now (one request); this also
    /// refreshes the cache role names are resolved from. Core has no role
    /// operations, so errors name [`Operation::ListUsers`].
    pub async fn roles(&self) -> Result<Vec<OrgRole>> {
        self.load_roles(Operation::ListUsers).await
    }

    /// One role by its UUID (`GET /v2/organizations/roles/{roleID}`); an
    /// unknown id is `NotFound`. Errors name [`Operation::GetUser`].
    pub async fn role(&self, id: &str) -> Result<OrgRole> {
        let operation = Operation::GetUser;
        let id = path_id("role id", id).map_err(in_operation(operation))?;
        let role = self
            .context()
            .call(operation, self.api.get_organization_role(id))
            .await?;
        Ok(role.into())
    }

    async fn load_roles(&self, operation: Operation) -> Result<Vec<OrgRole>> {
        let roles: Vec<OrgRole> = self
            .context()
            .call(operation, self.api.get_organization_roles())
            .await?
            .into_iter()
            .map(OrgRole::from)
            .collect();
        *lock(&self.roles) = Some(roles.clone());
        Ok(roles)
    }

    /// The UUID of the role named `name` (or with that id): from the cache,
    /// else from a fresh role list, read at most once per call.
    async fn role_id(&self, name: &str, operation: Operation) -> Result<String> {
        let cached = lock(&self.roles).clone();
        if let Some(id) = cached.as_deref().and_then(|roles| find_role(roles, name)) {
            return Ok(id);
        }
        let roles = self.load_roles(operation).await?;
        find_role(&roles, name).ok_or_else(|| {
            let known: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
            self.error(
                ErrorKind::InvalidInput,
                operation,
                format!(
                    "the organization has no role {name:?}; its roles are: {}",
                    known.join(", ")
                ),
            )
        })
    }

    async fn org_users(&self, operation: Operation) -> Result<wire::OrgUsers> {
        self.context()
            .call(operation, self.api.get_organization_users())
            .await
    }

    async fn org_user(&self, id: &str, operation: Operation) -> Result<wire::OrgUser> {
        self.context()
            .call(operation, self.api.get_organization_user(id))
            .await
    }

    /// The organization's users, after checking that `tenant` is the
    /// organization: any other id is `NotFound` (the token sees no other).
    async fn users_of(&self, tenant: &TenantId, operation: Operation) -> Result<wire::OrgUsers> {
        let users = self.org_users(operation).await?;
        if users.org_id != tenant.as_str() {
            return Err(self.not_this_org(tenant, operation));
        }
        Ok(users)
    }

    fn not_this_org(&self, tenant: &TenantId, operation: Operation) -> Error {
        self.error(
            ErrorKind::NotFound,
            operation,
            format!("no organization {tenant}: an Astra token sees only its own organization"),
        )
    }

    async fn invite(
        &self,
        email: &str,
        org: &str,
        roles: Vec<String>,
        operation: Operation,
    ) -> Result<()> {
        let body = types::UserInvite {
            email: email.to_owned(),
            org_id: org.to_owned(),
            roles,
        };
        self.context()
            .call(operation, self.api.invite_user_to_organization(&body))
            .await
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The cache holds plain data; a panic elsewhere cannot leave it torn.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn find_role(roles: &[OrgRole], name: &str) -> Option<String> {
    roles
        .iter()
        .find(|r| r.name.eq_ignore_ascii_case(name) || r.id == name)
        .map(|r| r.id.clone())
}

fn find_by_email<'a>(users: &'a [wire::OrgUser], email: &Email) -> Option<&'a wire::OrgUser> {
    users
        .iter()
        .find(|u| u.email.as_deref().is_some_and(|e| email.matches(e)))
}

/// Tags an error raised here, before any request, with where it happened.
fn in_operation(operation: Operation) -> impl Fn(Error) -> Error {
    move |err| err.with_provider(PROVIDER).with_operation(operation)
}

/// The API returns whole lists, so the only page is the first.
fn first_page_only(page: &PageRequest, operation: Operation) -> Result<()> {
    match page.cursor {
        None => Ok(()),
        Some(_) => Err(Error::invalid_input(
            "the Astra DevOps API does not paginate; there is no page after the first",
        ))
        .map_err(in_operation(operation)),
    }
}

impl Provider for AstraClient {
    fn provider_id(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        capabilities()
    }
}

/// What the Astra DevOps adapter supports.
pub fn capabilities() -> Capabilities {
    Capabilities {
        list_users: true,
        server_side_pagination: false,
        get_user: true,
        create_user: true,
        create_is_invitation: true,
        update_user: true,
        update_email: false,
        update_role: true,
        update_status: false,
        user_display_name: false,
        user_roles: true,
        delete_user: true,
        // A user exists here only as a member of the organization.
        delete_user_cascades_memberships: true,
        current_user: false,
        list_tenants: true,
        get_tenant: true,
        create_tenant: false,
        create_tenant_with_members: false,
        delete_tenant: false,
        list_members: true,
        list_user_memberships: true,
        add_member: true,
        remove_member: true,
        membership_roles: false,
        membership_requires_wireguard_key: false,
        // A person can belong to several Astra organizations, but one token
        // sees only one of them.
        max_tenants_per_user: None,
    }
}

#[async_trait]
impl UserDirectory for AstraClient {
    /// Active and invited users, in one page (the API does not paginate).
    async fn list_users_page(&self, page: PageRequest) -> Result<Page<User>> {
        let operation = Operation::ListUsers;
        first_page_only(&page, operation)?;
        let users = self.org_users(operation).await?;
        Ok(Page::complete(
            users_from_api(&users.users).map_err(self.decoded(operation))?,
        ))
    }

    async fn get_user(&self, id: &UserId) -> Result<User> {
        let operation = Operation::GetUser;
        let id = path_id("user id", id.as_str()).map_err(in_operation(operation))?;
        let user = self.org_user(id, operation).await?;
        user_from_api(&user).map_err(self.decoded(operation))
    }

    /// Invites the user with one role (default [`DEFAULT_ROLE`](crate::DEFAULT_ROLE))
    /// and returns them as listed afterwards. See the type's rustdoc for
    /// re-sent invitations and existing members.
    async fn create_user(&self, user: &NewUser) -> Result<Created<User>> {
        let operation = Operation::CreateUser;
        if user.display_name.is_some() {
            return Err(self.unsupported(operation, "display names"));
        }
        let role_name = requested_role_name(user.role.as_ref()).map_err(in_operation(operation))?;
        let role_id = self.role_id(&role_name, operation).await?;
        let before = self.org_users(operation).await?;
        let outcome = match find_by_email(&before.users, &user.email) {
            Some(existing) if is_invited(existing) => CreateOutcome::InvitationResent,
            Some(existing) => {
                return Err(self.error(
                    ErrorKind::AlreadyExists,
                    operation,
                    format!(
                        "{} is already a member of the organization (user {})",
                        user.email, existing.user_id
                    ),
                ));
            }
            None => CreateOutcome::Created,
        };
        self.invite(
            user.email.as_str(),
            &before.org_id,
            vec![role_id],
            operation,
        )
        .await?;
        let after = self.org_users(operation).await?;
        let invited = find_by_email(&after.users, &user.email).ok_or_else(|| {
            self.error(
                ErrorKind::Unexpected,
                operation,
                format!(
                    "the invitation for {} was accepted, but the user is not listed",
                    user.email
                ),
            )
        })?;
        Ok(Created::with_outcome(
            user_from_api(invited).map_err(self.decoded(operation))?,
            outcome,
        ))
    }

    /// Replaces the user's roles with the one given, then reads the user
    /// back. Email, display name and status are `Unsupported`.
    async fn update_user(&self, id: &UserId, update: &UserUpdate) -> Result<User> {
        let operation = Operation::UpdateUser;
        if update.email.is_some() {
            return Err(self.unsupported(operation, "changing a user's email"));
        }
        if update.display_name.is_some() {
            return Err(self.unsupported(operation, "display names"));
        }
        if update.status.is_some() {
            return Err(self.unsupported(operation, "blocking or suspending users"));
        }
        let role_name = update
            .role
            .as_ref()
            .map(|role| requested_role_name(Some(role)))
            .transpose()
            .map_err(in_operation(operation))?;
        let id = path_id("user id", id.as_str()).map_err(in_operation(operation))?;
        if let Some(name) = role_name {
            let role_id = self.role_id(&name, operation).await?;
            let body = types::RoleInviteRequest {
                roles: vec![role_id],
            };
            self.context()
                .call(
                    operation,
                    self.api.update_roles_for_user_in_organization(id, &body),
                )
                .await?;
        }
        let user = self.org_user(id, operation).await?;
        user_from_api(&user).map_err(self.decoded(operation))
    }

    /// Removes the user from the organization, or withdraws their invitation.
    async fn delete_user(&self, id: &UserId) -> Result<()> {
        let operation = Operation::DeleteUser;
        let id = path_id("user id", id.as_str()).map_err(in_operation(operation))?;
        self.context()
            .call(operation, self.api.remove_user_from_organization(id))
            .await
    }
}

#[async_trait]
impl TenantDirectory for AstraClient {
    /// The token's organization (`GET /v2/currentOrg`). When that answer
    /// carries no name, the name comes from the user list (one more request).
    async fn list_tenants_page(&self, page: PageRequest) -> Result<Page<Tenant>> {
        let operation = Operation::ListTenants;
        first_page_only(&page, operation)?;
        Ok(Page::complete(vec![self.current_org(operation).await?]))
    }

    /// The token's organization, when `id` is its id; any other id is
    /// `NotFound`.
    async fn get_tenant(&self, id: &TenantId) -> Result<Tenant> {
        let operation = Operation::GetTenant;
        path_id("tenant id", id.as_str()).map_err(in_operation(operation))?;
        let org = self.current_org(operation).await?;
        if &org.id != id {
            return Err(self.not_this_org(id, operation));
        }
        Ok(org)
    }

    /// `Unsupported`: organizations are created in the Astra portal.
    async fn create_tenant(&self, _tenant: &NewTenant) -> Result<Created<Tenant>> {
        Err(self.unsupported(Operation::CreateTenant, "creating organizations"))
    }

    /// `Unsupported`: organizations are deleted in the Astra portal.
    async fn delete_tenant(&self, _id: &TenantId) -> Result<()> {
        Err(self.unsupported(Operation::DeleteTenant, "deleting organizations"))
    }
}

impl AstraClient {
    async fn current_org(&self, operation: Operation) -> Result<Tenant> {
        let org = self
            .context()
            .call(operation, self.api.get_current_organization())
            .await?;
        let fallback = match org.name {
            Some(_) => None,
            None => self.org_users(operation).await?.org_name,
        };
        tenant_from_api(&org, fallback.as_deref()).map_err(self.decoded(operation))
    }
}

#[async_trait]
impl MembershipDirectory for AstraClient {
    /// The organization's users (one request); another tenant id is
    /// `NotFound`.
    async fn list_members(&self, tenant: &TenantId) -> Result<Vec<Membership>> {
        let operation = Operation::ListMembers;
        path_id("tenant id", tenant.as_str()).map_err(in_operation(operation))?;
        let users = self.users_of(tenant, operation).await?;
        users
            .users
            .iter()
            .map(|u| membership_from_api(tenant, u))
            .collect::<Result<_>>()
            .map_err(self.decoded(operation))
    }

    /// The organization, when the user is one of its users (one request);
    /// otherwise none.
    async fn list_user_memberships(&self, user: &UserId) -> Result<Vec<Membership>> {
        let operation = Operation::ListUserMemberships;
        path_id("user id", user.as_str()).map_err(in_operation(operation))?;
        let users = self.org_users(operation).await?;
        let org = org_id(&users.org_id).map_err(self.decoded(operation))?;
        users
            .users
            .iter()
            .filter(|u| u.user_id == user.as_str())
            .map(|u| membership_from_api(&org, u))
            .collect::<Result<_>>()
            .map_err(self.decoded(operation))
    }

    /// Reads the users (one request). A pending invitation is sent again
    /// with the user's current roles; an active member is left as they are.
    /// An unknown organization or user is `NotFound`, and tenant roles are
    /// `Unsupported`; either way nothing is written.
    async fn add_member(
        &self,
        tenant: &TenantId,
        user: &UserId,
        request: &MembershipRequest,
    ) -> Result<Membership> {
        let operation = Operation::AddMember;
        capabilities()
            .check_membership_request(request)
            .map_err(in_operation(operation))?;
        path_id("tenant id", tenant.as_str()).map_err(in_operation(operation))?;
        path_id("user id", user.as_str()).map_err(in_operation(operation))?;
        let users = self.users_of(tenant, operation).await?;
        let Some(member) = users.users.iter().find(|u| u.user_id == user.as_str()) else {
            return Err(self.error(
                ErrorKind::NotFound,
                operation,
                format!(
                    "no user {user} in the organization; invite new people by email with \
                     create_user"
                ),
            ));
        };
        if is_invited(member) {
            let email = member.email.as_deref().ok_or_else(|| {
                self.error(
                    ErrorKind::Unexpected,
                    operation,
                    format!("invited user {user} has no email to re-send the invitation to"),
                )
            })?;
            let mut roles: Vec<String> = member.roles.iter().map(|r| r.id.clone()).collect();
            if roles.is_empty() {
                roles.push(self.role_id(crate::DEFAULT_ROLE, operation).await?);
            }
            self.invite(email, &users.org_id, roles, operation).await?;
        }
        membership_from_api(tenant, member).map_err(self.decoded(operation))
    }

    /// Checks the organization and the user (one request), then deletes
    /// the user from the organization.
    async fn remove_member(&self, tenant: &TenantId, user: &UserId) -> Result<()> {
        let operation = Operation::RemoveMember;
        path_id("tenant id", tenant.as_str()).map_err(in_operation(operation))?;
        let id = path_id("user id", user.as_str()).map_err(in_operation(operation))?;
        let users = self.users_of(tenant, operation).await?;
        if !users.users.iter().any(|u| u.user_id == id) {
            return Err(self.error(
                ErrorKind::NotFound,
                operation,
                format!("user {user} is not in the organization"),
            ));
        }
        self.context()
            .call(operation, self.api.remove_user_from_organization(id))
            .await
    }
}
