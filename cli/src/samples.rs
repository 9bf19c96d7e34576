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
const POOL: &str = "us-east-1_Ab12Cd34E";
const CLIENT: &str = "4fk2u3s9v1a0e5g6h7i8j9k0l1";
const BASE_MS: i64 = 1_732_400_000_000; // 2024-11-23T22:13:20Z

/// The record from the field, as Cognito exported it (issue 2).
pub const FIELD_RECORD: &str = r#"{"eventTimestamp":"1723070073369","eventSource":"USER_AUTH_EVENTS","logLevel":"INFO","message":{"version":"1","eventId":"7f151463-1488-428f-a5c1-9f9c80cf2114","eventType":"SignIn","userSub":"0784fae8-c051-70ff-b12c-0e32600fdd02","userName":"hoge0808","userPoolId":"ap-northeast-1_EcsdFoftu","clientId":"g0n17akfs8hkb8hmlqh38r9tg","creationDate":"Wed Aug 07 22:34:33 UTC 2024","eventResponse":"InProgress","riskLevel":"","riskDecision":"PASS","challenges":["Password:Success"],"deviceName":"Other, Other","ipAddress":"2001:db8::1","requestId":"7f151463-1488-428f-a5c1-9f9c80cf2114","idpName":"","compromisedCredentialDetected":"false","city":"Sapporo","country":"Japan","eventFeedbackValue":"","eventFeedbackDate":"","eventFeedbackProvider":""},"logSourceId":{"userPoolId":"ap-northeast-1_EcsdFoftu"}}"#;

/// Parameters of one synthetic user-activity record.
struct Activity<'a> {
    n: i64,
    event_type: &'a str,
    response: &'a str,
    risk_decision: &'a str,
    risk_level: &'a str,
    challenges: &'a [&'a str],
    user: &'a str,
    idp: &'a str,
    ip: &'a str,
    city: &'a str,
    country: &'a str,
    device: &'a str,
    compromised: &'a str,
}

impl Default for Activity<'_> {
    fn default() -> Self {
        Activity {
            n: 0,
            event_type: "SignIn",
            response: "Pass",
            risk_decision: "NoRisk",
            risk_level: "Low",
            challenges: &["Password:Success"],
            user: "alice",
            idp: "",
            ip: "192.0.2.10",
            city: "Seattle",
            country: "United States",
            device: "Chrome 126, Windows 10",
            compromised: "false",
        }
    }
}

fn activity(a: &Activity<'_>) -> Value {
    let ms = BASE_MS + a.n * 1_000;
    json!({
        "eventTimestamp": ms.to_string(),
        "eventSource": "USER_AUTH_EVENTS",
        "logLevel": "INFO",
        "message": {
            "version": "1",
            "eventId": format!("0c5a7e3b-1d2f-4a6b-9c8d-{:012x}", 0x00a0_0000_0000_u64 + a.n as u64),
            "eventType": a.event_type,
            "userSub": format!("9f8e7d6c-5b4a-4392-8170-{:012x}", 0x00b0_0000_0000_u64 + a.user.len() as u64),
            "userName": a.user,
            "userPoolId": POOL,
            "clientId": CLIENT,
            "creationDate": "Mon Jan 15 09:30:00 UTC 2024",
            "eventResponse": a.response,
            "riskLevel": a.risk_level,
            "riskDecision": a.risk_decision,
            "challenges": a.challenges,
            "deviceName": a.device,
            "ipAddress": a.ip,
            "requestId": format!("5e6f7a8b-9c0d-4e1f-a2b3-{:012x}", 0x00c0_0000_0000_u64 + a.n as u64),
            "idpName": a.idp,
            "compromisedCredentialDetected": a.compromised,
            "city": a.city,
            "country": a.country,
            "eventFeedbackValue": "",
            "eventFeedbackDate": "",
            "eventFeedbackProvider": "",
            "hasContextData": "true"
        },
        "logSourceId": {"userPoolId": POOL}
    })
}

fn notification(n: i64) -> Value {
    json!({
        "eventTimestamp": (BASE_MS + n * 1_000).to_string(),
        "eventSource": "USER_NOTIFICATION",
        "logLevel": "ERROR",
        "message": {"details": "Message delivery failed due to a configuration error: the SMS spending limit for the account was reached."},
        "logSourceId": {"userPoolId": POOL}
    })
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

fn cwl_envelope(events: &[Value], first_id: u64, (log_group, log_stream): (&str, &str)) -> Value {
    let log_events: Vec<Value> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let ts: i64 = e["eventTimestamp"].as_str().and_then(|s| s.parse().ok()).unwrap_or(BASE_MS);
            json!({
                "id": format!("3826164521037000000000000000000000000000000000000000{:04}", first_id + i as u64),
                "timestamp": ts,
                "message": e.to_string(),
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

/// Every sample as (file name, pretty JSON).
pub fn all() -> Vec<(&'static str, String)> {
    let signin = activity(&Activity::default());
    let failed = activity(&Activity {
        n: 1,
        response: "Fail",
        challenges: &["Password:Failure"],
        risk_level: "Medium",
        user: "bob",
        ip: "198.51.100.23",
        city: "Amsterdam",
        country: "The Netherlands",
        device: "Firefox 128, Mac OS X 10.15",
        ..Activity::default()
    });
    let mfa = activity(&Activity {
        n: 2,
        challenges: &["Password:Success", "Mfa:Failure", "Mfa:Success"],
        user: "carol",
        ip: "203.0.113.45",
        city: "Seoul",
        country: "South Korea",
        device: "Safari 17, iOS 17",
        ..Activity::default()
    });
    let takeover = activity(&Activity {
        n: 3,
        response: "Fail",
        risk_decision: "AccountTakeover",
        risk_level: "High",
        compromised: "true",
        user: "dave",
        ip: "203.0.113.200",
        city: "Istanbul",
        country: "Türkiye",
        device: "Other, Linux",
        ..Activity::default()
    });
    let federated = activity(&Activity {
        n: 4,
        challenges: &[],
        user: "Google_104857329374623847561",
        idp: "Google",
        ip: "2001:db8:85a3::8a2e:370:7334",
        city: "Zurich",
        country: "Switzerland",
        ..Activity::default()
    });
    let signup = activity(&Activity {
        n: 5,
        event_type: "SignUp",
        challenges: &[],
        user: "erin",
        ip: "192.0.2.77",
        city: "Prague",
        country: "Czechia",
        device: "Edge 126, Windows 11",
        ..Activity::default()
    });
    let password_change = activity(&Activity {
        n: 6,
        event_type: "PasswordChange",
        challenges: &[],
        user: "alice",
        ..Activity::default()
    });
    let forgot = activity(&Activity {
        n: 7,
        event_type: "ForgotPassword",
        response: "InProgress",
        challenges: &[],
        user: "frank",
        ip: "198.51.100.5",
        city: "Abidjan",
        country: "Ivory Coast",
        ..Activity::default()
    });
    let resend = activity(&Activity {
        n: 8,
        event_type: "ResendCode",
        challenges: &[],
        user: "erin",
        risk_level: "",
        risk_decision: "",
        ..Activity::default()
    });
    let blocked = activity(&Activity {
        n: 9,
        response: "Fail",
        risk_decision: "Block",
        risk_level: "High",
        user: "grace",
        ip: "203.0.113.9",
        city: "Brazzaville",
        country: "Congo Republic",
        ..Activity::default()
    });

    let cwl = gzip(&line(&cwl_envelope(
        &[
            signin.clone(),
            failed.clone(),
            mfa.clone(),
            takeover.clone(),
        ],
        1,
        ACTIVITY_GROUP,
    )));
    let control = gzip(&line(&control_message()));
    let notifications_cwl = gzip(&line(&cwl_envelope(
        &[notification(20), notification(21)],
        30,
        NOTIFICATION_GROUP,
    )));
    let ndjson: Vec<u8> = [&signin, &failed, &blocked]
        .iter()
        .flat_map(|v| {
            let mut l = line(v);
            l.push(b'\n');
            l
        })
        .collect();
    let good_gzip = gzip(&line(&cwl_envelope(
        std::slice::from_ref(&federated),
        10,
        ACTIVITY_GROUP,
    )));
    let truncated = good_gzip[..good_gzip.len() / 2].to_vec();

    let samples = vec![
        (
            "firehose-direct-signin.json",
            event(vec![FIELD_RECORD.as_bytes().to_vec()]),
        ),
        ("firehose-cwl-subscription.json", event(vec![cwl, control])),
        (
            // The notification logs' subscription filter: every route delivers them this way.
            "firehose-cwl-notifications.json",
            event(vec![notifications_cwl]),
        ),
        ("firehose-decompressed-ndjson.json", event(vec![ndjson])),
        ("firehose-signup.json", event(vec![line(&signup)])),
        ("firehose-failed-password.json", event(vec![line(&failed)])),
        ("firehose-mfa-signin.json", event(vec![line(&mfa)])),
        (
            "firehose-signin-account-takeover.json",
            event(vec![line(&takeover), line(&blocked)]),
        ),
        (
            "firehose-federated-signin.json",
            event(vec![line(&federated)]),
        ),
        (
            "firehose-account-changes.json",
            event(vec![line(&password_change), line(&forgot), line(&resend)]),
        ),
        (
            "firehose-notification.json",
            event(vec![line(&notification(20))]),
        ),
        (
            "firehose-mixed-batch.json",
            event(vec![
                line(&signin),
                b"this is not JSON".to_vec(),
                br#"{"hello":"world"}"#.to_vec(),
                truncated,
                Vec::new(),
                vec![0xff, 0xfe, b'{', b'}'],
                good_gzip,
                line(&notification(21)),
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
