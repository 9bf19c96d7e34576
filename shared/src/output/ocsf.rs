//! OCSF output: each normalized Cognito event as one record of the Open
//! Cybersecurity Schema Framework, the format Amazon Security Lake ingests.
//!
//! Sign-ins map to Authentication (class 3002,
//! <https://schema.ocsf.io/1.1.0/classes/authentication>); sign-ups,
//! password changes and resets, code re-sends and message-delivery errors to
//! Account Change (class 3001,
//! <https://schema.ocsf.io/1.1.0/classes/account_change>). Both classes are
//! emitted in schema version 1.1.0 (what Security Lake expects) or 1.8.0
//! (`OCSF_VERSION`); the mapping is the same in both, only
//! `metadata.version` differs. docs/ocsf.md holds the field-by-field table
//! and the reasons behind each choice; shared/tests/ocsf_schema.rs validates
//! every record we can produce against the compiled JSON Schemas.
//!
//! The record is a tree of borrowed structs: no `serde_json::Value` is built.
//! Their serde derive is the definition of the output; [`write_record`]
//! writes the same bytes by hand (tests hold the two equal), since going
//! through serde's generic serializer was a third of the time per event.

use serde::Serialize;

use crate::cognito::{LogKind, Object};
use crate::config::Config;
use crate::normalize::{Challenge, Feedback, Normalized, Outcome, Risk, Transport};

use crate::taxonomy::*;

use super::normalized::{
    opt, transport, write_challenges, write_feedback, write_risk, write_str, Fields,
};

/// `status_id` and its sibling `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status<'a> {
    pub id: u8,
    /// The caption, or for 99 (Other) Cognito's own word.
    pub name: &'a str,
}

/// Success and failure are OCSF's own; Cognito's `InProgress` (a sign-in
/// waiting for a further challenge) and any other response word are Other
/// (99) with the word as `status`; no response at all is Unknown (0).
/// Message-delivery logs report failures, so they are Failure when logged as
/// errors.
pub fn status_of<'a>(n: &'a Normalized<'a>) -> Status<'a> {
    match n.event.outcome {
        Outcome::Success => Status {
            id: 1,
            name: "Success",
        },
        Outcome::Failure => Status {
            id: 2,
            name: "Failure",
        },
        Outcome::InProgress | Outcome::Unknown => match n.event.response.as_deref() {
            Some(word) => Status { id: 99, name: word },
            None if n.log_kind() == LogKind::Notification && is_error_level(n) => Status {
                id: 2,
                name: "Failure",
            },
            None => Status {
                id: 0,
                name: "Unknown",
            },
        },
    }
}

/// A notification's log level says error, or says nothing (Cognito writes
/// message-delivery logs at ERROR only).
fn is_error_level(n: &Normalized<'_>) -> bool {
    n.log_level.as_deref().is_none_or(|level| {
        ["error", "fatal", "critical", "warn", "warning"]
            .iter()
            .any(|w| level.eq_ignore_ascii_case(w))
    })
}

pub const SEVERITY_UNKNOWN: u8 = 0;
pub const SEVERITY_INFORMATIONAL: u8 = 1;
pub const SEVERITY_LOW: u8 = 2;
pub const SEVERITY_MEDIUM: u8 = 3;
pub const SEVERITY_HIGH: u8 = 4;
pub const SEVERITY_CRITICAL: u8 = 5;

/// The schema's caption of `severity_id`.
pub fn severity_caption(id: u8) -> &'static str {
    match id {
        0 => "Unknown",
        1 => "Informational",
        2 => "Low",
        3 => "Medium",
        4 => "High",
        5 => "Critical",
        6 => "Fatal",
        _ => "Other",
    }
}

/// `severity_id` from the risk assessment, so that takeovers and leaked
/// passwords stand out:
///
/// - the level sets the base: none or absent Informational, low Low, medium
///   Medium, high High, an unrecognized word Unknown;
/// - the decision and the credential check raise it: block High,
///   account takeover High (Critical at high level), compromised
///   credentials Critical.
///
/// Message-delivery errors are Low: someone must act (a spending limit, a
/// sender identity), but nobody is under attack.
pub fn severity_of(n: &Normalized<'_>) -> u8 {
    if n.log_kind() == LogKind::Notification {
        return if is_error_level(n) {
            SEVERITY_LOW
        } else {
            SEVERITY_INFORMATIONAL
        };
    }
    let Some(risk) = &n.risk else {
        return SEVERITY_INFORMATIONAL;
    };
    let level = risk.level.as_deref();
    let base = match level {
        None | Some("none") => SEVERITY_INFORMATIONAL,
        Some("low") => SEVERITY_LOW,
        Some("medium") => SEVERITY_MEDIUM,
        Some("high") => SEVERITY_HIGH,
        Some(_) => SEVERITY_UNKNOWN,
    };
    let floor = if risk.compromised_credentials == Some(true) {
        SEVERITY_CRITICAL
    } else {
        match risk.decision.as_deref() {
            Some("account_takeover") if level == Some("high") => SEVERITY_CRITICAL,
            Some("account_takeover" | "block") => SEVERITY_HIGH,
            _ => SEVERITY_UNKNOWN,
        }
    };
    base.max(floor)
}

/// `auth_protocol_id` and `auth_protocol` of a sign-in: the protocol of a
/// known social identity provider; for any other federated provider Other
/// (99) with the provider's name (Cognito does not say whether it speaks
/// SAML or OIDC); for a user-pool sign-in with a password challenge Other
/// with `Password` (SRP or plain, Cognito does not say); else nothing.
pub fn auth_protocol_of<'a>(n: &'a Normalized<'a>) -> Option<(u8, &'a str)> {
    let idp = n.user.as_ref().and_then(|u| u.identity_provider.as_deref());
    if let Some(idp) = idp {
        let is = |name: &str| idp.eq_ignore_ascii_case(name);
        return Some(if is("Google") || is("SignInWithApple") {
            (4, "OpenID")
        } else if is("Facebook") || is("LoginWithAmazon") {
            (6, "OAUTH 2.0")
        } else {
            (99, cap(idp))
        });
    }
    n.challenges
        .iter()
        .any(is_password)
        .then_some((99, "Password"))
}

fn is_password(c: &Challenge<'_>) -> bool {
    contains_ignore_case(&c.name, b"password") || contains_ignore_case(&c.name, b"srp")
}

/// ASCII case-insensitive substring test, without allocating.
fn contains_ignore_case(haystack: &str, needle: &[u8]) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// OCSF 1.1.0 caps `string_t` at 65,535 characters. Cognito values are far
/// shorter; this guards typed fields against a pathological one (cut on a
/// character boundary, so at most 65,535 bytes and characters).
fn cap(s: &str) -> &str {
    const MAX: usize = 65_535;
    if s.len() <= MAX {
        return s;
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

// ---------------------------------------------------------------------------
// The record. Field order follows the OCSF class pages: classification,
// occurrence, context, primary, then unmapped.

/// One OCSF record, borrowing from the normalized event.
#[derive(Debug, Clone, Serialize)]
pub struct Record<'a> {
    pub activity_id: u32,
    pub activity_name: &'a str,
    pub category_uid: u32,
    pub category_name: &'static str,
    pub class_uid: u32,
    pub class_name: &'static str,
    pub type_uid: u32,
    pub type_name: &'static str,
    pub severity_id: u8,
    pub severity: &'static str,
    pub status_id: u8,
    pub status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
    /// Epoch milliseconds.
    pub time: i64,
    /// `time` is UTC.
    pub timezone_offset: i32,
    pub metadata: Metadata<'a>,
    pub cloud: Cloud<'a>,
    pub user: User<'a>,
    /// Authentication only (the class needs `service` or `dst_endpoint`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<Service<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_endpoint: Option<Endpoint<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_request: Option<HttpRequest<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_protocol_id: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_protocol: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_mfa: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_remote: Option<bool>,
    pub unmapped: Unmapped<'a>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Metadata<'a> {
    pub version: &'static str,
    pub product: Product,
    pub profiles: &'static [&'static str],
    /// Cognito's `eventId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<&'a str>,
    /// Cognito's `requestId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_uid: Option<&'a str>,
    /// Cognito's `eventType`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_code: Option<&'a str>,
    /// Cognito's log name: `userAuthEvents` or `userNotification`.
    pub log_name: &'static str,
    /// How the log reached Firehose.
    pub log_provider: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<&'a str>,
    /// Cognito's message `version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_version: Option<&'a str>,
    /// Cognito's `creationDate`, as RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_time: Option<&'a str>,
    /// The AWS account that owns the log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_uid: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Product {
    pub name: &'static str,
    pub vendor_name: &'static str,
}

pub const PRODUCT: Product = Product {
    name: "Amazon Cognito",
    vendor_name: "AWS",
};

/// The OCSF profiles every record uses.
pub const PROFILES: &[&str] = &["cloud"];

#[derive(Debug, Clone, Serialize)]
pub struct Cloud<'a> {
    pub provider: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Account<'a>>,
}

/// An OCSF `account`: the AWS account under `cloud`, the user pool under
/// `user`.
#[derive(Debug, Clone, Serialize)]
pub struct Account<'a> {
    pub uid: &'a str,
    pub type_id: u8,
    #[serde(rename = "type")]
    pub type_: &'static str,
}

/// `account.type_id` 10.
pub const ACCOUNT_TYPE_AWS: (u8, &str) = (10, "AWS Account");
/// `account.type_id` 99: the user pool, a directory OCSF has no type for.
pub const ACCOUNT_TYPE_USER_POOL: (u8, &str) = (99, "Amazon Cognito User Pool");

#[derive(Debug, Clone, Serialize)]
pub struct User<'a> {
    /// Cognito's `sub`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<&'a str>,
    /// The user name (its HMAC under `USER_NAME_MODE=hash`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_id: Option<u8>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<&'static str>,
    /// The user pool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Account<'a>>,
}

/// `user` is required and needs a name, uid or account: an event that names
/// none of them gets this.
pub const UNKNOWN_USER_NAME: &str = "Unknown";

#[derive(Debug, Clone, Serialize)]
pub struct Service<'a> {
    pub name: &'static str,
    /// The app client the user signed in to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Endpoint<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<&'a str>,
    /// The HMAC of the address under `IP_MODE=hash`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location<'a>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<&'a str>,
    /// ISO 3166-1 alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpRequest<'a> {
    /// Cognito's `deviceName` (`"Chrome 126, Windows 10"`): the browser and
    /// OS it read from the User-Agent header.
    pub user_agent: &'a str,
}

/// Everything Cognito said that has no OCSF attribute, under the names of
/// our normalized schema (docs/schema.md).
#[derive(Debug, Clone, Serialize)]
pub struct Unmapped<'a> {
    /// Decision, level and credential check as normalized (the severity is
    /// derived from them, and loses detail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<&'a Risk<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub challenges: &'a [Challenge<'a>],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback: Option<&'a Feedback<'a>>,
    #[serde(skip_serializing_if = "UnmappedUser::is_empty")]
    pub user: UnmappedUser<'a>,
    #[serde(skip_serializing_if = "UnmappedSource::is_empty")]
    pub source: UnmappedSource<'a>,
    pub origin: UnmappedOrigin<'a>,
    /// The normalized record's own `unmapped`: input fields the normalizer
    /// did not recognize or could not read, under their original keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra: Option<&'a Object<'a>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UnmappedUser<'a> {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub name_hashed: bool,
    /// Cognito's `idpName` (also read into `auth_protocol` for sign-ins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_provider: Option<&'a str>,
    /// Cognito's `clientId`, for Account Change, which has no `service`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<&'a str>,
}

impl UnmappedUser<'_> {
    fn is_empty(&self) -> bool {
        !self.name_hashed && self.identity_provider.is_none() && self.client_id.is_none()
    }
}

/// Source details that found no place in `src_endpoint`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UnmappedSource<'a> {
    /// The city, when there is no address to hang a location on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<&'a str>,
    /// The country as Cognito wrote it, when it has no ISO code (or no
    /// address to hang a location on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<&'a str>,
}

impl UnmappedSource<'_> {
    fn is_empty(&self) -> bool {
        self.city.is_none() && self.country.is_none()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UnmappedOrigin<'a> {
    pub transport: Transport,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_stream: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_event_id: Option<&'a str>,
}

/// Maps one normalized event.
pub fn to_record<'a>(n: &'a Normalized<'a>, cfg: &Config) -> Record<'a> {
    let activity = activity_of(n);
    let is_auth = activity.class == AUTHENTICATION;
    let is_notification = n.log_kind() == LogKind::Notification;
    let status = status_of(n);
    let severity_id = severity_of(n);
    let user = n.user.as_ref();
    let source = n.source.as_ref();

    let activity_name = match (activity.id, is_notification) {
        (_, true) => NOTIFICATION_ACTIVITY,
        (ACTIVITY_OTHER, false) => n.event.type_.as_deref().map_or("Other", cap),
        _ => activity.caption(),
    };

    let pool = user.and_then(|u| u.pool_id.as_deref());
    let mut ocsf_user = User {
        uid: user.and_then(|u| u.sub.as_deref()).map(cap),
        name: user.and_then(|u| u.name.as_deref()),
        type_id: None,
        type_: None,
        account: pool.map(|uid| Account {
            uid: cap(uid),
            type_id: ACCOUNT_TYPE_USER_POOL.0,
            type_: ACCOUNT_TYPE_USER_POOL.1,
        }),
    };
    if ocsf_user.uid.is_some() || ocsf_user.name.is_some() {
        ocsf_user.type_id = Some(1);
        ocsf_user.type_ = Some("User");
    } else if ocsf_user.account.is_none() {
        ocsf_user.name = Some(UNKNOWN_USER_NAME);
        ocsf_user.type_id = Some(0);
        ocsf_user.type_ = Some("Unknown");
    }

    // src_endpoint needs an address (or its hash) to identify it; a location
    // without one stays under unmapped.source.
    let ip = source.and_then(|s| s.ip.as_deref());
    let ip_hash = source.and_then(|s| s.ip_hash.as_deref());
    let city = source.and_then(|s| s.city.as_deref()).map(cap);
    let country_code = source.and_then(|s| s.country_code);
    let country_name = source.and_then(|s| s.country.as_deref());
    let has_address = ip.is_some() || ip_hash.is_some();
    let src_endpoint = has_address.then(|| Endpoint {
        ip,
        uid: ip.is_none().then_some(ip_hash).flatten(),
        location: (city.is_some() || country_code.is_some()).then_some(Location {
            city,
            country: country_code,
        }),
    });
    let unmapped_source = if has_address {
        UnmappedSource {
            city: None,
            country: country_code.is_none().then_some(country_name).flatten(),
        }
    } else {
        UnmappedSource {
            city,
            country: country_name,
        }
    };

    let client_id = user.and_then(|u| u.client_id.as_deref());
    let user_agent = n
        .device
        .as_ref()
        .filter(|d| d.browser.is_some() || d.os.is_some())
        .map(|d| HttpRequest {
            user_agent: cap(&d.name),
        });
    let protocol = if is_auth { auth_protocol_of(n) } else { None };

    Record {
        activity_id: activity.id,
        activity_name,
        category_uid: CATEGORY_UID,
        category_name: CATEGORY_NAME,
        class_uid: activity.class.uid,
        class_name: activity.class.caption(),
        type_uid: activity.type_uid(),
        type_name: activity.type_name(),
        severity_id,
        severity: severity_caption(severity_id),
        status_id: status.id,
        status: cap(status.name),
        status_code: n.event.response.as_deref().map(cap),
        status_detail: n
            .notification
            .as_ref()
            .and_then(|d| d.details.as_deref())
            .map(cap),
        message: is_notification.then_some("Amazon Cognito could not deliver a message"),
        time: n.time_ms.unwrap_or(0),
        timezone_offset: 0,
        metadata: Metadata {
            version: cfg.ocsf_version.as_str(),
            product: PRODUCT,
            profiles: PROFILES,
            uid: n.event.id.as_deref().map(cap),
            correlation_uid: n.event.request_id.as_deref().map(cap),
            event_code: n.event.type_.as_deref().map(cap),
            log_name: if is_notification {
                "userNotification"
            } else {
                "userAuthEvents"
            },
            log_provider: match n.origin.transport {
                Transport::CloudwatchLogs => "Amazon CloudWatch Logs",
                Transport::Direct => "Amazon Data Firehose",
            },
            log_level: n.log_level.as_deref().map(cap),
            log_version: n.event.version.as_deref().map(cap),
            original_time: n.event.created_at.as_deref(),
            tenant_uid: n.origin.account_id.as_deref().map(cap),
        },
        cloud: Cloud {
            provider: "AWS",
            region: user.and_then(|u| u.region.as_deref()),
            account: n.origin.account_id.as_deref().map(|uid| Account {
                uid: cap(uid),
                type_id: ACCOUNT_TYPE_AWS.0,
                type_: ACCOUNT_TYPE_AWS.1,
            }),
        },
        user: ocsf_user,
        service: is_auth.then(|| Service {
            name: "Amazon Cognito",
            uid: client_id.map(cap),
        }),
        src_endpoint,
        http_request: user_agent,
        auth_protocol_id: protocol.map(|p| p.0),
        auth_protocol: protocol.map(|p| p.1),
        is_mfa: (is_auth && !n.challenges.is_empty()).then(|| n.is_mfa()),
        is_remote: is_auth.then_some(true),
        unmapped: Unmapped {
            risk: n.risk.as_ref(),
            challenges: &n.challenges,
            feedback: n.feedback.as_ref(),
            user: UnmappedUser {
                name_hashed: user.is_some_and(|u| u.name_hashed),
                identity_provider: user.and_then(|u| u.identity_provider.as_deref()),
                client_id: (!is_auth).then_some(client_id).flatten(),
            },
            source: unmapped_source,
            origin: UnmappedOrigin {
                transport: n.origin.transport,
                log_group: n.origin.log_group.as_deref(),
                log_stream: n.origin.log_stream.as_deref(),
                log_event_id: n.origin.log_event_id.as_deref(),
            },
            extra: (!n.unmapped.0.is_empty()).then_some(&n.unmapped),
        },
    }
}

/// Appends one OCSF record (one JSON object, no newline) to `out`.
pub fn write(n: &Normalized<'_>, cfg: &Config, out: &mut Vec<u8>) {
    let record = to_record(n, cfg);
    #[cfg(test)]
    if super::SERDE_ONLY.with(std::cell::Cell::get) {
        super::write_json(&record, out);
        return;
    }
    write_record(&record, out);
}

/// Appends `r` as compact JSON, exactly as `serde_json::to_writer(&r)`
/// would (the derive above stays the definition; tests hold the two equal):
/// the keys are literals here, so only the values are checked for escapes.
pub fn write_record(r: &Record<'_>, out: &mut Vec<u8>) {
    let mut num = itoa::Buffer::new();
    out.extend_from_slice(b"{\"activity_id\":");
    out.extend_from_slice(num.format(r.activity_id).as_bytes());
    out.extend_from_slice(b",\"activity_name\":");
    write_str(out, r.activity_name);
    out.extend_from_slice(b",\"category_uid\":");
    out.extend_from_slice(num.format(r.category_uid).as_bytes());
    out.extend_from_slice(b",\"category_name\":");
    write_str(out, r.category_name);
    out.extend_from_slice(b",\"class_uid\":");
    out.extend_from_slice(num.format(r.class_uid).as_bytes());
    out.extend_from_slice(b",\"class_name\":");
    write_str(out, r.class_name);
    out.extend_from_slice(b",\"type_uid\":");
    out.extend_from_slice(num.format(r.type_uid).as_bytes());
    out.extend_from_slice(b",\"type_name\":");
    write_str(out, r.type_name);
    out.extend_from_slice(b",\"severity_id\":");
    out.extend_from_slice(num.format(r.severity_id).as_bytes());
    out.extend_from_slice(b",\"severity\":");
    write_str(out, r.severity);
    out.extend_from_slice(b",\"status_id\":");
    out.extend_from_slice(num.format(r.status_id).as_bytes());
    out.extend_from_slice(b",\"status\":");
    write_str(out, r.status);
    opt(out, ",\"status_code\":", r.status_code);
    opt(out, ",\"status_detail\":", r.status_detail);
    opt(out, ",\"message\":", r.message);
    out.extend_from_slice(b",\"time\":");
    out.extend_from_slice(num.format(r.time).as_bytes());
    out.extend_from_slice(b",\"timezone_offset\":");
    out.extend_from_slice(num.format(r.timezone_offset).as_bytes());

    let m = &r.metadata;
    out.extend_from_slice(b",\"metadata\":{\"version\":");
    write_str(out, m.version);
    out.extend_from_slice(b",\"product\":{\"name\":");
    write_str(out, m.product.name);
    out.extend_from_slice(b",\"vendor_name\":");
    write_str(out, m.product.vendor_name);
    out.extend_from_slice(b"},\"profiles\":[");
    for (i, p) in m.profiles.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, p);
    }
    out.push(b']');
    opt(out, ",\"uid\":", m.uid);
    opt(out, ",\"correlation_uid\":", m.correlation_uid);
    opt(out, ",\"event_code\":", m.event_code);
    out.extend_from_slice(b",\"log_name\":");
    write_str(out, m.log_name);
    out.extend_from_slice(b",\"log_provider\":");
    write_str(out, m.log_provider);
    opt(out, ",\"log_level\":", m.log_level);
    opt(out, ",\"log_version\":", m.log_version);
    opt(out, ",\"original_time\":", m.original_time);
    opt(out, ",\"tenant_uid\":", m.tenant_uid);
    out.push(b'}');

    out.extend_from_slice(b",\"cloud\":{\"provider\":");
    write_str(out, r.cloud.provider);
    opt(out, ",\"region\":", r.cloud.region);
    if let Some(a) = &r.cloud.account {
        out.extend_from_slice(b",\"account\":");
        write_account(out, a);
    }
    out.push(b'}');

    let u = &r.user;
    out.extend_from_slice(b",\"user\":{");
    let mut f = Fields::new(out);
    f.opt(",\"uid\":", u.uid);
    f.opt(",\"name\":", u.name);
    if let Some(t) = u.type_id {
        f.raw(",\"type_id\":", num.format(t));
    }
    f.opt(",\"type\":", u.type_);
    if let Some(a) = &u.account {
        write_account(f.open(",\"account\":"), a);
    }
    out.push(b'}');

    if let Some(s) = &r.service {
        out.extend_from_slice(b",\"service\":{\"name\":");
        write_str(out, s.name);
        opt(out, ",\"uid\":", s.uid);
        out.push(b'}');
    }
    if let Some(e) = &r.src_endpoint {
        out.extend_from_slice(b",\"src_endpoint\":{");
        let mut f = Fields::new(out);
        f.opt(",\"ip\":", e.ip);
        f.opt(",\"uid\":", e.uid);
        if let Some(l) = &e.location {
            let out = f.open(",\"location\":");
            out.push(b'{');
            let mut f = Fields::new(out);
            f.opt(",\"city\":", l.city);
            f.opt(",\"country\":", l.country);
            out.push(b'}');
        }
        out.push(b'}');
    }
    if let Some(h) = &r.http_request {
        out.extend_from_slice(b",\"http_request\":{\"user_agent\":");
        write_str(out, h.user_agent);
        out.push(b'}');
    }
    if let Some(id) = r.auth_protocol_id {
        out.extend_from_slice(b",\"auth_protocol_id\":");
        out.extend_from_slice(num.format(id).as_bytes());
    }
    opt(out, ",\"auth_protocol\":", r.auth_protocol);
    if let Some(b) = r.is_mfa {
        out.extend_from_slice(if b {
            b",\"is_mfa\":true".as_slice()
        } else {
            b",\"is_mfa\":false".as_slice()
        });
    }
    if let Some(b) = r.is_remote {
        out.extend_from_slice(if b {
            b",\"is_remote\":true".as_slice()
        } else {
            b",\"is_remote\":false".as_slice()
        });
    }

    let un = &r.unmapped;
    out.extend_from_slice(b",\"unmapped\":{");
    let mut f = Fields::new(out);
    if let Some(risk) = un.risk {
        write_risk(f.open(",\"risk\":"), risk);
    }
    if !un.challenges.is_empty() {
        write_challenges(f.open(",\"challenges\":"), un.challenges);
    }
    if let Some(fb) = un.feedback {
        write_feedback(f.open(",\"feedback\":"), fb);
    }
    if !un.user.is_empty() {
        let out = f.open(",\"user\":");
        out.push(b'{');
        let mut g = Fields::new(out);
        if un.user.name_hashed {
            g.raw(",\"name_hashed\":", "true");
        }
        g.opt(",\"identity_provider\":", un.user.identity_provider);
        g.opt(",\"client_id\":", un.user.client_id);
        out.push(b'}');
    }
    if !un.source.is_empty() {
        let out = f.open(",\"source\":");
        out.push(b'{');
        let mut g = Fields::new(out);
        g.opt(",\"city\":", un.source.city);
        g.opt(",\"country\":", un.source.country);
        out.push(b'}');
    }
    let out = f.open(",\"origin\":");
    out.extend_from_slice(b"{\"transport\":");
    out.extend_from_slice(transport(un.origin.transport));
    opt(out, ",\"log_group\":", un.origin.log_group);
    opt(out, ",\"log_stream\":", un.origin.log_stream);
    opt(out, ",\"log_event_id\":", un.origin.log_event_id);
    out.push(b'}');
    if let Some(extra) = un.extra {
        // Rare, and of any shape: the generic serializer.
        out.extend_from_slice(b",\"extra\":");
        super::write_json(extra, out);
    }
    out.extend_from_slice(b"}}");
}

fn write_account(out: &mut Vec<u8>, a: &Account<'_>) {
    out.extend_from_slice(b"{\"uid\":");
    write_str(out, a.uid);
    out.extend_from_slice(b",\"type_id\":");
    out.extend_from_slice(itoa::Buffer::new().format(a.type_id).as_bytes());
    out.extend_from_slice(b",\"type\":");
    write_str(out, a.type_);
    out.push(b'}');
}

/// The record as a JSON value, for tests.
#[cfg(test)]
pub(crate) fn to_value(n: &Normalized<'_>, cfg: &Config) -> serde_json::Value {
    let mut out = Vec::new();
    write(n, cfg, &mut out);
    serde_json::from_slice(&out).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::parse_documents;
    use crate::config::{HashKey, IpMode, OcsfVersion, UserNameMode};
    use crate::normalize::{normalize, tests::FIELD_RECORD, Context};

    fn ocsf_with(json: &str, cfg: &Config) -> serde_json::Value {
        let docs = parse_documents(json).unwrap();
        let n = normalize(&docs[0], &Context::default(), cfg).unwrap();
        to_value(&n, cfg)
    }

    fn ocsf(json: &str) -> serde_json::Value {
        ocsf_with(json, &Config::default())
    }

    /// A user-activity record with these message fields.
    fn activity(message: &str) -> serde_json::Value {
        ocsf(&format!(
            r#"{{"eventTimestamp":"1732400000000","eventSource":"USER_AUTH_EVENTS","logLevel":"INFO","message":{{"userSub":"s","userPoolId":"us-east-1_abc",{message}}}}}"#
        ))
    }

    fn risk(level: &str, decision: &str, compromised: &str) -> serde_json::Value {
        activity(&format!(
            r#""eventType":"SignIn","eventResponse":"Fail","riskLevel":"{level}","riskDecision":"{decision}","compromisedCredentialDetected":"{compromised}""#
        ))
    }

    #[test]
    fn has_context_data_goes_with_the_risk_under_unmapped_and_leaves_severity_alone() {
        for (raw, want) in [("true", true), ("false", false)] {
            let v = activity(&format!(
                r#""eventType":"SignIn","eventResponse":"Pass","hasContextData":"{raw}""#
            ));
            assert_eq!(v["unmapped"]["risk"]["has_context_data"], want);
            assert!(v["unmapped"].get("extra").is_none(), "{v}");
            assert_eq!(v["severity_id"], 1);
        }
        let v = activity(r#""eventType":"SignIn","hasContextData":"maybe""#);
        assert!(v["unmapped"].get("risk").is_none());
        assert_eq!(v["unmapped"]["extra"]["message"]["hasContextData"], "maybe");
    }

    #[test]
    fn maps_each_event_type_to_its_class_and_activity() {
        for (ty, class, id, name) in [
            ("SignIn", 3002, 1, "Logon"),
            ("SignUp", 3001, 1, "Create"),
            ("PasswordChange", 3001, 3, "Password Change"),
            ("ForgotPassword", 3001, 4, "Password Reset"),
            ("ResendCode", 3001, 99, "ResendCode"),
            ("TokenRefresh", 3002, 99, "TokenRefresh"),
        ] {
            let v = activity(&format!(r#""eventType":"{ty}""#));
            assert_eq!(v["class_uid"], class, "{ty}");
            assert_eq!(v["activity_id"], id, "{ty}");
            assert_eq!(v["activity_name"], name, "{ty}");
            assert_eq!(v["type_uid"], class * 100 + id, "{ty}");
            assert_eq!(v["metadata"]["event_code"], ty);
        }
    }

    #[test]
    fn an_event_without_a_type_is_an_unknown_authentication() {
        let v = activity(r#""eventResponse":"Pass""#);
        assert_eq!(v["class_uid"], 3002);
        assert_eq!(v["activity_id"], 0);
        assert_eq!(v["activity_name"], "Unknown");
        assert_eq!(v["type_name"], "Authentication: Unknown");
    }

    #[test]
    fn the_partition_class_agrees_with_the_record_class() {
        for ty in ["SignIn", "SignUp", "ResendCode", "Whatever"] {
            let json =
                format!(r#"{{"eventSource":"USER_AUTH_EVENTS","message":{{"eventType":"{ty}"}}}}"#);
            let docs = parse_documents(&json).unwrap();
            let n = normalize(&docs[0], &Context::default(), &Config::default()).unwrap();
            let v = to_value(&n, &Config::default());
            assert_eq!(v["class_uid"], class_of(&n).uid, "{ty}");
        }
    }

    #[test]
    fn maps_the_outcome_to_status() {
        for (response, id, status) in [
            ("Pass", 1, "Success"),
            ("Fail", 2, "Failure"),
            ("InProgress", 99, "InProgress"),
            ("Throttled", 99, "Throttled"),
        ] {
            let v = activity(&format!(
                r#""eventType":"SignIn","eventResponse":"{response}""#
            ));
            assert_eq!(v["status_id"], id, "{response}");
            assert_eq!(v["status"], status, "{response}");
            assert_eq!(v["status_code"], response, "{response}");
        }
        let v = activity(r#""eventType":"SignIn""#);
        assert_eq!(
            (v["status_id"].as_u64(), v["status"].as_str()),
            (Some(0), Some("Unknown"))
        );
        assert!(v.get("status_code").is_none());
    }

    #[test]
    fn severity_follows_the_risk_level() {
        for (level, want) in [
            ("", 1),
            ("None", 1),
            ("Low", 2),
            ("Medium", 3),
            ("High", 4),
            ("Extreme", 0),
        ] {
            let v = risk(level, "NoRisk", "false");
            assert_eq!(v["severity_id"], want, "{level}");
            assert_eq!(v["severity"], severity_caption(want), "{level}");
        }
        let v = activity(r#""eventType":"SignIn""#);
        assert_eq!(v["severity_id"], 1, "no risk data at all is informational");
    }

    #[test]
    fn takeovers_blocks_and_leaked_passwords_stand_out() {
        assert_eq!(risk("Low", "Block", "false")["severity_id"], 4);
        assert_eq!(risk("Low", "AccountTakeover", "false")["severity_id"], 4);
        assert_eq!(risk("Medium", "AccountTakeover", "false")["severity_id"], 4);
        assert_eq!(risk("High", "AccountTakeover", "false")["severity_id"], 5);
        assert_eq!(risk("", "", "true")["severity_id"], 5);
        assert_eq!(risk("Low", "NoRisk", "true")["severity"], "Critical");
        // The raw values stay queryable.
        let v = risk("High", "AccountTakeover", "true");
        assert_eq!(v["unmapped"]["risk"]["decision"], "account_takeover");
        assert_eq!(v["unmapped"]["risk"]["level"], "high");
        assert_eq!(v["unmapped"]["risk"]["compromised_credentials"], true);
    }

    #[test]
    fn notification_logs_are_failed_account_changes_of_low_severity() {
        let v = ocsf(
            r#"{"eventTimestamp":"1687297330677","eventSource":"USER_NOTIFICATION","logLevel":"ERROR","message":{"details":"SMS message failed"},"logSourceId":{"userPoolId":"us-west-2_EXAMPLE"}}"#,
        );
        assert_eq!(v["class_uid"], 3001);
        assert_eq!(v["activity_id"], 99);
        assert_eq!(v["activity_name"], NOTIFICATION_ACTIVITY);
        assert_eq!(v["type_uid"], 300199);
        assert_eq!(v["status_id"], 2);
        assert_eq!(v["status"], "Failure");
        assert_eq!(v["status_detail"], "SMS message failed");
        assert_eq!(v["severity_id"], 2);
        assert_eq!(v["metadata"]["log_name"], "userNotification");
        assert_eq!(v["user"]["account"]["uid"], "us-west-2_EXAMPLE");
        assert!(v["user"].get("name").is_none());
        assert_eq!(v["cloud"]["region"], "us-west-2");
    }

    #[test]
    fn maps_the_field_record_to_every_home() {
        let v = ocsf(FIELD_RECORD);
        assert_eq!(v["time"], 1_723_070_073_369_i64);
        assert_eq!(v["metadata"]["uid"], "7f151463-1488-428f-a5c1-9f9c80cf2114");
        assert_eq!(v["metadata"]["version"], "1.1.0");
        assert_eq!(v["metadata"]["product"]["name"], "Amazon Cognito");
        assert_eq!(v["metadata"]["original_time"], "2024-08-07T22:34:33Z");
        assert_eq!(v["user"]["uid"], "0784fae8-c051-70ff-b12c-0e32600fdd02");
        assert_eq!(v["user"]["name"], "hoge0808");
        assert_eq!(v["user"]["account"]["uid"], "ap-northeast-1_EcsdFoftu");
        assert_eq!(v["user"]["account"]["type_id"], 99);
        assert_eq!(v["service"]["uid"], "g0n17akfs8hkb8hmlqh38r9tg");
        assert_eq!(v["cloud"]["region"], "ap-northeast-1");
        assert_eq!(v["src_endpoint"]["ip"], "2001:db8::1");
        assert_eq!(v["src_endpoint"]["location"]["country"], "JP");
        assert_eq!(v["src_endpoint"]["location"]["city"], "Sapporo");
        assert_eq!(v["is_mfa"], false);
        assert_eq!(v["auth_protocol_id"], 99);
        assert_eq!(v["auth_protocol"], "Password");
        assert!(
            v.get("http_request").is_none(),
            "\"Other, Other\" says nothing"
        );
        assert_eq!(v["unmapped"]["challenges"][0]["name"], "Password");
        assert!(v.get("time_dt").is_none());
    }

    #[test]
    fn mfa_and_federation_reach_their_attributes() {
        let v = activity(
            r#""eventType":"SignIn","challenges":["Password:Success","SmsMfa:Success"],"deviceName":"Chrome 126, Windows 10""#,
        );
        assert_eq!(v["is_mfa"], true);
        assert_eq!(v["http_request"]["user_agent"], "Chrome 126, Windows 10");
        let v = activity(r#""eventType":"SignIn","idpName":"Google""#);
        assert_eq!(
            (v["auth_protocol_id"].as_u64(), v["auth_protocol"].as_str()),
            (Some(4), Some("OpenID"))
        );
        assert!(v.get("is_mfa").is_none(), "no challenges, no claim");
        let v = activity(r#""eventType":"SignIn","idpName":"CorpOkta""#);
        assert_eq!(
            (v["auth_protocol_id"].as_u64(), v["auth_protocol"].as_str()),
            (Some(99), Some("CorpOkta"))
        );
        assert_eq!(v["unmapped"]["user"]["identity_provider"], "CorpOkta");
    }

    #[test]
    fn account_changes_carry_no_authentication_attributes() {
        let v =
            activity(r#""eventType":"SignUp","clientId":"app1","challenges":["Password:Success"]"#);
        for key in [
            "service",
            "is_mfa",
            "is_remote",
            "auth_protocol_id",
            "auth_protocol",
        ] {
            assert!(v.get(key).is_none(), "{key} in {v}");
        }
        assert_eq!(v["unmapped"]["user"]["client_id"], "app1");
    }

    #[test]
    fn a_country_without_a_code_and_a_location_without_an_address_stay_unmapped() {
        let v = activity(r#""eventType":"SignIn","ipAddress":"192.0.2.1","country":"Atlantis""#);
        assert!(v["src_endpoint"].get("location").is_none());
        assert_eq!(v["unmapped"]["source"]["country"], "Atlantis");
        let v = activity(r#""eventType":"SignIn","city":"Oslo","country":"Norway""#);
        assert!(v.get("src_endpoint").is_none());
        assert_eq!(v["unmapped"]["source"]["city"], "Oslo");
    }

    #[test]
    fn hashing_keeps_raw_values_out_and_the_hash_identifies_the_endpoint() {
        let mut cfg = Config {
            ip_mode: IpMode::Hash,
            user_name_mode: UserNameMode::Hash,
            ocsf_version: OcsfVersion::V1_8_0,
            ..Config::default()
        };
        cfg.hash_key = HashKey::new(b"0123456789abcdef".to_vec());
        let v = ocsf_with(FIELD_RECORD, &cfg);
        let text = v.to_string();
        assert!(
            !text.contains("2001:db8::1") && !text.contains("hoge0808"),
            "{text}"
        );
        assert_eq!(v["src_endpoint"]["uid"].as_str().unwrap().len(), 64);
        assert!(v["src_endpoint"].get("ip").is_none());
        assert_eq!(v["user"]["name"].as_str().unwrap().len(), 64);
        assert_eq!(v["unmapped"]["user"]["name_hashed"], true);
        assert_eq!(v["metadata"]["version"], "1.8.0");
    }

    #[test]
    fn an_event_naming_nobody_still_has_a_user() {
        let v = ocsf(r#"{"eventSource":"USER_AUTH_EVENTS","message":{"eventType":"SignIn"}}"#);
        assert_eq!(v["user"]["name"], UNKNOWN_USER_NAME);
        assert_eq!(v["user"]["type_id"], 0);
        assert_eq!(v["time"], 0);
    }

    #[test]
    fn unknown_input_fields_are_kept_under_unmapped_extra() {
        let v = activity(r#""eventType":"SignIn","brandNew":"x""#);
        assert_eq!(v["unmapped"]["extra"]["message"]["brandNew"], "x");
        assert_eq!(v["unmapped"]["origin"]["transport"], "direct");
    }

    #[test]
    fn writes_one_object_without_a_newline() {
        let docs = parse_documents(FIELD_RECORD).unwrap();
        let n = normalize(&docs[0], &Context::default(), &Config::default()).unwrap();
        let mut out = Vec::new();
        write(&n, &Config::default(), &mut out);
        assert_eq!(out.first(), Some(&b'{'));
        assert_eq!(out.last(), Some(&b'}'));
        assert!(!out.contains(&b'\n'));
    }

    #[test]
    fn the_hand_writer_writes_what_serde_writes_for_every_sample_record() {
        let seen = crate::output::normalized::tests::for_each_sample(|n, cfg| {
            for version in [OcsfVersion::V1_1_0, OcsfVersion::V1_8_0] {
                let cfg = Config {
                    ocsf_version: version,
                    ..cfg.clone()
                };
                let record = to_record(n, &cfg);
                let mut ours = Vec::new();
                write_record(&record, &mut ours);
                assert_eq!(
                    String::from_utf8(ours).unwrap(),
                    serde_json::to_string(&record).unwrap()
                );
            }
        });
        assert!(seen > 20, "only {seen} records compared");
    }

    proptest::proptest! {
        #[test]
        fn any_string_value_reaches_ocsf_as_serde_writes_it(
            s in "\\PC*|[\\x00-\\x7f]{0,40}",
            key in "[a-zA-Z]{1,12}",
            kind in 0..3usize,
        ) {
            let source = ["USER_AUTH_EVENTS", "USER_NOTIFICATION", "x"][kind];
            let rec = serde_json::json!({
                "eventSource": source,
                "eventTimestamp": "1723070073369",
                "logLevel": &s,
                "message": {"eventType": &s, "userName": &s, "city": &s, "country": &s,
                    "deviceName": &s, "challenges": &s, "ipAddress": &s, "idpName": &s,
                    "eventResponse": &s, "riskLevel": &s, "riskDecision": &s,
                    "eventFeedbackValue": &s, "details": &s, "clientId": &s, &key: &s},
            });
            let text = rec.to_string();
            let docs = parse_documents(&text).unwrap();
            let ctx = Context { account_id: Some(s.as_str().into()), ..Context::default() };
            let n = normalize(&docs[0], &ctx, &Config::default()).unwrap();
            let record = to_record(&n, &Config::default());
            let mut ours = Vec::new();
            write_record(&record, &mut ours);
            proptest::prop_assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(&record).unwrap()
            );
        }
    }

    #[test]
    fn cap_cuts_long_strings_on_a_character_boundary() {
        let long = "é".repeat(40_000);
        let capped = cap(&long);
        assert!(capped.len() <= 65_535 && capped.chars().count() <= 65_535);
        assert!(long.starts_with(capped));
        assert_eq!(cap("short"), "short");
    }
}
