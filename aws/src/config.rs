//! The shared SDK configuration: `aws-config`'s loader with the region and
//! credentials taken from the environment only, no profile files, the SDK's
//! HTTP client ([`crate::http`]), and the caller's retries and timeouts.

use std::time::Duration;

use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::meta::region::ProvideRegion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};

/// The connect timeout `aws-config` sets when none is given.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// How hard the SDK itself tries, and how long it waits.
#[derive(Debug, Clone)]
pub struct Options {
    /// The SDK's retries. [`RetryConfig::disabled`] when the caller retries
    /// on its own terms (the Firehose transformer's re-ingestion loop,
    /// bounded by the invocation's deadline).
    pub retry: RetryConfig,
    /// The SDK's timeouts; `aws-config` fills in a connect timeout of
    /// [`CONNECT_TIMEOUT`] when none is set.
    pub timeout: TimeoutConfig,
}

impl Default for Options {
    /// The SDK's standard retries (3 attempts, exponential backoff with
    /// jitter from 1 s, throttling and transient errors only) and its
    /// default connect timeout.
    fn default() -> Self {
        Options {
            retry: RetryConfig::standard(),
            timeout: TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .build(),
        }
    }
}

impl Options {
    /// One attempt per call: the caller decides what to retry and when.
    pub fn caller_retries() -> Self {
        Options {
            retry: RetryConfig::disabled(),
            ..Options::default()
        }
    }
}

/// Loads the configuration every client is built from, once, at start:
/// the region and credentials from the process environment, the rest as
/// the SDK reads it from the environment (endpoint URLs, FIPS and dual-stack
/// flags). Reads no file and makes no network call; credentials are
/// checked at the first call, which fails with `CredentialsNotLoaded`
/// naming the missing variable.
pub async fn load(options: &Options) -> SdkConfig {
    configure(
        aws_config::defaults(BehaviorVersion::latest()),
        EnvironmentVariableCredentialsProvider::new(),
        EnvironmentVariableRegionProvider::new(),
        options,
    )
    .load()
    .await
}

/// Everything [`load`] sets, on a given loader with given region and
/// credential providers: the tests hand in their own environment.
pub(crate) fn configure(
    loader: ConfigLoader,
    credentials: impl ProvideCredentials + 'static,
    region: impl ProvideRegion + 'static,
    options: &Options,
) -> ConfigLoader {
    loader
        .region(region)
        .credentials_provider(credentials)
        .http_client(crate::http::http_client())
        .retry_config(options.retry.clone())
        .timeout_config(options.timeout.clone())
        // An empty profile: no ~/.aws/config or ~/.aws/credentials lookup
        // (a Lambda has none; a developer's must not leak into tests).
        .profile_files(
            EnvConfigFiles::builder()
                .with_contents(EnvConfigFileKind::Config, "")
                .build(),
        )
}
