//! The capture engine: a [`Source`] pushes metadata and events into an
//! [`EventSink`]; the [`Pipeline`] applies limits and counts, and a
//! [`ScapSink`] writes the stream to a FIFO, a file or standard output.
//!
//! The same code runs under the extcap `--capture` call and under
//! `scapbridge capture`; only the output and the progress display differ.
//!
//! Stopping: sources check [`CaptureControl::stop_reason`] between events and
//! at least every 50 ms while they wait, so SIGTERM, SIGINT, a `Q` message, a
//! duration limit or a count limit end the capture promptly, always between
//! two blocks. A reader that goes away (EPIPE) is a normal stop, not an error.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scapbridge_formats::meta::{FdInfo, Interface, MachineInfo, ProcessInfo, UserEntry};
use scapbridge_formats::schema::{self, Direction};
use scapbridge_formats::{
    Container, Event, OwnedEvent, Profile, ProfileAdapter, ReadError, ScapWriter, WriteError,
    WriterOptions,
};

use crate::control::Toolbar;
use crate::usage::UsageError;

/// Why a capture ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// The source has no more events (end of a replayed file).
    EndOfInput,
    /// `--count` events were written.
    Count,
    /// `--duration` elapsed.
    Duration,
    /// SIGTERM or SIGINT.
    Signal,
    /// The host sent a quit message.
    Quit,
    /// The reader closed the FIFO or pipe (EPIPE).
    ReaderGone,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StopReason::EndOfInput => "end of input",
            StopReason::Count => "event count reached",
            StopReason::Duration => "duration reached",
            StopReason::Signal => "interrupted",
            StopReason::Quit => "stopped by the analyzer",
            StopReason::ReaderGone => "the reader closed the stream",
        })
    }
}

/// A capture failure. Each becomes one human line at the binary's edge.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// Wrong options.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// The input could not be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// Input path.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// The input is not a readable capture.
    #[error("{path}: {source}")]
    Read {
        /// Input path.
        path: PathBuf,
        /// Cause, with its byte offset.
        source: ReadError,
    },
    /// The output could not be opened.
    #[error("cannot open output {target}: {source}")]
    Output {
        /// FIFO or file path.
        target: String,
        /// Cause.
        source: io::Error,
    },
    /// Writing the output failed.
    #[error("writing {target}: {source}{}", truncated.map(|n| format!("; the file was cut back to {n} bytes, its last whole block")).unwrap_or_default())]
    Write {
        /// FIFO or file path.
        target: String,
        /// Cause.
        source: WriteError,
        /// Length the file was cut back to, if it was.
        truncated: Option<u64>,
    },
    /// The syscall probe cannot run.
    #[error(transparent)]
    Probe(#[from] scapbridge_probe::ProbeError),
    /// The rules do not load.
    #[error(transparent)]
    Rules(#[from] scapbridge_rules::RulesError),
    /// The remote side (SSH connection, host key, authentication, the
    /// remote command) failed; one line saying which and why.
    #[error("{0}")]
    Remote(String),
    /// The capture filter does not compile.
    #[error("capture filter '{text}': {source}")]
    Filter {
        /// The filter as given.
        text: String,
        /// Every problem, with columns.
        source: scapbridge_filter::FilterError,
    },
}

/// Metadata blocks a source can emit.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Metadata {
    /// Machine info.
    MachineInfo(MachineInfo),
    /// Interface list.
    Interfaces(Vec<Interface>),
    /// User and group list.
    Users(Vec<UserEntry>),
    /// Processes.
    Processes(Vec<ProcessInfo>),
    /// Fds of one thread.
    Fds {
        /// Thread.
        tid: u64,
        /// Its fds.
        fds: Vec<FdInfo>,
    },
}

impl Metadata {
    /// The metadata an item of a capture carries, if it is metadata (a
    /// copy: the item borrows the reader).
    pub fn from_item(item: scapbridge_formats::Item<'_>) -> Option<Metadata> {
        use scapbridge_formats::Item;
        Some(match item {
            Item::MachineInfo(m) => Metadata::MachineInfo(m.clone()),
            Item::Interfaces(i) => Metadata::Interfaces(i.to_vec()),
            Item::Users(u) => Metadata::Users(u.to_vec()),
            Item::Processes(p) => Metadata::Processes(p.to_vec()),
            Item::Fds { tid, fds } => Metadata::Fds {
                tid,
                fds: fds.to_vec(),
            },
            _ => return None,
        })
    }
}

/// Whether a source should go on after handing over an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// Stop now, for this reason.
    Stop(StopReason),
}

/// Where sources push what they capture.
pub trait EventSink {
    /// A new section starts (readers reset their tables).
    fn section(&mut self) -> Result<(), CaptureError>;
    /// A metadata block.
    fn metadata(&mut self, m: Metadata) -> Result<(), CaptureError>;
    /// An event.
    fn event(&mut self, ev: &Event<'_>) -> Result<Flow, CaptureError>;
    /// A batch boundary: everything so far becomes visible to the reader.
    fn flush(&mut self) -> Result<Flow, CaptureError>;
}

/// A producer of events.
pub trait Source {
    /// Streams into `sink` until the input ends or `ctl` says stop.
    /// Returns why it stopped; the sink is left on a whole block.
    fn run(
        &mut self,
        sink: &mut dyn EventSink,
        ctl: &CaptureControl,
    ) -> Result<StopReason, CaptureError>;
    /// One line for the status bar and the summary.
    fn describe(&self) -> String;
    /// Extra summary lines (each ending in a newline) once `run` returned,
    /// such as the kernel's drop counters.
    fn report(&self) -> Option<String> {
        None
    }
    /// Whether the rules are evaluated at the source (the agent of
    /// `scapbridge-ssh` in trigger mode) rather than in this pipeline.
    fn evaluates_rules(&self) -> bool {
        false
    }
    /// Where alerts raised at the source go; ignored by sources that raise
    /// none.
    fn set_alert_output(&mut self, _out: AlertOutput) {}
    /// Alerts raised at the source so far.
    fn alerts(&self) -> u64 {
        0
    }
}

/// Log verbosity (`--log-level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Problems.
    Warning,
    /// Normal messages.
    Message,
    /// Progress details.
    Info,
    /// Debugging.
    Debug,
}

impl Level {
    /// Parses a host level name; unknown names read as `message`.
    pub fn parse(s: &str) -> Level {
        match s {
            "error" | "critical" | "warning" => Level::Warning,
            "info" => Level::Info,
            "debug" | "noisy" => Level::Debug,
            _ => Level::Message,
        }
    }
}

/// Where log lines go: `--log-file` and the toolbar's log window. Never
/// stderr during an extcap capture (the host shows stderr as an error).
#[derive(Debug, Clone)]
pub struct Logger {
    level: Level,
    file: Option<Arc<Mutex<File>>>,
    toolbar: Toolbar,
}

impl Logger {
    /// A logger at `level`, appending to `file` if given.
    pub fn new(level: Level, file: Option<&Path>, toolbar: Toolbar) -> io::Result<Self> {
        let file = match file {
            Some(p) if !p.as_os_str().is_empty() => Some(Arc::new(Mutex::new(
                OpenOptions::new().create(true).append(true).open(p)?,
            ))),
            _ => None,
        };
        Ok(Logger {
            level,
            file,
            toolbar,
        })
    }

    /// Logs `msg` if `level` is enabled.
    pub fn log(&self, level: Level, msg: &str) {
        if level > self.level {
            return;
        }
        if let Some(f) = &self.file {
            if let Ok(mut f) = f.lock() {
                let _ = writeln!(
                    f,
                    "{} scapbridge[{}]: {msg}",
                    chrono::Local::now().format("%H:%M:%S%.3f"),
                    std::process::id()
                );
            }
        }
        self.toolbar.log(msg);
    }
}

/// What a source consults while it runs: stop requests, the toolbar, limits.
#[derive(Debug, Clone)]
pub struct CaptureControl {
    signal: Arc<AtomicBool>,
    reader_gone: Option<Arc<AtomicBool>>,
    deadline: Option<Instant>,
    /// The toolbar (a no-op without control pipes).
    pub toolbar: Toolbar,
    /// The log.
    pub log: Logger,
}

/// A flag raised by any of `signals` (SIGTERM, SIGINT, ...): what
/// [`CaptureControl::new`] watches. Register it first, so a stop request
/// during set-up is honoured too.
pub fn stop_flag(signals: &[i32]) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    for &sig in signals {
        let _ = signal_hook::flag::register(sig, Arc::clone(&flag));
    }
    // Blocking opens and reads of FIFOs obey it too (see crate::fsio).
    crate::fsio::watch_stop(&flag);
    flag
}

impl CaptureControl {
    /// `signal` is set by the SIGTERM/SIGINT handlers.
    pub fn new(
        signal: Arc<AtomicBool>,
        duration: Option<Duration>,
        toolbar: Toolbar,
        log: Logger,
    ) -> Self {
        CaptureControl {
            signal,
            reader_gone: None,
            deadline: duration.map(|d| Instant::now() + d),
            toolbar,
            log,
        }
    }

    /// Also stops (as [`StopReason::ReaderGone`]) when `flag` rises: see
    /// [`Output::watch_reader`].
    pub fn with_reader_watch(mut self, flag: Option<Arc<AtomicBool>>) -> Self {
        self.reader_gone = flag;
        self
    }

    /// Whether the capture must stop now, and why.
    pub fn stop_reason(&self) -> Option<StopReason> {
        if self.signal.load(Ordering::SeqCst) {
            return Some(StopReason::Signal);
        }
        if self
            .reader_gone
            .as_ref()
            .is_some_and(|f| f.load(Ordering::SeqCst))
        {
            return Some(StopReason::ReaderGone);
        }
        if self.toolbar.state.quit.load(Ordering::SeqCst) {
            return Some(StopReason::Quit);
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Some(StopReason::Duration);
        }
        None
    }

    /// Whether the Pause control is ticked.
    pub fn paused(&self) -> bool {
        self.toolbar.state.paused.load(Ordering::SeqCst)
    }

    /// Takes a pending Restart press.
    pub fn take_restart(&self) -> bool {
        self.toolbar.state.restart.swap(false, Ordering::SeqCst)
    }

    /// Sleeps up to `d`, waking early (within 50 ms) when a stop is requested.
    pub fn sleep(&self, d: Duration) -> Option<StopReason> {
        let end = Instant::now() + d;
        loop {
            if let Some(r) = self.stop_reason() {
                return Some(r);
            }
            let now = Instant::now();
            if now >= end {
                return None;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(50)));
        }
    }
}

/// Where the stream goes.
#[derive(Debug)]
#[non_exhaustive]
pub enum Output {
    /// A FIFO (extcap) or any non-regular path.
    Fifo(File),
    /// A regular file; on a write error it is cut back to its last whole block.
    File {
        /// Writing handle.
        file: File,
        /// Second handle, kept to truncate after a failure.
        truncate: File,
    },
    /// Standard output.
    Stdout,
}

impl Output {
    /// Opens `path` (`-` = standard output). A FIFO open blocks until the
    /// reader opens its end: call this before anything that can fail, so the
    /// host always has a peer to read the error from.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Output, CaptureError> {
        let path = path.as_ref();
        if path == std::path::Path::new("-") {
            return Ok(Output::Stdout);
        }
        let err = |source| CaptureError::Output {
            target: path.display().to_string(),
            source,
        };
        let is_regular = std::fs::metadata(path).map_or(true, |m| m.is_file());
        if is_regular {
            let file = File::create(path).map_err(err)?;
            let truncate = file.try_clone().map_err(err)?;
            Ok(Output::File { file, truncate })
        } else {
            Ok(Output::Fifo(
                crate::fsio::open_fifo_for_writing(path).map_err(err)?,
            ))
        }
    }
}

impl Output {
    /// A flag that rises when the reader of a FIFO or of standard output
    /// (a pipe or socket, such as an SSH session's) goes away, noticed by a
    /// thread blocked in `poll` on the descriptor. Without it a capture that
    /// writes nothing for a while (trigger mode between alerts, a quiet
    /// remote host) would learn that its reader left only at its next
    /// write, and linger, probe attached, until then. `None` for regular
    /// files, terminals and where the watch cannot start.
    ///
    /// The thread holds a duplicate of the descriptor (a second writer,
    /// which does not keep the pipe open for anyone) and is never joined:
    /// it ends with the process.
    #[cfg(unix)]
    pub fn watch_reader(&self) -> Option<Arc<AtomicBool>> {
        use std::os::fd::{AsFd, OwnedFd};
        let fd: OwnedFd = match self {
            // Output::open made it a FIFO or another non-regular path.
            Output::Fifo(f) => f.as_fd().try_clone_to_owned().ok()?,
            Output::Stdout => {
                let f = File::from(io::stdout().as_fd().try_clone_to_owned().ok()?);
                if f.metadata().ok()?.is_file() || io::IsTerminal::is_terminal(&f) {
                    return None;
                }
                f.into()
            }
            Output::File { .. } => return None,
        };
        let flag = Arc::new(AtomicBool::new(false));
        let raised = Arc::clone(&flag);
        std::thread::Builder::new()
            .name("reader-watch".into())
            .spawn(move || {
                use std::os::fd::AsRawFd;
                // No events asked: poll reports only POLLERR (a pipe or
                // FIFO without readers) and POLLHUP (a socket whose peer
                // closed), which is exactly "the reader left".
                let mut p = libc::pollfd {
                    fd: fd.as_raw_fd(),
                    events: 0,
                    revents: 0,
                };
                loop {
                    // SAFETY: one valid pollfd, owned by this frame.
                    #[allow(unsafe_code)]
                    let n = unsafe { libc::poll(&mut p, 1, -1) };
                    if n > 0 && p.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0 {
                        raised.store(true, Ordering::SeqCst);
                        return;
                    }
                    if n < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                        return;
                    }
                }
            })
            .ok()?;
        Some(flag)
    }

    /// Not watched off Unix: the next write notices.
    #[cfg(not(unix))]
    pub fn watch_reader(&self) -> Option<Arc<AtomicBool>> {
        None
    }
}

struct OutputWriter(Output);

impl Write for OutputWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.0 {
            Output::Fifo(f) | Output::File { file: f, .. } => f.write(buf),
            Output::Stdout => io::stdout().write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.0 {
            Output::Fifo(f) | Output::File { file: f, .. } => f.flush(),
            Output::Stdout => io::stdout().flush(),
        }
    }
}

/// Cuts a regular file (`truncate`) back to its last whole block after
/// the I/O error `err`, so a full disk never leaves half a block behind,
/// and keeps every whole block that reached the disk (the writer counts
/// them; `committed` is the last flush point). Returns the length cut to,
/// if the output is a file and the cut worked.
///
/// Only an I/O error can leave part of a block behind. An event the writer
/// refuses (too large, not in the profile) wrote nothing: the output is
/// whole, and cutting it back to the last flush would throw away the good
/// events buffered since, which the end of the capture still writes.
fn cut_back(truncate: Option<&File>, committed: u64, err: &WriteError) -> Option<u64> {
    let WriteError::Io { written, .. } = err else {
        return None;
    };
    let keep = (*written).max(committed);
    truncate?.set_len(keep).ok().map(|()| keep)
}

fn is_broken_pipe(e: &WriteError) -> bool {
    matches!(e, WriteError::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
}

/// Name of the async event that carries an alert in the `stratoshark`
/// layout (plugin id 0: libs' own async events).
pub const ALERT_ASYNC_NAME: &str = "falco_alert";

/// Writes a scap (or pcapng-framed) stream: metadata is held until the first
/// event so it goes out in libscap's order (MI, IL, UL, PL, FDL) before any
/// event; metadata after the first event of a section is counted and dropped,
/// since libscap readers reject it there.
///
/// Drop: dropping flushes on a best-effort basis; call [`ScapSink::finish`]
/// to see errors.
pub struct ScapSink<W: Write> {
    w: ScapWriter<W>,
    target: String,
    adapter: Option<ProfileAdapter>,
    profile: Profile,
    pending: PendingMeta,
    in_events: bool,
    buf: Vec<OwnedEvent>,
    /// Bytes known to be in the output after the last successful flush.
    committed: u64,
    truncate: Option<File>,
    /// Metadata blocks not written (after events).
    pub dropped_metadata: u64,
}

impl<W: Write> fmt::Debug for ScapSink<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScapSink")
            .field("target", &self.target)
            .field("profile", &self.profile)
            .finish()
    }
}

#[derive(Default)]
struct PendingMeta {
    mi: Option<MachineInfo>,
    ifs: Option<Vec<Interface>>,
    users: Option<Vec<UserEntry>>,
    procs: Vec<ProcessInfo>,
    fds: Vec<(u64, Vec<FdInfo>)>,
}

impl ScapSink<Box<dyn Write + Send>> {
    /// A sink over an [`Output`], writing and flushing the section header at
    /// once so the reader sees a capture start.
    pub fn for_output(
        out: Output,
        target: &str,
        profile: Profile,
        container: Container,
    ) -> Result<Self, CaptureError> {
        let truncate = match &out {
            Output::File { truncate, .. } => truncate.try_clone().ok(),
            _ => None,
        };
        let w: Box<dyn Write + Send> = Box::new(OutputWriter(out));
        let mut s = ScapSink::new(w, target, profile, container, false)?;
        s.truncate = truncate;
        s.flush_inner()?;
        Ok(s)
    }
}

impl ScapSink<File> {
    /// A sink writing straight to `file` (the writer buffers), which it
    /// cuts back to its last whole block when a write fails (a full disk),
    /// so what stays on disk still reads.
    pub fn for_file(
        file: File,
        target: &str,
        profile: Profile,
        container: Container,
    ) -> Result<Self, CaptureError> {
        let truncate = file.try_clone().ok();
        let mut s = ScapSink::new(file, target, profile, container, false)?;
        s.truncate = truncate;
        Ok(s)
    }
}

impl<W: Write> ScapSink<W> {
    /// A sink over any writer.
    pub fn new(
        w: W,
        target: &str,
        profile: Profile,
        container: Container,
        gzip: bool,
    ) -> Result<Self, CaptureError> {
        let opts = WriterOptions::new(profile).container(container).gzip(gzip);
        let w = ScapWriter::new(w, opts).map_err(|source| CaptureError::Write {
            target: target.to_string(),
            source,
            truncated: None,
        })?;
        Ok(ScapSink {
            w,
            target: target.to_string(),
            adapter: (profile != Profile::Keep).then(|| ProfileAdapter::new(profile)),
            profile,
            pending: PendingMeta::default(),
            in_events: false,
            buf: Vec::new(),
            committed: 0,
            truncate: None,
            dropped_metadata: 0,
        })
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.w.stats().bytes
    }

    /// Event blocks written so far.
    pub fn events(&self) -> u64 {
        self.w.stats().events
    }

    fn fail(&mut self, source: WriteError) -> CaptureError {
        let truncated = cut_back(self.truncate.as_ref(), self.committed, &source);
        CaptureError::Write {
            target: self.target.clone(),
            source,
            truncated,
        }
    }

    fn write_pending(&mut self) -> Result<(), WriteError> {
        let p = std::mem::take(&mut self.pending);
        if let Some(mi) = p.mi {
            self.w.write_machine_info(&mi)?;
        }
        if let Some(ifs) = p.ifs {
            self.w.write_interfaces(&ifs)?;
        }
        if let Some(u) = p.users {
            self.w.write_users(&u)?;
        }
        self.w.write_processes(&p.procs)?;
        for (tid, fds) in p.fds {
            self.w.write_fds(tid, &fds)?;
        }
        Ok(())
    }

    fn write_event(&mut self, ev: &Event<'_>) -> Result<(), WriteError> {
        if !self.in_events {
            self.write_pending()?;
            self.in_events = true;
        }
        match &mut self.adapter {
            None => self.w.write_event(ev),
            Some(a) => {
                self.buf.clear();
                a.adapt(ev.to_owned_event(), &mut self.buf);
                for e in &self.buf {
                    self.w.write_owned(e)?;
                }
                Ok(())
            }
        }
    }

    fn flush_inner(&mut self) -> Result<Flow, CaptureError> {
        match self.w.flush() {
            Ok(()) => {
                self.committed = self.w.stats().bytes;
                Ok(Flow::Continue)
            }
            Err(e) if is_broken_pipe(&e) => Ok(Flow::Stop(StopReason::ReaderGone)),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Replaces the process and fd lists still waiting for the first event
    /// with `procs` and `fds` (a trigger window's snapshot of the state at
    /// its start). Does nothing once events were written: libscap readers
    /// take metadata only before the first event of a section.
    pub fn replace_state(&mut self, procs: Vec<ProcessInfo>, fds: Vec<(u64, Vec<FdInfo>)>) {
        if !self.in_events {
            self.pending.procs = procs;
            self.pending.fds = fds;
        }
    }

    /// Whether alerts go into this stream (pcapng only).
    pub fn carries_journal(&self) -> bool {
        self.w.is_pcapng()
    }

    /// Writes an alert into the stream (pcapng only; nothing in a scap
    /// stream): for libs readers (the `stratoshark` layout), which stop at
    /// a block type they do not know, as an async event named
    /// [`ALERT_ASYNC_NAME`] whose data is Falco's JSON alert; for Wireshark
    /// ≤ 4.4 as a systemd journal export entry, which it shows as such.
    pub fn journal(&mut self, ts: u64, fields: &[(&str, &str)]) -> Result<(), CaptureError> {
        if !self.in_events {
            if let Err(e) = self.write_pending() {
                return Err(self.fail(e));
            }
            self.in_events = true;
        }
        let written = if self.profile == Profile::Stratoshark {
            if !self.w.is_pcapng() {
                return Ok(());
            }
            let json = fields
                .iter()
                .find(|(k, _)| *k == "FALCO_JSON")
                .map_or("", |(_, v)| v);
            let mut ev = OwnedEvent::new(ts, u64::MAX, schema::PPME_ASYNCEVENT_E);
            ev.push(0u32.to_le_bytes())
                .push(format!("{ALERT_ASYNC_NAME}\0").into_bytes())
                .push(json.as_bytes().to_vec());
            self.w.write_owned(&ev).map(|_| true)
        } else {
            self.w.write_journal_entry(ts, fields)
        };
        match written {
            Ok(_) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Writes pending metadata, flushes and returns the writer.
    pub fn finish(mut self) -> Result<W, CaptureError> {
        if !self.in_events {
            if let Err(e) = self.write_pending() {
                return Err(self.fail(e));
            }
        }
        let target = self.target.clone();
        let (truncate, committed) = (self.truncate.take(), self.committed);
        match self.w.finish() {
            Ok(w) => Ok(w),
            Err(e) if is_broken_pipe(&e) => Err(CaptureError::Write {
                target,
                source: e,
                truncated: None,
            }),
            Err(e) => Err(CaptureError::Write {
                target,
                truncated: cut_back(truncate.as_ref(), committed, &e),
                source: e,
            }),
        }
    }
}

impl<W: Write> EventSink for ScapSink<W> {
    fn section(&mut self) -> Result<(), CaptureError> {
        if self.in_events {
            if let Err(e) = self.w.new_section() {
                return Err(self.fail(e));
            }
            self.in_events = false;
            if self.adapter.is_some() {
                self.adapter = Some(ProfileAdapter::new(self.profile));
            }
        }
        Ok(())
    }

    fn metadata(&mut self, m: Metadata) -> Result<(), CaptureError> {
        if self.in_events {
            self.dropped_metadata += 1;
            return Ok(());
        }
        let p = &mut self.pending;
        match m {
            Metadata::MachineInfo(mi) => p.mi = Some(mi),
            Metadata::Interfaces(i) => p.ifs.get_or_insert_with(Vec::new).extend(i),
            Metadata::Users(u) => p.users.get_or_insert_with(Vec::new).extend(u),
            Metadata::Processes(pr) => p.procs.extend(pr),
            Metadata::Fds { tid, fds } => p.fds.push((tid, fds)),
        }
        Ok(())
    }

    fn event(&mut self, ev: &Event<'_>) -> Result<Flow, CaptureError> {
        match self.write_event(ev) {
            Ok(()) => Ok(Flow::Continue),
            Err(e) if is_broken_pipe(&e) => Ok(Flow::Stop(StopReason::ReaderGone)),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn flush(&mut self) -> Result<Flow, CaptureError> {
        self.flush_inner()
    }
}

/// Counters of a running capture.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaptureStats {
    /// Events the source produced.
    pub events_in: u64,
    /// Events the source passed on (after the filter; in trigger mode,
    /// those inside windows).
    pub events_out: u64,
    /// Event blocks in the output. More than `events_out` when the compat
    /// profile writes each exit event's enter half beside it.
    pub events_written: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Drop periods reported in the stream (drop enter events).
    pub drops: u64,
    /// Events the capture filter left out.
    pub filtered_out: u64,
    /// Alerts the rules raised.
    pub alerts: u64,
    /// Time since the capture started.
    pub elapsed: Duration,
}

/// Progress callback, called at most every 250 ms at a batch boundary.
pub type Progress<'a> = Box<dyn FnMut(&CaptureStats) + 'a>;

/// Where alerts go and in which form.
pub struct AlertOutput {
    /// The destination (stderr, a file).
    pub out: Box<dyn Write + Send>,
    /// Its name, for errors.
    pub target: String,
    /// Falco's JSON objects instead of text lines.
    pub json: bool,
}

impl AlertOutput {
    /// Alerts appended to the file at `path` (created if missing).
    pub fn append_to(path: &Path, json: bool) -> Result<AlertOutput, CaptureError> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| CaptureError::Output {
                target: path.display().to_string(),
                source,
            })?;
        Ok(AlertOutput {
            out: Box::new(f),
            target: path.display().to_string(),
            json,
        })
    }

    /// Alerts on standard error.
    pub fn stderr(json: bool) -> AlertOutput {
        AlertOutput {
            out: Box::new(io::stderr()),
            target: "<stderr>".into(),
            json,
        }
    }
}

impl fmt::Debug for AlertOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertOutput")
            .field("target", &self.target)
            .field("json", &self.json)
            .finish()
    }
}

/// Rules watching the stream: alerts go to an [`AlertOutput`] and, in a
/// pcapng capture, into the stream beside the event that raised them.
#[derive(Debug)]
pub struct RuleWatch {
    engine: scapbridge_rules::engine::RuleEngine,
    out: AlertOutput,
    clock: scapbridge_filter::clock::TimeText,
    hostname: String,
    /// Alerts per rule, in the order the rules first fired.
    pub fired: Vec<(String, u64)>,
}

impl RuleWatch {
    /// Watches with `engine`, writing alerts to `out`.
    pub fn new(engine: scapbridge_rules::engine::RuleEngine, out: AlertOutput) -> Self {
        RuleWatch {
            engine,
            out,
            clock: scapbridge_filter::clock::TimeText::default(),
            hostname: String::new(),
            fired: Vec::new(),
        }
    }

    /// Loads the rules `files` (files or directories) and watches with
    /// them, writing alerts to `out`.
    pub fn load(files: &[std::path::PathBuf], out: AlertOutput) -> Result<Self, CaptureError> {
        let set = scapbridge_rules::RuleSet::load(files)?;
        Ok(RuleWatch::new(
            scapbridge_rules::engine::RuleEngine::new(set),
            out,
        ))
    }

    /// Watches with rules given as (name, text) pairs (see
    /// [`scapbridge_rules::RuleSet::load_texts`]).
    pub fn load_texts(files: &[(String, String)], out: AlertOutput) -> Result<Self, CaptureError> {
        let set = scapbridge_rules::RuleSet::load_texts(files)?;
        Ok(RuleWatch::new(
            scapbridge_rules::engine::RuleEngine::new(set),
            out,
        ))
    }

    /// Where the alerts went, for a source that raises them itself.
    pub fn into_output(self) -> AlertOutput {
        self.out
    }

    /// Total alerts so far.
    pub fn alerts(&self) -> u64 {
        self.fired.iter().map(|(_, n)| n).sum()
    }
}

/// What the pipeline evaluates on each event, the capture filter and the
/// rules, over one state (thread, fd and user tables) kept from every event
/// and metadata block, filtered or not.
#[derive(Debug)]
pub struct Watch {
    state: scapbridge_formats::state::CaptureState,
    num: u64,
    filter: Option<scapbridge_filter::Filter>,
    rules: Option<RuleWatch>,
    /// The alerts of the last event, for trigger mode.
    fired: Vec<crate::trigger::Fired>,
    /// Events the filter dropped.
    pub dropped: u64,
}

/// One alert as it goes into the stream (pcapng journal entry).
struct JournalAlert {
    ts: u64,
    fields: Vec<(&'static str, String)>,
}

impl Watch {
    fn new() -> Self {
        Watch {
            state: scapbridge_formats::state::CaptureState::new(),
            num: 0,
            filter: None,
            rules: None,
            fired: Vec::new(),
            dropped: 0,
        }
    }

    fn metadata(&mut self, m: &Metadata) {
        match m {
            Metadata::Processes(p) => self.state.add_processes(p),
            Metadata::Fds { tid, fds } => self.state.add_fds(*tid, fds),
            Metadata::Users(u) => self.state.add_users(u),
            Metadata::MachineInfo(mi) => {
                if let Some(r) = &mut self.rules {
                    r.hostname = String::from_utf8_lossy(&mi.hostname)
                        .trim_end_matches('\0')
                        .to_string();
                }
            }
            _ => {}
        }
    }

    /// Updates the state; returns whether the filter keeps the event, and
    /// pushes the alerts it raised to `journal` when the stream carries them
    /// (rules see every event, kept or not).
    fn pass(
        &mut self,
        ev: &Event<'_>,
        mut journal: Option<&mut Vec<JournalAlert>>,
    ) -> Result<bool, CaptureError> {
        if scapbridge_formats::state::is_numbered(ev) {
            self.num += 1;
        }
        self.state.update(ev);
        let cx = scapbridge_filter::EvalContext {
            state: &self.state,
            num: self.num,
        };
        let keep = self.filter.as_ref().is_none_or(|f| f.matches(ev, cx));
        if !keep {
            self.dropped += 1;
        }
        self.fired.clear();
        if let Some(r) = &mut self.rules {
            let mut alerts = Vec::new();
            r.engine.check(ev, cx, &mut alerts);
            for a in &alerts {
                self.fired.push(crate::trigger::Fired {
                    ts: a.ts,
                    evtnum: self.num,
                    capture: a.rule.capture,
                    duration_ms: a.rule.capture_duration_ms,
                });
                // Falco's JSON is built only where it goes: the alert output
                // in JSON form, or the journal entry's FALCO_JSON.
                let json = (r.out.json || journal.is_some())
                    .then(|| a.falco_json(&r.hostname, &mut r.clock).to_string());
                let line = match &json {
                    Some(j) if r.out.json => j.clone(),
                    _ => a.text_line(&mut r.clock),
                };
                writeln!(r.out.out, "{line}")
                    .and_then(|()| r.out.out.flush())
                    .map_err(|source| CaptureError::Output {
                        target: r.out.target.clone(),
                        source,
                    })?;
                match r.fired.iter_mut().find(|(n, _)| *n == a.rule.name) {
                    Some((_, c)) => *c += 1,
                    None => r.fired.push((a.rule.name.clone(), 1)),
                }
                if let (Some(j), Some(json)) = (journal.as_deref_mut(), json) {
                    j.push(JournalAlert {
                        ts: a.ts,
                        fields: vec![
                            ("MESSAGE", format!("{}: {}", a.rule.name, a.text)),
                            ("PRIORITY", (a.rule.priority as u8).to_string()),
                            ("SYSLOG_IDENTIFIER", "scapbridge".to_string()),
                            ("FALCO_RULE", a.rule.name.clone()),
                            ("FALCO_PRIORITY", a.rule.priority.as_str().to_string()),
                            ("FALCO_SOURCE", a.rule.source.clone()),
                            ("FALCO_TAGS", a.rule.tags.join(",")),
                            ("FALCO_JSON", json),
                        ],
                    });
                }
            }
        }
        Ok(keep)
    }
}

/// Limits and counters in front of the output sink.
pub struct Pipeline<'a, W: Write> {
    out: ScapSink<W>,
    watch: Option<Watch>,
    trigger: Option<crate::trigger::TriggerWindow>,
    journal: Vec<JournalAlert>,
    count: Option<u64>,
    /// Events that reached the output as at least one block: what `count`
    /// limits.
    counted: u64,
    stats: CaptureStats,
    start: Instant,
    last_progress: Instant,
    progress: Option<Progress<'a>>,
}

impl<W: Write> fmt::Debug for Pipeline<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("stats", &self.stats)
            .finish()
    }
}

impl<'a, W: Write> Pipeline<'a, W> {
    /// A pipeline writing into `out`, stopping after `count` events if given.
    pub fn new(out: ScapSink<W>, count: Option<u64>, progress: Option<Progress<'a>>) -> Self {
        let now = Instant::now();
        Pipeline {
            out,
            watch: None,
            trigger: None,
            journal: Vec::new(),
            count,
            counted: 0,
            stats: CaptureStats::default(),
            start: now,
            last_progress: now,
            progress,
        }
    }

    /// Keeps only the events `filter` matches.
    pub fn with_filter(mut self, filter: Option<scapbridge_filter::Filter>) -> Self {
        if filter.is_some() {
            self.watch.get_or_insert_with(Watch::new).filter = filter;
        }
        self
    }

    /// Evaluates rules on every event; alerts go to their output and, in a
    /// pcapng capture, into the stream after the event that raised them.
    pub fn with_rules(mut self, rules: Option<RuleWatch>) -> Self {
        if rules.is_some() {
            self.watch.get_or_insert_with(Watch::new).rules = rules;
        }
        self
    }

    /// Writes only windows around alerts (see [`crate::trigger`]). Needs
    /// rules ([`Pipeline::with_rules`]): without them no window opens.
    pub fn with_trigger(mut self, trigger: Option<crate::trigger::TriggerWindow>) -> Self {
        self.trigger = trigger;
        self
    }

    /// Trigger mode's counters, if it runs.
    pub fn trigger(&self) -> Option<crate::trigger::TriggerStats> {
        self.trigger
            .as_ref()
            .map(crate::trigger::TriggerWindow::stats)
    }

    /// Notices of trigger mode (window files that failed), taken.
    pub fn take_notices(&mut self) -> Vec<String> {
        self.trigger
            .as_mut()
            .map(|t| std::mem::take(&mut t.notices))
            .unwrap_or_default()
    }

    /// Ends trigger mode (finishes the open window's file) and returns its
    /// counters and notices; call before [`Pipeline::finish`].
    pub fn end_trigger(&mut self) -> Option<(crate::trigger::TriggerStats, Vec<String>)> {
        let t = self.trigger.as_mut()?;
        t.finish();
        Some((t.stats(), std::mem::take(&mut t.notices)))
    }

    /// The rules' counters, if rules run.
    pub fn rules(&self) -> Option<&RuleWatch> {
        self.watch.as_ref().and_then(|w| w.rules.as_ref())
    }

    /// Counters so far.
    pub fn stats(&self) -> CaptureStats {
        let mut s = self.stats;
        s.filtered_out = self.watch.as_ref().map_or(0, |f| f.dropped);
        s.alerts = self.rules().map_or(0, RuleWatch::alerts);
        s.bytes = self.out.bytes();
        s.events_written = self.out.events();
        s.elapsed = self.start.elapsed();
        if let Some(t) = &self.trigger {
            // Held events reach the output when their window opens.
            s.events_out = t.stats().in_windows;
        }
        s
    }

    /// Ends the capture: flushes and returns the final counters.
    pub fn finish(mut self) -> Result<(CaptureStats, u64), CaptureError> {
        if let Some(t) = &mut self.trigger {
            t.finish();
        }
        let stats = self.stats();
        let dropped = self.out.dropped_metadata;
        let mut stats2 = stats;
        match self.out.finish() {
            Ok(_) => {}
            // The reader left during the last flush: what it took is whole.
            Err(CaptureError::Write { source, .. }) if is_broken_pipe(&source) => {}
            Err(e) => return Err(e),
        }
        stats2.elapsed = self.start.elapsed();
        Ok((stats2, dropped))
    }
}

impl<W: Write> EventSink for Pipeline<'_, W> {
    fn section(&mut self) -> Result<(), CaptureError> {
        if let Some(f) = &mut self.watch {
            f.state.reset();
        }
        self.out.section()
    }

    fn metadata(&mut self, m: Metadata) -> Result<(), CaptureError> {
        if let Some(f) = &mut self.watch {
            f.metadata(&m);
        }
        if let Some(t) = &mut self.trigger {
            t.metadata(&m);
        }
        self.out.metadata(m)
    }

    fn event(&mut self, ev: &Event<'_>) -> Result<Flow, CaptureError> {
        self.stats.events_in += 1;
        if ev.event_type() == schema::PPME_DROP_E && ev.direction() == Direction::Enter {
            self.stats.drops += 1;
        }
        let mut keep = true;
        if let Some(w) = &mut self.watch {
            let journal = self.out.carries_journal().then_some(&mut self.journal);
            keep = w.pass(ev, journal)?;
            if let Some(t) = &mut self.trigger {
                let v = t.event(ev, keep, &w.fired, &w.state, &mut self.out)?;
                if v == crate::trigger::Verdict::Hold {
                    // Alerts outside windows stay out of the stream too.
                    self.journal.clear();
                    keep = false;
                }
            }
        }
        // What `--count` counts is an event the reader gets: an enter the
        // stratoshark layout leaves out (libs 0.23 has none) is not one, as
        // sysdig's `--numevents` counts what it writes.
        let blocks_before = self.out.events();
        if keep {
            let f = self.out.event(ev)?;
            if f != Flow::Continue {
                return Ok(f);
            }
        }
        for j in self.journal.drain(..) {
            let fields: Vec<(&str, &str)> =
                j.fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            self.out.journal(j.ts, &fields)?;
        }
        if !keep {
            return Ok(Flow::Continue);
        }
        self.stats.events_out += 1;
        if self.out.events() > blocks_before {
            self.counted += 1;
        }
        if self.count.is_some_and(|c| self.counted >= c) {
            return Ok(Flow::Stop(StopReason::Count));
        }
        Ok(Flow::Continue)
    }

    fn flush(&mut self) -> Result<Flow, CaptureError> {
        let f = self.out.flush()?;
        if self.progress.is_some() && self.last_progress.elapsed() >= Duration::from_millis(250) {
            self.last_progress = Instant::now();
            let s = self.stats();
            if let Some(p) = &mut self.progress {
                p(&s);
            }
        }
        Ok(f)
    }
}

/// Compiles a capture filter (the sysdig/Falco syntax); a blank filter is
/// no filter.
pub fn check_filter(filter: Option<&str>) -> Result<Option<scapbridge_filter::Filter>, CaptureError> {
    match filter.map(str::trim) {
        None | Some("") => Ok(None),
        Some(f) => scapbridge_filter::Filter::new(f)
            .map(Some)
            .map_err(|source| CaptureError::Filter {
                text: f.to_string(),
                source,
            }),
    }
}

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
