//! List answers that come in one of two shapes, read in one pass.
//!
//! Some providers send a list as a bare JSON array in one place and wrapped
//! in an object in another: Django REST framework's
//! `{"count", "next", "results": [...]}`, Medium One's
//! `{"user_list": [...]}`. An untagged enum would buffer the body to try
//! each shape, and a buffered body cannot give [`Raw`] the bytes an item
//! arrived as. [`ListBody`] reads the first token instead and decodes the
//! items straight from the body; [`RawItems`] decodes an array item by
//! item, so that one item that does not fit is named by its position.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::SeqAccessDeserializer;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::provider_data::Raw;

/// The object a list may come wrapped in: the key that holds the items,
/// and what is kept of the others.
pub trait Envelope: Default {
    /// The key whose value is the array of items, such as `results`.
    const ITEMS_KEY: &'static str;

    /// What the body should have been, for the error when it is neither
    /// an array nor an object (serde's "expected …").
    const EXPECTING: &'static str;

    /// Reads the value of a key other than
    /// [`ITEMS_KEY`](Envelope::ITEMS_KEY). The default skips it.
    fn read_field<'de, A: MapAccess<'de>>(
        &mut self, key: &str, map: &mut A,
    ) -> Result<(), A::Error> {
        let _ = key;
        map.next_value::<IgnoredAny>()?;
        Ok(())
    }
}

/// A list in either shape: a bare JSON array, or an [`Envelope`] object
/// holding the array under [`Envelope::ITEMS_KEY`].
///
/// `L` decodes the array, from the body or from the envelope's key alike:
/// a `Vec` of [`Raw`] items, or [`RawItems`] to name the position of an
/// item that does not fit. An envelope without the key, or with it twice,
/// fails; its other keys go to [`Envelope::read_field`].
///
/// ```
/// use roster_core::list_body::{Envelope, ListBody, RawItems};
///
/// #[derive(Debug, Default)]
/// struct Results;
///
/// impl Envelope for Results {
///     const ITEMS_KEY: &'static str = "results";
///     const EXPECTING: &'static str = r#"an array or {"results": [...]}"#;
/// }
///
/// type Ids = ListBody<RawItems<u32>, Results>;
///
/// let bare: Ids = serde_json::from_str("[1, 2]").unwrap();
/// assert!(bare.envelope.is_none());
/// let wrapped: Ids = serde_json::from_str(r#"{"count": 1, "results": [ 3 ]}"#).unwrap();
/// assert_eq!(wrapped.items.0[0].data().get(), "3");
/// assert!(wrapped.envelope.is_some());
/// ```
#[derive(Debug, Clone)]
pub struct ListBody<L, E> {
    /// The items, as `L` decoded them.
    pub items: L,
    /// The envelope's other fields, as [`Envelope::read_field`] kept them;
    /// `None` when the list came as a bare array.
    pub envelope: Option<E>,
}

impl<'de, L: Deserialize<'de>, E: Envelope> Deserialize<'de> for ListBody<L, E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ListBodyVisitor(PhantomData))
    }
}

/// Only the items: a list body is read, never sent, but generated clients
/// need the bound.
impl<L: Serialize, E> Serialize for ListBody<L, E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.items.serialize(serializer)
    }
}

struct ListBodyVisitor<L, E>(PhantomData<(L, E)>);

impl<'de, L: Deserialize<'de>, E: Envelope> Visitor<'de> for ListBodyVisitor<L, E> {
    type Value = ListBody<L, E>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(E::EXPECTING)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Ok(ListBody {
            items: L::deserialize(SeqAccessDeserializer::new(seq))?,
            envelope: None,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut items = None;
        let mut envelope = E::default();
        // A `Cow`, so that an escaped key still names its field.
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == E::ITEMS_KEY {
                if items.is_some() {
                    return Err(de::Error::duplicate_field(E::ITEMS_KEY));
                }
                items = Some(map.next_value::<L>()?);
            } else {
                envelope.read_field(&key, &mut map)?;
            }
        }
        Ok(ListBody {
            items: items.ok_or_else(|| de::Error::missing_field(E::ITEMS_KEY))?,
            envelope: Some(envelope),
        })
    }
}

/// A JSON array whose items are each kept as they arrived ([`Raw`]),
/// decoded one by one: an item that does not fit fails the array with a
/// message naming its position (`item 3 of the list: …`).
///
/// ```
/// use roster_core::list_body::RawItems;
///
/// let err = serde_json::from_str::<RawItems<u32>>(r#"[1, "two"]"#).unwrap_err();
/// assert!(err.to_string().starts_with("item 1 of the list: "), "{err}");
/// ```
#[derive(Debug, Clone)]
pub struct RawItems<T>(pub Vec<Raw<T>>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for RawItems<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(RawItemsVisitor(PhantomData))
    }
}

/// The items as they arrived.
impl<T> Serialize for RawItems<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(&self.0)
    }
}

struct RawItemsVisitor<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for RawItemsVisitor<T> {
    type Value = RawItems<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawItems<T>, A::Error> {
        // A hint is the sender's claim, so it only sizes the first allocation.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            match seq.next_element::<Raw<T>>() {
                Ok(Some(item)) => items.push(item),
                Ok(None) => return Ok(RawItems(items)),
                Err(err) => {
                    return Err(de::Error::custom(format_args!(
                        "item {} of the list: {err}",
                        items.len()
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq)]
    struct Paging {
        next: Option<String>,
    }

    impl Envelope for Paging {
        const ITEMS_KEY: &'static str = "results";
        const EXPECTING: &'static str = "a list";

        fn read_field<'de, A: MapAccess<'de>>(
            &mut self, key: &str, map: &mut A,
        ) -> Result<(), A::Error> {
            match key {
                "next" => self.next = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(())
        }
    }

    type Body = ListBody<RawItems<u32>, Paging>;

    fn texts(body: &Body) -> Vec<&str> {
        body.items.0.iter().map(|item| item.data().get()).collect()
    }

    #[test]
    fn both_shapes_keep_every_item_as_it_arrived() {
        let bare: Body = serde_json::from_str("[1, 2 ,3]").unwrap();
        assert_eq!(texts(&bare), ["1", "2", "3"]);
        assert_eq!(bare.envelope, None);
        let wrapped: Body = serde_json::from_str(
            r#"{"count": 9, "next": "p2", "results": [ 4 ], "extra": {"a": [1]}}"#,
        )
        .unwrap();
        assert_eq!(texts(&wrapped), ["4"]);
        assert_eq!(
            wrapped.envelope,
            Some(Paging {
                next: Some("p2".to_owned())
            })
        );
        let escaped: Body = serde_json::from_str(r#"{"res\u0075lts": [5]}"#).unwrap();
        assert_eq!(texts(&escaped), ["5"]);
        assert_eq!(escaped.envelope, Some(Paging::default()));
    }

    #[test]
    fn anything_else_fails_and_says_what_was_expected() {
        for (body, says) in [
            ("3", "expected a list"),
            (r#""x""#, "expected a list"),
            ("null", "expected a list"),
            (r#"{"users": []}"#, "missing field `results`"),
            (
                r#"{"results": [], "results": []}"#,
                "duplicate field `results`",
            ),
            (r#"{"results": {}}"#, "expected an array"),
            (r#"[1, -2]"#, "item 1 of the list: "),
            (r#"{"results": [1, 2, "x"]}"#, "item 2 of the list: "),
        ] {
            let err = serde_json::from_str::<Body>(body).unwrap_err();
            assert!(err.to_string().contains(says), "{body}: {err}");
        }
    }

    #[test]
    fn a_vec_of_raw_items_reads_the_same_shapes() {
        let list: ListBody<Vec<Raw<u32>>, Paging> =
            serde_json::from_str(r#"{"results": [7, 8], "next": null}"#).unwrap();
        assert_eq!(list.items.len(), 2);
        assert_eq!(list.envelope, Some(Paging { next: None }));
        let bare: ListBody<Vec<Raw<u32>>, Paging> = serde_json::from_str("[9]").unwrap();
        assert_eq!(bare.items[0].data().get(), "9");
    }

    #[test]
    fn serializing_sends_only_the_items() {
        let list: Body = serde_json::from_str(r#"{"results": [1, 2], "next": "x"}"#).unwrap();
        assert_eq!(serde_json::to_string(&list).unwrap(), "[1,2]");
    }
}
