#!/usr/bin/env python3
"""Checks that the Python baseline (or, with --node, its Node port
bench/baseline.mjs) computes what the Rust transformer computes: decodes
every output line of both for one event and compares them as JSON values.
A baseline that skipped work would be a false comparison.

    python3 bench/parity.py EVENT.json          (after cargo build --release -p cognito-activity-cli)
    python3 bench/parity.py --node EVENT.json   (needs node on the PATH)
"""
import argparse
import base64
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import baseline  # noqa: E402

CLI = os.path.join(os.path.dirname(HERE), "target", "release", "cognito-activity")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--node", action="store_true", help="check bench/baseline.mjs instead")
    ap.add_argument("event")
    args = ap.parse_args()
    path = args.event
    if args.node:
        py = json.loads(subprocess.run(["node", os.path.join(HERE, "baseline.mjs"), path],
                                       check=True, capture_output=True, text=True).stdout)
    else:
        with open(path, "rb") as f:
            py = baseline.lambda_handler(json.load(f), None)
    rs = json.loads(subprocess.run([CLI, "replay", path], check=True,
                                   capture_output=True, text=True).stdout)
    lines = differ = 0
    if len(py["records"]) != len(rs["records"]):
        print(f"record counts differ: baseline {len(py['records'])}, rust {len(rs['records'])}")
        sys.exit(1)
    for a, b in zip(py["records"], rs["records"]):
        if b["result"] != "Ok":
            continue  # over the response budget: Rust answers with the original
        la = base64.b64decode(a["data"]).decode().splitlines()
        lb = base64.b64decode(b["data"]).decode().splitlines()
        if len(la) != len(lb):
            differ += 1
        for x, y in zip(la, lb):
            lines += 1
            if json.loads(x) != json.loads(y):
                differ += 1
                if differ <= 3:
                    print("baseline:", x, "\nrust:    ", y)
    print(f"{lines} lines compared, {differ} differ")
    sys.exit(1 if differ or not lines else 0)


if __name__ == "__main__":
    main()
