//! The Adverity adapter as the subject of the shared reliability checks.

use std::sync::Arc;

use roster_adverity::{AdverityClient, AdverityConfig};
use roster_core::{Directory, Operation, Result, UserId, UserUpdate};
use roster_http::{HttpSettings, SecretString};
use roster_testkit::faults::{IdOnWire, WireSubject};

/// An API-key-shaped token, so a leak of any part of it shows.
pub const TOKEN: &str = "adv_live_SECRETKEYMATERIAL_7c1d9e0f2a3b4c5d";

/// The Adverity adapter, for the emulator started with [`TOKEN`].
pub struct Adverity;

impl Adverity {
    fn config(base_url: &str, http: HttpSettings) -> AdverityConfig {
        AdverityConfig::new(base_url, SecretString::from(TOKEN.to_owned()))
            .with_datalake_id(1)
            .with_http(http)
    }
}

impl WireSubject for Adverity {
    fn connect(&self, base_url: &str, http: HttpSettings) -> Result<Arc<dyn Directory>> {
        Ok(Arc::new(AdverityClient::new(Self::config(base_url, http))?))
    }

    fn user_id(&self) -> UserId {
        UserId::new("42").expect("id")
    }

    /// Adverity has no account-wide roles; a display name is what an
    /// update can always change.
    fn update(&self) -> UserUpdate {
        UserUpdate::new().display_name("Ada Lovelace")
    }

    fn success_status(&self, operation: Operation) -> u16 {
        match operation {
            Operation::CreateUser => 201,
            Operation::DeleteUser => 204,
            _ => 200,
        }
    }

    /// Adverity user ids are numbers: anything else is refused before
    /// sending.
    fn delete_user_path(&self, _encoded: &str) -> IdOnWire {
        IdOnWire::Refused
    }

    fn delete_tenant_path(&self, encoded: &str) -> IdOnWire {
        IdOnWire::At(format!("/api/stacks/{encoded}/"))
    }

    fn sample_body(&self, operation: Operation) -> Option<Vec<u8>> {
        Some(
            match operation {
                Operation::DeleteUser => return None,
                Operation::ListUsers => include_str!("../fixtures/users_page.json"),
                _ => include_str!("../fixtures/user.json"),
            }
            .as_bytes()
            .to_vec(),
        )
    }

    fn secrets(&self) -> Vec<String> {
        vec![TOKEN.to_owned(), "SECRETKEYMATERIAL".to_owned()]
    }

    fn debug_views(&self, base_url: &str) -> Vec<String> {
        let config = Self::config(base_url, HttpSettings::new());
        let client = AdverityClient::new(config.clone()).expect("client");
        vec![format!("{config:?}"), format!("{client:?}")]
    }
}
