//! roster-scim end to end: the SCIM protocol as Okta and Entra ID speak it,
//! delivery to the five testkit emulators, crash and outage recovery, claim
//! leases, bad input, and the PostgreSQL store where one is available.

#[path = "scim/harness.rs"]
mod harness;

#[path = "scim/bad_input.rs"]
mod bad_input;
#[path = "scim/delivery.rs"]
mod delivery;
#[path = "scim/lease.rs"]
mod lease;
#[path = "scim/load.rs"]
mod load;
#[path = "scim/postgres.rs"]
mod postgres;
#[path = "scim/protocol.rs"]
mod protocol;
#[path = "scim/recovery.rs"]
mod recovery;
#[path = "scim/running.rs"]
mod running;
