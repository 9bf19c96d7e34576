//! The HMAC key for `IP_MODE=hash` / `USER_NAME_MODE=hash`, end to end: the
//! real `bootstrap` reads it once at start from Secrets Manager (a moto
//! server on loopback) through the secret's ARN in `HASH_KEY_SECRET_ARN`,
//! hashes with it, and never takes it from its environment; a secret it
//! cannot read stops it at start with an error naming the variable.
//!
//! The harness installs moto (pip) when it is missing.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use cognito_activity::config::{Config, HASH_KEY, HASH_KEY_SECRET_ARN};
use cognito_activity::process_event;
use e2e::{Bootstrap, Moto, Reply, RuntimeApi};
use serde_json::json;

const KEY: &str = "a-key-only-secrets-manager-knows-0123456789";

fn event() -> Vec<u8> {
    std::fs::read(e2e::workspace().join("events/firehose-direct-signin.json")).unwrap()
}

#[test]
fn the_function_hashes_with_the_key_it_reads_from_secrets_manager_at_start() {
    let moto = Moto::start();
    let arn = moto.boto3(
        "print(client('secretsmanager').create_secret(Name=ARGS['name'], SecretString=ARGS['key'])['ARN'])",
        &json!({"name": "cognito-activity/hash-key", "key": KEY}),
    );
    let arn = arn.trim();
    let api = RuntimeApi::start();
    let function = Bootstrap::spawn(
        &api,
        &[
            ("IP_MODE", "hash"),
            ("USER_NAME_MODE", "hash"),
            (HASH_KEY_SECRET_ARN, arn),
            ("AWS_ENDPOINT_URL", &moto.endpoint),
        ],
    );
    let got = match api.invoke(&event(), Duration::from_secs(60)) {
        Reply::Response(body) => body,
        Reply::Error(body) => panic!("{}", String::from_utf8_lossy(&body)),
    };
    let with_key = Config::from_lookup(|name| match name {
        "IP_MODE" | "USER_NAME_MODE" => Some("hash".into()),
        n if n == HASH_KEY => Some(KEY.into()),
        _ => None,
    })
    .unwrap();
    let want = process_event(&event(), &with_key).unwrap().to_json();
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&want),
        "hashed with the secret's key"
    );
    let logs = function.logs_when(|l| l.contains("invocation complete"));
    assert!(
        logs.contains("hash key read from Secrets Manager"),
        "{logs}"
    );
    assert!(!logs.contains(KEY), "the key is in the logs:\n{logs}");
}

#[test]
fn a_key_in_the_environment_is_refused_at_start() {
    let api = RuntimeApi::start();
    let mut function = Bootstrap::spawn(
        &api,
        &[
            ("IP_MODE", "hash"),
            (HASH_KEY, "0123456789abcdef0123456789abcdef"),
        ],
    );
    let status = function.wait_exit();
    let error = api
        .init_error(Duration::from_secs(5))
        .expect("posted to /runtime/init/error");
    let text = String::from_utf8_lossy(&error).into_owned() + &function.logs();
    assert!(status.is_some_and(|s| !s.success()), "{text}");
    assert!(
        text.contains(HASH_KEY_SECRET_ARN),
        "names where the key goes: {text}"
    );
    assert!(!text.contains("0123456789abcdef0123456789abcdef"), "{text}");
}

#[test]
fn a_secret_that_cannot_be_read_stops_the_function_naming_the_variable() {
    let moto = Moto::start();
    let api = RuntimeApi::start();
    let mut function = Bootstrap::spawn(
        &api,
        &[
            ("IP_MODE", "hash"),
            (
                HASH_KEY_SECRET_ARN,
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf",
            ),
            ("AWS_ENDPOINT_URL", &moto.endpoint),
        ],
    );
    let status = function.wait_exit();
    let logs = function.logs();
    assert!(status.is_some_and(|s| !s.success()), "{logs}");
    assert!(logs.contains(HASH_KEY_SECRET_ARN), "{logs}");
    assert!(logs.contains("ResourceNotFoundException"), "{logs}");
}

/// The init error and the logs of a function that stops at start.
fn stops_at_start(env: &[(&str, &str)]) -> String {
    let api = RuntimeApi::start();
    let mut function = Bootstrap::spawn(&api, env);
    let status = function.wait_exit();
    let error = api
        .init_error(Duration::from_secs(5))
        .expect("posted to /runtime/init/error");
    let text = String::from_utf8_lossy(&error).into_owned();
    assert!(
        status.is_some_and(|s| !s.success()),
        "{text}{}",
        function.logs()
    );
    text
}

#[test]
fn a_missing_or_short_key_is_reported_under_the_secret_variable() {
    // Hashing without a secret named.
    let text = stops_at_start(&[("IP_MODE", "hash")]);
    assert!(
        text.contains(&format!("invalid {HASH_KEY_SECRET_ARN}: not set")),
        "{text}"
    );
    assert!(
        text.contains("allowed: the ARN of a Secrets Manager secret"),
        "{text}"
    );
    assert!(!text.contains(&format!("{HASH_KEY}=")), "{text}");

    // A secret whose key is too short.
    let moto = Moto::start();
    let arn = moto.boto3(
        "print(client('secretsmanager').create_secret(Name=ARGS['name'], SecretString=ARGS['key'])['ARN'])",
        &json!({"name": "cognito-activity/short-key", "key": "twelve-bytes"}),
    );
    let text = stops_at_start(&[
        ("USER_NAME_MODE", "hash"),
        (HASH_KEY_SECRET_ARN, arn.trim()),
        ("AWS_ENDPOINT_URL", &moto.endpoint),
    ]);
    assert!(
        text.contains(&format!(
            "invalid {HASH_KEY_SECRET_ARN}: the key in its secret is unusable (shorter than 16 bytes)"
        )),
        "{text}"
    );
    assert!(!text.contains("twelve-bytes"), "{text}");
}
