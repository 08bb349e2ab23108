//! The state written back as process and fd lists (a trigger window's
//! capture starts from them).

use super::*;

impl CaptureState {
    /// The threads and fds as process-list and fd-list entries, so a new
    /// capture (a trigger window) can start from what this state knows now:
    /// readers then resolve `proc.name` and `fd.name` for threads that
    /// started before it. What the state does not keep is written empty or
    /// zero (environment, fd limit, open flags); IPv4 and IPv6
    /// socket fds are rebuilt from their tuple names; threads are assumed to
    /// live in the host's pid namespace (vtid = tid). Sorted by tid, so the
    /// output is the same for the same state.
    pub fn snapshot(&self) -> (Vec<ProcessInfo>, Vec<(u64, Vec<FdInfo>)>) {
        let mut tids: Vec<u64> = self.threads.keys().copied().collect();
        tids.sort_unstable();
        let procs = tids
            .iter()
            .filter_map(|tid| self.threads.get(tid).map(|t| (*tid, t)))
            .map(|(tid, t)| {
                let mut args = Vec::new();
                for a in &t.args {
                    args.extend_from_slice(a.as_bytes());
                    args.push(0);
                }
                let cwd = match t.cwd.strip_suffix('/') {
                    Some(c) if !c.is_empty() => c,
                    _ => t.cwd.as_str(),
                };
                ProcessInfo {
                    tid,
                    pid: t.pid,
                    ptid: t.ptid,
                    comm: t.comm.clone().into_bytes(),
                    exe: t.exe.clone().into_bytes(),
                    exepath: t.exepath.clone().into_bytes(),
                    args,
                    cwd: cwd.as_bytes().to_vec(),
                    uid: t.uid,
                    gid: t.gid,
                    vtid: tid as i64,
                    vpid: t.pid as i64,
                    root: b"/".to_vec(),
                    cgroups: t.cgroups.to_vec(),
                    ..ProcessInfo::default()
                }
            })
            .collect();
        // An fd list must name a thread of the process list (libscap refuses
        // the whole file otherwise): the main thread, or else any live
        // thread of the process; tables of processes with no thread left
        // are not written.
        let mut owner: StdHashMap<u64, u64> = StdHashMap::new();
        for tid in &tids {
            if let Some(t) = self.threads.get(tid) {
                let e = owner.entry(t.pid).or_insert(*tid);
                if *tid == t.pid {
                    *e = *tid;
                }
            }
        }
        let mut pids: Vec<u64> = self.fds.keys().copied().collect();
        pids.sort_unstable();
        let fds = pids
            .iter()
            .filter_map(|pid| Some((*owner.get(pid)?, self.fds.get(pid)?)))
            .filter(|(_, t)| !t.is_empty())
            .map(|(pid, table)| {
                let mut nums: Vec<i64> = table.keys().copied().collect();
                nums.sort_unstable();
                let list = nums
                    .iter()
                    .filter_map(|fd| table.get(fd).map(|e| fd_info(*fd, e)))
                    .collect();
                (pid, list)
            })
            .collect();
        (procs, fds)
    }
}

/// An fd-list entry for what the state knows of one fd.
fn fd_info(fd: i64, e: &FdEntry) -> FdInfo {
    let named = |t: u8| (t, FdData::Named(e.name.clone().into_bytes()));
    let l4proto = match e.l4 {
        b't' => 2,
        b'u' => 3,
        b'i' => 4,
        b'r' => 5,
        _ => 0,
    };
    let (fd_type, data) = match e.typechar {
        b'f' => (
            fd_type::FILE_V2,
            FdData::FileV2 {
                open_flags: 0,
                name: e.name.clone().into_bytes(),
                dev: Some(0),
            },
        ),
        b'd' => named(fd_type::DIRECTORY),
        b'p' => named(fd_type::FIFO),
        b'u' => (
            fd_type::UNIX_SOCK,
            FdData::Unix {
                source: 0,
                dest: 0,
                name: e.name.clone().into_bytes(),
            },
        ),
        b'4' | b'6' => match socket_data(&e.name, l4proto) {
            Some(d) => d,
            None => named(fd_type::UNSUPPORTED),
        },
        b'e' => named(fd_type::EVENT),
        b's' => named(fd_type::SIGNALFD),
        b'l' => named(fd_type::EVENTPOLL),
        b'i' => named(fd_type::INOTIFY),
        b't' => named(fd_type::TIMERFD),
        b'n' => named(fd_type::NETLINK),
        // bpf, io_uring, memfd and pidfd fds (types 17-21) stop sysdig 0.29's
        // reader dead ("wrong fd type 17"), as /proc scans of libscap of
        // that age never wrote them: they go as unsupported, with their name.
        _ => named(fd_type::UNSUPPORTED),
    };
    FdInfo {
        fd,
        ino: 0,
        fd_type,
        data,
    }
}

/// A socket fd rebuilt from its tuple name (`1.2.3.4:5->6.7.8.9:10`,
/// `::1:80`), as the state renders it, with its fd type.
fn socket_data(name: &str, l4proto: u8) -> Option<(u8, FdData)> {
    use std::net::IpAddr;
    fn endpoint(s: &str) -> Option<(IpAddr, u16)> {
        let (ip, port) = s.rsplit_once(':')?;
        Some((ip.parse().ok()?, port.parse().ok()?))
    }
    fn tuple<const N: usize>(
        sip: [u8; N],
        sport: u16,
        dip: [u8; N],
        dport: u16,
        l4proto: u8,
    ) -> SocketTuple<N> {
        SocketTuple {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        }
    }
    fn listen<const N: usize>(ip: [u8; N], port: u16, l4proto: u8) -> ListenAddr<N> {
        ListenAddr { ip, port, l4proto }
    }
    let data: FdData = match name.split_once("->") {
        Some((a, b)) => match (endpoint(a)?, endpoint(b)?) {
            ((IpAddr::V4(s), sport), (IpAddr::V4(d), dport)) => {
                tuple(s.octets(), sport, d.octets(), dport, l4proto).into()
            }
            ((IpAddr::V6(s), sport), (IpAddr::V6(d), dport)) => {
                tuple(s.octets(), sport, d.octets(), dport, l4proto).into()
            }
            _ => return None,
        },
        None => match endpoint(name)? {
            (IpAddr::V4(ip), port) => listen(ip.octets(), port, l4proto).into(),
            (IpAddr::V6(ip), port) => listen(ip.octets(), port, l4proto).into(),
        },
    };
    Some((data.inet_fd_type()?, data))
}
