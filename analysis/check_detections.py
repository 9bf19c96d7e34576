#!/usr/bin/env python3
"""Runs every detection in analysis/detections/ on a generated month of Cognito activity
with planted attacks among benign traffic, through the view of every output format, and
checks that each detection finds its planted attack and no benign user or address.

The records go through the real CLI (`cognito-activity normalize --format F`), the output
lines are loaded into DuckDB as the table `cognito_activity_<F>`, and the Athena (Trino) SQL
of the view and of each detection is translated mechanically by sqlglot
(`sqlglot.transpile(sql, read="trino", write="duckdb")`, nothing edited by hand) and run with
its `?` parameters bound to the defaults its header states (`(default X)`, in order).

    python3 analysis/check_detections.py --cli target/debug/cognito-activity \\
        --formats normalized,ocsf,ecs,splunk

tests/tests/detections.rs runs it under `cargo test`. Needs duckdb and sqlglot (pip; .ci/run
installs the pinned versions): it stops with an error when they are missing, never skips.
"""

import argparse
import html
import json
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


def load(cli, raw, fmt, tmp):
    """DuckDB with the CLI's `fmt` output of the raw records as table `cognito_activity_<fmt>`
    and the format's view over it, and the columns loaded under another name than their JSON
    key ({column: key}). A JSON key Hive cannot name (`@timestamp`) is loaded as the Glue table
    names it (`timestamp`, through the JSON SerDe's mapping, which the table must then carry)."""
    out = tmp / f"{fmt}.ndjson"
    with out.open("wb") as sink:
        subprocess.run([cli, "normalize", "--format", fmt, str(raw)], stdout=sink,
                       stderr=subprocess.DEVNULL, check=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    source = f"read_json_auto('{out}', format = 'newline_delimited', sample_size = -1)"
    columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    renamed = {c.lstrip("@"): c for c in columns if c.startswith("@")}
    renames = [f'"{key}" AS "{column}"' for column, key in renamed.items()]
    rename = f" RENAME ({', '.join(renames)})" if renames else ""
    con.execute(f"CREATE TABLE cognito_activity_{fmt} AS SELECT *{rename} FROM {source}")
    con.execute(duckdb_sql((HERE / "views" / f"{fmt}.sql").read_text()))
    return con, renamed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", required=True, help="the cognito-activity binary")
    parser.add_argument("--formats", required=True,
                        help="comma-separated output formats (the library's OutputFormat::NAMES)")
    args = parser.parse_args()
    formats = args.formats.split(",")

    dataset, benign_users, benign_ips = generate()
    failures = []
    sql_found = {}
    first_outcomes = None  # (format, outcome counts) of the first format loaded
    with tempfile.TemporaryDirectory() as tmp:
        raw = pathlib.Path(tmp) / "raw.ndjson"
        raw.write_text(dataset.lines())
        for fmt in formats:
            con, _ = load(args.cli, raw, fmt, pathlib.Path(tmp))
            rows = con.execute("SELECT count(*) FROM cognito_activity").fetchone()[0]
            if rows != len(dataset.records):
                failures.append(f"{fmt}: the view holds {rows} rows of {len(dataset.records)}")
            # The common columns mean the same in every format: the outcomes, for one.
            counted = con.execute("SELECT outcome, count(*) FROM cognito_activity "
                                  "GROUP BY outcome ORDER BY outcome").fetchall()
            if first_outcomes is None:
                first_outcomes = (fmt, counted)
            elif counted != first_outcomes[1]:
                failures.append(f"{fmt}: outcomes {counted}, "
                                f"{first_outcomes[0]}: {first_outcomes[1]}")
            for path in sorted((HERE / "detections").glob("*.sql")):
                name = path.stem
                sql = path.read_text()
                column, planted = PLANTED[name]
                result = con.execute(duckdb_sql(sql), defaults(sql))
                names = [c[0] for c in result.description]
                found = {row[names.index(column)] for row in result.fetchall()}
                sql_found.setdefault(name, found)
                benign = benign_ips if column == "source_ip" else benign_users
                missed = planted - found
                wrong = found & benign
                status = "ok" if not missed and not wrong else "FAILED"
                print(f"{fmt:10} {name:24} found {sorted(found)} {status}")
                if missed:
                    failures.append(f"{fmt} {name}: missed the planted {sorted(missed)}")
                if wrong:
                    failures.append(f"{fmt} {name}: flagged benign {sorted(wrong)}")
        # `cognito-activity report` computes the same detections in one pass: same findings.
        page = pathlib.Path(tmp) / "report.html"
        subprocess.run([args.cli, "report", str(raw), "--out", str(page)], check=True,
                       stderr=subprocess.DEVNULL)
        report_found = {}
        for name, subject in re.findall(r'data-detection="([a-z_]+)" data-subject="([^"]*)"',
                                        page.read_text()):
            report_found.setdefault(name, set()).add(html.unescape(subject))
        for name, found in sorted(sql_found.items()):
            if report_found.get(name, set()) != found:
                failures.append(f"report {name}: {sorted(report_found.get(name, set()))}, "
                                f"the SQL: {sorted(found)}")
        print(f"report: the same findings as the SQL for {len(sql_found)} detections"
              if not any(f.startswith("report ") for f in failures) else "report: FAILED")
        unknown = {p.stem for p in (HERE / "detections").glob("*.sql")} ^ set(PLANTED)
        if unknown:
            failures.append(f"detections without a planted attack, or gone: {sorted(unknown)}")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)
    print(f"{len(PLANTED)} detections x {len(formats)} formats: every planted attack found, "
          f"no benign user or address flagged ({len(dataset.records)} records)")


if __name__ == "__main__":
    main()
