//! S3, as the handler needs it: an object's bytes as they arrive, and
//! objects written. [`S3Store`] is the production one; the handler's unit
//! tests use one in memory.

use std::future::Future;

use cognito_activity_aws::events::ObjectRef;
use cognito_activity_aws::s3::primitives::ByteStream;

/// Why S3 could not be read or written: the call, bucket, key and S3's
/// error code; never an object's contents.
#[derive(Debug, thiserror::Error)]
#[error("{op} s3://{bucket}/{key} failed: {code}")]
pub struct StoreError {
    pub op: &'static str,
    pub bucket: String,
    pub key: String,
    pub code: String,
}

impl StoreError {
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

/// An object's bytes, a chunk at a time.
pub trait Body {
    fn next(&mut self) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>>;
}

pub trait Store {
    type Body: Body;
    /// The object's body, and its version id (else its ETag).
    fn open(
        &self,
        object: &ObjectRef,
    ) -> impl Future<Output = Result<(Self::Body, String), StoreError>>;
    /// Writes (or overwrites) one object.
    fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> impl Future<Output = Result<(), StoreError>>;
}

/// S3 through the SDK, with the function's role.
pub struct S3Store {
    pub client: cognito_activity_aws::s3::Client,
}

pub struct S3Body {
    stream: ByteStream,
    object: ObjectRef,
}

impl Body for S3Body {
    async fn next(&mut self) -> Result<Option<Vec<u8>>, StoreError> {
        self.stream
            .try_next()
            .await
            .map(|chunk| chunk.map(|b| b.to_vec()))
            .map_err(|_| StoreError {
                op: "GetObject",
                bucket: self.object.bucket.clone(),
                key: self.object.key.clone(),
                code: "body read failed".to_string(),
            })
    }
}

fn code_of<E: cognito_activity_aws::s3::error::ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("no response").to_string()
}

impl Store for S3Store {
    type Body = S3Body;

    async fn open(&self, object: &ObjectRef) -> Result<(S3Body, String), StoreError> {
        let out = self
            .client
            .get_object()
            .bucket(&object.bucket)
            .key(&object.key)
            .set_version_id(object.version_id.clone())
            .send()
            .await
            .map_err(|e| StoreError {
                op: "GetObject",
                bucket: object.bucket.clone(),
                key: object.key.clone(),
                code: code_of(&e),
            })?;
        let version = out
            .version_id()
            .or(out.e_tag())
            .unwrap_or_default()
            .trim_matches('"')
            .to_string();
        Ok((
            S3Body {
                stream: out.body,
                object: object.clone(),
            },
            version,
        ))
    }

    async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| StoreError {
                op: "PutObject",
                bucket: bucket.to_string(),
                key: key.to_string(),
                code: code_of(&e),
            })?;
        Ok(())
    }
}
