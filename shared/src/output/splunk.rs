//! Splunk HTTP Event Collector framing for Firehose's Splunk destination
//! (event endpoint): `{"time": <epoch seconds with millisecond fraction>,
//! "host": ..., "source": ..., "sourcetype": "aws:cognito:userauth",
//! "event": <normalized record>}`.
//! <https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector>

use serde::Serialize;

use crate::normalize::Normalized;

/// The sourcetype of every event.
pub const SOURCETYPE: &str = "aws:cognito:userauth";

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
    // source: the user pool when known, so Splunk users can tell pools apart.
    let pool = n.user.as_ref().and_then(|u| u.pool_id.as_deref());
    let source = match pool {
        Some(p) => format!("cognito:{p}"),
        None => "cognito".to_string(),
    };
    let hec = Hec {
        time: n.time_ms.and_then(epoch_seconds),
        source,
        sourcetype: SOURCETYPE,
        event: n,
    };
    super::write_json(&hec, out);
}

#[cfg(test)]
mod tests {
    use super::*;

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
