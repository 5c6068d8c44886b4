//! The shared contract suite, run against the stateful Medium One emulator
//! with a system-admin login and a session cookie: once against the plain
//! emulator, and once in faithful mode (every documented field, unknown
//! keys, a resident user with a tenant role the docs do not list, and a
//! required `full_name`).

use std::sync::Arc;

use roster_core::Directory;
use roster_http::SecretString;
use roster_medium_one::{MediumOneClient, MediumOneConfig};
use roster_testkit::Emulator;
use roster_testkit::medium_one::{
    MEDIUMONE_API_KEY, MEDIUMONE_LOGIN, MEDIUMONE_PASSWORD, MediumOneModel,
};

async fn setup_with(model: MediumOneModel) -> (Emulator<MediumOneModel>, Arc<dyn Directory>) {
    let emulator = Emulator::start(model).await;
    let config = MediumOneConfig::new(
        MEDIUMONE_LOGIN,
        SecretString::from(MEDIUMONE_PASSWORD.to_owned()),
        SecretString::from(MEDIUMONE_API_KEY.to_owned()),
    )
    .with_base_url(emulator.base_url());
    let client = MediumOneClient::new(config).expect("client");
    (emulator, Arc::new(client))
}

async fn setup() -> (Emulator<MediumOneModel>, Arc<dyn Directory>) {
    setup_with(MediumOneModel::default()).await
}

roster_testkit::contract_tests!(setup);

/// The same suite with the emulator's faithful switch on.
mod faithful {
    use super::*;

    async fn setup() -> (Emulator<MediumOneModel>, Arc<dyn Directory>) {
        let (emulator, directory) = setup_with(MediumOneModel::faithful()).await;
        assert!(emulator.with_model(|m| m.is_faithful()));
        (emulator, directory)
    }

    roster_testkit::contract_tests!(setup);
}
