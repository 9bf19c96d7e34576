//! A JSON value that borrows from its input: the tree the parser builds and
//! every layer above reads. It knows nothing of Cognito: how a Cognito record
//! reads a value (empty and `"null"` mean absent) lives in `cognito`.
//!
//! Duplicate keys are kept in the tree; readers take the last one, as
//! JavaScript and most JSON libraries do.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

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

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FieldVisitor)
    }
}

// Any shorter lifetime than the input's will do (`Object` is covariant):
// a record that borrows an `Object` field (`Normalized::unmapped`) needs it.
impl<'de: 'a, 'a> Deserialize<'de> for Object<'a> {
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
