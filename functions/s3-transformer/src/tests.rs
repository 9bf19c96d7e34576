//! The handler with constructed invocations and S3 in memory (bodies handed
//! out in chunks of a chosen size). The real binary against the Runtime
//! API and moto is in tests/tests/s3_route.rs.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write as _;

use cognito_activity::config::{Config, OutputFormat, PartitionKey};
use cognito_activity::decode::gunzip_capped;
use cognito_activity::fixtures;
use cognito_activity::pipeline::rejected::Rejected;
use cognito_activity_aws::events::ObjectRef;
use cognito_activity_aws::objects::Pin;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::time::Instant;

use crate::handler::{handle, HandlerError};
use crate::settings::Settings;
use crate::store::{Body, Store, StoreError};

struct Memory {
    objects: RefCell<BTreeMap<(String, String), Vec<u8>>>,
    chunk: usize,
    /// Keys whose reads fail with this code.
    failing: BTreeMap<String, &'static str>,
    /// Keys whose reads never answer.
    hanging: Vec<String>,
    /// The code every copy fails with.
    copy_fails: Option<&'static str>,
}

impl Memory {
    fn new(chunk: usize) -> Memory {
        Memory {
            objects: RefCell::default(),
            chunk,
            failing: BTreeMap::new(),
            hanging: Vec::new(),
            copy_fails: None,
        }
    }

    fn insert(&self, key: &str, body: Vec<u8>) {
        self.objects
            .borrow_mut()
            .insert(("raw".to_string(), key.to_string()), body);
    }

    fn outputs(&self, prefix: &str) -> BTreeMap<String, Vec<u8>> {
        self.objects
            .borrow()
            .iter()
            .filter(|((b, k), _)| b == "out" && k.starts_with(prefix))
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect()
    }
}

struct Chunks(std::collections::VecDeque<Vec<u8>>);

impl Body for Chunks {
    async fn next(&mut self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.0.pop_front())
    }
}

impl Store for Memory {
    type Body = Chunks;

    async fn open(&self, object: &ObjectRef) -> Result<(Chunks, Pin), StoreError> {
        let error = |code: &str| StoreError {
            op: "GetObject",
            bucket: object.bucket.clone(),
            key: object.key.clone(),
            code: code.to_string(),
        };
        if let Some(code) = self.failing.get(&object.key) {
            return Err(error(code));
        }
        if self.hanging.contains(&object.key) {
            std::future::pending::<()>().await;
        }
        let objects = self.objects.borrow();
        let body = objects
            .get(&(object.bucket.clone(), object.key.clone()))
            .ok_or_else(|| error("NoSuchKey"))?;
        Ok((
            Chunks(body.chunks(self.chunk).map(<[u8]>::to_vec).collect()),
            Pin::of(None, Some("\"etag-1\"")),
        ))
    }

    async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        _: &'static str,
    ) -> Result<(), StoreError> {
        self.objects
            .borrow_mut()
            .insert((bucket.to_string(), key.to_string()), body);
        Ok(())
    }

    async fn copy(
        &self,
        object: &ObjectRef,
        pin: &Pin,
        bucket: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        assert_eq!(pin.e_tag.as_deref(), Some("etag-1"));
        if let Some(code) = self.copy_fails {
            return Err(StoreError {
                op: "CopyObject",
                bucket: bucket.to_string(),
                key: key.to_string(),
                code: code.to_string(),
            });
        }
        let mut objects = self.objects.borrow_mut();
        let body = objects
            .get(&(object.bucket.clone(), object.key.clone()))
            .cloned()
            .ok_or_else(|| StoreError {
                op: "CopyObject",
                bucket: bucket.to_string(),
                key: key.to_string(),
                code: "NoSuchKey".to_string(),
            })?;
        objects.insert((bucket.to_string(), key.to_string()), body);
        Ok(())
    }
}

fn settings(changes: &[(&'static str, &str)]) -> Settings {
    let mut env: BTreeMap<&str, String> = BTreeMap::from([("OUTPUT_BUCKET", "out".to_string())]);
    for (k, v) in changes {
        env.insert(k, v.to_string());
    }
    Settings::from_lookup(OutputFormat::Normalized, |n| env.get(n).cloned()).expect("good settings")
}

/// Every library fixture as one raw line, and how many there are.
fn eventbridge(key: &str) -> Value {
    json!({"detail-type": "Object Created", "source": "aws.s3",
           "detail": {"bucket": {"name": "raw"}, "object": {"key": key}}})
}

/// A time to stop by that no test reaches.
fn far() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

/// A runtime as the function's, with tokio's timers (the handler stops on
/// time).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime")
}

/// The result codes of a Batch Operations answer, in task order.
fn result_codes(answer: &Value) -> Vec<&str> {
    answer["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["resultCode"].as_str().expect("a code"))
        .collect()
}

fn run<S: Store>(event: &Value, settings: &Settings, cfg: &Config, store: &S) -> Value {
    let rt = runtime();
    rt.block_on(handle(event, far(), settings, cfg, store))
        .expect("handled")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip")
}

/// Every line of every output object.
fn output_lines(store: &Memory, prefix: &str) -> Vec<String> {
    store
        .outputs(prefix)
        .iter()
        // Not the source objects' copies beside the error objects.
        .filter(|(key, _)| !key.ends_with(".source"))
        .map(|(_, gz)| gz)
        .flat_map(|gz| {
            let text = String::from_utf8(gunzip_capped(gz, 1 << 26).expect("gzip")).expect("UTF-8");
            text.lines().map(str::to_string).collect::<Vec<_>>()
        })
        .collect()
}

fn rejected(store: &Memory) -> Vec<Rejected> {
    output_lines_raw(store, "errors/s3-transformer/")
        .iter()
        .map(|l| serde_json::from_str(l).expect("a rejected line"))
        .collect()
}

fn output_lines_raw(store: &Memory, prefix: &str) -> Vec<String> {
    output_lines(store, prefix)
}

#[test]
fn an_object_of_raw_lines_becomes_one_output_line_per_event_and_its_bad_line_is_kept() {
    let mut text = fixtures::lines().join("\n");
    text.push_str("\n{\"not\":\"cognito\"}\n\n");
    let store = Memory::new(7);
    store.insert("logs/a b.json", text.clone().into_bytes());
    let cfg = Config::default();
    let answer = run(&eventbridge("logs/a b.json"), &settings(&[]), &cfg, &store);
    let summary = &answer["objects"][0];
    let fixtures = fixtures::lines().len() as u64;
    assert_eq!(summary["lines"].as_u64(), Some(fixtures + 1));
    assert_eq!(summary["rejected"], 1);
    let lines = output_lines(&store, "activity/normalized/");
    assert_eq!(
        lines.len() as u64,
        summary["events"].as_u64().expect("events")
    );
    assert!(lines.len() as u64 >= fixtures - 1, "{} lines", lines.len());
    // The normalized lines are the pipeline's, as the CLI writes them.
    for line in &lines {
        let v: Value = serde_json::from_str(line).expect("JSON");
        assert_eq!(v["schema_version"], "1");
    }
    let bad = rejected(&store);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].line, Some(fixtures + 1));
    assert_eq!(bad[0].raw_data.as_deref(), Some("eyJub3QiOiJjb2duaXRvIn0="));
    assert_eq!(bad[0].source.as_deref(), Some("s3://raw/logs/a b.json"));
    // Every rejected line is held with its bytes: the source is not copied.
    assert_eq!(summary.get("source_copy"), None, "{summary}");
    assert!(store
        .outputs("errors/")
        .keys()
        .all(|k| k.ends_with(".json.gz")));
}

#[test]
fn gzip_in_any_chunking_and_plain_text_write_the_same_objects_and_a_rerun_the_same_keys() {
    let text = fixtures::lines().join("\n").into_bytes();
    let cfg = Config {
        partition_keys: vec![PartitionKey::EventType, PartitionKey::Year],
        ..Config::default()
    };
    let mut seen = Vec::new();
    for (chunk, body) in [(1, gzip(&text)), (4096, gzip(&text)), (3, text.clone())] {
        let store = Memory::new(chunk);
        store.insert("k", body);
        let first = run(&eventbridge("k"), &settings(&[]), &cfg, &store);
        let before = store.outputs("activity/");
        assert!(
            before
                .keys()
                .all(|k| k.starts_with("activity/normalized/event_type=") && k.contains("/year=")),
            "{before:?}"
        );
        let again = run(&eventbridge("k"), &settings(&[]), &cfg, &store);
        assert_eq!(first, again);
        assert_eq!(
            store.outputs("activity/"),
            before,
            "a re-run writes the same keys and bytes"
        );
        seen.push(before);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn outputs_roll_over_and_close_when_too_many_are_open_and_no_line_is_lost() {
    let fixtures = fixtures::lines();
    let text: Vec<String> = (0..400).flat_map(|_| fixtures.iter().cloned()).collect();
    let text = text.join("\n").into_bytes();
    let cfg = Config {
        partition_keys: vec![PartitionKey::EventType],
        ..Config::default()
    };
    let loose = Memory::new(65536);
    loose.insert("k", text.clone());
    let wide = run(&eventbridge("k"), &settings(&[]), &cfg, &loose);
    let tight = Memory::new(65536);
    tight.insert("k", text);
    let narrow = run(
        &eventbridge("k"),
        &settings(&[("MAX_OPEN_OUTPUTS", "1"), ("OUTPUT_OBJECT_BYTES", "65536")]),
        &cfg,
        &tight,
    );
    let count = |v: &Value| {
        v["objects"][0]["written"]
            .as_array()
            .map(Vec::len)
            .unwrap_or_default()
    };
    assert!(
        count(&narrow) > count(&wide),
        "{} vs {}",
        count(&narrow),
        count(&wide)
    );
    let mut a = output_lines(&loose, "activity/");
    let mut b = output_lines(&tight, "activity/");
    a.sort();
    b.sort();
    assert_eq!(a.len(), b.len());
    assert!(a == b, "the same lines, however they are split");
    assert!(tight
        .outputs("activity/")
        .keys()
        .any(|k| k.ends_with("-00001.json.gz")));
}

#[test]
fn a_line_too_long_and_a_broken_gzip_are_reported_and_what_came_before_is_kept() {
    let fixtures = fixtures::lines();
    let cfg = Config {
        max_decompressed_bytes: 1 << 20,
        ..Config::default()
    };
    let long = "x".repeat((1 << 20) + 10);
    let text = format!("{}\n{long}\n{}\n", fixtures[0], fixtures[1]);
    let store = Memory::new(1000);
    store.insert("long", text.into_bytes());
    let answer = run(&eventbridge("long"), &settings(&[]), &cfg, &store);
    assert_eq!(answer["objects"][0]["rejected"], 1);
    let bad = rejected(&store);
    assert_eq!((bad[0].line, bad[0].raw_data.as_deref()), (Some(2), None));
    assert!(bad[0]
        .error_message
        .contains("longer than MAX_DECOMPRESSED_BYTES"));
    // Its bytes are in the source object's copy, which the last entry and
    // the summary name.
    assert_source_copied(&store, "long", &bad, &answer["objects"][0]);

    // One line, a blank one, then a line the stream breaks in.
    let mut broken = gzip(format!("{}\n\n{}\n", fixtures[0], fixtures[1]).as_bytes());
    let cut = broken.len() - 12;
    broken.truncate(cut);
    broken.extend_from_slice(&[0xff; 12]);
    let store = Memory::new(64);
    store.insert("broken", broken);
    let answer = run(&eventbridge("broken"), &settings(&[]), &cfg, &store);
    let summary = &answer["objects"][0];
    assert_eq!(summary["rejected"], 1, "{summary}");
    assert_eq!(summary["events"], 1, "{summary}");
    let bad = rejected(&store);
    assert_eq!((bad[0].line, bad[0].raw_data.as_deref()), (Some(3), None));
    assert!(bad[0].error_message.contains("cannot be read past"));
    assert_source_copied(&store, "broken", &bad, summary);
}

#[test]
fn a_copy_refused_for_good_still_writes_the_rejected_lines_and_one_that_may_pass_is_retried() {
    let fixtures = fixtures::lines();
    let cfg = Config {
        max_decompressed_bytes: 1 << 10,
        ..Config::default()
    };
    let text = format!("{}\n{}\nnot cognito\n", "x".repeat(2000), fixtures[0]);
    // Refused for good: the object is answered, its error output holds the
    // line it could (with its bytes) and says the copy is missing, and why.
    let mut store = Memory::new(100);
    store.copy_fails = Some("AccessDenied");
    store.insert("k", text.clone().into_bytes());
    let answer = run(&eventbridge("k"), &settings(&[]), &cfg, &store);
    let summary = &answer["objects"][0];
    assert_eq!(summary["rejected"], 2, "{summary}");
    assert_eq!(summary.get("source_copy"), None, "{summary}");
    let bad = rejected(&store);
    assert_eq!(bad.len(), 3);
    assert_eq!(bad[1].raw_data.as_deref(), Some("bm90IGNvZ25pdG8="));
    assert_eq!(bad[2].error_code, "Rejections.SourceNotCopied");
    assert!(
        bad[2]
            .error_message
            .ends_with("only in the source object: CopyObject failed: AccessDenied"),
        "{}",
        bad[2].error_message
    );

    // Refused for now: the invocation fails, for Lambda to retry it.
    let mut store = Memory::new(100);
    store.copy_fails = Some("SlowDown");
    store.insert("k", text.into_bytes());
    let failed = runtime().block_on(handle(
        &eventbridge("k"),
        far(),
        &settings(&[]),
        &cfg,
        &store,
    ));
    assert!(
        matches!(&failed, Err(HandlerError::Store(e)) if e.code == "SlowDown"),
        "{failed:?}"
    );
}

/// The last rejected entry names a copy of `key` under the error prefix,
/// byte for byte the source, and so does the object's summary.
fn assert_source_copied(store: &Memory, key: &str, rejected: &[Rejected], summary: &Value) {
    let last = rejected.last().expect("entries");
    assert_eq!(last.error_code, "Rejections.SourceCopied");
    let copy = last.source_copy.as_deref().expect("the copy's location");
    assert_eq!(summary["source_copy"], copy, "{summary}");
    let copy_key = copy
        .strip_prefix("s3://out/")
        .expect("in the output bucket");
    assert!(
        copy_key.starts_with("errors/s3-transformer/") && copy_key.ends_with(".source"),
        "{copy_key}"
    );
    let objects = store.objects.borrow();
    assert_eq!(
        objects.get(&("out".to_string(), copy_key.to_string())),
        objects.get(&("raw".to_string(), key.to_string()))
    );
}

#[test]
fn where_an_object_inflating_past_its_allowance_stops_does_not_depend_on_how_its_body_arrives() {
    // One record many times over: gzip shrinks it far more than the 64
    // times it may inflate, so the allowance stops the read part way.
    let line = fixtures::lines()[0].clone();
    let copies = 12_000;
    let text = format!("{line}\n").repeat(copies);
    let cfg = Config {
        max_decompressed_bytes: 1 << 20,
        ..Config::default()
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(text.as_bytes()).expect("gzip");
    let body = gz.finish().expect("gzip");
    let mut runs = Vec::new();
    for chunk in [1, 7, 1000, 4096, 65_536] {
        let store = Memory::new(chunk);
        store.insert("k", body.clone());
        let answer = run(&eventbridge("k"), &settings(&[]), &cfg, &store);
        let bad = rejected(&store);
        // The line it stops at, and where the rest is: the source's copy.
        assert_eq!(bad.len(), 2, "chunks of {chunk}: {answer}");
        assert_source_copied(&store, "k", &bad, &answer["objects"][0]);
        assert!(
            bad[0].error_message.contains("expands past"),
            "{}",
            bad[0].error_message
        );
        let events = answer["objects"][0]["events"].as_u64().expect("events");
        assert!(
            events > 0 && events < copies as u64,
            "chunks of {chunk}: {events}"
        );
        runs.push((events, bad[0].line, store.outputs("")));
    }
    assert!(
        runs.windows(2).all(|w| w[0] == w[1]),
        "{:?}",
        runs.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>()
    );
}

#[test]
fn an_object_that_fails_fails_the_invocation_after_the_others_are_written() {
    // An S3 notification naming a missing object before a good one: the
    // good one is still written, and the invocation fails (to be retried)
    // with the missing one's error.
    let store = Memory::new(64);
    store.insert("good", fixtures::lines().join("\n").into_bytes());
    let event = json!({"Records": [
        {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "raw"}, "object": {"key": "gone"}}},
        {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "raw"}, "object": {"key": "good"}}}]});
    let rt = runtime();
    let err = rt
        .block_on(handle(
            &event,
            far(),
            &settings(&[]),
            &Config::default(),
            &store,
        ))
        .expect_err("the missing object fails the invocation");
    assert!(err.to_string().contains("NoSuchKey"), "{err}");
    assert!(!output_lines(&store, "activity/normalized/").is_empty());
}

#[test]
fn batch_operations_tasks_are_answered_one_by_one() {
    let mut store = Memory::new(4096);
    store.insert("ok", fixtures::lines().join("\n").into_bytes());
    store.failing.insert("slow".into(), "SlowDown");
    let job = json!({"invocationSchemaVersion": "1.0", "invocationId": "inv", "job": {"id": "j"},
    "tasks": [
        {"taskId": "t1", "s3Key": "ok", "s3VersionId": null, "s3BucketArn": "arn:aws:s3:::raw"},
        {"taskId": "t2", "s3Key": "missing", "s3BucketArn": "arn:aws:s3:::raw"},
        {"taskId": "t3", "s3Key": "slow", "s3BucketArn": "arn:aws:s3:::raw"},
        {"taskId": "t4", "s3BucketArn": "arn:aws:s3:::raw"}
    ]});
    let answer = run(&job, &settings(&[]), &Config::default(), &store);
    assert_eq!(
        result_codes(&answer),
        [
            "Succeeded",
            "PermanentFailure",
            "TemporaryFailure",
            "PermanentFailure"
        ]
    );
    assert_eq!(answer["invocationId"], "inv");
    assert!(answer["results"][0]["resultString"]
        .as_str()
        .expect("text")
        .contains(" events in "));
    assert!(answer["results"][1]["resultString"]
        .as_str()
        .expect("text")
        .contains("NoSuchKey"));
}

#[test]
fn a_cloudwatch_logs_export_reads_as_the_records_it_holds() {
    let lines = fixtures::lines();
    let export: Vec<String> = lines
        .iter()
        .map(|l| format!("2024-08-07T22:34:33.369Z {l}"))
        .collect();
    let plain = Memory::new(4096);
    plain.insert("k", lines.join("\n").into_bytes());
    let exported = Memory::new(4096);
    exported.insert("k", gzip(export.join("\n").as_bytes()));
    let a = run(
        &eventbridge("k"),
        &settings(&[]),
        &Config::default(),
        &plain,
    );
    let b = run(
        &eventbridge("k"),
        &settings(&[]),
        &Config::default(),
        &exported,
    );
    assert_eq!(b["objects"][0]["rejected"], 0);
    assert_eq!(a["objects"][0]["events"], b["objects"][0]["events"]);
    assert_eq!(
        output_lines(&plain, "activity/"),
        output_lines(&exported, "activity/")
    );
    assert_eq!(crate::transform::export_message(b"{\"a\":1}"), b"{\"a\":1}");
    assert_eq!(
        crate::transform::export_message(b"2024-08-07T22:34:33Z x"),
        b"2024-08-07T22:34:33Z x"
    );
}

#[test]
fn work_stops_at_the_time_given_and_says_so() {
    // An object whose read never answers: a Batch Operations task on it,
    // and the tasks after it, are answered `TemporaryFailure` (retried by
    // Batch Operations) at the time given, and an event naming it fails
    // the invocation with that reason, for Lambda to retry; the objects
    // before it are written.
    let mut store = Memory::new(4096);
    store.insert("ok", fixtures::lines().join("\n").into_bytes());
    store.hanging.push("hung".into());
    let rt = runtime();
    let soon = || Instant::now() + Duration::from_millis(50);
    let job = json!({"invocationSchemaVersion": "1.0", "invocationId": "inv", "job": {"id": "j"},
    "tasks": [
        {"taskId": "t1", "s3Key": "ok", "s3BucketArn": "arn:aws:s3:::raw"},
        {"taskId": "t2", "s3Key": "hung", "s3BucketArn": "arn:aws:s3:::raw"},
        {"taskId": "t3", "s3Key": "ok", "s3BucketArn": "arn:aws:s3:::raw"}
    ]});
    let answer = rt
        .block_on(handle(
            &job,
            soon(),
            &settings(&[]),
            &Config::default(),
            &store,
        ))
        .expect("answered");
    assert_eq!(
        result_codes(&answer),
        ["Succeeded", "TemporaryFailure", "TemporaryFailure"]
    );
    assert!(answer["results"][1]["resultString"]
        .as_str()
        .expect("text")
        .contains("deadline"));

    let event = json!({"Records": [
        {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "raw"}, "object": {"key": "ok"}}},
        {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "raw"}, "object": {"key": "hung"}}}]});
    let store = Memory {
        hanging: vec!["hung".into()],
        ..Memory::new(4096)
    };
    store.insert("ok", fixtures::lines().join("\n").into_bytes());
    let err = rt
        .block_on(handle(
            &event,
            soon(),
            &settings(&[]),
            &Config::default(),
            &store,
        ))
        .expect_err("unfinished at the time given");
    assert!(matches!(err, HandlerError::Deadline), "{err}");
    assert_eq!(
        cognito_activity_aws::lambda::InvocationError::kind(&err),
        "DeadlineError"
    );
    assert!(!output_lines(&store, "activity/normalized/").is_empty());
}
