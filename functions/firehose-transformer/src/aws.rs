//! The production [`Sink`]: the AWS SDK for Rust, Firehose `PutRecordBatch`
//! (<https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html>)
//! and Kinesis `PutRecords`
//! (<https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html>).
//!
//! The SDK's own retries are off: `reingest::put_all` retries, so that one
//! loop, bounded by the invocation's deadline, decides.
//!
//! The two clients' configuration is built here from the environment Lambda
//! gives a function
//! (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime>)
//! rather than by `aws-config`, whose default chain (profile files, SSO,
//! STS web identity, ECS and EC2 instance metadata, and a URL parser for
//! them) is about 1 MB of binary that a Lambda never uses. What it read that
//! matters here is read the same way
//! (<https://docs.aws.amazon.com/sdkref/latest/guide/settings-reference.html>):
//!
//! - region: `AWS_REGION`, else `AWS_DEFAULT_REGION`;
//! - credentials: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (or
//!   `SECRET_ACCESS_KEY`), `AWS_SESSION_TOKEN`, read when the SDK asks for
//!   them (see [`EnvCredentials`]), not once at start;
//! - endpoint: `AWS_ENDPOINT_URL_FIREHOSE` / `AWS_ENDPOINT_URL_KINESIS`,
//!   else `AWS_ENDPOINT_URL`, none of them when
//!   `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`
//!   (<https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html>);
//!   the tests use this to point the function at a local endpoint;
//! - `AWS_USE_FIPS_ENDPOINT`, `AWS_USE_DUALSTACK_ENDPOINT`;
//! - the rest as `aws-config` left it: the latest behavior version, a
//!   3.1 s connect timeout, tokio's sleep, the system clock.

use std::time::Duration;

use aws_credential_types::provider::{error::CredentialsError, future, ProvideCredentials};
use aws_credential_types::Credentials;
use aws_sdk_firehose::config::retry::RetryConfig;
use aws_sdk_firehose::config::timeout::TimeoutConfig;
use aws_sdk_firehose::config::{BehaviorVersion, Region, SharedCredentialsProvider};
use aws_sdk_firehose::error::ProvideErrorMetadata;
use aws_sdk_firehose::primitives::Blob;
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_async::time::SystemTimeSource;
use aws_types::SdkConfig;

use crate::reingest::{Entry, PutError, Sink, Target};

/// Error codes after which trying again is pointless.
const PERMANENT: &[&str] = &[
    "ResourceNotFoundException",
    "InvalidArgumentException",
    "InvalidKMSResourceException",
    "AccessDeniedException",
    "KMSAccessDeniedException",
    "KMSDisabledException",
    "KMSNotFoundException",
    "ValidationException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "MissingAuthenticationTokenException",
];

/// The connect timeout `aws-config` sets by default.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// How the process environment is read; a parameter so that tests can
/// supply their own.
type Lookup = fn(&str) -> Option<String>;

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A variable's value, `None` when unset or blank.
fn non_blank(env: Lookup, name: &str) -> Option<String> {
    env(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `true` / `false` in any case; anything else is ignored with a warning,
/// as the SDK's own loader does.
fn flag(env: Lookup, name: &str) -> Option<bool> {
    let value = non_blank(env, name)?;
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        tracing::warn!(variable = name, "ignored: not true or false");
        None
    }
}

/// The region the clients sign for and send to.
fn region(env: Lookup) -> Option<Region> {
    non_blank(env, "AWS_REGION")
        .or_else(|| non_blank(env, "AWS_DEFAULT_REGION"))
        .map(Region::new)
}

/// The endpoint URL configured for one service, the service-specific
/// variable first (`AWS_ENDPOINT_URL_` and the service id upper-cased).
/// A value that is not an absolute URL is ignored with a warning (as
/// `aws-config` does), so the SDK resolves the AWS endpoint instead.
fn endpoint_url(env: Lookup, service_env_suffix: &str) -> Option<String> {
    if flag(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") == Some(true) {
        return None;
    }
    let service_var = format!("AWS_ENDPOINT_URL_{service_env_suffix}");
    let (name, url) = match non_blank(env, &service_var) {
        Some(url) => (service_var.as_str(), url),
        None => ("AWS_ENDPOINT_URL", non_blank(env, "AWS_ENDPOINT_URL")?),
    };
    if is_absolute_url(&url) {
        Some(url)
    } else {
        tracing::warn!(variable = name, "ignored: not an absolute URL");
        None
    }
}

/// `scheme://authority...`, with a scheme of letters, digits, `+`, `-`,
/// `.` starting with a letter (RFC 3986, section 3.1) and a non-empty
/// authority.
fn is_absolute_url(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !rest.starts_with('/')
        && !rest.contains(char::is_whitespace)
}

/// Credentials from the environment variables Lambda sets from the
/// execution role, read each time the SDK's identity cache asks (at the
/// first call, then when its cached copy ages out), like `aws-config`'s
/// `EnvironmentVariableCredentialsProvider`.
#[derive(Debug, Clone, Copy)]
pub struct EnvCredentials {
    env: Lookup,
}

impl EnvCredentials {
    /// Reads the process environment.
    pub fn new() -> Self {
        EnvCredentials { env: process_env }
    }

    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let missing = |name: &str| CredentialsError::not_loaded(format!("{name} is not set"));
        let access_key =
            non_blank(self.env, "AWS_ACCESS_KEY_ID").ok_or_else(|| missing("AWS_ACCESS_KEY_ID"))?;
        let secret_key = non_blank(self.env, "AWS_SECRET_ACCESS_KEY")
            .or_else(|| non_blank(self.env, "SECRET_ACCESS_KEY"))
            .ok_or_else(|| missing("AWS_SECRET_ACCESS_KEY"))?;
        let session_token = non_blank(self.env, "AWS_SESSION_TOKEN");
        Ok(Credentials::new(
            access_key,
            secret_key,
            session_token,
            None,
            "EnvironmentVariable",
        ))
    }
}

impl Default for EnvCredentials {
    fn default() -> Self {
        Self::new()
    }
}

impl ProvideCredentials for EnvCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(self.credentials())
    }
}

/// What both clients share: everything but the endpoint URL.
fn shared_config(env: Lookup, credentials: EnvCredentials) -> SdkConfig {
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region(env))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(https::Https::default())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .build(),
        )
        .sleep_impl(TokioSleep::new())
        .time_source(SystemTimeSource::new());
    builder.set_use_fips(flag(env, "AWS_USE_FIPS_ENDPOINT"));
    builder.set_use_dual_stack(flag(env, "AWS_USE_DUALSTACK_ENDPOINT"));
    builder.build()
}

/// Firehose and Kinesis clients sharing one SDK configuration.
pub struct AwsSink {
    firehose: aws_sdk_firehose::Client,
    kinesis: aws_sdk_kinesis::Client,
}

impl AwsSink {
    /// Builds the clients from the environment. Reads only environment
    /// variables, no files and no network; credentials are read on the
    /// first call.
    pub fn from_env() -> Self {
        Self::from_lookup(process_env)
    }

    // Runs once per process: `cold` keeps the SDK's builders, inlined here
    // under this crate's opt-level 3, from growing the binary.
    #[cold]
    fn from_lookup(env: Lookup) -> Self {
        let shared = shared_config(env, EnvCredentials { env });
        let mut firehose = aws_sdk_firehose::config::Builder::from(&shared);
        firehose.set_endpoint_url(endpoint_url(env, "FIREHOSE"));
        let mut kinesis = aws_sdk_kinesis::config::Builder::from(&shared);
        kinesis.set_endpoint_url(endpoint_url(env, "KINESIS"));
        AwsSink {
            firehose: aws_sdk_firehose::Client::from_conf(firehose.build()),
            kinesis: aws_sdk_kinesis::Client::from_conf(kinesis.build()),
        }
    }
}

fn classify<E: ProvideErrorMetadata, R>(e: &aws_sdk_firehose::error::SdkError<E, R>) -> PutError {
    use aws_sdk_firehose::error::SdkError;
    let code = match e {
        SdkError::ServiceError(_) => e.code().unwrap_or("service_error"),
        SdkError::DispatchFailure(_) => "dispatch_failure",
        SdkError::TimeoutError(_) => "timeout",
        SdkError::ResponseError(_) => "response_error",
        SdkError::ConstructionFailure(_) => "construction_failure",
        _ => "sdk_error",
    };
    PutError {
        code: code.to_string(),
        retryable: !PERMANENT.contains(&code) && code != "construction_failure",
    }
}

fn build_error(e: impl std::fmt::Display) -> PutError {
    PutError {
        code: format!("build: {e}"),
        retryable: false,
    }
}

impl Sink for AwsSink {
    async fn put_batch(
        &self,
        target: &Target,
        entries: &[Entry],
    ) -> Result<Vec<Option<String>>, PutError> {
        match target {
            Target::Firehose { stream } => {
                let records = entries
                    .iter()
                    .map(|e| {
                        aws_sdk_firehose::types::Record::builder()
                            .data(Blob::new(e.data.clone()))
                            .build()
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(build_error)?;
                let out = self
                    .firehose
                    .put_record_batch()
                    .delivery_stream_name(stream)
                    .set_records(Some(records))
                    .send()
                    .await
                    .map_err(|e| classify(&e))?;
                Ok(out
                    .request_responses()
                    .iter()
                    .map(|r| r.error_code().map(str::to_owned))
                    .collect())
            }
            Target::Kinesis { stream_arn } => {
                let records = entries
                    .iter()
                    .map(|e| {
                        aws_sdk_kinesis::types::PutRecordsRequestEntry::builder()
                            .data(aws_sdk_kinesis::primitives::Blob::new(e.data.clone()))
                            .partition_key(&e.partition_key)
                            .build()
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(build_error)?;
                let out = self
                    .kinesis
                    .put_records()
                    .stream_arn(stream_arn)
                    .set_records(Some(records))
                    .send()
                    .await
                    .map_err(|e| classify(&e))?;
                Ok(out
                    .records()
                    .iter()
                    .map(|r| r.error_code().map(str::to_owned))
                    .collect())
            }
        }
    }
}

/// The SDK's HTTP client: hyper's HTTP/1.1 client over rustls.
///
/// In place of `aws-smithy-http-client`, whose client always carries an
/// HTTP/2 stack (h2) that `PutRecordBatch` and `PutRecords` never need.
/// TLS is what that client sets up with rustls and `ring`: TLS 1.2 and 1.3
/// with its cipher suites (AES-GCM, and ChaCha20-Poly1305 with ECDHE-RSA),
/// server certificates verified against the system's trusted roots
/// (`rustls-native-certs`, loaded when the first request is made). Plain
/// `http://` is used only when an endpoint URL says so (the tests' local
/// endpoint). Timeouts follow the SDK's settings as that client applies
/// them: the connect timeout covers TCP and the TLS handshake, the read
/// timeout (unset by default) the wait for the response head.
mod https {
    use std::borrow::Cow;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex, PoisonError};
    use std::task::{Context, Poll};
    use std::time::Duration;

    use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_types::body::SdkBody;
    use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
    use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::{TokioExecutor, TokioTimer};

    type BoxError = Box<dyn std::error::Error + Send + Sync>;

    /// Connect and read timeouts, the settings a connector is built for.
    type Timeouts = (Option<Duration>, Option<Duration>);

    /// The cipher suites `aws-smithy-http-client` allows, in its order.
    pub(super) const SUITES: &[rustls::CipherSuite] = &[
        rustls::CipherSuite::TLS13_AES_256_GCM_SHA384,
        rustls::CipherSuite::TLS13_AES_128_GCM_SHA256,
        rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        rustls::CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    /// `ring` restricted to [`SUITES`].
    fn crypto_provider() -> rustls::crypto::CryptoProvider {
        let base = rustls::crypto::ring::default_provider();
        let cipher_suites = SUITES
            .iter()
            .filter_map(|suite| base.cipher_suites.iter().find(|s| s.suite() == *suite))
            .copied()
            .collect();
        rustls::crypto::CryptoProvider {
            cipher_suites,
            ..base
        }
    }

    /// The system's trusted root certificates.
    fn native_roots() -> rustls::RootCertStore {
        let native = rustls_native_certs::load_native_certs();
        if !native.errors.is_empty() {
            tracing::warn!(errors = ?native.errors, "native root CA certificate loading errors");
        }
        let mut roots = rustls::RootCertStore::empty();
        let (valid, _invalid) = roots.add_parsable_certificates(native.certs);
        if valid == 0 {
            tracing::warn!("no native root CA certificates found");
        }
        roots
    }

    /// The TLS configuration: [`crypto_provider`], TLS 1.2 and 1.3, server
    /// certificates verified (webpki) against `roots`.
    pub(super) fn tls_config(roots: rustls::RootCertStore) -> rustls::ClientConfig {
        rustls::ClientConfig::builder_with_provider(Arc::new(crypto_provider()))
            .with_safe_default_protocol_versions()
            // Fails only for a provider without suites for either version;
            // ring has both, so this is a programming error, not input.
            .expect("ring provides TLS 1.2 and 1.3 cipher suites")
            .with_root_certificates(roots)
            .with_no_client_auth()
    }

    /// The [`HttpClient`] given to the SDK: one connector (and so one
    /// connection pool) per set of timeouts, in practice exactly one.
    #[derive(Debug, Default)]
    pub(super) struct Https {
        connectors: Mutex<Vec<(Timeouts, SharedHttpConnector)>>,
    }

    impl HttpClient for Https {
        fn http_connector(
            &self,
            settings: &HttpConnectorSettings,
            _components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            let timeouts = (settings.connect_timeout(), settings.read_timeout());
            let mut connectors = self
                .connectors
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some((_, connector)) = connectors.iter().find(|(t, _)| *t == timeouts) {
                return connector.clone();
            }
            let connector = SharedHttpConnector::new(Connector::new(timeouts));
            connectors.push((timeouts, connector.clone()));
            connector
        }

        fn connector_metadata(&self) -> Option<ConnectorMetadata> {
            Some(ConnectorMetadata::new("hyper", Some(Cow::Borrowed("1.x"))))
        }
    }

    /// A request or connection that took longer than its timeout.
    #[derive(Debug)]
    struct TimedOut(&'static str, Duration);

    impl std::fmt::Display for TimedOut {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{} timed out after {:?}", self.0, self.1)
        }
    }

    impl std::error::Error for TimedOut {}

    /// The HTTPS connector with the connect timeout around TCP and TLS.
    #[derive(Clone)]
    struct TimedConnect {
        inner: HttpsConnector<TcpConnector>,
        timeout: Option<Duration>,
    }

    type Stream = <HttpsConnector<TcpConnector> as tower_service::Service<http::Uri>>::Response;

    impl tower_service::Service<http::Uri> for TimedConnect {
        type Response = Stream;
        type Error = BoxError;
        type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

        fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            self.inner.poll_ready(cx)
        }

        fn call(&mut self, uri: http::Uri) -> Self::Future {
            let connecting = self.inner.call(uri);
            let timeout = self.timeout;
            Box::pin(async move {
                match timeout {
                    Some(limit) => tokio::time::timeout(limit, connecting)
                        .await
                        .map_err(|_| BoxError::from(TimedOut("connect", limit)))?,
                    None => connecting.await,
                }
            })
        }
    }

    #[derive(Debug)]
    struct Connector {
        client: Client<TimedConnect, SdkBody>,
        read_timeout: Option<Duration>,
    }

    impl Connector {
        fn new((connect_timeout, read_timeout): Timeouts) -> Self {
            let mut tcp = TcpConnector::new();
            tcp.set_nodelay(true);
            // The scheme is the TLS layer's business.
            tcp.enforce_http(false);
            let https = HttpsConnectorBuilder::new()
                .with_tls_config(tls_config(native_roots()))
                .https_or_http()
                .enable_http1()
                .wrap_connector(tcp);
            let client = Client::builder(TokioExecutor::new())
                // Idle pooled connections expire on tokio's clock.
                .pool_timer(TokioTimer::new())
                .build(TimedConnect {
                    inner: https,
                    timeout: connect_timeout,
                });
            Connector {
                client,
                read_timeout,
            }
        }
    }

    impl HttpConnector for Connector {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            let request = match request.try_into_http1x() {
                Ok(request) => request,
                Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
            };
            let response = self.client.request(request);
            let read_timeout = self.read_timeout;
            HttpConnectorFuture::new(async move {
                let response = match read_timeout {
                    Some(limit) => match tokio::time::timeout(limit, response).await {
                        Ok(response) => response,
                        Err(_) => {
                            return Err(ConnectorError::timeout(TimedOut("response", limit).into()))
                        }
                    },
                    None => response.await,
                };
                match response {
                    Ok(response) => HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                        .map_err(|e| ConnectorError::other(e.into(), None)),
                    Err(e) => Err(connector_error(e)),
                }
            })
        }
    }

    /// Timeouts as timeouts, failures to connect or of the connection as
    /// I/O (both retryable for the SDK), anything else as other.
    fn connector_error(e: hyper_util::client::legacy::Error) -> ConnectorError {
        let mut timed_out = false;
        let mut io = e.is_connect();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(err) = source {
            timed_out |= err.is::<TimedOut>();
            io |= err.is::<std::io::Error>()
                || err
                    .downcast_ref::<hyper::Error>()
                    .is_some_and(|h| h.is_incomplete_message() || h.is_closed() || h.is_canceled());
            source = err.source();
        }
        if timed_out {
            ConnectorError::timeout(e.into())
        } else if io {
            ConnectorError::io(e.into())
        } else {
            ConnectorError::other(e.into(), None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lambda_env(name: &str) -> Option<String> {
        let value = match name {
            "AWS_REGION" => "eu-west-1",
            "AWS_DEFAULT_REGION" => "us-east-2",
            "AWS_ACCESS_KEY_ID" => "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY" => "secret",
            "AWS_SESSION_TOKEN" => "token",
            "AWS_ENDPOINT_URL" => "http://127.0.0.1:5000",
            _ => return None,
        };
        Some(value.to_string())
    }

    fn service_endpoints(name: &str) -> Option<String> {
        match name {
            "AWS_ENDPOINT_URL_KINESIS" => Some("http://127.0.0.1:4567".into()),
            "AWS_ENDPOINT_URL_FIREHOSE" => Some("   ".into()),
            _ => lambda_env(name),
        }
    }

    fn ignoring_endpoints(name: &str) -> Option<String> {
        match name {
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" => Some("TRUE".into()),
            _ => service_endpoints(name),
        }
    }

    fn bad_endpoint(name: &str) -> Option<String> {
        match name {
            "AWS_ENDPOINT_URL" => Some("127.0.0.1:5000".into()),
            _ => lambda_env(name),
        }
    }

    fn default_region_only(name: &str) -> Option<String> {
        match name {
            "AWS_REGION" => Some(String::new()),
            "SECRET_ACCESS_KEY" => Some("legacy-secret".into()),
            "AWS_SECRET_ACCESS_KEY" | "AWS_SESSION_TOKEN" => None,
            _ => lambda_env(name),
        }
    }

    fn fips_env(name: &str) -> Option<String> {
        match name {
            "AWS_USE_FIPS_ENDPOINT" => Some("True".into()),
            "AWS_USE_DUALSTACK_ENDPOINT" => Some("false".into()),
            _ => lambda_env(name),
        }
    }

    fn empty(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn region_is_aws_region_before_aws_default_region() {
        assert_eq!(region(lambda_env), Some(Region::new("eu-west-1")));
        assert_eq!(region(default_region_only), Some(Region::new("us-east-2")));
        assert_eq!(region(empty), None);
    }

    #[test]
    fn the_service_specific_endpoint_wins_over_the_global_one() {
        assert_eq!(
            endpoint_url(service_endpoints, "KINESIS").as_deref(),
            Some("http://127.0.0.1:4567")
        );
        // Blank counts as unset.
        assert_eq!(
            endpoint_url(service_endpoints, "FIREHOSE").as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(endpoint_url(empty, "FIREHOSE"), None);
    }

    #[test]
    fn endpoints_are_ignored_when_asked_to_or_not_urls() {
        assert_eq!(endpoint_url(ignoring_endpoints, "KINESIS"), None);
        assert_eq!(endpoint_url(ignoring_endpoints, "FIREHOSE"), None);
        assert_eq!(endpoint_url(bad_endpoint, "FIREHOSE"), None);
    }

    #[test]
    fn only_absolute_urls_count_as_endpoints() {
        assert!(is_absolute_url("https://firehose.us-east-1.amazonaws.com"));
        assert!(is_absolute_url("http://localhost:4566/"));
        assert!(!is_absolute_url("localhost:4566"));
        assert!(!is_absolute_url("http://"));
        assert!(!is_absolute_url("http:///path"));
        assert!(!is_absolute_url("1http://host"));
        assert!(!is_absolute_url("http://ho st"));
    }

    #[test]
    fn credentials_come_from_the_environment_with_the_session_token() {
        let creds = EnvCredentials { env: lambda_env }.credentials().unwrap();
        assert_eq!(creds.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(creds.secret_access_key(), "secret");
        assert_eq!(creds.session_token(), Some("token"));
    }

    #[test]
    fn the_legacy_secret_key_name_is_accepted_and_the_token_is_optional() {
        let creds = EnvCredentials {
            env: default_region_only,
        }
        .credentials()
        .unwrap();
        assert_eq!(creds.secret_access_key(), "legacy-secret");
        assert_eq!(creds.session_token(), None);
    }

    #[test]
    fn missing_credentials_are_an_error_naming_the_variable() {
        let err = EnvCredentials { env: empty }.credentials().unwrap_err();
        assert!(format!("{err:?}").contains("AWS_ACCESS_KEY_ID"), "{err:?}");
    }

    #[test]
    fn the_clients_get_region_endpoint_and_no_sdk_retries() {
        let sink = AwsSink::from_lookup(service_endpoints);
        let firehose = sink.firehose.config();
        assert_eq!(firehose.region(), Some(&Region::new("eu-west-1")));
        assert_eq!(
            sink.kinesis.config().region(),
            Some(&Region::new("eu-west-1"))
        );
        assert_eq!(firehose.retry_config().map(|r| r.max_attempts()), Some(1));
        assert_eq!(
            firehose.timeout_config().and_then(|t| t.connect_timeout()),
            Some(CONNECT_TIMEOUT)
        );
        assert!(firehose.sleep_impl().is_some());
        assert!(firehose.time_source().is_some());
    }

    #[test]
    fn the_shared_configuration_carries_credentials_client_and_flags() {
        let shared = shared_config(lambda_env, EnvCredentials { env: lambda_env });
        assert!(shared.credentials_provider().is_some());
        assert!(shared.http_client().is_some());
        assert_eq!(shared.use_fips(), None);
        let fips = shared_config(fips_env, EnvCredentials { env: fips_env });
        assert_eq!(fips.use_fips(), Some(true));
        assert_eq!(fips.use_dual_stack(), Some(false));
    }

    /// A self-signed certificate for `localhost` and its key, made fresh
    /// for each test run (no key material lives in the repository).
    fn test_identity() -> &'static (Vec<u8>, Vec<u8>) {
        static IDENTITY: std::sync::OnceLock<(Vec<u8>, Vec<u8>)> = std::sync::OnceLock::new();
        IDENTITY.get_or_init(|| {
            let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
            (made.cert.der().to_vec(), made.key_pair.serialize_der())
        })
    }

    /// Runs a TLS handshake in memory between a client with `roots` and a
    /// server for `localhost` with [`test_identity`] speaking `versions`.
    fn handshake(
        roots: rustls::RootCertStore,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> Result<(rustls::ProtocolVersion, rustls::CipherSuite), rustls::Error> {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        use std::sync::Arc;

        let (cert, key) = test_identity();
        let cert = CertificateDer::from(cert.clone());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.clone()));
        let server_config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
        let mut server = rustls::ServerConnection::new(Arc::new(server_config)).unwrap();
        let mut client = rustls::ClientConnection::new(
            Arc::new(https::tls_config(roots)),
            "localhost".try_into().unwrap(),
        )
        .unwrap();
        for _ in 0..10 {
            if !client.is_handshaking() {
                let suite = client.negotiated_cipher_suite().unwrap().suite();
                return Ok((client.protocol_version().unwrap(), suite));
            }
            let mut wire = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut wire).unwrap();
            }
            let mut rd = wire.as_slice();
            while !rd.is_empty() {
                server.read_tls(&mut rd).unwrap();
                server.process_new_packets()?;
            }
            let mut wire = Vec::new();
            while server.wants_write() {
                server.write_tls(&mut wire).unwrap();
            }
            let mut rd = wire.as_slice();
            while !rd.is_empty() {
                client.read_tls(&mut rd).unwrap();
                client.process_new_packets()?;
            }
        }
        panic!("the handshake did not finish");
    }

    fn trusting_the_test_cert() -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls::pki_types::CertificateDer::from(
                test_identity().0.clone(),
            ))
            .unwrap();
        roots
    }

    #[test]
    fn a_server_certificate_from_an_unknown_issuer_is_refused() {
        let err = handshake(rustls::RootCertStore::empty(), rustls::ALL_VERSIONS).unwrap_err();
        assert_eq!(
            err,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
        );
    }

    #[test]
    fn a_trusted_server_is_reached_over_tls_1_3_and_over_tls_1_2() {
        let (version, suite) = handshake(trusting_the_test_cert(), rustls::ALL_VERSIONS).unwrap();
        assert_eq!(version, rustls::ProtocolVersion::TLSv1_3);
        assert_eq!(suite, rustls::CipherSuite::TLS13_AES_256_GCM_SHA384);
        let (version, suite) =
            handshake(trusting_the_test_cert(), &[&rustls::version::TLS12]).unwrap();
        assert_eq!(version, rustls::ProtocolVersion::TLSv1_2);
        assert_eq!(
            suite,
            rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        );
    }

    #[test]
    fn the_client_offers_only_the_sdk_clients_cipher_suites() {
        let config = https::tls_config(rustls::RootCertStore::empty());
        let offered: Vec<_> = config
            .crypto_provider()
            .cipher_suites
            .iter()
            .map(|s| s.suite())
            .collect();
        assert_eq!(offered, https::SUITES);
        assert!(!offered.contains(&rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256));
    }
}
