//! The sink that writes the scap or pcapng stream.

use std::fmt;
use std::fs::File;
use std::io::Write;

use scapbridge_formats::meta::{FdInfo, Interface, MachineInfo, ProcessInfo, UserEntry};
use scapbridge_formats::schema::{self};
use scapbridge_formats::{
    Container, Event, OwnedEvent, Profile, ProfileAdapter, ScapWriter, WriteError, WriterOptions,
};

use crate::error::{CaptureError, StopReason};
use crate::output::{cut_back, is_broken_pipe, Output, OutputWriter};
use crate::sink::{EventSink, Flow, Metadata};

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
    /// Alerts raised on an enter the layout holds (to merge into its exit),
    /// by thread: written right after that thread's next event, so the
    /// alert row follows the row of the event that raised it.
    held_alerts: Vec<(u64, OwnedEvent)>,
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
            held_alerts: Vec::new(),
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
        let mut p = std::mem::take(&mut self.pending);
        if let Some(a) = &self.adapter {
            a.adapt_processes(&mut p.procs);
        }
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
            // Most live events are in the layout already: written from the
            // borrowed bytes, no owned copy (a Vec per parameter).
            Some(a) if a.unchanged(ev) => {
                self.w.write_event(ev)?;
                self.write_alerts_of(ev.tid())
            }
            Some(a) => {
                self.buf.clear();
                a.adapt(ev.to_owned_event(), &mut self.buf);
                for i in 0..self.buf.len() {
                    self.w.write_owned(&self.buf[i])?;
                    self.write_alerts_of(self.buf[i].tid)?;
                }
                Ok(())
            }
        }
    }

    /// Writes the held alerts of thread `tid` after an event of it.
    fn write_alerts_of(&mut self, tid: u64) -> Result<(), WriteError> {
        let mut i = 0;
        while i < self.held_alerts.len() {
            if self.held_alerts[i].0 == tid {
                let (_, alert) = self.held_alerts.remove(i);
                self.w.write_owned(&alert)?;
            } else {
                i += 1;
            }
        }
        Ok(())
    }

    /// Writes the alerts still waiting for their thread's exit (at a section
    /// end or the end of the stream, where no exit will come).
    fn write_held_alerts(&mut self) -> Result<(), WriteError> {
        for (_, alert) in std::mem::take(&mut self.held_alerts) {
            self.w.write_owned(&alert)?;
        }
        Ok(())
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
    ///
    /// `enter_tid` is the thread of the enter event that raised the alert,
    /// if it was one and was written: the `stratoshark` layout merges that
    /// enter into its exit, so the alert waits for the exit and follows it
    /// (it is written at the latest when the section or stream ends).
    pub fn journal(
        &mut self,
        ts: u64,
        enter_tid: Option<u64>,
        fields: &[(&str, &str)],
    ) -> Result<(), CaptureError> {
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
            let held = self
                .adapter
                .as_ref()
                .and_then(|a| enter_tid.filter(|&t| a.holds_enter(t)));
            if let Some(tid) = held {
                self.held_alerts.push((tid, ev));
                return Ok(());
            }
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
        if let Err(e) = self.write_held_alerts() {
            return Err(self.fail(e));
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
            if let Err(e) = self.write_held_alerts().and_then(|()| self.w.new_section()) {
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
