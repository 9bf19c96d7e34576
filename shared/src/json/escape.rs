//! The one JSON escape scanner and the one string writer.
//!
//! Every JSON string we write (output lines, the Firehose response, pieces
//! re-ingested) goes through [`write_str`], escaped exactly as serde_json
//! escapes (RFC 8259 section 7: `"`, `\`, and control characters, with the
//! short forms `\b \f \n \r \t`), and [`str_len`] says how long that
//! will be without writing it. The parser finds the end of a plain string
//! run with the same word check ([`plain_run`]). Most strings are short and
//! need no escape (about 25 per record, mostly 5-40 bytes), so the work per
//! string is kept small: a string of up to 32 bytes is checked a word at a
//! time, with no loop, and copied with its closing quote in one or two copies
//! of constant length, with no call to `memcpy` ([`rest_of_str`], [`dirty`]).

/// Whether a byte must be escaped in a JSON string.
#[inline]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = ONES * 0x80;

/// Nonzero if and only if one of the eight bytes of `x` needs an escape.
///
/// `(v - ONES * k) & !v & HIGH` is nonzero exactly when some byte of `v` is
/// below `k`, for `k <= 0x80`
/// (<https://graphics.stanford.edu/~seander/bithacks.html#HasLessInWord>:
/// a borrow can mark bytes above the first one found, never one alone).
/// `x ^ 0x02` maps the control characters onto themselves and `"` (0x22)
/// onto 0x20, and nothing else below 0x21, so one such test finds both;
/// `x ^ '\\'` maps a backslash to zero. The two share their `!v & HIGH`,
/// since the xors leave each byte's high bit as it was.
#[inline(always)]
fn dirty(x: u64) -> u64 {
    let control_or_quote = (x ^ (ONES * 0x02)).wrapping_sub(ONES * 0x21);
    let backslash = (x ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
    (control_or_quote | backslash) & !x & HIGH
}

/// A clean byte, to fill the unused bytes of a word built from a string
/// shorter than eight bytes.
const PAD: u64 = ONES * 0x41;
const QUOTE: u8 = b'"';

/// Appends the rest of the JSON string literal of `s` after its opening
/// quote: `s` escaped, and the closing quote.
///
/// Up to 16 bytes, the string is read as one or two (overlapping) words,
/// checked, and appended with its closing quote as one copy of 8 or 24
/// bytes (a constant length: no loop and no call to `memcpy`), the bytes
/// past the quote then cut off again. Longer strings go to [`rest_of_long_str`].
#[inline]
pub(crate) fn rest_of_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let n = bytes.len();
    let start = out.len();
    if let (Some(head), Some(tail)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        if n > 16 {
            return rest_of_long_str(out, bytes);
        }
        let (head, tail) = (u64::from_le_bytes(*head), u64::from_le_bytes(*tail));
        if dirty(head) | dirty(tail) != 0 {
            return escaped_value(out, bytes);
        }
        // The two words overlap by 16 - n bytes, the same bytes in both, so
        // or-ing them together puts every byte in its place; the bytes
        // from `n` on are zero, and the quote goes to byte `n` (to the
        // last eight bytes when `n` is 16, its shift then being 128).
        let v = u128::from(head)
            | u128::from(tail) << (8 * (n - 8))
            | u128::from(QUOTE) << (8 * n - 8) << 8;
        let mut buf = [QUOTE; 24];
        buf[..16].copy_from_slice(&v.to_le_bytes());
        out.extend_from_slice(&buf);
        out.truncate(start + n + 1);
        return;
    }
    let v = if let (Some(head), Some(tail)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << (8 * (n - 4))
    } else {
        match *bytes {
            [] => 0,
            [a] => u64::from(a),
            [a, b] => u64::from(a) | u64::from(b) << 8,
            [a, b, c] => u64::from(a) | u64::from(b) << 8 | u64::from(c) << 16,
            _ => return escaped_value(out, bytes),
        }
    };
    // Bytes from `n` on are zero in `v`: checked as a clean byte instead.
    if dirty(v | PAD << (8 * n)) != 0 {
        return escaped_value(out, bytes);
    }
    out.extend_from_slice(&(v | u64::from(QUOTE) << (8 * n)).to_le_bytes());
    out.truncate(start + n + 1);
}

/// [`rest_of_str`] for strings of more than 16 bytes: up to 32, four words (the
/// last two overlapping the first two) and two 16-byte copies; longer,
/// eight bytes at a time and one copy.
#[inline(never)]
fn rest_of_long_str(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    if let (true, Some(head), Some(tail)) =
        (n <= 32, bytes.first_chunk::<16>(), bytes.last_chunk::<16>())
    {
        let (head, tail) = (u128::from_le_bytes(*head), u128::from_le_bytes(*tail));
        let dirty16 = |v: u128| dirty(v as u64) | dirty((v >> 64) as u64);
        if dirty16(head) | dirty16(tail) != 0 {
            return escaped_value(out, bytes);
        }
        let start = out.len();
        out.extend_from_slice(&head.to_le_bytes());
        out.truncate(start + n - 16);
        out.extend_from_slice(&tail.to_le_bytes());
    } else if is_clean(bytes) {
        out.extend_from_slice(bytes);
    } else {
        return escaped_value(out, bytes);
    }
    out.push(QUOTE);
}

/// Whether no byte of `bytes` needs an escape (any length; [`rest_of_str`] has
/// its own checks for strings up to 32 bytes).
pub(crate) fn is_clean(bytes: &[u8]) -> bool {
    let word = |w: &[u8; 8]| u64::from_le_bytes(*w);
    let Some(tail) = bytes.last_chunk::<8>() else {
        return !bytes.iter().any(|&b| needs_escape(b));
    };
    let mut acc = dirty(word(tail));
    let mut rest = bytes;
    while let Some((w, r)) = rest.split_first_chunk::<8>() {
        acc |= dirty(word(w));
        rest = r;
    }
    acc == 0
}

/// Appends `s` as a JSON string literal, escaped as serde_json escapes.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(QUOTE);
    rest_of_str(out, s);
}

/// [`rest_of_str`] for a string with something to escape.
#[cold]
#[inline(never)]
fn escaped_value(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len());
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(QUOTE);
}

/// The length [`write_str`] writes for `s`, without writing it.
pub(crate) fn str_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    if is_clean(bytes) {
        return bytes.len() + 2;
    }
    2 + bytes
        .iter()
        .map(|&b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

/// The index of the first byte at or after `i` that ends a plain run of
/// string contents: a quote, a backslash or a control character (or the
/// end). The parser's scan, with the writer's word check ([`dirty`]): the
/// lowest byte it marks is always one that needs an escape.
#[inline]
pub(crate) fn plain_run(bytes: &[u8], mut i: usize) -> usize {
    let start = i;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let found = dirty(u64::from_le_bytes(word));
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
        if i - start >= 64 {
            return long_run(bytes, i);
        }
    }
    while let Some(&b) = bytes.get(i) {
        if needs_escape(b) {
            return i;
        }
        i += 1;
    }
    i
}

/// [`plain_run`] for long strings (base64 in a Firehose event, long
/// messages): `memchr` finds the next quote or backslash with SIMD, then the
/// run before it is checked for control characters 32 bytes at a time.
fn long_run(bytes: &[u8], i: usize) -> usize {
    let rest = bytes.get(i..).unwrap_or_default();
    let stop = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
    let run = rest.get(..stop).unwrap_or_default();
    let mut chunks = run.chunks_exact(32);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        if chunk.iter().fold(false, |any, &b| any | (b < 0x20)) {
            break;
        }
        offset += 32;
    }
    match run
        .get(offset..)
        .unwrap_or_default()
        .iter()
        .position(|&b| b < 0x20)
    {
        Some(p) => i + offset + p,
        None => i + stop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_length_is_what_the_writer_writes() {
        for b in 0..=0x7fu8 {
            let s = format!("a{}b", char::from(b));
            let mut out = Vec::new();
            write_str(&mut out, &s);
            assert_eq!(out.len(), str_len(&s), "byte {b:#x}");
        }
    }

    #[test]
    fn a_plain_run_ends_at_the_first_byte_that_needs_an_escape() {
        for len in 0..150 {
            for pos in 0..len {
                for bad in [0u8, 0x1f, b'"', b'\\'] {
                    let mut v = vec![b'a'; len];
                    v[pos] = bad;
                    if pos + 1 < len {
                        v[len - 1] = b'"';
                    }
                    assert_eq!(plain_run(&v, 0), pos, "{len} {pos} {bad}");
                }
            }
            assert_eq!(plain_run(&vec![0x80u8; len], 0), len);
        }
    }

    #[test]
    fn the_clean_string_check_agrees_with_a_byte_by_byte_one() {
        for len in 0..80 {
            for pos in 0..len {
                for bad in [0u8, 0x1f, b'"', b'\\'] {
                    let mut v = vec![b'a'; len];
                    v[pos] = bad;
                    assert!(!is_clean(&v), "{len} {pos} {bad}");
                }
                let mut v = vec![b'a'; len];
                v[pos] = 0x7f;
                assert!(is_clean(&v));
            }
            assert!(is_clean(&vec![0xffu8; len]));
        }
    }

    #[test]
    fn the_word_check_finds_exactly_the_bytes_that_need_an_escape() {
        // Every byte value at every place, on clean backgrounds below and
        // above it, and every pair of neighbouring bytes (a borrow from
        // one byte into the next must never hide or invent a finding).
        for background in [b'a', 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xff] {
            for pos in 0..8 {
                for b in 0..=255u8 {
                    let mut w = [background; 8];
                    w[pos] = b;
                    let found = dirty(u64::from_le_bytes(w)) != 0;
                    assert_eq!(found, needs_escape(b), "{background} {pos} {b}");
                }
            }
        }
        for pos in [0, 3, 6] {
            for a in 0..=255u8 {
                for b in 0..=255u8 {
                    let mut w = [b'a'; 8];
                    w[pos] = a;
                    w[pos + 1] = b;
                    let found = dirty(u64::from_le_bytes(w)) != 0;
                    assert_eq!(found, needs_escape(a) || needs_escape(b), "{pos} {a} {b}");
                }
            }
        }
    }

    #[test]
    fn strings_of_every_length_are_written_as_serde_writes_them() {
        // Each length through each path (short words, one or two words,
        // 16-byte chunks, the general loop), each escaped byte at each
        // place, after a prefix so that positions in `out` are not zero.
        let ours = |s: &str| {
            let mut out = b"prefix".to_vec();
            write_str(&mut out, s);
            String::from_utf8(out).unwrap()
        };
        for len in 0..80 {
            let clean = "é-x_Z9 ".chars().cycle().take(len).collect::<String>();
            assert_eq!(
                ours(&clean),
                format!("prefix{}", serde_json::to_string(&clean).unwrap())
            );
            for pos in 0..len {
                for bad in ['\0', '\u{1f}', '\n', '"', '\\', '\u{7f}', '😀'] {
                    let mut v: Vec<char> = vec!['a'; len];
                    v[pos] = bad;
                    let s: String = v.into_iter().collect();
                    assert_eq!(
                        ours(&s),
                        format!("prefix{}", serde_json::to_string(&s).unwrap())
                    );
                }
            }
        }
    }

    /// Strings of 0 to 70 bytes, mostly ASCII, with quotes, backslashes,
    /// control characters and multi-byte characters mixed in.
    fn tricky_string() -> impl Strategy<Value = String> {
        let c = prop_oneof![
            8 => proptest::char::range(' ', '~'),
            1 => proptest::char::range('\0', '\u{1f}'),
            1 => Just('"'),
            1 => Just('\\'),
            1 => prop_oneof![Just('\u{7f}'), Just('é'), Just('€'), Just('😀')],
        ];
        proptest::collection::vec(c, 0..70).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_string_round_trips_and_its_length_is_known(s in "\\PC*|[\\x00-\\x20\"\\\\]*") {
            let mut out = Vec::new();
            write_str(&mut out, &s);
            prop_assert_eq!(out.len(), str_len(&s));
            let naive = s.bytes().any(needs_escape);
            prop_assert_eq!(!is_clean(s.as_bytes()), naive);
            let back: String = serde_json::from_slice(&out).unwrap();
            prop_assert_eq!(back, s);
        }

        #[test]
        fn any_string_is_written_as_serde_to_string_writes_it(
            s in tricky_string(),
            prefix in "[a-z]{0,9}",
        ) {
            let mut out = prefix.as_bytes().to_vec();
            write_str(&mut out, &s);
            prop_assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("{prefix}{}", serde_json::to_string(&s).unwrap())
            );
        }
    }
}
