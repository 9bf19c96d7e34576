//! S3, as the handler needs it: an object's bytes as they arrive, objects
//! written, and an object copied whole. [`S3Store`] is the production one; the handler's unit
//! tests use one in memory.

use std::future::Future;

use cognito_activity_aws::events::ObjectRef;
use cognito_activity_aws::objects::{self, Pin};
use cognito_activity_aws::s3::primitives::ByteStream;

/// Why S3 could not be read or written: the call, bucket, key and S3's
/// error code; never an object's contents.
pub use cognito_activity_aws::objects::CallError as StoreError;

/// An object's bytes, a chunk at a time.
pub trait Body {
    fn next(&mut self) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>>;
}

pub trait Store {
    type Body: Body;
    /// The object's body, and which of its versions it is.
    fn open(
        &self,
        object: &ObjectRef,
    ) -> impl Future<Output = Result<(Self::Body, Pin), StoreError>>;
    /// Writes (or overwrites) one object.
    fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> impl Future<Output = Result<(), StoreError>>;
    /// Copies the bytes `pin` names of `object` to `bucket`/`key`, within S3.
    fn copy(
        &self,
        object: &ObjectRef,
        pin: &Pin,
        bucket: &str,
        key: &str,
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
        objects::next_chunk(&mut self.stream, &self.object).await
    }
}

impl Store for S3Store {
    type Body = S3Body;

    async fn open(&self, object: &ObjectRef) -> Result<(S3Body, Pin), StoreError> {
        let opened = objects::open(&self.client, object).await?;
        let body = S3Body {
            stream: opened.body,
            object: object.clone(),
        };
        Ok((body, opened.pin))
    }

    async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> Result<(), StoreError> {
        objects::put(&self.client, bucket, key, body, content_type).await
    }

    async fn copy(
        &self,
        object: &ObjectRef,
        pin: &Pin,
        bucket: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        objects::copy(&self.client, object, pin, bucket, key).await
    }
}
