//! What the SIEM destinations receive, checked as they would check it:
//! - a local Splunk HTTP Event Collector (event endpoint) on loopback that
//!   enforces HEC's documented event rules, fed with our `splunk` output for
//!   every sample event, batched as Firehose sends it;
//! - an HTTP endpoint in Firehose's request format (`requestId`, `timestamp`,
//!   `records[].data`, gzip), for every sample event and every format;
//! - every ECS document of every sample, in every privacy mode, against the
//!   OpenSearch/Elasticsearch index template in `siem/opensearch/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use base64::Engine;
use cognito_activity::config::{Config, OutputFormat};
use cognito_activity::process_event;
use e2e::workspace;
use serde_json::{json, Value};

const KEY: &str = "0123456789abcdef0123456789abcdef";
const TOKEN: &str = "00000000-1111-2222-3333-444444444444";

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn config(pairs: &[(&str, &str)]) -> Config {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|name| map.get(name).cloned()).unwrap()
}

/// The privacy modes a deployment can run in.
fn modes() -> Vec<Vec<(&'static str, &'static str)>> {
    vec![
        vec![],
        vec![("IP_MODE", "truncate")],
        vec![
            ("IP_MODE", "hash"),
            ("USER_NAME_MODE", "hash"),
            ("HASH_KEY", KEY),
        ],
    ]
}

fn sample_events() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(workspace().join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(out.len() >= 10);
    out
}

/// The data of every `Ok` record of the response: what Firehose delivers.
fn delivered(event: &[u8], cfg: &Config) -> Vec<Vec<u8>> {
    let response: Value =
        serde_json::from_slice(&process_event(event, cfg).unwrap().to_json()).unwrap();
    response["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["result"] == "Ok")
        .map(|r| b64().decode(r["data"].as_str().unwrap()).unwrap())
        .collect()
}

// ---------------------------------------------------------------------------
// A loopback HTTP server: one request per connection, Content-Length bodies.
// ---------------------------------------------------------------------------

struct Request {
    path: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// Serves `answer` on 127.0.0.1; returns the address.
fn serve(answer: impl Fn(&Request) -> (u16, Value) + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { break };
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                let mut headers = BTreeMap::new();
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    let (k, v) = h.split_once(':').unwrap();
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
                let len: usize = headers
                    .get("content-length")
                    .map_or(0, |v| v.parse().unwrap());
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let (status, reply) = answer(&Request {
                    path,
                    headers,
                    body,
                });
                let reply = reply.to_string();
                let mut conn = conn;
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            });
        }
    });
    addr
}

fn post(addr: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Value) {
    let mut conn = TcpStream::connect(addr).unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes()).unwrap();
    conn.write_all(body).unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    let status: u16 = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

// ---------------------------------------------------------------------------
// Splunk HEC, event endpoint
// ---------------------------------------------------------------------------

/// HEC's rules for one event of the event endpoint
/// (<https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector>):
/// a JSON object; `event` present and not empty; `time` epoch seconds (a
/// number, or a string holding one); `host`, `source`, `sourcetype`, `index`
/// strings; `fields` an object of strings, numbers or arrays of them; no other keys.
fn hec_event_error(event: &Value) -> Option<String> {
    let Some(object) = event.as_object() else {
        return Some("not a JSON object".into());
    };
    match object.get("event") {
        None => return Some("Event field is required".into()),
        Some(Value::Null) => return Some("Event field cannot be blank".into()),
        Some(Value::String(s)) if s.is_empty() => {
            return Some("Event field cannot be blank".into())
        }
        Some(_) => {}
    }
    for (key, value) in object {
        let ok = match key.as_str() {
            "event" => true,
            "time" => match value {
                Value::Number(n) => n.as_f64().is_some_and(|t| t > 0.0),
                Value::String(s) => s.parse::<f64>().is_ok_and(|t| t > 0.0),
                _ => false,
            },
            "host" | "source" | "sourcetype" | "index" => value.is_string(),
            "fields" => value.as_object().is_some_and(|f| {
                f.values().all(|v| match v {
                    Value::String(_) | Value::Number(_) => true,
                    Value::Array(items) => items.iter().all(|i| i.is_string() || i.is_number()),
                    _ => false,
                })
            }),
            _ => false,
        };
        if !ok {
            return Some(format!("Invalid data format in field {key}"));
        }
    }
    None
}

/// A HEC event endpoint: a body of concatenated JSON events, the token in
/// `Authorization: Splunk <token>`. Accepted events are kept.
fn hec() -> (String, Arc<Mutex<Vec<Value>>>) {
    let accepted: Arc<Mutex<Vec<Value>>> = Arc::default();
    let kept = accepted.clone();
    let addr = serve(move |req| {
        if req.path != "/services/collector/event" {
            return (
                404,
                json!({"text": "The requested URL was not found", "code": 404}),
            );
        }
        if req.headers.get("authorization").map(String::as_str) != Some(&format!("Splunk {TOKEN}"))
        {
            return (401, json!({"text": "Token is required", "code": 2}));
        }
        let mut events = Vec::new();
        for (n, item) in serde_json::Deserializer::from_slice(&req.body)
            .into_iter::<Value>()
            .enumerate()
        {
            let Ok(event) = item else {
                return (
                    400,
                    json!({"text": "Invalid data format", "code": 6, "invalid-event-number": n}),
                );
            };
            if let Some(error) = hec_event_error(&event) {
                return (
                    400,
                    json!({"text": error, "code": 6, "invalid-event-number": n}),
                );
            }
            events.push(event);
        }
        if events.is_empty() {
            return (400, json!({"text": "No data", "code": 5}));
        }
        kept.lock().unwrap().extend(events);
        (200, json!({"text": "Success", "code": 0}))
    });
    (addr, accepted)
}

#[test]
fn splunk_hec_accepts_every_event_of_every_sample_as_firehose_batches_them() {
    let (addr, accepted) = hec();
    let mut sent = 0;
    for mode in modes() {
        let mut pairs = mode.clone();
        pairs.push(("OUTPUT_FORMAT", "splunk"));
        let cfg = config(&pairs);
        for (name, event) in sample_events() {
            let records = delivered(&event, &cfg);
            if records.is_empty() {
                continue;
            }
            // Firehose concatenates the records of a batch into one request body.
            let body: Vec<u8> = records.concat();
            sent += records
                .iter()
                .map(|r| {
                    serde_json::Deserializer::from_slice(r)
                        .into_iter::<Value>()
                        .count()
                })
                .sum::<usize>();
            let (status, reply) = post(
                &addr,
                "/services/collector/event",
                &[("Authorization", &format!("Splunk {TOKEN}"))],
                &body,
            );
            assert_eq!(
                (status, reply["code"].clone()),
                (200, json!(0)),
                "{name} {mode:?}: {reply}"
            );
        }
    }
    let accepted = accepted.lock().unwrap();
    assert_eq!(accepted.len(), sent);
    assert!(sent > 30, "only {sent} events sent");
    for event in accepted.iter() {
        assert_eq!(event["sourcetype"], "aws:cognito:userauth");
        assert!(event["source"].as_str().unwrap().starts_with("cognito:"));
        // The Cognito event's own time, in epoch seconds, equal to the record's.
        let ms = event["event"]["time_ms"].as_f64().unwrap();
        assert_eq!(event["time"].as_f64().unwrap(), ms / 1000.0);
    }
}

#[test]
fn the_local_hec_refuses_what_splunk_refuses() {
    let (addr, accepted) = hec();
    let auth = format!("Splunk {TOKEN}");
    for bad in [
        r#"{"time":1732400000,"sourcetype":"x"}"#,
        r#"{"event":{"a":1},"time":"yesterday"}"#,
        r#"{"event":{"a":1},"fields":{"nested":{"no":1}}}"#,
        r#"{"event":""}"#,
        r#"["event"]"#,
        r#"{"event":{"a":1}} {"event""#,
    ] {
        let (status, reply) = post(
            &addr,
            "/services/collector/event",
            &[("Authorization", &auth)],
            bad.as_bytes(),
        );
        assert_eq!(status, 400, "{bad}: {reply}");
    }
    let (status, _) = post(&addr, "/services/collector/event", &[], br#"{"event":"x"}"#);
    assert_eq!(status, 401);
    assert!(accepted.lock().unwrap().is_empty());
}

// ---------------------------------------------------------------------------
// HTTP endpoint destination
// ---------------------------------------------------------------------------

/// An HTTP endpoint as Firehose's HTTP endpoint delivery specification asks
/// (<https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html>):
/// a gzip JSON body `{requestId, timestamp, records: [{data}]}`, the request id
/// also in `X-Amz-Firehose-Request-Id`, the key in `X-Amz-Firehose-Access-Key`;
/// answers `{requestId, timestamp}`. Keeps the decoded records.
fn http_endpoint() -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let received: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let kept = received.clone();
    let addr = serve(move |req| {
        if req
            .headers
            .get("x-amz-firehose-access-key")
            .map(String::as_str)
            != Some("the-key")
        {
            return (401, json!({"errorMessage": "bad access key"}));
        }
        if req.headers.get("content-encoding").map(String::as_str) != Some("gzip") {
            return (400, json!({"errorMessage": "the stream sends gzip"}));
        }
        let text = cognito_activity::decode::gunzip_capped(&req.body, 64 << 20).unwrap();
        let body: Value = serde_json::from_slice(&text).unwrap();
        let id = body["requestId"].as_str().unwrap().to_string();
        assert_eq!(req.headers["x-amz-firehose-request-id"], id);
        assert!(body["timestamp"].as_u64().unwrap() > 0);
        for record in body["records"].as_array().unwrap() {
            kept.lock()
                .unwrap()
                .push(b64().decode(record["data"].as_str().unwrap()).unwrap());
        }
        (200, json!({"requestId": id, "timestamp": 1732400000000u64}))
    });
    (addr, received)
}

#[test]
fn an_http_endpoint_receives_every_record_of_every_sample_in_every_format() {
    let (addr, received) = http_endpoint();
    for format in OutputFormat::NAMES {
        let cfg = config(&[("OUTPUT_FORMAT", format)]);
        for (n, (name, event)) in sample_events().into_iter().enumerate() {
            let records = delivered(&event, &cfg);
            if records.is_empty() {
                continue;
            }
            let id = format!("req-{format}-{n}");
            let body = json!({
                "requestId": id,
                "timestamp": 1732400000000u64,
                "records": records.iter().map(|r| json!({"data": b64().encode(r)})).collect::<Vec<_>>(),
            });
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(body.to_string().as_bytes()).unwrap();
            let (status, reply) = post(
                &addr,
                "/",
                &[
                    ("Content-Type", "application/json"),
                    ("Content-Encoding", "gzip"),
                    ("X-Amz-Firehose-Request-Id", &id),
                    ("X-Amz-Firehose-Access-Key", "the-key"),
                ],
                &gz.finish().unwrap(),
            );
            assert_eq!(status, 200, "{format} {name}: {reply}");
            assert_eq!(reply["requestId"], id.as_str());
            let got = received.lock().unwrap().split_off(0);
            assert_eq!(
                got, records,
                "{format} {name}: the records arrive as the transformer wrote them"
            );
            for record in got {
                for line in record.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                    let value: Value = serde_json::from_slice(line).unwrap();
                    assert!(
                        value.is_object(),
                        "{format} {name}: one JSON object per line"
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// OpenSearch / Elasticsearch index template
// ---------------------------------------------------------------------------

fn mapping() -> BTreeMap<String, Value> {
    let text =
        std::fs::read_to_string(workspace().join("siem/opensearch/index-template.json")).unwrap();
    let template: Value = serde_json::from_str(&text).unwrap();
    let mut out = BTreeMap::new();
    fn walk(props: &Value, prefix: &str, out: &mut BTreeMap<String, Value>) {
        for (k, v) in props.as_object().unwrap() {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v.get("properties") {
                Some(inner) => walk(inner, &path, out),
                None => {
                    out.insert(path, v.clone());
                }
            }
        }
    }
    walk(
        &template["template"]["mappings"]["properties"],
        "",
        &mut out,
    );
    out
}

/// Does a JSON leaf value index under this mapping type?
fn fits(kind: &str, value: &Value) -> bool {
    match (kind, value) {
        ("keyword" | "text", Value::String(_)) => true,
        ("ip", Value::String(s)) => s.parse::<IpAddr>().is_ok(),
        ("date", Value::String(s)) => {
            // strict_date_optional_time: 2024-11-23T22:13:20.000Z
            let b = s.as_bytes();
            s.len() >= 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && s.ends_with('Z')
        }
        ("long", Value::Number(n)) => n.is_i64() || n.is_u64(),
        ("float" | "double" | "scaled_float", Value::Number(_)) => true,
        ("boolean", Value::Bool(_)) => true,
        _ => false,
    }
}

fn check_document(doc: &Value, path: &str, map: &BTreeMap<String, Value>, what: &str) {
    match doc {
        Value::Object(fields) => {
            if let Some(m) = map.get(path) {
                assert_eq!(
                    m["enabled"],
                    json!(false),
                    "{what}: {path} is an object mapped as a leaf"
                );
                return; // kept in _source, not indexed
            }
            for (k, v) in fields {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                check_document(v, &p, map, what);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| check_document(v, path, map, what)),
        Value::Null => {}
        leaf => {
            let m = map
                .get(path)
                .unwrap_or_else(|| panic!("{what}: {path} is not in the index template"));
            let kind = m["type"].as_str().unwrap();
            assert!(
                fits(kind, leaf),
                "{what}: {path}={leaf} does not index as {kind}"
            );
        }
    }
}

#[test]
fn every_ecs_document_of_every_sample_in_every_privacy_mode_fits_the_index_template() {
    let map = mapping();
    let mut checked = 0;
    for mode in modes() {
        let mut pairs = mode.clone();
        pairs.push(("OUTPUT_FORMAT", "ecs"));
        let cfg = config(&pairs);
        for (name, event) in sample_events() {
            for record in delivered(&event, &cfg) {
                for line in record.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                    let doc: Value = serde_json::from_slice(line).unwrap();
                    check_document(&doc, "", &map, &format!("{name} {mode:?}"));
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 60, "only {checked} documents");
}

#[test]
fn the_index_template_types_ecs_fields_as_ecs_does() {
    let text =
        std::fs::read_to_string(workspace().join("shared/tests/data/ecs/ecs_fields.json")).unwrap();
    let ecs: Value = serde_json::from_str(&text).unwrap();
    let map = mapping();
    let mut ecs_fields = 0;
    for (path, m) in &map {
        if path.starts_with("cognito.") {
            continue;
        }
        let want = ecs[path]["type"]
            .as_str()
            .unwrap_or_else(|| panic!("{path} is outside ECS and outside cognito.*"));
        // OpenSearch has no match_only_text; text indexes the same values.
        let want = if want == "match_only_text" {
            "text"
        } else {
            want
        };
        assert_eq!(m["type"], want, "{path}");
        ecs_fields += 1;
    }
    assert!(ecs_fields > 30);
    let template: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("siem/opensearch/index-template.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(template["template"]["mappings"]["dynamic"], json!(false));
}

#[test]
fn the_mapping_check_catches_a_mistyped_field() {
    let map = mapping();
    let doc = json!({"source": {"ip": "not-an-address"}});
    let caught = std::panic::catch_unwind(|| check_document(&doc, "", &map, "probe"));
    assert!(caught.is_err());
    let doc = json!({"brand_new_field": "x"});
    let caught = std::panic::catch_unwind(|| check_document(&doc, "", &map, "probe"));
    assert!(caught.is_err());
}
