//! # roster-scim
//!
//! A SCIM 2.0 service (RFC 7643, RFC 7644) in front of a Roster
//! [`Fleet`](roster::Fleet): an identity provider (Okta, Microsoft Entra ID)
//! provisions users and groups into it, and it fans every change out to the
//! configured providers, durably.
//!
//! - [`server`]: `/scim/v2/Users`, `/scim/v2/Groups` (create, get, PUT,
//!   PATCH, delete, list with `filter`, paging, `attributes` /
//!   `excludedAttributes`), `/ServiceProviderConfig`, `/ResourceTypes`,
//!   `/Schemas`, `/status`, `/healthz`, `/readyz`; bearer tokens held
//!   hashed ([`auth`]); HTTPS through rustls; a graceful stop on SIGTERM.
//! - [`store`]: SQLite (embedded, the default) or PostgreSQL; resources,
//!   each provider's id for a person, and the outbox.
//! - [`worker`]: drains the outbox through the fleet and its layers.
//! - [`config`]: the file, including the mapping of groups to tenants and
//!   roles per provider.
//! - [`load`]: an IdP-shaped load generator (the bench and its CI run).
//! - [`cli`]: `serve`, `status`, `retry`, `hash-token`, for `roster scim …`
//!   and the `roster-scim` binary.
//!
//! ## Durability
//!
//! Every accepted request is committed to the store, with the outbox rows
//! it causes, before the answer. Workers claim rows (PostgreSQL: `FOR UPDATE
//! SKIP LOCKED`, so two instances never run one), deliver them, and record
//! the outcome; a claim that outlives its instance lapses and is taken over.
//! One person's operations on one provider run one at a time, in acceptance
//! order. A temporary failure (the provider is down, a timeout, a rate
//! limit) is retried with a doubling delay, never dropped; any other failure
//! stays `failed` until `retry`, or until a later change of the same person
//! supersedes it (every operation carries the whole desired state). Delivery
//! is at least once, and every effect is idempotent (see [`worker`]).
//!
//! Repeats a user can see: an invitation whose answer was lost may be sent
//! again (Astra re-sends a pending invitation; NetBird invites by email).
//!
//! ## Why no SCIM crate
//!
//! `scim_v2` (0.4) was judged and not taken. Its typed models hold `active`
//! as a `bool`, so they refuse Entra ID's `"False"`, and their fixed structs
//! drop the extension attributes they do not name (such as the one carrying
//! a WireGuard key), which would break "lose nothing". Its filter parser
//! only parses: evaluation over stored JSON, the PATCH path forms Okta and
//! Entra ID send (`members[value eq "…"]`, `emails[type eq "work"].value`)
//! and their quirks were still ours to write, and it brings a generated
//! LALRPOP parser and its runtime into the build. The small parser in
//! [`filter`] covers RFC 7644's grammar (`eq ne co sw ew gt ge lt le pr`,
//! `and`/`or`/`not`, grouping, value paths) with its own tests.
#![warn(missing_docs)]

pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod filter;
pub mod load;
pub mod resource;
pub mod schemas;
pub mod server;
pub mod service;
pub mod store;
pub mod worker;

pub use config::ScimConfig;
pub use server::{Running, Server, serve};
pub use store::{Status, Store};

/// The status of the store at `config`'s `[store] url`: per provider,
/// pending, done and failed operations and the last error.
pub async fn status(config: &ScimConfig) -> Result<Status, store::StoreError> {
    let store = Store::open(&config.store.url).await?;
    let status = store.status().await;
    store.close().await;
    status
}
