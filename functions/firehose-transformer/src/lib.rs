//! The Lambda's pieces beyond the library: the handler, the Runtime API
//! loop that feeds it raw bytes, configuration loading, and re-ingestion of
//! records that do not fit in the response.

pub mod aws;
pub mod handler;
pub mod reingest;
pub mod runtime;

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
/// Reads only environment variables (see `aws.rs`).
pub async fn reingester(config: &Config) -> Reingester<AwsSink> {
    Reingester::new(
        AwsSink::from_env().await,
        config.reingest,
        RetryPolicy::default(),
    )
}

/// Sets up `tracing` the way Lambda's advanced logging controls expect:
/// JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON` (the template's
/// `LoggingConfig`), plain text otherwise, at the level named by
/// `AWS_LAMBDA_LOG_LEVEL` (`TRACE`, `DEBUG`, `INFO` (default), `WARN`,
/// `ERROR`; `FATAL` counts as `ERROR`). Written here rather than taken from
/// lambda_runtime's `tracing` feature, whose env-filter brings a regex
/// engine into the binary for a single level setting.
pub fn init_logging() {
    use tracing_subscriber::filter::LevelFilter;
    let level = match std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .unwrap_or_default()
        .to_ascii_uppercase()
        .as_str()
    {
        "TRACE" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "WARN" => LevelFilter::WARN,
        "ERROR" | "FATAL" => LevelFilter::ERROR,
        _ => LevelFilter::INFO,
    };
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_ansi(false)
        // CloudWatch adds its own timestamp to every line.
        .without_time();
    if json {
        builder
            .json()
            .with_current_span(false)
            .with_span_list(false)
            .init();
    } else {
        builder.init();
    }
}
