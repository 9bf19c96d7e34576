//! The writer's own settings, read from the environment and validated once
//! at start (the library's settings, privacy modes and filters for raw
//! lines, are read by `cognito_activity_aws::lambda::load_config`). A bad
//! value stops the function with a message naming the variable and what it
//! allows. docs/configuration.md lists them; a test holds the two equal.

use cognito_activity_aws::events::is_bucket_name;
pub use cognito_activity_aws::lambda::SettingError;
use cognito_activity_seclake::layout::{self, SOURCES};

/// The account id of the `accountId=` partition: the account the activity
/// comes from (the template passes its own).
pub const SOURCE_ACCOUNT_ID: &str = "SOURCE_ACCOUNT_ID";
/// Where rejected lines go: a bucket, and a prefix in it.
pub const ERROR_BUCKET: &str = "ERROR_BUCKET";
pub const ERROR_PREFIX: &str = "ERROR_PREFIX";
/// The largest delivered object read, in bytes, before decompression.
pub const MAX_OBJECT_BYTES: &str = "MAX_OBJECT_BYTES";

/// Each source's three settings, in `SOURCES` order (Authentication, then
/// Account Change): what `create-custom-log-source` answered.
pub const SOURCE_VARIABLES: [SourceVariables; 2] = [
    SourceVariables {
        location: "AUTHENTICATION_SOURCE_LOCATION",
        role_arn: "AUTHENTICATION_PROVIDER_ROLE_ARN",
        external_id: "AUTHENTICATION_EXTERNAL_ID",
    },
    SourceVariables {
        location: "ACCOUNT_CHANGE_SOURCE_LOCATION",
        role_arn: "ACCOUNT_CHANGE_PROVIDER_ROLE_ARN",
        external_id: "ACCOUNT_CHANGE_EXTERNAL_ID",
    },
];

pub const DEFAULT_ERROR_PREFIX: &str = "errors/security-lake/";
/// Firehose's largest S3 buffer, 128 MiB.
pub const DEFAULT_MAX_OBJECT_BYTES: u64 = 128 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct SourceVariables {
    pub location: &'static str,
    pub role_arn: &'static str,
    pub external_id: &'static str,
}

/// Every variable this module reads, for the documentation test.
pub fn variables() -> Vec<&'static str> {
    let mut v = vec![
        SOURCE_ACCOUNT_ID,
        ERROR_BUCKET,
        ERROR_PREFIX,
        MAX_OBJECT_BYTES,
    ];
    for s in SOURCE_VARIABLES {
        v.extend([s.location, s.role_arn, s.external_id]);
    }
    v
}

/// One custom source's location and provider role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The source's bucket (`aws-security-data-lake-<region>-<id>`).
    pub bucket: String,
    /// Its prefix in the bucket, ending in `/`: `ext/cognitoauth/1.0/`.
    pub prefix: String,
    pub role_arn: String,
    pub external_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub account_id: String,
    /// In `SOURCES` order.
    pub sources: [Source; 2],
    pub error_bucket: String,
    pub error_prefix: String,
    pub max_object_bytes: u64,
}

fn refuse(var: &'static str, message: impl Into<String>) -> SettingError {
    SettingError::new(var, message)
}

impl Settings {
    pub fn from_env() -> Result<Settings, SettingError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings from `lookup` (a variable's value; empty counts as unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingError> {
        let get = |var: &'static str| lookup(var).filter(|v| !v.is_empty());
        let required = |var: &'static str, allowed: &str| {
            get(var).ok_or_else(|| refuse(var, format!("required: {allowed}")))
        };
        let account_id = required(SOURCE_ACCOUNT_ID, "an AWS account id, twelve digits")?;
        layout::check_account_id(&account_id)
            .map_err(|_| refuse(SOURCE_ACCOUNT_ID, "an AWS account id, twelve digits"))?;
        let mut sources = Vec::with_capacity(SOURCES.len());
        for (vars, source) in SOURCE_VARIABLES.iter().zip(SOURCES) {
            let location_rule = format!(
                "the source's location as create-custom-log-source answers it, \
                 s3://<bucket>/ext/{}/[<version>/]",
                source.name
            );
            let location = required(vars.location, &location_rule)?;
            let (bucket, prefix) = parse_location(&location, source.name)
                .ok_or_else(|| refuse(vars.location, location_rule.clone()))?;
            let role_rule =
                "the source's provider role, arn:<partition>:iam::<account>:role/<name>";
            let role_arn = required(vars.role_arn, role_rule)?;
            if !is_role_arn(&role_arn) {
                return Err(refuse(vars.role_arn, role_rule));
            }
            let id_rule = "the source's external id, 2 to 1224 of A-Z a-z 0-9 + = , . @ : / - _";
            let external_id = required(vars.external_id, id_rule)?;
            if !is_external_id(&external_id) {
                return Err(refuse(vars.external_id, id_rule));
            }
            sources.push(Source {
                bucket,
                prefix,
                role_arn,
                external_id,
            });
        }
        let sources: [Source; 2] = sources
            .try_into()
            .map_err(|_| refuse(SOURCE_ACCOUNT_ID, "two sources"))?;
        let bucket_rule = "an S3 bucket name (3 to 63 of a-z 0-9 . -)";
        let error_bucket = required(ERROR_BUCKET, bucket_rule)?;
        if !is_bucket_name(&error_bucket) {
            return Err(refuse(ERROR_BUCKET, bucket_rule));
        }
        let error_prefix = get(ERROR_PREFIX).unwrap_or_else(|| DEFAULT_ERROR_PREFIX.to_string());
        if !is_prefix(&error_prefix) {
            return Err(refuse(
                ERROR_PREFIX,
                "a key prefix ending in /, of A-Z a-z 0-9 ! - _ . * ' ( ) / (at most 512)",
            ));
        }
        let max_object_bytes = match get(MAX_OBJECT_BYTES) {
            None => DEFAULT_MAX_OBJECT_BYTES,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (1024..=(4u64 << 30)).contains(n))
                .ok_or_else(|| {
                    refuse(
                        MAX_OBJECT_BYTES,
                        "a whole number of bytes from 1024 to 4294967296",
                    )
                })?,
        };
        Ok(Settings {
            account_id,
            sources,
            error_bucket,
            error_prefix,
            max_object_bytes,
        })
    }
}

/// `s3://bucket/ext/<name>/[<version>/]` as the bucket and the prefix
/// (with a trailing `/`).
fn parse_location(location: &str, name: &str) -> Option<(String, String)> {
    let rest = location.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/')?;
    let prefix = if prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    };
    let mut segments = prefix.trim_end_matches('/').split('/');
    let shaped = segments.next() == Some("ext")
        && segments.next() == Some(name)
        && segments
            .next()
            .is_none_or(|v| layout::check_source_version(v).is_ok())
        && segments.next().is_none();
    (is_bucket_name(bucket) && shaped).then(|| (bucket.to_string(), prefix))
}

fn is_prefix(s: &str) -> bool {
    s.len() <= 512
        && s.ends_with('/')
        && !s.starts_with('/')
        && !s.contains("//")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!-_.*'()/".contains(&b))
}

fn is_role_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
    if partition.starts_with("aws")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.strip_prefix("role/").is_some_and(|name| {
            !name.is_empty()
                && name.len() <= 512
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b))
        }))
}

fn is_external_id(s: &str) -> bool {
    (2..=1224).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/-_".contains(&b))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    pub(crate) fn good() -> HashMap<&'static str, String> {
        HashMap::from([
            (SOURCE_ACCOUNT_ID, "123456789012".to_string()),
            (ERROR_BUCKET, "activity-bucket".to_string()),
            (
                "AUTHENTICATION_SOURCE_LOCATION",
                "s3://aws-security-data-lake-eu-west-1-abc/ext/cognitoauth/1.0/".to_string(),
            ),
            (
                "AUTHENTICATION_PROVIDER_ROLE_ARN",
                "arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-cognitoauth-eu-west-1"
                    .to_string(),
            ),
            (
                "AUTHENTICATION_EXTERNAL_ID",
                "cognito-activity-1".to_string(),
            ),
            (
                "ACCOUNT_CHANGE_SOURCE_LOCATION",
                "s3://aws-security-data-lake-eu-west-1-abc/ext/cognitoacct".to_string(),
            ),
            (
                "ACCOUNT_CHANGE_PROVIDER_ROLE_ARN",
                "arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-cognitoacct-eu-west-1"
                    .to_string(),
            ),
            (
                "ACCOUNT_CHANGE_EXTERNAL_ID",
                "cognito-activity-2".to_string(),
            ),
        ])
    }

    fn with(changes: &[(&'static str, &str)]) -> Result<Settings, SettingError> {
        let mut env = good();
        for (k, v) in changes {
            env.insert(k, v.to_string());
        }
        Settings::from_lookup(|name| env.get(name).cloned())
    }

    #[test]
    fn good_settings_are_read_with_defaults_filled_in() {
        let s = with(&[]).expect("good settings");
        assert_eq!(s.sources[0].bucket, "aws-security-data-lake-eu-west-1-abc");
        assert_eq!(s.sources[0].prefix, "ext/cognitoauth/1.0/");
        assert_eq!(s.sources[1].prefix, "ext/cognitoacct/");
        assert_eq!(s.sources[1].external_id, "cognito-activity-2");
        assert_eq!(s.error_prefix, DEFAULT_ERROR_PREFIX);
        assert_eq!(s.max_object_bytes, DEFAULT_MAX_OBJECT_BYTES);
        let s = with(&[(ERROR_PREFIX, "lake-errors/"), (MAX_OBJECT_BYTES, "2048")]).expect("good");
        assert_eq!(
            (s.error_prefix.as_str(), s.max_object_bytes),
            ("lake-errors/", 2048)
        );
    }

    #[test]
    fn the_configuration_doc_lists_every_variable_with_its_default() {
        let doc = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/configuration.md"
        ))
        .expect("docs/configuration.md");
        let section = doc
            .split("\n## The Security Lake writer")
            .nth(1)
            .expect("a section for the writer");
        let rows: Vec<(String, String)> = section
            .lines()
            .take_while(|l| !l.starts_with("## "))
            .filter(|l| l.starts_with("| `"))
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
                (cells[0].trim_matches('`').to_string(), cells[2].to_string())
            })
            .collect();
        let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, variables());
        let optional = [
            (ERROR_PREFIX, format!("`{DEFAULT_ERROR_PREFIX}`")),
            (MAX_OBJECT_BYTES, format!("`{DEFAULT_MAX_OBJECT_BYTES}`")),
        ];
        for (name, default) in &rows {
            match optional.iter().find(|(o, _)| o == name) {
                Some((_, want)) => assert_eq!(default, want, "{name}"),
                None => {
                    assert_eq!(default, "required", "{name}");
                    let mut env = good();
                    env.remove(name.as_str());
                    let err = Settings::from_lookup(|n| env.get(n).cloned()).expect_err(name);
                    assert_eq!(err.var, name.as_str());
                }
            }
        }
    }

    #[test]
    fn every_bad_value_is_refused_naming_its_variable() {
        for (var, value) in [
            (SOURCE_ACCOUNT_ID, ""),
            (SOURCE_ACCOUNT_ID, "12345678901"),
            (ERROR_BUCKET, "Bad_Bucket"),
            (ERROR_PREFIX, "no-slash"),
            (ERROR_PREFIX, "/rooted/"),
            (MAX_OBJECT_BYTES, "10"),
            (MAX_OBJECT_BYTES, "lots"),
            (
                "AUTHENTICATION_SOURCE_LOCATION",
                "https://bucket/ext/cognitoauth/",
            ),
            (
                "AUTHENTICATION_SOURCE_LOCATION",
                "s3://bucket/ext/cognitoacct/",
            ),
            (
                "AUTHENTICATION_SOURCE_LOCATION",
                "s3://bucket/ext/cognitoauth/1.0/extra/",
            ),
            (
                "ACCOUNT_CHANGE_PROVIDER_ROLE_ARN",
                "arn:aws:iam::123456789012:user/x",
            ),
            ("ACCOUNT_CHANGE_PROVIDER_ROLE_ARN", ""),
            ("AUTHENTICATION_EXTERNAL_ID", "x"),
            ("AUTHENTICATION_EXTERNAL_ID", "has space"),
        ] {
            let err = with(&[(var, value)]).expect_err(&format!("{var}={value:?}"));
            assert_eq!(err.var, var, "{var}={value:?}: {err}");
            assert!(err.to_string().starts_with(var), "{err}");
        }
    }
}
