//! The library's sample Cognito records (`shared/tests/fixtures/`), for the
//! tests of the crates built on it, so that each reads them the same way.
//! Behind the `fixtures` feature, which only dev-dependencies turn on: no
//! function is built with it.

use std::path::{Path, PathBuf};

/// Where the fixtures are.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every fixture file, in name order.
pub fn paths() -> Vec<PathBuf> {
    let dir = dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    paths.sort();
    assert!(
        paths.len() > 10,
        "the fixtures are missing from {}",
        dir.display()
    );
    paths
}

/// Every fixture as one line of compact JSON, as Cognito writes a record,
/// in name order.
pub fn lines() -> Vec<String> {
    paths()
        .iter()
        .map(|p| {
            let text = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            serde_json::from_slice::<serde_json::Value>(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", p.display()))
                .to_string()
        })
        .collect()
}
