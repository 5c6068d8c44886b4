//! The arguments of each service call, one struct per operation, as the
//! checking step hands them to a service (OpenDAL's `OpRead`, `OpList`, …).
//!
//! Each struct names its [`Operation`], so a service never spells out which
//! operation it is in: it passes `args.operation()` to the calls whose
//! errors depend on it, and the checking step has already decided it once.
//! The structs are `#[non_exhaustive]`, so a new argument is a new field
//! that existing services need not read, rather than a changed signature.
//! Only [`Checked`](super::Checked) builds them, so a service's methods are
//! reached only through the checks, and a service may rely on them (an id
//! is a path segment, a cursor comes only where it paginates). To exercise
//! a service on its own, call it through `Checked::from_service`.
//!
//! ```compile_fail
//! // Outside roster-core the structs cannot be built (`#[non_exhaustive]`),
//! // so no caller reaches a service method around the checks.
//! let id = roster_core::UserId::new("..").unwrap();
//! let _ = roster_core::service::op::GetUser { id: &id };
//! ```

use crate::error::Operation;
use crate::model::{
    MembershipRequest, NewTenant, NewUser, PageRequest, TenantId, UserId, UserUpdate,
};

/// Declares one argument struct per operation, each with the operation it
/// is, so the table of calls and their operations stands in one place.
macro_rules! call_args {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident $(<$lt:lifetime>)? => $operation:ident {
            $( $(#[doc = $field_doc:literal])* $field:ident : $ty:ty ),* $(,)?
        }
    )*) => {$(
        $(#[doc = $doc])*
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub struct $name $(<$lt>)? {
            $( $(#[doc = $field_doc])* pub $field: $ty, )*
        }

        impl $(<$lt>)? $name $(<$lt>)? {
            #[doc = concat!("[`Operation::", stringify!($operation), "`]: the operation errors of this call name.")]
            pub const OPERATION: Operation = Operation::$operation;

            /// [`Self::OPERATION`], read off the value at hand.
            pub const fn operation(&self) -> Operation {
                Self::OPERATION
            }
        }
    )*};
}

call_args! {
    /// [`UserService::list_users_page`](super::UserService::list_users_page).
    ListUsers => ListUsers {
        /// Which page; a cursor only where the provider paginates.
        page: PageRequest,
    }

    /// [`UserService::get_user`](super::UserService::get_user).
    GetUser<'a> => GetUser {
        /// The user to read.
        id: &'a UserId,
    }

    /// [`UserService::create_user`](super::UserService::create_user).
    CreateUser<'a> => CreateUser {
        /// The user to create, every argument of it already checked against
        /// the capabilities.
        user: &'a NewUser,
    }

    /// [`UserService::update_user`](super::UserService::update_user).
    UpdateUser<'a> => UpdateUser {
        /// The user to change.
        id: &'a UserId,
        /// What to change; only what the capabilities allow.
        update: &'a UserUpdate,
    }

    /// [`UserService::delete_user`](super::UserService::delete_user).
    DeleteUser<'a> => DeleteUser {
        /// The user to delete.
        id: &'a UserId,
    }

    /// [`UserService::current_user`](super::UserService::current_user).
    CurrentUser => CurrentUser {}

    /// [`TenantService::list_tenants_page`](super::TenantService::list_tenants_page).
    ListTenants => ListTenants {
        /// Which page; a cursor only where the provider paginates.
        page: PageRequest,
    }

    /// [`TenantService::get_tenant`](super::TenantService::get_tenant).
    GetTenant<'a> => GetTenant {
        /// The tenant to read.
        id: &'a TenantId,
    }

    /// [`TenantService::create_tenant`](super::TenantService::create_tenant).
    CreateTenant<'a> => CreateTenant {
        /// The tenant to create; members only where the provider takes them.
        tenant: &'a NewTenant,
    }

    /// [`TenantService::delete_tenant`](super::TenantService::delete_tenant).
    DeleteTenant<'a> => DeleteTenant {
        /// The tenant to delete.
        id: &'a TenantId,
    }

    /// [`MembershipService::list_members_page`](super::MembershipService::list_members_page).
    ListMembers<'a> => ListMembers {
        /// Whose members.
        tenant: &'a TenantId,
        /// Which page; a cursor only where the provider paginates.
        page: PageRequest,
    }

    /// [`MembershipService::list_user_memberships`](super::MembershipService::list_user_memberships).
    ListUserMemberships<'a> => ListUserMemberships {
        /// Whose tenants.
        user: &'a UserId,
    }

    /// [`MembershipService::add_member`](super::MembershipService::add_member).
    AddMember<'a> => AddMember {
        /// The tenant to add to.
        tenant: &'a TenantId,
        /// The user to add.
        user: &'a UserId,
        /// The membership asked for, already checked against the
        /// provider's membership rules.
        request: &'a MembershipRequest,
    }

    /// [`MembershipService::remove_member`](super::MembershipService::remove_member).
    RemoveMember<'a> => RemoveMember {
        /// The tenant to remove from.
        tenant: &'a TenantId,
        /// The user to remove.
        user: &'a UserId,
    }

    /// [`MembershipService::list_members_of`](super::MembershipService::list_members_of).
    ListMembersOf<'a> => ListMembers {
        /// Whose members, each tenant id already checked.
        tenants: &'a [TenantId],
    }

    /// [`MembershipService::list_tenants_with_members`](super::MembershipService::list_tenants_with_members).
    ListTenantsWithMembers => ListTenants {}

    /// [`MembershipService::move_natively`](super::MembershipService::move_natively).
    MoveMember<'a> => MoveMember {
        /// The user to move.
        user: &'a UserId,
        /// The tenant they leave.
        from: &'a TenantId,
        /// The tenant they join; never `from`.
        to: &'a TenantId,
        /// The membership asked for in `to`, already checked.
        request: &'a MembershipRequest,
    }
}
