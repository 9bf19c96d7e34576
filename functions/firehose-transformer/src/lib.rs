//! The Lambda's pieces beyond the library: the handler, configuration
//! loading, and re-ingestion of records that do not fit in the response.

pub mod aws;
pub mod handler;
pub mod reingest;

pub use aws::AwsSink;
pub use reingest::{Reingester, RetryPolicy};

use cognito_activity::Config;

/// Reads and validates the configuration once, at start. A bad value stops
/// the function with a message naming the variable and the allowed values.
pub fn load_config() -> Result<Config, lambda_runtime::Error> {
    Config::from_env().map_err(|e| {
        tracing::error!(variable = e.var, error = %e, "invalid configuration");
        lambda_runtime::Error::from(e.to_string())
    })
}

/// The production re-ingester: the AWS SDK, `REINGEST` from `config`.
pub async fn reingester(config: &Config) -> Reingester<AwsSink> {
    Reingester::new(
        AwsSink::from_env().await,
        config.reingest,
        RetryPolicy::default(),
    )
}
