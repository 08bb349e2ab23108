//! The probe writes each syscall libs has an event for with that event's
//! layout, arguments and true values (issue "The probe sees every syscall as
//! Falco does"): a child makes one of each with known arguments
//! (`tests/workloads/known_syscalls.py`), and our reader, sysdig 0.29 (the
//! `compat` conversion of the capture), sysdig 0.41 and Stratoshark's strato
//! (the capture itself, `stratoshark` layout) all show those values.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::*;

/// One row per event of interest: pid, event name, and its arguments (for
/// a reader that shows enter and exit apart, both, enter first).
type Rows = Vec<(u64, String, String)>;

/// Rows from `PID DIR TYPE ARGS` lines (sysdig's and our `-p` output),
/// each exit joined with the enter of the same thread and name before it.
fn rows_with_dir(out: &str) -> Rows {
    let mut enters: HashMap<(u64, String), String> = HashMap::new();
    let mut rows = Vec::new();
    for line in out.lines() {
        let mut f = line.splitn(4, ' ');
        let (Some(pid), Some(dir), Some(ty)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u64>() else {
            continue;
        };
        let args = f.next().unwrap_or("").to_string();
        match dir {
            ">" => {
                enters.insert((pid, ty.to_string()), args);
            }
            _ => {
                let enter = enters.remove(&(pid, ty.to_string())).unwrap_or_default();
                rows.push((pid, ty.to_string(), format!("{enter} {args}")));
            }
        }
    }
    rows
}

/// What one syscall's row must show: every group holds, a group by any of
/// its alternatives (readers print some numbers in hex, others in decimal).
struct Want {
    pid: u64,
    event: &'static str,
    groups: Vec<Vec<String>>,
    /// Readers whose layout has no such parameter (named, with the reason).
    not_in: &'static [&'static str],
}

impl Want {
    /// The same, not compared in the readers `not_in` names.
    fn except(self, not_in: &'static [&'static str]) -> Want {
        Want { not_in, ..self }
    }
}

fn want(pid: u64, event: &'static str, groups: &[&[String]]) -> Want {
    Want {
        pid,
        event,
        groups: groups.iter().map(|g| g.to_vec()).collect(),
        not_in: &[],
    }
}

/// Events newer than sysdig 0.29: the `compat` layout writes them as the
/// generic event naming the syscall, the only form it shows.
const NEWER_THAN_029: &[&str] =
    &["sysdig 0.29: it has no such event (a generic row, no arguments)"];

/// sysdig 0.29's sendmmsg and recvmmsg events carry no parameters: the
/// `compat` layout writes them so, one row per message.
const MMSG_029: &[&str] = &["sysdig 0.29: its sendmmsg and recvmmsg events have no parameters"];

/// sysdig 0.29 names prctl's events but shows no parameter of them (seen:
/// `< prctl ` for the exit the `compat` layout writes with all four).
const PRCTL_029: &[&str] = &["sysdig 0.29: it shows prctl's events without parameters"];

fn s(v: impl Into<String>) -> String {
    v.into()
}

/// The expectations, from the workload's own report of what it did.
fn expectations(k: &serde_json::Value) -> Vec<Want> {
    let n = |a: &str, b: &str| k[a][b].as_u64().unwrap_or_else(|| panic!("{a}.{b} in {k}"));
    let pid = k["pid"].as_u64().unwrap();
    let hex_or_dec = |key: &str, v: u64| vec![format!("{key}={v:X} "), format!("{key}={v} ")];
    let mut w = vec![
        want(
            pid,
            "mmap",
            &[
                &[s("length=12411")],
                &[s("prot=3(PROT_READ|PROT_WRITE)")],
                &[s("flags=10(MAP_PRIVATE|MAP_ANONYMOUS)")],
                &hex_or_dec("res", n("mmap", "addr")),
            ],
        ),
        want(
            pid,
            "mprotect",
            &[
                &[format!("addr={:X}", n("mprotect", "addr"))],
                &[s("length=4096")],
                &[s("prot=1(PROT_READ)")],
            ],
        ),
        want(
            pid,
            "brk",
            &[&hex_or_dec("res", n("brk", "ret")), &[s("addr=0")]],
        ),
        want(
            pid,
            "access",
            &[&[s("name=/etc/hostname")], &[s("mode=6(")]],
        ),
        want(pid, "stat", &[&[s("path=/etc/hostname")], &[s("res=0")]]),
        want(
            pid,
            "newfstatat",
            &[
                &[s("path=/etc/hostname")],
                &[s("flags=256(AT_SYMLINK_NOFOLLOW)")],
            ],
        )
        .except(&["sysdig 0.29: it has no newfstatat event (a generic row, no arguments)"]),
        want(
            pid,
            "openat",
            &[
                &[s("name=/etc/hostname")],
                &[format!("dev={:X}", n("openat", "dev"))],
            ],
        ),
        want(
            pid,
            "openat",
            &[
                &[s("name=/etc/hostname")],
                &[format!("ino={} ", n("openat", "ino"))],
            ],
        )
        .except(&["sysdig 0.29: its openat exit ends at dev"]),
        want(
            pid,
            "lseek",
            &[&[s("offset=5")], &[s("whence=0(SEEK_SET)")], &[s("res=5")]],
        ),
        // sysdig 0.29 and 0.41 print the 64-bit unsigned offset as signed.
        want(
            pid,
            "lseek",
            &[
                &[s("offset=-2 ")],
                &[s("whence=1(SEEK_CUR)")],
                &[format!("res={}", n("lseek_back", "ret"))],
            ],
        ),
        want(
            pid,
            "pipe2",
            &[
                &[format!("fd1={}", n("pipe2", "fd1"))],
                &[format!("fd2={}", n("pipe2", "fd2"))],
                &[format!("ino={} ", n("pipe2", "ino"))],
                &[s("O_CLOEXEC")],
            ],
        )
        .except(&["sysdig 0.29: it has no pipe2 event (a generic row, no arguments)"]),
        want(
            pid,
            "poll",
            &[&[format!("fds={}:", n("poll", "fd"))], &[s("timeout=10")]],
        ),
        want(
            pid,
            "futex",
            &[
                &[format!("addr={:X}", n("futex", "addr"))],
                &[s("op=1(FUTEX_WAKE)")],
                &[s("val=1")],
            ],
        ),
        want(pid, "nanosleep", &[&[s("interval=12345678")]]),
        want(
            pid,
            "getrlimit",
            &[
                &[s("resource=7(RLIMIT_NOFILE)")],
                &[format!("cur={} ", n("getrlimit", "cur"))],
                &[format!("max={} ", n("getrlimit", "max"))],
            ],
        ),
        want(
            pid,
            "ioctl",
            &[&[s("request=5413")], &[format!("fd={}(", n("ioctl", "fd"))]],
        ),
        want(
            pid,
            "connect",
            &[&[format!(
                "tuple=127.0.0.1:{}->127.0.0.1:{}",
                n("connect", "sport"),
                n("connect", "dport")
            )]],
        ),
        want(
            pid,
            "process_vm_readv",
            &[
                &[s("res=18 ")],
                &[format!("pid={pid}")],
                &[s("data=read-by-process-vm")],
            ],
        )
        .except(NEWER_THAN_029),
        want(
            pid,
            "process_vm_writev",
            &[&[s("res=13 ")], &[s("data=written-by-vm")]],
        )
        .except(NEWER_THAN_029),
        want(
            pid,
            "semop",
            &[
                &[s("res=0 ")],
                &[s("nsops=2 ")],
                &[s("sem_num_0=0 sem_op_0=1 sem_flg_0=1(IPC_NOWAIT)")],
                &[s("sem_num_1=1 sem_op_1=2 sem_flg_1=2(SEM_UNDO)")],
                &[format!("semid={} ", n("semop", "semid"))],
            ],
        ),
        want(
            pid,
            "setsockopt",
            &[
                &[format!("fd={}(", n("setsockopt", "fd"))],
                &[s(
                    "level=1(SOL_SOCKET) optname=8(SO_RCVBUF) val=65536 optlen=4",
                )],
            ],
        ),
        want(
            pid,
            "setsockopt",
            &[&[s(
                "level=1(SOL_SOCKET) optname=20(SO_RCVTIMEO) val=2500000000(2.5s) optlen=16",
            )]],
        ),
        want(
            pid,
            "setsockopt",
            &[
                &[s("level=2(SOL_TCP) optname=0(UNKNOWN) val=")],
                &[s("optlen=4")],
            ],
        ),
        want(
            pid,
            "getsockopt",
            &[
                &[s("res=0 ")],
                &[s("level=1(SOL_SOCKET) optname=3(SO_TYPE) val=1 optlen=4")],
            ],
        ),
        want(
            pid,
            "fsconfig",
            &[
                &[s("res=0 ")],
                &[format!("fd={}", n("fsconfig", "fd"))],
                &[s(
                    "cmd=1(FSCONFIG_SET_STRING) key=size value_bytebuf=NULL value_charbuf=1m aux=0",
                )],
            ],
        )
        .except(NEWER_THAN_029),
        // prctl's arg2 as libs writes it: a name as arg2_str, the int
        // PR_GET_CHILD_SUBREAPER stored as arg2_int.
        want(
            pid,
            "prctl",
            &[
                &[s("res=0 ")],
                &[s("option=15(PR_SET_NAME)")],
                &[s("arg2_str=sb-renamed ")],
                &[s("arg2_int=0 ")],
            ],
        )
        .except(PRCTL_029),
        want(
            pid,
            "prctl",
            &[
                &[s("option=16(PR_GET_NAME)")],
                &[format!(
                    "arg2_str={} ",
                    k["prctl"]["old_name"].as_str().unwrap()
                )],
            ],
        )
        .except(PRCTL_029),
        want(
            pid,
            "prctl",
            &[
                &[s("option=37(PR_GET_CHILD_SUBREAPER)")],
                &[format!("arg2_int={} ", n("prctl", "subreaper"))],
            ],
        )
        .except(PRCTL_029),
        // One event per message, each its own length and data.
        want(
            pid,
            "sendmmsg",
            &[
                &[s("res=8 ")],
                &[format!("fd={}(", n("sendmmsg", "fd"))],
                &[s("size=8 ")],
                &[s("data=mmsg-one")],
                &[s("127.0.0.1:")],
            ],
        )
        .except(MMSG_029),
        want(
            pid,
            "sendmmsg",
            &[&[s("res=11 ")], &[s("size=11 ")], &[s("data=mmsg-second")]],
        )
        .except(MMSG_029),
        want(
            pid,
            "recvmmsg",
            &[
                &[s("res=8 ")],
                &[format!("fd={}(", n("recvmmsg", "fd"))],
                &[s("size=8 ")],
                &[s("data=mmsg-one")],
            ],
        )
        .except(MMSG_029),
        want(
            pid,
            "recvmmsg",
            &[&[s("res=11 ")], &[s("data=mmsg-second")]],
        )
        .except(MMSG_029),
        want(
            pid,
            "quotactl",
            &[
                &[s("res=-2(ENOENT)")],
                &[s("special=/dev/scapbridge-no-such-disk")],
                &[s("cmd=32(Q_GETQUOTA)")],
                &[s("type=1(USRQUOTA)")],
                &[s("id=1234 ")],
                &[s("quota_fmt=1(QFMT_NOT_USED)")],
            ],
        ),
        want(
            pid,
            "quotactl",
            &[
                &[s("quotafilepath=/aquota.group")],
                &[s("cmd=1(Q_QUOTAON)")],
                &[s("type=2(GRPQUOTA)")],
                &[s("id=0 ")],
                &[s("quota_fmt=4(QFMT_VFS_V0)")],
            ],
        ),
    ];
    assert_eq!(k["sendmmsg"]["ret"], 2, "sendmmsg: {}", k["sendmmsg"]);
    assert_eq!(k["recvmmsg"]["ret"], 2, "recvmmsg: {}", k["recvmmsg"]);
    // open_by_handle_at needs CAP_DAC_READ_SEARCH and a file system that
    // gives handles: where it could not run, the workload says so.
    let h = &k["open_by_handle_at"];
    assert_eq!(
        h["named"], 0,
        "name_to_handle_at(/etc/hostname) failed: {h}"
    );
    assert!(
        h["fd"].as_i64().unwrap() >= 0,
        "open_by_handle_at failed: {h}"
    );
    w.push(
        want(
            pid,
            "open_by_handle_at",
            &[
                &[format!(
                    "fd={}(<f>/etc/hostname)",
                    n("open_by_handle_at", "fd")
                )],
                &[format!(
                    "mountfd={}(<f>/etc)",
                    n("open_by_handle_at", "mountfd")
                )],
                &[s("flags=1(O_RDONLY)")],
                &[s("path=/etc/hostname")],
                &[format!("dev={:X} ", n("open_by_handle_at", "dev"))],
                &[format!("ino={} ", n("open_by_handle_at", "ino"))],
            ],
        )
        .except(NEWER_THAN_029),
    );
    // io_uring may be turned off (kernel.io_uring_disabled): then the
    // error, and the entries asked for.
    let ring = k["io_uring_setup"]["ret"].as_i64().unwrap();
    let groups = if ring >= 0 {
        vec![
            vec![s("entries=4 ")],
            vec![format!("sq_entries={} ", n("io_uring_setup", "sq_entries"))],
            vec![format!("cq_entries={} ", n("io_uring_setup", "cq_entries"))],
            vec![s("IORING_FEAT_SINGLE_MMAP")],
        ]
    } else {
        vec![vec![s("entries=4 ")]]
    };
    w.push(Want {
        pid,
        event: "io_uring_setup",
        groups,
        not_in: NEWER_THAN_029,
    });
    // The exec'd child, stopped before its first instruction: /proc's
    // VmSize and stat's inode of the executable.
    let child = n("execve", "pid");
    w.push(want(
        child,
        "execve",
        &[&[format!("vm_size={} ", n("execve", "vm_size"))]],
    ));
    // The executable's flags (PPM_EXE_*), as Falco's probe sets them: root
    // owns /usr/bin/true (writable for it), nobody may not write it, and a
    // memfd is fileless (and root's, so writable too).
    let x = &k["exe_flags"];
    assert_eq!(x["owner"], 0, "/usr/bin/true is root's: {x}");
    assert_eq!(
        x["root_writable"], true,
        "root may write /usr/bin/true: {x}"
    );
    assert_eq!(
        x["mode"].as_u64().unwrap() & 0o022,
        0,
        "/usr/bin/true is not group or world writable: {x}"
    );
    let pid_of = |who: &str| x[who].as_u64().unwrap();
    for (who, flags) in [
        ("root", "flags=1(EXE_WRITABLE)"),
        ("nobody", "flags=0 "),
        ("memfd", "flags=5(EXE_WRITABLE"),
    ] {
        w.push(want(pid_of(who), "execve", &[&[s(flags)]]));
    }
    w.push(
        want(
            pid_of("memfd"),
            "execve",
            &[&[s("flags=5(EXE_WRITABLE|EXE_FROM_MEMFD)")]],
        )
        .except(&["sysdig 0.29: its flag names end at EXE_WRITABLE (no EXE_FROM_MEMFD)"]),
    );
    w.push(
        want(
            child,
            "execve",
            &[&[format!("exe_ino={} ", n("execve", "exe_ino"))]],
        )
        .except(&["sysdig 0.29: its execve exit ends at flags"]),
    );
    w
}

/// Every expectation `reader`'s rows miss, as lines.
fn misses(reader: &str, rows: &Rows, wants: &[Want]) -> Vec<String> {
    let mut out = Vec::new();
    for w in wants {
        if w.not_in.iter().any(|r| r.starts_with(reader)) {
            continue;
        }
        let candidates: Vec<&(u64, String, String)> = rows
            .iter()
            .filter(|(p, e, _)| *p == w.pid && e == w.event)
            .collect();
        let hit = candidates.iter().any(|(_, _, args)| {
            let args = format!("{args} ").to_uppercase();
            w.groups
                .iter()
                .all(|g| g.iter().any(|alt| args.contains(&alt.to_uppercase())))
        });
        if !hit {
            let seen: Vec<&str> = candidates.iter().map(|c| c.2.as_str()).take(3).collect();
            out.push(format!(
                "{reader}: {} of pid {} with {:?}; its rows: {seen:?}",
                w.event, w.pid, w.groups
            ));
        }
    }
    out
}

#[test]
fn known_syscalls_show_their_arguments_in_every_reader() {
    if !probe_available() {
        return;
    }
    let root = sid_root();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let workload = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/known_syscalls.py");
    let o = run(scapbridge()
        .args(["capture", "-i", "scapbridge-syscalls", "-q", "-w"])
        .arg(d.join("k.scap"))
        .args(["--", "python3"])
        .arg(&workload));
    assert!(o.status.success(), "capture: {}", stderr(&o));
    let k: serde_json::Value = serde_json::from_slice(&o.stdout).expect("the workload's report");
    let wants = expectations(&k);
    let o = run(scapbridge()
        .arg("convert")
        .arg(d.join("k.scap"))
        .arg("-w")
        .arg(d.join("kc.scap"))
        .args(["--profile", "compat"]));
    assert!(o.status.success(), "convert: {}", stderr(&o));

    let format = "%proc.pid %evt.dir %evt.type %evt.args";
    let mut failures = Vec::new();
    let o = run(scapbridge()
        .arg("read")
        .arg(d.join("k.scap"))
        .args(["-p", format]));
    assert!(o.status.success(), "read: {}", stderr(&o));
    failures.extend(misses(
        "scapbridge read",
        &rows_with_dir(&String::from_utf8_lossy(&o.stdout)),
        &wants,
    ));
    if have("sysdig") {
        let o = run(std::process::Command::new("sysdig")
            .arg("-r")
            .arg(d.join("kc.scap"))
            .args(["-p", format]));
        assert!(o.status.success(), "sysdig 0.29: {}", stderr(&o));
        failures.extend(misses(
            "sysdig 0.29",
            &rows_with_dir(&String::from_utf8_lossy(&o.stdout)),
            &wants,
        ));
    }
    if let Some(root) = root {
        let o = in_sid(&root, d, &["sysdig", "-r", "/x/k.scap", "-p", format]);
        assert!(o.status.success(), "sysdig 0.41: {}", stderr(&o));
        let err = stderr(&o);
        assert!(!err.contains("not the right one"), "sysdig 0.41: {err}");
        failures.extend(misses(
            "sysdig 0.41",
            &rows_with_dir(&String::from_utf8_lossy(&o.stdout)),
            &wants,
        ));
        let o = in_sid(
            &root,
            d,
            &[
                "strato",
                "-r",
                "/x/k.scap",
                "-T",
                "fields",
                "-E",
                "occurrence=f",
                "-e",
                "proc.pid",
                "-e",
                "evt.type",
                "-e",
                "evt.args",
            ],
        );
        assert!(o.status.success(), "strato: {}", stderr(&o));
        let rows: Rows = String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| {
                let mut f = l.splitn(3, '\t');
                let pid = f.next()?.parse().ok()?;
                Some((
                    pid,
                    f.next()?.to_string(),
                    f.next().unwrap_or("").to_string(),
                ))
            })
            .collect();
        failures.extend(misses("strato", &rows, &wants));
    }
    assert_no_failures(&failures, "misses");
}

/// `scapbridge info` names the share of generic events (no arguments) and
/// the syscalls behind them; of the workload's syscalls, only those libs has
/// no event for stay generic.
#[test]
fn info_reports_the_generic_share() {
    if !probe_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("k.scap");
    let workload = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/known_syscalls.py");
    let o = run(scapbridge()
        .args(["capture", "-i", "scapbridge-syscalls", "-q", "-w"])
        .arg(&f)
        .args(["--", "python3"])
        .arg(&workload));
    assert!(o.status.success(), "capture: {}", stderr(&o));
    let o = run(scapbridge().arg("info").arg("--json").arg(&f));
    assert!(o.status.success(), "info: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let by = v["generic_by_syscall"]
        .as_object()
        .expect("generic_by_syscall");
    let total: u64 = by.values().map(|c| c.as_u64().unwrap()).sum();
    assert_eq!(v["generic_events"].as_u64(), Some(total));
    for described in [
        "mmap",
        "brk",
        "mprotect",
        "newfstatat",
        "access",
        "poll",
        "futex",
        "ioctl",
        "lseek",
    ] {
        assert!(
            !by.contains_key(described),
            "{described} is still generic: {by:?}"
        );
    }
    // Whatever the workload: no syscall libs has an event for is written
    // generic (that would be a layout missing from the probe).
    assert_eq!(
        v["generic_with_libs_event"],
        serde_json::json!([]),
        "syscalls with a libs event written generic: {by:?}"
    );
    let o = run(scapbridge().arg("info").arg(&f));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("no libs event for these syscalls"), "{text}");
    assert!(!text.contains("the recorder wrote generic"), "{text}");
}
