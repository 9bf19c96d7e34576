//! Privacy inside `unmapped` and on the source address: under `IP_MODE`
//! and `USER_NAME_MODE`, every IP address found in a value with no home in
//! the schema, and every user-name-like key's value, is truncated or
//! hashed before any output format sees it.

use std::borrow::Cow;
use std::net::IpAddr;

use crate::cognito::{Field, Object};
use crate::config::{Config, IpMode, UserNameMode};
use crate::privacy::{hmac_hex, private_view, truncate_ip, Domain};

use super::canonical::{canonical_ip, parse_ip, trim};
use super::schema::Source;

/// Under a privacy mode, what nothing else maps must not carry what the mode
/// hides: wherever it is under `unmapped` (a top-level `ipAddress`, a case
/// variant such as `IpAddress`, `xForwardedFor`, an extra member of
/// `logSourceId`, inside arrays and objects), a string that is an IP address,
/// or a comma-separated list of them, is truncated or hashed as `source.ip`
/// would be (`IP_MODE`), and the string under a user-name-like key
/// (`username`, `user_name`, `preferredUsername`, any case) is hashed
/// (`USER_NAME_MODE=hash`).
pub(crate) fn scrub_unmapped(
    entries: &mut [(Cow<'_, str>, Field<'_>)],
    parent: Option<&str>,
    cfg: &Config,
) {
    for (key, value) in entries.iter_mut() {
        scrub_field(value, Some(key.as_ref()).or(parent), cfg);
    }
}

pub(crate) fn scrub_field(value: &mut Field<'_>, key: Option<&str>, cfg: &Config) {
    match value {
        Field::Obj(Object(members)) => scrub_unmapped(members, key, cfg),
        Field::Arr(items) => items.iter_mut().for_each(|v| scrub_field(v, key, cfg)),
        Field::Str(text) => {
            if cfg.user_name_mode == UserNameMode::Hash && key.is_some_and(is_user_name_key) {
                *text = Cow::Owned(hmac_hex(&cfg.hash_key, Domain::UserName, text));
            } else if cfg.ip_mode != IpMode::Keep {
                if let Some(hidden) = hide_addresses(text, cfg) {
                    *text = Cow::Owned(hidden);
                }
            }
        }
        _ => {}
    }
}

pub(crate) fn is_user_name_key(key: &str) -> bool {
    let folded: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    matches!(folded.as_str(), "username" | "preferredusername")
}

/// `text` with each address of an address or a comma-separated list of
/// addresses truncated or hashed; `None` when it is not one.
pub(crate) fn hide_addresses(text: &str, cfg: &Config) -> Option<String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let addresses: Vec<IpAddr> = parts.iter().map(|p| parse_ip(p)).collect::<Option<_>>()?;
    let hidden: Vec<String> = addresses
        .into_iter()
        .map(|ip| match cfg.ip_mode {
            IpMode::Hash => hmac_hex(&cfg.hash_key, Domain::Ip, &private_view(ip).to_string()),
            _ => truncate_ip(ip).to_string(),
        })
        .collect();
    Some(hidden.join(", "))
}

/// Applies `IP_MODE` to a raw address. Returns false when the value is not
/// an IP address.
pub(crate) fn apply_ip<'a>(source: &mut Source<'a>, raw: Cow<'a, str>, cfg: &Config) -> bool {
    let parsed = parse_ip(trim(&raw));
    match cfg.ip_mode {
        IpMode::Keep => match parsed {
            Some(ip) => {
                source.ip = Some(canonical_ip(ip, raw));
                source.ip_version = Some(if ip.is_ipv4() { 4 } else { 6 });
                true
            }
            None => false,
        },
        IpMode::Truncate => match parsed {
            Some(ip) => {
                // An IPv4 address carried in IPv6 is truncated (and counted) as IPv4.
                let ip = private_view(ip);
                source.ip = Some(Cow::Owned(truncate_ip(ip).to_string()));
                source.ip_version = Some(if ip.is_ipv4() { 4 } else { 6 });
                true
            }
            None => false,
        },
        // Hash the canonical text of a valid address, so that "2001:DB8::1"
        // and "2001:db8::1" hash alike. An IPv4 address carried in IPv6
        // hashes as that IPv4 address: one client, one pseudonym, whichever
        // way its address arrived. A value that is not an address is dropped,
        // as under truncate: its hash would pass for one address shared by
        // every record with the same junk ("-", "unknown").
        IpMode::Hash => match parsed {
            Some(ip) => {
                let ip = private_view(ip);
                source.ip_hash = Some(hmac_hex(&cfg.hash_key, Domain::Ip, &ip.to_string()));
                source.ip_version = Some(if ip.is_ipv4() { 4 } else { 6 });
                true
            }
            None => false,
        },
    }
}
