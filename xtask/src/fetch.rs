//! `cargo xtask fetch-spec <provider> --url <URL> [--token-env VAR] [--allow-http]`:
//! downloads a live server's OpenAPI document into
//! `specs/<provider>/openapi.json`.
//!
//! - With `--token-env VAR` the request carries `Authorization: Bearer
//!   <$VAR>`. The token is never printed: not in errors, not in logs.
//! - A plain `http://` URL is refused unless its host is loopback
//!   (`127.0.0.0/8`, `::1`, `localhost`) or `--allow-http` is given; the same
//!   rule applies to every redirect. (reqwest itself drops `Authorization` on
//!   a redirect to another host.)
//! - Any non-2xx answer is an error showing the status.
//! - The file is written in a stable form, identical to Python's
//!   `json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"`:
//!   keys sorted, two-space indent, trailing newline. Re-fetching an
//!   unchanged document gives the same bytes, so diffs show real changes.

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use serde_json::{Map, Value};

use crate::error::{Context, Error, Result, bail};

/// The parsed command line of `fetch-spec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchArgs {
    /// Directory name under `specs/`.
    pub provider: String,
    /// The document's URL.
    pub url: String,
    /// Name of the environment variable holding the bearer token.
    pub token_env: Option<String>,
    /// Allow plain `http://` to a non-loopback host.
    pub allow_http: bool,
}

impl FetchArgs {
    /// Parses the arguments after `fetch-spec`.
    pub fn parse(args: &[String]) -> Result<Self> {
        let mut provider = None;
        let mut url = None;
        let mut token_env = None;
        let mut allow_http = false;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
                _ => (arg.as_str(), None),
            };
            let mut value = |slot: &mut Option<String>| -> Result<()> {
                if slot.is_some() {
                    bail!("{flag} given twice");
                }
                let v = match inline.clone() {
                    Some(v) => v,
                    None => args
                        .next()
                        .cloned()
                        .ok_or_else(|| Error::msg(format!("{flag} needs a value")))?,
                };
                *slot = Some(v);
                Ok(())
            };
            match flag {
                "--url" => value(&mut url)?,
                "--token-env" => value(&mut token_env)?,
                "--allow-http" if inline.is_none() => allow_http = true,
                _ if flag.starts_with('-') => bail!("unknown option {arg:?} for fetch-spec"),
                _ if provider.is_none() => provider = Some(arg.clone()),
                _ => bail!("unexpected argument {arg:?}: fetch-spec takes one provider"),
            }
        }
        let provider = provider.ok_or_else(|| Error::msg("fetch-spec needs a provider name"))?;
        validate_provider(&provider)?;
        Ok(FetchArgs {
            provider,
            url: url.ok_or_else(|| Error::msg("fetch-spec needs --url <URL>"))?,
            token_env,
            allow_http,
        })
    }
}

/// A provider name is one path component: letters, digits, `-`, `_`, `.`.
fn validate_provider(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        bail!("invalid provider name {name:?}: use letters, digits, '-', '_' and '.'");
    }
    Ok(())
}

/// `127.0.0.0/8`, `::1` (also as `::ffff:127.x.y.z`) and `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => {
            let host = host.strip_suffix('.').unwrap_or(host);
            host.eq_ignore_ascii_case("localhost")
        }
    }
}

/// `https://` always; `http://` only to loopback or with `--allow-http`.
pub fn check_url(url: &Url, allow_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_http || is_loopback(url) => Ok(()),
        "http" => bail!(
            "refusing plain http:// to {}: the spec (and the token) would cross the network \
             unencrypted; use https://, or pass --allow-http",
            url.host_str().unwrap_or("?")
        ),
        other => bail!("unsupported URL scheme {other:?}: use https://"),
    }
}

/// The URL as shown in messages: without a password.
fn shown(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_password(None);
    url.to_string()
}

/// An error and its sources, `a: b: c`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let more = e.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = e.source();
    }
    text
}

/// GETs `url` and returns the body of a 2xx answer.
fn http_get(url: &Url, token: Option<&str>, allow_http: bool) -> Result<Vec<u8>> {
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 10 {
            return attempt.error(Error::msg("too many redirects"));
        }
        match check_url(attempt.url(), allow_http) {
            Ok(()) => attempt.follow(),
            Err(e) => {
                let message = format!("redirect to {}: {e}", shown(attempt.url()));
                attempt.error(Error::msg(message))
            }
        }
    });
    // reqwest is built with `rustls-no-provider`: install ring (kept if one is set).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::blocking::Client::builder()
        .redirect(policy)
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("roster-xtask/", env!("CARGO_PKG_VERSION")));
    if is_loopback(url) {
        // A proxy cannot reach this machine's loopback.
        builder = builder.no_proxy();
    }
    let client = builder
        .build()
        .map_err(|e| Error::msg(format!("building the HTTP client: {}", chain(&e))))?;

    let mut request = client.get(url.clone()).header(ACCEPT, "application/json");
    if let Some(token) = token {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            Error::msg("the token contains characters that are not allowed in an HTTP header")
        })?;
        value.set_sensitive(true);
        request = request.header(AUTHORIZATION, value);
    }
    let response = request
        .send()
        .map_err(|e| Error::msg(format!("GET {} failed: {}", shown(url), chain(&e))))?;
    let status = response.status();
    if !status.is_success() {
        bail!("GET {} answered {status}", shown(url));
    }
    let body = response.bytes().map_err(|e| {
        Error::msg(format!(
            "reading the answer of GET {}: {}",
            shown(url),
            chain(&e)
        ))
    })?;
    Ok(body.to_vec())
}

/// `value` with every object's keys in sorted order (whatever map type
/// serde_json was built with).
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let mut out = Map::new();
            for (k, v) in entries {
                out.insert(k.clone(), sorted(v));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The stable text of a spec: sorted keys, two-space indent, a trailing
/// newline (what Python's `json.dumps(indent=2, sort_keys=True,
/// ensure_ascii=False) + "\n"` gives, for the integers and short decimals
/// that specs contain).
pub fn stable_json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(&sorted(value))
        .unwrap_or_else(|e| unreachable!("a serde_json::Value always serializes: {e}"));
    text.push('\n');
    text
}

/// Runs `fetch-spec`: fetches `args.url` and writes
/// `<specs_dir>/<provider>/openapi.json`. `env` looks up environment
/// variables (injectable for tests).
pub fn fetch_spec(
    args: &FetchArgs, specs_dir: &Path, env: &dyn Fn(&str) -> Option<OsString>, out: &mut dyn Write,
) -> Result<()> {
    validate_provider(&args.provider)?;
    let url = Url::parse(&args.url).context(|| format!("invalid URL {:?}", args.url))?;
    check_url(&url, args.allow_http)?;
    let token = match &args.token_env {
        None => None,
        Some(var) => {
            let value = env(var).ok_or_else(|| {
                Error::msg(format!(
                    "--token-env {var}: the environment variable {var} is not set"
                ))
            })?;
            let value = value.into_string().map_err(|_| {
                Error::msg(format!(
                    "--token-env {var}: the value of {var} is not valid UTF-8"
                ))
            })?;
            if value.trim().is_empty() {
                bail!("--token-env {var}: the environment variable {var} is empty");
            }
            Some(value)
        }
    };

    let body = http_get(&url, token.as_deref(), args.allow_http)?;
    let doc: Value = serde_json::from_slice(&body)
        .context(|| format!("the answer of GET {} is not JSON", shown(&url)))?;
    if !doc.get("openapi").is_some_and(Value::is_string) {
        bail!(
            "the answer of GET {} is JSON but not an OpenAPI document (no \"openapi\" field)",
            shown(&url)
        );
    }

    let dir = specs_dir.join(&args.provider);
    fs::create_dir_all(&dir).context(|| format!("creating {}", dir.display()))?;
    let target = dir.join("openapi.json");
    let tmp = dir.join(".openapi.json.tmp");
    let text = stable_json(&doc);
    fs::write(&tmp, &text).context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, &target).context(|| format!("writing {}", target.display()))?;
    writeln!(
        out,
        "wrote {} ({} bytes); now run `cargo xtask codegen`",
        target.display(),
        text.len()
    )
    .context(|| "writing to stdout".to_owned())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{TempDir, repo_root, serve_once};
    use serde_json::json;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn no_env(_: &str) -> Option<OsString> {
        None
    }

    fn fetch(
        fetch_args: &FetchArgs, specs: &Path, env: &dyn Fn(&str) -> Option<OsString>,
    ) -> Result<String> {
        let mut out = Vec::new();
        fetch_spec(fetch_args, specs, env, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn the_checked_in_spec_round_trips_byte_for_byte() {
        let path = repo_root().join("specs/iaas-operator/openapi.json");
        let original = fs::read_to_string(path).unwrap();
        let value: Value = serde_json::from_str(&original).unwrap();
        assert!(
            stable_json(&value) == original,
            "stable_json changed the spec"
        );
    }

    #[test]
    fn stable_json_matches_python_json_dumps() {
        // python3 -c 'import json,sys; sys.stdout.write(json.dumps(json.loads(sys.argv[1]),
        //   indent=2, sort_keys=True, ensure_ascii=False) + "\n")' '<input>'
        let input = r#"{"zeta": [1, -2, 0.5, true, null, {}, []], "Alpha": {"é": "ünï 😀", "b": "tab\t\"q\" \\ \u0001 \u007f"}, "_": 1e3}"#;
        let expected = "{\n  \"Alpha\": {\n    \"b\": \"tab\\t\\\"q\\\" \\\\ \\u0001 \u{7f}\",\n    \"é\": \"ünï 😀\"\n  },\n  \"_\": 1000.0,\n  \"zeta\": [\n    1,\n    -2,\n    0.5,\n    true,\n    null,\n    {},\n    []\n  ]\n}\n";
        let value: Value = serde_json::from_str(input).unwrap();
        assert_eq!(stable_json(&value), expected);
    }

    #[test]
    fn parses_the_command_line() {
        assert_eq!(
            FetchArgs::parse(&args(&[
                "iaas-operator",
                "--url",
                "https://h/api/openapi.json",
                "--token-env",
                "IAAS_TOKEN",
                "--allow-http"
            ]))
            .unwrap(),
            FetchArgs {
                provider: "iaas-operator".into(),
                url: "https://h/api/openapi.json".into(),
                token_env: Some("IAAS_TOKEN".into()),
                allow_http: true,
            }
        );
        assert_eq!(
            FetchArgs::parse(&args(&["--url=https://h/x", "p"])).unwrap(),
            FetchArgs {
                provider: "p".into(),
                url: "https://h/x".into(),
                token_env: None,
                allow_http: false
            }
        );
        for (bad, message) in [
            (&["p"][..], "needs --url"),
            (&["--url", "https://h"][..], "needs a provider"),
            (&["p", "--url"][..], "--url needs a value"),
            (&["p", "q", "--url", "u"][..], "unexpected argument \"q\""),
            (&["p", "--url", "u", "--url", "v"][..], "--url given twice"),
            (
                &["p", "--url", "u", "--token"][..],
                "unknown option \"--token\"",
            ),
            (&["../etc", "--url", "u"][..], "invalid provider name"),
            (&["a/b", "--url", "u"][..], "invalid provider name"),
        ] {
            let err = FetchArgs::parse(&args(bad)).unwrap_err().to_string();
            assert!(err.contains(message), "{bad:?}: {err}");
        }
    }

    #[test]
    fn loopback_hosts() {
        for url in [
            "http://127.0.0.1:8000/x",
            "http://127.1.2.3/x",
            "http://[::1]:8080/x",
            "http://localhost/x",
            "http://LocalHost.:9/x",
            "http://[::ffff:127.0.0.1]/x",
        ] {
            assert!(is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
        for url in [
            "http://10.0.0.1/x",
            "http://128.0.0.1/x",
            "http://[::2]/x",
            "http://localhost.example.com/x",
            "http://example.com/x",
            "http://[::ffff:10.0.0.1]/x",
        ] {
            assert!(!is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
    }

    #[test]
    fn plain_http_is_refused_unless_loopback_or_allowed() {
        let url = |s: &str| Url::parse(s).unwrap();
        check_url(&url("https://console.example.com/api/openapi.json"), false).unwrap();
        check_url(&url("http://127.0.0.1:8000/api/openapi.json"), false).unwrap();
        check_url(&url("http://console.example.com/api/openapi.json"), true).unwrap();
        let err =
            check_url(&url("http://console.example.com/api/openapi.json"), false).unwrap_err();
        assert!(
            err.to_string()
                .contains("refusing plain http:// to console.example.com"),
            "{err}"
        );
        assert!(check_url(&url("ftp://h/x"), true).is_err());

        // Through the command: refused before any request, nothing written.
        let tmp = TempDir::new();
        let fetch_args = FetchArgs {
            provider: "p".into(),
            url: "http://console.example.com/api/openapi.json".into(),
            token_env: None,
            allow_http: false,
        };
        let err = fetch(&fetch_args, tmp.path(), &no_env).unwrap_err();
        assert!(
            err.to_string().starts_with("refusing plain http://"),
            "{err}"
        );
        assert!(!tmp.path().join("p").exists());
    }

    #[test]
    fn fetches_with_the_bearer_token_and_writes_sorted_json() {
        let body =
            r#"{"paths": {}, "openapi": "3.1.0", "info": {"version": "1", "title": "Démo"}}"#;
        let server = serve_once("200 OK", body);
        let tmp = TempDir::new();
        let fetch_args = FetchArgs {
            provider: "demo".into(),
            url: format!("{}/api/openapi.json", server.base_url),
            token_env: Some("DEMO_TOKEN".into()),
            allow_http: false,
        };
        let env = |name: &str| (name == "DEMO_TOKEN").then(|| OsString::from("s3cr3t-t0ken"));
        let out = fetch(&fetch_args, tmp.path(), &env).unwrap();
        assert!(out.contains("demo/openapi.json ("), "{out}");
        assert!(!out.contains("s3cr3t"), "{out}");

        let request = server.request();
        assert!(
            request.starts_with("GET /api/openapi.json HTTP/1.1\r\n"),
            "{request}"
        );
        assert!(
            request
                .to_ascii_lowercase()
                .contains("\r\nauthorization: bearer s3cr3t-t0ken\r\n"),
            "{request}"
        );
        let written = fs::read_to_string(tmp.path().join("demo/openapi.json")).unwrap();
        assert_eq!(
            written,
            "{\n  \"info\": {\n    \"title\": \"Démo\",\n    \"version\": \"1\"\n  },\n  \
             \"openapi\": \"3.1.0\",\n  \"paths\": {}\n}\n"
        );
        assert!(!tmp.path().join("demo/.openapi.json.tmp").exists());
    }

    #[test]
    fn no_authorization_header_without_token_env() {
        let server = serve_once("200 OK", r#"{"openapi": "3.0.3"}"#);
        let tmp = TempDir::new();
        let fetch_args = FetchArgs {
            provider: "demo".into(),
            url: format!("{}/openapi.json", server.base_url),
            token_env: None,
            allow_http: false,
        };
        fetch(&fetch_args, tmp.path(), &no_env).unwrap();
        let request = server.request().to_ascii_lowercase();
        assert!(!request.contains("authorization:"), "{request}");
        assert_eq!(
            fs::read_to_string(tmp.path().join("demo/openapi.json")).unwrap(),
            stable_json(&json!({"openapi": "3.0.3"}))
        );
    }

    #[test]
    fn an_unset_token_variable_fails_before_any_request() {
        let tmp = TempDir::new();
        let fetch_args = FetchArgs {
            provider: "demo".into(),
            url: "https://console.example.com/api/openapi.json".into(),
            token_env: Some("NOT_SET_ANYWHERE".into()),
            allow_http: false,
        };
        let err = fetch(&fetch_args, tmp.path(), &no_env)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "--token-env NOT_SET_ANYWHERE: the environment variable NOT_SET_ANYWHERE is not set"
        );
        let empty = |_: &str| Some(OsString::from(" "));
        let err = fetch(&fetch_args, tmp.path(), &empty)
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("is empty"), "{err}");
    }

    #[test]
    fn a_non_2xx_answer_shows_the_status_but_never_the_token() {
        let server = serve_once("401 Unauthorized", r#"{"detail": "Not authenticated"}"#);
        let tmp = TempDir::new();
        let fetch_args = FetchArgs {
            provider: "demo".into(),
            url: format!("{}/api/openapi.json", server.base_url),
            token_env: Some("T".into()),
            allow_http: false,
        };
        let env = |_: &str| Some(OsString::from("very-secret-token"));
        let err = fetch(&fetch_args, tmp.path(), &env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("answered 401 Unauthorized"), "{err}");
        assert!(!err.contains("very-secret-token"), "{err}");
        assert!(!tmp.path().join("demo").exists());
    }

    #[test]
    fn non_json_and_non_openapi_answers_are_refused() {
        let tmp = TempDir::new();
        for (body, message) in [
            ("<html>login</html>", "is not JSON"),
            (r#"{"detail": "ok"}"#, "not an OpenAPI document"),
        ] {
            let server = serve_once("200 OK", body);
            let fetch_args = FetchArgs {
                provider: "demo".into(),
                url: server.base_url.clone(),
                token_env: None,
                allow_http: false,
            };
            let err = fetch(&fetch_args, tmp.path(), &no_env)
                .unwrap_err()
                .to_string();
            assert!(err.contains(message), "{err}");
        }
        assert!(!tmp.path().join("demo/openapi.json").exists());
    }

    #[test]
    fn a_redirect_to_plain_http_elsewhere_is_refused() {
        let server = serve_once(
            "302 Found\r\nLocation: http://console.example.com/api/openapi.json",
            "",
        );
        let tmp = TempDir::new();
        let fetch_args = FetchArgs {
            provider: "demo".into(),
            url: server.base_url.clone(),
            token_env: None,
            allow_http: false,
        };
        let err = fetch(&fetch_args, tmp.path(), &no_env)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "redirect to http://console.example.com/api/openapi.json: refusing plain http://"
            ),
            "{err}"
        );
    }
}
