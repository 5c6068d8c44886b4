//! The `roster` binary, run as an operator runs it, against the testkit's
//! emulators served in this process on loopback ports the OS picks.

#[path = "cli/support.rs"]
mod support;

#[path = "cli/commands.rs"]
mod commands;
#[path = "cli/people.rs"]
mod people;
#[path = "cli/providers.rs"]
mod providers;
#[path = "cli/rules.rs"]
mod rules;
#[path = "cli/shapes.rs"]
mod shapes;
