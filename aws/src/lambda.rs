//! What every function does at start, the same way: logging as Lambda's
//! advanced logging controls ask, the library's configuration and the
//! function's own settings read and validated once (the hash key from
//! Secrets Manager), a configuration error reported to the Runtime API
//! (`/runtime/init/error`) as well as logged; and the runtime loop of the
//! functions invoked with JSON events ([`serve_events`]).

use cognito_activity::config::{HASH_KEY, HASH_KEY_SECRET_ARN};
use cognito_activity::Config;
use http_body_util::BodyExt as _;
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{build_request, Client};

/// A start-up error: its message names the variable and the allowed values.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A function's own setting refused at start: the variable and what it
/// allows.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {message}")]
pub struct SettingError {
    pub var: &'static str,
    pub message: String,
}

impl SettingError {
    pub fn new(var: &'static str, message: impl Into<String>) -> Self {
        SettingError {
            var,
            message: message.into(),
        }
    }
}

/// A function's own settings, read at start: a refused one is logged with
/// its variable and reported as the start's failure (see [`fail_start`]),
/// and the function stops.
pub async fn settings<T>(read: Result<T, SettingError>) -> Result<T, Error> {
    match read {
        Ok(settings) => Ok(settings),
        Err(error) => {
            tracing::error!(variable = error.var, error = %error, "invalid configuration");
            Err(fail_start(error.to_string().into()).await)
        }
    }
}

/// An invocation's failure as Lambda reports it: [`Self::kind`] is the
/// `errorType`, the `Display` text the `errorMessage`.
pub trait InvocationError: std::fmt::Display {
    fn kind(&self) -> &'static str;
}

/// How long before the invocation's deadline [`serve_events`]' handlers
/// stop: time to answer, log and report before Lambda ends the invocation
/// (the Firehose function keeps the same margin for re-ingestion).
pub const DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_millis(1500);

/// The invocation's deadline (epoch milliseconds, from the Runtime API's
/// `Lambda-Runtime-Deadline-Ms`) on tokio's clock.
pub fn deadline_instant(deadline_ms: u64) -> tokio::time::Instant {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    tokio::time::Instant::now()
        + std::time::Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}

/// The runtime loop of a function invoked with JSON events by S3,
/// EventBridge or S3 Batch Operations: each event's payload to `handle`,
/// with the time to stop by (the invocation's deadline less
/// [`DEADLINE_MARGIN`]), its answer back as JSON. A failed invocation is
/// logged with its request id and reported to Lambda, which retries it and
/// then sends the event to the function's dead-letter queue.
pub async fn serve_events<F, Fut, R, E>(handle: F) -> Result<(), Error>
where
    F: Fn(serde_json::Value, tokio::time::Instant) -> Fut,
    Fut: std::future::Future<Output = Result<R, E>>,
    R: serde::Serialize,
    E: InvocationError,
{
    let handle = &handle;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let request_id = event.context.request_id;
            let deadline = deadline_instant(event.context.deadline);
            let stop_at = deadline.checked_sub(DEADLINE_MARGIN).unwrap_or(deadline);
            handle(event.payload, stop_at).await.map_err(|e| {
                tracing::error!(
                    request_id = %request_id,
                    error = %e,
                    "invocation failed; Lambda retries it, then sends it to the dead-letter queue"
                );
                lambda_runtime::Diagnostic {
                    error_type: e.kind().to_string(),
                    error_message: e.to_string(),
                }
            })
        },
    ))
    .await
}

/// Handles every object an S3 event names, in order, each on its own: one
/// that fails (logged with its bucket and key) never keeps the others from
/// being handled. The first failure is then the invocation's, for Lambda to
/// retry (then the dead-letter queue); a retry handles the others again,
/// which the functions make write the same keys with the same bytes.
#[cfg(feature = "s3")]
pub async fn each_object<T, E, Fut>(
    objects: Vec<crate::events::ObjectRef>,
    mut handle: impl FnMut(crate::events::ObjectRef) -> Fut,
) -> Result<Vec<T>, E>
where
    Fut: std::future::Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut done = Vec::with_capacity(objects.len());
    let mut failed = None;
    for object in objects {
        let (bucket, key) = (object.bucket.clone(), object.key.clone());
        match handle(object).await {
            Ok(summary) => done.push(summary),
            Err(e) => {
                tracing::error!(bucket = %bucket, key = %key, error = %e, "object failed; the event's other objects are still handled");
                failed.get_or_insert(e);
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(done),
    }
}

/// Reads and validates the library's configuration once, at start. A bad value stops
/// the function with a message naming the variable and the allowed values.
pub async fn load_config() -> Result<Config, Error> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let refuse = |variable: &'static str, message: String| {
        tracing::error!(variable, error = %message, "invalid configuration");
        Error::from(message)
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
        if e.var != HASH_KEY {
            return refuse(e.var, e.to_string());
        }
        // The key comes from the secret the function is told of: the
        // message names that variable and what it allows, never HASH_KEY,
        // which the function refuses.
        let allowed = format!(
            "the ARN of a Secrets Manager secret whose string is {}",
            e.allowed
        );
        let why = match &key {
            None => format!("not set, and a key is {}", e.reason),
            Some(_) => format!("the key in its secret is unusable ({})", e.reason),
        };
        refuse(
            HASH_KEY_SECRET_ARN,
            format!("invalid {HASH_KEY_SECRET_ARN}: {why}; allowed: {allowed}"),
        )
    })
}

/// The HMAC key: the secret's string, read once at start, kept in memory only.
async fn hash_key_from(arn: &str) -> Result<String, crate::secrets::SecretError> {
    let started = std::time::Instant::now();
    let sdk = crate::load(&crate::secrets::read_options()).await;
    let client = crate::secrets_manager_client(&sdk);
    let key = crate::secrets::secret_string(&client, arn).await?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "hash key read from Secrets Manager"
    );
    Ok(key)
}

/// Reports a start-up failure (a configuration error) to
/// `POST /runtime/init/error`, so that it shows in Lambda's own reporting
/// (the invocation error and its type) and not only in the logs. The
/// message names the variable and never holds a secret's value.
pub async fn report_init_error(message: &str) -> Result<(), Error> {
    let client = Client::builder().build()?;
    let reply = client.call(init_error_request(message)?).await?;
    reply.into_body().collect().await?;
    Ok(())
}

/// Logs a start-up failure's message as given and reports it (see
/// [`report_init_error`]); answers the error for `main` to return.
pub async fn fail_start(error: Error) -> Error {
    if let Err(post) = report_init_error(&error.to_string()).await {
        tracing::error!(error = %post, "could not report the configuration error to the Runtime API");
    }
    error
}

fn init_error_request(message: &str) -> Result<http::Request<Body>, Error> {
    let diagnostic = serde_json::json!({
        "errorType": "ConfigurationError",
        "errorMessage": message,
    });
    Ok(build_request()
        .method(http::Method::POST)
        .uri("/2018-06-01/runtime/init/error")
        .header(
            "lambda-runtime-function-error-type",
            "Runtime.ConfigurationError",
        )
        .body(Body::from(serde_json::to_vec(&diagnostic)?))?)
}

/// Our crates at `level`; every other crate (runtime, HTTP, SDK) at WARN or above.
/// `function` is the function crate's name as a target (`firehose_transformer`);
/// `cognito_activity` covers the library and the crates beside it.
pub fn log_filter(
    level: tracing_subscriber::filter::LevelFilter,
    function: &'static str,
) -> tracing_subscriber::filter::Targets {
    use tracing_subscriber::filter::LevelFilter;
    tracing_subscriber::filter::Targets::new()
        .with_default(level.min(LevelFilter::WARN))
        .with_target(function, level)
        .with_target("cognito_activity", level)
}

/// Sets up `tracing` the way Lambda's advanced logging controls expect:
/// JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON` (the template's
/// `LoggingConfig`), plain text otherwise, at the level named by
/// `AWS_LAMBDA_LOG_LEVEL` (`TRACE`, `DEBUG`, `INFO` (default), `WARN`,
/// `ERROR`; `FATAL` counts as `ERROR`). Written here rather than taken from
/// lambda_runtime's `tracing` feature, whose env-filter brings a regex
/// engine into the binary for a single level setting.
pub fn init_logging(function: &'static str) {
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
    let filter = log_filter(level, function);
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
    std::panic::set_hook(Box::new(log_panic));
}

/// What a panic logs, in place of the standard hook's line on stderr: where
/// it happened, not its message, which can quote the data it refused (a
/// string sliced off a character boundary prints the string, an `expect` on
/// a parse error the value), and so an IP address or a user name from the
/// event. The message still reaches the caught panic's error answer (see the
/// Firehose transformer's `runtime.rs`), which goes to the invoker, not to
/// the logs.
fn log_panic(info: &std::panic::PanicHookInfo<'_>) {
    match info.location() {
        Some(at) => tracing::error!(file = at.file(), line = at.line(), "panicked"),
        None => tracing::error!("panicked"),
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
            let filter = log_filter(level, "firehose_transformer");
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
                    "cognito_activity_seclake::lines",
                ] {
                    assert!(filter.would_enable(target, &ours), "{target} at {ours}");
                }
            }
        }
    }
}

#[cfg(test)]
mod panic_hook_tests {
    use std::process::Command;

    const CHILD: &str = "COGNITO_ACTIVITY_PANIC_HOOK_CHILD";

    /// Runs itself again as a child process that sets up the logging and
    /// panics with a message holding an address and a user name.
    #[test]
    fn a_panic_is_logged_with_its_place_but_not_its_message() {
        if std::env::var_os(CHILD).is_some() {
            super::init_logging("panic_hook_test");
            panic!("refused 203.0.113.9 for alice");
        }
        let out = Command::new(std::env::current_exe().expect("the test binary"))
            .args([
                "--exact",
                "lambda::panic_hook_tests::a_panic_is_logged_with_its_place_but_not_its_message",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .output()
            .expect("the child runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "the child panicked: {text}");
        assert!(
            text.lines()
                .any(|l| l.contains("\"panicked\"") && l.contains("lambda.rs")),
            "{text}"
        );
        assert!(
            !text.contains("203.0.113.9") && !text.contains("alice"),
            "{text}"
        );
    }
}
