//! The schema against the mapping, both ways, on every sample event and a
//! set of fixtures that reaches every attribute; and the objects read back.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatchReader as _;
use base64::Engine as _;
use cognito_activity::cognito::parse_documents;
use cognito_activity::config::{HashKey, IpMode, OcsfVersion, OutputFormat, UserNameMode};
use cognito_activity::normalize::{normalize, Context};
use cognito_activity::taxonomy::{Class, ACCOUNT_CHANGE, AUTHENTICATION};
use cognito_activity::{process_event, Config, RecordResult};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{json, Value};

use crate::row::Row;
use crate::schema::{self, Kind};
use crate::{layout, record, writer, Batch};

fn ocsf_cfg() -> Config {
    Config {
        output_format: OutputFormat::Ocsf,
        ocsf_version: OcsfVersion::V1_1_0,
        ..Config::default()
    }
}

fn hashing_cfg() -> Config {
    let mut c = Config {
        ip_mode: IpMode::Hash,
        user_name_mode: UserNameMode::Hash,
        ..ocsf_cfg()
    };
    c.hash_key = HashKey::new(b"0123456789abcdef0123".to_vec());
    c
}

fn sample_events() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("events/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    paths
}

/// Every OCSF line of every sample event, through the Firehose path.
fn sample_records(cfg: &Config) -> Vec<Value> {
    let mut out = Vec::new();
    for path in sample_events() {
        let bytes = std::fs::read(&path).expect("a readable sample");
        let processed = process_event(&bytes, cfg).expect("a Firehose event");
        for r in &processed.response.records {
            if r.result != RecordResult::Ok {
                continue;
            }
            let data = base64::engine::general_purpose::STANDARD
                .decode(r.data.to_base64().as_bytes())
                .expect("base64");
            for line in String::from_utf8(data).expect("UTF-8").lines() {
                out.push(serde_json::from_str(line).expect("a JSON line"));
            }
        }
    }
    out
}

/// A user-activity line with these `message` fields changed (`null` removes).
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
        "eventFeedbackValue": "Valid",
        "eventFeedbackDate": "1732400200000",
        "eventFeedbackProvider": "Admin"
    });
    if let (Some(m), Some(o)) = (message.as_object_mut(), overrides.as_object()) {
        for (k, v) in o {
            if v.is_null() {
                m.remove(k);
            } else {
                m.insert(k.clone(), v.clone());
            }
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

/// Raw lines that between them reach every attribute the mapping has.
fn fixture_lines() -> Vec<String> {
    let mut lines: Vec<String> = [
        "SignIn",
        "SignUp",
        "PasswordChange",
        "ForgotPassword",
        "ResendCode",
        "SomeFutureEvent",
    ]
    .iter()
    .map(|t| activity(json!({"eventType": t})))
    .collect();
    lines.extend([
        activity(json!({"idpName": "CorpSAML", "challenges": []})),
        activity(json!({"idpName": "Google", "challenges": [], "eventType": "SignUp"})),
        activity(json!({"ipAddress": null, "city": "Oslo", "country": "Norway"})),
        activity(json!({"country": "Atlantis", "brandNewField": {"nested": [1, 2]}})),
        activity(json!({"eventType": null, "eventResponse": null})),
        r#"{"eventTimestamp":"1732400020000","eventSource":"USER_NOTIFICATION","logLevel":"ERROR","message":{"details":"Message delivery failed"},"logSourceId":{"userPoolId":"eu-west-1_Zz99Yy88X"}}"#.to_string(),
        r#"{"eventSource":"USER_AUTH_EVENTS","message":{}}"#.to_string(),
    ]);
    lines
}

/// The fixtures' records, through the same call the CLI makes.
fn fixture_records(cfg: &Config) -> Vec<Value> {
    let ctx = Context {
        account_id: Some("123456789012".into()),
        log_group: Some("/aws/vendedlogs/cognito".into()),
        log_stream: Some("stream".into()),
        log_event_id: Some("1".into()),
        ..Context::default()
    };
    let mut out = Vec::new();
    for line in fixture_lines() {
        let docs = parse_documents(&line).expect("a fixture parses");
        for doc in &docs {
            let n = normalize(doc, &ctx, cfg).expect("a fixture normalizes");
            out.push(record(&n, cfg).expect("a record"));
        }
    }
    out
}

fn all_records() -> Vec<Value> {
    let mut out = sample_records(&ocsf_cfg());
    out.extend(fixture_records(&ocsf_cfg()));
    out.extend(fixture_records(&hashing_cfg()));
    out
}

fn class_of(record: &Value) -> Class {
    record
        .get("class_uid")
        .and_then(Value::as_i64)
        .and_then(layout::class_of_uid)
        .expect("a known class")
}

/// Every leaf path of `value` under `prefix`, each checked against the
/// schema of `class`; `unmapped` is a leaf (a string map). Returns the
/// paths seen and what does not fit.
fn check_leaves(
    class: Class,
    value: &Value,
    prefix: &str,
    seen: &mut BTreeSet<String>,
    wrong: &mut Vec<String>,
) {
    let Some(members) = value.as_object() else {
        wrong.push(format!("{prefix}: not an object"));
        return;
    };
    for (key, v) in members {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let Some(kind) = schema::kind_at(class, &path) else {
            wrong.push(format!("{}: {path} has no column", class.name));
            continue;
        };
        let fits = match (kind, v) {
            (Kind::Object(_), Value::Object(_)) => {
                check_leaves(class, v, &path, seen, wrong);
                continue;
            }
            (Kind::Str, Value::String(_)) => true,
            (Kind::Int, Value::Number(n)) => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
            (Kind::Long, Value::Number(n)) => n.as_i64().is_some(),
            (Kind::Bool, Value::Bool(_)) => true,
            (Kind::StrList, Value::Array(items)) => items.iter().all(Value::is_string),
            (Kind::StrMap, Value::Object(_)) => true,
            _ => false,
        };
        if fits {
            seen.insert(path);
        } else {
            wrong.push(format!(
                "{}: {path} is {v} but the column is {kind:?}",
                class.name
            ));
        }
    }
}

fn wrong_leaves(records: &[Value]) -> Vec<String> {
    let mut wrong = Vec::new();
    for r in records {
        check_leaves(class_of(r), r, "", &mut BTreeSet::new(), &mut wrong);
    }
    wrong
}

#[test]
fn every_attribute_the_mapping_emits_has_a_column_of_its_type() {
    let records = all_records();
    assert!(records.len() > 40, "{} records", records.len());
    let wrong = wrong_leaves(&records);
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn every_column_is_filled_by_some_record_of_its_class() {
    let records = all_records();
    for class in [AUTHENTICATION, ACCOUNT_CHANGE] {
        let mut seen = BTreeSet::new();
        for r in records.iter().filter(|r| class_of(r) == class) {
            check_leaves(class, r, "", &mut seen, &mut Vec::new());
        }
        let never: Vec<String> = schema::leaf_paths(class)
            .into_iter()
            .filter(|p| !seen.contains(p))
            .collect();
        assert!(
            never.is_empty(),
            "{}: no record fills {never:?}",
            class.name
        );
    }
}

#[test]
fn a_field_the_schema_lacks_fails_the_check_and_the_writer() {
    let mut r = fixture_records(&ocsf_cfg()).remove(0);
    r["user"]["email_addr"] = json!("someone@example.com");
    let wrong = wrong_leaves(std::slice::from_ref(&r));
    assert_eq!(wrong, ["authentication: user.email_addr has no column"]);
    assert!(matches!(
        writer::write_parquet(AUTHENTICATION, &[Row::new(r).expect("a row")]),
        Err(crate::Error::Schema { .. })
    ));
    let mut r = fixture_records(&ocsf_cfg()).remove(0);
    r["time"] = json!("yesterday");
    assert!(!wrong_leaves(std::slice::from_ref(&r)).is_empty());
    let r = Row::new(r).expect("a row");
    assert!(writer::check(AUTHENTICATION, &r).is_err());
    assert!(writer::write_parquet(AUTHENTICATION, &[r]).is_err());
}

#[test]
fn a_line_the_schema_refuses_is_refused_whole_and_the_others_are_written_as_without_it() {
    let records = fixture_records(&ocsf_cfg());
    let good = records[0].clone();
    assert_eq!(class_of(&good), AUTHENTICATION);
    let account = records
        .iter()
        .find(|r| class_of(r) == ACCOUNT_CHANGE)
        .expect("an account change fixture")
        .clone();
    let mut extra = good.clone();
    extra["x_extra"] = json!("a field written by another tool");
    let mut wrong_type = good.clone();
    wrong_type["user"]["name"] = json!({"not": "a string"});
    let mut account_extra = account.clone();
    account_extra["x_extra"] = json!(1);
    let lines: Vec<Vec<Value>> = vec![
        vec![good.clone()],
        vec![extra.clone()],
        vec![wrong_type.clone()],
        // A line's records go in together or not at all, across classes.
        vec![account.clone(), good.clone(), extra.clone()],
        vec![good.clone()],
        vec![account.clone()],
        // Its first refused record gives the reason, whichever object
        // it would have gone to.
        vec![wrong_type.clone(), account_extra.clone()],
        vec![good.clone()],
    ];
    let batch_of = |keep: &dyn Fn(u64) -> bool| {
        let mut batch = Batch::new("123456789012", None, None).expect("a batch");
        batch.add_input(b"the same input");
        for (tag, line) in (1..).zip(&lines) {
            if keep(tag) {
                batch.add_all(line.clone(), tag).expect("placed");
            }
        }
        batch
    };
    let batch = batch_of(&|_| true);
    assert_eq!(batch.rows(), 11);
    let finished = batch
        .finish()
        .expect("the refused lines do not fail the objects");
    let refused: Vec<(u64, usize, String)> = finished
        .refused
        .iter()
        .map(|r| (r.line, r.rows, r.error.to_string()))
        .collect();
    assert_eq!(
        refused,
        [
            (
                2,
                1,
                "rows do not fit the authentication schema".to_string()
            ),
            (
                3,
                1,
                "rows do not fit the authentication schema".to_string()
            ),
            (
                4,
                3,
                "rows do not fit the authentication schema".to_string()
            ),
            (
                7,
                2,
                "rows do not fit the authentication schema".to_string()
            ),
        ]
    );
    assert!(finished
        .refused
        .iter()
        .all(|r| matches!(r.error, crate::Error::Schema { .. })));
    // The objects are those of the other lines alone, byte for byte.
    let without = batch_of(&|tag| ![2, 3, 4, 7].contains(&tag))
        .finish()
        .expect("written");
    assert!(without.refused.is_empty());
    let summary = |objects: &[crate::Object]| -> Vec<(String, usize, Vec<u8>)> {
        objects
            .iter()
            .map(|o| (o.key.clone(), o.rows, o.bytes.clone()))
            .collect()
    };
    assert_eq!(summary(&finished.objects), summary(&without.objects));
    assert_eq!(finished.objects.iter().map(|o| o.rows).sum::<usize>(), 4);
    // A line alone in its object, refused, leaves no object behind.
    let mut alone = Batch::new("123456789012", None, None).expect("a batch");
    alone.add(good.clone(), 1).expect("placed");
    alone.add(account_extra, 2).expect("placed");
    let finished = alone.finish().expect("written");
    assert_eq!(finished.objects.len(), 1);
    assert_eq!(finished.objects[0].partition.class(), AUTHENTICATION);
    assert_eq!(finished.refused.len(), 1);
    assert_eq!(
        finished.refused[0].error.to_string(),
        "rows do not fit the account_change schema"
    );
}

fn read_back(bytes: Vec<u8>) -> (arrow_schema::SchemaRef, Vec<arrow_array::RecordBatch>) {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .expect("a parquet object")
        .build()
        .expect("a reader");
    let schema = reader.schema();
    let batches: Vec<_> = reader.map(|b| b.expect("a batch")).collect();
    (schema, batches)
}

#[test]
fn objects_read_back_with_the_class_schema_every_row_sorted_by_time() {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;
    let records = all_records();
    for class in [AUTHENTICATION, ACCOUNT_CHANGE] {
        let of_class: Vec<&Value> = records.iter().filter(|r| class_of(r) == class).collect();
        // Past two of the writer's chunks of rows, in reverse time order.
        let rows: Vec<Row> = (0..)
            .flat_map(|_| of_class.iter())
            .take(2 * 1024 + of_class.len())
            .enumerate()
            .map(|(i, r)| {
                let mut r = (*r).clone();
                r["time"] = json!(1_732_400_000_000_i64 - i as i64 * 1000);
                Row::new(r).expect("a row")
            })
            .collect();
        let n = rows.len();
        let (schema, batches) = read_back(writer::write_parquet(class, &rows).expect("written"));
        assert_eq!(schema.fields(), schema::schema(class).fields());
        let times: Vec<i64> = batches
            .iter()
            .flat_map(|b| {
                let col = b.column_by_name("time").expect("a time column");
                col.as_primitive::<Int64Type>().values().to_vec()
            })
            .collect();
        assert_eq!(times.len(), n);
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    }
}

#[test]
fn a_record_without_a_time_is_refused_not_filed_under_1970() {
    let mut batch = Batch::new("123456789012", None, Some("1.0")).expect("a batch");
    let placed = fixture_records(&ocsf_cfg())
        .into_iter()
        .find(|r| r.pointer("/cloud/region").is_some())
        .expect("a fixture with a region");
    for time in [json!(0), json!(-1), Value::Null] {
        let mut r = placed.clone();
        r["time"] = time.clone();
        assert!(
            matches!(batch.add(r, 1), Err(crate::Error::NoTime)),
            "time {time}"
        );
    }
    // The same record with its time is placed.
    batch.add(placed, 2).expect("placed");
    assert_eq!(batch.rows(), 1);
}

#[test]
fn a_batch_splits_by_class_and_day_and_names_objects_from_its_input() {
    let run = |input: &[u8]| {
        let mut batch = Batch::new("123456789012", None, Some("1.0")).expect("a batch");
        batch.add_input(input);
        let mut no_time = 0;
        for (line, r) in (1..).zip(fixture_records(&ocsf_cfg())) {
            match batch.add(r, line) {
                Ok(()) => {}
                Err(crate::Error::NoTime) => no_time += 1,
                Err(e) => panic!("{e}"),
            }
        }
        // The fixture with neither a time nor a user pool (`{"eventSource":
        // …, "message":{}}`) has no day, nor region, to file it under.
        assert_eq!(no_time, 1);
        let mut late = fixture_records(&ocsf_cfg()).remove(0);
        late["time"] = json!(1_732_500_000_000_i64);
        batch.add(late, 0).expect("placed");
        let finished = batch.finish().expect("written");
        assert!(finished.refused.is_empty());
        finished.objects
    };
    let a = run(b"input one");
    let keys: Vec<&str> = a.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(keys[0].starts_with(
        "ext/cognitoacct/1.0/region=eu-west-1/accountId=123456789012/eventDay=20241123/account_change-"
    ));
    assert!(keys[1].starts_with("ext/cognitoauth/1.0/region=eu-west-1/accountId=123456789012/eventDay=20241123/authentication-"));
    assert!(keys[2].contains("/eventDay=20241125/"));
    let total: usize = a.iter().map(|o| o.rows).sum();
    // Every fixture but the one without a pool (no region) and the late one.
    assert_eq!(total, fixture_lines().len() + 1 - 1);
    let again = run(b"input one");
    for (x, y) in a.iter().zip(&again) {
        assert_eq!(x.key, y.key);
        assert_eq!(x.bytes, y.bytes, "same input, same bytes");
    }
    let other = run(b"input two");
    assert_ne!(a[0].key, other[0].key);
}
