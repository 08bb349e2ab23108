//! A JSON parser that keeps where every value sits in its input.
//!
//! CloudTrail fields must report the byte offset and length of their value
//! inside the raw event, so a parser that builds owned maps (serde_json)
//! will not do: this one indexes the input once into a flat, pre-order
//! list of nodes (containers know where their subtree ends) and hands out
//! borrowed views. Strings are unescaped only when asked, and only when
//! they hold an escape.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// What a JSON value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    /// `{…}`
    Object,
    /// `[…]`
    Array,
    /// `"…"`
    String,
    /// A number, kept as its text.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
}

/// Why a text is not JSON, and where (byte offset in the parsed input).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JsonError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What was wrong.
    pub fault: JsonFault,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.fault, self.offset)
    }
}

impl std::error::Error for JsonError {}

/// What is wrong at a [`JsonError`]'s offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonFault {
    /// The text is 4 GiB or more (offsets are 32-bit).
    #[error("JSON text of 4 GiB or more")]
    TooLarge,
    /// Arrays and objects nested deeper than the parser goes.
    #[error("JSON nested too deeply")]
    TooDeep,
    /// The text ends where a value must come.
    #[error("unexpected end of JSON")]
    UnexpectedEnd,
    /// No value starts here.
    #[error("expected a JSON value")]
    ExpectedValue,
    /// A word starting with `t` or `f` that is not `true` or `false`.
    #[error("expected true or false")]
    ExpectedBool,
    /// A word starting with `n` that is not `null`.
    #[error("expected null")]
    ExpectedNull,
    /// A number that does not follow JSON's grammar.
    #[error("malformed number")]
    MalformedNumber,
    /// A string without its closing quote.
    #[error("unterminated string")]
    UnterminatedString,
    /// A `\u` escape without four hex digits.
    #[error("bad \\u escape")]
    BadUnicodeEscape,
    /// A backslash before a character JSON does not escape.
    #[error("bad escape in string")]
    BadEscape,
    /// A raw control character inside a string.
    #[error("control character in string")]
    ControlCharacter,
    /// An object member without its name.
    #[error("expected a member name")]
    ExpectedName,
    /// A member name without its `:`.
    #[error("expected ':'")]
    ExpectedColon,
    /// Neither `,` nor `}` after an object member.
    #[error("expected ',' or '}}'")]
    ExpectedObjectEnd,
    /// Neither `,` nor `]` after an array item.
    #[error("expected ',' or ']'")]
    ExpectedArrayEnd,
    /// More than blanks after the value.
    #[error("text after the JSON value")]
    TrailingText,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    kind: JsonKind,
    /// The whole value's bytes, quotes included for strings.
    start: u32,
    end: u32,
    /// For object members: the key's bytes without quotes.
    key_start: u32,
    key_end: u32,
    /// Index one past this node's subtree (its next sibling, if any).
    next: u32,
    /// Whether a string (value, or key for members) holds a backslash.
    escaped: bool,
    key_escaped: bool,
}

/// A parsed JSON text: the input and an index of its values.
#[derive(Debug, Clone)]
pub struct JsonDoc<'a> {
    src: &'a [u8],
    nodes: Vec<Node>,
}

/// Deepest nesting accepted: deeper input is refused rather than risk the
/// stack (CloudTrail records nest a handful of levels).
const MAX_DEPTH: usize = 256;

impl<'a> JsonDoc<'a> {
    /// Parses one JSON value (surrounding whitespace allowed). Inputs of
    /// 4 GiB or more are refused, since offsets are 32-bit like the plugin
    /// API's.
    pub fn parse(src: &'a [u8]) -> Result<JsonDoc<'a>, JsonError> {
        if u32::try_from(src.len()).is_err() {
            return Err(JsonError {
                offset: 0,
                fault: JsonFault::TooLarge,
            });
        }
        let mut p = Parser {
            src,
            pos: 0,
            nodes: Vec::with_capacity(src.len() / 16 + 4),
        };
        p.ws();
        p.value(0, None)?;
        p.ws();
        if p.pos != src.len() {
            return Err(p.err(JsonFault::TrailingText));
        }
        Ok(JsonDoc {
            src,
            nodes: p.nodes,
        })
    }

    /// The top-level value.
    pub fn root(&self) -> JsonValue<'_, 'a> {
        JsonValue { doc: self, idx: 0 }
    }

    /// The parsed input.
    pub fn source(&self) -> &'a [u8] {
        self.src
    }

    /// Gives up the input, keeping the index for [`JsonDoc::with_index`]
    /// (callers that see the same text again skip the parse).
    pub fn into_index(self) -> JsonIndex {
        JsonIndex {
            len: self.src.len(),
            nodes: self.nodes,
        }
    }

    /// Puts an index back over its text. The caller vouches that `src` is
    /// the text the index was built from; a text of another length gets
    /// the index back as the error (a same-length different text gives
    /// wrong values, never a panic: every span lies within the length).
    pub fn with_index(src: &'a [u8], index: JsonIndex) -> Result<JsonDoc<'a>, JsonIndex> {
        if index.len != src.len() {
            return Err(index);
        }
        Ok(JsonDoc {
            src,
            nodes: index.nodes,
        })
    }
}

/// The index of a parsed text without the text (see [`JsonDoc::into_index`]).
#[derive(Debug, Clone)]
pub struct JsonIndex {
    len: usize,
    nodes: Vec<Node>,
}

/// One value inside a [`JsonDoc`].
#[derive(Debug, Clone, Copy)]
pub struct JsonValue<'d, 'a> {
    doc: &'d JsonDoc<'a>,
    idx: usize,
}

impl<'d, 'a> JsonValue<'d, 'a> {
    fn node(&self) -> &'d Node {
        // idx always comes from the index itself.
        &self.doc.nodes[self.idx]
    }

    /// What the value is.
    pub fn kind(&self) -> JsonKind {
        self.node().kind
    }

    /// The value's bytes in the input, quotes included for strings.
    pub fn raw_span(&self) -> Range<usize> {
        let n = self.node();
        n.start as usize..n.end as usize
    }

    /// The value's bytes as an analyst would highlight them: a string's
    /// content without its quotes, any other value whole.
    pub fn span(&self) -> Range<usize> {
        let r = self.raw_span();
        if self.kind() == JsonKind::String {
            r.start + 1..r.end - 1
        } else {
            r
        }
    }

    /// The value's text as it stands in the input.
    pub fn raw(&self) -> &'a [u8] {
        &self.doc.src[self.raw_span()]
    }

    /// A string's value, unescaped; `None` for other kinds.
    pub fn as_str(&self) -> Option<Cow<'a, str>> {
        if self.kind() != JsonKind::String {
            return None;
        }
        let body = &self.doc.src[self.span()];
        Some(if self.node().escaped {
            Cow::Owned(unescape(body))
        } else {
            String::from_utf8_lossy(body)
        })
    }

    /// `true`/`false` for booleans.
    pub fn as_bool(&self) -> Option<bool> {
        (self.kind() == JsonKind::Bool).then(|| self.raw() == b"true")
    }

    /// The value as Falco's `json.value` shows it: a string unescaped, any
    /// other value as its JSON text.
    pub fn text(&self) -> Cow<'a, str> {
        self.as_str()
            .unwrap_or_else(|| String::from_utf8_lossy(self.raw()))
    }

    fn children(&self) -> Children<'d, 'a> {
        let n = self.node();
        let inner = matches!(n.kind, JsonKind::Object | JsonKind::Array);
        Children {
            doc: self.doc,
            next: self.idx + 1,
            end: if inner { n.next as usize } else { self.idx + 1 },
        }
    }

    /// An object's members in input order, keys unescaped.
    pub fn members(&self) -> impl Iterator<Item = (Cow<'a, str>, JsonValue<'d, 'a>)> + 'd {
        let obj = self.kind() == JsonKind::Object;
        let src = self.doc.src;
        self.children().filter(move |_| obj).map(move |v| {
            let n = v.node();
            let k = &src[n.key_start as usize..n.key_end as usize];
            let key = if n.key_escaped {
                Cow::Owned(unescape(k))
            } else {
                String::from_utf8_lossy(k)
            };
            (key, v)
        })
    }

    /// An array's items in order.
    pub fn items(&self) -> impl Iterator<Item = JsonValue<'d, 'a>> + 'd {
        let arr = self.kind() == JsonKind::Array;
        self.children().filter(move |_| arr)
    }

    /// An object's member by key (the first, if repeated).
    pub fn get(&self, key: &str) -> Option<JsonValue<'d, 'a>> {
        if self.kind() != JsonKind::Object {
            return None;
        }
        let src = self.doc.src;
        self.children().find(|v| {
            let n = v.node();
            let k = &src[n.key_start as usize..n.key_end as usize];
            if n.key_escaped {
                unescape(k) == key
            } else {
                k == key.as_bytes()
            }
        })
    }

    /// An array's item by index.
    pub fn at(&self, i: usize) -> Option<JsonValue<'d, 'a>> {
        self.items().nth(i)
    }

    /// Follows a path of object keys.
    pub fn path(&self, keys: &[&str]) -> Option<JsonValue<'d, 'a>> {
        keys.iter().try_fold(*self, |v, k| v.get(k))
    }

    /// Follows an RFC 6901 JSON pointer (`/a/b/0`, `~0` = `~`, `~1` = `/`;
    /// the empty pointer is the value itself).
    pub fn pointer(&self, ptr: &str) -> Option<JsonValue<'d, 'a>> {
        if ptr.is_empty() {
            return Some(*self);
        }
        let rest = ptr.strip_prefix('/')?;
        rest.split('/').try_fold(*self, |v, tok| {
            let tok = tok.replace("~1", "/").replace("~0", "~");
            match v.kind() {
                JsonKind::Object => v.get(&tok),
                JsonKind::Array => {
                    // RFC 6901: decimal without leading zeros.
                    if tok.len() > 1 && tok.starts_with('0') {
                        return None;
                    }
                    v.at(tok.parse().ok()?)
                }
                _ => None,
            }
        })
    }
}

struct Children<'d, 'a> {
    doc: &'d JsonDoc<'a>,
    next: usize,
    end: usize,
}

impl<'d, 'a> Iterator for Children<'d, 'a> {
    type Item = JsonValue<'d, 'a>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let v = JsonValue {
            doc: self.doc,
            idx: self.next,
        };
        self.next = self.doc.nodes.get(self.next)?.next as usize;
        Some(v)
    }
}

/// Unescapes a JSON string body (without quotes). Bad escapes were refused
/// by the parser; lone surrogates become U+FFFD.
fn unescape(b: &[u8]) -> String {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(&e) = b.get(i + 1) else { break };
        i += 2;
        let ch = match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(b.get(i..i + 4)).unwrap_or(0xFFFD);
                i += 4;
                if (0xD800..0xDC00).contains(&hi) && b.get(i..i + 2) == Some(b"\\u") {
                    let lo = hex4(b.get(i + 2..i + 6)).unwrap_or(0);
                    if (0xDC00..0xE000).contains(&lo) {
                        i += 6;
                        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            .unwrap_or('\u{FFFD}')
                    } else {
                        '\u{FFFD}'
                    }
                } else {
                    char::from_u32(hi).unwrap_or('\u{FFFD}')
                }
            }
            _ => '\u{FFFD}',
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn hex4(b: Option<&[u8]>) -> Option<u32> {
    let b = b?;
    let s = std::str::from_utf8(b).ok()?;
    u32::from_str_radix(s, 16).ok()
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    nodes: Vec<Node>,
}

impl Parser<'_> {
    fn err(&self, fault: JsonFault) -> JsonError {
        JsonError {
            offset: self.pos,
            fault,
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.src.get(self.pos) {
            self.pos += 1;
        }
    }

    fn push(&mut self, kind: JsonKind, key: Option<(usize, usize, bool)>) -> usize {
        let (ks, ke, kx) = key.unwrap_or((0, 0, false));
        self.nodes.push(Node {
            kind,
            start: self.pos as u32,
            end: self.pos as u32,
            key_start: ks as u32,
            key_end: ke as u32,
            next: 0,
            escaped: false,
            key_escaped: kx,
        });
        self.nodes.len() - 1
    }

    fn value(&mut self, depth: usize, key: Option<(usize, usize, bool)>) -> Result<(), JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err(JsonFault::TooDeep));
        }
        let Some(&c) = self.src.get(self.pos) else {
            return Err(self.err(JsonFault::UnexpectedEnd));
        };
        let kind = match c {
            b'{' => JsonKind::Object,
            b'[' => JsonKind::Array,
            b'"' => JsonKind::String,
            b't' | b'f' => JsonKind::Bool,
            b'n' => JsonKind::Null,
            b'-' | b'0'..=b'9' => JsonKind::Number,
            _ => return Err(self.err(JsonFault::ExpectedValue)),
        };
        let me = self.push(kind, key);
        match kind {
            JsonKind::Object => self.object(depth)?,
            JsonKind::Array => self.array(depth)?,
            JsonKind::String => {
                let (_, _, esc) = self.string()?;
                self.nodes[me].escaped = esc;
            }
            JsonKind::Bool => {
                if !self.word(b"true") && !self.word(b"false") {
                    return Err(self.err(JsonFault::ExpectedBool));
                }
            }
            JsonKind::Null => {
                if !self.word(b"null") {
                    return Err(self.err(JsonFault::ExpectedNull));
                }
            }
            JsonKind::Number => self.number()?,
        }
        let n = self.nodes.len() as u32;
        let node = &mut self.nodes[me];
        node.end = self.pos as u32;
        node.next = n;
        Ok(())
    }

    fn word(&mut self, w: &[u8]) -> bool {
        if self.src[self.pos..].starts_with(w) {
            self.pos += w.len();
            true
        } else {
            false
        }
    }

    fn number(&mut self) -> Result<(), JsonError> {
        let s = self.pos;
        if self.src.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.pos;
            while p.src.get(p.pos).is_some_and(u8::is_ascii_digit) {
                p.pos += 1;
            }
            p.pos - s
        };
        let int_start = self.pos;
        let n = digits(self);
        if n == 0 || (n > 1 && self.src[int_start] == b'0') {
            self.pos = s;
            return Err(self.err(JsonFault::MalformedNumber));
        }
        if self.src.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.err(JsonFault::MalformedNumber));
            }
        }
        if let Some(b'e' | b'E') = self.src.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.src.get(self.pos) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.err(JsonFault::MalformedNumber));
            }
        }
        Ok(())
    }

    /// Reads a string at `pos` (on its quote): returns the body's span and
    /// whether it holds an escape.
    fn string(&mut self) -> Result<(usize, usize, bool), JsonError> {
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        loop {
            // Fast skip over plain bytes.
            let rest = &self.src[self.pos..];
            let plain = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .ok_or(JsonError {
                    offset: self.src.len(),
                    fault: JsonFault::UnterminatedString,
                })?;
            self.pos += plain;
            match self.src[self.pos] {
                b'"' => {
                    let end = self.pos;
                    self.pos += 1;
                    return Ok((start, end, escaped));
                }
                b'\\' => {
                    escaped = true;
                    match self.src.get(self.pos + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 2
                        }
                        Some(b'u') => {
                            if hex4(self.src.get(self.pos + 2..self.pos + 6)).is_none() {
                                return Err(self.err(JsonFault::BadUnicodeEscape));
                            }
                            self.pos += 6;
                        }
                        _ => return Err(self.err(JsonFault::BadEscape)),
                    }
                }
                _ => return Err(self.err(JsonFault::ControlCharacter)),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), JsonError> {
        self.pos += 1;
        self.ws();
        if self.src.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            if self.src.get(self.pos) != Some(&b'"') {
                return Err(self.err(JsonFault::ExpectedName));
            }
            let key = self.string()?;
            self.ws();
            if self.src.get(self.pos) != Some(&b':') {
                return Err(self.err(JsonFault::ExpectedColon));
            }
            self.pos += 1;
            self.ws();
            self.value(depth + 1, Some(key))?;
            self.ws();
            match self.src.get(self.pos) {
                Some(b',') => {
                    self.pos += 1;
                    self.ws();
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.err(JsonFault::ExpectedObjectEnd)),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), JsonError> {
        self.pos += 1;
        self.ws();
        if self.src.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.value(depth + 1, None)?;
            self.ws();
            match self.src.get(self.pos) {
                Some(b',') => {
                    self.pos += 1;
                    self.ws();
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.err(JsonFault::ExpectedArrayEnd)),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_the_values() {
        let s = br#" {"a": {"b": [1, "x\"y", true, null, {"c": -2.5e3}]}, "k\u0041": "v"} "#;
        let d = JsonDoc::parse(s).unwrap();
        let r = d.root();
        let b = r.path(&["a", "b"]).unwrap();
        assert_eq!(b.kind(), JsonKind::Array);
        assert_eq!(b.items().count(), 5);
        let x = b.at(1).unwrap();
        assert_eq!(x.as_str().unwrap(), "x\"y");
        assert_eq!(&s[x.span()], br#"x\"y"#);
        assert_eq!(&s[x.raw_span()], br#""x\"y""#);
        let c = r.pointer("/a/b/4/c").unwrap();
        assert_eq!(c.raw(), b"-2.5e3");
        assert_eq!(c.text(), "-2.5e3");
        assert_eq!(r.pointer("/a/b/2").unwrap().as_bool(), Some(true));
        assert_eq!(r.pointer("/a/b/3").unwrap().kind(), JsonKind::Null);
        assert_eq!(r.get("kA").unwrap().as_str().unwrap(), "v");
        assert!(r.pointer("/a/b/01").is_none());
        assert!(r.pointer("/a/x").is_none());
        let keys: Vec<String> = r.members().map(|(k, _)| k.into_owned()).collect();
        assert_eq!(keys, ["a", "kA"]);
        assert_eq!(
            r.pointer("/a").unwrap().text(),
            r#"{"b": [1, "x\"y", true, null, {"c": -2.5e3}]}"#
        );
    }

    #[test]
    fn errors_name_the_offset() {
        use JsonFault::*;
        for (t, off, fault) in [
            (&b"{\"a\": }"[..], 6, ExpectedValue),
            (b"{\"a\" 1}", 5, ExpectedColon),
            (b"[1, 2", 5, ExpectedArrayEnd),
            (b"\"abc", 4, UnterminatedString),
            (b"{} x", 3, TrailingText),
            (b"01", 0, MalformedNumber),
            (b"\"\\x\"", 1, BadEscape),
            (b"", 0, UnexpectedEnd),
        ] {
            let e = JsonDoc::parse(t).unwrap_err();
            let t = String::from_utf8_lossy(t);
            assert_eq!((e.offset, e.fault), (off, fault), "{t:?}: {e}");
        }
        assert_eq!(
            JsonDoc::parse(b"\"\\u12\"").unwrap_err().to_string(),
            "bad \\u escape at byte 1"
        );
        let deep = "[".repeat(300) + &"]".repeat(300);
        assert!(JsonDoc::parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn surrogate_pairs_unescape() {
        let d = JsonDoc::parse(br#""\ud83d\ude00 \u00e9""#).unwrap();
        assert_eq!(d.root().as_str().unwrap(), "\u{1F600} \u{e9}");
    }
}
