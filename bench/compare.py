#!/usr/bin/env python3
"""Runs the Rust transformer and the Python baseline on the same generated
Firehose events, one core each, and prints both throughputs and their ratio.

    python3 bench/compare.py [--seconds N] [--formats normalized,ocsf]

It builds the release examples (`gen_batches`, `time_event`), generates the
events into bench/out/ (direct records at 1 MB and 3 MB, CloudWatch Logs gzip
envelopes at 1 MB), then times `cognito_activity::process_event` (in
`time_event`) and `baseline.lambda_handler` (here, in a loop, including
`json.loads` of the event and `json.dumps` of the response, as the Lambda
runtime does) on each. Rates are of the Firehose event's JSON bytes and of
Cognito events per second, from the fastest run of each side (the
estimator least disturbed by other work on a shared machine) and, for
reference, from the mean over the process's own CPU time.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
BIN = os.path.join(ROOT, "target", "release", "examples")
sys.path.insert(0, HERE)

import baseline  # noqa: E402

BATCHES = [("direct", 1), ("direct", 3), ("cwl", 1)]


def build():
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "cognito-activity",
         "--example", "gen_batches", "--example", "time_event"],
        cwd=ROOT, check=True)


def generate(shape, mb):
    path = os.path.join(OUT, f"{shape}-{mb}mb.json")
    if not os.path.exists(path):
        subprocess.run([os.path.join(BIN, "gen_batches"), shape, str(mb), path], check=True)
    return path


def time_rust(path, fmt, seconds):
    out = subprocess.run([os.path.join(BIN, "time_event"), path, fmt, str(seconds)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def time_python(path, seconds):
    with open(path, "rb") as f:
        raw = f.read()
    events = 0
    resp = baseline.lambda_handler(json.loads(raw), None)
    for r in resp["records"]:
        if r["result"] == "Ok":
            events += base64_lines(r["data"])
    runs = 0
    best = float("inf")
    start_cpu = time.thread_time()
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or runs < 3:
        t = time.perf_counter()
        json.dumps(baseline.lambda_handler(json.loads(raw), None))
        best = min(best, time.perf_counter() - t)
        runs += 1
    mean = (time.thread_time() - start_cpu) / runs
    return {"impl": "python", "event_bytes": len(raw), "events": events, "runs": runs,
            "mean_s": mean, "best_s": best}


def base64_lines(data):
    import base64
    return base64.b64decode(data).count(b"\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    ap.add_argument("--formats", default="normalized",
                    help="Rust output formats, comma-separated (Python does normalized)")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    if not args.no_build:
        build()
    print(f"python {sys.version.split()[0]}; one core each; fastest run (mean over CPU time)")
    print(f"{'batch':<11} {'format':<11} {'rust MB/s':>16} {'rust events/s':>18} "
          f"{'python MB/s':>13} {'python ev/s':>15} {'ratio':>13}")
    worst = None
    for shape, mb in BATCHES:
        path = generate(shape, mb)
        py = time_python(path, args.seconds)
        for fmt in args.formats.split(","):
            rs = time_rust(path, fmt, args.seconds)
            if rs["events"] != py["events"]:
                print(f"warning: event counts differ: rust {rs['events']}, python {py['events']}")
            size = rs["event_bytes"] / 1e6

            def rates(r):
                return (size / r["best_s"], r["events"] / r["best_s"],
                        size / r["mean_s"], r["events"] / r["mean_s"])
            rb, reb, rm, rem = rates(rs)
            pb, peb, pm, pem = rates(py)
            ratio, ratio_mean = rb / pb, rm / pm
            if fmt == "normalized":
                worst = ratio if worst is None else min(worst, ratio)
            print(f"{shape}-{mb}mb{'':<{11 - len(shape) - len(str(mb)) - 3}} {fmt:<11} "
                  f"{rb:>7.1f} ({rm:>6.1f}) {reb:>8.0f} ({rem:>7.0f}) "
                  f"{pb:>5.2f} ({pm:>5.2f}) {peb:>6.0f} ({pem:>6.0f}) "
                  f"{ratio:>5.1f}x ({ratio_mean:>4.1f}x)")
    if worst is not None:
        print(f"lowest normalized ratio, fastest runs: {worst:.1f}x (target: 20x)")


if __name__ == "__main__":
    main()
