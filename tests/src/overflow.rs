//! Fixtures and readers shared by the re-ingestion tests: CloudWatch Logs
//! envelopes of realistic Cognito records, and helpers that read responses
//! and re-ingested envelopes back.
#![allow(clippy::unwrap_used)] // test support: a panic is a failing test

use std::collections::BTreeMap;

use cognito_activity::decode::{base64_encode, gunzip_capped};
use cognito_activity::firehose::split::gzip;
use serde_json::{json, Value};

use crate::Reply;

/// A Firehose-style record id for the `i`th record.
pub fn record_id(i: usize) -> String {
    format!("4954698668313554428650745793632162567570019247115678{i:04}")
}

/// A realistic Cognito user-activity record.
pub fn cognito(record: usize, n: usize) -> String {
    json!({
        "eventTimestamp": (1_732_400_000_000_i64 + (record * 1000 + n) as i64).to_string(),
        "eventSource": "USER_AUTH_EVENTS",
        "logLevel": "INFO",
        "logSourceId": {"userPoolId": "us-east-1_Ab12Cd34E"},
        "message": {
            "version": "1",
            "eventId": format!("00000000-0000-4000-8000-{record:04}{n:08}"),
            "eventType": "SignIn",
            "eventResponse": "Pass",
            "userName": "alice",
            "userSub": "11111111-2222-3333-4444-555555555555",
            "userPoolId": "us-east-1_Ab12Cd34E",
            "clientId": "4fk2u3s9v1a0e5g6h7i8j9k0l1",
            "ipAddress": "192.0.2.10",
            "city": "Seattle",
            "country": "United States",
            "deviceName": "Chrome 126, Windows 10",
            "riskDecision": "NoRisk",
            "riskLevel": "Low",
            "challenges": ["Password:Success"],
            "compromisedCredentialDetected": "false",
        },
    })
    .to_string()
}

/// A gzip CloudWatch Logs envelope of `events` records.
pub fn envelope(record: usize, events: usize) -> String {
    let log_events: Vec<Value> = (0..events)
        .map(|n| json!({"id": format!("r{record}-e{n}"), "timestamp": 1_732_400_000_000_i64, "message": cognito(record, n)}))
        .collect();
    let env = json!({
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/cognito/userpool/us-east-1_Ab12Cd34E",
        "logStream": "activity",
        "subscriptionFilters": ["cognito-activity"],
        "logEvents": log_events,
    });
    base64_encode(&gzip(&serde_json::to_vec(&env).unwrap()))
}

/// The log event ids of an envelope, given as base64 or raw gzip.
pub fn event_ids(envelope_json: &Value) -> Vec<String> {
    envelope_json["logEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

pub fn unzip_json(gz: &[u8]) -> Vec<Value> {
    let text = gunzip_capped(gz, 64 << 20).unwrap();
    serde_json::Deserializer::from_slice(&text)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect()
}

pub fn counts(ids: impl IntoIterator<Item = String>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for id in ids {
        *m.entry(id).or_default() += 1;
    }
    m
}

pub fn answer(reply: Reply, budget: usize) -> Value {
    match reply {
        Reply::Response(body) => {
            assert!(
                body.len() <= budget,
                "response {} > budget {budget}",
                body.len()
            );
            serde_json::from_slice(&body).unwrap()
        }
        Reply::Error(body) => panic!("error reply: {}", String::from_utf8_lossy(&body)),
    }
}

pub fn results(resp: &Value) -> Vec<(String, String)> {
    resp["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["recordId"].as_str().unwrap().to_string(),
                r["result"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub fn input_ids(event: &[u8]) -> Vec<String> {
    let v: Value = serde_json::from_slice(event).unwrap();
    v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["recordId"].as_str().unwrap().to_string())
        .collect()
}

/// Checks the answer to `big_event`: every recordId once and in order, each
/// record `Ok` or `Dropped` (re-ingested), the batch overflowed, and the
/// envelope too large alone (record 10) was split and re-ingested. Returns
/// the positions of the `Ok` and of the `Dropped` records.
pub fn overflowed_and_reingested(event: &[u8], resp: &Value) -> (Vec<usize>, Vec<usize>) {
    let got = results(resp);
    assert_eq!(
        got.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        input_ids(event),
        "every recordId once, in order"
    );
    let dropped: Vec<usize> = (0..got.len()).filter(|&i| got[i].1 == "Dropped").collect();
    let ok: Vec<usize> = (0..got.len()).filter(|&i| got[i].1 == "Ok").collect();
    assert_eq!(ok.len() + dropped.len(), got.len(), "{got:?}");
    assert!(dropped.len() >= 2, "the batch overflowed: {got:?}");
    assert!(
        dropped.contains(&10),
        "the envelope too large alone was split and re-ingested"
    );
    (ok, dropped)
}
