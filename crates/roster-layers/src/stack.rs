//! The recommended layer stack, built in the documented order.

use std::sync::Arc;
use std::time::Duration;

use roster_core::Directory;

use crate::{ConcurrencyLimit, LayerExt, RateLimit, RateLimitPreset, Retry, Timeout, Trace};

/// Builds the recommended stack of layers around a client, in the order
/// explained in the [crate docs](crate):
///
/// ```text
/// Trace → Timeout::total → Retry → RateLimit → ConcurrencyLimit → Timeout::per_attempt → adapter
/// ```
///
/// | setting | default |
/// |---|---|
/// | tracing | on |
/// | whole-operation timeout | 120 s |
/// | retry | [`Retry::default`]: 4 attempts, 200 ms → 10 s backoff with jitter, 60 s deadline |
/// | rate limit | none ([`Stack::with_preset`] adds a provider's documented one) |
/// | concurrency limit | none |
/// | per-attempt timeout | 30 s |
///
/// ```
/// # fn demo(client: impl roster_core::Directory + 'static) {
/// use std::time::Duration;
/// use roster_layers::{ConcurrencyLimit, Retry, Stack};
///
/// let directory = Stack::default()
///     .retry(Retry::default().max_attempts(3))
///     .concurrency_limit(ConcurrencyLimit::new(16))
///     .total_timeout(None)
///     .apply(client);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Stack {
    trace: bool,
    total_timeout: Option<Duration>,
    retry: Retry,
    rate_limit: Option<RateLimit>,
    concurrency_limit: Option<ConcurrencyLimit>,
    attempt_timeout: Option<Duration>,
}

impl Default for Stack {
    fn default() -> Self {
        Stack {
            trace: true,
            total_timeout: Some(Duration::from_secs(120)),
            retry: Retry::default(),
            rate_limit: None,
            concurrency_limit: None,
            attempt_timeout: Some(Duration::from_secs(30)),
        }
    }
}

impl Stack {
    /// No layers at all: [`apply`](Stack::apply) only puts the client in an
    /// `Arc`.
    pub fn none() -> Self {
        Stack {
            trace: false,
            total_timeout: None,
            retry: Retry::disabled(),
            rate_limit: None,
            concurrency_limit: None,
            attempt_timeout: None,
        }
    }

    /// The default stack plus a provider's documented rate limit.
    pub fn with_preset(preset: RateLimitPreset) -> Self {
        Stack {
            rate_limit: Some(preset.limit()),
            ..Stack::default()
        }
    }

    /// Whether to open a tracing span per operation.
    pub fn trace(mut self, on: bool) -> Self {
        self.trace = on;
        self
    }

    /// The retry policy; [`Retry::disabled`] turns retries off.
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// The whole-operation limit, or `None` for none.
    pub fn total_timeout(mut self, limit: Option<Duration>) -> Self {
        self.total_timeout = limit;
        self
    }

    /// The per-attempt limit, or `None` for none.
    pub fn attempt_timeout(mut self, limit: Option<Duration>) -> Self {
        self.attempt_timeout = limit;
        self
    }

    /// A rate limit, possibly shared with other clients.
    pub fn rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.rate_limit = limit;
        self
    }

    /// A concurrency limit, possibly shared with other clients.
    pub fn concurrency_limit(mut self, limit: ConcurrencyLimit) -> Self {
        self.concurrency_limit = Some(limit);
        self
    }

    /// Wraps `client` in the configured layers.
    pub fn apply<D: Directory + 'static>(&self, client: D) -> Arc<dyn Directory> {
        let mut directory: Arc<dyn Directory> = Arc::new(client);
        if let Some(limit) = self.attempt_timeout {
            directory = Arc::new(directory.layer(Timeout::per_attempt(limit)));
        }
        if let Some(limit) = &self.concurrency_limit {
            directory = Arc::new(directory.layer(limit.clone()));
        }
        if let Some(limit) = &self.rate_limit {
            directory = Arc::new(directory.layer(limit.clone()));
        }
        if self.retry.is_enabled() {
            directory = Arc::new(directory.layer(self.retry.clone()));
        }
        if let Some(limit) = self.total_timeout {
            directory = Arc::new(directory.layer(Timeout::total(limit)));
        }
        if self.trace {
            directory = Arc::new(directory.layer(Trace));
        }
        directory
    }
}
