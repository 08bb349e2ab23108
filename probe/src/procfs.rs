//! The state of processes that started before the capture, read from /proc:
//! process-list entries (one per thread) and each process's open fds, so
//! that `proc.name`, `fd.name` and friends resolve for their events.
//!
//! Processes come and go while /proc is read: one that vanishes mid-read is
//! left out, not an error. Works on any Linux; compiled everywhere so the
//! parsers are tested on every platform.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use scapbridge_formats::meta::{
    fd_type, FdData, FdInfo, ListenAddr, MachineInfo, ProcessInfo, SocketTuple, UserEntry,
};

use crate::record::open_flags;

/// A snapshot of /proc.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every thread of every process.
    pub processes: Vec<ProcessInfo>,
    /// Open fds by process id.
    pub fds: Vec<(u64, Vec<FdInfo>)>,
}

fn read(p: impl AsRef<Path>) -> Option<Vec<u8>> {
    fs::read(p).ok()
}

fn read_link(p: impl AsRef<Path>) -> Vec<u8> {
    fs::read_link(p)
        .map(|l| l.into_os_string().into_encoded_bytes())
        .unwrap_or_default()
}

/// `Key:\tvalue` lines of /proc/PID/status.
fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':')))
        .map(str::trim)
}

fn nth_u64(s: Option<&str>, n: usize) -> u64 {
    s.and_then(|v| v.split_whitespace().nth(n))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn last_i64(s: Option<&str>) -> Option<i64> {
    s.and_then(|v| v.split_whitespace().last())
        .and_then(|v| v.parse().ok())
}

fn hex_u64(s: Option<&str>) -> u64 {
    s.and_then(|v| u64::from_str_radix(v, 16).ok()).unwrap_or(0)
}

/// Fields of /proc/PID/stat after the command name.
fn stat_fields(stat: &str) -> Vec<&str> {
    let after = stat.rfind(')').map_or("", |i| &stat[i + 1..]);
    after.split_whitespace().collect()
}

/// The executable's inode number, ctime and mtime (ns since the epoch), as
/// libscap's proc scan takes them from a stat of the executable.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct ExeInode {
    ino: u64,
    ctime_ns: u64,
    mtime_ns: u64,
}

#[cfg(unix)]
fn exe_inode(m: &fs::Metadata) -> ExeInode {
    use std::os::unix::fs::MetadataExt;
    let ns = |sec: i64, nsec: i64| {
        u64::try_from(sec)
            .ok()
            .map_or(0, |s| s * 1_000_000_000 + nsec as u64)
    };
    ExeInode {
        ino: m.ino(),
        ctime_ns: ns(m.ctime(), m.ctime_nsec()),
        mtime_ns: ns(m.mtime(), m.mtime_nsec()),
    }
}

#[cfg(not(unix))]
fn exe_inode(_m: &fs::Metadata) -> ExeInode {
    ExeInode::default()
}

/// `PPM_EXE_WRITABLE` (1) and `PPM_EXE_FROM_MEMFD` (4) of a running
/// process's executable, as the probe judges them at execve: writable for
/// its owner (the process's fsuid), by the group or other write bit, or
/// with CAP_DAC_OVERRIDE (bit 1 of `cap_eff`), unless the mount is
/// read-only; a memfd is an unlinked file named `memfd:…`. (The immutable
/// inode flag needs an ioctl on the file: not read here.)
#[cfg(unix)]
fn exe_flags(exe_link: &Path, m: &fs::Metadata, fsuid: u32, fsgid: u32, cap_eff: u64) -> u32 {
    use std::os::unix::fs::MetadataExt;
    let target = read_link(exe_link);
    let mut flags = 0;
    if m.nlink() == 0 && target.starts_with(b"/memfd:") {
        flags |= 4;
    }
    let read_only = {
        let c = std::ffi::CString::new(exe_link.as_os_str().as_encoded_bytes()).ok();
        // SAFETY: statvfs(3) writes into the zeroed struct it is given.
        #[allow(unsafe_code)]
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        #[allow(unsafe_code)]
        let ok = c.is_some_and(|c| unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0);
        ok && st.f_flag & libc::ST_RDONLY != 0
    };
    let mode = m.mode();
    let writable = !read_only
        && (m.uid() == fsuid
            || (m.gid() == fsgid && mode & 0o020 != 0)
            || (m.gid() != fsgid && mode & 0o002 != 0)
            || cap_eff & 2 != 0);
    if writable {
        flags |= 1;
    }
    flags
}

#[cfg(not(unix))]
fn exe_flags(_exe_link: &Path, _m: &fs::Metadata, _fsuid: u32, _fsgid: u32, _cap_eff: u64) -> u32 {
    0
}

/// The V9 tail: pidns start, tty, loginuid, the executable's flags
/// (`PPM_EXE_*`), capabilities, exe inode, pgid.
fn tail(
    pidns_start: u64,
    tty: u32,
    loginuid: u32,
    (exe_flags, caps): (u32, [u64; 3]),
    exe: ExeInode,
    pgid: i64,
) -> Vec<u8> {
    let bit = |b: u32| u8::from(exe_flags & b != 0);
    let mut t = Vec::with_capacity(76);
    t.extend_from_slice(&pidns_start.to_le_bytes());
    t.extend_from_slice(&tty.to_le_bytes());
    t.extend_from_slice(&loginuid.to_le_bytes());
    t.push(bit(1)); // exe_writable
    for c in caps {
        t.extend_from_slice(&c.to_le_bytes());
    }
    t.push(bit(2)); // exe_upper_layer
    t.extend_from_slice(&exe.ino.to_le_bytes());
    t.extend_from_slice(&exe.ctime_ns.to_le_bytes());
    t.extend_from_slice(&exe.mtime_ns.to_le_bytes());
    t.push(bit(4)); // exe_from_memfd
    t.push(bit(8)); // exe_lower_layer
    t.extend_from_slice(&pgid.to_le_bytes());
    t
}

/// `/proc/PID/cgroup` as libscap's proc scan turns it into the `cgroups`
/// list: `subsys=path\0` for each controller of each cgroup v1 line (named
/// hierarchies too: `name=systemd=/...`), and for the unified line
/// (`0::path`), when a cgroup2 hierarchy is mounted, the path under `cpu`,
/// `memory` and `cpuset` (the subsystems the CRI engines use); lines with
/// no controller otherwise are skipped. Stops before passing libscap's
/// 4096 bytes.
pub fn cgroups_list(cgroup_file: &str, cgroup2_mounted: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for line in cgroup_file.lines() {
        let mut f = line.splitn(3, ':');
        let (Some(id), Some(subsys), Some(path)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let subsys = if subsys.is_empty() {
            if !(cgroup2_mounted && id == "0") {
                continue;
            }
            "cpu,memory,cpuset"
        } else {
            subsys
        };
        for s in subsys.split(',').filter(|s| !s.is_empty()) {
            let item = format!("{s}={path}");
            if out.len() + item.len() + 1 > 4096 {
                return out;
            }
            out.extend_from_slice(item.as_bytes());
            out.push(0);
        }
    }
    out
}

/// Whether a cgroup2 hierarchy is mounted (in init's mount table, as
/// libscap looks, or else in ours).
fn cgroup2_mounted(proc_dir: &Path) -> bool {
    let mounts = read(proc_dir.join("1/mounts"))
        .or_else(|| read(proc_dir.join("self/mounts")))
        .unwrap_or_default();
    String::from_utf8_lossy(&mounts)
        .lines()
        .any(|l| l.split_whitespace().nth(2) == Some("cgroup2"))
}

/// Clock ticks per second of /proc/PID/stat times (USER_HZ: 100 on Linux).
const USER_HZ: u64 = 100;

/// What a snapshot reads once and every thread shares.
#[derive(Debug, Default)]
struct Shared {
    cgroup2: bool,
    /// Start time (ns since boot) of each pid namespace's init, by the
    /// namespace's link (`pid:[4026531836]`).
    pidns_start: HashMap<Vec<u8>, u64>,
}

impl Shared {
    /// The start time of the init of the pid namespace of `pdir`'s process,
    /// ns since boot (`pid_namespace->child_reaper->start_time`, which the
    /// probe writes in a clone child's `pidns_init_start_ts`), read from
    /// its own view of /proc (`root/proc/1/stat`, the container's init for
    /// a container); 0 when that cannot be read.
    fn pidns_start(&mut self, pdir: &Path) -> u64 {
        let ns = read_link(pdir.join("ns/pid"));
        if let Some(&v) = self.pidns_start.get(&ns) {
            return v;
        }
        let v = read(pdir.join("root/proc/1/stat"))
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|st| stat_fields(&st).get(19).and_then(|v| v.parse::<u64>().ok()))
            .map_or(0, |ticks| ticks * (1_000_000_000 / USER_HZ));
        if !ns.is_empty() {
            self.pidns_start.insert(ns, v);
        }
        v
    }
}

fn split_args(cmdline: &[u8]) -> (Vec<u8>, Vec<u8>) {
    match cmdline.iter().position(|&b| b == 0) {
        Some(i) => (cmdline[..i].to_vec(), cmdline[i + 1..].to_vec()),
        None => (cmdline.to_vec(), Vec::new()),
    }
}

fn fd_limit(limits: &str) -> u64 {
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// One thread's entry; `None` if it vanished.
fn thread_info(proc_dir: &Path, pid: u64, tid: u64, shared: &mut Shared) -> Option<ProcessInfo> {
    let tdir = proc_dir
        .join(pid.to_string())
        .join("task")
        .join(tid.to_string());
    let pdir = proc_dir.join(pid.to_string());
    let status = String::from_utf8(read(tdir.join("status"))?).ok()?;
    let stat = String::from_utf8(read(tdir.join("stat"))?).ok()?;
    let st = stat_fields(&stat);
    let num = |i: usize| st.get(i).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let cmdline = read(pdir.join("cmdline")).unwrap_or_default();
    let (exe, args) = split_args(&cmdline);
    let comm = status_field(&status, "Name")
        .unwrap_or("")
        .as_bytes()
        .to_vec();
    let loginuid = read(pdir.join("loginuid"))
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(u32::MAX);
    let caps = [
        hex_u64(status_field(&status, "CapInh")),
        hex_u64(status_field(&status, "CapPrm")),
        hex_u64(status_field(&status, "CapEff")),
    ];
    // stat: [0] state, [1] ppid, [2] pgrp, [3] session, [4] tty_nr, [7] minflt, [9] majflt
    let pgid = num(2);
    let cgroups = read(tdir.join("cgroup"))
        .map(|c| cgroups_list(&String::from_utf8_lossy(&c), shared.cgroup2))
        .unwrap_or_default();
    // One stat of the executable for its inode and its flags:
    // /proc/PID/exe follows to the file even in another mount namespace.
    let exe_link = pdir.join("exe");
    let exe_meta = fs::metadata(&exe_link).ok();
    let exe_ino = exe_meta.as_ref().map_or_else(ExeInode::default, exe_inode);
    let flags = exe_meta.as_ref().map_or(0, |m| {
        exe_flags(
            &exe_link,
            m,
            nth_u64(status_field(&status, "Uid"), 3) as u32,
            nth_u64(status_field(&status, "Gid"), 3) as u32,
            caps[2],
        )
    });
    Some(ProcessInfo {
        tid,
        pid,
        ptid: num(1) as u64,
        sid: num(3) as u64,
        // The ids in the process's own pid namespace: the last of each NS* list.
        vpgid: last_i64(status_field(&status, "NSpgid")).unwrap_or(pgid) as u64,
        comm: if comm.is_empty() { exe.clone() } else { comm },
        exe: if exe.is_empty() {
            status_field(&status, "Name")
                .unwrap_or("")
                .as_bytes()
                .to_vec()
        } else {
            exe
        },
        exepath: read_link(pdir.join("exe")),
        args,
        cwd: read_link(pdir.join("cwd")),
        fdlimit: fd_limit(&String::from_utf8_lossy(
            &read(pdir.join("limits")).unwrap_or_default(),
        )),
        flags: 0,
        uid: nth_u64(status_field(&status, "Uid"), 1) as u32,
        gid: nth_u64(status_field(&status, "Gid"), 1) as u32,
        vmsize_kb: nth_u64(status_field(&status, "VmSize"), 0) as u32,
        vmrss_kb: nth_u64(status_field(&status, "VmRSS"), 0) as u32,
        vmswap_kb: nth_u64(status_field(&status, "VmSwap"), 0) as u32,
        pfmajor: num(9) as u64,
        pfminor: num(7) as u64,
        env: read(pdir.join("environ")).unwrap_or_default(),
        vtid: last_i64(status_field(&status, "NSpid")).unwrap_or(tid as i64),
        vpid: last_i64(status_field(&status, "NStgid")).unwrap_or(pid as i64),
        cgroups,
        root: read_link(pdir.join("root")),
        tail: tail(
            shared.pidns_start(&pdir),
            num(4) as u32,
            loginuid,
            (flags, caps),
            exe_ino,
            pgid,
        ),
    })
}

/// Sockets by inode, from /proc/net (the capture's network namespace).
#[derive(Debug, Default)]
struct Sockets(HashMap<u64, (u8, FdData)>);

/// An address of `/proc/net/{tcp,udp}{,6}` (`0100007F:0016`): `N` bytes
/// as 32-bit words in host order, then the port.
fn hex_ip<const N: usize>(s: &str) -> Option<([u8; N], u16)> {
    let (a, p) = s.split_once(':')?;
    if a.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, chunk) in out.chunks_mut(4).enumerate() {
        let w = u32::from_str_radix(&a[8 * i..8 * i + 8], 16).ok()?;
        chunk.copy_from_slice(&w.to_ne_bytes());
    }
    Some((out, u16::from_str_radix(p, 16).ok()?))
}

/// The fd type and data of one `/proc/net` socket line of address width `N`.
fn inet_entry<const N: usize>(
    local: &str,
    remote: &str,
    listening: bool,
    l4proto: u8,
) -> Option<(u8, FdData)>
where
    FdData: From<SocketTuple<N>> + From<ListenAddr<N>>,
{
    let ((sip, sport), (dip, dport)) = (hex_ip::<N>(local)?, hex_ip::<N>(remote)?);
    let data = if listening {
        FdData::from(ListenAddr {
            ip: sip,
            port: sport,
            l4proto,
        })
    } else {
        FdData::from(SocketTuple {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        })
    };
    Some((data.inet_fd_type()?, data))
}

impl Sockets {
    fn read(proc_dir: &Path) -> Sockets {
        let mut s = Sockets::default();
        for (file, proto, v6) in [
            ("tcp", 6u8, false),
            ("udp", 17, false),
            ("tcp6", 6, true),
            ("udp6", 17, true),
        ] {
            let text = String::from_utf8(read(proc_dir.join("net").join(file)).unwrap_or_default())
                .unwrap_or_default();
            for line in text.lines().skip(1) {
                let f: Vec<&str> = line.split_whitespace().collect();
                let (Some(local), Some(remote), Some(ino)) = (
                    f.get(1),
                    f.get(2),
                    f.get(9).and_then(|v| v.parse::<u64>().ok()),
                ) else {
                    continue;
                };
                // TCP state 0A is LISTEN; an unconnected UDP socket has a zero peer.
                let listening = f.get(3) == Some(&"0A")
                    || remote.starts_with("00000000:0000")
                    || remote.starts_with("00000000000000000000000000000000:0000");
                let entry = if v6 {
                    inet_entry::<16>(local, remote, listening, proto)
                } else {
                    inet_entry::<4>(local, remote, listening, proto)
                };
                let Some(entry) = entry else { continue };
                s.0.insert(ino, entry);
            }
        }
        let text = String::from_utf8(read(proc_dir.join("net/unix")).unwrap_or_default())
            .unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let Some(ino) = f.get(6).and_then(|v| v.parse::<u64>().ok()) else {
                continue;
            };
            let name = f.get(7).map(|n| n.as_bytes().to_vec()).unwrap_or_default();
            let source = f
                .first()
                .and_then(|a| u64::from_str_radix(a.trim_end_matches(':'), 16).ok())
                .unwrap_or(0);
            s.0.insert(
                ino,
                (
                    fd_type::UNIX_SOCK,
                    FdData::Unix {
                        source,
                        dest: 0,
                        name,
                    },
                ),
            );
        }
        s
    }
}

fn fd_entry(pdir: &Path, fd: i64, sockets: &Sockets) -> Option<FdInfo> {
    let target = read_link(pdir.join("fd").join(fd.to_string()));
    if target.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&target).into_owned();
    let inode_of = |prefix: &str| {
        text.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|n| n.parse::<u64>().ok())
    };
    if let Some(ino) = inode_of("socket:[") {
        let (t, data) = sockets.0.get(&ino).cloned().unwrap_or((
            fd_type::UNIX_SOCK,
            FdData::Unix {
                source: 0,
                dest: 0,
                name: Vec::new(),
            },
        ));
        return Some(FdInfo {
            fd,
            ino,
            fd_type: t,
            data,
        });
    }
    if let Some(ino) = inode_of("pipe:[") {
        return Some(FdInfo {
            fd,
            ino,
            fd_type: fd_type::FIFO,
            data: FdData::Named(target),
        });
    }
    if text.starts_with("anon_inode:") {
        let t = match text.as_str() {
            "anon_inode:[eventfd]" => fd_type::EVENT,
            "anon_inode:[eventpoll]" => fd_type::EVENTPOLL,
            "anon_inode:inotify" => fd_type::INOTIFY,
            "anon_inode:[timerfd]" => fd_type::TIMERFD,
            "anon_inode:[signalfd]" => fd_type::SIGNALFD,
            // bpf maps and programs too: fd type 17 (BPF) makes sysdig 0.29
            // refuse the whole file.
            _ => fd_type::UNSUPPORTED,
        };
        return Some(FdInfo {
            fd,
            ino: 0,
            fd_type: t,
            data: FdData::Named(target),
        });
    }
    let fdinfo =
        String::from_utf8(read(pdir.join("fdinfo").join(fd.to_string())).unwrap_or_default())
            .unwrap_or_default();
    let flags = status_field(&fdinfo, "flags")
        .and_then(|v| u32::from_str_radix(v, 8).ok())
        .unwrap_or(0);
    let ino = status_field(&fdinfo, "ino")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let is_dir = fs::metadata(&text).map(|m| m.is_dir()).unwrap_or(false);
    if is_dir {
        return Some(FdInfo {
            fd,
            ino,
            fd_type: fd_type::DIRECTORY,
            data: FdData::Named(target),
        });
    }
    Some(FdInfo {
        ino,
        ..FdInfo::file(fd, target, open_flags(flags))
    })
}

/// Reads every process (or only `only`, when given) under `proc_dir`
/// (normally `/proc`).
pub fn snapshot(proc_dir: &Path, only: Option<&[u32]>) -> Snapshot {
    let mut snap = Snapshot::default();
    let sockets = Sockets::read(proc_dir);
    let mut shared = Shared {
        cgroup2: cgroup2_mounted(proc_dir),
        ..Shared::default()
    };
    let Ok(dir) = fs::read_dir(proc_dir) else {
        return snap;
    };
    let mut pids: Vec<u64> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|p: &u64| only.is_none_or(|o| o.contains(&(*p as u32))))
        .collect();
    pids.sort_unstable();
    for pid in pids {
        let pdir = proc_dir.join(pid.to_string());
        let Ok(tasks) = fs::read_dir(pdir.join("task")) else {
            continue;
        };
        let mut tids: Vec<u64> = tasks
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        tids.sort_unstable();
        let mut any = false;
        for tid in tids {
            if let Some(p) = thread_info(proc_dir, pid, tid, &mut shared) {
                snap.processes.push(p);
                any = true;
            }
        }
        if !any {
            continue;
        }
        let mut fds: Vec<i64> = fs::read_dir(pdir.join("fd"))
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        fds.sort_unstable();
        let list: Vec<FdInfo> = fds
            .into_iter()
            .filter_map(|fd| fd_entry(&pdir, fd, &sockets))
            .collect();
        if !list.is_empty() {
            snap.fds.push((pid, list));
        }
    }
    snap
}

/// The state letter of a process (`R`, `S`, `T` stopped, `Z`...), `None`
/// once it is gone.
pub fn process_state(proc_dir: &Path, pid: u32) -> Option<char> {
    let stat = String::from_utf8(read(proc_dir.join(pid.to_string()).join("stat"))?).ok()?;
    stat_fields(&stat).first().and_then(|s| s.chars().next())
}

/// The descendants of `roots` (by ppid), roots included.
pub fn descendants(proc_dir: &Path, roots: &[u32]) -> Vec<u32> {
    let mut parent: Vec<(u32, u32)> = Vec::new();
    if let Ok(dir) = fs::read_dir(proc_dir) {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let stat = String::from_utf8(read(e.path().join("stat")).unwrap_or_default())
                .unwrap_or_default();
            if let Some(pp) = stat_fields(&stat).get(1).and_then(|v| v.parse().ok()) {
                parent.push((pid, pp));
            }
        }
    }
    let mut out: Vec<u32> = roots.to_vec();
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        for &(c, pp) in &parent {
            if pp == p && !out.contains(&c) {
                out.push(c);
            }
        }
        i += 1;
    }
    out
}

/// Time since boot, ns, from /proc/uptime (the boot clock the probe stamps
/// events with; 10 ms resolution).
pub fn uptime_ns() -> u64 {
    let up = fs::read_to_string("/proc/uptime").unwrap_or_default();
    let s: f64 = up
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    (s * 1e9) as u64
}

/// This machine's description.
pub fn machine_info(boot_ts_epoch: u64) -> MachineInfo {
    let hostname = read("/proc/sys/kernel/hostname")
        .map(|h| h.trim_ascii_end().to_vec())
        .unwrap_or_default();
    let meminfo = String::from_utf8(read("/proc/meminfo").unwrap_or_default()).unwrap_or_default();
    let mem_kb = nth_u64(status_field(&meminfo, "MemTotal"), 0);
    MachineInfo {
        num_cpus: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
        memory_size_bytes: mem_kb * 1024,
        max_pid: 0,
        hostname,
        boot_ts_epoch,
        ..MachineInfo::default()
    }
}

/// Users and groups from /etc/passwd and /etc/group.
pub fn users(etc: &Path) -> Vec<UserEntry> {
    let mut out = Vec::new();
    let passwd =
        String::from_utf8(read(etc.join("passwd")).unwrap_or_default()).unwrap_or_default();
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if let (Some(name), Some(uid), Some(gid)) = (
            f.first(),
            f.get(2).and_then(|v| v.parse().ok()),
            f.get(3).and_then(|v| v.parse().ok()),
        ) {
            out.push(UserEntry::User {
                uid,
                gid,
                name: name.as_bytes().to_vec(),
                homedir: f.get(5).unwrap_or(&"").as_bytes().to_vec(),
                shell: f.get(6).unwrap_or(&"").as_bytes().to_vec(),
            });
        }
    }
    let group = String::from_utf8(read(etc.join("group")).unwrap_or_default()).unwrap_or_default();
    for line in group.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if let (Some(name), Some(gid)) = (f.first(), f.get(2).and_then(|v| v.parse().ok())) {
            out.push(UserEntry::Group {
                gid,
                name: name.as_bytes().to_vec(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_net_addresses() {
        assert_eq!(hex_ip::<4>("0100007F:1F90"), Some(([127, 0, 0, 1], 8080)));
        let (a, p) = hex_ip::<16>("00000000000000000000000001000000:0050").expect("v6");
        assert_eq!(p, 80);
        assert_eq!(a[15], 1);
    }

    #[test]
    fn cgroups_list_is_libscaps() {
        let hybrid = "9:name=systemd:/libpod_parent/libpod-ab\n3:cpu,cpuacct:/libpod_parent/libpod-ab\n0::/libpod_parent/libpod-ab\n";
        assert_eq!(
            cgroups_list(hybrid, true),
            b"name=systemd=/libpod_parent/libpod-ab\0cpu=/libpod_parent/libpod-ab\0\
              cpuacct=/libpod_parent/libpod-ab\0cpu=/libpod_parent/libpod-ab\0\
              memory=/libpod_parent/libpod-ab\0cpuset=/libpod_parent/libpod-ab\0"
        );
        // Without a cgroup2 mount the unified line says nothing.
        assert_eq!(
            cgroups_list("0::/init.scope\n4:memory:/\n", false),
            b"memory=/\0"
        );
        assert!(cgroups_list("", true).is_empty());
    }

    #[test]
    fn tail_carries_pidns_start_and_exe_inode() {
        let exe = ExeInode {
            ino: 7,
            ctime_ns: 8,
            mtime_ns: 9,
        };
        let t = tail(5, 1, u32::MAX, (5, [0; 3]), exe, 42);
        assert_eq!(t.len(), 76);
        // exe_writable, exe_upper_layer, exe_from_memfd, exe_lower_layer.
        assert_eq!((t[16], t[41], t[66], t[67]), (1, 0, 1, 0));
        assert_eq!(u64::from_le_bytes(t[0..8].try_into().expect("8")), 5);
        assert_eq!(u64::from_le_bytes(t[42..50].try_into().expect("8")), 7);
        assert_eq!(u64::from_le_bytes(t[50..58].try_into().expect("8")), 8);
        assert_eq!(u64::from_le_bytes(t[58..66].try_into().expect("8")), 9);
        assert_eq!(i64::from_le_bytes(t[68..76].try_into().expect("8")), 42);
    }

    #[test]
    fn stat_fields_skip_the_command() {
        let f = stat_fields("42 (a b) c) S 1 42 42 34816 0");
        assert_eq!(f[0], "S");
        assert_eq!(f[1], "1");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn snapshot_has_this_process_with_its_fds() {
        let me = std::process::id();
        let f = tempfile_like();
        let snap = snapshot(Path::new("/proc"), Some(&[me]));
        let p = snap
            .processes
            .iter()
            .find(|p| p.tid == u64::from(me))
            .expect("own entry");
        assert_eq!(p.pid, u64::from(me));
        assert!(!p.exepath.is_empty());
        let fds = &snap
            .fds
            .iter()
            .find(|(pid, _)| *pid == u64::from(me))
            .expect("own fds")
            .1;
        assert!(
            fds.iter()
                .any(|e| e.name().ends_with(b"scapbridge-procfs-test")),
            "{fds:?}"
        );
        drop(f);
    }

    #[cfg(target_os = "linux")]
    fn tempfile_like() -> fs::File {
        let path =
            std::env::temp_dir().join(format!("{}-scapbridge-procfs-test", std::process::id()));
        let f = fs::File::create(&path).expect("create");
        let _ = fs::remove_file(&path);
        let f2 = fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(std::env::temp_dir().join("scapbridge-procfs-test"))
            .expect("open");
        drop(f);
        f2
    }
}
