//! Settings, read once from environment variables at start and validated.
//!
//! Every setting the Lambda (and the CLI, which reads the same variables)
//! understands is described once in [`SETTINGS`]. The table is the single
//! source of truth: `Config::from_lookup` parses with it, docs/configuration.md
//! documents it, and a test compares it with the Parameters and Environment of
//! `template.yaml`, so the template can never offer a value the function
//! rejects, nor miss a variable the function reads.

use std::collections::BTreeSet;
use std::fmt;

/// What values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// Exactly one of these words (matched case-insensitively).
    OneOf(&'static [&'static str]),
    /// A comma-separated list, each item one of these words; empty means none.
    ListOf(&'static [&'static str]),
    /// A comma-separated list of free-form words (letters, digits, `_`, `-`, `.`).
    FreeList,
    /// A whole number in this inclusive range.
    Integer { min: u64, max: u64 },
    /// A free-form, non-empty string (e.g. a CloudWatch namespace).
    Text,
    /// A secret; never logged, never echoed in an error message.
    Secret,
}

/// One environment variable.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub name: &'static str,
    pub allowed: Allowed,
    /// The value used when the variable is unset or empty.
    pub default: &'static str,
    pub help: &'static str,
}

pub const OUTPUT_FORMAT: &str = "OUTPUT_FORMAT";
pub const OCSF_VERSION: &str = "OCSF_VERSION";
pub const MAX_DECOMPRESSED_BYTES: &str = "MAX_DECOMPRESSED_BYTES";
pub const RESPONSE_BUDGET_BYTES: &str = "RESPONSE_BUDGET_BYTES";
pub const REINGEST: &str = "REINGEST";
pub const IP_MODE: &str = "IP_MODE";
pub const USER_NAME_MODE: &str = "USER_NAME_MODE";
pub const HASH_KEY: &str = "HASH_KEY";
/// Where the Lambda reads `HASH_KEY` from: the ARN of a Secrets Manager secret
/// whose string is the key, fetched once at start and kept in memory only.
/// The Lambda refuses `HASH_KEY` itself in its environment (anyone who may
/// read the function's configuration would read the key); the CLI takes it.
pub const HASH_KEY_SECRET_ARN: &str = "HASH_KEY_SECRET_ARN";
pub const DROP_EVENT_RESPONSES: &str = "DROP_EVENT_RESPONSES";
pub const INCLUDE_EVENT_TYPES: &str = "INCLUDE_EVENT_TYPES";
pub const MIN_RISK_LEVEL: &str = "MIN_RISK_LEVEL";
pub const PARTITION_KEYS: &str = "PARTITION_KEYS";
pub const METRICS: &str = "METRICS";
pub const METRICS_NAMESPACE: &str = "METRICS_NAMESPACE";
pub const METRICS_DIMENSIONS: &str = "METRICS_DIMENSIONS";

/// Firehose accepts at most 6 MiB (6,291,456 bytes) back from the function.
pub const FIREHOSE_RESPONSE_LIMIT: u64 = 6 * 1024 * 1024;

/// Every setting, in the order docs/configuration.md lists them.
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: OUTPUT_FORMAT,
        allowed: Allowed::OneOf(&OutputFormat::NAMES),
        default: "normalized",
        help: "Shape of each output line.",
    },
    Setting {
        name: OCSF_VERSION,
        allowed: Allowed::OneOf(&["1.1.0", "1.8.0"]),
        default: "1.1.0",
        help: "OCSF schema version when OUTPUT_FORMAT=ocsf (1.1.0 is what Amazon Security Lake expects).",
    },
    Setting {
        name: MAX_DECOMPRESSED_BYTES,
        allowed: Allowed::Integer { min: 1_048_576, max: 268_435_456 },
        default: "16777216",
        help: "Largest decompressed size of one gzip record; a larger one is ProcessingFailed (gzip bomb guard).",
    },
    Setting {
        name: RESPONSE_BUDGET_BYTES,
        allowed: Allowed::Integer { min: 65_536, max: 6_000_000 },
        default: "5500000",
        help: "Most bytes the function returns to Firehose (hard limit 6,291,456).",
    },
    Setting {
        name: REINGEST,
        allowed: Allowed::OneOf(&["true", "false"]),
        default: "true",
        help: "Put records that do not fit in the response back into the source stream.",
    },
    Setting {
        name: IP_MODE,
        allowed: Allowed::OneOf(&["keep", "truncate", "hash"]),
        default: "keep",
        help: "Source IP addresses: keep, truncate (IPv4 /24, IPv6 /48) or hash (HMAC-SHA256 with HASH_KEY).",
    },
    Setting {
        name: USER_NAME_MODE,
        allowed: Allowed::OneOf(&["keep", "hash"]),
        default: "keep",
        help: "User names: keep or hash (HMAC-SHA256 with HASH_KEY).",
    },
    Setting {
        name: HASH_KEY,
        allowed: Allowed::Secret,
        default: "",
        help: "HMAC key for IP_MODE=hash or USER_NAME_MODE=hash (at least 16 bytes).",
    },
    Setting {
        name: DROP_EVENT_RESPONSES,
        allowed: Allowed::ListOf(&["Pass", "Fail", "InProgress"]),
        default: "",
        help: "Drop events whose eventResponse is one of these.",
    },
    Setting {
        name: INCLUDE_EVENT_TYPES,
        allowed: Allowed::FreeList,
        default: "",
        help: "Keep only these event types (e.g. SignIn,SignUp); empty keeps all.",
    },
    Setting {
        name: MIN_RISK_LEVEL,
        allowed: Allowed::OneOf(&["none", "low", "medium", "high"]),
        default: "none",
        help: "Drop user-activity events below this risk level (takeovers, blocks and compromised credentials are always kept).",
    },
    Setting {
        name: PARTITION_KEYS,
        allowed: Allowed::ListOf(&[
            "user_pool_id",
            "event_type",
            "outcome",
            "risk_decision",
            "ocsf_class",
            "year",
            "month",
            "day",
            "hour",
        ]),
        default: "",
        help: "Partition keys returned to Firehose for dynamic partitioning; empty sends none.",
    },
    Setting {
        name: METRICS,
        allowed: Allowed::OneOf(&["true", "false"]),
        default: "true",
        help: "Write CloudWatch Embedded Metric Format lines per invocation.",
    },
    Setting {
        name: METRICS_NAMESPACE,
        allowed: Allowed::Text,
        default: "CognitoActivity",
        help: "CloudWatch namespace of the metrics.",
    },
    Setting {
        name: METRICS_DIMENSIONS,
        allowed: Allowed::ListOf(&["delivery_stream", "function_name"]),
        default: "delivery_stream",
        help: "Dimensions of the metrics.",
    },
];

/// Looks a setting up by name.
pub fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// A setting with a value the function does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {var}={shown}: {reason}; allowed: {allowed}")]
pub struct ConfigError {
    pub var: &'static str,
    /// The value as given, or `<redacted>` for secrets.
    pub shown: String,
    pub reason: String,
    pub allowed: String,
}

impl fmt::Display for Allowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Allowed::OneOf(words) => write!(f, "one of {}", words.join(", ")),
            Allowed::ListOf(words) => {
                write!(
                    f,
                    "a comma-separated list of {} (or empty)",
                    words.join(", ")
                )
            }
            Allowed::FreeList => f.write_str("a comma-separated list of names (or empty)"),
            Allowed::Integer { min, max } => write!(f, "a whole number from {min} to {max}"),
            Allowed::Text => f.write_str("a non-empty string"),
            Allowed::Secret => f.write_str("a secret string of at least 16 bytes"),
        }
    }
}

/// The shape of each output line: the one list of formats. `ALL` and `NAMES`
/// drive the `OUTPUT_FORMAT` setting's allowed values, the CLI's `--format`,
/// and every test that goes through each format; a test holds the template's
/// `AllowedValues` equal to `NAMES`. A new format is a variant here, its name
/// in `as_str`, and its writer in `output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Normalized,
    Ocsf,
    Ecs,
    Splunk,
}

impl OutputFormat {
    /// Every format, in the order they are documented.
    pub const ALL: [Self; 4] = [Self::Normalized, Self::Ocsf, Self::Ecs, Self::Splunk];

    /// Every format's name (`OUTPUT_FORMAT`'s allowed values), in `ALL`'s order.
    pub const NAMES: [&'static str; Self::ALL.len()] = {
        let mut names = [""; Self::ALL.len()];
        let mut i = 0;
        while i < names.len() {
            names[i] = Self::ALL[i].as_str();
            i += 1;
        }
        names
    };

    /// The format with this name, in any case.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Normalized => "normalized",
            Self::Ocsf => "ocsf",
            Self::Ecs => "ecs",
            Self::Splunk => "splunk",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OcsfVersion {
    #[default]
    V1_1_0,
    V1_8_0,
}

impl OcsfVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_1_0 => "1.1.0",
            Self::V1_8_0 => "1.8.0",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IpMode {
    #[default]
    Keep,
    Truncate,
    Hash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserNameMode {
    #[default]
    Keep,
    Hash,
}

/// Risk levels in rank order, for `MIN_RISK_LEVEL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum RiskRank {
    #[default]
    None,
    Low,
    Medium,
    High,
}

/// A Firehose dynamic-partitioning key the function can compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PartitionKey {
    UserPoolId,
    EventType,
    Outcome,
    RiskDecision,
    OcsfClass,
    Year,
    Month,
    Day,
    Hour,
}

impl PartitionKey {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "user_pool_id" => Self::UserPoolId,
            "event_type" => Self::EventType,
            "outcome" => Self::Outcome,
            "risk_decision" => Self::RiskDecision,
            "ocsf_class" => Self::OcsfClass,
            "year" => Self::Year,
            "month" => Self::Month,
            "day" => Self::Day,
            "hour" => Self::Hour,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserPoolId => "user_pool_id",
            Self::EventType => "event_type",
            Self::Outcome => "outcome",
            Self::RiskDecision => "risk_decision",
            Self::OcsfClass => "ocsf_class",
            Self::Year => "year",
            Self::Month => "month",
            Self::Day => "day",
            Self::Hour => "hour",
        }
    }
}

/// A metrics dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MetricDimension {
    DeliveryStream,
    FunctionName,
}

/// The HMAC key. Its `Debug` never shows the key.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HashKey(Vec<u8>);

impl HashKey {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HashKey(<{} bytes redacted>)", self.0.len())
    }
}

/// Minimum length of `HASH_KEY`: shorter keys make the hashes guessable.
pub const MIN_HASH_KEY_BYTES: usize = 16;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub output_format: OutputFormat,
    pub ocsf_version: OcsfVersion,
    pub max_decompressed_bytes: usize,
    pub response_budget_bytes: usize,
    pub reingest: bool,
    pub ip_mode: IpMode,
    pub user_name_mode: UserNameMode,
    pub hash_key: HashKey,
    /// Canonical outcomes to drop (`success`, `failure`, `in_progress`).
    pub drop_outcomes: BTreeSet<&'static str>,
    /// Event types to keep; empty keeps all.
    pub include_event_types: BTreeSet<String>,
    pub min_risk_level: RiskRank,
    pub partition_keys: Vec<PartitionKey>,
    pub metrics: bool,
    pub metrics_namespace: String,
    pub metrics_dimensions: Vec<MetricDimension>,
}

impl Default for Config {
    fn default() -> Self {
        // The defaults in SETTINGS always parse; a test proves it.
        match Config::from_lookup(|_| None) {
            Ok(config) => config,
            Err(err) => unreachable!("defaults in SETTINGS must be valid: {err}"),
        }
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (a map in tests, the environment in
    /// production). Unset and empty values take the default.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| -> (&'static Setting, String) {
            let s = setting(name).unwrap_or_else(|| unreachable!("unknown setting {name}"));
            let v = lookup(name)
                .map(|v| v.trim().to_string())
                .unwrap_or_default();
            let v = if v.is_empty() {
                s.default.to_string()
            } else {
                v
            };
            (s, v)
        };
        let one_of = |name: &'static str| -> Result<String, ConfigError> {
            let (s, v) = get(name);
            let Allowed::OneOf(words) = s.allowed else {
                unreachable!()
            };
            words
                .iter()
                .find(|w| w.eq_ignore_ascii_case(&v))
                .map(|w| (*w).to_string())
                .ok_or_else(|| invalid(s, &v, "not an allowed value"))
        };
        let list_of = |name: &'static str| -> Result<Vec<&'static str>, ConfigError> {
            let (s, v) = get(name);
            let Allowed::ListOf(words) = s.allowed else {
                unreachable!()
            };
            let mut out = Vec::new();
            for item in v.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                let word = words
                    .iter()
                    .find(|w| w.eq_ignore_ascii_case(item))
                    .ok_or_else(|| invalid(s, &v, &format!("{item:?} is not an allowed item")))?;
                if !out.contains(word) {
                    out.push(*word);
                }
            }
            Ok(out)
        };
        let integer = |name: &'static str| -> Result<u64, ConfigError> {
            let (s, v) = get(name);
            let Allowed::Integer { min, max } = s.allowed else {
                unreachable!()
            };
            let n: u64 = v
                .parse()
                .map_err(|_| invalid(s, &v, "not a whole number"))?;
            if n < min || n > max {
                return Err(invalid(s, &v, "out of range"));
            }
            Ok(n)
        };

        let output_format = OutputFormat::parse(&one_of(OUTPUT_FORMAT)?).unwrap_or_default();
        let ocsf_version = match one_of(OCSF_VERSION)?.as_str() {
            "1.8.0" => OcsfVersion::V1_8_0,
            _ => OcsfVersion::V1_1_0,
        };
        let ip_mode = match one_of(IP_MODE)?.as_str() {
            "truncate" => IpMode::Truncate,
            "hash" => IpMode::Hash,
            _ => IpMode::Keep,
        };
        let user_name_mode = match one_of(USER_NAME_MODE)?.as_str() {
            "hash" => UserNameMode::Hash,
            _ => UserNameMode::Keep,
        };

        let key_setting = setting(HASH_KEY).unwrap_or_else(|| unreachable!());
        let hash_key = HashKey::new(lookup(HASH_KEY).unwrap_or_default().into_bytes());
        let hashing = ip_mode == IpMode::Hash || user_name_mode == UserNameMode::Hash;
        if hashing && hash_key.is_empty() {
            return Err(ConfigError {
                var: HASH_KEY,
                shown: String::new(),
                reason: "required when IP_MODE=hash or USER_NAME_MODE=hash".into(),
                allowed: key_setting.allowed.to_string(),
            });
        }
        if !hash_key.is_empty() && hash_key.as_bytes().len() < MIN_HASH_KEY_BYTES {
            return Err(ConfigError {
                var: HASH_KEY,
                shown: "<redacted>".into(),
                reason: format!("shorter than {MIN_HASH_KEY_BYTES} bytes"),
                allowed: key_setting.allowed.to_string(),
            });
        }

        let drop_outcomes = list_of(DROP_EVENT_RESPONSES)?
            .into_iter()
            .map(|w| match w {
                "Pass" => "success",
                "Fail" => "failure",
                _ => "in_progress",
            })
            .collect();

        let (types_setting, types) = get(INCLUDE_EVENT_TYPES);
        let mut include_event_types = BTreeSet::new();
        for item in types.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let ok = item
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !ok {
                return Err(invalid(
                    types_setting,
                    &types,
                    &format!("{item:?} is not a name"),
                ));
            }
            include_event_types.insert(item.to_string());
        }

        let min_risk_level = match one_of(MIN_RISK_LEVEL)?.as_str() {
            "low" => RiskRank::Low,
            "medium" => RiskRank::Medium,
            "high" => RiskRank::High,
            _ => RiskRank::None,
        };
        let partition_keys = list_of(PARTITION_KEYS)?
            .into_iter()
            .filter_map(PartitionKey::parse)
            .collect();
        let metrics = one_of(METRICS)? == "true";
        let (ns_setting, metrics_namespace) = get(METRICS_NAMESPACE);
        // CloudWatch reserves the AWS/ prefix and rejects metrics put there: the
        // alarms built on them would go silent.
        let ns_ok = metrics_namespace.len() <= 255
            && !metrics_namespace.starts_with(':')
            && !metrics_namespace
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("aws/"))
            && metrics_namespace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || " .-_/#:".contains(c));
        if !ns_ok {
            return Err(invalid(
                ns_setting,
                &metrics_namespace,
                "not a CloudWatch namespace (ASCII letters, digits and . - _ / # : space, at most 255, not starting with AWS/, which CloudWatch reserves)",
            ));
        }
        let metrics_dimensions = list_of(METRICS_DIMENSIONS)?
            .into_iter()
            .map(|w| match w {
                "function_name" => MetricDimension::FunctionName,
                _ => MetricDimension::DeliveryStream,
            })
            .collect();

        let max_decompressed_bytes = integer(MAX_DECOMPRESSED_BYTES)?;
        // Lambda sets its memory size; a cap the function cannot hold would
        // turn a gzip bomb into an out-of-memory crash of the whole batch.
        if let Some(mb) = lookup(FUNCTION_MEMORY_SIZE).and_then(|v| v.trim().parse::<u64>().ok()) {
            let most = max_decompressed_for_memory(mb);
            if max_decompressed_bytes > most {
                let (s, v) = get(MAX_DECOMPRESSED_BYTES);
                let mut e = invalid(
                    s,
                    &v,
                    &format!(
                        "more than a {mb} MB function can inflate (twice the cap plus {} MiB must fit in its memory)",
                        MEMORY_MARGIN_BYTES >> 20
                    ),
                );
                e.allowed = format!("a whole number from 1048576 to {most} at {mb} MB");
                return Err(e);
            }
        }

        Ok(Config {
            output_format,
            ocsf_version,
            max_decompressed_bytes: max_decompressed_bytes as usize,
            response_budget_bytes: integer(RESPONSE_BUDGET_BYTES)? as usize,
            reingest: one_of(REINGEST)? == "true",
            ip_mode,
            user_name_mode,
            hash_key,
            drop_outcomes,
            include_event_types,
            min_risk_level,
            partition_keys,
            metrics,
            metrics_namespace,
            metrics_dimensions,
        })
    }
}

/// The memory Lambda gives the function, in MB (set by Lambda itself).
pub const FUNCTION_MEMORY_SIZE: &str = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE";

/// What a function needs beside inflating one record: the runtime, the
/// event (up to 6 MB, held as read and as decoded), one record's output and
/// the response (up to 6 MB). A 6 MB batch of 16 MiB gzip bombs peaks at
/// about 37 MiB RSS (`python3 bench/hostile.py`, docs/reliability.md).
pub const MEMORY_MARGIN_BYTES: u64 = 64 << 20;

/// The largest `MAX_DECOMPRESSED_BYTES` a function of `memory_mb` MB can
/// hold: inflating one record takes up to twice the cap while its buffer
/// grows, plus [`MEMORY_MARGIN_BYTES`].
pub fn max_decompressed_for_memory(memory_mb: u64) -> u64 {
    (memory_mb.saturating_mul(1 << 20)).saturating_sub(MEMORY_MARGIN_BYTES) / 2
}

fn invalid(s: &Setting, value: &str, reason: &str) -> ConfigError {
    let shown = if s.allowed == Allowed::Secret {
        "<redacted>".to_string()
    } else {
        format!("{value:?}")
    };
    ConfigError {
        var: s.name,
        shown,
        reason: reason.to_string(),
        allowed: s.allowed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_output_format_name_parses_back_and_is_the_settings_allowed_values() {
        for f in OutputFormat::ALL {
            assert_eq!(OutputFormat::parse(f.as_str()), Some(f));
            assert_eq!(OutputFormat::parse(&f.as_str().to_uppercase()), Some(f));
        }
        let names: std::collections::BTreeSet<_> = OutputFormat::NAMES.into_iter().collect();
        assert_eq!(names.len(), OutputFormat::ALL.len());
        assert_eq!(OutputFormat::parse("xml"), None);
        assert!(matches!(
            setting(OUTPUT_FORMAT).map(|s| s.allowed),
            Some(Allowed::OneOf(names)) if names == OutputFormat::NAMES
        ));
    }
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn the_decompression_cap_must_fit_the_functions_memory() {
        // 128 MB holds the default cap, and up to 32 MiB.
        assert!(with(&[(FUNCTION_MEMORY_SIZE, "128")]).is_ok());
        assert_eq!(max_decompressed_for_memory(128), 32 << 20);
        assert!(with(&[
            (FUNCTION_MEMORY_SIZE, "128"),
            (MAX_DECOMPRESSED_BYTES, "33554432")
        ])
        .is_ok());
        let e = with(&[
            (FUNCTION_MEMORY_SIZE, "128"),
            (MAX_DECOMPRESSED_BYTES, "33554433"),
        ])
        .unwrap_err();
        assert_eq!(e.var, MAX_DECOMPRESSED_BYTES);
        assert!(e.allowed.contains("33554432 at 128 MB"), "{}", e.allowed);
        assert!(e.to_string().contains("MAX_DECOMPRESSED_BYTES"), "{e}");
        // The largest cap needs 576 MB.
        assert!(with(&[
            (FUNCTION_MEMORY_SIZE, "576"),
            (MAX_DECOMPRESSED_BYTES, "268435456")
        ])
        .is_ok());
        assert!(with(&[
            (FUNCTION_MEMORY_SIZE, "512"),
            (MAX_DECOMPRESSED_BYTES, "268435456")
        ])
        .is_err());
        // Outside Lambda (the CLI), nothing to check against.
        assert!(with(&[(MAX_DECOMPRESSED_BYTES, "268435456")]).is_ok());
    }

    #[test]
    fn defaults_are_valid_and_documented() {
        let c = with(&[]).expect("defaults parse");
        assert_eq!(c.output_format, OutputFormat::Normalized);
        assert_eq!(c.ocsf_version, OcsfVersion::V1_1_0);
        assert_eq!(c.max_decompressed_bytes, 16 * 1024 * 1024);
        assert!(c.response_budget_bytes < FIREHOSE_RESPONSE_LIMIT as usize);
        assert!(c.reingest);
        assert!(c.partition_keys.is_empty());
        assert!(c.metrics);
    }

    #[test]
    fn every_setting_default_is_accepted_on_its_own() {
        for s in SETTINGS {
            let r = with(&[(s.name, s.default)]);
            assert!(r.is_ok(), "{}: {:?}", s.name, r.err());
        }
    }

    #[test]
    fn every_allowed_word_is_accepted() {
        for s in SETTINGS {
            if let Allowed::OneOf(words) | Allowed::ListOf(words) = s.allowed {
                for w in words {
                    let mut pairs = vec![(s.name, *w)];
                    if *w == "hash" {
                        pairs.push((HASH_KEY, "0123456789abcdef0123"));
                    }
                    assert!(with(&pairs).is_ok(), "{}={w}", s.name);
                }
            }
        }
    }

    #[test]
    fn a_bad_value_names_the_variable_and_the_allowed_values() {
        let err = with(&[(OUTPUT_FORMAT, "xml")]).unwrap_err();
        assert_eq!(err.var, OUTPUT_FORMAT);
        let msg = err.to_string();
        assert!(msg.contains("OUTPUT_FORMAT"), "{msg}");
        assert!(msg.contains("normalized, ocsf, ecs, splunk"), "{msg}");
    }

    #[test]
    fn values_are_case_insensitive_and_trimmed() {
        let c = with(&[(OUTPUT_FORMAT, " OCSF "), (REINGEST, "FALSE")]).unwrap();
        assert_eq!(c.output_format, OutputFormat::Ocsf);
        assert!(!c.reingest);
    }

    #[test]
    fn integers_are_range_checked() {
        assert_eq!(
            with(&[(RESPONSE_BUDGET_BYTES, "7000000")]).unwrap_err().var,
            RESPONSE_BUDGET_BYTES
        );
        assert_eq!(
            with(&[(RESPONSE_BUDGET_BYTES, "lots")]).unwrap_err().var,
            RESPONSE_BUDGET_BYTES
        );
        assert_eq!(
            with(&[(MAX_DECOMPRESSED_BYTES, "1024")]).unwrap_err().var,
            MAX_DECOMPRESSED_BYTES
        );
        assert_eq!(
            with(&[(RESPONSE_BUDGET_BYTES, "1000000")])
                .unwrap()
                .response_budget_bytes,
            1_000_000
        );
    }

    #[test]
    fn hashing_without_a_key_is_refused_and_the_key_is_never_shown() {
        let err = with(&[(IP_MODE, "hash")]).unwrap_err();
        assert_eq!(err.var, HASH_KEY);
        let err = with(&[(USER_NAME_MODE, "hash"), (HASH_KEY, "short-secret")]).unwrap_err();
        assert_eq!(err.var, HASH_KEY);
        assert!(!err.to_string().contains("short-secret"));
        let ok = with(&[(USER_NAME_MODE, "hash"), (HASH_KEY, "a-long-enough-secret")]).unwrap();
        assert!(!format!("{ok:?}").contains("a-long-enough-secret"));
    }

    #[test]
    fn lists_are_parsed_deduplicated_and_checked() {
        let c = with(&[
            (PARTITION_KEYS, "year, month,year,event_type"),
            (DROP_EVENT_RESPONSES, "InProgress,fail"),
            (INCLUDE_EVENT_TYPES, "SignIn,SignUp"),
        ])
        .unwrap();
        assert_eq!(
            c.partition_keys,
            vec![
                PartitionKey::Year,
                PartitionKey::Month,
                PartitionKey::EventType
            ]
        );
        assert!(c.drop_outcomes.contains("in_progress") && c.drop_outcomes.contains("failure"));
        assert_eq!(c.include_event_types.len(), 2);
        let err = with(&[(PARTITION_KEYS, "year,minute")]).unwrap_err();
        assert!(err.to_string().contains("\"minute\""));
        assert_eq!(
            with(&[(INCLUDE_EVENT_TYPES, "Sign In")]).unwrap_err().var,
            INCLUDE_EVENT_TYPES
        );
    }

    #[test]
    fn metrics_settings_are_validated() {
        assert_eq!(
            with(&[(METRICS_NAMESPACE, "bad\nname")]).unwrap_err().var,
            METRICS_NAMESPACE
        );
        for reserved in ["AWS/Lambda", "aws/custom", "Aws/X"] {
            let err = with(&[(METRICS_NAMESPACE, reserved)]).unwrap_err();
            assert_eq!(err.var, METRICS_NAMESPACE, "{reserved}");
            assert!(err.to_string().contains("AWS/"), "{err}");
        }
        assert!(with(&[(METRICS_NAMESPACE, "AWSome/Metrics")]).is_ok());
        let c = with(&[(METRICS_DIMENSIONS, "function_name,delivery_stream")]).unwrap();
        assert_eq!(c.metrics_dimensions.len(), 2);
        assert_eq!(
            with(&[(MIN_RISK_LEVEL, "extreme")]).unwrap_err().var,
            MIN_RISK_LEVEL
        );
    }
}
