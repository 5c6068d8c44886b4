//! The two list bodies, read item by item.
//!
//! `cargo xtask codegen` would decode the user list (a bare array *or* a
//! `{count, next, previous, results}` envelope) as an untagged enum, which
//! buffers the body and so cannot keep each item's JSON as it arrived; and
//! it would decode every item of a list at once, so that one item that does
//! not fit would fail the whole list without saying which. [`ItemList`]
//! replaces both `UserList` and `StackPage`: one pass over the body
//! ([`ListBody`]) picks the shape and keeps every item's bytes ([`Raw`]),
//! and the adapter decodes the items one by one with
//! [`roster_core::map_items`].

use std::fmt;

use roster_core::{Envelope, ListBody, Raw};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One list item, kept as it arrived; its fields are decoded later.
pub(crate) type Item = Raw<IgnoredAny>;

/// One page of a list, in whichever form the server sent it: a bare JSON
/// array (`envelope` is `None`) or Django REST framework's envelope.
pub(crate) type ItemList = ListBody<Vec<Item>, Paging>;

/// What Django REST framework's envelope says beside its `results`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Paging {
    /// Whether `next` held a link (anything but a missing key, `null` or an
    /// empty string). `count` and `previous` are not needed.
    pub(crate) has_next: bool,
}

impl Envelope for Paging {
    const ITEMS_KEY: &'static str = "results";
    const EXPECTING: &'static str = "a JSON array of items or a {\"results\": [...]} envelope";

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self, key: &str, map: &mut A,
    ) -> Result<(), A::Error> {
        if key == "next" {
            self.has_next = map.next_value::<NextLink>()?.0;
        } else {
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
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
        assert_eq!(bare.envelope, None);
        assert_eq!(bare.items[0].data().get(), r#"{"id": 1,"x":[1, 2]}"#);
        let envelope: ItemList = serde_json::from_str(
            r#"{"count": 9, "next": "https://x/?page=2", "results": [{"id":3}], "extra": {"a": 1}}"#,
        )
        .unwrap();
        assert_eq!(envelope.envelope, Some(Paging { has_next: true }));
        assert_eq!(envelope.items[0].data().get(), r#"{"id":3}"#);
        let last: ItemList =
            serde_json::from_str(r#"{"results": [], "next": null, "previous": "p"}"#).unwrap();
        assert_eq!(last.envelope, Some(Paging { has_next: false }));
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
            assert_eq!(page.envelope, Some(Paging { has_next }), "{next}");
        }
        let missing: ItemList = serde_json::from_str(r#"{"results": []}"#).unwrap();
        assert_eq!(missing.envelope, Some(Paging { has_next: false }));
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
