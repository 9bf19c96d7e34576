#!/usr/bin/env python3
"""Writes analysis/athena.yaml: the nested CloudFormation template that template.yaml deploys
for Athena (parameter Analytics): a workgroup, a Glue database, the table over the activity
bucket for each output format (partition projection for each PartitionKeys preset), the view
`cognito_activity` over it (analysis/views/<format>.sql) and one prepared statement per
detection (analysis/detections/*.sql).

The tables' and views' column types are not written by hand: they are read off the real
output. The CLI normalizes the detections' generated dataset and a corpus of every field the
library writes (check_detections.formatted: the raw record fixtures, CloudWatch Logs envelopes,
with IP addresses and user names kept and hashed) in every format; DuckDB infers one table
from all of it, loads the dataset with those columns (as check_detections.py does, which runs
the views and detections on that table) and describes the table and the view; and those types
are written in Hive (tables) and Trino (views) spelling. So a field the corpus holds cannot be
missing from the table, nor typed differently, and a view that names a field the table lacks
fails the check. The object of fields Cognito sent that the library does not know (`unmapped`)
is one JSON text column.

    python3 analysis/athena_template.py --cli target/debug/cognito-activity \\
        --formats normalized,ocsf,ecs,splunk > analysis/athena.yaml

tests/tests/detections.rs checks the committed file equals this output.
"""

import argparse
import json
import pathlib
import re
import sys
import tempfile

import check_detections as checks  # the dataset, the loader's conventions, and the imports

duckdb = checks.duckdb
HERE = checks.HERE

# PartitionKeys preset -> (first key or None, the S3 path below activity/<format>/).
PRESETS = {
    "time": None,
    "pool-time": "user_pool_id",
    "type-time": "event_type",
    "class-time": "ocsf_class",
    "risk-time": "risk_decision",
}
# The values the function writes for each first key (shared/src/filter.rs partition_keys);
# user_pool_id takes the stack's pool. A value outside the list is written but not queried.
ENUMS = {
    "event_type": "SignIn,SignUp,ForgotPassword,PasswordChange,ResendCode,ConfirmSignUp,"
                  "notification,user_activity",
    "ocsf_class": "authentication,account_change",
    "risk_decision": "no_risk,account_takeover,block,none",
}
TIME_KEYS = [("year", "2024,2124", None), ("month", "1,12", 2), ("day", "1,31", 2),
             ("hour", "0,23", 2)]


def pascal(name):
    return "".join(part.capitalize() for part in re.split(r"[-_]", name))


def hive(duck_type):
    """A DuckDB type of the loaded JSON, in Hive DDL spelling (Glue columns)."""
    t = duck_type.strip()
    if t.endswith("[]"):
        return f"array<{hive(t[:-2])}>"
    if t.startswith("STRUCT("):
        fields = checks.struct_fields(t)
        return "struct<" + ",".join(f"{column_name(n)}:{hive(v)}" for n, v in fields) + ">"
    return {
        "VARCHAR": "string", "BIGINT": "bigint", "UBIGINT": "bigint", "INTEGER": "int",
        "DOUBLE": "double", "BOOLEAN": "boolean", "JSON": "string", "NULL": "string",
        "FLOAT": "double",
        # A type not listed fails here, loudly: the tables' columns come typed as text where
        # DuckDB guessed a time or a UUID (check_detections.formatted), and a view's time is
        # mapped by view_hive.
    }[t]


def trino(duck_type):
    """A DuckDB type of a view column, in Trino spelling (the Presto view's columns)."""
    t = duck_type.strip()
    if t.endswith("[]"):
        return f"array({trino(t[:-2])})"
    if t.startswith("STRUCT("):
        fields = checks.struct_fields(t)
        return "row(" + ",".join(f"{n} {trino(v)}" for n, v in fields) + ")"
    return {
        "VARCHAR": "varchar", "BIGINT": "bigint", "INTEGER": "integer",
        "DOUBLE": "double",
        "BOOLEAN": "boolean", "TIMESTAMP WITH TIME ZONE": "timestamp(3) with time zone",
    }[t]


def view_hive(duck_type):
    t = duck_type.strip()
    if t == "TIMESTAMP WITH TIME ZONE":
        return "timestamp"
    return hive(t)


def column_name(name):
    """JSON keys Hive cannot name (`@timestamp`) are read through the SerDe's mapping."""
    return name.lstrip("@")


def schemas(cli, formats):
    """Per format: the table's columns and the view's columns, as DuckDB types, and the
    columns named otherwise than their JSON key ({column: key})."""
    dataset, _, _ = checks.generate()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        raw, corpus = checks.inputs(tmp, dataset)
        for fmt in formats:
            outputs, columns = checks.formatted(cli, fmt, tmp, raw, corpus)
            con, renamed = checks.load(fmt, outputs["keep"], columns)
            table = con.execute(f"DESCRIBE cognito_activity_{fmt}").fetchall()
            view = con.execute("DESCRIBE cognito_activity").fetchall()
            out[fmt] = ([(r[0], r[1]) for r in table], [(r[0], r[1]) for r in view], renamed)
    return out


def q(text):
    """A YAML double-quoted scalar."""
    return json.dumps(text, ensure_ascii=False)


def block(text, indent):
    pad = " " * indent
    return "|-\n" + "\n".join(pad + line if line else "" for line in text.splitlines())


def render(formats, shapes):
    o = []
    w = o.append
    w("# Generated by analysis/athena_template.py from analysis/views/ and analysis/detections/,")
    w("# with column types read off the library's real output. Do not edit: regenerate.")
    w('AWSTemplateFormatVersion: "2010-09-09"')
    w("Description: cognito-activity analytics - Athena workgroup, Glue database, table, view and detections.")
    w("")
    w("Parameters:")
    w("  BucketName:\n    Type: String")
    w("  OutputFormat:\n    Type: String\n    AllowedValues: [" + ", ".join(formats) + "]")
    w("  PartitionKeys:\n    Type: String\n    AllowedValues: [" + ", ".join(PRESETS) + "]")
    w("  UserPoolId:\n    Type: String")
    w('  KmsKeyArn:\n    Type: String\n    Default: ""')
    w("  DatabaseName:\n    Type: String\n    AllowedPattern: ^[a-z0-9_]{1,255}$")
    w("  BytesScannedCutoffPerQuery:\n    Type: Number\n    MinValue: 10000000")
    w("")
    w("Conditions:")
    w('  HasKmsKey: !Not [!Equals [!Ref KmsKeyArn, ""]]')
    for fmt in formats:
        w(f"  Format{pascal(fmt)}: !Equals [!Ref OutputFormat, {fmt}]")
    for preset in list(PRESETS)[:-1]:  # the last is what no other one is
        w(f"  Preset{pascal(preset)}: !Equals [!Ref PartitionKeys, {preset}]")
    w("")
    w("Resources:")
    w("  WorkGroup:")
    w("    Type: AWS::Athena::WorkGroup")
    w("    Properties:")
    w("      Name: !Sub ${DatabaseName}-${AWS::StackName}")
    w("      Description: Queries over the Cognito activity records; results encrypted, scans capped.")
    w("      RecursiveDeleteOption: true")
    w("      WorkGroupConfiguration:")
    w("        EnforceWorkGroupConfiguration: true")
    w("        PublishCloudWatchMetricsEnabled: true")
    w("        BytesScannedCutoffPerQuery: !Ref BytesScannedCutoffPerQuery")
    w("        EngineVersion:\n          SelectedEngineVersion: Athena engine version 3")
    w("        ResultConfiguration:")
    w("          OutputLocation: !Sub s3://${BucketName}/athena-results/")
    w("          EncryptionConfiguration: !If")
    w("            - HasKmsKey")
    w("            - EncryptionOption: SSE_KMS\n              KmsKey: !Ref KmsKeyArn")
    w("            - EncryptionOption: SSE_S3")
    w("")
    w("  Database:")
    w("    Type: AWS::Glue::Database")
    w("    Properties:")
    w("      CatalogId: !Ref AWS::AccountId")
    w("      DatabaseInput:")
    w("        Name: !Ref DatabaseName")
    w("        Description: Cognito user-activity records delivered by cognito-activity.")
    for fmt in formats:
        table_cols, view_cols, renamed = shapes[fmt]
        name = pascal(fmt)
        w("")
        w(f"  {name}Table:")
        w("    Type: AWS::Glue::Table")
        w(f"    Condition: Format{name}")
        w("    Properties:")
        w("      CatalogId: !Ref AWS::AccountId")
        w("      DatabaseName: !Ref Database")
        w("      TableInput:")
        w(f"        Name: cognito_activity_{fmt}")
        w("        TableType: EXTERNAL_TABLE")
        variants = []
        for preset, first in PRESETS.items():
            params = {"classification": "json", "projection.enabled": "true"}
            keys = ([first] if first else []) + [k for k, _, _ in TIME_KEYS]
            if first == "user_pool_id":
                params["projection.user_pool_id.type"] = "enum"
                params["projection.user_pool_id.values"] = {"Ref": "UserPoolId"}
            elif first:
                params[f"projection.{first}.type"] = "enum"
                params[f"projection.{first}.values"] = ENUMS[first]
            for key, rng, digits in TIME_KEYS:
                params[f"projection.{key}.type"] = "integer"
                params[f"projection.{key}.range"] = rng
                if digits:
                    params[f"projection.{key}.digits"] = str(digits)
            # Athena's ${key} placeholders, written ${!key} so that Fn::Sub leaves them be.
            params["storage.location.template"] = {"Fn::Sub": f"s3://${{BucketName}}/activity/{fmt}/"
                                                   + "/".join(f"{k}=${{!{k}}}" for k in keys) + "/"}
            variants.append((preset, params))
        chain = variants[-1][1]
        for preset, params in reversed(variants[:-1]):
            chain = {"Fn::If": [f"Preset{pascal(preset)}", params, chain]}
        w("        Parameters: " + json.dumps(chain, ensure_ascii=False))
        w("        PartitionKeys: !If")
        w("          - PresetTime")
        w("          - - { Name: year, Type: string }")
        w("            - { Name: month, Type: string }")
        w("            - { Name: day, Type: string }")
        w("            - { Name: hour, Type: string }")
        w("          - - Name: !If")
        w("                - PresetPoolTime")
        w("                - user_pool_id")
        w("                - !If [PresetTypeTime, event_type, !If [PresetClassTime, ocsf_class, risk_decision]]")
        w("              Type: string")
        w("            - { Name: year, Type: string }")
        w("            - { Name: month, Type: string }")
        w("            - { Name: day, Type: string }")
        w("            - { Name: hour, Type: string }")
        w("        StorageDescriptor:")
        w(f"          Location: !Sub s3://${{BucketName}}/activity/{fmt}/")
        w("          InputFormat: org.apache.hadoop.mapred.TextInputFormat")
        w("          OutputFormat: org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat")
        w("          SerdeInfo:")
        w("            SerializationLibrary: org.openx.data.jsonserde.JsonSerDe")
        w("            Parameters:")
        w('              ignore.malformed.json: "true"')
        for column, key in sorted(renamed.items()):
            w(f"              mapping.{column}: {q(key)}")
        w("          Columns:")
        for c, t in table_cols:
            w(f"            - Name: {q(column_name(c))}")
            w(f"              Type: {q(hive(t))}")
        sql = (HERE / "views" / f"{fmt}.sql").read_text()
        select = sql[sql.index("SELECT"):].strip()
        original = {
            "originalSql": select,
            "catalog": "awsdatacatalog",
            "schema": "${DatabaseName}",
            "columns": [{"name": c, "type": trino(t)} for c, t in view_cols],
        }
        w("")
        w(f"  {name}View:")
        w("    Type: AWS::Glue::Table")
        w(f"    Condition: Format{name}")
        w(f"    DependsOn: {name}Table")
        w("    Properties:")
        w("      CatalogId: !Ref AWS::AccountId")
        w("      DatabaseName: !Ref Database")
        w("      TableInput:")
        w("        Name: cognito_activity")
        w("        TableType: VIRTUAL_VIEW")
        w('        Parameters: { presto_view: "true", comment: Presto View }')
        w("        ViewExpandedText: /* Presto View */")
        w("        ViewOriginalText: !Join")
        w('          - ""')
        w('          - - "/* Presto View: "')
        w("            - !Base64")
        w("                Fn::Sub: " + q(json.dumps(original, ensure_ascii=False)))
        w('            - " */"')
        w("        StorageDescriptor:")
        w("          SerdeInfo: {}")
        w("          Columns:")
        for c, t in view_cols:
            w(f"            - {{ Name: {c}, Type: {q(view_hive(t))} }}")
    for path in sorted((HERE / "detections").glob("*.sql")):
        sql = path.read_text().strip()
        first = sql.splitlines()[0].lstrip("- ").strip()
        w("")
        w(f"  {pascal(path.stem)}Statement:")
        w("    Type: AWS::Athena::PreparedStatement")
        w("    DependsOn: Database")
        w("    Properties:")
        w(f"      StatementName: {path.stem}")
        w("      WorkGroup: !Ref WorkGroup")
        w(f"      Description: {q(first[:1024])}")
        w("      QueryStatement: " + block(sql, 8))
    w("")
    w("Outputs:")
    w("  WorkGroupName:\n    Value: !Ref WorkGroup")
    w("  DatabaseName:\n    Value: !Ref Database")
    return "\n".join(o) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", required=True)
    parser.add_argument("--formats", required=True)
    args = parser.parse_args()
    formats = args.formats.split(",")
    sys.stdout.write(render(formats, schemas(args.cli, formats)))


if __name__ == "__main__":
    main()
