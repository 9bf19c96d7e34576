// The fuzz targets' bodies. Included by `fuzz/src/lib.rs` (the fuzz crate)
// and by `shared/tests/fuzz_corpus.rs` (the stable replay), so the checks
// are written once. Plain `//` comments only: this file is `include!`d.
//
// A failed check panics with a message naming the broken invariant, which
// libFuzzer reports as a crash and the replay test as a failure.

/// Arbitrary bytes as one record's decoded data, raw and gzip-compressed,
/// through `transform_record` in a format chosen by the input's length.
pub fn check_decode_record(data: &[u8]) {
    use base64::Engine as _;
    use std::io::Write as _;

    let cfg = &fuzz_configs()[data.len() % FORMATS];
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let gzipped = match gz.write_all(data).and_then(|()| gz.finish()) {
        Ok(g) => g,
        Err(e) => panic!("gzip into memory cannot fail: {e}"),
    };
    for bytes in [data, &gzipped[..]] {
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        let record = cognito_activity::firehose::FirehoseRecord {
            record_id: "fuzz".into(),
            data: Some(b64.as_str().into()),
            approximate_arrival_timestamp: Some(1_507_217_624_302),
        };
        let mut stats = cognito_activity::Stats::default();
        let outcome = cognito_activity::firehose::transform_record(&record, cfg, &mut stats);
        check_outcome(&outcome, cfg);
    }
}

/// Arbitrary bytes as the whole event: `process_event` must answer every
/// recordId once, in order, within the budget, or say why the event is
/// unusable when it really is.
pub fn check_process_event(data: &[u8]) {
    let cfg = &fuzz_configs()[0];
    let expected = expected_record_ids(data);
    match cognito_activity::process_event(data, cfg) {
        Ok(processed) => {
            let got: Vec<&str> = processed
                .response
                .records
                .iter()
                .map(|r| r.record_id.as_ref())
                .collect();
            let want = match &expected {
                Expected::Ids(ids) => ids.clone(),
                Expected::Unusable(why) => {
                    panic!("process_event answered an event that is unusable: {why}")
                }
                // serde_json's Value could not read it (nesting past 128
                // levels in an ignored field, a number out of f64 range):
                // fall back to the event parser's own reading.
                Expected::Unknown => match cognito_activity::firehose::FirehoseEvent::parse(data) {
                    Ok(ev) => ev.records.iter().map(|r| r.record_id.to_string()).collect(),
                    Err(e) => panic!("process_event is Ok but the event does not parse: {e}"),
                },
            };
            assert_eq!(got, want, "every recordId answered once, in input order");
            check_response(&processed, cfg, data.len());
            let answered = got.len();
            check_failures_add_up(processed.clone());
            // Under a budget of a few records, most overflow: held for the
            // caller to settle, and settled.
            let tight = cognito_activity::Config {
                response_budget_bytes: 4_096,
                ..cfg.clone()
            };
            match cognito_activity::process_event(data, &tight) {
                Ok(processed) => {
                    assert_eq!(processed.response.records.len(), answered, "every record answered");
                    check_failures_add_up(processed);
                }
                Err(e) => panic!("the budget changed whether the event is usable: {e}"),
            }
        }
        Err(err) => {
            let msg = err.to_string();
            assert!(!msg.is_empty(), "an event error says why");
            if let Expected::Ids(ids) = expected {
                panic!(
                    "process_event rejected an event with a usable records array \
                     ({} records): {msg}",
                    ids.len()
                );
            }
        }
    }
}

/// Settled as failed (re-ingestion off), every record answered
/// `ProcessingFailed` is counted under exactly one failure code.
fn check_failures_add_up(mut processed: cognito_activity::Processed) {
    let held = processed.overflow.len();
    processed.settle(std::iter::repeat_n(
        cognito_activity::Settlement::Failed("reingest_disabled"),
        held,
    ));
    assert!(processed.overflow.is_empty(), "every overflow record settled");
    assert_eq!(
        processed.stats.failures.values().sum::<u64>(),
        processed.stats.records_failed,
        "every failed record counted under one code"
    );
}

/// What an independent reading of the event (serde_json's `Value`) says.
enum Expected {
    /// A records array of objects, each with a string recordId.
    Ids(Vec<String>),
    /// Valid JSON, but no usable records array.
    Unusable(&'static str),
    /// `Value` could not read it.
    Unknown,
}

fn expected_record_ids(data: &[u8]) -> Expected {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return Expected::Unknown;
    };
    // `Value` keeps the last of duplicate keys; the event parser stops at a
    // bad first `records`. Firehose never repeats it: either answer is fine.
    if records_keys(data) > 1 {
        return Expected::Unknown;
    }
    let Some(obj) = value.as_object() else {
        return Expected::Unusable("top level is not an object");
    };
    let Some(records) = obj.get("records") else {
        return Expected::Unusable("no records");
    };
    let Some(records) = records.as_array() else {
        return Expected::Unusable("records is not an array");
    };
    let mut ids = Vec::with_capacity(records.len());
    for r in records {
        let Some(r) = r.as_object() else {
            return Expected::Unusable("a record is not an object");
        };
        match r.get("recordId").and_then(serde_json::Value::as_str) {
            Some(id) => ids.push(id.to_owned()),
            None => return Expected::Unusable("a record has no string recordId"),
        }
    }
    Expected::Ids(ids)
}

/// How many top-level `records` keys the event has.
fn records_keys(data: &[u8]) -> usize {
    struct Count(usize);
    impl<'de> serde::Deserialize<'de> for Count {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Count;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut m: A,
                ) -> Result<Count, A::Error> {
                    let mut n = 0;
                    while let Some(k) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                        n += usize::from(k == "records");
                        m.next_value::<serde::de::IgnoredAny>()?;
                    }
                    Ok(Count(n))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::from_slice::<Count>(data).map_or(0, |c| c.0)
}

fn check_response(
    processed: &cognito_activity::Processed,
    cfg: &cognito_activity::Config,
    input_len: usize,
) {
    use cognito_activity::RecordResult;

    let json = processed.to_json();
    assert_eq!(
        json.len(),
        processed.response.json_len(),
        "json_len is exact"
    );
    match serde_json::from_slice::<serde_json::Value>(&json) {
        Ok(value) => {
            let answered = value["records"].as_array().map_or(0, Vec::len);
            assert_eq!(
                answered,
                processed.response.records.len(),
                "response holds every record"
            );
        }
        Err(e) => panic!("the response is not JSON: {e}"),
    }
    // An answer is at most ~4x the smallest record the input can hold, so a
    // small input always fits.
    if input_len.saturating_mul(5) < cfg.response_budget_bytes {
        assert!(
            json.len() <= cfg.response_budget_bytes,
            "response within the budget"
        );
    }
    let s = &processed.stats;
    assert_eq!(
        s.records_ok + s.records_dropped + s.records_failed,
        s.records_in,
        "every record counted once"
    );
    for r in &processed.response.records {
        if r.result == RecordResult::Ok {
            let bytes = match cognito_activity::firehose::decode_response_data(r) {
                Ok(b) => b,
                Err(e) => panic!("an Ok record's data is not base64: {e}"),
            };
            check_lines(&bytes);
        } else {
            assert!(
                r.partition_keys.is_none(),
                "only Ok records carry partition keys"
            );
        }
        if let Some(keys) = &r.partition_keys {
            check_partition_keys(keys);
        }
    }
}

fn check_outcome(outcome: &cognito_activity::pipeline::RecordOutcome, cfg: &cognito_activity::Config) {
    use cognito_activity::pipeline::RecordOutcome;
    match outcome {
        RecordOutcome::Ok {
            output,
            partition_keys,
            events,
            ..
        } => {
            assert!(*events > 0, "an Ok record holds at least one event");
            assert_eq!(check_lines(output), *events, "one line per event");
            match partition_keys {
                Some(keys) => {
                    assert_eq!(keys.len(), cfg.partition_keys.len(), "every configured key");
                    check_partition_keys(keys);
                }
                None => assert!(cfg.partition_keys.is_empty(), "keys when configured"),
            }
        }
        RecordOutcome::Dropped { reason } => assert!(!reason.is_empty()),
        RecordOutcome::Failed(err) => {
            assert!(!err.code().is_empty(), "a failure has a code");
            assert!(!err.to_string().is_empty(), "a failure has a reason");
        }
    }
}

/// Every line is one JSON object and ends in `\n`; returns the line count.
fn check_lines(output: &[u8]) -> usize {
    assert!(output.ends_with(b"\n"), "output ends in a newline");
    let mut n = 0;
    for line in output[..output.len() - 1].split(|b| *b == b'\n') {
        match serde_json::from_slice::<serde_json::Value>(line) {
            Ok(v) => assert!(v.is_object(), "each line is a JSON object"),
            Err(e) => panic!("output line {n} is not JSON: {e}"),
        }
        n += 1;
    }
    n
}

/// Partition key values are non-empty S3 prefix segments.
fn check_partition_keys(keys: &std::collections::BTreeMap<&'static str, String>) {
    for (k, v) in keys {
        assert!(!v.is_empty(), "partition key {k} is empty");
        assert!(
            v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')),
            "partition key {k} is not S3-safe: {v:?}"
        );
    }
}

/// How many output formats the library has.
const FORMATS: usize = cognito_activity::config::OutputFormat::ALL.len();

/// One configuration per output format, each with every partition key.
fn fuzz_configs() -> &'static [cognito_activity::Config; FORMATS] {
    static CONFIGS: std::sync::OnceLock<[cognito_activity::Config; FORMATS]> =
        std::sync::OnceLock::new();
    CONFIGS.get_or_init(|| {
        cognito_activity::config::OutputFormat::NAMES.map(|format| {
            let lookup = |name: &str| match name {
                "OUTPUT_FORMAT" => Some(format.to_string()),
                "PARTITION_KEYS" => Some(
                    "user_pool_id,event_type,outcome,risk_decision,ocsf_class,year,month,day,hour"
                        .to_string(),
                ),
                _ => None,
            };
            match cognito_activity::Config::from_lookup(lookup) {
                Ok(c) => c,
                Err(e) => panic!("fuzz config is valid: {e}"),
            }
        })
    })
}

/// Arbitrary bytes through our JSON parser (`shared/src/parse.rs`) and
/// through serde_json, which it replaced and must agree with: the same
/// documents or the same kind of failure, never a panic.
pub fn check_parse_differential(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        check_value_against_serde(text);
        check_documents_against_serde(text);
        check_escaped_document(text);
        check_raw_message(text);
        check_envelope_against_serde(text);
        check_envelope_in_one_pass(text);
    }
    check_firehose_event_against_serde(data);
}

/// Trees equal, numbers written alike too (`Number`'s `==` holds `-0.0`
/// and `0.0` equal).
fn same_tree<T: PartialEq + std::fmt::Debug>(ours: &T, theirs: &T) -> bool {
    ours == theirs && format!("{ours:?}") == format!("{theirs:?}")
}

/// `parse::parse_value` against `serde_json::from_str::<Field>`.
fn check_value_against_serde(text: &str) {
    use cognito_activity::cognito::Field;
    let ours = cognito_activity::json::parse::parse_value(text);
    let theirs = serde_json::from_str::<Field<'_>>(text);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert!(
            same_tree(a, b),
            "parse_value builds another tree than serde_json: {a:?} vs {b:?}"
        ),
        (Err(_), Err(_)) => {}
        _ => panic!(
            "parse_value and serde_json disagree: ours {:?}, serde_json {:?}",
            ours.map(|_| "Ok"),
            theirs.map(|_| "Ok").map_err(|e| e.to_string())
        ),
    }
}

/// What `parse_documents` should say, read by serde_json's stream.
#[derive(Debug)]
enum Documents<'a> {
    Objects(Vec<cognito_activity::cognito::Object<'a>>),
    Json,
    NotObject(usize),
    Empty,
}

fn reference_documents(text: &str) -> Documents<'_> {
    use cognito_activity::cognito::Field;
    let mut out = Vec::new();
    let stream = serde_json::Deserializer::from_str(text).into_iter::<Field<'_>>();
    for (index, item) in stream.enumerate() {
        match item {
            Ok(Field::Obj(o)) => out.push(o),
            Ok(_) => return Documents::NotObject(index),
            Err(_) => return Documents::Json,
        }
    }
    if out.is_empty() {
        Documents::Empty
    } else {
        Documents::Objects(out)
    }
}

/// `cognito::parse_documents` against serde_json's `StreamDeserializer`.
fn check_documents_against_serde(text: &str) {
    use cognito_activity::RecordError;
    let ours = cognito_activity::cognito::parse_documents(text);
    let theirs = reference_documents(text);
    match (&ours, &theirs) {
        (Ok(a), Documents::Objects(b)) => assert!(
            same_tree(a, b),
            "parse_documents builds other objects than serde_json: {a:?} vs {b:?}"
        ),
        (Err(RecordError::Json(_)), Documents::Json)
        | (Err(RecordError::Empty), Documents::Empty) => {}
        (Err(RecordError::NotCognito { index, .. }), Documents::NotObject(i)) if index == i => {}
        _ => panic!("parse_documents says {ours:?}, serde_json's stream says {theirs:?}"),
    }
}

/// The single object `parse_documents` reads from `text`, if that is all
/// it holds.
fn single_object(text: &str) -> Option<cognito_activity::cognito::Object<'_>> {
    match cognito_activity::cognito::parse_documents(text) {
        Ok(mut docs) if docs.len() == 1 => docs.pop(),
        _ => None,
    }
}

/// `text` written as a JSON string body (serde_json's escaping, no quotes),
/// as a CloudWatch Logs envelope holds a message: `escaped_document` on it
/// is the object `text` holds, when it answers; `unescape` gives `text`.
fn check_escaped_document(text: &str) {
    let quoted = match serde_json::to_string(text) {
        Ok(q) => q,
        Err(e) => panic!("a str always serializes: {e}"),
    };
    let raw = &quoted[1..quoted.len() - 1];
    match cognito_activity::json::parse::unescape(raw) {
        Ok(back) => assert_eq!(back, text, "unescape gives back the text"),
        Err(e) => panic!("unescape fails on serde_json's own escaping: {e:?}"),
    }
    if let Some(doc) = cognito_activity::json::parse::escaped_document(raw) {
        let plain = single_object(text);
        assert!(
            plain.as_ref().is_some_and(|p| same_tree(&doc, p)),
            "escaped_document reads {doc:?} where parse_documents reads {plain:?}"
        );
    }
}

/// `text` itself as a message's raw string body, any escapes at all (as a
/// hostile envelope could hold): when it is a valid JSON string body,
/// `unescape` gives serde_json's value, and `escaped_document`, when it
/// answers, the object that value holds; when it is not, `unescape` fails
/// and `escaped_document` gives nothing.
fn check_raw_message(text: &str) {
    use cognito_activity::cognito::Field;
    let quoted = format!("\"{text}\"");
    let value = match serde_json::from_str::<Field<'_>>(&quoted) {
        Ok(Field::Str(s)) => Some(s),
        Ok(other) => panic!("a quoted body read as a non-string: {other:?}"),
        Err(_) => None,
    };
    let unescaped = cognito_activity::json::parse::unescape(text);
    let doc = cognito_activity::json::parse::escaped_document(text);
    // `unescape` trusts `raw_string` to have checked the body, so only a
    // valid body is held to the reference.
    let Some(value) = value else {
        return;
    };
    match &unescaped {
        Ok(u) => assert_eq!(u, &value, "unescape gives the string's value"),
        Err(e) => panic!("unescape fails on a valid string body: {e:?}"),
    }
    if let Some(doc) = doc {
        let plain = single_object(&value);
        assert!(
            plain.as_ref().is_some_and(|p| same_tree(&doc, p)),
            "escaped_document reads {doc:?} from a raw body whose value holds {plain:?}"
        );
    }
}

/// `FirehoseEvent::parse` against `FirehoseEvent::parse_serde`.
fn check_firehose_event_against_serde(data: &[u8]) {
    use cognito_activity::firehose::FirehoseEvent;
    use cognito_activity::EventError;
    let ours = FirehoseEvent::parse(data);
    let theirs = FirehoseEvent::parse_serde(data);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "the same event both ways"),
        (Err(EventError::NotFirehose { why: a }), Err(EventError::NotFirehose { why: b })) => {
            assert_eq!(a, b, "the same reason both ways")
        }
        // serde_json names the same fault differently on its read and skip
        // paths (end of input or syntax): both JSON errors is agreement.
        (Err(EventError::Json(_)), Err(EventError::Json(_))) => {}
        _ => panic!("FirehoseEvent::parse says {ours:?}, parse_serde says {theirs:?}"),
    }
}

/// The CloudWatch Logs envelope as serde's derive read it before
/// `batch::parse_envelope` had its own reader (the reference in
/// `shared/src/batch.rs`'s equivalence tests).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SerdeEnvelope<'a> {
    #[serde(borrow, default)]
    message_type: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    owner: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    log_group: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    log_stream: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    subscription_filters: Option<Vec<std::borrow::Cow<'a, str>>>,
    #[serde(borrow, default)]
    log_events: Vec<SerdeLogEvent<'a>>,
    #[serde(borrow, default, rename = "cognitoActivityReingested")]
    reingested: Option<&'a serde_json::value::RawValue>,
}

#[derive(Debug, serde::Deserialize)]
struct SerdeLogEvent<'a> {
    #[serde(borrow, default)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(borrow)]
    message: std::borrow::Cow<'a, str>,
}

/// An envelope's contents, comparable across both readers.
#[derive(Debug, PartialEq)]
struct EnvelopeView<'a> {
    names: [Option<std::borrow::Cow<'a, str>>; 4],
    filters: Option<Vec<std::borrow::Cow<'a, str>>>,
    events: Vec<LogEventView<'a>>,
    reingested: bool,
}

/// A log event's id, timestamp and message.
type LogEventView<'a> = (
    Option<std::borrow::Cow<'a, str>>,
    Option<i64>,
    std::borrow::Cow<'a, str>,
);

type EnvelopeReading<'a> = Result<Option<EnvelopeView<'a>>, cognito_activity::RecordError>;

fn reference_envelope(text: &str, was_gzip: bool) -> EnvelopeReading<'_> {
    use cognito_activity::RecordError;
    if !was_gzip && !text.contains("\"messageType\"") {
        return Ok(None);
    }
    match serde_json::from_str::<SerdeEnvelope<'_>>(text) {
        Ok(env) if env.message_type.is_some() => Ok(Some(EnvelopeView {
            names: [env.message_type, env.owner, env.log_group, env.log_stream],
            filters: env.subscription_filters,
            events: env
                .log_events
                .into_iter()
                .map(|e| (e.id, e.timestamp, e.message))
                .collect(),
            reingested: env.reingested.is_some_and(|v| v.get() == "true"),
        })),
        Ok(_) => Ok(None),
        Err(e)
            if was_gzip && text.trim_start().starts_with('{') && text.contains("\"logEvents\"") =>
        {
            Err(RecordError::Envelope {
                why: match e.classify() {
                    serde_json::error::Category::Data => "unexpected field types",
                    _ => "not valid JSON",
                },
            })
        }
        Err(_) => Ok(None),
    }
}

/// `batch::parse_envelope` against serde's derive, gzip or not; and each
/// message read straight from its escaped text (`escaped_document`) is the
/// object its unescaped text holds.
fn check_envelope_against_serde(text: &str) {
    for was_gzip in [false, true] {
        let parsed = cognito_activity::envelope::parse_envelope(text, was_gzip);
        if let Ok(Some(env)) = &parsed {
            for ev in &env.log_events {
                let message = match ev.message() {
                    Ok(m) => m,
                    Err(e) => panic!("a validated message does not unescape: {e:?}"),
                };
                if let Some(doc) = cognito_activity::json::parse::escaped_document(ev.raw_message) {
                    let plain = single_object(&message);
                    assert!(
                        plain.as_ref().is_some_and(|p| same_tree(&doc, p)),
                        "an envelope message reads {doc:?} escaped, {plain:?} unescaped"
                    );
                }
            }
        }
        let ours: EnvelopeReading<'_> = parsed.map(|env| {
            env.map(|env| EnvelopeView {
                names: [env.message_type, env.owner, env.log_group, env.log_stream],
                filters: env.subscription_filters,
                events: env
                    .log_events
                    .iter()
                    .map(|e| (e.id.clone(), e.timestamp, e.message().unwrap_or_default()))
                    .collect(),
                reingested: env.reingested,
            })
        });
        let theirs = reference_envelope(text, was_gzip);
        if ours != theirs
            && text
                .trim_start_matches([' ', '\n', '\r', '\t'])
                .starts_with('[')
        {
            // A whole envelope written as an array, which serde's derive
            // reads positionally (`[""]` is an envelope of messageType ""):
            // `parse_envelope` takes only an object as an envelope.
            assert!(
                matches!(ours, Ok(None)),
                "parse_envelope (gzip: {was_gzip}) on a top-level array: {ours:?}"
            );
            continue;
        }
        if ours != theirs && has_positional_log_event(text) {
            // A log event written as an array, which serde's derive reads
            // positionally and `parse_envelope` deliberately refuses (see
            // `log_event` in shared/src/batch.rs): any refusal will do.
            assert!(
                !matches!(ours, Ok(Some(_))),
                "parse_envelope (gzip: {was_gzip}) read an envelope with a positional log event"
            );
            continue;
        }
        assert_eq!(
            ours, theirs,
            "parse_envelope (gzip: {was_gzip}) as serde's derive"
        );
    }
}

/// `envelope::stream_envelope`, when it reads an envelope in one pass,
/// reads what `parse_envelope` reads whole: the same fields, and each
/// event's id, timestamp and message (a message it parsed in place is the
/// object `escaped_document` reads from the raw text; one it left raw is
/// the raw text, which `escaped_document` does not read).
fn check_envelope_in_one_pass(text: &str) {
    use cognito_activity::envelope::{parse_envelope, stream_envelope, Message};
    use cognito_activity::json::parse::escaped_document;
    let mut streamed = Vec::new();
    let Some(env) = stream_envelope(text, |_, ev| {
        streamed.push(ev);
        Ok(())
    }) else {
        return;
    };
    let whole = match parse_envelope(text, true) {
        Ok(Some(whole)) => whole,
        other => panic!("read in one pass, but not whole: {other:?}"),
    };
    assert_eq!(
        [&env.message_type, &env.owner, &env.log_group, &env.log_stream],
        [&whole.message_type, &whole.owner, &whole.log_group, &whole.log_stream]
    );
    assert_eq!(env.subscription_filters, whole.subscription_filters);
    assert_eq!(env.reingested, whole.reingested);
    assert_eq!(streamed.len(), whole.log_events.len());
    for (one, ev) in streamed.iter().zip(&whole.log_events) {
        assert_eq!((&one.id, one.timestamp), (&ev.id, ev.timestamp));
        match &one.message {
            Message::Document(doc) => {
                let read = escaped_document(ev.raw_message);
                assert!(
                    read.as_ref().is_some_and(|r| same_tree(doc, r)),
                    "one pass read {doc:?}, the raw text reads {read:?}"
                );
            }
            Message::Raw(raw) => {
                assert_eq!(*raw, ev.raw_message);
                assert!(escaped_document(raw).is_none(), "left raw: {raw:?}");
            }
        }
    }
}

/// Whether serde_json, reading `logEvents` and nothing else, meets a log
/// event written as an array before anything else stops it.
fn has_positional_log_event(text: &str) -> bool {
    struct Probe;
    impl<'de> serde::Deserialize<'de> for Probe {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Probe;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("any value")
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<Probe, A::Error> {
                    Err(serde::de::Error::custom("positional log event"))
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut m: A,
                ) -> Result<Probe, A::Error> {
                    while m
                        .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                        .is_some()
                    {}
                    Ok(Probe)
                }
                fn visit_str<E>(self, _: &str) -> Result<Probe, E> {
                    Ok(Probe)
                }
                fn visit_bool<E>(self, _: bool) -> Result<Probe, E> {
                    Ok(Probe)
                }
                fn visit_i64<E>(self, _: i64) -> Result<Probe, E> {
                    Ok(Probe)
                }
                fn visit_u64<E>(self, _: u64) -> Result<Probe, E> {
                    Ok(Probe)
                }
                fn visit_f64<E>(self, _: f64) -> Result<Probe, E> {
                    Ok(Probe)
                }
                fn visit_unit<E>(self) -> Result<Probe, E> {
                    Ok(Probe)
                }
            }
            d.deserialize_any(V)
        }
    }
    #[derive(serde::Deserialize)]
    struct Events {
        #[serde(default, rename = "logEvents")]
        _log_events: Option<Vec<Probe>>,
    }
    match serde_json::from_str::<Events>(text) {
        Ok(_) => false,
        Err(e) => e.to_string().starts_with("positional log event"),
    }
}

