//! Events: a validated, borrowed view of one event ([`Event`]) and an owned
//! builder ([`OwnedEvent`]) for producers and converters.
//!
//! Layout (little-endian, always; the reader normalises big-endian sections
//! and v1 blocks into this form): 26-byte header `ts u64, tid u64, len u32,
//! type u16, nparams u32`, then `nparams` lengths (`u16`, or `u32` for
//! `EF_LARGE_PAYLOAD` types), then the values back to back.

use crate::bytes::{le_u16, le_u32, le_u64};
use crate::schema::{self, Direction, EventInfo};

/// Size of the v2 event header.
pub const HEADER_LEN: usize = 26;
/// Most parameters an event can carry (`PPM_MAX_EVENT_PARAMS`).
pub const MAX_PARAMS: usize = 32;

/// A signed integer parameter value (1, 2, 4 or 8 bytes, little-endian);
/// `None` for any other length.
#[inline]
pub fn value_i64(v: &[u8]) -> Option<i64> {
    Some(match v.len() {
        1 => i64::from(v[0] as i8),
        2 => i64::from(le_u16(v, 0) as i16),
        4 => i64::from(le_u32(v, 0) as i32),
        8 => le_u64(v, 0) as i64,
        _ => return None,
    })
}

/// An unsigned integer parameter value (1, 2, 4 or 8 bytes).
#[inline]
pub fn value_u64(v: &[u8]) -> Option<u64> {
    Some(match v.len() {
        1 => u64::from(v[0]),
        2 => u64::from(le_u16(v, 0)),
        4 => u64::from(le_u32(v, 0)),
        8 => le_u64(v, 0),
        _ => return None,
    })
}

/// The text of a string parameter: up to its first NUL, invalid UTF-8 replaced.
pub fn value_str(v: &[u8]) -> std::borrow::Cow<'_, str> {
    let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
    String::from_utf8_lossy(&v[..end])
}

/// A validated event borrowed from the reader's buffer.
///
/// Valid until the next call on the reader that produced it. Small and
/// `Copy` (no per-parameter table): parameter offsets are summed from the
/// length array on demand, which for at most 32 parameters is cheaper than
/// building and copying a table for every event.
#[derive(Clone, Copy)]
pub struct Event<'a> {
    raw: &'a [u8],
    /// CPU the event was seen on.
    pub cpu: u16,
    /// Dump flags of EVF blocks (`1` = state only), `None` for plain blocks.
    pub dump_flags: Option<u32>,
    /// Block type it came from.
    pub block_type: u32,
    /// Byte offset of its block in the decompressed input.
    pub offset: u64,
    nparams: u8,
    large: bool,
}

impl std::fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("ts", &self.ts())
            .field("tid", &self.tid())
            .field("type", &self.event_type())
            .field("nparams", &self.nparams)
            .field("offset", &self.offset)
            .finish()
    }
}

/// Why bytes are not one whole event (what [`Event::parse`] refuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalid {
    /// Fewer bytes than the 26-byte header.
    ShortHeader {
        /// Bytes there are.
        have: usize,
    },
    /// The header's `len` is shorter than the header itself.
    LenBelowHeader {
        /// The header's `len`.
        len: usize,
    },
    /// The header's `len` runs past the bytes there are.
    LenPastBlock {
        /// The header's `len`.
        len: usize,
        /// Bytes there are.
        have: usize,
    },
    /// More parameters than any event has.
    TooManyParams {
        /// The header's parameter count.
        n: usize,
    },
    /// The parameter length array runs past `len`.
    LengthsPastLen {
        /// The header's parameter count.
        n: usize,
        /// The header's `len`.
        len: usize,
    },
    /// A parameter's value runs past `len`.
    ParamPastLen {
        /// The parameter's index.
        i: usize,
        /// Its length.
        plen: usize,
        /// The header's `len`.
        len: usize,
    },
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Invalid {}

impl Invalid {
    #[cold]
    fn message(&self) -> String {
        match self {
            Invalid::ShortHeader { have } => {
                format!("event needs a {HEADER_LEN}-byte header, block holds {have}")
            }
            Invalid::LenBelowHeader { len } => {
                format!("event len {len} is shorter than its {HEADER_LEN}-byte header")
            }
            Invalid::LenPastBlock { len, have } => {
                format!("event len {len} is larger than the {have} bytes available in the block")
            }
            Invalid::TooManyParams { n } => {
                format!("{n} parameters, more than the {MAX_PARAMS} allowed")
            }
            Invalid::LengthsPastLen { n, len } => {
                format!("{n} parameter lengths do not fit in event len {len}")
            }
            Invalid::ParamPastLen { i, plen, len } => {
                format!("parameter {i} (length {plen}) runs past event len {len}")
            }
        }
    }
}

/// Checks that `raw` is one whole event (header, lengths, values within
/// `len`); returns its parameter count. The reader's fast path calls it on
/// every event, so the reason is a small value, made text only by
/// [`validate`].
#[inline]
pub(crate) fn check(raw: &[u8], large: bool) -> Result<u8, Invalid> {
    if raw.len() < HEADER_LEN {
        return Err(Invalid::ShortHeader { have: raw.len() });
    }
    let len = le_u32(raw, 16) as usize;
    if len < HEADER_LEN {
        return Err(Invalid::LenBelowHeader { len });
    }
    if len > raw.len() {
        return Err(Invalid::LenPastBlock {
            len,
            have: raw.len(),
        });
    }
    let n = le_u32(raw, 22) as usize;
    if n > MAX_PARAMS {
        return Err(Invalid::TooManyParams { n });
    }
    let w = if large { 4 } else { 2 };
    let lens_end = HEADER_LEN + n * w;
    if lens_end > len {
        return Err(Invalid::LengthsPastLen { n, len });
    }
    let mut pos = lens_end;
    for (i, c) in raw[HEADER_LEN..lens_end].chunks_exact(w).enumerate() {
        let plen = if large {
            u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize
        } else {
            usize::from(u16::from_le_bytes([c[0], c[1]]))
        };
        // pos <= len, and plen < 2^32: no overflow on 64-bit targets;
        // saturating for the 32-bit ones.
        pos = pos.saturating_add(plen);
        if pos > len {
            return Err(Invalid::ParamPastLen { i, plen, len });
        }
    }
    Ok(n as u8)
}

/// Length of parameter `i` from the length array (the caller checked bounds).
#[inline]
fn param_len(raw: &[u8], large: bool, i: usize) -> usize {
    if large {
        le_u32(raw, HEADER_LEN + 4 * i) as usize
    } else {
        usize::from(le_u16(raw, HEADER_LEN + 2 * i))
    }
}

impl<'a> Event<'a> {
    /// Validates `raw` (header + lengths + values) and builds a view.
    pub fn parse(raw: &'a [u8], large: bool) -> Result<Self, Invalid> {
        let nparams = check(raw, large)?;
        Ok(Self::from_validated(raw, large, nparams))
    }

    /// A view of bytes [`validate`] accepted.
    #[inline]
    pub(crate) fn from_validated(raw: &'a [u8], large: bool, nparams: u8) -> Self {
        let len = (le_u32(raw, 16) as usize).min(raw.len());
        Event {
            raw: &raw[..len],
            cpu: 0,
            dump_flags: None,
            block_type: 0,
            offset: 0,
            nparams,
            large,
        }
    }

    #[inline]
    fn values_start(&self) -> usize {
        HEADER_LEN + self.nparams() * if self.large { 4 } else { 2 }
    }

    /// Timestamp, ns since the epoch.
    #[inline]
    pub fn ts(&self) -> u64 {
        le_u64(self.raw, 0)
    }

    /// Thread id (host namespace); `u64::MAX` when not tied to a thread.
    #[inline]
    pub fn tid(&self) -> u64 {
        le_u64(self.raw, 8)
    }

    /// Event type id.
    #[inline]
    pub fn event_type(&self) -> u16 {
        le_u16(self.raw, 20)
    }

    /// Number of parameters present.
    #[inline]
    pub fn nparams(&self) -> usize {
        usize::from(self.nparams)
    }

    /// The whole event (header, lengths, values): exactly `len` bytes.
    #[inline]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Value bytes of parameter `i` (empty = not available).
    #[inline]
    pub fn param(&self, i: usize) -> Option<&'a [u8]> {
        if i >= self.nparams() {
            return None;
        }
        let mut pos = self.values_start();
        for j in 0..i {
            pos += param_len(self.raw, self.large, j);
        }
        self.raw.get(pos..pos + param_len(self.raw, self.large, i))
    }

    /// Iterator over parameter values, in order.
    pub fn params(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        let mut pos = self.values_start();
        (0..self.nparams()).map_while(move |i| {
            let len = param_len(self.raw, self.large, i);
            let v = self.raw.get(pos..pos + len)?;
            pos += len;
            Some(v)
        })
    }

    /// Schema entry (`None` for ids past the table).
    #[inline]
    pub fn info(&self) -> Option<&'static EventInfo> {
        schema::event_info(self.event_type())
    }

    /// Display name (`"unknown"` if the id is not in the schema).
    pub fn name(&self) -> &'static str {
        self.info().map_or("unknown", |i| i.name)
    }

    /// Enter or exit.
    pub fn direction(&self) -> Direction {
        Direction::of(self.event_type())
    }

    /// Whether parameter lengths are 32-bit.
    pub fn is_large(&self) -> bool {
        self.large
    }

    /// Value of the parameter called `name`.
    pub fn param_by_name(&self, name: &str) -> Option<&'a [u8]> {
        self.info()?.param_index(name).and_then(|i| self.param(i))
    }

    pub(crate) fn with_block(
        mut self,
        cpu: u16,
        dump_flags: Option<u32>,
        block_type: u32,
        offset: u64,
    ) -> Self {
        self.cpu = cpu;
        self.dump_flags = dump_flags;
        self.block_type = block_type;
        self.offset = offset;
        self
    }

    /// An owned copy.
    pub fn to_owned_event(&self) -> OwnedEvent {
        OwnedEvent {
            ts: self.ts(),
            tid: self.tid(),
            event_type: self.event_type(),
            cpu: self.cpu,
            dump_flags: self.dump_flags.unwrap_or(0),
            params: self.params().map(<[u8]>::to_vec).collect(),
        }
    }
}

/// An event held as owned parts, for producers, converters and tests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OwnedEvent {
    /// Timestamp, ns since the epoch.
    pub ts: u64,
    /// Thread id.
    pub tid: u64,
    /// Event type id.
    pub event_type: u16,
    /// CPU.
    pub cpu: u16,
    /// Dump flags (`1` = state only); 0 for ordinary events.
    pub dump_flags: u32,
    /// Parameter values.
    pub params: Vec<Vec<u8>>,
}

impl OwnedEvent {
    /// A new event with no parameters.
    pub fn new(ts: u64, tid: u64, event_type: u16) -> Self {
        OwnedEvent {
            ts,
            tid,
            event_type,
            ..Default::default()
        }
    }

    /// Appends a raw parameter value.
    pub fn push(&mut self, v: impl Into<Vec<u8>>) -> &mut Self {
        self.params.push(v.into());
        self
    }

    /// Appends a NUL-terminated string parameter.
    pub fn push_str(&mut self, s: &str) -> &mut Self {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        self.params.push(v);
        self
    }

    /// Serialises header + lengths + values into `out` (appending), choosing
    /// the length width from the schema.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let large = schema::event_info(self.event_type).is_some_and(|i| i.is_large_payload());
        encode_parts(
            self.ts,
            self.tid,
            self.event_type,
            large,
            self.params.iter().map(Vec::as_slice),
            out,
        );
    }

    /// Serialised event bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode_into(&mut v);
        v
    }
}

/// Encodes an event from parts.
pub fn encode_parts<'p>(
    ts: u64,
    tid: u64,
    event_type: u16,
    large: bool,
    params: impl Iterator<Item = &'p [u8]> + Clone,
    out: &mut Vec<u8>,
) {
    let n = params.clone().count();
    let w = if large { 4 } else { 2 };
    let data: usize = params.clone().map(<[u8]>::len).sum();
    let len = HEADER_LEN + n * w + data;
    out.reserve(len);
    out.extend_from_slice(&ts.to_le_bytes());
    out.extend_from_slice(&tid.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&event_type.to_le_bytes());
    out.extend_from_slice(&(n as u32).to_le_bytes());
    for p in params.clone() {
        if large {
            out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(p.len().min(u16::MAX as usize) as u16).to_le_bytes());
        }
    }
    for p in params {
        if large {
            out.extend_from_slice(p);
        } else {
            out.extend_from_slice(&p[..p.len().min(u16::MAX as usize)]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_parse() {
        let mut e = OwnedEvent::new(1_700_000_000_000_001_000, 4242, 306);
        e.push((-100i64).to_le_bytes())
            .push_str("/etc/passwd")
            .push(1u32.to_le_bytes())
            .push(0u32.to_le_bytes());
        let raw = e.encode();
        assert_eq!(raw.len(), 62);
        let v = Event::parse(&raw, false).unwrap();
        assert_eq!(v.ts(), 1_700_000_000_000_001_000);
        assert_eq!(v.tid(), 4242);
        assert_eq!(v.name(), "openat");
        assert_eq!(v.param(1).unwrap(), b"/etc/passwd\0");
        assert_eq!(v.to_owned_event().params, e.params);
    }

    #[test]
    fn rejects_lengths_past_the_event() {
        let mut e = OwnedEvent::new(1, 1, 5);
        e.push(0i64.to_le_bytes());
        let mut raw = e.encode();
        raw[26] = 200; // first length
        assert!(Event::parse(&raw, false)
            .unwrap_err()
            .to_string()
            .contains("runs past"));
        let mut raw = e.encode();
        raw[16] = 200; // len
        assert!(Event::parse(&raw, false)
            .unwrap_err()
            .to_string()
            .contains("larger than"));
    }
}
