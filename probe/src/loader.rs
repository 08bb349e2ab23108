//! Loading, attaching and reading the kernel program with aya.

use std::fs;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use aya::maps::{Array, HashMap as BpfHashMap, MapData, PerCpuArray, RingBuf};
use aya::programs::{BtfTracePoint, ProgramError, TracePoint};
use aya::{Btf, Ebpf, EbpfLoader};

use crate::error::{AttachFault, LoadFault, LoadStep, ProbeNote, TracefsFault};
use crate::merge::Merge;
use crate::spec::{self, TABLE_SIZE};
use crate::{ProbeError, ProbeOptions, ProbeStats, MAX_SNAPLEN};

#[cfg(probe_object)]
static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/probe.bpf.o"));
#[cfg(not(probe_object))]
static OBJECT: &[u8] = &[];

const BTF_PATH: &str = "/sys/kernel/btf/vmlinux";
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// Checks what can be checked before loading: the platform, BTF, the kernel
/// version and the capabilities. `Ok` does not promise the verifier agrees.
pub fn check_available() -> Result<(), ProbeError> {
    if OBJECT.is_empty() {
        return Err(ProbeError::Unsupported {
            reason: "it is built for Linux on x86-64 only",
        });
    }
    if !Path::new(BTF_PATH).exists() {
        return Err(ProbeError::NoBtf {
            path: BTF_PATH.into(),
        });
    }
    let release = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let release = release.trim().to_string();
    let mut nums = release
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse::<u32>().ok());
    let (major, minor) = (nums.next().unwrap_or(0), nums.next().unwrap_or(0));
    if (major, minor) < (5, 17) {
        return Err(ProbeError::KernelTooOld {
            release,
            need: "5.17",
            why: "bpf_loop, BTF tracepoints and ring buffers",
        });
    }
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let cap_eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0);
    let has = |c: u32| cap_eff & (1 << c) != 0;
    let admin = has(CAP_SYS_ADMIN);
    let mut missing = Vec::new();
    if !has(CAP_BPF) && !admin {
        missing.push("CAP_BPF");
    }
    if !has(CAP_PERFMON) && !admin {
        missing.push("CAP_PERFMON");
    }
    if !missing.is_empty() {
        return Err(ProbeError::NotPermitted { missing });
    }
    Ok(())
}

/// Wall-clock ns at boot: now minus the boot clock's uptime.
fn boot_time_ns() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    now.saturating_sub(crate::procfs::uptime_ns())
}

/// The loaded, attached probe. Dropping it detaches every program and frees
/// the maps (the kernel does so when the last fd closes), so a capture that
/// ends by any path leaves nothing attached.
pub struct Probe {
    ebpf: Ebpf,
    /// One ring per CPU (or per `cpus_per_ring` CPUs), in ring order.
    rings: Vec<RingBuf<MapData>>,
    /// Records taken from several rings, before they go out in time order.
    merge: Merge,
    /// The record handed out, with one ring.
    scratch: Vec<u8>,
    filter_pids: bool,
    /// Loaded with a cgroup scope.
    scoped: bool,
    boot_time: u64,
    notes: Vec<ProbeNote>,
    /// Perf events holding tracepoint programs attached by ioctl; closing
    /// them (on drop) detaches the programs.
    _perf_events: Vec<OwnedFd>,
}

/// Where tracefs is looked for, in aya's order.
const TRACEFS: &str = "/sys/kernel/tracing";
const TRACEFS_OLD: &str = "/sys/kernel/debug/tracing";

/// Makes tracefs available for the per-syscall tracepoints, mounting it at
/// /sys/kernel/tracing when neither usual place has it (the mount stays, as
/// when perf or bpftrace mount it); returns where it is.
fn ensure_tracefs() -> Result<&'static str, TracefsFault> {
    let has = |p: &str| {
        Path::new(p)
            .join("events/syscalls")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some())
    };
    if let Some(p) = [TRACEFS, TRACEFS_OLD].into_iter().find(|p| has(p)) {
        return Ok(p);
    }
    let src = c"tracefs";
    let dst = c"/sys/kernel/tracing";
    // SAFETY: NUL-terminated constant strings; no data argument.
    #[allow(unsafe_code)]
    let r = unsafe {
        libc::mount(
            src.as_ptr(),
            dst.as_ptr(),
            src.as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if r != 0 {
        return Err(TracefsFault::Mount {
            at: TRACEFS,
            source: std::io::Error::last_os_error(),
        });
    }
    if has(TRACEFS) {
        Ok(TRACEFS)
    } else {
        Err(TracefsFault::NoSyscallTracepoints { at: TRACEFS })
    }
}

/// Attaches program `prog_fd` to tracepoint syscalls/`name` (its id read
/// from `tracefs`) through a
/// perf event and PERF_EVENT_IOC_SET_BPF. The program runs on every CPU
/// (it hangs on the tracepoint, not on the event's CPU) until the returned
/// fd closes.
fn attach_tracepoint_ioctl(
    prog_fd: i32,
    tracefs: &str,
    name: &str,
) -> Result<OwnedFd, AttachFault> {
    let id_path = Path::new(tracefs)
        .join("events/syscalls")
        .join(name)
        .join("id");
    let id: u64 = match fs::read_to_string(&id_path) {
        Ok(text) => text.trim().parse().map_err(|source| AttachFault::ParseId {
            path: id_path.clone(),
            source,
        })?,
        Err(source) => {
            return Err(AttachFault::ReadId {
                path: id_path,
                source,
            })
        }
    };
    // struct perf_event_attr (PERF_ATTR_SIZE_VER5 = 112 bytes): type,
    // size, config, sample_period; the rest zero.
    let mut attr = [0u8; 112];
    attr[0..4].copy_from_slice(&2u32.to_ne_bytes()); // PERF_TYPE_TRACEPOINT
    attr[4..8].copy_from_slice(&112u32.to_ne_bytes());
    attr[8..16].copy_from_slice(&id.to_ne_bytes());
    attr[16..24].copy_from_slice(&1u64.to_ne_bytes());
    const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
    const PERF_EVENT_IOC_ENABLE: libc::c_ulong = 0x2400;
    const PERF_EVENT_IOC_SET_BPF: libc::c_ulong = 0x4004_2408;
    // SAFETY: attr is a live, initialised perf_event_attr of the size it
    // declares; the returned fd is owned below.
    #[allow(unsafe_code)]
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            attr.as_ptr(),
            -1 as libc::pid_t,
            0 as libc::c_int,
            -1 as libc::c_int,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(AttachFault::PerfEventOpen(std::io::Error::last_os_error()));
    }
    // SAFETY: fd was just returned by perf_event_open and nothing else owns it.
    #[allow(unsafe_code)]
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    for (req, arg, what) in [
        (PERF_EVENT_IOC_SET_BPF, prog_fd, "PERF_EVENT_IOC_SET_BPF"),
        (PERF_EVENT_IOC_ENABLE, 0, "PERF_EVENT_IOC_ENABLE"),
    ] {
        // SAFETY: both requests take an int argument by value.
        #[allow(unsafe_code)]
        let r = unsafe { libc::ioctl(fd.as_raw_fd(), req, arg) };
        if r != 0 {
            return Err(AttachFault::Ioctl {
                request: what,
                source: std::io::Error::last_os_error(),
            });
        }
    }
    Ok(fd)
}

/// Rings declared in the kernel object (MAX_RINGS in bpf/maps.h).
const MAX_RINGS: u32 = 16;

/// Bytes taken from one ring per drain when there are several: the merge
/// buffer stays under rings × (this + one record).
const BATCH_BYTES_PER_RING: usize = 256 << 10;

/// CPUs per ring, as a shift (CPU `c` writes to ring `c >> shift`), and
/// rings in use for `cpus` possible CPUs. `per_ring` 0 asks for one shared
/// ring; past MAX_RINGS CPUs, neighbours share. CPUs per ring are rounded
/// up to a power of two: the kernel side then shifts instead of dividing
/// by a runtime value on every event.
fn ring_layout(cpus: u32, per_ring: u32) -> (u32, u32) {
    let cpus = cpus.max(1);
    let per = if per_ring == 0 {
        cpus
    } else {
        per_ring.max(cpus.div_ceil(MAX_RINGS))
    }
    .next_power_of_two();
    (per.trailing_zeros(), cpus.div_ceil(per))
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe")
            .field("filter_pids", &self.filter_pids)
            .field("scoped", &self.scoped)
            .finish_non_exhaustive()
    }
}

fn load_error(
    step: LoadStep,
    e: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
) -> ProbeError {
    ProbeError::Load {
        step,
        source: e.into(),
    }
}

fn map_mut<'e>(
    ebpf: &'e mut Ebpf,
    name: &'static str,
) -> Result<&'e mut aya::maps::Map, ProbeError> {
    ebpf.map_mut(name)
        .ok_or_else(|| load_error(LoadStep::FindMap { map: name }, LoadFault::Missing))
}

/// Cgroups a scope holds at most (SCOPE_CGROUPS in bpf/maps.h).
pub const MAX_SCOPE_CGROUPS: usize = 4096;

/// The scope's map (cgroup id → 1).
fn scope_map(ebpf: &mut Ebpf) -> Result<BpfHashMap<&mut MapData, u64, u8>, ProbeError> {
    BpfHashMap::try_from(map_mut(ebpf, "SCOPE_CGROUPS")?).map_err(|e| {
        load_error(
            LoadStep::OpenMap {
                map: "SCOPE_CGROUPS",
            },
            e,
        )
    })
}

/// The pid filter map (tgid → 1).
fn pid_map(ebpf: &mut Ebpf) -> Result<BpfHashMap<&mut MapData, u32, u8>, ProbeError> {
    BpfHashMap::try_from(map_mut(ebpf, "PIDS")?)
        .map_err(|e| load_error(LoadStep::OpenMap { map: "PIDS" }, e))
}

/// Program `name` of the object as the kind `P` its section makes it
/// (a tracepoint, a BTF tracepoint), or which of the two steps failed.
fn program<'a, P>(ebpf: &'a mut Ebpf, name: &'static str) -> Result<&'a mut P, ProbeError>
where
    &'a mut P: TryFrom<&'a mut aya::programs::Program, Error = ProgramError>,
{
    ebpf.program_mut(name)
        .ok_or_else(|| load_error(LoadStep::FindProgram { program: name }, LoadFault::Missing))?
        .try_into()
        .map_err(|e| load_error(LoadStep::UseProgram { program: name }, e))
}

fn program_error(program: &'static str, e: ProgramError) -> ProbeError {
    match e {
        ProgramError::LoadError {
            io_error,
            verifier_log,
        } => {
            let log = verifier_log.to_string();
            let last_line = log
                .lines()
                .rev()
                .find(|l| {
                    let l = l.trim();
                    !l.is_empty()
                        && !["processed ", "verification time", "stack depth"]
                            .iter()
                            .any(|p| l.starts_with(p))
                })
                .unwrap_or(&io_error.to_string())
                .to_string();
            ProbeError::Verifier {
                program: program.into(),
                last_line,
                log,
            }
        }
        other => load_error(LoadStep::Attach { program }, other),
    }
}

impl Probe {
    /// Loads and attaches the probe. Events flow into the ring from the
    /// moment this returns; read them with [`Probe::drain`].
    pub fn load(opts: &ProbeOptions) -> Result<Probe, ProbeError> {
        check_available()?;
        let page = 4096u32;
        if !opts.ring_bytes.is_power_of_two() || opts.ring_bytes < page {
            return Err(ProbeError::RingSize {
                bytes: opts.ring_bytes,
            });
        }
        if opts.snaplen > MAX_SNAPLEN {
            return Err(ProbeError::Snaplen {
                snaplen: opts.snaplen,
                max: MAX_SNAPLEN,
            });
        }
        let btf = Btf::from_sys_fs().map_err(|e| load_error(LoadStep::ReadBtf, e))?;
        let boot_time = boot_time_ns();
        let ignore: u32 = if opts.ignore_self {
            std::process::id()
        } else {
            0
        };
        let filter_pids: u8 = u8::from(!opts.pids.is_empty());
        // SCOPE_CGROUP in bpf/scope.h: 0 off, 1 default hierarchy, 2 memory.
        let scope_cgroup: u8 = match opts.cgroup_scope.as_ref().map(|s| s.hierarchy) {
            None => 0,
            Some(crate::ScopeHierarchy::Unified) => 1,
            Some(crate::ScopeHierarchy::Memory) => 2,
        };
        let snaplen = opts.snaplen;
        let rb_flags: u64 = 1; // BPF_RB_NO_WAKEUP: the consumer polls
                               // Possible CPUs, not online ones: a CPU brought online later writes
                               // to its ring too.
        let cpus = aya::util::nr_cpus()
            .map_err(|(path, e)| load_error(LoadStep::CountCpus { path }, e))?;
        let (ring_shift, n_rings) = ring_layout(cpus as u32, opts.cpus_per_ring);
        let ring_names: Vec<String> = (0..MAX_RINGS).map(|i| format!("EVENTS_{i}")).collect();
        let mut loader = EbpfLoader::new();
        loader.btf(Some(&btf));
        for (i, name) in ring_names.iter().enumerate() {
            let size = if (i as u32) < n_rings {
                opts.ring_bytes
            } else {
                page
            };
            loader.map_max_entries(name, size);
        }
        let mut ebpf = loader
            .override_global("RING_SHIFT", &ring_shift, true)
            .override_global("IGNORE_TGID", &ignore, true)
            .override_global("FILTER_PIDS", &filter_pids, true)
            .override_global("SCOPE_CGROUP", &scope_cgroup, true)
            .override_global("SNAPLEN", &snaplen, true)
            .override_global("BOOT_TIME", &boot_time, true)
            .override_global("RB_FLAGS", &rb_flags, true)
            .load(OBJECT)
            .map_err(|e| load_error(LoadStep::LoadObject, e))?;

        let captured = |nr: u16| match &opts.syscalls {
            None => true,
            Some(set) => set.contains(&nr),
        };
        // Layouts first, then the syscall set: a syscall is never interesting
        // before its layout is in place.
        {
            let mut specs: Array<_, [u8; 8 + 4 * spec::MAX_PARAMS]> =
                Array::try_from(map_mut(&mut ebpf, "SPECS")?)
                    .map_err(|e| load_error(LoadStep::OpenMap { map: "SPECS" }, e))?;
            for nr in 0..TABLE_SIZE as u16 {
                let enc = spec::layout_for(nr)
                    .encode(nr)
                    .map_err(|e| load_error(LoadStep::BuildLayouts, LoadFault::Layout(e)))?;
                specs
                    .set(u32::from(nr), enc.0, 0)
                    .map_err(|e| load_error(LoadStep::FillMap { map: "SPECS" }, e))?;
            }
        }
        {
            let mut on: Array<_, u8> = Array::try_from(map_mut(&mut ebpf, "INTERESTING")?)
                .map_err(|e| load_error(LoadStep::OpenMap { map: "INTERESTING" }, e))?;
            for nr in 0..TABLE_SIZE as u32 {
                on.set(nr, u8::from(captured(nr as u16)), 0)
                    .map_err(|e| load_error(LoadStep::FillMap { map: "INTERESTING" }, e))?;
            }
        }
        if filter_pids == 1 {
            let mut pids = pid_map(&mut ebpf)?;
            for &p in &opts.pids {
                pids.insert(p, 1, 0)
                    .map_err(|e| load_error(LoadStep::FillMap { map: "PIDS" }, e))?;
            }
        }

        if let Some(scope) = &opts.cgroup_scope {
            let mut map = scope_map(&mut ebpf)?;
            for &id in &scope.cgroup_ids {
                map.insert(id, 1, 0).map_err(|e| {
                    load_error(
                        LoadStep::FillMap {
                            map: "SCOPE_CGROUPS",
                        },
                        e,
                    )
                })?;
            }
        }

        let mut programs = vec![
            "sched_process_fork",
            "sched_process_exec",
            "sched_process_exit",
            "sys_exit",
        ];
        if filter_pids == 0 {
            programs.retain(|p| *p != "sched_process_fork");
        }
        // Time-of-check hooks, each only when its syscall is captured, so
        // a filtered-out open costs nothing more than any other syscall.
        // Without them the capture goes on with the exit-time copies only,
        // and says so.
        let mut notes = Vec::new();
        let mut perf_events = Vec::new();
        let hooks: Vec<_> = spec::ENTRY_HOOKS
            .iter()
            .filter(|h| crate::syscalls::number(h.2).is_some_and(captured))
            .collect();
        let tracefs = if hooks.is_empty() {
            None
        } else {
            ensure_tracefs()
                .map_err(|e| notes.push(ProbeNote::NoTracefs(e)))
                .ok()
        };
        for &(name, tracepoint, _) in hooks.into_iter().filter(|_| tracefs.is_some()) {
            let prog: &mut TracePoint = program(&mut ebpf, name)?;
            prog.load().map_err(|e| program_error(name, e))?;
            if prog.attach("syscalls", tracepoint).is_ok() {
                continue;
            }
            // aya attaches through a BPF link; kernels or sandboxes that
            // refuse that still take the older perf-event ioctl, as bpftrace
            // uses.
            let fd = prog
                .fd()
                .map_err(|e| load_error(LoadStep::UseProgram { program: name }, e))?
                .as_fd()
                .as_raw_fd();
            match attach_tracepoint_ioctl(fd, tracefs.unwrap_or(TRACEFS), tracepoint) {
                Ok(ev) => perf_events.push(ev),
                Err(fault) => notes.push(ProbeNote::NoEntryHook { tracepoint, fault }),
            }
        }
        for name in programs {
            let prog: &mut BtfTracePoint = program(&mut ebpf, name)?;
            prog.load(name, &btf).map_err(|e| program_error(name, e))?;
            prog.attach().map_err(|e| program_error(name, e))?;
        }
        let rings = ring_names[..n_rings as usize]
            .iter()
            .enumerate()
            .map(|(index, name)| {
                let map = ebpf
                    .take_map(name)
                    .ok_or_else(|| load_error(LoadStep::FindRing { index }, LoadFault::Missing))?;
                RingBuf::try_from(map).map_err(|e| load_error(LoadStep::OpenRing, e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Probe {
            ebpf,
            merge: Merge::new(rings.len()),
            scratch: Vec::new(),
            rings,
            notes,
            _perf_events: perf_events,
            filter_pids: filter_pids == 1,
            scoped: scope_cgroup != 0,
            boot_time,
        })
    }

    /// Wall-clock ns at boot, as added to event timestamps.
    pub fn boot_time(&self) -> u64 {
        self.boot_time
    }

    /// Adds a process (and, through the fork hook, its future children) to
    /// the traced set. Only when the probe was loaded with a pid filter.
    pub fn add_pid(&mut self, pid: u32) -> Result<(), ProbeError> {
        if !self.filter_pids {
            return Ok(());
        }
        pid_map(&mut self.ebpf)?
            .insert(pid, 1, 0)
            .map_err(|e| load_error(LoadStep::AddToMap { map: "PIDS" }, e))
    }

    /// Adds a cgroup (and the cgroups below it) to the scope. Only when the
    /// probe was loaded with one ([`crate::ProbeOptions::cgroup_scope`]);
    /// fails when the scope holds [`MAX_SCOPE_CGROUPS`] already.
    pub fn add_scope_cgroup(&mut self, cgroup_id: u64) -> Result<(), ProbeError> {
        if !self.scoped {
            return Ok(());
        }
        scope_map(&mut self.ebpf)?
            .insert(cgroup_id, 1, 0)
            .map_err(|e| {
                load_error(
                    LoadStep::AddToMap {
                        map: "SCOPE_CGROUPS",
                    },
                    e,
                )
            })
    }

    /// Takes a cgroup out of the scope (a container's that went away).
    pub fn remove_scope_cgroup(&mut self, cgroup_id: u64) -> Result<(), ProbeError> {
        if !self.scoped {
            return Ok(());
        }
        match scope_map(&mut self.ebpf)?.remove(&cgroup_id) {
            Ok(()) => Ok(()),
            Err(aya::maps::MapError::SyscallError(e))
                if e.io_error.raw_os_error() == Some(libc::ENOENT) =>
            {
                Ok(())
            }
            Err(e) => Err(load_error(
                LoadStep::RemoveFromMap {
                    map: "SCOPE_CGROUPS",
                },
                e,
            )),
        }
    }

    /// What the probe could not set up but captures without (one line
    /// each), for the capture's log.
    pub fn notes(&self) -> &[ProbeNote] {
        &self.notes
    }

    /// Ring buffers in use (one per CPU unless asked otherwise).
    pub fn rings(&self) -> usize {
        self.rings.len()
    }

    /// Hands the records now in the rings to `f` (at most about `max`) in
    /// time order, each with its ring's index (the CPU, with a ring per CPU;
    /// libscap's buffer id, which it writes as the event's CPU) and as a
    /// copy `f` may rewrite in place ([`crate::record::fixup`]); returns
    /// how many. Never blocks: the program submits
    /// without wake-ups, so callers poll with a short sleep when this
    /// returns 0.
    ///
    /// With one ring, records are handed out in place. With several, they
    /// are copied into a queue per ring and go out oldest first, so a
    /// thread that moved between CPUs keeps its events in order and a ring
    /// with a backlog holds the others' newer records back until its older
    /// ones are out. A record still being written on another CPU when its
    /// ring was found empty goes out late, as with Falco's consumer. This
    /// returns 0 only when every ring and queue is empty; records still
    /// queued when the probe is dropped are lost with the rings.
    pub fn drain(&mut self, max: usize, mut f: impl FnMut(u16, &mut [u8])) -> usize {
        if let [ring] = self.rings.as_mut_slice() {
            let mut n = 0;
            while n < max {
                let Some(item) = ring.next() else { break };
                // The ring's memory is read-only to user space: a copy the
                // caller may rewrite in place.
                self.scratch.clear();
                self.scratch.extend_from_slice(&item);
                f(0, &mut self.scratch);
                n += 1;
            }
            return n;
        }
        let per_ring = max.div_ceil(self.rings.len()).max(1);
        for (i, ring) in self.rings.iter_mut().enumerate() {
            // Also bounded in bytes, so the queues stay small whatever the
            // record sizes (records are at most 24 KiB).
            self.merge.fill(i, per_ring, BATCH_BYTES_PER_RING, |push| {
                match ring.next() {
                    Some(item) => {
                        push(&item);
                        true
                    }
                    None => false,
                }
            });
        }
        self.merge.emit(max, |ring, rec| {
            f(u16::try_from(ring).unwrap_or(u16::MAX), rec)
        })
    }

    /// The kernel-side counters, summed over the CPUs.
    pub fn stats(&self) -> Result<ProbeStats, ProbeError> {
        let map: PerCpuArray<_, [u64; 4]> =
            PerCpuArray::try_from(self.ebpf.map("STATS").ok_or_else(|| {
                load_error(LoadStep::FindMap { map: "STATS" }, LoadFault::Missing)
            })?)
            .map_err(|e| load_error(LoadStep::OpenMap { map: "STATS" }, e))?;
        let per_cpu = map
            .get(&0, 0)
            .map_err(|e| load_error(LoadStep::ReadMap { map: "STATS" }, e))?;
        let mut s = ProbeStats::default();
        for v in per_cpu.iter() {
            s.events += v[0];
            s.drops += v[1];
            s.truncated += v[2];
            s.scoped_out += v[3];
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::ring_layout;

    #[test]
    fn rings_per_cpu_shared_and_past_the_declared_sixteen() {
        // (shift, rings): CPU c writes to ring c >> shift.
        assert_eq!(ring_layout(2, 1), (0, 2));
        assert_eq!(ring_layout(2, 0), (1, 1));
        assert_eq!(ring_layout(3, 0), (2, 1));
        assert_eq!(ring_layout(8, 2), (1, 4));
        assert_eq!(ring_layout(7, 2), (1, 4));
        // Three CPUs per ring asked: four, a power of two.
        assert_eq!(ring_layout(8, 3), (2, 2));
        // 64 CPUs on 16 rings: four CPUs each, whatever was asked below that.
        assert_eq!(ring_layout(64, 1), (2, 16));
        assert_eq!(ring_layout(64, 8), (3, 8));
        // 24 CPUs: two per ring, 12 rings.
        assert_eq!(ring_layout(24, 1), (1, 12));
        assert_eq!(ring_layout(0, 1), (0, 1));
        // Every CPU has a ring below MAX_RINGS.
        for cpus in 1..=256 {
            for per in 0..=9 {
                let (shift, rings) = ring_layout(cpus, per);
                assert!(rings <= super::MAX_RINGS, "{cpus} {per}");
                assert!((cpus - 1) >> shift < rings, "{cpus} {per}");
            }
        }
    }
}
