//! How to reach an IaaS operator API.

use roster_http::{Endpoint, EnvVars, SecretString};

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
    pub(crate) endpoint: Endpoint<SecretString>,
}

/// Where [`IaasConfig::from_env`] reads from.
const ENV: EnvVars<1> = EnvVars::new(URL_ENV, [TOKEN_ENV]);

impl IaasConfig {
    /// Settings for the API at `base_url`, authenticated with `token`.
    pub fn new(base_url: impl Into<String>, token: SecretString) -> Self {
        IaasConfig {
            endpoint: Endpoint::new(base_url, token),
        }
    }

    /// Reads `ROSTER_IAAS_URL` and `ROSTER_IAAS_TOKEN`. Answers `None` when
    /// either is unset, so callers can fall back to an emulator.
    pub fn from_env() -> Option<Self> {
        let (url, [token]) = ENV.read()?;
        Some(IaasConfig::new(url, SecretString::from(token)))
    }
}

roster_http::endpoint_config!(IaasConfig, ENV);
