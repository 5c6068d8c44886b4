//! Helpers built on the core traits, implemented for every adapter (and
//! every `dyn` trait object) by blanket impls.

use async_trait::async_trait;
use futures::TryStreamExt;
use futures::stream::BoxStream;

use crate::directory::{MembershipDirectory, TenantDirectory, UserDirectory};
use crate::error::{Error, ErrorKind, Operation, Result};
use crate::model::{
    CreateOutcome, Created, Email, Membership, MembershipRequest, NewTenant, NewUser, PageRequest,
    Tenant, TenantId, User, UserId,
};
use crate::pagination::{paginate, paginate_through_empty_pages};

/// The first item of `items` that `matches`, reading no further pages.
async fn first_match<T>(
    mut items: BoxStream<'_, Result<T>>, matches: impl Fn(&T) -> bool + Send,
) -> Result<Option<T>> {
    while let Some(item) = items.try_next().await? {
        if matches(&item) {
            return Ok(Some(item));
        }
    }
    Ok(None)
}

/// After a create: if it lost a race (`AlreadyExists`), adopt what the
/// winner created, found by the natural key.
async fn adopt_if_taken<T, Find, Found>(
    created: Result<Created<T>>, find: Find,
) -> Result<Created<T>>
where
    Find: FnOnce() -> Found + Send,
    Found: std::future::Future<Output = Result<Option<T>>> + Send,
{
    match created {
        Err(err) if err.kind() == ErrorKind::AlreadyExists => match find().await? {
            Some(found) => Ok(Created::with_outcome(found, CreateOutcome::AlreadyPresent)),
            None => Err(err),
        },
        other => other,
    }
}

/// Helpers for any [`UserDirectory`].
#[async_trait]
pub trait UserDirectoryExt: UserDirectory {
    /// Every user, as a lazy stream that fetches pages as it is consumed.
    fn list_users(&self) -> BoxStream<'_, Result<User>> {
        paginate(move |cursor| {
            self.list_users_page(PageRequest {
                cursor,
                page_size: None,
            })
        })
    }

    /// Finds the user with this email, ignoring letter case.
    ///
    /// This walks the user list until it finds a match, so it costs one
    /// request per page read.
    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>> {
        first_match(self.list_users(), |user| {
            user.email
                .as_ref()
                .is_some_and(|e| email.matches(e.as_str()))
        })
        .await
    }

    /// Returns the user with this email, creating it only if there is none.
    ///
    /// It never creates a duplicate: it looks first, and if a concurrent
    /// create wins the race (the create answers `AlreadyExists`), it adopts
    /// that user. An existing user is returned as it is, with
    /// [`CreateOutcome::AlreadyPresent`]; its role and name are not changed.
    async fn ensure_user(&self, user: &NewUser) -> Result<Created<User>> {
        if let Some(found) = self.find_user_by_email(&user.email).await? {
            return Ok(Created::with_outcome(found, CreateOutcome::AlreadyPresent));
        }
        let created = self.create_user(user).await;
        adopt_if_taken(created, || self.find_user_by_email(&user.email)).await
    }
}

impl<T: UserDirectory + ?Sized> UserDirectoryExt for T {}

/// Helpers for any [`TenantDirectory`].
#[async_trait]
pub trait TenantDirectoryExt: TenantDirectory {
    /// Every tenant, as a lazy stream that fetches pages as it is consumed.
    fn list_tenants(&self) -> BoxStream<'_, Result<Tenant>> {
        paginate(move |cursor| {
            self.list_tenants_page(PageRequest {
                cursor,
                page_size: None,
            })
        })
    }

    /// Finds the tenant with exactly this name.
    async fn find_tenant_by_name(&self, name: &str) -> Result<Option<Tenant>> {
        first_match(self.list_tenants(), |tenant| tenant.name == name).await
    }

    /// Returns the tenant with this name, creating it only if there is none.
    ///
    /// An existing tenant is returned as it is: the members listed in
    /// `tenant` are only used when it is created.
    async fn ensure_tenant(&self, tenant: &NewTenant) -> Result<Created<Tenant>> {
        if let Some(found) = self.find_tenant_by_name(tenant.name()).await? {
            return Ok(Created::with_outcome(found, CreateOutcome::AlreadyPresent));
        }
        let created = self.create_tenant(tenant).await;
        adopt_if_taken(created, || self.find_tenant_by_name(tenant.name())).await
    }
}

impl<T: TenantDirectory + ?Sized> TenantDirectoryExt for T {}

/// Helpers for any [`MembershipDirectory`].
#[async_trait]
pub trait MembershipDirectoryExt: MembershipDirectory {
    /// Every member of `tenant`, as a lazy stream that fetches pages as it
    /// is consumed, going on through pages that hold no member
    /// ([`paginate_through_empty_pages`]).
    fn stream_members(&self, tenant: &TenantId) -> BoxStream<'_, Result<Membership>> {
        let tenant = tenant.clone();
        paginate_through_empty_pages(move |cursor| {
            let tenant = tenant.clone();
            async move {
                self.list_members_page(
                    &tenant,
                    PageRequest {
                        cursor,
                        page_size: None,
                    },
                )
                .await
            }
        })
    }

    /// Every member of `tenant`, in one list: [`stream_members`]
    /// collected. Prefer the stream where the list may be long and each
    /// member can be handled as it arrives.
    ///
    /// [`stream_members`]: MembershipDirectoryExt::stream_members
    async fn list_members(&self, tenant: &TenantId) -> Result<Vec<Membership>> {
        self.stream_members(tenant).try_collect().await
    }

    /// `user`'s membership of `tenant`, read off the tenant's member
    /// pages until it turns up (so a long list is neither held whole nor
    /// read past the match).
    async fn find_member(&self, tenant: &TenantId, user: &UserId) -> Result<Option<Membership>> {
        first_match(self.stream_members(tenant), |m| &m.user == user).await
    }

    /// Whether `user` is a member of `tenant`.
    async fn is_member(&self, tenant: &TenantId, user: &UserId) -> Result<bool> {
        Ok(self
            .list_user_memberships(user)
            .await?
            .iter()
            .any(|m| &m.tenant == tenant))
    }
}

impl<T: MembershipDirectory + ?Sized> MembershipDirectoryExt for T {}

/// How many tenants' members the default
/// [`list_members_of`](crate::MembershipDirectory::list_members_of) reads at
/// once.
pub const MEMBER_READS_AT_ONCE: usize = 8;

/// Runs `reads` (one tenant's members each) up to [`MEMBER_READS_AT_ONCE`]
/// at a time, and joins their answers in the order given.
pub(crate) async fn members_of_each(
    reads: Vec<futures::future::BoxFuture<'_, Result<Vec<Membership>>>>,
) -> Result<Vec<Membership>> {
    use futures::StreamExt;
    let lists: Vec<Vec<Membership>> = futures::stream::iter(reads)
        .buffered(MEMBER_READS_AT_ONCE)
        .try_collect()
        .await?;
    Ok(lists.into_iter().flatten().collect())
}

/// Moves a user by removing them from `from` and adding them to `to` with
/// `request`: the default [`MembershipDirectory::move_user`], public so an
/// adapter that overrides it (say, to fill in a key it reads first) can
/// still finish the same way.
///
/// Removing first is what a provider with one tenant per user needs. The
/// request is checked against [`Capabilities`](crate::Capabilities) first,
/// so input the add would refuse (a missing WireGuard key, a tenant role
/// the provider lacks) fails before anything is removed. If the add still
/// fails, it puts the user back in `from` (with their old tenant role,
/// read first where the provider has tenant roles) and returns the add's
/// error, saying whether the restore worked.
pub async fn remove_then_add<D: MembershipDirectory + ?Sized>(
    directory: &D, user: &UserId, from: &TenantId, to: &TenantId, request: &MembershipRequest,
) -> Result<Membership> {
    if from == to {
        return Err(Error::invalid_input(format!(
            "cannot move user {user} from tenant {from} to itself"
        ))
        .with_provider(directory.provider_id())
        .with_operation(Operation::MoveMember));
    }
    directory
        .capabilities()
        .check_membership_request(request)
        .map_err(|err| {
            err.with_provider(directory.provider_id())
                .with_operation(Operation::MoveMember)
        })?;
    // Where tenant roles exist, a restore must bring back the old role,
    // not the new one: read it first (the member pages up to the user).
    let mut restore = request.clone();
    if directory.capabilities().membership_roles {
        let old = directory.find_member(from, user).await?;
        restore.role = old.and_then(|m| m.role);
    }
    directory
        .remove_member(from, user)
        .await
        .map_err(|err| err.with_context(format!("moving user {user} out of tenant {from}")))?;
    // What the caller knew about the user's tenants is no longer true
    // once they left `from`.
    let mut request = request.clone();
    if let Some(known) = &mut request.known_tenants {
        known.retain(|tenant| tenant != from);
    }
    restore.known_tenants.clone_from(&request.known_tenants);
    match directory.add_member(to, user, &request).await {
        Ok(membership) => Ok(membership),
        Err(err) => {
            let restored = directory.add_member(from, user, &restore).await;
            let context = match restored {
                Ok(_) => format!(
                    "moving user {user} into tenant {to} failed; they were put back in {from}"
                ),
                Err(restore) => format!(
                    "moving user {user} into tenant {to} failed, and putting them back in \
                     {from} failed too ({restore}); they are in neither"
                ),
            };
            Err(err.with_context(context))
        }
    }
}
