//! # roster-medium-one
//!
//! The Roster adapter for Medium One (work in progress).
#![warn(missing_docs)]

/// The provider identifier used in errors, logs and capabilities.
pub const PROVIDER: &str = "medium-one";
