//! How to reach the Astra DevOps API.

use roster_http::{Endpoint, EnvVars, SecretString};

/// Environment variable with the API root; optional, see [`DEFAULT_URL`].
pub const URL_ENV: &str = "ROSTER_ASTRA_URL";
/// Environment variable with the application token (`AstraCS:...`).
pub const TOKEN_ENV: &str = "ROSTER_ASTRA_TOKEN";

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
    pub(crate) endpoint: Endpoint<SecretString>,
}

/// The public DevOps API root.
pub const DEFAULT_URL: &str = "https://api.astra.datastax.com";

/// Where [`AstraConfig::from_env`] reads from.
const ENV: EnvVars<1> = EnvVars::new(URL_ENV, [TOKEN_ENV]).with_default_url(DEFAULT_URL);

impl AstraConfig {
    /// Settings for the public API ([`DEFAULT_URL`]), authenticated with `token`.
    pub fn new(token: SecretString) -> Self {
        AstraConfig {
            endpoint: Endpoint::new(DEFAULT_URL, token),
        }
    }

    /// Reads `ROSTER_ASTRA_TOKEN` and, when set, `ROSTER_ASTRA_URL`.
    /// Answers `None` when the token is unset, so callers can fall back to
    /// an emulator.
    pub fn from_env() -> Option<Self> {
        let (url, [token]) = ENV.read()?;
        Some(AstraConfig::new(SecretString::from(token)).with_base_url(url))
    }
}

roster_http::endpoint_config!(AstraConfig, ENV);
