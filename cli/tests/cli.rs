//! The CLI's contract: replay runs the Lambda's code path, normalize gives the
//! same lines as the Lambda for the same records, errors are clear.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failing test

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use cognito_activity::config::OutputFormat;
use serde_json::Value;

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

fn cli(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cognito-activity"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn cognito-activity");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait")
}

/// The raw Cognito records inside a sample event (direct records only).
fn raw_lines(event: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    for r in event["records"].as_array().unwrap() {
        let data = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap();
        out.extend_from_slice(&data);
        out.push(b'\n');
    }
    out
}

#[test]
fn normalize_gives_the_same_lines_as_the_lambda_in_every_format() {
    for file in [
        "firehose-direct-signin.json",
        "firehose-account-changes.json",
        "firehose-signin-account-takeover.json",
    ] {
        let path = events_dir().join(file);
        let event: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for format in OutputFormat::NAMES {
            let replay = cli(
                &["replay", path.to_str().unwrap()],
                &[("OUTPUT_FORMAT", format)],
                None,
            );
            assert!(replay.status.success());
            let response: Value = serde_json::from_slice(&replay.stdout).unwrap();
            let mut lambda_lines = Vec::new();
            for r in response["records"].as_array().unwrap() {
                assert_eq!(r["result"], "Ok", "{file}");
                let data = base64::engine::general_purpose::STANDARD
                    .decode(r["data"].as_str().unwrap())
                    .unwrap();
                lambda_lines.extend_from_slice(&data);
            }
            let normalized = cli(
                &[
                    "normalize",
                    "--format",
                    format,
                    "--account-id",
                    "123456789012",
                ],
                &[],
                Some(&raw_lines(&event)),
            );
            assert!(
                normalized.status.success(),
                "{}",
                String::from_utf8_lossy(&normalized.stderr)
            );
            assert_eq!(
                String::from_utf8(normalized.stdout).unwrap(),
                String::from_utf8(lambda_lines).unwrap(),
                "{file} {format}"
            );
        }
    }
}

#[test]
fn normalize_reads_cloudwatch_logs_envelopes_as_the_lambda_does() {
    let path = events_dir().join("firehose-cwl-subscription.json");
    let event: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    // Each record's envelope, gunzipped, one per line: what a CloudWatch
    // Logs subscription delivers.
    let mut envelopes = Vec::new();
    for r in event["records"].as_array().unwrap() {
        let gz = STANDARD.decode(r["data"].as_str().unwrap()).unwrap();
        let text = cognito_activity::decode::gunzip_capped(&gz, 1 << 20).unwrap();
        assert!(!text.contains(&b'\n'));
        envelopes.extend_from_slice(&text);
        envelopes.push(b'\n');
    }
    for format in OutputFormat::NAMES {
        let replay = cli(
            &["replay", path.to_str().unwrap()],
            &[("OUTPUT_FORMAT", format)],
            None,
        );
        let response: Value = serde_json::from_slice(&replay.stdout).unwrap();
        let mut lambda_lines = Vec::new();
        for r in response["records"].as_array().unwrap() {
            // The sample's control message is dropped both ways.
            if r["result"] == "Dropped" {
                continue;
            }
            assert_eq!(r["result"], "Ok");
            lambda_lines.extend(STANDARD.decode(r["data"].as_str().unwrap()).unwrap());
        }
        let normalized = cli(&["normalize", "--format", format], &[], Some(&envelopes));
        let stderr = String::from_utf8_lossy(&normalized.stderr);
        assert!(normalized.status.success(), "{stderr}");
        assert!(stderr.contains(", 0 bad lines"), "{stderr}");
        assert!(lambda_lines.len() > 100, "{format}");
        assert_eq!(
            String::from_utf8(normalized.stdout).unwrap(),
            String::from_utf8(lambda_lines).unwrap(),
            "{format}"
        );
    }
}

#[test]
fn normalize_reports_bad_lines_with_file_and_line_and_counts_them() {
    let dir = std::env::temp_dir().join(format!("cognito-activity-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mixed.ndjson");
    let good = r#"{"eventSource":"USER_AUTH_EVENTS","message":{"eventType":"SignIn","eventResponse":"Pass"}}"#;
    std::fs::write(
        &file,
        format!("{good}\nnot json\n\n{{\"hello\":1}}\n{good}\n"),
    )
    .unwrap();
    let out = cli(&["normalize", file.to_str().unwrap()], &[], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("mixed.ndjson:2:"), "{stderr}");
    assert!(stderr.contains("mixed.ndjson:4:"), "{stderr}");
    assert!(
        stderr.contains("4 lines read, 2 events written, 0 filtered, 2 bad lines"),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn normalize_reads_gzip_input() {
    use flate2::write::GzEncoder;
    let line = br#"{"eventSource":"USER_AUTH_EVENTS","message":{"eventType":"SignUp"}}"#;
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(line).unwrap();
    let gz = enc.finish().unwrap();
    let out = cli(&["normalize"], &[], Some(&gz));
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["event"]["type"], "SignUp");
}

#[test]
fn replay_refuses_a_file_that_is_not_a_firehose_event() {
    let dir = std::env::temp_dir().join(format!("cognito-activity-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("not-an-event.json");
    std::fs::write(&file, "[1,2,3]").unwrap();
    let out = cli(&["replay", file.to_str().unwrap()], &[], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a Firehose event"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn replay_stops_on_a_bad_setting_naming_the_variable_and_allowed_values() {
    let path = events_dir().join("firehose-direct-signin.json");
    let out = cli(
        &["replay", path.to_str().unwrap()],
        &[("IP_MODE", "scramble")],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("IP_MODE") && stderr.contains("keep, truncate, hash"),
        "{stderr}"
    );
}

#[test]
fn replay_answers_every_record_of_the_mixed_batch_in_order() {
    let path = events_dir().join("firehose-mixed-batch.json");
    let event: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let out = cli(&["replay", path.to_str().unwrap()], &[], None);
    assert!(out.status.success());
    let response: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids_in: Vec<&Value> = event["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["recordId"])
        .collect();
    let ids_out: Vec<&Value> = response["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["recordId"])
        .collect();
    assert_eq!(ids_in, ids_out);
    let results: Vec<&str> = response["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_str().unwrap())
        .collect();
    assert_eq!(
        results,
        [
            "Ok",
            "ProcessingFailed",
            "ProcessingFailed",
            "ProcessingFailed",
            "ProcessingFailed",
            "ProcessingFailed",
            "ProcessingFailed",
            "Ok",
            "Ok"
        ]
    );
    // Failed records carry their original data back, always as base64:
    // what is sent, decoded, is what came in.
    for (i, r) in response["records"].as_array().unwrap().iter().enumerate() {
        if r["result"] == "ProcessingFailed" {
            let sent = event["records"][i]["data"].as_str().unwrap();
            let back = STANDARD.decode(r["data"].as_str().unwrap()).unwrap();
            match STANDARD.decode(sent) {
                Ok(bytes) => assert_eq!(back, bytes, "record {i}"),
                Err(_) => assert_eq!(back, sent.as_bytes(), "record {i}: not base64"),
            }
        }
    }
}
