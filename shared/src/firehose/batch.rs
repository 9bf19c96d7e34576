//! The whole invocation: a Firehose event in, the whole response out.
//!
//! Each record is transformed on its own into a [`RecordOutcome`]; one bad
//! record never touches another. The response is built under a byte budget
//! (Firehose accepts at most 6 MiB back): every record is first guaranteed
//! its smallest possible answer, then `Ok` records take the rest of the
//! budget in input order (pieces re-ingested earlier first). The budget is
//! applied as records are transformed, so an output that cannot fit is
//! dropped at once instead of held (see [`process_parsed`]). A record that does not fit becomes an
//! [`Overflow`] for the caller to re-ingest (see docs/reliability.md); until
//! the caller settles it, it stands as `ProcessingFailed`, so nothing is lost
//! even if the caller does nothing. Every input recordId appears exactly once
//! in the response, in input order.

use std::borrow::Cow;

use crate::config::Config;
use crate::decode::decode_record;
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

/// One Firehose record: its base64 (and gzip) decoded under the
/// invocation's decompression allowance, then the pipeline. `scratch`
/// takes the decoded base64; nothing in the outcome borrows it, so the
/// next record may reuse it.
fn transform(
    record: &FirehoseRecord<'_>,
    ectx: &EventContext<'_>,
    stats: &mut Stats,
    scratch: &mut Vec<u8>,
) -> RecordOutcome {
    let cfg = ectx.cfg;
    let Some(data) = record.data.as_deref() else {
        return RecordOutcome::Failed(RecordError::DataMissing);
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
    let decoded = match decoded {
        Ok(d) => d,
        // Stopped by the invocation's allowance rather than the cap.
        Err(RecordError::TooLarge { limit }) if limit < cap => {
            return RecordOutcome::Failed(RecordError::InflateAllowance { limit })
        }
        Err(e) => return RecordOutcome::Failed(e),
    };
    let ctx = Context {
        transport: Some(Transport::Direct),
        account_id: ectx.account_id.map(Cow::Borrowed),
        arrival_time_ms: record.approximate_arrival_timestamp,
        ..Context::default()
    };
    let holds = Holds::DocumentsOrEnvelope {
        compressed: decoded.was_gzip,
    };
    pipeline::transform(&decoded.bytes, holds, &ctx, cfg, stats)
}

/// Turns a whole Firehose event (as JSON bytes) into the whole response.
///
/// `Err` only when the event itself is unusable (not JSON, not a Firehose
/// event, a record without a recordId): then there is nothing to answer.
pub fn process_event(event_json: &[u8], cfg: &Config) -> Result<Processed, EventError> {
    let event = FirehoseEvent::parse(event_json)?;
    Ok(process_parsed(&event, cfg))
}

/// As [`process_event`], for an already parsed event.
///
/// The response budget is applied while the records are transformed, so
/// that no more transformed output is held than the response can carry
/// (a CloudWatch Logs batch decompresses to several times the response
/// limit; everything past the budget overflows and is re-ingested from its
/// original bytes, never from its output). The answers are exactly those of
/// transforming every record first and then serving the budget: every
/// record's minimal answer is reserved up front, then pieces re-ingested
/// earlier (marked) take the budget in input order, then the other `Ok`
/// records in input order, each skipped when it does not fit.
///
/// A marked record is only known once transformed, and may come after
/// unmarked records that already took the budget. Unmarked answers are
/// therefore held tentatively: the set held is always what the input-order
/// rule gives for the records seen so far and the budget the marked ones
/// leave. When a marked record shrinks that budget below what the held
/// answers use, the set is recomputed from the answers' sizes (known for
/// every record): answers that leave it are dropped, and the few that
/// enter it, whose output was dropped earlier, are transformed again at
/// the end. That costs CPU only when marked pieces follow unmarked records
/// in a batch that overflows, and keeps memory at one record's output plus
/// what fits in the response. (Finding the marked records first would mean
/// decoding every record twice; keeping every output is what this avoids.)
pub fn process_parsed(event: &FirehoseEvent<'_>, cfg: &Config) -> Processed {
    let mut stats = Stats {
        records_in: event.records.len() as u64,
        ..Stats::default()
    };
    let ectx = EventContext {
        cfg,
        account_id: event.account_id(),
    };
    let mut scratch = Vec::new();
    let retransform = |record: &FirehoseRecord<'_>| {
        // Counted once already, on the first pass.
        transform(record, &ectx, &mut Stats::default(), &mut Vec::new())
    };
    let budget = cfg.response_budget_bytes;
    let mut room = Room::new(event, budget);
    let mut kept: Vec<Kept> = Vec::with_capacity(event.records.len());
    for record in &event.records {
        stats.bytes_in += record.data.as_ref().map_or(0, |d| d.len() as u64);
        let outcome = transform(record, &ectx, &mut stats, &mut scratch);
        let entry = room.admit(record, outcome, &mut kept);
        kept.push(entry);
    }
    room.fill_in(event, retransform, &mut kept);
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
    use crate::firehose::response::{echo, min_len, Overflow, RecordWarnings};
    use crate::firehose::split::{gzip, MARKER_FIELD};
    use crate::firehose::wire::{
        Data, FirehoseResponse, RecordResult, ResponseRecord, RESPONSE_ENVELOPE_LEN,
    };
    use serde_json::json;

    fn reference(event: &FirehoseEvent<'_>, cfg: &Config) -> Processed {
        let mut stats = Stats {
            records_in: event.records.len() as u64,
            ..Stats::default()
        };
        let ectx = EventContext {
            cfg,
            account_id: event.account_id(),
        };

        let outcomes: Vec<RecordOutcome> = event
            .records
            .iter()
            .map(|r| {
                stats.bytes_in += r.data.as_ref().map_or(0, |d| d.len() as u64);
                transform(r, &ectx, &mut stats, &mut Vec::new())
            })
            .collect();

        reference_assemble(event, outcomes, cfg.response_budget_bytes, stats)
    }

    fn reference_assemble(
        event: &FirehoseEvent<'_>,
        outcomes: Vec<RecordOutcome>,
        budget: usize,
        mut stats: Stats,
    ) -> Processed {
        let n = event.records.len();
        // Every record is first guaranteed its minimal answer.
        let reserved: usize = RESPONSE_ENVELOPE_LEN
            + n.saturating_sub(1)
            + event
                .records
                .iter()
                .map(|r| min_len(&r.record_id))
                .sum::<usize>();
        let mut free = budget.saturating_sub(reserved);

        // Which `Ok` answers fit: pieces re-ingested earlier first, then the
        // rest, each in input order. Serving re-ingested pieces first bounds how
        // often one can bounce (docs/reliability.md, "No re-ingestion loop").
        let mut fits = vec![false; n];
        let ok_extra = |record: &FirehoseRecord<'_>, outcome: &RecordOutcome| match outcome {
            RecordOutcome::Ok {
                output,
                partition_keys,
                ..
            } => Some(
                ResponseRecord {
                    record_id: record.record_id.to_string(),
                    result: RecordResult::Ok,
                    data: Data::default(),
                    partition_keys: partition_keys.clone(),
                }
                .json_len()
                    + output.len().div_ceil(3) * 4
                    - min_len(&record.record_id),
            ),
            _ => None,
        };
        for first_pass in [true, false] {
            for (index, (record, outcome)) in event.records.iter().zip(&outcomes).enumerate() {
                let marked = matches!(
                    outcome,
                    RecordOutcome::Ok {
                        reingested: true,
                        ..
                    }
                );
                if marked != first_pass {
                    continue;
                }
                if let Some(extra) = ok_extra(record, outcome) {
                    if extra <= free {
                        free -= extra;
                        fits[index] = true;
                    }
                }
            }
        }

        let mut records = Vec::with_capacity(n);
        let mut overflow = Vec::new();
        let mut failed_later = Vec::new();
        let mut originals = BTreeMap::new();

        for (index, (record, outcome)) in event.records.iter().zip(outcomes).enumerate() {
            let record_id = record.record_id.to_string();
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
                            record_id: answer.record_id.clone(),
                            original: record
                                .data
                                .as_deref()
                                .and_then(|d| crate::decode::base64_decode(d).ok())
                                .unwrap_or_default(),
                            response_len,
                            exceeds_budget_alone: response_len + RESPONSE_ENVELOPE_LEN > budget,
                        });
                        records.push(ResponseRecord {
                            record_id: answer.record_id,
                            result: RecordResult::ProcessingFailed,
                            data: Data::default(),
                            partition_keys: None,
                        });
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
        base64_encode(&gzip(&serde_json::to_vec(&env).unwrap()))
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
    fn assert_same_answers(json: &[u8], budget: usize, what: &str) -> Processed {
        let ev = FirehoseEvent::parse(json).unwrap();
        let cfg = with_budget(budget);
        let new = process_parsed(&ev, &cfg);
        let old = reference(&ev, &cfg);
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

    #[test]
    fn a_marked_piece_after_unmarked_records_gets_the_same_answers() {
        // Answers of 30, 10 and 10 units. r0 fits, r1 does not fit beside
        // it; then r2, marked, takes 10, so r0 no longer fits but r1,
        // skipped at first, does: its output was dropped and is rebuilt.
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
                RecordResult::Ok,
                RecordResult::Ok
            ]
        );
        assert_eq!(p.response.records[1], full.response.records[1]);
        assert_eq!(p.overflow[0].response_len, len(0));
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
