//! The shared contract suite, run against the stateful NetBird emulator.

use std::sync::Arc;

use roster_core::Directory;
use roster_http::SecretString;
use roster_netbird::{NetbirdClient, NetbirdConfig};
use roster_testkit::Emulator;
use roster_testkit::netbird::{NETBIRD_TOKEN, NetbirdModel};

async fn setup() -> (Emulator<NetbirdModel>, Arc<dyn Directory>) {
    let emulator = Emulator::start(NetbirdModel::default()).await;
    let config = NetbirdConfig::personal_access_token(SecretString::from(NETBIRD_TOKEN.to_owned()))
        .with_base_url(emulator.base_url());
    let client = NetbirdClient::new(config).expect("client");
    (emulator, Arc::new(client))
}

roster_testkit::contract_tests!(setup);
