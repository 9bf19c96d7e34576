//! Which S3 objects an invocation is about, for the functions S3 triggers.
//! Pure JSON, no SDK. Two shapes name a new object:
//!
//! - EventBridge's `Object Created`
//!   (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html>):
//!   `detail.bucket.name`, `detail.object.key` as it is (AWS's examples
//!   show keys with `:` unencoded), `version-id`, `etag`. The template's way.
//! - S3 event notifications
//!   (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>):
//!   `Records[].s3`, for `ObjectCreated:*` only; keys arrive URL-encoded
//!   (`+` for a space), and are decoded here.
//!
//! S3 Batch Operations invokes with tasks instead ([`batch_job_of`]) and
//! wants one answer per task ([`BatchJob::response`]).

use serde_json::Value;

/// One delivered object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub bucket: String,
    pub key: String,
    /// The version the event names, when the bucket is versioned.
    pub version_id: Option<String>,
}

/// Why an invocation names no object.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    #[error(
        "the event is neither an EventBridge Object Created event nor an S3 event notification"
    )]
    Unrecognized,
    #[error("the event names an object without a {0}")]
    Missing(&'static str),
    #[error("an S3 event notification key that does not decode to UTF-8")]
    KeyEncoding,
}

/// The objects `event` names, in order.
pub fn objects_of(event: &Value) -> Result<Vec<ObjectRef>, EventError> {
    if event.get("detail-type").and_then(Value::as_str) == Some("Object Created") {
        let detail = event.get("detail").ok_or(EventError::Missing("detail"))?;
        return Ok(vec![ObjectRef {
            bucket: text(detail, "/bucket/name").ok_or(EventError::Missing("bucket name"))?,
            key: text(detail, "/object/key").ok_or(EventError::Missing("key"))?,
            version_id: text(detail, "/object/version-id"),
        }]);
    }
    let Some(records) = event.get("Records").and_then(Value::as_array) else {
        return Err(EventError::Unrecognized);
    };
    let mut objects = Vec::new();
    for record in records {
        let name = record
            .get("eventName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !name.starts_with("ObjectCreated:") {
            continue;
        }
        let key = text(record, "/s3/object/key").ok_or(EventError::Missing("key"))?;
        objects.push(ObjectRef {
            bucket: text(record, "/s3/bucket/name").ok_or(EventError::Missing("bucket name"))?,
            key: url_decode(&key).ok_or(EventError::KeyEncoding)?,
            version_id: text(record, "/s3/object/versionId"),
        });
    }
    Ok(objects)
}

fn text(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a
/// byte; a `%` not followed by two hex digits stays as it is.
pub fn url_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|&h| (h as char).to_digit(16));
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                if let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Whether `s` is an S3 bucket name as the functions' settings accept it:
/// 3 to 63 of `a-z 0-9 . -`, starting and ending with a letter or digit.
pub fn is_bucket_name(s: &str) -> bool {
    (3..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// An S3 Batch Operations invocation
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html>),
/// schema 1.0 (`s3BucketArn`) or 2.0 (`s3Bucket`, `userArguments`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchJob {
    pub schema: String,
    pub invocation_id: String,
    pub tasks: Vec<BatchTask>,
}

/// One task: an object of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchTask {
    pub task_id: String,
    /// An error when the task names no usable object (answered `PermanentFailure`).
    pub object: Result<ObjectRef, EventError>,
}

/// How a task ended, as Batch Operations counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskCode {
    Succeeded,
    /// Batch Operations retries the task.
    TemporaryFailure,
    PermanentFailure,
}

impl TaskCode {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskCode::Succeeded => "Succeeded",
            TaskCode::TemporaryFailure => "TemporaryFailure",
            TaskCode::PermanentFailure => "PermanentFailure",
        }
    }
}

/// The Batch Operations job in `event`, when it is one.
pub fn batch_job_of(event: &Value) -> Option<BatchJob> {
    let schema = event.get("invocationSchemaVersion")?.as_str()?.to_string();
    let invocation_id = event
        .get("invocationId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let tasks = event
        .get("tasks")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|task| BatchTask {
            task_id: text(task, "/taskId").unwrap_or_default(),
            object: batch_object(task),
        })
        .collect();
    Some(BatchJob {
        schema,
        invocation_id,
        tasks,
    })
}

fn batch_object(task: &Value) -> Result<ObjectRef, EventError> {
    let bucket = match text(task, "/s3Bucket") {
        Some(bucket) => bucket,
        None => text(task, "/s3BucketArn")
            .and_then(|arn| arn.rsplit(':').next().map(str::to_string))
            .filter(|b| !b.is_empty())
            .ok_or(EventError::Missing("bucket"))?,
    };
    let key = text(task, "/s3Key").ok_or(EventError::Missing("key"))?;
    Ok(ObjectRef {
        bucket,
        key: url_decode(&key).ok_or(EventError::KeyEncoding)?,
        version_id: text(task, "/s3VersionId"),
    })
}

impl BatchJob {
    /// The answer Batch Operations expects: one result per task, in order.
    /// A task left out of `results` is answered `PermanentFailure`.
    pub fn response(&self, results: &[(TaskCode, String)]) -> Value {
        let results: Vec<Value> = self
            .tasks
            .iter()
            .enumerate()
            .map(|(i, task)| {
                let (code, text) = results
                    .get(i)
                    .map(|(c, t)| (*c, t.as_str()))
                    .unwrap_or((TaskCode::PermanentFailure, "not processed"));
                serde_json::json!({
                    "taskId": task.task_id,
                    "resultCode": code.as_str(),
                    "resultString": text,
                })
            })
            .collect();
        serde_json::json!({
            "invocationSchemaVersion": self.schema,
            "treatMissingKeysAs": "PermanentFailure",
            "invocationId": self.invocation_id,
            "results": results,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_eventbridge_event_names_its_object_as_written() {
        let event = json!({
            "version": "0", "detail-type": "Object Created", "source": "aws.s3",
            "detail": {"bucket": {"name": "activity"},
                       "object": {"key": "data/2026/12/04/a b+c:d.gz", "etag": "e", "version-id": "v1"}}
        });
        assert_eq!(
            objects_of(&event),
            Ok(vec![ObjectRef {
                bucket: "activity".into(),
                key: "data/2026/12/04/a b+c:d.gz".into(),
                version_id: Some("v1".into()),
            }])
        );
    }

    #[test]
    fn a_notification_names_its_created_objects_with_keys_decoded() {
        let event = json!({"Records": [
            {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "data/a+b%3Ac%C3%A9%2"}}},
            {"eventName": "ObjectRemoved:Delete", "s3": {"bucket": {"name": "b"}, "object": {"key": "gone"}}},
        ]});
        let objects = objects_of(&event).expect("objects");
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].key, "data/a b:cé%2");
        assert_eq!(objects[0].version_id, None);
    }

    #[test]
    fn other_events_are_refused_with_a_reason() {
        assert_eq!(
            objects_of(&json!({"records": []})),
            Err(EventError::Unrecognized)
        );
        assert_eq!(
            objects_of(
                &json!({"detail-type": "Object Created", "detail": {"bucket": {"name": "b"}}})
            ),
            Err(EventError::Missing("key"))
        );
        let bad = json!({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "%FF"}}}]});
        assert_eq!(objects_of(&bad), Err(EventError::KeyEncoding));
    }

    #[test]
    fn decoding_undoes_encoding_for_any_text() {
        for text in ["", "a/b c+d%e", "日本/x y", "%%41", "100%"] {
            let encoded: String = text
                .bytes()
                .map(|b| match b {
                    b' ' => "+".to_string(),
                    b if b.is_ascii_alphanumeric() || b == b'/' => (b as char).to_string(),
                    b => format!("%{b:02X}"),
                })
                .collect();
            assert_eq!(url_decode(&encoded).as_deref(), Some(text), "{encoded}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_decodes_without_a_panic_and_plain_text_stays_itself(text in "\\PC*") {
            let _ = url_decode(&text);
            let plain: String = text.chars().filter(|c| *c != '%' && *c != '+').collect();
            proptest::prop_assert_eq!(url_decode(&plain), Some(plain.clone()));
        }

        #[test]
        fn any_event_is_answered_without_a_panic(
            detail_type in proptest::option::of("Object Created|x"),
            key in proptest::option::of("\\PC{0,20}"),
            records in proptest::collection::vec(("ObjectCreated:Put|ObjectRemoved:Delete|", proptest::option::of("\\PC{0,12}")), 0..4),
        ) {
            let event = json!({
                "detail-type": detail_type,
                "detail": {"bucket": {"name": "b"}, "object": {"key": key}},
                "Records": records.iter().map(|(name, key)| json!({"eventName": name, "s3": {"bucket": {"name": "b"}, "object": {"key": key}}})).collect::<Vec<_>>(),
            });
            if let Ok(objects) = objects_of(&event) {
                proptest::prop_assert!(objects.iter().all(|o| !o.bucket.is_empty() && !o.key.is_empty()));
            }
        }
    }

    #[test]
    fn batch_operations_tasks_of_both_schemas_name_their_objects() {
        let v1 = json!({"invocationSchemaVersion": "1.0", "invocationId": "i1", "job": {"id": "j"},
            "tasks": [{"taskId": "t1", "s3Key": "logs/a+b%3A1.gz", "s3VersionId": null, "s3BucketArn": "arn:aws:s3:::raw"},
                      {"taskId": "t2", "s3BucketArn": "arn:aws:s3:::raw"}]});
        let job = batch_job_of(&v1).expect("a job");
        assert_eq!(
            job.tasks[0].object,
            Ok(ObjectRef {
                bucket: "raw".into(),
                key: "logs/a b:1.gz".into(),
                version_id: None
            })
        );
        assert_eq!(job.tasks[1].object, Err(EventError::Missing("key")));
        let v2 = json!({"invocationSchemaVersion": "2.0", "invocationId": "i2", "job": {"id": "j", "userArguments": {}},
            "tasks": [{"taskId": "t1", "s3Key": "k", "s3VersionId": "v", "s3Bucket": "raw"}]});
        let job = batch_job_of(&v2).expect("a job");
        assert_eq!(
            job.tasks[0].object.as_ref().map(|o| o.version_id.clone()),
            Ok(Some("v".into()))
        );
        let answer = job.response(&[(TaskCode::TemporaryFailure, "throttled".into())]);
        assert_eq!(answer["invocationSchemaVersion"], "2.0");
        assert_eq!(answer["invocationId"], "i2");
        assert_eq!(answer["treatMissingKeysAs"], "PermanentFailure");
        assert_eq!(
            answer["results"][0],
            json!({"taskId": "t1", "resultCode": "TemporaryFailure", "resultString": "throttled"})
        );
        assert!(batch_job_of(&json!({"Records": []})).is_none());
    }
}
