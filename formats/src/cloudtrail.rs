//! CloudTrail log files as Falco's CloudTrail plugin sees them: the
//! records of a `{"Records":[…]}` file, each kept as its original bytes,
//! and the plugin event (type 322, plugin id 2) that carries one record.
//!
//! The splitter scans braces the way the plugin does (string- and
//! escape-aware, an object opening at depth 1→2 is a record) instead of
//! parsing and re-serialising, so a payload is byte-identical to its source
//! and one broken record does not hide its neighbours.

use std::fmt;
use std::ops::Range;

use crate::block;
use crate::json::{JsonDoc, JsonError, JsonKind};

/// Plugin id of Falco's CloudTrail plugin (falcosecurity plugin registry).
pub const CLOUDTRAIL_PLUGIN_ID: u32 = 2;
/// Event source name of the CloudTrail plugin.
pub const CLOUDTRAIL_SOURCE: &str = "aws_cloudtrail";
/// Offset of a plugin event's payload from the first byte of the event
/// (`PLUGIN_EVENT_PAYLOAD_OFFSET`): 26-byte header, two 32-bit parameter
/// lengths, the 32-bit plugin id.
pub const PLUGIN_EVENT_PAYLOAD_OFFSET: usize = 38;

/// The records of one log file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// Each record's bytes in the file, in file order.
    pub records: Vec<Range<usize>>,
    /// Set when the file ended inside a string or an object: the records
    /// before the cut are whole and listed.
    pub truncated: Option<usize>,
}

/// Why a file is not a CloudTrail log at all.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SplitError {
    /// The first non-blank byte is not `{`.
    NotAnObject {
        /// Where the offending byte is.
        offset: usize,
    },
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitError::NotAnObject { offset } => write!(
                f,
                "not a CloudTrail log (no '{{\"Records\":[…]}}' object) at byte {offset}"
            ),
        }
    }
}

impl std::error::Error for SplitError {}

/// Splits a log file held in memory into records: each object that opens
/// directly inside the top-level object's arrays or members (brace depth
/// 1→2). The same scan as [`RecordSplitter`], with no size limit.
pub fn split_records(file: &[u8]) -> Result<Split, SplitError> {
    let mut s = RecordSplitter::new(usize::MAX);
    let mut out = Split::default();
    s.feed(file, |p| {
        if let Piece::Record { start, bytes } = p {
            // Every offset is within `file`, so it fits a usize.
            let start = start as usize;
            out.records.push(start..start + bytes.len());
        }
    })?;
    out.truncated = s.finish()?.map(|at| at as usize);
    Ok(out)
}

/// The largest record a capture carries: the payload of a plugin event of
/// [`block::MAX_LARGE_EVENT_LEN`] bytes (dumpcap's pipe reader stops at
/// 256 KiB blocks, and the writer keeps every block under that limit).
pub const MAX_RECORD_LEN: usize = block::MAX_LARGE_EVENT_LEN - PLUGIN_EVENT_PAYLOAD_OFFSET;

/// What [`RecordSplitter::feed`] finds in the bytes it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Piece<'a> {
    /// A whole record and where it starts in the (decompressed) file.
    Record {
        /// Offset of its `{`.
        start: u64,
        /// Its original bytes.
        bytes: &'a [u8],
    },
    /// A record longer than the splitter's limit. Its bytes were dropped
    /// as they came, so memory never holds more than the limit.
    TooLarge {
        /// Offset of its `{`.
        start: u64,
        /// Its length.
        len: u64,
    },
}

/// Splits a log file into records as its bytes arrive (from a gzip
/// decoder, a download), keeping only the record being read, so one
/// record's size, not the file's, bounds memory. Records over `max_record`
/// bytes are reported as [`Piece::TooLarge`] without being kept.
///
/// The scan is the plugin's: string- and escape-aware brace counting; an
/// object opening at depth 1→2 is a record; bytes after the top-level
/// object closes are ignored.
#[derive(Debug, Clone)]
pub struct RecordSplitter {
    max_record: usize,
    /// Bytes fed so far (up to the closing brace once done).
    pos: u64,
    /// UTF-8 byte order mark bytes matched at the start.
    bom: u8,
    started: bool,
    done: bool,
    depth: usize,
    in_str: bool,
    /// A backslash inside a string was the last byte fed.
    escape: bool,
    /// The current record's bytes (empty once it went over the limit).
    cur: Vec<u8>,
    cur_start: u64,
    cur_len: u64,
}

const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

impl RecordSplitter {
    /// A splitter keeping records of at most `max_record` bytes.
    pub fn new(max_record: usize) -> Self {
        RecordSplitter {
            max_record,
            pos: 0,
            bom: 0,
            started: false,
            done: false,
            depth: 0,
            in_str: false,
            escape: false,
            cur: Vec::new(),
            cur_start: 0,
            cur_len: 0,
        }
    }

    /// Bytes of the file consumed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Whether the top-level object has closed (what follows is ignored).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Scans the next bytes of the file, calling `each` for every record
    /// that ends in them. Returns whether the top-level object has closed.
    /// Fails, at the first byte that is not blank, if the file does not
    /// start with an object.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        mut each: impl FnMut(Piece<'_>),
    ) -> Result<bool, SplitError> {
        if self.done {
            return Ok(true);
        }
        let mut i = 0;
        while !self.started {
            let Some(&b) = chunk.get(i) else {
                self.pos += i as u64;
                return Ok(false);
            };
            let at = self.pos + i as u64;
            if at < 3 && u64::from(self.bom) == at && b == BOM[self.bom as usize] {
                self.bom += 1;
            } else if self.bom > 0 && self.bom < 3 {
                // A partial mark: the file's first byte is not `{`.
                return Err(SplitError::NotAnObject { offset: 0 });
            } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            } else if b == b'{' {
                self.started = true;
                self.depth = 1;
            } else {
                return Err(SplitError::NotAnObject {
                    offset: usize::try_from(at).unwrap_or(usize::MAX),
                });
            }
            i += 1;
        }
        // Where the current record's bytes start in this chunk.
        let mut from = 0;
        let n = chunk.len();
        while i < n {
            if self.in_str {
                if self.escape {
                    self.escape = false;
                    i += 1;
                    continue;
                }
                // Jump to the next quote or backslash.
                match memchr::memchr2(b'"', b'\\', &chunk[i..]) {
                    None => break,
                    Some(p) => {
                        i += p;
                        if chunk[i] == b'\\' {
                            self.escape = true;
                        } else {
                            self.in_str = false;
                        }
                        i += 1;
                        continue;
                    }
                }
            }
            // Jump to the next byte that matters outside strings.
            let Some(p) = memchr::memchr3(b'"', b'{', b'}', &chunk[i..]) else {
                break;
            };
            i += p;
            match chunk[i] {
                b'"' => self.in_str = true,
                b'{' => {
                    self.depth += 1;
                    if self.depth == 2 {
                        from = i;
                        self.cur.clear();
                        self.cur_len = 0;
                        self.cur_start = self.pos + i as u64;
                    }
                }
                _ => {
                    if self.depth == 2 {
                        self.keep(&chunk[from..=i]);
                        each(self.piece());
                    }
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        self.done = true;
                        self.pos += i as u64 + 1;
                        return Ok(true);
                    }
                }
            }
            i += 1;
        }
        if self.depth >= 2 {
            self.keep(&chunk[from..]);
        }
        self.pos += n as u64;
        Ok(false)
    }

    /// Adds bytes to the current record, or only counts them once it is
    /// over the limit.
    fn keep(&mut self, b: &[u8]) {
        self.cur_len += b.len() as u64;
        if self.cur_len > self.max_record as u64 {
            // Free what a huge record took; a normal one reuses it.
            if self.cur.capacity() > 1 << 20 {
                self.cur = Vec::new();
            }
            self.cur.clear();
        } else {
            self.cur.extend_from_slice(b);
        }
    }

    fn piece(&self) -> Piece<'_> {
        if self.cur_len > self.max_record as u64 {
            Piece::TooLarge {
                start: self.cur_start,
                len: self.cur_len,
            }
        } else {
            Piece::Record {
                start: self.cur_start,
                bytes: &self.cur,
            }
        }
    }

    /// Ends the file: `None` if the top-level object closed, or where the
    /// file ended inside it (the records before the cut were reported).
    pub fn finish(&self) -> Result<Option<u64>, SplitError> {
        if !self.started {
            let offset = if self.bom == 0 || self.bom == 3 {
                self.pos
            } else {
                0
            };
            return Err(SplitError::NotAnObject {
                offset: usize::try_from(offset).unwrap_or(usize::MAX),
            });
        }
        Ok((!self.done).then_some(self.pos))
    }
}

/// A record the plugin would emit, with its event time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordTime {
    /// `eventTime`, ns since the epoch.
    pub ts: u64,
}

/// Why the plugin would skip a record (it skips silently; we count).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The record is not valid JSON.
    NotJson(JsonError),
    /// No `eventTime` string.
    NoEventTime,
    /// `eventTime` is not RFC 3339.
    BadEventTime {
        /// The `eventTime` value as the record has it.
        time: String,
    },
    /// No `eventType`.
    NoEventType,
    /// `eventType` is `AwsCloudTrailInsight` (not an API event).
    Insight,
    /// Larger than a plugin event in a capture carries
    /// ([`MAX_RECORD_LEN`]).
    TooLarge(u64),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NotJson(e) => write!(f, "not JSON: {e}"),
            SkipReason::NoEventTime => f.write_str("no eventTime"),
            SkipReason::BadEventTime { time } => write!(f, "eventTime '{time}' is not RFC 3339"),
            SkipReason::NoEventType => f.write_str("no eventType"),
            SkipReason::Insight => f.write_str("an Insights event (AwsCloudTrailInsight)"),
            SkipReason::TooLarge(n) => write!(
                f,
                "{n} bytes, over the {MAX_RECORD_LEN} bytes a plugin event in a capture carries"
            ),
        }
    }
}

/// Checks a record as the plugin does and reads its time.
pub fn check_record(rec: &[u8]) -> Result<RecordTime, SkipReason> {
    if rec.len() > MAX_RECORD_LEN {
        return Err(SkipReason::TooLarge(rec.len() as u64));
    }
    let doc = JsonDoc::parse(rec).map_err(SkipReason::NotJson)?;
    let root = doc.root();
    let time = root
        .get("eventTime")
        .filter(|v| v.kind() == JsonKind::String)
        .and_then(|v| v.as_str())
        .ok_or(SkipReason::NoEventTime)?;
    let ts = parse_rfc3339(&time).ok_or_else(|| SkipReason::BadEventTime {
        time: time.to_string(),
    })?;
    match root.get("eventType").and_then(|v| v.as_str()) {
        None => Err(SkipReason::NoEventType),
        Some(t) if t == "AwsCloudTrailInsight" => Err(SkipReason::Insight),
        Some(_) => Ok(RecordTime { ts }),
    }
}

pub use crate::time::parse_rfc3339;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_their_bytes() {
        let f = br#"{"Records":[{"a":"}{\"","b":{"c":1}} , {"d":[{"e":2}]}]}"#;
        let s = split_records(f).unwrap();
        assert_eq!(s.truncated, None);
        let got: Vec<&[u8]> = s.records.iter().map(|r| &f[r.clone()]).collect();
        assert_eq!(
            got,
            [&br#"{"a":"}{\"","b":{"c":1}}"#[..], br#"{"d":[{"e":2}]}"#]
        );
        let at = s.records[0].end + 5;
        let cut = &f[..at];
        let s = split_records(cut).unwrap();
        assert_eq!(s.records.len(), 1);
        assert_eq!(s.truncated, Some(at));
        assert!(split_records(b"  [1]").is_err());
    }

    /// Records and pieces of `f` fed `step` bytes at a time.
    fn streamed(
        f: &[u8],
        step: usize,
        max: usize,
    ) -> (Vec<String>, Result<Option<u64>, SplitError>) {
        let mut s = RecordSplitter::new(max);
        let mut got = Vec::new();
        for c in f.chunks(step.max(1)) {
            let r = s.feed(c, |p| {
                got.push(match p {
                    Piece::Record { start, bytes } => {
                        format!("{start}:{}", String::from_utf8_lossy(bytes))
                    }
                    Piece::TooLarge { start, len } => format!("{start}:too large {len}"),
                })
            });
            if let Err(e) = r {
                return (got, Err(e));
            }
        }
        (got, s.finish())
    }

    #[test]
    fn streaming_gives_the_same_records_whatever_the_chunks() {
        let f = "\u{feff}  {\"Records\":[{\"a\":\"}{\\\"\",\"b\":{\"c\":1}} , {\"d\":[{\"e\":2}]}]} trailing".as_bytes();
        let whole = streamed(f, f.len(), usize::MAX);
        assert_eq!(whole.1, Ok(None));
        assert_eq!(whole.0.len(), 2, "{whole:?}");
        for step in 1..8 {
            assert_eq!(streamed(f, step, usize::MAX), whole, "step {step}");
        }
        // Cut right after a backslash in a string, then inside the second
        // record: the records before the cut stay.
        let cut = streamed(&f[..26], 3, usize::MAX);
        assert_eq!((cut.0.len(), cut.1), (0, Ok(Some(26))));
        let cut = streamed(&f[..50], 3, usize::MAX);
        assert_eq!((cut.0.len(), cut.1), (1, Ok(Some(50))));
        // Over the limit: counted, not kept, and the next record is whole.
        let small = streamed(f, 5, 20);
        assert_eq!(small.0[0], "17:too large 24");
        assert!(small.0[1].ends_with(r#"{"d":[{"e":2}]}"#), "{small:?}");
        for bad in [&b"\xEF\xBB"[..], b"", b"  [1]", b"\xEF\xBB\xBF \xEF"] {
            let want = split_records(bad).unwrap_err();
            assert_eq!(streamed(bad, 1, usize::MAX).1, Err(want));
        }
        assert_eq!(
            streamed(b" \xEF", 1, 9).1,
            Err(SplitError::NotAnObject { offset: 1 })
        );
    }

    #[test]
    fn records_are_checked_like_the_plugin() {
        let ok = br#"{"eventTime":"2014-03-06T21:22:54Z","eventType":"AwsApiCall"}"#;
        assert_eq!(check_record(ok).unwrap().ts, 1_394_140_974_000_000_000);
        assert_eq!(
            check_record(br#"{"eventType":"AwsApiCall"}"#),
            Err(SkipReason::NoEventTime)
        );
        assert!(matches!(
            check_record(br#"{"eventTime":"yesterday","eventType":"x"}"#),
            Err(SkipReason::BadEventTime { .. })
        ));
        assert_eq!(
            check_record(br#"{"eventTime":"2014-03-06T21:22:54Z"}"#),
            Err(SkipReason::NoEventType)
        );
        assert_eq!(
            check_record(
                br#"{"eventTime":"2014-03-06T21:22:54Z","eventType":"AwsCloudTrailInsight"}"#
            ),
            Err(SkipReason::Insight)
        );
        assert!(matches!(
            check_record(b"{nope}"),
            Err(SkipReason::NotJson(_))
        ));
    }

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2024-02-29T12:00:00.5+01:00"),
            Some(1_709_204_400_500_000_000)
        );
        assert_eq!(parse_rfc3339("2023-02-29T12:00:00Z"), None);
        assert_eq!(parse_rfc3339("2023-01-01 12:00:00Z"), None);
        assert_eq!(parse_rfc3339("2023-01-01T12:00:00"), None);
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), None);
    }
}
