//! The `normalized` format written by hand: the same bytes as
//! `serde_json::to_writer(&Normalized)` (the derive in normalize.rs stays the
//! definition, and a test holds the two equal), at a fraction of the cost.
//! The normalized record is most of an invocation's output, so going through
//! serde's generic serializer for it was a fifth of the time per event
//! (docs/performance.md). Strings are escaped as serde_json escapes them
//! (RFC 8259 section 7: `"`, `\`, and control characters, with the short
//! forms `\b \f \n \r \t`), so the output is byte for byte the same.

use crate::normalize::{Challenge, Feedback, Normalized, Risk, Transport};

/// Appends `n` as compact JSON, exactly as serde_json would.
pub fn write_normalized(n: &Normalized<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"schema_version\":");
    write_str(out, n.schema_version);
    out.extend_from_slice(b",\"kind\":");
    write_str(out, n.kind);
    if let Some(t) = &n.time {
        out.extend_from_slice(b",\"time\":");
        write_str(out, t);
    }
    if let Some(ms) = n.time_ms {
        out.extend_from_slice(b",\"time_ms\":");
        out.extend_from_slice(itoa::Buffer::new().format(ms).as_bytes());
    }
    opt(out, ",\"event_source\":", n.event_source.as_deref());
    opt(out, ",\"log_level\":", n.log_level.as_deref());

    let e = &n.event;
    out.extend_from_slice(b",\"event\":{");
    let mut f = Fields::new(out);
    f.opt(",\"id\":", e.id.as_deref());
    f.opt(",\"type\":", e.type_.as_deref());
    f.str(",\"outcome\":", e.outcome.as_str());
    f.opt(",\"response\":", e.response.as_deref());
    f.opt(",\"request_id\":", e.request_id.as_deref());
    f.opt(",\"version\":", e.version.as_deref());
    f.opt(",\"created_at\":", e.created_at.as_deref());
    out.push(b'}');

    if let Some(r) = &n.risk {
        out.extend_from_slice(b",\"risk\":");
        write_risk(out, r);
    }
    if !n.challenges.is_empty() {
        out.extend_from_slice(b",\"challenges\":");
        write_challenges(out, &n.challenges);
    }
    if let Some(u) = &n.user {
        out.extend_from_slice(b",\"user\":{");
        let mut f = Fields::new(out);
        f.opt(",\"sub\":", u.sub.as_deref());
        f.opt(",\"name\":", u.name.as_deref());
        if u.name_hashed {
            f.raw(",\"name_hashed\":", "true");
        }
        f.opt(",\"pool_id\":", u.pool_id.as_deref());
        f.opt(",\"client_id\":", u.client_id.as_deref());
        f.opt(",\"identity_provider\":", u.identity_provider.as_deref());
        f.opt(",\"region\":", u.region.as_deref());
        out.push(b'}');
    }
    if let Some(s) = &n.source {
        out.extend_from_slice(b",\"source\":{");
        let mut f = Fields::new(out);
        f.opt(",\"ip\":", s.ip.as_deref());
        if let Some(v) = s.ip_version {
            f.raw(",\"ip_version\":", itoa::Buffer::new().format(v));
        }
        f.opt(",\"ip_hash\":", s.ip_hash.as_deref());
        f.opt(",\"city\":", s.city.as_deref());
        f.opt(",\"country\":", s.country.as_deref());
        f.opt(",\"country_code\":", s.country_code);
        f.opt(",\"country_code3\":", s.country_code3);
        out.push(b'}');
    }
    if let Some(d) = &n.device {
        out.extend_from_slice(b",\"device\":{\"name\":");
        write_str(out, &d.name);
        opt(out, ",\"browser\":", d.browser.as_deref());
        opt(out, ",\"os\":", d.os.as_deref());
        out.push(b'}');
    }
    if let Some(fb) = &n.feedback {
        out.extend_from_slice(b",\"feedback\":");
        write_feedback(out, fb);
    }
    if let Some(nt) = &n.notification {
        out.extend_from_slice(b",\"notification\":{");
        let mut f = Fields::new(out);
        f.opt(",\"details\":", nt.details.as_deref());
        out.push(b'}');
    }
    let o = &n.origin;
    out.extend_from_slice(b",\"origin\":{\"transport\":");
    out.extend_from_slice(transport(o.transport));
    opt(out, ",\"account_id\":", o.account_id.as_deref());
    opt(out, ",\"log_group\":", o.log_group.as_deref());
    opt(out, ",\"log_stream\":", o.log_stream.as_deref());
    opt(out, ",\"log_event_id\":", o.log_event_id.as_deref());
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
    out.push(b'{');
    let mut f = Fields::new(out);
    f.opt(",\"decision\":", r.decision.as_deref());
    f.opt(",\"level\":", r.level.as_deref());
    if let Some(b) = r.compromised_credentials {
        f.raw(
            ",\"compromised_credentials\":",
            if b { "true" } else { "false" },
        );
    }
    out.push(b'}');
}

/// A list of [`Challenge`]s, as their derive writes them.
pub(crate) fn write_challenges(out: &mut Vec<u8>, challenges: &[Challenge<'_>]) {
    out.push(b'[');
    for (i, c) in challenges.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"name\":");
        write_str(out, &c.name);
        opt(out, ",\"result\":", c.result.as_deref());
        out.push(b'}');
    }
    out.push(b']');
}

/// A [`Feedback`] object, as its derive writes it.
pub(crate) fn write_feedback(out: &mut Vec<u8>, fb: &Feedback<'_>) {
    out.push(b'{');
    let mut f = Fields::new(out);
    f.opt(",\"value\":", fb.value.as_deref());
    f.opt(",\"date\":", fb.date.as_deref());
    f.opt(",\"provider\":", fb.provider.as_deref());
    out.push(b'}');
}

/// `key` (written with its leading comma) and the string `v`, if present.
pub(crate) fn opt(out: &mut Vec<u8>, key: &str, v: Option<&str>) {
    if let Some(v) = v {
        out.extend_from_slice(key.as_bytes());
        write_str(out, v);
    }
}

/// The members of one object, with commas between them. Keys are given as
/// `",\"name\":"`, their leading comma dropped for the first member, so
/// each key is one copy.
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
        let k = key.as_bytes();
        let k = if self.first {
            k.get(1..).unwrap_or(k)
        } else {
            k
        };
        self.first = false;
        self.out.extend_from_slice(k);
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

/// Whether a byte must be escaped in a JSON string.
#[inline]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Whether no byte of `bytes` needs an escape: eight bytes at a time with
/// the exact bit tricks of
/// <https://graphics.stanford.edu/~seander/bithacks.html#HasLessInWord>,
/// the tail as one more (overlapping) word, short strings byte by byte.
#[inline]
fn is_clean(bytes: &[u8]) -> bool {
    #[inline]
    fn word_is_clean(chunk: &[u8]) -> bool {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let quote = has_zero(x ^ (ONES * u64::from(b'"')));
        let backslash = has_zero(x ^ (ONES * u64::from(b'\\')));
        below_space | quote | backslash == 0
    }
    let n = bytes.len();
    if n < 8 {
        return !bytes.iter().any(|&b| needs_escape(b));
    }
    let mut chunks = bytes.chunks_exact(8);
    if !chunks.all(word_is_clean) {
        return false;
    }
    n % 8 == 0 || bytes.get(n - 8..).is_some_and(word_is_clean)
}

/// Appends `s` as a JSON string literal, escaped as serde_json escapes.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // Fast path: most values need no escape at all.
    if is_clean(bytes) {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    } else {
        write_escaped(out, bytes);
    }
}

#[cold]
#[inline(never)]
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

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
            let event = std::fs::read(entry.unwrap().path()).unwrap();
            let event = crate::firehose::FirehoseEvent::parse(&event).unwrap();
            for r in &event.records {
                let Some(data) = r.data.as_deref() else {
                    continue;
                };
                let Ok(d) = crate::decode::decode_record(data, 1 << 24) else {
                    continue;
                };
                let Ok(text) = String::from_utf8(d.bytes) else {
                    continue;
                };
                match crate::batch::parse_envelope(&text, d.was_gzip) {
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

    #[test]
    fn the_clean_string_check_agrees_with_a_byte_by_byte_one() {
        for len in 0..40 {
            for pos in 0..len {
                for bad in [0u8, 0x1f, b'"', b'\\'] {
                    let mut v = vec![b'a'; len];
                    v[pos] = bad;
                    assert!(!is_clean(&v), "{len} {pos} {bad}");
                }
                let mut v = vec![b'a'; len];
                v[pos] = 0x7f;
                assert!(is_clean(&v));
            }
            assert!(is_clean(&vec![0xffu8; len]));
        }
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
