//! Limiting operations in flight.

use std::sync::Arc;

use std::future::Future;

use roster_core::{Error, ErrorKind, Result};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::layered::{Call, Layer};

/// Lets at most N operations run at once; the rest wait their turn.
///
/// Clones share one semaphore, so one limit can cover several clients (for
/// example every client that talks to one server):
///
/// ```
/// # fn demo(a: impl roster_core::Directory + 'static, b: impl roster_core::Directory + 'static) {
/// use roster_layers::{ConcurrencyLimit, LayerExt};
///
/// let limit = ConcurrencyLimit::new(8);
/// let first = a.layer(limit.clone());
/// let second = b.layer(limit);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ConcurrencyLimit {
    permits: Arc<Semaphore>,
    limit: usize,
}

impl ConcurrencyLimit {
    /// At most `limit` operations at once (at least one).
    pub fn new(limit: usize) -> Self {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS);
        ConcurrencyLimit {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    /// The limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// How many more operations could start right now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

impl ConcurrencyLimit {
    /// Waits for one permit; the operation holds it while the permit lives.
    pub(crate) async fn acquire(
        &self, provider: &'static str, operation: roster_core::Operation,
    ) -> Result<SemaphorePermit<'_>> {
        // The semaphore is never closed, so this only fails if that
        // invariant is broken; say so rather than panic.
        self.permits.acquire().await.map_err(|_| {
            Error::new(ErrorKind::Unexpected, "the concurrency limit was closed")
                .with_provider(provider)
                .with_operation(operation)
        })
    }

    /// Runs `work` holding one permit.
    pub(crate) async fn hold<T>(
        &self, provider: &'static str, operation: roster_core::Operation,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let _permit = self.acquire(provider, operation).await?;
        work.await
    }
}

impl Layer for ConcurrencyLimit {
    fn call<'a, T: Send + 'a>(
        &'a self, call: Call<'a, T>,
    ) -> impl Future<Output = Result<T>> + Send + 'a {
        self.hold(call.provider(), call.operation(), call.attempt())
    }
}
