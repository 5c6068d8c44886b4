//! The shared rules: help length, exit codes, config lookup, logs on
//! stderr with one line per HTTP call, providers that are down.

use crate::support::{DESIRED, World};

const SUBCOMMANDS: &[&[&str]] = &[
    &[],
    &["plan"],
    &["apply"],
    &["audit"],
    &["offboard"],
    &["onboard"],
    &["move"],
    &["whoami"],
    &["users"],
    &["users", "list"],
    &["tenants"],
    &["tenants", "list"],
    &["members"],
    &["members", "list"],
    &["import"],
    &["drift"],
    &["emulator"],
    &["completions"],
    &["scim"],
    &["scim", "serve"],
    &["scim", "status"],
    &["scim", "retry"],
    &["scim", "hash-token"],
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_help_fits_in_40_lines_and_has_an_example_and_the_exit_codes() {
    let world = World::start().await;
    for command in SUBCOMMANDS {
        let mut args = command.to_vec();
        args.push("--help");
        let run = world.run(&args);
        run.code(0);
        let lines = run.stdout.lines().count();
        assert!(
            lines <= 40,
            "`roster {}` help has {lines} lines:\n{}",
            command.join(" "),
            run.stdout
        );
        let leaf = !matches!(
            command,
            [] | ["users"] | ["tenants"] | ["members"] | ["scim"]
        );
        if leaf {
            assert!(
                run.stdout.contains("Example"),
                "`roster {}` has no example",
                command.join(" ")
            );
        }
    }
    let root = world.run(&["--help"]);
    assert!(
        root.stdout.contains("Exit codes: 0 success"),
        "{}",
        root.stdout
    );
    assert!(root.stdout.contains("3 partial failure"), "{}", root.stdout);
    world.run(&["--version"]).code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_1_not_clap_s_2() {
    let world = World::start().await;
    for args in [
        &["frobnicate"][..],
        &["plan", "--no-such-flag"],
        &["audit"],
        &["apply", "--on-error", "sometimes"],
        &["apply", "--parallelism", "0"],
        &["apply", "plan.json", "--provider", "iaas"],
        &["apply", "plan.json", "--desired", "other.toml"],
        &[],
    ] {
        let run = world.run(args);
        run.code(1);
    }
    let bad_email = world.run(&["audit", "not-an-email"]);
    bad_email.code(1);
    assert_eq!(bad_email.stderr.lines().count(), 1, "{}", bad_email.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_comes_from_the_flag_then_roster_config_then_the_directory() {
    let world = World::start().await;
    std::fs::rename(world.path("roster.toml"), world.path("fleet.toml")).unwrap();
    let missing = world.run(&["whoami"]);
    missing.code(1);
    assert!(
        missing.stderr.contains("no fleet config at roster.toml"),
        "{}",
        missing.stderr
    );
    world.run(&["whoami", "--config", "fleet.toml"]).code(0);
    let mut from_env = world.command(&["whoami"]);
    from_env.env("ROSTER_CONFIG", "fleet.toml");
    world.run_with(from_env).code(0);
    // The flag wins over the variable.
    let mut both = world.command(&["whoami", "--config", "nowhere.toml"]);
    both.env("ROSTER_CONFIG", "fleet.toml");
    let run = world.run_with(both);
    run.code(1);
    assert!(run.stderr.contains("nowhere.toml"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_show_one_line_per_http_call_on_stderr_and_never_a_token() {
    let world = World::start().await;
    world.iaas.reset_requests().await;
    let mut command = world.command(&["users", "list", "--provider", "iaas", "-o", "json"]);
    command.env("RUST_LOG", "roster=debug");
    let run = world.run_with(command);
    run.code(0);
    // stdout is data only.
    run.json();
    let calls: Vec<&str> = run.stderr.lines().collect();
    assert!(
        calls.iter().all(|l| l.contains("http request")),
        "nothing but the HTTP calls:\n{}",
        run.stderr
    );
    let requests = world.iaas.request_count().await;
    assert!(requests >= 1);
    assert_eq!(
        calls.len(),
        requests,
        "one line per HTTP call:\n{}",
        run.stderr
    );
    for line in calls {
        for field in ["method=GET", "path=/api/", "status=200", "elapsed_ms="] {
            assert!(line.contains(field), "{field} in {line}");
        }
    }
    // -vv is the same, for every provider.
    world.medium_one.reset_requests().await;
    let verbose = world.run(&["users", "list", "--provider", "medium-one", "-vv"]);
    verbose.code(0);
    let calls = verbose
        .stderr
        .lines()
        .filter(|l| l.contains("http request"))
        .count();
    assert_eq!(
        calls,
        world.medium_one.request_count().await,
        "{}",
        verbose.stderr
    );
    assert!(calls >= 2, "a login, then the list: {}", verbose.stderr);
    // Naming the layers brings their per-operation lines back.
    let mut layers = world.command(&["users", "list", "--provider", "iaas"]);
    layers.env("RUST_LOG", "roster_layers=debug");
    let run = world.run_with(layers);
    assert!(run.stderr.contains("operation succeeded"), "{}", run.stderr);
    // Quiet by default.
    let quiet = world.run(&["whoami", "--provider", "netbird"]);
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secrets_check_covers_every_command_at_trace_level() {
    let world = World::start().await;
    world.file("desired-state.toml", DESIRED);
    world.file("leavers.txt", "bob@example.com\n");
    let commands: &[&[&str]] = &[
        &["whoami"],
        &["plan", "--out", "plan.json"],
        &["apply", "plan.json", "--auto-approve"],
        &["audit", "alice@example.com"],
        &["users", "list"],
        &["tenants", "list"],
        &["members", "list", "alpha"],
        &["import"],
        &["drift"],
        &["onboard", "fred@example.com", "--to", "medium-one:alpha"],
        &["offboard", "--from-file", "leavers.txt", "--yes"],
    ];
    for args in commands {
        let mut command = world.command(args);
        command.env("RUST_LOG", "trace");
        let run = world.run_with(command);
        assert!(run.code == 0 || run.code == 3, "{args:?}: {}", run.stderr);
        assert!(
            !run.stderr.is_empty(),
            "trace logs were written for {args:?}"
        );
    }
    // The saved plan holds no secret either.
    let plan = world.read("plan.json");
    for secret in world.secrets() {
        assert!(!plan.contains(&secret));
    }
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_is_down_fails_by_default_and_is_skipped_on_request() {
    let world = World::start().await;
    world.write_config(&format!(
        "[providers.down]\nkind = \"iaas\"\nurl = \"http://127.0.0.1:{}/api\"\ntoken_env = \"ROSTER_IAAS_TOKEN\"\n\
         [providers.down.layers]\nmax_attempts = 1\n",
        closed_port()
    ));
    world.file(
        "desired-state.toml",
        &format!(
            "{DESIRED}\n[providers.down]\n[[providers.down.users]]\nemail = \"alice@example.com\"\n"
        ),
    );
    for command in ["plan", "drift", "apply"] {
        let args: &[&str] = if command == "apply" {
            &["apply", "--auto-approve"]
        } else {
            &[command]
        };
        let run = world.run(args);
        run.code(1);
        assert!(
            run.stderr.contains("planning down"),
            "{command}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("--skip-unreachable"),
            "{command}: {}",
            run.stderr
        );
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
    assert_eq!(world.iaas.write_count().await, 0, "nothing applied");

    let plan = world.run(&["plan", "--skip-unreachable", "-o", "json"]);
    plan.code(3);
    assert_eq!(plan.kind("skipped")[0]["provider"], "down");
    assert!(plan.kind("change").iter().any(|c| c["provider"] == "iaas"));
    let drift = world.run(&["drift", "--skip-unreachable"]);
    drift.code(3);
    assert!(
        drift.stdout.contains("skipped down (unreachable)"),
        "{}",
        drift.stdout
    );
    let apply = world.run(&["apply", "--skip-unreachable", "--auto-approve"]);
    apply.code(3);
    assert!(
        apply.stdout.contains("skipped down (unreachable)"),
        "{}",
        apply.stdout
    );
    assert!(apply.stdout.contains("Apply complete"), "{}", apply.stdout);
    // The rest was applied.
    world
        .run(&[
            "plan",
            "--provider",
            "iaas",
            "--provider",
            "netbird",
            "--detailed-exitcode",
        ])
        .code(0);
    // Audit: unknown on the provider that is down, never absent.
    let audit = world.run(&["audit", "alice@example.com", "-o", "json"]);
    audit.code(3);
    let down = audit
        .kind("audit")
        .into_iter()
        .find(|r| r["provider"] == "down")
        .unwrap();
    assert_eq!(down["status"], "unknown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_commands_run_through_roster_with_its_global_flags_and_exit_codes() {
    let world = World::start().await;
    let store = world.path("scim.db");
    world.file(
        "roster-scim.toml",
        &format!(
            "[auth]\ntoken_env = [\"ROSTER_SCIM_TEST_TOKEN\"]\n\n[store]\nurl = \"sqlite://{}\"\n\n\
             [fleet.providers.iaas]\nkind = \"iaas\"\nurl = \"{}\"\ntoken_env = \"ROSTER_IAAS_TOKEN\"\n",
            store.display(),
            world.iaas.base_url()
        ),
    );
    let config = ["--config", "roster-scim.toml"];
    let table = world.run(&[&["scim", "status"][..], &config].concat());
    table.code(0);
    assert!(table.stdout.contains("pending"), "{}", table.stdout);
    let json = world.run(&[&["scim", "status", "-o", "json"][..], &config].concat());
    json.code(0);
    let status: serde_json::Value = serde_json::from_str(&json.stdout).expect("status JSON");
    assert!(status["providers"].is_object(), "{status}");
    // Retrying an operation that is not a failed one is an error: exit 1.
    let retry = world.run(&[&["scim", "retry", "42"][..], &config].concat());
    retry.code(1);
    assert!(
        retry.stderr.contains("no failed operation 42"),
        "{}",
        retry.stderr
    );
    // Without --config it reads ./roster-scim.toml.
    world.run(&["scim", "status"]).code(0);
}
