#!/usr/bin/env python3
"""Writes siem/opensearch/index-template.json: a composable index template (OpenSearch and
Elasticsearch) mapping every field our ECS output can carry.

The fields come from the real output: the CLI normalizes the sample events' records and the
detections' generated dataset in ECS, under every privacy mode. Each ECS field takes its type
from the ECS reference vendored in shared/tests/data/ecs/ecs_fields.json (`match_only_text`,
which OpenSearch lacks, becomes `text`); our own fields under `cognito.` take the JSON type
they hold; `cognito.unmapped` (whatever Cognito adds that we do not know) is kept in _source
and not indexed. tests/tests/siem.rs checks every document against the result.

    python3 siem/opensearch/generate.py --cli target/debug/cognito-activity > siem/opensearch/index-template.json
"""

import argparse
import base64
import gzip
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "analysis"))
import check_detections  # noqa: E402  (the generated dataset)

ECS = json.loads((ROOT / "shared/tests/data/ecs/ecs_fields.json").read_text())
MODES = [{}, {"IP_MODE": "truncate"},
         {"IP_MODE": "hash", "USER_NAME_MODE": "hash", "HASH_KEY": "0123456789abcdef0123456789abcdef"}]


def raw_lines():
    """Every raw Cognito record in events/ (direct, NDJSON and CloudWatch Logs envelopes)."""
    out = []
    for path in sorted((ROOT / "events").glob("*.json")):
        for record in json.loads(path.read_text())["records"]:
            try:
                data = base64.b64decode(record["data"], validate=True)
            except Exception:
                continue
            if data[:2] == b"\x1f\x8b":
                try:
                    envelope = json.loads(gzip.decompress(data))
                except Exception:
                    continue
                out += [e["message"] for e in envelope.get("logEvents", [])
                        if envelope.get("messageType") == "DATA_MESSAGE"]
            else:
                out += [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    dataset, _, _ = check_detections.generate()
    return [line for line in out + dataset.lines().splitlines() if is_record(line)]


def is_record(line):
    """A Cognito record: the mixed batch's deliberately broken ones are not."""
    try:
        value = json.loads(line)
    except ValueError:
        return False
    return isinstance(value, dict) and "eventSource" in value


def leaves(value, path, out):
    if isinstance(value, dict):
        for k, v in value.items():
            leaves(v, f"{path}.{k}" if path else k, out)
    elif isinstance(value, list):
        for v in value:
            leaves(v, path, out)
    else:
        out.setdefault(path, set()).add(type(value).__name__)


def our_type(kinds):
    if kinds <= {"bool"}:
        return "boolean"
    if kinds <= {"int"}:
        return "long"
    if kinds <= {"int", "float"}:
        return "double"
    return "keyword"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", required=True)
    args = parser.parse_args()
    fields = {}
    with tempfile.TemporaryDirectory() as tmp:
        raw = pathlib.Path(tmp) / "raw.ndjson"
        raw.write_text("\n".join(raw_lines()) + "\n")
        for mode in MODES:
            env = dict(os.environ, **mode)
            out = subprocess.run([args.cli, "normalize", "--format", "ecs", str(raw)], env=env,
                                 capture_output=True, check=True).stdout
            for line in out.decode().splitlines():
                leaves(json.loads(line), "", fields)
            # The Firehose path adds what only it knows (CloudWatch Logs origin, account).
            for path in sorted((ROOT / "events").glob("*.json")):
                out = subprocess.run([args.cli, "replay", "--decode", "--format", "ecs", str(path)],
                                     env=env, capture_output=True).stdout.decode()
                # `# RECORD_ID RESULT` lines, each followed by the record's exact output lines.
                for line in out.splitlines():
                    if line and not line.startswith("# "):
                        leaves(json.loads(line), "", fields)
    properties = {}
    for path in sorted(fields):
        if path.startswith("cognito.unmapped."):
            continue
        if path in ECS:
            kind = ECS[path]["type"]
            kind = "text" if kind == "match_only_text" else kind
        elif path.startswith("cognito."):
            kind = our_type(fields[path])
        else:
            sys.exit(f"{path} is neither an ECS field nor ours under cognito.")
        node = properties
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {"properties": {}})["properties"]
        node[parts[-1]] = {"type": kind}
    cognito = properties.setdefault("cognito", {"properties": {}})["properties"]
    cognito["unmapped"] = {"type": "object", "enabled": False}
    template = {
        "index_patterns": ["cognito-activity*"],
        "priority": 200,
        "_meta": {"description": "cognito-activity ECS documents (siem/opensearch/generate.py)"},
        "template": {
            "settings": {"index": {"number_of_shards": 1}},
            "mappings": {"dynamic": False, "date_detection": False, "properties": properties},
        },
    }
    print(json.dumps(template, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
