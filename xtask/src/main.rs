//! Project automation, run as `cargo xtask <command>` (an alias in
//! `.cargo/config.toml`).
//!
//! - `cargo xtask codegen` generates each provider's HTTP client from its
//!   OpenAPI spec with progenitor 0.15 (see [`codegen`] for the pipeline,
//!   [`downconvert`] for the 3.1 to 3.0 rewrite, [`transform`] for our
//!   deliberate transforms, [`providers`] for the table of providers).
//! - `cargo xtask codegen --check` fails if a generated file is stale or
//!   missing, writing nothing.
//! - `cargo xtask fetch-spec <provider> --url <URL> [--token-env VAR]
//!   [--allow-http]` downloads a live server's spec into
//!   `specs/<provider>/openapi.json` ([`fetch`]).
//! - `cargo xtask external-types` lists the outside crates whose types the
//!   public API exposes and fails on one that is not allowed
//!   ([`external_types`]).
//!
//! Paths are relative to the workspace root, found from this crate's
//! `CARGO_MANIFEST_DIR`, not from the current directory.

mod codegen;
mod downconvert;
mod error;
mod external_types;
mod fetch;
mod generate;
mod providers;
#[cfg(test)]
mod testutil;
mod transform;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use error::{Context, Error, Result};

const USAGE: &str = "\
usage:
  cargo xtask codegen [--check] [--only NAME]
      Generate every provider's client from its spec (see xtask/src/providers.rs).
      --check: write nothing; fail if a generated file is stale or missing.
      --only NAME: just the provider whose spec is under specs/NAME/.
  cargo xtask fetch-spec <provider> --url <URL> [--token-env VAR] [--allow-http]
      Download a live server's OpenAPI document to specs/<provider>/openapi.json.
      --token-env VAR: send `Authorization: Bearer $VAR`.
      --allow-http: allow plain http:// to a host that is not loopback.
  cargo xtask external-types
      List the outside crates the public API exposes; fail on one not allowed
      (the list is in xtask/src/external_types.rs).";

/// Where commands read and write, and how they see the environment.
pub struct Ctx<'a> {
    /// The workspace root: specs and generated files are relative to it.
    pub root: PathBuf,
    /// Where fetch-spec writes `<provider>/openapi.json` (`<root>/specs`).
    pub specs_dir: PathBuf,
    /// Environment variable lookup.
    pub env: &'a dyn Fn(&str) -> Option<OsString>,
}

/// The workspace root: the parent of this crate's directory.
pub fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Runs one command line (without the program name).
pub fn run(args: &[String], ctx: &Ctx<'_>, out: &mut dyn Write) -> Result<()> {
    let Some((command, rest)) = args.split_first() else {
        return Err(Error::msg(format!("no command given\n\n{USAGE}")));
    };
    match command.as_str() {
        "codegen" => {
            let (check, only) = parse_codegen_args(rest)?;
            let selected: Vec<providers::Provider> = match &only {
                None => providers::PROVIDERS.to_vec(),
                Some(name) => {
                    let dir = format!("specs/{name}/");
                    let found: Vec<_> = providers::PROVIDERS
                        .iter()
                        .filter(|p| p.spec.starts_with(&dir))
                        .copied()
                        .collect();
                    if found.is_empty() {
                        return Err(Error::msg(format!(
                            "no provider has its spec under {dir}\n\n{USAGE}"
                        )));
                    }
                    found
                }
            };
            codegen::codegen(&ctx.root, &selected, check, out)
        }
        "fetch-spec" => {
            let fetch_args =
                fetch::FetchArgs::parse(rest).map_err(|e| Error::msg(format!("{e}\n\n{USAGE}")))?;
            fetch::fetch_spec(&fetch_args, &ctx.specs_dir, ctx.env, out)
        }
        "external-types" if rest.is_empty() => external_types::check(&ctx.root, out),
        "help" | "-h" | "--help" => {
            writeln!(out, "{USAGE}").context(|| "writing to stdout".to_owned())
        }
        other => Err(Error::msg(format!("unknown command {other:?}\n\n{USAGE}"))),
    }
}

/// `[--check] [--only NAME]`, in any order.
fn parse_codegen_args(args: &[String]) -> Result<(bool, Option<String>)> {
    let mut check = false;
    let mut only = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" if !check => check = true,
            "--only" if only.is_none() => match args.next() {
                Some(name) if !name.starts_with('-') => only = Some(name.clone()),
                _ => return Err(Error::msg(format!("--only needs a name\n\n{USAGE}"))),
            },
            _ => {
                return Err(Error::msg(format!(
                    "codegen takes only --check and --only NAME\n\n{USAGE}"
                )));
            }
        }
    }
    Ok((check, only))
}

fn main() -> ExitCode {
    let args: Result<Vec<String>> = std::env::args_os()
        .skip(1)
        .map(|arg| {
            arg.into_string()
                .map_err(|arg| Error::msg(format!("argument {arg:?} is not valid UTF-8")))
        })
        .collect();
    let root = repo_root();
    let env = |name: &str| std::env::var_os(name);
    let ctx = Ctx {
        specs_dir: root.join("specs"),
        root,
        env: &env,
    };
    match args.and_then(|args| run(&args, &ctx, &mut std::io::stdout().lock())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{TempDir, serve_once};

    fn call(args: &[&str], ctx: &Ctx<'_>) -> (Result<()>, String) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut out = Vec::new();
        let result = run(&args, ctx, &mut out);
        (result, String::from_utf8(out).unwrap())
    }

    #[test]
    fn the_root_is_the_workspace() {
        let root = repo_root();
        assert!(root.join("Cargo.toml").is_file());
        assert!(root.join("xtask/Cargo.toml").is_file());
    }

    #[test]
    fn usage_errors() {
        let env = |_: &str| None;
        let ctx = Ctx {
            root: repo_root(),
            specs_dir: repo_root().join("specs"),
            env: &env,
        };
        let (result, out) = call(&["help"], &ctx);
        result.unwrap();
        assert!(out.contains("cargo xtask fetch-spec"));
        for (args, message) in [
            (&[][..], "no command given"),
            (&["build"][..], "unknown command \"build\""),
            (&["codegen", "--write"][..], "codegen takes only --check"),
            (&["codegen", "--only"][..], "--only needs a name"),
            (
                &["codegen", "--only", "nope"][..],
                "no provider has its spec under specs/nope/",
            ),
            (&["fetch-spec"][..], "needs a provider name"),
        ] {
            let err = call(args, &ctx).0.unwrap_err().to_string();
            assert!(err.contains(message), "{args:?}: {err}");
            assert!(err.contains("usage:"), "{err}");
        }
    }

    #[test]
    fn fetch_spec_through_run_writes_into_the_injected_specs_dir() {
        let server = serve_once("200 OK", r#"{"openapi": "3.1.0", "info": {}}"#);
        let tmp = TempDir::new();
        let env = |name: &str| (name == "TOK").then(|| OsString::from("abc"));
        let ctx = Ctx {
            root: tmp.path().to_path_buf(),
            specs_dir: tmp.path().join("specs"),
            env: &env,
        };
        let url = format!("{}/api/openapi.json", server.base_url);
        let (result, _) = call(
            &["fetch-spec", "demo", "--url", &url, "--token-env", "TOK"],
            &ctx,
        );
        result.unwrap();
        assert!(
            server
                .request()
                .to_ascii_lowercase()
                .contains("authorization: bearer abc\r\n")
        );
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("specs/demo/openapi.json")).unwrap(),
            "{\n  \"info\": {},\n  \"openapi\": \"3.1.0\"\n}\n"
        );
    }
}
