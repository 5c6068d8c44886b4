//! The adapter: Roster's traits over the generated Adverity client.

use std::collections::HashSet;
use std::sync::Arc;

use futures::TryStreamExt;
use futures::stream::BoxStream;
use roster_core::service::op;
use roster_core::{
    Capabilities, Checked, Connect, Created, Error, ErrorKind, Membership, MembershipService,
    NewTenant, Operation, Page, PageRequest, ProviderFields, Result, Tenant, TenantId,
    TenantService, User, UserId, UserService, in_operation, paginate,
};
use roster_http::{ClientContext, KeyedLocks};

use crate::config::AdverityConfig;
use crate::error::describe;
use crate::generated::{self, types};
use crate::mapping::{
    AdverityUser, ApiStack, ApiUser, Workspace, WorkspaceOptions, active_for_status, decode_items,
    membership, split_display_name, tenant_from_decoded, tenants_from_api, user_from_decoded,
    user_number, workspace_ids, workspace_slug,
};
use crate::wire::ItemList;

/// The provider identifier used in errors, logs and capabilities.
pub const PROVIDER: &str = "adverity";

/// The page size the API uses when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// The provider-specific fields [`UserDirectory::create_user`](roster_core::UserDirectory::create_user) and
/// [`UserDirectory::update_user`](roster_core::UserDirectory::update_user) accept (in
/// [`NewUser::fields`](roster_core::NewUser::fields) and
/// [`UserUpdate::fields`](roster_core::UserUpdate::fields)):
///
/// - `groups`: a list of integer group ids, the user's whole group list;
/// - `active`: `true` or `false`; on create it says whether the new
///   account is active (suspended when `false`), on update it is the same
///   as the status `Active` or `Suspended`.
///
/// Any other key, or a value of another type, is `InvalidInput` and
/// nothing is sent.
pub const USER_FIELDS: &[&str] = &["active", "groups"];

/// The largest page size this adapter asks for. Adverity does not publish
/// its limit; a server that silently caps a larger request would return
/// short pages, which a bare-array listing reads as the last page, so
/// requests are clamped to a size we assume every instance serves.
pub const MAX_PAGE_SIZE: u32 = 100;

roster_http::impl_client_hooks!(generated::Client);

/// A Roster adapter for the Adverity Management API.
///
/// **Users** are Adverity users, addressed by their numeric id: a
/// [`UserId`] that is not a number is `InvalidInput` before anything is
/// sent. The neutral display name maps to `first_name` and `last_name` with
/// [`split_display_name`](crate::split_display_name) and back with
/// [`join_names`](crate::join_names); [`AdverityService::adverity_user`]
/// gives both raw names, and [`AdverityService::set_names`] sets them
/// exactly. `active: false` is [`Suspended`](roster_core::UserStatus::Suspended);
/// suspend and reactivate with [`update_user`](roster_core::UserDirectory::update_user),
/// which `PATCH`es only the fields asked for. Adverity has no account-wide
/// roles (access comes from groups), so roles (`role`, `additional_roles`,
/// `roles`) are `Unsupported`. Delete is a real delete.
///
/// **Groups and `active`** are provider-specific fields ([`USER_FIELDS`]):
/// `NewUser::with_field("groups", json!([2, 5]))` and
/// `with_field("active", false)` on create (the documented defaults `[]`
/// and `true` are sent when they are not given), and
/// `UserUpdate::field("groups", …)` on update, which `PATCH`es the whole
/// group list and nothing else. Any other key, or a value of another type,
/// is `InvalidInput`, and nothing is sent.
///
/// **Provider data.** Every [`User`] and [`Tenant`] carries the user's or
/// workspace's JSON object exactly as the server sent it
/// ([`User::provider_data`], [`Tenant::provider_data`]), undocumented keys
/// included, and every [`Membership`] carries the JSON of the user whose
/// `workspaces` entry it is (Adverity has no membership object of its
/// own). Only `id` (and a workspace's `slug`) must be present: a missing
/// or `null` field is empty, a user without `active` has the status
/// [`Other`](roster_core::UserStatus::Other), and a list item without a
/// usable id is a `Decode` error naming its position.
///
/// **Tenants** are workspaces (stacks). The [`TenantId`] is the workspace
/// **slug**, because every workspace URL is `/api/stacks/{slug}/`: reading
/// or deleting one is one request. Creating one needs a datalake id, from
/// [`AdverityConfig::with_datalake_id`] or per call with
/// [`AdverityService::create_workspace`]; without one, nothing is sent and
/// the answer is `InvalidInput`.
///
/// **Memberships** are a user's `workspaces` list, which holds numeric
/// workspace ids, so the adapter maps slug to id by reading the workspace
/// (`GET /api/stacks/{slug}/`) and id to slug by listing workspaces. What
/// each operation costs:
///
/// | operation | requests |
/// |---|---|
/// | `add_member`, `remove_member` | 3: get workspace, get user, `PATCH` user (2 when nothing changes) |
/// | `list_members_page` | one page of users; the first page reads the workspace too |
/// | `list_members` (all pages) | 1 + every page of users |
/// | `list_user_memberships` | 1 + pages of workspaces until all the user's ids are found (none if they have none) |
///
/// A user the server sends without a `workspaces` list is in no workspace
/// for the two lists, and adding or removing them is `Unexpected` with
/// nothing written (rewriting a list the server did not show could drop
/// the others).
///
/// Add and remove `PATCH` only `workspaces`, and changes to one user made
/// through this client (and its clones) are serialised, so two concurrent
/// adds never lose one another's workspace. Other processes editing the
/// same user at the same moment can still race.
///
/// **Lists** are paginated with `page` and `page_size` (default
/// [`DEFAULT_PAGE_SIZE`], at most [`MAX_PAGE_SIZE`]); the cursor is the
/// next page number. A paginated envelope is followed while it has a
/// `next` link; a bare array (the docs do not say which form the user list
/// takes, so both are accepted, for workspaces too) ends at the first
/// short page. `count` is
/// never trusted. A `404` for a page after the first (Django REST
/// framework's "Invalid page.") ends the list.
///
/// **Member lists** page with the user list, as Adverity has no list of a
/// workspace's members: each page is one page of users, filtered to the
/// workspace's members, so it may hold none and still name a next page
/// ([`stream_members`](roster_core::MembershipDirectoryExt::stream_members)
/// goes on through such pages). Its cursor also names the workspace (its
/// numeric id, read once on the first page, and its slug); a cursor of
/// another workspace's list, or of another list, is `InvalidInput` and
/// nothing is sent.
///
/// ```no_run
/// # async fn demo() -> roster_core::Result<()> {
/// use roster_core::{Email, NewUser, UserDirectory};
/// use roster_adverity::{AdverityClient, AdverityConfig};
///
/// let client = AdverityClient::new(AdverityConfig::require_env()?)?;
/// let ada = client
///     .create_user(&NewUser::new(Email::parse("ada@example.com")?).with_display_name("Ada Lovelace"))
///     .await?;
/// println!("created {}", ada.id);
/// # Ok(()) }
/// ```
pub type AdverityClient = Checked<AdverityService>;

/// The Adverity adapter itself, behind [`AdverityClient`]'s checks: its
/// rules and costs are described there. Its own methods (raw names,
/// workspaces with per-call settings) are called on an `AdverityClient`
/// directly.
#[derive(Debug, Clone)]
pub struct AdverityService {
    api: Arc<generated::Client>,
    datalake_id: Option<u64>,
    user_locks: KeyedLocks,
}

impl Connect for AdverityService {
    type Config = AdverityConfig;

    fn connect(config: AdverityConfig) -> Result<Self> {
        Ok(AdverityService {
            api: config.endpoint.bearer_client(PROVIDER, describe)?,
            datalake_id: config.datalake_id,
            user_locks: KeyedLocks::default(),
        })
    }
}

impl AdverityService {
    fn context(&self) -> &ClientContext {
        &self.api.inner
    }

    /// Reads one user with everything Adverity reports about them,
    /// including the raw `first_name` and `last_name`. One request.
    pub async fn adverity_user(&self, id: &UserId) -> Result<AdverityUser> {
        let operation = Operation::GetUser;
        let id = user_number(id).map_err(in_operation(PROVIDER, operation))?;
        Ok(AdverityUser::from_api(self.raw_user(id, operation).await?))
    }

    /// Sets `first_name` and `last_name` exactly as given, for names the
    /// display-name split rule cannot express. One `PATCH` of those two
    /// fields.
    pub async fn set_names(
        &self, id: &UserId, first_name: &str, last_name: &str,
    ) -> Result<AdverityUser> {
        let operation = Operation::UpdateUser;
        let id = user_number(id).map_err(in_operation(PROVIDER, operation))?;
        let patch = types::UserPatch {
            first_name: Some(first_name.to_owned()),
            last_name: Some(last_name.to_owned()),
            ..types::UserPatch::default()
        };
        let user = self.patch_user(id, &patch, operation).await?;
        Ok(AdverityUser::from_api(user))
    }

    /// Reads a workspace by slug, with the numeric id memberships use. One
    /// request.
    pub async fn workspace(&self, id: &TenantId) -> Result<Workspace> {
        let operation = Operation::GetTenant;
        let slug = workspace_slug(id).map_err(in_operation(PROVIDER, operation))?;
        Workspace::from_api(self.raw_stack(slug, operation).await?)
            .map_err(in_operation(PROVIDER, operation))
    }

    /// Creates a workspace with per-call settings: the datalake id (which
    /// overrides the config's) and an optional parent workspace, by slug
    /// (resolved with one `GET`). Without a datalake id here or in the
    /// config, nothing is sent and the answer is `InvalidInput`. Members
    /// are `Unsupported`: add them afterwards.
    pub async fn create_workspace(
        &self, tenant: &NewTenant, options: &WorkspaceOptions,
    ) -> Result<Created<Tenant>> {
        let operation = Operation::CreateTenant;
        if !tenant.members.is_empty() {
            return Err(Error::unsupported(
                PROVIDER,
                operation,
                "creating a workspace with members; add them with add_member afterwards",
            ));
        }
        let datalake = options.datalake_id.or(self.datalake_id).ok_or_else(|| {
            self.context().error(
                ErrorKind::InvalidInput,
                operation,
                "creating an Adverity workspace needs a datalake id: set it with \
                 AdverityConfig::with_datalake_id or WorkspaceOptions::with_datalake_id",
            )
        })?;
        let datalake_id = i64::try_from(datalake).map_err(|_| {
            self.context().error(
                ErrorKind::InvalidInput,
                operation,
                format!("datalake id {datalake} is too large"),
            )
        })?;
        let parent_slug = options
            .parent
            .as_ref()
            .map(workspace_slug)
            .transpose()
            .map_err(in_operation(PROVIDER, operation))?;
        let parent_id = match parent_slug {
            Some(slug) => Some(self.raw_stack(slug, operation).await?.id),
            None => None,
        };
        let body = types::StackCreate {
            datalake_id,
            name: tenant.name().to_owned(),
            parent_id,
            destination: None,
        };
        let created = self
            .context()
            .call(operation, self.api.create_stack(&body))
            .await?;
        Ok(Created::new(
            tenant_from_decoded(created.into()).map_err(in_operation(PROVIDER, operation))?,
        ))
    }

    async fn raw_user(&self, id: i64, operation: Operation) -> Result<ApiUser> {
        Ok(self
            .context()
            .call(operation, self.api.get_user(id))
            .await?
            .into())
    }

    async fn raw_stack(&self, slug: &str, operation: Operation) -> Result<ApiStack> {
        Ok(self
            .context()
            .call(operation, self.api.get_stack(slug))
            .await?
            .into())
    }

    async fn patch_user(
        &self, id: i64, patch: &types::UserPatch, operation: Operation,
    ) -> Result<ApiUser> {
        Ok(self
            .context()
            .call(operation, self.api.patch_user(id, patch))
            .await?
            .into())
    }

    /// Decodes a list page's items one by one (see [`decode_items`]) and
    /// finds the cursor: an envelope is followed while `next` is set, a
    /// bare array while pages come back full.
    fn page_items<T: serde::de::DeserializeOwned>(
        &self, list: ItemList, what: &str, number: i64, size: u32, operation: Operation,
    ) -> Result<Page<crate::mapping::Decoded<T>>> {
        let has_next = match list.envelope {
            Some(paging) => paging.has_next,
            None => list.items.len() >= size as usize,
        };
        let items = decode_items(list.items, what, self.context().redactor())
            .map_err(in_operation(PROVIDER, operation))?;
        Ok(Page {
            next: next_cursor(has_next, items.is_empty(), number),
            items,
        })
    }

    /// One page of users as the server sent them.
    async fn raw_users_page(
        &self, operation: Operation, page: &PageRequest,
    ) -> Result<Page<ApiUser>> {
        let (number, size) = page_position(page).map_err(in_operation(PROVIDER, operation))?;
        let answer = self
            .context()
            .call(
                operation,
                self.api.list_users(Some(number), Some(i64::from(size))),
            )
            .await;
        match answer {
            Ok(list) => self.page_items(list, "user", number, size, operation),
            Err(err) if past_the_end(&err, number) => Ok(Page::complete(Vec::new())),
            Err(err) => Err(err),
        }
    }

    /// One page of workspaces as the server sent them.
    async fn raw_stacks_page(
        &self, operation: Operation, page: &PageRequest,
    ) -> Result<Page<ApiStack>> {
        let (number, size) = page_position(page).map_err(in_operation(PROVIDER, operation))?;
        let answer = self
            .context()
            .call(
                operation,
                self.api.list_stacks(Some(number), Some(i64::from(size))),
            )
            .await;
        match answer {
            Ok(list) => self.page_items(list, "workspace", number, size, operation),
            Err(err) if past_the_end(&err, number) => Ok(Page::complete(Vec::new())),
            Err(err) => Err(err),
        }
    }

    /// Every workspace as the server sent them, one page at a time, lazily.
    fn raw_stacks(&self, operation: Operation) -> BoxStream<'_, Result<ApiStack>> {
        paginate(move |cursor| async move {
            let page = match cursor {
                Some(cursor) => PageRequest::after(cursor),
                None => PageRequest::first(),
            };
            self.raw_stacks_page(operation, &page).await
        })
    }

    /// Adds or removes one workspace id on a user's `workspaces` list:
    /// read the user, edit the list, `PATCH` only `workspaces`, all under
    /// the user's lock so that concurrent changes queue up instead of
    /// overwriting each other. Answers the user as the server has it now,
    /// and whether anything was written (nothing is when the list already
    /// says what was asked). A user answered without a `workspaces` list
    /// is `Unexpected` and nothing is written: rewriting a list the server
    /// did not show could drop the user's other workspaces.
    async fn change_workspaces(
        &self, user: i64, workspace: i64, add: bool, operation: Operation,
    ) -> Result<(ApiUser, bool)> {
        let _guard = self.user_locks.lock(&user.to_string()).await;
        let current = self.raw_user(user, operation).await?;
        let Some(listed) = current.workspaces.as_deref() else {
            return Err(self.context().error(
                ErrorKind::Unexpected,
                operation,
                format!(
                    "the server sent user {user} without a `workspaces` list; nothing was \
                     written, since rewriting it could drop their other workspaces"
                ),
            ));
        };
        if listed.contains(&workspace) == add {
            return Ok((current, false));
        }
        let workspaces: Vec<i64> = if add {
            listed
                .iter()
                .copied()
                .chain(std::iter::once(workspace))
                .collect()
        } else {
            listed
                .iter()
                .copied()
                .filter(|id| *id != workspace)
                .collect()
        };
        let patch = types::UserPatch {
            workspaces: Some(workspaces),
            ..types::UserPatch::default()
        };
        let updated = self.patch_user(user, &patch, operation).await?;
        if workspace_ids(&updated).contains(&workspace) != add {
            return Err(self.context().error(
                ErrorKind::Unexpected,
                operation,
                format!(
                    "the server accepted the change to user {user}'s workspaces but did not \
                     apply it (workspace {workspace})"
                ),
            ));
        }
        Ok((updated, true))
    }
}

/// The page number and size a request asks for. The cursor is a page
/// number this adapter handed out; anything else is `InvalidInput`.
fn page_position(page: &PageRequest) -> Result<(i64, u32)> {
    let number = match page.cursor.as_deref() {
        None => 1,
        Some(cursor) => match cursor.parse::<i64>() {
            Ok(number) if number >= 1 => number,
            _ => {
                return Err(Error::invalid_input(format!(
                    "{cursor:?} is not an Adverity page cursor (a page number from 1)"
                )));
            }
        },
    };
    let size = page
        .page_size
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE);
    Ok((number, size))
}

/// Where a member list goes on: the next page of users to read, and the
/// workspace whose members they are, by its numeric id (so a later page
/// needs no second read of the workspace) and by the slug it was asked
/// for (so a cursor of another workspace's list is refused; the id itself
/// is taken as the first page read it).
/// Written `PAGE:ID:SLUG`.
struct MemberCursor {
    users_page: i64,
    workspace: i64,
}

impl MemberCursor {
    /// The cursor after a page of users, from that page's own cursor (the
    /// next page number).
    fn after(users_cursor: &str, workspace: i64, slug: &str) -> String {
        format!("{users_cursor}:{workspace}:{slug}")
    }

    /// Reads a cursor this adapter handed out for the members of `slug`;
    /// anything else is `InvalidInput`.
    fn parse(cursor: &str, slug: &str) -> Result<Self> {
        let invalid = || {
            Error::invalid_input(format!(
                "{cursor:?} is not an Adverity member-list cursor (one from a page of \
                 list_members_page)"
            ))
        };
        let mut parts = cursor.splitn(3, ':');
        let (Some(page), Some(workspace), Some(of)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let (Ok(users_page), Ok(workspace)) = (page.parse::<i64>(), workspace.parse::<i64>())
        else {
            return Err(invalid());
        };
        if users_page < 1 {
            return Err(invalid());
        }
        if of != slug {
            return Err(Error::invalid_input(format!(
                "the cursor {cursor:?} goes on with the members of workspace {of:?}, not {slug:?}"
            )));
        }
        Ok(MemberCursor {
            users_page,
            workspace,
        })
    }
}

/// Django REST framework answers `404 {"detail": "Invalid page."}` for a
/// page past the last one: after a first page, that is the end of the list.
fn past_the_end(err: &Error, number: i64) -> bool {
    number > 1 && err.status() == Some(404)
}

fn next_cursor(has_next: bool, empty: bool, number: i64) -> Option<String> {
    (has_next && !empty).then(|| (number + 1).to_string())
}

// [`USER_FIELDS`]: `active` and `groups`.
roster_core::impl_provider! {
    AdverityService, id: PROVIDER, capabilities: |_| capabilities(),
    user_fields: USER_FIELDS,
    request_timeout: |service| service.context().request_timeout()
}

/// The checked values of a create's or update's provider-specific fields.
struct FieldValues {
    groups: Option<Vec<i64>>,
    active: Option<bool>,
}

/// Reads [`USER_FIELDS`] from `fields` (the checking step refused any
/// other key): a value of the wrong type is `InvalidInput`.
fn field_values(fields: &ProviderFields) -> Result<FieldValues> {
    let groups = fields
        .decode::<Vec<u64>>("groups")
        .map_err(|err| {
            Error::invalid_input(format!(
                "{}; `groups` is a list of integer group ids",
                err.message()
            ))
        })?
        .map(|ids| {
            ids.into_iter()
                .map(|id| {
                    i64::try_from(id)
                        .map_err(|_| Error::invalid_input(format!("group id {id} is too large")))
                })
                .collect::<Result<Vec<i64>>>()
        })
        .transpose()?;
    let active = fields.bool("active")?;
    Ok(FieldValues { groups, active })
}

/// What the Adverity Management API supports.
pub fn capabilities() -> Capabilities {
    // `delete_user_cascades_memberships`: memberships live on the user, so
    // they go with it.
    roster_core::capabilities! {
        supported: [list_users, server_side_pagination, get_user, create_user, update_user,
            update_email, update_status, user_display_name, update_display_name, delete_user,
            delete_user_cascades_memberships, list_tenants, get_tenant, create_tenant,
            delete_tenant, list_members, list_user_memberships, add_member, remove_member],
        unsupported: [create_is_invitation, update_role, user_roles, multiple_roles_per_user,
            current_user, create_tenant_with_members, membership_roles,
            membership_requires_wireguard_key],
        max_tenants_per_user: None,
    }
}

impl UserService for AdverityService {
    /// Adverity's user ids are numbers.
    fn check_user_id(&self, id: &UserId) -> Result<()> {
        user_number(id).map(drop)
    }

    /// One page (`GET /api/v1/users/?page=N&page_size=S`); see the type's
    /// docs for how the end of the list is found.
    async fn list_users_page(&self, args: op::ListUsers) -> Result<Page<User>> {
        let page = self.raw_users_page(args.operation(), args.page()).await?;
        Ok(Page {
            items: page.items.into_iter().map(user_from_decoded).collect(),
            next: page.next,
        })
    }

    /// `GET /api/v1/users/{id}/`.
    async fn get_user(&self, args: op::GetUser<'_>) -> Result<User> {
        let id = user_number(args.id())?;
        Ok(user_from_decoded(
            self.raw_user(id, args.operation()).await?,
        ))
    }

    /// `POST /api/v1/users/` with the documented body: the display name
    /// split into first and last name (both empty without one), no
    /// workspaces, and the [`USER_FIELDS`] `groups` and `active` as given,
    /// or the documented defaults `[]` and `true` when not given. Roles
    /// are `Unsupported`; other fields are `InvalidInput`.
    async fn create_user(&self, args: op::CreateUser<'_>) -> Result<Created<User>> {
        let fields = field_values(&args.user().fields)?;
        let (first_name, last_name) = args
            .user()
            .display_name
            .as_deref()
            .map(split_display_name)
            .unwrap_or_default();
        let body = types::UserCreate {
            email: args.user().email.as_str().to_owned(),
            first_name,
            last_name,
            groups: fields.groups.unwrap_or_default(),
            workspaces: Vec::new(),
            active: fields.active.unwrap_or(true),
        };
        let created = self
            .context()
            .call(args.operation(), self.api.create_user(&body))
            .await?;
        Ok(Created::new(user_from_decoded(created.into())))
    }

    /// One `PATCH /api/v1/users/{id}/` carrying only what changes: `email`,
    /// `first_name` and `last_name` (from the display name), `active`
    /// (the status, active or suspended; other statuses are
    /// `InvalidInput`) and the [`USER_FIELDS`] `groups` (the whole group
    /// list) and `active` (which must agree with a status given too).
    /// Roles are `Unsupported`; other fields are `InvalidInput`. An empty
    /// update reads the user instead.
    async fn update_user(&self, args: op::UpdateUser<'_>) -> Result<User> {
        let id = user_number(args.id())?;
        let status_active = args.update().status.map(active_for_status).transpose()?;
        let fields = field_values(&args.update().fields)?;
        let active = match (status_active, fields.active) {
            (Some(status), Some(field)) if status != field => {
                return Err(self.context().error(
                    ErrorKind::InvalidInput,
                    args.operation(),
                    format!(
                        "the status asks for active: {status} and the `active` field for \
                         active: {field}"
                    ),
                ));
            }
            (status, field) => status.or(field),
        };
        if args.update().is_empty() {
            return Ok(user_from_decoded(
                self.raw_user(id, args.operation()).await?,
            ));
        }
        let (first_name, last_name) = match args
            .update()
            .display_name
            .as_deref()
            .map(split_display_name)
        {
            Some((first, last)) => (Some(first), Some(last)),
            None => (None, None),
        };
        let patch = types::UserPatch {
            email: args.update().email.as_ref().map(|e| e.as_str().to_owned()),
            first_name,
            last_name,
            active,
            groups: fields.groups,
            workspaces: None,
        };
        Ok(user_from_decoded(
            self.patch_user(id, &patch, args.operation()).await?,
        ))
    }

    /// `DELETE /api/v1/users/{id}/`: a real delete.
    async fn delete_user(&self, args: op::DeleteUser<'_>) -> Result<()> {
        let call = self.api.delete_user(user_number(args.id())?);
        self.context().call(args.operation(), call).await
    }
}

impl TenantService for AdverityService {
    /// One page of workspaces (`GET /api/stacks/?page=N&page_size=S`),
    /// with slugs as ids.
    async fn list_tenants_page(&self, args: op::ListTenants) -> Result<Page<Tenant>> {
        let page = self.raw_stacks_page(args.operation(), args.page()).await?;
        Ok(Page {
            items: tenants_from_api(page.items)?,
            next: page.next,
        })
    }

    /// `GET /api/stacks/{slug}/`.
    async fn get_tenant(&self, args: op::GetTenant<'_>) -> Result<Tenant> {
        Ok(self.workspace(args.id()).await?.tenant)
    }

    /// `POST /api/stacks/` with the config's datalake id; see
    /// [`AdverityService::create_workspace`] for per-call settings.
    async fn create_tenant(&self, args: op::CreateTenant<'_>) -> Result<Created<Tenant>> {
        self.create_workspace(args.tenant(), &WorkspaceOptions::new())
            .await
    }

    /// `DELETE /api/stacks/{slug}/`.
    async fn delete_tenant(&self, args: op::DeleteTenant<'_>) -> Result<()> {
        let call = self.api.delete_stack(args.id().as_str());
        self.context().call(args.operation(), call).await
    }
}

impl MembershipService for AdverityService {
    /// One page of users (`GET /api/v1/users/?page=N&page_size=S`),
    /// keeping those whose `workspaces` hold the workspace; the first page
    /// reads the workspace (`GET /api/stacks/{slug}/`) for its numeric id
    /// first, and the cursor carries that id on. `page_size` counts users,
    /// so a page holds at most that many members, and it may hold none
    /// while a next page follows. The list ends where the user list does.
    async fn list_members_page(&self, args: op::ListMembers<'_>) -> Result<Page<Membership>> {
        let slug = args.tenant().as_str();
        // The slug the memberships name (the one asked for, on every page,
        // so one list names its tenant one way) and the numeric id users'
        // `workspaces` hold.
        let (member_of, workspace, mut users_page) = match args.page().cursor.as_deref() {
            None => {
                let stack = self.raw_stack(slug, args.operation()).await?;
                (slug.to_owned(), stack.id, PageRequest::first())
            }
            Some(cursor) => {
                let cursor = MemberCursor::parse(cursor, slug)?;
                (
                    slug.to_owned(),
                    cursor.workspace,
                    PageRequest::after(cursor.users_page.to_string()),
                )
            }
        };
        users_page.page_size = args.page().page_size;
        let users = self.raw_users_page(args.operation(), &users_page).await?;
        let members = users
            .items
            .iter()
            .filter(|user| workspace_ids(user).contains(&workspace))
            .map(|user| membership(&member_of, user))
            .collect::<Result<_>>()?;
        let next = users
            .next
            .map(|number| MemberCursor::after(&number, workspace, slug));
        Ok(Page {
            items: members,
            next,
        })
    }

    /// Reads the user, then lists workspaces until every id in the user's
    /// `workspaces` has its slug. Ids the API key cannot see in the
    /// workspace list have no slug to name them by; they are left out and
    /// logged at `warn`.
    async fn list_user_memberships(
        &self, args: op::ListUserMemberships<'_>,
    ) -> Result<Vec<Membership>> {
        let id = user_number(args.user())?;
        let raw = self.raw_user(id, args.operation()).await?;
        let mut wanted: HashSet<i64> = workspace_ids(&raw).iter().copied().collect();
        let mut memberships = Vec::new();
        let mut stacks = self.raw_stacks(args.operation());
        while !wanted.is_empty() {
            let Some(stack) = stacks.try_next().await? else {
                break;
            };
            if wanted.remove(&stack.id) {
                memberships.push(membership(&stack.slug, &raw)?);
            }
        }
        if !wanted.is_empty() {
            let mut hidden: Vec<i64> = wanted.into_iter().collect();
            hidden.sort_unstable();
            tracing::warn!(
                provider = PROVIDER,
                user = id,
                workspaces = ?hidden,
                "user belongs to workspaces missing from the workspace list; left out"
            );
        }
        Ok(memberships)
    }

    /// Reads the workspace (its numeric id), then the user, and `PATCH`es
    /// the user's `workspaces` with the id added; nothing is written when
    /// the user is already a member. Tenant roles are `Unsupported`.
    async fn add_member(&self, args: op::AddMember<'_>) -> Result<Membership> {
        let user_id = user_number(args.user())?;
        let stack = self
            .raw_stack(args.tenant().as_str(), args.operation())
            .await?;
        let (updated, _) = self
            .change_workspaces(user_id, stack.id, true, args.operation())
            .await?;
        membership(&stack.slug, &updated)
    }

    /// Reads the workspace, then the user, and `PATCH`es the user's
    /// `workspaces` without it. A user who is not a member is `NotFound`,
    /// and nothing is written.
    async fn remove_member(&self, args: op::RemoveMember<'_>) -> Result<()> {
        let user_id = user_number(args.user())?;
        let stack = self
            .raw_stack(args.tenant().as_str(), args.operation())
            .await?;
        let (_, changed) = self
            .change_workspaces(user_id, stack.id, false, args.operation())
            .await?;
        if !changed {
            return Err(self.context().error(
                ErrorKind::NotFound,
                args.operation(),
                format!(
                    "user {user_id} is not a member of workspace {}",
                    args.tenant()
                ),
            ));
        }
        Ok(())
    }
}
