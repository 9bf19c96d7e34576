//! One input line to the OCSF 1.1.0 records Security Lake takes, whatever
//! the line is: a raw Cognito record or CloudWatch Logs envelope (through
//! the library's pipeline, privacy modes and filters from the
//! configuration), a `normalized` line or a `splunk` event (the normalized
//! record inside, mapped by the library), or an OCSF 1.1.0 line (as it is).
//! ECS lines and OCSF at another version cannot be taken: Security Lake
//! checks custom sources against OCSF 1.1, and neither carries what the
//! mapping needs to write it.
//!
//! The CLI's `security-lake` command and the Security Lake writer Lambda
//! both read lines through [`add_line`].

use cognito_activity::config::{OcsfVersion, OutputFormat};
use cognito_activity::error::JsonFault;
use cognito_activity::normalize::Context;
use cognito_activity::output::read::{read_line, ReadError, Written};
use cognito_activity::pipeline::{self, Holds, RecordOutcome};
use cognito_activity::{Config, RecordError, Stats};
use serde_json::Value;

use crate::{record, Batch, Error};

/// The OCSF version Security Lake's custom sources take.
pub const OCSF_VERSION: &str = "1.1.0";

/// Why a line gave no rows. Messages name the cause, never the line's
/// contents (they reach logs and error reports).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// A raw line the pipeline refused.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A line in one of our formats that does not read back.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// An OCSF line that is not JSON (where, never serde's message, which
    /// may quote the line).
    #[error("an ocsf line that is not JSON: {0}")]
    Json(JsonFault),
    /// An OCSF line at a version Security Lake does not take.
    #[error("an ocsf line at OCSF version {found}: Security Lake custom sources take {OCSF_VERSION} (set OCSF_VERSION=1.1.0, or deliver normalized or splunk lines)")]
    OcsfVersion { found: String },
    /// An OCSF 1.1.0 line its class's schema refuses (what is missing or
    /// wrong, and where; never a value of the line).
    #[error("an ocsf line that is not OCSF 1.1.0: {0}")]
    Nonconformant(String),
    /// An ECS line.
    #[error(
        "an ecs line: Security Lake takes OCSF (deliver normalized, splunk or ocsf 1.1.0 lines)"
    )]
    Ecs,
    /// A record the batch cannot place (no time, region or known class).
    #[error(transparent)]
    Lake(#[from] Error),
}

/// The configuration that [`add_line`] wants: `cfg` with the OCSF 1.1.0
/// format, its privacy modes and filters kept.
pub fn ocsf_config(cfg: &Config) -> Config {
    Config {
        output_format: OutputFormat::Ocsf,
        ocsf_version: OcsfVersion::V1_1_0,
        ..cfg.clone()
    }
}

/// A line's `metadata.version` as an error may show it: when it has a
/// version's shape (`1.1.0`, `1.8.0-dev`: at most three dotted numbers, an
/// optional lowercase suffix, 16 bytes in all), else a placeholder, so that
/// no other value of the line (an address, a user name put in the wrong
/// field) reaches a message.
fn shown_version(version: Option<&str>) -> String {
    let Some(v) = version else {
        return "(none)".to_string();
    };
    let (number, suffix) = v.split_once('-').unwrap_or((v, ""));
    let parts: Vec<&str> = number.split('.').collect();
    let shaped = v.len() <= 16
        && parts.len() <= 3
        && parts
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
        && suffix
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
    if shaped {
        v.to_string()
    } else {
        "(not a version)".to_string()
    }
}

/// Adds the records of one line to `batch`, tagged `tag`: all of them, or
/// none when the line cannot be used. Answers how many rows it added (0
/// when the configuration's filters dropped every event of a raw line);
/// the schema may still refuse them when the batch is finished
/// ([`crate::Finished::refused`]).
/// `cfg` is [`ocsf_config`]'s; `ctx` says where raw lines came from.
pub fn add_line(
    batch: &mut Batch,
    tag: u64,
    line: &[u8],
    ctx: &Context<'_>,
    cfg: &Config,
    stats: &mut Stats,
) -> Result<usize, LineError> {
    let records = match read_line(line)? {
        Some(Written::Normalized(n)) => vec![record(&n, cfg)?],
        Some(Written::Ocsf) => {
            let v: Value = serde_json::from_slice(line)
                .map_err(|e| LineError::Json(JsonFault::from_serde(&e)))?;
            let version = v.pointer("/metadata/version").and_then(Value::as_str);
            if version != Some(OCSF_VERSION) {
                return Err(LineError::OcsfVersion {
                    found: shown_version(version),
                });
            }
            if let Some(why) = crate::conformance::nonconformance(&v) {
                return Err(LineError::Nonconformant(why));
            }
            vec![v]
        }
        Some(Written::Ecs) => return Err(LineError::Ecs),
        None => raw(line, ctx, cfg, stats)?,
    };
    let rows = records.len();
    batch.add_all(records, tag)?;
    Ok(rows)
}

/// A raw Cognito line through the pipeline, in OCSF 1.1.0.
fn raw(
    line: &[u8],
    ctx: &Context<'_>,
    cfg: &Config,
    stats: &mut Stats,
) -> Result<Vec<Value>, LineError> {
    let holds = Holds::DocumentsOrEnvelope { compressed: false };
    match pipeline::transform(line, holds, ctx, cfg, stats) {
        RecordOutcome::Ok { output, .. } => output
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).map_err(|e| Error::Serialize(e).into()))
            .collect(),
        RecordOutcome::Dropped { .. } => Ok(Vec::new()),
        RecordOutcome::Failed(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cognito_activity::config::{HashKey, IpMode, UserNameMode};
    use cognito_activity::fixtures;

    /// Raw lines: every fixture of the library, and a few this crate adds.
    fn raw_lines() -> Vec<String> {
        let mut lines = fixtures::lines();
        lines.push(r#"{"eventSource":"USER_AUTH_EVENTS","message":{}}"#.to_string());
        lines
    }

    fn ctx() -> Context<'static> {
        Context {
            account_id: Some("123456789012".into()),
            ..Context::default()
        }
    }

    /// `line` written by the pipeline in `format` with `cfg`'s privacy modes.
    fn written(line: &str, format: OutputFormat, ocsf: OcsfVersion, cfg: &Config) -> Vec<u8> {
        let cfg = Config {
            output_format: format,
            ocsf_version: ocsf,
            ..cfg.clone()
        };
        let holds = Holds::DocumentsOrEnvelope { compressed: false };
        match pipeline::transform(line.as_bytes(), holds, &ctx(), &cfg, &mut Stats::default()) {
            RecordOutcome::Ok { output, .. } => output,
            other => panic!("a fixture that does not transform: {other:?}"),
        }
    }

    type Answers = (Vec<String>, Vec<(String, usize, Vec<u8>)>);

    /// Each line's answer, and the objects written.
    fn lake(lines: &[Vec<u8>], raw: &[String], cfg: &Config) -> Answers {
        let cfg = ocsf_config(cfg);
        let mut batch = Batch::new("123456789012", None, Some("1.0")).expect("a batch");
        let mut answers = Vec::new();
        for (text, raw) in lines.iter().zip(raw) {
            batch.add_input(raw.as_bytes());
            for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let tag = answers.len() as u64;
                let answer = add_line(&mut batch, tag, line, &ctx(), &cfg, &mut Stats::default());
                answers.push(match answer {
                    Ok(rows) => format!("{rows} rows"),
                    Err(e) => e.to_string(),
                });
            }
        }
        let finished = batch.finish().expect("objects");
        for refused in finished.refused {
            answers[refused.line as usize] = refused.error.to_string();
        }
        let objects = finished
            .objects
            .into_iter()
            .map(|o| (o.key, o.rows, o.bytes))
            .collect();
        (answers, objects)
    }

    fn hashing() -> Config {
        let mut c = Config {
            ip_mode: IpMode::Hash,
            user_name_mode: UserNameMode::Hash,
            ..Config::default()
        };
        c.hash_key = HashKey::new(b"0123456789abcdef0123".to_vec());
        c
    }

    #[test]
    fn normalized_splunk_and_ocsf_lines_write_the_objects_their_raw_lines_write() {
        let raw = raw_lines();
        for cfg in [Config::default(), hashing()] {
            let as_raw: Vec<Vec<u8>> = raw.iter().map(|l| l.as_bytes().to_vec()).collect();
            let expected = lake(&as_raw, &raw, &cfg);
            assert!(expected.1.len() >= 2, "objects: {:?}", expected.1.len());
            for format in [
                OutputFormat::Normalized,
                OutputFormat::Splunk,
                OutputFormat::Ocsf,
            ] {
                let lines: Vec<Vec<u8>> = raw
                    .iter()
                    .map(|l| written(l, format, OcsfVersion::V1_1_0, &cfg))
                    .collect();
                let got = lake(&lines, &raw, &cfg);
                assert_eq!(got.0, expected.0, "{format:?}");
                assert!(got.1 == expected.1, "{format:?}: other objects");
            }
        }
    }

    /// Why `line` is refused (it must be).
    fn refused(batch: &mut Batch, line: &[u8], cfg: &Config) -> LineError {
        add_line(batch, 1, line, &ctx(), cfg, &mut Stats::default()).expect_err("refused")
    }

    #[test]
    fn refusals_never_quote_the_line() {
        let cfg = ocsf_config(&Config::default());
        let mut batch = Batch::new("123456789012", None, None).expect("a batch");
        let secret = "alice@example.com";
        let ip = "203.0.113.7";
        for line in [
            // Values of the wrong type in our formats.
            format!(r#"{{"schema_version":"1","time_ms":"{ip}"}}"#),
            format!(r#"{{"schema_version":"1","kind":"{secret}"}}"#),
            format!(r#"{{"time":1,"event":{{"schema_version":"1","time_ms":"{ip}"}}}}"#),
            // OCSF that is not JSON, or names a version that is not one.
            format!(r#"{{"activity_id":1,"user":"{secret}"#),
            format!(r#"{{"activity_id":1,"metadata":{{"version":"{secret}"}}}}"#),
            format!(r#"{{"activity_id":1,"metadata":{{"version":"{ip}x"}}}}"#),
        ] {
            let err = refused(&mut batch, line.as_bytes(), &cfg);
            let message = format!("{err} {err:?}");
            assert!(
                !message.contains(secret) && !message.contains(ip),
                "{line}: {message}"
            );
        }
        assert_eq!(shown_version(Some("1.1.0")), "1.1.0");
        assert_eq!(shown_version(Some("1.8.0-dev")), "1.8.0-dev");
    }

    #[test]
    fn ecs_and_other_ocsf_versions_are_refused_with_the_fix() {
        let raw = &raw_lines()[0];
        let cfg = ocsf_config(&Config::default());
        for (format, version, why) in [
            (OutputFormat::Ecs, OcsfVersion::V1_1_0, "an ecs line"),
            (
                OutputFormat::Ocsf,
                OcsfVersion::V1_8_0,
                "OCSF version 1.8.0:",
            ),
        ] {
            let line = written(raw, format, version, &cfg);
            let mut batch = Batch::new("123456789012", None, None).expect("a batch");
            let err = refused(&mut batch, line.trim_ascii_end(), &cfg);
            assert!(err.to_string().contains(why), "{err}");
            assert_eq!(batch.rows(), 0);
        }
    }

    #[test]
    fn an_ocsf_line_its_class_schema_refuses_is_refused_naming_what_and_where() {
        let cfg = ocsf_config(&Config::default());
        let good = written(
            &raw_lines()[0],
            OutputFormat::Ocsf,
            OcsfVersion::V1_1_0,
            &cfg,
        );
        let good: serde_json::Value =
            serde_json::from_slice(good.trim_ascii_end()).expect("an OCSF line");
        let changed = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut v = good.clone();
            change(&mut v);
            v.to_string()
        };
        let minimal = r#"{"activity_id":1,"class_uid":3002,"time":1732400000000,"metadata":{"version":"1.1.0"},"cloud":{"region":"eu-west-1"}}"#;
        for (line, why) in [
            (minimal.to_string(), "lacks"),
            (
                changed(&|v| v["status_id"] = 12345.into()),
                "/status_id fails OCSF 1.1.0's `enum`",
            ),
            (
                changed(&|v| v["x_extra"] = "another tool's".into()),
                "the record has x_extra OCSF 1.1.0 does not define",
            ),
            (
                changed(&|v| v["user"]["name"] = 7.into()),
                "/user/name fails OCSF 1.1.0's `type`",
            ),
            (
                changed(&|v| {
                    let (a, t) = (
                        v["activity_id"].as_i64().unwrap(),
                        v["type_uid"].as_i64().unwrap(),
                    );
                    v["activity_id"] = (if a == 1 { 2 } else { 1 }).into();
                    v["type_uid"] = t.into();
                }),
                "type_uid is not class_uid * 100 + activity_id",
            ),
        ] {
            let mut batch = Batch::new("123456789012", None, None).expect("a batch");
            let err = refused(&mut batch, line.as_bytes(), &cfg);
            let message = err.to_string();
            assert!(message.contains(why), "{line}: {message}");
            assert!(!message.contains("eu-west-1"), "{message}");
            assert_eq!(batch.rows(), 0);
        }
        // The line as written is taken.
        let mut batch = Batch::new("123456789012", None, None).expect("a batch");
        add_line(
            &mut batch,
            1,
            good.to_string().as_bytes(),
            &ctx(),
            &cfg,
            &mut Stats::default(),
        )
        .expect("taken");
        assert_eq!(batch.rows(), 1);
    }

    #[test]
    fn a_line_is_added_whole_or_not_at_all() {
        // An envelope whose second event has no region: neither is added.
        let event = |pool: &str| {
            serde_json::json!({"id": "1", "timestamp": 1732400020000_i64, "message": format!(
                r#"{{"eventTimestamp":"1732400020000","eventSource":"USER_AUTH_EVENTS","message":{{"eventType":"SignIn","userPoolId":"{pool}"}}}}"#
            )})
        };
        let envelope = serde_json::json!({
            "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "g",
            "logStream": "s", "subscriptionFilters": ["f"],
            "logEvents": [event("eu-west-1_Ab"), event("")],
        });
        let cfg = ocsf_config(&Config::default());
        let mut batch = Batch::new("123456789012", None, None).expect("a batch");
        let line = envelope.to_string();
        refused(&mut batch, line.as_bytes(), &cfg);
        assert_eq!(batch.rows(), 0);
    }
}
