//! Starting the emulators, writing a config for them, and running the
//! built binary with its whole output checked for secrets.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use roster_testkit::adverity::{ADVERITY_TOKEN, AdverityModel};
use roster_testkit::astra::{ASTRA_TOKEN, AstraModel};
use roster_testkit::iaas::{IAAS_TOKEN, IaasModel};
use roster_testkit::medium_one::{
    MEDIUMONE_API_KEY, MEDIUMONE_LOGIN, MEDIUMONE_PASSWORD, MediumOneModel,
};
use roster_testkit::netbird::{NETBIRD_TOKEN, NetbirdModel};
use roster_testkit::{Emulator, Model};

/// A WireGuard public key for IaaS memberships.
pub const KEY: &str = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

/// The five emulators and a working directory holding `roster.toml`.
pub struct World {
    pub iaas: Emulator<IaasModel>,
    pub netbird: Emulator<NetbirdModel>,
    pub adverity: Emulator<AdverityModel>,
    pub astra: Emulator<AstraModel>,
    pub medium_one: Emulator<MediumOneModel>,
    pub dir: PathBuf,
    env: Vec<(String, String)>,
    /// Extra lines of the `medium-one` section (its `mode`).
    medium_one_extra: String,
}

/// What one run of the binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout lines as JSON objects (each must parse).
    pub fn json(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}\n{}", self.stderr))
            })
            .collect()
    }

    /// The JSON objects of one kind.
    pub fn kind(&self, kind: &str) -> Vec<serde_json::Value> {
        self.json()
            .into_iter()
            .filter(|v| v["kind"] == kind)
            .collect()
    }

    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

static DIRS: AtomicUsize = AtomicUsize::new(0);

fn fresh_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "roster-cli-test-{}-{}",
        std::process::id(),
        DIRS.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl World {
    /// Every emulator, with the tenants `alpha` and `beta` where tenants
    /// can be made, and a config naming each provider after its kind.
    pub async fn start() -> World {
        Self::start_with(NetbirdModel::default()).await
    }

    /// Like [`World::start`], with this NetBird model.
    pub async fn start_with(netbird: NetbirdModel) -> World {
        let seeded = |model: &mut dyn Model| {
            let state = roster::state::DirectoryState {
                tenants: ["alpha", "beta"]
                    .map(|name| roster::state::TenantState { name: name.into() })
                    .to_vec(),
                ..Default::default()
            };
            model.seed(&state).unwrap();
        };
        let world = World {
            iaas: Emulator::start(IaasModel::default()).await,
            netbird: Emulator::start(netbird).await,
            adverity: Emulator::start(AdverityModel::default()).await,
            astra: Emulator::start(AstraModel::default()).await,
            medium_one: Emulator::start(MediumOneModel::default()).await,
            dir: fresh_dir(),
            env: vec![
                ("ROSTER_IAAS_TOKEN".into(), IAAS_TOKEN.into()),
                ("ROSTER_NETBIRD_TOKEN".into(), NETBIRD_TOKEN.into()),
                ("ROSTER_ADVERITY_TOKEN".into(), ADVERITY_TOKEN.into()),
                ("ROSTER_ASTRA_TOKEN".into(), ASTRA_TOKEN.into()),
                ("ROSTER_MEDIUMONE_LOGIN".into(), MEDIUMONE_LOGIN.into()),
                (
                    "ROSTER_MEDIUMONE_PASSWORD".into(),
                    MEDIUMONE_PASSWORD.into(),
                ),
                ("ROSTER_MEDIUMONE_API_KEY".into(), MEDIUMONE_API_KEY.into()),
            ],
            medium_one_extra: String::new(),
        };
        world.iaas.with_model(|m| seeded(m));
        world.netbird.with_model(|m| seeded(m));
        world.adverity.with_model(|m| seeded(m));
        world.medium_one.with_model(|m| seeded(m));
        world.write_config("");
        world
    }

    /// Rewrites `roster.toml` for the five emulators, plus `extra` TOML.
    pub fn write_config(&self, extra: &str) {
        let one = |name: &str, body: String| {
            format!("[providers.{name}]\n{body}\n[providers.{name}.layers]\nmax_attempts = 1\n\n")
        };
        let mut text = String::new();
        text += &one(
            "iaas",
            format!(
                "kind = \"iaas\"\nurl = \"{}\"\ntoken_env = \"ROSTER_IAAS_TOKEN\"\n",
                self.iaas.base_url()
            ),
        );
        text += &one(
            "netbird",
            format!(
                "kind = \"netbird\"\nurl = \"{}\"\ntoken_env = \"ROSTER_NETBIRD_TOKEN\"\n",
                self.netbird.base_url()
            ),
        );
        text += &one(
            "adverity",
            format!(
                "kind = \"adverity\"\nurl = \"{}\"\ntoken_env = \"ROSTER_ADVERITY_TOKEN\"\ndatalake_id = 1\n",
                self.adverity.base_url()
            ),
        );
        text += &one(
            "astra",
            format!(
                "kind = \"astra\"\nurl = \"{}\"\ntoken_env = \"ROSTER_ASTRA_TOKEN\"\n",
                self.astra.base_url()
            ),
        );
        text += &one(
            "medium-one",
            format!(
                "kind = \"medium-one\"\nurl = \"{}\"\nlogin_env = \"ROSTER_MEDIUMONE_LOGIN\"\n\
                 password_env = \"ROSTER_MEDIUMONE_PASSWORD\"\napi_key_env = \"ROSTER_MEDIUMONE_API_KEY\"\n{}",
                self.medium_one.base_url(),
                self.medium_one_extra
            ),
        );
        text += extra;
        std::fs::write(self.dir.join("roster.toml"), text).unwrap();
    }

    /// Medium One with tenant-admin credentials (`mode = "ta"`): of users
    /// and tenants they may list only tenants. Rewrites `roster.toml`.
    pub fn medium_one_as_tenant_admin(&mut self) {
        const LOGIN: &str = "tenant-admin@example.com";
        let tenant = self.medium_one.with_model(|m| {
            let tenant = m.add_tenant("administered");
            m.add_tenant_admin(LOGIN, MEDIUMONE_PASSWORD, tenant);
            tenant
        });
        for (name, value) in &mut self.env {
            if name == "ROSTER_MEDIUMONE_LOGIN" {
                *value = LOGIN.into();
            }
        }
        self.medium_one_extra = format!("mode = \"ta\"\ntenant_id = \"{tenant}\"\n");
        self.write_config("");
    }

    /// Writes a file in the working directory.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Reads a file of the working directory.
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap()
    }

    /// Every secret the run could leak: the credentials and the sessions
    /// the emulators handed out.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets: Vec<String> = self
            .env
            .iter()
            .filter(|(name, _)| !name.ends_with("LOGIN"))
            .map(|(_, value)| value.clone())
            .collect();
        secrets.extend(self.medium_one.with_model(|m| m.issued_secrets()));
        secrets.extend(self.iaas.with_model(|m| m.issued_secrets()));
        secrets.extend(self.netbird.with_model(|m| m.issued_secrets()));
        secrets
    }

    /// A command for the binary in the working directory, with the
    /// credentials in its environment and no log settings inherited.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_roster"));
        command
            .args(args)
            .current_dir(&self.dir)
            .env_remove("RUST_LOG")
            .env_remove("ROSTER_CONFIG")
            .env_remove("ROSTER_DESIRED")
            .stdin(Stdio::null());
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Runs the binary, checking its whole output for secrets.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(self.command(args))
    }

    /// Runs a prepared command, checking its whole output for secrets.
    pub fn run_with(&self, mut command: Command) -> Run {
        let output: Output = command.output().expect("the roster binary runs");
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        self.assert_no_secret(&run);
        run
    }

    /// No secret anywhere in what the binary printed, nor a Debug dump.
    #[track_caller]
    pub fn assert_no_secret(&self, run: &Run) {
        for secret in self.secrets() {
            assert!(
                !run.stdout.contains(&secret) && !run.stderr.contains(&secret),
                "a secret reached the output:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
        assert!(
            !run.stderr.contains("Error {") && !run.stderr.contains("kind: "),
            "a Debug dump reached stderr: {}",
            run.stderr
        );
    }

    /// The path of a file in the working directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// A spawned binary that is killed when dropped, so a failed assertion
/// leaves no process behind.
pub struct Spawned(pub Child);

impl Spawned {
    /// Interrupts it (Ctrl-C) and waits for it to exit.
    pub fn interrupt(mut self) -> ExitStatus {
        Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status()
            .unwrap();
        self.0.wait().unwrap()
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // Already exited (after `interrupt`): both calls fail harmlessly.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Masks what differs from run to run (ports, generated ids,
/// fingerprints) so that output can be snapshotted.
pub fn normalize(text: &str) -> String {
    let rules = [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"),
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "UUID",
        ),
        (
            r#""fingerprint":"[0-9a-f]{16}""#,
            r#""fingerprint":"FINGERPRINT""#,
        ),
        (r"/tmp/[^ \n]*", "TMP"),
    ];
    let mut text = text.to_owned();
    for (pattern, replacement) in rules {
        text = regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&text, replacement)
            .into_owned();
    }
    text
}

/// The desired state most tests plan: alice and bob on IaaS (alice in
/// alpha) and on NetBird (in a group `devs`).
pub const DESIRED: &str = r#"
[providers.iaas]
[[providers.iaas.users]]
email = "alice@example.com"
role = "admin"
[[providers.iaas.users]]
email = "bob@example.com"
[[providers.iaas.tenants]]
name = "alpha"
[[providers.iaas.memberships]]
tenant = "alpha"
user = "alice@example.com"
wireguard_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="

[providers.netbird]
[[providers.netbird.users]]
email = "alice@example.com"
[[providers.netbird.users]]
email = "bob@example.com"
[[providers.netbird.tenants]]
name = "devs"
[[providers.netbird.memberships]]
tenant = "devs"
user = "alice@example.com"
"#;
