//! Every sample event in `events/`, replayed through the CLI binary in every
//! output format, snapshotted as `replay --decode` prints it: each record's
//! id and result, then the exact bytes of the lines the Lambda emits for it
//! (key order, escapes and all). Adding a sample is adding a file;
//! `cargo insta review` accepts intended changes.

use std::path::Path;
use std::process::Command;

use cognito_activity::config::OutputFormat;

/// The library's one list, so a new format gets snapshots without a change here.
const FORMATS: [&str; OutputFormat::ALL.len()] = OutputFormat::NAMES;

fn replay(path: &Path, format: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cognito-activity"))
        .args(["replay", "--decode", "--format", format])
        .arg(path)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("run cognito-activity");
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn every_sample_event_replays_to_its_snapshot_in_every_format() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("events/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "the sample events are missing");
    for path in &files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("file name");
        for format in FORMATS {
            let mut settings = insta::Settings::clone_current();
            settings.set_prepend_module_to_snapshot(false);
            settings.set_input_file(path);
            settings
                .bind(|| insta::assert_snapshot!(format!("{stem}@{format}"), replay(path, format)));
        }
    }
}
