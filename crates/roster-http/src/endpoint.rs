//! The part of every adapter's config that is the same: where the API is,
//! the credential, the HTTP settings, the environment variables they come
//! from, a redacted `Debug`, and the connect step.

use std::fmt;
use std::sync::Arc;

use roster_core::{Error, Result};
use secrecy::SecretString;

use crate::auth::{Authenticator, StaticToken};
use crate::classify::DescribeError;
use crate::context::{ClientContext, Connection, GeneratedClient};
use crate::redact::Redacted;
use crate::settings::HttpSettings;

/// A credential an [`Endpoint`] holds, printed without its secret.
pub trait Credential: Clone + Send + Sync {
    /// Writes what may be shown of the credential (its kind, a login name),
    /// never the secret.
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl Credential for SecretString {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&Redacted, f)
    }
}

/// Where an adapter's API is, the credential it sends and the HTTP
/// settings. Each adapter's config holds one and adds only its own fields;
/// [`endpoint_config!`](crate::endpoint_config) gives the config the
/// shared methods.
#[derive(Clone)]
pub struct Endpoint<C> {
    base_url: String,
    credential: C,
    http: HttpSettings,
}

impl<C: Credential> Endpoint<C> {
    /// The API at `base_url`, reached with `credential` and the default
    /// [`HttpSettings`].
    pub fn new(base_url: impl Into<String>, credential: C) -> Self {
        Endpoint {
            base_url: base_url.into(),
            credential,
            http: HttpSettings::default(),
        }
    }

    /// The configured base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The credential.
    pub fn credential(&self) -> &C {
        &self.credential
    }

    /// The HTTP settings.
    pub fn http(&self) -> &HttpSettings {
        &self.http
    }

    /// Replaces the base URL.
    pub fn set_base_url(&mut self, base_url: impl Into<String>) {
        self.base_url = base_url.into();
    }

    /// Replaces the HTTP settings.
    pub fn set_http(&mut self, http: HttpSettings) {
        self.http = http;
    }

    /// Checks the base URL and builds the HTTP client and the context that
    /// authenticates with `auth`: [`ClientContext::connect`] on this
    /// endpoint. Nothing is sent.
    pub fn connect(
        &self, provider: &'static str, auth: Arc<dyn Authenticator>, describe_error: DescribeError,
    ) -> Result<Connection> {
        ClientContext::connect(provider, &self.base_url, &self.http, auth, describe_error)
    }

    /// Writes the endpoint's fields into a config's `Debug`, the credential
    /// redacted, with the config's own `extra` fields between.
    pub fn debug_as(
        &self, f: &mut fmt::Formatter<'_>, name: &str, extra: &[(&str, &dyn fmt::Debug)],
    ) -> fmt::Result {
        let credential = RedactedCredential(&self.credential);
        let mut debug = f.debug_struct(name);
        debug
            .field("base_url", &self.base_url)
            .field("credential", &credential);
        for (field, value) in extra {
            debug.field(field, value);
        }
        debug.field("http", &self.http).finish()
    }
}

impl Endpoint<SecretString> {
    /// [`Endpoint::connect`] with the token sent as
    /// `Authorization: Bearer <token>`. An unusable token is
    /// `InvalidInput`, tagged with `provider`.
    pub fn connect_bearer(
        &self, provider: &'static str, describe_error: DescribeError,
    ) -> Result<Connection> {
        let auth = StaticToken::bearer(&self.credential).map_err(|e| e.with_provider(provider))?;
        self.connect(provider, Arc::new(auth), describe_error)
    }

    /// [`connect_bearer`](Self::connect_bearer), then the generated client
    /// built on that connection, shared, as an adapter's clones all use the
    /// one client.
    pub fn bearer_client<C: GeneratedClient>(
        &self, provider: &'static str, describe_error: DescribeError,
    ) -> Result<Arc<C>> {
        let connection = self.connect_bearer(provider, describe_error)?;
        Ok(Arc::new(connection.into_client(C::new_with_client)))
    }
}

struct RedactedCredential<'a, C>(&'a C);

impl<C: Credential> fmt::Debug for RedactedCredential<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_redacted(f)
    }
}

impl<C: Credential> fmt::Debug for Endpoint<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.debug_as(f, "Endpoint", &[])
    }
}

/// The environment variables an adapter's config is read from: the base
/// URL's and the `N` that must all be set (the credential).
///
/// ```
/// use roster_http::EnvVars;
///
/// const ENV: EnvVars<1> =
///     EnvVars::new("ACME_URL", ["ACME_TOKEN"]).with_default_url("https://api.acme.example");
/// let lookup = |name: &str| (name == "ACME_TOKEN").then(|| "t0ken".to_owned());
/// let (url, [token]) = ENV.read_with(lookup).expect("the token is set");
/// assert_eq!((url.as_str(), token.as_str()), ("https://api.acme.example", "t0ken"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct EnvVars<const N: usize> {
    /// The variable with the base URL.
    pub url: &'static str,
    /// The base URL when [`EnvVars::url`] is unset; `None` makes the URL
    /// required.
    pub default_url: Option<&'static str>,
    /// The variables that must all be set (the credential, in order).
    pub required: [&'static str; N],
}

impl<const N: usize> EnvVars<N> {
    /// The base URL from `url`, which must be set, and the `required`
    /// variables.
    pub const fn new(url: &'static str, required: [&'static str; N]) -> Self {
        EnvVars {
            url,
            default_url: None,
            required,
        }
    }

    /// Makes the URL variable optional: `default_url` is used when it is
    /// unset or blank.
    pub const fn with_default_url(mut self, default_url: &'static str) -> Self {
        self.default_url = Some(default_url);
        self
    }

    /// The base URL and the values of [`EnvVars::required`], in order; `None`
    /// when any required one (or the URL without a default) is unset or
    /// blank, so callers can fall back to an emulator.
    pub fn read(&self) -> Option<(String, [String; N])> {
        self.read_with(env_var)
    }

    /// [`EnvVars::read`] with `lookup` in place of the process environment.
    pub fn read_with(
        &self, lookup: impl Fn(&str) -> Option<String>,
    ) -> Option<(String, [String; N])> {
        let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let url = set(self.url).or_else(|| self.default_url.map(str::to_owned))?;
        let values = self
            .required
            .iter()
            .map(|name| set(name))
            .collect::<Option<Vec<_>>>()?;
        let values = <[String; N]>::try_from(values).expect("one value per required variable");
        Some((url, values))
    }

    /// The error `require_env` answers when [`EnvVars::read`] found nothing:
    /// it names the variables to set.
    pub fn missing(&self) -> Error {
        let mut required: Vec<&str> = self.required.to_vec();
        if self.default_url.is_none() {
            required.insert(0, self.url);
        }
        let names = match required.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        let optional = match self.default_url {
            Some(_) => format!(" (and optionally {})", self.url),
            None => String::new(),
        };
        Error::invalid_input(format!("set {names}{optional} to reach a real server"))
    }
}

/// A variable's value, or `None` when it is unset or blank.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// What an adapter's `from_env` answers: `Option<Config>`, or
/// `Result<Option<Config>>` where a set variable can be invalid.
#[doc(hidden)]
pub trait FromEnvAnswer<T> {
    fn into_result(self) -> Result<Option<T>>;
}

impl<T> FromEnvAnswer<T> for Option<T> {
    fn into_result(self) -> Result<Option<T>> {
        Ok(self)
    }
}

impl<T> FromEnvAnswer<T> for Result<Option<T>> {
    fn into_result(self) -> Result<Option<T>> {
        self
    }
}

#[doc(hidden)]
pub fn require_env<T, const N: usize>(
    answer: impl FromEnvAnswer<T>, vars: &EnvVars<N>,
) -> Result<T> {
    answer.into_result()?.ok_or_else(|| vars.missing())
}

/// Gives an adapter's config, a struct with an `endpoint: Endpoint<_>`
/// field, an associated `from_env`, the shared methods `require_env`,
/// `with_base_url`, `with_http` and `base_url`, and a `Debug` that prints
/// the endpoint (credential redacted) and the named fields of its own.
///
/// `ENV` names the config's [`EnvVars`]; the config writes its own
/// `from_env` (answering `Option<Self>` or `Result<Option<Self>>`), which
/// usually starts from [`EnvVars::read`].
///
/// ```text
/// roster_http::endpoint_config!(IaasConfig, ENV);
/// roster_http::endpoint_config!(AdverityConfig, ENV, datalake_id);
/// ```
#[macro_export]
macro_rules! endpoint_config {
    ($config:ident, $env:expr $(, $field:ident)* $(,)?) => {
        impl $config {
            /// Like `from_env`, but an error names the variables to set.
            pub fn require_env() -> $crate::__private::Result<Self> {
                $crate::__private::require_env($config::from_env(), &$env)
            }

            /// Replaces the base URL, for example with an emulator's.
            pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
                self.endpoint.set_base_url(base_url);
                self
            }

            /// Replaces the HTTP settings (timeouts, user agent, plain-HTTP
            /// opt-in, or your own `reqwest::Client`).
            pub fn with_http(mut self, http: $crate::HttpSettings) -> Self {
                self.endpoint.set_http(http);
                self
            }

            /// The configured base URL.
            pub fn base_url(&self) -> &str {
                self.endpoint.base_url()
            }
        }

        impl ::core::fmt::Debug for $config {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                self.endpoint.debug_as(
                    f,
                    stringify!($config),
                    &[$((stringify!($field), &self.$field as &dyn ::core::fmt::Debug)),*],
                )
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_credential_and_keeps_the_rest() {
        let endpoint = Endpoint::new(
            "https://api.example.com",
            SecretString::from("s3cr3t".to_owned()),
        );
        let debug = format!("{endpoint:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("credential: ******"), "{debug}");
        assert!(debug.contains("https://api.example.com"), "{debug}");
    }

    #[test]
    fn missing_names_what_to_set() {
        let required_url = EnvVars::new("X_URL", ["X_TOKEN"]);
        assert_eq!(
            required_url.missing().message(),
            "set X_URL and X_TOKEN to reach a real server"
        );
        let optional_url = EnvVars::new("Y_URL", ["Y_LOGIN", "Y_PASSWORD", "Y_KEY"])
            .with_default_url("https://y.example");
        assert_eq!(
            optional_url.missing().message(),
            "set Y_LOGIN, Y_PASSWORD and Y_KEY (and optionally Y_URL) to reach a real server"
        );
    }

    #[test]
    fn read_needs_every_required_variable_and_a_url() {
        let vars = EnvVars::new("URL", ["TOKEN"]).with_default_url("https://default.example");
        let with = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        assert!(vars.read_with(with(&[])).is_none());
        assert!(vars.read_with(with(&[("TOKEN", " ")])).is_none());
        assert_eq!(
            vars.read_with(with(&[("TOKEN", "t")])),
            Some(("https://default.example".to_owned(), ["t".to_owned()]))
        );
        let blank_url = vars.read_with(with(&[("TOKEN", "t"), ("URL", " ")]));
        assert_eq!(blank_url.expect("default").0, "https://default.example");
        let set_url = vars.read_with(with(&[("TOKEN", "t"), ("URL", "https://set.example")]));
        assert_eq!(set_url.expect("set").0, "https://set.example");
        let no_default = EnvVars {
            default_url: None,
            ..vars
        };
        assert!(no_default.read_with(with(&[("TOKEN", "t")])).is_none());
    }
}
