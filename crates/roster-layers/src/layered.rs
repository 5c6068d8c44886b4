//! The one wrapper every layer uses: it implements Roster's traits by
//! handing each call to a [`Layer`].

use std::future::Future;

use async_trait::async_trait;
use futures::future::BoxFuture;
use roster_core::{
    Capabilities, CreateOutcome, Created, MembershipDirectory, Operation, Provider, Result, Tenant,
    TenantDirectory, TenantDirectoryExt, User, UserDirectory, UserDirectoryExt,
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

    /// Whether the call carries a recovery lookup.
    pub fn has_recover(&self) -> bool {
        self.recover.is_some()
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
    /// Runs `call`, in whatever way this layer does. The future is
    /// returned as it is, not boxed, so layers nest without a box each.
    fn call<'a, T: Send + 'a>(
        &'a self, call: Call<'a, T>,
    ) -> impl Future<Output = Result<T>> + Send + 'a;
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
        &'a self, operation: Operation, attempt: &'a Attempt<'a, T>,
        recover: Option<&'a Recover<'a, T>>,
    ) -> impl Future<Output = Result<T>> + Send + 'a {
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
        &'a self, operation: Operation, attempt: &'a Attempt<'a, ()>,
    ) -> impl Future<Output = Result<()>> + Send + 'a {
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

    fn request_timeout(&self) -> Option<std::time::Duration> {
        self.inner.request_timeout()
    }
}

/// Implements each trait for `Layered` by handing every call to the layer,
/// with the recovery its kind (checked against the facts table) calls for:
/// a lost create is looked up by its natural key, a removal that finds the
/// thing gone is done.
macro_rules! forward_through_layer {
    ($( $trait:ident { $( $kind:ident $method:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty = $op:ident ; )* } )*) => {
        $(
            #[async_trait]
            impl<D: $trait, L: Layer> $trait for Layered<D, L> {
                $(
                    async fn $method(&self, $($arg: $ty),*) -> Result<$ret> {
                        forward_through_layer!(@body $kind self $method $op ($($arg),*))
                    }
                )*
            }
        )*
    };
    (@body removal $self:ident $method:ident $op:ident ($($arg:ident),*)) => {
        $self
            .run_unit(Operation::$op, &|| $self.inner.$method($(Clone::clone(&$arg)),*))
            .await
    };
    (@body create_user $self:ident $method:ident $op:ident ($user:ident)) => {{
        let recover = || -> BoxFuture<'_, Result<Option<Created<User>>>> {
            Box::pin(async move {
                let found = $self.inner.find_user_by_email(&$user.email).await?;
                Ok(found.map(|user| Created::with_outcome(user, CreateOutcome::Adopted)))
            })
        };
        $self
            .run(Operation::$op, &|| $self.inner.$method($user), Some(&recover))
            .await
    }};
    (@body create_tenant $self:ident $method:ident $op:ident ($tenant:ident)) => {{
        let recover = || -> BoxFuture<'_, Result<Option<Created<Tenant>>>> {
            Box::pin(async move {
                let found = $self.inner.find_tenant_by_name($tenant.name()).await?;
                Ok(found.map(|tenant| Created::with_outcome(tenant, CreateOutcome::Adopted)))
            })
        };
        $self
            .run(Operation::$op, &|| $self.inner.$method($tenant), Some(&recover))
            .await
    }};
    (@body $kind:ident $self:ident $method:ident $op:ident ($($arg:ident),*)) => {
        $self
            .run(Operation::$op, &|| $self.inner.$method($(Clone::clone(&$arg)),*), None)
            .await
    };
}

roster_core::forward_directory_methods!(forward_through_layer);
