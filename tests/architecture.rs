//! The module map of `ARCHITECTURE.md`, enforced: every top-level module of
//! `src/` has a layer, imports only from its own layer or the ones below,
//! and the imports between top-level modules have no cycle. `domain`, at
//! the bottom, imports nothing of the crate. Below the top level, no file
//! imports a file that imports it back (`file_graph`). And no file of
//! `src/` passes 350 lines: one that does is usually two ideas.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level modules by layer, bottom first.
const LAYERS: &[&[&str]] = &[
    &["domain"],
    &[
        "wire",
        "db",
        "auth",
        "telemetry",
        "local_postgres",
        "synthetic",
        "heap",
    ],
    &["config"],
    &["http", "metrics", "catalog", "source", "export"],
    &["routes", "cli"],
    &["startup"],
];

type Graph = BTreeMap<String, BTreeSet<String>>;

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level modules a source file names through `crate::` (and, in a
/// module's root file, through `super::`, which is the crate there).
fn imports(source: &str, is_module_root: bool) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut prefixes = vec!["crate::"];
    if is_module_root {
        prefixes.push("super::");
    }
    for prefix in prefixes {
        for (at, _) in source.match_indices(prefix) {
            let preceded_by_ident = source[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            if preceded_by_ident {
                continue;
            }
            // `crate::{a, b::c, d}`: the first name of each entry.
            let rest = &source[at + prefix.len()..];
            found.extend(
                path_entries(rest)
                    .into_iter()
                    .filter_map(|p| p.first().cloned()),
            );
        }
    }
    found
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Imports between the top-level modules of `src/`.
fn crate_graph(src: &Path) -> Graph {
    let mut graph = Graph::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        let mut files = Vec::new();
        collect_rust_files(&path, &mut files);
        let edges = graph.entry(name.clone()).or_default();
        for file in files {
            let is_root = file == path || file == path.join("mod.rs");
            let source = std::fs::read_to_string(&file).unwrap();
            edges.extend(imports(&source, is_root).into_iter().filter(|m| *m != name));
        }
    }
    graph
}

fn collect_rust_files(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            collect_rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// Every import that breaks the layering, as `from -> to`.
fn violations(graph: &Graph) -> Vec<String> {
    let mut found = Vec::new();
    for (from, targets) in graph {
        let Some(from_layer) = layer_of(from) else {
            found.push(format!("{from} has no layer in tests/architecture.rs"));
            continue;
        };
        for to in targets {
            match layer_of(to) {
                _ if from == "domain" => found.push(format!("domain -> {to}")),
                Some(to_layer) if to_layer > from_layer => {
                    found.push(format!("{from} -> {to} (upward)"))
                }
                _ => {}
            }
        }
    }
    found
}

/// One cycle among the modules, if there is any.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn modules_import_only_downward_and_without_cycles() {
    let graph = crate_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.contains_key("domain") && graph.len() >= LAYERS.concat().len());
    assert_eq!(violations(&graph), Vec::<String>::new());
    assert_eq!(cycle(&graph), None);
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let graph = file_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.len() > 40, "{graph:?}");
    assert_eq!(cycle(&graph), None);
}

#[test]
fn no_source_file_passes_three_hundred_and_fifty_lines() {
    let mut files = Vec::new();
    collect_rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let long: Vec<String> = files
        .iter()
        .map(|f| (f, std::fs::read_to_string(f).unwrap().lines().count()))
        .filter(|(_, lines)| *lines > 350)
        .map(|(f, lines)| format!("{} ({lines} lines)", f.display()))
        .collect();
    assert!(files.len() > 40);
    assert_eq!(long, Vec::<String>::new());
}

#[test]
fn the_checker_finds_upward_imports_domain_imports_and_cycles() {
    let graph: Graph = [
        ("domain", vec!["wire"]),
        ("wire", vec!["db"]),
        ("db", vec!["wire", "http"]),
        ("http", vec![]),
    ]
    .into_iter()
    .map(|(from, to)| (from.to_owned(), to.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(
        violations(&graph),
        ["db -> http (upward)", "domain -> wire"]
    );
    assert_eq!(
        cycle(&graph),
        Some(vec!["db".to_owned(), "wire".to_owned(), "db".to_owned()])
    );
}

#[test]
fn imports_are_read_from_paths_and_lists() {
    let source = "use crate::{db::{self, x}, domain};\nfn f() { crate::wire::json::parse(); super::auth::x(); }";
    let names = |root| imports(source, root).into_iter().collect::<Vec<_>>();
    assert_eq!(names(false), ["db", "domain", "wire"]);
    assert_eq!(names(true), ["auth", "db", "domain", "wire"]);
}

/// The module path of each file of `src/` (`catalog/store/mod.rs` is
/// `catalog::store`; `lib.rs` is the crate, the empty path).
fn module_files(src: &Path) -> BTreeMap<String, std::path::PathBuf> {
    let mut files = Vec::new();
    collect_rust_files(src, &mut files);
    files
        .into_iter()
        .filter(|f| !f.ends_with("main.rs"))
        .map(|f| {
            let relative = f.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            (parts.join("::"), f)
        })
        .collect()
}

/// Imports between the files of `src/`, each file named by its module
/// path. A path is resolved to the deepest module file it names
/// (`crate::db::catalog_feed::CatalogRow` is `db::catalog_feed`); `pub use`
/// re-exports are a module's surface, not a dependency, and are left out.
fn file_graph(src: &Path) -> Graph {
    let modules = module_files(src);
    let mut graph = Graph::new();
    for (module, file) in &modules {
        let text = code_only(&std::fs::read_to_string(file).unwrap());
        let here: Vec<&str> = module.split("::").filter(|p| !p.is_empty()).collect();
        // `self` is this module; `super` its parent.
        let parent: Vec<&str> = here[..here.len().saturating_sub(1)].to_vec();
        let children: Vec<String> = text
            .lines()
            .filter_map(|l| {
                l.trim()
                    .strip_prefix("mod ")
                    .or(l.trim().strip_prefix("pub mod "))
            })
            .map(identifier)
            .collect();
        let edges = graph.entry(module.clone()).or_default();
        for (start, base) in path_starts(&text, &children) {
            let base: Vec<String> = match base {
                Base::Crate => Vec::new(),
                Base::Super(n) => parent[..parent.len() + 1 - n.min(parent.len() + 1)]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                Base::This => here.iter().map(|s| s.to_string()).collect(),
            };
            for segments in path_entries(&text[start..]) {
                let mut path = base.clone();
                let mut target = path.join("::");
                for segment in segments {
                    path.push(segment);
                    let candidate = path.join("::");
                    if modules.contains_key(&candidate) {
                        target = candidate;
                    } else {
                        break;
                    }
                }
                if target != *module {
                    edges.insert(target);
                }
            }
        }
    }
    graph
}

/// The code of a file without comment lines and without `pub use`
/// statements.
fn code_only(source: &str) -> String {
    let mut out = String::new();
    let mut in_reexport = false;
    for line in source.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if trimmed.starts_with("pub use ") || trimmed.starts_with("pub(crate) use ") {
            in_reexport = true;
        }
        if !in_reexport {
            out.push_str(line);
        }
        out.push('\n');
        if in_reexport && line.contains(';') {
            in_reexport = false;
        }
    }
    out
}

enum Base {
    Crate,
    /// `super::` repeated n times (n >= 1).
    Super(usize),
    This,
}

/// Where paths start in `text`: after `crate::`, `super::` (maybe
/// repeated), `self::`, or the name of a child module and `::`; each
/// with the offset of what follows the base.
fn path_starts(text: &str, children: &[String]) -> Vec<(usize, Base)> {
    let mut starts = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let preceded = i > 0 && {
            let c = bytes[i - 1] as char;
            c.is_alphanumeric() || c == '_' || c == ':'
        };
        let rest = &text[i..];
        if !preceded {
            if let Some(after) = rest.strip_prefix("crate::") {
                starts.push((text.len() - after.len(), Base::Crate));
                i += "crate::".len();
                continue;
            }
            if rest.starts_with("super::") {
                let mut n = 0;
                let mut after = rest;
                while let Some(a) = after.strip_prefix("super::") {
                    n += 1;
                    after = a;
                }
                starts.push((text.len() - after.len(), Base::Super(n)));
                i = text.len() - after.len();
                continue;
            }
            if let Some(after) = rest.strip_prefix("self::") {
                starts.push((text.len() - after.len(), Base::This));
                i += "self::".len();
                continue;
            }
            if let Some(child) = children
                .iter()
                .find(|c| rest.starts_with(&format!("{c}::")))
            {
                // The child's name is the first segment, relative to here.
                starts.push((i, Base::This));
                i += child.len() + 2;
                continue;
            }
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    starts
}

/// The module paths named at the start of `text`: `a::b::Name` is one,
/// `{a::x, b, self}` several (`self` names the prefix itself).
fn path_entries(text: &str) -> Vec<Vec<String>> {
    let mut prefix = Vec::new();
    let mut rest = text;
    loop {
        let name = identifier(rest);
        if name.is_empty() {
            break;
        }
        rest = &rest[name.len()..];
        prefix.push(name);
        match rest.strip_prefix("::") {
            Some(r) => rest = r,
            None => return vec![prefix],
        }
    }
    let Some(list) = rest.strip_prefix('{') else {
        return vec![prefix];
    };
    let mut entries = Vec::new();
    let mut depth = 0;
    let mut entry_start = true;
    for (i, c) in list.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => entry_start = true,
            c if entry_start && depth == 0 && (c.is_alphabetic() || c == '_') => {
                entry_start = false;
                let mut path = prefix.clone();
                for entry in path_entries(&list[i..]) {
                    let entry: Vec<String> = entry.into_iter().filter(|s| s != "self").collect();
                    path.extend(entry);
                    entries.push(path.clone());
                    path.truncate(prefix.len());
                }
            }
            _ => {}
        }
    }
    entries
}

#[test]
fn the_file_graph_resolves_paths_to_the_deepest_module_file() {
    let entries = path_entries("db::{self, catalog_feed::{Row, x}, items}::y;");
    assert_eq!(
        entries,
        vec![
            vec!["db".to_owned()],
            vec!["db".to_owned(), "catalog_feed".to_owned(), "Row".to_owned()],
            vec!["db".to_owned(), "catalog_feed".to_owned(), "x".to_owned()],
            vec!["db".to_owned(), "items".to_owned()],
        ]
    );
    assert_eq!(
        code_only("// crate::a\npub use b::C;\nuse d::E;\n"),
        "\nuse d::E;\n"
    );
}
