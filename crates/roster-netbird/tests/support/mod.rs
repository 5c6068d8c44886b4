//! The NetBird adapter as the subject of the shared reliability checks.

use std::sync::Arc;

use roster_core::{Directory, Operation, Result, UserId};
use roster_http::{HttpSettings, SecretString};
use roster_netbird::{NetbirdClient, NetbirdConfig};
use roster_testkit::faults::{IdOnWire, WireSubject};
use roster_testkit::netbird::NETBIRD_TOKEN;

/// The NetBird adapter with a personal access token, for the emulator's
/// default token.
pub struct Netbird;

impl Netbird {
    fn config(base_url: &str, http: HttpSettings) -> NetbirdConfig {
        NetbirdConfig::personal_access_token(SecretString::from(NETBIRD_TOKEN.to_owned()))
            .with_base_url(base_url)
            .with_http(http)
    }
}

impl WireSubject for Netbird {
    fn connect(&self, base_url: &str, http: HttpSettings) -> Result<Arc<dyn Directory>> {
        Ok(Arc::new(NetbirdClient::new(Self::config(base_url, http))?))
    }

    fn user_id(&self) -> UserId {
        UserId::new("google-oauth2|277474792786460067937").expect("id")
    }

    /// NetBird's own error shape.
    fn error_body(&self, status: u16, message: &str) -> serde_json::Value {
        serde_json::json!({"message": message, "code": status})
    }

    fn delete_user_path(&self, encoded: &str) -> IdOnWire {
        IdOnWire::At(format!("/api/users/{encoded}"))
    }

    fn delete_tenant_path(&self, encoded: &str) -> IdOnWire {
        IdOnWire::At(format!("/api/groups/{encoded}"))
    }

    fn sample_body(&self, operation: Operation) -> Option<Vec<u8>> {
        match operation {
            Operation::DeleteUser => None,
            Operation::CreateUser => {
                Some(include_bytes!("../fixtures/user_doc_example.json").to_vec())
            }
            _ => Some(include_bytes!("../fixtures/users.json").to_vec()),
        }
    }

    fn secrets(&self) -> Vec<String> {
        vec![NETBIRD_TOKEN.to_owned()]
    }

    fn debug_views(&self, base_url: &str) -> Vec<String> {
        let config = Self::config(base_url, HttpSettings::new());
        let client = NetbirdClient::new(config.clone()).expect("client");
        vec![format!("{config:?}"), format!("{client:?}")]
    }
}
