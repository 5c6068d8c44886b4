//! # roster-testkit
//!
//! Test support for Roster adapters, shared by every provider:
//!
//! - [`emulator`]: the harness that serves a provider [`Model`]
//!   on a loopback port through wiremock, with its state open to assertions;
//! - one stateful emulator per provider, such as [`iaas::IaasModel`];
//! - [`contract`]: the behaviour suite every adapter runs against its
//!   emulator, gated by the adapter's capabilities, printing each check as
//!   ok, skipped (with the capability that is off) or failed, and a
//!   summary per setup;
//! - [`faults`]: the fault matrix every adapter runs on wiremock, through
//!   the retry layer, and the [`WireSubject`](faults::WireSubject) an
//!   adapter implements to run it; [`bad_input`] (awkward values reach the
//!   wire exactly encoded), [`robustness`] (hostile bodies never panic) and
//!   [`leaks`] (secrets never reach logs, errors or `Debug`) use the same
//!   subject;
//! - [`error_bodies`]: an adapter's error-body reader run on a bare body,
//!   for the unit tests beside it.
#![warn(missing_docs)]

#[cfg(feature = "adverity")]
pub mod adverity;
#[cfg(feature = "astra")]
pub mod astra;
pub mod bad_input;
pub mod contract;
pub mod emulator;
pub mod error_bodies;
pub mod faults;
#[cfg(feature = "iaas")]
pub mod iaas;
pub mod leaks;
#[cfg(feature = "medium-one")]
pub mod medium_one;
#[cfg(feature = "netbird")]
pub mod netbird;
pub mod robustness;
pub mod server;
pub mod snapshot;
pub mod spec_bodies;

pub use emulator::{Emulator, Model};
