//! The normalized record: our own versioned schema (docs/schema.md).
//!
//! Turns one raw Cognito log record into typed, canonical fields: RFC 3339
//! times, an outcome enum, lowercase risk values, parsed challenges, ISO
//! country codes, split device strings, booleans. Every input value that has
//! no home here, or that fails to normalize, is kept under `unmapped` with its
//! original key, so nothing in the input is lost. Privacy settings
//! (`IP_MODE`, `USER_NAME_MODE`) are applied here, before any output format
//! sees the record, so no format can leak what they remove.

use std::borrow::Cow;
use std::net::IpAddr;

use serde::Serialize;

use crate::cognito::{classify, squash_into, Field, LogKind, Object};
use crate::config::{Config, IpMode, UserNameMode};
use crate::error::RecordError;
use crate::geo;
use crate::privacy::{hmac_hex, private_view, truncate_ip, Domain};
use crate::time;

/// Bumped on any change a consumer could notice.
pub const SCHEMA_VERSION: &str = "1";

/// How the record reached Firehose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
        Self::from_response_slow(response)
    }

    fn from_response_slow(response: Option<&str>) -> Outcome {
        let mut buf = [0u8; 24];
        match response.map(|r| squash_into(r, &mut buf)) {
            Some("pass" | "success" | "succeeded") => Outcome::Success,
            Some("fail" | "failure" | "failed") => Outcome::Failure,
            Some("inprogress") => Outcome::InProgress,
            _ => Outcome::Unknown,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::InProgress => "in_progress",
            Outcome::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Default, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[derive(Debug, Clone, Default, Serialize)]
pub struct User<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<Cow<'a, str>>,
    /// The user name, or its HMAC when `USER_NAME_MODE=hash`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
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

#[derive(Debug, Clone, Default, Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<&'static str>,
    /// ISO 3166-1 alpha-3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code3: Option<&'static str>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Device<'a> {
    /// `deviceName` as Cognito wrote it.
    pub name: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Feedback<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Notification<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct Normalized<'a> {
    pub schema_version: &'static str,
    pub kind: &'static str,
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
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
    #[serde(skip_serializing_if = "is_empty_object")]
    pub unmapped: Object<'a>,
}

fn is_empty_object(o: &Object<'_>) -> bool {
    o.0.is_empty()
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
    canonical_decision_slow(raw)
}

fn canonical_decision_slow(raw: Cow<'_, str>) -> Cow<'_, str> {
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
    canonical_level_slow(raw)
}

fn canonical_level_slow(raw: Cow<'_, str>) -> Cow<'_, str> {
    let mut buf = [0u8; 24];
    match squash_into(&raw, &mut buf) {
        "norisk" | "none" => Cow::Borrowed("none"),
        "low" => Cow::Borrowed("low"),
        "medium" | "med" => Cow::Borrowed("medium"),
        "high" => Cow::Borrowed("high"),
        _ => raw,
    }
}

fn canonical_result(raw: Cow<'_, str>) -> Cow<'_, str> {
    match raw.as_ref() {
        "Success" => return Cow::Borrowed("success"),
        "Failure" => return Cow::Borrowed("failure"),
        _ => {}
    }
    canonical_result_slow(raw)
}

fn canonical_result_slow(raw: Cow<'_, str>) -> Cow<'_, str> {
    let mut buf = [0u8; 24];
    match squash_into(&raw, &mut buf) {
        "success" | "succeeded" | "pass" => Cow::Borrowed("success"),
        "failure" | "failed" | "fail" => Cow::Borrowed("failure"),
        _ => raw,
    }
}

fn parse_bool(raw: &Field<'_>) -> Option<bool> {
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
fn parse_challenge<'a>(f: &Field<'a>) -> Option<Challenge<'a>> {
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
fn parse_challenges<'a>(f: &Field<'a>) -> Option<Vec<Challenge<'a>>> {
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
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

fn not_other(s: &str) -> bool {
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

/// The keys of the top-level object that normalize reads, one bit each.
mod top {
    pub const EVENT_TIMESTAMP: u32 = 0;
    pub const EVENT_SOURCE: u32 = 1;
    pub const LOG_LEVEL: u32 = 2;
    pub const MESSAGE: u32 = 3;
    pub const LOG_SOURCE_ID: u32 = 4;
}

fn top_key(k: &str) -> Option<u32> {
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
enum Msg {
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
fn msg_key(k: &str) -> Option<Msg> {
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
const fn word(s: &[u8; 8]) -> u64 {
    u64::from_le_bytes(*s)
}

/// The eight bytes of `text` at `at`, as one number.
fn word_at(text: &[u8], at: usize) -> Option<u64> {
    let bytes: &[u8; 8] = text.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(word(bytes))
}

/// Whether `text` starts with `key` and then its closing quote, for keys
/// of at least eight bytes: compared eight bytes at a time (the last
/// eight overlapping), which for these short keys beats a call to memcmp.
#[inline]
fn is_key_at(text: &[u8], key: &[u8]) -> bool {
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
fn msg_key_raw(rest: &[u8]) -> Option<(usize, Msg)> {
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
fn top_key_raw(rest: &[u8]) -> Option<(usize, u32)> {
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
fn for_each_last_first<'o, 'a, K: Copy + Into<u32>>(
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

/// [`Field::text`], with its commonest cases inlined here: a borrowed
/// string with visible ASCII at both ends is its own text unless it is
/// `"null"` in any case, and the empty string has none. Everything else
/// asks `Field::text`.
#[inline]
fn text_of<'a>(v: &Field<'a>) -> Option<Cow<'a, str>> {
    if let Field::Str(Cow::Borrowed(s)) = v {
        let b = s.as_bytes();
        match (b.first(), b.last()) {
            (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic() => {
                return (b.len() != 4 || !s.eq_ignore_ascii_case("null"))
                    .then_some(Cow::Borrowed(s));
            }
            (None, _) => return None,
            _ => {}
        }
    }
    v.text()
}

/// `slot` takes `value` unless a later duplicate spelling already filled it
/// (entries are visited last to first). Whether there was a value.
fn fill<'a>(slot: &mut Option<Cow<'a, str>>, value: Option<Cow<'a, str>>) -> bool {
    match value {
        Some(v) => {
            if slot.is_none() {
                *slot = Some(v);
            }
            true
        }
        None => false,
    }
}

/// The top-level fields normalize reads, as they are filled.
#[derive(Default)]
struct Top<'a> {
    time_ms: Option<i64>,
    event_source: Option<Cow<'a, str>>,
    log_level: Option<Cow<'a, str>>,
}

impl<'a> Top<'a> {
    /// Takes one top-level member (its last value); whether it normalized
    /// or was absent (else it belongs under unmapped).
    fn apply(&mut self, v: &Field<'a>, id: Option<u32>) -> bool {
        let text = text_of(v);
        let absent = text.is_none() && matches!(v, Field::Null | Field::Str(_));
        match id {
            Some(top::EVENT_TIMESTAMP) => match text.and_then(|t| time::parse_epoch_ms(&t)) {
                Some(ms) => {
                    self.time_ms = Some(ms);
                    true
                }
                None => absent,
            },
            Some(top::EVENT_SOURCE) => match text {
                Some(t) => {
                    self.event_source = Some(t);
                    true
                }
                None => absent,
            },
            Some(top::LOG_LEVEL) => match text {
                Some(t) => {
                    self.log_level = Some(t);
                    true
                }
                None => absent,
            },
            Some(top::MESSAGE | top::LOG_SOURCE_ID) if matches!(v, Field::Obj(_)) => true,
            _ => absent,
        }
    }
}

/// The `message` fields, as normalize fills them.
struct Message<'a> {
    event: Event<'a>,
    risk: Risk<'a>,
    challenges: Vec<Challenge<'a>>,
    user: User<'a>,
    source: Source<'a>,
    device: Option<Device<'a>>,
    feedback: Feedback<'a>,
    notification: Notification<'a>,
    /// Members with no home, or that did not normalize.
    unmapped: Vec<(Cow<'a, str>, Field<'a>)>,
}

impl<'a> Message<'a> {
    fn new() -> Self {
        Message {
            event: Event {
                id: None,
                type_: None,
                outcome: Outcome::Unknown,
                response: None,
                request_id: None,
                version: None,
                created_at: None,
            },
            risk: Risk::default(),
            challenges: Vec::new(),
            user: User::default(),
            source: Source::default(),
            device: None,
            feedback: Feedback::default(),
            notification: Notification::default(),
            unmapped: Vec::new(),
        }
    }

    /// Takes one `message` member: its last value, as duplicates resolve.
    /// A member that is not read (`id` is `None`) or does not normalize is
    /// pushed onto `unmapped`, unless a privacy mode forbids keeping it;
    /// an absent one (null, empty) is dropped. Where two spellings share a
    /// slot, a filled slot is kept: the caller visits the later one first.
    // `k` is a `Cow`, not a `&str`: an escaped key is owned by the tree,
    // and what goes to unmapped must outlive it.
    #[allow(clippy::ptr_arg)]
    fn apply(
        &mut self,
        k: &Cow<'a, str>,
        v: &Field<'a>,
        id: Option<Msg>,
        kind: LogKind,
        cfg: &Config,
    ) {
        let text = text_of(v);
        if text.is_none() && matches!(v, Field::Null | Field::Str(_)) {
            return; // absent
        }
        // `handled` is false when the value did not normalize: it is then
        // kept under unmapped.message.
        let Some(id) = id else {
            self.unmapped.push((k.clone(), v.clone()));
            return;
        };
        let Message {
            event,
            risk,
            challenges,
            user,
            source,
            device,
            feedback,
            notification,
            ..
        } = self;
        let handled = match id {
            Msg::EventId => fill(&mut event.id, text),
            Msg::EventType => fill(&mut event.type_, text),
            Msg::EventResponse => {
                event.outcome = Outcome::from_response(text.as_deref());
                fill(&mut event.response, text)
            }
            Msg::RequestId => fill(&mut event.request_id, text),
            Msg::Version => fill(&mut event.version, text),
            Msg::CreationDate => match text.as_deref().and_then(time::parse_java_date) {
                Some(ms) => {
                    event.created_at = Some(match time::Civil::from_epoch_ms(ms) {
                        Some(c) => time::rfc3339_seconds(&c),
                        None => time::Stamp::EMPTY,
                    });
                    true
                }
                None => false,
            },
            Msg::RiskDecision => fill(&mut risk.decision, text.map(canonical_decision)),
            Msg::RiskLevel => fill(&mut risk.level, text.map(canonical_level)),
            Msg::CompromisedCredential | Msg::CompromisedCredentials => match parse_bool(v) {
                Some(b) => {
                    risk.compromised_credentials.get_or_insert(b);
                    true
                }
                None => false,
            },
            Msg::HasContextData => match parse_bool(v) {
                Some(b) => {
                    risk.has_context_data = Some(b);
                    true
                }
                None => false,
            },
            Msg::Challenges => match parse_challenges(v) {
                Some(c) => {
                    *challenges = c;
                    true
                }
                None => false,
            },
            Msg::UserSub => fill(&mut user.sub, text),
            Msg::UserName | Msg::Username => match text {
                Some(name) if cfg.user_name_mode == UserNameMode::Hash => {
                    if user.name.is_none() {
                        user.name =
                            Some(Cow::Owned(hmac_hex(&cfg.hash_key, Domain::UserName, &name)));
                        user.name_hashed = true;
                    }
                    true
                }
                other => fill(&mut user.name, other),
            },
            Msg::UserPoolId => fill(&mut user.pool_id, text),
            Msg::ClientId => fill(&mut user.client_id, text),
            Msg::IdpName => fill(&mut user.identity_provider, text),
            Msg::IpAddress => match text {
                Some(raw) => apply_ip(source, raw, cfg),
                None => false,
            },
            Msg::City => fill(&mut source.city, text),
            Msg::Country => match text {
                Some(c) => {
                    if let Some(country) = geo::lookup(&c) {
                        source.country_code = Some(country.alpha2);
                        source.country_code3 = Some(country.alpha3);
                    }
                    source.country = Some(c);
                    true
                }
                None => false,
            },
            Msg::DeviceName => match text {
                Some(name) => {
                    let (browser, os) = match &name {
                        Cow::Borrowed(s) => {
                            let (b, o) = split_device(s);
                            (b.map(Cow::Borrowed), o.map(Cow::Borrowed))
                        }
                        Cow::Owned(s) => {
                            let (b, o) = split_device(s);
                            (
                                b.map(|x| Cow::Owned(x.to_owned())),
                                o.map(|x| Cow::Owned(x.to_owned())),
                            )
                        }
                    };
                    *device = Some(Device { name, browser, os });
                    true
                }
                None => false,
            },
            Msg::FeedbackValue => fill(&mut feedback.value, text),
            Msg::FeedbackDate => fill(&mut feedback.date, text),
            Msg::FeedbackProvider => fill(&mut feedback.provider, text),
            Msg::Details if kind == LogKind::Notification => fill(&mut notification.details, text),
            Msg::Details => false,
        };
        if !handled {
            // Under a privacy mode an unusable IP or user name must not leak
            // through unmapped: it is dropped (and was counted as unusable).
            let private = (id == Msg::IpAddress && cfg.ip_mode != IpMode::Keep)
                || (matches!(id, Msg::UserName | Msg::Username)
                    && cfg.user_name_mode == UserNameMode::Hash);
            if !private {
                self.unmapped.push((k.clone(), v.clone()));
            }
        }
    }
}

/// Normalizes one Cognito log record.
pub fn normalize<'a>(
    obj: &Object<'a>,
    ctx: &Context<'a>,
    cfg: &Config,
) -> Result<Normalized<'a>, RecordError> {
    let kind = classify(obj).map_err(|why| RecordError::NotCognito { index: 0, why })?;
    let empty = Object::default();
    let msg = obj.obj("message").unwrap_or(&empty);

    // Entries are visited last to first; the unmapped lists are put back in
    // input order at the end.
    let mut unmapped: Vec<(Cow<'a, str>, Field<'a>)> = Vec::new();
    let mut top = Top::default();
    for_each_last_first(obj, top_key, |k, v, id| {
        if !top.apply(v, id) {
            unmapped.push((k.clone(), v.clone()));
        }
    });
    unmapped.reverse();

    let mut message = Message::new();
    for_each_last_first(msg, msg_key, |k, v, id| {
        message.apply(k, v, id, kind, cfg);
    });
    message.unmapped.reverse();
    Ok(finish(
        kind,
        top,
        unmapped,
        message,
        obj.obj("logSourceId").map(|o| o.0.as_slice()),
        ctx,
        cfg,
    ))
}

/// The unknown `message` keys [`normalize_text`] checks for repeats itself.
const MAX_UNKNOWN: usize = 64;

/// Which slot of a `message` reading a known key fills, one bit each: the
/// two spellings of a field share one.
fn slot_bit(id: Msg) -> u64 {
    let slot = match id {
        Msg::Username => Msg::UserName,
        Msg::CompromisedCredentials => Msg::CompromisedCredential,
        other => other,
    };
    1 << (slot as u32)
}

/// [`normalize`] for a text holding one record of the usual shape, read
/// straight from the parser: no tree is built for the record or its
/// `message` (only for values that go to unmapped, for the challenges
/// and for `logSourceId`), and no member is visited twice.
///
/// `None` whenever the text is anything else: not one JSON object, broken,
/// a top-level key other than the five Cognito writes, a key written twice
/// (or both spellings of one field), a `message` or `logSourceId` that is
/// not an object, or a record [`classify`] refuses. The caller then takes
/// the general way, [`crate::cognito::parse_documents`] and [`normalize`],
/// which is the reference: a property test holds the two equal wherever
/// this answers.
pub fn normalize_text<'a>(
    text: &'a str,
    ctx: &Context<'a>,
    cfg: &Config,
) -> Option<Normalized<'a>> {
    use crate::parse::{Parser, Stop};

    let mut p = Parser::new(text);
    if p.peek() != Some(b'{') {
        return None;
    }
    let mut top = Top::default();
    let mut top_seen = 0u32;
    let mut unmapped: Vec<(Cow<'a, str>, Field<'a>)> = Vec::new();
    let mut message = Message::new();
    let mut has_message = false;
    // logSourceId's members: Cognito writes one (`userPoolId`), held
    // without allocating; more go to `more_source`.
    let mut has_log_source = false;
    let mut one_source: Option<(Cow<'a, str>, Field<'a>)> = None;
    let mut more_source: Vec<(Cow<'a, str>, Field<'a>)> = Vec::new();
    // `details` is read by kind, known only at the end: held with the
    // place in unmapped it would take.
    let mut details: Option<(usize, Cow<'a, str>, Field<'a>)> = None;
    let mut has_event_type = false;
    // Unknown message keys, to notice a repeated one.
    let mut unknown: Vec<Cow<'a, str>> = Vec::new();

    let read = p.members_known(top_key_raw, |p, key, id| {
        let id = id.or_else(|| top_key(&key)).ok_or(Stop)?;
        if top_seen & (1 << id) != 0 {
            return Err(Stop);
        }
        top_seen |= 1 << id;
        match id {
            top::MESSAGE => {
                if p.peek() != Some(b'{') {
                    return Err(Stop);
                }
                has_message = true;
                let mut seen = 0u64;
                p.members_known(msg_key_raw, |p, key, id| {
                    let id = id.or_else(|| msg_key(&key));
                    // A repeated key (or both spellings of one field) is
                    // left to the general way.
                    match id {
                        Some(id) => {
                            let bit = slot_bit(id);
                            if seen & bit != 0 {
                                return Err(Stop);
                            }
                            seen |= bit;
                        }
                        // Many unknown keys are left to the general way,
                        // whose duplicate check is linear: this one is not.
                        None if unknown.len() >= MAX_UNKNOWN || unknown.contains(&key) => {
                            return Err(Stop)
                        }
                        None => {}
                    }
                    match id {
                        Some(Msg::Details) => {
                            let value = p.value()?;
                            details = Some((message.unmapped.len(), key, value));
                            return Ok(());
                        }
                        Some(Msg::EventType) => has_event_type = true,
                        _ => {}
                    }
                    // A plain string is taken as a `Field` built in place.
                    // It borrows and owns nothing, so it is not dropped: the
                    // drop glue was an out-of-line call per member.
                    match p.plain_string() {
                        Some(s) => {
                            let value = std::mem::ManuallyDrop::new(Field::Str(Cow::Borrowed(s)));
                            message.apply(&key, &value, id, LogKind::UserActivity, cfg);
                        }
                        None => {
                            let value = p.value()?;
                            message.apply(&key, &value, id, LogKind::UserActivity, cfg);
                        }
                    }
                    if id.is_none() {
                        unknown.push(key);
                    }
                    Ok(())
                })
            }
            top::LOG_SOURCE_ID => {
                if p.peek() != Some(b'{') {
                    return Err(Stop);
                }
                has_log_source = true;
                p.members(|p, key| {
                    let value = p.value()?;
                    match one_source.take() {
                        None if more_source.is_empty() => one_source = Some((key, value)),
                        first => {
                            more_source.extend(first);
                            more_source.push((key, value));
                        }
                    }
                    Ok(())
                })?;
                Ok(())
            }
            _ => {
                let value = match p.plain_string() {
                    Some(s) => Field::Str(Cow::Borrowed(s)),
                    None => p.value()?,
                };
                if !top.apply(&value, Some(id)) {
                    unmapped.push((key, value));
                }
                Ok(())
            }
        }
    });
    if read.is_err() || p.peek().is_some() || !has_message {
        return None;
    }
    // As `classify` decides, from what was read.
    if top.event_source.is_none() && !has_log_source {
        return None;
    }
    let kind = crate::cognito::classify_source(top.event_source.as_deref(), || {
        details.is_some() && !has_event_type
    });
    if let Some((at, key, value)) = details {
        let before = message.unmapped.len();
        message.apply(&key, &value, Some(Msg::Details), kind, cfg);
        if message.unmapped.len() > before {
            if let Some(entry) = message.unmapped.pop() {
                message.unmapped.insert(at, entry);
            }
        }
    }
    Some(finish(
        kind,
        top,
        unmapped,
        message,
        has_log_source.then(|| match &one_source {
            Some(member) => std::slice::from_ref(member),
            None => more_source.as_slice(),
        }),
        ctx,
        cfg,
    ))
}

/// The rest of [`normalize`], once the top level and `message` are read:
/// `logSourceId`, the region, unmapped, and the record itself.
fn finish<'a>(
    kind: LogKind,
    top: Top<'a>,
    mut unmapped: Vec<(Cow<'a, str>, Field<'a>)>,
    message: Message<'a>,
    log_source: Option<&[(Cow<'a, str>, Field<'a>)]>,
    ctx: &Context<'a>,
    cfg: &Config,
) -> Normalized<'a> {
    let Message {
        event,
        risk,
        challenges,
        mut user,
        source,
        device,
        feedback,
        notification,
        unmapped: unmapped_msg,
    } = message;
    let mut unmapped_src: Vec<(Cow<'a, str>, Field<'a>)> = Vec::new();
    let time_ms = top
        .time_ms
        .or(ctx.log_event_time_ms)
        .or(ctx.arrival_time_ms);
    if let Some(ls) = log_source {
        for (k, v) in crate::cognito::entries(ls) {
            match k.as_ref() {
                "userPoolId" if user.pool_id.is_none() => {
                    if !set(&mut user.pool_id, v.text()) && !v.is_absent() {
                        unmapped_src.push((k.clone(), v.clone()));
                    }
                }
                "userPoolId" => {
                    // Same pool as the message's: nothing new. A different
                    // one is kept, since it would be a surprise worth seeing.
                    if v.text().as_deref() != user.pool_id.as_deref() && !v.is_absent() {
                        unmapped_src.push((k.clone(), v.clone()));
                    }
                }
                _ if v.is_absent() => {}
                _ => unmapped_src.push((k.clone(), v.clone())),
            }
        }
    }
    // The region is a prefix of the pool id: borrowed when the id is.
    user.region = match &user.pool_id {
        Some(Cow::Borrowed(id)) => pool_region(id).map(Cow::Borrowed),
        Some(Cow::Owned(id)) => pool_region(id).map(|r| Cow::Owned(r.to_owned())),
        None => None,
    };

    if !unmapped_msg.is_empty() {
        unmapped.push((Cow::Borrowed("message"), Field::Obj(Object(unmapped_msg))));
    }
    if !unmapped_src.is_empty() {
        unmapped.push((
            Cow::Borrowed("logSourceId"),
            Field::Obj(Object(unmapped_src)),
        ));
    }
    if !unmapped.is_empty()
        && (cfg.ip_mode != IpMode::Keep || cfg.user_name_mode == UserNameMode::Hash)
    {
        scrub_unmapped(&mut unmapped, None, cfg);
    }

    let has_risk = risk.decision.is_some()
        || risk.level.is_some()
        || risk.compromised_credentials.is_some()
        || risk.has_context_data.is_some();
    let has_user = user.sub.is_some()
        || user.name.is_some()
        || user.pool_id.is_some()
        || user.client_id.is_some()
        || user.identity_provider.is_some();
    let has_source = source.ip.is_some()
        || source.ip_hash.is_some()
        || source.city.is_some()
        || source.country.is_some();
    let has_feedback =
        feedback.value.is_some() || feedback.date.is_some() || feedback.provider.is_some();

    // Both or neither: the time is written when it is in range.
    let time = time_ms.and_then(time::rfc3339_millis);
    Normalized {
        schema_version: SCHEMA_VERSION,
        kind: kind.as_str(),
        time,
        time_ms: time.and(time_ms),
        event_source: top.event_source,
        log_level: top.log_level,
        event,
        risk: has_risk.then_some(risk),
        challenges,
        user: has_user.then_some(user),
        source: has_source.then_some(source),
        device,
        feedback: has_feedback.then_some(feedback),
        notification: notification.details.is_some().then_some(notification),
        origin: Origin {
            transport: ctx.transport.unwrap_or(Transport::Direct),
            account_id: ctx.account_id.clone(),
            log_group: ctx.log_group.clone(),
            log_stream: ctx.log_stream.clone(),
            log_event_id: ctx.log_event_id.clone(),
        },
        unmapped: Object(unmapped),
    }
}

/// The canonical text of `ip` (RFC 5952 for IPv6), borrowing `raw` when it
/// is already exactly that, which is the usual case: no allocation.
fn canonical_ip<'a>(ip: IpAddr, raw: Cow<'a, str>) -> Cow<'a, str> {
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
fn parse_ip(s: &str) -> Option<IpAddr> {
    match parse_ipv4_strict(s) {
        Some(v4) => Some(IpAddr::V4(v4)),
        None => s.parse().ok(),
    }
}

/// A dotted quad of decimal octets without leading zeros, the only form
/// the standard parser accepts for IPv4 (a property test holds the two
/// equal); `None` sends anything else to the standard parser.
fn parse_ipv4_strict(s: &str) -> Option<std::net::Ipv4Addr> {
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

fn set<'a>(slot: &mut Option<Cow<'a, str>>, value: Option<Cow<'a, str>>) -> bool {
    match value {
        Some(v) => {
            *slot = Some(v);
            true
        }
        None => false,
    }
}

/// Under a privacy mode, what nothing else maps must not carry what the mode
/// hides: wherever it is under `unmapped` (a top-level `ipAddress`, a case
/// variant such as `IpAddress`, `xForwardedFor`, an extra member of
/// `logSourceId`, inside arrays and objects), a string that is an IP address,
/// or a comma-separated list of them, is truncated or hashed as `source.ip`
/// would be (`IP_MODE`), and the string under a user-name-like key
/// (`username`, `user_name`, `preferredUsername`, any case) is hashed
/// (`USER_NAME_MODE=hash`).
fn scrub_unmapped(entries: &mut [(Cow<'_, str>, Field<'_>)], parent: Option<&str>, cfg: &Config) {
    for (key, value) in entries.iter_mut() {
        scrub_field(value, Some(key.as_ref()).or(parent), cfg);
    }
}

fn scrub_field(value: &mut Field<'_>, key: Option<&str>, cfg: &Config) {
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

fn is_user_name_key(key: &str) -> bool {
    let folded: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    matches!(folded.as_str(), "username" | "preferredusername")
}

/// `text` with each address of an address or a comma-separated list of
/// addresses truncated or hashed; `None` when it is not one.
fn hide_addresses(text: &str, cfg: &Config) -> Option<String> {
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
fn apply_ip<'a>(source: &mut Source<'a>, raw: Cow<'a, str>, cfg: &Config) -> bool {
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
        IpMode::Hash => {
            // Hash the canonical text of a valid address, so that
            // "2001:DB8::1" and "2001:db8::1" hash alike.
            // An IPv4 address carried in IPv6 hashes as that IPv4 address: one
            // client, one pseudonym, whichever way its address arrived.
            let parsed = parsed.map(private_view);
            let canonical = parsed.map(|ip| ip.to_string());
            let text = canonical.as_deref().unwrap_or(&raw);
            source.ip_hash = Some(hmac_hex(&cfg.hash_key, Domain::Ip, text));
            source.ip_version = parsed.map(|ip| if ip.is_ipv4() { 4 } else { 6 });
            true
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cognito::parse_documents;
    use crate::config::HashKey;

    pub(crate) const FIELD_RECORD: &str = r#"{"eventTimestamp":"1723070073369","eventSource":"USER_AUTH_EVENTS","logLevel":"INFO","message":{"version":"1","eventId":"7f151463-1488-428f-a5c1-9f9c80cf2114","eventType":"SignIn","userSub":"0784fae8-c051-70ff-b12c-0e32600fdd02","userName":"hoge0808","userPoolId":"ap-northeast-1_EcsdFoftu","clientId":"g0n17akfs8hkb8hmlqh38r9tg","creationDate":"Wed Aug 07 22:34:33 UTC 2024","eventResponse":"InProgress","riskLevel":"","riskDecision":"PASS","challenges":["Password:Success"],"deviceName":"Other, Other","ipAddress":"2001:db8::1","requestId":"7f151463-1488-428f-a5c1-9f9c80cf2114","idpName":"","compromisedCredentialDetected":"false","city":"Sapporo","country":"Japan","eventFeedbackValue":"","eventFeedbackDate":"","eventFeedbackProvider":""},"logSourceId":{"userPoolId":"ap-northeast-1_EcsdFoftu"}}"#;

    fn norm_with(json: &str, cfg: &Config) -> serde_json::Value {
        let docs = parse_documents(json).unwrap();
        let n = normalize(&docs[0], &Context::default(), cfg).unwrap();
        serde_json::to_value(&n).unwrap()
    }

    fn norm(json: &str) -> serde_json::Value {
        norm_with(json, &Config::default())
    }

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
    fn normalizes_the_record_from_the_field() {
        let v = norm(FIELD_RECORD);
        assert_eq!(v["time"], "2024-08-07T22:34:33.369Z");
        assert_eq!(v["time_ms"], 1_723_070_073_369_i64);
        assert_eq!(v["kind"], "user_activity");
        assert_eq!(v["event"]["type"], "SignIn");
        assert_eq!(v["event"]["outcome"], "in_progress");
        assert_eq!(v["event"]["created_at"], "2024-08-07T22:34:33Z");
        assert_eq!(v["risk"]["decision"], "no_risk");
        assert!(v["risk"].get("level").is_none(), "empty level is absent");
        assert_eq!(v["risk"]["compromised_credentials"], false);
        assert_eq!(v["challenges"][0]["name"], "Password");
        assert_eq!(v["challenges"][0]["result"], "success");
        assert_eq!(v["user"]["region"], "ap-northeast-1");
        assert!(v["user"].get("identity_provider").is_none());
        assert_eq!(v["source"]["ip"], "2001:db8::1");
        assert_eq!(v["source"]["ip_version"], 6);
        assert_eq!(v["source"]["country_code"], "JP");
        assert_eq!(v["source"]["country_code3"], "JPN");
        assert_eq!(v["device"]["name"], "Other, Other");
        assert!(v["device"].get("browser").is_none() && v["device"].get("os").is_none());
        assert!(v.get("feedback").is_none());
        assert!(v.get("unmapped").is_none(), "{v}");
        assert!(!v.to_string().contains("\"null\""));
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
    fn keeps_every_challenge_in_order_in_any_form() {
        let v = norm(
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"challenges":["Password:Success","Mfa:Failure","Mfa:Success"]}}"#,
        );
        let names: Vec<_> = v["challenges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| format!("{}:{}", c["name"], c["result"]))
            .collect();
        assert_eq!(
            names,
            [
                "\"Password\":\"success\"",
                "\"Mfa\":\"failure\"",
                "\"Mfa\":\"success\""
            ]
        );
        let v = norm(
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"challenges":[{"challengeName":"Password","challengeResponse":"Failure"}]}}"#,
        );
        assert_eq!(v["challenges"][0]["result"], "failure");
        let v = norm(
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"challenges":"Password:Success, SmsMfa:Success"}}"#,
        );
        assert_eq!(v["challenges"][1]["name"], "SmsMfa");
        let v = norm(r#"{"eventSource":"USER_AUTH_EVENTS","message":{"challenges":[{"x":5}]}}"#);
        assert_eq!(v["unmapped"]["message"]["challenges"][0]["x"], 5);
        assert!(v.get("challenges").is_none());
    }

    #[test]
    fn cognito_spellings_canonicalize_as_the_general_match_does() {
        for raw in ["NoRisk", "AccountTakeover", "Block", "block", "PASS", "x"] {
            assert_eq!(
                canonical_decision(raw.into()),
                canonical_decision_slow(raw.into()),
                "{raw}"
            );
        }
        for raw in ["Low", "Medium", "High", "LOW", "none", "x"] {
            assert_eq!(
                canonical_level(raw.into()),
                canonical_level_slow(raw.into()),
                "{raw}"
            );
        }
        for raw in ["Success", "Failure", "success", "FAIL", "x"] {
            assert_eq!(
                canonical_result(raw.into()),
                canonical_result_slow(raw.into()),
                "{raw}"
            );
        }
        for raw in ["Pass", "Fail", "InProgress", "in_progress", "x"] {
            assert_eq!(
                Outcome::from_response(Some(raw)),
                Outcome::from_response_slow(Some(raw)),
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

        #[test]
        fn duplicate_keys_resolve_to_the_last_in_every_field(
            picks in proptest::collection::vec((0..8usize, 0..5usize), 1..12),
        ) {
            // Each message member is drawn from a few keys (two spellings of
            // the same field among them) and a few values, usable or not;
            // the result must equal normalizing the object with the
            // duplicates removed (the last of each key kept).
            const KEYS: [&str; 8] = ["userName", "username", "riskLevel", "newKey",
                "compromisedCredentialDetected", "compromisedCredentialsDetected",
                "ipAddress", "eventType"];
            const VALUES: [&str; 5] = ["\"Low\"", "\"\"", "[1]", "\"true\"", "\"192.0.2.1\""];
            let members: Vec<String> = picks
                .iter()
                .map(|&(k, v)| format!("\"{}\":{}", KEYS[k], VALUES[v]))
                .collect();
            let mut unique: Vec<String> = Vec::new();
            for (i, &(k, _)) in picks.iter().enumerate() {
                if !picks[i + 1..].iter().any(|&(o, _)| o == k) {
                    unique.push(members[i].clone());
                }
            }
            let wrap = |m: &[String]| format!(
                r#"{{"eventSource":"USER_AUTH_EVENTS","eventTimestamp":"1","eventTimestamp":"2","message":{{{}}}}}"#,
                m.join(",")
            );
            for cfg in [Config::default(), Config { user_name_mode: UserNameMode::Hash, ip_mode: IpMode::Hash, ..Config::default() }] {
                proptest::prop_assert_eq!(norm_with(&wrap(&members), &cfg), norm_with(&wrap(&unique), &cfg));
            }
        }
    }

    #[test]
    fn of_two_spellings_of_one_field_the_later_one_wins() {
        let v = norm(
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"userName":"a","username":"b","compromisedCredentialDetected":"true","compromisedCredentialsDetected":"false"}}"#,
        );
        assert_eq!(v["user"]["name"], "b");
        assert_eq!(v["risk"]["compromised_credentials"], false);
        let v = norm(
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"username":"b","userName":"a","compromisedCredentialsDetected":"false","compromisedCredentialDetected":"true"}}"#,
        );
        assert_eq!(v["user"]["name"], "a");
        assert_eq!(v["risk"]["compromised_credentials"], true);
    }

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
        #[test]
        fn the_inlined_text_agrees_with_field_text(s in "\\PC{0,6}|[ a\\t]{0,5}|(?i)null") {
            let f = Field::Str(Cow::Borrowed(s.as_str()));
            proptest::prop_assert_eq!(text_of(&f), f.text());
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

    #[test]
    fn keeps_unknown_and_unusable_values_under_unmapped() {
        let v = norm(
            r#"{"eventTimestamp":"soon","eventSource":"USER_AUTH_EVENTS","newTop":{"a":1},"message":{"eventType":"SignIn","newField":"x","ipAddress":"not-an-ip","creationDate":"yesterday","compromisedCredentialDetected":"maybe"},"logSourceId":{"userPoolId":"us-east-1_abc","extra":"y"}}"#,
        );
        let u = &v["unmapped"];
        assert_eq!(u["eventTimestamp"], "soon");
        assert_eq!(u["newTop"]["a"], 1);
        assert_eq!(u["message"]["newField"], "x");
        assert_eq!(u["message"]["ipAddress"], "not-an-ip");
        assert_eq!(u["message"]["creationDate"], "yesterday");
        assert_eq!(u["message"]["compromisedCredentialDetected"], "maybe");
        assert_eq!(u["logSourceId"]["extra"], "y");
        assert_eq!(v["user"]["pool_id"], "us-east-1_abc");
        assert!(v.get("time").is_none());
    }

    #[test]
    fn has_context_data_is_a_boolean_in_risk_and_anything_else_stays_unmapped() {
        // AWS's example record writes the flag as a string, like
        // compromisedCredentialDetected; a JSON boolean is taken as well.
        for (raw, want) in [
            ("\"true\"", Some(true)),
            ("\"false\"", Some(false)),
            ("\" TRUE \"", Some(true)),
            ("true", Some(true)),
            ("false", Some(false)),
        ] {
            let v = norm(&format!(
                r#"{{"eventSource":"USER_AUTH_EVENTS","message":{{"eventType":"SignIn","hasContextData":{raw}}}}}"#
            ));
            assert_eq!(v["risk"]["has_context_data"].as_bool(), want, "{raw}");
            assert!(v.get("unmapped").is_none(), "{raw}");
        }
        for raw in ["\"\"", "null", "\"null\""] {
            let v = norm(&format!(
                r#"{{"eventSource":"USER_AUTH_EVENTS","message":{{"eventType":"SignIn","hasContextData":{raw}}}}}"#
            ));
            assert!(v.get("risk").is_none(), "absent: {raw}");
            assert!(v.get("unmapped").is_none(), "absent: {raw}");
        }
        for raw in ["\"yes\"", "1", "[true]"] {
            let v = norm(&format!(
                r#"{{"eventSource":"USER_AUTH_EVENTS","message":{{"eventType":"SignIn","hasContextData":{raw}}}}}"#
            ));
            assert!(v.get("risk").is_none(), "{raw}");
            let kept: serde_json::Value = serde_json::from_str(raw).unwrap();
            assert_eq!(v["unmapped"]["message"]["hasContextData"], kept, "{raw}");
        }
    }

    #[test]
    fn numbers_where_strings_belong_are_taken_as_text() {
        let v = norm(
            r#"{"eventTimestamp":1723070073369,"eventSource":"USER_AUTH_EVENTS","message":{"eventType":"SignIn","compromisedCredentialDetected":true,"version":1}}"#,
        );
        assert_eq!(v["time"], "2024-08-07T22:34:33.369Z");
        assert_eq!(v["risk"]["compromised_credentials"], true);
        assert_eq!(v["event"]["version"], "1");
    }

    #[test]
    fn falls_back_to_log_event_then_arrival_time() {
        let docs = parse_documents(r#"{"eventSource":"USER_AUTH_EVENTS","message":{}}"#).unwrap();
        let ctx = Context {
            log_event_time_ms: Some(1000),
            arrival_time_ms: Some(2000),
            ..Default::default()
        };
        let n = normalize(&docs[0], &ctx, &Config::default()).unwrap();
        assert_eq!(n.time_ms, Some(1000));
        let ctx = Context {
            arrival_time_ms: Some(2000),
            ..Default::default()
        };
        let n = normalize(&docs[0], &ctx, &Config::default()).unwrap();
        assert_eq!(n.time.as_deref(), Some("1970-01-01T00:00:02.000Z"));
    }

    #[test]
    fn normalizes_notification_logs_as_their_own_kind() {
        let v = norm(
            r#"{"eventTimestamp":"1687297330677","eventSource":"USER_NOTIFICATION","logLevel":"ERROR","message":{"details":"SMS message failed"},"logSourceId":{"userPoolId":"us-west-2_EXAMPLE"}}"#,
        );
        assert_eq!(v["kind"], "notification");
        assert_eq!(v["notification"]["details"], "SMS message failed");
        assert_eq!(v["log_level"], "ERROR");
        assert_eq!(v["event"]["outcome"], "unknown");
    }

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

    /// What the general way makes of `text`: one record normalized, or
    /// `None` when it is not exactly one record that normalizes.
    fn general(text: &str, cfg: &Config) -> Option<String> {
        let docs = parse_documents(text).ok()?;
        let [doc] = docs.as_slice() else { return None };
        normalize(doc, &Context::default(), cfg)
            .ok()
            .map(|n| format!("{n:?}"))
    }

    fn configs() -> [Config; 3] {
        let mut private = Config {
            ip_mode: IpMode::Hash,
            user_name_mode: UserNameMode::Hash,
            ..Config::default()
        };
        private.hash_key = HashKey::new(b"0123456789abcdef".to_vec());
        let truncate = Config {
            ip_mode: IpMode::Truncate,
            ..Config::default()
        };
        [Config::default(), private, truncate]
    }

    #[test]
    fn an_ipv4_address_carried_in_ipv6_is_truncated_and_hashed_as_that_ipv4_address() {
        let record = |ip: &str| {
            format!(
                r#"{{"eventSource":"USER_AUTH_EVENTS","message":{{"eventType":"SignIn","ipAddress":"{ip}"}}}}"#
            )
        };
        let [_, private, truncate] = configs();
        for carried in [
            "::ffff:203.0.113.77",
            "2002:cb00:714d::1",
            "2001:0:4136:e378:8000:63bf:34ff:8eb2",
            "64:ff9b::cb00:714d",
        ] {
            for cfg in [&private, &truncate] {
                let got = norm_with(&record(carried), cfg);
                let plain = norm_with(&record("203.0.113.77"), cfg);
                assert_eq!(got["source"], plain["source"], "{carried}");
                assert!(
                    !got.to_string().contains("203.0.113.77"),
                    "{carried}: {got}"
                );
                assert!(!got.to_string().contains("cb00:714d"), "{carried}: {got}");
            }
        }
    }

    #[test]
    fn the_usual_records_take_the_streaming_way() {
        let notification = r#"{"eventTimestamp":"1723070073369","eventSource":"USER_NOTIFICATION","logLevel":"ERROR","message":{"details":"SMS message failed","userPoolId":"us-east-1_Ab12Cd34E"},"logSourceId":{"userPoolId":"us-east-1_Ab12Cd34E","other":1}}"#;
        for text in [FIELD_RECORD, notification] {
            for cfg in &configs() {
                let fast = normalize_text(text, &Context::default(), cfg);
                assert_eq!(fast.map(|n| format!("{n:?}")), general(text, cfg), "{text}");
            }
        }
        assert!(normalize_text(FIELD_RECORD, &Context::default(), &Config::default()).is_some());
        assert!(normalize_text(notification, &Context::default(), &Config::default()).is_some());
    }

    #[test]
    fn unusual_records_are_left_to_the_general_way() {
        let ctx = Context::default();
        let cfg = Config::default();
        for text in [
            // Two records, an envelope's key, a repeated key, both
            // spellings of one field, a message that is not an object.
            "{\"eventSource\":\"x\",\"message\":{}}\n{\"eventSource\":\"x\",\"message\":{}}",
            r#"{"messageType":"DATA_MESSAGE","eventSource":"x","message":{}}"#,
            r#"{"eventSource":"x","message":{"city":"a","city":"b"}}"#,
            r#"{"eventSource":"x","message":{"userName":"a","username":"b"}}"#,
            r#"{"eventSource":"x","message":{"k":"a","k":""}}"#,
            r#"{"eventSource":"x","eventSource":"y","message":{}}"#,
            r#"{"eventSource":"x","message":"{}"}"#,
            r#"{"eventSource":"x","logSourceId":"p","message":{}}"#,
            r#"{"message":{}}"#,
            r#"{"eventSource":"x"}"#,
            r#"{"eventSource":"x","message":{"city":"a"}"#,
            r#"[{"eventSource":"x","message":{}}]"#,
        ] {
            assert!(normalize_text(text, &ctx, &cfg).is_none(), "{text}");
        }
    }

    #[test]
    fn a_record_with_many_unknown_keys_keeps_them_all_the_general_way() {
        let members: Vec<String> = (0..MAX_UNKNOWN * 3)
            .map(|i| format!("\"k{i}\":\"v\""))
            .collect();
        let text = format!(
            "{{\"eventSource\":\"USER_AUTH_EVENTS\",\"message\":{{\"eventType\":\"SignIn\",{}}}}}",
            members.join(",")
        );
        // Past MAX_UNKNOWN unknown keys the streaming way declines.
        assert!(normalize_text(&text, &Context::default(), &Config::default()).is_none());
        let v = norm(&text);
        let unmapped = v["unmapped"]["message"].as_object().unwrap();
        assert_eq!(unmapped.len(), MAX_UNKNOWN * 3);
        assert_eq!(v["event"]["type"], "SignIn");
    }

    /// A record drawn from Cognito's keys and others, with values of every
    /// JSON type, usable or not, repeated keys and stray text now and then.
    fn records() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        const TOP: [&str; 8] = [
            "eventTimestamp",
            "eventSource",
            "logLevel",
            "logSourceId",
            "eventTimestamp",
            "eventSource",
            "messageType",
            "extra",
        ];
        const MSG: [&str; 31] = [
            "eventId",
            "hasContextData",
            "eventType",
            "eventResponse",
            "requestId",
            "version",
            "creationDate",
            "riskDecision",
            "riskLevel",
            "compromisedCredentialDetected",
            "compromisedCredentialsDetected",
            "challenges",
            "userSub",
            "userName",
            "username",
            "userPoolId",
            "clientId",
            "idpName",
            "ipAddress",
            "city",
            "country",
            "deviceName",
            "eventFeedbackValue",
            "eventFeedbackDate",
            "eventFeedbackProvider",
            "details",
            "newKey",
            "other",
            "user\\u004eame",
            "",
            "eventType",
        ];
        const VALUES: [&str; 26] = [
            "\"\"",
            "\"TRUE\"",
            "null",
            "\"null\"",
            "\"  \"",
            "1",
            "-2.5e3",
            "true",
            "false",
            "[]",
            "{}",
            "\"Low\"",
            "\"ACCOUNT_TAKEOVER\"",
            "\"192.0.2.1\"",
            "\"2001:DB8::1\"",
            "\"Japan\"",
            "\"Chrome 120, Windows 10\"",
            "\"Wed Aug 07 22:34:33 UTC 2024\"",
            "\"1723070073369\"",
            "[\"Password:Success\",{\"challengeName\":\"SMS_MFA\"}]",
            "{\"userPoolId\":\"us-east-1_Ab12Cd34E\"}",
            "{\"userPoolId\":\"eu-west-1_x\",\"x\":1,\"userPoolId\":\"eu-west-1_y\"}",
            "{\"x\":\"\",\"userPoolId\":null,\"y\":[1]}",
            "{\"a\":1,\"b\":\"2\"}",
            "\"USER_NOTIFICATION\"",
            "\"a\\nb\"",
        ];
        let member = |keys: &'static [&'static str]| {
            (0..keys.len(), 0..VALUES.len())
                .prop_map(move |(k, v)| format!("\"{}\":{}", keys[k], VALUES[v]))
        };
        (
            proptest::collection::vec(member(&TOP), 0..4),
            0..5usize,
            proptest::collection::vec(member(&MSG), 0..10),
            prop_oneof![Just(""), Just(" \n"), Just("\n{}"), Just("x")],
        )
            .prop_map(|(mut top, at, msg, tail)| {
                let message = format!("\"message\":{{{}}}", msg.join(","));
                top.insert(at.min(top.len()), message);
                format!("{{{}}}{tail}", top.join(","))
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        #[test]
        fn the_streaming_way_answers_as_the_general_way(text in records()) {
            for cfg in &configs() {
                if let Some(n) = normalize_text(&text, &Context::default(), cfg) {
                    proptest::prop_assert_eq!(Some(format!("{n:?}")), general(&text, cfg), "{}", text);
                }
            }
        }

        #[test]
        fn the_streaming_way_answers_as_the_general_way_on_damaged_text(
            text in records(),
            edits in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<char>()), 1..3),
        ) {
            let text = crate::parse::damage(&text, edits);
            for cfg in &configs() {
                if let Some(n) = normalize_text(&text, &Context::default(), cfg) {
                    proptest::prop_assert_eq!(Some(format!("{n:?}")), general(&text, cfg), "{}", text);
                }
            }
        }
    }

    #[test]
    fn privacy_modes_leave_no_raw_value_anywhere() {
        let mut cfg = Config {
            ip_mode: IpMode::Hash,
            user_name_mode: UserNameMode::Hash,
            ..Config::default()
        };
        cfg.hash_key = HashKey::new(b"0123456789abcdef".to_vec());
        let out = norm_with(FIELD_RECORD, &cfg).to_string();
        assert!(
            !out.contains("2001:db8::1") && !out.contains("hoge0808"),
            "{out}"
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["source"]["ip_hash"].as_str().unwrap().len(), 64);
        assert_eq!(v["user"]["name_hashed"], true);
        // An unusable IP does not leak through unmapped under a privacy mode.
        let cfg = Config {
            ip_mode: IpMode::Truncate,
            ..Config::default()
        };
        let v = norm_with(
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"ipAddress":"bogus 10.1.2.3"}}"#,
            &cfg,
        );
        assert!(!v.to_string().contains("10.1.2.3"));
        let v = norm_with(
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"ipAddress":"203.0.113.9"}}"#,
            &cfg,
        );
        assert_eq!(v["source"]["ip"], "203.0.113.0");
    }
}
