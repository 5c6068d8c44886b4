//! `roster emulator`: the testkit's emulators as local servers, so every
//! command can be tried with no account anywhere.

use roster::Error;
use roster_testkit::server::{self, Credentials, Mode, ServeOptions};
use serde_json::json;

use crate::app::{App, Exit};
use crate::cli::EmulatorArgs;

/// `roster emulator`.
pub async fn run(app: &App, args: EmulatorArgs) -> roster::Result<Exit> {
    let mut options = ServeOptions {
        providers: args.provider.into_iter().collect(),
        all: args.all,
        port: args.port,
        seed: args.seed,
        dump: args.dump,
        mode: if args.faithful {
            Mode::Faithful
        } else {
            Mode::Plain
        },
        credentials: Credentials {
            token: args.token,
            login: args.login,
            password: args.password,
            api_key: args.api_key,
        },
    };
    let fail = |message: String| Error::invalid_input(format!("emulator: {message}"));
    options.check().map_err(fail)?;
    let stopped = server::shutdown_signal().map_err(fail)?;
    let served = server::start_all(&options).await.map_err(fail)?;
    let vars = server::credential_env(&served, &options.credentials);
    if let Some(path) = &args.write_config {
        std::fs::write(path, server::fleet_config(&served))
            .map_err(|e| Error::invalid_input(format!("writing {}: {e}", path.display())))?;
    }
    let out = app.out();
    if out.is_json() {
        for s in &served {
            out.object(
                "emulator",
                json!({"provider": s.provider(), "url": s.base_url()}),
            );
        }
        // Published test credentials: printing them is the point.
        for (name, value) in &vars {
            out.object("env", json!({"name": name, "value": value}));
        }
        if let Some(path) = &args.write_config {
            out.object("config", json!({"file": path.display().to_string()}));
        }
    } else {
        for s in &served {
            out.line(format!("{:<11} {}", s.provider(), s.base_url()));
        }
        out.line("");
        out.line("# The emulators' test credentials; paste into another terminal:");
        for (name, value) in &vars {
            out.line(format!("export {name}='{value}'"));
        }
        match &args.write_config {
            Some(path) => out.line(format!(
                "export ROSTER_CONFIG='{}'\n# then: roster whoami",
                std::path::absolute(path)
                    .unwrap_or_else(|_| path.clone())
                    .display()
            )),
            None => out.line("# Add --write-config roster.toml for a config pointing here."),
        }
    }
    app.note("Serving until Ctrl-C.");
    stopped.await;
    if let Some(path) = &options.dump {
        server::write_dump(path, options.all, &served).map_err(fail)?;
        app.note(format!("State written to {path}."));
    }
    Ok(Exit::Success)
}
