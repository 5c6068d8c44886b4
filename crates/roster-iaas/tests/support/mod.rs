//! The IaaS adapter as the subject of the shared reliability checks.

use std::sync::Arc;

use roster_core::{Directory, Operation, Result, UserId};
use roster_http::{HttpSettings, SecretString};
use roster_iaas::{IaasClient, IaasConfig};
use roster_testkit::faults::{IdOnWire, WireSubject};

/// A JWT-shaped operator token, so a leak of any of its parts shows.
pub const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LW9wZXJhdG9y.TOPSECRETSIGNATURE";

/// The IaaS adapter, for the emulator started with [`TOKEN`].
pub struct Iaas;

impl Iaas {
    fn config(base_url: &str, http: HttpSettings) -> IaasConfig {
        IaasConfig::new(base_url, SecretString::from(TOKEN.to_owned())).with_http(http)
    }
}

impl WireSubject for Iaas {
    fn connect(&self, base_url: &str, http: HttpSettings) -> Result<Arc<dyn Directory>> {
        Ok(Arc::new(IaasClient::new(Self::config(base_url, http))?))
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

    /// IaaS user ids are UUIDs: anything else is refused before sending.
    fn delete_user_path(&self, _encoded: &str) -> IdOnWire {
        IdOnWire::Refused
    }

    fn delete_tenant_path(&self, encoded: &str) -> IdOnWire {
        IdOnWire::At(format!("/api/tenants/{encoded}"))
    }

    fn sample_body(&self, operation: Operation) -> Option<Vec<u8>> {
        Some(
            match operation {
                Operation::DeleteUser => return None,
                Operation::CreateUser | Operation::UpdateUser => {
                    r#"{"id": "5f0c8f5e-8a4b-4a53-9c55-0b3c2a9d7e11", "email": "a@example.com", "role": "member", "ssh_key_id": null}"#
                }
                _ => include_str!("../fixtures/users.json"),
            }
            .as_bytes()
            .to_vec(),
        )
    }

    fn secrets(&self) -> Vec<String> {
        let mut secrets = vec![TOKEN.to_owned()];
        secrets.extend(TOKEN.split('.').map(str::to_owned));
        secrets
    }

    fn debug_views(&self, base_url: &str) -> Vec<String> {
        let config = Self::config(base_url, HttpSettings::new());
        let client = IaasClient::new(config.clone()).expect("client");
        vec![format!("{config:?}"), format!("{client:?}")]
    }
}
