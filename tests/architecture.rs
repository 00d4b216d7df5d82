//! The layering, checked: crates depend on each other in one direction only, the lower crates do
//! not pull in the higher layers' libraries, and no two files of a crate import each other through
//! a circle. ARCHITECTURE.md explains the rules; this test keeps them true.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The names a crate's `[dependencies]` table lists (dev-dependencies excluded).
fn dependencies(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    doc.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

/// Which of our crates each crate may use, and external libraries it must not use.
const LAYERS: &[(&str, &[&str], &[&str])] = &[
    (
        "crates/domain",
        &[],
        &[
            "tokio", "sqlx", "axum", "askama", "lettre", "tantivy", "store", "app", "web", "seed",
        ],
    ),
    (
        "crates/store",
        &["domain"],
        &[
            "axum",
            "askama",
            "lettre",
            "tantivy",
            "tower-http",
            "app",
            "web",
            "seed",
        ],
    ),
    (
        "crates/app",
        &["domain", "store"],
        &["axum", "askama", "tower-http", "web", "seed"],
    ),
    (
        "crates/web",
        &["domain", "app"],
        &["sqlx", "store", "seed", "tantivy"],
    ),
    (
        "crates/seed",
        &["domain", "store", "app"],
        &["sqlx", "axum", "askama", "web"],
    ),
    (
        ".",
        &["domain", "app", "web", "seed"],
        &["sqlx", "axum", "store"],
    ),
];
const OURS: &[&str] = &["domain", "store", "app", "web", "seed"];

#[test]
fn crates_depend_downwards_only() {
    let mut problems = vec![];
    let mut seen = BTreeSet::new();
    for (dir, allowed, forbidden) in LAYERS {
        seen.insert(dir.to_string());
        let deps = dependencies(&root().join(dir).join("Cargo.toml"));
        for d in &deps {
            if OURS.contains(&d.as_str()) && !allowed.contains(&d.as_str()) {
                problems.push(format!(
                    "{dir} depends on {d}, against the direction of the layers"
                ));
            }
            if forbidden.contains(&d.as_str()) {
                problems.push(format!("{dir} must not depend on {d}"));
            }
        }
    }
    // A new crate must be placed in the table above.
    for e in std::fs::read_dir(root().join("crates")).unwrap() {
        let dir = format!("crates/{}", e.unwrap().file_name().to_string_lossy());
        if !seen.contains(&dir) {
            problems.push(format!(
                "{dir} is not in the layer table of tests/architecture.rs"
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The API's schema library is the web crate's concern: below it, `utoipa` may only be an optional
/// dependency behind the `openapi` feature, which only the web crate switches on. So `store` and `app`
/// compile without it, and a row or use-case type gains an HTTP schema only when web asks for one.
#[test]
fn api_schemas_are_optional_below_web() {
    let mut problems = vec![];
    for dir in ["crates/domain", "crates/store", "crates/app"] {
        let text = std::fs::read_to_string(root().join(dir).join("Cargo.toml")).unwrap();
        let doc: toml::Table = text.parse().unwrap();
        let dep = doc.get("dependencies").and_then(|d| d.get("utoipa"));
        let optional = dep
            .and_then(|d| d.get("optional"))
            .and_then(|o| o.as_bool())
            .unwrap_or(false);
        if dep.is_some() && !optional {
            problems.push(format!("{dir}: utoipa must be optional (feature openapi)"));
        }
        for (name, spec) in doc
            .get("dependencies")
            .and_then(|d| d.as_table())
            .into_iter()
            .flatten()
        {
            let features = spec.get("features").and_then(|f| f.as_array());
            if features.is_some_and(|f| f.iter().any(|x| x.as_str() == Some("openapi"))) {
                problems.push(format!("{dir} switches on openapi in {name}; only web may"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Module path of a source file relative to its crate's `src`: `lib.rs`/`main.rs` → "", `a.rs`
/// and `a/mod.rs` → "a", `a/b.rs` → "a::b".
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// The modules of the same crate that a file's code refers to (`crate::a::b`, `super::x`),
/// resolved to the longest module that exists. Unit-test sections are left out.
fn references(text: &str, me: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap();
    let parent = me
        .rsplit_once("::")
        .map(|(p, _)| p.to_string())
        .unwrap_or_default();
    let mut out = BTreeSet::new();
    for (prefix, base) in [("crate::", String::new()), ("super::", parent)] {
        for (i, _) in code.match_indices(prefix) {
            if i > 0 && code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let rest: String = code[i + prefix.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut path: Vec<&str> = if base.is_empty() {
                vec![]
            } else {
                base.split("::").collect()
            };
            let mut best = base.clone();
            for seg in rest.split("::").filter(|s| !s.is_empty()) {
                path.push(seg);
                let candidate = path.join("::");
                if modules.contains(&candidate) {
                    best = candidate;
                } else {
                    break;
                }
            }
            if best != me {
                out.insert(best);
            }
        }
    }
    out
}

/// Strongly connected components with more than one module (Tarjan).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct S<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut S<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on.insert(v);
        for w in s.g.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let l = s.low[w].min(s.low[v]);
                s.low.insert(v, l);
            } else if s.on.contains(w) {
                let l = s.index[w].min(s.low[v]);
                s.low.insert(v, l);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = vec![];
            loop {
                let w = s.stack.pop().unwrap();
                s.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = S {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: vec![],
        on: BTreeSet::new(),
        out: vec![],
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn no_circles_between_files() {
    let mut found = vec![];
    let mut srcs: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .collect();
    srcs.push(root().join("src"));
    for src in srcs {
        let files = rust_files(&src);
        let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
        let mut graph = BTreeMap::new();
        for f in &files {
            let me = module_of(&src, f);
            let text = std::fs::read_to_string(f).unwrap();
            graph.insert(me.clone(), references(&text, &me, &modules));
        }
        for c in circles(&graph) {
            found.push(format!("{}: {}", src.display(), c.join(" ↔ ")));
        }
    }
    assert!(
        found.is_empty(),
        "files that import each other in a circle:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checker_finds_a_circle() {
    let modules: BTreeSet<String> = ["", "a", "b", "c"].iter().map(|s| s.to_string()).collect();
    let mut g = BTreeMap::new();
    g.insert(
        "a".to_string(),
        references("use crate::b::X;", "a", &modules),
    );
    g.insert(
        "b".to_string(),
        references("use super::c::Y; fn f() { crate::a::z() }", "b", &modules),
    );
    g.insert(
        "c".to_string(),
        references("use std::ops::Range;", "c", &modules),
    );
    assert_eq!(circles(&g), vec![vec!["a".to_string(), "b".to_string()]]);
}

/// The OpenAPI name of every type that derives `ToSchema` in `text`: its `schema(as = …)` name or
/// its own, and for enums made by the catalogue's `names!` macro the name given after `as`.
fn schema_names(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap();
    let lines: Vec<&str> = code.lines().collect();
    let mut out = vec![];
    let renamed = |l: &str| {
        l.split_once("schema(as = ").map(|(_, r)| {
            let name: String = r
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            name.rsplit("::").next().unwrap().to_string()
        })
    };
    for (i, l) in lines.iter().enumerate() {
        if !(l.contains("derive(") && l.contains("ToSchema")) {
            continue;
        }
        let mut name = renamed(l);
        for next in &lines[i + 1..] {
            let mut t = next.trim_start();
            // Visibility first (`pub(super) struct`): what follows is the item.
            if let Some(r) = t.strip_prefix("pub(") {
                t = r.split_once(") ").map_or(t, |(_, r)| r);
            }
            if name.is_none() {
                name = renamed(t);
            }
            if let Some(rest) = ["pub struct ", "pub enum ", "struct ", "enum "]
                .iter()
                .find_map(|k| t.strip_prefix(k))
            {
                let own: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
                    .collect();
                let n = name.take().unwrap_or(own);
                // A macro's template: its invocations name the types (below).
                if !n.starts_with('$') {
                    out.push(n);
                }
                break;
            }
        }
    }
    if code.contains("macro_rules! names") {
        for part in code.split("names!(").skip(1) {
            let head = part
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("///"))
                .unwrap_or("");
            if let Some((_, s)) = head.split_once(" as ") {
                out.push(s.split(',').next().unwrap().trim().to_string());
            }
        }
    }
    out
}

/// Two types under one OpenAPI name make the document describe one with the other's shape (the
/// catalogue's figures were once described as an indicator's): every name is unique.
#[test]
fn every_api_schema_has_its_own_name() {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in std::fs::read_dir(root().join("crates")).unwrap() {
        let src = e.unwrap().path().join("src");
        for f in rust_files(&src) {
            let text = std::fs::read_to_string(&f).unwrap();
            for n in schema_names(&text) {
                seen.entry(n)
                    .or_default()
                    .push(f.strip_prefix(root()).unwrap().display().to_string());
            }
        }
    }
    assert!(seen.len() > 100, "only {} schemas found", seen.len());
    assert!(seen.contains_key("CatalogueKind") && seen.contains_key("Quality"));
    let twice: Vec<_> = seen.iter().filter(|(_, fs)| fs.len() > 1).collect();
    assert!(twice.is_empty(), "{twice:#?}");
}

#[test]
fn the_schema_name_checker_reads_renames_and_macros() {
    let text = "#[derive(Serialize)]\n#[cfg_attr(feature = \"openapi\", derive(utoipa::ToSchema), schema(as = Other))]\npub struct Mine {}\n#[derive(ToSchema)]\n/// Doc.\npub enum Plain { A }\nmacro_rules! names { () => { #[derive(utoipa::ToSchema)]\n pub enum $t {} } }\nnames!(\n    /// What.\n    Kind as CatalogueKind, \"k\", [A => \"a\"]);\n";
    assert_eq!(
        schema_names(text),
        ["Other", "Plain", "CatalogueKind"].map(String::from)
    );
}
