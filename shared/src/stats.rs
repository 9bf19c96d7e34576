//! Per-invocation counts: records, events, bytes and the labels metrics
//! are made of. Every route counts with these; none holds payload data.

use std::collections::BTreeMap;

use crate::normalize::Normalized;

/// Per-invocation counts. Never holds payload data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub records_in: u64,
    pub records_ok: u64,
    pub records_dropped: u64,
    pub records_failed: u64,
    /// Records that did not fit in the response budget.
    pub records_overflow: u64,
    /// Overflow records the caller put back into the source.
    pub records_reingested: u64,
    /// Base64 text of all input records.
    pub bytes_in: u64,
    /// The response's JSON size.
    pub bytes_out: u64,
    /// Cognito events decoded (before filtering).
    pub events_in: u64,
    /// Events written to the output.
    pub events_out: u64,
    pub events_filtered: u64,
    pub by_outcome: BTreeMap<&'static str, u64>,
    pub by_risk_decision: BTreeMap<String, u64>,
    pub by_risk_level: BTreeMap<String, u64>,
    pub compromised_credentials: u64,
    pub account_takeovers: u64,
    /// Failed records by [`RecordError::code`].
    pub failures: BTreeMap<&'static str, u64>,
    /// Bytes of gzip records (after base64) and what they inflated to: the
    /// invocation's decompression allowance is counted from these.
    pub bytes_gzip_in: u64,
    pub bytes_inflated: u64,
}

impl Stats {
    /// Counts one normalized event by outcome, risk and kind.
    pub fn count_event(&mut self, n: &Normalized<'_>) {
        self.events_in += 1;
        if n.log_kind() != crate::cognito::LogKind::UserActivity {
            return;
        }
        *self.by_outcome.entry(n.event.outcome.as_str()).or_default() += 1;
        if let Some(risk) = &n.risk {
            if let Some(d) = &risk.decision {
                count_label(
                    &mut self.by_risk_decision,
                    d,
                    &["no_risk", "account_takeover", "block"],
                );
                if d == "account_takeover" {
                    self.account_takeovers += 1;
                }
            }
            if let Some(l) = &risk.level {
                count_label(
                    &mut self.by_risk_level,
                    l,
                    &["none", "low", "medium", "high"],
                );
            }
            if risk.compromised_credentials == Some(true) {
                self.compromised_credentials += 1;
            }
        }
    }
}

/// Unrecognized risk values are counted under `other`, so a hostile value
/// can neither flood metrics with names nor smuggle data into them.
fn bounded_label(s: &str, known: &[&str]) -> String {
    if known.contains(&s) {
        s.to_string()
    } else {
        "other".to_string()
    }
}

/// Counts one event under its bounded label, allocating the label only the
/// first time it is seen (this runs for every event).
fn count_label(map: &mut BTreeMap<String, u64>, s: &str, known: &[&str]) {
    // The map holds only known labels and "other", so a value found in it
    // is counted under itself (the value "other" included), without first
    // comparing it with every known label.
    if let Some(count) = map.get_mut(s) {
        *count += 1;
        return;
    }
    let label = if known.contains(&s) { s } else { "other" };
    match map.get_mut(label) {
        Some(count) => *count += 1,
        None => {
            map.insert(bounded_label(label, known), 1);
        }
    }
}

#[cfg(test)]
mod stats_tests {
    use super::*;

    #[test]
    fn risk_labels_are_counted_under_known_names_or_other() {
        let mut map = BTreeMap::new();
        let known = ["no_risk", "account_takeover", "block"];
        let long = "x".repeat(300);
        for value in [
            "block",
            "<script>",
            "block",
            "other",
            "no_risk",
            long.as_str(),
        ] {
            count_label(&mut map, value, &known);
        }
        let counts: Vec<(&str, u64)> = map.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(counts, [("block", 2), ("no_risk", 1), ("other", 3)]);
    }
}
