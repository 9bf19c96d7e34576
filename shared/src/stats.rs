//! Per-invocation counts: records, events, bytes and the labels metrics
//! are made of. Every route counts with these; none holds payload data.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use crate::normalize::{Normalized, Outcome};

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
    pub by_outcome: Tally<Outcomes>,
    pub by_risk_decision: Tally<RiskDecisions>,
    pub by_risk_level: Tally<RiskLevels>,
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
        self.by_outcome.add(n.event.outcome.as_str(), 1);
        if let Some(risk) = &n.risk {
            if let Some(d) = &risk.decision {
                self.by_risk_decision.add(d, 1);
                if d == "account_takeover" {
                    self.account_takeovers += 1;
                }
            }
            if let Some(l) = &risk.level {
                self.by_risk_level.add(l, 1);
            }
            if risk.compromised_credentials == Some(true) {
                self.compromised_credentials += 1;
            }
        }
    }
}

/// A set of labels metrics count events under, fixed in advance.
pub trait Labels {
    /// The known labels, in the order they are listed (alphabetical), and
    /// with room in [`Tally`] for them and `other`.
    const KNOWN: &'static [&'static str];
}

/// The outcomes an event is counted under: every [`Outcome`]'s name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcomes;
impl Labels for Outcomes {
    const KNOWN: &'static [&'static str] = &[
        Outcome::Failure.as_str(),
        Outcome::InProgress.as_str(),
        Outcome::Success.as_str(),
        Outcome::Unknown.as_str(),
    ];
}

/// The canonical risk decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RiskDecisions;
impl Labels for RiskDecisions {
    const KNOWN: &'static [&'static str] = &["account_takeover", "block", "no_risk"];
}

/// The canonical risk levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RiskLevels;
impl Labels for RiskLevels {
    const KNOWN: &'static [&'static str] = &["high", "low", "medium", "none"];
}

/// The most known labels a [`Labels`] set may have (one slot more is `other`).
const MAX_KNOWN: usize = 7;

/// Events counted by label: each known label, and `other` for any value
/// that is not one, so a hostile value can neither flood metrics with
/// names nor smuggle data into them. An array, not a map: every event is
/// counted, and a map's search (string comparisons down its tree) was
/// about 2% of a direct batch.
pub struct Tally<L> {
    counts: [u64; MAX_KNOWN + 1],
    labels: PhantomData<L>,
}

impl<L: Labels> Tally<L> {
    const OTHER: usize = {
        assert!(L::KNOWN.len() <= MAX_KNOWN);
        L::KNOWN.len()
    };

    /// Counts `n` events under `label` (`other` when it is not known).
    pub fn add(&mut self, label: &str, n: u64) {
        let slot = L::KNOWN
            .iter()
            .position(|k| *k == label)
            .unwrap_or(Self::OTHER);
        if let Some(count) = self.counts.get_mut(slot) {
            *count += n;
        }
    }

    /// The count under `label`, if any event was counted there.
    pub fn get(&self, label: &str) -> Option<u64> {
        self.iter().find(|(l, _)| *l == label).map(|(_, n)| n)
    }

    /// The labels events were counted under, with their counts, in
    /// alphabetical order (`other` in its place among them).
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        let other = ("other", self.counts.get(Self::OTHER).copied().unwrap_or(0));
        let known = L::KNOWN.iter().copied().zip(self.counts.iter().copied());
        let mut all: [(&'static str, u64); MAX_KNOWN + 1] = [("", 0); MAX_KNOWN + 1];
        for (slot, entry) in known.chain([other]).enumerate() {
            if let Some(place) = all.get_mut(slot) {
                *place = entry;
            }
        }
        all.sort_unstable_by_key(|(label, _)| *label);
        all.into_iter().filter(|(_, n)| *n > 0)
    }

    /// Every event counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

impl<L> Default for Tally<L> {
    fn default() -> Self {
        Tally {
            counts: [0; MAX_KNOWN + 1],
            labels: PhantomData,
        }
    }
}

impl<L> Clone for Tally<L> {
    fn clone(&self) -> Self {
        Tally {
            counts: self.counts,
            labels: PhantomData,
        }
    }
}

impl<L> PartialEq for Tally<L> {
    fn eq(&self, other: &Self) -> bool {
        self.counts == other.counts
    }
}

impl<L> Eq for Tally<L> {}

impl<L: Labels> fmt::Debug for Tally<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod stats_tests {
    use super::*;

    #[test]
    fn risk_labels_are_counted_under_known_names_or_other() {
        let mut tally = Tally::<RiskDecisions>::default();
        let long = "x".repeat(300);
        for value in [
            "block",
            "<script>",
            "block",
            "other",
            "no_risk",
            long.as_str(),
        ] {
            tally.add(value, 1);
        }
        let counts: Vec<(&str, u64)> = tally.iter().collect();
        assert_eq!(counts, [("block", 2), ("no_risk", 1), ("other", 3)]);
        assert_eq!(tally.get("other"), Some(3));
        assert_eq!(tally.get("account_takeover"), None);
        assert_eq!(tally.total(), 6);
    }

    proptest::proptest! {
        /// The map it replaced, as the reference: each value counted under
        /// itself when known, else under `other`; listed in key order.
        #[test]
        fn a_tally_counts_as_a_map_of_bounded_labels_did(
            values in proptest::collection::vec(
                "no_risk|account_takeover|block|other|none|low|medium|high|success|failure|in_progress|unknown|[a-z_]{0,12}",
                0..40,
            ),
        ) {
            fn reference(values: &[String], known: &[&str]) -> Vec<(String, u64)> {
                let mut map: BTreeMap<String, u64> = BTreeMap::new();
                for v in values {
                    let label = if known.contains(&v.as_str()) { v.as_str() } else { "other" };
                    *map.entry(label.to_string()).or_default() += 1;
                }
                map.into_iter().collect()
            }
            fn tallied<L: Labels>(values: &[String]) -> Vec<(String, u64)> {
                let mut tally = Tally::<L>::default();
                for v in values {
                    tally.add(v, 1);
                }
                tally.iter().map(|(l, n)| (l.to_string(), n)).collect()
            }
            proptest::prop_assert_eq!(tallied::<RiskDecisions>(&values), reference(&values, RiskDecisions::KNOWN));
            proptest::prop_assert_eq!(tallied::<RiskLevels>(&values), reference(&values, RiskLevels::KNOWN));
            proptest::prop_assert_eq!(tallied::<Outcomes>(&values), reference(&values, Outcomes::KNOWN));
        }
    }

    #[test]
    fn every_outcome_has_its_own_label() {
        for outcome in [
            Outcome::Success,
            Outcome::Failure,
            Outcome::InProgress,
            Outcome::Unknown,
        ] {
            assert!(Outcomes::KNOWN.contains(&outcome.as_str()), "{outcome:?}");
        }
        for labels in [Outcomes::KNOWN, RiskDecisions::KNOWN, RiskLevels::KNOWN] {
            assert!(
                labels.windows(2).all(|w| w[0] < w[1]),
                "{labels:?} in order"
            );
            assert!(!labels.contains(&"other"));
        }
    }
}
