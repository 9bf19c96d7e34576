#!/usr/bin/env python3
"""Keeps a small corpus: greedy set cover over the edges libFuzzer reports.

`cargo fuzz cmin` keeps every input that adds a feature (thousands of files);
the committed corpus must stay small (< ~300 files per target). This reads a
libFuzzer merge control file and copies the inputs that cover the most new
edges first, until every edge is covered or MAX files are kept.

usage: select.py CONTROL_FILE OUT_DIR [MAX]
make the control file with:
  target/x86_64-unknown-linux-gnu/release/TARGET -merge=1 \
      -merge_control_file=/tmp/ctl /tmp/empty corpus-raw/TARGET
"""
import os, shutil, sys

ctl, out = sys.argv[1], sys.argv[2]
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 280
lines = open(ctl, errors="replace").read().splitlines()
n = int(lines[0])
files = lines[2 : 2 + n]
cov, size = {}, {}
for line in lines[2 + n :]:
    parts = line.split()
    if not parts:
        continue
    if parts[0] == "STARTED":
        size[int(parts[1])] = int(parts[2])
    elif parts[0] == "COV":
        cov[int(parts[1])] = set(map(int, parts[2:]))
total = set().union(*cov.values()) if cov else set()
covered, chosen = set(), []
while len(chosen) < limit:
    best = max(cov, key=lambda i: (len(cov[i] - covered), -size.get(i, 0)), default=None)
    if best is None or not cov[best] - covered:
        break
    covered |= cov.pop(best)
    chosen.append(best)
os.makedirs(out, exist_ok=True)
for i in chosen:
    shutil.copy(files[i], os.path.join(out, os.path.basename(files[i])))
print(f"kept {len(chosen)} files covering {len(covered)}/{len(total)} edges")
