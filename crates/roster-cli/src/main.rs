//! `roster`: plan, apply, audit, onboard and offboard people across every
//! provider of a fleet, from the command line.
//!
//! Data goes to stdout (a table, or one JSON object per line with
//! `-o json`; the shapes are in `JSON.md`), logs and errors to stderr.
//! Exit codes: 0 success, 1 error (usage errors too), 2 changes or drift
//! present, 3 partial failure (some providers failed; it takes precedence
//! over 2).

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

mod app;
mod cli;
mod commands;
mod output;

use app::{App, Exit};
use cli::{Cli, Command};

fn main() -> ExitCode {
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|matches| Ok((Cli::from_arg_matches(&matches)?, matches)));
    let cli = match parsed {
        Ok((mut cli, matches)) => {
            if let Command::Apply(args) = &mut cli.command {
                args.desired_on_command_line = matches
                    .subcommand_matches("apply")
                    .and_then(|m| m.value_source("desired"))
                    == Some(clap::parser::ValueSource::CommandLine);
            }
            cli
        }
        Err(e) => {
            // --help and --version are not errors; every usage error exits 1
            // (clap's own default is 2, which here means "changes present").
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    app::init_logging(cli.global.verbose, cli.global.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("roster: error: starting the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    if let Command::Scim(command) = cli.command {
        // The SCIM service reads its own config file (which holds its
        // fleet), so it takes the global flags as they are.
        let globals = roster_scim::cli::Globals {
            config: cli.global.config,
            json: cli.global.output == cli::Format::Json,
        };
        return runtime.block_on(roster_scim::cli::run(command, &globals));
    }
    let app = App::new(cli.global);
    let result = runtime.block_on(run(&app, cli.command));
    let exit = match result {
        Ok(exit) => exit,
        Err(e) => {
            eprintln!("roster: error: {}", app.explain(&e));
            Exit::Error
        }
    };
    ExitCode::from(exit as u8)
}

async fn run(app: &App, command: Command) -> roster::Result<Exit> {
    match command {
        Command::Plan(args) => commands::plan::run(app, args).await,
        Command::Apply(args) => commands::apply::run(app, args).await,
        Command::Drift(args) => commands::plan::drift(app, args).await,
        Command::Audit(args) => commands::people::audit(app, args).await,
        Command::Offboard(args) => commands::people::offboard(app, args).await,
        Command::Onboard(args) => commands::people::onboard(app, args).await,
        Command::Move(args) => commands::people::move_user(app, args).await,
        Command::Whoami(args) => commands::lists::whoami(app, args).await,
        Command::Users(cli::UsersCommand::List(args)) => commands::lists::users(app, args).await,
        Command::Tenants(cli::TenantsCommand::List(args)) => {
            commands::lists::tenants(app, args).await
        }
        Command::Members(cli::MembersCommand::List(args)) => {
            commands::lists::members(app, args).await
        }
        Command::Import(args) => commands::lists::import(app, args).await,
        Command::Emulator(args) => commands::emulator::run(app, args).await,
        Command::Scim(_) => unreachable!("main runs the scim commands itself"),
        Command::Completions(args) => {
            use clap::CommandFactory;
            if app.json() {
                return Err(roster::Error::invalid_input(
                    "completions writes a shell script; -o json does not apply to it",
                ));
            }
            clap_complete::generate(
                args.shell,
                &mut Cli::command(),
                "roster",
                &mut std::io::stdout(),
            );
            Ok(Exit::Success)
        }
    }
}
