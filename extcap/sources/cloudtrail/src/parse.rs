//! One CloudTrail log file read as its bytes arrive (from a file or a
//! download): gzip is decompressed incrementally and records are split as
//! the decompressed bytes come, so memory holds the record being read and
//! the good records kept for sorting, never the file. Limits:
//!
//! * [`MAX_LOG_BYTES`] read from one file, compressed or decompressed: a
//!   gzip bomb or a file that never ends is skipped once past it;
//! * [`MAX_RECORD_LEN`] per record (what a capture block carries): a
//!   longer record is counted and dropped as it streams by;
//! * [`MAX_HELD_BYTES`] of good records held, over all files of a batch,
//!   shared by the threads and downloads parsing them: a file whose
//!   records would pass it is skipped, so no input brings memory past it.

use std::fmt;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::write::MultiGzDecoder;
#[cfg(feature = "aws")]
use scapbridge_aws::BodySink;
use scapbridge_formats::cloudtrail::{
    check_record, Piece, RecordSplitter, SkipReason, SplitError, MAX_RECORD_LEN,
};

/// Most bytes read from one log file, before and after decompression.
/// CloudTrail writes files of a few MB at most; this is generous and
/// bounds the time a hostile file can take.
pub const MAX_LOG_BYTES: u64 = 1 << 30;
/// Most bytes of records held in memory, waiting to be sorted by time.
pub const MAX_HELD_BYTES: u64 = 512 << 20;
/// Records are held in chunks of about this size rather than one buffer,
/// whose doubling growth would need half as much again while it moves.
const CHUNK: usize = 4 << 20;
/// Bytes read from a local file at a time.
const READ_BUF: usize = 64 << 10;

/// Why a whole log file was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FileSkip {
    /// Opening, listing or reading failed (I/O, download).
    Unreadable,
    /// Not a regular file (a device, a FIFO, a socket).
    NotRegular,
    /// The gzip stream is corrupt or cut short.
    CorruptGzip,
    /// No `{"Records":[…]}` object at its start.
    NotALog,
    /// Over [`MAX_LOG_BYTES`], compressed or decompressed.
    TooLarge,
    /// Its records would take those held over [`MAX_HELD_BYTES`].
    OverHeld,
}

impl FileSkip {
    /// The name it is counted under in the summary.
    pub fn label(self) -> &'static str {
        match self {
            FileSkip::Unreadable => "unreadable",
            FileSkip::NotRegular => "not a regular file",
            FileSkip::CorruptGzip => "corrupt gzip",
            FileSkip::NotALog => "not a CloudTrail log",
            FileSkip::TooLarge => "too large after decompression",
            FileSkip::OverHeld => "over the memory for sorting",
        }
    }
}

/// The budget of record bytes held for sorting, shared by everything that
/// parses the files of one batch.
#[derive(Debug)]
pub struct HeldBudget {
    used: AtomicU64,
    max: u64,
}

impl HeldBudget {
    /// A budget of `max` bytes.
    pub fn new(max: u64) -> Arc<HeldBudget> {
        Arc::new(HeldBudget {
            used: AtomicU64::new(0),
            max,
        })
    }

    /// Bytes held now.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::SeqCst)
    }
}

/// Record bytes taken from a [`HeldBudget`], given back when dropped
/// (when the records are written, or their file skipped).
#[derive(Debug)]
pub struct Held {
    budget: Arc<HeldBudget>,
    n: u64,
}

impl Held {
    fn take(&mut self, n: u64) -> bool {
        let max = self.budget.max;
        let ok = self
            .budget
            .used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |u| {
                u.checked_add(n).filter(|t| *t <= max)
            })
            .is_ok();
        if ok {
            self.n += n;
        }
        ok
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.n, Ordering::SeqCst);
    }
}

/// A good record: its event time and where its bytes are.
#[derive(Debug, Clone, Copy)]
pub struct Rec {
    /// `eventTime`, ns.
    pub ts: u64,
    /// Chunk holding it.
    pub chunk: u32,
    /// Offset in the chunk.
    pub start: u32,
    /// Length.
    pub len: u32,
}

/// What one log file holds: its good records (bytes in chunks), the
/// records it skips (reason and a line naming them), or why the whole
/// file is skipped.
#[derive(Debug, Default)]
pub struct ParsedFile {
    /// Bytes of the good records.
    pub chunks: Vec<Vec<u8>>,
    /// The good records, in file order.
    pub records: Vec<Rec>,
    /// Records skipped: reason, line.
    pub skipped: Vec<(&'static str, String)>,
    /// Why the whole file is skipped, and a line naming it.
    pub bad: Option<(FileSkip, String)>,
    /// The budget its records take.
    pub held: Option<Held>,
}

impl ParsedFile {
    /// A file skipped whole.
    pub fn bad(why: FileSkip, line: String) -> ParsedFile {
        ParsedFile {
            bad: Some((why, line)),
            ..ParsedFile::default()
        }
    }

    fn keep(&mut self, ts: u64, bytes: &[u8]) {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.len() + bytes.len() <= CHUNK);
        if !fits {
            self.chunks.push(Vec::new());
        }
        let chunk = self.chunks.len() - 1;
        if let Some(c) = self.chunks.last_mut() {
            // Records are at most MAX_RECORD_LEN and chunks about CHUNK
            // bytes, so both fit 32 bits.
            self.records.push(Rec {
                ts,
                chunk: chunk as u32,
                start: c.len() as u32,
                len: bytes.len() as u32,
            });
            c.extend_from_slice(bytes);
        }
    }
}

/// Why splitting stopped before the end of the input.
#[derive(Debug)]
enum Stop {
    NotALog(SplitError),
    TooLarge,
    OverHeld,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::NotALog(e) => write!(f, "{e}"),
            Stop::TooLarge => write!(
                f,
                "more than {} MiB (after decompression), the most a log file may hold: not read further",
                MAX_LOG_BYTES >> 20
            ),
            Stop::OverHeld => write!(
                f,
                "its records would take those held for sorting over {} MiB: capture fewer files at once (a subfolder, --cloudtrail-s3interval)",
                MAX_HELD_BYTES >> 20
            ),
        }
    }
}

/// The decompressed side: splits, checks and keeps records.
struct Splitting {
    name: String,
    splitter: RecordSplitter,
    /// Decompressed bytes seen, the trailing ones after the top-level
    /// object included.
    seen: u64,
    out: ParsedFile,
    stop: Option<Stop>,
}

impl Splitting {
    fn piece(name: &str, out: &mut ParsedFile, over: &mut bool, p: Piece<'_>) {
        match p {
            Piece::Record { start, bytes } => match check_record(bytes) {
                Ok(t) => {
                    let granted = out
                        .held
                        .as_mut()
                        .is_some_and(|h| h.take(bytes.len() as u64));
                    if granted {
                        out.keep(t.ts, bytes);
                    } else {
                        *over = true;
                    }
                }
                Err(why) => out.skipped.push((
                    skip_label(&why),
                    format!(
                        "{name} bytes {start}..{}: {why}",
                        start + bytes.len() as u64
                    ),
                )),
            },
            Piece::TooLarge { start, len } => out.skipped.push((
                skip_label(&SkipReason::TooLarge(len)),
                format!(
                    "{name} bytes {start}..{}: {}",
                    start + len,
                    SkipReason::TooLarge(len)
                ),
            )),
            _ => {}
        }
    }
}

impl Write for Splitting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let stopped = || io::Error::other("stopped");
        if self.stop.is_some() {
            return Err(stopped());
        }
        self.seen += buf.len() as u64;
        if self.seen > MAX_LOG_BYTES {
            self.stop = Some(Stop::TooLarge);
            return Err(stopped());
        }
        let Splitting {
            name,
            splitter,
            out,
            ..
        } = self;
        let mut over = false;
        let r = splitter.feed(buf, |p| Self::piece(name, out, &mut over, p));
        if over {
            self.stop = Some(Stop::OverHeld);
            return Err(stopped());
        }
        if let Err(e) = r {
            self.stop = Some(Stop::NotALog(e));
            return Err(stopped());
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The summary's name for a record skip.
pub fn skip_label(why: &SkipReason) -> &'static str {
    match why {
        SkipReason::NotJson(_) => "not JSON",
        SkipReason::NoEventTime => "no eventTime",
        SkipReason::BadEventTime { .. } => "eventTime not RFC 3339",
        SkipReason::NoEventType => "no eventType",
        SkipReason::Insight => "Insights event",
        _ => "too large",
    }
}

enum Mode {
    /// Fewer than two bytes seen: gzip or not is still open.
    Sniff(Splitting),
    Plain(Splitting),
    Gzip(Box<MultiGzDecoder<Splitting>>),
}

/// A log file being parsed: feed it raw bytes with [`LogParser::take`],
/// then [`LogParser::finish`].
pub struct LogParser {
    mode: Mode,
    head: Vec<u8>,
    raw: u64,
    /// The gzip decoder's own error (corrupt data), if it failed.
    gz_error: Option<io::Error>,
}

impl fmt::Debug for LogParser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogParser")
            .field("name", &self.splitting().name)
            .field("raw", &self.raw)
            .finish()
    }
}

impl LogParser {
    /// A parser for the file called `name` (for messages), its records
    /// taking from `budget`.
    pub fn new(name: String, budget: &Arc<HeldBudget>) -> LogParser {
        LogParser {
            mode: Mode::Sniff(Splitting {
                name,
                splitter: RecordSplitter::new(MAX_RECORD_LEN),
                seen: 0,
                out: ParsedFile {
                    held: Some(Held {
                        budget: Arc::clone(budget),
                        n: 0,
                    }),
                    ..ParsedFile::default()
                },
                stop: None,
            }),
            head: Vec::new(),
            raw: 0,
            gz_error: None,
        }
    }

    fn splitting(&self) -> &Splitting {
        match &self.mode {
            Mode::Sniff(s) | Mode::Plain(s) => s,
            Mode::Gzip(d) => d.get_ref(),
        }
    }

    fn failed(&self) -> bool {
        self.gz_error.is_some() || self.splitting().stop.is_some()
    }

    /// Takes the next raw bytes of the file. Returns whether more are
    /// wanted: not once the file is known bad or over a limit, nor once a
    /// plain file's top-level object has closed (a gzip stream is read to
    /// its end, where its checksum is).
    pub fn take(&mut self, raw: &[u8]) -> bool {
        if self.failed() {
            return false;
        }
        self.raw += raw.len() as u64;
        if self.raw > MAX_LOG_BYTES {
            self.stop_with(Stop::TooLarge);
            return false;
        }
        if let Mode::Sniff(_) = self.mode {
            self.head.extend_from_slice(raw);
            if self.head.len() < 2 {
                return true;
            }
            self.decide();
            let head = std::mem::take(&mut self.head);
            return self.write(&head);
        }
        self.write(raw)
    }

    fn stop_with(&mut self, why: Stop) {
        match &mut self.mode {
            Mode::Sniff(s) | Mode::Plain(s) => s.stop = Some(why),
            Mode::Gzip(d) => d.get_mut().stop = Some(why),
        }
    }

    /// Leaves the sniffing mode on the magic bytes seen.
    fn decide(&mut self) {
        let gzip = self.head.starts_with(&[0x1f, 0x8b]);
        let placeholder = Mode::Plain(Splitting {
            name: String::new(),
            splitter: RecordSplitter::new(0),
            seen: 0,
            out: ParsedFile::default(),
            stop: None,
        });
        if let Mode::Sniff(s) = std::mem::replace(&mut self.mode, placeholder) {
            self.mode = if gzip {
                Mode::Gzip(Box::new(MultiGzDecoder::new(s)))
            } else {
                Mode::Plain(s)
            };
        }
    }

    fn write(&mut self, b: &[u8]) -> bool {
        let r = match &mut self.mode {
            Mode::Sniff(s) | Mode::Plain(s) => s.write_all(b),
            Mode::Gzip(d) => d.write_all(b),
        };
        match r {
            Ok(()) => match &self.mode {
                Mode::Plain(s) => !s.splitter.is_done(),
                _ => true,
            },
            Err(e) => {
                if self.splitting().stop.is_none() {
                    self.gz_error = Some(e);
                }
                false
            }
        }
    }

    /// Ends the file: its records, or why it is skipped.
    pub fn finish(mut self) -> ParsedFile {
        if let Mode::Sniff(_) = self.mode {
            // A file of fewer than two bytes: not gzip.
            self.decide();
            let head = std::mem::take(&mut self.head);
            self.write(&head);
        }
        let failed = self.failed();
        if let Mode::Gzip(d) = &mut self.mode {
            if !failed {
                if let Err(e) = d.try_finish() {
                    if d.get_ref().stop.is_none() {
                        self.gz_error = Some(e);
                    }
                }
            }
        }
        let s = match &mut self.mode {
            Mode::Sniff(s) | Mode::Plain(s) => s,
            Mode::Gzip(d) => d.get_mut(),
        };
        let name = &s.name;
        if let Some(e) = &self.gz_error {
            return ParsedFile::bad(FileSkip::CorruptGzip, format!("{name}: corrupt gzip: {e}"));
        }
        let why = match &s.stop {
            Some(Stop::NotALog(_)) => FileSkip::NotALog,
            Some(Stop::TooLarge) => FileSkip::TooLarge,
            Some(Stop::OverHeld) => FileSkip::OverHeld,
            None => match s.splitter.finish() {
                Err(e) => return ParsedFile::bad(FileSkip::NotALog, format!("{name}: {e}")),
                Ok(cut) => {
                    let mut out = std::mem::take(&mut s.out);
                    if let Some(at) = cut {
                        out.skipped.push((
                            "file cut short",
                            format!("{name}: the file ends inside a record at byte {at}"),
                        ));
                    }
                    return out;
                }
            },
        };
        let line = match &s.stop {
            Some(stop) => format!("{name}: {stop}"),
            None => name.clone(),
        };
        ParsedFile::bad(why, line)
    }
}

#[cfg(feature = "aws")]
impl BodySink for LogParser {
    fn take(&mut self, bytes: &[u8]) -> bool {
        LogParser::take(self, bytes)
    }
}

/// Reads and parses a local log file. Only a regular file is read: the
/// open does not block on a FIFO put in its place since the tree was
/// walked, and what it opened is checked before a byte is read.
pub fn parse_path(path: &Path, budget: &Arc<HeldBudget>) -> ParsedFile {
    let name = path.display().to_string();
    let mut f = match open_regular(path) {
        Ok(f) => f,
        Err((why, e)) => return ParsedFile::bad(why, format!("{name}: {e}")),
    };
    let mut p = LogParser::new(name.clone(), budget);
    let mut buf = vec![0u8; READ_BUF];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if !p.take(&buf[..n]) {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return ParsedFile::bad(FileSkip::Unreadable, format!("{name}: {e}")),
        }
    }
    p.finish()
}

/// Opens `path` for reading if it is a regular file.
pub fn open_regular(path: &Path) -> Result<std::fs::File, (FileSkip, String)> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK);
    }
    let f = o
        .open(path)
        .map_err(|e| (FileSkip::Unreadable, e.to_string()))?;
    let md = f
        .metadata()
        .map_err(|e| (FileSkip::Unreadable, e.to_string()))?;
    if !md.is_file() {
        return Err((FileSkip::NotRegular, not_regular(&md.file_type())));
    }
    Ok(f)
}

/// "not a regular file (a character device)", naming the kind.
pub fn not_regular(t: &std::fs::FileType) -> String {
    let kind = if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        unix_kind(t)
    };
    format!("not a regular file ({kind})")
}

#[cfg(unix)]
fn unix_kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn unix_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(raw: &[u8], step: usize, budget: u64) -> ParsedFile {
        let budget = HeldBudget::new(budget);
        let mut p = LogParser::new("f".into(), &budget);
        for c in raw.chunks(step) {
            if !p.take(c) {
                break;
            }
        }
        p.finish()
    }

    fn gzip(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    const LOG: &[u8] = br#"{"Records":[{"eventTime":"2024-01-01T00:00:00Z","eventType":"AwsApiCall"},{"eventTime":"x"}]}"#;

    #[test]
    fn plain_and_gzip_whatever_the_chunks() {
        let gz = gzip(LOG);
        for step in [1, 2, 3, 7, 4096] {
            for raw in [LOG, &gz[..]] {
                let f = parse(raw, step, 1 << 20);
                assert!(f.bad.is_none(), "{:?}", f.bad);
                assert_eq!(f.records.len(), 1);
                assert_eq!(f.skipped.len(), 1);
                assert_eq!(f.held.as_ref().unwrap().n, u64::from(f.records[0].len));
            }
        }
        // Two gzip members are one file, as gzip -d sees them.
        let mut two = gzip(&LOG[..20]);
        two.extend(gzip(&LOG[20..]));
        assert_eq!(parse(&two, 5, 1 << 20).records.len(), 1);
        let cut = &gz[..gz.len() - 4];
        assert_eq!(parse(cut, 9, 1 << 20).bad.unwrap().0, FileSkip::CorruptGzip);
        assert_eq!(parse(b"{", 1, 1).bad, None);
        assert_eq!(parse(b"x", 1, 1).bad.unwrap().0, FileSkip::NotALog);
        assert_eq!(parse(b"", 1, 1).bad.unwrap().0, FileSkip::NotALog);
    }

    #[test]
    fn the_budget_is_shared_and_given_back() {
        let budget = HeldBudget::new(100);
        let mut a = LogParser::new("a".into(), &budget);
        assert!(!a.take(LOG), "the object closed: nothing more wanted");
        let a = a.finish();
        assert!(a.bad.is_none());
        let used = budget.used();
        assert!(used > 0 && used <= 100);
        let mut b = LogParser::new("b".into(), &budget);
        b.take(LOG);
        let b = b.finish();
        assert_eq!(b.bad.as_ref().unwrap().0, FileSkip::OverHeld, "{b:?}");
        assert_eq!(budget.used(), used, "b's partial take went back");
        drop(a);
        assert_eq!(budget.used(), 0);
    }
}
