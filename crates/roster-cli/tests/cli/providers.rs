//! whoami, the streaming lists, the emulator command and completions.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::{DESIRED, Spawned, World, normalize};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoami_checks_every_credential_says_who_and_what_it_can_do() {
    let world = World::start().await;
    let table = world.run(&["whoami"]);
    table.code(0);
    insta::assert_snapshot!("whoami_table", normalize(&table.stdout));
    let json = world.run(&["whoami", "-o", "json"]);
    json.code(0);
    let rows = json.kind("whoami");
    assert_eq!(rows.len(), 5);
    let iaas = rows.iter().find(|r| r["provider"] == "iaas").unwrap();
    assert_eq!(iaas["credentials"], "ok");
    assert_eq!(iaas["principal"]["email"], "operator@example.com");
    assert!(
        iaas["capabilities"]
            .as_array()
            .unwrap()
            .contains(&"create_tenant".into())
    );
    let adverity = rows.iter().find(|r| r["provider"] == "adverity").unwrap();
    assert!(
        adverity["principal"].is_null(),
        "Adverity cannot say who: {adverity}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_credential_names_its_variable_and_a_missing_one_too() {
    let world = World::start().await;
    let mut wrong = world.command(&["whoami"]);
    wrong.env("ROSTER_IAAS_TOKEN", "not-the-token");
    let run = world.run_with(wrong);
    run.code(3);
    assert!(
        run.stdout
            .contains("refused the credential in ROSTER_IAAS_TOKEN"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("not-the-token"), "{}", run.stdout);
    let mut unset = world.command(&["users", "list"]);
    unset.env_remove("ROSTER_NETBIRD_TOKEN");
    let run = world.run_with(unset);
    run.code(1);
    assert!(
        run.stderr.contains("ROSTER_NETBIRD_TOKEN"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("is not set"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    // Two providers of one kind: the hint names the right variable.
    world.write_config(&format!(
        "[providers.second]\nkind = \"iaas\"\nurl = \"{}\"\ntoken_env = \"SECOND_IAAS_TOKEN\"\n",
        world.iaas.base_url()
    ));
    let mut second = world.command(&["whoami", "-o", "json"]);
    second.env("SECOND_IAAS_TOKEN", "wrong-too");
    let run = world.run_with(second);
    run.code(3);
    let rows = run.kind("whoami");
    let row = |name: &str| rows.iter().find(|r| r["provider"] == name).unwrap().clone();
    assert_eq!(row("iaas")["credentials"], "ok");
    let error = row("second")["error"].as_str().unwrap().to_owned();
    assert!(
        error.contains("refused the credential in SECOND_IAAS_TOKEN;"),
        "{error}"
    );
    assert!(!error.contains("ROSTER_IAAS_TOKEN"), "{error}");
    world.write_config("");
    // --provider connects only what it names.
    let mut only = world.command(&["users", "list", "--provider", "iaas"]);
    only.env_remove("ROSTER_NETBIRD_TOKEN");
    world.run_with(only).code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_stream_one_line_per_record_in_both_formats() {
    let world = World::start().await;
    world.file("desired-state.toml", DESIRED);
    world.run(&["apply", "--auto-approve"]).code(0);
    let users = world.run(&["users", "list", "--provider", "iaas", "-o", "json"]);
    users.code(0);
    let rows = users.kind("user");
    assert!(
        rows.iter()
            .any(|u| u["email"] == "alice@example.com" && u["provider"] == "iaas")
    );
    assert!(
        rows.iter()
            .all(|u| u["id"].is_string() && u["status"].is_string())
    );
    assert_eq!(
        rows.len(),
        users.stdout.lines().count(),
        "one object per line, nothing else"
    );
    let table = world.run(&["users", "list"]);
    table.code(0);
    assert!(table.stdout.lines().next().unwrap().starts_with("provider"));
    assert!(table.stdout.contains("bob@example.com"));
    let tenants = world.run(&["tenants", "list", "-o", "json"]);
    tenants.code(0);
    assert!(
        tenants
            .kind("tenant")
            .iter()
            .any(|t| t["provider"] == "netbird" && t["name"] == "devs")
    );
    let tenants = world.run(&["tenants", "list", "--provider", "iaas"]);
    assert!(tenants.stdout.contains("alpha"), "{}", tenants.stdout);
    let members = world.run(&[
        "members",
        "list",
        "alpha",
        "--provider",
        "iaas",
        "-o",
        "json",
    ]);
    members.code(0);
    assert_eq!(members.kind("member").len(), 1);
    assert_eq!(members.kind("member")[0]["user_email"], "alice@example.com");
    let members = world.run(&["members", "list", "devs"]);
    members.code(0);
    assert!(
        members.stdout.contains("alice@example.com"),
        "{}",
        members.stdout
    );
    world.run(&["members", "list", "no-such-tenant"]).code(1);
}

/// Adverity reads members off its paged user list (50 users a page): a
/// workspace with a member on the first page, none on the second, and one
/// on the third.
fn members_over_three_pages(world: &World) {
    world.adverity.with_model(|m| {
        let (workspace, _) = m.add_workspace("streamed");
        for n in 0..120 {
            let id = m.add_user(&format!("streamed{n:03}@example.com"), "Stream", "Ed");
            if n == 0 || n == 110 {
                m.assign(id, workspace);
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_list_goes_through_every_page_in_the_documented_shapes() {
    let world = World::start().await;
    members_over_three_pages(&world);
    let table = world.run(&["members", "list", "streamed", "--provider", "adverity"]);
    table.code(0);
    insta::assert_snapshot!("members_list_table", normalize(&table.stdout));
    let json = world.run(&[
        "members",
        "list",
        "streamed",
        "--provider",
        "adverity",
        "-o",
        "json",
    ]);
    json.code(0);
    let members = json.kind("member");
    let emails: Vec<&str> = members
        .iter()
        .map(|m| m["user_email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["streamed000@example.com", "streamed110@example.com"],
        "on past the page of users without a member"
    );
    assert!(
        members
            .iter()
            .all(|m| m["provider"] == "adverity" && m["tenant"] == "streamed"),
        "{members:?}"
    );
    assert_eq!(json.json().len(), 2, "one object per member, nothing else");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_list_prints_each_page_as_it_arrives() {
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, ResponseTemplate};

    let world = World::start().await;
    members_over_three_pages(&world);
    // The third page of users is refused (not retried): a list printed only
    // once it is whole would print no member at all.
    Mock::given(method("GET"))
        .and(path("/api/v1/users/"))
        .and(query_param("page", "3"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            serde_json::json!({"detail": "You do not have permission to perform this action."}),
        ))
        .mount(world.adverity.server())
        .await;
    for format in ["table", "json"] {
        let run = world.run(&[
            "members",
            "list",
            "streamed",
            "--provider",
            "adverity",
            "-o",
            format,
        ]);
        run.code(1);
        assert!(
            run.stdout.contains("streamed000@example.com"),
            "{format}: the first page's member is printed before the third page fails\n{}",
            run.stdout
        );
        assert!(
            !run.stdout.contains("streamed110@example.com"),
            "{format}: {}",
            run.stdout
        );
        assert!(run.stderr.contains("adverity"), "{format}: {}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_command_serves_writes_a_config_and_prints_the_credentials() {
    let world = World::start().await;
    let mut child = Spawned(
        world
            .command(&["emulator", "--all", "--write-config", "emulated.toml"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let last = line.starts_with("export ROSTER_CONFIG");
        printed.push(line);
        if last {
            break;
        }
    }
    let text = printed.join("\n");
    assert!(
        text.contains("export ROSTER_IAAS_TOKEN='iaas-operator-test-token'"),
        "{text}"
    );
    assert!(text.contains("export ROSTER_MEDIUMONE_PASSWORD="), "{text}");
    assert!(text.starts_with("iaas"), "{text}");
    // The written config works with those credentials (which World sets).
    let mut whoami = world.command(&["whoami", "-o", "json"]);
    whoami
        .env("ROSTER_CONFIG", world.path("emulated.toml"))
        .current_dir(std::env::temp_dir());
    let run = world.run_with(whoami);
    run.code(0);
    assert_eq!(run.kind("whoami").len(), 5);
    assert!(child.interrupt().success());

    // One provider, JSON.
    let mut child = Spawned(
        world
            .command(&["emulator", "iaas", "-o", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let first: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["kind"], "emulator");
    assert_eq!(first["provider"], "iaas");
    let env: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(env["kind"], "env");
    assert_eq!(env["name"], "ROSTER_IAAS_TOKEN");
    assert!(child.interrupt().success());
    world.run(&["emulator"]).code(1);
    world.run(&["emulator", "ldap"]).code(1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawned_emulator_is_killed_when_its_test_fails_before_stopping_it() {
    let world = World::start().await;
    let mut pid = 0;
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut child = Spawned(
            world
                .command(&["emulator", "iaas"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        pid = child.0.id();
        // Serving: it printed its address.
        let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
        assert!(lines.next().is_some());
        panic!("an assertion fails before the interrupt");
    }));
    assert!(failed.is_err());
    let alive = std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(!alive, "the emulator {pid} outlived its test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoami_checks_tenant_admin_credentials_with_what_they_may_read() {
    let mut world = World::start().await;
    world.medium_one_as_tenant_admin();
    let run = world.run(&["whoami", "--provider", "medium-one", "-o", "json"]);
    run.code(0);
    let rows = run.kind("whoami");
    assert_eq!(rows[0]["credentials"], "ok", "{rows:?}");
    // A wrong password is still caught by that read.
    let mut wrong = world.command(&["whoami", "--provider", "medium-one"]);
    wrong.env("ROSTER_MEDIUMONE_PASSWORD", "not-the-password");
    let run = world.run_with(wrong);
    run.code(1);
    assert!(run.stdout.contains("FAILED"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_are_printed_for_each_shell() {
    let world = World::start().await;
    for shell in ["bash", "zsh", "fish"] {
        let run = world.run(&["completions", shell]);
        run.code(0);
        assert!(run.stdout.contains("roster"), "{shell}");
        assert!(run.stdout.contains("offboard"), "{shell}");
    }
    world.run(&["completions", "cmd.exe"]).code(1);
    world.run(&["completions", "bash", "-o", "json"]).code(1);
}
