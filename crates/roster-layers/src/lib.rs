//! # roster-layers
//!
//! Layers wrap any implementation of Roster's traits and implement the same
//! traits, as Apache OpenDAL's layers do. They compose by nesting, so a
//! layered client is still a [`UserDirectory`], [`TenantDirectory`] and
//! [`MembershipDirectory`], and every helper in the `*Ext` traits goes
//! through the layers too.
//!
//! | layer | what it does |
//! |---|---|
//! | [`Retry`] | exponential backoff with jitter, honours `Retry-After`, never re-sends a create blindly |
//! | [`Timeout`] | a per-attempt or a whole-operation time limit |
//! | [`ConcurrencyLimit`] | at most N operations in flight, shared between clients |
//! | [`RateLimit`] | a token bucket shared between clients (NetBird cloud: 120/min, burst 1,200) |
//! | [`Trace`] | one `tracing` span per operation; no header, token or query |
//!
//! [`Stack`] builds the recommended order in one call. From the outside in:
//!
//! ```text
//! Trace → Timeout::total → Retry → RateLimit → ConcurrencyLimit → Timeout::per_attempt → adapter
//! ```
//!
//! - The per-attempt timeout sits **inside** retry, so a slow attempt is
//!   abandoned and retried; the whole-operation timeout sits outside and
//!   bounds everything, waits included.
//! - The rate limit is inside retry, so every attempt takes a token; it is
//!   outside the concurrency limit, so waiting for a token holds no slot.
//! - Tracing is outermost, so its span covers every attempt; the retry layer
//!   records the attempt count on it.
//!
//! ```
//! # async fn demo(client: impl roster_core::Directory + 'static) -> roster_core::Result<()> {
//! use std::time::Duration;
//! use roster_core::{Email, UserDirectoryExt};
//! use roster_layers::{Retry, Stack};
//!
//! let directory = Stack::default()
//!     .retry(Retry::default().max_attempts(5))
//!     .attempt_timeout(Some(Duration::from_secs(10)))
//!     .apply(client);
//! let alice = directory.find_user_by_email(&Email::parse("alice@example.com")?).await?;
//! # Ok(()) }
//! ```
//!
//! Single layers wrap with [`LayerExt::layer`]; the innermost is applied
//! first:
//!
//! ```
//! # fn demo(client: impl roster_core::Directory + 'static) {
//! use std::time::Duration;
//! use roster_layers::{LayerExt, Retry, Timeout};
//!
//! let directory = client
//!     .layer(Timeout::per_attempt(Duration::from_secs(10)))
//!     .layer(Retry::default());
//! # }
//! ```
#![warn(missing_docs)]

mod concurrency;
mod layered;
mod rate_limit;
mod retry;
mod stack;
mod timeout;
mod trace;

pub use concurrency::ConcurrencyLimit;
pub use layered::{Attempt, Call, Layer, LayerExt, Layered, Recover};
pub use rate_limit::{RateLimit, RateLimitPreset};
pub use retry::Retry;
pub use stack::Stack;
pub use timeout::Timeout;
pub use trace::Trace;

#[doc(no_inline)]
pub use roster_core::{MembershipDirectory, TenantDirectory, UserDirectory};
