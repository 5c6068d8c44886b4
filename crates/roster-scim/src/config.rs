//! The service's config file (TOML).
//!
//! ```toml
//! [server]
//! listen = "0.0.0.0:8443"
//! tls_cert = "/etc/roster-scim/cert.pem"   # both or neither; without them, plain HTTP
//! tls_key = "/etc/roster-scim/key.pem"     # (run behind a TLS-terminating proxy)
//! max_body_bytes = 1048576
//!
//! [auth]
//! token_env = ["ROSTER_SCIM_TOKEN"]        # tokens read from the environment, hashed at start
//! token_sha256 = ["9f86d0…"]               # or their SHA-256, hex (`roster-scim hash-token`)
//!
//! [store]
//! url = "sqlite://roster-scim.db"          # or postgres://user@host/db for several instances
//! journal_retention_days = 30
//!
//! [workers]
//! count = 8
//!
//! [fleet.providers.gridworks]              # the Roster fleet, as roster::FleetConfig reads it
//! kind = "iaas"
//! url = "https://console.example.com/api"
//! token_env = "ROSTER_IAAS_TOKEN"
//!
//! [providers.gridworks]                    # how SCIM maps onto that provider
//! deactivate = "offboard"                  # "block", "suspend" or "offboard"
//! role = "member"                          # the account role new people get
//! tenant_priority = ["alpha", "beta"]      # one tenant per user: the first of these wins
//! wireguard_key_attribute = "urn:ietf:params:scim:schemas:extension:roster:2.0:User:wireguardKey"
//!
//! [groups."Engineering".gridworks]         # SCIM group "Engineering" on gridworks
//! tenant = "alpha"
//! [groups."Admins".vpn]
//! role = "admin"                           # a group can carry a provider role
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use roster::FleetConfig;
use roster_core::{Role, RoleSpec, TenantRole};
use serde::{Deserialize, Serialize};

/// The whole config file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScimConfig {
    /// Where and how to listen.
    #[serde(default)]
    pub server: ServerConfig,
    /// Which bearer tokens are accepted.
    #[serde(default)]
    pub auth: AuthConfig,
    /// Where resources and the outbox are kept.
    #[serde(default)]
    pub store: StoreConfig,
    /// The workers that drain the outbox.
    #[serde(default)]
    pub workers: WorkerConfig,
    /// The Roster fleet the outbox is delivered to.
    #[serde(default)]
    pub fleet: FleetConfig,
    /// The mapping onto each provider, by the fleet's provider name.
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderMapping>,
    /// SCIM groups by `displayName`, then provider name.
    #[serde(default)]
    pub groups: BTreeMap<String, BTreeMap<String, GroupMapping>>,
}

/// `[server]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// The address to listen on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// A PEM certificate chain; with `tls_key`, the service speaks HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// The largest request body accepted; larger ones get 413.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Schema URNs of User extensions accepted besides the Enterprise one.
    #[serde(default)]
    pub extension_schemas: Vec<String>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8443))
}

fn default_max_body() -> usize {
    1024 * 1024
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: default_listen(),
            tls_cert: None,
            tls_key: None,
            max_body_bytes: default_max_body(),
            extension_schemas: Vec::new(),
        }
    }
}

/// `[auth]`: the accepted bearer tokens. They are only ever held hashed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Environment variables that each hold one token.
    #[serde(default)]
    pub token_env: Vec<String>,
    /// SHA-256 digests of tokens, as hex.
    #[serde(default)]
    pub token_sha256: Vec<String>,
}

/// `[store]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://FILE` (created if missing) or `postgres://…`.
    #[serde(default = "default_store_url")]
    pub url: String,
    /// How long delivered outbox rows are kept, in days (0 keeps them
    /// forever).
    #[serde(default = "default_retention")]
    pub journal_retention_days: u32,
}

fn default_store_url() -> String {
    "sqlite://roster-scim.db".to_owned()
}

fn default_retention() -> u32 {
    30
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            url: default_store_url(),
            journal_retention_days: default_retention(),
        }
    }
}

/// `[workers]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// How many operations run at once in this instance.
    #[serde(default = "default_workers")]
    pub count: usize,
    /// The most operations of one provider that run at once, so a provider
    /// that is down never holds every worker.
    pub per_provider: Option<usize>,
    /// The first retry delay after a temporary failure, in milliseconds; it
    /// doubles per attempt.
    #[serde(default = "default_retry_base")]
    pub retry_base_ms: u64,
    /// The longest retry delay, in milliseconds.
    #[serde(default = "default_retry_max")]
    pub retry_max_ms: u64,
    /// How long a claimed operation stays claimed before another worker
    /// may take it over (a crashed instance's claims), in seconds; at least
    /// 1. A running delivery renews its claim every third of this.
    #[serde(default = "default_lease")]
    pub lease_secs: u64,
    /// How often an idle worker looks for new operations, in milliseconds.
    #[serde(default = "default_poll")]
    pub poll_ms: u64,
}

fn default_workers() -> usize {
    8
}
fn default_retry_base() -> u64 {
    1000
}
fn default_retry_max() -> u64 {
    60_000
}
fn default_lease() -> u64 {
    300
}
fn default_poll() -> u64 {
    200
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            count: default_workers(),
            per_provider: None,
            retry_base_ms: default_retry_base(),
            retry_max_ms: default_retry_max(),
            lease_secs: default_lease(),
            poll_ms: default_poll(),
        }
    }
}

/// What `active: false` does on a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Deactivation {
    /// Set the status to blocked (NetBird).
    Block,
    /// Set the status to suspended (Adverity's `active: false`).
    Suspend,
    /// Delete the account; `active: true` creates it again.
    Offboard,
}

/// `[providers.<name>]`: how SCIM maps onto one provider of the fleet.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderMapping {
    /// What `active: false` does; by default block on NetBird, suspend on
    /// Adverity, offboard elsewhere.
    pub deactivate: Option<Deactivation>,
    /// The account role new people get where the provider has roles, unless
    /// a group gives one.
    pub role: Option<String>,
    /// On a provider with one tenant per user: which mapped tenant wins
    /// when a person is in several groups (first wins); groups in config
    /// order otherwise.
    #[serde(default)]
    pub tenant_priority: Vec<String>,
    /// The attribute path holding the person's WireGuard public key, where
    /// memberships need one (the IaaS API).
    pub wireguard_key_attribute: Option<String>,
    /// Map a SCIM group that `[groups]` does not name to the tenant of the
    /// same name.
    #[serde(default)]
    pub groups_as_tenants: bool,
    /// Whether being in the provider's tenant *is* having an account there
    /// (Astra: an account is a membership of the one organization). Then a
    /// membership is never removed on its own, only with the account (by
    /// deactivation or deletion). By default true on Astra only.
    pub memberships_are_accounts: Option<bool>,
}

impl ProviderMapping {
    /// Whether memberships are accounts on a provider whose adapter is
    /// `provider_id`.
    pub fn memberships_are_accounts(&self, provider_id: &str) -> bool {
        self.memberships_are_accounts
            .unwrap_or(provider_id == "astra")
    }

    /// The deactivation policy for a provider whose adapter is `provider_id`.
    pub fn deactivation(&self, provider_id: &str) -> Deactivation {
        self.deactivate.unwrap_or(match provider_id {
            "netbird" => Deactivation::Block,
            "adverity" => Deactivation::Suspend,
            _ => Deactivation::Offboard,
        })
    }
}

/// `[groups."<displayName>".<provider>]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupMapping {
    /// The tenant the group's members join.
    pub tenant: Option<String>,
    /// The account-wide role the group's members get (`admin`, or a
    /// provider's own role name).
    pub role: Option<String>,
    /// The role inside the tenant, where memberships have roles.
    pub tenant_role: Option<TenantRole>,
}

/// A role named in the config: a neutral role's name, else the provider's own.
pub fn role_spec(name: &str) -> RoleSpec {
    match serde_json::from_value::<Role>(serde_json::Value::String(name.to_ascii_lowercase())) {
        Ok(role) if role != Role::Other => RoleSpec::Neutral(role),
        _ => RoleSpec::Provider(name.to_owned()),
    }
}

/// A config problem, naming the file and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl ScimConfig {
    /// Parses a config file's text.
    pub fn parse(text: &str) -> Result<ScimConfig, ConfigError> {
        let config: ScimConfig = toml::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    /// Reads and parses a config file; a relative `sqlite://` path or TLS
    /// file is taken relative to the file's directory.
    pub fn read(path: impl AsRef<Path>) -> Result<ScimConfig, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("reading {}: {e}", path.display())))?;
        let mut config =
            Self::parse(&text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        if let Some(dir) = path.parent() {
            config.resolve_relative(dir);
        }
        Ok(config)
    }

    fn resolve_relative(&mut self, dir: &Path) {
        if let Some(file) = self.store.url.strip_prefix("sqlite://")
            && !file.starts_with('/')
            && !file.starts_with(':')
        {
            self.store.url = format!("sqlite://{}", dir.join(file).display());
        }
        for p in [&mut self.server.tls_cert, &mut self.server.tls_key]
            .into_iter()
            .flatten()
        {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        }
    }

    /// Checks what serde cannot: names that must refer to each other.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.server.tls_cert.is_some() != self.server.tls_key.is_some() {
            return Err(ConfigError(
                "server.tls_cert and server.tls_key go together".into(),
            ));
        }
        if self.workers.count == 0 {
            return Err(ConfigError("workers.count must be at least 1".into()));
        }
        if self.workers.lease_secs == 0 {
            // A claim would lapse as soon as it is made, and the next claim
            // (this instance's own included) would take the row again while
            // its first delivery still runs.
            return Err(ConfigError("workers.lease_secs must be at least 1".into()));
        }
        let known =
            |name: &str| self.fleet.providers.is_empty() || self.fleet.providers.contains_key(name);
        for name in self.providers.keys() {
            if !known(name) {
                return Err(ConfigError(format!(
                    "[providers.{name}] names no provider of [fleet.providers]"
                )));
            }
        }
        for (group, providers) in &self.groups {
            for name in providers.keys() {
                if !known(name) {
                    return Err(ConfigError(format!(
                        "[groups.{group:?}.{name}] names no provider of [fleet.providers]"
                    )));
                }
            }
        }
        for hash in &self.auth.token_sha256 {
            if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(ConfigError(
                    "auth.token_sha256 entries are 64 hex digits".into(),
                ));
            }
        }
        Ok(())
    }

    /// The mapping of `provider` (the default when the file has none).
    pub fn mapping(&self, provider: &str) -> ProviderMapping {
        self.providers.get(provider).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_of_zero_seconds_is_refused() {
        let err = ScimConfig::parse("[workers]\nlease_secs = 0\n").expect_err("refused");
        assert!(err.to_string().contains("workers.lease_secs"), "{err}");
        let config = ScimConfig::parse("[workers]\nlease_secs = 1\n").expect("one second");
        assert_eq!(config.workers.lease_secs, 1);
    }
}
