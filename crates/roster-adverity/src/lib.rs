//! # roster-adverity
//!
//! The Roster adapter for Adverity (work in progress).
#![warn(missing_docs)]

/// The provider identifier used in errors, logs and capabilities.
pub const PROVIDER: &str = "adverity";
