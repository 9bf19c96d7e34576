//! Every raw Cognito record in `fixtures/`, through the pipeline in every
//! output format, snapshotted as the exact bytes written: key order,
//! escapes, number forms and the final newline are all in the snapshot.
//! Adding a case is adding a file; `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test`) records it, and a reviewer reads the
//! new snapshots.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow;

use cognito_activity::config::{Config, OutputFormat};
use cognito_activity::normalize::{Context, Transport};
use cognito_activity::pipeline::{self, Holds, RecordOutcome};
use cognito_activity::Stats;

/// What the Firehose route knows of a direct record: the stream's account
/// and the record's arrival.
fn context() -> Context<'static> {
    Context {
        transport: Some(Transport::Direct),
        account_id: Some(Cow::Borrowed("123456789012")),
        arrival_time_ms: Some(1_732_400_060_000),
        ..Context::default()
    }
}

fn lines(record: &[u8], format: OutputFormat) -> String {
    let cfg = Config {
        output_format: format,
        ..Config::default()
    };
    let mut stats = Stats::default();
    match pipeline::transform(record, Holds::Documents, &context(), &cfg, &mut stats) {
        RecordOutcome::Ok { output, .. } => String::from_utf8(output).expect("UTF-8 output"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_fixture_writes_its_snapshot_bytes_in_every_format() {
    let mut seen = 0;
    insta::glob!("fixtures/*.json", |path| {
        let record = std::fs::read(path).unwrap();
        let stem = path.file_stem().unwrap().to_str().unwrap();
        for format in OutputFormat::ALL {
            let written = lines(&record, format);
            assert_eq!(written.matches('\n').count(), 1, "{stem}: one line");
            assert!(written.ends_with('\n'), "{stem}");
            insta::assert_snapshot!(format.as_str(), written);
        }
        seen += 1;
    });
    assert!(seen >= 20, "only {seen} fixtures");
}

#[test]
fn fixtures_hold_one_record_each_with_distinct_users_and_matching_dates() {
    let mut subs = std::collections::BTreeMap::new();
    let mut seen = 0;
    insta::glob!("fixtures/*.json", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(text.matches('\n').count(), 1, "{name}: one line");
        assert!(text.ends_with('\n'), "{name}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let message = &v["message"];
        if let (Some(sub), Some(user)) = (message["userSub"].as_str(), message["userName"].as_str())
        {
            // One sub per user name, one user name per sub.
            if let Some(other) = subs.insert(sub.to_string(), user.to_string()) {
                assert_eq!(other, user, "{name}: {sub} is two users");
            }
        }
        if let (Some(ms), Some(created)) = (
            v["eventTimestamp"].as_str(),
            message["creationDate"].as_str(),
        ) {
            let ms: i64 = ms.parse().unwrap();
            let created = cognito_activity::time::parse_java_date(created).unwrap();
            assert_eq!(
                created,
                ms - ms % 1000,
                "{name}: creationDate is the event's time"
            );
        }
        seen += 1;
    });
    assert!(seen >= 20);
    let users: std::collections::BTreeSet<_> = subs.values().collect();
    assert_eq!(users.len(), subs.len(), "a user with two subs");
}
