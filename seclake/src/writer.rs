//! Rows of one class to one Apache Parquet object.
//!
//! The rows go through `arrow-json`'s decoder in strict mode against the
//! class's schema ([`crate::schema`]), so a record carrying a field the
//! schema lacks, or a value of another type, is refused instead of
//! silently losing data. Each record is [`check`]ed that way as it is
//! placed in a batch, so one such record is refused alone (its line goes
//! to the error output) and never fails the object of the others.
//! Compression is GZIP (docs/security-lake.md, "Codec": what Security
//! Lake's own objects and AWS's custom-source samples use, and every engine
//! that reads the tables can decode it).
//! `created_by` is fixed, so the same rows give the same bytes whatever the
//! parquet crate's version.

use arrow_json::reader::Decoder;
use arrow_json::ReaderBuilder;
use cognito_activity::taxonomy::Class;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel};
use parquet::file::properties::WriterProperties;
use serde_json::Value;

use crate::{row, schema, Error};

/// Rows handed to the Arrow decoder at a time.
const CHUNK: usize = 1024;

/// The writer's `created_by`.
pub const CREATED_BY: &str = "cognito-activity-seclake";

/// Whether `record` decodes against `class`'s schema as [`write_parquet`]
/// decodes it (strict mode): `Err` names what does not fit.
pub fn check(class: Class, record: &Value) -> Result<(), Error> {
    let schema_err = |source| schema_error(class, source);
    let mut decoder = strict_decoder(class, 1)?;
    decoder
        .serialize(&[row::prepare(record.clone())])
        .map_err(schema_err)?;
    decoder.flush().map_err(schema_err)?;
    Ok(())
}

fn schema_error(class: Class, source: arrow_schema::ArrowError) -> Error {
    Error::Schema {
        class: class.name,
        source,
    }
}

/// The strict Arrow decoder of `class`'s rows, `batch_size` rows a batch.
fn strict_decoder(class: Class, batch_size: usize) -> Result<Decoder, Error> {
    ReaderBuilder::new(schema::schema(class))
        .with_strict_mode(true)
        .with_batch_size(batch_size)
        .build_decoder()
        .map_err(|source| schema_error(class, source))
}

/// Writes `records` (OCSF records of `class`, as the mapping emits them)
/// as one Parquet object, sorted by `time` (stable: records with the same
/// time keep their input order). Returns the object's bytes.
pub fn write_parquet(class: Class, mut records: Vec<Value>) -> Result<Vec<u8>, Error> {
    records.sort_by_key(|r| row::time_ms(r).unwrap_or(i64::MIN));
    let schema = schema::schema(class);
    let props = WriterProperties::builder()
        .set_compression(Compression::GZIP(GzipLevel::default()))
        .set_created_by(CREATED_BY.to_string())
        .build();
    let parquet_err = |source| Error::Parquet {
        class: class.name,
        source,
    };
    let schema_err = |source| schema_error(class, source);
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema, Some(props)).map_err(parquet_err)?;
    let mut decoder = strict_decoder(class, CHUNK)?;
    let mut rows = records.into_iter().map(row::prepare).peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Value> = rows.by_ref().take(CHUNK).collect();
        decoder.serialize(&chunk).map_err(schema_err)?;
        if let Some(batch) = decoder.flush().map_err(schema_err)? {
            writer.write(&batch).map_err(parquet_err)?;
        }
    }
    writer.close().map_err(parquet_err)?;
    Ok(out)
}
