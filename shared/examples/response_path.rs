//! Times what the Lambda handler does with an event: `process_event` and
//! the response's JSON (`to_json`), each step's fastest run, in
//! milliseconds. The handler posts those bytes as they are
//! (functions/firehose-transformer/src/runtime.rs); before it did, they
//! also went through a UTF-8 check, serde_json's `RawValue` and
//! lambda_runtime's copy, which this example used to time too.
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
    let mut best = [f64::MAX; 2];
    for _ in 0..runs {
        let start = Instant::now();
        let Ok(processed) = process_event(&event, &cfg) else {
            let _ = writeln!(std::io::stderr(), "not a Firehose event");
            return ExitCode::FAILURE;
        };
        let processed_at = start.elapsed().as_secs_f64();
        let json = processed.to_json();
        let written_at = start.elapsed().as_secs_f64();
        std::hint::black_box(json);
        best[0] = best[0].min(processed_at);
        best[1] = best[1].min(written_at - processed_at);
    }
    let _ = writeln!(
        std::io::stdout(),
        "{{\"process_event_ms\":{:.3},\"to_json_ms\":{:.3}}}",
        best[0] * 1e3,
        best[1] * 1e3,
    );
    ExitCode::SUCCESS
}
