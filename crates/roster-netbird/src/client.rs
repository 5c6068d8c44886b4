//! The adapter: Roster's traits over the generated NetBird client.

use std::sync::Arc;

use roster_core::service::op;
use roster_core::{
    Capabilities, Checked, Connect, Created, Error, ErrorKind, Membership, MembershipService,
    Operation, Page, Principal, Result, RoleSpec, Tenant, TenantId, TenantService, User, UserId,
    UserService, UserStatus, in_operation, map_items,
};
use roster_http::{ClientContext, KeyedLocks, StaticToken};

use crate::config::NetbirdConfig;
use crate::generated::{self, types};
use crate::mapping::{
    DEFAULT_ROLE, WireUser, created_user, group_path, mask_passwords, membership,
    principal_from_api, role_to_api, tenant_from_api, user_from_api, user_path, write_back,
};

/// The provider identifier used in errors, logs and capabilities.
pub const PROVIDER: &str = "netbird";

/// The operation name [`NetbirdService::resend_invitation`] reports in errors.
pub const RESEND_INVITATION: Operation = Operation::Other("resend_invitation");
/// The operation name [`NetbirdService::rename_group`] reports in errors.
pub const RENAME_GROUP: Operation = Operation::Other("rename_group");

roster_http::impl_client_hooks!(generated::Client);

/// A Roster adapter for the NetBird management API: users, groups as
/// tenants, and each user's `auto_groups` as their memberships.
///
/// It implements [`UserDirectory`](roster_core::UserDirectory), [`TenantDirectory`](roster_core::TenantDirectory) and
/// [`MembershipDirectory`](roster_core::MembershipDirectory), and follows NetBird's rules:
///
/// - **Creating a user invites them** (`POST /api/users` with
///   `is_service_user: false`): the user starts as
///   [`Invited`](UserStatus::Invited) and NetBird emails them. The server
///   answers `412` ([`Conflict`](ErrorKind::Conflict)) when it has no
///   identity provider to send invitations through. Service users, which
///   have a name and no email, are made with
///   [`create_service_user`](NetbirdService::create_service_user).
/// - **There is no `GET /api/users/{id}`.** [`get_user`](roster_core::UserDirectory::get_user),
///   [`update_user`](roster_core::UserDirectory::update_user) and every membership
///   operation list all users (one request, the whole account, since the
///   API does not paginate) and pick the one they need. On an account with
///   thousands of users, that list is the cost of each of those calls.
/// - **Memberships are `auto_groups`.** `PUT /api/users/{id}` replaces
///   `role`, `auto_groups` and `is_blocked` together, so adding or removing
///   a membership reads the user and writes all three back, with the role
///   and blocked flag exactly as read. Changes to one user through this
///   client (and its clones) are serialised, so two concurrent changes
///   never overwrite each other; changes made elsewhere at the same moment
///   can still race, as with any read-modify-write.
/// - **Roles** are `owner`, `admin`, `user`, `billing_admin`, `auditor` and
///   `network_admin`, matched case-insensitively; [`Role::Member`](roster_core::Role::Member)
///   is NetBird's `user`, the default for new users. The role NetBird sent
///   is kept in [`User::raw_role`].
/// - **Deleting a group NetBird still uses** (the `All` group, or a group
///   in a user's `auto_groups`, a policy, a route, DNS settings or a setup
///   key) answers [`Conflict`](ErrorKind::Conflict) with NetBird's message,
///   which names what uses it.
/// - **Moving** between groups ([`move_user`](roster_core::MembershipDirectory::move_user))
///   is one read and one `PUT` that swaps the group in place, never a
///   remove followed by an add.
/// - **Users awaiting approval** (they joined through domain matching while
///   the account requires approval) are
///   [`PendingApproval`](UserStatus::PendingApproval), although NetBird
///   also reports them blocked; [`approve_user`](NetbirdService::approve_user)
///   and [`reject_user`](NetbirdService::reject_user) decide on them.
/// - **Nothing NetBird sent is lost**: every [`User`], [`Tenant`] and the
///   current user's [`Principal`] carry NetBird's object as it arrived in
///   `provider_data` (`permissions`, `last_login`, `issued`, `idp_id`…).
///   Memberships are only ids in `auto_groups`, so theirs is `None`. A role
///   or status this adapter does not know is [`Role::Other`](roster_core::Role::Other)
///   or [`UserStatus::Other`] with NetBird's word in `raw_role` /
///   `raw_status`; only a user or group with an empty id fails a list
///   (`Decode`, naming its position).
/// - **A create answer's `password`** (NetBird's embedded identity provider
///   generates one) comes back once, in [`Created::secret`], and nowhere
///   else: not in the user's provider data, `Debug`, errors or logs.
/// - User ids such as `google-oauth2|277474792786460067937` are
///   percent-encoded into one path segment (`google-oauth2%7C2774...`).
///
/// ```no_run
/// # async fn demo() -> roster_core::Result<()> {
/// use roster_core::{Email, NewUser, Role, UserDirectory};
/// use roster_netbird::{NetbirdClient, NetbirdConfig};
///
/// let client = NetbirdClient::new(NetbirdConfig::require_env()?)?;
/// let alice = client
///     .create_user(&NewUser::new(Email::parse("alice@example.com")?).with_role(Role::Member))
///     .await?;
/// println!("invited {} ({})", alice.id, alice.status);
/// # Ok(()) }
/// ```
pub type NetbirdClient = Checked<NetbirdService>;

/// The NetBird adapter itself, behind [`NetbirdClient`]'s checks: its rules
/// and costs are described there. Its own methods (invitations, approvals,
/// service users, renaming groups) are called on a `NetbirdClient`
/// directly.
#[derive(Debug, Clone)]
pub struct NetbirdService {
    api: Arc<generated::Client>,
    user_locks: KeyedLocks,
}

impl Connect for NetbirdService {
    type Config = NetbirdConfig;

    fn connect(config: NetbirdConfig) -> Result<Self> {
        let credential = config.credential();
        let auth = StaticToken::with_scheme(credential.scheme(), credential.secret())
            .map_err(|e| e.with_provider(PROVIDER))?;
        let api = config
            .endpoint
            .connect(PROVIDER, Arc::new(auth), crate::error::describe)?
            .into_client(generated::Client::new_with_client);
        Ok(NetbirdService {
            api: Arc::new(api),
            user_locks: KeyedLocks::default(),
        })
    }
}

impl NetbirdService {
    /// Sends a pending user's invitation again (`POST
    /// /api/users/{id}/invite`).
    ///
    /// NetBird answers `412` ([`Conflict`](ErrorKind::Conflict)) for a user
    /// who has already signed in, or when it has no identity provider to
    /// send invitations through, and `404` for an unknown user.
    pub async fn resend_invitation(&self, user: &UserId) -> Result<()> {
        let path = user_path(user).map_err(in_operation(PROVIDER, RESEND_INVITATION))?;
        self.context()
            .call(RESEND_INVITATION, self.api.resend_user_invite(path))
            .await
    }

    /// Creates a service user: an account with a name and no email, for
    /// automation (it signs in only with personal access tokens). It is
    /// `POST /api/users` with `is_service_user: true`, and starts active.
    ///
    /// The role defaults to NetBird's `user`. An empty name, an unknown
    /// role or `owner` (NetBird does not create owners) is `InvalidInput`
    /// and nothing is sent.
    pub async fn create_service_user(
        &self, name: &str, role: Option<&RoleSpec>,
    ) -> Result<Created<User>> {
        let operation = Operation::CreateUser;
        if name.trim().is_empty() {
            return Err(self.context().error(
                ErrorKind::InvalidInput,
                operation,
                "a service user needs a name",
            ));
        }
        let body = types::UserCreateRequest {
            email: None,
            name: Some(name.to_owned()),
            role: self.role_for_create(role, operation)?.to_owned(),
            auto_groups: Vec::new(),
            is_service_user: true,
        };
        self.create(operation, &body).await
    }

    /// Lists only the service users (`GET /api/users?service_user=true`).
    pub async fn list_service_users(&self) -> Result<Vec<User>> {
        let operation = Operation::ListUsers;
        let users = self
            .context()
            .call(operation, self.api.list_users(Some(true)))
            .await?;
        map_items(&users, user_from_api).map_err(in_operation(PROVIDER, operation))
    }

    /// Approves a user who waits for approval (`POST
    /// /api/users/{id}/approve`): NetBird unblocks them and clears
    /// `pending_approval`, and this returns the user as it answers.
    ///
    /// A user who is not waiting for approval is
    /// [`Conflict`](ErrorKind::Conflict) with NetBird's message (it answers
    /// 422), an unknown user `NotFound`. An id that cannot be a path segment
    /// is `InvalidInput`, and nothing is sent. It waits for any change this
    /// client is making to the same user, so a membership change that read
    /// the user before the approval cannot block them again.
    pub async fn approve_user(&self, user: &UserId) -> Result<User> {
        let operation = Operation::ApproveUser;
        let path = user_path(user).map_err(in_operation(PROVIDER, operation))?;
        let _guard = self.user_locks.lock(user.as_str()).await;
        let approved = self
            .context()
            .call(operation, self.api.approve_user(path))
            .await?;
        user_from_api(&approved).map_err(in_operation(PROVIDER, operation))
    }

    /// Rejects a user who waits for approval (`DELETE
    /// /api/users/{id}/reject`), which removes them from the account.
    ///
    /// A user who is not waiting for approval is
    /// [`Conflict`](ErrorKind::Conflict) with NetBird's message (it answers
    /// 422) and is left as they are; an unknown user is `NotFound`. An id
    /// that cannot be a path segment is `InvalidInput`, and nothing is sent.
    pub async fn reject_user(&self, user: &UserId) -> Result<()> {
        let operation = Operation::RejectUser;
        let path = user_path(user).map_err(in_operation(PROVIDER, operation))?;
        let _guard = self.user_locks.lock(user.as_str()).await;
        self.context()
            .call(operation, self.api.reject_user(path))
            .await
    }

    /// Finds the group with exactly this name with one request (`GET
    /// /api/groups?name=...`), where
    /// [`find_tenant_by_name`](roster_core::TenantDirectoryExt::find_tenant_by_name)
    /// lists every group. NetBird answers `404` when there is none, which
    /// is `Ok(None)` here.
    pub async fn find_group_by_name(&self, name: &str) -> Result<Option<Tenant>> {
        let operation = Operation::ListTenants;
        if name.is_empty() {
            return Err(self.context().error(
                ErrorKind::InvalidInput,
                operation,
                "group name is empty",
            ));
        }
        let groups = match self
            .context()
            .call(operation, self.api.list_groups(Some(name)))
            .await
        {
            Ok(groups) => groups,
            Err(err) if err.status() == Some(404) => return Ok(None),
            Err(err) => return Err(err),
        };
        groups
            .iter()
            .find(|group| group.name.as_deref() == Some(name))
            .map(tenant_from_api)
            .transpose()
            .map_err(in_operation(PROVIDER, operation))
    }

    /// Renames a group. `PUT /api/groups/{id}` replaces the name, peers and
    /// resources together, so this reads the group first (one request) and
    /// writes its peers and resources back unchanged.
    pub async fn rename_group(&self, id: &TenantId, name: &str) -> Result<Tenant> {
        let operation = RENAME_GROUP;
        let path = group_path(id).map_err(in_operation(PROVIDER, operation))?;
        if name.trim().is_empty() {
            return Err(self.context().error(
                ErrorKind::InvalidInput,
                operation,
                "group name is empty",
            ));
        }
        let current = self
            .context()
            .call(operation, self.api.get_group(path))
            .await?;
        if current.data().field("peers").is_none() {
            return Err(self.context().error(
                ErrorKind::Decode,
                operation,
                format!(
                    "the server's record of group {id} has no `peers`, which a rename sends \
                     back; nothing was written"
                ),
            ));
        }
        let (current, _) = current.into_parts();
        let body = types::GroupRequest {
            name: name.to_owned(),
            peers: current.peers.into_iter().map(|peer| peer.id).collect(),
            resources: current.resources,
        };
        let renamed = self
            .context()
            .call(operation, self.api.update_group(path, &body))
            .await?;
        tenant_from_api(&renamed).map_err(in_operation(PROVIDER, operation))
    }

    fn context(&self) -> &ClientContext {
        &self.api.inner
    }

    async fn create(
        &self, operation: Operation, body: &types::UserCreateRequest,
    ) -> Result<Created<User>> {
        let created = match self
            .context()
            .call(operation, self.api.create_user(body))
            .await
        {
            Ok(created) => created,
            Err(err) if err.kind() == ErrorKind::Decode => {
                return Err(self.without_password(err, operation));
            }
            Err(err) => return Err(err),
        };
        let (user, secret) = created_user(created).map_err(in_operation(PROVIDER, operation))?;
        let created = Created::new(user);
        Ok(match secret {
            Some(secret) => created.with_secret(secret),
            None => created,
        })
    }

    /// A create answer that did not decode can still carry the new user's
    /// password: its body snippet is masked, and a serde message that quotes
    /// a value is replaced by one that does not.
    fn without_password(&self, err: Error, operation: Operation) -> Error {
        let message =
            if err.message().contains("invalid type") || err.message().contains("invalid value") {
                "could not decode the create answer: a field has an unexpected type (serde's \
             message is withheld, as the answer can carry a one-time password)"
                    .to_owned()
            } else {
                mask_passwords(err.message())
            };
        let mut masked = self.context().error(ErrorKind::Decode, operation, message);
        if let Some(snippet) = err.body_snippet() {
            masked = masked.with_body_snippet(mask_passwords(snippet));
        }
        masked
    }

    /// The API role for a new user; `owner` is refused because NetBird does
    /// not create owners (ownership is transferred instead).
    fn role_for_create(
        &self, role: Option<&RoleSpec>, operation: Operation,
    ) -> Result<&'static str> {
        let Some(role) = role else {
            return Ok(DEFAULT_ROLE);
        };
        match role_to_api(role).map_err(in_operation(PROVIDER, operation))? {
            "owner" => Err(self.context().error(
                ErrorKind::InvalidInput,
                operation,
                "NetBird does not create users with the owner role; create an admin and \
                 transfer ownership",
            )),
            api => Ok(api),
        }
    }

    async fn all_users(&self, operation: Operation) -> Result<Vec<WireUser>> {
        self.context()
            .call(operation, self.api.list_users(None))
            .await
    }

    /// There is no `GET /api/users/{id}`: one list request, then a pick.
    async fn find_user(&self, id: &UserId, operation: Operation) -> Result<WireUser> {
        let users = self.all_users(operation).await?;
        self.context()
            .pick(operation, users, "user", id, |user| user.id == id.as_str())
    }

    /// Writes a user's role, groups and blocked flag back in one `PUT`.
    async fn put_user(
        &self, path: &str, body: &types::UserRequest, operation: Operation,
    ) -> Result<WireUser> {
        self.context()
            .call(operation, self.api.update_user(path, body))
            .await
    }
}

roster_core::impl_provider! { NetbirdService, id: PROVIDER, capabilities: |_| capabilities(),
    request_timeout: |service| service.context().request_timeout()
}

/// What the NetBird adapter supports.
///
/// `user_display_name` is `true` because a new user's name is sent with the
/// invitation; NetBird takes names from the identity provider afterwards,
/// so `update_display_name` is `false` (the checking step answers
/// `Unsupported` before anything is sent), as is changing an email.
pub fn capabilities() -> Capabilities {
    roster_core::capabilities! {
        supported: [list_users, get_user, create_user, create_is_invitation, update_user,
            update_role, update_status, user_display_name, user_roles, delete_user,
            delete_user_cascades_memberships, current_user, list_tenants, get_tenant, create_tenant,
            delete_tenant, list_members, list_user_memberships, add_member, remove_member],
        unsupported: [server_side_pagination, update_email, update_display_name,
            multiple_roles_per_user, create_tenant_with_members, membership_roles,
            membership_requires_wireguard_key],
        max_tenants_per_user: None,
    }
}

impl UserService for NetbirdService {
    /// Every user, regular and service users alike, in one page: the API
    /// does not paginate. A cursor (which this adapter never hands out) is
    /// refused.
    async fn list_users_page(&self, args: op::ListUsers) -> Result<Page<User>> {
        let users = self.all_users(args.operation()).await?;
        map_items(&users, user_from_api).map(Page::complete)
    }

    /// There is no `GET /api/users/{id}`: this lists every user of the
    /// account (one request, however many users there are) and picks the
    /// one asked for.
    async fn get_user(&self, args: op::GetUser<'_>) -> Result<User> {
        user_from_api(&self.find_user(args.id(), args.operation()).await?)
    }

    /// Invites a user (`is_service_user: false`); they start as
    /// [`Invited`](UserStatus::Invited). The display name is sent as
    /// NetBird's `name`; the role defaults to `user`. `owner` is refused
    /// before sending (NetBird does not create owners). An existing account
    /// with this email is `AlreadyExists`.
    ///
    /// Where NetBird's embedded identity provider creates the user with a
    /// generated password, the answer carries it once: it is returned in
    /// [`Created::secret`], and removed from the user's provider data (the
    /// only object this adapter re-serialises). A create the retry layer
    /// adopted after a lost answer has no secret: the answer that held it
    /// never arrived.
    ///
    /// NetBird users hold one role, and this adapter takes no
    /// provider-specific fields: `additional_roles` is `Unsupported` and
    /// any `fields` are `InvalidInput`, and nothing is sent.
    async fn create_user(&self, args: op::CreateUser<'_>) -> Result<Created<User>> {
        let body = types::UserCreateRequest {
            email: Some(args.user().email.as_str().to_owned()),
            name: args.user().display_name.clone(),
            role: self
                .role_for_create(args.user().role.as_ref(), args.operation())?
                .to_owned(),
            auto_groups: Vec::new(),
            is_service_user: false,
        };
        self.create(args.operation(), &body).await
    }

    /// Changes the role and/or blocks ([`UserStatus::Blocked`]) or unblocks
    /// ([`UserStatus::Active`]) the user. `PUT /api/users/{id}` replaces
    /// role, `auto_groups` and `is_blocked` together, so this reads the user
    /// (one list request) and writes back the groups and whatever it does
    /// not change exactly as read; a record that lacks one of the three is
    /// `Decode`, and nothing is written. Email, display name, the other
    /// statuses and replacing several roles (`roles`) are `Unsupported`;
    /// provider-specific `fields` are `InvalidInput`.
    async fn update_user(&self, args: op::UpdateUser<'_>) -> Result<User> {
        let block = match args.update().status {
            None => None,
            Some(UserStatus::Blocked) => Some(true),
            Some(UserStatus::Active) => Some(false),
            Some(other) => {
                return Err(self.context().unsupported(
                    args.operation(),
                    &format!("setting status {other}; NetBird can block or unblock"),
                ));
            }
        };
        let role = args.update().role.as_ref().map(role_to_api).transpose()?;
        let path = args.id().as_str();
        let _guard = self.user_locks.lock(path).await;
        let current = self.find_user(args.id(), args.operation()).await?;
        if args.update().is_empty() {
            return user_from_api(&current);
        }
        let mut body = write_back(&current)?;
        if let Some(role) = role {
            role.clone_into(&mut body.role);
        }
        if let Some(block) = block {
            body.is_blocked = block;
        }
        let updated = self.put_user(path, &body, args.operation()).await?;
        user_from_api(&updated)
    }

    /// Deletes the user; their memberships (`auto_groups`) go with them.
    async fn delete_user(&self, args: op::DeleteUser<'_>) -> Result<()> {
        let call = self.api.delete_user(args.id().as_str());
        self.context().call(args.operation(), call).await
    }

    /// `GET /api/users/current`, with the user's id; its provider data is
    /// NetBird's object, `permissions` included.
    async fn current_user(&self, args: op::CurrentUser) -> Result<Principal> {
        let me = self
            .context()
            .call(args.operation(), self.api.get_current_user())
            .await?;
        principal_from_api(&me)
    }
}

impl TenantService for NetbirdService {
    /// Every group, in one page (the API does not paginate), including
    /// NetBird's built-in `All` group.
    async fn list_tenants_page(&self, args: op::ListTenants) -> Result<Page<Tenant>> {
        let groups = self
            .context()
            .call(args.operation(), self.api.list_groups(None))
            .await?;
        let tenants = map_items(&groups, tenant_from_api)?;
        Ok(Page::complete(tenants))
    }

    async fn get_tenant(&self, args: op::GetTenant<'_>) -> Result<Tenant> {
        let group = self
            .context()
            .call(args.operation(), self.api.get_group(args.id().as_str()))
            .await?;
        tenant_from_api(&group)
    }

    /// Creates an empty group. A group's members here are users (through
    /// their `auto_groups`), which NetBird cannot set while creating the
    /// group, so a tenant with members is `Unsupported`: create it, then
    /// [`add_member`](roster_core::MembershipDirectory::add_member). A duplicate name is
    /// `AlreadyExists`.
    async fn create_tenant(&self, args: op::CreateTenant<'_>) -> Result<Created<Tenant>> {
        let body = types::GroupRequest {
            name: args.tenant().name().to_owned(),
            peers: Vec::new(),
            resources: Vec::new(),
        };
        let created = self
            .context()
            .call(args.operation(), self.api.create_group(&body))
            .await?;
        Ok(Created::new(tenant_from_api(&created)?))
    }

    /// Deletes the group. A group NetBird refuses to delete (`All`, or one
    /// still in a user's `auto_groups`, a policy, a route, DNS settings or a
    /// setup key) is [`Conflict`](ErrorKind::Conflict) with NetBird's
    /// message.
    async fn delete_tenant(&self, args: op::DeleteTenant<'_>) -> Result<()> {
        let call = self.api.delete_group(args.id().as_str());
        self.context().call(args.operation(), call).await
    }
}

impl MembershipService for NetbirdService {
    /// The users whose `auto_groups` hold this group, in one page (the API
    /// does not paginate; a cursor is refused): two requests, one to check
    /// the group exists (`NotFound` otherwise) and one listing every user.
    async fn list_members_page(&self, args: op::ListMembers<'_>) -> Result<Page<Membership>> {
        self.context()
            .call(args.operation(), self.api.get_group(args.tenant().as_str()))
            .await?;
        let users = self.all_users(args.operation()).await?;
        let members = map_items(&users, |user| {
            user.auto_groups
                .iter()
                .any(|g| g == args.tenant().as_str())
                .then(|| membership(args.tenant(), user))
                .transpose()
        })?;
        Ok(Page::complete(members.into_iter().flatten().collect()))
    }

    /// The user's `auto_groups`, from one request listing every user.
    async fn list_user_memberships(
        &self, args: op::ListUserMemberships<'_>,
    ) -> Result<Vec<Membership>> {
        let found = self.find_user(args.user(), args.operation()).await?;
        map_items(&found.auto_groups, |group| {
            let tenant = TenantId::new(group.as_str())
                .map_err(|_| Error::new(ErrorKind::Decode, "the server sent an empty group id"))?;
            membership(&tenant, &found)
        })
    }

    /// Adds the group to the user's `auto_groups`: reads the user (one list
    /// request) and, unless the group is already there, writes role,
    /// groups and blocked flag back in one `PUT`, with role and blocked
    /// flag exactly as read. Concurrent changes to the same user through
    /// this client are serialised. Tenant roles are `Unsupported`; an
    /// unknown group is refused by NetBird (`422`, `InvalidInput`).
    async fn add_member(&self, args: op::AddMember<'_>) -> Result<Membership> {
        let path = args.user().as_str();
        let _guard = self.user_locks.lock(path).await;
        let current = self.find_user(args.user(), args.operation()).await?;
        if current
            .auto_groups
            .iter()
            .any(|g| g == args.tenant().as_str())
        {
            return membership(args.tenant(), &current);
        }
        let mut body = write_back(&current)?;
        body.auto_groups.push(args.tenant().as_str().to_owned());
        let updated = self.put_user(path, &body, args.operation()).await?;
        membership(args.tenant(), &updated)
    }

    /// Takes the group out of the user's `auto_groups`, the same way as
    /// [`add_member`](roster_core::MembershipDirectory::add_member). A user who is not in
    /// the group is `NotFound`, and nothing is written.
    async fn remove_member(&self, args: op::RemoveMember<'_>) -> Result<()> {
        let path = args.user().as_str();
        let _guard = self.user_locks.lock(path).await;
        let current = self.find_user(args.user(), args.operation()).await?;
        if !current
            .auto_groups
            .iter()
            .any(|g| g == args.tenant().as_str())
        {
            return Err(self.context().error(
                ErrorKind::NotFound,
                args.operation(),
                format!("user {} is not in group {}", args.user(), args.tenant()),
            ));
        }
        let mut body = write_back(&current)?;
        body.auto_groups.retain(|g| g != args.tenant().as_str());
        self.put_user(path, &body, args.operation()).await?;
        Ok(())
    }

    /// Moves the user from group `from` to group `to` in one `PUT`: reads
    /// the user (one list request) and writes back `auto_groups` with `from`
    /// replaced by `to` in place, role and blocked flag exactly as read. The
    /// server never sees the user in neither group, so there is nothing to
    /// put back if it refuses (an unknown `to` answers 422, `InvalidInput`).
    /// A user who is not in `from` is `NotFound`, and nothing is written;
    /// tenant roles are `Unsupported`.
    async fn move_natively(&self, args: op::MoveMember<'_>) -> Option<Result<Membership>> {
        Some(self.move_in_one_put(args).await)
    }
}

impl NetbirdService {
    async fn move_in_one_put(&self, args: op::MoveMember<'_>) -> Result<Membership> {
        let (user, from, to) = (args.user(), args.from(), args.to());
        let operation = args.operation();
        let path = user.as_str();
        let _guard = self.user_locks.lock(path).await;
        let current = self.find_user(user, operation).await?;
        if !current.auto_groups.iter().any(|g| g == from.as_str()) {
            return Err(self.context().error(
                ErrorKind::NotFound,
                operation,
                format!("user {user} is not in group {from}"),
            ));
        }
        let already_in_target = current.auto_groups.iter().any(|g| g == to.as_str());
        let mut auto_groups = Vec::with_capacity(current.auto_groups.len());
        for group in &current.auto_groups {
            if group == from.as_str() {
                if !already_in_target {
                    auto_groups.push(to.as_str().to_owned());
                }
            } else {
                auto_groups.push(group.clone());
            }
        }
        let body = types::UserRequest {
            auto_groups,
            ..write_back(&current)?
        };
        let updated = self.put_user(path, &body, operation).await?;
        membership(to, &updated)
    }
}
