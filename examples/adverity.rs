//! Adverity through Roster: users, workspaces as tenants, and memberships.
//!
//! By default it starts the testkit's stateful Adverity emulator in-process,
//! so it needs no credentials and no network:
//!
//! ```sh
//! cargo run --example adverity
//! ```
//!
//! To run it against a real instance, set `ROSTER_ADVERITY_URL` (your
//! instance, such as `acme.datatap.adverity.com`; there is no default) and
//! `ROSTER_ADVERITY_TOKEN` (an API key generated in the Adverity UI by an
//! administrator of the root workspace). With `ROSTER_ADVERITY_DATALAKE_ID`
//! also set, it creates a workspace `roster-example-workspace`; without it,
//! it uses the first workspace the key can see. It creates one user
//! (`roster-example-ada@example.com`) and deletes everything it created at
//! the end.

use futures::TryStreamExt;
use roster::adverity::{AdverityClient, AdverityConfig};
use roster::http::SecretString;
use roster::{
    CreateOutcome, Email, MembershipDirectory, MembershipRequest, NewTenant, NewUser,
    TenantDirectory, TenantDirectoryExt, UserDirectory, UserDirectoryExt, UserStatus, UserUpdate,
};
use roster_examples::heading;
use roster_testkit::Emulator;
use roster_testkit::adverity::{ADVERITY_DATALAKE_ID, ADVERITY_TOKEN, AdverityModel};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    roster_examples::init_logging();
    // Keep the emulator alive for the whole run when we use it.
    let (_emulator, config) = match AdverityConfig::from_env()? {
        Some(config) => {
            println!("Using the Adverity instance at {}", config.base_url());
            (None, config)
        }
        None => {
            let emulator = Emulator::start(AdverityModel::default()).await;
            println!(
                "ROSTER_ADVERITY_URL/ROSTER_ADVERITY_TOKEN not set: using the in-process emulator at {}",
                emulator.base_url()
            );
            let config = AdverityConfig::new(
                emulator.base_url(),
                SecretString::from(ADVERITY_TOKEN.to_owned()),
            )
            .with_datalake_id(ADVERITY_DATALAKE_ID as u64);
            (Some(emulator), config)
        }
    };
    let can_create_workspaces = config.datalake_id().is_some();
    let adverity = AdverityClient::new(config)?;

    heading("Onboard: create a user (display name split into first and last name)");
    let ada = adverity
        .ensure_user(
            &NewUser::new(Email::parse("roster-example-ada@example.com")?)
                .with_display_name("Ada King Lovelace"),
        )
        .await?;
    let raw = adverity.adverity_user(&ada.id).await?;
    println!(
        "user {} is {:?}: first_name {:?}, last_name {:?}",
        ada.id, ada.outcome, raw.first_name, raw.last_name
    );

    heading("A workspace to put her in (tenant ids are workspace slugs)");
    let (workspace, created_workspace) = if can_create_workspaces {
        let ensured = adverity
            .ensure_tenant(&NewTenant::new("roster-example-workspace")?)
            .await?;
        let created = ensured.outcome == CreateOutcome::Created;
        (ensured.into_inner(), created)
    } else {
        println!(
            "{} not set: using an existing workspace",
            roster::adverity::DATALAKE_ID_ENV
        );
        let existing = adverity
            .list_tenants()
            .try_next()
            .await?
            .ok_or("the API key sees no workspace")?;
        (existing, false)
    };
    println!("workspace {:?} (slug {})", workspace.name, workspace.id);

    heading("Add her (a PATCH of her `workspaces` list only)");
    adverity
        .add_member(&workspace.id, &ada.id, &MembershipRequest::new())
        .await?;
    for membership in adverity.list_user_memberships(&ada.id).await? {
        println!("ada is in {}", membership.tenant);
    }

    heading("Suspend and reactivate (active: false is suspended)");
    let suspended = adverity
        .update_user(&ada.id, &UserUpdate::new().status(UserStatus::Suspended))
        .await?;
    println!("status: {}", suspended.status);
    let back = adverity
        .update_user(&ada.id, &UserUpdate::new().status(UserStatus::Active))
        .await?;
    println!("status: {}", back.status);

    heading("Offboard: remove her from the workspace and delete her");
    adverity.remove_member(&workspace.id, &ada.id).await?;
    if ada.outcome == CreateOutcome::Created {
        adverity.delete_user(&ada.id).await?;
    }
    if created_workspace {
        adverity.delete_tenant(&workspace.id).await?;
    }
    let users: Vec<_> = adverity.list_users().try_collect().await?;
    println!("{} user(s) remain", users.len());
    Ok(())
}
