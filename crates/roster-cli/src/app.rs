//! What every command shares: the config, the fleet, logging, errors, the
//! exit codes and the confirmation prompt.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use roster::config::ProviderConfig;
use roster::{Error, ErrorKind, Fleet, FleetConfig};
use tracing_subscriber::EnvFilter;

use crate::cli::{Format, Global};
use crate::output::Out;

/// The exit codes (documented in `roster --help` and the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Success.
    Success = 0,
    /// An error, usage errors included.
    Error = 1,
    /// Changes or drift present.
    Changes = 2,
    /// Some providers failed; takes precedence over [`Exit::Changes`].
    Partial = 3,
}

/// Logs go to stderr. RUST_LOG, when set, decides; otherwise warnings
/// (`-q`: errors; `-v`: Roster's info; `-vv`: Roster's debug, one line per
/// HTTP call; `-vvv`: everything at trace).
///
/// At debug, the retry layer's per-operation summary would add a second
/// line for every call: it stays at info unless RUST_LOG names
/// `roster_layers` itself.
pub fn init_logging(verbose: u8, quiet: bool) {
    const ONE_LINE_PER_CALL: &str = "roster_layers::trace=info";
    let level = match (quiet, verbose) {
        (true, _) => "error".to_owned(),
        (false, 0) => "warn".to_owned(),
        (false, 1) => "warn,roster=info".to_owned(),
        (false, 2) => format!("warn,roster=debug,{ONE_LINE_PER_CALL}"),
        _ => "trace".to_owned(),
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if value.contains("roster_layers") => EnvFilter::new(value),
        Ok(value) if !value.trim().is_empty() => {
            EnvFilter::new(format!("{value},{ONE_LINE_PER_CALL}"))
        }
        _ => EnvFilter::new(level),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The shared state of one run.
pub struct App {
    global: Global,
}

impl App {
    /// From the parsed global options.
    pub fn new(global: Global) -> Self {
        App { global }
    }

    /// Where output goes, in the format asked for.
    pub fn out(&self) -> Out {
        Out::new(self.global.output)
    }

    /// A message for the operator on stderr (not data), unless `-q`.
    pub fn note(&self, text: impl std::fmt::Display) {
        if !self.global.quiet {
            eprintln!("{text}");
        }
    }

    /// Whether `-o json` was given.
    pub fn json(&self) -> bool {
        self.global.output == Format::Json
    }

    /// The config file: `--config`, then `$ROSTER_CONFIG`, then
    /// `./roster.toml`.
    pub fn config_path(&self) -> PathBuf {
        if let Some(path) = &self.global.config {
            return path.clone();
        }
        match std::env::var_os("ROSTER_CONFIG") {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => PathBuf::from("roster.toml"),
        }
    }

    /// The fleet config.
    pub fn config(&self) -> roster::Result<FleetConfig> {
        let path = self.config_path();
        if !path.exists() {
            return Err(Error::invalid_input(format!(
                "no fleet config at {}; pass --config FILE, set ROSTER_CONFIG, or write \
                 ./roster.toml (`roster emulator --all --write-config roster.toml` writes one)",
                path.display()
            )));
        }
        FleetConfig::read(&path)
    }

    /// The fleet, connected to the providers named in `only` (all when
    /// empty). A name the config does not have is an error naming those it
    /// has.
    pub fn fleet(&self, only: &[String]) -> roster::Result<Fleet> {
        let mut config = self.config()?;
        if !only.is_empty() {
            for name in only {
                if !config.providers.contains_key(name) {
                    return Err(Error::invalid_input(format!(
                        "the config has no provider {name:?} (it has {}); check --provider",
                        config
                            .providers
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            config.providers.retain(|name, _| only.contains(name));
        }
        config.connect()
    }

    /// An error as one line: the provider and operation it carries, what
    /// happened, and what to do next. Never a `Debug` dump.
    pub fn explain(&self, error: &Error) -> String {
        self.explain_for(None, error)
    }

    /// [`App::explain`] for an error of the fleet provider `name`, whose
    /// credential variables the hint can then name exactly (several
    /// providers may share a kind).
    pub fn explain_for(&self, name: Option<&str>, error: &Error) -> String {
        let text = one_line(&error.to_string());
        match self.hint(name, error) {
            Some(hint) => format!("{text}; {hint}"),
            None => text,
        }
    }

    fn hint(&self, name: Option<&str>, error: &Error) -> Option<String> {
        let variables = || -> Vec<String> {
            let Ok(config) = self.config() else {
                return Vec::new();
            };
            if let Some(provider) = name.and_then(|n| config.providers.get(n)) {
                return credential_variables(provider);
            }
            let Some(kind) = error.provider() else {
                return Vec::new();
            };
            config
                .providers
                .values()
                .filter(|p| p.kind() == kind)
                .flat_map(credential_variables)
                .collect()
        };
        match error.kind() {
            ErrorKind::Unauthenticated => {
                let vars = variables();
                Some(if vars.is_empty() {
                    "the provider refused the credential; check or renew it".to_owned()
                } else {
                    format!(
                        "the provider refused the credential in {}; check or renew it",
                        vars.join(" / ")
                    )
                })
            }
            ErrorKind::PermissionDenied => {
                let vars = variables();
                Some(format!(
                    "the credential{} is valid but not allowed to do this; use one with more rights",
                    if vars.is_empty() {
                        String::new()
                    } else {
                        format!(" in {}", vars.join(" / "))
                    }
                ))
            }
            ErrorKind::Transport | ErrorKind::Timeout => Some(
                "is the provider reachable? check its url in the config, or pass \
                 --skip-unreachable to go on without it"
                    .to_owned(),
            ),
            ErrorKind::RateLimited => {
                Some("the provider is rate limiting; wait and run it again".to_owned())
            }
            ErrorKind::InvalidInput if error.message().contains("is not set") => {
                Some("export it (see `roster emulator` for test credentials)".to_owned())
            }
            _ => None,
        }
    }

    /// Asks on the terminal; only `yes` goes ahead. Without a terminal
    /// (a script), it refuses: pass the command's `--yes` /
    /// `--auto-approve` instead.
    pub fn confirm(&self, question: &str) -> roster::Result<bool> {
        if !std::io::stdin().is_terminal() {
            return Err(Error::invalid_input(
                "stdin is not a terminal, so nobody can confirm; pass --yes (offboard) or \
                 --auto-approve (apply)",
            ));
        }
        eprint!("{question}\n  Only 'yes' will be accepted: ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        Ok(answer.trim() == "yes")
    }
}

/// The environment variables a provider's config reads credentials from.
pub fn credential_variables(config: &ProviderConfig) -> Vec<String> {
    match config {
        ProviderConfig::Iaas { token_env, .. }
        | ProviderConfig::Netbird { token_env, .. }
        | ProviderConfig::Adverity { token_env, .. }
        | ProviderConfig::Astra { token_env, .. } => vec![token_env.clone()],
        ProviderConfig::MediumOne {
            login_env,
            password_env,
            api_key_env,
            ..
        } => vec![login_env.clone(), password_env.clone(), api_key_env.clone()],
        _ => Vec::new(),
    }
}

/// Folds a message onto one line.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads a WireGuard key from the flag or the file.
pub fn wireguard_key(
    data: &crate::cli::MembershipData,
) -> roster::Result<Option<roster::WireGuardKey>> {
    let text = match (&data.wireguard_key, &data.wireguard_key_file) {
        (Some(key), _) => key.clone(),
        (None, Some(path)) => std::fs::read_to_string(path).map_err(|e| {
            Error::invalid_input(format!(
                "reading --wireguard-key-file {}: {e}",
                path.display()
            ))
        })?,
        (None, None) => return Ok(None),
    };
    roster::WireGuardKey::parse(text.trim()).map(Some)
}
