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
use std::process::ExitCode;

use roster_testkit::server::{self, Mode, ServeOptions};

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

fn parse(args: &[String]) -> Result<ServeOptions, String> {
    let mut parsed = ServeOptions::default();
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
    parsed.check()?;
    Ok(parsed)
}

async fn run(args: ServeOptions) -> Result<(), String> {
    let stopped = server::shutdown_signal()?;
    let served = server::start_all(&args).await?;
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
        server::write_dump(path, args.all, &served)?;
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
