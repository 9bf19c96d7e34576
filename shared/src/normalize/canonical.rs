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
        _ => match raw.text()?.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
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
