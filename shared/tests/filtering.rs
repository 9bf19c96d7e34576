//! Filters at batch level: filtered events are counted, a record whose
//! events are all filtered out is `Dropped`, and a CloudWatch Logs envelope
//! with some events left keeps exactly those.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failing test

use std::io::Write as _;

use base64::Engine as _;
use cognito_activity::{process_event, Config, RecordResult};
use serde_json::{json, Value};

fn activity(event_type: &str, response: &str, level: &str) -> Value {
    json!({
        "eventTimestamp": "1732400000000",
        "eventSource": "USER_AUTH_EVENTS",
        "logLevel": "INFO",
        "message": {"eventType": event_type, "eventResponse": response, "riskLevel": level,
                    "riskDecision": "NoRisk", "userPoolId": "us-east-1_Ab12Cd34E"},
        "logSourceId": {"userPoolId": "us-east-1_Ab12Cd34E"}
    })
}

fn envelope(events: &[Value]) -> String {
    let log_events: Vec<Value> = events
        .iter()
        .enumerate()
        .map(|(i, e)| json!({"id": i.to_string(), "timestamp": 1_732_400_000_000_i64, "message": e.to_string()}))
        .collect();
    let env = json!({"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "g",
                     "logStream": "s", "subscriptionFilters": ["f"], "logEvents": log_events});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(env.to_string().as_bytes()).unwrap();
    base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap())
}

fn event(datas: &[String]) -> Vec<u8> {
    let records: Vec<Value> = datas
        .iter()
        .enumerate()
        .map(|(i, d)| json!({"recordId": format!("r{i}"), "data": d}))
        .collect();
    json!({"records": records}).to_string().into_bytes()
}

fn config(pairs: &[(&str, &str)]) -> Config {
    Config::from_lookup(|k| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .unwrap()
}

fn lines(data: &str) -> Vec<Value> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    String::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn an_envelope_keeps_only_its_unfiltered_events_and_an_all_filtered_one_is_dropped() {
    let cfg = config(&[
        ("DROP_EVENT_RESPONSES", "InProgress"),
        ("PARTITION_KEYS", "event_type"),
    ]);
    let mixed = envelope(&[
        activity("SignIn", "InProgress", "Low"),
        activity("SignIn", "Pass", "Low"),
        activity("SignUp", "InProgress", "Low"),
        activity("SignUp", "Pass", "Low"),
    ]);
    let all_filtered = envelope(&[
        activity("SignIn", "InProgress", "Low"),
        activity("SignIn", "InProgress", "High"),
    ]);
    let event = event(&[mixed, all_filtered]);
    let p = process_event(&event, &cfg).unwrap();
    let r = &p.response.records;
    assert_eq!(r[0].result, RecordResult::Ok);
    let kept = lines(&r[0].data.to_base64());
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|l| l["event"]["outcome"] == "success"));
    assert_eq!(kept[0]["event"]["type"], "SignIn");
    assert_eq!(kept[1]["event"]["type"], "SignUp");
    // The envelope takes the partition keys of its first kept event.
    assert_eq!(
        r[0].partition_keys.as_ref().unwrap()["event_type"],
        "SignIn"
    );
    assert_eq!(r[1].result, RecordResult::Dropped);
    assert!(r[1].partition_keys.is_none());
    assert_eq!(p.stats.events_in, 6);
    assert_eq!(p.stats.events_filtered, 4);
    assert_eq!(p.stats.events_out, 2);
    assert_eq!((p.stats.records_ok, p.stats.records_dropped), (1, 1));
}

#[test]
fn include_types_and_min_risk_level_apply_per_event() {
    let cfg = config(&[
        ("INCLUDE_EVENT_TYPES", "SignIn"),
        ("MIN_RISK_LEVEL", "medium"),
    ]);
    let env = envelope(&[
        activity("SignIn", "Pass", "Low"),
        activity("SignIn", "Fail", "High"),
        activity("SignUp", "Pass", "High"),
    ]);
    let event = event(&[env]);
    let p = process_event(&event, &cfg).unwrap();
    let kept = lines(&p.response.records[0].data.to_base64());
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["risk"]["level"], "high");
    assert_eq!(kept[0]["event"]["type"], "SignIn");
    assert_eq!(p.stats.events_filtered, 2);
}

#[test]
fn metrics_count_every_event_seen_even_when_filtered() {
    let cfg = config(&[("DROP_EVENT_RESPONSES", "Fail,Pass,InProgress")]);
    let env = envelope(&[
        activity("SignIn", "Fail", "High"),
        activity("SignIn", "Pass", "Low"),
    ]);
    let event = event(&[env]);
    let p = process_event(&event, &cfg).unwrap();
    assert_eq!(p.response.records[0].result, RecordResult::Dropped);
    assert_eq!(p.stats.by_outcome.get("failure"), Some(1));
    assert_eq!(p.stats.by_outcome.get("success"), Some(1));
    assert_eq!(p.stats.by_risk_level.total(), 2);
}
