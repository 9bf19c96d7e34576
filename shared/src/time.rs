//! Time parsing and formatting, without a date library.
//!
//! Cognito writes `eventTimestamp` as epoch milliseconds in a string
//! (`"1723070073369"`) and `creationDate` in Java's `Date.toString()` form
//! (`"Wed Aug 07 22:34:33 UTC 2024"`). We emit RFC 3339 in UTC with
//! milliseconds. The civil-date arithmetic is Howard Hinnant's
//! `days_from_civil` / `civil_from_days` (public domain,
//! <https://howardhinnant.github.io/date_algorithms.html>), exact for the whole
//! proleptic Gregorian calendar; we restrict it to years 1..=9999 so every
//! output is a valid RFC 3339 timestamp.

/// Milliseconds since the Unix epoch of 0001-01-01T00:00:00Z.
pub const MIN_EPOCH_MS: i64 = -62_135_596_800_000;
/// Milliseconds since the Unix epoch of 9999-12-31T23:59:59.999Z.
pub const MAX_EPOCH_MS: i64 = 253_402_300_799_999;

/// A UTC calendar time split into fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Civil {
    /// Splits epoch milliseconds; `None` outside years 1..=9999.
    pub fn from_epoch_ms(ms: i64) -> Option<Civil> {
        if !(MIN_EPOCH_MS..=MAX_EPOCH_MS).contains(&ms) {
            return None;
        }
        let days = ms.div_euclid(86_400_000);
        let rem = ms.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        let secs = rem / 1000;
        Some(Civil {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            minute: (secs / 60 % 60) as u32,
            second: (secs % 60) as u32,
            millis: (rem % 1000) as u32,
        })
    }

    pub fn to_epoch_ms(self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        days * 86_400_000
            + i64::from(self.hour) * 3_600_000
            + i64::from(self.minute) * 60_000
            + i64::from(self.second) * 1000
            + i64::from(self.millis)
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS` into the first 19 bytes of `buf`
    /// (digits by hand: `write!` costs several times more, per event).
    fn fill_seconds(&self, buf: &mut [u8]) {
        // `from_epoch_ms` keeps the year in 1..=9999.
        put_digits(&mut buf[0..4], u32::try_from(self.year).unwrap_or(0));
        put_digits(&mut buf[5..7], self.month);
        put_digits(&mut buf[8..10], self.day);
        put_digits(&mut buf[11..13], self.hour);
        put_digits(&mut buf[14..16], self.minute);
        put_digits(&mut buf[17..19], self.second);
    }
}

/// Writes the low `dst.len()` decimal digits of `v`, zero-padded.
fn put_digits(dst: &mut [u8], mut v: u32) {
    for d in dst.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
}
/// Epoch milliseconds as RFC 3339 UTC with milliseconds, if in range.
pub fn rfc3339_millis(ms: i64) -> Option<Stamp> {
    let civil = Civil::from_epoch_ms(ms)?;
    let mut buf = *b"0000-00-00T00:00:00.000Z";
    civil.fill_seconds(&mut buf);
    put_digits(&mut buf[20..23], civil.millis);
    Some(Stamp { buf, len: 24 })
}

/// `2024-08-07T22:34:33Z` for a civil time, as a [`Stamp`].
pub fn rfc3339_seconds(civil: &Civil) -> Stamp {
    let mut buf = *b"0000-00-00T00:00:00Z\0\0\0\0";
    civil.fill_seconds(&mut buf);
    Stamp { buf, len: 20 }
}

/// An RFC 3339 timestamp held inline, as text: every normalized record has
/// one or two, and a `String` for each was an allocation per record.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    buf: [u8; 24],
    len: u8,
}

impl Stamp {
    /// The empty text.
    pub const EMPTY: Stamp = Stamp {
        buf: [0; 24],
        len: 0,
    };

    /// The text's bytes, ASCII digits and punctuation only: a writer can
    /// copy them into JSON as they are, without reading them as UTF-8.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits and punctuation are ever written.
        self.buf
            .get(..usize::from(self.len))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

impl std::ops::Deref for Stamp {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Reads a stamp back from a written record (`output::read_normalized`): an
/// RFC 3339 text of at most 24 bytes, checked by parsing it.
impl<'de> serde::Deserialize<'de> for Stamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Stamp::parse(&text).ok_or_else(|| {
            serde::de::Error::custom("a timestamp of the form 2024-08-07T22:34:33.369Z")
        })
    }
}

impl Stamp {
    /// `text` as a stamp, when it is RFC 3339 UTC as this library writes it
    /// (`Z`, with or without milliseconds).
    pub fn parse(text: &str) -> Option<Stamp> {
        let bytes = text.as_bytes();
        let well_formed = match bytes.len() {
            20 => bytes.get(19) == Some(&b'Z'),
            24 => bytes.get(19) == Some(&b'.') && bytes.get(23) == Some(&b'Z'),
            _ => false,
        } && bytes.iter().enumerate().all(|(i, &b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 | 23 => b == b'.' || b == b'Z',
            _ => b.is_ascii_digit(),
        });
        if !well_formed {
            return None;
        }
        let mut buf = [0u8; 24];
        buf.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(Stamp {
            buf,
            len: bytes.len() as u8,
        })
    }
}

/// Parses Cognito's `eventTimestamp`: epoch milliseconds as decimal digits
/// (a string or a JSON number), tolerating surrounding whitespace and a
/// fractional part (`"1723070073369.0"`), within years 1..=9999.
pub fn parse_epoch_ms(s: &str) -> Option<i64> {
    // Fast path: plain digits, as Cognito writes it (the general code below
    // reads them the same way; a property test holds the two equal).
    let b = s.as_bytes();
    if (1..=16).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) {
        let ms = b
            .iter()
            .fold(0i64, |acc, &d| acc * 10 + i64::from(d - b'0'));
        return (MIN_EPOCH_MS..=MAX_EPOCH_MS).contains(&ms).then_some(ms);
    }
    parse_epoch_ms_general(s)
}

/// [`parse_epoch_ms`]'s production fallback for anything but plain digits.
fn parse_epoch_ms_general(s: &str) -> Option<i64> {
    let s = s.trim();
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let digits = int.strip_prefix('-').unwrap_or(int);
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ms: i64 = int.parse().ok()?;
    (MIN_EPOCH_MS..=MAX_EPOCH_MS).contains(&ms).then_some(ms)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `"jan"` as `0x6a616e`: a name of three lowercase letters as one integer.
const fn key3(s: &str) -> u32 {
    let b = s.as_bytes();
    (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32
}

const MONTH_KEYS: [u32; 12] = {
    let mut keys = [0; 12];
    let mut i = 0;
    while i < 12 {
        keys[i] = key3(MONTHS[i]);
        i += 1;
    }
    keys
};

const WEEKDAY_KEYS: [u32; 7] = {
    let mut keys = [0; 7];
    let mut i = 0;
    while i < 7 {
        keys[i] = key3(WEEKDAYS[i]);
        i += 1;
    }
    keys
};

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses Java's `Date.toString()` form as Cognito writes `creationDate`:
/// `"Wed Aug 07 22:34:33 UTC 2024"`. The zone must be `UTC` or `GMT` (the
/// only ones Cognito uses); the weekday is checked only for its spelling,
/// since a wrong weekday says nothing about which instant was meant.
/// Returns epoch milliseconds.
pub fn parse_java_date(s: &str) -> Option<i64> {
    parse_java_date_fixed(s).or_else(|| parse_java_date_general(s))
}

/// [`parse_java_date`]'s production fallback for any spelling the fixed
/// form declines: fields split on whitespace, any case.
fn parse_java_date_general(s: &str) -> Option<i64> {
    let mut parts = s.split_ascii_whitespace();
    let weekday = parts.next()?;
    let month = parts.next()?;
    let day = parts.next()?;
    let clock = parts.next()?;
    let zone = parts.next()?;
    let year = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    if !WEEKDAYS.iter().any(|w| w.eq_ignore_ascii_case(weekday)) {
        return None;
    }
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? as u32 + 1;
    if !(zone.eq_ignore_ascii_case("UTC") || zone.eq_ignore_ascii_case("GMT")) {
        return None;
    }
    let num = |t: &str, max_len: usize| -> Option<u32> {
        if t.is_empty() || t.len() > max_len || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let year = i64::from(num(year, 4)?);
    let day = num(day, 2)?;
    let mut hms = clock.split(':');
    let hour = num(hms.next()?, 2)?;
    let minute = num(hms.next()?, 2)?;
    let second = num(hms.next()?, 2)?;
    if hms.next().is_some() {
        return None;
    }
    checked_epoch_ms(year, month, day, hour, minute, second)
}

/// The form exactly as Cognito writes it, `Www Mmm dd hh:mm:ss UTC yyyy`
/// (28 bytes, single spaces, two-digit fields), parsed by position: the
/// common case, about five times cheaper than splitting. `None` sends any
/// other spelling to the general parser, which accepts a superset of this.
fn parse_java_date_fixed(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 28
        || b[3] != b' '
        || b[7] != b' '
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b' '
        || &b[20..24] != b"UTC "
    {
        return None;
    }
    let two = |i: usize| -> Option<u32> {
        let (h, l) = (b[i], b[i + 1]);
        (h.is_ascii_digit() && l.is_ascii_digit())
            .then(|| u32::from(h - b'0') * 10 + u32::from(l - b'0'))
    };
    // The three letters of each name, lowercased into one integer.
    let key = |i: usize| {
        u32::from(b[i].to_ascii_lowercase()) << 16
            | u32::from(b[i + 1].to_ascii_lowercase()) << 8
            | u32::from(b[i + 2].to_ascii_lowercase())
    };
    let weekday = key(0);
    if !WEEKDAY_KEYS.contains(&weekday) {
        return None;
    }
    let month_name = key(4);
    let month = MONTH_KEYS.iter().position(|&m| m == month_name)? as u32 + 1;
    let year = i64::from(two(24)? * 100 + two(26)?);
    let (day, hour, minute, second) = (two(8)?, two(11)?, two(14)?, two(17)?);
    checked_epoch_ms(year, month, day, hour, minute, second)
}

/// Epoch milliseconds of a calendar time, if every field is in range.
fn checked_epoch_ms(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> Option<i64> {
    let valid = year >= 1
        && (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && hour <= 23
        && minute <= 59
        && second <= 59;
    valid.then(|| {
        Civil {
            year,
            month,
            day,
            hour,
            minute,
            second,
            millis: 0,
        }
        .to_epoch_ms()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn a_written_stamp_reads_back_as_itself_and_nothing_else_does() {
        for ms in [
            0,
            1_723_070_073_369,
            253_402_300_799_999,
            -62_135_596_800_000,
        ] {
            let stamp = rfc3339_millis(ms).unwrap();
            assert_eq!(Stamp::parse(&stamp), Some(stamp));
            let seconds = rfc3339_seconds(&Civil::from_epoch_ms(ms).unwrap());
            assert_eq!(Stamp::parse(&seconds), Some(seconds));
            let json = serde_json::to_string(&stamp).unwrap();
            assert_eq!(serde_json::from_str::<Stamp>(&json).unwrap(), stamp);
        }
        for text in [
            "",
            "2024-08-07",
            "2024-08-07T22:34:33.369",
            "2024-08-07T22:34:33+00:00",
            "2024-08-07 22:34:33.369Z",
            "2024-08-07T22:34:33.369ZZ",
            "2024-08-07T22:34:3x.369Z",
        ] {
            assert_eq!(Stamp::parse(text), None, "{text:?}");
        }
    }
    #[test]
    fn a_stamp_reads_serializes_and_prints_as_its_text() {
        let civil = Civil::from_epoch_ms(1_723_070_073_369).unwrap();
        let seconds = rfc3339_seconds(&civil);
        assert_eq!(&*seconds, "2024-08-07T22:34:33Z");
        assert_eq!(
            serde_json::to_string(&seconds).unwrap(),
            "\"2024-08-07T22:34:33Z\""
        );
        assert_eq!(
            format!("{seconds} {seconds:?}"),
            "2024-08-07T22:34:33Z \"2024-08-07T22:34:33Z\""
        );
        assert_eq!(&*Stamp::EMPTY, "");
        assert_ne!(Some(seconds), rfc3339_millis(1_723_070_073_369));
    }

    use proptest::prelude::*;

    #[test]
    fn formats_the_field_record_timestamp() {
        assert_eq!(
            rfc3339_millis(1_723_070_073_369).as_deref(),
            Some("2024-08-07T22:34:33.369Z")
        );
        assert_eq!(
            rfc3339_millis(0).as_deref(),
            Some("1970-01-01T00:00:00.000Z")
        );
        assert_eq!(
            rfc3339_millis(-1).as_deref(),
            Some("1969-12-31T23:59:59.999Z")
        );
        assert_eq!(
            rfc3339_millis(MAX_EPOCH_MS).as_deref(),
            Some("9999-12-31T23:59:59.999Z")
        );
        assert_eq!(
            rfc3339_millis(MIN_EPOCH_MS).as_deref(),
            Some("0001-01-01T00:00:00.000Z")
        );
        assert_eq!(rfc3339_millis(MAX_EPOCH_MS + 1), None);
        assert_eq!(rfc3339_millis(i64::MIN), None);
    }

    #[test]
    fn parses_epoch_millis_strings_strictly() {
        assert_eq!(parse_epoch_ms("1723070073369"), Some(1_723_070_073_369));
        assert_eq!(parse_epoch_ms(" 1723070073369 "), Some(1_723_070_073_369));
        assert_eq!(parse_epoch_ms("1723070073369.0"), Some(1_723_070_073_369));
        assert_eq!(parse_epoch_ms(""), None);
        assert_eq!(parse_epoch_ms("abc"), None);
        assert_eq!(parse_epoch_ms("1e12"), None);
        assert_eq!(parse_epoch_ms("+5"), None);
        assert_eq!(parse_epoch_ms("99999999999999999999"), None);
        assert_eq!(parse_epoch_ms("1."), None);
    }

    proptest! {
        #[test]
        fn the_fixed_position_parser_agrees_with_the_general_one(
            wd in "(Mon|tue|WED|Xyz)", mon in "(Jan|feb|DEC|Foo)",
            day in 0u32..40, h in 0u32..30, m in 0u32..70, sec in 0u32..70,
            zone in "(UTC|GMT|utc|PDT)", year in 0u32..10000,
        ) {
            let s = format!("{wd} {mon} {day:02} {h:02}:{m:02}:{sec:02} {zone} {year:04}");
            let fast = parse_java_date_fixed(&s);
            if fast.is_some() {
                prop_assert_eq!(fast, parse_java_date_general(&s));
            }
            prop_assert_eq!(parse_java_date(&s), parse_java_date(&format!(" {s}")));
        }
    }

    proptest! {
        #[test]
        fn the_digits_fast_path_agrees_with_the_general_epoch_parser(
            s in "[0-9]{0,20}|-?[0-9]{1,17}(\\.[0-9]{0,3})?| ?[0-9 ]{0,18}",
        ) {
            prop_assert_eq!(parse_epoch_ms(&s), parse_epoch_ms_general(&s), "{:?}", s);
        }
    }

    #[test]
    fn parses_java_dates_as_cognito_writes_them() {
        let ms = parse_java_date("Wed Aug 07 22:34:33 UTC 2024").unwrap();
        assert_eq!(
            rfc3339_millis(ms).as_deref(),
            Some("2024-08-07T22:34:33.000Z")
        );
        assert!(parse_java_date("Thu Feb 29 00:00:00 UTC 2024").is_some());
        assert!(parse_java_date("Thu Feb 29 00:00:00 UTC 2023").is_none());
        assert!(parse_java_date("Wed Aug 07 22:34:33 PDT 2024").is_none());
        assert!(parse_java_date("Wed Aug 07 24:00:00 UTC 2024").is_none());
        assert!(parse_java_date("2024-08-07T22:34:33Z").is_none());
        assert!(parse_java_date("Wed Aug 07 22:34:33 UTC 2024 extra").is_none());
        assert!(parse_java_date("").is_none());
    }

    proptest! {
        #[test]
        fn epoch_millis_round_trip_through_civil_fields(ms in MIN_EPOCH_MS..=MAX_EPOCH_MS) {
            let civil = Civil::from_epoch_ms(ms).unwrap();
            prop_assert_eq!(civil.to_epoch_ms(), ms);
            prop_assert!((1..=12).contains(&civil.month));
            prop_assert!(civil.day >= 1 && civil.day <= days_in_month(civil.year, civil.month));
        }

        #[test]
        fn parsers_never_panic(s in ".{0,64}") {
            let _ = parse_epoch_ms(&s);
            let _ = parse_java_date(&s);
        }
    }
}
