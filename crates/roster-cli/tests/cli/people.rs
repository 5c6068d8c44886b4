//! audit, offboard (one, dry run, bulk from a file), onboard and move.

use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

use crate::support::{DESIRED, KEY, World, normalize};

fn server_error() -> ResponseTemplate {
    ResponseTemplate::new(500).set_body_json(serde_json::json!({"message": "down for maintenance"}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_shows_where_someone_is_and_unknown_where_a_provider_failed() {
    let world = World::start().await;
    world.file("desired-state.toml", DESIRED);
    world.run(&["apply", "--auto-approve"]).code(0);
    let table = world.run(&["audit", "alice@example.com"]);
    table.code(0);
    insta::assert_snapshot!("audit_table", normalize(&table.stdout));
    Mock::given(method("GET"))
        .respond_with(server_error())
        .mount(world.adverity.server())
        .await;
    let json = world.run(&[
        "audit",
        "alice@example.com",
        "bob@example.com",
        "-o",
        "json",
    ]);
    json.code(3);
    let rows = json.kind("audit");
    assert_eq!(rows.len(), 10);
    let status = |email: &str, provider: &str| {
        rows.iter()
            .find(|r| r["email"] == email && r["provider"] == provider)
            .map(|r| r["status"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(status("alice@example.com", "iaas"), "present");
    assert_eq!(status("alice@example.com", "astra"), "absent");
    // Never "absent" where the provider could not be asked.
    assert_eq!(status("alice@example.com", "adverity"), "unknown");
    let alice_iaas = rows
        .iter()
        .find(|r| r["email"] == "alice@example.com" && r["provider"] == "iaas")
        .unwrap();
    assert_eq!(alice_iaas["tenants"], serde_json::json!(["alpha"]));
    let table = world.run(&["audit", "alice@example.com"]);
    table.code(3);
    assert!(
        table.stdout.contains("adverity    unknown"),
        "{}",
        table.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offboard_asks_first_shows_a_dry_run_and_removes_with_yes() {
    let world = World::start().await;
    world.file("desired-state.toml", DESIRED);
    world.run(&["apply", "--auto-approve"]).code(0);
    let writes = world.iaas.write_count().await;
    let asked = world.run(&["offboard", "alice@example.com"]);
    asked.code(1);
    assert!(asked.stderr.contains("--yes"), "{}", asked.stderr);
    let dry = world.run(&["offboard", "alice@example.com", "--dry-run"]);
    dry.code(0);
    insta::assert_snapshot!("offboard_dry_run_table", normalize(&dry.stdout));
    let dry_json = world.run(&["offboard", "alice@example.com", "--dry-run", "-o", "json"]);
    let preview = dry_json.kind("offboard_preview");
    assert!(
        preview
            .iter()
            .any(|p| p["provider"] == "iaas" && p["action"] == "would_remove")
    );
    assert_eq!(
        world.iaas.write_count().await,
        writes,
        "asking and the dry run change nothing"
    );
    let done = world.run(&["offboard", "alice@example.com", "--yes"]);
    done.code(0);
    assert!(
        done.stdout.contains("1 people, 1 complete"),
        "{}",
        done.stdout
    );
    let after = world.run(&["audit", "alice@example.com", "-o", "json"]);
    assert!(
        after.kind("audit").iter().all(|r| r["status"] == "absent"),
        "{}",
        after.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_offboard_from_a_file_with_one_provider_failing_exits_3_and_does_the_rest() {
    let world = World::start().await;
    let mut desired = String::new();
    for provider in ["iaas", "netbird"] {
        desired += &format!("[providers.{provider}]\n");
        for i in 1..=5 {
            desired +=
                &format!("[[providers.{provider}.users]]\nemail = \"leaver{i}@example.com\"\n");
        }
    }
    world.file("desired-state.toml", &desired);
    world.run(&["apply", "--auto-approve"]).code(0);
    world.file(
        "leavers.txt",
        "# leavers this week\nleaver1@example.com\nleaver2@example.com\n\nleaver3@example.com\nleaver4@example.com\nleaver5@example.com\n",
    );
    Mock::given(method("DELETE"))
        .respond_with(server_error())
        .mount(world.netbird.server())
        .await;
    let run = world.run(&[
        "offboard",
        "--from-file",
        "leavers.txt",
        "--yes",
        "--concurrency",
        "2",
        "-o",
        "json",
    ]);
    run.code(3);
    let rows = run.kind("offboard");
    assert_eq!(rows.len(), 25, "every person on every provider");
    for i in 1..=5 {
        let email = format!("leaver{i}@example.com");
        let outcome = |provider: &str| {
            rows.iter()
                .find(|r| r["email"] == email.as_str() && r["provider"] == provider)
                .map(|r| r["outcome"].as_str().unwrap().to_owned())
                .unwrap()
        };
        assert_eq!(outcome("iaas"), "removed", "{email}");
        assert_eq!(outcome("netbird"), "failed", "{email}");
        assert_eq!(outcome("astra"), "not_present", "{email}");
    }
    let summary = &run.kind("offboard_summary")[0];
    assert_eq!(summary["people"], 5);
    assert_eq!(summary["removed"], 5);
    assert_eq!(summary["failed"], 5);
    assert_eq!(summary["incomplete"], 5);
    assert_eq!(summary["failed_providers"], serde_json::json!(["netbird"]));
    // The table says the same, with a summary and what to do next.
    let table = world.run(&["offboard", "--from-file", "leavers.txt", "--yes"]);
    table.code(3);
    assert!(
        table
            .stdout
            .contains("Summary: 5 people, 0 complete, 5 incomplete"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("Failed on netbird"),
        "{}",
        table.stdout
    );
    // A bad line is refused, naming it, before anything is sent.
    world.file("bad.txt", "ok@example.com\nnot-an-email\n");
    let bad = world.run(&["offboard", "--from-file", "bad.txt", "--yes"]);
    bad.code(1);
    assert!(bad.stderr.contains("bad.txt line 2"), "{}", bad.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboard_places_someone_with_a_wireguard_key_and_move_keeps_it() {
    let world = World::start().await;
    let key_file = world.file("erin.pub", &format!("{KEY}\n"));
    let run = world.run(&[
        "onboard",
        "erin@example.com",
        "--to",
        "iaas:alpha",
        "--to",
        "netbird:alpha",
        "--to",
        "medium-one:beta:admin",
        "--wireguard-key-file",
        key_file.to_str().unwrap(),
        "--display-name",
        "Erin",
    ]);
    run.code(0);
    assert!(
        run.stdout.contains("Onboarding erin@example.com"),
        "{}",
        run.stdout
    );
    let again = world.run(&[
        "onboard",
        "erin@example.com",
        "--to",
        "iaas:alpha",
        "--wireguard-key",
        KEY,
        "-o",
        "json",
    ]);
    again.code(0);
    let row = &again.kind("onboard")[0];
    assert_eq!(row["memberships"][0]["outcome"], "already_member");
    let audit = world.run(&["audit", "erin@example.com", "-o", "json"]);
    let on = |p: &str| {
        audit
            .kind("audit")
            .into_iter()
            .find(|r| r["provider"] == p)
            .unwrap()
    };
    assert_eq!(on("iaas")["tenants"], serde_json::json!(["alpha"]));
    assert_eq!(on("medium-one")["tenants"], serde_json::json!(["beta"]));

    let moved = world.run(&[
        "move",
        "erin@example.com",
        "--provider",
        "iaas",
        "--from",
        "alpha",
        "--to",
        "beta",
        "--wireguard-key",
        KEY,
    ]);
    moved.code(0);
    assert!(
        moved.stdout.contains("Moved erin@example.com on iaas"),
        "{}",
        moved.stdout
    );
    let json = world.run(&[
        "move",
        "erin@example.com",
        "--provider",
        "iaas",
        "--from",
        "beta",
        "--to",
        "alpha",
        "--wireguard-key",
        KEY,
        "-o",
        "json",
    ]);
    json.code(0);
    assert_eq!(json.kind("move")[0]["to"], "alpha");
    // IaaS needs the key: without it the move is refused, saying so.
    let keyless = world.run(&[
        "move",
        "erin@example.com",
        "--provider",
        "iaas",
        "--from",
        "alpha",
        "--to",
        "beta",
    ]);
    keyless.code(1);
    assert!(
        keyless.stderr.to_lowercase().contains("wireguard"),
        "{}",
        keyless.stderr
    );
    assert_eq!(keyless.stderr.lines().count(), 1, "{}", keyless.stderr);
    // A bad target is a usage mistake.
    world
        .run(&["onboard", "erin@example.com", "--to", ":alpha"])
        .code(1);
    world
        .run(&["onboard", "erin@example.com", "--to", "iaas:alpha:boss"])
        .code(1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offboard_is_not_complete_where_the_provider_cannot_offboard() {
    let mut world = World::start().await;
    world.medium_one_as_tenant_admin();
    world.file(
        "desired-state.toml",
        "[providers.iaas]\n[[providers.iaas.users]]\nemail = \"leaver@example.com\"\n",
    );
    world.run(&["apply", "--auto-approve"]).code(0);
    world.medium_one.with_model(|m| {
        m.add_user("leaver@example.com", "Leaver");
    });
    let only = ["--provider", "iaas", "--provider", "medium-one"];
    let mut args = vec!["offboard", "leaver@example.com", "--yes"];
    args.extend(only);
    let table = world.run(&args);
    // A tenant admin cannot list users: the account may well remain.
    table.code(3);
    assert!(
        table.stdout.contains(
            "Summary: 1 people, 0 complete, 1 incomplete; 1 account(s) removed, \
             0 not present, 1 unsupported, 0 failed."
        ),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("Unsupported on medium-one"),
        "{}",
        table.stdout
    );
    args.extend(["-o", "json"]);
    let json = world.run(&args);
    json.code(3);
    let summary = &json.kind("offboard_summary")[0];
    assert_eq!(summary["incomplete"], 1, "{summary}");
    assert_eq!(summary["unsupported"], 1, "{summary}");
    assert_eq!(
        summary["unsupported_providers"],
        serde_json::json!(["medium-one"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offboard_from_a_file_naming_someone_twice_removes_and_reports_them_once() {
    let world = World::start().await;
    world.file(
        "desired-state.toml",
        "[providers.iaas]\n[[providers.iaas.users]]\nemail = \"twice@example.com\"\n",
    );
    world.run(&["apply", "--auto-approve"]).code(0);
    world.file("leavers.txt", "twice@example.com\nTwice@Example.COM\n");
    world.iaas.reset_requests().await;
    let run = world.run(&[
        "offboard",
        "--from-file",
        "leavers.txt",
        "--provider",
        "iaas",
        "--yes",
        "-o",
        "json",
    ]);
    run.code(0);
    let rows = run.kind("offboard");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["email"], "twice@example.com");
    assert_eq!(rows[0]["outcome"], "removed");
    assert_eq!(run.kind("offboard_summary")[0]["people"], 1);
    let deletes = world
        .iaas
        .requests()
        .await
        .iter()
        .filter(|r| r.method.as_str() == "DELETE")
        .count();
    assert_eq!(deletes, 1, "removed once");
    // The table too: one person.
    world.run(&["apply", "--auto-approve"]).code(0);
    let table = world.run(&[
        "offboard",
        "twice@example.com",
        "--from-file",
        "leavers.txt",
        "--provider",
        "iaas",
        "--yes",
    ]);
    table.code(0);
    assert_eq!(
        table.stdout.matches("Offboarding ").count(),
        1,
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("Summary: 1 people"),
        "{}",
        table.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_and_an_audit_of_many_read_each_user_list_once() {
    let world = World::start().await;
    let mut desired = String::from("[providers.iaas]\n");
    for i in 1..=3 {
        desired += &format!("[[providers.iaas.users]]\nemail = \"many{i}@example.com\"\n");
    }
    world.file("desired-state.toml", &desired);
    world.run(&["apply", "--auto-approve"]).code(0);
    world.file(
        "leavers.txt",
        "many1@example.com\nmany2@example.com\nmany3@example.com\nMANY1@example.com\nnobody@example.com\n",
    );
    let user_list_reads = || async {
        world
            .iaas
            .requests()
            .await
            .iter()
            .filter(|r| r.method.as_str() == "GET" && r.url.path().ends_with("/users"))
            .count()
    };
    world.iaas.reset_requests().await;
    let dry = world.run(&[
        "offboard",
        "--from-file",
        "leavers.txt",
        "--dry-run",
        "-o",
        "json",
    ]);
    dry.code(0);
    let previews = dry.kind("offboard_preview");
    assert_eq!(previews.len(), 4 * 5, "each person once, on every provider");
    let iaas = |email: &str| {
        previews
            .iter()
            .find(|p| p["email"] == email && p["provider"] == "iaas")
            .map(|p| p["action"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(iaas("many2@example.com"), "would_remove");
    assert_eq!(iaas("nobody@example.com"), "not_present");
    assert_eq!(
        user_list_reads().await,
        1,
        "one user-list read for them all"
    );
    assert_eq!(
        world.iaas.write_count().await,
        0,
        "a dry run changes nothing"
    );

    world.iaas.reset_requests().await;
    let audit = world.run(&[
        "audit",
        "many1@example.com",
        "many2@example.com",
        "many3@example.com",
        "-o",
        "json",
    ]);
    audit.code(0);
    assert_eq!(audit.kind("audit").len(), 3 * 5);
    assert_eq!(
        user_list_reads().await,
        1,
        "one user-list read for them all"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboard_keeps_a_generated_password_in_the_secrets_file_and_prints_it_nowhere() {
    let world =
        World::start_with(roster_testkit::netbird::NetbirdModel::default().faithful()).await;
    // World::run checks stdout and stderr for every issued password.
    let run = world.run(&[
        "onboard",
        "ivy@example.com",
        "--to",
        "netbird",
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
    assert_eq!(
        world.read("secrets.txt"),
        format!("netbird ivy@example.com {}\n", issued[0])
    );
    // Without the flag it is said out loud that it was not kept.
    let run = world.run(&["onboard", "jay@example.com", "--to", "netbird"]);
    run.code(0);
    assert!(run.stderr.contains("--one-time-secrets"), "{}", run.stderr);
}
