//! The state every generated client carries, and the hooks that use it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use progenitor_client::{OperationInfo, ResponseValue};
use roster_core::{Error, ErrorKind, Operation, Result};

use crate::auth::Authenticator;
use crate::classify::{DescribeError, MAX_ERROR_BODY_BYTES, classify_response};
use crate::redact::Redactor;
use crate::settings::{BaseUrl, HttpSettings};

/// The per-client state a progenitor-generated client holds as its `inner`
/// value: which provider it talks to, how it authenticates, how its error
/// bodies read, and what to redact.
///
/// Adapters never construct it field by field; [`ClientContext::connect`]
/// builds it together with the base URL and the `reqwest::Client`.
#[derive(Clone)]
pub struct ClientContext {
    inner: Arc<Inner>,
}

struct Inner {
    provider: &'static str,
    auth: Arc<dyn Authenticator>,
    describe_error: DescribeError,
    redactor: Redactor,
    request_timeout: Option<Duration>,
}

/// Everything an adapter needs to construct its generated client with
/// `Client::new_with_client(base_url.as_str(), client, context)`.
#[derive(Debug)]
pub struct Connection {
    /// The checked base URL.
    pub base_url: BaseUrl,
    /// The HTTP client, built or injected per [`HttpSettings`].
    pub client: reqwest::Client,
    /// The context for the generated client's hooks.
    pub context: ClientContext,
}

impl Connection {
    /// Builds the generated client on this connection; pass the generated
    /// `Client::new_with_client`.
    pub fn into_client<C>(
        self, new_with_client: impl FnOnce(&str, reqwest::Client, ClientContext) -> C,
    ) -> C {
        new_with_client(self.base_url.as_str(), self.client, self.context)
    }
}

/// A progenitor-generated client built on a [`ClientContext`];
/// [`impl_client_hooks!`](crate::impl_client_hooks) implements it.
pub trait GeneratedClient: Sized {
    /// The generated `Client::new_with_client`.
    fn new_with_client(base_url: &str, client: reqwest::Client, context: ClientContext) -> Self;
}

impl ClientContext {
    /// A context for `provider`, authenticating with `auth` and reading error
    /// bodies with `describe_error`.
    pub fn new(
        provider: &'static str, auth: Arc<dyn Authenticator>, describe_error: DescribeError,
    ) -> Self {
        let redactor = Redactor::new(auth.secrets());
        ClientContext {
            inner: Arc::new(Inner {
                provider,
                auth,
                describe_error,
                redactor,
                request_timeout: None,
            }),
        }
    }

    /// Records the time limit the HTTP client puts on each request, so
    /// that [`request_timeout`](ClientContext::request_timeout) reports it.
    /// [`ClientContext::connect`] does this when it builds the client.
    pub fn with_request_timeout(mut self, limit: Option<Duration>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.request_timeout = limit;
        } else {
            let old = &self.inner;
            self.inner = Arc::new(Inner {
                provider: old.provider,
                auth: old.auth.clone(),
                describe_error: old.describe_error,
                redactor: old.redactor.clone(),
                request_timeout: limit,
            });
        }
        self
    }

    /// The time limit the HTTP client puts on each request, when Roster
    /// built the client ([`HttpSettings::request_timeout`]); `None` for a
    /// client you injected, whose limits Roster does not know. Adapters
    /// report it as [`Provider::request_timeout`](roster_core::Provider::request_timeout).
    pub fn request_timeout(&self) -> Option<Duration> {
        self.inner.request_timeout
    }

    /// Checks `base_url`, builds the HTTP client from `settings` and the
    /// context, in one step: the single place every adapter connects.
    pub fn connect(
        provider: &'static str, base_url: &str, settings: &HttpSettings,
        auth: Arc<dyn Authenticator>, describe_error: DescribeError,
    ) -> Result<Connection> {
        let base_url = settings
            .base_url(base_url)
            .map_err(|err| err.with_provider(provider))?;
        let client = settings
            .build_client()
            .map_err(|err| err.with_provider(provider))?;
        Ok(Connection {
            base_url,
            client,
            context: ClientContext::new(provider, auth, describe_error)
                .with_request_timeout(settings.enforced_request_timeout()),
        })
    }

    /// The provider identifier.
    pub fn provider(&self) -> &'static str {
        self.inner.provider
    }

    /// The redactor holding this client's secrets.
    pub fn redactor(&self) -> &Redactor {
        &self.inner.redactor
    }

    /// An error the adapter raises itself (no answer to classify: an id
    /// the server does not list, a rule of the provider), tagged with the
    /// provider and `operation`. Its message may quote what the server sent,
    /// so it is redacted like a body snippet.
    pub fn error(&self, kind: ErrorKind, operation: Operation, message: impl AsRef<str>) -> Error {
        Error::new(kind, self.inner.redactor.redact(message.as_ref()))
            .with_provider(self.inner.provider)
            .with_operation(operation)
    }

    /// The record a caller asked for, picked out of a whole list: how an
    /// adapter reads one record where the provider has no "get one"
    /// endpoint. It is the first of `items` that `is_it` accepts; none is
    /// [`NotFound`](ErrorKind::NotFound), "no {what} {id}".
    pub fn pick<T>(
        &self, operation: Operation, items: impl IntoIterator<Item = T>, what: &str,
        id: &dyn fmt::Display, is_it: impl FnMut(&T) -> bool,
    ) -> Result<T> {
        items
            .into_iter()
            .find(is_it)
            .ok_or_else(|| self.error(ErrorKind::NotFound, operation, format!("no {what} {id}")))
    }

    /// [`Error::unsupported`] for this client's provider.
    pub fn unsupported(&self, operation: Operation, what: &str) -> Error {
        Error::unsupported(self.inner.provider, operation, what)
    }

    /// The progenitor `pre` hook: adds credentials and drops the
    /// `api-version` header progenitor adds to every request (it is the
    /// spec's own version number, which no provider asked for).
    pub async fn before_send<E>(
        &self, request: &mut reqwest::Request, _info: &OperationInfo,
    ) -> std::result::Result<(), progenitor_client::Error<E>> {
        let headers = request.headers_mut();
        headers.remove("api-version");
        if let Some(value) = self.inner.auth.fixed_authorization() {
            headers.insert(reqwest::header::AUTHORIZATION, value.clone());
            return Ok(());
        }
        self.inner.auth.authorize(request).await.map_err(|err| {
            progenitor_client::Error::Custom(self.inner.redactor.redact(&err.to_string()))
        })
    }

    /// The progenitor `exec` hook: sends the request and logs one `debug`
    /// event with the method, path, status and duration. It never logs
    /// headers, the query string or bodies, which is where credentials live.
    /// When nothing listens at `debug`, it only sends: the method, path and
    /// clock it would log are not even read.
    pub async fn send(
        &self, client: &reqwest::Client, request: reqwest::Request, info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        if !tracing::enabled!(tracing::Level::DEBUG) {
            return client.execute(request).await;
        }
        let method = request.method().clone();
        let path = request.url().path().to_owned();
        let started = Instant::now();
        let result = client.execute(request).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(response) => tracing::debug!(
                provider = self.inner.provider,
                operation = info.operation_id,
                method = %method,
                path = %path,
                status = response.status().as_u16(),
                elapsed_ms,
                "http request"
            ),
            Err(err) => tracing::debug!(
                provider = self.inner.provider,
                operation = info.operation_id,
                method = %method,
                path = %path,
                error = transport_failure(err),
                elapsed_ms,
                "http request failed"
            ),
        }
        result
    }

    /// Awaits a generated-client call and returns its value, or the Roster
    /// [`Error`] for whatever went wrong, classified in one place.
    pub async fn call<T, E>(
        &self, operation: Operation,
        call: impl Future<Output = std::result::Result<ResponseValue<T>, progenitor_client::Error<E>>>,
    ) -> Result<T> {
        match call.await {
            Ok(value) => Ok(value.into_inner()),
            Err(err) => Err(self.convert(operation, err).await),
        }
    }

    /// Like [`ClientContext::call`], but keeps the whole answer: status and
    /// headers as well as the value. Session logins need it to read the
    /// `Set-Cookie` headers of a successful answer; errors are classified
    /// exactly as `call` does.
    pub async fn call_response<T, E>(
        &self, operation: Operation,
        call: impl Future<Output = std::result::Result<ResponseValue<T>, progenitor_client::Error<E>>>,
    ) -> Result<ResponseValue<T>> {
        match call.await {
            Ok(value) => Ok(value),
            Err(err) => Err(self.convert(operation, err).await),
        }
    }

    async fn convert<E>(&self, operation: Operation, err: progenitor_client::Error<E>) -> Error {
        use progenitor_client::Error as P;
        let provider = self.inner.provider;
        let redactor = &self.inner.redactor;
        let error = match err {
            P::InvalidRequest(message) => Error::invalid_input(redactor.redact(&message)),
            P::CommunicationError(err) => from_reqwest(err, "sending the request"),
            P::ResponseBodyError(err) => from_reqwest(err, "reading the response body"),
            P::InvalidUpgrade(err) => from_reqwest(err, "upgrading the connection"),
            // serde's message can quote a value from the body, so it is
            // redacted like the snippet.
            P::InvalidResponsePayload(body, err) => Error::new(
                ErrorKind::Decode,
                redactor.redact(&format!("could not decode the response: {err}")),
            )
            .with_body_snippet(redactor.snippet(&body, Error::MAX_SNIPPET_BYTES)),
            P::ErrorResponse(value) => classify_response(
                provider,
                operation,
                value.status().as_u16(),
                value.headers(),
                b"",
                self.inner.describe_error,
                redactor,
            ),
            P::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                match read_capped(response).await {
                    Ok(body) => classify_response(
                        provider,
                        operation,
                        status,
                        &headers,
                        &body,
                        self.inner.describe_error,
                        redactor,
                    ),
                    Err(err) => from_reqwest(err, "reading the error body").with_status(status),
                }
            }
            P::Custom(message) => Error::new(ErrorKind::Unauthenticated, message),
        };
        error.with_provider(provider).with_operation(operation)
    }
}

/// Reads at most [`MAX_ERROR_BODY_BYTES`] of a body.
async fn read_capped(mut response: reqwest::Response) -> reqwest::Result<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ERROR_BODY_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ERROR_BODY_BYTES {
            break;
        }
    }
    Ok(body)
}

fn transport_failure(err: &reqwest::Error) -> &'static str {
    if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connect"
    } else if err.is_body() || err.is_decode() {
        "body"
    } else {
        "transport"
    }
}

/// A transport error with its URL removed, since a URL can carry a query
/// token.
fn from_reqwest(err: reqwest::Error, doing: &str) -> Error {
    let (kind, what) = if err.is_timeout() {
        (ErrorKind::Timeout, "timed out")
    } else if err.is_connect() {
        (ErrorKind::Transport, "could not connect")
    } else {
        (ErrorKind::Transport, "connection failed")
    };
    Error::new(kind, format!("{what} while {doing}")).with_source(err.without_url())
}

impl fmt::Debug for ClientContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientContext")
            .field("provider", &self.inner.provider)
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::StaticToken;
    use crate::classify::no_detail;
    use secrecy::SecretString;

    #[test]
    fn pick_finds_the_first_match_or_names_what_is_missing() {
        let token = StaticToken::bearer(&SecretString::from("t0ken".to_owned())).expect("token");
        let context = ClientContext::new("acme", Arc::new(token), no_detail);
        let listed = [("a", 1), ("b", 2), ("b", 3)];
        let found = context.pick(Operation::GetUser, listed, "user", &"b", |(id, _)| {
            *id == "b"
        });
        assert_eq!(found.expect("listed"), ("b", 2));
        let err = context
            .pick(Operation::GetTenant, listed, "tenant", &"c", |(id, _)| {
                *id == "c"
            })
            .expect_err("not listed");
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.message(), "no tenant c");
        assert_eq!(err.provider(), Some("acme"));
        assert_eq!(err.operation(), Some(Operation::GetTenant));
    }
}
