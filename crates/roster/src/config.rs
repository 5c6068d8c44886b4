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
//! ([`Stack::default`](roster_layers::Stack::default), plus NetBird cloud's
//! documented rate limit for `netbird`), tuned by its optional
//! `[providers.<name>.layers]` table. Each kind is its own
//! [`ProviderConfig`] variant: a key that kind does not use is an error
//! naming the file line, not silently ignored.

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

/// One provider in a [`FleetConfig`]: its `kind` picks the variant, and
/// each variant takes exactly the keys that kind uses (any other key is an
/// error that names the file line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ProviderConfig {
    /// `kind = "iaas"`: the NTY Gridworks IaaS operator API.
    Iaas {
        /// The API's base URL.
        url: String,
        /// The environment variable holding the bearer token.
        token_env: String,
        /// Allow plain `http://` to a host that is not loopback.
        #[serde(default)]
        allow_insecure_http: bool,
        /// Tuning of the default layer stack.
        #[serde(default)]
        layers: LayerConfig,
    },
    /// `kind = "netbird"`: NetBird (cloud unless `url` says otherwise).
    Netbird {
        /// The API's base URL; NetBird cloud when absent.
        url: Option<String>,
        /// The environment variable holding the token.
        token_env: String,
        /// How the token is sent.
        #[serde(default)]
        token_scheme: TokenScheme,
        /// Allow plain `http://` to a host that is not loopback.
        #[serde(default)]
        allow_insecure_http: bool,
        /// Tuning of the default layer stack.
        #[serde(default)]
        layers: LayerConfig,
    },
    /// `kind = "adverity"`: the Adverity Management API of one instance.
    Adverity {
        /// The instance's base URL.
        url: String,
        /// The environment variable holding the UI API key.
        token_env: String,
        /// The datalake new workspaces are created in.
        datalake_id: Option<u64>,
        /// Allow plain `http://` to a host that is not loopback.
        #[serde(default)]
        allow_insecure_http: bool,
        /// Tuning of the default layer stack.
        #[serde(default)]
        layers: LayerConfig,
    },
    /// `kind = "astra"`: the DataStax Astra DevOps API.
    Astra {
        /// The API's base URL; the public service when absent.
        url: Option<String>,
        /// The environment variable holding the application token.
        token_env: String,
        /// Allow plain `http://` to a host that is not loopback.
        #[serde(default)]
        allow_insecure_http: bool,
        /// Tuning of the default layer stack.
        #[serde(default)]
        layers: LayerConfig,
    },
    /// `kind = "medium-one"`: Medium One.
    MediumOne {
        /// The API's base URL; the public service when absent.
        url: Option<String>,
        /// The environment variable holding the login id.
        login_env: String,
        /// The environment variable holding the password.
        password_env: String,
        /// The environment variable holding the API key.
        api_key_env: String,
        /// System admin (the default) or tenant admin.
        #[serde(default)]
        mode: MediumOneMode,
        /// In `ta` mode, the tenant administered.
        tenant_id: Option<String>,
        /// How the session travels.
        #[serde(default)]
        session: MediumOneSession,
        /// Allow plain `http://` to a host that is not loopback.
        #[serde(default)]
        allow_insecure_http: bool,
        /// Tuning of the default layer stack.
        #[serde(default)]
        layers: LayerConfig,
    },
}

/// How a NetBird token is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScheme {
    /// A personal access token (`Authorization: Token …`).
    #[default]
    Token,
    /// An OAuth JWT (`Authorization: Bearer …`).
    Bearer,
}

/// Which Medium One administrator the credentials belong to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediumOneMode {
    /// A system administrator.
    #[default]
    Sa,
    /// A tenant administrator of `tenant_id`.
    Ta,
}

/// How the Medium One session travels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediumOneSession {
    /// In a cookie.
    #[default]
    Cookie,
    /// In a `token` query parameter.
    Token,
}

impl ProviderConfig {
    /// The kind, as the file spells it; it is also the adapter's
    /// provider id.
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderConfig::Iaas { .. } => "iaas",
            ProviderConfig::Netbird { .. } => "netbird",
            ProviderConfig::Adverity { .. } => "adverity",
            ProviderConfig::Astra { .. } => "astra",
            ProviderConfig::MediumOne { .. } => "medium-one",
        }
    }

    /// The connection settings every kind takes.
    fn http(&self) -> HttpSettings {
        let (ProviderConfig::Iaas {
            allow_insecure_http,
            ..
        }
        | ProviderConfig::Netbird {
            allow_insecure_http,
            ..
        }
        | ProviderConfig::Adverity {
            allow_insecure_http,
            ..
        }
        | ProviderConfig::Astra {
            allow_insecure_http,
            ..
        }
        | ProviderConfig::MediumOne {
            allow_insecure_http,
            ..
        }) = self;
        HttpSettings::new().allow_insecure_http(*allow_insecure_http)
    }

    /// The layer tuning every kind takes.
    fn layers(&self) -> &LayerConfig {
        let (ProviderConfig::Iaas { layers, .. }
        | ProviderConfig::Netbird { layers, .. }
        | ProviderConfig::Adverity { layers, .. }
        | ProviderConfig::Astra { layers, .. }
        | ProviderConfig::MediumOne { layers, .. }) = self;
        layers
    }
}

/// Tuning of a provider's layer stack; anything left out keeps the
/// default.
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
            let message = e.message().trim();
            let line = e.span().map(|span| error_line(text, span.start, message));
            let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
            Error::invalid_input(format!(
                "fleet config{at}: {}",
                without_quoted_values(message)
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

/// The line an error is on. A provider table is read whole before its
/// `kind` picks the variant, so the parser points at the table; for an
/// unknown key, the line is the key's own, found from there on, in the
/// table and in its sub-tables (`[providers.x.layers]`).
fn error_line(text: &str, start: usize, message: &str) -> usize {
    let start = start.min(text.len());
    let line_of = |offset: usize| text[..offset].matches('\n').count() + 1;
    let key = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next());
    let Some(key) = key else {
        return line_of(start);
    };
    // The table the parser pointed at, by its header, if it has one.
    let first = text[start..].lines().next().unwrap_or_default().trim();
    let table = first
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .map(str::trim);
    let mut offset = start;
    for line in text[start..].split_inclusive('\n') {
        let trimmed = line.trim_start();
        if offset > start && trimmed.starts_with('[') {
            let header = trimmed
                .trim_end()
                .trim_start_matches('[')
                .trim_end_matches(']');
            let nested = table.is_some_and(|t| header.starts_with(&format!("{t}.")));
            if !nested {
                break;
            }
        }
        // `key = …`, or `key` inside an inline table (`layers = { key = 1 }`).
        let assigns = |rest: &str| rest.trim_start().starts_with('=');
        let at_start = trimmed.strip_prefix(key).is_some_and(assigns);
        let inline = trimmed.contains('{')
            && trimmed
                .match_indices(key)
                .any(|(i, _)| assigns(&trimmed[i + key.len()..]) && !is_word(trimmed, i));
        if at_start || inline {
            return line_of(offset);
        }
        offset += line.len();
    }
    line_of(start)
}

/// Whether the byte before `i` continues a word (so `key` at `i` is only a
/// suffix of a longer name).
fn is_word(text: &str, i: usize) -> bool {
    text[..i]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `message` with every value the parser quoted replaced by `…`: a value in
/// the wrong place may be a pasted secret. TOML quotes values in `"…"`;
/// serde names a value in backticks after `variant` (`unknown variant
/// `nbp_…``) and after `invalid type: <type>`. Key and field names, and the
/// lists of what was expected, stay.
fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push_str("\"…\"");
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                }
            }
            '`' if names_a_value(&out) => {
                out.push_str("`…`");
                for c in chars.by_ref() {
                    if c == '`' {
                        break;
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether a backtick span that follows `before` is a value serde echoes
/// (`unknown variant `x``, `invalid type: integer `1``), not a name.
fn names_a_value(before: &str) -> bool {
    let before = before.trim_end();
    if before.ends_with("variant") {
        return true;
    }
    // `invalid type: <one or two words>` right before the span.
    match before.rsplit_once("invalid type:") {
        Some((_, kind)) => kind.split_whitespace().count() <= 2 && !kind.contains(','),
        None => false,
    }
}

/// Whether `name` looks like an environment variable name, rather than,
/// say, a token pasted where its variable's name belongs.
fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// The secret in the environment variable the config names under `key`.
fn secret(env: Env<'_>, key: &str, variable: &str) -> Result<SecretString> {
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

fn stack(preset: Option<RateLimit>, layers: &LayerConfig) -> Result<Stack> {
    let mut stack = Stack::default().rate_limit(preset);
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

/// A kind this build has no feature for.
#[allow(dead_code)] // unused in a build with every provider feature
fn not_built(kind: &str) -> Error {
    Error::invalid_input(format!(
        "provider kind {kind:?} is not in this build; enable the roster feature `{kind}`"
    ))
}

/// Builds one provider's client, wrapped in its layer stack. Adding an
/// adapter to the fleet is one arm here.
fn connect(config: &ProviderConfig, env: Env<'_>) -> Result<Arc<dyn Directory>> {
    let _ = env;
    let http = config.http();
    let layers = config.layers();
    match config {
        #[cfg(feature = "iaas")]
        ProviderConfig::Iaas { url, token_env, .. } => {
            let token = secret(env, "token_env", token_env)?;
            let client = roster_iaas::IaasClient::new(
                roster_iaas::IaasConfig::new(url.as_str(), token).with_http(http),
            )?;
            Ok(stack(None, layers)?.apply(client))
        }
        #[cfg(feature = "netbird")]
        ProviderConfig::Netbird {
            url,
            token_env,
            token_scheme,
            ..
        } => {
            use roster_netbird::{NetbirdClient, NetbirdConfig};
            let token = secret(env, "token_env", token_env)?;
            let mut netbird = match token_scheme {
                TokenScheme::Token => NetbirdConfig::personal_access_token(token),
                TokenScheme::Bearer => NetbirdConfig::oauth_token(token),
            };
            if let Some(url) = url {
                netbird = netbird.with_base_url(url.clone());
            }
            let client = NetbirdClient::new(netbird.with_http(http))?;
            let preset = roster_layers::RateLimitPreset::NetbirdCloud.limit();
            Ok(stack(Some(preset), layers)?.apply(client))
        }
        #[cfg(feature = "adverity")]
        ProviderConfig::Adverity {
            url,
            token_env,
            datalake_id,
            ..
        } => {
            let token = secret(env, "token_env", token_env)?;
            let mut adverity = roster_adverity::AdverityConfig::new(url.as_str(), token);
            if let Some(datalake) = datalake_id {
                adverity = adverity.with_datalake_id(*datalake);
            }
            let client = roster_adverity::AdverityClient::new(adverity.with_http(http))?;
            Ok(stack(None, layers)?.apply(client))
        }
        #[cfg(feature = "astra")]
        ProviderConfig::Astra { url, token_env, .. } => {
            let token = secret(env, "token_env", token_env)?;
            let mut astra = roster_astra::AstraConfig::new(token);
            if let Some(url) = url {
                astra = astra.with_base_url(url.clone());
            }
            let client = roster_astra::AstraClient::new(astra.with_http(http))?;
            Ok(stack(None, layers)?.apply(client))
        }
        #[cfg(feature = "medium-one")]
        ProviderConfig::MediumOne {
            url,
            login_env,
            password_env,
            api_key_env,
            mode,
            tenant_id,
            session,
            ..
        } => {
            use roster_core::TenantId;
            use roster_http::ExposeSecret;
            use roster_medium_one::{
                AdminMode, MediumOneClient, MediumOneConfig, SessionTransport,
            };
            let login = secret(env, "login_env", login_env)?;
            let password = secret(env, "password_env", password_env)?;
            let api_key = secret(env, "api_key_env", api_key_env)?;
            let mut medium_one =
                MediumOneConfig::new(login.expose_secret().to_owned(), password, api_key);
            if let Some(url) = url {
                medium_one = medium_one.with_base_url(url.clone());
            }
            medium_one = match (mode, tenant_id) {
                (MediumOneMode::Sa, None) => medium_one.with_mode(AdminMode::SystemAdmin),
                (MediumOneMode::Ta, Some(tenant)) => {
                    medium_one.with_mode(AdminMode::TenantAdmin(TenantId::new(tenant.clone())?))
                }
                (MediumOneMode::Ta, None) => {
                    return Err(Error::invalid_input("mode \"ta\" needs a `tenant_id`"));
                }
                (MediumOneMode::Sa, Some(_)) => {
                    return Err(Error::invalid_input("`tenant_id` is for mode \"ta\""));
                }
            };
            medium_one = medium_one.with_session(match session {
                MediumOneSession::Cookie => SessionTransport::Cookie,
                MediumOneSession::Token => SessionTransport::QueryToken,
            });
            let client = MediumOneClient::new(medium_one.with_http(http))?;
            Ok(stack(None, layers)?.apply(client))
        }
        #[allow(unreachable_patterns)] // every kind is built
        other => {
            let _ = (http, layers, secret, stack);
            Err(not_built(other.kind()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(feature = "iaas"), allow(dead_code))]
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
        // serde names a wrong value in backticks: masked too.
        for (text, secret) in [
            (
                "[providers.v]\nkind = \"netbird\"\ntoken_env = \"NB\"\ntoken_scheme = \"nbp_SECRETSCHEME\"\n",
                "SECRETSCHEME",
            ),
            ("[providers.v]\nkind = \"nbp_SECRETKIND\"\n", "SECRETKIND"),
            (
                "[providers.v]\nkind = \"medium-one\"\nlogin_env = \"L\"\npassword_env = \"P\"\napi_key_env = \"K\"\nmode = \"hunter2SECRET\"\n",
                "hunter2SECRET",
            ),
            (
                "[providers.v]\nkind = \"iaas\"\nurl = \"https://h\"\ntoken_env = 987654321\n",
                "987654321",
            ),
        ] {
            let e = FleetConfig::parse(text).unwrap_err().to_string();
            assert!(!e.contains(secret), "{e}");
            assert!(e.contains("`…`") || e.contains("\"…\""), "{e}");
        }
        // The provider's table; the message names the type it expected.
        assert!(
            e.contains("line 1") && e.contains("expected a boolean"),
            "{e}"
        );
    }

    #[test]
    fn missing_variables_and_stray_keys_are_clear_errors() {
        let unset = FleetConfig::parse(
            "[providers.g]\nkind = \"iaas\"\nurl = \"https://h/api\"\ntoken_env = \"NOPE\"\n",
        )
        .unwrap();
        let stray = FleetConfig::parse(
            "[providers.g]\nkind = \"iaas\"\nurl = \"https://h/api\"\ntoken_env = \"IAAS_TOKEN\"\ndatalake_id = 3\n",
        );
        let unknown = FleetConfig::parse("[providers.g]\nkind = \"ldap\"\n");
        #[cfg(feature = "iaas")]
        {
            let e = unset.connect_with_env(&env).unwrap_err().to_string();
            assert!(e.contains("NOPE") && e.contains("not set"), "{e}");
        }
        let _ = unset;
        let e = stray.unwrap_err().to_string();
        assert!(e.contains("unknown field `datalake_id`"), "{e}");
        assert!(e.contains("line 5"), "{e}");
        // An unknown key in a sub-table, or in an inline table, is found.
        let nested = FleetConfig::parse(
            "[providers.v]\nkind = \"iaas\"\nurl = \"https://h\"\ntoken_env = \"T\"\n\n[providers.v.layers]\nbogus = 1\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            nested.contains("unknown field `bogus`") && nested.contains("line 7"),
            "{nested}"
        );
        let inline = FleetConfig::parse(
            "[providers.v]\nkind = \"iaas\"\nurl = \"https://h\"\ntoken_env = \"T\"\nlayers = { bogus = 1 }\n",
        )
        .unwrap_err()
        .to_string();
        assert!(inline.contains("line 5"), "{inline}");
        let e = unknown.unwrap_err().to_string();
        assert!(
            e.contains("unknown variant `…`, expected one of `iaas`"),
            "{e}"
        );
        assert!(e.contains("line 1") || e.contains("line 2"), "{e}");
    }

    #[test]
    fn each_kind_takes_its_own_keys_typed() {
        let config = FleetConfig::parse(
            r#"
            [providers.vpn]
            kind = "netbird"
            token_env = "NB"
            token_scheme = "bearer"

            [providers.iot]
            kind = "medium-one"
            login_env = "L"
            password_env = "P"
            api_key_env = "K"
            mode = "ta"
            tenant_id = "t-1"
            session = "token"

            [providers.iot.layers]
            max_attempts = 2
            "#,
        )
        .unwrap();
        match &config.providers["vpn"] {
            ProviderConfig::Netbird {
                token_scheme, url, ..
            } => {
                assert_eq!(*token_scheme, TokenScheme::Bearer);
                assert!(url.is_none());
            }
            other => panic!("{other:?}"),
        }
        match &config.providers["iot"] {
            ProviderConfig::MediumOne {
                mode,
                session,
                tenant_id,
                layers,
                ..
            } => {
                assert_eq!(*mode, MediumOneMode::Ta);
                assert_eq!(*session, MediumOneSession::Token);
                assert_eq!(tenant_id.as_deref(), Some("t-1"));
                assert_eq!(layers.max_attempts, Some(2));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(config.providers["iot"].kind(), "medium-one");
        let bad_scheme = FleetConfig::parse(
            "[providers.v]\nkind = \"netbird\"\ntoken_env = \"NB\"\ntoken_scheme = \"basic\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(bad_scheme.contains("unknown variant"), "{bad_scheme}");
        let missing = FleetConfig::parse("[providers.v]\nkind = \"iaas\"\nurl = \"https://h\"\n")
            .unwrap_err()
            .to_string();
        assert!(missing.contains("missing field `token_env`"), "{missing}");
        let round_trip = toml::to_string(&config).unwrap();
        assert_eq!(FleetConfig::parse(&round_trip).unwrap(), config);
    }
}
