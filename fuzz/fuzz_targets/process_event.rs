//! Fuzz target: arbitrary bytes as a whole Firehose event, through
//! `process_event`. The checks live in `src/checks.rs`, shared with the
//! stable corpus replay (`shared/tests/fuzz_corpus.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fuzz_checks::check_process_event(data);
});
