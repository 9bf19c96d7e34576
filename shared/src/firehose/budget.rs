//! The response budget, applied while records are transformed: every
//! record is first guaranteed its smallest answer, then pieces re-ingested
//! earlier take the rest in input order, each skipped when it does not
//! fit, then the other `Ok` records in input order until the first that
//! does not fit, which closes the response to them (see
//! [`super::batch::process_parsed`] for why answers are held tentatively).

use crate::decode::base64_len;
use crate::error::RecordError;
use crate::pipeline::RecordOutcome;

use super::wire::{
    Data, FirehoseEvent, FirehoseRecord, RecordResult, ResponseRecord, MIN_ANSWER_LEN_BUT_ID,
    RESPONSE_ENVELOPE_LEN,
};

/// What is kept of one record's outcome while the others are transformed.
pub(super) enum Kept<'a> {
    Ok(OkAnswer<'a>),
    Dropped {
        reason: &'static str,
    },
    Failed(RecordError),
    /// Came after the response closed, not a marked piece: not transformed,
    /// it overflows.
    Unread,
}

/// An `Ok` record: its answer's size always, its data only while the answer
/// is in the response.
pub(super) struct OkAnswer<'a> {
    /// The `Ok` answer; `data` is empty unless it `fits`.
    pub(super) answer: ResponseRecord<'a>,
    /// What the answer costs beyond the record's reserved minimal answer.
    pub(super) extra: usize,
    pub(super) events: usize,
    /// Re-ingested earlier ([`crate::envelope::MARKER_FIELD`]): served first.
    pub(super) marked: bool,
    /// In the response, as things stand (once out, never back in).
    pub(super) fits: bool,
}

/// The response budget, as records are admitted.
pub(super) struct Room {
    /// Each record's id, as a JSON string, in bytes: read once.
    pub(super) id_lens: Vec<usize>,
    /// What is left after every record's minimal answer is reserved.
    free: usize,
    /// Taken by marked answers (final: they are admitted in input order).
    marked_used: usize,
    /// Taken by unmarked answers that fit so far (tentative).
    unmarked_used: usize,
    /// An unmarked answer that could fit alone did not fit beside the
    /// others, or had to leave: no unmarked answer is admitted any more.
    closed: bool,
}

impl Room {
    pub(super) fn new(event: &FirehoseEvent<'_>, budget: usize) -> Self {
        let n = event.records.len();
        let id_lens: Vec<usize> = event
            .records
            .iter()
            .map(|r| crate::json::escape::str_len(&r.record_id))
            .collect();
        // Every record is first guaranteed its minimal answer.
        let reserved: usize = RESPONSE_ENVELOPE_LEN
            + n.saturating_sub(1)
            + id_lens
                .iter()
                .map(|len| len + MIN_ANSWER_LEN_BUT_ID)
                .sum::<usize>();
        Room {
            id_lens,
            free: budget.saturating_sub(reserved),
            marked_used: 0,
            unmarked_used: 0,
            closed: false,
        }
    }

    /// Whether the response is closed to unmarked answers: a record that
    /// is not a marked piece need not be transformed.
    pub(super) fn closed(&self) -> bool {
        self.closed
    }

    /// What is left for answers beyond the minimal ones.
    pub(super) fn free(&self) -> usize {
        self.free
            .saturating_sub(self.marked_used)
            .saturating_sub(self.unmarked_used)
    }

    /// Decides whether `outcome` fits, keeping its output as its answer's
    /// data if so and dropping it otherwise. `kept` holds the earlier
    /// records, whose unmarked answers may have to make way.
    pub(super) fn admit<'a>(
        &mut self,
        record: &FirehoseRecord<'a>,
        outcome: RecordOutcome,
        kept: &mut [Kept<'a>],
    ) -> Kept<'a> {
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
            record_id: record.record_id.clone(),
            result: RecordResult::Ok,
            data: Data::default(),
            partition_keys,
        };
        let data_len = base64_len(output.len());
        // The id costs the same in both answers.
        // (Never below the minimal answer: saturating only says so.)
        let extra = (answer.json_len_but_id() + data_len).saturating_sub(MIN_ANSWER_LEN_BUT_ID);
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
            let fits = !self.closed && extra <= self.free();
            if fits {
                self.unmarked_used += extra;
            } else if extra <= self.free {
                // It was crowded out. One that could never fit, even
                // alone, is passed over instead: it says nothing of the
                // records after it.
                self.closed = true;
            }
            fits
        };
        if fits {
            // Held as bytes; encoded when the response is written.
            answer.data = Data::Raw(output);
        }
        Kept::Ok(OkAnswer {
            answer,
            extra,
            events,
            marked,
            fits,
        })
    }

    /// Keeps the longest input-order run of the unmarked answers held
    /// that fits beside the marked ones, dropping the data of the rest,
    /// and closes the response.
    fn readmit_unmarked(&mut self, kept: &mut [Kept<'_>]) {
        let limit = self.free.saturating_sub(self.marked_used);
        let mut used = 0usize;
        let mut run = true;
        for entry in kept.iter_mut() {
            let Kept::Ok(ok) = entry else { continue };
            if ok.marked || !ok.fits {
                continue;
            }
            run = run && ok.extra <= limit - used;
            if run {
                used += ok.extra;
            } else {
                self.closed = true;
                ok.fits = false;
                ok.answer.data = Data::default();
            }
        }
        self.unmarked_used = used;
    }
}
