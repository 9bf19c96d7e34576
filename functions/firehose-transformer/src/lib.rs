//! The Lambda's pieces beyond the library: the handler, the Runtime API
//! loop that feeds it raw bytes, configuration loading, and re-ingestion of
//! records that do not fit in the response.

pub mod aws;
pub mod handler;
pub mod reingest;
pub mod runtime;

pub use aws::AwsSink;
pub use reingest::{Reingester, RetryPolicy};

use cognito_activity::config::{HASH_KEY, HASH_KEY_SECRET_ARN};
use cognito_activity::Config;

/// Reads and validates the configuration once, at start. A bad value stops
/// the function with a message naming the variable and the allowed values.
pub async fn load_config() -> Result<Config, lambda_runtime::Error> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let refuse = |variable: &'static str, message: String| {
        tracing::error!(variable, error = %message, "invalid configuration");
        lambda_runtime::Error::from(message)
    };
    if env(HASH_KEY).is_some() {
        return Err(refuse(
            HASH_KEY,
            format!(
                "{HASH_KEY} must not be set in the function's environment (its configuration is \
                 readable by whoever may read the function): name the Secrets Manager secret \
                 holding the key in {HASH_KEY_SECRET_ARN}"
            ),
        ));
    }
    let key = match env(HASH_KEY_SECRET_ARN) {
        Some(arn) => Some(
            hash_key_from(&arn)
                .await
                .map_err(|e| refuse(HASH_KEY_SECRET_ARN, format!("{HASH_KEY_SECRET_ARN}: {e}")))?,
        ),
        None => None,
    };
    Config::from_lookup(|name| {
        if name == HASH_KEY {
            key.clone()
        } else {
            env(name)
        }
    })
    .map_err(|e| {
        let var = if e.var == HASH_KEY {
            HASH_KEY_SECRET_ARN
        } else {
            e.var
        };
        refuse(var, e.to_string())
    })
}

/// The HMAC key: the secret's string, read once at start, kept in memory only.
async fn hash_key_from(arn: &str) -> Result<String, cognito_activity_aws::secrets::SecretError> {
    let started = std::time::Instant::now();
    let sdk = cognito_activity_aws::load(&cognito_activity_aws::Options::default()).await;
    let client = cognito_activity_aws::secrets_manager_client(&sdk);
    let key = cognito_activity_aws::secrets::secret_string(&client, arn).await?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "hash key read from Secrets Manager"
    );
    Ok(key)
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

/// Our crates at `level`; every other crate (runtime, HTTP, SDK) at WARN or above.
pub fn log_filter(
    level: tracing_subscriber::filter::LevelFilter,
) -> tracing_subscriber::filter::Targets {
    use tracing_subscriber::filter::LevelFilter;
    tracing_subscriber::filter::Targets::new()
        .with_default(level.min(LevelFilter::WARN))
        .with_target("firehose_transformer", level)
        .with_target("cognito_activity", level)
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
    // Only our own code logs below WARN: the runtime, HTTP and SDK crates log request and
    // response bodies (the event itself: IP addresses, user names) at DEBUG and TRACE, so at
    // any ApplicationLogLevel they are held at WARN or above (tests/tests/bootstrap.rs runs
    // every level).
    let filter = log_filter(level);
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_ansi(false)
        // CloudWatch adds its own timestamp to every line.
        .without_time();
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    if json {
        let subscriber = builder
            .json()
            .with_current_span(false)
            .with_span_list(false)
            .finish();
        subscriber.with(filter).init();
    } else {
        builder.finish().with(filter).init();
    }
}

#[cfg(test)]
mod log_filter_tests {
    use super::log_filter;
    use tracing::Level;
    use tracing_subscriber::filter::LevelFilter;

    #[test]
    fn other_crates_never_log_below_warn_whatever_the_level() {
        for level in [
            LevelFilter::TRACE,
            LevelFilter::DEBUG,
            LevelFilter::INFO,
            LevelFilter::WARN,
            LevelFilter::ERROR,
        ] {
            let filter = log_filter(level);
            for target in [
                "lambda_runtime",
                "lambda_runtime_api_client",
                "hyper",
                "aws_smithy_runtime",
                "h2",
            ] {
                for below_warn in [Level::TRACE, Level::DEBUG, Level::INFO] {
                    assert!(
                        !filter.would_enable(target, &below_warn),
                        "{target} at {below_warn} with {level}"
                    );
                }
            }
            let ours = level.into_level();
            if let Some(ours) = ours {
                for target in [
                    "firehose_transformer::handler",
                    "cognito_activity::firehose::response",
                    "firehose_transformer",
                ] {
                    assert!(filter.would_enable(target, &ours), "{target} at {ours}");
                }
            }
        }
    }
}
