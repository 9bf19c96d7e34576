//! The sample Firehose events in `events/`, rebuilt reproducibly by
//! `cognito-activity sample-events`. Every value is made up: IP addresses come
//! from the documentation ranges (RFC 5737, RFC 3849), ids are fixed, and the
//! gzip streams carry no timestamp or file name, so the bytes never change.

use std::io::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};
use serde_json::{json, Value};

const STREAM_ARN: &str = "arn:aws:firehose:us-east-1:123456789012:deliverystream/cognito-activity";
const BASE_MS: i64 = 1_732_400_000_000; // 2024-11-23T22:13:20Z

/// A raw Cognito log record from `shared/tests/fixtures/`, exactly as
/// Cognito writes it (key order and all), without its final newline.
macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../shared/tests/fixtures/", $name, ".json")).trim_end()
    };
}

/// The record from the field, as Cognito exported it (issue 2).
pub fn field_record() -> &'static str {
    fixture!("field-record")
}

/// gzip with no timestamp or name in the header, so the bytes are stable.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc: GzEncoder<Vec<u8>> = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// The CloudWatch Logs group and stream an envelope's events come from.
const ACTIVITY_GROUP: (&str, &str) = (
    "/aws/vendedlogs/cognito/us-east-1_Ab12Cd34E/userAuthEvents",
    "cognito-idp-userAuthEvents-2024-11-23",
);
/// The notification log group `template.yaml` creates for a stack named `cognito-activity`.
const NOTIFICATION_GROUP: (&str, &str) = (
    "/aws/vendedlogs/cognito/cognito-activity/user-notification",
    "cognito-idp-userNotification-2024-11-23",
);

fn cwl_envelope(events: &[&str], first_id: u64, (log_group, log_stream): (&str, &str)) -> Value {
    let log_events: Vec<Value> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let ts: i64 = serde_json::from_str::<Value>(e)
                .ok()
                .and_then(|v| v["eventTimestamp"].as_str().and_then(|s| s.parse().ok()))
                .unwrap_or(BASE_MS);
            json!({
                "id": format!("3826164521037000000000000000000000000000000000000000{:04}", first_id + i as u64),
                "timestamp": ts,
                "message": e,
            })
        })
        .collect();
    json!({
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": log_group,
        "logStream": log_stream,
        "subscriptionFilters": ["cognito-activity-to-firehose"],
        "logEvents": log_events,
    })
}

fn control_message() -> Value {
    json!({
        "messageType": "CONTROL_MESSAGE",
        "owner": "CloudwatchLogs",
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [{"id": "", "timestamp": BASE_MS, "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}]
    })
}

fn event(records: Vec<Vec<u8>>) -> Value {
    let records: Vec<Value> = records
        .into_iter()
        .enumerate()
        .map(|(i, data)| {
            json!({
                "recordId": format!("4954698668313554428650745793632162567570019247115678{:04}", i),
                "approximateArrivalTimestamp": BASE_MS + 60_000 + i as i64,
                "data": STANDARD.encode(data),
            })
        })
        .collect();
    json!({
        "invocationId": "a1b2c3d4-0000-4000-8000-000000000001",
        "deliveryStreamArn": STREAM_ARN,
        "region": "us-east-1",
        "records": records,
    })
}

fn line(v: &Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

fn bytes(record: &str) -> Vec<u8> {
    record.as_bytes().to_vec()
}

/// Every sample as (file name, pretty JSON).
pub fn all() -> Vec<(&'static str, String)> {
    let signin = fixture!("signin");
    let failed = fixture!("signin-failed-password");
    let mfa = fixture!("signin-mfa-retries");
    let takeover = fixture!("signin-account-takeover");
    let blocked = fixture!("signin-blocked");
    let compromised = fixture!("signin-compromised-credentials");
    let federated = fixture!("federated-google");
    let federated_others = [
        fixture!("federated-facebook"),
        fixture!("federated-apple"),
        fixture!("federated-amazon"),
        fixture!("federated-saml"),
        fixture!("federated-oidc"),
    ];
    let signup = fixture!("signup");
    let password_change = fixture!("password-change");
    let forgot = fixture!("forgot-password");
    let resend = fixture!("resend-code");
    let sms_limit = fixture!("notification-sms-limit");
    let email_bounce = fixture!("notification-email-bounce");
    let unusual = [
        fixture!("event-source-user-activity"),
        fixture!("null-values"),
        fixture!("unknown-fields"),
    ];

    let cwl = gzip(&line(&cwl_envelope(
        &[signin, failed, mfa, takeover],
        1,
        ACTIVITY_GROUP,
    )));
    let control = gzip(&line(&control_message()));
    let notifications_cwl = gzip(&line(&cwl_envelope(
        &[sms_limit, email_bounce],
        30,
        NOTIFICATION_GROUP,
    )));
    let ndjson: Vec<u8> = [signin, failed, blocked]
        .iter()
        .flat_map(|r| {
            let mut l = bytes(r);
            l.push(b'\n');
            l
        })
        .collect();
    let good_gzip = gzip(&line(&cwl_envelope(&[federated], 10, ACTIVITY_GROUP)));
    let truncated = good_gzip[..good_gzip.len() / 2].to_vec();

    let samples = vec![
        (
            "firehose-direct-signin.json",
            event(vec![bytes(field_record())]),
        ),
        ("firehose-cwl-subscription.json", event(vec![cwl, control])),
        (
            // The notification logs' subscription filter: every route delivers them this way.
            "firehose-cwl-notifications.json",
            event(vec![notifications_cwl]),
        ),
        ("firehose-decompressed-ndjson.json", event(vec![ndjson])),
        ("firehose-signup.json", event(vec![bytes(signup)])),
        ("firehose-failed-password.json", event(vec![bytes(failed)])),
        ("firehose-mfa-signin.json", event(vec![bytes(mfa)])),
        (
            "firehose-signin-account-takeover.json",
            event(vec![bytes(takeover), bytes(blocked), bytes(compromised)]),
        ),
        (
            // One record per identity-provider style.
            "firehose-federated-signin.json",
            event(
                std::iter::once(federated)
                    .chain(federated_others)
                    .map(bytes)
                    .collect(),
            ),
        ),
        (
            "firehose-account-changes.json",
            event(vec![bytes(password_change), bytes(forgot), bytes(resend)]),
        ),
        ("firehose-notification.json", event(vec![bytes(sms_limit)])),
        (
            // The other eventSource spelling, literal "null" values, fields
            // Cognito may add: what the schema must absorb.
            "firehose-unusual-records.json",
            event(unusual.into_iter().map(bytes).collect()),
        ),
        (
            "firehose-mixed-batch.json",
            event(vec![
                bytes(signin),
                b"this is not JSON".to_vec(),
                br#"{"hello":"world"}"#.to_vec(),
                truncated,
                Vec::new(),
                vec![0xff, 0xfe, b'{', b'}'],
                good_gzip,
                bytes(email_bounce),
            ]),
        ),
    ];
    let mut out: Vec<(&'static str, String)> = samples
        .into_iter()
        .map(|(name, v)| {
            (
                name,
                serde_json::to_string_pretty(&v).unwrap_or_default() + "\n",
            )
        })
        .collect();
    // One record whose data is not base64 at all: patch it in after encoding.
    if let Some((_, text)) = out
        .iter_mut()
        .find(|(n, _)| *n == "firehose-mixed-batch.json")
    {
        let mut v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        if let Some(records) = v["records"].as_array_mut() {
            records.insert(
                2,
                json!({
                    "recordId": "49546986683135544286507457936321625675700192471156789999",
                    "approximateArrivalTimestamp": BASE_MS + 60_500,
                    "data": "%%% not base64 %%%"
                }),
            );
        }
        *text = serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
    }
    out
}
