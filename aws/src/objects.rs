//! The S3 object calls the functions make (`GetObject`, `PutObject`,
//! `CopyObject`), each failure one [`CallError`] naming the call, the
//! bucket, the key and S3's error code, never an object's contents.

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
    /// Which bytes were read.
    pub pin: Pin,
    /// What S3 says its length is.
    pub content_length: Option<i64>,
}

/// Which bytes of a key were read: its version id when it has a real one,
/// and its ETag. A copy made later names the same bytes with them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pin {
    /// Never `null` (see [`Pin::name`]).
    pub version_id: Option<String>,
    /// Without its quotes.
    pub e_tag: Option<String>,
}

impl Pin {
    /// S3's answer: `version_id` as it gives it (`null` for an object
    /// written while the bucket was unversioned), `e_tag` with its quotes.
    pub fn of(version_id: Option<&str>, e_tag: Option<&str>) -> Pin {
        Pin {
            version_id: version_id.filter(|v| *v != "null").map(str::to_string),
            e_tag: e_tag.map(|e| e.trim_matches('"').to_string()),
        }
    }

    /// What names these bytes in the names of what is made from them: the
    /// version id, else the ETag. S3 gives the version id `null` to every
    /// object written while the bucket was unversioned (or with versioning
    /// suspended): each overwrite of such a key has it, so it would give
    /// them all one name, and each run's outputs would overwrite the last's.
    pub fn name(&self) -> String {
        self.version_id
            .as_deref()
            .or(self.e_tag.as_deref())
            .unwrap_or_default()
            .to_string()
    }
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
    Ok(Opened {
        content_length: out.content_length(),
        pin: Pin::of(out.version_id(), out.e_tag()),
        body: out.body,
    })
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

/// The largest object one `CopyObject` copies (S3's limit; a larger one
/// needs a multipart copy).
pub const MAX_COPY_BYTES: u64 = 5 << 30;

/// `CopyObject`, within S3: the bytes `pin` names of `object` to
/// `bucket`/`key`, with their content type and metadata. The source is named
/// by its version id when it has one; otherwise it must still have the ETag
/// it was read with (`PreconditionFailed` when it was overwritten since).
pub async fn copy(
    client: &aws_sdk_s3::Client,
    object: &ObjectRef,
    pin: &Pin,
    bucket: &str,
    key: &str,
) -> Result<(), CallError> {
    client
        .copy_object()
        .copy_source(copy_source(object, pin))
        .set_copy_source_if_match(pin.e_tag.as_ref().map(|e| format!("\"{e}\"")))
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| CallError::of("CopyObject", bucket, key, &e))?;
    Ok(())
}

/// `x-amz-copy-source`: `bucket/key`, the key URL-encoded (its slashes
/// kept), and `?versionId=` when the bytes have one.
fn copy_source(object: &ObjectRef, pin: &Pin) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    /// RFC 3986's unreserved characters, and the key's slashes.
    const KEPT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/');
    let key = utf8_percent_encode(&object.key, KEPT);
    match &pin.version_id {
        Some(v) => format!(
            "{}/{key}?versionId={}",
            object.bucket,
            utf8_percent_encode(v, KEPT)
        ),
        None => format!("{}/{key}", object.bucket),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn an_object_versioned_null_is_named_by_its_etag() {
        assert_eq!(Pin::of(Some("3sL4kqtJ"), Some("\"e1\"")).name(), "3sL4kqtJ");
        assert_eq!(Pin::of(Some("null"), Some("\"e1\"")).name(), "e1");
        assert_eq!(Pin::of(Some("null"), Some("\"e1\"")).version_id, None);
        assert_eq!(Pin::of(None, Some("\"e2\"")).name(), "e2");
        assert_eq!(Pin::of(None, None).name(), "");
    }

    #[test]
    fn a_copy_names_its_source_url_encoded_with_its_version() {
        let object = ObjectRef {
            bucket: "raw".into(),
            key: "AWSLogs/a b+c/é=1.gz".into(),
            version_id: None,
        };
        assert_eq!(
            copy_source(&object, &Pin::of(None, Some("\"e\""))),
            "raw/AWSLogs/a%20b%2Bc/%C3%A9%3D1.gz"
        );
        assert_eq!(
            copy_source(&object, &Pin::of(Some("v+1"), None)),
            "raw/AWSLogs/a%20b%2Bc/%C3%A9%3D1.gz?versionId=v%2B1"
        );
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
                pin: Pin::default(),
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
