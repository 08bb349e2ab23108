//! Loading, attaching and reading the kernel program with aya.

use std::fs;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use aya::maps::{Array, HashMap as BpfHashMap, MapData, PerCpuArray, RingBuf};
use aya::programs::{BtfTracePoint, ProgramError};
use aya::{Btf, Ebpf, EbpfLoader};

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
        return Err(ProbeError::NotPermitted {
            missing: missing.join(" and "),
        });
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
    ring: RingBuf<MapData>,
    filter_pids: bool,
    boot_time: u64,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe")
            .field("filter_pids", &self.filter_pids)
            .finish_non_exhaustive()
    }
}

fn load_error(action: &str, e: impl std::fmt::Display) -> ProbeError {
    ProbeError::Load {
        action: action.into(),
        detail: e.to_string(),
    }
}

fn map_mut<'e>(ebpf: &'e mut Ebpf, name: &str) -> Result<&'e mut aya::maps::Map, ProbeError> {
    ebpf.map_mut(name)
        .ok_or_else(|| load_error(&format!("find map {name}"), "missing"))
}

/// The pid filter map (tgid → 1).
fn pid_map(ebpf: &mut Ebpf) -> Result<BpfHashMap<&mut MapData, u32, u8>, ProbeError> {
    BpfHashMap::try_from(map_mut(ebpf, "PIDS")?).map_err(|e| load_error("open map PIDS", e))
}

fn program_error(program: &str, e: ProgramError) -> ProbeError {
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
        other => load_error(&format!("attach {program}"), other),
    }
}

impl Probe {
    /// Loads and attaches the probe. Events flow into the ring from the
    /// moment this returns; read them with [`Probe::drain`].
    pub fn load(opts: &ProbeOptions) -> Result<Probe, ProbeError> {
        check_available()?;
        let page = 4096u32;
        if !opts.ring_bytes.is_power_of_two() || opts.ring_bytes < page {
            return Err(ProbeError::Options(format!(
                "buffer size {} is not a power of two of at least 4096 bytes",
                opts.ring_bytes
            )));
        }
        if opts.snaplen > MAX_SNAPLEN {
            return Err(ProbeError::Options(format!(
                "snaplen {} is above the probe's limit of {MAX_SNAPLEN} bytes",
                opts.snaplen
            )));
        }
        let btf = Btf::from_sys_fs().map_err(|e| load_error("read the kernel BTF", e))?;
        let boot_time = boot_time_ns();
        let ignore: u32 = if opts.ignore_self {
            std::process::id()
        } else {
            0
        };
        let filter_pids: u8 = u8::from(!opts.pids.is_empty());
        let snaplen = opts.snaplen;
        let rb_flags: u64 = 1; // BPF_RB_NO_WAKEUP: the consumer polls
        let mut ebpf = EbpfLoader::new()
            .btf(Some(&btf))
            .map_max_entries("EVENTS", opts.ring_bytes)
            .override_global("IGNORE_TGID", &ignore, true)
            .override_global("FILTER_PIDS", &filter_pids, true)
            .override_global("SNAPLEN", &snaplen, true)
            .override_global("BOOT_TIME", &boot_time, true)
            .override_global("RB_FLAGS", &rb_flags, true)
            .load(OBJECT)
            .map_err(|e| load_error("load the probe object", e))?;

        // Layouts first, then the syscall set: a syscall is never interesting
        // before its layout is in place.
        {
            let mut specs: Array<_, [u8; 8 + 4 * spec::MAX_PARAMS]> =
                Array::try_from(map_mut(&mut ebpf, "SPECS")?)
                    .map_err(|e| load_error("open map SPECS", e))?;
            for nr in 0..TABLE_SIZE as u16 {
                let enc = spec::layout_for(nr)
                    .encode(nr)
                    .map_err(|e| load_error("build the syscall layouts", e.0))?;
                specs
                    .set(u32::from(nr), enc.0, 0)
                    .map_err(|e| load_error("fill map SPECS", e))?;
            }
        }
        {
            let mut on: Array<_, u8> = Array::try_from(map_mut(&mut ebpf, "INTERESTING")?)
                .map_err(|e| load_error("open map INTERESTING", e))?;
            for nr in 0..TABLE_SIZE as u32 {
                let want = match &opts.syscalls {
                    None => true,
                    Some(set) => set.contains(&(nr as u16)),
                };
                on.set(nr, u8::from(want), 0)
                    .map_err(|e| load_error("fill map INTERESTING", e))?;
            }
        }
        if filter_pids == 1 {
            let mut pids = pid_map(&mut ebpf)?;
            for &p in &opts.pids {
                pids.insert(p, 1, 0)
                    .map_err(|e| load_error("fill map PIDS", e))?;
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
        for name in programs {
            let prog: &mut BtfTracePoint = ebpf
                .program_mut(name)
                .ok_or_else(|| load_error(&format!("find program {name}"), "missing"))?
                .try_into()
                .map_err(|e| load_error(&format!("use program {name}"), e))?;
            prog.load(name, &btf).map_err(|e| program_error(name, e))?;
            prog.attach().map_err(|e| program_error(name, e))?;
        }
        let ring = RingBuf::try_from(
            ebpf.take_map("EVENTS")
                .ok_or_else(|| load_error("find map EVENTS", "missing"))?,
        )
        .map_err(|e| load_error("open the ring buffer", e))?;
        Ok(Probe {
            ebpf,
            ring,
            filter_pids: filter_pids == 1,
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
            .map_err(|e| load_error("add to map PIDS", e))
    }

    /// Hands every record now in the ring to `f` (at most `max`); returns how
    /// many. Never blocks: the program submits without wake-ups, so callers
    /// poll with a short sleep when this returns 0.
    pub fn drain(&mut self, max: usize, mut f: impl FnMut(&[u8])) -> usize {
        let mut n = 0;
        while n < max {
            let Some(item) = self.ring.next() else { break };
            f(&item);
            n += 1;
        }
        n
    }

    /// The kernel-side counters, summed over the CPUs.
    pub fn stats(&self) -> Result<ProbeStats, ProbeError> {
        let map: PerCpuArray<_, [u64; 3]> = PerCpuArray::try_from(
            self.ebpf
                .map("STATS")
                .ok_or_else(|| load_error("find map STATS", "missing"))?,
        )
        .map_err(|e| load_error("open map STATS", e))?;
        let per_cpu = map
            .get(&0, 0)
            .map_err(|e| load_error("read map STATS", e))?;
        let mut s = ProbeStats::default();
        for v in per_cpu.iter() {
            s.events += v[0];
            s.drops += v[1];
            s.truncated += v[2];
        }
        Ok(s)
    }
}
