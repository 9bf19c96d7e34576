//! The Security Lake writer Lambda: objects the Firehose (or S3) route
//! delivers to the activity bucket, turned into Amazon Security Lake custom
//! source objects (OCSF 1.1.0, Parquet), written with each source's
//! provider role (docs/security-lake.md).
//!
//! - [`settings`]: the writer's settings, validated at start;
//! - which objects an invocation names: `cognito_activity_aws::events`;
//! - [`store`]: S3, with the function's role and the provider roles;
//! - [`capped`]: the most an object's text may inflate to;
//! - [`handler`]: one invocation, object by object.

pub mod capped;
pub mod handler;
pub mod settings;
pub mod store;

#[cfg(test)]
mod tests;
