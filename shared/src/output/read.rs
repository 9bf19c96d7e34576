//! Lines this library wrote, read back: routes that start from delivered
//! objects (the Security Lake writer reads what the Firehose route left in
//! the activity bucket) need the normalized record inside a `normalized`
//! line or a `splunk` event, and need to tell those lines from OCSF, ECS and
//! raw Cognito records.
//!
//! A line's format is told by its first key, which every writer here writes
//! first and no Cognito record starts with: `schema_version` (normalized),
//! `time` or `source` (splunk: `time` is left out when the event has none),
//! `activity_id` (OCSF), `@timestamp` or `ecs` (ECS). Anything else is not
//! ours and is left to the caller (a raw record goes through the pipeline).

use serde::Deserialize;

use crate::error::JsonFault;
use crate::normalize::Normalized;

/// A line one of this library's formats wrote.
#[derive(Debug)]
pub enum Written<'a> {
    /// A `normalized` line, or a `splunk` event: the normalized record.
    Normalized(Box<Normalized<'a>>),
    /// An `ocsf` line; its `metadata.version` says which OCSF version.
    Ocsf,
    /// An `ecs` line.
    Ecs,
}

/// Why a line that looks like ours cannot be read back: the kind of fault
/// and where, never serde's message, which quotes the line's values (an
/// address, a user name) and reaches logs and error reports.
#[derive(Debug, thiserror::Error)]
#[error("a {format} line that cannot be read back: {fault}")]
pub struct ReadError {
    pub format: &'static str,
    pub fault: JsonFault,
}

/// The splunk framing; only the event inside is needed.
#[derive(Deserialize)]
struct Hec<'a> {
    #[serde(borrow)]
    event: Normalized<'a>,
}

/// Which of our formats `line` is in, with the normalized record where the
/// format carries it; `Ok(None)` when the line is not one we write.
pub fn read_line(line: &[u8]) -> Result<Option<Written<'_>>, ReadError> {
    let fail = |format| {
        move |error: serde_json::Error| ReadError {
            format,
            fault: JsonFault::from_serde(&error),
        }
    };
    Ok(Some(match first_key(line) {
        Some(b"schema_version") => Written::Normalized(Box::new(
            serde_json::from_slice(line).map_err(fail("normalized"))?,
        )),
        Some(b"time" | b"source") => {
            let hec: Hec<'_> = serde_json::from_slice(line).map_err(fail("splunk"))?;
            Written::Normalized(Box::new(hec.event))
        }
        Some(b"activity_id") => Written::Ocsf,
        Some(b"@timestamp" | b"ecs") => Written::Ecs,
        _ => return Ok(None),
    }))
}

/// The first key of a JSON object, when it has no escapes (ours never do).
fn first_key(line: &[u8]) -> Option<&[u8]> {
    fn skip_space(text: &[u8]) -> &[u8] {
        let n = text.iter().take_while(|b| b" \t\r\n".contains(b)).count();
        text.get(n..).unwrap_or_default()
    }
    let after_brace = skip_space(line).strip_prefix(b"{")?;
    let key = skip_space(after_brace).strip_prefix(b"\"")?;
    let end = key.iter().position(|&b| b == b'"' || b == b'\\')?;
    (key.get(end) == Some(&b'"'))
        .then(|| key.get(..end))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::parse_documents;
    use crate::config::{Config, OutputFormat};
    use crate::normalize::tests::FIELD_RECORD;
    use crate::normalize::{normalize, Context};

    fn written(format: OutputFormat) -> Vec<u8> {
        let docs = parse_documents(FIELD_RECORD).expect("the field record parses");
        let doc = docs.first().expect("one document");
        let cfg = Config {
            output_format: format,
            ..Config::default()
        };
        let n = normalize(doc, &Context::default(), &cfg).expect("it normalizes");
        let mut out = Vec::new();
        super::super::write_line(&n, &cfg, &mut out);
        out
    }

    #[test]
    fn every_format_is_told_by_its_first_key() {
        for format in OutputFormat::ALL {
            let line = written(format);
            let got = read_line(&line).expect("our own line reads back");
            match (format, got) {
                (OutputFormat::Normalized | OutputFormat::Splunk, Some(Written::Normalized(n))) => {
                    let mut again = Vec::new();
                    super::super::write_normalized(&n, &mut again);
                    let normalized = written(OutputFormat::Normalized);
                    assert_eq!(again, normalized.trim_ascii_end(), "{format:?}");
                }
                (OutputFormat::Ocsf, Some(Written::Ocsf))
                | (OutputFormat::Ecs, Some(Written::Ecs)) => {}
                (format, got) => panic!("{format:?} read as {got:?}"),
            }
        }
    }

    #[test]
    fn raw_records_and_other_text_are_not_ours() {
        assert!(read_line(FIELD_RECORD.as_bytes())
            .expect("no error")
            .is_none());
        for text in [
            "",
            "{",
            "[]",
            "{}",
            "{\"sc\\u0068ema_version\":\"1\"}",
            "not json",
            " { \"eventType\": 1 }",
        ] {
            assert!(
                read_line(text.as_bytes()).expect("no error").is_none(),
                "{text:?}"
            );
        }
        assert_eq!(first_key(b" {\n \"time\" : 1}"), Some(&b"time"[..]));
    }

    #[test]
    fn a_line_of_ours_with_values_this_version_does_not_write_is_refused() {
        // Named by format, kind of fault and place: never by the value,
        // which could be anything a line carries (serde's own message
        // quotes it).
        for (line, format, column, value) in [
            (
                r#"{"schema_version":"2","kind":"user_activity"}"#,
                "normalized",
                21,
                "\"2\"",
            ),
            (
                r#"{"schema_version":"1","kind":"login"}"#,
                "normalized",
                37,
                "login",
            ),
            (
                r#"{"time":1.5,"event":{"schema_version":"1"}}"#,
                "splunk",
                42,
                "schema_version\":\"1",
            ),
        ] {
            let err = read_line(line.as_bytes()).expect_err(line);
            assert_eq!(err.format, format, "{line}");
            assert_eq!(err.fault.kind, "unexpected shape", "{line}");
            assert_eq!((err.fault.line, err.fault.column), (1, column), "{line}");
            assert!(!format!("{err} {err:?}").contains(value), "{line}: {err}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn any_bytes_are_answered_without_a_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            let _ = read_line(&bytes);
        }

        #[test]
        fn any_record_written_as_normalized_or_splunk_reads_back_to_the_same_record(
            text in crate::normalize::generated_records()
        ) {
            let Ok(docs) = parse_documents(&text) else { return Ok(()) };
            for doc in &docs {
                let Ok(n) = normalize(doc, &Context::default(), &Config::default()) else { continue };
                let mut normalized = Vec::new();
                super::super::write_normalized(&n, &mut normalized);
                for format in [OutputFormat::Normalized, OutputFormat::Splunk] {
                    let cfg = Config { output_format: format, ..Config::default() };
                    let mut line = Vec::new();
                    super::super::write_line(&n, &cfg, &mut line);
                    let Ok(Some(Written::Normalized(back))) = read_line(&line) else {
                        panic!("{format:?} did not read back: {}", String::from_utf8_lossy(&line));
                    };
                    let mut again = Vec::new();
                    super::super::write_normalized(&back, &mut again);
                    proptest::prop_assert_eq!(&again, &normalized);
                }
            }
        }
    }
}
