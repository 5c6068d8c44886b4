//! Time limits.

use std::time::Duration;

use std::future::Future;

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

impl Timeout {
    /// Runs `work`, failing with `Timeout` once the limit passes.
    pub(crate) async fn bound<T>(
        &self,
        provider: &'static str,
        operation: roster_core::Operation,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        match tokio::time::timeout(self.limit, work).await {
            Ok(result) => result,
            Err(_) => {
                let what = if self.whole_operation {
                    "the operation"
                } else {
                    "the attempt"
                };
                Err(Error::new(
                    ErrorKind::Timeout,
                    format!("{what} took longer than {:?}", self.limit),
                )
                .with_provider(provider)
                .with_operation(operation))
            }
        }
    }
}

impl Layer for Timeout {
    fn call<'a, T: Send + 'a>(
        &'a self,
        call: Call<'a, T>,
    ) -> impl Future<Output = Result<T>> + Send + 'a {
        self.bound(call.provider(), call.operation(), call.attempt())
    }
}
