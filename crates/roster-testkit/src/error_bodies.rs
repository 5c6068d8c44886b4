//! Running an adapter's error-body reader ([`DescribeError`]) on a bare
//! body, for the unit tests beside each adapter's `describe`.

use reqwest::header::HeaderMap;
use roster_core::Operation;
use roster_http::{DescribeError, ErrorDetail, ErrorResponse};

/// What `describe` reads from an error answer with this status and body
/// (and no headers) to `operation`.
///
/// ```
/// use roster_core::Operation;
/// use roster_http::no_detail;
///
/// let detail = roster_testkit::error_bodies::describe_body(
///     no_detail,
///     Operation::CreateUser,
///     400,
///     r#"{"detail": "x"}"#,
/// );
/// assert_eq!(detail, roster_http::ErrorDetail::default());
/// ```
pub fn describe_body(
    describe: DescribeError, operation: Operation, status: u16, body: &str,
) -> ErrorDetail {
    describe(&ErrorResponse {
        status,
        operation,
        headers: &HeaderMap::new(),
        body: body.as_bytes(),
    })
}

/// Asserts that `describe` reads nothing (no message, no kind) from any of
/// `bodies`, such as HTML from a proxy, an empty body or JSON of another
/// shape, so that the shared classifier falls back to the status. A failure
/// names the body something was read from.
///
/// ```
/// use roster_core::Operation;
///
/// roster_testkit::error_bodies::assert_no_detail(
///     roster_http::no_detail,
///     Operation::ListUsers,
///     502,
///     &["", "<html>502</html>"],
/// );
/// ```
#[track_caller]
pub fn assert_no_detail(
    describe: DescribeError, operation: Operation, status: u16, bodies: &[&str],
) {
    for body in bodies {
        assert_eq!(
            describe_body(describe, operation, status, body),
            ErrorDetail::default(),
            "{body:?}"
        );
    }
}
