//! Secrets read at start from AWS Secrets Manager (`GetSecretValue`,
//! <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html>):
//! configuration that must not sit in the function's environment.
//!
//! Errors name the secret and the service's error code, never the value.

use aws_sdk_secretsmanager::error::ProvideErrorMetadata;

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The call failed: no such secret, access denied, throttled, ...
    #[error("secret {secret_id} could not be read: {code}")]
    Read {
        secret_id: String,
        /// The service's error code, or the SDK's kind of failure.
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
            code: e.code().unwrap_or("sdk_error").to_string(),
            source: Box::new(e),
        })?;
    out.secret_string.ok_or_else(|| SecretError::NotString {
        secret_id: secret_id.to_string(),
    })
}
