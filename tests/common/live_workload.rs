//! The live workload of the differential reader tests, captured through
//! the probe, and the cuts of that capture that lose what a loaded machine
//! loses (events, clone halves, snapshot rows), each deterministic.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use scapbridge_formats::{Item, ScapReader};

use super::surgery::{rewrite, Cut};
use super::{capture_ok, probe_available, quiet, sid_root, snapshot_process, syscalls_capture};

/// The workload of the live captures: what the stock rules and the filters
/// look at, all harmless (reads, a symlink in its own folder, a refused
/// local connection, a UDP datagram to the discard port).
pub const WORKLOAD: &str = r#"set -e
cd "$1"
cat /etc/passwd >/dev/null
head -c 64 /etc/os-release >/dev/null
ls -la /etc >/dev/null
name=$(cat /etc/hostname)
ln -sf /etc/hostname link
readlink link >/dev/null
echo data > file; mv file file2; rm file2
mkdir sub; rmdir sub
cat /etc/../etc/hostname >/dev/null; ls /etc/ >/dev/null; cat /etc/../nonexistent/ 2>/dev/null || true
sh -c 'id -u; cat /etc/hostname' >/dev/null
python3 -c '
import socket
s = socket.socket()
try:
    s.connect(("127.0.0.1", 1))
except OSError:
    pass
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"x", ("127.0.0.1", 9))
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen()
l.setblocking(False)
import os
def failing(f):
    try:
        f()
    except (OSError, ValueError):
        pass
failing(l.accept)
failing(lambda: socket.socket(socket.AF_UNIX).connect("/nonexistent/sock"))
failing(lambda: socket.socket(12345))
failing(lambda: os.pipe2(0x7fff0000))
failing(lambda: os.eventfd(0, 0x7fff))
failing(lambda: os.memfd_create("x", 0x7fff))
m = os.memfd_create("scapbridge-mem", 0)
os.write(m, b"x")
f = os.open("/etc/hostname", os.O_RDONLY)
os.lseek(f, 5, os.SEEK_SET)
os.lseek(f, -2, os.SEEK_CUR)
'
"#;

/// A live capture of [`WORKLOAD`] through the probe, with the sid root to
/// read it, held quiet (no flood runs meanwhile).
pub struct Live {
    pub root: std::path::PathBuf,
    pub dir: tempfile::TempDir,
    pub cap: std::path::PathBuf,
    pub _quiet: std::sync::RwLockReadGuard<'static, ()>,
}

/// [`Live`], or `None` (said why) where the probe or the sid root is missing.
pub fn live() -> Option<Live> {
    if !probe_available() {
        return None;
    }
    let root = sid_root()?;
    let _quiet = quiet();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let cap = dir.path().join("live.scap");
    // To compare a capture made by hand (a loaded machine, a small ring
    // buffer: drops) in place of a new one: SCAPBRIDGE_LIVE_CAPTURE=FILE.
    if let Some(given) = std::env::var_os("SCAPBRIDGE_LIVE_CAPTURE") {
        std::fs::copy(&given, &cap).expect("SCAPBRIDGE_LIVE_CAPTURE: a readable capture");
        return Some(Live {
            root,
            dir,
            cap,
            _quiet,
        });
    }
    capture_ok(
        syscalls_capture(None, &cap)
            .arg("-q")
            .args(["--", "sh", "-c", WORKLOAD, "workload"])
            .arg(&work),
    );
    Some(Live {
        root,
        dir,
        cap,
        _quiet,
    })
}

/// Writes the cuts of the live capture `cap` into `dir`, one file per
/// kind of loss, and returns their paths. Each cut leaves something out
/// (asserted). `SCAPBRIDGE_KEEP_CUTS=DIR` keeps a copy of each, and of
/// `cap`, to look at by hand.
pub fn gap_cuts(cap: &Path, dir: &Path) -> Vec<PathBuf> {
    use scapbridge_formats::schema::Direction;
    // The workload's first process: the thread of the capture's first event.
    let is_clone_exit = |ev: &scapbridge_formats::Event<'_>| {
        ev.direction() == Direction::Exit
            && matches!(ev.name(), "clone" | "clone3" | "fork" | "vfork")
    };
    let res = |ev: &scapbridge_formats::Event<'_>| {
        ev.param(0)
            .and_then(|b| b.get(..8))
            .map_or(0, |b| i64::from_le_bytes(b.try_into().unwrap()))
    };
    // The workload's first process (the thread of the capture's first
    // event), and its first child as `/proc` shows it right after the
    // clone: a snapshot taken just after the probe attached lists it.
    // Also the times and children of the root's first vfork exit and
    // first fork exit (a clone without CLONE_VFORK: the workload's `$(…)`).
    let (first_tid, first_child, (first_vfork_ts, vfork_child), (first_fork_ts, fork_child)) = {
        let mut r = ScapReader::new(std::fs::File::open(cap).unwrap()).unwrap();
        let (mut tid, mut child, mut vfork_ts, mut fork_ts) = (None, None, None, None);
        while let Some(item) = r.next_item().unwrap() {
            if let Item::Event(ev) = item {
                let root = *tid.get_or_insert(ev.tid());
                if is_clone_exit(&ev) && res(&ev) > 0 && ev.tid() == root {
                    const CLONE_VFORK: u32 = 0x0800_0000;
                    let flags = ev.param_by_name("flags").map_or(0, |b| {
                        u32::from_le_bytes(b.get(..4).unwrap().try_into().unwrap())
                    });
                    if ev.name() == "vfork" || flags & CLONE_VFORK != 0 {
                        vfork_ts.get_or_insert((ev.ts(), res(&ev) as u64));
                    } else {
                        fork_ts.get_or_insert((ev.ts(), res(&ev) as u64));
                    }
                }
                if is_clone_exit(&ev) && res(&ev) == 0 {
                    child.get_or_insert_with(|| super::surgery::listed_as_cloned(&ev));
                }
                if child.is_some() && vfork_ts.is_some() && fork_ts.is_some() {
                    break;
                }
            }
        }
        (
            tid.expect("the capture has events"),
            child.expect("the workload clones"),
            vfork_ts.expect("the workload's first process vforks"),
            fork_ts.expect("the workload's first process forks ($(…))"),
        )
    };
    // The time of each caller's exit that came before its (not vforked)
    // child's own, by child: that child's exit, given a time just before
    // its caller's, is a record that went out late (a loaded CPU), which
    // libsinsp's unsigned stale test takes for an old entry's.
    let caller_first: HashMap<u64, u64> = {
        let mut r = ScapReader::new(std::fs::File::open(cap).unwrap()).unwrap();
        let mut m = HashMap::new();
        let mut seen_child = std::collections::HashSet::new();
        while let Some(item) = r.next_item().unwrap() {
            if let Item::Event(ev) = item {
                if is_clone_exit(&ev) && res(&ev) == 0 {
                    seen_child.insert(ev.tid());
                } else if is_clone_exit(&ev)
                    && res(&ev) > 0
                    && !seen_child.contains(&(res(&ev) as u64))
                {
                    m.insert(res(&ev) as u64, ev.ts());
                }
            }
        }
        m
    };
    let late_child_side = |ev: &scapbridge_formats::Event<'_>| {
        if is_clone_exit(ev) && res(ev) == 0 {
            caller_first.get(&ev.tid()).map(|ts| ts - 1)
        } else {
            None
        }
    };
    let no_root = |p: &scapbridge_formats::meta::ProcessInfo| p.tid == first_tid;
    // The root's parent (the capture's own process), as a parent that
    // left between the snapshot's reading of its child and of itself.
    let root_parent = snapshot_process(cap, first_tid).map_or(0, |p| p.ptid);
    let no_parent = |p: &scapbridge_formats::meta::ProcessInfo| p.tid == root_parent;
    let root_fds = |tid: u64| tid == first_tid;
    let parent_side = |ev: &scapbridge_formats::Event<'_>| is_clone_exit(ev) && res(ev) > 0;
    let child_side = |ev: &scapbridge_formats::Event<'_>| is_clone_exit(ev) && res(ev) == 0;
    let later_execve = |ev: &scapbridge_formats::Event<'_>| {
        ev.direction() == Direction::Exit && ev.name() == "execve" && ev.tid() != first_tid
    };
    let procexit = |ev: &scapbridge_formats::Event<'_>| ev.name() == "procexit";
    let socket_exit = |ev: &scapbridge_formats::Event<'_>| {
        ev.direction() == Direction::Exit && ev.name() == "socket"
    };
    // Both sides of the clones of children with an even tid: libs makes
    // those children up at their first syscall, and their own clones are
    // then made by a caller it only made up.
    let even_clones = |ev: &scapbridge_formats::Event<'_>| {
        let child = match res(ev) {
            0 => ev.tid() as i64,
            r => r,
        };
        is_clone_exit(ev) && child % 2 == 0
    };
    let socket_or_close = |ev: &scapbridge_formats::Event<'_>| {
        ev.direction() == Direction::Exit && matches!(ev.name(), "socket" | "close")
    };
    let seen = std::cell::Cell::new(0u64);
    let every_7th = |_: &scapbridge_formats::Event<'_>| {
        seen.set(seen.get() + 1);
        seen.get().is_multiple_of(7)
    };
    let root_parent_fds = |tid: u64| tid == root_parent;
    // A process that ended unseen after the snapshot listed it (not
    // traced: its procexit is not in the capture), whose tid the kernel
    // gave again to the root's first vforked and first forked child: on a
    // busy host pids wrap within seconds. Its own fds: files, a socket.
    let stale = |tid: u64| {
        let file = |fd: i64, name: &str| scapbridge_formats::meta::FdInfo::file(fd, name, 1);
        let process = scapbridge_formats::meta::ProcessInfo {
            tid,
            pid: tid,
            ptid: 1,
            comm: b"stale".to_vec(),
            exe: b"/usr/sbin/stale".to_vec(),
            exepath: b"/usr/sbin/stale".to_vec(),
            cwd: b"/var/lib/stale".to_vec(),
            uid: 1000,
            gid: 1000,
            vtid: tid as i64,
            vpid: tid as i64,
            ..Default::default()
        };
        let fds = vec![
            file(0, "/var/lib/stale/in"),
            file(1, "/var/log/stale.log"),
            file(2, "/var/log/stale.log"),
            scapbridge_formats::meta::FdInfo::ipv4(
                3,
                ([127, 0, 0, 1], 40000),
                ([127, 0, 0, 1], 5432),
                2,
            ),
            file(10, "/var/lib/stale/db"),
        ];
        (process, (tid, fds))
    };
    let (stale_vfork_child, stale_vfork_fds) = stale(vfork_child);
    let (stale_fork_child, stale_fork_fds) = stale(fork_child);
    // A thread that predates the capture, left before the snapshot read
    // it, and whose first event is a vfork's or a fork's exit (its execve
    // before the probe attached): what a busy host's short-lived shells
    // give.
    let before_root_vfork =
        |ev: &scapbridge_formats::Event<'_>| ev.tid() == first_tid && ev.ts() < first_vfork_ts;
    let before_root_fork =
        |ev: &scapbridge_formats::Event<'_>| ev.tid() == first_tid && ev.ts() < first_fork_ts;
    let variants: [(&str, Cut<'_>); 18] = [
        (
            "gap_unlisted_parent",
            Cut::unlisted(&no_parent, &root_parent_fds),
        ),
        ("gap_unlisted_root", Cut::unlisted(&no_root, &root_fds)),
        (
            "gap_root_fds",
            Cut {
                fds: Some(&root_fds),
                ..Cut::default()
            },
        ),
        (
            "gap_listed_child",
            Cut {
                listed: vec![first_child.clone()],
                ..Cut::default()
            },
        ),
        (
            "gap_reused_tid_vfork",
            Cut {
                listed: vec![stale_vfork_child],
                listed_fds: vec![stale_vfork_fds],
                ..Cut::default()
            },
        ),
        (
            "gap_reused_tid_fork",
            Cut {
                listed: vec![stale_fork_child],
                listed_fds: vec![stale_fork_fds],
                ..Cut::default()
            },
        ),
        ("gap_parent_side", Cut::lost(&parent_side)),
        ("gap_child_side", Cut::lost(&child_side)),
        (
            "gap_late_child_side",
            Cut {
                retime: Some(&late_child_side),
                ..Cut::default()
            },
        ),
        ("gap_lost_execve", Cut::lost(&later_execve)),
        ("gap_lost_procexit", Cut::lost(&procexit)),
        ("gap_lost_socket", Cut::lost(&socket_exit)),
        ("gap_lost_socket_close", Cut::lost(&socket_or_close)),
        ("gap_lost_even_clones", Cut::lost(&even_clones)),
        ("gap_lost_every_7th", Cut::lost(&every_7th)),
        (
            "gap_unlisted_cloner",
            Cut {
                event: Some(&before_root_vfork),
                ..Cut::unlisted(&no_root, &root_fds)
            },
        ),
        (
            "gap_unlisted_forker",
            Cut {
                event: Some(&before_root_fork),
                ..Cut::unlisted(&no_root, &root_fds)
            },
        ),
        (
            "gap_unlisted_cloner_listed_child",
            Cut {
                event: Some(&before_root_vfork),
                listed: vec![first_child.clone()],
                ..Cut::unlisted(&no_root, &root_fds)
            },
        ),
    ];
    // To look at some cuts only: SCAPBRIDGE_ONLY_CUTS=NAME,NAME (each
    // name must be a cut's: a typo must not pass having tested nothing).
    let only = std::env::var("SCAPBRIDGE_ONLY_CUTS").ok();
    for n in only.iter().flat_map(|o| o.split(',')) {
        assert!(
            variants.iter().any(|(name, _)| *name == n),
            "SCAPBRIDGE_ONLY_CUTS: no cut named {n:?}"
        );
    }
    let mut files = Vec::new();
    for (name, cut) in &variants {
        if only
            .as_ref()
            .is_some_and(|o| !o.split(',').any(|n| n == *name))
        {
            continue;
        }
        let p = dir.join(format!("{name}.scap"));
        let n = rewrite(cap, &p, cut);
        assert!(n > 0, "{name}: the cut left nothing out");
        files.push(p);
    }
    // To look at the cuts by hand: SCAPBRIDGE_KEEP_CUTS=DIR keeps a copy.
    if let Some(keep) = std::env::var_os("SCAPBRIDGE_KEEP_CUTS") {
        for p in files.iter().map(PathBuf::as_path).chain([cap]) {
            std::fs::copy(p, Path::new(&keep).join(p.file_name().unwrap())).unwrap();
        }
    }
    files
}
