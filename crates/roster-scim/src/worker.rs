//! The workers: they drain the outbox through the Roster fleet (and the
//! layers each provider was given), one operation per person and provider
//! at a time, in acceptance order.
//!
//! Every operation is idempotent, so delivering one twice (after a crash
//! between the provider's answer and the store's commit) changes nothing
//! the second time:
//! - a person is addressed through the provider id the store keeps;
//! - with none, an account with the same email is adopted (the provider's
//!   accounts are listed once and kept in memory; a create the provider
//!   refuses as a duplicate adopts too), so a repeat never makes a second
//!   account;
//! - memberships are compared with the provider's list before any add or
//!   remove.
//!
//! A deleted SCIM group takes its members out of the tenants it mapped to;
//! the tenants themselves stay (deleting one can delete its data), and so
//! do tenants no group maps: a membership is only ever removed from a
//! tenant the config maps.
//!
//! Repeats a user can see: Astra and NetBird invite by email, so an invite
//! repeated because its answer was lost may send the invitation email
//! again (Astra re-sends it for a user whose invitation is still pending).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use roster::Fleet;
use roster_core::{
    Capabilities, CreateOutcome, Directory, Email, Error, ErrorKind, MembershipRequest, NewTenant,
    NewUser, RoleSpec, TenantDirectoryExt, TenantId, TenantRole, User, UserDirectoryExt, UserId,
    UserStatus, UserUpdate, WireGuardKey,
};
use tokio::sync::{Notify, Semaphore, watch};

use crate::config::{Deactivation, ScimConfig, role_spec};
use crate::store::{Operation, OutboxRow, PersonSnapshot, Store, now_millis};

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered; the note says what was done differently from what the
    /// IdP asked, if anything.
    Done(Option<String>),
    /// A temporary failure (the provider is down, rate limits, a timeout):
    /// retried later.
    Retry(String),
    /// An error retrying cannot fix; the operation waits for `retry`.
    Failed(String),
}

fn classify(err: &Error) -> Outcome {
    if err.is_temporary() {
        Outcome::Retry(err.to_string())
    } else {
        Outcome::Failed(err.to_string())
    }
}

/// Delivers outbox operations to the fleet.
pub struct Delivery {
    fleet: Fleet,
    config: Arc<ScimConfig>,
    store: Store,
    /// Per provider: tenant name → id.
    tenants: PerProvider<HashMap<String, TenantId>>,
    /// Per provider: lower-cased email → account id, listed once (`None`
    /// until then).
    emails: PerProvider<Option<HashMap<String, UserId>>>,
}

/// A cache with one lock per provider: filling one provider's entry means
/// listing on that provider, and a slow provider must hold up only its own
/// lookups, not every other provider's first sight of a person.
struct PerProvider<T>(std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<T>>>>);

impl<T> Default for PerProvider<T> {
    fn default() -> Self {
        PerProvider(std::sync::Mutex::default())
    }
}

impl<T: Default> PerProvider<T> {
    /// The provider's entry, locked (the map itself is held only to find it).
    async fn lock(&self, provider: &str) -> tokio::sync::OwnedMutexGuard<T> {
        let entry = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(provider.to_owned())
            .or_default()
            .clone();
        entry.lock_owned().await
    }
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("fleet", &self.fleet)
            .finish_non_exhaustive()
    }
}

/// A person's place on one provider, from their groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Desired {
    /// Tenant names with their tenant role, without repeats, in priority
    /// order.
    tenants: Vec<(String, Option<TenantRole>)>,
    /// The account role.
    role: Option<RoleSpec>,
    /// Every tenant name the config maps on this provider: the only ones a
    /// membership is ever removed from.
    managed: Vec<String>,
}

impl Delivery {
    /// Delivers to `fleet`, mapped by `config`.
    pub fn new(fleet: Fleet, config: Arc<ScimConfig>, store: Store) -> Self {
        Delivery {
            fleet,
            config,
            store,
            tenants: PerProvider::default(),
            emails: PerProvider::default(),
        }
    }

    /// The fleet.
    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    fn desired(&self, provider: &str, groups: &[String]) -> Desired {
        let mapping = self.config.mapping(provider);
        let mut desired = Desired::default();
        for providers in self.config.groups.values() {
            if let Some(m) = providers.get(provider)
                && let Some(t) = &m.tenant
                && !desired.managed.contains(t)
            {
                desired.managed.push(t.clone());
            }
        }
        for name in groups {
            let explicit = self
                .config
                .groups
                .iter()
                .find(|(g, _)| g.eq_ignore_ascii_case(name))
                .and_then(|(_, providers)| providers.get(provider));
            match explicit {
                Some(m) => {
                    if let Some(t) = &m.tenant
                        && !desired.tenants.iter().any(|(n, _)| n == t)
                    {
                        desired.tenants.push((t.clone(), m.tenant_role));
                    }
                    if desired.role.is_none()
                        && let Some(role) = &m.role
                    {
                        desired.role = Some(role_spec(role));
                    }
                }
                None if mapping.groups_as_tenants => {
                    if !desired.tenants.iter().any(|(n, _)| n == name) {
                        desired.tenants.push((name.clone(), None));
                    }
                    if !desired.managed.contains(name) {
                        desired.managed.push(name.clone());
                    }
                }
                None => {}
            }
        }
        if desired.role.is_none() {
            desired.role = mapping.role.as_deref().map(role_spec);
        }
        let rank = |name: &str| {
            mapping
                .tenant_priority
                .iter()
                .position(|p| p == name)
                .unwrap_or(usize::MAX)
        };
        // A stable sort keeps group order among tenants the priority omits.
        desired.tenants.sort_by_key(|(name, _)| rank(name));
        desired
    }

    fn directory(&self, provider: &str) -> Result<&Arc<dyn Directory>, Outcome> {
        self.fleet
            .provider(provider)
            .ok_or_else(|| Outcome::Failed(format!("the fleet has no provider {provider:?}")))
    }

    /// Carries out one outbox row.
    pub async fn deliver(&self, row: &OutboxRow) -> Outcome {
        let result = match &row.operation {
            Operation::SyncUser { user } => self.sync_user(&row.provider, user).await,
            Operation::DeleteUser { user_id } => {
                self.delete_user(&row.provider, user_id, &row.subject).await
            }
            Operation::SyncGroup { display_name, .. } => {
                self.sync_group(&row.provider, display_name).await
            }
        };
        match result {
            Ok(notes) if notes.is_empty() => Outcome::Done(None),
            Ok(notes) => Outcome::Done(Some(notes.join("; "))),
            Err(outcome) => outcome,
        }
    }

    async fn tenant_id(
        &self, provider: &str, dir: &Arc<dyn Directory>, name: &str, create: bool,
    ) -> Result<Option<TenantId>, Outcome> {
        let mut cache = self.tenants.lock(provider).await;
        if let Some(id) = cache.get(name) {
            return Ok(Some(id.clone()));
        }
        // A miss lists again: the tenant may have been made since.
        let listed: Vec<_> = dir
            .list_tenants()
            .try_collect()
            .await
            .map_err(|e| classify(&e))?;
        for tenant in listed {
            cache.insert(tenant.name.clone(), tenant.id.clone());
        }
        if let Some(id) = cache.get(name) {
            return Ok(Some(id.clone()));
        }
        if !create {
            return Ok(None);
        }
        let tenant = NewTenant::new(name).map_err(|e| Outcome::Failed(e.to_string()))?;
        let created = dir.ensure_tenant(&tenant).await.map_err(|e| classify(&e))?;
        cache.insert(name.to_owned(), created.id.clone());
        Ok(Some(created.value.id))
    }

    async fn sync_group(&self, provider: &str, display_name: &str) -> Result<Vec<String>, Outcome> {
        let dir = self.directory(provider)?;
        let caps = dir.capabilities();
        let desired = self.desired(provider, &[display_name.to_owned()]);
        let mut notes = Vec::new();
        for (tenant, _) in &desired.tenants {
            if self
                .tenant_id(provider, dir, tenant, caps.create_tenant)
                .await?
                .is_none()
            {
                notes.push(format!(
                    "tenant {tenant:?} for group {display_name:?} is missing on {provider}, which cannot create tenants"
                ));
            }
        }
        Ok(notes)
    }

    async fn delete_user(
        &self, provider: &str, user_id: &str, subject: &str,
    ) -> Result<Vec<String>, Outcome> {
        let dir = self.directory(provider)?;
        let store_err = |e: crate::store::StoreError| Outcome::Retry(e.to_string());
        if let Some(account) = self
            .store
            .account(user_id, provider)
            .await
            .map_err(store_err)?
        {
            let id = UserId::new(account).map_err(|e| Outcome::Failed(e.to_string()))?;
            match dir.delete_user(&id).await {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(classify(&e)),
            }
            self.forget_email(provider, &id).await;
            self.store
                .forget_account(user_id, provider)
                .await
                .map_err(store_err)?;
        }
        self.store
            .scrub_subject(provider, subject)
            .await
            .map_err(store_err)?;
        Ok(Vec::new())
    }

    async fn forget_email(&self, provider: &str, id: &UserId) {
        if let Some(cache) = self.emails.lock(provider).await.as_mut() {
            cache.retain(|_, v| v != id);
        }
    }

    /// The account with this email, from the provider's list (listed once
    /// per provider and kept up to date by this instance's own writes).
    async fn account_by_email(
        &self, provider: &str, dir: &Arc<dyn Directory>, email: &Email,
    ) -> Result<Option<UserId>, Outcome> {
        let mut emails = self.emails.lock(provider).await;
        if emails.is_none() {
            let users: Vec<User> = dir
                .list_users()
                .try_collect()
                .await
                .map_err(|e| classify(&e))?;
            let map = users
                .into_iter()
                .filter_map(|u| u.email.map(|e| (e.as_str().to_lowercase(), u.id)))
                .collect();
            *emails = Some(map);
        }
        Ok(emails
            .as_ref()
            .and_then(|m| m.get(&email.as_str().to_lowercase()))
            .cloned())
    }

    async fn remember_email(&self, provider: &str, email: &Email, id: &UserId) {
        if let Some(cache) = self.emails.lock(provider).await.as_mut() {
            cache.retain(|_, v| v != id);
            cache.insert(email.as_str().to_lowercase(), id.clone());
        }
    }

    /// The person's account as the provider has it now, through the stored
    /// id; `None` when there is none (or it was deleted behind our back).
    async fn current_account(
        &self, provider: &str, dir: &Arc<dyn Directory>, person: &PersonSnapshot,
    ) -> Result<Option<User>, Outcome> {
        let store_err = |e: crate::store::StoreError| Outcome::Retry(e.to_string());
        let Some(account) = self
            .store
            .account(&person.id, provider)
            .await
            .map_err(store_err)?
        else {
            return Ok(None);
        };
        let id = UserId::new(account).map_err(|e| Outcome::Failed(e.to_string()))?;
        match dir.get_user(&id).await {
            Ok(user) => Ok(Some(user)),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.store
                    .forget_account(&person.id, provider)
                    .await
                    .map_err(store_err)?;
                self.forget_email(provider, &id).await;
                Ok(None)
            }
            Err(e) => Err(classify(&e)),
        }
    }

    async fn sync_user(
        &self, provider: &str, person: &PersonSnapshot,
    ) -> Result<Vec<String>, Outcome> {
        let dir = self.directory(provider)?;
        let caps = dir.capabilities();
        let mapping = self.config.mapping(provider);
        let store_err = |e: crate::store::StoreError| Outcome::Retry(e.to_string());
        let email =
            Email::parse(person.email.clone()).map_err(|e| Outcome::Failed(e.to_string()))?;
        let desired = self.desired(provider, &person.groups);
        let mut notes = Vec::new();
        // The account-level facts this delivery applies. When the last
        // delivery applied the same ones, only memberships can differ, and
        // the account is not read again (on most providers a read by id
        // lists every user).
        let facts = serde_json::json!({
            "email": email.as_str().to_lowercase(),
            "display_name": person.display_name,
            "active": person.active,
            "role": desired.role.as_ref().map(ToString::to_string),
        })
        .to_string();
        if let Some(account) = self
            .store
            .account(&person.id, provider)
            .await
            .map_err(store_err)?
            && self
                .store
                .applied(&person.id, provider)
                .await
                .map_err(store_err)?
                .as_deref()
                == Some(facts.as_str())
        {
            if !person.active {
                return Ok(notes);
            }
            let id = UserId::new(account).map_err(|e| Outcome::Failed(e.to_string()))?;
            return match self
                .sync_memberships(
                    provider, dir, &caps, &mapping, &id, person, &desired, &mut notes,
                )
                .await
            {
                Ok(()) => Ok(notes),
                // Perhaps the account went behind our back: the next attempt
                // reads it, and makes it again if it is gone.
                Err(Outcome::Failed(error)) => {
                    self.store
                        .set_applied(&person.id, provider, None)
                        .await
                        .map_err(store_err)?;
                    Err(Outcome::Retry(error))
                }
                Err(other) => Err(other),
            };
        }
        let current = self.current_account(provider, dir, person).await?;

        if !person.active {
            let Some(user) = current else {
                return Ok(notes);
            };
            match mapping.deactivation(dir.provider_id()) {
                Deactivation::Offboard => {
                    match dir.delete_user(&user.id).await {
                        Ok(()) => {}
                        Err(e) if e.kind() == ErrorKind::NotFound => {}
                        Err(e) => return Err(classify(&e)),
                    }
                    self.forget_email(provider, &user.id).await;
                    self.store
                        .forget_account(&person.id, provider)
                        .await
                        .map_err(store_err)?;
                }
                policy => {
                    let status = if policy == Deactivation::Block {
                        UserStatus::Blocked
                    } else {
                        UserStatus::Suspended
                    };
                    if user.status != status {
                        dir.update_user(&user.id, &UserUpdate::new().status(status))
                            .await
                            .map_err(|e| classify(&e))?;
                    }
                    self.store
                        .set_applied(&person.id, provider, Some(&facts))
                        .await
                        .map_err(store_err)?;
                }
            }
            return Ok(notes);
        }

        let user = match current {
            Some(user) => {
                self.update_account(
                    provider, dir, &caps, &user, person, &email, &desired, &mut notes,
                )
                .await?;
                user
            }
            None => {
                let user = self
                    .adopt_or_create(provider, dir, &caps, person, &email, &desired, &mut notes)
                    .await?;
                self.store
                    .set_account(&person.id, provider, user.id.as_str())
                    .await
                    .map_err(store_err)?;
                self.remember_email(provider, &email, &user.id).await;
                // An adopted account may be blocked or named otherwise.
                self.update_account(
                    provider, dir, &caps, &user, person, &email, &desired, &mut notes,
                )
                .await?;
                user
            }
        };
        self.sync_memberships(
            provider, dir, &caps, &mapping, &user.id, person, &desired, &mut notes,
        )
        .await?;
        self.store
            .set_applied(&person.id, provider, Some(&facts))
            .await
            .map_err(store_err)?;
        Ok(notes)
    }

    /// Refuses to adopt an account another SCIM user already holds: two
    /// people on one account would each change and delete the other's. The
    /// operation fails with a reason the status shows, for an operator to
    /// resolve (the emails clash), and waits for `retry`.
    async fn refuse_if_linked(
        &self, provider: &str, user: &User, person: &PersonSnapshot,
    ) -> Result<(), Outcome> {
        match self.store.account_holder(provider, user.id.as_str()).await {
            Ok(Some(holder)) if holder != person.id => Err(Outcome::Failed(format!(
                "not adopted: the {provider} account {} with the same email already belongs to SCIM user {holder}",
                user.id
            ))),
            Ok(_) => Ok(()),
            Err(e) => Err(Outcome::Retry(e.to_string())),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn adopt_or_create(
        &self, provider: &str, dir: &Arc<dyn Directory>, caps: &Capabilities,
        person: &PersonSnapshot, email: &Email, desired: &Desired, notes: &mut Vec<String>,
    ) -> Result<User, Outcome> {
        if let Some(id) = self.account_by_email(provider, dir, email).await? {
            match dir.get_user(&id).await {
                Ok(user) => {
                    self.refuse_if_linked(provider, &user, person).await?;
                    notes.push(format!(
                        "adopted the existing account {} with the same email",
                        user.id
                    ));
                    return Ok(user);
                }
                Err(e) if e.kind() == ErrorKind::NotFound => self.forget_email(provider, &id).await,
                Err(e) => return Err(classify(&e)),
            }
        }
        let mut new = NewUser::new(email.clone());
        if caps.user_display_name
            && let Some(name) = &person.display_name
        {
            new = new.with_display_name(name.clone());
        }
        if caps.user_roles
            && let Some(role) = &desired.role
        {
            new = new.with_role(role.clone());
        }
        match dir.create_user(&new).await {
            Ok(created) => {
                if created.outcome == CreateOutcome::InvitationResent {
                    notes.push("the pending invitation was sent again".to_owned());
                }
                Ok(created.value)
            }
            // Someone made it since the list was read: adopt it.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                match dir.find_user_by_email(email).await {
                    Ok(Some(user)) => {
                        self.refuse_if_linked(provider, &user, person).await?;
                        notes.push(format!(
                            "adopted the existing account {} with the same email",
                            user.id
                        ));
                        Ok(user)
                    }
                    Ok(None) => Err(classify(&e)),
                    Err(e) => Err(classify(&e)),
                }
            }
            Err(e) => Err(classify(&e)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn update_account(
        &self, provider: &str, dir: &Arc<dyn Directory>, caps: &Capabilities, user: &User,
        person: &PersonSnapshot, email: &Email, desired: &Desired, notes: &mut Vec<String>,
    ) -> Result<(), Outcome> {
        let mut update = UserUpdate::new();
        let email_differs = user
            .email
            .as_ref()
            .is_some_and(|e| !email.matches(e.as_str()));
        if email_differs {
            if caps.update_email {
                update = update.email(email.clone());
            } else {
                notes.push(format!(
                    "{provider} cannot change an email: the account {} keeps {}",
                    user.id,
                    user.email
                        .as_ref()
                        .map(Email::as_str)
                        .unwrap_or("its old email")
                ));
            }
        }
        if let Some(name) = &person.display_name
            && caps.update_display_name
            && user.display_name.as_deref() != Some(name.as_str())
        {
            update = update.display_name(name.clone());
        }
        if matches!(user.status, UserStatus::Blocked | UserStatus::Suspended) {
            if caps.update_status {
                update = update.status(UserStatus::Active);
            } else {
                notes.push(format!(
                    "{provider} cannot reactivate the account {}",
                    user.id
                ));
            }
        }
        if let Some(role) = &desired.role
            && caps.user_roles
            && !has_role(user, role)
        {
            if caps.update_role {
                update = update.role(role.clone());
            } else {
                notes.push(format!(
                    "{provider} cannot change the role of {} to {role}",
                    user.id
                ));
            }
        }
        if !update.is_empty() {
            let updated = dir
                .update_user(&user.id, &update)
                .await
                .map_err(|e| classify(&e))?;
            if let Some(new_email) = &updated.email {
                self.remember_email(provider, new_email, &updated.id).await;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn sync_memberships(
        &self, provider: &str, dir: &Arc<dyn Directory>, caps: &Capabilities,
        mapping: &crate::config::ProviderMapping, user: &UserId, person: &PersonSnapshot,
        desired: &Desired, notes: &mut Vec<String>,
    ) -> Result<(), Outcome> {
        if desired.managed.is_empty()
            && desired.tenants.is_empty()
            && self
                .store
                .managed_memberships(&person.id, provider)
                .await
                .map_err(|e| Outcome::Retry(e.to_string()))?
                .is_empty()
        {
            return Ok(());
        }
        // Resolve the tenant names; a missing one the provider cannot
        // create is reported, and the rest proceeds.
        let mut wanted: Vec<(TenantId, String, Option<TenantRole>)> = Vec::new();
        for (name, role) in &desired.tenants {
            match self
                .tenant_id(provider, dir, name, caps.create_tenant)
                .await?
            {
                Some(id) => wanted.push((id, name.clone(), *role)),
                None => notes.push(format!(
                    "tenant {name:?} is missing on {provider}, which cannot create tenants"
                )),
            }
        }
        let store_err = |e: crate::store::StoreError| Outcome::Retry(e.to_string());
        let mut managed_names = desired.managed.clone();
        for name in self
            .store
            .managed_memberships(&person.id, provider)
            .await
            .map_err(store_err)?
        {
            if !managed_names.contains(&name) {
                managed_names.push(name);
            }
        }
        let mut managed: BTreeMap<TenantId, String> = BTreeMap::new();
        for name in &managed_names {
            if let Some(id) = self.tenant_id(provider, dir, name, false).await? {
                managed.insert(id, name.clone());
            }
        }
        let current = dir
            .list_user_memberships(user)
            .await
            .map_err(|e| classify(&e))?;
        let request = |role: Option<TenantRole>,
                       name: &str,
                       notes: &mut Vec<String>|
         -> Option<MembershipRequest> {
            let mut request = MembershipRequest::new();
            if caps.membership_roles
                && let Some(role) = role
            {
                request = request.with_role(role);
            }
            if caps.membership_requires_wireguard_key {
                let attribute = mapping
                    .wireguard_key_attribute
                    .as_deref()
                    .unwrap_or("(no wireguard_key_attribute configured)");
                match person.wireguard_key.as_deref().map(WireGuardKey::parse) {
                    Some(Ok(key)) => request = request.with_wireguard_key(key),
                    Some(Err(_)) => {
                        notes.push(format!("membership in {name:?} on {provider} blocked: {attribute} is not a WireGuard public key"));
                        return None;
                    }
                    None => {
                        notes.push(format!("membership in {name:?} on {provider} blocked: no WireGuard key in {attribute}"));
                        return None;
                    }
                }
            }
            Some(request)
        };

        if caps.single_tenant_per_user() {
            if wanted.len() > 1 {
                let names: Vec<&str> = wanted.iter().map(|(_, n, _)| n.as_str()).collect();
                notes.push(format!(
                    "{provider} allows one tenant per user and the groups map to {}: placed in {:?} (tenant_priority)",
                    names.join(", "),
                    names[0]
                ));
            }
            let now = current.first();
            match (wanted.first(), now) {
                (Some((to, name, _)), Some(m)) if &m.tenant == to => {
                    self.track(person, provider, name, true).await?;
                }
                (Some((to, name, role)), Some(m)) if managed.contains_key(&m.tenant) => {
                    if let Some(req) = request(*role, name, notes) {
                        dir.move_user(user, &m.tenant, to, &req)
                            .await
                            .map_err(|e| classify(&e))?;
                        self.track(person, provider, &managed[&m.tenant], false)
                            .await?;
                        self.track(person, provider, name, true).await?;
                    }
                }
                (Some((_, name, _)), Some(m)) => notes.push(format!(
                    "{provider}: not placed in {name:?}: already in tenant {} that no group maps",
                    m.tenant
                )),
                (Some((to, name, role)), None) => {
                    if let Some(req) = request(*role, name, notes) {
                        add(dir, to, user, &req).await?;
                        self.track(person, provider, name, true).await?;
                    }
                }
                (None, Some(m)) if managed.contains_key(&m.tenant) => {
                    remove(dir, &m.tenant, user).await?;
                    self.track(person, provider, &managed[&m.tenant], false)
                        .await?;
                }
                (None, _) => {}
            }
            return Ok(());
        }

        for (to, name, role) in &wanted {
            if current.iter().any(|m| &m.tenant == to) {
                // Recorded again, in case a crash came between the add and
                // its record.
                self.track(person, provider, name, true).await?;
                continue;
            }
            if let Some(req) = request(*role, name, notes) {
                add(dir, to, user, &req).await?;
                self.track(person, provider, name, true).await?;
            }
        }
        if mapping.memberships_are_accounts(dir.provider_id()) {
            return Ok(());
        }
        for m in &current {
            if let Some(name) = managed.get(&m.tenant)
                && !wanted.iter().any(|(id, _, _)| id == &m.tenant)
            {
                remove(dir, &m.tenant, user).await?;
                self.track(person, provider, name, false).await?;
            }
        }
        Ok(())
    }
}

impl Delivery {
    /// Records a membership a worker made (or removed), so a later change
    /// can take it away again even when no config line names the tenant
    /// (`groups_as_tenants`, a deleted group).
    async fn track(
        &self, person: &PersonSnapshot, provider: &str, tenant: &str, present: bool,
    ) -> Result<(), Outcome> {
        self.store
            .set_managed_membership(&person.id, provider, tenant, present)
            .await
            .map_err(|e| Outcome::Retry(e.to_string()))
    }
}

async fn add(
    dir: &Arc<dyn Directory>, tenant: &TenantId, user: &UserId, request: &MembershipRequest,
) -> Result<(), Outcome> {
    match dir.add_member(tenant, user, request).await {
        Ok(_) => Ok(()),
        // A repeat after a lost answer: the membership is there.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(classify(&e)),
    }
}

async fn remove(dir: &Arc<dyn Directory>, tenant: &TenantId, user: &UserId) -> Result<(), Outcome> {
    match dir.remove_member(tenant, user).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(classify(&e)),
    }
}

fn has_role(user: &User, role: &RoleSpec) -> bool {
    match role {
        RoleSpec::Neutral(r) => user.role == Some(*r),
        RoleSpec::Provider(name) => user
            .raw_role
            .as_deref()
            .is_some_and(|raw| raw.eq_ignore_ascii_case(name)),
    }
}

/// The worker pool of one instance.
#[derive(Debug)]
pub struct Workers {
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

/// What the pool needs to run.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// This instance's name in claims.
    pub instance: String,
    /// Operations at once.
    pub count: usize,
    /// Operations of one provider at once.
    pub per_provider: usize,
    /// First retry delay.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// How long a claim lasts; a running delivery renews it every third of
    /// this. At least a second ([`Workers::start`] raises a shorter one):
    /// a zero lease lapses as it is made, and the next claim (this pool's
    /// own included) would take the row again.
    pub lease: Duration,
    /// Idle polling interval.
    pub poll: Duration,
    /// Journal retention (zero keeps everything).
    pub retention: Duration,
}

impl WorkerSettings {
    /// The settings `[workers]` and `[store]` give.
    pub fn from_config(config: &ScimConfig) -> Self {
        let w = &config.workers;
        WorkerSettings {
            instance: format!("roster-scim-{}", uuid::Uuid::new_v4()),
            count: w.count,
            per_provider: w.per_provider.unwrap_or((w.count / 2).max(1)),
            retry_base: Duration::from_millis(w.retry_base_ms),
            retry_max: Duration::from_millis(w.retry_max_ms),
            lease: Duration::from_secs(w.lease_secs),
            poll: Duration::from_millis(w.poll_ms),
            retention: Duration::from_secs(u64::from(config.store.journal_retention_days) * 86_400),
        }
    }
}

impl Workers {
    /// Starts draining the outbox; `wake` is notified after each accepted
    /// request so new operations start at once.
    pub fn start(
        delivery: Arc<Delivery>, store: Store, mut settings: WorkerSettings, wake: Arc<Notify>,
    ) -> Workers {
        // A zero lease lapses as it is taken, so the next claim, even this
        // pool's own, would take a running row again (and deliver it
        // twice); the config refuses it, and settings made in code get the
        // shortest lease the config allows.
        settings.lease = settings.lease.max(Duration::from_secs(1));
        let (stop, stopped) = watch::channel(false);
        let done = tokio::spawn(run(delivery, store, settings, wake, stopped));
        Workers { stop, done }
    }

    /// Stops claiming, and waits until every claimed operation finished.
    /// Dropping the handle also stops claiming, without waiting.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
    }
}

async fn run(
    delivery: Arc<Delivery>, store: Store, settings: WorkerSettings, wake: Arc<Notify>,
    mut stopped: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(settings.count));
    let in_flight: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let finished = Arc::new(Notify::new());
    let mut last_purge = 0i64;
    loop {
        // Stopped by `shutdown`, or the handle was dropped (the channel
        // closed): claim nothing more.
        if *stopped.borrow() || stopped.has_changed().is_err() {
            break;
        }
        if !settings.retention.is_zero() && now_millis() - last_purge > 3_600_000 {
            last_purge = now_millis();
            let before = last_purge - settings.retention.as_millis() as i64;
            if let Err(e) = store.purge(before).await {
                tracing::warn!(error = %e, "purging the journal");
            }
        }
        let available = permits.available_permits();
        let busy: Vec<String> = in_flight
            .lock()
            .map(|m| {
                m.iter()
                    .filter(|(_, n)| **n >= settings.per_provider)
                    .map(|(p, _)| p.clone())
                    .collect()
            })
            .unwrap_or_default();
        let rows = if available == 0 {
            Vec::new()
        } else {
            match store
                .claim(
                    &settings.instance,
                    available.min(settings.per_provider),
                    settings.lease.as_millis() as i64,
                    &busy,
                )
                .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming outbox rows");
                    Vec::new()
                }
            }
        };
        if rows.is_empty() {
            tokio::select! {
                _ = wake.notified() => {}
                _ = finished.notified() => {}
                _ = tokio::time::sleep(settings.poll) => {}
                // A dropped `Workers` handle closes the channel: stop
                // claiming as `shutdown` does (a closed channel answers at
                // once, so waiting on it again would spin).
                changed = stopped.changed() => if changed.is_err() { break; },
            }
            continue;
        }
        for row in rows {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            if let Ok(mut m) = in_flight.lock() {
                *m.entry(row.provider.clone()).or_default() += 1;
            }
            let delivery = delivery.clone();
            let store = store.clone();
            let in_flight = in_flight.clone();
            let finished = finished.clone();
            let settings = settings.clone();
            tokio::spawn(async move {
                let outcome = deliver_renewing(&delivery, &store, &row, &settings).await;
                record(&store, &row, &outcome, &settings).await;
                if let Ok(mut m) = in_flight.lock()
                    && let Some(n) = m.get_mut(&row.provider)
                {
                    *n = n.saturating_sub(1);
                }
                drop(permit);
                finished.notify_one();
            });
        }
    }
    // Let every claimed operation finish.
    let _ = permits.acquire_many(settings.count as u32).await;
}

/// Delivers one claimed row, renewing its lease every third of the lease
/// while the delivery runs, so a slow provider does not let the claim lapse
/// and another instance deliver the same operation alongside.
async fn deliver_renewing(
    delivery: &Delivery, store: &Store, row: &OutboxRow, settings: &WorkerSettings,
) -> Outcome {
    let period = (settings.lease / 3).max(Duration::from_millis(1));
    let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    let deliver = delivery.deliver(row);
    tokio::pin!(deliver);
    loop {
        tokio::select! {
            outcome = &mut deliver => return outcome,
            _ = renew.tick() => {
                match store.renew(row.id, &settings.instance, settings.lease.as_millis() as i64).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(id = row.id, provider = %row.provider, "the claim lapsed during delivery; another instance may deliver it too"),
                    Err(e) => tracing::warn!(id = row.id, error = %e, "renewing a claim"),
                }
            }
        }
    }
}

async fn record(store: &Store, row: &OutboxRow, outcome: &Outcome, settings: &WorkerSettings) {
    let instance = settings.instance.as_str();
    let result = match outcome {
        Outcome::Done(note) => {
            tracing::debug!(id = row.id, provider = %row.provider, kind = row.operation.kind(), "delivered");
            store.finish(row.id, instance, note.as_deref()).await
        }
        Outcome::Retry(error) => {
            let exponent = (row.attempts.max(1) - 1).min(20) as u32;
            let delay = settings
                .retry_base
                .saturating_mul(2u32.saturating_pow(exponent))
                .min(settings.retry_max);
            tracing::info!(id = row.id, provider = %row.provider, attempt = row.attempts, error = %error, "will retry");
            store
                .postpone(
                    row.id,
                    instance,
                    error,
                    now_millis() + delay.as_millis() as i64,
                )
                .await
        }
        Outcome::Failed(error) => {
            tracing::warn!(id = row.id, provider = %row.provider, error = %error, "failed");
            store.fail(row.id, instance, error).await
        }
    };
    match result {
        Ok(true) => {}
        Ok(false) => {
            // Another instance took the row over after this lease lapsed; its
            // outcome stands, this one is dropped.
            tracing::warn!(id = row.id, provider = %row.provider, "the claim was lost before the outcome was recorded; outcome dropped");
        }
        // The claim lapses and another attempt delivers it again (at least once).
        Err(e) => tracing::warn!(id = row.id, error = %e, "recording an outcome"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_providers_lock_does_not_hold_up_another() {
        let cache: PerProvider<Option<u32>> = PerProvider::default();
        let slow = cache.lock("slow").await;
        let other = tokio::time::timeout(Duration::from_secs(5), cache.lock("other")).await;
        assert!(
            other.is_ok(),
            "another provider's entry waited on the slow one"
        );
        assert!(
            tokio::time::timeout(Duration::from_millis(50), cache.lock("slow"))
                .await
                .is_err(),
            "the same provider's entry is one lock"
        );
        drop(slow);
    }
}
