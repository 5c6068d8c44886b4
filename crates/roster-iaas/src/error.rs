//! Reading the IaaS operator API's FastAPI error bodies.

use roster_http::{ErrorDetail, ErrorResponse};
use serde_json::Value;

/// Reads FastAPI's `{"detail": "text"}` and `{"detail": [{loc, msg, type}]}`.
///
/// Validation errors become `body.email: value is not a valid email address;
/// ...`, so the caller sees which field the server rejected. Anything else
/// (HTML from a proxy, an empty body) gives no detail, and the shared
/// classifier falls back to the status.
pub(crate) fn describe(response: &ErrorResponse<'_>) -> ErrorDetail {
    let Ok(body) = serde_json::from_slice::<Value>(response.body) else {
        return ErrorDetail::default();
    };
    match body.get("detail") {
        Some(Value::String(text)) => ErrorDetail::message(text.clone()),
        Some(Value::Array(items)) => {
            let parts: Vec<String> = items.iter().filter_map(validation_item).collect();
            if parts.is_empty() {
                ErrorDetail::default()
            } else {
                ErrorDetail::message(parts.join("; "))
            }
        }
        _ => ErrorDetail::default(),
    }
}

fn validation_item(item: &Value) -> Option<String> {
    let message = item.get("msg")?.as_str()?;
    let location: Vec<String> = item
        .get("loc")
        .and_then(Value::as_array)
        .map(|loc| {
            loc.iter()
                .map(|part| match part {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    Some(if location.is_empty() {
        message.to_owned()
    } else {
        format!("{}: {message}", location.join("."))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_core::Operation;
    use roster_testkit::error_bodies::{assert_no_detail, describe_body};

    #[test]
    fn reads_string_and_validation_details() {
        // FastAPI answers a validation error with 422.
        let message = |body| describe_body(describe, Operation::CreateUser, 422, body).message;
        assert_eq!(
            message(r#"{"detail":"User not found"}"#).as_deref(),
            Some("User not found")
        );
        let body = r#"{"detail":[{"loc":["body","email"],"msg":"value is not a valid email address","type":"value_error"},{"loc":["body","users",0,"pubkey"],"msg":"Field required","type":"missing"}]}"#;
        assert_eq!(
            message(body).as_deref(),
            Some(
                "body.email: value is not a valid email address; body.users.0.pubkey: Field required"
            )
        );
    }

    #[test]
    fn anything_else_gives_no_detail() {
        let bodies = [
            "",
            "<html>502</html>",
            "{\"detail\": 5}",
            "[1,2]",
            "{\"detail\":[{}]}",
            "{\"det",
        ];
        assert_no_detail(describe, Operation::CreateUser, 422, &bodies);
    }
}
