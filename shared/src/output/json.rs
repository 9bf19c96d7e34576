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
    value(out, v);
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

/// Whether a byte must be escaped in a JSON string.
#[inline]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = ONES * 0x80;

/// Nonzero if and only if one of the eight bytes of `x` needs an escape.
///
/// `(v - ONES * k) & !v & HIGH` is nonzero exactly when some byte of `v` is
/// below `k`, for `k <= 0x80`
/// (<https://graphics.stanford.edu/~seander/bithacks.html#HasLessInWord>:
/// a borrow can mark bytes above the first one found, never one alone).
/// `x ^ 0x02` maps the control characters onto themselves and `"` (0x22)
/// onto 0x20, and nothing else below 0x21, so one such test finds both;
/// `x ^ '\\'` maps a backslash to zero. The two share their `!v & HIGH`,
/// since the xors leave each byte's high bit as it was.
#[inline(always)]
fn dirty(x: u64) -> u64 {
    let control_or_quote = (x ^ (ONES * 0x02)).wrapping_sub(ONES * 0x21);
    let backslash = (x ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
    (control_or_quote | backslash) & !x & HIGH
}

/// A clean byte, to fill the unused bytes of a word built from a string
/// shorter than eight bytes.
const PAD: u64 = ONES * 0x41;
const QUOTE: u8 = b'"';

/// Appends the rest of the JSON string literal of `s` after its opening
/// quote: `s` escaped, and the closing quote.
///
/// Up to 16 bytes, the string is read as one or two (overlapping) words,
/// checked, and appended with its closing quote as one copy of 8 or 24
/// bytes (a constant length: no loop and no call to `memcpy`), the bytes
/// past the quote then cut off again. Longer strings go to [`value_long`].
#[inline]
fn value(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let n = bytes.len();
    let start = out.len();
    if let (Some(head), Some(tail)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        if n > 16 {
            return value_long(out, bytes);
        }
        let (head, tail) = (u64::from_le_bytes(*head), u64::from_le_bytes(*tail));
        if dirty(head) | dirty(tail) != 0 {
            return escaped_value(out, bytes);
        }
        // The two words overlap by 16 - n bytes, the same bytes in both, so
        // or-ing them together puts every byte in its place; the bytes
        // from `n` on are zero, and the quote goes to byte `n` (to the
        // last eight bytes when `n` is 16, its shift then being 128).
        let v = u128::from(head)
            | u128::from(tail) << (8 * (n - 8))
            | u128::from(QUOTE) << (8 * n - 8) << 8;
        let mut buf = [QUOTE; 24];
        buf[..16].copy_from_slice(&v.to_le_bytes());
        out.extend_from_slice(&buf);
        out.truncate(start + n + 1);
        return;
    }
    let v = if let (Some(head), Some(tail)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << (8 * (n - 4))
    } else {
        match *bytes {
            [] => 0,
            [a] => u64::from(a),
            [a, b] => u64::from(a) | u64::from(b) << 8,
            [a, b, c] => u64::from(a) | u64::from(b) << 8 | u64::from(c) << 16,
            _ => return escaped_value(out, bytes),
        }
    };
    // Bytes from `n` on are zero in `v`: checked as a clean byte instead.
    if dirty(v | PAD << (8 * n)) != 0 {
        return escaped_value(out, bytes);
    }
    out.extend_from_slice(&(v | u64::from(QUOTE) << (8 * n)).to_le_bytes());
    out.truncate(start + n + 1);
}

/// [`value`] for strings of more than 16 bytes: up to 32, four words (the
/// last two overlapping the first two) and two 16-byte copies; longer,
/// eight bytes at a time and one copy.
#[inline(never)]
fn value_long(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    if let (true, Some(head), Some(tail)) =
        (n <= 32, bytes.first_chunk::<16>(), bytes.last_chunk::<16>())
    {
        let (head, tail) = (u128::from_le_bytes(*head), u128::from_le_bytes(*tail));
        let dirty16 = |v: u128| dirty(v as u64) | dirty((v >> 64) as u64);
        if dirty16(head) | dirty16(tail) != 0 {
            return escaped_value(out, bytes);
        }
        let start = out.len();
        out.extend_from_slice(&head.to_le_bytes());
        out.truncate(start + n - 16);
        out.extend_from_slice(&tail.to_le_bytes());
    } else if is_clean(bytes) {
        out.extend_from_slice(bytes);
    } else {
        return escaped_value(out, bytes);
    }
    out.push(QUOTE);
}

/// Whether no byte of `bytes` needs an escape (any length; [`value`] has
/// its own checks for strings up to 32 bytes).
fn is_clean(bytes: &[u8]) -> bool {
    let word = |w: &[u8; 8]| u64::from_le_bytes(*w);
    let Some(tail) = bytes.last_chunk::<8>() else {
        return !bytes.iter().any(|&b| needs_escape(b));
    };
    let mut acc = dirty(word(tail));
    let mut rest = bytes;
    while let Some((w, r)) = rest.split_first_chunk::<8>() {
        acc |= dirty(word(w));
        rest = r;
    }
    acc == 0
}

/// Appends `s` as a JSON string literal, escaped as serde_json escapes.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(QUOTE);
    value(out, s);
}

/// [`value`] for a string with something to escape.
#[cold]
#[inline(never)]
fn escaped_value(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len());
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
    out.push(QUOTE);
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
                let Ok(d) = crate::decode::decode_record(data, |_| 1 << 24) else {
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
        for len in 0..80 {
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

    #[test]
    fn the_word_check_finds_exactly_the_bytes_that_need_an_escape() {
        // Every byte value at every place, on clean backgrounds below and
        // above it, and every pair of neighbouring bytes (a borrow from
        // one byte into the next must never hide or invent a finding).
        for background in [b'a', 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xff] {
            for pos in 0..8 {
                for b in 0..=255u8 {
                    let mut w = [background; 8];
                    w[pos] = b;
                    let found = dirty(u64::from_le_bytes(w)) != 0;
                    assert_eq!(found, needs_escape(b), "{background} {pos} {b}");
                }
            }
        }
        for pos in [0, 3, 6] {
            for a in 0..=255u8 {
                for b in 0..=255u8 {
                    let mut w = [b'a'; 8];
                    w[pos] = a;
                    w[pos + 1] = b;
                    let found = dirty(u64::from_le_bytes(w)) != 0;
                    assert_eq!(found, needs_escape(a) || needs_escape(b), "{pos} {a} {b}");
                }
            }
        }
    }

    #[test]
    fn strings_of_every_length_are_written_as_serde_writes_them() {
        // Each length through each path (short words, one or two words,
        // 16-byte chunks, the general loop), each escaped byte at each
        // place, after a prefix so that positions in `out` are not zero.
        let ours = |s: &str| {
            let mut out = b"prefix".to_vec();
            write_str(&mut out, s);
            String::from_utf8(out).unwrap()
        };
        for len in 0..80 {
            let clean = "é-x_Z9 ".chars().cycle().take(len).collect::<String>();
            assert_eq!(
                ours(&clean),
                format!("prefix{}", serde_json::to_string(&clean).unwrap())
            );
            for pos in 0..len {
                for bad in ['\0', '\u{1f}', '\n', '"', '\\', '\u{7f}', '😀'] {
                    let mut v: Vec<char> = vec!['a'; len];
                    v[pos] = bad;
                    let s: String = v.into_iter().collect();
                    assert_eq!(
                        ours(&s),
                        format!("prefix{}", serde_json::to_string(&s).unwrap())
                    );
                }
            }
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

    /// Strings of 0 to 70 bytes, mostly ASCII, with quotes, backslashes,
    /// control characters and multi-byte characters mixed in.
    fn tricky_string() -> impl Strategy<Value = String> {
        let c = prop_oneof![
            8 => proptest::char::range(' ', '~'),
            1 => proptest::char::range('\0', '\u{1f}'),
            1 => Just('"'),
            1 => Just('\\'),
            1 => prop_oneof![Just('\u{7f}'), Just('é'), Just('€'), Just('😀')],
        ];
        proptest::collection::vec(c, 0..70).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_string_is_written_as_serde_to_string_writes_it(
            s in tricky_string(),
            prefix in "[a-z]{0,9}",
        ) {
            let mut out = prefix.as_bytes().to_vec();
            write_str(&mut out, &s);
            prop_assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("{prefix}{}", serde_json::to_string(&s).unwrap())
            );
        }

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
