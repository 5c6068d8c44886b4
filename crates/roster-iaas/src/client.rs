//! The adapter: Roster's traits over the generated IaaS operator client.

use std::collections::HashSet;
use std::sync::Arc;

use roster_core::service::op;
use roster_core::{
    Capabilities, Checked, Connect, Created, Error, ErrorKind, Membership, MembershipRequest,
    MembershipService, Operation, Page, Principal, ProviderFields, Result, Tenant, TenantId,
    TenantService, TenantsWithMembers, User, UserId, UserService, in_operation,
};
use roster_http::ClientContext;
use serde_json::Value;
use uuid::Uuid;

use crate::config::IaasConfig;
use crate::error::describe;
use crate::generated::{self, types};
use crate::mapping::{
    ApiTenant, ApiUser, canonical_user_id, member_uuid, members_from_api, memberships_from_api,
    names_uuid, principal_from_api, role_for_write_back, role_to_api, ssh_key_from_api,
    ssh_key_uuid, ssh_keys_from_api, tenant_from_api, tenant_id, tenant_path, tenants_from_api,
    tenants_with_members_from_api, user_from_api, user_uuid, users_from_api,
};
use crate::ssh::{SshKey, SshKeyId, check_public_key};

/// The provider-specific user field `create_user` and `update_user` accept.
const SSH_KEY_FIELD: &str = "ssh_key_id";

/// The provider identifier used in errors, logs and capabilities.
pub const PROVIDER: &str = "iaas";

roster_http::impl_client_hooks!(generated::Client);

/// A Roster adapter for the NTY Gridworks IaaS operator API: [`IaasService`]
/// behind the checking step every call passes ([`Checked`]).
///
/// It implements [`UserDirectory`](roster_core::UserDirectory), [`TenantDirectory`](roster_core::TenantDirectory) and
/// [`MembershipDirectory`](roster_core::MembershipDirectory), and honours the API's rules:
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
/// Every [`User`], [`Tenant`], [`Principal`] and [`Membership`] it returns
/// carries the server's object as received in `provider_data` (for a
/// membership, the tenant's `users[]` entry), so fields Roster does not map,
/// such as a user's `ssh_key_id`, are never lost. A role the API does not
/// document is [`Role::Other`](roster_core::Role::Other) with the server's
/// word in `raw_role`.
///
/// Beyond the neutral traits it manages SSH keys:
/// [`list_ssh_keys`](IaasService::list_ssh_keys),
/// [`create_ssh_key`](IaasService::create_ssh_key),
/// [`delete_ssh_key`](IaasService::delete_ssh_key),
/// [`assign_ssh_key`](IaasService::assign_ssh_key) and
/// [`unassign_ssh_key`](IaasService::unassign_ssh_key). `create_user` and
/// `update_user` also take the key as the provider field `ssh_key_id`
/// ([`NewUser::with_field`](roster_core::NewUser::with_field)): a key id
/// assigns it, `null` unassigns it.
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
pub type IaasClient = Checked<IaasService>;

/// The IaaS operator adapter itself, behind [`IaasClient`]'s checks: its
/// rules and costs are described there. Its own methods (the SSH keys) are
/// called on an `IaasClient` directly.
#[derive(Debug, Clone)]
pub struct IaasService {
    api: Arc<generated::Client>,
}

impl Connect for IaasService {
    type Config = IaasConfig;

    fn connect(config: IaasConfig) -> Result<Self> {
        Ok(IaasService {
            api: config.endpoint.bearer_client(PROVIDER, describe)?,
        })
    }
}

impl IaasService {
    fn context(&self) -> &ClientContext {
        &self.api.inner
    }

    async fn all_users(&self, operation: Operation) -> Result<Vec<ApiUser>> {
        self.context()
            .call(operation, self.api.list_users_users_get())
            .await
    }

    async fn all_tenants(&self, operation: Operation) -> Result<Vec<ApiTenant>> {
        self.context()
            .call(operation, self.api.list_tenants_tenants_get())
            .await
    }

    /// The user with this id, compared as UUIDs: the caller may spell it in
    /// another accepted form (upper case, no hyphens) than the server does.
    async fn find_user(&self, id: Uuid, operation: Operation) -> Result<ApiUser> {
        // On the stack: this runs on every single-user read.
        let mut buffer = Uuid::encode_buffer();
        let canonical = id.hyphenated().encode_lower(&mut buffer);
        let users = self.all_users(operation).await?;
        self.context().pick(operation, users, "user", &id, |user| {
            names_uuid(&user.id, id, canonical)
        })
    }

    async fn find_tenant(&self, id: &TenantId, operation: Operation) -> Result<ApiTenant> {
        let tenants = self.all_tenants(operation).await?;
        self.context()
            .pick(operation, tenants, "tenant", id, |tenant| {
                tenant.id == id.as_str()
            })
    }

    /// Tags an error from mapping an answer (or using a value from it) with
    /// where it happened, redacting its message.
    fn decoded(&self, operation: Operation) -> impl Fn(Error) -> Error + '_ {
        move |err| self.context().error(err.kind(), operation, err.message())
    }

    /// The WireGuard key of a membership request (the checking step has
    /// refused a request without one already).
    fn membership_key(&self, request: &MembershipRequest, operation: Operation) -> Result<String> {
        request
            .wireguard_key
            .as_ref()
            .map(|key| key.as_str().to_owned())
            .ok_or_else(|| {
                self.context().error(
                    ErrorKind::InvalidInput,
                    operation,
                    "an IaaS membership needs the user's WireGuard public key",
                )
            })
    }

    /// Refuses to touch a user who already belongs to a tenant other than
    /// `target` (if any): the API allows one tenant per user.
    fn check_single_tenant(
        &self, tenants: &[ApiTenant], user: Uuid, target: Option<&str>, operation: Operation,
    ) -> Result<()> {
        match tenants
            .iter()
            .find(|t| t.users.iter().any(|u| member_uuid(u) == Some(user)))
        {
            Some(current) if Some(current.id.as_str()) != target => Err(self.context().error(
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

    /// `PUT /tenants/{tenant}/users/{user}` with the WireGuard key.
    async fn put_member(
        &self, tenant: &str, user: Uuid, pubkey: String, operation: Operation,
    ) -> Result<()> {
        let body = types::TenantUserAssignRequestDto { pubkey };
        self.context()
            .call(
                operation,
                self.api
                    .assign_user_to_tenant_tenants_tenant_id_users_user_id_put(
                        tenant, &user, &body,
                    ),
            )
            .await
    }

    /// `PUT /users/{id}`: the API replaces the whole user, so `current` (as
    /// the server last sent it) fills in every field the caller did not
    /// name, and nothing else changes.
    async fn put_user(
        &self, uuid: Uuid, current: &ApiUser, change: UserChange, operation: Operation,
    ) -> Result<User> {
        let role = match change.role {
            Some(role) => role,
            None => role_for_write_back(&current.role).ok_or_else(|| {
                self.context().error(
                    ErrorKind::Unsupported,
                    operation,
                    format!(
                        "user {uuid} has the role {:?}, which the API takes no request value \
                         for; every update sends the whole user, so name the role to set (admin \
                         or member) in the same update",
                        current.role
                    ),
                )
            })?,
        };
        let ssh_key_id = match change.ssh_key {
            Some(key) => key,
            None => current
                .ssh_key_id
                .as_deref()
                .map(|id| {
                    Uuid::parse_str(id).map_err(|_| {
                        self.context().error(
                            ErrorKind::Decode,
                            operation,
                            format!(
                                "user {uuid} has the SSH key id {id:?}, which is not a UUID, so \
                                 an update cannot send it back"
                            ),
                        )
                    })
                })
                .transpose()?,
        };
        let body = types::UserPostRequestDto {
            email: change.email.unwrap_or_else(|| current.email.clone()),
            role,
            ssh_key_id,
        };
        let updated = self
            .context()
            .call(
                operation,
                self.api.update_user_users_user_id_put(&uuid, &body),
            )
            .await?;
        user_from_api(updated).map_err(self.decoded(operation))
    }

    // ---------- SSH keys ----------

    /// `GET /sshkeys`: every SSH key the server stores, each with the
    /// server's object as its `provider_data`. A key with an empty id fails
    /// the list with `Decode`, naming its position.
    pub async fn list_ssh_keys(&self) -> Result<Vec<SshKey>> {
        let operation = Operation::ListSshKeys;
        let keys = self
            .context()
            .call(operation, self.api.list_ssh_keys_sshkeys_get())
            .await?;
        ssh_keys_from_api(&keys).map_err(self.decoded(operation))
    }

    /// `POST /sshkeys`: uploads a public key in OpenSSH format
    /// (`ssh-ed25519 AAAA… user@host`). Surrounding whitespace, such as the
    /// newline a `.pub` file ends with, is not sent. A blank value, more
    /// than one line, or a second field that is not an OpenSSH key blob of
    /// the named type is `InvalidInput`, and nothing is sent; a key the
    /// server refuses (400) is `InvalidInput` with the server's detail.
    ///
    /// Like every SSH-key method, this is the client's own, outside the
    /// neutral traits, so the layers of a `Stack` do not wrap it. Do not
    /// re-send it blindly after a timeout: a key has no natural key to look
    /// a lost upload up by, and a second upload may store it twice.
    pub async fn create_ssh_key(&self, public_key: &str) -> Result<Created<SshKey>> {
        let operation = Operation::CreateSshKey;
        let public_key = check_public_key(public_key).map_err(in_operation(PROVIDER, operation))?;
        let body = types::SshKeysRequestDto {
            public_key: public_key.to_owned(),
        };
        let created = self
            .context()
            .call(operation, self.api.create_ssh_key_sshkeys_post(&body))
            .await?;
        Ok(Created::new(
            ssh_key_from_api(&created).map_err(self.decoded(operation))?,
        ))
    }

    /// `DELETE /sshkeys/{key_id}`. While the key is assigned to a user the
    /// server keeps it and answers 409, which is
    /// [`Conflict`](ErrorKind::Conflict) with the server's detail: unassign
    /// it first ([`unassign_ssh_key`](IaasService::unassign_ssh_key)). An id
    /// that is not a UUID is `InvalidInput`, and nothing is sent.
    pub async fn delete_ssh_key(&self, id: &SshKeyId) -> Result<()> {
        let operation = Operation::DeleteSshKey;
        let key = ssh_key_uuid(id).map_err(in_operation(PROVIDER, operation))?;
        self.context()
            .call(
                operation,
                self.api.delete_ssh_key_sshkeys_key_id_delete(&key),
            )
            .await
    }

    /// Assigns the SSH key to the user (their `ssh_key_id`), replacing any
    /// key they had. The API replaces the whole user, so this reads the
    /// user first (one list request) and writes back their email and role
    /// exactly as the server sent them; when the key is already theirs,
    /// nothing is written. Ids that are not UUIDs are `InvalidInput`, and
    /// nothing is sent.
    pub async fn assign_ssh_key(&self, user: &UserId, key: &SshKeyId) -> Result<User> {
        let operation = Operation::AssignSshKey;
        let key = ssh_key_uuid(key).map_err(in_operation(PROVIDER, operation))?;
        self.set_ssh_key(user, Some(key), operation).await
    }

    /// Unassigns the user's SSH key: the update sends `"ssh_key_id": null`
    /// and the user's email and role as the server sent them. A user with no
    /// key is left alone (one read, no write).
    pub async fn unassign_ssh_key(&self, user: &UserId) -> Result<User> {
        self.set_ssh_key(user, None, Operation::AssignSshKey).await
    }

    async fn set_ssh_key(
        &self, user: &UserId, key: Option<Uuid>, operation: Operation,
    ) -> Result<User> {
        let uuid = user_uuid(user).map_err(in_operation(PROVIDER, operation))?;
        let current = self.find_user(uuid, operation).await?;
        let unchanged = match (current.ssh_key_id.as_deref(), key) {
            (None, None) => true,
            (Some(held), Some(key)) => Uuid::parse_str(held).ok() == Some(key),
            _ => false,
        };
        if unchanged {
            return user_from_api(current).map_err(self.decoded(operation));
        }
        let change = UserChange {
            ssh_key: Some(key),
            ..UserChange::default()
        };
        self.put_user(uuid, &current, change, operation).await
    }
}

/// What an update changes; `None` keeps the server's value.
#[derive(Default)]
struct UserChange {
    email: Option<String>,
    role: Option<types::UserRole>,
    /// `Some(None)` unassigns the key.
    ssh_key: Option<Option<Uuid>>,
}

/// The `ssh_key_id` provider field of a create or an update: `None` when
/// unset, `Some(None)` for `null` (no key), `Some(Some(id))` for a key id.
fn ssh_key_field(fields: &ProviderFields) -> Result<Option<Option<Uuid>>> {
    fields.check(&[SSH_KEY_FIELD])?;
    match fields.get(SSH_KEY_FIELD) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(id)) => {
            let id = SshKeyId::new(id.as_str())?;
            Ok(Some(Some(ssh_key_uuid(&id)?)))
        }
        Some(other) => Err(Error::invalid_input(format!(
            "field \"{SSH_KEY_FIELD}\" must be an SSH key id or null, got {other}"
        ))),
    }
}

// `ssh_key_id`: an SSH key id (a UUID) to assign, or `null` for none.
roster_core::impl_provider! {
    IaasService, id: PROVIDER, capabilities: |_| capabilities(),
    user_fields: &[SSH_KEY_FIELD],
    request_timeout: |service| service.context().request_timeout()
}

/// What the IaaS operator API supports.
pub fn capabilities() -> Capabilities {
    roster_core::capabilities! {
        supported: [list_users, get_user, create_user, update_user, update_email, update_role,
            user_roles, delete_user, delete_user_cascades_memberships, current_user, list_tenants,
            get_tenant, create_tenant, create_tenant_with_members, delete_tenant, list_members,
            list_user_memberships, add_member, remove_member, membership_requires_wireguard_key],
        unsupported: [server_side_pagination, create_is_invitation, update_status,
            user_display_name, update_display_name, multiple_roles_per_user, membership_roles],
        max_tenants_per_user: Some(1),
    }
}

impl UserService for IaasService {
    /// The API does not paginate: the first page holds every user, and there
    /// is never a next page. A cursor (which this adapter never hands out)
    /// is refused.
    async fn list_users_page(&self, args: op::ListUsers) -> Result<Page<User>> {
        let users = self.all_users(args.operation()).await?;
        Ok(Page::complete(
            users_from_api(users).map_err(self.decoded(args.operation()))?,
        ))
    }

    /// There is no `GET /users/{id}`: this lists all users (one request) and
    /// picks the one asked for.
    async fn get_user(&self, args: op::GetUser<'_>) -> Result<User> {
        let id = user_uuid(args.id())?;
        user_from_api(self.find_user(id, args.operation()).await?)
            .map_err(self.decoded(args.operation()))
    }

    /// Creates a user. The role defaults to `member`; the provider field
    /// `ssh_key_id` assigns an SSH key in the same request (no key
    /// otherwise). A display name or several roles are `Unsupported` (the
    /// API stores neither).
    async fn create_user(&self, args: op::CreateUser<'_>) -> Result<Created<User>> {
        let role = match &args.user().role {
            Some(role) => role_to_api(role)?,
            None => types::UserRole::Member,
        };
        let ssh_key_id = ssh_key_field(&args.user().fields)?.flatten();
        let body = types::UserPostRequestDto {
            email: args.user().email.as_str().to_owned(),
            role,
            ssh_key_id,
        };
        let created = self
            .context()
            .call(args.operation(), self.api.create_user_users_post(&body))
            .await?;
        Ok(Created::new(
            user_from_api(created).map_err(self.decoded(args.operation()))?,
        ))
    }

    /// Changes the email, the role and/or the SSH key (the provider field
    /// `ssh_key_id`: a key id, or `null` to unassign). The API replaces the
    /// whole user, so this reads the user first (one list request) and
    /// writes back every field the update does not name exactly as the
    /// server sent it, the assigned SSH key included. A user whose role the
    /// API documents no request value for can only be updated together
    /// with a new role (`Unsupported` otherwise, nothing sent). Display
    /// name, status and several roles are `Unsupported`.
    async fn update_user(&self, args: op::UpdateUser<'_>) -> Result<User> {
        let role = args.update().role.as_ref().map(role_to_api).transpose()?;
        let ssh_key = ssh_key_field(&args.update().fields)?;
        let uuid = user_uuid(args.id())?;
        let current = self.find_user(uuid, args.operation()).await?;
        if args.update().is_empty() {
            return user_from_api(current).map_err(self.decoded(args.operation()));
        }
        let change = UserChange {
            email: args.update().email.as_ref().map(|e| e.as_str().to_owned()),
            role,
            ssh_key,
        };
        self.put_user(uuid, &current, change, args.operation())
            .await
    }

    /// Deletes the user; the server also removes them from their tenant.
    async fn delete_user(&self, args: op::DeleteUser<'_>) -> Result<()> {
        let uuid = user_uuid(args.id())?;
        self.context()
            .call(
                args.operation(),
                self.api.delete_user_users_user_id_delete(&uuid),
            )
            .await
    }

    /// `GET /users/me`. The API reports no id for the current user.
    async fn current_user(&self, args: op::CurrentUser) -> Result<Principal> {
        let me = self
            .context()
            .call(args.operation(), self.api.get_current_user_users_me_get())
            .await?;
        Ok(principal_from_api(&me))
    }
}

impl TenantService for IaasService {
    /// The API does not paginate: the first page holds every tenant.
    async fn list_tenants_page(&self, args: op::ListTenants) -> Result<Page<Tenant>> {
        let tenants = self.all_tenants(args.operation()).await?;
        Ok(Page::complete(
            tenants_from_api(&tenants).map_err(self.decoded(args.operation()))?,
        ))
    }

    /// There is no `GET /tenants/{id}`: this lists all tenants (one request).
    async fn get_tenant(&self, args: op::GetTenant<'_>) -> Result<Tenant> {
        tenant_from_api(&self.find_tenant(args.id(), args.operation()).await?)
            .map_err(self.decoded(args.operation()))
    }

    /// Creates a tenant, optionally with its team. Each member needs a
    /// WireGuard key and must not belong to another tenant: the server would
    /// silently move them, so this checks first (one list request, only when
    /// there are members) and answers `Conflict` instead.
    ///
    /// The team goes in the create's `users`, and the answer's `users` are
    /// checked. A server on the 2025-11 API ignores `users` (it predates
    /// them): every member missing from the answer is then added with the
    /// membership call (`PUT /tenants/{id}/users/{user}` with their key, one
    /// request each, in the order given), so the tenant ends up with its
    /// team on either API version. The returned tenant's `provider_data` is
    /// the create answer as received. If one of those additions fails, the
    /// error (tagged `AddMember`) says so; the tenant exists, with the
    /// members added before it.
    async fn create_tenant(&self, args: op::CreateTenant<'_>) -> Result<Created<Tenant>> {
        let mut users = Vec::with_capacity(args.tenant().members.len());
        let mut seen = HashSet::new();
        for member in &args.tenant().members {
            let user_id = user_uuid(&member.user)?;
            if !seen.insert(user_id) {
                return Err(self.context().error(
                    ErrorKind::InvalidInput,
                    args.operation(),
                    format!("user {user_id} is listed twice"),
                ));
            }
            let pubkey = self.membership_key(&member.membership, args.operation())?;
            users.push(types::TenantUserRequestDto { user_id, pubkey });
        }
        if !users.is_empty() {
            let tenants = self.all_tenants(args.operation()).await?;
            for user in &users {
                self.check_single_tenant(&tenants, user.user_id, None, args.operation())?;
            }
        }
        let body = types::TenantPostRequestDto {
            name: args.tenant().name().to_owned(),
            users,
        };
        let created = self
            .context()
            .call(args.operation(), self.api.post_tenant_tenants_post(&body))
            .await?;
        let mapped = tenant_from_api(&created).map_err(self.decoded(args.operation()))?;
        self.add_ignored_members(&mapped, &created, body.users)
            .await?;
        Ok(Created::new(mapped))
    }

    async fn delete_tenant(&self, args: op::DeleteTenant<'_>) -> Result<()> {
        let path = tenant_path(args.id())?;
        self.context()
            .call(
                args.operation(),
                self.api.delete_tenant_tenants_tenant_id_delete(path),
            )
            .await
    }
}

impl IaasService {
    /// Adds, one membership call each, the requested members a tenant
    /// create answered without (a 2025-11 server ignores `users`).
    async fn add_ignored_members(
        &self, tenant: &Tenant, answer: &ApiTenant, requested: Vec<types::TenantUserRequestDto>,
    ) -> Result<()> {
        let operation = Operation::AddMember;
        let present: HashSet<Uuid> = answer.users.iter().filter_map(member_uuid).collect();
        let missing: Vec<_> = requested
            .into_iter()
            .filter(|user| !present.contains(&user.user_id))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let path = tenant_path(&tenant.id).map_err(self.decoded(operation))?;
        for (added, user) in missing.into_iter().enumerate() {
            let user_id = user.user_id;
            self.put_member(path, user_id, user.pubkey, operation)
                .await
                .map_err(|err| {
                    err.partly_done()
                        .with_context(self.context().redactor().redact(&format!(
                            "tenant {} ({}) was created, but the server ignored its users; \
                             adding user {user_id} afterwards failed ({added} added before)",
                            tenant.id, tenant.name
                        )))
                })?;
        }
        Ok(())
    }
}

impl MembershipService for IaasService {
    /// Lists all tenants (one request) and returns this one's members, in
    /// one page: the API does not paginate. A cursor (which this adapter
    /// never hands out) is refused.
    async fn list_members_page(&self, args: op::ListMembers<'_>) -> Result<Page<Membership>> {
        memberships_from_api(self.find_tenant(args.tenant(), args.operation()).await?)
            .map(Page::complete)
            .map_err(self.decoded(args.operation()))
    }

    /// One request for any number of tenants: the tenant list carries the
    /// members. An id that is no tenant is `NotFound`.
    async fn list_members_of(&self, args: op::ListMembersOf<'_>) -> Result<Vec<Membership>> {
        let all = self.all_tenants(args.operation()).await?;
        let mut members = Vec::new();
        for wanted in args.tenants() {
            let tenant = all
                .iter()
                .find(|t| t.id == wanted.as_str())
                .ok_or_else(|| {
                    self.context().error(
                        ErrorKind::NotFound,
                        args.operation(),
                        format!("no tenant {wanted}"),
                    )
                })?;
            members.extend(
                tenant_id(tenant)
                    .and_then(|id| members_from_api(&id, tenant.users.iter().cloned()))
                    .map_err(self.decoded(args.operation()))?,
            );
        }
        Ok(members)
    }

    /// One request: the tenant list carries every tenant's members.
    async fn list_tenants_with_members(
        &self, args: op::ListTenantsWithMembers,
    ) -> Result<Option<TenantsWithMembers>> {
        let all = self.all_tenants(args.operation()).await?;
        let (tenants, members) =
            tenants_with_members_from_api(all).map_err(self.decoded(args.operation()))?;
        Ok(Some(TenantsWithMembers::new(tenants, members)))
    }

    /// Lists all tenants (one request) and returns the user's (at most one).
    async fn list_user_memberships(
        &self, args: op::ListUserMemberships<'_>,
    ) -> Result<Vec<Membership>> {
        let uuid = user_uuid(args.user())?;
        let user = canonical_user_id(uuid);
        let mut memberships = Vec::new();
        for tenant in self.all_tenants(args.operation()).await? {
            // The mapped ids are canonical, so any accepted spelling of the
            // caller's id (upper case, no hyphens) matches.
            let mut members =
                memberships_from_api(tenant).map_err(self.decoded(args.operation()))?;
            members.retain(|member| member.user == user);
            memberships.extend(members);
        }
        Ok(memberships)
    }

    /// Adds the user with their WireGuard key (required; tenant roles are
    /// `Unsupported`). Reads the tenants first (one request): an unknown
    /// tenant is `NotFound`, and a user in another tenant is `Conflict`;
    /// either way nothing is written. Adding a user to the tenant they are
    /// already in sends the key again, which updates it. The server answers
    /// 204 with no body, so the membership has no `provider_data`.
    ///
    /// A request that says where the user is
    /// ([`MembershipRequest::known_tenants`], as apply passes from its
    /// snapshot) is checked against that instead, and the tenants are not
    /// read: a user known to be in another tenant is `Conflict` and nothing
    /// is sent; an unknown tenant is the server's 404, `NotFound`.
    async fn add_member(&self, args: op::AddMember<'_>) -> Result<Membership> {
        let pubkey = self.membership_key(args.request(), args.operation())?;
        let path = tenant_path(args.tenant())?;
        let uuid = user_uuid(args.user())?;
        if let Some(known) = &args.request().known_tenants {
            if let Some(other) = known.iter().find(|t| *t != args.tenant()) {
                return Err(self.context().error(
                    ErrorKind::Conflict,
                    args.operation(),
                    format!(
                        "user {uuid} already belongs to tenant {other}; a user can be in one \
                         tenant at a time, so move them with move_user"
                    ),
                ));
            }
            self.put_member(path, uuid, pubkey, args.operation())
                .await?;
            return Ok(Membership::new(
                args.tenant().clone(),
                canonical_user_id(uuid),
            ));
        }
        let tenants = self.all_tenants(args.operation()).await?;
        if !tenants.iter().any(|t| t.id == args.tenant().as_str()) {
            return Err(self.context().error(
                ErrorKind::NotFound,
                args.operation(),
                format!("no tenant {}", args.tenant()),
            ));
        }
        self.check_single_tenant(
            &tenants,
            uuid,
            Some(args.tenant().as_str()),
            args.operation(),
        )?;
        self.put_member(path, uuid, pubkey, args.operation())
            .await?;
        Ok(Membership::new(
            args.tenant().clone(),
            canonical_user_id(uuid),
        ))
    }

    async fn remove_member(&self, args: op::RemoveMember<'_>) -> Result<()> {
        let path = tenant_path(args.tenant())?;
        let uuid = user_uuid(args.user())?;
        self.context()
            .call(
                args.operation(),
                self.api
                    .remove_user_from_tenant_tenants_tenant_id_users_user_id_delete(path, &uuid),
            )
            .await
    }
}
