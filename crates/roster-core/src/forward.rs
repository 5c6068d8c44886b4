//! The one list of every trait method, with its operation and what kind
//! of operation it is, that forwarding wrappers expand: `Arc<T>` here, the
//! layered stack in roster-layers. A method is added in one place, and a
//! kind that disagrees with the facts table ([`Operation::facts`]) does
//! not compile.
//!
//! [`Operation::facts`]: crate::Operation::facts

/// Calls `$callback!` with every method of [`UserDirectory`],
/// [`TenantDirectory`] and [`MembershipDirectory`], grouped by trait, one
/// entry each: `kind name(args) -> Output = Operation;`, where the kind is
/// `read`, `write`, `removal`, `create_user` (a lost create is looked up by
/// email) or `create_tenant` (by name). Each entry is checked against the
/// facts table at compile time.
///
/// [`UserDirectory`]: crate::UserDirectory
/// [`TenantDirectory`]: crate::TenantDirectory
/// [`MembershipDirectory`]: crate::MembershipDirectory
#[macro_export]
macro_rules! forward_directory_methods {
    ($callback:ident) => {
        $crate::forward_directory_methods!(@checked $callback {
            UserDirectory {
                read list_users_page(page: $crate::PageRequest) -> $crate::Page<$crate::User> = ListUsers;
                read get_user(id: &$crate::UserId) -> $crate::User = GetUser;
                create_user create_user(user: &$crate::NewUser) -> $crate::Created<$crate::User> = CreateUser;
                write update_user(id: &$crate::UserId, update: &$crate::UserUpdate) -> $crate::User = UpdateUser;
                removal delete_user(id: &$crate::UserId) -> () = DeleteUser;
                read current_user() -> $crate::Principal = CurrentUser;
            }
            TenantDirectory {
                read list_tenants_page(page: $crate::PageRequest) -> $crate::Page<$crate::Tenant> = ListTenants;
                read get_tenant(id: &$crate::TenantId) -> $crate::Tenant = GetTenant;
                create_tenant create_tenant(tenant: &$crate::NewTenant) -> $crate::Created<$crate::Tenant> = CreateTenant;
                removal delete_tenant(id: &$crate::TenantId) -> () = DeleteTenant;
            }
            MembershipDirectory {
                read list_members_page(tenant: &$crate::TenantId, page: $crate::PageRequest) -> $crate::Page<$crate::Membership> = ListMembers;
                read list_user_memberships(user: &$crate::UserId) -> ::std::vec::Vec<$crate::Membership> = ListUserMemberships;
                write add_member(tenant: &$crate::TenantId, user: &$crate::UserId, request: &$crate::MembershipRequest) -> $crate::Membership = AddMember;
                removal remove_member(tenant: &$crate::TenantId, user: &$crate::UserId) -> () = RemoveMember;
                read list_members_of(tenants: &[$crate::TenantId]) -> ::std::vec::Vec<$crate::Membership> = ListMembers;
                read list_tenants_with_members() -> ::std::option::Option<$crate::TenantsWithMembers> = ListTenants;
                write move_user(user: &$crate::UserId, from: &$crate::TenantId, to: &$crate::TenantId, request: &$crate::MembershipRequest) -> $crate::Membership = MoveMember;
            }
        });
    };
    (@checked $callback:ident { $( $trait:ident { $( $kind:ident $method:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty = $op:ident ; )* } )* }) => {
        $( $( const _: () = $crate::forward_directory_methods!(@kind $kind $op); )* )*
        $callback! { $( $trait { $( $kind $method ( $($arg : $ty),* ) -> $ret = $op ; )* } )* }
    };
    (@kind read $op:ident) => {
        assert!(
            matches!($crate::Operation::$op.facts().access, $crate::Access::Read),
            concat!(stringify!($op), " is listed as a read, but the facts table says it writes")
        )
    };
    (@kind write $op:ident) => {
        assert!(
            matches!($crate::Operation::$op.facts().access, $crate::Access::Write)
                && !$crate::Operation::$op.facts().removal
                && !$crate::Operation::$op.facts().creates,
            concat!(stringify!($op), " is listed as a plain write, but the facts table disagrees")
        )
    };
    (@kind removal $op:ident) => {
        assert!(
            $crate::Operation::$op.facts().removal,
            concat!(stringify!($op), " is listed as a removal, but the facts table disagrees")
        )
    };
    (@kind create_user $op:ident) => {
        assert!(
            matches!($crate::Operation::$op.facts().lookup, Some($crate::CreateLookup::UserByEmail)),
            concat!(stringify!($op), " is listed as looked up by email, but the facts table disagrees")
        )
    };
    (@kind create_tenant $op:ident) => {
        assert!(
            matches!($crate::Operation::$op.facts().lookup, Some($crate::CreateLookup::TenantByName)),
            concat!(stringify!($op), " is listed as looked up by name, but the facts table disagrees")
        )
    };
}

#[cfg(test)]
mod tests {
    macro_rules! listed {
        ($( $trait:ident { $( $kind:ident $method:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty = $op:ident ; )* } )*) => {
            const LISTED: &[(&str, &str)] = &[$( $( (stringify!($trait), stringify!($method)), )* )*];
        };
    }
    crate::forward_directory_methods!(listed);

    /// The methods the traits in `directory.rs` declare, read from its
    /// source: a method missing from the list would otherwise reach a
    /// wrapped directory through its default body, silently.
    fn declared() -> Vec<(String, String)> {
        let source = include_str!("directory.rs");
        let mut declared = Vec::new();
        let mut current: Option<&str> = None;
        for line in source.lines() {
            if let Some(rest) = line.strip_prefix("pub trait ") {
                let name = rest.split(|c: char| !c.is_alphanumeric()).next().unwrap();
                current = ["UserDirectory", "TenantDirectory", "MembershipDirectory"]
                    .into_iter()
                    .find(|t| *t == name);
            } else if line == "}" {
                current = None;
            } else if let Some(trait_name) = current {
                // A method of the trait itself sits at one indent.
                let Some(body) = line.strip_prefix("    ") else {
                    continue;
                };
                let body = body.strip_prefix("async ").unwrap_or(body);
                if let Some(rest) = body.strip_prefix("fn ") {
                    let method = rest.split(['(', '<']).next().unwrap();
                    declared.push((trait_name.to_owned(), method.to_owned()));
                }
            }
        }
        declared
    }

    #[test]
    fn the_forwarding_list_names_every_directory_method_once() {
        let declared = declared();
        assert!(declared.len() >= 16, "read too few methods: {declared:?}");
        let mut listed: Vec<(String, String)> = LISTED
            .iter()
            .map(|(t, m)| ((*t).to_owned(), (*m).to_owned()))
            .collect();
        let mut declared_sorted = declared.clone();
        declared_sorted.sort();
        listed.sort();
        assert_eq!(listed, declared_sorted);
    }
}
