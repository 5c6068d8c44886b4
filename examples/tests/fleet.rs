//! The fleet and plan/apply, end to end against every provider's emulator.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use roster::fleet::{AuditOutcome, MembershipOutcome, OffboardOutcome, Person, Placement};
use roster::layers::Stack;
use roster::plan::{ApplyOptions, Change, ChangeOutcome, DesiredState, Format, OnError};
use roster::{
    CreateOutcome, Email, MembershipDirectory, MembershipRequest, NewUser, Role, TenantDirectory,
    TenantDirectoryExt, TenantId, TenantRole, UserDirectory, UserDirectoryExt, WireGuardKey,
};
use roster_examples::{ASTRA_ORG, Sandbox};
use wiremock::matchers::any;
use wiremock::{Mock, ResponseTemplate};

const KEY: &str = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

fn email(text: &str) -> Email {
    Email::parse(text).expect("email")
}

fn key() -> WireGuardKey {
    WireGuardKey::parse(KEY).expect("key")
}

/// The same person, placed on every provider in tenant `tenant`.
fn placements(tenant: &str) -> Vec<Placement> {
    let iaas = MembershipRequest::new().with_wireguard_key(key());
    vec![
        Placement::new("iaas")
            .role(Role::Member)
            .tenant(tenant, iaas),
        Placement::new("netbird")
            .role(Role::Member)
            .tenant(tenant, MembershipRequest::new()),
        Placement::new("adverity").tenant(tenant, MembershipRequest::new()),
        Placement::new("astra")
            .role(Role::Member)
            .tenant(ASTRA_ORG, MembershipRequest::new()),
        Placement::new("medium-one").tenant(
            tenant,
            MembershipRequest::new().with_role(TenantRole::Admin),
        ),
    ]
}

fn no_writes() -> BTreeMap<&'static str, usize> {
    ["adverity", "astra", "iaas", "medium-one", "netbird"]
        .into_iter()
        .map(|p| (p, 0))
        .collect()
}

#[tokio::test]
async fn onboarding_twice_changes_nothing_the_second_time() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let ada = Person::new(email("ada@example.com")).with_display_name("Ada Lovelace");

    let first = fleet
        .onboard(&ada, &placements("alpha"))
        .await
        .expect("placements");
    assert!(first.is_complete(), "{first}");
    assert_eq!(first.outcomes.len(), 5);
    // Five accounts and four memberships: joining the Astra organization is
    // having an account there.
    assert_eq!(first.changes(), 9, "{first}");
    // IaaS and Astra keep no display name: said, not dropped.
    let notes: Vec<_> = first
        .outcomes
        .iter()
        .filter(|(_, o)| !o.notes.is_empty())
        .map(|(p, _)| p.as_str())
        .collect();
    assert!(notes.contains(&"iaas"), "{first}");

    sandbox.reset_requests().await;
    let second = fleet
        .onboard(&ada, &placements("alpha"))
        .await
        .expect("placements");
    assert!(second.is_complete(), "{second}");
    assert_eq!(second.changes(), 0, "{second}");
    for (provider, outcome) in &second.outcomes {
        let (_, how) = outcome.user.as_ref().expect("account");
        assert_eq!(*how, CreateOutcome::AlreadyPresent, "{provider}");
        assert!(
            outcome
                .memberships
                .iter()
                .all(|(_, m)| matches!(m, MembershipOutcome::AlreadyMember))
        );
    }
    assert_eq!(sandbox.write_counts().await, no_writes());
}

#[tokio::test]
async fn offboarding_removes_the_person_everywhere_and_reports_every_provider() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let grace = Person::new(email("grace@example.com"));
    // Everywhere but Medium One.
    let mut places = placements("alpha");
    places.retain(|p| p.provider != "medium-one");
    fleet.onboard(&grace, &places).await.expect("onboard");

    let report = fleet.offboard(&grace.email).await;
    assert!(report.is_complete(), "{report}");
    let outcomes: BTreeMap<_, _> = report
        .outcomes
        .iter()
        .map(|(p, o)| (p.as_str(), o))
        .collect();
    assert_eq!(outcomes.len(), 5);
    for provider in ["adverity", "astra", "iaas", "netbird"] {
        assert!(
            matches!(outcomes[provider], OffboardOutcome::Removed(_)),
            "{report}"
        );
    }
    assert!(
        matches!(outcomes["medium-one"], OffboardOutcome::NotPresent),
        "{report}"
    );

    let audit = fleet.audit(&grace.email).await;
    assert!(
        audit
            .outcomes
            .iter()
            .all(|(_, o)| matches!(o, AuditOutcome::NotPresent)),
        "{audit}"
    );
}

#[tokio::test]
async fn one_failing_provider_never_stops_the_others() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let alan = Person::new(email("alan@example.com"));
    fleet
        .onboard(&alan, &placements("beta"))
        .await
        .expect("onboard");
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(serde_json::json!({"message": "maintenance", "code": 503})),
        )
        .with_priority(1)
        .mount(sandbox.netbird.server())
        .await;

    let report = fleet.offboard(&alan.email).await;
    assert!(!report.is_complete());
    assert_eq!(report.outcomes.len(), 5, "{report}");
    for (provider, outcome) in &report.outcomes {
        match (provider.as_str(), outcome) {
            ("netbird", OffboardOutcome::Failed(e)) => assert_eq!(e.status(), Some(503)),
            ("netbird", other) => panic!("netbird: {other:?}"),
            (_, OffboardOutcome::Removed(_)) => {}
            (other, outcome) => panic!("{other}: {outcome:?}"),
        }
    }
    let text = report.to_string();
    assert!(
        text.contains("FAILED") && text.contains("removed"),
        "{text}"
    );
}

#[tokio::test]
async fn audit_shows_role_status_and_tenants() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let person = Person::new(email("audited@example.com"));
    fleet
        .onboard(&person, &placements("beta"))
        .await
        .expect("onboard");
    let audit = fleet.audit(&person.email).await;
    for (provider, outcome) in &audit.outcomes {
        match outcome {
            AuditOutcome::Present { tenants, .. } => {
                let expected = if provider == "astra" {
                    ASTRA_ORG
                } else {
                    "beta"
                };
                if let Some(tenants) = tenants {
                    assert_eq!(tenants, &[expected.to_owned()], "{provider}: {audit}");
                }
            }
            other => panic!("{provider}: {other:?}"),
        }
    }
    assert!(audit.to_string().contains("beta"));
}

#[tokio::test]
async fn moving_on_iaas_keeps_the_key_and_the_one_tenant_rule() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let person = Person::new(email("mover@example.com"));
    fleet
        .onboard(&person, &placements("alpha"))
        .await
        .expect("onboard");
    let request = MembershipRequest::new().with_wireguard_key(key());
    let moved = fleet
        .move_user("iaas", &person.email, "alpha", "beta", &request)
        .await
        .expect("move");
    let beta = sandbox
        .iaas
        .with_model(|m| m.tenant_by_name("beta").cloned())
        .expect("beta");
    assert_eq!(moved.tenant.as_str(), beta.id);
    assert_eq!(beta.members.len(), 1);
    assert_eq!(beta.members[0].pubkey, KEY);
    let alpha = sandbox
        .iaas
        .with_model(|m| m.tenant_by_name("alpha").cloned())
        .expect("alpha");
    assert!(alpha.members.is_empty());

    // NetBird moves natively: one write.
    sandbox.reset_requests().await;
    fleet
        .move_user(
            "netbird",
            &person.email,
            "alpha",
            "beta",
            &MembershipRequest::new(),
        )
        .await
        .expect("move");
    assert_eq!(sandbox.write_counts().await["netbird"], 1);

    let unknown = fleet
        .move_user("ldap", &person.email, "alpha", "beta", &request)
        .await
        .expect_err("no such provider");
    assert!(unknown.to_string().contains("no provider \"ldap\""));
}

const DESIRED: &str = r#"
[providers.iaas]
[[providers.iaas.users]]
email = "ops@example.com"
role = "admin"
[[providers.iaas.tenants]]
name = "alpha"
[[providers.iaas.tenants]]
name = "gamma"
[[providers.iaas.memberships]]
tenant = "gamma"
user = "ops@example.com"
wireguard_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="

[providers.netbird]
[[providers.netbird.users]]
email = "ops@example.com"
role = "admin"
[[providers.netbird.tenants]]
name = "alpha"
[[providers.netbird.memberships]]
tenant = "alpha"
user = "ops@example.com"

[providers.adverity]
[[providers.adverity.users]]
email = "ops@example.com"
display_name = "Ops Team"
[[providers.adverity.tenants]]
name = "gamma"
[[providers.adverity.memberships]]
tenant = "gamma"
user = "ops@example.com"

[providers.astra]
[[providers.astra.users]]
email = "ops@example.com"
role = "admin"

[providers.medium-one]
[[providers.medium-one.users]]
email = "ops@example.com"
[[providers.medium-one.tenants]]
name = "beta"
[[providers.medium-one.memberships]]
tenant = "beta"
user = "ops@example.com"
role = "admin"
"#;

#[tokio::test]
async fn plan_then_apply_sends_exactly_the_planned_writes_and_reapplying_sends_none() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let desired = DesiredState::parse(DESIRED, Format::Toml).expect("desired state");

    let plan = fleet.plan(&desired).await.expect("plan");
    let printed = plan.to_string();
    assert!(printed.contains("iaas:\n  + tenant \"gamma\""), "{printed}");
    assert!(
        printed.contains("+ user ops@example.com (role admin)"),
        "{printed}"
    );
    assert!(
        printed.contains("Plan: 11 to add, 0 to change, 0 to destroy."),
        "{printed}"
    );

    sandbox.reset_requests().await;
    let progress = Arc::new(Mutex::new(0));
    let seen = progress.clone();
    let options = ApplyOptions {
        progress: Some(Arc::new(move |_| *seen.lock().unwrap() += 1)),
        ..ApplyOptions::default()
    };
    let journal = fleet.apply(&plan, &options).await;
    assert!(journal.is_complete(), "{journal}");
    assert_eq!(journal.entries.len(), plan.len());
    assert_eq!(*progress.lock().unwrap(), plan.len());
    // Exactly one write per change, on every provider.
    let writes = sandbox.write_counts().await;
    for provider in &plan.providers {
        assert_eq!(
            writes[provider.provider.as_str()],
            provider.changes.len(),
            "{}: {journal}",
            provider.provider
        );
    }
    // Each provider's changes ran in phase order.
    for provider in &plan.providers {
        let phases: Vec<u8> = journal
            .entries
            .iter()
            .filter(|e| e.provider == provider.provider)
            .map(|e| e.change.phase())
            .collect();
        assert!(phases.windows(2).all(|w| w[0] <= w[1]), "{phases:?}");
    }

    let again = fleet.plan(&desired).await.expect("plan");
    assert!(again.is_empty(), "{again}");
    sandbox.reset_requests().await;
    let journal = fleet.apply(&again, &ApplyOptions::default()).await;
    assert!(journal.entries.is_empty());
    assert_eq!(sandbox.write_counts().await, no_writes());
    assert_eq!(
        sandbox.request_counts().await.values().sum::<usize>(),
        0,
        "an empty apply sends nothing at all"
    );
}

#[tokio::test]
async fn prune_removes_memberships_before_users_and_moves_before_adds() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let iaas = fleet.provider("iaas").expect("iaas").clone();
    for who in ["stay@example.com", "leave@example.com"] {
        let user = iaas
            .create_user(&NewUser::new(email(who)))
            .await
            .expect("create")
            .into_inner();
        let alpha = iaas
            .find_tenant_by_name("alpha")
            .await
            .expect("list")
            .expect("alpha");
        iaas.add_member(
            &alpha.id,
            &user.id,
            &MembershipRequest::new().with_wireguard_key(key()),
        )
        .await
        .expect("add");
    }
    // stay moves from alpha to beta (one tenant per user: a move, not an
    // add); leave is pruned, and its membership goes before its account.
    let desired = DesiredState::parse(
        r#"
        [providers.iaas]
        prune = true
        [[providers.iaas.users]]
        email = "stay@example.com"
        [[providers.iaas.tenants]]
        name = "alpha"
        [[providers.iaas.tenants]]
        name = "beta"
        [[providers.iaas.memberships]]
        tenant = "beta"
        user = "stay@example.com"
        wireguard_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
        "#,
        Format::Toml,
    )
    .expect("desired");
    let plan = fleet.plan(&desired).await.expect("plan");
    let kinds: Vec<String> = plan.providers[0]
        .changes
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "~ move stay@example.com: \"alpha\" → \"beta\"",
            "- membership leave@example.com in \"alpha\"",
            "- user leave@example.com",
        ],
        "{plan}"
    );
    assert!(matches!(
        plan.providers[0].changes[0],
        Change::MoveMember { .. }
    ));
    let journal = fleet.apply(&plan, &ApplyOptions::default()).await;
    assert!(journal.is_complete(), "{journal}");
    assert!(fleet.plan(&desired).await.expect("plan").is_empty());
    assert!(
        iaas.find_user_by_email(&email("leave@example.com"))
            .await
            .expect("list")
            .is_none()
    );
}

#[tokio::test]
async fn stop_skips_the_rest_of_a_provider_and_continue_goes_on() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let desired = DesiredState::parse(DESIRED, Format::Toml).expect("desired");
    let plan = fleet.plan(&desired).await.expect("plan");
    // Every IaaS write fails from now on.
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(serde_json::json!({"detail": "boom"})),
        )
        .with_priority(1)
        .mount(sandbox.iaas.server())
        .await;

    let journal = fleet.apply(&plan, &ApplyOptions::default()).await;
    let iaas: Vec<&ChangeOutcome> = journal
        .entries
        .iter()
        .filter(|e| e.provider == "iaas")
        .map(|e| &e.outcome)
        .collect();
    assert!(matches!(iaas[0], ChangeOutcome::Failed(_)), "{journal}");
    assert!(
        matches!(iaas.last().unwrap(), ChangeOutcome::Skipped),
        "{journal}"
    );
    // The other providers were not stopped.
    assert!(
        journal
            .entries
            .iter()
            .filter(|e| e.provider != "iaas")
            .all(|e| matches!(e.outcome, ChangeOutcome::Done)),
        "{journal}"
    );

    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let plan = fleet.plan(&desired).await.expect("plan");
    Mock::given(wiremock::matchers::path("/api/tenants"))
        .and(wiremock::matchers::method("POST"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(serde_json::json!({"detail": "boom"})),
        )
        .with_priority(1)
        .mount(sandbox.iaas.server())
        .await;
    let options = ApplyOptions {
        on_error: OnError::Continue,
        ..ApplyOptions::default()
    };
    let journal = fleet.apply(&plan, &options).await;
    let outcomes: Vec<String> = journal
        .entries
        .iter()
        .filter(|e| e.provider == "iaas")
        .map(|e| match &e.outcome {
            ChangeOutcome::Done => format!("done {}", e.change),
            ChangeOutcome::Failed(_) => format!("failed {}", e.change),
            ChangeOutcome::Skipped => format!("skipped {}", e.change),
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            "failed + tenant \"gamma\"",
            "done + user ops@example.com (role admin)",
            "failed + membership ops@example.com in \"gamma\"",
        ],
        "{journal}"
    );
}

#[tokio::test]
async fn stop_starts_no_further_change_in_the_same_phase_after_a_failure() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let desired = DesiredState::parse(
        r#"
[providers.iaas]
[[providers.iaas.tenants]]
name = "t1"
[[providers.iaas.tenants]]
name = "t2"
[[providers.iaas.tenants]]
name = "t3"
"#,
        Format::Toml,
    )
    .expect("desired");
    let plan = fleet.plan(&desired).await.expect("plan");
    sandbox.reset_requests().await;
    Mock::given(wiremock::matchers::path("/api/tenants"))
        .and(wiremock::matchers::method("POST"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(serde_json::json!({"detail": "boom"})),
        )
        .with_priority(1)
        .mount(sandbox.iaas.server())
        .await;
    let options = ApplyOptions {
        concurrency: 1,
        ..ApplyOptions::default()
    };
    let journal = fleet.apply(&plan, &options).await;
    let outcomes: Vec<&str> = journal
        .entries
        .iter()
        .filter(|e| e.provider == "iaas")
        .map(|e| match &e.outcome {
            ChangeOutcome::Done => "done",
            ChangeOutcome::Failed(_) => "failed",
            ChangeOutcome::Skipped => "skipped",
        })
        .collect();
    assert_eq!(outcomes, ["failed", "skipped", "skipped"], "{journal}");
    let posts = sandbox
        .iaas
        .requests()
        .await
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(posts, 1, "one create tried, the rest not sent");
}

#[tokio::test]
async fn plans_say_what_a_provider_cannot_do_and_settle() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let kept = fleet.provider("astra").expect("astra").clone();
    kept.create_user(&NewUser::new(email("kept@example.com")))
        .await
        .expect("invite");
    let desired = DesiredState::parse(
        r#"
        # Astra: users only, pruned. The organization cannot be deleted and
        # leaving it deletes the account, so neither is planned.
        [providers.astra]
        prune = true
        [[providers.astra.users]]
        email = "kept@example.com"

        # Adverity has no user roles: created without, and said so.
        [[providers.adverity.users]]
        email = "norole@example.com"
        role = "admin"

        # Medium One: a tenant role change is one write.
        [[providers.medium-one.users]]
        email = "m1@example.com"
        [[providers.medium-one.tenants]]
        name = "alpha"
        [[providers.medium-one.memberships]]
        tenant = "alpha"
        user = "m1@example.com"
        role = "member"
        "#,
        Format::Toml,
    )
    .expect("desired");
    let plan = fleet.plan(&desired).await.expect("plan");
    let printed = plan.to_string();
    assert!(
        !printed.contains("- membership kept@example.com"),
        "{printed}"
    );
    assert!(!printed.contains("- tenant"), "{printed}");
    assert!(
        printed.contains("! tenant \"Emulated Org\" is not listed"),
        "{printed}"
    );
    assert!(
        printed.contains("! norole@example.com: this provider has no user roles"),
        "{printed}"
    );
    let journal = fleet.apply(&plan, &ApplyOptions::default()).await;
    assert!(journal.is_complete(), "{journal}");
    assert!(fleet.plan(&desired).await.expect("plan").is_empty());
    assert!(
        kept.find_user_by_email(&email("kept@example.com"))
            .await
            .expect("list")
            .is_some()
    );

    // Now promote m1 in alpha: one change, one write, no removal.
    let promoted = DesiredState::parse(
        r#"
        [[providers.medium-one.users]]
        email = "m1@example.com"
        [[providers.medium-one.tenants]]
        name = "alpha"
        [[providers.medium-one.memberships]]
        tenant = "alpha"
        user = "m1@example.com"
        role = "admin"
        "#,
        Format::Toml,
    )
    .expect("desired");
    let plan = fleet.plan(&promoted).await.expect("plan");
    let changes: Vec<String> = plan.providers[0]
        .changes
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        changes,
        ["~ membership m1@example.com in \"alpha\": role → admin"],
        "{plan}"
    );
    sandbox.reset_requests().await;
    let journal = fleet.apply(&plan, &ApplyOptions::default()).await;
    assert!(journal.is_complete(), "{journal}");
    assert_eq!(sandbox.write_counts().await["medium-one"], 1);
    assert!(fleet.plan(&promoted).await.expect("plan").is_empty());
}

#[tokio::test]
async fn prune_never_deletes_the_account_it_runs_as() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let netbird = fleet.provider("netbird").expect("netbird").clone();
    let me = netbird.current_user().await.expect("current user");
    let me = me.email.expect("the owner has an email");
    let desired =
        DesiredState::parse("[providers.netbird]\nprune = true\n", Format::Toml).expect("desired");
    let plan = fleet.plan(&desired).await.expect("plan");
    let printed = plan.to_string();
    assert!(!printed.contains(&format!("- user {me}")), "{printed}");
    assert!(
        printed.contains(&format!("! {me} is the account this runs as")),
        "{printed}"
    );
}

#[tokio::test]
async fn onboarding_an_existing_account_with_another_role_says_so_and_audit_reports_read_failures()
{
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let person = Person::new(email("role@example.com"));
    let as_member = [Placement::new("netbird").role(Role::Member)];
    fleet.onboard(&person, &as_member).await.expect("onboard");
    let as_admin = [Placement::new("netbird").role(Role::Admin)];
    let report = fleet.onboard(&person, &as_admin).await.expect("onboard");
    let notes = &report.outcomes[0].1.notes;
    assert!(
        notes.iter().any(|n| n.contains("keeps its role")),
        "{report}"
    );

    let iaas =
        [Placement::new("iaas")
            .tenant("alpha", MembershipRequest::new().with_wireguard_key(key()))];
    fleet.onboard(&person, &iaas).await.expect("onboard");
    Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path("/api/tenants"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(serde_json::json!({"detail": "boom"})),
        )
        .with_priority(1)
        .mount(sandbox.iaas.server())
        .await;
    let audit = fleet.audit(&person.email).await;
    let iaas = audit
        .outcomes
        .iter()
        .find(|(p, _)| p == "iaas")
        .expect("iaas");
    assert!(
        matches!(&iaas.1, AuditOutcome::Failed(e) if e.status() == Some(500)),
        "{audit}"
    );
    // Never read as absence: "unknown", and listed as such.
    assert_eq!(audit.unknown().collect::<Vec<_>>(), ["iaas"]);
    assert!(audit.present().any(|p| p == "netbird"));
    let printed = audit.to_string();
    assert!(
        printed
            .lines()
            .any(|l| l.starts_with("iaas") && l.contains("unknown")),
        "{printed}"
    );
}

#[tokio::test]
async fn a_saved_plan_round_trips_and_goes_stale_when_its_provider_changes() {
    use roster::saved::SavedPlan;
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let desired = DesiredState::parse(DESIRED, Format::Toml).expect("desired state");
    let plan = fleet.plan(&desired).await.expect("plan");
    let text = SavedPlan::new(desired.clone(), plan.clone()).to_json();
    let saved = SavedPlan::from_json(&text).expect("a saved plan reads back");
    assert_eq!(saved.plan.len(), plan.len());
    assert_eq!(saved.desired, desired);
    for (a, b) in saved.plan.providers.iter().zip(&plan.providers) {
        assert_eq!(a.changes, b.changes);
        assert_eq!(a.fingerprint, b.fingerprint);
    }
    // Planning again reads the same state: the same fingerprints.
    assert!(
        fleet
            .stale_providers(&saved)
            .await
            .expect("read")
            .is_empty()
    );
    // A change on NetBird makes only NetBird's part stale.
    let netbird = fleet.provider("netbird").expect("netbird");
    netbird
        .create_user(&NewUser::new(email("someone-else@example.com")))
        .await
        .expect("create");
    let stale = fleet.stale_providers(&saved).await.expect("read");
    assert_eq!(
        stale
            .iter()
            .map(|s| s.provider.as_str())
            .collect::<Vec<_>>(),
        ["netbird"]
    );
    assert_ne!(stale[0].planned, stale[0].now);
    // The saved plan applies: its ids were kept.
    let journal = fleet.apply(&saved.plan, &ApplyOptions::default()).await;
    assert!(journal.is_complete(), "{journal}");
    assert!(fleet.plan(&desired).await.expect("plan").is_empty());
    // Another version is refused.
    let future = text.replacen("\"version\": 1", "\"version\": 99", 1);
    let e = SavedPlan::from_json(&future).unwrap_err().to_string();
    assert!(e.contains("version 99"), "{e}");
}

#[tokio::test]
async fn plan_each_plans_the_providers_that_answer_and_names_the_one_that_failed() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let desired = DesiredState::parse(DESIRED, Format::Toml).expect("desired state");
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .mount(sandbox.netbird.server())
        .await;
    let whole = fleet.plan(&desired).await.unwrap_err().to_string();
    assert!(whole.contains("planning netbird"), "{whole}");
    let each = fleet.plan_each(&desired).await.expect("names are known");
    assert_eq!(each.len(), desired.providers.len());
    for (name, planned) in &each {
        match (name.as_str(), planned) {
            ("netbird", Err(e)) => assert!(e.is_temporary(), "{e}"),
            ("netbird", Ok(_)) => panic!("netbird answers 503"),
            (_, Ok(plan)) => assert!(!plan.changes.is_empty(), "{name}"),
            (_, Err(e)) => panic!("{name}: {e}"),
        }
    }
    let mut unknown = desired.clone();
    unknown.providers.insert("ldap".into(), Default::default());
    assert!(fleet.plan_each(&unknown).await.is_err());
}

#[tokio::test]
async fn a_stop_signal_starts_no_new_change_and_a_fresh_plan_is_what_is_left() {
    use roster::plan::StopSignal;
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let desired = DesiredState::parse(DESIRED, Format::Toml).expect("desired state");
    let plan = fleet.plan(&desired).await.expect("plan");
    let stop = StopSignal::new();
    let stopper = stop.clone();
    // Stop after the first change is done, as a Ctrl-C handler would.
    let options = ApplyOptions {
        concurrency: 1,
        progress: Some(Arc::new(move |_| stopper.stop())),
        stop: Some(stop.clone()),
        ..ApplyOptions::default()
    };
    let journal = fleet.apply(&plan, &options).await;
    assert!(stop.is_stopped());
    assert_eq!(
        journal.entries.len(),
        plan.len(),
        "every change is accounted for"
    );
    let done = journal
        .entries
        .iter()
        .filter(|e| matches!(e.outcome, ChangeOutcome::Done))
        .count();
    let skipped = journal
        .entries
        .iter()
        .filter(|e| matches!(e.outcome, ChangeOutcome::Skipped))
        .count();
    // Providers run concurrently: at most one change each got started.
    assert!(done >= 1 && done <= plan.providers.len(), "{journal}");
    assert_eq!(done + skipped, plan.len(), "{journal}");
    let rest = fleet.plan(&desired).await.expect("plan");
    assert_eq!(
        rest.len(),
        skipped,
        "planning again finds exactly what is left"
    );
    let journal = fleet.apply(&rest, &ApplyOptions::default()).await;
    assert!(journal.is_complete(), "{journal}");
    assert!(fleet.plan(&desired).await.expect("plan").is_empty());
}

#[tokio::test]
async fn a_failed_move_puts_the_member_back_with_their_old_role() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let person = Person::new(email("admin@example.com"));
    let placement = [Placement::new("medium-one").tenant(
        "alpha",
        MembershipRequest::new().with_role(TenantRole::Admin),
    )];
    fleet.onboard(&person, &placement).await.expect("onboard");
    let directory = fleet.provider("medium-one").expect("medium-one").clone();
    let user = directory
        .find_user_by_email(&person.email)
        .await
        .expect("list")
        .expect("user");
    let alpha = directory
        .find_tenant_by_name("alpha")
        .await
        .expect("list")
        .expect("alpha");
    // A tenant that does not exist: the add fails after the removal.
    let nowhere = roster::TenantId::new("00000000-0000-4000-8000-000000000000").expect("id");
    let error = directory
        .move_user(
            &user.id,
            &alpha.id,
            &nowhere,
            &MembershipRequest::new().with_role(TenantRole::Member),
        )
        .await
        .expect_err("no such tenant");
    assert!(error.to_string().contains("put back"), "{error}");
    let role = sandbox.medium_one.with_model(|m| {
        let alpha = m.tenant_by_name("alpha").expect("alpha").tenant_id;
        m.role_of(alpha, "admin@example.com").map(str::to_owned)
    });
    assert_eq!(role.as_deref(), Some("tenant-admin"));
}

#[tokio::test]
async fn planning_reads_each_provider_once_per_list() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let desired = DesiredState::parse(
        r#"
        [[providers.iaas.tenants]]
        name = "alpha"
        [[providers.iaas.tenants]]
        name = "beta"
        "#,
        Format::Toml,
    )
    .expect("desired");
    sandbox.reset_requests().await;
    assert!(fleet.plan(&desired).await.expect("plan").is_empty());
    // The users, and the tenants with their members in one read (the IaaS
    // tenant list carries its members), side by side.
    assert_eq!(sandbox.iaas.request_count().await, 2);
}

#[tokio::test]
async fn a_section_that_fails_its_check_stops_the_plan_before_any_provider_is_read() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let mut desired = DesiredState::parse(
        r#"
        [[providers.iaas.tenants]]
        name = "alpha"
        [[providers.netbird.users]]
        email = "dup@example.com"
        "#,
        Format::Toml,
    )
    .expect("desired");
    // Built after parsing, which checks too: the same person twice.
    let netbird = desired.providers.get_mut("netbird").expect("netbird");
    netbird.users.push(netbird.users[0].clone());
    sandbox.reset_requests().await;
    let err = fleet.plan(&desired).await.expect_err("listed twice");
    assert_eq!(err.kind(), roster::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("planning netbird"), "{err}");
    assert!(err.to_string().contains("listed twice"), "{err}");
    // Not even the valid section's provider (iaas, first by name) was read.
    let counts = sandbox.request_counts().await;
    assert!(counts.values().all(|n| *n == 0), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lossy_network_still_applies_a_large_plan_exactly_once() {
    use roster::layers::Retry;
    use roster::plan::ProviderDesired;
    use roster::state::{MembershipState, TenantState, UserState};
    use std::time::Duration;

    let sandbox = Sandbox::start().await;
    let groups: Vec<String> = (0..10).map(|g| format!("team-{g}")).collect();
    let people: Vec<Email> = (0..200)
        .map(|n| email(&format!("person{n}@example.com")))
        .collect();
    let section = ProviderDesired {
        users: people
            .iter()
            .map(|e| UserState {
                email: e.clone(),
                role: None,
                display_name: None,
            })
            .collect(),
        tenants: groups
            .iter()
            .map(|name| TenantState { name: name.clone() })
            .collect(),
        memberships: people
            .iter()
            .enumerate()
            .map(|(n, e)| MembershipState {
                tenant: groups[n % groups.len()].clone(),
                user: e.clone(),
                role: None,
                wireguard_key: None,
            })
            .collect(),
        ..ProviderDesired::default()
    };
    let desired = DesiredState {
        providers: BTreeMap::from([("netbird".to_owned(), section)]),
    };
    // The default stack, with a per-attempt timeout short enough for a
    // test and attempts enough that a run of losses cannot exhaust them.
    let stack = Stack::default()
        .attempt_timeout(Some(Duration::from_millis(300)))
        .retry(Retry::default().max_attempts(8));
    let fleet = sandbox.fleet(&stack);
    // One request in twenty never arrives; one answer in twenty is lost
    // after the server carried the request out.
    sandbox.netbird.lose(50, 50, Duration::from_secs(2), 0x5eed);

    let plan = fleet.plan(&desired).await.expect("plan through the losses");
    assert_eq!(plan.len(), 410, "{plan}");
    let journal = fleet.apply(&plan, &ApplyOptions::default()).await;
    assert!(journal.is_complete(), "{journal}");

    sandbox.netbird.stop_losing();
    let netbird = fleet.provider("netbird").expect("netbird");
    let users: Vec<_> = futures::TryStreamExt::try_collect(netbird.list_users())
        .await
        .expect("users");
    for person in &people {
        let accounts = users
            .iter()
            .filter(|u| u.email.as_ref().is_some_and(|e| person.matches(e.as_str())))
            .count();
        assert_eq!(accounts, 1, "{person} has {accounts} accounts");
    }
    let again = fleet.plan(&desired).await.expect("re-plan");
    assert!(again.is_empty(), "{again}");
}

#[tokio::test]
async fn apply_hands_back_a_created_users_one_time_password_and_never_prints_it() {
    use roster::plan::ProviderDesired;
    use roster::state::UserState;

    let sandbox = Sandbox::start().await;
    // NetBird's embedded identity provider answers a create with a
    // generated password, shown only in that answer.
    sandbox
        .netbird
        .with_model(|model| *model = std::mem::take(model).faithful());
    let desired = DesiredState {
        providers: BTreeMap::from([(
            "netbird".to_owned(),
            ProviderDesired {
                users: vec![UserState {
                    email: email("newcomer@example.com"),
                    role: None,
                    display_name: None,
                }],
                ..ProviderDesired::default()
            },
        )]),
    };
    let fleet = sandbox.fleet(&Stack::none());
    let plan = fleet.plan(&desired).await.expect("plan");
    let journal = fleet.apply(&plan, &ApplyOptions::default()).await;
    assert!(journal.is_complete(), "{journal}");
    let issued = sandbox
        .netbird
        .with_model(|model| model.issued_passwords().to_vec());
    assert_eq!(issued.len(), 1, "the emulator issued one password");
    let entry = &journal.entries[0];
    assert!(matches!(entry.change, Change::CreateUser { .. }));
    let secret = entry
        .secret
        .as_ref()
        .expect("the password is in the journal");
    use roster::http::ExposeSecret as _;
    assert_eq!(secret.expose_secret(), issued[0]);
    assert!(!format!("{journal:?}").contains(&issued[0]));
    assert!(!journal.to_string().contains(&issued[0]));
}

/// Only the IaaS section of a desired state: `people` users in `tenant`.
fn iaas_members(tenant: &str, people: &[&str]) -> DesiredState {
    let mut text = format!("[[providers.iaas.tenants]]\nname = \"{tenant}\"\n");
    for person in people {
        text.push_str(&format!(
            "[[providers.iaas.users]]\nemail = \"{person}\"\n\
             [[providers.iaas.memberships]]\ntenant = \"{tenant}\"\nuser = \"{person}\"\n\
             wireguard_key = \"{KEY}\"\n"
        ));
    }
    DesiredState::parse(&text, Format::Toml).expect("desired")
}

#[tokio::test]
async fn apply_checks_the_one_tenant_rule_against_one_read_per_phase_not_one_per_write() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let people = [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
    ];
    let desired = iaas_members("alpha", &people);
    let plan = fleet.plan(&desired).await.expect("plan");
    assert_eq!(plan.len(), 8, "{plan}");
    sandbox.reset_requests().await;
    let journal = fleet.apply(&plan, &ApplyOptions::default()).await;
    assert!(journal.is_complete(), "{journal}");
    let requests = sandbox.iaas.requests().await;
    let tenant_reads = requests
        .iter()
        .filter(|r| r.method.as_str() == "GET" && r.url.path().ends_with("/tenants"))
        .count();
    // Four creates, four adds, and the one read of where everyone is before
    // the adds' phase: no GET /tenants before each add.
    assert_eq!(tenant_reads, 1, "{requests:?}");
    assert_eq!(requests.len(), 9);
    assert_eq!(sandbox.iaas.write_count().await, 8);
}

#[tokio::test]
async fn apply_does_not_move_someone_another_client_placed_since_the_plan() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let iaas = fleet.provider("iaas").expect("iaas").clone();
    let with_key = MembershipRequest::new().with_wireguard_key(key());
    let beta = iaas
        .find_tenant_by_name("beta")
        .await
        .expect("read")
        .expect("beta");

    // Planned: an add to alpha. Then another client puts the user in beta.
    let adder = iaas
        .create_user(&NewUser::new(email("adder@example.com")))
        .await
        .expect("create")
        .value;
    let plan = fleet
        .plan(&iaas_members("alpha", &["adder@example.com"]))
        .await
        .expect("plan");
    assert!(
        matches!(
            plan.providers[0].changes.as_slice(),
            [Change::AddMember { .. }]
        ),
        "{plan}"
    );
    iaas.add_member(&beta.id, &adder.id, &with_key)
        .await
        .expect("the other client's add");

    // Planned: a move from beta to alpha. Then another client moves the
    // user to gamma.
    let gamma = iaas
        .create_tenant(&roster::NewTenant::new("gamma").expect("name"))
        .await
        .expect("gamma")
        .value;
    let mover = iaas
        .create_user(&NewUser::new(email("mover@example.com")))
        .await
        .expect("create")
        .value;
    iaas.add_member(&beta.id, &mover.id, &with_key)
        .await
        .expect("in beta");
    let move_plan = fleet
        .plan(&iaas_members("alpha", &["mover@example.com"]))
        .await
        .expect("plan");
    assert!(
        matches!(
            move_plan.providers[0].changes.as_slice(),
            [Change::MoveMember { .. }]
        ),
        "{move_plan}"
    );
    iaas.move_user(&mover.id, &beta.id, &gamma.id, &with_key)
        .await
        .expect("the other client's move");

    sandbox.reset_requests().await;
    for plan in [&plan, &move_plan] {
        let journal = fleet.apply(plan, &ApplyOptions::default()).await;
        let failure = journal.failures().next().expect("refused");
        let ChangeOutcome::Failed(error) = &failure.outcome else {
            unreachable!()
        };
        assert_eq!(error.kind(), roster::ErrorKind::Conflict, "{error}");
        assert!(error.message().contains("re-plan"), "{error}");
    }
    // Each apply read where everyone is, once, and wrote nothing.
    assert_eq!(sandbox.iaas.write_count().await, 0);
    assert_eq!(sandbox.iaas.request_count().await, 2);
    let alpha = sandbox
        .iaas
        .with_model(|m| m.tenant_by_name("alpha").cloned())
        .expect("alpha");
    assert!(alpha.members.is_empty(), "nobody was moved into alpha");
    let tenant_of = |name: &str| {
        sandbox
            .iaas
            .with_model(|m| m.tenant_by_name(name).cloned())
            .expect("tenant")
            .members
            .len()
    };
    assert_eq!(
        tenant_of("beta"),
        1,
        "adder stays where the other client put them"
    );
    assert_eq!(
        tenant_of("gamma"),
        1,
        "mover stays where the other client moved them"
    );

    // A direct call with no snapshot keeps its own check (one read first).
    sandbox.reset_requests().await;
    let direct = iaas
        .add_member(
            &TenantId::new(alpha.id.clone()).expect("id"),
            &adder.id,
            &with_key,
        )
        .await
        .expect_err("in beta");
    assert_eq!(direct.kind(), roster::ErrorKind::Conflict);
    assert_eq!(sandbox.iaas.request_count().await, 1);
    assert_eq!(sandbox.iaas.write_count().await, 0);
}

fn numbered_key(n: u8) -> WireGuardKey {
    let mut bytes = [7u8; 32];
    bytes[0] = n;
    WireGuardKey::from_bytes(bytes)
}

#[tokio::test]
async fn offboarding_many_reads_each_user_list_once_and_deletes_each_person() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let leavers: Vec<Email> = ["l1@example.com", "l2@example.com", "l3@example.com"]
        .into_iter()
        .map(email)
        .collect();
    for leaver in &leavers {
        fleet
            .onboard(&Person::new(leaver.clone()), &placements("alpha"))
            .await
            .expect("onboard");
    }
    let mut emails = leavers.clone();
    emails.push(email("never-here@example.com"));

    // Listed twice, whatever the case: refused before anything is sent.
    sandbox.reset_requests().await;
    let twice = [email("l1@example.com"), email("L1@Example.com")];
    let refused = fleet.offboard_many(&twice).await.expect_err("twice");
    assert_eq!(refused.kind(), roster::ErrorKind::InvalidInput);
    assert_eq!(sandbox.request_counts().await.values().sum::<usize>(), 0);

    let told = Arc::new(Mutex::new(Vec::new()));
    let options = roster::fleet::BulkOptions::default()
        .writes_at_once(2)
        .progress({
            let told = told.clone();
            move |provider, email| told.lock().unwrap().push(format!("{provider} {email}"))
        });
    let reports = fleet
        .offboard_many_with(&emails, &options)
        .await
        .expect("offboard");
    assert_eq!(reports.len(), 4);
    // Progress hears of every person on every provider, once.
    let mut told = told.lock().unwrap().clone();
    told.sort();
    let mut expected: Vec<String> = fleet
        .names()
        .flat_map(|p| emails.iter().map(move |e| format!("{p} {e}")))
        .collect();
    expected.sort();
    assert_eq!(told, expected);
    for (report, asked) in reports.iter().zip(&emails) {
        assert_eq!(&report.email, asked);
        assert_eq!(report.outcomes.len(), 5, "every provider reported");
    }
    for report in &reports[..3] {
        for (provider, outcome) in &report.outcomes {
            assert!(
                matches!(outcome, OffboardOutcome::Removed(_)),
                "{provider}: {outcome:?}"
            );
        }
    }
    for (provider, outcome) in &reports[3].outcomes {
        assert!(
            matches!(outcome, OffboardOutcome::NotPresent),
            "{provider}: {outcome:?}"
        );
    }
    // IaaS: one GET /users for all four, then one DELETE per person found.
    let iaas = sandbox.iaas.requests().await;
    let methods: Vec<&str> = iaas.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["GET", "DELETE", "DELETE", "DELETE"], "{iaas:?}");
    assert!(iaas[0].url.path().ends_with("/users"));
    for (provider, writes) in sandbox.write_counts().await {
        assert_eq!(writes, 3, "{provider}: one delete per leaver");
    }
    // The per-person call keeps its cost: one list read and one delete.
    fleet
        .onboard(&Person::new(leavers[0].clone()), &placements("alpha"))
        .await
        .expect("onboard");
    sandbox.reset_requests().await;
    assert!(fleet.offboard(&leavers[0]).await.is_complete());
    assert_eq!(sandbox.iaas.request_count().await, 2);
}

#[tokio::test]
async fn auditing_many_reads_each_user_list_once_and_reads_tenants_only_for_people_found() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let here: Vec<Email> = ["a1@example.com", "a2@example.com"]
        .into_iter()
        .map(email)
        .collect();
    for person in &here {
        fleet
            .onboard(&Person::new(person.clone()), &placements("alpha"))
            .await
            .expect("onboard");
    }
    let mut emails = here.clone();
    emails.push(email("never-here@example.com"));

    // Listed twice, whatever the case: refused before anything is sent.
    sandbox.reset_requests().await;
    let twice = [email("a1@example.com"), email("A1@Example.com")];
    let refused = fleet.audit_many(&twice).await.expect_err("twice");
    assert_eq!(refused.kind(), roster::ErrorKind::InvalidInput);
    assert_eq!(sandbox.request_counts().await.values().sum::<usize>(), 0);

    // What the per-person audit spends on one person found, on IaaS.
    let one = fleet.audit(&here[0]).await;
    let per_found = sandbox.iaas.request_count().await;
    sandbox.reset_requests().await;
    let _ = fleet.audit(&emails[2]).await;
    let per_absent = sandbox.iaas.request_count().await;
    sandbox.reset_requests().await;

    let reports = fleet.audit_many(&emails).await.expect("audit");
    assert_eq!(reports.len(), 3);
    for (report, asked) in reports.iter().zip(&emails) {
        assert_eq!(&report.email, asked);
        assert_eq!(report.outcomes.len(), 5, "every provider reported");
    }
    for report in &reports[..2] {
        assert_eq!(report.present().count(), one.present().count(), "{report}");
        for (provider, outcome) in &report.outcomes {
            let AuditOutcome::Present { tenants, .. } = outcome else {
                panic!("{provider}: {outcome:?}");
            };
            let (_, alone) = one.outcomes.iter().find(|(p, _)| p == provider).unwrap();
            let AuditOutcome::Present { tenants: alone, .. } = alone else {
                panic!("{provider}: {alone:?}");
            };
            assert_eq!(tenants.is_some(), alone.is_some(), "{provider}");
        }
    }
    for (provider, outcome) in &reports[2].outcomes {
        assert!(
            matches!(outcome, AuditOutcome::NotPresent),
            "{provider}: {outcome:?}"
        );
    }
    // IaaS: one GET /users for all three, then each found person's
    // tenant read alone; nothing for the one not found.
    let iaas = sandbox.iaas.requests().await;
    let users_reads = iaas
        .iter()
        .filter(|r| r.method.as_str() == "GET" && r.url.path().ends_with("/users"))
        .count();
    assert_eq!(users_reads, 1, "{iaas:?}");
    assert_eq!(per_absent, 1, "a lookup alone is one user-list read");
    assert_eq!(iaas.len(), 1 + 2 * (per_found - 1), "{iaas:?}");
    assert!(iaas.iter().all(|r| r.method.as_str() == "GET"), "{iaas:?}");
    assert_eq!(sandbox.write_counts().await.values().sum::<usize>(), 0);
}

#[tokio::test]
async fn onboarding_many_reads_each_provider_once_and_writes_only_what_is_missing() {
    let sandbox = Sandbox::start().await;
    let fleet = sandbox.fleet(&Stack::none());
    let people: Vec<(Person, Vec<Placement>)> = (1..=3u8)
        .map(|n| {
            let person = Person::new(email(&format!("new{n}@example.com")));
            let iaas = MembershipRequest::new().with_wireguard_key(numbered_key(n));
            let placements = vec![
                Placement::new("iaas")
                    .role(Role::Member)
                    .tenant("alpha", iaas),
                Placement::new("netbird")
                    .role(Role::Member)
                    .tenant("alpha", MembershipRequest::new()),
            ];
            (person, placements)
        })
        .collect();
    // One of them is already in beta on IaaS, put there by someone else.
    let iaas = fleet.provider("iaas").expect("iaas").clone();
    let third = iaas
        .create_user(&NewUser::new(people[2].0.email.clone()))
        .await
        .expect("create")
        .value;
    let beta = iaas
        .find_tenant_by_name("beta")
        .await
        .expect("read")
        .expect("beta");
    iaas.add_member(
        &beta.id,
        &third.id,
        &MembershipRequest::new().with_wireguard_key(numbered_key(3)),
    )
    .await
    .expect("in beta");

    sandbox.reset_requests().await;
    let reports = fleet.onboard_many(&people).await.expect("onboard");
    assert_eq!(reports.len(), 3);
    for report in &reports[..2] {
        assert!(report.is_complete(), "{report}");
        assert_eq!(report.changes(), 4, "{report}");
    }
    let iaas_third = &reports[2]
        .outcomes
        .iter()
        .find(|(p, _)| p == "iaas")
        .expect("iaas")
        .1;
    assert!(matches!(
        iaas_third.user,
        Ok((_, CreateOutcome::AlreadyPresent))
    ));
    match &iaas_third.memberships[..] {
        [(tenant, MembershipOutcome::Failed(error))] => {
            assert_eq!(tenant, "alpha");
            assert_eq!(error.kind(), roster::ErrorKind::Conflict, "{error}");
        }
        other => panic!("{other:?}"),
    }
    // IaaS: one user list, one tenant list (with the members), two creates
    // and two adds; the person in beta is not moved.
    let requests = sandbox.iaas.requests().await;
    let reads = requests
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .count();
    assert_eq!(reads, 2, "{requests:?}");
    assert_eq!(sandbox.iaas.write_count().await, 4);
    let beta_now = sandbox
        .iaas
        .with_model(|m| m.tenant_by_name("beta").cloned())
        .expect("beta");
    assert_eq!(beta_now.members.len(), 1);

    // Again: the reads, and nothing written anywhere.
    sandbox.reset_requests().await;
    let again = fleet.onboard_many(&people[..2]).await.expect("again");
    assert!(again.iter().all(|r| r.is_complete() && r.changes() == 0));
    assert_eq!(sandbox.write_counts().await, no_writes());
    assert_eq!(sandbox.iaas.request_count().await, 2);

    // Listed twice, or an unknown provider: nothing sent.
    sandbox.reset_requests().await;
    let twice = [people[0].clone(), people[0].clone()];
    assert!(fleet.onboard_many(&twice).await.is_err());
    let unknown = [(
        Person::new(email("x@example.com")),
        vec![Placement::new("ldap")],
    )];
    assert!(fleet.onboard_many(&unknown).await.is_err());
    assert_eq!(sandbox.request_counts().await.values().sum::<usize>(), 0);
}
