//! # roster-core
//!
//! The provider-neutral heart of Roster: the model ([`User`], [`Tenant`],
//! [`Membership`] and validated identifiers), the traits every adapter
//! implements ([`UserDirectory`], [`TenantDirectory`],
//! [`MembershipDirectory`]), their blanket helpers ([`UserDirectoryExt`],
//! [`TenantDirectoryExt`], [`MembershipDirectoryExt`]), the one [`Error`]
//! type, the flat [`Capabilities`] struct and the pagination helpers
//! ([`paginate`], [`paginate_through_empty_pages`]).
//!
//! Adapters implement the service traits ([`UserService`],
//! [`TenantService`], [`MembershipService`]); callers hold them as a
//! [`Checked`] service, the one checking step every call passes before
//! adapter code runs (capabilities, provider fields, path segments,
//! cursors, membership rules), which also tags every error with its
//! provider and operation. See [`service`].
//!
//! This crate has no HTTP dependency. Adapters live in their own crates, and
//! the `roster` facade re-exports what its users need (see its prelude).
//!
//! ```
//! use roster_core::{Email, ErrorKind, NewUser, Role};
//!
//! let user = NewUser::new(Email::parse("alice+ops@example.com")?).with_role(Role::Member);
//! assert_eq!(user.email.as_str(), "alice+ops@example.com");
//! assert_eq!(Email::parse("not an email").unwrap_err().kind(), ErrorKind::InvalidInput);
//! # Ok::<(), roster_core::Error>(())
//! ```
#![warn(missing_docs)]

pub mod capability;
pub mod directory;
pub mod error;
pub mod ext;
#[macro_use]
mod forward;
pub mod list_body;
pub mod model;
pub mod pagination;
pub mod provider_data;
pub mod service;
pub mod state;

pub use capability::Capabilities;
pub use directory::{Directory, MembershipDirectory, Provider, TenantDirectory, UserDirectory};
pub use error::{
    Access, CreateLookup, Error, ErrorKind, Operation, OperationFacts, Result, in_operation,
};
pub use ext::{MembershipDirectoryExt, TenantDirectoryExt, UserDirectoryExt};
pub use list_body::{Envelope, ListBody, RawItems};
pub use model::{
    CreateOutcome, Created, Email, Membership, MembershipRequest, NewTenant, NewUser, Page,
    PageRequest, Principal, Role, RoleSpec, Tenant, TenantId, TenantMember, TenantRole,
    TenantsWithMembers, User, UserId, UserStatus, UserUpdate, WireGuardKey,
};
pub use pagination::{paginate, paginate_through_empty_pages};
pub use provider_data::{ProviderData, ProviderFields, Raw, map_items};
pub use service::{Checked, Connect, MembershipService, TenantService, UserService, path_segment};

/// Re-exported so custom directories and layers implement the directory
/// traits with the same macro version (the service traits need none).
pub use async_trait::async_trait;
