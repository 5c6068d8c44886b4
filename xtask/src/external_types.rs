//! Which outside crates' types the public API may expose (compare
//! smithy-rs' `external-types`), checked on the stable toolchain by reading
//! the sources with `syn`.
//!
//! For every `pub` item of the published crates (generated code aside, which
//! is `pub(crate)`), it collects the type paths in signatures, public fields,
//! trait impls and `pub use` re-exports, resolves each path's first segment
//! through the file's `use` declarations, and reports every crate that is
//! neither the workspace's own nor on [`ALLOWED`]. A private module's `pub`
//! items are checked too: that over-approximates, and an item that must stay
//! `pub` there is cheap to allow.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Context, Result};

/// The crates whose public API is checked.
pub const CHECKED: &[&str] = &[
    "crates/roster-core",
    "crates/roster-http",
    "crates/roster-layers",
    "crates/roster",
    "crates/roster-iaas",
    "crates/roster-netbird",
    "crates/roster-adverity",
    "crates/roster-astra",
    "crates/roster-medium-one",
];

/// Outside crates whose types may appear in the public API, and why.
pub const ALLOWED: &[(&str, &str)] = &[
    ("std", "the standard library"),
    ("core", "the standard library"),
    ("alloc", "the standard library"),
    ("serde", "Serialize / Deserialize impls on the model"),
    (
        "serde_json",
        "provider data and provider-specific field values are JSON",
    ),
    (
        "secrecy",
        "SecretString holds every credential and one-time secret",
    ),
    (
        "futures",
        "list_users()/list_tenants() return a Stream; layers take BoxFuture",
    ),
    ("async_trait", "the traits are #[async_trait]"),
    (
        "reqwest",
        "HttpSettings can take a caller's reqwest::Client; Authenticator signs a request",
    ),
    (
        "progenitor_client",
        "roster-http's ClientHooks impl, which the generated clients require",
    ),
];

/// The workspace's own crates (by their Rust name), always allowed.
fn own_crates() -> BTreeSet<String> {
    CHECKED
        .iter()
        .map(|dir| dir.trim_start_matches("crates/").replace('-', "_"))
        .collect()
}

/// The outside crates a package may name: its `[dependencies]` (by their
/// Rust name) and the standard library. Any other first path segment is
/// the package's own (a module, a generic parameter, a local type).
fn dependencies(manifest: &str) -> BTreeSet<String> {
    let mut deps: BTreeSet<String> = ["std", "core", "alloc"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut in_dependencies = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if !in_dependencies || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.split(['=', '.', ' ']).next().filter(|n| !n.is_empty()) {
            deps.insert(name.replace('-', "_"));
        }
    }
    deps
}

/// One outside crate found in the public API, and where.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// The crate's Rust name.
    pub krate: String,
    /// `file: item`.
    pub place: String,
}

/// Every outside crate the public API of `crates` names, with one place each.
pub fn scan(root: &Path, crates: &[&str]) -> Result<Vec<Found>> {
    let mut found = BTreeMap::new();
    for krate in crates {
        let manifest = root.join(krate).join("Cargo.toml");
        let deps = dependencies(
            &fs::read_to_string(&manifest).context(|| format!("reading {}", manifest.display()))?,
        );
        for file in rust_files(&root.join(krate).join("src"))? {
            let text =
                fs::read_to_string(&file).context(|| format!("reading {}", file.display()))?;
            let parsed = syn::parse_file(&text)
                .map_err(|e| crate::error::Error::msg(format!("{}: {e}", file.display())))?;
            let shown = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            let mut scanner = Scanner {
                imports: imports(&parsed.items),
                deps: &deps,
                found: &mut found,
                file: shown,
            };
            scanner.items(&parsed.items, "");
        }
    }
    Ok(found
        .into_iter()
        .map(|(krate, place)| Found { krate, place })
        .collect())
}

/// The crates `scan` found that [`ALLOWED`] does not list.
pub fn disallowed(found: &[Found]) -> Vec<&Found> {
    let own = own_crates();
    found
        .iter()
        .filter(|f| !own.contains(&f.krate) && !ALLOWED.iter().any(|(name, _)| *name == f.krate))
        .collect()
}

fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).context(|| format!("reading {}", dir.display()))? {
            let path = entry
                .context(|| format!("reading {}", dir.display()))?
                .path();
            if path.is_dir() {
                // Generated clients are pub(crate) and not the public API.
                if path.file_name().is_some_and(|n| n != "generated") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// `use a::b::C;` → `C` ↦ `a`; `use a::b as d;` → `d` ↦ `a`; globs add nothing.
fn imports(items: &[syn::Item]) -> BTreeMap<String, String> {
    fn walk(tree: &syn::UseTree, first: Option<&str>, out: &mut BTreeMap<String, String>) {
        match tree {
            syn::UseTree::Path(path) => {
                let head = path.ident.to_string();
                walk(&path.tree, Some(first.unwrap_or(&head)), out);
            }
            syn::UseTree::Name(name) => {
                let ident = name.ident.to_string();
                let root = first.unwrap_or(&ident).to_owned();
                out.insert(ident, root);
            }
            syn::UseTree::Rename(rename) => {
                let ident = rename.ident.to_string();
                let root = first.unwrap_or(&ident).to_owned();
                out.insert(rename.rename.to_string(), root);
            }
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    walk(tree, first, out);
                }
            }
            syn::UseTree::Glob(_) => {}
        }
    }
    let mut out = BTreeMap::new();
    for item in items {
        if let syn::Item::Use(item) = item {
            walk(&item.tree, None, &mut out);
        }
    }
    out
}

struct Scanner<'a> {
    imports: BTreeMap<String, String>,
    deps: &'a BTreeSet<String>,
    found: &'a mut BTreeMap<String, String>,
    file: String,
}

/// `#[cfg(test)]`: a test module is not the API.
fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .meta
                .require_list()
                .is_ok_and(|list| list.tokens.to_string() == "test")
    })
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

impl Scanner<'_> {
    fn note(&mut self, krate: String, item: &str) {
        // Only outside crates matter; the package's own names do not.
        if !self.deps.contains(&krate) {
            return;
        }
        let place = format!("{}: {item}", self.file);
        self.found.entry(krate).or_insert(place);
    }

    fn path(&mut self, path: &syn::Path, item: &str) {
        let Some(first) = path.segments.first() else {
            return;
        };
        let head = first.ident.to_string();
        let krate = if path.leading_colon.is_some() || path.segments.len() > 1 {
            // `a::B`: `a` is a crate, or a name imported from one.
            self.imports.get(&head).cloned().unwrap_or(head)
        } else {
            // A bare name: imported, or local (or the prelude).
            match self.imports.get(&head) {
                Some(root) => root.clone(),
                None => "crate".to_owned(),
            }
        };
        self.note(krate, item);
        for segment in &path.segments {
            if let syn::PathArguments::AngleBracketed(args) = &segment.arguments {
                for arg in &args.args {
                    match arg {
                        syn::GenericArgument::Type(ty) => self.ty(ty, item),
                        syn::GenericArgument::AssocType(assoc) => self.ty(&assoc.ty, item),
                        _ => {}
                    }
                }
            }
            if let syn::PathArguments::Parenthesized(args) = &segment.arguments {
                for input in &args.inputs {
                    self.ty(&input.ty, item);
                }
                if let syn::ReturnType::Type(_, ty) = &args.output {
                    self.ty(ty, item);
                }
            }
        }
    }

    fn bounds<'b>(
        &mut self, bounds: impl IntoIterator<Item = &'b syn::TypeParamBound>, item: &str,
    ) {
        for bound in bounds {
            if let syn::TypeParamBound::Trait(bound) = bound {
                self.path(&bound.path, item);
            }
        }
    }

    fn ty(&mut self, ty: &syn::Type, item: &str) {
        match ty {
            syn::Type::Path(path) => {
                if let Some(qself) = &path.qself {
                    self.ty(&qself.ty, item);
                }
                self.path(&path.path, item);
            }
            syn::Type::Reference(r) => self.ty(&r.elem, item),
            syn::Type::Slice(s) => self.ty(&s.elem, item),
            syn::Type::Array(a) => self.ty(&a.elem, item),
            syn::Type::Ptr(p) => self.ty(&p.elem, item),
            syn::Type::Paren(p) => self.ty(&p.elem, item),
            syn::Type::Group(g) => self.ty(&g.elem, item),
            syn::Type::Tuple(t) => t.elems.iter().for_each(|e| self.ty(e, item)),
            syn::Type::TraitObject(t) => self.bounds(&t.bounds, item),
            syn::Type::ImplTrait(t) => self.bounds(&t.bounds, item),
            syn::Type::FnPtr(f) => {
                for input in &f.inputs {
                    self.ty(&input.ty, item);
                }
                if let syn::ReturnType::Type(_, ty) = &f.output {
                    self.ty(ty, item);
                }
            }
            _ => {}
        }
    }

    fn signature(&mut self, sig: &syn::Signature, item: &str) {
        for input in &sig.inputs {
            if let syn::FnArg::Typed(arg) = input {
                self.ty(&arg.ty, item);
            }
        }
        if let syn::ReturnType::Type(_, ty) = &sig.output {
            self.ty(ty, item);
        }
        self.generics(&sig.generics, item);
    }

    fn generics(&mut self, generics: &syn::Generics, item: &str) {
        for param in &generics.params {
            if let syn::GenericParam::Type(param) = param {
                self.bounds(&param.bounds, item);
            }
        }
        if let Some(clause) = &generics.where_clause {
            for predicate in &clause.predicates {
                if let syn::WherePredicate::Type(p) = predicate {
                    self.bounds(&p.bounds, item);
                }
            }
        }
    }

    fn fields(&mut self, fields: &syn::Fields, item: &str, all_public: bool) {
        for field in fields {
            if all_public || is_pub(&field.vis) {
                self.ty(&field.ty, item);
            }
        }
    }

    fn items(&mut self, items: &[syn::Item], prefix: &str) {
        for item in items {
            self.item(item, prefix);
        }
    }

    fn item(&mut self, item: &syn::Item, prefix: &str) {
        match item {
            syn::Item::Fn(f) if is_pub(&f.vis) => {
                let name = format!("{prefix}fn {}", f.sig.ident);
                self.signature(&f.sig, &name);
            }
            syn::Item::Struct(s) if is_pub(&s.vis) => {
                let name = format!("{prefix}struct {}", s.ident);
                self.generics(&s.generics, &name);
                self.fields(&s.fields, &name, false);
            }
            syn::Item::Enum(e) if is_pub(&e.vis) => {
                let name = format!("{prefix}enum {}", e.ident);
                self.generics(&e.generics, &name);
                for variant in &e.variants {
                    self.fields(&variant.fields, &name, true);
                }
            }
            syn::Item::Type(t) if is_pub(&t.vis) => {
                let name = format!("{prefix}type {}", t.ident);
                self.ty(&t.ty, &name);
            }
            syn::Item::Const(c) if is_pub(&c.vis) => {
                let name = format!("{prefix}const {}", c.ident);
                self.ty(&c.ty, &name);
            }
            syn::Item::Static(s) if is_pub(&s.vis) => {
                let name = format!("{prefix}static {}", s.ident);
                self.ty(&s.ty, &name);
            }
            syn::Item::Trait(t) if is_pub(&t.vis) => {
                let name = format!("{prefix}trait {}", t.ident);
                self.generics(&t.generics, &name);
                self.bounds(&t.supertraits, &name);
                for inner in &t.items {
                    if let syn::TraitItem::Fn(f) = inner {
                        self.signature(&f.sig, &format!("{name}::{}", f.sig.ident));
                    }
                }
            }
            syn::Item::Impl(i) => self.impl_block(i, prefix),
            syn::Item::Mod(m) if !is_cfg_test(&m.attrs) => {
                if let Some((_, inner)) = &m.content {
                    let saved = std::mem::replace(&mut self.imports, imports(inner));
                    self.items(inner, &format!("{prefix}{}::", m.ident));
                    self.imports = saved;
                }
            }
            syn::Item::Use(u) if is_pub(&u.vis) => {
                let mut roots = BTreeMap::new();
                collect_use_roots(&u.tree, None, &mut roots);
                for (root, name) in roots {
                    self.note(root, &format!("{prefix}pub use {name}"));
                }
            }
            _ => {}
        }
    }

    fn impl_block(&mut self, block: &syn::ItemImpl, prefix: &str) {
        let name = format!("{prefix}impl");
        if let Some((trait_path, _)) = &block.trait_ {
            // A trait impl is public wherever the type is: the trait and
            // its type arguments are part of the API (`From<reqwest::Error>`).
            self.path(trait_path, &name);
            for inner in &block.items {
                if let syn::ImplItem::Fn(f) = inner {
                    self.signature(&f.sig, &format!("{name} {}", f.sig.ident));
                }
            }
            return;
        }
        for inner in &block.items {
            if let syn::ImplItem::Fn(f) = inner
                && is_pub(&f.vis)
            {
                self.signature(&f.sig, &format!("{name} fn {}", f.sig.ident));
            }
        }
    }
}

/// The crate each name of a `pub use` comes from.
fn collect_use_roots(tree: &syn::UseTree, first: Option<&str>, out: &mut BTreeMap<String, String>) {
    match tree {
        syn::UseTree::Path(path) => {
            let head = path.ident.to_string();
            collect_use_roots(&path.tree, Some(first.unwrap_or(&head)), out);
        }
        syn::UseTree::Name(name) => {
            let ident = name.ident.to_string();
            out.insert(first.unwrap_or(&ident).to_owned(), ident);
        }
        syn::UseTree::Rename(rename) => {
            let ident = rename.ident.to_string();
            out.insert(first.unwrap_or(&ident).to_owned(), ident);
        }
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                collect_use_roots(tree, first, out);
            }
        }
        syn::UseTree::Glob(_) => {
            if let Some(first) = first {
                out.insert(first.to_owned(), "*".to_owned());
            }
        }
    }
}

/// `cargo xtask external-types`: prints what the public API exposes and
/// fails on anything not allowed.
pub fn check(root: &Path, out: &mut dyn std::io::Write) -> Result<()> {
    let found = scan(root, CHECKED)?;
    let bad = disallowed(&found);
    for f in &found {
        writeln!(out, "{:<20} {}", f.krate, f.place).ok();
    }
    if bad.is_empty() {
        writeln!(out, "external types: every outside crate is allowed").ok();
        return Ok(());
    }
    let list: Vec<String> = bad
        .iter()
        .map(|f| format!("{} ({})", f.krate, f.place))
        .collect();
    Err(crate::error::Error::msg(format!(
        "the public API exposes crates that xtask/src/external_types.rs does not allow: {}",
        list.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{TempDir, repo_root};

    #[test]
    fn the_public_api_exposes_only_allowed_crates() {
        let found = scan(&repo_root(), CHECKED).unwrap();
        let bad = disallowed(&found);
        assert!(bad.is_empty(), "not allowed: {bad:#?}");
        // The scan does see outside types (it would pass vacuously otherwise).
        assert!(found.iter().any(|f| f.krate == "secrecy"), "{found:#?}");
    }

    #[test]
    fn signatures_fields_impls_and_reexports_are_seen() {
        let tmp = TempDir::new();
        let src = tmp.path().join("crates/demo/src");
        fs::create_dir_all(src.join("generated")).unwrap();
        fs::write(
            tmp.path().join("crates/demo/Cargo.toml"),
            "[package]\nname = \"demo\"\n[dependencies]\nhidden.workspace = true\n\
             other = \"1\"\nfieldcrate = { version = \"1\" }\nprivatecrate = \"1\"\n\
             implcrate = \"1\"\nreexported = \"1\"\nnothere = \"1\"\ngen = \"1\"\n\
             testcrate = \"1\"\n[dev-dependencies]\ndevonly = \"1\"\n",
        )
        .unwrap();
        fs::write(
            src.join("lib.rs"),
            "use hidden::Thing;\n\
             use std::collections::HashMap;\n\
             pub fn f(x: Thing) -> HashMap<String, other::Map> { todo!() }\n\
             pub struct S { pub a: fieldcrate::A, b: privatecrate::B }\n\
             impl From<implcrate::E> for S { fn from(_: implcrate::E) -> S { todo!() } }\n\
             pub use reexported::Item;\n\
             fn private(_: nothere::X) {}\n\
             pub fn local(_: module::Local, _: devonly::X) {}\n\
             #[cfg(test)] mod tests { pub fn t(_: testcrate::X) {} }\n",
        )
        .unwrap();
        fs::write(src.join("generated/mod.rs"), "pub fn g(_: gen::X) {}\n").unwrap();
        let found = scan(tmp.path(), &["crates/demo"]).unwrap();
        let crates: BTreeSet<&str> = found.iter().map(|f| f.krate.as_str()).collect();
        for expected in [
            "hidden",
            "std",
            "other",
            "fieldcrate",
            "implcrate",
            "reexported",
        ] {
            assert!(crates.contains(expected), "{expected} in {crates:?}");
        }
        for unexpected in [
            "privatecrate",
            "nothere",
            "gen",
            "module",
            "devonly",
            "testcrate",
        ] {
            assert!(!crates.contains(unexpected), "{unexpected} in {crates:?}");
        }
        let bad: Vec<&str> = disallowed(&found)
            .iter()
            .map(|f| f.krate.as_str())
            .collect();
        assert!(bad.contains(&"hidden") && !bad.contains(&"std"), "{bad:?}");
    }
}
