//! Where each user is, on a provider that allows one tenant per user: the
//! snapshot apply and bulk onboarding check the one-tenant rule against,
//! instead of the adapter reading the tenants before every write.

use std::collections::HashMap;
use std::sync::Mutex;

use roster_core::{Directory, Email, Error, ErrorKind, Operation, Result, TenantId, UserId};

use crate::fleet::all_tenants;

/// Where each user is, by tenant, on a provider that allows one tenant per
/// user: read once at the start of each phase that adds or moves members,
/// then changed as apply writes. Each add or move is checked against it
/// instead of the adapter reading the tenants before every write, and
/// hands it on ([`MembershipRequest::known_tenants`]).
pub(crate) struct Whereabouts {
    provider: &'static str,
    tenants_of: Mutex<HashMap<UserId, Vec<TenantId>>>,
}

impl Whereabouts {
    /// Reads where everyone is: one read where the provider lists tenants
    /// with their members (IaaS), else the tenants and then their members.
    /// `None` when that fails: each write then checks for itself, as a
    /// direct call does.
    pub(crate) async fn read(directory: &dyn Directory) -> Option<Whereabouts> {
        let members = match directory.list_tenants_with_members().await {
            Ok(Some(both)) => both.members,
            Ok(None) => {
                let tenants = all_tenants(directory).await.ok()?;
                let ids: Vec<TenantId> = tenants.into_iter().map(|t| t.id).collect();
                directory.list_members_of(&ids).await.ok()?
            }
            Err(_) => return None,
        };
        Some(Whereabouts::from_members(directory, members))
    }

    /// Where everyone is, from the members of every tenant.
    pub(crate) fn from_members(
        directory: &dyn Directory, members: Vec<roster_core::Membership>,
    ) -> Whereabouts {
        let mut tenants_of: HashMap<UserId, Vec<TenantId>> = HashMap::new();
        for member in members {
            tenants_of
                .entry(member.user)
                .or_default()
                .push(member.tenant);
        }
        Whereabouts {
            provider: directory.provider_id(),
            tenants_of: Mutex::new(tenants_of),
        }
    }

    /// Whether `user` is in `tenant`, as last read or written.
    pub(crate) fn is_in(&self, user: &UserId, tenant: &TenantId) -> bool {
        self.lock()
            .get(user)
            .is_some_and(|tenants| tenants.contains(tenant))
    }

    /// Records that `user` joined `tenant` (on a provider that allows
    /// several tenants per user).
    pub(crate) fn joined(&self, user: &UserId, tenant: &TenantId) {
        self.lock()
            .entry(user.clone())
            .or_default()
            .push(tenant.clone());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, Vec<TenantId>>> {
        // A panic elsewhere cannot leave the map half-written: every
        // change to it is one insert.
        self.tenants_of
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Checks that `user` may be added to `tenant` (they are in no other
    /// tenant now) and records them there; answers where they were, for the
    /// request and for [`Whereabouts::undo`].
    pub(crate) fn add(
        &self, user: &UserId, tenant: &TenantId, email: &Email, name: &str,
    ) -> Result<Vec<TenantId>> {
        let mut map = self.lock();
        let now = map.get(user).cloned().unwrap_or_default();
        if let Some(other) = now.iter().find(|t| *t != tenant) {
            return Err(self.changed(
                Operation::AddMember,
                format!(
                    "{email} is in tenant {other}, and a user can be in one tenant at a time: \
                     adding them to {name:?} would move them, so nothing was sent"
                ),
            ));
        }
        map.insert(user.clone(), vec![tenant.clone()]);
        Ok(now)
    }

    /// Checks that `user` is still in `from` alone, as planned, and records
    /// them in `to`; answers where they were.
    pub(crate) fn mv(
        &self, user: &UserId, from: &TenantId, to: &TenantId, email: &Email, names: (&str, &str),
    ) -> Result<Vec<TenantId>> {
        let mut map = self.lock();
        let now = map.get(user).cloned().unwrap_or_default();
        if now.as_slice() != std::slice::from_ref(from) {
            let now_text = if now.is_empty() {
                "in no tenant".to_owned()
            } else {
                format!(
                    "in {}",
                    now.iter()
                        .map(TenantId::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(self.changed(
                Operation::MoveMember,
                format!(
                    "{email} is {now_text}, not in {:?}: not moved to {:?}, nothing was sent",
                    names.0, names.1
                ),
            ));
        }
        map.insert(user.clone(), vec![to.clone()]);
        Ok(now)
    }

    /// Records that `user` left `tenant`.
    pub(crate) fn remove(&self, user: &UserId, tenant: &TenantId) {
        if let Some(tenants) = self.lock().get_mut(user) {
            tenants.retain(|t| t != tenant);
        }
    }

    /// Puts back what [`add`](Whereabouts::add) or [`mv`](Whereabouts::mv)
    /// recorded, after the write failed.
    pub(crate) fn undo(&self, user: &UserId, before: Vec<TenantId>) {
        self.lock().insert(user.clone(), before);
    }

    fn changed(&self, operation: Operation, message: String) -> Error {
        Error::new(ErrorKind::Conflict, message)
            .with_provider(self.provider)
            .with_operation(operation)
    }
}
