//! `cognito-activity`: run the Lambda's code path locally, without Docker.
//!
//! - `replay EVENT.json [--decode [--pretty]]`: a Firehose event file through the exact
//!   library call the Lambda makes; prints the Firehose response.
//! - `normalize [FILE...]`: raw Cognito log lines or CloudWatch Logs
//!   envelopes (plain or gzip, stdin when no file) to output lines.
//! - `sample-events [--out DIR]`: rebuilds `events/`.
//!
//! It reads the same environment variables as the Lambda.

// The CLI's job is to print.
#![allow(clippy::print_stdout)]

mod input;
mod redrive;
mod report;
mod samples;
mod security_lake;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use cognito_activity::config::OutputFormat;
use cognito_activity::firehose::{OverflowKind, Settlement};
use cognito_activity::normalize::Context;
use cognito_activity::pipeline::{self, Holds, RecordOutcome};
use cognito_activity::{process_event, Config, RecordResult, Stats};
use serde_json::{json, Value};

#[derive(Parser)]
#[command(
    name = "cognito-activity",
    version,
    about = "Normalize Amazon Cognito user-activity logs for Firehose, locally"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// `--format`: the library's one list of output formats as a clap value.
#[derive(Clone, Copy)]
struct Format(OutputFormat);

const FORMATS: [Format; OutputFormat::ALL.len()] = {
    let mut formats = [Format(OutputFormat::Normalized); OutputFormat::ALL.len()];
    let mut i = 0;
    while i < formats.len() {
        formats[i] = Format(OutputFormat::ALL[i]);
        i += 1;
    }
    formats
};

impl clap::ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &FORMATS
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.as_str()))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run a Firehose event file through the Lambda's code path and print the response.
    Replay {
        /// A Firehose transformation event (JSON), e.g. events/firehose-direct-signin.json.
        event: PathBuf,
        /// Print each record's answer as a `# RECORD_ID RESULT` line followed
        /// by the exact lines the Lambda emits for it (byte for byte, decoded
        /// from base64), instead of the response JSON.
        #[arg(long)]
        decode: bool,
        /// With --decode: one indented JSON object per record, its lines
        /// parsed, for reading rather than comparing.
        #[arg(long, requires = "decode")]
        pretty: bool,
        /// Output format; overrides OUTPUT_FORMAT.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Normalize raw Cognito log records (one JSON object or CloudWatch Logs envelope per line, plain or gzip).
    Normalize {
        /// Files to read; stdin when none.
        files: Vec<PathBuf>,
        /// Output format; overrides OUTPUT_FORMAT.
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// AWS account id for origin.account_id (the Lambda takes it from the
        /// delivery stream's ARN).
        #[arg(long)]
        account_id: Option<String>,
    },
    /// Write one self-contained HTML page of the activity, with the detections' findings.
    Report(report::ReportArgs),
    /// Write raw Cognito log lines as Amazon Security Lake custom-source objects
    /// (OCSF 1.1.0 Parquet, one class per source) under a directory, in the bucket's layout.
    SecurityLake(security_lake::SecurityLakeArgs),
    /// Send records from an error prefix back through the stream (or as new
    /// objects for the S3 route) once the cause is fixed; reports what was sent
    /// and what is left.
    Redrive(redrive::RedriveArgs),
    /// Rebuild the sample Firehose events.
    SampleEvents {
        /// Directory to write to.
        #[arg(long, default_value = "events")]
        out: PathBuf,
    },
}

/// Warnings (a failed record's id and reason, never its data) go to stderr;
/// RUST_LOG sets the level. Other crates (the AWS SDK, hyper) stay at WARN
/// or above whatever RUST_LOG says, as in the functions
/// (`cognito_activity_aws::lambda::log_filter`): below it they may log
/// requests and responses, whose bodies carry records.
fn init_logging() {
    use std::io::IsTerminal as _;
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let level = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let ours_only_below_warn = Targets::new()
        .with_default(LevelFilter::WARN)
        .with_target("cognito_activity", LevelFilter::TRACE);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_target(false),
        )
        .with(level)
        .with(ours_only_below_warn)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Replay {
            event,
            decode,
            pretty,
            format,
        } => replay(
            &event,
            match (decode, pretty) {
                (false, _) => Show::Response,
                (true, false) => Show::Lines,
                (true, true) => Show::Pretty,
            },
            format,
        ),
        Command::Normalize {
            files,
            format,
            account_id,
        } => normalize_files(&files, format, account_id.as_deref()),
        Command::Report(args) => report::run(&args),
        Command::SecurityLake(args) => security_lake::run(&args),
        Command::Redrive(args) => redrive::run(&args),
        Command::SampleEvents { out } => sample_events(&out),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn config(format: Option<Format>) -> Result<Config> {
    let mut cfg = Config::from_env()?;
    if let Some(Format(f)) = format {
        cfg.output_format = f;
    }
    Ok(cfg)
}

/// What `replay` prints.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Show {
    /// The Firehose response, as the Lambda answers it.
    Response,
    /// Per record a `# RECORD_ID RESULT [partitionKeys=JSON] [data=N bytes]`
    /// line, then the record's exact output lines.
    Lines,
    /// Per record an indented JSON object, its lines parsed.
    Pretty,
}

fn replay(path: &Path, show: Show, format: Option<Format>) -> Result<ExitCode> {
    let cfg = config(format)?;
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut processed = process_event(&bytes, &cfg)
        .with_context(|| format!("{} is not a Firehose event", path.display()))?;
    // The CLI has no AWS credentials: records held for re-ingestion (those
    // that do not fit in the response, and envelopes failing on some of
    // their log events) stay ProcessingFailed, as when re-ingestion fails in
    // the Lambda.
    let overflow = processed.overflow.len();
    let no_room = processed
        .overflow
        .iter()
        .filter(|o| o.kind == OverflowKind::NoRoom)
        .count();
    let outcome = if cfg.reingest {
        "the Lambda would re-ingest them (REINGEST=true); the CLI cannot, so they are ProcessingFailed here"
    } else {
        "REINGEST=false: they are ProcessingFailed"
    };
    if no_room > 0 {
        eprintln!(
            "{no_room} record(s) did not fit in the {}-byte response budget; {outcome}",
            cfg.response_budget_bytes,
        );
    }
    if overflow > no_room {
        eprintln!(
            "{} CloudWatch Logs envelope(s) failed on some of their log events; {outcome}, with their usable events apart from the failing ones",
            overflow - no_room
        );
    }
    processed.settle(std::iter::repeat_n(
        Settlement::Failed("reingest_disabled"),
        overflow,
    ));
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match show {
        Show::Response => {
            out.write_all(&processed.to_json())?;
            writeln!(out)?;
        }
        Show::Lines => {
            for rec in &processed.response.records {
                let data = rec
                    .data
                    .decoded()
                    .map(|d| d.into_owned())
                    .unwrap_or_default();
                write!(out, "# {} {}", rec.record_id, rec.result.as_str())?;
                if let Some(keys) = &rec.partition_keys {
                    write!(out, " partitionKeys={}", serde_json::to_string(keys)?)?;
                }
                if rec.result == RecordResult::Ok {
                    writeln!(out)?;
                    out.write_all(&data)?;
                } else {
                    writeln!(out, " data={} bytes", data.len())?;
                }
            }
        }
        Show::Pretty => {
            for rec in &processed.response.records {
                let mut entry = json!({"recordId": rec.record_id, "result": rec.result.as_str()});
                if let Some(keys) = &rec.partition_keys {
                    entry["partitionKeys"] = json!(keys);
                }
                let data = rec
                    .data
                    .decoded()
                    .map(|d| d.into_owned())
                    .unwrap_or_default();
                match rec.result {
                    RecordResult::Ok => {
                        let text = String::from_utf8_lossy(&data);
                        let lines: Vec<Value> = text
                            .lines()
                            .map(|l| {
                                serde_json::from_str(l)
                                    .unwrap_or_else(|_| Value::String(l.to_string()))
                            })
                            .collect();
                        entry["lines"] = Value::Array(lines);
                    }
                    _ => entry["dataBytes"] = json!(data.len()),
                }
                writeln!(out, "{}", serde_json::to_string_pretty(&entry)?)?;
            }
        }
    }
    let s = &processed.stats;
    eprintln!(
        "records: {} in, {} ok, {} dropped, {} failed; events: {} in, {} out, {} filtered; bytes: {} in, {} out",
        s.records_in,
        s.records_ok,
        s.records_dropped,
        s.records_failed,
        s.events_in,
        s.events_out,
        s.events_filtered,
        s.bytes_in,
        s.bytes_out
    );
    Ok(ExitCode::SUCCESS)
}

/// `normalize`: each input line (a Cognito document, or a CloudWatch Logs
/// envelope as a subscription delivers it) through the library's pipeline,
/// as the Lambda runs each record. Input is read a line at a time, so any
/// size streams through in bounded memory.
fn normalize_files(
    files: &[PathBuf],
    format: Option<Format>,
    account_id: Option<&str>,
) -> Result<ExitCode> {
    let cfg = config(format)?;
    let ctx = Context {
        account_id: account_id.map(Into::into),
        ..Context::default()
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut events = 0u64;
    let mut stats = Stats::default();
    let holds = Holds::DocumentsOrEnvelope { compressed: false };
    let counts = input::each_line(files, cfg.max_decompressed_bytes, |line, _, _| {
        Ok(
            match pipeline::transform(line, holds, &ctx, &cfg, &mut stats) {
                RecordOutcome::Ok {
                    output, events: n, ..
                } => {
                    events += n as u64;
                    out.write_all(&output)?;
                    Ok(())
                }
                RecordOutcome::Dropped { .. } => Ok(()),
                RecordOutcome::Failed(e) => Err(e.to_string()),
            },
        )
    })?;
    out.flush()?;
    eprintln!(
        "{} lines read, {events} events written, {} filtered, {} bad lines",
        counts.lines, stats.events_filtered, counts.bad
    );
    Ok(if counts.bad > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn sample_events(dir: &Path) -> Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, text) in samples::all() {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
