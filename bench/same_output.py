#!/usr/bin/env python3
"""Records the exact bytes every CLI output path writes, and diffs two records.

A refactor that must not change behaviour is checked by running this before
(`record baseline`) and after (`record now`, then `diff baseline now`). Each case
is one CLI run; its stdout, stderr and exit code are stored as files, so a diff
names the case and shows the bytes.

The matrix: every sample event in events/ through `replay` (the Firehose
response JSON) and `replay --decode`; every record those events carry, decoded
(base64, then gunzip when gzip), through `normalize`; each under every output
format (OCSF in both versions), every IP_MODE, every USER_NAME_MODE, with and
without PARTITION_KEYS, and a few filter settings.

Usage:
  python3 bench/same_output.py record NAME [--bin PATH]   # writes target/same-output/NAME
  python3 bench/same_output.py diff OLD NEW               # exit 1 when any case differs
  python3 bench/same_output.py check OLD [--bin PATH]     # record "now", then diff OLD now

The binary defaults to target/debug/cognito-activity, built with
`cargo build -p cognito-activity-cli` first (unless --no-build).
"""

import argparse
import base64
import gzip
import hashlib
import itertools
import json
import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "same-output"

FORMATS = [
    ("normalized", {}),
    ("ocsf", {"OCSF_VERSION": "1.1.0"}),
    ("ocsf", {"OCSF_VERSION": "1.8.0"}),
    ("ecs", {}),
    ("splunk", {}),
]
IP_MODES = ["keep", "truncate", "hash"]
USER_NAME_MODES = ["keep", "hash"]
PARTITION_KEYS = ["", "user_pool_id,event_type,outcome,risk_decision,ocsf_class,year,month,day,hour"]
# Filters, each on its own (with the default privacy settings), so a change in
# how filtering counts or drops shows.
FILTERS = [
    {"DROP_EVENT_RESPONSES": "Fail,InProgress"},
    {"INCLUDE_EVENT_TYPES": "SignIn,SignUp"},
    {"MIN_RISK_LEVEL": "medium"},
]
HASH_KEY = "same-output-test-key-0123456789"


def base_env():
    env = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME", "LANG")}
    env["RUST_LOG"] = "off"
    env["HASH_KEY"] = HASH_KEY
    env["AWS_REGION"] = "us-east-1"
    return env


def settings():
    """Every combination, as (label, env) pairs."""
    for (fmt, extra), ip, user, keys in itertools.product(FORMATS, IP_MODES, USER_NAME_MODES, PARTITION_KEYS):
        env = {"OUTPUT_FORMAT": fmt, "IP_MODE": ip, "USER_NAME_MODE": user, **extra}
        if keys:
            env["PARTITION_KEYS"] = keys
        label = f"{fmt}{extra.get('OCSF_VERSION', '')}_ip-{ip}_user-{user}_keys-{'all' if keys else 'none'}"
        yield label, env
    for fmt, extra in FORMATS:
        for i, f in enumerate(FILTERS):
            label = f"{fmt}{extra.get('OCSF_VERSION', '')}_filter-{i}-{'-'.join(f)}"
            yield label, {"OUTPUT_FORMAT": fmt, **extra, **f}


def decoded_records(event_path):
    """Each record's data, base64-decoded and gunzipped when gzip."""
    event = json.loads(event_path.read_bytes())
    for i, rec in enumerate(event.get("records", [])):
        try:
            data = base64.b64decode(rec.get("data", ""))
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
        except Exception:  # a deliberately bad sample record: its text is the input
            data = rec.get("data", "").encode()
        yield i, data


def record(name, binary):
    dest = OUT / name
    shutil.rmtree(dest, ignore_errors=True)
    inputs = dest / "inputs"
    cases = dest / "cases"
    inputs.mkdir(parents=True, exist_ok=True)
    cases.mkdir(parents=True, exist_ok=True)
    events = sorted((ROOT / "events").glob("*.json"))
    norm_inputs = []
    for ev in events:
        for i, data in decoded_records(ev):
            p = inputs / f"{ev.stem}.record{i}.ndjson"
            p.write_bytes(data)
            norm_inputs.append(p)
    runs = []
    for ev in events:
        rel = str(ev.relative_to(ROOT))
        runs.append((f"replay/{ev.stem}", ["replay", rel], ROOT))
        runs.append((f"replay-decode/{ev.stem}", ["replay", rel, "--decode"], ROOT))
    # Run from the inputs folder, so messages name the file the same way in every record.
    for p in norm_inputs:
        runs.append((f"normalize/{p.stem}", ["normalize", "--account-id", "123456789012", p.name], inputs))
    manifest = {}
    env0 = base_env()
    for label, extra in settings():
        env = {**env0, **extra}
        for run_name, args, cwd in runs:
            res = subprocess.run([binary, *args], env=env, capture_output=True, cwd=cwd)
            case = f"{run_name}/{label}"
            d = cases / case
            d.mkdir(parents=True, exist_ok=True)
            (d / "stdout").write_bytes(res.stdout)
            (d / "stderr").write_bytes(res.stderr)
            (d / "exit").write_text(f"{res.returncode}\n")
            h = hashlib.sha256(res.stdout + b"\0" + res.stderr + b"\0" + str(res.returncode).encode())
            manifest[case] = h.hexdigest()
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(manifest)} cases in {dest.relative_to(ROOT)}")


def diff(old, new):
    a = json.loads((OUT / old / "manifest.json").read_text())
    b = json.loads((OUT / new / "manifest.json").read_text())
    missing = sorted(set(a) - set(b))
    added = sorted(set(b) - set(a))
    changed = sorted(k for k in set(a) & set(b) if a[k] != b[k])
    for k in missing:
        print(f"missing in {new}: {k}")
    for k in added:
        print(f"new in {new}: {k}")
    for k in changed:
        print(f"differs: {k}")
        for part in ("stdout", "stderr", "exit"):
            pa = OUT / old / "cases" / k / part
            pb = OUT / new / "cases" / k / part
            if pa.read_bytes() != pb.read_bytes():
                subprocess.run(["diff", "-u", str(pa), str(pb)], check=False)
    same = len(set(a) & set(b)) - len(changed)
    print(f"{same} cases identical, {len(changed)} differ, {len(missing)} missing, {len(added)} new")
    return 1 if (changed or missing or added) else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for c in ("record", "check"):
        p = sub.add_parser(c)
        p.add_argument("name")
        p.add_argument("--bin", default=str(ROOT / "target" / "debug" / "cognito-activity"))
        p.add_argument("--no-build", action="store_true")
    p = sub.add_parser("diff")
    p.add_argument("old")
    p.add_argument("new")
    args = ap.parse_args()
    if args.cmd == "diff":
        return diff(args.old, args.new)
    if not args.no_build:
        subprocess.run(["cargo", "build", "-q", "-p", "cognito-activity-cli"], cwd=ROOT, check=True)
    if args.cmd == "record":
        record(args.name, args.bin)
        return 0
    record("now", args.bin)
    return diff(args.name, "now")


if __name__ == "__main__":
    sys.exit(main())
