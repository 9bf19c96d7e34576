//! S3, as the handler needs it: read a delivered object, write an object
//! with the function's own role (rejected lines) or with a source's
//! provider role (the lake's objects). [`S3Store`] is the production one;
//! the handler's unit tests use an in-memory one.

use std::future::Future;

use cognito_activity_aws::s3::primitives::ByteStream;
use cognito_activity_aws::SdkConfig;

use crate::settings::Settings;
use cognito_activity_aws::events::ObjectRef;

/// Whose credentials write an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// The function's execution role (the error prefix).
    Function,
    /// The provider role of the source at this index of `SOURCES`.
    Source(usize),
}

/// A delivered object's bytes and the version read.
#[derive(Debug)]
pub struct Fetched {
    pub body: Vec<u8>,
    /// Its version id, else its ETag: with the bucket and key, what names
    /// the objects written from it.
    pub version: String,
}

/// Why S3 could not be read or written. Names the call, bucket, key and
/// S3's error code; never an object's contents.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{op} s3://{bucket}/{key} failed: {code}")]
    Call {
        op: &'static str,
        bucket: String,
        key: String,
        code: String,
    },
    #[error("s3://{bucket}/{key} is larger than MAX_OBJECT_BYTES ({max} bytes)")]
    TooLarge {
        bucket: String,
        key: String,
        max: u64,
    },
}

pub trait Store {
    /// The object's bytes, refusing one larger than `max`.
    fn get(
        &self,
        object: &ObjectRef,
        max: u64,
    ) -> impl Future<Output = Result<Fetched, StoreError>>;
    /// Writes (or overwrites) one object.
    fn put(
        &self,
        writer: Writer,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> impl Future<Output = Result<(), StoreError>>;
}

/// S3 through the SDK: one client with the function's role, one per
/// source with its provider role (assumed with the source's external id).
pub struct S3Store {
    own: cognito_activity_aws::s3::Client,
    sources: Vec<cognito_activity_aws::s3::Client>,
}

impl S3Store {
    pub async fn new(sdk: &SdkConfig, settings: &Settings) -> S3Store {
        let mut sources = Vec::new();
        for source in &settings.sources {
            let assumed = cognito_activity_aws::assume_role(
                sdk,
                &source.role_arn,
                &source.external_id,
                "cognito-activity-security-lake-writer",
            )
            .await;
            sources.push(cognito_activity_aws::s3_client(&assumed));
        }
        S3Store {
            own: cognito_activity_aws::s3_client(sdk),
            sources,
        }
    }
}

fn call_error<E: cognito_activity_aws::s3::error::ProvideErrorMetadata>(
    op: &'static str,
    bucket: &str,
    key: &str,
    e: &E,
) -> StoreError {
    StoreError::Call {
        op,
        bucket: bucket.to_string(),
        key: key.to_string(),
        code: e.code().unwrap_or("no response").to_string(),
    }
}

impl Store for S3Store {
    async fn get(&self, object: &ObjectRef, max: u64) -> Result<Fetched, StoreError> {
        let (bucket, key) = (object.bucket.as_str(), object.key.as_str());
        let out = self
            .own
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(object.version_id.clone())
            .send()
            .await
            .map_err(|e| call_error("GetObject", bucket, key, &e))?;
        let too_large = || StoreError::TooLarge {
            bucket: bucket.to_string(),
            key: key.to_string(),
            max,
        };
        if out
            .content_length()
            .is_some_and(|n| n < 0 || n as u64 > max)
        {
            return Err(too_large());
        }
        let version = out
            .version_id()
            .or(out.e_tag())
            .unwrap_or_default()
            .trim_matches('"')
            .to_string();
        let mut stream = out.body;
        let mut body = Vec::new();
        while let Some(chunk) = stream.try_next().await.map_err(|_| StoreError::Call {
            op: "GetObject",
            bucket: bucket.to_string(),
            key: key.to_string(),
            code: "body read failed".to_string(),
        })? {
            if (body.len() + chunk.len()) as u64 > max {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { body, version })
    }

    async fn put(
        &self,
        writer: Writer,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> Result<(), StoreError> {
        let client = match writer {
            Writer::Function => Some(&self.own),
            Writer::Source(i) => self.sources.get(i),
        };
        let Some(client) = client else {
            return Err(StoreError::Call {
                op: "PutObject",
                bucket: bucket.to_string(),
                key: key.to_string(),
                code: "no provider role for this source".to_string(),
            });
        };
        client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| call_error("PutObject", bucket, key, &e))?;
        Ok(())
    }
}
