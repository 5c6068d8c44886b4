//! The one path every call takes before an adapter's own code runs.
//!
//! An adapter implements the *service* traits ([`UserService`],
//! [`TenantService`], [`MembershipService`]): the same operations as the
//! directory traits, holding only what is unique to its provider. Callers
//! hold a [`Checked`] service, which implements [`UserDirectory`],
//! [`TenantDirectory`] and [`MembershipDirectory`]. Every call through it
//! first passes the checks that follow from the provider's
//! [`Capabilities`] and [`Provider::user_fields`], and sends nothing when
//! one fails:
//!
//! | check | error |
//! |---|---|
//! | the operation's capability flag is off (`create_user`, `list_members`, …) | `Unsupported` |
//! | an argument the provider cannot take: a display name, an account-wide role, a role change, an email change, a status change, several roles, a tenant created with members | `Unsupported` |
//! | a provider-specific field not in [`Provider::user_fields`] | `InvalidInput` |
//! | an id that cannot be a URL path segment ([`path_segment`]) | `InvalidInput` |
//! | a user id the provider can never have ([`UserService::check_user_id`]), on user and membership calls | `InvalidInput` |
//! | a `move_user` from a tenant to itself | `InvalidInput` |
//! | a cursor where the provider does not paginate | `InvalidInput` |
//! | a membership request the provider refuses ([`Capabilities::check_membership_request`]), also before `move_user`'s first write | `InvalidInput` / `Unsupported` |
//!
//! Then it calls the service with the call's arguments in one [`op`] struct,
//! which names the operation, so an adapter reads the operation from its
//! arguments instead of naming it. Whatever error comes back gets the
//! provider, and the operation where it has none yet (an adapter's inner
//! step, such as the member added after a create, keeps its own).
//!
//! ```
//! use roster_core::service::{op, Checked, UserService};
//! # use roster_core::{Capabilities, Created, NewUser, Page, Provider, Result, User, Email,
//! #     ErrorKind, UserDirectory};
//! # struct Mine;
//! # impl Provider for Mine {
//! #     fn provider_id(&self) -> &'static str { "mine" }
//! #     fn capabilities(&self) -> Capabilities { Capabilities::default() }
//! # }
//! // Each method takes its arguments as one `op` struct, which also names
//! // the operation (`args.operation()`) for the errors that depend on it.
//! impl UserService for Mine {
//!     async fn create_user(&self, args: op::CreateUser<'_>) -> Result<Created<User>> {
//!         unreachable!("never called: {} is refused first", args.operation())
//!     }
//! #     async fn list_users_page(&self, _: op::ListUsers) -> Result<Page<User>> { unreachable!() }
//! #     async fn get_user(&self, _: op::GetUser<'_>) -> Result<User> { unreachable!() }
//! #     async fn update_user(&self, _: op::UpdateUser<'_>) -> Result<User> { unreachable!() }
//! #     async fn delete_user(&self, _: op::DeleteUser<'_>) -> Result<()> { unreachable!() }
//! }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! // `Mine` supports nothing, so the create never reaches it.
//! let client = Checked::from_service(Mine);
//! let err = client.create_user(&NewUser::new(Email::parse("a@example.com")?)).await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Unsupported);
//! assert_eq!(err.provider(), Some("mine"));
//! # Ok::<(), roster_core::Error>(()) }).unwrap();
//! ```

use std::fmt;
use std::future::Future;
use std::ops::Deref;

use async_trait::async_trait;

use crate::capability::Capabilities;
use crate::directory::{MembershipDirectory, Provider, TenantDirectory, UserDirectory};
use crate::error::{Error, ErrorKind, Operation, Result};
use crate::model::{
    Created, Membership, MembershipRequest, NewTenant, NewUser, Page, PageRequest, Principal,
    Tenant, TenantId, TenantsWithMembers, User, UserId, UserUpdate,
};

pub mod op;

/// Checks that an identifier can travel as one URL path segment.
///
/// Adapters percent-encode path parameters, so almost anything is safe. The
/// exceptions are the empty id and the dot segments `.` and `..`: URL
/// parsers resolve dot segments (even when written as `%2E%2E`), so
/// `/tenants/..` would address a different resource. [`Checked`] refuses
/// them for every id before anything is sent.
///
/// ```
/// use roster_core::service::path_segment;
/// assert!(path_segment("tenant id", "..").is_err());
/// assert_eq!(path_segment("tenant id", "a..b")?, "a..b");
/// # Ok::<(), roster_core::Error>(())
/// ```
pub fn path_segment<'a>(what: &str, id: &'a str) -> Result<&'a str> {
    match id {
        "" => Err(Error::invalid_input(format!("{what} is empty"))),
        "." | ".." => Err(Error::invalid_input(format!(
            "{what} {id:?} cannot be sent as a URL path segment"
        ))),
        _ => Ok(id),
    }
}

/// Users, as an adapter implements them: the operations of
/// [`UserDirectory`], called only after [`Checked`]'s checks passed, with
/// their arguments in one [`op`] struct each.
///
/// The methods return `Send` futures, so an implementation writes plain
/// `async fn`s (no `#[async_trait]`, and no box per call).
pub trait UserService: Provider {
    /// One page of users; see [`UserDirectory::list_users_page`].
    fn list_users_page(
        &self, args: op::ListUsers,
    ) -> impl Future<Output = Result<Page<User>>> + Send;

    /// One user; see [`UserDirectory::get_user`].
    fn get_user(&self, args: op::GetUser<'_>) -> impl Future<Output = Result<User>> + Send;

    /// Creates a user; see [`UserDirectory::create_user`].
    fn create_user(
        &self, args: op::CreateUser<'_>,
    ) -> impl Future<Output = Result<Created<User>>> + Send;

    /// Changes a user; see [`UserDirectory::update_user`].
    fn update_user(&self, args: op::UpdateUser<'_>) -> impl Future<Output = Result<User>> + Send;

    /// Deletes a user; see [`UserDirectory::delete_user`].
    fn delete_user(&self, args: op::DeleteUser<'_>) -> impl Future<Output = Result<()>> + Send;

    /// Refuses a user id this provider can never have (Adverity's are
    /// numbers, the IaaS API's UUIDs) with `InvalidInput`. [`Checked`]
    /// calls it before it looks at the arguments of `get_user`,
    /// `update_user` and `delete_user`, so a bad id is reported as such
    /// whatever else is wrong. The default accepts every id.
    fn check_user_id(&self, id: &UserId) -> Result<()> {
        let _ = id;
        Ok(())
    }

    /// The identity behind the credentials; see
    /// [`UserDirectory::current_user`]. Called only where
    /// [`Capabilities::current_user`] is set; the default answers
    /// `Unsupported`.
    fn current_user(
        &self, args: op::CurrentUser,
    ) -> impl Future<Output = Result<Principal>> + Send {
        let _ = args;
        std::future::ready(Err(Error::new(
            ErrorKind::Unsupported,
            "reading the current user is not implemented",
        )))
    }
}

/// Tenants, as an adapter implements them: the operations of
/// [`TenantDirectory`], called only after [`Checked`]'s checks passed, with
/// their arguments in one [`op`] struct each.
pub trait TenantService: Provider {
    /// One page of tenants; see [`TenantDirectory::list_tenants_page`].
    fn list_tenants_page(
        &self, args: op::ListTenants,
    ) -> impl Future<Output = Result<Page<Tenant>>> + Send;

    /// One tenant; see [`TenantDirectory::get_tenant`].
    fn get_tenant(&self, args: op::GetTenant<'_>) -> impl Future<Output = Result<Tenant>> + Send;

    /// Creates a tenant; see [`TenantDirectory::create_tenant`].
    fn create_tenant(
        &self, args: op::CreateTenant<'_>,
    ) -> impl Future<Output = Result<Created<Tenant>>> + Send;

    /// Deletes a tenant; see [`TenantDirectory::delete_tenant`].
    fn delete_tenant(&self, args: op::DeleteTenant<'_>) -> impl Future<Output = Result<()>> + Send;
}

/// Memberships, as an adapter implements them: the operations of
/// [`MembershipDirectory`], called only after [`Checked`]'s checks passed,
/// with their arguments in one [`op`] struct each.
pub trait MembershipService: Provider {
    /// One page of a tenant's members; see
    /// [`MembershipDirectory::list_members_page`]. A page may be empty and
    /// still name a next one. [`Checked`] has already refused a cursor
    /// where [`Capabilities::server_side_pagination`] is off.
    fn list_members_page(
        &self, args: op::ListMembers<'_>,
    ) -> impl Future<Output = Result<Page<Membership>>> + Send;

    /// The tenants of a user; see
    /// [`MembershipDirectory::list_user_memberships`].
    fn list_user_memberships(
        &self, args: op::ListUserMemberships<'_>,
    ) -> impl Future<Output = Result<Vec<Membership>>> + Send;

    /// Adds a user to a tenant; see [`MembershipDirectory::add_member`].
    fn add_member(
        &self, args: op::AddMember<'_>,
    ) -> impl Future<Output = Result<Membership>> + Send;

    /// Removes a user from a tenant; see
    /// [`MembershipDirectory::remove_member`].
    fn remove_member(&self, args: op::RemoveMember<'_>) -> impl Future<Output = Result<()>> + Send;

    /// The members of several tenants; see
    /// [`MembershipDirectory::list_members_of`]. The default reads every
    /// page of each tenant's members, several tenants at a time.
    fn list_members_of(
        &self, args: op::ListMembersOf<'_>,
    ) -> impl Future<Output = Result<Vec<Membership>>> + Send {
        use futures::{FutureExt, TryStreamExt};
        async move {
            let reads = args
                .tenants
                .iter()
                .map(|tenant| {
                    crate::pagination::paginate_through_empty_pages(move |cursor| {
                        self.list_members_page(op::ListMembers {
                            tenant,
                            page: PageRequest {
                                cursor,
                                page_size: None,
                            },
                        })
                    })
                    .try_collect()
                    .boxed()
                })
                .collect();
            crate::ext::members_of_each(reads).await
        }
    }

    /// Every tenant with its members in one read, where the provider has
    /// one; see [`MembershipDirectory::list_tenants_with_members`]. The
    /// default is `None`.
    fn list_tenants_with_members(
        &self, args: op::ListTenantsWithMembers,
    ) -> impl Future<Output = Result<Option<TenantsWithMembers>>> + Send {
        let _ = args;
        std::future::ready(Ok(None))
    }

    /// A move the provider does natively (one write), or `None` where it
    /// has none. [`Checked`] has already refused a move from a tenant to
    /// itself.
    ///
    /// With `None`, [`Checked`] moves by
    /// [`remove_then_add`](crate::ext::remove_then_add) through its own
    /// checked `remove_member` and `add_member`; it is an `Option` rather
    /// than a default body because that fallback needs the checked
    /// directory, which the service cannot name.
    fn move_natively(
        &self, args: op::MoveMember<'_>,
    ) -> impl Future<Output = Option<Result<Membership>>> + Send {
        let _ = args;
        std::future::ready(None)
    }
}

/// A service that is built from its configuration, so that
/// `Checked::<S>::new(config)` (and an adapter's `XClient::new(config)`)
/// connects and wraps it in one step.
pub trait Connect: Sized {
    /// What the service is built from.
    type Config;

    /// Builds the service. Nothing is sent: a bad base URL (including
    /// plain `http://` to a host other than loopback without the opt-in)
    /// or an unusable credential is `InvalidInput`.
    fn connect(config: Self::Config) -> Result<Self>;
}

/// A service behind the one checking step: the type callers hold.
///
/// It implements the directory traits for any `S` that implements the
/// service traits, running the checks listed in the [module
/// docs](crate::service) before `S` sees a call, and tagging every error
/// with the provider and the operation. It dereferences to `S`, so an
/// adapter's own methods (outside the neutral traits) are called on it
/// directly.
#[derive(Clone)]
pub struct Checked<S> {
    service: S,
}

impl<S: Connect> Checked<S> {
    /// Connects the service with `config` and puts it behind the checks.
    pub fn new(config: S::Config) -> Result<Self> {
        S::connect(config).map(Checked::from_service)
    }
}

impl<S> Checked<S> {
    /// Puts an already built service behind the checks.
    pub fn from_service(service: S) -> Self {
        Checked { service }
    }

    /// The service underneath, for its own (provider-specific) methods.
    /// Its service-trait methods take [`op`] structs, which only `Checked`
    /// builds, so they are reached only through the checks.
    pub fn service(&self) -> &S {
        &self.service
    }

    /// Gives the service back.
    pub fn into_service(self) -> S {
        self.service
    }
}

impl<S> Deref for Checked<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.service
    }
}

// Transparent, so a client prints as the adapter's own (redacted) Debug.
impl<S: fmt::Debug> fmt::Debug for Checked<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.service.fmt(f)
    }
}

impl<S: Provider> Provider for Checked<S> {
    fn provider_id(&self) -> &'static str {
        self.service.provider_id()
    }

    fn capabilities(&self) -> Capabilities {
        self.service.capabilities()
    }

    fn user_fields(&self) -> &'static [&'static str] {
        self.service.user_fields()
    }

    fn request_timeout(&self) -> Option<std::time::Duration> {
        self.service.request_timeout()
    }
}

/// The checks of one call, tagged with its provider and operation.
struct Gate {
    provider: &'static str,
    operation: Operation,
    caps: Capabilities,
}

impl Gate {
    fn new(provider: &impl Provider, operation: Operation) -> Self {
        Gate {
            provider: provider.provider_id(),
            operation,
            caps: provider.capabilities(),
        }
    }

    fn tag(&self, err: Error) -> Error {
        err.with_provider(self.provider)
            .with_operation(self.operation)
    }

    /// `Unsupported` naming `what` unless `supported`.
    fn require(&self, supported: bool, what: &str) -> Result<&Self> {
        if supported {
            Ok(self)
        } else {
            Err(Error::unsupported(self.provider, self.operation, what))
        }
    }

    fn segment(&self, what: &str, id: &str) -> Result<&Self> {
        path_segment(what, id).map_err(|err| self.tag(err))?;
        Ok(self)
    }

    fn page(&self, page: &PageRequest) -> Result<&Self> {
        if page.cursor.is_some() && !self.caps.server_side_pagination {
            return Err(self.tag(Error::invalid_input(format!(
                "{} does not paginate; there is no page after the first",
                self.provider
            ))));
        }
        Ok(self)
    }

    fn membership(&self, request: &MembershipRequest) -> Result<&Self> {
        self.caps
            .check_membership_request(request)
            .map_err(|err| self.tag(err))?;
        Ok(self)
    }

    fn fields(&self, fields: &crate::ProviderFields, accepted: &[&str]) -> Result<&Self> {
        fields.check(accepted).map_err(|err| self.tag(err))?;
        Ok(self)
    }

    fn create_user(&self, user: &NewUser, accepted: &[&str]) -> Result<&Self> {
        let caps = self.caps;
        self.require(caps.create_user, "creating users")?
            .require(
                caps.user_display_name || user.display_name.is_none(),
                "display names",
            )?
            .require(
                caps.user_roles || user.role.is_none(),
                "account-wide user roles",
            )?
            .require(
                caps.multiple_roles_per_user || user.additional_roles.is_empty(),
                "several roles per user",
            )?
            .fields(&user.fields, accepted)
    }

    /// The arguments of an update; the flag and the id are checked first.
    fn update_user(&self, update: &UserUpdate, accepted: &[&str]) -> Result<&Self> {
        let caps = self.caps;
        self.require(
            caps.update_email || update.email.is_none(),
            "changing a user's email",
        )?
        .require(
            (caps.user_display_name && caps.update_display_name) || update.display_name.is_none(),
            "changing a user's display name",
        )?
        .require(
            caps.update_role || update.role.is_none(),
            "changing a user's role",
        )?
        .require(
            caps.update_status || update.status.is_none(),
            "blocking or suspending users",
        )?
        .require(
            caps.multiple_roles_per_user || update.roles.is_none(),
            "several roles per user",
        )?
        .require(
            caps.update_role || update.roles.is_none(),
            "changing a user's role",
        )?
        .fields(&update.fields, accepted)
    }

    /// The id checks of a user operation: a path segment, then the
    /// provider's own syntax.
    fn user_id(&self, service: &impl UserService, id: &UserId) -> Result<&Self> {
        self.segment("user id", id.as_str())?;
        service.check_user_id(id).map_err(|err| self.tag(err))?;
        Ok(self)
    }

    fn create_tenant(&self, tenant: &NewTenant) -> Result<&Self> {
        let caps = self.caps;
        self.require(caps.create_tenant, "creating tenants")?
            .require(
                caps.create_tenant_with_members || tenant.members.is_empty(),
                "creating a tenant together with its members",
            )?;
        for member in &tenant.members {
            self.segment("user id", member.user.as_str())?
                .membership(&member.membership)?;
        }
        Ok(self)
    }

    /// Passes `result` through, its error tagged.
    fn done<T>(&self, result: Result<T>) -> Result<T> {
        result.map_err(|err| self.tag(err))
    }
}

#[async_trait]
impl<S: UserService> UserDirectory for Checked<S> {
    async fn list_users_page(&self, page: PageRequest) -> Result<Page<User>> {
        let gate = Gate::new(self, op::ListUsers::OPERATION);
        gate.require(gate.caps.list_users, "listing users")?
            .page(&page)?;
        gate.done(self.service.list_users_page(op::ListUsers { page }).await)
    }

    async fn get_user(&self, id: &UserId) -> Result<User> {
        let gate = Gate::new(self, op::GetUser::OPERATION);
        gate.require(gate.caps.get_user, "reading a user")?
            .user_id(&self.service, id)?;
        gate.done(self.service.get_user(op::GetUser { id }).await)
    }

    async fn create_user(&self, user: &NewUser) -> Result<Created<User>> {
        let gate = Gate::new(self, op::CreateUser::OPERATION);
        gate.create_user(user, self.user_fields())?;
        gate.done(self.service.create_user(op::CreateUser { user }).await)
    }

    async fn update_user(&self, id: &UserId, update: &UserUpdate) -> Result<User> {
        let gate = Gate::new(self, op::UpdateUser::OPERATION);
        // The id first: a bad id is reported as such, whatever the update.
        gate.require(gate.caps.update_user, "updating users")?
            .user_id(&self.service, id)?
            .update_user(update, self.user_fields())?;
        gate.done(
            self.service
                .update_user(op::UpdateUser { id, update })
                .await,
        )
    }

    async fn delete_user(&self, id: &UserId) -> Result<()> {
        let gate = Gate::new(self, op::DeleteUser::OPERATION);
        gate.require(gate.caps.delete_user, "deleting users")?
            .user_id(&self.service, id)?;
        gate.done(self.service.delete_user(op::DeleteUser { id }).await)
    }

    async fn current_user(&self) -> Result<Principal> {
        let gate = Gate::new(self, op::CurrentUser::OPERATION);
        gate.require(gate.caps.current_user, "reading the current user")?;
        gate.done(self.service.current_user(op::CurrentUser {}).await)
    }
}

#[async_trait]
impl<S: TenantService> TenantDirectory for Checked<S> {
    async fn list_tenants_page(&self, page: PageRequest) -> Result<Page<Tenant>> {
        let gate = Gate::new(self, op::ListTenants::OPERATION);
        gate.require(gate.caps.list_tenants, "listing tenants")?
            .page(&page)?;
        gate.done(
            self.service
                .list_tenants_page(op::ListTenants { page })
                .await,
        )
    }

    async fn get_tenant(&self, id: &TenantId) -> Result<Tenant> {
        let gate = Gate::new(self, op::GetTenant::OPERATION);
        gate.require(gate.caps.get_tenant, "reading a tenant")?
            .segment("tenant id", id.as_str())?;
        gate.done(self.service.get_tenant(op::GetTenant { id }).await)
    }

    async fn create_tenant(&self, tenant: &NewTenant) -> Result<Created<Tenant>> {
        let gate = Gate::new(self, op::CreateTenant::OPERATION);
        gate.create_tenant(tenant)?;
        gate.done(
            self.service
                .create_tenant(op::CreateTenant { tenant })
                .await,
        )
    }

    async fn delete_tenant(&self, id: &TenantId) -> Result<()> {
        let gate = Gate::new(self, op::DeleteTenant::OPERATION);
        gate.require(gate.caps.delete_tenant, "deleting tenants")?
            .segment("tenant id", id.as_str())?;
        gate.done(self.service.delete_tenant(op::DeleteTenant { id }).await)
    }
}

#[async_trait]
impl<S: MembershipService + UserService> MembershipDirectory for Checked<S> {
    async fn list_members_page(
        &self, tenant: &TenantId, page: PageRequest,
    ) -> Result<Page<Membership>> {
        let gate = Gate::new(self, op::ListMembers::OPERATION);
        gate.require(gate.caps.list_members, "listing a tenant's members")?
            .segment("tenant id", tenant.as_str())?
            .page(&page)?;
        let args = op::ListMembers { tenant, page };
        gate.done(self.service.list_members_page(args).await)
    }

    async fn list_user_memberships(&self, user: &UserId) -> Result<Vec<Membership>> {
        let gate = Gate::new(self, op::ListUserMemberships::OPERATION);
        gate.require(gate.caps.list_user_memberships, "listing a user's tenants")?
            .user_id(&self.service, user)?;
        let args = op::ListUserMemberships { user };
        gate.done(self.service.list_user_memberships(args).await)
    }

    async fn add_member(
        &self, tenant: &TenantId, user: &UserId, request: &MembershipRequest,
    ) -> Result<Membership> {
        let gate = Gate::new(self, op::AddMember::OPERATION);
        gate.require(gate.caps.add_member, "adding members")?
            .segment("tenant id", tenant.as_str())?
            .user_id(&self.service, user)?
            .membership(request)?;
        let args = op::AddMember {
            tenant,
            user,
            request,
        };
        gate.done(self.service.add_member(args).await)
    }

    async fn remove_member(&self, tenant: &TenantId, user: &UserId) -> Result<()> {
        let gate = Gate::new(self, op::RemoveMember::OPERATION);
        gate.require(gate.caps.remove_member, "removing members")?
            .segment("tenant id", tenant.as_str())?
            .user_id(&self.service, user)?;
        let args = op::RemoveMember { tenant, user };
        gate.done(self.service.remove_member(args).await)
    }

    async fn list_members_of(&self, tenants: &[TenantId]) -> Result<Vec<Membership>> {
        let gate = Gate::new(self, op::ListMembersOf::OPERATION);
        gate.require(gate.caps.list_members, "listing a tenant's members")?;
        for tenant in tenants {
            gate.segment("tenant id", tenant.as_str())?;
        }
        gate.done(
            self.service
                .list_members_of(op::ListMembersOf { tenants })
                .await,
        )
    }

    async fn list_tenants_with_members(&self) -> Result<Option<TenantsWithMembers>> {
        let args = op::ListTenantsWithMembers {};
        let gate = Gate::new(self, args.operation());
        if !(gate.caps.list_tenants && gate.caps.list_members) {
            return Ok(None);
        }
        gate.done(self.service.list_tenants_with_members(args).await)
    }

    async fn move_user(
        &self, user: &UserId, from: &TenantId, to: &TenantId, request: &MembershipRequest,
    ) -> Result<Membership> {
        let gate = Gate::new(self, op::MoveMember::OPERATION);
        let caps = gate.caps;
        gate.require(caps.add_member && caps.remove_member, "moving members")?
            .user_id(&self.service, user)?
            .segment("tenant id", from.as_str())?
            .segment("tenant id", to.as_str())?
            .membership(request)?;
        if from == to {
            // A remove then an add would briefly drop the user, and on a
            // one-tenant provider the add could not restore them.
            return Err(gate.tag(Error::invalid_input(format!(
                "cannot move user {user} from tenant {from} to itself; \
                 add_member changes a membership in place"
            ))));
        }
        let args = op::MoveMember {
            user,
            from,
            to,
            request,
        };
        let moved = match self.service.move_natively(args).await {
            Some(moved) => moved,
            None => crate::ext::remove_then_add(self, user, from, to, request).await,
        };
        gate.done(moved)
    }
}

#[cfg(test)]
mod tests;
