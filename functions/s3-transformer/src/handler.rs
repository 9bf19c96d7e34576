//! One invocation. EventBridge `Object Created` events and S3 notifications
//! name objects: each is transformed, and any failure to read or write S3
//! fails the invocation (Lambda retries it, then the dead-letter queue). S3
//! Batch Operations names tasks: each is answered `Succeeded`,
//! `TemporaryFailure` (Batch Operations retries it) or `PermanentFailure`,
//! with a result string, and the job's completion report lists them.
//!
//! Work stops at the time [`handle`] is given (the invocation's deadline
//! less a margin) rather than being cut off by Lambda: an unfinished task is
//! answered `TemporaryFailure`, so Batch Operations retries it (a timed-out
//! invocation is a failed task, and is not), and unfinished objects fail the
//! invocation with a reason, for Lambda to retry. A retry writes the same
//! keys with the same bytes, so objects written before the stop are
//! rewritten, never doubled.

use cognito_activity::pipeline::rejected::SOURCE_COPY_SUFFIX;
use cognito_activity::Config;
use cognito_activity_aws::events::{self, BatchJob, EventError, ObjectRef, TaskCode};
use cognito_activity_aws::lambda::{self, InvocationError};
use cognito_activity_aws::objects;
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use crate::settings::Settings;
use crate::store::{Body, Store, StoreError};
use crate::transform::{Counts, ObjectTransform, Ready};

/// Why an invocation failed (and will be retried).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Event(#[from] EventError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stopped before the invocation's deadline with objects not yet transformed; Lambda retries the event")]
    Deadline,
}

impl InvocationError for HandlerError {
    fn kind(&self) -> &'static str {
        match self {
            HandlerError::Event(_) => "EventError",
            HandlerError::Store(_) => "S3Error",
            HandlerError::Deadline => "DeadlineError",
        }
    }
}

/// What one object came to.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ObjectSummary {
    /// `s3://bucket/key` of the object read.
    pub source: String,
    pub version: String,
    pub lines: u64,
    pub events: u64,
    pub dropped: u64,
    pub rejected: u64,
    /// Keys written under the output bucket.
    pub written: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_object: Option<String>,
    /// The source object's copy beside the error object, when some rejected
    /// lines are held there without their bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_copy: Option<String>,
}

impl ObjectSummary {
    fn result_string(&self) -> String {
        format!(
            "{} lines, {} events in {} objects, {} dropped, {} rejected{}",
            self.lines,
            self.events,
            self.written.len(),
            self.dropped,
            self.rejected,
            self.error_object
                .as_deref()
                .map(|e| format!(" (in {e})"))
                .unwrap_or_default()
        )
    }
}

/// Handles one invocation, stopping at `stop_at`; the value is the
/// function's response.
pub async fn handle<S: Store>(
    event: &Value,
    stop_at: Instant,
    settings: &Settings,
    cfg: &Config,
    store: &S,
) -> Result<Value, HandlerError> {
    if let Some(job) = events::batch_job_of(event) {
        return Ok(handle_job(&job, stop_at, settings, cfg, store).await);
    }
    let objects = events::objects_of(event)?;
    let each = lambda::each_object(objects, |object| async move {
        handle_object(&object, settings, cfg, store).await
    });
    // serve_events logs the failure with the request id.
    let objects = tokio::time::timeout_at(stop_at, each)
        .await
        .map_err(|_| HandlerError::Deadline)??;
    Ok(serde_json::json!({ "objects": objects }))
}

async fn handle_job<S: Store>(
    job: &BatchJob,
    stop_at: Instant,
    settings: &Settings,
    cfg: &Config,
    store: &S,
) -> Value {
    let mut results = Vec::new();
    for task in &job.tasks {
        let object = match &task.object {
            Err(e) => {
                results.push((TaskCode::PermanentFailure, e.to_string()));
                continue;
            }
            Ok(object) => object,
        };
        if Instant::now() >= stop_at {
            results.push((
                TaskCode::TemporaryFailure,
                "not started before the invocation's deadline; retried".to_string(),
            ));
            continue;
        }
        let done = tokio::time::timeout_at(stop_at, handle_object(object, settings, cfg, store));
        results.push(match done.await {
            Ok(Ok(summary)) => (TaskCode::Succeeded, summary.result_string()),
            Ok(Err(e)) if e.is_permanent() => (TaskCode::PermanentFailure, e.to_string()),
            Ok(Err(e)) => (TaskCode::TemporaryFailure, e.to_string()),
            Err(_) => {
                tracing::warn!(bucket = %object.bucket, key = %object.key, reason = "deadline", "task stopped at the invocation's deadline; Batch Operations retries it");
                (
                    TaskCode::TemporaryFailure,
                    "stopped before the invocation's deadline; retried".to_string(),
                )
            }
        });
    }
    job.response(&results)
}

/// Reads one object and writes what it becomes.
pub async fn handle_object<S: Store>(
    object: &ObjectRef,
    settings: &Settings,
    cfg: &Config,
    store: &S,
) -> Result<ObjectSummary, StoreError> {
    let (mut body, pin) = store.open(object).await?;
    let version = pin.name();
    let source = format!("s3://{}/{}", object.bucket, object.key);
    let identity = format!("{source}\n{version}");
    let mut transform = ObjectTransform::new(settings, cfg, &identity, &source, &version);
    let mut written = Vec::new();
    let mut size = 0u64;
    while let Some(chunk) = body.next().await? {
        size += chunk.len() as u64;
        transform.feed(&chunk);
        upload(store, settings, transform.take_ready(), &mut written).await?;
    }
    let finished = transform.finish();
    upload(store, settings, finished.ready, &mut written).await?;
    let mut source_copy = None;
    let error_object = match finished.rejections {
        Some(rejections) => {
            // Lines held without their bytes (too long, unreadable, past
            // what the error output holds) have them in the source object,
            // which may be overwritten, deleted or expire first: it is
            // copied beside the errors, whole, as it was read.
            let copy_key = format!(
                "{}{}{SOURCE_COPY_SUFFIX}",
                settings.error_prefix, finished.stem
            );
            let copy: Result<String, String> = if !rejections.lacks_bytes() {
                // Not asked for: every line is held with its bytes.
                Err(String::new())
            } else if size > objects::MAX_COPY_BYTES {
                Err(format!(
                    "it is larger ({size} bytes) than one CopyObject copies ({} bytes)",
                    objects::MAX_COPY_BYTES
                ))
            } else {
                match store
                    .copy(object, &pin, &settings.output_bucket, &copy_key)
                    .await
                {
                    Ok(()) => Ok(format!("s3://{}/{copy_key}", settings.output_bucket)),
                    // Trying again cannot help (the version is gone, the
                    // object archived, access refused): the lines held with
                    // their bytes are still written, the copy named missing.
                    Err(e) if e.is_permanent() => {
                        tracing::warn!(source = %source, error = %e, "the source object could not be copied beside its rejected lines");
                        Err(format!("CopyObject failed: {}", e.code))
                    }
                    // Retried with the object (an ETag changed since it was
                    // read, `PreconditionFailed`, reads it again).
                    Err(e) => return Err(e),
                }
            };
            source_copy = copy.as_ref().ok().cloned();
            let (bytes, _) = rejections.finish(copy.as_deref().map_err(String::as_str));
            let key = format!("{}{}.json.gz", settings.error_prefix, finished.stem);
            store
                .put(&settings.output_bucket, &key, bytes, "application/gzip")
                .await?;
            Some(format!("s3://{}/{key}", settings.output_bucket))
        }
        None => None,
    };
    let Counts {
        lines,
        events,
        dropped,
        rejected,
    } = finished.counts;
    if let Some(why) = &finished.unreadable {
        tracing::warn!(source = %source, error = %why, "object unreadable past its last whole line");
    }
    tracing::info!(source = %source, lines, events, dropped, rejected, objects = written.len(), "object transformed");
    Ok(ObjectSummary {
        source,
        version,
        lines,
        events,
        dropped,
        rejected,
        written,
        error_object,
        source_copy,
    })
}

/// Writes the output objects closed so far, noting their keys.
async fn upload<S: Store>(
    store: &S,
    settings: &Settings,
    ready: Vec<Ready>,
    written: &mut Vec<String>,
) -> Result<(), StoreError> {
    for ready in ready {
        store
            .put(
                &settings.output_bucket,
                &ready.key,
                ready.bytes,
                "application/gzip",
            )
            .await?;
        written.push(ready.key);
    }
    Ok(())
}
