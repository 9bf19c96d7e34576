//! The S3 route's Lambda: Cognito activity objects in S3 (Cognito's own S3
//! delivery, history, CloudWatch Logs exports) through the same pipeline
//! as the Firehose route, written as gzip NDJSON in `OUTPUT_FORMAT` under
//! the same layout (docs/routes.md).
//!
//! - [`settings`]: the route's settings, validated at start;
//! - [`transform`]: one object, streamed through the pipeline into
//!   partitioned output objects, bounded in memory;
//! - [`store`]: S3, streamed;
//! - [`handler`]: events and Batch Operations tasks, object by object.
//!
//! Which objects an invocation names: `cognito_activity_aws::events`.

pub mod handler;
pub mod settings;
pub mod store;
pub mod transform;

#[cfg(test)]
mod tests;
