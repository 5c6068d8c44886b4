//! The shared contract suite, run against the stateful Medium One emulator
//! with a system-admin login and a session cookie.

use std::sync::Arc;

use roster_core::Directory;
use roster_http::SecretString;
use roster_medium_one::{MediumOneClient, MediumOneConfig};
use roster_testkit::Emulator;
use roster_testkit::medium_one::{
    MEDIUMONE_API_KEY, MEDIUMONE_LOGIN, MEDIUMONE_PASSWORD, MediumOneModel,
};

async fn setup() -> (Emulator<MediumOneModel>, Arc<dyn Directory>) {
    let emulator = Emulator::start(MediumOneModel::default()).await;
    let config = MediumOneConfig::new(
        MEDIUMONE_LOGIN,
        SecretString::from(MEDIUMONE_PASSWORD.to_owned()),
        SecretString::from(MEDIUMONE_API_KEY.to_owned()),
    )
    .with_base_url(emulator.base_url());
    let client = MediumOneClient::new(config).expect("client");
    (emulator, Arc::new(client))
}

roster_testkit::contract_tests!(setup);
