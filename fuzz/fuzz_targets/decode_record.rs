//! Fuzz target: arbitrary bytes as one record's decoded data (base64-encoded
//! here, as Firehose would send them), through `batch::transform_record`.
//! The checks live in `src/checks.rs`, shared with the stable corpus replay
//! (`shared/tests/fuzz_corpus.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fuzz_checks::check_decode_record(data);
});
