//! A full run logs no secret: every tracing event, at every level, from the
//! adapter and the libraries under it.
//!
//! This is the only test in its binary on purpose: the capture subscriber is
//! installed as the global default before any event fires. A thread-local
//! subscriber in a binary whose other tests run in parallel races with
//! tracing's global callsite-interest cache and can miss events.

use std::io::Write;
use std::sync::{Arc, Mutex};

use roster_core::{Email, NewUser, PageRequest, UserDirectory, UserDirectoryExt};
use roster_http::SecretString;
use roster_netbird::{NetbirdClient, NetbirdConfig};
use roster_testkit::Emulator;
use roster_testkit::netbird::NetbirdModel;
use tracing_subscriber::fmt::MakeWriter;

const TOKEN: &str = "nbp_TOPSECRETc2VjcmV0LW9wZXJhdG9yPAT012345";

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

#[tokio::test]
async fn a_full_run_logs_no_secret() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let emulator = Emulator::start(NetbirdModel::new(TOKEN)).await;
    let config = NetbirdConfig::personal_access_token(SecretString::from(TOKEN.to_owned()))
        .with_base_url(emulator.base_url());
    let client = NetbirdClient::new(config).expect("client");
    let user = client
        .create_user(&NewUser::new(
            Email::parse("log@example.com").expect("email"),
        ))
        .await
        .expect("create");
    client.get_user(&user.id).await.expect("get");
    client.resend_invitation(&user.id).await.expect("resend");
    let _ = client
        .list_users_page(PageRequest::first())
        .await
        .expect("list");
    let _ = client.current_user().await.expect("me");
    // And a failure: a wrong token, which the emulator rejects with 401.
    let wrong = NetbirdClient::new(
        NetbirdConfig::personal_access_token(SecretString::from(format!("{TOKEN}-wrong")))
            .with_base_url(emulator.base_url()),
    )
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
    for fragment in [TOKEN, "TOPSECRET", "c2VjcmV0LW9wZXJhdG9y"] {
        assert!(
            !logs.contains(fragment),
            "the logs leaked the token: {logs}"
        );
    }
    assert!(
        !logs.to_ascii_lowercase().contains("authorization"),
        "{logs}"
    );
}
