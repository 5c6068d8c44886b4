//! Building a [`Fleet`] from a config file plus the environment.
//!
//! The file names providers, says what kind each is and where it lives, and
//! names the **environment variables** that hold its credentials. It never
//! holds a secret itself: there is no `token` or `password` key.
//!
//! ```toml
//! [providers.gridworks]
//! kind = "iaas"
//! url = "https://console.example.com/api"
//! token_env = "ROSTER_IAAS_TOKEN"
//!
//! [providers.vpn]
//! kind = "netbird"                 # url defaults to NetBird cloud
//! token_env = "ROSTER_NETBIRD_TOKEN"
//! token_scheme = "token"           # a personal access token; "bearer" for an OAuth JWT
//!
//! [providers.vpn.layers]
//! max_attempts = 5                 # retries; NetBird cloud's rate limit is on by default
//!
//! [providers.reporting]
//! kind = "adverity"
//! url = "https://acme.datatap.adverity.com"
//! token_env = "ROSTER_ADVERITY_TOKEN"
//! datalake_id = 1
//!
//! [providers.astra]
//! kind = "astra"
//! token_env = "ROSTER_ASTRA_TOKEN"
//!
//! [providers.iot]
//! kind = "medium-one"
//! login_env = "ROSTER_MEDIUMONE_LOGIN"
//! password_env = "ROSTER_MEDIUMONE_PASSWORD"
//! api_key_env = "ROSTER_MEDIUMONE_API_KEY"
//! mode = "sa"                      # or "ta" with tenant_id = "..."
//! session = "cookie"               # or "token"
//! ```
//!
//! Every provider gets the default layer stack
//! ([`Stack::for_provider`](roster_layers::Stack::for_provider)), tuned by
//! its optional `[providers.<name>.layers]` table. A key a provider's kind
//! does not use is an error, not silently ignored.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use roster_core::{Directory, Error, Result};
use roster_http::{HttpSettings, SecretString};
use roster_layers::{ConcurrencyLimit, RateLimit, Retry, Stack};
use serde::{Deserialize, Serialize};

use crate::fleet::Fleet;

/// A fleet's config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetConfig {
    /// The providers, by the name the fleet gives them.
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderConfig>,
}

/// One provider in a [`FleetConfig`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// `iaas`, `netbird`, `adverity`, `astra` or `medium-one` (those this
    /// build has features for).
    pub kind: String,
    /// The API's base URL (required for `iaas` and `adverity`; the others
    /// default to their public service).
    pub url: Option<String>,
    /// The environment variable holding the API token.
    pub token_env: Option<String>,
    /// NetBird: `token` (a personal access token, the default) or `bearer`
    /// (an OAuth JWT).
    pub token_scheme: Option<String>,
    /// Adverity: the datalake new workspaces are created in.
    pub datalake_id: Option<u64>,
    /// Medium One: the environment variable holding the login id.
    pub login_env: Option<String>,
    /// Medium One: the environment variable holding the password.
    pub password_env: Option<String>,
    /// Medium One: the environment variable holding the API key.
    pub api_key_env: Option<String>,
    /// Medium One: `sa` (system admin, the default) or `ta` (tenant admin).
    pub mode: Option<String>,
    /// Medium One, `ta` mode: the tenant administered.
    pub tenant_id: Option<String>,
    /// Medium One: `cookie` (the default) or `token`.
    pub session: Option<String>,
    /// Allow plain `http://` to a host that is not loopback.
    #[serde(default)]
    pub allow_insecure_http: bool,
    /// Tuning of the default layer stack.
    #[serde(default)]
    pub layers: LayerConfig,
}

/// Tuning of a provider's layer stack; anything left out keeps the
/// default of [`Stack::for_provider`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerConfig {
    /// Attempts per operation, the first included (1 turns retries off).
    pub max_attempts: Option<usize>,
    /// The per-attempt timeout, in seconds.
    pub attempt_timeout_secs: Option<u64>,
    /// The whole-operation timeout, in seconds.
    pub total_timeout_secs: Option<u64>,
    /// A client-side rate limit in requests per minute (0 turns a default
    /// limit off).
    pub rate_limit_per_minute: Option<u32>,
    /// The burst the rate limit allows (defaults to the per-minute figure).
    pub rate_limit_burst: Option<u32>,
    /// At most this many operations in flight.
    pub concurrency: Option<usize>,
}

/// Where configuration reads environment variables from.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

impl FleetConfig {
    /// Parses a TOML config.
    ///
    /// An error names the problem and the line, but never quotes the file:
    /// a secret someone pasted into it must not reach a log.
    pub fn parse(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
            Error::invalid_input(format!(
                "fleet config{at}: {}",
                without_quoted_values(e.message().trim())
            ))
        })
    }

    /// Reads a TOML config file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::invalid_input(format!("reading {}: {e}", path.display())).with_source(e)
        })?;
        Self::parse(&text).map_err(|e| e.with_context(path.display()))
    }

    /// Connects every provider, reading credentials from the process
    /// environment.
    pub fn connect(&self) -> Result<Fleet> {
        self.connect_with_env(&|name| std::env::var(name).ok())
    }

    /// Connects every provider, reading credentials through `env`.
    pub fn connect_with_env(&self, env: Env<'_>) -> Result<Fleet> {
        let mut fleet = Fleet::builder();
        for (name, provider) in &self.providers {
            let directory = connect(provider, env)
                .map_err(|e| e.with_context(format!("fleet provider {name:?}")))?;
            fleet = fleet.provider(name.clone(), directory);
        }
        fleet.build()
    }
}

/// The kinds this build can connect.
pub fn kinds() -> Vec<&'static str> {
    [
        #[cfg(feature = "iaas")]
        "iaas",
        #[cfg(feature = "netbird")]
        "netbird",
        #[cfg(feature = "adverity")]
        "adverity",
        #[cfg(feature = "astra")]
        "astra",
        #[cfg(feature = "medium-one")]
        "medium-one",
    ]
    .to_vec()
}

/// The keys of `config` that are set, beside `kind`, `url`, `layers` and
/// `allow_insecure_http` (which every kind reads).
fn keys_set(config: &ProviderConfig) -> Vec<&'static str> {
    let set = [
        ("token_env", config.token_env.is_some()),
        ("token_scheme", config.token_scheme.is_some()),
        ("datalake_id", config.datalake_id.is_some()),
        ("login_env", config.login_env.is_some()),
        ("password_env", config.password_env.is_some()),
        ("api_key_env", config.api_key_env.is_some()),
        ("mode", config.mode.is_some()),
        ("tenant_id", config.tenant_id.is_some()),
        ("session", config.session.is_some()),
    ];
    set.iter()
        .filter(|(_, on)| *on)
        .map(|(key, _)| *key)
        .collect()
}

/// Refuses keys this kind does not read.
fn only(config: &ProviderConfig, allowed: &[&str]) -> Result<()> {
    match keys_set(config)
        .into_iter()
        .find(|key| !allowed.contains(key))
    {
        None => Ok(()),
        Some(key) => Err(Error::invalid_input(format!(
            "a {} provider does not use `{key}`",
            config.kind
        ))),
    }
}

/// `message` with every double-quoted value replaced by `"…"`: the TOML
/// parser quotes offending values, and a value in the wrong place may be a
/// pasted secret. Key names (in backticks) stay.
fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        match (c, quoted) {
            ('"', false) => {
                out.push_str("\"…");
                quoted = true;
            }
            ('"', true) => {
                out.push('"');
                quoted = false;
            }
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    out
}

#[allow(dead_code)] // unused only in a build with no provider features
/// Whether `name` looks like an environment variable name, rather than,
/// say, a token pasted where its variable's name belongs.
fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// The secret in the environment variable the config names under `key`.
#[allow(dead_code)] // unused only in a build with no provider features
fn secret(env: Env<'_>, key: &str, variable: &Option<String>) -> Result<SecretString> {
    let variable = variable.as_deref().ok_or_else(|| {
        Error::invalid_input(format!(
            "`{key}` is missing: name the environment variable that holds it"
        ))
    })?;
    if !is_variable_name(variable) {
        // Never echo it: it may be the secret itself.
        return Err(Error::invalid_input(format!(
            "`{key}` must name an environment variable (letters, digits, `_`), not hold a \
             value; put the secret in the environment and its name here"
        )));
    }
    match env(variable) {
        Some(value) if !value.is_empty() => Ok(SecretString::from(value)),
        _ => Err(Error::invalid_input(format!(
            "the environment variable {variable} (named by `{key}`) is not set"
        ))),
    }
}

#[allow(dead_code)] // unused only in a build with no provider features
fn required_url(config: &ProviderConfig) -> Result<&str> {
    config
        .url
        .as_deref()
        .ok_or_else(|| Error::invalid_input(format!("a {} provider needs a `url`", config.kind)))
}

fn http(config: &ProviderConfig) -> HttpSettings {
    HttpSettings::new().allow_insecure_http(config.allow_insecure_http)
}

fn stack(provider_id: &str, layers: &LayerConfig) -> Result<Stack> {
    let mut stack = Stack::for_provider(provider_id);
    if let Some(attempts) = layers.max_attempts {
        stack = stack.retry(Retry::default().max_attempts(attempts));
    }
    if let Some(secs) = layers.attempt_timeout_secs {
        stack = stack.attempt_timeout(Some(Duration::from_secs(secs)));
    }
    if let Some(secs) = layers.total_timeout_secs {
        stack = stack.total_timeout(Some(Duration::from_secs(secs)));
    }
    match (layers.rate_limit_per_minute, layers.rate_limit_burst) {
        (Some(0), _) => stack = stack.rate_limit(None),
        (Some(per_minute), burst) => {
            let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
            let burst = burst.and_then(NonZeroU32::new).unwrap_or(per_minute);
            stack = stack.rate_limit(Some(RateLimit::per_minute(per_minute, burst)));
        }
        (None, Some(_)) => {
            return Err(Error::invalid_input(
                "`rate_limit_burst` needs `rate_limit_per_minute`",
            ));
        }
        (None, None) => {}
    }
    if let Some(limit) = layers.concurrency {
        stack = stack.concurrency_limit(ConcurrencyLimit::new(limit));
    }
    Ok(stack)
}

/// Builds one provider's client, wrapped in its layer stack. Adding an
/// adapter to the fleet is one arm here.
fn connect(config: &ProviderConfig, env: Env<'_>) -> Result<Arc<dyn Directory>> {
    let _ = env;
    match config.kind.as_str() {
        #[cfg(feature = "iaas")]
        "iaas" => {
            only(config, &["token_env"])?;
            let token = secret(env, "token_env", &config.token_env)?;
            let client = roster_iaas::IaasClient::new(
                roster_iaas::IaasConfig::new(required_url(config)?, token).with_http(http(config)),
            )?;
            Ok(stack(roster_iaas::PROVIDER, &config.layers)?.apply(client))
        }
        #[cfg(feature = "netbird")]
        "netbird" => {
            use roster_netbird::{NetbirdClient, NetbirdConfig};
            only(config, &["token_env", "token_scheme"])?;
            let token = secret(env, "token_env", &config.token_env)?;
            let mut netbird = match config.token_scheme.as_deref() {
                None | Some("token") => NetbirdConfig::personal_access_token(token),
                Some("bearer") => NetbirdConfig::oauth_token(token),
                Some(other) => {
                    return Err(Error::invalid_input(format!(
                        "token_scheme {other:?}: use \"token\" or \"bearer\""
                    )));
                }
            };
            if let Some(url) = &config.url {
                netbird = netbird.with_base_url(url.clone());
            }
            let client = NetbirdClient::new(netbird.with_http(http(config)))?;
            Ok(stack(roster_netbird::PROVIDER, &config.layers)?.apply(client))
        }
        #[cfg(feature = "adverity")]
        "adverity" => {
            only(config, &["token_env", "datalake_id"])?;
            let token = secret(env, "token_env", &config.token_env)?;
            let mut adverity = roster_adverity::AdverityConfig::new(required_url(config)?, token);
            if let Some(datalake) = config.datalake_id {
                adverity = adverity.with_datalake_id(datalake);
            }
            let client = roster_adverity::AdverityClient::new(adverity.with_http(http(config)))?;
            Ok(stack(roster_adverity::PROVIDER, &config.layers)?.apply(client))
        }
        #[cfg(feature = "astra")]
        "astra" => {
            only(config, &["token_env"])?;
            let token = secret(env, "token_env", &config.token_env)?;
            let mut astra = roster_astra::AstraConfig::new(token);
            if let Some(url) = &config.url {
                astra = astra.with_base_url(url.clone());
            }
            let client = roster_astra::AstraClient::new(astra.with_http(http(config)))?;
            Ok(stack(roster_astra::PROVIDER, &config.layers)?.apply(client))
        }
        #[cfg(feature = "medium-one")]
        "medium-one" => {
            use roster_core::TenantId;
            use roster_http::ExposeSecret;
            use roster_medium_one::{
                AdminMode, MediumOneClient, MediumOneConfig, SessionTransport,
            };
            only(
                config,
                &[
                    "login_env",
                    "password_env",
                    "api_key_env",
                    "mode",
                    "tenant_id",
                    "session",
                ],
            )?;
            let login = secret(env, "login_env", &config.login_env)?;
            let password = secret(env, "password_env", &config.password_env)?;
            let api_key = secret(env, "api_key_env", &config.api_key_env)?;
            let mut medium_one =
                MediumOneConfig::new(login.expose_secret().to_owned(), password, api_key);
            if let Some(url) = &config.url {
                medium_one = medium_one.with_base_url(url.clone());
            }
            medium_one = match (config.mode.as_deref(), &config.tenant_id) {
                (None | Some("sa"), None) => medium_one.with_mode(AdminMode::SystemAdmin),
                (Some("ta"), Some(tenant)) => {
                    medium_one.with_mode(AdminMode::TenantAdmin(TenantId::new(tenant.clone())?))
                }
                (Some("ta"), None) => {
                    return Err(Error::invalid_input("mode \"ta\" needs a `tenant_id`"));
                }
                (None | Some("sa"), Some(_)) => {
                    return Err(Error::invalid_input("`tenant_id` is for mode \"ta\""));
                }
                (Some(other), _) => {
                    return Err(Error::invalid_input(format!(
                        "mode {other:?}: use \"sa\" or \"ta\""
                    )));
                }
            };
            medium_one = match config.session.as_deref() {
                None | Some("cookie") => medium_one.with_session(SessionTransport::Cookie),
                Some("token") => medium_one.with_session(SessionTransport::QueryToken),
                Some(other) => {
                    return Err(Error::invalid_input(format!(
                        "session {other:?}: use \"cookie\" or \"token\""
                    )));
                }
            };
            let client = MediumOneClient::new(medium_one.with_http(http(config)))?;
            Ok(stack(roster_medium_one::PROVIDER, &config.layers)?.apply(client))
        }
        other => {
            let _ = (only, stack, http);
            Err(Error::invalid_input(format!(
                "unknown provider kind {other:?}; this build knows {}",
                kinds().join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "IAAS_TOKEN" => Some("secret-iaas-token".into()),
            _ => None,
        }
    }

    #[test]
    fn a_config_names_env_variables_and_never_holds_a_secret() {
        let _config = FleetConfig::parse(
            r#"
            [providers.gridworks]
            kind = "iaas"
            url = "https://console.example.com/api"
            token_env = "IAAS_TOKEN"
            "#,
        )
        .unwrap();
        #[cfg(feature = "iaas")]
        {
            let fleet = _config.connect_with_env(&env).unwrap();
            assert_eq!(fleet.names().collect::<Vec<_>>(), ["gridworks"]);
            assert!(!format!("{fleet:?}").contains("secret-iaas-token"));
        }
        let literal = FleetConfig::parse(
            "[providers.x]\nkind = \"iaas\"\nurl = \"https://h/api\"\ntoken = \"abc\"\n",
        );
        let message = literal.unwrap_err().to_string();
        assert!(message.contains("unknown field `token`"), "{message}");
        assert!(message.contains("line 4"), "{message}");
        assert!(!message.contains("abc"), "{message}");
    }

    #[test]
    fn errors_never_quote_a_pasted_secret() {
        let pasted = FleetConfig::parse(
            "[providers.g]\nkind = \"iaas\"\nurl = \"https://h/api\"\ntoken_env = \"eyJhbGci.SECRET1\"\n",
        )
        .unwrap();
        #[cfg(feature = "iaas")]
        {
            let e = pasted.connect_with_env(&env).unwrap_err().to_string();
            assert!(!e.contains("SECRET1"), "{e}");
            assert!(e.contains("must name an environment variable"), "{e}");
        }
        let _ = pasted;
        let wrong_type = FleetConfig::parse(
            "[providers.g]\nkind = \"iaas\"\nallow_insecure_http = \"eyJhbGci.SECRET2\"\n",
        );
        let e = wrong_type.unwrap_err().to_string();
        assert!(!e.contains("SECRET2"), "{e}");
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn missing_variables_and_stray_keys_are_clear_errors() {
        let unset = FleetConfig::parse(
            "[providers.g]\nkind = \"iaas\"\nurl = \"https://h/api\"\ntoken_env = \"NOPE\"\n",
        )
        .unwrap();
        let stray = FleetConfig::parse(
            "[providers.g]\nkind = \"iaas\"\nurl = \"https://h/api\"\ntoken_env = \"IAAS_TOKEN\"\ndatalake_id = 3\n",
        )
        .unwrap();
        let unknown = FleetConfig::parse("[providers.g]\nkind = \"ldap\"\n").unwrap();
        #[cfg(feature = "iaas")]
        {
            let e = unset.connect_with_env(&env).unwrap_err().to_string();
            assert!(e.contains("NOPE") && e.contains("not set"), "{e}");
            let e = stray.connect_with_env(&env).unwrap_err().to_string();
            assert!(e.contains("does not use `datalake_id`"), "{e}");
        }
        let _ = (unset, stray);
        let e = unknown.connect_with_env(&env).unwrap_err().to_string();
        assert!(e.contains("unknown provider kind \"ldap\""), "{e}");
    }
}
