//! Roster in one run: every provider at once.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! It starts the in-process emulators of all five providers (IaaS operator
//! API, NetBird, Adverity, Astra DevOps, Medium One), with no credentials
//! and no network, puts them in one [`Fleet`](roster::Fleet) with the
//! default layers, and then:
//!
//! 1. onboards two people across them;
//! 2. moves one between tenants;
//! 3. prints where that person is (the audit);
//! 4. plans and applies `examples/desired-state.toml`, then plans again to
//!    show there is nothing left to do;
//! 5. offboards the other person everywhere.

use roster::fleet::{Person, Placement};
use roster::layers::Stack;
use roster::plan::{ApplyOptions, DesiredState, Format};
use roster::{Email, MembershipRequest, Role, TenantRole, WireGuardKey};
use roster_examples::{ASTRA_ORG, Sandbox, heading};

const DESIRED_STATE: &str = include_str!("desired-state.toml");

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    roster_examples::init_logging();
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::default());
    println!(
        "Started {} providers in process: {}",
        fleet.names().count(),
        fleet.names().collect::<Vec<_>>().join(", ")
    );

    heading("1. Onboard two people across every provider");
    let ada_key = WireGuardKey::parse("xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=")?;
    let ada = Person::new(Email::parse("ada@example.com")?).with_display_name("Ada Lovelace");
    let ada_iaas = MembershipRequest::new().with_wireguard_key(ada_key);
    let ada_places = vec![
        Placement::new("iaas")
            .role(Role::Member)
            .tenant("alpha", ada_iaas.clone()),
        Placement::new("netbird")
            .role(Role::Member)
            .tenant("alpha", MembershipRequest::new()),
        Placement::new("adverity").tenant("alpha", MembershipRequest::new()),
        Placement::new("astra")
            .role(Role::Member)
            .tenant(ASTRA_ORG, MembershipRequest::new()),
        Placement::new("medium-one").tenant(
            "alpha",
            MembershipRequest::new().with_role(TenantRole::Admin),
        ),
    ];
    println!("{}", fleet.onboard(&ada, &ada_places).await?);

    let grace_key = WireGuardKey::parse("hN5Vrly+J3hnb5Zz2Wi3J6lT3cRmvQdTqJ2m3u7Zc1M=")?;
    let grace = Person::new(Email::parse("grace@example.com")?);
    let grace_places = vec![
        Placement::new("iaas").tenant(
            "beta",
            MembershipRequest::new().with_wireguard_key(grace_key),
        ),
        Placement::new("netbird").tenant("beta", MembershipRequest::new()),
        Placement::new("medium-one").tenant("beta", MembershipRequest::new()),
    ];
    println!("{}", fleet.onboard(&grace, &grace_places).await?);
    let again = fleet.onboard(&grace, &grace_places).await?;
    println!(
        "Onboarding Grace again changed {} thing(s): onboarding is idempotent.",
        again.changes()
    );

    heading("2. Move Ada from alpha to beta");
    // IaaS allows one tenant per user: remove, then add, with her key kept.
    fleet
        .move_user("iaas", &ada.email, "alpha", "beta", &ada_iaas)
        .await?;
    // NetBird swaps the group in one write.
    fleet
        .move_user(
            "netbird",
            &ada.email,
            "alpha",
            "beta",
            &MembershipRequest::new(),
        )
        .await?;
    println!("Moved on iaas and netbird.");

    heading("3. Where is Ada?");
    println!("{}", fleet.audit(&ada.email).await);

    heading("4. Plan and apply examples/desired-state.toml");
    let desired = DesiredState::parse(DESIRED_STATE, Format::Toml)?;
    let plan = fleet.plan(&desired).await?;
    print!("{plan}");
    let journal = fleet.apply(&plan, &ApplyOptions::default()).await;
    println!("\n{journal}");
    let replan = fleet.plan(&desired).await?;
    println!(
        "Planning again: {} change(s). The fleet matches the file.",
        replan.len()
    );

    heading("5. Offboard Grace everywhere");
    let report = fleet.offboard(&grace.email).await;
    println!("{report}");

    if !journal.is_complete() || !report.is_complete() {
        return Err("something failed; see the tables above".into());
    }
    Ok(())
}
