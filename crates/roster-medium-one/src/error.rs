//! Reading Medium One's error answers.
//!
//! The public docs describe statuses but not error bodies, so this reads
//! every shape a message plausibly comes in: a JSON string, an object with
//! `errors` / `error` / `message` / `detail` (a string or a list of
//! strings), or a short plain-text body. HTML and anything else give no
//! message, and the shared classifier falls back to the status.

use roster_core::{ErrorKind, Operation};
use roster_http::{ErrorDetail, ErrorResponse};
use serde_json::Value;

/// What the server says after too many failed logins.
pub(crate) const BAD_LOGIN_LOCKOUT: &str = "exceeded bad login count";

/// Whether an error body is the bad-login lockout, whatever its shape.
pub(crate) fn is_lockout(body: &[u8]) -> bool {
    String::from_utf8_lossy(body)
        .to_ascii_lowercase()
        .contains(BAD_LOGIN_LOCKOUT)
}

pub(crate) fn describe(response: &ErrorResponse<'_>) -> ErrorDetail {
    let mut detail = ErrorDetail {
        message: message(response.body),
        kind: None,
    };
    // `/user_create` answers 400 for a user who exists, but also for any
    // other input it refuses; the adapter reads it as `AlreadyExists` only
    // after a lookup confirms the user (see `MediumOneClient::create_user`),
    // so here a 400 is `InvalidInput` like everywhere else.
    // A rejected login is a credentials problem whatever the status
    // (the docs list 400 for a bad password and 403 for an unknown login).
    if response.operation == Operation::Login && matches!(response.status, 400 | 401 | 403) {
        detail.kind = Some(ErrorKind::Unauthenticated);
    }
    detail
}

fn message(body: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => json_message(&value),
        Err(_) => {
            let text = std::str::from_utf8(body).ok()?.trim();
            // Markup and broken JSON are not messages; the snippet keeps them.
            let structured = text.starts_with(['<', '{', '[', '"']);
            (!text.is_empty() && !structured && text.len() <= 512).then(|| text.to_owned())
        }
    }
}

fn json_message(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.clone()),
        Value::Array(items) => {
            let parts: Vec<&str> = items
                .iter()
                .filter_map(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        Value::Object(fields) => ["errors", "error", "message", "detail"]
            .iter()
            .find_map(|key| fields.get(*key).and_then(json_message)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_testkit::error_bodies::{assert_no_detail, describe_body};

    #[test]
    fn reads_every_plausible_message_shape() {
        for (body, expected) in [
            (
                r#"{"errors":["User already exists"]}"#,
                "User already exists",
            ),
            (r#"{"errors":["a","b"]}"#, "a; b"),
            (r#"{"error":"Not logged in"}"#, "Not logged in"),
            (r#"{"message":"nope"}"#, "nope"),
            (r#"{"detail":{"message":"deep"}}"#, "deep"),
            (r#""Exceeded bad login count""#, "Exceeded bad login count"),
            ("Exceeded bad login count", "Exceeded bad login count"),
        ] {
            let detail = describe_body(describe, Operation::ListUsers, 400, body);
            assert_eq!(detail.message.as_deref(), Some(expected), "{body}");
        }
    }

    #[test]
    fn html_empty_and_odd_bodies_give_no_detail() {
        let bodies = [
            "",
            "  ",
            "<html>502</html>",
            "null",
            "5",
            "{}",
            "[1,2]",
            "{\"err",
        ];
        assert_no_detail(describe, Operation::ListUsers, 502, &bodies);
    }

    #[test]
    fn a_400_is_left_to_the_shared_table_even_on_user_create() {
        for operation in [
            Operation::CreateUser,
            Operation::CreateTenant,
            Operation::AddMember,
            Operation::UpdateUser,
        ] {
            assert_eq!(
                describe_body(describe, operation, 400, "").kind,
                None,
                "{operation}"
            );
        }
    }

    #[test]
    fn rejected_logins_are_unauthenticated_and_lockouts_are_recognised() {
        for status in [400, 401, 403] {
            assert_eq!(
                describe_body(describe, Operation::Login, status, "").kind,
                Some(ErrorKind::Unauthenticated)
            );
        }
        assert_eq!(
            describe_body(describe, Operation::Login, 503, "").kind,
            None
        );
        assert!(is_lockout(br#"{"errors":["Exceeded bad login count"]}"#));
        assert!(!is_lockout(b"Invalid password"));
    }
}
