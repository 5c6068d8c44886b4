//! The token never leaks: not through `Debug`, not through errors (even
//! when the server echoes it back), not through logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use roster_core::{Email, NewUser, PageRequest, UserDirectory, UserDirectoryExt};
use roster_http::SecretString;
use roster_iaas::{IaasClient, IaasConfig};
use roster_testkit::Emulator;
use roster_testkit::iaas::IaasModel;
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;
use wiremock::matchers::any;
use wiremock::{Mock, ResponseTemplate};

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LW9wZXJhdG9y.TOPSECRETSIGNATURE";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

fn config(url: String) -> IaasConfig {
    IaasConfig::new(url, SecretString::from(TOKEN.to_owned()))
}

fn assert_clean(label: &str, text: &str) {
    for fragment in [TOKEN, "TOPSECRETSIGNATURE", "c2VjcmV0LW9wZXJhdG9y"] {
        assert!(!text.contains(fragment), "{label} leaked the token: {text}");
    }
}

#[tokio::test]
async fn debug_never_prints_the_token() {
    let config = config("https://iaas.example.com/api".into());
    assert_clean("config", &format!("{config:?}"));
    assert!(format!("{config:?}").contains("******"));
    let client = IaasClient::new(config).expect("client");
    assert_clean("client", &format!("{client:?}"));
}

#[tokio::test]
async fn errors_never_carry_the_token_even_when_the_server_echoes_it() {
    let emulator = Emulator::start(IaasModel::new("a-different-token")).await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("x-request-id", "req-1")
                .set_body_json(json!({
                    "detail": format!("invalid token {TOKEN}"),
                    "echo": {"authorization": format!("Bearer {TOKEN}")}
                })),
        )
        .mount(emulator.server())
        .await;
    let client = IaasClient::new(config(emulator.base_url())).expect("client");
    let err = client
        .list_users_page(PageRequest::first())
        .await
        .expect_err("401");
    assert_eq!(err.kind(), roster_core::ErrorKind::Unauthenticated);
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
    assert_clean("snippet", err.body_snippet().unwrap_or_default());
    assert!(err.message().contains("invalid token ******"), "{err}");
}

#[tokio::test]
async fn a_decode_error_quoting_the_token_is_redacted() {
    let emulator = Emulator::start(IaasModel::new("a-different-token")).await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"email": "a@b.io", "role": TOKEN})),
        )
        .mount(emulator.server())
        .await;
    let client = IaasClient::new(config(emulator.base_url())).expect("client");
    let err = client.current_user().await.expect_err("unknown role");
    assert_eq!(err.kind(), roster_core::ErrorKind::Decode);
    assert!(err.message().contains("unknown variant"), "{err}");
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
}

#[tokio::test]
async fn a_full_run_logs_no_secret() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emulator = Emulator::start(IaasModel::new(TOKEN)).await;
    let client = IaasClient::new(config(emulator.base_url())).expect("client");
    let user = client
        .create_user(&NewUser::new(
            Email::parse("log@example.com").expect("email"),
        ))
        .await
        .expect("create");
    client.get_user(&user.id).await.expect("get");
    let _ = client
        .list_users_page(PageRequest::first())
        .await
        .expect("list");
    let _ = client.current_user().await.expect("me");
    // And a failure, with the token echoed in the body.
    let wrong = IaasClient::new(IaasConfig::new(
        emulator.base_url(),
        SecretString::from(format!("{TOKEN}-wrong")),
    ))
    .expect("client");
    let err = wrong
        .find_user_by_email(&Email::parse("x@y.io").expect("email"))
        .await;
    assert!(err.is_err());

    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf8");
    assert!(
        logs.contains("http request"),
        "the run logged its requests: {logs}"
    );
    assert!(logs.contains("status=401"), "{logs}");
    assert_clean("logs", &logs);
    assert!(
        !logs.to_ascii_lowercase().contains("authorization"),
        "{logs}"
    );
}
