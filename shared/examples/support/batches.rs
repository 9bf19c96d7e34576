//! Synthetic Firehose events of a given size and shape, for the throughput
//! benchmark (`benches/throughput.rs`), the batch generator
//! (`examples/gen_batches.rs`) and the Python comparison (`bench/`).
//!
//! The records have the shape of Cognito's user-activity export (as in
//! `cli/src/samples.rs`) with varied, realistic values: many users, IPv4 and
//! IPv6 addresses from the documentation ranges (RFC 5737, RFC 3849) and a
//! few public-looking ones, countries written the way Cognito writes them,
//! device names, challenge lists, risk decisions and levels. A fixed-seed
//! generator makes every batch reproducible byte for byte.
//!
//! Shapes (see <https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html>):
//! - `direct`: one Cognito record per Firehose record, as newline-terminated
//!   JSON (Cognito log delivery straight to Firehose);
//! - `cwl`: CloudWatch Logs subscription envelopes of 50 to 100 log events
//!   each, gzip-compressed, as a subscription filter delivers them.

use std::io::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use flate2::{Compression, GzBuilder};
use serde_json::{json, Value};

const STREAM_ARN: &str = "arn:aws:firehose:us-east-1:123456789012:deliverystream/cognito-activity";
const BASE_MS: i64 = 1_732_400_000_000;

const USERS: &[&str] = &[
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "niaj",
    "olivia",
    "peggy",
    "rupert",
    "sybil",
    "trent",
    "victor",
    "walter",
    "yuki.tanaka",
    "jose.garcia",
    "anna.mueller",
    "li.wei",
    "priya.sharma",
    "o.ndiaye",
    "svetlana@example.com",
    "m.rossi@example.org",
    "kim.minjun",
    "ahmed.hassan",
    "fatima.z",
];
const POOLS: &[&str] = &[
    "us-east-1_Ab12Cd34E",
    "eu-west-1_Xy98Zw76V",
    "ap-northeast-1_EcsdFoftu",
];
const CLIENTS: &[&str] = &["4fk2u3s9v1a0e5g6h7i8j9k0l1", "g0n17akfs8hkb8hmlqh38r9tg"];
const CITIES_COUNTRIES: &[(&str, &str)] = &[
    ("Seattle", "United States"),
    ("New York", "United States"),
    ("Sapporo", "Japan"),
    ("Tokyo", "Japan"),
    ("Amsterdam", "The Netherlands"),
    ("Berlin", "Germany"),
    ("Paris", "France"),
    ("London", "United Kingdom"),
    ("Seoul", "South Korea"),
    ("Istanbul", "Türkiye"),
    ("Zurich", "Switzerland"),
    ("Prague", "Czechia"),
    ("Abidjan", "Ivory Coast"),
    ("Brazzaville", "Congo Republic"),
    ("São Paulo", "Brazil"),
    ("Mumbai", "India"),
    ("Sydney", "Australia"),
    ("Toronto", "Canada"),
    ("", ""),
    ("Madrid", "Spain"),
];
const DEVICES: &[&str] = &[
    "Chrome 126, Windows 10",
    "Chrome 127, Mac OS X 10.15",
    "Firefox 128, Mac OS X 10.15",
    "Safari 17, iOS 17",
    "Edge 126, Windows 11",
    "Other, Linux",
    "Other, Other",
    "Chrome Mobile 126, Android 14",
    "Samsung Internet 25, Android 13",
];
const EVENT_TYPES: &[(&str, &[&[&str]])] = &[
    (
        "SignIn",
        &[
            &["Password:Success"],
            &["Password:Success", "Mfa:Success"],
            &["Password:Success", "Mfa:Failure", "Mfa:Success"],
            &["Password:Failure"],
            &["Password:Success", "SOFTWARE_TOKEN_MFA:Success"],
        ],
    ),
    ("SignUp", &[&[]]),
    ("ForgotPassword", &[&[]]),
    ("PasswordChange", &[&["Password:Success"]]),
    ("ResendCode", &[&[]]),
    ("TokenRefresh", &[&[]]),
];
const RESPONSES: &[&str] = &["Pass", "Pass", "Pass", "Fail", "InProgress"];
const DECISIONS: &[(&str, &str)] = &[
    ("NoRisk", "Low"),
    ("NoRisk", "Low"),
    ("NoRisk", "Medium"),
    ("PASS", ""),
    ("AccountTakeover", "High"),
    ("Block", "High"),
    ("", ""),
];

/// SplitMix64: small, fast, and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn ip(rng: &mut Rng) -> String {
    match rng.below(10) {
        0..=2 => format!("192.0.2.{}", rng.below(255)),
        3..=4 => format!("198.51.100.{}", rng.below(255)),
        5..=6 => format!("203.0.113.{}", rng.below(255)),
        7 => format!("2001:db8::{:x}", rng.below(0xffff)),
        8 => format!(
            "2001:db8:{:x}:{:x}::1",
            rng.below(0xffff),
            rng.below(0xffff)
        ),
        _ => format!(
            "{}.{}.{}.{}",
            11 + rng.below(200),
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        ),
    }
}

fn uuid(rng: &mut Rng) -> String {
    let a = rng.next();
    let b = rng.next();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

const DAYS: &[&str] = &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// One Cognito user-activity record (`n` numbers it).
pub fn cognito_record(rng: &mut Rng, n: u64) -> Value {
    let ms = BASE_MS + (n as i64) * 137 + rng.below(1000) as i64;
    let user = *rng.pick(USERS);
    let user_index = USERS.iter().position(|u| *u == user).unwrap_or(0);
    let pool = POOLS[user_index % POOLS.len()];
    let (event_type, challenge_sets) = *rng.pick(EVENT_TYPES);
    let challenges = challenge_sets[rng.below(challenge_sets.len())];
    let (decision, level) = *rng.pick(DECISIONS);
    let (city, country) = *rng.pick(CITIES_COUNTRIES);
    let creation = format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        rng.pick(DAYS),
        rng.pick(MONTHS),
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60),
        2019 + rng.below(6)
    );
    let compromised = if rng.below(50) == 0 { "true" } else { "false" };
    json!({
        "eventTimestamp": ms.to_string(),
        "eventSource": "USER_AUTH_EVENTS",
        "logLevel": "INFO",
        "message": {
            "version": "1",
            "eventId": uuid(rng),
            "eventType": event_type,
            "userSub": format!("9f8e7d6c-5b4a-4392-8170-{:012x}", 0x00b0_0000_0000_u64 + user_index as u64),
            "userName": user,
            "userPoolId": pool,
            "clientId": rng.pick(CLIENTS),
            "creationDate": creation,
            "eventResponse": rng.pick(RESPONSES),
            "riskLevel": level,
            "riskDecision": decision,
            "challenges": challenges,
            "deviceName": rng.pick(DEVICES),
            "ipAddress": ip(rng),
            "requestId": uuid(rng),
            "idpName": if rng.below(8) == 0 { "Google" } else { "" },
            "compromisedCredentialDetected": compromised,
            "city": city,
            "country": country,
            "eventFeedbackValue": "",
            "eventFeedbackDate": "",
            "eventFeedbackProvider": ""
        },
        "logSourceId": {"userPoolId": pool}
    })
}

/// gzip with a zero mtime, so the bytes are stable.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::default());
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// The batch shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Direct,
    Cwl,
}

impl Shape {
    pub fn parse(s: &str) -> Option<Shape> {
        match s {
            "direct" => Some(Shape::Direct),
            "cwl" => Some(Shape::Cwl),
            _ => None,
        }
    }
}

/// A generated event and what it holds.
pub struct Batch {
    /// The Firehose event JSON.
    pub json: Vec<u8>,
    /// Firehose records in it.
    pub records: usize,
    /// Cognito events in it.
    pub events: usize,
}

fn record_json(out: &mut String, index: usize, data: &str, arrival_ms: i64) {
    if index > 0 {
        out.push(',');
    }
    out.push_str(&format!(
        "{{\"recordId\":\"{index:056}\",\"approximateArrivalTimestamp\":{arrival_ms},\"data\":\"{data}\"}}"
    ));
}

/// A Firehose event of about `target_bytes` bytes of JSON (never more than
/// one record over).
pub fn generate(shape: Shape, target_bytes: usize, seed: u64) -> Batch {
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(target_bytes + 64 * 1024);
    out.push_str(&format!(
        "{{\"invocationId\":\"{}\",\"deliveryStreamArn\":\"{STREAM_ARN}\",\"region\":\"us-east-1\",\"records\":[",
        uuid(&mut rng)
    ));
    let mut records = 0;
    let mut events = 0u64;
    while out.len() < target_bytes {
        let arrival = BASE_MS + records as i64 * 10;
        let data = match shape {
            Shape::Direct => {
                let mut line = cognito_record(&mut rng, events).to_string();
                line.push('\n');
                events += 1;
                STANDARD.encode(line.as_bytes())
            }
            Shape::Cwl => {
                let count = 50 + rng.below(51);
                // Written in CloudWatch Logs' own field order (serde_json's
                // map would sort the keys): the envelope's fields, then
                // its events, each as id, timestamp, message.
                let log_events: Vec<String> = (0..count)
                    .map(|i| {
                        let rec = cognito_record(&mut rng, events + i as u64);
                        let ts = BASE_MS + (events + i as u64) as i64 * 137;
                        format!(
                            r#"{{"id":"{:056}","timestamp":{ts},"message":{}}}"#,
                            events + i as u64,
                            Value::String(rec.to_string())
                        )
                    })
                    .collect();
                events += count as u64;
                let env = format!(
                    concat!(
                        r#"{{"messageType":"DATA_MESSAGE","owner":"123456789012","#,
                        r#""logGroup":"/aws/vendedlogs/cognito/userAuthEvents","#,
                        r#""logStream":"cognito-idp-userAuthEvents-2024-11-23","#,
                        r#""subscriptionFilters":["cognito-activity-to-firehose"],"#,
                        r#""logEvents":[{}]}}"#
                    ),
                    log_events.join(",")
                );
                STANDARD.encode(gzip(env.as_bytes()))
            }
        };
        record_json(&mut out, records, &data, arrival);
        records += 1;
    }
    out.push_str("]}");
    Batch {
        json: out.into_bytes(),
        records,
        events: events as usize,
    }
}
