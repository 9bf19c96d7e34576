//! Pseudonymisation of IP addresses and user names for GDPR-minded feeds.
//!
//! Hashing is HMAC-SHA256 (RFC 2104) keyed with `HASH_KEY`, so the same input
//! gives the same output across invocations and functions (joins still work),
//! while nobody without the key can test a guess. The input is prefixed with
//! a domain label (`ip:` / `user:`) so an IP and a user name that happen to be
//! the same text do not hash alike. Truncation keeps the network: IPv4 to
//! /24 and IPv6 to /48, the granularity commonly accepted as not identifying
//! a single subscriber.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::HashKey;

/// What the hash is of; part of the MAC input.
#[derive(Debug, Clone, Copy)]
pub enum Domain {
    Ip,
    UserName,
}

/// Lower-case hex of HMAC-SHA256(key, domain || value).
pub fn hmac_hex(key: &HashKey, domain: Domain, value: &str) -> String {
    // new_from_slice accepts keys of any length for HMAC.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(match domain {
        Domain::Ip => b"ip:",
        Domain::UserName => b"user:",
    });
    mac.update(value.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(64);
    for b in digest {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// The IPv4 address an IPv6 address carries, if it is one of the forms
/// that hold a whole client IPv4 address: IPv4-mapped (`::ffff:0:0/96`),
/// 6to4 (`2002::/16`, RFC 3056, bits 16..48), Teredo (`2001::/32`,
/// RFC 4380, the client's address inverted in the last 32 bits) and the
/// NAT64 well-known prefix (`64:ff9b::/96`, RFC 6052). The privacy modes
/// treat such an address as that IPv4 address: truncating the IPv6 form to
/// /48 would keep a 6to4 client's whole IPv4 address, and hashing it would
/// give the same client two pseudonyms.
pub fn embedded_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let from = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        Some(v4)
    } else if s[0] == 0x2002 {
        Some(from(s[1], s[2]))
    } else if s[0] == 0x2001 && s[1] == 0 {
        Some(from(!s[6], !s[7]))
    } else if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        Some(from(s[6], s[7]))
    } else {
        None
    }
}

/// The address the privacy modes work on: an IPv6 address carrying a
/// client IPv4 address ([`embedded_ipv4`]) counts as that IPv4 address.
pub fn private_view(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => embedded_ipv4(v6).map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// The network part of an address: IPv4 /24, IPv6 /48, an IPv4 address
/// embedded in IPv6 to its IPv4 /24.
pub fn truncate_ip(ip: IpAddr) -> IpAddr {
    match private_view(ip) {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::V4(Ipv4Addr::new(a, b, c, 0))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_keyed_and_domain_separated() {
        let k1 = HashKey::new(b"0123456789abcdef".to_vec());
        let k2 = HashKey::new(b"fedcba9876543210".to_vec());
        let a = hmac_hex(&k1, Domain::Ip, "203.0.113.7");
        assert_eq!(a, hmac_hex(&k1, Domain::Ip, "203.0.113.7"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, hmac_hex(&k2, Domain::Ip, "203.0.113.7"));
        assert_ne!(a, hmac_hex(&k1, Domain::UserName, "203.0.113.7"));
    }

    #[test]
    fn matches_values_computed_independently() {
        // Computed with Python's hmac module:
        // hmac.new(b"key", b"user:alice", hashlib.sha256).hexdigest()
        let key = HashKey::new(b"key".to_vec());
        assert_eq!(
            hmac_hex(&key, Domain::UserName, "alice"),
            "1242d1844d161e461b59f3b5b8ed509bf94a7d2909ff52ea6f5183d47035270b"
        );
        assert_eq!(
            hmac_hex(&key, Domain::Ip, "203.0.113.7"),
            "39c36955de96ddbcb5d3205c986331d5260d7a8bc364b4bdc072c66a647fbf34"
        );
    }

    #[test]
    fn embedded_ipv4_addresses_count_as_ipv4_in_the_privacy_modes() {
        for (v6, v4) in [
            ("::ffff:203.0.113.77", "203.0.113.77"),
            ("2002:cb00:714d::1", "203.0.113.77"),
            ("2001:0:4136:e378:8000:63bf:34ff:8eb2", "203.0.113.77"),
            ("64:ff9b::cb00:714d", "203.0.113.77"),
        ] {
            let ip: IpAddr = v6.parse().unwrap();
            assert_eq!(private_view(ip).to_string(), v4, "{v6}");
            assert_eq!(truncate_ip(ip).to_string(), "203.0.113.0", "{v6}");
        }
        for plain in ["2001:db8::1", "2600:1f18::1", "::1", "fe80::1"] {
            let ip: IpAddr = plain.parse().unwrap();
            assert_eq!(private_view(ip), ip, "{plain}");
        }
    }

    #[test]
    fn truncates_to_the_network() {
        assert_eq!(
            truncate_ip("203.0.113.77".parse().unwrap()).to_string(),
            "203.0.113.0"
        );
        assert_eq!(
            truncate_ip("2001:db8:abcd:1234::1".parse().unwrap()).to_string(),
            "2001:db8:abcd::"
        );
    }
}
