//! What a provider can do, declared up front.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::model::MembershipRequest;

/// A flat description of what an adapter supports and which rules its
/// provider enforces.
///
/// Every operation whose flag is `false` answers
/// [`ErrorKind::Unsupported`] without sending
/// anything; no argument is ever silently dropped. Callers (and the shared
/// contract suite) read this before choosing what to do.
///
/// `Default` is "supports nothing". Adapters declare theirs with
/// [`capabilities!`](crate::capabilities!), which names every field, so a
/// field added here fails to compile in each adapter until it decides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Capabilities {
    /// Users can be listed.
    pub list_users: bool,
    /// Lists are paginated by the server (otherwise one page holds
    /// everything, and a cursor is `InvalidInput` before anything is sent).
    ///
    /// One flag covers every paged list: users, tenants and a tenant's
    /// members. No provider pages some of these and not others (Adverity
    /// pages all three, its members being read off its paged user list; the
    /// others page none), so a flag per list could only ever disagree with
    /// this one.
    pub server_side_pagination: bool,
    /// A user can be read by id.
    pub get_user: bool,
    /// Users can be created.
    pub create_user: bool,
    /// Creating a user sends an invitation, and the user starts as invited.
    pub create_is_invitation: bool,
    /// Users can be updated.
    pub update_user: bool,
    /// A user's email can be changed.
    pub update_email: bool,
    /// A user's role can be changed.
    pub update_role: bool,
    /// A user's status (blocked, suspended, active) can be changed.
    pub update_status: bool,
    /// Users have a display name that create and update accept.
    pub user_display_name: bool,
    /// A user's display name can be changed after the create (NetBird takes
    /// it from the identity provider afterwards, so it cannot).
    pub update_display_name: bool,
    /// Users have an account-wide role that create accepts.
    pub user_roles: bool,
    /// A user can hold several account-wide roles at once (Astra), so
    /// create accepts [`NewUser::additional_roles`](crate::NewUser::additional_roles)
    /// and update accepts [`UserUpdate::roles`](crate::UserUpdate::roles).
    pub multiple_roles_per_user: bool,
    /// Users can be deleted.
    pub delete_user: bool,
    /// Deleting a user also removes all their memberships.
    pub delete_user_cascades_memberships: bool,
    /// The identity behind the credentials can be read.
    pub current_user: bool,

    /// Tenants can be listed.
    pub list_tenants: bool,
    /// A tenant can be read by id.
    pub get_tenant: bool,
    /// Tenants can be created.
    pub create_tenant: bool,
    /// A tenant can be created together with its first members.
    pub create_tenant_with_members: bool,
    /// Tenants can be deleted.
    pub delete_tenant: bool,

    /// The members of a tenant can be listed.
    pub list_members: bool,
    /// The tenants of a user can be listed.
    pub list_user_memberships: bool,
    /// Users can be added to tenants.
    pub add_member: bool,
    /// Users can be removed from tenants.
    pub remove_member: bool,
    /// Memberships carry a tenant role.
    pub membership_roles: bool,
    /// Adding a member needs the user's WireGuard public key.
    pub membership_requires_wireguard_key: bool,
    /// The most tenants one user may belong to at once; `None` is unlimited.
    pub max_tenants_per_user: Option<u32>,
}

impl Capabilities {
    /// Whether a user may be in at most one tenant at a time.
    pub fn single_tenant_per_user(&self) -> bool {
        self.max_tenants_per_user == Some(1)
    }

    /// Checks a membership request against what the provider accepts,
    /// before anything is sent: a missing WireGuard key where one is
    /// required is `InvalidInput`, a tenant role where there are none is
    /// `Unsupported`.
    ///
    /// Adapters call it in `add_member`; composite operations such as
    /// [`move_user`](crate::MembershipDirectory::move_user) call it before
    /// their first write, so they never stop half-way on input they could
    /// have refused up front.
    pub fn check_membership_request(&self, request: &MembershipRequest) -> Result<()> {
        if request.role.is_some() && !self.membership_roles {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "this provider has no tenant roles",
            ));
        }
        if request.wireguard_key.is_none() && self.membership_requires_wireguard_key {
            return Err(Error::invalid_input(
                "a membership on this provider needs the user's WireGuard public key",
            ));
        }
        Ok(())
    }
}

/// Declares a [`Capabilities`] value by listing which flags an adapter
/// supports and which it does not; every other field is given by name.
///
/// It expands to a struct literal without `..`, so each field must appear
/// exactly once: a field added to [`Capabilities`] fails to compile in every
/// adapter until it decides, and a flag named twice is an error too.
///
/// ```
/// let caps = roster_core::capabilities! {
///     supported: [list_users, get_user, create_user, update_user, delete_user,
///         delete_user_cascades_memberships, list_tenants, get_tenant, list_members,
///         list_user_memberships, add_member, remove_member],
///     unsupported: [server_side_pagination, create_is_invitation, update_email,
///         update_role, update_status, user_display_name, update_display_name, user_roles,
///         multiple_roles_per_user, current_user, create_tenant_with_members, delete_tenant,
///         membership_roles, membership_requires_wireguard_key],
///     create_tenant: true,
///     max_tenants_per_user: Some(1),
/// };
/// assert!(caps.single_tenant_per_user() && !caps.update_email);
/// ```
#[macro_export]
macro_rules! capabilities {
    (
        supported: [$($yes:ident),* $(,)?],
        unsupported: [$($no:ident),* $(,)?]
        $(, $field:ident: $value:expr)* $(,)?
    ) => {
        $crate::Capabilities {
            $($yes: true,)*
            $($no: false,)*
            $($field: $value,)*
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_supports_nothing_and_serializes_flat() {
        let caps = Capabilities::default();
        assert!(!caps.create_user && !caps.list_users && caps.max_tenants_per_user.is_none());
        let json = serde_json::to_value(caps).expect("serialize");
        let object = json.as_object().expect("flat object");
        assert!(object.values().all(|v| !v.is_object() && !v.is_array()));
        assert_eq!(object["create_is_invitation"], false);
    }

    #[test]
    fn membership_requests_are_checked_against_the_rules() {
        use crate::model::{TenantRole, WireGuardKey};
        let key = WireGuardKey::from_bytes([1; 32]);
        let strict = Capabilities {
            membership_requires_wireguard_key: true,
            ..Capabilities::default()
        };
        let keyless = MembershipRequest::new();
        assert_eq!(
            strict
                .check_membership_request(&keyless)
                .expect_err("no key")
                .kind(),
            ErrorKind::InvalidInput
        );
        let with_key = MembershipRequest::new().with_wireguard_key(key);
        assert!(strict.check_membership_request(&with_key).is_ok());
        let with_role = with_key.clone().with_role(TenantRole::Admin);
        assert_eq!(
            strict
                .check_membership_request(&with_role)
                .expect_err("role")
                .kind(),
            ErrorKind::Unsupported
        );
        let roles = Capabilities {
            membership_roles: true,
            ..Capabilities::default()
        };
        assert!(
            roles
                .check_membership_request(&MembershipRequest::new().with_role(TenantRole::Member))
                .is_ok()
        );
    }

    #[test]
    fn single_tenant_rule() {
        let caps = Capabilities {
            max_tenants_per_user: Some(1),
            ..Capabilities::default()
        };
        assert!(caps.single_tenant_per_user());
    }
}
