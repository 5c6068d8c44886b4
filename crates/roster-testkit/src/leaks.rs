//! Secrets never leak: not into logs, errors or `Debug` output, not even
//! when a server echoes them back. And credentials never travel over plain
//! HTTP by accident.

use std::sync::{Arc, Mutex, OnceLock};

use roster_core::{ErrorKind, UserDirectory, UserId};
use roster_http::HttpSettings;
use roster_layers::Stack;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::contract::{self, Subject};
use crate::emulator::{Emulator, Model};
use crate::faults::{OPERATIONS, WireSubject, run_operation};

/// Everything the process logged, at `TRACE` level, spans included.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// Installs (once per process) a global subscriber that records every
    /// event and span at `TRACE` level, and returns its buffer.
    ///
    /// It is global on purpose: a thread-local subscriber beside other
    /// tests in the same binary races tracing's callsite cache and can miss
    /// events. Give the test that uses it a binary of its own.
    pub fn install_global() -> LogCapture {
        static CAPTURE: OnceLock<LogCapture> = OnceLock::new();
        CAPTURE
            .get_or_init(|| {
                let capture = LogCapture::default();
                let subscriber = tracing_subscriber::fmt()
                    .with_max_level(tracing::Level::TRACE)
                    .with_span_events(FmtSpan::FULL)
                    .with_ansi(false)
                    .with_writer(capture.clone())
                    .finish();
                tracing::subscriber::set_global_default(subscriber)
                    .expect("no other global subscriber in this test binary");
                capture
            })
            .clone()
    }

    /// The captured text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Answers with everything the request carried that could be a
/// credential (header values, the query), placed where a decoder or an
/// error reader would quote it.
struct Echo {
    /// The status, and whether the body is the echo as one bare JSON string
    /// (which serde quotes in its "invalid type" errors) rather than an
    /// object full of it.
    mode: Arc<Mutex<(u16, bool)>>,
}

impl Respond for Echo {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut carried: Vec<String> = request
            .headers
            .iter()
            .filter_map(|(_, value)| value.to_str().ok().map(str::to_owned))
            .collect();
        carried.extend(request.url.query().map(str::to_owned));
        let echoed = carried.join(" ");
        let (status, bare) = *self.mode.lock().unwrap_or_else(|e| e.into_inner());
        let body = if bare {
            serde_json::Value::String(echoed)
        } else {
            serde_json::json!({
                "id": echoed, "email": echoed, "role": echoed, "users": echoed,
                "message": echoed, "detail": echoed, "code": echoed,
                "errors": [{"ID": echoed, "message": echoed}],
            })
        };
        ResponseTemplate::new(status).set_body_json(body)
    }
}

/// Refuses a plain `http://` URL to a host that is not loopback, with an
/// error naming the provider, and accepts it once the caller opts in;
/// `https://` to the same host needs no opt-in.
pub fn plain_http_is_refused_unless_opted_in(subject: &dyn WireSubject) {
    let remote = "http://roster.example.com/api";
    let secure = subject
        .connect("https://roster.example.com/api", HttpSettings::new())
        .unwrap_or_else(|error| panic!("https to a remote host was refused: {error}"));
    match subject.connect(remote, HttpSettings::new()) {
        Err(error) => {
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
            assert_eq!(error.provider(), Some(secure.provider_id()), "{error}");
        }
        Ok(_) => panic!("plain http to a remote host was accepted"),
    }
    if let Err(error) = subject.connect(remote, HttpSettings::new().allow_insecure_http(true)) {
        panic!("the opt-in did not allow plain http: {error}");
    }
}

/// Runs a normal workload through the default layer stack against the
/// emulator, then every operation against a server that echoes the
/// credentials back (as 401, 403, 500 and undecodable 200s), and checks
/// that no secret appears in the captured logs, in any error's `Display`,
/// `Debug` or body snippet, or in the adapter's `Debug` views.
pub async fn secrets_never_leak<M: Model>(
    subject: &dyn WireSubject, emulator: &Emulator<M>, logs: &LogCapture,
) {
    let mut rendered = subject.debug_views(&emulator.base_url());

    let plain = subject
        .connect(&emulator.base_url(), HttpSettings::new())
        .expect("connecting to the emulator");
    let directory = Stack::default().apply(plain);
    let workload = Subject {
        directory: &*directory,
        requests: emulator,
    };
    contract::user_crud(&workload).await;
    contract::tenant_crud(&workload).await;
    contract::membership_roundtrip(&workload).await;
    if let Err(error) = directory
        .get_user(&UserId::new("missing-user").expect("id"))
        .await
    {
        rendered.push(format!("{error} {error:?}"));
    }

    let server = MockServer::start().await;
    subject.prepare(&server).await;
    let mode = Arc::new(Mutex::new((401, false)));
    Mock::given(any())
        .respond_with(Echo { mode: mode.clone() })
        .with_priority(10)
        .mount(&server)
        .await;
    let echoing = subject
        .connect(&server.uri(), HttpSettings::new())
        .expect("connecting to a loopback server");
    for echo in [
        (401, false),
        (403, true),
        (500, false),
        (200, false),
        (200, true),
    ] {
        *mode.lock().unwrap_or_else(|e| e.into_inner()) = echo;
        for operation in OPERATIONS {
            if let Err(error) = run_operation(&*echoing, subject, operation).await {
                rendered.push(format!(
                    "{error}\n{error:?}\n{}",
                    error.body_snippet().unwrap_or_default()
                ));
            }
        }
    }
    let echoed_requests = server.received_requests().await.unwrap_or_default();

    let mut secrets = subject.secrets();
    secrets.extend(emulator.with_model(|model| model.issued_secrets()));
    secrets.retain(|secret| secret.len() >= 6);
    assert!(
        !secrets.is_empty(),
        "the subject names no secret to look for"
    );
    let sent_a_secret = echoed_requests.iter().any(|request| {
        let mut carried: Vec<String> = request
            .headers
            .iter()
            .filter_map(|(_, v)| v.to_str().ok().map(str::to_owned))
            .collect();
        carried.extend(request.url.query().map(str::to_owned));
        secrets
            .iter()
            .any(|s| carried.iter().any(|c| c.contains(s.as_str())))
    });
    assert!(
        sent_a_secret,
        "no echoed request carried a credential, so the echo proves nothing"
    );

    let logs = logs.text();
    assert!(
        logs.contains("roster.operation"),
        "the capture saw no operation span; is it installed?"
    );
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret reached the logs");
        for text in &rendered {
            assert!(
                !text.contains(secret.as_str()),
                "a secret reached an error or Debug output: {}",
                text.replace(secret.as_str(), "<THE SECRET>")
            );
        }
    }
    assert!(
        rendered.len() > OPERATIONS.len(),
        "too few errors were rendered to prove anything"
    );
}

/// Adds the secrets check to an adapter's tests. Put it in a test file of
/// its own: it installs a global log subscriber.
///
/// ```text
/// roster_testkit::secrets_tests!(MySubject, Emulator::start(MyModel::default()).await);
/// ```
#[macro_export]
macro_rules! secrets_tests {
    ($subject:expr, $emulator:expr $(,)?) => {
        #[tokio::test]
        async fn no_secret_reaches_logs_errors_or_debug_output() {
            let logs = $crate::leaks::LogCapture::install_global();
            let emulator = $emulator;
            $crate::leaks::secrets_never_leak(&$subject, &emulator, &logs).await;
        }
    };
}
