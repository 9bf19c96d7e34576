//! One invocation. EventBridge `Object Created` events and S3 notifications
//! name objects: each is transformed, and any failure to read or write S3
//! fails the invocation (Lambda retries it, then the dead-letter queue). S3
//! Batch Operations names tasks: each is answered `Succeeded`,
//! `TemporaryFailure` (Batch Operations retries it) or `PermanentFailure`,
//! with a result string, and the job's completion report lists them.

use cognito_activity::Config;
use cognito_activity_aws::events::{self, BatchJob, EventError, ObjectRef, TaskCode};
use cognito_activity_aws::lambda::{self, InvocationError};
use serde::Serialize;
use serde_json::Value;

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
}

impl InvocationError for HandlerError {
    fn kind(&self) -> &'static str {
        match self {
            HandlerError::Event(_) => "EventError",
            HandlerError::Store(_) => "S3Error",
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

/// Handles one invocation; the value is the function's response.
pub async fn handle<S: Store>(
    event: &Value,
    settings: &Settings,
    cfg: &Config,
    store: &S,
) -> Result<Value, HandlerError> {
    if let Some(job) = events::batch_job_of(event) {
        return Ok(handle_job(&job, settings, cfg, store).await);
    }
    let objects = lambda::each_object(events::objects_of(event)?, |object| async move {
        handle_object(&object, settings, cfg, store).await
    })
    .await?;
    Ok(serde_json::json!({ "objects": objects }))
}

async fn handle_job<S: Store>(
    job: &BatchJob,
    settings: &Settings,
    cfg: &Config,
    store: &S,
) -> Value {
    let mut results = Vec::new();
    for task in &job.tasks {
        results.push(match &task.object {
            Err(e) => (TaskCode::PermanentFailure, e.to_string()),
            Ok(object) => match handle_object(object, settings, cfg, store).await {
                Ok(summary) => (TaskCode::Succeeded, summary.result_string()),
                Err(e) if e.is_permanent() => (TaskCode::PermanentFailure, e.to_string()),
                Err(e) => (TaskCode::TemporaryFailure, e.to_string()),
            },
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
    let (mut body, version) = store.open(object).await?;
    let source = format!("s3://{}/{}", object.bucket, object.key);
    let identity = format!("{source}\n{version}");
    let mut transform = ObjectTransform::new(settings, cfg, &identity, &source, &version);
    let mut written = Vec::new();
    while let Some(chunk) = body.next().await? {
        transform.feed(&chunk);
        upload(store, settings, transform.take_ready(), &mut written).await?;
    }
    let finished = transform.finish();
    upload(store, settings, finished.ready, &mut written).await?;
    let error_object = match finished.rejections {
        Some(bytes) => {
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
