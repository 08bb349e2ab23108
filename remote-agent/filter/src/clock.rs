//! Event times as sysdig and Falco print them (`HH:MM:SS.nnnnnnnnn`, local
//! time) and as Falco's JSON gives them (RFC 3339, UTC, nanoseconds).

use chrono::TimeZone;

/// Formats event times, converting to local time once per second: the
/// time-zone conversion and strftime cost more than the rest of a line.
#[derive(Debug, Default)]
pub struct TimeText {
    sec: Option<i64>,
    hms: String,
}

impl TimeText {
    /// Appends `HH:MM:SS.nnnnnnnnn` for `ts` (ns since the epoch); the bare
    /// number when the time is out of range.
    pub fn push(&mut self, ts: u64, out: &mut String) {
        use std::fmt::Write as _;
        let secs = (ts / 1_000_000_000) as i64;
        let ns = (ts % 1_000_000_000) as u32;
        if self.sec != Some(secs) {
            self.hms.clear();
            if let Some(t) = chrono::Local.timestamp_opt(secs, 0).single() {
                let _ = write!(self.hms, "{}", t.format("%H:%M:%S"));
            }
            self.sec = Some(secs);
        }
        if self.hms.is_empty() {
            let _ = write!(out, "{ts}");
            return;
        }
        out.push_str(&self.hms);
        out.push('.');
        // Nine digits without the formatter (this runs once per event).
        let mut digits = [b'0'; 9];
        let mut v = ns;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out.extend(digits.iter().map(|&b| char::from(b)));
    }
}

/// `2026-11-23T03:15:07.920413104Z`, Falco's JSON `time`.
pub fn rfc3339(ts: u64) -> String {
    chrono::DateTime::from_timestamp((ts / 1_000_000_000) as i64, (ts % 1_000_000_000) as u32)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string())
        .unwrap_or_default()
}

/// `HH:MM:SS.nnnnnnnnn` in local time (`evt.time`).
pub fn local_time(ts: u64) -> String {
    let mut s = String::new();
    TimeText::default().push(ts, &mut s);
    s
}

/// `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` in local time (`evt.datetime`); the
/// bare number when the time is out of range.
pub fn local_datetime(ts: u64) -> String {
    chrono::Local
        .timestamp_opt((ts / 1_000_000_000) as i64, (ts % 1_000_000_000) as u32)
        .single()
        .map_or_else(
            || ts.to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S%.9f").to_string(),
        )
}
