//! Time limits.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use roster_core::{Error, ErrorKind, Result};

use crate::layered::{Call, Layer};

/// Fails an operation with [`ErrorKind::Timeout`] when it takes longer than
/// a limit.
///
/// One type, two places in a stack (see [`Stack`](crate::Stack)):
///
/// - [`Timeout::per_attempt`] goes **inside** [`Retry`](crate::Retry): a
///   slow attempt is abandoned, and the retry layer decides what next (a
///   timed-out create is looked up before anything is re-sent);
/// - [`Timeout::total`] goes **outside** it and bounds the whole
///   operation, waits between attempts included.
///
/// The HTTP client's own request timeout
/// ([`HttpSettings::request_timeout`](https://docs.rs/roster-http)) still
/// applies to each request underneath.
///
/// ```
/// # fn demo(client: impl roster_core::Directory + 'static) {
/// use std::time::Duration;
/// use roster_layers::{LayerExt, Retry, Timeout};
///
/// let directory = client
///     .layer(Timeout::per_attempt(Duration::from_secs(10)))
///     .layer(Retry::default())
///     .layer(Timeout::total(Duration::from_secs(60)));
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Timeout {
    limit: Duration,
    whole_operation: bool,
}

impl Timeout {
    /// A limit for each attempt; place it inside the retry layer.
    pub fn per_attempt(limit: Duration) -> Self {
        Timeout {
            limit,
            whole_operation: false,
        }
    }

    /// A limit for the whole operation; place it outside the retry layer.
    pub fn total(limit: Duration) -> Self {
        Timeout {
            limit,
            whole_operation: true,
        }
    }

    /// The limit.
    pub fn limit(&self) -> Duration {
        self.limit
    }
}

tokio::task_local! {
    /// The whole-operation deadline of the call being run by a
    /// [`Stack`](crate::Stack): set once per operation, read by the
    /// per-request part (which arms its one timer at the earlier of this and
    /// the attempt's own deadline) and by the retry waits.
    static OPERATION_DEADLINE: Deadline;
}

/// When a whole operation must end, and the limit that said so.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub(crate) at: Instant,
    pub(crate) limit: Duration,
}

/// The whole-operation deadline in force, if any.
pub(crate) fn operation_deadline() -> Option<Deadline> {
    OPERATION_DEADLINE.try_with(|deadline| *deadline).ok()
}

/// Runs `work` with `limit` from now as its whole-operation deadline (or
/// the enclosing one, where that is earlier). No timer: the deadline is
/// only a value, armed by whoever waits.
pub(crate) fn within_deadline<F: Future>(
    limit: Duration, work: F,
) -> tokio::task::futures::TaskLocalFuture<Deadline, F> {
    let mut deadline = Deadline {
        at: Instant::now() + limit,
        limit,
    };
    if let Some(outer) = operation_deadline()
        && outer.at < deadline.at
    {
        deadline = outer;
    }
    OPERATION_DEADLINE.scope(deadline, work)
}

/// Sleeps for `wait`, unless that would pass the operation's deadline:
/// then sleeps until the deadline and fails as the operation's timer did.
pub(crate) async fn sleep_within_deadline(
    wait: Duration, provider: &'static str, operation: roster_core::Operation,
) -> Result<()> {
    match operation_deadline() {
        Some(deadline) if Instant::now() + wait >= deadline.at => {
            tokio::time::sleep_until(deadline.at).await;
            Err(timed_out(provider, operation, true, deadline.limit))
        }
        _ => {
            tokio::time::sleep(wait).await;
            Ok(())
        }
    }
}

/// The error of an operation (`whole_operation`) or an attempt that passed
/// its `limit`.
pub(crate) fn timed_out(
    provider: &'static str, operation: roster_core::Operation, whole_operation: bool,
    limit: Duration,
) -> Error {
    let what = if whole_operation {
        "the operation"
    } else {
        "the attempt"
    };
    Error::new(
        ErrorKind::Timeout,
        format!("{what} took longer than {limit:?}"),
    )
    .with_provider(provider)
    .with_operation(operation)
}

impl Timeout {
    /// Runs `work`, failing with `Timeout` once the limit passes.
    pub(crate) async fn bound<T>(
        &self, provider: &'static str, operation: roster_core::Operation,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        match tokio::time::timeout(self.limit, work).await {
            Ok(result) => result,
            Err(_) => Err(timed_out(
                provider,
                operation,
                self.whole_operation,
                self.limit,
            )),
        }
    }
}

impl Layer for Timeout {
    fn call<'a, T: Send + 'a>(
        &'a self, call: Call<'a, T>,
    ) -> impl Future<Output = Result<T>> + Send + 'a {
        self.bound(call.provider(), call.operation(), call.attempt())
    }
}
