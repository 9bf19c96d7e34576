//! Every ECS document we emit uses only ECS 9.4.0 fields, with their types
//! and allowed values, or documented fields of our `cognito.*` namespace.
//!
//! The reference is elastic/ecs `generated/ecs/ecs_flat.yml` at tag v9.4.0,
//! copied to `tests/data/ecs/` (see its README). Input: every sample event
//! in `events/`, plus fixtures built here for the cases the samples do not
//! cover (each event type, unknown types, missing fields, IPv6, privacy
//! modes, challenges, feedback, unmapped input).
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns, in a test crate

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::OnceLock;

use base64::Engine as _;
use cognito_activity::firehose::decode_response_data;
use cognito_activity::output::ecs::ECS_VERSION;
use cognito_activity::{process_event, Config, RecordResult};
use serde_json::{json, Map, Value};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ecs");
const EVENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../events");
const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ecs.md");
const HASH_KEY: &str = "0123456789abcdef0123456789abcdef";

/// Where flattening stops: the input Cognito sent that we could not map,
/// kept as it came (with keys of any shape).
const OPAQUE: &str = "cognito.unmapped";

fn fields() -> &'static Map<String, Value> {
    static FIELDS: OnceLock<Map<String, Value>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let text = std::fs::read_to_string(format!("{DATA}/ecs_fields.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    })
}

fn expected_types() -> &'static BTreeMap<String, Vec<String>> {
    static TYPES: OnceLock<BTreeMap<String, Vec<String>>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let text =
            std::fs::read_to_string(format!("{DATA}/event_category_expected_types.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    })
}

/// Every `` `name` `` in docs/ecs.md: the fields it documents.
fn documented() -> &'static BTreeSet<String> {
    static DOCUMENTED: OnceLock<BTreeSet<String>> = OnceLock::new();
    DOCUMENTED.get_or_init(|| {
        let text = std::fs::read_to_string(DOC).unwrap();
        text.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    })
}

fn config(pairs: &[(&str, &str)]) -> Config {
    let map: BTreeMap<&str, &str> = pairs.iter().copied().collect();
    Config::from_lookup(|k| match k {
        "OUTPUT_FORMAT" => Some("ecs".to_string()),
        _ => map.get(k).map(|v| v.to_string()),
    })
    .unwrap()
}

/// Runs a whole Firehose event and returns every ECS document of its Ok
/// records.
fn documents(event: &[u8], cfg: &Config) -> Vec<Value> {
    let processed = process_event(event, cfg).unwrap();
    let mut docs = Vec::new();
    for record in &processed.response.records {
        if record.result != RecordResult::Ok {
            continue;
        }
        let data = decode_response_data(record).unwrap();
        let text = String::from_utf8(data).unwrap();
        assert!(
            text.ends_with('\n'),
            "{}: lines end in \\n",
            record.record_id
        );
        for line in text.lines() {
            docs.push(serde_json::from_str(line).unwrap());
        }
    }
    docs
}

/// A Firehose event with one record per raw Cognito record.
fn firehose_event(records: &[String]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let records: Vec<Value> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "recordId": format!("record-{i}"),
                "approximateArrivalTimestamp": 1_732_400_060_000_i64,
                "data": b64.encode(r),
            })
        })
        .collect();
    serde_json::to_vec(&json!({
        "invocationId": "00000000-0000-4000-8000-000000000000",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/test",
        "region": "us-east-1",
        "records": records,
    }))
    .unwrap()
}

/// One user-activity record; `message` fields are merged over a full set.
fn activity(overrides: Value) -> String {
    let mut message = json!({
        "version": "1",
        "eventId": "0c5a7e3b-1d2f-4a6b-9c8d-00a0000000ff",
        "eventType": "SignIn",
        "userSub": "9f8e7d6c-5b4a-4392-8170-00b0000000ff",
        "userName": "zoe",
        "userPoolId": "eu-west-1_Xy12Ab34C",
        "clientId": "4fk2u3s9v1a0e5g6h7i8j9k0l1",
        "creationDate": "Wed Aug 07 22:34:33 UTC 2024",
        "eventResponse": "Pass",
        "riskLevel": "Low",
        "riskDecision": "PASS",
        "challenges": ["Password:Success"],
        "deviceName": "Chrome 126, Windows 10",
        "ipAddress": "203.0.113.7",
        "requestId": "5e6f7a8b-9c0d-4e1f-a2b3-00c0000000ff",
        "idpName": "",
        "compromisedCredentialDetected": "false",
        "city": "Dublin",
        "country": "Ireland",
        "eventFeedbackValue": "",
        "eventFeedbackDate": "",
        "eventFeedbackProvider": "",
        "hasContextData": "true"
    });
    for (k, v) in overrides.as_object().unwrap() {
        message[k] = v.clone();
    }
    json!({
        "eventTimestamp": "1723070073369",
        "eventSource": "USER_AUTH_EVENTS",
        "logLevel": "INFO",
        "message": message,
        "logSourceId": {"userPoolId": "eu-west-1_Xy12Ab34C"}
    })
    .to_string()
}

/// Fixtures for what the sample events leave out.
fn fixtures() -> Vec<String> {
    let mut out = Vec::new();
    for t in [
        "SignIn",
        "SignUp",
        "PasswordChange",
        "ForgotPassword",
        "ResendCode",
        "SomeFutureType",
    ] {
        for r in ["Pass", "Fail", "InProgress"] {
            out.push(activity(json!({"eventType": t, "eventResponse": r})));
        }
    }
    out.extend([
        activity(json!({"ipAddress": "2001:db8:85a3::8a2e:370:7334", "deviceName": "Safari 17, iOS 17"})),
        activity(json!({"riskLevel": "High", "riskDecision": "AccountTakeover", "compromisedCredentialDetected": "true"})),
        activity(json!({"riskLevel": "Medium", "riskDecision": "Block"})),
        activity(json!({"riskLevel": "Extreme", "riskDecision": "SomethingNew"})),
        activity(json!({"challenges": ["Password:Success", "SmsMfa:Failure", "SoftwareTokenMfa:Success"]})),
        activity(json!({"challenges": [{"challengeName": "Password", "challengeResponse": "Failure"}]})),
        activity(json!({"eventFeedbackValue": "Valid", "eventFeedbackDate": "2024-08-08T10:00:00Z", "eventFeedbackProvider": "Admin"})),
        activity(json!({"idpName": "Google", "userName": "Google_104857329374623847561"})),
        activity(json!({"deviceName": "Other, Other", "city": "", "country": "Atlantis"})),
        activity(json!({"deviceName": "Firefox 128, Mac OS X 10.15", "newField": {"x.y": [1, 2]}, "ipAddress": "not an ip", "creationDate": "yesterday"})),
        activity(json!({"eventType": "", "eventResponse": "", "userName": "", "userSub": "", "deviceName": "", "ipAddress": "", "riskLevel": "", "riskDecision": "", "challenges": []})),
        r#"{"eventSource":"USER_AUTH_EVENTS","message":{}}"#.to_string(),
        r#"{"eventTimestamp":"1687297330677","eventSource":"USER_NOTIFICATION","logLevel":"ERROR","message":{"details":"Message delivery failed due to a configuration error"},"logSourceId":{"userPoolId":"us-west-2_EXAMPLE"}}"#.to_string(),
        r#"{"eventTimestamp":"1687297330677","eventSource":"USER_NOTIFICATION","logLevel":"WARN","message":{},"logSourceId":{"userPoolId":"us-west-2_EXAMPLE"}}"#.to_string(),
    ]);
    out
}

/// The privacy and format settings every fixture runs under.
fn configs() -> Vec<(&'static str, Config)> {
    vec![
        ("default", config(&[])),
        ("truncate", config(&[("IP_MODE", "truncate")])),
        (
            "hash",
            config(&[
                ("IP_MODE", "hash"),
                ("USER_NAME_MODE", "hash"),
                ("HASH_KEY", HASH_KEY),
            ]),
        ),
    ]
}

/// Flattens a document to (dotted name, value) leaves. Arrays of objects
/// flatten their items under the same name; arrays of scalars are leaves.
fn flatten<'v>(
    prefix: &str,
    value: &'v Value,
    out: &mut Vec<(String, &'v Value)>,
    problems: &mut Vec<String>,
) {
    match value {
        Value::Object(map) if prefix != OPAQUE => {
            for (k, v) in map {
                if k.contains('.') || k.is_empty() {
                    problems.push(format!(
                        "key {k:?} under {prefix:?}: documents must nest objects, not dot keys"
                    ));
                }
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, v, out, problems);
            }
        }
        Value::Array(items) if items.iter().any(Value::is_object) => {
            for item in items {
                flatten(prefix, item, out, problems);
            }
        }
        _ => out.push((prefix.to_string(), value)),
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with plausible ranges.
fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    if b.len() < 20
        || !(digits(0..4)
            && digits(5..7)
            && digits(8..10)
            && digits(11..13)
            && digits(14..16)
            && digits(17..19))
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return false;
    }
    if !(1..=12).contains(&num(5..7))
        || !(1..=31).contains(&num(8..10))
        || num(11..13) > 23
        || num(14..16) > 59
        || num(17..19) > 60
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    rest == "Z"
        || (rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && digits(s.len() - 5..s.len() - 3)
            && &rest[3..4] == ":"
            && digits(s.len() - 2..s.len()))
}

/// Checks one scalar against an ECS type; `None` when it fits.
fn type_error(ecs_type: &str, v: &Value) -> Option<String> {
    let ok = match ecs_type {
        "keyword" | "constant_keyword" | "wildcard" | "match_only_text" | "text" => v.is_string(),
        "long" | "integer" | "short" | "byte" | "unsigned_long" => v.is_i64() || v.is_u64(),
        "float" | "double" | "scaled_float" | "half_float" => v.is_number(),
        "boolean" => v.is_boolean(),
        "date" => v.as_str().is_some_and(is_rfc3339),
        "ip" => v.as_str().is_some_and(|s| s.parse::<IpAddr>().is_ok()),
        "object" | "flattened" => v.is_object(),
        other => return Some(format!("type {other} is not one we emit")),
    };
    (!ok).then(|| format!("{v} is not a valid {ecs_type}"))
}

/// Every problem with one document, as readable lines.
fn problems(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut leaves = Vec::new();
    flatten("", doc, &mut leaves, &mut out);
    for (name, value) in &leaves {
        if name == "cognito" || name.starts_with("cognito.") {
            if !documented().contains(name) {
                out.push(format!(
                    "{name}: custom field not documented in docs/ecs.md"
                ));
            }
            continue;
        }
        if !documented().contains(name) {
            out.push(format!("{name}: ECS field not documented in docs/ecs.md"));
        }
        let Some(spec) = fields().get(name) else {
            out.push(format!("{name}: not an ECS 9.4.0 field"));
            continue;
        };
        let ecs_type = spec["type"].as_str().unwrap();
        let is_array_field = spec["normalize"]
            .as_array()
            .is_some_and(|n| n.iter().any(|x| x == "array"));
        let items: Vec<&Value> = match value {
            Value::Array(items) => {
                if !is_array_field {
                    out.push(format!(
                        "{name}: an array, but ECS does not normalize it to one"
                    ));
                }
                if items.is_empty() {
                    out.push(format!("{name}: empty array"));
                }
                items.iter().collect()
            }
            v => vec![*v],
        };
        for item in items {
            if let Some(e) = type_error(ecs_type, item) {
                out.push(format!("{name}: {e}"));
            }
            if item.as_str() == Some("") {
                out.push(format!("{name}: empty string"));
            }
            if let Some(allowed) = spec["allowed_values"].as_array() {
                if !allowed.contains(item) {
                    out.push(format!("{name}: {item} is not an allowed value"));
                }
            }
        }
    }
    for required in ["@timestamp", "ecs.version"] {
        if !leaves.iter().any(|(n, _)| n == required) {
            out.push(format!("{required}: required, missing"));
        }
    }
    // Each event.type must be one ECS expects with one of the categories.
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let categories = strings(&doc["event"]["category"]);
    if categories.is_empty() {
        out.push("event.category: missing".to_string());
    }
    for t in strings(&doc["event"]["type"]) {
        let expected = categories
            .iter()
            .any(|c| expected_types().get(c).is_some_and(|ts| ts.contains(&t)));
        if !expected {
            out.push(format!(
                "event.type {t}: not expected with categories {categories:?}"
            ));
        }
    }
    if doc["ecs"]["version"] != ECS_VERSION || !ECS_VERSION.starts_with("9.") {
        out.push(format!(
            "ecs.version {}: want {ECS_VERSION} (9.x)",
            doc["ecs"]["version"]
        ));
    }
    out
}

/// Problems of many documents, each line saying which document.
fn problems_of(docs: &[Value], what: &str) -> Vec<String> {
    docs.iter()
        .enumerate()
        .flat_map(|(i, doc)| {
            problems(doc)
                .into_iter()
                .map(move |p| format!("{what} #{i}: {p}"))
        })
        .collect()
}

#[test]
fn every_sample_event_maps_to_valid_ecs_under_every_privacy_mode() {
    let mut paths: Vec<_> = std::fs::read_dir(EVENTS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no sample events in {EVENTS}");
    let mut actions = BTreeSet::new();
    let mut datasets = BTreeSet::new();
    let mut count = 0;
    let mut all = Vec::new();
    for (mode, cfg) in configs() {
        for path in &paths {
            let event = std::fs::read(path).unwrap();
            let docs = documents(&event, &cfg);
            for d in &docs {
                if let Some(a) = d["event"]["action"].as_str() {
                    actions.insert(a.to_string());
                }
                datasets.insert(d["event"]["dataset"].as_str().unwrap_or("").to_string());
            }
            count += docs.len();
            all.extend(problems_of(&docs, &format!("{} ({mode})", path.display())));
        }
    }
    assert!(all.is_empty(), "{}", all.join("\n"));
    // The check is only worth something if the samples cover the ground.
    assert!(count >= 30, "only {count} documents checked");
    for a in [
        "SignIn",
        "SignUp",
        "PasswordChange",
        "ForgotPassword",
        "ResendCode",
    ] {
        assert!(
            actions.contains(a),
            "no sample with event.action {a}: {actions:?}"
        );
    }
    assert!(datasets.contains("cognito.notification"), "{datasets:?}");
}

#[test]
fn every_fixture_maps_to_valid_ecs_under_every_privacy_mode() {
    let records = fixtures();
    let event = firehose_event(&records);
    let mut all = Vec::new();
    for (mode, cfg) in configs() {
        let docs = documents(&event, &cfg);
        assert_eq!(docs.len(), records.len(), "{mode}: one document per record");
        all.extend(problems_of(&docs, &format!("fixture ({mode})")));
    }
    assert!(all.is_empty(), "{}", all.join("\n"));
}

#[test]
fn privacy_modes_leave_no_address_or_user_name_in_any_field() {
    let records = fixtures();
    let event = firehose_event(&records);
    let cfg = configs().into_iter().find(|(m, _)| *m == "hash").unwrap().1;
    for doc in documents(&event, &cfg) {
        let text = doc.to_string();
        for secret in [
            "203.0.113.7",
            "2001:db8:85a3::8a2e:370:7334",
            "\"zoe\"",
            "Google_104857329374623847561",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert!(doc["source"].get("ip").is_none() && doc["user"].get("name").is_none());
    }
    let cfg = configs()
        .into_iter()
        .find(|(m, _)| *m == "truncate")
        .unwrap()
        .1;
    let docs = documents(&firehose_event(&records[..1]), &cfg);
    assert_eq!(docs[0]["source"]["ip"], "203.0.113.0");
    assert_eq!(docs[0]["related"]["ip"], json!(["203.0.113.0"]));
}

#[test]
fn the_checker_rejects_what_ecs_does_not_allow() {
    // Guards the guard: a document with each kind of mistake fails.
    let good = documents(&firehose_event(&fixtures()[..1]), &config(&[])).remove(0);
    assert!(problems(&good).is_empty(), "{:?}", problems(&good));
    let mut bad = good.clone();
    bad["event"]["outcome"] = json!("in_progress");
    bad["event"]["type"] = json!(["creation"]);
    bad["source"]["ip"] = json!("not-an-ip");
    bad["@timestamp"] = json!("2024-08-07 22:34:33");
    bad["log"] = json!({"level": "INFO"});
    bad["cognito"]["undocumented"] = json!(1);
    bad["user"]["id"] = json!(5);
    bad["related"]["user"] = json!([]);
    bad["ecs"]["version"] = json!("8.0.0");
    bad["cloud"]["region"] = json!(["us-east-1"]);
    let p = problems(&bad).join("\n");
    for expected in [
        "event.outcome",
        "event.type creation",
        "source.ip",
        "@timestamp",
        "log.level: not an ECS",
        "cognito.undocumented",
        "user.id",
        "related.user: empty array",
        "ecs.version",
        "cloud.region: an array",
    ] {
        assert!(p.contains(expected), "{expected} not reported in:\n{p}");
    }
    let mut dotted = good.clone();
    dotted
        .as_object_mut()
        .unwrap()
        .insert("user.name".to_string(), json!("x"));
    let p = problems(&dotted).join("\n");
    assert!(p.contains("not dot keys"), "{p}");
}
