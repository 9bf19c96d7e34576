#!/usr/bin/env bash
# Peak memory (maximum resident set size). First the Firehose transformer on
# the real Lambda path: the release `bootstrap`, warm behind bench/e2e.py's
# local Runtime API, two warm-up and three timed invocations of one event,
# its process's peak (VmHWM): direct records at 6 MB (the largest event
# Firehose sends a Lambda), CloudWatch Logs gzip envelopes at 3 MB (the
# largest processor buffer Firehose allows; ~18,000 events, ~9x the response
# limit once decompressed) and at 6 MB; normalized and OCSF. Then the
# Security Lake writer's batch, through the CLI's `security-lake` (the same
# `Batch` as the function), with its user CPU time: 64 MiB of OCSF 1.1.0
# lines and 64 MiB of normalized lines (the template's default format), the
# largest object the template's default 64 MB S3 buffer delivers. The
# function also holds the object it read, 64 MiB more.
#
#   bash bench/memory.sh
#
# Needs GNU time for the Security Lake figures (Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
cargo build --release -q -p cognito-activity --example gen_batches
# Each its own build, as SAM and bench/e2e.py build the bootstrap: built together, cargo would
# unify their dependencies' features into another binary. The bootstrap with its PGO profile.
bash functions/firehose-transformer/build.sh x86_64 > /dev/null
cargo build --release -q -p cognito-activity-cli
cli=target/release/cognito-activity

for event in direct:6 cwl:3 cwl:6; do
  for format in normalized ocsf; do
    rm -f bench/out/memory.json
    python3 bench/e2e.py --no-build --skip python,node --rounds 3 --events "$event" \
      --output-format "$format" --json bench/out/memory.json > /dev/null
    python3 - "$event" "$format" <<'PY'
import json, sys
kb = json.load(open("bench/out/memory.json"))["peak_rss_kb"]["rust"]
if kb is None:
    sys.exit("no peak memory read for the bootstrap (/proc/PID/status)")
print(f"bootstrap, {sys.argv[1]} MB {sys.argv[2]}: peak RSS {kb / 1024:.1f} MB ({kb} KB)")
PY
  done
done

# 64 MiB of lines in each format: the 6 MB event's records, mapped, repeated
# (made again on every run, so they follow the mapping).
python3 - <<'PY'
import base64, json
records = json.load(open("bench/out/direct-6mb.json"))["records"]
with open("bench/out/raw-6mb.ndjson", "wb") as f:
    f.write(b"".join(base64.b64decode(r["data"]).rstrip(b"\n") + b"\n" for r in records))
PY
OCSF_VERSION=1.1.0 $cli normalize --format ocsf --account-id 123456789012 \
  bench/out/raw-6mb.ndjson > bench/out/ocsf-6mb.ndjson 2> /dev/null
$cli normalize --format normalized --account-id 123456789012 \
  bench/out/raw-6mb.ndjson > bench/out/normalized-6mb.ndjson 2> /dev/null
for format in ocsf normalized; do
  python3 - "$format" <<'PY'
import sys
fmt = sys.argv[1]
lines = open(f"bench/out/{fmt}-6mb.ndjson", "rb").read().splitlines(keepends=True)
out, size, i = [], 0, 0
while size + len(lines[i % len(lines)]) <= 64 << 20:
    out.append(lines[i % len(lines)])
    size += len(out[-1])
    i += 1
open(f"bench/out/{fmt}-64mib.ndjson", "wb").write(b"".join(out))
PY
  rm -rf bench/out/lake bench/out/time.txt
  /usr/bin/time -o bench/out/time.txt -f '%M %U' \
    $cli security-lake --out bench/out/lake --account-id 123456789012 \
    "bench/out/$format-64mib.ndjson" > /dev/null
  read -r kb user < <(tail -1 bench/out/time.txt)
  echo "security-lake, 64 MiB of $format lines: peak RSS $((kb / 1024)) MB ($kb KB), ${user} s user"
done
