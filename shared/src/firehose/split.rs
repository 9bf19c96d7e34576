//! Splitting a CloudWatch Logs envelope into pieces that each fit the
//! response budget on their own, so they can be re-ingested without
//! overflowing again (docs/reliability.md, "Re-ingestion").
//!
//! A CloudWatch Logs subscription record is one gzip stream holding one JSON
//! envelope with many `logEvents`
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html>).
//! When its transformed output alone is larger than the response budget,
//! putting it back unchanged would overflow forever. Instead its log events
//! are halved, recursively, into new envelopes that keep every other field of
//! the original (`messageType`, `owner`, `logGroup`, `logStream`,
//! `subscriptionFilters`, and anything else) and carry the marker field
//! [`MARKER_FIELD`], until every piece's answer fits the limit and every
//! piece is at most [`MAX_PIECE_BYTES`] compressed (the Firehose
//! `PutRecordBatch` per-record limit, 1,000 KiB:
//! <https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html>).
//! Log events are copied byte for byte (as raw JSON), in order; nothing is
//! re-serialized but the envelope around them.
//!
//! The module is pure: the caller says how to measure a piece's answer
//! ([`Probe::answer_len`] runs the library's own transform on it, so the
//! measure is exact rather than estimated).

use std::borrow::Cow;
use std::fmt;
use std::io::Write as _;

use flate2::write::GzEncoder;
use flate2::Compression;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::batch::process_parsed;
use super::response::Settlement;
use super::wire::{FirehoseEvent, FirehoseRecord, RecordResult};
use crate::config::Config;
use crate::decode::{base64_encode, gunzip_capped, is_gzip};
use crate::error::RecordError;
use crate::json::escape::write_str;
use crate::normalize::{Context, Transport};

/// The field added to every envelope this module writes; the envelope
/// parser owns its name.
pub use crate::envelope::MARKER_FIELD;

/// Firehose's per-record limit: 1,000 KiB (the Kinesis `PutRecords` limit,
/// 1 MiB including the partition key, is larger).
pub const MAX_PIECE_BYTES: usize = 1_000 * 1024;

/// The longest record id a piece is assumed to get when re-read. Firehose's
/// ids are about 56 characters for Direct PUT and about 60 for a Kinesis
/// source; a re-ingested piece's answer is measured with this many.
pub const RECORD_ID_ALLOWANCE: usize = 256;

/// The arrival time given to a piece when it is measured: a fixed instant
/// (2100-01-01T00:00:00Z), as wide as any real one, so the measure does not
/// depend on the clock.
pub const PROBE_ARRIVAL_MS: i64 = 4_102_444_800_000;

/// What each piece must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest response a piece's answer alone may make (the response
    /// JSON around one record, as `batch::assemble` measures it).
    pub max_answer_len: usize,
    /// The largest compressed piece.
    pub max_piece_bytes: usize,
}

/// Why an envelope could not be split.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// Not a gzip CloudWatch Logs `DATA_MESSAGE` with log events.
    #[error("not a CloudWatch Logs data message")]
    NotEnvelope,
    #[error("record cannot be decoded")]
    Decode(#[source] RecordError),
    /// One log event alone is too large; nothing smaller can be made.
    #[error("log event {index} alone does not fit (answer {answer_len} bytes, piece {piece_bytes} bytes)")]
    EventTooLarge {
        index: usize,
        answer_len: usize,
        piece_bytes: usize,
    },
    /// The caller's `keep_going` said to stop (its deadline) before every
    /// piece was made.
    #[error("stopped before the envelope was split")]
    Stopped,
}

impl SplitError {
    /// A short stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            SplitError::NotEnvelope => "not_envelope",
            SplitError::Decode(_) => "decode",
            SplitError::EventTooLarge { .. } => "log_event_too_large",
            SplitError::Stopped => "reingest_deadline",
        }
    }
}

/// The envelope as raw JSON: its top-level fields in order, and its log
/// events as raw slices of the original text.
struct RawEnvelope<'a> {
    fields: Vec<(Cow<'a, str>, &'a RawValue)>,
    events: Vec<&'a RawValue>,
}

fn parse_raw(text: &str) -> Result<RawEnvelope<'_>, SplitError> {
    struct Fields<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);
    impl<'de> Deserialize<'de> for Fields<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Fields<'de>;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                    let mut out = Vec::new();
                    while let Some(k) = m.next_key::<Cow<'de, str>>()? {
                        let v = m.next_value::<&'de RawValue>()?;
                        out.push((k, v));
                    }
                    Ok(Fields(out))
                }
            }
            d.deserialize_map(V)
        }
    }
    let Fields(fields) = serde_json::from_str(text).map_err(|_| SplitError::NotEnvelope)?;
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
    if field("messageType").map(RawValue::get) != Some("\"DATA_MESSAGE\"") {
        return Err(SplitError::NotEnvelope);
    }
    let events_raw = field("logEvents").ok_or(SplitError::NotEnvelope)?;
    let events: Vec<&RawValue> =
        serde_json::from_str(events_raw.get()).map_err(|_| SplitError::NotEnvelope)?;
    if events.is_empty() {
        return Err(SplitError::NotEnvelope);
    }
    let fields = fields
        .into_iter()
        .filter(|(k, _)| k != MARKER_FIELD)
        .collect();
    Ok(RawEnvelope { fields, events })
}

impl RawEnvelope<'_> {
    /// The envelope with only `events[range]`, marked, as JSON text.
    fn piece_json(&self, range: std::ops::Range<usize>) -> Vec<u8> {
        let mut out = Vec::new();
        out.push(b'{');
        for (k, v) in &self.fields {
            write_str(&mut out, k);
            out.push(b':');
            if k == "logEvents" {
                out.push(b'[');
                for (i, ev) in self.events[range.clone()].iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(ev.get().as_bytes());
                }
                out.push(b']');
            } else {
                out.extend_from_slice(v.get().as_bytes());
            }
            out.push(b',');
        }
        write_str(&mut out, MARKER_FIELD);
        out.extend_from_slice(b":true}");
        out
    }
}

/// gzip, as CloudWatch Logs writes it.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// The text of a gzip record, inflated to at most `max_decompressed` bytes.
fn envelope_text(original: &[u8], max_decompressed: usize) -> Result<String, SplitError> {
    if !is_gzip(original) {
        return Err(SplitError::NotEnvelope);
    }
    let bytes = gunzip_capped(original, max_decompressed).map_err(SplitError::Decode)?;
    String::from_utf8(bytes).map_err(|e| {
        SplitError::Decode(RecordError::Utf8 {
            offset: e.utf8_error().valid_up_to(),
        })
    })
}

/// Splits a gzip CloudWatch Logs envelope (`original`, the record's bytes
/// after base64) into marked gzip envelopes, in order, each within `limits`
/// by `measure` (a piece's answer length) and by compressed size. An
/// envelope that already fits comes back as one marked piece. Asks
/// `keep_going` before each piece it tries (each compresses part of the
/// envelope, and many may be tried for a large one): when it says no,
/// [`SplitError::Stopped`].
pub fn split_envelope_while(
    original: &[u8],
    max_decompressed: usize,
    limits: &Limits,
    measure: impl FnMut(&[u8]) -> usize,
    keep_going: impl FnMut() -> bool,
) -> Result<Vec<Vec<u8>>, SplitError> {
    let text = envelope_text(original, max_decompressed)?;
    let env = parse_raw(&text)?;
    halve(&env, limits, measure, keep_going)
}

/// Splits `env`'s log events, in order, into pieces within `limits` by
/// `measure` and by compressed size, halving a range that does not fit;
/// no events give no pieces. Stops when `keep_going` says so.
fn halve(
    env: &RawEnvelope<'_>,
    limits: &Limits,
    mut measure: impl FnMut(&[u8]) -> usize,
    mut keep_going: impl FnMut() -> bool,
) -> Result<Vec<Vec<u8>>, SplitError> {
    let mut pieces = Vec::new();
    if env.events.is_empty() {
        return Ok(pieces);
    }
    // Ranges still to place, the next one on top: halves are pushed right
    // first so pieces come out in event order.
    let mut todo = Vec::new();
    todo.push(0..env.events.len());
    while let Some(range) = todo.pop() {
        if !keep_going() {
            return Err(SplitError::Stopped);
        }
        let piece = gzip(&env.piece_json(range.clone()));
        let piece_bytes = piece.len();
        let fits_record = piece_bytes <= limits.max_piece_bytes;
        let answer_len = if fits_record { measure(&piece) } else { 0 };
        if fits_record && answer_len <= limits.max_answer_len {
            pieces.push(piece);
        } else if range.len() == 1 {
            return Err(SplitError::EventTooLarge {
                index: range.start,
                answer_len,
                piece_bytes,
            });
        } else {
            let mid = range.start + range.len() / 2;
            todo.push(mid..range.end);
            todo.push(range.start..mid);
        }
    }
    Ok(pieces)
}

/// What [`set_apart_envelope`] made of an envelope.
#[derive(Debug)]
pub enum SetApart {
    /// Every log event fails: nothing to set apart.
    EveryEventFails,
    /// Read event by event, none fails: nothing to set apart either.
    NoEventFails,
    /// The usable events' pieces, then the failing events' pieces.
    Pieces {
        usable: Vec<Vec<u8>>,
        failing: Vec<Vec<u8>>,
    },
}

/// Sets apart the log events of a gzip CloudWatch Logs envelope that fail
/// when transformed, each as the pipeline reads it inside the envelope
/// ([`crate::pipeline::failing_log_events`]; arrival time
/// [`PROBE_ARRIVAL_MS`], as pieces are measured), from the usable ones:
/// the usable events split as [`split_envelope_while`] splits, within the first
/// of `usable` under which no event is too large alone; the failing ones
/// within `failing`. The envelope is inflated and read once.
pub fn set_apart_envelope(
    original: &[u8],
    cfg: &Config,
    usable: &[Limits],
    failing: &Limits,
    mut measure: impl FnMut(&[u8]) -> usize,
) -> Result<SetApart, SplitError> {
    let text = envelope_text(original, cfg.max_decompressed_bytes)?;
    let ctx = Context {
        transport: Some(Transport::Direct),
        arrival_time_ms: Some(PROBE_ARRIVAL_MS),
        ..Context::default()
    };
    let fails = crate::pipeline::failing_log_events(&text, true, &ctx, cfg)
        .ok_or(SplitError::NotEnvelope)?;
    if !fails.contains(&false) {
        return Ok(SetApart::EveryEventFails);
    }
    if !fails.contains(&true) {
        return Ok(SetApart::NoEventFails);
    }
    let env = parse_raw(&text)?;
    if env.events.len() != fails.len() {
        // The two readers disagree on the events: nothing is set apart.
        return Err(SplitError::NotEnvelope);
    }
    let of = |want: bool| RawEnvelope {
        fields: env.fields.clone(),
        events: env
            .events
            .iter()
            .zip(&fails)
            .filter(|(_, fails)| **fails == want)
            .map(|(event, _)| *event)
            .collect(),
    };
    let usable_events = of(false);
    let mut usable_pieces = Err(SplitError::NotEnvelope);
    for limits in usable {
        usable_pieces = halve(&usable_events, limits, &mut measure, || true);
        if !matches!(usable_pieces, Err(SplitError::EventTooLarge { .. })) {
            break;
        }
    }
    Ok(SetApart::Pieces {
        usable: usable_pieces?,
        failing: halve(&of(true), failing, |_| 0, || true)?,
    })
}

/// Splits a gzip CloudWatch Logs envelope into one marked gzip envelope per
/// log event, in order, each keeping the envelope's other fields (so each
/// event is transformed exactly as it was inside the original). For
/// `cognito-activity redrive --split-envelopes`: an envelope that failed
/// whole because one of its events is unusable (the S3 route's lines, or a
/// Firehose record when re-ingestion was off or failed: docs/reliability.md)
/// fails whole again when redriven as it is, unless the function can set it
/// apart; sent back one event per record, that event fails alone and the
/// others are delivered, with no re-ingestion needed.
pub fn split_per_event(
    original: &[u8],
    max_decompressed: usize,
) -> Result<Vec<Vec<u8>>, SplitError> {
    let text = envelope_text(original, max_decompressed)?;
    envelope_per_event(&text)?
        .into_iter()
        .enumerate()
        .map(|(index, json)| {
            let piece = gzip(&json);
            if piece.len() > MAX_PIECE_BYTES {
                return Err(SplitError::EventTooLarge {
                    index,
                    answer_len: 0,
                    piece_bytes: piece.len(),
                });
            }
            Ok(piece)
        })
        .collect()
}

/// [`split_per_event`] for an envelope as JSON text (an S3 route's line):
/// one marked envelope's JSON text per log event, not compressed.
pub fn envelope_per_event(text: &str) -> Result<Vec<Vec<u8>>, SplitError> {
    let env = parse_raw(text)?;
    Ok((0..env.events.len())
        .map(|i| env.piece_json(i..i + 1))
        .collect())
}

/// Measures a piece's answer exactly, by running it through the library as
/// Firehose would deliver it: one record, a record id of
/// [`RECORD_ID_ALLOWANCE`] characters, the same delivery stream.
#[derive(Debug, Clone)]
pub struct Probe {
    cfg: Config,
    delivery_stream_arn: Option<String>,
    record_id: String,
}

impl Probe {
    pub fn new(cfg: &Config, delivery_stream_arn: Option<&str>) -> Self {
        let mut cfg = cfg.clone();
        // Measure the whole answer; never let the budget cut it.
        cfg.response_budget_bytes = usize::MAX;
        Probe {
            cfg,
            delivery_stream_arn: delivery_stream_arn.map(str::to_owned),
            record_id: "0".repeat(RECORD_ID_ALLOWANCE),
        }
    }

    /// The length of the response holding only this piece's answer.
    pub fn answer_len(&self, piece: &[u8]) -> usize {
        self.answer(piece).len
    }

    /// This piece's answer, alone in a response.
    pub fn answer(&self, piece: &[u8]) -> ProbedAnswer {
        let event = FirehoseEvent {
            delivery_stream_arn: self.delivery_stream_arn.as_deref().map(Cow::Borrowed),
            records: vec![FirehoseRecord {
                record_id: Cow::Borrowed(&self.record_id),
                data: Some(Cow::Owned(base64_encode(piece))),
                approximate_arrival_timestamp: Some(PROBE_ARRIVAL_MS),
            }],
            ..FirehoseEvent::default()
        };
        let mut processed = process_parsed(&event, &self.cfg);
        // With no budget nothing overflows; an envelope held to be set
        // apart is measured as it is answered when it cannot be: failed,
        // with its data.
        let held = processed.overflow.len();
        processed.settle(std::iter::repeat_n(Settlement::Failed("measured"), held));
        ProbedAnswer {
            result: processed
                .response
                .records
                .first()
                .map_or(RecordResult::ProcessingFailed, |r| r.result),
            len: processed.response.json_len(),
            failure: processed.stats.failures.keys().next().copied(),
        }
    }
}

/// What [`Probe::answer`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbedAnswer {
    pub result: RecordResult,
    /// The length of the response holding only this answer.
    pub len: usize,
    /// Why the record failed, when it did.
    pub failure: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    /// [`split_envelope_while`] with no deadline.
    fn split_envelope(
        original: &[u8],
        max_decompressed: usize,
        limits: &Limits,
        measure: impl FnMut(&[u8]) -> usize,
    ) -> Result<Vec<Vec<u8>>, SplitError> {
        split_envelope_while(original, max_decompressed, limits, measure, || true)
    }

    const CAP: usize = 16 * 1024 * 1024;

    fn envelope(messages: &[String]) -> Vec<u8> {
        let events: Vec<Value> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| json!({"id": format!("ev{i}"), "timestamp": 1_700_000_000_000_i64 + i as i64, "message": m}))
            .collect();
        let env = json!({
            "messageType": "DATA_MESSAGE",
            "owner": "123456789012",
            "logGroup": "/aws/cognito/userpool",
            "logStream": "stream-1",
            "subscriptionFilters": ["to-firehose"],
            "logEvents": events,
        });
        gzip(&serde_json::to_vec(&env).unwrap())
    }

    fn unzip(piece: &[u8]) -> Value {
        serde_json::from_slice(&gunzip_capped(piece, CAP).unwrap()).unwrap()
    }

    fn cognito_message(n: usize, pad: usize) -> String {
        json!({
            "eventTimestamp": (1_732_400_000_000_i64 + n as i64).to_string(),
            "eventSource": "USER_AUTH_EVENTS",
            "logLevel": "INFO",
            "logSourceId": {"userPoolId": "us-east-1_Ab12Cd34E"},
            "message": {
                "eventId": format!("00000000-0000-4000-8000-{n:012}"),
                "eventType": "SignIn",
                "eventResponse": "Pass",
                "userName": "alice",
                "userSub": "11111111-2222-3333-4444-555555555555",
                "ipAddress": "192.0.2.10",
                "city": "Seattle",
                "country": "United States",
                "deviceName": "x".repeat(pad),
                "riskDecision": "NoRisk",
                "riskLevel": "Low",
                "challenges": ["Password:Success"],
            },
        })
        .to_string()
    }

    fn ids(pieces: &[Vec<u8>]) -> Vec<String> {
        pieces
            .iter()
            .flat_map(|p| {
                unzip(p)["logEvents"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["id"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn pieces_keep_the_envelope_fields_and_carry_the_marker() {
        let msgs: Vec<String> = (0..8).map(|i| format!("m{i}")).collect();
        let limits = Limits {
            max_answer_len: 3,
            max_piece_bytes: MAX_PIECE_BYTES,
        };
        // Measure: one unit per log event, so pieces hold at most 3 events.
        let pieces = split_envelope(&envelope(&msgs), CAP, &limits, |p| {
            unzip(p)["logEvents"].as_array().unwrap().len()
        })
        .unwrap();
        assert_eq!(pieces.len(), 4, "8 events halve into 4 pieces of 2");
        for p in &pieces {
            let v = unzip(p);
            assert_eq!(v["messageType"], "DATA_MESSAGE");
            assert_eq!(v["owner"], "123456789012");
            assert_eq!(v["logGroup"], "/aws/cognito/userpool");
            assert_eq!(v["logStream"], "stream-1");
            assert_eq!(v["subscriptionFilters"], json!(["to-firehose"]));
            assert_eq!(v[MARKER_FIELD], true);
        }
        assert_eq!(
            ids(&pieces),
            (0..8).map(|i| format!("ev{i}")).collect::<Vec<_>>()
        );
    }

    #[test]
    fn an_envelope_split_per_event_is_transformed_as_the_whole_was_and_a_bad_event_fails_alone() {
        use crate::firehose::process_event;
        let good: Vec<String> = (0..4).map(|i| cognito_message(i, 3)).collect();
        let whole = envelope(&good);
        // A Firehose event of records holding `data`.
        let event = |data: &[Vec<u8>]| {
            let records: Vec<Value> = data
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    json!({"recordId": format!("r{i}"),
                    "approximateArrivalTimestamp": 1_732_400_000_000_i64, "data": base64_encode(d)})
                })
                .collect();
            serde_json::to_vec(&json!({"invocationId": "i", "region": "us-east-1",
                "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
                "records": records}))
            .unwrap()
        };
        let lines = |event: &[u8]| -> (Vec<String>, Vec<String>) {
            let p = process_event(event, &Config::default()).unwrap();
            let v: Value = serde_json::from_slice(&p.to_json()).unwrap();
            let mut out = Vec::new();
            let mut results = Vec::new();
            for r in v["records"].as_array().unwrap() {
                results.push(r["result"].as_str().unwrap().to_string());
                if r["result"] == "Ok" {
                    let data = crate::decode::base64_decode(r["data"].as_str().unwrap()).unwrap();
                    out.extend(String::from_utf8(data).unwrap().lines().map(str::to_string));
                }
            }
            (out, results)
        };
        let pieces = split_per_event(&whole, CAP).unwrap();
        assert_eq!(pieces.len(), 4);
        assert_eq!(
            ids(&pieces),
            (0..4).map(|i| format!("ev{i}")).collect::<Vec<_>>()
        );
        for p in &pieces {
            assert_eq!(unzip(p)["logGroup"], "/aws/cognito/userpool");
            assert_eq!(unzip(p)[MARKER_FIELD], true);
        }
        let (from_whole, _) = lines(&event(&[whole]));
        let (from_pieces, results) = lines(&event(&pieces));
        assert_eq!(from_whole.len(), 4);
        assert_eq!(from_pieces, from_whole);
        assert!(results.iter().all(|r| r == "Ok"), "{results:?}");

        // One unusable event fails the whole envelope, and only itself once split.
        let mut mixed = good.clone();
        mixed.insert(2, "not a Cognito record".to_string());
        let mixed = envelope(&mixed);
        let pieces = split_per_event(&mixed, CAP).unwrap();
        let (_, results) = lines(&event(&[mixed]));
        assert_eq!(results, ["ProcessingFailed"]);
        let (from_pieces, results) = lines(&event(&pieces));
        assert_eq!(results, ["Ok", "Ok", "ProcessingFailed", "Ok", "Ok"]);
        // The good events' lines, but for their log event ids (the bad one
        // took the third).
        let renumbered: Vec<String> = from_pieces
            .iter()
            .map(|l| {
                l.replace("\"ev3\"", "\"ev2\"")
                    .replace("\"ev4\"", "\"ev3\"")
            })
            .collect();
        assert_eq!(renumbered, from_whole);

        assert!(matches!(
            split_per_event(b"{}", CAP),
            Err(SplitError::NotEnvelope)
        ));
    }

    #[test]
    fn failing_events_are_set_apart_from_the_usable_ones_in_order() {
        // Usable at even places, unusable at odd ones.
        let msgs: Vec<String> = (0..7)
            .map(|i| {
                if i % 2 == 0 {
                    cognito_message(i, 3)
                } else {
                    format!("m{i}")
                }
            })
            .collect();
        let count = |p: &[u8]| unzip(p)["logEvents"].as_array().unwrap().len();
        let limits = |max_answer_len| Limits {
            max_answer_len,
            max_piece_bytes: MAX_PIECE_BYTES,
        };
        let cfg = Config::default();
        // No piece of two usable events fits the first limits: the second
        // is taken, and splits the four usable events in two.
        let tiny = Limits {
            max_answer_len: 1,
            max_piece_bytes: 1,
        };
        let set = set_apart_envelope(
            &envelope(&msgs),
            &cfg,
            &[tiny, limits(2)],
            &limits(usize::MAX),
            count,
        )
        .unwrap();
        let SetApart::Pieces { usable, failing } = set else {
            panic!("{set:?}")
        };
        assert_eq!(ids(&usable), ["ev0", "ev2", "ev4", "ev6"]);
        assert_eq!(usable.len(), 2);
        assert_eq!(ids(&failing), ["ev1", "ev3", "ev5"]);
        assert_eq!(failing.len(), 1);
        assert!(usable
            .iter()
            .chain(&failing)
            .all(|p| unzip(p)[MARKER_FIELD] == true));

        let bad: Vec<String> = (0..3).map(|i| format!("m{i}")).collect();
        let set = set_apart_envelope(&envelope(&bad), &cfg, &[limits(2)], &limits(2), count);
        assert!(matches!(set, Ok(SetApart::EveryEventFails)), "{set:?}");
        let good: Vec<String> = (0..3).map(|i| cognito_message(i, 3)).collect();
        let set = set_apart_envelope(&envelope(&good), &cfg, &[limits(2)], &limits(2), count);
        assert!(matches!(set, Ok(SetApart::NoEventFails)), "{set:?}");
    }

    #[test]
    fn an_envelope_that_fits_comes_back_as_one_marked_piece() {
        let original = envelope(&["a".into(), "b".into()]);
        let limits = Limits {
            max_answer_len: usize::MAX,
            max_piece_bytes: MAX_PIECE_BYTES,
        };
        let pieces = split_envelope(&original, CAP, &limits, |_| 0).unwrap();
        assert_eq!(pieces.len(), 1);
        assert_eq!(unzip(&pieces[0])[MARKER_FIELD], true);
        // Splitting a piece again does not add a second marker.
        let again = split_envelope(&pieces[0], CAP, &limits, |_| 0).unwrap();
        let text = String::from_utf8(gunzip_capped(&again[0], CAP).unwrap()).unwrap();
        assert_eq!(text.matches(MARKER_FIELD).count(), 1, "{text}");
    }

    #[test]
    fn a_split_asks_before_each_piece_and_stops_when_told() {
        // Eight events, each alone a piece (the "answer" is the number of
        // events): 15 pieces tried (the whole, two halves, four quarters,
        // eight events).
        let msgs: Vec<String> = (0..8).map(|i| format!("m{i}")).collect();
        let limits = Limits {
            max_answer_len: 1,
            max_piece_bytes: MAX_PIECE_BYTES,
        };
        let measure = |p: &[u8]| unzip(p)["logEvents"].as_array().unwrap().len();
        let mut asked = 0;
        let pieces = split_envelope_while(&envelope(&msgs), CAP, &limits, measure, || {
            asked += 1;
            true
        })
        .unwrap();
        assert_eq!((pieces.len(), asked), (8, 15));
        for stop_after in [0, 1, 7, 14] {
            let mut asked = 0;
            let err = split_envelope_while(&envelope(&msgs), CAP, &limits, measure, || {
                asked += 1;
                asked <= stop_after
            })
            .unwrap_err();
            assert!(matches!(err, SplitError::Stopped), "{err:?}");
            assert_eq!(asked, stop_after + 1);
            assert_eq!(err.code(), "reingest_deadline");
        }
    }

    #[test]
    fn an_event_too_large_alone_is_an_error_naming_it() {
        let msgs = vec!["s".to_string(), "x".repeat(500), "t".to_string()];
        let limits = Limits {
            max_answer_len: 300,
            max_piece_bytes: MAX_PIECE_BYTES,
        };
        let err = split_envelope(&envelope(&msgs), CAP, &limits, |p| {
            gunzip_capped(p, CAP).unwrap().len()
        })
        .unwrap_err();
        assert!(
            matches!(err, SplitError::EventTooLarge { index: 1, .. }),
            "{err:?}"
        );
        assert_eq!(err.code(), "log_event_too_large");
    }

    #[test]
    fn pieces_respect_the_compressed_record_limit() {
        // Incompressible messages: 40 events of ~3 KB, pieces of at most 20 KB.
        let mut seed = 7u64;
        let msgs: Vec<String> = (0..40)
            .map(|_| {
                (0..3000)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        char::from(b'!' + (seed % 90) as u8)
                    })
                    .collect()
            })
            .collect();
        let limits = Limits {
            max_answer_len: usize::MAX,
            max_piece_bytes: 20_000,
        };
        let pieces = split_envelope(&envelope(&msgs), CAP, &limits, |_| 0).unwrap();
        assert!(pieces.len() > 1);
        assert!(pieces.iter().all(|p| p.len() <= 20_000));
        assert_eq!(ids(&pieces).len(), 40);
    }

    #[test]
    fn records_that_are_not_envelopes_are_refused() {
        let limits = Limits {
            max_answer_len: usize::MAX,
            max_piece_bytes: MAX_PIECE_BYTES,
        };
        for bytes in [
            b"{\"messageType\":\"DATA_MESSAGE\"}".to_vec(),
            gzip(br#"{"eventSource":"USER_AUTH_EVENTS"}"#),
            gzip(br#"{"messageType":"CONTROL_MESSAGE","logEvents":[{"message":"x"}]}"#),
            gzip(br#"{"messageType":"DATA_MESSAGE","logEvents":[]}"#),
            gzip(b"not json"),
        ] {
            let err = split_envelope(&bytes, CAP, &limits, |_| 0).unwrap_err();
            assert!(matches!(err, SplitError::NotEnvelope), "{err:?}");
        }
    }

    #[test]
    fn the_probe_measures_exactly_what_the_library_answers() {
        let msgs: Vec<String> = (0..4).map(|i| cognito_message(i, 10)).collect();
        let piece = envelope(&msgs);
        let cfg = Config::default();
        let arn = "arn:aws:firehose:us-east-1:123456789012:deliverystream/s";
        let measured = Probe::new(&cfg, Some(arn)).answer_len(&piece);
        let event = json!({
            "deliveryStreamArn": arn,
            "records": [{
                "recordId": "0".repeat(RECORD_ID_ALLOWANCE),
                "approximateArrivalTimestamp": PROBE_ARRIVAL_MS,
                "data": base64_encode(&piece),
            }],
        });
        let event = serde_json::to_vec(&event).unwrap();
        let processed = crate::firehose::process_event(&event, &cfg).unwrap();
        assert_eq!(
            processed.response.records[0].result,
            crate::RecordResult::Ok
        );
        assert_eq!(measured, processed.to_json().len());

        // A failing envelope is measured failed, with its data, as it is
        // answered when it cannot be set apart.
        let mut msgs = msgs;
        msgs.push("not a Cognito record".into());
        let failing = envelope(&msgs);
        let answer = Probe::new(&cfg, Some(arn)).answer(&failing);
        assert_eq!(answer.result, crate::RecordResult::ProcessingFailed);
        assert!(answer.failure.is_some());
        assert!(answer.len > base64_encode(&failing).len(), "{answer:?}");
    }

    #[test]
    fn split_cognito_pieces_each_fit_the_budget_as_the_library_measures_them() {
        let msgs: Vec<String> = (0..60).map(|i| cognito_message(i, 200)).collect();
        let original = envelope(&msgs);
        let cfg = Config::default();
        let probe = Probe::new(&cfg, None);
        let whole = probe.answer_len(&original);
        let limits = Limits {
            max_answer_len: whole / 5,
            max_piece_bytes: MAX_PIECE_BYTES,
        };
        let pieces = split_envelope(&original, CAP, &limits, |p| probe.answer_len(p)).unwrap();
        assert!(pieces.len() >= 5, "{} pieces", pieces.len());
        for p in &pieces {
            assert!(probe.answer_len(p) <= limits.max_answer_len);
        }
        assert_eq!(
            ids(&pieces),
            (0..60).map(|i| format!("ev{i}")).collect::<Vec<_>>()
        );
    }

    proptest! {
        #[test]
        fn pieces_cover_the_events_exactly_once_in_order_within_the_limit(
            sizes in proptest::collection::vec(0usize..400, 1..60),
            max in 1usize..2000,
        ) {
            let msgs: Vec<String> = sizes.iter().map(|n| "m".repeat(*n)).collect();
            let limits = Limits { max_answer_len: max, max_piece_bytes: MAX_PIECE_BYTES };
            // Measure: the summed message lengths plus one per event.
            let measure = |p: &[u8]| -> usize {
                unzip(p)["logEvents"].as_array().unwrap().iter()
                    .map(|e| e["message"].as_str().unwrap().len() + 1).sum()
            };
            match split_envelope(&envelope(&msgs), CAP, &limits, measure) {
                Ok(pieces) => {
                    let want: Vec<String> = (0..msgs.len()).map(|i| format!("ev{i}")).collect();
                    prop_assert_eq!(ids(&pieces), want);
                    for p in &pieces {
                        prop_assert!(measure(p) <= max);
                    }
                }
                Err(SplitError::EventTooLarge { index, .. }) => {
                    prop_assert!(sizes[index] + 1 > max);
                }
                Err(e) => prop_assert!(false, "{e:?}"),
            }
        }

        #[test]
        fn split_per_event_gives_each_event_once_in_order_alone(
            msgs in proptest::collection::vec(".{0,40}", 1..40),
        ) {
            let pieces = split_per_event(&envelope(&msgs), CAP).unwrap();
            let want: Vec<String> = (0..msgs.len()).map(|i| format!("ev{i}")).collect();
            prop_assert_eq!(ids(&pieces), want);
            for (p, m) in pieces.iter().zip(&msgs) {
                let v = unzip(p);
                prop_assert_eq!(v["logEvents"][0]["message"].as_str(), Some(m.as_str()));
                prop_assert_eq!(&v["owner"], "123456789012");
            }
        }

        #[test]
        fn split_per_event_never_panics_on_any_bytes(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            gzipped in any::<bool>(),
        ) {
            let input = if gzipped { gzip(&bytes) } else { bytes };
            let _ = split_per_event(&input, 1024);
        }
    }
}
