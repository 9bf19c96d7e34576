//! One invocation: each object the event names is read, its lines turned
//! into OCSF 1.1.0 rows (`seclake::lines`), the rows written as one Parquet
//! object per class, region, account and day into the source's location
//! with its provider role, and the lines that could not be used written,
//! with their original bytes and the reason, under the error prefix.
//!
//! Every key written derives from the object read (bucket, key, and a
//! SHA-256 of its bytes), so a retry rewrites the same keys: nothing twice,
//! nothing lost. Not its version: the S3 route rewrites an output object
//! with the same bytes when it retries, and each rewrite is a new version
//! and a new event, whose rows would otherwise land in the lake again under
//! other keys.
//!
//! Any failure to read or write S3 fails the invocation, which Lambda
//! retries and, retries spent, sends to the dead-letter queue; so does
//! reaching the time [`handle`] is given (the invocation's deadline less a
//! margin) with objects unfinished, with that reason, before Lambda cuts it
//! off.

use std::collections::{BTreeMap, BTreeSet};

use cognito_activity::normalize::Context;
use cognito_activity::pipeline::reader::{self, Line, Lines};
use cognito_activity::pipeline::rejected::{Rejections, SOURCE_COPY_SUFFIX};
use cognito_activity::{Config, Stats};
use cognito_activity_aws::lambda::{self, InvocationError};
use cognito_activity_seclake::{layout, lines, Batch};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::capped::Capped;
use crate::settings::Settings;
use crate::store::{Store, StoreError, Writer};
use cognito_activity_aws::events::{self, EventError, ObjectRef};

/// Why an invocation failed (and will be retried).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Event(#[from] EventError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the objects of s3://{bucket}/{key}: {source}")]
    Lake {
        bucket: String,
        key: String,
        #[source]
        source: cognito_activity_seclake::Error,
    },
    #[error("stopped before the invocation's deadline with objects not yet written; Lambda retries the event")]
    Deadline,
}

impl InvocationError for HandlerError {
    fn kind(&self) -> &'static str {
        match self {
            HandlerError::Event(_) => "EventError",
            HandlerError::Store(_) => "S3Error",
            HandlerError::Lake { .. } => "SecurityLakeError",
            HandlerError::Deadline => "DeadlineError",
        }
    }
}

/// What one invocation did, object by object (the function's response).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub objects: Vec<ObjectSummary>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ObjectSummary {
    /// `s3://bucket/key` of the object read.
    pub source: String,
    pub version: String,
    /// Lines with content.
    pub lines: u64,
    pub rows: usize,
    pub written: Vec<WrittenObject>,
    /// Lines that gave no rows and were not filtered: each is under
    /// `error_object`.
    pub rejected: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_object: Option<String>,
    /// The source object's copy beside the error object, when some rejected
    /// lines are held there without their bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_copy: Option<String>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct WrittenObject {
    pub bucket: String,
    pub key: String,
    pub rows: usize,
}

/// Handles one invocation, stopping at `stop_at`. `cfg` is `lines::ocsf_config`'s.
pub async fn handle<S: Store>(
    event: &Value,
    stop_at: Instant,
    settings: &Settings,
    cfg: &Config,
    store: &S,
) -> Result<Summary, HandlerError> {
    let each = lambda::each_object(events::objects_of(event)?, |object| async move {
        handle_object(&object, settings, cfg, store).await
    });
    // serve_events logs the failure with the request id.
    let objects = tokio::time::timeout_at(stop_at, each)
        .await
        .map_err(|_| HandlerError::Deadline)??;
    Ok(Summary { objects })
}

async fn handle_object<S: Store>(
    object: &ObjectRef,
    settings: &Settings,
    cfg: &Config,
    store: &S,
) -> Result<ObjectSummary, HandlerError> {
    let fetched = store.get(object, settings.max_object_bytes).await?;
    let source = format!("s3://{}/{}", object.bucket, object.key);
    let lake_error = |source: cognito_activity_seclake::Error| HandlerError::Lake {
        bucket: object.bucket.clone(),
        key: object.key.clone(),
        source,
    };
    let identity = format!("{source}\n{}", hex(&Sha256::digest(&fetched.body)));
    let mut batch = Batch::new(&settings.account_id, None, None).map_err(lake_error)?;
    batch.add_input(identity.as_bytes());

    let ctx = Context {
        account_id: Some(settings.account_id.as_str().into()),
        ..Context::default()
    };
    let mut stats = Stats::default();
    let version = fetched.pin.name();
    let mut rejected = Rejections::new(&source, &version);
    let mut summary = ObjectSummary {
        source: source.clone(),
        version,
        lines: 0,
        rows: 0,
        written: Vec::new(),
        rejected: 0,
        error_object: None,
        source_copy: None,
    };
    let max_line = cfg.max_decompressed_bytes;
    // The number of the last whole line read, blank ones included: the
    // object cannot be read past it.
    let mut last_line = 0u64;
    let mut read = |summary: &mut ObjectSummary| -> std::io::Result<()> {
        let input = reader::open(fetched.body.as_slice(), max_line as u64)?;
        let mut lines = Lines::new(Capped::new(input, settings.max_object_bytes), max_line);
        while let Some((number, line)) = lines.next_line()? {
            last_line = number;
            match line {
                Line::Text(text) if text.iter().all(u8::is_ascii_whitespace) => continue,
                Line::Text(text) => {
                    summary.lines += 1;
                    match lines::add_line(&mut batch, number, text, &ctx, cfg, &mut stats) {
                        Ok(rows) => summary.rows += rows,
                        Err(e) => {
                            rejected.push(
                                number,
                                "SecurityLake.Unusable",
                                e.to_string(),
                                Some(text),
                            );
                        }
                    }
                }
                Line::TooLong { len } => {
                    summary.lines += 1;
                    rejected.push(
                        number,
                        "SecurityLake.TooLong",
                        format!("line of {len} bytes is longer than MAX_DECOMPRESSED_BYTES ({max_line}); its bytes are in the source object and its copy"),
                        None,
                    );
                }
            }
        }
        Ok(())
    };
    if let Err(e) = read(&mut summary) {
        // Corrupt or over-inflating gzip: what was read stands; the rest of
        // the object is reported (it stays in its bucket).
        tracing::warn!(source = %source, error = %e, "object unreadable past its last whole line");
        rejected.push(
            last_line + 1,
            "SecurityLake.Unreadable",
            format!("the object cannot be read past this line: {e}"),
            None,
        );
    }

    let finished = batch.finish().map_err(lake_error)?;
    if !finished.refused.is_empty() {
        // Lines whose records the schema refused, known only now: their
        // text is read again from the object (rare: our own lines always
        // fit), and they follow the other rejected lines.
        let wanted: BTreeSet<u64> = finished.refused.iter().map(|r| r.line).collect();
        let texts = texts_of(&fetched.body, max_line, &wanted);
        for refused in &finished.refused {
            summary.rows = summary.rows.saturating_sub(refused.rows);
            if !texts.contains_key(&refused.line) {
                tracing::warn!(source = %source, line = refused.line, "a refused line could not be read again; its bytes are in the source object");
            }
            rejected.push(
                refused.line,
                "SecurityLake.Unusable",
                refused.error.to_string(),
                texts.get(&refused.line).map(Vec::as_slice),
            );
        }
    }
    for written in finished.objects {
        let index = layout::SOURCES
            .iter()
            .position(|s| s.class == written.partition.class())
            .unwrap_or(0);
        let Some(target) = settings.sources.get(index) else {
            continue;
        };
        let key = format!(
            "{}{}{}",
            target.prefix,
            written.partition.segments(),
            written.name
        );
        store
            .put(
                Writer::Source(index),
                &target.bucket,
                &key,
                written.bytes,
                "application/vnd.apache.parquet",
            )
            .await?;
        summary.written.push(WrittenObject {
            bucket: target.bucket.clone(),
            key,
            rows: written.rows,
        });
    }

    summary.rejected = rejected.count();
    if !rejected.is_empty() {
        let name = hex(&Sha256::digest(identity.as_bytes())[..16]);
        // Lines held without their bytes (too long, unreadable, past what
        // the error output holds) have them in the source object only: it
        // is copied beside the errors, whole, as it was read. It was read
        // whole into memory, so it is far under CopyObject's limit.
        let copy: Result<String, String> = if rejected.lacks_bytes() {
            let key = format!("{}{name}{SOURCE_COPY_SUFFIX}", settings.error_prefix);
            match store
                .copy(object, &fetched.pin, &settings.error_bucket, &key)
                .await
            {
                Ok(()) => Ok(format!("s3://{}/{key}", settings.error_bucket)),
                // Trying again cannot help (the version is gone, access
                // refused): the lines held with their bytes are still
                // written, the copy named missing.
                Err(StoreError::Call(e)) if e.is_permanent() => {
                    tracing::warn!(source = %source, error = %e, "the source object could not be copied beside its rejected lines");
                    Err(format!("CopyObject failed: {}", e.code))
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            // Not asked for: every line is held with its bytes.
            Err(String::new())
        };
        summary.source_copy = copy.as_ref().ok().cloned();
        let (body, compressed) = rejected.finish(copy.as_deref().map_err(String::as_str));
        let (key, content_type) = if compressed {
            (
                format!("{}{name}.json.gz", settings.error_prefix),
                "application/gzip",
            )
        } else {
            (
                format!("{}{name}.json", settings.error_prefix),
                "application/x-ndjson",
            )
        };
        store
            .put(
                Writer::Function,
                &settings.error_bucket,
                &key,
                body,
                content_type,
            )
            .await?;
        summary.error_object = Some(format!("s3://{}/{key}", settings.error_bucket));
    }
    tracing::info!(
        source = %summary.source,
        lines = summary.lines,
        rows = summary.rows,
        objects = summary.written.len(),
        rejected = summary.rejected,
        filtered = stats.events_filtered,
        "object written to Security Lake"
    );
    Ok(summary)
}

/// Lowercase hexadecimal.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The text of each line of `body` numbered in `wanted`, read as the
/// handler reads them (a line it could not read is left out).
fn texts_of(body: &[u8], max_line: usize, wanted: &BTreeSet<u64>) -> BTreeMap<u64, Vec<u8>> {
    let mut texts = BTreeMap::new();
    let Some(&last) = wanted.last() else {
        return texts;
    };
    let Ok(input) = reader::open(body, max_line as u64) else {
        return texts;
    };
    let mut lines = Lines::new(input, max_line);
    while let Ok(Some((number, line))) = lines.next_line() {
        if let (true, Line::Text(text)) = (wanted.contains(&number), line) {
            texts.insert(number, text.to_vec());
        }
        if number >= last {
            break;
        }
    }
    texts
}
