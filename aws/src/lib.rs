//! The AWS SDK clients every function of cognito-activity shares, built by
//! the SDK's own configuration loader (`aws-config`) and HTTP client
//! (`aws-smithy-http-client`), trimmed to what a Lambda function uses
//! (docs/internals.md, "The AWS crate").
//!
//! [`load`] reads the configuration once, at start, from the environment
//! Lambda gives a function
//! (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime>):
//! the region from `AWS_REGION` (else `AWS_DEFAULT_REGION`), the execution
//! role's credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
//! `AWS_SESSION_TOKEN`, and everything else the SDK reads from the
//! environment the way the SDK reads it
//! (<https://docs.aws.amazon.com/sdkref/latest/guide/settings-reference.html>),
//! in particular `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`, which
//! the tests use to point the clients at a local endpoint. No profile file
//! is read and no credential source is asked over the network: a function
//! missing its credentials fails at its first call with an error naming the
//! variable, instead of spending its deadline on the instance metadata
//! service.
//!
//! One client constructor per service, each behind a cargo feature of the
//! same name, so a function compiles only the clients it calls.

mod config;
mod http;
#[cfg(feature = "secretsmanager")]
pub mod secrets;

pub use aws_config::SdkConfig;
pub use config::{load, Options, CONNECT_TIMEOUT};
pub use http::http_client;

// The SDK types a caller configures `Options` with.
pub use aws_config::retry::RetryConfig;
pub use aws_config::timeout::TimeoutConfig;

#[cfg(feature = "firehose")]
pub use aws_sdk_firehose as firehose;
#[cfg(feature = "kinesis")]
pub use aws_sdk_kinesis as kinesis;
#[cfg(feature = "secretsmanager")]
pub use aws_sdk_secretsmanager as secretsmanager;
#[cfg(feature = "sts")]
pub use aws_sdk_sts as sts;

/// The Amazon Data Firehose client (`PutRecordBatch`).
#[cfg(feature = "firehose")]
pub fn firehose_client(config: &SdkConfig) -> aws_sdk_firehose::Client {
    aws_sdk_firehose::Client::new(config)
}

/// The Kinesis Data Streams client (`PutRecords`).
#[cfg(feature = "kinesis")]
pub fn kinesis_client(config: &SdkConfig) -> aws_sdk_kinesis::Client {
    aws_sdk_kinesis::Client::new(config)
}

/// The Secrets Manager client (`GetSecretValue`; see [`secrets`]).
#[cfg(feature = "secretsmanager")]
pub fn secrets_manager_client(config: &SdkConfig) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(config)
}

/// The STS client (`GetCallerIdentity`, `AssumeRole`).
#[cfg(feature = "sts")]
pub fn sts_client(config: &SdkConfig) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::new(config)
}

// The tests use every client: they run with the default features.
#[cfg(all(
    test,
    feature = "firehose",
    feature = "kinesis",
    feature = "secretsmanager",
    feature = "sts"
))]
mod tests;
