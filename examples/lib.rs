//! Shared helpers for Roster's examples.
//!
//! Every example runs against an in-process emulator unless environment
//! variables point it at a real server, so it works with no credentials and
//! no network.
#![warn(missing_docs)]

/// Prints a section heading.
pub fn heading(text: &str) {
    println!("\n== {text} ==");
}
