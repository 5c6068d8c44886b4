//! Our deliberate codegen transforms, applied to the (down-converted) spec
//! before progenitor sees it.
//!
//! 1. [`strip_error_responses`]: every non-2xx response, and `default`, is
//!    removed from every operation. All error statuses must reach the shared
//!    runtime error classifier in `roster-http` as
//!    `progenitor_client::Error::UnexpectedResponse(reqwest::Response)`, with
//!    status, headers and raw body intact. With a typed error schema,
//!    progenitor would decode the body itself: the classifier would get
//!    `Error::ErrorResponse` with the body already consumed, and a malformed
//!    error body would turn into `Error::InvalidResponsePayload`, which loses
//!    the status. With no error responses declared, every non-2xx status falls
//!    through to `UnexpectedResponse`.
//! 2. [`prevalidate`]: shapes that progenitor 0.15 panics on or silently gets
//!    wrong are refused up front with an error that names the spec file, the
//!    HTTP method and path and the operationId:
//!    - no `operationId` (progenitor unwraps it);
//!    - more than one distinct 2xx response body (progenitor asserts there is
//!      at most one success type);
//!    - more than one request-body media type (progenitor `todo!()`s);
//!    - a JSON media type (`application/json` or `*+json`) without a schema
//!      (progenitor `todo!()`s on a response and has no type for a body);
//!    - a query parameter with `explode: false` and an array or object schema:
//!      progenitor always serializes query parameters as `explode: true`
//!      (`?a=1&a=2` instead of `?a=1,2`), which puts the wrong thing on the
//!      wire.

use serde_json::Value;

use crate::downconvert::METHODS;
use crate::error::{Error, Result};

/// Removes every non-2xx response (and `default`) from every operation.
pub fn strip_error_responses(doc: &mut Value) {
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return;
    };
    for item in paths.values_mut() {
        for method in METHODS {
            if let Some(Value::Object(responses)) =
                item.get_mut(*method).and_then(|op| op.get_mut("responses"))
            {
                responses.retain(|code, _| is_success_status(code));
            }
        }
    }
}

/// `200`..`299` or `2XX`.
fn is_success_status(code: &str) -> bool {
    code.eq_ignore_ascii_case("2XX")
        || (code.len() == 3 && code.parse::<u16>().is_ok_and(|c| (200..300).contains(&c)))
}

/// `application/json`, `application/json; charset=utf-8`, `*/*+json`.
fn is_json_media_type(media_type: &str) -> bool {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

/// Follows local `$ref`s (`#/...`) to what they point at. A dangling or
/// external reference is returned as it is.
fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..32 {
        match value.get("$ref").and_then(Value::as_str) {
            Some(r) if r.starts_with('#') => match doc.pointer(&r[1..]) {
                Some(target) => value = target,
                None => return value,
            },
            _ => return value,
        }
    }
    value
}

/// What progenitor makes of one response (see `process_operation` in
/// progenitor-impl 0.15.1 `method.rs`).
#[derive(PartialEq)]
enum ResponseBody<'a> {
    /// `application/json` with this schema.
    Json(Option<&'a Value>),
    /// Some other content: a byte stream.
    Raw(&'a str),
    /// No content.
    None,
}

impl ResponseBody<'_> {
    fn describe(&self) -> String {
        match self {
            ResponseBody::Json(Some(schema)) => match schema.get("$ref").and_then(Value::as_str) {
                Some(r) => format!("JSON {r}"),
                None => format!("JSON {}", compact(schema)),
            },
            ResponseBody::Json(None) => "JSON without a schema".into(),
            ResponseBody::Raw(media_type) => format!("raw {media_type}"),
            ResponseBody::None => "no body".into(),
        }
    }
}

/// A schema for an error message, cut short if long.
fn compact(value: &Value) -> String {
    let s = value.to_string();
    if s.chars().count() > 80 {
        format!("{}...", s.chars().take(77).collect::<String>())
    } else {
        s
    }
}

fn response_body<'a>(doc: &'a Value, response: &'a Value) -> ResponseBody<'a> {
    let response = resolve(doc, response);
    let Some(Value::Object(content)) = response.get("content") else {
        return ResponseBody::None;
    };
    if let Some((_, media)) = content
        .iter()
        .find(|(mt, _)| *mt == "application/json" || mt.starts_with("application/json;"))
    {
        return ResponseBody::Json(media.get("schema"));
    }
    match content.keys().next() {
        Some(media_type) => ResponseBody::Raw(media_type),
        None => ResponseBody::None,
    }
}

/// Whether `schema` (after `$ref`s and one-member `allOf`s) is an array or an
/// object.
fn is_array_or_object(doc: &Value, schema: &Value) -> Option<&'static str> {
    let schema = resolve(doc, schema);
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => return Some("array"),
        Some("object") => return Some("object"),
        Some(_) => return None,
        None => {}
    }
    if schema.get("items").is_some() {
        return Some("array");
    }
    if schema.get("properties").is_some() || schema.get("additionalProperties").is_some() {
        return Some("object");
    }
    match schema
        .get("allOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([only]) => is_array_or_object(doc, only),
        _ => None,
    }
}

/// Refuses the operation shapes progenitor 0.15 panics on or gets wrong.
/// Runs after [`strip_error_responses`]. `spec` names the spec file in the
/// messages; every problem found is reported, one per line.
pub fn prevalidate(doc: &Value, spec: &str) -> Result<()> {
    let mut problems = Vec::new();
    let Some(Value::Object(paths)) = doc.get("paths") else {
        return Ok(());
    };
    for (path, item) in paths {
        let shared_params = item.get("parameters").and_then(Value::as_array);
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let op_id = op.get("operationId").and_then(Value::as_str);
            let mut report = |problem: String| {
                problems.push(format!(
                    "{spec}: {} {path} ({}): {problem}",
                    method.to_ascii_uppercase(),
                    op_id.unwrap_or("no operationId"),
                ));
            };

            if op_id.is_none_or(str::is_empty) {
                report(
                    "missing operationId; progenitor names the generated method after it".into(),
                );
            }

            // Success responses.
            let mut bodies: Vec<(&str, ResponseBody<'_>)> = Vec::new();
            if let Some(Value::Object(responses)) = op.get("responses") {
                for (code, response) in responses.iter().filter(|(c, _)| is_success_status(c)) {
                    bodies.push((code, response_body(doc, response)));
                    if let Some(Value::Object(content)) = resolve(doc, response).get("content") {
                        for (mt, media) in content {
                            if is_json_media_type(mt) && media.get("schema").is_none() {
                                report(format!(
                                    "the {code} response's media type {mt} has no schema"
                                ));
                            }
                        }
                    }
                }
            }
            let mut distinct: Vec<&ResponseBody<'_>> = Vec::new();
            for (_, body) in &bodies {
                if !distinct.contains(&body) {
                    distinct.push(body);
                }
            }
            if distinct.len() > 1 {
                let list: Vec<String> = bodies
                    .iter()
                    .map(|(code, body)| format!("{code}: {}", body.describe()))
                    .collect();
                report(format!(
                    "{} different 2xx response bodies ({}); progenitor 0.15 supports one \
                     success type per operation",
                    distinct.len(),
                    list.join("; ")
                ));
            }

            // Request body.
            if let Some(body) = op.get("requestBody")
                && let Some(Value::Object(content)) = resolve(doc, body).get("content")
            {
                if content.len() > 1 {
                    let types: Vec<&str> = content.keys().map(String::as_str).collect();
                    report(format!(
                        "the request body has {} media types ({}); progenitor 0.15 supports one",
                        content.len(),
                        types.join(", ")
                    ));
                }
                for (mt, media) in content {
                    if is_json_media_type(mt) && media.get("schema").is_none() {
                        report(format!("the request body's media type {mt} has no schema"));
                    }
                }
            }

            // Query parameters with `explode: false`.
            let own_params = op.get("parameters").and_then(Value::as_array);
            for param in shared_params.into_iter().chain(own_params).flatten() {
                let param = resolve(doc, param);
                if param.get("in").and_then(Value::as_str) != Some("query")
                    || param.get("explode") != Some(&Value::Bool(false))
                {
                    continue;
                }
                let Some(schema) = param.get("schema") else {
                    continue;
                };
                if let Some(kind) = is_array_or_object(doc, schema) {
                    let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
                    report(format!(
                        "query parameter `{name}` has `explode: false` and an {kind} schema; \
                         progenitor 0.15 always sends query parameters exploded, which would \
                         put the wrong thing on the wire"
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::msg(problems.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPEC: &str = "specs/test/openapi.json";

    fn doc(paths: Value) -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": paths,
            "components": {"schemas": {
                "Thing": {"type": "object", "properties": {"id": {"type": "string"}}},
                "Tags": {"type": "array", "items": {"type": "string"}},
            }},
        })
    }

    fn ok_json() -> Value {
        json!({"description": "ok", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Thing"}}}})
    }

    fn problems(d: &Value) -> String {
        prevalidate(d, SPEC).unwrap_err().to_string()
    }

    #[test]
    fn strips_every_non_2xx_response_and_default() {
        let mut d = doc(json!({
            "/things": {
                "get": {"operationId": "list", "responses": {
                    "200": ok_json(),
                    "201": {"description": "created"},
                    "2XX": {"description": "any success"},
                    "204": {"description": "none"},
                    "302": {"description": "moved"},
                    "404": {"description": "not found"},
                    "422": {"description": "invalid", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Thing"}}}},
                    "4XX": {"description": "client"},
                    "5XX": {"description": "server"},
                    "default": {"description": "error"},
                }},
                "parameters": [],
            },
            "/other": {"delete": {"operationId": "del", "responses": {
                "204": {"description": "gone"},
                "default": {"description": "error"},
            }}},
        }));
        strip_error_responses(&mut d);
        let codes = |p: &str, m: &str| -> Vec<String> {
            d["paths"][p][m]["responses"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        assert_eq!(codes("/things", "get"), ["200", "201", "204", "2XX"]);
        assert_eq!(codes("/other", "delete"), ["204"]);
    }

    #[test]
    fn a_clean_spec_passes() {
        let d = doc(json!({"/things/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": true,
                            "schema": {"type": "string"}}],
            "get": {"operationId": "get_thing", "responses": {"200": ok_json()}},
            "put": {"operationId": "put_thing",
                    "requestBody": {"content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Thing"}}}},
                    "responses": {"200": ok_json(), "201": ok_json()}},
            "delete": {"operationId": "del_thing", "responses": {"204": {"description": "gone"}}},
        }}));
        prevalidate(&d, SPEC).unwrap();
    }

    #[test]
    fn missing_operation_id_names_file_method_and_path() {
        let d = doc(json!({"/things": {"get": {"responses": {"200": ok_json()}}}}));
        let err = problems(&d);
        assert_eq!(
            err,
            "specs/test/openapi.json: GET /things (no operationId): missing operationId; \
             progenitor names the generated method after it"
        );
    }

    #[test]
    fn several_distinct_success_bodies_are_refused() {
        let d = doc(
            json!({"/things": {"post": {"operationId": "make", "responses": {
                "200": ok_json(),
                "204": {"description": "none"},
            }}}}),
        );
        let err = problems(&d);
        assert!(
            err.starts_with("specs/test/openapi.json: POST /things (make): 2 different 2xx"),
            "{err}"
        );
        assert!(
            err.contains("200: JSON #/components/schemas/Thing; 204: no body"),
            "{err}"
        );

        let d = doc(
            json!({"/things": {"get": {"operationId": "list", "responses": {
                "200": ok_json(),
                "203": {"description": "x", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Tags"}}}},
            }}}}),
        );
        assert!(problems(&d).contains("(list): 2 different 2xx"));

        // A $ref'd response is resolved before comparing.
        let mut d = doc(
            json!({"/things": {"get": {"operationId": "list", "responses": {
                "200": ok_json(),
                "202": {"$ref": "#/components/responses/Text"},
            }}}}),
        );
        d["components"]["responses"] =
            json!({"Text": {"description": "t", "content": {"text/plain": {}}}});
        assert!(problems(&d).contains("202: raw text/plain"));
    }

    #[test]
    fn several_request_body_media_types_are_refused() {
        let d = doc(json!({"/things": {"post": {
            "operationId": "make",
            "requestBody": {"content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}},
                "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/Thing"}},
            }},
            "responses": {"200": ok_json()},
        }}}));
        let err = problems(&d);
        assert!(err.starts_with("specs/test/openapi.json: POST /things (make): the request body has 2 media types (application/json, application/x-www-form-urlencoded)"), "{err}");
    }

    #[test]
    fn json_media_types_without_schema_are_refused() {
        let d = doc(json!({"/things": {"post": {
            "operationId": "make",
            "requestBody": {"content": {"application/merge-patch+json": {}}},
            "responses": {"200": {"description": "ok", "content": {
                "application/json; charset=utf-8": {}}}},
        }}}));
        let err = problems(&d);
        assert!(
            err.contains("POST /things (make): the 200 response's media type application/json; charset=utf-8 has no schema"),
            "{err}"
        );
        assert!(
            err.contains("POST /things (make): the request body's media type application/merge-patch+json has no schema"),
            "{err}"
        );
        // A non-JSON body without a schema is fine (a raw byte stream).
        let d = doc(
            json!({"/things": {"get": {"operationId": "get", "responses": {
            "200": {"description": "ok", "content": {"text/csv": {}}}}}}}),
        );
        prevalidate(&d, SPEC).unwrap();
    }

    #[test]
    fn unexploded_array_or_object_query_parameters_are_refused() {
        let d = doc(json!({"/things": {
            "parameters": [{"$ref": "#/components/parameters/Fields"}],
            "get": {
                "operationId": "list",
                "parameters": [
                    {"name": "tags", "in": "query", "explode": false,
                     "schema": {"$ref": "#/components/schemas/Tags"}},
                    {"name": "filter", "in": "query", "explode": false,
                     "schema": {"type": "object", "additionalProperties": {"type": "string"}}},
                    {"name": "ok1", "in": "query", "explode": false, "schema": {"type": "string"}},
                    {"name": "ok2", "in": "query", "schema": {"type": "array", "items": {}}},
                    {"name": "ok3", "in": "header", "explode": false, "schema": {"type": "array"}},
                ],
                "responses": {"200": ok_json()},
            },
        }}));
        let mut d = d;
        d["components"]["parameters"] = json!({"Fields": {"name": "fields", "in": "query",
            "explode": false, "schema": {"type": "array", "items": {"type": "string"}}}});
        let err = problems(&d);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 3, "{err}");
        assert!(lines[0].starts_with("specs/test/openapi.json: GET /things (list): query parameter `fields` has `explode: false` and an array schema"), "{err}");
        assert!(
            lines[1].contains("`tags` has `explode: false` and an array schema"),
            "{err}"
        );
        assert!(
            lines[2].contains("`filter` has `explode: false` and an object schema"),
            "{err}"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let d = doc(json!({
            "/a": {"get": {"responses": {"200": ok_json()}}},
            "/b": {"post": {"operationId": "b", "requestBody": {"content": {
                "application/json": {}, "text/plain": {"schema": {"type": "string"}}}},
                "responses": {}}},
        }));
        assert_eq!(problems(&d).lines().count(), 3);
    }
}
