#!/usr/bin/env bash
# Peak memory (maximum resident set size) of one 6 MB invocation, the largest
# event Firehose sends a Lambda, through the CLI's `replay`, which runs the
# same `process_event` as the Lambda and writes the whole response.
#
#   bash bench/memory.sh            # direct records, normalized and ocsf
#
# Needs GNU time (Debian package `time`: apt-get install -y time).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
cargo build --release -q -p cognito-activity --example gen_batches
cargo build --release -q -p cognito-activity-cli
[ -f bench/out/direct-6mb.json ] || target/release/examples/gen_batches direct 6 bench/out/direct-6mb.json
[ -f bench/out/cwl-6mb.json ] || target/release/examples/gen_batches cwl 6 bench/out/cwl-6mb.json
for event in direct-6mb cwl-6mb; do
  for format in normalized ocsf; do
    kb=$( { /usr/bin/time -f '%M' target/release/cognito-activity replay "bench/out/$event.json" --format "$format" > /dev/null; } 2>&1 | tail -1)
    echo "$event $format: peak RSS $((kb / 1024)) MB ($kb KB)"
  done
done
