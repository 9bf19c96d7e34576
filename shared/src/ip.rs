//! The canonical text of an IPv6 address, written without `core::fmt`.
//!
//! Normalization keeps a source IP text as it came when it is already
//! canonical, and checking that means writing the canonical text and
//! comparing. Through `write!(buf, "{v6}")` that costs some 3,000
//! instructions per address (the formatting machinery, one `{:x}` call per
//! group); [`write_v6`] writes the same bytes in a few hundred.
//!
//! The text is exactly what `impl Display for std::net::Ipv6Addr` writes
//! (checked against it by the property tests below), which follows
//! [RFC 5952 section 4](https://www.rfc-editor.org/rfc/rfc5952#section-4):
//! lowercase hex without leading zeros, the longest run of two or more zero
//! groups (the first one on a tie) shortened to `::`, a lone zero group
//! written as `0`. Std writes the dotted IPv4 form for IPv4-mapped
//! addresses (`::ffff:0:0/96`, [`Ipv6Addr::to_ipv4_mapped`]) only; the
//! deprecated IPv4-compatible addresses (`::a.b.c.d`) print in hex
//! (`::c000:201`), and so do `::` and `::1`.

use std::net::Ipv6Addr;

/// The two hex digits of every byte, the first digit in the low byte so a
/// little-endian store puts it first.
const HEX_PAIRS: [u16; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = HEX[i >> 4] as u16 | (HEX[i & 0xf] as u16) << 8;
        i += 1;
    }
    table
};

/// Writes `addr` as `std::net::Ipv6Addr`'s `Display` writes it (RFC 5952:
/// lowercase hex, no leading zeros, the longest run of two or more zero
/// groups, the first such run on a tie, as `::`, and `::ffff:a.b.c.d` for
/// IPv4-mapped addresses exactly as std does) into `buf`, returning the
/// text. No allocation, no `core::fmt`.
///
/// The longest text is 39 bytes (eight four-digit groups); `buf` has room
/// to spare so every group and its colon can be written as one eight-byte
/// store before the cursor moves past its real digits.
pub fn write_v6(addr: Ipv6Addr, buf: &mut [u8; 48]) -> &str {
    let groups = addr.segments();
    let len = if let Some(v4) = addr.to_ipv4_mapped() {
        buf[..7].copy_from_slice(b"::ffff:");
        let [a, b, c, d] = v4.octets();
        let mut pos = put_dec(buf, 7, a);
        for octet in [b, c, d] {
            buf[pos] = b'.';
            pos = put_dec(buf, pos + 1, octet);
        }
        pos
    } else {
        // Every group is written with a colon after it; the last colon is
        // dropped unless it belongs to a trailing `::`.
        let (start, run) = longest_zero_run(&groups);
        if run > 1 {
            let mut pos = 0;
            if start == 0 {
                buf[0] = b':';
                pos = 1;
            }
            for &group in &groups[..start] {
                pos = put_group(buf, pos, group);
            }
            buf[pos] = b':';
            pos += 1;
            let tail = &groups[start + run..];
            for &group in tail {
                pos = put_group(buf, pos, group);
            }
            if tail.is_empty() {
                pos
            } else {
                pos - 1
            }
        } else {
            let mut pos = 0;
            for group in groups {
                pos = put_group(buf, pos, group);
            }
            pos - 1
        }
    };
    // Only ASCII was written, so this cannot fail.
    std::str::from_utf8(&buf[..len]).unwrap_or("")
}

/// Start and length of the first longest run of zero groups (length 0 when
/// there is none; the start is then meaningless).
///
/// Bit `i` of `zero` says group `i` is zero. `starts` keeps the bits where a
/// run of at least `len + 1` zero groups begins: ANDing it with `zero`
/// shifted down by one more group each round drops the runs that are too
/// short. The last non-empty `starts` holds the longest runs, and its lowest
/// bit is the first of them, which is RFC 5952's choice on a tie.
fn longest_zero_run(groups: &[u16; 8]) -> (usize, usize) {
    let mut zero = 0u32;
    for (i, &group) in groups.iter().enumerate() {
        zero |= u32::from(group == 0) << i;
    }
    let (mut starts, mut longest, mut len) = (zero, 0u32, 0);
    while starts != 0 {
        longest = starts;
        len += 1;
        starts &= zero >> len;
    }
    (longest.trailing_zeros() as usize, len)
}

/// Writes `group` as lowercase hex without leading zeros (`0` for zero)
/// and a colon from `pos`; returns the end. Eight bytes are stored at once
/// and the cursor moves past the digits and the colon only: what lies
/// beyond is overwritten by the next write or cut off by the caller's final
/// length. A group starts at most at byte 35 (after seven groups and
/// colons), so the store stays inside the 48 bytes.
fn put_group(buf: &mut [u8; 48], pos: usize, group: u16) -> usize {
    // Significant bits, at least 1 so zero gets one digit.
    let bits = 16 - (group | 1).leading_zeros() as usize;
    let digits = bits.div_ceil(4);
    let [hi, lo] = group.to_be_bytes();
    let four = u64::from(HEX_PAIRS[usize::from(hi)]) | u64::from(HEX_PAIRS[usize::from(lo)]) << 16;
    // Drop the leading zero digits (the low bytes), put the colon after.
    let text = four >> (8 * (4 - digits)) | u64::from(b':') << (8 * digits);
    if let Some(dst) = buf.get_mut(pos..pos + 8) {
        dst.copy_from_slice(&text.to_le_bytes());
    }
    pos + digits + 1
}

/// Writes `octet` in decimal without leading zeros from `pos`; returns the
/// end.
fn put_dec(buf: &mut [u8; 48], pos: usize, octet: u8) -> usize {
    if octet >= 100 {
        buf[pos] = b'0' + octet / 100;
        buf[pos + 1] = b'0' + octet / 10 % 10;
        buf[pos + 2] = b'0' + octet % 10;
        pos + 3
    } else if octet >= 10 {
        buf[pos] = b'0' + octet / 10;
        buf[pos + 1] = b'0' + octet % 10;
        pos + 2
    } else {
        buf[pos] = b'0' + octet;
        pos + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(addr: Ipv6Addr) -> String {
        let mut buf = [0u8; 48];
        write_v6(addr, &mut buf).to_owned()
    }

    /// Parses `input`, writes it and checks both the expected text and
    /// that std agrees, so a wrong expectation here cannot hide a bug.
    fn check(input: &str, expected: &str) {
        let addr: Ipv6Addr = input.parse().unwrap();
        assert_eq!(text(addr), expected, "write_v6 of {input}");
        assert_eq!(addr.to_string(), expected, "std's Display of {input}");
    }

    #[test]
    fn the_unspecified_address_is_a_lone_double_colon() {
        check("0:0:0:0:0:0:0:0", "::");
    }

    #[test]
    fn loopback_is_written_in_hex_not_as_ipv4() {
        check("0:0:0:0:0:0:0:1", "::1");
    }

    #[test]
    fn a_zero_run_at_the_end_leaves_a_trailing_double_colon() {
        check("1:0:0:0:0:0:0:0", "1::");
        check("fe80:0:0:1:0:0:0:0", "fe80:0:0:1::");
        check("fe80:0:0:0:0:1:0:0", "fe80::1:0:0");
    }

    #[test]
    fn the_longest_zero_run_is_compressed_not_the_first() {
        check("1:0:0:1:0:0:0:1", "1:0:0:1::1");
    }

    #[test]
    fn the_first_of_two_equally_long_zero_runs_is_compressed() {
        check("1:0:0:1:0:0:1:1", "1::1:0:0:1:1");
        check("0:0:1:1:1:1:0:0", "::1:1:1:1:0:0");
        check("fe80:0:0:0:1:0:0:0", "fe80::1:0:0:0");
    }

    #[test]
    fn ipv4_mapped_addresses_are_written_dotted() {
        check("::ffff:c000:0201", "::ffff:192.0.2.1");
        check("::ffff:0:0", "::ffff:0.0.0.0");
        check("::ffff:255.255.255.255", "::ffff:255.255.255.255");
        check("::ffff:10.0.99.100", "::ffff:10.0.99.100");
    }

    #[test]
    fn ipv4_compatible_and_other_embedded_ipv4_addresses_are_written_in_hex() {
        check("::192.0.2.1", "::c000:201");
        check("64:ff9b::192.0.2.1", "64:ff9b::c000:201");
        check("::fffe:192.0.2.1", "::fffe:c000:201");
        check("1::ffff:192.0.2.1", "1::ffff:c000:201");
    }

    #[test]
    fn a_documentation_address_loses_its_leading_zeros() {
        check("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    }

    #[test]
    fn a_single_zero_group_is_written_as_zero_not_compressed() {
        check("2001:db8:1:2:3:4:0:ffff", "2001:db8:1:2:3:4:0:ffff");
        check("0:1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7");
    }

    #[test]
    fn the_longest_possible_text_fits() {
        check(
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        );
    }

    /// Groups drawn mostly from zero, `0xffff` and small values, so zero
    /// runs of every length and position, ties between runs and the
    /// `::ffff:` prefixes come up often.
    fn group() -> impl Strategy<Value = u16> {
        prop_oneof![
            6 => Just(0u16),
            2 => Just(0xffffu16),
            2 => 1u16..=0x20,
            1 => 0x0fffu16..=0x1000,
            1 => any::<u16>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn any_random_address_is_written_as_std_writes_it(bits in any::<u128>()) {
            let addr = Ipv6Addr::from(bits);
            prop_assert_eq!(text(addr), addr.to_string());
        }

        #[test]
        fn addresses_full_of_zero_runs_are_written_as_std_writes_them(
            groups in proptest::array::uniform8(group()),
        ) {
            let addr = Ipv6Addr::from(groups);
            prop_assert_eq!(text(addr), addr.to_string());
        }

        #[test]
        fn mapped_looking_addresses_are_written_as_std_writes_them(
            head in prop_oneof![
                Just([0, 0, 0, 0, 0, 0xffff]),
                Just([0, 0, 0, 0, 0, 0]),
                Just([0, 0, 0, 0, 0, 0xfffe]),
                Just([0, 0, 0, 0, 1, 0xffff]),
                Just([0x64, 0xff9b, 0, 0, 0, 0]),
                proptest::array::uniform6(group()),
            ],
            v4 in prop_oneof![any::<u32>(), 0u32..=0x1_0000, Just(u32::MAX)],
        ) {
            let [a, b, c, d, e, f] = head;
            let g = (v4 >> 16) as u16;
            let h = v4 as u16;
            let addr = Ipv6Addr::new(a, b, c, d, e, f, g, h);
            prop_assert_eq!(text(addr), addr.to_string());
        }
    }
}
