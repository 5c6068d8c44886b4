//! `roster-emulator`: serve a provider's stateful emulator on 127.0.0.1.
//!
//! ```text
//! cargo run -p roster-testkit --bin roster-emulator -- iaas --port 0
//! ```
//!
//! It prints the base URL on one line (with `--all`, one `provider URL`
//! line per provider), then serves until Ctrl-C or SIGTERM, writing its
//! state to `--dump FILE` on the way out when asked.

use std::io::Write;
use std::net::TcpListener;
use std::process::ExitCode;

use roster_testkit::server::{self, Credentials, Mode, Served, Snapshots};
use roster_testkit::snapshot;

const USAGE: &str = "\
usage: roster-emulator <PROVIDER | --all> [--port N] [--seed FILE] [--dump FILE]
                       [--faithful] [--token TOKEN]
                       [--login ID --password PW --api-key KEY]

  PROVIDER         one of: PROVIDERS
  --all            serve every provider, each on its own port
  --port N         the port (0, the default, picks a free one; with --all,
                   providers get N, N+1, ...)
  --seed FILE      preload users, tenants and memberships (JSON, or TOML if
                   FILE ends in .toml); with --all, a table per provider
  --dump FILE      write the state there on exit (same formats and shapes)
  --faithful       answer as a real server does beyond the docs: every
                   field the spec allows, unknown keys, and each model's
                   resident records (see each provider's faithful())
  --token TOKEN    the API token the token providers accept (default: the
                   testkit's test token for each)
  --login, --password, --api-key
                   the credentials Medium One accepts (default: the
                   testkit's test account)

Prints the base URL on one line (with --all: `PROVIDER URL` per line), then
serves until Ctrl-C or SIGTERM.";

#[derive(Debug, Default)]
struct Args {
    providers: Vec<String>,
    all: bool,
    port: u16,
    seed: Option<String>,
    dump: Option<String>,
    mode: Mode,
    credentials: Credentials,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--all" => parsed.all = true,
            "--port" => {
                let port = value("--port")?;
                parsed.port = port
                    .parse()
                    .map_err(|_| format!("--port {port:?} is not a port number"))?;
            }
            "--seed" => parsed.seed = Some(value("--seed")?),
            "--dump" => parsed.dump = Some(value("--dump")?),
            "--faithful" => parsed.mode = Mode::Faithful,
            "--token" => parsed.credentials.token = Some(value("--token")?),
            "--login" => parsed.credentials.login = Some(value("--login")?),
            "--password" => parsed.credentials.password = Some(value("--password")?),
            "--api-key" => parsed.credentials.api_key = Some(value("--api-key")?),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            provider => parsed.providers.push(provider.to_owned()),
        }
    }
    match (parsed.all, parsed.providers.len()) {
        (true, 0) => parsed.providers = server::providers().iter().map(|p| p.to_string()).collect(),
        (false, 1) => {
            let session = &parsed.credentials;
            let logs_in = parsed.providers[0] == "medium-one";
            if logs_in && session.token.is_some() {
                return Err(
                    "medium-one takes --login, --password and --api-key, not --token".into(),
                );
            }
            if !logs_in
                && (session.login.is_some()
                    || session.password.is_some()
                    || session.api_key.is_some())
            {
                return Err(format!(
                    "{} takes --token, not --login, --password or --api-key",
                    parsed.providers[0]
                ));
            }
        }
        (true, _) => return Err("give either --all or one provider, not both".into()),
        (false, 0) => return Err("name a provider, or give --all".into()),
        (false, _) => return Err("name one provider (or give --all)".into()),
    }
    Ok(parsed)
}

fn read_seeds(args: &Args) -> Result<Snapshots, String> {
    let Some(path) = &args.seed else {
        return Ok(Snapshots::new());
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
    if args.all {
        let seeds: Snapshots = if path.ends_with(".toml") {
            toml::from_str(&text).map_err(|e| format!("{path}: {e}"))?
        } else {
            serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?
        };
        if let Some(unknown) = seeds.keys().find(|p| !args.providers.contains(p)) {
            return Err(format!("{path}: no provider {unknown:?} is served"));
        }
        Ok(seeds)
    } else {
        let snapshot = snapshot::parse(&text, path)?;
        Ok(Snapshots::from([(args.providers[0].clone(), snapshot)]))
    }
}

fn write_dump(path: &str, all: bool, served: &[Box<dyn Served>]) -> Result<(), String> {
    let mut snapshots = Snapshots::new();
    for server in served {
        snapshots.insert(server.provider().to_owned(), server.snapshot()?);
    }
    let text = if all {
        if path.ends_with(".toml") {
            toml::to_string_pretty(&snapshots).map_err(|e| e.to_string())?
        } else {
            serde_json::to_string_pretty(&snapshots).map_err(|e| e.to_string())?
        }
    } else {
        let (_, only) = snapshots.pop_first().ok_or("nothing was served")?;
        snapshot::render(&only, path)?
    };
    std::fs::write(path, text).map_err(|e| format!("writing {path}: {e}"))
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are registered when this is
/// called, before the URL is printed, so a signal sent by a script the
/// moment it reads the URL is not missed.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("listening for SIGTERM: {e}"))?;
    let interrupt = tokio::signal::ctrl_c();
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = interrupt.await;
    })
}

/// Fails now, rather than after a whole session, if the dump cannot be
/// written.
fn check_dump_path(path: &str) -> Result<(), String> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map(drop)
        .map_err(|e| format!("--dump {path}: {e}"))
}

async fn run(args: Args) -> Result<(), String> {
    let seeds = read_seeds(&args)?;
    if let Some(path) = &args.dump {
        check_dump_path(path)?;
    }
    let stopped = shutdown_signal()?;
    let mut served = Vec::new();
    for (i, provider) in args.providers.iter().enumerate() {
        let port = if args.port == 0 {
            0
        } else {
            u16::try_from(i)
                .ok()
                .and_then(|i| args.port.checked_add(i))
                .ok_or_else(|| {
                    format!(
                        "--port {}: no room for {} ports",
                        args.port,
                        args.providers.len()
                    )
                })?
        };
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| format!("binding 127.0.0.1:{port}: {e}"))?;
        let server = server::serve_in(provider, listener, &args.credentials, args.mode).await?;
        if let Some(seed) = seeds.get(provider) {
            server
                .seed(seed)
                .map_err(|e| format!("seeding {provider}: {e}"))?;
        }
        served.push(server);
    }
    let mut out = std::io::stdout().lock();
    for server in &served {
        let line = if args.all {
            format!("{} {}", server.provider(), server.base_url())
        } else {
            server.base_url()
        };
        writeln!(out, "{line}").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    drop(out);

    stopped.await;
    if let Some(path) = &args.dump {
        write_dump(path, args.all, &served)?;
        eprintln!("roster-emulator: state written to {path}");
    }
    eprintln!("roster-emulator: stopped");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = USAGE.replace("PROVIDERS", &server::providers().join(", "));
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{usage}");
        return ExitCode::SUCCESS;
    }
    let args = match parse(&args) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("roster-emulator: {message}\n\n{usage}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("roster-emulator: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("roster-emulator: {message}");
            ExitCode::FAILURE
        }
    }
}
