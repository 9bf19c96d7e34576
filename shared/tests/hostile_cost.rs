//! Hostile input must not cost more than ordinary input (issue #17): the
//! work of each hostile batch is counted (bytes allocated, peak heap, bytes
//! inflated) and held to a small multiple of an ordinary batch's, so an
//! unbounded or quadratic path fails here whatever the machine's speed.
//! bench/hostile.py shows the same batches' time on the real Lambda path.
//!
//! dhat counts every allocation of this process, so everything runs in one
//! test, one batch at a time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use cognito_activity::{process_event, Config, Processed, RecordResult};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// The record from the field (`fixtures/field-record.json`), without its line end.
fn field_record() -> &'static str {
    include_str!("fixtures/field-record.json").trim_end()
}

/// The smallest cap the settings allow, so that bombs stay quick to inflate
/// in a debug build.
const CAP: usize = 1 << 20;

fn config() -> Config {
    let env: HashMap<&str, String> = [("MAX_DECOMPRESSED_BYTES", CAP.to_string())].into();
    Config::from_lookup(|k| env.get(k).cloned()).unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn event(datas: &[Vec<u8>]) -> Vec<u8> {
    let records: Vec<String> = datas
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                r#"{{"recordId":"{i:08}","approximateArrivalTimestamp":1723070080000,"data":"{}"}}"#,
                STANDARD.encode(d)
            )
        })
        .collect();
    format!(
        r#"{{"invocationId":"i","deliveryStreamArn":"arn:aws:firehose:us-east-1:123456789012:deliverystream/s","region":"us-east-1","records":[{}]}}"#,
        records.join(",")
    )
    .into_bytes()
}

/// What one batch cost.
#[derive(Debug)]
struct Cost {
    /// Bytes allocated, all allocations added up.
    allocated: u64,
    /// The heap's peak above what was live before.
    peak: u64,
    processed: Processed<'static>,
}

fn run(event: &[u8], cfg: &Config) -> Cost {
    let before = dhat::HeapStats::get();
    let processed = process_event(event, cfg).unwrap();
    let after = dhat::HeapStats::get();
    assert_eq!(
        processed.response.records.len(),
        processed.stats.records_in as usize
    );
    Cost {
        allocated: after.total_bytes - before.total_bytes,
        peak: (after.max_bytes as u64).saturating_sub(before.curr_bytes as u64),
        // Owned after the measure: it outlives the event.
        processed: processed.into_owned(),
    }
}

#[test]
fn hostile_batches_cost_about_what_ordinary_ones_do() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let cfg = config();

    // Bombs first: the heap's peak is the process's (dhat keeps one
    // maximum), so they are measured before the other batches raise it.
    // Each record inflates to exactly the cap. Before the
    // invocation's allowance, every one was inflated whole.
    let bomb = gzip(&vec![0u8; CAP]);
    let bombs_event = event(&vec![bomb.clone(); 200]);
    let bombs = run(&bombs_event, &cfg);
    let s = &bombs.processed.stats;
    let allowance = CAP as u64 + cognito_activity::firehose::INFLATE_RATIO * s.bytes_gzip_in;
    assert!(s.bytes_inflated <= allowance, "{s:?}");
    assert!(s.bytes_inflated < 200 * CAP as u64 / 4, "{s:?}");
    assert!(
        s.failures.get("inflate_allowance").copied().unwrap_or(0) > 100,
        "{s:?}"
    );
    // Nothing is lost: every record is answered, failed ones with their data.
    for r in &bombs.processed.response.records {
        assert_eq!(r.result, RecordResult::ProcessingFailed);
        assert!(!r.data.is_empty(), "{}", r.record_id);
    }
    // Allocation follows what is inflated (a buffer grown by doubling
    // allocates about twice what it ends with), plus the streaming
    // decoder's fixed state per record, not the cap per record; and the
    // heap never holds more than a record's cap twice beside the event.
    assert!(
        bombs.allocated <= 4 * allowance + 96 * 1024 * 200 + 8 * bombs_event.len() as u64,
        "{} bytes allocated for {} inflated",
        bombs.allocated,
        s.bytes_inflated
    );
    assert!(
        bombs.peak <= 2 * CAP as u64 + 4 * bombs_event.len() as u64,
        "peak {} bytes",
        bombs.peak
    );

    // Ordinary: gzip records with honest trailers.
    let honest = gzip(field_record().as_bytes());
    let ordinary_event = event(&vec![honest.clone(); 2_000]);
    let ordinary = run(&ordinary_event, &cfg);
    assert_eq!(ordinary.processed.stats.records_ok, 2_000);

    // The same records, their trailers claiming 4 GiB: each once cost a
    // zeroed buffer of the cap.
    let mut forged = honest.clone();
    let n = forged.len();
    forged[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
    let forged_event = event(&vec![forged; 2_000]);
    let forged_cost = run(&forged_event, &cfg);
    assert_eq!(forged_cost.processed.stats.records_failed, 2_000);
    // Each forged record costs the first buffer its compressed length can
    // plausibly expand to and the streaming decoder's fixed state (which
    // then finds the trailer wrong), never the cap: a bound that does not
    // grow with the cap or the claim.
    let per_record = forged_cost.allocated / 2_000;
    assert!(
        per_record <= 96 * 1024,
        "forged ISIZE: {per_record} bytes allocated per record (ordinary: {})",
        ordinary.allocated / 2_000
    );
    assert!(per_record < CAP as u64 / 8);
}
