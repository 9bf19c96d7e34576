#!/usr/bin/env bash
# Builds what `sam deploy` ships (`sam build`: every function of template.yaml, arm64, with
# cargo-lambda and Zig; the transformer with its PGO profile) and runs each built artifact under
# qemu-user against a local Lambda Runtime API on every sample event the template names for it
# (the function's `Metadata: SampleEvents`), checking each response byte for byte against the x86
# build of the same binary (tests/tests/artifact.rs). Our `sam local invoke`, without Docker.
#
# Installs what it needs on a Debian machine: qemu-user and libc6-arm64-cross (apt), the Rust
# aarch64 target (rustup), SAM CLI, cargo-lambda and a pinned Zig (pip, in a venv outside the work
# tree). Needs the network only for those installs.
#
# Usage: .ci/artifact.sh [build|run|all]   (default all; .ci/run times the two stages apart)
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE="${1:-all}"

# Pinned so a new release cannot turn CI red on its own; bump on purpose. aws-sam-cli matches
# .ci/template-checks.sh. Zig is what cargo-lambda cross-compiles with: C code (libdeflate) and
# the link; ring (rustls' crypto provider) builds with it, aws-lc would not. Zig 0.13 (clang 18)
# fails on libdeflate's aarch64 CRC code ("Cannot select: intrinsic llvm.aarch64.crypto.eor3u").
TOOLS=(aws-sam-cli==1.170.0 cargo-lambda==1.9.2 ziglang==0.14.1)
VENV="${ARTIFACT_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/cognito-activity/artifact-tools}"
STAMP="$VENV/.installed"
SYSROOT=/usr/aarch64-linux-gnu

run() {
    printf '+ %s\n' "$*" >&2
    "$@"
}

as_root() {
    if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

# make: SAM builds the transformer through its Makefile (functions/firehose-transformer/build.sh).
if ! command -v qemu-aarch64 > /dev/null || [[ ! -e "$SYSROOT/lib/ld-linux-aarch64.so.1" ]] ||
    ! command -v make > /dev/null; then
    run as_root apt-get update -qq
    run as_root apt-get install -y -qq qemu-user libc6-arm64-cross make
fi

run rustup target add aarch64-unknown-linux-gnu

if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "${TOOLS[*]}" ]]; then
    [[ -x "$VENV/bin/python" ]] || run python3 -m venv "$VENV"
    run "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${TOOLS[@]}"
    printf '%s' "${TOOLS[*]}" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH" # sam, cargo-lambda, and the python-zig wrapper cargo-lambda finds
export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

if [[ "$STAGE" != run ]]; then
    start=$SECONDS
    # The transformer's PGO profile must match the code it is built from (build.sh): a change to
    # the code without `python3 bench/pgo.py` fails here rather than ship a slower binary.
    PGO_REQUIRE_CURRENT=1 run sam build --template-file template.yaml
    echo "artifact: sam build took $((SECONDS - start)) s" >&2
fi

if [[ "$STAGE" != build ]]; then
    start=$SECONDS
    ARTIFACT_RUNNER="qemu-aarch64 -L $SYSROOT" \
        run cargo test -p e2e --test artifact -- --ignored --nocapture --test-threads 1
    echo "artifact: arm64 runs took $((SECONDS - start)) s" >&2
fi
