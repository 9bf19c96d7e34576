//! The invariants the fuzz targets check, in one file (`checks.rs`) that the
//! stable test `shared/tests/fuzz_corpus.rs` includes too, so CI replays the
//! corpus with exactly the checks the fuzzer ran. See docs/fuzzing.md.

include!("checks.rs");
