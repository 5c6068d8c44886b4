//! The adapter: Roster's traits over the generated Astra DevOps client.

use std::sync::{Arc, Mutex};

use roster_core::service::op;
use roster_core::{
    Capabilities, Checked, Connect, CreateOutcome, Created, Email, Error, ErrorKind, Membership,
    MembershipService, Operation, Page, Raw, Result, RoleSpec, Tenant, TenantId, TenantService,
    User, UserService, in_operation,
};
use roster_http::ClientContext;

use crate::PROVIDER;
use crate::config::AstraConfig;
use crate::error::describe;
use crate::generated::{self, types};
use crate::mapping::{
    is_invited, maps_to_neutral, membership_from_api, memberships_from_api, org_id, path_id,
    requested_role_name, tenant_from_api, user_from_api, users_from_api,
};
use crate::roles::{NewRole, OrgRole, RoleUpdate};
use crate::wire;

roster_http::impl_client_hooks!(generated::Client);

/// A Roster adapter for the DataStax Astra DevOps API.
///
/// An application token belongs to one organization, and that organization
/// is the only tenant this adapter sees. It maps Astra's rules like this:
///
/// - **Reading** maps every status: `active` and `invited` to their neutral
///   words, anything else to [`Other`](roster_core::UserStatus::Other) with
///   the word in `raw_status`, and a missing status to
///   [`MISSING_STATUS`](crate::MISSING_STATUS). Every user, member and the
///   organization carry the JSON the server sent (`provider_data`). Only a
///   user without an id fails a list (`Decode`, naming its position).
/// - **Custom roles** are the adapter's own methods: [`roles`](AstraService::roles),
///   [`role`](AstraService::role), [`create_role`](AstraService::create_role),
///   [`update_role`](AstraService::update_role) and
///   [`delete_role`](AstraService::delete_role), each with its own
///   [`Operation`].
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
///   get [`DEFAULT_ROLE`](crate::DEFAULT_ROLE). An invitation carries every
///   role asked for ([`NewUser::role`](roster_core::NewUser::role) and
///   [`NewUser::additional_roles`](roster_core::NewUser::additional_roles)).
///   Names are resolved to UUIDs from `GET /v2/organizations/roles`, cached
///   per client (clones share it) and reloaded once when a name is missing.
///   An unknown name is [`InvalidInput`](ErrorKind::InvalidInput) and
///   nothing is written.
/// - **Updating** with [`UserUpdate::role`](roster_core::UserUpdate::role)
///   replaces only the user's roles that stand for a neutral role
///   (Organization Administrator, R/W User, Read Only User, Billing
///   Administrator) and keeps every other role they hold;
///   [`UserUpdate::roles`](roster_core::UserUpdate::roles) (`replace_roles`)
///   replaces them all.
///   Either way the whole new set goes out in one `PUT …/roles`. Email,
///   display name and status are [`Unsupported`](ErrorKind::Unsupported);
///   Astra takes no provider-specific `fields` (`InvalidInput`).
/// - **Deleting** removes a member or withdraws an invitation.
/// - **Tenants**: listing answers the token's organization; reading works
///   for its id only; creating and deleting are `Unsupported`.
/// - **Memberships**: the members of the organization are its users; adding
///   a member is an invitation (it re-sends a pending one, and changes
///   nothing for an active member); removing one deletes the user from the
///   organization. A user id exists only for someone already invited, so
///   new people join through [`create_user`](roster_core::UserDirectory::create_user).
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
pub type AstraClient = Checked<AstraService>;

/// The Astra adapter itself, behind [`AstraClient`]'s checks: its rules and
/// costs are described there. Its own methods (custom roles) are called on
/// an `AstraClient` directly.
#[derive(Debug, Clone)]
pub struct AstraService {
    api: Arc<generated::Client>,
    roles: Arc<Mutex<Option<Vec<OrgRole>>>>,
}

impl Connect for AstraService {
    type Config = AstraConfig;

    fn connect(config: AstraConfig) -> Result<Self> {
        Ok(AstraService {
            api: config.endpoint.bearer_client(PROVIDER, describe)?,
            roles: Arc::new(Mutex::new(None)),
        })
    }
}

impl AstraService {
    fn context(&self) -> &ClientContext {
        &self.api.inner
    }

    /// Tags an error about a server answer that could not be mapped. Its
    /// message may quote the answer, so it is redacted like a body snippet.
    fn decoded(&self, operation: Operation) -> impl Fn(Error) -> Error + '_ {
        move |err| {
            let message = self.context().redactor().redact(err.message());
            self.context().error(err.kind(), operation, message)
        }
    }

    /// Every role of the organization, built-in and custom, read now
    /// (`GET /v2/organizations/roles`, one request); this also refreshes the
    /// cache role names are resolved from. Errors name
    /// [`Operation::ListRoles`].
    pub async fn roles(&self) -> Result<Vec<OrgRole>> {
        self.load_roles(Operation::ListRoles).await
    }

    /// One role by its UUID (`GET /v2/organizations/roles/{roleID}`); an
    /// unknown id is `NotFound`. Errors name [`Operation::GetRole`].
    pub async fn role(&self, id: &str) -> Result<OrgRole> {
        self.read_role(id, Operation::GetRole).await
    }

    /// Creates a custom role (`POST /v2/organizations/roles`, one request)
    /// and returns it as the server answered. A blank name or effect is
    /// `InvalidInput` and nothing is sent; a name already taken is
    /// `AlreadyExists` (`409`). The role is usable by name at once: the
    /// cache takes it. Errors name [`Operation::CreateRole`].
    pub async fn create_role(&self, role: &NewRole) -> Result<Created<OrgRole>> {
        let operation = Operation::CreateRole;
        let body = role.body().map_err(in_operation(PROVIDER, operation))?;
        let created = self
            .context()
            .call(operation, self.api.add_organization_role(&body))
            .await?;
        let created = OrgRole::from_api(created);
        self.cache_role(&created);
        Ok(Created::new(created))
    }

    /// Changes a custom role. The published update replaces the whole role
    /// (`PUT /v2/organizations/roles/{roleID}` with name and policy), so the
    /// adapter reads the role first and sends its current value for every
    /// part `update` does not name; then it reads the role back. Costs: read,
    /// write, read; an empty update only reads. A blank name or effect is
    /// `InvalidInput`, and when the role's current policy cannot be read
    /// (a policy string that is not JSON) the update must name the whole
    /// policy, else `InvalidInput`; either way nothing is written. Errors
    /// name [`Operation::UpdateRole`].
    pub async fn update_role(&self, id: &str, update: &RoleUpdate) -> Result<OrgRole> {
        let operation = Operation::UpdateRole;
        update.check().map_err(in_operation(PROVIDER, operation))?;
        let id = path_id("role id", id).map_err(in_operation(PROVIDER, operation))?;
        let current = self.read_role(id, operation).await?;
        if update.is_empty() {
            return Ok(current);
        }
        if current.policy.is_none() && has_policy(&current) && !update.names_whole_policy() {
            return Err(self.context().error(
                ErrorKind::InvalidInput,
                operation,
                format!(
                    "role {id}'s current policy could not be read, so it cannot be kept; \
                     name its description, resources, actions and effect"
                ),
            ));
        }
        let body = update
            .merged(&current)
            .map_err(in_operation(PROVIDER, operation))?;
        self.context()
            .call(operation, self.api.update_role(id, &body))
            .await?;
        // Whatever happens next, the cached copy is stale.
        self.forget_role(id);
        let updated = self.read_role(id, operation).await?;
        self.cache_role(&updated);
        Ok(updated)
    }

    /// Deletes a custom role (`DELETE /v2/organizations/roles/{roleID}`,
    /// one request); an unknown id is `NotFound`. The cache forgets it.
    /// Errors name [`Operation::DeleteRole`].
    pub async fn delete_role(&self, id: &str) -> Result<()> {
        let operation = Operation::DeleteRole;
        let id = path_id("role id", id).map_err(in_operation(PROVIDER, operation))?;
        self.context()
            .call(operation, self.api.delete_organization_role(id))
            .await?;
        self.forget_role(id);
        Ok(())
    }

    async fn read_role(&self, id: &str, operation: Operation) -> Result<OrgRole> {
        let id = path_id("role id", id).map_err(in_operation(PROVIDER, operation))?;
        let role = self
            .context()
            .call(operation, self.api.get_organization_role(id))
            .await?;
        let mut role = OrgRole::from_api(role);
        // The answer may leave the id out; it is the one asked for.
        role.id.get_or_insert_with(|| id.to_owned());
        Ok(role)
    }

    /// Puts a role the server just answered into the cache (when the cache
    /// is loaded; otherwise the next use loads it whole).
    fn cache_role(&self, role: &OrgRole) {
        let Some(id) = role.id.as_deref() else {
            // Without an id it cannot be resolved to one: reload next time.
            *lock(&self.roles) = None;
            return;
        };
        if let Some(roles) = lock(&self.roles).as_mut() {
            match roles.iter_mut().find(|r| r.id.as_deref() == Some(id)) {
                Some(cached) => cached.clone_from(role),
                None => roles.push(role.clone()),
            }
        }
    }

    fn forget_role(&self, id: &str) {
        if let Some(roles) = lock(&self.roles).as_mut() {
            roles.retain(|r| r.id.as_deref() != Some(id));
        }
    }

    async fn load_roles(&self, operation: Operation) -> Result<Vec<OrgRole>> {
        let roles: Vec<OrgRole> = self
            .context()
            .call(operation, self.api.get_organization_roles())
            .await?
            .into_iter()
            .map(OrgRole::from_api)
            .collect();
        *lock(&self.roles) = Some(roles.clone());
        Ok(roles)
    }

    /// The UUID of the role named `name` (or with that id), from the cache,
    /// else from a fresh role list, read at most once per call; `None` when
    /// the organization has no such role.
    async fn find_role_id(&self, name: &str, operation: Operation) -> Result<Option<String>> {
        if let Some(id) = lock(&self.roles)
            .as_deref()
            .and_then(|r| find_role(r, name))
        {
            return Ok(Some(id));
        }
        let roles = self.load_roles(operation).await?;
        Ok(find_role(&roles, name))
    }

    /// Like `find_role_id`, but an unknown name is `InvalidInput`, listing
    /// the roles there are.
    async fn role_id(&self, name: &str, operation: Operation) -> Result<String> {
        if let Some(id) = self.find_role_id(name, operation).await? {
            return Ok(id);
        }
        let known: Vec<String> = lock(&self.roles)
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r.name.clone())
            .collect();
        Err(self.context().error(
            ErrorKind::InvalidInput,
            operation,
            format!(
                "the organization has no role {name:?}; its roles are: {}",
                known.join(", ")
            ),
        ))
    }

    /// The UUIDs of every role asked for, in order, without repeats.
    async fn role_ids(&self, names: &[String], operation: Operation) -> Result<Vec<String>> {
        let mut ids = Vec::with_capacity(names.len());
        for name in names {
            push_unique(&mut ids, self.role_id(name, operation).await?);
        }
        Ok(ids)
    }

    /// The UUID of a role a user holds: the one sent, else the one its name
    /// resolves to. A role with neither cannot be sent back, so a write
    /// that must keep it stops with `Conflict` before it is made.
    async fn held_role_id(
        &self, user: &str, role: &wire::Role, operation: Operation,
    ) -> Result<String> {
        if let Some(id) = role.id() {
            return Ok(id.to_owned());
        }
        if let Some(name) = role.name.as_deref()
            && let Some(id) = self.find_role_id(name, operation).await?
        {
            return Ok(id);
        }
        Err(self.context().error(
            ErrorKind::Conflict,
            operation,
            format!(
                "user {user} holds a role the server sent without an id{}, so it cannot be \
                 kept; replace every role with UserUpdate::replace_roles",
                role.name
                    .as_deref()
                    .map(|n| format!(" whose name {n:?} is not in the role list"))
                    .unwrap_or_default()
            ),
        ))
    }

    /// The UUIDs of every role in `roles`, in order, without repeats.
    async fn held_role_ids<'a>(
        &self, user: &str, roles: impl IntoIterator<Item = &'a wire::Role>, operation: Operation,
    ) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for role in roles {
            push_unique(&mut ids, self.held_role_id(user, role, operation).await?);
        }
        Ok(ids)
    }

    /// The UUIDs a user holds, where every one is known without a request.
    fn known_role_ids(&self, roles: &[wire::Role]) -> Option<Vec<String>> {
        let cache = lock(&self.roles);
        let mut ids = Vec::new();
        for role in roles {
            let id = match role.id() {
                Some(id) => id.to_owned(),
                None => find_role(cache.as_deref()?, role.name.as_deref()?)?,
            };
            push_unique(&mut ids, id);
        }
        Some(ids)
    }

    async fn org_users(&self, operation: Operation) -> Result<wire::OrgUsers> {
        self.context()
            .call(operation, self.api.get_organization_users())
            .await
    }

    async fn org_user(&self, id: &str, operation: Operation) -> Result<Raw<wire::OrgUser>> {
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
        self.context().error(
            ErrorKind::NotFound,
            operation,
            format!("no organization {tenant}: an Astra token sees only its own organization"),
        )
    }

    async fn invite(
        &self, email: &str, org: &str, roles: Vec<String>, operation: Operation,
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

/// The id of the role named `name` (or with that id); roles without an id
/// cannot be assigned, so they never answer.
fn find_role(roles: &[OrgRole], name: &str) -> Option<String> {
    roles
        .iter()
        .filter(|r| r.answers_to(name))
        .find_map(|r| r.id.clone())
}

fn find_by_email<'a>(
    users: &'a [Raw<wire::OrgUser>], email: &Email,
) -> Option<&'a Raw<wire::OrgUser>> {
    users
        .iter()
        .find(|u| u.email.as_deref().is_some_and(|e| email.matches(e)))
}

fn push_unique(ids: &mut Vec<String>, id: String) {
    if !ids.contains(&id) {
        ids.push(id);
    }
}

/// Whether the role's JSON has a policy (of whatever shape).
fn has_policy(role: &OrgRole) -> bool {
    role.provider_data.as_ref().is_some_and(|data| {
        ["Policy", "policy"]
            .iter()
            .any(|key| data.field(key).is_some_and(|v| !v.is_null()))
    })
}

/// The Astra role names asked for, checked before anything is sent.
fn requested_names<'a>(roles: impl IntoIterator<Item = &'a RoleSpec>) -> Result<Vec<String>> {
    roles
        .into_iter()
        .map(|role| requested_role_name(Some(role)))
        .collect()
}

roster_core::impl_provider! { AstraService, id: PROVIDER, capabilities: |_| capabilities(),
    request_timeout: |service| service.context().request_timeout()
}

/// What the Astra DevOps adapter supports.
pub fn capabilities() -> Capabilities {
    // `multiple_roles_per_user`: invitations and role changes carry a set of
    // role ids. `delete_user_cascades_memberships`: a user exists here only as
    // a member of the organization. `max_tenants_per_user`: a person can
    // belong to several Astra organizations, but one token sees only one.
    roster_core::capabilities! {
        supported: [list_users, get_user, create_user, create_is_invitation, update_user,
            update_role, user_roles, multiple_roles_per_user, delete_user,
            delete_user_cascades_memberships, list_tenants, get_tenant, list_members,
            list_user_memberships, add_member, remove_member],
        unsupported: [server_side_pagination, update_email, update_status, user_display_name,
            update_display_name, current_user, create_tenant, create_tenant_with_members,
            delete_tenant, membership_roles, membership_requires_wireguard_key],
        max_tenants_per_user: None,
    }
}

impl UserService for AstraService {
    /// Active and invited users, in one page (the API does not paginate).
    async fn list_users_page(&self, args: op::ListUsers) -> Result<Page<User>> {
        let users = self.org_users(args.operation()).await?;
        Ok(Page::complete(
            users_from_api(&users.users).map_err(self.decoded(args.operation()))?,
        ))
    }

    async fn get_user(&self, args: op::GetUser<'_>) -> Result<User> {
        let id = args.id().as_str();
        let user = self.org_user(id, args.operation()).await?;
        user_from_api(&user).map_err(self.decoded(args.operation()))
    }

    /// Invites the user with every role asked for
    /// ([`NewUser::role`](roster_core::NewUser::role) then
    /// [`NewUser::additional_roles`](roster_core::NewUser::additional_roles);
    /// [`DEFAULT_ROLE`](crate::DEFAULT_ROLE) when neither names one) and
    /// returns them as listed afterwards. See
    /// the type's rustdoc for re-sent invitations and existing members.
    async fn create_user(&self, args: op::CreateUser<'_>) -> Result<Created<User>> {
        let names = if args.user().roles().next().is_none() {
            vec![crate::DEFAULT_ROLE.to_owned()]
        } else {
            requested_names(args.user().roles())?
        };
        let role_ids = self.role_ids(&names, args.operation()).await?;
        let before = self.org_users(args.operation()).await?;
        let outcome = match find_by_email(&before.users, &args.user().email) {
            Some(existing) if is_invited(existing) => CreateOutcome::InvitationResent,
            Some(existing) => {
                return Err(self.context().error(
                    ErrorKind::AlreadyExists,
                    args.operation(),
                    format!(
                        "{} is already a member of the organization (user {})",
                        args.user().email,
                        existing.id().unwrap_or("without an id")
                    ),
                ));
            }
            None => CreateOutcome::Created,
        };
        self.invite(
            args.user().email.as_str(),
            &before.org_id,
            role_ids,
            args.operation(),
        )
        .await?;
        let after = self.org_users(args.operation()).await?;
        let invited = find_by_email(&after.users, &args.user().email).ok_or_else(|| {
            self.context().error(
                ErrorKind::Unexpected,
                args.operation(),
                format!(
                    "the invitation for {} was accepted, but the user is not listed",
                    args.user().email
                ),
            )
        })?;
        Ok(Created::with_outcome(
            user_from_api(invited).map_err(self.decoded(args.operation()))?,
            outcome,
        ))
    }

    /// Changes the user's roles, then reads the user back.
    ///
    /// - [`UserUpdate::role`](roster_core::UserUpdate::role): reads the user
    ///   (one request), drops the roles they hold that stand for a neutral
    ///   role, and sends the new role first, then every other role they
    ///   hold, in their order. A held role the server sent without an id is
    ///   resolved by name; one with neither is `Conflict`, and nothing is
    ///   written. When the set would not change, nothing is written either.
    /// - [`UserUpdate::roles`](roster_core::UserUpdate::roles): sends exactly
    ///   these roles (at least one).
    ///
    /// Giving both is `InvalidInput`; email, display name and status are
    /// `Unsupported`; any `fields` are `InvalidInput`. All of it is checked
    /// before anything is sent.
    async fn update_user(&self, args: op::UpdateUser<'_>) -> Result<User> {
        let role_name = args
            .update()
            .role
            .as_ref()
            .map(|role| requested_role_name(Some(role)))
            .transpose()?;
        let every_role = args
            .update()
            .roles
            .as_ref()
            .map(requested_names)
            .transpose()?;
        if role_name.is_some() && every_role.is_some() {
            return Err(Error::invalid_input(
                "give either a role (which keeps the user's other roles) or the whole set \
                 of roles, not both",
            ));
        }
        if every_role.as_ref().is_some_and(Vec::is_empty) {
            return Err(Error::invalid_input(
                "an Astra user holds at least one role; the set of roles is empty",
            ));
        }
        let id = args.id().as_str();
        let role_ids = match (role_name, every_role) {
            (None, None) => None,
            (_, Some(names)) => Some(self.role_ids(&names, args.operation()).await?),
            (Some(name), None) => {
                let new_role = self.role_id(&name, args.operation()).await?;
                let current = self.org_user(id, args.operation()).await?;
                let kept: Vec<wire::Role> = current
                    .roles
                    .iter()
                    .filter(|r| !maps_to_neutral(r))
                    .cloned()
                    .collect();
                let mut ids = vec![new_role];
                for kept_id in self.held_role_ids(id, &kept, args.operation()).await? {
                    push_unique(&mut ids, kept_id);
                }
                let unchanged = self.known_role_ids(&current.roles).is_some_and(|held| {
                    held.len() == ids.len() && held.iter().all(|h| ids.contains(h))
                });
                if unchanged {
                    return user_from_api(&current).map_err(self.decoded(args.operation()));
                }
                Some(ids)
            }
        };
        if let Some(roles) = role_ids {
            let body = types::RoleInviteRequest { roles };
            self.context()
                .call(
                    args.operation(),
                    self.api.update_roles_for_user_in_organization(id, &body),
                )
                .await?;
        }
        let user = self.org_user(id, args.operation()).await?;
        user_from_api(&user).map_err(self.decoded(args.operation()))
    }

    /// Removes the user from the organization, or withdraws their invitation.
    async fn delete_user(&self, args: op::DeleteUser<'_>) -> Result<()> {
        let call = self.api.remove_user_from_organization(args.id().as_str());
        self.context().call(args.operation(), call).await
    }
}

impl TenantService for AstraService {
    /// The token's organization (`GET /v2/currentOrg`). When that answer
    /// carries no name, the name comes from the user list (one more request).
    /// The tenant's provider data is the `currentOrg` answer.
    async fn list_tenants_page(&self, args: op::ListTenants) -> Result<Page<Tenant>> {
        Ok(Page::complete(vec![
            self.current_org(args.operation()).await?,
        ]))
    }

    /// The token's organization, when `id` is its id; any other id is
    /// `NotFound`.
    async fn get_tenant(&self, args: op::GetTenant<'_>) -> Result<Tenant> {
        let org = self.current_org(args.operation()).await?;
        if &org.id != args.id() {
            return Err(self.not_this_org(args.id(), args.operation()));
        }
        Ok(org)
    }

    /// `Unsupported`: organizations are created in the Astra portal.
    async fn create_tenant(&self, args: op::CreateTenant<'_>) -> Result<Created<Tenant>> {
        Err(self
            .context()
            .unsupported(args.operation(), "creating organizations"))
    }

    /// `Unsupported`: organizations are deleted in the Astra portal.
    async fn delete_tenant(&self, args: op::DeleteTenant<'_>) -> Result<()> {
        Err(self
            .context()
            .unsupported(args.operation(), "deleting organizations"))
    }
}

impl AstraService {
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

impl MembershipService for AstraService {
    /// The organization's users (one request), in one page: the API does
    /// not paginate, and a cursor is refused. Another tenant id is
    /// `NotFound`. Each membership's provider data is the user's entry.
    async fn list_members_page(&self, args: op::ListMembers<'_>) -> Result<Page<Membership>> {
        let users = self.users_of(args.tenant(), args.operation()).await?;
        memberships_from_api(args.tenant(), &users.users)
            .map(Page::complete)
            .map_err(self.decoded(args.operation()))
    }

    /// The organization, when the user is one of its users (one request);
    /// otherwise none.
    async fn list_user_memberships(
        &self, args: op::ListUserMemberships<'_>,
    ) -> Result<Vec<Membership>> {
        let users = self.org_users(args.operation()).await?;
        let org = org_id(&users.org_id).map_err(self.decoded(args.operation()))?;
        memberships_from_api(
            &org,
            users
                .users
                .iter()
                .filter(|u| u.id() == Some(args.user().as_str())),
        )
        .map_err(self.decoded(args.operation()))
    }

    /// Reads the users (one request). A pending invitation is sent again
    /// with every role the user holds (resolved by name where the server
    /// sent no id); an active member is left as they are. An unknown
    /// organization or user is `NotFound`, and tenant roles are
    /// `Unsupported`; either way nothing is written.
    async fn add_member(&self, args: op::AddMember<'_>) -> Result<Membership> {
        let users = self.users_of(args.tenant(), args.operation()).await?;
        let Some(member) = users
            .users
            .iter()
            .find(|u| u.id() == Some(args.user().as_str()))
        else {
            return Err(self.context().error(
                ErrorKind::NotFound,
                args.operation(),
                format!(
                    "no user {} in the organization; invite new people by email with \
                     create_user",
                    args.user()
                ),
            ));
        };
        if is_invited(member) {
            let email = member.email.as_deref().ok_or_else(|| {
                self.context().error(
                    ErrorKind::Unexpected,
                    args.operation(),
                    format!(
                        "invited user {} has no email to re-send the invitation to",
                        args.user()
                    ),
                )
            })?;
            let mut roles = self
                .held_role_ids(args.user().as_str(), &member.roles, args.operation())
                .await?;
            if roles.is_empty() {
                roles.push(self.role_id(crate::DEFAULT_ROLE, args.operation()).await?);
            }
            self.invite(email, &users.org_id, roles, args.operation())
                .await?;
        }
        membership_from_api(args.tenant(), member).map_err(self.decoded(args.operation()))
    }

    /// Checks the organization and the user (one request), then deletes
    /// the user from the organization.
    async fn remove_member(&self, args: op::RemoveMember<'_>) -> Result<()> {
        let id = args.user().as_str();
        let users = self.users_of(args.tenant(), args.operation()).await?;
        if !users.users.iter().any(|u| u.id() == Some(id)) {
            return Err(self.context().error(
                ErrorKind::NotFound,
                args.operation(),
                format!("user {} is not in the organization", args.user()),
            ));
        }
        self.context()
            .call(args.operation(), self.api.remove_user_from_organization(id))
            .await
    }
}
