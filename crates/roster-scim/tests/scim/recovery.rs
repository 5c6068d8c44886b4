//! Outages and crashes: nothing accepted is lost, nothing is done twice.

use std::time::Duration;

use roster::layers::Stack;
use roster_examples::Sandbox;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, ResponseTemplate};

use crate::harness::{self, Harness, accounts, memberships_of, okta_user, temp_dir, wait_until};

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

#[tokio::test]
async fn a_provider_that_is_down_waits_in_the_outbox_and_the_others_are_not_held_up() {
    a_provider_down_waits_and_lands_when_back(&harness::sqlite_url("outage")).await;
}

/// NetBird answers 503 to everything while two people join Engineering:
/// the other four providers converge meanwhile, NetBird's operations wait
/// (retried, not failed), and land once it is back.
pub async fn a_provider_down_waits_and_lands_when_back(store_url: &str) {
    let h = Harness::start_with(Sandbox::start().await, store_url, Stack::none()).await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({"message": "maintenance", "code": 503})),
        )
        .with_priority(1)
        .mount(h.sandbox.netbird.server())
        .await;
    let ada = h.create_user("ada@example.com", "Ada", "L").await;
    let bob = h.create_user("bob@example.com", "Bob", "B").await;
    let (status, _) = h.post("/Groups", json!({"schemas": [GROUP], "displayName": "Engineering", "members": [{"value": ada}, {"value": bob}]})).await;
    assert_eq!(status, 201);
    // The other four converge while NetBird is down.
    wait_until(Duration::from_secs(60), || async {
        let all = accounts(&h.sandbox).await;
        ["adverity", "astra", "iaas", "medium-one"]
            .iter()
            .all(|p| all[p].len() >= 2)
    })
    .await;
    wait_until(Duration::from_secs(60), || async {
        memberships_of(&h.sandbox, "bob@example.com").await["adverity"] == ["alpha"]
    })
    .await;
    let status = h.store.status().await.expect("status");
    let netbird = &status.providers["netbird"];
    assert!(netbird.pending > 0, "{status:?}");
    assert_eq!(
        netbird.failed, 0,
        "a provider that is down is retried, not dropped"
    );
    assert!(
        netbird
            .last_error
            .as_ref()
            .is_some_and(|(_, e)| e.contains("503") || e.contains("maintenance")),
        "{status:?}"
    );
    let snapshot = h
        .sandbox
        .netbird
        .with_model(|m| roster_testkit::Model::snapshot(m))
        .expect("snapshot");
    assert!(
        !snapshot
            .users
            .iter()
            .any(|u| u.email.as_str() == "ada@example.com"),
        "{snapshot:?}"
    );

    // Back up: its operations land.
    h.sandbox.netbird.reset_requests().await;
    h.settle().await;
    let all = accounts(&h.sandbox).await;
    assert_eq!(
        all["netbird"]
            .iter()
            .filter(|(e, _)| e != "owner@example.com")
            .count(),
        2,
        "{all:?}"
    );
    assert_eq!(
        memberships_of(&h.sandbox, "ada@example.com").await["netbird"],
        ["alpha"]
    );
    assert!(h.store.status().await.expect("status").failed.is_empty());
}

#[tokio::test]
async fn one_persons_operations_apply_in_acceptance_order() {
    let h = Harness::start().await;
    let ada = h.create_user("ada@example.com", "Ada", "L").await;
    h.settle().await;
    h.sandbox.adverity.reset_requests().await;
    // Slow answers, so the changes queue up behind each other.
    h.sandbox
        .adverity
        .delay_responses(1000, Duration::from_millis(20), |_| true);
    for n in 1..=12 {
        let (status, _) = h.patch(&format!("/Users/{ada}"), json!([{"op": "replace", "path": "displayName", "value": format!("Ada Step{n:02}")}])).await;
        assert_eq!(status, 200);
    }
    h.settle().await;
    let sent: Vec<String> = h
        .sandbox
        .adverity
        .requests()
        .await
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .filter_map(|r| {
            let body = String::from_utf8_lossy(&r.body).into_owned();
            body.find("Step").map(|at| body[at..at + 6].to_owned())
        })
        .collect();
    assert!(!sent.is_empty());
    let mut sorted = sent.clone();
    sorted.sort();
    assert_eq!(
        sent, sorted,
        "the names reached Adverity in the order they were accepted"
    );
    assert_eq!(sent.last().map(String::as_str), Some("Step12"));
}

#[tokio::test]
async fn a_permanent_failure_waits_for_a_manual_retry() {
    let h = Harness::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(
            ResponseTemplate::new(422)
                .set_body_json(json!({"error": {"message": "refused by policy"}})),
        )
        .with_priority(1)
        .mount(h.sandbox.adverity.server())
        .await;
    h.create_user("ada@example.com", "Ada", "L").await;
    h.settle().await;
    let status = h.store.status().await.expect("status");
    assert_eq!(status.providers["adverity"].failed, 1, "{status:?}");
    assert_eq!(status.failed.len(), 1);
    let failed = status.failed[0].clone();
    assert_eq!(
        (failed.provider.as_str(), failed.kind.as_str()),
        ("adverity", "sync_user")
    );
    assert!(accounts(&h.sandbox).await["adverity"].is_empty());
    assert!(
        !h.store.retry(failed.id + 1000).await.expect("retry"),
        "no such failed row"
    );

    h.sandbox.adverity.reset_requests().await;
    assert!(h.store.retry(failed.id).await.expect("retry"));
    h.settle().await;
    assert_eq!(accounts(&h.sandbox).await["adverity"].len(), 1);
    let status = h.store.status().await.expect("status");
    assert_eq!(
        (
            status.providers["adverity"].failed,
            status.providers["adverity"].done
        ),
        (0, 1),
        "{status:?}"
    );
}

pub fn binary_config(sandbox: &Sandbox, store: &str) -> String {
    format!(
        r#"
[auth]
token_env = ["ROSTER_SCIM_TEST_TOKEN"]

[store]
url = "{store}"

[fleet.providers.iaas]
kind = "iaas"
url = "{iaas}"
token_env = "T_IAAS"

[fleet.providers.netbird]
kind = "netbird"
url = "{netbird}"
token_env = "T_NETBIRD"

[fleet.providers.adverity]
kind = "adverity"
url = "{adverity}"
token_env = "T_ADVERITY"
datalake_id = 1

[fleet.providers.astra]
kind = "astra"
url = "{astra}"
token_env = "T_ASTRA"

[fleet.providers.medium-one]
kind = "medium-one"
url = "{medium_one}"
login_env = "T_M1_LOGIN"
password_env = "T_M1_PASSWORD"
api_key_env = "T_M1_KEY"
{mapping}"#,
        iaas = sandbox.iaas.base_url(),
        netbird = sandbox.netbird.base_url(),
        adverity = sandbox.adverity.base_url(),
        astra = sandbox.astra.base_url(),
        medium_one = sandbox.medium_one.base_url(),
        mapping = harness::MAPPING.replacen("[server]", "[server]\nlisten = \"127.0.0.1:0\"", 1),
    )
}

/// Every emulator answers `by` late from now on.
pub fn slow_everything(sandbox: &Sandbox, by: Duration) {
    let all = |_: &wiremock::Request| true;
    sandbox.iaas.delay_responses(100_000, by, all);
    sandbox.netbird.delay_responses(100_000, by, all);
    sandbox.adverity.delay_responses(100_000, by, all);
    sandbox.astra.delay_responses(100_000, by, all);
    sandbox.medium_one.delay_responses(100_000, by, all);
}

pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn spawn(config: &std::path::Path, listen: &str) -> Child {
    use roster_testkit::{adverity, astra, iaas, medium_one, netbird};
    let text = std::fs::read_to_string(config).expect("config");
    std::fs::write(
        config,
        text.replace(
            "listen = \"127.0.0.1:0\"",
            &format!("listen = \"{listen}\""),
        ),
    )
    .expect("config");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_roster-scim"))
        .args(["serve", "--config"])
        .arg(config)
        .env("ROSTER_SCIM_TEST_TOKEN", harness::TOKEN)
        .env("T_IAAS", iaas::IAAS_TOKEN)
        .env("T_NETBIRD", netbird::NETBIRD_TOKEN)
        .env("T_ADVERITY", adverity::ADVERITY_TOKEN)
        .env("T_ASTRA", astra::ASTRA_TOKEN)
        .env("T_M1_LOGIN", medium_one::MEDIUMONE_LOGIN)
        .env("T_M1_PASSWORD", medium_one::MEDIUMONE_PASSWORD)
        .env("T_M1_KEY", medium_one::MEDIUMONE_API_KEY)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn roster-scim");
    Child(child)
}

#[tokio::test]
async fn sigkill_mid_fan_out_then_restart_converges_without_duplicates() {
    sigkill_mid_fan_out_then_restart(&harness::sqlite_url("crash"), None).await;
}

/// The binary is killed (SIGKILL) mid-fan-out and started again on the
/// same store: every operation is delivered, none twice. On SQLite the new
/// process takes up what was running at once (it owns the file); on
/// PostgreSQL the dead process's claims are taken over when their lease
/// lapses, so give a short `lease_secs` there.
pub async fn sigkill_mid_fan_out_then_restart(store_url: &str, lease_secs: Option<u64>) {
    let sandbox = Sandbox::start().await;
    // Every provider answers slowly, so the kill lands mid-fan-out.
    let slow = |_: &wiremock::Request| true;
    sandbox
        .iaas
        .delay_responses(10_000, Duration::from_millis(60), slow);
    sandbox
        .netbird
        .delay_responses(10_000, Duration::from_millis(60), slow);
    sandbox
        .adverity
        .delay_responses(10_000, Duration::from_millis(60), slow);
    sandbox
        .astra
        .delay_responses(10_000, Duration::from_millis(60), slow);
    sandbox
        .medium_one
        .delay_responses(10_000, Duration::from_millis(60), slow);
    let config_path = temp_dir("crash-config").join("roster-scim.toml");
    let mut config = binary_config(&sandbox, store_url);
    if let Some(secs) = lease_secs {
        let lease = format!("[workers]\nlease_secs = {secs}");
        config = config.replacen("[workers]", &lease, 1);
        assert!(config.contains(&lease), "the config has a [workers] table");
    }
    std::fs::write(&config_path, config).expect("write config");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let listen = format!("127.0.0.1:{port}");
    let base = format!("http://{listen}/scim/v2");
    let http = harness::http_client();

    let mut child = spawn(&config_path, &listen);
    wait_until(Duration::from_secs(60), || async {
        http.get(format!("http://{listen}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    let users = 8;
    let mut ids = Vec::new();
    for i in 0..users {
        let response = http
            .post(format!("{base}/Users"))
            .bearer_auth(harness::TOKEN)
            .body(okta_user(&format!("user{i}@example.com"), "User", &i.to_string()).to_string())
            .send()
            .await
            .expect("create");
        assert_eq!(response.status().as_u16(), 201);
        let body: serde_json::Value = response.json().await.expect("json");
        ids.push(json!({"value": body["id"]}));
    }
    let response = http
        .post(format!("{base}/Groups"))
        .bearer_auth(harness::TOKEN)
        .body(json!({"schemas": [GROUP], "displayName": "Engineering", "members": ids}).to_string())
        .send()
        .await
        .expect("group");
    assert_eq!(response.status().as_u16(), 201);

    // Kill it once some, not all, of the fan-out is delivered.
    let store = roster_scim::store::Store::open(store_url)
        .await
        .expect("store");
    wait_until(Duration::from_secs(60), || async {
        let status = store.status().await.expect("status");
        status.providers.values().map(|p| p.done).sum::<i64>() >= 5
    })
    .await;
    let before_kill = store.status().await.expect("status");
    let pending: i64 = before_kill.providers.values().map(|p| p.pending).sum();
    assert!(
        pending > 0,
        "the kill must land mid-fan-out: {before_kill:?}"
    );
    child.0.kill().expect("SIGKILL");
    let _ = child.0.wait();

    let _child = spawn(&config_path, &listen);
    wait_until(Duration::from_secs(120), || async {
        !store.has_pending().await.expect("store")
    })
    .await;
    let status = store.status().await.expect("status");
    assert!(status.failed.is_empty(), "{status:?}");
    let all = accounts(&sandbox).await;
    for (provider, list) in &all {
        let list: Vec<&(String, roster::UserStatus)> =
            list.iter().filter(|(e, _)| e.starts_with("user")).collect();
        let mut emails: Vec<&String> = list.iter().map(|(e, _)| e).collect();
        emails.dedup();
        assert_eq!(
            emails.len(),
            users,
            "{provider}: every person once: {list:?}"
        );
        assert_eq!(
            list.len(),
            users,
            "{provider}: no duplicate account: {list:?}"
        );
    }
    for i in 0..users {
        let m = memberships_of(&sandbox, &format!("user{i}@example.com")).await;
        for provider in ["adverity", "iaas", "medium-one", "netbird"] {
            assert_eq!(m[provider], ["alpha"], "user{i} on {provider}: {m:?}");
        }
    }
}

#[tokio::test]
async fn journal_retention_purges_only_delivered_operations() {
    let dir = temp_dir("retention");
    let store = roster_scim::Store::open(&format!("sqlite://{}", dir.join("s.db").display()))
        .await
        .expect("store");
    let mut tx = store.begin().await.expect("tx");
    for i in 0..3 {
        tx.enqueue(
            "iaas",
            &roster_scim::store::Operation::DeleteUser {
                user_id: format!("u{i}"),
            },
        )
        .await
        .expect("enqueue");
    }
    tx.commit().await.expect("commit");
    let rows = store.claim("me", 3, 60_000, &[]).await.expect("claim");
    assert_eq!(rows.len(), 3);
    assert!(store.finish(rows[0].id, "me", None).await.expect("finish"));
    assert!(store.fail(rows[1].id, "me", "refused").await.expect("fail"));
    let future = roster_scim::store::now_millis() + 1000;
    assert_eq!(
        store.purge(future).await.expect("purge"),
        1,
        "only the delivered row"
    );
    let left: Vec<String> = store
        .operations()
        .await
        .expect("ops")
        .into_iter()
        .map(|o| o.state)
        .collect();
    assert_eq!(left, ["failed", "running"]);
}

#[tokio::test]
async fn an_outcome_counts_only_from_the_claims_owner() {
    let dir = temp_dir("claim-owner");
    let store = roster_scim::Store::open(&format!("sqlite://{}", dir.join("s.db").display()))
        .await
        .expect("store");
    let mut tx = store.begin().await.expect("tx");
    tx.enqueue(
        "iaas",
        &roster_scim::store::Operation::DeleteUser {
            user_id: "u".into(),
        },
    )
    .await
    .expect("enqueue");
    tx.commit().await.expect("commit");
    // "old" claims with a lease that lapses at once; "new" takes it over.
    let old = store.claim("old", 1, -1, &[]).await.expect("claim");
    assert_eq!(old.len(), 1);
    let new = store.claim("new", 1, 60_000, &[]).await.expect("claim");
    assert_eq!(new.len(), 1, "the lapsed claim is taken over");
    let id = new[0].id;
    // The old owner's late outcomes change nothing, nor can it renew.
    assert!(!store.renew(id, "old", 60_000).await.expect("renew"));
    assert!(!store.fail(id, "old", "late").await.expect("fail"));
    assert!(
        !store
            .postpone(id, "old", "late", 0)
            .await
            .expect("postpone")
    );
    assert!(!store.finish(id, "old", None).await.expect("finish"));
    let state = |ops: Vec<roster_scim::store::OperationSummary>| ops[0].state.clone();
    assert_eq!(state(store.operations().await.expect("ops")), "running");
    // The owner's count.
    assert!(store.renew(id, "new", 60_000).await.expect("renew"));
    assert!(store.finish(id, "new", None).await.expect("finish"));
    assert_eq!(state(store.operations().await.expect("ops")), "done");
}
