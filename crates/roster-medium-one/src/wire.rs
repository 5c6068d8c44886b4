//! Wire types written by hand instead of generated: the login body, so
//! secrets stay in [`SecretString`]s until the moment they are serialized,
//! the `param_list` entries of `/user_update`, and the two-shaped user list.

use std::fmt;

use roster_core::{Envelope, ListBody, Raw, RawItems};
use roster_http::{ExposeSecret, Redacted, SecretString};
use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::generated::types;

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

/// A user list in either shape the docs show: `{"user_list": [...]}` (the
/// text, and the `/user_list_in_tenant` sample) or a bare array (the
/// `/user_list` sample). It replaces the generated untagged enum (see
/// `xtask/src/providers.rs`): an untagged enum buffers the body, and
/// [`Raw`] cannot keep its bytes from a buffer. [`ListBody`] reads the
/// first token instead and decodes the items straight from the body, each
/// with its JSON as it arrived. Other keys of the envelope are ignored.
///
/// An item that cannot be decoded (one without `user_id`, say) fails the
/// list with a message naming its position.
#[derive(Debug, Clone)]
pub(crate) struct UserList(pub(crate) Vec<Raw<types::UserEntryFields>>);

impl<'de> Deserialize<'de> for UserList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let list = ListBody::<RawItems<types::UserEntryFields>, WrappedUserList>::deserialize(
            deserializer,
        )?;
        Ok(UserList(list.items.0))
    }
}

/// The `{"user_list": [...]}` form of a [`UserList`].
#[derive(Default)]
struct WrappedUserList;

impl Envelope for WrappedUserList {
    const ITEMS_KEY: &'static str = "user_list";
    const EXPECTING: &'static str = r#"a user list: an array of users or {"user_list": [...]}"#;
}

/// The `/tenant_list` answer: an array of tenants, each with its JSON as it
/// arrived. It replaces the generated `Vec` so that an item that cannot be
/// decoded (one without `tenant_id`) is named by its position.
#[derive(Debug, Clone)]
pub(crate) struct TenantList(pub(crate) Vec<Raw<types::TenantEntryFields>>);

impl<'de> Deserialize<'de> for TenantList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawItems::deserialize(deserializer).map(|items| TenantList(items.0))
    }
}
