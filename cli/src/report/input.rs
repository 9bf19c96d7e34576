//! Reading events for the report: raw Cognito log lines or any of our own
//! output formats (normalized, OCSF, ECS, Splunk HEC), plain or gzip, one
//! JSON object per line, each line mapped to a [`Row`].
//!
//! Streamed: a line at a time, never a whole file. A line longer than
//! [`MAX_LINE_BYTES`] is counted as bad and skipped, and a gzip stream stops
//! with an error past `max_decompressed` bytes, so neither a huge line nor a
//! decompression bomb can take memory or time out of proportion.
//!
//! Raw lines (Cognito documents or CloudWatch Logs envelopes) go through the
//! library's pipeline, exactly as `cognito-activity normalize` runs it; our formats are mapped back to the
//! same columns field by field (see `docs/analysis.md` for the table).

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use cognito_activity::config::OutputFormat;
use cognito_activity::normalize::{Challenge, Context, Outcome};
use cognito_activity::pipeline::reader::{Line, Lines};
use cognito_activity::pipeline::{self, Holds, RecordOutcome};
use cognito_activity::{decode, Config};
use serde_json::Value;

use super::row::{country_key, parse_rfc3339_utc, ChallengeAttempt, Row};

/// Longest line read; Cognito records are a few KB.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// One input, readable more than once (the report reads its input twice).
pub enum Source {
    Path(PathBuf),
    /// Standard input, copied to an anonymous temporary file first.
    Spooled(File),
}

impl Source {
    pub fn name(&self) -> String {
        match self {
            Source::Path(p) => p.display().to_string(),
            Source::Spooled(_) => "<stdin>".to_string(),
        }
    }

    /// Standard input, spooled to disk so it can be read twice.
    pub fn stdin() -> Result<Source> {
        let mut file = tempfile::tempfile().context("creating a temporary file for stdin")?;
        std::io::copy(&mut std::io::stdin().lock(), &mut file).context("reading stdin")?;
        Ok(Source::Spooled(file))
    }

    fn open(&self) -> Result<Box<dyn Read>> {
        Ok(match self {
            Source::Path(p) => {
                Box::new(File::open(p).with_context(|| format!("opening {}", p.display()))?)
            }
            Source::Spooled(f) => {
                let mut f = f.try_clone().context("reopening stdin's copy")?;
                f.seek(SeekFrom::Start(0))?;
                Box::new(f)
            }
        })
    }
}

/// What reading found, beside the rows.
#[derive(Debug, Default, Clone)]
pub struct InputStats {
    pub lines: u64,
    pub events: u64,
    pub bad_lines: u64,
    /// Events read per format, in [`Format`] order.
    pub formats: [u64; 5],
}

/// The formats a line can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Raw,
    Normalized,
    Ocsf,
    Ecs,
    Splunk,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Raw,
        Format::Normalized,
        Format::Ocsf,
        Format::Ecs,
        Format::Splunk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Raw => "raw Cognito",
            Format::Normalized => "normalized",
            Format::Ocsf => "OCSF",
            Format::Ecs => "ECS",
            Format::Splunk => "Splunk HEC",
        }
    }
}

/// Reads every source, calling `each` with every row.
pub fn read_all(
    sources: &[Source],
    cfg: &Config,
    max_decompressed: u64,
    mut each: impl FnMut(&Row),
) -> Result<InputStats> {
    let mut stats = InputStats::default();
    let ctx = Context::default();
    // Raw lines go through the pipeline in the normalized format, then to
    // rows as our normalized lines do.
    let cfg = Config {
        output_format: OutputFormat::Normalized,
        ..cfg.clone()
    };
    let mut pipeline_stats = cognito_activity::Stats::default();
    for source in sources {
        let name = source.name();
        let mut reader = BufReader::with_capacity(256 * 1024, source.open()?);
        let gzip = decode::is_gzip(
            reader
                .fill_buf()
                .with_context(|| format!("reading {name}"))?,
        );
        let reader: Box<dyn BufRead> = if gzip {
            Box::new(BufReader::with_capacity(
                256 * 1024,
                Capped::new(gunzip_stream(reader), max_decompressed, name.clone()),
            ))
        } else {
            Box::new(reader)
        };
        let mut lines = Lines::new(reader, MAX_LINE_BYTES);
        while let Some((lineno, line)) = lines
            .next_line()
            .with_context(|| format!("reading {name}"))?
        {
            let line = match line {
                Line::Text(text) if text.iter().all(u8::is_ascii_whitespace) => continue,
                Line::Text(text) => text,
                Line::TooLong { .. } => {
                    stats.lines += 1;
                    stats.bad_lines += 1;
                    eprintln!("{name}:{lineno}: line longer than {MAX_LINE_BYTES} bytes, skipped");
                    continue;
                }
            };
            stats.lines += 1;
            let (events, formats) = (&mut stats.events, &mut stats.formats);
            let result = rows_of_line(line, &ctx, &cfg, &mut pipeline_stats, &mut |format, row| {
                *events += 1;
                formats[format as usize] += 1;
                each(row);
            });
            if let Err(reason) = result {
                stats.bad_lines += 1;
                eprintln!("{name}:{lineno}: {reason}");
            }
        }
    }
    Ok(stats)
}

/// A streaming gzip decoder (multi-member, like `gzip -c a b`). The
/// workspace bans unbounded decoders; this one is bounded by [`Capped`],
/// which every caller wraps it in, and memory stays at its buffers since
/// it streams.
#[allow(clippy::disallowed_methods)]
fn gunzip_stream<R: BufRead>(reader: R) -> flate2::bufread::MultiGzDecoder<R> {
    flate2::bufread::MultiGzDecoder::new(reader)
}

/// A reader that fails (rather than truncating silently) past `limit` bytes.
struct Capped<R> {
    inner: R,
    left: u64,
    limit: u64,
    name: String,
}

impl<R> Capped<R> {
    fn new(inner: R, limit: u64, name: String) -> Self {
        Capped {
            inner,
            left: limit,
            limit,
            name,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        match self.left.checked_sub(n as u64) {
            Some(left) => {
                self.left = left;
                Ok(n)
            }
            None => Err(std::io::Error::other(format!(
                "{} expands past {} bytes (--max-decompressed-bytes)",
                self.name, self.limit
            ))),
        }
    }
}

/// The rows of one line, with the format they were read from.
fn rows_of_line(
    line: &[u8],
    ctx: &Context<'_>,
    cfg: &Config,
    stats: &mut cognito_activity::Stats,
    each: &mut dyn FnMut(Format, &Row),
) -> Result<(), String> {
    let text = decode::utf8(line).map_err(|e| e.to_string())?;
    // One of our formats is exactly one JSON object with its own marker
    // keys; anything else (including several concatenated records) is
    // handed to the library's normalizer as raw Cognito log text.
    if let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(text) {
        let format = if obj.contains_key("class_uid") {
            Some(Format::Ocsf)
        } else if obj.contains_key("@timestamp") {
            Some(Format::Ecs)
        } else if obj.contains_key("sourcetype") && obj.get("event").is_some_and(Value::is_object) {
            Some(Format::Splunk)
        } else if obj.contains_key("schema_version") && obj.contains_key("kind") {
            Some(Format::Normalized)
        } else {
            None
        };
        if let Some(format) = format {
            let value = Value::Object(obj);
            let row = match format {
                Format::Ocsf => from_ocsf(&value),
                Format::Ecs => from_ecs(&value),
                Format::Splunk => from_normalized_json(&value["event"]),
                _ => from_normalized_json(&value),
            };
            each(format, &row);
            return Ok(());
        }
    }
    // Raw Cognito text (documents or a CloudWatch Logs envelope): the
    // library's pipeline, as `normalize` runs it, whole or not at all.
    let holds = Holds::DocumentsOrEnvelope { compressed: false };
    match pipeline::transform(line, holds, ctx, cfg, stats) {
        RecordOutcome::Ok { output, .. } => {
            let rows = output
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| serde_json::from_slice::<Value>(l).map(|v| from_normalized_json(&v)))
                .collect::<Result<Vec<Row>, _>>()
                .map_err(|e| e.to_string())?;
            for row in &rows {
                each(Format::Raw, row);
            }
            Ok(())
        }
        RecordOutcome::Dropped { .. } => Ok(()),
        RecordOutcome::Failed(e) => Err(e.to_string()),
    }
}

/// The string at a JSON pointer, or a number or boolean as its text.
fn text(v: &Value, pointer: &str) -> Option<String> {
    match v.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn challenges(v: &Value, pointer: &str) -> Vec<ChallengeAttempt> {
    let Some(Value::Array(items)) = v.pointer(pointer) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|c| {
            let name = text(c, "/name")?;
            let result = text(c, "/result").unwrap_or_default();
            let mfa = Challenge {
                name: Cow::Borrowed(name.as_str()),
                result: None,
            }
            .is_mfa();
            Some(ChallengeAttempt { name, result, mfa })
        })
        .collect()
}

fn outcome(word: Option<&str>) -> Outcome {
    match word {
        Some("success") => Outcome::Success,
        Some("failure") => Outcome::Failure,
        Some("in_progress") => Outcome::InProgress,
        _ => Outcome::Unknown,
    }
}

/// A normalized record (also the `event` of a Splunk HEC event).
fn from_normalized_json(v: &Value) -> Row {
    Row {
        time_ms: v
            .get("time_ms")
            .and_then(Value::as_i64)
            .or_else(|| text(v, "/time").and_then(|t| parse_rfc3339_utc(&t))),
        user: text(v, "/user/name").or_else(|| text(v, "/user/sub")),
        pool: text(v, "/user/pool_id"),
        outcome: outcome(text(v, "/event/outcome").as_deref()),
        event_type: text(v, "/event/type"),
        source_ip: text(v, "/source/ip").or_else(|| text(v, "/source/ip_hash")),
        city: text(v, "/source/city"),
        country: text(v, "/source/country_code")
            .or_else(|| text(v, "/source/country").map(|c| country_key(&c))),
        risk_decision: text(v, "/risk/decision"),
        risk_level: text(v, "/risk/level"),
        compromised_credentials: v
            .pointer("/risk/compromised_credentials")
            .and_then(Value::as_bool),
        challenges: challenges(v, "/challenges"),
        device: text(v, "/device/name"),
    }
}

/// An OCSF Authentication or Account Change event (docs/ocsf.md).
fn from_ocsf(v: &Value) -> Row {
    // status_code is Cognito's eventResponse as written; status_id is the
    // fallback (1 Success, 2 Failure).
    let outcome = match text(v, "/status_code") {
        Some(code) => Outcome::from_response(Some(&code)),
        None => match v.get("status_id").and_then(Value::as_u64) {
            Some(1) => Outcome::Success,
            Some(2) => Outcome::Failure,
            _ => Outcome::Unknown,
        },
    };
    Row {
        time_ms: v.get("time").and_then(Value::as_i64),
        user: text(v, "/user/name").or_else(|| text(v, "/user/uid")),
        pool: text(v, "/user/account/uid"),
        outcome,
        event_type: text(v, "/metadata/event_code"),
        // Under IP_MODE=hash the address's HMAC is the endpoint's uid.
        source_ip: text(v, "/src_endpoint/ip").or_else(|| text(v, "/src_endpoint/uid")),
        city: text(v, "/src_endpoint/location/city"),
        country: text(v, "/src_endpoint/location/country")
            .or_else(|| text(v, "/unmapped/source/country"))
            .map(|c| country_key(&c)),
        risk_decision: text(v, "/unmapped/risk/decision"),
        risk_level: text(v, "/unmapped/risk/level"),
        compromised_credentials: v
            .pointer("/unmapped/risk/compromised_credentials")
            .and_then(Value::as_bool),
        challenges: challenges(v, "/unmapped/challenges"),
        device: text(v, "/http_request/user_agent"),
    }
}

/// An ECS document (docs/ecs.md).
fn from_ecs(v: &Value) -> Row {
    // cognito.event_response is Cognito's word; event.outcome cannot say
    // in_progress.
    let outcome = match text(v, "/cognito/event_response") {
        Some(r) => Outcome::from_response(Some(&r)),
        None => outcome(text(v, "/event/outcome").as_deref()),
    };
    Row {
        time_ms: text(v, "/@timestamp").and_then(|t| parse_rfc3339_utc(&t)),
        // Under USER_NAME_MODE=hash ECS holds the name's HMAC in user.hash
        // (the other formats in the name's place).
        user: text(v, "/user/name")
            .or_else(|| text(v, "/user/hash"))
            .or_else(|| text(v, "/user/id")),
        pool: text(v, "/user/domain"),
        outcome,
        event_type: text(v, "/event/action"),
        source_ip: text(v, "/source/ip").or_else(|| text(v, "/cognito/source/ip_hash")),
        city: text(v, "/source/geo/city_name"),
        country: text(v, "/source/geo/country_iso_code")
            .or_else(|| text(v, "/source/geo/country_name").map(|c| country_key(&c))),
        risk_decision: text(v, "/cognito/risk/decision"),
        risk_level: text(v, "/cognito/risk/level"),
        compromised_credentials: v
            .pointer("/cognito/risk/compromised_credentials")
            .and_then(Value::as_bool),
        challenges: challenges(v, "/cognito/challenges"),
        device: text(v, "/user_agent/original"),
    }
}
