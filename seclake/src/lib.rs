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

/// Records grouped into partitions, then written one object per partition.
#[derive(Debug)]
pub struct Batch {
    account_id: String,
    region: Option<String>,
    source_version: Option<String>,
    inputs: Sha256,
    groups: BTreeMap<Partition, Vec<row::Row>>,
    checker: writer::Checker,
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
            checker: writer::Checker::default(),
        })
    }

    /// Feeds one input's bytes to the digest that names the objects. Call
    /// it for every input, in order.
    pub fn add_input(&mut self, bytes: &[u8]) {
        self.inputs.update((bytes.len() as u64).to_be_bytes());
        self.inputs.update(bytes);
    }

    /// Places one OCSF record (as [`record`] makes it) in its partition,
    /// once it is known to fit its class's schema ([`writer::check`]).
    pub fn add(&mut self, record: Value) -> Result<(), Error> {
        self.add_all(vec![record])
    }

    /// Places every record, or none when any cannot be placed: the records
    /// of one input line go in together or are reported together.
    pub fn add_all(&mut self, records: Vec<Value>) -> Result<(), Error> {
        let placed = records
            .into_iter()
            .map(|r| {
                let partition = self.partition_of(&r)?;
                let row = row::Row::new(r)?;
                self.checker.check(partition.class(), &row)?;
                Ok((partition, row))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        for (partition, row) in placed {
            self.groups.entry(partition).or_default().push(row);
        }
        Ok(())
    }

    /// The records placed so far.
    pub fn rows(&self) -> usize {
        self.groups.values().map(Vec::len).sum()
    }

    fn partition_of(&self, record: &Value) -> Result<Partition, Error> {
        let class_uid = record.get("class_uid").and_then(Value::as_i64);
        let class = class_uid
            .and_then(layout::class_of_uid)
            .ok_or(Error::UnknownClass { class_uid })?;
        let event_day = row::time_ms(record)
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
    pub fn finish(self) -> Result<Vec<Object>, Error> {
        let digest: [u8; 32] = self.inputs.finalize().into();
        let version = self.source_version.as_deref();
        self.groups
            .into_iter()
            .map(|(partition, group)| {
                let rows = group.len();
                let bytes = writer::write_parquet(partition.class(), group)?;
                let name = partition.object_name(&digest);
                let key = format!("{}{name}", partition.prefix(version));
                Ok(Object {
                    partition,
                    key,
                    name,
                    rows,
                    bytes,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
