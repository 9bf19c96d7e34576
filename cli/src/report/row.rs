//! One event as the report sees it: the columns the Athena views of the
//! detection queries present (time, user, pool, outcome, event type, source
//! IP, city, country, risk decision and level, compromised credentials,
//! challenges, device), whatever format the event was read from.

use cognito_activity::normalize::Outcome;

/// One challenge attempt, e.g. `Mfa` / `failure`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeAttempt {
    pub name: String,
    /// `success`, `failure`, or as written; empty when not given.
    pub result: String,
    /// Whether the challenge is a second factor (the library's definition).
    pub mfa: bool,
}

impl ChallengeAttempt {
    pub fn failed(&self) -> bool {
        self.result.eq_ignore_ascii_case("failure")
    }
}

/// The view's columns. Every text column is as the log wrote it, so it is
/// attacker-controlled: it is escaped wherever it is shown.
#[derive(Debug, Clone)]
pub struct Row {
    /// Epoch milliseconds.
    pub time_ms: Option<i64>,
    /// The user name, else the user's `sub`.
    pub user: Option<String>,
    pub pool: Option<String>,
    pub outcome: Outcome,
    /// `SignIn`, `SignUp`, `ForgotPassword`, ...
    pub event_type: Option<String>,
    pub source_ip: Option<String>,
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2 when the name or code is known, else as written.
    pub country: Option<String>,
    /// `no_risk`, `account_takeover`, `block`, or as written.
    pub risk_decision: Option<String>,
    /// `none`, `low`, `medium`, `high`, or as written.
    pub risk_level: Option<String>,
    pub compromised_credentials: Option<bool>,
    pub challenges: Vec<ChallengeAttempt>,
    /// Cognito's browser/OS summary, e.g. `Chrome 126, Windows 10`.
    pub device: Option<String>,
}

impl Row {
    /// A sign-in attempt (the event type every detection but the risk one
    /// looks at).
    pub fn is_sign_in(&self) -> bool {
        self.event_type.as_deref() == Some("SignIn")
    }

    pub fn is_failed_sign_in(&self) -> bool {
        self.is_sign_in() && self.outcome == Outcome::Failure
    }

    pub fn is_successful_sign_in(&self) -> bool {
        self.is_sign_in() && self.outcome == Outcome::Success
    }

    pub fn mfa_failures(&self) -> usize {
        self.challenges
            .iter()
            .filter(|c| c.mfa && c.failed())
            .count()
    }
}

/// The country column: the ISO alpha-2 code when `text` names a known
/// country (by name or by code), else the text as written.
pub fn country_key(text: &str) -> String {
    match cognito_activity::geo::lookup(text) {
        Some(c) => c.alpha2.to_string(),
        None => text.to_string(),
    }
}

/// A display name for a country column value: `Türkiye (TR)`.
pub fn country_label(key: &str) -> String {
    match cognito_activity::geo::lookup(key) {
        Some(c) if c.alpha2 == key => format!("{} ({})", c.name, c.alpha2),
        _ => key.to_string(),
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff...]Z` (what every one of our formats
/// writes) to epoch milliseconds.
pub fn parse_rfc3339_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let rest = s.get(19..)?;
    let (frac, zone) = match rest.strip_prefix('.') {
        Some(r) => {
            let digits = r.bytes().take_while(u8::is_ascii_digit).count();
            (r.get(..digits)?, r.get(digits..)?)
        }
        None => ("", rest),
    };
    if !matches!(zone, "Z" | "z" | "+00:00") {
        return None;
    }
    let millis = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'));
    let days = days_from_civil(year, month, day);
    Some(days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_timestamps_our_formats_write() {
        assert_eq!(
            parse_rfc3339_utc("2024-08-07T22:34:33.369Z"),
            Some(1_723_070_073_369)
        );
        assert_eq!(
            parse_rfc3339_utc("2024-08-07T22:34:33Z"),
            Some(1_723_070_073_000)
        );
        assert_eq!(parse_rfc3339_utc("1970-01-01T00:00:00.5Z"), Some(500));
    }

    #[test]
    fn rejects_what_is_not_a_utc_timestamp() {
        for s in [
            "",
            "2024-08-07",
            "2024-08-07T22:34:33+02:00",
            "2024-13-07T22:34:33Z",
            "2024-08-07T22:34:33.Zx",
            "２０２４-08-07T22:34:33Z",
        ] {
            assert_eq!(parse_rfc3339_utc(s), None, "{s}");
        }
    }

    #[test]
    fn countries_are_keyed_by_code_from_a_name_or_a_code() {
        assert_eq!(country_key("Türkiye"), "TR");
        assert_eq!(country_key("TR"), "TR");
        assert_eq!(country_key("Atlantis"), "Atlantis");
        assert_eq!(country_label("TR"), "Türkiye (TR)");
    }
}
