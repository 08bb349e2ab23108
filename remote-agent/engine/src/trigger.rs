//! Capture only when rules fire: a [`TriggerWindow`] holds the recent
//! events in a bounded ring and lets through only windows around alerts —
//! the events of the last `pre` before the alert, the alert's event, and
//! live events until `post` after the last alert (an alert inside a window
//! extends it). Falco's own capture starts at the alert; the pre-trigger
//! ring is ours.
//!
//! Windows are measured in event time, as Falco measures its capture
//! deadline, so a replayed file yields the same windows as the live run.
//!
//! Memory: the ring holds at most `max_buffer` bytes of events, counting
//! each event's buffer (its capacity) plus [`HELD_OVERHEAD`]; when a burst overflows it, the
//! oldest events leave early and are counted
//! ([`TriggerStats::evicted_for_memory`]), so the pre-window of the next
//! alert may be shorter than `pre`.
//!
//! Each window can also go to its own file in a directory, named as Falco
//! names its captures (`<prefix>_<ts:020>_<evtnum:020>.scap`), with a state
//! snapshot first so the file stands alone.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use scapbridge_formats::meta::{FdInfo, Interface, MachineInfo, ProcessInfo, UserEntry};
use scapbridge_formats::state::CaptureState;
use scapbridge_formats::{Container, Event, Profile};

use crate::error::CaptureError;
use crate::scap_sink::ScapSink;
use crate::sink::{EventSink, Flow, Metadata};

/// Bytes charged per held event on top of its own bytes: the ring entry and
/// the allocator's bookkeeping of its buffer.
pub const HELD_OVERHEAD: u64 = 64;

/// Which alerts open a window (Falco's `capture.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TriggerMode {
    /// Any alert opens a window (`all_rules`).
    #[default]
    AllRules,
    /// Only alerts of rules with `capture: true` open one (`rules`); any
    /// alert extends an open window, as in Falco.
    Rules,
}

impl TriggerMode {
    /// `all_rules` or `rules`.
    pub fn parse(s: &str) -> Option<TriggerMode> {
        match s {
            "all_rules" => Some(TriggerMode::AllRules),
            "rules" => Some(TriggerMode::Rules),
            _ => None,
        }
    }
}

/// Settings of trigger mode.
#[derive(Debug, Clone)]
pub struct TriggerConfig {
    /// Events kept before an alert.
    pub pre: Duration,
    /// Events kept after the last alert of a window, unless the rule gives
    /// its own `capture_duration`.
    pub post: Duration,
    /// Most bytes the ring may hold (see [`HELD_OVERHEAD`]).
    pub max_buffer: u64,
    /// Which alerts open windows.
    pub mode: TriggerMode,
    /// Also write each window to its own file here.
    pub save_dir: Option<PathBuf>,
    /// Largest window file; a window stops being saved past it.
    pub save_max_bytes: u64,
    /// Event layout of the window files (the capture's own).
    pub layout: Profile,
}

impl Default for TriggerConfig {
    fn default() -> Self {
        TriggerConfig {
            pre: Duration::from_secs(5),
            post: Duration::from_secs(5),
            max_buffer: 64 << 20,
            mode: TriggerMode::AllRules,
            save_dir: None,
            save_max_bytes: 100 << 20,
            layout: Profile::Stratoshark,
        }
    }
}

impl TriggerConfig {
    /// Reads the trigger options (`trigger`, `trigger-mode`, `pre`, `post`,
    /// `max-buffer`, `save-dir`, `save-max-bytes`) through `get`, which
    /// gives an option's value or default. `None` when `trigger` is off.
    pub fn from_options(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<TriggerConfig>, crate::UsageError> {
        use crate::UsageError;
        if get("trigger").as_deref() != Some("true") {
            return Ok(None);
        }
        let bad = |option: &str, value: &str, expected: &'static str| UsageError::BadValue {
            option: format!("--{option}"),
            value: value.to_string(),
            expected: crate::Expected::Form(expected),
        };
        let mut cfg = TriggerConfig::default();
        if let Some(m) = get("trigger-mode") {
            cfg.mode = TriggerMode::parse(&m)
                .ok_or_else(|| bad("trigger-mode", &m, "all_rules or rules"))?;
        }
        for (name, slot) in [("pre", &mut cfg.pre), ("post", &mut cfg.post)] {
            if let Some(v) = get(name) {
                *slot = crate::text::parse_duration(&v)
                    .ok_or_else(|| bad(name, &v, "a time above 0 such as 10, 2.5s, 500ms or 3m"))?;
            }
        }
        for (name, slot) in [
            ("max-buffer", &mut cfg.max_buffer),
            ("save-max-bytes", &mut cfg.save_max_bytes),
        ] {
            if let Some(v) = get(name) {
                *slot = parse_bytes(&v)
                    .ok_or_else(|| bad(name, &v, "a size above 0 such as 65536, 64k, 16M or 1G"))?;
            }
        }
        cfg.save_dir = get("save-dir")
            .filter(|d| !d.trim().is_empty())
            .map(PathBuf::from);
        Ok(Some(cfg))
    }
}

/// One alert as trigger mode sees it.
#[derive(Debug, Clone)]
pub struct Fired {
    /// The alert event's time.
    pub ts: u64,
    /// Its event number.
    pub evtnum: u64,
    /// The rule has `capture: true`.
    pub capture: bool,
    /// The rule's `capture_duration` (ms), if it gives one.
    pub duration_ms: Option<u64>,
}

/// Counters of trigger mode.
#[derive(Debug, Clone, Copy, Default)]
pub struct TriggerStats {
    /// Windows opened.
    pub windows: u64,
    /// Events written inside windows.
    pub in_windows: u64,
    /// Events left out (outside every window).
    pub outside: u64,
    /// Events that left the ring early because it was full.
    pub evicted_for_memory: u64,
    /// Most bytes the ring held.
    pub peak_buffer: u64,
    /// Window files written.
    pub saved: u64,
}

/// An event waiting in the ring.
struct Held {
    ts: u64,
    cpu: u16,
    flags: Option<u32>,
    large: bool,
    raw: Vec<u8>,
}

impl Held {
    /// The bytes it holds: its buffer's capacity (a reused buffer may be
    /// larger than the event), plus the entry and allocator overhead.
    fn cost(&self) -> u64 {
        self.raw.capacity() as u64 + HELD_OVERHEAD
    }

    fn event(&self) -> Option<Event<'_>> {
        let mut ev = Event::parse(&self.raw, self.large).ok()?;
        ev.cpu = self.cpu;
        ev.dump_flags = self.flags;
        Some(ev)
    }
}

/// The window file being written, if saving.
struct Saving {
    sink: ScapSink<File>,
    path: PathBuf,
}

/// The ring and the window logic. Cancel/drop: dropping it drops the held
/// events; a window file being written is finished on a best-effort basis
/// (call [`TriggerWindow::finish`] to see errors).
pub struct TriggerWindow {
    cfg: TriggerConfig,
    ring: VecDeque<Held>,
    ring_bytes: u64,
    /// Buffers of evicted events, reused for new ones.
    spare: Vec<Vec<u8>>,
    /// Event-time end of the open window.
    deadline: Option<u64>,
    /// What the source said of the machine, for window files.
    machine: Option<MachineInfo>,
    interfaces: Vec<Interface>,
    users: Vec<UserEntry>,
    saving: Option<Saving>,
    /// A save-dir error already reported: saving stopped for good.
    save_failed: bool,
    /// Errors to report (one line each), taken by the caller.
    pub notices: Vec<String>,
    stats: TriggerStats,
    first_window_in_stream: bool,
}

impl std::fmt::Debug for TriggerWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TriggerWindow")
            .field("cfg", &self.cfg)
            .field("stats", &self.stats)
            .finish()
    }
}

/// What the pipeline must do with the current event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Write it (a window is open).
    Write,
    /// Leave it out (held in the ring, or filtered).
    Hold,
}

impl TriggerWindow {
    /// A trigger window with `cfg`. Checks the save directory now, so a
    /// wrong one fails before the capture starts.
    pub fn new(cfg: TriggerConfig) -> Result<TriggerWindow, CaptureError> {
        if let Some(dir) = &cfg.save_dir {
            std::fs::create_dir_all(dir).map_err(|source| CaptureError::Output {
                target: dir.display().to_string(),
                source,
            })?;
        }
        Ok(TriggerWindow {
            cfg,
            ring: VecDeque::new(),
            ring_bytes: 0,
            spare: Vec::new(),
            deadline: None,
            machine: None,
            interfaces: Vec::new(),
            users: Vec::new(),
            saving: None,
            save_failed: false,
            notices: Vec::new(),
            stats: TriggerStats::default(),
            first_window_in_stream: true,
        })
    }

    /// Counters so far.
    pub fn stats(&self) -> TriggerStats {
        self.stats
    }

    /// Whether a window is open.
    pub fn is_open(&self) -> bool {
        self.deadline.is_some()
    }

    /// Keeps what window files need of the source's metadata.
    pub fn metadata(&mut self, m: &Metadata) {
        match m {
            Metadata::MachineInfo(mi) => self.machine = Some(mi.clone()),
            Metadata::Interfaces(i) => self.interfaces = i.clone(),
            Metadata::Users(u) => self.users = u.clone(),
            _ => {}
        }
    }

    fn window_end(&self, f: &Fired) -> u64 {
        let post = match f.duration_ms {
            Some(ms) if ms > 0 => Duration::from_millis(ms),
            _ => self.cfg.post,
        };
        f.ts.saturating_add(post.as_nanos() as u64)
    }

    /// Decides for `ev` (`keep`: the capture filter kept it; `fired`: the
    /// alerts it raised; `state`: the capture state after it). When a
    /// window opens, writes the stream's snapshot (first window only: a
    /// libscap stream takes metadata before its first event only) and the
    /// held events to `out`, and starts the window file; the caller then
    /// writes `ev` itself on [`Verdict::Write`].
    pub fn event<W: io::Write>(
        &mut self,
        ev: &Event<'_>,
        keep: bool,
        fired: &[Fired],
        state: &CaptureState,
        out: &mut ScapSink<W>,
    ) -> Result<Verdict, CaptureError> {
        let ts = ev.ts();
        let opens = fired
            .iter()
            .any(|f| f.capture || self.cfg.mode == TriggerMode::AllRules);
        let end = fired.iter().map(|f| self.window_end(f)).max();
        if let Some(d) = self.deadline {
            let d = end.map_or(d, |e| d.max(e));
            if ts > d {
                self.close_window();
            } else {
                self.deadline = Some(d);
            }
        }
        if self.deadline.is_none() && opens {
            let evtnum = fired.first().map_or(0, |f| f.evtnum);
            self.open_window(ts, evtnum, state, out)?;
            self.deadline = end;
        }
        if !keep {
            return Ok(Verdict::Hold);
        }
        if self.deadline.is_some() {
            self.stats.in_windows += 1;
            self.save(ev);
            return Ok(Verdict::Write);
        }
        self.hold(ev);
        Ok(Verdict::Hold)
    }

    /// Drops the held events older than `pre` before `ts`.
    fn trim(&mut self, ts: u64) {
        let horizon = ts.saturating_sub(self.cfg.pre.as_nanos() as u64);
        while self.ring.front().is_some_and(|h| h.ts < horizon) {
            self.evict();
            self.stats.outside += 1;
        }
    }

    fn hold(&mut self, ev: &Event<'_>) {
        self.trim(ev.ts());
        if ev.raw().len() as u64 + HELD_OVERHEAD > self.cfg.max_buffer {
            self.stats.outside += 1;
            return;
        }
        let mut raw = self.spare.pop().unwrap_or_default();
        raw.clear();
        raw.extend_from_slice(ev.raw());
        let held = Held {
            ts: ev.ts(),
            cpu: ev.cpu,
            flags: ev.dump_flags,
            large: ev.is_large(),
            raw,
        };
        let cost = held.cost();
        while self.ring_bytes + cost > self.cfg.max_buffer && !self.ring.is_empty() {
            self.evict();
            self.stats.evicted_for_memory += 1;
            self.stats.outside += 1;
        }
        self.ring.push_back(held);
        self.ring_bytes += cost;
        self.stats.peak_buffer = self.stats.peak_buffer.max(self.ring_bytes);
    }

    fn evict(&mut self) {
        if let Some(h) = self.ring.pop_front() {
            self.ring_bytes -= h.cost();
            self.recycle(h.raw);
        }
    }

    /// Keeps a bounded number of small event buffers for reuse (at most
    /// 4096 of up to 1 KiB: 4 MiB outside the ring's bound). A large one
    /// (a read's data) is freed: reused for small events, it would hold
    /// memory the ring's accounting does not see, and the agent's resident
    /// memory grew past --max-buffer on a busy machine.
    fn recycle(&mut self, raw: Vec<u8>) {
        if self.spare.len() < 4096 && raw.capacity() <= 1024 {
            self.spare.push(raw);
        }
    }

    fn open_window<W: io::Write>(
        &mut self,
        ts: u64,
        evtnum: u64,
        state: &CaptureState,
        out: &mut ScapSink<W>,
    ) -> Result<(), CaptureError> {
        self.stats.windows += 1;
        // The ring was last trimmed for the event before the alert: events
        // just outside `pre` of the alert itself may still be held (found
        // with sparse CloudTrail records, one per second).
        self.trim(ts);
        // The snapshot copies the whole state: only when something takes it.
        let saving = self.cfg.save_dir.is_some() && !self.save_failed;
        if self.first_window_in_stream || saving {
            let (procs, fds) = state.snapshot();
            // The containers known so far open the window, so it stands
            // alone: its threads' container fields resolve (libs' container
            // manager writes them first in a new file the same way).
            let start = self.ring.front().map_or(ts, |h| h.ts).min(ts);
            let containers: Vec<Vec<u8>> = state
                .containers()
                .map(|c| c.to_event(start).encode())
                .collect();
            let first = self.first_window_in_stream;
            if first {
                out.replace_state(procs.clone(), fds.clone());
                self.first_window_in_stream = false;
            }
            if saving {
                self.start_saving(ts, evtnum, procs, fds);
            }
            for raw in &containers {
                let Ok(ev) = Event::parse(raw, true) else {
                    continue;
                };
                if first {
                    out.event(&ev)?;
                }
                self.save(&ev);
            }
        }
        let held = std::mem::take(&mut self.ring);
        for h in &held {
            if let Some(ev) = h.event() {
                out.event(&ev)?;
                self.save(&ev);
                self.stats.in_windows += 1;
            }
        }
        self.ring_bytes = 0;
        for h in held {
            self.recycle(h.raw);
        }
        Ok(())
    }

    fn start_saving(
        &mut self,
        ts: u64,
        evtnum: u64,
        procs: Vec<ProcessInfo>,
        fds: Vec<(u64, Vec<FdInfo>)>,
    ) {
        let Some(dir) = self.cfg.save_dir.clone() else {
            return;
        };
        // Created new, never through a symlink or over what is there: the
        // directory may be shared (/var/tmp) and the names predictable.
        let stem = window_stem(ts, evtnum);
        let r = crate::fsio::create_new_in(&dir, &stem, ".scap")
            .map_err(|source| CaptureError::Output {
                target: window_path(&dir, ts, evtnum).display().to_string(),
                source,
            })
            .and_then(|(f, path)| {
                // A plain file: on a full disk the sink cuts it back to
                // its last whole block (a BufWriter would hide how much
                // reached the disk).
                let mut sink = ScapSink::for_file(
                    f,
                    &path.display().to_string(),
                    self.cfg.layout,
                    Container::Scap,
                )?;
                if let Some(mi) = &self.machine {
                    sink.metadata(Metadata::MachineInfo(mi.clone()))?;
                }
                sink.metadata(Metadata::Interfaces(self.interfaces.clone()))?;
                sink.metadata(Metadata::Users(self.users.clone()))?;
                sink.replace_state(procs, fds);
                Ok((sink, path))
            });
        match r {
            Ok((sink, path)) => self.saving = Some(Saving { sink, path }),
            Err(e) => self.save_error(e),
        }
    }

    fn save(&mut self, ev: &Event<'_>) {
        let Some(s) = &mut self.saving else {
            return;
        };
        // --save-max-bytes is a cap on the file, not a point after which
        // writing stops: an event that would cross it is cut off again (the
        // file ends on the whole block before it), and a window whose
        // header and process table alone cross it is not kept at all.
        let before = s.sink.bytes();
        let first = s.sink.events() == 0;
        let r = s.sink.event(ev);
        let over = s.sink.bytes() > self.cfg.save_max_bytes;
        match r {
            Ok(Flow::Continue) if !over => {}
            Ok(_) if over => {
                let Some(s) = self.saving.take() else { return };
                let path = s.path.display().to_string();
                let max = self.cfg.save_max_bytes;
                let kept = if first {
                    drop(s.sink);
                    let _ = std::fs::remove_file(&s.path);
                    format!("window file {path} not kept: its header and process table alone pass --save-max-bytes ({max} bytes)")
                } else {
                    match s.sink.finish().and_then(|f| {
                        f.set_len(before).map_err(|source| CaptureError::Output {
                            target: path.clone(),
                            source,
                        })
                    }) {
                        Ok(()) => {
                            self.stats.saved += 1;
                            format!("window file {path} reached --save-max-bytes ({max} bytes; it ends at {before}): the rest of this window is only in the stream")
                        }
                        Err(e) => {
                            self.save_error(e);
                            return;
                        }
                    }
                };
                self.notices.push(kept);
            }
            Ok(_) => self.end_saving(),
            Err(e) => {
                self.saving = None;
                self.save_error(e);
            }
        }
    }

    fn end_saving(&mut self) {
        if let Some(s) = self.saving.take() {
            match s.sink.finish() {
                Ok(_) => self.stats.saved += 1,
                Err(e) => self.save_error(e),
            }
        }
    }

    fn save_error(&mut self, e: CaptureError) {
        self.save_failed = true;
        self.notices
            .push(format!("saving windows stopped: {e}; the stream goes on"));
    }

    fn close_window(&mut self) {
        self.deadline = None;
        self.end_saving();
    }

    /// Ends the open window's file, if any; reports errors as notices.
    pub fn finish(&mut self) {
        self.end_saving();
    }
}

/// `<dir>/scapbridge_<ts:020>_<evtnum:020>.scap`, Falco's capture naming.
pub fn window_path(dir: &Path, ts: u64, evtnum: u64) -> PathBuf {
    dir.join(format!("{}.scap", window_stem(ts, evtnum)))
}

fn window_stem(ts: u64, evtnum: u64) -> String {
    format!("scapbridge_{ts:020}_{evtnum:020}")
}

/// Parses a byte size: `1048576`, `64k`, `16M`, `1G` (binary units; `KiB`,
/// `MiB`, `GiB` too).
pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim() {
        "" | "B" => 1,
        "k" | "K" | "KiB" | "kB" => 1 << 10,
        "m" | "M" | "MiB" | "MB" => 1 << 20,
        "g" | "G" | "GiB" | "GB" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult).filter(|&v| v > 0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_bytes("64k"), Some(64 << 10));
        assert_eq!(parse_bytes("16MiB"), Some(16 << 20));
        assert_eq!(parse_bytes("100"), Some(100));
        assert_eq!(parse_bytes("0"), None);
        assert_eq!(parse_bytes("x"), None);
        assert_eq!(parse_bytes("5T"), None);
    }

    #[test]
    fn falco_naming() {
        assert_eq!(
            window_path(Path::new("/d"), 1648178040000000000, 1011),
            PathBuf::from("/d/scapbridge_01648178040000000000_00000000000000001011.scap")
        );
    }
}
