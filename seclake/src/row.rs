//! One OCSF record (the JSON the library's mapping emits) as one row.
//!
//! Everything but `unmapped` goes into its column as it is. `unmapped`
//! becomes a `map<string,string>` ([`flatten_unmapped`]): objects are
//! walked to dotted keys (`risk.level`, `origin.transport`,
//! `extra.message.brandNewField`); a string is its value, a number or
//! boolean its JSON text (`true`, `12`), an array its compact JSON text
//! (`challenges` → `[{"name":"Password","result":"success"}]`); nulls are
//! left out. Keys are sorted. Should two paths flatten to one key (an
//! unknown input field whose name holds a dot, next to a nested one of the
//! same spelling), the first in key order keeps it and the other is
//! dropped: a lossy corner of a field nobody maps.
//!
//! A batch holds each record as a [`Row`] until its object is written: the
//! prepared record as compact JSON text, which the Arrow decoder reads
//! directly. A `serde_json::Value` tree of an OCSF record takes about ten
//! times its text (every member a `String` key and a boxed value, every
//! object a map); held as text, an object of 64 MiB of lines peaks at a
//! fraction of what it did (docs/security-lake.md, "Memory").

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::Error;

/// One record as a batch holds it: its `time` (the sort key) and the
/// [`prepare`]d record as compact JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    time_ms: Option<i64>,
    json: Box<[u8]>,
}

impl Row {
    /// `record` (an OCSF record as the mapping emits it), prepared and
    /// written as compact JSON.
    pub fn new(record: Value) -> Result<Row, Error> {
        let time_ms = time_ms(&record);
        let json = serde_json::to_vec(&prepare(record)).map_err(Error::Serialize)?;
        Ok(Row {
            time_ms,
            json: json.into_boxed_slice(),
        })
    }

    /// The record's `time` (epoch milliseconds), when it has a usable one.
    pub fn time_ms(&self) -> Option<i64> {
        self.time_ms
    }

    /// The prepared record's JSON text, as the Arrow decoder reads it.
    pub fn json(&self) -> &[u8] {
        &self.json
    }
}

/// The flattened form of an `unmapped` object. Anything else there (a line
/// from another tool may hold a string or an array) is kept whole, under
/// the key `unmapped`, rather than dropped.
pub fn flatten_unmapped(unmapped: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match unmapped {
        Value::Object(members) => walk(members, "", &mut out),
        Value::Null => {}
        Value::String(s) => {
            out.insert("unmapped".into(), s.clone());
        }
        other => {
            out.insert("unmapped".into(), other.to_string());
        }
    }
    out
}

fn walk(members: &Map<String, Value>, prefix: &str, out: &mut BTreeMap<String, String>) {
    for (key, value) in members {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let text = match value {
            Value::Null => continue,
            Value::Object(inner) => {
                walk(inner, &path, out);
                continue;
            }
            Value::String(s) => s.clone(),
            Value::Bool(_) | Value::Number(_) | Value::Array(_) => value.to_string(),
        };
        out.entry(path).or_insert(text);
    }
}

/// The record with `unmapped` flattened, ready for the Arrow decoder.
pub fn prepare(mut record: Value) -> Value {
    if let Some(object) = record.as_object_mut() {
        if let Some(unmapped) = object.get("unmapped") {
            let flat: Map<String, Value> = flatten_unmapped(unmapped)
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            object.insert("unmapped".into(), Value::Object(flat));
        }
    }
    record
}

/// The record's `time` (epoch milliseconds), when it has a usable one.
pub fn time_ms(record: &Value) -> Option<i64> {
    record.get("time").and_then(Value::as_i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_unmapped_that_is_not_an_object_is_kept_whole() {
        let kept = |v: Value| flatten_unmapped(&v).into_iter().collect::<Vec<_>>();
        assert_eq!(
            kept(json!("raw text")),
            [("unmapped".to_string(), "raw text".to_string())]
        );
        assert_eq!(
            kept(json!([1, "a"])),
            [("unmapped".to_string(), r#"[1,"a"]"#.to_string())]
        );
        assert_eq!(kept(json!(7)), [("unmapped".to_string(), "7".to_string())]);
        assert!(kept(Value::Null).is_empty());
    }

    #[test]
    fn flattens_objects_to_dotted_keys_and_arrays_to_json_text() {
        let flat = flatten_unmapped(&json!({
            "risk": {"level": "high", "compromised_credentials": true},
            "challenges": [{"name": "Password", "result": "success"}],
            "origin": {"transport": "direct", "log_group": null},
            "extra": {"message": {"n": 12}}
        }));
        let expected: BTreeMap<String, String> = [
            ("challenges", r#"[{"name":"Password","result":"success"}]"#),
            ("extra.message.n", "12"),
            ("origin.transport", "direct"),
            ("risk.compromised_credentials", "true"),
            ("risk.level", "high"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(flat, expected);
    }

    #[test]
    fn a_colliding_key_keeps_the_first_value_in_key_order() {
        let flat = flatten_unmapped(&json!({"extra": {"a": {"b": "nested"}, "a.b": "dotted"}}));
        assert_eq!(flat.len(), 1);
        assert_eq!(flat.get("extra.a.b").map(String::as_str), Some("nested"));
    }

    #[test]
    fn prepare_touches_only_unmapped() {
        let row = prepare(json!({"time": 5, "user": {"name": "a"}, "unmapped": {"x": {"y": 1}}}));
        assert_eq!(
            row,
            json!({"time": 5, "user": {"name": "a"}, "unmapped": {"x.y": "1"}})
        );
        assert_eq!(time_ms(&row), Some(5));
    }

    #[test]
    fn a_row_is_the_prepared_record_as_compact_json_with_its_time() {
        let record = json!({"time": 5, "user": {"name": "a"}, "unmapped": {"x": {"y": 1}}});
        let row = Row::new(record.clone()).expect("a row");
        assert_eq!(row.time_ms(), Some(5));
        let text: Value = serde_json::from_slice(row.json()).expect("JSON");
        assert_eq!(text, prepare(record));
        assert!(!row.json().contains(&b'\n'));
        assert_eq!(
            Row::new(json!({"time": "soon"})).expect("a row").time_ms(),
            None
        );
    }
}
