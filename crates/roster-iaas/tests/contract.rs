//! The shared contract suite, run against the stateful IaaS emulator.

use std::sync::Arc;

use roster_core::Directory;
use roster_http::SecretString;
use roster_iaas::{IaasClient, IaasConfig};
use roster_testkit::Emulator;
use roster_testkit::iaas::{IAAS_TOKEN, IaasModel};

async fn setup() -> (Emulator<IaasModel>, Arc<dyn Directory>) {
    let emulator = Emulator::start(IaasModel::default()).await;
    let config = IaasConfig::new(
        emulator.base_url(),
        SecretString::from(IAAS_TOKEN.to_owned()),
    );
    let client = IaasClient::new(config).expect("client");
    (emulator, Arc::new(client))
}

roster_testkit::contract_tests!(setup);
