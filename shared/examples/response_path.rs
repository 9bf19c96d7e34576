//! Times what the Lambda handler does with an event beyond `process_event`:
//! the response's JSON (`to_json`), the UTF-8 check, serde_json's `RawValue`
//! (which parses the text again) and lambda_runtime's copy into the request
//! body (`serde_json::to_vec`), each step's fastest run, in milliseconds.
//!
//! `cargo run --release -p cognito-activity --example response_path -- EVENT.json [RUNS]`
//!
//! Run it with and without the template's `GLIBC_TUNABLES` to see what the
//! allocator setting is worth (bench/README.md).

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Instant;

use cognito_activity::{process_event, Config};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(event) = args.first().and_then(|p| std::fs::read(p).ok()) else {
        let _ = writeln!(std::io::stderr(), "usage: response_path EVENT.json [RUNS]");
        return ExitCode::from(2);
    };
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(300);
    let cfg = Config {
        response_budget_bytes: usize::MAX,
        ..Config::default()
    };
    let mut best = [f64::MAX; 5];
    for _ in 0..runs {
        let start = Instant::now();
        let Ok(processed) = process_event(&event, &cfg) else {
            let _ = writeln!(std::io::stderr(), "not a Firehose event");
            return ExitCode::FAILURE;
        };
        let mut marks = [start.elapsed().as_secs_f64(); 5];
        let json = processed.to_json();
        marks[1] = start.elapsed().as_secs_f64();
        let Ok(text) = String::from_utf8(json) else {
            return ExitCode::FAILURE;
        };
        marks[2] = start.elapsed().as_secs_f64();
        let Ok(raw) = serde_json::value::RawValue::from_string(text) else {
            return ExitCode::FAILURE;
        };
        marks[3] = start.elapsed().as_secs_f64();
        let body = serde_json::to_vec(&raw).unwrap_or_default();
        marks[4] = start.elapsed().as_secs_f64();
        std::hint::black_box(body);
        let steps = [
            marks[0],
            marks[1] - marks[0],
            marks[2] - marks[1],
            marks[3] - marks[2],
            marks[4] - marks[3],
        ];
        for (b, s) in best.iter_mut().zip(steps) {
            *b = b.min(s);
        }
    }
    let ms = |s: f64| s * 1e3;
    let _ = writeln!(
        std::io::stdout(),
        "{{\"process_event_ms\":{:.3},\"to_json_ms\":{:.3},\"utf8_ms\":{:.3},\"raw_value_ms\":{:.3},\"runtime_copy_ms\":{:.3}}}",
        ms(best[0]),
        ms(best[1]),
        ms(best[2]),
        ms(best[3]),
        ms(best[4])
    );
    ExitCode::SUCCESS
}
