//! The keys the normalizer knows, matched fast: one bit number per key,
//! and the raw-text matchers the single-pass normalizer uses, comparing
//! eight bytes at a time.

use std::borrow::Cow;

use crate::cognito::{Field, Object};

/// The keys of the top-level object that normalize reads, one bit each.
pub(crate) mod top {
    pub const EVENT_TIMESTAMP: u32 = 0;
    pub const EVENT_SOURCE: u32 = 1;
    pub const LOG_LEVEL: u32 = 2;
    pub const MESSAGE: u32 = 3;
    pub const LOG_SOURCE_ID: u32 = 4;
}

pub(crate) fn top_key(k: &str) -> Option<u32> {
    Some(match k {
        "eventTimestamp" => top::EVENT_TIMESTAMP,
        "eventSource" => top::EVENT_SOURCE,
        "logLevel" => top::LOG_LEVEL,
        "message" => top::MESSAGE,
        "logSourceId" => top::LOG_SOURCE_ID,
        _ => return None,
    })
}

/// The keys of `message` that normalize reads, one bit each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Msg {
    City,
    EventId,
    Version,
    UserSub,
    IdpName,
    Country,
    Details,
    UserName,
    Username,
    ClientId,
    EventType,
    RequestId,
    RiskLevel,
    IpAddress,
    Challenges,
    UserPoolId,
    DeviceName,
    CreationDate,
    RiskDecision,
    EventResponse,
    FeedbackDate,
    FeedbackValue,
    FeedbackProvider,
    CompromisedCredential,
    CompromisedCredentials,
    HasContextData,
}

/// Which known `message` key `k` is: dispatched on the length first, so
/// each key is compared with at most six others of its length.
pub(crate) fn msg_key(k: &str) -> Option<Msg> {
    Some(match k.len() {
        4 if k == "city" => Msg::City,
        7 => match k {
            "eventId" => Msg::EventId,
            "version" => Msg::Version,
            "userSub" => Msg::UserSub,
            "idpName" => Msg::IdpName,
            "country" => Msg::Country,
            "details" => Msg::Details,
            _ => return None,
        },
        8 => match k {
            "userName" => Msg::UserName,
            "username" => Msg::Username,
            "clientId" => Msg::ClientId,
            _ => return None,
        },
        9 => match k {
            "eventType" => Msg::EventType,
            "requestId" => Msg::RequestId,
            "riskLevel" => Msg::RiskLevel,
            "ipAddress" => Msg::IpAddress,
            _ => return None,
        },
        10 => match k {
            "challenges" => Msg::Challenges,
            "userPoolId" => Msg::UserPoolId,
            "deviceName" => Msg::DeviceName,
            _ => return None,
        },
        12 => match k {
            "creationDate" => Msg::CreationDate,
            "riskDecision" => Msg::RiskDecision,
            _ => return None,
        },
        13 if k == "eventResponse" => Msg::EventResponse,
        14 if k == "hasContextData" => Msg::HasContextData,
        17 if k == "eventFeedbackDate" => Msg::FeedbackDate,
        18 if k == "eventFeedbackValue" => Msg::FeedbackValue,
        21 if k == "eventFeedbackProvider" => Msg::FeedbackProvider,
        29 if k == "compromisedCredentialDetected" => Msg::CompromisedCredential,
        30 if k == "compromisedCredentialsDetected" => Msg::CompromisedCredentials,
        _ => return None,
    })
}

/// Eight bytes as one number, for matching keys.
pub(crate) const fn word(s: &[u8; 8]) -> u64 {
    u64::from_le_bytes(*s)
}

/// The eight bytes of `text` at `at`, as one number.
pub(crate) fn word_at(text: &[u8], at: usize) -> Option<u64> {
    let bytes: &[u8; 8] = text.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(word(bytes))
}

/// Whether `text` starts with `key` and then its closing quote, for keys
/// of at least eight bytes: compared eight bytes at a time (the last
/// eight overlapping), which for these short keys beats a call to memcmp.
#[inline]
pub(crate) fn is_key_at(text: &[u8], key: &[u8]) -> bool {
    let n = key.len();
    if n < 8 || text.get(n) != Some(&b'"') {
        return false;
    }
    let (Some(text), Some(tail)) = (text.get(..n), n.checked_sub(8)) else {
        return false;
    };
    let same = |at: usize| match (word_at(text, at), word_at(key, at)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    (0..tail).step_by(8).all(same) && same(tail)
}

/// [`msg_key`] read from the raw text just past a key's opening quote,
/// without scanning it: the key's first eight bytes (quote included for the
/// seven-letter ones) name at most one candidate, compared in full. `None`
/// for anything else; the parser then reads the key as any other.
pub(crate) fn msg_key_raw(rest: &[u8]) -> Option<(usize, Msg)> {
    const K_EVENTIDQ: u64 = word(b"eventId\"");
    const K_VERSIONQ: u64 = word(b"version\"");
    const K_USERSUBQ: u64 = word(b"userSub\"");
    const K_IDPNAMEQ: u64 = word(b"idpName\"");
    const K_COUNTRYQ: u64 = word(b"country\"");
    const K_DETAILSQ: u64 = word(b"details\"");
    const K_USERNAME: u64 = word(b"userName");
    const K_USERNAME_LOWER: u64 = word(b"username");
    const K_CLIENTID: u64 = word(b"clientId");
    const K_EVENTTYP: u64 = word(b"eventTyp");
    const K_REQUESTI: u64 = word(b"requestI");
    const K_RISKLEVE: u64 = word(b"riskLeve");
    const K_IPADDRES: u64 = word(b"ipAddres");
    const K_CHALLENG: u64 = word(b"challeng");
    const K_USERPOOL: u64 = word(b"userPool");
    const K_DEVICENA: u64 = word(b"deviceNa");
    const K_CREATION: u64 = word(b"creation");
    const K_RISKDECI: u64 = word(b"riskDeci");
    const K_EVENTRES: u64 = word(b"eventRes");
    const K_EVENTFEE: u64 = word(b"eventFee");
    const K_COMPROMI: u64 = word(b"compromi");
    const K_HASCONTE: u64 = word(b"hasConte");
    let candidate: (&[u8], Msg) = if rest.get(..5).is_some_and(|h| h == b"city\"") {
        (b"city", Msg::City)
    } else {
        match word_at(rest, 0)? {
            K_EVENTIDQ => (b"eventId", Msg::EventId),
            K_VERSIONQ => (b"version", Msg::Version),
            K_USERSUBQ => (b"userSub", Msg::UserSub),
            K_IDPNAMEQ => (b"idpName", Msg::IdpName),
            K_COUNTRYQ => (b"country", Msg::Country),
            K_DETAILSQ => (b"details", Msg::Details),
            K_USERNAME => (b"userName", Msg::UserName),
            K_USERNAME_LOWER => (b"username", Msg::Username),
            K_CLIENTID => (b"clientId", Msg::ClientId),
            K_EVENTTYP => (b"eventType", Msg::EventType),
            K_REQUESTI => (b"requestId", Msg::RequestId),
            K_RISKLEVE => (b"riskLevel", Msg::RiskLevel),
            K_IPADDRES => (b"ipAddress", Msg::IpAddress),
            K_CHALLENG => (b"challenges", Msg::Challenges),
            K_USERPOOL => (b"userPoolId", Msg::UserPoolId),
            K_DEVICENA => (b"deviceName", Msg::DeviceName),
            K_CREATION => (b"creationDate", Msg::CreationDate),
            K_RISKDECI => (b"riskDecision", Msg::RiskDecision),
            K_EVENTRES => (b"eventResponse", Msg::EventResponse),
            K_EVENTFEE => match rest.get(13) {
                Some(b'D') => (b"eventFeedbackDate", Msg::FeedbackDate),
                Some(b'V') => (b"eventFeedbackValue", Msg::FeedbackValue),
                _ => (b"eventFeedbackProvider", Msg::FeedbackProvider),
            },
            K_COMPROMI => match rest.get(21) {
                Some(b's') => (
                    b"compromisedCredentialsDetected",
                    Msg::CompromisedCredentials,
                ),
                _ => (b"compromisedCredentialDetected", Msg::CompromisedCredential),
            },
            K_HASCONTE => (b"hasContextData", Msg::HasContextData),
            _ => return None,
        }
    };
    let (key, id) = candidate;
    // "city" was matched with its quote; a seven-letter key's quote was
    // the eighth byte of the word it matched.
    (key.len() < 8 || is_key_at(rest, key)).then_some((key.len(), id))
}

/// [`top_key`] read from the raw text, as [`msg_key_raw`] reads.
pub(crate) fn top_key_raw(rest: &[u8]) -> Option<(usize, u32)> {
    const K_EVENTTIM: u64 = word(b"eventTim");
    const K_EVENTSOU: u64 = word(b"eventSou");
    const K_LOGLEVEL: u64 = word(b"logLevel");
    const K_MESSAGEQ: u64 = word(b"message\"");
    const K_LOGSOURC: u64 = word(b"logSourc");
    let (key, id): (&[u8], u32) = match word_at(rest, 0)? {
        K_EVENTTIM => (b"eventTimestamp", top::EVENT_TIMESTAMP),
        K_EVENTSOU => (b"eventSource", top::EVENT_SOURCE),
        K_LOGLEVEL => (b"logLevel", top::LOG_LEVEL),
        K_MESSAGEQ => (b"message", top::MESSAGE),
        K_LOGSOURC => (b"logSourceId", top::LOG_SOURCE_ID),
        _ => return None,
    };
    // "message" was matched with its quote.
    (key.len() < 8 || is_key_at(rest, key)).then_some((key.len(), id))
}

/// Calls `f` on the entries of `obj` from last to first, each key once: its
/// last value, as [`Object::get`] and [`Object::entries`] resolve
/// duplicates. `key` names the keys the caller knows by a bit number (below
/// 64), so duplicates among them cost one bit test; other keys, rare, are
/// compared with the entries after them. A large object goes through
/// [`Object::entries`], the general code.
pub(crate) fn for_each_last_first<'o, 'a, K: Copy + Into<u32>>(
    obj: &'o Object<'a>,
    key: fn(&str) -> Option<K>,
    mut f: impl FnMut(&'o Cow<'a, str>, &'o Field<'a>, Option<K>),
) {
    if obj.0.len() > 64 {
        let unique: Vec<_> = obj.entries().collect();
        for (k, v) in unique.into_iter().rev() {
            f(k, v, key(k));
        }
        return;
    }
    let mut seen = 0u64;
    for (i, (k, v)) in obj.0.iter().enumerate().rev() {
        let id = key(k);
        match id {
            Some(id) => {
                let bit = 1u64 << (id.into() & 63);
                if seen & bit != 0 {
                    continue;
                }
                seen |= bit;
            }
            None => {
                if obj
                    .0
                    .get(i + 1..)
                    .is_some_and(|later| later.iter().any(|(o, _)| o == k))
                {
                    continue;
                }
            }
        }
        f(k, v, id);
    }
}

impl From<Msg> for u32 {
    fn from(m: Msg) -> u32 {
        m as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG_KEYS: [&str; 26] = [
        "city",
        "eventId",
        "version",
        "userSub",
        "idpName",
        "country",
        "details",
        "userName",
        "username",
        "clientId",
        "eventType",
        "requestId",
        "riskLevel",
        "ipAddress",
        "challenges",
        "userPoolId",
        "deviceName",
        "creationDate",
        "riskDecision",
        "eventResponse",
        "eventFeedbackDate",
        "eventFeedbackValue",
        "eventFeedbackProvider",
        "compromisedCredentialDetected",
        "compromisedCredentialsDetected",
        "hasContextData",
    ];
    const TOP_KEYS: [&str; 5] = [
        "eventTimestamp",
        "eventSource",
        "logLevel",
        "message",
        "logSourceId",
    ];

    #[test]
    fn every_known_key_is_recognized_in_its_raw_text() {
        for tail in ["\"", "\":\"x\",", "\":1}"] {
            for k in MSG_KEYS {
                let raw = format!("{k}{tail}");
                assert_eq!(
                    msg_key_raw(raw.as_bytes()),
                    Some((k.len(), msg_key(k).unwrap())),
                    "{raw}"
                );
            }
            for k in TOP_KEYS {
                let raw = format!("{k}{tail}");
                assert_eq!(
                    top_key_raw(raw.as_bytes()),
                    Some((k.len(), top_key(k).unwrap())),
                    "{raw}"
                );
            }
        }
        for raw in [
            "cit\"",
            "city",
            "eventIds\"",
            "eventFeedbackDat\"",
            "user\\u004eame\"",
            "logLevel_\"",
            "messages\"",
        ] {
            assert_eq!(msg_key_raw(raw.as_bytes()), None, "{raw}");
            assert_eq!(top_key_raw(raw.as_bytes()), None, "{raw}");
        }
    }

    /// Text that starts like a key, known or nearly.
    fn key_like() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let known = proptest::sample::select(
            MSG_KEYS
                .iter()
                .chain(TOP_KEYS.iter())
                .copied()
                .collect::<Vec<_>>(),
        );
        (known, 0..40usize, "[a-zA-Z\"\\\\]{0,3}", "[\":,a-z]{0,4}").prop_map(
            |(k, cut, mid, tail)| {
                let cut = cut.min(k.len());
                format!("{}{mid}{tail}", &k[..cut])
            },
        )
    }

    proptest::proptest! {
        #[test]
        fn the_raw_key_readers_agree_with_the_key_readers(text in key_like()) {
            let b = text.as_bytes();
            // Whatever is recognized is the whole key, as the readers name it.
            if let Some((len, id)) = msg_key_raw(b) {
                proptest::prop_assert_eq!(b.get(len), Some(&b'"'));
                proptest::prop_assert_eq!(msg_key(&text[..len]), Some(id));
            }
            if let Some((len, id)) = top_key_raw(b) {
                proptest::prop_assert_eq!(b.get(len), Some(&b'"'));
                proptest::prop_assert_eq!(top_key(&text[..len]), Some(id));
            }
            // And every known key followed by its quote is recognized.
            if let Some((key, _)) = text.split_once('"') {
                if msg_key(key).is_some() {
                    proptest::prop_assert!(msg_key_raw(b).is_some());
                }
                if top_key(key).is_some() {
                    proptest::prop_assert!(top_key_raw(b).is_some());
                }
            }
        }
    }
}
