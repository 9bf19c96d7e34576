//! `cognito-activity redrive` against moto (the real SDK, on loopback):
//! Firehose's error records and the S3 route's rejected lines under
//! `errors/` go back into the stream (moto delivers them to its bucket)
//! or out as new objects, each original byte for byte; an entry without
//! its bytes is reported with where they are, and makes the exit status 1;
//! `--dry-run` sends nothing. (Objects past the size limit are refused
//! before they are read: 256 MiB is too large to make here, so
//! `redrive.rs`'s unit tests cover that with a small limit.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use base64::Engine as _;
use cognito_activity::pipeline::rejected::Rejections;
use e2e::scripted::{Answer, Scripted};
use e2e::{cargo_binary, Moto};
use serde_json::{json, Value};

const SETUP: &str = r#"
import base64
s3 = client('s3')
for b in ['activity', 'delivered', 'raw']:
    s3.create_bucket(Bucket=b)
client('firehose').create_delivery_stream(DeliveryStreamName='activity-stream', DeliveryStreamType='DirectPut',
    ExtendedS3DestinationConfiguration={'RoleARN': 'arn:aws:iam::123456789012:role/firehose',
        'BucketARN': 'arn:aws:s3:::delivered'})
for key, body in ARGS['objects'].items():
    s3.put_object(Bucket='activity', Key=key, Body=base64.b64decode(body))
"#;

/// Every object of a bucket, as text.
const DUMP: &str = r#"
s3 = client('s3'); out = {}
for o in s3.list_objects_v2(Bucket=ARGS['bucket']).get('Contents', []):
    out[o['Key']] = s3.get_object(Bucket=ARGS['bucket'], Key=o['Key'])['Body'].read().decode()
print(json.dumps(out))
"#;

/// The content type S3 holds for an object.
const CONTENT_TYPE: &str = r#"
print(client('s3').head_object(Bucket=ARGS['bucket'], Key=ARGS['key'])['ContentType'], end='')
"#;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Firehose's error record for a record holding `original`, as Firehose
/// writes it under `errors/`.
fn error_record(original: &str) -> String {
    json!({"attemptsMade": 4, "arrivalTimestamp": 1733300000000_i64, "errorCode": "Lambda.FunctionError",
           "errorMessage": "The Lambda function was successfully invoked but it returned an error result.",
           "attemptEndingTimestamp": 1733300060000_i64, "rawData": b64(original.as_bytes()),
           "lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:t:$LATEST"})
    .to_string()
}

/// Runs `cognito-activity redrive` with `args` (split at spaces).
fn redrive(moto: &Moto, args: &str) -> (i32, String) {
    redrive_with(moto, args, &[])
}

/// `redrive`, with more environment (`AWS_ENDPOINT_URL_FIREHOSE`, say).
fn redrive_with(moto: &Moto, args: &str, env: &[(&str, &str)]) -> (i32, String) {
    let cli = cargo_binary("cognito-activity-cli", "cognito-activity");
    let out = Command::new(cli)
        .arg("redrive")
        .args(args.split_whitespace())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn dump(moto: &Moto, bucket: &str) -> serde_json::Map<String, Value> {
    let v: Value = serde_json::from_str(&moto.boto3(DUMP, &json!({"bucket": bucket}))).unwrap();
    v.as_object().unwrap().clone()
}

/// Everything the stream delivered, in key order.
fn delivered(moto: &Moto) -> String {
    dump(moto, "delivered")
        .values()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn error_records_go_back_through_the_stream_or_as_objects_and_what_cannot_is_reported() {
    let moto = Moto::start();
    let originals = [
        r#"{"eventTimestamp":"1733300000000","eventSource":"USER_AUTH_EVENTS","message":{"eventType":"SignIn"}}"#,
        r#"{"eventTimestamp":"1733300000001","eventSource":"USER_AUTH_EVENTS","message":{"eventType":"SignUp"}}"#,
        "a line the S3 route could not use",
    ];
    // Firehose's error records, back to back, as Firehose writes them.
    let firehose: String = originals[..2].iter().map(|o| error_record(o)).collect();
    let mut ours = Rejections::new("s3://raw/AWSLogs/x.log.gz", "v1");
    ours.push(
        7,
        "S3Transformer.Unusable",
        "not a Cognito record".into(),
        Some(originals[2].as_bytes()),
    );
    ours.push(9, "S3Transformer.TooLong", "line too long".into(), None);
    let (ours, _) = ours.finish(Ok(
        "s3://activity/errors/s3-transformer/0123456789abcdef.source",
    ));
    moto.boto3(
        SETUP,
        &json!({"objects": {
            "errors/processing-failed/2026/12/04/10/activity-stream-1-2026-12-04-10-00-00-abc": b64(firehose.as_bytes()),
            "errors/s3-transformer/0123456789abcdef.json.gz": b64(&ours),
            // The source object's copy beside it: passed over, not read as
            // error records.
            "errors/s3-transformer/0123456789abcdef.source": b64(b"a source object, not error records"),
        }}),
    );

    // A dry run sends nothing.
    let (code, report) = redrive(
        &moto,
        "--bucket activity --prefix errors/ --stream activity-stream --dry-run",
    );
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("2 records would be sent") && report.contains("1 records would be sent"),
        "{report}"
    );
    assert!(dump(&moto, "delivered").is_empty());

    // Into the stream: every original byte for byte; the entry without bytes reported.
    let (code, report) = redrive(
        &moto,
        "--bucket activity --prefix errors/ --stream activity-stream",
    );
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("3 records sent, 1 left"), "{report}");
    assert!(
        report.contains("its bytes are not held")
            && report.contains("s3://raw/AWSLogs/x.log.gz line 9")
            && report.contains(
                "as it was read: s3://activity/errors/s3-transformer/0123456789abcdef.source"
            )
            && !report.contains("0123456789abcdef.source: "),
        "{report}"
    );
    let delivered = delivered(&moto);
    for original in originals {
        assert_eq!(
            delivered.matches(original).count(),
            1,
            "{original} in {delivered}"
        );
    }
    assert_eq!(
        delivered.len(),
        originals.iter().map(|o| o.len()).sum::<usize>()
    );

    // As objects, for the S3 route: one per error object, named after it.
    let (code, report) = redrive(
        &moto,
        "--bucket activity --prefix errors/s3-transformer/ --to s3://raw/redrive/",
    );
    assert_eq!(code, 1, "{report}");
    let raw = dump(&moto, "raw");
    assert_eq!(raw.len(), 1, "{raw:?}");
    let (key, text) = raw.iter().next().unwrap();
    assert!(key.starts_with("redrive/redrive-0123456789abcdef"), "{key}");
    assert_eq!(text, &format!("{}\n", originals[2]));
    assert_eq!(
        moto.boto3(CONTENT_TYPE, &json!({"bucket": "raw", "key": key})),
        "application/x-ndjson"
    );
    // Again: the same object, rewritten.
    redrive(
        &moto,
        "--bucket activity --prefix errors/s3-transformer/ --to s3://raw/redrive/",
    );
    assert_eq!(dump(&moto, "raw"), raw);
}

/// The log event ids of every envelope delivered to a bucket, envelope by
/// envelope (Firehose's objects here are its records' bytes back to back:
/// gzip members, each one envelope).
const DELIVERED_ENVELOPES: &str = r#"
import gzip
s3 = client('s3'); out = []
for o in s3.list_objects_v2(Bucket=ARGS['bucket']).get('Contents', []):
    text = gzip.decompress(s3.get_object(Bucket=ARGS['bucket'], Key=o['Key'])['Body'].read()).decode()
    decoder, at = json.JSONDecoder(), 0
    while at < len(text):
        env, at = decoder.raw_decode(text, at)
        out.append([e['id'] for e in env['logEvents']])
print(json.dumps(sorted(out)))
"#;

#[test]
fn split_envelopes_sends_each_log_event_of_an_envelope_on_its_own() {
    let moto = Moto::start();
    let message = |n: u32| {
        json!({"eventTimestamp": format!("173330000000{n}"), "eventSource": "USER_AUTH_EVENTS",
               "message": {"eventType": "SignIn"}})
        .to_string()
    };
    let events: Vec<Value> = [message(0), "not a Cognito record".into(), message(2)]
        .iter()
        .enumerate()
        .map(|(i, m)| json!({"id": format!("e{i}"), "timestamp": 1733300000000_i64, "message": m}))
        .collect();
    let envelope = cognito_activity::firehose::split::gzip(
        json!({"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/cognito",
               "logStream": "s", "subscriptionFilters": ["f"], "logEvents": events})
        .to_string()
        .as_bytes(),
    );
    // The envelope failed whole, as it does with one unusable event in it.
    let error = json!({"attemptsMade": 1, "arrivalTimestamp": 1733300000000_i64,
        "errorCode": "Lambda.ProcessingFailed", "errorMessage": "x", "rawData": b64(&envelope),
        "lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:t:$LATEST"})
    .to_string();
    moto.boto3(
        SETUP,
        &json!({"objects": {"errors/processing-failed/2026/12/04/10/s-1": b64(error.as_bytes())}}),
    );
    let (code, report) = redrive(
        &moto,
        "--bucket activity --prefix errors/ --stream activity-stream --split-envelopes",
    );
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("1 CloudWatch Logs envelopes split into 3 log events")
            && report.contains("3 records sent, 0 left"),
        "{report}"
    );
    let delivered: Value =
        serde_json::from_str(&moto.boto3(DELIVERED_ENVELOPES, &json!({"bucket": "delivered"})))
            .unwrap();
    assert_eq!(delivered, json!([["e0"], ["e1"], ["e2"]]));

    // Without the flag, the envelope goes back whole.
    let (code, report) = redrive(
        &moto,
        "--bucket activity --prefix errors/ --stream activity-stream --dry-run",
    );
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("1 records would be sent"), "{report}");
}

#[test]
fn a_run_that_stops_says_where_and_start_after_goes_on_from_there() {
    let moto = Moto::start();
    // `a` holds only an entry without its bytes (nothing to send), `b` and
    // `c` one record each.
    let mut no_bytes = Rejections::new("s3://raw/x.log", "v1");
    no_bytes.push(3, "S3Transformer.TooLong", "line too long".into(), None);
    let (no_bytes, _) = no_bytes.finish(Ok("s3://activity/errors/a.source"));
    moto.boto3(
        SETUP,
        &json!({"objects": {
            "errors/a.json.gz": b64(&no_bytes),
            "errors/b": b64(error_record("record of b").as_bytes()),
            "errors/c": b64(error_record("record of c").as_bytes()),
        }}),
    );

    // A stream that does not exist stops the run at `b`, the first object
    // with a record to send: `a` was handled, so the run says to go on
    // after it.
    let (code, report) = redrive(
        &moto,
        "--bucket activity --prefix errors/ --stream no-such-stream",
    );
    assert_ne!(code, 0, "{report}");
    assert!(
        report.contains("stopped at s3://activity/errors/b;")
            && report.contains("--start-after errors/a.json.gz"),
        "{report}"
    );
    assert!(dump(&moto, "delivered").is_empty());

    // Going on after `b` sends `c` alone.
    let (code, report) = redrive(
        &moto,
        "--bucket activity --prefix errors/ --stream activity-stream --start-after errors/b",
    );
    assert_eq!(code, 0, "{report}");
    assert!(
        !report.contains("errors/a") && !report.contains("errors/b"),
        "{report}"
    );
    assert_eq!(delivered(&moto), "record of c");
}

/// The original bytes of each record a `PutRecordBatch` request carried.
fn put_records(body: &[u8]) -> Vec<String> {
    let v: Value = serde_json::from_slice(body).unwrap();
    v["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let data = base64::engine::general_purpose::STANDARD
                .decode(r["Data"].as_str().unwrap())
                .unwrap();
            String::from_utf8(data).unwrap()
        })
        .collect()
}

#[test]
fn records_the_stream_keeps_refusing_stop_the_run_in_their_object() {
    let moto = Moto::start();
    moto.boto3(
        SETUP,
        &json!({"objects": {
            "errors/a": b64(error_record("a1").as_bytes()),
            "errors/b": b64(format!("{}{}", error_record("b1"), error_record("b2")).as_bytes()),
            "errors/c": b64(error_record("c1").as_bytes()),
        }}),
    );
    let accepted = |n: usize| {
        Answer::ok(
            &json!({"FailedPutCount": 0, "Encrypted": false,
                    "RequestResponses": vec![json!({"RecordId": "r"}); n]})
            .to_string(),
        )
    };
    let refused = json!({"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."});
    // `a` goes in; of `b`, `b1` goes in and `b2` is refused on all four tries.
    let mut script = vec![
        accepted(1),
        Answer::ok(
            &json!({"FailedPutCount": 1, "Encrypted": false,
                    "RequestResponses": [{"RecordId": "r"}, refused]})
            .to_string(),
        ),
    ];
    // One entry, refused.
    let one_refused =
        json!({"FailedPutCount": 1, "Encrypted": false, "RequestResponses": [refused]}).to_string();
    script.extend(std::iter::repeat_n(Answer::ok(&one_refused), 3));
    let firehose = Scripted::start(script, accepted(1));
    let (code, report) = redrive_with(
        &moto,
        "--bucket activity --prefix errors/ --stream activity-stream",
        &[("AWS_ENDPOINT_URL_FIREHOSE", &firehose.endpoint)],
    );
    assert_ne!(code, 0, "{report}");
    assert!(
        report.contains("still refused 1 records after 4 tries (ServiceUnavailableException)")
            && report.contains("stopped at s3://activity/errors/b;")
            && report.contains("--start-after errors/a "),
        "{report}"
    );
    // `c` was not reached: a run resumed after `a` sends all of `b` again.
    let sent: Vec<Vec<String>> = firehose
        .requests()
        .iter()
        .map(|r| put_records(&r.body))
        .collect();
    assert_eq!(
        sent,
        [
            vec!["a1"],
            vec!["b1", "b2"],
            vec!["b2"],
            vec!["b2"],
            vec!["b2"]
        ],
        "{report}"
    );

    // An answer that accounts for fewer records than were sent (one, for
    // `b`'s two) stops the run too: which records went in is not known.
    let firehose = Scripted::start(vec![Answer::ok(&one_refused)], accepted(1));
    let (code, report) = redrive_with(
        &moto,
        "--bucket activity --prefix errors/ --stream activity-stream --start-after errors/a",
        &[("AWS_ENDPOINT_URL_FIREHOSE", &firehose.endpoint)],
    );
    assert_ne!(code, 0, "{report}");
    assert!(
        report.contains("answered 1 entries for 2 records")
            && report.contains("stopped at s3://activity/errors/b,"),
        "{report}"
    );
    assert_eq!(firehose.requests().len(), 1, "{report}");
}

#[test]
fn no_log_level_lets_a_record_into_the_logs() {
    let moto = Moto::start();
    let original = r#"{"eventTimestamp":"1733300000000","eventSource":"USER_AUTH_EVENTS","message":{"eventType":"SignIn","userName":"redrive.secret.user","ipAddress":"198.51.100.77"}}"#;
    moto.boto3(
        SETUP,
        &json!({"objects": {"errors/processing-failed/2026/12/04/10/s-1": b64(error_record(original).as_bytes())}}),
    );
    // At TRACE the AWS SDK logs each request (its body, which would carry
    // the record base64 in PutRecordBatch's JSON, is boxed and not printed
    // by this SDK version, but nothing of ours decides that).
    let (code, report) = redrive_with(
        &moto,
        "--bucket activity --prefix errors/ --stream activity-stream",
        &[("RUST_LOG", "trace")],
    );
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("1 records sent, 0 left"), "{report}");
    // The SDK's and hyper's lines below WARN (198 of them) stay out.
    assert!(
        !report.contains("TRACE") && !report.contains("DEBUG"),
        "{report}"
    );
    for secret in [
        b64(original.as_bytes()),
        "redrive.secret.user".into(),
        "198.51.100.77".into(),
    ] {
        assert!(!report.contains(&secret), "{secret} logged: {report}");
    }
}
