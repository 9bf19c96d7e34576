//! The SDK's HTTP client (hyper 1 over rustls with the `ring` crypto
//! provider and the system's root certificates), with its set-up deferred
//! to the first request.
//!
//! `aws-smithy-http-client` builds its connector, and so reads and parses
//! every certificate under the system's trust store, when a service client
//! is constructed (`validate_base_client_config`). On the Firehose
//! transformer that is about 19 million instructions before the first
//! poll of the Runtime API (callgrind; docs/internals.md), for a client
//! most invocations never call. [`Deferred`] leaves that to the first
//! request, as the SDK does for every later connector.
//!
//! `ring` rather than the SDK's default aws-lc, which does not
//! cross-compile for arm64 with zig.

use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::Builder;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;
use aws_smithy_types::config_bag::ConfigBag;

/// The HTTP client every SDK client of this crate uses.
pub fn http_client() -> SharedHttpClient {
    Deferred(
        Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https(),
    )
    .into_shared()
}

/// An HTTP client whose connectors are made on demand only: it skips the
/// wrapped client's construction-time validation (which warms a
/// connector) and passes everything else through.
#[derive(Debug)]
pub(crate) struct Deferred<C>(pub(crate) C);

impl<C: HttpClient> HttpClient for Deferred<C> {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

#[cfg(all(test, feature = "firehose"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use aws_credential_types::Credentials;
    use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture};
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;

    use super::*;

    /// Counts what the SDK asks of an HTTP client; its connectors refuse
    /// every request.
    #[derive(Debug, Default, Clone)]
    struct Counting {
        validated: Arc<AtomicUsize>,
        connectors: Arc<AtomicUsize>,
    }

    #[derive(Debug)]
    struct Refuse;

    impl HttpConnector for Refuse {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            HttpConnectorFuture::ready(Err(ConnectorError::io("refused".into())))
        }
    }

    impl HttpClient for Counting {
        fn http_connector(
            &self,
            _settings: &HttpConnectorSettings,
            _components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            self.connectors.fetch_add(1, Ordering::SeqCst);
            SharedHttpConnector::new(Refuse)
        }

        fn validate_base_client_config(
            &self,
            _components: &RuntimeComponentsBuilder,
            _cfg: &ConfigBag,
        ) -> Result<(), BoxError> {
            self.validated.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    fn client(http: impl HttpClient + 'static) -> aws_sdk_firehose::Client {
        let config = aws_sdk_firehose::Config::builder()
            .behavior_version(aws_sdk_firehose::config::BehaviorVersion::latest())
            .region(aws_sdk_firehose::config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .http_client(http)
            .build();
        aws_sdk_firehose::Client::from_conf(config)
    }

    #[test]
    fn the_sdk_validates_its_http_client_when_a_service_client_is_made() {
        let counting = Counting::default();
        let _client = client(counting.clone());
        assert_eq!(counting.validated.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_deferred_client_makes_its_first_connector_at_the_first_request() {
        let counting = Counting::default();
        let client = client(Deferred(counting.clone()));
        assert_eq!(counting.validated.load(Ordering::SeqCst), 0);
        assert_eq!(counting.connectors.load(Ordering::SeqCst), 0);

        let sent = client
            .list_delivery_streams()
            .customize()
            .config_override(
                aws_sdk_firehose::config::Config::builder()
                    .retry_config(crate::RetryConfig::disabled()),
            )
            .send()
            .await;
        assert!(sent.is_err(), "the connector refuses every request");
        assert_eq!(counting.connectors.load(Ordering::SeqCst), 1);
        assert_eq!(counting.validated.load(Ordering::SeqCst), 0);
    }
}
