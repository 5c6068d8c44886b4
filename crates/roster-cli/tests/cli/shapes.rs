//! Every JSON shape JSON.md documents, produced and checked: `version`,
//! `kind` and the keys always present.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::Stdio;

use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

use crate::support::{DESIRED, World};

/// The table of JSON.md: kind → keys always present.
fn documented() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/JSON.md")).unwrap();
    let mut shapes = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let kind = cells[1].trim_matches('`').to_owned();
        let keys = cells[3]
            .split(',')
            .map(|k| k.trim().trim_matches('`').to_owned())
            .collect();
        shapes.insert(kind, keys);
    }
    shapes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_shape_is_produced_with_its_keys() {
    let shapes = documented();
    assert!(shapes.len() >= 20, "{shapes:?}");
    let world = World::start().await;
    // A role on Adverity, which has none, makes a note.
    world.file(
        "desired-state.toml",
        &format!("{DESIRED}\n[providers.adverity]\n[[providers.adverity.users]]\nemail = \"gus@example.com\"\nrole = \"admin\"\n"),
    );
    world.file("leavers.txt", "bob@example.com\n");
    let key = crate::support::KEY;
    let runs: Vec<Vec<&str>> = vec![
        vec!["plan"],
        vec!["apply", "--auto-approve"],
        vec!["audit", "alice@example.com"],
        vec!["offboard", "alice@example.com", "--dry-run"],
        vec![
            "onboard",
            "hal@example.com",
            "--to",
            "iaas:beta",
            "--wireguard-key",
            key,
        ],
        vec![
            "move",
            "hal@example.com",
            "--provider",
            "iaas",
            "--from",
            "beta",
            "--to",
            "alpha",
            "--wireguard-key",
            key,
        ],
        vec!["whoami"],
        vec!["users", "list"],
        vec!["tenants", "list"],
        vec!["members", "list", "alpha"],
        vec!["import", "--out", "imported.json"],
        vec!["offboard", "--from-file", "leavers.txt", "--yes"],
        vec!["drift"],
    ];
    let mut objects = Vec::new();
    for args in &runs {
        let mut args = args.clone();
        args.extend(["-o", "json"]);
        let run = world.run(&args);
        assert!(run.code == 0 || run.code == 2, "{args:?}: {}", run.stderr);
        objects.extend(run.json());
    }
    // skipped and a failed apply: one provider down for the next runs.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(world.adverity.server())
        .await;
    let run = world.run(&["plan", "--skip-unreachable", "-o", "json"]);
    run.code(3);
    objects.extend(run.json());
    // The emulator's three shapes.
    let mut child = world
        .command(&["emulator", "iaas", "--write-config", "e.toml", "-o", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.take(3) {
        objects.push(serde_json::from_str(&line.unwrap()).unwrap());
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();

    let mut seen = BTreeSet::new();
    for object in &objects {
        assert_eq!(object["version"], 1, "{object}");
        let kind = object["kind"]
            .as_str()
            .unwrap_or_else(|| panic!("no kind: {object}"));
        let keys = shapes
            .get(kind)
            .unwrap_or_else(|| panic!("kind {kind:?} is not documented in JSON.md: {object}"));
        for key in keys {
            assert!(object.get(key).is_some(), "{kind} lacks {key}: {object}");
        }
        if let Some(change) = object.get("change").filter(|c| c.is_object()) {
            assert!(change["action"].is_string(), "{object}");
        }
        seen.insert(kind.to_owned());
    }
    let missing: Vec<&String> = shapes.keys().filter(|k| !seen.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "documented shapes no run produced: {missing:?}"
    );
}
