//! Down-conversion of an OpenAPI 3.1 document to OpenAPI 3.0, on untyped JSON,
//! before it is deserialized into `openapiv3::OpenAPI` (which, like
//! progenitor 0.15, only understands 3.0).
//!
//! Only Schema Objects are rewritten: `components.schemas`, the `schema` of
//! parameters and headers, the `schema` of media types (request bodies,
//! responses, `content` parameters), wherever they sit (components, paths,
//! callbacks), and recursively through `properties`, `items`,
//! `additionalProperties`, `allOf` / `anyOf` / `oneOf` and `not`. In a Schema
//! Object:
//!
//! | 3.1 | 3.0 |
//! |---|---|
//! | `type: [T, "null"]` | `type: T, nullable: true` |
//! | `type: ["null"]` | no `type`, `nullable: true` |
//! | `type: [T, U]` | an error naming the schema's JSON pointer |
//! | `anyOf` / `oneOf: [X, {type: "null"}]` (either order) | `X` merged into the schema, `nullable: true` |
//! | the same with `X = {$ref}` | `allOf: [X], nullable: true`, sibling keys (`title`, `description`, `default`, ...) kept |
//! | `anyOf` / `oneOf: [X, Y, ..., {type: "null"}]` | `anyOf` / `oneOf: [X, Y, ...], nullable: true` |
//! | `const: v` | `enum: [v]` |
//! | `exclusiveMinimum: n` (a number) | `minimum: n, exclusiveMinimum: true` |
//! | `exclusiveMaximum: n` (a number) | `maximum: n, exclusiveMaximum: true` |
//! | `examples: [a, ...]` | `example: a` |
//! | `$schema`, `contentMediaType`, `contentEncoding` | dropped |
//! | `true` / `false` as a schema | `{}` / `{not: {}}` |
//!
//! `examples` is only rewritten inside schemas: a parameter's or media type's
//! `examples` is a legitimate 3.0 map and is left alone.
//!
//! At the document level `jsonSchemaDialect`, `webhooks`, `$schema`,
//! `components.pathItems`, `info.summary` and `info.license.identifier` are
//! dropped and `openapi` becomes `"3.0.3"`. A 3.0 document goes through the
//! same steps (they are no-ops on valid 3.0).

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// The operation keys of a Path Item Object.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Keys a 3.1 Schema Object may carry that 3.0 does not know.
const SCHEMA_KEYS_31_ONLY: &[&str] = &["$schema", "contentMediaType", "contentEncoding"];

/// Keys that only describe a schema. When an `anyOf: [X, null]` is folded
/// into its parent, the parent's values of these win over X's.
const DESCRIPTIVE_KEYS: &[&str] = &[
    "title",
    "description",
    "default",
    "example",
    "deprecated",
    "readOnly",
    "writeOnly",
    "externalDocs",
];

/// Rewrites `doc` in place from OpenAPI 3.1 (or 3.0) to 3.0.3.
///
/// Every problem found is reported, one per line, each naming the JSON
/// pointer of the offending schema.
pub fn downconvert(doc: &mut Value) -> Result<()> {
    let Value::Object(root) = doc else {
        return Err(Error::msg("the document is not a JSON/YAML object"));
    };
    match root.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0") || v.starts_with("3.1") => {}
        Some(v) => {
            return Err(Error::msg(format!(
                "unsupported OpenAPI version {v:?} (expected 3.0.x or 3.1.x)"
            )));
        }
        None => {
            return Err(Error::msg(
                "no `openapi` version field: not an OpenAPI 3 document",
            ));
        }
    }

    for key in ["jsonSchemaDialect", "webhooks", "$schema"] {
        root.remove(key);
    }
    if let Some(Value::Object(info)) = root.get_mut("info") {
        info.remove("summary");
        if let Some(Value::Object(license)) = info.get_mut("license") {
            license.remove("identifier");
        }
    }
    root.insert("openapi".into(), json!("3.0.3"));

    let mut errs = Vec::new();
    if let Some(Value::Object(components)) = root.get_mut("components") {
        components.remove("pathItems");
        let base = "#/components";
        for_each_entry(components, "schemas", base, |s, p| {
            convert_schema(s, &p, &mut errs)
        });
        for_each_entry(components, "parameters", base, |x, p| {
            convert_parameter(x, &p, &mut errs)
        });
        for_each_entry(components, "headers", base, |x, p| {
            convert_parameter(x, &p, &mut errs)
        });
        for_each_entry(components, "responses", base, |x, p| {
            convert_response(x, &p, &mut errs)
        });
        for_each_entry(components, "requestBodies", base, |x, p| {
            convert_content_of(x, &p, &mut errs)
        });
        for_each_entry(components, "callbacks", base, |x, p| {
            convert_callback(x, &p, &mut errs)
        });
    }
    if let Some(Value::Object(paths)) = root.get_mut("paths") {
        for (path, item) in paths.iter_mut() {
            convert_path_item(item, &child("#/paths", path), &mut errs);
        }
    }

    if errs.is_empty() {
        Ok(())
    } else {
        Err(Error::msg(errs.join("\n")))
    }
}

/// `ptr/key` with JSON-pointer escaping of `key`.
pub fn child(ptr: &str, key: &str) -> String {
    format!("{ptr}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// Calls `f` on every value of the object `parent[key]`.
fn for_each_entry(
    parent: &mut Map<String, Value>, key: &str, ptr: &str, mut f: impl FnMut(&mut Value, String),
) {
    if let Some(Value::Object(entries)) = parent.get_mut(key) {
        let ptr = child(ptr, key);
        for (name, value) in entries.iter_mut() {
            f(value, child(&ptr, name));
        }
    }
}

fn convert_path_item(item: &mut Value, ptr: &str, errs: &mut Vec<String>) {
    let Value::Object(item) = item else { return };
    convert_parameters(item, ptr, errs);
    for method in METHODS {
        if let Some(Value::Object(op)) = item.get_mut(*method) {
            let ptr = child(ptr, method);
            convert_parameters(op, &ptr, errs);
            if let Some(body) = op.get_mut("requestBody") {
                convert_content_of(body, &child(&ptr, "requestBody"), errs);
            }
            for_each_entry(op, "responses", &ptr, |r, p| convert_response(r, &p, errs));
            for_each_entry(op, "callbacks", &ptr, |c, p| convert_callback(c, &p, errs));
        }
    }
}

fn convert_callback(callback: &mut Value, ptr: &str, errs: &mut Vec<String>) {
    if let Value::Object(expressions) = callback {
        for (expression, item) in expressions.iter_mut() {
            convert_path_item(item, &child(ptr, expression), errs);
        }
    }
}

fn convert_parameters(owner: &mut Map<String, Value>, ptr: &str, errs: &mut Vec<String>) {
    if let Some(Value::Array(params)) = owner.get_mut("parameters") {
        let ptr = child(ptr, "parameters");
        for (i, param) in params.iter_mut().enumerate() {
            convert_parameter(param, &child(&ptr, &i.to_string()), errs);
        }
    }
}

/// A Parameter or Header Object: its `schema`, or the schemas in its
/// `content`. Its own `examples` map is left alone.
fn convert_parameter(param: &mut Value, ptr: &str, errs: &mut Vec<String>) {
    let Value::Object(param) = param else { return };
    if let Some(schema) = param.get_mut("schema") {
        convert_schema(schema, &child(ptr, "schema"), errs);
    }
    convert_content(param, ptr, errs);
}

fn convert_response(response: &mut Value, ptr: &str, errs: &mut Vec<String>) {
    let Value::Object(response) = response else {
        return;
    };
    convert_content(response, ptr, errs);
    for_each_entry(response, "headers", ptr, |h, p| {
        convert_parameter(h, &p, errs)
    });
}

fn convert_content_of(owner: &mut Value, ptr: &str, errs: &mut Vec<String>) {
    if let Value::Object(owner) = owner {
        convert_content(owner, ptr, errs);
    }
}

/// The `schema` of every Media Type Object in `owner.content`. The media
/// type's own `examples` map is left alone.
fn convert_content(owner: &mut Map<String, Value>, ptr: &str, errs: &mut Vec<String>) {
    for_each_entry(owner, "content", ptr, |media_type, p| {
        if let Some(schema) = media_type.get_mut("schema") {
            convert_schema(schema, &child(&p, "schema"), errs);
        }
    });
}

/// Rewrites one Schema Object and, recursively, its subschemas.
fn convert_schema(schema: &mut Value, ptr: &str, errs: &mut Vec<String>) {
    if let Value::Bool(accept) = *schema {
        *schema = if accept {
            json!({})
        } else {
            json!({"not": {}})
        };
        return;
    }
    let Value::Object(obj) = schema else { return };

    for key in SCHEMA_KEYS_31_ONLY {
        obj.remove(*key);
    }
    // First, so that a member folded into this schema gets the rest.
    fold_null_union(obj, "anyOf");
    fold_null_union(obj, "oneOf");
    type_array(obj, ptr, errs);
    if let Some(value) = obj.remove("const") {
        obj.insert("enum".into(), json!([value]));
    }
    exclusive_bound(obj, "exclusiveMinimum", "minimum", true);
    exclusive_bound(obj, "exclusiveMaximum", "maximum", false);
    if matches!(obj.get("examples"), Some(Value::Array(_)))
        && let Some(Value::Array(examples)) = obj.remove("examples")
        && let Some(first) = examples.into_iter().next()
    {
        obj.entry("example").or_insert(first);
    }

    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        let ptr = child(ptr, "properties");
        for (name, prop) in props.iter_mut() {
            convert_schema(prop, &child(&ptr, name), errs);
        }
    }
    for key in ["items", "not"] {
        if let Some(sub) = obj.get_mut(key) {
            convert_schema(sub, &child(ptr, key), errs);
        }
    }
    // `additionalProperties: true/false` is valid 3.0: only recurse into a schema.
    if let Some(sub @ Value::Object(_)) = obj.get_mut("additionalProperties") {
        convert_schema(sub, &child(ptr, "additionalProperties"), errs);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(members)) = obj.get_mut(key) {
            let ptr = child(ptr, key);
            for (i, member) in members.iter_mut().enumerate() {
                convert_schema(member, &child(&ptr, &i.to_string()), errs);
            }
        }
    }
}

/// `{type: "null"}` or `{type: ["null"]}`.
fn is_null_schema(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => !ts.is_empty() && ts.iter().all(|t| t == "null"),
        _ => false,
    }
}

/// `anyOf` / `oneOf` with a `{type: "null"}` member.
fn fold_null_union(obj: &mut Map<String, Value>, key: &str) {
    let Some(Value::Array(members)) = obj.get(key) else {
        return;
    };
    if !members.iter().any(is_null_schema) {
        return;
    }
    let Some(Value::Array(members)) = obj.remove(key) else {
        return;
    };
    let mut rest: Vec<Value> = members.into_iter().filter(|m| !is_null_schema(m)).collect();
    obj.insert("nullable".into(), Value::Bool(true));
    match rest.len() {
        0 => {}
        1 => absorb(obj, rest.remove(0)),
        _ => {
            obj.insert(key.into(), Value::Array(rest));
        }
    }
}

/// Folds the single non-null member `member` of a nullable union into `obj`.
fn absorb(obj: &mut Map<String, Value>, member: Value) {
    match member {
        Value::Object(m) if !m.contains_key("$ref") => {
            // Merge unless a structural key disagrees; then keep it as a
            // one-member allOf, which means the same thing.
            let conflict = m.iter().any(|(k, v)| {
                !DESCRIPTIVE_KEYS.contains(&k.as_str())
                    && k != "nullable"
                    && obj.get(k).is_some_and(|existing| existing != v)
            });
            if conflict {
                push_all_of(obj, Value::Object(m));
            } else {
                for (k, v) in m {
                    obj.entry(k).or_insert(v);
                }
            }
        }
        // `anyOf: [true, null]`: anything, or null.
        Value::Bool(true) => {}
        // A `$ref` (3.0 ignores a `$ref`'s siblings, so `nullable` has to go
        // on a wrapper), or something odd like `false`.
        other => push_all_of(obj, other),
    }
}

fn push_all_of(obj: &mut Map<String, Value>, member: Value) {
    match obj.get_mut("allOf") {
        Some(Value::Array(all_of)) => all_of.push(member),
        _ => {
            obj.insert("allOf".into(), json!([member]));
        }
    }
}

fn type_array(obj: &mut Map<String, Value>, ptr: &str, errs: &mut Vec<String>) {
    let Some(Value::Array(types)) = obj.get("type") else {
        return;
    };
    let non_null: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
    let nullable = non_null.len() != types.len();
    match non_null.as_slice() {
        [] => {
            obj.remove("type");
        }
        [single] => {
            obj.insert("type".into(), single.clone());
        }
        several => {
            let list: Vec<String> = several.iter().map(Value::to_string).collect();
            errs.push(format!(
                "{ptr}: `type` lists more than one non-null type ({}); OpenAPI 3.0 has no \
                 equivalent: use anyOf/oneOf in the spec",
                list.join(", ")
            ));
            return;
        }
    }
    if nullable {
        obj.insert("nullable".into(), Value::Bool(true));
    }
}

/// 3.1's numeric `exclusiveMinimum: n` to 3.0's `minimum: n,
/// exclusiveMinimum: true` (and the same for maximum). When the schema also
/// has an inclusive bound that is stricter, that one is kept instead.
fn exclusive_bound(obj: &mut Map<String, Value>, exclusive: &str, bound: &str, is_min: bool) {
    let Some(Value::Number(n)) = obj.get(exclusive).cloned() else {
        return;
    };
    let inclusive_is_stricter = match (obj.get(bound).and_then(Value::as_f64), n.as_f64()) {
        (Some(b), Some(n)) => {
            if is_min {
                b > n
            } else {
                b < n
            }
        }
        _ => false,
    };
    if inclusive_is_stricter {
        obj.remove(exclusive);
    } else {
        obj.insert(bound.into(), Value::Number(n));
        obj.insert(exclusive.into(), Value::Bool(true));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a lone schema through the converter, as `components.schemas.S`.
    fn schema(input: Value) -> Value {
        let mut doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {"S": input}},
        });
        downconvert(&mut doc).unwrap();
        doc["components"]["schemas"]["S"].take()
    }

    fn schema_err(input: Value) -> String {
        let mut doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {"S": input}},
        });
        downconvert(&mut doc).unwrap_err().to_string()
    }

    #[test]
    fn type_array_with_null_becomes_nullable() {
        assert_eq!(
            schema(json!({"type": ["string", "null"], "format": "uuid"})),
            json!({"type": "string", "format": "uuid", "nullable": true})
        );
        assert_eq!(
            schema(json!({"type": ["null", "integer"]})),
            json!({"type": "integer", "nullable": true})
        );
        assert_eq!(
            schema(json!({"type": ["boolean"]})),
            json!({"type": "boolean"})
        );
    }

    #[test]
    fn type_null_alone_drops_the_type() {
        assert_eq!(schema(json!({"type": ["null"]})), json!({"nullable": true}));
    }

    #[test]
    fn type_array_nested_in_properties_items_and_additional_properties() {
        let out = schema(json!({
            "type": "object",
            "properties": {
                "a": {"type": "array", "items": {"type": ["string", "null"]}},
                "m": {"type": "object", "additionalProperties": {"type": ["integer", "null"]}},
                "n": {"not": {"type": ["string", "null"]}},
            },
        }));
        assert_eq!(
            out["properties"]["a"]["items"],
            json!({"type": "string", "nullable": true})
        );
        assert_eq!(
            out["properties"]["m"]["additionalProperties"],
            json!({"type": "integer", "nullable": true})
        );
        assert_eq!(
            out["properties"]["n"]["not"],
            json!({"type": "string", "nullable": true})
        );
    }

    #[test]
    fn several_non_null_types_is_an_error_naming_the_schema() {
        let err = schema_err(json!({
            "type": "object",
            "properties": {"x": {"type": ["string", "integer", "null"]}},
        }));
        assert!(err.contains("#/components/schemas/S/properties/x"), "{err}");
        assert!(err.contains("\"string\", \"integer\""), "{err}");
    }

    #[test]
    fn errors_in_operations_name_the_escaped_pointer() {
        let mut doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/users/{id}": {"get": {
                "parameters": [{"name": "id", "in": "path", "required": true,
                                "schema": {"type": ["string", "integer"]}}],
                "responses": {},
            }}},
        });
        let err = downconvert(&mut doc).unwrap_err().to_string();
        assert!(
            err.contains("#/paths/~1users~1{id}/get/parameters/0/schema"),
            "{err}"
        );
    }

    #[test]
    fn any_of_inline_and_null_is_merged_and_nullable() {
        // FastAPI's `Optional[UUID]`, either order.
        assert_eq!(
            schema(json!({
                "anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}],
                "title": "Ssh Key Id",
            })),
            json!({"type": "string", "format": "uuid", "nullable": true, "title": "Ssh Key Id"})
        );
        assert_eq!(
            schema(json!({"anyOf": [{"type": "null"}, {"type": "integer"}]})),
            json!({"type": "integer", "nullable": true})
        );
    }

    #[test]
    fn one_of_with_null_is_handled_like_any_of() {
        assert_eq!(
            schema(json!({"oneOf": [{"type": "boolean"}, {"type": "null"}]})),
            json!({"type": "boolean", "nullable": true})
        );
    }

    #[test]
    fn any_of_ref_and_null_becomes_nullable_all_of_keeping_siblings() {
        assert_eq!(
            schema(json!({
                "anyOf": [{"$ref": "#/components/schemas/Role"}, {"type": "null"}],
                "title": "Role",
                "description": "the role",
                "default": "member",
            })),
            json!({
                "allOf": [{"$ref": "#/components/schemas/Role"}],
                "nullable": true,
                "title": "Role",
                "description": "the role",
                "default": "member",
            })
        );
        assert_eq!(
            schema(json!({"anyOf": [{"type": "null"}, {"$ref": "#/components/schemas/R"}]})),
            json!({"allOf": [{"$ref": "#/components/schemas/R"}], "nullable": true})
        );
    }

    #[test]
    fn any_of_with_several_members_and_null_drops_null() {
        assert_eq!(
            schema(json!({"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]})),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
        );
        assert_eq!(
            schema(
                json!({"oneOf": [{"$ref": "#/components/schemas/A"}, {"type": "null"},
                                    {"$ref": "#/components/schemas/B"}]})
            ),
            json!({"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
                   "nullable": true})
        );
    }

    #[test]
    fn any_of_without_null_is_untouched() {
        let input = json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
        assert_eq!(schema(input.clone()), input);
    }

    #[test]
    fn any_of_null_nested_and_merged_member_is_converted_further() {
        // Optional[List[Optional[str]]] inside an array of objects.
        let out = schema(json!({
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "tags": {"anyOf": [
                        {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
                        {"type": "null"},
                    ]},
                },
            },
        }));
        assert_eq!(
            out["items"]["properties"]["tags"],
            json!({"type": "array", "nullable": true,
                   "items": {"type": "string", "nullable": true}})
        );
    }

    #[test]
    fn any_of_member_conflicting_with_parent_is_wrapped_not_merged() {
        assert_eq!(
            schema(json!({"type": "object", "anyOf": [{"type": "string"}, {"type": "null"}]})),
            json!({"type": "object", "allOf": [{"type": "string"}], "nullable": true})
        );
    }

    #[test]
    fn const_becomes_single_value_enum() {
        assert_eq!(
            schema(json!({"type": "string", "const": "user"})),
            json!({"type": "string", "enum": ["user"]})
        );
        let out = schema(json!({"allOf": [{"properties": {"kind": {"const": 3}}}]}));
        assert_eq!(out["allOf"][0]["properties"]["kind"], json!({"enum": [3]}));
    }

    #[test]
    fn numeric_exclusive_bounds_become_boolean_flags() {
        assert_eq!(
            schema(json!({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10.5})),
            json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true,
                   "maximum": 10.5, "exclusiveMaximum": true})
        );
        // A stricter inclusive bound wins; a weaker one is replaced.
        assert_eq!(
            schema(json!({"type": "number", "minimum": 5, "exclusiveMinimum": 1})),
            json!({"type": "number", "minimum": 5})
        );
        assert_eq!(
            schema(json!({"type": "number", "maximum": 9, "exclusiveMaximum": 3})),
            json!({"type": "number", "maximum": 3, "exclusiveMaximum": true})
        );
        // Already 3.0: untouched.
        let v30 = json!({"type": "number", "minimum": 1, "exclusiveMinimum": true});
        assert_eq!(schema(v30.clone()), v30);
        // Nested.
        let out =
            schema(json!({"type": "array", "items": {"type": "integer", "exclusiveMaximum": 100}}));
        assert_eq!(
            out["items"],
            json!({"type": "integer", "maximum": 100, "exclusiveMaximum": true})
        );
    }

    #[test]
    fn schema_examples_array_becomes_example() {
        assert_eq!(
            schema(json!({"type": "string", "examples": ["a", "b"]})),
            json!({"type": "string", "example": "a"})
        );
        assert_eq!(schema(json!({"examples": []})), json!({}));
        let out =
            schema(json!({"properties": {"p": {"oneOf": [{"type": "integer", "examples": [7]}]}}}));
        assert_eq!(
            out["properties"]["p"]["oneOf"][0],
            json!({"type": "integer", "example": 7})
        );
    }

    #[test]
    fn examples_maps_of_parameters_and_media_types_are_left_alone() {
        let examples = json!({"one": {"value": 1}, "two": {"summary": "2", "value": 2}});
        let mut doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/x": {"post": {
                "parameters": [{"name": "q", "in": "query", "examples": examples,
                                "schema": {"type": "integer", "examples": [1, 2]}}],
                "requestBody": {"content": {"application/json": {
                    "examples": examples,
                    "schema": {"type": "integer", "examples": [3]},
                }}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "examples": examples,
                    "schema": {"type": ["integer", "null"]},
                }}}},
            }}},
        });
        downconvert(&mut doc).unwrap();
        let op = &doc["paths"]["/x"]["post"];
        assert_eq!(op["parameters"][0]["examples"], examples);
        assert_eq!(
            op["parameters"][0]["schema"],
            json!({"type": "integer", "example": 1})
        );
        let body = &op["requestBody"]["content"]["application/json"];
        assert_eq!(body["examples"], examples);
        assert_eq!(body["schema"], json!({"type": "integer", "example": 3}));
        let ok = &op["responses"]["200"]["content"]["application/json"];
        assert_eq!(ok["examples"], examples);
        assert_eq!(ok["schema"], json!({"type": "integer", "nullable": true}));
    }

    #[test]
    fn schemas_are_found_in_every_location() {
        let n = || json!({"type": ["string", "null"]});
        let converted = json!({"type": "string", "nullable": true});
        let mut doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/x/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": n()}],
                "get": {
                    "parameters": [{"name": "h", "in": "header",
                                    "content": {"application/json": {"schema": n()}}}],
                    "responses": {"200": {"description": "ok", "headers": {"X-A": {"schema": n()}}}},
                    "callbacks": {"cb": {"{$request.body#/url}": {"post": {
                        "requestBody": {"content": {"application/json": {"schema": n()}}},
                        "responses": {},
                    }}}},
                },
            }},
            "components": {
                "parameters": {"P": {"name": "p", "in": "query", "schema": n()}},
                "headers": {"H": {"schema": n()}},
                "responses": {"R": {"description": "r", "content": {"text/plain": {"schema": n()}}}},
                "requestBodies": {"B": {"content": {"application/json": {"schema": n()}}}},
            },
        });
        downconvert(&mut doc).unwrap();
        for ptr in [
            "/paths/~1x~1{id}/parameters/0/schema",
            "/paths/~1x~1{id}/get/parameters/0/content/application~1json/schema",
            "/paths/~1x~1{id}/get/responses/200/headers/X-A/schema",
            "/paths/~1x~1{id}/get/callbacks/cb/{$request.body#~1url}/post/requestBody/content/application~1json/schema",
            "/components/parameters/P/schema",
            "/components/headers/H/schema",
            "/components/responses/R/content/text~1plain/schema",
            "/components/requestBodies/B/content/application~1json/schema",
        ] {
            assert_eq!(doc.pointer(ptr), Some(&converted), "{ptr}");
        }
    }

    #[test]
    fn document_level_31_keys_are_dropped_and_version_set() {
        let mut doc = json!({
            "openapi": "3.1.0",
            "$schema": "https://spec.openapis.org/oas/3.1/schema/2022-10-07",
            "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
            "webhooks": {"w": {}},
            "info": {"title": "t", "version": "1", "summary": "s",
                     "license": {"name": "MIT", "identifier": "MIT"}},
            "paths": {},
            "components": {
                "pathItems": {"p": {}},
                "schemas": {"S": {
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "type": "string",
                    "contentMediaType": "image/png",
                    "contentEncoding": "base64",
                    "properties": {"inner": {"type": "string", "contentEncoding": "base64"}},
                }},
            },
        });
        downconvert(&mut doc).unwrap();
        assert_eq!(
            doc,
            json!({
                "openapi": "3.0.3",
                "info": {"title": "t", "version": "1", "license": {"name": "MIT"}},
                "paths": {},
                "components": {"schemas": {"S": {
                    "type": "string",
                    "properties": {"inner": {"type": "string"}},
                }}},
            })
        );
    }

    #[test]
    fn boolean_schemas_become_objects_but_additional_properties_flags_stay() {
        assert_eq!(
            schema(json!({"type": "object", "additionalProperties": false,
                          "properties": {"any": true, "none": false}})),
            json!({"type": "object", "additionalProperties": false,
                   "properties": {"any": {}, "none": {"not": {}}}})
        );
    }

    #[test]
    fn non_openapi3_documents_are_refused() {
        let err = downconvert(&mut json!({"swagger": "2.0"})).unwrap_err();
        assert!(err.to_string().contains("not an OpenAPI 3"), "{err}");
        let err = downconvert(&mut json!({"openapi": "2.0"})).unwrap_err();
        assert!(err.to_string().contains("\"2.0\""), "{err}");
        assert!(downconvert(&mut json!([])).is_err());
    }

    #[test]
    fn a_30_document_is_left_as_it_is() {
        let mut doc = json!({
            "openapi": "3.0.2",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {"S": {
                "type": "string", "nullable": true, "example": "x",
                "allOf": [{"$ref": "#/components/schemas/T"}],
            }}},
        });
        let before = doc.clone();
        downconvert(&mut doc).unwrap();
        assert_eq!(doc["components"], before["components"]);
        assert_eq!(doc["openapi"], "3.0.3");
    }
}
