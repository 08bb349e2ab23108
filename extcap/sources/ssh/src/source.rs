//! The `scapbridge-ssh` source: the remote command's scap stream, parsed as
//! it arrives and pushed into the pipeline event by event, so a link that
//! dies mid-block leaves the output on its last whole block.

use std::io::{self, Read, Write};
use std::sync::atomic::Ordering;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scapbridge_formats::{Item, ReaderOptions, ScapReader};

use crate::failure::RemoteFailure;
use crate::session::{self, Chunk, Session, Target};
use scapbridge_engine::capture::{
    AlertOutput, CaptureControl, CaptureError, EventSink, Flow, Level, Metadata, Source, StopReason,
};

/// What the remote side said besides its stream.
#[derive(Default)]
struct Remote {
    /// Remote stderr not yet split into lines.
    partial: Vec<u8>,
    /// Remote stderr lines that are not alerts, for the end report.
    stderr: Vec<u8>,
    /// With rules on the host: its alert lines go here as they arrive.
    alerts_out: Option<AlertOutput>,
    alerts: u64,
    exit: Option<u32>,
    signal: Option<String>,
    lost: bool,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("alerts", &self.alerts)
            .finish_non_exhaustive()
    }
}

impl Remote {
    /// Splits remote stderr into lines: with rules on the host, the agent's
    /// alert lines (anything not prefixed `scapbridge-agent:`) go to the
    /// alert output at once; the rest is kept for the end.
    fn take_stderr(&mut self, bytes: &[u8]) {
        if self.alerts_out.is_none() {
            self.stderr.extend_from_slice(bytes);
            return;
        }
        self.partial.extend_from_slice(bytes);
        while let Some(nl) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=nl).collect();
            if line.starts_with(b"scapbridge-agent:") || line.trim_ascii().is_empty() {
                self.stderr.extend_from_slice(&line);
            } else if let Some(out) = self.alerts_out.as_mut() {
                self.alerts += 1;
                // A full alert file must not stop the capture; the count
                // (and the exit status) still tell.
                let _ = out.out.write_all(&line);
                let _ = out.out.flush();
            }
        }
    }
}

/// A `Read` over the session's chunks; it gives up when the capture is
/// asked to stop.
struct ChunkReader<'a> {
    session: &'a Session,
    ctl: &'a CaptureControl,
    pending: Vec<u8>,
    pos: usize,
    remote: Arc<Mutex<Remote>>,
    stopped: Option<StopReason>,
}

impl Read for ChunkReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.pending.len() {
            if let Some(r) = self.ctl.stop_reason() {
                self.stopped = Some(r);
                return Err(io::Error::other("capture stopped"));
            }
            let got = self.session.rx.recv_timeout(Duration::from_millis(100));
            if got.is_ok() {
                self.session.queued.fetch_sub(1, Ordering::AcqRel);
            }
            match got {
                Ok(Chunk::Data(d)) => {
                    self.pending = d;
                    self.pos = 0;
                }
                Ok(Chunk::Stderr(e)) => {
                    if let Ok(mut r) = self.remote.lock() {
                        r.take_stderr(&e);
                    }
                }
                Ok(Chunk::Exit(code)) => {
                    if let Ok(mut r) = self.remote.lock() {
                        r.exit = Some(code);
                    }
                }
                Ok(Chunk::Signal { name }) => {
                    if let Ok(mut r) = self.remote.lock() {
                        r.signal = Some(name);
                    }
                }
                Ok(Chunk::End { lost }) => {
                    if let Ok(mut r) = self.remote.lock() {
                        r.lost = lost;
                    }
                    return Ok(0);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The SSH source. Opening connects, checks the host key, authenticates and
/// starts the remote command, so every such failure is reported before the
/// capture starts. Drop: the session closes (see [`Session`]).
#[derive(Debug)]
pub struct SshSource {
    target: Target,
    command: String,
    session: Option<Session>,
    summary: Option<String>,
    remote: Arc<Mutex<Remote>>,
    rules_on_host: bool,
}

impl SshSource {
    /// Connects to `target` and starts `command` there; `stdin`, if any,
    /// is sent to the command once it runs (the rules for the agent), and
    /// then means the rules are evaluated on the host.
    pub fn open(
        target: Target,
        command: String,
        stdin: Option<Vec<u8>>,
    ) -> Result<SshSource, CaptureError> {
        let rules_on_host = stdin.is_some();
        let session = session::start(target.clone(), command.clone(), stdin)
            .map_err(|e| CaptureError::Source(Box::new(e)))?;
        Ok(SshSource {
            target,
            command,
            session: Some(session),
            summary: None,
            remote: Arc::new(Mutex::new(Remote::default())),
            rules_on_host,
        })
    }
}

impl Source for SshSource {
    fn run(
        &mut self,
        sink: &mut dyn EventSink,
        ctl: &CaptureControl,
    ) -> Result<StopReason, CaptureError> {
        let Some(session) = self.session.as_ref() else {
            return Ok(StopReason::EndOfInput);
        };
        let remote = self.remote.clone();
        let name = format!("{}@{}", self.target.user, self.target.host);
        let reader = ChunkReader {
            session,
            ctl,
            pending: Vec::new(),
            pos: 0,
            remote: remote.clone(),
            stopped: None,
        };
        ctl.toolbar.status(&self.describe());
        let mut stream_error = None;
        let mut outcome = StopReason::EndOfInput;
        match ScapReader::with_options(reader, ReaderOptions::skipping_unknown_events()) {
            Err(e) => stream_error = Some(e),
            Ok(mut rd) => loop {
                let item = match rd.next_item() {
                    Ok(Some(i)) => i,
                    Ok(None) => break,
                    Err(e) => {
                        stream_error = Some(e);
                        break;
                    }
                };
                match item {
                    Item::Event(ev) => {
                        if let Flow::Stop(r) = sink.event(&ev)? {
                            outcome = r;
                            break;
                        }
                        // Nothing more in flight: the reader is about to wait
                        // (or the rest is already in its buffer), so what we
                        // hold goes out now; under load the queue is rarely
                        // empty and batches stay large.
                        if session.queued.load(Ordering::Acquire) == 0 {
                            if let Flow::Stop(r) = sink.flush()? {
                                outcome = r;
                                break;
                            }
                        }
                    }
                    Item::Section(_) => sink.section()?,
                    other => {
                        if let Some(m) = Metadata::from_item(other) {
                            sink.metadata(m)?;
                        }
                    }
                }
            },
        }
        // Close the session first: the remote command ends and its stderr
        // and exit status arrive.
        drop(self.session.take());
        let r = remote.lock().map(|r| {
            (
                String::from_utf8_lossy(&r.stderr).trim().to_string(),
                r.exit,
                r.signal.clone(),
                r.lost,
            )
        });
        let (stderr, exit, signal, lost) = r.unwrap_or_default();
        if let Some(stop) = ctl.stop_reason() {
            return Ok(stop);
        }
        if outcome != StopReason::EndOfInput {
            return Ok(outcome);
        }
        let first = stderr.lines().last().unwrap_or("").to_string();
        let fail = |f: RemoteFailure| Err(CaptureError::Source(Box::new(f)));
        if lost {
            return fail(RemoteFailure::Lost { host: name });
        }
        if let Some(signal) = signal {
            return fail(RemoteFailure::Killed { host: name, signal });
        }
        match (exit, stream_error) {
            // 3: the agent's "done, and a rule fired".
            (Some(code), _) if code != 0 && code != 3 => fail(RemoteFailure::Exit {
                host: name,
                code,
                stderr: first,
            }),
            (_, Some(e)) => fail(RemoteFailure::BrokenStream {
                host: name,
                error: std::sync::Arc::new(e),
                stderr: first,
            }),
            _ => {
                if !stderr.is_empty() {
                    ctl.log
                        .log(Level::Info, &format!("remote stderr: {stderr}"));
                }
                self.summary = exit.map(|c| format!("  remote     exit status {c}\n"));
                Ok(StopReason::EndOfInput)
            }
        }
    }

    fn describe(&self) -> String {
        format!(
            "{}@{}:{} running {}",
            self.target.user, self.target.host, self.target.port, self.command
        )
    }

    fn report(&self) -> Option<String> {
        self.summary.clone()
    }

    fn evaluates_rules(&self) -> bool {
        self.rules_on_host
    }

    fn set_alert_output(&mut self, out: AlertOutput) {
        if let Ok(mut r) = self.remote.lock() {
            r.alerts_out = Some(out);
        }
    }

    fn alerts(&self) -> u64 {
        self.remote.lock().map_or(0, |r| r.alerts)
    }
}
