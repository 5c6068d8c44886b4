//! Client-side rate limiting.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use roster_core::Result;

use crate::layered::{Call, Layer};

/// A token bucket: each operation takes a token and waits when none is
/// left, so a client stays under a provider's limit instead of collecting
/// 429s. The bucket is the `governor` crate's (GCRA).
///
/// Clones share one bucket, so one provider's limit can cover several
/// clients. It counts operations: an adapter call that needs two HTTP
/// requests (a read, then a write) takes one token, so leave headroom below
/// the provider's hard limit.
///
/// ```
/// # fn demo(a: impl roster_core::Directory + 'static, b: impl roster_core::Directory + 'static) {
/// use std::num::NonZeroU32;
/// use roster_layers::{LayerExt, RateLimit};
///
/// let netbird = RateLimit::netbird_cloud();
/// let first = a.layer(netbird.clone());
/// let second = b.layer(netbird);
///
/// let custom = RateLimit::per_second(NonZeroU32::new(10).unwrap(), NonZeroU32::new(20).unwrap());
/// # }
/// ```
#[derive(Clone)]
pub struct RateLimit {
    bucket: Arc<DefaultDirectRateLimiter>,
    description: String,
}

impl RateLimit {
    /// `requests` per minute, of which up to `burst` may go at once.
    pub fn per_minute(requests: NonZeroU32, burst: NonZeroU32) -> Self {
        Self::from_quota(
            Quota::per_minute(requests).allow_burst(burst),
            format!("{requests}/min, burst {burst}"),
        )
    }

    /// `requests` per second, of which up to `burst` may go at once.
    pub fn per_second(requests: NonZeroU32, burst: NonZeroU32) -> Self {
        Self::from_quota(
            Quota::per_second(requests).allow_burst(burst),
            format!("{requests}/s, burst {burst}"),
        )
    }

    /// NetBird cloud's documented limit: 120 requests per minute with a
    /// burst of 1,200. Self-hosted NetBird has no such limit.
    pub fn netbird_cloud() -> Self {
        const PER_MINUTE: NonZeroU32 = NonZeroU32::new(120).unwrap();
        const BURST: NonZeroU32 = NonZeroU32::new(1200).unwrap();
        Self::per_minute(PER_MINUTE, BURST)
    }

    fn from_quota(quota: Quota, description: String) -> Self {
        RateLimit {
            bucket: Arc::new(RateLimiter::direct(quota)),
            description,
        }
    }
}

/// A provider's documented rate limit, by name rather than by string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RateLimitPreset {
    /// NetBird cloud: 120 requests per minute, burst 1,200
    /// ([`RateLimit::netbird_cloud`]).
    NetbirdCloud,
}

impl RateLimitPreset {
    /// A new bucket with this limit (clones of it share the bucket).
    pub fn limit(self) -> RateLimit {
        match self {
            RateLimitPreset::NetbirdCloud => RateLimit::netbird_cloud(),
        }
    }
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RateLimit").field(&self.description).finish()
    }
}

impl RateLimit {
    /// Waits for a token.
    pub(crate) async fn ready(&self) {
        self.bucket.until_ready().await;
    }
}

impl Layer for RateLimit {
    async fn call<'a, T: Send + 'a>(&'a self, call: Call<'a, T>) -> Result<T> {
        self.ready().await;
        call.attempt().await
    }
}
