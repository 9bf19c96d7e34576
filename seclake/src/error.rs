//! Errors of this crate: one enum, lowercase messages that say where and
//! what, and never echo a record's contents (they reach logs).

/// Why a record could not be placed, or an object not written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The record's `class_uid` is neither Authentication nor Account Change.
    #[error("record has no class this writer knows (class_uid {class_uid:?})")]
    UnknownClass { class_uid: Option<i64> },
    /// The record has no `time`, or one not after 1970 (0 is what the
    /// OCSF mapping writes for a record without one) or past year 9999.
    #[error("record has no usable time")]
    NoTime,
    /// No `--region` was given and the record has no usable `cloud.region`.
    #[error("record has no usable region (give one explicitly)")]
    NoRegion,
    /// A partition value that would not make a safe S3 key segment.
    #[error("invalid {what}: must match {rule}")]
    InvalidSegment {
        what: &'static str,
        rule: &'static str,
    },
    /// The Arrow decoder refused the rows (a field the schema lacks, or a
    /// value of the wrong type): a line taken as it is that the schema does
    /// not fit, refused alone when the batch is finished, or else the schema and the
    /// mapping disagree.
    #[error("rows do not fit the {class} schema")]
    Schema {
        class: &'static str,
        #[source]
        source: arrow_schema::ArrowError,
    },
    /// The Parquet writer failed.
    #[error("writing the {class} parquet object")]
    Parquet {
        class: &'static str,
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A normalized event did not serialize to JSON.
    #[error("serializing an OCSF record")]
    Serialize(#[source] serde_json::Error),
}
