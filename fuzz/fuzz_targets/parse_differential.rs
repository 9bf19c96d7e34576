//! Fuzz target: arbitrary bytes through our JSON parser
//! (`shared/src/parse.rs`) and through serde_json, which it replaced:
//! Cognito records, Firehose events, CloudWatch Logs envelopes and messages
//! read inside their escaped strings must come out the same both ways. The
//! checks live in `src/checks.rs`, shared with the stable corpus replay
//! (`shared/tests/fuzz_corpus.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fuzz_checks::check_parse_differential(data);
});
