//! Each client against moto on loopback, the endpoint variables, the SDK's
//! retries and timeouts against scripted loopback endpoints.
//!
//! The loader gets each test's own environment (`ConfigLoader::env`), with
//! fixed credentials and region in place of the process environment's
//! (`tests/process_environment.rs` covers [`load`](crate::load) itself).
//! The moto tests install moto (pip) when it is missing, and fail when they
//! cannot.

#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_firehose::error::ProvideErrorMetadata;
use aws_types::os_shim_internal::Env;
use e2e::scripted::{Answer, Scripted};
use e2e::Moto;
use serde_json::json;

use crate::config::configure;
use crate::{Options, RetryConfig, SdkConfig, TimeoutConfig};

/// The configuration [`load`](crate::load) makes, from `env` instead of the
/// process environment, signing as `testing` in us-east-1.
async fn config_from(env: &[(&str, &str)], options: &Options) -> SdkConfig {
    configure(
        aws_config::defaults(BehaviorVersion::latest()).env(Env::from_slice(env)),
        Credentials::new("testing", "testing", None, None, "test"),
        Region::new("us-east-1"),
        options,
    )
    .load()
    .await
}

/// SDK retries with a backoff short enough for a test.
fn quick_retries(max_attempts: u32) -> Options {
    Options {
        retry: RetryConfig::standard()
            .with_max_attempts(max_attempts)
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(5)),
        ..Options::default()
    }
}

const FIREHOSE_OK: &str =
    r#"{"FailedPutCount":0,"Encrypted":false,"RequestResponses":[{"RecordId":"r1"}]}"#;
const KINESIS_OK: &str = r#"{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"shardId-000000000000"}]}"#;

async fn put_one_firehose(config: &SdkConfig) -> Result<(), String> {
    let record = crate::firehose::types::Record::builder()
        .data(crate::firehose::primitives::Blob::new(b"one".to_vec()))
        .build()
        .unwrap();
    crate::firehose_client(config)
        .put_record_batch()
        .delivery_stream_name("s")
        .records(record)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| code_of(&e))
}

async fn put_one_kinesis(config: &SdkConfig) -> Result<(), String> {
    let entry = crate::kinesis::types::PutRecordsRequestEntry::builder()
        .data(crate::kinesis::primitives::Blob::new(b"one".to_vec()))
        .partition_key("k")
        .build()
        .unwrap();
    crate::kinesis_client(config)
        .put_records()
        .stream_name("s")
        .records(entry)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| code_of(&e))
}

/// The service's error code, or the kind of SDK failure.
fn code_of<E, R>(e: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match e {
        SdkError::ServiceError(_) => e.code().unwrap_or("service_error").to_string(),
        SdkError::TimeoutError(_) => "timeout".to_string(),
        SdkError::DispatchFailure(_) => "dispatch_failure".to_string(),
        SdkError::ResponseError(_) => "response_error".to_string(),
        _ => "other".to_string(),
    }
}

// --- Each client against moto -------------------------------------------

#[tokio::test]
async fn the_firehose_client_puts_a_batch_that_moto_delivers() {
    let moto = Moto::start();
    moto.boto3(
        "client('s3').create_bucket(Bucket='out')
client('firehose').create_delivery_stream(DeliveryStreamName='s', DeliveryStreamType='DirectPut',
    ExtendedS3DestinationConfiguration={'RoleARN': 'arn:aws:iam::123456789012:role/firehose',
        'BucketARN': 'arn:aws:s3:::out'})",
        &json!({}),
    );
    let config = config_from(&[("AWS_ENDPOINT_URL", &moto.endpoint)], &Options::default()).await;
    let records = ["first\n", "second\n"].map(|d| {
        crate::firehose::types::Record::builder()
            .data(crate::firehose::primitives::Blob::new(d))
            .build()
            .unwrap()
    });
    let out = crate::firehose_client(&config)
        .put_record_batch()
        .delivery_stream_name("s")
        .set_records(Some(records.to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_put_count(), 0);
    assert_eq!(out.request_responses().len(), 2);

    let delivered = moto.boto3(
        "s3 = client('s3')
for o in s3.list_objects_v2(Bucket='out').get('Contents', []):
    sys.stdout.write(s3.get_object(Bucket='out', Key=o['Key'])['Body'].read().decode())",
        &json!({}),
    );
    assert_eq!(delivered, "first\nsecond\n");
}

#[tokio::test]
async fn the_kinesis_client_puts_records_that_read_back_in_order() {
    let moto = Moto::start();
    moto.boto3(
        "k = client('kinesis'); k.create_stream(StreamName='s', ShardCount=1)
k.get_waiter('stream_exists').wait(StreamName='s', WaiterConfig={'Delay': 0.1})",
        &json!({}),
    );
    let config = config_from(&[("AWS_ENDPOINT_URL", &moto.endpoint)], &Options::default()).await;
    let entries = ["a", "b", "c"].map(|d| {
        crate::kinesis::types::PutRecordsRequestEntry::builder()
            .data(crate::kinesis::primitives::Blob::new(d))
            .partition_key("key")
            .build()
            .unwrap()
    });
    let out = crate::kinesis_client(&config)
        .put_records()
        .stream_arn("arn:aws:kinesis:us-east-1:123456789012:stream/s")
        .set_records(Some(entries.to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_record_count(), Some(0));

    let read = moto.boto3(
        "k = client('kinesis')
shard = k.list_shards(StreamName='s')['Shards'][0]['ShardId']
it = k.get_shard_iterator(StreamName='s', ShardId=shard, ShardIteratorType='TRIM_HORIZON')['ShardIterator']
print(json.dumps([[r['Data'].decode(), r['PartitionKey']] for r in k.get_records(ShardIterator=it)['Records']]))",
        &json!({}),
    );
    let read: Vec<(String, String)> = serde_json::from_str(&read).unwrap();
    let key = |d: &str| (d.to_string(), "key".to_string());
    assert_eq!(read, vec![key("a"), key("b"), key("c")]);
}

#[tokio::test]
async fn the_secrets_manager_client_reads_a_secret_and_names_a_missing_one() {
    let moto = Moto::start();
    moto.boto3(
        "client('secretsmanager').create_secret(Name='hash-key', SecretString=ARGS['value'])",
        &json!({"value": "s3cr3t-value"}),
    );
    let config = config_from(&[("AWS_ENDPOINT_URL", &moto.endpoint)], &Options::default()).await;
    let client = crate::secrets_manager_client(&config);
    assert_eq!(
        crate::secrets::secret_string(&client, "hash-key")
            .await
            .unwrap(),
        "s3cr3t-value"
    );

    let err = crate::secrets::secret_string(&client, "no-such-secret")
        .await
        .unwrap_err();
    match &err {
        crate::secrets::SecretError::Read {
            secret_id, code, ..
        } => {
            assert_eq!(secret_id, "no-such-secret");
            assert_eq!(code, "ResourceNotFoundException");
        }
        other => panic!("unexpected error: {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "secret no-such-secret could not be read: ResourceNotFoundException"
    );
}

#[tokio::test]
async fn the_sts_client_names_the_caller_account() {
    let moto = Moto::start();
    let config = config_from(&[("AWS_ENDPOINT_URL", &moto.endpoint)], &Options::default()).await;
    let identity = crate::sts_client(&config)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(identity.account(), Some("123456789012"));
}

#[tokio::test]
async fn the_s3_client_writes_and_reads_path_style_and_an_assumed_role_sends_its_external_id() {
    let moto = Moto::start();
    let sts = e2e::recorder::Recorder::start(&moto.endpoint);
    let config = config_from(
        &[
            ("AWS_ENDPOINT_URL", &moto.endpoint),
            ("AWS_ENDPOINT_URL_STS", &sts.endpoint),
        ],
        &Options::default(),
    )
    .await;
    let own = crate::s3_client(&config);
    own.create_bucket().bucket("lake").send().await.unwrap();
    let role = "arn:aws:iam::123456789012:role/provider";
    let assumed = crate::assume_role(&config, role, "the-external-id", "writer").await;
    let as_role = crate::s3_client(&assumed);
    as_role
        .put_object()
        .bucket("lake")
        .key("ext/a b/1.parquet")
        .body(b"bytes".to_vec().into())
        .send()
        .await
        .unwrap();
    let read = own
        .get_object()
        .bucket("lake")
        .key("ext/a b/1.parquet")
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.body.collect().await.unwrap().into_bytes().as_ref(),
        b"bytes"
    );
    // The role was assumed through STS, with its external id, once.
    let assumed: Vec<_> = sts
        .requests()
        .iter()
        .map(|r| r.form())
        .filter(|f| f.contains(&("Action".into(), "AssumeRole".into())))
        .collect();
    assert_eq!(assumed.len(), 1, "{assumed:?}");
    assert!(assumed[0].contains(&("RoleArn".into(), role.into())));
    assert!(assumed[0].contains(&("ExternalId".into(), "the-external-id".into())));
    assert!(assumed[0].contains(&("RoleSessionName".into(), "writer".into())));
}

#[tokio::test]
async fn a_copy_is_of_the_bytes_that_were_read_by_version_or_by_etag() {
    let moto = Moto::start();
    let s3 = e2e::recorder::Recorder::start(&moto.endpoint);
    let config = config_from(&[("AWS_ENDPOINT_URL", &s3.endpoint)], &Options::default()).await;
    let client = crate::s3_client(&config);
    let put = |bucket: &'static str, body: &'static [u8]| {
        client
            .put_object()
            .bucket(bucket)
            .key("a b/é.gz")
            .content_type("application/gzip")
            .body(body.to_vec().into())
            .send()
    };
    let read = |key: &'static str| {
        let client = client.clone();
        async move {
            let out = client
                .get_object()
                .bucket("out")
                .key(key)
                .send()
                .await
                .unwrap();
            let content_type = out.content_type().map(str::to_string);
            let body = out.body.collect().await.unwrap().into_bytes().to_vec();
            (body, content_type)
        }
    };
    for bucket in ["versioned", "plain", "out"] {
        client.create_bucket().bucket(bucket).send().await.unwrap();
    }
    client
        .put_bucket_versioning()
        .bucket("versioned")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let object = |bucket: &str| crate::events::ObjectRef {
        bucket: bucket.into(),
        key: "a b/é.gz".into(),
        version_id: None,
    };

    // Versioned: the version read is copied, though another came after it.
    put("versioned", b"first").await.unwrap();
    let opened = crate::objects::open(&client, &object("versioned"))
        .await
        .unwrap();
    let version = opened.pin.version_id.clone().unwrap();
    put("versioned", b"second").await.unwrap();
    crate::objects::copy(
        &client,
        &object("versioned"),
        &opened.pin,
        "out",
        "v.source",
    )
    .await
    .unwrap();
    assert_eq!(
        read("v.source").await,
        (b"first".to_vec(), Some("application/gzip".to_string()))
    );

    // Unversioned: named by key, on condition that its ETag is the one read.
    put("plain", b"only").await.unwrap();
    let opened = crate::objects::open(&client, &object("plain"))
        .await
        .unwrap();
    assert_eq!(opened.pin.version_id, None);
    crate::objects::copy(&client, &object("plain"), &opened.pin, "out", "p.source")
        .await
        .unwrap();
    assert_eq!(read("p.source").await.0, b"only");
    let copies: Vec<_> = s3
        .requests()
        .into_iter()
        .filter(|r| r.headers.iter().any(|(k, _)| k == "x-amz-copy-source"))
        .collect();
    let header = |r: &e2e::recorder::Recorded, name: &str| {
        r.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(copies.len(), 2);
    // (moto's version ids need no encoding.)
    assert_eq!(
        header(&copies[0], "x-amz-copy-source"),
        Some(format!("versioned/a%20b/%C3%A9.gz?versionId={version}"))
    );
    assert_eq!(
        header(&copies[1], "x-amz-copy-source").as_deref(),
        Some("plain/a%20b/%C3%A9.gz")
    );
    assert_eq!(
        header(&copies[1], "x-amz-copy-source-if-match"),
        opened.pin.e_tag.map(|e| format!("\"{e}\""))
    );
}

// --- Endpoints --------------------------------------------------------------

#[tokio::test]
async fn the_service_endpoint_variable_wins_over_the_global_one_and_requests_are_signed() {
    let global = Scripted::start(vec![], Answer::ok(FIREHOSE_OK));
    let kinesis = Scripted::start(vec![], Answer::ok(KINESIS_OK));
    let env = [
        ("AWS_ENDPOINT_URL", global.endpoint.as_str()),
        ("AWS_ENDPOINT_URL_KINESIS", kinesis.endpoint.as_str()),
    ];
    let config = config_from(&env, &Options::default()).await;
    put_one_firehose(&config).await.unwrap();
    put_one_kinesis(&config).await.unwrap();

    let to_global = global.requests();
    let to_kinesis = kinesis.requests();
    assert_eq!(to_global.len(), 1);
    assert_eq!(to_kinesis.len(), 1);
    assert_eq!(
        to_global[0].header("x-amz-target"),
        Some("Firehose_20150804.PutRecordBatch")
    );
    assert_eq!(
        to_kinesis[0].header("x-amz-target"),
        Some("Kinesis_20131202.PutRecords")
    );
    let auth = to_kinesis[0].header("authorization").unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=testing/"),
        "{auth}"
    );
    assert!(auth.contains("/us-east-1/kinesis/aws4_request"), "{auth}");
}

#[tokio::test]
async fn configured_endpoints_are_dropped_when_asked_to_ignore_them() {
    let honoured = config_from(
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")],
        &Options::default(),
    )
    .await;
    assert_eq!(honoured.endpoint_url(), Some("http://127.0.0.1:9"));
    let ignored = config_from(
        &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ],
        &Options::default(),
    )
    .await;
    assert_eq!(ignored.endpoint_url(), None);
}

// --- Retries, throttling, timeouts -----------------------------------------

#[tokio::test]
async fn a_throttled_firehose_call_is_retried_by_the_sdk_until_it_succeeds() {
    let endpoint = Scripted::start(
        vec![
            Answer::error("ThrottlingException"),
            Answer::error("ThrottlingException"),
        ],
        Answer::ok(FIREHOSE_OK),
    );
    let config = config_from(
        &[("AWS_ENDPOINT_URL", &endpoint.endpoint)],
        &quick_retries(3),
    )
    .await;
    put_one_firehose(&config).await.unwrap();
    assert_eq!(endpoint.requests().len(), 3);
}

#[tokio::test]
async fn a_kinesis_call_over_its_throughput_is_retried_by_the_sdk_until_it_succeeds() {
    let endpoint = Scripted::start(
        vec![Answer::error("ProvisionedThroughputExceededException")],
        Answer::ok(KINESIS_OK),
    );
    let config = config_from(
        &[("AWS_ENDPOINT_URL", &endpoint.endpoint)],
        &quick_retries(3),
    )
    .await;
    put_one_kinesis(&config).await.unwrap();
    assert_eq!(endpoint.requests().len(), 2);
}

#[tokio::test]
async fn sdk_retries_stop_at_the_maximum_attempts_with_the_last_error() {
    let endpoint = Scripted::start(vec![], Answer::error("ThrottlingException"));
    let config = config_from(
        &[("AWS_ENDPOINT_URL", &endpoint.endpoint)],
        &quick_retries(4),
    )
    .await;
    assert_eq!(
        put_one_firehose(&config).await.unwrap_err(),
        "ThrottlingException"
    );
    assert_eq!(endpoint.requests().len(), 4);
}

#[tokio::test]
async fn a_permanent_error_is_not_retried_by_the_sdk() {
    let endpoint = Scripted::start(vec![], Answer::error("ResourceNotFoundException"));
    let config = config_from(
        &[("AWS_ENDPOINT_URL", &endpoint.endpoint)],
        &quick_retries(4),
    )
    .await;
    assert_eq!(
        put_one_kinesis(&config).await.unwrap_err(),
        "ResourceNotFoundException"
    );
    assert_eq!(endpoint.requests().len(), 1);
}

#[tokio::test]
async fn with_caller_retries_a_throttled_call_is_tried_once_and_returns_its_code() {
    let endpoint = Scripted::start(
        vec![Answer::error("ThrottlingException")],
        Answer::ok(FIREHOSE_OK),
    );
    let config = config_from(
        &[("AWS_ENDPOINT_URL", &endpoint.endpoint)],
        &Options::caller_retries(),
    )
    .await;
    assert_eq!(
        put_one_firehose(&config).await.unwrap_err(),
        "ThrottlingException"
    );
    assert_eq!(endpoint.requests().len(), 1);
    // The caller's next try gets the next answer.
    put_one_firehose(&config).await.unwrap();
    assert_eq!(endpoint.requests().len(), 2);
}

#[tokio::test]
async fn a_call_to_an_endpoint_that_never_answers_ends_at_the_operation_timeout() {
    // Connections are queued by the kernel but never accepted nor answered.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let options = Options {
        timeout: TimeoutConfig::builder()
            .operation_timeout(Duration::from_millis(200))
            .build(),
        ..Options::caller_retries()
    };
    let config = config_from(&[("AWS_ENDPOINT_URL", &endpoint)], &options).await;
    assert_eq!(put_one_firehose(&config).await.unwrap_err(), "timeout");
}

#[tokio::test]
async fn a_secret_read_at_start_from_an_endpoint_that_never_answers_ends_as_a_timeout() {
    // Connections are queued by the kernel but never accepted nor answered:
    // the read ends at `secrets::READ_TIMEOUT`, inside Lambda's 10 s start,
    // with the secret's name and why.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let options = crate::secrets::read_options();
    assert_eq!(
        options.timeout.operation_timeout(),
        Some(crate::secrets::READ_TIMEOUT)
    );
    let config = config_from(&[("AWS_ENDPOINT_URL", &endpoint)], &options).await;
    let client = crate::secrets_manager_client(&config);
    let err = crate::secrets::secret_string(&client, "hash-key")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "secret hash-key could not be read: timeout"
    );
}

#[tokio::test]
async fn the_defaults_are_three_sdk_attempts_and_the_sdk_connect_timeout() {
    let config = config_from(&[], &Options::default()).await;
    assert_eq!(config.retry_config().unwrap().max_attempts(), 3);
    assert_eq!(
        config.timeout_config().unwrap().connect_timeout(),
        Some(crate::CONNECT_TIMEOUT)
    );
    assert_eq!(config.region(), Some(&Region::new("us-east-1")));
    let caller = config_from(&[], &Options::caller_retries()).await;
    assert_eq!(caller.retry_config().unwrap().max_attempts(), 1);
}
