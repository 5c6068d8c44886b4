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
    allow(dead_code, unused_variables)
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
    provider: &'static str,
    listener: std::net::TcpListener,
    model: M,
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
    provider: &str,
    listener: std::net::TcpListener,
    credentials: &Credentials,
) -> Result<Box<dyn Served>, String> {
    serve_in(provider, listener, credentials, Mode::Plain).await
}

/// Serves `provider` on `listener` with `credentials`, answering as `mode`
/// says.
pub async fn serve_in(
    provider: &str,
    listener: std::net::TcpListener,
    credentials: &Credentials,
    mode: Mode,
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
