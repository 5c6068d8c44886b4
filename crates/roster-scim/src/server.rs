//! The HTTP(S) server: the SCIM endpoints under `/scim/v2`, `/status`,
//! `/healthz` and `/readyz`, the bearer-token check, TLS through rustls,
//! and a graceful stop on SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::TokioIo;
use roster::Fleet;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::auth::Tokens;
use crate::config::{ConfigError, ScimConfig};
use crate::error::ScimError;
use crate::resource::{Kind, LIST_SCHEMA, parse_object, project};
use crate::schemas;
use crate::service::{ListQuery, Scim, etag, list_query};
use crate::store::Store;
use crate::worker::{Delivery, WorkerSettings, Workers};

/// Where the SCIM endpoints live.
pub const BASE_PATH: &str = "/scim/v2";

/// Why the server could not start or stopped.
#[derive(Debug)]
pub enum ServeError {
    /// The config is wrong.
    Config(ConfigError),
    /// The store could not be opened.
    Store(crate::store::StoreError),
    /// The fleet could not be built from `[fleet]`.
    Fleet(roster_core::Error),
    /// Binding or TLS set-up failed.
    Io(String),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Config(e) => write!(f, "config: {e}"),
            ServeError::Store(e) => write!(f, "{e}"),
            ServeError::Fleet(e) => write!(f, "fleet: {e}"),
            ServeError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ServeError {}

#[derive(Debug)]
struct AppState {
    scim: Scim,
    tokens: Tokens,
    max_body: usize,
    tls: bool,
    accepting: AtomicBool,
}

type Shared = Arc<AppState>;

fn scim_json(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/scim+json"),
    );
    response
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = scim_json(status, self.body());
        if self.status == 401 {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"roster-scim\""),
            );
        }
        response
    }
}

/// The base URL resources' `meta.location` starts with.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if state.tls { "https" } else { "http" };
    format!("{scheme}://{host}{BASE_PATH}")
}

async fn read_body(state: &AppState, body: Body) -> Result<Map<String, Value>, ScimError> {
    let bytes: Bytes = axum::body::to_bytes(body, state.max_body)
        .await
        .map_err(|_| ScimError::too_large(state.max_body))?;
    parse_object(&bytes)
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn resource_response(
    state: &AppState, headers: &HeaderMap, status: StatusCode,
    resource: &crate::store::StoredResource, query: &ListQuery,
) -> Response {
    let base = base_url(state, headers);
    let doc = project(
        state.scim.render(resource, &base),
        &query.attributes,
        &query.excluded,
    );
    let mut response = scim_json(status, Value::Object(doc));
    if let Ok(tag) = HeaderValue::from_str(&etag(resource)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    if status == StatusCode::CREATED
        && let Ok(location) = HeaderValue::from_str(&format!(
            "{base}/{}/{}",
            resource.kind.endpoint(),
            resource.id
        ))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

async fn collection(
    kind: Kind, state: Shared, method: Method, headers: HeaderMap, query: Option<String>,
    body: Body,
) -> Result<Response, ScimError> {
    match method {
        Method::GET => {
            let query = list_query(query.as_deref())?;
            let list = state
                .scim
                .list(kind, &query, &base_url(&state, &headers))
                .await?;
            Ok(scim_json(StatusCode::OK, list))
        }
        Method::POST => {
            let body = read_body(&state, body).await?;
            let created = state.scim.create(kind, body).await?;
            Ok(resource_response(
                &state,
                &headers,
                StatusCode::CREATED,
                &created,
                &ListQuery::default(),
            ))
        }
        _ => Err(ScimError::new(405, None, "use GET or POST here")),
    }
}

async fn item(
    kind: Kind, id: String, state: Shared, method: Method, headers: HeaderMap,
    query: Option<String>, body: Body,
) -> Result<Response, ScimError> {
    let query = list_query(query.as_deref())?;
    let expected = if_match(&headers);
    let resource = match method {
        Method::GET => {
            let resource = state.scim.get(kind, &id).await?;
            let inm = headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok());
            if inm.is_some_and(|tag| tag.trim() == etag(&resource)) {
                return Ok(StatusCode::NOT_MODIFIED.into_response());
            }
            resource
        }
        Method::PUT => {
            let body = read_body(&state, body).await?;
            state
                .scim
                .replace(kind, &id, body, expected.as_deref())
                .await?
        }
        Method::PATCH => {
            let body = read_body(&state, body).await?;
            state
                .scim
                .patch(kind, &id, body, expected.as_deref())
                .await?
        }
        Method::DELETE => {
            state.scim.delete(kind, &id, expected.as_deref()).await?;
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        _ => {
            return Err(ScimError::new(
                405,
                None,
                "use GET, PUT, PATCH or DELETE here",
            ));
        }
    };
    Ok(resource_response(
        &state,
        &headers,
        StatusCode::OK,
        &resource,
        &query,
    ))
}

fn list_of(items: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": items.len(),
        "startIndex": 1,
        "itemsPerPage": items.len(),
        "Resources": items,
    })
}

fn find_by_id(items: Vec<Value>, id: &str) -> Result<Response, ScimError> {
    items
        .into_iter()
        .find(|t| t["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id)))
        .map(|t| scim_json(StatusCode::OK, t))
        .ok_or_else(|| ScimError::not_found(format!("no {id}")))
}

/// Checks the bearer token before any SCIM endpoint or the status runs.
/// The token is never logged: only the method, path and answer are.
async fn authenticate(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    if !state.tokens.accepts_header(header) {
        tracing::info!(method = %request.method(), path = request.uri().path(), "refused: no valid bearer token");
        return ScimError::unauthorized().into_response();
    }
    if !state.accepting.load(Ordering::SeqCst) {
        return ScimError::unavailable("the server is stopping").into_response();
    }
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::info!(%method, path, status = response.status().as_u16(), "scim request");
    response
}

/// Every method the SCIM endpoints answer; the handler refuses the ones a
/// route does not take with a SCIM 405.
fn any_method<H, T>(handler: H) -> axum::routing::MethodRouter<Shared>
where
    H: axum::handler::Handler<T, Shared>,
    T: 'static,
{
    use axum::routing::MethodFilter;
    axum::routing::on(
        MethodFilter::GET
            .or(MethodFilter::POST)
            .or(MethodFilter::PUT)
            .or(MethodFilter::PATCH)
            .or(MethodFilter::DELETE),
        handler,
    )
}

fn router(state: Shared) -> Router {
    let users = |kind: Kind| {
        move |State(s): State<Shared>,
              method: Method,
              headers: HeaderMap,
              RawQuery(q): RawQuery,
              body: Body| async move {
            collection(kind, s, method, headers, q, body)
                .await
                .into_response()
        }
    };
    let items = |kind: Kind| {
        move |State(s): State<Shared>,
              Path(id): Path<String>,
              method: Method,
              headers: HeaderMap,
              RawQuery(q): RawQuery,
              body: Body| async move {
            item(kind, id, s, method, headers, q, body)
                .await
                .into_response()
        }
    };
    let scim = Router::new()
        .route("/Users", any_method(users(Kind::User)))
        .route("/Users/{id}", any_method(items(Kind::User)))
        .route("/Groups", any_method(users(Kind::Group)))
        .route("/Groups/{id}", any_method(items(Kind::Group)))
        .route(
            "/ServiceProviderConfig",
            get(|| async { scim_json(StatusCode::OK, schemas::service_provider_config()) }),
        )
        .route(
            "/ResourceTypes",
            get(|| async { scim_json(StatusCode::OK, list_of(schemas::resource_types())) }),
        )
        .route(
            "/ResourceTypes/{id}",
            get(|Path(id): Path<String>| async move {
                find_by_id(schemas::resource_types(), &id).into_response()
            }),
        )
        .route(
            "/Schemas",
            get(|| async { scim_json(StatusCode::OK, list_of(schemas::schemas())) }),
        )
        .route(
            "/Schemas/{id}",
            get(|Path(id): Path<String>| async move {
                find_by_id(schemas::schemas(), &id).into_response()
            }),
        )
        .fallback(|| async { ScimError::not_found("no such SCIM endpoint").into_response() });
    let protected = Router::new()
        .nest(BASE_PATH, scim)
        .route(
            "/status",
            get(|State(s): State<Shared>| async move {
                match s.scim.store().status().await {
                    // Not a SCIM resource: plain JSON.
                    Ok(status) => (
                        StatusCode::OK,
                        [(header::CONTENT_TYPE, "application/json")],
                        serde_json::to_value(status).unwrap_or_default().to_string(),
                    )
                        .into_response(),
                    Err(e) => ScimError::from(e).into_response(),
                }
            }),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .merge(protected)
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(|State(s): State<Shared>| async move {
                if !s.accepting.load(Ordering::SeqCst) {
                    return (StatusCode::SERVICE_UNAVAILABLE, "stopping").into_response();
                }
                match s.scim.store().ping().await {
                    Ok(()) => (StatusCode::OK, "ready").into_response(),
                    Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "the store does not answer")
                        .into_response(),
                }
            }),
        )
        .with_state(state)
}

/// A server to start: the config plus what tests (or an embedding program)
/// may give instead of what the config names.
#[derive(Debug)]
pub struct Server {
    config: ScimConfig,
    fleet: Option<Fleet>,
    tokens: Option<Tokens>,
    store: Option<Store>,
    listener: Option<std::net::TcpListener>,
}

/// A running server.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

impl Running {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting requests, lets open requests and the workers' claimed
    /// operations finish, and returns once everything stopped.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
    }

    /// Runs until SIGTERM or Ctrl-C, then shuts down.
    pub async fn until_signal(self) {
        wait_for_signal().await;
        tracing::info!("stopping: no new requests; finishing claimed operations");
        self.shutdown().await;
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn tls_acceptor(config: &ScimConfig) -> Result<Option<tokio_rustls::TlsAcceptor>, ServeError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let (Some(cert), Some(key)) = (&config.server.tls_cert, &config.server.tls_key) else {
        return Ok(None);
    };
    roster_http::install_crypto_provider();
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ServeError::Io(format!("reading the certificate {}: {e}", cert.display())))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| ServeError::Io(format!("reading the key {}: {e}", key.display())))?;
    let tls = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            ServeError::Io(format!("the certificate and key do not work together: {e}"))
        })?;
    Ok(Some(tokio_rustls::TlsAcceptor::from(Arc::new(tls))))
}

impl Server {
    /// A server as `config` describes it.
    pub fn new(config: ScimConfig) -> Server {
        Server {
            config,
            fleet: None,
            tokens: None,
            store: None,
            listener: None,
        }
    }

    /// Delivers to `fleet` instead of the one `[fleet]` describes.
    pub fn with_fleet(mut self, fleet: Fleet) -> Self {
        self.fleet = Some(fleet);
        self
    }

    /// Accepts `tokens` instead of the ones `[auth]` names.
    pub fn with_tokens(mut self, tokens: Tokens) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// Uses an already opened store.
    pub fn with_store(mut self, store: Store) -> Self {
        self.store = Some(store);
        self
    }

    /// Serves on a listener the caller bound.
    pub fn with_listener(mut self, listener: std::net::TcpListener) -> Self {
        self.listener = Some(listener);
        self
    }

    /// Opens the store, connects the fleet, binds, and starts the workers.
    pub async fn start(self) -> Result<Running, ServeError> {
        let config = self.config;
        config.check().map_err(ServeError::Config)?;
        let tokens = match self.tokens {
            Some(t) => t,
            None => Tokens::from_config(&config.auth).map_err(ServeError::Config)?,
        };
        let fleet = match self.fleet {
            Some(f) => f,
            None => config.fleet.connect().map_err(ServeError::Fleet)?,
        };
        let store = match self.store {
            Some(s) => s,
            None => Store::open(&config.store.url)
                .await
                .map_err(ServeError::Store)?,
        };
        if store.dialect() == crate::store::Dialect::Sqlite {
            // One instance owns a SQLite file: what was running when it
            // stopped is taken up again now.
            store
                .release_claims(None)
                .await
                .map_err(ServeError::Store)?;
        }
        let acceptor = tls_acceptor(&config)?;
        let listener = match self.listener {
            Some(l) => {
                l.set_nonblocking(true)
                    .map_err(|e| ServeError::Io(e.to_string()))?;
                TcpListener::from_std(l).map_err(|e| ServeError::Io(e.to_string()))?
            }
            None => TcpListener::bind(config.server.listen)
                .await
                .map_err(|e| ServeError::Io(format!("binding {}: {e}", config.server.listen)))?,
        };
        let addr = listener
            .local_addr()
            .map_err(|e| ServeError::Io(e.to_string()))?;
        let config = Arc::new(config);
        let wake = Arc::new(Notify::new());
        let providers: Vec<String> = fleet.names().map(str::to_owned).collect();
        let settings = WorkerSettings::from_config(&config);
        let delivery = Arc::new(Delivery::new(fleet, config.clone(), store.clone()));
        let workers = Workers::start(delivery, store.clone(), settings.clone(), wake.clone());
        let state = Arc::new(AppState {
            scim: Scim::new(store.clone(), config.clone(), providers, wake),
            tokens,
            max_body: config.server.max_body_bytes,
            tls: acceptor.is_some(),
            accepting: AtomicBool::new(true),
        });
        let app = router(state.clone());
        let (stop, stopped) = watch::channel(false);
        tracing::info!(%addr, tls = acceptor.is_some(), "roster-scim listening");
        let done = tokio::spawn(async move {
            accept_loop(listener, acceptor, app, stopped).await;
            state.accepting.store(false, Ordering::SeqCst);
            workers.shutdown().await;
            if let Err(e) = store.release_claims(Some(&settings.instance)).await {
                tracing::warn!(error = %e, "releasing claims");
            }
            store.close().await;
        });
        Ok(Running { addr, stop, done })
    }
}

async fn accept_loop(
    listener: TcpListener, acceptor: Option<tokio_rustls::TlsAcceptor>, app: Router,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => break,
        };
        let Ok((stream, _peer)) = accepted else {
            continue;
        };
        let app = app.clone();
        let acceptor = acceptor.clone();
        let stopped = stopped.clone();
        connections.spawn(async move {
            match acceptor {
                Some(acceptor) => {
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await
                    {
                        serve_connection(TokioIo::new(tls), app, stopped).await;
                    }
                }
                None => serve_connection(TokioIo::new(stream), app, stopped).await,
            }
        });
    }
    drop(listener);
    // Open requests finish; idle keep-alive connections close.
    let _ = tokio::time::timeout(Duration::from_secs(30), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}

async fn serve_connection<I>(io: I, app: Router, mut stopped: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper_util::service::TowerToHyperService::new(app);
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stopped.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Runs the server `config` describes until SIGTERM or Ctrl-C.
pub async fn serve(config: ScimConfig) -> Result<(), ServeError> {
    Server::new(config).start().await?.until_signal().await;
    Ok(())
}
