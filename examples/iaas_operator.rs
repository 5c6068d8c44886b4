//! The IaaS operator guide's five use cases through Roster.
//!
//! By default it starts the testkit's stateful IaaS emulator in-process, so
//! it needs no credentials and no network:
//!
//! ```sh
//! cargo run --example iaas_operator
//! ```
//!
//! To run it against a real server, set `ROSTER_IAAS_URL` (the API root,
//! such as `https://console.example.com/api`) and `ROSTER_IAAS_TOKEN` (the
//! operator JWT from the UI's Operator tab). It then creates two users
//! (`roster-example-*@example.com`) and two tenants (`roster-example-*`),
//! and deletes them all at the end.

use futures::TryStreamExt;
use roster::http::SecretString;
use roster::iaas::{IaasClient, IaasConfig};
use roster::{
    Email, MembershipDirectory, MembershipDirectoryExt, MembershipRequest, NewTenant, NewUser,
    Role, TenantDirectory, TenantDirectoryExt, UserDirectory, UserDirectoryExt, UserUpdate,
    WireGuardKey,
};
use roster_examples::heading;
use roster_testkit::Emulator;
use roster_testkit::contract::random_wireguard_key;
use roster_testkit::iaas::{IAAS_TOKEN, IaasModel};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    roster_examples::init_logging();
    // Keep the emulator alive for the whole run when we use it.
    let (_emulator, config) = match IaasConfig::from_env() {
        Some(config) => {
            println!("Using the IaaS operator API at {}", config.base_url());
            (None, config)
        }
        None => {
            let emulator = Emulator::start(IaasModel::default()).await;
            println!(
                "ROSTER_IAAS_URL/ROSTER_IAAS_TOKEN not set: using the in-process emulator at {}",
                emulator.base_url()
            );
            let config = IaasConfig::new(
                emulator.base_url(),
                SecretString::from(IAAS_TOKEN.to_owned()),
            );
            (Some(emulator), config)
        }
    };
    let iaas = IaasClient::new(config)?;
    let me = iaas.current_user().await?;
    println!(
        "Signed in as {:?} ({:?})",
        me.email.map(String::from),
        me.raw_role
    );

    heading("Use case 1: onboard a new employee into an existing tenant");
    let existing = iaas
        .ensure_tenant(&NewTenant::new("roster-example-development")?)
        .await?;
    let alice = iaas
        .ensure_user(
            &NewUser::new(Email::parse("roster-example-alice@example.com")?)
                .with_role(Role::Member),
        )
        .await?;
    let alice_key = random_wireguard_key();
    iaas.add_member(&existing.id, &alice.id, &with_key(&alice_key))
        .await?;
    println!(
        "alice ({}) is {:?} and now in {}",
        alice.id, alice.outcome, existing.name
    );

    heading("Use case 2: move alice to another project, keeping her key");
    let project = iaas
        .ensure_tenant(&NewTenant::new("roster-example-alpha")?)
        .await?;
    let moved = iaas
        .move_user(&alice.id, &existing.id, &project.id, &with_key(&alice_key))
        .await?;
    println!("alice moved to {}", moved.tenant);

    heading("Use case 3: create a project with its team");
    let bob = iaas
        .ensure_user(&NewUser::new(Email::parse(
            "roster-example-bob@example.com",
        )?))
        .await?;
    let team_name = "roster-example-beta";
    let team =
        NewTenant::new(team_name)?.with_member(bob.id.clone(), with_key(&random_wireguard_key()));
    let beta = iaas.create_tenant(&team).await?;
    let members = iaas.list_members(&beta.id).await?;
    println!("{team_name} created with {} member(s)", members.len());

    heading("Use case 5: promote bob to operator");
    let promoted = iaas
        .update_user(&bob.id, &UserUpdate::new().role(Role::Admin))
        .await?;
    println!("bob is now {:?} ({:?})", promoted.role, promoted.raw_role);

    heading("Use case 4: offboard both (deleting a user removes their memberships)");
    for user in [&alice, &bob] {
        iaas.delete_user(&user.id).await?;
    }
    for tenant in [&existing.value, &project.value, &beta.value] {
        let left = iaas.list_members(&tenant.id).await?.len();
        println!("{} has {left} member(s) left", tenant.name);
        iaas.delete_tenant(&tenant.id).await?;
    }
    let users: Vec<_> = iaas.list_users().try_collect().await?;
    println!("{} user(s) remain", users.len());
    Ok(())
}

fn with_key(key: &WireGuardKey) -> MembershipRequest {
    MembershipRequest::new().with_wireguard_key(key.clone())
}
