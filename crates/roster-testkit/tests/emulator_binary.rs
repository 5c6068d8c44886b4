//! `roster-emulator` as a child process: it prints its URL, serves the
//! real adapters, answers a wrong token with the provider's own 401 shape,
//! stops cleanly on SIGTERM and dumps its state.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use futures::TryStreamExt;
use roster_core::{
    Directory, Email, NewTenant, NewUser, TenantDirectoryExt, User, UserDirectoryExt,
};
use roster_http::SecretString;
use roster_testkit::contract::{membership_request, unique_email};
use roster_testkit::snapshot;
use serde_json::Value;

/// One provider the binary serves, and how to talk to it.
struct Case {
    provider: &'static str,
    connect: fn(&str) -> Arc<dyn Directory>,
    /// A path (below the base URL) that needs the token.
    protected: &'static str,
    /// Whether a 401 body has the provider's shape.
    is_401_shape: fn(&Value) -> bool,
    /// Whether a user list shows the model's faithful mode: a resident
    /// record, or a key only a faithful answer carries.
    shows_faithful: fn(&[User]) -> bool,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            provider: "iaas",
            connect: |url| {
                let token = SecretString::from(roster_testkit::iaas::IAAS_TOKEN.to_owned());
                let config = roster_iaas::IaasConfig::new(url, token);
                Arc::new(roster_iaas::IaasClient::new(config).expect("client"))
            },
            protected: "/users",
            is_401_shape: |body| body["detail"].is_string(),
            shows_faithful: |users| has_email(users, "auditor@example.com"),
        },
        Case {
            provider: "netbird",
            connect: |url| {
                let token = SecretString::from(roster_testkit::netbird::NETBIRD_TOKEN.to_owned());
                let config =
                    roster_netbird::NetbirdConfig::personal_access_token(token).with_base_url(url);
                Arc::new(roster_netbird::NetbirdClient::new(config).expect("client"))
            },
            protected: "/api/users",
            is_401_shape: |body| body["message"].is_string() && body["code"] == 401,
            shows_faithful: |users| {
                users
                    .iter()
                    .any(|u| u.id.as_str() == roster_testkit::netbird::PENDING_ID)
            },
        },
        Case {
            provider: "adverity",
            connect: |url| {
                let token = SecretString::from(roster_testkit::adverity::ADVERITY_TOKEN.to_owned());
                let config = roster_adverity::AdverityConfig::new(url, token)
                    .with_datalake_id(roster_testkit::adverity::ADVERITY_DATALAKE_ID as u64);
                Arc::new(roster_adverity::AdverityClient::new(config).expect("client"))
            },
            protected: "/api/v1/users/",
            is_401_shape: |body| body["detail"].is_string(),
            shows_faithful: |users| {
                users.iter().any(|u| {
                    u.provider_data
                        .as_ref()
                        .is_some_and(|d| d.field("sso_identity").is_some())
                })
            },
        },
        Case {
            provider: "medium-one",
            connect: |url| {
                use roster_testkit::medium_one::{
                    MEDIUMONE_API_KEY, MEDIUMONE_LOGIN, MEDIUMONE_PASSWORD,
                };
                let config = roster_medium_one::MediumOneConfig::new(
                    MEDIUMONE_LOGIN,
                    SecretString::from(MEDIUMONE_PASSWORD.to_owned()),
                    SecretString::from(MEDIUMONE_API_KEY.to_owned()),
                )
                .with_base_url(url);
                Arc::new(roster_medium_one::MediumOneClient::new(config).expect("client"))
            },
            protected: "/user_list",
            is_401_shape: |body| body["errors"].is_array() || body["message"].is_string(),
            shows_faithful: |users| has_email(users, roster_testkit::medium_one::RESIDENT_USER),
        },
        Case {
            provider: "astra",
            connect: |url| {
                let token = SecretString::from(roster_testkit::astra::ASTRA_TOKEN.to_owned());
                let config = roster_astra::AstraConfig::new(token).with_base_url(url);
                Arc::new(roster_astra::AstraClient::new(config).expect("client"))
            },
            protected: "/v2/organizations/users",
            is_401_shape: |body| body["errors"][0]["message"].is_string(),
            shows_faithful: |users| has_email(users, roster_testkit::astra::FAITHFUL_USERS[1].0),
        },
    ]
}

fn has_email(users: &[User], email: &str) -> bool {
    users
        .iter()
        .any(|u| u.email.as_ref().is_some_and(|e| e.as_str() == email))
}

struct Running {
    child: Child,
    url: String,
}

fn start(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_roster-emulator"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting roster-emulator");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("reading the URL line");
    Running {
        child,
        url: line.trim().to_owned(),
    }
}

/// Sends SIGTERM and returns whether the process exited successfully, and
/// what it wrote to stderr.
fn stop(running: Running) -> (bool, String) {
    let pid = running.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("running kill");
    assert!(killed.success());
    let output = running.child.wait_with_output().expect("waiting");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn temp_file(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "roster-emulator-{}-{}-{name}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ))
}

#[tokio::test]
async fn every_provider_serves_the_sdk_and_dumps_its_state() {
    for case in cases() {
        let dump = temp_file(&format!("{}.json", case.provider));
        let running = start(&[
            case.provider,
            "--port",
            "0",
            "--dump",
            dump.to_str().expect("utf-8 path"),
        ]);
        assert!(
            running.url.starts_with("http://127.0.0.1:"),
            "{}",
            running.url
        );

        let directory = (case.connect)(&running.url);
        let caps = directory.capabilities();
        let keep = directory
            .create_user(&NewUser::new(unique_email("keep")))
            .await
            .expect("create")
            .into_inner();
        let leave = directory
            .create_user(&NewUser::new(unique_email("leave")))
            .await
            .expect("create")
            .into_inner();
        let listed: Vec<_> = directory.list_users().try_collect().await.expect("list");
        assert!(listed.iter().any(|u| u.id == keep.id) && listed.iter().any(|u| u.id == leave.id));
        let tenant = if caps.create_tenant {
            directory
                .create_tenant(&NewTenant::new("binary-team").expect("name"))
                .await
                .expect("create tenant")
                .into_inner()
        } else {
            let tenants: Vec<_> = directory
                .list_tenants()
                .try_collect()
                .await
                .expect("tenants");
            tenants.into_iter().next().expect("one tenant")
        };
        directory
            .add_member(&tenant.id, &keep.id, &membership_request(&caps))
            .await
            .expect("add member");
        directory.delete_user(&leave.id).await.expect("delete");

        roster_http::install_crypto_provider();
        let wrong = reqwest::Client::new()
            .get(format!("{}{}", running.url, case.protected))
            .bearer_auth("not-the-token")
            .send()
            .await
            .expect("request");
        assert_eq!(wrong.status(), 401, "{}", case.provider);
        let body: Value = wrong.json().await.expect("a JSON 401 body");
        assert!((case.is_401_shape)(&body), "{}: {body}", case.provider);

        let (clean, stderr) = stop(running);
        assert!(clean, "{}: {stderr}", case.provider);
        assert!(stderr.contains("stopped"), "{stderr}");
        let text = std::fs::read_to_string(&dump).expect("the dump was written");
        let _ = std::fs::remove_file(&dump);
        let state = snapshot::parse(&text, "dump.json").expect("a snapshot");
        let email = |user: &roster_core::User| user.email.clone().expect("email");
        let (kept, left) = (email(&keep), email(&leave));
        assert!(state.users.iter().any(|u| u.email == kept), "{text}");
        assert!(!state.users.iter().any(|u| u.email == left), "{text}");
        assert!(
            state
                .memberships
                .iter()
                .any(|m| m.user == kept && m.tenant == tenant.name),
            "{text}"
        );
    }
}

#[tokio::test]
async fn faithful_switches_on_every_models_faithful_mode() {
    for case in cases() {
        let mut seen = Vec::new();
        for faithful in [false, true] {
            let args: &[&str] = if faithful {
                &[case.provider, "--faithful"]
            } else {
                &[case.provider]
            };
            let running = start(args);
            let directory = (case.connect)(&running.url);
            // One user of our own, so a server that starts empty still
            // lists an object that shows its mode; the adapter must read
            // faithful answers too.
            let created = directory
                .create_user(&NewUser::new(unique_email("faithful")))
                .await
                .unwrap_or_else(|e| panic!("{}: create: {e}", case.provider));
            let users: Vec<User> = directory
                .list_users()
                .try_collect()
                .await
                .unwrap_or_else(|e| panic!("{}: list: {e}", case.provider));
            assert!(
                users.iter().any(|u| u.id == created.id),
                "{}",
                case.provider
            );
            seen.push((case.shows_faithful)(&users));
            let (clean, stderr) = stop(running);
            assert!(clean, "{}: {stderr}", case.provider);
        }
        assert_eq!(
            seen,
            [false, true],
            "{}: faithful marks without and with --faithful",
            case.provider
        );
    }
}

#[tokio::test]
async fn a_seed_is_served_and_dumped_back_unchanged() {
    let seed = temp_file("seed.toml");
    let dump = temp_file("dump.toml");
    std::fs::write(
        &seed,
        r#"
[[users]]
email = "alice@example.com"
role = "admin"

[[users]]
email = "bob@example.com"
role = "member"

[[tenants]]
name = "alpha"

[[memberships]]
tenant = "alpha"
user = "alice@example.com"
wireguard_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
"#,
    )
    .expect("writing the seed");
    let running = start(&[
        "iaas",
        "--seed",
        seed.to_str().expect("utf-8"),
        "--dump",
        dump.to_str().expect("utf-8"),
    ]);
    let directory = (cases()[0].connect)(&running.url);
    let alice = directory
        .find_user_by_email(&Email::parse("alice@example.com").expect("email"))
        .await
        .expect("list")
        .expect("alice was seeded");
    assert_eq!(alice.raw_role.as_deref(), Some("operator"));
    let (clean, stderr) = stop(running);
    assert!(clean, "{stderr}");
    let seeded = snapshot::parse(&std::fs::read_to_string(&seed).expect("seed"), "s.toml");
    let dumped = snapshot::parse(&std::fs::read_to_string(&dump).expect("dump"), "d.toml");
    let _ = (std::fs::remove_file(&seed), std::fs::remove_file(&dump));
    assert_eq!(
        dumped.expect("dump").sorted(),
        seeded.expect("seed").sorted()
    );
}

#[test]
fn bad_arguments_fail_before_serving() {
    // 2: the command line is wrong (with usage); 1: it cannot be served.
    let cases: [(&[&str], i32); 8] = [
        (&[], 2),
        (&["iaas", "--port", "x"], 2),
        (&["iaas", "astra"], 2),
        (&["iaas", "--login", "x"], 2),
        (&["medium-one", "--token", "x"], 2),
        (&["nope"], 1),
        (&["--all", "--port", "65534"], 1),
        (&["iaas", "--dump", "/nonexistent-dir/dump.json"], 1),
    ];
    for (args, code) in cases {
        let output = Command::new(env!("CARGO_BIN_EXE_roster-emulator"))
            .args(args)
            .output()
            .expect("running");
        assert_eq!(output.status.code(), Some(code), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?} served anyway");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("roster-emulator:"), "{stderr}");
    }
}

#[tokio::test]
async fn all_serves_every_provider_on_its_own_port() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_roster-emulator"))
        .args(["--all", "--token", "shared-dev-token"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting roster-emulator");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut served = Vec::new();
    for _ in cases() {
        let line = lines.next().expect("a line").expect("utf-8");
        let (provider, url) = line.split_once(' ').expect("`provider url`");
        served.push((provider.to_owned(), url.to_owned()));
    }
    let mut providers: Vec<_> = served.iter().map(|(p, _)| p.clone()).collect();
    providers.sort();
    assert_eq!(
        providers,
        ["adverity", "astra", "iaas", "medium-one", "netbird"]
    );
    let ports: std::collections::HashSet<_> = served
        .iter()
        .map(|(_, url)| url.split(':').nth(2).expect("port").to_owned())
        .collect();
    assert_eq!(ports.len(), served.len(), "{served:?}");
    // --token applies to the token providers.
    let (_, iaas) = served.iter().find(|(p, _)| p == "iaas").expect("iaas");
    roster_http::install_crypto_provider();
    let answer = reqwest::Client::new()
        .get(format!("{iaas}/users"))
        .bearer_auth("shared-dev-token")
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status(), 200);
    let (clean, stderr) = stop(Running {
        child,
        url: String::new(),
    });
    assert!(clean, "{stderr}");
}
