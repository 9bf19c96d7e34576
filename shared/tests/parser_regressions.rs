//! Inputs the `parse_differential` fuzz target (fuzz/, docs/fuzzing.md)
//! found where our JSON readers (`shared/src/parse.rs` and the readers built
//! on it) and their serde_json references answer differently, each pinned as
//! a named case: a bug's input holds the fixed answer, a deliberate
//! difference the chosen one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cognito_activity::envelope::parse_envelope;
use cognito_activity::firehose::FirehoseEvent;
use cognito_activity::{EventError, RecordError};

fn reason(result: Result<FirehoseEvent<'_>, EventError>) -> String {
    match result {
        Err(EventError::NotFirehose { why }) => why,
        other => panic!("expected NotFirehose, got {other:?}"),
    }
}

/// `parse_serde` takes its reason from serde_json's error message, which
/// quotes the offending string value; the reasons were searched anywhere in
/// it, in a fixed order, so a value spelling an earlier reason won over the
/// real one. `parse` takes this path for every event that is not UTF-8.
#[test]
fn a_string_value_spelling_another_reason_does_not_change_the_reason() {
    let records_is_a_string = br#"{"records":"no records array"}"#;
    assert_eq!(
        reason(FirehoseEvent::parse(records_is_a_string)),
        "records is not an array"
    );
    assert_eq!(
        reason(FirehoseEvent::parse_serde(records_is_a_string)),
        "records is not an array"
    );
    let record_is_a_string = br#"{"records":["no records array"]}"#;
    assert_eq!(
        reason(FirehoseEvent::parse_serde(record_is_a_string)),
        "a record is not an object"
    );
    // Not UTF-8, so `parse` itself goes through serde_json.
    let not_utf8 = b"{\"records\":\"top level is not an object\",\"x\":\"\xff\"}";
    assert_eq!(
        reason(FirehoseEvent::parse(not_utf8)),
        "records is not an array"
    );
}

/// serde's derive read a whole envelope written as an array positionally
/// (`[""]` was an envelope whose messageType is ""); `parse_envelope` takes
/// only an object as an envelope, so the text is read as Cognito records.
/// CloudWatch Logs never writes one.
#[test]
fn an_envelope_written_as_an_array_is_not_an_envelope() {
    for text in [
        r#"[""]"#,
        r#"["DATA_MESSAGE","o","g","s",null,[{"message":"{}"}]]"#,
    ] {
        for was_gzip in [false, true] {
            assert_eq!(parse_envelope(text, was_gzip), Ok(None), "{text}");
        }
    }
}

/// A log event written as an array is refused as the wrong shape
/// (`log_event` in shared/src/batch.rs), where serde's derive read it
/// positionally. Its elements are judged in serde's order, so the reason is
/// the one serde's derive gave for the first fault: a wrong type before
/// broken JSON is the wrong shape. (An earlier version called broken JSON
/// anywhere inside it a JSON error, and the envelope equivalence property
/// test failed now and then on a seed that put a wrong type first.)
#[test]
fn a_log_event_written_as_an_array_is_refused() {
    let positional = r#"{"messageType":"DATA_MESSAGE","logEvents":[[null,1,"{}"]]}"#;
    assert_eq!(parse_envelope(positional, false), Ok(None));
    assert_eq!(
        parse_envelope(positional, true),
        Err(RecordError::Envelope {
            why: "unexpected field types"
        })
    );
    // A nested array where the id belongs: the wrong type, met first.
    assert_eq!(
        parse_envelope(r#"{"logEvents":[[["#, true),
        Err(RecordError::Envelope {
            why: "unexpected field types"
        })
    );
    // Broken JSON before any wrong type: not JSON.
    assert_eq!(
        parse_envelope(r#"{"logEvents":[["a",1,"m"x]]}"#, true),
        Err(RecordError::Envelope {
            why: "not valid JSON"
        })
    );
}

/// `Parser::skip` (shared/src/parse.rs) reads the keys of an object it skips
/// with `string`, which refuses a lone UTF-16 surrogate escape, where
/// serde_json's `IgnoredAny` (and `skip` itself, for string values) checks
/// escapes for form only: an unknown field holding such an object made the
/// whole event invalid JSON, failing every record in it.
#[test]
fn a_lone_surrogate_in_a_key_of_a_skipped_object_is_skipped_as_serde_json_skips_it() {
    for event in [
        &br#"{"":[{"\ud80b":1}]}"#[..],
        br#"{"records":[],"x":{"\ud800":1}}"#,
        br#"{"records":[{"recordId":"a","data":"","x":[{"\udc00":0}]}]}"#,
    ] {
        let serde = FirehoseEvent::parse_serde(event);
        assert!(
            !matches!(serde, Err(EventError::Json(_))),
            "serde_json skips it: {serde:?}"
        );
        assert_eq!(FirehoseEvent::parse(event), serde);
    }
    let envelope = r#"{"messageType":"DATA_MESSAGE","logEvents":[],"other":{"\ud800":1}}"#;
    for was_gzip in [false, true] {
        assert!(
            matches!(parse_envelope(envelope, was_gzip), Ok(Some(_))),
            "gzip {was_gzip}"
        );
    }
}
