//! How to reach the Astra DevOps API.

use std::fmt;

use roster_core::{Error, Result};
use roster_http::{HttpSettings, Redacted, SecretString};

/// Environment variable with the API root; optional, see [`DEFAULT_URL`].
pub const URL_ENV: &str = "ROSTER_ASTRA_URL";
/// Environment variable with the application token (`AstraCS:...`).
pub const TOKEN_ENV: &str = "ROSTER_ASTRA_TOKEN";
/// The public DevOps API root.
pub const DEFAULT_URL: &str = "https://api.astra.datastax.com";

/// Connection settings for [`AstraClient`](crate::AstraClient).
///
/// The token is an Astra application token with the Organization
/// Administrator role (or another role allowed to manage users). It is sent
/// as `Authorization: Bearer <token>` and never printed.
///
/// ```
/// use roster_astra::AstraConfig;
/// use roster_http::SecretString;
///
/// let config = AstraConfig::new(SecretString::from("AstraCS:abc:123".to_owned()));
/// assert_eq!(config.base_url(), "https://api.astra.datastax.com");
/// assert!(!format!("{config:?}").contains("AstraCS"));
/// ```
#[derive(Clone)]
pub struct AstraConfig {
    pub(crate) base_url: String,
    pub(crate) token: SecretString,
    pub(crate) http: HttpSettings,
}

impl AstraConfig {
    /// Settings for the public API ([`DEFAULT_URL`]), authenticated with `token`.
    pub fn new(token: SecretString) -> Self {
        AstraConfig {
            base_url: DEFAULT_URL.to_owned(),
            token,
            http: HttpSettings::default(),
        }
    }

    /// Talks to another API root instead, such as an emulator.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Reads `ROSTER_ASTRA_TOKEN` and, when set, `ROSTER_ASTRA_URL`.
    /// Answers `None` when the token is unset, so callers can fall back to
    /// an emulator.
    pub fn from_env() -> Option<Self> {
        let token = std::env::var(TOKEN_ENV).ok()?;
        let config = AstraConfig::new(SecretString::from(token));
        Some(match std::env::var(URL_ENV) {
            Ok(url) if !url.trim().is_empty() => config.with_base_url(url),
            _ => config,
        })
    }

    /// Like [`AstraConfig::from_env`], but an error names what is missing.
    pub fn require_env() -> Result<Self> {
        AstraConfig::from_env().ok_or_else(|| {
            Error::invalid_input(format!(
                "set {TOKEN_ENV} (and optionally {URL_ENV}) to reach the Astra DevOps API"
            ))
        })
    }

    /// Replaces the HTTP settings (timeouts, user agent, plain-HTTP opt-in,
    /// or your own `reqwest::Client`).
    pub fn with_http(mut self, http: HttpSettings) -> Self {
        self.http = http;
        self
    }

    /// The configured base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl fmt::Debug for AstraConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AstraConfig")
            .field("base_url", &self.base_url)
            .field("token", &Redacted)
            .field("http", &self.http)
            .finish()
    }
}
