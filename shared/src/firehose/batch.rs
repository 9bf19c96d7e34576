//! The whole invocation: a Firehose event in, the whole response out.
//!
//! Each record is transformed on its own into a [`RecordOutcome`]; one bad
//! record never touches another. The response is built under a byte budget
//! (Firehose accepts at most 6 MiB back): every record is first guaranteed
//! its smallest possible answer, then `Ok` records take the rest of the
//! budget in input order (pieces re-ingested earlier first), until the first
//! that does not fit closes the response to the others. The budget is
//! applied as records are transformed, so an output that cannot fit is
//! dropped at once instead of held, and a record that comes after the
//! response closed is not transformed at all (see [`process_parsed`]). A
//! record that does not fit becomes an [`Overflow`] for the caller to
//! re-ingest (see docs/reliability.md); until the caller settles it, it
//! stands as `ProcessingFailed`, so nothing is lost even if the caller does
//! nothing. Every input recordId appears exactly once in the response, in
//! input order.
//!
//! [`Overflow`]: super::response::Overflow

use std::borrow::Cow;

use crate::config::Config;
use crate::decode::{decode_record, Decoded};
use crate::error::{EventError, RecordError};
use crate::normalize::{Context, Transport};
use crate::pipeline::{self, Holds, RecordOutcome};
use crate::stats::Stats;

use super::budget::{Kept, Room};
use super::response::{assemble, Processed};
use super::wire::{FirehoseEvent, FirehoseRecord};

pub use crate::decode::INFLATE_RATIO;

/// What the next gzip record of `compressed` bytes may inflate to, given
/// what the invocation has read and inflated so far.
fn inflate_allowance(stats: &Stats, cap: usize, compressed: usize) -> usize {
    let total = (cap as u64)
        .saturating_add(
            INFLATE_RATIO.saturating_mul(stats.bytes_gzip_in.saturating_add(compressed as u64)),
        )
        .saturating_sub(stats.bytes_inflated);
    usize::try_from(total).unwrap_or(usize::MAX).min(cap)
}

/// Shared, read-only context for every record of one event.
struct EventContext<'e> {
    cfg: &'e Config,
    account_id: Option<&'e str>,
}

/// Transforms one record on its own (no event around it). Never panics;
/// every error is a `Failed` outcome.
pub fn transform_record(
    record: &FirehoseRecord<'_>,
    cfg: &Config,
    stats: &mut Stats,
) -> RecordOutcome {
    let ctx = EventContext {
        cfg,
        account_id: None,
    };
    transform(record, &ctx, stats, &mut Vec::new())
}

/// One Firehose record: [`decode`], then [`run`].
fn transform(
    record: &FirehoseRecord<'_>,
    ectx: &EventContext<'_>,
    stats: &mut Stats,
    scratch: &mut Vec<u8>,
) -> RecordOutcome {
    match decode(record, ectx.cfg, stats, scratch) {
        Ok(decoded) => run(record, &decoded, ectx, stats),
        Err(e) => RecordOutcome::Failed(e),
    }
}

/// One record's data, base64 (and gzip) decoded under the invocation's
/// decompression allowance, which it counts against. `scratch` takes the
/// decoded base64; nothing in an outcome borrows it, so the next record may
/// reuse it.
fn decode<'s>(
    record: &FirehoseRecord<'_>,
    cfg: &Config,
    stats: &mut Stats,
    scratch: &'s mut Vec<u8>,
) -> Result<Decoded<'s>, RecordError> {
    let Some(data) = record.data.as_deref() else {
        return Err(RecordError::DataMissing);
    };
    let cap = cfg.max_decompressed_bytes;
    // (gzip length, what it may inflate to), when the record is gzip.
    let mut inflating = None;
    let decoded = decode_record(data, scratch, |compressed| {
        let limit = inflate_allowance(stats, cap, compressed);
        inflating = Some((compressed, limit));
        limit
    });
    if let Some((compressed, limit)) = inflating {
        stats.bytes_gzip_in += compressed as u64;
        // A stream that failed is counted as having used all it was given:
        // how far it got before failing is not known, and a batch of
        // corrupt bombs must use up the allowance as whole ones do.
        stats.bytes_inflated += decoded.as_ref().map_or(limit, |d| d.bytes.len()) as u64;
    }
    match decoded {
        // Stopped by the invocation's allowance rather than the cap.
        Err(RecordError::TooLarge { limit }) if limit < cap => {
            Err(RecordError::InflateAllowance { limit })
        }
        other => other,
    }
}

/// The pipeline over one record's decoded data.
fn run(
    record: &FirehoseRecord<'_>,
    decoded: &Decoded<'_>,
    ectx: &EventContext<'_>,
    stats: &mut Stats,
) -> RecordOutcome {
    let ctx = Context {
        transport: Some(Transport::Direct),
        account_id: ectx.account_id.map(Cow::Borrowed),
        arrival_time_ms: record.approximate_arrival_timestamp,
        ..Context::default()
    };
    let holds = Holds::DocumentsOrEnvelope {
        compressed: decoded.was_gzip,
    };
    pipeline::transform(&decoded.bytes, holds, &ctx, ectx.cfg, stats)
}

/// Whether decoded data is a piece this function re-ingested: a CloudWatch
/// Logs envelope whose [`MARKER_FIELD`] is `true`, read as the pipeline
/// reads it. Such a piece is still transformed after the response closed,
/// since it is served first. Most records are told apart without parsing:
/// without the marker's name, and without a `\u` escape that could spell
/// it, no key can be the marker.
///
/// [`MARKER_FIELD`]: crate::envelope::MARKER_FIELD
fn is_marked_piece(decoded: &Decoded<'_>) -> bool {
    let bytes: &[u8] = &decoded.bytes;
    let marker = crate::envelope::MARKER_FIELD.as_bytes();
    if memchr::memmem::find(bytes, marker).is_none()
        && memchr::memmem::find(bytes, b"\\u").is_none()
    {
        return false;
    }
    let Ok(text) = crate::decode::utf8(bytes) else {
        return false;
    };
    matches!(
        crate::envelope::parse_envelope(text, decoded.was_gzip),
        Ok(Some(envelope)) if envelope.reingested
    )
}

/// Turns a whole Firehose event (as JSON bytes) into the whole response.
///
/// `Err` only when the event itself is unusable (not JSON, not a Firehose
/// event, a record without a recordId): then there is nothing to answer.
pub fn process_event<'e>(event_json: &'e [u8], cfg: &Config) -> Result<Processed<'e>, EventError> {
    let event = FirehoseEvent::parse(event_json)?;
    Ok(process_parsed(&event, cfg))
}

/// As [`process_event`], for an already parsed event.
///
/// The response budget is applied while the records are transformed:
/// every record's minimal answer is reserved up front, then pieces
/// re-ingested earlier (marked) take the budget in input order, each
/// skipped when it does not fit, and the other `Ok` records take what the
/// marked ones leave, in input order, until the first that does not fit.
/// That one *closes* the response: no unmarked record after it is
/// admitted, so none is transformed either. Each is decoded (its marker
/// must be read, and it counts against the decompression allowance) and,
/// unless it is a marked piece, answered as an overflow unread, to be
/// re-ingested from its original bytes and transformed when it comes back.
/// A CloudWatch Logs batch decompresses to several times the response
/// limit, so this is most of such a batch's work saved, not transformed
/// once here only to be dropped and again after re-ingestion.
///
/// A marked record is only known once decoded, and may come after unmarked
/// records that already took the budget. Unmarked answers are therefore
/// held tentatively, always the longest input-order run of them that fits
/// beside the marked ones admitted so far: when a marked record shrinks the
/// room below what they use, the last ones leave (their output is dropped)
/// and the response closes. No record enters later, so no output is ever
/// rebuilt, and memory stays at one record's output plus what fits in the
/// response.
pub fn process_parsed<'e>(event: &FirehoseEvent<'e>, cfg: &Config) -> Processed<'e> {
    let mut stats = Stats {
        records_in: event.records.len() as u64,
        ..Stats::default()
    };
    let ectx = EventContext {
        cfg,
        account_id: event.account_id(),
    };
    let mut scratch = Vec::new();
    let budget = cfg.response_budget_bytes;
    let mut room = Room::new(event, budget);
    let mut kept: Vec<Kept> = Vec::with_capacity(event.records.len());
    for record in &event.records {
        stats.bytes_in += record.data.as_ref().map_or(0, |d| d.len() as u64);
        let entry = match decode(record, cfg, &mut stats, &mut scratch) {
            Err(e) => Kept::Failed(e),
            Ok(decoded) if room.closed() && !is_marked_piece(&decoded) => Kept::Unread,
            Ok(decoded) => {
                let outcome = run(record, &decoded, &ectx, &mut stats);
                room.admit(record, outcome, &mut kept)
            }
        };
        kept.push(entry);
    }
    let free = room.free();
    assemble(event, kept, budget, free, &room.id_lens, stats)
}

#[cfg(test)]
mod budget_equivalence_tests {
    //! The budget applied while transforming gives exactly the answers of
    //! the straightforward way it replaced, kept here as the reference:
    //! transform every record, then serve the budget.
    use std::collections::BTreeMap;

    use super::*;
    use crate::decode::base64_encode;
    use crate::firehose::response::{
        echo, min_len, sets_apart, Overflow, OverflowKind, RecordWarnings,
    };
    use crate::firehose::split::{gzip, MARKER_FIELD};
    use crate::firehose::wire::{
        Data, FirehoseResponse, RecordResult, ResponseRecord, RESPONSE_ENVELOPE_LEN,
    };
    use serde_json::json;

    /// Whether a record would be left unread once the response is closed:
    /// it decodes, and is not a marked piece.
    fn unread_when_closed(record: &FirehoseRecord<'_>, cfg: &Config, stats: &mut Stats) -> bool {
        let mut scratch = Vec::new();
        decode(record, cfg, stats, &mut scratch).is_ok_and(|d| !is_marked_piece(&d))
    }

    /// The straightforward way: transform every record first, then find
    /// where the response closes and which answers fit, then transform
    /// again only what the budgeted way reads, for its counts.
    fn reference<'e>(event: &FirehoseEvent<'e>, cfg: &Config) -> Processed<'e> {
        let n = event.records.len();
        let budget = cfg.response_budget_bytes;
        let ectx = EventContext {
            cfg,
            account_id: event.account_id(),
        };
        // Every record, transformed; and which ones would be left unread
        // after the response closed (decoding counts against the same
        // allowance as transforming, so one count serves both).
        let mut all = Stats::default();
        let mut outcomes = Vec::with_capacity(n);
        let mut unread = Vec::with_capacity(n);
        for r in &event.records {
            let mut before = all.clone();
            unread.push(unread_when_closed(r, cfg, &mut before));
            outcomes.push(transform(r, &ectx, &mut all, &mut Vec::new()));
        }
        let closed_after = closing_index(event, &outcomes, budget);
        let read = |i: usize| closed_after.is_none_or(|c| i <= c) || !unread[i];

        // The counts of what is read (and the decoding of what is not).
        let mut stats = Stats {
            records_in: n as u64,
            ..Stats::default()
        };
        let outcomes: Vec<Option<RecordOutcome>> = event
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                stats.bytes_in += r.data.as_ref().map_or(0, |d| d.len() as u64);
                if read(i) {
                    Some(transform(r, &ectx, &mut stats, &mut Vec::new()))
                } else {
                    unread_when_closed(r, cfg, &mut stats);
                    None
                }
            })
            .collect();
        let fits = fitting(event, &outcomes, budget, closed_after);
        reference_assemble(event, outcomes, &fits, budget, stats)
    }

    /// The answer's cost beyond the record's minimal answer, for an `Ok`.
    fn ok_extra(record: &FirehoseRecord<'_>, outcome: &RecordOutcome) -> Option<usize> {
        match outcome {
            RecordOutcome::Ok {
                output,
                partition_keys,
                ..
            } => Some(
                ResponseRecord {
                    record_id: record.record_id.clone(),
                    result: RecordResult::Ok,
                    data: Data::default(),
                    partition_keys: partition_keys.clone(),
                }
                .json_len()
                    + output.len().div_ceil(3) * 4
                    - min_len(&record.record_id),
            ),
            _ => None,
        }
    }

    fn is_marked(outcome: &RecordOutcome) -> bool {
        matches!(
            outcome,
            RecordOutcome::Ok {
                reingested: true,
                ..
            }
        )
    }

    /// What is left after every record's minimal answer.
    fn room(event: &FirehoseEvent<'_>, budget: usize) -> usize {
        let reserved: usize = RESPONSE_ENVELOPE_LEN
            + event.records.len().saturating_sub(1)
            + event
                .records
                .iter()
                .map(|r| min_len(&r.record_id))
                .sum::<usize>();
        budget.saturating_sub(reserved)
    }

    /// The record after which the response is closed, going through the
    /// records in order: until then every unmarked `Ok` answer is in but
    /// those too large to fit even alone; it closes at the first that does
    /// not fit beside the answers admitted so far, or at a marked answer
    /// that leaves too little room for those in.
    fn closing_index(
        event: &FirehoseEvent<'_>,
        outcomes: &[RecordOutcome],
        budget: usize,
    ) -> Option<usize> {
        let free = room(event, budget);
        let (mut marked, mut unmarked) = (0usize, 0usize);
        for (i, (record, outcome)) in event.records.iter().zip(outcomes).enumerate() {
            let Some(extra) = ok_extra(record, outcome) else {
                continue;
            };
            if is_marked(outcome) {
                if marked + extra <= free {
                    marked += extra;
                    if marked + unmarked > free {
                        return Some(i);
                    }
                }
            } else if marked + unmarked + extra <= free {
                unmarked += extra;
            } else if extra <= free {
                return Some(i);
            }
        }
        None
    }

    /// Which answers are in: the marked ones in input order, each skipped
    /// when it does not fit; then the longest input-order run of unmarked
    /// ones before the response closed that fits in what they leave.
    fn fitting(
        event: &FirehoseEvent<'_>,
        outcomes: &[Option<RecordOutcome>],
        budget: usize,
        closed_after: Option<usize>,
    ) -> Vec<bool> {
        let mut free = room(event, budget);
        let mut fits = vec![false; outcomes.len()];
        let ok = || {
            event
                .records
                .iter()
                .zip(outcomes)
                .enumerate()
                .filter_map(|(i, (r, o))| Some((i, o.as_ref()?, ok_extra(r, o.as_ref()?)?)))
        };
        for (i, outcome, extra) in ok() {
            if is_marked(outcome) && extra <= free {
                free -= extra;
                fits[i] = true;
            }
        }
        for (i, outcome, extra) in ok() {
            if is_marked(outcome) {
                continue;
            }
            if closed_after.is_some_and(|c| i >= c) {
                break;
            }
            if extra <= free {
                free -= extra;
                fits[i] = true;
            } else if extra <= room(event, budget) {
                break;
            }
        }
        fits
    }

    fn reference_assemble<'e>(
        event: &FirehoseEvent<'e>,
        outcomes: Vec<Option<RecordOutcome>>,
        fits: &[bool],
        budget: usize,
        mut stats: Stats,
    ) -> Processed<'e> {
        let n = event.records.len();
        // What the answers in leave, for failed records' data.
        let mut free = room(event, budget)
            - event
                .records
                .iter()
                .zip(&outcomes)
                .zip(fits)
                .filter(|(_, fits)| **fits)
                .filter_map(|((r, o), _)| ok_extra(r, o.as_ref()?))
                .sum::<usize>();

        let mut records = Vec::with_capacity(n);
        // The answer of a record held for the caller to settle.
        let held = |record_id| ResponseRecord {
            record_id,
            result: RecordResult::ProcessingFailed,
            data: Data::default(),
            partition_keys: None,
        };
        let mut overflow = Vec::new();
        let mut failed_later = Vec::new();
        let mut originals = BTreeMap::new();

        for (index, (record, outcome)) in event.records.iter().zip(outcomes).enumerate() {
            let record_id = record.record_id.clone();
            let original = || {
                record
                    .data
                    .as_deref()
                    .and_then(|d| crate::decode::base64_decode(d).ok())
                    .unwrap_or_default()
            };
            let Some(outcome) = outcome else {
                stats.records_overflow += 1;
                stats.records_failed += 1;
                overflow.push(Overflow {
                    index,
                    record_id: record_id.to_string(),
                    original: original(),
                    response_len: None,
                    exceeds_budget_alone: false,
                    kind: OverflowKind::NoRoom,
                    failure_code: None,
                });
                records.push(held(record_id));
                continue;
            };
            match outcome {
                RecordOutcome::Ok {
                    output,
                    partition_keys,
                    events,
                    reingested: _,
                } => {
                    let answer = ResponseRecord {
                        record_id,
                        result: RecordResult::Ok,
                        data: Data::Raw(output),
                        partition_keys,
                    };
                    if fits[index] {
                        stats.records_ok += 1;
                        stats.events_out += events as u64;
                        records.push(answer);
                    } else {
                        let response_len = answer.json_len();
                        tracing::warn!(
                            record_id = %answer.record_id,
                            reason = "response_budget",
                            response_len,
                            "record does not fit in the response"
                        );
                        stats.records_overflow += 1;
                        stats.records_failed += 1;
                        overflow.push(Overflow {
                            index,
                            record_id: answer.record_id.to_string(),
                            original: original(),
                            response_len: Some(response_len),
                            exceeds_budget_alone: response_len + RESPONSE_ENVELOPE_LEN > budget,
                            kind: OverflowKind::NoRoom,
                            failure_code: None,
                        });
                        records.push(held(answer.record_id));
                    }
                }
                RecordOutcome::Dropped { reason } => {
                    tracing::debug!(record_id = %record_id, reason, "record dropped");
                    stats.records_dropped += 1;
                    records.push(ResponseRecord {
                        record_id,
                        result: RecordResult::Dropped,
                        data: Data::default(),
                        partition_keys: None,
                    });
                }
                RecordOutcome::Failed(err) => {
                    tracing::warn!(record_id = %record_id, reason = %err, code = err.code(), "record failed");
                    stats.records_failed += 1;
                    *stats.failures.entry(err.code()).or_default() += 1;
                    let original = original();
                    if sets_apart(&err, &original) {
                        overflow.push(Overflow::failing_log_events(
                            index,
                            record_id.to_string(),
                            original,
                            err.code(),
                        ));
                        records.push(held(record_id));
                        continue;
                    }
                    failed_later.push(index);
                    if let Some(d) = record.data.as_deref() {
                        originals.insert(index, echo(d, &err));
                    }
                    records.push(ResponseRecord {
                        record_id,
                        result: RecordResult::ProcessingFailed,
                        data: Data::default(),
                        partition_keys: None,
                    });
                }
            }
        }

        // Failed records carry their original data back when it fits (it
        // always does unless the response is already near the budget).
        for index in failed_later {
            if let Some(original) = originals.remove(&index) {
                if original.base64_len() <= free {
                    free -= original.base64_len();
                    records[index].data = original;
                }
            }
        }

        let response = FirehoseResponse { records };
        stats.bytes_out = response.json_len() as u64;
        Processed {
            response,
            overflow,
            stats,
            delivery_stream_arn: event.delivery_stream_arn.as_deref().map(str::to_owned),
            source_kinesis_stream_arn: event
                .source_kinesis_stream_arn
                .as_deref()
                .map(str::to_owned),
            region: event.region.as_deref().map(str::to_owned),
            invocation_id: event.invocation_id.as_deref().map(str::to_owned),
            warnings: RecordWarnings::default(),
            budget,
        }
    }

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn cognito_message(i: u64) -> serde_json::Value {
        json!({
            "eventTimestamp": "1732400000000",
            "eventSource": "USER_AUTH_EVENTS",
            "logSourceId": {"userPoolId": "us-east-1_Ab12Cd34E"},
            "message": {"eventType": "SignIn", "eventResponse": "Pass",
                "userName": format!("user{i}"),
                "eventId": format!("00000000-0000-4000-8000-{i:012}")},
        })
    }

    /// A gzip CloudWatch Logs envelope of `n` events; `marker` is the
    /// marker's JSON value, if any.
    fn envelope(n: u64, marker: Option<serde_json::Value>) -> String {
        padded_envelope(n, 0, marker)
    }

    /// One record's data, of any kind the budget treats differently.
    fn any_record(rng: &mut Rng) -> String {
        match rng.below(10) {
            0..=3 => envelope(1 + rng.below(40), None),
            4 | 5 => envelope(1 + rng.below(40), Some(json!(true))),
            6 => envelope(1 + rng.below(10), Some(json!("yes"))),
            7 => {
                let lines: String = (0..1 + rng.below(5))
                    .map(|i| cognito_message(i).to_string() + "\n")
                    .collect();
                base64_encode(lines.as_bytes())
            }
            8 => base64_encode(&gzip(
                br#"{"messageType":"CONTROL_MESSAGE","logEvents":[]}"#,
            )),
            _ => ["not base64!", "bm90IGpzb24=", "a\"b"][rng.below(3) as usize].to_string(),
        }
    }

    fn event(datas: &[String]) -> Vec<u8> {
        let records: Vec<serde_json::Value> = datas
            .iter()
            .enumerate()
            .map(|(i, d)| json!({"recordId": format!("r{i}"), "data": d}))
            .collect();
        serde_json::to_vec(&json!({"records": records})).unwrap()
    }

    fn with_budget(budget: usize) -> Config {
        Config {
            response_budget_bytes: budget,
            ..Config::default()
        }
    }

    /// Asserts that both ways give the same answers for `json` under `budget`.
    fn assert_same_answers<'e>(json: &'e [u8], budget: usize, what: &str) -> Processed<'e> {
        assert_same_answers_with(json, &with_budget(budget), what)
    }

    /// Asserts that both ways give the same answers for `json` under `cfg`.
    fn assert_same_answers_with<'e>(json: &'e [u8], cfg: &Config, what: &str) -> Processed<'e> {
        let ev = FirehoseEvent::parse(json).unwrap();
        let budget = cfg.response_budget_bytes;
        let new = process_parsed(&ev, cfg);
        let old = reference(&ev, cfg);
        // First in short, so that a failure is readable.
        let short = |p: &Processed| -> Vec<(RecordResult, usize)> {
            p.response
                .records
                .iter()
                .map(|r| (r.result, r.json_len()))
                .collect()
        };
        assert_eq!(short(&new), short(&old), "{what}, budget {budget}");
        assert_eq!(new.response, old.response, "{what}, budget {budget}");
        assert_eq!(new.overflow, old.overflow, "{what}, budget {budget}");
        assert_eq!(new.stats, old.stats, "{what}, budget {budget}");
        assert_eq!(new.budget, old.budget);
        assert!(new.to_json().len() <= budget.max(old.to_json().len()));
        new
    }

    #[test]
    fn mixed_batches_get_the_same_answers_as_transforming_everything_first() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut overflowed = 0;
        for case in 0..60 {
            let n = 1 + rng.below(12) as usize;
            let datas: Vec<String> = (0..n).map(|_| any_record(&mut rng)).collect();
            let json = event(&datas);
            let full = process_event(&json, &with_budget(usize::MAX)).unwrap();
            let full_len = full.response.json_len();
            for _ in 0..8 {
                let budget = (full_len as u64 * (5 + rng.below(100)) / 100) as usize;
                let p = assert_same_answers(&json, budget, &format!("case {case}"));
                overflowed += usize::from(!p.overflow.is_empty());
            }
        }
        // The budgets were small enough to matter.
        assert!(overflowed > 100, "{overflowed}");
    }

    /// A gzip envelope of `n` events followed by `pad` bytes of spaces:
    /// it inflates to far more than [`INFLATE_RATIO`] times its size, so a
    /// few of them use up the invocation's decompression allowance.
    fn padded_envelope(n: u64, pad: usize, marker: Option<serde_json::Value>) -> String {
        let events: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                json!({"id": format!("e{i}"), "timestamp": 1_732_400_000_000_i64,
                    "message": cognito_message(i).to_string()})
            })
            .collect();
        let mut env = json!({"messageType": "DATA_MESSAGE", "owner": "123456789012",
            "logGroup": "g", "logStream": "s", "logEvents": events});
        if let Some(m) = marker {
            env[MARKER_FIELD] = m;
        }
        let mut text = serde_json::to_vec(&env).unwrap();
        text.resize(text.len() + pad, b' ');
        base64_encode(&gzip(&text))
    }

    /// A marked envelope the pipeline does not answer `Ok`: a control
    /// message, or events that are not Cognito records.
    fn failing_marked_envelope(rng: &mut Rng) -> String {
        let env = if rng.below(2) == 0 {
            json!({"messageType": "CONTROL_MESSAGE", "logEvents": [], MARKER_FIELD: true})
        } else {
            json!({"messageType": "DATA_MESSAGE", "logEvents": [
                {"id": "e0", "timestamp": 1, "message": "not json"},
                {"id": "e1", "timestamp": 1, "message": "[1,2]"}], MARKER_FIELD: true})
        };
        base64_encode(&gzip(&serde_json::to_vec(&env).unwrap()))
    }

    /// What [`any_record`] makes, and the kinds it leaves out: marked
    /// pieces that fail or are dropped in the pipeline, and envelopes that
    /// use up the decompression allowance (marked or not).
    fn any_record_or_worse(rng: &mut Rng) -> String {
        match rng.below(8) {
            0 => failing_marked_envelope(rng),
            1 => padded_envelope(
                1 + rng.below(5),
                150_000 + rng.below(100_000) as usize,
                (rng.below(2) == 0).then_some(json!(true)),
            ),
            _ => any_record(rng),
        }
    }

    #[test]
    fn larger_batches_with_partition_keys_and_a_spent_allowance_get_the_same_answers() {
        use crate::config::PartitionKey;
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let (mut overflowed, mut spent, mut keyed) = (0, 0, 0);
        for case in 0..40 {
            let n = 13 + rng.below(28) as usize;
            let datas: Vec<String> = (0..n).map(|_| any_record_or_worse(&mut rng)).collect();
            let json = event(&datas);
            let keys = if case % 2 == 0 {
                vec![
                    PartitionKey::EventType,
                    PartitionKey::UserPoolId,
                    PartitionKey::Hour,
                ]
            } else {
                Vec::new()
            };
            let cfg = |budget: usize| Config {
                response_budget_bytes: budget,
                // Small enough that the padded envelopes spend the
                // allowance (cap + INFLATE_RATIO x gzip bytes read).
                max_decompressed_bytes: 256 * 1024,
                partition_keys: keys.clone(),
                ..Config::default()
            };
            let full = process_event(&json, &cfg(usize::MAX)).unwrap();
            let full_len = full.response.json_len();
            spent += usize::from(full.stats.failures.contains_key("inflate_allowance"));
            keyed += usize::from(
                full.response
                    .records
                    .iter()
                    .any(|r| r.partition_keys.is_some()),
            );
            for _ in 0..6 {
                let budget = (full_len as u64 * (5 + rng.below(100)) / 100) as usize;
                let p = assert_same_answers_with(&json, &cfg(budget), &format!("case {case}"));
                overflowed += usize::from(!p.overflow.is_empty());
            }
        }
        // The cases the generator is for did occur.
        assert!(overflowed > 100, "{overflowed}");
        assert!(spent > 5, "{spent}");
        assert!(keyed > 10, "{keyed}");
    }

    #[test]
    fn a_marked_piece_after_unmarked_records_closes_the_response() {
        // Answers of 30, 10 and 10 units. r0 fits, r1 does not fit beside
        // it and closes the response; then r2, marked, takes 10, so r0 no
        // longer fits. r1 would now, but nothing enters a closed response.
        let datas = [
            envelope(30, None),
            envelope(10, None),
            envelope(10, Some(json!(true))),
        ];
        let json = event(&datas);
        let full = process_event(&json, &with_budget(usize::MAX)).unwrap();
        let len = |i: usize| full.response.records[i].json_len();
        // Room for r0 and r1 would take 40 units; this leaves 35.
        let budget = full.response.json_len() - len(0) / 2;
        let p = assert_same_answers(&json, budget, "marked last");
        let results: Vec<_> = p.response.records.iter().map(|r| r.result).collect();
        assert_eq!(
            results,
            [
                RecordResult::ProcessingFailed,
                RecordResult::ProcessingFailed,
                RecordResult::Ok
            ]
        );
        assert_eq!(p.response.records[2], full.response.records[2]);
        assert_eq!(p.overflow[0].response_len, Some(len(0)));
        assert_eq!(p.overflow[1].response_len, Some(len(1)));
    }

    #[test]
    fn records_after_the_response_closed_are_left_unread_unless_marked() {
        // r0 takes nearly all the room; r1 does not fit and closes the
        // response; r2 (unmarked) and r4 (not even JSON) are not read; r3,
        // a marked piece, is read and served; r5 does not decode, and is
        // answered for it.
        let datas = [
            envelope(30, None),
            envelope(10, None),
            envelope(1, None),
            envelope(1, Some(json!(true))),
            base64_encode(b"not json"),
            "not base64!".to_string(),
        ];
        let json = event(&datas);
        let full = process_event(&json, &with_budget(usize::MAX)).unwrap();
        let len = |i: usize| full.response.records[i].json_len();
        let budget = full.response.json_len() - len(1) + len(1) / 2;
        let p = assert_same_answers(&json, budget, "closed");
        let results: Vec<_> = p.response.records.iter().map(|r| r.result).collect();
        use RecordResult::*;
        assert_eq!(
            results,
            [
                Ok,
                ProcessingFailed,
                ProcessingFailed,
                Ok,
                ProcessingFailed,
                ProcessingFailed
            ]
        );
        let lens: Vec<_> = p
            .overflow
            .iter()
            .map(|o| (o.index, o.response_len))
            .collect();
        assert_eq!(lens, [(1, Some(len(1))), (2, None), (4, None)]);
        // Left unread: their events are not counted, only those of r0, r1
        // (read to find it does not fit) and r3.
        assert_eq!(p.stats.events_in, 30 + 10 + 1);
        assert_eq!(p.stats.records_overflow, 3);
        assert_eq!(p.stats.failures.len(), 1, "{:?}", p.stats.failures);
    }

    /// Data of an envelope whose marker key is spelled with an escape.
    fn escaped_marker_envelope() -> String {
        let text = serde_json::to_string(&json!({"messageType": "DATA_MESSAGE",
            "logEvents": [{"id": "e0", "timestamp": 1, "message": cognito_message(0).to_string()}]}))
        .unwrap();
        let key = MARKER_FIELD.replacen('R', "\\u0052", 1);
        let text = text.replacen('{', &format!("{{\"{key}\":true,"), 1);
        base64_encode(&gzip(text.as_bytes()))
    }

    #[test]
    fn a_marked_piece_is_told_apart_as_the_pipeline_reads_it() {
        let mut rng = Rng(11);
        let mut datas: Vec<String> = (0..300).map(|_| any_record(&mut rng)).collect();
        datas.push(escaped_marker_envelope());
        let cfg = Config::default();
        let ectx = EventContext {
            cfg: &cfg,
            account_id: None,
        };
        let mut marked = 0;
        for data in &datas {
            let record = FirehoseRecord {
                record_id: Cow::Borrowed("r"),
                data: Some(Cow::Borrowed(data)),
                approximate_arrival_timestamp: None,
            };
            let mut scratch = Vec::new();
            let Ok(decoded) = decode(&record, &cfg, &mut Stats::default(), &mut scratch) else {
                continue;
            };
            let by_pipeline = is_marked(&run(&record, &decoded, &ectx, &mut Stats::default()));
            assert_eq!(is_marked_piece(&decoded), by_pipeline, "{data}");
            marked += usize::from(by_pipeline);
        }
        assert!(marked > 30, "{marked}");
        // The last, the marker spelled with an escape, is one of them.
        assert!(is_marked(&transform(
            &FirehoseRecord {
                record_id: Cow::Borrowed("r"),
                data: Some(Cow::Owned(escaped_marker_envelope())),
                approximate_arrival_timestamp: None,
            },
            &ectx,
            &mut Stats::default(),
            &mut Vec::new(),
        )));
    }

    #[test]
    fn marked_pieces_between_unmarked_records_get_the_same_answers() {
        let mut rng = Rng(7);
        for case in 0..40 {
            // Unmarked records of varied sizes, with marked ones in between
            // and at the end.
            let datas: Vec<String> = (0..8)
                .map(|i| {
                    let marked = i % 3 == 2 || rng.below(4) == 0;
                    envelope(1 + rng.below(30), marked.then_some(json!(true)))
                })
                .collect();
            let json = event(&datas);
            let full = process_event(&json, &with_budget(usize::MAX)).unwrap();
            for pct in [10, 25, 40, 55, 70, 85] {
                assert_same_answers(
                    &json,
                    full.response.json_len() * pct / 100,
                    &format!("case {case}"),
                );
            }
        }
    }
}
