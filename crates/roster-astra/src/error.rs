//! Reading the Astra DevOps API's error bodies.

use roster_http::{ErrorDetail, ErrorResponse};
use serde_json::Value;

/// Reads `{"errors": [{"ID": 2000, "message": "..."}]}`: every message is
/// kept, joined with `; `. Anything else (HTML from a proxy, an empty body)
/// gives no detail, and the shared classifier falls back to the status.
pub(crate) fn describe(response: &ErrorResponse<'_>) -> ErrorDetail {
    let Ok(body) = serde_json::from_slice::<Value>(response.body) else {
        return ErrorDetail::default();
    };
    let Some(errors) = body
        .get("errors")
        .or_else(|| body.get("Errors"))
        .and_then(Value::as_array)
    else {
        return ErrorDetail::default();
    };
    let messages: Vec<&str> = errors
        .iter()
        .filter_map(|item| item.get("message").or_else(|| item.get("Message")))
        .filter_map(Value::as_str)
        .map(str::trim)
        .filter(|message| !message.is_empty())
        .collect();
    if messages.is_empty() {
        ErrorDetail::default()
    } else {
        ErrorDetail::message(messages.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_core::Operation;
    use roster_testkit::error_bodies::{assert_no_detail, describe_body};

    #[test]
    fn keeps_every_message() {
        let message = |body| describe_body(describe, Operation::CreateUser, 400, body).message;
        let body = r#"{"errors":[{"ID":2000,"message":"invalid email"},{"ID":2001,"message":"unknown role"}]}"#;
        assert_eq!(
            message(body).as_deref(),
            Some("invalid email; unknown role")
        );
        assert_eq!(
            message(r#"{"errors":[{"id":1,"message":"x"}]}"#).as_deref(),
            Some("x")
        );
    }

    #[test]
    fn anything_else_gives_no_detail() {
        let bodies = [
            "",
            "<html>502</html>",
            "{\"errors\": 5}",
            "{\"errors\": []}",
            "{\"errors\": [{\"ID\": 1}]}",
            "{\"errors\": [{\"message\": \"  \"}]}",
            "[1,2]",
            "{\"err",
        ];
        assert_no_detail(describe, Operation::CreateUser, 400, &bodies);
    }
}
