//! Running progenitor, safely, and turning its tokens into a formatted file.
//!
//! progenitor 0.15 panics (`assert!`, `todo!`, `unwrap`) on some spec shapes.
//! [`generate_guarded`] runs it under `catch_unwind` with the panic hook
//! silenced; if it panics, it re-runs the generator on copies of the spec
//! that keep a single operation each, to say which operation is the culprit,
//! and returns an error. It never lets the panic through.

use std::any::Any;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};

use proc_macro2::TokenStream;
use serde_json::{Map, Value};

use crate::downconvert::METHODS;
use crate::error::{Context, Error, Result};
use crate::providers::Provider;

/// The generator settings every adapter crate is written against.
///
/// - positional methods (`client.create_user_users_post(&body)`), one
///   `impl Client` for all tags;
/// - `HooksMode::Expected`: the adapter must implement
///   `progenitor_client::ClientHooks<roster_http::ClientContext>` for
///   `Client` (it does, with `roster_http::impl_client_hooks!`); the generated
///   code only asserts that the impl exists;
/// - `roster_http::ClientContext` as the client's inner value, available to
///   the hooks.
pub fn settings(provider: &Provider) -> progenitor::GenerationSettings {
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Positional)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor::HooksMode::Expected)
        .with_inner_type(quote::quote!(roster_http::ClientContext));
    for (schema, rust_type) in provider.replacements {
        settings.with_replacement(schema, rust_type, std::iter::empty());
    }
    for schema in provider.raw {
        settings.with_replacement(
            schema,
            format!(
                "roster_core::Raw<crate::generated::types::{}>",
                raw_fields_name(schema)
            ),
            std::iter::empty(),
        );
    }
    settings
}

/// The name the generated struct of a [`Provider::raw`] schema takes.
pub fn raw_fields_name(schema: &str) -> String {
    format!("{schema}Fields")
}

/// Fails when a [`Provider::raw`] schema's fields struct is not generated
/// under the name the replacement points at: progenitor spells type names
/// its own way (`UserDTO` becomes `UserDto`), and its replacements are keyed
/// by that spelling, so such a schema would silently keep no JSON.
pub fn check_raw_replaced(rendered: &str, provider: &Provider) -> Result<()> {
    for schema in provider.raw {
        let fields = format!("pub struct {} {{", raw_fields_name(schema));
        if !rendered.contains(&fields) {
            return Err(Error::msg(format!(
                "{}: raw schema {schema} was not replaced: progenitor did not generate `{}` \
                 (is the name already in Rust's UpperCamelCase, e.g. `Dto` rather than `DTO`?)",
                provider.spec,
                raw_fields_name(schema)
            )));
        }
    }
    Ok(())
}

/// Moves each [`Provider::raw`] schema to `<name>Fields` and leaves a
/// reference to it under the old name, which [`settings`] replaces with
/// `roster_core::Raw<<name>Fields>`: every use of the schema then keeps its
/// JSON, and the fields are still generated.
pub fn keep_raw(doc: &mut Value, provider: &Provider) -> Result<()> {
    for schema in provider.raw {
        let schemas = doc
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| Error::msg(format!("{}: no components.schemas", provider.spec)))?;
        let fields = raw_fields_name(schema);
        let body = schemas.remove(*schema).ok_or_else(|| {
            Error::msg(format!(
                "{}: raw schema {schema} is not in components.schemas",
                provider.spec
            ))
        })?;
        schemas.insert(fields.clone(), body);
        schemas.insert(
            (*schema).to_owned(),
            serde_json::json!({ "$ref": format!("#/components/schemas/{fields}") }),
        );
    }
    Ok(())
}

/// The generator as [`generate_guarded`] calls it: a 3.0 document in,
/// tokens or an error message out. Tests inject their own.
pub type GenerateFn<'a> = dyn Fn(&Value) -> Result<TokenStream, String> + 'a;

/// Deserializes `doc` and runs progenitor on it with `settings`.
pub fn progenitor_tokens(
    doc: &Value, settings: &progenitor::GenerationSettings,
) -> Result<TokenStream, String> {
    let spec: openapiv3::OpenAPI = serde_path_to_error::deserialize(doc.clone()).map_err(|e| {
        format!(
            "not a valid OpenAPI 3.0 document after down-conversion: at `{}`: {}",
            e.path(),
            e.inner()
        )
    })?;
    progenitor::Generator::new(settings)
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor: {e}"))
}

/// A caught panic: its message and, when known, where it happened.
#[derive(Debug)]
pub struct Panic {
    message: String,
    location: Option<String>,
}

impl std::fmt::Display for Panic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(location) = &self.location {
            write!(f, " (at {location})")?;
        }
        Ok(())
    }
}

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Runs `f`, catching a panic instead of unwinding through the caller.
///
/// While `f` runs, the process-wide panic hook is replaced by one that prints
/// nothing for this thread (it records the location) and hands panics of
/// other threads to the previous hook. The previous hook is restored after.
/// A lock keeps two callers from interleaving their hook swaps.
fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, Panic> {
    static HOOK_LOCK: Mutex<()> = Mutex::new(());
    let _guard = HOOK_LOCK.lock().unwrap_or_else(PoisonError::into_inner);

    let this_thread = std::thread::current().id();
    let location = Arc::new(Mutex::new(None::<String>));
    let previous: Arc<Hook> = Arc::new(panic::take_hook());
    {
        let location = Arc::clone(&location);
        let previous = Arc::clone(&previous);
        panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() == this_thread {
                if let Some(l) = info.location() {
                    *location.lock().unwrap_or_else(PoisonError::into_inner) =
                        Some(format!("{}:{}", short_path(l.file()), l.line()));
                }
            } else {
                previous(info);
            }
        }));
    }
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    // Drop our hook (and its clone of `previous`) before taking `previous` back.
    drop(panic::take_hook());
    match Arc::try_unwrap(previous) {
        Ok(hook) => panic::set_hook(hook),
        Err(shared) => panic::set_hook(Box::new(move |info| shared(info))),
    }

    result.map_err(|payload| Panic {
        message: payload_message(payload.as_ref()),
        location: location
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take(),
    })
}

fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(panic payload is not a string)".to_owned()
    }
}

/// `.../registry/src/index.crates.io-xxx/progenitor-impl-0.15.1/src/method.rs`
/// to `progenitor-impl-0.15.1/src/method.rs`.
fn short_path(file: &str) -> &str {
    match file.rfind("/src/") {
        Some(src) => match file[..src].rfind('/') {
            Some(start) => &file[start + 1..],
            None => file,
        },
        None => file,
    }
}

/// Runs `generate` on `doc` under [`catch_panic`]. `spec` names the spec file
/// in errors. On a panic, finds which operation(s) cause it.
pub fn generate_guarded(doc: &Value, spec: &str, generate: &GenerateFn<'_>) -> Result<TokenStream> {
    match catch_panic(|| generate(doc)) {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(message)) => Err(Error::msg(format!("{spec}: {message}"))),
        Err(panic) => Err(Error::msg(explain_panic(doc, spec, generate, &panic))),
    }
}

/// Re-runs the generator on the types alone, then on each operation alone.
fn explain_panic(doc: &Value, spec: &str, generate: &GenerateFn<'_>, panic: &Panic) -> String {
    if let Err(p) = catch_panic(|| generate(&with_paths(doc, Map::new()))) {
        return format!(
            "{spec}: progenitor panicked while generating the component schemas, before any \
             operation: {p}"
        );
    }
    let mut culprits = Vec::new();
    for (path, method, op_id) in operations(doc) {
        let mut item = doc["paths"][&path].as_object().cloned().unwrap_or_default();
        item.retain(|key, _| key == &method || !METHODS.contains(&key.as_str()));
        let mut paths = Map::new();
        paths.insert(path.clone(), Value::Object(item));
        if let Err(p) = catch_panic(|| generate(&with_paths(doc, paths))) {
            culprits.push(format!(
                "{spec}: {} {path} ({}): progenitor panicked: {p}",
                method.to_ascii_uppercase(),
                op_id.as_deref().unwrap_or("no operationId"),
            ));
        }
    }
    if culprits.is_empty() {
        format!(
            "{spec}: progenitor panicked, and no single operation makes it panic on its own: {panic}"
        )
    } else {
        culprits.join("\n")
    }
}

/// A copy of `doc` with `paths` replaced.
fn with_paths(doc: &Value, paths: Map<String, Value>) -> Value {
    let mut copy = doc.clone();
    if let Value::Object(root) = &mut copy {
        root.insert("paths".into(), Value::Object(paths));
    }
    copy
}

/// `(path, method, operationId)` of every operation, in document order.
fn operations(doc: &Value) -> Vec<(String, String, Option<String>)> {
    let mut ops = Vec::new();
    if let Some(Value::Object(paths)) = doc.get("paths") {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(*method) {
                    let op_id = op.get("operationId").and_then(Value::as_str);
                    ops.push((path.clone(), (*method).to_owned(), op_id.map(str::to_owned)));
                }
            }
        }
    }
    ops
}

/// The final text of a generated file: `header`, a blank line, then the
/// tokens pretty-printed by prettyplease and formatted by rustfmt (edition
/// 2024), exactly as `cargo fmt` would leave it. rustfmt runs in `dir`, the
/// output file's directory (or its nearest existing ancestor), so it finds
/// the same `rustfmt.toml` that `cargo fmt` would.
pub fn render(tokens: TokenStream, header: &str, dir: &Path) -> Result<String> {
    let mut file: syn::File = syn::parse2(split_doc_lines(tokens))
        .context(|| "progenitor's output does not parse as a Rust file".to_owned())?;
    route_path_encoding(&mut file)?;
    let text = format!("{header}\n\n{}", prettyplease::unparse(&file));
    rustfmt(&text, dir)
}

/// Splits every multi-line `#[doc = "..."]` into one attribute per line.
///
/// prettyplease prints a multi-line doc string as a `/** ... */` block, and
/// rustfmt then indents its continuation lines; rustdoc reads those indented
/// lines as code blocks and tries to compile them as doctests. One `#[doc]`
/// per line prints as plain `///` lines instead. Trailing blank lines are
/// dropped.
fn split_doc_lines(tokens: TokenStream) -> TokenStream {
    use proc_macro2::{Delimiter, Group, TokenTree};

    let mut out = TokenStream::new();
    let mut iter = tokens.into_iter().peekable();
    while let Some(tree) = iter.next() {
        match tree {
            TokenTree::Punct(punct) if punct.as_char() == '#' => {
                let lines = match iter.peek() {
                    Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Bracket => {
                        doc_lines(group.stream())
                    }
                    _ => None,
                };
                match lines {
                    Some(lines) => {
                        iter.next();
                        for line in lines {
                            out.extend(quote::quote!(#[doc = #line]));
                        }
                    }
                    None => out.extend([TokenTree::Punct(punct)]),
                }
            }
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), split_doc_lines(group.stream()));
                inner.set_span(group.span());
                out.extend([TokenTree::Group(inner)]);
            }
            other => out.extend([other]),
        }
    }
    out
}

/// The lines of `doc = "..."` when the string spans several lines.
fn doc_lines(attribute: TokenStream) -> Option<Vec<String>> {
    let meta: syn::MetaNameValue = syn::parse2(attribute).ok()?;
    if !meta.path.is_ident("doc") {
        return None;
    }
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(text),
        ..
    }) = meta.value
    else {
        return None;
    };
    let text = text.value();
    if !text.contains('\n') {
        return None;
    }
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    while lines.last().is_some_and(|line| line.trim().is_empty()) {
        lines.pop();
    }
    Some(lines)
}

/// Points the generated client's path encoding at `roster_http::encode_path`.
///
/// progenitor imports `progenitor_client::encode_path`, which leaves `|`,
/// `\`, `^`, `[` and `]` unescaped; the `url` crate then turns a bare `\`
/// into `/`, so an id `a\b` would address `/a/b`. This removes
/// `encode_path` from progenitor's `use progenitor_client::{...}` and
/// imports ours instead, so every path parameter is escaped down to RFC
/// 3986's unreserved characters. It fails if the import is not where
/// progenitor 0.15 puts it, rather than silently keeping the weak encoder.
fn route_path_encoding(file: &mut syn::File) -> Result<()> {
    let mut replaced = false;
    for item in &mut file.items {
        let syn::Item::Use(item_use) = item else {
            continue;
        };
        let syn::UseTree::Path(path) = &mut item_use.tree else {
            continue;
        };
        if path.ident != "progenitor_client" {
            continue;
        }
        let syn::UseTree::Group(group) = path.tree.as_mut() else {
            continue;
        };
        let before = group.items.len();
        group.items = std::mem::take(&mut group.items)
            .into_iter()
            .filter(|tree| !matches!(tree, syn::UseTree::Name(name) if name.ident == "encode_path"))
            .collect();
        replaced |= group.items.len() != before;
    }
    if !replaced {
        return Err(Error::msg(
            "progenitor's output no longer imports `progenitor_client::encode_path`; \
             update route_path_encoding in xtask/src/generate.rs",
        ));
    }
    let ours: syn::Item = syn::parse_quote! {
        #[allow(unused_imports)]
        use roster_http::encode_path;
    };
    file.items.insert(0, ours);
    Ok(())
}

/// Pipes `source` through `rustfmt --edition 2024 --emit stdout`. The
/// program is `$RUSTFMT` if set, else `rustfmt` from `PATH`.
pub fn rustfmt(source: &str, dir: &Path) -> Result<String> {
    let program = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let shown = program.to_string_lossy().into_owned();
    let mut child = Command::new(&program)
        .args(["--edition", "2024", "--emit", "stdout"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context(|| format!("running {shown} (install it with `rustup component add rustfmt`)"))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| Error::msg("rustfmt's stdin is not piped"))?;
    let input = source.to_owned();
    // Write from another thread so a full stdout pipe cannot deadlock us.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .context(|| format!("waiting for {shown}"))?;
    writer
        .join()
        .map_err(|_| Error::msg("the thread feeding rustfmt panicked"))?
        .context(|| format!("writing to {shown}"))?;
    if !output.status.success() {
        return Err(Error::msg(format!(
            "{shown} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        )));
    }
    String::from_utf8(output.stdout).context(|| format!("{shown} printed invalid UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPEC: &str = "specs/test/openapi.json";

    fn two_op_doc() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/a": {"get": {"operationId": "get_a", "responses": {"204": {"description": "ok"}}}},
                "/b/{id}": {
                    "parameters": [{"name": "id", "in": "path", "required": true,
                                    "schema": {"type": "string"}}],
                    "get": {"operationId": "get_b", "responses": {"204": {"description": "ok"}}},
                    "delete": {"operationId": "del_b", "responses": {"204": {"description": "ok"}}},
                },
            },
        })
    }

    fn op_ids(doc: &Value) -> Vec<String> {
        operations(doc)
            .into_iter()
            .filter_map(|(_, _, id)| id)
            .collect()
    }

    #[test]
    fn catch_panic_returns_the_message_and_restores_the_hook() {
        let caught = catch_panic(|| -> u8 { panic!("boom {}", 42) }).unwrap_err();
        assert_eq!(caught.message, "boom 42");
        assert!(
            caught
                .location
                .as_deref()
                .is_some_and(|l| l.contains("generate.rs")),
            "{caught:?}"
        );
        let caught = catch_panic(|| -> u8 { std::panic::panic_any(7_u32) }).unwrap_err();
        assert_eq!(caught.message, "(panic payload is not a string)");
        assert_eq!(catch_panic(|| 5).unwrap(), 5);
    }

    #[test]
    fn short_path_keeps_crate_and_file() {
        assert_eq!(
            short_path(
                "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/progenitor-impl-0.15.1/src/method.rs"
            ),
            "progenitor-impl-0.15.1/src/method.rs"
        );
        assert_eq!(short_path("xtask/src/generate.rs"), "xtask/src/generate.rs");
        assert_eq!(short_path("lib.rs"), "lib.rs");
    }

    #[test]
    fn bisection_names_exactly_the_panicking_operations() {
        // A stand-in generator that panics on any document containing get_b
        // or del_b; the real one is exercised in the next test.
        let generate = |doc: &Value| -> Result<TokenStream, String> {
            let ids = op_ids(doc);
            if ids.iter().any(|id| id == "get_b") {
                panic!("get_b is bad");
            }
            if ids.iter().any(|id| id == "del_b") {
                panic!("del_b is bad");
            }
            Ok(TokenStream::new())
        };
        let err = generate_guarded(&two_op_doc(), SPEC, &generate)
            .unwrap_err()
            .to_string();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        assert!(
            lines[0].starts_with("specs/test/openapi.json: GET /b/{id} (get_b): progenitor panicked: get_b is bad (at "),
            "{err}"
        );
        assert!(
            lines[1].starts_with(
                "specs/test/openapi.json: DELETE /b/{id} (del_b): progenitor panicked: del_b is bad"
            ),
            "{err}"
        );
    }

    #[test]
    fn bisection_copies_keep_one_operation_and_the_path_level_parameters() {
        let seen = Mutex::new(Vec::new());
        let generate = |doc: &Value| -> Result<TokenStream, String> {
            if op_ids(doc).len() == 1 {
                seen.lock().unwrap().push(doc["paths"].clone());
                if op_ids(doc) == ["get_b"] {
                    panic!("single");
                }
            } else if !op_ids(doc).is_empty() {
                panic!("whole");
            }
            Ok(TokenStream::new())
        };
        let err = generate_guarded(&two_op_doc(), SPEC, &generate)
            .unwrap_err()
            .to_string();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(
                "specs/test/openapi.json: GET /b/{id} (get_b): progenitor panicked: single (at "
            ),
            "{err}"
        );
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.len(), 3);
        let b = &seen[1]["/b/{id}"];
        assert_eq!(seen[1].as_object().unwrap().len(), 1);
        assert!(b["parameters"].is_array());
        assert!(b.get("get").is_some() && b.get("delete").is_none());
    }

    #[test]
    fn bisection_reports_schema_panics_and_interactions() {
        let always = |_: &Value| -> Result<TokenStream, String> { panic!("bad schema") };
        let err = generate_guarded(&two_op_doc(), SPEC, &always)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("specs/test/openapi.json: progenitor panicked while generating the component schemas"),
            "{err}"
        );
        assert!(err.contains("bad schema"), "{err}");

        let together = |doc: &Value| -> Result<TokenStream, String> {
            if op_ids(doc).len() > 1 {
                panic!("only together");
            }
            Ok(TokenStream::new())
        };
        let err = generate_guarded(&two_op_doc(), SPEC, &together)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no single operation makes it panic on its own: only together"),
            "{err}"
        );
    }

    #[test]
    fn generator_errors_are_prefixed_with_the_spec() {
        let failing = |_: &Value| -> Result<TokenStream, String> { Err("nope".into()) };
        let err = generate_guarded(&two_op_doc(), SPEC, &failing).unwrap_err();
        assert_eq!(err.to_string(), "specs/test/openapi.json: nope");
    }

    #[test]
    fn a_real_progenitor_panic_is_caught_and_located() {
        // progenitor 0.15.1 `assert!`s that path parameters are required
        // (method.rs, `process_operation`).
        let mut doc = two_op_doc();
        doc["paths"]["/c/{id}"] = json!({"get": {
            "operationId": "get_c",
            "parameters": [{"name": "id", "in": "path", "required": false,
                            "schema": {"type": "string"}}],
            "responses": {"204": {"description": "ok"}},
        }});
        let provider = Provider {
            spec: SPEC,
            output: "x",
            replacements: &[],
            raw: &[],
        };
        let settings = settings(&provider);
        let generate = |d: &Value| progenitor_tokens(d, &settings);
        let err = generate_guarded(&doc, SPEC, &generate)
            .unwrap_err()
            .to_string();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("specs/test/openapi.json: GET /c/{id} (get_c): progenitor panicked: assertion failed: parameter_data.required (at progenitor-impl-0.15.1/src/method.rs:"),
            "{err}"
        );
        // Without the bad operation the same generator succeeds.
        generate_guarded(&two_op_doc(), SPEC, &generate).unwrap();
    }

    #[test]
    fn invalid_documents_say_where() {
        let provider = Provider {
            spec: SPEC,
            output: "x",
            replacements: &[],
            raw: &[],
        };
        let settings = settings(&provider);
        let mut doc = two_op_doc();
        doc["info"]["version"] = json!(5);
        let err = progenitor_tokens(&doc, &settings).unwrap_err();
        assert_eq!(
            err,
            "not a valid OpenAPI 3.0 document after down-conversion: at `info.version`: \
             invalid type: integer `5`, expected a string"
        );
    }

    #[test]
    fn rustfmt_formats_like_cargo_fmt() {
        let out = rustfmt("fn  main( ){let x=1;}", Path::new(".")).unwrap();
        assert_eq!(out, "fn main() {\n    let x = 1;\n}\n");
        let err = rustfmt("fn main( {", Path::new(".")).unwrap_err();
        assert!(err.to_string().contains("failed"), "{err}");
    }

    #[test]
    fn render_puts_the_header_first() {
        let tokens = quote::quote! {
            use progenitor_client::{encode_path, ClientHooks};
            pub struct A { x: u8 }
        };
        let out = render(tokens, "// Generated; do not edit.", Path::new(".")).unwrap();
        assert_eq!(
            out,
            "// Generated; do not edit.\n\nuse progenitor_client::ClientHooks;\n\
             #[allow(unused_imports)]\nuse roster_http::encode_path;\npub struct A {\n    x: u8,\n}\n"
        );
    }

    #[test]
    fn multi_line_docs_become_one_line_each() {
        let tokens = quote::quote! {
            impl A {
                #[doc = "List Tenants\n\nSends a `GET` request to `/tenants`\n\n"]
                pub fn list(&self) {}
                #[doc = "one line"]
                #[allow(dead_code)]
                fn other(&self) {}
            }
        };
        let file: syn::File = syn::parse2(split_doc_lines(tokens)).unwrap();
        let text = rustfmt(&prettyplease::unparse(&file), Path::new(".")).unwrap();
        assert!(
            text.contains(
                "    ///List Tenants\n    ///\n    ///Sends a `GET` request to `/tenants`\n    pub fn list"
            ),
            "{text}"
        );
        assert!(
            text.contains("///one line\n    #[allow(dead_code)]"),
            "{text}"
        );
        assert!(!text.contains("/**"), "{text}");
    }

    #[test]
    fn path_encoding_is_routed_to_roster_http() {
        let mut file: syn::File = syn::parse_quote! {
            #[allow(unused_imports)]
            pub use progenitor_client::{ByteStream, Error};
            #[allow(unused_imports)]
            use progenitor_client::{encode_path, ClientHooks, OperationInfo};
            fn url(id: &str) -> String { encode_path(id) }
        };
        route_path_encoding(&mut file).unwrap();
        let text = prettyplease::unparse(&file);
        assert!(text.contains("use roster_http::encode_path;"), "{text}");
        assert!(
            text.contains("use progenitor_client::{ClientHooks, OperationInfo};"),
            "{text}"
        );
        assert_eq!(
            text.matches("encode_path").count(),
            2,
            "import + call: {text}"
        );
    }

    #[test]
    fn path_encoding_fails_loudly_when_progenitor_changes() {
        let mut file: syn::File = syn::parse_quote! {
            use progenitor_client::{ClientHooks};
        };
        let err = route_path_encoding(&mut file).unwrap_err();
        assert!(err.to_string().contains("route_path_encoding"), "{err}");
    }
}
