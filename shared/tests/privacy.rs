//! With hashing on, no raw IP address or user name appears anywhere in the
//! output of any format, including `unmapped`; truncation leaves only the
//! network.

use base64::Engine as _;
use cognito_activity::config::{HashKey, IpMode, OutputFormat, UserNameMode};
use cognito_activity::{process_event, Config, RecordResult};

const FORMATS: [OutputFormat; OutputFormat::ALL.len()] = OutputFormat::ALL;

/// The raw values in the sample events that must never leak.
const IPS: [&str; 8] = [
    "192.0.2.10",
    "198.51.100.23",
    "203.0.113.45",
    "203.0.113.200",
    "2001:db8:85a3::8a2e:370:7334",
    "192.0.2.77",
    "198.51.100.5",
    "203.0.113.9",
];
const USERS: [&str; 8] = [
    "alice",
    "bob",
    "carol",
    "dave",
    "Google_104857329374623847561",
    "erin",
    "frank",
    "grace",
];

fn outputs(cfg: &Config) -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../events");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("events/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|x| x != "json") {
            continue; // events/security-lake/ holds the writer's S3 events
        }
        let bytes = std::fs::read(&path).expect("read event");
        let processed = process_event(&bytes, cfg).expect("a Firehose event");
        for r in &processed.response.records {
            if r.result == RecordResult::Ok {
                let data = base64::engine::general_purpose::STANDARD
                    .decode(r.data.to_base64().as_bytes())
                    .expect("base64");
                out.push(String::from_utf8(data).expect("UTF-8"));
            }
        }
    }
    assert!(out.len() > 10, "the samples must produce output");
    out
}

fn hashing() -> Config {
    Config {
        ip_mode: IpMode::Hash,
        user_name_mode: UserNameMode::Hash,
        hash_key: HashKey::new(b"test-key-0123456789".to_vec()),
        ..Config::default()
    }
}

#[test]
fn the_samples_contain_the_raw_values_when_privacy_is_off() {
    // Proves the search below can find what it looks for.
    let all = outputs(&Config::default()).join("\n");
    for needle in IPS.iter().chain(USERS.iter()) {
        assert!(
            all.contains(needle),
            "{needle} should appear with privacy off"
        );
    }
}

#[test]
fn no_raw_ip_or_user_name_appears_in_any_format_with_hashing_on() {
    for format in FORMATS {
        let cfg = Config {
            output_format: format,
            ..hashing()
        };
        let all = outputs(&cfg).join("\n");
        for needle in IPS
            .iter()
            .chain(USERS.iter())
            .chain(["hoge0808", "2001:db8::1"].iter())
        {
            assert!(!all.contains(needle), "{format:?} output leaks {needle}");
        }
    }
}

#[test]
fn hashes_are_stable_across_invocations_so_joins_still_work() {
    let a = outputs(&hashing());
    let b = outputs(&hashing());
    assert_eq!(a, b);
    let other_key = Config {
        hash_key: HashKey::new(b"another-key-0123456".to_vec()),
        ..hashing()
    };
    assert_ne!(a, outputs(&other_key));
}

#[test]
fn truncation_keeps_only_the_network_in_every_format() {
    for format in FORMATS {
        let cfg = Config {
            output_format: format,
            ip_mode: IpMode::Truncate,
            ..Config::default()
        };
        let all = outputs(&cfg).join("\n");
        for needle in IPS {
            assert!(!all.contains(needle), "{format:?} output leaks {needle}");
        }
        assert!(
            all.contains("192.0.2.0") && all.contains("2001:db8:85a3::"),
            "{format:?}"
        );
    }
}

/// A record that hides addresses and user names where nothing maps them:
/// a top-level `ipAddress` and `userName`, case variants, a forwarded-for
/// list, an extra `logSourceId` member, nested objects and arrays.
fn hostile_event() -> Vec<u8> {
    let record = serde_json::json!({
        "eventTimestamp": "1732400000000",
        "eventSource": "USER_AUTH_EVENTS",
        "logLevel": "INFO",
        "ipAddress": "198.51.100.201",
        "userName": "mallory",
        "message": {
            "eventType": "SignIn",
            "eventResponse": "Pass",
            "userName": "trent",
            "ipAddress": "203.0.113.99",
            "IpAddress": "198.51.100.202",
            "UserName": "peggy",
            "xForwardedFor": "198.51.100.203, 2002:cb00:71cc::1",
            "context": {"clientIps": ["198.51.100.204"], "preferred_username": "victor"}
        },
        "logSourceId": {"userPoolId": "us-east-1_Ab12Cd34E", "sourceIp": "198.51.100.205"}
    });
    let data = base64::engine::general_purpose::STANDARD.encode(record.to_string());
    serde_json::json!({
        "invocationId": "i",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
        "region": "us-east-1",
        "records": [{"recordId": "r1", "approximateArrivalTimestamp": 1732400000000u64, "data": data}]
    })
    .to_string()
    .into_bytes()
}

fn hostile_outputs(cfg: &Config) -> String {
    let event = hostile_event();
    let processed = process_event(&event, cfg).expect("a Firehose event");
    let r = &processed.response.records[0];
    assert_eq!(r.result, RecordResult::Ok);
    let data = base64::engine::general_purpose::STANDARD
        .decode(r.data.to_base64().as_bytes())
        .expect("base64");
    String::from_utf8(data).expect("UTF-8")
}

const HIDDEN_IPS: [&str; 7] = [
    "198.51.100.201",
    "203.0.113.99",
    "198.51.100.202",
    "198.51.100.203",
    "2002:cb00:71cc::1",
    "198.51.100.204",
    "198.51.100.205",
];
const HIDDEN_USERS: [&str; 5] = ["mallory", "trent", "peggy", "victor", "Victor"];

#[test]
fn addresses_and_user_names_under_unmapped_are_hidden_in_every_format() {
    // Privacy off: they are all there (the record does carry them).
    let plain = hostile_outputs(&Config::default());
    for raw in HIDDEN_IPS.iter().chain(&HIDDEN_USERS[..4]) {
        assert!(plain.contains(raw), "{raw} not in {plain}");
    }
    for format in FORMATS {
        let hashed = hostile_outputs(&Config {
            output_format: format,
            ..hashing()
        });
        for raw in HIDDEN_IPS.iter().chain(&HIDDEN_USERS) {
            assert!(!hashed.contains(raw), "{format:?}: {raw} in {hashed}");
        }
        let truncated = hostile_outputs(&Config {
            output_format: format,
            ip_mode: IpMode::Truncate,
            ..Config::default()
        });
        for raw in HIDDEN_IPS {
            assert!(!truncated.contains(raw), "{format:?}: {raw} in {truncated}");
        }
        // The networks stay, lists stay lists; the 6to4 address is its IPv4 /24.
        assert!(
            truncated.contains("198.51.100.0, 203.0.113.0"),
            "{format:?}: {truncated}"
        );
    }
}
