//! The shared fault matrix, run against the IaaS adapter.

use std::sync::Arc;

use roster_core::{Directory, Operation, UserId};
use roster_http::{HttpSettings, SecretString};
use roster_iaas::{IaasClient, IaasConfig};
use roster_testkit::Emulator;
use roster_testkit::faults::FaultSubject;
use roster_testkit::iaas::{IAAS_TOKEN, IaasModel};

struct Iaas;

impl FaultSubject for Iaas {
    fn connect(&self, base_url: &str, http: reqwest::Client) -> Arc<dyn Directory> {
        let config = IaasConfig::new(base_url, SecretString::from(IAAS_TOKEN.to_owned()))
            .with_http(HttpSettings::new().client(http));
        Arc::new(IaasClient::new(config).expect("client"))
    }

    fn user_id(&self) -> UserId {
        UserId::new("5f0c8f5e-8a4b-4a53-9c55-0b3c2a9d7e11").expect("id")
    }

    fn success_status(&self, operation: Operation) -> u16 {
        match operation {
            Operation::DeleteUser => 204,
            _ => 200,
        }
    }
}

roster_testkit::fault_matrix_tests!(Iaas, Emulator::start(IaasModel::default()).await);
