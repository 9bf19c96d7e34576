//! Every detection in `analysis/detections/`, on a generated dataset with
//! planted attacks among benign traffic, through the view of every output
//! format: each must find its planted attack and no benign user or address.
//! The work is in `analysis/check_detections.py` (the real CLI normalizes the
//! data; DuckDB runs the Athena SQL after a mechanical sqlglot translation).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use cognito_activity::config::OutputFormat;
use e2e::{cargo_binary, workspace};

/// The Python packages the check needs, pinned (as in `.ci/run`).
const PACKAGES: [&str; 2] = ["duckdb==2.0.1", "sqlglot==30.31.0"];

/// Installs the packages when they are missing, so `cargo test` needs no manual step.
fn ensure_python_packages() {
    let present = Command::new("python3")
        .args(["-c", "import duckdb, sqlglot"])
        .status()
        .expect("python3 runs");
    if present.success() {
        return;
    }
    let installed = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(PACKAGES)
        .status()
        .expect("pip runs");
    assert!(installed.success(), "pip install {PACKAGES:?} failed");
}

#[test]
fn every_detection_finds_its_planted_attack_and_no_benign_user_in_every_format() {
    ensure_python_packages();
    let cli = cargo_binary("cognito-activity-cli", "cognito-activity");
    let out = Command::new("python3")
        .arg(workspace().join("analysis/check_detections.py"))
        .arg("--cli")
        .arg(&cli)
        .arg("--formats")
        .arg(OutputFormat::NAMES.join(","))
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let detections = std::fs::read_dir(workspace().join("analysis/detections"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "sql")
        })
        .count();
    let summary = format!(
        "{detections} detections x {} formats",
        OutputFormat::NAMES.len()
    );
    assert!(stdout.contains(&summary), "{summary} not in {stdout}");
}
