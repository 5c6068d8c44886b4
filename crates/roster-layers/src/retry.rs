//! Retrying temporary failures, without ever creating anything twice.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use roster_core::{Error, ErrorKind, Operation, Result};
use tokio::time::Instant;

use crate::layered::{Call, Layer};
use crate::timeout::sleep_within_deadline;

/// Retries operations that failed for a reason that may pass.
///
/// - **What is retried.** Errors that are temporary
///   ([`Error::is_temporary`]): 408, 429, 502, 503, 504, transport failures
///   and timeouts. A 500 is retried only for idempotent operations
///   ([`Operation::is_idempotent`]); other non-idempotent operations (a
///   move) are re-sent only after a failure that cannot have taken effect
///   (408, 429). Everything else (400, 401, 403, 404,
///   409, 412, 422, decode errors, unsupported operations) fails at once.
/// - **How long it waits.** Exponential backoff from 200 ms, doubling up to
///   10 s, with jitter (each wait is between one and two times the step),
///   computed by the `backon` crate. A `Retry-After` from the server, in
///   seconds or as an HTTP date, replaces the computed wait.
/// - **When it stops.** After [`max_attempts`](Retry::max_attempts) attempts
///   (4 by default, the first included), or when the next wait would end
///   past the [`deadline`](Retry::deadline) (60 s from the first attempt by
///   default): it never sleeps past the deadline, and returns the last
///   error instead.
/// - **Creates are never re-sent blindly.** When a create fails ambiguously
///   (a timeout, a lost connection, or a 5xx: the server may have acted),
///   the layer first looks the user up by email, or the tenant by name,
///   through the layers inside it. If the earlier attempt took effect, the
///   result is that resource with
///   [`CreateOutcome::Adopted`](roster_core::CreateOutcome::Adopted) and
///   nothing is sent again. If not, it looks once more after the wait,
///   just before re-sending, in case the lost request was still on its way.
///   The lookup is a read and is retried like one (same backoff, attempts
///   and deadline); only when it still fails is the create's error returned,
///   rather than risk a duplicate. (A request still in flight after both lookups can
///   still land; no client can rule that out without an idempotency key,
///   which none of the providers offers.)
/// - **What took effect in part is not repeated.** An error the adapter
///   marked [`Error::is_partly_done`] (a tenant created, then adding one of
///   its members failed) is returned at once, neither adopted nor re-sent.
/// - **Removals finish.** When a delete or a member removal is retried
///   after an attempt that may have taken effect, and the retry answers
///   `NotFound`, the thing is gone as asked: that is success.
///
/// Each retry is logged as a `debug` event, and the attempt number is
/// recorded on the current span (the [`Trace`](crate::Trace) layer's).
///
/// ```
/// # fn demo(client: impl roster_core::Directory + 'static) {
/// use std::time::Duration;
/// use roster_layers::{LayerExt, Retry, Timeout};
///
/// let retry = Retry::default()
///     .max_attempts(6)
///     .deadline(Some(Duration::from_secs(30)))
///     .delays(Duration::from_millis(100), Duration::from_secs(5));
/// let directory = client
///     .layer(Timeout::per_attempt(Duration::from_secs(10)))
///     .layer(retry);
/// // Or switch retries off, keeping the same types:
/// let _no_retries = Retry::disabled();
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Retry {
    enabled: bool,
    max_attempts: usize,
    deadline: Option<Duration>,
    min_delay: Duration,
    max_delay: Duration,
    jitter: bool,
    jitter_seed: Option<u64>,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            enabled: true,
            max_attempts: 4,
            deadline: Some(Duration::from_secs(60)),
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            jitter: true,
            jitter_seed: None,
        }
    }
}

impl Retry {
    /// A layer that runs every operation exactly once.
    pub fn disabled() -> Self {
        Retry {
            enabled: false,
            ..Retry::default()
        }
    }

    /// At most `attempts` attempts, the first included; `1` (or `0`) means
    /// no retries.
    pub fn max_attempts(mut self, attempts: usize) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// No wait may end later than `deadline` after the first attempt
    /// started; `None` removes the limit (the attempt count still applies).
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// The first wait and the largest one; waits double in between.
    pub fn delays(mut self, first: Duration, largest: Duration) -> Self {
        self.min_delay = first;
        self.max_delay = largest.max(first);
        self
    }

    /// Whether waits are randomised (on by default), so that many clients
    /// failing together do not retry together.
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Makes the jitter reproducible, for tests.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// Whether this layer retries at all.
    pub fn is_enabled(&self) -> bool {
        self.enabled && self.max_attempts > 1
    }

    fn backoff(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        let mut builder = ExponentialBuilder::new()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_attempts.saturating_sub(1));
        if self.jitter {
            builder = builder.with_jitter();
        }
        if let Some(seed) = self.jitter_seed {
            builder = builder.with_jitter_seed(seed);
        }
        builder.build()
    }

    pub(crate) async fn run<T: Send>(&self, call: Call<'_, T>) -> Result<T> {
        let operation = call.operation();
        let started = Instant::now();
        // Built at the first failure: most calls never need it.
        let mut waits = None;
        let mut attempt: usize = 1;
        // Whether an earlier attempt failed in a way the server may have
        // acted on.
        let mut maybe_done = false;
        loop {
            if attempt > 1 {
                tracing::Span::current().record("attempt", attempt);
            }
            let error = match call.attempt().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            // An operation that took effect in part (a tenant created, then
            // adding a member it was to have failed): adopting the tenant
            // would hide the failure, re-sending would make a second one.
            if error.is_partly_done() {
                return Err(error);
            }
            // A removal that an earlier, lost attempt already carried out
            // answers NotFound now: what was asked for is done.
            if maybe_done
                && operation.is_removal()
                && error.kind() == ErrorKind::NotFound
                && let Some(recover) = call.recover()
                && let Ok(Some(done)) = recover.await
            {
                return Ok(done);
            }
            let ambiguous = may_have_taken_effect(&error);
            maybe_done |= ambiguous;
            let recheck_create = operation.is_create() && ambiguous;
            if recheck_create {
                match self.look_up(&call, attempt, started).await {
                    Lookup::Found(adopted) => return Ok(adopted),
                    Lookup::Absent => {}
                    Lookup::Failed(lookup) => return Err(not_checked(error, &lookup)),
                    Lookup::PastDeadline(timeout) => return Err(timeout),
                }
            }
            if !may_resend(operation, &error) {
                return Err(error);
            }
            let Some(backoff) = waits.get_or_insert_with(|| self.backoff()).next() else {
                return Err(error.with_context(format!("gave up after {attempt} attempts")));
            };
            let wait = error.retry_after().unwrap_or(backoff);
            if let Some(deadline) = self.deadline
                && started.elapsed() + wait > deadline
            {
                return Err(error.with_context(format!(
                    "gave up after {attempt} attempts: waiting {wait:?} would pass the \
                     {deadline:?} retry deadline"
                )));
            }
            tracing::debug!(
                provider = call.provider(),
                operation = operation.as_str(),
                attempt,
                wait_ms = wait.as_millis() as u64,
                kind = error.kind().as_str(),
                status = error.status(),
                "retrying"
            );
            sleep_within_deadline(wait, call.provider(), operation).await?;
            // The lost request may still have been on its way when we first
            // looked: look once more, after the wait, before sending again.
            if recheck_create {
                match self.look_up(&call, attempt, started).await {
                    Lookup::Found(adopted) => return Ok(adopted),
                    Lookup::Absent => {}
                    Lookup::Failed(lookup) => return Err(not_checked(error, &lookup)),
                    Lookup::PastDeadline(timeout) => return Err(timeout),
                }
            }
            attempt += 1;
        }
    }
}

/// What looking up an ambiguously failed create found.
enum Lookup<T> {
    /// It had taken effect: adopt this.
    Found(T),
    /// It had not (yet).
    Absent,
    /// The lookup itself failed.
    Failed(Error),
    /// The operation's deadline passed while waiting to look again.
    PastDeadline(Error),
}

impl Retry {
    /// Looks up the resource an ambiguously failed create may have made.
    /// The lookup is a read and is retried like one: a temporary failure is
    /// tried again with the same backoff and number of attempts, within the
    /// same deadline, so one lost lookup does not abandon the create.
    async fn look_up<T>(&self, call: &Call<'_, T>, attempt: usize, started: Instant) -> Lookup<T> {
        let mut waits = self.backoff();
        let mut tries: usize = 1;
        loop {
            let lookup = match check_create(call).await {
                Ok(Some(adopted)) => {
                    tracing::debug!(
                        provider = call.provider(),
                        operation = call.operation().as_str(),
                        attempt,
                        "the create failed ambiguously but had taken effect; adopting it"
                    );
                    return Lookup::Found(adopted);
                }
                Ok(None) => return Lookup::Absent,
                Err(lookup) => lookup,
            };
            if !lookup.is_temporary() {
                return Lookup::Failed(lookup);
            }
            let Some(backoff) = waits.next() else {
                return Lookup::Failed(lookup.with_context(format!("{tries} lookups failed")));
            };
            let wait = lookup.retry_after().unwrap_or(backoff);
            if let Some(deadline) = self.deadline
                && started.elapsed() + wait > deadline
            {
                return Lookup::Failed(lookup.with_context(format!(
                    "{tries} lookups failed before the {deadline:?} retry deadline"
                )));
            }
            tracing::debug!(
                provider = call.provider(),
                operation = call.operation().as_str(),
                attempt,
                lookup = tries,
                wait_ms = wait.as_millis() as u64,
                kind = lookup.kind().as_str(),
                "retrying the lookup of an ambiguous create"
            );
            if let Err(timeout) =
                sleep_within_deadline(wait, call.provider(), call.operation()).await
            {
                return Lookup::PastDeadline(timeout);
            }
            tries += 1;
        }
    }
}

/// The create's error, saying it was not sent again because the lookup
/// failed (a duplicate is worse than an error).
fn not_checked(error: Error, lookup: &Error) -> Error {
    error.with_context(format!(
        "not retried: checking whether the create took effect failed ({})",
        lookup.message()
    ))
}

impl Layer for Retry {
    async fn call<'a, T: Send + 'a>(&'a self, call: Call<'a, T>) -> Result<T> {
        if !self.is_enabled() {
            return call.attempt().await;
        }
        self.run(call).await
    }
}

/// Whether the server may have acted on a request that failed this way.
fn may_have_taken_effect(error: &Error) -> bool {
    matches!(error.kind(), ErrorKind::Timeout | ErrorKind::Transport)
        || error.status().is_some_and(|status| status >= 500)
}

/// Whether sending the operation again is safe and may succeed. A
/// non-idempotent operation is only re-sent when the failure cannot have
/// taken effect (429, 408), or, for a create, once the lookup has shown it
/// did not; a 500 is never re-sent for one.
fn may_resend(operation: Operation, error: &Error) -> bool {
    if !error.is_temporary() {
        return false;
    }
    operation.is_idempotent()
        || (error.status() != Some(500) && (operation.is_create() || !may_have_taken_effect(error)))
}

/// For a create that may have taken effect: the resource it made, if any.
/// A create with no lookup is never re-sent.
async fn check_create<T>(call: &Call<'_, T>) -> Result<Option<T>> {
    match call.recover() {
        Some(lookup) => lookup.await,
        None => Err(Error::new(
            ErrorKind::Unsupported,
            "there is no way to look this resource up",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> Error {
        Error::new(ErrorKind::Unexpected, "x").with_status(code)
    }

    #[test]
    fn what_is_resent() {
        let read = Operation::GetUser;
        let create = Operation::CreateUser;
        for code in [408, 429, 502, 503, 504] {
            assert!(may_resend(read, &status(code)), "{code}");
            assert!(may_resend(create, &status(code)), "{code}");
        }
        assert!(may_resend(read, &status(500)));
        assert!(!may_resend(create, &status(500)));
        for code in [400, 401, 403, 404, 409, 412, 422, 501] {
            assert!(!may_resend(read, &status(code)), "{code}");
        }
        assert!(may_resend(read, &Error::new(ErrorKind::Timeout, "t")));
        assert!(may_resend(create, &Error::new(ErrorKind::Transport, "t")));
        assert!(!may_resend(read, &Error::new(ErrorKind::Decode, "d")));
        // A move may have half happened: only re-sent when it cannot have.
        let moving = Operation::MoveMember;
        assert!(may_resend(moving, &status(429)));
        for code in [500, 502, 503] {
            assert!(!may_resend(moving, &status(code)), "{code}");
        }
        assert!(!may_resend(moving, &Error::new(ErrorKind::Timeout, "t")));
    }

    #[test]
    fn which_failures_are_ambiguous() {
        assert!(may_have_taken_effect(&Error::new(ErrorKind::Timeout, "t")));
        assert!(may_have_taken_effect(&Error::new(
            ErrorKind::Transport,
            "t"
        )));
        for code in [500, 502, 503, 504] {
            assert!(may_have_taken_effect(&status(code)), "{code}");
        }
        for code in [400, 408, 409, 429] {
            assert!(!may_have_taken_effect(&status(code)), "{code}");
        }
    }

    #[test]
    fn backoff_doubles_within_jitter_and_stops_at_max_attempts() {
        let retry = Retry::default()
            .max_attempts(5)
            .delays(Duration::from_millis(100), Duration::from_millis(350))
            .jitter_seed(7);
        let waits: Vec<_> = retry.backoff().collect();
        assert_eq!(waits.len(), 4);
        for (wait, step) in waits.iter().zip([100, 200, 350, 350]) {
            let step = Duration::from_millis(step);
            assert!(*wait >= step && *wait < step * 2, "{wait:?} vs {step:?}");
        }
        // backon computes in f32, so compare whole milliseconds.
        let plain: Vec<u128> = retry
            .clone()
            .jitter(false)
            .backoff()
            .map(|wait| wait.as_millis())
            .collect();
        assert_eq!(plain, [100, 200, 350, 350]);
        assert!(!Retry::disabled().is_enabled());
        assert!(!Retry::default().max_attempts(1).is_enabled());
    }
}
