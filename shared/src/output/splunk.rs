//! Splunk HTTP Event Collector framing for Firehose's Splunk destination
//! (event endpoint): `{"time": <epoch seconds with millisecond fraction>,
//! "host": ..., "source": ..., "sourcetype": "aws:cognito:userauth",
//! "event": <normalized record>}`.
//! <https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector>

use serde::Serialize;

use crate::normalize::Normalized;

/// The sourcetype of every event.
pub const SOURCETYPE: &str = "aws:cognito:userauth";

#[cfg_attr(not(test), allow(dead_code))]
#[derive(Serialize)]
struct Hec<'n, 'a> {
    /// Epoch seconds, with the milliseconds as a fraction (Splunk's format).
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<serde_json::Number>,
    source: String,
    sourcetype: &'static str,
    event: &'n Normalized<'a>,
}

/// `1723070073369` -> `1723070073.369`, exactly (no float rounding).
pub fn epoch_seconds(ms: i64) -> Option<serde_json::Number> {
    let sign = if ms < 0 { "-" } else { "" };
    let abs = ms.unsigned_abs();
    format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
        .parse()
        .ok()
}

pub fn write(n: &Normalized<'_>, out: &mut Vec<u8>) {
    // Written by hand in the field order of `Hec` (which stays the
    // definition; a test holds the two equal), so that the normalized
    // record inside goes through the fast writer.
    out.extend_from_slice(b"{");
    if let Some(t) = n.time_ms.and_then(epoch_seconds) {
        out.extend_from_slice(b"\"time\":");
        super::write_json(&t, out);
        out.push(b',');
    }
    out.extend_from_slice(b"\"source\":");
    super::normalized::write_str(out, &source(n));
    out.extend_from_slice(b",\"sourcetype\":");
    super::normalized::write_str(out, SOURCETYPE);
    out.extend_from_slice(b",\"event\":");
    super::write_normalized(n, out);
    out.push(b'}');
}

/// source: the user pool when known, so Splunk users can tell pools apart.
fn source(n: &Normalized<'_>) -> String {
    match n.user.as_ref().and_then(|u| u.pool_id.as_deref()) {
        Some(p) => format!("cognito:{p}"),
        None => "cognito".to_string(),
    }
}

/// The same line through serde, for the test that holds `write` to it.
#[cfg(test)]
fn write_serde(n: &Normalized<'_>, out: &mut Vec<u8>) {
    let hec = Hec {
        time: n.time_ms.and_then(epoch_seconds),
        source: source(n),
        sourcetype: SOURCETYPE,
        event: n,
    };
    super::write_json(&hec, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hand_written_line_equals_the_serde_one() {
        use crate::cognito::parse_documents;
        use crate::normalize::{normalize, Context};
        for json in [
            crate::normalize::tests::FIELD_RECORD,
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"eventType":"SignIn"}}"#,
            r#"{"eventSource":"USER_AUTH_EVENTS","eventTimestamp":"-1500","message":{"userPoolId":"p\"q"}}"#,
        ] {
            let docs = parse_documents(json).unwrap();
            let n = normalize(&docs[0], &Context::default(), &crate::Config::default()).unwrap();
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            write(&n, &mut ours);
            write_serde(&n, &mut theirs);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap()
            );
        }
    }

    #[test]
    fn epoch_seconds_keep_every_millisecond() {
        assert_eq!(
            epoch_seconds(1_723_070_073_369).unwrap().to_string(),
            "1723070073.369"
        );
        assert_eq!(epoch_seconds(5).unwrap().to_string(), "0.005");
        assert_eq!(epoch_seconds(-1500).unwrap().to_string(), "-1.5");
    }
}
