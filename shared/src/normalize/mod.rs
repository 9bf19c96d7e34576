//! The normalized record: our own versioned schema (docs/schema.md).
//!
//! Turns one raw Cognito log record into typed, canonical fields: RFC 3339
//! times, an outcome enum, lowercase risk values, parsed challenges, ISO
//! country codes, split device strings, booleans. Every input value that has
//! no home here, or that fails to normalize, is kept under `unmapped` with its
//! original key, so nothing in the input is lost. Privacy settings
//! (`IP_MODE`, `USER_NAME_MODE`) are applied here, before any output format
//! sees the record, so no format can leak what they remove.
//!
//! The module's parts: [`schema`] (the types), [`canonical`] (the
//! canonicalizers), [`keys`] (key matching), [`scrub`] (privacy in
//! `unmapped`); the normalizer itself is here: [`normalize`] for a parsed
//! document, and [`normalize_text`] ([`single_pass`]), its fast path for the
//! usual record, which declines anything else to [`normalize`].

mod canonical;
mod keys;
mod schema;
mod scrub;
mod single_pass;

use std::borrow::Cow;

use crate::cognito::{classify, Field, LogKind, Object};
use crate::config::{Config, IpMode, UserNameMode};
use crate::error::RecordError;
use crate::geo;
use crate::privacy::{hmac_hex, Domain};
use crate::time;

use canonical::*;
use keys::*;
use scrub::*;

pub use canonical::{canonical_decision, canonical_level, pool_region, split_device};
pub use schema::*;
pub use single_pass::normalize_text;
/// Generated records of Cognito's keys and others, for property tests elsewhere.
#[cfg(test)]
pub(crate) use single_pass::tests::records as generated_records;

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

/// Normalizes one Cognito log record: the general path, for a document
/// already parsed into a tree, whatever its shape (repeated keys, both
/// spellings of a field, unknown top-level keys, records out of
/// CloudWatch Logs envelopes, NDJSON).
///
/// It is also the production fallback of the fast path [`normalize_text`],
/// which declines every record it is not sure of to this function, and the
/// reference that path is held equal to
/// (`single_pass::tests::the_streaming_way_answers_as_the_general_way`): a
/// field added or read differently here is added or read the same way
/// there, in the same commit.
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

/// The rest of [`normalize`], once the top level and `message` are read:
/// `logSourceId`, the region, unmapped, and the record itself.
///
/// Inlined so that the record is built where the caller keeps it: out of
/// line, the `Message` moved in and the `Normalized` returned (712 and 944
/// bytes on x86_64) were copied with `memcpy`, about 3% of a direct batch's
/// time end to end (perf on the warm bootstrap).
#[inline(always)]
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

fn set<'a>(slot: &mut Option<Cow<'a, str>>, value: Option<Cow<'a, str>>) -> bool {
    match value {
        Some(v) => {
            *slot = Some(v);
            true
        }
        None => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cognito::parse_documents;
    use crate::config::HashKey;

    pub(crate) const FIELD_RECORD: &str = include_str!("../../tests/fixtures/field-record.json");

    pub(super) fn norm_with(json: &str, cfg: &Config) -> serde_json::Value {
        let docs = parse_documents(json).unwrap();
        let n = normalize(&docs[0], &Context::default(), cfg).unwrap();
        serde_json::to_value(&n).unwrap()
    }

    pub(super) fn norm(json: &str) -> serde_json::Value {
        norm_with(json, &Config::default())
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

    proptest::proptest! {
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

    proptest::proptest! {
        #[test]
        fn the_inlined_text_agrees_with_field_text(s in "\\PC{0,6}|[ a\\t]{0,5}|(?i)null") {
            let f = Field::Str(Cow::Borrowed(s.as_str()));
            proptest::prop_assert_eq!(text_of(&f), f.text());
        }
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

    pub(super) fn configs() -> [Config; 3] {
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

    #[test]
    fn a_value_that_is_not_an_address_is_dropped_under_truncate_and_hash_alike() {
        // Hashed, "-" from every record would read as one address shared by
        // all of them (a password spray from nowhere).
        let record = |ip: &str| {
            format!(
                r#"{{"eventSource":"USER_AUTH_EVENTS","message":{{"eventType":"SignIn","ipAddress":"{ip}","city":"Oslo"}}}}"#
            )
        };
        let [keep, private, truncate] = configs();
        for junk in ["-", "unknown", "bogus 10.1.2.3", "300.1.2.3"] {
            let kept = norm_with(&record(junk), &keep);
            assert_eq!(kept["unmapped"]["message"]["ipAddress"], junk);
            for cfg in [&private, &truncate] {
                let v = norm_with(&record(junk), cfg);
                assert_eq!(v["source"], serde_json::json!({"city": "Oslo"}), "{junk}");
                assert!(v.get("unmapped").is_none(), "{junk}: {v}");
            }
        }
        let v = norm_with(&record("203.0.113.9"), &private);
        assert_eq!(v["source"]["ip_hash"].as_str().map(str::len), Some(64));
        assert_eq!(v["source"]["ip_version"], 4);
    }
}
