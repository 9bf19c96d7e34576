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
use crate::privacy::{hmac_hex, truncate_ip, Domain};
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
    pub created_at: Option<String>,
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
        let n = squash(&self.name);
        n.contains("mfa")
            || n.contains("totp")
            || n.contains("softwaretoken")
            || n.contains("otp")
            || n.contains("webauthn")
            || n.contains("passkey")
    }
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
    pub time: Option<String>,
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
                Cow::Borrowed(s) => match s.split_once(':') {
                    Some((n, r)) => (Cow::Borrowed(n.trim()), Some(Cow::Borrowed(r.trim()))),
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

fn not_other(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && !t.eq_ignore_ascii_case("other") && !t.eq_ignore_ascii_case("unknown")
}

/// `"Chrome 126, Windows 10"` -> browser `Chrome 126`, OS `Windows 10`;
/// `"Other"` means absent.
pub fn split_device(name: &str) -> (Option<&str>, Option<&str>) {
    let (browser, os) = match name.split_once(',') {
        Some((b, o)) => (b.trim(), Some(o.trim())),
        None => (name.trim(), None),
    };
    (
        Some(browser).filter(|b| not_other(b)),
        os.filter(|o| not_other(o)),
    )
}

/// The region of a user pool id: `ap-northeast-1_EcsdFoftu` -> `ap-northeast-1`.
pub fn pool_region(pool_id: &str) -> Option<&str> {
    let (region, rest) = pool_id.split_once('_')?;
    let mut parts = 0;
    let mut last = "";
    let mut well_formed = true;
    for p in region.split('-') {
        parts += 1;
        last = p;
        well_formed &= !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    }
    let shaped = parts >= 3 && well_formed && last.bytes().all(|b| b.is_ascii_digit());
    (shaped && !rest.is_empty()).then_some(region)
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
    let log_source = obj.obj("logSourceId");

    let mut unmapped: Vec<(Cow<'a, str>, Field<'a>)> = Vec::new();
    let mut unmapped_msg: Vec<(Cow<'a, str>, Field<'a>)> = Vec::new();
    let mut unmapped_src: Vec<(Cow<'a, str>, Field<'a>)> = Vec::new();

    // Time: eventTimestamp, else the log event's time, else Firehose arrival.
    let mut time_ms = None;
    let mut event_source = None;
    let mut log_level = None;
    for (k, v) in obj.entries() {
        match k.as_ref() {
            "eventTimestamp" => match v.text().and_then(|t| time::parse_epoch_ms(&t)) {
                Some(ms) => time_ms = Some(ms),
                None if v.is_absent() => {}
                None => unmapped.push((k.clone(), v.clone())),
            },
            "eventSource" => match v.text() {
                Some(t) => event_source = Some(t),
                None if v.is_absent() => {}
                None => unmapped.push((k.clone(), v.clone())),
            },
            "logLevel" => match v.text() {
                Some(t) => log_level = Some(t),
                None if v.is_absent() => {}
                None => unmapped.push((k.clone(), v.clone())),
            },
            "message" | "logSourceId" if matches!(v, Field::Obj(_)) => {}
            _ if v.is_absent() => {}
            _ => unmapped.push((k.clone(), v.clone())),
        }
    }
    let time_ms = time_ms.or(ctx.log_event_time_ms).or(ctx.arrival_time_ms);

    let mut event = Event {
        id: None,
        type_: None,
        outcome: Outcome::Unknown,
        response: None,
        request_id: None,
        version: None,
        created_at: None,
    };
    let mut risk = Risk::default();
    let mut challenges = Vec::new();
    let mut user = User::default();
    let mut source = Source::default();
    let mut device = None;
    let mut feedback = Feedback::default();
    let mut notification = Notification::default();

    for (k, v) in msg.entries() {
        if v.is_absent() {
            continue;
        }
        let text = v.text();
        // `handled` is false when the value did not normalize: it is then
        // kept under unmapped.message.
        let handled = match k.as_ref() {
            "eventId" => set(&mut event.id, text),
            "eventType" => set(&mut event.type_, text),
            "eventResponse" => {
                event.outcome = Outcome::from_response(text.as_deref());
                set(&mut event.response, text)
            }
            "requestId" => set(&mut event.request_id, text),
            "version" => set(&mut event.version, text),
            "creationDate" => match text.as_deref().and_then(time::parse_java_date) {
                Some(ms) => {
                    let mut s = String::with_capacity(20);
                    if let Some(c) = time::Civil::from_epoch_ms(ms) {
                        c.write_rfc3339_seconds(&mut s);
                    }
                    event.created_at = Some(s);
                    true
                }
                None => false,
            },
            "riskDecision" => set(&mut risk.decision, text.map(canonical_decision)),
            "riskLevel" => set(&mut risk.level, text.map(canonical_level)),
            "compromisedCredentialDetected" | "compromisedCredentialsDetected" => {
                match parse_bool(v) {
                    Some(b) => {
                        risk.compromised_credentials = Some(b);
                        true
                    }
                    None => false,
                }
            }
            "challenges" => match parse_challenges(v) {
                Some(c) => {
                    challenges = c;
                    true
                }
                None => false,
            },
            "userSub" => set(&mut user.sub, text),
            "userName" | "username" => match text {
                Some(name) if cfg.user_name_mode == UserNameMode::Hash => {
                    user.name = Some(Cow::Owned(hmac_hex(&cfg.hash_key, Domain::UserName, &name)));
                    user.name_hashed = true;
                    true
                }
                other => set(&mut user.name, other),
            },
            "userPoolId" => set(&mut user.pool_id, text),
            "clientId" => set(&mut user.client_id, text),
            "idpName" => set(&mut user.identity_provider, text),
            "ipAddress" => match text {
                Some(raw) => apply_ip(&mut source, raw, cfg),
                None => false,
            },
            "city" => set(&mut source.city, text),
            "country" => match text {
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
            "deviceName" => match text {
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
                    device = Some(Device { name, browser, os });
                    true
                }
                None => false,
            },
            "eventFeedbackValue" => set(&mut feedback.value, text),
            "eventFeedbackDate" => set(&mut feedback.date, text),
            "eventFeedbackProvider" => set(&mut feedback.provider, text),
            "details" if kind == LogKind::Notification => set(&mut notification.details, text),
            _ => false,
        };
        if !handled {
            // Under a privacy mode an unusable IP or user name must not leak
            // through unmapped: it is dropped (and was counted as unusable).
            let private = (k == "ipAddress" && cfg.ip_mode != IpMode::Keep)
                || (matches!(k.as_ref(), "userName" | "username")
                    && cfg.user_name_mode == UserNameMode::Hash);
            if !private {
                unmapped_msg.push((k.clone(), v.clone()));
            }
        }
    }
    if let Some(ls) = log_source {
        for (k, v) in ls.entries() {
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
    user.region = user
        .pool_id
        .as_deref()
        .and_then(pool_region)
        .map(|r| Cow::Owned(r.to_owned()));

    if !unmapped_msg.is_empty() {
        unmapped.push((Cow::Borrowed("message"), Field::Obj(Object(unmapped_msg))));
    }
    if !unmapped_src.is_empty() {
        unmapped.push((
            Cow::Borrowed("logSourceId"),
            Field::Obj(Object(unmapped_src)),
        ));
    }

    let has_risk =
        risk.decision.is_some() || risk.level.is_some() || risk.compromised_credentials.is_some();
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

    Ok(Normalized {
        schema_version: SCHEMA_VERSION,
        kind: kind.as_str(),
        time: time_ms.and_then(time::rfc3339_millis),
        time_ms: time_ms.filter(|ms| time::Civil::from_epoch_ms(*ms).is_some()),
        event_source,
        log_level,
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
    })
}

/// The canonical text of `ip` (RFC 5952 for IPv6), borrowing `raw` when it
/// is already exactly that, which is the usual case: no allocation.
fn canonical_ip<'a>(ip: IpAddr, raw: Cow<'a, str>) -> Cow<'a, str> {
    use std::fmt::Write as _;
    // The longest address text is 45 bytes
    // (`ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`).
    struct Stack {
        buf: [u8; 48],
        len: usize,
    }
    impl std::fmt::Write for Stack {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let end = self.len + s.len();
            let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
            dst.copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
    let mut text = Stack {
        buf: [0; 48],
        len: 0,
    };
    let same = match ip {
        // Rust's IPv4 parser takes only the canonical dotted quad (no
        // leading zeros), so a parsed IPv4 text is canonical once trimmed;
        // `Field::text` has trimmed it.
        IpAddr::V4(_) => raw.len() == raw.trim().len(),
        IpAddr::V6(v6) => {
            write!(text, "{v6}").is_ok() && text.buf.get(..text.len) == Some(raw.as_bytes())
        }
    };
    if same {
        raw
    } else {
        Cow::Owned(ip.to_string())
    }
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

/// Applies `IP_MODE` to a raw address. Returns false when the value is not
/// an IP address.
fn apply_ip<'a>(source: &mut Source<'a>, raw: Cow<'a, str>, cfg: &Config) -> bool {
    let parsed: Option<IpAddr> = raw.trim().parse().ok();
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
                source.ip = Some(Cow::Owned(truncate_ip(ip).to_string()));
                source.ip_version = Some(if ip.is_ipv4() { 4 } else { 6 });
                true
            }
            None => false,
        },
        IpMode::Hash => {
            // Hash the canonical text of a valid address, so that
            // "2001:DB8::1" and "2001:db8::1" hash alike.
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
