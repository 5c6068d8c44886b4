//! The shared contract suite, run against the stateful Astra emulator.

use std::sync::Arc;

use roster_astra::{AstraClient, AstraConfig};
use roster_core::Directory;
use roster_http::SecretString;
use roster_testkit::Emulator;
use roster_testkit::astra::{ASTRA_TOKEN, AstraModel};

async fn setup() -> (Emulator<AstraModel>, Arc<dyn Directory>) {
    let emulator = Emulator::start(AstraModel::default()).await;
    let config = AstraConfig::new(SecretString::from(ASTRA_TOKEN.to_owned()))
        .with_base_url(emulator.base_url());
    let client = AstraClient::new(config).expect("client");
    (emulator, Arc::new(client))
}

roster_testkit::contract_tests!(setup);
