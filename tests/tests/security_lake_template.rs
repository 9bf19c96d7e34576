//! The Security Lake writer in `template.yaml`: off by default; refused by a
//! Rule for the output it cannot turn into OCSF 1.1.0 and without both
//! sources; when on, its environment is exactly what the function reads,
//! its role may assume the two provider roles and nothing else, read only
//! what the stream delivers and write only its error prefix, and its
//! failures end in a dead-letter queue that an alarm watches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cfn;

use std::collections::BTreeSet;

use cfn::*;
use cognito_activity::config::{
    OcsfVersion, OutputFormat, HASH_KEY, HASH_KEY_SECRET_ARN, SETTINGS,
};
use serde_json::Value;

const WRITER: &str = "SecurityLakeWriterFunction";
const AUTH_ROLE: &str =
    "arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-cognitoauth-eu-west-1";
const ACCT_ROLE: &str =
    "arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-cognitoacct-eu-west-1";

fn sources() -> Vec<(&'static str, &'static str)> {
    vec![
        ("SecurityLake", "true"),
        (
            "SecurityLakeAuthenticationLocation",
            "s3://aws-security-data-lake-eu-west-1-abc/ext/cognitoauth/1.0/",
        ),
        ("SecurityLakeAuthenticationRoleArn", AUTH_ROLE),
        ("SecurityLakeAuthenticationExternalId", "auth-id"),
        (
            "SecurityLakeAccountChangeLocation",
            "s3://aws-security-data-lake-eu-west-1-abc/ext/cognitoacct/1.0/",
        ),
        ("SecurityLakeAccountChangeRoleArn", ACCT_ROLE),
        ("SecurityLakeAccountChangeExternalId", "acct-id"),
    ]
}

fn refusals(overrides: &[(&str, &str)]) -> Vec<String> {
    rules_refusing(&parameter_values(overrides))
        .into_iter()
        .filter(|r| r.starts_with("SecurityLake"))
        .collect()
}

#[test]
fn the_writer_is_off_by_default_and_nothing_of_it_is_deployed() {
    let defaults = parameter_values(&[]);
    assert_eq!(defaults["SecurityLake"], "false");
    let deployed = resources_with(&defaults);
    let of_it: Vec<_> = deployed
        .keys()
        .filter(|k| k.starts_with("SecurityLake"))
        .collect();
    assert!(of_it.is_empty(), "{of_it:?}");
    assert!(deployed["ActivityBucket"]["Properties"]
        .get("NotificationConfiguration")
        .is_none());

    let mut on = sources();
    on.push(("Analytics", "true"));
    let deployed = resources_with(&parameter_values(&on));
    for id in [
        WRITER,
        "SecurityLakeWriterRole",
        "SecurityLakeDeadLetterQueue",
        "SecurityLakeWriterErrorsAlarm",
        "SecurityLakeDeadLettersAlarm",
    ] {
        assert!(deployed.contains_key(id), "{id} missing");
    }
    let eventbridge = &deployed["ActivityBucket"]["Properties"]["NotificationConfiguration"]
        ["EventBridgeConfiguration"];
    assert_eq!(eventbridge["EventBridgeEnabled"], true);
}

#[test]
fn only_output_that_becomes_ocsf_1_1_0_in_the_activity_bucket_may_be_written_to_the_lake() {
    for destination in ["s3", "splunk", "opensearch", "http-endpoint"] {
        for format in OutputFormat::ALL {
            for version in [OcsfVersion::V1_1_0, OcsfVersion::V1_8_0] {
                let mut p = sources();
                p.extend([
                    ("Destination", destination),
                    ("OutputFormat", format.as_str()),
                    ("OcsfVersion", version.as_str()),
                ]);
                let takes = destination == "s3"
                    && format != OutputFormat::Ecs
                    && (format != OutputFormat::Ocsf || version == OcsfVersion::V1_1_0);
                let refused = refusals(&p);
                assert_eq!(
                    refused.is_empty(),
                    takes,
                    "{destination} {format:?} {version:?}: {refused:?}"
                );
            }
        }
    }
    // Each of the six source values is needed.
    for (name, _) in sources().into_iter().skip(1) {
        let mut p = sources();
        p.retain(|(k, _)| *k != name);
        assert!(!refusals(&p).is_empty(), "{name} left out");
    }
}

#[test]
fn the_writer_is_given_exactly_the_variables_it_reads() {
    let writer = resource(WRITER);
    assert_eq!(
        writer["Metadata"]["BuildProperties"]["Binary"],
        "security-lake-writer"
    );
    let manifest = std::fs::read_to_string(format!(
        "{}/../{}/Cargo.toml",
        env!("CARGO_MANIFEST_DIR"),
        scalar(&writer["Properties"]["CodeUri"])
    ))
    .unwrap();
    assert!(manifest.contains("name = \"security-lake-writer\""));
    let set: BTreeSet<String> = writer["Properties"]["Environment"]["Variables"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let own: BTreeSet<String> = security_lake_writer::settings::variables()
        .into_iter()
        .map(str::to_string)
        .collect();
    // The library's settings; its key is read from the secret HASH_KEY_SECRET_ARN names.
    let library: BTreeSet<String> = SETTINGS
        .iter()
        .map(|s| s.name.to_string())
        .chain([HASH_KEY_SECRET_ARN.to_string()])
        .filter(|name| name != HASH_KEY)
        .collect();
    let unknown: Vec<_> = set
        .iter()
        .filter(|v| !own.contains(*v) && !library.contains(*v))
        .collect();
    assert!(unknown.is_empty(), "set but not read: {unknown:?}");
    let optional = ["ERROR_PREFIX", "MAX_OBJECT_BYTES"];
    let missing: Vec<_> = own
        .iter()
        .filter(|v| !set.contains(*v) && !optional.contains(&v.as_str()))
        .collect();
    assert!(missing.is_empty(), "required but not set: {missing:?}");
    // Raw lines are made private as the transformer makes them.
    let transformer = environment();
    for privacy in [
        "IP_MODE",
        "USER_NAME_MODE",
        "HASH_KEY_SECRET_ARN",
        "MAX_DECOMPRESSED_BYTES",
    ] {
        assert_eq!(
            writer["Properties"]["Environment"]["Variables"][privacy], transformer[privacy],
            "{privacy}"
        );
    }
}

#[test]
fn the_writers_role_reads_what_the_stream_delivers_and_assumes_only_the_two_provider_roles() {
    let deployed = resources_with(&parameter_values(&sources()));
    let role = &deployed["SecurityLakeWriterRole"];
    let mut all = Vec::new();
    statements(&role["Properties"]["Policies"], &mut all);
    let mut assumable = BTreeSet::new();
    for s in &all {
        assert_eq!(s["Effect"], "Allow");
        let actions = strings(&s["Action"]);
        let resources: Vec<String> = strings(&s["Resource"]);
        assert!(actions.iter().all(|a| !a.contains('*')), "{actions:?}");
        assert!(resources.iter().all(|r| r != "*"), "{resources:?}");
        for action in &actions {
            match action.as_str() {
                "sts:AssumeRole" => assumable.extend(
                    s["Resource"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r["Ref"].as_str().unwrap().to_string()),
                ),
                "s3:GetObject" | "s3:GetObjectVersion" => {
                    assert_eq!(s["Resource"]["Fn::Sub"], "${ActivityBucket.Arn}/activity/*")
                }
                "s3:PutObject" => assert_eq!(
                    s["Resource"]["Fn::Sub"],
                    "${ActivityBucket.Arn}/errors/security-lake/*"
                ),
                "logs:CreateLogStream" | "logs:PutLogEvents" | "sqs:SendMessage" => {}
                other => panic!("the writer's role allows {other}"),
            }
        }
    }
    assert_eq!(
        assumable,
        BTreeSet::from([
            "SecurityLakeAccountChangeRoleArn".to_string(),
            "SecurityLakeAuthenticationRoleArn".to_string()
        ])
    );

    // It runs on what the stream delivers: objects under the data prefix.
    let writer = &deployed[WRITER];
    let pattern = &writer["Properties"]["Events"]["ActivityObjectCreated"]["Properties"]["Pattern"];
    assert_eq!(pattern["detail"]["object"]["key"][0]["prefix"], "activity/");
    let prefix =
        default_stream()["Properties"]["ExtendedS3DestinationConfiguration"]["Prefix"].to_string();
    assert!(prefix.contains("activity/"), "{prefix}");

    // Failures end in the queue, which an alarm watches.
    let queue = Value::from("SecurityLakeDeadLetterQueue");
    assert_eq!(
        writer["Properties"]["DeadLetterQueue"]["TargetArn"]["Fn::GetAtt"][0],
        queue
    );
    assert_eq!(
        writer["Properties"]["Events"]["ActivityObjectCreated"]["Properties"]["DeadLetterConfig"]
            ["Arn"]["Fn::GetAtt"][0],
        queue
    );
    let alarm = &deployed["SecurityLakeDeadLettersAlarm"]["Properties"];
    assert_eq!(alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0], queue);
}
