//! The ceiling of each step of `process_event` on one event, measured alone:
//! how fast base64, gunzip, the UTF-8 check, JSON parsing, normalizing,
//! writing the output and the response go on this machine, each as the
//! fastest of many runs over all of the event's records.
//!
//! `cargo run --release -p cognito-activity --example steps -- EVENT.json [RUNS]`
//!
//! For each step: its time, its rate over its own input (base64 text for
//! decoding, compressed bytes for gunzip, record or message JSON for
//! parsing and normalizing, output lines for writing and encoding, the
//! response for its JSON), and the rate over the event's bytes it would
//! allow if it were the only work (the ceiling it puts on the whole).
//! `parse` builds the general tree (`parse_documents`; for CloudWatch Logs
//! the envelope and then each message, and in one pass, as the function
//! does); `parse + normalize` is what the function does (`normalize_text` in
//! one pass for direct records, `stream_envelope` for envelopes); `write`
//! writes the normalized lines. bench/README.md has a table of them.

use std::borrow::Cow;
use std::hint::black_box;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Instant;

use cognito_activity::cognito::parse_documents;
use cognito_activity::decode::{base64_decode, base64_encode_append, gunzip_capped, is_gzip, utf8};
use cognito_activity::envelope::{parse_envelope, stream_envelope, Envelope, LogEvent, Message};
use cognito_activity::firehose::FirehoseEvent;
use cognito_activity::json::parse::escaped_document;
use cognito_activity::normalize::{normalize, normalize_text, Context, Normalized, Transport};
use cognito_activity::{output, process_event, Config};

/// The fastest of `runs` runs of `f`, in seconds.
fn fastest(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

/// A log event's context, as `batch::transform` builds it.
fn cwl_context<'a>(env: &Envelope<'a>, ev: &LogEvent<'a>) -> Context<'a> {
    Context {
        transport: Some(Transport::CloudwatchLogs),
        account_id: env.owner.clone(),
        log_group: env.log_group.clone(),
        log_stream: env.log_stream.clone(),
        log_event_id: ev.id.clone(),
        log_event_time_ms: ev.timestamp,
        arrival_time_ms: None,
    }
}

struct Report {
    event_bytes: usize,
    lines: Vec<String>,
}

impl Report {
    fn step(&mut self, name: &str, seconds: f64, input_bytes: usize, input: &str) {
        self.lines.push(format!(
            "{name:<22} {:>8.3} ms {:>8.0} MB/s of {input:<22} {:>7.0} MB/s of event",
            seconds * 1e3,
            input_bytes as f64 / seconds / 1e6,
            self.event_bytes as f64 / seconds / 1e6,
        ));
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(event) = args.first().and_then(|p| std::fs::read(p).ok()) else {
        let _ = writeln!(std::io::stderr(), "usage: steps EVENT.json [RUNS]");
        return ExitCode::from(2);
    };
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(100);
    let cfg = Config {
        response_budget_bytes: usize::MAX,
        ..Config::default()
    };
    let Ok(parsed) = FirehoseEvent::parse(&event) else {
        let _ = writeln!(std::io::stderr(), "not a Firehose event");
        return ExitCode::FAILURE;
    };
    let mut report = Report {
        event_bytes: event.len(),
        lines: Vec::new(),
    };

    let t = fastest(runs, || {
        black_box(FirehoseEvent::parse(black_box(&event)).ok());
    });
    report.step("event parse", t, event.len(), "event");

    let data: Vec<&str> = parsed
        .records
        .iter()
        .filter_map(|r| r.data.as_deref())
        .collect();
    let b64_len: usize = data.iter().map(|d| d.len()).sum();
    let t = fastest(runs, || {
        for d in &data {
            black_box(base64_decode(d).ok());
        }
    });
    report.step("base64 decode", t, b64_len, "base64");

    let decoded: Vec<Vec<u8>> = data.iter().filter_map(|d| base64_decode(d).ok()).collect();
    let gzipped = decoded.iter().any(|d| is_gzip(d));
    let texts: Vec<Vec<u8>> = if gzipped {
        let zipped_len: usize = decoded.iter().map(Vec::len).sum();
        let t = fastest(runs, || {
            for d in &decoded {
                black_box(gunzip_capped(d, cfg.max_decompressed_bytes).ok());
            }
        });
        report.step("gunzip", t, zipped_len, "compressed");
        decoded
            .iter()
            .filter_map(|d| gunzip_capped(d, cfg.max_decompressed_bytes).ok())
            .collect()
    } else {
        decoded
    };
    let text_len: usize = texts.iter().map(Vec::len).sum();
    let t = fastest(runs, || {
        for x in &texts {
            black_box(utf8(x).ok());
        }
    });
    report.step("UTF-8 check", t, text_len, "record text");
    let texts: Vec<&str> = texts.iter().filter_map(|x| utf8(x).ok()).collect();

    let direct = Context {
        transport: Some(Transport::Direct),
        account_id: Some(Cow::Borrowed("123456789012")),
        ..Context::default()
    };
    let mut normalized: Vec<Normalized<'_>> = Vec::new();
    if gzipped {
        let envelopes: Vec<_> = texts
            .iter()
            .filter_map(|x| parse_envelope(x, true).ok().flatten())
            .collect();
        let t = fastest(runs, || {
            for x in &texts {
                if let Ok(Some(env)) = parse_envelope(x, true) {
                    for ev in &env.log_events {
                        black_box(escaped_document(ev.raw_message));
                    }
                }
            }
        });
        report.step("parse (two passes)", t, text_len, "envelope text");
        // What the function does: each message parsed where it stands.
        let t = fastest(runs, || {
            for x in &texts {
                black_box(stream_envelope(x, |_, ev| {
                    black_box(ev);
                    Ok(())
                }));
            }
        });
        report.step("parse (one pass)", t, text_len, "envelope text");
        let contexts: Vec<Vec<Context<'_>>> = envelopes
            .iter()
            .map(|env| {
                env.log_events
                    .iter()
                    .map(|ev| cwl_context(env, ev))
                    .collect()
            })
            .collect();
        let t = fastest(runs, || {
            for x in &texts {
                black_box(stream_envelope(x, |env, ev| {
                    let ctx = Context {
                        transport: Some(Transport::CloudwatchLogs),
                        account_id: env.owner.clone(),
                        log_group: env.log_group.clone(),
                        log_stream: env.log_stream.clone(),
                        log_event_id: ev.id,
                        log_event_time_ms: ev.timestamp,
                        arrival_time_ms: None,
                    };
                    if let Message::Document(doc) = ev.message {
                        black_box(normalize(&doc, &ctx, &cfg).ok());
                    }
                    Ok(())
                }));
            }
        });
        report.step("parse + normalize", t, text_len, "envelope text");
        for (env, ctxs) in envelopes.iter().zip(&contexts) {
            for (ev, ctx) in env.log_events.iter().zip(ctxs) {
                if let Some(n) =
                    escaped_document(ev.raw_message).and_then(|doc| normalize(&doc, ctx, &cfg).ok())
                {
                    normalized.push(n);
                }
            }
        }
    } else {
        let t = fastest(runs, || {
            for x in &texts {
                black_box(parse_documents(x).ok());
            }
        });
        report.step("parse (tree)", t, text_len, "record JSON");
        let t = fastest(runs, || {
            for x in &texts {
                black_box(normalize_text(x, &direct, &cfg));
            }
        });
        report.step("parse + normalize", t, text_len, "record JSON");
        normalized = texts
            .iter()
            .filter_map(|x| normalize_text(x, &direct, &cfg))
            .collect();
    }

    let mut lines = Vec::with_capacity(text_len * 2);
    let t = fastest(runs, || {
        lines.clear();
        for n in &normalized {
            output::write_line(n, &cfg, &mut lines);
        }
        black_box(&lines);
    });
    report.step("write", t, lines.len(), "output lines");

    let mut encoded = Vec::with_capacity(lines.len() * 4 / 3 + 4);
    let t = fastest(runs, || {
        encoded.clear();
        base64_encode_append(&lines, &mut encoded);
        black_box(&encoded);
    });
    report.step("base64 encode", t, lines.len(), "output lines");

    let Ok(processed) = process_event(&event, &cfg) else {
        return ExitCode::FAILURE;
    };
    let response_len = processed.to_json().len();
    let t = fastest(runs, || {
        black_box(processed.to_json());
    });
    report.step("response JSON", t, response_len, "response");

    let t = fastest(runs, || {
        if let Ok(p) = process_event(black_box(&event), &cfg) {
            black_box(p.to_json());
        }
    });
    report.step("whole: process+JSON", t, event.len(), "event");

    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{} bytes, {} records, {} events normalized, fastest of {runs} runs",
        event.len(),
        parsed.records.len(),
        normalized.len()
    );
    for line in &report.lines {
        let _ = writeln!(out, "{line}");
    }
    ExitCode::SUCCESS
}
