//! Re-ingestion end to end: the real `bootstrap` binary with the real AWS
//! SDK client against a moto server on loopback (docs/reliability.md).
//!
//! A CloudWatch Logs batch whose output exceeds a small response budget must
//! come back under the budget, every record answered once in order, the
//! overflow records `Dropped` only because their log events are back in the
//! delivery stream (moto writes each `PutRecordBatch` to an S3 object, read
//! back here): nothing lost, nothing duplicated. When the put fails (a
//! stream that does not exist, an endpoint that throttles, re-ingestion
//! off), every overflow record is `ProcessingFailed`, none `Dropped`. An
//! envelope failing on some of its log events goes back with its usable
//! events apart from the failing ones.
//!
//! The harness installs moto (pip) when it is missing.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::Ordering;
use std::time::Duration;

use cognito_activity::decode::base64_decode;
use cognito_activity::firehose::split::MARKER_FIELD;
use e2e::overflow::{
    self, counts, envelope, event_ids, input_ids, overflowed_and_reingested, record_id, results,
    unzip_json,
};
use e2e::{Bootstrap, Moto, Reply, RuntimeApi, Throttler};
use serde_json::{json, Value};

const BUDGET: usize = 100_000;
const STREAM: &str = "cognito-activity";
const BUCKET: &str = "cognito-activity-out";

fn arn(stream: &str) -> String {
    format!("arn:aws:firehose:us-east-1:123456789012:deliverystream/{stream}")
}

/// Ten envelopes of 30 events, then one of 600 whose output alone exceeds
/// the budget (so it must be split).
fn big_event(stream: &str) -> (Vec<u8>, Vec<String>) {
    let mut datas: Vec<String> = (0..10).map(|r| envelope(r, 30)).collect();
    datas.push(envelope(10, 600));
    let records: Vec<Value> = datas
        .iter()
        .enumerate()
        .map(|(i, d)| json!({"recordId": record_id(i), "approximateArrivalTimestamp": 1_732_400_060_000_i64, "data": d}))
        .collect();
    let event = json!({"invocationId": "inv-1", "deliveryStreamArn": arn(stream), "region": "us-east-1", "records": records});
    (serde_json::to_vec(&event).unwrap(), datas)
}

fn answer(reply: Reply) -> Value {
    overflow::answer(reply, BUDGET)
}

const SETUP: &str = "
s3 = client('s3'); s3.create_bucket(Bucket=ARGS['bucket'])
client('firehose').create_delivery_stream(DeliveryStreamName=ARGS['stream'], DeliveryStreamType='DirectPut',
    ExtendedS3DestinationConfiguration={'RoleARN': 'arn:aws:iam::123456789012:role/firehose',
        'BucketARN': 'arn:aws:s3:::' + ARGS['bucket']})
";

const DUMP: &str = "
import base64
s3 = client('s3'); out = []
for page in s3.get_paginator('list_objects_v2').paginate(Bucket=ARGS['bucket']):
    for o in page.get('Contents', []):
        out.append(base64.b64encode(s3.get_object(Bucket=ARGS['bucket'], Key=o['Key'])['Body'].read()).decode())
print(json.dumps(out))
";

#[test]
fn overflow_records_are_reingested_whole_and_only_then_dropped() {
    let moto = Moto::start();
    let args = json!({"bucket": BUCKET, "stream": STREAM});
    moto.boto3(SETUP, &args);

    let api = RuntimeApi::start();
    let budget = BUDGET.to_string();
    let function = Bootstrap::spawn(
        &api,
        &[
            ("AWS_ENDPOINT_URL", &moto.endpoint),
            ("RESPONSE_BUDGET_BYTES", &budget),
        ],
    );

    // 1. Re-ingestion into the stream.
    let (event, datas) = big_event(STREAM);
    let resp = answer(api.invoke(&event, Duration::from_secs(30)));
    let (ok, dropped) = overflowed_and_reingested(&event, &resp);

    let objects: Vec<String> = serde_json::from_str(&moto.boto3(DUMP, &args)).unwrap();
    let pieces: Vec<Value> = objects
        .iter()
        .flat_map(|o| unzip_json(&base64_decode(o).unwrap()))
        .collect();
    assert!(
        pieces.len() > dropped.len(),
        "the large envelope came back in pieces"
    );
    for p in &pieces {
        assert_eq!(p[MARKER_FIELD], true);
        assert_eq!(p["logGroup"], "/aws/cognito/userpool/us-east-1_Ab12Cd34E");
        assert_eq!(p["owner"], "123456789012");
    }
    let reingested = counts(pieces.iter().flat_map(event_ids));
    let originals: Vec<Value> = datas
        .iter()
        .map(|d| unzip_json(&base64_decode(d).unwrap()).remove(0))
        .collect();
    let overflowed = counts(dropped.iter().flat_map(|&i| event_ids(&originals[i])));
    assert_eq!(
        reingested, overflowed,
        "re-ingested events are exactly the overflow's"
    );
    let mut all = counts(ok.iter().flat_map(|&i| event_ids(&originals[i])));
    for (id, n) in reingested {
        *all.entry(id).or_default() += n;
    }
    assert_eq!(
        all,
        counts(originals.iter().flat_map(event_ids)),
        "Ok + re-ingested = input"
    );

    // 2. A stream that does not exist: ResourceNotFoundException, no retry.
    let (event, _) = big_event("no-such-stream");
    let resp = answer(api.invoke(&event, Duration::from_secs(30)));
    let got = results(&resp);
    assert!(got.iter().all(|(_, r)| r != "Dropped"), "{got:?}");
    assert!(got.iter().filter(|(_, r)| r == "ProcessingFailed").count() >= 2);
    let logs = function.logs_containing("ResourceNotFoundException");
    assert!(logs.contains("ResourceNotFoundException"), "{logs}");
}

#[test]
fn a_throttling_endpoint_or_reingest_off_leaves_overflow_processing_failed() {
    let throttler = Throttler::start();
    let api = RuntimeApi::start();
    let budget = BUDGET.to_string();
    let throttled = Bootstrap::spawn(
        &api,
        &[
            ("AWS_ENDPOINT_URL", &throttler.endpoint),
            ("RESPONSE_BUDGET_BYTES", &budget),
        ],
    );
    let (event, _) = big_event(STREAM);
    let resp = answer(api.invoke(&event, Duration::from_secs(6)));
    let got = results(&resp);
    assert_eq!(
        got.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        input_ids(&event)
    );
    assert!(got.iter().all(|(_, r)| r != "Dropped"), "{got:?}");
    let failed = got.iter().filter(|(_, r)| r == "ProcessingFailed").count();
    assert!(failed >= 2, "{got:?}");
    assert!(
        throttler.requests.load(Ordering::SeqCst) >= 2,
        "the throttled put was retried"
    );
    drop(throttled);

    // A fresh emulator: the killed process may still hold a poll on the old one.
    let api = RuntimeApi::start();
    let off = Bootstrap::spawn(
        &api,
        &[
            ("AWS_ENDPOINT_URL", &throttler.endpoint),
            ("RESPONSE_BUDGET_BYTES", &budget),
            ("REINGEST", "false"),
        ],
    );
    let before = throttler.requests.load(Ordering::SeqCst);
    let resp = answer(api.invoke(&event, Duration::from_secs(30)));
    let got_off = results(&resp);
    assert_eq!(got_off, got, "same answers, re-ingestion off");
    assert_eq!(
        throttler.requests.load(Ordering::SeqCst),
        before,
        "no put attempted"
    );
    let logs = off.logs_containing("reingest_disabled");
    assert!(logs.contains("reingest_disabled"), "{logs}");
}

#[test]
fn an_envelope_failing_on_some_log_events_is_set_apart_through_the_stream() {
    use cognito_activity::decode::base64_encode;
    use cognito_activity::firehose::split::gzip;
    let moto = Moto::start();
    let args = json!({"bucket": BUCKET, "stream": STREAM});
    moto.boto3(SETUP, &args);
    let api = RuntimeApi::start();
    let _function = Bootstrap::spawn(&api, &[("AWS_ENDPOINT_URL", &moto.endpoint)]);

    // Four events of a real envelope, with two unusable ones among them.
    let mut env = unzip_json(&base64_decode(&envelope(0, 4)).unwrap()).remove(0);
    let events = env["logEvents"].as_array_mut().unwrap();
    events.insert(
        1,
        json!({"id": "bad-1", "timestamp": 1, "message": "not JSON"}),
    );
    events.push(json!({"id": "bad-2", "timestamp": 2, "message": "{\"not\":\"cognito\"}"}));
    let data = base64_encode(&gzip(&serde_json::to_vec(&env).unwrap()));
    let event = json!({"invocationId": "inv-1", "deliveryStreamArn": arn(STREAM), "region": "us-east-1",
        "records": [{"recordId": record_id(0), "approximateArrivalTimestamp": 1_732_400_060_000_i64, "data": data}]});
    let resp = answer(api.invoke(
        &serde_json::to_vec(&event).unwrap(),
        Duration::from_secs(30),
    ));
    assert_eq!(results(&resp), [(record_id(0), "Dropped".to_string())]);

    // In the stream: the usable events apart from the two failing ones.
    let objects: Vec<String> = serde_json::from_str(&moto.boto3(DUMP, &args)).unwrap();
    // The failing piece is put in a second call, after the usable one is
    // in: the order of the two in the delivered objects is not fixed.
    let mut pieces: Vec<Vec<String>> = objects
        .iter()
        .flat_map(|o| unzip_json(&base64_decode(o).unwrap()))
        .map(|p| event_ids(&p))
        .collect();
    pieces.sort();
    assert_eq!(
        pieces,
        [
            vec!["bad-1", "bad-2"],
            vec!["r0-e0", "r0-e1", "r0-e2", "r0-e3"]
        ]
    );
    // Read again, the usable piece is delivered and the failing one fails.
    let records: Vec<Value> = objects
        .iter()
        .enumerate()
        .flat_map(|(i, o)| {
            unzip_json(&base64_decode(o).unwrap())
                .into_iter()
                .enumerate()
                .map(move |(j, p)| (format!("{i}-{j}"), p))
        })
        .map(|(id, p)| json!({"recordId": id, "data": base64_encode(&gzip(&serde_json::to_vec(&p).unwrap()))}))
        .collect();
    let again = json!({"invocationId": "inv-2", "deliveryStreamArn": arn(STREAM), "region": "us-east-1", "records": records});
    let resp = answer(api.invoke(
        &serde_json::to_vec(&again).unwrap(),
        Duration::from_secs(30),
    ));
    let mut got: Vec<String> = results(&resp).into_iter().map(|(_, r)| r).collect();
    got.sort();
    assert_eq!(got, ["Ok", "ProcessingFailed"]);
}
