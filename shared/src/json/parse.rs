//! A JSON parser that builds the [`Field`] tree directly.
//!
//! Parsing each record's JSON was the largest single cost per event
//! (docs/performance.md): serde_json's `deserialize_any` goes through the
//! visitor machinery for every value and grows every object's `Vec` from
//! eight entries. This parser reads RFC 8259 JSON
//! (<https://www.rfc-editor.org/rfc/rfc8259>) straight into `Field`s:
//! strings borrow from the input unless they hold escapes, plain string runs
//! are skipped eight bytes at a time (and with `memchr` past the first 64
//! bytes), objects start with room for eight members, and
//! positive integers are read without a detour.
//!
//! It accepts exactly what serde_json accepts, and builds exactly the tree
//! serde_json builds through `Field`'s `Deserialize` (a property test and the
//! fuzz corpus hold the two equal): the same grammar, the same nesting limit
//! (127 levels; the 128th is an error, as serde_json's default recursion
//! limit), paired UTF-16 surrogates only, control characters rejected inside
//! strings, and numbers other than plain positive integers handed to
//! serde_json itself, so floats round the same way. Errors carry a kind and a
//! line and column, never input bytes.

use std::borrow::Cow;

use crate::error::JsonFault;
use crate::json::escape::plain_run;
use crate::json::value::{Field, Object};

/// serde_json's default recursion limit: a value nested this deep is an error.
const DEPTH_LIMIT: usize = 128;

/// What went wrong, and the byte offset where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fault {
    pub kind: &'static str,
    pub offset: usize,
}

/// The parse stopped; the reason is in [`Parser::failure`]. Zero-sized, so a
/// `Result<Field, Stop>` has `Field`'s own layout: a fault carried in the
/// `Result` made every returned value be reshuffled in memory, which cost
/// more than the parsing.
#[derive(Debug)]
pub(crate) struct Stop;

const SYNTAX: &str = "syntax error";
const EOF: &str = "unexpected end of input";
const DEEP: &str = "nested too deeply";
const BIG: &str = "too many values";

/// The most bytes of tree (the vectors of an object's members and an
/// array's elements) one text may be read into, whatever its length. A
/// value costs far more as a tree than as text: each member takes 56 bytes
/// and each object room for 8 members (32 one level down, until December
/// 2026), so `{"a":{}},` (9 bytes) took over 2 KB, and a 1 MiB record or
/// line of them 250 MB, enough to crash a function and fail its whole batch. A Cognito record of 800 bytes takes 2.8 KB, so
/// NDJSON of up to about 9 MB of them (inflated from a gzip record) is read
/// whole. Past this, the text fails as JSON (`too many values`), alone, and
/// the function's memory stays within `MAX_DECOMPRESSED_BYTES`' allowance
/// (`config::MEMORY_MARGIN_BYTES`).
pub(crate) const TREE_LIMIT_BYTES: usize = 32 << 20;

impl Fault {
    /// The fault as line and column (1-based; the column counts bytes), as
    /// serde_json reports them.
    pub fn locate(self, text: &str) -> JsonFault {
        let before = text
            .as_bytes()
            .get(..self.offset)
            .unwrap_or(text.as_bytes());
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = match before.iter().rposition(|&b| b == b'\n') {
            Some(nl) => before.len() - nl - 1,
            None => before.len(),
        };
        JsonFault {
            kind: self.kind,
            line,
            column,
        }
    }
}

/// A cursor over one text holding one or more JSON values.
pub(crate) struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    /// What is left of [`TREE_LIMIT_BYTES`].
    tree_left: usize,
    /// Why the parse stopped, once it has.
    pub failure: Fault,
}

impl<'a> Parser<'a> {
    pub fn new(text: &'a str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            depth: 0,
            tree_left: TREE_LIMIT_BYTES,
            failure: Fault {
                kind: SYNTAX,
                offset: 0,
            },
        }
    }

    #[cold]
    fn fault(&mut self, kind: &'static str) -> Stop {
        self.failure = Fault {
            kind,
            offset: self.pos,
        };
        Stop
    }

    /// A fault at the cursor: end of input if there is no more, else syntax.
    #[cold]
    fn unexpected(&mut self) -> Stop {
        if self.pos >= self.bytes.len() {
            self.fault(EOF)
        } else {
            self.fault(SYNTAX)
        }
    }

    /// Skips JSON whitespace and returns the next byte, if any.
    pub fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b' ' | b'\n' | b'\r' | b'\t' => self.pos += 1,
                _ => return Some(b),
            }
        }
        None
    }

    /// Consumes `byte` after optional whitespace, or fails.
    fn expect(&mut self, byte: u8) -> Result<(), Stop> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// Parses one value.
    pub fn value(&mut self) -> Result<Field<'a>, Stop> {
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                self.string().map(Field::Str)
            }
            Some(b'{') => self.object().map(Field::Obj),
            Some(b'[') => self.array(),
            Some(b't') => self.literal(b"true", Field::Bool(true)),
            Some(b'f') => self.literal(b"false", Field::Bool(false)),
            Some(b'n') => self.literal(b"null", Field::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.unexpected()),
        }
    }

    /// The string at the cursor when it holds no escape (nor anything
    /// else a plain run stops at), consumed; `None`, with nothing consumed
    /// but whitespace, for any other value. It answers in registers: a
    /// `Cow` or `Field` returned through memory is built with narrow stores
    /// and copied with wide loads, and those stalled loads were about 5% of
    /// a direct batch's time.
    #[inline(always)]
    pub fn plain_string(&mut self) -> Option<&'a str> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.pos + 1;
        let stop = plain_run(self.bytes, start);
        if self.bytes.get(stop) != Some(&b'"') {
            return None;
        }
        let s = self.text.get(start..stop)?;
        self.pos = stop + 1;
        Some(s)
    }

    /// Whether the value just parsed may be followed by the byte at the
    /// cursor in a stream of values: serde_json wants a delimiter after a
    /// number or literal (`1x` is an error, `{}{}` is two objects).
    pub fn at_end_of_value(&self) -> bool {
        matches!(
            self.bytes.get(self.pos),
            None | Some(
                b' ' | b'\n' | b'\t' | b'\r' | b'"' | b'[' | b']' | b'{' | b'}' | b',' | b':'
            )
        )
    }

    fn literal(&mut self, word: &[u8], value: Field<'a>) -> Result<Field<'a>, Stop> {
        for &w in word {
            match self.bytes.get(self.pos) {
                Some(&b) if b == w => self.pos += 1,
                Some(_) => return Err(self.fault(SYNTAX)),
                None => return Err(self.fault(EOF)),
            }
        }
        Ok(value)
    }

    fn enter(&mut self) -> Result<(), Stop> {
        self.depth += 1;
        if self.depth >= DEPTH_LIMIT {
            return Err(self.fault(DEEP));
        }
        Ok(())
    }

    /// Parses an object; the cursor is on its `{`.
    pub fn object(&mut self) -> Result<Object<'a>, Stop> {
        // Room for 8 members: a Cognito record's `message` grows to 32, but
        // room for 32 in every object one level down (`logSourceId`, the
        // objects of a top-level array) made NDJSON of Cognito records take
        // 4-5 times its size as trees, and so reach [`TREE_LIMIT_BYTES`] at
        // a few MB. The usual record takes the fast way, which builds no
        // tree for its message (`normalize::single_pass`).
        let room = 8;
        self.charge::<(Cow<'a, str>, Field<'a>)>(room)?;
        let mut members = Vec::with_capacity(room);
        self.members(|p, key| {
            let value = p.value()?;
            p.push_charged(&mut members, (key, value))
        })?;
        Ok(Object(members))
    }

    /// Counts `n` more `T`s of tree against [`TREE_LIMIT_BYTES`].
    #[inline]
    fn charge<T>(&mut self, n: usize) -> Result<(), Stop> {
        match self.tree_left.checked_sub(n * std::mem::size_of::<T>()) {
            Some(left) => {
                self.tree_left = left;
                Ok(())
            }
            None => Err(self.fault(BIG)),
        }
    }

    /// `v.push(item)`, the room the vector grows by, when it grows, counted
    /// first (it doubles, from 4).
    #[inline]
    fn push_charged<T>(&mut self, v: &mut Vec<T>, item: T) -> Result<(), Stop> {
        if v.len() == v.capacity() {
            self.charge::<T>(v.capacity().max(4))?;
        }
        v.push(item);
        Ok(())
    }

    /// Walks an object's members, the cursor on its `{`: `member` is called
    /// with each key, the cursor on the value, and must consume the value.
    pub fn members(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        self.members_keyed(|p, key| {
            p.expect(b':')?;
            member(p, key)
        })
    }

    /// [`Parser::members`] with the cursor before each key's colon: `member`
    /// calls [`Parser::colon`] itself, so it can judge a key before its
    /// value is read, as serde's derive does with a duplicate field.
    pub fn members_keyed(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        self.container(b'}', |p| {
            p.expect(b'"')?;
            let key = p.string()?;
            member(p, key)
        })
    }

    /// [`Parser::members`] for objects whose usual keys the caller knows:
    /// `known` is shown the text just past each key's opening quote and
    /// answers `Some((len, id))` when it starts with a key it knows, `len`
    /// bytes without escapes, followed by the closing quote. Such a key is
    /// taken without scanning it again; `member` gets `Some(id)` for it and
    /// `None` for every other key (which may still be a known key written
    /// with escapes).
    pub fn members_known<K>(
        &mut self,
        known: impl Fn(&[u8]) -> Option<(usize, K)>,
        mut member: impl FnMut(&mut Self, Cow<'a, str>, Option<K>) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        self.container(b'}', |p| {
            p.expect(b'"')?;
            let rest = p.bytes.get(p.pos..).unwrap_or_default();
            let fast = known(rest)
                .filter(|&(len, _)| rest.get(len) == Some(&b'"'))
                .and_then(|(len, id)| Some((p.text.get(p.pos..p.pos + len)?, id)));
            let (key, id) = match fast {
                Some((key, id)) => {
                    p.pos += key.len() + 1;
                    (Cow::Borrowed(key), Some(id))
                }
                None => (p.string()?, None),
            };
            p.expect(b':')?;
            member(p, key, id)
        })
    }

    /// Consumes the colon between a key and its value.
    pub fn colon(&mut self) -> Result<(), Stop> {
        self.expect(b':')
    }

    /// Walks an array's elements, the cursor on its `[`: `element` is called
    /// with the cursor on each element, and must consume it.
    pub fn elements(
        &mut self,
        element: impl FnMut(&mut Self) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        self.container(b']', element)
    }

    /// The walk shared by objects and arrays, the cursor on the opening
    /// bracket: `item` reads each member or element, separated by commas,
    /// up to `close`.
    fn container(
        &mut self,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        self.enter()?;
        self.pos += 1;
        if self.peek() == Some(close) {
            self.pos += 1;
        } else {
            loop {
                item(self)?;
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b) if b == close => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.unexpected()),
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Reads past one value without building it. Like serde_json's
    /// `IgnoredAny`, it keeps its own stack instead of recursing, so it has
    /// no nesting limit: a deeply nested field nobody reads is skipped, not
    /// an error.
    pub fn skip(&mut self) -> Result<(), Stop> {
        // The closing bracket each open container is waiting for.
        let mut open: Vec<u8> = Vec::new();
        loop {
            match self.peek() {
                Some(b'{') => {
                    self.pos += 1;
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                    } else {
                        open.push(b'}');
                        self.key()?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                    } else {
                        open.push(b']');
                        continue;
                    }
                }
                Some(b'"') => {
                    self.pos += 1;
                    self.skip_string()?;
                }
                // Numbers by their grammar only: an ignored `1e400` is fine.
                Some(b'-' | b'0'..=b'9') => {
                    self.number_token()?;
                }
                _ => {
                    self.value()?;
                }
            }
            // A value is complete: close what it completes.
            loop {
                let Some(&close) = open.last() else {
                    return Ok(());
                };
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if close == b'}' {
                            self.key()?;
                        }
                        break;
                    }
                    Some(b) if b == close => {
                        self.pos += 1;
                        open.pop();
                    }
                    _ => return Err(self.unexpected()),
                }
            }
        }
    }

    /// Reads past a string's contents and closing quote without keeping
    /// them. As serde_json's `IgnoredAny`, escapes are checked for form only
    /// (`\ud800` alone passes: nobody will read it).
    fn skip_string(&mut self) -> Result<(), Stop> {
        loop {
            self.pos = plain_run(self.bytes, self.pos);
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.bytes.get(self.pos) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(b'u') => {
                            self.pos += 1;
                            self.hex4()?;
                        }
                        Some(_) => return Err(self.fault(SYNTAX)),
                        None => return Err(self.fault(EOF)),
                    }
                }
                Some(_) => return Err(self.fault(SYNTAX)),
                None => return Err(self.fault(EOF)),
            }
        }
    }

    /// A skipped member's key and its colon; the key is checked for form
    /// only, as [`Parser::skip`] checks strings (a fuzz finding: a lone
    /// surrogate in a skipped key failed the whole input, where serde_json
    /// skips it).
    fn key(&mut self) -> Result<(), Stop> {
        self.expect(b'"')?;
        self.skip_string()?;
        self.expect(b':')
    }

    /// A string's text as it stands in the input, escapes and all, the
    /// cursor on its opening quote (after whitespace); the string is
    /// validated as [`Parser::string`] validates it (including paired
    /// surrogates), but nothing is copied. [`unescape`] gives its value.
    pub fn raw_string(&mut self) -> Result<&'a str, Stop> {
        self.expect(b'"')?;
        let start = self.pos;
        let mut scratch = String::new();
        loop {
            self.pos = plain_run(self.bytes, self.pos);
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    let raw = self.text.get(start..self.pos).ok_or(Stop)?;
                    self.pos += 1;
                    return Ok(raw);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.bytes.get(self.pos) {
                        // The one-letter escapes need no checking beyond
                        // their letter (a message is full of `\"`).
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        // `\u` is checked in full: surrogates must pair.
                        _ => {
                            scratch.clear();
                            self.escape(&mut scratch)?;
                        }
                    }
                }
                Some(_) => return Err(self.fault(SYNTAX)),
                None => return Err(self.fault(EOF)),
            }
        }
    }

    /// A string value as a string, any other value consumed as `None`.
    pub fn lenient_str(&mut self) -> Result<Option<Cow<'a, str>>, Stop> {
        if self.peek() == Some(b'"') {
            self.pos += 1;
            return self.string().map(Some);
        }
        self.scalar().map(|_| None)
    }

    /// A scalar value as read in full (an out-of-range number is an error),
    /// or `None` for an object or array, whose insides are skipped: what a
    /// serde_json `deserialize_any` visitor that ignores containers sees.
    pub fn scalar(&mut self) -> Result<Option<Field<'a>>, Stop> {
        match self.peek() {
            Some(b'{' | b'[') => self.skip().map(|()| None),
            _ => self.value().map(Some),
        }
    }

    /// As [`scalar`](Self::scalar), but a number too large for any numeric
    /// type (`1e999`) reads as `None` instead of failing the document: for
    /// optional fields whose bad value is ignored like any other.
    pub fn scalar_in_range(&mut self) -> Result<Option<Field<'a>>, Stop> {
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return self.scalar();
        }
        let start = self.pos;
        match self.number() {
            Ok(n) => Ok(Some(n)),
            // Only a number of valid grammar is forgiven (the range is
            // what failed); broken JSON stays an error.
            Err(stop) => {
                let end = self.pos;
                self.pos = start;
                if self.number_token().is_ok() && self.pos == end {
                    Ok(None)
                } else {
                    self.pos = end;
                    Err(stop)
                }
            }
        }
    }

    /// Judges the value at the cursor, which is of the wrong type for
    /// where it stands, as serde_json does: an object or array by its first
    /// byte, a scalar after reading it, so broken JSON stays a JSON error.
    /// `true`: it is JSON of the wrong shape; `false`: it is not JSON (the
    /// fault is recorded).
    pub fn is_wrong_shape(&mut self) -> bool {
        matches!(self.peek(), Some(b'{' | b'[')) || self.value().is_ok()
    }

    /// Fails unless only whitespace is left.
    pub fn end(&mut self) -> Result<(), Stop> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.fault(SYNTAX)),
        }
    }

    /// Parses an array; the cursor is on its `[`.
    fn array(&mut self) -> Result<Field<'a>, Stop> {
        let mut elements = Vec::new();
        self.elements(|p| {
            let value = p.value()?;
            p.push_charged(&mut elements, value)
        })?;
        Ok(Field::Arr(elements))
    }

    /// Parses a string's contents and its closing quote; the cursor is just
    /// past the opening quote.
    #[inline]
    pub fn string(&mut self) -> Result<Cow<'a, str>, Stop> {
        let start = self.pos;
        let stop = plain_run(self.bytes, start);
        self.pos = stop;
        match self.bytes.get(stop) {
            Some(b'"') => {
                self.pos += 1;
                // Both ends are ASCII, so this is a whole-character slice.
                self.text.get(start..stop).map(Cow::Borrowed).ok_or(Stop)
            }
            Some(b'\\') => self.escaped_string(start),
            Some(_) => Err(self.fault(SYNTAX)),
            None => Err(self.fault(EOF)),
        }
    }

    /// The slow path of [`Parser::string`]: the string holds escapes.
    #[cold]
    fn escaped_string(&mut self, start: usize) -> Result<Cow<'a, str>, Stop> {
        let mut out = String::with_capacity(self.pos - start + 16);
        out.push_str(self.text.get(start..self.pos).unwrap_or_default());
        loop {
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => return Err(self.fault(SYNTAX)),
                None => return Err(self.fault(EOF)),
            }
            let run = self.pos;
            self.pos = plain_run(self.bytes, run);
            out.push_str(self.text.get(run..self.pos).unwrap_or_default());
        }
    }

    /// One escape, the cursor just past its backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), Stop> {
        let Some(&c) = self.bytes.get(self.pos) else {
            return Err(self.fault(EOF));
        };
        self.pos += 1;
        out.push(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(out),
            _ => return Err(self.fault(SYNTAX)),
        });
        Ok(())
    }

    /// `\uXXXX`, with a UTF-16 surrogate pair when it takes two; the cursor
    /// is just past the `u`. Lone surrogates are errors, as in serde_json.
    fn unicode_escape(&mut self, out: &mut String) -> Result<(), Stop> {
        let first = self.hex4()?;
        let code = match first {
            0xDC00..=0xDFFF => return Err(self.fault(SYNTAX)),
            0xD800..=0xDBFF => {
                for want in [b'\\', b'u'] {
                    match self.bytes.get(self.pos) {
                        Some(&b) if b == want => self.pos += 1,
                        Some(_) => {
                            self.pos += 1;
                            return Err(self.fault(SYNTAX));
                        }
                        None => return Err(self.fault(EOF)),
                    }
                }
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.fault(SYNTAX));
                }
                0x1_0000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(second) - 0xDC00)
            }
            n => u32::from(n),
        };
        match char::from_u32(code) {
            Some(ch) => {
                out.push(ch);
                Ok(())
            }
            None => Err(self.fault(SYNTAX)),
        }
    }

    fn hex4(&mut self) -> Result<u16, Stop> {
        let mut n = 0u16;
        for _ in 0..4 {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(self.fault(EOF));
            };
            self.pos += 1;
            let digit = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => return Err(self.fault(SYNTAX)),
            };
            n = (n << 4) | u16::from(digit);
        }
        Ok(n)
    }

    /// A number. Plain positive integers (what Cognito writes) are read here;
    /// every other form goes to serde_json, so the grammar, the range checks
    /// and float rounding are serde_json's own.
    fn number(&mut self) -> Result<Field<'a>, Stop> {
        let start = self.pos;
        let plain = self.number_token()?;
        let token = self.text.get(start..self.pos).unwrap_or_default();
        if plain && token.len() <= 19 {
            let n = token
                .bytes()
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            return Ok(Field::Num(n.into()));
        }
        // Valid by the grammar; serde_json computes the value, and refuses
        // what is out of range (`1e400`).
        match serde_json::from_str::<serde_json::Number>(token) {
            Ok(n) => Ok(Field::Num(n)),
            Err(_) => Err(self.fault(SYNTAX)),
        }
    }

    /// Reads past a number by RFC 8259's grammar (`-? int frac? exp?`), and
    /// says whether it is a plain non-negative integer.
    fn number_token(&mut self) -> Result<bool, Stop> {
        let negative = self.bytes.get(self.pos) == Some(&b'-');
        if negative {
            self.pos += 1;
        }
        match self.bytes.get(self.pos) {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.bytes.get(self.pos), Some(b'0'..=b'9')) {
                    return Err(self.fault(SYNTAX));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.unexpected()),
        }
        let int_end = self.pos;
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            self.required_digits()?;
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.required_digits()?;
        }
        Ok(!negative && int_end == self.pos)
    }

    fn digits(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self) -> Result<(), Stop> {
        if !matches!(self.bytes.get(self.pos), Some(b'0'..=b'9')) {
            return Err(self.unexpected());
        }
        self.digits();
        Ok(())
    }
}

/// Parses every value in `text` (a single document, newline-delimited or
/// concatenated documents), calling `each` with each value and its index,
/// as serde_json's `StreamDeserializer` reads them. Stops at the first fault
/// or the first `Err` from `each`.
pub(crate) fn for_each_value<'a, E>(
    text: &'a str,
    mut each: impl FnMut(usize, Field<'a>) -> Result<(), E>,
    fault: impl Fn(JsonFault) -> E,
) -> Result<(), E> {
    let mut p = Parser::new(text);
    let mut index = 0;
    while p.peek().is_some() {
        let Ok(value) = p.value() else {
            return Err(fault(p.failure.locate(text)));
        };
        let scalar = !matches!(value, Field::Obj(_) | Field::Arr(_) | Field::Str(_));
        if scalar && !p.at_end_of_value() {
            p.fault(SYNTAX);
            return Err(fault(p.failure.locate(text)));
        }
        each(index, value)?;
        index += 1;
    }
    Ok(())
}

/// Parses exactly one value filling `text` (whitespace around it allowed).
pub fn parse_value(text: &str) -> Result<Field<'_>, JsonFault> {
    let mut p = Parser::new(text);
    let Ok(value) = p.value() else {
        return Err(p.failure.locate(text));
    };
    if p.peek().is_some() {
        p.fault(SYNTAX);
        return Err(p.failure.locate(text));
    }
    Ok(value)
}

/// The value of a string from its raw text (as [`Parser::raw_string`] gives
/// it): borrowed when it holds no escape.
pub fn unescape(raw: &str) -> Result<Cow<'_, str>, JsonFault> {
    if !raw.contains('\\') {
        return Ok(Cow::Borrowed(raw));
    }
    let quoted = format!("{raw}\"");
    let mut p = Parser::new(&quoted);
    match p.string() {
        Ok(s) => Ok(Cow::Owned(s.into_owned())),
        Err(Stop) => Err(p.failure.locate(&quoted)),
    }
}

/// Parses a JSON object written inside a JSON string, from the string's raw
/// text, without unescaping it first: a CloudWatch Logs event's `message`
/// is a whole Cognito record with every quote escaped, and unescaping each
/// one into a new string was a quarter of an envelope's cost.
///
/// Only the common form is read here: quotes escaped as `\"`, whitespace
/// between tokens as itself or `\n` `\r` `\t`, and no other escape at all
/// (so every string inside borrows from the input). Anything else (an
/// escape inside an inner string, several documents, broken JSON) gives
/// `None`, and the caller unescapes and parses the ordinary way, which
/// gives the exact answer or error. So when this returns `Some`, it is the
/// object the ordinary way would build (a property test holds them equal).
pub fn escaped_document(raw: &str) -> Option<Object<'_>> {
    let mut e = Escaped(Parser::new(raw));
    let object = e.document()?;
    match e.peek() {
        None if e.0.pos == raw.len() => Some(object),
        _ => None,
    }
}

impl<'a> Parser<'a> {
    /// [`escaped_document`] for the string at the cursor, read where it
    /// stands: the cursor on the string's opening quote, the answer the
    /// document and the cursor past the closing quote. This saves reading
    /// the string twice, once to find where it ends and once to parse it.
    /// `Some` exactly when [`Parser::raw_string`] would accept the string
    /// and [`escaped_document`] read its raw text (the reader never passes
    /// an unescaped quote); `None` leaves the cursor where it was.
    pub fn escaped_document_string(&mut self) -> Option<Object<'a>> {
        if self.bytes.get(self.pos) != Some(&b'"') {
            return None;
        }
        // Read as `escaped_document` reads the string's raw text: from
        // depth 0, so the nesting limit is the same.
        let mut e = Escaped(Parser {
            pos: self.pos + 1,
            depth: 0,
            ..Parser::new(self.text)
        });
        let object = e.document()?;
        match e.peek() {
            None if e.0.bytes.get(e.0.pos) == Some(&b'"') => {
                self.pos = e.0.pos + 1;
                Some(object)
            }
            _ => None,
        }
    }
}

/// The reader behind [`escaped_document`].
struct Escaped<'a>(Parser<'a>);

impl<'a> Escaped<'a> {
    /// Skips whitespace (plain, or escaped as `\n` `\r` `\t`) and gives the
    /// next byte, with an escaped quote `\"` given as `"` (not consumed);
    /// any other escape is given as `\`, which starts nothing.
    fn peek(&mut self) -> Option<u8> {
        let p = &mut self.0;
        loop {
            match *p.bytes.get(p.pos)? {
                b' ' => p.pos += 1,
                b'\\' => match p.bytes.get(p.pos + 1) {
                    Some(b'n' | b'r' | b't') => p.pos += 2,
                    Some(b'"') => return Some(b'"'),
                    _ => return Some(b'\\'),
                },
                // An unescaped quote ends the string the document is
                // written in: nothing inside it goes on past one.
                b'"' => return None,
                b => return Some(b),
            }
        }
    }

    /// The document: one object.
    fn document(&mut self) -> Option<Object<'a>> {
        if self.peek()? != b'{' {
            return None;
        }
        self.object(8)
    }

    /// A value; an object gets room for `room` members from the start.
    fn value(&mut self, room: usize) -> Option<Field<'a>> {
        match self.peek()? {
            b'"' => {
                self.0.pos += 2;
                self.string().map(Field::Str)
            }
            b'{' => self.object(room).map(Field::Obj),
            b'[' => self.array(),
            b't' => self.0.literal(b"true", Field::Bool(true)).ok(),
            b'f' => self.0.literal(b"false", Field::Bool(false)).ok(),
            b'n' => self.0.literal(b"null", Field::Null).ok(),
            b'-' | b'0'..=b'9' => self.0.number().ok(),
            _ => None,
        }
    }

    /// An inner string, the cursor past its opening `\"`: plain bytes up to
    /// the closing `\"`, borrowed.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let p = &mut self.0;
        let start = p.pos;
        let stop = plain_run(p.bytes, start);
        if p.bytes.get(stop) != Some(&b'\\') || p.bytes.get(stop + 1) != Some(&b'"') {
            return None;
        }
        p.pos = stop + 2;
        p.text.get(start..stop).map(Cow::Borrowed)
    }

    /// Consumes `byte` (an escaped quote for `"`) after whitespace.
    fn expect(&mut self, byte: u8) -> Option<()> {
        if self.peek()? != byte {
            return None;
        }
        self.0.pos += if byte == b'"' { 2 } else { 1 };
        Some(())
    }

    fn object(&mut self, room: usize) -> Option<Object<'a>> {
        self.0.enter().ok()?;
        self.0.pos += 1;
        self.0.charge::<(Cow<'a, str>, Field<'a>)>(room).ok()?;
        let mut members = Vec::with_capacity(room);
        if self.peek()? == b'}' {
            self.0.pos += 1;
        } else {
            loop {
                self.expect(b'"')?;
                let key = self.string()?;
                self.expect(b':')?;
                // A Cognito record's `message` has about 25 members: room
                // for them at once. Every other object starts small.
                let room = if key == "message" { 32 } else { 8 };
                let value = self.value(room)?;
                self.0.push_charged(&mut members, (key, value)).ok()?;
                match self.peek()? {
                    b',' => self.0.pos += 1,
                    b'}' => {
                        self.0.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.0.depth -= 1;
        Some(Object(members))
    }

    fn array(&mut self) -> Option<Field<'a>> {
        self.0.enter().ok()?;
        self.0.pos += 1;
        let mut elements = Vec::new();
        if self.peek()? == b']' {
            self.0.pos += 1;
        } else {
            loop {
                let value = self.value(8)?;
                self.0.push_charged(&mut elements, value).ok()?;
                match self.peek()? {
                    b',' => self.0.pos += 1,
                    b']' => {
                        self.0.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.0.depth -= 1;
        Some(Field::Arr(elements))
    }
}

/// Test support for the parsers' property tests: `text` with the character
/// at each of `edits` replaced, to turn JSON into near-JSON.
#[cfg(test)]
pub(crate) fn damage(text: &str, edits: Vec<(proptest::sample::Index, char)>) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for (at, c) in edits {
        let i = at.index(chars.len());
        chars[i] = c;
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_text_whose_tree_passes_the_limit_fails_as_too_many_values() {
        let wide = |n: usize| format!("[{}{{}}]", r#"{"a":{}},"#.repeat(n));
        // About 1 KB of tree per element: 40,000 go past 32 MiB, 25,000 stay
        // within it.
        let big = wide(40_000);
        let fault = parse_value(&big).expect_err("too many values");
        assert_eq!(fault.kind, BIG);
        assert!(parse_value(&wide(25_000)).is_ok());
        // The allowance is the text's, not each document's.
        let many = format!("{}\n{}", wide(25_000), wide(25_000));
        let mut read = 0;
        let outcome = for_each_value(
            &many,
            |_, _| -> Result<(), JsonFault> {
                read += 1;
                Ok(())
            },
            |f| f,
        );
        assert_eq!(outcome.map_err(|f| f.kind), Err(BIG));
        assert_eq!(read, 1);
        // Written inside a string (a CloudWatch Logs message), it is not read
        // in place either.
        let escaped = format!(r#"{{\"w\":{}}}"#, big.replace('"', "\\\""));
        assert!(escaped_document(&escaped).is_none());
        let small = format!(r#"{{\"w\":{}}}"#, wide(5).replace('"', "\\\""));
        assert!(escaped_document(&small).is_some());
    }

    /// The reference: serde_json through `Field`'s `Deserialize`.
    fn serde_stream(text: &str) -> Result<Vec<Field<'_>>, ()> {
        serde_json::Deserializer::from_str(text)
            .into_iter::<Field<'_>>()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ())
    }

    fn ours_stream(text: &str) -> Result<Vec<Field<'_>>, ()> {
        let mut out = Vec::new();
        for_each_value(
            text,
            |_, v| {
                out.push(v);
                Ok(())
            },
            |_| (),
        )?;
        Ok(out)
    }

    fn skips_as_serde_ignores(text: &str) -> bool {
        let mut p = Parser::new(text);
        let ours = p.skip().and_then(|()| p.end()).is_ok();
        ours == serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
    }

    fn same_as_serde(text: &str) {
        assert!(skips_as_serde_ignores(text), "skip {text:?}");
        assert_eq!(ours_stream(text), serde_stream(text), "{text:?}");
        let theirs: Result<Field<'_>, _> = serde_json::from_str(text);
        assert_eq!(parse_value(text).ok(), theirs.ok(), "{text:?}");
    }

    #[test]
    fn builds_the_same_tree_as_serde_json_for_a_cognito_record() {
        let text = r#"{"eventTimestamp":"1700000000000","eventSource":"USER_AUTH_EVENTS","logLevel":"INFO","message":{"eventId":"e","eventType":"SignIn","challenges":[{"challengeName":"Password","challengeResponse":"Success"}],"n":12,"f":-1.5e3,"b":true,"z":null,"u":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t"},"logSourceId":{"userPoolId":"us-east-1_x"}}"#;
        same_as_serde(text);
        let Ok(Field::Obj(o)) = parse_value(text) else {
            panic!("not an object")
        };
        assert_eq!(
            o.obj("message").and_then(|m| m.get("u")),
            Some(&Field::Str(Cow::Owned(
                "café 😀 \"q\" \\ / \u{8}\u{c}\n\r\t".to_owned()
            )))
        );
    }

    #[test]
    fn accepts_and_rejects_what_serde_json_does_at_the_edges() {
        for text in [
            "",
            " ",
            "{}",
            "[]",
            "{}{}",
            "{} {}",
            "1",
            "1 2",
            "12",
            "1x",
            "-",
            "-0",
            "-0.0",
            "01",
            "0",
            "1.",
            "1.5",
            ".5",
            "1e5",
            "1E+5",
            "1e-5",
            "1e",
            "1e400",
            "-1e400",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999",
            "0.1",
            "123456789012345678",
            "1234567890123456789",
            "12345678901234567890",
            "+1",
            "--1",
            "1-2",
            "1.5.5",
            "true",
            "tru",
            "truex",
            "true{}",
            "null",
            "nul",
            "false",
            "\"a\"",
            "\"a",
            "\"\\",
            "\"\\u12\"",
            "\"\\u12g4\"",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
            "\"\\udc00\"",
            "\"\\ud800\\udc00\"",
            "\"\\ud800\\n\"",
            "\"\\ud800x\"",
            "\"\u{1}\"",
            "\"a\tb\"",
            "\"\u{7f}\"",
            "[1,]",
            "[,1]",
            "[1 2]",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{,}",
            "{\"a\" : 1 , \"b\" : [ ] }",
            "{1:2}",
            "[",
            "{",
            "{\"a\":1",
            "\u{feff}{}",
            "{}x",
            "{}]",
            "[]1",
            "1[]",
            "1\"a\"",
            "null1",
            "{\"k\":\"x\",\"k\":\"y\"}",
            "\r\n\t{}\r\n",
            "{\"\\ud800\":1}",
            "[{\"\\udc00\":0}]",
        ] {
            same_as_serde(text);
        }
    }

    #[test]
    fn nesting_stops_where_serde_json_stops() {
        for depth in [126, 127, 128, 129, 100_000] {
            for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
                let text = format!("{}1{}", open.repeat(depth), close.repeat(depth));
                assert_eq!(
                    ours_stream(&text).is_ok(),
                    serde_stream(&text).is_ok(),
                    "{depth} {open}"
                );
                assert!(skips_as_serde_ignores(&text), "skip {depth} {open}");
            }
        }
        let deep = "[".repeat(100_000);
        assert_eq!(parse_value(&deep).map_err(|f| f.kind), Err(DEEP));
    }

    #[test]
    fn a_fault_names_its_line_and_column() {
        let fault = parse_value("{\n  \"a\": tru }").unwrap_err();
        assert_eq!((fault.kind, fault.line), (SYNTAX, 2));
        assert_eq!(parse_value("{\"a\":").unwrap_err().kind, EOF);
    }

    #[test]
    fn long_strings_stop_at_quotes_backslashes_and_control_characters() {
        for len in [0usize, 7, 8, 63, 64, 65, 95, 96, 200, 1000] {
            for stop in ["\"", "\\n\"", "\u{1}\""] {
                let text = format!("\"{}{stop}", "a".repeat(len));
                same_as_serde(&text);
                let text = format!("\"{}é{}{stop}", "b".repeat(len), "c".repeat(len / 2));
                same_as_serde(&text);
            }
        }
    }

    /// JSON-ish text: real JSON, mutated by a byte here and there.
    fn jsonish() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            any::<u64>().prop_map(|n| serde_json::json!(n)),
            any::<f64>().prop_map(|f| serde_json::json!(f)),
            ".*".prop_map(serde_json::Value::String),
        ];
        let value = leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                prop::collection::vec(("[a-z\\\\\"]{0,4}", inner), 0..6)
                    .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
            ]
        });
        (
            prop::collection::vec(value, 1..4),
            prop::collection::vec((any::<prop::sample::Index>(), any::<char>()), 0..3),
            any::<bool>(),
        )
            .prop_map(|(values, edits, pretty)| {
                let mut text = String::new();
                for v in values {
                    let doc = if pretty {
                        serde_json::to_string_pretty(&v)
                    } else {
                        serde_json::to_string(&v)
                    };
                    text.push_str(&doc.unwrap_or_default());
                    text.push('\n');
                }
                crate::json::parse::damage(&text, edits)
            })
    }

    /// The raw text of `text` written as a JSON string (without its quotes).
    fn as_string_body(text: &str) -> String {
        let quoted = serde_json::to_string(text).unwrap();
        quoted[1..quoted.len() - 1].to_owned()
    }

    #[test]
    fn a_cognito_record_inside_a_string_is_read_without_unescaping() {
        let record = r#"{"eventSource":"USER_AUTH_EVENTS","eventTimestamp":"1","message":{"challenges":[{"challengeName":"Password","challengeResponse":"Success"}],"city":"São Paulo","n":-1.5e3,"b":true,"z":null}}"#;
        let raw = as_string_body(record);
        let doc = escaped_document(&raw).expect("the common form is read directly");
        let Ok(Field::Obj(reference)) = parse_value(record) else {
            panic!("not an object")
        };
        assert_eq!(doc, reference);
        // Pretty-printed (escaped newlines between tokens) reads too.
        let pretty = serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(record).unwrap(),
        )
        .unwrap();
        assert!(escaped_document(&as_string_body(&pretty)).is_some());
        // An escape inside an inner string is left to the ordinary way.
        assert_eq!(escaped_document(&as_string_body(r#"{"a":"x\"y"}"#)), None);
        assert_eq!(escaped_document(&as_string_body(r#"{"a":1}{"a":2}"#)), None);
        assert_eq!(unescape(&raw).unwrap(), record);
        assert_eq!(unescape("plain").unwrap(), Cow::Borrowed("plain"));
    }

    #[test]
    fn raw_strings_are_validated_as_strings_are() {
        for body in [
            "a",
            "a\\\"b",
            "\\ud83d\\ude00",
            "\\ud800",
            "\\x",
            "a\u{1}b",
            "\\u00e3",
        ] {
            let text = format!("\"{body}\"");
            let mut p = Parser::new(&text);
            let raw = p.raw_string();
            let mut q = Parser::new(&text);
            q.pos = 1;
            let value = q.string();
            assert_eq!(raw.is_ok(), value.is_ok(), "{body:?}");
            if let (Ok(raw), Ok(value)) = (raw, value) {
                assert_eq!(unescape(raw).unwrap(), value, "{body:?}");
            }
        }
    }

    /// Objects whose strings hold no quote, backslash or control character:
    /// the form `escaped_document` reads itself, compact or pretty.
    fn plain_objects() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            any::<f64>().prop_map(|f| serde_json::json!(f)),
            "[ -!#-\\[\\]-~é😀]{0,8}".prop_map(serde_json::Value::String),
        ];
        let value = leaf.prop_recursive(3, 24, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::vec(("[a-zA-Z]{0,6}", inner), 0..5)
                    .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
            ]
        });
        (
            prop::collection::vec(("[a-z]{1,6}", value), 0..6),
            any::<bool>(),
        )
            .prop_map(|(kv, pretty)| {
                let v = serde_json::Value::Object(kv.into_iter().collect());
                if pretty {
                    serde_json::to_string_pretty(&v).unwrap_or_default()
                } else {
                    v.to_string()
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_jsonish_text_parses_as_serde_json_parses_it(text in jsonish()) {
            prop_assert!(skips_as_serde_ignores(&text));
            prop_assert_eq!(ours_stream(&text), serde_stream(&text));
        }

        #[test]
        fn a_document_read_inside_its_string_is_the_document_read_plainly(text in jsonish()) {
            let raw = as_string_body(&text);
            if let Some(doc) = escaped_document(&raw) {
                let plain = ours_stream(&text);
                let single = match plain.as_deref() {
                    Ok([Field::Obj(o)]) => Some(o),
                    _ => None,
                };
                prop_assert_eq!(Some(&doc), single);

            }
        }

        #[test]
        fn a_document_read_where_its_string_stands_is_the_one_read_from_the_raw_text(
            text in prop_oneof![jsonish(), plain_objects()],
            after in "[ ,:}\\]\"a1]{0,3}",
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<char>()), 0..2),
        ) {
            // The string inside a larger text, as a log event's message
            // stands in an envelope, sometimes damaged.
            let whole = damage(&format!("\"{}\"{after}", as_string_body(&text)), edits);
            let mut at = Parser::new(&whole);
            let read = at.escaped_document_string();
            let mut raw = Parser::new(&whole);
            let reference = raw
                .raw_string()
                .ok()
                .and_then(|r| escaped_document(r).map(|doc| (doc, raw.pos)));
            match (read, reference) {
                (Some(doc), Some((expected, end))) => {
                    prop_assert_eq!(doc, expected);
                    prop_assert_eq!(at.pos, end);
                }
                (None, None) => prop_assert_eq!(at.pos, 0),
                (read, reference) => {
                    return Err(TestCaseError::fail(format!("{read:?} against {reference:?} in {whole:?}")));
                }
            }
        }

        #[test]
        fn an_object_with_plain_strings_is_read_inside_its_string(text in plain_objects()) {
            let raw = as_string_body(&text);
            let Ok(Field::Obj(plain)) = parse_value(&text) else {
                return Err(TestCaseError::fail("not an object"));
            };
            prop_assert_eq!(escaped_document(&raw), Some(plain));
        }

        #[test]
        fn any_text_at_all_parses_as_serde_json_parses_it(text in "[\\[\\]{}\":,0-9a-z\\\\ .eE+-]{0,40}") {
            prop_assert!(skips_as_serde_ignores(&text));
            prop_assert_eq!(ours_stream(&text), serde_stream(&text));
        }
    }
}
