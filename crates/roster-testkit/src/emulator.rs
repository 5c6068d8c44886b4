//! The emulator harness: one stateful model per provider, served by wiremock.
//!
//! A provider's rules live in a [`Model`]: plain state plus a `handle`
//! function from request to response. [`Emulator`] serves a model on a
//! loopback port through a single wiremock responder, so the same model
//! backs the contract tests, the examples and (later) a standalone server.
//! Tests can still mount ordinary wiremock mocks on [`Emulator::server`] to
//! inject faults; those take priority over the model.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use roster_core::state::DirectoryState;

/// A provider's behaviour: state plus a request handler.
///
/// `handle` must never panic, whatever it is sent: an emulator that crashes
/// hides the bug it was meant to find.
pub trait Model: Send + 'static {
    /// The path every route lives under, such as `/api`; `""` for none.
    fn base_path(&self) -> &str {
        ""
    }

    /// Answers one request, updating the state.
    fn handle(&mut self, request: &Request) -> ResponseTemplate;

    /// Whether `request` changes the state (counted by
    /// [`Emulator::write_count`]). By default, anything but `GET`.
    fn is_write(&self, request: &Request) -> bool {
        request.method.as_str() != "GET"
    }

    /// Secrets this emulator handed out (session tokens, cookies), which
    /// the secrets check must also never find in logs or errors.
    fn issued_secrets(&self) -> Vec<String> {
        Vec::new()
    }

    /// Loads users, tenants and memberships (in neutral shapes) into the
    /// state, as `roster-emulator --seed` does.
    fn seed(&mut self, snapshot: &DirectoryState) -> Result<(), String> {
        let _ = snapshot;
        Err("this emulator cannot be seeded".to_owned())
    }

    /// The state in neutral shapes, as `roster-emulator --dump` writes it.
    fn snapshot(&self) -> Result<DirectoryState, String> {
        Err("this emulator cannot dump its state".to_owned())
    }
}

/// A running emulator: a loopback HTTP server answering from a [`Model`].
pub struct Emulator<M: Model> {
    server: MockServer,
    model: Arc<Mutex<M>>,
    delays: Arc<Mutex<Vec<Delay>>>,
    loss: Arc<Mutex<Option<Loss>>>,
}

/// A share of requests and of responses lost, as a flaky network loses
/// them ([`Emulator::lose`]).
struct Loss {
    requests_per_mille: u64,
    responses_per_mille: u64,
    late_by: Duration,
    /// A splitmix64 state: reproducible draws without a dependency.
    state: u64,
}

impl Loss {
    fn draw(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % 1000
    }
}

/// What the network does to one request.
enum Fate {
    Delivered,
    RequestLost(Duration),
    ResponseLost(Duration),
}

/// A request predicate for [`Emulator::delay_responses`].
type RequestFilter = Box<dyn Fn(&Request) -> bool + Send>;

/// Answers the next `remaining` matching requests late.
struct Delay {
    remaining: usize,
    by: Duration,
    matches: RequestFilter,
}

struct Dispatch<M> {
    model: Arc<Mutex<M>>,
    delays: Arc<Mutex<Vec<Delay>>>,
    loss: Arc<Mutex<Option<Loss>>>,
}

impl<M> Dispatch<M> {
    fn fate(&self) -> Fate {
        let mut loss = lock(&self.loss);
        let Some(loss) = loss.as_mut() else {
            return Fate::Delivered;
        };
        let draw = loss.draw();
        if draw < loss.requests_per_mille {
            Fate::RequestLost(loss.late_by)
        } else if draw < loss.requests_per_mille + loss.responses_per_mille {
            Fate::ResponseLost(loss.late_by)
        } else {
            Fate::Delivered
        }
    }
}

impl<M: Model> Respond for Dispatch<M> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let response = match self.fate() {
            // Never reaches the model; the client hears nothing in time.
            Fate::RequestLost(late_by) => {
                return ResponseTemplate::new(504).set_delay(late_by);
            }
            // Carried out, but the answer comes after the client gave up.
            Fate::ResponseLost(late_by) => {
                return lock(&self.model).handle(request).set_delay(late_by);
            }
            Fate::Delivered => lock(&self.model).handle(request),
        };
        // The model acts first: a delayed response is one the server has
        // already carried out, which is what makes a timeout ambiguous.
        let mut delays = lock(&self.delays);
        match delays
            .iter_mut()
            .find(|delay| delay.remaining > 0 && (delay.matches)(request))
        {
            Some(delay) => {
                delay.remaining -= 1;
                response.set_delay(delay.by)
            }
            None => response,
        }
    }
}

fn lock<M>(model: &Mutex<M>) -> MutexGuard<'_, M> {
    // A panic in a test thread must not wedge every later request.
    model
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<M: Model> Emulator<M> {
    /// Serves `model` on a free loopback port.
    pub async fn start(model: M) -> Self {
        Self::serve(MockServer::start().await, model).await
    }

    /// Serves `model` on a listener the caller bound, for a fixed port.
    pub async fn start_on(listener: std::net::TcpListener, model: M) -> Self {
        Self::serve(
            MockServer::builder().listener(listener).start().await,
            model,
        )
        .await
    }

    async fn serve(server: MockServer, model: M) -> Self {
        let emulator = Emulator {
            server,
            model: Arc::new(Mutex::new(model)),
            delays: Arc::default(),
            loss: Arc::default(),
        };
        emulator.mount_model().await;
        emulator
    }

    async fn mount_model(&self) {
        Mock::given(any())
            .respond_with(Dispatch {
                model: self.model.clone(),
                delays: self.delays.clone(),
                loss: self.loss.clone(),
            })
            // Lowest priority: fault mocks a test mounts win over the model.
            .with_priority(u8::MAX)
            .named("emulator model")
            .mount(&self.server)
            .await;
    }

    /// Carries out the next `count` requests that `matches` accepts at
    /// once, but answers them `by` late: the server-side effect of a
    /// request whose response the client gave up waiting for.
    pub fn delay_responses(
        &self, count: usize, by: Duration, matches: impl Fn(&Request) -> bool + Send + 'static,
    ) {
        lock(&self.delays).push(Delay {
            remaining: count,
            by,
            matches: Box::new(matches),
        });
    }

    /// From now on, loses `requests_per_mille` of every thousand requests
    /// before the model sees them, and `responses_per_mille` of every
    /// thousand answers after the model carried the request out, as a flaky
    /// network does. A lost one is answered `late_by` late, which a client
    /// with a shorter timeout never waits for. The draws come from `seed`,
    /// so a run is reproducible up to the order requests arrive in.
    pub fn lose(
        &self, requests_per_mille: u32, responses_per_mille: u32, late_by: Duration, seed: u64,
    ) {
        *lock(&self.loss) = Some(Loss {
            requests_per_mille: requests_per_mille.min(1000).into(),
            responses_per_mille: responses_per_mille.min(1000).into(),
            late_by,
            state: seed,
        });
    }

    /// Stops losing requests and responses.
    pub fn stop_losing(&self) {
        *lock(&self.loss) = None;
    }

    /// The base URL an adapter should be configured with (server address
    /// plus the model's base path).
    pub fn base_url(&self) -> String {
        format!("{}{}", self.server.uri(), lock(&self.model).base_path())
    }

    /// The underlying wiremock server, for mounting fault-injection mocks.
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// Reads or changes the model's state.
    pub fn with_model<R>(&self, f: impl FnOnce(&mut M) -> R) -> R {
        f(&mut lock(&self.model))
    }

    /// Every request the server received, in order.
    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    /// How many requests the server received.
    pub async fn request_count(&self) -> usize {
        self.requests().await.len()
    }

    /// How many requests that change the state ([`Model::is_write`]) the
    /// server received.
    pub async fn write_count(&self) -> usize {
        self.requests()
            .await
            .iter()
            .filter(|r| lock(&self.model).is_write(r))
            .count()
    }

    /// Forgets the recorded requests (the state is kept).
    pub async fn reset_requests(&self) {
        self.server.reset().await;
        self.mount_model().await;
    }
}

/// The request's path segments after `base_path`, percent-decoded; `None`
/// when the path is not under `base_path`.
pub fn route_segments(request: &Request, base_path: &str) -> Option<Vec<String>> {
    let path = request.url.path();
    let rest = path.strip_prefix(base_path)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    Some(
        rest.split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect(),
    )
}

/// The credentials after `scheme` in the `Authorization` header.
pub fn auth_credentials<'a>(request: &'a Request, scheme: &str) -> Option<&'a str> {
    let value = request.headers.get("authorization")?.to_str().ok()?;
    let (given, credentials) = value.split_once(' ')?;
    given
        .eq_ignore_ascii_case(scheme)
        .then_some(credentials.trim())
}

/// The request body as JSON, or `Err(message)` when it is not valid JSON.
pub fn json_body(request: &Request) -> Result<Value, String> {
    serde_json::from_slice(&request.body).map_err(|err| err.to_string())
}

/// The request body decoded as `T`.
pub fn typed_body<T: DeserializeOwned>(request: &Request) -> Result<T, String> {
    serde_json::from_slice(&request.body).map_err(|err| err.to_string())
}

/// A JSON response with this status.
pub fn json(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// An empty `204 No Content`.
pub fn no_content() -> ResponseTemplate {
    ResponseTemplate::new(204)
}

/// Whether two names or emails are equal ignoring letter case, exactly as
/// `a.to_lowercase() == b.to_lowercase()`, without allocating where both
/// are ASCII: the emulators compare against every stored user on each
/// create and lookup, which at 10,000 users (the `scim` bench) made two
/// allocations per user per request. Other text keeps `to_lowercase`,
/// whose context rules (a word-final `Σ` is `ς`) a per-character
/// comparison would not follow.
pub fn same_ignoring_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.to_lowercase() == b.to_lowercase()
}

/// List entries already serialised, each kept under a hash of everything
/// it is made from, so a list answer copies the bytes of entries that did
/// not change instead of building and dropping a JSON tree per entry.
///
/// The providers have no read-by-id for users (IaaS, NetBird, Medium One)
/// or answer an invitation without the id (Astra), so the adapters list
/// every user per membership write; at 10,000 users (the `scim` bench) the
/// emulators spent most of the run rebuilding the same entries. The key is
/// 128 bits (two SipHash passes), so two different entries never meet in
/// practice.
#[derive(Default)]
pub struct EntryCache {
    entries: std::cell::RefCell<std::collections::HashMap<u128, Box<str>>>,
}

impl Clone for EntryCache {
    /// An empty cache: a cloned model rebuilds its entries when listed.
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for EntryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EntryCache({} entries)", self.entries.borrow().len())
    }
}

impl EntryCache {
    /// The JSON array of `items`: each `(key, make)` pair gives the entry
    /// kept under `key`, or the one `make` builds (then kept). `key` must
    /// hash everything `make` reads.
    pub fn array<K: std::hash::Hash, F: FnOnce() -> Value>(
        &self, items: impl IntoIterator<Item = (K, F)>,
    ) -> String {
        use std::hash::{Hash, Hasher};
        let mut entries = self.entries.borrow_mut();
        let mut out = String::from("[");
        let mut count = 0usize;
        for (key, make) in items {
            let half = |seed: u8| {
                let mut hasher = std::hash::DefaultHasher::new();
                seed.hash(&mut hasher);
                key.hash(&mut hasher);
                hasher.finish()
            };
            let hash = (u128::from(half(0)) << 64) | u128::from(half(1));
            if count > 0 {
                out.push(',');
            }
            count += 1;
            let entry = entries
                .entry(hash)
                .or_insert_with(|| make().to_string().into_boxed_str());
            out.push_str(entry);
        }
        out.push(']');
        // Entries of users since changed are never asked for again: drop
        // them all once they outnumber the live ones, and rebuild.
        if entries.len() > (4 * count).max(4096) {
            entries.clear();
        }
        out
    }
}

/// A JSON answer whose body is already serialised (such as an
/// [`EntryCache::array`]).
pub fn json_text(status: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.into_bytes(), "application/json")
}

/// `object` serialised with one more field, `key`, holding `json` (already
/// serialised): for a list wrapped in an object, such as Astra's
/// organization with its `Users`.
pub fn with_json_field(object: Value, key: &str, json: &str) -> String {
    let mut text = object.to_string();
    if text.len() < 2 || !text.ends_with('}') {
        return text;
    }
    text.pop();
    if text.len() > 1 {
        text.push(',');
    }
    text.push_str(&Value::from(key).to_string());
    text.push(':');
    text.push_str(json);
    text.push('}');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn case_is_ignored_without_changing_what_counts_as_equal() {
        for (a, b, equal) in [
            ("Ann@Example.com", "ann@example.COM", true),
            ("ann@example.com", "anne@example.com", false),
            ("ÅSA@example.com", "åsa@example.com", true),
            ("åsa@example.com", "asa@example.com", false),
            ("ΟΔΟΣ@x.com", "οδος@x.com", true),
            ("ΟΔΟΣ@x.com", "οδοσ@x.com", false),
            ("", "", true),
        ] {
            assert_eq!(same_ignoring_case(a, b), equal, "{a} vs {b}");
            assert_eq!(a.to_lowercase() == b.to_lowercase(), equal, "{a} vs {b}");
        }
    }

    #[test]
    fn a_cached_entry_is_rebuilt_when_what_it_is_made_from_changes() {
        let cache = EntryCache::default();
        let built = std::cell::Cell::new(0);
        let built = &built;
        let list = |names: &[&str]| {
            cache.array(names.iter().map(|name| {
                (*name, move || {
                    built.set(built.get() + 1);
                    json!({ "name": name })
                })
            }))
        };
        assert_eq!(list(&["a", "b"]), r#"[{"name":"a"},{"name":"b"}]"#);
        assert_eq!(built.get(), 2);
        // Unchanged entries are copied, a changed one is built afresh.
        assert_eq!(list(&["a", "c"]), r#"[{"name":"a"},{"name":"c"}]"#);
        assert_eq!(built.get(), 3);
        assert_eq!(list(&[]), "[]");
    }

    #[test]
    fn a_serialised_field_is_added_to_an_object() {
        assert_eq!(
            with_json_field(json!({"OrgID": "o"}), "Users", "[1]"),
            r#"{"OrgID":"o","Users":[1]}"#
        );
        assert_eq!(with_json_field(json!({}), "users", "[]"), r#"{"users":[]}"#);
    }
}
