//! The S3 object calls the functions make (`GetObject`, `PutObject`), each
//! failure one [`CallError`] naming the call, the bucket, the key and S3's
//! error code, never an object's contents.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;

use crate::events::ObjectRef;

/// Why an S3 call failed: the call, bucket, key and S3's error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{op} s3://{bucket}/{key} failed: {code}")]
pub struct CallError {
    pub op: &'static str,
    pub bucket: String,
    pub key: String,
    pub code: String,
}

impl CallError {
    pub fn new(op: &'static str, bucket: &str, key: &str, code: impl Into<String>) -> Self {
        CallError {
            op,
            bucket: bucket.to_string(),
            key: key.to_string(),
            code: code.into(),
        }
    }

    fn of(op: &'static str, bucket: &str, key: &str, error: &impl ProvideErrorMetadata) -> Self {
        CallError::new(op, bucket, key, error.code().unwrap_or("no response"))
    }

    /// Whether trying again can help: not for a missing object, bucket or
    /// version, a refusal, or an archived object.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self.code.as_str(),
            "NoSuchKey"
                | "NoSuchBucket"
                | "NoSuchVersion"
                | "AccessDenied"
                | "InvalidObjectState"
                | "NotFound"
        )
    }
}

/// An object opened for reading (the version named in its event, if any).
pub struct Opened {
    /// Its bytes, as they arrive ([`next_chunk`]).
    pub body: ByteStream,
    /// Its version id, else its ETag without quotes: with the bucket and
    /// key, what names the objects written from it.
    pub version: String,
    /// What S3 says its length is.
    pub content_length: Option<i64>,
}

/// `GetObject` of `object`.
pub async fn open(client: &aws_sdk_s3::Client, object: &ObjectRef) -> Result<Opened, CallError> {
    let (bucket, key) = (object.bucket.as_str(), object.key.as_str());
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(object.version_id.clone())
        .send()
        .await
        .map_err(|e| CallError::of("GetObject", bucket, key, &e))?;
    let version = version_of(out.version_id(), out.e_tag());
    Ok(Opened {
        content_length: out.content_length(),
        version,
        body: out.body,
    })
}

/// What names an object's version in the names of what is made from it: its
/// version id, or its ETag where it has none. S3 gives the version id
/// `null` for an object written while the bucket was unversioned (or with
/// versioning suspended): every overwrite of such a key has it, so it would
/// give them all one name, and each run's outputs would overwrite the last's.
fn version_of(version_id: Option<&str>, e_tag: Option<&str>) -> String {
    version_id
        .filter(|v| *v != "null")
        .or(e_tag)
        .unwrap_or_default()
        .trim_matches('"')
        .to_string()
}

/// The next piece of an opened object's bytes; `None` at its end.
pub async fn next_chunk(
    body: &mut ByteStream,
    object: &ObjectRef,
) -> Result<Option<Vec<u8>>, CallError> {
    body.try_next()
        .await
        .map(|chunk| chunk.map(|b| b.to_vec()))
        .map_err(|_| CallError::new("GetObject", &object.bucket, &object.key, "body read failed"))
}

/// All of an opened object's bytes, or `None` when there are more than
/// `max` of them: S3's length, when it gives one, refuses the object unread;
/// otherwise (or if that length is wrong) reading stops at the chunk that
/// would pass `max`. A negative length counts as too large.
pub async fn read_capped(
    opened: &mut Opened,
    object: &ObjectRef,
    max: u64,
) -> Result<Option<Vec<u8>>, CallError> {
    if opened
        .content_length
        .is_some_and(|length| u64::try_from(length).map_or(true, |length| length > max))
    {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = next_chunk(&mut opened.body, object).await? {
        if (body.len() + chunk.len()) as u64 > max {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// `PutObject`: writes (or overwrites) one object.
pub async fn put(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    content_type: &'static str,
) -> Result<(), CallError> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| CallError::of("PutObject", bucket, key, &e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn an_object_versioned_null_is_named_by_its_etag() {
        assert_eq!(version_of(Some("3sL4kqtJ"), Some("\"e1\"")), "3sL4kqtJ");
        assert_eq!(version_of(Some("null"), Some("\"e1\"")), "e1");
        assert_eq!(version_of(None, Some("\"e2\"")), "e2");
        assert_eq!(version_of(None, None), "");
    }

    /// `read_capped` over `body` served in `chunk`-byte pieces, with
    /// `content_length` as S3's length.
    fn read_in_chunks(
        body: &[u8],
        chunk: usize,
        content_length: Option<i64>,
        max: u64,
    ) -> Option<Vec<u8>> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), body).unwrap();
        let object = ObjectRef {
            bucket: "b".into(),
            key: "k".into(),
            version_id: None,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let body = ByteStream::read_from()
                .path(file.path())
                .buffer_size(chunk)
                .build()
                .await
                .unwrap();
            let mut opened = Opened {
                body,
                version: String::new(),
                content_length,
            };
            read_capped(&mut opened, &object, max).await.unwrap()
        })
    }

    #[test]
    fn an_object_of_exactly_the_limit_is_read_whole_across_chunks() {
        let body = b"0123456789";
        assert_eq!(
            read_in_chunks(body, 3, Some(10), 10).as_deref(),
            Some(&body[..])
        );
        assert_eq!(
            read_in_chunks(body, 3, None, 10).as_deref(),
            Some(&body[..])
        );
    }

    #[test]
    fn an_object_past_the_limit_is_refused_while_reading_when_its_length_is_absent_or_wrong() {
        let body = b"0123456789a";
        assert_eq!(read_in_chunks(body, 3, None, 10), None);
        assert_eq!(read_in_chunks(body, 3, Some(4), 10), None);
        // Each chunk fits; their sum does not.
        assert_eq!(read_in_chunks(body, 6, None, 10), None);
    }

    #[test]
    fn an_object_whose_length_passes_the_limit_is_refused_unread() {
        // The bytes would fit: only the length refuses it.
        assert_eq!(read_in_chunks(b"012", 3, Some(11), 10), None);
        assert_eq!(read_in_chunks(b"012", 3, Some(-1), 10), None);
    }
}
