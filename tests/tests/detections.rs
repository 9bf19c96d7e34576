//! Every detection in `analysis/detections/`, on a generated dataset with
//! planted attacks among benign traffic, through the view of every output
//! format, with addresses and user names kept and hashed: each must find its
//! planted attack and no benign user or address.
//! The work is in `analysis/check_detections.py` (the real CLI normalizes the
//! data; DuckDB runs the Athena SQL after a mechanical sqlglot translation).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cfn;

use std::process::Command;

use cognito_activity::config::OutputFormat;
use e2e::{cargo_binary, workspace};

/// The Python packages the check needs, pinned (as in `.ci/run`).
const PACKAGES: [&str; 2] = ["duckdb==2.0.1", "sqlglot==30.31.0"];

fn ensure_python_packages() {
    e2e::ensure_python_packages("python3", "duckdb, sqlglot", &PACKAGES);
}

/// Runs one of `analysis/`'s scripts on the real CLI and every output format.
fn run_analysis_script(script: &str) -> std::process::Output {
    ensure_python_packages();
    let cli = cargo_binary("cognito-activity-cli", "cognito-activity");
    Command::new("python3")
        .arg(workspace().join("analysis").join(script))
        .arg("--cli")
        .arg(&cli)
        .arg("--formats")
        .arg(OutputFormat::NAMES.join(","))
        .output()
        .expect("python3 runs")
}

#[test]
fn every_detection_finds_its_planted_attack_and_no_benign_user_in_every_format() {
    let out = run_analysis_script("check_detections.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let detections = std::fs::read_dir(workspace().join("analysis/detections"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "sql")
        })
        .count();
    // Every format's view, with the records' fields kept and with addresses
    // and user names hashed (where ECS, for one, keeps the name elsewhere).
    let summary = format!(
        "{detections} detections x {} formats x 2 modes",
        OutputFormat::NAMES.len()
    );
    assert!(stdout.contains(&summary), "{summary} not in {stdout}");
}

/// Athena's side of the template: `analysis/athena.yaml`, generated.
fn athena_template() -> serde_json::Value {
    let text = std::fs::read_to_string(workspace().join("analysis/athena.yaml")).unwrap();
    cfn::to_json(serde_yaml::from_str(&text).unwrap())
}

#[test]
fn the_committed_athena_template_is_what_the_generator_writes_from_the_real_output() {
    let out = run_analysis_script("athena_template.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::fs::read(workspace().join("analysis/athena.yaml")).unwrap();
    assert!(
        out.stdout == committed,
        "analysis/athena.yaml is stale: regenerate it with analysis/athena_template.py"
    );
}

#[test]
fn every_detection_is_deployed_as_a_prepared_statement_holding_its_file() {
    let athena = athena_template();
    let statements: Vec<_> = athena["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::Athena::PreparedStatement")
        .collect();
    let mut files: Vec<_> = std::fs::read_dir(workspace().join("analysis/detections"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert_eq!(statements.len(), files.len());
    for file in files {
        let name = file.file_stem().unwrap().to_str().unwrap();
        let statement = statements
            .iter()
            .find(|s| s["Properties"]["StatementName"] == name)
            .unwrap_or_else(|| panic!("no prepared statement {name}"));
        let sql = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            statement["Properties"]["QueryStatement"].as_str().unwrap(),
            sql.trim(),
            "{name}"
        );
        assert_eq!(statement["Properties"]["WorkGroup"]["Ref"], "WorkGroup");
    }
}

#[test]
fn the_stack_deploys_the_athena_template_for_its_format_partitions_and_pool() {
    let params = cfn::parameter_values(&[]);
    let resources = cfn::resources_with(&params);
    let app = &resources["AnalyticsStack"]["Properties"];
    assert_eq!(app["Location"], "analysis/athena.yaml");
    for (name, from) in [
        ("OutputFormat", "OutputFormat"),
        ("PartitionKeys", "PartitionKeys"),
        ("KmsKeyArn", "KmsKeyArn"),
        ("DatabaseName", "AnalyticsDatabaseName"),
        ("BytesScannedCutoffPerQuery", "AthenaBytesScannedCutoff"),
    ] {
        assert_eq!(app["Parameters"][name]["Ref"], from, "{name}");
    }
    assert_eq!(app["Parameters"]["BucketName"]["Ref"], "ActivityBucket");
    // The nested template takes exactly the formats and presets the stack offers.
    let athena = athena_template();
    for name in ["OutputFormat", "PartitionKeys"] {
        assert_eq!(
            athena["Parameters"][name]["AllowedValues"],
            cfn::section("Parameters")[name]["AllowedValues"],
            "{name}"
        );
    }
    // A table and a view for each format, each only when that format is deployed.
    for format in OutputFormat::NAMES {
        let tables: Vec<_> = athena["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["Type"] == "AWS::Glue::Table")
            .filter(|r| {
                let condition = r["Condition"].as_str().unwrap();
                let wanted = format!("Format{}", format[..1].to_uppercase() + &format[1..]);
                condition == wanted
            })
            .collect();
        assert_eq!(tables.len(), 2, "{format}: a table and its view");
    }
    let refused = cfn::rules_refusing(&cfn::parameter_values(&[("Destination", "splunk")]));
    assert!(refused.contains(&"AnalyticsReadsTheS3Destination".to_string()));
}

#[test]
fn every_json_key_hive_cannot_name_is_read_through_the_serde_mapping() {
    // The JSON SerDe matches a column to the key of the same name; ECS's
    // `@timestamp` cannot be a column name, so its `timestamp` column reads
    // nothing (and every ECS row has no time) unless the table maps it.
    let athena = athena_template();
    let ecs = &athena["Resources"]["EcsTable"]["Properties"]["TableInput"];
    let storage = &ecs["StorageDescriptor"];
    let columns: Vec<&str> = storage["Columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Name"].as_str().unwrap())
        .collect();
    assert!(columns.contains(&"timestamp"), "{columns:?}");
    assert_eq!(
        storage["SerdeInfo"]["Parameters"]["mapping.timestamp"],
        "@timestamp"
    );
}
