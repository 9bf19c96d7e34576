#!/usr/bin/env bash
# Instruction counts of the in-process transformation (callgrind), the
# deterministic before/after figure on a shared machine: wall clock moves
# with other load, instruction counts do not.
#
#   bash bench/instructions.sh [LABEL]
#
# Builds the release examples, generates 1 MB direct and CloudWatch Logs
# batches (fixed seed), then runs `time_event EVENT FORMAT 0` (four calls of
# process_event + to_json) under callgrind for each case, and prints one line
# per case: label, case, instructions (Ir). Output is also appended to
# target/cg/instructions.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
label="${1:-now}"
cargo build -q --release -p cognito-activity --example time_event --example gen_batches
mkdir -p target/cg
ex=target/release/examples
[ -f target/cg/direct-1mb.json ] || "$ex/gen_batches" direct 1 target/cg/direct-1mb.json >/dev/null
[ -f target/cg/cwl-1mb.json ] || "$ex/gen_batches" cwl 1 target/cg/cwl-1mb.json >/dev/null
for case in direct:normalized direct:ocsf direct:ecs direct:splunk cwl:normalized cwl:ocsf; do
  shape="${case%%:*}"
  format="${case##*:}"
  out="target/cg/callgrind.$label.$shape.$format"
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$ex/time_event" "target/cg/$shape-1mb.json" "$format" 0 >/dev/null 2>"$out.log"
  ir=$(grep -E '^(summary|totals):' "$out" | head -1 | awk '{print $2}')
  echo "$label $shape $format $ir" | tee -a target/cg/instructions.txt
done
