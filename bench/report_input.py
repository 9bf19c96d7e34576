#!/usr/bin/env python3
"""Writes N raw Cognito records (default 1,000,000) for benchmarking `cognito-activity report`:
the detections' generated month (analysis/check_detections.py), repeated with the users and
addresses renamed per copy and the times shifted a week per copy.

    python3 bench/report_input.py 1000000 > /tmp/report-1m.jsonl
    /usr/bin/time -v target/release/cognito-activity report /tmp/report-1m.jsonl --out /tmp/report-1m.html
"""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "analysis"))
import check_detections  # noqa: E402

WEEK_MS = 7 * 86_400_000


def main():
    want = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    dataset, _, _ = check_detections.generate()
    base = [json.loads(line) for line in dataset.lines().splitlines()]
    out, copy, written = sys.stdout, 0, 0
    while written < want:
        for record in base:
            if written == want:
                break
            m = record["message"]
            r = dict(record, eventTimestamp=str(int(record["eventTimestamp"]) + copy * WEEK_MS))
            r["message"] = dict(m, userName=f"{m['userName']}-{copy}",
                                ipAddress=m["ipAddress"].rsplit(".", 1)[0] + f".{copy % 250 + 1}")
            out.write(json.dumps(r) + "\n")
            written += 1
        copy += 1


if __name__ == "__main__":
    main()
