//! Rows of one class to one Apache Parquet object.
//!
//! The rows go through `arrow-json`'s decoder in strict mode against the
//! class's schema ([`crate::schema`]), so a record carrying a field the
//! schema lacks, or a value of another type, is refused instead of
//! silently losing data. When the schema refuses an object's rows, each
//! row is [`check`]ed that way alone ([`crate::Batch::finish`]), so one
//! such record is refused alone (its line goes to the error output) and
//! never fails the object of the others. Rows
//! come as [`Row`]s, the records' JSON text, which the decoder reads as
//! it is.
//! Compression is GZIP (docs/security-lake.md, "Codec": what Security
//! Lake's own objects and AWS's custom-source samples use, and every engine
//! that reads the tables can decode it).
//! `created_by` is fixed, so the same rows give the same bytes whatever the
//! parquet crate's version.

use std::collections::btree_map::{BTreeMap, Entry};

use arrow_json::reader::Decoder;
use arrow_json::ReaderBuilder;
use cognito_activity::taxonomy::Class;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel};
use parquet::file::properties::WriterProperties;

use crate::row::Row;
use crate::{schema, Error};

/// Rows handed to the Arrow decoder at a time.
const CHUNK: usize = 1024;

/// The writer's `created_by`.
pub const CREATED_BY: &str = "cognito-activity-seclake";

/// Whether `row` decodes against `class`'s schema as [`write_parquet`]
/// decodes it (strict mode): `Err` names what does not fit. A batch checks
/// with a [`Checker`] instead, which keeps its decoders.
pub fn check(class: Class, row: &Row) -> Result<(), Error> {
    Checker::default().check(class, row)
}

/// [`check`] for many rows: one decoder per class, kept from row to row
/// (building one for the wide OCSF schemas costs more than decoding a
/// row), and built again after it refused a row, whose state after an
/// error is not promised.
#[derive(Debug, Default)]
pub struct Checker {
    /// By class uid.
    decoders: BTreeMap<u32, Decoder>,
}

impl Checker {
    /// As [`check`].
    pub fn check(&mut self, class: Class, row: &Row) -> Result<(), Error> {
        let decoder = match self.decoders.entry(class.uid) {
            Entry::Occupied(kept) => kept.into_mut(),
            Entry::Vacant(none) => none.insert(strict_decoder(class, 1)?),
        };
        let checked = decode(decoder, row.json()).and_then(|()| decoder.flush().map(drop));
        if checked.is_err() {
            self.decoders.remove(&class.uid);
        }
        checked.map_err(|source| schema_error(class, source))
    }
}

/// Hands one row's JSON text to `decoder`, which must have room for it.
fn decode(decoder: &mut Decoder, mut json: &[u8]) -> Result<(), arrow_schema::ArrowError> {
    while !json.is_empty() {
        let read = decoder.decode(json)?;
        if read == 0 {
            // The decoder takes no more until flushed: a row is one JSON
            // value, and the callers flush before the batch is full.
            return Err(arrow_schema::ArrowError::JsonError(
                "the decoder refused a row's text".into(),
            ));
        }
        json = json.get(read..).unwrap_or_default();
    }
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

/// Writes `rows` (OCSF records of `class`, as [`Row`]s) as one Parquet
/// object, sorted by `time` (stable: records with the same time keep their
/// input order). Returns the object's bytes.
pub fn write_parquet(class: Class, rows: &[Row]) -> Result<Vec<u8>, Error> {
    let mut rows: Vec<&Row> = rows.iter().collect();
    rows.sort_by_key(|r| r.time_ms().unwrap_or(i64::MIN));
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
    for chunk in rows.chunks(CHUNK) {
        for row in chunk {
            decode(&mut decoder, row.json()).map_err(schema_err)?;
        }
        if let Some(batch) = decoder.flush().map_err(schema_err)? {
            writer.write(&batch).map_err(parquet_err)?;
        }
    }
    writer.close().map_err(parquet_err)?;
    Ok(out)
}
