//! The fault matrix every adapter runs: each fault a server can throw at a
//! client, against a read, a list, a create, an update and a delete, through the
//! [`Retry`] layer.
//!
//! For every cell it asserts the [`ErrorKind`], whether the error is
//! temporary, how many attempts were made, how long the client waited in
//! between (tokio's clock is paused, so the waits are exact and take no real
//! time) and that nothing panicked. A separate check,
//! [`timed_out_create_is_adopted`], proves against the stateful emulator
//! that a create whose response never arrived is not made twice.
//!
//! An adapter joins with one line in a test file:
//!
//! ```text
//! roster_testkit::reliability_tests!(MySubject, Emulator::start(MyModel::default()).await);
//! ```
//!
//! where `MySubject` implements [`WireSubject`].

use std::ops::RangeInclusive;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use futures::{FutureExt, TryStreamExt};
use roster_core::{
    CreateOutcome, Directory, Email, Error, ErrorKind, NewUser, Operation, PageRequest, Result,
    Role, UserDirectory, UserDirectoryExt, UserId, UserUpdate,
};
use roster_http::HttpSettings;
use roster_layers::{Call, Layer, LayerExt, Retry, Timeout};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use wiremock::http::Method;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::emulator::{Emulator, Model};

/// What the fault, bad-input, robustness and secrets matrices need to know
/// about an adapter. One small impl per adapter, in its tests.
pub trait WireSubject: Send + Sync {
    /// The adapter, pointed at `base_url` with `http` as its connection
    /// settings (the matrices inject their own client through it).
    fn connect(&self, base_url: &str, http: HttpSettings) -> Result<Arc<dyn Directory>>;

    /// Mounts whatever every operation needs before the request under test
    /// (a login, say) on `server`. Mount at priority 1: the fault itself is
    /// mounted at priority 10 and answers everything else.
    fn prepare<'a>(&'a self, server: &'a MockServer) -> BoxFuture<'a, ()> {
        let _ = server;
        Box::pin(async {})
    }

    /// A user id the adapter accepts, so the request is sent.
    fn user_id(&self) -> UserId;

    /// An update the adapter supports.
    fn update(&self) -> UserUpdate {
        UserUpdate::new().role(Role::Admin)
    }

    /// The status the provider answers `operation` with when it succeeds;
    /// the body faults use it, so the body is what is wrong.
    fn success_status(&self, operation: Operation) -> u16 {
        let _ = operation;
        200
    }

    /// The kind a status becomes for `operation`, where the provider
    /// differs from the shared table.
    fn expected_kind(&self, operation: Operation, status: u16) -> ErrorKind {
        roster_http::kind_for_status(status, operation)
    }

    /// An error body in the provider's own shape carrying `message`, which
    /// the adapter's error reader must find; by default
    /// `{"message": …, "detail": …}`, which covers the `message` and
    /// FastAPI/DRF `detail` shapes.
    fn error_body(&self, status: u16, message: &str) -> serde_json::Value {
        let _ = status;
        serde_json::json!({"message": message, "detail": message})
    }

    /// Whether `operation` decodes a response body. Body faults are only
    /// meaningful for those that do.
    fn reads_body(&self, operation: Operation) -> bool {
        operation != Operation::DeleteUser
    }

    /// Recognises the request that creates a user.
    fn create_user_request(&self) -> fn(&Request) -> bool {
        |request| request.method == Method::POST
    }

    /// The exact path (with its query, if any) of `delete_user` for a user
    /// id that percent-encodes to `encoded`; see [`IdOnWire`].
    fn delete_user_path(&self, encoded: &str) -> IdOnWire;

    /// The exact path (with its query, if any) of `delete_tenant` for a
    /// tenant id that percent-encodes to `encoded`.
    fn delete_tenant_path(&self, encoded: &str) -> IdOnWire;

    /// The email a create-user request carried, decoded; by default the
    /// JSON body's `email` field.
    fn email_on_wire(&self, request: &Request) -> Option<String> {
        let body: serde_json::Value = serde_json::from_slice(&request.body).ok()?;
        body.get("email")?.as_str().map(str::to_owned)
    }

    /// A valid response body for `operation`, which the robustness check
    /// mutates; `None` to feed it arbitrary bytes only.
    fn sample_body(&self, operation: Operation) -> Option<Vec<u8>> {
        let _ = operation;
        None
    }

    /// Every secret `connect` uses (tokens, passwords, API keys), which must
    /// never appear in a log line, an error or a `Debug` output.
    fn secrets(&self) -> Vec<String>;

    /// `Debug` renderings of the adapter's config and client for
    /// `base_url`, checked for secrets.
    fn debug_views(&self, base_url: &str) -> Vec<String>;
}

/// Where an id ends up in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdOnWire {
    /// In this exact path (and query).
    At(String),
    /// Nowhere: the adapter refuses such ids (for example, ones that are
    /// not numeric) with `InvalidInput` and sends nothing.
    Refused,
    /// Nowhere: the adapter resolves the id locally (for example, to an
    /// email through a list) and sends something else.
    Resolved,
}

/// One fault a server (or the network) can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// This status, with a small JSON error body.
    Status(u16),
    /// 429 with `Retry-After: 7`.
    RetryAfterSeconds,
    /// 429 with `Retry-After` as an HTTP date 7 seconds ahead.
    RetryAfterDate,
    /// A response that comes later than the per-attempt timeout.
    Slow,
    /// The connection closes halfway through the response headers.
    ClosedMidResponse,
    /// A success status with a body that is not JSON.
    MalformedJson,
    /// A success status with JSON cut short.
    TruncatedBody,
    /// A success status with an HTML page (a proxy's error page).
    HtmlPage,
    /// A success status with no body where JSON is expected.
    EmptyBody,
    /// A success status with valid JSON of the wrong shape: `true`, where
    /// every operation expects an object, a list or a string.
    WrongShape,
}

impl Fault {
    /// The status the fault answers with, for the faults that are an
    /// error status.
    pub fn error_status(self) -> Option<u16> {
        match self {
            Fault::Status(status) => Some(status),
            Fault::RetryAfterSeconds | Fault::RetryAfterDate => Some(429),
            _ => None,
        }
    }
}

/// The message every injected error body carries, in the provider's shape
/// ([`WireSubject::error_body`]).
pub const INJECTED_MESSAGE: &str = "injected fault";

/// The request id every injected error answer carries in `x-request-id`.
pub const INJECTED_REQUEST_ID: &str = "fault-matrix-request";

/// Every fault, in the order the matrix runs them.
pub const FAULTS: [Fault; 21] = [
    Fault::Status(400),
    Fault::Status(401),
    Fault::Status(403),
    Fault::Status(404),
    Fault::Status(405),
    Fault::Status(409),
    Fault::Status(412),
    Fault::Status(422),
    Fault::Status(429),
    Fault::RetryAfterSeconds,
    Fault::RetryAfterDate,
    Fault::Status(500),
    Fault::Status(502),
    Fault::Status(503),
    Fault::Slow,
    Fault::ClosedMidResponse,
    Fault::MalformedJson,
    Fault::TruncatedBody,
    Fault::HtmlPage,
    Fault::EmptyBody,
    Fault::WrongShape,
];

/// The operations every cell runs.
pub const OPERATIONS: [Operation; 4] = [
    Operation::GetUser,
    Operation::CreateUser,
    Operation::UpdateUser,
    Operation::DeleteUser,
];

/// The operations the fault matrix runs: [`OPERATIONS`] and a list, whose
/// decoding and paging path differs from a single read's on some
/// providers.
pub const MATRIX_OPERATIONS: [Operation; 5] = [
    Operation::GetUser,
    Operation::ListUsers,
    Operation::CreateUser,
    Operation::UpdateUser,
    Operation::DeleteUser,
];

/// The retry policy of the matrix: three attempts, waits of 1 s then 2 s,
/// no jitter.
pub fn matrix_retry() -> Retry {
    Retry::default()
        .jitter(false)
        .max_attempts(3)
        .delays(Duration::from_secs(1), Duration::from_secs(8))
        .deadline(Some(Duration::from_secs(60)))
}

/// The per-attempt timeout of the slow-response cells.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

const RETRY_AFTER_SECONDS: u64 = 7;

/// What a cell must come to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The error's kind.
    pub kind: ErrorKind,
    /// [`Error::is_temporary`].
    pub temporary: bool,
    /// How many times the operation ran.
    pub attempts: usize,
    /// How much (paused) time passed.
    pub elapsed: RangeInclusive<Duration>,
}

/// The expected outcome of `fault` on `operation`, or `None` when the
/// fault does not apply (a body fault on an operation that reads none).
pub fn expected(subject: &dyn WireSubject, fault: Fault, operation: Operation) -> Option<Expected> {
    let create = operation.is_create();
    let secs = Duration::from_secs;
    let exactly = |d: Duration| d..=d;
    // A failure after which the server may have acted: a create is looked
    // up instead of re-sent. The lookup meets the same fault and is retried
    // like a read: three lookups, waiting 1 s and 2 s between them.
    let lookups_wait = secs(3);
    let retried = |ambiguous: bool, resendable: bool| {
        if create && ambiguous {
            1
        } else if resendable {
            3
        } else {
            1
        }
    };
    Some(match fault {
        Fault::Status(status) => {
            let temporary = matches!(status, 408 | 429 | 500 | 502 | 503 | 504);
            let resendable = temporary && (operation.is_idempotent() || status != 500);
            let ambiguous = status >= 500;
            let attempts = retried(ambiguous, resendable);
            let looked_up = create && ambiguous && temporary;
            Expected {
                kind: subject.expected_kind(operation, status),
                temporary,
                attempts,
                elapsed: exactly(if attempts == 3 || looked_up {
                    secs(3)
                } else {
                    secs(0)
                }),
            }
        }
        Fault::RetryAfterSeconds => Expected {
            kind: subject.expected_kind(operation, 429),
            temporary: true,
            attempts: 3,
            elapsed: exactly(secs(2 * RETRY_AFTER_SECONDS)),
        },
        // The date is 7 s ahead when the mock is mounted, in whole seconds,
        // so each wait is between 5 and 7 s.
        Fault::RetryAfterDate => Expected {
            kind: subject.expected_kind(operation, 429),
            temporary: true,
            attempts: 3,
            elapsed: secs(2 * (RETRY_AFTER_SECONDS - 2))..=secs(2 * RETRY_AFTER_SECONDS),
        },
        Fault::Slow => {
            let attempts = retried(true, true);
            Expected {
                kind: ErrorKind::Timeout,
                temporary: true,
                attempts,
                elapsed: exactly(if create {
                    // The attempt, then three lookups, each cut at the
                    // limit, with the lookups' waits between them.
                    ATTEMPT_TIMEOUT * 4 + lookups_wait
                } else {
                    ATTEMPT_TIMEOUT * 3 + secs(3)
                }),
            }
        }
        Fault::ClosedMidResponse => Expected {
            kind: ErrorKind::Transport,
            temporary: true,
            attempts: retried(true, true),
            // Three attempts, or one create and three lookups: 1 s + 2 s.
            elapsed: exactly(secs(3)),
        },
        Fault::MalformedJson
        | Fault::TruncatedBody
        | Fault::HtmlPage
        | Fault::EmptyBody
        | Fault::WrongShape => {
            if !subject.reads_body(operation) {
                return None;
            }
            Expected {
                kind: ErrorKind::Decode,
                temporary: false,
                attempts: 1,
                elapsed: exactly(secs(0)),
            }
        }
    })
}

/// The body of a success answer that must not decode.
fn fault_body(fault: Fault) -> Option<&'static str> {
    Some(match fault {
        Fault::MalformedJson => "{\"id\": 1,, oops}",
        Fault::TruncatedBody => "{\"id\": \"a1\", \"email\": \"trunc",
        Fault::HtmlPage => "<html><body><h1>502 Bad Gateway</h1></body></html>",
        Fault::WrongShape => "true",
        _ => return None,
    })
}

/// The response wiremock serves for `fault`; `None` for the one fault a
/// whole response cannot express ([`Fault::ClosedMidResponse`]).
fn fault_response(
    subject: &dyn WireSubject, fault: Fault, success: u16,
) -> Option<ResponseTemplate> {
    let json = |status: u16, body: &str| {
        ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json")
    };
    let error = |status: u16| {
        json(
            status,
            &subject.error_body(status, INJECTED_MESSAGE).to_string(),
        )
        .insert_header("x-request-id", INJECTED_REQUEST_ID)
    };
    Some(match fault {
        Fault::Status(status) => error(status),
        Fault::RetryAfterSeconds => {
            error(429).insert_header("Retry-After", RETRY_AFTER_SECONDS.to_string().as_str())
        }
        Fault::RetryAfterDate => {
            let at = SystemTime::now() + Duration::from_secs(RETRY_AFTER_SECONDS);
            error(429).insert_header("Retry-After", httpdate::fmt_http_date(at).as_str())
        }
        // Far longer than the per-attempt timeout; the paused clock makes
        // the client give up long before.
        Fault::Slow => json(success, "{}").set_delay(Duration::from_secs(30)),
        Fault::MalformedJson | Fault::TruncatedBody | Fault::WrongShape => {
            json(success, fault_body(fault).unwrap_or_default())
        }
        Fault::HtmlPage => ResponseTemplate::new(success).set_body_raw(
            fault_body(fault).unwrap_or_default().as_bytes().to_vec(),
            "text/html",
        ),
        Fault::EmptyBody => {
            ResponseTemplate::new(success).insert_header("content-type", "application/json")
        }
        Fault::ClosedMidResponse => return None,
    })
}

/// A server that reads each request and hangs up halfway through the
/// response headers.
struct HalfResponder {
    base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl HalfResponder {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding a loopback port");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buffer = vec![0_u8; 16 * 1024];
                    let mut seen = Vec::new();
                    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let _ = stream
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: applic")
                        .await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        HalfResponder { base_url, task }
    }
}

impl Drop for HalfResponder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Counts the calls that reach it, per operation: placed inside the retry
/// layer, it counts attempts (and a create's lookups, as `ListUsers`).
#[derive(Clone, Default)]
struct Attempts(Arc<Mutex<Vec<Operation>>>);

impl Attempts {
    fn of(&self, operation: Operation) -> usize {
        let seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        seen.iter().filter(|op| **op == operation).count()
    }
}

impl Layer for Attempts {
    fn call<'a, T: Send + 'a>(
        &'a self, call: Call<'a, T>,
    ) -> impl std::future::Future<Output = Result<T>> + Send + 'a {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(call.operation());
        call.attempt()
    }
}

/// An HTTP client with no timers of its own (no timeouts, no idle-pool
/// sweeper), so a paused tokio clock stands still while a request is on
/// the wire.
pub fn timerless_http_client() -> reqwest::Client {
    roster_http::install_crypto_provider();
    reqwest::Client::builder()
        .pool_idle_timeout(None)
        .build()
        .expect("building a plain reqwest client")
}

/// Runs `operation` once against `directory` with the subject's inputs.
pub(crate) async fn run_operation(
    directory: &dyn Directory, subject: &dyn WireSubject, operation: Operation,
) -> Result<()> {
    let id = subject.user_id();
    match operation {
        Operation::GetUser => directory.get_user(&id).await.map(drop),
        Operation::ListUsers => directory
            .list_users_page(PageRequest::first())
            .await
            .map(drop),
        Operation::CreateUser => {
            let email = Email::parse("fault-matrix@example.com").expect("valid email");
            directory.create_user(&NewUser::new(email)).await.map(drop)
        }
        Operation::UpdateUser => directory
            .update_user(&id, &subject.update())
            .await
            .map(drop),
        Operation::DeleteUser => directory.delete_user(&id).await,
        other => Err(Error::new(
            ErrorKind::Unsupported,
            format!("the matrix does not run {other}"),
        )),
    }
}

/// Runs one cell and describes every way it differs from `expected`.
async fn run_cell(
    subject: &dyn WireSubject, fault: Fault, operation: Operation, expected: &Expected,
) -> Vec<String> {
    let mut _server = None;
    let mut _half = None;
    let base_url =
        if let Some(response) = fault_response(subject, fault, subject.success_status(operation)) {
            let server = MockServer::start().await;
            subject.prepare(&server).await;
            Mock::given(any())
                .respond_with(response)
                .with_priority(10)
                .named("injected fault")
                .mount(&server)
                .await;
            let url = server.uri();
            _server = Some(server);
            url
        } else {
            let half = HalfResponder::start().await;
            let url = half.base_url.clone();
            _half = Some(half);
            url
        };

    let adapter = subject
        .connect(
            &base_url,
            HttpSettings::new().client(timerless_http_client()),
        )
        .expect("connecting to a loopback server");
    let provider = adapter.provider_id();
    let attempts = Attempts::default();
    let directory: Arc<dyn Directory> = if fault == Fault::Slow {
        Arc::new(
            adapter
                .layer(Timeout::per_attempt(ATTEMPT_TIMEOUT))
                .layer(attempts.clone())
                .layer(matrix_retry()),
        )
    } else {
        Arc::new(adapter.layer(attempts.clone()).layer(matrix_retry()))
    };

    let started = Instant::now();
    let outcome = AssertUnwindSafe(run_operation(&*directory, subject, operation))
        .catch_unwind()
        .await;
    let elapsed = started.elapsed();

    let mut problems = Vec::new();
    let error = match outcome {
        Err(_) => return vec!["panicked".to_owned()],
        Ok(Ok(())) => return vec!["succeeded".to_owned()],
        Ok(Err(error)) => error,
    };
    if error.kind() != expected.kind {
        problems.push(format!(
            "kind {:?}, expected {:?} ({error})",
            error.kind(),
            expected.kind
        ));
    }
    if error.is_temporary() != expected.temporary {
        problems.push(format!("is_temporary() is {}", error.is_temporary()));
    }
    let made = attempts.of(operation);
    if made != expected.attempts {
        problems.push(format!("{made} attempts, expected {}", expected.attempts));
    }
    if !expected.elapsed.contains(&elapsed) {
        problems.push(format!(
            "waited {elapsed:?}, expected {:?}",
            expected.elapsed
        ));
    }
    if error.provider() != Some(provider) {
        problems.push(format!("provider {:?}", error.provider()));
    }
    // A dead connection also kills what the subject prepares (a login),
    // so the error may name that step; it must still name one.
    let operation_ok = if fault == Fault::ClosedMidResponse {
        error.operation().is_some()
    } else {
        error.operation() == Some(operation)
    };
    if !operation_ok {
        problems.push(format!("operation {:?}", error.operation()));
    }
    if let Some(status) = fault.error_status() {
        if error.status() != Some(status) {
            problems.push(format!("status {:?}, expected {status}", error.status()));
        }
        if error.request_id() != Some(INJECTED_REQUEST_ID) {
            problems.push(format!("request id {:?}", error.request_id()));
        }
        if !error.message().contains(INJECTED_MESSAGE) {
            problems.push(format!(
                "message {:?} lost the body's {INJECTED_MESSAGE:?}",
                error.message()
            ));
        }
    }
    let retry_after = error.retry_after();
    match fault {
        Fault::RetryAfterSeconds
            if retry_after != Some(Duration::from_secs(RETRY_AFTER_SECONDS)) =>
        {
            problems.push(format!("retry_after {retry_after:?}"));
        }
        // Whole seconds, read a moment after the mock was mounted.
        Fault::RetryAfterDate
            if !retry_after.is_some_and(|wait| {
                (Duration::from_secs(RETRY_AFTER_SECONDS - 2)
                    ..=Duration::from_secs(RETRY_AFTER_SECONDS))
                    .contains(&wait)
            }) =>
        {
            problems.push(format!("retry_after {retry_after:?}"));
        }
        _ => {}
    }
    if operation.is_create()
        && made == 1
        && expected.temporary
        && attempts.of(Operation::ListUsers) == 0
    {
        problems.push("an ambiguous create was not looked up".to_owned());
    }
    if let Some(body) = fault_body(fault) {
        match error.body_snippet() {
            None | Some("") => problems.push("no body snippet".to_owned()),
            // The snippet may be cut short or redacted further on, but it
            // starts with what the server sent.
            Some(snippet) if !body.starts_with(&snippet.chars().take(16).collect::<String>()) => {
                problems.push(format!("body snippet {snippet:?} is not the body"));
            }
            Some(_) => {}
        }
    }
    problems
}

/// Runs every fault against every operation and fails with a list of all
/// the cells that went wrong. Call it from a test with tokio's clock
/// paused (`#[tokio::test(start_paused = true)]`), as
/// [`reliability_tests!`](crate::reliability_tests) does.
pub async fn run_fault_matrix(subject: &dyn WireSubject) {
    let mut failures = Vec::new();
    let mut cells = 0;
    for fault in FAULTS {
        for operation in MATRIX_OPERATIONS {
            let Some(expected) = expected(subject, fault, operation) else {
                continue;
            };
            cells += 1;
            for problem in run_cell(subject, fault, operation, &expected).await {
                failures.push(format!("{fault:?} × {operation}: {problem}"));
            }
        }
    }
    assert!(cells >= 60, "only {cells} cells ran");
    assert!(
        failures.is_empty(),
        "{} of {cells} fault-matrix cells failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// A server slower than the client's own request timeout
/// ([`HttpSettings::request_timeout`], reqwest's, not the
/// [`Timeout`] layer's) is a temporary [`ErrorKind::Timeout`] tagged with
/// the operation. Runs in real time, about 0.2 s.
pub async fn request_timeout_is_a_timeout(subject: &dyn WireSubject) {
    let server = MockServer::start().await;
    subject.prepare(&server).await;
    let slow = fault_response(
        subject,
        Fault::Slow,
        subject.success_status(Operation::GetUser),
    )
    .expect("a slow response");
    Mock::given(any())
        .respond_with(slow)
        .with_priority(10)
        .mount(&server)
        .await;
    let adapter = subject
        .connect(
            &server.uri(),
            HttpSettings::new().request_timeout(Duration::from_millis(200)),
        )
        .expect("connecting to a loopback server");
    let error = run_operation(&*adapter, subject, Operation::GetUser)
        .await
        .expect_err("the server answers after 30 s");
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(error.is_temporary(), "{error}");
    assert_eq!(error.provider(), Some(adapter.provider_id()), "{error}");
    assert!(error.operation().is_some(), "{error}");
}

/// A refused connection is a temporary [`ErrorKind::Transport`] error that
/// does not quote the address it failed to reach.
pub async fn refused_connection_is_transport_without_the_url(subject: &dyn WireSubject) {
    // Bound and dropped: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a loopback port")
        .port();
    let base_url = format!("http://127.0.0.1:{port}");
    let adapter = subject
        .connect(&base_url, HttpSettings::new())
        .expect("connecting is lazy");
    let error = run_operation(&*adapter, subject, Operation::GetUser)
        .await
        .expect_err("nothing listens");
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    assert!(error.is_temporary(), "{error}");
    assert_eq!(error.provider(), Some(adapter.provider_id()), "{error}");
    let everything = format!("{error} {error:?}");
    assert!(
        !everything.contains("127.0.0.1") && !everything.contains(&format!(":{port}")),
        "{everything}"
    );
}

/// A create whose response is lost to a timeout, under the retry layer,
/// leaves exactly one user behind: the retry looks the user up, adopts
/// them, and sends no second create.
///
/// Runs in real time (the emulator answers the create 3 s late; the client
/// gives up after 0.5 s).
pub async fn timed_out_create_is_adopted<M: Model>(
    subject: &dyn WireSubject, emulator: &Emulator<M>,
) {
    let is_create = subject.create_user_request();
    emulator.delay_responses(1, Duration::from_secs(3), is_create);
    let plain = subject
        .connect(&emulator.base_url(), HttpSettings::new())
        .expect("connecting to the emulator");
    let directory = plain
        .clone()
        .layer(Timeout::per_attempt(Duration::from_millis(500)))
        .layer(
            Retry::default()
                .jitter(false)
                .delays(Duration::from_millis(50), Duration::from_millis(200)),
        );
    let email = crate::contract::unique_email("adopted");
    let created = directory
        .create_user(&NewUser::new(email.clone()))
        .await
        .expect("the retry layer should adopt the user the timed-out create made");
    assert_eq!(created.outcome, CreateOutcome::Adopted);
    assert!(
        created
            .value
            .email
            .as_ref()
            .is_some_and(|e| email.matches(e.as_str()))
    );
    let same_email = plain
        .list_users()
        .try_filter(|user| {
            std::future::ready(
                user.email
                    .as_ref()
                    .is_some_and(|e| email.matches(e.as_str())),
            )
        })
        .try_collect::<Vec<_>>()
        .await
        .expect("listing users");
    assert_eq!(same_email.len(), 1, "{same_email:?}");
    let creates = emulator
        .requests()
        .await
        .iter()
        .filter(|request| is_create(request))
        .count();
    assert_eq!(creates, 1, "the create was sent again");
}

/// Adds the reliability checks to an adapter's tests in one line:
/// `reliability_tests!(subject, emulator)`, where `subject` implements
/// [`WireSubject`] and `emulator` is an expression (it may `.await`)
/// giving the adapter's stateful [`Emulator`]. It adds:
///
/// - `fault_matrix`: [`run_fault_matrix`], with tokio's clock paused;
/// - `a_timed_out_create_is_adopted_not_duplicated`:
///   [`timed_out_create_is_adopted`];
/// - `tricky_values_reach_the_wire_encoded`:
///   [`crate::bad_input::tricky_values_reach_the_wire`];
/// - `decoders_never_panic`: [`crate::robustness::decoders_never_panic`];
/// - `plain_http_is_refused_unless_opted_in`:
///   [`crate::leaks::plain_http_is_refused_unless_opted_in`];
/// - `a_request_timeout_is_a_timeout`: [`request_timeout_is_a_timeout`];
/// - `a_refused_connection_is_transport_without_the_url`:
///   [`refused_connection_is_transport_without_the_url`].
///
/// The secrets check installs a global log subscriber, so it has its own
/// macro, [`secrets_tests!`](crate::secrets_tests), for a test file of its
/// own.
#[macro_export]
macro_rules! reliability_tests {
    ($subject:expr, $emulator:expr $(,)?) => {
        #[tokio::test(start_paused = true)]
        async fn fault_matrix() {
            $crate::faults::run_fault_matrix(&$subject).await;
        }

        #[tokio::test]
        async fn a_timed_out_create_is_adopted_not_duplicated() {
            let emulator = $emulator;
            $crate::faults::timed_out_create_is_adopted(&$subject, &emulator).await;
        }

        #[tokio::test]
        async fn tricky_values_reach_the_wire_encoded() {
            let emulator = $emulator;
            $crate::bad_input::tricky_values_reach_the_wire(&$subject, &emulator).await;
        }

        #[tokio::test]
        async fn decoders_never_panic() {
            $crate::robustness::decoders_never_panic(&$subject).await;
        }

        #[test]
        fn plain_http_is_refused_unless_opted_in() {
            $crate::leaks::plain_http_is_refused_unless_opted_in(&$subject);
        }

        #[tokio::test]
        async fn a_request_timeout_is_a_timeout() {
            $crate::faults::request_timeout_is_a_timeout(&$subject).await;
        }

        #[tokio::test]
        async fn a_refused_connection_is_transport_without_the_url() {
            $crate::faults::refused_connection_is_transport_without_the_url(&$subject).await;
        }
    };
}
