//! The shared contract suite, run against the stateful Adverity emulator
//! with its faithful switch on (unknown keys in every object, as a real
//! server sends), once per user-list form (the docs do not say which the
//! server sends).

use std::sync::Arc;

use roster_adverity::{AdverityClient, AdverityConfig};
use roster_core::Directory;
use roster_http::SecretString;
use roster_testkit::Emulator;
use roster_testkit::adverity::{ADVERITY_DATALAKE_ID, ADVERITY_TOKEN, AdverityModel, UserListForm};

async fn start(model: AdverityModel) -> (Emulator<AdverityModel>, Arc<dyn Directory>) {
    let emulator = Emulator::start(model).await;
    let config = AdverityConfig::new(
        emulator.base_url(),
        SecretString::from(ADVERITY_TOKEN.to_owned()),
    )
    .with_datalake_id(ADVERITY_DATALAKE_ID as u64);
    let client = AdverityClient::new(config).expect("client");
    (emulator, Arc::new(client))
}

async fn setup() -> (Emulator<AdverityModel>, Arc<dyn Directory>) {
    start(AdverityModel::default().faithful()).await
}

roster_testkit::contract_tests!(setup);

mod bare_array_user_list {
    use super::*;

    async fn setup() -> (Emulator<AdverityModel>, Arc<dyn Directory>) {
        start(
            AdverityModel::default()
                .faithful()
                .with_user_list_form(UserListForm::BareArray),
        )
        .await
    }

    roster_testkit::contract_tests!(setup);
}
