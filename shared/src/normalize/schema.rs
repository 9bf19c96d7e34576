//! The normalized record's types: our own versioned schema
//! (docs/schema.md). The serde derives here are its definition; the hand
//! writer in `output::normalized` is held to them byte for byte.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};

use crate::cognito::{squash_into, LogKind, Object};
use crate::time;

pub const SCHEMA_VERSION: &str = "1";

/// A field whose value is one of this library's own constants. (Named, not
/// written `&'static str`, so that serde's derive does not take the field
/// for text borrowed from the input: each is read back by a function in
/// `read` that answers the constant.)
pub type Constant = &'static str;

/// How the record reached Firehose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// Cognito log delivery straight to Firehose (or Firehose's own
    /// CloudWatch Logs decompression, which leaves bare records).
    Direct,
    /// A CloudWatch Logs subscription filter envelope.
    CloudwatchLogs,
}

/// Where the record came from, beyond the record itself.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    pub transport: Option<Transport>,
    /// The CloudWatch Logs envelope's `owner`, else the stream's account.
    pub account_id: Option<Cow<'a, str>>,
    pub log_group: Option<Cow<'a, str>>,
    pub log_stream: Option<Cow<'a, str>>,
    pub log_event_id: Option<Cow<'a, str>>,
    /// The log event's timestamp (CloudWatch Logs), epoch ms.
    pub log_event_time_ms: Option<i64>,
    /// Firehose's `approximateArrivalTimestamp`, epoch ms.
    pub arrival_time_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    InProgress,
    Unknown,
}

impl Outcome {
    pub fn from_response(response: Option<&str>) -> Outcome {
        match response {
            Some("Pass") => return Outcome::Success,
            Some("Fail") => return Outcome::Failure,
            Some("InProgress") => return Outcome::InProgress,
            _ => {}
        }
        Self::from_response_any_spelling(response)
    }

    pub(crate) fn from_response_any_spelling(response: Option<&str>) -> Outcome {
        let mut buf = [0u8; 24];
        match response.map(|r| squash_into(r, &mut buf)) {
            Some("pass" | "success" | "succeeded") => Outcome::Success,
            Some("fail" | "failure" | "failed") => Outcome::Failure,
            Some("inprogress") => Outcome::InProgress,
            _ => Outcome::Unknown,
        }
    }
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::InProgress => "in_progress",
            Outcome::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Cow<'a, str>>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<Cow<'a, str>>,
    pub outcome: Outcome,
    /// `eventResponse` as Cognito wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Cow<'a, str>>,
    /// `creationDate` as RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<time::Stamp>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Risk<'a> {
    /// `no_risk`, `account_takeover`, `block`, or the raw value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Cow<'a, str>>,
    /// `none`, `low`, `medium`, `high`, or the raw value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compromised_credentials: Option<bool>,
    /// `hasContextData`: whether the app sent the user context data
    /// (device fingerprint, IP address, location) that threat protection
    /// scores risk with. Without it the assessment rests on less.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_context_data: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Challenge<'a> {
    pub name: Cow<'a, str>,
    /// `success`, `failure`, or the raw value; absent when not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Cow<'a, str>>,
}

impl Challenge<'_> {
    /// Whether this is a second factor (SMS, email, TOTP, passkey...).
    pub fn is_mfa(&self) -> bool {
        // Squashed into a stack buffer; a name too long for it (none that
        // Cognito writes) is squashed into a `String`.
        let mut buf = [0u8; 64];
        let mut n = 0;
        for b in self.name.bytes().filter(u8::is_ascii_alphanumeric) {
            match buf.get_mut(n) {
                Some(slot) => *slot = b.to_ascii_lowercase(),
                None => return is_mfa_name(squash(&self.name).as_bytes()),
            }
            n += 1;
        }
        is_mfa_name(buf.get(..n).unwrap_or_default())
    }
}

/// Whether a squashed challenge name names a second factor.
fn is_mfa_name(squashed: &[u8]) -> bool {
    let has = |needle: &[u8]| squashed.windows(needle.len()).any(|w| w == needle);
    has(b"mfa")
        || has(b"totp")
        || has(b"softwaretoken")
        || has(b"otp")
        || has(b"webauthn")
        || has(b"passkey")
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct User<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<Cow<'a, str>>,
    /// The user name, or its HMAC when `USER_NAME_MODE=hash`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub name_hashed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_id: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_provider: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Source<'a> {
    /// A valid address in its canonical text (possibly truncated by
    /// `IP_MODE=truncate`); borrowed from the input when already canonical.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_version: Option<u8>,
    /// HMAC of the address when `IP_MODE=hash`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<Cow<'a, str>>,
    /// ISO 3166-1 alpha-2.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "read::alpha2"
    )]
    pub country_code: Option<Constant>,
    /// ISO 3166-1 alpha-3.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "read::alpha3"
    )]
    pub country_code3: Option<Constant>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Device<'a> {
    /// `deviceName` as Cognito wrote it.
    pub name: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Feedback<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Notification<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Origin<'a> {
    pub transport: Transport,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_stream: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_event_id: Option<Cow<'a, str>>,
}

/// One normalized Cognito event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Normalized<'a> {
    #[serde(deserialize_with = "read::schema_version")]
    pub schema_version: Constant,
    #[serde(deserialize_with = "read::kind")]
    pub kind: Constant,
    /// RFC 3339 UTC with milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<time::Stamp>,
    /// The same instant as epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_source: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<Cow<'a, str>>,
    pub event: Event<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk<'a>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub challenges: Vec<Challenge<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Device<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Feedback<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<Notification<'a>>,
    pub origin: Origin<'a>,
    /// Input fields with no home above, under their original keys
    /// (message fields under `message`, logSourceId fields under
    /// `logSourceId`).
    #[serde(default, borrow, skip_serializing_if = "is_empty_object")]
    pub unmapped: Object<'a>,
}

fn is_empty_object(o: &Object<'_>) -> bool {
    o.0.is_empty()
}

/// The fields whose values are the library's own constants, read back from
/// a written record (`Deserialize`, used by `output::read_normalized`): a
/// value this version does not write is refused, not carried along.
mod read {
    use super::*;
    use serde::de::Error;

    pub(super) fn schema_version<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<&'static str, D::Error> {
        let v = <Cow<'de, str>>::deserialize(d)?;
        if v == SCHEMA_VERSION {
            Ok(SCHEMA_VERSION)
        } else {
            Err(D::Error::custom(format_args!(
                "schema_version {v:?}: this version reads {SCHEMA_VERSION:?}"
            )))
        }
    }

    pub(super) fn kind<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        let v = <Cow<'de, str>>::deserialize(d)?;
        [LogKind::UserActivity, LogKind::Notification]
            .into_iter()
            .map(LogKind::as_str)
            .find(|k| *k == v)
            .ok_or_else(|| D::Error::custom("kind: user_activity or notification"))
    }

    fn country<'de, D: Deserializer<'de>>(
        d: D,
        code: fn(crate::geo::Country) -> &'static str,
    ) -> Result<Option<&'static str>, D::Error> {
        let Some(v) = <Option<Cow<'de, str>>>::deserialize(d)? else {
            return Ok(None);
        };
        crate::geo::lookup(&v)
            .map(code)
            .filter(|c| *c == v)
            .map(Some)
            .ok_or_else(|| D::Error::custom("country_code: an ISO 3166-1 code"))
    }

    pub(super) fn alpha2<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<&'static str>, D::Error> {
        country(d, |c| c.alpha2)
    }

    pub(super) fn alpha3<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<&'static str>, D::Error> {
        country(d, |c| c.alpha3)
    }
}

impl<'a> Normalized<'a> {
    pub fn log_kind(&self) -> LogKind {
        if self.kind == LogKind::Notification.as_str() {
            LogKind::Notification
        } else {
            LogKind::UserActivity
        }
    }

    /// Whether this event is an account takeover or block decision, or came
    /// with compromised credentials: the signals filters never drop.
    pub fn is_security_signal(&self) -> bool {
        let Some(risk) = &self.risk else { return false };
        matches!(risk.decision.as_deref(), Some("account_takeover" | "block"))
            || risk.compromised_credentials == Some(true)
    }

    pub fn is_mfa(&self) -> bool {
        self.challenges.iter().any(Challenge::is_mfa)
    }
}

/// Lowercase ASCII alphanumerics only: `ACCOUNT_TAKEOVER`, `AccountTakeover`
/// and `account-takeover` all become `accounttakeover`. (The canonicalizers
/// use the allocation-free [`squash_into`].)
fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_factors_are_recognized_in_any_spelling_and_length() {
        let is_mfa = |name: &str| {
            Challenge {
                name: name.into(),
                result: None,
            }
            .is_mfa()
        };
        for name in [
            "SMS_MFA",
            "SmsMfa",
            "SOFTWARE_TOKEN_MFA",
            "Totp",
            "EMAIL_OTP",
            "WebAuthn",
            "PASSKEY",
        ] {
            assert!(is_mfa(name), "{name}");
        }
        for name in ["Password", "PASSWORD_SRP", "CUSTOM_CHALLENGE", ""] {
            assert!(!is_mfa(name), "{name}");
        }
        let long = format!("{}sms-mfa", "x".repeat(100));
        assert!(is_mfa(&long));
        assert!(!is_mfa(&"x".repeat(100)));
    }

    proptest::proptest! {
        /// `Challenge::is_mfa` squashes into a stack buffer and falls back
        /// to the allocating `squash` for names too long for it; both must
        /// name the same second factors.
        #[test]
        fn the_stack_squash_finds_second_factors_as_the_allocating_squash_does(
            name in "\\PC{0,80}|[a-zA-Z_ -]{0,80}|(?i)x{0,70}[_ -]?(sms|mfa|otp|totp|passkey|webauthn|password)[_-]?(mfa)?",
        ) {
            let challenge = Challenge { name: name.as_str().into(), result: None };
            proptest::prop_assert_eq!(
                challenge.is_mfa(),
                is_mfa_name(squash(&name).as_bytes()),
                "{:?}", name
            );
        }
    }
}
