#!/usr/bin/env bash
# Lints template.yaml with cfn-lint, `sam validate --lint` and checkov; every one must be clean.
# Suppressions live inline in template.yaml (Metadata: checkov: skip / cfn-lint: config), never here.
#
# The tools go into a virtualenv outside the work tree (PEP 668 Debian pythons refuse a global
# pip install, and aws-sam-cli pins botocore versions that clash with a system awscli). The
# venv is reused while the pinned versions below are unchanged, so a second run installs nothing.
# Pinned so a new checkov/cfn-lint release with new rules cannot turn CI red on its own; bump
# them on purpose. Needs the network only for PyPI, and no AWS credentials.
set -euo pipefail

cd "$(dirname "$0")/.."

TOOLS=(cfn-lint==1.58.0 aws-sam-cli==1.170.0 checkov==3.2.459)
VENV="${TEMPLATE_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/cognito-activity/template-tools}"
STAMP="$VENV/.installed"

run() {
    printf '+ %s\n' "$*" >&2
    "$@"
}

if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "${TOOLS[*]}" ]]; then
    if [[ ! -x "$VENV/bin/python" ]]; then
        mkdir -p "$(dirname "$VENV")"
        if ! run python3 -m venv "$VENV"; then
            # Debian's python3 ships venv separately.
            if [[ "$(id -u)" == 0 ]] && command -v apt-get > /dev/null; then
                run apt-get update -qq
                run apt-get install -y -qq python3-venv
                rm -rf "$VENV"
                run python3 -m venv "$VENV"
            else
                echo "template-checks: python3 -m venv failed; install python3-venv" >&2
                exit 1
            fi
        fi
    fi
    start=$SECONDS
    run "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${TOOLS[@]}"
    echo "template-checks: pip install took $((SECONDS - start)) s" >&2
    printf '%s' "${TOOLS[*]}" > "$STAMP"
fi

export SAM_CLI_TELEMETRY=0      # no telemetry calls from CI
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" # sam validate needs a region, not credentials

run "$VENV/bin/cfn-lint" --version
run "$VENV/bin/cfn-lint" template.yaml analysis/athena.yaml

run "$VENV/bin/sam" --version
# --lint runs cfn-lint again, on the template as SAM transforms it.
PATH="$VENV/bin:$PATH" run "$VENV/bin/sam" validate --lint --template-file template.yaml

run "$VENV/bin/checkov" --version
# --skip-download: no Prisma Cloud calls (no network in CI); the checks themselves ship with checkov.
run "$VENV/bin/checkov" -f template.yaml -f analysis/athena.yaml --framework cloudformation --quiet --compact --skip-download

echo "template-checks: cfn-lint, sam validate --lint and checkov are clean"
