//! The Astra adapter as the subject of the shared reliability checks.

use std::sync::Arc;

use roster_astra::{AstraClient, AstraConfig};
use roster_core::{Directory, Operation, Result, UserId};
use roster_http::{HttpSettings, SecretString};
use roster_testkit::astra::ASTRA_TOKEN;
use roster_testkit::faults::{IdOnWire, WireSubject};
use wiremock::Request;
use wiremock::http::Method;

/// The Astra adapter, for the emulator's default token.
pub struct Astra;

impl Astra {
    fn config(base_url: &str, http: HttpSettings) -> AstraConfig {
        AstraConfig::new(SecretString::from(ASTRA_TOKEN.to_owned()))
            .with_base_url(base_url)
            .with_http(http)
    }
}

impl WireSubject for Astra {
    fn connect(&self, base_url: &str, http: HttpSettings) -> Result<Arc<dyn Directory>> {
        Ok(Arc::new(AstraClient::new(Self::config(base_url, http))?))
    }

    fn user_id(&self) -> UserId {
        UserId::new("2f6f1c3e-8a4b-4a53-9c55-0b3c2a9d7e11").expect("id")
    }

    fn success_status(&self, operation: Operation) -> u16 {
        match operation {
            Operation::DeleteUser => 204,
            _ => 200,
        }
    }

    /// Invitations are `PUT /v2/organizations/users`.
    /// Astra's own error shape: a list of `{ID, message}`.
    fn error_body(&self, status: u16, message: &str) -> serde_json::Value {
        serde_json::json!({"errors": [{"ID": status, "message": message}]})
    }

    fn create_user_request(&self) -> fn(&Request) -> bool {
        |request| request.method == Method::PUT && request.url.path() == "/v2/organizations/users"
    }

    fn delete_user_path(&self, encoded: &str) -> IdOnWire {
        IdOnWire::At(format!("/v2/organizations/users/{encoded}"))
    }

    /// The organization cannot be deleted (and the check skips it).
    fn delete_tenant_path(&self, _encoded: &str) -> IdOnWire {
        IdOnWire::Refused
    }

    /// Reads decode a user; creates and updates start by reading the role
    /// list.
    fn sample_body(&self, operation: Operation) -> Option<Vec<u8>> {
        match operation {
            Operation::GetUser => Some(include_bytes!("../fixtures/user.json").to_vec()),
            Operation::CreateUser | Operation::UpdateUser => {
                Some(include_bytes!("../fixtures/roles.json").to_vec())
            }
            _ => None,
        }
    }

    fn secrets(&self) -> Vec<String> {
        vec![ASTRA_TOKEN.to_owned()]
    }

    fn debug_views(&self, base_url: &str) -> Vec<String> {
        let config = Self::config(base_url, HttpSettings::new());
        let client = AstraClient::new(config.clone()).expect("client");
        vec![format!("{config:?}"), format!("{client:?}")]
    }
}
