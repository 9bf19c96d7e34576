//! The stream's destinations in `template.yaml`: S3, Splunk, OpenSearch and
//! HTTP endpoints. Every combination of destination, delivery route, output
//! format and notification logs is either deployed as the table in
//! `docs/destinations.md` says, with the right destination configuration,
//! permissions, backup and alarms, or refused by a Rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cfn;

use std::collections::BTreeMap;

use cfn::*;
use serde_json::{json, Value};

const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:siem/token-AbCdEf";
const DOMAIN: &str = "arn:aws:es:us-east-1:123456789012:domain/security";

/// The stream property holding each destination's configuration.
const CONFIG_OF: [(&str, &str); 4] = [
    ("s3", "ExtendedS3DestinationConfiguration"),
    ("splunk", "SplunkDestinationConfiguration"),
    (
        "opensearch",
        "AmazonopensearchserviceDestinationConfiguration",
    ),
    ("http-endpoint", "HttpEndpointDestinationConfiguration"),
];

/// What the destination must be given to be deployable at all.
fn destination_values(destination: &str) -> Vec<(&'static str, &'static str)> {
    match destination {
        "splunk" => vec![
            (
                "SplunkHecEndpoint",
                "https://http-inputs-acme.splunkcloud.com:443",
            ),
            ("DestinationSecretArn", SECRET),
        ],
        "opensearch" => vec![("OpenSearchDomainArn", DOMAIN)],
        "http-endpoint" => vec![
            ("HttpEndpointUrl", "https://example.es.io/api/v1/firehose"),
            ("DestinationSecretArn", SECRET),
        ],
        _ => vec![],
    }
}

/// The combinations table of docs/destinations.md, written out: why a
/// combination is refused, or `None` when it deploys.
fn refusal(
    destination: &str,
    route: &str,
    format: &str,
    notifications: bool,
) -> Option<&'static str> {
    match destination {
        "splunk" if format != "splunk" => Some("SplunkNeedsHecEventsAndItsEndpoint"),
        "opensearch" if format == "splunk" || route == "cloudwatch-logs" || notifications => {
            Some("OpenSearchNeedsOneDocumentPerRecord")
        }
        _ => None,
    }
}

fn combination(
    destination: &str,
    route: &str,
    format: &str,
    notifications: bool,
) -> BTreeMap<String, String> {
    let mut overrides = vec![
        ("Destination", destination),
        ("DeliveryRoute", route),
        ("OutputFormat", format),
        (
            "NotificationLogs",
            if notifications { "true" } else { "false" },
        ),
    ];
    overrides.extend(destination_values(destination));
    if destination != "s3" {
        // The Athena table reads the S3 destination's layout (tests/tests/detections.rs).
        overrides.push(("Analytics", "false"));
    }
    parameter_values(&overrides)
}

#[test]
fn every_combination_of_destination_route_format_and_notifications_deploys_or_is_refused_as_documented(
) {
    assert_eq!(
        allowed_values("Destination"),
        CONFIG_OF.map(|(d, _)| d.to_string())
    );
    assert_eq!(scalar(&parameter("Destination")["Default"]), "s3");
    let mut deployed = 0;
    let mut refused = 0;
    for (destination, _) in CONFIG_OF {
        for route in ["firehose", "cloudwatch-logs"] {
            for format in allowed_values("OutputFormat") {
                for notifications in [true, false] {
                    let params = combination(destination, route, &format, notifications);
                    let got = rules_refusing(&params);
                    let what = format!(
                        "Destination={destination} DeliveryRoute={route} OutputFormat={format} NotificationLogs={notifications}"
                    );
                    match refusal(destination, route, &format, notifications) {
                        Some(rule) => {
                            assert_eq!(got, [rule], "{what} must be refused by {rule}");
                            refused += 1;
                        }
                        None => {
                            assert!(got.is_empty(), "{what} is refused by {got:?}");
                            deployed += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!((deployed, refused), (39, 25));
}

#[test]
fn every_allowed_combination_configures_exactly_its_destination_with_the_transformer() {
    let function_id = TRANSFORMER;
    for (destination, property) in CONFIG_OF {
        for route in ["firehose", "cloudwatch-logs"] {
            for format in allowed_values("OutputFormat") {
                for notifications in [true, false] {
                    if refusal(destination, route, &format, notifications).is_some() {
                        continue;
                    }
                    let params = combination(destination, route, &format, notifications);
                    let resources = resources_with(&params);
                    let stream = &resources["ActivityStream"]["Properties"];
                    for (_, other) in CONFIG_OF {
                        assert_eq!(
                            stream.get(other).is_some(),
                            other == property,
                            "{destination}: {other}"
                        );
                    }
                    let config = &stream[property];
                    let processors = &config["ProcessingConfiguration"]["Processors"];
                    let lambda = processors[0]["Parameters"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|p| p["ParameterName"] == "LambdaArn")
                        .unwrap();
                    assert_eq!(
                        lambda["ParameterValue"]["Fn::GetAtt"],
                        json!([function_id, "Arn"]),
                        "{destination}: the transformer processes every record"
                    );
                }
            }
        }
    }
}

#[test]
fn only_the_s3_destination_partitions_and_the_others_send_no_partition_keys() {
    for (destination, property) in CONFIG_OF {
        let params = combination(destination, "firehose", "ecs", false);
        let params = if destination == "splunk" {
            combination(destination, "firehose", "splunk", false)
        } else {
            params
        };
        assert!(rules_refusing(&params).is_empty(), "{destination}");
        let resources = resources_with(&params);
        let env = &resources["TransformerFunction"]["Properties"]["Environment"]["Variables"];
        let config = &resources["ActivityStream"]["Properties"][property];
        if destination == "s3" {
            assert!(env["PARTITION_KEYS"].get("Fn::FindInMap").is_some());
            assert_eq!(
                config["DynamicPartitioningConfiguration"]["Enabled"],
                Value::Bool(true)
            );
        } else {
            assert_eq!(env["PARTITION_KEYS"], "", "{destination}");
            assert!(config.get("DynamicPartitioningConfiguration").is_none());
        }
    }
}

#[test]
fn non_s3_destinations_back_up_failed_or_all_records_to_the_bucket_under_their_own_prefix() {
    let modes = [
        ("splunk", "FailedEventsOnly", "AllEvents"),
        ("opensearch", "FailedDocumentsOnly", "AllDocuments"),
        ("http-endpoint", "FailedDataOnly", "AllData"),
    ];
    assert_eq!(scalar(&parameter("BackupMode")["Default"]), "failed-only");
    for (destination, failed, all) in modes {
        let format = if destination == "splunk" {
            "splunk"
        } else {
            "ecs"
        };
        for (mode, expected) in [("failed-only", failed), ("all", all)] {
            let mut params = combination(destination, "firehose", format, false);
            params.insert("BackupMode".into(), mode.into());
            let resources = resources_with(&params);
            let property = CONFIG_OF.iter().find(|(d, _)| *d == destination).unwrap().1;
            let config = &resources["ActivityStream"]["Properties"][property];
            assert_eq!(config["S3BackupMode"], expected, "{destination} {mode}");
            let backup = &config["S3Configuration"];
            assert_eq!(
                backup["BucketARN"]["Fn::GetAtt"],
                json!(["ActivityBucket", "Arn"])
            );
            let prefix = scalar(&backup["Prefix"]["Fn::Sub"]);
            assert!(prefix.starts_with("destination-backup/"), "{prefix}");
            assert!(
                !prefix.starts_with("activity/"),
                "a backup must not land among the S3 destination's tables"
            );
        }
    }
}

#[test]
fn credentials_come_from_secrets_manager_and_the_role_reads_only_that_secret() {
    for destination in ["splunk", "http-endpoint"] {
        let format = if destination == "splunk" {
            "splunk"
        } else {
            "ecs"
        };
        let params = combination(destination, "firehose", format, false);
        let resources = resources_with(&params);
        let property = CONFIG_OF.iter().find(|(d, _)| *d == destination).unwrap().1;
        let config = &resources["ActivityStream"]["Properties"][property];
        let secret = &config["SecretsManagerConfiguration"];
        assert_eq!(secret["Enabled"], Value::Bool(true));
        assert_eq!(secret["SecretARN"]["Ref"], "DestinationSecretArn");
        assert!(config.get("HECToken").is_none());
        assert!(config["EndpointConfiguration"].get("AccessKey").is_none());

        let mut grants = Vec::new();
        statements(&resources["FirehoseRole"], &mut grants);
        let reads: Vec<_> = grants
            .iter()
            .filter(|s| {
                strings(&s["Action"])
                    .iter()
                    .any(|a| a.starts_with("secretsmanager:"))
            })
            .collect();
        assert_eq!(reads.len(), 1, "{destination}");
        assert_eq!(
            strings(&reads[0]["Action"]),
            ["secretsmanager:GetSecretValue"]
        );
        assert_eq!(reads[0]["Resource"]["Ref"], "DestinationSecretArn");
    }
    // No secret is readable when no destination needs one.
    let defaults = resources_with(&parameter_values(&[]));
    let mut grants = Vec::new();
    statements(&defaults["FirehoseRole"], &mut grants);
    assert!(grants.iter().all(|s| !strings(&s["Action"])
        .iter()
        .any(|a| a.starts_with("secretsmanager:"))));
}

#[test]
fn splunk_gets_hec_events_on_the_event_endpoint() {
    let params = combination("splunk", "cloudwatch-logs", "splunk", true);
    let config =
        &resources_with(&params)["ActivityStream"]["Properties"]["SplunkDestinationConfiguration"];
    assert_eq!(config["HECEndpointType"], "Event");
    assert_eq!(config["HECEndpoint"]["Ref"], "SplunkHecEndpoint");
}

#[test]
fn opensearch_access_is_limited_to_the_one_domain() {
    let params = combination("opensearch", "firehose", "ecs", false);
    let resources = resources_with(&params);
    let config = &resources["ActivityStream"]["Properties"]
        ["AmazonopensearchserviceDestinationConfiguration"];
    assert_eq!(config["DomainARN"]["Ref"], "OpenSearchDomainArn");
    assert_eq!(config["IndexName"]["Ref"], "OpenSearchIndexName");
    let mut grants = Vec::new();
    statements(&resources["FirehoseRole"], &mut grants);
    let es: Vec<_> = grants
        .iter()
        .filter(|s| strings(&s["Action"]).iter().any(|a| a.starts_with("es:")))
        .collect();
    assert!(!es.is_empty());
    for grant in es {
        let mut names = std::collections::BTreeSet::new();
        references(&grant["Resource"], &mut names);
        assert!(names.contains("OpenSearchDomainArn"), "{grant:?}");
        for resource in strings(&grant["Resource"]) {
            assert!(!resource.starts_with('*'), "{resource}");
        }
    }
    let description = scalar(&parameter("Destination")["Description"]);
    assert!(
        description.contains("cannot be switched to or from opensearch"),
        "the parameter says a stream cannot change to or from OpenSearch"
    );
}

#[test]
fn delivery_and_backup_failures_raise_alarms_on_each_destinations_own_metric() {
    let metric = [
        ("s3", "DeliveryToS3.Success"),
        ("splunk", "DeliveryToSplunk.Success"),
        ("opensearch", "DeliveryToAmazonOpenSearchService.Success"),
        ("http-endpoint", "DeliveryToHttpEndpoint.Success"),
    ];
    for (destination, name) in metric {
        let format = if destination == "splunk" {
            "splunk"
        } else {
            "ecs"
        };
        let resources = resources_with(&combination(destination, "firehose", format, false));
        let delivery = &resources["DeliveryFailureAlarm"]["Properties"];
        assert_eq!(delivery["MetricName"], name, "{destination}");
        assert_eq!(delivery["Namespace"], "AWS/Firehose");
        assert_eq!(
            resources.contains_key("BackupFailureAlarm"),
            destination != "s3",
            "{destination}"
        );
        if destination != "s3" {
            assert_eq!(
                resources["BackupFailureAlarm"]["Properties"]["MetricName"],
                "BackupToS3.Success"
            );
        }
    }
}

#[test]
fn a_destination_without_its_endpoint_domain_or_secret_is_refused() {
    let cases = [
        (
            "splunk",
            "splunk",
            "SplunkHecEndpoint",
            "SplunkNeedsHecEventsAndItsEndpoint",
        ),
        (
            "splunk",
            "splunk",
            "DestinationSecretArn",
            "SplunkNeedsHecEventsAndItsEndpoint",
        ),
        (
            "opensearch",
            "ecs",
            "OpenSearchDomainArn",
            "OpenSearchNeedsOneDocumentPerRecord",
        ),
        (
            "http-endpoint",
            "ecs",
            "HttpEndpointUrl",
            "HttpEndpointNeedsItsUrlAndSecret",
        ),
        (
            "http-endpoint",
            "ecs",
            "DestinationSecretArn",
            "HttpEndpointNeedsItsUrlAndSecret",
        ),
    ];
    for (destination, format, missing, rule) in cases {
        let mut params = combination(destination, "firehose", format, false);
        assert!(rules_refusing(&params).is_empty(), "{destination}");
        params.insert(missing.into(), String::new());
        assert_eq!(
            rules_refusing(&params),
            [rule],
            "{destination} without {missing}"
        );
    }
}
