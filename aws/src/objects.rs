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
    let version = out
        .version_id()
        .or(out.e_tag())
        .unwrap_or_default()
        .trim_matches('"')
        .to_string();
    Ok(Opened {
        content_length: out.content_length(),
        version,
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
