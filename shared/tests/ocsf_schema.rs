//! Every OCSF record we can produce validates against the OCSF JSON Schemas.
//!
//! The schemas (shared/tests/data/ocsf, copied from the handbook's reference
//! folder; see the README there) are the OCSF Authentication (3002) and
//! Account Change (3001) classes of schema versions 1.1.0 and 1.8.0,
//! compiled to JSON Schema draft 2020-12. Each record is checked against the
//! schema of its own class and of the configured version. What the schemas
//! cannot say (`type_uid` arithmetic, the captions of sibling strings,
//! `metadata.version`) is checked here against the schemas'
//! `x-ocsf-enum-captions`. Mapping rules: docs/ocsf.md.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine as _;
use cognito_activity::config::{
    HashKey, IpMode, OcsfVersion, OutputFormat, PartitionKey, UserNameMode,
};
use cognito_activity::{process_event, Config, RecordResult};
use jsonschema::{PatternOptions, Validator};
use serde_json::{json, Value};

const VERSIONS: [OcsfVersion; 2] = [OcsfVersion::V1_1_0, OcsfVersion::V1_8_0];

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ocsf")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema_file(class_uid: u64, version: OcsfVersion) -> &'static str {
    match (class_uid, version) {
        (3002, OcsfVersion::V1_1_0) => "authentication-3002-v1.1.0.schema.json",
        (3002, OcsfVersion::V1_8_0) => "authentication-3002-1.8.0.schema.json",
        (3001, OcsfVersion::V1_1_0) => "account-change-3001-v1.1.0.schema.json",
        (3001, OcsfVersion::V1_8_0) => "account-change-3001-1.8.0.schema.json",
        _ => panic!("no schema for class {class_uid}"),
    }
}

/// A compiled schema and the raw one (for its captions), built once.
struct Schema {
    raw: Value,
    validator: Validator,
}

fn schema(class_uid: u64, version: OcsfVersion) -> &'static Schema {
    static CACHE: [OnceLock<Schema>; 4] = [const { OnceLock::new() }; 4];
    let slot = match (class_uid, version) {
        (3002, OcsfVersion::V1_1_0) => 0,
        (3002, OcsfVersion::V1_8_0) => 1,
        (3001, OcsfVersion::V1_1_0) => 2,
        _ => 3,
    };
    CACHE[slot].get_or_init(|| {
        let raw = read_json(&data_dir().join(schema_file(class_uid, version)));
        // fancy-regex, as the reference results were made with: the OCSF
        // ip_t and uuid_t patterns must compile and run.
        let validator = jsonschema::draft202012::options()
            .with_pattern_options(PatternOptions::fancy_regex())
            .build(&raw)
            .unwrap_or_else(|e| panic!("{}: {e}", schema_file(class_uid, version)));
        Schema { raw, validator }
    })
}

fn errors(record: &Value, class_uid: u64, version: OcsfVersion) -> Vec<String> {
    schema(class_uid, version)
        .validator
        .iter_errors(record)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

fn cfg(version: OcsfVersion) -> Config {
    Config {
        output_format: OutputFormat::Ocsf,
        ocsf_version: version,
        ..Config::default()
    }
}

fn hashing_cfg(version: OcsfVersion) -> Config {
    let mut c = Config {
        ip_mode: IpMode::Hash,
        user_name_mode: UserNameMode::Hash,
        ..cfg(version)
    };
    c.hash_key = HashKey::new(b"0123456789abcdef0123".to_vec());
    c
}

/// Runs a whole Firehose event and returns every OCSF line of every Ok record.
fn ocsf_lines(event: &[u8], cfg: &Config) -> Vec<Value> {
    let processed = process_event(event, cfg).expect("a usable event");
    let mut lines = Vec::new();
    for r in &processed.response.records {
        if r.result != RecordResult::Ok {
            continue;
        }
        let data = base64::engine::general_purpose::STANDARD
            .decode(r.data.to_base64().as_bytes())
            .expect("base64 data");
        let text = String::from_utf8(data).expect("UTF-8 output");
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "every line ends in a newline: {text:?}"
        );
        for line in text.lines() {
            lines.push(serde_json::from_str(line).expect("one JSON object per line"));
        }
    }
    lines
}

/// Wraps raw Cognito records in a Firehose transformation event.
fn firehose_event(raw: &[String]) -> Vec<u8> {
    let records: Vec<Value> = raw
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "recordId": format!("rec-{i}"),
                "approximateArrivalTimestamp": 1_732_400_060_000_i64,
                "data": base64::engine::general_purpose::STANDARD.encode(r),
            })
        })
        .collect();
    serde_json::to_vec(&json!({
        "invocationId": "inv-1",
        "deliveryStreamArn": "arn:aws:firehose:eu-west-1:123456789012:deliverystream/cognito",
        "region": "eu-west-1",
        "records": records,
    }))
    .expect("an event serializes")
}

/// A user-activity record: the full field set of the Cognito docs, with
/// `message` fields overridden or removed (`null` removes).
fn activity(overrides: Value) -> String {
    let mut message = json!({
        "version": "1",
        "eventId": "0c5a7e3b-1d2f-4a6b-9c8d-00a000000100",
        "eventType": "SignIn",
        "userSub": "9f8e7d6c-5b4a-4392-8170-00b000000100",
        "userName": "zoe",
        "userPoolId": "eu-west-1_Zz99Yy88X",
        "clientId": "4fk2u3s9v1a0e5g6h7i8j9k0l1",
        "creationDate": "Mon Jan 15 09:30:00 UTC 2024",
        "eventResponse": "Pass",
        "riskLevel": "Low",
        "riskDecision": "NoRisk",
        "challenges": ["Password:Success"],
        "deviceName": "Firefox 128, Mac OS X 10.15",
        "ipAddress": "192.0.2.44",
        "requestId": "5e6f7a8b-9c0d-4e1f-a2b3-00c000000100",
        "idpName": "",
        "compromisedCredentialDetected": "false",
        "city": "Dublin",
        "country": "Ireland",
        "eventFeedbackValue": "",
        "eventFeedbackDate": "",
        "eventFeedbackProvider": "",
        "hasContextData": "true"
    });
    let m = message.as_object_mut().expect("an object");
    for (k, v) in overrides.as_object().expect("overrides are an object") {
        if v.is_null() {
            m.remove(k);
        } else {
            m.insert(k.clone(), v.clone());
        }
    }
    json!({
        "eventTimestamp": "1732400100000",
        "eventSource": "USER_AUTH_EVENTS",
        "logLevel": "INFO",
        "message": message,
        "logSourceId": {"userPoolId": "eu-west-1_Zz99Yy88X"}
    })
    .to_string()
}

/// Fixtures beyond the sample events: every event type, risk shapes,
/// notifications, missing fields, address and country oddities.
fn fixtures() -> Vec<String> {
    let mut out = Vec::new();
    for ty in [
        "SignIn",
        "SignUp",
        "PasswordChange",
        "ForgotPassword",
        "ResendCode",
        "SomeFutureEvent",
    ] {
        for response in ["Pass", "Fail", "InProgress", "Throttled"] {
            out.push(activity(
                json!({"eventType": ty, "eventResponse": response}),
            ));
        }
    }
    for (level, decision, compromised) in [
        ("High", "AccountTakeover", "true"),
        ("Medium", "AccountTakeover", "false"),
        ("Medium", "NoRisk", "false"),
        ("High", "Block", "false"),
        ("None", "Pass", "false"),
        ("Extreme", "SomethingNew", "maybe"),
    ] {
        out.push(activity(json!({
            "riskLevel": level,
            "riskDecision": decision,
            "compromisedCredentialDetected": compromised
        })));
    }
    out.extend([
        // MFA, federation (social and custom), feedback.
        activity(json!({"challenges": ["Password:Success", "SmsMfa:Failure", "SoftwareTokenMfa:Success"]})),
        activity(json!({"idpName": "Google", "challenges": [], "userName": "Google_1048573"})),
        activity(json!({"idpName": "Facebook", "challenges": []})),
        activity(json!({"idpName": "CorpSAML", "challenges": []})),
        activity(json!({"eventFeedbackValue": "Valid", "eventFeedbackDate": "1732400200000", "eventFeedbackProvider": "Admin"})),
        // Addresses: IPv6, IPv4-mapped IPv6, unusable; countries: unknown, absent.
        activity(json!({"ipAddress": "2001:db8:85a3::8a2e:370:7334"})),
        activity(json!({"ipAddress": "::ffff:192.0.2.128"})),
        activity(json!({"ipAddress": "::1", "country": "Atlantis"})),
        activity(json!({"ipAddress": "not-an-ip"})),
        activity(json!({"ipAddress": null, "city": "Oslo", "country": "Norway"})),
        activity(json!({"country": null, "city": null, "deviceName": "Other, Other"})),
        // Missing fields, one at a time and all at once.
        activity(json!({"userSub": null, "userName": null})),
        activity(json!({"userSub": null, "userName": null, "userPoolId": null})),
        activity(json!({"eventId": null, "requestId": null, "eventType": null, "eventResponse": null, "clientId": null})),
        activity(json!({"creationDate": "yesterday", "brandNewField": {"nested": [1, 2]}})),
        activity(json!({"challenges": "Password:Success, Mfa:Success", "compromisedCredentialDetected": true, "version": 2})),
        r#"{"eventSource":"USER_AUTH_EVENTS","message":{}}"#.to_string(),
        r#"{"eventSource":"USER_AUTH_EVENTS","message":{"eventType":"SignIn"},"logSourceId":{"userPoolId":"not-a-pool"}}"#.to_string(),
        // Notifications: the documented shape, without a pool, at INFO.
        r#"{"eventTimestamp":"1732400020000","eventSource":"USER_NOTIFICATION","logLevel":"ERROR","message":{"details":"Message delivery failed due to a configuration error: the SMS spending limit for the account was reached."},"logSourceId":{"userPoolId":"eu-west-1_Zz99Yy88X"}}"#.to_string(),
        r#"{"eventSource":"USER_NOTIFICATION","logLevel":"ERROR","message":{"details":"Email delivery failed"}}"#.to_string(),
        r#"{"eventSource":"USER_NOTIFICATION","logLevel":"INFO","message":{"details":"Delivered"},"logSourceId":{"userPoolId":"eu-west-1_Zz99Yy88X"}}"#.to_string(),
    ]);
    out
}

fn sample_events() -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let mut events: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let bytes = std::fs::read(&p).expect("a readable sample event");
            (p, bytes)
        })
        .collect();
    events.sort();
    assert!(!events.is_empty(), "no sample events in {}", dir.display());
    events
}

/// Checks one record against its class schema and the rules the schema
/// cannot express; returns what is wrong.
fn check(record: &Value, version: OcsfVersion) -> Vec<String> {
    let class_uid = record["class_uid"].as_u64().unwrap_or(0);
    if class_uid != 3001 && class_uid != 3002 {
        return vec![format!("unexpected class_uid {class_uid}")];
    }
    let mut problems = errors(record, class_uid, version);
    let raw = &schema(class_uid, version).raw;
    let props = &raw["properties"];
    let caption = |attr: &str, id: &Value| -> Option<String> {
        props[attr]["x-ocsf-enum-captions"][id.to_string()]
            .as_str()
            .map(str::to_owned)
    };
    let activity_id = record["activity_id"].as_u64().unwrap_or(u64::MAX);
    if record["type_uid"].as_u64() != Some(class_uid * 100 + activity_id) {
        problems.push(format!(
            "type_uid {} is not {class_uid} * 100 + {activity_id}",
            record["type_uid"]
        ));
    }
    let mut sibling = |id_attr: &str, name_attr: &str, other_is_free: bool| {
        let id = &record[id_attr];
        let Some(want) = caption(id_attr, id) else {
            problems.push(format!("{id_attr} {id} has no caption"));
            return;
        };
        let got = record[name_attr].as_str().unwrap_or_default();
        if other_is_free && id.as_u64() == Some(99) {
            if got.is_empty() {
                problems.push(format!("{name_attr} is empty for {id_attr} 99"));
            }
        } else if got != want {
            problems.push(format!(
                "{name_attr} {got:?} is not the caption {want:?} of {id_attr} {id}"
            ));
        }
    };
    sibling("activity_id", "activity_name", true);
    sibling("status_id", "status", true);
    sibling("severity_id", "severity", false);
    sibling("type_uid", "type_name", false);
    sibling("class_uid", "class_name", false);
    sibling("category_uid", "category_name", false);
    if record.get("auth_protocol_id").is_some() {
        sibling("auth_protocol_id", "auth_protocol", true);
    }
    if record["metadata"]["version"] != version.as_str() {
        problems.push(format!(
            "metadata.version is {}",
            record["metadata"]["version"]
        ));
    }
    // Object-level siblings: user.type, the accounts' types.
    let defs = &raw["$defs"];
    let object_caption = |object: &str, id: &Value| {
        defs[object]["properties"]["type_id"]["x-ocsf-enum-captions"][id.to_string()]
            .as_str()
            .map(str::to_owned)
    };
    for (path, object) in [
        (&record["user"], "user"),
        (&record["user"]["account"], "account"),
        (&record["cloud"]["account"], "account"),
    ] {
        if let Some(id) = path.get("type_id") {
            let want = object_caption(object, id);
            let got = path["type"].as_str();
            if id.as_u64() != Some(99) && want.as_deref() != got {
                problems.push(format!("{object}.type {got:?} is not {want:?}"));
            }
        }
    }
    problems
}

fn assert_all_valid(label: &str, lines: &[Value], version: OcsfVersion) {
    for (i, record) in lines.iter().enumerate() {
        let problems = check(record, version);
        assert!(
            problems.is_empty(),
            "{label} line {i} (OCSF {}):\n  {}\nrecord: {record:#}",
            version.as_str(),
            problems.join("\n  ")
        );
    }
}

#[test]
fn every_record_from_every_sample_event_validates_in_both_versions() {
    for version in VERSIONS {
        let mut classes = std::collections::BTreeSet::new();
        let mut count = 0;
        for (path, bytes) in sample_events() {
            let lines = ocsf_lines(&bytes, &cfg(version));
            assert_all_valid(&path.display().to_string(), &lines, version);
            count += lines.len();
            classes.extend(lines.iter().filter_map(|l| l["class_uid"].as_u64()));
        }
        assert!(count >= 15, "only {count} OCSF records from the samples");
        assert_eq!(
            classes.into_iter().collect::<Vec<_>>(),
            [3001, 3002],
            "the samples exercise both classes"
        );
    }
}

#[test]
fn every_fixture_validates_in_both_versions_with_and_without_hashing() {
    let raw = fixtures();
    let event = firehose_event(&raw);
    for version in VERSIONS {
        for (label, config) in [
            ("fixtures", cfg(version)),
            ("fixtures hashed", hashing_cfg(version)),
            (
                "fixtures truncated",
                Config {
                    ip_mode: IpMode::Truncate,
                    ..cfg(version)
                },
            ),
        ] {
            let lines = ocsf_lines(&event, &config);
            assert_eq!(lines.len(), raw.len(), "{label}: one record per fixture");
            assert_all_valid(label, &lines, version);
        }
    }
}

#[test]
fn the_fixtures_reach_every_class_activity_status_and_severity_we_emit() {
    let lines = ocsf_lines(&firehose_event(&fixtures()), &cfg(OcsfVersion::V1_1_0));
    let seen = |key: &str| -> std::collections::BTreeSet<u64> {
        lines.iter().filter_map(|l| l[key].as_u64()).collect()
    };
    let want = |ids: &[u64]| {
        ids.iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(
        seen("type_uid"),
        want(&[300101, 300103, 300104, 300199, 300200, 300201, 300299])
    );
    assert_eq!(seen("status_id"), want(&[0, 1, 2, 99]));
    assert_eq!(seen("severity_id"), want(&[0, 1, 2, 3, 4, 5]));
    assert_eq!(seen("auth_protocol_id"), want(&[4, 6, 99]));
    assert!(lines.iter().any(|l| l["src_endpoint"]["ip"]
        .as_str()
        .is_some_and(|ip| ip.contains(':'))));
    assert!(lines.iter().any(|l| l["is_mfa"] == true));
}

#[test]
fn hashed_records_carry_no_raw_address_or_user_name() {
    let raw = fixtures();
    let lines = ocsf_lines(&firehose_event(&raw), &hashing_cfg(OcsfVersion::V1_1_0));
    let text = serde_json::to_string(&lines).unwrap();
    for secret in ["192.0.2.44", "2001:db8:85a3", "\"zoe\"", "Google_1048573"] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
    assert!(lines.iter().any(|l| l["src_endpoint"]["uid"]
        .as_str()
        .is_some_and(|u| u.len() == 64)));
}

#[test]
fn the_reference_examples_validate_and_the_invalid_one_fails() {
    for version in VERSIONS {
        let valid = read_json(&data_dir().join("example-valid.json"));
        assert_eq!(errors(&valid, 3002, version), Vec::<String>::new());
        let change = read_json(&data_dir().join("example-account-change-valid.json"));
        assert_eq!(errors(&change, 3001, version), Vec::<String>::new());
        let invalid = read_json(&data_dir().join("example-invalid.json"));
        let found = errors(&invalid, 3002, version);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found
                .iter()
                .any(|e| e.contains("\"user\" is a required property")),
            "{found:?}"
        );
        assert!(found.iter().any(|e| e.contains("99999")), "{found:?}");
    }
}

/// A named way to break a valid record.
type Breakage = (&'static str, fn(&mut Value));

#[test]
fn the_validator_rejects_our_own_records_when_broken() {
    let raw = vec![activity(json!({"ipAddress": "2001:db8::7"}))];
    for version in VERSIONS {
        let lines = ocsf_lines(&firehose_event(&raw), &cfg(version));
        let good = &lines[0];
        assert!(check(good, version).is_empty());
        let breakages: [Breakage; 6] = [
            ("bad ip", |r| {
                r["src_endpoint"]["ip"] = json!("2001:db8::zz")
            }),
            ("no user", |r| {
                r.as_object_mut().unwrap().remove("user");
            }),
            ("empty user", |r| r["user"] = json!({})),
            ("unknown key", |r| r["cognito_extra"] = json!(1)),
            ("no service", |r| {
                r.as_object_mut().unwrap().remove("service");
            }),
            ("cloud profile without cloud", |r| {
                r.as_object_mut().unwrap().remove("cloud");
            }),
        ];
        for (what, breakage) in breakages {
            let mut broken = good.clone();
            breakage(&mut broken);
            assert!(!errors(&broken, 3002, version).is_empty(), "{what} passed");
        }
        let mut wrong_type = good.clone();
        wrong_type["type_uid"] = json!(300299);
        assert!(
            !check(&wrong_type, version).is_empty(),
            "type_uid arithmetic unchecked"
        );
        let mut wrong_caption = good.clone();
        wrong_caption["severity"] = json!("Critical");
        assert!(
            !check(&wrong_caption, version).is_empty(),
            "captions unchecked"
        );
        // The other class's schema rejects it.
        assert!(!errors(good, 3001, version).is_empty());
    }
}

#[test]
fn the_ocsf_class_partition_key_names_the_record_class() {
    let config = Config {
        partition_keys: vec![PartitionKey::OcsfClass],
        ..cfg(OcsfVersion::V1_1_0)
    };
    let event = firehose_event(&fixtures());
    let processed = process_event(&event, &config).unwrap();
    let lines = ocsf_lines(&event, &config);
    let ok: Vec<_> = processed
        .response
        .records
        .iter()
        .filter(|r| r.result == RecordResult::Ok)
        .collect();
    assert_eq!(ok.len(), lines.len());
    for (r, line) in ok.iter().zip(&lines) {
        let key = &r.partition_keys.as_ref().expect("partition keys")["ocsf_class"];
        let want = match line["class_uid"].as_u64() {
            Some(3002) => "authentication",
            Some(3001) => "account_change",
            other => panic!("class {other:?}"),
        };
        assert_eq!(key, want, "{}", r.record_id);
    }
}

/// Dotted paths of `value`'s object keys, down to `depth` levels.
fn paths(value: &Value, prefix: &str, depth: usize, out: &mut std::collections::BTreeSet<String>) {
    let Some(object) = value.as_object() else {
        return;
    };
    for (key, child) in object {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        if depth > 1 {
            paths(child, &path, depth - 1, out);
        }
        out.insert(path);
    }
}

#[test]
fn every_attribute_we_emit_is_documented() {
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ocsf.md");
    let doc = std::fs::read_to_string(&doc_path).expect("docs/ocsf.md");
    let mut emitted = std::collections::BTreeSet::new();
    let event = firehose_event(&fixtures());
    for config in [cfg(OcsfVersion::V1_8_0), hashing_cfg(OcsfVersion::V1_1_0)] {
        for line in ocsf_lines(&event, &config) {
            paths(&line, "", 2, &mut emitted);
        }
    }
    let missing: Vec<_> = emitted
        .iter()
        .filter(|p| !doc.contains(&format!("`{p}")))
        .collect();
    assert!(
        missing.is_empty(),
        "emitted but not named in docs/ocsf.md: {missing:?}"
    );
}
