//! [`load`] on the process environment, as a Lambda function runs it: the
//! region and the credentials (with the session token) come from the
//! variables Lambda sets, and `AWS_ENDPOINT_URL` sends the call to a
//! loopback endpoint. One test in its own binary: it sets the process's
//! variables before any client exists, so nothing races with it.
#![cfg(feature = "firehose")]
#![allow(clippy::unwrap_used)]

use cognito_activity_aws::{firehose, firehose_client, load, Options};
use e2e::scripted::{Answer, Scripted};

#[tokio::test]
async fn load_reads_region_credentials_and_endpoint_from_the_environment() {
    let endpoint = Scripted::start(
        vec![],
        Answer::ok(
            r#"{"FailedPutCount":0,"Encrypted":false,"RequestResponses":[{"RecordId":"r1"}]}"#,
        ),
    );
    for (name, value) in [
        ("AWS_REGION", "eu-west-3"),
        ("AWS_ACCESS_KEY_ID", "AKIDFROMENV"),
        ("AWS_SECRET_ACCESS_KEY", "from-env"),
        ("AWS_SESSION_TOKEN", "session-from-env"),
        ("AWS_ENDPOINT_URL", endpoint.endpoint.as_str()),
    ] {
        std::env::set_var(name, value);
    }
    for name in [
        "AWS_ENDPOINT_URL_FIREHOSE",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_PROFILE",
    ] {
        std::env::remove_var(name);
    }

    let config = load(&Options::caller_retries()).await;
    assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-3"));
    let record = firehose::types::Record::builder()
        .data(firehose::primitives::Blob::new("x"))
        .build()
        .unwrap();
    firehose_client(&config)
        .put_record_batch()
        .delivery_stream_name("s")
        .records(record)
        .send()
        .await
        .unwrap();

    let requests = endpoint.requests();
    assert_eq!(requests.len(), 1);
    let auth = requests[0].header("authorization").unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDFROMENV/"),
        "{auth}"
    );
    assert!(auth.contains("/eu-west-3/firehose/aws4_request"), "{auth}");
    assert_eq!(
        requests[0].header("x-amz-security-token"),
        Some("session-from-env")
    );
}
