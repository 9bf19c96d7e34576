//! The CloudWatch Logs subscription envelope: what CloudWatch Logs delivers
//! (gzip-compressed) to a subscription, holding one Cognito document per log
//! event. Read with the JSON layer's parser, whole ([`parse_envelope`]: every
//! message string found and validated, left to parse), or event by event
//! with each message parsed where it stands ([`stream_envelope`], the
//! pipeline's one pass over CloudWatch Logs' own layout).

use std::borrow::Cow;

use crate::cognito::Object;
use crate::error::RecordError;
use crate::json::parse::Stop;

/// The envelope field that marks a piece this function re-ingested after
/// splitting it (`firehose::split`): such pieces are served first by the
/// response budget, which bounds how often a piece can bounce. Any JSON
/// value is accepted there; only `true` counts.
pub const MARKER_FIELD: &str = "cognitoActivityReingested";

/// The CloudWatch Logs subscription envelope.
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html>
#[derive(Debug, Default, PartialEq)]
pub struct Envelope<'a> {
    pub message_type: Option<Cow<'a, str>>,
    pub owner: Option<Cow<'a, str>>,
    pub log_group: Option<Cow<'a, str>>,
    pub log_stream: Option<Cow<'a, str>>,
    pub subscription_filters: Option<Vec<Cow<'a, str>>>,
    pub log_events: Vec<LogEvent<'a>>,
    /// [`MARKER_FIELD`] is `true`: an envelope this function
    /// re-ingested. Any JSON value is accepted there; only `true` counts.
    pub reingested: bool,
}

#[derive(Debug, PartialEq)]
pub struct LogEvent<'a> {
    pub id: Option<Cow<'a, str>>,
    pub timestamp: Option<i64>,
    /// The `message` string as it stands in the envelope, escapes and all
    /// (validated): most messages are read straight from it
    /// ([`crate::json::parse::escaped_document`]).
    pub raw_message: &'a str,
}

impl<'a> LogEvent<'a> {
    /// The message's text.
    pub fn message(&self) -> Result<Cow<'a, str>, crate::error::JsonFault> {
        crate::json::parse::unescape(self.raw_message)
    }
}

/// Whether `text` is a CloudWatch Logs envelope, and it if so.
/// `Ok(None)`: not an envelope (treat as Cognito records).
pub fn parse_envelope(text: &str, was_gzip: bool) -> Result<Option<Envelope<'_>>, RecordError> {
    // Cheap pre-check: an envelope always names its logEvents (or, for a
    // control message, its messageType).
    if !was_gzip && !text.contains("\"messageType\"") {
        return Ok(None);
    }
    match parser::parse(text) {
        Ok(env) if env.message_type.is_some() => Ok(Some(env)),
        Ok(_) => Ok(None),
        Err(kind)
            if was_gzip && text.trim_start().starts_with('{') && text.contains("\"logEvents\"") =>
        {
            Err(RecordError::Envelope {
                why: match kind {
                    parser::Failure::Shape => "unexpected field types",
                    parser::Failure::Json => "not valid JSON",
                },
            })
        }
        Err(_) => Ok(None),
    }
}

const JSON_WHITESPACE: [char; 4] = [' ', '\t', '\n', '\r'];

/// A log event's message as [`stream_envelope`] read it.
#[derive(Debug, PartialEq)]
pub enum Message<'a> {
    /// The common form, parsed where it stands
    /// ([`crate::json::parse::escaped_document`]).
    Document(Object<'a>),
    /// Anything else: the string's raw text, escapes and all (validated),
    /// for the ordinary way ([`crate::json::parse::unescape`], then parse).
    Raw(&'a str),
}

/// One log event as [`stream_envelope`] hands it over (`M`: the message
/// as read; the envelope parser reads it as raw text first).
#[derive(Debug, PartialEq)]
pub struct StreamedEvent<'a, M = Message<'a>> {
    pub id: Option<Cow<'a, str>>,
    pub timestamp: Option<i64>,
    pub message: M,
}

/// Reads a gzip `DATA_MESSAGE` envelope in one pass over its text, handing
/// each log event to `each` as soon as it is read, with the envelope's
/// fields read so far. [`parse_envelope`] reads every message string once
/// to find where it ends and the pipeline reads it again to parse it; here
/// each message is parsed where it stands.
///
/// Only the layout CloudWatch Logs writes is read this way: `messageType`
/// (`DATA_MESSAGE`) first, the other fields the events depend on (`owner`,
/// `logGroup`, `logStream`) before `logEvents`, which holds at least one
/// event. (Asking for `messageType` first lets text that is no envelope at
/// all, such as a gzip Cognito record, go to the general way at once.) The
/// answer is `Some` only when [`parse_envelope`] would give the same
/// envelope with the same events: `None` for any other layout, any fault,
/// or `each` answering `Err` (a message the pipeline cannot take). The
/// caller then takes the ordinary way, which finds the exact answer or
/// error; what `each` did must be undone. The answer has no `log_events`.
pub fn stream_envelope<'a>(
    text: &'a str,
    mut each: impl FnMut(&Envelope<'a>, StreamedEvent<'a>) -> Result<(), ()>,
) -> Option<Envelope<'a>> {
    let first_key = text
        .trim_start_matches(JSON_WHITESPACE)
        .strip_prefix('{')?
        .trim_start_matches(JSON_WHITESPACE);
    if !first_key.starts_with("\"messageType\"") {
        return None;
    }
    // What the events were read with, to check that nothing after them
    // changed it.
    let mut header = None;
    let mut events = 0usize;
    let env = parser::parse_with(text, |p, env, shape| {
        if env.message_type.as_deref() != Some("DATA_MESSAGE") {
            return Err(Stop);
        }
        header = Some([
            env.owner.clone(),
            env.log_group.clone(),
            env.log_stream.clone(),
        ]);
        p.elements(|p| {
            let event = parser::log_event(p, shape, |p| {
                Ok(match p.escaped_document_string() {
                    Some(doc) => Message::Document(doc),
                    None => Message::Raw(p.raw_string()?),
                })
            })?;
            events += 1;
            each(env, event).map_err(|()| Stop)
        })
    })
    .ok()?;
    // A field the events depend on that came after them (a second one
    // is a fault) would have been read with the wrong value.
    let read_with = header?;
    let now = [&env.owner, &env.log_group, &env.log_stream];
    let unchanged = read_with.iter().zip(now).all(|(then, now)| then == now);
    (unchanged && events > 0).then_some(env)
}

/// The envelope read with our parser ([`crate::json::parse`]), with the field
/// types serde's derive would demand: strings or null for the names, an
/// array of strings or null for `subscriptionFilters`, an array of log
/// events each with a string `message`, an integer or null `timestamp` and
/// a string or null `id`; a field named twice is a shape error. Messages
/// are most of an envelope's bytes, and this reads them in one pass.
mod parser {
    use std::borrow::Cow;

    use super::{Envelope, LogEvent, StreamedEvent};
    use crate::cognito::Field;
    use crate::json::parse::{Parser, Stop};

    /// Why the text is not an envelope.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Failure {
        /// Valid JSON of the wrong shape (serde's data errors).
        Shape,
        /// Not JSON (syntax or end of input).
        Json,
    }

    pub fn parse(text: &str) -> Result<Envelope<'_>, Failure> {
        let mut events = Vec::new();
        let mut env = parse_with(text, |p, _, shape| {
            p.elements(|p| {
                let event = log_event(p, shape, Parser::raw_string)?;
                events.push(LogEvent {
                    id: event.id,
                    timestamp: event.timestamp,
                    raw_message: event.message,
                });
                Ok(())
            })
        })?;
        env.log_events = events;
        Ok(env)
    }

    /// Reads the envelope, with `log_events` reading the `logEvents` array
    /// (the cursor on its `[`) given the fields read before it.
    pub fn parse_with<'a>(
        text: &'a str,
        log_events: impl FnMut(&mut Parser<'a>, &Envelope<'a>, &mut bool) -> Result<(), Stop>,
    ) -> Result<Envelope<'a>, Failure> {
        let mut p = Parser::new(text);
        let mut shape = false;
        let mut env = Envelope::default();
        let walked = walk(&mut p, &mut shape, &mut env, log_events).and_then(|()| p.end());
        match walked {
            Ok(()) => Ok(env),
            Err(Stop) if shape => Err(Failure::Shape),
            Err(Stop) => Err(Failure::Json),
        }
    }

    /// Marks the value at the cursor as the wrong type (when it is JSON).
    fn wrong(p: &mut Parser<'_>, shape: &mut bool) -> Stop {
        *shape |= p.is_wrong_shape();
        Stop
    }

    /// A string or null, as `Option<Cow<str>>`.
    fn opt_str<'a>(p: &mut Parser<'a>, shape: &mut bool) -> Result<Option<Cow<'a, str>>, Stop> {
        match p.peek() {
            Some(b'"') => p.lenient_str(),
            Some(b'n') => p.value().map(|_| None),
            _ => Err(wrong(p, shape)),
        }
    }

    /// Each field at most once, as serde's derive demands (judged before
    /// the colon, as it does), then the colon.
    fn once(p: &mut Parser<'_>, seen: &mut u8, bit: u8, shape: &mut bool) -> Result<(), Stop> {
        if *seen & bit != 0 {
            *shape = true;
            return Err(Stop);
        }
        *seen |= bit;
        p.colon()
    }

    fn walk<'a>(
        p: &mut Parser<'a>,
        shape: &mut bool,
        env: &mut Envelope<'a>,
        mut log_events: impl FnMut(&mut Parser<'a>, &Envelope<'a>, &mut bool) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        // Only an object is an envelope. serde's derive also read one from
        // a positional array (`["DATA_MESSAGE", ...]`); CloudWatch Logs
        // never writes one, and such text is read as Cognito records.
        if p.peek() != Some(b'{') {
            return Err(wrong(p, shape));
        }
        let mut seen = 0u8;
        p.members_keyed(|p, key| {
            match key.as_ref() {
                "messageType" => {
                    once(p, &mut seen, 1, shape)?;
                    env.message_type = opt_str(p, shape)?;
                }
                "owner" => {
                    once(p, &mut seen, 2, shape)?;
                    env.owner = opt_str(p, shape)?;
                }
                "logGroup" => {
                    once(p, &mut seen, 4, shape)?;
                    env.log_group = opt_str(p, shape)?;
                }
                "logStream" => {
                    once(p, &mut seen, 8, shape)?;
                    env.log_stream = opt_str(p, shape)?;
                }
                "subscriptionFilters" => {
                    once(p, &mut seen, 16, shape)?;
                    env.subscription_filters = match p.peek() {
                        Some(b'n') => p.value().map(|_| None)?,
                        Some(b'[') => {
                            let mut names = Vec::new();
                            p.elements(|p| {
                                if p.peek() != Some(b'"') {
                                    return Err(wrong(p, shape));
                                }
                                names.extend(p.lenient_str()?);
                                Ok(())
                            })?;
                            Some(names)
                        }
                        _ => return Err(wrong(p, shape)),
                    };
                }
                "logEvents" => {
                    once(p, &mut seen, 32, shape)?;
                    if p.peek() != Some(b'[') {
                        return Err(wrong(p, shape));
                    }
                    log_events(p, env, shape)?;
                }
                super::MARKER_FIELD => {
                    once(p, &mut seen, 64, shape)?;
                    // Any value, read as serde_json's `RawValue` reads it
                    // (skipped, not built); only the literal `true` counts.
                    env.reingested = match p.peek() {
                        Some(b't') => p.value()? == Field::Bool(true),
                        _ => p.skip().map(|()| false)?,
                    };
                }
                _ => {
                    p.colon()?;
                    p.skip()?;
                }
            }
            Ok(())
        })
    }

    /// One log event's id, timestamp and message, the message read by
    /// `message_at` (the cursor on its opening quote).
    pub fn log_event<'a, M>(
        p: &mut Parser<'a>,
        shape: &mut bool,
        mut message_at: impl FnMut(&mut Parser<'a>) -> Result<M, Stop>,
    ) -> Result<StreamedEvent<'a, M>, Stop> {
        match p.peek() {
            Some(b'{') => {}
            // serde's derive would read a struct from a positional array
            // (`[id, timestamp, message]`); CloudWatch Logs never writes
            // one, and we take it as the wrong shape. Its elements are
            // still judged in serde's order, so that the first fault is the
            // one serde would have met: a wrong type (the wrong shape), a
            // fourth element (serde_json's trailing characters: not JSON),
            // or broken JSON.
            Some(b'[') => {
                let mut at = 0;
                p.elements(|p| {
                    match at {
                        0 => drop(opt_str(p, shape)?),
                        1 => drop(timestamp(p, shape)?),
                        2 if p.peek() == Some(b'"') => drop(p.raw_string()?),
                        2 => return Err(wrong(p, shape)),
                        _ => return Err(Stop),
                    }
                    at += 1;
                    Ok(())
                })?;
                *shape = true;
                return Err(Stop);
            }
            _ => return Err(wrong(p, shape)),
        }
        let (mut id, mut time, mut message) = (None, None, None);
        let mut seen = 0u8;
        p.members_keyed(|p, key| {
            match key.as_ref() {
                "id" => {
                    once(p, &mut seen, 1, shape)?;
                    id = opt_str(p, shape)?;
                }
                "timestamp" => {
                    once(p, &mut seen, 2, shape)?;
                    time = timestamp(p, shape)?;
                }
                "message" => {
                    once(p, &mut seen, 4, shape)?;
                    if p.peek() != Some(b'"') {
                        return Err(wrong(p, shape));
                    }
                    message = Some(message_at(p)?);
                }
                _ => {
                    p.colon()?;
                    p.skip()?;
                }
            }
            Ok(())
        })?;
        match message {
            Some(message) => Ok(StreamedEvent {
                id,
                timestamp: time,
                message,
            }),
            None => {
                *shape = true;
                Err(Stop)
            }
        }
    }

    /// A timestamp, as `Option<i64>`: null, or an integer that fits.
    fn timestamp(p: &mut Parser<'_>, shape: &mut bool) -> Result<Option<i64>, Stop> {
        match p.peek() {
            Some(b'n') => p.value().map(|_| None),
            Some(b'-' | b'0'..=b'9') => match p.value()? {
                Field::Num(n) => match n.as_i64() {
                    Some(t) => Ok(Some(t)),
                    None => {
                        *shape = true;
                        Err(Stop)
                    }
                },
                _ => Err(Stop),
            },
            _ => Err(wrong(p, shape)),
        }
    }
}

/// The envelope parser against serde's derive of the same shape, which was
/// the parser before (and is the definition of the shape it accepts).
#[cfg(test)]
mod envelope_equivalence_tests {
    use std::borrow::Cow;

    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct SerdeEnvelope<'a> {
        #[serde(borrow, default)]
        message_type: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        owner: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        log_group: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        log_stream: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        subscription_filters: Option<Vec<Cow<'a, str>>>,
        #[serde(borrow, default)]
        log_events: Vec<SerdeLogEvent<'a>>,
        #[serde(borrow, default, rename = "cognitoActivityReingested")]
        reingested: Option<&'a serde_json::value::RawValue>,
    }

    #[derive(Debug, Deserialize)]
    struct SerdeLogEvent<'a> {
        #[serde(borrow, default)]
        id: Option<Cow<'a, str>>,
        #[serde(default)]
        timestamp: Option<i64>,
        #[serde(borrow)]
        message: Cow<'a, str>,
    }

    /// A log event's id, timestamp and message.
    type EventView<'a> = (Option<Cow<'a, str>>, Option<i64>, Cow<'a, str>);

    /// An envelope's contents, comparable across both parsers.
    #[derive(Debug, PartialEq)]
    struct View<'a> {
        names: [Option<Cow<'a, str>>; 4],
        filters: Option<Vec<Cow<'a, str>>>,
        events: Vec<EventView<'a>>,
        reingested: bool,
    }

    fn ours(text: &str, was_gzip: bool) -> Result<Option<View<'_>>, RecordError> {
        Ok(parse_envelope(text, was_gzip)?.map(|env| View {
            names: [env.message_type, env.owner, env.log_group, env.log_stream],
            filters: env.subscription_filters,
            events: env
                .log_events
                .iter()
                .map(|e| (e.id.clone(), e.timestamp, e.message().unwrap()))
                .collect(),
            reingested: env.reingested,
        }))
    }

    /// `parse_envelope` as it was, on serde's derive.
    fn reference(text: &str, was_gzip: bool) -> Result<Option<View<'_>>, RecordError> {
        if !was_gzip && !text.contains("\"messageType\"") {
            return Ok(None);
        }
        match serde_json::from_str::<SerdeEnvelope<'_>>(text) {
            Ok(env) if env.message_type.is_some() => Ok(Some(View {
                names: [env.message_type, env.owner, env.log_group, env.log_stream],
                filters: env.subscription_filters,
                events: env
                    .log_events
                    .into_iter()
                    .map(|e| (e.id, e.timestamp, e.message))
                    .collect(),
                reingested: env.reingested.is_some_and(|v| v.get() == "true"),
            })),
            Ok(_) => Ok(None),
            Err(e)
                if was_gzip
                    && text.trim_start().starts_with('{')
                    && text.contains("\"logEvents\"") =>
            {
                Err(RecordError::Envelope {
                    why: match e.classify() {
                        serde_json::error::Category::Data => "unexpected field types",
                        _ => "not valid JSON",
                    },
                })
            }
            Err(_) => Ok(None),
        }
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("{}".to_owned()),
            Just("[]".to_owned()),
            Just("[\"f\",\"g\"]".to_owned()),
            Just("[1]".to_owned()),
            Just("1e400".to_owned()),
            Just("1.5".to_owned()),
            Just("18446744073709551615".to_owned()),
            any::<i64>().prop_map(|n| n.to_string()),
            Just("\"DATA_MESSAGE\"".to_owned()),
            Just("\"CONTROL_MESSAGE\"".to_owned()),
            Just("\"{\\\"a\\\":1}\"".to_owned()),
            "[ -~]{0,8}".prop_map(|s| serde_json::json!(s).to_string()),
        ]
    }

    fn envelope_like() -> impl Strategy<Value = String> {
        let event_key = prop_oneof![Just("id"), Just("timestamp"), Just("message"), Just("x")];
        let event = prop::collection::vec((event_key, value()), 0..4).prop_map(|m| {
            let inner: Vec<String> = m.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", inner.join(","))
        });
        let events = prop_oneof![
            4 => prop::collection::vec(prop_oneof![9 => event, 1 => value()], 0..3)
                .prop_map(|e| format!("[{}]", e.join(","))),
            1 => value(),
        ];
        let key = prop_oneof![
            Just("messageType"),
            Just("owner"),
            Just("logGroup"),
            Just("logStream"),
            Just("subscriptionFilters"),
            Just("cognitoActivityReingested"),
            Just("logEvents"),
            Just("other"),
        ];
        (
            prop::collection::vec((key, value()), 0..5),
            prop::option::weighted(0.8, events),
            prop::collection::vec((any::<prop::sample::Index>(), any::<char>()), 0..2),
        )
            .prop_map(|(fields, events, edits)| {
                let mut members: Vec<String> =
                    fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                members.insert(0, "\"messageType\":\"DATA_MESSAGE\"".to_owned());
                if let Some(e) = events {
                    members.push(format!("\"logEvents\":{e}"));
                }
                let text = format!("{{{}}}", members.join(","));
                crate::json::parse::damage(&text, edits)
            })
    }

    #[test]
    fn a_real_envelope_reads_the_same_both_ways() {
        let text = r#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1700000000000,"message":"{\"eventSource\":\"USER_AUTH_EVENTS\",\"message\":{\"city\":\"S\u00e3o Paulo\"}}"}],"cognitoActivityReingested":true}"#;
        let view = ours(text, true).unwrap().unwrap();
        assert_eq!(
            Ok(Some(&view)),
            reference(text, true).as_ref().map(Option::as_ref)
        );
        assert!(view.reingested);
        assert_eq!(
            view.events[0].2,
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"city":"São Paulo"}}"#
        );
    }

    #[test]
    fn a_positional_log_event_fails_where_serde_derive_fails_first() {
        for text in [
            // A wrong type before broken JSON: the wrong shape.
            "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[[\"f\",\"g\u{a1}],{\"x\":\"{\\\"a\\\":1}\"}]}",
            // Well typed, then a fourth element: not JSON, to serde_json.
            r#"{"messageType":"DATA_MESSAGE","logEvents":[["i",1,"m",2]]}"#,
            r#"{"messageType":"DATA_MESSAGE","logEvents":[["i",null]]}"#,
            r#"{"messageType":"DATA_MESSAGE","logEvents":[[null,1.5,"m"]]}"#,
            r#"{"messageType":"DATA_MESSAGE","logEvents":[["i",1,2]]}"#,
        ] {
            assert!(ours(text, true).is_err(), "{text}");
            assert_eq!(ours(text, true), reference(text, true), "{text}");
        }
    }

    /// What [`stream_envelope`] read, as [`View`] holds it; `Err` when it
    /// gave up.
    fn streamed(text: &str) -> Result<View<'_>, ()> {
        let mut events = Vec::new();
        let env = stream_envelope(text, |env, ev| {
            // The fields the events depend on are already read.
            assert_eq!(env.message_type.as_deref(), Some("DATA_MESSAGE"));
            let message = match ev.message {
                Message::Document(doc) => Cow::Owned(format!("{doc:?}")),
                Message::Raw(raw) => {
                    // Left to the ordinary way only when that way needs it.
                    assert_eq!(crate::json::parse::escaped_document(raw), None);
                    crate::json::parse::unescape(raw).map_err(drop)?
                }
            };
            events.push((ev.id, ev.timestamp, message));
            Ok(())
        })
        .ok_or(())?;
        Ok(View {
            names: [env.message_type, env.owner, env.log_group, env.log_stream],
            filters: env.subscription_filters,
            events,
            reingested: env.reingested,
        })
    }

    /// [`parse_envelope`]'s view, messages in the common form shown as
    /// the tree [`crate::json::parse::escaped_document`] builds.
    fn parsed(text: &str) -> Option<View<'_>> {
        let env = parse_envelope(text, true).ok()??;
        let events = env
            .log_events
            .iter()
            .map(|e| {
                let message = match crate::json::parse::escaped_document(e.raw_message) {
                    Some(doc) => Cow::Owned(format!("{doc:?}")),
                    None => e.message().ok()?,
                };
                Some((e.id.clone(), e.timestamp, message))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(View {
            names: [env.message_type, env.owner, env.log_group, env.log_stream],
            filters: env.subscription_filters,
            events,
            reingested: env.reingested,
        })
    }

    #[test]
    fn cloudwatch_logs_layout_is_read_in_one_pass() {
        let text = r#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1700000000000,"message":"{\"eventSource\":\"USER_AUTH_EVENTS\",\"message\":{\"city\":\"S\u00e3o Paulo\"}}"},{"id":"2","timestamp":null,"message":"{\"a\":1}"}],"cognitoActivityReingested":true}"#;
        let view = streamed(text).expect("read in one pass");
        assert_eq!(Some(&view), parsed(text).as_ref());
        assert!(view.reingested);
        assert_eq!(view.events.len(), 2);
        // A field the events depend on after them, or a control message:
        // the ordinary way.
        for other in [
            r#"{"messageType":"DATA_MESSAGE","logEvents":[{"message":"{}"}],"owner":"1"}"#,
            r#"{"logEvents":[{"message":"{}"}],"messageType":"DATA_MESSAGE"}"#,
            r#"{"messageType":"CONTROL_MESSAGE","logEvents":[{"message":"{}"}]}"#,
            r#"{"messageType":"DATA_MESSAGE","logEvents":[]}"#,
            r#"{"messageType":"DATA_MESSAGE","logEvents":[{"message":"{}"}]"#,
            // Not CloudWatch Logs' order: `messageType` comes first.
            r#"{"owner":"1","messageType":"DATA_MESSAGE","logEvents":[{"message":"{}"}]}"#,
            // No envelope at all.
            r#"{"eventSource":"USER_AUTH_EVENTS","message":{"eventType":"SignIn"}}"#,
        ] {
            assert_eq!(streamed(other), Err(()), "{other}");
        }
        let spaced =
            " {\n \"messageType\" : \"DATA_MESSAGE\", \"logEvents\" : [ {\"message\":\"{}\"} ] }\n";
        assert_eq!(streamed(spaced).ok(), parsed(spaced));
        assert!(streamed(spaced).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn an_envelope_read_in_one_pass_is_the_one_read_whole(text in envelope_like()) {
            if let Ok(view) = streamed(&text) {
                prop_assert_eq!(Some(view), parsed(&text));
            }
        }

        #[test]
        fn any_envelope_like_text_reads_as_serde_derive_read_it(
            text in envelope_like(),
            was_gzip in any::<bool>(),
        ) {
            prop_assert_eq!(ours(&text, was_gzip), reference(&text, was_gzip));
        }
    }
}
