//! The Lambda's pieces beyond the library: the handler, the Runtime API
//! loop that feeds it raw bytes, configuration loading, and re-ingestion of
//! records that do not fit in the response.

pub mod aws;
pub mod handler;
pub mod next;
pub mod reingest;
pub mod runtime;

pub use aws::AwsSink;
pub use reingest::{Reingester, RetryPolicy};

use cognito_activity::Config;

/// The production re-ingester: the AWS SDK, `REINGEST` from `config`.
/// Reads only environment variables (see `aws.rs`).
pub async fn reingester(config: &Config) -> Reingester<AwsSink> {
    Reingester::new(
        AwsSink::from_env().await,
        config.reingest,
        RetryPolicy::default(),
    )
}
