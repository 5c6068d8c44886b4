//! Wire types written by hand instead of generated, so secrets stay in
//! [`SecretString`]s until the moment they are serialized.

use std::fmt;

use roster_http::{ExposeSecret, Redacted, SecretString};
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// The `POST /login/` body. It replaces the generated `LoginRequest` (see
/// `xtask/src/providers.rs`): a generated struct would hold the password and
/// API key as plain `String`s with a derived `Debug`.
#[derive(Clone)]
pub(crate) struct LoginRequest {
    pub(crate) login_id: String,
    pub(crate) password: SecretString,
    pub(crate) api_key: SecretString,
    /// Asks for a token in the body instead of a cookie; the docs list it
    /// under both "Body" and "Path", so it is also sent as a query parameter.
    pub(crate) no_cookies: bool,
}

impl Serialize for LoginRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = if self.no_cookies { 4 } else { 3 };
        let mut body = serializer.serialize_struct("LoginRequest", fields)?;
        body.serialize_field("login_id", &self.login_id)?;
        body.serialize_field("password", self.password.expose_secret())?;
        body.serialize_field("api_key", self.api_key.expose_secret())?;
        if self.no_cookies {
            body.serialize_field("no_cookies", &true)?;
        }
        body.end()
    }
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("login_id", &self.login_id)
            .field("password", &Redacted)
            .field("api_key", &Redacted)
            .field("no_cookies", &self.no_cookies)
            .finish()
    }
}

/// One `param_list` entry of `/user_update`: the JSON text
/// `{"field":"<field>","value":"<value>"}`, fields in that order.
#[derive(serde::Serialize)]
pub(crate) struct UpdateParam<'a> {
    pub(crate) field: &'a str,
    pub(crate) value: &'a str,
}

impl UpdateParam<'_> {
    /// The exact JSON text sent as one `param_list` value.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("two strings always serialize")
    }
}
