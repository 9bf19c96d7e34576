//! The canonicalizers: one raw Cognito value in, its canonical form out
//! (risk decision and level, challenge results, challenges, booleans,
//! device strings, the pool's region, IP addresses). Each has a fast match
//! for Cognito's own spelling and a production fallback that accepts any
//! spelling (`*_any_spelling`); a test holds the two equal. Times, countries
//! and IP text live in `time`, `geo` and `ip`.

use std::borrow::Cow;
use std::net::IpAddr;

use crate::cognito::{squash_into, Field};

use super::schema::Challenge;

/// Canonical risk decision, or the raw value.
pub fn canonical_decision(raw: Cow<'_, str>) -> Cow<'_, str> {
    // Cognito's own spellings, without squashing (a test holds these to
    // the general match below).
    match raw.as_ref() {
        "NoRisk" => return Cow::Borrowed("no_risk"),
        "AccountTakeover" => return Cow::Borrowed("account_takeover"),
        "Block" => return Cow::Borrowed("block"),
        _ => {}
    }
    canonical_decision_any_spelling(raw)
}

pub(crate) fn canonical_decision_any_spelling(raw: Cow<'_, str>) -> Cow<'_, str> {
    let mut buf = [0u8; 24];
    match squash_into(&raw, &mut buf) {
        "pass" | "norisk" | "allow" | "allowed" => Cow::Borrowed("no_risk"),
        "accounttakeover" | "ato" => Cow::Borrowed("account_takeover"),
        "block" | "blocked" => Cow::Borrowed("block"),
        _ => raw,
    }
}

/// Canonical risk level, or the raw value.
pub fn canonical_level(raw: Cow<'_, str>) -> Cow<'_, str> {
    match raw.as_ref() {
        "Low" => return Cow::Borrowed("low"),
        "Medium" => return Cow::Borrowed("medium"),
        "High" => return Cow::Borrowed("high"),
        _ => {}
    }
    canonical_level_any_spelling(raw)
}

pub(crate) fn canonical_level_any_spelling(raw: Cow<'_, str>) -> Cow<'_, str> {
    let mut buf = [0u8; 24];
    match squash_into(&raw, &mut buf) {
        "norisk" | "none" => Cow::Borrowed("none"),
        "low" => Cow::Borrowed("low"),
        "medium" | "med" => Cow::Borrowed("medium"),
        "high" => Cow::Borrowed("high"),
        _ => raw,
    }
}

pub(crate) fn canonical_result(raw: Cow<'_, str>) -> Cow<'_, str> {
    match raw.as_ref() {
        "Success" => return Cow::Borrowed("success"),
        "Failure" => return Cow::Borrowed("failure"),
        _ => {}
    }
    canonical_result_any_spelling(raw)
}

pub(crate) fn canonical_result_any_spelling(raw: Cow<'_, str>) -> Cow<'_, str> {
    let mut buf = [0u8; 24];
    match squash_into(&raw, &mut buf) {
        "success" | "succeeded" | "pass" => Cow::Borrowed("success"),
        "failure" | "failed" | "fail" => Cow::Borrowed("failure"),
        _ => raw,
    }
}

pub(crate) fn parse_bool(raw: &Field<'_>) -> Option<bool> {
    match raw {
        Field::Bool(b) => Some(*b),
        _ => {
            // Compared in place: lowercasing a copy was an allocation per
            // record (Cognito writes `compromisedCredentialDetected` in each).
            let text = raw.text()?;
            let text = text.trim();
            if text.eq_ignore_ascii_case("true") {
                Some(true)
            } else if text.eq_ignore_ascii_case("false") {
                Some(false)
            } else {
                None
            }
        }
    }
}

/// Splits one challenge: `"Password:Success"`, or the API's object form
/// `{"challengeName": "Password", "challengeResponse": "Success"}`.
pub(crate) fn parse_challenge<'a>(f: &Field<'a>) -> Option<Challenge<'a>> {
    match f {
        Field::Obj(o) => {
            let name = o.get("challengeName").or_else(|| o.get("name"))?.text()?;
            let result = o
                .get("challengeResponse")
                .or_else(|| o.get("result"))
                .and_then(Field::text)
                .map(canonical_result);
            Some(Challenge { name, result })
        }
        _ => {
            let text = f.text()?;
            let (name, result) = match text {
                Cow::Borrowed(s) => match s.bytes().position(|b| b == b':') {
                    Some(i) => (
                        Cow::Borrowed(trim(&s[..i])),
                        Some(Cow::Borrowed(trim(&s[i + 1..]))),
                    ),
                    None => (Cow::Borrowed(s), None),
                },
                Cow::Owned(s) => match s.split_once(':') {
                    Some((n, r)) => (
                        Cow::Owned(n.trim().to_owned()),
                        Some(Cow::Owned(r.trim().to_owned())),
                    ),
                    None => (Cow::Owned(s), None),
                },
            };
            if name.is_empty() {
                return None;
            }
            let result = result.filter(|r| !r.is_empty()).map(canonical_result);
            Some(Challenge { name, result })
        }
    }
}

/// Parses `challenges`: an array of challenges, or one string of them
/// separated by commas. `None` if any item is unusable (then the raw value
/// goes to `unmapped`).
pub(crate) fn parse_challenges<'a>(f: &Field<'a>) -> Option<Vec<Challenge<'a>>> {
    match f {
        Field::Arr(items) => items
            .iter()
            .filter(|i| !i.is_absent())
            .map(parse_challenge)
            .collect(),
        Field::Str(s) => s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| parse_challenge(&Field::Str(Cow::Owned(p.to_owned()))))
            .collect(),
        _ => None,
    }
}

/// `s.trim()`, skipping the search when both ends are visible ASCII (which
/// is never whitespace), as nearly every value is.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

pub(crate) fn not_other(s: &str) -> bool {
    let t = trim(s);
    !t.is_empty() && !t.eq_ignore_ascii_case("other") && !t.eq_ignore_ascii_case("unknown")
}

/// `"Chrome 126, Windows 10"` -> browser `Chrome 126`, OS `Windows 10`;
/// `"Other"` means absent.
pub fn split_device(name: &str) -> (Option<&str>, Option<&str>) {
    let (browser, os) = match name.bytes().position(|b| b == b',') {
        Some(i) => (trim(&name[..i]), Some(trim(&name[i + 1..]))),
        None => (trim(name), None),
    };
    (
        Some(browser).filter(|b| not_other(b)),
        os.filter(|o| not_other(o)),
    )
}

/// The region of a user pool id: `ap-northeast-1_EcsdFoftu` -> `ap-northeast-1`.
pub fn pool_region(pool_id: &str) -> Option<&str> {
    // One pass over the bytes: at least three dash-separated parts of
    // lowercase letters and digits, the last all digits, before the first
    // underscore, and something after it.
    let underscore = pool_id.bytes().position(|b| b == b'_')?;
    let (region, rest) = (pool_id.get(..underscore)?, pool_id.get(underscore + 1..)?);
    let mut parts = 1;
    let mut part_len = 0;
    let mut part_digits = true;
    for b in region.bytes() {
        if b == b'-' {
            if part_len == 0 {
                return None;
            }
            parts += 1;
            part_len = 0;
            part_digits = true;
        } else if b.is_ascii_digit() {
            part_len += 1;
        } else if b.is_ascii_lowercase() {
            part_len += 1;
            part_digits = false;
        } else {
            return None;
        }
    }
    (parts >= 3 && part_len > 0 && part_digits && !rest.is_empty()).then_some(region)
}

/// The canonical text of `ip` (RFC 5952 for IPv6), borrowing `raw` when it
/// is already exactly that, which is the usual case: no allocation.
pub(crate) fn canonical_ip<'a>(ip: IpAddr, raw: Cow<'a, str>) -> Cow<'a, str> {
    let same = match ip {
        // Rust's IPv4 parser takes only the canonical dotted quad (no
        // leading zeros), so a parsed IPv4 text is canonical once trimmed;
        // `Field::text` has trimmed it.
        IpAddr::V4(_) => raw.len() == trim(&raw).len(),
        // Written as `Display` writes it, without its machinery.
        IpAddr::V6(v6) => crate::ip::write_v6(v6, &mut [0; 48]) == raw.as_ref(),
    };
    if same {
        raw
    } else {
        Cow::Owned(ip.to_string())
    }
}

/// `s.parse::<IpAddr>()`, with the usual dotted quad read directly.
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    match parse_ipv4_strict(s) {
        Some(v4) => Some(IpAddr::V4(v4)),
        None => s.parse().ok(),
    }
}

/// A dotted quad of decimal octets without leading zeros, the only form
/// the standard parser accepts for IPv4 (a property test holds the two
/// equal); `None` sends anything else to the standard parser.
pub(crate) fn parse_ipv4_strict(s: &str) -> Option<std::net::Ipv4Addr> {
    let b = s.as_bytes();
    if b.len() > 15 {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut part = 0;
    let mut value: u32 = 0;
    let mut digits = 0;
    for &c in b {
        if c.is_ascii_digit() {
            if digits > 0 && value == 0 {
                return None; // leading zero
            }
            value = value * 10 + u32::from(c - b'0');
            digits += 1;
            if value > 255 {
                return None;
            }
        } else if c == b'.' && digits > 0 && part < 3 {
            octets[part] = value as u8;
            part += 1;
            value = 0;
            digits = 0;
        } else {
            return None;
        }
    }
    if part != 3 || digits == 0 {
        return None;
    }
    octets[3] = value as u8;
    Some(std::net::Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Outcome;

    #[test]
    fn canonical_addresses_are_borrowed_and_others_rewritten() {
        for raw in ["192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1", "fe80::1"] {
            let ip: IpAddr = raw.parse().unwrap();
            assert!(matches!(canonical_ip(ip, Cow::Borrowed(raw)), Cow::Borrowed(s) if s == raw));
        }
        for raw in ["2001:DB8::1", "2001:db8:0:0:0:0:0:1", "0:0::1"] {
            let ip: IpAddr = raw.parse().unwrap();
            let got = canonical_ip(ip, Cow::Borrowed(raw));
            assert!(matches!(got, Cow::Owned(_)), "{raw}");
            assert_eq!(got, ip.to_string());
        }
    }

    #[test]
    fn canonicalizes_every_spelling_of_risk() {
        for (raw, want) in [
            ("PASS", "no_risk"),
            ("NoRisk", "no_risk"),
            ("Block", "block"),
            ("BLOCK", "block"),
            ("AccountTakeover", "account_takeover"),
            ("ACCOUNT_TAKEOVER", "account_takeover"),
            ("SomethingNew", "SomethingNew"),
        ] {
            assert_eq!(canonical_decision(raw.into()), want, "{raw}");
        }
        for (raw, want) in [
            ("Low", "low"),
            ("LOW", "low"),
            ("Medium", "medium"),
            ("HIGH", "high"),
            ("Extreme", "Extreme"),
        ] {
            assert_eq!(canonical_level(raw.into()), want, "{raw}");
        }
    }

    #[test]
    fn cognito_spellings_canonicalize_as_the_general_match_does() {
        for raw in ["NoRisk", "AccountTakeover", "Block", "block", "PASS", "x"] {
            assert_eq!(
                canonical_decision(raw.into()),
                canonical_decision_any_spelling(raw.into()),
                "{raw}"
            );
        }
        for raw in ["Low", "Medium", "High", "LOW", "none", "x"] {
            assert_eq!(
                canonical_level(raw.into()),
                canonical_level_any_spelling(raw.into()),
                "{raw}"
            );
        }
        for raw in ["Success", "Failure", "success", "FAIL", "x"] {
            assert_eq!(
                canonical_result(raw.into()),
                canonical_result_any_spelling(raw.into()),
                "{raw}"
            );
        }
        for raw in ["Pass", "Fail", "InProgress", "in_progress", "x"] {
            assert_eq!(
                Outcome::from_response(Some(raw)),
                Outcome::from_response_any_spelling(Some(raw)),
                "{raw}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn the_dotted_quad_parser_agrees_with_the_standard_one(
            s in "[0-9]{0,4}(\\.[0-9]{0,4}){0,4}[.a-f: ]?",
        ) {
            if let Some(ip) = parse_ipv4_strict(&s) {
                proptest::prop_assert_eq!(Ok(ip), s.parse::<std::net::Ipv4Addr>(), "{:?}", s);
            }
            proptest::prop_assert_eq!(parse_ip(&s), s.parse().ok(), "{:?}", s);
        }

        #[test]
        fn the_quick_trim_trims_as_str_trim_does(s in "\\PC{0,6}|[ \\t\\u{a0}\\u{3000}a,]{0,6}") {
            proptest::prop_assert_eq!(trim(&s), s.trim());
        }
    }

    #[test]
    fn splits_device_names() {
        assert_eq!(
            split_device("Chrome 126, Windows 10"),
            (Some("Chrome 126"), Some("Windows 10"))
        );
        assert_eq!(split_device("Other, Other"), (None, None));
        assert_eq!(split_device("Safari 17"), (Some("Safari 17"), None));
        assert_eq!(
            split_device("Other, Mac OS X 10.15"),
            (None, Some("Mac OS X 10.15"))
        );
    }

    /// The first definition of [`pool_region`], by splitting.
    fn pool_region_by_splitting(pool_id: &str) -> Option<&str> {
        let (region, rest) = pool_id.split_once('_')?;
        let parts: Vec<&str> = region.split('-').collect();
        let well_formed = parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        let last_digits = parts
            .last()
            .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
        (parts.len() >= 3 && well_formed && last_digits && !rest.is_empty()).then_some(region)
    }

    proptest::proptest! {
        #[test]
        fn the_one_pass_pool_region_agrees_with_splitting(s in "[a-z0-9A-Z_-]{0,16}|[a-z]{2}-[a-z]{0,9}-[0-9a]{0,2}_[a-zA-Z0-9_]{0,4}") {
            proptest::prop_assert_eq!(pool_region(&s), pool_region_by_splitting(&s));
        }
    }

    proptest::proptest! {
        #[test]
        fn a_boolean_is_read_as_lowercasing_a_copy_read_it(
            s in "[ \t\u{a0}]{0,2}(?i:true|false|tru|falsey|t)[ \t\u{3000}]{0,2}|\\PC{0,8}",
        ) {
            // The reference: what parse_bool did before it compared in place.
            let reference = match s.trim().to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            };
            proptest::prop_assert_eq!(parse_bool(&Field::Str(Cow::Borrowed(&s))), reference);
        }
    }

    #[test]
    fn derives_the_region_from_the_pool_id() {
        assert_eq!(
            pool_region("ap-northeast-1_EcsdFoftu"),
            Some("ap-northeast-1")
        );
        assert_eq!(pool_region("us-gov-west-1_abc"), Some("us-gov-west-1"));
        assert_eq!(pool_region("nonsense"), None);
        assert_eq!(pool_region("US-EAST-1_abc"), None);
        assert_eq!(pool_region("us-east-1_"), None);
    }
}
