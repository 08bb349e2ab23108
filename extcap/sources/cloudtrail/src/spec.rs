//! What `--plugin-source` names and the CloudTrail options, in the Falco
//! plugin's syntax (`s3://bucket/prefix`, `sqs://queue`, a path) and with
//! falcodump's option names (`--cloudtrail-s3interval`, …).

use std::path::PathBuf;

use scapbridge_engine::{Expected, UsageError};

/// Where the logs are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A `.json`/`.json.gz` file or a directory tree of them.
    Local(PathBuf),
    /// Objects under a key prefix of a bucket.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix (may be empty).
        prefix: String,
    },
    /// An SQS queue of S3 or CloudTrail-over-SNS notifications.
    Sqs {
        /// Queue name.
        queue: String,
    },
}

impl Location {
    /// Parses an open parameter as the plugin does: `s3://` and `sqs://`
    /// are remote, anything else is a path.
    pub fn parse(s: &str) -> Result<Location, UsageError> {
        let bad = |expected: &'static str| UsageError::BadValue {
            option: "--plugin-source".into(),
            value: s.to_string(),
            expected: Expected::Form(expected),
        };
        if let Some(rest) = s.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(bad("s3://BUCKET[/PREFIX]"));
            }
            return Ok(Location::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
            });
        }
        if let Some(q) = s.strip_prefix("sqs://") {
            if q.is_empty() || q.contains('/') {
                return Err(bad("sqs://QUEUE-NAME"));
            }
            return Ok(Location::Sqs {
                queue: q.to_string(),
            });
        }
        if s.trim().is_empty() {
            return Err(UsageError::Required {
                option: "plugin-source".into(),
            });
        }
        Ok(Location::Local(PathBuf::from(s)))
    }
}

/// A time range for S3 log files (`s3Interval`), in seconds since the
/// epoch, resolved against "now" when parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// Earliest file time.
    pub from: u64,
    /// Latest file time.
    pub to: u64,
}

impl Interval {
    /// Parses the plugin's syntax: `5d` (the last five days),
    /// `2021-03-30T18:07:17Z` (since then), and ranges of either joined by
    /// `-` (`5d-2d`, `T1-T2`, `T1-5d`). Units: `w d h m s`.
    pub fn parse(s: &str, now: u64) -> Result<Interval, UsageError> {
        let bad = || UsageError::BadValue {
            option: "--cloudtrail-s3interval".into(),
            value: s.to_string(),
            expected: Expected::Form(
                "a duration like 5d or 12h, an RFC 3339 time, or a range of them such as 5d-2d",
            ),
        };
        let point = |p: &str| -> Option<u64> {
            let p = p.trim();
            if let Some(ns) = scapbridge_formats::cloudtrail::parse_rfc3339(p) {
                return Some(ns / 1_000_000_000);
            }
            let unit = match p.chars().last()? {
                'w' => 7 * 86400,
                'd' => 86400,
                'h' => 3600,
                'm' => 60,
                's' => 1,
                _ => return None,
            };
            let n: u64 = p[..p.len() - 1].parse().ok()?;
            now.checked_sub(n.checked_mul(unit)?)
        };
        // A '-' splits a range unless it is inside an RFC 3339 time
        // (dates have two): try each '-' as the separator.
        if let Some(t) = point(s) {
            return Ok(Interval { from: t, to: now });
        }
        for (i, _) in s.match_indices('-') {
            if let (Some(a), Some(b)) = (point(&s[..i]), point(&s[i + 1..])) {
                if a <= b {
                    return Ok(Interval { from: a, to: b });
                }
            }
        }
        Err(bad())
    }

    /// The time a CloudTrail log file name carries
    /// (`…_CloudTrail_<region>_<YYYYMMDDTHHmm>Z_…`), in seconds.
    pub fn file_time(key: &str) -> Option<u64> {
        let name = key.rsplit('/').next()?;
        let at = name.find("_CloudTrail_")? + "_CloudTrail_".len();
        let rest = &name[at..];
        let stamp = rest.split('_').nth(1)?;
        let b = stamp.as_bytes();
        if b.len() != 14 || b[8] != b'T' || b[13] != b'Z' {
            return None;
        }
        let iso = format!(
            "{}-{}-{}T{}:{}:00Z",
            &stamp[0..4],
            &stamp[4..6],
            &stamp[6..8],
            &stamp[9..11],
            &stamp[11..13]
        );
        scapbridge_formats::cloudtrail::parse_rfc3339(&iso).map(|ns| ns / 1_000_000_000)
    }

    /// Whether a log file's name time falls in the interval (files whose
    /// name carries no time are left out: the range cannot vouch for them).
    pub fn admits(&self, key: &str) -> bool {
        Self::file_time(key).is_some_and(|t| t >= self.from && t <= self.to)
    }
}

/// Checks `s3AccountList`: comma-separated 12-digit account ids.
pub fn parse_accounts(s: &str) -> Result<Vec<String>, UsageError> {
    let mut out = Vec::new();
    for a in s.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
            return Err(UsageError::BadValue {
                option: "--cloudtrail-s3accountlist".into(),
                value: s.to_string(),
                expected: Expected::Form("comma-separated 12-digit AWS account ids"),
            });
        }
        out.push(a.to_string());
    }
    Ok(out)
}

/// Whether a key belongs to one of `accounts` (`…/AWSLogs/<id>/…` or an
/// organisation trail's `…/AWSLogs/o-…/<id>/…`) and one of `regions`
/// (`…/CloudTrail/<region>/…`); empty lists admit everything.
pub fn key_selected(key: &str, accounts: &[String], regions: &[String]) -> bool {
    let parts: Vec<&str> = key.split('/').collect();
    // Digest and Insights files share the trail's bucket and suffixes but
    // hold no API records (the plugin avoids them by listing `…/CloudTrail/`).
    if parts
        .iter()
        .any(|p| *p == "CloudTrail-Digest" || *p == "CloudTrail-Insight")
    {
        return false;
    }
    let after = |name: &str, skip: usize| {
        let i = parts.iter().position(|p| *p == name)?;
        parts.get(i + 1 + skip).copied()
    };
    // `AWSLogs/<account>/…`, or `AWSLogs/o-<org>/<account>/…`.
    let account = match after("AWSLogs", 0) {
        Some(a) if a.starts_with("o-") => after("AWSLogs", 1),
        a => a,
    };
    let account_ok =
        accounts.is_empty() || account.is_some_and(|a| accounts.iter().any(|x| x == a));
    let region_ok = regions.is_empty()
        || after("CloudTrail", 0).is_some_and(|r| regions.iter().any(|x| x == r));
    account_ok && region_ok
}

/// Whether a name is a CloudTrail log file the plugin reads.
pub fn is_log_name(name: &str) -> bool {
    name.ends_with(".json") || name.ends_with(".json.gz")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(
            Location::parse("s3://b/AWSLogs/1/").unwrap(),
            Location::S3 {
                bucket: "b".into(),
                prefix: "AWSLogs/1/".into()
            }
        );
        assert_eq!(
            Location::parse("s3://b").unwrap(),
            Location::S3 {
                bucket: "b".into(),
                prefix: String::new()
            }
        );
        assert!(Location::parse("s3://").is_err());
        assert!(Location::parse("sqs://").is_err());
        assert_eq!(
            Location::parse("sqs://q").unwrap(),
            Location::Sqs { queue: "q".into() }
        );
        assert_eq!(
            Location::parse("/x/y").unwrap(),
            Location::Local("/x/y".into())
        );
    }

    #[test]
    fn intervals() {
        let now = 1_700_000_000;
        assert_eq!(
            Interval::parse("5d", now).unwrap(),
            Interval {
                from: now - 5 * 86400,
                to: now
            }
        );
        assert_eq!(
            Interval::parse("5d-2d", now).unwrap(),
            Interval {
                from: now - 5 * 86400,
                to: now - 2 * 86400
            }
        );
        let i = Interval::parse("2023-11-01T00:00:00Z-2023-11-02T00:00:00Z", now).unwrap();
        assert_eq!((i.from, i.to), (1_698_796_800, 1_698_883_200));
        let i = Interval::parse("2023-11-01T00:00:00Z-1d", now).unwrap();
        assert_eq!((i.from, i.to), (1_698_796_800, now - 86400));
        assert!(Interval::parse("yesterday", now).is_err());
        assert!(Interval::parse("2d-5d", now).is_err());
        let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2023/11/01/123456789012_CloudTrail_us-east-1_20231101T0005Z_abc.json.gz";
        assert_eq!(Interval::file_time(key), Some(1_698_797_100));
        assert!(i.admits(key));
        assert!(!i.admits("x/other.json"));
    }

    #[test]
    fn key_filters() {
        let k = "AWSLogs/o-abc/123456789012/CloudTrail/eu-west-1/2023/x.json.gz";
        assert!(key_selected(
            k,
            &["123456789012".into()],
            &["eu-west-1".into()]
        ));
        assert!(!key_selected(k, &["000000000000".into()], &[]));
        assert!(!key_selected(k, &[], &["us-east-1".into()]));
        assert!(!key_selected(
            "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2023/x.json.gz",
            &[],
            &[]
        ));
        assert!(parse_accounts("123456789012, 000000000001").is_ok());
        assert!(parse_accounts("12345").is_err());
    }
}
