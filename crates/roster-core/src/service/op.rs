//! The arguments of each service call, one struct per operation, as the
//! checking step hands them to a service (OpenDAL's `OpRead`, `OpList`, …).
//!
//! Each struct names its [`Operation`], so a service never spells out which
//! operation it is in: it passes `args.operation()` to the calls whose
//! errors depend on it, and the checking step has decided it once. The
//! arguments are read through accessors (`args.id()`, `args.page()`), so a
//! new argument is a new method that existing services need not call,
//! rather than a changed signature.
//!
//! Only roster-core builds them: [`Checked`](super::Checked), after its
//! checks, and the default
//! [`list_members_of`](super::MembershipService::list_members_of), from
//! checked tenants and the cursors the provider itself handed out. Their
//! fields cannot be set from outside, so a service's methods are reached
//! only with checked arguments, and a service may rely on the checks (an
//! id is a path segment, a cursor comes only where it paginates). A
//! service therefore cannot call its own trait methods either; it shares
//! code between them through its own helpers. To exercise a service on its
//! own, call it through `Checked::from_service`.
//!
//! ```compile_fail,E0639
//! // Outside roster-core the structs cannot be built, nor their fields
//! // changed, so no caller reaches a service method around the checks.
//! let id = roster_core::UserId::new("..").unwrap();
//! let _ = roster_core::service::op::GetUser { id: &id };
//! ```
//!
//! ```compile_fail,E0639
//! // Not even the ones without arguments (`#[non_exhaustive]`).
//! let _ = roster_core::service::op::CurrentUser {};
//! ```

use crate::error::Operation;
use crate::model::{
    MembershipRequest, NewTenant, NewUser, PageRequest, TenantId, UserId, UserUpdate,
};

/// Declares one argument struct per operation, each with the operation it
/// is, so the table of calls and their operations stands in one place. The
/// borrowed arguments come first; `; page` adds the page request.
macro_rules! call_args {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident $(<$lt:lifetime>)? => $operation:ident {
            $( $(#[doc = $field_doc:literal])* $field:ident : &$field_lt:lifetime $field_ty:ty ),* $(,)?
            $(; $(#[doc = $page_doc:literal])* $page:ident)?
        }
    )*) => {$(
        $(#[doc = $doc])*
        #[derive(Debug, Clone)]
        // Also on the structs without fields, so that none of them can be
        // written as a literal outside roster-core.
        #[non_exhaustive]
        pub struct $name $(<$lt>)? {
            $( pub(crate) $field: &$field_lt $field_ty, )*
            $( pub(crate) $page: PageRequest, )?
        }

        impl $(<$lt>)? $name $(<$lt>)? {
            #[doc = concat!("[`Operation::", stringify!($operation), "`]: the operation errors of this call name.")]
            pub const OPERATION: Operation = Operation::$operation;

            /// [`Self::OPERATION`], read off the value at hand.
            pub const fn operation(&self) -> Operation {
                Self::OPERATION
            }

            $(
                $(#[doc = $field_doc])*
                pub fn $field(&self) -> &$field_lt $field_ty {
                    self.$field
                }
            )*

            $(
                $(#[doc = $page_doc])*
                pub fn $page(&self) -> &PageRequest {
                    &self.$page
                }
            )?
        }
    )*};
}

call_args! {
    /// [`UserService::list_users_page`](super::UserService::list_users_page).
    ListUsers => ListUsers {
        ;
        /// Which page; a cursor only where the provider paginates.
        page
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
        ;
        /// Which page; a cursor only where the provider paginates.
        page
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
        tenant: &'a TenantId;
        /// Which page; a cursor only where the provider paginates.
        page
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
