//! Ring records as the kernel writes them: one or two scap events (an enter
//! event may precede its exit), each a 26-byte `ppm_evt_hdr`, u16 parameter
//! lengths and the parameters. [`fixup`] turns the Linux flag values the
//! kernel copied raw into the PPM_* values readers expect, in place (same
//! widths), so the bytes go to the writer unchanged otherwise.

/// Header size of an event with u16 parameter lengths.
pub const HDR_LEN: usize = 26;

/// The length of the event at the start of `rest`, if one fits there.
pub fn event_len(rest: &[u8]) -> Option<usize> {
    let len = u32::from_ne_bytes(rest.get(16..20)?.try_into().ok()?) as usize;
    (HDR_LEN..=rest.len()).contains(&len).then_some(len)
}

/// Splits a record into its events. A malformed record (a length that does
/// not fit) ends the iteration; the caller counts it.
pub fn events(record: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = record;
    std::iter::from_fn(move || {
        let Some(len) = event_len(rest) else {
            rest = &[];
            return None;
        };
        let (ev, tail) = rest.split_at(len);
        rest = tail;
        Some(ev)
    })
}

fn event_type(ev: &[u8]) -> u16 {
    u16::from_ne_bytes([ev[20], ev[21]])
}

/// Byte range of parameter `i` of an event.
fn param_range(ev: &[u8], i: usize) -> Option<std::ops::Range<usize>> {
    let n = u32::from_ne_bytes(ev[22..26].try_into().ok()?) as usize;
    if i >= n {
        return None;
    }
    let lens = ev.get(HDR_LEN..HDR_LEN + 2 * n)?;
    let len_at = |k: usize| usize::from(u16::from_ne_bytes([lens[2 * k], lens[2 * k + 1]]));
    let start = HDR_LEN + 2 * n + (0..i).map(len_at).sum::<usize>();
    let end = start + len_at(i);
    (end <= ev.len()).then_some(start..end)
}

fn map_u32(ev: &mut [u8], i: usize, f: impl Fn(u32) -> u32) {
    if let Some(r) = param_range(ev, i).filter(|r| r.len() == 4) {
        let v = u32::from_ne_bytes([
            ev[r.start],
            ev[r.start + 1],
            ev[r.start + 2],
            ev[r.start + 3],
        ]);
        ev[r].copy_from_slice(&f(v).to_ne_bytes());
    }
}

fn map_u16(ev: &mut [u8], i: usize, f: impl Fn(u16) -> u16) {
    if let Some(r) = param_range(ev, i).filter(|r| r.len() == 2) {
        let v = u16::from_ne_bytes([ev[r.start], ev[r.start + 1]]);
        ev[r].copy_from_slice(&f(v).to_ne_bytes());
    }
}

/// Linux `O_*` open flags to `PPM_O_*`.
pub fn open_flags(f: u32) -> u32 {
    let mut out = match f & 3 {
        0 => 1, // O_RDONLY
        1 => 2, // O_WRONLY
        _ => 3, // O_RDWR
    };
    const MAP: &[(u32, u32)] = &[
        (0o100, 1 << 2),       // O_CREAT
        (0o2000, 1 << 3),      // O_APPEND
        (0o10000, 1 << 4),     // O_DSYNC
        (0o200, 1 << 5),       // O_EXCL
        (0o4000, 1 << 6),      // O_NONBLOCK
        (0o4010000, 1 << 7),   // O_SYNC (__O_SYNC | O_DSYNC)
        (0o1000, 1 << 8),      // O_TRUNC
        (0o40000, 1 << 9),     // O_DIRECT
        (0o200000, 1 << 10),   // O_DIRECTORY
        (0o100000, 1 << 11),   // O_LARGEFILE
        (0o2000000, 1 << 12),  // O_CLOEXEC
        (0o20000000, 1 << 13), // __O_TMPFILE
    ];
    for &(linux, ppm) in MAP {
        if f & linux == linux {
            out |= ppm;
        }
    }
    out
}

/// Linux `CLONE_*` flags to `PPM_CL_*`.
pub fn clone_flags(f: u32) -> u32 {
    const MAP: &[(u32, u32)] = &[
        (0x400, 1 << 0),        // CLONE_FILES
        (0x200, 1 << 1),        // CLONE_FS
        (0x8000_0000, 1 << 2),  // CLONE_IO
        (0x0800_0000, 1 << 3),  // CLONE_NEWIPC
        (0x4000_0000, 1 << 4),  // CLONE_NEWNET
        (0x0002_0000, 1 << 5),  // CLONE_NEWNS
        (0x2000_0000, 1 << 6),  // CLONE_NEWPID
        (0x0400_0000, 1 << 7),  // CLONE_NEWUTS
        (0x8000, 1 << 8),       // CLONE_PARENT
        (0x0010_0000, 1 << 9),  // CLONE_PARENT_SETTID
        (0x2000, 1 << 10),      // CLONE_PTRACE
        (0x800, 1 << 11),       // CLONE_SIGHAND
        (0x0004_0000, 1 << 12), // CLONE_SYSVSEM
        (0x0001_0000, 1 << 13), // CLONE_THREAD
        (0x0080_0000, 1 << 14), // CLONE_UNTRACED
        (0x100, 1 << 15),       // CLONE_VM
        (0x1000_0000, 1 << 20), // CLONE_NEWUSER
        (0x0020_0000, 1 << 23), // CLONE_CHILD_CLEARTID
        (0x0100_0000, 1 << 24), // CLONE_CHILD_SETTID
        (0x0008_0000, 1 << 25), // CLONE_SETTLS
        (0x4000, 1 << 27),      // CLONE_VFORK
        (0x0200_0000, 1 << 28), // CLONE_NEWCGROUP
    ];
    MAP.iter()
        .filter(|(l, _)| f & l != 0)
        .fold(0, |acc, (_, p)| acc | p)
}

/// Linux ptrace request numbers to `PPM_PTRACE_*`.
pub fn ptrace_request(r: u16) -> u16 {
    match r {
        0..=9 => r + 1,
        12 => 0x1a,
        13 => 0x1b,
        14 => 0x1c,
        15 => 0x1d,
        16 => 0xb,
        17 => 0xc,
        18 => 0x1e,
        19 => 0x1f,
        21 => 0x20,
        24 => 0xd,
        25 => 0x21,
        26 => 0x22,
        30 => 0x23,
        31 => 0x24,
        32 => 0x25,
        33 => 0x26,
        0x4200..=0x420b => r - 0x4200 + 0xe,
        _ => 0,
    }
}

/// Maps each Linux flag bit of `MAP` present in `f` to its PPM bit.
fn map_bits(f: u32, map: &[(u32, u32)]) -> u32 {
    map.iter()
        .filter(|(l, _)| f & l != 0)
        .fold(0, |acc, (_, p)| acc | p)
}

/// Linux `MAP_*` mmap flags to `PPM_MAP_*`.
pub fn mmap_flags(f: u32) -> u32 {
    map_bits(
        f,
        &[
            (0x1, 1 << 0),     // MAP_SHARED
            (0x2, 1 << 1),     // MAP_PRIVATE
            (0x10, 1 << 2),    // MAP_FIXED
            (0x20, 1 << 3),    // MAP_ANONYMOUS
            (0x40, 1 << 4),    // MAP_32BIT
            (0x4000, 1 << 6),  // MAP_NORESERVE
            (0x8000, 1 << 7),  // MAP_POPULATE
            (0x10000, 1 << 8), // MAP_NONBLOCK
            (0x100, 1 << 9),   // MAP_GROWSDOWN
            (0x800, 1 << 10),  // MAP_DENYWRITE
            (0x1000, 1 << 11), // MAP_EXECUTABLE
            (0x2000, 1 << 14), // MAP_LOCKED
        ],
    )
}

/// Linux `PROT_*` to `PPM_PROT_*` (read, write, exec and sem are the same bits).
pub fn prot_flags(f: u32) -> u32 {
    (f & 0xf) | map_bits(f, &[(0x0100_0000, 1 << 4), (0x0200_0000, 1 << 5)])
}

/// Linux `POLL*` event bits to `PPM_POLL*`.
pub fn poll_events(f: u16) -> u16 {
    map_bits(
        u32::from(f),
        &[
            (0x1, 1 << 0),    // POLLIN
            (0x2, 1 << 1),    // POLLPRI
            (0x4, 1 << 2),    // POLLOUT
            (0x2000, 1 << 3), // POLLRDHUP
            (0x8, 1 << 4),    // POLLERR
            (0x10, 1 << 5),   // POLLHUP
            (0x20, 1 << 6),   // POLLNVAL
            (0x40, 1 << 7),   // POLLRDNORM
            (0x80, 1 << 8),   // POLLRDBAND
            (0x100, 1 << 9),  // POLLWRNORM
            (0x200, 1 << 10), // POLLWRBAND
        ],
    ) as u16
}

/// io_uring_setup's Linux IORING_SETUP_* flags to `PPM_IORING_SETUP_*`
/// (PPM keeps bit 2 for IORING_SQ_NEED_WAKEUP, so the rest move up one).
pub fn io_uring_setup_flags(f: u32) -> u32 {
    map_bits(
        f,
        &[
            (1 << 0, 1 << 0), // IOPOLL
            (1 << 1, 1 << 1), // SQPOLL
            (1 << 2, 1 << 3), // SQ_AFF
            (1 << 3, 1 << 4), // CQSIZE
            (1 << 4, 1 << 5), // CLAMP
            (1 << 5, 1 << 6), // ATTACH_WQ
            (1 << 6, 1 << 7), // R_DISABLED
        ],
    )
}

/// The first two `struct sembuf` of a semop exit (parameters 2..8, read
/// raw): zero where libs writes zeros (a failed call, no operations, the
/// second entry of a single one), the flags as `PPM_IPC_NOWAIT`/`PPM_SEM_UNDO`.
fn fix_semop(ev: &mut [u8]) {
    let read = |ev: &[u8], i: usize| -> Option<u64> {
        let r = param_range(ev, i)?;
        let mut b = [0u8; 8];
        b.get_mut(..r.len())?.copy_from_slice(&ev[r]);
        Some(u64::from_ne_bytes(b))
    };
    let (Some(ret), Some(nsops)) = (read(ev, 0), read(ev, 1)) else {
        return;
    };
    let kept = if ret != 0 { 0 } else { nsops.min(2) };
    for (entry, first) in [(0u64, 2usize), (1, 5)] {
        for i in first..first + 3 {
            if entry >= kept {
                map_u16(ev, i, |_| 0);
            }
        }
        map_u16(ev, first + 2, |f| {
            map_bits(u32::from(f), &[(0o4000, 1), (0x1000, 2)]) as u16
        });
    }
}

/// quotactl's command, type and formats (parameters 14, 15, 17 and 13, as
/// the kernel side writes them: the subcommand's low byte or XQM's 0x58xx,
/// Linux's USRQUOTA/GRPQUOTA and QFMT_*) as `PPM_Q_*`, `PPM_*QUOTA` and
/// `PPM_QFMT_*`; a format only where the command has one, NOT_USED
/// elsewhere, as libs writes them.
fn fix_quotactl(ev: &mut [u8]) {
    let Some(cmd) = param_range(ev, 14).filter(|r| r.len() == 2) else {
        return;
    };
    let cmd = quotactl_cmd(u16::from_ne_bytes([ev[cmd.start], ev[cmd.start + 1]]));
    map_u16(ev, 14, |_| cmd);
    map_u8(ev, 15, |t| match t {
        0 => 1, // USRQUOTA
        1 => 2, // GRPQUOTA
        _ => 0,
    });
    const NOT_USED: u8 = 1;
    let fmt = |f: u8| match f {
        1 => 2, // QFMT_VFS_OLD
        2 => 4, // QFMT_VFS_V0
        4 => 8, // QFMT_VFS_V1
        _ => NOT_USED,
    };
    map_u8(ev, 13, |f| if cmd == 0x4 { fmt(f) } else { NOT_USED });
    map_u8(ev, 17, |f| if cmd == 0x1 { fmt(f) } else { NOT_USED });
}

/// A quotactl subcommand as the kernel side writes it (Q_*'s low byte,
/// XQM's 0x58xx) to its `PPM_Q_*` bit; 0 for the ones libs does not name.
pub fn quotactl_cmd(sub: u16) -> u16 {
    match sub {
        1 => 0x80,                                  // Q_SYNC
        2 => 0x1,                                   // Q_QUOTAON
        3 => 0x2,                                   // Q_QUOTAOFF
        4 => 0x4,                                   // Q_GETFMT
        5 => 0x8,                                   // Q_GETINFO
        6 => 0x10,                                  // Q_SETINFO
        7 => 0x20,                                  // Q_GETQUOTA
        8 => 0x40,                                  // Q_SETQUOTA
        0x5801..=0x5807 => 0x100 << (sub - 0x5801), // Q_XQUOTAON .. Q_XQUOTASYNC
        _ => 0,
    }
}

fn map_u8(ev: &mut [u8], i: usize, f: impl Fn(u8) -> u8) {
    if let Some(r) = param_range(ev, i).filter(|r| r.len() == 1) {
        ev[r.start] = f(ev[r.start]);
    }
}

/// set/getsockopt's level and optname (parameters 2 and 3, one byte each,
/// raw Linux numbers) as `PPM_SOCKOPT_*`: an option is named only at
/// SOL_SOCKET, as libs names it.
fn fix_sockopt(ev: &mut [u8]) {
    let (Some(l), Some(o)) = (param_range(ev, 2), param_range(ev, 3)) else {
        return;
    };
    if l.len() != 1 || o.len() != 1 {
        return;
    }
    let level = ev[l.start];
    ev[o.start] = if level == 1 {
        sockopt_name(ev[o.start])
    } else {
        0
    };
    ev[l.start] = match level {
        1 => 1, // SOL_SOCKET
        6 => 2, // SOL_TCP
        _ => 0,
    };
}

/// A SOL_SOCKET option's Linux number (x86-64) to its `PPM_SOCKOPT_SO_*`
/// value; 0 (UNKNOWN) for the ones libs does not name.
pub fn sockopt_name(n: u8) -> u8 {
    match n {
        // SO_DEBUG .. SO_ATTACH_BPF have PPM's numbers.
        1..=50 => n,
        55 => 0x34, // SO_MEMINFO
        57 => 0x35, // SO_COOKIE
        59 => 0x33, // SO_PEERGROUPS
        63 => 0x1d, // SO_TIMESTAMP_NEW
        64 => 0x23, // SO_TIMESTAMPNS_NEW
        65 => 0x25, // SO_TIMESTAMPING_NEW
        66 => 0x14, // SO_RCVTIMEO_NEW
        67 => 0x15, // SO_SNDTIMEO_NEW
        _ => 0,
    }
}

/// Linux semctl commands to `PPM_*` bits.
pub fn semctl_cmd(c: u16) -> u16 {
    match c {
        2 => 1 << 0,   // IPC_STAT
        1 => 1 << 1,   // IPC_SET
        0 => 1 << 2,   // IPC_RMID
        3 => 1 << 3,   // IPC_INFO
        19 => 1 << 4,  // SEM_INFO
        18 => 1 << 5,  // SEM_STAT
        13 => 1 << 6,  // GETALL
        14 => 1 << 7,  // GETNCNT
        11 => 1 << 8,  // GETPID
        12 => 1 << 9,  // GETVAL
        15 => 1 << 10, // GETZCNT
        17 => 1 << 11, // SETALL
        16 => 1 << 12, // SETVAL
        _ => 0,
    }
}

/// The fd list of poll/ppoll (u16 count, then an 8-byte fd and 2 bytes of
/// returned events per entry): each entry's events to PPM values.
fn map_fdlist(ev: &mut [u8], i: usize) {
    let Some(r) = param_range(ev, i).filter(|r| r.len() >= 2) else {
        return;
    };
    let n = usize::from(u16::from_ne_bytes([ev[r.start], ev[r.start + 1]]));
    for k in 0..n {
        let at = r.start + 2 + 10 * k + 8;
        if at + 2 > r.end {
            break;
        }
        let v = poll_events(u16::from_ne_bytes([ev[at], ev[at + 1]]));
        ev[at..at + 2].copy_from_slice(&v.to_ne_bytes());
    }
}

/// The exit events whose flag parameters the kernel copies raw, by id: filled
/// once from the schema by event name, so an id is never written by hand.
/// Rewrites one event's raw flag parameters in place.
type Fixer = fn(&mut [u8]);

fn layout_fixers() -> &'static [Option<Fixer>] {
    use std::sync::OnceLock;
    static FIXERS: OnceLock<Vec<Option<Fixer>>> = OnceLock::new();
    FIXERS.get_or_init(|| {
        let table: &[(&str, Fixer)] = &[
            ("mmap", |ev| {
                map_u32(ev, 6, prot_flags);
                map_u32(ev, 7, mmap_flags);
            }),
            ("mprotect", |ev| map_u32(ev, 3, prot_flags)),
            ("poll", |ev| map_fdlist(ev, 1)),
            ("ppoll", |ev| map_fdlist(ev, 1)),
            ("pipe2", |ev| {
                // O_CLOEXEC, O_DIRECT, O_NONBLOCK (pipe2_flags_to_scap).
                map_u32(ev, 4, |f| {
                    map_bits(
                        f,
                        &[(0o2000000, 1 << 12), (0o40000, 1 << 9), (0o4000, 1 << 6)],
                    )
                })
            }),
            ("setns", |ev| map_u32(ev, 2, clone_flags)),
            ("unshare", |ev| map_u32(ev, 1, clone_flags)),
            ("epoll_create1", |ev| {
                map_u32(ev, 1, |f| u32::from(f & 0x80000 != 0))
            }),
            ("semget", |ev| {
                // IPC_CREAT, IPC_EXCL; the permission bits are not flags.
                map_u32(ev, 3, |f| {
                    map_bits(f, &[(0o1000, 0x2000), (0o2000, 0x4000)])
                })
            }),
            ("semctl", |ev| map_u16(ev, 3, semctl_cmd)),
            ("semop", fix_semop),
            ("setsockopt", fix_sockopt),
            ("getsockopt", fix_sockopt),
            ("open_by_handle_at", |ev| map_u32(ev, 2, open_flags)),
            ("io_uring_setup", |ev| {
                map_u32(ev, 4, io_uring_setup_flags);
                // The feature bits libs names are Linux's own, up to
                // IORING_FEAT_RSRC_TAGS; later ones have no name there.
                map_u32(ev, 7, |f| f & 0x7ff);
            }),
            ("quotactl", fix_quotactl),
            ("delete_module", |ev| {
                map_u32(ev, 2, |f| map_bits(f, &[(0o4000, 0x2), (0o1000, 0x1)]))
            }),
        ];
        let mut v: Vec<Option<Fixer>> = vec![None; 1024];
        for &(name, f) in table {
            if let Some(id) =
                crate::spec::newest_id(name, scapbridge_formats::schema::Direction::Exit)
            {
                if let Some(slot) = v.get_mut(usize::from(id)) {
                    *slot = Some(f);
                }
            }
        }
        v
    })
}

/// Rewrites, in place, the parameters whose Linux values differ from the
/// PPM values of the scap schema.
pub fn fixup(ev: &mut [u8]) {
    if ev.len() < HDR_LEN {
        return;
    }
    if let Some(Some(f)) = layout_fixers().get(usize::from(event_type(ev))) {
        f(ev);
        return;
    }
    match event_type(ev) {
        3 => map_u32(ev, 2, open_flags),         // open
        307 | 327 => map_u32(ev, 3, open_flags), // openat, openat2
        // Their enter events, written at entry (time-of-check copies).
        2 => map_u32(ev, 1, open_flags),
        306 | 326 => map_u32(ev, 2, open_flags),
        365 => map_u32(ev, 3, open_flags), // dup3 (O_CLOEXEC)
        223 | 225 | 227 | 335 => map_u32(ev, 15, clone_flags),
        385 => map_u32(ev, 5, |f| {
            (f & !0x100) | if f & 0x100 != 0 { 0x400 } else { 0 }
        }),
        256 => map_u32(ev, 0, |f| {
            if f & 0xffff_0000 == 0xc0ed_0000 {
                f & 0xffff
            } else {
                f
            }
        }),
        169 => map_u16(ev, 3, ptrace_request),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flags_translate() {
        assert_eq!(open_flags(0), 1);
        // O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC
        assert_eq!(
            open_flags(0o1 | 0o100 | 0o1000 | 0o2000000),
            2 | 4 | 0x100 | 0x1000
        );
        assert_eq!(open_flags(0o2 | 0o200000), 3 | 0x400);
    }

    #[test]
    fn clone_flags_translate() {
        // CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD
        let f = clone_flags(0x100 | 0x200 | 0x400 | 0x800 | 0x10000);
        assert_eq!(f, (1 << 15) | 2 | 1 | (1 << 11) | (1 << 13));
    }

    #[test]
    fn quotactl_commands_translate() {
        assert_eq!(quotactl_cmd(7), 0x20); // Q_GETQUOTA
        assert_eq!(quotactl_cmd(1), 0x80); // Q_SYNC
        assert_eq!(quotactl_cmd(0x5803), 0x400); // Q_XGETQUOTA
        assert_eq!(quotactl_cmd(0x5807), 0x4000); // Q_XQUOTASYNC
        assert_eq!(quotactl_cmd(9), 0); // Q_GETNEXTQUOTA: no PPM name
        assert_eq!(quotactl_cmd(0xffff), 0);
    }

    #[test]
    fn sockopt_names_translate() {
        assert_eq!(sockopt_name(2), 2); // SO_REUSEADDR
        assert_eq!(sockopt_name(66), 0x14); // SO_RCVTIMEO_NEW
        assert_eq!(sockopt_name(60), 0); // SO_ZEROCOPY: no PPM name
    }

    #[test]
    fn io_uring_setup_flags_translate() {
        assert_eq!(io_uring_setup_flags(0), 0);
        // SQPOLL|SQ_AFF|CQSIZE, as readers name them.
        assert_eq!(io_uring_setup_flags(0x2 | 0x4 | 0x8), 0x2 | 0x8 | 0x10);
        assert_eq!(io_uring_setup_flags(0x40), 0x80);
    }

    #[test]
    fn memory_and_poll_flags_translate() {
        // MAP_PRIVATE|MAP_ANONYMOUS, as readers name them.
        assert_eq!(mmap_flags(0x22), 2 | 8);
        assert_eq!(mmap_flags(0x1 | 0x10 | 0x1000), 1 | 4 | 0x800);
        assert_eq!(prot_flags(0x3), 0x3);
        assert_eq!(prot_flags(0x0100_0001), 0x11);
        // POLLIN|POLLHUP|POLLRDHUP
        assert_eq!(poll_events(0x1 | 0x10 | 0x2000), 1 | 0x20 | 0x8);
        assert_eq!(semctl_cmd(0), 4);
    }

    #[test]
    fn every_fixer_names_an_event() {
        let fixers = layout_fixers();
        assert_eq!(fixers.iter().filter(|f| f.is_some()).count(), 17);
    }

    #[test]
    fn ptrace_requests_translate() {
        assert_eq!(ptrace_request(0), 1);
        assert_eq!(ptrace_request(16), 0xb);
        assert_eq!(ptrace_request(0x4206), 0x14);
    }

    /// semop's sembuf pairs: kept as nsops says, zero on failure, flags as
    /// PPM bits.
    #[test]
    fn semop_keeps_the_entries_libs_keeps() {
        let id = crate::spec::newest_id("semop", scapbridge_formats::schema::Direction::Exit)
            .expect("libs has semop");
        let sembuf =
            |v: [u16; 6]| -> Vec<Vec<u8>> { v.iter().map(|x| x.to_ne_bytes().to_vec()).collect() };
        let run = |ret: i64, nsops: u32| -> Vec<u16> {
            let raw = sembuf([0, 1, 0o4000, 1, 2, 0x1000]);
            let mut params: Vec<&[u8]> = Vec::new();
            let ret = ret.to_ne_bytes();
            let nsops = nsops.to_ne_bytes();
            let semid = 7u32.to_ne_bytes();
            params.push(&ret);
            params.push(&nsops);
            params.extend(raw.iter().map(Vec::as_slice));
            params.push(&semid);
            let mut ev = event(id, &params);
            fixup(&mut ev);
            (2..8)
                .filter_map(|i| param_range(&ev, i))
                .map(|r| u16::from_ne_bytes([ev[r.start], ev[r.start + 1]]))
                .collect()
        };
        assert_eq!(run(0, 2), [0, 1, 1, 1, 2, 2]);
        assert_eq!(run(0, 1), [0, 1, 1, 0, 0, 0]);
        assert_eq!(run(-22, 2), [0; 6]);
        assert_eq!(run(0, 0), [0; 6]);
    }

    fn event(ty: u16, params: &[&[u8]]) -> Vec<u8> {
        let mut v = vec![0u8; HDR_LEN];
        let len = HDR_LEN + 2 * params.len() + params.iter().map(|p| p.len()).sum::<usize>();
        v[16..20].copy_from_slice(&(len as u32).to_ne_bytes());
        v[20..22].copy_from_slice(&ty.to_ne_bytes());
        v[22..26].copy_from_slice(&(params.len() as u32).to_ne_bytes());
        for p in params {
            v.extend((p.len() as u16).to_ne_bytes());
        }
        for p in params {
            v.extend_from_slice(p);
        }
        v
    }

    #[test]
    fn splits_and_fixes_records() {
        let mut rec = event(306, &[&3i64.to_ne_bytes()]);
        rec.extend(event(
            307,
            &[
                &3i64.to_ne_bytes(),
                &(-100i64).to_ne_bytes(),
                b"/x\0",
                &0o101u32.to_ne_bytes(),
                &0u32.to_ne_bytes(),
                &0u32.to_ne_bytes(),
                &0u64.to_ne_bytes(),
            ],
        ));
        let evs: Vec<Vec<u8>> = events(&rec).map(<[u8]>::to_vec).collect();
        assert_eq!(evs.len(), 2);
        let mut x = evs[1].clone();
        fixup(&mut x);
        let r = param_range(&x, 3).expect("flags");
        assert_eq!(u32::from_ne_bytes(x[r].try_into().expect("4 bytes")), 2 | 4);
        // A length past the end stops the split.
        let mut bad = evs[0].clone();
        bad[16] = 200;
        assert_eq!(events(&bad).count(), 0);
    }
}
