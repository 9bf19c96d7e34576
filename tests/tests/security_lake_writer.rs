//! The real `security-lake-writer` binary against the local Runtime API,
//! with moto standing in for S3 and STS (the real SDK on loopback):
//!
//! - an EventBridge `Object Created` event for an object of delivered lines
//!   (gzip, as Firehose writes them) puts Parquet objects in the lake's
//!   bucket, each class under its own source's location, with its row
//!   count, readable by pyarrow;
//! - the same event again writes the same keys and bytes, nothing more;
//! - the unusable lines go under the error prefix, with their bytes and
//!   reasons, and nothing else is lost;
//! - the STS requests it sends are recorded (moto grants any role): one
//!   `AssumeRole` per source, with that source's role ARN and external id;
//! - an S3 notification with a URL-encoded key; a missing object fails the
//!   invocation (Lambda retries, then the dead-letter queue).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::Duration;

use cognito_activity::config::OutputFormat;
use cognito_activity::fixtures;
use cognito_activity::normalize::Context;
use cognito_activity::pipeline::{self, Holds, RecordOutcome};
use cognito_activity::{Config, Stats};
use e2e::recorder::Recorder;
use e2e::{
    assert_setting_stops, cargo_binary, ensure_python_packages, workspace, Bootstrap, Moto, Reply,
    RuntimeApi,
};
use serde_json::{json, Value};

const ACTIVITY: &str = "activity-bucket";
const LAKE: &str = "aws-security-data-lake-eu-west-1-abc";
const AUTH_ROLE: &str =
    "arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-cognitoauth-eu-west-1";
const ACCT_ROLE: &str =
    "arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-cognitoacct-eu-west-1";

const SETUP: &str = r#"
import base64
s3 = client('s3')
for b in ARGS['buckets']:
    s3.create_bucket(Bucket=b)
# Versioned, as the template makes the activity bucket.
s3.put_bucket_versioning(Bucket=ARGS['buckets'][0], VersioningConfiguration={'Status': 'Enabled'})
for key, body in ARGS['objects'].items():
    s3.put_object(Bucket=ARGS['buckets'][0], Key=key, Body=base64.b64decode(body))
"#;

/// Writes one object (again).
const PUT: &str = r#"
import base64
client('s3').put_object(Bucket=ARGS['bucket'], Key=ARGS['key'], Body=base64.b64decode(ARGS['body']))
"#;

/// Every object of every bucket: key, ETag, and the body in base64.
const DUMP: &str = r#"
import base64
s3 = client('s3')
out = {}
for b in ARGS['buckets']:
    for o in s3.list_objects_v2(Bucket=b).get('Contents', []):
        body = s3.get_object(Bucket=b, Key=o['Key'])['Body'].read()
        out[b + '/' + o['Key']] = {'etag': o['ETag'], 'body': base64.b64encode(body).decode()}
print(json.dumps(out))
"#;

/// Every library fixture in `format`, one line per event, then two lines
/// that cannot be used; gzip, as Firehose delivers.
fn delivered(format: OutputFormat) -> (Vec<u8>, usize) {
    let cfg = Config {
        output_format: format,
        ..Config::default()
    };
    let mut text = Vec::new();
    let mut events = 0;
    for line in fixtures::lines() {
        let holds = Holds::DocumentsOrEnvelope { compressed: false };
        match pipeline::transform(
            line.as_bytes(),
            holds,
            &Context::default(),
            &cfg,
            &mut Stats::default(),
        ) {
            RecordOutcome::Ok { output, .. } => {
                events += output.iter().filter(|&&b| b == b'\n').count();
                text.extend_from_slice(&output);
            }
            other => panic!("{line}: {other:?}"),
        }
    }
    text.extend_from_slice(b"{\"not\":\"cognito\"}\nthis is not JSON\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&text).unwrap();
    (gz.finish().unwrap(), events)
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn eventbridge(key: &str) -> Vec<u8> {
    json!({
        "version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created", "source": "aws.s3", "account": "123456789012",
        "time": "2026-12-04T00:00:00Z", "region": "eu-west-1",
        "resources": [format!("arn:aws:s3:::{ACTIVITY}")],
        "detail": {"version": "0", "bucket": {"name": ACTIVITY},
                   "object": {"key": key, "size": 1, "etag": "x", "sequencer": "1"},
                   "request-id": "R", "requester": "123456789012", "reason": "PutObject"}
    })
    .to_string()
    .into_bytes()
}

fn notification(encoded_key: &str) -> Vec<u8> {
    json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-1",
        "eventTime": "2026-12-04T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": ACTIVITY, "arn": format!("arn:aws:s3:::{ACTIVITY}")},
               "object": {"key": encoded_key, "size": 1, "eTag": "x", "sequencer": "1"}}
    }]})
    .to_string()
    .into_bytes()
}

fn lake_objects(dump: &Value) -> BTreeMap<String, (String, Vec<u8>)> {
    dump.as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with(&format!("{LAKE}/")))
        .map(|(k, v)| {
            (
                k.clone(),
                (
                    v["etag"].as_str().unwrap().to_string(),
                    unb64(v["body"].as_str().unwrap()),
                ),
            )
        })
        .collect()
}

/// Row counts of Parquet objects, as pyarrow reads them.
fn pyarrow_rows(objects: &BTreeMap<String, (String, Vec<u8>)>) -> BTreeMap<String, u64> {
    ensure_python_packages("python3", "pyarrow", &["pyarrow==26.0.1"]);
    let dir = std::env::temp_dir().join(format!("lake-writer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (key, (_, body)) in objects {
        let path = dir.join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, body).unwrap();
    }
    let out = std::process::Command::new("python3")
        .arg(workspace().join("tests/python/read_parquet.py"))
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["path"].as_str().unwrap().to_string(),
                v["num_rows"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn delivered_objects_reach_the_lake_with_each_sources_role_once_and_nothing_is_lost() {
    let moto = Moto::start();
    let sts = Recorder::start(&moto.endpoint);
    let (normalized, events) = delivered(OutputFormat::Normalized);
    let (splunk, _) = delivered(OutputFormat::Splunk);
    let key = "data/year=2026/month=12/day=04/cognito-activity-1-2026-12-04-00-00-00-abc.gz";
    let odd_key = "data/odd name:1.gz";
    moto.boto3(
        SETUP,
        &json!({"buckets": [ACTIVITY, LAKE], "objects": {key: b64(&normalized), odd_key: b64(&splunk)}}),
    );

    let api = RuntimeApi::start();
    let writer = cargo_binary("security-lake-writer", "security-lake-writer");
    let bootstrap = Bootstrap::spawn_program(
        &api,
        &[writer.into()],
        &[
            ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
            ("AWS_ENDPOINT_URL_STS", sts.endpoint.as_str()),
            ("SOURCE_ACCOUNT_ID", "123456789012"),
            ("ERROR_BUCKET", ACTIVITY),
            (
                "AUTHENTICATION_SOURCE_LOCATION",
                &format!("s3://{LAKE}/ext/cognitoauth/1.0/"),
            ),
            ("AUTHENTICATION_PROVIDER_ROLE_ARN", AUTH_ROLE),
            ("AUTHENTICATION_EXTERNAL_ID", "auth-external-id"),
            (
                "ACCOUNT_CHANGE_SOURCE_LOCATION",
                &format!("s3://{LAKE}/ext/cognitoacct/1.0/"),
            ),
            ("ACCOUNT_CHANGE_PROVIDER_ROLE_ARN", ACCT_ROLE),
            ("ACCOUNT_CHANGE_EXTERNAL_ID", "acct-external-id"),
        ],
    );
    let wait = Duration::from_secs(60);

    let first = api.invoke(&eventbridge(key), wait).json();
    let summary = &first["objects"][0];
    assert_eq!(summary["source"], format!("s3://{ACTIVITY}/{key}"));
    assert_eq!(summary["lines"].as_u64(), Some(events as u64 + 2));
    assert_eq!(summary["rejected"], 2);
    let rows = summary["rows"].as_u64().unwrap();
    assert!(rows > 0 && rows <= events as u64);

    let dump: Value =
        serde_json::from_str(&moto.boto3(DUMP, &json!({"buckets": [ACTIVITY, LAKE]}))).unwrap();
    let lake = lake_objects(&dump);
    let written: BTreeMap<String, u64> = summary["written"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                format!(
                    "{}/{}",
                    w["bucket"].as_str().unwrap(),
                    w["key"].as_str().unwrap()
                ),
                w["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lake.keys().collect::<Vec<_>>(),
        written.keys().collect::<Vec<_>>()
    );
    for key in lake.keys() {
        let ok = key.starts_with(&format!("{LAKE}/ext/cognitoauth/1.0/region="))
            || key.starts_with(&format!("{LAKE}/ext/cognitoacct/1.0/region="));
        assert!(
            ok && key.contains("/accountId=123456789012/eventDay=") && key.ends_with(".parquet"),
            "{key}"
        );
    }
    let read = pyarrow_rows(&lake);
    assert_eq!(read.values().sum::<u64>(), rows);
    assert_eq!(
        read.into_values().collect::<Vec<_>>(),
        written.values().copied().collect::<Vec<_>>()
    );

    // The unusable lines, with their bytes and reasons, under the error prefix.
    let errors: Vec<&String> = dump
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with(&format!("{ACTIVITY}/errors/security-lake/")))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(summary["error_object"], format!("s3://{}", errors[0]));
    let gz = unb64(dump[errors[0].as_str()]["body"].as_str().unwrap());
    let rejected: Vec<Value> = e2e::overflow::unzip_json(&gz);
    assert_eq!(
        unb64(rejected[0]["rawData"].as_str().unwrap()),
        b"{\"not\":\"cognito\"}"
    );
    assert_eq!(
        unb64(rejected[1]["rawData"].as_str().unwrap()),
        b"this is not JSON"
    );
    assert!(rejected
        .iter()
        .all(|r| r["errorMessage"].as_str().is_some_and(|m| !m.is_empty())));

    // Again: the same keys, the same bytes, nothing more.
    let second = api.invoke(&eventbridge(key), wait).json();
    assert_eq!(second, first);
    let again: Value =
        serde_json::from_str(&moto.boto3(DUMP, &json!({"buckets": [ACTIVITY, LAKE]}))).unwrap();
    assert_eq!(again, dump);

    // The object written again with the same bytes (a new version, as the
    // S3 route's retry makes it): its rows still land once, under the same
    // keys. Only the error output names the new version.
    moto.boto3(
        PUT,
        &json!({"bucket": ACTIVITY, "key": key, "body": b64(&normalized)}),
    );
    let third = api.invoke(&eventbridge(key), wait).json();
    assert_ne!(
        third["objects"][0]["version"],
        first["objects"][0]["version"]
    );
    assert_eq!(
        third["objects"][0]["written"],
        first["objects"][0]["written"]
    );
    let rewritten: Value =
        serde_json::from_str(&moto.boto3(DUMP, &json!({"buckets": [ACTIVITY, LAKE]}))).unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&rewritten), keys(&dump));
    assert_eq!(lake_objects(&rewritten), lake_objects(&dump));

    // Each source's provider role, assumed with its own external id.
    let assumed: Vec<(String, String)> = sts
        .requests()
        .iter()
        .map(|r| r.form())
        .filter(|form| form.iter().any(|(k, v)| k == "Action" && v == "AssumeRole"))
        .map(|form| {
            let get = |name: &str| {
                form.iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            (get("RoleArn"), get("ExternalId"))
        })
        .collect();
    let mut roles: Vec<_> = assumed.clone();
    roles.sort();
    roles.dedup();
    assert_eq!(
        roles,
        vec![
            (ACCT_ROLE.to_string(), "acct-external-id".to_string()),
            (AUTH_ROLE.to_string(), "auth-external-id".to_string()),
        ],
        "every AssumeRole: {assumed:?}"
    );

    // A notification's key arrives URL-encoded; splunk events read as normalized lines do.
    let third = api
        .invoke(&notification("data/odd+name%3A1.gz"), wait)
        .json();
    assert_eq!(
        third["objects"][0]["source"],
        format!("s3://{ACTIVITY}/{odd_key}")
    );
    assert_eq!(third["objects"][0]["rows"].as_u64(), Some(rows));

    // A missing object fails the invocation, naming S3's error.
    match api.invoke(&eventbridge("data/gone.gz"), wait) {
        Reply::Error(body) => {
            let text = String::from_utf8_lossy(&body);
            assert!(
                text.contains("S3Error") && text.contains("NoSuchKey"),
                "{text}"
            );
        }
        Reply::Response(body) => panic!("answered {}", String::from_utf8_lossy(&body)),
    }

    // The logs carry counts and keys, never a line's contents.
    let logs = bootstrap.logs_containing("object written to Security Lake");
    assert!(
        !logs.contains("not cognito") && !logs.contains("this is not JSON"),
        "{logs}"
    );
}

#[test]
fn a_bad_setting_stops_the_writer_naming_the_variable() {
    assert_setting_stops(
        cargo_binary("security-lake-writer", "security-lake-writer"),
        &[("SOURCE_ACCOUNT_ID", "not-an-account")],
        "SOURCE_ACCOUNT_ID",
        "twelve digits",
    );
}
