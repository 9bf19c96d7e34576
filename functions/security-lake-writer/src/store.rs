//! S3, as the handler needs it: read a delivered object, write an object
//! with the function's own role (rejected lines, and a copy of an object
//! some of whose rejected lines are held without their bytes) or with a
//! source's provider role (the lake's objects). [`S3Store`] is the production one;
//! the handler's unit tests use an in-memory one.

use std::future::Future;

use cognito_activity_aws::events::ObjectRef;
use cognito_activity_aws::objects::{self, CallError, Pin};
use cognito_activity_aws::SdkConfig;

use crate::settings::Settings;

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
    /// Which version was read. Its name (version id, else ETag) is what the
    /// summary and the rejected lines name (the objects written from it are
    /// named after its bytes).
    pub pin: Pin,
}

/// Why S3 could not be read or written. Names the call, bucket, key and
/// S3's error code; never an object's contents.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Call(#[from] CallError),
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
    /// Copies the bytes `pin` names of `object` to `bucket`/`key`, within
    /// S3, with the function's own role.
    fn copy(
        &self,
        object: &ObjectRef,
        pin: &Pin,
        bucket: &str,
        key: &str,
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

impl Store for S3Store {
    async fn get(&self, object: &ObjectRef, max: u64) -> Result<Fetched, StoreError> {
        let too_large = || StoreError::TooLarge {
            bucket: object.bucket.clone(),
            key: object.key.clone(),
            max,
        };
        let mut opened = objects::open(&self.own, object).await?;
        let Some(body) = objects::read_capped(&mut opened, object, max).await? else {
            return Err(too_large());
        };
        Ok(Fetched {
            body,
            pin: opened.pin,
        })
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
            let code = "no provider role for this source";
            return Err(CallError::new("PutObject", bucket, key, code).into());
        };
        Ok(objects::put(client, bucket, key, body, content_type).await?)
    }

    async fn copy(
        &self,
        object: &ObjectRef,
        pin: &Pin,
        bucket: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        Ok(objects::copy(&self.own, object, pin, bucket, key).await?)
    }
}
