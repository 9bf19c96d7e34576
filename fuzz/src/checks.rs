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

    let cfg = &fuzz_configs()[data.len() % 4];
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
        let outcome = cognito_activity::batch::transform_record(&record, cfg, &mut stats);
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
                .map(|r| r.record_id.as_str())
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
            let bytes = match cognito_activity::batch::decode_response_data(r) {
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

fn check_outcome(outcome: &cognito_activity::batch::RecordOutcome, cfg: &cognito_activity::Config) {
    use cognito_activity::batch::RecordOutcome;
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

/// One configuration per output format, each with every partition key.
fn fuzz_configs() -> &'static [cognito_activity::Config; 4] {
    static CONFIGS: std::sync::OnceLock<[cognito_activity::Config; 4]> = std::sync::OnceLock::new();
    CONFIGS.get_or_init(|| {
        ["normalized", "ocsf", "ecs", "splunk"].map(|format| {
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
