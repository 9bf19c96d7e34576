//! Times `cognito_activity::process_event` on one event file, in a loop on
//! one thread, and prints one line of JSON with its throughput: the Rust
//! half of `bench/compare.py`.
//!
//! `cargo run --release -p cognito-activity --example time_event -- EVENT.json [FORMAT] [SECONDS]`
//!
//! The rate is computed from the thread's on-CPU time
//! (`/proc/thread-self/schedstat`, Linux) when it can be read, so other
//! processes competing for the cores do not count against us; wall time
//! otherwise. `best_s` is the fastest single run, wall clock.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use cognito_activity::config::OutputFormat;
use cognito_activity::{process_event, Config};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        let _ = writeln!(
            std::io::stderr(),
            "usage: time_event EVENT.json [normalized|ocsf|ecs|splunk] [SECONDS]"
        );
        return ExitCode::from(2);
    };
    let format = args
        .get(1)
        .and_then(|s| OutputFormat::parse(s))
        .unwrap_or_default();
    let seconds: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let event = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Measure the transformation, not the response budget.
    let cfg = Config {
        output_format: format,
        response_budget_bytes: usize::MAX,
        ..Config::default()
    };

    let (events, out_bytes) = match process_event(&event, &cfg) {
        Ok(p) => (p.stats.events_in, p.to_json().len()),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "not a Firehose event: {e}");
            return ExitCode::FAILURE;
        }
    };
    let budget = Duration::from_secs_f64(seconds);
    let cpu_start = cpu_seconds().unwrap_or_default();
    let start = Instant::now();
    let mut runs = 0u64;
    let mut best = Duration::MAX;
    while start.elapsed() < budget || runs < 3 {
        let t = Instant::now();
        let p = process_event(&event, &cfg);
        let json = p.map(|p| p.to_json().len()).unwrap_or_default();
        std::hint::black_box(json);
        best = best.min(t.elapsed());
        runs += 1;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds().map(|end| end - cpu_start);
    let mean = cpu.unwrap_or(wall) / runs as f64;
    let mb = event.len() as f64 / 1e6;
    let _ = writeln!(
        std::io::stdout(),
        "{{\"impl\":\"rust\",\"clock\":\"{}\",\"format\":\"{}\",\"event_bytes\":{},\"events\":{},\"output_bytes\":{},\"runs\":{},\"mean_s\":{:.6},\"best_s\":{:.6},\"mb_per_s\":{:.1},\"events_per_s\":{:.0}}}",
        if cpu.is_some() { "thread_cpu" } else { "wall" },
        format.as_str(),
        event.len(),
        events,
        out_bytes,
        runs,
        mean,
        best.as_secs_f64(),
        mb / mean,
        events as f64 / mean
    );
    ExitCode::SUCCESS
}

/// This thread's time on a CPU so far, in seconds (Linux schedstat).
fn cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}
