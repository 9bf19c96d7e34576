//! Peak memory of one invocation is bounded by the response budget, not by
//! how much the records decompress to (README "Fast and frugal"; the
//! response limit is in
//! <https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html>).
//!
//! A CloudWatch Logs batch transforms to several times the response limit;
//! what does not fit is re-ingested from the records' original bytes, so no
//! more transformed output need be held than the response can carry. An
//! allocator that counts live bytes measures the peak; this file holds a
//! single test so that no other test allocates meanwhile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cognito_activity::{process_event, Config};

#[path = "../examples/support/batches.rs"]
#[allow(dead_code)]
mod batches;

/// The process's peak resident set size (`VmHWM`), in bytes.
fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kb: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("VmHWM in kB");
    kb * 1024
}

/// How much `f` raises the peak resident set size above what is resident
/// before it (writing 5 to `clear_refs` resets the peak to the current size;
/// proc(5)).
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak RSS");
    let before = peak_rss();
    let out = f();
    (out, peak_rss().saturating_sub(before))
}

#[test]
fn a_batch_that_decompresses_past_the_budget_holds_no_more_output_than_fits() {
    let batch = batches::generate(batches::Shape::Cwl, 2_000_000, 42);
    let budget = 500_000;
    let cfg = Config {
        response_budget_bytes: budget,
        ..Config::default()
    };
    // Measured first: memory freed later stays resident and would hide a
    // rise.
    let (processed, peak) = peak_of(|| process_event(&batch.json, &cfg).unwrap());
    assert!(!processed.overflow.is_empty());
    assert!(processed.to_json().len() <= budget);
    drop(processed);

    // What the records transform to, all of it, as the response's base64.
    let all = Config {
        response_budget_bytes: usize::MAX,
        ..Config::default()
    };
    let full = process_event(&batch.json, &all).unwrap();
    assert!(full.overflow.is_empty());
    let total_output: usize = full
        .response
        .records
        .iter()
        .map(|r| r.data.base64_len())
        .sum();
    assert!(total_output > 20 * budget, "{total_output}");

    // Held at the end: a response within the budget and the overflow
    // records' original bytes (less than the input). Beyond that, one
    // record's work at a time, and no backlog of outputs: holding every
    // record's output (3/4 of `total_output`) would break this bound.
    assert!(
        peak < total_output / 2,
        "peak RSS rose by {peak} bytes; all output is {total_output}, input {}",
        batch.json.len()
    );
}
