//! Shared helpers for Roster's examples.
//!
//! Every example runs against an in-process emulator unless environment
//! variables point it at a real server, so it works with no credentials and
//! no network. [`Sandbox`] starts all five providers' emulators at once,
//! for the fleet examples and tests.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;

use roster::adverity::{AdverityClient, AdverityConfig};
use roster::astra::{AstraClient, AstraConfig};
use roster::http::SecretString;
use roster::iaas::{IaasClient, IaasConfig};
use roster::layers::Stack;
use roster::medium_one::{MediumOneClient, MediumOneConfig};
use roster::netbird::{NetbirdClient, NetbirdConfig};
use roster::state::{DirectoryState, TenantState};
use roster::{Directory, Fleet};
use roster_testkit::adverity::{ADVERITY_DATALAKE_ID, ADVERITY_TOKEN, AdverityModel};
use roster_testkit::astra::{ASTRA_TOKEN, AstraModel};
use roster_testkit::iaas::{IAAS_TOKEN, IaasModel};
use roster_testkit::medium_one::{
    MEDIUMONE_API_KEY, MEDIUMONE_LOGIN, MEDIUMONE_PASSWORD, MediumOneModel,
};
use roster_testkit::netbird::{NETBIRD_TOKEN, NetbirdModel};
use roster_testkit::{Emulator, Model};

/// Sends log lines to stderr as `RUST_LOG` asks (`RUST_LOG=debug` shows
/// one line per HTTP call); nothing below a warning when it is unset.
/// Every example calls it first.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    // A second call (an example that is also a test) keeps the first.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Prints a section heading.
pub fn heading(text: &str) {
    println!("\n== {text} ==");
}

/// The tenants every sandbox provider that can have several starts with.
pub const SANDBOX_TENANTS: [&str; 2] = ["alpha", "beta"];

/// The name of the Astra organization in the sandbox (Astra's one tenant).
pub const ASTRA_ORG: &str = "Emulated Org";

/// All five providers' emulators, in process, each with the tenants
/// `alpha` and `beta` (Astra: its one organization).
pub struct Sandbox {
    /// The IaaS operator API.
    pub iaas: Emulator<IaasModel>,
    /// NetBird.
    pub netbird: Emulator<NetbirdModel>,
    /// Adverity.
    pub adverity: Emulator<AdverityModel>,
    /// Astra DevOps.
    pub astra: Emulator<AstraModel>,
    /// Medium One.
    pub medium_one: Emulator<MediumOneModel>,
}

async fn start<M: Model>(model: M, seeded: bool) -> Emulator<M> {
    let emulator = Emulator::start(model).await;
    if seeded {
        let tenants = SANDBOX_TENANTS
            .iter()
            .map(|name| TenantState {
                name: (*name).to_owned(),
            })
            .collect();
        let state = DirectoryState {
            tenants,
            ..DirectoryState::default()
        };
        if let Err(problem) = emulator.with_model(|model| model.seed(&state)) {
            panic!("seeding the sandbox: {problem}");
        }
    }
    emulator
}

impl Sandbox {
    /// Starts every emulator.
    pub async fn start() -> Sandbox {
        Sandbox {
            iaas: start(IaasModel::default(), true).await,
            netbird: start(NetbirdModel::default(), true).await,
            adverity: start(AdverityModel::default(), true).await,
            astra: start(AstraModel::default(), false).await,
            medium_one: start(MediumOneModel::default(), true).await,
        }
    }

    /// A client for each emulator, by the name the fleet gives it.
    pub fn clients(&self) -> Vec<(&'static str, Arc<dyn Directory>)> {
        let secret = |s: &str| SecretString::from(s.to_owned());
        let iaas = IaasClient::new(IaasConfig::new(self.iaas.base_url(), secret(IAAS_TOKEN)));
        let netbird = NetbirdClient::new(
            NetbirdConfig::personal_access_token(secret(NETBIRD_TOKEN))
                .with_base_url(self.netbird.base_url()),
        );
        let adverity = AdverityClient::new(
            AdverityConfig::new(self.adverity.base_url(), secret(ADVERITY_TOKEN))
                .with_datalake_id(ADVERITY_DATALAKE_ID as u64),
        );
        let astra = AstraClient::new(
            AstraConfig::new(secret(ASTRA_TOKEN)).with_base_url(self.astra.base_url()),
        );
        let medium_one = MediumOneClient::new(
            MediumOneConfig::new(
                MEDIUMONE_LOGIN,
                secret(MEDIUMONE_PASSWORD),
                secret(MEDIUMONE_API_KEY),
            )
            .with_base_url(self.medium_one.base_url()),
        );
        // Loopback URLs and the testkit's own credentials: these cannot fail.
        let expect = "a sandbox client";
        vec![
            (
                "adverity",
                Arc::new(adverity.expect(expect)) as Arc<dyn Directory>,
            ),
            ("astra", Arc::new(astra.expect(expect))),
            ("iaas", Arc::new(iaas.expect(expect))),
            ("medium-one", Arc::new(medium_one.expect(expect))),
            ("netbird", Arc::new(netbird.expect(expect))),
        ]
    }

    /// A fleet of every emulator, each wrapped in `stack`.
    pub fn fleet(&self, stack: &Stack) -> Fleet {
        let mut fleet = Fleet::builder();
        for (name, client) in self.clients() {
            fleet = fleet.provider(name, stack.apply(client));
        }
        fleet.build().expect("distinct names")
    }

    /// How many state-changing requests each emulator has received.
    pub async fn write_counts(&self) -> BTreeMap<&'static str, usize> {
        BTreeMap::from([
            ("adverity", self.adverity.write_count().await),
            ("astra", self.astra.write_count().await),
            ("iaas", self.iaas.write_count().await),
            ("medium-one", self.medium_one.write_count().await),
            ("netbird", self.netbird.write_count().await),
        ])
    }

    /// How many requests of any kind each emulator has received.
    pub async fn request_counts(&self) -> BTreeMap<&'static str, usize> {
        BTreeMap::from([
            ("adverity", self.adverity.request_count().await),
            ("astra", self.astra.request_count().await),
            ("iaas", self.iaas.request_count().await),
            ("medium-one", self.medium_one.request_count().await),
            ("netbird", self.netbird.request_count().await),
        ])
    }

    /// Forgets every recorded request (the state is kept).
    pub async fn reset_requests(&self) {
        self.adverity.reset_requests().await;
        self.astra.reset_requests().await;
        self.iaas.reset_requests().await;
        self.medium_one.reset_requests().await;
        self.netbird.reset_requests().await;
    }
}
