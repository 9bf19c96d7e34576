//! The production [`Sink`]: Firehose `PutRecordBatch`
//! (<https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html>)
//! and Kinesis `PutRecords`
//! (<https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html>)
//! through the clients of the `cognito-activity-aws` crate (the SDK's own
//! configuration and HTTP client; docs/internals.md, "The AWS crate").
//!
//! The SDK's own retries are off (`Options::caller_retries`):
//! `reingest::put_all` retries, per entry, so that one loop, bounded by the
//! invocation's deadline, decides.

use cognito_activity_aws::firehose::error::ProvideErrorMetadata;
use cognito_activity_aws::firehose::error::SdkError;
use cognito_activity_aws::{firehose, kinesis, Options, SdkConfig};

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
    firehose: firehose::Client,
    kinesis: kinesis::Client,
}

impl AwsSink {
    /// Loads the SDK configuration from the environment, with the SDK's
    /// retries off. Reads only environment variables, no files and no
    /// network; credentials are read at the first call.
    pub async fn from_env() -> Self {
        Self::new(&cognito_activity_aws::load(&Options::caller_retries()).await)
    }

    /// The two clients on `config`.
    pub fn new(config: &SdkConfig) -> Self {
        AwsSink {
            firehose: cognito_activity_aws::firehose_client(config),
            kinesis: cognito_activity_aws::kinesis_client(config),
        }
    }
}

/// A failed call as the retry loop sees it: the service's error code, or a
/// short word for the SDK's kinds of failure.
fn classify<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> PutError {
    let code = match e {
        SdkError::ServiceError(_) => e.code().unwrap_or("service_error"),
        SdkError::DispatchFailure(_) => "dispatch_failure",
        SdkError::TimeoutError(_) => "timeout",
        SdkError::ResponseError(_) => "response_error",
        SdkError::ConstructionFailure(_) => "construction_failure",
        _ => "sdk_error",
    };
    put_error(code)
}

/// Throttling, transport failures and unknown codes are worth another try;
/// a missing stream, a denied permission or a request the SDK could not
/// build are not.
fn put_error(code: &str) -> PutError {
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
                        firehose::types::Record::builder()
                            .data(firehose::primitives::Blob::new(e.data.clone()))
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
                        kinesis::types::PutRecordsRequestEntry::builder()
                            .data(kinesis::primitives::Blob::new(e.data.clone()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_transport_failures_are_retried_missing_streams_and_denials_are_not() {
        for code in [
            "ThrottlingException",
            "ProvisionedThroughputExceededException",
            "ServiceUnavailableException",
            "dispatch_failure",
            "timeout",
            "response_error",
        ] {
            assert!(put_error(code).retryable, "{code}");
        }
        for code in [
            "ResourceNotFoundException",
            "AccessDeniedException",
            "InvalidSignatureException",
            "construction_failure",
        ] {
            assert!(!put_error(code).retryable, "{code}");
        }
        assert_eq!(put_error("ThrottlingException").code, "ThrottlingException");
    }

    #[tokio::test]
    async fn the_sink_keeps_the_sdk_retries_off_and_the_sdk_connect_timeout() {
        let sink = AwsSink::from_env().await;
        let config = sink.firehose.config();
        assert_eq!(config.retry_config().map(|r| r.max_attempts()), Some(1));
        assert_eq!(
            config.timeout_config().and_then(|t| t.connect_timeout()),
            Some(cognito_activity_aws::CONNECT_TIMEOUT)
        );
        assert_eq!(
            sink.kinesis
                .config()
                .retry_config()
                .map(|r| r.max_attempts()),
            Some(1)
        );
    }
}
