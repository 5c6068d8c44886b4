//! # roster-astra
//!
//! The Roster adapter for DataStax Astra DevOps (work in progress).
#![warn(missing_docs)]

/// The provider identifier used in errors, logs and capabilities.
pub const PROVIDER: &str = "astra-devops";
