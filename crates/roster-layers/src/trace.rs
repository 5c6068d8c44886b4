//! One span per operation.

use std::future::Future;

use futures::future::Either;
use roster_core::Result;
use tokio::time::Instant;
use tracing::Instrument;
use tracing::field::Empty;

use crate::layered::{Call, Layer};

/// Opens one `tracing` span per operation, named `roster.operation`, with
/// the fields `provider`, `operation`, `attempt` (set by
/// [`Retry`](crate::Retry) inside it), `outcome` (`ok` or the error kind),
/// `status` (the HTTP status of a failure, if any) and `duration_ms`, and
/// logs one `debug` event when the operation ends. When no subscriber is
/// interested in the span, it does nothing at all: no clock read, no
/// record.
///
/// It records nothing else: no argument, header, token, cookie, query or
/// body, so credentials cannot reach the logs through it. (The HTTP layer
/// underneath logs one `debug` event per request with the method and path
/// only.)
///
/// ```
/// # fn demo(client: impl roster_core::Directory + 'static) {
/// use roster_layers::{LayerExt, Retry, Trace};
///
/// let directory = client.layer(Retry::default()).layer(Trace);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Trace;

impl Trace {
    /// Runs `work` inside the operation's span, recording its outcome.
    pub(crate) fn wrap<'a, T: Send + 'a>(
        provider: &'static str, operation: roster_core::Operation,
        work: impl Future<Output = Result<T>> + Send + 'a,
    ) -> impl Future<Output = Result<T>> + Send + 'a {
        let span = tracing::info_span!(
            "roster.operation",
            provider,
            operation = operation.as_str(),
            attempt = 1_usize,
            outcome = Empty,
            status = Empty,
            duration_ms = Empty,
        );
        // With no subscriber interested, the span is a no-op: skip the clock,
        // the records and the instrumentation altogether.
        if span.is_disabled() {
            return Either::Right(work);
        }
        let in_span = span.clone();
        let traced = async move {
            let started = Instant::now();
            let result = work.await;
            let duration_ms = started.elapsed().as_millis() as u64;
            span.record("duration_ms", duration_ms);
            match &result {
                Ok(_) => {
                    span.record("outcome", "ok");
                    tracing::debug!(duration_ms, "operation succeeded");
                }
                Err(error) => {
                    span.record("outcome", error.kind().as_str());
                    if let Some(status) = error.status() {
                        span.record("status", status);
                    }
                    tracing::debug!(
                        duration_ms,
                        kind = error.kind().as_str(),
                        status = error.status(),
                        "operation failed"
                    );
                }
            }
            result
        }
        .instrument(in_span);
        Either::Left(traced)
    }
}

impl Layer for Trace {
    fn call<'a, T: Send + 'a>(
        &'a self, call: Call<'a, T>,
    ) -> impl Future<Output = Result<T>> + Send + 'a {
        Trace::wrap(call.provider(), call.operation(), call.attempt())
    }
}
