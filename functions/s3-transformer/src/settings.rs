//! The S3 route's own settings, read from the environment and validated
//! once at start (the library's, `OUTPUT_FORMAT`, `PARTITION_KEYS`, privacy
//! modes and filters, are read by `cognito_activity_aws::lambda::load_config`).
//! A bad value stops the function, naming the variable and what it allows;
//! docs/configuration.md lists them and a test holds the two equal.

use cognito_activity::config::OutputFormat;
use cognito_activity_aws::events::is_bucket_name;
pub use cognito_activity_aws::lambda::SettingError;

pub const OUTPUT_BUCKET: &str = "OUTPUT_BUCKET";
pub const OUTPUT_PREFIX: &str = "OUTPUT_PREFIX";
pub const ERROR_PREFIX: &str = "ERROR_PREFIX";
pub const MAX_OPEN_OUTPUTS: &str = "MAX_OPEN_OUTPUTS";
pub const OUTPUT_OBJECT_BYTES: &str = "OUTPUT_OBJECT_BYTES";

pub const DEFAULT_ERROR_PREFIX: &str = "errors/s3-transformer/";
pub const DEFAULT_MAX_OPEN_OUTPUTS: usize = 8;
/// 4 MiB of gzip per output object before it rolls over: with 8 open,
/// 32 MiB of buffers at most.
pub const DEFAULT_OUTPUT_OBJECT_BYTES: usize = 4 * 1024 * 1024;

/// Every variable this module reads, in the documented order.
pub const VARIABLES: [&str; 5] = [
    OUTPUT_BUCKET,
    OUTPUT_PREFIX,
    ERROR_PREFIX,
    MAX_OPEN_OUTPUTS,
    OUTPUT_OBJECT_BYTES,
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub output_bucket: String,
    /// Ends in `/`; the partition segments follow it.
    pub output_prefix: String,
    /// In the output bucket.
    pub error_prefix: String,
    pub max_open_outputs: usize,
    pub output_object_bytes: usize,
}

fn refuse(var: &'static str, message: impl Into<String>) -> SettingError {
    SettingError::new(var, message)
}

const PREFIX_RULE: &str =
    "a key prefix ending in /, of A-Z a-z 0-9 ! - _ . * ' ( ) / = (at most 512)";

impl Settings {
    pub fn from_env(format: OutputFormat) -> Result<Settings, SettingError> {
        Settings::from_lookup(format, |name| std::env::var(name).ok())
    }

    /// `format` names the default output prefix, `activity/<format>/`: the
    /// Firehose route's, so one table reads both routes.
    pub fn from_lookup(
        format: OutputFormat,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, SettingError> {
        let get = |var: &'static str| lookup(var).filter(|v| !v.is_empty());
        let bucket_rule = "required: an S3 bucket name (3 to 63 of a-z 0-9 . -)";
        let output_bucket = get(OUTPUT_BUCKET).ok_or_else(|| refuse(OUTPUT_BUCKET, bucket_rule))?;
        if !is_bucket_name(&output_bucket) {
            return Err(refuse(OUTPUT_BUCKET, bucket_rule));
        }
        let output_prefix =
            get(OUTPUT_PREFIX).unwrap_or_else(|| format!("activity/{}/", format.as_str()));
        if !is_prefix(&output_prefix) {
            return Err(refuse(OUTPUT_PREFIX, PREFIX_RULE));
        }
        let error_prefix = get(ERROR_PREFIX).unwrap_or_else(|| DEFAULT_ERROR_PREFIX.to_string());
        if !is_prefix(&error_prefix) {
            return Err(refuse(ERROR_PREFIX, PREFIX_RULE));
        }
        let number = |var: &'static str,
                      default: usize,
                      range: std::ops::RangeInclusive<usize>,
                      rule: &str| match get(var) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| refuse(var, rule)),
        };
        let max_open_outputs = number(
            MAX_OPEN_OUTPUTS,
            DEFAULT_MAX_OPEN_OUTPUTS,
            1..=256,
            "a whole number from 1 to 256",
        )?;
        let output_object_bytes = number(
            OUTPUT_OBJECT_BYTES,
            DEFAULT_OUTPUT_OBJECT_BYTES,
            65_536..=536_870_912,
            "a whole number of bytes from 65536 to 536870912",
        )?;
        Ok(Settings {
            output_bucket,
            output_prefix,
            error_prefix,
            max_open_outputs,
            output_object_bytes,
        })
    }
}

fn is_prefix(s: &str) -> bool {
    s.len() <= 512
        && s.ends_with('/')
        && !s.starts_with('/')
        && !s.contains("//")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!-_.*'()/=".contains(&b))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(changes: &[(&'static str, &str)]) -> Result<Settings, SettingError> {
        let mut env = HashMap::from([(OUTPUT_BUCKET, "activity-bucket".to_string())]);
        for (k, v) in changes {
            env.insert(k, v.to_string());
        }
        Settings::from_lookup(OutputFormat::Ocsf, |name| env.get(name).cloned())
    }

    #[test]
    fn defaults_follow_the_firehose_routes_layout() {
        let s = with(&[]).expect("good");
        assert_eq!(s.output_prefix, "activity/ocsf/");
        assert_eq!(s.error_prefix, DEFAULT_ERROR_PREFIX);
        assert_eq!(
            (s.max_open_outputs, s.output_object_bytes),
            (DEFAULT_MAX_OPEN_OUTPUTS, DEFAULT_OUTPUT_OBJECT_BYTES)
        );
    }

    #[test]
    fn every_bad_value_is_refused_naming_its_variable() {
        for (var, value) in [
            (OUTPUT_BUCKET, ""),
            (OUTPUT_BUCKET, "Upper"),
            (OUTPUT_PREFIX, "no-slash"),
            (ERROR_PREFIX, "/rooted/"),
            (MAX_OPEN_OUTPUTS, "0"),
            (OUTPUT_OBJECT_BYTES, "12"),
        ] {
            let err = with(&[(var, value)]).expect_err(var);
            assert_eq!(err.var, var, "{err}");
        }
    }

    #[test]
    fn the_configuration_doc_lists_every_variable() {
        let doc = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/configuration.md"
        ))
        .expect("docs/configuration.md");
        let section = doc
            .split("\n## The S3 route")
            .nth(1)
            .expect("a section for the S3 route");
        let names: Vec<String> = section
            .lines()
            .take_while(|l| !l.starts_with("## "))
            .filter(|l| l.starts_with("| `"))
            .map(|l| {
                l.trim_matches('|')
                    .split('|')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .trim_matches('`')
                    .to_string()
            })
            .collect();
        assert_eq!(names, VARIABLES);
    }
}
