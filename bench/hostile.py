#!/usr/bin/env python3
"""What hostile events cost on the real Lambda path, next to ordinary ones.

    python3 bench/hostile.py [--rounds 5] [--cpu 1] [--no-build] [--skip-hung]

The release binary (`firehose-transformer`, which SAM packages as `bootstrap`), warm, behind a local Runtime API (bench/e2e.py's),
is handed each event in turn; printed are the median time from handing the
event out to receiving the whole response, the time per MB of event, and
that per-MB cost as a multiple of the ordinary events' (issue #17's goal:
at most 3x the cost per MB of an ordinary batch whose answers fit).

The events (built here, deterministic, each about 6 MB):

- `overflow tail`: one NDJSON record whose OCSF output fills the response
  budget, then ~21,000 tiny records whose answers no longer fit: each
  overflows and is settled (REINGEST=false: answered ProcessingFailed);
- `forged ISIZE`: ~7,800 small gzip records whose trailers claim 4 GiB;
- `gzip bombs`: ~270 records that each inflate to exactly the 16 MiB cap;
- `ordinary direct`, `ordinary OCSF` and `ordinary CWL`: bench/e2e.py's
  4.5 MB direct batch (normalized, and OCSF as the overflow tail is
  written) and a 0.6 MB CloudWatch Logs batch, whose answers fit.

Each hostile event is compared with the ordinary event of its kind (`x
ordinary`): the overflow tail with the OCSF direct batch, the gzip ones
with the CloudWatch Logs batch (gzip records).

Then the peak RSS of a fresh process handling each event once; then,
unless --skip-hung, the overflow-tail event once more with
REINGEST=true, a re-ingestion endpoint that accepts connections and never
answers, and a 15 s deadline: the response must arrive before the deadline
(the function stops re-ingesting 1.5 s before it).
"""

import argparse
import base64
import gzip
import json
import os
import socket
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import e2e  # noqa: E402  (the Runtime API, the runtime launcher, the events)

STREAM_ARN = "arn:aws:firehose:us-east-1:123456789012:deliverystream/cognito-activity"

FIELD_RECORD = {
    "eventTimestamp": "1723070073369", "eventSource": "USER_AUTH_EVENTS", "logLevel": "INFO",
    "message": {
        "version": "1", "eventId": "7f151463-1488-428f-a5c1-9f9c80cf2114",
        "eventType": "SignIn", "userSub": "0784fae8-c051-70ff-b12c-0e32600fdd02",
        "userName": "hoge0808", "userPoolId": "ap-northeast-1_EcsdFoftu",
        "clientId": "g0n17akfs8hkb8hmlqh38r9tg",
        "creationDate": "Wed Aug 07 22:34:33 UTC 2024", "eventResponse": "InProgress",
        "riskLevel": "", "riskDecision": "PASS", "challenges": ["Password:Success"],
        "deviceName": "Other, Other", "ipAddress": "2001:db8::1",
        "requestId": "7f151463-1488-428f-a5c1-9f9c80cf2114", "idpName": "",
        "compromisedCredentialDetected": "false", "city": "Sapporo", "country": "Japan",
    },
    "logSourceId": {"userPoolId": "ap-northeast-1_EcsdFoftu"},
}

SIZE = 6_000_000  # each hostile event, in bytes, at most


def b64(data):
    return base64.b64encode(data).decode()


def event(records):
    return json.dumps({
        "invocationId": "hostile", "deliveryStreamArn": STREAM_ARN, "region": "us-east-1",
        "records": records,
    }, separators=(",", ":")).encode()


def record(i, data):
    return {"recordId": f"{i:08d}", "approximateArrivalTimestamp": 1723070080000,
            "data": b64(data)}


def overflow_tail():
    line = json.dumps(FIELD_RECORD, separators=(",", ":")).encode() + b"\n"
    records = [record(0, line * 2_150)]  # its OCSF output alone fills the budget
    tiny = json.dumps({"eventSource": "USER_AUTH_EVENTS", "message": {"eventType": "SignIn"}}, separators=(",", ":")).encode()
    used = len(event(records))
    i = 1
    per = len(json.dumps(record(i, tiny), separators=(",", ":"))) + 1
    while used + per < SIZE:
        records.append(record(i, tiny))
        used += per
        i += 1
    return event(records)


def repeated(data):
    """An event of as many records carrying `data` as fit in SIZE."""
    records, used = [], 100
    per = len(json.dumps(record(0, data), separators=(",", ":"))) + 1
    while used + per < SIZE:
        records.append(record(len(records), data))
        used += per
    return event(records)


def forged_isize():
    body = bytearray(gzip.compress(json.dumps(FIELD_RECORD).encode(), 9, mtime=0))
    body[-4:] = (0xFFFFFFFF).to_bytes(4, "little")  # "4 GiB"
    return repeated(bytes(body))


def bombs():
    return repeated(gzip.compress(bytes(16 * 1024 * 1024), 9, mtime=0))


def hung_endpoint():
    """A listener that accepts connections and never answers; its address."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held = []

    def accept():
        while True:
            conn, _ = listener.accept()
            held.append(conn)  # kept open, never read from or written to

    threading.Thread(target=accept, daemon=True).start()
    return "http://127.0.0.1:%d" % listener.getsockname()[1]


def launch(env, cpu):
    api = e2e.RuntimeApi()
    full = {"GLIBC_TUNABLES": e2e.GLIBC_TUNABLES, "AWS_LAMBDA_LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARN"),
            "REINGEST": "false"}
    full.update(env)
    return api, e2e.start("rust", [e2e.BOOTSTRAP], api, full, cpu)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cpu", type=int, default=1)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--skip-hung", action="store_true")
    args = ap.parse_args()
    cpu = None if args.cpu < 0 else args.cpu
    os.makedirs(e2e.OUT, exist_ok=True)
    if not args.no_build:
        e2e.build()
    events = [
        ("ordinary direct", e2e.generate("direct", "4.5"), "normalized"),
        ("ordinary OCSF", e2e.generate("direct", "4.5"), "ocsf"),
        ("ordinary CWL", e2e.generate("cwl", "0.6"), "normalized"),
        ("overflow tail", overflow_tail(), "ocsf"),
        ("forged ISIZE", forged_isize(), "normalized"),
        ("gzip bombs", bombs(), "normalized"),
    ]
    times = {}
    procs = []
    try:
        runtimes = {}
        for fmt in sorted({f for _, _, f in events}):
            api, proc = launch({"OUTPUT_FORMAT": fmt}, cpu)
            runtimes[fmt] = api
            procs.append(proc)
        for name, body, fmt in events:
            _, kind, answer = runtimes[fmt].invoke(body, timeout=600)
            n = len(json.loads(body)["records"])
            if kind != "response":
                raise SystemExit(f"{name}: an invocation error: {answer[:300]!r}")
            print(f"  {name:<16} {len(body) / 1e6:5.2f} MB, {n:>6} records: "
                  f"{e2e.summary('rust', answer, n)}")
        for _ in range(args.rounds):
            for name, body, fmt in events:
                elapsed, _, _ = runtimes[fmt].invoke(body, timeout=600)
                times.setdefault(name, []).append(elapsed)
    finally:
        for p in procs:
            p.kill()
            p.wait()

    per_mb = {name: statistics.median(times[name]) * 1e3 / (len(body) / 1e6)
              for name, body, _ in events}
    print(f"\n{args.rounds} rounds, medians; CPU {cpu}; load average "
          f"{os.getloadavg()[0]:.2f}")
    kind = {"overflow tail": "ordinary OCSF", "forged ISIZE": "ordinary CWL",
            "gzip bombs": "ordinary CWL"}
    print(f"{'event':<16} {'MB':>5} {'ms':>8} {'ms/MB':>7} {'x direct':>9} {'x ordinary':>11}")
    for name, body, _ in events:
        ms = statistics.median(times[name]) * 1e3
        mine = f"{per_mb[name] / per_mb[kind[name]]:11.2f}" if name in kind else ""
        print(f"{name:<16} {len(body) / 1e6:5.2f} {ms:8.1f} {per_mb[name]:7.2f} "
              f"{per_mb[name] / per_mb['ordinary direct']:9.2f} {mine}")

    # Peak memory: a fresh process per event, invoked once, its VmHWM.
    print("\npeak RSS of a fresh bootstrap after one invocation (MAX_DECOMPRESSED_BYTES "
          "16 MiB, 128 MB function):")
    for name, body, fmt in events:
        api, proc = launch({"OUTPUT_FORMAT": fmt}, cpu)
        try:
            api.invoke(body, timeout=600)
            with open(f"/proc/{proc.pid}/status") as f:
                hwm = next(line.split()[1] for line in f if line.startswith("VmHWM"))
        finally:
            proc.kill()
            proc.wait()
        print(f"  {name:<16} {int(hwm) / 1024:6.1f} MiB")

    if not args.skip_hung:
        api, proc = launch({"OUTPUT_FORMAT": "ocsf", "REINGEST": "true",
                            "AWS_ENDPOINT_URL": hung_endpoint()}, cpu)
        api.deadline_ms = 15_000
        try:
            elapsed, kind, answer = api.invoke(overflow_tail(), timeout=120)
        finally:
            proc.kill()
            proc.wait()
        verdict = "before" if elapsed < 15 else "AFTER"
        print(f"\nhung re-ingestion endpoint, 15 s deadline: {kind} in {elapsed:.2f} s "
              f"({verdict} the deadline)")


if __name__ == "__main__":
    main()
