//! How to reach a NetBird management API, and with which credential.

use std::fmt;

use roster_http::{Credential, Endpoint, EnvVars, ExposeSecret, Redacted, SecretString};

/// Environment variable with the management API's base URL (optional;
/// [`DEFAULT_BASE_URL`] when unset).
pub const URL_ENV: &str = "ROSTER_NETBIRD_URL";
/// Environment variable with the token: a personal access token or an OAuth
/// JWT (see [`NetbirdConfig::from_env`] for how the two are told apart).
pub const TOKEN_ENV: &str = "ROSTER_NETBIRD_TOKEN";
/// NetBird Cloud's management API.
pub const DEFAULT_BASE_URL: &str = "https://api.netbird.io";

/// The credential NetBird accepts, and the `Authorization` scheme it goes
/// out with.
#[derive(Clone)]
pub enum NetbirdCredential {
    /// A personal access token (`nbp_...`), created for a user or service
    /// user in the dashboard; sent as `Authorization: Token <PAT>`.
    PersonalAccessToken(SecretString),
    /// An OAuth access token (a JWT) from the IdP NetBird is set up with;
    /// sent as `Authorization: Bearer <JWT>`.
    OAuthToken(SecretString),
}

impl NetbirdCredential {
    /// The `Authorization` scheme: `Token` or `Bearer`.
    pub fn scheme(&self) -> &'static str {
        match self {
            NetbirdCredential::PersonalAccessToken(_) => "Token",
            NetbirdCredential::OAuthToken(_) => "Bearer",
        }
    }

    pub(crate) fn secret(&self) -> &SecretString {
        match self {
            NetbirdCredential::PersonalAccessToken(token)
            | NetbirdCredential::OAuthToken(token) => token,
        }
    }
}

impl Credential for NetbirdCredential {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl fmt::Debug for NetbirdCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            NetbirdCredential::PersonalAccessToken(_) => "PersonalAccessToken",
            NetbirdCredential::OAuthToken(_) => "OAuthToken",
        };
        f.debug_tuple(name).field(&Redacted).finish()
    }
}

/// Connection settings for [`NetbirdClient`](crate::NetbirdClient).
///
/// The base URL is the server root (paths start with `/api`), so NetBird
/// Cloud is `https://api.netbird.io` and a self-hosted server is
/// `https://netbird.example.com`. The credential is never printed.
///
/// ```
/// use roster_netbird::NetbirdConfig;
/// use roster_http::SecretString;
///
/// let cloud = NetbirdConfig::personal_access_token(SecretString::from("nbp_F3f0d...".to_owned()));
/// assert_eq!(cloud.base_url(), "https://api.netbird.io");
/// assert!(!format!("{cloud:?}").contains("nbp_"));
///
/// let self_hosted = NetbirdConfig::oauth_token(SecretString::from("eyJhbGciOi...".to_owned()))
///     .with_base_url("https://netbird.example.com");
/// assert_eq!(self_hosted.credential().scheme(), "Bearer");
/// ```
#[derive(Clone)]
pub struct NetbirdConfig {
    pub(crate) endpoint: Endpoint<NetbirdCredential>,
}

/// Where [`NetbirdConfig::from_env`] reads from.
const ENV: EnvVars<1> = EnvVars::new(URL_ENV, [TOKEN_ENV]).with_default_url(DEFAULT_BASE_URL);

impl NetbirdConfig {
    /// Settings for the server at `base_url`, authenticated with `credential`.
    pub fn new(base_url: impl Into<String>, credential: NetbirdCredential) -> Self {
        NetbirdConfig {
            endpoint: Endpoint::new(base_url, credential),
        }
    }

    /// NetBird Cloud with a personal access token (`Authorization: Token`).
    pub fn personal_access_token(token: SecretString) -> Self {
        Self::new(
            DEFAULT_BASE_URL,
            NetbirdCredential::PersonalAccessToken(token),
        )
    }

    /// NetBird Cloud with an OAuth JWT (`Authorization: Bearer`).
    pub fn oauth_token(token: SecretString) -> Self {
        Self::new(DEFAULT_BASE_URL, NetbirdCredential::OAuthToken(token))
    }

    /// Reads `ROSTER_NETBIRD_TOKEN` and, if set, `ROSTER_NETBIRD_URL`.
    /// Answers `None` when the token is unset, so callers can fall back to
    /// an emulator.
    ///
    /// A token shaped like a JWT (three dot-separated parts starting with
    /// `eyJ`) is sent as an OAuth `Bearer` token; anything else, such as
    /// NetBird's `nbp_...` personal access tokens, as `Token`. Build the
    /// config with [`NetbirdConfig::new`] to choose explicitly.
    pub fn from_env() -> Option<Self> {
        let (url, [token]) = ENV.read()?;
        Some(NetbirdConfig::new(
            url,
            credential_for(SecretString::from(token)),
        ))
    }

    /// The configured credential.
    pub fn credential(&self) -> &NetbirdCredential {
        self.endpoint.credential()
    }
}

roster_http::endpoint_config!(NetbirdConfig, ENV);

/// A JWT is `header.payload.signature`, and every JWT header is a JSON
/// object, whose base64url form starts with `eyJ`.
fn credential_for(token: SecretString) -> NetbirdCredential {
    let raw = token.expose_secret();
    let looks_like_jwt =
        raw.starts_with("eyJ") && raw.split('.').count() == 3 && !raw.split('.').any(str::is_empty);
    if looks_like_jwt {
        NetbirdCredential::OAuthToken(token)
    } else {
        NetbirdCredential::PersonalAccessToken(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_shaped_tokens_are_bearer_everything_else_is_token() {
        let scheme = |raw: &str| credential_for(SecretString::from(raw.to_owned())).scheme();
        assert_eq!(
            scheme("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"),
            "Bearer"
        );
        assert_eq!(
            scheme("nbp_F3f0dAbCdEfGhIjKlMnOpQrStUvWxYz0123456"),
            "Token"
        );
        assert_eq!(scheme("eyJ.only-two"), "Token");
        assert_eq!(scheme("eyJa..c"), "Token");
        assert_eq!(scheme("abc.def.ghi"), "Token");
    }

    #[test]
    fn debug_names_the_kind_but_not_the_token() {
        let config =
            NetbirdConfig::personal_access_token(SecretString::from("nbp_topsecret".to_owned()));
        let debug = format!("{config:?}");
        assert!(debug.contains("PersonalAccessToken(******)"), "{debug}");
        assert!(!debug.contains("topsecret"), "{debug}");
    }
}
