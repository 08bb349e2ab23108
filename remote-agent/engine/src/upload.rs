//! Rules files sent to `scapbridge-agent` over the SSH channel's stdin
//! (`--rules-stdin`), so trigger mode on the host uses the analyst's local
//! rules without a copy step and without putting their text on a command
//! line. The frame:
//!
//! ```text
//! scapbridge-rules 1 COUNT\n
//! LEN NAME\n  LEN bytes of YAML      (COUNT times)
//! ```
//!
//! The channel's stdin stays open afterwards: nothing else is sent.

use std::io::{self, BufRead};

/// The first word of a frame.
const MAGIC: &str = "scapbridge-rules";
/// Most the agent accepts, all files together.
pub const MAX_BYTES: usize = 64 << 20;

/// A frame that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The stream ended or failed.
    #[error("reading the rules from standard input: {0}")]
    Io(#[from] io::Error),
    /// Not a frame of ours.
    #[error("the rules on standard input are not a scapbridge-rules frame ({0})")]
    Malformed(FrameFault),
}

/// What is wrong with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameFault {
    /// The first line is not `scapbridge-rules 1 COUNT`.
    #[error("no header")]
    NoHeader,
    /// The header has no file count.
    #[error("no file count")]
    NoCount,
    /// The stream ended inside the frame.
    #[error("cut short")]
    CutShort,
    /// A file's `LENGTH NAME` line is missing.
    #[error("no file header")]
    NoFileHeader,
    /// A file's length is not a number.
    #[error("bad file length")]
    BadLength,
    /// The files add up to more than the 64 MiB a frame may carry.
    #[error("more than 64 MiB of rules")]
    TooLarge,
    /// A file is not UTF-8.
    #[error("a file is not UTF-8")]
    NotUtf8,
}

/// Encodes `(name, text)` files into one frame.
pub fn encode(files: &[(String, String)]) -> Vec<u8> {
    let mut out = format!("{MAGIC} 1 {}\n", files.len()).into_bytes();
    for (name, text) in files {
        // A name is one line; the file's own text is sent as is.
        let name = name.replace(['\n', '\r'], "?");
        out.extend_from_slice(format!("{} {name}\n", text.len()).as_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    out
}

/// Reads one frame from `r`, no further.
pub fn decode(r: &mut impl BufRead) -> Result<Vec<(String, String)>, UploadError> {
    let bad = UploadError::Malformed;
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut head = line.split_whitespace();
    if head.next() != Some(MAGIC) || head.next() != Some("1") {
        return Err(bad(FrameFault::NoHeader));
    }
    let count: usize = head
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad(FrameFault::NoCount))?;
    let mut files = Vec::new();
    let mut total = 0usize;
    for _ in 0..count {
        line.clear();
        r.read_line(&mut line)?;
        let l = line
            .strip_suffix('\n')
            .ok_or_else(|| bad(FrameFault::CutShort))?;
        let (len, name) = l
            .split_once(' ')
            .ok_or_else(|| bad(FrameFault::NoFileHeader))?;
        let len: usize = len.parse().map_err(|_| bad(FrameFault::BadLength))?;
        total = total.saturating_add(len);
        if total > MAX_BYTES {
            return Err(bad(FrameFault::TooLarge));
        }
        let mut buf = vec![0u8; len];
        r.read_exact(&mut buf)?;
        let text = String::from_utf8(buf).map_err(|_| bad(FrameFault::NotUtf8))?;
        files.push((name.to_string(), text));
    }
    Ok(files)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn round_trip_and_refusals() {
        let files = vec![
            ("a b.yaml".to_string(), "- rule: x\n  desc: é\n".to_string()),
            ("empty.yaml".to_string(), String::new()),
        ];
        let mut frame = encode(&files);
        frame.extend_from_slice(b"trailing");
        let mut r = io::Cursor::new(frame);
        assert_eq!(decode(&mut r).unwrap(), files);
        let mut rest = String::new();
        r.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "trailing", "nothing read past the frame");
        assert!(decode(&mut io::Cursor::new(b"hello\n".to_vec())).is_err());
        let cut = encode(&files);
        assert!(decode(&mut io::Cursor::new(cut[..cut.len() - 3].to_vec())).is_err());
    }
}
