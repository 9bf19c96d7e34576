#!/usr/bin/env python3
"""Runs every detection in analysis/detections/ on a generated month of Cognito activity
with planted attacks among benign traffic, through the view of every output format, and
checks that each detection finds its planted attack and no benign user or address.

The records go through the real CLI (`cognito-activity normalize --format F`), once with
every field kept and once with IP addresses and user names hashed (IP_MODE=hash,
USER_NAME_MODE=hash), and the output lines are loaded into DuckDB as the table
`cognito_activity_<F>`. The Athena (Trino) SQL of the view and of each detection is translated
mechanically by sqlglot (`sqlglot.transpile(sql, read="trino", write="duckdb")`, nothing edited
by hand) and run with its `?` parameters bound to the defaults its header states
(`(default X)`, in order). Under hashing the detections must find the planted attackers'
HMACs.

The table's columns are not inferred from the dataset alone, which lacks fields the library
writes (a notification's, a federated sign-in's, feedback, CloudWatch Logs' origin, the hashed
fields): they are inferred from the dataset and a corpus that holds them all, in every mode
(`formatted`), and analysis/athena_template.py writes the Glue tables from the same columns.
So a view can name only fields the deployed table has.

    python3 analysis/check_detections.py --cli target/debug/cognito-activity \\
        --formats normalized,ocsf,ecs,splunk

tests/tests/detections.rs runs it under `cargo test`. Needs duckdb and sqlglot (pip; .ci/run
installs the pinned versions): it stops with an error when they are missing, never skips.
"""

import argparse
import base64
import gzip
import hashlib
import hmac
import html
import json
import os
import pathlib
import random
import re
import subprocess
import sys
import tempfile

try:
    import duckdb
    import sqlglot
except ImportError as missing:  # fail loudly: a skipped check would pass vacuously
    sys.exit(f"check_detections: {missing}; run: python3 -m pip install duckdb sqlglot")

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
POOL = "eu-west-1_Det3ct10n"
DAY_MS = 86_400_000
START_MS = 1_730_419_200_000  # 2024-11-01T00:00:00Z
MINUTE_MS = 60_000

# What each detection must find: the planted attackers' addresses (password spraying reports
# addresses) or victims' user names (the others). Others' attacks may show up too; benign
# users and addresses never may.
PLANTED = {
    "password_spraying": ("source_ip", {"198.51.100.66"}),
    "brute_force": ("user_name", {"victim-bf"}),
    "failures_then_success": ("user_name", {"victim-bf"}),
    "impossible_travel": ("user_name", {"traveler"}),
    "compromised_credentials": ("user_name", {"leaked", "ato"}),
    "mfa_failures": ("user_name", {"mfa-target"}),
    "new_country": ("user_name", {"roamer"}),
}

HOMES = [
    ("United States", "Seattle"),
    ("Japan", "Osaka"),
    ("Germany", "Berlin"),
    ("France", "Lyon"),
    ("Canada", "Toronto"),
    ("United Kingdom", "Leeds"),
    ("India", "Pune"),
    ("Australia", "Perth"),
]
DEVICES = ["Chrome 126, Windows 10", "Safari 17, Mac OS X", "Firefox 128, Linux", "Other, Android"]

HASH_KEY = "check-detections-hmac-key"  # 16 bytes at least, as the library requires
# The settings that change which fields a record has (shared/src/config.rs): everything kept,
# and the IP address and user name replaced by their HMAC. IP_MODE=truncate keeps the fields of
# `keep`; the other settings drop records or change values, never fields.
MODES = {
    "keep": {},
    "hash": {"IP_MODE": "hash", "USER_NAME_MODE": "hash", "HASH_KEY": HASH_KEY},
}
# Objects whose keys are whatever Cognito sent beyond the fields the library knows: one column
# of JSON text (a Hive `string`), not a struct of the keys the corpus happened to hold.
FREE_FORM = {
    "normalized": "unmapped",
    "splunk": "event.unmapped",
    "ocsf": "unmapped.extra",
    "ecs": "cognito.unmapped",
}
ACCOUNT_ID = "123456789012"
# The corpus, with the dataset: every raw record fixture, the CloudWatch Logs envelopes of the
# sample events, and a sign-in changed so that it holds what no fixture does.
FIXTURES = ROOT / "shared" / "tests" / "fixtures"
ENVELOPE_EVENTS = "firehose-cwl-*.json"
COVERAGE = [
    {"eventFeedbackValue": "Valid", "eventFeedbackDate": "1732400200000",
     "eventFeedbackProvider": "Admin"},
    {"ipAddress": "", "city": "Oslo", "country": "Norway"},  # a place without an address
    {"country": "Atlantis"},  # a country no ISO code names
]


class Dataset:
    """Raw Cognito user-activity records, as Cognito writes them, in time order."""

    def __init__(self):
        self.records = []
        self.subs = {}
        self.counter = 0

    def sub(self, user):
        if user not in self.subs:
            self.subs[user] = f"0a1b2c3d-0000-4000-8000-{len(self.subs):012d}"
        return self.subs[user]

    def add(self, ms, user, ip, country, city, response="Pass", event_type="SignIn",
            challenges=("Password:Success",), decision="NoRisk", level="Low",
            compromised="false", device=DEVICES[0]):
        self.counter += 1
        n = self.counter
        self.records.append({
            "eventTimestamp": str(ms),
            "eventSource": "USER_AUTH_EVENTS",
            "logLevel": "INFO",
            "message": {
                "version": "1",
                "eventId": f"5e1f0000-0000-4000-8000-{n:012d}",
                "eventType": event_type,
                "userSub": self.sub(user),
                "userName": user,
                "userPoolId": POOL,
                "clientId": "3n4b5urk1ft4fl3ap2s0d2j9bk",
                "creationDate": "Mon Jan 15 09:30:00 UTC 2024",
                "eventResponse": response,
                "riskLevel": level,
                "riskDecision": decision,
                "challenges": list(challenges),
                "deviceName": device,
                "ipAddress": ip,
                "requestId": f"7a2b0000-0000-4000-8000-{n:012d}",
                "idpName": "",
                "compromisedCredentialDetected": compromised,
                "city": city,
                "country": country,
                "eventFeedbackValue": "",
                "eventFeedbackDate": "",
                "eventFeedbackProvider": "",
            },
            "logSourceId": {"userPoolId": POOL},
        })

    def lines(self):
        ordered = sorted(self.records, key=lambda r: int(r["eventTimestamp"]))
        return "".join(json.dumps(r) + "\n" for r in ordered)


def generate(seed=20241101):
    """Benign users (one home each, a few sign-ins a day, a rare typo or MFA retry) and the
    planted attacks. Returns the dataset and the benign user names and addresses."""
    rng = random.Random(seed)
    d = Dataset()
    benign_users, benign_ips = set(), set()
    for i in range(40):
        user = f"user{i:02d}"
        country, city = HOMES[i % len(HOMES)]
        ip = f"203.0.113.{i + 10}"
        device = DEVICES[i % len(DEVICES)]
        benign_users.add(user)
        benign_ips.add(ip)
        if i % 5 == 0:
            d.add(START_MS + rng.randrange(DAY_MS // 2), user, ip, country, city,
                  event_type="SignUp", challenges=(), device=device)
        for day in range(5):
            for _ in range(rng.randrange(1, 3)):
                ms = START_MS + day * DAY_MS + DAY_MS // 2 + rng.randrange(DAY_MS // 3)
                if rng.random() < 0.15:  # a typo, then the right password a minute later
                    d.add(ms - MINUTE_MS, user, ip, country, city, response="Fail",
                          challenges=("Password:Failure",), device=device)
                if rng.random() < 0.2:  # MFA on, sometimes a mistyped code first
                    chal = ("Password:Success", "Mfa:Success")
                    if rng.random() < 0.3:
                        chal = ("Password:Success", "Mfa:Failure", "Mfa:Success")
                else:
                    chal = ("Password:Success",)
                d.add(ms, user, ip, country, city, challenges=chal, device=device)
        if i % 7 == 0:
            d.add(START_MS + 4 * DAY_MS + rng.randrange(DAY_MS // 2), user, ip, country, city,
                  event_type="ForgotPassword", challenges=(), device=device)
        if i % 4 == 1:  # a sign-in waiting for a further challenge (none answered)
            d.add(START_MS + DAY_MS // 4, user, ip, country, city, response="InProgress",
                  device=device)

    # Failed sign-ins of six users in the same minutes whose address Cognito wrote as "-": not an
    # address, so no source at all, in every mode (hashed, "-" would read as one address that all
    # six failed from: a password spray from nowhere).
    for k in range(6):
        i = 3 * k
        country, city = HOMES[i % len(HOMES)]
        d.add(START_MS + DAY_MS + 8 * 3_600_000 + k * 30_000, f"user{i:02d}", "-", country, city,
              response="Fail", challenges=("Password:Failure",), device=DEVICES[i % len(DEVICES)])
    benign_ips.add("-")

    def history(user, country, city, ip, days=range(4)):
        for day in days:
            d.add(START_MS + day * DAY_MS + 9 * 3_600_000 + rng.randrange(3_600_000),
                  user, ip, country, city)

    # Password spraying: one address, twelve users (six of them real), six minutes.
    spray_at = START_MS + 2 * DAY_MS + 10 * 3_600_000 + MINUTE_MS
    targets = [f"user{i:02d}" for i in range(0, 12, 2)] + [f"admin{i}" for i in range(6)]
    for k, user in enumerate(targets):
        d.add(spray_at + k * 30_000, user, "198.51.100.66", "Netherlands", "Amsterdam",
              response="Fail", challenges=("Password:Failure",), device="Other, Other")

    # Brute force that worked: fifteen failures on one user in eight minutes, then a success.
    history("victim-bf", "United States", "Denver", "203.0.113.200")
    # (Inside one ten-minute window: the detections' windows are fixed, see brute_force.sql.)
    bf_at = START_MS + 3 * DAY_MS + 3 * 3_600_000 + 30_000
    for k in range(15):
        d.add(bf_at + k * 30_000, "victim-bf", "198.51.100.77", "Russia", "Moscow",
              response="Fail", challenges=("Password:Failure",), device="Other, Other")
    d.add(bf_at + 8 * MINUTE_MS, "victim-bf", "198.51.100.77", "Russia", "Moscow",
          device="Other, Other")

    # Impossible travel: Japan, then Brazil 25 minutes later.
    history("traveler", "Japan", "Tokyo", "203.0.113.201")
    travel_at = START_MS + 4 * DAY_MS + 12 * 3_600_000
    d.add(travel_at, "traveler", "203.0.113.201", "Japan", "Tokyo")
    d.add(travel_at + 25 * MINUTE_MS, "traveler", "198.51.100.88", "Brazil", "Sao Paulo",
          device="Other, Other")

    # Compromised credentials (blocked) and an account-takeover risk (not blocked).
    history("leaked", "France", "Paris", "203.0.113.202")
    d.add(START_MS + 3 * DAY_MS + 15 * 3_600_000, "leaked", "203.0.113.202", "France", "Paris",
          response="Fail", decision="Block", level="High", compromised="true")
    history("ato", "Canada", "Montreal", "203.0.113.203")
    d.add(START_MS + 3 * DAY_MS + 16 * 3_600_000, "ato", "198.51.100.99", "Canada", "Montreal",
          decision="AccountTakeover", level="Medium")

    # MFA failures: the password is right, the codes are not, four times in twenty minutes.
    history("mfa-target", "India", "Mumbai", "203.0.113.204")
    mfa_at = START_MS + 2 * DAY_MS + 14 * 3_600_000 + MINUTE_MS
    for k in range(4):
        d.add(mfa_at + k * 5 * MINUTE_MS, "mfa-target", "198.51.100.111", "India", "Mumbai",
              response="Fail", challenges=("Password:Success", "Mfa:Failure"))

    # A new country: four days in Germany, then Nigeria a day later.
    history("roamer", "Germany", "Munich", "203.0.113.205")
    d.add(START_MS + 4 * DAY_MS + 20 * 3_600_000, "roamer", "198.51.100.122", "Nigeria", "Lagos")

    return d, benign_users, benign_ips


def defaults(sql):
    """The `(default X)` values of a detection's header, in parameter order."""
    header = "\n".join(line for line in sql.splitlines() if line.startswith("--"))
    values = []
    for raw in re.findall(r"\(default ([^)]+)\)", header):
        raw = raw.strip()
        values.append(raw.strip("'") if raw.startswith("'") else int(raw))
    if len(values) != sql.count("?"):
        raise SystemExit(f"header defaults {values} do not match the {sql.count('?')} placeholders")
    return values


def duckdb_sql(athena_sql):
    """The mechanical translation, and nothing else."""
    out = sqlglot.transpile(athena_sql, read="trino", write="duckdb")
    if len(out) != 1:
        raise SystemExit("one statement per file")
    return out[0]


def hashed(domain, value):
    """What the library writes for `value` under the hash modes: HMAC-SHA256 keyed with HASH_KEY
    of the domain label and the value, in lower-case hex (shared/src/privacy.rs)."""
    return hmac.new(HASH_KEY.encode(), f"{domain}:{value}".encode(), hashlib.sha256).hexdigest()


def cli_run(cli, args, mode, **kwargs):
    """The CLI with `mode`'s settings and no other: a setting exported in the caller's
    environment would change what the check reads."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **MODES[mode]}
    return subprocess.run([cli, *map(str, args)], env=env, check=True, **kwargs)


def normalize(cli, fmt, mode, inputs, out, *extra):
    with out.open("wb") as sink:
        cli_run(cli, ["normalize", "--format", fmt, *extra, *inputs], mode, stdout=sink,
                stderr=subprocess.DEVNULL)
    return out


def inputs(tmp, dataset):
    """Writes the dataset and the corpus as raw records, one per line; returns their paths."""
    raw = tmp / "raw.ndjson"
    raw.write_text(dataset.lines())
    lines = [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]
    for sample in sorted((ROOT / "events").glob(ENVELOPE_EVENTS)):
        for record in json.loads(sample.read_text())["records"]:
            lines.append(json.loads(gzip.decompress(base64.b64decode(record["data"]))))
    for changes in COVERAGE:
        record = json.loads((FIXTURES / "signin.json").read_text())
        record["message"].update(changes)
        lines.append(record)
    corpus = tmp / "corpus.ndjson"
    corpus.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return raw, corpus


def quoted(name):
    return '"' + name.replace('"', '""') + '"'


def struct_fields(duck_type):
    """`STRUCT(a VARCHAR, "b c" STRUCT(x BIGINT))` -> [(a, VARCHAR), (b c, STRUCT(x BIGINT))]:
    a DuckDB struct type's fields, quoted names unquoted (brackets and commas inside quotes are
    part of the name)."""
    duck_type = duck_type.strip()
    if not (duck_type.startswith("STRUCT(") and duck_type.endswith(")")):
        raise SystemExit(f"not a struct: {duck_type}")
    inner = duck_type[len("STRUCT("):-1]
    out, depth, start, quote = [], 0, 0, False
    for i, ch in enumerate(inner + ","):
        if ch == '"':
            quote = not quote  # a doubled "" inside a name toggles twice
        elif quote:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            part = inner[start:i].strip()
            if part.startswith('"'):
                end = 1
                while True:
                    end = part.index('"', end)
                    if part[end + 1:end + 2] != '"':
                        break
                    end += 2
                name, rest = part[1:end].replace('""', '"'), part[end + 1:]
            else:
                name, rest = part.split(" ", 1)
            out.append((name, rest.strip()))
            start = i + 1
    return out


# DuckDB's types for text it recognised (the names of the output's fields are lower case).
GUESSED = re.compile(r"\b(TIMESTAMP WITH TIME ZONE|TIMESTAMP|DATE|TIME|UUID)\b")


def retyped(duck_type, path, new):
    """`duck_type` with the field at the dotted `path` typed `new`."""
    head, _, rest = path.partition(".")
    fields = struct_fields(duck_type)
    if head not in dict(fields):
        raise SystemExit(f"no field {head} in {duck_type}")
    return "STRUCT(" + ", ".join(
        f"{quoted(n)} {(retyped(t, rest, new) if rest else new) if n == head else t}"
        for n, t in fields) + ")"


def formatted(cli, fmt, tmp, raw, corpus):
    """The CLI's `fmt` output of the dataset in each mode ({mode: path}), and the columns
    ([(JSON key, DuckDB type)]) of a table that holds every field the library writes in `fmt`:
    inferred from the dataset's output and the corpus's, in every mode, the free-form object
    typed JSON. The dataset's output with everything kept comes first, so that the columns and
    fields it has keep their order; the others' are added after."""
    outputs = {mode: normalize(cli, fmt, mode, [raw], tmp / f"{fmt}-{mode}.ndjson")
               for mode in MODES}
    files = list(outputs.values()) + [
        normalize(cli, fmt, mode, [corpus], tmp / f"{fmt}-{mode}-corpus.ndjson",
                  "--account-id", ACCOUNT_ID)
        for mode in MODES]
    # Every line sampled, every struct kept a struct however few of its lines hold each field
    # (else DuckDB may make a rarely filled object a MAP).
    source = (f"read_json_auto({[str(f) for f in files]}, format = 'newline_delimited', "
              "sample_size = -1, union_by_name = true, field_appearance_threshold = 0, "
              "map_inference_threshold = -1)")
    con = duckdb.connect()
    columns = [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    head, _, rest = FREE_FORM[fmt].partition(".")
    if head not in dict(columns):
        raise SystemExit(f"{fmt}: the corpus has no {FREE_FORM[fmt]}")
    columns = [(c, (retyped(t, rest, "JSON") if rest else "JSON") if c == head else t)
               for c, t in columns]
    # What DuckDB guessed to be a time or a UUID from the text is text in the Glue table (the JSON
    # holds a string), and so in the check's: the views must read it as Athena will.
    return outputs, [(c, GUESSED.sub("VARCHAR", t)) for c, t in columns]


def load(fmt, out, columns):
    """DuckDB with the output lines at `out` as table `cognito_activity_<fmt>`, typed `columns`
    (`formatted`'s), and the format's view over it; and the columns loaded under another name
    than their JSON key ({column: key}). A JSON key Hive cannot name (`@timestamp`) is loaded as
    the Glue table names it (`timestamp`, through the JSON SerDe's mapping, which the table must
    then carry)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    spec = ", ".join(f"{literal(c)}: {literal(t)}" for c, t in columns)
    source = f"read_json({literal(str(out))}, format = 'newline_delimited', columns = {{{spec}}})"
    renamed = {c.lstrip("@"): c for c, _ in columns if c.startswith("@")}
    renames = [f"{quoted(key)} AS {quoted(column)}" for column, key in renamed.items()]
    rename = f" RENAME ({', '.join(renames)})" if renames else ""
    con.execute(f"CREATE TABLE cognito_activity_{fmt} AS SELECT *{rename} FROM {source}")
    con.execute(duckdb_sql((HERE / "views" / f"{fmt}.sql").read_text()))
    return con, renamed


def literal(text):
    return "'" + text.replace("'", "''") + "'"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", required=True, help="the cognito-activity binary")
    parser.add_argument("--formats", required=True,
                        help="comma-separated output formats (the library's OutputFormat::NAMES)")
    args = parser.parse_args()
    formats = args.formats.split(",")

    dataset, benign_users, benign_ips = generate()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        raw, corpus = inputs(tmp, dataset)
        tables = {fmt: formatted(args.cli, fmt, tmp, raw, corpus) for fmt in formats}
        for mode in MODES:
            # What the tables hold for a user name or an address in this mode, and back.
            def stored(domain, value, mode=mode):
                return value if mode == "keep" else hashed(domain, value)
            readable = {}
            for record in dataset.records:
                for domain, value in (("user", record["message"]["userName"]),
                                      ("ip", record["message"]["ipAddress"])):
                    readable[stored(domain, value)] = value
            sql_found = {}
            first_outcomes = None  # (format, outcome counts) of the first format loaded
            for fmt in formats:
                outputs, columns = tables[fmt]
                con, _ = load(fmt, outputs[mode], columns)
                rows = con.execute("SELECT count(*) FROM cognito_activity").fetchone()[0]
                if rows != len(dataset.records):
                    failures.append(f"{mode} {fmt}: the view holds {rows} rows "
                                    f"of {len(dataset.records)}")
                # The common columns mean the same in every format: the outcomes, for one.
                counted = con.execute("SELECT outcome, count(*) FROM cognito_activity "
                                      "GROUP BY outcome ORDER BY outcome").fetchall()
                if first_outcomes is None:
                    first_outcomes = (fmt, counted)
                elif counted != first_outcomes[1]:
                    failures.append(f"{mode} {fmt}: outcomes {counted}, "
                                    f"{first_outcomes[0]}: {first_outcomes[1]}")
                for path in sorted((HERE / "detections").glob("*.sql")):
                    name = path.stem
                    sql = path.read_text()
                    column, planted = PLANTED[name]
                    domain = "ip" if column == "source_ip" else "user"
                    result = con.execute(duckdb_sql(sql), defaults(sql))
                    names = [c[0] for c in result.description]
                    found = {row[names.index(column)] for row in result.fetchall()}
                    # Every format's view finds the same, and the report (below) too.
                    first = sql_found.setdefault(name, (fmt, found))
                    if found != first[1]:
                        failures.append(f"{mode} {fmt} {name}: found "
                                        f"{sorted(readable.get(v, v) for v in found)}, "
                                        f"{first[0]}: {sorted(readable.get(v, v) for v in first[1])}")
                    benign = {stored(domain, v)
                              for v in (benign_ips if domain == "ip" else benign_users)}
                    missed = {stored(domain, v) for v in planted} - found
                    wrong = found & benign
                    status = "ok" if not missed and not wrong else "FAILED"
                    shown = sorted(readable.get(v, v) for v in found)
                    print(f"{mode:5} {fmt:10} {name:24} found {shown} {status}")
                    if missed:
                        failures.append(f"{mode} {fmt} {name}: missed the planted "
                                        f"{sorted(readable[v] for v in missed)}")
                    if wrong:
                        failures.append(f"{mode} {fmt} {name}: flagged benign "
                                        f"{sorted(readable[v] for v in wrong)}")
            # `cognito-activity report` computes the same detections in one pass: same findings.
            page = tmp / f"report-{mode}.html"
            cli_run(args.cli, ["report", raw, "--out", page], mode, stderr=subprocess.DEVNULL)
            report_found = {}
            for name, subject in re.findall(r'data-detection="([a-z_]+)" data-subject="([^"]*)"',
                                            page.read_text()):
                report_found.setdefault(name, set()).add(html.unescape(subject))
            mismatched = False
            for name, (_, found) in sorted(sql_found.items()):
                if report_found.get(name, set()) != found:
                    mismatched = True
                    failures.append(f"{mode} report {name}: "
                                    f"{sorted(report_found.get(name, set()))}, "
                                    f"the SQL: {sorted(found)}")
            print(f"{mode:5} report: the same findings as the SQL for {len(sql_found)} detections"
                  if not mismatched else f"{mode:5} report: FAILED")
        unknown = {p.stem for p in (HERE / "detections").glob("*.sql")} ^ set(PLANTED)
        if unknown:
            failures.append(f"detections without a planted attack, or gone: {sorted(unknown)}")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)
    print(f"{len(PLANTED)} detections x {len(formats)} formats x {len(MODES)} modes: every "
          f"planted attack found, no benign user or address flagged "
          f"({len(dataset.records)} records)")


if __name__ == "__main__":
    main()
