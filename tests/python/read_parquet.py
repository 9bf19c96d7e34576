#!/usr/bin/env python3
"""Reads every Parquet object under a directory with pyarrow and prints one
JSON line per object: its path (relative), its Arrow schema (as text), its
row count, its metadata's `created_by`, and its rows as JSON objects (map
columns as objects, nulls left out), for tests/tests/security_lake.rs to
check. Reading with pyarrow is the point: it is how Glue, Athena and most
tools see the files, independent of the Rust crates that wrote them.

    python3 tests/python/read_parquet.py DIR
"""

import json
import pathlib
import sys

import pyarrow.parquet as pq


def plain(value):
    """A row value as JSON: maps (lists of key/value pairs) as objects, nulls dropped."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        if value and all(isinstance(x, tuple) and len(x) == 2 for x in value):
            return {k: plain(v) for k, v in value}
        return [plain(v) for v in value]
    return value


def main():
    root = pathlib.Path(sys.argv[1])
    for path in sorted(root.rglob("*.parquet")):
        file = pq.ParquetFile(path)
        table = file.read()
        print(json.dumps({
            "path": path.relative_to(root).as_posix(),
            "schema": table.schema.to_string(show_schema_metadata=False),
            "rows": [plain(r) for r in table.to_pylist()],
            "num_rows": file.metadata.num_rows,
            "created_by": file.metadata.created_by,
            "compression": file.metadata.row_group(0).column(0).compression if file.metadata.num_row_groups else None,
        }))


if __name__ == "__main__":
    main()
