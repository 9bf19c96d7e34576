//! The report's figures, counted in one streaming pass in memory bounded by
//! the number of chart bars: the time histogram has at most
//! [`MAX_BUCKETS`] buckets (its width chosen from the period found by the
//! first pass), small vocabularies (outcome, event type, risk decision and
//! level) and open ones (countries, users, IPs, devices) are counted in
//! [`TopK`] tables of fixed capacity.

use cognito_activity::normalize::Outcome;

use super::row::Row;
use super::topk::TopK;

/// Most bars in the events-over-time chart.
pub const MAX_BUCKETS: usize = 120;
/// Keys tracked per open-ended count (users, IPs, devices, countries).
pub const TRACKED: usize = 2_000;
/// Keys tracked per small vocabulary (values are as written, so even
/// these are bounded).
const VOCABULARY: usize = 64;

/// The outcomes, in chart order.
pub const OUTCOMES: [Outcome; 4] = [
    Outcome::Success,
    Outcome::Failure,
    Outcome::InProgress,
    Outcome::Unknown,
];

pub fn outcome_index(o: Outcome) -> usize {
    match o {
        Outcome::Success => 0,
        Outcome::Failure => 1,
        Outcome::InProgress => 2,
        Outcome::Unknown => 3,
    }
}

/// Bucket widths to choose from: a round width for any period.
const WIDTHS_MS: [i64; 14] = [
    60_000,
    5 * 60_000,
    10 * 60_000,
    15 * 60_000,
    30 * 60_000,
    3_600_000,
    3 * 3_600_000,
    6 * 3_600_000,
    12 * 3_600_000,
    86_400_000,
    7 * 86_400_000,
    30 * 86_400_000,
    365 * 86_400_000,
    10 * 365 * 86_400_000,
];

/// Events over time, by outcome.
#[derive(Debug, Clone)]
pub struct Histogram {
    pub start_ms: i64,
    pub width_ms: i64,
    /// Per bucket, counts in [`OUTCOMES`] order.
    pub buckets: Vec<[u64; 4]>,
}

impl Histogram {
    /// Buckets covering [first, last] with the narrowest round width that
    /// needs at most [`MAX_BUCKETS`] of them.
    pub fn new(first_ms: i64, last_ms: i64) -> Histogram {
        let span = (last_ms - first_ms).max(0);
        let width_ms = WIDTHS_MS
            .iter()
            .copied()
            .find(|w| span / w < MAX_BUCKETS as i64)
            .unwrap_or(WIDTHS_MS[WIDTHS_MS.len() - 1] * 100);
        let start_ms = first_ms.div_euclid(width_ms) * width_ms;
        let n = ((last_ms - start_ms).div_euclid(width_ms) + 1).clamp(1, MAX_BUCKETS as i64 + 1);
        Histogram {
            start_ms,
            width_ms,
            buckets: vec![[0; 4]; n as usize],
        }
    }

    fn add(&mut self, t: i64, o: Outcome) {
        let i = (t - self.start_ms).div_euclid(self.width_ms);
        if let Some(b) = usize::try_from(i)
            .ok()
            .and_then(|i| self.buckets.get_mut(i))
        {
            b[outcome_index(o)] += 1;
        }
    }
}

/// Everything the charts and tables show, apart from the findings.
pub struct Aggregates {
    pub events: u64,
    pub without_time: u64,
    pub outcomes: [u64; 4],
    pub histogram: Option<Histogram>,
    pub event_types: TopK,
    pub risk_decisions: TopK,
    pub risk_levels: TopK,
    pub compromised: u64,
    pub countries: TopK,
    pub failing_users: TopK,
    pub failing_ips: TopK,
    pub devices: TopK,
    pub users: TopK,
    pub pools: TopK,
    pub mfa_failures: u64,
}

impl Aggregates {
    pub fn new(period: Option<(i64, i64)>) -> Aggregates {
        Aggregates {
            events: 0,
            without_time: 0,
            outcomes: [0; 4],
            histogram: period.map(|(a, b)| Histogram::new(a, b)),
            event_types: TopK::new(VOCABULARY),
            risk_decisions: TopK::new(VOCABULARY),
            risk_levels: TopK::new(VOCABULARY),
            compromised: 0,
            countries: TopK::new(TRACKED),
            failing_users: TopK::new(TRACKED),
            failing_ips: TopK::new(TRACKED),
            devices: TopK::new(TRACKED),
            users: TopK::new(TRACKED),
            pools: TopK::new(VOCABULARY),
            mfa_failures: 0,
        }
    }

    pub fn add(&mut self, row: &Row) {
        self.events += 1;
        self.outcomes[outcome_index(row.outcome)] += 1;
        match (row.time_ms, self.histogram.as_mut()) {
            (Some(t), Some(h)) => h.add(t, row.outcome),
            _ => self.without_time += 1,
        }
        self.event_types
            .add(row.event_type.as_deref().unwrap_or("(none)"));
        self.risk_decisions
            .add(row.risk_decision.as_deref().unwrap_or("(none)"));
        self.risk_levels
            .add(row.risk_level.as_deref().unwrap_or("(none)"));
        self.compromised += u64::from(row.compromised_credentials == Some(true));
        self.countries
            .add(row.country.as_deref().unwrap_or("(unknown)"));
        self.devices.add(row.device.as_deref().unwrap_or("(none)"));
        if let Some(u) = row.user.as_deref() {
            self.users.add(u);
        }
        if let Some(p) = row.pool.as_deref() {
            self.pools.add(p);
        }
        if row.outcome == Outcome::Failure {
            if let Some(u) = row.user.as_deref() {
                self.failing_users.add(u);
            }
            if let Some(ip) = row.source_ip.as_deref() {
                self.failing_ips.add(ip);
            }
        }
        self.mfa_failures += row.mfa_failures() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_cut_into_round_buckets_within_the_limit() {
        let h = Histogram::new(0, 86_400_000 - 1);
        assert_eq!(h.width_ms, 15 * 60_000);
        assert_eq!(h.buckets.len(), 96);
    }

    #[test]
    fn a_single_instant_has_one_bucket() {
        let h = Histogram::new(1_000, 1_000);
        assert_eq!(h.buckets.len(), 1);
    }

    #[test]
    fn a_period_of_millennia_stays_within_the_limit() {
        let h = Histogram::new(-62_135_596_800_000, 253_402_300_799_999);
        assert!(h.buckets.len() <= MAX_BUCKETS + 1);
    }
}
