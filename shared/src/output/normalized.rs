//! The `normalized` format written by hand: the same bytes as
//! `serde_json::to_writer(&Normalized)` (the derive in normalize.rs stays the
//! definition, and a test holds the two equal), at a fraction of the cost.
//! The normalized record is most of an invocation's output, so going through
//! serde's generic serializer for it was a fifth of the time per event
//! (docs/performance.md). Strings are escaped as serde_json escapes them
//! (RFC 8259 section 7: `"`, `\`, and control characters, with the short
//! forms `\b \f \n \r \t`), so the output is byte for byte the same.
//!
//! Most of the cost is per string (about 25 per record, mostly 5-40 bytes
//! needing no escape), so the work per string is kept small: a key is one
//! constant copy that carries the value's opening quote (`,"kind":"`); an
//! object's members are all written with their leading comma, the first
//! comma becoming the `{` when the object is closed ([`close`]); and a
//! string of up to 32 bytes is checked a word at a time, with no loop, and
//! copied with its closing quote in one or two copies of constant length,
//! with no call to `memcpy` ([`value`], [`dirty`]).

use crate::normalize::{Challenge, Feedback, Normalized, Risk, Transport};

/// Appends `n` as compact JSON, exactly as serde_json would.
pub fn write_normalized(n: &Normalized<'_>, out: &mut Vec<u8>) {
    field(out, "{\"schema_version\":\"", n.schema_version);
    field(out, ",\"kind\":\"", n.kind);
    stamp_field(out, b",\"time\":\"", n.time.as_ref());
    if let Some(ms) = n.time_ms {
        out.extend_from_slice(b",\"time_ms\":");
        out.extend_from_slice(itoa::Buffer::new().format(ms).as_bytes());
    }
    opt_field(out, ",\"event_source\":\"", n.event_source.as_deref());
    opt_field(out, ",\"log_level\":\"", n.log_level.as_deref());

    let e = &n.event;
    out.extend_from_slice(b",\"event\":");
    let start = out.len();
    opt_field(out, ",\"id\":\"", e.id.as_deref());
    opt_field(out, ",\"type\":\"", e.type_.as_deref());
    field(out, ",\"outcome\":\"", e.outcome.as_str());
    opt_field(out, ",\"response\":\"", e.response.as_deref());
    opt_field(out, ",\"request_id\":\"", e.request_id.as_deref());
    opt_field(out, ",\"version\":\"", e.version.as_deref());
    stamp_field(out, b",\"created_at\":\"", e.created_at.as_ref());
    close(out, start, *b"{}");

    if let Some(r) = &n.risk {
        out.extend_from_slice(b",\"risk\":");
        write_risk(out, r);
    }
    if !n.challenges.is_empty() {
        out.extend_from_slice(b",\"challenges\":");
        write_challenges(out, &n.challenges);
    }
    if let Some(u) = &n.user {
        out.extend_from_slice(b",\"user\":");
        let start = out.len();
        opt_field(out, ",\"sub\":\"", u.sub.as_deref());
        opt_field(out, ",\"name\":\"", u.name.as_deref());
        if u.name_hashed {
            out.extend_from_slice(b",\"name_hashed\":true");
        }
        opt_field(out, ",\"pool_id\":\"", u.pool_id.as_deref());
        opt_field(out, ",\"client_id\":\"", u.client_id.as_deref());
        opt_field(
            out,
            ",\"identity_provider\":\"",
            u.identity_provider.as_deref(),
        );
        opt_field(out, ",\"region\":\"", u.region.as_deref());
        close(out, start, *b"{}");
    }
    if let Some(s) = &n.source {
        out.extend_from_slice(b",\"source\":");
        let start = out.len();
        opt_field(out, ",\"ip\":\"", s.ip.as_deref());
        if let Some(v) = s.ip_version {
            out.extend_from_slice(b",\"ip_version\":");
            out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        }
        opt_field(out, ",\"ip_hash\":\"", s.ip_hash.as_deref());
        opt_field(out, ",\"city\":\"", s.city.as_deref());
        opt_field(out, ",\"country\":\"", s.country.as_deref());
        opt_field(out, ",\"country_code\":\"", s.country_code);
        opt_field(out, ",\"country_code3\":\"", s.country_code3);
        close(out, start, *b"{}");
    }
    if let Some(d) = &n.device {
        field(out, ",\"device\":{\"name\":\"", &d.name);
        opt_field(out, ",\"browser\":\"", d.browser.as_deref());
        opt_field(out, ",\"os\":\"", d.os.as_deref());
        out.push(b'}');
    }
    if let Some(fb) = &n.feedback {
        out.extend_from_slice(b",\"feedback\":");
        write_feedback(out, fb);
    }
    if let Some(nt) = &n.notification {
        out.extend_from_slice(b",\"notification\":");
        let start = out.len();
        opt_field(out, ",\"details\":\"", nt.details.as_deref());
        close(out, start, *b"{}");
    }
    let o = &n.origin;
    out.extend_from_slice(b",\"origin\":{\"transport\":");
    out.extend_from_slice(transport(o.transport));
    opt_field(out, ",\"account_id\":\"", o.account_id.as_deref());
    opt_field(out, ",\"log_group\":\"", o.log_group.as_deref());
    opt_field(out, ",\"log_stream\":\"", o.log_stream.as_deref());
    opt_field(out, ",\"log_event_id\":\"", o.log_event_id.as_deref());
    out.push(b'}');
    if !n.unmapped.0.is_empty() {
        // Rare, and of any shape: serde's own serializer.
        out.extend_from_slice(b",\"unmapped\":");
        super::write_json(&n.unmapped, out);
    }
    out.push(b'}');
}

/// A [`Transport`] as its JSON string.
pub(crate) fn transport(t: Transport) -> &'static [u8] {
    match t {
        Transport::Direct => b"\"direct\"",
        Transport::CloudwatchLogs => b"\"cloudwatch_logs\"",
    }
}

/// A [`Risk`] object, as its derive writes it.
pub(crate) fn write_risk(out: &mut Vec<u8>, r: &Risk<'_>) {
    let start = out.len();
    opt_field(out, ",\"decision\":\"", r.decision.as_deref());
    opt_field(out, ",\"level\":\"", r.level.as_deref());
    match r.compromised_credentials {
        Some(true) => out.extend_from_slice(b",\"compromised_credentials\":true"),
        Some(false) => out.extend_from_slice(b",\"compromised_credentials\":false"),
        None => {}
    }
    match r.has_context_data {
        Some(true) => out.extend_from_slice(b",\"has_context_data\":true"),
        Some(false) => out.extend_from_slice(b",\"has_context_data\":false"),
        None => {}
    }
    close(out, start, *b"{}");
}

/// A list of [`Challenge`]s, as their derive writes them.
pub(crate) fn write_challenges(out: &mut Vec<u8>, challenges: &[Challenge<'_>]) {
    let start = out.len();
    for c in challenges {
        field(out, ",{\"name\":\"", &c.name);
        opt_field(out, ",\"result\":\"", c.result.as_deref());
        out.push(b'}');
    }
    close(out, start, *b"[]");
}

/// A [`Feedback`] object, as its derive writes it.
pub(crate) fn write_feedback(out: &mut Vec<u8>, fb: &Feedback<'_>) {
    let start = out.len();
    opt_field(out, ",\"value\":\"", fb.value.as_deref());
    opt_field(out, ",\"date\":\"", fb.date.as_deref());
    opt_field(out, ",\"provider\":\"", fb.provider.as_deref());
    close(out, start, *b"{}");
}

/// Ends an object or array whose members were written from `start` on,
/// each with a leading comma: the first comma becomes the opening bracket,
/// or, with no members, the brackets are written empty.
#[inline]
fn close(out: &mut Vec<u8>, start: usize, [open, end]: [u8; 2]) {
    match out.get_mut(start) {
        Some(first_comma) => {
            *first_comma = open;
            out.push(end);
        }
        None => out.extend_from_slice(&[open, end]),
    }
}

/// `key_quote` (a key with its leading comma and the value's opening quote,
/// `",\"name\":\""`) and the string `v` with its closing quote.
#[inline]
fn field(out: &mut Vec<u8>, key_quote: &str, v: &str) {
    out.extend_from_slice(key_quote.as_bytes());
    rest_of_str(out, v);
}

/// A timestamp field, if present: its bytes need no escape (digits and
/// punctuation), so they are copied as they are.
fn stamp_field(out: &mut Vec<u8>, key_quote: &[u8], v: Option<&crate::time::Stamp>) {
    if let Some(v) = v {
        out.extend_from_slice(key_quote);
        out.extend_from_slice(v.as_bytes());
        out.push(b'"');
    }
}

/// [`field`], if `v` is present.
#[inline]
fn opt_field(out: &mut Vec<u8>, key_quote: &str, v: Option<&str>) {
    if let Some(v) = v {
        field(out, key_quote, v);
    }
}

/// `key` (written with its leading comma) and the string `v`, if present.
pub(crate) fn opt(out: &mut Vec<u8>, key: &str, v: Option<&str>) {
    if let Some(v) = v {
        out.extend_from_slice(key.as_bytes());
        write_str(out, v);
    }
}

/// The members of one object, with commas between them. Keys are given as
/// `",\"name\":"`; the first member's is written without its comma.
pub(crate) struct Fields<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> Fields<'o> {
    pub(crate) fn new(out: &'o mut Vec<u8>) -> Self {
        Fields { out, first: true }
    }
    #[inline]
    fn key(&mut self, key: &str) {
        debug_assert!(key.starts_with(','), "{key}");
        // The comma as its own byte, so that the key is always the same
        // constant (a copy of a known length, with no call to `memcpy`).
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        let k = key.as_bytes();
        self.out.extend_from_slice(k.get(1..).unwrap_or(k));
    }
    pub(crate) fn str(&mut self, key: &str, v: &str) {
        self.key(key);
        write_str(self.out, v);
    }
    pub(crate) fn opt(&mut self, key: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.str(key, v);
        }
    }
    /// A value written as it is (a number, a boolean, a nested object).
    pub(crate) fn raw(&mut self, key: &str, v: &str) {
        self.key(key);
        self.out.extend_from_slice(v.as_bytes());
    }
    /// The key alone, for a value the caller writes next.
    pub(crate) fn open(&mut self, key: &str) -> &mut Vec<u8> {
        self.key(key);
        self.out
    }
}

use crate::json::escape::rest_of_str;
/// The one JSON string writer, used here, in every format and in the
/// Firehose response.
pub(crate) use crate::json::escape::write_str;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cognito::parse_documents;
    use crate::config::{Config, IpMode, UserNameMode};
    use crate::normalize::{normalize, Context};
    use proptest::prelude::*;

    fn both(json: &str, ctx: &Context<'_>, cfg: &Config) -> (String, String) {
        let docs = parse_documents(json).unwrap();
        let n = normalize(&docs[0], ctx, cfg).unwrap();
        let mut ours = Vec::new();
        write_normalized(&n, &mut ours);
        let theirs = serde_json::to_string(&n).unwrap();
        (String::from_utf8(ours).unwrap(), theirs)
    }

    /// The text of every Cognito record in the sample events (each log
    /// event of a CloudWatch Logs envelope on its own).
    pub(crate) fn sample_texts() -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../events");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|x| x != "json") {
                continue; // events/security-lake/ holds the writer's S3 events
            }
            let event = std::fs::read(path).unwrap();
            let event = crate::firehose::FirehoseEvent::parse(&event).unwrap();
            let mut scratch = Vec::new();
            for r in &event.records {
                let Some(data) = r.data.as_deref() else {
                    continue;
                };
                let Ok(d) = crate::decode::decode_record(data, &mut scratch, |_| 1 << 24) else {
                    continue;
                };
                let Ok(text) = String::from_utf8(d.bytes.into_owned()) else {
                    continue;
                };
                match crate::envelope::parse_envelope(&text, d.was_gzip) {
                    Ok(Some(env)) => out.extend(
                        env.log_events
                            .iter()
                            .map(|e| e.message().unwrap().to_string()),
                    ),
                    _ => out.push(text.clone()),
                }
            }
        }
        out
    }

    /// Every normalized record of the sample events, under each of
    /// [`configs`], in both transports, handed to `f`.
    pub(crate) fn for_each_sample(mut f: impl FnMut(&Normalized<'_>, &Config)) -> usize {
        let mut seen = 0;
        for t in sample_texts() {
            let Ok(docs) = parse_documents(&t) else {
                continue;
            };
            for doc in docs {
                let cwl = Context {
                    transport: Some(Transport::CloudwatchLogs),
                    account_id: Some("123456789012".into()),
                    log_group: Some("g\"roup".into()),
                    log_stream: Some("stream".into()),
                    log_event_id: Some("1".into()),
                    ..Context::default()
                };
                let direct = Context {
                    transport: Some(Transport::Direct),
                    account_id: Some("123456789012".into()),
                    arrival_time_ms: Some(1_700_000_000_000),
                    ..Context::default()
                };
                for ctx in [&cwl, &direct, &Context::default()] {
                    for cfg in configs() {
                        let Ok(n) = normalize(&doc, ctx, &cfg) else {
                            continue;
                        };
                        f(&n, &cfg);
                        seen += 1;
                    }
                }
            }
        }
        seen
    }

    #[test]
    fn writes_the_same_bytes_as_serde_for_every_sample_record() {
        let seen = for_each_sample(|n, _| {
            let mut ours = Vec::new();
            write_normalized(n, &mut ours);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(n).unwrap()
            );
        });
        assert!(seen > 20, "only {seen} records compared");
    }

    pub(crate) fn configs() -> Vec<Config> {
        let hashed = Config {
            ip_mode: IpMode::Hash,
            user_name_mode: UserNameMode::Hash,
            ..Config::default()
        };
        let truncated = Config {
            ip_mode: IpMode::Truncate,
            ..Config::default()
        };
        vec![Config::default(), hashed, truncated]
    }

    #[test]
    fn escapes_control_characters_quotes_and_backslashes_as_serde_does() {
        let json = r#"{"eventSource":"USER_AUTH_EVENTS","message":{"eventType":"Sign\"In\\\b\f\n\r\t\u0001\u001f\u007f é 😀","userName":"a\u0000b","extra":[1,2.5,-3,true,null,{"k":"v"}],"riskLevel":"  high "},"logSourceId":{"userPoolId":"us-east-1_x","other":1}}"#;
        for cfg in configs() {
            let (ours, theirs) = both(json, &Context::default(), &cfg);
            assert_eq!(ours, theirs);
            assert!(ours.contains(r#"\"In\\\b\f\n\r\t\u0001\u001f"#), "{ours}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]


        #[test]
        fn any_string_value_is_written_as_serde_writes_it(
            s in "\\PC*|[\\x00-\\x7f]{0,40}",
            key in "[a-zA-Z]{1,12}",
        ) {
            let rec = serde_json::json!({
                "eventSource": "USER_AUTH_EVENTS",
                "eventTimestamp": "1723070073369",
                "message": {"eventType": &s, "userName": &s, "city": &s, "country": &s,
                    "deviceName": &s, "challenges": &s, "ipAddress": &s, &key: &s},
            });
            let (ours, theirs) = both(&rec.to_string(), &Context::default(), &Config::default());
            prop_assert_eq!(ours, theirs);
        }
    }
}
