//! Property tests for the core contract (docs/reliability.md): whatever the
//! input, `process_event` answers exactly the input recordIds in input order
//! and never panics; it returns `Err` only when the event really has no
//! usable records array. And any Cognito record, whatever its string values,
//! normalizes into one valid JSON line in every output format, with
//! partition keys that are safe S3 prefix segments.
//!
//! The event checks are the fuzz targets' own (`fuzz/src/checks.rs`, see
//! docs/fuzzing.md): proptest feeds them structured JSON, the fuzzer raw
//! bytes. Case counts are kept moderate so the suite stays quick.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use cognito_activity::cognito::parse_documents;
use cognito_activity::normalize::{normalize, Context};
use cognito_activity::{process_event, Config};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

#[allow(dead_code)]
mod checks {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/src/checks.rs"
    ));
}

const CASES: u32 = 256;

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

/// Any JSON value, up to a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        "[a-zA-Z0-9+/=]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Object keys, often the ones the event parser looks for.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("records".to_string()),
        Just("recordId".to_string()),
        Just("data".to_string()),
        Just("approximateArrivalTimestamp".to_string()),
        any::<String>(),
    ]
}

/// A record's `data`: base64 of any bytes, of a real record, or any JSON.
fn record_data() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| Some(Value::from(STANDARD.encode(b)))),
        cognito_record().prop_map(|r| Some(Value::from(STANDARD.encode(r.to_string())))),
        any_json().prop_map(Some),
        Just(None),
    ]
}

/// A Firehose-shaped event: mostly usable records, sometimes not.
fn firehose_event() -> impl Strategy<Value = Value> {
    let record = (
        prop_oneof![
            8 => any::<String>().prop_map(Value::from),
            1 => any_json(),
        ],
        record_data(),
        prop::option::of(any_json()),
        prop::option::of((key(), any_json())),
    )
        .prop_map(|(id, data, ts, extra)| {
            let mut m = Map::new();
            if let Some((k, v)) = extra {
                m.insert(k, v);
            }
            m.insert("recordId".into(), id);
            if let Some(d) = data {
                m.insert("data".into(), d);
            }
            if let Some(t) = ts {
                m.insert("approximateArrivalTimestamp".into(), t);
            }
            Value::Object(m)
        });
    (
        prop::collection::vec(record, 0..6),
        prop::option::of((key(), any_json())),
        prop::option::of(any::<String>()),
    )
        .prop_map(|(records, extra, invocation)| {
            let mut m = Map::new();
            if let Some((k, v)) = extra {
                m.insert(k, v);
            }
            if let Some(i) = invocation {
                m.insert("invocationId".into(), Value::from(i));
            }
            m.insert("records".into(), Value::from(records));
            Value::Object(m)
        })
}

/// A string Cognito might plausibly write, or any string at all.
fn field_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        1 => Just(String::new()),
        1 => Just("null".to_string()),
        1 => "-?[0-9]{1,17}(\\.[0-9]{0,3})?",
        1 => "(Mon|Wed|Xyz) (Jan|Feb|Aug|Foo) [0-9]{1,2} [0-9]{1,2}:[0-9]{2}:[0-9]{2} (UTC|GMT|PST) [0-9]{1,5}",
        1 => "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
        1 => "[0-9a-fA-F:]{2,40}",
        1 => "[a-z]{2}-[a-z]{4,9}-[0-9]_[A-Za-z0-9]{1,9}",
        1 => "(Password|SMS_MFA|Software_Token_Mfa|Passkey):(Success|Failure|Other)(, ?Password:Success)?",
        1 => "(PASS|NoRisk|ACCOUNT_TAKEOVER|Block|Low|MEDIUM|high|true|FALSE)",
        1 => "[^,]{0,12}, ?[^,]{0,12}",
    ]
}

/// A Cognito user-activity record with arbitrary strings in every field.
fn cognito_record() -> impl Strategy<Value = Value> {
    const MESSAGE: [&str; 23] = [
        "version",
        "eventId",
        "eventType",
        "userSub",
        "userName",
        "userPoolId",
        "clientId",
        "creationDate",
        "eventResponse",
        "riskLevel",
        "riskDecision",
        "challenges",
        "deviceName",
        "ipAddress",
        "requestId",
        "idpName",
        "compromisedCredentialDetected",
        "hasContextData",
        "city",
        "country",
        "eventFeedbackValue",
        "eventFeedbackDate",
        "eventFeedbackProvider",
    ];
    (
        prop::collection::vec(field_text(), MESSAGE.len()),
        prop::collection::vec(field_text(), 4),
        prop::option::of((any::<String>(), field_text())),
    )
        .prop_map(|(msg, top, extra)| {
            let mut message: Map<String, Value> = MESSAGE
                .iter()
                .zip(msg)
                .map(|(k, v)| ((*k).to_string(), Value::from(v)))
                .collect();
            if let Some((k, v)) = extra {
                message.insert(k, Value::from(v));
            }
            json!({
                "eventTimestamp": top[0],
                "eventSource": top[1],
                "logLevel": top[2],
                "message": message,
                "logSourceId": {"userPoolId": top[3]},
            })
        })
}

// ---------------------------------------------------------------------------
// Configurations
// ---------------------------------------------------------------------------

const ALL_KEYS: &str =
    "user_pool_id,event_type,outcome,risk_decision,ocsf_class,year,month,day,hour";

/// Every output format, with every partition key, both with the defaults
/// and with the privacy modes on.
fn configs() -> Vec<Config> {
    let mut out = Vec::new();
    for format in cognito_activity::config::OutputFormat::NAMES {
        for private in [false, true] {
            let lookup = |name: &str| {
                let v = match name {
                    "OUTPUT_FORMAT" => format,
                    "PARTITION_KEYS" => ALL_KEYS,
                    "IP_MODE" if private => "hash",
                    "USER_NAME_MODE" if private => "hash",
                    "HASH_KEY" if private => "0123456789abcdef0123456789abcdef",
                    _ => return None,
                };
                Some(v.to_string())
            };
            out.push(Config::from_lookup(lookup).unwrap());
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

/// Builds an event from (recordId, data) pairs, `data` as raw JSON text.
fn event_of(records: &[(String, String)]) -> Vec<u8> {
    let records: Vec<Value> = records
        .iter()
        .map(|(id, data)| json!({"recordId": id, "data": data}))
        .collect();
    serde_json::to_vec(&json!({ "records": records })).unwrap()
}

fn answered_ids(event: &[u8]) -> Vec<String> {
    let p = process_event(event, &Config::default()).expect("a Firehose event");
    p.response
        .records
        .into_iter()
        .map(|r| r.record_id.into_owned())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn any_bytes_as_record_data_get_every_record_id_answered_in_order(
        records in prop::collection::vec((any::<String>(), prop::collection::vec(any::<u8>(), 0..256)), 0..8)
    ) {
        let records: Vec<(String, String)> =
            records.into_iter().map(|(id, b)| (id, STANDARD.encode(b))).collect();
        let event = event_of(&records);
        let want: Vec<String> = records.iter().map(|(id, _)| id.clone()).collect();
        prop_assert_eq!(answered_ids(&event), want);
        checks::check_process_event(&event);
    }

    #[test]
    fn any_string_as_raw_record_data_gets_every_record_id_answered_in_order(
        records in prop::collection::vec((any::<String>(), any::<String>()), 0..8)
    ) {
        let event = event_of(&records);
        let want: Vec<String> = records.iter().map(|(id, _)| id.clone()).collect();
        prop_assert_eq!(answered_ids(&event), want);
        checks::check_process_event(&event);
    }

    #[test]
    fn any_json_as_the_event_is_answered_or_rejected_for_a_real_reason(event in any_json()) {
        checks::check_process_event(&serde_json::to_vec(&event).unwrap());
    }

    #[test]
    fn any_firehose_shaped_event_is_answered_in_order_or_rejected_for_a_real_reason(
        event in firehose_event()
    ) {
        checks::check_process_event(&serde_json::to_vec(&event).unwrap());
    }

    #[test]
    fn any_cognito_record_normalizes_to_one_json_line_in_every_format(
        record in cognito_record(),
        arrival in proptest::option::of(any::<i64>()),
    ) {
        let text = record.to_string();
        let docs = parse_documents(&text).unwrap();
        prop_assert_eq!(docs.len(), 1);
        let ctx = Context { arrival_time_ms: arrival, ..Context::default() };
        for cfg in configs() {
            let n = normalize(&docs[0], &ctx, &cfg)
                .unwrap_or_else(|e| panic!("{:?}: {e}", cfg.output_format));
            let mut out = Vec::new();
            cognito_activity::output::write_line(&n, &cfg, &mut out);
            prop_assert_eq!(out.last(), Some(&b'\n'), "{:?}", cfg.output_format);
            prop_assert_eq!(
                out.iter().filter(|b| **b == b'\n').count(), 1,
                "{:?}: one line", cfg.output_format
            );
            let line: Value = serde_json::from_slice(&out).unwrap_or_else(|e| {
                panic!("{:?} line is not JSON: {e}", cfg.output_format)
            });
            prop_assert!(line.is_object());

            let keys = cognito_activity::filter::partition_keys(&n, &cfg).unwrap();
            prop_assert_eq!(keys.len(), cfg.partition_keys.len());
            for (k, v) in &keys {
                prop_assert!(!v.is_empty(), "{} is empty", k);
                prop_assert!(
                    v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')),
                    "{} = {:?} is not S3-safe", k, v
                );
            }
        }
    }

    #[test]
    fn any_cognito_record_as_firehose_data_is_ok_in_every_format(record in cognito_record()) {
        // The same records through the whole pipeline: transformed, never
        // failed, in every format (the fuzz target's record checks).
        let data = record.to_string();
        for cfg in configs() {
            let rec = cognito_activity::firehose::FirehoseRecord {
                record_id: "r".into(),
                data: Some(STANDARD.encode(&data).into()),
                approximate_arrival_timestamp: None,
            };
            let mut stats = cognito_activity::Stats::default();
            let outcome = cognito_activity::firehose::transform_record(&rec, &cfg, &mut stats);
            let is_ok = matches!(outcome, cognito_activity::pipeline::RecordOutcome::Ok { .. });
            prop_assert!(is_ok, "{:?}: {:?}", cfg.output_format, outcome);
        }
    }
}
