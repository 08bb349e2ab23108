//! `scapbridge-replay`: a capture file streamed as a live interface, at the
//! recorded pace, N times faster, or as fast as the reader takes it,
//! optionally in a loop.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use scapbridge_formats::{Event, Item, ReaderOptions, ScapReader};

use scapbridge_engine::capture::{
    CaptureControl, CaptureError, EventSink, Flow, Level, Metadata, Source, StopReason,
};
use scapbridge_engine::fsio::InputFile;
use scapbridge_engine::{Expected, UsageError};

/// Replay pace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// `factor` times the recorded pace (1 = as recorded).
    Factor(f64),
    /// As fast as the reader takes events.
    Max,
}

impl Speed {
    /// Parses `1`, `2.5`, `10x`, `max`.
    pub fn parse(s: &str) -> Result<Speed, UsageError> {
        let t = s.trim().to_ascii_lowercase();
        if t == "max" {
            return Ok(Speed::Max);
        }
        let num = t.strip_suffix('x').unwrap_or(&t);
        match num.parse::<f64>() {
            Ok(f) if f.is_finite() && f > 0.0 => Ok(Speed::Factor(f)),
            _ => Err(UsageError::BadValue {
                option: "--speed".into(),
                value: s.to_string(),
                expected: Expected::Form(
                    "a factor above 0 such as 1 (the recorded pace), 2.5 or 10x, or max",
                ),
            }),
        }
    }
}

/// Events between two flushes at full speed: small enough that the analyzer
/// sees events within milliseconds, large enough to amortise the syscall.
const BATCH: u32 = 512;

/// Longest wait between two events at any speed: captures with bogus
/// timestamps (a zero-stamped event before 2017 ones) would otherwise stall a
/// replay for years. Longer gaps are cut to nothing and logged.
const MAX_GAP: Duration = Duration::from_secs(60);

/// Gap inserted between two passes of a loop.
const LOOP_GAP_NS: u64 = 1_000_000;

/// The replay source. Opening checks the file; nothing is read until `run`.
#[derive(Debug)]
pub struct Replay {
    path: PathBuf,
    speed: Speed,
    looping: bool,
    scratch: Vec<u8>,
    /// The reader opened to check the header, used for the first pass: a
    /// FIFO cannot be opened twice for the same stream.
    first: Option<ScapReader<InputFile>>,
}

impl Replay {
    /// Checks that `path` is a readable capture (its header parses). A FIFO
    /// or another special file works, without `looping`; waiting for its
    /// writer obeys SIGTERM (see [`scapbridge_engine::fsio`]).
    pub fn open(path: &Path, speed: Speed, looping: bool) -> Result<Replay, CaptureError> {
        let (first, special) = reader(path)?;
        if looping && special {
            return Err(UsageError::BadValue {
                option: "--loop".into(),
                value: path.display().to_string(),
                expected: Expected::Form(
                    "a regular file to read again (this one is a FIFO or device)",
                ),
            }
            .into());
        }
        Ok(Replay {
            path: path.to_path_buf(),
            speed,
            looping,
            scratch: Vec::new(),
            first: Some(first),
        })
    }
}

/// The reader, and whether the file is a FIFO or another special file.
fn reader(path: &Path) -> Result<(ScapReader<InputFile>, bool), CaptureError> {
    let f = InputFile::open(path).map_err(|source| CaptureError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let special = f.is_special();
    ScapReader::with_options(f, ReaderOptions::skipping_unknown_events())
        .map(|r| (r, special))
        .map_err(|source| CaptureError::Read {
            path: path.to_path_buf(),
            source,
        })
}

/// Pacing state: maps capture time to wall time.
struct Clock {
    speed: Speed,
    /// (first event ts, wall time it was sent)
    origin: Option<(u64, Instant)>,
}

impl Clock {
    fn rebase(&mut self, ts: u64) {
        self.origin = Some((ts, Instant::now()));
    }

    /// How long to wait before sending an event stamped `ts`.
    fn wait_for(&mut self, ts: u64) -> Duration {
        let Speed::Factor(f) = self.speed else {
            return Duration::ZERO;
        };
        let Some((t0, w0)) = self.origin else {
            self.rebase(ts);
            return Duration::ZERO;
        };
        let due = w0 + Duration::from_secs_f64(ts.saturating_sub(t0) as f64 / 1e9 / f);
        due.saturating_duration_since(Instant::now())
    }
}

impl Source for Replay {
    fn describe(&self) -> String {
        let pace = match self.speed {
            Speed::Max => "as fast as possible".to_string(),
            Speed::Factor(f) => {
                if f == 1.0 {
                    "at the recorded pace".to_string()
                } else {
                    format!("at {f}× the recorded pace")
                }
            }
        };
        format!(
            "replaying {} {pace}{}",
            self.path.display(),
            if self.looping { ", in a loop" } else { "" }
        )
    }

    fn run(
        &mut self,
        sink: &mut dyn EventSink,
        ctl: &CaptureControl,
    ) -> Result<StopReason, CaptureError> {
        let mut clock = Clock {
            speed: self.speed,
            origin: None,
        };
        // Added to every timestamp of the current pass, so a loop reads as one
        // continuous capture.
        let mut offset: u64 = 0;
        let (mut min_ts, mut max_ts) = (u64::MAX, 0u64);
        let mut pass: u64 = 0;
        let mut since_flush: u32 = 0;
        let mut last_ts = 0u64;
        ctl.toolbar.status(&self.describe());
        loop {
            let mut rd = match self.first.take() {
                Some(r) => r,
                None => reader(&self.path)?.0,
            };
            let mut sections = 0u32;
            let mut restarted = false;
            loop {
                let item = match rd.next_item() {
                    Ok(i) => i,
                    // A FIFO's wait gave up on SIGTERM/SIGINT.
                    Err(_) if scapbridge_engine::fsio::stop_requested() => {
                        return Ok(StopReason::Signal)
                    }
                    Err(source) => {
                        return Err(CaptureError::Read {
                            path: self.path.clone(),
                            source,
                        })
                    }
                };
                let Some(item) = item else { break };
                let ev = match item {
                    Item::Section(_) => {
                        sections += 1;
                        if pass == 0 && sections > 1 {
                            sink.section()?;
                        }
                        continue;
                    }
                    Item::Event(ev) => ev,
                    // Metadata goes out once: later passes reuse the tables.
                    other => {
                        if let (0, Some(m)) = (pass, Metadata::from_item(other)) {
                            sink.metadata(m)?;
                        }
                        continue;
                    }
                };
                let ts = ev.ts();
                if pass == 0 {
                    min_ts = min_ts.min(ts);
                    max_ts = max_ts.max(ts);
                }
                // Pace, flushing first so the analyzer has everything before we wait.
                let mut wait = clock.wait_for(ts);
                if wait > MAX_GAP {
                    ctl.log.log(
                        Level::Info,
                        &format!(
                            "a gap of {:.0} s in the recorded timestamps was skipped",
                            wait.as_secs_f64()
                        ),
                    );
                    clock.rebase(ts);
                    wait = Duration::ZERO;
                }
                if wait > Duration::from_millis(1) {
                    if let Flow::Stop(r) = sink.flush()? {
                        return Ok(r);
                    }
                    since_flush = 0;
                    if let Some(r) = ctl.sleep(wait) {
                        return Ok(r);
                    }
                }
                if ctl.paused() {
                    if let Flow::Stop(r) = sink.flush()? {
                        return Ok(r);
                    }
                    ctl.toolbar.status("paused");
                    ctl.log.log(Level::Info, "replay paused");
                    while ctl.paused()
                        && !ctl
                            .toolbar
                            .state
                            .restart
                            .load(std::sync::atomic::Ordering::SeqCst)
                    {
                        if let Some(r) = ctl.sleep(Duration::from_millis(50)) {
                            return Ok(r);
                        }
                    }
                    ctl.toolbar.status(&self.describe());
                    ctl.log.log(Level::Info, "replay resumed");
                    clock.rebase(ts);
                }
                if ctl.take_restart() {
                    restarted = true;
                    break;
                }
                if let Some(r) = ctl.stop_reason() {
                    sink.flush()?;
                    return Ok(r);
                }
                let new_ts = ts + offset;
                let moved = if offset > 0 {
                    shifted(&ev, new_ts, &mut self.scratch)
                } else {
                    None
                };
                let flow = sink.event(moved.as_ref().unwrap_or(&ev))?;
                last_ts = last_ts.max(new_ts);
                if let Flow::Stop(r) = flow {
                    sink.flush()?;
                    return Ok(r);
                }
                since_flush += 1;
                if since_flush >= BATCH {
                    since_flush = 0;
                    if let Flow::Stop(r) = sink.flush()? {
                        return Ok(r);
                    }
                }
            }
            if let Flow::Stop(r) = sink.flush()? {
                return Ok(r);
            }
            since_flush = 0;
            let skipped: u64 = rd.stats().unknown_events.values().sum();
            if skipped > 0 && pass == 0 {
                ctl.log.log(
                    Level::Warning,
                    &format!("{skipped} events of ids this build does not know were skipped"),
                );
            }
            if !self.looping && !restarted {
                ctl.toolbar
                    .status(&format!("replay of {} finished", self.path.display()));
                return Ok(StopReason::EndOfInput);
            }
            if min_ts == u64::MAX {
                // An empty file in a loop would spin: stop instead.
                return Ok(StopReason::EndOfInput);
            }
            pass += 1;
            // The next pass starts just after the last event sent.
            offset = (last_ts + LOOP_GAP_NS).saturating_sub(min_ts);
            clock.origin = None;
            ctl.log.log(
                Level::Info,
                &format!(
                    "{} pass {}",
                    if restarted { "restart:" } else { "loop:" },
                    pass + 1
                ),
            );
            if restarted {
                ctl.toolbar
                    .status(&format!("restarted: {}", self.describe()));
            }
        }
    }
}

/// `ev` with its timestamp replaced, re-parsed over `scratch`; `None` only
/// if bytes that parsed a moment ago stopped parsing (then the caller sends
/// the event unshifted rather than fail).
fn shifted<'s>(ev: &Event<'_>, ts: u64, scratch: &'s mut Vec<u8>) -> Option<Event<'s>> {
    scratch.clear();
    scratch.extend_from_slice(ev.raw());
    scratch.get_mut(..8)?.copy_from_slice(&ts.to_le_bytes());
    let mut e = Event::parse(scratch, ev.is_large()).ok()?;
    e.cpu = ev.cpu;
    e.dump_flags = ev.dump_flags;
    e.block_type = ev.block_type;
    e.offset = ev.offset;
    Some(e)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn speeds() {
        assert_eq!(Speed::parse("1").unwrap(), Speed::Factor(1.0));
        assert_eq!(Speed::parse("10x").unwrap(), Speed::Factor(10.0));
        assert_eq!(Speed::parse(" MAX ").unwrap(), Speed::Max);
        assert!(Speed::parse("0").is_err());
        assert!(Speed::parse("fast").is_err());
        assert!(Speed::parse("-2").is_err());
        assert!(Speed::parse("nan").is_err());
    }
}
