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
