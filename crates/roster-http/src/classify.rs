//! Turning an HTTP answer into a Roster [`Error`], in one place.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use roster_core::{Error, ErrorKind, Operation};

use crate::redact::Redactor;

/// An error answer, as the shared classifier hands it to an adapter's
/// [`DescribeError`] function.
#[derive(Debug, Clone, Copy)]
pub struct ErrorResponse<'a> {
    /// The HTTP status.
    pub status: u16,
    /// The operation that was attempted.
    pub operation: Operation,
    /// The response headers.
    pub headers: &'a HeaderMap,
    /// The response body (at most [`MAX_ERROR_BODY_BYTES`] of it).
    pub body: &'a [u8],
}

/// What an adapter can tell about an error answer from its own body format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetail {
    /// The provider's own message, such as FastAPI's `detail` or NetBird's
    /// `message`. It is redacted and shortened before it is used.
    pub message: Option<String>,
    /// A kind that overrides the status-based default, for providers that
    /// use a status in their own way.
    pub kind: Option<ErrorKind>,
}

impl ErrorDetail {
    /// A detail carrying the provider's message.
    pub fn message(message: impl Into<String>) -> Self {
        ErrorDetail {
            message: Some(message.into()),
            kind: None,
        }
    }
}

/// An adapter's reader for its provider's error bodies. It must not panic
/// on any input; it returns [`ErrorDetail::default`] when it cannot tell.
pub type DescribeError = fn(&ErrorResponse<'_>) -> ErrorDetail;

/// A [`DescribeError`] that knows nothing about the body.
pub fn no_detail(_: &ErrorResponse<'_>) -> ErrorDetail {
    ErrorDetail::default()
}

/// How much of an error body is read. The rest is dropped unread, so a
/// hostile or broken server cannot make an error allocate without bound.
pub const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// The longest provider message an error keeps, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 512;

/// The default [`ErrorKind`] for an HTTP status.
///
/// | status | kind |
/// |---|---|
/// | 400, 413, 414, 422, 431 | `InvalidInput` |
/// | 401 | `Unauthenticated` |
/// | 403 | `PermissionDenied` |
/// | 404, 410 | `NotFound` |
/// | 405, 501 | `Unsupported` |
/// | 408 | `Timeout` |
/// | 409 | `AlreadyExists` for a create, else `Conflict` |
/// | 412 | `Conflict` |
/// | 429 | `RateLimited` |
/// | anything else | `Unexpected` |
pub fn kind_for_status(status: u16, operation: Operation) -> ErrorKind {
    match status {
        400 | 413 | 414 | 422 | 431 => ErrorKind::InvalidInput,
        401 => ErrorKind::Unauthenticated,
        403 => ErrorKind::PermissionDenied,
        404 | 410 => ErrorKind::NotFound,
        405 | 501 => ErrorKind::Unsupported,
        408 => ErrorKind::Timeout,
        409 if operation.is_create() => ErrorKind::AlreadyExists,
        409 | 412 => ErrorKind::Conflict,
        429 => ErrorKind::RateLimited,
        _ => ErrorKind::Unexpected,
    }
}

/// Parses a `Retry-After` value: either delay-seconds or an HTTP-date,
/// which is measured from `now` (a date in the past means "now").
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Headers providers use for a request id, checked in this order.
const REQUEST_ID_HEADERS: [&str; 4] = [
    "x-request-id",
    "request-id",
    "x-correlation-id",
    "x-amzn-requestid",
];

/// The provider's request id, if it sent a printable one.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS.iter().find_map(|name| {
        let value = headers.get(*name)?.to_str().ok()?.trim();
        let printable =
            !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_graphic());
        printable.then(|| value.to_owned())
    })
}

/// Builds the [`Error`] for an HTTP answer the operation did not expect:
/// the kind from the status (or the adapter's override), the provider's
/// message, status, request id, `Retry-After`, and a redacted body snippet.
pub fn classify_response(
    provider: &'static str, operation: Operation, status: u16, headers: &HeaderMap, body: &[u8],
    describe: DescribeError, redactor: &Redactor,
) -> Error {
    let success = (200..400).contains(&status);
    let detail = if success {
        ErrorDetail::default()
    } else {
        describe(&ErrorResponse {
            status,
            operation,
            headers,
            body,
        })
    };
    let kind = match detail.kind {
        Some(kind) => kind,
        None if success => ErrorKind::Unexpected,
        None => kind_for_status(status, operation),
    };
    let message = match detail.message {
        Some(message) if !message.trim().is_empty() => {
            let mut message = redactor.snippet(message.as_bytes(), MAX_MESSAGE_BYTES);
            if message.is_empty() {
                message = reason(status);
            }
            message
        }
        _ if success => format!("unexpected answer {} for this operation", reason(status)),
        _ => reason(status),
    };
    let mut error = Error::new(kind, message)
        .with_provider(provider)
        .with_operation(operation)
        .with_status(status);
    if let Some(id) = request_id(headers) {
        error = error.with_request_id(id);
    }
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_retry_after(value, SystemTime::now()));
    if let Some(wait) = retry_after {
        error = error.with_retry_after(wait);
    }
    if !body.is_empty() {
        error = error.with_body_snippet(redactor.snippet(body, Error::MAX_SNIPPET_BYTES));
    }
    error
}

fn reason(status: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason());
    match reason {
        Some(reason) => format!("HTTP {status} {reason}"),
        None => format!("HTTP {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn status_table() {
        use ErrorKind::*;
        let cases = [
            (400, InvalidInput),
            (401, Unauthenticated),
            (403, PermissionDenied),
            (404, NotFound),
            (405, Unsupported),
            (408, Timeout),
            (409, Conflict),
            (410, NotFound),
            (412, Conflict),
            (422, InvalidInput),
            (429, RateLimited),
            (500, Unexpected),
            (501, Unsupported),
            (502, Unexpected),
            (503, Unexpected),
            (504, Unexpected),
            (418, Unexpected),
        ];
        for (status, kind) in cases {
            assert_eq!(
                kind_for_status(status, Operation::UpdateUser),
                kind,
                "{status}"
            );
        }
        assert_eq!(kind_for_status(409, Operation::CreateUser), AlreadyExists);
        assert_eq!(kind_for_status(409, Operation::CreateTenant), AlreadyExists);
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").expect("date");
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means retry now"
        );
        for bad in ["", "-5", "1.5", "soon", "99999999999999999999999"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn request_id_must_be_printable_and_short() {
        let mut headers = HeaderMap::new();
        headers.insert("request-id", HeaderValue::from_static("abc-123"));
        assert_eq!(request_id(&headers).as_deref(), Some("abc-123"));
        headers.insert("x-request-id", HeaderValue::from_static("first"));
        assert_eq!(request_id(&headers).as_deref(), Some("first"));
        let mut long = HeaderMap::new();
        long.insert(
            "x-request-id",
            HeaderValue::from_str(&"a".repeat(200)).expect("ascii"),
        );
        assert_eq!(request_id(&long), None);
    }

    fn detail_from_json(response: &ErrorResponse<'_>) -> ErrorDetail {
        let value: serde_json::Value = match serde_json::from_slice(response.body) {
            Ok(value) => value,
            Err(_) => return ErrorDetail::default(),
        };
        ErrorDetail {
            message: value["message"].as_str().map(str::to_owned),
            kind: (value["code"] == "gone").then_some(ErrorKind::NotFound),
        }
    }

    #[test]
    fn classify_uses_provider_message_status_ids_and_retry_after() {
        let redactor = Redactor::default();
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("7"));
        headers.insert("x-request-id", HeaderValue::from_static("req-9"));
        let err = classify_response(
            "p",
            Operation::ListUsers,
            429,
            &headers,
            br#"{"message":"slow down"}"#,
            detail_from_json,
            &redactor,
        );
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert_eq!(err.message(), "slow down");
        assert_eq!(err.status(), Some(429));
        assert_eq!(err.request_id(), Some("req-9"));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(err.body_snippet(), Some(r#"{"message":"slow down"}"#));
        assert!(err.is_temporary());
    }

    #[test]
    fn classify_lets_the_adapter_override_the_kind() {
        let err = classify_response(
            "p",
            Operation::GetUser,
            400,
            &HeaderMap::new(),
            br#"{"message":"gone","code":"gone"}"#,
            detail_from_json,
            &Redactor::default(),
        );
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn classify_html_and_empty_bodies_without_a_message() {
        let html = classify_response(
            "p",
            Operation::GetUser,
            502,
            &HeaderMap::new(),
            b"<html><body><h1>502 Bad Gateway</h1></body></html>",
            detail_from_json,
            &Redactor::default(),
        );
        assert_eq!(html.kind(), ErrorKind::Unexpected);
        assert_eq!(html.message(), "HTTP 502 Bad Gateway");
        assert!(
            html.body_snippet()
                .expect("snippet")
                .contains("502 Bad Gateway")
        );
        assert!(html.is_temporary());

        let empty = classify_response(
            "p",
            Operation::DeleteUser,
            404,
            &HeaderMap::new(),
            b"",
            no_detail,
            &Redactor::default(),
        );
        assert_eq!(empty.kind(), ErrorKind::NotFound);
        assert_eq!(empty.body_snippet(), None);
    }

    #[test]
    fn an_unexpected_success_status_is_unexpected() {
        let err = classify_response(
            "p",
            Operation::DeleteUser,
            200,
            &HeaderMap::new(),
            b"{}",
            detail_from_json,
            &Redactor::default(),
        );
        assert_eq!(err.kind(), ErrorKind::Unexpected);
        assert!(err.message().contains("HTTP 200"), "{err}");
        assert!(!err.is_temporary());
    }

    #[test]
    fn provider_messages_are_redacted_and_bounded() {
        let redactor = Redactor::new([secrecy::SecretString::from("my-secret-token".to_owned())]);
        let body = format!(
            r#"{{"message":"bad token my-secret-token {}"}}"#,
            "x".repeat(900)
        );
        let err = classify_response(
            "p",
            Operation::GetUser,
            401,
            &HeaderMap::new(),
            body.as_bytes(),
            detail_from_json,
            &redactor,
        );
        assert!(!err.to_string().contains("my-secret-token"));
        assert!(!format!("{err:?}").contains("my-secret-token"));
        assert!(err.message().len() <= MAX_MESSAGE_BYTES);
    }
}
