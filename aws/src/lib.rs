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
#[cfg(feature = "s3")]
pub mod events;
mod http;
#[cfg(feature = "lambda")]
pub mod lambda;
#[cfg(feature = "s3")]
pub mod objects;
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
#[cfg(feature = "s3")]
pub use aws_sdk_s3 as s3;
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

/// The S3 client (`GetObject`, `PutObject`). Path-style addressing
/// (`endpoint/bucket/key`) when an endpoint URL is set
/// (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`): a local endpoint has no
/// per-bucket host names. Virtual-hosted style otherwise, as AWS advises.
#[cfg(feature = "s3")]
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let local = config.endpoint_url().is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some_and(|v| !v.is_empty());
    let s3 = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(local)
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

/// `config` with the credentials of role `role_arn`, assumed through STS
/// (`AssumeRole` with `external_id`, <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>)
/// by `config`'s own credentials, under `session_name`. The SDK's provider
/// caches the role's credentials and renews them before they expire; the
/// first call made with them assumes the role, so a refused role fails that
/// call (naming STS's error), not the start.
#[cfg(feature = "s3")]
pub async fn assume_role(
    config: &SdkConfig,
    role_arn: &str,
    external_id: &str,
    session_name: &str,
) -> SdkConfig {
    let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .external_id(external_id)
        .session_name(session_name)
        .configure(config)
        .build()
        .await;
    config
        .to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build()
}

// The tests use every client: they run with the default features.
#[cfg(all(
    test,
    feature = "firehose",
    feature = "kinesis",
    feature = "secretsmanager",
    feature = "sts",
    feature = "s3",
    feature = "lambda"
))]
mod tests;
