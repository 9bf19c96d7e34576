//! The normalizer's fast path: one record of the usual shape normalized
//! straight from its text in a single pass of the parser, declining
//! (`None`) anything else to the general [`super::normalize`], the
//! production fallback and the reference it is held equal to.

use std::borrow::Cow;

use crate::cognito::{Field, LogKind};
use crate::config::Config;
use crate::json::parse::{Parser, Stop};

use super::keys::*;
use super::*;

/// The unknown `message` keys [`normalize_text`] checks for repeats itself.
pub(super) const MAX_UNKNOWN: usize = 64;

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cognito::parse_documents;
    use crate::normalize::tests::{configs, norm, FIELD_RECORD};

    /// What the general way makes of `text`: one record normalized, or
    /// `None` when it is not exactly one record that normalizes.
    fn general(text: &str, cfg: &Config) -> Option<String> {
        let docs = parse_documents(text).ok()?;
        let [doc] = docs.as_slice() else { return None };
        normalize(doc, &Context::default(), cfg)
            .ok()
            .map(|n| format!("{n:?}"))
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
    pub(crate) fn records() -> impl proptest::strategy::Strategy<Value = String> {
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
            let text = crate::json::parse::damage(&text, edits);
            for cfg in &configs() {
                if let Some(n) = normalize_text(&text, &Context::default(), cfg) {
                    proptest::prop_assert_eq!(Some(format!("{n:?}")), general(&text, cfg), "{}", text);
                }
            }
        }
    }
}
