//! The recommended layer stack, built in the documented order.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::Either;
use roster_core::{Directory, Result};
use tokio::time::Instant;

use crate::layered::{Call, Layer};
use crate::timeout::{Deadline, operation_deadline, timed_out, within_deadline};
use crate::{ConcurrencyLimit, LayerExt, RateLimit, RateLimitPreset, Retry, Trace};

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
    ///
    /// The layers are composed into two, without erasing in between: the
    /// per-request ones (rate limit, concurrency, per-attempt timeout)
    /// right around the adapter, so each request, and each page of a lost
    /// create's lookup, passes them; the per-operation ones (trace, total
    /// timeout, retry) outside. The result is erased into
    /// `Arc<dyn Directory>` once, so a call costs one boxed future for the
    /// operation and one per request, not one per layer.
    ///
    /// The two time limits share one timer. The whole-operation limit is a
    /// deadline, fixed when the operation starts; each attempt (and each
    /// lookup page) arms a single timer at the earlier of its own deadline
    /// and that one, and the retry layer's waits end at it too. When the
    /// client already fails every request at the per-attempt limit or
    /// sooner ([`Provider::request_timeout`](roster_core::Provider::request_timeout),
    /// which adapters report when Roster built their HTTP client), the
    /// attempt's limit is left to it and the one timer guards only the
    /// whole-operation deadline (with none, no timer is armed).
    pub fn apply<D: Directory + 'static>(&self, client: D) -> Arc<dyn Directory> {
        let per_request = PerRequest {
            rate_limit: self.rate_limit.clone(),
            concurrency_limit: self.concurrency_limit.clone(),
            attempt_timeout: self.attempt_timeout,
            client_timeout: client.request_timeout(),
            bounded: self.attempt_timeout.is_some() || self.total_timeout.is_some(),
        };
        let per_operation = PerOperation {
            trace: self.trace,
            total_timeout: self.total_timeout,
            retry: self.retry.is_enabled().then(|| self.retry.clone()),
        };
        match (per_request.is_empty(), per_operation.is_empty()) {
            (true, true) => Arc::new(client),
            (true, false) => Arc::new(client.layer(per_operation)),
            (false, true) => Arc::new(client.layer(per_request)),
            (false, false) => Arc::new(client.layer(per_request).layer(per_operation)),
        }
    }
}

/// RateLimit → ConcurrencyLimit → the attempt's deadline, as one layer
/// around each request.
#[derive(Debug, Clone)]
struct PerRequest {
    rate_limit: Option<RateLimit>,
    concurrency_limit: Option<ConcurrencyLimit>,
    attempt_timeout: Option<Duration>,
    /// What the client enforces on each request itself.
    client_timeout: Option<Duration>,
    /// Whether any deadline applies (per attempt, or the operation's).
    bounded: bool,
}

impl PerRequest {
    fn is_empty(&self) -> bool {
        self.rate_limit.is_none() && self.concurrency_limit.is_none() && !self.bounded
    }

    /// The attempt under its one timer: armed at the earlier of the
    /// attempt's deadline and the operation's. The attempt's is left to the
    /// client where its own request timeout is no longer; with no
    /// operation deadline either, no timer is armed at all.
    async fn attempt<'a, T: Send + 'a>(
        &'a self, call: Call<'a, T>, operation_deadline: Option<Deadline>,
    ) -> Result<T> {
        let attempt_deadline = self
            .attempt_timeout
            .filter(|limit| self.client_timeout.is_none_or(|client| client > *limit))
            .map(|limit| (Instant::now() + limit, limit));
        let (deadline, whole_operation, limit) = match (attempt_deadline, operation_deadline) {
            (Some((attempt, limit)), Some(operation)) if attempt <= operation.at => {
                (attempt, false, limit)
            }
            (Some((attempt, limit)), None) => (attempt, false, limit),
            // Where the client's own request timeout stands in for the
            // attempt's, the operation's deadline still needs this timer:
            // an attempt may send several requests, and the last could
            // otherwise run past it.
            (_, Some(operation)) => (operation.at, true, operation.limit),
            (None, None) => return call.attempt().await,
        };
        match tokio::time::timeout_at(deadline, call.attempt()).await {
            Ok(result) => result,
            Err(_) => Err(timed_out(
                call.provider(),
                call.operation(),
                whole_operation,
                limit,
            )),
        }
    }
}

impl Layer for PerRequest {
    async fn call<'a, T: Send + 'a>(&'a self, call: Call<'a, T>) -> Result<T> {
        let (provider, operation) = (call.provider(), call.operation());
        let deadline = operation_deadline();
        // Waiting for a token or a slot counts against the operation's
        // deadline, not the attempt's.
        if let Some(limit) = &self.rate_limit {
            until(deadline, limit.ready(), provider, operation).await?;
        }
        let _permit = match &self.concurrency_limit {
            Some(limit) => Some(
                until(
                    deadline,
                    limit.acquire(provider, operation),
                    provider,
                    operation,
                )
                .await??,
            ),
            None => None,
        };
        self.attempt(call, deadline).await
    }
}

/// Waits for `wait`, failing with the operation's `Timeout` at `deadline`.
async fn until<F: Future>(
    deadline: Option<Deadline>, wait: F, provider: &'static str, operation: roster_core::Operation,
) -> Result<F::Output> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline.at, wait)
            .await
            .map_err(|_| timed_out(provider, operation, true, deadline.limit)),
        None => Ok(wait.await),
    }
}

/// Trace → the operation's deadline → Retry, as one layer around each
/// operation.
#[derive(Debug, Clone)]
struct PerOperation {
    trace: bool,
    total_timeout: Option<Duration>,
    retry: Option<Retry>,
}

impl PerOperation {
    fn is_empty(&self) -> bool {
        !self.trace && self.total_timeout.is_none() && self.retry.is_none()
    }

    async fn retried<'a, T: Send + 'a>(&'a self, call: Call<'a, T>) -> Result<T> {
        match &self.retry {
            Some(retry) => retry.run(call).await,
            None => call.attempt().await,
        }
    }
}

impl Layer for PerOperation {
    fn call<'a, T: Send + 'a>(
        &'a self, call: Call<'a, T>,
    ) -> impl Future<Output = Result<T>> + Send + 'a {
        let (provider, operation) = (call.provider(), call.operation());
        // The deadline is a value the inner parts arm their one timer at,
        // not a timer of its own.
        let bounded = match self.total_timeout {
            Some(limit) => Either::Left(within_deadline(limit, self.retried(call))),
            None => Either::Right(self.retried(call)),
        };
        // Either, not a box: the operation's one box is the erased call's.
        if self.trace {
            Either::Left(Trace::wrap(provider, operation, bounded))
        } else {
            Either::Right(bounded)
        }
    }
}
