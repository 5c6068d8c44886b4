//! plan, apply (saved, stale, interrupted and resumed), import and drift.

use std::time::Duration;

use crate::support::{DESIRED, World, normalize};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_prints_changes_and_the_detailed_exit_code_says_so() {
    let world = World::start().await;
    world.file("desired-state.toml", DESIRED);
    let table = world.run(&["plan"]);
    table.code(0);
    insta::assert_snapshot!("plan_table", normalize(&table.stdout));
    world.run(&["plan", "--detailed-exitcode"]).code(2);
    let json = world.run(&["plan", "-o", "json"]);
    json.code(0);
    insta::assert_snapshot!("plan_json", normalize(&json.stdout));
    let only = world.run(&["plan", "--provider", "netbird", "-o", "json"]);
    assert!(
        only.kind("change")
            .iter()
            .all(|c| c["provider"] == "netbird")
    );
    assert_eq!(
        only.kind("plan_summary")[0]["providers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Nothing was written by planning.
    assert_eq!(world.iaas.write_count().await, 0);
    assert_eq!(world.netbird.write_count().await, 0);
    // A provider the desired state has no section for is an error.
    let wrong = world.run(&["plan", "--provider", "astra"]);
    wrong.code(1);
    assert!(
        wrong.stderr.contains("no section for provider \"astra\""),
        "{}",
        wrong.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_applies_and_then_nothing_is_left() {
    let world = World::start().await;
    world.file("desired-state.toml", DESIRED);
    world.run(&["plan", "--out", "plan.json"]).code(0);
    let saved: serde_json::Value = serde_json::from_str(&world.read("plan.json")).unwrap();
    assert_eq!(saved["version"], 1);
    assert_eq!(
        saved["plan"]["providers"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .len(),
        16
    );
    let applied = world.run(&["apply", "plan.json", "--auto-approve", "--parallelism", "2"]);
    applied.code(0);
    insta::assert_snapshot!("apply_table", normalize(&applied.stdout));
    world.run(&["plan", "--detailed-exitcode"]).code(0);
    let again = world.run(&["apply", "--auto-approve", "-o", "json"]);
    again.code(0);
    assert_eq!(again.kind("plan_summary")[0]["add"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_asks_first_and_a_script_without_auto_approve_changes_nothing() {
    let world = World::start().await;
    world.file("desired-state.toml", DESIRED);
    let refused = world.run(&["apply"]);
    refused.code(1);
    assert!(
        refused.stderr.contains("--auto-approve"),
        "{}",
        refused.stderr
    );
    assert_eq!(world.iaas.write_count().await, 0);
    assert_eq!(world.netbird.write_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_saved_plan_is_refused_naming_the_provider_that_changed() {
    let world = World::start().await;
    world.file("desired-state.toml", DESIRED);
    world.run(&["plan", "--out", "plan.json"]).code(0);
    // Someone changes NetBird after the plan was saved.
    world
        .run(&["onboard", "carol@example.com", "--to", "netbird:alpha"])
        .code(0);
    let writes = (
        world.iaas.write_count().await,
        world.netbird.write_count().await,
    );
    let stale = world.run(&["apply", "plan.json", "--auto-approve"]);
    stale.code(1);
    assert!(stale.stderr.contains("stale"), "{}", stale.stderr);
    assert!(
        stale.stderr.contains("netbird (fingerprint"),
        "{}",
        stale.stderr
    );
    assert!(
        !stale.stderr.contains("iaas (fingerprint"),
        "{}",
        stale.stderr
    );
    assert_eq!(
        stale.stderr.lines().count(),
        1,
        "one line: {}",
        stale.stderr
    );
    // Nothing was applied anywhere.
    assert_eq!(
        (
            world.iaas.write_count().await,
            world.netbird.write_count().await
        ),
        writes
    );
    // Planned again, it applies.
    world.run(&["plan", "--out", "plan.json"]).code(0);
    world.run(&["apply", "plan.json", "--auto-approve"]).code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_writes_the_current_state_and_a_plan_right_after_is_empty() {
    let world = World::start().await;
    // Some state worth importing, on every provider.
    world.file("desired-state.toml", DESIRED);
    world.run(&["apply", "--auto-approve"]).code(0);
    world
        .run(&[
            "onboard",
            "dora@example.com",
            "--to",
            "adverity:alpha",
            "--to",
            "medium-one:beta:admin",
            "--to",
            "astra",
        ])
        .code(0);
    let imported = world.run(&["import", "--out", "imported.toml"]);
    imported.code(0);
    assert!(
        imported.stdout.contains("Imported into imported.toml"),
        "{}",
        imported.stdout
    );
    let text = world.read("imported.toml");
    for wanted in [
        "[providers.iaas]",
        "[providers.astra]",
        "dora@example.com",
        "alice@example.com",
    ] {
        assert!(text.contains(wanted), "{wanted} in\n{text}");
    }
    let plan = world.run(&[
        "plan",
        "--desired",
        "imported.toml",
        "--detailed-exitcode",
        "-o",
        "json",
    ]);
    plan.code(0);
    assert!(plan.kind("change").is_empty(), "{}", plan.stdout);
    // JSON to stdout, limited to one provider.
    let json = world.run(&["import", "--provider", "netbird", "-o", "json"]);
    json.code(0);
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(parsed["providers"].as_object().unwrap().len(), 1);
    assert!(json.stdout.contains("bob@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_prints_each_difference_as_an_event_and_exits_2() {
    let world = World::start().await;
    world.file("desired-state.toml", DESIRED);
    world.run(&["apply", "--auto-approve"]).code(0);
    let clean = world.run(&["drift"]);
    clean.code(0);
    assert!(clean.stdout.contains("No drift"), "{}", clean.stdout);
    // bob leaves NetBird behind the desired state's back.
    world
        .run(&[
            "offboard",
            "bob@example.com",
            "--provider",
            "netbird",
            "--yes",
        ])
        .code(0);
    let drift = world.run(&["drift", "-o", "json"]);
    drift.code(2);
    insta::assert_snapshot!("drift_json", normalize(&drift.stdout));
    let table = world.run(&["drift"]);
    table.code(2);
    assert!(
        table.stdout.contains("netbird   + user bob@example.com"),
        "{}",
        table.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_lets_writes_in_flight_finish_and_a_second_apply_does_the_rest() {
    let world = World::start().await;
    let tenants: String = (1..=6)
        .map(|i| format!("[[providers.iaas.tenants]]\nname = \"t{i}\"\n"))
        .collect();
    world.file(
        "desired-state.toml",
        &format!("[providers.iaas]\n{tenants}"),
    );
    // Every write takes a while, so the interrupt lands mid-apply.
    world
        .iaas
        .delay_responses(100, Duration::from_millis(400), |r| {
            r.method.as_str() == "POST"
        });
    let child = world
        .command(&["apply", "--auto-approve", "--parallelism", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while world.iaas.write_count().await == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "apply never wrote"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stderr.contains("Interrupted"), "{stderr}");
    assert!(stdout.contains("Apply interrupted"), "{stdout}");
    let made = world.iaas.write_count().await;
    assert!(
        (1..6).contains(&made),
        "{made} of 6 tenants made before stopping"
    );
    let journal: serde_json::Value =
        serde_json::from_str(&world.read("roster-journal.json")).unwrap();
    assert_eq!(journal["kind"], "journal");
    let entries = journal["entries"].as_array().unwrap();
    let done = entries.iter().filter(|e| e["outcome"] == "done").count();
    assert_eq!(done, made, "the journal says what was done");
    assert_eq!(entries.len(), 6);

    let resumed = world.run(&[
        "apply",
        "roster-journal.json",
        "--auto-approve",
        "-o",
        "json",
    ]);
    resumed.code(0);
    assert!(resumed.stderr.contains("Resuming"), "{}", resumed.stderr);
    assert_eq!(
        resumed.kind("applied").len(),
        6 - made,
        "only what was left"
    );
    assert_eq!(world.iaas.write_count().await, 6);
    world.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_error_continue_goes_on_after_a_failure_and_exits_3() {
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, ResponseTemplate};
    let world = World::start().await;
    world.file("desired-state.toml", DESIRED);
    Mock::given(method("POST"))
        .and(path_regex("/groups"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(serde_json::json!({"message": "no"})),
        )
        .mount(world.netbird.server())
        .await;
    let run = world.run(&[
        "apply",
        "--auto-approve",
        "--on-error",
        "continue",
        "-o",
        "json",
    ]);
    run.code(3);
    let summary = &run.kind("apply_summary")[0];
    assert!(summary["failed"].as_u64().unwrap() >= 1, "{summary}");
    assert!(summary["done"].as_u64().unwrap() >= 4, "{summary}");
    assert_eq!(summary["journal"], "roster-journal.json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_user_s_one_time_password_is_kept_in_a_file_and_printed_nowhere() {
    let world =
        World::start_with(roster_testkit::netbird::NetbirdModel::default().faithful()).await;
    world.file(
        "desired-state.toml",
        "[providers.netbird]\n[[providers.netbird.users]]\nemail = \"ivy@example.com\"\n",
    );
    let warned = world.run(&["plan", "--out", "plan.json"]);
    warned.code(0);
    let run = world.run(&[
        "apply",
        "plan.json",
        "--auto-approve",
        "--one-time-secrets",
        "secrets.txt",
    ]);
    run.code(0);
    let issued = world.netbird.with_model(|m| m.issued_passwords().to_vec());
    assert_eq!(
        issued.len(),
        1,
        "the faithful emulator hands out a password"
    );
    let kept = world.read("secrets.txt");
    assert_eq!(kept, format!("netbird ivy@example.com {}\n", issued[0]));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(world.path("secrets.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Without the flag it is said out loud that it was not kept.
    world.file(
        "desired-state.toml",
        "[providers.netbird]\n[[providers.netbird.users]]\nemail = \"jay@example.com\"\n",
    );
    let run = world.run(&["apply", "--auto-approve"]);
    run.code(0);
    assert!(run.stderr.contains("--one-time-secrets"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_names_each_record_it_leaves_out_and_counts_them() {
    let world = World::start().await;
    world.medium_one.with_model(|m| {
        m.add_user("kept@example.com", "Kept");
        m.add_user("service-account", "No email");
        // The emulator is seeded with `alpha`: a second one by that name.
        m.add_tenant("alpha");
    });
    let run = world.run(&[
        "import",
        "--provider",
        "medium-one",
        "--out",
        "imported.toml",
    ]);
    run.code(0);
    let notes: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("medium-one: left out"))
        .collect();
    assert_eq!(notes.len(), 2, "{}", run.stderr);
    assert!(
        notes.iter().any(|n| n.contains("has no email")),
        "{}",
        run.stderr
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("tenant") && n.contains("\"alpha\"")),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("2 left out"), "{}", run.stdout);
    assert!(world.read("imported.toml").contains("kept@example.com"));
    let json = world.run(&[
        "import",
        "--provider",
        "medium-one",
        "--out",
        "imported.json",
        "-o",
        "json",
    ]);
    json.code(0);
    assert_eq!(json.kind("import")[0]["providers"][0]["left_out"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_desired_in_the_environment_does_not_break_apply_of_a_saved_plan() {
    let world = World::start().await;
    world.file("desired-state.toml", DESIRED);
    world.run(&["plan", "--out", "plan.json"]).code(0);
    let mut apply = world.command(&["apply", "plan.json", "--auto-approve"]);
    apply.env("ROSTER_DESIRED", "desired-state.toml");
    let run = world.run_with(apply);
    run.code(0);
    assert!(run.stdout.contains("Apply complete"), "{}", run.stdout);
    // Typed on the command line, --desired with a plan is still refused,
    // before anything is sent.
    world.file(
        "desired-state.toml",
        "[providers.iaas]\n[[providers.iaas.users]]\nemail = \"zed@example.com\"\n",
    );
    world.run(&["plan", "--out", "plan.json"]).code(0);
    let writes = world.iaas.write_count().await;
    let run = world.run(&[
        "apply",
        "plan.json",
        "--desired",
        "desired-state.toml",
        "--auto-approve",
    ]);
    run.code(1);
    assert!(run.stderr.contains("--desired"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(world.iaas.write_count().await, writes, "nothing applied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_time_secrets_file_that_cannot_be_opened_stops_apply_before_any_change() {
    let world =
        World::start_with(roster_testkit::netbird::NetbirdModel::default().faithful()).await;
    world.file(
        "desired-state.toml",
        "[providers.netbird]\n[[providers.netbird.users]]\nemail = \"ivy@example.com\"\n",
    );
    let run = world.run(&[
        "apply",
        "--auto-approve",
        "--one-time-secrets",
        "no-such-dir/secrets.txt",
    ]);
    run.code(1);
    assert!(run.stderr.contains("--one-time-secrets"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(world.netbird.write_count().await, 0, "nothing applied");
    assert!(
        world
            .netbird
            .with_model(|m| m.issued_passwords().is_empty())
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_world_readable_secrets_file_is_made_owner_only_before_applying() {
    use std::os::unix::fs::PermissionsExt;
    let world =
        World::start_with(roster_testkit::netbird::NetbirdModel::default().faithful()).await;
    world.file(
        "desired-state.toml",
        "[providers.netbird]\n[[providers.netbird.users]]\nemail = \"ivy@example.com\"\n",
    );
    let path = world.file("secrets.txt", "netbird old@example.com kept-from-before\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = world.run(&[
        "apply",
        "--auto-approve",
        "--one-time-secrets",
        "secrets.txt",
    ]);
    run.code(0);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let issued = world.netbird.with_model(|m| m.issued_passwords().to_vec());
    assert_eq!(
        world.read("secrets.txt"),
        format!(
            "netbird old@example.com kept-from-before\nnetbird ivy@example.com {}\n",
            issued[0]
        ),
        "appended"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_after_skip_unreachable_does_the_skipped_providers_too() {
    let world = World::start().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = |url: String| {
        format!(
            "[providers.down]\nkind = \"iaas\"\nurl = \"{url}\"\n\
             token_env = \"ROSTER_IAAS_TOKEN\"\n[providers.down.layers]\nmax_attempts = 1\n"
        )
    };
    world.write_config(&down(format!("http://127.0.0.1:{closed}/api")));
    world.file(
        "desired-state.toml",
        &format!(
            "{DESIRED}\n[providers.down]\n[[providers.down.users]]\nemail = \"dana@example.com\"\n"
        ),
    );
    let apply = world.run(&["apply", "--skip-unreachable", "--auto-approve"]);
    apply.code(3);
    assert!(apply.stdout.contains("Apply complete"), "{}", apply.stdout);
    assert!(
        apply.stderr.contains("roster apply roster-journal.json"),
        "{}",
        apply.stderr
    );
    let journal: serde_json::Value =
        serde_json::from_str(&world.read("roster-journal.json")).unwrap();
    assert!(
        journal["desired"]["providers"]["down"].is_object(),
        "the skipped provider is journaled: {journal}"
    );
    // Again with nothing left but the skipped provider: still journaled.
    std::fs::remove_file(world.path("roster-journal.json")).unwrap();
    let again = world.run(&["apply", "--skip-unreachable", "--auto-approve"]);
    again.code(3);
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);
    let journal: serde_json::Value =
        serde_json::from_str(&world.read("roster-journal.json")).unwrap();
    assert!(
        journal["desired"]["providers"]["down"].is_object(),
        "{journal}"
    );
    // `down` answers now (it is the IaaS emulator): the resume does it.
    world.write_config(&down(world.iaas.base_url()));
    let resumed = world.run(&[
        "apply",
        "roster-journal.json",
        "--auto-approve",
        "-o",
        "json",
    ]);
    resumed.code(0);
    let applied = resumed.kind("applied");
    assert!(
        applied
            .iter()
            .any(|a| a["provider"] == "down" && a["outcome"] == "done"),
        "{}",
        resumed.stdout
    );
    assert!(
        world
            .iaas
            .with_model(|m| m.user_by_email("dana@example.com").is_some())
    );
}
