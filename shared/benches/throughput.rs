//! Throughput of the whole-event function, `cognito_activity::process_event`,
//! on generated Firehose events (`examples/support/batches.rs`): direct
//! records at 1 MB and 3 MB, CloudWatch Logs gzip envelopes at 1 MB, in each
//! output format. Counters: bytes of event JSON (MB/s of Firehose input) and
//! Cognito events (events/s). Run with `cargo bench -p cognito-activity`;
//! the figures and how they compare with the Python baseline are in
//! `bench/README.md`.

#[path = "../examples/support/batches.rs"]
#[allow(dead_code)]
mod batches;

use std::sync::OnceLock;

use batches::{generate, Batch, Shape};
use cognito_activity::config::OutputFormat;
use cognito_activity::{process_event, Config};
use divan::counter::{BytesCount, ItemsCount};
use divan::Bencher;

fn main() {
    divan::main();
}

fn direct_1mb() -> &'static Batch {
    static B: OnceLock<Batch> = OnceLock::new();
    B.get_or_init(|| generate(Shape::Direct, 1_000_000, 1))
}

fn direct_3mb() -> &'static Batch {
    static B: OnceLock<Batch> = OnceLock::new();
    B.get_or_init(|| generate(Shape::Direct, 3_000_000, 3))
}

fn cwl_1mb() -> &'static Batch {
    static B: OnceLock<Batch> = OnceLock::new();
    B.get_or_init(|| generate(Shape::Cwl, 1_000_000, 7))
}

const FORMATS: [&str; OutputFormat::ALL.len()] = OutputFormat::NAMES;

fn config(format: &str) -> Config {
    // Measure the transformation, not the response budget's overflow path.
    Config {
        output_format: OutputFormat::parse(format).unwrap_or_default(),
        response_budget_bytes: usize::MAX,
        ..Config::default()
    }
}

fn run(bencher: Bencher, batch: &'static Batch, format: &str) {
    let cfg = config(format);
    bencher
        .counter(BytesCount::new(batch.json.len()))
        .counter(ItemsCount::new(batch.events))
        .bench(|| {
            let processed = process_event(divan::black_box(&batch.json), &cfg);
            // Serializing the response is part of every invocation.
            processed.map(|p| p.to_json().len())
        });
}

#[divan::bench(args = FORMATS)]
fn direct_1mb_event(bencher: Bencher, format: &str) {
    run(bencher, direct_1mb(), format);
}

#[divan::bench(args = FORMATS)]
fn direct_3mb_event(bencher: Bencher, format: &str) {
    run(bencher, direct_3mb(), format);
}

#[divan::bench(args = FORMATS)]
fn cwl_gzip_1mb_event(bencher: Bencher, format: &str) {
    run(bencher, cwl_1mb(), format);
}
