//! The Arrow schema of each OCSF class we write, declared once.
//!
//! [`COLUMNS`] lists every attribute the library's OCSF mapping
//! (`cognito_activity::output::ocsf`, docs/ocsf.md) can emit, typed as the
//! OCSF 1.1.0 schema types it (<https://schema.ocsf.io/1.1.0/data_types>):
//! `integer_t` is a 32-bit integer, `long_t` and `timestamp_t` (epoch
//! milliseconds) 64-bit, `boolean_t` a boolean, strings (`string_t`,
//! `uuid_t`, `ip_t`, ...) UTF-8, objects structs, arrays lists. Two columns
//! follow Amazon Security Lake's own tables rather than a literal reading:
//!
//! - `time` stays the OCSF `timestamp_t`, a `bigint` of epoch milliseconds
//!   (no Parquet timestamp logical type), so the object holds exactly the
//!   number the JSON record holds;
//! - `unmapped` is `map<string,string>`: its members are flattened to dotted
//!   keys (see [`crate::row`]), since its shape is open (anything Cognito
//!   adds lands under `unmapped.extra`) and a struct column would change the
//!   table schema with every new field.
//!
//! Every column is nullable and present in every object of its class, null
//! where a record leaves the attribute out, so every object of a class has
//! the same schema. The tests in this module hold the list equal to what the
//! mapping emits, both ways: a leaf the mapping emits that has no column
//! fails, and so does a column no record ever fills.

use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use cognito_activity::taxonomy::{Class, ACCOUNT_CHANGE, AUTHENTICATION};

/// The value type of one column.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// OCSF strings of every kind.
    Str,
    /// `integer_t`.
    Int,
    /// `long_t`, `timestamp_t`.
    Long,
    /// `boolean_t`.
    Bool,
    /// An array of strings.
    StrList,
    /// `unmapped`: `map<string,string>`.
    StrMap,
    /// An OCSF object.
    Object(&'static [Column]),
}

/// Which classes a column belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    Both,
    /// Authentication (3002) only: the mapping emits it for no other class.
    Authentication,
    /// Account Change (3001) only: notification logs (always Account
    /// Change) are the only records that carry it.
    AccountChange,
}

/// One column (or one member of an object column).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub classes: In,
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        classes: In::Both,
    }
}

const fn acct(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        classes: In::AccountChange,
    }
}

const fn auth(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        classes: In::Authentication,
    }
}

use Kind::{Bool, Int, Long, Object, Str, StrList, StrMap};

const ACCOUNT: &[Column] = &[col("uid", Str), col("type_id", Int), col("type", Str)];

/// Every attribute the OCSF mapping can emit, in the mapping's order
/// (shared/src/output/ocsf.rs, `Record`).
pub const COLUMNS: &[Column] = &[
    col("activity_id", Int),
    col("activity_name", Str),
    col("category_uid", Int),
    col("category_name", Str),
    col("class_uid", Int),
    col("class_name", Str),
    col("type_uid", Long),
    col("type_name", Str),
    col("severity_id", Int),
    col("severity", Str),
    col("status_id", Int),
    col("status", Str),
    col("status_code", Str),
    acct("status_detail", Str),
    acct("message", Str),
    col("time", Long),
    col("timezone_offset", Int),
    col(
        "metadata",
        Object(&[
            col("version", Str),
            col(
                "product",
                Object(&[col("name", Str), col("vendor_name", Str)]),
            ),
            col("profiles", StrList),
            col("uid", Str),
            col("correlation_uid", Str),
            col("event_code", Str),
            col("log_name", Str),
            col("log_provider", Str),
            col("log_level", Str),
            col("log_version", Str),
            col("original_time", Str),
            col("tenant_uid", Str),
        ]),
    ),
    col(
        "cloud",
        Object(&[
            col("provider", Str),
            col("region", Str),
            col("account", Object(ACCOUNT)),
        ]),
    ),
    col(
        "user",
        Object(&[
            col("uid", Str),
            col("name", Str),
            col("type_id", Int),
            col("type", Str),
            col("account", Object(ACCOUNT)),
        ]),
    ),
    auth("service", Object(&[col("name", Str), col("uid", Str)])),
    col(
        "src_endpoint",
        Object(&[
            col("ip", Str),
            col("uid", Str),
            col("location", Object(&[col("city", Str), col("country", Str)])),
        ]),
    ),
    col("http_request", Object(&[col("user_agent", Str)])),
    auth("auth_protocol_id", Int),
    auth("auth_protocol", Str),
    auth("is_mfa", Bool),
    auth("is_remote", Bool),
    col("unmapped", StrMap),
];

/// Whether `column` belongs in objects of `class`.
pub fn applies(column: &Column, class: Class) -> bool {
    match column.classes {
        In::Both => true,
        In::Authentication => class == AUTHENTICATION,
        In::AccountChange => class == ACCOUNT_CHANGE,
    }
}

fn data_type(kind: Kind, class: Class) -> DataType {
    match kind {
        Str => DataType::Utf8,
        Int => DataType::Int32,
        Long => DataType::Int64,
        Bool => DataType::Boolean,
        StrList => DataType::List(Arc::new(Field::new("element", DataType::Utf8, true))),
        // The Parquet MAP layout's own names (key_value, key, value), which
        // Hive, Glue and Athena expect.
        StrMap => DataType::Map(
            Arc::new(Field::new(
                "key_value",
                DataType::Struct(Fields::from(vec![
                    Field::new("key", DataType::Utf8, false),
                    Field::new("value", DataType::Utf8, true),
                ])),
                false,
            )),
            false,
        ),
        Object(members) => DataType::Struct(fields(members, class)),
    }
}

fn fields(columns: &[Column], class: Class) -> Fields {
    columns
        .iter()
        .filter(|c| applies(c, class))
        .map(|c| Field::new(c.name, data_type(c.kind, class), true))
        .collect()
}

/// The Arrow schema of every object of `class`.
pub fn schema(class: Class) -> SchemaRef {
    static AUTH: OnceLock<SchemaRef> = OnceLock::new();
    static ACCT: OnceLock<SchemaRef> = OnceLock::new();
    let slot = if class == ACCOUNT_CHANGE {
        &ACCT
    } else {
        &AUTH
    };
    slot.get_or_init(|| Arc::new(Schema::new(fields(COLUMNS, class))))
        .clone()
}

/// Looks a dotted path (`metadata.product.name`) up in the columns of
/// `class`; `None` when the schema has no such column.
pub fn kind_at(class: Class, path: &str) -> Option<Kind> {
    let mut columns = COLUMNS;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let column = columns
            .iter()
            .find(|c| c.name == part && applies(c, class))?;
        match (column.kind, parts.peek()) {
            (Object(members), Some(_)) => columns = members,
            (kind, None) => return Some(kind),
            (_, Some(_)) => return None,
        }
    }
    None
}

/// Every leaf column path of `class` (objects expanded, `unmapped` a leaf).
pub fn leaf_paths(class: Class) -> Vec<String> {
    fn walk(columns: &[Column], class: Class, prefix: &str, out: &mut Vec<String>) {
        for c in columns.iter().filter(|c| applies(c, class)) {
            let path = if prefix.is_empty() {
                c.name.to_string()
            } else {
                format!("{prefix}.{}", c.name)
            };
            match c.kind {
                Object(members) => walk(members, class, &path, out),
                _ => out.push(path),
            }
        }
    }
    let mut out = Vec::new();
    walk(COLUMNS, class, "", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_change_objects_have_no_authentication_only_column() {
        let acct = schema(ACCOUNT_CHANGE);
        let auth = schema(AUTHENTICATION);
        for name in [
            "service",
            "auth_protocol_id",
            "auth_protocol",
            "is_mfa",
            "is_remote",
        ] {
            assert!(acct.field_with_name(name).is_err(), "{name}");
            assert!(auth.field_with_name(name).is_ok(), "{name}");
        }
        for name in ["status_detail", "message"] {
            assert!(acct.field_with_name(name).is_ok(), "{name}");
            assert!(auth.field_with_name(name).is_err(), "{name}");
        }
        assert_eq!(auth.fields().len(), acct.fields().len() + 5 - 2);
    }

    #[test]
    fn time_is_a_bigint_and_unmapped_a_string_map() {
        let s = schema(AUTHENTICATION);
        assert_eq!(
            s.field_with_name("time")
                .map(|f| f.data_type().clone())
                .ok(),
            Some(DataType::Int64)
        );
        assert!(matches!(
            s.field_with_name("unmapped").map(|f| f.data_type().clone()),
            Ok(DataType::Map(_, false))
        ));
    }

    #[test]
    fn kind_at_finds_nested_columns_and_refuses_unknown_ones() {
        assert!(matches!(
            kind_at(AUTHENTICATION, "metadata.product.name"),
            Some(Str)
        ));
        assert!(matches!(kind_at(AUTHENTICATION, "is_mfa"), Some(Bool)));
        assert!(kind_at(ACCOUNT_CHANGE, "is_mfa").is_none());
        assert!(kind_at(AUTHENTICATION, "metadata.nope").is_none());
        assert!(kind_at(AUTHENTICATION, "time.deeper").is_none());
        assert!(matches!(
            kind_at(AUTHENTICATION, "metadata.product"),
            Some(Object(_))
        ));
    }
}
