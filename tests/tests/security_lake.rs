//! `cognito-activity security-lake` on every raw fixture and every
//! CloudWatch Logs envelope of the sample events, its Parquet objects read
//! back with pyarrow (tests/python/read_parquet.py): the Security Lake
//! layout, one class per object and per source, rows sorted by time, one
//! row per event, every row valid against the OCSF 1.1.0 schema of its
//! class, one schema per class, the same keys and bytes on a re-run; and
//! DuckDB runs docs/security-lake.md's example query over the files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use cognito_activity::fixtures;
use e2e::{cargo_binary, ensure_python_packages, workspace};
use jsonschema::{PatternOptions, Validator};
use serde_json::Value;

const ACCOUNT: &str = "123456789012";

/// Every raw Cognito record in the fixtures, then every CloudWatch Logs
/// envelope of the sample events, one per line.
fn input() -> Vec<u8> {
    let mut out = Vec::new();
    let names = fixtures::paths();
    assert!(names.len() >= 20, "fixtures missing");
    for path in names {
        out.extend(std::fs::read(path).unwrap());
    }
    for sample in [
        "firehose-cwl-subscription.json",
        "firehose-cwl-notifications.json",
    ] {
        let event: Value = serde_json::from_slice(
            &std::fs::read(workspace().join("events").join(sample)).unwrap(),
        )
        .unwrap();
        for record in event["records"].as_array().unwrap() {
            let gz = base64::engine::general_purpose::STANDARD
                .decode(record["data"].as_str().unwrap())
                .unwrap();
            let text = cognito_activity::decode::gunzip_capped(&gz, 1 << 24).unwrap();
            out.extend(text);
            out.push(b'\n');
        }
    }
    out
}

fn cli(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(cargo_binary("cognito-activity-cli", "cognito-activity"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that stops early (a bad argument) may close its input
    // before reading it all: that is its answer, not the test's failure.
    if let Err(e) = std::io::Write::write_all(child.stdin.as_mut().unwrap(), stdin) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seclake-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes the input's objects under `dir`.
fn write_objects(dir: &Path) -> Output {
    let out = cli(
        &[
            "security-lake",
            "--out",
            dir.to_str().unwrap(),
            "--account-id",
            ACCOUNT,
        ],
        &input(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The objects under `dir`, as pyarrow reads them.
fn read_back(dir: &Path) -> Vec<Value> {
    ensure_python_packages("python3", "pyarrow", &["pyarrow==26.0.1"]);
    let out = Command::new("python3")
        .arg(workspace().join("tests/python/read_parquet.py"))
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn validator(class_uid: u64) -> Validator {
    let file = match class_uid {
        3002 => "authentication-3002-v1.1.0.schema.json",
        3001 => "account-change-3001-v1.1.0.schema.json",
        other => panic!("class {other}"),
    };
    let raw: Value = serde_json::from_slice(
        &std::fs::read(workspace().join("shared/tests/data/ocsf").join(file)).unwrap(),
    )
    .unwrap();
    jsonschema::draft202012::options()
        .with_pattern_options(PatternOptions::fancy_regex())
        .build(&raw)
        .unwrap()
}

/// `YYYYMMDD` of epoch milliseconds, UTC.
fn day(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}")
}

#[test]
fn every_event_becomes_one_valid_row_in_the_security_lake_layout() {
    let dir = tempdir("layout");
    let written = write_objects(&dir);
    // The events in: the same pipeline's OCSF lines, one per event.
    let ocsf = cli(&["normalize", "--format", "ocsf"], &input());
    assert!(ocsf.status.success());
    let events_in = String::from_utf8(ocsf.stdout).unwrap().lines().count();
    assert!(events_in >= 28, "{events_in}");

    let objects = read_back(&dir);
    assert!(objects.len() >= 2, "{objects:?}");
    let listed = String::from_utf8(written.stdout).unwrap();
    assert_eq!(listed.lines().count(), objects.len(), "{listed}");

    let validators = BTreeMap::from([(3002, validator(3002)), (3001, validator(3001))]);
    let mut schemas: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    let mut rows_out = 0;
    for object in &objects {
        let path = object["path"].as_str().unwrap();
        let parts: Vec<&str> = path.split('/').collect();
        assert_eq!(parts.len(), 6, "{path}");
        assert_eq!(parts[0], "ext", "{path}");
        let (class_uid, class_name) = match parts[1] {
            "cognitoauth" => (3002, "authentication"),
            "cognitoacct" => (3001, "account_change"),
            other => panic!("source {other} in {path}"),
        };
        let region = parts[2].strip_prefix("region=").expect(path);
        assert!(
            !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{path}"
        );
        assert_eq!(parts[3], format!("accountId={ACCOUNT}"), "{path}");
        let event_day = parts[4].strip_prefix("eventDay=").expect(path);
        let name = parts[5].strip_suffix(".parquet").expect(path);
        let hex = name.strip_prefix(&format!("{class_name}-")).expect(path);
        assert!(
            hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            "{path}"
        );
        assert!(listed.contains(path), "{path} not listed");
        assert_eq!(object["compression"], "GZIP", "{path}");

        let rows = object["rows"].as_array().unwrap();
        assert!(!rows.is_empty(), "{path}");
        assert_eq!(object["num_rows"].as_u64(), Some(rows.len() as u64));
        rows_out += rows.len();
        schemas
            .entry(class_uid)
            .or_default()
            .insert(object["schema"].as_str().unwrap().to_string());
        let mut last = i64::MIN;
        for row in rows {
            assert_eq!(row["class_uid"], class_uid, "{path}: one class per object");
            assert_eq!(row["metadata"]["version"], "1.1.0", "{path}");
            assert_eq!(row["cloud"]["region"], region, "{path}");
            let time = row["time"].as_i64().unwrap();
            assert!(time >= last, "{path}: rows sorted by time");
            last = time;
            assert_eq!(day(time), event_day, "{path}: the row's day");
            let errors: Vec<String> = validators[&class_uid]
                .iter_errors(row)
                .map(|e| format!("{e} at {}", e.instance_path))
                .collect();
            assert!(errors.is_empty(), "{path}: {errors:?}\n{row}");
        }
    }
    assert_eq!(rows_out, events_in, "one row per event");
    assert_eq!(schemas.len(), 2, "both classes written");
    for (class, set) in &schemas {
        assert_eq!(set.len(), 1, "class {class}: one schema in every object");
    }
    // A re-run writes the same keys with the same bytes.
    let again = tempdir("again");
    write_objects(&again);
    for object in &objects {
        let path = object["path"].as_str().unwrap();
        assert_eq!(
            std::fs::read(dir.join(path)).unwrap(),
            std::fs::read(again.join(path)).unwrap(),
            "{path}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&again);
}

#[test]
fn a_bad_line_is_reported_by_number_and_the_rest_is_written() {
    let dir = tempdir("bad");
    let mut input = input();
    input.extend_from_slice(b"this is not JSON\n");
    let lines = input.iter().filter(|&&b| b == b'\n').count();
    let out = cli(
        &[
            "security-lake",
            "--out",
            dir.to_str().unwrap(),
            "--account-id",
            ACCOUNT,
        ],
        &input,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("<stdin>:{lines}: ")), "{stderr}");
    assert!(
        !stderr.contains("this is not JSON"),
        "no input in messages: {stderr}"
    );
    assert!(!read_back(&dir).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// An OCSF 1.1.0 line as the Firehose route delivers it, and the same line
/// with a field the Security Lake schema lacks (the schema refuses it only
/// when the batch is written).
fn ocsf_line_and_one_the_schema_refuses() -> (String, String) {
    use cognito_activity::config::{OcsfVersion, OutputFormat};
    use cognito_activity::pipeline::{transform, Holds, RecordOutcome};
    let cfg = cognito_activity::Config {
        output_format: OutputFormat::Ocsf,
        ocsf_version: OcsfVersion::V1_1_0,
        ..cognito_activity::Config::default()
    };
    let line = match transform(
        fixtures::lines()[0].as_bytes(),
        Holds::DocumentsOrEnvelope { compressed: false },
        &cognito_activity::normalize::Context::default(),
        &cfg,
        &mut cognito_activity::stats::Stats::default(),
    ) {
        RecordOutcome::Ok { output, .. } => String::from_utf8(output).unwrap(),
        other => panic!("{other:?}"),
    };
    let line = line.trim_end().to_string();
    // OCSF's JSON Schema takes any integer as `timezone_offset` (a field
    // the schema does not define, or a value of another type, is refused
    // before, by `seclake::conformance`); the Parquet column is an int32.
    let mut wide: Value = serde_json::from_str(&line).unwrap();
    wide["timezone_offset"] = serde_json::json!(1_u64 << 40);
    (line, wide.to_string())
}

#[test]
fn a_line_the_schema_refuses_is_reported_with_its_own_file_and_line() {
    // The schema's refusals are known only when the batch is written, by
    // the tag of the line that placed the rows: each must come back as
    // the file and line it was read from, across files, blank lines and
    // lines that placed no rows (their tag is used again).
    let dir = tempdir("refused");
    let (ok, refused) = ocsf_line_and_one_the_schema_refuses();
    let first = dir.join("first.jsonl");
    let second = dir.join("second.jsonl");
    std::fs::write(&first, format!("{ok}\n{refused}\n{ok}\n")).unwrap();
    std::fs::write(
        &second,
        format!("{ok}\n\n{ok}\nthis is not JSON\n{refused}\n"),
    )
    .unwrap();
    let out_dir = dir.join("out");
    let out = cli(
        &[
            "security-lake",
            "--out",
            out_dir.to_str().unwrap(),
            "--account-id",
            ACCOUNT,
            first.to_str().unwrap(),
            second.to_str().unwrap(),
        ],
        b"",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let refusals: Vec<&str> = stderr
        .lines()
        .filter(|l| l.ends_with(": rows do not fit the authentication schema"))
        .collect();
    assert_eq!(
        refusals,
        [
            format!(
                "{}:2: rows do not fit the authentication schema",
                first.display()
            ),
            format!(
                "{}:5: rows do not fit the authentication schema",
                second.display()
            ),
        ],
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{}:4: ", second.display())),
        "{stderr}"
    );
    assert!(stderr.contains("3 bad"), "{stderr}");
    assert!(
        !stderr.contains("x_extra"),
        "no input in messages: {stderr}"
    );
    // The other four lines are written, one row each.
    let rows: u64 = read_back(&out_dir)
        .iter()
        .map(|object| object["num_rows"].as_u64().unwrap())
        .sum();
    assert_eq!(rows, 4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_account_id_stops_before_anything_is_written() {
    let dir = tempdir("account");
    let out = cli(
        &[
            "security-lake",
            "--out",
            dir.to_str().unwrap(),
            "--account-id",
            "12345",
        ],
        &input(),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("12345"));
    assert!(read_back(&dir).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The query in docs/security-lake.md marked as checked, run by DuckDB over
/// the written files: the table names are replaced by `read_parquet` of
/// their source's objects.
#[test]
fn the_documented_query_runs_over_the_written_objects() {
    let dir = tempdir("duckdb");
    write_objects(&dir);
    let doc = std::fs::read_to_string(workspace().join("docs/security-lake.md")).unwrap();
    let start = doc
        .find("<!-- checked by tests/tests/security_lake.rs -->")
        .expect("the checked query's marker in docs/security-lake.md");
    let sql_start = doc[start..].find("```sql\n").unwrap() + start + "```sql\n".len();
    let sql_end = doc[sql_start..].find("```").unwrap() + sql_start;
    let mut sql = doc[sql_start..sql_end].to_string();
    for (table, source) in [
        (
            "amazon_security_lake_table_us_east_1_ext_cognitoauth_1_0",
            "cognitoauth",
        ),
        (
            "amazon_security_lake_table_us_east_1_ext_cognitoacct_1_0",
            "cognitoacct",
        ),
    ] {
        let glob = dir.join("ext").join(source).join("**").join("*.parquet");
        sql = sql.replace(
            &format!("amazon_security_lake_glue_db_us_east_1.{table}"),
            &format!(
                "read_parquet('{}', hive_partitioning = true)",
                glob.display()
            ),
        );
    }
    assert!(!sql.contains("amazon_security_lake"), "{sql}");
    ensure_python_packages("python3", "duckdb", &["duckdb==2.0.1"]);
    let script = "import duckdb, json, sys\nrows = duckdb.sql(sys.argv[1]).fetchall()\nprint(json.dumps([[str(c) for c in r] for r in rows]))";
    let out = Command::new("python3")
        .args(["-c", script, &sql])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{sql}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
    // The fixtures hold failed sign-ins: the query finds them.
    assert!(!rows.is_empty(), "{sql}");
    let _ = std::fs::remove_dir_all(&dir);
}
