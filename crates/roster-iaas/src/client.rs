//! The adapter: Roster's traits over the generated IaaS operator client.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use roster_core::{
    Capabilities, Created, Error, ErrorKind, Membership, MembershipDirectory, MembershipRequest,
    NewTenant, NewUser, Operation, Page, PageRequest, Principal, Provider, Result, Tenant,
    TenantDirectory, TenantId, User, UserDirectory, UserId, UserUpdate,
};
use roster_http::{ClientContext, StaticToken};
use uuid::Uuid;

use crate::config::IaasConfig;
use crate::generated::{self, types};
use crate::mapping::{
    canonical_user_id, memberships_from_api, principal_from_api, role_to_api, tenant_from_api,
    tenant_path, user_from_api, user_uuid,
};

/// The provider identifier used in errors, logs and capabilities.
pub const PROVIDER: &str = "iaas-operator";

roster_http::impl_client_hooks!(generated::Client);

/// A Roster adapter for the NTY Gridworks IaaS operator API.
///
/// It implements [`UserDirectory`], [`TenantDirectory`] and
/// [`MembershipDirectory`], and honours the API's rules:
///
/// - a user is in at most one tenant: adding a user who is in another
///   tenant is a [`Conflict`](ErrorKind::Conflict), checked before anything
///   is written; use
///   [`move_user`](roster_core::MembershipDirectory::move_user) to move;
/// - every membership needs the user's WireGuard public key
///   ([`MembershipRequest::wireguard_key`]); without one, nothing is sent;
/// - deleting a user removes all their memberships (the server does it).
///
/// The API has no "get one" endpoints and does not paginate, so reads of
/// one user, one tenant or one tenant's members fetch the whole list (one
/// request each) and pick from it.
///
/// ```no_run
/// # async fn demo() -> roster_core::Result<()> {
/// use roster_core::{Email, NewUser, Role, UserDirectory};
/// use roster_iaas::{IaasClient, IaasConfig};
///
/// let client = IaasClient::new(IaasConfig::require_env()?)?;
/// let alice = client
///     .create_user(&NewUser::new(Email::parse("alice@example.com")?).with_role(Role::Member))
///     .await?;
/// println!("created {}", alice.id);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct IaasClient {
    api: Arc<generated::Client>,
}

impl IaasClient {
    /// Connects with `config`. Fails with `InvalidInput` for a bad base URL
    /// (including plain `http://` to a non-loopback host without the opt-in)
    /// or an unusable token; nothing is sent.
    pub fn new(config: IaasConfig) -> Result<Self> {
        let auth = StaticToken::bearer(&config.token).map_err(|e| e.with_provider(PROVIDER))?;
        let api = ClientContext::connect(
            PROVIDER,
            &config.base_url,
            &config.http,
            Arc::new(auth),
            crate::error::describe,
        )?
        .into_client(generated::Client::new_with_client);
        Ok(IaasClient { api: Arc::new(api) })
    }

    fn context(&self) -> &ClientContext {
        &self.api.inner
    }

    async fn all_users(&self, operation: Operation) -> Result<Vec<types::UserGetResponseDto>> {
        self.context()
            .call(operation, self.api.list_users_users_get())
            .await
    }

    async fn all_tenants(&self, operation: Operation) -> Result<Vec<types::TenantResponseDto>> {
        self.context()
            .call(operation, self.api.list_tenants_tenants_get())
            .await
    }

    async fn find_user(&self, id: Uuid, operation: Operation) -> Result<types::UserGetResponseDto> {
        self.all_users(operation)
            .await?
            .into_iter()
            .find(|user| user.id == id)
            .ok_or_else(|| self.error(ErrorKind::NotFound, operation, format!("no user {id}")))
    }

    async fn find_tenant(
        &self,
        id: &TenantId,
        operation: Operation,
    ) -> Result<types::TenantResponseDto> {
        self.all_tenants(operation)
            .await?
            .into_iter()
            .find(|tenant| tenant.id == id.as_str())
            .ok_or_else(|| self.error(ErrorKind::NotFound, operation, format!("no tenant {id}")))
    }

    fn error(&self, kind: ErrorKind, operation: Operation, message: impl Into<String>) -> Error {
        Error::new(kind, message)
            .with_provider(PROVIDER)
            .with_operation(operation)
    }

    /// The API returns whole lists, so the only page is the first; a cursor
    /// (which this adapter never hands out) is refused.
    fn first_page_only(&self, page: &PageRequest, operation: Operation) -> Result<()> {
        match page.cursor {
            None => Ok(()),
            Some(_) => Err(self.error(
                ErrorKind::InvalidInput,
                operation,
                "the IaaS operator API does not paginate; there is no page after the first",
            )),
        }
    }

    fn unsupported(&self, operation: Operation, what: &str) -> Error {
        Error::unsupported(PROVIDER, operation, what)
    }

    /// The WireGuard key of a membership request, after checking the
    /// request against this API's rules (key required, no tenant roles).
    fn membership_key(&self, request: &MembershipRequest, operation: Operation) -> Result<String> {
        capabilities()
            .check_membership_request(request)
            .map_err(in_operation(operation))?;
        request
            .wireguard_key
            .as_ref()
            .map(|key| key.as_str().to_owned())
            .ok_or_else(|| {
                self.error(
                    ErrorKind::InvalidInput,
                    operation,
                    "an IaaS membership needs the user's WireGuard public key",
                )
            })
    }

    /// Refuses to touch a user who already belongs to a tenant other than
    /// `target` (if any): the API allows one tenant per user.
    fn check_single_tenant(
        &self,
        tenants: &[types::TenantResponseDto],
        user: Uuid,
        target: Option<&str>,
        operation: Operation,
    ) -> Result<()> {
        match tenants
            .iter()
            .find(|t| t.users.iter().any(|u| u.id == user))
        {
            Some(current) if Some(current.id.as_str()) != target => Err(self.error(
                ErrorKind::Conflict,
                operation,
                format!(
                    "user {user} already belongs to tenant {} ({}); a user can be in one tenant \
                     at a time, so move them with move_user",
                    current.id, current.name
                ),
            )),
            _ => Ok(()),
        }
    }
}

impl Provider for IaasClient {
    fn provider_id(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        capabilities()
    }
}

/// Tags an error raised here, before any request, with where it happened.
fn in_operation(operation: Operation) -> impl Fn(Error) -> Error {
    move |err| err.with_provider(PROVIDER).with_operation(operation)
}

/// What the IaaS operator API supports.
pub fn capabilities() -> Capabilities {
    Capabilities {
        list_users: true,
        server_side_pagination: false,
        get_user: true,
        create_user: true,
        create_is_invitation: false,
        update_user: true,
        update_email: true,
        update_role: true,
        update_status: false,
        user_display_name: false,
        user_roles: true,
        delete_user: true,
        delete_user_cascades_memberships: true,
        current_user: true,
        list_tenants: true,
        get_tenant: true,
        create_tenant: true,
        create_tenant_with_members: true,
        delete_tenant: true,
        list_members: true,
        list_user_memberships: true,
        add_member: true,
        remove_member: true,
        membership_roles: false,
        membership_requires_wireguard_key: true,
        max_tenants_per_user: Some(1),
    }
}

#[async_trait]
impl UserDirectory for IaasClient {
    /// The API does not paginate: the first page holds every user, and there
    /// is never a next page. A cursor (which this adapter never hands out)
    /// is refused.
    async fn list_users_page(&self, page: PageRequest) -> Result<Page<User>> {
        self.first_page_only(&page, Operation::ListUsers)?;
        let users = self.all_users(Operation::ListUsers).await?;
        Ok(Page::complete(
            users.into_iter().map(user_from_api).collect(),
        ))
    }

    /// There is no `GET /users/{id}`: this lists all users (one request) and
    /// picks the one asked for.
    async fn get_user(&self, id: &UserId) -> Result<User> {
        let id = user_uuid(id).map_err(in_operation(Operation::GetUser))?;
        Ok(user_from_api(self.find_user(id, Operation::GetUser).await?))
    }

    /// Creates a user. The role defaults to `member`; a display name is
    /// `Unsupported` (the API stores none).
    async fn create_user(&self, user: &NewUser) -> Result<Created<User>> {
        let operation = Operation::CreateUser;
        if user.display_name.is_some() {
            return Err(self.unsupported(operation, "display names"));
        }
        let role = match &user.role {
            Some(role) => role_to_api(role).map_err(in_operation(operation))?,
            None => types::UserRole::Member,
        };
        let body = types::UserPostRequestDto {
            email: user.email.as_str().to_owned(),
            role,
            ssh_key_id: None,
        };
        let created = self
            .context()
            .call(operation, self.api.create_user_users_post(&body))
            .await?;
        Ok(Created::new(user_from_api(created)))
    }

    /// Changes the email and/or role. The API replaces the whole user, so
    /// this reads the user first (one list request) and writes back every
    /// field, keeping the assigned SSH key. Display name and status are
    /// `Unsupported`.
    async fn update_user(&self, id: &UserId, update: &UserUpdate) -> Result<User> {
        let operation = Operation::UpdateUser;
        if update.display_name.is_some() {
            return Err(self.unsupported(operation, "display names"));
        }
        if update.status.is_some() {
            return Err(self.unsupported(operation, "blocking or suspending users"));
        }
        let role = update
            .role
            .as_ref()
            .map(role_to_api)
            .transpose()
            .map_err(in_operation(operation))?;
        let uuid = user_uuid(id).map_err(in_operation(operation))?;
        let current = self.find_user(uuid, operation).await?;
        if update.is_empty() {
            return Ok(user_from_api(current));
        }
        let body = types::UserPostRequestDto {
            email: update
                .email
                .as_ref()
                .map_or(current.email, |e| e.as_str().to_owned()),
            role: role.unwrap_or(current.role),
            ssh_key_id: current.ssh_key_id,
        };
        let updated = self
            .context()
            .call(
                operation,
                self.api.update_user_users_user_id_put(&uuid, &body),
            )
            .await?;
        Ok(user_from_api(updated))
    }

    /// Deletes the user; the server also removes them from their tenant.
    async fn delete_user(&self, id: &UserId) -> Result<()> {
        let operation = Operation::DeleteUser;
        let uuid = user_uuid(id).map_err(in_operation(operation))?;
        self.context()
            .call(operation, self.api.delete_user_users_user_id_delete(&uuid))
            .await
    }

    /// `GET /users/me`. The API reports no id for the current user.
    async fn current_user(&self) -> Result<Principal> {
        let me = self
            .context()
            .call(
                Operation::CurrentUser,
                self.api.get_current_user_users_me_get(),
            )
            .await?;
        Ok(principal_from_api(me))
    }
}

#[async_trait]
impl TenantDirectory for IaasClient {
    /// The API does not paginate: the first page holds every tenant.
    async fn list_tenants_page(&self, page: PageRequest) -> Result<Page<Tenant>> {
        self.first_page_only(&page, Operation::ListTenants)?;
        let tenants = self.all_tenants(Operation::ListTenants).await?;
        let tenants = tenants.iter().map(tenant_from_api).collect::<Result<_>>();
        Ok(Page::complete(
            tenants.map_err(in_operation(Operation::ListTenants))?,
        ))
    }

    /// There is no `GET /tenants/{id}`: this lists all tenants (one request).
    async fn get_tenant(&self, id: &TenantId) -> Result<Tenant> {
        tenant_path(id).map_err(in_operation(Operation::GetTenant))?;
        tenant_from_api(&self.find_tenant(id, Operation::GetTenant).await?)
            .map_err(in_operation(Operation::GetTenant))
    }

    /// Creates a tenant, optionally with its team. Each member needs a
    /// WireGuard key and must not belong to another tenant: the server would
    /// silently move them, so this checks first (one list request, only when
    /// there are members) and answers `Conflict` instead.
    async fn create_tenant(&self, tenant: &NewTenant) -> Result<Created<Tenant>> {
        let operation = Operation::CreateTenant;
        let mut users = Vec::with_capacity(tenant.members.len());
        let mut seen = HashSet::new();
        for member in &tenant.members {
            let user_id = user_uuid(&member.user).map_err(in_operation(operation))?;
            if !seen.insert(user_id) {
                return Err(self.error(
                    ErrorKind::InvalidInput,
                    operation,
                    format!("user {user_id} is listed twice"),
                ));
            }
            let pubkey = self.membership_key(&member.membership, operation)?;
            users.push(types::TenantUserRequestDto { user_id, pubkey });
        }
        if !users.is_empty() {
            let tenants = self.all_tenants(operation).await?;
            for user in &users {
                self.check_single_tenant(&tenants, user.user_id, None, operation)?;
            }
        }
        let body = types::TenantPostRequestDto {
            name: tenant.name().to_owned(),
            users,
        };
        let created = self
            .context()
            .call(operation, self.api.post_tenant_tenants_post(&body))
            .await?;
        Ok(Created::new(
            tenant_from_api(&created).map_err(in_operation(operation))?,
        ))
    }

    async fn delete_tenant(&self, id: &TenantId) -> Result<()> {
        let operation = Operation::DeleteTenant;
        let path = tenant_path(id).map_err(in_operation(operation))?;
        self.context()
            .call(
                operation,
                self.api.delete_tenant_tenants_tenant_id_delete(path),
            )
            .await
    }
}

#[async_trait]
impl MembershipDirectory for IaasClient {
    /// Lists all tenants (one request) and returns this one's members.
    async fn list_members(&self, tenant: &TenantId) -> Result<Vec<Membership>> {
        let operation = Operation::ListMembers;
        tenant_path(tenant).map_err(in_operation(operation))?;
        memberships_from_api(&self.find_tenant(tenant, operation).await?)
            .map_err(in_operation(operation))
    }

    /// One request for any number of tenants: the tenant list carries the
    /// members. An id that is no tenant is `NotFound`.
    async fn list_members_of(&self, tenants: &[TenantId]) -> Result<Vec<Membership>> {
        let operation = Operation::ListMembers;
        for tenant in tenants {
            tenant_path(tenant).map_err(in_operation(operation))?;
        }
        let all = self.all_tenants(operation).await?;
        let mut members = Vec::new();
        for wanted in tenants {
            let tenant = all
                .iter()
                .find(|t| t.id == wanted.as_str())
                .ok_or_else(|| {
                    self.error(
                        ErrorKind::NotFound,
                        operation,
                        format!("no tenant {wanted}"),
                    )
                })?;
            members.extend(memberships_from_api(tenant).map_err(in_operation(operation))?);
        }
        Ok(members)
    }

    /// Lists all tenants (one request) and returns the user's (at most one).
    async fn list_user_memberships(&self, user: &UserId) -> Result<Vec<Membership>> {
        let operation = Operation::ListUserMemberships;
        let uuid = user_uuid(user).map_err(in_operation(operation))?;
        let mut memberships = Vec::new();
        for mut tenant in self.all_tenants(operation).await? {
            // Compare parsed UUIDs: the caller may spell the id in another
            // accepted form (upper case, no hyphens) than the server does.
            tenant.users.retain(|member| member.id == uuid);
            memberships.extend(memberships_from_api(&tenant).map_err(in_operation(operation))?);
        }
        Ok(memberships)
    }

    /// Adds the user with their WireGuard key (required; tenant roles are
    /// `Unsupported`). Reads the tenants first (one request): an unknown
    /// tenant is `NotFound`, and a user in another tenant is `Conflict`;
    /// either way nothing is written. Adding a user to the tenant they are
    /// already in sends the key again, which updates it.
    async fn add_member(
        &self,
        tenant: &TenantId,
        user: &UserId,
        request: &MembershipRequest,
    ) -> Result<Membership> {
        let operation = Operation::AddMember;
        let pubkey = self.membership_key(request, operation)?;
        let path = tenant_path(tenant).map_err(in_operation(operation))?;
        let uuid = user_uuid(user).map_err(in_operation(operation))?;
        let tenants = self.all_tenants(operation).await?;
        if !tenants.iter().any(|t| t.id == tenant.as_str()) {
            return Err(self.error(
                ErrorKind::NotFound,
                operation,
                format!("no tenant {tenant}"),
            ));
        }
        self.check_single_tenant(&tenants, uuid, Some(tenant.as_str()), operation)?;
        let body = types::TenantUserAssignRequestDto { pubkey };
        self.context()
            .call(
                operation,
                self.api
                    .assign_user_to_tenant_tenants_tenant_id_users_user_id_put(path, &uuid, &body),
            )
            .await?;
        Ok(Membership {
            tenant: tenant.clone(),
            user: canonical_user_id(uuid),
            user_email: None,
            role: None,
        })
    }

    async fn remove_member(&self, tenant: &TenantId, user: &UserId) -> Result<()> {
        let operation = Operation::RemoveMember;
        let path = tenant_path(tenant).map_err(in_operation(operation))?;
        let uuid = user_uuid(user).map_err(in_operation(operation))?;
        self.context()
            .call(
                operation,
                self.api
                    .remove_user_from_tenant_tenants_tenant_id_users_user_id_delete(path, &uuid),
            )
            .await
    }
}
