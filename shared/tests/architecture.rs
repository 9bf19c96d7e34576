//! The library's layering, checked from its source (docs/architecture.md):
//! no module imports, directly or through others, a module that imports it
//! back; and no module holds more than about 800 lines of code. Test code
//! (`#[cfg(test)]` items) is left out of both: tests may reach across.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lines of code a module may hold, unit tests, comments and blank lines
/// not counted.
const MAX_CODE_LINES: usize = 800;

/// Every module of `shared/src`, by path (`firehose::batch`), with its
/// source with test items removed.
fn modules() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&root, &mut files);
    assert!(
        files.len() > 20,
        "only {} files under {}",
        files.len(),
        root.display()
    );
    files
        .into_iter()
        .map(|file| {
            let rel = file.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            let path = parts.join("::");
            let text = std::fs::read_to_string(&file).unwrap();
            (path, without_tests(&text))
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `text` without comments and without the items marked `#[cfg(test)]`
/// (up to the end of the item: its `;` or its matching brace).
fn without_tests(text: &str) -> String {
    let code: String = text
        .lines()
        .map(|l| match l.find("//") {
            // Good enough for this source: no `//` inside the strings of
            // lines that matter for imports.
            Some(at) if !l[..at].contains('"') => &l[..at],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at + "#[cfg(test)]".len()..];
        let end = item_end(item);
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// Where the item at the start of `text` ends.
fn item_end(text: &str) -> usize {
    let mut depth = 0usize;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b';' if depth == 0 => return i + 1,
            _ => {}
        }
    }
    text.len()
}

/// The modules `module`'s code refers to: `crate::` paths and `super::`
/// paths, in `use` trees and inline, each resolved to the longest known
/// module it names.
fn imports(module: &str, code: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut paths = Vec::new();
    for stmt in code.split(';') {
        let Some(at) = stmt.find("use ") else {
            continue;
        };
        let tree: String = stmt[at + 4..]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        expand(&tree, &mut paths);
    }
    for (at, _) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        let before = code[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let path: String = code[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        paths.push(path);
    }
    let parent: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
    let mut out = BTreeSet::new();
    for path in paths {
        let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let mut base: Vec<&str> = Vec::new();
        match segs.first() {
            Some(&"crate") => {
                segs.remove(0);
            }
            Some(&"super") => {
                // `super` of a module file is its parent; of a `mod.rs`, the
                // parent's parent, as of any other file.
                base = parent.clone();
                while segs.first() == Some(&"super") {
                    segs.remove(0);
                    base.pop();
                }
            }
            _ => continue,
        }
        let full: Vec<&str> = base.into_iter().chain(segs).collect();
        for n in (1..=full.len()).rev() {
            let candidate = full[..n].join("::");
            if known.contains(&candidate) {
                if candidate != module {
                    out.insert(candidate);
                }
                break;
            }
        }
    }
    out
}

/// The paths of a `use` tree (`crate::a::{b, c::{d, e}}`), without spaces.
fn expand(tree: &str, out: &mut Vec<String>) {
    let Some(open) = tree.find('{') else {
        out.push(tree.to_string());
        return;
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand(&format!("{prefix}{}", &inner[start..i]), out);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < inner.len() {
        expand(&format!("{prefix}{}", &inner[start..]), out);
    }
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(m, code)| (m.clone(), imports(m, code, &known)))
        .collect()
}

/// A cycle through `graph`, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(m) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = stack.iter().position(|s| s == m).unwrap_or(0);
                let mut cycle = stack[from..].to_vec();
                cycle.push(m.to_string());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(m.to_string(), Mark::Open);
        stack.push(m.to_string());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, graph, marks, stack) {
                return Some(c);
            }
        }
        stack.pop();
        marks.insert(m.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for m in graph.keys() {
        if let Some(c) = visit(m, graph, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let mut graph = graph();
    // The crate root only declares and re-exports.
    graph.remove("");
    for deps in graph.values_mut() {
        deps.remove("");
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!("module import cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_layers_point_downwards() {
    let graph = graph();
    let deps = |m: &str| graph.get(m).cloned().unwrap_or_default();
    let below = |m: &str, other: &str| {
        assert!(
            !deps(m)
                .iter()
                .any(|d| d == other || d.starts_with(&format!("{other}::"))),
            "{m} imports {other}: {:?}",
            deps(m)
        )
    };
    // The JSON layer knows nothing of Cognito, our formats or Firehose.
    for m in ["json", "json::parse", "json::value", "json::escape"] {
        assert!(graph.contains_key(m), "no module {m}");
        for above in [
            "cognito",
            "normalize",
            "output",
            "firehose",
            "pipeline",
            "envelope",
        ] {
            below(m, above);
        }
    }
    // The pipeline and everything under it know nothing of Firehose.
    for m in [
        "pipeline",
        "pipeline::reader",
        "envelope",
        "filter",
        "output",
        "cognito",
    ] {
        below(m, "firehose");
    }
    // Filters classify with the taxonomy, not with an output format.
    below("filter", "output");
}

#[test]
fn the_checker_sees_a_cycle_when_there_is_one() {
    let known: BTreeSet<String> = ["a", "b", "b::c"].iter().map(|s| s.to_string()).collect();
    let a = imports("a", "use crate::b::c::{X, Y};", &known);
    let c = imports("b::c", "fn f() { super::super::a::g() }", &known);
    assert_eq!(a, BTreeSet::from(["b::c".to_string()]));
    assert_eq!(c, BTreeSet::from(["a".to_string()]));
    let graph = BTreeMap::from([("a".to_string(), a), ("b::c".to_string(), c)]);
    assert!(find_cycle(&graph).is_some());
    let tests_only =
        without_tests("use crate::a;\n#[cfg(test)]\nmod tests { use crate::b; }\nfn x() {}");
    assert_eq!(
        imports("z", &tests_only, &known),
        BTreeSet::from(["a".to_string()])
    );
}

#[test]
fn no_module_is_over_about_800_lines_of_code() {
    let mut over = Vec::new();
    for (m, code) in modules() {
        let lines = code.lines().filter(|l| !l.trim().is_empty()).count();
        if lines > MAX_CODE_LINES {
            over.push(format!("{m}: {lines}"));
        }
    }
    assert!(
        over.is_empty(),
        "modules over {MAX_CODE_LINES} lines of code: {over:?}"
    );
}
