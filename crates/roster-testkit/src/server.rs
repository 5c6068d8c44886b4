//! The emulators as standalone servers: what the `roster-emulator` binary
//! runs. Each provider is served by the very [`Model`] the in-process tests
//! use, so paths, status codes and bodies are the same by construction.
// A build with no provider feature serves nothing, and says so.
#![cfg_attr(
    not(any(
        feature = "iaas",
        feature = "netbird",
        feature = "adverity",
        feature = "astra",
        feature = "medium-one"
    )),
    allow(dead_code, unused_variables, unused_mut)
)]

use std::collections::BTreeMap;

use crate::emulator::{Emulator, Model};
use roster_core::state::DirectoryState;

/// The credentials a served emulator accepts. Token providers use
/// `token`; Medium One uses `login`, `password` and `api_key` (each
/// provider reads only its own; `roster-emulator` refuses a flag the one
/// provider it serves would not read). Anything left out falls back to the
/// testkit's documented test credentials.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// The API token (IaaS, NetBird, Adverity, Astra).
    pub token: Option<String>,
    /// Medium One's login id.
    pub login: Option<String>,
    /// Medium One's password.
    pub password: Option<String>,
    /// Medium One's API key.
    pub api_key: Option<String>,
}

impl Credentials {
    /// The token to accept, or `default`.
    pub fn token_or(&self, default: &str) -> String {
        self.token.clone().unwrap_or_else(|| default.to_owned())
    }
}

/// A running emulator, whatever its provider.
pub trait Served: Send + Sync {
    /// The provider's name, as given on the command line.
    fn provider(&self) -> &'static str;
    /// The base URL clients use (the adapter's `..._URL` variable).
    fn base_url(&self) -> String;
    /// Loads a snapshot into the state.
    fn seed(&self, snapshot: &DirectoryState) -> Result<(), String>;
    /// The state as a snapshot.
    fn snapshot(&self) -> Result<DirectoryState, String>;
}

struct Running<M: Model> {
    provider: &'static str,
    emulator: Emulator<M>,
}

impl<M: Model> Served for Running<M> {
    fn provider(&self) -> &'static str {
        self.provider
    }

    fn base_url(&self) -> String {
        self.emulator.base_url()
    }

    fn seed(&self, snapshot: &DirectoryState) -> Result<(), String> {
        self.emulator.with_model(|model| model.seed(snapshot))
    }

    fn snapshot(&self) -> Result<DirectoryState, String> {
        self.emulator.with_model(|model| model.snapshot())
    }
}

async fn run<M: Model>(
    provider: &'static str, listener: std::net::TcpListener, model: M,
) -> Box<dyn Served> {
    Box::new(Running {
        provider,
        emulator: Emulator::start_on(listener, model).await,
    })
}

/// Every provider this build can serve, by name.
pub fn providers() -> Vec<&'static str> {
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

/// How a served emulator answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// As the provider's docs describe, and no more.
    #[default]
    Plain,
    /// With each model's `faithful()` switch on: every field the spec
    /// allows, unknown keys, and the model's resident records (such as
    /// IaaS's auditor, NetBird's user waiting for approval, Medium One's
    /// resident tenant), as a real server answers.
    Faithful,
}

/// Serves `provider` on `listener` with `credentials`, in [`Mode::Plain`].
pub async fn serve(
    provider: &str, listener: std::net::TcpListener, credentials: &Credentials,
) -> Result<Box<dyn Served>, String> {
    serve_in(provider, listener, credentials, Mode::Plain).await
}

/// Serves `provider` on `listener` with `credentials`, answering as `mode`
/// says.
pub async fn serve_in(
    provider: &str, listener: std::net::TcpListener, credentials: &Credentials, mode: Mode,
) -> Result<Box<dyn Served>, String> {
    let faithful = mode == Mode::Faithful;
    match provider {
        #[cfg(feature = "iaas")]
        "iaas" => {
            let mut model =
                crate::iaas::IaasModel::new(credentials.token_or(crate::iaas::IAAS_TOKEN));
            if faithful {
                model = model.faithful();
            }
            Ok(run("iaas", listener, model).await)
        }
        #[cfg(feature = "netbird")]
        "netbird" => {
            let mut model = crate::netbird::NetbirdModel::new(
                credentials.token_or(crate::netbird::NETBIRD_TOKEN),
            );
            if faithful {
                model = model.faithful();
            }
            Ok(run("netbird", listener, model).await)
        }
        #[cfg(feature = "adverity")]
        "adverity" => {
            let mut model = crate::adverity::AdverityModel::new(
                credentials.token_or(crate::adverity::ADVERITY_TOKEN),
            );
            if faithful {
                model = model.faithful();
            }
            Ok(run("adverity", listener, model).await)
        }
        #[cfg(feature = "medium-one")]
        "medium-one" => {
            use crate::medium_one::{
                MEDIUMONE_API_KEY, MEDIUMONE_LOGIN, MEDIUMONE_PASSWORD, MediumOneModel,
            };
            let or = |given: &Option<String>, default: &str| {
                given.clone().unwrap_or_else(|| default.to_owned())
            };
            let mut model = MediumOneModel::with_credentials(
                &or(&credentials.login, MEDIUMONE_LOGIN),
                &or(&credentials.password, MEDIUMONE_PASSWORD),
                &or(&credentials.api_key, MEDIUMONE_API_KEY),
            );
            if faithful {
                model = model.into_faithful();
            }
            Ok(run("medium-one", listener, model).await)
        }
        #[cfg(feature = "astra")]
        "astra" => {
            let mut model =
                crate::astra::AstraModel::new(credentials.token_or(crate::astra::ASTRA_TOKEN));
            if faithful {
                model = model.faithful();
            }
            Ok(run("astra", listener, model).await)
        }
        other => Err(format!(
            "unknown provider {other:?}; this build serves {}",
            providers().join(", ")
        )),
    }
}

/// Snapshots keyed by provider, the shape of `--all` seeds and dumps.
pub type Snapshots = BTreeMap<String, DirectoryState>;

/// What to serve, as `roster-emulator` and `roster emulator` take it on
/// their command lines.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// The providers to serve, by name ([`providers`]).
    pub providers: Vec<String>,
    /// Serve every provider (`--all`); [`ServeOptions::check`] fills
    /// `providers`.
    pub all: bool,
    /// The first port; 0 lets the system pick free ones. With several
    /// providers they get `port`, `port + 1`, …
    pub port: u16,
    /// Users, tenants and memberships to preload: one provider's shape, or
    /// with `all` a table per provider (JSON, or TOML for `.toml`).
    pub seed: Option<String>,
    /// Where to write the state on the way out (same formats and shapes).
    pub dump: Option<String>,
    /// How the emulators answer.
    pub mode: Mode,
    /// The credentials they accept.
    pub credentials: Credentials,
}

impl ServeOptions {
    /// Checks the combination (one provider, or `all`; only the credential
    /// flags the one provider reads) and, for `all`, lists every provider.
    pub fn check(&mut self) -> Result<(), String> {
        match (self.all, self.providers.len()) {
            (true, 0) => self.providers = providers().iter().map(|p| p.to_string()).collect(),
            (false, 1) => {
                let session = &self.credentials;
                let logs_in = self.providers[0] == "medium-one";
                if logs_in && session.token.is_some() {
                    return Err(
                        "medium-one takes --login, --password and --api-key, not --token".into(),
                    );
                }
                if !logs_in
                    && (session.login.is_some()
                        || session.password.is_some()
                        || session.api_key.is_some())
                {
                    return Err(format!(
                        "{} takes --token, not --login, --password or --api-key",
                        self.providers[0]
                    ));
                }
            }
            (true, _) => return Err("give either --all or one provider, not both".into()),
            (false, 0) => return Err("name a provider, or give --all".into()),
            (false, _) => return Err("name one provider (or give --all)".into()),
        }
        Ok(())
    }

    fn read_seeds(&self) -> Result<Snapshots, String> {
        let Some(path) = &self.seed else {
            return Ok(Snapshots::new());
        };
        let text = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
        if self.all {
            let seeds: Snapshots = if path.ends_with(".toml") {
                toml::from_str(&text).map_err(|e| format!("{path}: {e}"))?
            } else {
                serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?
            };
            if let Some(unknown) = seeds.keys().find(|p| !self.providers.contains(p)) {
                return Err(format!("{path}: no provider {unknown:?} is served"));
            }
            Ok(seeds)
        } else {
            let snapshot = crate::snapshot::parse(&text, path)?;
            Ok(Snapshots::from([(self.providers[0].clone(), snapshot)]))
        }
    }
}

/// Starts the emulators `options` names (call [`ServeOptions::check`]
/// first), on 127.0.0.1, seeded as asked. Fails before serving if the dump
/// file cannot be written.
pub async fn start_all(options: &ServeOptions) -> Result<Vec<Box<dyn Served>>, String> {
    let seeds = options.read_seeds()?;
    if let Some(path) = &options.dump {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map(drop)
            .map_err(|e| format!("--dump {path}: {e}"))?;
    }
    let mut served = Vec::new();
    for (i, provider) in options.providers.iter().enumerate() {
        let port = if options.port == 0 {
            0
        } else {
            u16::try_from(i)
                .ok()
                .and_then(|i| options.port.checked_add(i))
                .ok_or_else(|| {
                    format!(
                        "--port {}: no room for {} ports",
                        options.port,
                        options.providers.len()
                    )
                })?
        };
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| format!("binding 127.0.0.1:{port}: {e}"))?;
        let server = serve_in(provider, listener, &options.credentials, options.mode).await?;
        if let Some(seed) = seeds.get(provider) {
            server
                .seed(seed)
                .map_err(|e| format!("seeding {provider}: {e}"))?;
        }
        served.push(server);
    }
    Ok(served)
}

/// Writes the state of `served` to `path`: with `all`, a table per
/// provider; otherwise the one provider's state.
pub fn write_dump(path: &str, all: bool, served: &[Box<dyn Served>]) -> Result<(), String> {
    let mut snapshots = Snapshots::new();
    for server in served {
        snapshots.insert(server.provider().to_owned(), server.snapshot()?);
    }
    let text = if all {
        if path.ends_with(".toml") {
            toml::to_string_pretty(&snapshots).map_err(|e| e.to_string())?
        } else {
            serde_json::to_string_pretty(&snapshots).map_err(|e| e.to_string())?
        }
    } else {
        let (_, only) = snapshots.pop_first().ok_or("nothing was served")?;
        crate::snapshot::render(&only, path)?
    };
    std::fs::write(path, text).map_err(|e| format!("writing {path}: {e}"))
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are registered when this is
/// called, before any URL is printed, so a signal sent by a script the
/// moment it reads the URL is not missed.
pub fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    // `tokio::signal::ctrl_c()` would only listen once first polled, so a
    // SIGINT in between would still kill the process: on Unix both
    // listeners are registered here and now.
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate =
            signal(SignalKind::terminate()).map_err(|e| format!("listening for SIGTERM: {e}"))?;
        let mut interrupt =
            signal(SignalKind::interrupt()).map_err(|e| format!("listening for SIGINT: {e}"))?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        let interrupt = tokio::signal::ctrl_c();
        Ok(async move {
            let _ = interrupt.await;
        })
    }
}

/// The environment variables a Roster fleet config (as
/// [`fleet_config`] writes it) reads the emulators' credentials from, with
/// the values they accept, in provider order. These are test credentials,
/// published in this crate; printing them is the point.
pub fn credential_env(
    served: &[Box<dyn Served>], credentials: &Credentials,
) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    for server in served {
        let token = |name: &str, default: &str| (name.to_owned(), credentials.token_or(default));
        // Unused when only Medium One (which logs in) is built.
        let _ = &token;
        match server.provider() {
            #[cfg(feature = "iaas")]
            "iaas" => vars.push(token("ROSTER_IAAS_TOKEN", crate::iaas::IAAS_TOKEN)),
            #[cfg(feature = "netbird")]
            "netbird" => vars.push(token("ROSTER_NETBIRD_TOKEN", crate::netbird::NETBIRD_TOKEN)),
            #[cfg(feature = "adverity")]
            "adverity" => vars.push(token(
                "ROSTER_ADVERITY_TOKEN",
                crate::adverity::ADVERITY_TOKEN,
            )),
            #[cfg(feature = "astra")]
            "astra" => vars.push(token("ROSTER_ASTRA_TOKEN", crate::astra::ASTRA_TOKEN)),
            #[cfg(feature = "medium-one")]
            "medium-one" => {
                use crate::medium_one::{MEDIUMONE_API_KEY, MEDIUMONE_LOGIN, MEDIUMONE_PASSWORD};
                let or = |given: &Option<String>, default: &str| {
                    given.clone().unwrap_or_else(|| default.to_owned())
                };
                vars.push((
                    "ROSTER_MEDIUMONE_LOGIN".into(),
                    or(&credentials.login, MEDIUMONE_LOGIN),
                ));
                vars.push((
                    "ROSTER_MEDIUMONE_PASSWORD".into(),
                    or(&credentials.password, MEDIUMONE_PASSWORD),
                ));
                vars.push((
                    "ROSTER_MEDIUMONE_API_KEY".into(),
                    or(&credentials.api_key, MEDIUMONE_API_KEY),
                ));
            }
            _ => {}
        }
    }
    vars
}

/// A Roster fleet config (TOML, `roster::config`'s shape) naming each
/// served emulator after its provider, at its URL, with the credential
/// variables of [`credential_env`].
pub fn fleet_config(served: &[Box<dyn Served>]) -> String {
    let mut text = String::from(
        "# Written by `roster emulator`: the emulators it serves. Credentials come\n\
         # from the environment variables named here, which it prints.\n",
    );
    for server in served {
        let url = server.base_url();
        let section = match server.provider() {
            "iaas" => {
                format!("kind = \"iaas\"\nurl = \"{url}\"\ntoken_env = \"ROSTER_IAAS_TOKEN\"\n")
            }
            "netbird" => format!(
                "kind = \"netbird\"\nurl = \"{url}\"\ntoken_env = \"ROSTER_NETBIRD_TOKEN\"\n"
            ),
            "adverity" => format!(
                "kind = \"adverity\"\nurl = \"{url}\"\ntoken_env = \"ROSTER_ADVERITY_TOKEN\"\ndatalake_id = 1\n"
            ),
            "astra" => {
                format!("kind = \"astra\"\nurl = \"{url}\"\ntoken_env = \"ROSTER_ASTRA_TOKEN\"\n")
            }
            "medium-one" => format!(
                "kind = \"medium-one\"\nurl = \"{url}\"\nlogin_env = \"ROSTER_MEDIUMONE_LOGIN\"\n\
                 password_env = \"ROSTER_MEDIUMONE_PASSWORD\"\napi_key_env = \"ROSTER_MEDIUMONE_API_KEY\"\n"
            ),
            _ => continue,
        };
        text.push_str(&format!("\n[providers.{}]\n{section}", server.provider()));
    }
    text
}
