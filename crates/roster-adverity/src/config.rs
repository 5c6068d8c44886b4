//! How to reach an Adverity instance.

use roster_core::{Error, Result};
use roster_http::{Endpoint, EnvVars, SecretString, env_var};

/// Environment variable with the instance, such as `acme.datatap.adverity.com`
/// or `https://acme.datatap.adverity.com`. There is no default host.
pub const URL_ENV: &str = "ROSTER_ADVERITY_URL";
/// Environment variable with the API key generated in Adverity's UI.
pub const TOKEN_ENV: &str = "ROSTER_ADVERITY_TOKEN";
/// Optional environment variable with the numeric datalake (storage) id new
/// workspaces are created with.
pub const DATALAKE_ID_ENV: &str = "ROSTER_ADVERITY_DATALAKE_ID";

/// Connection settings for [`AdverityClient`](crate::AdverityClient).
///
/// The base URL is the customer's own instance root: the API lives under
/// its `/api/` path, which the adapter adds. A bare host (as Adverity's
/// docs write `{INSTANCE}`) is taken as `https://<host>`. The token is an
/// API key generated in the Adverity UI; the user endpoints accept no
/// other kind. It is sent as `Authorization: Bearer <key>` and never
/// printed.
///
/// Creating a workspace needs a datalake id; set it here with
/// [`AdverityConfig::with_datalake_id`] or pass it per call with
/// [`AdverityClient::create_workspace`](crate::AdverityService::create_workspace).
///
/// ```
/// use roster_adverity::AdverityConfig;
/// use roster_http::SecretString;
///
/// let config = AdverityConfig::new(
///     "acme.datatap.adverity.com",
///     SecretString::from("adv-key-123".to_owned()),
/// )
/// .with_datalake_id(4);
/// assert_eq!(config.base_url(), "https://acme.datatap.adverity.com");
/// assert!(!format!("{config:?}").contains("adv-key-123"));
/// ```
#[derive(Clone)]
pub struct AdverityConfig {
    pub(crate) endpoint: Endpoint<SecretString>,
    pub(crate) datalake_id: Option<u64>,
}

/// Where [`AdverityConfig::from_env`] reads from.
const ENV: EnvVars<1> = EnvVars::new(URL_ENV, [TOKEN_ENV]);

impl AdverityConfig {
    /// Settings for the instance at `instance` (a URL, or a bare host for
    /// `https://`), authenticated with the API key `token`.
    pub fn new(instance: impl Into<String>, token: SecretString) -> Self {
        let instance = instance.into();
        let base_url = if instance.contains("://") {
            instance
        } else {
            format!("https://{instance}")
        };
        AdverityConfig {
            endpoint: Endpoint::new(base_url, token),
            datalake_id: None,
        }
    }

    /// The datalake (storage) id that [`create_tenant`](roster_core::TenantDirectory::create_tenant)
    /// creates workspaces with.
    pub fn with_datalake_id(mut self, datalake_id: u64) -> Self {
        self.datalake_id = Some(datalake_id);
        self
    }

    /// Reads `ROSTER_ADVERITY_URL`, `ROSTER_ADVERITY_TOKEN` and the optional
    /// `ROSTER_ADVERITY_DATALAKE_ID`. Answers `Ok(None)` when the URL or the
    /// token is unset, so callers can fall back to an emulator, and
    /// `InvalidInput` when the datalake id is set but is not a number.
    pub fn from_env() -> Result<Option<Self>> {
        let Some((url, [token])) = ENV.read() else {
            return Ok(None);
        };
        let mut config = AdverityConfig::new(url, SecretString::from(token));
        if let Some(raw) = env_var(DATALAKE_ID_ENV) {
            let id = raw.trim().parse::<u64>().map_err(|_| {
                Error::invalid_input(format!(
                    "{DATALAKE_ID_ENV} must be a numeric datalake id, got {raw:?}"
                ))
            })?;
            config = config.with_datalake_id(id);
        }
        Ok(Some(config))
    }

    /// The configured datalake id, if any.
    pub fn datalake_id(&self) -> Option<u64> {
        self.datalake_id
    }
}

roster_http::endpoint_config!(AdverityConfig, ENV, datalake_id);
