//! Connection settings shared by every adapter, and the base-URL policy.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use roster_core::{Error, Result};
use url::{Host, Url};

/// The `User-Agent` Roster sends: `roster/<version>`.
pub const USER_AGENT: &str = concat!("roster/", env!("CARGO_PKG_VERSION"));

/// How an adapter connects: timeouts, user agent, the plain-HTTP opt-in, or
/// a `reqwest::Client` of your own.
///
/// ```
/// use std::time::Duration;
/// use roster_http::HttpSettings;
///
/// let settings = HttpSettings::new()
///     .connect_timeout(Duration::from_secs(5))
///     .request_timeout(Duration::from_secs(20));
/// assert_eq!(settings.request_timeout_value(), Duration::from_secs(20));
/// ```
#[derive(Clone)]
pub struct HttpSettings {
    connect_timeout: Duration,
    request_timeout: Duration,
    user_agent: String,
    allow_insecure_http: bool,
    client: Option<reqwest::Client>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            user_agent: USER_AGENT.to_owned(),
            allow_insecure_http: false,
            client: None,
        }
    }
}

impl HttpSettings {
    /// Defaults: 10 s to connect, 30 s per request, `roster/<version>`,
    /// HTTPS required except on loopback.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long to wait for a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one request may take, from sending to the end of the body.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The configured per-request timeout.
    pub fn request_timeout_value(&self) -> Duration {
        self.request_timeout
    }

    /// The per-request timeout the client [`build_client`](HttpSettings::build_client)
    /// returns enforces: the configured one when Roster builds the client,
    /// `None` for an injected client (its own limits apply, and Roster
    /// cannot read them).
    pub fn enforced_request_timeout(&self) -> Option<Duration> {
        self.client.is_none().then_some(self.request_timeout)
    }

    /// Replaces the `User-Agent`. Roster's own product token is kept in
    /// front, so providers can still tell which library called them.
    pub fn user_agent(mut self, product: impl fmt::Display) -> Self {
        self.user_agent = format!("{USER_AGENT} {product}");
        self
    }

    /// Allows a plain `http://` base URL to a host that is not loopback.
    /// Tokens then cross the network unencrypted; only do this on a network
    /// you trust.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Uses this client instead of building one, for example to share a
    /// connection pool between adapters or to add a proxy. Its own timeouts
    /// and user agent then apply.
    ///
    /// Roster's reqwest uses rustls with the `ring` provider installed at
    /// run time: call [`install_crypto_provider`](crate::install_crypto_provider)
    /// before building a `reqwest::Client` yourself, or reqwest panics.
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The `reqwest::Client` to send with: the injected one, or a new one
    /// with rustls TLS, these timeouts, this user agent, and no automatic
    /// redirects (a redirected `POST` could silently become a `GET`, and a
    /// redirect to another host is a place credentials could leak to).
    pub fn build_client(&self) -> Result<reqwest::Client> {
        if let Some(client) = &self.client {
            return Ok(client.clone());
        }
        crate::install_crypto_provider();
        reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .user_agent(&self.user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| {
                Error::new(
                    roster_core::ErrorKind::Unexpected,
                    "could not build the HTTP client",
                )
                .with_source(err.without_url())
            })
    }

    /// Parses and checks a base URL under these settings (see [`BaseUrl`]).
    pub fn base_url(&self, url: &str) -> Result<BaseUrl> {
        BaseUrl::parse(url, self.allow_insecure_http)
    }
}

impl fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSettings")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("user_agent", &self.user_agent)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("custom_client", &self.client.is_some())
            .finish()
    }
}

/// A checked base URL, without a trailing slash.
///
/// - The scheme is `https`, or `http` to a loopback host (`localhost`,
///   `127.0.0.0/8`, `::1`), or `http` anywhere when the caller opted in.
/// - It has no user name or password (they would end up in logs) and no
///   query or fragment (paths are appended to it).
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Parses `url` and applies the rules above.
    pub fn parse(url: &str, allow_insecure_http: bool) -> Result<Self> {
        let parsed = Url::parse(url)
            .map_err(|err| Error::invalid_input(format!("base URL is not a valid URL: {err}")))?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(Error::invalid_input(
                "base URL must not carry a user name or password; pass credentials in the config",
            ));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(Error::invalid_input(
                "base URL must not have a query or fragment",
            ));
        }
        match parsed.scheme() {
            "https" => {}
            "http" if allow_insecure_http || is_loopback(&parsed) => {}
            "http" => {
                return Err(Error::invalid_input(format!(
                    "refusing plain http:// to {}: credentials would cross the network \
                     unencrypted. Use https://, or opt in with \
                     HttpSettings::allow_insecure_http(true)",
                    parsed.host_str().unwrap_or("?")
                )));
            }
            other => {
                return Err(Error::invalid_input(format!(
                    "base URL scheme must be https or http, not {other}"
                )));
            }
        }
        Ok(BaseUrl(parsed.as_str().trim_end_matches('/').to_owned()))
    }

    /// The URL as text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({:?})", self.0)
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => {
            let domain = domain.to_ascii_lowercase();
            domain == "localhost" || domain.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_core::ErrorKind;

    #[test]
    fn https_is_accepted_and_trailing_slash_dropped() {
        let url = BaseUrl::parse("https://console.example.com/api/", false).expect("https");
        assert_eq!(url.as_str(), "https://console.example.com/api");
    }

    #[test]
    fn plain_http_only_to_loopback_unless_opted_in() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3/api",
            "http://localhost:3000/api",
            "http://[::1]:9000",
        ] {
            assert!(BaseUrl::parse(ok, false).is_ok(), "{ok}");
        }
        for refused in [
            "http://api.example.com",
            "http://10.0.0.5/api",
            "http://[::2]/",
        ] {
            let err = BaseUrl::parse(refused, false).expect_err(refused);
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.message().contains("allow_insecure_http"), "{err}");
            assert!(BaseUrl::parse(refused, true).is_ok(), "opt-in {refused}");
        }
    }

    #[test]
    fn credentials_query_fragment_and_odd_schemes_are_refused() {
        for bad in [
            "https://user:pass@example.com",
            "https://token@example.com",
            "https://example.com/api?token=x",
            "https://example.com/api#frag",
            "ftp://example.com",
            "not a url",
        ] {
            let err = BaseUrl::parse(bad, true).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
            assert!(!err.to_string().contains("pass@"), "{err}");
        }
    }

    #[tokio::test]
    async fn the_built_client_speaks_tls() {
        // A plain TCP listener that hangs up: a client without a TLS backend
        // refuses https:// as a builder error before connecting; ours starts
        // a TLS handshake and fails it as a connection error.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(4) {
                drop(stream);
            }
        });
        let client = HttpSettings::new().build_client().expect("client");
        let err = client
            .get(format!("https://127.0.0.1:{port}/"))
            .send()
            .await
            .expect_err("no TLS server there");
        assert!(!err.is_builder(), "https is not supported: {err}");
        assert!(err.is_connect(), "expected a failed TLS handshake: {err:?}");
    }

    #[test]
    fn settings_debug_and_user_agent() {
        let settings = HttpSettings::new().user_agent("my-app/1.2");
        let debug = format!("{settings:?}");
        assert!(debug.contains("roster/"), "{debug}");
        assert!(debug.contains("my-app/1.2"), "{debug}");
        assert!(settings.build_client().is_ok());
    }
}
