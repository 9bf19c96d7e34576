//! Checks `template.yaml` against the function's own settings table
//! (`cognito_activity::config::SETTINGS`), so the template can never offer a
//! value the function rejects, nor forget a variable the function reads.
#![allow(clippy::unwrap_used)]

mod cfn;

use std::collections::BTreeSet;

use cfn::*;

use cognito_activity::config::{
    Allowed, Config, Setting, HASH_KEY, HASH_KEY_SECRET_ARN, METRICS_DIMENSIONS, PARTITION_KEYS,
    SETTINGS,
};
use cognito_activity::metrics::{emf_line, metric_values, Dimensions};
use cognito_activity::Stats;
use serde_json::{json, Value};

/// A key long enough for `IP_MODE=hash` / `USER_NAME_MODE=hash`.
const TEST_HASH_KEY: &str = "0123456789abcdef0123456789abcdef";

// ---------------------------------------------------------------------------
// Loading: YAML with CloudFormation short-form tags -> JSON in long form.
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `OUTPUT_FORMAT` -> `OutputFormat`.
fn pascal(name: &str) -> String {
    name.split('_')
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            let mut chars = lower.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The environment variable the Lambda reads a setting from.
fn env_var(setting: &Setting) -> &'static str {
    if setting.name == HASH_KEY {
        HASH_KEY_SECRET_ARN
    } else {
        setting.name
    }
}

/// The parameter that feeds an environment variable (the one it is named after).
fn feeding_parameter(setting: &Setting) -> String {
    if setting.name == HASH_KEY {
        "HashKeySecretArn".to_string()
    } else {
        pascal(setting.name)
    }
}

/// Does the function start with `name=value` (and a key when the value asks for hashing)?
fn function_accepts(name: &str, value: &str) -> Result<Config, String> {
    Config::from_lookup(|var| {
        if var == name {
            Some(value.to_string())
        } else if var == HASH_KEY {
            Some(TEST_HASH_KEY.to_string())
        } else {
            None
        }
    })
    .map_err(|e| e.to_string())
}

/// For an environment value `!FindInMap [Map, !Ref Param, Attr]`: (Map, Param, Attr).
fn find_in_map(value: &Value) -> Option<(String, String, String)> {
    let args = value.get("Fn::FindInMap")?.as_array()?;
    let map = args.first()?.as_str()?.to_string();
    let param = args.get(1)?.get("Ref")?.as_str()?.to_string();
    let attr = args.get(2)?.as_str()?.to_string();
    Some((map, param, attr))
}

/// `a,b , c` -> ["a", "b", "c"].
fn list_items(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The `K` of every `!{partitionKeyFromLambda:K}` in a Firehose prefix.
fn lambda_partition_keys(prefix: &str) -> Vec<String> {
    let marker = "!{partitionKeyFromLambda:";
    let mut keys = Vec::new();
    let mut rest = prefix;
    while let Some(start) = rest.find(marker) {
        let after = &rest[start + marker.len()..];
        let end = after
            .find('}')
            .expect("unterminated partition key expression");
        keys.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    keys
}

// ---------------------------------------------------------------------------
// 1. Variables
// ---------------------------------------------------------------------------

/// Variables the template sets for the process itself, not read by our code.
const PROCESS_VARIABLES: [&str; 1] = ["GLIBC_TUNABLES"];

#[test]
fn every_variable_the_function_reads_is_set_by_the_template_and_no_other() {
    // The Lambda reads HASH_KEY from the secret HASH_KEY_SECRET_ARN names.
    let read: BTreeSet<&str> = SETTINGS.iter().map(|s| env_var(s)).collect();
    let set: BTreeSet<&str> = environment()
        .keys()
        .map(String::as_str)
        .filter(|name| !PROCESS_VARIABLES.contains(name))
        .collect();
    let missing: Vec<_> = read.difference(&set).collect();
    let extra: Vec<_> = set.difference(&read).collect();
    assert!(
        missing.is_empty(),
        "read by the function but not set by the template: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "set by the template but not read by the function: {extra:?}"
    );
}

#[test]
fn glibc_keeps_large_buffers_on_its_heap() {
    // Both tunables, as plain numbers, above the largest buffer an
    // invocation holds (a 6 MB event, its response, lambda_runtime's copy).
    let text = environment()["GLIBC_TUNABLES"]
        .as_str()
        .expect("GLIBC_TUNABLES is a plain string");
    let tunables: Vec<(&str, u64)> = text
        .split(':')
        .map(|t| {
            let (name, value) = t.split_once('=').expect("name=value");
            (name, value.parse().expect("a number of bytes"))
        })
        .collect();
    let value = |name: &str| {
        tunables
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("{name} is set"))
    };
    assert!(value("glibc.malloc.mmap_threshold") >= 16 * 1024 * 1024);
    // glibc caps the mmap threshold at 32 MiB on 64-bit systems.
    assert!(value("glibc.malloc.mmap_threshold") <= 32 * 1024 * 1024);
    assert!(value("glibc.malloc.trim_threshold") >= 2 * value("glibc.malloc.mmap_threshold"));
    assert_eq!(tunables.len(), 2, "{text}");
}

#[test]
fn every_variable_is_fed_from_the_parameter_named_after_it() {
    let params = section("Parameters");
    for setting in SETTINGS {
        let expected = feeding_parameter(setting);
        assert!(
            params.contains_key(&expected),
            "no parameter {expected} for {}",
            setting.name
        );
        let mut refs = BTreeSet::new();
        references(&environment()[env_var(setting)], &mut refs);
        let used: BTreeSet<_> = refs.iter().filter(|r| params.contains_key(*r)).collect();
        assert_eq!(
            used.into_iter().cloned().collect::<Vec<_>>(),
            vec![expected.clone()],
            "{} must be fed from parameter {expected} only",
            setting.name
        );
    }
}

#[test]
fn the_hash_key_is_read_at_start_from_the_one_secret_the_function_may_read() {
    let env = environment();
    assert!(
        !env.contains_key(HASH_KEY),
        "the key itself must never be in the function's environment"
    );
    assert_eq!(env[HASH_KEY_SECRET_ARN]["Ref"], "HashKeySecretArn");
    let text = template().to_string();
    assert!(
        !text.contains("{{resolve:secretsmanager"),
        "no dynamic reference: CloudFormation would write the value into the configuration"
    );
    assert_eq!(scalar(&parameter("HashKeySecretArn")["Default"]), "");
    assert!(
        !section("Parameters").contains_key("HashKey"),
        "the key itself must never be a parameter"
    );
    let role = function()["Properties"]["Role"]["Fn::GetAtt"][0]
        .as_str()
        .unwrap();
    let mut grants = Vec::new();
    statements(&section("Resources")[role], &mut grants);
    let reads: Vec<_> = grants
        .iter()
        .filter(|s| {
            strings(&s["Action"])
                .iter()
                .any(|a| a.starts_with("secretsmanager:"))
        })
        .collect();
    assert_eq!(reads.len(), 1);
    assert_eq!(
        strings(&reads[0]["Action"]),
        ["secretsmanager:GetSecretValue"]
    );
    assert_eq!(reads[0]["Resource"]["Ref"], "HashKeySecretArn");
    let without = resources_with(&parameter_values(&[]));
    let mut grants = Vec::new();
    statements(&without[role], &mut grants);
    assert!(
        grants.iter().all(|s| !strings(&s["Action"])
            .iter()
            .any(|a| a.starts_with("secretsmanager:"))),
        "no secret is readable when hashing is off"
    );
}

#[test]
fn hashing_modes_cannot_be_deployed_without_a_key_secret() {
    let hashing = ["IpMode", "UserNameMode"];
    let guarded = section("Rules").values().any(|rule| {
        let mut condition = BTreeSet::new();
        references(&rule["RuleCondition"], &mut condition);
        let mut asserted = BTreeSet::new();
        references(&rule["Assertions"], &mut asserted);
        hashing.iter().all(|p| condition.contains(*p)) && asserted.contains("HashKeySecretArn")
    });
    assert!(
        guarded,
        "a Rule must require HashKeySecretArn when IpMode or UserNameMode is hash"
    );
}

// ---------------------------------------------------------------------------
// 2. Allowed values
// ---------------------------------------------------------------------------

#[test]
fn choice_parameters_allow_exactly_the_function_words_and_share_its_default() {
    let mut checked = 0;
    for setting in SETTINGS {
        let Allowed::OneOf(words) = setting.allowed else {
            continue;
        };
        let param = feeding_parameter(setting);
        let offered: BTreeSet<String> = allowed_values(&param).into_iter().collect();
        let accepted: BTreeSet<String> = words.iter().map(|w| w.to_string()).collect();
        assert_eq!(
            offered, accepted,
            "AllowedValues of {param} vs {}",
            setting.name
        );
        assert_eq!(
            scalar(&parameter(&param)["Default"]),
            setting.default,
            "Default of {param}"
        );
        for value in &offered {
            function_accepts(setting.name, value).unwrap();
        }
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} OneOf settings checked");
}

#[test]
fn number_parameters_have_the_function_range_and_default() {
    let mut checked = 0;
    for setting in SETTINGS {
        let Allowed::Integer { min, max } = setting.allowed else {
            continue;
        };
        let param = feeding_parameter(setting);
        let p = parameter(&param);
        assert_eq!(p["Type"], "Number", "{param} must be a Number");
        assert_eq!(
            scalar(&p["MinValue"]),
            min.to_string(),
            "MinValue of {param}"
        );
        assert_eq!(
            scalar(&p["MaxValue"]),
            max.to_string(),
            "MaxValue of {param}"
        );
        assert_eq!(scalar(&p["Default"]), setting.default, "Default of {param}");
        function_accepts(setting.name, &min.to_string()).unwrap();
        function_accepts(setting.name, &max.to_string()).unwrap();
        checked += 1;
    }
    assert_eq!(checked, 2);
}

#[test]
fn every_list_preset_is_accepted_by_the_function() {
    let mappings = section("Mappings");
    let mut checked = 0;
    for setting in SETTINGS {
        let Allowed::ListOf(words) = setting.allowed else {
            continue;
        };
        let param = feeding_parameter(setting);
        let presets: Vec<String> = match find_in_map(&default_environment_value(setting.name)) {
            // The parameter names a preset; the mapping holds the list itself.
            Some((map, ref_param, attr)) => {
                assert_eq!(
                    ref_param, param,
                    "{} must look up its preset by {param}",
                    setting.name
                );
                let table = mappings[&map].as_object().expect("mapping exists");
                let names: BTreeSet<String> = table.keys().cloned().collect();
                let offered: BTreeSet<String> = allowed_values(&param).into_iter().collect();
                assert_eq!(
                    offered, names,
                    "every preset of {param} and only those are mapped"
                );
                table.values().map(|row| scalar(&row[&attr])).collect()
            }
            None => {
                assert_eq!(
                    scalar(&parameter(&param)["Default"]),
                    setting.default,
                    "Default of {param}"
                );
                allowed_values(&param)
            }
        };
        assert!(!presets.is_empty(), "{param} offers no values");
        for preset in &presets {
            let config = function_accepts(setting.name, preset);
            assert!(
                config.is_ok(),
                "{}={preset:?} is rejected: {config:?}",
                setting.name
            );
            for item in list_items(preset) {
                assert!(
                    words.contains(&item.as_str()),
                    "{}: {item:?} is not spelled as the function spells it",
                    setting.name
                );
            }
        }
        checked += 1;
    }
    assert_eq!(
        checked, 3,
        "DROP_EVENT_RESPONSES, PARTITION_KEYS, METRICS_DIMENSIONS"
    );
}

#[test]
fn each_partition_preset_prefix_uses_exactly_the_keys_it_sends() {
    let (map, param, keys_attr) = find_in_map(&default_environment_value(PARTITION_KEYS))
        .expect("PARTITION_KEYS comes from a mapping");
    let stream = &default_stream();
    let s3 = &stream["Properties"]["ExtendedS3DestinationConfiguration"];
    assert_eq!(
        s3["DynamicPartitioningConfiguration"]["Enabled"],
        Value::Bool(true),
        "dynamic partitioning must be on"
    );
    // The prefix attribute is the FindInMap on the same mapping and parameter inside Prefix.
    let mut lookups = Vec::new();
    collect_find_in_map(&s3["Prefix"], &mut lookups);
    let prefix_attr = lookups
        .into_iter()
        .find(|(m, p, _)| *m == map && *p == param)
        .map(|(_, _, attr)| attr)
        .expect("the S3 Prefix looks up the same preset");
    assert_ne!(prefix_attr, keys_attr);

    let default = scalar(&parameter(&param)["Default"]);
    let table = section("Mappings")[&map].as_object().unwrap();
    assert!(
        table.contains_key(&default),
        "default preset {default} is mapped"
    );
    for (preset, row) in table {
        let keys = list_items(&scalar(&row[&keys_attr]));
        assert!(
            !keys.is_empty(),
            "{preset}: Firehose dynamic partitioning needs at least one key"
        );
        let prefix = scalar(&row[&prefix_attr]);
        let used = lambda_partition_keys(&prefix);
        let used_set: BTreeSet<_> = used.iter().collect();
        assert_eq!(
            used.len(),
            used_set.len(),
            "{preset}: a key is repeated in {prefix}"
        );
        assert_eq!(
            used_set,
            keys.iter().collect::<BTreeSet<_>>(),
            "{preset}: prefix {prefix} vs keys {keys:?}"
        );
        assert!(
            !prefix.contains("partitionKeyFromQuery"),
            "{preset}: keys come from the function only"
        );
        assert!(prefix.ends_with('/'), "{preset}: the prefix ends a folder");
    }
}

fn collect_find_in_map(value: &Value, out: &mut Vec<(String, String, String)>) {
    if let Some(found) = find_in_map(value) {
        out.push(found);
    }
    match value {
        Value::Object(map) => map.values().for_each(|v| collect_find_in_map(v, out)),
        Value::Array(items) => items.iter().for_each(|v| collect_find_in_map(v, out)),
        _ => {}
    }
}

#[test]
fn free_form_parameters_have_a_pattern_and_the_function_default() {
    let mut checked = 0;
    for setting in SETTINGS {
        if !matches!(setting.allowed, Allowed::Text | Allowed::FreeList) {
            continue;
        }
        let param = feeding_parameter(setting);
        let p = parameter(&param);
        let pattern = scalar(&p["AllowedPattern"]);
        assert!(!pattern.is_empty(), "{param} needs an AllowedPattern");
        assert!(
            pattern.starts_with('^') && pattern.ends_with('$'),
            "{param}: anchor {pattern}"
        );
        assert_eq!(scalar(&p["Default"]), setting.default, "Default of {param}");
        function_accepts(setting.name, setting.default).unwrap();
        checked += 1;
    }
    assert_eq!(checked, 2, "INCLUDE_EVENT_TYPES, METRICS_NAMESPACE");
}

#[test]
fn every_kind_of_setting_is_covered_by_a_check() {
    // A new `Allowed` variant must get a template check above before this compiles cleanly.
    for setting in SETTINGS {
        match setting.allowed {
            Allowed::OneOf(_)
            | Allowed::ListOf(_)
            | Allowed::FreeList
            | Allowed::Integer { .. }
            | Allowed::Text => {}
            Allowed::Secret => assert_eq!(setting.name, HASH_KEY, "only HASH_KEY is a secret"),
        }
    }
}

// ---------------------------------------------------------------------------
// 3. Resources
// ---------------------------------------------------------------------------

#[test]
fn the_function_is_a_rust_arm64_custom_runtime_built_with_its_pgo_profile() {
    let f = function();
    let p = &f["Properties"];
    assert_eq!(p["Runtime"], "provided.al2023");
    assert_eq!(p["Architectures"], Value::from(vec!["arm64"]));
    assert_eq!(p["Handler"], "bootstrap");
    // SAM runs `make build-<LogicalId>` with the Makefile at CodeUri, which runs build.sh:
    // cargo lambda with the profile rust-cargolambda cannot pass.
    assert_eq!(f["Metadata"]["BuildMethod"], "makefile");
    let code = scalar(&p["CodeUri"]);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(&code);
    assert!(
        dir.join("Cargo.toml").exists(),
        "CodeUri {code} has no Cargo.toml"
    );
    let makefile = std::fs::read_to_string(dir.join("Makefile")).expect("CodeUri has a Makefile");
    let recipe = makefile
        .split("\nbuild-TransformerFunction:\n")
        .nth(1)
        .expect("the Makefile has SAM's target for TransformerFunction");
    // Run as SAM runs it (`make --makefile PATH TARGET`, elsewhere), from a
    // folder whose path holds spaces, with a build.sh that writes down how
    // it was called: the target calls the build.sh beside the Makefile, for
    // arm64, into SAM's ARTIFACTS_DIR.
    let scratch = std::env::temp_dir().join(format!("makefile test {}", std::process::id()));
    let (folder, artifacts) = (scratch.join("function dir"), scratch.join("artifacts dir"));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(folder.join("Makefile"), &makefile).unwrap();
    std::fs::write(
        folder.join("build.sh"),
        "printf '%s\\n' \"$0\" \"$@\" > \"$2/called\"\n",
    )
    .unwrap();
    let make = std::process::Command::new("make")
        .arg("--makefile")
        .arg(folder.join("Makefile"))
        .arg("build-TransformerFunction")
        .arg(format!("ARTIFACTS_DIR={}", artifacts.display()))
        .current_dir(&scratch)
        .output()
        .expect("make runs (apt-get install make)");
    assert!(make.status.success(), "{make:?}");
    let called = std::fs::read_to_string(artifacts.join("called")).expect("build.sh was called");
    assert_eq!(
        called.lines().collect::<Vec<_>>(),
        [
            folder.join("build.sh").to_str().unwrap(),
            "aarch64",
            artifacts.to_str().unwrap()
        ],
        "{recipe}"
    );
    std::fs::remove_dir_all(&scratch).unwrap();
    for profile in ["aarch64.profdata", "x86_64.profdata", "rustc-version"] {
        assert!(
            dir.join("pgo").join(profile).exists(),
            "pgo/{profile} is missing"
        );
    }
    // The profiles were recorded by the Rust every build uses: the one the
    // workspace pins.
    let pinned = std::fs::read_to_string(dir.join("../../rust-toolchain.toml"))
        .expect("the workspace pins its Rust");
    let channel = pinned
        .lines()
        .find_map(|l| l.strip_prefix("channel = \""))
        .and_then(|c| c.strip_suffix('"'))
        .expect("rust-toolchain.toml names a channel");
    let recorded = std::fs::read_to_string(dir.join("pgo/rustc-version")).expect("rustc-version");
    assert!(
        recorded.starts_with(&format!("rustc {channel} ")),
        "the PGO profiles were recorded by {}, not the pinned {channel}: run python3 bench/pgo.py",
        recorded.lines().next().unwrap_or_default()
    );
}

#[test]
fn the_function_logs_json_to_its_own_log_group() {
    let p = &function()["Properties"];
    let logging = &p["LoggingConfig"];
    assert_eq!(logging["LogFormat"], "JSON");
    assert_eq!(logging["SystemLogLevel"], "WARN");
    let group_id = logging["LogGroup"]["Ref"]
        .as_str()
        .expect("LogGroup is a !Ref");
    let group = &section("Resources")[group_id];
    assert_eq!(group["Type"], "AWS::Logs::LogGroup");
    let function_name = scalar(&p["FunctionName"]["Fn::Sub"]);
    assert_eq!(
        scalar(&group["Properties"]["LogGroupName"]["Fn::Sub"]),
        format!("/aws/lambda/{function_name}")
    );
    assert_eq!(
        group["Properties"]["RetentionInDays"]["Ref"],
        "LogRetentionDays"
    );
}

#[test]
fn the_stream_is_tagged_for_cognito_log_delivery_and_runs_the_function() {
    let stream = &default_stream();
    let p = &stream["Properties"];
    assert_eq!(p["DeliveryStreamType"], "DirectPut");
    let tagged = p["Tags"]
        .as_array()
        .expect("the stream has Tags")
        .iter()
        .any(|t| t["Key"] == "LogDeliveryEnabled" && t["Value"] == "true");
    assert!(
        tagged,
        "Cognito delivers only to streams tagged LogDeliveryEnabled=true"
    );
    let processors = p["ExtendedS3DestinationConfiguration"]["ProcessingConfiguration"]
        ["Processors"]
        .as_array()
        .expect("a processor");
    let function_id = TRANSFORMER;
    let lambda_arn = processors
        .iter()
        .filter(|proc| proc["Type"] == "Lambda")
        .flat_map(|proc| proc["Parameters"].as_array().cloned().unwrap_or_default())
        .find(|param| param["ParameterName"] == "LambdaArn")
        .expect("a LambdaArn processor parameter");
    assert_eq!(
        lambda_arn["ParameterValue"]["Fn::GetAtt"],
        Value::from(vec![function_id, "Arn"])
    );
}

#[test]
fn the_function_may_only_reingest_into_the_stream_it_serves() {
    let stream = &default_stream();
    let name = scalar(&stream["Properties"]["DeliveryStreamName"]["Fn::Sub"]);
    assert!(
        !name.is_empty(),
        "the stream has a DeliveryStreamName built with !Sub"
    );
    // The function's own grants: its SAM policies and the role it runs with.
    let role = function()["Properties"]["Role"]["Fn::GetAtt"][0]
        .as_str()
        .expect("the function runs with a role of this template");
    let mut all = Vec::new();
    statements(function(), &mut all);
    statements(&section("Resources")[role], &mut all);
    let puts: Vec<_> = all
        .iter()
        .filter(|s| {
            strings(&s["Action"])
                .iter()
                .any(|a| a.starts_with("firehose:"))
        })
        .collect();
    assert_eq!(
        puts.len(),
        1,
        "one statement grants the function Firehose writes"
    );
    assert_eq!(
        strings(&puts[0]["Action"]),
        vec!["firehose:PutRecordBatch".to_string()]
    );
    let resource = scalar(&puts[0]["Resource"]["Fn::Sub"]);
    assert!(
        resource.ends_with(&format!(":deliverystream/{name}")),
        "{resource} is not the stream {name}"
    );
}

#[test]
fn no_policy_allows_a_wildcard_action() {
    let mut all = Vec::new();
    statements(template(), &mut all);
    assert!(all.len() >= 5, "found only {} policy statements", all.len());
    for s in all {
        let effect = scalar(&s["Effect"]);
        if effect == "Deny" {
            continue; // a wildcard in a Deny only widens what is refused
        }
        assert_eq!(effect, "Allow");
        assert!(
            !s.contains_key("NotAction"),
            "an Allow with NotAction grants everything else: {s:?}"
        );
        for action in strings(&s["Action"]) {
            assert!(!action.contains('*'), "wildcard action {action} in {s:?}");
        }
    }
}

// ---------------------------------------------------------------------------
// Alarms on the function's EMF metrics
// ---------------------------------------------------------------------------

#[test]
fn the_metric_alarms_watch_metrics_the_function_emits_with_its_dimensions() {
    let emitted: BTreeSet<String> = metric_values(&Stats::default())
        .into_iter()
        .map(|(name, _, _)| name)
        .collect();
    let (stream_id, _) = stream();
    let function_id = TRANSFORMER;
    let alarms: Vec<_> = section("Resources")
        .values()
        .filter(|r| r["Type"] == "AWS::CloudWatch::Alarm")
        .filter(|r| r["Properties"]["Namespace"]["Ref"] == "MetricsNamespace")
        .collect();
    let watched: BTreeSet<String> = alarms
        .iter()
        .map(|a| scalar(&a["Properties"]["MetricName"]))
        .collect();
    for needed in [
        "RecordsFailed",
        "AccountTakeovers",
        "CompromisedCredentials",
    ] {
        assert!(watched.contains(needed), "no alarm on {needed}");
    }
    for name in &watched {
        assert!(
            emitted.contains(name),
            "the function emits no metric {name}"
        );
    }

    let dimension_param =
        feeding_parameter(cognito_activity::config::setting(METRICS_DIMENSIONS).unwrap());
    for preset in allowed_values(&dimension_param) {
        let params = parameter_values(&[(dimension_param.as_str(), preset.as_str())]);
        // What the function writes with this preset.
        let config = function_accepts(METRICS_DIMENSIONS, &preset).unwrap();
        let dims = Dimensions {
            delivery_stream: Some("the-stream"),
            function_name: Some("the-function"),
        };
        let line: Value =
            serde_json::from_str(&emf_line(&Stats::default(), &config, &dims, 0)).unwrap();
        let sets = line["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
            .as_array()
            .unwrap();
        assert_eq!(sets.len(), 1, "one dimension set");
        let emitted_dims: BTreeSet<String> = strings(&sets[0]).into_iter().collect();

        for alarm in &alarms {
            if let Some(condition) = alarm.get("Condition") {
                assert!(
                    condition_holds(condition, &params),
                    "alarm missing with {dimension_param}={preset:?} and defaults"
                );
            }
            let props = resolve_ifs(&alarm["Properties"], &params).unwrap();
            let dimensions = props
                .get("Dimensions")
                .cloned()
                .unwrap_or(Value::Array(vec![]));
            let mut names = BTreeSet::new();
            for d in dimensions.as_array().unwrap() {
                let name = scalar(&d["Name"]);
                let expected_source = match name.as_str() {
                    "DeliveryStream" => stream_id,
                    "FunctionName" => function_id,
                    other => panic!("the function has no dimension {other}"),
                };
                assert_eq!(
                    d["Value"]["Ref"], expected_source,
                    "value of dimension {name}"
                );
                names.insert(name);
            }
            assert_eq!(
                names,
                emitted_dims,
                "alarm on {} with {dimension_param}={preset:?}",
                scalar(&props["MetricName"])
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Original records: readable only on purpose
// ---------------------------------------------------------------------------

/// Every S3 prefix the stream writes original (untransformed) records to,
/// with every parameter combination that changes them, up to its first `!{`.
fn raw_record_prefixes() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for destination in allowed_values("Destination") {
        let params = parameter_values(&[
            ("Destination", destination.as_str()),
            ("SourceRecordBackup", "true"),
            ("SplunkHecEndpoint", "https://hec.example.com"),
            (
                "OpenSearchDomainArn",
                "arn:aws:es:us-east-1:123456789012:domain/d",
            ),
            ("HttpEndpointUrl", "https://example.com"),
            (
                "DestinationSecretArn",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:s",
            ),
        ]);
        let stream = resolve_ifs(stream().1, &params).unwrap();
        collect_raw_prefixes(&stream["Properties"], &mut out);
    }
    out
}

fn collect_raw_prefixes(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let raw = key == "ErrorOutputPrefix"
                    || (key == "S3BackupConfiguration" && v.get("Prefix").is_some());
                if raw {
                    let text = if key == "ErrorOutputPrefix" {
                        scalar(v)
                    } else {
                        scalar(&v["Prefix"])
                    };
                    out.insert(text.split("!{").next().unwrap().to_string());
                }
                collect_raw_prefixes(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_raw_prefixes(v, out)),
        _ => {}
    }
}

#[test]
fn original_records_in_the_bucket_are_readable_only_by_the_named_readers() {
    let prefixes = raw_record_prefixes();
    assert!(prefixes.contains("errors/"), "{prefixes:?}");
    assert!(prefixes.contains("source-backup/"), "{prefixes:?}");
    let policy = resource("ActivityBucketPolicy");
    let mut all = Vec::new();
    statements(&policy["Properties"], &mut all);
    let denies: Vec<_> = all
        .iter()
        .filter(|s| {
            s["Effect"] == "Deny" && strings(&s["Action"]).contains(&"s3:GetObject".to_string())
        })
        .collect();
    assert_eq!(denies.len(), 1, "one statement guards the original records");
    let deny = denies[0];
    assert_eq!(
        strings(&deny["Action"]),
        RAW_READS,
        "a read naming a version needs s3:GetObjectVersion only"
    );
    assert_eq!(deny["Principal"], "*");
    assert_eq!(
        deny["Condition"]["StringNotLike"]["aws:PrincipalArn"]["Ref"],
        "RawDataReaderArns"
    );
    assert_eq!(scalar(&parameter("RawDataReaderArns")["Default"]), "");
    let guarded: Vec<String> = deny["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let text = scalar(&r["Fn::Sub"]);
            let path = text
                .strip_prefix("${ActivityBucket.Arn}/")
                .unwrap()
                .to_string();
            path.strip_suffix('*').unwrap().to_string()
        })
        .collect();
    for prefix in &prefixes {
        assert!(
            guarded.iter().any(|g| prefix.starts_with(g.as_str())),
            "{prefix} holds original records but anyone with s3:GetObject may read it"
        );
    }
}

/// The actions that read an object's bytes: `GetObject`, and, for a read
/// naming a version (the buckets are versioned), `GetObjectVersion` alone.
const RAW_READS: [&str; 2] = ["s3:GetObject", "s3:GetObjectVersion"];

#[test]
fn the_raw_bucket_denies_both_reads_to_all_but_the_transformer_and_the_named_readers() {
    let resources = resources_with(&parameter_values(&[("DeliveryRoute", "s3")]));
    let mut all = Vec::new();
    statements(&resources["RawBucketPolicy"]["Properties"], &mut all);
    let deny = all
        .iter()
        .find(|s| s["Sid"] == "DenyReadingRawRecordsToAllButTheirReaders")
        .expect("the raw records' guard");
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(deny["Principal"], "*");
    assert_eq!(strings(&deny["Action"]), RAW_READS);
}

/// Whether a parameter's `AllowedPattern` takes `value` (CloudFormation
/// applies it to the whole value, and to each item of a list).
fn pattern_accepts(pattern: &str, value: &str) -> bool {
    jsonschema::validator_for(&json!({ "type": "string", "pattern": pattern }))
        .unwrap()
        .is_valid(&json!(value))
}

#[test]
fn the_raw_readers_are_principals_of_this_account_never_a_wildcard_for_all() {
    let param = parameter("RawDataReaderArns");
    let pattern = scalar(&param["AllowedPattern"]);
    for arn in [
        "",
        "arn:aws:iam::123456789012:role/SecurityAuditor",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws-us-gov:iam::123456789012:role/path/to/Role+x=y,z.@-",
        "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Audit_*",
    ] {
        assert!(pattern_accepts(&pattern, arn), "{arn:?} refused");
    }
    // Matched as StringNotLike matches, each of these would let every
    // principal (or every role) read the raw records.
    for arn in [
        "*",
        "arn:aws:iam::*:role/x",
        "arn:aws:iam::123456789012:*",
        "arn:aws:iam::123456789012:role/*",
        "arn:aws:iam::123456789012:role/?*",
        "arn:aws:iam::123456789012:role/",
        "arn:aws:iam::12345678901:role/x",
        "arn:aws:sts::123456789012:assumed-role/x/session",
        " arn:aws:iam::123456789012:role/x",
    ] {
        assert!(!pattern_accepts(&pattern, arn), "{arn:?} accepted");
    }
}

#[test]
fn queues_eventbridge_writes_to_keep_sqs_own_key_whatever_the_kms_key() {
    let lake = "s3://aws-security-data-lake-eu-west-1-abc/ext";
    let role = "arn:aws:iam::123456789012:role/lake-provider";
    let params = parameter_values(&[
        ("DeliveryRoute", "s3"),
        (
            "KmsKeyArn",
            "arn:aws:kms:us-east-1:123456789012:key/output-key",
        ),
        ("SecurityLake", "true"),
        (
            "SecurityLakeAuthenticationLocation",
            &format!("{lake}/cognitoauth/1.0/"),
        ),
        ("SecurityLakeAuthenticationRoleArn", role),
        ("SecurityLakeAuthenticationExternalId", "auth-id"),
        (
            "SecurityLakeAccountChangeLocation",
            &format!("{lake}/cognitoacct/1.0/"),
        ),
        ("SecurityLakeAccountChangeRoleArn", role),
        ("SecurityLakeAccountChangeExternalId", "acct-id"),
    ]);
    assert_eq!(rules_refusing(&params), Vec::<String>::new());
    let resources = resources_with(&params);
    for id in [
        "S3TransformerDeadLetterQueue",
        "SecurityLakeDeadLetterQueue",
    ] {
        let queue = &resources[id]["Properties"];
        // Under a customer key EventBridge could write only with a key
        // policy naming it, which the stack does not own.
        assert_eq!(queue["SqsManagedSseEnabled"], true, "{id}");
        assert!(queue.get("KmsMasterKeyId").is_none(), "{id}");
    }
}

#[test]
fn the_batch_operations_role_may_list_the_raw_bucket_and_use_the_bucket_key() {
    let key = "arn:aws:kms:us-east-1:123456789012:key/output-key";
    for kms in ["", key] {
        let resources = resources_with(&parameter_values(&[
            ("DeliveryRoute", "s3"),
            ("KmsKeyArn", kms),
        ]));
        let mut all = Vec::new();
        statements(
            &resources["BatchOperationsRole"]["Properties"]["Policies"],
            &mut all,
        );
        let list = all
            .iter()
            .find(|s| strings(&s["Action"]) == ["s3:ListBucket"])
            .expect("the manifest generator lists the raw bucket");
        assert_eq!(list["Resource"]["Fn::GetAtt"], json!(["RawBucket", "Arn"]));
        assert!(
            all.iter().all(
                |s| !strings(&s["Action"]).iter().any(|a| a == "s3:GetObject")
                    || scalar(&s["Resource"]["Fn::Sub"]).contains("/batch-operations/manifests/")
            ),
            "the role reads no object but its manifests"
        );
        let kms_use: Vec<_> = all
            .iter()
            .filter(|s| strings(&s["Action"]).iter().any(|a| a.starts_with("kms:")))
            .collect();
        if kms.is_empty() {
            assert!(kms_use.is_empty());
        } else {
            assert_eq!(kms_use.len(), 1);
            assert_eq!(
                strings(&kms_use[0]["Action"]),
                ["kms:Decrypt", "kms:GenerateDataKey"]
            );
            assert_eq!(kms_use[0]["Resource"]["Ref"], "KmsKeyArn");
        }
    }
}

#[test]
fn source_record_backup_is_refused_beside_a_destination_other_than_s3() {
    for destination in allowed_values("Destination") {
        let params = parameter_values(&[
            ("Destination", destination.as_str()),
            ("SourceRecordBackup", "true"),
        ]);
        let refused = rules_refusing(&params)
            .contains(&"SourceRecordBackupNeedsTheS3Destination".to_string());
        assert_eq!(refused, destination != "s3", "{destination}");
    }
}

#[test]
fn deploying_acknowledges_the_named_role_and_the_nested_application_the_template_has() {
    let named_roles: Vec<&String> = section("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::IAM::Role" && r["Properties"].get("RoleName").is_some())
        .map(|(id, _)| id)
        .collect();
    assert_eq!(named_roles, ["S3TransformerRole"]);
    let samconfig = std::fs::read_to_string(e2e::workspace().join("samconfig.toml")).unwrap();
    let capabilities = samconfig
        .lines()
        .find_map(|l| l.strip_prefix("capabilities = "))
        .expect("samconfig.toml names the deploy's capabilities");
    assert!(
        capabilities.contains("CAPABILITY_NAMED_IAM"),
        "CloudFormation refuses a named role without CAPABILITY_NAMED_IAM: {capabilities}"
    );
    // A nested application is deployed only with CAPABILITY_AUTO_EXPAND.
    let nested = section("Resources")
        .values()
        .any(|r| r["Type"] == "AWS::Serverless::Application");
    assert!(nested, "the template has no nested application any more");
    assert!(
        capabilities.contains("CAPABILITY_AUTO_EXPAND"),
        "a nested application needs CAPABILITY_AUTO_EXPAND: {capabilities}"
    );
}

#[test]
fn the_source_backup_is_encrypted_with_its_own_rotating_key() {
    let params = parameter_values(&[
        ("SourceRecordBackup", "true"),
        (
            "KmsKeyArn",
            "arn:aws:kms:us-east-1:123456789012:key/output-key",
        ),
    ]);
    let resources = resources_with(&params);
    let stream = &resources["ActivityStream"]["Properties"]["ExtendedS3DestinationConfiguration"];
    let backup_key = &stream["S3BackupConfiguration"]["EncryptionConfiguration"]
        ["KMSEncryptionConfig"]["AWSKMSKeyARN"];
    assert_eq!(backup_key["Fn::GetAtt"], json!(["SourceBackupKey", "Arn"]));
    let output_key =
        &stream["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"]["Ref"];
    assert_eq!(
        output_key, "KmsKeyArn",
        "the output keeps the deployer's key"
    );
    let key = &resources["SourceBackupKey"]["Properties"];
    assert_eq!(key["EnableKeyRotation"], Value::Bool(true));

    let mut grants = Vec::new();
    statements(&resources["FirehoseRole"], &mut grants);
    let uses: Vec<_> = grants
        .iter()
        .filter(|s| {
            s.get("Resource").map(|r| &r["Fn::GetAtt"]) == Some(&json!(["SourceBackupKey", "Arn"]))
        })
        .collect();
    assert_eq!(uses.len(), 1);
    assert!(uses[0]["Condition"]["StringEquals"]["kms:ViaService"]
        .get("Fn::Sub")
        .is_some());
    assert!(!resources_with(&parameter_values(&[])).contains_key("SourceBackupKey"));
}
