//! Log lines, stop requests (signals, the toolbar, limits) and what a
//! source consults while it runs.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::control::Toolbar;
use crate::error::StopReason;

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
    duration: Option<Duration>,
    /// When the duration counts from: the control's creation, or where the
    /// source said capturing began ([`CaptureControl::capturing_from_now`]).
    since: Arc<std::sync::Mutex<Instant>>,
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
            duration,
            since: Arc::new(std::sync::Mutex::new(Instant::now())),
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
        if let Some(d) = self.duration {
            let since = *self.since.lock().unwrap_or_else(|e| e.into_inner());
            if since.elapsed() >= d {
                return Some(StopReason::Duration);
            }
        }
        None
    }

    /// Restarts the duration's clock: a source whose set-up takes time
    /// (loading the probe, reading `/proc`) calls it when the first events
    /// can arrive, so `--duration N` gives N seconds of events however long
    /// the set-up took. Clones share the clock.
    pub fn capturing_from_now(&self) {
        *self.since.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::Toolbar;

    #[test]
    fn the_duration_counts_from_when_capturing_began() {
        let log = Logger::new(Level::Warning, None, Toolbar::none()).expect("logger");
        let ctl = CaptureControl::new(
            Arc::new(AtomicBool::new(false)),
            Some(Duration::from_millis(100)),
            Toolbar::none(),
            log,
        );
        // A slow set-up (the probe's load) outlasts the duration...
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(ctl.stop_reason(), Some(StopReason::Duration));
        // ...but the capture's N seconds start when events can arrive, and
        // a clone (the source's copy) shares the clock.
        ctl.clone().capturing_from_now();
        assert_eq!(ctl.stop_reason(), None);
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(ctl.stop_reason(), Some(StopReason::Duration));
    }
}
