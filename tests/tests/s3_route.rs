//! The real `s3-transformer` binary against the local Runtime API, with
//! moto standing in for S3 (the real SDK, on loopback): an EventBridge
//! event, an S3 notification with a URL-encoded key, the same notification
//! again (the same keys and bytes, nothing more), S3 Batch Operations at
//! schema 1.0 and 2.0 with a missing object (`PermanentFailure`), a broken
//! line (under the error prefix with its bytes, nothing else lost), an
//! object unreadable past a line (copied whole beside the errors, by
//! `CopyObject` of the version read), and a large object streamed in
//! bounded memory (peak RSS well under its size).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cognito_activity::fixtures;
use e2e::{assert_setting_stops, cargo_binary, Bootstrap, Moto, Reply, RuntimeApi};
use serde_json::{json, Value};

const RAW: &str = "cognito-raw";
const OUT: &str = "cognito-activity";

const SETUP: &str = r#"
import gzip
s3 = client('s3')
for b in [ARGS['raw'], ARGS['out']]:
    s3.create_bucket(Bucket=b)
for key, text in ARGS['objects'].items():
    body = text.encode()
    if key.endswith('.gz'):
        body = gzip.compress(body)
    s3.put_object(Bucket=ARGS['raw'], Key=key, Body=body)
if ARGS.get('large_key'):
    lines = ('\n'.join(ARGS['lines']) + '\n').encode()
    repeat = ARGS['large_bytes'] // len(lines) + 1
    s3.put_object(Bucket=ARGS['raw'], Key=ARGS['large_key'], Body=gzip.compress(lines * repeat, 1))
    print(len(lines) * repeat)
"#;

/// Every object of the output bucket: key -> (ETag, its lines when gzip,
/// else its bytes in base64).
const DUMP: &str = r#"
import base64, gzip
s3 = client('s3')
out = {}
for page in s3.get_paginator('list_objects_v2').paginate(Bucket=ARGS['out']):
    for o in page.get('Contents', []):
        body = s3.get_object(Bucket=ARGS['out'], Key=o['Key'])['Body'].read()
        if o['Key'].endswith('.source'):
            # A source object's copy: its bytes as they are.
            out[o['Key']] = {'etag': o['ETag'], 'base64': base64.b64encode(body).decode()}
            continue
        out[o['Key']] = {'etag': o['ETag'], 'lines': gzip.decompress(body).decode().splitlines()}
print(json.dumps(out))
"#;

fn eventbridge(key: &str) -> Vec<u8> {
    json!({"version": "0", "detail-type": "Object Created", "source": "aws.s3", "region": "us-east-1",
           "detail": {"version": "0", "bucket": {"name": RAW}, "object": {"key": key, "size": 1}}})
    .to_string()
    .into_bytes()
}

fn notification(encoded_key: &str) -> Vec<u8> {
    json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": RAW}, "object": {"key": encoded_key}}}]})
    .to_string()
    .into_bytes()
}

fn dump(moto: &Moto) -> serde_json::Map<String, Value> {
    let v: Value = serde_json::from_str(&moto.boto3(DUMP, &json!({"out": OUT}))).unwrap();
    v.as_object().unwrap().clone()
}

fn start(moto: &Moto) -> (RuntimeApi, Bootstrap) {
    let api = RuntimeApi::start();
    // `S3_TRANSFORMER_BIN`: another build of it (the release one, for the figure in docs/routes.md).
    let binary = std::env::var_os("S3_TRANSFORMER_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| cargo_binary("s3-transformer", "s3-transformer"));
    let process = Bootstrap::spawn_program(
        &api,
        &[binary.into()],
        &[
            ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
            ("OUTPUT_BUCKET", OUT),
            ("PARTITION_KEYS", "event_type,year"),
            ("OUTPUT_FORMAT", "ocsf"),
        ],
    );
    (api, process)
}

#[test]
fn objects_in_s3_are_transformed_once_by_every_trigger_and_nothing_is_lost() {
    let moto = Moto::start();
    let lines = fixtures::lines();
    let mut text = lines.join("\n");
    text.push_str("\nnot a cognito record\n");
    moto.boto3(
        SETUP,
        &json!({"raw": RAW, "out": OUT, "objects": {
            "cognito/2026/12/04/part-1.json.gz": text,
            "cognito/odd name:1.json": lines.join("\n"),
        }}),
    );
    let (api, _process) = start(&moto);
    let wait = Duration::from_secs(60);

    // EventBridge: every event one OCSF line, partitioned; the broken line kept.
    let first = api
        .invoke(&eventbridge("cognito/2026/12/04/part-1.json.gz"), wait)
        .json();
    let summary = &first["objects"][0];
    assert_eq!(summary["lines"].as_u64(), Some(lines.len() as u64 + 1));
    assert_eq!(summary["rejected"], 1);
    let objects = dump(&moto);
    let outputs: Vec<(&String, &Value)> = objects
        .iter()
        .filter(|(k, _)| k.starts_with("activity/ocsf/"))
        .collect();
    assert!(!outputs.is_empty());
    let mut written = 0;
    for (key, object) in &outputs {
        assert!(
            key.starts_with("activity/ocsf/event_type=")
                && key.contains("/year=")
                && key.ends_with(".json.gz"),
            "{key}"
        );
        for line in object["lines"].as_array().unwrap() {
            let v: Value = serde_json::from_str(line.as_str().unwrap()).unwrap();
            assert!(v["class_uid"].is_i64());
            written += 1;
        }
    }
    assert_eq!(Some(written), summary["events"].as_u64());
    let errors: Vec<_> = objects
        .keys()
        .filter(|k| k.starts_with("errors/s3-transformer/"))
        .collect();
    assert_eq!(errors.len(), 1);
    let rejected: Value =
        serde_json::from_str(objects[errors[0]]["lines"][0].as_str().unwrap()).unwrap();
    assert_eq!(rejected["rawData"], "bm90IGEgY29nbml0byByZWNvcmQ=");
    assert_eq!(rejected["line"].as_u64(), Some(lines.len() as u64 + 1));

    // A notification's key arrives URL-encoded; then the same notification again.
    let odd = api
        .invoke(&notification("cognito/odd+name%3A1.json"), wait)
        .json();
    assert_eq!(
        odd["objects"][0]["source"],
        format!("s3://{RAW}/cognito/odd name:1.json")
    );
    assert_eq!(odd["objects"][0]["events"], summary["events"]);
    let before = dump(&moto);
    let again = api
        .invoke(&notification("cognito/odd+name%3A1.json"), wait)
        .json();
    assert_eq!(again, odd);
    assert_eq!(dump(&moto), before, "no duplicate, nothing changed");

    // Batch Operations, both schemas: one answer per task.
    for (schema, bucket_field, bucket_value) in [
        ("1.0", "s3BucketArn", format!("arn:aws:s3:::{RAW}")),
        ("2.0", "s3Bucket", RAW.to_string()),
    ] {
        let job = json!({"invocationSchemaVersion": schema, "invocationId": format!("inv-{schema}"),
        "job": {"id": "job-1", "userArguments": {}},
        "tasks": [
            {"taskId": "t1", "s3Key": "cognito/2026/12/04/part-1.json.gz", "s3VersionId": null, bucket_field: bucket_value},
            {"taskId": "t2", "s3Key": "cognito/missing.json", "s3VersionId": null, bucket_field: bucket_value},
        ]});
        let answer = api.invoke(job.to_string().as_bytes(), wait).json();
        assert_eq!(answer["invocationSchemaVersion"], schema);
        assert_eq!(answer["invocationId"], format!("inv-{schema}"));
        assert_eq!(answer["treatMissingKeysAs"], "PermanentFailure");
        let results = answer["results"].as_array().unwrap();
        assert_eq!(
            (
                results[0]["taskId"].as_str(),
                results[0]["resultCode"].as_str()
            ),
            (Some("t1"), Some("Succeeded"))
        );
        assert_eq!(results[1]["resultCode"], "PermanentFailure");
        assert!(results[1]["resultString"]
            .as_str()
            .unwrap()
            .contains("NoSuchKey"));
    }
    assert_eq!(dump(&moto), before, "the backfill rewrote the same objects");

    // A missing object named by an event fails the invocation (retried, then the DLQ).
    match api.invoke(&eventbridge("cognito/missing.json"), wait) {
        Reply::Error(body) => assert!(String::from_utf8_lossy(&body).contains("NoSuchKey")),
        Reply::Response(body) => panic!("answered {}", String::from_utf8_lossy(&body)),
    }
}

#[test]
fn an_object_unreadable_past_a_line_is_copied_whole_beside_its_errors() {
    let moto = Moto::start();
    let lines = fixtures::lines();
    // A versioned raw bucket, as the template's (the copy of a version
    // read before an overwrite: aws/src/tests.rs).
    let raw = moto.boto3(
        r#"
import base64, gzip
s3 = client('s3')
for b in [ARGS['raw'], ARGS['out']]:
    s3.create_bucket(Bucket=b)
s3.put_bucket_versioning(Bucket=ARGS['raw'], VersioningConfiguration={'Status': 'Enabled'})
body = gzip.compress(('\n'.join(ARGS['lines']) + '\n').encode())
body = body[:-12] + b'\xff' * 12
s3.put_object(Bucket=ARGS['raw'], Key='cognito/cut.json.gz', Body=body)
print(base64.b64encode(body).decode())
"#,
        &json!({"raw": RAW, "out": OUT, "lines": lines}),
    );
    let (api, _process) = start(&moto);
    let answer = api
        .invoke(&eventbridge("cognito/cut.json.gz"), Duration::from_secs(60))
        .json();
    let summary = &answer["objects"][0];
    assert_eq!(summary["rejected"], 1, "{summary}");
    let objects = dump(&moto);
    let copy = summary["source_copy"].as_str().expect("a copy");
    let copy_key = copy
        .strip_prefix(&format!("s3://{OUT}/"))
        .expect("in the output bucket");
    assert!(
        copy_key.starts_with("errors/s3-transformer/") && copy_key.ends_with(".source"),
        "{copy_key}"
    );
    assert_eq!(objects[copy_key]["base64"].as_str(), Some(raw.trim()));
    // The error object's last entry names it.
    let error_key = summary["error_object"]
        .as_str()
        .and_then(|e| e.strip_prefix(&format!("s3://{OUT}/")))
        .expect("an error object");
    let entries = objects[error_key]["lines"].as_array().unwrap();
    let last: Value = serde_json::from_str(entries.last().unwrap().as_str().unwrap()).unwrap();
    assert_eq!(last["errorCode"], "Rejections.SourceCopied");
    assert_eq!(last["sourceCopy"], copy);
}

#[test]
fn a_large_object_streams_through_in_bounded_memory() {
    let moto = Moto::start();
    // 96 MiB by default; `S3_ROUTE_LARGE_MIB=1024 S3_TRANSFORMER_BIN=target/release/s3-transformer`
    // for the figure in docs/routes.md.
    let size: u64 = std::env::var("S3_ROUTE_LARGE_MIB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(96)
        << 20;
    let text_bytes: u64 = moto
        .boto3(
            SETUP,
            &json!({"raw": RAW, "out": OUT, "objects": {}, "lines": fixtures::lines(),
                    "large_key": "history/large.json.gz", "large_bytes": size}),
        )
        .trim()
        .parse()
        .unwrap();
    let (api, process) = start(&moto);
    let idle = {
        api.first_poll(Duration::from_secs(60)).expect("it starts");
        process.peak_rss_kib().expect("VmHWM")
    };
    let answer = api
        .invoke(
            &eventbridge("history/large.json.gz"),
            Duration::from_secs(600),
        )
        .json();
    let peak = process.peak_rss_kib().expect("VmHWM");
    let summary = &answer["objects"][0];
    assert_eq!(summary["rejected"], 0);
    assert!(summary["events"].as_u64().unwrap() > 100_000);
    // The object is read, inflated and written as it arrives: the process
    // grows by a fraction of what it reads (buffers, open outputs), never
    // by the object.
    let grew_kib = peak.saturating_sub(idle);
    println!(
        "large object: {} MiB of text, peak RSS {} MiB (idle {} MiB)",
        text_bytes >> 20,
        peak >> 10,
        idle >> 10
    );
    assert!(
        grew_kib * 1024 < text_bytes / 2,
        "grew {grew_kib} KiB for {text_bytes} bytes of text"
    );
}

#[test]
fn a_bad_setting_stops_the_s3_transformer_naming_the_variable() {
    assert_setting_stops(
        cargo_binary("s3-transformer", "s3-transformer"),
        &[("OUTPUT_BUCKET", "Not_A_Bucket")],
        "OUTPUT_BUCKET",
        "bucket name",
    );
}
