//! SCIM resources as the service holds them: JSON documents checked and
//! normalized on the way in, patched (RFC 7644 §3.5.2) and projected
//! (`attributes` / `excludedAttributes`) on the way out.
//!
//! Resources are kept as JSON rather than typed structs so that nothing an
//! identity provider sends is dropped: extension attributes a struct does
//! not name are kept and returned.

use serde_json::{Map, Value, json};

use crate::error::{ScimError, ScimType};
use crate::filter::{Filter, PatchPath, get_ci};

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The Enterprise User extension.
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// A PATCH request.
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// A list answer.
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// Which resource type a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `/Users`.
    User,
    /// `/Groups`.
    Group,
}

impl Kind {
    /// `User` or `Group`, as `meta.resourceType` and the store say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }

    /// The endpoint: `Users` or `Groups`.
    pub fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "Users",
            Kind::Group => "Groups",
        }
    }

    /// The core schema URN.
    pub fn schema(self) -> &'static str {
        match self {
            Kind::User => USER_SCHEMA,
            Kind::Group => GROUP_SCHEMA,
        }
    }
}

/// Parses a boolean as Entra ID sends it: `true`, `"True"`, `"false"`.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Parses a request body as a JSON object; `invalidSyntax` otherwise.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ScimError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ScimError::invalid_syntax(
            "the request body is not a JSON object",
        )),
        Err(err) => Err(ScimError::invalid_syntax(format!(
            "the request body is not valid JSON: {err}"
        ))),
    }
}

/// What a normalized User carries for the mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFacts {
    /// `userName`.
    pub user_name: String,
    /// `externalId`, if sent.
    pub external_id: Option<String>,
    /// The primary email (or the first), if any.
    pub primary_email: Option<String>,
    /// `displayName`, else `name.formatted`, else given and family name.
    pub display_name: Option<String>,
    /// `active` (true when absent).
    pub active: bool,
}

/// What a normalized Group carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFacts {
    /// `displayName`.
    pub display_name: String,
    /// `externalId`, if sent.
    pub external_id: Option<String>,
    /// The member ids (`members[].value`), in order, without repeats.
    pub members: Vec<String>,
}

/// Checks and normalizes a resource an IdP sent for `kind`:
/// - `schemas` must list the core schema and only schemas this service
///   knows (`extra_schemas` adds configured extensions);
/// - server-owned attributes (`id`, `meta`) are dropped, and so is
///   `password`, which is never stored;
/// - booleans sent as strings (`"False"`) become booleans.
pub fn normalize(
    kind: Kind, mut doc: Map<String, Value>, extra_schemas: &[String],
) -> Result<Map<String, Value>, ScimError> {
    let schemas = match doc.get("schemas") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|s| {
                s.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ScimError::invalid_syntax("schemas must be a list of strings"))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => {
            return Err(ScimError::invalid_syntax(
                "schemas must be a list of strings",
            ));
        }
        None => return Err(ScimError::invalid_syntax("the resource has no schemas")),
    };
    if !schemas
        .iter()
        .any(|s| s.eq_ignore_ascii_case(kind.schema()))
    {
        return Err(ScimError::invalid_value(format!(
            "a {} must list the schema {}",
            kind.as_str(),
            kind.schema()
        )));
    }
    for schema in &schemas {
        let known = schema.eq_ignore_ascii_case(kind.schema())
            || (kind == Kind::User && schema.eq_ignore_ascii_case(ENTERPRISE_SCHEMA))
            || extra_schemas.iter().any(|s| s.eq_ignore_ascii_case(schema));
        if !known {
            return Err(ScimError::invalid_value(format!(
                "unknown schema {schema:?}"
            )));
        }
    }
    // Extension attributes must belong to a listed schema.
    for key in doc.keys() {
        if key.to_ascii_lowercase().starts_with("urn:")
            && !key.eq_ignore_ascii_case("schemas")
            && !schemas.iter().any(|s| s.eq_ignore_ascii_case(key))
        {
            return Err(ScimError::invalid_value(format!(
                "the attribute {key:?} belongs to a schema the resource does not list"
            )));
        }
    }
    doc.retain(|k, _| {
        !(k.eq_ignore_ascii_case("id")
            || k.eq_ignore_ascii_case("meta")
            || k.eq_ignore_ascii_case("password"))
    });
    coerce_booleans(&mut doc);
    match kind {
        Kind::User => {
            user_facts(&doc)?;
        }
        Kind::Group => {
            group_facts(&doc)?;
        }
    }
    Ok(doc)
}

/// The boolean attributes of the core schemas, coerced from strings.
const BOOLEANS: [&str; 2] = ["active", "primary"];

fn coerce_booleans(doc: &mut Map<String, Value>) {
    for (key, value) in doc.iter_mut() {
        match value {
            Value::String(text) if BOOLEANS.iter().any(|b| b.eq_ignore_ascii_case(key)) => {
                if let Some(b) = parse_bool(text) {
                    *value = Value::Bool(b);
                }
            }
            Value::Object(inner) => coerce_booleans(inner),
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(inner) = item {
                        coerce_booleans(inner);
                    }
                }
            }
            _ => {}
        }
    }
}

fn string_attr(doc: &Map<String, Value>, name: &str) -> Result<Option<String>, ScimError> {
    match doc
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
    {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ScimError::invalid_value(format!("{name} must be a string"))),
    }
}

/// The facts of a normalized User; `invalidValue` when `userName` is
/// missing or a known attribute has the wrong type.
pub fn user_facts(doc: &Map<String, Value>) -> Result<UserFacts, ScimError> {
    let user_name = string_attr(doc, "userName")?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ScimError::invalid_value("a User needs a userName"))?;
    let external_id = string_attr(doc, "externalId")?;
    let object = Value::Object(doc.clone());
    let active = match get_ci(&object, "active") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ScimError::invalid_value("active must be a boolean")),
    };
    let emails = match get_ci(&object, "emails") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err(ScimError::invalid_value("emails must be a list")),
    };
    let email_value = |e: &Value| {
        get_ci(e, "value")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let primary_email = emails
        .iter()
        .find(|e| get_ci(e, "primary").and_then(Value::as_bool) == Some(true))
        .and_then(email_value)
        .or_else(|| emails.first().and_then(email_value));
    let name = get_ci(&object, "name");
    let name_part = |part: &str| {
        name.and_then(|n| get_ci(n, part))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let display_name = string_attr(doc, "displayName")?
        .filter(|s| !s.trim().is_empty())
        .or_else(|| name_part("formatted"))
        .or_else(|| {
            let joined = [name_part("givenName"), name_part("familyName")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            (!joined.is_empty()).then_some(joined)
        });
    Ok(UserFacts {
        user_name,
        external_id,
        primary_email,
        display_name,
        active,
    })
}

/// The facts of a normalized Group; `invalidValue` when `displayName` is
/// missing or `members` is malformed.
pub fn group_facts(doc: &Map<String, Value>) -> Result<GroupFacts, ScimError> {
    let display_name = string_attr(doc, "displayName")?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ScimError::invalid_value("a Group needs a displayName"))?;
    let external_id = string_attr(doc, "externalId")?;
    let object = Value::Object(doc.clone());
    let mut members: Vec<String> = Vec::new();
    match get_ci(&object, "members") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let id = get_ci(item, "value")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        ScimError::invalid_value("each member needs a value (the member's id)")
                    })?;
                if !members.iter().any(|m| m == id) {
                    members.push(id.to_owned());
                }
            }
        }
        Some(_) => return Err(ScimError::invalid_value("members must be a list")),
    }
    Ok(GroupFacts {
        display_name,
        external_id,
        members,
    })
}

/// One PATCH operation, with its `op` already lower-cased (Entra ID sends
/// `Replace`, `Add`, `Remove`).
#[derive(Debug, Clone)]
struct PatchOp {
    op: String,
    path: Option<String>,
    value: Option<Value>,
}

/// Applies a PATCH request body (`PatchOp` message) to `doc`.
pub fn apply_patch(
    doc: &mut Map<String, Value>, body: &Map<String, Value>,
) -> Result<(), ScimError> {
    let schemas_ok = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter().any(|s| {
                s.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_SCHEMA))
            })
        });
    if !schemas_ok {
        return Err(ScimError::invalid_value(format!(
            "a PATCH must list the schema {PATCH_SCHEMA}"
        )));
    }
    let operations = body
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
        .and_then(|(_, v)| v.as_array())
        .ok_or_else(|| ScimError::invalid_syntax("a PATCH needs a list of Operations"))?;
    for raw in operations {
        let op = get_ci(raw, "op")
            .and_then(Value::as_str)
            .ok_or_else(|| ScimError::invalid_syntax("each operation needs an op"))?
            .to_ascii_lowercase();
        let path = match get_ci(raw, "path") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) if p.trim().is_empty() => None,
            Some(Value::String(p)) => Some(p.clone()),
            Some(_) => return Err(ScimError::invalid_path("path must be a string")),
        };
        let value = get_ci(raw, "value").cloned();
        apply_op(doc, PatchOp { op, path, value })?;
    }
    coerce_booleans(doc);
    Ok(())
}

fn apply_op(doc: &mut Map<String, Value>, op: PatchOp) -> Result<(), ScimError> {
    match (op.op.as_str(), op.path) {
        ("add" | "replace", None) => {
            let Some(Value::Object(values)) = op.value else {
                return Err(ScimError::invalid_value(
                    "an add or replace without a path needs an object value",
                ));
            };
            for (key, value) in values {
                if key.eq_ignore_ascii_case("schemas")
                    || key.eq_ignore_ascii_case("id")
                    || key.eq_ignore_ascii_case("meta")
                {
                    continue;
                }
                let is_extension_object = key.to_ascii_lowercase().starts_with("urn:")
                    && value.is_object()
                    && !key_has_attr_after_urn(&key);
                if let (true, Value::Object(inner)) = (is_extension_object, &value) {
                    let inner = inner.clone();
                    let target = entry_ci(doc, &key).or_insert_with(|| Value::Object(Map::new()));
                    if !target.is_object() {
                        *target = Value::Object(Map::new());
                    }
                    if let Value::Object(target) = target {
                        for (k, v) in inner {
                            set_attr(target, &k, v, op.op == "add");
                        }
                    }
                    add_schema(doc, &key);
                } else {
                    // Entra ID sends `"name.givenName": "Ada"` or a full
                    // extension path as a key: treat the key as a path.
                    let path = PatchPath::parse(&key)?;
                    apply_path(doc, &op.op, &path, Some(value))?;
                }
            }
            Ok(())
        }
        ("remove", None) => Err(ScimError::new(
            400,
            Some(ScimType::NoTarget),
            "a remove needs a path",
        )),
        ("add" | "replace" | "remove", Some(path)) => {
            let parsed = PatchPath::parse(&path)?;
            if op.op != "remove" && op.value.is_none() {
                return Err(ScimError::invalid_value(format!("{} needs a value", op.op)));
            }
            apply_path(doc, &op.op, &parsed, op.value)
        }
        (other, _) => Err(ScimError::invalid_value(format!(
            "{other:?} is not a PATCH op"
        ))),
    }
}

/// Whether `key` is `urn:...:Schema:attr` rather than the schema alone: the
/// known schemas are checked by name.
fn key_has_attr_after_urn(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    !(lower == ENTERPRISE_SCHEMA.to_ascii_lowercase()
        || lower.ends_with(":user")
        || lower.ends_with(":group"))
}

fn add_schema(doc: &mut Map<String, Value>, urn: &str) {
    let schemas = doc.entry("schemas").or_insert_with(|| json!([]));
    if let Value::Array(items) = schemas
        && !items
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
    {
        items.push(Value::String(urn.to_owned()));
    }
}

/// The entry for `key` in `map`, matching an existing key without regard to
/// case (so a patch of `displayname` changes `displayName`).
fn entry_ci<'a>(map: &'a mut Map<String, Value>, key: &str) -> serde_json::map::Entry<'a> {
    let existing = map.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned();
    map.entry(existing.unwrap_or_else(|| key.to_owned()))
}

fn remove_ci(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let existing = map.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()?;
    map.remove(&existing)
}

/// Sets `key` to `value`; `add` on a multi-valued attribute appends the new
/// values that are not there yet.
fn set_attr(map: &mut Map<String, Value>, key: &str, value: Value, add: bool) {
    match (entry_ci(map, key), value) {
        (serde_json::map::Entry::Occupied(mut slot), Value::Array(new)) if add => {
            if let Value::Array(items) = slot.get_mut() {
                for item in new {
                    let duplicate = items.iter().any(|existing| same_value(existing, &item));
                    if !duplicate {
                        items.push(item);
                    }
                }
            } else {
                slot.insert(Value::Array(new));
            }
        }
        (serde_json::map::Entry::Occupied(mut slot), Value::Object(new)) if add => {
            if let Value::Object(existing) = slot.get_mut() {
                for (k, v) in new {
                    set_attr(existing, &k, v, true);
                }
            } else {
                slot.insert(Value::Object(new));
            }
        }
        (serde_json::map::Entry::Occupied(mut slot), value) => {
            slot.insert(value);
        }
        (serde_json::map::Entry::Vacant(slot), value) => {
            slot.insert(value);
        }
    }
}

/// Two elements of a multi-valued attribute are the same when their
/// `value`s are (a member id, an email), or when they are equal.
fn same_value(a: &Value, b: &Value) -> bool {
    match (get_ci(a, "value"), get_ci(b, "value")) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn apply_path(
    doc: &mut Map<String, Value>, op: &str, path: &PatchPath, value: Option<Value>,
) -> Result<(), ScimError> {
    // The map the attribute lives in: the resource, or an extension object.
    let container: &mut Map<String, Value> = match &path.attr.urn {
        Some(urn) if !crate::filter::is_core_urn(urn) => {
            add_schema(doc, urn);
            let slot = entry_ci(doc, urn).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            match slot {
                Value::Object(map) => map,
                _ => {
                    return Err(ScimError::invalid_path(format!(
                        "{urn} is not an extension object"
                    )));
                }
            }
        }
        _ => doc,
    };
    let name = path.attr.name.as_str();
    if name.eq_ignore_ascii_case("id")
        || name.eq_ignore_ascii_case("meta")
        || name.eq_ignore_ascii_case("schemas")
    {
        return Err(ScimError::new(
            400,
            Some(ScimType::Mutability),
            format!("{name} cannot be changed"),
        ));
    }
    match (&path.filter, &path.attr.sub) {
        (None, None) => match op {
            "remove" => {
                // Entra ID removes members as `path: "members"` with the
                // members to remove in `value`: a list, or one object.
                let gone = match value {
                    None | Some(Value::Null) => {
                        remove_ci(container, name);
                        return Ok(());
                    }
                    Some(Value::Array(gone)) => gone,
                    Some(one @ Value::Object(_)) => vec![one],
                    Some(_) => {
                        return Err(ScimError::invalid_value(
                            "a remove's value names the values to remove: an object or a list of them",
                        ));
                    }
                };
                if let Some(Value::Array(items)) = container
                    .iter_mut()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
                {
                    items.retain(|item| !gone.iter().any(|g| same_value(item, g)));
                }
                Ok(())
            }
            _ => {
                let Some(value) = value else {
                    return Err(ScimError::invalid_value("a value is required"));
                };
                set_attr(container, name, value, op == "add");
                Ok(())
            }
        },
        (None, Some(sub)) => {
            if op == "remove" && !container.keys().any(|k| k.eq_ignore_ascii_case(name)) {
                // Nothing to remove: leave the resource as it is (no empty
                // parent, so no new version and nothing to deliver).
                return Ok(());
            }
            let parent = entry_ci(container, name).or_insert_with(|| Value::Object(Map::new()));
            match (op, parent) {
                ("remove", Value::Object(map)) => {
                    remove_ci(map, sub);
                    Ok(())
                }
                ("remove", _) => Ok(()),
                (_, Value::Object(map)) => {
                    set_attr(map, sub, value.unwrap_or(Value::Null), op == "add");
                    Ok(())
                }
                // A sub-attribute of a multi-valued attribute: every element.
                (_, Value::Array(items)) => {
                    for item in items.iter_mut() {
                        if let Value::Object(map) = item {
                            set_attr(map, sub, value.clone().unwrap_or(Value::Null), false);
                        }
                    }
                    Ok(())
                }
                (_, other) => {
                    let mut map = Map::new();
                    map.insert(sub.clone(), value.unwrap_or(Value::Null));
                    *other = Value::Object(map);
                    Ok(())
                }
            }
        }
        (Some(filter), _) => apply_filtered(
            container,
            op,
            name,
            filter,
            path.sub_after_filter.as_deref(),
            value,
        ),
    }
}

fn apply_filtered(
    container: &mut Map<String, Value>, op: &str, name: &str, filter: &Filter, sub: Option<&str>,
    value: Option<Value>,
) -> Result<(), ScimError> {
    if op == "remove"
        && !container
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case(name) && v.is_array())
    {
        // Nothing to remove from: leave the resource as it is.
        return Ok(());
    }
    let slot = entry_ci(container, name).or_insert_with(|| json!([]));
    if !slot.is_array() {
        *slot = json!([]);
    }
    let Value::Array(items) = slot else {
        return Ok(());
    };
    let matching: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| filter.matches(item))
        .map(|(i, _)| i)
        .collect();
    match op {
        "remove" => {
            match sub {
                None => {
                    let mut i = 0;
                    items.retain(|_| {
                        let keep = !matching.contains(&i);
                        i += 1;
                        keep
                    });
                }
                Some(sub) => {
                    for i in matching {
                        if let Value::Object(map) = &mut items[i] {
                            remove_ci(map, sub);
                        }
                    }
                }
            }
            Ok(())
        }
        _ => {
            let value = value.unwrap_or(Value::Null);
            if matching.is_empty() {
                // Entra ID replaces `emails[type eq "work"].value` on a user
                // with no work email yet: add the element the filter names.
                let mut element = Map::new();
                collect_equalities(filter, &mut element);
                match sub {
                    Some(sub) => {
                        element.insert(sub.to_owned(), value);
                    }
                    None => {
                        if let Value::Object(fields) = value {
                            element.extend(fields);
                        } else {
                            return Err(ScimError::new(
                                400,
                                Some(ScimType::NoTarget),
                                "the filter matched nothing",
                            ));
                        }
                    }
                }
                items.push(Value::Object(element));
                return Ok(());
            }
            for i in matching {
                match (sub, &mut items[i]) {
                    (Some(sub), Value::Object(map)) => set_attr(map, sub, value.clone(), false),
                    (None, Value::Object(map)) => {
                        if let Value::Object(fields) = &value {
                            for (k, v) in fields {
                                set_attr(map, k, v.clone(), false);
                            }
                        } else {
                            return Err(ScimError::invalid_value("the value must be an object"));
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        }
    }
}

fn collect_equalities(filter: &Filter, into: &mut Map<String, Value>) {
    match filter {
        Filter::Compare(path, crate::filter::CompareOp::Eq, value)
            if path.urn.is_none() && path.sub.is_none() =>
        {
            into.insert(path.name.clone(), value.clone());
        }
        Filter::And(a, b) => {
            collect_equalities(a, into);
            collect_equalities(b, into);
        }
        _ => {}
    }
}

/// Projects a resource for an answer (RFC 7644 §3.4.2.5): `attributes`
/// keeps only the named ones, `excludedAttributes` drops them; `id` and
/// `schemas` are always returned.
pub fn project(
    mut resource: Map<String, Value>, attributes: &[String], excluded: &[String],
) -> Map<String, Value> {
    let always = |k: &str| k == "id" || k == "schemas";
    if !attributes.is_empty() {
        let mut out = Map::new();
        for (key, value) in resource {
            if always(&key) {
                out.insert(key, value);
                continue;
            }
            let mut keep_whole = false;
            let mut subs: Vec<&str> = Vec::new();
            for attr in attributes {
                let Ok(path) = crate::filter::AttrPath::parse(attr) else {
                    continue;
                };
                let top = match &path.urn {
                    Some(urn) if !crate::filter::is_core_urn(urn) => {
                        if urn.eq_ignore_ascii_case(&key) {
                            // `urn:...:User:employeeNumber` keeps that one
                            // attribute of the extension.
                            subs.push(attr.rsplit(':').next().unwrap_or(""));
                        }
                        continue;
                    }
                    _ => &path.name,
                };
                if attr.eq_ignore_ascii_case(&key) {
                    keep_whole = true;
                } else if top.eq_ignore_ascii_case(&key) {
                    match &path.sub {
                        Some(_) => subs.push(attr.split('.').nth(1).unwrap_or("")),
                        None => keep_whole = true,
                    }
                }
            }
            if keep_whole {
                out.insert(key, value);
            } else if !subs.is_empty() {
                out.insert(key, keep_subs(value, &subs));
            }
        }
        resource = out;
    }
    for attr in excluded {
        let Ok(path) = crate::filter::AttrPath::parse(attr) else {
            continue;
        };
        if always(&path.name) && path.sub.is_none() {
            continue;
        }
        match (&path.urn, &path.sub) {
            (Some(urn), _) if !crate::filter::is_core_urn(urn) => {
                if let Some(Value::Object(ext)) = resource
                    .iter_mut()
                    .find(|(k, _)| k.eq_ignore_ascii_case(urn))
                    .map(|(_, v)| v)
                {
                    remove_ci(ext, &path.name);
                }
            }
            (_, None) => {
                remove_ci(&mut resource, &path.name);
            }
            (_, Some(sub)) => {
                if let Some(value) = resource
                    .iter_mut()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&path.name))
                    .map(|(_, v)| v)
                {
                    drop_sub(value, sub);
                }
            }
        }
    }
    resource
}

fn keep_subs(value: Value, subs: &[&str]) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| subs.iter().any(|s| s.eq_ignore_ascii_case(k)))
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| keep_subs(v, subs)).collect())
        }
        other => other,
    }
}

fn drop_sub(value: &mut Value, sub: &str) {
    match value {
        Value::Object(map) => {
            remove_ci(map, sub);
        }
        Value::Array(items) => {
            for item in items {
                drop_sub(item, sub);
            }
        }
        _ => {}
    }
}

/// Splits a comma-separated `attributes` / `excludedAttributes` parameter.
pub fn attribute_list(param: Option<&str>) -> Vec<String> {
    param
        .map(|p| {
            p.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Formats milliseconds since the epoch as RFC 3339 in UTC
/// (`2026-12-01T21:24:20.123Z`), as `meta.created` needs.
pub fn rfc3339(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Map<String, Value> {
        let v = json!({
            "schemas": [USER_SCHEMA],
            "userName": "ada@example.com",
            "active": true,
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@example.com", "type": "work", "primary": true}]
        });
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn patch(ops: Value) -> Map<String, Value> {
        match json!({"schemas": [PATCH_SCHEMA], "Operations": ops}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_796_160_260_123), "2026-12-01T21:24:20.123Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn normalize_drops_server_owned_and_secret_attributes_and_coerces_booleans() {
        let mut doc = user();
        doc.insert("id".into(), json!("client-chosen"));
        doc.insert("password".into(), json!("hunter2"));
        doc.insert("active".into(), json!("False"));
        let doc = normalize(Kind::User, doc, &[]).expect("valid");
        assert!(!doc.contains_key("id") && !doc.contains_key("password"));
        assert_eq!(doc["active"], json!(false));
        let facts = user_facts(&doc).expect("facts");
        assert_eq!(facts.display_name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(facts.primary_email.as_deref(), Some("ada@example.com"));
        assert!(!facts.active);
    }

    #[test]
    fn normalize_refuses_unknown_schemas_and_missing_user_names() {
        let mut doc = user();
        doc.insert(
            "schemas".into(),
            json!([USER_SCHEMA, "urn:example:unknown"]),
        );
        assert_eq!(
            normalize(Kind::User, doc, &[])
                .expect_err("unknown")
                .scim_type,
            Some(ScimType::InvalidValue)
        );
        let mut doc = user();
        doc.remove("userName");
        assert_eq!(
            normalize(Kind::User, doc, &[])
                .expect_err("no userName")
                .scim_type,
            Some(ScimType::InvalidValue)
        );
        let mut doc = user();
        doc.insert("schemas".into(), json!([GROUP_SCHEMA]));
        assert!(normalize(Kind::User, doc, &[]).is_err());
        let mut doc = user();
        doc.insert("urn:example:ext:User".into(), json!({"x": 1}));
        assert!(
            normalize(Kind::User, doc.clone(), &[]).is_err(),
            "extension attribute without its schema"
        );
        doc.insert(
            "schemas".into(),
            json!([USER_SCHEMA, "urn:example:ext:User"]),
        );
        assert!(normalize(Kind::User, doc, &["urn:example:ext:User".to_owned()]).is_ok());
    }

    #[test]
    fn okta_deactivates_with_a_pathless_replace() {
        let mut doc = user();
        apply_patch(
            &mut doc,
            &patch(json!([{"op": "replace", "value": {"active": false}}])),
        )
        .expect("patch");
        assert_eq!(doc["active"], json!(false));
    }

    #[test]
    fn entra_capitalised_ops_and_string_booleans() {
        let mut doc = user();
        apply_patch(
            &mut doc,
            &patch(json!([
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "path": "displayName", "value": "Ada L."},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ada@new.example"},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"},
                {"op": "Replace", "path": "name.familyName", "value": "King"}
            ])),
        )
        .expect("patch");
        assert_eq!(doc["active"], json!(false));
        assert_eq!(doc["displayName"], json!("Ada L."));
        assert_eq!(doc["emails"][0]["value"], json!("ada@new.example"));
        assert_eq!(doc["emails"].as_array().map(Vec::len), Some(1));
        assert_eq!(doc[ENTERPRISE_SCHEMA]["department"], json!("R&D"));
        assert!(
            doc["schemas"]
                .as_array()
                .expect("schemas")
                .contains(&json!(ENTERPRISE_SCHEMA))
        );
        assert_eq!(doc["name"]["familyName"], json!("King"));
        assert_eq!(doc["name"]["givenName"], json!("Ada"));
    }

    #[test]
    fn entra_adds_a_work_email_through_a_filter_that_matches_nothing() {
        let mut doc = user();
        doc.remove("emails");
        apply_patch(&mut doc, &patch(json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "a@b.example"}]))).expect("patch");
        assert_eq!(
            doc["emails"],
            json!([{"type": "work", "value": "a@b.example"}])
        );
    }

    #[test]
    fn pathless_values_with_dotted_and_extension_keys() {
        let mut doc = user();
        apply_patch(
            &mut doc,
            &patch(json!([{"op": "replace", "value": {
                "name.givenName": "Augusta",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7"},
                "id": "ignored"
            }}])),
        )
        .expect("patch");
        assert_eq!(doc["name"]["givenName"], json!("Augusta"));
        assert_eq!(doc[ENTERPRISE_SCHEMA]["employeeNumber"], json!("7"));
        assert!(!doc.contains_key("id"));
    }

    #[test]
    fn group_member_add_and_both_remove_forms() {
        let mut group = match json!({"schemas": [GROUP_SCHEMA], "displayName": "Eng", "members": [{"value": "u1"}]})
        {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        apply_patch(&mut group, &patch(json!([{"op": "add", "path": "members", "value": [{"value": "u2"}, {"value": "u1"}]}]))).expect("add");
        assert_eq!(group_facts(&group).expect("facts").members, ["u1", "u2"]);
        // Okta: a filter in the path.
        apply_patch(
            &mut group,
            &patch(json!([{"op": "remove", "path": "members[value eq \"u1\"]"}])),
        )
        .expect("remove");
        assert_eq!(group_facts(&group).expect("facts").members, ["u2"]);
        // Entra ID: the members to remove in value.
        apply_patch(
            &mut group,
            &patch(json!([{"op": "Remove", "path": "members", "value": [{"value": "u2"}]}])),
        )
        .expect("remove");
        assert!(group_facts(&group).expect("facts").members.is_empty());
        // Remove everything.
        apply_patch(&mut group, &patch(json!([{"op": "add", "path": "members", "value": [{"value": "u3"}]}, {"op": "remove", "path": "members"}]))).expect("remove all");
        assert!(group_facts(&group).expect("facts").members.is_empty());
        // Okta rename: replace with the id in the value.
        apply_patch(
            &mut group,
            &patch(json!([{"op": "replace", "value": {"id": "g1", "displayName": "Engineering"}}])),
        )
        .expect("rename");
        assert_eq!(group["displayName"], json!("Engineering"));
    }

    #[test]
    fn bad_patches_are_refused() {
        let mut doc = user();
        let no_schema = match json!({"Operations": []}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        assert!(apply_patch(&mut doc, &no_schema).is_err());
        for ops in [
            json!([{"op": "move", "path": "active", "value": true}]),
            json!([{"op": "remove"}]),
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            json!([{"op": "replace", "path": "bad path", "value": "x"}]),
            json!([{"op": "replace", "value": "not an object"}]),
            json!([{"path": "active"}]),
        ] {
            assert!(apply_patch(&mut doc, &patch(ops.clone())).is_err(), "{ops}");
        }
    }

    #[test]
    fn projection_keeps_and_drops_what_is_named() {
        let mut doc = user();
        doc.insert("id".into(), json!("u1"));
        let only = project(
            doc.clone(),
            &["userName".into(), "name.givenName".into()],
            &[],
        );
        assert_eq!(
            Value::Object(only),
            json!({"schemas": [USER_SCHEMA], "id": "u1", "userName": "ada@example.com", "name": {"givenName": "Ada"}})
        );
        let without = project(
            doc,
            &[],
            &["emails".into(), "name.familyName".into(), "id".into()],
        );
        assert!(!without.contains_key("emails"));
        assert_eq!(without["name"], json!({"givenName": "Ada"}));
        assert_eq!(without["id"], json!("u1"), "id is always returned");
    }
}
