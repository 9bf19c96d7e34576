//! Which objects an invocation is about. Two shapes name a new object:
//!
//! - EventBridge's `Object Created`
//!   (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html>):
//!   `detail.bucket.name`, `detail.object.key` as it is (AWS's examples
//!   show keys with `:` unencoded), `version-id`, `etag`. The template's way.
//! - S3 event notifications
//!   (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>):
//!   `Records[].s3`, for `ObjectCreated:*` only; keys arrive URL-encoded
//!   (`+` for a space), and are decoded here.

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
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
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
}
