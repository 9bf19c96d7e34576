//! The production [`Sink`]: the AWS SDK for Rust, Firehose `PutRecordBatch`
//! (<https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html>)
//! and Kinesis `PutRecords`
//! (<https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html>).
//!
//! The SDK's own retries are off: `reingest::put_all` retries, so that one
//! loop, bounded by the invocation's deadline, decides. The configuration
//! comes from the environment as everywhere in the SDK, including
//! `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_FIREHOSE` /
//! `AWS_ENDPOINT_URL_KINESIS`), which the tests use to point the function at
//! a local endpoint.

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_sdk_firehose::error::ProvideErrorMetadata;
use aws_sdk_firehose::primitives::Blob;
use aws_smithy_http_client::tls;

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

/// Firehose and Kinesis clients sharing one SDK configuration.
pub struct AwsSink {
    firehose: aws_sdk_firehose::Client,
    kinesis: aws_sdk_kinesis::Client,
}

impl AwsSink {
    /// Loads the SDK configuration from the environment (credentials are
    /// resolved lazily, on the first call).
    pub async fn from_env() -> Self {
        let https = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .http_client(https)
            .retry_config(RetryConfig::disabled())
            .load()
            .await;
        AwsSink {
            firehose: aws_sdk_firehose::Client::new(&shared),
            kinesis: aws_sdk_kinesis::Client::new(&shared),
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
