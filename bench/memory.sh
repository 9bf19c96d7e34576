#!/usr/bin/env bash
# Peak memory (maximum resident set size). First the Firehose transformer on
# the real Lambda path: the release `bootstrap`, warm behind bench/e2e.py's
# local Runtime API, three invocations of one event, its process's peak
# (VmHWM): direct records at 6 MB (the largest event Firehose sends a
# Lambda), CloudWatch Logs gzip envelopes at 3 MB (the largest processor
# buffer Firehose allows; ~18,000 events, ~9x the response limit once
# decompressed) and at 6 MB; normalized and OCSF. Then the Security Lake
# writer's batch, through the CLI's `security-lake` (the same `Batch` as
# the function): 64 MiB of OCSF 1.1.0 lines, the largest object the
# template's default 64 MB S3 buffer delivers. The function also holds the
# object it read, 64 MiB more.
#
#   bash bench/memory.sh
#
# Needs GNU time for the last figure (Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
cargo build --release -q -p cognito-activity --example gen_batches
# Each its own build, as SAM and bench/e2e.py build the bootstrap: built together, cargo would
# unify their dependencies' features into another binary.
cargo build --release -q -p firehose-transformer
cargo build --release -q -p cognito-activity-cli
[ -f bench/out/direct-6mb.json ] || target/release/examples/gen_batches direct 6 bench/out/direct-6mb.json
[ -f bench/out/cwl-3mb.json ] || target/release/examples/gen_batches cwl 3 bench/out/cwl-3mb.json
[ -f bench/out/cwl-6mb.json ] || target/release/examples/gen_batches cwl 6 bench/out/cwl-6mb.json
for event in direct:6 cwl:3 cwl:6; do
  for format in normalized ocsf; do
    python3 bench/e2e.py --no-build --skip python,node --rounds 3 --events "$event" \
      --output-format "$format" --json bench/out/memory.json > /dev/null
    kb=$(python3 -c 'import json; print(json.load(open("bench/out/memory.json"))["peak_rss_kb"]["rust"])')
    echo "bootstrap, $event MB $format: peak RSS $((kb / 1024)) MB ($kb KB)"
  done
done

# 64 MiB of OCSF 1.1.0 lines: the 6 MB event's records, as lines, repeated.
if [ ! -f bench/out/ocsf-64mib.ndjson ]; then
  python3 - <<'PY'
import base64, json
records = json.load(open("bench/out/direct-6mb.json"))["records"]
with open("bench/out/raw-6mb.ndjson", "wb") as f:
    f.write(b"".join(base64.b64decode(r["data"]).rstrip(b"\n") + b"\n" for r in records))
PY
  OCSF_VERSION=1.1.0 target/release/cognito-activity normalize --format ocsf \
    --account-id 123456789012 bench/out/raw-6mb.ndjson > bench/out/ocsf-6mb.ndjson 2> /dev/null
  python3 - <<'PY'
lines = open("bench/out/ocsf-6mb.ndjson", "rb").read().splitlines(keepends=True)
out, size, i = [], 0, 0
while size + len(lines[i % len(lines)]) <= 64 << 20:
    out.append(lines[i % len(lines)])
    size += len(out[-1])
    i += 1
open("bench/out/ocsf-64mib.ndjson", "wb").write(b"".join(out))
PY
fi
rm -rf bench/out/lake
/usr/bin/time -o bench/out/time.txt -f '%M' \
  target/release/cognito-activity security-lake --out bench/out/lake --account-id 123456789012 \
  bench/out/ocsf-64mib.ndjson > /dev/null 2>&1 || true
kb=$(tail -1 bench/out/time.txt)
echo "security-lake, 64 MiB of OCSF 1.1.0 lines: peak RSS $((kb / 1024)) MB ($kb KB)"
