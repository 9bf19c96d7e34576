//! The delivery routes of `template.yaml`: what each `DeliveryRoute` value
//! deploys (or refuses), the notification logs that every route can carry,
//! and the Logs Insights queries saved for every log group Cognito writes to.
//!
//! Each test evaluates the template's conditions, `Fn::If`s and Rules for
//! given parameter values (see `cfn`), so it checks what a deployment with
//! those values would create, not only what the text contains.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cfn;

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use cfn::*;
use cognito_activity::{process_event, Config};
use serde_json::{json, Value};

const ROUTES: [&str; 3] = ["firehose", "cloudwatch-logs", "s3"];

fn with(overrides: &[(&str, &str)]) -> BTreeMap<String, String> {
    parameter_values(overrides)
}

/// The log configurations of the pool's one log delivery configuration.
fn log_configurations(resources: &BTreeMap<String, Value>) -> Vec<Value> {
    let deliveries: Vec<_> = resources
        .values()
        .filter(|r| r["Type"] == "AWS::Cognito::LogDeliveryConfiguration")
        .collect();
    assert_eq!(
        deliveries.len(),
        1,
        "one log delivery configuration per pool"
    );
    let configs = deliveries[0]["Properties"]["LogConfigurations"]
        .as_array()
        .unwrap()
        .clone();
    // SetLogDeliveryConfiguration takes at most two.
    assert!(!configs.is_empty() && configs.len() <= 2, "{configs:?}");
    configs
}

fn configuration_for<'a>(configs: &'a [Value], source: &str) -> Option<&'a Value> {
    let found: Vec<_> = configs
        .iter()
        .filter(|c| c["EventSource"] == source)
        .collect();
    assert!(found.len() <= 1, "{source} configured twice");
    found.first().copied()
}

fn of_type<'a>(resources: &'a BTreeMap<String, Value>, kind: &str) -> Vec<(&'a str, &'a Value)> {
    resources
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(id, r)| (id.as_str(), r))
        .collect()
}

/// `LogGroupArn: !Sub [arn:...:log-group:${Group}, {Group: X}]` or
/// `!Sub arn:...:log-group:${Name}`: the value naming the group.
fn log_group_of_arn(arn: &Value) -> Value {
    let sub = &arn["Fn::Sub"];
    let text = match sub {
        Value::Array(parts) => scalar(&parts[0]),
        other => scalar(other),
    };
    assert!(
        text.starts_with("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"),
        "{text}"
    );
    assert!(!text.ends_with(":*"), "Cognito refuses the :* form: {text}");
    let name = text.rsplit("log-group:").next().unwrap();
    let var = name.trim_start_matches("${").trim_end_matches('}');
    match sub {
        Value::Array(parts) => parts[1][var].clone(),
        _ => json!({ "Ref": var }),
    }
}

/// The value a created log group's name is given by.
fn log_group_name_literal(resources: &BTreeMap<String, Value>, id: &str) -> String {
    scalar(&resources[id]["Properties"]["LogGroupName"]["Fn::Sub"])
}

#[test]
fn every_route_either_deploys_or_is_refused_by_a_rule_with_a_message() {
    assert_eq!(allowed_values("DeliveryRoute"), ROUTES);
    assert_eq!(scalar(&parameter("DeliveryRoute")["Default"]), "firehose");
    for route in ROUTES {
        let refusing = rules_refusing(&with(&[("DeliveryRoute", route)]));
        assert!(refusing.is_empty(), "{route} refused by {refusing:?}");
    }
    // The S3 route writes the activity bucket itself: it needs the S3 destination.
    let refusing = rules_refusing(&with(&[
        ("DeliveryRoute", "s3"),
        ("Destination", "splunk"),
        ("OutputFormat", "splunk"),
        ("SplunkHecEndpoint", "https://hec.example.com:8088"),
        (
            "DestinationSecretArn",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:hec-AbCdEf",
        ),
        ("Analytics", "false"),
    ]));
    assert_eq!(refusing, ["S3RouteWritesTheActivityBucket"]);
    let rule = &template()["Rules"]["S3RouteWritesTheActivityBucket"];
    let message = scalar(&rule["Assertions"][0]["AssertDescription"]);
    assert!(message.contains("DeliveryRoute=s3"), "{message}");
}

#[test]
fn the_s3_route_delivers_to_a_raw_bucket_the_s3_transformer_reads_in_the_streams_layout() {
    let resources = resources_with(&with(&[("DeliveryRoute", "s3")]));
    let configs = log_configurations(&resources);
    let auth = configuration_for(&configs, "userAuthEvents").expect("userAuthEvents");
    assert_eq!(
        auth["S3Configuration"]["BucketArn"]["Fn::GetAtt"],
        json!(["RawBucket", "Arn"])
    );
    assert!(auth.get("FirehoseConfiguration").is_none());

    // The raw bucket: hardened like the activity bucket, and it tells EventBridge.
    let raw = &resources["RawBucket"]["Properties"];
    assert_eq!(raw["VersioningConfiguration"]["Status"], "Enabled");
    assert_eq!(
        raw["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"],
        true
    );
    assert!(raw["BucketEncryption"].is_object());
    assert_eq!(
        raw["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"],
        true
    );
    let mut policy = Vec::new();
    statements(
        &resources["RawBucketPolicy"]["Properties"]["PolicyDocument"],
        &mut policy,
    );
    let sids: Vec<&str> = policy.iter().filter_map(|s| s["Sid"].as_str()).collect();
    for sid in [
        "DenyInsecureTransport",
        "CognitoLogDeliveryWrite",
        "CognitoLogDeliveryAclCheck",
        "DenyReadingRawRecordsToAllButTheirReaders",
    ] {
        assert!(sids.contains(&sid), "{sid} missing from {sids:?}");
    }

    // The function: triggered by the raw bucket, reading it and writing only the activity layout.
    let function = &resources["S3TransformerFunction"];
    assert_eq!(
        function["Metadata"]["BuildProperties"]["Binary"],
        "s3-transformer"
    );
    let pattern = &function["Properties"]["Events"]["RawObjectCreated"]["Properties"]["Pattern"];
    assert_eq!(pattern["detail"]["bucket"]["name"][0]["Ref"], "RawBucket");
    let env = function["Properties"]["Environment"]["Variables"]
        .as_object()
        .unwrap();
    let transformer = environment();
    for shared in [
        "OUTPUT_FORMAT",
        "OCSF_VERSION",
        "IP_MODE",
        "USER_NAME_MODE",
        "HASH_KEY_SECRET_ARN",
        "DROP_EVENT_RESPONSES",
        "INCLUDE_EVENT_TYPES",
        "MIN_RISK_LEVEL",
        "MAX_DECOMPRESSED_BYTES",
    ] {
        assert_eq!(env[shared], transformer[shared], "{shared}");
    }
    // The same partition keys as the stream's default (S3) prefix.
    assert_eq!(
        env["PARTITION_KEYS"],
        resolve_ifs(&transformer["PARTITION_KEYS"], &with(&[])).unwrap()
    );
    let own: Vec<&str> = s3_transformer::settings::VARIABLES.to_vec();
    let library: Vec<String> = cognito_activity::config::SETTINGS
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    for name in env.keys() {
        assert!(
            own.contains(&name.as_str()) || library.contains(name) || name == "HASH_KEY_SECRET_ARN",
            "{name} is read by nothing"
        );
    }
    assert!(env.contains_key("OUTPUT_BUCKET"));

    let mut role = Vec::new();
    statements(
        &resources["S3TransformerRole"]["Properties"]["Policies"],
        &mut role,
    );
    for s in &role {
        for action in strings(&s["Action"]) {
            let resources = strings(&s["Resource"]);
            match action.as_str() {
                "s3:GetObject" | "s3:GetObjectVersion" => {
                    assert_eq!(resources, ["{\"Fn::Sub\":\"${RawBucket.Arn}/*\"}"])
                }
                "s3:PutObject" => assert_eq!(
                    resources,
                    [
                        "{\"Fn::Sub\":\"${ActivityBucket.Arn}/activity/*\"}",
                        "{\"Fn::Sub\":\"${ActivityBucket.Arn}/errors/s3-transformer/*\"}"
                    ]
                ),
                "logs:CreateLogStream" | "logs:PutLogEvents" | "sqs:SendMessage" => {}
                other => panic!("the S3 transformer's role allows {other}"),
            }
        }
    }
    // Backfill: Batch Operations may invoke this function and nothing else.
    let mut batch = Vec::new();
    statements(
        &resources["BatchOperationsRole"]["Properties"]["Policies"],
        &mut batch,
    );
    let invoke: Vec<_> = batch
        .iter()
        .filter(|s| strings(&s["Action"]).contains(&"lambda:InvokeFunction".to_string()))
        .collect();
    assert_eq!(invoke.len(), 1);
    assert_eq!(
        invoke[0]["Resource"]["Fn::GetAtt"],
        json!(["S3TransformerFunction", "Arn"])
    );
    for id in [
        "S3TransformerDeadLetterQueue",
        "S3TransformerErrorsAlarm",
        "S3TransformerDeadLettersAlarm",
    ] {
        assert!(resources.contains_key(id), "{id}");
    }
    // None of it on the other routes.
    for route in ["firehose", "cloudwatch-logs"] {
        let other = resources_with(&with(&[("DeliveryRoute", route)]));
        assert!(
            !other.contains_key("RawBucket") && !other.contains_key("S3TransformerFunction"),
            "{route}"
        );
    }
}

#[test]
fn the_firehose_route_delivers_user_auth_events_straight_into_the_stream() {
    let resources = resources_with(&with(&[("DeliveryRoute", "firehose")]));
    let (stream_id, _) = stream();
    let configs = log_configurations(&resources);
    let auth = configuration_for(&configs, "userAuthEvents").expect("userAuthEvents");
    assert_eq!(auth["LogLevel"], "INFO");
    assert_eq!(
        auth["FirehoseConfiguration"]["StreamArn"]["Fn::GetAtt"],
        json!([stream_id, "Arn"])
    );
    assert!(auth.get("CloudWatchLogsConfiguration").is_none());
    assert!(!resources.contains_key("ActivityLogGroup"));
    assert!(!resources.contains_key("ActivityLogSubscription"));
}

#[test]
fn the_cloudwatch_logs_route_delivers_to_a_vended_log_group_subscribed_to_the_stream() {
    let params = with(&[("DeliveryRoute", "cloudwatch-logs")]);
    assert!(rules_refusing(&params).is_empty());
    let resources = resources_with(&params);
    let (stream_id, _) = stream();

    let group = &resources["ActivityLogGroup"]["Properties"];
    let name = log_group_name_literal(&resources, "ActivityLogGroup");
    assert!(name.starts_with("/aws/vendedlogs/"), "{name}");
    assert!(
        group.get("KmsKeyId").is_none(),
        "Cognito cannot deliver to a KMS-encrypted group"
    );
    assert_eq!(group["RetentionInDays"]["Ref"], "CognitoLogRetentionDays");

    let configs = log_configurations(&resources);
    let auth = configuration_for(&configs, "userAuthEvents").expect("userAuthEvents");
    assert_eq!(auth["LogLevel"], "INFO");
    assert!(auth.get("FirehoseConfiguration").is_none());
    let target = log_group_of_arn(&auth["CloudWatchLogsConfiguration"]["LogGroupArn"]);
    assert_eq!(target, json!({ "Ref": "ActivityLogGroup" }));

    let filters = of_type(&resources, "AWS::Logs::SubscriptionFilter");
    let into_stream: Vec<_> = filters
        .iter()
        .filter(|(_, f)| f["Properties"]["LogGroupName"] == json!({ "Ref": "ActivityLogGroup" }))
        .collect();
    assert_eq!(
        into_stream.len(),
        1,
        "one subscription on the activity group"
    );
    let props = &into_stream[0].1["Properties"];
    assert_eq!(
        props["DestinationArn"]["Fn::GetAtt"],
        json!([stream_id, "Arn"])
    );
    assert_eq!(props["FilterPattern"], "", "every event, unfiltered");
    assert_eq!(
        props["RoleArn"]["Fn::GetAtt"],
        json!(["LogsToStreamRole", "Arn"])
    );
}

#[test]
fn the_cloudwatch_logs_route_only_takes_partition_keys_shared_by_every_event_of_an_envelope() {
    // Within one envelope (one log group, so one pool) time and pool agree
    // to the hour; event type, class and risk decision do not.
    for preset in allowed_values("PartitionKeys") {
        let on_cwl = with(&[
            ("DeliveryRoute", "cloudwatch-logs"),
            ("PartitionKeys", &preset),
        ]);
        let refused = rules_refusing(&on_cwl);
        if preset == "time" || preset == "pool-time" {
            assert!(refused.is_empty(), "{preset}: {refused:?}");
        } else {
            assert_eq!(
                refused,
                ["CloudWatchRouteKeepsEventsInTheirPartition"],
                "{preset}"
            );
        }
        let on_firehose = with(&[("DeliveryRoute", "firehose"), ("PartitionKeys", &preset)]);
        assert!(rules_refusing(&on_firehose).is_empty(), "{preset}");
    }
}

#[test]
fn an_existing_log_group_replaces_the_created_one_and_only_on_the_cloudwatch_route() {
    let params = with(&[
        ("DeliveryRoute", "cloudwatch-logs"),
        ("ActivityLogGroupName", "/our/cognito-logs"),
    ]);
    assert!(rules_refusing(&params).is_empty());
    let resources = resources_with(&params);
    assert!(!resources.contains_key("ActivityLogGroup"));
    let by_parameter = json!({ "Ref": "ActivityLogGroupName" });
    let configs = log_configurations(&resources);
    let auth = configuration_for(&configs, "userAuthEvents").unwrap();
    assert_eq!(
        log_group_of_arn(&auth["CloudWatchLogsConfiguration"]["LogGroupArn"]),
        by_parameter
    );
    assert_eq!(
        resources["ActivityLogSubscription"]["Properties"]["LogGroupName"],
        by_parameter
    );
    for (id, query) in of_type(&resources, "AWS::Logs::QueryDefinition") {
        let groups = &query["Properties"]["LogGroupNames"];
        assert!(
            groups == &json!([by_parameter])
                || groups == &json!([{ "Ref": "NotificationLogGroup" }]),
            "{id} reads {groups}"
        );
    }

    let on_firehose = with(&[
        ("DeliveryRoute", "firehose"),
        ("ActivityLogGroupName", "/our/cognito-logs"),
    ]);
    assert_eq!(
        rules_refusing(&on_firehose),
        ["ExistingLogGroupOnlyOnTheCloudWatchRoute"]
    );
}

#[test]
fn notification_logs_go_to_their_own_group_and_into_the_same_stream_on_every_route() {
    assert_eq!(scalar(&parameter("NotificationLogs")["Default"]), "true");
    let (stream_id, _) = stream();
    for route in ["firehose", "cloudwatch-logs"] {
        for on in ["true", "false"] {
            let resources =
                resources_with(&with(&[("DeliveryRoute", route), ("NotificationLogs", on)]));
            let configs = log_configurations(&resources);
            let notification = configuration_for(&configs, "userNotification");
            let subscription = resources.get("NotificationLogSubscription");
            if on == "false" {
                assert!(notification.is_none(), "{route}");
                assert!(subscription.is_none(), "{route}");
                assert!(!resources.contains_key("NotificationLogGroup"), "{route}");
                continue;
            }
            let notification = notification.expect("userNotification configured");
            assert_eq!(notification["LogLevel"], "ERROR");
            assert_eq!(
                log_group_of_arn(&notification["CloudWatchLogsConfiguration"]["LogGroupArn"]),
                json!({ "Ref": "NotificationLogGroup" })
            );
            let name = log_group_name_literal(&resources, "NotificationLogGroup");
            assert!(name.starts_with("/aws/vendedlogs/"), "{name}");
            let props = &subscription.expect("a subscription filter")["Properties"];
            assert_eq!(
                props["LogGroupName"],
                json!({ "Ref": "NotificationLogGroup" })
            );
            assert_eq!(
                props["DestinationArn"]["Fn::GetAtt"],
                json!([stream_id, "Arn"])
            );
            assert_eq!(
                props["RoleArn"]["Fn::GetAtt"],
                json!(["LogsToStreamRole", "Arn"])
            );
        }
    }
}

#[test]
fn the_logs_role_exists_only_when_needed_and_may_only_put_into_the_activity_stream() {
    let (stream_id, _) = stream();
    for route in ["firehose", "cloudwatch-logs"] {
        for on in ["true", "false"] {
            let resources =
                resources_with(&with(&[("DeliveryRoute", route), ("NotificationLogs", on)]));
            let needed = route == "cloudwatch-logs" || on == "true";
            assert_eq!(
                resources.contains_key("LogsToStreamRole"),
                needed,
                "{route} {on}"
            );
            if !needed {
                continue;
            }
            let role = &resources["LogsToStreamRole"]["Properties"];
            let trust = &role["AssumeRolePolicyDocument"]["Statement"];
            assert_eq!(trust.as_array().unwrap().len(), 1);
            assert_eq!(trust[0]["Principal"]["Service"], "logs.amazonaws.com");
            assert_eq!(
                trust[0]["Condition"]["StringEquals"]["aws:SourceAccount"]["Ref"], "AWS::AccountId",
                "confused-deputy guard"
            );
            let mut grants = Vec::new();
            statements(&role["Policies"], &mut grants);
            assert_eq!(grants.len(), 1);
            assert_eq!(
                strings(&grants[0]["Action"]),
                ["firehose:PutRecord", "firehose:PutRecordBatch"]
            );
            assert_eq!(
                grants[0]["Resource"]["Fn::GetAtt"],
                json!([stream_id, "Arn"])
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Logs Insights queries
// ---------------------------------------------------------------------------

/// The queries every user-activity log group gets, by the end of their name.
const ACTIVITY_QUERIES: [&str; 6] = [
    "sign-in-history",
    "failures-by-source-ip",
    "distinct-users-failing-per-ip",
    "failures-per-user",
    "risk-decisions",
    "compromised-credentials",
];

fn query_name(query: &Value) -> String {
    let name = scalar(&query["Properties"]["Name"]["Fn::Sub"]);
    assert!(
        name.starts_with("cognito-activity/${AWS::StackName}/"),
        "{name}"
    );
    name.rsplit('/').next().unwrap().to_string()
}

#[test]
fn every_log_group_cognito_writes_to_has_its_insights_queries() {
    for route in ["firehose", "cloudwatch-logs"] {
        for on in ["true", "false"] {
            for existing in ["", "/our/cognito-logs"] {
                if !existing.is_empty() && route != "cloudwatch-logs" {
                    continue;
                }
                let params = with(&[
                    ("DeliveryRoute", route),
                    ("NotificationLogs", on),
                    ("ActivityLogGroupName", existing),
                ]);
                let resources = resources_with(&params);
                let configs = log_configurations(&resources);
                let delivered: BTreeSet<String> = configs
                    .iter()
                    .filter_map(|c| c.get("CloudWatchLogsConfiguration"))
                    .map(|c| log_group_of_arn(&c["LogGroupArn"]).to_string())
                    .collect();
                let mut queried: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
                for (_, query) in of_type(&resources, "AWS::Logs::QueryDefinition") {
                    let groups = query["Properties"]["LogGroupNames"].as_array().unwrap();
                    assert_eq!(groups.len(), 1);
                    queried
                        .entry(groups[0].to_string())
                        .or_default()
                        .insert(query_name(query));
                }
                let queried_groups: BTreeSet<String> = queried.keys().cloned().collect();
                assert_eq!(queried_groups, delivered, "{params:?}");
                for (group, names) in &queried {
                    if group.contains("NotificationLogGroup") {
                        assert!(names.contains("notification-failures"));
                    } else {
                        let want: BTreeSet<String> =
                            ACTIVITY_QUERIES.iter().map(|s| s.to_string()).collect();
                        assert_eq!(names, &want, "{group}");
                    }
                }
            }
        }
    }
}

/// Every `message.x` or `logSourceId.x` field a query names (not inside a
/// string literal or a `#` comment).
fn raw_fields(query: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in query.lines() {
        let mut word = String::new();
        let mut in_string = false;
        for ch in line.chars().chain(std::iter::once(' ')) {
            if in_string {
                in_string = ch != '"';
                continue;
            }
            if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '@' | '_') {
                word.push(ch);
                continue;
            }
            if word.starts_with("message.") || word.starts_with("logSourceId.") {
                out.insert(std::mem::take(&mut word));
            }
            word.clear();
            match ch {
                '"' => in_string = true,
                '#' => break,
                _ => {}
            }
        }
    }
    out
}

/// The normalized line the library writes for one raw record.
fn normalized(raw: &Value) -> Value {
    let data = base64::engine::general_purpose::STANDARD.encode(raw.to_string());
    let event = json!({
        "invocationId": "insights-fields",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
        "region": "us-east-1",
        "records": [{"recordId": "1", "approximateArrivalTimestamp": 1732400000000u64, "data": data}]
    });
    let event = event.to_string();
    let processed = process_event(event.as_bytes(), &Config::default()).unwrap();
    let response: Value = serde_json::from_slice(&processed.to_json()).unwrap();
    let record = &response["records"][0];
    assert_eq!(record["result"], "Ok", "{raw}");
    let line = base64::engine::general_purpose::STANDARD
        .decode(record["data"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(line.trim_ascii()).unwrap()
}

#[test]
fn every_field_an_insights_query_names_is_a_raw_cognito_field_the_library_reads() {
    let mut fields = BTreeSet::new();
    for (_, query) in section("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Logs::QueryDefinition")
    {
        fields.extend(raw_fields(&scalar(&query["Properties"]["QueryString"])));
    }
    // Enough that the check below is about the real queries.
    assert!(fields.len() >= 12, "{fields:?}");
    // One realistic record of each kind, as Cognito writes them: every
    // field a query names must be one of theirs, and read by the library.
    let activity = json!({
        "eventSource": "USER_AUTH_EVENTS", "eventTimestamp": "1732400000000", "logLevel": "INFO",
        "logSourceId": { "userPoolId": "us-east-1_Ab12Cd34E" },
        "message": {
            "challenges": ["Password:Success"], "city": "Seattle",
            "clientId": "4fk2u3s9v1a0e5g6h7i8j9k0l1", "compromisedCredentialDetected": "false",
            "country": "United States", "creationDate": "Mon Jan 15 09:30:00 UTC 2024",
            "deviceName": "Chrome 126, Windows 10", "eventFeedbackDate": "",
            "eventFeedbackProvider": "", "eventFeedbackValue": "",
            "eventId": "0c5a7e3b-1d2f-4a6b-9c8d-00a000000000", "eventResponse": "Pass",
            "eventType": "SignIn", "idpName": "", "ipAddress": "192.0.2.10",
            "requestId": "5e6f7a8b-9c0d-4e1f-a2b3-00c000000000", "riskDecision": "NoRisk",
            "riskLevel": "Low", "userName": "alice", "userPoolId": "us-east-1_Ab12Cd34E",
            "userSub": "9f8e7d6c-5b4a-4392-8170-00b000000005", "version": "1"
        }
    });
    let notification = json!({
        "eventSource": "USER_NOTIFICATION", "eventTimestamp": "1732400020000", "logLevel": "ERROR",
        "logSourceId": { "userPoolId": "us-east-1_Ab12Cd34E" },
        "message": { "details": "Message delivery failed due to a configuration error." }
    });
    for field in &fields {
        let (parent, key) = field.split_once('.').unwrap();
        assert!(
            !key.contains('.'),
            "{field}: nested deeper than Cognito writes"
        );
        let sample = if key == "details" {
            &notification
        } else {
            &activity
        };
        let value = sample[parent]
            .get(key)
            .unwrap_or_else(|| panic!("{field} is not a field Cognito writes"));
        // The record holding just that field (and what classifies it).
        let mut raw = json!({
            "eventSource": sample["eventSource"], "logLevel": sample["logLevel"],
            "message": {}, parent: {}
        });
        if key != "details" {
            raw["message"]["eventType"] = json!("SignIn");
        }
        raw[parent][key] = value.clone();
        let line = normalized(&raw);
        // A field the library does not read lands under `unmapped` as written.
        assert!(
            line["unmapped"][parent].get(key).is_none(),
            "{field} is not a field the library reads: {line}"
        );
    }
}

#[test]
fn the_query_field_check_catches_a_misspelled_field() {
    let line = normalized(&json!({
        "eventSource": "USER_AUTH_EVENTS",
        "message": { "eventType": "SignIn", "ipAdress": "probe-value" }
    }));
    assert_eq!(line["unmapped"]["message"]["ipAdress"], "probe-value");
    assert_eq!(
        raw_fields("filter message.ipAdress = \"message.ignored\" # message.comment"),
        BTreeSet::from(["message.ipAdress".to_string()])
    );
}
