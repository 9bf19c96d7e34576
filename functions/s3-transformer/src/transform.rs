//! One object through the pipeline as its bytes arrive: fed chunk by chunk
//! (gunzipped on the way when it starts with gzip's magic), cut into lines,
//! each line through `pipeline::transform`, its output appended to the
//! output object of its partition. Memory is bounded by what is being
//! written, not by the object: at most `max_open_outputs` outputs are open,
//! each rolls over to its next object at `output_object_bytes` of gzip, and
//! a line longer than `MAX_DECOMPRESSED_BYTES` is skipped to its end, never
//! held. Objects ready to upload are handed out as they are closed.
//!
//! Every name derives from the source object's identity (bucket, key,
//! version or ETag), the partition and the roll-over count: the same object
//! always writes the same keys.

use std::collections::BTreeMap;
use std::io::Write;

use cognito_activity::config::Config;
use cognito_activity::decode::INFLATE_RATIO;
use cognito_activity::normalize::{Context, Transport};
use cognito_activity::pipeline::rejected::Rejections;
use cognito_activity::pipeline::{self, Holds, RecordOutcome};
use cognito_activity::Stats;

use crate::settings::Settings;

/// An object ready to upload.
#[derive(Debug, PartialEq, Eq)]
pub struct Ready {
    pub key: String,
    pub bytes: Vec<u8>,
    pub lines: u64,
}

/// Counts of one object.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Lines with content.
    pub lines: u64,
    /// Output lines written (one per kept event).
    pub events: u64,
    /// Lines whose every event was filtered out, or that held none.
    pub dropped: u64,
    pub rejected: u64,
}

/// The lines of one object, and what they become.
struct Lines<'c> {
    cfg: &'c Config,
    ctx: Context<'static>,
    stats: Stats,
    partial: Vec<u8>,
    /// Bytes of a line too long to hold, while skipping to its end.
    skipping: Option<usize>,
    number: u64,
    /// Decompressed bytes produced, and compressed bytes fed (gzip only).
    produced: u64,
    fed: u64,
    outputs: Outputs,
    rejections: Rejections,
    counts: Counts,
}

/// The open output objects, one per partition.
struct Outputs {
    prefix: String,
    stem: String,
    max_open: usize,
    max_bytes: usize,
    open: BTreeMap<String, Open>,
    rolled: BTreeMap<String, u32>,
    ready: Vec<Ready>,
}

struct Open {
    gz: flate2::write::GzEncoder<Vec<u8>>,
    lines: u64,
}

impl Outputs {
    fn append(&mut self, partition: &str, text: &[u8], lines: u64) {
        if !self.open.contains_key(partition) && self.open.len() >= self.max_open {
            // The fullest output closes first (then the first in order):
            // deterministic, so a re-run rolls over where this run did.
            let fullest = self
                .open
                .iter()
                .max_by(|a, b| {
                    a.1.gz
                        .get_ref()
                        .len()
                        .cmp(&b.1.gz.get_ref().len())
                        .then_with(|| b.0.cmp(a.0))
                })
                .map(|(k, _)| k.clone());
            if let Some(k) = fullest {
                self.close(&k);
            }
        }
        let open = self
            .open
            .entry(partition.to_string())
            .or_insert_with(|| Open {
                gz: flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()),
                lines: 0,
            });
        // Writing into memory cannot fail.
        let _ = open.gz.write_all(text);
        open.lines += lines;
        if open.gz.get_ref().len() >= self.max_bytes {
            self.close(partition);
        }
    }

    fn close(&mut self, partition: &str) {
        let Some(open) = self.open.remove(partition) else {
            return;
        };
        let n = self.rolled.entry(partition.to_string()).or_insert(0);
        let key = format!("{}{partition}{}-{:05}.json.gz", self.prefix, self.stem, n);
        *n += 1;
        if let Ok(bytes) = open.gz.finish() {
            self.ready.push(Ready {
                key,
                bytes,
                lines: open.lines,
            });
        }
    }

    fn close_all(&mut self) {
        let partitions: Vec<String> = self.open.keys().cloned().collect();
        for p in partitions {
            self.close(&p);
        }
    }
}

impl Lines<'_> {
    fn line(&mut self, text: &[u8]) {
        self.number += 1;
        if text.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        self.counts.lines += 1;
        let holds = Holds::DocumentsOrEnvelope { compressed: false };
        match pipeline::transform(
            export_message(text),
            holds,
            &self.ctx,
            self.cfg,
            &mut self.stats,
        ) {
            RecordOutcome::Ok {
                output,
                partition_keys,
                events,
                ..
            } => {
                let partition = match &partition_keys {
                    Some(keys) => self
                        .cfg
                        .partition_keys
                        .iter()
                        .map(|k| {
                            format!(
                                "{}={}/",
                                k.as_str(),
                                keys.get(k.as_str()).map_or("unknown", String::as_str)
                            )
                        })
                        .collect(),
                    None => String::new(),
                };
                self.counts.events += events as u64;
                self.outputs.append(&partition, &output, events as u64);
            }
            RecordOutcome::Dropped { .. } => self.counts.dropped += 1,
            RecordOutcome::Failed(e) => {
                self.counts.rejected += 1;
                self.rejections.push(
                    self.number,
                    "S3Transformer.Unusable",
                    e.to_string(),
                    Some(text),
                );
            }
        }
    }

    fn too_long(&mut self, len: usize) {
        self.number += 1;
        self.counts.lines += 1;
        self.counts.rejected += 1;
        let max = self.cfg.max_decompressed_bytes;
        self.rejections.push(
            self.number,
            "S3Transformer.TooLong",
            format!("line of {len} bytes is longer than MAX_DECOMPRESSED_BYTES ({max}); its bytes are in the source object and its copy"),
            None,
        );
    }
}

/// A CloudWatch Logs export to S3 writes each log event as its timestamp, a
/// space, and the message (`2024-08-07T22:34:33.369Z {"eventTimestamp":...}`):
/// the message. Any other line is taken as it is.
pub(crate) fn export_message(line: &[u8]) -> &[u8] {
    let stamp_len = line.iter().position(|&b| b == b' ').unwrap_or(0);
    let looks_like_a_stamp = (20..=35).contains(&stamp_len)
        && line
            .get(..4)
            .is_some_and(|y| y.iter().all(u8::is_ascii_digit))
        && line.get(4) == Some(&b'-')
        && line.get(10) == Some(&b'T');
    match line.get(stamp_len + 1..) {
        Some(message) if looks_like_a_stamp && message.first() == Some(&b'{') => message,
        _ => line,
    }
}

/// The decompressed side: cuts text into lines.
impl Write for Lines<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.produced += buf.len() as u64;
        if self.fed > 0 {
            let allowed =
                self.cfg.max_decompressed_bytes as u64 + INFLATE_RATIO.saturating_mul(self.fed);
            if self.produced > allowed {
                return Err(std::io::Error::other(format!(
                    "gzip data expands past {allowed} bytes ({INFLATE_RATIO} times its size read so far)"
                )));
            }
        }
        let max = self.cfg.max_decompressed_bytes;
        let mut rest = buf;
        while !rest.is_empty() {
            let end = rest.iter().position(|&b| b == b'\n');
            let (piece, next) = match end {
                Some(i) => (
                    rest.get(..i).unwrap_or_default(),
                    rest.get(i + 1..).unwrap_or_default(),
                ),
                None => (rest, &[][..]),
            };
            match self.skipping.as_mut() {
                Some(len) => *len += piece.len(),
                None if self.partial.len() + piece.len() > max => {
                    self.skipping = Some(self.partial.len() + piece.len());
                    self.partial.clear();
                }
                None => self.partial.extend_from_slice(piece),
            }
            if end.is_some() {
                self.end_line();
            }
            rest = next;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines<'_> {
    fn end_line(&mut self) {
        match self.skipping.take() {
            Some(len) => self.too_long(len),
            None => {
                let text = std::mem::take(&mut self.partial);
                self.line(&text);
                self.partial = text;
                self.partial.clear();
            }
        }
    }
}

enum Input {
    /// Not known until the first two bytes arrive.
    Start(Vec<u8>),
    Plain,
    /// Inflates into its buffer, which is cut into lines after each step;
    /// the bytes of a step not yet whole wait beside it.
    Gzip(Box<(flate2::write::MultiGzDecoder<Vec<u8>>, Vec<u8>)>),
}

/// Compressed bytes inflated at a time: what one step can produce is
/// bounded by this times deflate's largest ratio (about 1,032), before
/// `Lines::write` checks the allowance, and a step that fails (corrupt
/// data) takes the lines it would have finished with it. The steps start at
/// fixed offsets of the object, whatever sizes S3 hands its body over in,
/// so a run stops at the same line every time: a retry rewrites the same
/// keys with the same bytes.
const GZIP_STEP: usize = 256;

/// One step of gzip input through the decoder, its output cut into lines
/// (and counted there against the input fed so far).
fn inflate_step(
    gz: &mut flate2::write::MultiGzDecoder<Vec<u8>>,
    lines: &mut Lines<'_>,
    step: &[u8],
) -> std::io::Result<()> {
    lines.fed += step.len() as u64;
    // Flushed: the decoder hands over what the step inflated now, not at
    // the next step.
    let inflating = gz.write_all(step).and_then(|()| gz.flush());
    let inflated = std::mem::take(gz.get_mut());
    let result = lines.write_all(&inflated);
    *gz.get_mut() = inflated;
    gz.get_mut().clear();
    inflating.and(result)
}

/// One object being transformed.
pub struct ObjectTransform<'c> {
    input: Input,
    lines: Lines<'c>,
    failed: Option<String>,
}

/// What one object came to.
#[derive(Debug)]
pub struct Finished {
    /// What every name written from this source derives from: the first
    /// 16 bytes of the SHA-256 of its identity, in hex.
    pub stem: String,
    pub ready: Vec<Ready>,
    pub counts: Counts,
    /// The rejected lines, when there are any (finished by the handler,
    /// which copies the source object first when some lack their bytes).
    pub rejections: Option<Rejections>,
    /// Why the object could not be read to its end, if it could not.
    pub unreadable: Option<String>,
}

impl<'c> ObjectTransform<'c> {
    /// `identity` names the source object (bucket, key, version); `source`
    /// and `version` go into rejected lines.
    pub fn new(
        settings: &Settings,
        cfg: &'c Config,
        identity: &str,
        source: &str,
        version: &str,
    ) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(identity.as_bytes());
        let stem: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let lines = Lines {
            cfg,
            ctx: Context {
                transport: Some(Transport::Direct),
                ..Context::default()
            },
            stats: Stats::default(),
            partial: Vec::new(),
            skipping: None,
            number: 0,
            produced: 0,
            fed: 0,
            outputs: Outputs {
                prefix: settings.output_prefix.clone(),
                stem,
                max_open: settings.max_open_outputs,
                max_bytes: settings.output_object_bytes,
                open: BTreeMap::new(),
                rolled: BTreeMap::new(),
                ready: Vec::new(),
            },
            rejections: Rejections::new(source, version),
            counts: Counts::default(),
        };
        ObjectTransform {
            input: Input::Start(Vec::new()),
            lines,
            failed: None,
        }
    }

    /// Feeds the next bytes of the object. After a failure (corrupt gzip,
    /// an expansion past the allowance) the rest is ignored; `finish` says why.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        if let Input::Start(head) = &mut self.input {
            head.extend_from_slice(chunk);
            if head.len() < 2 {
                return;
            }
            let head = std::mem::take(head);
            self.input = if head.starts_with(&[0x1f, 0x8b]) {
                // Bounded: fed a step at a time, its output counted against
                // its input by `Lines::write`.
                #[allow(clippy::disallowed_methods)]
                let gz = flate2::write::MultiGzDecoder::new(Vec::new());
                Input::Gzip(Box::new((gz, Vec::with_capacity(GZIP_STEP))))
            } else {
                Input::Plain
            };
            return self.feed(&head);
        }
        let result = match &mut self.input {
            Input::Start(_) => Ok(()),
            Input::Plain => self.lines.write_all(chunk),
            Input::Gzip(gzip) => {
                let (gz, step) = &mut **gzip;
                let mut rest = chunk;
                let mut result = Ok(());
                while !rest.is_empty() && result.is_ok() {
                    let (taken, after) = rest.split_at(rest.len().min(GZIP_STEP - step.len()));
                    step.extend_from_slice(taken);
                    rest = after;
                    if step.len() == GZIP_STEP {
                        result = inflate_step(gz, &mut self.lines, step);
                        step.clear();
                    }
                }
                result
            }
        };
        if let Err(e) = result {
            self.failed = Some(e.to_string());
        }
    }

    /// The output objects closed so far, to upload now.
    pub fn take_ready(&mut self) -> Vec<Ready> {
        std::mem::take(&mut self.lines.outputs.ready)
    }

    /// Ends the object: the last line, the gzip trailer, every open output.
    pub fn finish(mut self) -> Finished {
        let mut failed = self.failed.take();
        if failed.is_none() {
            let end = match &mut self.input {
                Input::Start(head) => {
                    let head = std::mem::take(head);
                    self.lines.write_all(&head)
                }
                Input::Plain => Ok(()),
                Input::Gzip(gzip) => {
                    let (gz, step) = &mut **gzip;
                    inflate_step(gz, &mut self.lines, step).and_then(|()| {
                        gz.try_finish()?;
                        let inflated = std::mem::take(gz.get_mut());
                        self.lines.write_all(&inflated)
                    })
                }
            };
            if let Err(e) = end {
                failed = Some(e.to_string());
            }
        }
        let lines = &mut self.lines;
        if failed.is_none() && (!lines.partial.is_empty() || lines.skipping.is_some()) {
            lines.end_line();
        }
        if let Some(why) = &failed {
            lines.counts.rejected += 1;
            let next = lines.number + 1;
            lines.rejections.push(
                next,
                "S3Transformer.Unreadable",
                format!("the object cannot be read past this line: {why}"),
                None,
            );
        }
        lines.outputs.close_all();
        let Lines {
            outputs,
            rejections,
            counts,
            ..
        } = self.lines;
        let rejections = (!rejections.is_empty()).then_some(rejections);
        Finished {
            stem: outputs.stem,
            ready: outputs.ready,
            counts,
            rejections,
            unreadable: failed,
        }
    }
}
