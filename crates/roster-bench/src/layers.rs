//! The layers' own cost, with no I/O: `get_user` on an in-memory
//! directory that answers after one yield (one pending poll, like a
//! request), bare, inside each layer of the default stack alone, and inside
//! the whole stack. Scenario 1 prints it beside the same ablation over
//! real HTTP, which shows how much more the layers cost around real I/O.

use std::time::Duration;

use roster_core::{
    Capabilities, Created, Directory, Error, Membership, MembershipDirectory, MembershipRequest,
    NewTenant, NewUser, Operation, Page, PageRequest, Provider, Result, Role, Tenant,
    TenantDirectory, TenantId, User, UserDirectory, UserId, UserStatus, UserUpdate, async_trait,
};
use roster_layers::{LayerExt, Retry, Stack, Timeout, Trace};

use crate::server::block_on_current_thread;
use crate::stats::thread_cpu_ns;

const PROVIDER: &str = "in-memory";

/// A directory that answers `get_user` from memory and nothing else.
#[derive(Debug, Clone)]
struct InMemory {
    user: User,
}

impl Provider for InMemory {
    fn provider_id(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }
}

fn unsupported<T>(operation: Operation) -> Result<T> {
    Err(Error::unsupported(PROVIDER, operation, "this benchmark"))
}

#[async_trait]
impl UserDirectory for InMemory {
    async fn list_users_page(&self, _: PageRequest) -> Result<Page<User>> {
        unsupported(Operation::ListUsers)
    }
    async fn get_user(&self, _: &UserId) -> Result<User> {
        // One pending poll, as a real request has (at least): it makes the
        // layers' timers register and their futures poll twice.
        tokio::task::yield_now().await;
        Ok(self.user.clone())
    }
    async fn create_user(&self, _: &NewUser) -> Result<Created<User>> {
        unsupported(Operation::CreateUser)
    }
    async fn update_user(&self, _: &UserId, _: &UserUpdate) -> Result<User> {
        unsupported(Operation::UpdateUser)
    }
    async fn delete_user(&self, _: &UserId) -> Result<()> {
        unsupported(Operation::DeleteUser)
    }
}

#[async_trait]
impl TenantDirectory for InMemory {
    async fn list_tenants_page(&self, _: PageRequest) -> Result<Page<Tenant>> {
        unsupported(Operation::ListTenants)
    }
    async fn get_tenant(&self, _: &TenantId) -> Result<Tenant> {
        unsupported(Operation::GetTenant)
    }
    async fn create_tenant(&self, _: &NewTenant) -> Result<Created<Tenant>> {
        unsupported(Operation::CreateTenant)
    }
    async fn delete_tenant(&self, _: &TenantId) -> Result<()> {
        unsupported(Operation::DeleteTenant)
    }
}

#[async_trait]
impl MembershipDirectory for InMemory {
    async fn list_members_page(&self, _: &TenantId, _: PageRequest) -> Result<Page<Membership>> {
        unsupported(Operation::ListMembers)
    }
    async fn list_user_memberships(&self, _: &UserId) -> Result<Vec<Membership>> {
        unsupported(Operation::ListUserMemberships)
    }
    async fn add_member(
        &self, _: &TenantId, _: &UserId, _: &MembershipRequest,
    ) -> Result<Membership> {
        unsupported(Operation::AddMember)
    }
    async fn remove_member(&self, _: &TenantId, _: &UserId) -> Result<()> {
        unsupported(Operation::RemoveMember)
    }
}

/// Nanoseconds of CPU per `get_user` for each configuration, as
/// `(name, ns)`, over `calls` calls each (interleaved in blocks).
pub fn layer_costs(calls: usize) -> Result<Vec<(&'static str, f64)>> {
    let user = User::new(
        UserId::new("5eed0000-0000-4000-8000-00000000000c")?,
        UserStatus::Active,
    )
    .with_email(roster_core::Email::parse("user12@example.com")?)
    .with_role(Role::Member, "member");
    let base = InMemory { user };
    let configs: Vec<(&'static str, std::sync::Arc<dyn Directory>)> = vec![
        (
            "no layers (dyn call only)",
            Stack::none().apply(base.clone()),
        ),
        (
            "Trace alone",
            Stack::none().apply(base.clone().layer(Trace)),
        ),
        (
            "Timeout alone (one tokio timer)",
            Stack::none().apply(
                base.clone()
                    .layer(Timeout::per_attempt(Duration::from_secs(30))),
            ),
        ),
        (
            "two Timeouts (total + per attempt)",
            Stack::none().apply(
                base.clone()
                    .layer(Timeout::per_attempt(Duration::from_secs(30)))
                    .layer(Timeout::total(Duration::from_secs(120))),
            ),
        ),
        (
            "Retry alone (default)",
            Stack::none().apply(base.clone().layer(Retry::default())),
        ),
        ("Stack::default()", Stack::default().apply(base)),
    ];
    let id = UserId::new("5eed0000-0000-4000-8000-00000000000c")?;
    const BLOCK: usize = 1000;
    block_on_current_thread(async {
        let mut cpu = vec![0u64; configs.len()];
        let blocks = calls.div_ceil(BLOCK).max(1);
        for round in 0..=blocks {
            for step in 0..configs.len() {
                let index = (round + step) % configs.len();
                let directory = &configs[index].1;
                let before = thread_cpu_ns().unwrap_or(0);
                for _ in 0..BLOCK {
                    std::hint::black_box(directory.get_user(&id).await?);
                }
                // Round 0 warms up.
                if round > 0 {
                    cpu[index] += thread_cpu_ns().unwrap_or(0).saturating_sub(before);
                }
            }
        }
        let per_call = (blocks * BLOCK) as f64;
        Ok(configs
            .iter()
            .zip(cpu)
            .map(|((name, _), ns)| (*name, ns as f64 / per_call))
            .collect())
    })
}
