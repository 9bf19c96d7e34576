//! The detections, computed in one streaming pass over the events: the same
//! findings, with the same thresholds and defaults, as the Athena queries
//! under `analysis/` (see `docs/analysis.md` for each definition).
//!
//! Every window is a fixed (tumbling) window aligned to the epoch, keyed by
//! `floor(epoch_ms / window)`: counting per (key, window) does not depend on
//! the order events arrive in, and is what the SQL groups by.
//!
//! Memory is bounded by the aggregates, not by the number of events: one
//! cell per (source IP, window) with failed sign-ins, per (user, window)
//! with failed sign-ins or MFA failures, per user with a successful
//! sign-in or a risk signal, and per (user, country) signed in from; inside
//! a cell, every set is capped (distinct users at [`DISTINCT_CAP`], the
//! failure times kept at the threshold, locations at [`SMALL_SET_CAP`]).

use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use clap::Args;

use super::row::Row;

/// Most distinct users counted per spraying window (more shows as `N+`).
pub const DISTINCT_CAP: usize = 100_000;
/// Most IPs or countries listed per finding.
pub const SMALL_SET_CAP: usize = 16;

/// The thresholds, with the SQL's defaults.
#[derive(Args, Debug, Clone)]
pub struct Thresholds {
    /// Password spraying: window length, minutes.
    #[arg(long, default_value_t = 10)]
    pub spray_window_minutes: u32,
    /// Password spraying: distinct users one source IP fails against in a window.
    #[arg(long, default_value_t = 5)]
    pub spray_min_users: u32,
    /// Brute force: window length, minutes.
    #[arg(long, default_value_t = 10)]
    pub brute_force_window_minutes: u32,
    /// Brute force: failed sign-ins on one user in a window.
    #[arg(long, default_value_t = 10)]
    pub brute_force_min_failures: u32,
    /// Failures then success: failed sign-ins on one user before a successful one, in the same window.
    #[arg(long, default_value_t = 5)]
    pub success_after_min_failures: u32,
    /// Impossible travel: two successful sign-ins of one user from different countries less than this many minutes apart.
    #[arg(long, default_value_t = 120)]
    pub travel_max_minutes: u32,
    /// MFA failures: window length, minutes.
    #[arg(long, default_value_t = 30)]
    pub mfa_window_minutes: u32,
    /// MFA failures: failed MFA challenges of one user in a window.
    #[arg(long, default_value_t = 3)]
    pub mfa_min_failures: u32,
    /// New country: hours after a user's first successful sign-in during which new countries are learned, not reported.
    #[arg(long, default_value_t = 24)]
    pub new_country_baseline_hours: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            spray_window_minutes: 10,
            spray_min_users: 5,
            brute_force_window_minutes: 10,
            brute_force_min_failures: 10,
            success_after_min_failures: 5,
            travel_max_minutes: 120,
            mfa_window_minutes: 30,
            mfa_min_failures: 3,
            new_country_baseline_hours: 24,
        }
    }
}

/// The detections, in the order the report lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Detection {
    PasswordSpraying,
    BruteForce,
    SuccessAfterFailures,
    ImpossibleTravel,
    CompromisedCredentials,
    MfaFailures,
    NewCountry,
}

impl Detection {
    pub const ALL: [Detection; 7] = [
        Detection::PasswordSpraying,
        Detection::BruteForce,
        Detection::SuccessAfterFailures,
        Detection::ImpossibleTravel,
        Detection::CompromisedCredentials,
        Detection::MfaFailures,
        Detection::NewCountry,
    ];

    /// The name of the SQL file and of the finding's `data-detection`.
    pub fn id(self) -> &'static str {
        match self {
            Detection::PasswordSpraying => "password_spraying",
            Detection::BruteForce => "brute_force",
            Detection::SuccessAfterFailures => "failures_then_success",
            Detection::ImpossibleTravel => "impossible_travel",
            Detection::CompromisedCredentials => "compromised_credentials",
            Detection::MfaFailures => "mfa_failures",
            Detection::NewCountry => "new_country",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Detection::PasswordSpraying => "Password spraying",
            Detection::BruteForce => "Brute force",
            Detection::SuccessAfterFailures => "Failures followed by a success",
            Detection::ImpossibleTravel => "Impossible travel",
            Detection::CompromisedCredentials => {
                "Compromised credentials and account-takeover risk"
            }
            Detection::MfaFailures => "MFA failures",
            Detection::NewCountry => "Sign-in from a new country",
        }
    }

    /// What it finds, for the page.
    pub fn rule(self, t: &Thresholds) -> String {
        match self {
            Detection::PasswordSpraying => format!(
                "One source IP with failed sign-ins against at least {} distinct users within a {}-minute window.",
                t.spray_min_users, t.spray_window_minutes
            ),
            Detection::BruteForce => format!(
                "At least {} failed sign-ins on one user within a {}-minute window.",
                t.brute_force_min_failures, t.brute_force_window_minutes
            ),
            Detection::SuccessAfterFailures => format!(
                "A successful sign-in after at least {} failed sign-ins on the same user within a {}-minute window.",
                t.success_after_min_failures, t.brute_force_window_minutes
            ),
            Detection::ImpossibleTravel => format!(
                "Successful sign-ins of one user from two different countries less than {} minutes apart.",
                t.travel_max_minutes
            ),
            Detection::CompromisedCredentials => "Events where Cognito detected compromised credentials or decided account takeover or block, blocked or not.".to_string(),
            Detection::MfaFailures => format!(
                "At least {} failed MFA challenges of one user within a {}-minute window.",
                t.mfa_min_failures, t.mfa_window_minutes
            ),
            Detection::NewCountry => format!(
                "A successful sign-in from a country the user had not signed in from, more than {} hours after the user's first successful sign-in.",
                t.new_country_baseline_hours
            ),
        }
    }
}

/// Who a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    User(String),
    Ip(String),
}

impl Subject {
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::User(_) => "user",
            Subject::Ip(_) => "source IP",
        }
    }
    pub fn value(&self) -> &str {
        match self {
            Subject::User(s) | Subject::Ip(s) => s,
        }
    }
}

/// Which events are behind a finding.
#[derive(Debug, Clone)]
pub enum Behind {
    /// Failed sign-ins from this IP in [start, end).
    IpFailures { start: i64, end: i64 },
    /// This user's sign-ins (failed or successful) in [start, end).
    UserSignIns { start: i64, end: i64 },
    /// This user's successful sign-ins at these instants.
    UserSignInsAt { times: BTreeSet<i64> },
    /// This user's events with a risk signal.
    UserRisk,
    /// This user's events with a failed MFA challenge in [start, end).
    UserMfaFailures { start: i64, end: i64 },
    /// This user's successful sign-ins from this country, from `start`.
    UserCountry { country: String, start: i64 },
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Finding {
    pub detection: Detection,
    pub subject: Subject,
    pub first_ms: i64,
    pub last_ms: i64,
    /// How many events (or distinct users, for spraying: see `why`).
    pub count: u64,
    /// Where from: countries or source IPs, as the detection knows them.
    pub from: Vec<String>,
    /// Why it fired, with the figures.
    pub why: String,
    pub behind: Behind,
}

impl Finding {
    /// Whether `row` is one of the events behind this finding.
    pub fn covers(&self, row: &Row) -> bool {
        let Some(t) = row.time_ms else { return false };
        let subject_matches = match &self.subject {
            Subject::User(u) => row.user.as_deref() == Some(u.as_str()),
            Subject::Ip(ip) => row.source_ip.as_deref() == Some(ip.as_str()),
        };
        if !subject_matches {
            return false;
        }
        match &self.behind {
            Behind::IpFailures { start, end } => {
                row.is_failed_sign_in() && (*start..*end).contains(&t)
            }
            Behind::UserSignIns { start, end } => {
                (row.is_failed_sign_in() || row.is_successful_sign_in())
                    && (*start..*end).contains(&t)
            }
            Behind::UserSignInsAt { times } => row.is_successful_sign_in() && times.contains(&t),
            Behind::UserRisk => has_risk_signal(row),
            Behind::UserMfaFailures { start, end } => {
                row.mfa_failures() > 0 && (*start..*end).contains(&t)
            }
            Behind::UserCountry { country, start } => {
                row.is_successful_sign_in()
                    && row.country.as_deref() == Some(country.as_str())
                    && t >= *start
            }
        }
    }
}

/// Compromised credentials, or a decision of account takeover or block.
pub fn has_risk_signal(row: &Row) -> bool {
    row.compromised_credentials == Some(true)
        || matches!(
            row.risk_decision.as_deref(),
            Some("account_takeover" | "block")
        )
}

/// Whether Cognito stopped the event: decision `block`, or the event failed.
fn blocked(row: &Row) -> bool {
    row.risk_decision.as_deref() == Some("block")
        || row.outcome == cognito_activity::normalize::Outcome::Failure
}

fn hash_of(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// A capped list of distinct strings, in first-seen order.
#[derive(Debug, Default, Clone)]
struct SmallSet(Vec<String>);

impl SmallSet {
    fn add(&mut self, s: Option<&str>) {
        if let Some(s) = s {
            if self.0.len() < SMALL_SET_CAP && !self.0.iter().any(|x| x == s) {
                self.0.push(s.to_string());
            }
        }
    }
}

#[derive(Debug, Default)]
struct SprayCell {
    failures: u64,
    users: HashSet<u64>,
    countries: SmallSet,
}

#[derive(Debug, Default)]
struct UserWindow {
    failures: u64,
    /// The smallest failure times, as many as the success-after threshold:
    /// its largest is the time of that many-th failure.
    earliest_failures: BinaryHeap<i64>,
    last_success: Option<i64>,
    first: i64,
    last: i64,
    ips: SmallSet,
}

#[derive(Debug, Default)]
struct MfaWindow {
    failures: u64,
    first: i64,
    last: i64,
    ips: SmallSet,
}

#[derive(Debug)]
struct LastSignIn {
    time: i64,
    country: String,
}

#[derive(Debug, Default)]
struct Travel {
    jumps: u64,
    times: BTreeSet<i64>,
    countries: SmallSet,
    first: i64,
    last: i64,
    fastest_minutes: i64,
}

#[derive(Debug, Default)]
struct RiskCell {
    events: u64,
    blocked: u64,
    compromised: u64,
    takeover: u64,
    first: i64,
    last: i64,
    ips: SmallSet,
    countries: SmallSet,
}

#[derive(Debug)]
struct CountrySeen {
    first: i64,
    count: u64,
    ip: Option<String>,
}

#[derive(Debug, Default)]
struct UserCountries {
    first: Option<i64>,
    /// Capped at [`SMALL_SET_CAP`] countries per user.
    countries: HashMap<String, CountrySeen>,
}

/// The detections' state while reading.
pub struct Detector {
    t: Thresholds,
    spray: HashMap<(String, i64), SprayCell>,
    brute: HashMap<(String, i64), UserWindow>,
    mfa: HashMap<(String, i64), MfaWindow>,
    last_sign_in: HashMap<String, LastSignIn>,
    travel: HashMap<String, Travel>,
    risk: HashMap<String, RiskCell>,
    seen: HashMap<String, UserCountries>,
}

fn minutes_ms(m: u32) -> i64 {
    i64::from(m.max(1)) * 60_000
}

impl Detector {
    pub fn new(t: Thresholds) -> Detector {
        Detector {
            t,
            spray: HashMap::new(),
            brute: HashMap::new(),
            mfa: HashMap::new(),
            last_sign_in: HashMap::new(),
            travel: HashMap::new(),
            risk: HashMap::new(),
            seen: HashMap::new(),
        }
    }

    pub fn observe(&mut self, row: &Row) {
        let Some(t) = row.time_ms else { return };
        let user = row.user.as_deref();
        if row.is_failed_sign_in() {
            if let Some(ip) = row.source_ip.as_deref() {
                let w = t.div_euclid(minutes_ms(self.t.spray_window_minutes));
                let cell = self.spray.entry((ip.to_string(), w)).or_default();
                cell.failures += 1;
                if let Some(u) = user {
                    if cell.users.len() < DISTINCT_CAP {
                        cell.users.insert(hash_of(u));
                    }
                }
                cell.countries.add(row.country.as_deref());
            }
        }
        let Some(user) = user else { return };
        if row.is_failed_sign_in() || row.is_successful_sign_in() {
            let w = t.div_euclid(minutes_ms(self.t.brute_force_window_minutes));
            let keep = self.t.success_after_min_failures.max(1) as usize;
            let cell = self
                .brute
                .entry((user.to_string(), w))
                .or_insert_with(|| UserWindow {
                    first: t,
                    last: t,
                    ..UserWindow::default()
                });
            cell.first = cell.first.min(t);
            cell.last = cell.last.max(t);
            cell.ips.add(row.source_ip.as_deref());
            if row.is_failed_sign_in() {
                cell.failures += 1;
                cell.earliest_failures.push(t);
                if cell.earliest_failures.len() > keep {
                    cell.earliest_failures.pop();
                }
            } else {
                cell.last_success = Some(cell.last_success.map_or(t, |s| s.max(t)));
            }
        }
        let mfa_failures = row.mfa_failures() as u64;
        if mfa_failures > 0 {
            let w = t.div_euclid(minutes_ms(self.t.mfa_window_minutes));
            let cell = self
                .mfa
                .entry((user.to_string(), w))
                .or_insert_with(|| MfaWindow {
                    first: t,
                    last: t,
                    ..MfaWindow::default()
                });
            cell.failures += mfa_failures;
            cell.first = cell.first.min(t);
            cell.last = cell.last.max(t);
            cell.ips.add(row.source_ip.as_deref());
        }
        if has_risk_signal(row) {
            let cell = self
                .risk
                .entry(user.to_string())
                .or_insert_with(|| RiskCell {
                    first: t,
                    last: t,
                    ..RiskCell::default()
                });
            cell.events += 1;
            cell.blocked += u64::from(blocked(row));
            cell.compromised += u64::from(row.compromised_credentials == Some(true));
            cell.takeover += u64::from(row.risk_decision.as_deref() == Some("account_takeover"));
            cell.first = cell.first.min(t);
            cell.last = cell.last.max(t);
            cell.ips.add(row.source_ip.as_deref());
            cell.countries.add(row.country.as_deref());
        }
        if row.is_successful_sign_in() {
            if let Some(country) = row.country.as_deref() {
                self.observe_location(user, country, t, row.source_ip.as_deref());
            }
        }
    }

    fn observe_location(&mut self, user: &str, country: &str, t: i64, ip: Option<&str>) {
        // Impossible travel: against the user's previous successful sign-in
        // (in input order, which is time order for Cognito's delivery).
        let max_gap = minutes_ms(self.t.travel_max_minutes);
        if let Some(prev) = self.last_sign_in.get_mut(user) {
            let gap = (t - prev.time).abs();
            if prev.country != country && gap < max_gap {
                let tr = self
                    .travel
                    .entry(user.to_string())
                    .or_insert_with(|| Travel {
                        first: t.min(prev.time),
                        last: t.max(prev.time),
                        fastest_minutes: i64::MAX,
                        ..Travel::default()
                    });
                tr.jumps += 1;
                if tr.times.len() < 2 * SMALL_SET_CAP {
                    tr.times.insert(prev.time);
                    tr.times.insert(t);
                }
                tr.countries.add(Some(&prev.country));
                tr.countries.add(Some(country));
                tr.first = tr.first.min(t.min(prev.time));
                tr.last = tr.last.max(t.max(prev.time));
                tr.fastest_minutes = tr.fastest_minutes.min(gap / 60_000);
            }
            if t >= prev.time {
                prev.time = t;
                prev.country = country.to_string();
            }
        } else {
            self.last_sign_in.insert(
                user.to_string(),
                LastSignIn {
                    time: t,
                    country: country.to_string(),
                },
            );
        }
        // New country: the first time each (user, country) signed in.
        let seen = self.seen.entry(user.to_string()).or_default();
        seen.first = Some(seen.first.map_or(t, |f| f.min(t)));
        let room = seen.countries.len() < SMALL_SET_CAP;
        match seen.countries.get_mut(country) {
            Some(c) => {
                c.count += 1;
                if t < c.first {
                    c.first = t;
                    c.ip = ip.map(str::to_string);
                }
            }
            None if room => {
                seen.countries.insert(
                    country.to_string(),
                    CountrySeen {
                        first: t,
                        count: 1,
                        ip: ip.map(str::to_string),
                    },
                );
            }
            None => {}
        }
    }

    /// The findings, by detection, then by time.
    pub fn finish(self) -> Vec<Finding> {
        let t = &self.t;
        let mut out = Vec::new();
        let spray_ms = minutes_ms(t.spray_window_minutes);
        for ((ip, w), cell) in self.spray {
            let users = cell.users.len();
            if users >= t.spray_min_users as usize {
                let start = w * spray_ms;
                let plus = if users >= DISTINCT_CAP { "+" } else { "" };
                out.push(Finding {
                    detection: Detection::PasswordSpraying,
                    subject: Subject::Ip(ip),
                    first_ms: start,
                    last_ms: start + spray_ms,
                    count: users as u64,
                    from: cell.countries.0,
                    why: format!(
                        "{} failed sign-ins against {users}{plus} distinct users in one {}-minute window (threshold {} users)",
                        cell.failures, t.spray_window_minutes, t.spray_min_users
                    ),
                    behind: Behind::IpFailures { start, end: start + spray_ms },
                });
            }
        }
        let brute_ms = minutes_ms(t.brute_force_window_minutes);
        for ((user, w), cell) in self.brute {
            let start = w * brute_ms;
            let behind = Behind::UserSignIns {
                start,
                end: start + brute_ms,
            };
            if cell.failures >= u64::from(t.brute_force_min_failures) {
                out.push(Finding {
                    detection: Detection::BruteForce,
                    subject: Subject::User(user.clone()),
                    first_ms: cell.first,
                    last_ms: cell.last,
                    count: cell.failures,
                    from: cell.ips.0.clone(),
                    why: format!(
                        "{} failed sign-ins in one {}-minute window (threshold {})",
                        cell.failures, t.brute_force_window_minutes, t.brute_force_min_failures
                    ),
                    behind: behind.clone(),
                });
            }
            let needed = t.success_after_min_failures.max(1) as usize;
            if let (Some(success), Some(&nth)) = (cell.last_success, cell.earliest_failures.peek())
            {
                if cell.earliest_failures.len() >= needed && success > nth {
                    out.push(Finding {
                        detection: Detection::SuccessAfterFailures,
                        subject: Subject::User(user),
                        first_ms: cell.first,
                        last_ms: cell.last,
                        count: cell.failures,
                        from: cell.ips.0,
                        why: format!(
                            "a successful sign-in after {} failed sign-ins in one {}-minute window (threshold {})",
                            cell.failures, t.brute_force_window_minutes, t.success_after_min_failures
                        ),
                        behind,
                    });
                }
            }
        }
        for (user, tr) in self.travel {
            out.push(Finding {
                detection: Detection::ImpossibleTravel,
                subject: Subject::User(user),
                first_ms: tr.first,
                last_ms: tr.last,
                count: tr.jumps,
                from: tr.countries.0.clone(),
                why: format!(
                    "{} change(s) of country between successful sign-ins, the fastest {} minute(s) apart (threshold: under {} minutes): {}",
                    tr.jumps,
                    tr.fastest_minutes,
                    t.travel_max_minutes,
                    tr.countries.0.join(" / ")
                ),
                behind: Behind::UserSignInsAt { times: tr.times },
            });
        }
        for (user, cell) in self.risk {
            out.push(Finding {
                detection: Detection::CompromisedCredentials,
                subject: Subject::User(user),
                first_ms: cell.first,
                last_ms: cell.last,
                count: cell.events,
                from: cell.ips.0,
                why: format!(
                    "{} event(s) with a risk signal ({} compromised credentials, {} account takeover); {} blocked, {} not blocked",
                    cell.events,
                    cell.compromised,
                    cell.takeover,
                    cell.blocked,
                    cell.events - cell.blocked
                ),
                behind: Behind::UserRisk,
            });
        }
        let mfa_ms = minutes_ms(t.mfa_window_minutes);
        for ((user, w), cell) in self.mfa {
            if cell.failures >= u64::from(t.mfa_min_failures) {
                let start = w * mfa_ms;
                out.push(Finding {
                    detection: Detection::MfaFailures,
                    subject: Subject::User(user),
                    first_ms: cell.first,
                    last_ms: cell.last,
                    count: cell.failures,
                    from: cell.ips.0,
                    why: format!(
                        "{} failed MFA challenges in one {}-minute window (threshold {})",
                        cell.failures, t.mfa_window_minutes, t.mfa_min_failures
                    ),
                    behind: Behind::UserMfaFailures {
                        start,
                        end: start + mfa_ms,
                    },
                });
            }
        }
        let baseline = i64::from(t.new_country_baseline_hours) * 3_600_000;
        for (user, seen) in self.seen {
            let Some(first) = seen.first else { continue };
            for (country, c) in seen.countries {
                if c.first > first + baseline {
                    out.push(Finding {
                        detection: Detection::NewCountry,
                        subject: Subject::User(user.clone()),
                        first_ms: c.first,
                        last_ms: c.first,
                        count: c.count,
                        from: c.ip.into_iter().collect(),
                        why: format!(
                            "first successful sign-in from {country}, {} hours after the user's first successful sign-in (baseline {} hours); {} sign-in(s) from there",
                            (c.first - first) / 3_600_000,
                            t.new_country_baseline_hours,
                            c.count
                        ),
                        behind: Behind::UserCountry { country, start: c.first },
                    });
                }
            }
        }
        out.sort_by(|a, b| {
            (a.detection, a.first_ms, &a.subject).cmp(&(b.detection, b.first_ms, &b.subject))
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `(default X)` values of a detection's SQL header, in placeholder order.
    fn sql_defaults(detection: Detection) -> Vec<u32> {
        let path = format!(
            "{}/../analysis/detections/{}.sql",
            env!("CARGO_MANIFEST_DIR"),
            detection.id()
        );
        let sql = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let header: String = sql
            .lines()
            .filter(|l| l.starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        let values: Vec<u32> = header
            .split("(default ")
            .skip(1)
            .map(|rest| rest.split(')').next().unwrap_or("").trim().parse().unwrap())
            .collect();
        assert_eq!(
            values.len(),
            sql.matches('?').count(),
            "{path}: a default per placeholder"
        );
        values
    }

    #[test]
    fn every_threshold_defaults_to_what_its_athena_detection_says() {
        let t = Thresholds::default();
        let expected: [(Detection, Vec<u32>); 7] = [
            (
                Detection::PasswordSpraying,
                vec![t.spray_window_minutes, t.spray_min_users],
            ),
            (
                Detection::BruteForce,
                vec![t.brute_force_window_minutes, t.brute_force_min_failures],
            ),
            // The same window as brute force.
            (
                Detection::SuccessAfterFailures,
                vec![t.brute_force_window_minutes, t.success_after_min_failures],
            ),
            (Detection::ImpossibleTravel, vec![t.travel_max_minutes]),
            (Detection::CompromisedCredentials, vec![]),
            (
                Detection::MfaFailures,
                vec![t.mfa_window_minutes, t.mfa_min_failures],
            ),
            (Detection::NewCountry, vec![t.new_country_baseline_hours]),
        ];
        for (detection, ours) in expected {
            assert_eq!(sql_defaults(detection), ours, "{}", detection.id());
        }
    }

    #[test]
    fn the_flags_default_to_the_same_thresholds_as_default() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            t: Thresholds,
        }
        let parsed = <Cli as clap::Parser>::parse_from(["report"]).t;
        assert_eq!(
            format!("{parsed:?}"),
            format!("{:?}", Thresholds::default())
        );
    }
}
