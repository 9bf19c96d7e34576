//! OCSF lines taken as they are (another tool's, an older build's) held to
//! the OCSF 1.1.0 schema of their class before they reach Security Lake.
//!
//! Lines mapped here are conformant by construction (`shared/tests/ocsf_schema.rs`
//! checks the mapping against the same schemas). A line taken as it is was
//! checked only for its `metadata.version` and, when written, for fields and
//! types the Parquet schema knows; every column being nullable, a line without
//! `category_uid`, `type_uid`, `severity_id` or `user`, or with `activity_id`
//! 7, went into the lake. Security Lake itself checks nothing.
//!
//! The schemas are the reference ones vendored for the library's tests
//! (`shared/tests/data/ocsf`, with how they were made), compiled once, on the
//! first line that needs them.

use std::sync::OnceLock;

use cognito_activity::taxonomy::{ACCOUNT_CHANGE, AUTHENTICATION};
use jsonschema::error::ValidationErrorKind;
use jsonschema::{PatternOptions, ValidationError, Validator};
use serde_json::Value;

const AUTHENTICATION_SCHEMA: &str =
    include_str!("../../shared/tests/data/ocsf/authentication-3002-v1.1.0.schema.json");
const ACCOUNT_CHANGE_SCHEMA: &str =
    include_str!("../../shared/tests/data/ocsf/account-change-3001-v1.1.0.schema.json");

/// The class's compiled schema; `None` for a class Security Lake sources here
/// do not take (the batch refuses those by their `class_uid`), and `Some(None)`
/// should the schema not compile (a test holds that it does).
fn validator(class_uid: i64) -> Option<Option<&'static Validator>> {
    static AUTH: OnceLock<Option<Validator>> = OnceLock::new();
    static ACCOUNT: OnceLock<Option<Validator>> = OnceLock::new();
    let (cell, text) = match crate::layout::class_of_uid(class_uid)? {
        AUTHENTICATION => (&AUTH, AUTHENTICATION_SCHEMA),
        ACCOUNT_CHANGE => (&ACCOUNT, ACCOUNT_CHANGE_SCHEMA),
        _ => return None,
    };
    Some(
        cell.get_or_init(|| {
            let schema: Value = serde_json::from_str(text).ok()?;
            // fancy-regex, as the reference results were made with: the OCSF
            // ip_t and uuid_t patterns must compile and run.
            jsonschema::draft202012::options()
                .with_pattern_options(PatternOptions::fancy_regex())
                .build(&schema)
                .ok()
        })
        .as_ref(),
    )
}

/// Why `record` is not an OCSF 1.1.0 record of its class, or `None` when it
/// is one (or of a class other than 3001 and 3002, refused elsewhere). The
/// reason names a place and a rule, never a value of the record.
pub fn nonconformance(record: &Value) -> Option<String> {
    let class_uid = record.get("class_uid").and_then(Value::as_i64)?;
    let Some(validator) = validator(class_uid)? else {
        return Some(format!(
            "the OCSF 1.1.0 schema of class {class_uid} did not compile"
        ));
    };
    if let Some(error) = validator.iter_errors(record).next() {
        return Some(describe(&error));
    }
    // The one rule the schema cannot say.
    let activity_id = record.get("activity_id").and_then(Value::as_i64);
    let type_uid = record.get("type_uid").and_then(Value::as_i64);
    match (activity_id, type_uid) {
        (Some(a), Some(t)) if t != class_uid * 100 + a => {
            Some("type_uid is not class_uid * 100 + activity_id".into())
        }
        _ => None,
    }
}

fn describe(error: &ValidationError<'_>) -> String {
    let at = error.instance_path.as_str();
    let at = if at.is_empty() { "the record" } else { at };
    match &error.kind {
        ValidationErrorKind::Required { property } => {
            format!("{at} lacks {property}, which OCSF 1.1.0 requires")
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            format!(
                "{at} has {} OCSF 1.1.0 does not define",
                unexpected.join(", ")
            )
        }
        _ => {
            let rule = error
                .schema_path
                .as_str()
                .rsplit('/')
                .next()
                .unwrap_or("schema");
            format!("{at} fails OCSF 1.1.0's `{rule}`")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_schemas_compile() {
        assert!(matches!(validator(3002), Some(Some(_))));
        assert!(matches!(validator(3001), Some(Some(_))));
        assert!(validator(4001).is_none());
    }

    #[test]
    fn a_record_missing_what_ocsf_requires_is_refused_without_its_values() {
        let record = json!({
            "activity_id": 1, "class_uid": 3002, "time": 1_732_400_000_000_i64,
            "metadata": {"version": "1.1.0"}, "cloud": {"region": "eu-west-1"}
        });
        let why = nonconformance(&record).expect("refused");
        assert!(why.contains("lacks") || why.contains("/metadata"), "{why}");
        assert!(!why.contains("eu-west-1"), "{why}");
    }
}
