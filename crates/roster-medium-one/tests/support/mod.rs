//! The Medium One adapter as the subject of the shared reliability checks.

use std::sync::Arc;

use futures::future::BoxFuture;
use roster_core::{Directory, ErrorKind, Operation, Result, UserId, UserUpdate};
use roster_http::{HttpSettings, SecretString};
use roster_medium_one::{MediumOneClient, MediumOneConfig};
use roster_testkit::faults::{IdOnWire, WireSubject};
use roster_testkit::medium_one::{MEDIUMONE_API_KEY, MEDIUMONE_LOGIN, MEDIUMONE_PASSWORD};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The session cookie the matrices' login mock hands out.
const MATRIX_SESSION: &str = "matrix-session-SECRETVALUE-5f0c8f5e";

/// The Medium One adapter in system-admin, cookie mode, with the
/// emulator's default credentials.
pub struct MediumOne;

impl MediumOne {
    fn config(base_url: &str, http: HttpSettings) -> MediumOneConfig {
        MediumOneConfig::new(
            MEDIUMONE_LOGIN,
            SecretString::from(MEDIUMONE_PASSWORD.to_owned()),
            SecretString::from(MEDIUMONE_API_KEY.to_owned()),
        )
        .with_base_url(base_url)
        .with_http(http)
    }
}

impl WireSubject for MediumOne {
    fn connect(&self, base_url: &str, http: HttpSettings) -> Result<Arc<dyn Directory>> {
        Ok(Arc::new(MediumOneClient::new(Self::config(
            base_url, http,
        ))?))
    }

    /// Every call needs a session first: the login answers before the
    /// fault does.
    fn prepare<'a>(&'a self, server: &'a MockServer) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            Mock::given(method("POST"))
                .and(|request: &Request| request.url.path().ends_with("/login/"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(true)
                        .insert_header(
                            "set-cookie",
                            format!("sessionid={MATRIX_SESSION}; Path=/; HttpOnly").as_str(),
                        ),
                )
                .with_priority(1)
                .mount(server)
                .await;
        })
    }

    fn user_id(&self) -> UserId {
        UserId::new("5f0c8f5e-8a4b-4a53-9c55-0b3c2a9d7e11").expect("id")
    }

    /// Medium One keeps no account-wide role; the full name is what an
    /// update changes.
    fn update(&self) -> UserUpdate {
        UserUpdate::new().display_name("Ada Lovelace")
    }

    /// `user_create` answers 400 both when the user exists and for input
    /// it refuses; the adapter's lookup meets the same fault, so it cannot
    /// confirm the user and the 400 stays `InvalidInput`, as the shared
    /// table has it.
    fn expected_kind(&self, operation: Operation, status: u16) -> ErrorKind {
        roster_http::kind_for_status(status, operation)
    }

    /// A delete reads the user list first, to find the user's name.
    fn reads_body(&self, _operation: Operation) -> bool {
        true
    }

    /// Medium One's own error shape: a list of messages.
    fn error_body(&self, _status: u16, message: &str) -> serde_json::Value {
        serde_json::json!({"errors": [message]})
    }

    fn create_user_request(&self) -> fn(&Request) -> bool {
        |request| request.url.path().ends_with("/user_create")
    }

    /// Ids are UUIDs: anything else is refused before sending.
    fn delete_user_path(&self, _encoded: &str) -> IdOnWire {
        IdOnWire::Refused
    }

    /// Tenants cannot be deleted (and the check skips it).
    fn delete_tenant_path(&self, _encoded: &str) -> IdOnWire {
        IdOnWire::Refused
    }

    /// The email travels as the `user_name` query parameter.
    fn email_on_wire(&self, request: &Request) -> Option<String> {
        request
            .url
            .query_pairs()
            .find(|(key, _)| key == "user_name")
            .map(|(_, value)| value.into_owned())
    }

    fn sample_body(&self, operation: Operation) -> Option<Vec<u8>> {
        match operation {
            Operation::CreateUser => Some(br#""5f0c8f5e-8a4b-4a53-9c55-0b3c2a9d7e11""#.to_vec()),
            _ => Some(include_bytes!("../fixtures/user_list.json").to_vec()),
        }
    }

    fn secrets(&self) -> Vec<String> {
        vec![
            MEDIUMONE_PASSWORD.to_owned(),
            MEDIUMONE_API_KEY.to_owned(),
            MATRIX_SESSION.to_owned(),
        ]
    }

    fn debug_views(&self, base_url: &str) -> Vec<String> {
        let config = Self::config(base_url, HttpSettings::new());
        let client = MediumOneClient::new(config.clone()).expect("client");
        vec![format!("{config:?}"), format!("{client:?}")]
    }
}
