//! The raw Cognito log record, parsed tolerantly.
//!
//! Cognito user pools export user-activity logs (`userAuthEvents`, INFO, Plus
//! plan with threat protection) and message-delivery logs
//! (`userNotification`, ERROR), see
//! <https://docs.aws.amazon.com/cognito/latest/developerguide/exporting-quotas-and-usage.html>.
//! Nearly every value is a string, empty when unknown, and AWS says the schema
//! may change and fields may be null. So we do not bind the record to a fixed
//! struct: we keep it as an ordered tree of [`Field`]s that borrows from the
//! input, accept any JSON type anywhere, and let `normalize` pick out what it
//! knows. Whatever it does not know goes to `unmapped`, so nothing is lost.
//! Duplicate keys are kept in the tree; readers take the last one, as
//! JavaScript and most JSON libraries do.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::error::RecordError;

/// A JSON value borrowing its strings from the input where it can.
#[derive(Debug, Clone, PartialEq)]
pub enum Field<'a> {
    Null,
    Bool(bool),
    Num(serde_json::Number),
    Str(Cow<'a, str>),
    Arr(Vec<Field<'a>>),
    Obj(Object<'a>),
}

/// A JSON object with its keys in input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object<'a>(pub Vec<(Cow<'a, str>, Field<'a>)>);

impl<'a> Object<'a> {
    /// The last value under `key`.
    pub fn get(&self, key: &str) -> Option<&Field<'a>> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn obj(&self, key: &str) -> Option<&Object<'a>> {
        match self.get(key) {
            Some(Field::Obj(o)) => Some(o),
            _ => None,
        }
    }

    /// Entries with duplicate keys removed (the last wins), in input order.
    ///
    /// Duplicates are rare, so each key is compared in full with the later
    /// ones only when a cheap 256-bit signature of the later keys says it
    /// may repeat one: linear time for the usual object, not quadratic.
    pub fn entries(&self) -> impl Iterator<Item = (&Cow<'a, str>, &Field<'a>)> {
        entries(&self.0)
    }
}

/// [`Object::entries`] of an object's members, wherever they are held.
///
/// Up to 64 members, duplicates are found with a 256-bit signature of the
/// later keys and compared in full only on a signature match; above that,
/// a map from each key to its last position does it in linear time (a
/// hostile record with many thousands of keys must not cost their square).
pub fn entries<'o, 'a>(
    members: &'o [(Cow<'a, str>, Field<'a>)],
) -> impl Iterator<Item = (&'o Cow<'a, str>, &'o Field<'a>)> {
    let n = members.len();
    let mut skip = 0u64;
    let mut last: Option<std::collections::HashMap<&'o str, usize>> = None;
    if n <= 64 {
        let mut seen = [0u64; 4];
        for i in (0..n).rev() {
            let key = members[i].0.as_bytes();
            let h = key_signature(key);
            let (word, bit) = (usize::from(h >> 6), 1u64 << (h & 63));
            if seen[word] & bit != 0 && members[i + 1..].iter().any(|(k, _)| k == &members[i].0) {
                skip |= 1 << i;
            }
            seen[word] |= bit;
        }
    } else {
        last = Some(
            members
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.as_ref(), i))
                .collect(),
        );
    }
    members
        .iter()
        .enumerate()
        .filter(move |(i, (k, _))| match &last {
            Some(last) => last.get(k.as_ref()) == Some(i),
            None => skip & (1 << i) == 0,
        })
        .map(|(_, (k, v))| (k, v))
}

/// A one-byte signature of a key, for [`Object::entries`].
fn key_signature(key: &[u8]) -> u8 {
    let first = key.first().copied().unwrap_or(0);
    let last = key.last().copied().unwrap_or(0);
    let mid = key.get(key.len() / 2).copied().unwrap_or(0);
    (key.len() as u8)
        .wrapping_mul(31)
        .wrapping_add(first)
        .wrapping_add(last.wrapping_mul(7))
        .wrapping_add(mid.wrapping_mul(13))
}

/// `s` as lowercase ASCII alphanumerics only (`ACCOUNT_TAKEOVER`,
/// `AccountTakeover` and `account-takeover` all become `accounttakeover`),
/// written into `buf` without allocating. A value whose squashed form does
/// not fit in `buf` comes back as `"~"`, which matches no keyword (keywords
/// are all shorter than any buffer used).
pub(crate) fn squash_into<'b>(s: &str, buf: &'b mut [u8; 24]) -> &'b str {
    let mut n = 0;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() {
            if n == buf.len() {
                return "~";
            }
            buf[n] = b.to_ascii_lowercase();
            n += 1;
        }
    }
    std::str::from_utf8(&buf[..n]).unwrap_or("~")
}

impl<'a> Field<'a> {
    /// The value as text: strings as they are, numbers and booleans as
    /// written; `None` for null, empty strings, the literal string `"null"`
    /// (Cognito's way of saying absent), arrays and objects.
    pub fn text(&self) -> Option<Cow<'a, str>> {
        match self {
            Field::Str(s) => {
                // Fast path: no whitespace at either end (ASCII graphic first
                // and last bytes) and not "null": the value as it is.
                let b = s.as_bytes();
                if let (Some(first), Some(last)) = (b.first(), b.last()) {
                    if first.is_ascii_graphic()
                        && last.is_ascii_graphic()
                        && !(b.len() == 4 && s.eq_ignore_ascii_case("null"))
                    {
                        return Some(s.clone());
                    }
                }
                let t = s.trim();
                if t.is_empty() || t.eq_ignore_ascii_case("null") {
                    None
                } else if t.len() == s.len() {
                    Some(s.clone())
                } else {
                    Some(Cow::Owned(t.to_owned()))
                }
            }
            Field::Num(n) => Some(Cow::Owned(n.to_string())),
            Field::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            _ => None,
        }
    }

    /// Whether this value means "absent" (null, empty, "null").
    pub fn is_absent(&self) -> bool {
        match self {
            Field::Null => true,
            Field::Str(_) => self.text().is_none(),
            _ => false,
        }
    }
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FieldVisitor)
    }
}

impl<'de> Deserialize<'de> for Object<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(FieldVisitor)? {
            Field::Obj(o) => Ok(o),
            _ => Err(serde::de::Error::custom("not an object")),
        }
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Field::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Field::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Field::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Field::Num(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Field::Null, Field::Num))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = s.next_element()? {
            out.push(v);
        }
        Ok(Field::Arr(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        // Cognito's `message` has about 25 fields: one allocation, not five.
        let mut out = Vec::with_capacity(m.size_hint().unwrap_or(8).min(32));
        while let Some(BorrowedKey(k)) = m.next_key()? {
            out.push((k, m.next_value()?));
        }
        Ok(Field::Obj(Object(out)))
    }
}

/// An object key, borrowed from the input unless it has escapes. (serde's
/// own `Cow<str>` always allocates.)
pub(crate) struct BorrowedKey<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for BorrowedKey<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BorrowedKey<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(BorrowedKey(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(BorrowedKey(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(BorrowedKey(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

impl Serialize for Field<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Null => s.serialize_unit(),
            Field::Bool(b) => s.serialize_bool(*b),
            Field::Num(n) => n.serialize(s),
            Field::Str(v) => s.serialize_str(v),
            Field::Arr(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Field::Obj(o) => o.serialize(s),
        }
    }
}

impl Serialize for Object<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (k, v) in self.entries() {
            map.serialize_entry(k.as_ref(), v)?;
        }
        map.end()
    }
}

/// The kinds of log Cognito exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    /// `USER_AUTH_EVENTS` / `USER_ACTIVITY`: threat-protection user activity.
    UserActivity,
    /// `USER_NOTIFICATION`: message-delivery errors.
    Notification,
}

impl LogKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::UserActivity => "user_activity",
            LogKind::Notification => "notification",
        }
    }
}

/// Decides whether a JSON object is a Cognito log record, and of which kind.
///
/// A Cognito record has an object `message` and at least one of a string
/// `eventSource` or an object `logSourceId`. The kind comes from
/// `eventSource` (both spellings seen in the wild for user activity); an
/// unknown or missing source is classified by the message's shape (a
/// `details` field and no `eventType` is a notification), so a renamed
/// source does not turn good records into failures.
pub fn classify(obj: &Object<'_>) -> Result<LogKind, &'static str> {
    let Some(message) = obj.obj("message") else {
        return Err("no message object");
    };
    let source = obj.get("eventSource").and_then(Field::text);
    if source.is_none() && obj.obj("logSourceId").is_none() {
        return Err("neither eventSource nor logSourceId");
    }
    Ok(classify_source(source.as_deref(), || {
        message.get("details").is_some() && message.get("eventType").is_none()
    }))
}

/// The kind a record's `eventSource` names; when it names none,
/// `notification_shaped` (a `message` with `details` and no `eventType`)
/// decides.
pub(crate) fn classify_source(
    source: Option<&str>,
    notification_shaped: impl FnOnce() -> bool,
) -> LogKind {
    // Cognito's own spellings first; the squashed comparison catches the rest.
    match source {
        Some("USER_AUTH_EVENTS") => return LogKind::UserActivity,
        Some("USER_NOTIFICATION") => return LogKind::Notification,
        _ => {}
    }
    let mut buf = [0u8; 24];
    match source.map(|s| squash_into(s, &mut buf)) {
        Some("userauthevents" | "useractivity" | "userauthevent") => LogKind::UserActivity,
        Some("usernotification" | "usernotifications") => LogKind::Notification,
        _ if notification_shaped() => LogKind::Notification,
        _ => LogKind::UserActivity,
    }
}

/// Parses one or more JSON objects from `text`: a single record,
/// newline-delimited records, or records concatenated with no separator.
/// Blank lines are skipped. Any non-object or broken document fails the whole
/// text: a Firehose record is answered as a unit, and failing it keeps every
/// original byte in the error prefix.
pub fn parse_documents(text: &str) -> Result<Vec<Object<'_>>, RecordError> {
    let mut out = Vec::new();
    crate::parse::for_each_value(
        text,
        |index, doc| match doc {
            Field::Obj(o) => {
                out.push(o);
                Ok(())
            }
            _ => Err(RecordError::NotCognito {
                index,
                why: "not a JSON object",
            }),
        },
        RecordError::Json,
    )?;
    if out.is_empty() {
        return Err(RecordError::Empty);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_newline_delimited_and_concatenated_records() {
        let docs = parse_documents("{\"a\":1}\n{\"a\":2}{\"a\":3}\n\n").unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[2].get("a"), Some(&Field::Num(3.into())));
    }

    #[test]
    fn a_broken_document_fails_the_whole_text() {
        assert!(matches!(
            parse_documents("{\"a\":1}\n{\"a\":"),
            Err(RecordError::Json(_))
        ));
        assert!(matches!(
            parse_documents("{\"a\":1}\n[1]"),
            Err(RecordError::NotCognito { index: 1, .. })
        ));
        assert_eq!(parse_documents("  \n "), Err(RecordError::Empty));
    }

    #[test]
    fn deep_nesting_is_a_json_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        match parse_documents(&deep) {
            Err(RecordError::Json(f)) => assert_eq!(f.kind, "nested too deeply"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicate_keys_resolve_to_the_last_and_serialize_once() {
        let docs = parse_documents(r#"{"k":"first","x":1,"k":"second"}"#).unwrap();
        assert_eq!(
            docs[0].get("k").and_then(Field::text).as_deref(),
            Some("second")
        );
        assert_eq!(
            serde_json::to_string(&docs[0]).unwrap(),
            r#"{"x":1,"k":"second"}"#
        );
    }

    #[test]
    fn duplicate_keys_are_dropped_in_small_and_large_objects_alike() {
        for n in [3usize, 40, 64, 65, 100, 3000] {
            // Keys repeat every seven entries; some collide in signature only.
            let members: Vec<String> = (0..n)
                .map(|i| format!("\"k{}\":{i}", i % (n / 2 + 1) % 7 + i % 3 * 10))
                .collect();
            let text = format!("{{{}}}", members.join(","));
            let docs = parse_documents(&text).unwrap();
            let obj = &docs[0];
            let naive: Vec<(&str, &Field<'_>)> = obj
                .0
                .iter()
                .enumerate()
                .filter(|(i, (k, _))| !obj.0[i + 1..].iter().any(|(o, _)| o == k))
                .map(|(_, (k, v))| (k.as_ref(), v))
                .collect();
            let fast: Vec<(&str, &Field<'_>)> =
                obj.entries().map(|(k, v)| (k.as_ref(), v)).collect();
            assert_eq!(fast, naive, "{n} members");
        }
    }

    #[test]
    fn empty_and_null_strings_are_absent() {
        for s in ["", "  ", "null", "NULL"] {
            assert!(Field::Str(s.into()).is_absent(), "{s:?}");
        }
        assert_eq!(Field::Num(5.into()).text().as_deref(), Some("5"));
        assert_eq!(Field::Bool(true).text().as_deref(), Some("true"));
    }

    #[test]
    fn classifies_both_event_source_spellings_and_notifications() {
        let kind = |json: &str| {
            let docs = parse_documents(json).unwrap();
            classify(&docs[0])
        };
        assert_eq!(
            kind(r#"{"eventSource":"USER_AUTH_EVENTS","message":{}}"#),
            Ok(LogKind::UserActivity)
        );
        assert_eq!(
            kind(r#"{"eventSource":"USER_ACTIVITY","message":{}}"#),
            Ok(LogKind::UserActivity)
        );
        assert_eq!(
            kind(r#"{"eventSource":"USER_NOTIFICATION","message":{"details":"x"}}"#),
            Ok(LogKind::Notification)
        );
        assert_eq!(
            kind(r#"{"logSourceId":{"userPoolId":"p"},"message":{"details":"x"}}"#),
            Ok(LogKind::Notification)
        );
        assert!(kind(r#"{"eventSource":"USER_AUTH_EVENTS","message":"text"}"#).is_err());
        assert!(kind(r#"{"message":{}}"#).is_err());
        assert!(kind(r#"{"hello":"world"}"#).is_err());
    }
}
