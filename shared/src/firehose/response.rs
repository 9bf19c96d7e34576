//! The response: each record's answer assembled in input order, failed
//! records carrying their original data back, and the records held for the
//! caller to settle ([`Overflow`]): those that did not fit, and gzip
//! CloudWatch Logs envelopes that failed on some of their log events.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::error::RecordError;
use crate::stats::Stats;

use super::budget::Kept;
use super::wire::{
    Data, FirehoseEvent, FirehoseResponse, RecordResult, ResponseRecord, MIN_ANSWER_LEN_BUT_ID,
    RESPONSE_ENVELOPE_LEN,
};

/// A record held for the caller to settle (re-ingest, or fail): one that
/// did not fit in the response, or an envelope to set apart ([`OverflowKind`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Overflow {
    /// Its position in the event and the response.
    pub index: usize,
    pub record_id: String,
    /// The record's original bytes (base64-decoded, still compressed if it
    /// was): what to put back into the source.
    pub original: Vec<u8>,
    /// The size its answer would have had in the response; `None` when it
    /// was not transformed (it came after the response closed).
    pub response_len: Option<usize>,
    /// Whether that answer is known to exceed the budget alone, so that
    /// re-ingesting it unchanged would overflow again (it must be split, or
    /// fail).
    pub exceeds_budget_alone: bool,
    /// Why it is held for the caller to settle.
    pub kind: OverflowKind,
    /// The failure code it was counted under in [`Stats::failures`], for a
    /// record set apart: taken back when it is re-ingested, since its
    /// failing piece is counted when it fails.
    pub failure_code: Option<&'static str>,
}

impl Overflow {
    /// A failed envelope held to be set apart ([`sets_apart`]), counted
    /// under `failure_code`.
    pub fn failing_log_events(
        index: usize,
        record_id: String,
        original: Vec<u8>,
        failure_code: &'static str,
    ) -> Overflow {
        Overflow {
            index,
            record_id,
            original,
            response_len: None,
            exceeds_budget_alone: false,
            kind: OverflowKind::FailingLogEvents,
            failure_code: Some(failure_code),
        }
    }
}

/// Why a record is an [`Overflow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverflowKind {
    /// It did not fit in the response.
    NoRoom,
    /// A gzip CloudWatch Logs envelope failed on one of its log events
    /// ([`sets_apart`]): put back as pieces, its usable events apart from
    /// the failing ones, the usable ones are delivered and only the others
    /// fail (docs/reliability.md). Answered `ProcessingFailed`, as every
    /// failed record is, unless re-ingestion settles it.
    FailingLogEvents,
}

/// Whether a record that failed with `err`, whose data decodes to
/// `original`, is held as an [`OverflowKind::FailingLogEvents`] instead of
/// failing for good: a log event of a gzip CloudWatch Logs envelope failed.
pub fn sets_apart(err: &RecordError, original: &[u8]) -> bool {
    matches!(err, RecordError::LogEvent { .. }) && crate::decode::is_gzip(original)
}

/// What became of an overflow record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// Its data is back in the source stream: answer `Dropped`.
    Reingested,
    /// Re-ingestion was off or failed, or the record, left unread and then
    /// transformed to be measured, failed: answer `ProcessingFailed`. The
    /// reason is its failure code in [`Stats::failures`]
    /// (`reingest_disabled`, `reingest_failed`, the pipeline's code of an
    /// unread record that failed when read...), unless it was counted under
    /// one already (an envelope held to be set apart).
    Failed(&'static str),
    /// Left unread, then transformed to be measured, the record is one the
    /// pipeline drops (filtered out, a control message): answer `Dropped`,
    /// as it would have been in the response.
    Dropped,
}

/// The assembled invocation.
#[derive(Debug, Clone)]
pub struct Processed<'a> {
    pub response: FirehoseResponse<'a>,
    /// Records answered `ProcessingFailed` until settled: for lack of room,
    /// or to be set apart ([`OverflowKind`]).
    pub overflow: Vec<Overflow>,
    pub stats: Stats,
    pub delivery_stream_arn: Option<String>,
    pub source_kinesis_stream_arn: Option<String>,
    pub region: Option<String>,
    pub invocation_id: Option<String>,
    /// Per-record warnings written so far, shared with whoever settles.
    pub warnings: RecordWarnings,
    pub(super) budget: usize,
}

/// How many records an invocation names at WARN level. Past it, records are
/// named at DEBUG only: a batch of 20,000 bad records once wrote 20,000
/// lines (most of its cost, and CloudWatch Logs bills every byte). The
/// invocation's summary line counts every failure by code.
pub const RECORD_WARNINGS_PER_INVOCATION: usize = 25;

/// Counts the per-record warnings of one invocation.
#[derive(Debug, Clone, Default)]
pub struct RecordWarnings {
    written: usize,
}

impl RecordWarnings {
    /// Whether the next record may be named at WARN level.
    pub fn take(&mut self) -> bool {
        self.written += 1;
        self.written <= RECORD_WARNINGS_PER_INVOCATION
    }

    /// Warnings past the allowance, written at DEBUG only.
    pub fn demoted(&self) -> usize {
        self.written.saturating_sub(RECORD_WARNINGS_PER_INVOCATION)
    }
}

impl Processed<'_> {
    /// The same outcome, owning its record ids (no longer borrowing the
    /// event's bytes).
    pub fn into_owned(self) -> Processed<'static> {
        Processed {
            response: self.response.into_owned(),
            overflow: self.overflow,
            stats: self.stats,
            delivery_stream_arn: self.delivery_stream_arn,
            source_kinesis_stream_arn: self.source_kinesis_stream_arn,
            region: self.region,
            invocation_id: self.invocation_id,
            warnings: self.warnings,
            budget: self.budget,
        }
    }

    /// Records the fate of every overflow record, in one pass: the `n`th
    /// settlement is the `n`th overflow record's (a missing one counts as
    /// `Failed`, under [`NOT_SETTLED`]). Re-ingested records become
    /// `Dropped`; failed ones stay `ProcessingFailed`, counted under their
    /// reason, and get their original data back, in overflow order, while
    /// the budget allows (Firehose writes its own copy of the source
    /// record, `rawData`, to the error prefix either way).
    ///
    /// The response's size is measured once and then kept up to date
    /// record by record, so settling costs the same per record however many
    /// overflow (measuring it per record made a batch of ~20,000 tiny
    /// overflow records take seconds).
    pub fn settle(&mut self, settlements: impl IntoIterator<Item = Settlement>) {
        let overflow = std::mem::take(&mut self.overflow);
        let mut settlements = settlements.into_iter();
        let mut len = self.response.json_len();
        for o in overflow {
            let how = settlements
                .next()
                .unwrap_or(Settlement::Failed(NOT_SETTLED));
            let Some(rec) = self.response.records.get_mut(o.index) else {
                continue;
            };
            let before = rec.json_len_but_id();
            match how {
                Settlement::Reingested | Settlement::Dropped => {
                    rec.result = RecordResult::Dropped;
                    rec.data = Data::default();
                    if how == Settlement::Reingested {
                        self.stats.records_reingested += 1;
                    }
                    self.stats.records_failed = self.stats.records_failed.saturating_sub(1);
                    // No longer a failure here: its failing events are
                    // counted once, when their piece fails.
                    if let Some(code) = o.failure_code {
                        uncount(&mut self.stats.failures, code);
                    }
                    self.stats.records_dropped += 1;
                }
                Settlement::Failed(reason) => {
                    // Every record answered `ProcessingFailed` is counted
                    // under one code: an envelope set apart already is.
                    if o.failure_code.is_none() {
                        *self.stats.failures.entry(reason).or_default() += 1;
                    }
                    let original = Data::Raw(o.original);
                    if len + original.base64_len() <= self.budget {
                        rec.data = original;
                    }
                }
            }
            len = len - before + rec.json_len_but_id();
        }
        self.stats.bytes_out = len as u64;
    }

    /// The response as JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        self.response.to_json()
    }
}

/// The failure code of an overflow record [`Processed::settle`] was given
/// no settlement for.
pub const NOT_SETTLED: &str = "not_settled";

/// Takes one count of `code` back, dropping it when none is left.
fn uncount(failures: &mut BTreeMap<&'static str, u64>, code: &'static str) {
    if let Some(n) = failures.get_mut(code) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            failures.remove(code);
        }
    }
}

/// A failed record's original `data`, as its answer carries it back: the
/// base64 text as sent (without the whitespace around it that the decoder
/// tolerates: what is left is base64's alphabet, which needs no JSON
/// escaping); and text that is not base64 at all, encoded, so that the
/// answer is valid base64 and Firehose reads back exactly the text that was
/// sent (answering it verbatim gave Firehose a field it cannot decode, and
/// text needing JSON escaping had to be left out).
pub(super) fn echo(data: &str, err: &RecordError) -> Data {
    match err {
        RecordError::Base64 => Data::Raw(data.as_bytes().to_vec()),
        _ => Data::Base64(data.trim_ascii().to_string()),
    }
}

/// The smallest answer a record can have: `ProcessingFailed` with no data.
#[cfg(test)]
pub(super) fn min_len(record_id: &str) -> usize {
    // What `ResponseRecord::json_len` gives for that answer, without
    // building one.
    crate::json::escape::str_len(record_id) + MIN_ANSWER_LEN_BUT_ID
}

/// Builds the response from the admitted records; `free` is what the `Ok`
/// answers left of the budget.
pub(super) fn assemble<'a>(
    event: &FirehoseEvent<'a>,
    kept: Vec<Kept<'a>>,
    budget: usize,
    mut free: usize,
    id_lens: &[usize],
    mut stats: Stats,
) -> Processed<'a> {
    let n = event.records.len();
    let mut records = Vec::with_capacity(n);
    let mut overflow = Vec::new();
    let mut failed_later = Vec::new();
    let mut originals = BTreeMap::new();
    let mut warnings = RecordWarnings::default();

    for (index, (record, entry)) in event.records.iter().zip(kept).enumerate() {
        // Answered `ProcessingFailed` until the caller settles it.
        let mut overflowed = |record_id: Cow<'a, str>, response_len: Option<usize>| {
            // Its fate (re-ingested or failed) is logged when settled.
            tracing::debug!(
                record_id = %record_id,
                reason = "response_budget",
                response_len,
                "record does not fit in the response"
            );
            stats.records_overflow += 1;
            stats.records_failed += 1;
            overflow.push(Overflow {
                index,
                record_id: record_id.to_string(),
                original: record
                    .data
                    .as_deref()
                    .and_then(|d| crate::decode::base64_decode(d).ok())
                    .unwrap_or_default(),
                response_len,
                exceeds_budget_alone: response_len
                    .is_some_and(|len| len + RESPONSE_ENVELOPE_LEN > budget),
                kind: OverflowKind::NoRoom,
                failure_code: None,
            });
            records.push(ResponseRecord {
                record_id,
                result: RecordResult::ProcessingFailed,
                data: Data::default(),
                partition_keys: None,
            });
        };
        match entry {
            Kept::Ok(ok) if ok.fits => {
                stats.records_ok += 1;
                stats.events_out += ok.events as u64;
                records.push(ok.answer);
            }
            Kept::Ok(ok) => {
                // The size its answer would have had, data included.
                let id_len = id_lens.get(index).copied().unwrap_or_default();
                let response_len = id_len + MIN_ANSWER_LEN_BUT_ID + ok.extra;
                overflowed(ok.answer.record_id, Some(response_len));
            }
            Kept::Unread => overflowed(record.record_id.clone(), None),
            Kept::Dropped { reason } => {
                let record_id = record.record_id.clone();
                tracing::debug!(record_id = %record_id, reason, "record dropped");
                stats.records_dropped += 1;
                records.push(ResponseRecord {
                    record_id,
                    result: RecordResult::Dropped,
                    data: Data::default(),
                    partition_keys: None,
                });
            }
            Kept::Failed(err) => {
                let record_id = record.record_id.clone();
                if warnings.take() {
                    tracing::warn!(record_id = %record_id, reason = %err, code = err.code(), "record failed");
                } else {
                    tracing::debug!(record_id = %record_id, reason = %err, code = err.code(), "record failed");
                }
                stats.records_failed += 1;
                *stats.failures.entry(err.code()).or_default() += 1;
                // Only a log event's failure can be set apart: other
                // failed records are not decoded again.
                let original = matches!(err, RecordError::LogEvent { .. })
                    .then(|| record.data.as_deref())
                    .flatten()
                    .and_then(|d| crate::decode::base64_decode(d).ok());
                match original {
                    Some(original) if sets_apart(&err, &original) => {
                        overflow.push(Overflow::failing_log_events(
                            index,
                            record_id.to_string(),
                            original,
                            err.code(),
                        ))
                    }
                    _ => {
                        failed_later.push(index);
                        if let Some(d) = record.data.as_deref() {
                            originals.insert(index, echo(d, &err));
                        }
                    }
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
    // `response.json_len()`, with the ids' lengths already known.
    stats.bytes_out = (RESPONSE_ENVELOPE_LEN
        + response.records.len().saturating_sub(1)
        + id_lens.iter().sum::<usize>()
        + response
            .records
            .iter()
            .map(ResponseRecord::json_len_but_id)
            .sum::<usize>()) as u64;
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
        warnings,
        budget,
    }
}

/// Decoded view of a response record, for the CLI's `--decode` and tests.
pub fn decode_response_data(record: &ResponseRecord) -> Result<Vec<u8>, RecordError> {
    record.data.decoded().map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod overflow_tests {
    use super::*;
    use crate::config::Config;
    use crate::decode::base64_encode;
    use crate::firehose::batch::process_event;
    use crate::firehose::split::{gzip, MARKER_FIELD};
    use serde_json::json;

    fn envelope(n: usize, marked: bool) -> String {
        let events: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                let msg = json!({
                    "eventTimestamp": "1732400000000",
                    "eventSource": "USER_AUTH_EVENTS",
                    "logSourceId": {"userPoolId": "us-east-1_Ab12Cd34E"},
                    "message": {"eventType": "SignIn", "eventResponse": "Pass",
                        "eventId": format!("00000000-0000-4000-8000-{i:012}")},
                });
                json!({"id": format!("e{i}"), "timestamp": 1_732_400_000_000_i64, "message": msg.to_string()})
            })
            .collect();
        let mut env = json!({"messageType": "DATA_MESSAGE", "owner": "123456789012",
            "logGroup": "g", "logStream": "s", "logEvents": events});
        if marked {
            env[MARKER_FIELD] = json!(true);
        }
        base64_encode(&gzip(&serde_json::to_vec(&env).unwrap()))
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

    #[test]
    fn re_ingested_pieces_are_served_before_earlier_records() {
        let ev = event(&[envelope(20, false), envelope(20, true)]);
        let full = process_event(&ev, &with_budget(usize::MAX)).unwrap();
        let one = full.response.records[1].json_len();
        // Room for the marked record's answer, not for both.
        let budget = full.response.json_len() - one / 2;
        let p = process_event(&ev, &with_budget(budget)).unwrap();
        assert_eq!(p.response.records[0].result, RecordResult::ProcessingFailed);
        assert_eq!(p.response.records[1].result, RecordResult::Ok);
        assert_eq!(p.overflow.len(), 1);
        assert_eq!(p.overflow[0].index, 0);
        assert!(p.to_json().len() <= budget);
    }

    #[test]
    fn without_a_marker_records_are_served_in_input_order() {
        let ev = event(&[envelope(20, false), envelope(20, false)]);
        let full = process_event(&ev, &with_budget(usize::MAX)).unwrap();
        let budget = full.response.json_len() - full.response.records[1].json_len() / 2;
        let p = process_event(&ev, &with_budget(budget)).unwrap();
        assert_eq!(p.response.records[0].result, RecordResult::Ok);
        assert_eq!(p.overflow[0].index, 1);
        assert!(!p.overflow[0].exceeds_budget_alone);
    }

    #[test]
    fn a_marker_that_is_not_true_gives_no_priority() {
        let mut marked_false = String::from_utf8(
            crate::decode::gunzip_capped(
                &crate::decode::base64_decode(&envelope(20, true)).unwrap(),
                1 << 24,
            )
            .unwrap(),
        )
        .unwrap();
        marked_false = marked_false.replace(
            &format!("\"{MARKER_FIELD}\":true"),
            &format!("\"{MARKER_FIELD}\":\"yes\""),
        );
        let ev = event(&[
            envelope(20, false),
            base64_encode(&gzip(marked_false.as_bytes())),
        ]);
        let full = process_event(&ev, &with_budget(usize::MAX)).unwrap();
        let budget = full.response.json_len() - full.response.records[1].json_len() / 2;
        let p = process_event(&ev, &with_budget(budget)).unwrap();
        assert_eq!(p.response.records[0].result, RecordResult::Ok);
        assert_eq!(p.overflow[0].index, 1);
    }

    #[test]
    fn settling_turns_overflow_into_dropped_or_failed_with_the_original_data() {
        let datas = [
            envelope(30, false),
            envelope(30, false),
            envelope(30, false),
        ];
        let ev = event(&datas);
        let full = process_event(&ev, &with_budget(usize::MAX)).unwrap();
        let budget = full.response.records[0].json_len() + 400;
        let mut p = process_event(&ev, &with_budget(budget)).unwrap();
        assert_eq!(
            p.overflow.iter().map(|o| o.index).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(p.stats.records_failed, 2);
        p.settle([
            Settlement::Reingested,
            Settlement::Failed("reingest_failed"),
        ]);
        assert!(p.overflow.is_empty());
        p.settle([Settlement::Reingested]); // nothing left to settle: no effect
        assert_eq!(p.response.records[1].result, RecordResult::Dropped);
        assert_eq!(p.response.records[2].result, RecordResult::ProcessingFailed);
        assert_eq!(p.stats.records_reingested, 1);
        assert_eq!(p.stats.records_failed, 1);
        assert_eq!(
            p.stats.failures.iter().collect::<Vec<_>>(),
            [(&"reingest_failed", &1)]
        );
        assert!(p.to_json().len() <= budget);
        // The original comes back only when it fits in what is left.
        if !p.response.records[2].data.is_empty() {
            assert_eq!(p.response.records[2].data.to_base64(), datas[2]);
        }
        assert_eq!(p.stats.bytes_out, p.to_json().len() as u64);
    }

    /// Settling overflow records one at a time, measuring the whole
    /// response each time: what `settle` did before it kept the size up to
    /// date (issue #17), kept as its reference.
    fn settle_one_by_one(p: &mut Processed, settlements: &[Settlement]) {
        for (o, how) in std::mem::take(&mut p.overflow).into_iter().zip(settlements) {
            let current = p.response.json_len();
            let rec = &mut p.response.records[o.index];
            match how {
                Settlement::Reingested | Settlement::Dropped => {
                    rec.result = RecordResult::Dropped;
                    rec.data = Data::default();
                }
                Settlement::Failed(_) => {
                    let original = Data::Raw(o.original);
                    if current + original.base64_len() <= p.budget {
                        rec.data = original;
                    }
                }
            }
        }
    }

    /// Many small overflow records, some of whose originals fit back.
    fn many_overflowing(n: usize) -> Processed<'static> {
        let mut datas = vec![envelope(200, false)];
        datas.extend(
            (0..n).map(|_| base64_encode(b"{\"eventSource\":\"USER_AUTH_EVENTS\",\"message\":{}}")),
        );
        let ev = event(&datas);
        let full = process_event(&ev, &with_budget(usize::MAX)).unwrap();
        let budget = full.response.records[0].json_len()
            + (n + 1)
                * (full.response.records[1].json_len()
                    - full.response.records[1].data.base64_len())
            + n * 20;
        process_event(&ev, &with_budget(budget))
            .unwrap()
            .into_owned()
    }

    #[test]
    fn an_invocation_names_at_most_its_allowance_of_records_at_warn_level() {
        let datas: Vec<String> = (0..100).map(|_| "not base64!".to_string()).collect();
        let ev = event(&datas);
        let p = process_event(&ev, &with_budget(usize::MAX)).unwrap();
        assert_eq!(p.stats.records_failed, 100);
        assert_eq!(p.stats.failures.get("base64"), Some(&100));
        assert_eq!(p.warnings.demoted(), 100 - RECORD_WARNINGS_PER_INVOCATION);
    }

    #[test]
    fn settling_many_records_answers_as_settling_them_one_by_one() {
        let mut p = many_overflowing(300);
        assert!(p.overflow.len() > 250, "{} overflow", p.overflow.len());
        let settlements: Vec<Settlement> = (0..p.overflow.len())
            .map(|i| match i % 5 {
                0 | 3 => Settlement::Reingested,
                4 => Settlement::Dropped,
                _ => Settlement::Failed("reingest_failed"),
            })
            .collect();
        let mut reference = p.clone();
        settle_one_by_one(&mut reference, &settlements);
        let (failed, dropped) = (p.stats.records_failed, p.stats.records_dropped);
        p.settle(settlements.iter().copied());
        assert_eq!(p.response, reference.response);
        let count = |s: Settlement| settlements.iter().filter(|&&x| x == s).count() as u64;
        let answered_dropped = count(Settlement::Reingested) + count(Settlement::Dropped);
        assert_eq!(p.stats.records_reingested, count(Settlement::Reingested));
        assert_eq!(p.stats.records_dropped, dropped + answered_dropped);
        assert_eq!(p.stats.records_failed, failed - answered_dropped);
        assert!(p
            .response
            .records
            .iter()
            .any(|r| r.result == RecordResult::ProcessingFailed && !r.data.is_empty()));
        assert!(p
            .response
            .records
            .iter()
            .any(|r| r.result == RecordResult::ProcessingFailed && r.data.is_empty()));
        assert_eq!(p.stats.bytes_out, p.to_json().len() as u64);
        assert!(p.to_json().len() <= p.budget);
    }

    #[test]
    fn settling_measures_the_whole_response_once_however_many_records_overflow() {
        for n in [10, 1_000] {
            let mut p = many_overflowing(n);
            let overflow = p.overflow.len();
            let before = crate::firehose::RESPONSE_MEASURES.get();
            p.settle(std::iter::repeat_n(
                Settlement::Failed("reingest_failed"),
                overflow,
            ));
            assert_eq!(
                crate::firehose::RESPONSE_MEASURES.get() - before,
                1,
                "{n} records"
            );
        }
    }
}
