//! # roster-netbird
//!
//! The Roster adapter for NetBird (work in progress).
#![warn(missing_docs)]

/// The provider identifier used in errors, logs and capabilities.
pub const PROVIDER: &str = "netbird";
