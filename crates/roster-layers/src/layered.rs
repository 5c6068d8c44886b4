//! The one wrapper every layer uses: it implements Roster's traits by
//! handing each call to a [`Layer`].

use async_trait::async_trait;
use futures::future::BoxFuture;
use roster_core::{
    Capabilities, CreateOutcome, Created, Membership, MembershipDirectory, MembershipRequest,
    NewTenant, NewUser, Operation, Page, PageRequest, Principal, Provider, Result, Tenant,
    TenantDirectory, TenantDirectoryExt, TenantId, User, UserDirectory, UserDirectoryExt, UserId,
    UserUpdate,
};

/// Runs one attempt of the wrapped operation. A layer may call it several
/// times (retry) or not at all (a timeout that already expired).
pub type Attempt<'a, T> = dyn Fn() -> BoxFuture<'a, Result<T>> + Send + Sync + 'a;

/// Looks up, by its natural key (email or name), the resource a create
/// would have made; for a removal, says it is done. Other operations have
/// none.
pub type Recover<'a, T> = dyn Fn() -> BoxFuture<'a, Result<Option<T>>> + Send + Sync + 'a;

/// One operation handed to a [`Layer`]: what it is, how to run it, and for
/// a create, how to find out whether an earlier attempt took effect.
pub struct Call<'a, T> {
    provider: &'static str,
    operation: Operation,
    attempt: &'a Attempt<'a, T>,
    recover: Option<&'a Recover<'a, T>>,
}

impl<T> Clone for Call<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Call<'_, T> {}

impl<'a, T> Call<'a, T> {
    /// An operation with no recovery lookup.
    pub fn new(provider: &'static str, operation: Operation, attempt: &'a Attempt<'a, T>) -> Self {
        Call {
            provider,
            operation,
            attempt,
            recover: None,
        }
    }

    /// Adds the lookup that tells whether a create already took effect.
    pub fn with_recover(mut self, recover: &'a Recover<'a, T>) -> Self {
        self.recover = Some(recover);
        self
    }

    /// The provider identifier of the wrapped client.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// The operation being run.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Runs the operation once, through every layer inside this one.
    pub fn attempt(&self) -> BoxFuture<'a, Result<T>> {
        (self.attempt)()
    }

    /// For a create: looks the resource up by its natural key. For a
    /// removal: reports it done (used when a retry finds the thing already
    /// gone). `None` for other operations.
    pub fn recover(&self) -> Option<BoxFuture<'a, Result<Option<T>>>> {
        self.recover.map(|recover| recover())
    }
}

/// Something that wraps every operation of a directory: a retry policy, a
/// time limit, a rate limit.
///
/// A layer sees each trait call as a [`Call`] and decides when, and how
/// often, to run it. [`Layered`] does the rest, so a layer is written once
/// for every operation of every trait.
pub trait Layer: Send + Sync {
    /// Runs `call`, in whatever way this layer does.
    fn call<'a, T: Send + 'a>(&'a self, call: Call<'a, T>) -> BoxFuture<'a, Result<T>>;
}

/// A directory with one layer around it. It implements whichever of
/// Roster's traits the inner directory implements.
#[derive(Debug, Clone)]
pub struct Layered<D, L> {
    inner: D,
    layer: L,
}

impl<D, L> Layered<D, L> {
    /// Wraps `inner` in `layer`.
    pub fn new(inner: D, layer: L) -> Self {
        Layered { inner, layer }
    }

    /// The wrapped directory.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The layer.
    pub fn layer_ref(&self) -> &L {
        &self.layer
    }
}

impl<D: Provider, L: Layer> Layered<D, L> {
    fn run<'a, T: Send + 'a>(
        &'a self,
        operation: Operation,
        attempt: &'a Attempt<'a, T>,
        recover: Option<&'a Recover<'a, T>>,
    ) -> BoxFuture<'a, Result<T>> {
        let mut call = Call::new(self.inner.provider_id(), operation, attempt);
        if let Some(recover) = recover {
            call = call.with_recover(recover);
        }
        self.layer.call(call)
    }
}

impl<D: Provider, L: Layer> Layered<D, L> {
    /// Runs an operation that answers nothing. Whether a retry that finds
    /// the thing gone counts as done is read from the operation's facts
    /// ([`OperationFacts::removal`](roster_core::OperationFacts::removal)),
    /// not decided here.
    fn run_unit<'a>(
        &'a self,
        operation: Operation,
        attempt: &'a Attempt<'a, ()>,
    ) -> BoxFuture<'a, Result<()>> {
        let recover: Option<&'a Recover<'a, ()>> = if operation.is_removal() {
            Some(&already_gone)
        } else {
            None
        };
        self.run(operation, attempt, recover)
    }
}

/// The recovery of a removal: what was to be removed is gone, which is
/// what was asked for.
fn already_gone<'a>() -> BoxFuture<'a, Result<Option<()>>> {
    Box::pin(async { Ok(Some(())) })
}

/// Wraps any directory in a layer: `client.layer(Retry::default())`.
pub trait LayerExt: Sized {
    /// Wraps `self` in `layer`. Layers added later sit outside earlier ones.
    fn layer<L: Layer>(self, layer: L) -> Layered<Self, L> {
        Layered::new(self, layer)
    }
}

impl<D: Provider> LayerExt for D {}

impl<D: Provider, L: Layer> Provider for Layered<D, L> {
    fn provider_id(&self) -> &'static str {
        self.inner.provider_id()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn user_fields(&self) -> &'static [&'static str] {
        self.inner.user_fields()
    }
}

#[async_trait]
impl<D: UserDirectory, L: Layer> UserDirectory for Layered<D, L> {
    async fn list_users_page(&self, page: PageRequest) -> Result<Page<User>> {
        let attempt = || self.inner.list_users_page(page.clone());
        self.run(Operation::ListUsers, &attempt, None).await
    }

    async fn get_user(&self, id: &UserId) -> Result<User> {
        self.run(Operation::GetUser, &|| self.inner.get_user(id), None)
            .await
    }

    /// Creates the user. If an attempt fails ambiguously, a layer may look
    /// the user up by email (through the layers inside it) and adopt them
    /// rather than create a second one; the result then says
    /// [`CreateOutcome::Adopted`].
    async fn create_user(&self, user: &NewUser) -> Result<Created<User>> {
        let recover = || -> BoxFuture<'_, Result<Option<Created<User>>>> {
            Box::pin(async move {
                let found = self.inner.find_user_by_email(&user.email).await?;
                Ok(found.map(|user| Created::with_outcome(user, CreateOutcome::Adopted)))
            })
        };
        self.run(
            Operation::CreateUser,
            &|| self.inner.create_user(user),
            Some(&recover),
        )
        .await
    }

    async fn update_user(&self, id: &UserId, update: &UserUpdate) -> Result<User> {
        self.run(
            Operation::UpdateUser,
            &|| self.inner.update_user(id, update),
            None,
        )
        .await
    }

    /// Deletes the user. A retry that finds the user already gone (an
    /// earlier, lost attempt deleted them) counts as done.
    async fn delete_user(&self, id: &UserId) -> Result<()> {
        self.run_unit(Operation::DeleteUser, &|| self.inner.delete_user(id))
            .await
    }

    async fn current_user(&self) -> Result<Principal> {
        self.run(Operation::CurrentUser, &|| self.inner.current_user(), None)
            .await
    }
}

#[async_trait]
impl<D: TenantDirectory, L: Layer> TenantDirectory for Layered<D, L> {
    async fn list_tenants_page(&self, page: PageRequest) -> Result<Page<Tenant>> {
        let attempt = || self.inner.list_tenants_page(page.clone());
        self.run(Operation::ListTenants, &attempt, None).await
    }

    async fn get_tenant(&self, id: &TenantId) -> Result<Tenant> {
        self.run(Operation::GetTenant, &|| self.inner.get_tenant(id), None)
            .await
    }

    /// Creates the tenant; like [`create_user`](UserDirectory::create_user),
    /// an ambiguous failure may be resolved by finding the tenant by name.
    async fn create_tenant(&self, tenant: &NewTenant) -> Result<Created<Tenant>> {
        let recover = || -> BoxFuture<'_, Result<Option<Created<Tenant>>>> {
            Box::pin(async move {
                let found = self.inner.find_tenant_by_name(tenant.name()).await?;
                Ok(found.map(|tenant| Created::with_outcome(tenant, CreateOutcome::Adopted)))
            })
        };
        self.run(
            Operation::CreateTenant,
            &|| self.inner.create_tenant(tenant),
            Some(&recover),
        )
        .await
    }

    /// Deletes the tenant. A retry that finds the tenant already gone
    /// counts as done.
    async fn delete_tenant(&self, id: &TenantId) -> Result<()> {
        self.run_unit(Operation::DeleteTenant, &|| self.inner.delete_tenant(id))
            .await
    }
}

#[async_trait]
impl<D: MembershipDirectory, L: Layer> MembershipDirectory for Layered<D, L> {
    async fn list_members(&self, tenant: &TenantId) -> Result<Vec<Membership>> {
        self.run(
            Operation::ListMembers,
            &|| self.inner.list_members(tenant),
            None,
        )
        .await
    }

    async fn list_user_memberships(&self, user: &UserId) -> Result<Vec<Membership>> {
        self.run(
            Operation::ListUserMemberships,
            &|| self.inner.list_user_memberships(user),
            None,
        )
        .await
    }

    async fn add_member(
        &self,
        tenant: &TenantId,
        user: &UserId,
        request: &MembershipRequest,
    ) -> Result<Membership> {
        self.run(
            Operation::AddMember,
            &|| self.inner.add_member(tenant, user, request),
            None,
        )
        .await
    }

    /// Removes the member; a retry that finds them no longer a member
    /// counts as done.
    async fn remove_member(&self, tenant: &TenantId, user: &UserId) -> Result<()> {
        self.run_unit(Operation::RemoveMember, &|| {
            self.inner.remove_member(tenant, user)
        })
        .await
    }

    async fn list_members_of(&self, tenants: &[TenantId]) -> Result<Vec<Membership>> {
        self.run(
            Operation::ListMembers,
            &|| self.inner.list_members_of(tenants),
            None,
        )
        .await
    }

    /// Moves through the inner directory's own `move_user`, so a provider's
    /// native move is kept; the move is one operation to the layer (and not
    /// idempotent, so it is only re-sent after a failure that cannot have
    /// taken effect).
    async fn move_user(
        &self,
        user: &UserId,
        from: &TenantId,
        to: &TenantId,
        request: &MembershipRequest,
    ) -> Result<Membership> {
        self.run(
            Operation::MoveMember,
            &|| self.inner.move_user(user, from, to, request),
            None,
        )
        .await
    }
}
