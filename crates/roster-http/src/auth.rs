//! How requests are authenticated.

use std::fmt;

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use roster_core::{Error, Result};
use secrecy::{ExposeSecret, SecretString};

use crate::redact::Redacted;

/// Adds credentials to an outgoing request. Called by the progenitor `pre`
/// hook for every request an adapter sends.
///
/// Implementations keep their secrets in [`SecretString`]s and must not
/// print them in `Debug`.
#[async_trait]
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// Adds credentials to `request`.
    async fn authorize(&self, request: &mut reqwest::Request) -> Result<()>;

    /// The `Authorization` value this authenticator sends on every request,
    /// when it is fixed and all it adds. The `pre` hook then sets it without
    /// calling [`authorize`](Authenticator::authorize), which saves a boxed
    /// future per request. `None` (the default) means: call `authorize`.
    fn fixed_authorization(&self) -> Option<&HeaderValue> {
        None
    }

    /// The secrets this authenticator sends, so that they are masked
    /// wherever text from a response could echo them.
    fn secrets(&self) -> Vec<SecretString>;
}

/// A fixed token sent as `Authorization: <scheme> <token>`, for example
/// `Bearer` (JWTs, API keys) or `Token` (NetBird personal access tokens).
///
/// The header value is marked sensitive, so `reqwest` and `http` never print
/// it either.
#[derive(Clone)]
pub struct StaticToken {
    scheme: &'static str,
    token: SecretString,
    header: HeaderValue,
}

impl StaticToken {
    /// `Authorization: Bearer <token>`.
    pub fn bearer(token: &SecretString) -> Result<Self> {
        Self::with_scheme("Bearer", token)
    }

    /// `Authorization: <scheme> <token>`.
    ///
    /// The token must not be empty and must be something that can go in an
    /// HTTP header; the error never repeats it.
    pub fn with_scheme(scheme: &'static str, token: &SecretString) -> Result<Self> {
        let raw = token.expose_secret();
        if raw.trim().is_empty() {
            return Err(Error::invalid_input("the API token is empty"));
        }
        if raw.trim() != raw {
            return Err(Error::invalid_input(
                "the API token has leading or trailing whitespace; was it read with a newline?",
            ));
        }
        let mut header = HeaderValue::from_str(&format!("{scheme} {raw}")).map_err(|_| {
            Error::invalid_input(
                "the API token contains characters that cannot be sent in a header",
            )
        })?;
        header.set_sensitive(true);
        Ok(StaticToken {
            scheme,
            token: token.clone(),
            header,
        })
    }
}

#[async_trait]
impl Authenticator for StaticToken {
    async fn authorize(&self, request: &mut reqwest::Request) -> Result<()> {
        request
            .headers_mut()
            .insert(AUTHORIZATION, self.header.clone());
        Ok(())
    }

    fn fixed_authorization(&self) -> Option<&HeaderValue> {
        Some(&self.header)
    }

    fn secrets(&self) -> Vec<SecretString> {
        vec![self.token.clone()]
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticToken")
            .field("scheme", &self.scheme)
            .field("token", &Redacted)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_core::ErrorKind;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[tokio::test]
    async fn sets_a_sensitive_authorization_header() {
        let auth = StaticToken::bearer(&secret("abc.def.ghi")).expect("token");
        let mut request = reqwest::Request::new(
            reqwest::Method::GET,
            "http://127.0.0.1/".parse().expect("url"),
        );
        auth.authorize(&mut request).await.expect("authorize");
        let header = request.headers().get(AUTHORIZATION).expect("header");
        assert_eq!(header.to_str().expect("ascii"), "Bearer abc.def.ghi");
        assert!(header.is_sensitive());
        assert!(!format!("{:?}", request.headers()).contains("abc.def"));
        let fixed = auth.fixed_authorization().expect("a fixed header");
        assert_eq!(fixed, header);
        assert!(fixed.is_sensitive());
    }

    #[test]
    fn rejects_empty_padded_and_unsendable_tokens_without_echoing_them() {
        for bad in ["", "   ", "zqx9\n", " zqx9", "zq\u{0}x9", "zqö\u{7f}"] {
            let err = StaticToken::with_scheme("Token", &secret(bad)).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            if bad.trim().len() > 2 {
                assert!(!err.to_string().contains(bad.trim()), "{err}");
            }
        }
    }

    #[test]
    fn debug_is_redacted() {
        let auth = StaticToken::with_scheme("Token", &secret("nbp_secretvalue")).expect("token");
        let debug = format!("{auth:?}");
        assert_eq!(debug, r#"StaticToken { scheme: "Token", token: ****** }"#);
    }
}
