//! Errors: one per concern, each with a stable, payload-free reason.
//!
//! A [`RecordError`] makes one Firehose record `ProcessingFailed`; it never
//! fails the batch. An [`EventError`] means the invocation itself is not a
//! Firehose event, so there is no record to answer and the Lambda returns an
//! error. Messages name *where* (record, line, column) and *what*, and never
//! echo input bytes: they go to logs, and logs must not carry payloads, IP
//! addresses or user names.

use std::fmt;

/// Why one record could not be transformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// `data` is missing or not a string.
    #[error("record data is missing or not a string")]
    DataMissing,
    /// `data` is not valid base64.
    #[error("record data is not valid base64")]
    Base64,
    /// The decoded record holds no bytes (or only whitespace).
    #[error("record data is empty")]
    Empty,
    /// The gzip stream is truncated or corrupt.
    #[error("gzip data is corrupt or truncated")]
    Gzip,
    /// The gzip stream expands past `MAX_DECOMPRESSED_BYTES`.
    #[error("gzip data expands past the {limit}-byte cap")]
    TooLarge { limit: usize },
    /// The gzip stream expands past what is left of the invocation's
    /// decompression allowance (`decode::INFLATE_RATIO`).
    #[error("gzip data expands past the {limit} bytes this invocation may still inflate")]
    InflateAllowance { limit: usize },
    /// The bytes are not UTF-8.
    #[error("record is not valid UTF-8 at byte {offset}")]
    Utf8 { offset: usize },
    /// The bytes are not JSON, or are nested past the parser's limit.
    #[error("record is not valid JSON: {0}")]
    Json(JsonFault),
    /// Valid JSON that is not a Cognito log record.
    #[error("JSON document {index} is not a Cognito log record: {why}")]
    NotCognito { index: usize, why: &'static str },
    /// A CloudWatch Logs envelope with an unusable shape.
    #[error("CloudWatch Logs envelope is invalid: {why}")]
    Envelope { why: &'static str },
    /// A log event inside a CloudWatch Logs envelope is not a Cognito record.
    #[error("CloudWatch Logs event {index} is unusable: {inner}")]
    LogEvent {
        index: usize,
        inner: Box<RecordError>,
    },
}

impl RecordError {
    /// A short, stable code for metrics and log fields.
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::DataMissing => "data_missing",
            RecordError::Base64 => "base64",
            RecordError::Empty => "empty",
            RecordError::Gzip => "gzip",
            RecordError::TooLarge { .. } => "too_large",
            RecordError::InflateAllowance { .. } => "inflate_allowance",
            RecordError::Utf8 { .. } => "utf8",
            RecordError::Json(_) => "json",
            RecordError::NotCognito { .. } => "not_cognito",
            RecordError::Envelope { .. } => "envelope",
            RecordError::LogEvent { inner, .. } => inner.code(),
        }
    }
}

/// Where and what kind of JSON error, without serde_json's message (which can
/// quote input values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonFault {
    pub kind: &'static str,
    pub line: usize,
    pub column: usize,
}

impl JsonFault {
    pub fn from_serde(err: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let msg = err.to_string();
        let kind = if msg.starts_with("recursion limit exceeded") {
            "nested too deeply"
        } else {
            match err.classify() {
                Category::Io => "io error",
                Category::Syntax => "syntax error",
                Category::Data => "unexpected shape",
                Category::Eof => "unexpected end of input",
            }
        };
        JsonFault {
            kind,
            line: err.line(),
            column: err.column(),
        }
    }
}

impl fmt::Display for JsonFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.kind, self.line, self.column
        )
    }
}

/// Why the invocation as a whole is not a Firehose transformation event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    #[error("event is not valid JSON: {0}")]
    Json(JsonFault),
    #[error("event is not a Firehose transformation event: {why}")]
    NotFirehose { why: String },
}
