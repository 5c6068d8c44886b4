//! The shared contract suite, run against the stateful IaaS emulator: as
//! it serves the current guide's API, with every answer as full as the
//! published spec allows (`faithful`), and as a 2025-11 server that ignores
//! `users` on tenant create (`api_2025_11`, also faithful).

use std::sync::Arc;

use roster_core::Directory;
use roster_http::SecretString;
use roster_iaas::{IaasClient, IaasConfig};
use roster_testkit::Emulator;
use roster_testkit::iaas::{IAAS_TOKEN, IaasApi, IaasModel};

async fn start(model: IaasModel) -> (Emulator<IaasModel>, Arc<dyn Directory>) {
    let emulator = Emulator::start(model).await;
    let config = IaasConfig::new(
        emulator.base_url(),
        SecretString::from(IAAS_TOKEN.to_owned()),
    );
    let client = IaasClient::new(config).expect("client");
    (emulator, Arc::new(client))
}

async fn setup() -> (Emulator<IaasModel>, Arc<dyn Directory>) {
    start(IaasModel::default()).await
}

roster_testkit::contract_tests!(setup);

mod faithful {
    use super::*;

    async fn setup() -> (Emulator<IaasModel>, Arc<dyn Directory>) {
        start(IaasModel::default().faithful()).await
    }

    roster_testkit::contract_tests!(setup);
}

mod api_2025_11 {
    use super::*;

    async fn setup() -> (Emulator<IaasModel>, Arc<dyn Directory>) {
        start(IaasModel::default().with_api(IaasApi::V2025_11).faithful()).await
    }

    roster_testkit::contract_tests!(setup);
}
