//! The pipeline every route runs: a payload of Cognito log documents in,
//! normalized events through the filters, formatted lines out, with their
//! partition keys and counts.
//!
//! A route (the Firehose batch, the CLI, next the S3 route) decodes its
//! carrier (base64, gzip) and says what the payload [`Holds`]; the pipeline
//! does the rest the same way for all of them:
//!
//! ```text
//! payload bytes --utf8--> documents or envelope --normalize--> Normalized
//!     --filter--> output::write_line --> lines (+ partition keys, Stats)
//! ```
//!
//! [`reader`] feeds it from a stream of any size, one line at a time.

pub mod reader;
pub mod rejected;

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::cognito::{parse_documents, Object};
use crate::config::{Config, OutputFormat};
use crate::decode::utf8;
use crate::envelope::{parse_envelope, stream_envelope, Envelope, LogEvent, Message};
use crate::error::RecordError;
use crate::filter;
use crate::json::parse::{escaped_document, unescape};
use crate::normalize::{normalize, normalize_text, Context, Normalized, Transport};
use crate::output;
use crate::stats::Stats;

/// What a payload holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// Cognito log documents: one JSON document, newline-delimited or
    /// concatenated ones.
    Documents,
    /// Either documents or a CloudWatch Logs subscription envelope, told
    /// apart by shape: the carrier mixes them (a Firehose stream takes
    /// Cognito's own delivery and CloudWatch Logs subscriptions alike).
    /// `compressed`: the payload was gzip, as CloudWatch Logs delivers
    /// envelopes; one that then looks like a broken envelope fails as one
    /// instead of being read as documents.
    DocumentsOrEnvelope { compressed: bool },
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
        /// [`crate::envelope::MARKER_FIELD`]): served first by the response budget.
        reingested: bool,
    },
    /// Nothing to deliver: a control message, an empty envelope, or every
    /// event filtered out.
    Dropped {
        reason: &'static str,
    },
    Failed(RecordError),
}

/// Runs one payload through the pipeline. `ctx` is what the route knows of
/// where the payload came from (transport, account, arrival time); an
/// envelope adds its own (log group, stream, event id and time, owner).
/// Never panics; every error is a `Failed` outcome.
pub fn transform(
    payload: &[u8],
    holds: Holds,
    ctx: &Context<'_>,
    cfg: &Config,
    stats: &mut Stats,
) -> RecordOutcome {
    let text = match utf8(payload) {
        Ok(t) => t,
        Err(e) => return RecordOutcome::Failed(e),
    };
    if text.trim().is_empty() {
        return RecordOutcome::Failed(RecordError::Empty);
    }
    let compressed = match holds {
        Holds::Documents => false,
        Holds::DocumentsOrEnvelope { compressed } => compressed,
    };
    if compressed {
        // A gzip envelope as CloudWatch Logs writes it is read and
        // transformed in one pass.
        if let Some(outcome) = envelope_in_one_pass(text, ctx, cfg, stats) {
            return outcome;
        }
    } else if let Some(n) = &normalize_text(text, ctx, cfg) {
        // The usual record, one Cognito object as Cognito writes it, is
        // normalized as it is parsed. Borrowed where it was returned: moved
        // out of the `Option`, its 944 bytes were copied once more.
        let mut sink = Sink::new(cfg, text.len());
        sink.push_normalized(n, stats);
        return sink.finish();
    }
    general(text, holds, compressed, ctx, cfg, stats)
}

/// The general way, for any payload: parsed whole (every document, or the
/// whole envelope), then each event normalized. The fast ways above give
/// its answer whenever they answer (property tests hold them to it).
fn general(
    text: &str,
    holds: Holds,
    compressed: bool,
    ctx: &Context<'_>,
    cfg: &Config,
    stats: &mut Stats,
) -> RecordOutcome {
    let mut sink = Sink::new(cfg, text.len());
    // Plain text is parsed as Cognito records first: only one object with a
    // top-level `messageType` can be an envelope, and asking that of the
    // parsed tree is cheaper than searching every record's text for it.
    let plain_docs = (!compressed).then(|| parse_documents(text));
    let envelope = match (&plain_docs, holds) {
        (_, Holds::Documents) => Ok(None),
        (Some(Ok(docs)), _) if !(docs.len() == 1 && docs[0].get("messageType").is_some()) => {
            Ok(None)
        }
        _ => parse_envelope(text, compressed),
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
            let account = env.owner.clone().or_else(|| ctx.account_id.clone());
            for (index, ev) in env.log_events.iter().enumerate() {
                if let Err(e) = push_log_event(&env, &account, ev, ctx, &mut sink, stats) {
                    return RecordOutcome::Failed(RecordError::LogEvent {
                        index,
                        inner: Box::new(e),
                    });
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
            for (index, doc) in docs.iter().enumerate() {
                if let Err(e) = sink.push(doc, ctx, stats) {
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

/// Normalizes one log event of `env` into `sink`: read straight from the
/// escaped text when the message has the common form, unescaped and parsed
/// otherwise.
fn push_log_event<'a>(
    env: &Envelope<'a>,
    account: &Option<Cow<'a, str>>,
    ev: &LogEvent<'a>,
    ctx: &Context<'a>,
    sink: &mut Sink<'_>,
    stats: &mut Stats,
) -> Result<(), RecordError> {
    let ev_ctx = log_event_context(env, account, &ev.id, ev.timestamp, ctx);
    let message;
    let docs = match escaped_document(ev.raw_message) {
        Some(doc) => vec![doc],
        None => {
            message = ev.message().map_err(RecordError::Json)?;
            parse_documents(&message)?
        }
    };
    docs.iter()
        .try_for_each(|doc| sink.push(doc, &ev_ctx, stats))
}

/// Which log events of a CloudWatch Logs data message fail when
/// transformed (`true`), each on its own as [`transform`] reads it inside
/// the envelope: for the Firehose function to set an envelope's failing
/// events apart from the others (docs/reliability.md). `None` when `text`
/// is not a data message with log events.
pub fn failing_log_events(
    text: &str,
    compressed: bool,
    ctx: &Context<'_>,
    cfg: &Config,
) -> Option<Vec<bool>> {
    let env = parse_envelope(text, compressed).ok()??;
    if env.message_type.as_deref() != Some("DATA_MESSAGE") || env.log_events.is_empty() {
        return None;
    }
    let account = env.owner.clone().or_else(|| ctx.account_id.clone());
    let mut stats = Stats::default();
    Some(
        env.log_events
            .iter()
            .map(|ev| {
                // A sink of its own: the events' output is not kept.
                let mut sink = Sink::new(cfg, 0);
                push_log_event(&env, &account, ev, ctx, &mut sink, &mut stats).is_err()
            })
            .collect(),
    )
}

/// What a log event of `env` is normalized with.
fn log_event_context<'a>(
    env: &Envelope<'a>,
    account: &Option<Cow<'a, str>>,
    id: &Option<Cow<'a, str>>,
    timestamp: Option<i64>,
    ctx: &Context<'a>,
) -> Context<'a> {
    Context {
        transport: Some(Transport::CloudwatchLogs),
        account_id: account.clone(),
        log_group: env.log_group.clone(),
        log_stream: env.log_stream.clone(),
        log_event_id: id.clone(),
        log_event_time_ms: timestamp,
        arrival_time_ms: ctx.arrival_time_ms,
    }
}

/// A gzip envelope read and transformed in one pass
/// ([`stream_envelope`]). `None` when the one pass cannot promise the
/// general way's answer (another layout, a fault, a message that fails):
/// `stats` are then as they were, and the general way finds the answer.
fn envelope_in_one_pass(
    text: &str,
    ctx: &Context<'_>,
    cfg: &Config,
    stats: &mut Stats,
) -> Option<RecordOutcome> {
    // The sink, and the counts as they were to put back on giving up,
    // made at the first event: text that is no envelope at all gives up
    // before needing either.
    let mut started: Option<(Sink, Stats)> = None;
    let mut account = None;
    let env = stream_envelope(text, |env, ev| {
        let (sink, _) = started.get_or_insert_with(|| (Sink::new(cfg, text.len()), stats.clone()));
        let account =
            account.get_or_insert_with(|| env.owner.clone().or_else(|| ctx.account_id.clone()));
        let ev_ctx = log_event_context(env, account, &ev.id, ev.timestamp, ctx);
        let message;
        let docs = match ev.message {
            Message::Document(doc) => vec![doc],
            Message::Raw(raw) => {
                message = unescape(raw).map_err(drop)?;
                parse_documents(&message).map_err(drop)?
            }
        };
        docs.iter()
            .try_for_each(|doc| sink.push(doc, &ev_ctx, stats))
            .map_err(drop)
    });
    let (env, sink) = match (env, started) {
        (Some(env), Some((sink, _))) => (env, sink),
        (_, started) => {
            if let Some((_, before)) = started {
                *stats = before;
            }
            return None;
        }
    };
    let mut outcome = sink.finish();
    if let RecordOutcome::Ok { reingested, .. } = &mut outcome {
        *reingested = env.reingested;
    }
    Some(outcome)
}

/// Collects the output lines of one record.
struct Sink<'c> {
    cfg: &'c Config,
    output: Vec<u8>,
    keys: Option<BTreeMap<&'static str, String>>,
    events: usize,
}

impl<'c> Sink<'c> {
    fn new(cfg: &'c Config, input_len: usize) -> Self {
        Sink {
            cfg,
            // Output is about 1.4 times the input in the normalized format
            // and 1.65 in OCSF and ECS: room for it from the start.
            output: Vec::with_capacity(match cfg.output_format {
                OutputFormat::Normalized | OutputFormat::Splunk => input_len + input_len / 2,
                _ => input_len * 2,
            }),
            keys: None,
            events: 0,
        }
    }

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

#[cfg(test)]
mod one_pass_tests;
