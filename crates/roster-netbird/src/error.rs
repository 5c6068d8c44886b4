//! Reading NetBird's error bodies.

use roster_core::{ErrorKind, Operation};
use roster_http::{ErrorDetail, ErrorResponse};

use crate::generated::types;

/// Reads NetBird's `{"message": "...", "code": <status>}`.
///
/// One status is read differently from the shared table: deleting a group
/// that NetBird refuses to delete (it is the `All` group, it was issued by
/// an integration, or users, policies, routes, DNS settings or setup keys
/// still use it) answers 400 or 422. Nothing about the request was
/// malformed; the group's current state is in the way, so the error is a
/// [`Conflict`](ErrorKind::Conflict) carrying NetBird's message, which names
/// what still uses the group.
///
/// Approving or rejecting a user who is not waiting for approval answers
/// 422 ("user … is not pending approval"): again the user's state is in the
/// way, not the request, so it is a [`Conflict`](ErrorKind::Conflict) too.
///
/// Anything that is not that shape (HTML from a proxy, an empty body) gives
/// no message, and the shared classifier falls back to the status.
pub(crate) fn describe(response: &ErrorResponse<'_>) -> ErrorDetail {
    let message = serde_json::from_slice::<types::ErrorResponse>(response.body)
        .ok()
        .map(|body| body.message)
        .filter(|message| !message.trim().is_empty());
    let kind = match (response.operation, response.status) {
        (Operation::DeleteTenant, 400 | 422) => Some(ErrorKind::Conflict),
        (Operation::ApproveUser | Operation::RejectUser, 422) => Some(ErrorKind::Conflict),
        _ => None,
    };
    ErrorDetail { message, kind }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_testkit::error_bodies::{assert_no_detail, describe_body};

    #[test]
    fn reads_the_message() {
        let detail = describe_body(
            describe,
            Operation::CreateUser,
            409,
            r#"{"message":"can't invite a user with an existing NetBird account","code":409}"#,
        );
        assert_eq!(
            detail.message.as_deref(),
            Some("can't invite a user with an existing NetBird account")
        );
        assert_eq!(detail.kind, None);
        let no_code = describe_body(
            describe,
            Operation::GetUser,
            404,
            r#"{"message":"not found"}"#,
        );
        assert_eq!(no_code.message.as_deref(), Some("not found"));
    }

    #[test]
    fn a_refused_group_delete_is_a_conflict() {
        for status in [400, 422] {
            let detail = describe_body(
                describe,
                Operation::DeleteTenant,
                status,
                r#"{"message":"group has been linked to user: alice","code":422}"#,
            );
            assert_eq!(detail.kind, Some(ErrorKind::Conflict), "{status}");
            assert_eq!(
                detail.message.as_deref(),
                Some("group has been linked to user: alice")
            );
        }
        assert_eq!(
            describe_body(describe, Operation::DeleteTenant, 404, "{}").kind,
            None,
            "an unknown group stays NotFound"
        );
        assert_eq!(
            describe_body(describe, Operation::CreateTenant, 422, "{}").kind,
            None
        );
    }

    #[test]
    fn deciding_on_a_user_who_is_not_waiting_is_a_conflict() {
        for operation in [Operation::ApproveUser, Operation::RejectUser] {
            let detail = describe_body(
                describe,
                operation,
                422,
                r#"{"message":"user u1 is not pending approval","code":422}"#,
            );
            assert_eq!(detail.kind, Some(ErrorKind::Conflict), "{operation}");
            assert_eq!(
                detail.message.as_deref(),
                Some("user u1 is not pending approval")
            );
            assert_eq!(describe_body(describe, operation, 404, "{}").kind, None);
            assert_eq!(describe_body(describe, operation, 400, "{}").kind, None);
        }
        assert_eq!(
            describe_body(describe, Operation::UpdateUser, 422, "{}").kind,
            None
        );
    }

    #[test]
    fn anything_else_gives_no_detail() {
        let bodies = [
            "",
            "<html>502</html>",
            r#"{"message": 5}"#,
            r#"{"message": "  "}"#,
            "[1,2]",
            r#"{"detail":"x"}"#,
            r#"{"mess"#,
        ];
        assert_no_detail(describe, Operation::ListUsers, 500, &bodies);
    }
}
