//! Elastic Common Schema (ECS) 9.x documents, for Elasticsearch and Elastic
//! Security (docs/ecs.md has the mapping field by field).
//!
//! Every field we emit is either an ECS 9.4.0 field with the type and the
//! allowed values ECS gives it (<https://www.elastic.co/docs/reference/ecs>,
//! field list from elastic/ecs `generated/ecs/ecs_flat.yml` at tag v9.4.0),
//! or lives under the custom `cognito.*` namespace, as ECS asks of fields it
//! does not define (<https://www.elastic.co/docs/reference/ecs/ecs-custom-fields-in-ecs>).
//! `shared/tests/ecs_fields.rs` holds every sample and fixture to that.
//!
//! Documents are nested JSON objects, not dotted keys, and are serialized
//! straight from structs that borrow from the [`Normalized`] record, with no
//! allocation of their own.

use std::fmt;

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use crate::cognito::{LogKind, Object};
use crate::config::Config;
use crate::normalize::{Challenge, Feedback, Normalized, Outcome, Risk, Transport};

/// The ECS version whose field list the documents follow.
pub const ECS_VERSION: &str = "9.4.0";
/// `event.module`: ours, not one of Elastic's integrations.
pub const MODULE: &str = "cognito";
/// `event.provider` and `cloud.service.name`: how AWS names the service in
/// CloudTrail and in ARNs.
pub const PROVIDER: &str = "cognito-idp.amazonaws.com";
pub const SERVICE: &str = "cognito-idp";

/// ECS `event.category` and `event.type` for one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Categorization {
    pub category: &'static [&'static str],
    pub type_: &'static [&'static str],
}

const AUTH_START: Categorization = Categorization {
    category: &["authentication"],
    type_: &["start"],
};
const AUTH_INFO: Categorization = Categorization {
    category: &["authentication"],
    type_: &["info"],
};
const USER_CREATION: Categorization = Categorization {
    category: &["iam"],
    type_: &["user", "creation"],
};
const USER_CHANGE: Categorization = Categorization {
    category: &["iam"],
    type_: &["user", "change"],
};
const USER_INFO: Categorization = Categorization {
    category: &["iam"],
    type_: &["user", "info"],
};

/// Categorizes an event by its Cognito event type (matched ignoring case and
/// punctuation). Types Cognito may add later are `authentication`/`info`, as
/// the OCSF mapping files them under Authentication.
pub fn categorize(n: &Normalized<'_>) -> Categorization {
    if n.log_kind() == LogKind::Notification {
        // Message delivery (SMS, email) for a user's codes: an account
        // matter, and ECS expects `info` with `iam`.
        return USER_INFO;
    }
    let Some(t) = n.event.type_.as_deref() else {
        return AUTH_INFO;
    };
    let is = |name: &str| squashed_eq(t, name);
    if is("signin") {
        AUTH_START
    } else if is("signup") {
        USER_CREATION
    } else if is("passwordchange") || is("changepassword") || is("forgotpassword") {
        USER_CHANGE
    } else if is("resendcode") {
        USER_INFO
    } else {
        AUTH_INFO
    }
}

/// Whether `raw`, lowercased with everything but ASCII letters and digits
/// removed, equals `squashed` (`RESEND_CODE` and `ResendCode` both equal
/// `resendcode`), without allocating.
fn squashed_eq(raw: &str, squashed: &str) -> bool {
    raw.bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase())
        .eq(squashed.bytes())
}

/// ECS `event.outcome` allows only `success`, `failure` and `unknown`: an
/// `InProgress` sign-in (a challenge still to answer) is `unknown`. Cognito
/// exports notification logs only for delivery errors, so one at level ERROR
/// is a `failure`.
pub fn outcome(n: &Normalized<'_>) -> &'static str {
    if n.log_kind() == LogKind::Notification {
        let error = n
            .log_level
            .as_deref()
            .is_some_and(|l| l.eq_ignore_ascii_case("error"));
        return if error { "failure" } else { "unknown" };
    }
    match n.event.outcome {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
        Outcome::InProgress | Outcome::Unknown => "unknown",
    }
}

/// `event.severity` and `event.risk_score` for a canonical risk level.
/// Severity is the level's rank (0 to 3); the risk score uses the upper
/// bounds of Elastic Security's severity bands (low 21, medium 47, high 73),
/// so rules and dashboards that read `event.risk_score` rank events as
/// Elastic's own rules do. Non-canonical levels get neither.
pub fn risk_numbers(level: &str) -> Option<(u8, f32)> {
    match level {
        "none" => Some((0, 0.0)),
        "low" => Some((1, 21.0)),
        "medium" => Some((2, 47.0)),
        "high" => Some((3, 73.0)),
        _ => None,
    }
}

/// `"Chrome 126"` -> (`Chrome`, `126`); `"Mac OS X 10.15"` -> (`Mac OS X`,
/// `10.15`); `"Linux"` -> (`Linux`, none). The version is the last word when
/// it starts with a digit.
pub fn split_version(s: &str) -> (&str, Option<&str>) {
    let s = s.trim();
    match s.rsplit_once(' ') {
        Some((name, version))
            if !name.trim().is_empty() && version.starts_with(|c: char| c.is_ascii_digit()) =>
        {
            (name.trim_end(), Some(version))
        }
        _ => (s, None),
    }
}

/// ECS `*.os.type` (one of its expected values) from an OS name.
pub fn os_type(name: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    if n.starts_with("windows") {
        Some("windows")
    } else if n.starts_with("mac") || n.starts_with("os x") {
        Some("macos")
    } else if n.starts_with("ios") || n.starts_with("ipados") {
        Some("ios")
    } else if n.starts_with("android") {
        Some("android")
    } else if ["linux", "ubuntu", "debian", "fedora", "red hat", "centos"]
        .iter()
        .any(|p| n.starts_with(p))
    {
        Some("linux")
    } else {
        None
    }
}

// ---------------------------------------------------------------------------
// The document. Field names are ECS's; `cognito` is our custom namespace.
// ---------------------------------------------------------------------------

#[derive(Serialize)]
struct Doc<'n> {
    #[serde(rename = "@timestamp", skip_serializing_if = "Option::is_none")]
    timestamp: Option<&'n str>,
    ecs: EcsSet,
    message: Summary<'n>,
    event: EventSet<'n>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<UserSet<'n>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<SourceSet<'n>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    network: Option<NetworkSet>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<UserAgentSet<'n>>,
    cloud: CloudSet<'n>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorSet<'n>>,
    #[serde(skip_serializing_if = "Related::is_empty")]
    related: Related<'n>,
    cognito: CognitoSet<'n>,
}

#[derive(Serialize)]
struct EcsSet {
    version: &'static str,
}

#[derive(Serialize)]
struct EventSet<'n> {
    kind: &'static str,
    category: &'static [&'static str],
    #[serde(rename = "type")]
    type_: &'static [&'static str],
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'n str>,
    module: &'static str,
    dataset: &'static str,
    provider: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    risk_score: Option<f32>,
}

#[derive(Serialize)]
struct UserSet<'n> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'n str>,
    /// ECS's place for a user identifier in anonymized form.
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'n str>,
}

#[derive(Serialize)]
struct SourceSet<'n> {
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    geo: Option<GeoSet<'n>>,
}

#[derive(Serialize)]
struct GeoSet<'n> {
    #[serde(skip_serializing_if = "Option::is_none")]
    city_name: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country_name: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country_iso_code: Option<&'static str>,
}

#[derive(Serialize)]
struct NetworkSet {
    #[serde(rename = "type")]
    type_: &'static str,
}

#[derive(Serialize)]
struct UserAgentSet<'n> {
    original: &'n str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    os: Option<OsSet<'n>>,
}

#[derive(Serialize)]
struct OsSet<'n> {
    full: &'n str,
    name: &'n str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'n str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    type_: Option<&'static str>,
}

#[derive(Serialize)]
struct CloudSet<'n> {
    provider: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<AccountSet<'n>>,
    service: ServiceSet,
}

#[derive(Serialize)]
struct AccountSet<'n> {
    id: &'n str,
}

#[derive(Serialize)]
struct ServiceSet {
    name: &'static str,
}

#[derive(Serialize)]
struct ErrorSet<'n> {
    message: &'n str,
}

#[derive(Serialize)]
struct Related<'n> {
    #[serde(skip_serializing_if = "Few::is_empty")]
    ip: Few<'n>,
    #[serde(skip_serializing_if = "Few::is_empty")]
    user: Few<'n>,
}

impl Related<'_> {
    fn is_empty(&self) -> bool {
        self.ip.is_empty() && self.user.is_empty()
    }
}

/// Up to two distinct strings, serialized as a JSON array without a `Vec`.
#[derive(Default)]
struct Few<'n>([Option<&'n str>; 2]);

impl<'n> Few<'n> {
    fn push(&mut self, value: Option<&'n str>) {
        let Some(v) = value else { return };
        if self.0.iter().flatten().any(|x| *x == v) {
            return;
        }
        if let Some(slot) = self.0.iter_mut().find(|s| s.is_none()) {
            *slot = Some(v);
        }
    }
    fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }
}

impl Serialize for Few<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.iter().flatten().count()))?;
        for v in self.0.iter().flatten() {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

/// The custom namespace: what Cognito says that ECS has no field for.
#[derive(Serialize)]
struct CognitoSet<'n> {
    #[serde(skip_serializing_if = "Option::is_none")]
    event_source: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_level: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_response: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_version: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creation_date: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity_provider: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    risk: Option<&'n Risk<'n>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    challenges: &'n [Challenge<'n>],
    #[serde(skip_serializing_if = "Option::is_none")]
    mfa: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feedback: Option<&'n Feedback<'n>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<CognitoSource<'n>>,
    origin: CognitoOrigin<'n>,
    #[serde(skip_serializing_if = "is_empty_object")]
    unmapped: &'n Object<'n>,
}

#[derive(Serialize)]
struct CognitoSource<'n> {
    ip_hash: &'n str,
}

#[derive(Serialize)]
struct CognitoOrigin<'n> {
    transport: Transport,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_group: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_stream: Option<&'n str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_event_id: Option<&'n str>,
}

fn is_empty_object(o: &Object<'_>) -> bool {
    o.0.is_empty()
}

/// A short summary for log viewers, with no user name, address or other
/// personal data: `Cognito SignIn failure (account_takeover)`. Written
/// straight into the output by `Display`, without an intermediate `String`.
struct Summary<'n> {
    notification: bool,
    event_type: Option<&'n str>,
    outcome: Outcome,
    /// `account_takeover` or `block`, the decisions worth a glance.
    alarm: Option<&'n str>,
    failed: bool,
}

impl<'n> Summary<'n> {
    fn new(n: &'n Normalized<'_>, ecs_outcome: &str) -> Self {
        let decision = n.risk.as_ref().and_then(|r| r.decision.as_deref());
        Summary {
            notification: n.log_kind() == LogKind::Notification,
            event_type: n.event.type_.as_deref(),
            outcome: n.event.outcome,
            alarm: decision.filter(|d| matches!(*d, "account_takeover" | "block")),
            failed: ecs_outcome == "failure",
        }
    }
}

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.notification {
            return f.write_str(if self.failed {
                "Cognito message delivery error"
            } else {
                "Cognito notification"
            });
        }
        let event_type = self.event_type.unwrap_or("event");
        write!(f, "Cognito {event_type} {}", self.outcome.as_str())?;
        match self.alarm {
            Some(d) => write!(f, " ({d})"),
            None => Ok(()),
        }
    }
}

impl Serialize for Summary<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn document<'n>(n: &'n Normalized<'_>) -> Doc<'n> {
    let cat = categorize(n);
    let outcome = outcome(n);
    let notification = n.log_kind() == LogKind::Notification;
    let risk_nums = n
        .risk
        .as_ref()
        .and_then(|r| r.level.as_deref())
        .and_then(risk_numbers);

    let u = n.user.as_ref();
    let hashed = u.is_some_and(|u| u.name_hashed);
    let name = u.and_then(|u| u.name.as_deref());
    let (plain_name, name_hash) = if hashed { (None, name) } else { (name, None) };
    let user = u
        .map(|u| UserSet {
            id: u.sub.as_deref(),
            name: plain_name,
            hash: name_hash,
            domain: u.pool_id.as_deref(),
        })
        .filter(|s| s.id.is_some() || s.name.is_some() || s.hash.is_some() || s.domain.is_some());

    let src = n.source.as_ref();
    let ip = src.and_then(|s| s.ip.as_deref());
    let geo = src
        .map(|s| GeoSet {
            city_name: s.city.as_deref(),
            country_name: s.country.as_deref(),
            country_iso_code: s.country_code,
        })
        .filter(|g| g.city_name.is_some() || g.country_name.is_some());
    let source = (ip.is_some() || geo.is_some()).then_some(SourceSet { ip, geo });
    let network = src.and_then(|s| s.ip_version).and_then(|v| match v {
        4 => Some(NetworkSet { type_: "ipv4" }),
        6 => Some(NetworkSet { type_: "ipv6" }),
        _ => None,
    });

    let user_agent = n.device.as_ref().map(|d| {
        let (name, version) = match d.browser.as_deref() {
            Some(b) => {
                let (name, version) = split_version(b);
                (Some(name), version)
            }
            None => (None, None),
        };
        let os = d.os.as_deref().map(|full| {
            let (name, version) = split_version(full);
            OsSet {
                full,
                name,
                version,
                type_: os_type(name),
            }
        });
        UserAgentSet {
            original: &d.name,
            name,
            version,
            os,
        }
    });

    let mut related = Related {
        ip: Few::default(),
        user: Few::default(),
    };
    related.ip.push(ip);
    related.user.push(name);
    related.user.push(u.and_then(|u| u.sub.as_deref()));

    let details = n.notification.as_ref().and_then(|x| x.details.as_deref());

    Doc {
        timestamp: n.time.as_deref(),
        ecs: EcsSet {
            version: ECS_VERSION,
        },
        message: Summary::new(n, outcome),
        event: EventSet {
            kind: "event",
            category: cat.category,
            type_: cat.type_,
            outcome,
            action: n.event.type_.as_deref(),
            id: n.event.id.as_deref(),
            module: MODULE,
            dataset: if notification {
                "cognito.notification"
            } else {
                "cognito.user_activity"
            },
            provider: PROVIDER,
            severity: risk_nums.map(|(s, _)| s),
            risk_score: risk_nums.map(|(_, r)| r),
        },
        user,
        source,
        network,
        user_agent,
        cloud: CloudSet {
            provider: "aws",
            region: u.and_then(|u| u.region.as_deref()),
            account: n.origin.account_id.as_deref().map(|id| AccountSet { id }),
            service: ServiceSet { name: SERVICE },
        },
        error: details.map(|message| ErrorSet { message }),
        related,
        cognito: CognitoSet {
            event_source: n.event_source.as_deref(),
            log_level: n.log_level.as_deref(),
            event_response: n.event.response.as_deref(),
            request_id: n.event.request_id.as_deref(),
            event_version: n.event.version.as_deref(),
            creation_date: n.event.created_at.as_deref(),
            client_id: u.and_then(|u| u.client_id.as_deref()),
            identity_provider: u.and_then(|u| u.identity_provider.as_deref()),
            risk: n.risk.as_ref(),
            challenges: &n.challenges,
            mfa: (!n.challenges.is_empty()).then(|| n.is_mfa()),
            feedback: n.feedback.as_ref(),
            source: src
                .and_then(|s| s.ip_hash.as_deref())
                .map(|ip_hash| CognitoSource { ip_hash }),
            origin: CognitoOrigin {
                transport: n.origin.transport,
                log_group: n.origin.log_group.as_deref(),
                log_stream: n.origin.log_stream.as_deref(),
                log_event_id: n.origin.log_event_id.as_deref(),
            },
            unmapped: &n.unmapped,
        },
    }
}

/// Appends one ECS document (no trailing newline) to `out`.
pub fn write(n: &Normalized<'_>, _cfg: &Config, out: &mut Vec<u8>) {
    super::write_json(&document(n), out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::parse_documents;
    use crate::config::{HashKey, IpMode, UserNameMode};
    use crate::normalize::tests::FIELD_RECORD;
    use crate::normalize::{normalize, Context};
    use serde_json::Value;

    fn ecs_with(json: &str, ctx: &Context<'_>, cfg: &Config) -> Value {
        let docs = parse_documents(json).unwrap();
        let n = normalize(&docs[0], ctx, cfg).unwrap();
        let mut out = Vec::new();
        write(&n, cfg, &mut out);
        assert!(!out.ends_with(b"\n"), "no trailing newline");
        serde_json::from_slice(&out).unwrap()
    }

    fn ecs(json: &str) -> Value {
        ecs_with(json, &Context::default(), &Config::default())
    }

    fn activity(event_type: &str, response: &str) -> String {
        format!(
            r#"{{"eventTimestamp":"1723070073369","eventSource":"USER_AUTH_EVENTS","logLevel":"INFO","message":{{"eventId":"e1","eventType":"{event_type}","eventResponse":"{response}","userSub":"sub-1","userName":"alice","userPoolId":"us-east-1_abc"}}}}"#
        )
    }

    #[test]
    fn maps_the_record_from_the_field() {
        let ctx = Context {
            account_id: Some("123456789012".into()),
            ..Context::default()
        };
        let v = ecs_with(FIELD_RECORD, &ctx, &Config::default());
        assert_eq!(v["@timestamp"], "2024-08-07T22:34:33.369Z");
        assert_eq!(v["ecs"]["version"], "9.4.0");
        assert_eq!(v["event"]["kind"], "event");
        assert_eq!(
            v["event"]["category"],
            serde_json::json!(["authentication"])
        );
        assert_eq!(v["event"]["type"], serde_json::json!(["start"]));
        assert_eq!(v["event"]["outcome"], "unknown", "InProgress");
        assert_eq!(v["event"]["action"], "SignIn");
        assert_eq!(v["event"]["id"], "7f151463-1488-428f-a5c1-9f9c80cf2114");
        assert_eq!(v["event"]["dataset"], "cognito.user_activity");
        assert_eq!(v["event"]["provider"], "cognito-idp.amazonaws.com");
        assert_eq!(v["user"]["id"], "0784fae8-c051-70ff-b12c-0e32600fdd02");
        assert_eq!(v["user"]["name"], "hoge0808");
        assert_eq!(v["user"]["domain"], "ap-northeast-1_EcsdFoftu");
        assert_eq!(v["source"]["ip"], "2001:db8::1");
        assert_eq!(v["source"]["geo"]["city_name"], "Sapporo");
        assert_eq!(v["source"]["geo"]["country_name"], "Japan");
        assert_eq!(v["source"]["geo"]["country_iso_code"], "JP");
        assert_eq!(v["network"]["type"], "ipv6");
        assert_eq!(v["user_agent"]["original"], "Other, Other");
        assert!(v["user_agent"].get("name").is_none() && v["user_agent"].get("os").is_none());
        assert_eq!(v["cloud"]["provider"], "aws");
        assert_eq!(v["cloud"]["region"], "ap-northeast-1");
        assert_eq!(v["cloud"]["account"]["id"], "123456789012");
        assert_eq!(v["cloud"]["service"]["name"], "cognito-idp");
        assert_eq!(v["related"]["ip"], serde_json::json!(["2001:db8::1"]));
        assert_eq!(
            v["related"]["user"],
            serde_json::json!(["hoge0808", "0784fae8-c051-70ff-b12c-0e32600fdd02"])
        );
        assert_eq!(v["cognito"]["event_response"], "InProgress");
        assert_eq!(v["cognito"]["client_id"], "g0n17akfs8hkb8hmlqh38r9tg");
        assert_eq!(v["cognito"]["risk"]["decision"], "no_risk");
        assert_eq!(v["cognito"]["risk"]["compromised_credentials"], false);
        assert_eq!(v["cognito"]["challenges"][0]["name"], "Password");
        assert_eq!(v["cognito"]["mfa"], false);
        assert_eq!(v["cognito"]["creation_date"], "2024-08-07T22:34:33Z");
        assert_eq!(v["cognito"]["origin"]["transport"], "direct");
        assert!(v["event"].get("severity").is_none(), "no risk level given");
        assert!(v.get("error").is_none());
        assert!(v["cognito"].get("unmapped").is_none());
    }

    #[test]
    fn categorizes_each_cognito_event_type_with_a_type_ecs_expects() {
        for (t, cat, types) in [
            ("SignIn", "authentication", &["start"][..]),
            ("SignUp", "iam", &["user", "creation"][..]),
            ("PasswordChange", "iam", &["user", "change"][..]),
            ("ForgotPassword", "iam", &["user", "change"][..]),
            ("ResendCode", "iam", &["user", "info"][..]),
            ("RESEND_CODE", "iam", &["user", "info"][..]),
            ("SomethingNew", "authentication", &["info"][..]),
        ] {
            let v = ecs(&activity(t, "Pass"));
            assert_eq!(v["event"]["category"], serde_json::json!([cat]), "{t}");
            assert_eq!(v["event"]["type"], serde_json::json!(types), "{t}");
            assert_eq!(v["event"]["action"], t, "action keeps Cognito's spelling");
        }
        let v = ecs(r#"{"eventSource":"USER_AUTH_EVENTS","message":{"userSub":"x"}}"#);
        assert_eq!(v["event"]["type"], serde_json::json!(["info"]));
        assert!(v["event"].get("action").is_none());
    }

    #[test]
    fn outcomes_are_limited_to_the_three_ecs_allows() {
        for (response, want) in [
            ("Pass", "success"),
            ("Fail", "failure"),
            ("InProgress", "unknown"),
            ("Weird", "unknown"),
        ] {
            let v = ecs(&activity("SignIn", response));
            assert_eq!(v["event"]["outcome"], want, "{response}");
            assert_eq!(v["cognito"]["event_response"], response);
        }
    }

    #[test]
    fn has_context_data_is_a_cognito_risk_boolean() {
        let v = ecs(
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"eventType":"SignIn","hasContextData":"false"}}"#,
        );
        assert_eq!(v["cognito"]["risk"]["has_context_data"], false);
        assert!(v["event"].get("severity").is_none());
        assert!(v["cognito"].get("unmapped").is_none(), "{v}");
    }

    #[test]
    fn risk_levels_become_severity_and_risk_score() {
        assert_eq!(risk_numbers("none"), Some((0, 0.0)));
        assert_eq!(risk_numbers("low"), Some((1, 21.0)));
        assert_eq!(risk_numbers("medium"), Some((2, 47.0)));
        assert_eq!(risk_numbers("high"), Some((3, 73.0)));
        assert_eq!(risk_numbers("Extreme"), None);
        let v = ecs(
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"eventType":"SignIn","eventResponse":"Fail","riskLevel":"HIGH","riskDecision":"AccountTakeover","compromisedCredentialDetected":"true"}}"#,
        );
        assert_eq!(v["event"]["severity"], 3);
        assert_eq!(v["event"]["risk_score"], 73.0);
        assert_eq!(v["event"]["kind"], "event");
        assert_eq!(v["cognito"]["risk"]["level"], "high");
        assert_eq!(v["cognito"]["risk"]["decision"], "account_takeover");
        assert_eq!(v["cognito"]["risk"]["compromised_credentials"], true);
        assert_eq!(v["message"], "Cognito SignIn failure (account_takeover)");
        assert!(
            v["user"].get("risk").is_none(),
            "event risk, not entity risk"
        );
    }

    #[test]
    fn splits_browser_and_os_into_name_and_version() {
        assert_eq!(split_version("Chrome 126"), ("Chrome", Some("126")));
        assert_eq!(split_version("Mac OS X 10.15"), ("Mac OS X", Some("10.15")));
        assert_eq!(split_version("Linux"), ("Linux", None));
        assert_eq!(split_version("Windows XP"), ("Windows XP", None));
        assert_eq!(split_version("126"), ("126", None));
        assert_eq!(os_type("Windows 11"), Some("windows"));
        assert_eq!(os_type("Mac OS X"), Some("macos"));
        assert_eq!(os_type("iOS"), Some("ios"));
        assert_eq!(os_type("Android"), Some("android"));
        assert_eq!(os_type("Ubuntu"), Some("linux"));
        assert_eq!(os_type("BeOS"), None);
        let v = ecs(
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"deviceName":"Firefox 128, Mac OS X 10.15"}}"#,
        );
        let ua = &v["user_agent"];
        assert_eq!(ua["original"], "Firefox 128, Mac OS X 10.15");
        assert_eq!(ua["name"], "Firefox");
        assert_eq!(ua["version"], "128");
        assert_eq!(ua["os"]["full"], "Mac OS X 10.15");
        assert_eq!(ua["os"]["name"], "Mac OS X");
        assert_eq!(ua["os"]["version"], "10.15");
        assert_eq!(ua["os"]["type"], "macos");
    }

    #[test]
    fn notifications_are_failed_iam_events_with_the_details_as_the_error() {
        let v = ecs(
            r#"{"eventTimestamp":"1687297330677","eventSource":"USER_NOTIFICATION","logLevel":"ERROR","message":{"details":"SMS message failed"},"logSourceId":{"userPoolId":"us-west-2_EXAMPLE"}}"#,
        );
        assert_eq!(v["event"]["dataset"], "cognito.notification");
        assert_eq!(v["event"]["category"], serde_json::json!(["iam"]));
        assert_eq!(v["event"]["type"], serde_json::json!(["user", "info"]));
        assert_eq!(v["event"]["outcome"], "failure");
        assert_eq!(v["error"]["message"], "SMS message failed");
        assert_eq!(v["message"], "Cognito message delivery error");
        assert_eq!(v["cognito"]["log_level"], "ERROR");
        assert_eq!(v["user"]["domain"], "us-west-2_EXAMPLE");
        assert_eq!(v["cloud"]["region"], "us-west-2");
        assert!(v.get("related").is_none());
    }

    #[test]
    fn hashed_names_go_to_user_hash_and_hashed_addresses_to_the_custom_namespace() {
        let mut cfg = Config {
            ip_mode: IpMode::Hash,
            user_name_mode: UserNameMode::Hash,
            ..Config::default()
        };
        cfg.hash_key = HashKey::new(b"0123456789abcdef".to_vec());
        let v = ecs_with(FIELD_RECORD, &Context::default(), &cfg);
        let text = v.to_string();
        assert!(!text.contains("hoge0808") && !text.contains("2001:db8::1"));
        assert!(v["user"].get("name").is_none());
        let hash = v["user"]["hash"].as_str().unwrap();
        assert_eq!(hash.len(), 64);
        assert!(v["source"].get("ip").is_none());
        assert_eq!(v["source"]["geo"]["city_name"], "Sapporo");
        assert_eq!(
            v["cognito"]["source"]["ip_hash"].as_str().unwrap().len(),
            64
        );
        assert_eq!(v["network"]["type"], "ipv6");
        assert!(v["related"].get("ip").is_none());
        assert_eq!(v["related"]["user"][0], hash);
    }

    #[test]
    fn related_user_lists_each_identifier_once() {
        let v = ecs(
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"userSub":"same","userName":"same"}}"#,
        );
        assert_eq!(v["related"]["user"], serde_json::json!(["same"]));
    }

    #[test]
    fn an_almost_empty_record_still_gives_a_valid_minimal_document() {
        let v = ecs(r#"{"eventSource":"USER_AUTH_EVENTS","message":{}}"#);
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["cloud", "cognito", "ecs", "event", "message"]);
        assert_eq!(v["message"], "Cognito event unknown");
        assert_eq!(
            v["cloud"],
            serde_json::json!({"provider": "aws", "service": {"name": "cognito-idp"}})
        );
    }

    #[test]
    fn mfa_challenges_set_the_mfa_flag_and_feedback_is_kept() {
        let v = ecs(
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"challenges":["Password:Success","SmsMfa:Success"],"eventFeedbackValue":"Valid","eventFeedbackProvider":"Admin"}}"#,
        );
        assert_eq!(v["cognito"]["mfa"], true);
        assert_eq!(v["cognito"]["challenges"][1]["name"], "SmsMfa");
        assert_eq!(v["cognito"]["feedback"]["value"], "Valid");
        assert_eq!(v["cognito"]["feedback"]["provider"], "Admin");
    }

    #[test]
    fn unmapped_input_is_kept_under_cognito_unmapped() {
        let v = ecs(
            r#"{"eventSource":"USER_AUTH_EVENTS","newTop":{"a.b":1},"message":{"newField":"x"}}"#,
        );
        assert_eq!(v["cognito"]["unmapped"]["newTop"]["a.b"], 1);
        assert_eq!(v["cognito"]["unmapped"]["message"]["newField"], "x");
    }

    proptest::proptest! {
        #[test]
        fn any_device_name_gives_valid_user_agent_fields(name in "\\PC{0,40}") {
            let (n, v) = split_version(&name);
            proptest::prop_assert!(name.contains(n));
            if let Some(v) = v {
                proptest::prop_assert!(v.starts_with(|c: char| c.is_ascii_digit()));
                proptest::prop_assert!(!n.is_empty() && !v.contains(' '));
            }
            let record = serde_json::json!({
                "eventSource": "USER_AUTH_EVENTS",
                "message": {"deviceName": name},
            })
            .to_string();
            let doc = ecs(&record);
            if let Some(ua) = doc.get("user_agent") {
                for key in ["name", "version"] {
                    if let Some(x) = ua.get(key) {
                        proptest::prop_assert!(!x.as_str().unwrap().is_empty());
                    }
                }
            }
        }
    }
}
