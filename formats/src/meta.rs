//! Metadata blocks: machine info, process list, fd list, interface list and
//! user list, in every version libscap has written. Parsers take a block body
//! (without the 8-byte header and the trailer) and return owned records;
//! the writer serialises the newest version of each.

use crate::bytes::Cursor;
use crate::fault::Fault;

/// Longest single-string field libscap's file reader accepts in metadata
/// blocks (comm, exe, exepath, cwd, root, fd names). The reader refuses the *whole file* over one longer field
/// ("invalid exelen", "invalid filename len"), and some versions test
/// `>= SCAP_MAX_PATH_SIZE`, so 1023 is the longest every version takes.
pub const MAX_PATH_FIELD: usize = 1023;

/// Longest NUL-separated list field (args, env, cgroups) libscap's reader
/// accepts (`SCAP_MAX_ARGS_SIZE`, `SCAP_MAX_ENV_SIZE`,
/// `SCAP_MAX_CGROUPS_SIZE`). libscap's own /proc scan cuts these lists at
/// the same size, so a live system routinely has longer ones (a linker's
/// command line): found when sysdig refused our capture with "invalid
/// argslen 25505" on a CI machine busy building.
pub const MAX_LIST_FIELD: usize = 4096;

/// Longest user or group name, home directory or shell libscap's reader
/// accepts (`MAX_CREDENTIALS_STR_LEN` is 256 and the test is `>=`).
pub const MAX_CREDENTIAL_FIELD: usize = 255;

/// The part of a single-string field that is written: its first `max` bytes.
fn clamp(s: &[u8], max: usize) -> &[u8] {
    &s[..s.len().min(max)]
}

/// The part of a NUL-separated list that is written: whole items up to
/// [`MAX_LIST_FIELD`] bytes, so a reader never sees half an argument as if
/// it were whole; a first item longer than the limit is cut at the limit.
fn clamp_list(s: &[u8]) -> &[u8] {
    if s.len() <= MAX_LIST_FIELD {
        return s;
    }
    let head = &s[..MAX_LIST_FIELD];
    match head.iter().rposition(|&b| b == 0) {
        Some(i) => &s[..=i],
        None => head,
    }
}

/// Appends a u16-length-prefixed string (metadata blocks). Callers clamp
/// the field to what readers accept first; every limit is below 65535.
fn put_str16(out: &mut Vec<u8>, s: &[u8]) {
    debug_assert!(s.len() <= u16::MAX as usize);
    out.extend_from_slice(&(s.len() as u16).to_le_bytes());
    out.extend_from_slice(s);
}

/// Machine info block (`0x201`), a fixed 180-byte body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MachineInfo {
    /// Number of CPUs.
    pub num_cpus: u32,
    /// Physical memory in bytes.
    pub memory_size_bytes: u64,
    /// Highest pid (libscap writes 0).
    pub max_pid: u64,
    /// Host name (at most 127 bytes are kept).
    pub hostname: Vec<u8>,
    /// Boot time, ns since the epoch (0 in older files).
    pub boot_ts_epoch: u64,
    /// Flags (unused by readers).
    pub flags: u64,
    /// Reserved fields, kept for byte-exact round trips.
    pub reserved3: u64,
    /// Reserved.
    pub reserved4: u64,
}

/// Size of the machine-info body every reader expects.
pub const MACHINE_INFO_BODY_LEN: usize = 180;

impl MachineInfo {
    pub(crate) fn parse(c: &mut Cursor<'_>) -> Result<Self, Fault> {
        if c.remaining() < MACHINE_INFO_BODY_LEN {
            return Err(Fault::BodyLength {
                have: c.remaining(),
                expected: MACHINE_INFO_BODY_LEN,
            });
        }
        let num_cpus = c.u32()?;
        let memory_size_bytes = c.u64()?;
        let max_pid = c.u64()?;
        let host = c.take(128)?;
        let end = host.iter().position(|&b| b == 0).unwrap_or(host.len());
        Ok(MachineInfo {
            num_cpus,
            memory_size_bytes,
            max_pid,
            hostname: host[..end].to_vec(),
            boot_ts_epoch: c.u64()?,
            flags: c.u64()?,
            reserved3: c.u64()?,
            reserved4: c.u64()?,
        })
    }

    pub(crate) fn serialize(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.num_cpus.to_le_bytes());
        out.extend_from_slice(&self.memory_size_bytes.to_le_bytes());
        out.extend_from_slice(&self.max_pid.to_le_bytes());
        let mut host = [0u8; 128];
        let n = self.hostname.len().min(127);
        host[..n].copy_from_slice(&self.hostname[..n]);
        out.extend_from_slice(&host);
        out.extend_from_slice(&self.boot_ts_epoch.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.reserved3.to_le_bytes());
        out.extend_from_slice(&self.reserved4.to_le_bytes());
    }
}

/// Process-list block versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum PlVersion {
    V1 = 1,
    V2,
    V3,
    V4,
    V5,
    V6,
    V7,
    V8,
    V9,
}

/// One thread of a process-list block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcessInfo {
    /// Thread id.
    pub tid: u64,
    /// Process id.
    pub pid: u64,
    /// Parent thread id.
    pub ptid: u64,
    /// Session id (V6+).
    pub sid: u64,
    /// Process group id in its namespace (V8+).
    pub vpgid: u64,
    /// Command name.
    pub comm: Vec<u8>,
    /// argv[0].
    pub exe: Vec<u8>,
    /// Full executable path (V7+).
    pub exepath: Vec<u8>,
    /// argv[1..], each NUL-terminated.
    pub args: Vec<u8>,
    /// Working directory.
    pub cwd: Vec<u8>,
    /// fd limit.
    pub fdlimit: u64,
    /// `PPM_CL_*` flags.
    pub flags: u32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// VM size in KiB (V2+).
    pub vmsize_kb: u32,
    /// RSS in KiB.
    pub vmrss_kb: u32,
    /// Swap in KiB.
    pub vmswap_kb: u32,
    /// Major page faults.
    pub pfmajor: u64,
    /// Minor page faults.
    pub pfminor: u64,
    /// Environment, `K=V\0` items (V3+).
    pub env: Vec<u8>,
    /// Thread id in its pid namespace (V4+).
    pub vtid: i64,
    /// Process id in its pid namespace.
    pub vpid: i64,
    /// cgroups, `subsys=path\0` items.
    pub cgroups: Vec<u8>,
    /// Root directory (V5+).
    pub root: Vec<u8>,
    /// The V9 optional tail (pidns_init_start_ts, tty, loginuid, caps, ...),
    /// kept raw so a round trip preserves it; see [`ProcessInfo::tty`] and
    /// [`ProcessInfo::loginuid`].
    pub tail: Vec<u8>,
}

/// The V9 tail libs HEAD writes, for entries that have none: pidns start 0,
/// tty 0, loginuid unset, then zeroed capability and inode fields.
const DEFAULT_TAIL_LEN: usize = 76;

fn default_tail() -> Vec<u8> {
    let mut t = Vec::with_capacity(DEFAULT_TAIL_LEN);
    t.extend_from_slice(&0u64.to_le_bytes()); // pidns_init_start_ts
    t.extend_from_slice(&0u32.to_le_bytes()); // tty
    t.extend_from_slice(&u32::MAX.to_le_bytes()); // loginuid
    t.push(0); // exe_writable
    t.extend_from_slice(&[0u8; 24]); // cap_inheritable, cap_permitted, cap_effective
    t.push(0); // exe_upper_layer
    t.extend_from_slice(&[0u8; 24]); // exe_ino, ctime, mtime
    t.push(0); // exe_from_memfd
    t.push(0); // exe_lower_layer
    t.extend_from_slice(&0i64.to_le_bytes()); // pgid
    debug_assert_eq!(t.len(), DEFAULT_TAIL_LEN);
    t
}

impl ProcessInfo {
    /// The controlling tty, from the V9 tail (libs ≥ 0.10 layout), if present.
    pub fn tty(&self) -> Option<u32> {
        (self.tail.len() > 29)
            .then(|| u32::from_le_bytes(self.tail[8..12].try_into().unwrap_or_default()))
    }

    /// The login uid from the V9 tail, if present (`u32::MAX` = unset).
    pub fn loginuid(&self) -> Option<u32> {
        if self.tail.len() > 29 {
            Some(u32::from_le_bytes(
                self.tail[12..16].try_into().unwrap_or_default(),
            ))
        } else if self.tail.len() >= 4 {
            // pre-0.10 tail: loginuid first
            Some(u32::from_le_bytes(
                self.tail[0..4].try_into().unwrap_or_default(),
            ))
        } else {
            None
        }
    }

    /// The 64-bit number at `o` of the V9 tail, if the tail holds it.
    fn tail_u64(&self, o: usize) -> Option<u64> {
        self.tail
            .get(o..o + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
    }

    /// The capability sets (inheritable, permitted, effective) from the V9
    /// tail (after pidns start, tty, login uid and exe_writable), if present.
    pub fn caps(&self) -> Option<Caps> {
        let at = |o: usize| self.tail_u64(o);
        Some(Caps {
            inheritable: at(17)?,
            permitted: at(25)?,
            effective: at(33)?,
        })
    }

    /// The executable's inode number, ctime and mtime from the V9 tail
    /// (after pidns start, tty, login uid, exe_writable, the three
    /// capability sets and exe_upper_layer), if present.
    pub fn exe_inode(&self) -> Option<ExeInode> {
        let at = |o: usize| self.tail_u64(o);
        Some(ExeInode {
            ino: at(42)?,
            ctime: at(50)?,
            mtime: at(58)?,
            ctime_to_clone: 0,
        })
    }

    /// The executable's `PPM_EXE_*` flags (writable 1, upper layer 2, from
    /// memfd 4, lower layer 8) from the V9 tail's bytes, if it has the
    /// first (older tails end before the memfd and lower-layer bytes).
    pub fn exe_flags(&self) -> Option<u32> {
        let byte = |o: usize| self.tail.get(o).map_or(0, |b| u32::from(*b != 0));
        (self.tail.len() > 16).then(|| byte(16) | byte(41) << 1 | byte(66) << 2 | byte(67) << 3)
    }

    /// The process group id in the host's pid namespace, from the V9 tail
    /// (after the inode fields, exe_from_memfd and exe_lower_layer), if
    /// present.
    pub fn pgid(&self) -> Option<u64> {
        self.tail_u64(68)
    }

    pub(crate) fn parse_list(c: &mut Cursor<'_>, v: PlVersion) -> Result<Vec<Self>, Fault> {
        let sized = (v == PlVersion::V9).then_some(EntryLength::CountsItself);
        parse_entries(c, "process", sized, |e| Self::parse_one(e, v))
    }

    fn parse_one(c: &mut Cursor<'_>, v: PlVersion) -> Result<Self, Fault> {
        use PlVersion::*;
        let mut p = ProcessInfo {
            tid: c.u64()?,
            pid: c.u64()?,
            ptid: c.u64()?,
            ..Default::default()
        };
        if v >= V6 {
            p.sid = c.u64()?;
        }
        // Lists older than V8 have no process group: unknown (-1), as
        // libsinsp keeps it, not group 0.
        p.vpgid = if v >= V8 { c.u64()? } else { u64::MAX };
        p.comm = c.str16()?.to_vec();
        p.exe = c.str16()?.to_vec();
        if v >= V7 {
            p.exepath = c.str16()?.to_vec();
        }
        p.args = c.str16()?.to_vec();
        p.cwd = c.str16()?.to_vec();
        p.fdlimit = c.u64()?;
        p.flags = c.u32()?;
        p.uid = c.u32()?;
        p.gid = c.u32()?;
        if v >= V2 {
            p.vmsize_kb = c.u32()?;
            p.vmrss_kb = c.u32()?;
            p.vmswap_kb = c.u32()?;
            p.pfmajor = c.u64()?;
            p.pfminor = c.u64()?;
        }
        if v >= V3 {
            p.env = c.str16()?.to_vec();
        }
        if v >= V4 {
            p.vtid = c.u64()? as i64;
            p.vpid = c.u64()? as i64;
            p.cgroups = c.str16()?.to_vec();
        }
        if v >= V5 {
            p.root = c.str16()?.to_vec();
        }
        if v == V9 {
            p.tail = c.rest().to_vec();
        }
        Ok(p)
    }

    /// Serialised size of this entry as PL_V9, including its length prefix.
    pub(crate) fn v9_len(&self) -> usize {
        let tail = if self.tail.is_empty() {
            DEFAULT_TAIL_LEN
        } else {
            self.tail.len()
        };
        let strings: usize = self.v9_strings().iter().map(|s| 2 + s.len()).sum();
        4 + 5 * 8 + strings + 8 + 4 * 3 + 4 * 3 + 8 * 2 + 16 + tail
    }

    /// The string fields of a PL_V9 entry in file order (comm, exe,
    /// exepath, args, cwd, env, cgroups, root), each clamped to what
    /// libscap's reader accepts.
    fn v9_strings(&self) -> [&[u8]; 8] {
        [
            clamp(&self.comm, MAX_PATH_FIELD),
            clamp(&self.exe, MAX_PATH_FIELD),
            clamp(&self.exepath, MAX_PATH_FIELD),
            clamp_list(&self.args),
            clamp(&self.cwd, MAX_PATH_FIELD),
            clamp_list(&self.env),
            clamp_list(&self.cgroups),
            clamp(&self.root, MAX_PATH_FIELD),
        ]
    }

    pub(crate) fn serialize_v9(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.v9_len() as u32).to_le_bytes());
        for v in [self.tid, self.pid, self.ptid, self.sid, self.vpgid] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let [comm, exe, exepath, args, cwd, env, cgroups, root] = self.v9_strings();
        for s in [comm, exe, exepath, args, cwd] {
            put_str16(out, s);
        }
        out.extend_from_slice(&self.fdlimit.to_le_bytes());
        for v in [
            self.flags,
            self.uid,
            self.gid,
            self.vmsize_kb,
            self.vmrss_kb,
            self.vmswap_kb,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.pfmajor.to_le_bytes());
        out.extend_from_slice(&self.pfminor.to_le_bytes());
        put_str16(out, env);
        out.extend_from_slice(&self.vtid.to_le_bytes());
        out.extend_from_slice(&self.vpid.to_le_bytes());
        put_str16(out, cgroups);
        put_str16(out, root);
        if self.tail.is_empty() {
            out.extend_from_slice(&default_tail());
        } else {
            out.extend_from_slice(&self.tail);
        }
    }
}

/// fd types (`scap_fd_type`).
#[allow(missing_docs)]
pub mod fd_type {
    pub const UNINITIALIZED: u8 = 0;
    pub const FILE: u8 = 1;
    pub const DIRECTORY: u8 = 2;
    pub const IPV4_SOCK: u8 = 3;
    pub const IPV6_SOCK: u8 = 4;
    pub const IPV4_SERVSOCK: u8 = 5;
    pub const IPV6_SERVSOCK: u8 = 6;
    pub const FIFO: u8 = 7;
    pub const UNIX_SOCK: u8 = 8;
    pub const EVENT: u8 = 9;
    pub const UNSUPPORTED: u8 = 10;
    pub const SIGNALFD: u8 = 11;
    pub const EVENTPOLL: u8 = 12;
    pub const INOTIFY: u8 = 13;
    pub const TIMERFD: u8 = 14;
    pub const NETLINK: u8 = 15;
    pub const FILE_V2: u8 = 16;
    pub const BPF: u8 = 17;
    pub const USERFAULTFD: u8 = 18;
    pub const IOURING: u8 = 19;
    pub const MEMFD: u8 = 20;
    pub const PIDFD: u8 = 21;
}

/// A connected inet socket: its tuple and protocol. `N` is the address
/// width, 4 (IPv4) or 16 (IPv6); addresses in network byte order, ports in
/// host order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketTuple<const N: usize> {
    /// Source address.
    pub sip: [u8; N],
    /// Destination address.
    pub dip: [u8; N],
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Layer-4 protocol (libscap's `SCAP_L4_*` numbering).
    pub l4proto: u8,
}

impl<const N: usize> SocketTuple<N> {
    fn parse(c: &mut Cursor<'_>) -> Result<Self, Fault> {
        Ok(Self {
            sip: c.array()?,
            dip: c.array()?,
            sport: c.u16()?,
            dport: c.u16()?,
            l4proto: c.u8()?,
        })
    }

    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.sip);
        out.extend_from_slice(&self.dip);
        out.extend_from_slice(&self.sport.to_le_bytes());
        out.extend_from_slice(&self.dport.to_le_bytes());
        out.push(self.l4proto);
    }
}

/// A listening inet socket: its address, port and protocol. `N` as in
/// [`SocketTuple`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenAddr<const N: usize> {
    /// Address listened on.
    pub ip: [u8; N],
    /// Port listened on.
    pub port: u16,
    /// Layer-4 protocol (libscap's `SCAP_L4_*` numbering).
    pub l4proto: u8,
}

impl<const N: usize> ListenAddr<N> {
    fn parse(c: &mut Cursor<'_>) -> Result<Self, Fault> {
        Ok(Self {
            ip: c.array()?,
            port: c.u16()?,
            l4proto: c.u8()?,
        })
    }

    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.ip);
        out.extend_from_slice(&self.port.to_le_bytes());
        out.push(self.l4proto);
    }
}

macro_rules! fd_data_from {
    ($($t:ty => $variant:ident, $fd_type:ident;)*) => {$(
        impl From<$t> for FdData {
            fn from(v: $t) -> Self {
                FdData::$variant(v)
            }
        }
    )*
        impl FdData {
            /// The `scap_fd_type` of an inet socket's data; `None` for the
            /// other kinds, whose type the data does not tell.
            pub fn inet_fd_type(&self) -> Option<u8> {
                match self {
                    $(FdData::$variant(_) => Some(fd_type::$fd_type),)*
                    _ => None,
                }
            }

            /// The layer-4 protocol of an inet socket's data (libscap's
            /// `SCAP_L4_*` numbering); `None` for the other kinds.
            pub fn l4proto(&self) -> Option<u8> {
                match self {
                    $(FdData::$variant(s) => Some(s.l4proto),)*
                    _ => None,
                }
            }
        }
    };
}

fd_data_from! {
    SocketTuple<4> => Ipv4, IPV4_SOCK;
    SocketTuple<16> => Ipv6, IPV6_SOCK;
    ListenAddr<4> => Ipv4Server, IPV4_SERVSOCK;
    ListenAddr<16> => Ipv6Server, IPV6_SERVSOCK;
}

/// Type-specific data of an fd-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FdData {
    /// IPv4 connected socket.
    Ipv4(SocketTuple<4>),
    /// IPv6 connected socket.
    Ipv6(SocketTuple<16>),
    /// IPv4 listening socket.
    Ipv4Server(ListenAddr<4>),
    /// IPv6 listening socket.
    Ipv6Server(ListenAddr<16>),
    /// Unix socket with its kernel endpoints.
    Unix {
        /// Kernel address of this end.
        source: u64,
        /// Kernel address of the peer end.
        dest: u64,
        /// Name, as libscap writes it.
        name: Vec<u8>,
    },
    /// A regular file (FILE_V2): open flags, name, device (if present).
    FileV2 {
        /// Open flags (scap PPM_O_* bits).
        open_flags: u32,
        /// Name, as libscap writes it.
        name: Vec<u8>,
        /// Device number, when the block version has it.
        dev: Option<u32>,
    },
    /// Every other type: a name.
    Named(Vec<u8>),
}

/// One entry of an fd-list block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdInfo {
    /// The descriptor number.
    pub fd: i64,
    /// Inode.
    pub ino: u64,
    /// `scap_fd_type` value, see [`fd_type`].
    pub fd_type: u8,
    /// Type-specific data.
    pub data: FdData,
}

impl FdInfo {
    /// An entry for a connected IPv4 socket `sip:sport -> dip:dport` (in the
    /// list's order: the client's end first), no inode.
    pub fn ipv4(
        fd: i64,
        (sip, sport): ([u8; 4], u16),
        (dip, dport): ([u8; 4], u16),
        l4proto: u8,
    ) -> Self {
        FdInfo {
            fd,
            ino: 0,
            fd_type: fd_type::IPV4_SOCK,
            data: FdData::Ipv4(SocketTuple {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            }),
        }
    }

    /// An entry for a file `name` open with `open_flags` (libs' `PPM_O_*`),
    /// no inode, no device.
    pub fn file(fd: i64, name: impl Into<Vec<u8>>, open_flags: u32) -> Self {
        FdInfo {
            fd,
            ino: 0,
            fd_type: fd_type::FILE_V2,
            data: FdData::FileV2 {
                open_flags,
                name: name.into(),
                dev: None,
            },
        }
    }

    /// An entry for an IPv4 socket listening on `ip:port`, no inode.
    pub fn ipv4_server(fd: i64, ip: [u8; 4], port: u16, l4proto: u8) -> Self {
        FdInfo {
            fd,
            ino: 0,
            fd_type: fd_type::IPV4_SERVSOCK,
            data: FdData::Ipv4Server(ListenAddr { ip, port, l4proto }),
        }
    }

    /// An entry for an IPv6 socket listening on `ip:port`, no inode.
    pub fn ipv6_server(fd: i64, ip: [u8; 16], port: u16, l4proto: u8) -> Self {
        FdInfo {
            fd,
            ino: 0,
            fd_type: fd_type::IPV6_SERVSOCK,
            data: FdData::Ipv6Server(ListenAddr { ip, port, l4proto }),
        }
    }

    /// The name libsinsp shows for the fd (`fd.name`), without socket rendering.
    pub fn name(&self) -> &[u8] {
        match &self.data {
            FdData::Unix { name, .. } | FdData::FileV2 { name, .. } | FdData::Named(name) => name,
            _ => b"",
        }
    }

    pub(crate) fn parse_list(c: &mut Cursor<'_>, v2: bool) -> Result<(u64, Vec<Self>), Fault> {
        let tid = c.u64()?;
        let sized = v2.then_some(EntryLength::CountsItself);
        let out = parse_entries(c, "fd", sized, |e| Self::parse_one(e, v2))?;
        Ok((tid, out))
    }

    /// `v2`: the entry has its own length, so FILE_V2's optional `dev` can be detected.
    fn parse_one(c: &mut Cursor<'_>, v2: bool) -> Result<Self, Fault> {
        use fd_type::*;
        let fd = c.u64()? as i64;
        let ino = c.u64()?;
        let t = c.u8()?;
        let data = match t {
            IPV4_SOCK => FdData::Ipv4(SocketTuple::parse(c)?),
            IPV6_SOCK => FdData::Ipv6(SocketTuple::parse(c)?),
            IPV4_SERVSOCK => FdData::Ipv4Server(ListenAddr::parse(c)?),
            IPV6_SERVSOCK => FdData::Ipv6Server(ListenAddr::parse(c)?),
            UNIX_SOCK => FdData::Unix {
                source: c.u64()?,
                dest: c.u64()?,
                name: c.str16()?.to_vec(),
            },
            FILE_V2 => {
                let open_flags = c.u32()?;
                let name = c.str16()?.to_vec();
                let dev = if v2 && c.remaining() >= 4 {
                    Some(c.u32()?)
                } else {
                    None
                };
                FdData::FileV2 {
                    open_flags,
                    name,
                    dev,
                }
            }
            _ => FdData::Named(c.str16()?.to_vec()),
        };
        Ok(FdInfo {
            fd,
            ino,
            fd_type: t,
            data,
        })
    }

    pub(crate) fn serialize_v2(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&self.fd.to_le_bytes());
        out.extend_from_slice(&self.ino.to_le_bytes());
        out.push(self.fd_type);
        match &self.data {
            FdData::Ipv4(t) => t.put(out),
            FdData::Ipv6(t) => t.put(out),
            FdData::Ipv4Server(l) => l.put(out),
            FdData::Ipv6Server(l) => l.put(out),
            FdData::Unix { source, dest, name } => {
                out.extend_from_slice(&source.to_le_bytes());
                out.extend_from_slice(&dest.to_le_bytes());
                put_str16(out, clamp(name, MAX_PATH_FIELD));
            }
            FdData::FileV2 {
                open_flags,
                name,
                dev,
            } => {
                out.extend_from_slice(&open_flags.to_le_bytes());
                put_str16(out, clamp(name, MAX_PATH_FIELD));
                if let Some(d) = dev {
                    out.extend_from_slice(&d.to_le_bytes());
                }
            }
            FdData::Named(name) => put_str16(out, clamp(name, MAX_PATH_FIELD)),
        }
        let len = (out.len() - start) as u32;
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }
}

/// One network interface address; `N` is the address width, 4 (IPv4) or
/// 16 (IPv6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfAddr<const N: usize> {
    /// Name, as libscap writes it.
    pub name: Vec<u8>,
    /// Address.
    pub addr: [u8; N],
    /// Netmask.
    pub netmask: [u8; N],
    /// Broadcast address.
    pub bcast: [u8; N],
    /// Link speed (libscap writes 0).
    pub linkspeed: u64,
}

impl<const N: usize> IfAddr<N> {
    /// The entry type the writer gives it: 1 (IPv4) or 2 (IPv6), the types
    /// with a link speed.
    const TYPE: u16 = if N == 4 { 1 } else { 2 };

    fn parse(c: &mut Cursor<'_>, namelen: usize, with_linkspeed: bool) -> Result<Self, Fault> {
        let addr = c.array()?;
        let netmask = c.array()?;
        let bcast = c.array()?;
        let linkspeed = if with_linkspeed { c.u64()? } else { 0 };
        Ok(Self {
            addr,
            netmask,
            bcast,
            linkspeed,
            name: c.take(namelen)?.to_vec(),
        })
    }

    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&Self::TYPE.to_le_bytes());
        out.extend_from_slice(&(self.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.addr);
        out.extend_from_slice(&self.netmask);
        out.extend_from_slice(&self.bcast);
        out.extend_from_slice(&self.linkspeed.to_le_bytes());
        out.extend_from_slice(&self.name);
    }
}

/// One network interface address.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Interface {
    /// IPv4 (types 1 and 3).
    V4(IfAddr<4>),
    /// IPv6 (types 2 and 4).
    V6(IfAddr<16>),
}

impl Interface {
    pub(crate) fn parse_list(c: &mut Cursor<'_>, v2: bool) -> Result<Vec<Self>, Fault> {
        // IL_V2's entry length excludes its own 4 bytes.
        let sized = v2.then_some(EntryLength::ExcludesItself);
        parse_entries(c, "interface", sized, Self::parse_one)
    }

    fn parse_one(c: &mut Cursor<'_>) -> Result<Self, Fault> {
        let t = c.u16()?;
        let namelen = c.u16()? as usize;
        Ok(match t {
            1 | 3 => Interface::V4(IfAddr::parse(c, namelen, t == 1)?),
            2 | 4 => Interface::V6(IfAddr::parse(c, namelen, t == 2)?),
            other => return Err(Fault::UnknownInterfaceType(other)),
        })
    }

    pub(crate) fn serialize_v2(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
        match self {
            Interface::V4(i) => i.put(out),
            Interface::V6(i) => i.put(out),
        }
        let len = (out.len() - start - 4) as u32;
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }
}

/// A user or a group of a user-list block.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserEntry {
    /// A user.
    User {
        /// User id.
        uid: u32,
        /// Group id.
        gid: u32,
        /// Name, as libscap writes it.
        name: Vec<u8>,
        /// Home directory.
        homedir: Vec<u8>,
        /// Login shell.
        shell: Vec<u8>,
    },
    /// A group.
    Group {
        /// Group id.
        gid: u32,
        /// Name, as libscap writes it.
        name: Vec<u8>,
    },
}

impl UserEntry {
    pub(crate) fn parse_list(c: &mut Cursor<'_>, v2: bool) -> Result<Vec<Self>, Fault> {
        let sized = v2.then_some(EntryLength::CountsItself);
        parse_entries(c, "user", sized, Self::parse_one)
    }

    fn parse_one(c: &mut Cursor<'_>) -> Result<Self, Fault> {
        Ok(match c.u8()? {
            0 => UserEntry::User {
                uid: c.u32()?,
                gid: c.u32()?,
                name: c.str16()?.to_vec(),
                homedir: c.str16()?.to_vec(),
                shell: c.str16()?.to_vec(),
            },
            1 => UserEntry::Group {
                gid: c.u32()?,
                name: c.str16()?.to_vec(),
            },
            t => return Err(Fault::UnknownUserEntryType(t)),
        })
    }

    pub(crate) fn serialize_v2(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
        match self {
            UserEntry::User {
                uid,
                gid,
                name,
                homedir,
                shell,
            } => {
                out.push(0);
                out.extend_from_slice(&uid.to_le_bytes());
                out.extend_from_slice(&gid.to_le_bytes());
                put_str16(out, clamp(name, MAX_CREDENTIAL_FIELD));
                put_str16(out, clamp(homedir, MAX_CREDENTIAL_FIELD));
                put_str16(out, clamp(shell, MAX_CREDENTIAL_FIELD));
            }
            UserEntry::Group { gid, name } => {
                out.push(1);
                out.extend_from_slice(&gid.to_le_bytes());
                put_str16(out, clamp(name, MAX_CREDENTIAL_FIELD));
            }
        }
        let len = (out.len() - start) as u32;
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }
}

/// How a list entry's leading u32 length is counted.
#[derive(Debug, Clone, Copy)]
enum EntryLength {
    /// It counts its own 4 bytes (PL_V9, FDL_V2, UL_V2).
    CountsItself,
    /// It does not (IL_V2).
    ExcludesItself,
}

/// The entries of a list block, each read by `one`. With `sized`, each
/// entry starts with its length, which bounds what `one` may read (an
/// entry newer than this reader keeps fields it skips); without, entries
/// follow each other. A fault names the entry and where it starts.
fn parse_entries<T>(
    c: &mut Cursor<'_>,
    entry: &'static str,
    sized: Option<EntryLength>,
    mut one: impl FnMut(&mut Cursor<'_>) -> Result<T, Fault>,
) -> Result<Vec<T>, Fault> {
    let mut out = Vec::new();
    while c.remaining() >= 4 {
        let at = c.pos();
        let item = match sized {
            Some(counted) => {
                let len = c.u32()? as usize;
                let body = match counted {
                    EntryLength::CountsItself => len.checked_sub(4),
                    EntryLength::ExcludesItself => Some(len),
                };
                match body.filter(|b| *b <= c.remaining()) {
                    Some(b) => one(&mut c.sub(b)?),
                    None => return Err(Fault::EntryPastBlock { entry, at, len }),
                }
            }
            None => one(c),
        };
        out.push(item.map_err(|f| f.in_entry(entry, at))?);
    }
    Ok(out)
}

/// A thread's capability sets, in the kernel's bit order (`CAP_CHOWN` is
/// bit 0), as the probe and libscap write them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Caps {
    /// Inheritable set.
    pub inheritable: u64,
    /// Permitted set.
    pub permitted: u64,
    /// Effective set.
    pub effective: u64,
}

/// The executable's inode, from execve's `exe_ino`, `exe_ino_ctime` and
/// `exe_ino_mtime` (libsinsp's `m_exe_ino*`); 0 means not known, and the
/// field is then missing, as in libsinsp.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExeInode {
    /// Inode number (`proc.exe_ino`).
    pub ino: u64,
    /// Status change time, ns since the epoch (`proc.exe_ino.ctime`).
    pub ctime: u64,
    /// Modification time, ns since the epoch (`proc.exe_ino.mtime`).
    pub mtime: u64,
    /// The thread's clone time minus the ctime, set at execve when the
    /// clone time is known (`proc.exe_ino.ctime_duration_proc_start`; an
    /// unsigned difference, as libsinsp computes it).
    pub ctime_to_clone: u64,
}
