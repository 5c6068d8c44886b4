//! The two list bodies, read item by item.
//!
//! `cargo xtask codegen` would decode the user list (a bare array *or* a
//! `{count, next, previous, results}` envelope) as an untagged enum, which
//! buffers the body and so cannot keep each item's JSON as it arrived; and
//! it would decode every item of a list at once, so that one item that does
//! not fit would fail the whole list without saying which. [`ItemList`]
//! replaces both `UserList` and `StackPage`: one pass over the body picks
//! the shape and keeps every item's bytes ([`Raw`]), and the adapter decodes
//! the items one by one with [`roster_core::map_items`].

use std::fmt;

use roster_core::Raw;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// One list item, kept as it arrived; its fields are decoded later.
pub(crate) type Item = Raw<IgnoredAny>;

/// One page of a list, in whichever form the server sent it.
#[derive(Debug, Clone)]
pub struct ItemList {
    /// The items, in order, as they arrived.
    pub(crate) items: Vec<Item>,
    /// The form of the page.
    pub(crate) shape: Shape,
}

/// The form a list page came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A bare JSON array.
    Array,
    /// Django REST framework's envelope; `has_next` is whether `next` held
    /// a link (anything but a missing key, `null` or an empty string).
    Envelope { has_next: bool },
}

impl<'de> Deserialize<'de> for ItemList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ItemListVisitor)
    }
}

/// Never sent; the generated code only needs the bound.
impl Serialize for ItemList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(&self.items)
    }
}

struct ItemListVisitor;

impl<'de> Visitor<'de> for ItemListVisitor {
    type Value = ItemList;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of items or a {\"results\": [...]} envelope")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ItemList, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element::<Item>()? {
            items.push(item);
        }
        Ok(ItemList {
            items,
            shape: Shape::Array,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ItemList, A::Error> {
        let mut results: Option<Vec<Item>> = None;
        let mut has_next = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "results" => {
                    if results.is_some() {
                        return Err(de::Error::duplicate_field("results"));
                    }
                    results = Some(map.next_value()?);
                }
                // `count` and `previous` (and keys we do not know) are
                // not needed.
                "next" => has_next = map.next_value::<NextLink>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let items = results.ok_or_else(|| de::Error::missing_field("results"))?;
        Ok(ItemList {
            items,
            shape: Shape::Envelope { has_next },
        })
    }
}

/// Whether an envelope's `next` names another page: a non-empty string
/// does (DRF sends the URL), `null` or `""` does not, and any other value,
/// which no server should send, is read as a link rather than fail the page.
struct NextLink(bool);

impl<'de> Deserialize<'de> for NextLink {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NextLinkVisitor)
    }
}

struct NextLinkVisitor;

impl<'de> Visitor<'de> for NextLinkVisitor {
    type Value = NextLink;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a link or null")
    }

    fn visit_str<E: de::Error>(self, link: &str) -> Result<NextLink, E> {
        Ok(NextLink(!link.is_empty()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<NextLink, E> {
        Ok(NextLink(false))
    }

    fn visit_none<E: de::Error>(self) -> Result<NextLink, E> {
        Ok(NextLink(false))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<NextLink, E> {
        Ok(NextLink(true))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<NextLink, E> {
        Ok(NextLink(true))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<NextLink, E> {
        Ok(NextLink(true))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<NextLink, E> {
        Ok(NextLink(true))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NextLink, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(NextLink(true))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NextLink, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(NextLink(true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes_keep_every_item_as_it_arrived() {
        let bare: ItemList = serde_json::from_str(r#"[{"id": 1,"x":[1, 2]}, {"id":2}]"#).unwrap();
        assert_eq!(bare.shape, Shape::Array);
        assert_eq!(bare.items[0].data().get(), r#"{"id": 1,"x":[1, 2]}"#);
        let envelope: ItemList = serde_json::from_str(
            r#"{"count": 9, "next": "https://x/?page=2", "results": [{"id":3}], "extra": {"a": 1}}"#,
        )
        .unwrap();
        assert_eq!(envelope.shape, Shape::Envelope { has_next: true });
        assert_eq!(envelope.items[0].data().get(), r#"{"id":3}"#);
        let last: ItemList =
            serde_json::from_str(r#"{"results": [], "next": null, "previous": "p"}"#).unwrap();
        assert_eq!(last.shape, Shape::Envelope { has_next: false });
        for (next, has_next) in [
            (r#""""#, false),
            ("null", false),
            (r#""/api/v1/users/?page=2""#, true),
            ("2", true),
            (r#"{"href": "x"}"#, true),
            ("[1]", true),
        ] {
            let page: ItemList =
                serde_json::from_str(&format!(r#"{{"next": {next}, "results": []}}"#)).unwrap();
            assert_eq!(page.shape, Shape::Envelope { has_next }, "{next}");
        }
        let missing: ItemList = serde_json::from_str(r#"{"results": []}"#).unwrap();
        assert_eq!(missing.shape, Shape::Envelope { has_next: false });
        // An escaped key still names the field.
        let escaped: ItemList = serde_json::from_str(r#"{"res\u0075lts": [{}]}"#).unwrap();
        assert_eq!(escaped.items.len(), 1);
        for bad in [
            r#"{"users": []}"#,
            "3",
            r#""x""#,
            r#"{"results": {}}"#,
            "null",
        ] {
            assert!(serde_json::from_str::<ItemList>(bad).is_err(), "{bad}");
        }
    }
}
