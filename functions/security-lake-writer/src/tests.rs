//! The handler with a constructed invocation and S3 in memory, as the
//! official runtime's examples test handlers. The real binary against the
//! Runtime API and moto is in tests/tests/security_lake_writer.rs.

use std::cell::RefCell;
use std::collections::BTreeMap;

use base64::Engine as _;
use cognito_activity::config::OutputFormat;
use cognito_activity::fixtures;
use cognito_activity::normalize::Context;
use cognito_activity::pipeline::{self, Holds, RecordOutcome};
use cognito_activity::{Config, Stats};
use cognito_activity_aws::lambda::InvocationError as _;
use cognito_activity_aws::objects::CallError;
use cognito_activity_seclake::lines::ocsf_config;
use serde_json::{json, Value};

use crate::handler::{handle, HandlerError};
use crate::settings::Settings;
use crate::store::{Fetched, Store, StoreError, Writer};
use cognito_activity_aws::events::ObjectRef;
use cognito_activity_aws::objects::Pin;

#[derive(Default)]
struct Memory {
    objects: RefCell<BTreeMap<(String, String), Vec<u8>>>,
    writers: RefCell<Vec<(Writer, String)>>,
    refuse_puts: bool,
    /// A key whose read never answers.
    hanging: Option<String>,
    /// The code every copy fails with.
    copy_fails: Option<&'static str>,
}

impl Store for Memory {
    async fn get(&self, object: &ObjectRef, max: u64) -> Result<Fetched, StoreError> {
        if self.hanging.as_ref() == Some(&object.key) {
            std::future::pending::<()>().await;
        }
        let objects = self.objects.borrow();
        let body = objects
            .get(&(object.bucket.clone(), object.key.clone()))
            .ok_or_else(|| CallError::new("GetObject", &object.bucket, &object.key, "NoSuchKey"))?;
        if body.len() as u64 > max {
            return Err(StoreError::TooLarge {
                bucket: object.bucket.clone(),
                key: object.key.clone(),
                max,
            });
        }
        Ok(Fetched {
            body: body.clone(),
            pin: Pin::of(None, Some("\"etag-1\"")),
        })
    }

    async fn put(
        &self,
        writer: Writer,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        _content_type: &'static str,
    ) -> Result<(), StoreError> {
        if self.refuse_puts {
            return Err(CallError::new("PutObject", bucket, key, "AccessDenied").into());
        }
        self.writers.borrow_mut().push((writer, key.to_string()));
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
            return Err(CallError::new("CopyObject", bucket, key, code).into());
        }
        let mut objects = self.objects.borrow_mut();
        let body = objects
            .get(&(object.bucket.clone(), object.key.clone()))
            .cloned()
            .ok_or_else(|| CallError::new("CopyObject", bucket, key, "NoSuchKey"))?;
        self.writers
            .borrow_mut()
            .push((Writer::Function, key.to_string()));
        objects.insert((bucket.to_string(), key.to_string()), body);
        Ok(())
    }
}

fn settings() -> Settings {
    let env = crate::settings::tests::good();
    Settings::from_lookup(|name| env.get(name).cloned()).expect("good settings")
}

/// Every library fixture as a `normalized` line, then a line that is not
/// Cognito's and an ECS-looking one.
fn delivered() -> (Vec<u8>, usize) {
    let cfg = Config {
        output_format: OutputFormat::Normalized,
        ..Config::default()
    };
    let ctx = Context::default();
    let mut out = Vec::new();
    let mut events = 0;
    for line in fixtures::lines() {
        let holds = Holds::DocumentsOrEnvelope { compressed: false };
        match pipeline::transform(line.as_bytes(), holds, &ctx, &cfg, &mut Stats::default()) {
            RecordOutcome::Ok { output, .. } => {
                events += output.iter().filter(|&&b| b == b'\n').count();
                out.extend_from_slice(&output);
            }
            other => panic!("{line}: {other:?}"),
        }
    }
    // Three lines that cannot be rows: not Cognito's, ECS, and a record
    // with no time at all (which OCSF would file under 1970).
    out.extend_from_slice(b"{\"not\":\"cognito\"}\n{\"@timestamp\":\"x\",\"ecs\":{}}\n");
    let timeless = br#"{"eventSource":"USER_AUTH_EVENTS","logLevel":"INFO","message":{"eventType":"SignIn","userPoolId":"eu-west-1_AbCdEfGhI"}}"#;
    let holds = Holds::DocumentsOrEnvelope { compressed: false };
    match pipeline::transform(timeless, holds, &ctx, &cfg, &mut Stats::default()) {
        RecordOutcome::Ok { output, .. } => out.extend_from_slice(&output),
        other => panic!("{other:?}"),
    }
    (out, events)
}

fn eventbridge(bucket: &str, key: &str) -> Value {
    json!({
        "version": "0", "id": "e1", "detail-type": "Object Created", "source": "aws.s3",
        "account": "123456789012", "region": "eu-west-1", "resources": [],
        "detail": {"version": "0", "bucket": {"name": bucket}, "object": {"key": key, "size": 1, "etag": "etag-1"}}
    })
}

/// A time to stop by that no test reaches.
fn far() -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(3600)
}

fn run<S: Store>(event: &Value, store: &S) -> Result<crate::handler::Summary, HandlerError> {
    run_with(event, store, &settings())
}

fn run_with<S: Store>(
    event: &Value,
    store: &S,
    settings: &Settings,
) -> Result<crate::handler::Summary, HandlerError> {
    let cfg = ocsf_config(&Config::default());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    rt.block_on(handle(event, far(), settings, &cfg, store))
}

#[test]
fn an_object_of_normalized_lines_becomes_lake_objects_and_its_bad_lines_an_error_object() {
    let (body, events) = delivered();
    let store = Memory::default();
    let key = "data/2026/12/04/stream-1-2026-12-04-00-00-00-abc";
    store
        .objects
        .borrow_mut()
        .insert(("activity-bucket".into(), key.into()), body);
    let summary = run(&eventbridge("activity-bucket", key), &store).expect("handled");
    let object = &summary.objects[0];
    assert_eq!(object.lines as usize, events + 3);
    assert_eq!(object.rejected, 3);
    let written_rows: usize = object.written.iter().map(|w| w.rows).sum();
    assert_eq!(object.rows, written_rows);
    // Every event of the fixtures (each has its time) becomes one row.
    assert_eq!(object.rows, events);

    // Each class in its own source's location, written with its provider role.
    let settings = settings();
    for (writer, key) in store.writers.borrow().iter() {
        match writer {
            Writer::Source(i) => {
                let source = &settings.sources[*i];
                assert!(key.starts_with(&source.prefix), "{key}");
                assert!(
                    key.contains("/region=") && key.contains("/accountId=123456789012/eventDay="),
                    "{key}"
                );
                assert!(key.ends_with(".parquet"));
            }
            Writer::Function => {
                assert!(key.starts_with("errors/security-lake/") && key.ends_with(".json.gz"))
            }
        }
    }
    let sources: std::collections::BTreeSet<_> = store
        .writers
        .borrow()
        .iter()
        .filter_map(|(w, _)| match w {
            Writer::Source(i) => Some(*i),
            Writer::Function => None,
        })
        .collect();
    assert_eq!(sources.len(), 2, "both classes written");

    // The rejected lines, with their bytes and reasons.
    let entries = error_entries(&store, object);
    assert_eq!(entries.len(), 3);
    let raw = |e: &Value| {
        base64::engine::general_purpose::STANDARD
            .decode(e["rawData"].as_str().expect("rawData"))
            .expect("base64")
    };
    assert_eq!(raw(&entries[0]), b"{\"not\":\"cognito\"}");
    assert!(entries[0]["errorMessage"]
        .as_str()
        .expect("reason")
        .contains("not a Cognito log record"));
    assert!(entries[1]["errorMessage"]
        .as_str()
        .expect("reason")
        .contains("an ecs line"));
    assert!(entries[2]["errorMessage"]
        .as_str()
        .expect("reason")
        .contains("no usable time"));
    assert!(raw(&entries[2]).starts_with(b"{\"schema_version\""));
    assert_eq!(entries[2]["line"], (events + 3) as u64);
    assert_eq!(entries[0]["source"], format!("s3://activity-bucket/{key}"));
    assert_eq!(entries[0]["line"], (events + 1) as u64);
    // Every rejected line is held with its bytes: the source is not copied.
    assert_eq!(object.source_copy, None);
}

/// The entries of `object`'s error object, in the error bucket.
fn error_entries(store: &Memory, object: &crate::handler::ObjectSummary) -> Vec<Value> {
    let error_key = object.error_object.as_deref().expect("an error object");
    let error_key = error_key
        .strip_prefix("s3://activity-bucket/")
        .expect("in the error bucket");
    let gz =
        store.objects.borrow()[&("activity-bucket".to_string(), error_key.to_string())].clone();
    let text = cognito_activity::decode::gunzip_capped(&gz, 1 << 20).expect("gzip");
    String::from_utf8(text)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect()
}

#[test]
fn an_ocsf_line_the_schema_refuses_is_rejected_alone() {
    // An OCSF 1.1.0 line as the pipeline writes it, and the same line with
    // a field the Security Lake schema lacks (another tool's, or an older
    // build's): the second goes to the error object, the first is written.
    let cfg = ocsf_config(&Config::default());
    let line = match pipeline::transform(
        fixtures::lines()[0].as_bytes(),
        Holds::DocumentsOrEnvelope { compressed: false },
        &Context::default(),
        &cfg,
        &mut Stats::default(),
    ) {
        RecordOutcome::Ok { output, .. } => String::from_utf8(output).expect("UTF-8"),
        other => panic!("{other:?}"),
    };
    let mut extra: Value = serde_json::from_str(line.trim_end()).expect("JSON");
    // Any integer is an OCSF `timezone_offset` (a field OCSF does not define
    // is refused before, as the line is read: seclake::conformance); the
    // Parquet column is an int32.
    extra["timezone_offset"] = json!(1_u64 << 40);
    // A blank line (skipped, still numbered), and a rejected line after
    // the refused one.
    let body = format!("{line}\n{extra}\n{{\"not\":\"cognito\"}}\n{line}");
    let store = Memory::default();
    store
        .objects
        .borrow_mut()
        .insert(("activity-bucket".into(), "k".into()), body.into_bytes());
    let summary = run(&eventbridge("activity-bucket", "k"), &store).expect("handled");
    let object = &summary.objects[0];
    assert_eq!((object.lines, object.rows, object.rejected), (4, 2, 2));
    assert_eq!(object.written.iter().map(|w| w.rows).sum::<usize>(), 2);
    // The schema's refusal (known when the objects are written) follows
    // the other rejected lines, with its line's number and bytes.
    let entries = error_entries(&store, object);
    let lines: Vec<&Value> = entries.iter().map(|e| &e["line"]).collect();
    assert_eq!(lines, [&json!(4), &json!(3)]);
    assert_eq!(entries[1]["errorCode"], "SecurityLake.Unusable");
    assert_eq!(
        entries[1]["errorMessage"],
        "rows do not fit the authentication schema"
    );
    let raw = base64::engine::general_purpose::STANDARD
        .decode(entries[1]["rawData"].as_str().expect("rawData"))
        .expect("base64");
    assert_eq!(raw, extra.to_string().as_bytes());
}

#[test]
fn the_same_invocation_again_writes_the_same_keys_and_bytes() {
    let (body, _) = delivered();
    let store = Memory::default();
    store
        .objects
        .borrow_mut()
        .insert(("activity-bucket".into(), "data/a b".into()), body);
    let event = eventbridge("activity-bucket", "data/a b");
    let first = run(&event, &store).expect("handled");
    let before = store.objects.borrow().clone();
    let second = run(&event, &store).expect("handled again");
    assert_eq!(first, second);
    assert_eq!(
        *store.objects.borrow(),
        before,
        "nothing new, nothing changed"
    );
}

#[test]
fn a_missing_object_or_a_refused_write_fails_the_invocation() {
    let store = Memory::default();
    let err = run(&eventbridge("activity-bucket", "gone"), &store).expect_err("missing");
    assert!(err.to_string().contains("NoSuchKey"), "{err}");
    // A missing object before a good one: the good one is still written.
    store
        .objects
        .borrow_mut()
        .insert(("activity-bucket".into(), "k".into()), delivered().0);
    let s3 = |key: &str| json!({"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "activity-bucket"}, "object": {"key": key}}});
    let err = run(&json!({"Records": [s3("gone"), s3("k")]}), &store).expect_err("missing first");
    assert!(err.to_string().contains("NoSuchKey"), "{err}");
    assert!(
        store
            .objects
            .borrow()
            .keys()
            .any(|(_, k)| k.ends_with(".parquet")),
        "the good object's rows are written"
    );
    let store = Memory {
        refuse_puts: true,
        ..Memory::default()
    };
    store
        .objects
        .borrow_mut()
        .insert(("activity-bucket".into(), "k".into()), delivered().0);
    let err = run(&eventbridge("activity-bucket", "k"), &store).expect_err("refused");
    assert!(matches!(err, HandlerError::Store(_)), "{err}");
    assert!(err.to_string().contains("AccessDenied"));
    let err = run(&json!({"hello": "world"}), &Memory::default()).expect_err("not an S3 event");
    assert_eq!(err.kind(), "EventError");
}

#[test]
fn a_gzip_object_reads_as_its_lines() {
    let (body, _) = delivered();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &body).expect("gzip");
    let store = Memory::default();
    store
        .objects
        .borrow_mut()
        .insert(("activity-bucket".into(), "plain".into()), body);
    store.objects.borrow_mut().insert(
        ("activity-bucket".into(), "zipped".into()),
        gz.finish().expect("gzip"),
    );
    let plain = run(&eventbridge("activity-bucket", "plain"), &store).expect("plain");
    let zipped = run(&eventbridge("activity-bucket", "zipped"), &store).expect("zipped");
    assert_eq!(plain.objects[0].rows, zipped.objects[0].rows);
    assert_eq!(plain.objects[0].rejected, zipped.objects[0].rejected);
}

#[test]
fn an_object_unreadable_past_a_line_is_reported_at_the_line_after_it() {
    // One whole gzip member (a line, a blank line, a line), then a member
    // cut off after its header: the object cannot be read past line 3. Blank lines count
    // in the numbering as everywhere else.
    let (body, _) = delivered();
    let first = body.split(|&b| b == b'\n').next().expect("a line");
    let whole = [first, b"\n\n", first, b"\n"].concat();
    let gzip = |bytes: &[u8]| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, bytes).expect("gzip");
        gz.finish().expect("gzip")
    };
    let mut object = gzip(&whole);
    let cut = gzip(&body);
    object.extend_from_slice(&cut[..12]);
    let store = Memory::default();
    store
        .objects
        .borrow_mut()
        .insert(("activity-bucket".into(), "cut".into()), object);
    let summary = run(&eventbridge("activity-bucket", "cut"), &store).expect("handled");
    let object = &summary.objects[0];
    assert_eq!((object.lines, object.rows), (2, 2));
    let entries = error_entries(&store, object);
    let unreadable: Vec<&Value> = entries
        .iter()
        .filter(|e| e["errorCode"] == "SecurityLake.Unreadable")
        .map(|e| &e["line"])
        .collect();
    assert_eq!(unreadable, [&json!(4)]);
    // The rest of the object is in its copy, named by the last entry and
    // the summary, byte for byte the source.
    let last = entries.last().expect("entries");
    assert_eq!(last["errorCode"], "Rejections.SourceCopied");
    let copy = object.source_copy.as_deref().expect("a copy");
    assert_eq!(last["sourceCopy"], copy);
    let (bucket, key) = copy
        .strip_prefix("s3://")
        .and_then(|c| c.split_once('/'))
        .expect("s3://bucket/key");
    assert!(key.ends_with(".source"), "{key}");
    let cut = {
        let objects = store.objects.borrow();
        let cut = objects
            .get(&("activity-bucket".to_string(), "cut".to_string()))
            .cloned()
            .expect("the source");
        assert_eq!(
            objects.get(&(bucket.to_string(), key.to_string())),
            Some(&cut)
        );
        cut
    };

    // A copy refused for good: the rejected lines are still written, the
    // last entry saying the copy is missing and why; one refused for now
    // fails the invocation, to be retried.
    for (code, retried) in [("AccessDenied", false), ("SlowDown", true)] {
        let store = Memory {
            copy_fails: Some(code),
            ..Memory::default()
        };
        store
            .objects
            .borrow_mut()
            .insert(("activity-bucket".into(), "cut".into()), cut.clone());
        let result = run(&eventbridge("activity-bucket", "cut"), &store);
        if retried {
            let error = result.expect_err("retried").to_string();
            assert!(error.contains("SlowDown"), "{error}");
            continue;
        }
        let object = &result.expect("handled").objects[0];
        assert_eq!(object.source_copy, None);
        let entries = error_entries(&store, object);
        let last = entries.last().expect("entries");
        assert_eq!(last["errorCode"], "Rejections.SourceNotCopied");
        assert!(last["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .ends_with("CopyObject failed: AccessDenied"));
    }
}

#[test]
fn a_gzip_object_is_read_up_to_max_object_bytes_of_text_and_the_rest_reported() {
    // Many copies of one line: a small object that inflates far past the
    // cap. The lines that fit under it are written, the rest is reported
    // at the first line not read whole.
    let (body, _) = delivered();
    let first = [body.split(|&b| b == b'\n').next().expect("a line"), b"\n"].concat();
    let text = first.repeat(200);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &text).expect("gzip");
    let object = gz.finish().expect("gzip");
    let line = first.len() as u64;
    let cap = (object.len() as u64).max(3 * line + line / 2);
    assert!(
        cap < text.len() as u64 / 2,
        "the object inflates past the cap"
    );
    let whole = cap / line;
    let store = Memory::default();
    store
        .objects
        .borrow_mut()
        .insert(("activity-bucket".into(), "bomb".into()), object);
    let mut capped = settings();
    capped.max_object_bytes = cap;
    let summary = run_with(&eventbridge("activity-bucket", "bomb"), &store, &capped)
        .expect("handled, not failed");
    let object = &summary.objects[0];
    assert_eq!((object.lines, object.rows as u64), (whole, whole));
    let entries = error_entries(&store, object);
    let unreadable: Vec<&Value> = entries
        .iter()
        .filter(|e| e["errorCode"] == "SecurityLake.Unreadable")
        .collect();
    assert_eq!(unreadable.len(), 1, "{entries:?}");
    assert_eq!(unreadable[0]["line"], json!(whole + 1));
    let message = unreadable[0]["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("MAX_OBJECT_BYTES"), "{message}");

    // Under the default cap the same object reads whole.
    let summary = run(&eventbridge("activity-bucket", "bomb"), &store).expect("handled");
    assert_eq!(summary.objects[0].rows, 200);
}

#[test]
fn an_object_unfinished_at_the_time_given_fails_the_invocation_with_that_reason() {
    let store = Memory {
        hanging: Some("hung".into()),
        ..Memory::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let soon = tokio::time::Instant::now() + std::time::Duration::from_millis(50);
    let err = rt
        .block_on(handle(
            &eventbridge("activity-bucket", "hung"),
            soon,
            &settings(),
            &ocsf_config(&Config::default()),
            &store,
        ))
        .expect_err("unfinished at the time given");
    assert!(matches!(err, HandlerError::Deadline), "{err}");
    assert_eq!(err.kind(), "DeadlineError");
}
