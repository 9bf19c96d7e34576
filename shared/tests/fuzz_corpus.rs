//! Replays the minimized fuzz corpora (`fuzz/corpus/<target>/`) on stable,
//! without cargo-fuzz, through the fuzz targets' own checks
//! (`fuzz/src/checks.rs`). Every input that once found new code paths keeps
//! being checked in CI. See docs/fuzzing.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

#[allow(dead_code)]
mod checks {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/src/checks.rs"
    ));
}

/// Every file of one target's corpus, sorted. Fails when the directory is
/// missing or empty, so the replay can never pass by testing nothing.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus directory {} is missing: {e}", dir.display()));
    let mut files: Vec<(PathBuf, Vec<u8>)> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "corpus {} holds only {} files",
        dir.display(),
        files.len()
    );
    files
}

/// Runs `check` on every input, naming the file that fails.
fn replay(target: &str, check: fn(&[u8])) {
    for (path, bytes) in corpus(target) {
        let outcome = std::panic::catch_unwind(|| check(&bytes));
        if let Err(panic) = outcome {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string()))
                .unwrap_or_default();
            panic!("{target}: {} fails: {msg}", path.display());
        }
    }
}

#[test]
fn the_decode_record_corpus_passes_the_fuzz_checks() {
    replay("decode_record", checks::check_decode_record);
}

#[test]
fn the_process_event_corpus_passes_the_fuzz_checks() {
    replay("process_event", checks::check_process_event);
}

#[test]
fn the_parse_differential_corpus_passes_the_fuzz_checks() {
    replay("parse_differential", checks::check_parse_differential);
}
