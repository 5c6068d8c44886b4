//! How to reach an IaaS operator API.

use std::fmt;

use roster_core::{Error, Result};
use roster_http::{HttpSettings, Redacted, SecretString};

/// Environment variable with the API root, such as `https://console.example.com/api`.
pub const URL_ENV: &str = "ROSTER_IAAS_URL";
/// Environment variable with the operator JWT.
pub const TOKEN_ENV: &str = "ROSTER_IAAS_TOKEN";

/// Connection settings for [`IaasClient`](crate::IaasClient).
///
/// The base URL is the API root, including the `/api` prefix the console
/// serves it under. The token is the operator JWT from the UI's Operator
/// tab; it is sent as `Authorization: Bearer <token>` and never printed.
///
/// ```
/// use roster_iaas::IaasConfig;
/// use roster_http::SecretString;
///
/// let config = IaasConfig::new(
///     "https://console.example.com/api",
///     SecretString::from("eyJhbGciOi...".to_owned()),
/// );
/// assert!(!format!("{config:?}").contains("eyJ"));
/// ```
#[derive(Clone)]
pub struct IaasConfig {
    pub(crate) base_url: String,
    pub(crate) token: SecretString,
    pub(crate) http: HttpSettings,
}

impl IaasConfig {
    /// Settings for the API at `base_url`, authenticated with `token`.
    pub fn new(base_url: impl Into<String>, token: SecretString) -> Self {
        IaasConfig {
            base_url: base_url.into(),
            token,
            http: HttpSettings::default(),
        }
    }

    /// Reads `ROSTER_IAAS_URL` and `ROSTER_IAAS_TOKEN`. Answers `None` when
    /// either is unset, so callers can fall back to an emulator.
    pub fn from_env() -> Option<Self> {
        let url = std::env::var(URL_ENV).ok()?;
        let token = std::env::var(TOKEN_ENV).ok()?;
        Some(IaasConfig::new(url, SecretString::from(token)))
    }

    /// Like [`IaasConfig::from_env`], but an error names what is missing.
    pub fn require_env() -> Result<Self> {
        IaasConfig::from_env().ok_or_else(|| {
            Error::invalid_input(format!(
                "set {URL_ENV} and {TOKEN_ENV} to reach a real server"
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

impl fmt::Debug for IaasConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IaasConfig")
            .field("base_url", &self.base_url)
            .field("token", &Redacted)
            .field("http", &self.http)
            .finish()
    }
}
