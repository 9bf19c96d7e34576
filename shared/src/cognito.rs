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

use crate::error::RecordError;
pub use crate::json::value::{entries, Field, Object};

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
    crate::json::parse::for_each_value(
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
