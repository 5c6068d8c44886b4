//! Onboarding, a move between groups and offboarding on NetBird through
//! Roster.
//!
//! By default it starts the testkit's stateful NetBird emulator in-process,
//! so it needs no credentials and no network:
//!
//! ```sh
//! cargo run --example netbird
//! ```
//!
//! To run it against a real server, set `ROSTER_NETBIRD_TOKEN` (a personal
//! access token, sent as `Authorization: Token`, or an OAuth JWT, sent as
//! `Bearer`) and, for a self-hosted server, `ROSTER_NETBIRD_URL` (default
//! `https://api.netbird.io`). It then invites `roster-example-alice@example.com`
//! (NetBird emails an invitation), creates a service user and two groups
//! (`roster-example-*`), and deletes them all at the end.

use futures::TryStreamExt;
use roster::http::SecretString;
use roster::netbird::{NetbirdClient, NetbirdConfig};
use roster::{
    Email, MembershipDirectory, MembershipRequest, NewTenant, NewUser, Role, TenantDirectory,
    TenantDirectoryExt, UserDirectory, UserDirectoryExt, UserStatus, UserUpdate,
};
use roster_examples::heading;
use roster_testkit::Emulator;
use roster_testkit::netbird::{NETBIRD_TOKEN, NetbirdModel};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    roster_examples::init_logging();
    // Keep the emulator alive for the whole run when we use it.
    let (_emulator, config) = match NetbirdConfig::from_env() {
        Some(config) => {
            println!(
                "Using the NetBird API at {} ({} credential)",
                config.base_url(),
                config.credential().scheme()
            );
            (None, config)
        }
        None => {
            let emulator = Emulator::start(NetbirdModel::default()).await;
            println!(
                "ROSTER_NETBIRD_TOKEN not set: using the in-process emulator at {}",
                emulator.base_url()
            );
            let config =
                NetbirdConfig::personal_access_token(SecretString::from(NETBIRD_TOKEN.to_owned()))
                    .with_base_url(emulator.base_url());
            (Some(emulator), config)
        }
    };
    let netbird = NetbirdClient::new(config)?;
    let me = netbird.current_user().await?;
    println!(
        "Signed in as {:?} ({:?})",
        me.email.map(String::from),
        me.raw_role
    );

    heading("Onboarding: invite alice and put her in the developers' group");
    let developers = netbird
        .ensure_tenant(&NewTenant::new("roster-example-developers")?)
        .await?;
    let alice = netbird
        .ensure_user(
            &NewUser::new(Email::parse("roster-example-alice@example.com")?)
                .with_display_name("Alice Example")
                .with_role(Role::Member),
        )
        .await?;
    netbird
        .add_member(&developers.id, &alice.id, &MembershipRequest::new())
        .await?;
    println!(
        "alice ({}) is {} ({:?}) and in {}",
        alice.id, alice.status, alice.outcome, developers.name
    );
    if alice.status == UserStatus::Invited {
        netbird.resend_invitation(&alice.id).await?;
        println!("sent alice's invitation again");
    }
    let robot = netbird
        .create_service_user("roster-example-ci", Some(&Role::Auditor.into()))
        .await?;
    println!("service user {} created ({:?})", robot.id, robot.raw_role);

    heading("Move: alice goes from developers to operations");
    let operations = match netbird
        .find_group_by_name("roster-example-operations")
        .await?
    {
        Some(group) => group,
        None => netbird
            .create_tenant(&NewTenant::new("roster-example-operations")?)
            .await?
            .into_inner(),
    };
    let moved = netbird
        .move_user(
            &alice.id,
            &developers.id,
            &operations.id,
            &MembershipRequest::new(),
        )
        .await?;
    let groups: Vec<String> = netbird
        .list_user_memberships(&alice.id)
        .await?
        .into_iter()
        .map(|m| m.tenant.to_string())
        .collect();
    println!("alice moved to {}; her groups: {groups:?}", moved.tenant);

    heading("Offboarding: block, remove from groups, delete");
    let blocked = netbird
        .update_user(&alice.id, &UserUpdate::new().status(UserStatus::Blocked))
        .await?;
    println!("alice is {}", blocked.status);
    // NetBird refuses to delete a group a user still has in auto_groups.
    if let Err(refused) = netbird.delete_tenant(&operations.id).await {
        println!(
            "deleting {} first: {} ({})",
            operations.name,
            refused.kind(),
            refused.message()
        );
    }
    netbird.remove_member(&operations.id, &alice.id).await?;
    for user in [&alice.id, &robot.id] {
        netbird.delete_user(user).await?;
    }
    for group in [&developers.id, &operations.id] {
        netbird.delete_tenant(group).await?;
    }
    let users: Vec<_> = netbird.list_users().try_collect().await?;
    let groups: Vec<_> = netbird.list_tenants().try_collect().await?;
    println!(
        "{} user(s) and {} group(s) remain",
        users.len(),
        groups.len()
    );
    Ok(())
}
