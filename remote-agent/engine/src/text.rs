//! Numbers and durations as users type and read them.

use std::time::Duration;

/// `n` with thousands separators (`1,234,567`), for summaries.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Parses a duration: `10` (seconds), `2.5s`, `500ms`, `3m`, `1h`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num.trim().parse().ok()?;
    if !(v.is_finite() && v > 0.0) {
        return None;
    }
    // `try_`: past u64::MAX seconds (`1e20s`, or a product that overflows
    // to infinity) is refused, not a panic (found by the extcap_args fuzz
    // target).
    Duration::try_from_secs_f64(v * mult).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("0"), None);
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("1e20s"), None);
        assert_eq!(parse_duration("1e300h"), None);
        assert_eq!(parse_duration("1e308h"), None);
    }
}
