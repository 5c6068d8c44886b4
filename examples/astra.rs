//! DataStax Astra DevOps through Roster: invite a user, promote them by
//! replacing their roles, and remove them.
//!
//! By default it starts the testkit's stateful Astra emulator in-process, so
//! it needs no credentials and no network:
//!
//! ```sh
//! cargo run --example astra
//! ```
//!
//! To run it against the real API, set `ROSTER_ASTRA_TOKEN` (an application
//! token allowed to manage users, such as one with the Organization
//! Administrator role) and, optionally, `ROSTER_ASTRA_URL` (default
//! `https://api.astra.datastax.com`). It then invites
//! `roster-example-astra@example.com` into the token's organization and
//! removes the invitation at the end.

use futures::TryStreamExt;
use roster::astra::{AstraClient, AstraConfig};
use roster::http::SecretString;
use roster::{
    Email, MembershipDirectory, NewUser, Role, RoleSpec, TenantDirectoryExt, UserDirectory,
    UserDirectoryExt, UserUpdate,
};
use roster_examples::heading;
use roster_testkit::Emulator;
use roster_testkit::astra::{ASTRA_TOKEN, AstraModel};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    roster_examples::init_logging();
    // Keep the emulator alive for the whole run when we use it.
    let (_emulator, config) = match AstraConfig::from_env() {
        Some(config) => {
            println!("Using the Astra DevOps API at {}", config.base_url());
            (None, config)
        }
        None => {
            let emulator = Emulator::start(AstraModel::default()).await;
            println!(
                "ROSTER_ASTRA_TOKEN not set: using the in-process emulator at {}",
                emulator.base_url()
            );
            let config = AstraConfig::new(SecretString::from(ASTRA_TOKEN.to_owned()))
                .with_base_url(emulator.base_url());
            (Some(emulator), config)
        }
    };
    let astra = AstraClient::new(config)?;

    heading("The token's organization is the one tenant");
    let orgs: Vec<_> = astra.list_tenants().try_collect().await?;
    let org = orgs.first().ok_or("the token sees no organization")?;
    println!("organization {} ({})", org.name, org.id);
    let roles = astra.roles().await?;
    println!(
        "{} roles, such as {:?}",
        roles.len(),
        roles.iter().take(3).map(|r| &r.name).collect::<Vec<_>>()
    );

    heading("Invite a user (the default role is the least-privileged one)");
    let email = Email::parse("roster-example-astra@example.com")?;
    let invited = astra.ensure_user(&NewUser::new(email.clone())).await?;
    println!(
        "{} is {} with roles {:?} ({:?})",
        invited.id, invited.status, invited.raw_role, invited.outcome
    );

    heading("Invite again with another role: the invitation is re-sent");
    let again = astra
        .create_user(&NewUser::new(email.clone()).with_role(RoleSpec::Provider("R/W User".into())))
        .await;
    match again {
        Ok(created) => println!("{:?}, roles now {:?}", created.outcome, created.raw_role),
        // Someone who already accepted cannot be invited again.
        Err(err) => println!("not re-sent: {err}"),
    }

    heading("Promote: replace their roles with Organization Administrator");
    let promoted = astra
        .update_user(&invited.id, &UserUpdate::new().role(Role::Admin))
        .await?;
    println!("{} now has {:?}", promoted.id, promoted.raw_role);

    heading("Remove them from the organization");
    astra.remove_member(&org.id, &invited.id).await?;
    let still_there = astra.find_user_by_email(&email).await?;
    println!(
        "removed; listed afterwards: {}",
        if still_there.is_some() { "yes" } else { "no" }
    );
    if still_there.is_some() {
        return Err("the user is still listed after removal".into());
    }
    Ok(())
}
