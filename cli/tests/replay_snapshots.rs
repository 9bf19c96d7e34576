//! Every sample event in `events/`, replayed through the CLI binary in every
//! output format, snapshotted (decoded, so the diffs are readable). Adding a
//! sample is adding a file; `cargo insta review` accepts intended changes.

use std::path::Path;
use std::process::Command;

const FORMATS: [&str; 4] = ["normalized", "ocsf", "ecs", "splunk"];

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
    insta::glob!("../../events", "*.json", |path| {
        for format in FORMATS {
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_suffix(format);
            settings.set_prepend_module_to_snapshot(false);
            settings.bind(|| insta::assert_snapshot!(replay(path, format)));
        }
    });
}
