//! Response bodies generated from an OpenAPI document's own schemas, for
//! property tests that prove an adapter decodes everything its spec allows.
//!
//! [`Spec::parse`] reads a project spec (JSON or YAML, OpenAPI 3.0 or 3.1);
//! [`Spec::response`] finds an operation's success body schema, and
//! [`Spec::bodies`] turns a schema into a proptest strategy of JSON values
//! in one of five [`Mode`]s:
//!
//! - [`Mode::RequiredOnly`]: every object carries only its required keys;
//! - [`Mode::EveryField`]: every object carries every property it declares;
//! - [`Mode::ExtraFields`]: any declared property, plus unknown keys with
//!   values of any JSON type in every object;
//! - [`Mode::UnknownStrings`]: every enum (and every free string) takes
//!   values no spec lists, as a newer server would send;
//! - [`Mode::EmptyStrings`]: every string is empty, except identifiers
//!   (keys named `id`, `*_id`, `*Id`, `*ID`, `slug`, `uuid`), which an item
//!   cannot be used without.
//!
//! Identifiers are always non-empty, and `format: uuid` strings are UUIDs,
//! so every generated item has a usable id: a decoding failure is the
//! adapter's, never the generator's.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde_json::{Map, Value};

/// What the generated bodies stress; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Only required keys.
    RequiredOnly,
    /// Every declared key.
    EveryField,
    /// Declared keys at random, plus unknown ones.
    ExtraFields,
    /// Enum and free-string values no spec lists.
    UnknownStrings,
    /// Empty strings wherever a string is allowed, identifiers aside.
    EmptyStrings,
}

impl Mode {
    /// All five, for a test to loop over.
    pub const ALL: [Mode; 5] = [
        Mode::RequiredOnly,
        Mode::EveryField,
        Mode::ExtraFields,
        Mode::UnknownStrings,
        Mode::EmptyStrings,
    ];
}

/// An OpenAPI document to generate bodies from.
#[derive(Debug, Clone)]
pub struct Spec {
    doc: Value,
}

/// How deep schemas are followed before objects shrink to their required
/// keys and arrays to nothing (a recursive schema would not end otherwise).
const MAX_DEPTH: usize = 8;

impl Spec {
    /// Parses a spec in JSON or YAML. Panics on a malformed document: the
    /// specs are the project's own, checked by `cargo xtask codegen`.
    pub fn parse(text: &str) -> Spec {
        let doc = serde_json::from_str(text)
            .or_else(|_| serde_norway::from_str::<Value>(text))
            .expect("the spec is JSON or YAML");
        Spec { doc }
    }

    /// The JSON body schema of the first 2xx response of `method path`.
    /// Panics when the operation or its body is not in the spec.
    pub fn response(&self, method: &str, path: &str) -> Value {
        let operation = self
            .doc
            .get("paths")
            .and_then(|paths| paths.get(path))
            .and_then(|item| item.get(method.to_ascii_lowercase()))
            .unwrap_or_else(|| panic!("no operation {method} {path} in the spec"));
        let responses = operation["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} has no responses"));
        let (_, response) = responses
            .iter()
            .find(|(status, _)| status.starts_with('2'))
            .unwrap_or_else(|| panic!("{method} {path} has no 2xx response"));
        let response = self.resolve(response);
        response
            .pointer("/content/application~1json/schema")
            .cloned()
            .unwrap_or_else(|| panic!("{method} {path}: the 2xx response has no JSON body"))
    }

    /// The component schema `name`.
    pub fn schema(&self, name: &str) -> Value {
        self.doc
            .pointer(&format!("/components/schemas/{name}"))
            .cloned()
            .unwrap_or_else(|| panic!("no schema {name} in the spec"))
    }

    /// Bodies that `schema` allows, in `mode`. A top-level array holds at
    /// least one item, so a list test always has something to decode.
    pub fn bodies(&self, schema: &Value, mode: Mode) -> BoxedStrategy<Value> {
        self.strategy(schema, mode, None, 0, true)
    }

    fn resolve<'a>(&'a self, mut schema: &'a Value) -> &'a Value {
        for _ in 0..32 {
            match schema.get("$ref").and_then(Value::as_str) {
                Some(reference) => {
                    let pointer = reference.strip_prefix('#').unwrap_or_else(|| {
                        panic!("only local references are supported: {reference}")
                    });
                    schema = self
                        .doc
                        .pointer(pointer)
                        .unwrap_or_else(|| panic!("dangling reference {reference}"));
                }
                None => return schema,
            }
        }
        panic!("a reference loop")
    }

    fn strategy(
        &self, schema: &Value, mode: Mode, key: Option<&str>, depth: usize, top: bool,
    ) -> BoxedStrategy<Value> {
        let schema = self.resolve(schema);
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            return self.strategy(&self.merge_all_of(all), mode, key, depth, top);
        }
        for alternatives in ["oneOf", "anyOf"] {
            if let Some(options) = schema.get(alternatives).and_then(Value::as_array) {
                let choices: Vec<BoxedStrategy<Value>> = options
                    .iter()
                    .map(|option| self.strategy(option, mode, key, depth, top))
                    .collect();
                return proptest::strategy::Union::new(choices).boxed();
            }
        }
        let (types, nullable) = types_of(schema);
        let mut choices: Vec<BoxedStrategy<Value>> = types
            .iter()
            .map(|ty| self.typed(schema, ty, mode, key, depth, top))
            .collect();
        // A null where the schema allows it, except in the two modes that
        // promise every field a value.
        if nullable && !matches!(mode, Mode::EveryField | Mode::EmptyStrings) {
            choices.push(Just(Value::Null).boxed());
        }
        proptest::strategy::Union::new(choices).boxed()
    }

    fn typed(
        &self, schema: &Value, ty: &str, mode: Mode, key: Option<&str>, depth: usize, top: bool,
    ) -> BoxedStrategy<Value> {
        match ty {
            "object" => self.object(schema, mode, depth),
            "array" => {
                let items = schema.get("items").cloned().unwrap_or(Value::Bool(true));
                // The body's own list, or the list right inside its
                // envelope, always has an item to decode.
                let min = if top || depth <= 1 { 1 } else { 0 };
                let max = if depth >= MAX_DEPTH { min } else { min + 3 };
                let item = self.strategy(&items, mode, key, depth + 1, false);
                proptest::collection::vec(item, min..=max)
                    .prop_map(Value::Array)
                    .boxed()
            }
            "string" => string(schema, mode, key),
            "integer" => integer(schema),
            "number" => prop_oneof![
                integer(schema),
                (-1.0e6f64..1.0e6).prop_map(|n| serde_json::json!(n)),
            ]
            .boxed(),
            "boolean" => any::<bool>().prop_map(Value::Bool).boxed(),
            "null" => Just(Value::Null).boxed(),
            // `{}` or `true`: anything at all.
            _ => any_json(2),
        }
    }

    fn object(&self, schema: &Value, mode: Mode, depth: usize) -> BoxedStrategy<Value> {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let properties = schema
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let shallow = depth >= MAX_DEPTH;
        let mut fields: Vec<BoxedStrategy<Option<(String, Value)>>> = Vec::new();
        for (name, property) in &properties {
            let is_required = required.contains(&name.as_str());
            let value = self.strategy(property, mode, Some(name), depth + 1, false);
            let name = name.clone();
            let present = value.prop_map({
                let name = name.clone();
                move |v| Some((name.clone(), v))
            });
            let field = if is_required {
                present.boxed()
            } else if shallow || mode == Mode::RequiredOnly {
                Just(None).boxed()
            } else if mode == Mode::EveryField {
                present.boxed()
            } else {
                prop_oneof![Just(None), present].boxed()
            };
            fields.push(field);
        }
        let extra = match schema.get("additionalProperties") {
            Some(Value::Object(values)) if !shallow => {
                let value =
                    self.strategy(&Value::Object(values.clone()), mode, None, depth + 1, false);
                proptest::collection::btree_map("[a-z]{1,6}", value, 0..3).boxed()
            }
            _ => Just(BTreeMap::new()).boxed(),
        };
        // A map (`additionalProperties` with a schema) has no unknown keys:
        // every key it can hold is typed by that schema.
        let is_map = matches!(schema.get("additionalProperties"), Some(Value::Object(_)));
        let unknown = if mode == Mode::ExtraFields && !is_map {
            proptest::collection::btree_map("x_[a-z]{1,8}", any_json(2), 1..4).boxed()
        } else {
            Just(BTreeMap::new()).boxed()
        };
        (fields, extra, unknown)
            .prop_map(|(fields, extra, unknown)| {
                let mut object = Map::new();
                for (k, v) in unknown.into_iter().chain(extra) {
                    object.insert(k, v);
                }
                for (k, v) in fields.into_iter().flatten() {
                    object.insert(k, v);
                }
                Value::Object(object)
            })
            .boxed()
    }

    fn merge_all_of(&self, parts: &[Value]) -> Value {
        let mut merged = Map::new();
        let mut properties = Map::new();
        let mut required = Vec::new();
        for part in parts {
            let part = self.resolve(part);
            let part = match part.get("allOf").and_then(Value::as_array) {
                Some(inner) => self.merge_all_of(inner),
                None => part.clone(),
            };
            if let Some(p) = part.get("properties").and_then(Value::as_object) {
                properties.extend(p.clone());
            }
            if let Some(r) = part.get("required").and_then(Value::as_array) {
                required.extend(r.iter().cloned());
            }
            for (k, v) in part.as_object().into_iter().flatten() {
                if !matches!(k.as_str(), "properties" | "required") {
                    merged.insert(k.clone(), v.clone());
                }
            }
        }
        if !properties.is_empty() {
            merged.insert("type".into(), Value::from("object"));
            merged.insert("properties".into(), Value::Object(properties));
            merged.insert("required".into(), Value::Array(required));
        }
        Value::Object(merged)
    }
}

/// The JSON types a schema allows (3.0 `type` + `nullable`, or a 3.1 type
/// list with `"null"`), and whether null is among them.
fn types_of(schema: &Value) -> (Vec<String>, bool) {
    let mut nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
    let mut types: Vec<String> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ if schema.get("properties").is_some() => vec!["object".into()],
        _ if schema.get("items").is_some() => vec!["array".into()],
        _ if schema.get("enum").is_some() => vec!["string".into()],
        _ => vec!["any".into()],
    };
    if let Some(position) = types.iter().position(|t| t == "null") {
        types.remove(position);
        nullable = true;
    }
    if types.is_empty() {
        types.push("null".into());
    }
    (types, nullable)
}

/// Runs `check` on `cases` generated bodies of `schema` in every [`Mode`],
/// as a proptest property: the first failing body is reported (shrunk where
/// proptest can) with the mode and the check's message.
///
/// `setup` runs once, on the runtime the checks run on, so a wiremock
/// server and a client can be shared by every case. Call it from a plain
/// `#[test]`, not from inside a tokio runtime.
pub fn for_each_body<S>(
    spec: &Spec, schema: &Value, cases: u32, setup: impl AsyncFnOnce() -> S,
    check: impl AsyncFn(&S, Mode, Value) -> Result<(), String>,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let state = runtime.block_on(setup());
    for mode in Mode::ALL {
        let strategy = spec.bodies(schema, mode);
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases,
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        });
        let outcome = runner.run(&strategy, |body| {
            runtime
                .block_on(check(&state, mode, body))
                .map_err(proptest::test_runner::TestCaseError::fail)
        });
        if let Err(failure) = outcome {
            panic!("{mode:?} bodies: {failure}");
        }
    }
}

/// Forgets every mock on `server`, then answers `GET route` with `body`.
pub async fn serve_get(server: &wiremock::MockServer, route: &str, body: &Value) {
    server.reset().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path(route))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// Checks that a record's provider data is `item`, the JSON the server sent.
pub fn kept_as_sent(data: Option<&roster_core::ProviderData>, item: &Value) -> Result<(), String> {
    let data = data.ok_or("no provider data")?;
    let kept: Value = serde_json::from_str(data.get()).map_err(|e| e.to_string())?;
    (kept == *item)
        .then_some(())
        .ok_or_else(|| format!("provider data {kept} is not the item {item}"))
}

/// Checks that `records` are one per item, in order, and that each fits
/// its item by `check`; the first misfit is the error.
pub fn one_per_item<R>(
    what: &str, records: &[R], items: &[Value], check: impl Fn(&R, &Value) -> Result<(), String>,
) -> Result<(), String> {
    if records.len() != items.len() {
        return Err(format!(
            "{} {what} for {} items",
            records.len(),
            items.len()
        ));
    }
    records
        .iter()
        .zip(items)
        .try_for_each(|(record, item)| check(record, item))
}

/// Whether a key names an identifier, which must stay usable.
pub fn is_id_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    lower == "id"
        || lower == "slug"
        || lower == "uuid"
        || lower.ends_with("_id")
        || key.ends_with("Id")
        || key.ends_with("ID")
}

fn string(schema: &Value, mode: Mode, key: Option<&str>) -> BoxedStrategy<Value> {
    let id = key.is_some_and(is_id_key);
    let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
    if format == "uuid" {
        return any::<u128>()
            .prop_map(|n| Value::String(uuid::Uuid::from_u128(n).to_string()))
            .boxed();
    }
    if id {
        return "[A-Za-z0-9][A-Za-z0-9._|@-]{0,15}"
            .prop_map(Value::String)
            .boxed();
    }
    if mode == Mode::EmptyStrings {
        return Just(Value::String(String::new())).boxed();
    }
    let known: Vec<Value> = schema
        .get("enum")
        .and_then(Value::as_array)
        .map(|values| values.iter().filter(|v| v.is_string()).cloned().collect())
        .unwrap_or_default();
    if mode == Mode::UnknownStrings {
        // Not one of the listed values, and not a near miss of one either.
        return "zz-[a-z]{1,8}( [A-Z][a-z]{0,6})?"
            .prop_map(Value::String)
            .boxed();
    }
    if !known.is_empty() {
        return proptest::sample::select(known).boxed();
    }
    match format {
        "date-time" => (2000u32..2100, 1u32..=12, 1u32..=28, 0u32..24, 0u32..60)
            .prop_map(|(y, mo, d, h, mi)| {
                Value::String(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00Z"))
            })
            .boxed(),
        "date" => (2000u32..2100, 1u32..=12, 1u32..=28)
            .prop_map(|(y, mo, d)| Value::String(format!("{y:04}-{mo:02}-{d:02}")))
            .boxed(),
        "email" => prop_oneof![
            "[a-z]{1,8}(\\+[a-z]{1,4})?@[a-z]{1,8}\\.(io|com)".prop_map(Value::String),
            "[ -~]{0,12}".prop_map(Value::String),
        ]
        .boxed(),
        _ => "[ -~]{0,16}".prop_map(Value::String).boxed(),
    }
}

fn integer(schema: &Value) -> BoxedStrategy<Value> {
    let min = schema
        .get("minimum")
        .and_then(Value::as_i64)
        .unwrap_or(-1_000_000);
    let max = schema
        .get("maximum")
        .and_then(Value::as_i64)
        .unwrap_or(1_000_000)
        .max(min);
    (min..=max).prop_map(Value::from).boxed()
}

/// Any JSON value, nested at most `depth` deep.
fn any_json(depth: u32) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[ -~]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(depth, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{1,5}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::test_runner::{Config, TestRunner};

    const SPEC: &str = r##"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /users:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: array
                items: {$ref: '#/components/schemas/User'}
components:
  schemas:
    User:
      type: object
      required: [id, role]
      properties:
        id: {type: string}
        role: {type: string, enum: [admin, user]}
        name: {type: string, nullable: true}
        org_id: {type: string, format: uuid}
        tags: {type: array, items: {type: string}}
        meta:
          allOf:
            - type: object
              required: [a]
              properties: {a: {type: integer, minimum: 0, maximum: 5}}
"##;

    fn sample(mode: Mode, n: u32) -> Vec<Value> {
        let spec = Spec::parse(SPEC);
        let strategy = spec.bodies(&spec.response("GET", "/users"), mode);
        let mut runner = TestRunner::new(Config::with_cases(n));
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(strategy.new_tree(&mut runner).expect("tree").current());
        }
        out
    }

    fn users(bodies: &[Value]) -> Vec<&Map<String, Value>> {
        bodies
            .iter()
            .flat_map(|b| b.as_array().expect("array"))
            .map(|u| u.as_object().expect("object"))
            .collect()
    }

    #[test]
    fn required_only_and_every_field() {
        let required = sample(Mode::RequiredOnly, 20);
        for user in users(&required) {
            let mut keys: Vec<&str> = user.keys().map(String::as_str).collect();
            keys.sort();
            assert_eq!(keys, ["id", "role"]);
            assert!(["admin", "user"].contains(&user["role"].as_str().unwrap()));
        }
        for user in users(&sample(Mode::EveryField, 20)) {
            assert_eq!(user.len(), 6, "{user:?}");
            assert!(user["name"].is_string());
            let a = user["meta"]["a"].as_i64().unwrap();
            assert!((0..=5).contains(&a));
            uuid::Uuid::parse_str(user["org_id"].as_str().unwrap()).expect("uuid");
        }
    }

    #[test]
    fn extra_unknown_and_empty() {
        assert!(
            users(&sample(Mode::ExtraFields, 20))
                .iter()
                .all(|u| u.keys().any(|k| k.starts_with("x_")))
        );
        for user in users(&sample(Mode::UnknownStrings, 20)) {
            assert!(user["role"].as_str().unwrap().starts_with("zz-"));
        }
        for user in users(&sample(Mode::EmptyStrings, 20)) {
            assert_eq!(user["role"], "");
            assert!(!user["id"].as_str().unwrap().is_empty(), "ids stay usable");
        }
        assert!(
            sample(Mode::RequiredOnly, 10)
                .iter()
                .all(|b| !b.as_array().unwrap().is_empty())
        );
    }

    #[test]
    fn every_mode_runs_its_cases_and_a_failure_names_the_mode() {
        let spec = Spec::parse(SPEC);
        let schema = spec.response("GET", "/users");
        let seen = std::sync::Mutex::new(Vec::new());
        for_each_body(
            &spec,
            &schema,
            5,
            async || (),
            async |_, mode, body| {
                assert!(body.is_array());
                seen.lock().unwrap().push(mode);
                Ok(())
            },
        );
        let seen = seen.into_inner().unwrap();
        for mode in Mode::ALL {
            assert_eq!(seen.iter().filter(|m| **m == mode).count(), 5, "{mode:?}");
        }
        let failed = std::panic::catch_unwind(|| {
            for_each_body(
                &spec,
                &schema,
                5,
                async || (),
                async |_, mode, _| {
                    if mode == Mode::UnknownStrings {
                        Err("no".to_owned())
                    } else {
                        Ok(())
                    }
                },
            )
        })
        .expect_err("the failing mode panics");
        let message = failed.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.starts_with("UnknownStrings bodies:"), "{message}");
    }

    #[test]
    fn id_keys() {
        for id in ["id", "user_id", "userId", "UserID", "slug", "uuid", "ID"] {
            assert!(is_id_key(id), "{id}");
        }
        for other in ["idle", "name", "email", "valid"] {
            assert!(!is_id_key(other), "{other}");
        }
    }
}
