//! Reading Django REST framework error bodies, as the Adverity API sends them.

use roster_core::ErrorKind;
use roster_http::{ErrorDetail, ErrorResponse};
use serde_json::{Map, Value};

/// What DRF's uniqueness validators say ("user with this email already
/// exists."): a 400 that means the thing is already there.
const UNIQUENESS_MARKER: &str = "already exists";

/// Reads DRF's error shapes, keeping the server's own text:
///
/// - `{"detail": "Not found."}` becomes `Not found.`;
/// - field errors `{"email": ["Enter a valid email address."]}` become
///   `email: Enter a valid email address.` (fields joined with `; `,
///   `non_field_errors` without a prefix, nested objects as `a.b:`);
/// - a bare list `["..."]` (a `ValidationError` raised with a list) is
///   joined with `; `.
///
/// A 400 whose text carries DRF's uniqueness message ("... already
/// exists.") is `AlreadyExists` for a create and `Conflict` otherwise, so
/// `ensure_user` and `ensure_tenant` can adopt the winner of a race. Any
/// other body (HTML from a proxy, an empty body) gives no detail and the
/// shared classifier falls back to the status.
pub(crate) fn describe(response: &ErrorResponse<'_>) -> ErrorDetail {
    let Ok(body) = serde_json::from_slice::<Value>(response.body) else {
        return ErrorDetail::default();
    };
    let parts = match &body {
        Value::Object(map) => object_messages(map),
        Value::Array(items) => items.iter().flat_map(messages).collect(),
        _ => Vec::new(),
    };
    if parts.is_empty() {
        return ErrorDetail::default();
    }
    let message = parts.join("; ");
    let kind = (response.status == 400 && message.contains(UNIQUENESS_MARKER)).then(|| {
        if response.operation.is_create() {
            ErrorKind::AlreadyExists
        } else {
            ErrorKind::Conflict
        }
    });
    ErrorDetail {
        message: Some(message),
        kind,
    }
}

fn object_messages(map: &Map<String, Value>) -> Vec<String> {
    map.iter()
        .filter_map(|(field, value)| {
            let texts = messages(value);
            if texts.is_empty() {
                return None;
            }
            let text = texts.join(" ");
            Some(match field.as_str() {
                "detail" | "non_field_errors" => text,
                _ => format!("{field}: {text}"),
            })
        })
        .collect()
}

/// Every message in a DRF error value: a string, a list of them, or a
/// nested object of field errors (for list and nested serializers).
fn messages(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) if !text.trim().is_empty() => vec![text.clone()],
        Value::Array(items) => items.iter().flat_map(messages).collect(),
        Value::Object(map) => {
            let nested = object_messages(map);
            if nested.is_empty() {
                Vec::new()
            } else {
                vec![nested.join(", ")]
            }
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_core::Operation;
    use roster_testkit::error_bodies::{assert_no_detail, describe_body};

    fn message(body: &str) -> Option<String> {
        describe_body(describe, Operation::UpdateUser, 400, body).message
    }

    #[test]
    fn reads_detail_field_errors_and_lists() {
        assert_eq!(
            message(r#"{"detail":"Not found."}"#).as_deref(),
            Some("Not found.")
        );
        assert_eq!(
            message(r#"{"email":["Enter a valid email address."],"workspaces":["Invalid pk \"9\" - object does not exist."]}"#)
                .as_deref(),
            Some("email: Enter a valid email address.; workspaces: Invalid pk \"9\" - object does not exist.")
        );
        assert_eq!(
            message(r#"{"non_field_errors":["Bad combination."]}"#).as_deref(),
            Some("Bad combination.")
        );
        assert_eq!(
            message(r#"["First problem.","Second problem."]"#).as_deref(),
            Some("First problem.; Second problem.")
        );
        assert_eq!(
            message(r#"{"workspaces":{"0":["A valid integer is required."]}}"#).as_deref(),
            Some("workspaces: 0: A valid integer is required.")
        );
    }

    #[test]
    fn uniqueness_errors_are_already_exists_on_create_and_conflict_otherwise() {
        let body = r#"{"email":["user with this email already exists."]}"#;
        let create = describe_body(describe, Operation::CreateUser, 400, body);
        assert_eq!(create.kind, Some(ErrorKind::AlreadyExists));
        assert_eq!(
            create.message.as_deref(),
            Some("email: user with this email already exists.")
        );
        assert_eq!(
            describe_body(describe, Operation::UpdateUser, 400, body).kind,
            Some(ErrorKind::Conflict)
        );
        assert_eq!(
            describe_body(
                describe,
                Operation::CreateUser,
                400,
                r#"{"email":["Enter a valid email address."]}"#
            )
            .kind,
            None,
            "an ordinary field error keeps the status's kind"
        );
        assert_eq!(
            describe_body(describe, Operation::CreateUser, 500, body).kind,
            None,
            "only a 400 is read as a uniqueness error"
        );
    }

    #[test]
    fn anything_else_gives_no_detail() {
        let bodies = [
            "",
            "<html><h1>Server Error (500)</h1></html>",
            "{\"detail\": 5}",
            "[1,2]",
            "{}",
            "{\"email\": []}",
            "{\"det",
            "null",
        ];
        assert_no_detail(describe, Operation::CreateUser, 400, &bodies);
    }
}
