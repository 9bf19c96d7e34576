//! Amazon Security Lake custom sources: the library's OCSF 1.1.0 records,
//! one class per Apache Parquet object, under Security Lake's layout.
//!
//! Security Lake reads custom sources as Parquet objects of one OCSF class
//! each, partitioned by region, account and day
//! (<https://docs.aws.amazon.com/security-lake/latest/userguide/custom-sources.html>).
//! This crate holds what that takes and nothing else, so the Arrow and
//! Parquet crates stay out of the Firehose transformer:
//!
//! - [`schema`]: the Arrow schema of each class, declared once, held equal
//!   to what the mapping emits by tests;
//! - [`row`]: one record as one row (`unmapped` flattened to a string map);
//! - [`writer`]: rows of one class to one GZIP Parquet object, sorted by time;
//! - [`layout`]: source names, partitions, deterministic object keys;
//! - [`lines`]: any line the project reads or writes (raw Cognito records,
//!   `normalized`, `splunk`, OCSF 1.1.0) to OCSF 1.1.0 records;
//! - [`Batch`]: records in, one object per class, region, account and day out.
//!
//! docs/security-lake.md describes the sources, the layout and the choices.

pub mod conformance;
mod error;
pub mod layout;
pub mod lines;
pub mod row;
pub mod schema;
pub mod writer;

use std::collections::BTreeMap;

use cognito_activity::config::{OcsfVersion, OutputFormat};
use cognito_activity::normalize::Normalized;
use cognito_activity::output::ocsf;
use cognito_activity::Config;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use error::Error;
pub use layout::{Partition, Source, SOURCES};

/// The OCSF record of one normalized event, at schema version 1.1.0 (what
/// Security Lake expects) whatever `cfg.ocsf_version` says; every other
/// setting (privacy modes, hash key) is `cfg`'s.
pub fn record(n: &Normalized<'_>, cfg: &Config) -> Result<Value, Error> {
    let cfg = Config {
        output_format: OutputFormat::Ocsf,
        ocsf_version: OcsfVersion::V1_1_0,
        ..cfg.clone()
    };
    serde_json::to_value(ocsf::to_record(n, &cfg)).map_err(Error::Serialize)
}

/// One written object.
#[derive(Debug)]
pub struct Object {
    pub partition: Partition,
    /// The key under the bucket (or directory): prefix and object name.
    pub key: String,
    /// The object's name, the last segment of `key`.
    pub name: String,
    pub rows: usize,
    pub bytes: Vec<u8>,
}

/// A line whose records the schema refused when the batch was finished:
/// none of its records is in any object.
#[derive(Debug)]
pub struct Refused {
    /// The caller's tag for the line (as given to [`Batch::add_all`]).
    pub line: u64,
    /// The records the line had placed, now taken out again.
    pub rows: usize,
    /// Why: the schema's refusal of the line's first record that does not fit.
    pub error: Error,
}

/// What a finished batch gives.
#[derive(Debug)]
pub struct Finished {
    /// One object per partition, in key order.
    pub objects: Vec<Object>,
    /// The lines whose records the class schemas refuse, in ascending tag
    /// order.
    pub refused: Vec<Refused>,
}

/// The rows of one partition, each with its line's tag and its place
/// among that line's records.
#[derive(Debug, Default)]
struct Group {
    rows: Vec<row::Row>,
    lines: Vec<(u64, u32)>,
}

/// Records grouped into partitions, then written one object per partition.
#[derive(Debug)]
pub struct Batch {
    account_id: String,
    region: Option<String>,
    source_version: Option<String>,
    inputs: Sha256,
    groups: BTreeMap<Partition, Group>,
}

impl Batch {
    /// `account_id` is the `accountId` partition of every object; `region`,
    /// when given, the `region` partition of every object (else each
    /// record's `cloud.region`); `source_version` the optional version
    /// segment of the sources' location.
    pub fn new(
        account_id: &str,
        region: Option<&str>,
        source_version: Option<&str>,
    ) -> Result<Batch, Error> {
        layout::check_account_id(account_id)?;
        if let Some(r) = region {
            layout::check_region(r)?;
        }
        if let Some(v) = source_version {
            layout::check_source_version(v)?;
        }
        Ok(Batch {
            account_id: account_id.to_string(),
            region: region.map(str::to_string),
            source_version: source_version.map(str::to_string),
            inputs: Sha256::new(),
            groups: BTreeMap::new(),
        })
    }

    /// Feeds one input's bytes to the digest that names the objects. Call
    /// it for every input, in order.
    pub fn add_input(&mut self, bytes: &[u8]) {
        self.inputs.update((bytes.len() as u64).to_be_bytes());
        self.inputs.update(bytes);
    }

    /// Places one OCSF record (as [`record`] makes it) in its partition, as
    /// a line tagged `tag` ([`Batch::add_all`]).
    pub fn add(&mut self, record: Value, tag: u64) -> Result<(), Error> {
        self.add_all(vec![record], tag)
    }

    /// Places every record of one input line, or none when any has no
    /// partition or row: the records of one line go in together or are reported
    /// together. `line` is the caller's tag for the line, given back in
    /// [`Finished::refused`].
    ///
    /// Whether each record fits its class's schema is known only when the
    /// batch is finished ([`Batch::finish`]): checking every record alone
    /// as it was placed decoded it into Arrow twice and cost more than half
    /// of the whole write (docs/security-lake.md).
    pub fn add_all(&mut self, records: Vec<Value>, tag: u64) -> Result<(), Error> {
        let placed = records
            .into_iter()
            .map(|r| Ok((self.partition_of(&r)?, row::Row::new(r)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        for (index, (partition, row)) in placed.into_iter().enumerate() {
            let group = self.groups.entry(partition).or_default();
            group.rows.push(row);
            group
                .lines
                .push((tag, u32::try_from(index).unwrap_or(u32::MAX)));
        }
        Ok(())
    }

    /// The records placed so far (some may yet be refused by the schema).
    pub fn rows(&self) -> usize {
        self.groups.values().map(|g| g.rows.len()).sum()
    }

    fn partition_of(&self, record: &Value) -> Result<Partition, Error> {
        let class_uid = record.get("class_uid").and_then(Value::as_i64);
        let class = class_uid
            .and_then(layout::class_of_uid)
            .ok_or(Error::UnknownClass { class_uid })?;
        // Time 0 is what the OCSF mapping writes for a record with no time
        // at all (`shared/src/output/ocsf.rs`): filed under 1 January 1970, it
        // would sit in a partition no query reads. No Cognito event is that old.
        let event_day = row::time_ms(record)
            .filter(|&t| t > 0)
            .and_then(layout::event_day)
            .ok_or(Error::NoTime)?;
        let region = match &self.region {
            Some(r) => r.clone(),
            None => {
                let r = record
                    .pointer("/cloud/region")
                    .and_then(Value::as_str)
                    .ok_or(Error::NoRegion)?;
                layout::check_region(r).map_err(|_| Error::NoRegion)?;
                r.to_string()
            }
        };
        Ok(Partition {
            class_uid: class.uid,
            region,
            account_id: self.account_id.clone(),
            event_day,
        })
    }

    /// Writes every partition; objects come in key order.
    ///
    /// Each partition is written once, its rows decoded against the class
    /// schema in strict mode as they are written. Only when the schema
    /// refuses a partition is every row checked alone ([`writer::Checker`]):
    /// the lines with a record that does not fit are taken out of every
    /// partition, whole, and the partitions they were in are written again.
    /// So the objects are those of the other lines, byte for byte, as if
    /// the refused lines had never been placed, and the refused lines come
    /// back in [`Finished::refused`]. A partition the schema refuses with
    /// every row fitting alone fails the batch, as any other error does.
    pub fn finish(self) -> Result<Finished, Error> {
        let digest: [u8; 32] = self.inputs.finalize().into();
        let version = self.source_version.as_deref();
        let mut groups: Vec<(Partition, Group)> = self.groups.into_iter().collect();
        let mut written = Vec::with_capacity(groups.len());
        for (partition, group) in &groups {
            written.push(
                match writer::write_parquet(partition.class(), &group.rows) {
                    Ok(bytes) => Some(bytes),
                    Err(Error::Schema { .. }) => None,
                    Err(e) => return Err(e),
                },
            );
        }
        let refused = if written.iter().any(Option::is_none) {
            take_out_refused(&mut groups, &mut written)
        } else {
            Vec::new()
        };
        let mut objects = Vec::with_capacity(groups.len());
        for ((partition, group), bytes) in groups.into_iter().zip(written) {
            if group.rows.is_empty() {
                continue;
            }
            let bytes = match bytes {
                Some(bytes) => bytes,
                None => writer::write_parquet(partition.class(), &group.rows)?,
            };
            let name = partition.object_name(&digest);
            let key = format!("{}{name}", partition.prefix(version));
            objects.push(Object {
                partition,
                key,
                name,
                rows: group.rows.len(),
                bytes,
            });
        }
        Ok(Finished { objects, refused })
    }
}

/// Checks every row of the refused groups alone, takes the rows of every
/// line with a refused record out of every group, and marks the groups it
/// changed to be written again (`None`). A line's reason is its first refused record's,
/// in the line's order, as placing the records one by one would give.
fn take_out_refused(
    groups: &mut [(Partition, Group)],
    written: &mut [Option<Vec<u8>>],
) -> Vec<Refused> {
    let mut checker = writer::Checker::default();
    // Tag -> (index in its line, reason) of the first refused record.
    let mut first: BTreeMap<u64, (u32, Error)> = BTreeMap::new();
    // A group written whole fits its schema row by row: only the refused
    // groups are checked.
    let refused_groups = groups
        .iter()
        .zip(written.iter())
        .filter(|(_, w)| w.is_none());
    for ((partition, group), _) in refused_groups {
        for (row, &(line, index)) in group.rows.iter().zip(&group.lines) {
            if first.get(&line).is_some_and(|(at, _)| *at < index) {
                continue;
            }
            if let Err(error) = checker.check(partition.class(), row) {
                first.insert(line, (index, error));
            }
        }
    }
    let mut rows: BTreeMap<u64, usize> = BTreeMap::new();
    for ((_, group), bytes) in groups.iter_mut().zip(written.iter_mut()) {
        let before = group.rows.len();
        let keep: Vec<bool> = group
            .lines
            .iter()
            .map(|(line, _)| !first.contains_key(line))
            .collect();
        for (line, _) in group.lines.iter().filter(|(l, _)| first.contains_key(l)) {
            *rows.entry(*line).or_default() += 1;
        }
        let mut keep_rows = keep.iter();
        group
            .rows
            .retain(|_| keep_rows.next().copied().unwrap_or(true));
        let mut keep_lines = keep.iter();
        group
            .lines
            .retain(|_| keep_lines.next().copied().unwrap_or(true));
        if group.rows.len() != before {
            *bytes = None;
        }
    }
    first
        .into_iter()
        .map(|(line, (_, error))| Refused {
            line,
            rows: rows.get(&line).copied().unwrap_or_default(),
            error,
        })
        .collect()
}

#[cfg(test)]
mod tests;
