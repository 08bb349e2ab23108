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

/// Splits a log file into records: each object that opens directly inside
/// the top-level object's arrays or members (brace depth 1→2).
pub fn split_records(file: &[u8]) -> Result<Split, SplitError> {
    let mut i = 0;
    // A UTF-8 byte order mark, then blanks.
    if file.starts_with(b"\xEF\xBB\xBF") {
        i = 3;
    }
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = file.get(i) {
        i += 1;
    }
    if file.get(i) != Some(&b'{') {
        return Err(SplitError::NotAnObject { offset: i });
    }
    let mut out = Split::default();
    let mut depth = 0usize;
    let mut in_str = false;
    let mut start = 0;
    while i < file.len() {
        if in_str {
            // Jump to the next quote or backslash.
            match memchr::memchr2(b'"', b'\\', &file[i..]) {
                None => break,
                Some(p) => {
                    i += p;
                    if file[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    in_str = false;
                    i += 1;
                    continue;
                }
            }
        }
        // Jump to the next byte that matters outside strings.
        let Some(p) = memchr::memchr3(b'"', b'{', b'}', &file[i..]) else {
            break;
        };
        i += p;
        match file[i] {
            b'"' => in_str = true,
            b'{' => {
                depth += 1;
                if depth == 2 {
                    start = i;
                }
            }
            _ => {
                if depth == 2 {
                    out.records.push(start..i + 1);
                }
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(out);
                }
            }
        }
        i += 1;
    }
    out.truncated = Some(file.len());
    Ok(out)
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
    BadEventTime(String),
    /// No `eventType`.
    NoEventType,
    /// `eventType` is `AwsCloudTrailInsight` (not an API event).
    Insight,
    /// Larger than a plugin event can carry (4 GiB).
    TooLarge(usize),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NotJson(e) => write!(f, "not JSON: {e}"),
            SkipReason::NoEventTime => f.write_str("no eventTime"),
            SkipReason::BadEventTime(t) => write!(f, "eventTime '{t}' is not RFC 3339"),
            SkipReason::NoEventType => f.write_str("no eventType"),
            SkipReason::Insight => f.write_str("an Insights event (AwsCloudTrailInsight)"),
            SkipReason::TooLarge(n) => write!(f, "{n} bytes, over a plugin event's 4 GiB"),
        }
    }
}

/// Checks a record as the plugin does and reads its time.
pub fn check_record(rec: &[u8]) -> Result<RecordTime, SkipReason> {
    if rec.len() > u32::MAX as usize - PLUGIN_EVENT_PAYLOAD_OFFSET {
        return Err(SkipReason::TooLarge(rec.len()));
    }
    let doc = JsonDoc::parse(rec).map_err(SkipReason::NotJson)?;
    let root = doc.root();
    let time = root
        .get("eventTime")
        .filter(|v| v.kind() == JsonKind::String)
        .and_then(|v| v.as_str())
        .ok_or(SkipReason::NoEventTime)?;
    let ts = parse_rfc3339(&time).ok_or_else(|| SkipReason::BadEventTime(time.to_string()))?;
    match root.get("eventType").and_then(|v| v.as_str()) {
        None => Err(SkipReason::NoEventType),
        Some(t) if t == "AwsCloudTrailInsight" => Err(SkipReason::Insight),
        Some(_) => Ok(RecordTime { ts }),
    }
}

/// Parses an RFC 3339 time (`2014-03-06T21:22:54Z`, optional fraction,
/// `Z` or `±hh:mm`) to ns since the epoch; `None` if malformed or before
/// 1970.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let num = |r: Range<usize>| -> Option<i64> {
        let t = b.get(r)?;
        if !t.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(t).ok()?.parse().ok()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60
    {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0i64;
    if b[i] == b'.' {
        i += 1;
        let s0 = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == s0 {
            return None;
        }
        for (k, &c) in b[s0..i].iter().take(9).enumerate() {
            nanos += i64::from(c - b'0') * 10i64.pow(8 - k as u32);
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        c @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *c == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86400 + h * 3600 + mi * 60 + sec - offset;
    u64::try_from(secs)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(u64::try_from(nanos).ok()?)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

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
            Err(SkipReason::BadEventTime(_))
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
