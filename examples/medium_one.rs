//! Medium One through Roster: create a user, add them to a tenant as
//! tenant-admin, update them, remove them from the tenant, and delete them.
//!
//! By default it starts the testkit's stateful Medium One emulator
//! in-process, so it needs no credentials and no network:
//!
//! ```sh
//! cargo run --example medium_one
//! ```
//!
//! To run it against the real API, set `ROSTER_MEDIUMONE_LOGIN`,
//! `ROSTER_MEDIUMONE_PASSWORD` and `ROSTER_MEDIUMONE_API_KEY` (and
//! optionally `ROSTER_MEDIUMONE_URL`, default
//! `https://api.mediumone.com/v2`; the sandbox is
//! `https://api-sandbox.mediumone.com/v2`). A tenant admin also sets
//! `ROSTER_MEDIUMONE_MODE=ta` and `ROSTER_MEDIUMONE_TENANT_ID`;
//! `ROSTER_MEDIUMONE_SESSION=token` uses a query token instead of a cookie.
//! A system admin uses (or creates, once) the tenant
//! `roster-example-tenant`: Medium One cannot delete tenants. The user
//! `roster-example-user@example.com` is created and deleted again; Medium
//! One mails new users a welcome email.

use roster::http::SecretString;
use roster::medium_one::{AdminMode, MediumOneClient, MediumOneConfig};
use roster::{
    Email, MembershipDirectory, MembershipDirectoryExt, MembershipRequest, NewTenant, NewUser,
    TenantDirectory, TenantDirectoryExt, TenantRole, UserDirectory, UserDirectoryExt, UserUpdate,
};
use roster_examples::heading;
use roster_testkit::Emulator;
use roster_testkit::medium_one::{
    MEDIUMONE_API_KEY, MEDIUMONE_LOGIN, MEDIUMONE_PASSWORD, MediumOneModel,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    roster_examples::init_logging();
    // Keep the emulator alive for the whole run when we use it.
    let (_emulator, config) = match MediumOneConfig::from_env()? {
        Some(config) => {
            println!(
                "Using Medium One at {} as {} ({:?})",
                config.base_url(),
                config.login_id(),
                config.mode()
            );
            (None, config)
        }
        None => {
            let emulator = Emulator::start(MediumOneModel::default()).await;
            println!(
                "ROSTER_MEDIUMONE_LOGIN/PASSWORD/API_KEY not set: using the in-process emulator at {}",
                emulator.base_url()
            );
            let config = MediumOneConfig::new(
                MEDIUMONE_LOGIN,
                SecretString::from(MEDIUMONE_PASSWORD.to_owned()),
                SecretString::from(MEDIUMONE_API_KEY.to_owned()),
            )
            .with_base_url(emulator.base_url());
            (Some(emulator), config)
        }
    };
    let mode = config.mode().clone();
    let medium_one = MediumOneClient::new(config)?;

    heading("A tenant to work in");
    let tenant = match &mode {
        AdminMode::SystemAdmin => medium_one
            .ensure_tenant(&NewTenant::new("roster-example-tenant")?)
            .await?
            .into_inner(),
        AdminMode::TenantAdmin(own) => medium_one.get_tenant(own).await?,
    };
    println!("tenant {} ({})", tenant.name, tenant.id);

    heading("Create a user");
    let new_user = NewUser::new(Email::parse("roster-example-user@example.com")?)
        .with_display_name("Roster Example");
    let user = match &mode {
        AdminMode::SystemAdmin => medium_one.ensure_user(&new_user).await?,
        // A tenant admin cannot list all users, so ensure_user is not available.
        AdminMode::TenantAdmin(_) => medium_one.create_user(&new_user).await?,
    };
    println!("user {} is {:?}", user.id, user.outcome);

    heading("Add them to the tenant as tenant-admin");
    let membership = medium_one
        .add_member(
            &tenant.id,
            &user.id,
            &MembershipRequest::new().with_role(TenantRole::Admin),
        )
        .await?;
    println!(
        "{} is {:?} in {}",
        membership.user, membership.role, tenant.name
    );

    heading("Update them");
    let updated = medium_one
        .update_user(
            &user.id,
            &UserUpdate::new().display_name("Roster Example (updated)"),
        )
        .await?;
    println!("display name is now {:?}", updated.display_name);

    heading("Remove them from the tenant");
    medium_one.remove_member(&tenant.id, &user.id).await?;
    let members = medium_one.list_members(&tenant.id).await?;
    println!(
        "{} has {} member(s); the user is {}",
        tenant.name,
        members.len(),
        if members.iter().any(|m| m.user == user.id) {
            "still there"
        } else {
            "gone"
        }
    );

    heading("Delete them");
    medium_one.delete_user(&user.id).await?;
    match medium_one.get_user(&user.id).await {
        Err(err) if err.kind() == roster::ErrorKind::NotFound => println!("user deleted"),
        Err(err) => return Err(err.into()),
        Ok(_) => return Err("the user is still there".into()),
    }
    Ok(())
}
