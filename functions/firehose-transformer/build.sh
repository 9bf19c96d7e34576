#!/usr/bin/env bash
# Builds the Firehose transformer's release bootstrap with profile-guided optimization (PGO):
# rustc lays out and inlines the hot paths from the counts in pgo/<arch>.profdata, which
# bench/pgo.py records by running an instrumented build on sample batches. End to end it takes
# about a tenth off every invocation (bench/README.md). The profile only steers optimization: a
# stale or missing profile still gives a correct binary, only a slower one.
#
# Usage:
#   build.sh aarch64 DIR   the arm64 bootstrap that SAM deploys (functions/firehose-transformer/
#                          Makefile), built as the other functions are (cargo lambda with Zig),
#                          copied to DIR/bootstrap
#   build.sh x86_64        the x86_64 bootstrap that bench/e2e.py measures; prints its path
# Environment:
#   PGO_GENERATE=DIR       build instrumented instead (-Cprofile-generate), counts go to DIR
#                          (bench/pgo.py)
#   PGO_REQUIRE_CURRENT=1  fail when the profile does not fit the build (CI sets it), unless the
#                          rustc building is not the one that recorded the profile
#
# Cargo builds into target/pgo (target/pgo-gen instrumented), apart from target/ itself: other
# RUSTFLAGS there would make Cargo rebuild every crate each time the two builds alternate.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
arch="${1:?usage: build.sh aarch64 DIR | build.sh x86_64}"
profile="$here/pgo/$arch.profdata"
recorded="$here/pgo/rustc-version"

case "$arch" in
    aarch64)
        out="${2:?build.sh aarch64 needs the directory to copy the bootstrap to}"
        # What cargo lambda passes for --arm64 (Graviton2 and later) as build.rustflags, which the
        # flags below replace: kept, so that the bootstrap is the one cargo lambda alone builds.
        base=(-Ctarget-cpu=neoverse-n1)
        ;;
    x86_64)
        base=()
        ;;
    *)
        echo "build.sh: the architecture is aarch64 or x86_64, not '$arch'" >&2
        exit 2
        ;;
esac

# Without the profile the binary is still correct, only slower: a deployer's build goes on, CI's
# does not.
no_profile() {
    if [[ -n "${PGO_REQUIRE_CURRENT:-}" ]]; then
        echo "build.sh: $1: record it with python3 bench/pgo.py" >&2
        exit 1
    fi
    echo "build.sh: $1; building without PGO" >&2
}

llvm_major() { sed -n 's/^LLVM version: \([0-9]*\).*/\1/p'; }
# In the workspace, so that the rustc asked is the one Cargo builds with (a rust-toolchain file
# there would choose it).
cd "$root"
rustc_now="$(rustc -vV)"
use_profile=""
target_dir="$root/target/pgo"
flags=(${base[@]+"${base[@]}"})
if [[ -n "${PGO_GENERATE:-}" ]]; then
    target_dir="$root/target/pgo-gen"
    flags+=("-Cprofile-generate=$PGO_GENERATE")
elif [[ ! -f "$profile" ]]; then
    no_profile "no $profile"
elif [[ ! -f "$recorded" ]]; then
    # Without it, neither the LLVM check below nor the staleness check can be made.
    no_profile "no $recorded (the rustc that recorded the profile)"
elif [[ "$(llvm_major <<< "$rustc_now")" -lt "$(llvm_major < "$recorded")" ]]; then
    # An older LLVM cannot read a newer profile format: the build would fail.
    echo "build.sh: this rustc's LLVM is older than the one that recorded $profile" \
        "($(head -1 "$recorded")); building without PGO" >&2
else
    use_profile=1
    # rustc warns of functions whose code changed since the profile (hash mismatch); with
    # -pgo-warn-missing-function also of those the profile has no counts for, which are
    # mostly the ones training never ran (the profile is sparse), and are filtered out below.
    flags+=("-Cprofile-use=$profile" -Cllvm-args=-pgo-warn-missing-function)
fi
# Handed to Cargo as CARGO_ENCODED_RUSTFLAGS (separated by 0x1f), which takes precedence over
# RUSTFLAGS and build.rustflags alike: RUSTFLAGS is split at spaces, and the profile's path may
# hold some. (`${base[@]+...}` above and `${flags[*]-}` here: to `set -u` in the bash 3.2
# that macOS ships, an empty array is unbound.)
encoded_flags="$(IFS=$'\x1f'; printf '%s' "${flags[*]-}")"
unset RUSTFLAGS

# The functions that take most of an invocation's time: if the profile has no counts for them,
# it does not fit this build at all (symbol names change with Cargo's -C metadata, for instance
# with the profile's panic strategy or a dependency's version).
hot=(
    cognito_activity::normalize::single_pass::normalize_text
    cognito_activity::normalize::Message::apply
    cognito_activity::output::normalized::write_normalized
)

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# The log keeps everything; the terminal gets all but the thousands of "no profile data"
# warnings for cold functions (each followed by a blank line).
show() { tee "$log" | awk '/no profile data available for function/ { skip = 1; next }
    skip && /^$/ { skip = 0; next } { skip = 0; print }' >&2; }
# Rust flags with an explicit --target reach the binary's crates, not build scripts or proc
# macros.
if [[ "$arch" == aarch64 && -n "${PGO_GENERATE:-}" ]]; then
    # Zig cannot link an instrumented binary (it takes the profiler's `-u __llvm_profile_runtime`
    # for a file), so the instrumented build links with Debian's cross GCC. The profile is keyed
    # by symbol names and rustc's own view of each function, the same for any linker.
    command -v aarch64-linux-gnu-gcc > /dev/null || {
        echo "build.sh: the instrumented arm64 build needs aarch64-linux-gnu-gcc" \
            "(apt-get install gcc-aarch64-linux-gnu)" >&2
        exit 1
    }
    CARGO_ENCODED_RUSTFLAGS="$encoded_flags" CARGO_TARGET_DIR="$target_dir" \
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
        CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
        cargo build --release -p firehose-transformer --target aarch64-unknown-linux-gnu \
        2>&1 | show
    built="$target_dir/aarch64-unknown-linux-gnu/release/firehose-transformer"
elif [[ "$arch" == aarch64 ]]; then
    # From the package's folder, as SAM's rust-cargolambda builder runs it: from the workspace
    # root, `--bin` still selects every member, and the binary gets all their dependencies'
    # features (the S3 SDK, regex, more of tracing-subscriber) unified into its own.
    (cd "$here" && CARGO_ENCODED_RUSTFLAGS="$encoded_flags" CARGO_TARGET_DIR="$target_dir" \
        cargo lambda build \
        --release --arm64 --bin firehose-transformer --lambda-dir "$target_dir/lambda") 2>&1 | show
    built="$target_dir/lambda/firehose-transformer/bootstrap"
else
    CARGO_ENCODED_RUSTFLAGS="$encoded_flags" CARGO_TARGET_DIR="$target_dir" cargo build --release \
        -p firehose-transformer --target x86_64-unknown-linux-gnu 2>&1 | show
    built="$target_dir/x86_64-unknown-linux-gnu/release/firehose-transformer"
fi

if [[ -n "$use_profile" ]]; then
    changed="$(grep -c 'hash mismatch' "$log" || true)"
    unfit=()
    for f in "${hot[@]}"; do
        # Legacy mangling: each path segment as <length><name>, then the hash segment. Anchored
        # on both ends so that closures and other items inside the function do not count. One
        # grep, reading the whole log: under pipefail, `grep | grep -q` fails when the second
        # grep's early exit kills the first with SIGPIPE.
        mangled="$(awk -v p="$f" 'BEGIN { n = split(p, s, "::"); for (i = 1; i <= n; i++)
            printf "%d%s", length(s[i]), s[i] }')"
        if grep -Eq "no profile data available for function _ZN${mangled}17h[0-9a-f]{16}E" \
            "$log"; then
            unfit+=("$f")
        fi
    done
    if [[ "$changed" -gt 0 || ${#unfit[@]} -gt 0 ]]; then
        what="$changed functions changed since it was recorded"
        [[ ${#unfit[@]} -gt 0 ]] && what="$what; no counts for ${unfit[*]}"
        if [[ "$rustc_now" != "$(cat "$recorded")" ]]; then
            echo "build.sh: $profile: $what. It was recorded with $(head -1 "$recorded")," \
                "this is $(head -1 <<< "$rustc_now")" >&2
        elif [[ -n "${PGO_REQUIRE_CURRENT:-}" ]]; then
            echo "build.sh: $profile is stale ($what): record it again with" \
                "python3 bench/pgo.py" >&2
            exit 1
        else
            echo "build.sh: $profile is stale ($what); python3 bench/pgo.py records it again" >&2
        fi
    fi
fi

if [[ "$arch" == aarch64 ]]; then
    mkdir -p "$out"
    cp "$built" "$out/bootstrap"
else
    echo "$built"
fi
