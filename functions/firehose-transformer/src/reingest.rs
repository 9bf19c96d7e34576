//! Re-ingestion of records that do not fit in the response
//! (docs/reliability.md, "Re-ingestion").
//!
//! Firehose accepts at most 6 MB back from the function
//! (<https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html>).
//! The library answers what fits and hands back the rest as
//! [`Overflow`]s; here they are put back into the source: `PutRecordBatch`
//! for a Direct PUT stream, `PutRecords` for a Kinesis data stream source,
//! in chunks within each API's limits, retrying only the entries that
//! failed, with exponential backoff and full jitter
//! (<https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/>),
//! and never past the invocation's deadline less a safety margin. A record is
//! answered `Dropped` only once all its pieces were accepted; otherwise it
//! stays `ProcessingFailed`, so Firehose keeps its own copy in the error
//! prefix. A CloudWatch Logs envelope is re-ingested as marked pieces from
//! `cognito_activity::firehose::split`, each small enough to be served first, whole,
//! by a later invocation.
//!
//! The AWS SDK lives behind [`Sink`] (see `aws.rs`), so the chunking and the
//! retries are tested here with a fake.

use std::future::Future;
use std::time::Duration;

use cognito_activity::firehose::arn_resource_name;
use cognito_activity::firehose::split::{
    set_apart_envelope, split_envelope_while, Limits, Probe, SetApart, SplitError, MAX_PIECE_BYTES,
};
use cognito_activity::firehose::{Overflow, OverflowKind, Processed, Settlement};
use cognito_activity::{Config, RecordResult};
use tokio::time::Instant;

/// Where overflow records go back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A Direct PUT delivery stream, by name.
    Firehose { stream: String },
    /// The Kinesis data stream the delivery stream reads, by ARN.
    Kinesis { stream_arn: String },
}

impl Target {
    /// The source of the invocation's records: the Kinesis stream when
    /// there is one, else the delivery stream itself.
    pub fn of(processed: &Processed) -> Option<Target> {
        if let Some(arn) = processed.source_kinesis_stream_arn.as_deref() {
            return Some(Target::Kinesis {
                stream_arn: arn.to_string(),
            });
        }
        let arn = processed.delivery_stream_arn.as_deref()?;
        arn_resource_name(arn, "deliverystream/").map(|name| Target::Firehose {
            stream: name.to_string(),
        })
    }

    /// The API limits of the call that writes to this target.
    pub fn limits(&self) -> ApiLimits {
        match self {
            // PutRecordBatch: 500 records, "4 MB" per call (read as
            // 4,000,000 bytes: a call over the limit is refused whole, as a
            // permanent error), 1,000 KiB per record.
            Target::Firehose { .. } => ApiLimits {
                max_records: 500,
                max_call_bytes: 4_000_000,
                max_record_bytes: MAX_PIECE_BYTES,
            },
            // PutRecords: 500 records, 5 MiB per call (4 MiB kept as a
            // margin), 1 MiB per record including the partition key.
            Target::Kinesis { .. } => ApiLimits {
                max_records: 500,
                max_call_bytes: 4 * 1024 * 1024,
                max_record_bytes: 1024 * 1024,
            },
        }
    }

    fn counts_partition_key(&self) -> bool {
        matches!(self, Target::Kinesis { .. })
    }
}

/// Per-call limits of a put API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiLimits {
    pub max_records: usize,
    pub max_call_bytes: usize,
    pub max_record_bytes: usize,
}

/// One record to put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub data: Vec<u8>,
    /// Used by Kinesis only: the overflow record's id, so a record's pieces
    /// stay on one shard, in order.
    pub partition_key: String,
}

impl Entry {
    fn size(&self, target: &Target) -> usize {
        self.data.len()
            + if target.counts_partition_key() {
                self.partition_key.len()
            } else {
                0
            }
    }
}

/// A whole call that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutError {
    /// The service's error code, or a short word for transport errors.
    pub code: String,
    /// Whether trying again may succeed (throttling, a dropped connection),
    /// as opposed to a missing stream or a denied permission.
    pub retryable: bool,
}

/// Something that puts records into a target: the AWS SDK in production, a
/// fake in tests.
pub trait Sink {
    /// Puts `entries` in one call. `Ok` holds one slot per entry, in order:
    /// `None` when accepted, the error code when that entry failed.
    fn put_batch(
        &self,
        target: &Target,
        entries: &[Entry],
    ) -> impl Future<Output = Result<Vec<Option<String>>, PutError>>;
}

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Calls per entry, at most.
    pub max_attempts: u32,
    /// The first backoff's ceiling; it doubles each round up to `cap`.
    pub base: Duration,
    pub cap: Duration,
    /// Time kept back before the deadline to still return the response.
    pub safety_margin: Duration,
    /// The most bytes of envelopes an invocation sets apart
    /// ([`SET_APART_MAX_BYTES`]).
    pub set_apart_max_bytes: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base: Duration::from_millis(50),
            cap: Duration::from_secs(2),
            safety_margin: cognito_activity_aws::lambda::DEADLINE_MARGIN,
            set_apart_max_bytes: SET_APART_MAX_BYTES,
        }
    }
}

/// Puts overflow records back into the source stream and settles them.
pub struct Reingester<S> {
    sink: S,
    enabled: bool,
    policy: RetryPolicy,
}

/// The most bytes of envelopes (as received, compressed) an invocation sets
/// apart ([`OverflowKind::FailingLogEvents`]); the others fail whole. Two
/// of the largest records Firehose takes: an occasional unusable event
/// costs its envelope's set-apart, a batch of nothing else costs at most
/// this much more work (each envelope is read again, and its usable events
/// measured as an overflow envelope's are).
pub const SET_APART_MAX_BYTES: usize = 2 << 20;

/// Logs why overflow record `o` stays `ProcessingFailed`: at WARN while the
/// invocation's per-record warnings last, except for an envelope held to be
/// set apart, which was named already when it failed ("record failed") and
/// takes no second one.
fn answered_failed(processed: &mut Processed<'_>, o: &Overflow, reason: &'static str) {
    if o.failure_code.is_none() && processed.warnings.take() {
        tracing::warn!(record_id = %o.record_id, reason, "overflow record answered ProcessingFailed");
    } else {
        tracing::debug!(record_id = %o.record_id, reason, "overflow record answered ProcessingFailed");
    }
}

/// What one overflow record is to become.
enum Plan {
    Put(Vec<Entry>),
    /// An envelope set apart: its failing pieces are put only once its
    /// usable ones are all in, so that an envelope answered
    /// `ProcessingFailed` (counted under its failure code here) leaves no
    /// failing piece in the stream to fail, and be counted, again.
    SetApart {
        usable: Vec<Entry>,
        failing: Vec<Entry>,
    },
    Fail(&'static str),
    /// Left unread, the record turned out to be one the pipeline drops.
    Drop,
}

impl<S: Sink> Reingester<S> {
    pub fn new(sink: S, enabled: bool, policy: RetryPolicy) -> Self {
        Reingester {
            sink,
            enabled,
            policy,
        }
    }

    /// Settles every overflow record of `processed`: `Reingested` when all
    /// its pieces were accepted before `deadline` (less the safety margin),
    /// `Failed` otherwise, with the reason logged.
    pub async fn settle(&self, processed: &mut Processed<'_>, config: &Config, deadline: Instant) {
        // Taken out while planning and put back for `Processed::settle`:
        // the overflow holds every record's original bytes, too much to copy.
        let pending: Vec<Overflow> = std::mem::take(&mut processed.overflow);
        let target = match (self.enabled, Target::of(processed)) {
            (false, _) => Err("reingest_disabled"),
            (true, None) => Err("no_reingest_target"),
            (true, Some(target)) => Ok(target),
        };
        let target = match target {
            Ok(target) => target,
            Err(reason) => {
                for o in &pending {
                    answered_failed(processed, o, reason);
                }
                let n = pending.len();
                processed.overflow = pending;
                processed.settle(std::iter::repeat_n(Settlement::Failed(reason), n));
                return;
            }
        };

        let probe = Probe::new(config, processed.delivery_stream_arn.as_deref());
        // Planning reads an envelope again, inflating it and compressing
        // its pieces at each halving: none is started within the margin of
        // the deadline, and a split stops there, so that planning never
        // keeps the response from Firehose (past it, a record fails whole,
        // its data kept). Setting envelopes apart reads each several times
        // more: held besides to `set_apart_max_bytes` of them an invocation.
        let stop_at = deadline
            .checked_sub(self.policy.safety_margin)
            .unwrap_or(deadline);
        let mut set_apart_bytes = 0usize;
        let plans: Vec<Plan> = pending
            .iter()
            .map(|o| {
                let late = Instant::now() >= stop_at;
                if o.kind == OverflowKind::FailingLogEvents {
                    set_apart_bytes = set_apart_bytes.saturating_add(o.original.len());
                    if set_apart_bytes > self.policy.set_apart_max_bytes {
                        return Plan::Fail("set_apart_allowance");
                    }
                    if late {
                        return Plan::Fail("set_apart_deadline");
                    }
                }
                if late {
                    return Plan::Fail("reingest_deadline");
                }
                plan(o, config, &probe, &target, stop_at)
            })
            .collect();
        // How many pieces of each overflow record were accepted.
        let mut pieces_accepted = vec![0usize; plans.len()];
        let mut jitter = Jitter::seeded();
        let first: Vec<(usize, &[Entry])> = plans
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p {
                Plan::Put(list) | Plan::SetApart { usable: list, .. } => Some((i, list.as_slice())),
                Plan::Fail(_) | Plan::Drop => None,
            })
            .collect();
        self.put_round(&target, &first, deadline, &mut jitter, &mut pieces_accepted)
            .await;
        let then: Vec<(usize, &[Entry])> = plans
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p {
                Plan::SetApart { usable, failing } if pieces_accepted[i] == usable.len() => {
                    Some((i, failing.as_slice()))
                }
                _ => None,
            })
            .collect();
        self.put_round(&target, &then, deadline, &mut jitter, &mut pieces_accepted)
            .await;
        let mut settlements = Vec::with_capacity(pending.len());
        for ((o, p), ok) in pending.iter().zip(&plans).zip(pieces_accepted) {
            let outcome = match p {
                Plan::Drop => {
                    tracing::debug!(record_id = %o.record_id, "overflow record dropped once read");
                    settlements.push(Settlement::Dropped);
                    continue;
                }
                Plan::Fail(reason) => Err(*reason),
                Plan::Put(list) if ok == list.len() => Ok(ok),
                Plan::SetApart { usable, failing } if ok == usable.len() + failing.len() => Ok(ok),
                _ if ok == 0 => Err("reingest_failed"),
                // Some pieces are in the stream already: a replay of the
                // failed record duplicates them (at least once).
                _ => Err("reingest_partly_failed"),
            };
            settlements.push(match outcome {
                Ok(pieces) => {
                    tracing::debug!(record_id = %o.record_id, pieces, "overflow record re-ingested");
                    Settlement::Reingested
                }
                Err(reason) => {
                    answered_failed(processed, o, reason);
                    Settlement::Failed(reason)
                }
            });
        }
        processed.overflow = pending;
        processed.settle(settlements);
    }

    /// Puts the entries of each `(overflow record, entries)` in one
    /// [`put_all`], counting each record's accepted ones in `accepted`.
    async fn put_round(
        &self,
        target: &Target,
        lists: &[(usize, &[Entry])],
        deadline: Instant,
        jitter: &mut Jitter,
        accepted: &mut [usize],
    ) {
        let mut entries = Vec::new();
        let mut owner = Vec::new();
        for &(i, list) in lists {
            for e in list {
                entries.push(e.clone());
                owner.push(i);
            }
        }
        if entries.is_empty() {
            return;
        }
        let ok = put_all(&self.sink, target, &entries, &self.policy, deadline, jitter).await;
        for (&who, &ok) in owner.iter().zip(&ok) {
            if ok {
                accepted[who] += 1;
            }
        }
    }
}

/// The entries for one overflow record, or why there are none.
///
/// A CloudWatch Logs envelope is always re-written as marked pieces whose
/// answers take at most half the budget (falling back to the whole budget
/// for an event between the two), so each is served first and whole later.
/// Any other record goes back unchanged if its answer fits the budget alone.
fn plan(o: &Overflow, config: &Config, probe: &Probe, target: &Target, stop_at: Instant) -> Plan {
    let budget = config.response_budget_bytes;
    let max_record = target.limits().max_record_bytes.min(MAX_PIECE_BYTES);
    let key = partition_key(&o.record_id);
    if o.kind == OverflowKind::FailingLogEvents {
        return set_apart(o, config, probe, max_record, key);
    }
    let split = |max_answer_len: usize| {
        split_envelope_while(
            &o.original,
            config.max_decompressed_bytes,
            &Limits {
                max_answer_len,
                max_piece_bytes: max_record.saturating_sub(key.len()),
            },
            |piece| probe.answer_len(piece),
            || Instant::now() < stop_at,
        )
    };
    let pieces = match split(budget / 2) {
        Err(SplitError::EventTooLarge { .. }) => split(budget),
        other => other,
    };
    match pieces {
        Ok(pieces) => Plan::Put(entries(pieces, &key)),
        Err(SplitError::NotEnvelope) if o.response_len.is_none() => {
            // Left unread after the response closed: read here, as the
            // split reads pieces, so that a record the pipeline drops or
            // fails is answered for good instead of bouncing, and one too
            // large alone is not put back.
            let answer = probe.answer(&o.original);
            match answer.result {
                RecordResult::Dropped => Plan::Drop,
                RecordResult::ProcessingFailed => Plan::Fail(answer.failure.unwrap_or("failed")),
                RecordResult::Ok if answer.len > budget => Plan::Fail("too_large_alone"),
                RecordResult::Ok => put_back(o, key, max_record),
            }
        }
        Err(SplitError::NotEnvelope) if o.exceeds_budget_alone => Plan::Fail("too_large_alone"),
        Err(SplitError::NotEnvelope) => put_back(o, key, max_record),
        Err(e) => Plan::Fail(e.code()),
    }
}

/// A gzip CloudWatch Logs envelope that failed on some of its log events
/// ([`OverflowKind::FailingLogEvents`]): its usable events go back as
/// marked pieces sized as an overflow envelope's are (so they are delivered
/// when read again), its failing ones as marked pieces of their own, split
/// only to fit a record (so they fail alone when read again, into the error
/// output). An envelope whose events all fail stays failed as it is, and so
/// does one in which none fails when read again.
fn set_apart(o: &Overflow, config: &Config, probe: &Probe, max_record: usize, key: String) -> Plan {
    let limits = |max_answer_len| Limits {
        max_answer_len,
        max_piece_bytes: max_record.saturating_sub(key.len()),
    };
    let budget = config.response_budget_bytes;
    let set = set_apart_envelope(
        &o.original,
        config,
        &[limits(budget / 2), limits(budget)],
        &limits(usize::MAX),
        |piece| probe.answer_len(piece),
    );
    match set {
        Err(e) => Plan::Fail(e.code()),
        Ok(SetApart::EveryEventFails) => Plan::Fail("every_log_event_fails"),
        Ok(SetApart::NoEventFails) => Plan::Fail("no_log_event_fails_alone"),
        Ok(SetApart::Pieces { usable, failing }) => {
            tracing::info!(
                record_id = %o.record_id,
                usable_pieces = usable.len(),
                failing_pieces = failing.len(),
                "envelope failing on some log events set apart"
            );
            Plan::SetApart {
                usable: entries(usable, &key),
                failing: entries(failing, &key),
            }
        }
    }
}

/// The pieces of one overflow record as entries under its partition key.
fn entries(pieces: Vec<Vec<u8>>, key: &str) -> Vec<Entry> {
    pieces
        .into_iter()
        .map(|data| Entry {
            data,
            partition_key: key.to_string(),
        })
        .collect()
}

/// A record that is not an envelope, back unchanged if the target takes it.
fn put_back(o: &Overflow, key: String, max_record: usize) -> Plan {
    if o.original.len() + key.len() > max_record {
        return Plan::Fail("record_too_large");
    }
    Plan::Put(vec![Entry {
        data: o.original.clone(),
        partition_key: key,
    }])
}

/// Kinesis partition keys are 1 to 256 characters.
fn partition_key(record_id: &str) -> String {
    let key: String = record_id.chars().take(256).collect();
    if key.is_empty() {
        "0".to_string()
    } else {
        key
    }
}

/// Puts every entry, chunked within the target's limits, retrying failed
/// entries until they are accepted, a permanent error, `max_attempts`, or
/// the deadline. Returns, per entry, whether it was accepted.
pub async fn put_all<S: Sink>(
    sink: &S,
    target: &Target,
    entries: &[Entry],
    policy: &RetryPolicy,
    deadline: Instant,
    jitter: &mut Jitter,
) -> Vec<bool> {
    let limits = target.limits();
    let mut accepted = vec![false; entries.len()];
    // Entries still worth trying, by index.
    let mut pending: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].size(target) <= limits.max_record_bytes)
        .collect();
    let stop_at = deadline
        .checked_sub(policy.safety_margin)
        .unwrap_or(deadline);
    let mut attempt = 0;
    while !pending.is_empty() && attempt < policy.max_attempts {
        if attempt > 0 {
            let ceiling = policy
                .base
                .saturating_mul(1u32 << (attempt - 1).min(20))
                .min(policy.cap);
            let sleep = jitter.below(ceiling);
            if Instant::now() + sleep >= stop_at {
                break;
            }
            tokio::time::sleep(sleep).await;
        }
        attempt += 1;
        let mut retry = Vec::new();
        for chunk in chunks(&pending, entries, target, &limits) {
            let now = Instant::now();
            if now >= stop_at {
                retry.extend_from_slice(chunk);
                continue;
            }
            let batch: Vec<Entry> = chunk.iter().map(|&i| entries[i].clone()).collect();
            let call = sink.put_batch(target, &batch);
            match tokio::time::timeout(stop_at - now, call).await {
                Ok(Ok(codes)) => {
                    for (pos, &i) in chunk.iter().enumerate() {
                        match codes.get(pos) {
                            Some(None) => accepted[i] = true,
                            Some(Some(code)) => {
                                tracing::debug!(code = %code, attempt, "entry not accepted");
                                retry.push(i);
                            }
                            // A short answer: count the missing as failed.
                            None => retry.push(i),
                        }
                    }
                }
                Ok(Err(e)) if e.retryable => {
                    tracing::warn!(code = %e.code, attempt, entries = chunk.len(), "put call failed, will retry");
                    retry.extend_from_slice(chunk);
                }
                Ok(Err(e)) => {
                    tracing::warn!(code = %e.code, entries = chunk.len(), "put call failed permanently");
                }
                Err(_) => {
                    tracing::warn!(
                        attempt,
                        entries = chunk.len(),
                        "put call cut at the deadline"
                    );
                    retry.extend_from_slice(chunk);
                }
            }
        }
        pending = retry;
    }
    accepted
}

/// Splits `pending` into calls of at most `max_records` entries and
/// `max_call_bytes` bytes, in order.
fn chunks<'p>(
    pending: &'p [usize],
    entries: &[Entry],
    target: &Target,
    limits: &ApiLimits,
) -> Vec<&'p [usize]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (pos, &i) in pending.iter().enumerate() {
        let size = entries[i].size(target);
        let count = pos - start;
        if count > 0 && (count == limits.max_records || bytes + size > limits.max_call_bytes) {
            out.push(&pending[start..pos]);
            start = pos;
            bytes = 0;
        }
        bytes += size;
    }
    if start < pending.len() {
        out.push(&pending[start..]);
    }
    out
}

/// A small xorshift generator for backoff jitter; no cryptographic use.
pub struct Jitter(u64);

impl Jitter {
    pub fn new(seed: u64) -> Self {
        Jitter(seed | 1)
    }

    fn seeded() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Jitter::new(nanos ^ u64::from(std::process::id()).rotate_left(32))
    }

    /// A duration drawn uniformly from `[0, ceiling]` ("full jitter").
    pub fn below(&mut self, ceiling: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let micros = ceiling.as_micros() as u64;
        Duration::from_micros(if micros == 0 {
            0
        } else {
            self.0 % (micros + 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// A sink that records every call and answers from a script (then
    /// accepts everything).
    #[derive(Default)]
    struct Fake {
        calls: RefCell<Vec<Vec<Entry>>>,
        script: RefCell<VecDeque<Result<Vec<Option<String>>, PutError>>>,
        /// Entries (by data) to refuse on every call.
        always_refuse: Vec<Vec<u8>>,
    }

    impl Sink for Fake {
        async fn put_batch(
            &self,
            _target: &Target,
            entries: &[Entry],
        ) -> Result<Vec<Option<String>>, PutError> {
            self.calls.borrow_mut().push(entries.to_vec());
            if let Some(answer) = self.script.borrow_mut().pop_front() {
                return answer;
            }
            Ok(entries
                .iter()
                .map(|e| {
                    self.always_refuse
                        .contains(&e.data)
                        .then(|| "ServiceUnavailableException".to_string())
                })
                .collect())
        }
    }

    fn entry(n: usize, size: usize) -> Entry {
        let mut data = vec![b'x'; size];
        data[..8.min(size)].copy_from_slice(&format!("{n:08}").as_bytes()[..8.min(size)]);
        Entry {
            data,
            partition_key: format!("k{n}"),
        }
    }

    fn firehose() -> Target {
        Target::Firehose { stream: "s".into() }
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(300)
    }

    #[tokio::test(start_paused = true)]
    async fn calls_stay_within_500_records_and_4_mib() {
        let fake = Fake::default();
        let mut entries: Vec<Entry> = (0..1200).map(|n| entry(n, 100)).collect();
        entries.extend((1200..1210).map(|n| entry(n, 900 * 1024)));
        let ok = put_all(
            &fake,
            &firehose(),
            &entries,
            &RetryPolicy::default(),
            far(),
            &mut Jitter::new(1),
        )
        .await;
        assert!(ok.iter().all(|a| *a));
        let calls = fake.calls.borrow();
        for c in calls.iter() {
            assert!(c.len() <= 500);
            assert!(c.iter().map(|e| e.data.len()).sum::<usize>() <= 4_000_000);
        }
        let sent: Vec<Entry> = calls.iter().flatten().cloned().collect();
        assert_eq!(sent, entries, "every entry once, in order");
        // 500 + 500 small; 200 small + 4 large (3.7 MB); 4 large; 2 large.
        assert_eq!(calls.len(), 5);
        assert_eq!(calls[2].len(), 204);
    }

    #[tokio::test(start_paused = true)]
    async fn only_the_failed_entries_are_sent_again() {
        let fake = Fake::default();
        fake.script.borrow_mut().push_back(Ok(vec![
            None,
            Some("ServiceUnavailableException".into()),
            None,
            Some("ServiceUnavailableException".into()),
        ]));
        let entries: Vec<Entry> = (0..4).map(|n| entry(n, 10)).collect();
        let ok = put_all(
            &fake,
            &firehose(),
            &entries,
            &RetryPolicy::default(),
            far(),
            &mut Jitter::new(2),
        )
        .await;
        assert_eq!(ok, [true, true, true, true]);
        let calls = fake.calls.borrow();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[1], vec![entries[1].clone(), entries[3].clone()]);
    }

    #[tokio::test(start_paused = true)]
    async fn retryable_call_errors_back_off_with_growing_bounded_sleeps() {
        let fake = Fake::default();
        for _ in 0..3 {
            fake.script.borrow_mut().push_back(Err(PutError {
                code: "ThrottlingException".into(),
                retryable: true,
            }));
        }
        let entries = vec![entry(0, 10)];
        let policy = RetryPolicy::default();
        let start = Instant::now();
        let ok = put_all(
            &fake,
            &firehose(),
            &entries,
            &policy,
            far(),
            &mut Jitter::new(3),
        )
        .await;
        assert_eq!(ok, [true]);
        assert_eq!(fake.calls.borrow().len(), 4);
        // Three sleeps of at most base, 2*base, 4*base (paused clock: exact).
        assert!(Instant::now() - start <= policy.base * 7);
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_error_is_not_retried() {
        let fake = Fake::default();
        fake.script.borrow_mut().push_back(Err(PutError {
            code: "ResourceNotFoundException".into(),
            retryable: false,
        }));
        let entries = vec![entry(0, 10), entry(1, 10)];
        let ok = put_all(
            &fake,
            &firehose(),
            &entries,
            &RetryPolicy::default(),
            far(),
            &mut Jitter::new(4),
        )
        .await;
        assert_eq!(ok, [false, false]);
        assert_eq!(fake.calls.borrow().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_stop_before_the_deadline_less_the_margin() {
        let fake = Fake {
            always_refuse: vec![entry(0, 10).data],
            ..Fake::default()
        };
        let policy = RetryPolicy {
            max_attempts: 1000,
            ..RetryPolicy::default()
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let ok = put_all(
            &fake,
            &firehose(),
            &[entry(0, 10)],
            &policy,
            deadline,
            &mut Jitter::new(5),
        )
        .await;
        assert_eq!(ok, [false]);
        assert!(Instant::now() <= deadline - policy.safety_margin);
        let calls = fake.calls.borrow().len();
        assert!(calls > 1 && calls < 1000, "{calls} calls");
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_bounded_even_with_time_left() {
        let fake = Fake {
            always_refuse: vec![entry(0, 10).data],
            ..Fake::default()
        };
        let policy = RetryPolicy::default();
        let ok = put_all(
            &fake,
            &firehose(),
            &[entry(0, 10)],
            &policy,
            far(),
            &mut Jitter::new(6),
        )
        .await;
        assert_eq!(ok, [false]);
        assert_eq!(fake.calls.borrow().len(), policy.max_attempts as usize);
    }

    #[test]
    fn kinesis_counts_the_partition_key_against_the_record_limit() {
        let t = Target::Kinesis {
            stream_arn: "arn:aws:kinesis:us-east-1:123456789012:stream/s".into(),
        };
        let e = Entry {
            data: vec![0; 1024 * 1024 - 2],
            partition_key: "abc".into(),
        };
        assert!(e.size(&t) > t.limits().max_record_bytes);
        assert!(e.size(&firehose()) > firehose().limits().max_record_bytes);
        assert_eq!(partition_key(""), "0");
        assert_eq!(partition_key(&"9".repeat(300)).len(), 256);
    }

    /// Every record's answer.
    fn results_of(p: &Processed) -> Vec<RecordResult> {
        p.response.records.iter().map(|r| r.result).collect()
    }

    /// Every record's data the fake sink was given, in order.
    fn put_data(r: &Reingester<Fake>) -> Vec<Vec<u8>> {
        r.sink
            .calls
            .borrow()
            .iter()
            .flatten()
            .map(|e| e.data.clone())
            .collect()
    }

    fn overflowing(budget: usize) -> (Processed<'static>, Config) {
        use cognito_activity::decode::base64_encode;
        use cognito_activity::firehose::split::gzip;
        let events: Vec<serde_json::Value> = (0..200)
            .map(|i| {
                let msg = serde_json::json!({"eventTimestamp": "1732400000000",
                    "eventSource": "USER_AUTH_EVENTS",
                    "logSourceId": {"userPoolId": "us-east-1_Ab12Cd34E"},
                    "message": {"eventType": "SignIn", "eventResponse": "Pass",
                        "eventId": format!("00000000-0000-4000-8000-{i:012}")}});
                serde_json::json!({"id": format!("e{i}"), "message": msg.to_string()})
            })
            .collect();
        let env = serde_json::json!({"messageType": "DATA_MESSAGE", "owner": "123456789012",
            "logGroup": "g", "logStream": "s", "logEvents": events});
        let data = base64_encode(&gzip(&serde_json::to_vec(&env).unwrap()));
        let event = serde_json::json!({
            "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
            "records": [{"recordId": "a", "data": data}]});
        let cfg = Config {
            response_budget_bytes: budget,
            ..Config::default()
        };
        let processed = cognito_activity::process_event(&serde_json::to_vec(&event).unwrap(), &cfg)
            .unwrap()
            .into_owned();
        (processed, cfg)
    }

    #[tokio::test(start_paused = true)]
    async fn unread_records_are_measured_before_they_go_back_unchanged() {
        use cognito_activity::decode::base64_encode;
        // NDJSON records of 40, 40, 400 and 1 sign-ins, one that is not
        // JSON and one sign-up, under a budget that holds the first only
        // and a filter that keeps sign-ins only: the second is crowded out
        // and closes the response, so the last four are left unread.
        // Re-ingestion reads them: the 400-line one is too large alone and
        // fails, the one-line one goes back unchanged, the broken one fails
        // for good and the sign-up is dropped, as the response would have
        // answered them; neither of those two bounces.
        let lines = |n: usize, event_type: &str| {
            let text: String = (0..n)
                .map(|i| {
                    serde_json::json!({"eventTimestamp": "1732400000000",
                        "eventSource": "USER_AUTH_EVENTS",
                        "message": {"eventType": event_type, "eventResponse": "Pass",
                            "eventId": format!("00000000-0000-4000-8000-{i:012}")}})
                    .to_string()
                        + "\n"
                })
                .collect();
            base64_encode(text.as_bytes())
        };
        let ndjson = |n: usize| lines(n, "SignIn");
        let datas = [
            ndjson(40),
            ndjson(40),
            ndjson(400),
            ndjson(1),
            base64_encode(b"not json"),
            lines(1, "SignUp"),
        ];
        let event = serde_json::json!({
            "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
            "records": datas.iter().enumerate()
                .map(|(i, d)| serde_json::json!({"recordId": format!("r{i}"), "data": d}))
                .collect::<Vec<_>>()});
        let event = serde_json::to_vec(&event).unwrap();
        let sign_ins = Config {
            include_event_types: ["SignIn".to_string()].into(),
            ..Config::default()
        };
        let full = cognito_activity::process_event(&event, &sign_ins).unwrap();
        let one = full.response.records[0].json_len();
        let cfg = Config {
            response_budget_bytes: one * 3 / 2 + 600,
            ..sign_ins
        };
        let mut processed = cognito_activity::process_event(&event, &cfg).unwrap();
        let lens: Vec<_> = processed
            .overflow
            .iter()
            .map(|o| (o.index, o.response_len.is_some()))
            .collect();
        assert_eq!(
            lens,
            [(1, true), (2, false), (3, false), (4, false), (5, false)]
        );
        let r = Reingester::new(Fake::default(), true, RetryPolicy::default());
        r.settle(&mut processed, &cfg, far()).await;
        let put = put_data(&r);
        let original = |i: usize| cognito_activity::decode::base64_decode(&datas[i]).unwrap();
        assert_eq!(put, [original(1), original(3)]);
        let results = results_of(&processed);
        use cognito_activity::RecordResult::*;
        assert_eq!(
            results,
            [
                Ok,
                Dropped,
                ProcessingFailed,
                Dropped,
                ProcessingFailed,
                Dropped
            ]
        );
        assert_eq!(processed.stats.records_reingested, 2);
        assert_eq!(processed.stats.records_dropped, 3);
        // Each record answered `ProcessingFailed` is counted under its code:
        // the broken one under the pipeline's, as if it had been read.
        assert_eq!(failures(&processed), [("json", 1), ("too_large_alone", 1)]);
        assert_eq!(processed.stats.records_failed, 2);
    }

    /// The invocation's failure counts, by code.
    fn failures(p: &Processed) -> Vec<(&'static str, u64)> {
        p.stats.failures.iter().map(|(k, v)| (*k, *v)).collect()
    }

    /// An event of one gzip envelope per entry of `envelopes`, each a list
    /// of log event messages.
    fn envelopes_event(envelopes: &[Vec<String>]) -> Vec<u8> {
        use cognito_activity::decode::base64_encode;
        use cognito_activity::firehose::split::gzip;
        let records: Vec<serde_json::Value> = envelopes
            .iter()
            .enumerate()
            .map(|(r, messages)| {
                let events: Vec<serde_json::Value> = messages
                    .iter()
                    .enumerate()
                    .map(|(i, m)| serde_json::json!({"id": format!("r{r}e{i}"), "timestamp": 1_732_400_000_000_i64, "message": m}))
                    .collect();
                let env = serde_json::json!({"messageType": "DATA_MESSAGE", "owner": "123456789012",
                    "logGroup": "g", "logStream": "s", "logEvents": events});
                serde_json::json!({"recordId": format!("r{r}"),
                    "data": base64_encode(&gzip(&serde_json::to_vec(&env).unwrap()))})
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
            "records": records}))
        .unwrap()
    }

    fn sign_in(i: usize) -> String {
        serde_json::json!({"eventTimestamp": "1732400000000", "eventSource": "USER_AUTH_EVENTS",
            "message": {"eventType": "SignIn", "eventResponse": "Pass",
                "eventId": format!("00000000-0000-4000-8000-{i:012}")}})
        .to_string()
    }

    #[tokio::test(start_paused = true)]
    async fn an_envelope_failing_on_some_events_goes_back_with_those_apart() {
        use cognito_activity::RecordResult::*;
        let bad = || "not a Cognito record".to_string();
        let mixed = vec![sign_in(0), bad(), sign_in(1), sign_in(2), bad()];
        let all_bad = vec![bad(), bad()];
        let cfg = Config::default();
        let event = envelopes_event(&[mixed, all_bad, vec![sign_in(3)]]);
        let mut processed = cognito_activity::process_event(&event, &cfg).unwrap();
        let kinds: Vec<_> = processed
            .overflow
            .iter()
            .map(|o| (o.index, o.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                (0, OverflowKind::FailingLogEvents),
                (1, OverflowKind::FailingLogEvents)
            ]
        );
        let r = Reingester::new(Fake::default(), true, RetryPolicy::default());
        r.settle(&mut processed, &cfg, far()).await;
        let results = results_of(&processed);
        // The mixed envelope is back in the stream; the all-bad one fails
        // for good, with its data, as before.
        assert_eq!(results, [Dropped, ProcessingFailed, Ok]);
        assert!(!processed.response.records[1].data.is_empty());
        assert_eq!(processed.stats.records_reingested, 1);
        assert_eq!(processed.stats.records_failed, 1);
        // Only the record that failed for good is counted under its code:
        // the one set apart is counted when its failing piece fails.
        assert_eq!(
            processed.stats.failures.values().sum::<u64>(),
            processed.stats.records_failed
        );

        // What was put back, read again: the three sign-ins are delivered,
        // the two bad events fail together, apart from them.
        let put = put_data(&r);
        assert_eq!(put.len(), 2, "one usable piece and one failing piece");
        let again = envelopes_event(&[]);
        let mut again: serde_json::Value = serde_json::from_slice(&again).unwrap();
        again["records"] = put
            .iter()
            .enumerate()
            .map(|(i, p)| {
                serde_json::json!({"recordId": format!("p{i}"),
                "data": cognito_activity::decode::base64_encode(p)})
            })
            .collect();
        let read = cognito_activity::process_event(&serde_json::to_vec(&again).unwrap(), &cfg)
            .unwrap()
            .into_owned();
        let results = results_of(&read);
        assert_eq!(results, [Ok, ProcessingFailed]);
        assert_eq!(read.stats.events_out, 3);
        // The failing piece read again is all bad: it stays failed.
        let mut read = read;
        assert_eq!(read.overflow.len(), 1);
        let r = Reingester::new(Fake::default(), true, RetryPolicy::default());
        r.settle(&mut read, &cfg, far()).await;
        assert!(r.sink.calls.borrow().iter().flatten().next().is_none());
        assert_eq!(read.response.records[1].result, ProcessingFailed);
        // The two bad events are counted here, once, as the piece's failure.
        assert_eq!(read.stats.failures.values().sum::<u64>(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn setting_apart_stops_at_its_allowance_the_deadline_or_a_refused_piece() {
        use cognito_activity::RecordResult::*;
        let bad = || "not a Cognito record".to_string();
        let cfg = Config::default();
        let event = envelopes_event(&[
            vec![sign_in(0), bad()],
            vec![sign_in(1), bad()],
            vec![sign_in(2), bad()],
        ]);
        let fresh = || cognito_activity::process_event(&event, &cfg).unwrap();
        let one = fresh().overflow[0].original.len();

        // Room for the first two envelopes only.
        let policy = RetryPolicy {
            set_apart_max_bytes: 2 * one + one / 2,
            ..RetryPolicy::default()
        };
        let mut processed = fresh();
        let r = Reingester::new(Fake::default(), true, policy);
        r.settle(&mut processed, &cfg, far()).await;
        assert_eq!(results_of(&processed), [Dropped, Dropped, ProcessingFailed]);
        assert_eq!(put_data(&r).len(), 4);
        assert!(!processed.response.records[2].data.is_empty());

        // No time left: nothing is set apart, nothing is put.
        let mut processed = fresh();
        let r = Reingester::new(Fake::default(), true, RetryPolicy::default());
        r.settle(&mut processed, &cfg, Instant::now()).await;
        assert_eq!(
            results_of(&processed),
            [ProcessingFailed, ProcessingFailed, ProcessingFailed]
        );
        assert!(put_data(&r).is_empty());

        // A refused piece leaves its envelope failed whole, with its data:
        // here the first envelope's failing piece (the usable pieces are
        // put first, then the failing ones).
        let r = Reingester::new(Fake::default(), true, RetryPolicy::default());
        r.settle(&mut fresh(), &cfg, far()).await;
        let refused = put_data(&r)[3].clone();
        let mut processed2 = fresh();
        let r = Reingester::new(
            Fake {
                always_refuse: vec![refused],
                ..Fake::default()
            },
            true,
            RetryPolicy::default(),
        );
        r.settle(&mut processed2, &cfg, far()).await;
        assert_eq!(
            results_of(&processed2),
            [ProcessingFailed, Dropped, Dropped]
        );
        assert!(!processed2.response.records[0].data.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn an_envelope_set_apart_that_fails_whole_leaves_no_failing_piece_to_count_again() {
        use cognito_activity::RecordResult::*;
        let cfg = Config::default();
        let event = envelopes_event(&[vec![sign_in(0), "not a Cognito record".to_string()]]);
        // Learn the pieces (the usable one, then the failing one), then
        // refuse the usable one for good.
        let r = Reingester::new(Fake::default(), true, RetryPolicy::default());
        r.settle(
            &mut cognito_activity::process_event(&event, &cfg).unwrap(),
            &cfg,
            far(),
        )
        .await;
        let usable = put_data(&r)[0].clone();
        let mut processed = cognito_activity::process_event(&event, &cfg).unwrap();
        let r = Reingester::new(
            Fake {
                always_refuse: vec![usable.clone()],
                ..Fake::default()
            },
            true,
            RetryPolicy::default(),
        );
        r.settle(&mut processed, &cfg, far()).await;
        // The envelope fails whole, counted here under its code.
        assert_eq!(results_of(&processed), [ProcessingFailed]);
        assert_eq!(processed.stats.failures.values().sum::<u64>(), 1);

        // What reached the stream, read again: the bad event must not be
        // counted a second time.
        let mut again: serde_json::Value = serde_json::from_slice(&envelopes_event(&[])).unwrap();
        again["records"] = put_data(&r)
            .iter()
            .filter(|p| **p != usable)
            .enumerate()
            .map(|(i, p)| {
                serde_json::json!({"recordId": format!("p{i}"),
                "data": cognito_activity::decode::base64_encode(p)})
            })
            .collect();
        let mut read = cognito_activity::process_event(&serde_json::to_vec(&again).unwrap(), &cfg)
            .unwrap()
            .into_owned();
        let r = Reingester::new(Fake::default(), true, RetryPolicy::default());
        r.settle(&mut read, &cfg, far()).await;
        assert_eq!(
            processed.stats.failures.values().sum::<u64>()
                + read.stats.failures.values().sum::<u64>(),
            1,
            "the bad event is counted once"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn with_reingest_off_a_failing_envelope_fails_whole_as_before() {
        let cfg = Config::default();
        let event = envelopes_event(&[vec![sign_in(0), "not a Cognito record".to_string()]]);
        let mut processed = cognito_activity::process_event(&event, &cfg).unwrap();
        let r = Reingester::new(Fake::default(), false, RetryPolicy::default());
        r.settle(&mut processed, &cfg, far()).await;
        assert!(r.sink.calls.borrow().is_empty());
        let answer = &processed.response.records[0];
        assert_eq!(
            answer.result,
            cognito_activity::RecordResult::ProcessingFailed
        );
        assert!(!answer.data.is_empty(), "the original data comes back");
        assert_eq!(processed.stats.records_failed, 1);
        assert_eq!(failures(&processed), [("json", 1)]);

        // Each such envelope is named once ("record failed"), not again
        // when it is answered: 30 of them take 30 of the 25 warnings.
        let many = envelopes_event(&vec![
            vec![sign_in(0), "not a Cognito record".to_string()];
            30
        ]);
        let mut processed = cognito_activity::process_event(&many, &cfg).unwrap();
        r.settle(&mut processed, &cfg, far()).await;
        assert_eq!(processed.warnings.demoted(), 30 - 25);
        assert_eq!(failures(&processed), [("json", 30)]);

        // A plain (not gzip) envelope is not set apart: it fails at once.
        let mut plain: serde_json::Value = serde_json::from_slice(&event).unwrap();
        let gz =
            cognito_activity::decode::base64_decode(plain["records"][0]["data"].as_str().unwrap())
                .unwrap();
        let text = cognito_activity::decode::gunzip_capped(&gz, 1 << 20).unwrap();
        plain["records"][0]["data"] = cognito_activity::decode::base64_encode(&text).into();
        let processed = cognito_activity::process_event(&serde_json::to_vec(&plain).unwrap(), &cfg)
            .unwrap()
            .into_owned();
        assert!(processed.overflow.is_empty());
        assert_eq!(
            processed.response.records[0].result,
            cognito_activity::RecordResult::ProcessingFailed
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_envelope_too_large_alone_goes_back_in_pieces_and_is_dropped() {
        let (mut processed, cfg) = overflowing(20_000);
        assert!(processed.overflow[0].exceeds_budget_alone);
        let r = Reingester::new(Fake::default(), true, RetryPolicy::default());
        r.settle(&mut processed, &cfg, far()).await;
        let calls = r.sink.calls.borrow();
        let pieces: Vec<&Entry> = calls.iter().flatten().collect();
        assert!(pieces.len() > 2, "{} pieces", pieces.len());
        let probe = Probe::new(&cfg, processed.delivery_stream_arn.as_deref());
        assert!(pieces.iter().all(|e| probe.answer_len(&e.data) <= 10_000));
        assert_eq!(
            processed.response.records[0].result,
            cognito_activity::RecordResult::Dropped
        );
        assert_eq!(processed.stats.records_reingested, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn no_envelope_is_split_within_the_margin_of_the_deadline() {
        // Splitting inflates the envelope and compresses its pieces again at
        // each halving: with no time left it is not started, and the record
        // fails whole, with its data, under a reason of its own.
        let (mut processed, cfg) = overflowing(20_000);
        let r = Reingester::new(Fake::default(), true, RetryPolicy::default());
        let deadline = Instant::now() + r.policy.safety_margin;
        r.settle(&mut processed, &cfg, deadline).await;
        assert!(put_data(&r).is_empty());
        assert_eq!(
            results_of(&processed),
            [cognito_activity::RecordResult::ProcessingFailed]
        );
        assert!(!processed.response.records[0].data.is_empty());
        assert_eq!(failures(&processed), [("reingest_deadline", 1)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_record_with_one_piece_refused_stays_processing_failed() {
        let (mut processed, cfg) = overflowing(20_000);
        let r = Reingester::new(Fake::default(), true, RetryPolicy::default());
        // Learn the pieces, then refuse the second one for good.
        r.settle(&mut processed.clone(), &cfg, far()).await;
        let second = r.sink.calls.borrow()[0][1].data.clone();
        let r = Reingester::new(
            Fake {
                always_refuse: vec![second],
                ..Fake::default()
            },
            true,
            RetryPolicy::default(),
        );
        r.settle(&mut processed, &cfg, far()).await;
        assert_eq!(
            processed.response.records[0].result,
            cognito_activity::RecordResult::ProcessingFailed
        );
        assert_eq!(processed.stats.records_reingested, 0);
        assert_eq!(failures(&processed), [("reingest_partly_failed", 1)]);
    }

    #[tokio::test(start_paused = true)]
    async fn with_reingest_off_nothing_is_put() {
        let (mut processed, cfg) = overflowing(20_000);
        let r = Reingester::new(Fake::default(), false, RetryPolicy::default());
        r.settle(&mut processed, &cfg, far()).await;
        assert!(r.sink.calls.borrow().is_empty());
        assert!(processed.overflow.is_empty());
        assert_eq!(
            processed.response.records[0].result,
            cognito_activity::RecordResult::ProcessingFailed
        );
        assert_eq!(failures(&processed), [("reingest_disabled", 1)]);
    }

    #[test]
    fn full_jitter_stays_within_the_ceiling_and_varies() {
        let mut j = Jitter::new(42);
        let c = Duration::from_millis(100);
        let draws: Vec<Duration> = (0..200).map(|_| j.below(c)).collect();
        assert!(draws.iter().all(|d| *d <= c));
        assert!(draws.iter().any(|d| *d < c / 4) && draws.iter().any(|d| *d > c * 3 / 4));
        assert_eq!(j.below(Duration::ZERO), Duration::ZERO);
    }
}
