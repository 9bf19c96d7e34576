//! Re-ingestion into a Kinesis data stream source, end to end: the real
//! `bootstrap` binary with the real AWS SDK client against a moto server on
//! loopback (docs/reliability.md, "Re-ingestion"; Kinesis `PutRecords`,
//! <https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html>).
//!
//! `reingest.rs` covers a Direct PUT delivery stream. When the event carries
//! `sourceKinesisStreamArn`, overflow records must go back to that stream
//! instead, with the overflow record's id as partition key. This test reads
//! the stream back over all its shards (`GetShardIterator` `TRIM_HORIZON`,
//! `GetRecords`) and checks the re-ingested pieces hold exactly the overflow
//! records' log events, in order, each piece keyed by its record's id: Ok +
//! re-ingested = input, nothing lost, nothing duplicated. A stream that does
//! not exist leaves the overflow `ProcessingFailed`.
//!
//! The harness installs moto (pip) when it is missing.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use cognito_activity::decode::base64_decode;
use cognito_activity::firehose::split::MARKER_FIELD;
use e2e::overflow::{
    self, counts, envelope, event_ids, input_ids, overflowed_and_reingested, record_id, results,
    unzip_json,
};
use e2e::{Bootstrap, Moto, Reply, RuntimeApi};
use serde_json::{json, Value};

const BUDGET: usize = 100_000;
const STREAM: &str = "cognito-activity-source";
const DELIVERY: &str = "cognito-activity";
const SHARDS: usize = 2;

fn kinesis_arn(stream: &str) -> String {
    format!("arn:aws:kinesis:us-east-1:123456789012:stream/{stream}")
}

/// A Firehose event read from a Kinesis data stream: ten envelopes of 30
/// events, then one of 600 whose output alone exceeds the budget (so it
/// must be split).
fn big_event(source: &str) -> (Vec<u8>, Vec<String>) {
    let mut datas: Vec<String> = (0..10).map(|r| envelope(r, 30)).collect();
    datas.push(envelope(10, 600));
    let records: Vec<Value> = datas
        .iter()
        .enumerate()
        .map(|(i, d)| {
            json!({
                "recordId": record_id(i),
                "approximateArrivalTimestamp": 1_732_400_060_000_i64,
                "data": d,
                "kinesisRecordMetadata": {
                    "shardId": "shardId-000000000000",
                    "partitionKey": format!("pk-{i}"),
                    "approximateArrivalTimestamp": 1_732_400_060_000_i64,
                    "sequenceNumber": format!("4954698668313554428650745793632162567570019247115678{i:04}"),
                    "subsequenceNumber": "",
                },
            })
        })
        .collect();
    let event = json!({
        "invocationId": "inv-k1",
        "deliveryStreamArn": format!("arn:aws:firehose:us-east-1:123456789012:deliverystream/{DELIVERY}"),
        "sourceKinesisStreamArn": kinesis_arn(source),
        "region": "us-east-1",
        "records": records,
    });
    (serde_json::to_vec(&event).unwrap(), datas)
}

fn answer(reply: Reply) -> Value {
    overflow::answer(reply, BUDGET)
}

const SETUP: &str = "
import time
k = client('kinesis')
k.create_stream(StreamName=ARGS['stream'], ShardCount=ARGS['shards'])
for _ in range(100):
    if k.describe_stream_summary(StreamName=ARGS['stream'])['StreamDescriptionSummary']['StreamStatus'] == 'ACTIVE':
        break
    time.sleep(0.05)
";

/// Every record of the stream, shard by shard in sequence order:
/// `[{shard, key, data (base64)}]`.
const DUMP: &str = "
import base64
k = client('kinesis'); out = []
shards = k.list_shards(StreamName=ARGS['stream'])['Shards']
for s in shards:
    it = k.get_shard_iterator(StreamName=ARGS['stream'], ShardId=s['ShardId'],
                              ShardIteratorType='TRIM_HORIZON')['ShardIterator']
    while it:
        r = k.get_records(ShardIterator=it, Limit=1000)
        for rec in r['Records']:
            out.append({'shard': s['ShardId'], 'key': rec.get('PartitionKey'),
                        'data': base64.b64encode(rec['Data']).decode()})
        if not r['Records']:
            break
        it = r.get('NextShardIterator')
print(json.dumps({'shards': len(shards), 'records': out}))
";

#[test]
fn overflow_records_go_back_to_the_kinesis_source_keyed_by_record_id() {
    let moto = Moto::start();
    let args = json!({"stream": STREAM, "shards": SHARDS});
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

    // 1. Re-ingestion into the source stream.
    let (event, datas) = big_event(STREAM);
    let resp = answer(api.invoke(&event, Duration::from_secs(30)));
    let (ok, dropped) = overflowed_and_reingested(&event, &resp);

    let dump: Value = serde_json::from_str(&moto.boto3(DUMP, &args)).unwrap();
    assert_eq!(dump["shards"], SHARDS, "read back over every shard");
    let stored = dump["records"].as_array().unwrap();
    assert!(
        stored.len() > dropped.len(),
        "the large envelope came back in pieces: {} records",
        stored.len()
    );

    let originals: Vec<Value> = datas
        .iter()
        .map(|d| unzip_json(&base64_decode(d).unwrap()).remove(0))
        .collect();
    // Log events per partition key, in shard sequence order.
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut keys_seen = 0;
    for rec in stored {
        let pieces = unzip_json(&base64_decode(rec["data"].as_str().unwrap()).unwrap());
        assert_eq!(pieces.len(), 1, "one envelope per Kinesis record");
        let p = &pieces[0];
        assert_eq!(p[MARKER_FIELD], true, "pieces are marked");
        assert_eq!(p["messageType"], "DATA_MESSAGE");
        assert_eq!(p["logGroup"], "/aws/cognito/userpool/us-east-1_Ab12Cd34E");
        assert_eq!(p["owner"], "123456789012");
        let ids = event_ids(p);
        assert!(!ids.is_empty(), "no empty piece");
        if let Some(key) = rec["key"].as_str() {
            keys_seen += 1;
            // The events' own record (r{i}-e{n}) must be the partition key's.
            let owner: usize = ids[0][1..ids[0].find('-').unwrap()].parse().unwrap();
            assert!(
                ids.iter().all(|id| id.starts_with(&format!("r{owner}-"))),
                "a piece holds one record's events"
            );
            assert_eq!(key, record_id(owner), "partition key = record id");
            by_key.entry(key.to_string()).or_default().extend(ids);
        }
    }
    let reingested = counts(stored.iter().flat_map(|rec| {
        unzip_json(&base64_decode(rec["data"].as_str().unwrap()).unwrap())
            .iter()
            .flat_map(event_ids)
            .collect::<Vec<_>>()
    }));
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
    if keys_seen > 0 {
        assert_eq!(keys_seen, stored.len(), "moto returned every key or none");
        let expected: BTreeMap<String, Vec<String>> = dropped
            .iter()
            .map(|&i| (record_id(i), event_ids(&originals[i])))
            .collect();
        assert_eq!(
            by_key, expected,
            "one key per dropped record, its pieces on one shard, in order"
        );
    }

    // 2. A source stream that does not exist: nothing dropped.
    let (event, _) = big_event("no-such-stream");
    let resp = answer(api.invoke(&event, Duration::from_secs(30)));
    let got = results(&resp);
    assert_eq!(
        got.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        input_ids(&event)
    );
    assert!(got.iter().all(|(_, r)| r != "Dropped"), "{got:?}");
    assert!(got.iter().filter(|(_, r)| r == "ProcessingFailed").count() >= 2);
    let logs = function.logs_containing("ResourceNotFoundException");
    assert!(logs.contains("ResourceNotFoundException"), "{logs}");
}
