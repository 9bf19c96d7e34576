//! Writes a synthetic Firehose transformation event to a file, for the
//! Python comparison and the memory and start-up measurements in `bench/`.
//!
//! `cargo run --release -p cognito-activity --example gen_batches -- SHAPE MB OUT`
//! where SHAPE is `direct` or `cwl` and MB the event size in megabytes
//! (decimal fractions allowed). See `examples/support/batches.rs`.

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
            "usage: gen_batches direct|cwl MEGABYTES OUT.json"
        );
        return ExitCode::from(2);
    };
    let batch = batches::generate(shape, (mb * 1_000_000.0) as usize, 42);
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
