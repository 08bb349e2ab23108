//! The eBPF probe and containers: a process in a podman container carries
//! its cgroups (as `/proc/PID/cgroup` says), its namespace ids and its
//! executable's overlay layer, in the live events and in the `/proc`
//! snapshot, as sysdig 0.29 and Stratoshark's readers show them.
//!
//! These tests need root, a kernel with BTF and podman; elsewhere they skip
//! with the reason, and with CI=true they must run.

// A test fails by panicking.
#![allow(clippy::panic)]

mod common;

use std::process::Command;

use common::{capture_ok, have, probe_available, scapbridge, syscalls_capture};
use scapbridge_formats::schema::{event_info, Direction};

/// Each subsystem's path in a `/proc/PID/cgroup` file: the cgroup v1 line
/// that lists it (the kernel's `io` subsystem is the v1 hierarchy `blkio`),
/// else the unified line (`0::path`, pure cgroup v2).
fn proc_cgroup_path(cgroup: &str, subsys: &str) -> Option<String> {
    let legacy = if subsys == "io" { "blkio" } else { subsys };
    let mut unified = None;
    for line in cgroup.lines() {
        let mut f = line.splitn(3, ':');
        let (Some(_), Some(list), Some(path)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if list.is_empty() {
            unified = Some(path.to_string());
        } else if list.split(',').any(|s| s == subsys || s == legacy) {
            return Some(path.to_string());
        }
    }
    unified
}

/// `subsys=path\0…` items of a `cgroups` parameter.
fn cgroup_items(raw: &[u8]) -> Vec<(String, String)> {
    raw.split(|&b| b == 0)
        .filter(|i| !i.is_empty())
        .map(|i| {
            let i = String::from_utf8_lossy(i);
            let (s, p) = i.split_once('=').unwrap_or((&i, ""));
            (s.to_string(), p.to_string())
        })
        .collect()
}

/// The probe's `cgroups` items are the subsystems Falco's modern probe
/// writes (those of cpuset, cpu, cpuacct, io, memory the kernel has), each
/// with the path `/proc/PID/cgroup` shows for it.
fn assert_cgroups_are(raw: &[u8], proc_cgroup: &str, what: &str) {
    let items = cgroup_items(raw);
    assert!(!items.is_empty(), "{what}: no cgroups at all");
    let names: Vec<&str> = items.iter().map(|(s, _)| s.as_str()).collect();
    let falco = ["cpuset", "cpu", "cpuacct", "io", "memory"];
    assert!(
        names.iter().all(|n| falco.contains(n)) && names.windows(2).all(|w| w[0] != w[1]),
        "{what}: subsystems {names:?}"
    );
    for (s, path) in &items {
        assert_eq!(
            Some(path.as_str()),
            proc_cgroup_path(proc_cgroup, s).as_deref(),
            "{what}: {s} in {items:?}\n/proc says:\n{proc_cgroup}"
        );
    }
}

fn param<'a>(e: &'a scapbridge_formats::OwnedEvent, name: &str) -> &'a [u8] {
    let info = event_info(e.event_type).expect("known event");
    &e.params[info
        .param_index(name)
        .unwrap_or_else(|| panic!("{} has no {name}", info.name))]
}

fn param_i64(e: &scapbridge_formats::OwnedEvent, name: &str) -> i64 {
    i64::from_le_bytes(param(e, name).try_into().expect("8 bytes"))
}

fn is_exit_named(e: &scapbridge_formats::OwnedEvent, names: &[&str]) -> bool {
    Direction::of(e.event_type) == Direction::Exit
        && event_info(e.event_type).is_some_and(|i| names.contains(&i.name))
}

/// Issue 22, item 1: the probe records what identifies a container. A
/// podman container (runc, cgroupfs: `/libpod_parent/libpod-<id>` in each
/// cgroup line) runs `cat` (and a binary it writes) through `podman exec`
/// under the capture: the
/// execve exit of that `cat` carries the container's cgroups as
/// `/proc/PID/cgroup` of the container's process shows them, the clone exit
/// of its process the in-container pid and tid (small, not the host's), and
/// the host's own `podman` the test's own cgroups. sysdig 0.29 shows them as
/// `thread.cgroups`, and the file in the `stratoshark` layout reads in
/// Stratoshark's readers. Then a capture of the running container's shell
/// (`--pid`) has it in the /proc snapshot with the same cgroups and its
/// in-container ids.
#[test]
fn container_processes_carry_their_cgroups_and_namespace_ids() {
    use common::podman::{self, Container};
    if !probe_available() || !podman::podman_available() {
        return;
    }
    // Built before the container starts: its loop makes ten processes a
    // second, so a build meanwhile (a minute or two) would push the pids
    // in its namespace past the range checked below.
    let _ = common::scapbridge_bin();
    let c = Container::run(
        "sb-probe",
        None,
        &[
            "sh",
            "-c",
            "while :; do cat /etc/hostname >/dev/null; sleep 0.2; done",
        ],
    );
    let container_cgroup = c.host_cgroup();
    let own_cgroup = std::fs::read_to_string("/proc/self/cgroup").expect("own cgroups");
    let dir = tempfile::tempdir().expect("tempdir");

    // 1. `podman exec` traced from its start: the host's podman, the
    // container's cat.
    let out = dir.path().join("exec.scap");
    let pm = podman::podman();
    capture_ok(
        syscalls_capture(Some("stratoshark"), &out)
            .args(["-q", "--"])
            .arg(pm.get_program())
            .args(pm.get_args())
            .args([
                "exec",
                &c.name,
                "sh",
                "-c",
                "cat /etc/hostname && cp /bin/true /tmp/dropped && /tmp/dropped",
            ]),
    );
    let evs = common::events(&out, false).expect("the capture reads");
    let exec_of = |exe: &str| -> Vec<&scapbridge_formats::OwnedEvent> {
        evs.iter()
            .filter(|e| {
                is_exit_named(e, &["execve"])
                    && param_i64(e, "res") == 0
                    && param(e, "exe").starts_with(exe.as_bytes())
                    && param(e, "exe").get(exe.len()).is_none_or(|&b| b == 0)
            })
            .collect()
    };
    let cats: Vec<_> = exec_of("cat")
        .into_iter()
        .filter(|e| param(e, "args").starts_with(b"/etc/hostname"))
        .collect();
    assert_eq!(cats.len(), 1, "one cat /etc/hostname exec'd");
    let cat = cats[0];
    assert_cgroups_are(param(cat, "cgroups"), &container_cgroup, "cat's execve");
    for (s, path) in cgroup_items(param(cat, "cgroups")) {
        assert_eq!(
            podman::libpod_id(&path),
            Some(c.id.as_str()),
            "cat's {s} cgroup names the container"
        );
    }
    // cat comes from the image, overlayfs' lower layer; a binary written
    // in the container runs from the upper layer (PPM_EXE_UPPER_LAYER 2,
    // PPM_EXE_LOWER_LAYER 8).
    let flags = |e: &scapbridge_formats::OwnedEvent| {
        u32::from_le_bytes(param(e, "flags").try_into().expect("4 bytes"))
    };
    assert_eq!(flags(cat) & 0xa, 8, "cat from the image's lower layer");
    let dropped = exec_of("/tmp/dropped");
    assert_eq!(dropped.len(), 1, "/tmp/dropped exec'd");
    assert_eq!(
        flags(dropped[0]) & 0xa,
        2,
        "/tmp/dropped from the upper layer"
    );
    assert_cgroups_are(
        param(dropped[0], "cgroups"),
        &container_cgroup,
        "/tmp/dropped",
    );
    assert_ne!(param_i64(cat, "exe_ino"), 0, "exe_ino");
    assert_ne!(
        param_i64(cat, "exe_ino"),
        param_i64(dropped[0], "exe_ino"),
        "exe_ino differs"
    );

    // The clone exit in the child that became cat: its ids in the
    // container's pid namespace.
    let host_tid = cat.tid;
    let child = evs
        .iter()
        .find(|e| {
            e.tid == host_tid
                && is_exit_named(e, &["clone", "clone3", "fork", "vfork"])
                && param_i64(e, "res") == 0
        })
        .expect("the clone exit of cat's process, in the child");
    let (vtid, vpid) = (param_i64(child, "vtid"), param_i64(child, "vpid"));
    assert!(
        (2..1000).contains(&vpid) && vtid == vpid && vpid as u64 != host_tid,
        "in-container ids: vtid {vtid} vpid {vpid}, host tid {host_tid}"
    );
    assert_ne!(
        param_i64(child, "pidns_init_start_ts"),
        0,
        "the container's init start"
    );
    // The container's shell forked it: the container's cgroups already.
    assert_cgroups_are(param(child, "cgroups"), &container_cgroup, "cat's clone");

    // The host's podman: the test's own cgroups, in no container.
    let host = exec_of("podman");
    assert!(!host.is_empty(), "podman's execve");
    for e in &host {
        assert_cgroups_are(param(e, "cgroups"), &own_cgroup, "podman's execve");
        assert!(
            cgroup_items(param(e, "cgroups"))
                .iter()
                .all(|(_, p)| podman::libpod_id(p).is_none()),
            "podman is in no container"
        );
        // exe_ino and its times are the executable's, as stat shows them.
        use std::os::unix::fs::MetadataExt;
        let path = String::from_utf8_lossy(param(e, "trusted_exepath"));
        let m = std::fs::metadata(path.trim_end_matches('\0')).expect("stat podman");
        let ns = |s: i64, n: i64| s * 1_000_000_000 + n;
        assert_eq!(
            (
                param_i64(e, "exe_ino") as u64,
                param_i64(e, "exe_ino_ctime"),
                param_i64(e, "exe_ino_mtime")
            ),
            (
                m.ino(),
                ns(m.ctime(), m.ctime_nsec()),
                ns(m.mtime(), m.mtime_nsec())
            ),
            "podman's exe_ino, ctime, mtime"
        );
    }

    // sysdig 0.29 (in the compat layout it reads) shows them.
    if have("sysdig") {
        let compat = dir.path().join("exec-compat.scap");
        let o = scapbridge()
            .arg("convert")
            .arg(&out)
            .arg("-w")
            .arg(&compat)
            .args(["--profile", "compat"])
            .output()
            .expect("convert");
        assert!(o.status.success(), "convert: {}", common::stderr(&o));
        let (lines, ok) = common::sysdig_lines(&compat);
        assert!(ok && !lines.is_empty(), "sysdig 0.29 reads the file");
        let sd = Command::new("sysdig")
            .arg("-r")
            .arg(&compat)
            .args([
                "-p",
                "%proc.name %proc.vpid %thread.vtid %thread.cgroups",
                "evt.type=execve and evt.dir=<",
            ])
            .output()
            .expect("sysdig");
        assert!(sd.status.success(), "sysdig: {}", common::stderr(&sd));
        let text = String::from_utf8_lossy(&sd.stdout);
        let cat_line = text
            .lines()
            .find(|l| l.starts_with("cat "))
            .unwrap_or_else(|| panic!("no cat execve in sysdig:\n{text}"));
        eprintln!("sysdig 0.29: {cat_line}");
        assert!(
            cat_line.contains(&format!("cpuset=/libpod_parent/libpod-{}", c.id))
                && cat_line.contains(&format!("memory=/libpod_parent/libpod-{}", c.id)),
            "{cat_line}"
        );
        let vpid: i64 = cat_line
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .expect("proc.vpid");
        assert_eq!(vpid, param_i64(child, "vpid"), "{cat_line}");
        let podman_line = text
            .lines()
            .find(|l| l.starts_with("podman "))
            .unwrap_or_else(|| panic!("no podman execve in sysdig:\n{text}"));
        assert!(
            podman_line.contains("cpuset=/") && !podman_line.contains("libpod-"),
            "{podman_line}"
        );
    }
    // Stratoshark's readers take the stratoshark layout.
    if let Some(root) = common::sid_root() {
        common::assert_every_row_is_its_own(&root, dir.path(), "exec.scap");
    }

    // 2. The container's shell ran before the capture: the /proc snapshot
    // gives its cgroups (as libscap's proc scan writes them) and its ids in
    // the container (it is the container's init).
    let pid1 = c.pid();
    assert!(pid1 > 0, "the container runs");
    let out = dir.path().join("running.scap");
    capture_ok(
        syscalls_capture(Some("compat"), &out)
            .args(["-q", "--duration", "1s", "--pid"])
            .arg(pid1.to_string()),
    );
    let sh = common::snapshot_process(&out, u64::from(pid1))
        .expect("the container's shell in the /proc snapshot");
    assert_eq!((sh.vpid, sh.vtid), (1, 1), "the container's init");
    let want = scapbridge_probe::procfs::cgroups_list(&container_cgroup, true);
    // The compat layout (sysdig 0.29's) adds one entry in a form 0.29
    // matches after the real ones (formats::cgroup::with_compat_entry).
    let want = scapbridge_formats::cgroup::with_compat_entry(&want).unwrap_or(want);
    assert_eq!(
        String::from_utf8_lossy(&sh.cgroups),
        String::from_utf8_lossy(&want),
        "the snapshot's cgroups"
    );
    let items = cgroup_items(&sh.cgroups);
    assert!(
        !items.is_empty()
            && items
                .iter()
                .all(|(_, p)| podman::libpod_id(p) == Some(c.id.as_str())),
        "every cgroup of the shell names the container: {items:?}"
    );
    let pidns_start = u64::from_le_bytes(sh.tail[0..8].try_into().expect("8 bytes"));
    assert_ne!(pidns_start, 0, "pidns_init_start_ts of the shell");
    if have("sysdig") {
        let sd = Command::new("sysdig")
            .arg("-r")
            .arg(&out)
            .args([
                "-p",
                "%proc.name %proc.vpid %thread.cgroups",
                "proc.name=sh",
            ])
            .output()
            .expect("sysdig");
        let text = String::from_utf8_lossy(&sd.stdout);
        let line = text
            .lines()
            .next()
            .unwrap_or_else(|| panic!("no event of the shell in sysdig: {}", common::stderr(&sd)));
        assert!(
            line.starts_with("sh 1 ") && line.contains(&format!("libpod-{}", c.id)),
            "{line}"
        );
    }
}
