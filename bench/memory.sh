#!/usr/bin/env bash
# Peak memory (maximum resident set size) of one invocation through the CLI's
# `replay`, which runs the same `process_event` as the Lambda and writes the
# whole response: direct records at 6 MB (the largest event Firehose sends a
# Lambda), CloudWatch Logs gzip envelopes at 3 MB (the largest processor
# buffer Firehose allows; ~18,000 events, ~9x the response limit once
# decompressed) and at 6 MB.
#
#   bash bench/memory.sh
#
# Needs GNU time (Debian package `time`: apt-get install -y time).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
cargo build --release -q -p cognito-activity --example gen_batches
cargo build --release -q -p cognito-activity-cli
[ -f bench/out/direct-6mb.json ] || target/release/examples/gen_batches direct 6 bench/out/direct-6mb.json
[ -f bench/out/cwl-3mb.json ] || target/release/examples/gen_batches cwl 3 bench/out/cwl-3mb.json
[ -f bench/out/cwl-6mb.json ] || target/release/examples/gen_batches cwl 6 bench/out/cwl-6mb.json
for event in direct-6mb cwl-3mb cwl-6mb; do
  for format in normalized ocsf; do
    /usr/bin/time -o bench/out/time.txt -f '%M' \
      target/release/cognito-activity replay "bench/out/$event.json" --format "$format" > /dev/null 2>&1 || true
    kb=$(tail -1 bench/out/time.txt)
    echo "$event $format: peak RSS $((kb / 1024)) MB ($kb KB)"
  done
done
