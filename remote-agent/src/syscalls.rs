//! `scapbridge-syscalls`: live system calls of this machine from the eBPF
//! probe, optionally only those of one process tree or of a command we
//! start (`scapbridge capture -i scapbridge-syscalls -- make test`).
//!
//! The probe submits without wake-ups; this source drains the ring, sleeps
//! at most 1 ms when it is empty (the ring sizing rule of the probe notes:
//! 8 MiB covers more than 1 M events/s at that poll interval) and hands the
//! events to the sink. Kernel drops become `drop` events in the stream and a
//! line of the summary.

use std::path::Path;
use std::time::{Duration, Instant};

use scapbridge_formats::{Event, OwnedEvent};
use scapbridge_probe::{procfs, record, Probe, ProbeOptions, ProbeStats};

use scapbridge_engine::capture::{
    CaptureControl, CaptureError, CommandFault, EventSink, Flow, Level, Metadata, Source,
    StopReason,
};
use scapbridge_engine::{Expected, UsageError};

use crate::scope::ContainerScope;

/// `PPME_DROP_E`: the stream's mark of lost events.
const DROP_E: u16 = 148;
/// `PPME_DROP_X`.
const DROP_X: u16 = 149;
/// Longest sleep when the ring is empty.
const POLL: Duration = Duration::from_millis(1);
/// Records handed over between two flushes.
const BATCH: usize = 4096;
/// The longest the rings are drained after a stop by duration or signal.
const FINAL_DRAIN: Duration = Duration::from_millis(250);
/// How often the kernel counters are read.
const STATS_EVERY: Duration = Duration::from_millis(500);

/// What to trace.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every process but ours.
    System,
    /// A running process and its descendants.
    Pid(u32),
    /// A command we start, and its descendants.
    Command(Vec<String>),
}

/// The live syscall source. Opening checks options and the probe's
/// prerequisites; the probe is loaded when `run` starts and detached when it
/// returns (by any path: `Probe` detaches on drop).
#[derive(Debug)]
pub struct SyscallSource {
    opts: ProbeOptions,
    scope: Scope,
    /// Where the traced command's stdout goes: stderr when our output is stdout.
    command_stdout_to_stderr: bool,
    stats: Option<ProbeStats>,
    exit_status: Option<std::process::ExitStatus>,
    /// The container runtime's API socket (`--container-socket`).
    container_socket: std::path::PathBuf,
    /// `--container`/`--pod`: only these containers' threads, in the kernel.
    container_scope: Option<scapbridge_containers::ScopeSpec>,
}

fn bad(option: &str, value: &str, expected: &'static str) -> CaptureError {
    UsageError::BadValue {
        option: format!("--{option}"),
        value: value.into(),
        expected: Expected::Form(expected),
    }
    .into()
}

impl SyscallSource {
    /// Checks the options: `snaplen`, `buffer-size` (MiB), `syscalls`,
    /// `pid`, `command` (a shell command line), or `command_args` from `--`.
    /// The container runtime's socket is set apart
    /// ([`SyscallSource::container_socket`]).
    pub fn open(
        snaplen: Option<&str>,
        buffer_mib: Option<&str>,
        syscalls: Option<&str>,
        pid: Option<&str>,
        command: Option<&str>,
        command_args: &[String],
        output_is_stdout: bool,
    ) -> Result<SyscallSource, CaptureError> {
        let mut opts = ProbeOptions::default();
        if let Some(s) = snaplen.filter(|s| !s.trim().is_empty()) {
            opts.snaplen = s
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= scapbridge_probe::MAX_SNAPLEN)
                .ok_or_else(|| bad("snaplen", s, "a number of bytes from 0 to 4096"))?;
        }
        if let Some(s) = buffer_mib.filter(|s| !s.trim().is_empty()) {
            opts.ring_bytes = parse_buffer_size(s).ok_or_else(|| {
                bad(
                    "buffer-size",
                    s,
                    "a power of two: MiB (8), or with a unit (64k, 16M), from 4k to 1024M",
                )
            })?;
        }
        if let Some(s) = syscalls.filter(|s| !s.trim().is_empty()) {
            opts.syscalls = scapbridge_probe::parse_syscall_set(s).map_err(|e| {
                CaptureError::from(UsageError::BadValue {
                    option: "--syscalls".into(),
                    value: s.into(),
                    expected: Expected::SyscallSet(e),
                })
            })?;
        }
        let pid = match pid.map(str::trim).filter(|s| !s.is_empty() && *s != "0") {
            None => None,
            Some(s) => {
                let p = s
                    .parse::<u32>()
                    .ok()
                    .ok_or_else(|| bad("pid", s, "a process id"))?;
                if !Path::new("/proc").join(p.to_string()).exists() {
                    return Err(bad("pid", s, "the id of a running process"));
                }
                Some(p)
            }
        };
        let command = command.map(str::trim).filter(|s| !s.is_empty());
        let scope = match (pid, command, command_args.is_empty()) {
            (Some(_), Some(_), _) | (Some(_), _, false) | (_, Some(_), false) => {
                return Err(UsageError::BadValue {
                    option: "--pid/--command".into(),
                    value: "both".into(),
                    expected: Expected::Form("one way to pick the traced processes: a pid, a command, or a command after --"),
                }
                .into())
            }
            (Some(p), None, true) => Scope::Pid(p),
            (None, Some(c), true) => Scope::Command(vec!["/bin/sh".into(), "-c".into(), c.into()]),
            (None, None, false) => Scope::Command(command_args.to_vec()),
            (None, None, true) => Scope::System,
        };
        scapbridge_probe::check_available().map_err(CaptureError::Probe)?;
        Ok(SyscallSource {
            opts,
            scope,
            command_stdout_to_stderr: output_is_stdout,
            stats: None,
            exit_status: None,
            container_socket: crate::containers::default_socket(None),
            container_scope: None,
        })
    }

    /// Captures only the threads of these containers (ids or names) and of
    /// the containers of these pods (`NAME` or `NAMESPACE/NAME`), each value
    /// comma-separated, also those that start during the capture; the
    /// kernel drops the other events before they reach a ring buffer and
    /// counts them ([`ProbeStats::scoped_out`]). Blank values keep every
    /// container.
    pub fn container_scope(
        mut self,
        containers: Option<&str>,
        pods: Option<&str>,
    ) -> Result<Self, CaptureError> {
        let spec = scapbridge_containers::ScopeSpec::parse(containers.as_slice(), pods.as_slice())
            .map_err(|e| match e {
                scapbridge_containers::ScopeError::BadValue {
                    option,
                    value,
                    expected,
                } => CaptureError::from(UsageError::BadValue {
                    option: format!("--{option}"),
                    value,
                    expected: Expected::Form(expected),
                }),
                other => CaptureError::Source(Box::new(other)),
            })?;
        self.container_scope = (!spec.is_empty()).then_some(spec);
        Ok(self)
    }

    /// The kernel-side counters, once the capture ended.
    pub fn stats(&self) -> Option<ProbeStats> {
        self.stats
    }

    /// Asks the container runtime on `path` (its Docker-compatible API)
    /// instead of podman's or docker's usual socket; blank keeps those.
    pub fn container_socket(mut self, path: Option<&str>) -> Self {
        self.container_socket = crate::containers::default_socket(path);
        self
    }

    /// The traced command's program, as given.
    fn command_name(&self) -> &str {
        match &self.scope {
            Scope::Command(argv) => argv.first().map_or("", String::as_str),
            _ => "",
        }
    }

    /// The traced command's exit status, once it ended.
    pub fn exit_status(&self) -> Option<std::process::ExitStatus> {
        self.exit_status
    }
}

/// `8` (MiB), `64k`, `4KiB`, `16M`: a power of two from 4 KiB to 1 GiB.
fn parse_buffer_size(s: &str) -> Option<u32> {
    let t = s.trim().to_ascii_lowercase();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..digits].parse().ok()?;
    let unit = match t[digits..].trim() {
        "" | "m" | "mib" | "mb" => 1 << 20,
        "k" | "kib" | "kb" => 1 << 10,
        _ => return None,
    };
    let bytes = n.checked_mul(unit)?;
    (bytes.is_power_of_two() && (4096..=1 << 30).contains(&bytes)).then_some(bytes as u32)
}

fn drop_event(ts: u64, lost: u64) -> [OwnedEvent; 2] {
    let ratio = u32::try_from(lost).unwrap_or(u32::MAX);
    let mut e = OwnedEvent::new(ts, 0, DROP_E);
    e.push(ratio.to_le_bytes());
    let mut x = OwnedEvent::new(ts, 0, DROP_X);
    x.push(ratio.to_le_bytes());
    [e, x]
}

impl Source for SyscallSource {
    fn command_status(&self) -> Option<std::process::ExitStatus> {
        self.exit_status
    }

    fn describe(&self) -> String {
        let what = match &self.scope {
            Scope::System => "every process".to_string(),
            Scope::Pid(p) => format!("process {p} and its descendants"),
            Scope::Command(argv) => format!("the command '{}' and its children", argv.join(" ")),
        };
        let set = match &self.opts.syscalls {
            None => "all syscalls".to_string(),
            Some(s) => format!("{} syscalls", s.len()),
        };
        let size = if self.opts.ring_bytes >= 1 << 20 {
            format!("{} MiB", self.opts.ring_bytes >> 20)
        } else {
            format!("{} KiB", self.opts.ring_bytes >> 10)
        };
        let ring = match self.opts.cpus_per_ring {
            0 => format!("one shared {size} ring buffer"),
            1 => format!("a {size} ring buffer per CPU"),
            n => format!("a {size} ring buffer per {n} CPUs"),
        };
        let scope = self
            .container_scope
            .as_ref()
            .map(|s| format!(" in {}", s.describe()))
            .unwrap_or_default();
        format!(
            "eBPF probe: {what}{scope}, {set}, snaplen {}, {ring}",
            self.opts.snaplen
        )
    }

    fn report(&self) -> Option<String> {
        let s = self.stats?;
        // "0 lost" alone: the cause is named only when there are losses.
        let mut line = format!(
            "  kernel     {} events seen, {} lost{}",
            scapbridge_engine::capture::group(s.events),
            scapbridge_engine::capture::group(s.drops),
            if s.drops > 0 {
                " (the ring buffer was full: the reader fell behind; --buffer-size gives it more room)"
            } else {
                ""
            }
        );
        if s.truncated > 0 {
            line.push_str(&format!(
                ", {} with parameters cut to the event size limit",
                s.truncated
            ));
        }
        if let Some(spec) = &self.container_scope {
            line.push_str(&format!(
                "\n  scope      {} kept out by scope in the kernel (only {})",
                scapbridge_engine::capture::group(s.scoped_out),
                spec.describe()
            ));
        }
        if let Some(st) = self.exit_status {
            line.push_str(&format!("\n  command    exited with {st}"));
        }
        line.push('\n');
        Some(line)
    }

    fn run(
        &mut self,
        sink: &mut dyn EventSink,
        ctl: &CaptureControl,
    ) -> Result<StopReason, CaptureError> {
        // Container metadata, asked of the runtime in the background: started
        // first, so the listing of the running containers is likely done
        // by the time the probe is loaded and their records go in before
        // the first event (nothing waits for it if not).
        let mut containers = match crate::containers::Containers::start(&self.container_socket) {
            Ok(c) => Some(c),
            Err(e) => {
                ctl.log.log(
                    Level::Warning,
                    &format!("container metadata off: could not start its thread: {e}"),
                );
                None
            }
        };
        let mut scope = self
            .container_scope
            .clone()
            .map(ContainerScope::new)
            .transpose()?;
        let mut child = None;
        let mut opts = self.opts.clone();
        opts.cgroup_scope = scope.as_ref().map(ContainerScope::probe_scope);
        match &self.scope {
            Scope::System => {}
            Scope::Pid(p) => opts.pids = procfs::descendants(Path::new("/proc"), &[*p]),
            Scope::Command(argv) => {
                let c = crate::held::HeldCommand::start(argv, self.command_stdout_to_stderr)?;
                opts.pids = vec![c.id()];
                child = Some(c);
            }
        }
        let mut probe = match Probe::load(&opts) {
            Ok(p) => p,
            Err(e) => {
                if let Some(mut c) = child {
                    c.kill();
                }
                if let scapbridge_probe::ProbeError::Verifier { log, .. } = &e {
                    ctl.log
                        .log(Level::Warning, &format!("verifier log:\n{log}"));
                }
                return Err(CaptureError::Probe(e));
            }
        };
        for note in probe.notes() {
            ctl.log.log(Level::Warning, &note.to_string());
        }
        ctl.log.log(
            Level::Info,
            &format!("probe loaded and attached ({} ring buffers)", probe.rings()),
        );
        if let Some(sc) = scope.as_mut() {
            start_scope(sc, containers.as_ref(), &mut probe, ctl)?;
        }

        // Events arrive from here on: `--duration` counts from now, not
        // from before the probe's load (seconds on a busy machine).
        ctl.capturing_from_now();

        // State of what runs already, so its events resolve: with each
        // thread's cgroups, which name its container.
        let snap = procfs::snapshot(Path::new("/proc"), None);

        sink.metadata(Metadata::MachineInfo(procfs::machine_info(
            probe.boot_time(),
        )))?;
        sink.metadata(Metadata::Users(procfs::users(Path::new("/etc"))))?;
        sink.metadata(Metadata::Processes(snap.processes))?;
        for (pid, fds) in snap.fds {
            sink.metadata(Metadata::Fds { tid: pid, fds })?;
        }
        if let Some(c) = child.as_mut() {
            c.resume()?;
        }
        ctl.toolbar.status(&self.describe());

        let mut last_stats = Instant::now();
        let mut lost_reported = 0u64;
        let mut child_done_at: Option<Instant> = None;
        let mut exec_failure = None;
        let mut bad_records = 0u64;
        let mut last_ts = 0u64;
        let reason = 'outer: loop {
            if let Some(r) = ctl.stop_reason() {
                break r;
            }
            let paused = ctl.paused();
            // Containers of the scope that started since the last scan.
            if let Some(sc) = scope.as_mut() {
                for l in sc.tick(containers.as_ref(), &mut probe)? {
                    ctl.log.log(Level::Info, &l);
                }
            }
            // Containers found since the last batch go in before its events.
            if let Some(c) = containers.as_mut() {
                for w in c.warnings() {
                    ctl.log.log(Level::Warning, &w);
                }
                // At the last event's time (the ring's events are older
                // than now), so the stream's times stay in order.
                let ts = if last_ts > 0 {
                    last_ts
                } else {
                    probe.boot_time() + procfs::uptime_ns()
                };
                let keep = |i: &scapbridge_containers::ContainerInfo| {
                    scope.as_ref().is_none_or(|s| s.matches(i))
                };
                for e in c.drain(ts, keep) {
                    let raw = e.encode();
                    if let Ok(ev) = Event::parse(&raw, true) {
                        if let Flow::Stop(r) = sink.event(&ev)? {
                            break 'outer r;
                        }
                    }
                }
            }
            let (n, flow) = drain_batch(
                &mut probe,
                sink,
                containers.as_ref(),
                paused,
                &mut last_ts,
                &mut bad_records,
            )?;
            if let Flow::Stop(r) = flow {
                break r;
            }
            if let Flow::Stop(r) = sink.flush()? {
                break r;
            }
            if last_stats.elapsed() >= STATS_EVERY {
                last_stats = Instant::now();
                if let Flow::Stop(r) = mark_drops(&probe, sink, ctl, &mut lost_reported)? {
                    break 'outer r;
                }
            }
            if let Some(c) = child.as_mut() {
                if child_done_at.is_none() {
                    if let Some(st) = c.try_wait() {
                        // Reported once the stream has ended on a whole
                        // block: the capture's error, exit 126 or 127.
                        exec_failure = c.exec_error();
                        self.exit_status = Some(st);
                        child_done_at = Some(Instant::now());
                    }
                }
            }
            // After the command ended, drain what is still in flight.
            if child_done_at.is_some_and(|t| t.elapsed() > Duration::from_millis(50)) && n == 0 {
                break StopReason::EndOfInput;
            }
            if n == 0 {
                if let Some(r) = ctl.sleep(POLL) {
                    break r;
                }
            }
        };
        // A stop by duration, signal or the analyzer keeps what the kernel
        // already holds: the rings are drained once more (for at most
        // FINAL_DRAIN), so the file ends with the last events before the stop
        // rather than wherever the last poll got to. A reader gone or a count
        // reached needs nothing more.
        if matches!(
            reason,
            StopReason::Duration | StopReason::Signal | StopReason::Quit
        ) {
            let until = Instant::now() + FINAL_DRAIN;
            loop {
                let (n, flow) = drain_batch(
                    &mut probe,
                    sink,
                    containers.as_ref(),
                    false,
                    &mut last_ts,
                    &mut bad_records,
                )?;
                if n == 0 || flow != Flow::Continue || Instant::now() >= until {
                    break;
                }
            }
        }
        // Losses since the last check, before the stream ends.
        let _ = mark_drops(&probe, sink, ctl, &mut lost_reported)?;
        if bad_records > 0 {
            ctl.log.log(
                Level::Warning,
                &format!("{bad_records} malformed probe records skipped"),
            );
        }
        self.stats = probe.stats().ok();
        drop(probe);
        if let Some(e) = exec_failure {
            return Err(CaptureError::Command {
                program: self.command_name().to_string(),
                reason: CommandFault::Exec(e),
            });
        }
        Ok(reason)
    }
}

/// The scope's first scans: the containers running now, waiting up to
/// [`crate::scope::START_WAIT`] for the runtime to name those the scope
/// asks by name or pod (nothing else waits for it: a container named later
/// is kept from then on).
fn start_scope(
    sc: &mut ContainerScope,
    containers: Option<&crate::containers::Containers>,
    probe: &mut Probe,
    ctl: &CaptureControl,
) -> Result<(), CaptureError> {
    if containers.is_none() && sc.spec().needs_metadata() {
        ctl.log.log(
            Level::Warning,
            "scope: no container metadata, so containers are kept by id only",
        );
    }
    let t0 = Instant::now();
    loop {
        for l in sc.scan(containers, probe)? {
            ctl.log.log(Level::Info, &l);
        }
        if !sc.pending() || t0.elapsed() >= crate::scope::START_WAIT {
            break;
        }
        if let Some(_r) = ctl.sleep(Duration::from_millis(50)) {
            break;
        }
    }
    if sc.kept().is_empty() {
        ctl.log.log(
            Level::Info,
            &format!(
                "scope: no running container is {} yet; waiting for one to start",
                sc.spec().describe()
            ),
        );
    }
    Ok(())
}

/// Takes up to [`BATCH`] records from the rings into `sink` (all skipped
/// while `paused`); returns how many records were taken and whether the sink
/// asks to stop. A write error (a full disk) is returned: the sink has cut
/// the file back to its last whole block.
fn drain_batch(
    probe: &mut Probe,
    sink: &mut dyn EventSink,
    ctrs: Option<&crate::containers::Containers>,
    paused: bool,
    last_ts: &mut u64,
    bad_records: &mut u64,
) -> Result<(usize, Flow), CaptureError> {
    let mut flow = Flow::Continue;
    let mut failure = None;
    let n = probe.drain(BATCH, |cpu, rec| {
        if paused || !matches!(flow, Flow::Continue) {
            return;
        }
        // The fix-up rewrites flags in place, in the probe's own copy of
        // the record, each of its events in turn.
        let buf = rec;
        let mut at = 0;
        while let Some(len) = record::event_len(&buf[at..]) {
            let ev = &mut buf[at..at + len];
            at += len;
            record::fixup(ev);
            match Event::parse(ev, false) {
                Ok(mut e) => {
                    e.cpu = cpu;
                    match note_then(ctrs, &e, last_ts).and_then(|_| sink.event(&e)) {
                        Ok(Flow::Continue) => {}
                        Ok(f) => {
                            flow = f;
                            return;
                        }
                        Err(e) => {
                            failure = Some(e);
                            flow = Flow::Stop(StopReason::ReaderGone);
                            return;
                        }
                    }
                }
                Err(_) => *bad_records += 1,
            }
        }
        if at < buf.len() {
            *bad_records += 1;
        }
    });
    match failure {
        Some(e) => Err(e),
        None => Ok((n, flow)),
    }
}

/// Has the container resolver look at `ev`'s cgroups, and keeps its time.
#[inline]
fn note_then(
    ctrs: Option<&crate::containers::Containers>,
    ev: &Event<'_>,
    last_ts: &mut u64,
) -> Result<Flow, CaptureError> {
    if let Some(c) = ctrs {
        c.note(ev);
    }
    *last_ts = ev.ts();
    Ok(Flow::Continue)
}

/// Writes a drop event pair for the events lost since the last call.
fn mark_drops(
    probe: &Probe,
    sink: &mut dyn EventSink,
    ctl: &CaptureControl,
    lost_reported: &mut u64,
) -> Result<Flow, CaptureError> {
    let Ok(s) = probe.stats() else {
        return Ok(Flow::Continue);
    };
    if s.drops <= *lost_reported {
        return Ok(Flow::Continue);
    }
    let lost = s.drops - *lost_reported;
    *lost_reported = s.drops;
    ctl.log.log(
        Level::Warning,
        &format!("{lost} events lost: the ring buffer was full"),
    );
    let ts = probe.boot_time() + procfs::uptime_ns();
    for e in drop_event(ts, lost) {
        let raw = e.encode();
        if let Ok(ev) = Event::parse(&raw, false) {
            if let Flow::Stop(r) = sink.event(&ev)? {
                return Ok(Flow::Stop(r));
            }
        }
    }
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::parse_buffer_size;

    #[test]
    fn buffer_sizes() {
        assert_eq!(parse_buffer_size("8"), Some(8 << 20));
        assert_eq!(parse_buffer_size("4k"), Some(4096));
        assert_eq!(parse_buffer_size("64KiB"), Some(64 << 10));
        assert_eq!(parse_buffer_size("3"), None);
        assert_eq!(parse_buffer_size("2k"), None);
        assert_eq!(parse_buffer_size("2048"), None);
    }
}
