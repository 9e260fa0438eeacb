//! The module map of `ARCHITECTURE.md`, enforced: every top-level module of
//! `src/` has a layer, imports only from its own layer or the ones below,
//! and the imports between top-level modules have no cycle. `domain`, at
//! the bottom, imports nothing of the crate. And no file of `src/` passes
//! 400 lines: one that does is usually two ideas.

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
    ],
    &["config"],
    &["http", "metrics", "catalog"],
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
            let rest = &source[at + prefix.len()..];
            if let Some(list) = rest.strip_prefix('{') {
                // `crate::{a, b::c, d}`: the first name of each entry.
                let mut depth = 0;
                let mut entry_start = true;
                for (i, c) in list.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => entry_start = true,
                        c if entry_start && (c.is_alphabetic() || c == '_') => {
                            entry_start = false;
                            found.insert(identifier(&list[i..]));
                        }
                        _ => {}
                    }
                }
            } else {
                found.insert(identifier(rest));
            }
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
fn no_source_file_passes_four_hundred_lines() {
    let mut files = Vec::new();
    collect_rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let long: Vec<String> = files
        .iter()
        .map(|f| (f, std::fs::read_to_string(f).unwrap().lines().count()))
        .filter(|(_, lines)| *lines > 400)
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
