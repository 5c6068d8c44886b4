//! The shared contract suite, run against the stateful Astra emulator twice:
//! plain, and with the faithful switch on (both casings, users without
//! `Status` or with statuses never seen, roles without names or ids, extra
//! keys, several roles per user).

use std::sync::Arc;

use roster_astra::{AstraClient, AstraConfig};
use roster_core::Directory;
use roster_http::SecretString;
use roster_testkit::Emulator;
use roster_testkit::astra::{ASTRA_TOKEN, AstraModel};

async fn connect(model: AstraModel) -> (Emulator<AstraModel>, Arc<dyn Directory>) {
    let emulator = Emulator::start(model).await;
    let config = AstraConfig::new(SecretString::from(ASTRA_TOKEN.to_owned()))
        .with_base_url(emulator.base_url());
    let client = AstraClient::new(config).expect("client");
    (emulator, Arc::new(client))
}

async fn plain_setup() -> (Emulator<AstraModel>, Arc<dyn Directory>) {
    connect(AstraModel::default()).await
}

async fn faithful_setup() -> (Emulator<AstraModel>, Arc<dyn Directory>) {
    connect(AstraModel::default().faithful()).await
}

mod plain {
    roster_testkit::contract_tests!(super::plain_setup);
}

mod faithful {
    roster_testkit::contract_tests!(super::faithful_setup);
}
