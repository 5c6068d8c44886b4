//! SCIM error bodies (RFC 7644 §3.12): every refusal the service answers
//! carries an HTTP status and, where the RFC names one, a `scimType`.

use std::fmt;

use serde_json::{Value, json};

/// The URN of a SCIM error message.
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` of a 400 or 409 answer (RFC 7644 §3.12, Table 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    /// The filter syntax was invalid or the filter named an unknown attribute.
    InvalidFilter,
    /// The request body was not valid JSON or did not follow the schema.
    InvalidSyntax,
    /// A path did not name a valid attribute.
    InvalidPath,
    /// A PATCH path with a filter matched nothing to remove or change.
    NoTarget,
    /// A required value was missing or a value was not compatible.
    InvalidValue,
    /// One or more values are already in use (a `userName`, a group name).
    Uniqueness,
    /// An attempt to change an immutable attribute.
    Mutability,
    /// The request was too large or too broad.
    TooMany,
}

impl ScimType {
    /// The word the RFC uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::TooMany => "tooMany",
        }
    }
}

/// A refusal, as a SCIM error body with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    /// The HTTP status code.
    pub status: u16,
    /// The `scimType`, where the RFC names one for this refusal.
    pub scim_type: Option<ScimType>,
    /// A human-readable explanation; never holds a token.
    pub detail: String,
}

impl ScimError {
    /// A refusal with this status, type and detail.
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    /// 400 with a `scimType`.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }

    /// 400 `invalidValue`.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidValue, detail)
    }

    /// 400 `invalidSyntax`.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidSyntax, detail)
    }

    /// 400 `invalidFilter`.
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidFilter, detail)
    }

    /// 400 `invalidPath`.
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidPath, detail)
    }

    /// 409 `uniqueness`.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some(ScimType::Uniqueness), detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }

    /// 401, for a missing or wrong token (the answer never says which).
    pub fn unauthorized() -> Self {
        Self::new(401, None, "a valid bearer token is required")
    }

    /// 412, when `If-Match` names another version.
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(412, None, detail)
    }

    /// 413, for a body over the size limit. No `scimType`: RFC 7644 defines
    /// them for 400 only (`tooMany` is a filter with too many results).
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            None,
            format!("the request body is larger than the limit of {limit} bytes"),
        )
    }

    /// 500, for a failure of the store; the detail says what failed.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(500, None, detail)
    }

    /// 503, when the store cannot be reached.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(503, None, detail)
    }

    /// The SCIM error body.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_URN],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type.as_str());
        }
        body
    }
}

impl fmt::Display for ScimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scim_type {
            Some(t) => write!(f, "{} {}: {}", self.status, t.as_str(), self.detail),
            None => write!(f, "{}: {}", self.status, self.detail),
        }
    }
}

impl std::error::Error for ScimError {}
