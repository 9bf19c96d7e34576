//! Hostile input: each case puts one hostile record between two good ones
//! and checks that the batch survives with a clear answer per record.
//!
//! The contract (docs/reliability.md, and the Firehose data-transformation
//! status model,
//! <https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-status-model.html>):
//! every input recordId is answered exactly once, in input order; a record
//! that cannot be transformed is `ProcessingFailed` and carries its original
//! base64 back, so Firehose writes it to the error prefix and nothing is lost;
//! its neighbours are untouched. Only an event that is not a Firehose event
//! at all is an invocation error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use cognito_activity::{process_event, Config, EventError, Processed, RecordResult};
use serde_json::Value;

/// A real user-activity record, as Cognito exported it
/// (`fixtures/field-record.json`, without its line end).
fn field_record_text() -> &'static str {
    include_str!("fixtures/field-record.json").trim_end()
}

const IDS: [&str; 3] = ["good-before", "hostile", "good-after"];

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn good_record(id: &str) -> String {
    format!(
        r#"{{"recordId":"{id}","approximateArrivalTimestamp":1723070080000,"data":"{}"}}"#,
        b64(field_record_text().as_bytes())
    )
}

/// An event whose middle record is `hostile` (the raw JSON of one record
/// object, with recordId `hostile`).
fn sandwich(hostile: &str) -> Vec<u8> {
    format!(
        r#"{{"invocationId":"inv-1","deliveryStreamArn":"arn:aws:firehose:us-east-1:123456789012:deliverystream/s","region":"us-east-1","records":[{},{hostile},{}]}}"#,
        good_record(IDS[0]),
        good_record(IDS[2])
    )
    .into_bytes()
}

/// The hostile record with `data` set to this base64 text.
fn with_data(b64_text: &str) -> String {
    format!(
        r#"{{"recordId":"hostile","approximateArrivalTimestamp":1723070080000,"data":"{b64_text}"}}"#
    )
}

/// The hostile record carrying these bytes as its data.
fn with_bytes(bytes: &[u8]) -> String {
    with_data(&b64(bytes))
}

/// Runs the event and checks what holds for every hostile case: the
/// response answers exactly the three recordIds in order, within the
/// budget, as valid JSON; both neighbours are `Ok` with one event each.
fn run(event: &[u8]) -> Processed<'static> {
    let cfg = Config::default();
    let processed =
        process_event(event, &cfg).expect("a Firehose event is never an invocation error");
    let ids: Vec<&str> = processed
        .response
        .records
        .iter()
        .map(|r| r.record_id.as_ref())
        .collect();
    assert_eq!(ids, IDS, "every recordId once, in input order");
    let json = processed.to_json();
    assert!(
        json.len() <= cfg.response_budget_bytes,
        "response of {} bytes exceeds the {}-byte budget",
        json.len(),
        cfg.response_budget_bytes
    );
    let value: Value = serde_json::from_slice(&json).expect("the response is JSON");
    assert_eq!(value["records"].as_array().unwrap().len(), 3);
    for i in [0, 2] {
        let r = &processed.response.records[i];
        assert_eq!(
            r.result,
            RecordResult::Ok,
            "good neighbour {} survives",
            r.record_id
        );
        let out = STANDARD.decode(r.data.to_base64().as_bytes()).unwrap();
        let line: Value = serde_json::from_slice(&out).expect("one JSON line");
        assert_eq!(line["event"]["type"], "SignIn");
        assert_eq!(line["user"]["name"], "hoge0808");
    }
    // Owned: the callers' events are temporaries.
    processed.into_owned()
}

/// The hostile record was `ProcessingFailed` with this failure code and
/// carries `original` (its input base64) back.
fn assert_failed(p: &Processed, code: &str, original: &str) {
    let r = &p.response.records[1];
    assert_eq!(r.result, RecordResult::ProcessingFailed);
    assert_eq!(
        r.data.to_base64(),
        original,
        "a failed record echoes its original data"
    );
    assert_eq!(
        p.stats.failures.get(code).copied(),
        Some(1),
        "failure code {code}, got {:?}",
        p.stats.failures
    );
    assert!(p.overflow.is_empty());
}

/// The hostile record was transformed; returns its output lines.
fn ok_lines(p: &Processed) -> Vec<Value> {
    let r = &p.response.records[1];
    assert_eq!(r.result, RecordResult::Ok, "hostile record tolerated");
    let out = STANDARD.decode(r.data.to_base64().as_bytes()).unwrap();
    assert!(out.ends_with(b"\n"));
    out.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("each line is JSON"))
        .collect()
}

/// field_record_text() as a JSON value, to edit.
fn field_record() -> Value {
    serde_json::from_str(field_record_text()).unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

// ---------------------------------------------------------------------------
// Encoding and transport
// ---------------------------------------------------------------------------

#[test]
fn invalid_base64_fails_only_its_record() {
    for bad in [
        "not base64!",
        "QQ",
        "QQ=",
        "====",
        "Zm9v\u{e9}",
        "%%% not base64 %%%",
    ] {
        let escaped = serde_json::to_string(bad).unwrap();
        let p = run(&sandwich(&format!(
            r#"{{"recordId":"hostile","data":{escaped}}}"#
        )));
        // Not base64: answered as the base64 of the text that was sent.
        assert_failed(&p, "base64", &b64(bad.as_bytes()));
    }
}

#[test]
fn base64_with_whitespace_around_it_comes_back_without_it() {
    // Decoded (the whitespace is tolerated) but not Cognito: echoed as the
    // base64 it is, without the newline that would need JSON escaping.
    let text = b64(b"[1,2,3]");
    let escaped = serde_json::to_string(&format!(" {text}\n")).unwrap();
    let p = run(&sandwich(&format!(
        r#"{{"recordId":"hostile","data":{escaped}}}"#
    )));
    assert_failed(&p, "not_cognito", &text);
    let response: Value = serde_json::from_slice(&p.to_json()).unwrap();
    assert_eq!(response["records"][1]["data"], text.as_str());
}

#[test]
fn failed_record_data_that_is_not_base64_comes_back_encoded_and_the_response_stays_valid() {
    // Firehose always sends base64, but a hostile or corrupt `data` must not
    // turn the whole response into invalid JSON (which fails the batch).
    for bad in ["QQ\"==", "QQ==\\", "Q\u{1}Q==", "Q\nQ==", "\\\\\\"] {
        let escaped = serde_json::to_string(bad).unwrap();
        let p = run(&sandwich(&format!(
            r#"{{"recordId":"hostile","data":{escaped}}}"#
        )));
        // Answered with the text encoded, which needs no escaping, and the
        // response stays valid JSON whose data decodes to what was sent.
        assert_failed(&p, "base64", &b64(bad.as_bytes()));
        let response: Value = serde_json::from_slice(&p.to_json()).unwrap();
        let data = response["records"][1]["data"].as_str().unwrap();
        assert_eq!(STANDARD.decode(data).unwrap(), bad.as_bytes());
    }
}

#[test]
fn empty_data_fails_as_empty() {
    let p = run(&sandwich(&with_data("")));
    assert_failed(&p, "empty", "");
    let p = run(&sandwich(&with_bytes(b" \n\t\n")));
    assert_failed(&p, "empty", &b64(b" \n\t\n"));
}

#[test]
fn missing_null_or_non_string_data_fails_as_data_missing() {
    for hostile in [
        r#"{"recordId":"hostile"}"#,
        r#"{"recordId":"hostile","data":null}"#,
        r#"{"recordId":"hostile","data":12345}"#,
        r#"{"recordId":"hostile","data":true}"#,
        r#"{"recordId":"hostile","data":["QQ=="]}"#,
        r#"{"recordId":"hostile","data":{"b64":"QQ=="}}"#,
    ] {
        let p = run(&sandwich(hostile));
        // There is no original string to echo.
        assert_failed(&p, "data_missing", "");
    }
}

#[test]
fn invalid_utf8_fails_with_the_offset() {
    let mut bytes = br#"{"eventSource":"USER_AUTH_EVENTS","message":{"userName":""#.to_vec();
    let offset = bytes.len();
    bytes.extend_from_slice(b"\xff\xfe\"}}");
    let p = run(&sandwich(&with_bytes(&bytes)));
    assert_failed(&p, "utf8", &b64(&bytes));
    // The same bytes gzip-compressed fail the same way after decompression.
    let gz = gzip(&bytes);
    let p = run(&sandwich(&with_bytes(&gz)));
    assert_failed(&p, "utf8", &b64(&gz));
    let event = sandwich(&with_bytes(&bytes));
    let ev = cognito_activity::firehose::FirehoseEvent::parse(&event).unwrap();
    let mut stats = cognito_activity::Stats::default();
    let outcome = cognito_activity::firehose::transform_record(
        &ev.records[1],
        &Config::default(),
        &mut stats,
    );
    assert_eq!(
        outcome,
        cognito_activity::pipeline::RecordOutcome::Failed(cognito_activity::RecordError::Utf8 {
            offset
        })
    );
}

#[test]
fn truncated_gzip_fails_as_gzip() {
    let gz = gzip(field_record_text().as_bytes());
    for cut in [2, 10, gz.len() / 2, gz.len() - 1] {
        let truncated = &gz[..cut];
        let p = run(&sandwich(&with_bytes(truncated)));
        assert_failed(&p, "gzip", &b64(truncated));
    }
}

/// A single-member gzip stream of `chunks` MiB of zeros, built without ever
/// holding the decompressed data: every full-flushed deflate block of a MiB
/// of zeros compresses to the same bytes, so they are repeated; the trailer's
/// CRC-32 is combined arithmetically.
fn zero_bomb(chunks: u32) -> Vec<u8> {
    use flate2::{Compress, Compression, Crc, FlushCompress};
    const MIB: usize = 1024 * 1024;
    let zeros = vec![0u8; MIB];
    let mut deflate = Compress::new(Compression::best(), false);
    let mut block = |flush| {
        let mut out = Vec::with_capacity(4096);
        let before = deflate.total_in();
        deflate.compress_vec(&zeros, &mut out, flush).unwrap();
        assert_eq!(
            deflate.total_in() - before,
            MIB as u64,
            "whole chunk consumed"
        );
        out
    };
    let first = block(FlushCompress::Full);
    let steady = block(FlushCompress::Full);
    assert_eq!(
        block(FlushCompress::Full),
        steady,
        "full-flushed blocks repeat"
    );
    let mut last = Vec::with_capacity(4096);
    deflate
        .compress_vec(&[], &mut last, FlushCompress::Finish)
        .unwrap();

    let mut one = Crc::new();
    one.update(&zeros);
    let mut crc = Crc::new();
    crc.update(&zeros);
    for _ in 1..chunks {
        crc.combine(&one);
    }

    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255];
    gz.extend_from_slice(&first);
    for _ in 2..chunks {
        gz.extend_from_slice(&steady);
    }
    if chunks > 1 {
        gz.extend_from_slice(&steady);
    }
    gz.extend_from_slice(&last);
    gz.extend_from_slice(&crc.sum().to_le_bytes());
    gz.extend_from_slice(&(u64::from(chunks) * MIB as u64).to_le_bytes()[..4]);
    gz
}

#[test]
fn the_zero_bomb_builder_makes_a_valid_gzip_stream() {
    // Proves the construction on a size small enough to decompress whole.
    let gz = zero_bomb(3);
    let out = cognito_activity::decode::gunzip_capped(&gz, 4 * 1024 * 1024).unwrap();
    assert_eq!(out.len(), 3 * 1024 * 1024);
    assert!(out.iter().all(|b| *b == 0));
}

#[test]
fn a_gzip_bomb_of_one_gib_fails_as_too_large() {
    let bomb = zero_bomb(1024);
    assert!(
        bomb.len() < 2 * 1024 * 1024,
        "1 GiB compresses to {} bytes",
        bomb.len()
    );
    let data = b64(&bomb);
    let p = run(&sandwich(&with_data(&data)));
    assert_failed(&p, "too_large", &data);
}

#[test]
fn a_five_mb_record_of_valid_cognito_ndjson_overflows_within_the_budget() {
    let cfg = Config::default();
    let mut ndjson = String::with_capacity(5_100_000);
    while ndjson.len() < 5_000_000 {
        ndjson.push_str(field_record_text());
        ndjson.push('\n');
    }
    let mut p = run(&sandwich(&with_bytes(ndjson.as_bytes())));
    let r = &p.response.records[1];
    assert_eq!(r.result, RecordResult::ProcessingFailed);
    assert!(
        r.data.is_empty(),
        "its output cannot fit, nor can its input"
    );
    assert_eq!(p.overflow.len(), 1);
    let o = &p.overflow[0];
    assert_eq!((o.index, o.record_id.as_str()), (1, "hostile"));
    assert_eq!(
        o.original,
        ndjson.as_bytes(),
        "the original is kept for re-ingestion"
    );
    assert!(o.exceeds_budget_alone);
    assert_eq!(p.stats.records_overflow, 1);

    // Settling it as failed cannot push the response past the budget either.
    p.settle([cognito_activity::Settlement::Failed("reingest_failed")]);
    assert!(p.to_json().len() <= cfg.response_budget_bytes);
    assert_eq!(p.response.records[1].result, RecordResult::ProcessingFailed);
}

// ---------------------------------------------------------------------------
// JSON shape
// ---------------------------------------------------------------------------

const DEEP: usize = 100_000;

fn deep_array() -> String {
    format!("{}{}", "[".repeat(DEEP), "]".repeat(DEEP))
}

fn deep_object() -> String {
    format!("{}1{}", r#"{"a":"#.repeat(DEEP), "}".repeat(DEEP))
}

#[test]
fn json_nested_100000_deep_at_the_top_level_fails_as_json() {
    for deep in [deep_array(), deep_object()] {
        let p = run(&sandwich(&with_bytes(deep.as_bytes())));
        assert_failed(&p, "json", &b64(deep.as_bytes()));
    }
}

/// Many small objects: 9 bytes of text each, over 2 KB each as a tree.
fn wide_small_objects(n: usize) -> String {
    format!("[{}{{}}]", r#"{"a":{}},"#.repeat(n))
}

#[test]
fn json_of_half_a_million_small_objects_fails_as_json_instead_of_taking_a_gigabyte() {
    // 4.5 MB of text, once about 1 GB of tree: the record fails alone, and
    // NDJSON of two (several documents) the same way. Gzip brings it within
    // a Firehose record's size.
    let wide = wide_small_objects(500_000);
    let ndjson = format!("{wide}\n{wide}\n");
    for text in [wide, ndjson] {
        let zipped = gzip(text.as_bytes());
        let p = run(&sandwich(&with_bytes(&zipped)));
        assert_failed(&p, "json", &b64(&zipped));
    }
    // Inside a Cognito record's message.
    let record = format!(
        r#"{{"eventSource":"USER_AUTH_EVENTS","eventTimestamp":"1723070073369","message":{{"eventType":"SignIn","userName":"u","wide":{}}}}}"#,
        wide_small_objects(500_000)
    );
    let zipped = gzip(record.as_bytes());
    let p = run(&sandwich(&with_bytes(&zipped)));
    assert_failed(&p, "json", &b64(&zipped));
}

#[test]
fn json_of_many_small_objects_within_the_tree_limit_is_read() {
    // A thousand: a few MB of tree, read, and kept under unmapped.
    let record = format!(
        r#"{{"eventSource":"USER_AUTH_EVENTS","eventTimestamp":"1723070073369","message":{{"eventType":"SignIn","userName":"u","wide":{}}}}}"#,
        wide_small_objects(1_000)
    );
    let p = run(&sandwich(&with_bytes(record.as_bytes())));
    let lines = ok_lines(&p);
    assert_eq!(lines.len(), 1);
    assert_eq!(
        lines[0]["unmapped"]["message"]["wide"]
            .as_array()
            .map(Vec::len),
        Some(1_001)
    );
}

#[test]
fn json_nested_100000_deep_inside_a_cognito_message_fails_as_json() {
    for deep in [deep_array(), deep_object()] {
        let record = format!(
            r#"{{"eventSource":"USER_AUTH_EVENTS","eventTimestamp":"1723070073369","message":{{"eventType":"SignIn","userName":"u","deep":{deep}}}}}"#
        );
        let p = run(&sandwich(&with_bytes(record.as_bytes())));
        assert_failed(&p, "json", &b64(record.as_bytes()));
    }
}

#[test]
fn json_nested_100000_deep_in_an_ignored_event_field_is_skipped_or_rejected_cleanly() {
    // Deep nesting in fields the event parser ignores (an unknown record
    // field, an unknown top-level field) must not overflow the stack.
    for deep in [deep_array(), deep_object()] {
        let hostile = format!(
            r#"{{"recordId":"hostile","data":"{}","kinesisRecordMetadata":{deep}}}"#,
            b64(field_record_text().as_bytes())
        );
        let p = run(&sandwich(&hostile));
        assert_eq!(p.response.records[1].result, RecordResult::Ok);
        let mut event = sandwich(&with_bytes(field_record_text().as_bytes()));
        event.pop(); // the closing brace
        event.extend_from_slice(format!(r#","extra":{deep}}}"#).as_bytes());
        let p = run(&event);
        assert_eq!(p.response.records[1].result, RecordResult::Ok);
    }
}

#[test]
fn numbers_where_strings_belong_and_the_reverse_are_tolerated() {
    let mut rec = field_record();
    rec["eventTimestamp"] = Value::from(1_723_070_073_369_i64);
    rec["message"]["riskLevel"] = Value::from(3);
    rec["message"]["riskDecision"] = Value::from(false);
    rec["message"]["challenges"] = Value::from("Password:Success, SMS_MFA:Failure");
    rec["message"]["ipAddress"] = serde_json::json!(["192.0.2.1", "192.0.2.2"]);
    rec["message"]["userName"] = Value::from(12345);
    rec["message"]["compromisedCredentialDetected"] = Value::from(true);
    rec["message"]["deviceName"] = serde_json::json!({"browser": "Chrome"});
    rec["logLevel"] = Value::from(4);
    let text = serde_json::to_string(&rec).unwrap();
    let p = run(&sandwich(&with_bytes(text.as_bytes())));
    let lines = ok_lines(&p);
    assert_eq!(lines.len(), 1);
    let l = &lines[0];
    // A numeric timestamp is still a timestamp.
    assert_eq!(l["time_ms"], 1_723_070_073_369_i64);
    // A number read as text where text is expected.
    assert_eq!(l["user"]["name"], "12345");
    // A string of challenges is split.
    assert_eq!(l["challenges"][1]["name"], "SMS_MFA");
    assert_eq!(l["challenges"][1]["result"], "failure");
    assert_eq!(l["risk"]["compromised_credentials"], true);
    // An array where an address belongs is no address: kept, not lost.
    assert!(l["source"]["ip"].is_null());
    assert_eq!(l["unmapped"]["message"]["ipAddress"][1], "192.0.2.2");
}

#[test]
fn missing_fields_are_tolerated_but_a_record_without_a_message_fails() {
    let mut rec = field_record();
    let msg = rec["message"].as_object_mut().unwrap();
    for k in [
        "eventType",
        "eventResponse",
        "eventId",
        "userName",
        "ipAddress",
        "creationDate",
    ] {
        msg.remove(k);
    }
    rec.as_object_mut().unwrap().remove("eventTimestamp");
    let text = serde_json::to_string(&rec).unwrap();
    let p = run(&sandwich(&with_bytes(text.as_bytes())));
    let lines = ok_lines(&p);
    assert_eq!(lines[0]["event"]["outcome"], "unknown");
    assert!(lines[0]["event"]["type"].is_null());
    // Without eventTimestamp the Firehose arrival time stands in.
    assert_eq!(lines[0]["time_ms"], 1_723_070_080_000_i64);

    for broken in [
        r#"{"eventSource":"USER_AUTH_EVENTS"}"#,
        r#"{"eventSource":"USER_AUTH_EVENTS","message":"SignIn"}"#,
        r#"{"message":{"eventType":"SignIn"}}"#,
        r#"{}"#,
    ] {
        let p = run(&sandwich(&with_bytes(broken.as_bytes())));
        assert_failed(&p, "not_cognito", &b64(broken.as_bytes()));
    }
}

#[test]
fn duplicate_keys_are_tolerated_and_the_last_wins() {
    let text = field_record_text().replacen(
        r#""eventType":"SignIn""#,
        r#""eventType":"SignUp","eventType":"SignIn","userName":"first""#,
        1,
    );
    // field_record_text()'s own userName comes after: it is the last.
    let text = format!(r#"{{"eventSource":"x",{}"#, &text[1..]);
    let p = run(&sandwich(&with_bytes(text.as_bytes())));
    let lines = ok_lines(&p);
    assert_eq!(lines[0]["event"]["type"], "SignIn");
    assert_eq!(lines[0]["user"]["name"], "hoge0808");
    assert_eq!(lines[0]["event_source"], "USER_AUTH_EVENTS");
}

#[test]
fn a_one_mb_string_field_is_carried_through_whole() {
    let big = "A".repeat(1024 * 1024);
    let mut rec = field_record();
    rec["message"]["userName"] = Value::from(big.clone());
    rec["message"]["unknownHugeField"] = Value::from(big.clone());
    let text = serde_json::to_string(&rec).unwrap();
    let p = run(&sandwich(&with_bytes(text.as_bytes())));
    let lines = ok_lines(&p);
    assert_eq!(
        lines[0]["user"]["name"].as_str().map(str::len),
        Some(big.len())
    );
    assert_eq!(
        lines[0]["unmapped"]["message"]["unknownHugeField"]
            .as_str()
            .map(str::len),
        Some(big.len())
    );
}

#[test]
fn a_record_that_is_json_but_not_an_object_fails_as_not_cognito() {
    for doc in ["[1,2]", "\"text\"", "42", "null", "true"] {
        let p = run(&sandwich(&with_bytes(doc.as_bytes())));
        assert_failed(&p, "not_cognito", &b64(doc.as_bytes()));
    }
    let p = run(&sandwich(&with_bytes(b"this is not JSON")));
    assert_failed(&p, "json", &b64(b"this is not JSON"));
}

// ---------------------------------------------------------------------------
// The event itself
// ---------------------------------------------------------------------------

#[test]
fn an_event_that_is_not_a_firehose_event_is_a_clear_invocation_error() {
    let cases: [(&[u8], &str); 8] = [
        (b"[]", "top level is not an object"),
        (br#""x""#, "top level is not an object"),
        (b"42", "top level is not an object"),
        (b"{}", "no records array"),
        (br#"{"records":5}"#, "records is not an array"),
        (br#"{"records":null}"#, "records is not an array"),
        (br#"{"records":["QQ=="]}"#, "a record is not an object"),
        (
            br#"{"records":[{"recordId":"a","data":"QQ=="},{"data":"QQ=="}]}"#,
            "a record has no string recordId",
        ),
    ];
    for (event, why) in cases {
        let shown = String::from_utf8_lossy(event);
        match process_event(event, &Config::default()) {
            Err(err @ EventError::NotFirehose { .. }) => {
                let msg = err.to_string();
                assert!(msg.contains(why), "{shown}: {msg}");
                assert!(msg.contains("not a Firehose transformation event"), "{msg}");
            }
            other => panic!("{shown}: expected NotFirehose, got {other:?}"),
        }
    }
    for event in [&b""[..], b"{", b"{\"records\":[]} trailing", b"\xff"] {
        match process_event(event, &Config::default()) {
            Err(err @ EventError::Json(_)) => {
                assert!(err.to_string().starts_with("event is not valid JSON"))
            }
            other => panic!(
                "{}: expected Json, got {other:?}",
                String::from_utf8_lossy(event)
            ),
        }
    }
    // A recordId that is not a string cannot be answered either.
    let err = process_event(
        br#"{"records":[{"recordId":7,"data":""}]}"#,
        &Config::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("a record has no string recordId"));
}

#[test]
fn an_empty_batch_gets_an_empty_records_array() {
    let p = process_event(br#"{"records":[]}"#, &Config::default()).unwrap();
    assert_eq!(p.to_json(), br#"{"records":[]}"#);
    assert_eq!(p.stats.records_in, 0);
}

#[test]
fn odd_but_valid_firehose_event_shapes_are_accepted() {
    let data = b64(field_record_text().as_bytes());
    let good = good_record(IDS[0]);
    let after = good_record(IDS[2]);
    // No invocationId, deliveryStreamArn, region or arrival timestamps;
    // extra fields everywhere; Kinesis record metadata.
    let event = format!(
        r#"{{"unknown":{{"a":[1,2,{{}}]}},"sourceKinesisStreamArn":"arn:aws:kinesis:us-east-1:123456789012:stream/s","records":[{good},{{"data":"{data}","kinesisRecordMetadata":{{"shardId":"shardId-000000000000","partitionKey":"p","approximateArrivalTimestamp":1507217624302,"sequenceNumber":"1","subsequenceNumber":""}},"recordId":"hostile","extra":null}},{after}],"version":2}}"#
    );
    let p = run(event.as_bytes());
    assert_eq!(p.response.records[1].result, RecordResult::Ok);
    assert_eq!(p.invocation_id, None);
    assert_eq!(p.delivery_stream_arn, None);
    assert!(p.source_kinesis_stream_arn.is_some());
}

#[test]
fn every_numeric_form_json_allows_is_an_arrival_timestamp() {
    // The record has no eventTimestamp, so its time is Firehose's arrival.
    let mut rec = field_record();
    rec.as_object_mut().unwrap().remove("eventTimestamp");
    let data = b64(serde_json::to_string(&rec).unwrap().as_bytes());
    for (ts, want) in [
        ("1507217624302", Some(1_507_217_624_302_i64)),
        ("1.507217624302e12", Some(1_507_217_624_302)),
        ("1507217624302.0", Some(1_507_217_624_302)),
        ("15072176243020E-1", Some(1_507_217_624_302)),
        ("-0", Some(0)),
        ("1E3", Some(1000)),
        ("1e3", Some(1000)),
        ("\"1507217624302\"", Some(1_507_217_624_302)),
        ("null", None),
        ("\"yesterday\"", None),
        ("[]", None),
        // Too large for any number type: ignored like any bad optional
        // field (it once failed the whole invocation).
        ("1e999", None),
        ("-1e999", None),
    ] {
        let hostile = format!(
            r#"{{"recordId":"hostile","approximateArrivalTimestamp":{ts},"data":"{data}"}}"#
        );
        let p = run(&sandwich(&hostile));
        let lines = ok_lines(&p);
        assert_eq!(lines[0]["time_ms"].as_i64(), want, "arrival timestamp {ts}");
    }
}
