#!/usr/bin/env python3
"""Builds the transformer with profile-guided optimization (PGO) for the
machine it runs on, to measure what PGO would give; the shipped artifact is
not built this way (docs/performance.md, "Profile-guided optimization").

    rustup component add llvm-tools   # llvm-profdata, matching rustc's LLVM
    python3 bench/pgo.py              # prints the path of the PGO bootstrap
    python3 bench/e2e.py --rust rust=target/release/firehose-transformer \\
                         --rust pgo=<that path>

1. An instrumented bootstrap (`-Cprofile-generate`) is built in target/pgo-gen.
2. It is trained warm behind bench/e2e.py's Runtime API, once per output
   format, on events drawn with another seed than the ones e2e.py measures
   (direct records at 1 and 3 MB, CloudWatch Logs envelopes at 1 MB) and on
   every sample event in events/ (failures and oddities included), then
   stopped by a poll answered with an error, so it exits and writes its
   counts.
3. The counts are merged (`llvm-profdata merge`) into target/pgo.profdata.
4. The bootstrap is built again with `-Cprofile-use` in target/pgo.

The flags go through RUSTFLAGS with an explicit --target, so that they reach
the crates of the binary and not the build scripts.
"""

import glob
import os
import shutil
import subprocess
import sys

import e2e

TARGET = subprocess.run(["rustc", "-vV"], capture_output=True, text=True,
                        check=True).stdout.split("host: ")[1].split()[0]
GEN_DIR = os.path.join(e2e.ROOT, "target", "pgo-gen")
USE_DIR = os.path.join(e2e.ROOT, "target", "pgo")
RAW = os.path.join(e2e.ROOT, "target", "pgo-raw")
PROFILE = os.path.join(e2e.ROOT, "target", "pgo.profdata")
FORMATS = ["normalized", "ocsf", "ecs", "splunk"]
TRAINING = [("direct", "1"), ("direct", "3"), ("cwl", "1")]
TRAINING_SEED = 7
ROUNDS = 5


def llvm_profdata():
    sysroot = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True,
                             check=True).stdout.strip()
    path = os.path.join(sysroot, "lib", "rustlib", TARGET, "bin", "llvm-profdata")
    if not os.path.exists(path):
        raise SystemExit("llvm-profdata is missing: rustup component add llvm-tools")
    return path


def build(target_dir, rustflags):
    env = dict(os.environ, RUSTFLAGS=rustflags)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "firehose-transformer",
                    "--target", TARGET, "--target-dir", target_dir],
                   cwd=e2e.ROOT, env=env, check=True)
    return os.path.join(target_dir, TARGET, "release", "firehose-transformer")


def train(bootstrap, events):
    for output_format in FORMATS:
        api = e2e.RuntimeApi()
        env = dict(e2e.RUST_ENV, OUTPUT_FORMAT=output_format,
                   LLVM_PROFILE_FILE=os.path.join(RAW, "bootstrap-%p.profraw"))
        proc = e2e.start("pgo", [bootstrap], api, env, None)
        try:
            for _ in range(ROUNDS):
                for event in events:
                    api.invoke(event)
            api.stop()
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                raise SystemExit("the instrumented bootstrap did not stop when asked")


def main():
    profdata = llvm_profdata()
    e2e.build_generator()
    os.makedirs(e2e.OUT, exist_ok=True)
    events = [e2e.generate(shape, mb, TRAINING_SEED) for shape, mb in TRAINING]
    for path in sorted(glob.glob(os.path.join(e2e.ROOT, "events", "firehose-*.json"))):
        with open(path, "rb") as f:
            events.append(f.read())

    shutil.rmtree(RAW, ignore_errors=True)
    os.makedirs(RAW)
    instrumented = build(GEN_DIR, f"-Cprofile-generate={RAW}")
    train(instrumented, events)
    raw = glob.glob(os.path.join(RAW, "bootstrap-*.profraw"))
    if len(raw) != len(FORMATS):
        raise SystemExit(f"expected {len(FORMATS)} profiles, found {len(raw)}")
    subprocess.run([profdata, "merge", "--sparse", "-o", PROFILE] + raw, check=True)
    print(build(USE_DIR, f"-Cprofile-use={PROFILE}"))


if __name__ == "__main__":
    sys.exit(main())
