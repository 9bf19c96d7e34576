#!/usr/bin/env python3
"""Records the profiles the Firehose transformer is built with (profile-guided optimization):
functions/firehose-transformer/pgo/<arch>.profdata, read by functions/firehose-transformer/build.sh
when SAM builds the arm64 bootstrap and when bench/e2e.py builds the x86_64 one.

    python3 bench/pgo.py                  # both architectures (a few minutes each)
    python3 bench/pgo.py --arch x86_64    # or one

Record them again whenever the transformer's code (or the library under it) changes: CI builds with
PGO_REQUIRE_CURRENT=1 and fails on a profile that no longer matches the code.

Needs `rustup component add llvm-tools` (llvm-profdata matching rustc's LLVM). The instrumented
arm64 build links with Debian's cross GCC and runs under qemu-user with the arm64 C library:
`apt-get install gcc-aarch64-linux-gnu qemu-user libc6-arm64-cross`.

For each architecture:
1. `build.sh` builds the bootstrap instrumented (`-Cprofile-generate`) into target/pgo-gen.
2. It is trained warm behind bench/e2e.py's Runtime API (arm64 under qemu-user), once per output
   format, on events drawn with another seed than the ones e2e.py measures (direct records at 1
   and 3 MB, CloudWatch Logs envelopes at 1 MB) and on every sample event in events/ (failures and
   oddities included), then stopped by a poll answered with an error, so it exits and writes its
   counts.
3. The counts are merged (`llvm-profdata merge --sparse`) into pgo/<arch>.profdata, and
   pgo/rustc-version records the rustc that made them (build.sh only insists on a current profile
   when the same rustc builds).
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import e2e

FUNCTION = os.path.join(e2e.ROOT, "functions", "firehose-transformer")
BUILD = os.path.join(FUNCTION, "build.sh")
PROFILES = os.path.join(FUNCTION, "pgo")
ARCHES = ["x86_64", "aarch64"]
FORMATS = ["normalized", "ocsf", "ecs", "splunk"]
TRAINING = [("direct", "1"), ("direct", "3"), ("cwl", "1")]
TRAINING_SEED = 7
ROUNDS = 5
ARM64_SYSROOT = "/usr/aarch64-linux-gnu"


def rustc_vv():
    return subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout


def llvm_profdata():
    host = rustc_vv().split("host: ")[1].split()[0]
    sysroot = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True,
                             check=True).stdout.strip()
    path = os.path.join(sysroot, "lib", "rustlib", host, "bin", "llvm-profdata")
    if not os.path.exists(path):
        raise SystemExit("llvm-profdata is missing: rustup component add llvm-tools")
    return path


def instrumented(arch, raw, scratch):
    """Builds the instrumented bootstrap; returns the command that runs it."""
    env = dict(os.environ, PGO_GENERATE=raw)
    if arch == "x86_64":
        path = subprocess.run(["bash", BUILD, arch], env=env, check=True, stdout=subprocess.PIPE,
                              text=True).stdout.strip().splitlines()[-1]
        return [path]
    if not shutil.which("qemu-aarch64") or not os.path.exists(
            os.path.join(ARM64_SYSROOT, "lib", "ld-linux-aarch64.so.1")):
        raise SystemExit("the arm64 profile runs under qemu-user: apt-get install qemu-user "
                         "libc6-arm64-cross")
    subprocess.run(["bash", BUILD, arch, scratch], env=env, check=True)
    return ["qemu-aarch64", "-L", ARM64_SYSROOT, os.path.join(scratch, "bootstrap")]


def train(command, raw, events):
    for output_format in FORMATS:
        api = e2e.RuntimeApi()
        env = dict(e2e.RUST_ENV, OUTPUT_FORMAT=output_format,
                   LLVM_PROFILE_FILE=os.path.join(raw, "bootstrap-%p.profraw"))
        proc = e2e.start("pgo", command, api, env, None)
        try:
            for _ in range(ROUNDS):
                for event in events:
                    api.invoke(event, timeout=600)
            api.stop()
            proc.wait(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                raise SystemExit("the instrumented bootstrap did not stop when asked")


def record(arch, profdata, events):
    raw = os.path.join(e2e.ROOT, "target", "pgo-raw", arch)
    shutil.rmtree(raw, ignore_errors=True)
    os.makedirs(raw)
    with tempfile.TemporaryDirectory() as scratch:
        train(instrumented(arch, raw, scratch), raw, events)
    counts = glob.glob(os.path.join(raw, "bootstrap-*.profraw"))
    if len(counts) != len(FORMATS):
        raise SystemExit(f"{arch}: expected {len(FORMATS)} profiles, found {len(counts)}")
    os.makedirs(PROFILES, exist_ok=True)
    out = os.path.join(PROFILES, f"{arch}.profdata")
    subprocess.run([profdata, "merge", "--sparse", "-o", out] + counts, check=True)
    print(f"{arch}: {os.path.relpath(out, e2e.ROOT)} ({os.path.getsize(out):,} bytes)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=ARCHES + ["both"], default="both")
    args = parser.parse_args()
    profdata = llvm_profdata()
    e2e.build_generator()
    os.makedirs(e2e.OUT, exist_ok=True)
    events = [e2e.generate(shape, mb, TRAINING_SEED) for shape, mb in TRAINING]
    for path in sorted(glob.glob(os.path.join(e2e.ROOT, "events", "firehose-*.json"))):
        with open(path, "rb") as f:
            events.append(f.read())
    for arch in ARCHES if args.arch == "both" else [args.arch]:
        record(arch, profdata, events)
    with open(os.path.join(PROFILES, "rustc-version"), "w") as f:
        f.write(rustc_vv())


if __name__ == "__main__":
    sys.exit(main())
