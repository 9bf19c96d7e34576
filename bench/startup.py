#!/usr/bin/env python3
"""Start-up time of the Lambda binary: from spawning the bootstrap to its first
GET /2018-06-01/runtime/invocation/next, against a local Runtime API (http.server on
127.0.0.1; nothing leaves the machine).

    python3 bench/startup.py [--runs 20] [--no-build] [--bin PATH]

The bootstrap measured by default is the one bench/e2e.py measures, built as SAM builds the
deployed one, with its profile-guided optimization (functions/firehose-transformer/build.sh
x86_64, into target/pgo/x86_64-unknown-linux-gnu/release/); `--bin` measures another.

Each run starts the binary with the environment Lambda gives a function
(AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME, ..., memory 128 MB, dummy
credentials, and the instance metadata service disabled so the SDK never
looks past loopback), answers the first poll with a real event
(events/firehose-direct-signin.json), checks the response it posts, and
stops the process at its second poll. Prints the median, minimum and
maximum time to the first poll, and the time to the first response.
"""

import argparse
import json
import os
import statistics
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import e2e

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVENT = os.path.join(ROOT, "events", "firehose-direct-signin.json")


class Api(BaseHTTPRequestHandler):
    state = None  # set per run

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        st = Api.state
        now = time.perf_counter()
        if self.path != "/2018-06-01/runtime/invocation/next":
            self.send_error(404)
            return
        st["polls"].append(now)
        if len(st["polls"]) > 1:
            st["done"].set()
            # Keep the second poll open until the process is stopped.
            time.sleep(2)
            return
        body = st["event"]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Lambda-Runtime-Aws-Request-Id", "req-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                         "arn:aws:lambda:us-east-1:123456789012:function:cognito-activity")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        st = Api.state
        length = int(self.headers.get("Content-Length", 0))
        data = self.rfile.read(length)
        st["responses"].append((time.perf_counter(), self.path, data))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


def run_once(binary, port, event):
    Api.state = {"polls": [], "responses": [], "done": threading.Event(), "event": event}
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_NAME": "cognito-activity",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/cognito-activity",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2024/11/23/[$LATEST]0123456789abcdef",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "example-not-a-secret",
        "AWS_SESSION_TOKEN": "example",
        "AWS_EC2_METADATA_DISABLED": "true",
        "LAMBDA_TASK_ROOT": "/var/task",
        "_HANDLER": "bootstrap",
        "RUST_LOG": "warn",
    }
    start = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    ok = Api.state["done"].wait(10)
    proc.kill()
    proc.wait()
    st = Api.state
    if not ok or not st["polls"]:
        raise SystemExit("the binary never polled the Runtime API")
    first = (st["polls"][0] - start) * 1000
    answered = None
    if st["responses"]:
        t, path, data = st["responses"][0]
        if path.endswith("/response") and b'"records"' in data:
            answered = (t - start) * 1000
    return first, answered


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--bin", help="the binary to measure (default: the PGO bootstrap, built)")
    ap.add_argument("--no-build", action="store_true",
                    help="measure the PGO bootstrap as it is, without building it first")
    args = ap.parse_args()
    if args.bin is None:
        args.bin = e2e.BOOTSTRAP
        if not args.no_build:
            e2e.build_bootstrap()
    with open(EVENT, "rb") as f:
        event = f.read()
    json.loads(event)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    firsts, answers = [], []
    for _ in range(args.runs):
        first, answered = run_once(args.bin, port, event)
        firsts.append(first)
        if answered is not None:
            answers.append(answered)
    server.shutdown()
    size = os.path.getsize(args.bin)
    print(f"binary: {args.bin} ({size / 1e6:.2f} MB)")
    print(f"exec to first poll, ms over {len(firsts)} runs: median {statistics.median(firsts):.2f}, "
          f"min {min(firsts):.2f}, max {max(firsts):.2f}")
    if answers:
        print(f"exec to first response posted, ms: median {statistics.median(answers):.2f}")
    else:
        print("warning: no response was posted")


if __name__ == "__main__":
    main()
