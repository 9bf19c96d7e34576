//! The real `bootstrap` binary against a local Lambda Runtime API emulator
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>): the
//! shell must answer exactly what the library answers, send unusable events
//! to the error endpoint, refuse a bad configuration at init, and log JSON
//! lines without personal data.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use cognito_activity::{process_event, Config};
use e2e::{Bootstrap, Reply, RuntimeApi};
use serde_json::Value;

const EVENTS: &[&str] = &[
    "firehose-direct-signin.json",
    "firehose-cwl-subscription.json",
    "firehose-mixed-batch.json",
    "firehose-signin-account-takeover.json",
    "firehose-failed-password.json",
];

/// Personal data present in the sample events, which logs must never carry.
const SECRETS: &[&str] = &["192.0.2.10", "alice", "2001:db8::1", "hoge0808"];

fn read_event(name: &str) -> Vec<u8> {
    std::fs::read(e2e::workspace().join("events").join(name)).unwrap()
}

fn response(reply: Reply) -> Vec<u8> {
    match reply {
        Reply::Response(body) => body,
        Reply::Error(body) => panic!("error reply: {}", String::from_utf8_lossy(&body)),
    }
}

fn ids_in(json: &[u8], key: &str) -> Vec<String> {
    let v: Value = serde_json::from_slice(json).unwrap();
    v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[key].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn bootstrap_answers_every_sample_event_exactly_as_the_library_does() {
    let api = RuntimeApi::start();
    let function = Bootstrap::spawn(&api, &[]);
    for name in EVENTS {
        let event = read_event(name);
        let got = response(api.invoke(&event, Duration::from_secs(30)));
        let want = process_event(&event, &Config::default()).unwrap().to_json();
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "{name}: the bootstrap's response differs from process_event's"
        );
        assert_eq!(
            ids_in(&got, "recordId"),
            ids_in(&event, "recordId"),
            "{name}"
        );
    }
    drop(function);
}

#[test]
fn the_mixed_batch_fails_only_its_bad_records_and_echoes_their_data() {
    let api = RuntimeApi::start();
    let function = Bootstrap::spawn(&api, &[]);
    let event = read_event("firehose-mixed-batch.json");
    let got = response(api.invoke(&event, Duration::from_secs(30)));
    let input: Value = serde_json::from_slice(&event).unwrap();
    let output: Value = serde_json::from_slice(&got).unwrap();
    let input = input["records"].as_array().unwrap();
    let output = output["records"].as_array().unwrap();
    assert_eq!(input.len(), output.len());
    // Not JSON, not base64, not Cognito, empty, not UTF-8.
    let bad = ["0001", "9999", "0002", "0004", "0005"];
    for (i, o) in input.iter().zip(output) {
        let id = i["recordId"].as_str().unwrap();
        assert_eq!(o["recordId"], i["recordId"]);
        if bad.iter().any(|b| id.ends_with(b)) {
            assert_eq!(o["result"], "ProcessingFailed", "{id}");
            // Echoed as base64; data that was not base64 comes back as the
            // base64 of its text.
            let sent = i["data"].as_str().unwrap();
            let back = STANDARD.decode(o["data"].as_str().unwrap()).unwrap();
            let original = STANDARD
                .decode(sent)
                .unwrap_or_else(|_| sent.as_bytes().to_vec());
            assert_eq!(back, original, "{id}: original data echoed");
        }
    }
    let first = &output[0];
    assert_eq!(first["result"], "Ok");
    assert_ne!(first["data"], input[0]["data"]);

    // "invocation complete" is logged after every record's warning.
    let logs = function.logs_containing("invocation complete");
    for i in input {
        let id = i["recordId"].as_str().unwrap();
        if bad.iter().any(|b| id.ends_with(b)) {
            assert!(
                logs.contains(&format!("\"{id}\"")),
                "failed record {id} is not named in the logs:\n{logs}"
            );
        }
    }
    drop(function);
}

#[test]
fn an_event_that_is_not_a_firehose_event_goes_to_the_error_endpoint() {
    let api = RuntimeApi::start();
    let _function = Bootstrap::spawn(&api, &[]);
    // JSON of the wrong shape, not JSON, not UTF-8: the event reaches the
    // handler as the bytes that arrived, whatever they are.
    for bad in [&b"[]"[..], br#"{"foo":1}"#, b"not json", b"\xff\xfe{}"] {
        match api.invoke(bad, Duration::from_secs(30)) {
            Reply::Error(body) => {
                let v: Value = serde_json::from_slice(&body).unwrap();
                assert!(
                    v["errorMessage"].as_str().is_some_and(|m| !m.is_empty()),
                    "{v}"
                );
            }
            Reply::Response(body) => panic!("answered {}", String::from_utf8_lossy(&body)),
        }
    }
    // The function is still alive and answers the next good event.
    let event = read_event("firehose-direct-signin.json");
    assert!(matches!(
        api.invoke(&event, Duration::from_secs(30)),
        Reply::Response(_)
    ));
}

#[test]
fn an_invocation_whose_context_lambda_runtime_refuses_is_answered_with_an_error() {
    let api = RuntimeApi::start();
    let _function = Bootstrap::spawn(&api, &[]);
    let event = read_event("firehose-direct-signin.json");
    // A client context whose `custom` holds a number (lambda_runtime's
    // `ClientContext` takes text values only), and a client context that is
    // not JSON: Lambda passes on what the invoker sent.
    for header in [
        "Lambda-Runtime-Client-Context: {\"custom\":{\"n\":1}}\r\n",
        "Lambda-Runtime-Client-Context: not json\r\n",
    ] {
        match api.invoke_with_headers(&event, Duration::from_secs(30), header) {
            Reply::Error(body) => {
                let v: Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(v["errorType"], "InvalidContext", "{v}");
                // The refusal's text, which quotes the header, is not posted.
                assert!(
                    !body.windows(4).any(|w| w == b"json" || w == b"cust"),
                    "{v}"
                );
            }
            Reply::Response(body) => panic!("answered {}", String::from_utf8_lossy(&body)),
        }
    }
    // The function is still alive and answers the next event.
    assert!(matches!(
        api.invoke(&event, Duration::from_secs(30)),
        Reply::Response(_)
    ));
}

#[test]
fn a_bad_configuration_stops_the_function_naming_the_variable_and_the_choices() {
    let api = RuntimeApi::start();
    let mut function = Bootstrap::spawn(&api, &[("OUTPUT_FORMAT", "xml")]);
    let status = function.wait_exit().expect("the function kept running");
    assert!(!status.success());
    let logs = function.logs();
    assert!(logs.contains("OUTPUT_FORMAT"), "{logs}");
    // Lambda's own reporting gets it too: /runtime/init/error.
    let init = api
        .init_error(Duration::from_secs(1))
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .expect("the configuration error is posted to /runtime/init/error");
    let posted: Value = serde_json::from_str(&init).unwrap();
    assert_eq!(posted["errorType"], "ConfigurationError", "{init}");
    let message = posted["errorMessage"].as_str().unwrap();
    assert!(message.contains("OUTPUT_FORMAT"), "{message}");
    for choice in cognito_activity::config::OutputFormat::NAMES {
        assert!(message.contains(choice), "{choice} not named: {message}");
    }
}

#[test]
fn logs_are_json_lines_without_addresses_or_user_names() {
    let api = RuntimeApi::start();
    let function = Bootstrap::spawn(&api, &[("METRICS", "true")]);
    for name in EVENTS {
        response(api.invoke(&read_event(name), Duration::from_secs(30)));
    }
    let logs = function.logs_when(|l| l.matches("invocation complete").count() >= EVENTS.len());
    let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= EVENTS.len(), "{logs}");
    for line in &lines {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(v.is_object(), "{line}");
    }
    assert!(logs.contains("invocation complete"), "{logs}");
    for secret in SECRETS {
        assert!(!logs.contains(secret), "logs carry {secret}:\n{logs}");
    }
}

#[test]
fn no_log_level_carries_addresses_user_names_or_the_event() {
    // The sample events' raw record bytes, which no line may hold at any level.
    let needles: Vec<String> = SECRETS
        .iter()
        .map(|s| s.to_string())
        .chain([
            "\"records\"".to_string(),
            "approximateArrivalTimestamp".to_string(),
        ])
        .collect();
    for level in ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] {
        let api = RuntimeApi::start();
        let function = Bootstrap::spawn(&api, &[("AWS_LAMBDA_LOG_LEVEL", level)]);
        for name in EVENTS {
            // The mixed batch's bad records are logged at WARN (ids and reasons only).
            let _ = api.invoke(&read_event(name), Duration::from_secs(30));
        }
        let logs = match level {
            "TRACE" | "DEBUG" | "INFO" => {
                function.logs_when(|l| l.matches("invocation complete").count() >= EVENTS.len())
            }
            "WARN" => function.logs_when(|l| l.contains("WARN")),
            _ => function.logs(),
        };
        if level == "TRACE" {
            // Something is logged below INFO, so the level was in force.
            assert!(
                logs.contains("TRACE") || logs.contains("DEBUG"),
                "nothing below INFO at TRACE:\n{logs}"
            );
        }
        for needle in &needles {
            assert!(
                !logs.contains(needle.as_str()),
                "{level}: logs carry {needle}:\n{logs}"
            );
        }
        drop(function);
    }
}
