//! # Roster
//!
//! Manage **users, tenants and memberships** on many providers through one
//! set of provider-neutral async traits.
//!
//! A one-provider program needs one `use` line plus its adapter:
//!
//! ```no_run
//! use roster::prelude::*;
//! use roster::iaas::{IaasClient, IaasConfig};
//!
//! # async fn demo() -> roster::Result<()> {
//! let iaas = IaasClient::new(IaasConfig::require_env()?)?;
//! let alice = iaas
//!     .ensure_user(&NewUser::new(Email::parse("alice@example.com")?))
//!     .await?;
//! println!("{} is {:?}", alice.id, alice.outcome);
//! # Ok(()) }
//! ```
//!
//! The facade re-exports the neutral core ([`roster_core`]): the model
//! ([`User`], [`Tenant`], [`Membership`], validated [`Email`], [`UserId`],
//! [`TenantId`], [`WireGuardKey`]; each record keeps the provider's own
//! object as [`ProviderData`]), the traits ([`UserDirectory`],
//! [`TenantDirectory`], [`MembershipDirectory`], all of them as
//! [`Directory`]) with their helpers ([`UserDirectoryExt`],
//! [`TenantDirectoryExt`], [`MembershipDirectoryExt`]), the [`Error`] type,
//! [`Capabilities`] and the per-operation facts ([`Operation::facts`]).
//!
//! ## Features
//!
//! Each provider's adapter sits behind a cargo feature:
//!
//! | feature | module | provider |
//! |---|---|---|
//! | `iaas` (default) | `iaas` | NTY Gridworks IaaS operator API |
//! | `netbird` | `netbird` | NetBird |
//! | `adverity` | `adverity` | Adverity Management API |
//! | `astra` | `astra` | DataStax Astra DevOps API |
//! | `medium-one` | `medium_one` | Medium One |
#![warn(missing_docs)]

pub use roster_core::state;
pub use roster_core::{
    Access, Capabilities, CreateLookup, CreateOutcome, Created, Directory, Email, Error, ErrorKind,
    Membership, MembershipDirectory, MembershipDirectoryExt, MembershipRequest, NewTenant, NewUser,
    Operation, OperationFacts, Page, PageRequest, Principal, Provider, ProviderData,
    ProviderFields, Result, Role, RoleSpec, Tenant, TenantDirectory, TenantDirectoryExt, TenantId,
    TenantMember, TenantRole, TenantsWithMembers, User, UserDirectory, UserDirectoryExt, UserId,
    UserStatus, UserUpdate, WireGuardKey,
};

/// Everything a program that manages users needs in scope: the traits and
/// their helpers, the model, the error, and the fleet.
///
/// ```
/// use roster::prelude::*;
///
/// let alice = NewUser::new(Email::parse("alice@example.com")?).with_role(Role::Member);
/// assert_eq!(alice.email.as_str(), "alice@example.com");
/// # Ok::<(), roster::Error>(())
/// ```
pub mod prelude {
    pub use crate::{
        Capabilities, CreateOutcome, Created, Directory, Email, Error, ErrorKind, Fleet,
        Membership, MembershipDirectory, MembershipDirectoryExt, MembershipRequest, NewTenant,
        NewUser, Provider, Result, Role, RoleSpec, Tenant, TenantDirectory, TenantDirectoryExt,
        TenantId, TenantRole, User, UserDirectory, UserDirectoryExt, UserId, UserStatus,
        UserUpdate, WireGuardKey,
    };
}

pub mod config;
pub mod fleet;
pub mod plan;
pub mod saved;
mod table;
mod whereabouts;

pub use config::FleetConfig;
pub use fleet::Fleet;
pub use plan::{DesiredState, Plan};

/// Connection settings shared by every adapter (timeouts, user agent,
/// plain-HTTP opt-in, an injected `reqwest::Client`) and the secret type
/// tokens are held in.
pub mod http {
    pub use roster_http::{
        BaseUrl, ExposeSecret, HttpSettings, SecretString, USER_AGENT, install_crypto_provider,
    };
}

/// Layers that wrap any directory and implement the same traits: retry
/// (honouring `Retry-After`, never re-sending a create blindly), timeouts,
/// concurrency and rate limits, tracing; and [`Stack`](layers::Stack), the
/// recommended order in one call.
pub mod layers {
    pub use roster_layers::*;
}

/// The NTY Gridworks IaaS operator API adapter.
#[cfg(feature = "iaas")]
pub mod iaas {
    pub use roster_iaas::*;
}

/// The NetBird adapter.
#[cfg(feature = "netbird")]
pub mod netbird {
    pub use roster_netbird::*;
}

/// The Adverity adapter.
#[cfg(feature = "adverity")]
pub mod adverity {
    pub use roster_adverity::*;
}

/// The DataStax Astra DevOps adapter.
#[cfg(feature = "astra")]
pub mod astra {
    pub use roster_astra::*;
}

/// The Medium One adapter.
#[cfg(feature = "medium-one")]
pub mod medium_one {
    pub use roster_medium_one::*;
}

/// The README's code blocks, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
