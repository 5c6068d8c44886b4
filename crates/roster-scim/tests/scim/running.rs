//! Running the binary: HTTPS from certificate files, a graceful stop on
//! SIGTERM, and the status and retry commands.

use std::time::Duration;

use roster_examples::Sandbox;
use serde_json::json;

use crate::harness::{self, TOKEN, okta_user, temp_dir, wait_until};
use crate::recovery::{binary_config, slow_everything, spawn};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test]
async fn serves_https_from_certificate_files() {
    let sandbox = Sandbox::start().await;
    let dir = temp_dir("tls");
    let store_url = format!("sqlite://{}", dir.join("scim.db").display());
    let mut config = harness::config(&store_url);
    config.server.tls_cert = Some(fixture("localhost.pem").into());
    config.server.tls_key = Some(fixture("localhost.key").into());
    let mut tokens = roster_scim::auth::Tokens::default();
    tokens.add(TOKEN);
    let running = roster_scim::Server::new(config)
        .with_fleet(sandbox.fleet(&roster::layers::Stack::none()))
        .with_tokens(tokens)
        .with_listener(std::net::TcpListener::bind("127.0.0.1:0").expect("bind"))
        .start()
        .await
        .expect("starts with TLS");
    let port = running.local_addr().port();
    roster_http::install_crypto_provider();
    let cert = reqwest::Certificate::from_pem(&std::fs::read(fixture("ca.pem")).expect("pem"))
        .expect("cert");
    let https = reqwest::Client::builder()
        .add_root_certificate(cert)
        .build()
        .expect("client");
    let response = https
        .post(format!("https://localhost:{port}/scim/v2/Users"))
        .bearer_auth(TOKEN)
        .body(okta_user("ada@example.com", "Ada", "L").to_string())
        .send()
        .await
        .expect("HTTPS request");
    assert_eq!(response.status().as_u16(), 201);
    let body: serde_json::Value = response.json().await.expect("json");
    assert!(
        body["meta"]["location"]
            .as_str()
            .expect("location")
            .starts_with("https://localhost:"),
        "{body}"
    );
    // Plain HTTP to the TLS port gets no SCIM answer.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));
    running.shutdown().await;
}

#[tokio::test]
async fn sigterm_stops_accepting_and_finishes_the_claimed_operations() {
    let sandbox = Sandbox::start().await;
    slow_everything(&sandbox, Duration::from_millis(80));
    let dir = temp_dir("term");
    let store_url = format!("sqlite://{}", dir.join("scim.db").display());
    let config_path = dir.join("roster-scim.toml");
    std::fs::write(&config_path, binary_config(&sandbox, &store_url)).expect("config");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = spawn(&config_path, &listen);
    let http = harness::http_client();
    wait_until(Duration::from_secs(60), || async {
        http.get(format!("http://{listen}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    for i in 0..6 {
        let response = http
            .post(format!("http://{listen}/scim/v2/Users"))
            .bearer_auth(TOKEN)
            .body(okta_user(&format!("t{i}@example.com"), "T", "T").to_string())
            .send()
            .await
            .expect("create");
        assert_eq!(response.status().as_u16(), 201);
    }
    let store = roster_scim::Store::open(&store_url).await.expect("store");
    wait_until(Duration::from_secs(60), || async {
        store
            .operations()
            .await
            .expect("ops")
            .iter()
            .any(|o| o.state == "running")
    })
    .await;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let running_then: Vec<i64> = store
        .operations()
        .await
        .expect("ops")
        .iter()
        .filter(|o| o.state == "running")
        .map(|o| o.id)
        .collect();
    let exit = tokio::task::spawn_blocking(move || {
        let code = child.0.wait().expect("wait");
        (code, child)
    })
    .await
    .expect("join");
    assert!(exit.0.success(), "a clean exit on SIGTERM: {:?}", exit.0);
    let after = store.operations().await.expect("ops");
    assert!(
        after.iter().all(|o| o.state != "running"),
        "nothing left claimed: {after:?}"
    );
    for id in running_then {
        let op = after.iter().find(|o| o.id == id).expect("row");
        assert_eq!(
            op.state, "done",
            "claimed operation {id} was finished: {op:?}"
        );
    }
    assert!(
        http.get(format!("http://{listen}/healthz"))
            .send()
            .await
            .is_err(),
        "no longer accepting"
    );
    assert!(
        after.iter().any(|o| o.state == "pending"),
        "the rest waits for the next start: {after:?}"
    );

    // The status and retry commands read the same store.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_roster-scim"))
        .args(["status", "-o", "json", "--config"])
        .arg(&config_path)
        .output()
        .expect("status");
    assert!(output.status.success(), "{output:?}");
    let status: serde_json::Value = serde_json::from_slice(&output.stdout).expect("status json");
    assert!(
        status["providers"]["iaas"]["pending"]
            .as_i64()
            .expect("pending")
            + status["providers"]["iaas"]["done"].as_i64().expect("done")
            == 6,
        "{status}"
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_roster-scim"))
        .args(["retry", "--config"])
        .arg(&config_path)
        .arg("999999")
        .output()
        .expect("retry");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("no failed operation 999999"), "{text}");
    let _ = json!(null);
}

#[tokio::test]
async fn hash_token_prints_the_digest_config_takes() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_roster-scim"))
        .arg("hash-token")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"s3cret\n")
        .expect("write");
    let output = child.wait_with_output().expect("output");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        roster_scim::auth::hash_token("s3cret")
    );
}
