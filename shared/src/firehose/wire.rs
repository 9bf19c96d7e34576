//! Amazon Data Firehose transformation wire types.
//!
//! <https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html>
//! and <https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-status-model.html>.
//!
//! We write our own types rather than use `aws_lambda_events`' because
//! theirs make three guarantees impossible: `result` there is a free string
//! (ours is an enum that can only be `Ok`, `Dropped` or `ProcessingFailed`),
//! `metadata` is always sent (Firehose without dynamic partitioning rejects
//! it; ours is sent only with partition keys), and timestamp decoding is
//! strict (ours takes every numeric form JSON allows, or nothing). The event
//! is deserialized tolerantly: unknown fields are ignored, optional fields may
//! be absent or of the wrong type, and a record whose `data` is unusable still
//! gets its answer. Only a record without a string `recordId` makes the event
//! unusable, because such a record cannot be answered at all.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::{EventError, JsonFault};
use crate::json::escape::{str_len, write_str};
use crate::json::parse::{Parser, Stop};
use crate::json::value::{BorrowedKey, Field};

/// The invocation event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FirehoseEvent<'a> {
    pub invocation_id: Option<Cow<'a, str>>,
    pub delivery_stream_arn: Option<Cow<'a, str>>,
    /// Present when the stream's source is a Kinesis data stream.
    pub source_kinesis_stream_arn: Option<Cow<'a, str>>,
    pub region: Option<Cow<'a, str>>,
    pub records: Vec<FirehoseRecord<'a>>,
}

/// One record as Firehose sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct FirehoseRecord<'a> {
    pub record_id: Cow<'a, str>,
    /// The base64 text, or `None` when `data` was missing or not a string.
    pub data: Option<Cow<'a, str>>,
    /// Epoch milliseconds, when present in any numeric form.
    pub approximate_arrival_timestamp: Option<i64>,
}

impl<'a> FirehoseEvent<'a> {
    /// Parses an invocation event, borrowing from `json` where it can.
    ///
    /// Valid UTF-8 (every event Firehose sends) goes through our own parser
    /// ([`crate::json::parse`]), which finds the end of each record's base64 with
    /// SIMD; anything else through serde_json, which judges byte slices
    /// itself. The two give the same answers (a property test holds them
    /// equal).
    pub fn parse(json: &'a [u8]) -> Result<Self, EventError> {
        match simdutf8::basic::from_utf8(json) {
            Ok(text) => parse_text(text),
            Err(_) => Self::parse_serde(json),
        }
    }

    /// The serde_json parse of an event.
    pub fn parse_serde(json: &'a [u8]) -> Result<Self, EventError> {
        let mut de = serde_json::Deserializer::from_slice(json);
        let event = de.deserialize_map(EventVisitor).map_err(|e| {
            if e.classify() == serde_json::error::Category::Data {
                EventError::NotFirehose {
                    why: data_error_reason(&e),
                }
            } else {
                EventError::Json(JsonFault::from_serde(&e))
            }
        })?;
        de.end()
            .map_err(|e| EventError::Json(JsonFault::from_serde(&e)))?;
        Ok(event)
    }

    /// The stream name from `deliveryStreamArn` (`arn:...:deliverystream/NAME`).
    pub fn delivery_stream_name(&self) -> Option<&str> {
        arn_resource_name(self.delivery_stream_arn.as_deref()?, "deliverystream/")
    }

    /// The account id (fifth field) of `deliveryStreamArn`.
    pub fn account_id(&self) -> Option<&str> {
        let arn = self.delivery_stream_arn.as_deref()?;
        let account = arn.split(':').nth(4)?;
        (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
    }
}

/// `arn:aws:firehose:us-east-1:123456789012:deliverystream/NAME` -> `NAME`.
pub fn arn_resource_name<'s>(arn: &'s str, kind: &str) -> Option<&'s str> {
    if !arn.starts_with("arn:") {
        return None;
    }
    let resource = arn.splitn(6, ':').nth(5)?;
    resource.strip_prefix(kind).filter(|n| !n.is_empty())
}

/// [`FirehoseEvent::parse`] on UTF-8 text, with the same tolerance and the
/// same reasons as the serde_json visitors below.
fn parse_text(text: &str) -> Result<FirehoseEvent<'_>, EventError> {
    let mut p = Parser::new(text);
    let mut why = None;
    let mut event = FirehoseEvent::default();
    let mut records = None;
    let walked = walk_event(&mut p, &mut why, &mut event, &mut records);
    let walked = walked.and_then(|()| match records.take() {
        Some(r) => {
            event.records = r;
            Ok(())
        }
        None => {
            why = Some("no records array");
            Err(Stop)
        }
    });
    match walked.and_then(|()| p.end()) {
        Ok(()) => Ok(event),
        Err(Stop) => Err(match why {
            Some(why) => EventError::NotFirehose {
                why: why.to_string(),
            },
            None => EventError::Json(p.failure.locate(text)),
        }),
    }
}

fn walk_event<'a>(
    p: &mut Parser<'a>,
    why: &mut Option<&'static str>,
    event: &mut FirehoseEvent<'a>,
    records: &mut Option<Vec<FirehoseRecord<'a>>>,
) -> Result<(), Stop> {
    if p.peek() != Some(b'{') {
        return Err(wrong_type(p, why, "top level is not an object"));
    }
    p.members(|p, key| {
        match key.as_ref() {
            "invocationId" => event.invocation_id = p.lenient_str()?,
            "deliveryStreamArn" => event.delivery_stream_arn = p.lenient_str()?,
            "sourceKinesisStreamArn" => event.source_kinesis_stream_arn = p.lenient_str()?,
            "region" => event.region = p.lenient_str()?,
            "records" => {
                if p.peek() != Some(b'[') {
                    return Err(wrong_type(p, why, "records is not an array"));
                }
                let mut list = Vec::new();
                p.elements(|p| {
                    list.push(walk_record(p, why)?);
                    Ok(())
                })?;
                *records = Some(list);
            }
            _ => p.skip()?,
        }
        Ok(())
    })
}

fn walk_record<'a>(
    p: &mut Parser<'a>,
    why: &mut Option<&'static str>,
) -> Result<FirehoseRecord<'a>, Stop> {
    if p.peek() != Some(b'{') {
        return Err(wrong_type(p, why, "a record is not an object"));
    }
    let (mut record_id, mut data, mut ts) = (None, None, None);
    p.members(|p, key| {
        match key.as_ref() {
            "recordId" => record_id = p.lenient_str()?,
            "data" => data = p.lenient_str()?,
            "approximateArrivalTimestamp" => {
                ts = p.scalar_in_range()?.as_ref().and_then(lenient_millis)
            }
            _ => p.skip()?,
        }
        Ok(())
    })?;
    let Some(record_id) = record_id else {
        *why = Some("a record has no string recordId");
        return Err(Stop);
    };
    Ok(FirehoseRecord {
        record_id,
        data,
        approximate_arrival_timestamp: ts,
    })
}

/// A value of the wrong type where `reason` names the right one.
fn wrong_type(p: &mut Parser<'_>, why: &mut Option<&'static str>, reason: &'static str) -> Stop {
    if p.is_wrong_shape() {
        *why = Some(reason);
    }
    Stop
}

/// [`LenientMillis`] on a parsed value.
fn lenient_millis(value: &Field<'_>) -> Option<i64> {
    match value {
        Field::Num(n) => {
            if let Some(u) = n.as_u64() {
                i64::try_from(u).ok()
            } else if let Some(i) = n.as_i64() {
                Some(i)
            } else {
                let v = n.as_f64()?;
                (v.is_finite() && v.abs() < 9.0e15).then_some(v.trunc() as i64)
            }
        }
        Field::Str(s) => crate::time::parse_epoch_ms(s),
        _ => None,
    }
}

// Our own messages for the data errors we raise; serde_json's other data
// errors may quote values, so they are summarised. Ours come back either as
// the whole message (`de::Error::custom`) or after the last ", expected " of
// an invalid-type message (the visitors' `expecting`); a string value quoted
// earlier in the message cannot stand in for either (a fuzz finding: it
// could, when the reasons were searched anywhere in the message).
fn data_error_reason(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let expected = msg
        .rfind(", expected ")
        .map(|at| &msg[at + ", expected ".len()..]);
    for ours in [
        "top level is not an object",
        "no records array",
        "records is not an array",
        "a record is not an object",
        "a record has no string recordId",
    ] {
        let at_line = |s: &str| {
            s.strip_prefix(ours)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(" at line "))
        };
        if at_line(&msg) || expected.is_some_and(at_line) {
            return ours.to_string();
        }
    }
    format!(
        "unexpected shape at line {} column {}",
        e.line(),
        e.column()
    )
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = FirehoseEvent<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("top level is not an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut event = FirehoseEvent::default();
        let mut records = None;
        while let Some(BorrowedKey(key)) = map.next_key()? {
            match key.as_ref() {
                "invocationId" => event.invocation_id = map.next_value::<LenientStr>()?.0,
                "deliveryStreamArn" => {
                    event.delivery_stream_arn = map.next_value::<LenientStr>()?.0
                }
                "sourceKinesisStreamArn" => {
                    event.source_kinesis_stream_arn = map.next_value::<LenientStr>()?.0
                }
                "region" => event.region = map.next_value::<LenientStr>()?.0,
                "records" => records = Some(map.next_value::<Records>()?.0),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        event.records = records.ok_or_else(|| de::Error::custom("no records array"))?;
        Ok(event)
    }
}

/// A string, or `None` for any other JSON value.
pub(crate) struct LenientStr<'a>(pub Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for LenientStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(LenientStr(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LenientStr(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(LenientStr(Some(Cow::Owned(v))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LenientStr(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LenientStr(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Epoch milliseconds from any numeric form JSON allows (integer, fraction,
/// exponent, or a string of digits), or `None`.
struct LenientMillis(Option<i64>);

impl<'de> Deserialize<'de> for LenientMillis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientMillis;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(LenientMillis(Some(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(LenientMillis(i64::try_from(v).ok()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                let ok = v.is_finite() && v.abs() < 9.0e15;
                Ok(LenientMillis(ok.then_some(v.trunc() as i64)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LenientMillis(crate::time::parse_epoch_ms(v)))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LenientMillis(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(LenientMillis(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LenientMillis(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LenientMillis(None))
            }
        }
        d.deserialize_any(V)
    }
}

struct Records<'a>(Vec<FirehoseRecord<'a>>);

impl<'de> Deserialize<'de> for Records<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Records<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("records is not an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(s.size_hint().unwrap_or(0).min(10_000));
                while let Some(r) = s.next_element::<FirehoseRecord<'de>>()? {
                    out.push(r);
                }
                Ok(Records(out))
            }
        }
        d.deserialize_seq(V)
    }
}

impl<'de> Deserialize<'de> for FirehoseRecord<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FirehoseRecord<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a record is not an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut record_id = None;
                let mut data = None;
                let mut ts = None;
                while let Some(BorrowedKey(key)) = m.next_key()? {
                    match key.as_ref() {
                        "recordId" => record_id = m.next_value::<LenientStr>()?.0,
                        "data" => data = m.next_value::<LenientStr>()?.0,
                        "approximateArrivalTimestamp" => ts = m.next_value::<LenientMillis>()?.0,
                        _ => {
                            m.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let record_id = record_id
                    .ok_or_else(|| de::Error::custom("a record has no string recordId"))?;
                Ok(FirehoseRecord {
                    record_id,
                    data,
                    approximate_arrival_timestamp: ts,
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// The three results Firehose accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordResult {
    Ok,
    Dropped,
    ProcessingFailed,
}

impl RecordResult {
    pub const fn as_str(self) -> &'static str {
        match self {
            RecordResult::Ok => "Ok",
            RecordResult::Dropped => "Dropped",
            RecordResult::ProcessingFailed => "ProcessingFailed",
        }
    }
}

impl fmt::Display for RecordResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record's data in the response, which Firehose receives as base64.
///
/// A transformed record's output is held as bytes and encoded straight
/// into the response when it is written: holding it as base64 text cost
/// one more pass over every byte and a copy of it, a memory-bound share of
/// a large batch's time.
#[derive(Debug, Clone)]
pub enum Data {
    /// Bytes, encoded as the response is written.
    Raw(Vec<u8>),
    /// Text sent as it is: a failed record's original `data`, echoed.
    Base64(String),
}

impl Default for Data {
    fn default() -> Self {
        Data::Raw(Vec::new())
    }
}

/// Equal when the same base64 text is sent, however it is held.
impl PartialEq for Data {
    fn eq(&self, other: &Self) -> bool {
        self.to_base64() == other.to_base64()
    }
}

impl Data {
    pub fn is_empty(&self) -> bool {
        match self {
            Data::Raw(b) => b.is_empty(),
            Data::Base64(s) => s.is_empty(),
        }
    }

    /// The length of the base64 text sent.
    pub fn base64_len(&self) -> usize {
        match self {
            Data::Raw(b) => crate::decode::base64_len(b.len()),
            Data::Base64(s) => s.len(),
        }
    }

    /// The base64 text sent.
    pub fn to_base64(&self) -> Cow<'_, str> {
        match self {
            Data::Raw(b) => Cow::Owned(crate::decode::base64_encode(b)),
            Data::Base64(s) => Cow::Borrowed(s),
        }
    }

    /// The bytes Firehose delivers; an error for echoed text that is not
    /// base64.
    pub fn decoded(&self) -> Result<Cow<'_, [u8]>, crate::error::RecordError> {
        match self {
            Data::Raw(b) => Ok(Cow::Borrowed(b)),
            Data::Base64(s) => crate::decode::base64_decode(s).map(Cow::Owned),
        }
    }

    /// Appends the base64 text to `out`.
    fn write_base64(&self, out: &mut Vec<u8>) {
        match self {
            Data::Raw(b) => crate::decode::base64_encode_append(b, out),
            Data::Base64(s) => out.extend_from_slice(s.as_bytes()),
        }
    }
}

/// One answered record, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseRecord<'a> {
    /// Borrowed from the event: one allocation less per record.
    pub record_id: Cow<'a, str>,
    pub result: RecordResult,
    pub data: Data,
    /// Sent as `metadata.partitionKeys` only when `Some`.
    pub partition_keys: Option<BTreeMap<&'static str, String>>,
}

impl ResponseRecord<'_> {
    /// The same answer, with its record id owned.
    pub fn into_owned(self) -> ResponseRecord<'static> {
        ResponseRecord {
            record_id: Cow::Owned(self.record_id.into_owned()),
            result: self.result,
            data: self.data,
            partition_keys: self.partition_keys,
        }
    }

    /// Appends this record's JSON to `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"recordId\":");
        write_str(out, &self.record_id);
        out.extend_from_slice(b",\"result\":\"");
        out.extend_from_slice(self.result.as_str().as_bytes());
        out.extend_from_slice(b"\",\"data\":\"");
        // base64 never needs escaping in JSON (an echoed original is sent
        // only when it needs none either).
        self.data.write_base64(out);
        out.push(b'"');
        if let Some(keys) = &self.partition_keys {
            out.extend_from_slice(b",\"metadata\":{\"partitionKeys\":{");
            for (i, (k, v)) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_str(out, v);
            }
            out.extend_from_slice(b"}}");
        }
        out.push(b'}');
    }

    /// The exact number of bytes [`write_json`](Self::write_json) appends.
    pub fn json_len(&self) -> usize {
        str_len(&self.record_id) + self.json_len_but_id()
    }

    /// [`json_len`](Self::json_len) without the record id's string: what
    /// the answer costs beyond its id, found without reading the id.
    pub fn json_len_but_id(&self) -> usize {
        let mut n = b"{\"recordId\":,\"result\":\"\",\"data\":\"\"}".len()
            + self.result.as_str().len()
            + self.data.base64_len();
        if let Some(keys) = &self.partition_keys {
            n += b",\"metadata\":{\"partitionKeys\":{}}".len();
            n += keys.len().saturating_sub(1);
            for (k, v) in keys {
                n += str_len(k) + 1 + str_len(v);
            }
        }
        n
    }
}

/// The whole response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FirehoseResponse<'a> {
    pub records: Vec<ResponseRecord<'a>>,
}

#[cfg(test)]
thread_local! {
    /// How often this thread measured a whole response: tests count it to
    /// hold per-record work to per-record cost.
    pub(crate) static RESPONSE_MEASURES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// `{"records":[` + `]}`
pub const RESPONSE_ENVELOPE_LEN: usize = b"{\"records\":[]}".len();

/// The smallest answer a record can have (`ProcessingFailed` with no data)
/// without its record id's string.
pub const MIN_ANSWER_LEN_BUT_ID: usize = b"{\"recordId\":,\"result\":\"\",\"data\":\"\"}".len()
    + RecordResult::ProcessingFailed.as_str().len();

impl FirehoseResponse<'_> {
    /// The same response, owning its record ids (no longer borrowing the
    /// event's bytes).
    pub fn into_owned(self) -> FirehoseResponse<'static> {
        FirehoseResponse {
            records: self
                .records
                .into_iter()
                .map(ResponseRecord::into_owned)
                .collect(),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        // Room for the whole response, ids taken as needing no escape
        // (record ids never do in practice): the exact size but for that,
        // without a pass over every id to find out.
        let ids: usize = self.records.iter().map(|r| r.record_id.len() + 2).sum();
        let rest: usize = self
            .records
            .iter()
            .map(ResponseRecord::json_len_but_id)
            .sum();
        let mut out = Vec::with_capacity(RESPONSE_ENVELOPE_LEN + self.records.len() + ids + rest);
        out.extend_from_slice(b"{\"records\":[");
        for (i, r) in self.records.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            r.write_json(&mut out);
        }
        out.extend_from_slice(b"]}");
        out
    }

    pub fn json_len(&self) -> usize {
        #[cfg(test)]
        RESPONSE_MEASURES.set(RESPONSE_MEASURES.get() + 1);
        RESPONSE_ENVELOPE_LEN
            + self
                .records
                .iter()
                .map(ResponseRecord::json_len)
                .sum::<usize>()
            + self.records.len().saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Vendored from the Lambda runtimes' own fixtures (see its README).
    const FIXTURE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/firehose");

    /// Firehose-event-shaped JSON with values of every type where the
    /// event's own fields go, sometimes damaged by a character or two.
    fn event_like() -> impl Strategy<Value = String> {
        let scalar = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("{}".to_owned()),
            Just("[1,{\"a\":[]}]".to_owned()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| serde_json::json!(f).to_string()),
            "[ -~]{0,12}".prop_map(|s| serde_json::json!(s).to_string()),
            Just("\"1507217624302\"".to_owned()),
            Just("1.5e12".to_owned()),
        ];
        let key = prop_oneof![
            Just("recordId"),
            Just("data"),
            Just("approximateArrivalTimestamp"),
            Just("kinesisRecordMetadata"),
            Just("other"),
        ];
        let record = prop::collection::vec((key, scalar.clone()), 0..5).prop_map(|members| {
            let inner: Vec<String> = members
                .into_iter()
                .map(|(k, v)| format!("\"{k}\":{v}"))
                .collect();
            format!("{{{}}}", inner.join(","))
        });
        let records = prop_oneof![
            4 => prop::collection::vec(prop_oneof![9 => record, 1 => scalar.clone()], 0..4)
                .prop_map(|r| format!("[{}]", r.join(","))),
            1 => scalar.clone(),
        ];
        let top_key = prop_oneof![
            Just("invocationId"),
            Just("deliveryStreamArn"),
            Just("sourceKinesisStreamArn"),
            Just("region"),
            Just("extra"),
        ];
        (
            prop::collection::vec((top_key, scalar), 0..3),
            prop::option::weighted(0.9, records),
            prop::collection::vec((any::<prop::sample::Index>(), any::<char>()), 0..2),
        )
            .prop_map(|(fields, records, edits)| {
                let mut members: Vec<String> = fields
                    .into_iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                if let Some(r) = records {
                    members.push(format!("\"records\":{r}"));
                }
                let text = format!("{{{}}}", members.join(","));
                crate::json::parse::damage(&text, edits)
            })
    }

    #[test]
    fn parses_the_reference_fixtures() {
        let dir = std::fs::read_dir(FIXTURE_DIR).unwrap_or_else(|e| panic!("{FIXTURE_DIR}: {e}"));
        let mut parsed = 0;
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with("-event.json") {
                continue;
            }
            let bytes = std::fs::read(entry.path()).unwrap();
            let ev = FirehoseEvent::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(ev.records.len(), 2, "{name}");
            assert_eq!(ev.records[0].record_id, "record1");
            assert_eq!(ev.records[0].data.as_deref(), Some("SGVsbG8gV29ybGQ="));
            assert_eq!(
                ev.records[0].approximate_arrival_timestamp,
                Some(1_507_217_624_302)
            );
            assert!(ev.source_kinesis_stream_arn.is_some());
            parsed += 1;
        }
        assert_eq!(parsed, 3, "every vendored event fixture was read");
    }

    #[test]
    fn accepts_every_numeric_form_for_timestamps() {
        for (ts, want) in [
            ("1507217624302", Some(1_507_217_624_302)),
            ("1.507217624302e12", Some(1_507_217_624_302)),
            ("1507217624302.9", Some(1_507_217_624_302)),
            ("\"1507217624302\"", Some(1_507_217_624_302)),
            ("-0", Some(0)),
            ("1e400", None),
            ("1e999", None),
            ("-1e999", None),
            ("1E+999", None),
            ("null", None),
            ("true", None),
            ("{}", None),
        ] {
            let json = format!(
                r#"{{"records":[{{"recordId":"a","data":"","approximateArrivalTimestamp":{ts}}}]}}"#
            );
            // A bad optional field is ignored, a number out of every range
            // included (it once failed the whole invocation).
            let ev = FirehoseEvent::parse(json.as_bytes()).unwrap();
            assert_eq!(ev.records[0].approximate_arrival_timestamp, want, "{ts}");
        }
    }

    #[test]
    fn tolerates_extra_absent_and_mistyped_optional_fields() {
        let json = br#"{"extra":[1,2],"invocationId":7,"region":null,
            "records":[{"recordId":"r1","data":42,"kinesisRecordMetadata":{"x":1}},{"recordId":"r2"}]}"#;
        let ev = FirehoseEvent::parse(json).unwrap();
        assert_eq!(ev.invocation_id, None);
        assert_eq!(ev.records.len(), 2);
        assert_eq!(ev.records[0].data, None);
        assert_eq!(ev.records[1].data, None);
    }

    #[test]
    fn rejects_events_that_are_not_firehose_events_with_a_clear_reason() {
        let cases: [(&[u8], &str); 5] = [
            (b"[]", "top level is not an object"),
            (b"{}", "no records array"),
            (br#"{"records":{}}"#, "records is not an array"),
            (br#"{"records":[1]}"#, "a record is not an object"),
            (
                br#"{"records":[{"data":"AA=="}]}"#,
                "a record has no string recordId",
            ),
        ];
        for (json, why) in cases {
            match FirehoseEvent::parse(json) {
                Err(EventError::NotFirehose { why: got }) => assert_eq!(got, why),
                other => panic!("{}: {other:?}", String::from_utf8_lossy(json)),
            }
        }
        assert!(matches!(
            FirehoseEvent::parse(b"{"),
            Err(EventError::Json(_))
        ));
        assert!(matches!(
            FirehoseEvent::parse(b"{\"records\":[]} x"),
            Err(EventError::Json(_))
        ));
    }

    #[test]
    fn unescapes_json_escapes_in_record_ids_and_data() {
        let json = br#"{"records":[{"recordId":"a\"b","data":"SGVsbG8\/V29ybGQ="}]}"#;
        let ev = FirehoseEvent::parse(json).unwrap();
        assert_eq!(ev.records[0].record_id, "a\"b");
        assert_eq!(ev.records[0].data.as_deref(), Some("SGVsbG8/V29ybGQ="));
    }

    #[test]
    fn data_held_as_bytes_is_written_as_standard_base64() {
        use base64::Engine as _;
        let bytes: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        for n in [0, 1, 2, 3, 4, 5, 31, 32, 33, 47, 48, 49, 100, 300] {
            let raw = bytes[..n].to_vec();
            let expected = base64::engine::general_purpose::STANDARD.encode(&raw);
            let r = ResponseRecord {
                record_id: "r".into(),
                result: RecordResult::Ok,
                data: Data::Raw(raw.clone()),
                partition_keys: None,
            };
            let mut out = Vec::new();
            r.write_json(&mut out);
            let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(v["data"], expected.as_str(), "{n} bytes");
            assert_eq!(out.len(), r.json_len(), "{n} bytes");
            assert_eq!(r.data.base64_len(), expected.len());
            assert_eq!(r.data, Data::Base64(expected.clone()));
            assert_eq!(r.data.decoded().unwrap().as_ref(), raw.as_slice());
            assert_eq!(
                Data::Base64(expected).decoded().unwrap().as_ref(),
                raw.as_slice()
            );
        }
        assert!(Data::Base64("not base64!".into()).decoded().is_err());
        assert!(Data::default().is_empty());
    }

    #[test]
    fn metadata_is_sent_only_with_partition_keys() {
        let mut r = ResponseRecord {
            record_id: "id\n1".into(),
            result: RecordResult::Ok,
            data: Data::Raw(b"A".to_vec()),
            partition_keys: None,
        };
        let mut out = Vec::new();
        r.write_json(&mut out);
        assert_eq!(out, br#"{"recordId":"id\n1","result":"Ok","data":"QQ=="}"#);
        assert_eq!(out.len(), r.json_len());
        r.partition_keys = Some([("year", "2024".to_string()), ("day", "07".to_string())].into());
        let resp = FirehoseResponse {
            records: vec![r.clone(), r],
        };
        let json = resp.to_json();
        assert_eq!(json.len(), resp.json_len());
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["records"][1]["metadata"]["partitionKeys"]["year"], "2024");
    }

    #[test]
    fn parses_arns() {
        let arn = "arn:aws:firehose:us-east-1:123456789012:deliverystream/my-stream";
        assert_eq!(arn_resource_name(arn, "deliverystream/"), Some("my-stream"));
        assert_eq!(
            arn_resource_name("aws:lambda:events", "deliverystream/"),
            None
        );
        let ev = FirehoseEvent {
            delivery_stream_arn: Some(arn.into()),
            ..Default::default()
        };
        assert_eq!(ev.account_id(), Some("123456789012"));
        assert_eq!(ev.delivery_stream_name(), Some("my-stream"));
    }

    proptest! {
        #[test]
        fn our_event_parser_answers_as_the_serde_json_one(text in event_like()) {
            let ours = FirehoseEvent::parse(text.as_bytes());
            let theirs = FirehoseEvent::parse_serde(text.as_bytes());
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                (Err(EventError::NotFirehose { why: a }), Err(EventError::NotFirehose { why: b })) => {
                    prop_assert_eq!(a, b)
                }
                // Which kind of JSON error (end of input or syntax) serde_json
                // names differs between its own read and skip paths; both are
                // JSON errors.
                (Err(EventError::Json(_)), Err(EventError::Json(_))) => {}
                _ => prop_assert!(false, "{:?} vs {:?}", ours, theirs),
            }
        }

        #[test]
        fn event_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = FirehoseEvent::parse(&bytes);
        }
    }
}
