//! The `normalized` format written by hand: the same bytes as
//! `serde_json::to_writer(&Normalized)` (the derive in normalize.rs stays the
//! definition, and a test holds the two equal), at a fraction of the cost.
//! The normalized record is most of an invocation's output, so going through
//! serde's generic serializer for it was a fifth of the time per event
//! (docs/performance.md). Strings are escaped as serde_json escapes them
//! (RFC 8259 section 7: `"`, `\`, and control characters, with the short
//! forms `\b \f \n \r \t`), so the output is byte for byte the same.

use std::borrow::Cow;

use crate::normalize::{Normalized, Transport};

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
    opt(out, ",\"event_source\":", n.event_source.as_ref());
    opt(out, ",\"log_level\":", n.log_level.as_ref());

    let e = &n.event;
    out.extend_from_slice(b",\"event\":{");
    let mut f = Fields::new(out);
    f.cow("id", e.id.as_ref());
    f.cow("type", e.type_.as_ref());
    f.str("outcome", e.outcome.as_str());
    f.cow("response", e.response.as_ref());
    f.cow("request_id", e.request_id.as_ref());
    f.cow("version", e.version.as_ref());
    if let Some(c) = &e.created_at {
        f.str("created_at", c);
    }
    out.push(b'}');

    if let Some(r) = &n.risk {
        out.extend_from_slice(b",\"risk\":{");
        let mut f = Fields::new(out);
        f.cow("decision", r.decision.as_ref());
        f.cow("level", r.level.as_ref());
        if let Some(b) = r.compromised_credentials {
            f.raw("compromised_credentials", if b { "true" } else { "false" });
        }
        out.push(b'}');
    }
    if !n.challenges.is_empty() {
        out.extend_from_slice(b",\"challenges\":[");
        for (i, c) in n.challenges.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"name\":");
            write_str(out, &c.name);
            opt(out, ",\"result\":", c.result.as_ref());
            out.push(b'}');
        }
        out.push(b']');
    }
    if let Some(u) = &n.user {
        out.extend_from_slice(b",\"user\":{");
        let mut f = Fields::new(out);
        f.cow("sub", u.sub.as_ref());
        f.cow("name", u.name.as_ref());
        if u.name_hashed {
            f.raw("name_hashed", "true");
        }
        f.cow("pool_id", u.pool_id.as_ref());
        f.cow("client_id", u.client_id.as_ref());
        f.cow("identity_provider", u.identity_provider.as_ref());
        f.cow("region", u.region.as_ref());
        out.push(b'}');
    }
    if let Some(s) = &n.source {
        out.extend_from_slice(b",\"source\":{");
        let mut f = Fields::new(out);
        f.cow("ip", s.ip.as_ref());
        if let Some(v) = s.ip_version {
            f.raw("ip_version", itoa::Buffer::new().format(v));
        }
        if let Some(h) = &s.ip_hash {
            f.str("ip_hash", h);
        }
        f.cow("city", s.city.as_ref());
        f.cow("country", s.country.as_ref());
        if let Some(c) = s.country_code {
            f.str("country_code", c);
        }
        if let Some(c) = s.country_code3 {
            f.str("country_code3", c);
        }
        out.push(b'}');
    }
    if let Some(d) = &n.device {
        out.extend_from_slice(b",\"device\":{\"name\":");
        write_str(out, &d.name);
        opt(out, ",\"browser\":", d.browser.as_ref());
        opt(out, ",\"os\":", d.os.as_ref());
        out.push(b'}');
    }
    if let Some(fb) = &n.feedback {
        out.extend_from_slice(b",\"feedback\":{");
        let mut f = Fields::new(out);
        f.cow("value", fb.value.as_ref());
        f.cow("date", fb.date.as_ref());
        f.cow("provider", fb.provider.as_ref());
        out.push(b'}');
    }
    if let Some(nt) = &n.notification {
        out.extend_from_slice(b",\"notification\":{");
        let mut f = Fields::new(out);
        f.cow("details", nt.details.as_ref());
        out.push(b'}');
    }
    let o = &n.origin;
    out.extend_from_slice(match o.transport {
        Transport::Direct => b",\"origin\":{\"transport\":\"direct\"".as_slice(),
        Transport::CloudwatchLogs => b",\"origin\":{\"transport\":\"cloudwatch_logs\"".as_slice(),
    });
    opt(out, ",\"account_id\":", o.account_id.as_ref());
    opt(out, ",\"log_group\":", o.log_group.as_ref());
    opt(out, ",\"log_stream\":", o.log_stream.as_ref());
    opt(out, ",\"log_event_id\":", o.log_event_id.as_ref());
    out.push(b'}');
    if !n.unmapped.0.is_empty() {
        // Rare, and of any shape: serde's own serializer.
        out.extend_from_slice(b",\"unmapped\":");
        super::write_json(&n.unmapped, out);
    }
    out.push(b'}');
}

fn opt(out: &mut Vec<u8>, key: &str, v: Option<&Cow<'_, str>>) {
    if let Some(v) = v {
        out.extend_from_slice(key.as_bytes());
        write_str(out, v);
    }
}

/// The members of one object, with commas between them.
struct Fields<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> Fields<'o> {
    fn new(out: &'o mut Vec<u8>) -> Self {
        Fields { out, first: true }
    }
    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }
    fn str(&mut self, key: &str, v: &str) {
        self.key(key);
        write_str(self.out, v);
    }
    fn cow(&mut self, key: &str, v: Option<&Cow<'_, str>>) {
        if let Some(v) = v {
            self.str(key, v);
        }
    }
    fn raw(&mut self, key: &str, v: &str) {
        self.key(key);
        self.out.extend_from_slice(v.as_bytes());
    }
}

/// Whether a byte must be escaped in a JSON string.
#[inline]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Appends `s` as a JSON string literal, escaped as serde_json escapes.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Fast path: most values need no escape at all.
    if !crate::firehose::needs_escaping(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
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
mod tests {
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

    #[test]
    fn writes_the_same_bytes_as_serde_for_every_sample_record() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../events");
        let mut seen = 0;
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
                // CloudWatch Logs envelopes: each message is a record.
                let texts: Vec<String> = match crate::batch::parse_envelope(&text, d.was_gzip) {
                    Ok(Some(env)) => env
                        .log_events
                        .iter()
                        .map(|e| e.message.to_string())
                        .collect(),
                    _ => vec![text.clone()],
                };
                for t in texts {
                    let Ok(docs) = parse_documents(&t) else {
                        continue;
                    };
                    for doc in docs {
                        let ctx = Context {
                            transport: Some(Transport::CloudwatchLogs),
                            account_id: Some("123456789012".into()),
                            log_group: Some("g\"roup".into()),
                            log_event_id: Some("1".into()),
                            ..Context::default()
                        };
                        for cfg in configs() {
                            let Ok(n) = normalize(&doc, &ctx, &cfg) else {
                                continue;
                            };
                            let mut ours = Vec::new();
                            write_normalized(&n, &mut ours);
                            assert_eq!(
                                String::from_utf8(ours).unwrap(),
                                serde_json::to_string(&n).unwrap()
                            );
                            seen += 1;
                        }
                    }
                }
            }
        }
        assert!(seen > 20, "only {seen} records compared");
    }

    fn configs() -> Vec<Config> {
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
