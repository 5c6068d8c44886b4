//! The provider-neutral traits every adapter implements.
//!
//! The required methods are kept small; helpers built on them live in the
//! blanket `*Ext` traits in [`crate::ext`], so adding a helper never breaks
//! an adapter. All traits are object-safe: `Arc<dyn Directory>` works, and
//! so do `Arc<dyn UserDirectory>` and friends.

use async_trait::async_trait;

use crate::capability::Capabilities;
use crate::error::{Error, Operation, Result};
use crate::model::{
    Created, Membership, MembershipRequest, NewTenant, NewUser, Page, PageRequest, Principal,
    Tenant, TenantId, TenantsWithMembers, User, UserId, UserUpdate,
};

/// What every adapter (and every layer wrapping one) says about itself.
pub trait Provider: Send + Sync {
    /// A short, stable identifier of the provider, such as `iaas`.
    fn provider_id(&self) -> &'static str;

    /// What this adapter supports, and which rules its provider enforces.
    fn capabilities(&self) -> Capabilities;

    /// The provider-specific fields
    /// ([`ProviderFields`](crate::ProviderFields)) that `create_user` and
    /// `update_user` accept, such as `phone` or `groups`. Any other key is
    /// `InvalidInput`, and nothing is sent. The default is none.
    fn user_fields(&self) -> &'static [&'static str] {
        &[]
    }

    /// The time limit the client itself puts on every request it sends
    /// (an adapter's `HttpSettings::request_timeout` when Roster built
    /// its HTTP client), or `None` when it is not known (a client you
    /// injected, or none at all). The default is `None`.
    ///
    /// A layer stack leaves its per-attempt limit to the client when this
    /// limit is no longer (its one timer then guards only the
    /// whole-operation deadline): the client would fail the request first.
    /// An attempt that sends several requests (an IaaS `update_user` reads,
    /// then writes) is then bounded request by request.
    fn request_timeout(&self) -> Option<std::time::Duration> {
        None
    }
}

/// Implements [`Provider`] for an adapter's service: its id, its
/// capabilities (a function of the service, since some depend on how it was
/// connected) and, optionally, the provider fields it accepts and the
/// request timeout its HTTP client enforces ([`Provider::request_timeout`],
/// a function of the service, such as
/// `|service| service.context().request_timeout()`).
///
/// ```
/// struct Service { admin: bool }
///
/// roster_core::impl_provider! {
///     Service,
///     id: "example",
///     capabilities: |service: &Service| roster_core::Capabilities {
///         create_tenant: service.admin,
///         ..Default::default()
///     },
///     user_fields: &["phone"],
/// }
///
/// use roster_core::Provider;
/// let service = Service { admin: true };
/// assert_eq!(service.provider_id(), "example");
/// assert!(service.capabilities().create_tenant);
/// assert_eq!(service.user_fields(), ["phone"]);
/// ```
#[macro_export]
macro_rules! impl_provider {
    (
        $service:ty,
        id: $id:expr,
        capabilities: $capabilities:expr
        $(, user_fields: $fields:expr)?
        $(, request_timeout: $request_timeout:expr)? $(,)?
    ) => {
        impl $crate::Provider for $service {
            fn provider_id(&self) -> &'static str {
                $id
            }

            fn capabilities(&self) -> $crate::Capabilities {
                let capabilities: fn(&$service) -> $crate::Capabilities = $capabilities;
                capabilities(self)
            }

            $(
                fn user_fields(&self) -> &'static [&'static str] {
                    $fields
                }
            )?

            $(
                fn request_timeout(&self) -> ::std::option::Option<::std::time::Duration> {
                    let request_timeout: fn(&$service) -> ::std::option::Option<::std::time::Duration> =
                        $request_timeout;
                    request_timeout(self)
                }
            )?
        }
    };
}

/// Users: list, read, create, update and delete.
#[async_trait]
pub trait UserDirectory: Provider {
    /// Fetches one page of users. For the whole list as a lazy stream, use
    /// [`UserDirectoryExt::list_users`](crate::UserDirectoryExt::list_users).
    async fn list_users_page(&self, page: PageRequest) -> Result<Page<User>>;

    /// Reads one user. Answers [`ErrorKind::NotFound`](crate::ErrorKind::NotFound)
    /// when there is none.
    async fn get_user(&self, id: &UserId) -> Result<User>;

    /// Creates a user (or invites one, where
    /// [`Capabilities::create_is_invitation`] says so).
    async fn create_user(&self, user: &NewUser) -> Result<Created<User>>;

    /// Changes a user and returns it as it is afterwards.
    async fn update_user(&self, id: &UserId, update: &UserUpdate) -> Result<User>;

    /// Deletes a user.
    async fn delete_user(&self, id: &UserId) -> Result<()>;

    /// Reads the identity behind the client's credentials.
    ///
    /// The default answers `Unsupported`; adapters whose provider can do this
    /// override it and set [`Capabilities::current_user`].
    async fn current_user(&self) -> Result<Principal> {
        Err(Error::unsupported(
            self.provider_id(),
            Operation::CurrentUser,
            "reading the current user",
        ))
    }
}

/// Tenants: list, read, create and delete.
#[async_trait]
pub trait TenantDirectory: Provider {
    /// Fetches one page of tenants. For the whole list as a lazy stream, use
    /// [`TenantDirectoryExt::list_tenants`](crate::TenantDirectoryExt::list_tenants).
    async fn list_tenants_page(&self, page: PageRequest) -> Result<Page<Tenant>>;

    /// Reads one tenant.
    async fn get_tenant(&self, id: &TenantId) -> Result<Tenant>;

    /// Creates a tenant, with its first members where the provider can.
    async fn create_tenant(&self, tenant: &NewTenant) -> Result<Created<Tenant>>;

    /// Deletes a tenant.
    async fn delete_tenant(&self, id: &TenantId) -> Result<()>;
}

/// Memberships: who is in which tenant.
#[async_trait]
pub trait MembershipDirectory: Provider {
    /// Fetches one page of a tenant's members. For all of them as a lazy
    /// stream, use
    /// [`MembershipDirectoryExt::stream_members`](crate::MembershipDirectoryExt::stream_members);
    /// for all of them at once,
    /// [`MembershipDirectoryExt::list_members`](crate::MembershipDirectoryExt::list_members).
    ///
    /// A page may hold no members and still name a next one: where a
    /// provider's members are read off its paged user list (Adverity), a
    /// page of users none of whom is a member is an empty page of members.
    /// Follow [`Page::next`] until it is `None`
    /// ([`paginate_through_empty_pages`](crate::paginate_through_empty_pages)
    /// does), not until a page is empty. A cursor is refused as it is for
    /// the other lists, where
    /// [`Capabilities::server_side_pagination`] is off.
    async fn list_members_page(
        &self, tenant: &TenantId, page: PageRequest,
    ) -> Result<Page<Membership>>;

    /// Lists the tenants a user belongs to.
    async fn list_user_memberships(&self, user: &UserId) -> Result<Vec<Membership>>;

    /// Adds a user to a tenant.
    ///
    /// On a provider that allows one tenant per user
    /// ([`Capabilities::max_tenants_per_user`]), adding a user who is in
    /// another tenant is a [`Conflict`](crate::ErrorKind::Conflict); use
    /// [`MembershipDirectory::move_user`].
    async fn add_member(
        &self, tenant: &TenantId, user: &UserId, request: &MembershipRequest,
    ) -> Result<Membership>;

    /// Removes a user from a tenant.
    async fn remove_member(&self, tenant: &TenantId, user: &UserId) -> Result<()>;

    /// The members of each of `tenants`, in one list. The default asks per
    /// tenant, [`MEMBER_READS_AT_ONCE`](crate::ext::MEMBER_READS_AT_ONCE)
    /// tenants at a time (layers around the directory still apply their
    /// concurrency and rate limits to each), in the order given; adapters whose tenant list already carries the members (the
    /// IaaS operator API) answer with one request. Planning uses it.
    async fn list_members_of(&self, tenants: &[TenantId]) -> Result<Vec<Membership>> {
        let reads = tenants
            .iter()
            .map(|tenant| crate::ext::MembershipDirectoryExt::list_members(self, tenant))
            .collect();
        crate::ext::members_of_each(reads).await
    }

    /// Every tenant with all its members, where one read gives both (the
    /// IaaS tenant list carries each tenant's members); `None` where it
    /// does not, which is the default: callers then list the tenants and
    /// ask for their members. Planning and apply use it to read a provider
    /// at the minimum.
    async fn list_tenants_with_members(&self) -> Result<Option<TenantsWithMembers>> {
        Ok(None)
    }

    /// Moves a user from tenant `from` to tenant `to`, adding them with
    /// `request` (which carries any credentials the provider needs, such as
    /// a WireGuard key).
    ///
    /// The default removes, then adds, and puts the user back if the add
    /// fails ([`remove_then_add`](crate::ext::remove_then_add)). Adapters
    /// override it where the provider moves natively, or to keep what the
    /// old membership carried.
    async fn move_user(
        &self, user: &UserId, from: &TenantId, to: &TenantId, request: &MembershipRequest,
    ) -> Result<Membership> {
        crate::ext::remove_then_add(self, user, from, to, request).await
    }
}

/// Everything: users, tenants and memberships. Implemented for every type
/// that implements the three traits, so `Arc<dyn Directory>` holds any
/// adapter.
pub trait Directory: UserDirectory + TenantDirectory + MembershipDirectory {}

impl<T: UserDirectory + TenantDirectory + MembershipDirectory + ?Sized> Directory for T {}

// A shared client is still a client: `Arc<IaasClient>` and
// `Arc<dyn Directory>` implement the traits too, so layers, fleets and
// helpers can hold adapters behind an `Arc` without wrapper types.
impl<T: Provider + ?Sized> Provider for std::sync::Arc<T> {
    fn provider_id(&self) -> &'static str {
        (**self).provider_id()
    }

    fn capabilities(&self) -> Capabilities {
        (**self).capabilities()
    }

    fn user_fields(&self) -> &'static [&'static str] {
        (**self).user_fields()
    }

    fn request_timeout(&self) -> Option<std::time::Duration> {
        (**self).request_timeout()
    }
}

/// Implements each trait for `Arc<T>` by calling the shared value.
macro_rules! forward_through_arc {
    ($( $trait:ident { $( $kind:ident $method:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty = $op:ident ; )* } )*) => {
        $(
            #[async_trait]
            impl<T: $trait + ?Sized> $trait for std::sync::Arc<T> {
                $(
                    async fn $method(&self, $($arg: $ty),*) -> Result<$ret> {
                        (**self).$method($($arg),*).await
                    }
                )*
            }
        )*
    };
}

crate::forward_directory_methods!(forward_through_arc);
