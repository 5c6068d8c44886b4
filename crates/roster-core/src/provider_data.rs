//! What a provider sent, kept as it arrived, and the provider-specific fields
//! a caller may send.
//!
//! - [`ProviderData`]: the provider's own JSON object behind a neutral
//!   record (compare Merge's `remote_data`). Nothing the provider sent is
//!   lost on the way to the caller, and nothing is re-serialised to keep it.
//! - [`Raw`]: a decoded value together with the JSON it was decoded from.
//!   Generated clients decode list items into it, so the adapter gets both
//!   the typed fields and the bytes at the cost of one extra scan.
//! - [`ProviderFields`]: a validated key/value map of the provider-specific
//!   fields a create or update accepts (a phone number, Adverity groups…).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::error::{Error, ErrorKind, Result};

/// The provider's own JSON object behind a neutral record, exactly as it
/// arrived.
///
/// Read it with [`get`](ProviderData::get) (the JSON text),
/// [`parse`](ProviderData::parse) (into a type of yours) or
/// [`field`](ProviderData::field) (one top-level key).
///
/// Its `Debug` shows only the size: provider objects are the caller's data,
/// and a log line that prints a record should not dump them. Serializing
/// embeds the object as it arrived.
#[derive(Clone)]
pub struct ProviderData(Box<RawValue>);

impl ProviderData {
    /// Wraps JSON text; fails with [`ErrorKind::Decode`] when it is not JSON.
    pub fn from_json(text: impl Into<String>) -> Result<Self> {
        RawValue::from_string(text.into())
            .map(ProviderData)
            .map_err(|err| Error::new(ErrorKind::Decode, format!("not a JSON value: {err}")))
    }

    /// Wraps JSON that is already known to be well formed.
    pub fn from_raw(raw: Box<RawValue>) -> Self {
        ProviderData(raw)
    }

    /// Wraps a JSON value the caller built (tests, emulators).
    pub fn from_value(value: &serde_json::Value) -> Self {
        ProviderData(
            serde_json::value::to_raw_value(value).expect("a serde_json::Value always serializes"),
        )
    }

    /// The JSON text, byte for byte as the provider sent it.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Decodes the object into `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(self.0.get()).map_err(|err| {
            Error::new(
                ErrorKind::Decode,
                format!("provider data does not fit: {err}"),
            )
        })
    }

    /// The value of one top-level key, when the object has it.
    pub fn field(&self, key: &str) -> Option<serde_json::Value> {
        let object: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(self.0.get()).ok()?;
        object.get(key).cloned()
    }

    /// The object as a `serde_json::Value`.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.0.get()).unwrap_or(serde_json::Value::Null)
    }
}

impl PartialEq for ProviderData {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for ProviderData {}

impl fmt::Debug for ProviderData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProviderData({} bytes)", self.get().len())
    }
}

impl Serialize for ProviderData {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ProviderData {
    /// Any self-describing format works (a saved report in TOML, say), so
    /// this goes through `serde_json::Value`; adapters decode with [`Raw`],
    /// which keeps the bytes instead.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(ProviderData::from_value(&value))
    }
}

/// A value decoded from JSON, with the JSON it came from.
///
/// It derefs to the value. Decoding scans the bytes once to keep them and
/// once more to fill the value; it needs `serde_json`'s own deserializer
/// (as every HTTP response body uses), not a `serde_json::Value`.
#[derive(Clone)]
pub struct Raw<T> {
    value: T,
    data: ProviderData,
}

impl<T> Raw<T> {
    /// A value and the JSON it was decoded from.
    pub fn from_parts(value: T, data: ProviderData) -> Self {
        Raw { value, data }
    }

    /// The decoded value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The JSON it was decoded from.
    pub fn data(&self) -> &ProviderData {
        &self.data
    }

    /// Both halves.
    pub fn into_parts(self) -> (T, ProviderData) {
        (self.value, self.data)
    }
}

impl<T: Serialize> Raw<T> {
    /// Builds one from a value, serializing it (tests and emulators).
    pub fn from_value(value: T) -> Self {
        let json = serde_json::to_value(&value).unwrap_or(serde_json::Value::Null);
        Raw {
            value,
            data: ProviderData::from_value(&json),
        }
    }
}

impl<T> std::ops::Deref for Raw<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> fmt::Debug for Raw<T> {
    /// Only the size, like [`ProviderData`]: a decoded answer may hold a
    /// one-time secret (NetBird's generated password), and a log line that
    /// prints a wire value must not show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Raw({} bytes)", self.data.get().len())
    }
}

impl<T: PartialEq> PartialEq for Raw<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T> Serialize for Raw<T> {
    /// The JSON as it arrived.
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.data.serialize(serializer)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Raw<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let value = serde_json::from_str(raw.get()).map_err(D::Error::custom)?;
        Ok(Raw {
            value,
            data: ProviderData(raw),
        })
    }
}

/// Maps every item of a list the provider sent, naming the position of the
/// first item that cannot be mapped (`item 3: …`).
///
/// It takes the items by reference (a slice) or by value (a `Vec`): a
/// mapping that consumes each item moves its strings and provider data
/// into the neutral record instead of copying them.
///
/// Only an item without a usable id should fail: a mapping meets unknown
/// statuses and roles with their `Other` variants and raw strings, and
/// missing optional fields with `None`.
pub fn map_items<I: IntoIterator, U>(
    items: I, mut map: impl FnMut(I::Item) -> Result<U>,
) -> Result<Vec<U>> {
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            map(item).map_err(|err| err.with_context(format!("item {index} of the list")))
        })
        .collect()
}

/// Provider-specific fields for a create or an update: a validated map from
/// a field name (`phone`, `groups`…) to a JSON value.
///
/// Keys are lower-case ASCII letters, digits and `_`. Each adapter lists the
/// keys it accepts ([`Provider::user_fields`](crate::Provider::user_fields))
/// and answers [`ErrorKind::InvalidInput`] for any other key, or a value of
/// the wrong type, before sending anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProviderFields(BTreeMap<String, serde_json::Value>);

impl ProviderFields {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`; a key with other characters than `a-z`, `0-9`
    /// and `_` is `InvalidInput`.
    pub fn set(&mut self, key: &str, value: impl Into<serde_json::Value>) -> Result<()> {
        let well_formed = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !well_formed {
            return Err(Error::invalid_input(format!(
                "field name {key:?} must be lower-case letters, digits and '_'"
            )));
        }
        self.0.insert(key.to_owned(), value.into());
        Ok(())
    }

    /// The value of `key`, when set.
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.0.get(key)
    }

    /// Every field, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &serde_json::Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Refuses any key not in `accepted`, naming the accepted ones.
    pub fn check(&self, accepted: &[&str]) -> Result<()> {
        match self.0.keys().find(|key| !accepted.contains(&key.as_str())) {
            None => Ok(()),
            Some(key) if accepted.is_empty() => Err(Error::invalid_input(format!(
                "this provider accepts no provider-specific fields, got {key:?}"
            ))),
            Some(key) => Err(Error::invalid_input(format!(
                "unknown field {key:?}; this provider accepts: {}",
                accepted.join(", ")
            ))),
        }
    }

    /// The string value of `key`: `None` when unset, `InvalidInput` when it
    /// is set to anything but a string.
    pub fn string(&self, key: &str) -> Result<Option<&str>> {
        match self.0.get(key) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(Error::invalid_input(format!(
                "field {key:?} must be a string, got {other}"
            ))),
        }
    }

    /// The boolean value of `key`: `None` when unset, `InvalidInput` for
    /// anything but a boolean.
    pub fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.0.get(key) {
            None => Ok(None),
            Some(serde_json::Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(Error::invalid_input(format!(
                "field {key:?} must be true or false, got {other}"
            ))),
        }
    }

    /// The value of `key` decoded into `T`: `None` when unset,
    /// `InvalidInput` when it does not fit.
    pub fn decode<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.0
            .get(key)
            .map(|value| {
                T::deserialize(value).map_err(|err| {
                    Error::invalid_input(format!("field {key:?} has the wrong shape: {err}"))
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
    struct Item {
        id: String,
    }

    #[test]
    fn raw_keeps_the_bytes_and_the_value() {
        let text = r#"[{"id":"a", "extra": [1, 2]},{"id":"b"}]"#;
        let items: Vec<Raw<Item>> = serde_json::from_str(text).expect("decode");
        assert_eq!(items[0].id, "a");
        assert_eq!(items[0].data().get(), r#"{"id":"a", "extra": [1, 2]}"#);
        assert_eq!(
            items[0].data().field("extra"),
            Some(serde_json::json!([1, 2]))
        );
        assert_eq!(
            serde_json::to_string(&items[1]).expect("ser"),
            r#"{"id":"b"}"#
        );
        assert_eq!(format!("{:?}", items[1].data()), "ProviderData(10 bytes)");
        assert_eq!(
            format!("{:?}", items[1]),
            "Raw(10 bytes)",
            "no field is printed"
        );
        let bad = serde_json::from_str::<Vec<Raw<Item>>>(r#"[{"nope":1}]"#);
        assert!(bad.is_err());
    }

    #[test]
    fn provider_data_round_trips_through_other_formats() {
        let data = ProviderData::from_json(r#"{"a":1}"#).expect("json");
        let json = serde_json::to_string(&data).expect("ser");
        let back: ProviderData = serde_json::from_str(&json).expect("de");
        assert_eq!(back.to_value(), serde_json::json!({"a": 1}));
        assert!(ProviderData::from_json("{nope").is_err());
    }

    #[test]
    fn map_items_names_the_position() {
        let err = map_items(&[1, 2, 3], |n| {
            if *n == 3 {
                Err(Error::new(ErrorKind::Decode, "no id"))
            } else {
                Ok(*n)
            }
        })
        .expect_err("third fails");
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert_eq!(err.message(), "item 2 of the list: no id");
        let tagged = map_items(&[1], |_| -> Result<()> {
            Err(Error::new(ErrorKind::Decode, "bad")
                .with_body_snippet("{\"id\":\"\"}")
                .with_status(200))
        })
        .expect_err("fails");
        assert_eq!(
            tagged.body_snippet(),
            Some("{\"id\":\"\"}"),
            "the snippet is kept"
        );
        assert_eq!(tagged.status(), Some(200));
    }

    #[test]
    fn fields_are_validated() {
        let mut fields = ProviderFields::new();
        fields.set("phone", "+1 555").expect("ok");
        fields.set("groups", serde_json::json!([1, 2])).expect("ok");
        assert!(fields.set("Phone", "x").is_err());
        assert!(fields.set("", "x").is_err());
        assert!(fields.check(&["phone", "groups"]).is_ok());
        let err = fields.check(&["phone"]).expect_err("groups unknown");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.message().contains("\"groups\""), "{}", err.message());
        assert_eq!(fields.string("phone").expect("string"), Some("+1 555"));
        assert!(fields.string("groups").is_err());
        assert_eq!(
            fields.decode::<Vec<u32>>("groups").expect("list"),
            Some(vec![1, 2])
        );
        assert!(fields.decode::<Vec<String>>("groups").is_err());
        assert_eq!(fields.bool("missing").expect("unset"), None);
    }
}
