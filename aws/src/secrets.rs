//! Secrets read at start from AWS Secrets Manager (`GetSecretValue`,
//! <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html>):
//! configuration that must not sit in the function's environment.
//!
//! Errors name the secret and the service's error code, never the value.

use std::time::Duration;

use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;

use crate::{Options, RetryConfig, TimeoutConfig};

/// How long a secret read at start may take in all, retries included, and
/// each attempt. Lambda gives a function's start 10 s; a read still waiting
/// then would end it without a word, where this ends it with the secret's
/// name and `timeout`.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
pub const READ_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
const _: () = assert!(READ_TIMEOUT.as_secs() < 10 && READ_ATTEMPT_TIMEOUT.as_secs() < 10);

/// The SDK options of a read at start: the standard retries, within
/// [`READ_TIMEOUT`].
pub fn read_options() -> Options {
    Options {
        retry: RetryConfig::standard(),
        timeout: TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(1))
            .operation_attempt_timeout(READ_ATTEMPT_TIMEOUT)
            .operation_timeout(READ_TIMEOUT)
            .build(),
    }
}

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The call failed: no such secret, access denied, throttled, ...
    #[error("secret {secret_id} could not be read: {code}")]
    Read {
        secret_id: String,
        /// The service's error code, or the SDK's kind of failure
        /// (`timeout`, `dispatch_failure`, ...).
        code: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The secret holds binary data, not a string.
    #[error("secret {secret_id} has no string value")]
    NotString { secret_id: String },
}

/// The current string value of secret `secret_id` (a name or an ARN).
pub async fn secret_string(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<String, SecretError> {
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| SecretError::Read {
            secret_id: secret_id.to_string(),
            code: match &e {
                SdkError::TimeoutError(_) => "timeout",
                // A connection that never opens (no endpoint, no NAT in the
                // VPC) ends at the connect timeout, as a dispatch failure.
                SdkError::DispatchFailure(f) if f.is_timeout() => "timeout",
                SdkError::DispatchFailure(_) => "dispatch_failure",
                _ => e.code().unwrap_or("sdk_error"),
            }
            .to_string(),
            source: Box::new(e),
        })?;
    out.secret_string.ok_or_else(|| SecretError::NotString {
        secret_id: secret_id.to_string(),
    })
}
