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
use std::collections::BTreeMap;

use crate::cognito::{parse_documents, Object};
use crate::config::Config;
use crate::decode::{base64_len, decode_record, utf8};
use crate::error::{EventError, RecordError};
use crate::filter;
use crate::firehose::{
    Data, FirehoseEvent, FirehoseRecord, FirehoseResponse, RecordResult, ResponseRecord,
};
use crate::normalize::{normalize, normalize_text, Context, Normalized, Transport};
use crate::output;

/// Per-invocation counts. Never holds payload data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub records_in: u64,
    pub records_ok: u64,
    pub records_dropped: u64,
    pub records_failed: u64,
    /// Records that did not fit in the response budget.
    pub records_overflow: u64,
    /// Overflow records the caller put back into the source.
    pub records_reingested: u64,
    /// Base64 text of all input records.
    pub bytes_in: u64,
    /// The response's JSON size.
    pub bytes_out: u64,
    /// Cognito events decoded (before filtering).
    pub events_in: u64,
    /// Events written to the output.
    pub events_out: u64,
    pub events_filtered: u64,
    pub by_outcome: BTreeMap<&'static str, u64>,
    pub by_risk_decision: BTreeMap<String, u64>,
    pub by_risk_level: BTreeMap<String, u64>,
    pub compromised_credentials: u64,
    pub account_takeovers: u64,
    /// Failed records by [`RecordError::code`].
    pub failures: BTreeMap<&'static str, u64>,
    /// Bytes of gzip records (after base64) and what they inflated to: the
    /// invocation's decompression allowance is counted from these.
    pub bytes_gzip_in: u64,
    pub bytes_inflated: u64,
}

/// The invocation may inflate `MAX_DECOMPRESSED_BYTES` plus this many times
/// the gzip bytes it has read so far (the record being read included), in
/// total. One record may still expand to the cap; a batch of bombs costs
/// what a batch of ordinary envelopes does instead of the cap once per
/// record. CloudWatch Logs envelopes of Cognito events expand 4 to 9 times,
/// so ordinary batches never come near it; a record past it is
/// `ProcessingFailed` (`inflate_allowance`) with its original data.
pub const INFLATE_RATIO: u64 = 64;

impl Stats {
    /// What the next gzip record of `compressed` bytes may inflate to.
    fn inflate_allowance(&self, cap: usize, compressed: usize) -> usize {
        let total = (cap as u64)
            .saturating_add(
                INFLATE_RATIO.saturating_mul(self.bytes_gzip_in.saturating_add(compressed as u64)),
            )
            .saturating_sub(self.bytes_inflated);
        usize::try_from(total).unwrap_or(usize::MAX).min(cap)
    }
}

impl Stats {
    fn count_event(&mut self, n: &Normalized<'_>) {
        self.events_in += 1;
        if n.log_kind() != crate::cognito::LogKind::UserActivity {
            return;
        }
        *self.by_outcome.entry(n.event.outcome.as_str()).or_default() += 1;
        if let Some(risk) = &n.risk {
            if let Some(d) = &risk.decision {
                count_label(
                    &mut self.by_risk_decision,
                    d,
                    &["no_risk", "account_takeover", "block"],
                );
                if d == "account_takeover" {
                    self.account_takeovers += 1;
                }
            }
            if let Some(l) = &risk.level {
                count_label(
                    &mut self.by_risk_level,
                    l,
                    &["none", "low", "medium", "high"],
                );
            }
            if risk.compromised_credentials == Some(true) {
                self.compromised_credentials += 1;
            }
        }
    }
}

/// Unrecognized risk values are counted under `other`, so a hostile value
/// can neither flood metrics with names nor smuggle data into them.
fn bounded_label(s: &str, known: &[&str]) -> String {
    if known.contains(&s) {
        s.to_string()
    } else {
        "other".to_string()
    }
}

/// Counts one event under its bounded label, allocating the label only the
/// first time it is seen (this runs for every event).
fn count_label(map: &mut BTreeMap<String, u64>, s: &str, known: &[&str]) {
    // The map holds only known labels and "other", so a value found in it
    // is counted under itself (the value "other" included), without first
    // comparing it with every known label.
    if let Some(count) = map.get_mut(s) {
        *count += 1;
        return;
    }
    let label = if known.contains(&s) { s } else { "other" };
    match map.get_mut(label) {
        Some(count) => *count += 1,
        None => {
            map.insert(bounded_label(label, known), 1);
        }
    }
}

/// How one record turned out, before the response budget is applied.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordOutcome {
    /// Transformed: `output` holds one line per kept event.
    Ok {
        output: Vec<u8>,
        partition_keys: Option<BTreeMap<&'static str, String>>,
        events: usize,
        /// A piece this function re-ingested earlier (its envelope carries
        /// `split::MARKER_FIELD`): served first by the response budget.
        reingested: bool,
    },
    /// Nothing to deliver: a control message, an empty envelope, or every
    /// event filtered out.
    Dropped {
        reason: &'static str,
    },
    Failed(RecordError),
}

/// A record that did not fit in the response.
#[derive(Debug, Clone, PartialEq)]
pub struct Overflow {
    /// Its position in the event and the response.
    pub index: usize,
    pub record_id: String,
    /// The record's original bytes (base64-decoded, still compressed if it
    /// was): what to put back into the source.
    pub original: Vec<u8>,
    /// The size its answer would have had in the response.
    pub response_len: usize,
    /// Whether that answer alone exceeds the budget, so that re-ingesting it
    /// unchanged would overflow again (it must be split, or fail).
    pub exceeds_budget_alone: bool,
}

/// What became of an overflow record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// Its data is back in the source stream: answer `Dropped`.
    Reingested,
    /// Re-ingestion was off or failed: answer `ProcessingFailed`.
    Failed,
}

/// The assembled invocation.
#[derive(Debug, Clone)]
pub struct Processed {
    pub response: FirehoseResponse,
    /// Records answered `ProcessingFailed` for lack of room, to settle.
    pub overflow: Vec<Overflow>,
    pub stats: Stats,
    pub delivery_stream_arn: Option<String>,
    pub source_kinesis_stream_arn: Option<String>,
    pub region: Option<String>,
    pub invocation_id: Option<String>,
    /// Per-record warnings written so far, shared with whoever settles.
    pub warnings: RecordWarnings,
    budget: usize,
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

impl Processed {
    /// Records the fate of every overflow record, in one pass: the `n`th
    /// settlement is the `n`th overflow record's (a missing one counts as
    /// `Failed`). Re-ingested records become `Dropped`; failed ones stay
    /// `ProcessingFailed` and get their original data back, in overflow
    /// order, while the budget allows (Firehose writes its own copy of the
    /// source record, `rawData`, to the error prefix either way).
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
            let how = settlements.next().unwrap_or(Settlement::Failed);
            let Some(rec) = self.response.records.get_mut(o.index) else {
                continue;
            };
            let before = rec.json_len_but_id();
            match how {
                Settlement::Reingested => {
                    rec.result = RecordResult::Dropped;
                    rec.data = Data::default();
                    self.stats.records_reingested += 1;
                    self.stats.records_failed = self.stats.records_failed.saturating_sub(1);
                    self.stats.records_dropped += 1;
                }
                Settlement::Failed => {
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

/// The CloudWatch Logs subscription envelope.
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html>
#[derive(Debug, Default, PartialEq)]
pub struct Envelope<'a> {
    pub message_type: Option<Cow<'a, str>>,
    pub owner: Option<Cow<'a, str>>,
    pub log_group: Option<Cow<'a, str>>,
    pub log_stream: Option<Cow<'a, str>>,
    pub subscription_filters: Option<Vec<Cow<'a, str>>>,
    pub log_events: Vec<LogEvent<'a>>,
    /// `split::MARKER_FIELD` is `true`: an envelope this function
    /// re-ingested. Any JSON value is accepted there; only `true` counts.
    pub reingested: bool,
}

#[derive(Debug, PartialEq)]
pub struct LogEvent<'a> {
    pub id: Option<Cow<'a, str>>,
    pub timestamp: Option<i64>,
    /// The `message` string as it stands in the envelope, escapes and all
    /// (validated): most messages are read straight from it
    /// ([`crate::json::parse::escaped_document`]).
    pub raw_message: &'a str,
}

impl<'a> LogEvent<'a> {
    /// The message's text.
    pub fn message(&self) -> Result<Cow<'a, str>, crate::error::JsonFault> {
        crate::json::parse::unescape(self.raw_message)
    }
}

/// Whether `text` is a CloudWatch Logs envelope, and it if so.
/// `Ok(None)`: not an envelope (treat as Cognito records).
pub fn parse_envelope(text: &str, was_gzip: bool) -> Result<Option<Envelope<'_>>, RecordError> {
    // Cheap pre-check: an envelope always names its logEvents (or, for a
    // control message, its messageType).
    if !was_gzip && !text.contains("\"messageType\"") {
        return Ok(None);
    }
    match envelope::parse(text) {
        Ok(env) if env.message_type.is_some() => Ok(Some(env)),
        Ok(_) => Ok(None),
        Err(kind)
            if was_gzip && text.trim_start().starts_with('{') && text.contains("\"logEvents\"") =>
        {
            Err(RecordError::Envelope {
                why: match kind {
                    envelope::Failure::Shape => "unexpected field types",
                    envelope::Failure::Json => "not valid JSON",
                },
            })
        }
        Err(_) => Ok(None),
    }
}

/// The envelope read with our parser ([`crate::parse`]), with the field
/// types serde's derive would demand: strings or null for the names, an
/// array of strings or null for `subscriptionFilters`, an array of log
/// events each with a string `message`, an integer or null `timestamp` and
/// a string or null `id`; a field named twice is a shape error. Messages
/// are most of an envelope's bytes, and this reads them in one pass.
mod envelope {
    use std::borrow::Cow;

    use super::{Envelope, LogEvent};
    use crate::cognito::Field;
    use crate::json::parse::{Parser, Stop};

    /// Why the text is not an envelope.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Failure {
        /// Valid JSON of the wrong shape (serde's data errors).
        Shape,
        /// Not JSON (syntax or end of input).
        Json,
    }

    pub fn parse(text: &str) -> Result<Envelope<'_>, Failure> {
        let mut p = Parser::new(text);
        let mut shape = false;
        let mut env = Envelope::default();
        let walked = walk(&mut p, &mut shape, &mut env).and_then(|()| p.end());
        match walked {
            Ok(()) => Ok(env),
            Err(Stop) if shape => Err(Failure::Shape),
            Err(Stop) => Err(Failure::Json),
        }
    }

    /// Marks the value at the cursor as the wrong type (when it is JSON).
    fn wrong(p: &mut Parser<'_>, shape: &mut bool) -> Stop {
        *shape |= p.is_wrong_shape();
        Stop
    }

    /// A string or null, as `Option<Cow<str>>`.
    fn opt_str<'a>(p: &mut Parser<'a>, shape: &mut bool) -> Result<Option<Cow<'a, str>>, Stop> {
        match p.peek() {
            Some(b'"') => p.lenient_str(),
            Some(b'n') => p.value().map(|_| None),
            _ => Err(wrong(p, shape)),
        }
    }

    /// Each field at most once, as serde's derive demands (judged before
    /// the colon, as it does), then the colon.
    fn once(p: &mut Parser<'_>, seen: &mut u8, bit: u8, shape: &mut bool) -> Result<(), Stop> {
        if *seen & bit != 0 {
            *shape = true;
            return Err(Stop);
        }
        *seen |= bit;
        p.colon()
    }

    fn walk<'a>(p: &mut Parser<'a>, shape: &mut bool, env: &mut Envelope<'a>) -> Result<(), Stop> {
        // Only an object is an envelope. serde's derive also read one from
        // a positional array (`["DATA_MESSAGE", ...]`); CloudWatch Logs
        // never writes one, and such text is read as Cognito records.
        if p.peek() != Some(b'{') {
            return Err(wrong(p, shape));
        }
        let mut seen = 0u8;
        p.members_keyed(|p, key| {
            match key.as_ref() {
                "messageType" => {
                    once(p, &mut seen, 1, shape)?;
                    env.message_type = opt_str(p, shape)?;
                }
                "owner" => {
                    once(p, &mut seen, 2, shape)?;
                    env.owner = opt_str(p, shape)?;
                }
                "logGroup" => {
                    once(p, &mut seen, 4, shape)?;
                    env.log_group = opt_str(p, shape)?;
                }
                "logStream" => {
                    once(p, &mut seen, 8, shape)?;
                    env.log_stream = opt_str(p, shape)?;
                }
                "subscriptionFilters" => {
                    once(p, &mut seen, 16, shape)?;
                    env.subscription_filters = match p.peek() {
                        Some(b'n') => p.value().map(|_| None)?,
                        Some(b'[') => {
                            let mut names = Vec::new();
                            p.elements(|p| {
                                if p.peek() != Some(b'"') {
                                    return Err(wrong(p, shape));
                                }
                                names.extend(p.lenient_str()?);
                                Ok(())
                            })?;
                            Some(names)
                        }
                        _ => return Err(wrong(p, shape)),
                    };
                }
                "logEvents" => {
                    once(p, &mut seen, 32, shape)?;
                    if p.peek() != Some(b'[') {
                        return Err(wrong(p, shape));
                    }
                    p.elements(|p| {
                        let event = log_event(p, shape)?;
                        env.log_events.push(event);
                        Ok(())
                    })?;
                }
                "cognitoActivityReingested" => {
                    once(p, &mut seen, 64, shape)?;
                    // Any value, read as serde_json's `RawValue` reads it
                    // (skipped, not built); only the literal `true` counts.
                    env.reingested = match p.peek() {
                        Some(b't') => p.value()? == Field::Bool(true),
                        _ => p.skip().map(|()| false)?,
                    };
                }
                _ => {
                    p.colon()?;
                    p.skip()?;
                }
            }
            Ok(())
        })
    }

    fn log_event<'a>(p: &mut Parser<'a>, shape: &mut bool) -> Result<LogEvent<'a>, Stop> {
        match p.peek() {
            Some(b'{') => {}
            // serde's derive would read a struct from a positional array
            // (`[id, timestamp, message]`); CloudWatch Logs never writes
            // one, and we take it as the wrong shape. Its elements are
            // still judged in serde's order, so that the first fault is the
            // one serde would have met: a wrong type (the wrong shape), a
            // fourth element (serde_json's trailing characters: not JSON),
            // or broken JSON.
            Some(b'[') => {
                let mut at = 0;
                p.elements(|p| {
                    match at {
                        0 => drop(opt_str(p, shape)?),
                        1 => drop(timestamp(p, shape)?),
                        2 if p.peek() == Some(b'"') => drop(p.raw_string()?),
                        2 => return Err(wrong(p, shape)),
                        _ => return Err(Stop),
                    }
                    at += 1;
                    Ok(())
                })?;
                *shape = true;
                return Err(Stop);
            }
            _ => return Err(wrong(p, shape)),
        }
        let (mut id, mut time, mut message) = (None, None, None);
        let mut seen = 0u8;
        p.members_keyed(|p, key| {
            match key.as_ref() {
                "id" => {
                    once(p, &mut seen, 1, shape)?;
                    id = opt_str(p, shape)?;
                }
                "timestamp" => {
                    once(p, &mut seen, 2, shape)?;
                    time = timestamp(p, shape)?;
                }
                "message" => {
                    once(p, &mut seen, 4, shape)?;
                    if p.peek() != Some(b'"') {
                        return Err(wrong(p, shape));
                    }
                    message = Some(p.raw_string()?);
                }
                _ => {
                    p.colon()?;
                    p.skip()?;
                }
            }
            Ok(())
        })?;
        match message {
            Some(raw_message) => Ok(LogEvent {
                id,
                timestamp: time,
                raw_message,
            }),
            None => {
                *shape = true;
                Err(Stop)
            }
        }
    }

    /// A timestamp, as `Option<i64>`: null, or an integer that fits.
    fn timestamp(p: &mut Parser<'_>, shape: &mut bool) -> Result<Option<i64>, Stop> {
        match p.peek() {
            Some(b'n') => p.value().map(|_| None),
            Some(b'-' | b'0'..=b'9') => match p.value()? {
                Field::Num(n) => match n.as_i64() {
                    Some(t) => Ok(Some(t)),
                    None => {
                        *shape = true;
                        Err(Stop)
                    }
                },
                _ => Err(Stop),
            },
            _ => Err(wrong(p, shape)),
        }
    }
}

/// Shared, read-only context for every record of one event.
struct EventContext<'e> {
    cfg: &'e Config,
    account_id: Option<&'e str>,
}

/// Transforms one record. Never panics; every error is a `Failed` outcome.
pub fn transform_record(
    record: &FirehoseRecord<'_>,
    cfg: &Config,
    stats: &mut Stats,
) -> RecordOutcome {
    let ctx = EventContext {
        cfg,
        account_id: None,
    };
    transform(record, &ctx, stats)
}

fn transform(
    record: &FirehoseRecord<'_>,
    ectx: &EventContext<'_>,
    stats: &mut Stats,
) -> RecordOutcome {
    let cfg = ectx.cfg;
    let Some(data) = record.data.as_deref() else {
        return RecordOutcome::Failed(RecordError::DataMissing);
    };
    let cap = cfg.max_decompressed_bytes;
    // (gzip length, what it may inflate to), when the record is gzip.
    let mut inflating = None;
    let decoded = decode_record(data, |compressed| {
        let limit = stats.inflate_allowance(cap, compressed);
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
    let text = match utf8(&decoded.bytes) {
        Ok(t) => t,
        Err(e) => return RecordOutcome::Failed(e),
    };
    if text.trim().is_empty() {
        return RecordOutcome::Failed(RecordError::Empty);
    }
    let mut sink = Sink {
        cfg,
        // Output is about 1.4 times the input in the normalized format and
        // 1.65 in OCSF and ECS: room for it from the start.
        output: Vec::with_capacity(match cfg.output_format {
            crate::config::OutputFormat::Normalized | crate::config::OutputFormat::Splunk => {
                text.len() + text.len() / 2
            }
            _ => text.len() * 2,
        }),
        keys: None,
        events: 0,
    };

    let direct = || Context {
        transport: Some(Transport::Direct),
        account_id: ectx.account_id.map(Cow::Borrowed),
        arrival_time_ms: record.approximate_arrival_timestamp,
        ..Context::default()
    };
    // The usual record, one Cognito object as Cognito writes it, is
    // normalized as it is parsed; anything else (an envelope among them)
    // takes the general way below.
    if !decoded.was_gzip {
        if let Some(n) = normalize_text(text, &direct(), cfg) {
            sink.push_normalized(&n, stats);
            return sink.finish();
        }
    }

    // Plain text is parsed as Cognito records first: only one object with a
    // top-level `messageType` can be an envelope, and asking that of the
    // parsed tree is cheaper than searching every record's text for it.
    let plain_docs = (!decoded.was_gzip).then(|| parse_documents(text));
    let envelope = match &plain_docs {
        Some(Ok(docs)) if !(docs.len() == 1 && docs[0].get("messageType").is_some()) => Ok(None),
        _ => parse_envelope(text, decoded.was_gzip),
    };
    match envelope {
        Err(e) => RecordOutcome::Failed(e),
        Ok(Some(env)) => {
            match env.message_type.as_deref() {
                Some("CONTROL_MESSAGE") => {
                    return RecordOutcome::Dropped {
                        reason: "control_message",
                    }
                }
                Some("DATA_MESSAGE") => {}
                _ => {
                    return RecordOutcome::Failed(RecordError::Envelope {
                        why: "unknown messageType",
                    })
                }
            }
            if env.log_events.is_empty() {
                return RecordOutcome::Dropped {
                    reason: "no_log_events",
                };
            }
            let account = env
                .owner
                .clone()
                .or_else(|| ectx.account_id.map(Cow::Borrowed));
            for (index, ev) in env.log_events.iter().enumerate() {
                let ctx = Context {
                    transport: Some(Transport::CloudwatchLogs),
                    account_id: account.clone(),
                    log_group: env.log_group.clone(),
                    log_stream: env.log_stream.clone(),
                    log_event_id: ev.id.clone(),
                    log_event_time_ms: ev.timestamp,
                    arrival_time_ms: record.approximate_arrival_timestamp,
                };
                // Read straight from the escaped text when the message has
                // the common form; unescaped and parsed otherwise.
                let message;
                let docs = match crate::json::parse::escaped_document(ev.raw_message) {
                    Some(doc) => Ok(vec![doc]),
                    None => match ev.message() {
                        Ok(text) => {
                            message = text;
                            parse_documents(&message)
                        }
                        Err(fault) => Err(RecordError::Json(fault)),
                    },
                };
                let docs = match docs {
                    Ok(d) => d,
                    Err(e) => {
                        return RecordOutcome::Failed(RecordError::LogEvent {
                            index,
                            inner: Box::new(e),
                        })
                    }
                };
                for doc in &docs {
                    if let Err(e) = sink.push(doc, &ctx, stats) {
                        return RecordOutcome::Failed(RecordError::LogEvent {
                            index,
                            inner: Box::new(e),
                        });
                    }
                }
            }
            let mut outcome = sink.finish();
            if let RecordOutcome::Ok { reingested, .. } = &mut outcome {
                *reingested = env.reingested;
            }
            outcome
        }
        Ok(None) => {
            let docs = match plain_docs.unwrap_or_else(|| parse_documents(text)) {
                Ok(d) => d,
                Err(e) => return RecordOutcome::Failed(e),
            };
            let ctx = direct();
            for (index, doc) in docs.iter().enumerate() {
                if let Err(e) = sink.push(doc, &ctx, stats) {
                    return RecordOutcome::Failed(match e {
                        RecordError::NotCognito { why, .. } => {
                            RecordError::NotCognito { index, why }
                        }
                        other => other,
                    });
                }
            }
            sink.finish()
        }
    }
}

/// Collects the output lines of one record.
struct Sink<'c> {
    cfg: &'c Config,
    output: Vec<u8>,
    keys: Option<BTreeMap<&'static str, String>>,
    events: usize,
}

impl Sink<'_> {
    fn push<'a>(
        &mut self,
        doc: &Object<'a>,
        ctx: &Context<'a>,
        stats: &mut Stats,
    ) -> Result<(), RecordError> {
        let n = normalize(doc, ctx, self.cfg)?;
        self.push_normalized(&n, stats);
        Ok(())
    }

    /// Counts, filters and writes one normalized event.
    fn push_normalized(&mut self, n: &Normalized<'_>, stats: &mut Stats) {
        stats.count_event(n);
        if filter::check(n, self.cfg).is_err() {
            stats.events_filtered += 1;
            return;
        }
        if self.events == 0 {
            // An envelope with many events takes the keys of its first kept
            // event (docs/configuration.md).
            self.keys = filter::partition_keys(n, self.cfg);
        }
        output::write_line(n, self.cfg, &mut self.output);
        self.events += 1;
    }

    fn finish(self) -> RecordOutcome {
        if self.events == 0 {
            RecordOutcome::Dropped {
                reason: "all_events_filtered",
            }
        } else {
            RecordOutcome::Ok {
                output: self.output,
                partition_keys: self.keys,
                events: self.events,
                reingested: false,
            }
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
fn echo(data: &str, err: &RecordError) -> Data {
    match err {
        RecordError::Base64 => Data::Raw(data.as_bytes().to_vec()),
        _ => Data::Base64(data.trim_ascii().to_string()),
    }
}

/// The smallest answer a record can have: `ProcessingFailed` with no data.
#[cfg(test)]
fn min_len(record_id: &str) -> usize {
    // What `ResponseRecord::json_len` gives for that answer, without
    // building one.
    crate::json::escape::str_len(record_id) + MIN_LEN_BUT_ID
}

/// [`min_len`] without the record id's string.
const MIN_LEN_BUT_ID: usize = b"{\"recordId\":,\"result\":\"\",\"data\":\"\"}".len()
    + RecordResult::ProcessingFailed.as_str().len();

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
    let budget = cfg.response_budget_bytes;
    let mut room = Room::new(event, budget);
    let mut kept: Vec<Kept> = Vec::with_capacity(event.records.len());
    for record in &event.records {
        stats.bytes_in += record.data.as_ref().map_or(0, |d| d.len() as u64);
        let outcome = transform(record, &ectx, &mut stats);
        let entry = room.admit(record, outcome, &mut kept);
        kept.push(entry);
    }
    room.fill_in(event, &ectx, &mut kept);
    let free = room.free();
    assemble(event, kept, budget, free, &room.id_lens, stats)
}

/// What is kept of one record's outcome while the others are transformed.
enum Kept {
    Ok(OkAnswer),
    Dropped { reason: &'static str },
    Failed(RecordError),
}

/// An `Ok` record: its answer's size always, its data only while the answer
/// is in the response.
struct OkAnswer {
    /// The `Ok` answer; `data` is empty unless `held`.
    answer: ResponseRecord,
    /// Length of the base64 data.
    data_len: usize,
    /// What the answer costs beyond the record's reserved minimal answer.
    extra: usize,
    events: usize,
    /// Re-ingested earlier (`split::MARKER_FIELD`): served first.
    marked: bool,
    /// In the response, as things stand.
    fits: bool,
    /// `answer.data` holds the data (else it must be transformed again if
    /// it `fits` at the end).
    held: bool,
}

/// The response budget, as records are admitted.
struct Room {
    /// Each record's id, as a JSON string, in bytes: read once.
    id_lens: Vec<usize>,
    /// What is left after every record's minimal answer is reserved.
    free: usize,
    /// Taken by marked answers (final: they are admitted in input order).
    marked_used: usize,
    /// Taken by unmarked answers that fit so far (tentative).
    unmarked_used: usize,
}

impl Room {
    fn new(event: &FirehoseEvent<'_>, budget: usize) -> Self {
        let n = event.records.len();
        let id_lens: Vec<usize> = event
            .records
            .iter()
            .map(|r| crate::json::escape::str_len(&r.record_id))
            .collect();
        // Every record is first guaranteed its minimal answer.
        let reserved: usize = crate::firehose::RESPONSE_ENVELOPE_LEN
            + n.saturating_sub(1)
            + id_lens
                .iter()
                .map(|len| len + MIN_LEN_BUT_ID)
                .sum::<usize>();
        Room {
            id_lens,
            free: budget.saturating_sub(reserved),
            marked_used: 0,
            unmarked_used: 0,
        }
    }

    /// What is left for answers beyond the minimal ones.
    fn free(&self) -> usize {
        self.free
            .saturating_sub(self.marked_used)
            .saturating_sub(self.unmarked_used)
    }

    /// Decides whether `outcome` fits, keeping its output as its answer's
    /// data if so and dropping it otherwise. `kept` holds the earlier
    /// records, whose unmarked answers may have to make way.
    fn admit(
        &mut self,
        record: &FirehoseRecord<'_>,
        outcome: RecordOutcome,
        kept: &mut [Kept],
    ) -> Kept {
        let (output, partition_keys, events, marked) = match outcome {
            RecordOutcome::Ok {
                output,
                partition_keys,
                events,
                reingested,
            } => (output, partition_keys, events, reingested),
            RecordOutcome::Dropped { reason } => return Kept::Dropped { reason },
            RecordOutcome::Failed(e) => return Kept::Failed(e),
        };
        let mut answer = ResponseRecord {
            record_id: record.record_id.to_string(),
            result: RecordResult::Ok,
            data: Data::default(),
            partition_keys,
        };
        let data_len = base64_len(output.len());
        // The id costs the same in both answers.
        // (Never below the minimal answer: saturating only says so.)
        let extra = (answer.json_len_but_id() + data_len).saturating_sub(MIN_LEN_BUT_ID);
        let fits = if marked {
            let fits = extra <= self.free.saturating_sub(self.marked_used);
            if fits {
                self.marked_used += extra;
                if self.unmarked_used > self.free.saturating_sub(self.marked_used) {
                    self.readmit_unmarked(kept);
                }
            }
            fits
        } else {
            let fits = extra <= self.free();
            if fits {
                self.unmarked_used += extra;
            }
            fits
        };
        if fits {
            // Held as bytes; encoded when the response is written.
            answer.data = Data::Raw(output);
        }
        Kept::Ok(OkAnswer {
            answer,
            data_len,
            extra,
            events,
            marked,
            fits,
            held: fits,
        })
    }

    /// Applies the input-order rule again to the unmarked answers seen so
    /// far, with what the marked ones leave, dropping the data of those
    /// that no longer fit.
    fn readmit_unmarked(&mut self, kept: &mut [Kept]) {
        let limit = self.free.saturating_sub(self.marked_used);
        let mut used = 0usize;
        for entry in kept.iter_mut() {
            let Kept::Ok(ok) = entry else { continue };
            if ok.marked {
                continue;
            }
            ok.fits = ok.extra <= limit - used;
            if ok.fits {
                used += ok.extra;
            } else if ok.held {
                ok.answer.data = Data::default();
                ok.held = false;
            }
        }
        self.unmarked_used = used;
    }

    /// Transforms again the records whose answers fit in the end but whose
    /// output was dropped when they did not seem to. Transforming is
    /// deterministic, so the output is the one measured before; should it
    /// ever differ in size, the record overflows instead (the budget still
    /// holds).
    fn fill_in(&mut self, event: &FirehoseEvent<'_>, ectx: &EventContext<'_>, kept: &mut [Kept]) {
        for (record, entry) in event.records.iter().zip(kept.iter_mut()) {
            let Kept::Ok(ok) = entry else { continue };
            if !ok.fits || ok.held {
                continue;
            }
            // Counted once already, on the first pass.
            let mut scratch = Stats::default();
            match transform(record, ectx, &mut scratch) {
                RecordOutcome::Ok { output, .. } if base64_len(output.len()) == ok.data_len => {
                    ok.answer.data = Data::Raw(output);
                    ok.held = true;
                }
                _ => {
                    tracing::error!(
                        record_id = %record.record_id,
                        reason = "transform_not_repeatable",
                        "record transformed differently the second time"
                    );
                    ok.fits = false;
                    if ok.marked {
                        self.marked_used -= ok.extra;
                    } else {
                        self.unmarked_used -= ok.extra;
                    }
                }
            }
        }
    }
}

/// Builds the response from the admitted records; `free` is what the `Ok`
/// answers left of the budget.
fn assemble(
    event: &FirehoseEvent<'_>,
    kept: Vec<Kept>,
    budget: usize,
    mut free: usize,
    id_lens: &[usize],
    mut stats: Stats,
) -> Processed {
    let n = event.records.len();
    let mut records = Vec::with_capacity(n);
    let mut overflow = Vec::new();
    let mut failed_later = Vec::new();
    let mut originals = BTreeMap::new();
    let mut warnings = RecordWarnings::default();

    for (index, (record, entry)) in event.records.iter().zip(kept).enumerate() {
        match entry {
            Kept::Ok(ok) if ok.fits => {
                stats.records_ok += 1;
                stats.events_out += ok.events as u64;
                records.push(ok.answer);
            }
            Kept::Ok(ok) => {
                // The size its answer would have had, data included.
                let id_len = id_lens.get(index).copied().unwrap_or_default();
                let response_len = id_len + MIN_LEN_BUT_ID + ok.extra;
                let record_id = ok.answer.record_id;
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
                    record_id: record_id.clone(),
                    original: record
                        .data
                        .as_deref()
                        .and_then(|d| crate::decode::base64_decode(d).ok())
                        .unwrap_or_default(),
                    response_len,
                    exceeds_budget_alone: response_len + crate::firehose::RESPONSE_ENVELOPE_LEN
                        > budget,
                });
                records.push(ResponseRecord {
                    record_id,
                    result: RecordResult::ProcessingFailed,
                    data: Data::default(),
                    partition_keys: None,
                });
            }
            Kept::Dropped { reason } => {
                let record_id = record.record_id.to_string();
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
                let record_id = record.record_id.to_string();
                if warnings.take() {
                    tracing::warn!(record_id = %record_id, reason = %err, code = err.code(), "record failed");
                } else {
                    tracing::debug!(record_id = %record_id, reason = %err, code = err.code(), "record failed");
                }
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
    // `response.json_len()`, with the ids' lengths already known.
    stats.bytes_out = (crate::firehose::RESPONSE_ENVELOPE_LEN
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
mod stats_tests {
    use super::*;

    #[test]
    fn risk_labels_are_counted_under_known_names_or_other() {
        let mut map = BTreeMap::new();
        let known = ["no_risk", "account_takeover", "block"];
        let long = "x".repeat(300);
        for value in [
            "block",
            "<script>",
            "block",
            "other",
            "no_risk",
            long.as_str(),
        ] {
            count_label(&mut map, value, &known);
        }
        let counts: Vec<(&str, u64)> = map.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(counts, [("block", 2), ("no_risk", 1), ("other", 3)]);
    }
}

#[cfg(test)]
mod overflow_tests {
    use super::*;
    use crate::decode::base64_encode;
    use crate::split::{gzip, MARKER_FIELD};
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
        p.settle([Settlement::Reingested, Settlement::Failed]);
        assert!(p.overflow.is_empty());
        p.settle([Settlement::Reingested]); // nothing left to settle: no effect
        assert_eq!(p.response.records[1].result, RecordResult::Dropped);
        assert_eq!(p.response.records[2].result, RecordResult::ProcessingFailed);
        assert_eq!(p.stats.records_reingested, 1);
        assert_eq!(p.stats.records_failed, 1);
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
                Settlement::Reingested => {
                    rec.result = RecordResult::Dropped;
                    rec.data = Data::default();
                }
                Settlement::Failed => {
                    let original = Data::Raw(o.original);
                    if current + original.base64_len() <= p.budget {
                        rec.data = original;
                    }
                }
            }
        }
    }

    /// Many small overflow records, some of whose originals fit back.
    fn many_overflowing(n: usize) -> Processed {
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
        process_event(&ev, &with_budget(budget)).unwrap()
    }

    #[test]
    fn an_invocation_names_at_most_its_allowance_of_records_at_warn_level() {
        let datas: Vec<String> = (0..100).map(|_| "not base64!".to_string()).collect();
        let p = process_event(&event(&datas), &with_budget(usize::MAX)).unwrap();
        assert_eq!(p.stats.records_failed, 100);
        assert_eq!(p.stats.failures.get("base64"), Some(&100));
        assert_eq!(p.warnings.demoted(), 100 - RECORD_WARNINGS_PER_INVOCATION);
    }

    #[test]
    fn settling_many_records_answers_as_settling_them_one_by_one() {
        let mut p = many_overflowing(300);
        assert!(p.overflow.len() > 250, "{} overflow", p.overflow.len());
        let settlements: Vec<Settlement> = (0..p.overflow.len())
            .map(|i| {
                if i % 3 == 0 {
                    Settlement::Reingested
                } else {
                    Settlement::Failed
                }
            })
            .collect();
        let mut reference = p.clone();
        settle_one_by_one(&mut reference, &settlements);
        p.settle(settlements.iter().copied());
        assert_eq!(p.response, reference.response);
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
            p.settle(std::iter::repeat_n(Settlement::Failed, overflow));
            assert_eq!(
                crate::firehose::RESPONSE_MEASURES.get() - before,
                1,
                "{n} records"
            );
        }
    }
}

#[cfg(test)]
mod budget_equivalence_tests {
    //! The budget applied while transforming gives exactly the answers of
    //! the straightforward way it replaced, kept here as the reference:
    //! transform every record, then serve the budget.
    use super::*;
    use crate::decode::base64_encode;
    use crate::split::{gzip, MARKER_FIELD};
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
                transform(r, &ectx, &mut stats)
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
        let reserved: usize = crate::firehose::RESPONSE_ENVELOPE_LEN
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
                            exceeds_budget_alone: response_len
                                + crate::firehose::RESPONSE_ENVELOPE_LEN
                                > budget,
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

/// The envelope parser against serde's derive of the same shape, which was
/// the parser before (and is the definition of the shape it accepts).
#[cfg(test)]
mod envelope_equivalence_tests {
    use std::borrow::Cow;

    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct SerdeEnvelope<'a> {
        #[serde(borrow, default)]
        message_type: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        owner: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        log_group: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        log_stream: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        subscription_filters: Option<Vec<Cow<'a, str>>>,
        #[serde(borrow, default)]
        log_events: Vec<SerdeLogEvent<'a>>,
        #[serde(borrow, default, rename = "cognitoActivityReingested")]
        reingested: Option<&'a serde_json::value::RawValue>,
    }

    #[derive(Debug, Deserialize)]
    struct SerdeLogEvent<'a> {
        #[serde(borrow, default)]
        id: Option<Cow<'a, str>>,
        #[serde(default)]
        timestamp: Option<i64>,
        #[serde(borrow)]
        message: Cow<'a, str>,
    }

    /// A log event's id, timestamp and message.
    type EventView<'a> = (Option<Cow<'a, str>>, Option<i64>, Cow<'a, str>);

    /// An envelope's contents, comparable across both parsers.
    #[derive(Debug, PartialEq)]
    struct View<'a> {
        names: [Option<Cow<'a, str>>; 4],
        filters: Option<Vec<Cow<'a, str>>>,
        events: Vec<EventView<'a>>,
        reingested: bool,
    }

    fn ours(text: &str, was_gzip: bool) -> Result<Option<View<'_>>, RecordError> {
        Ok(parse_envelope(text, was_gzip)?.map(|env| View {
            names: [env.message_type, env.owner, env.log_group, env.log_stream],
            filters: env.subscription_filters,
            events: env
                .log_events
                .iter()
                .map(|e| (e.id.clone(), e.timestamp, e.message().unwrap()))
                .collect(),
            reingested: env.reingested,
        }))
    }

    /// `parse_envelope` as it was, on serde's derive.
    fn reference(text: &str, was_gzip: bool) -> Result<Option<View<'_>>, RecordError> {
        if !was_gzip && !text.contains("\"messageType\"") {
            return Ok(None);
        }
        match serde_json::from_str::<SerdeEnvelope<'_>>(text) {
            Ok(env) if env.message_type.is_some() => Ok(Some(View {
                names: [env.message_type, env.owner, env.log_group, env.log_stream],
                filters: env.subscription_filters,
                events: env
                    .log_events
                    .into_iter()
                    .map(|e| (e.id, e.timestamp, e.message))
                    .collect(),
                reingested: env.reingested.is_some_and(|v| v.get() == "true"),
            })),
            Ok(_) => Ok(None),
            Err(e)
                if was_gzip
                    && text.trim_start().starts_with('{')
                    && text.contains("\"logEvents\"") =>
            {
                Err(RecordError::Envelope {
                    why: match e.classify() {
                        serde_json::error::Category::Data => "unexpected field types",
                        _ => "not valid JSON",
                    },
                })
            }
            Err(_) => Ok(None),
        }
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("{}".to_owned()),
            Just("[]".to_owned()),
            Just("[\"f\",\"g\"]".to_owned()),
            Just("[1]".to_owned()),
            Just("1e400".to_owned()),
            Just("1.5".to_owned()),
            Just("18446744073709551615".to_owned()),
            any::<i64>().prop_map(|n| n.to_string()),
            Just("\"DATA_MESSAGE\"".to_owned()),
            Just("\"CONTROL_MESSAGE\"".to_owned()),
            Just("\"{\\\"a\\\":1}\"".to_owned()),
            "[ -~]{0,8}".prop_map(|s| serde_json::json!(s).to_string()),
        ]
    }

    fn envelope_like() -> impl Strategy<Value = String> {
        let event_key = prop_oneof![Just("id"), Just("timestamp"), Just("message"), Just("x")];
        let event = prop::collection::vec((event_key, value()), 0..4).prop_map(|m| {
            let inner: Vec<String> = m.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", inner.join(","))
        });
        let events = prop_oneof![
            4 => prop::collection::vec(prop_oneof![9 => event, 1 => value()], 0..3)
                .prop_map(|e| format!("[{}]", e.join(","))),
            1 => value(),
        ];
        let key = prop_oneof![
            Just("messageType"),
            Just("owner"),
            Just("logGroup"),
            Just("logStream"),
            Just("subscriptionFilters"),
            Just("cognitoActivityReingested"),
            Just("logEvents"),
            Just("other"),
        ];
        (
            prop::collection::vec((key, value()), 0..5),
            prop::option::weighted(0.8, events),
            prop::collection::vec((any::<prop::sample::Index>(), any::<char>()), 0..2),
        )
            .prop_map(|(fields, events, edits)| {
                let mut members: Vec<String> =
                    fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                members.insert(0, "\"messageType\":\"DATA_MESSAGE\"".to_owned());
                if let Some(e) = events {
                    members.push(format!("\"logEvents\":{e}"));
                }
                let text = format!("{{{}}}", members.join(","));
                crate::json::parse::damage(&text, edits)
            })
    }

    #[test]
    fn a_real_envelope_reads_the_same_both_ways() {
        let text = r#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1700000000000,"message":"{\"eventSource\":\"USER_AUTH_EVENTS\",\"message\":{\"city\":\"S\u00e3o Paulo\"}}"}],"cognitoActivityReingested":true}"#;
        let view = ours(text, true).unwrap().unwrap();
        assert_eq!(
            Ok(Some(&view)),
            reference(text, true).as_ref().map(Option::as_ref)
        );
        assert!(view.reingested);
        assert_eq!(
            view.events[0].2,
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"city":"São Paulo"}}"#
        );
    }

    #[test]
    fn a_positional_log_event_fails_where_serde_derive_fails_first() {
        for text in [
            // A wrong type before broken JSON: the wrong shape.
            "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[[\"f\",\"g\u{a1}],{\"x\":\"{\\\"a\\\":1}\"}]}",
            // Well typed, then a fourth element: not JSON, to serde_json.
            r#"{"messageType":"DATA_MESSAGE","logEvents":[["i",1,"m",2]]}"#,
            r#"{"messageType":"DATA_MESSAGE","logEvents":[["i",null]]}"#,
            r#"{"messageType":"DATA_MESSAGE","logEvents":[[null,1.5,"m"]]}"#,
            r#"{"messageType":"DATA_MESSAGE","logEvents":[["i",1,2]]}"#,
        ] {
            assert!(ours(text, true).is_err(), "{text}");
            assert_eq!(ours(text, true), reference(text, true), "{text}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_envelope_like_text_reads_as_serde_derive_read_it(
            text in envelope_like(),
            was_gzip in any::<bool>(),
        ) {
            prop_assert_eq!(ours(&text, was_gzip), reference(&text, was_gzip));
        }
    }
}
