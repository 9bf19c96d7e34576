//! Writes a synthetic Firehose transformation event to a file, for the
//! Python comparison and the memory and start-up measurements in `bench/`.
//!
//! `cargo run --release -p cognito-activity --example gen_batches -- SHAPE MB OUT [SEED]`
//! where SHAPE is `direct` or `cwl` and MB the event size in megabytes
//! (decimal fractions allowed). SEED (default 42, what the benchmarks
//! measure) draws other records of the same shapes: `bench/pgo.py` trains
//! on those, not on the events it is measured with. See
//! `examples/support/batches.rs`.

#[path = "support/batches.rs"]
#[allow(dead_code)]
mod batches;

use std::io::Write as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(shape), Some(mb), Some(out)) = (
        args.first().and_then(|s| batches::Shape::parse(s)),
        args.get(1).and_then(|s| s.parse::<f64>().ok()),
        args.get(2),
    ) else {
        let _ = writeln!(
            std::io::stderr(),
            "usage: gen_batches direct|cwl MEGABYTES OUT.json [SEED]"
        );
        return ExitCode::from(2);
    };
    let seed = match args.get(3).map(|s| s.parse::<u64>()) {
        None => 42,
        Some(Ok(seed)) => seed,
        Some(Err(_)) => {
            let _ = writeln!(std::io::stderr(), "SEED must be a whole number");
            return ExitCode::from(2);
        }
    };
    let batch = batches::generate(shape, (mb * 1_000_000.0) as usize, seed);
    if let Err(e) = std::fs::write(out, &batch.json) {
        let _ = writeln!(std::io::stderr(), "cannot write {out}: {e}");
        return ExitCode::FAILURE;
    }
    let _ = writeln!(
        std::io::stderr(),
        "{out}: {} bytes, {} records, {} events",
        batch.json.len(),
        batch.records,
        batch.events
    );
    ExitCode::SUCCESS
}
