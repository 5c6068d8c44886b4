//! # roster-http
//!
//! The HTTP plumbing every Roster adapter shares, written once:
//!
//! - [`HttpSettings`] builds the `reqwest` client (rustls TLS, connect and
//!   request timeouts, a `roster/<version>` user agent, no automatic
//!   redirects) or takes one you inject, and [`BaseUrl`] refuses plain
//!   `http://` to anything but loopback unless you opt in.
//! - [`Authenticator`] and [`StaticToken`] hold credentials in
//!   [`secrecy::SecretString`] and add them to each request through
//!   progenitor's hooks; [`impl_client_hooks!`] wires a generated client to
//!   a [`ClientContext`] in one line.
//! - [`ClientContext::call`] turns every failure into a
//!   [`roster_core::Error`]: status to [`ErrorKind`](roster_core::ErrorKind)
//!   ([`kind_for_status`]), the provider's message (through the adapter's
//!   [`DescribeError`]), request id, [`parse_retry_after`], and a
//!   [`Redactor`]-cleaned body snippet.
//! - [`Endpoint`] is the part of every adapter's config that is the same
//!   (base URL, [`Credential`], HTTP settings, redacted `Debug`, the
//!   connect step), [`EnvVars`] the variables it is read from, and
//!   [`endpoint_config!`] gives an adapter's config `require_env`,
//!   `with_base_url`, `with_http` and `base_url`.
//! - [`KeyedLocks`] serialises read-modify-write updates per user, for
//!   providers whose membership lists are rewritten whole.
//!
//! Adapters are "generated client + mapping + error classification"; this
//! crate is everything else.
#![warn(missing_docs)]

mod auth;
mod classify;
mod context;
mod endpoint;
mod locks;
mod redact;
mod settings;

pub use auth::{Authenticator, StaticToken};
pub use classify::{
    DescribeError, ErrorDetail, ErrorResponse, MAX_ERROR_BODY_BYTES, MAX_MESSAGE_BYTES,
    classify_response, kind_for_status, no_detail, parse_retry_after, request_id,
};
pub use context::{ClientContext, Connection, GeneratedClient};
pub use endpoint::{Credential, Endpoint, EnvVars, env_var};
pub use locks::{KeyedGuard, KeyedLocks};
pub use redact::{REDACTED, Redacted, Redactor};
pub use settings::{BaseUrl, HttpSettings, USER_AGENT};

pub use secrecy::{ExposeSecret, SecretString};

/// Installs rustls' `ring` crypto provider as the process default, once.
///
/// Roster builds reqwest with `rustls-no-provider`, so a `reqwest::Client`
/// needs a process-wide rustls crypto provider. [`HttpSettings`] calls this
/// before it builds a client; call it yourself before building a
/// `reqwest::Client` of your own (for [`HttpSettings::client`]). A provider
/// the application installed first is kept.
pub fn install_crypto_provider() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // An error means another provider is already the default: keep it.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Characters left as they are in a path segment: RFC 3986's unreserved set.
/// Everything else is percent-encoded.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes an identifier as one URL path segment.
///
/// The generated clients call this for every path parameter (`cargo xtask
/// codegen` points them here instead of progenitor's own `encode_path`).
/// progenitor's version leaves `|`, `\`, `^`, `[` and `]` as they are, and
/// a URL parser turns a bare `\` into `/`, so an id like `a\b` would
/// address `/a/b`. This one keeps only RFC 3986's unreserved characters,
/// so an id is always exactly one segment and the server decodes it back
/// to the same text.
///
/// ```
/// assert_eq!(roster_http::encode_path("google-oauth2|42"), "google-oauth2%7C42");
/// assert_eq!(roster_http::encode_path("a/b\\c?d#e%f"), "a%2Fb%5Cc%3Fd%23e%25f");
/// ```
pub fn encode_path(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, PATH_SEGMENT).to_string()
}

/// The path-segment rule, kept here for the adapters' mapping code; it
/// lives in `roster_core` because the checking step every call passes
/// ([`roster_core::Checked`]) applies it before any adapter code runs.
pub use roster_core::path_segment;

/// Parses an id the provider spells in one form, such as a UUID: anything
/// else cannot name anything there, so it is `InvalidInput`, for the
/// adapter to refuse before a request is sent. `what` names the ids and
/// `form` their form in the message.
///
/// ```
/// let id: u32 = roster_http::parse_id("Acme user", "numbers", "42")?;
/// assert_eq!(id, 42);
/// let err = roster_http::parse_id::<u32>("Acme user", "numbers", "alice").unwrap_err();
/// assert_eq!(err.message(), r#"Acme user ids are numbers; "alice" is not one"#);
/// # Ok::<(), roster_core::Error>(())
/// ```
pub fn parse_id<T: std::str::FromStr>(what: &str, form: &str, id: &str) -> roster_core::Result<T> {
    id.parse().map_err(|_| {
        roster_core::Error::invalid_input(format!("{what} ids are {form}; {id:?} is not one"))
    })
}

/// Implements progenitor's `ClientHooks` (and [`GeneratedClient`]) for a
/// generated client whose inner type is [`ClientContext`]: the `pre` hook
/// authenticates, the `exec` hook sends and logs.
///
/// It must be invoked in the crate that holds the generated code (Rust's
/// orphan rule), which is why it is a macro rather than a blanket impl.
///
/// ```text
/// roster_http::impl_client_hooks!(crate::generated::Client);
/// ```
#[macro_export]
macro_rules! impl_client_hooks {
    ($client:ty) => {
        impl $crate::__private::progenitor_client::ClientHooks<$crate::ClientContext> for $client {
            async fn pre<E>(
                &self,
                request: &mut $crate::__private::reqwest::Request,
                info: &$crate::__private::progenitor_client::OperationInfo,
            ) -> ::core::result::Result<(), $crate::__private::progenitor_client::Error<E>> {
                <Self as $crate::__private::progenitor_client::ClientInfo<$crate::ClientContext>>::inner(self)
                    .before_send(request, info)
                    .await
            }

            async fn exec(
                &self,
                request: $crate::__private::reqwest::Request,
                info: &$crate::__private::progenitor_client::OperationInfo,
            ) -> $crate::__private::reqwest::Result<$crate::__private::reqwest::Response> {
                let client =
                    <Self as $crate::__private::progenitor_client::ClientInfo<$crate::ClientContext>>::client(self);
                <Self as $crate::__private::progenitor_client::ClientInfo<$crate::ClientContext>>::inner(self)
                    .send(client, request, info)
                    .await
            }
        }

        impl $crate::GeneratedClient for $client {
            fn new_with_client(
                base_url: &str,
                client: $crate::__private::reqwest::Client,
                context: $crate::ClientContext,
            ) -> Self {
                // The generated inherent function, which takes precedence.
                <$client>::new_with_client(base_url, client, context)
            }
        }
    };
}

#[doc(hidden)]
pub mod __private {
    pub use crate::endpoint::require_env;
    pub use progenitor_client;
    pub use reqwest;
    pub use roster_core::Result;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_path_keeps_only_unreserved_characters() {
        let cases = [
            ("plain-id_1.2~3", "plain-id_1.2~3"),
            ("a/b", "a%2Fb"),
            ("a\\b", "a%5Cb"),
            ("x?y#z", "x%3Fy%23z"),
            ("100%", "100%25"),
            ("%2F", "%252F"),
            (
                "google-oauth2|277474792786460067937",
                "google-oauth2%7C277474792786460067937",
            ),
            ("with space", "with%20space"),
            ("a+b@x.io", "a%2Bb%40x.io"),
            ("zürich", "z%C3%BCrich"),
            ("[^]", "%5B%5E%5D"),
        ];
        for (raw, encoded) in cases {
            assert_eq!(encode_path(raw), encoded, "{raw:?}");
            let decoded = percent_encoding::percent_decode_str(encoded)
                .decode_utf8()
                .expect("utf8");
            assert_eq!(decoded, raw, "round trip");
        }
    }
}
