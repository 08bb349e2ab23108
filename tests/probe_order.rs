//! The probe's rings merged in time order: a whole-machine capture while one
//! CPU floods and the other runs short processes (issue "The probe sees every
//! syscall as Falco does": Stratoshark shows rows in file order).
//!
//! Needs root (or CAP_BPF + CAP_PERFMON) and a kernel with BTF; elsewhere it
//! skips with the reason, with CI=true it must run.

// A test fails by panicking.
#![allow(clippy::panic)]

mod common;

use std::process::Command;

use common::{capture_ok, flooding, have, probe_available, syscalls_capture};

/// A whole-machine capture goes out in time order when one CPU floods and
/// the other runs short processes: the flooding CPU's ring falls behind,
/// and its older records must still go out before the other ring's newer
/// ones (a per-drain sort put a backlog's records up to 75 ms late, a
/// child's execve before the clone that made it). Readers take the file's
/// order as the events' order.
#[test]
fn a_backlogged_ring_keeps_the_capture_in_time_order() {
    if !probe_available() || !have("taskset") {
        return;
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus < 2 {
        eprintln!("skipping: one CPU, one ring");
        return;
    }
    let _guard = flooding();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("order.scap");
    let flood = Command::new("taskset")
        .args(["-c", "0", "sh", "-c"])
        .arg("while :; do ls -lR /usr/share >/dev/null 2>&1; done")
        .spawn()
        .expect("spawn the flood");
    let execs = Command::new("taskset")
        .args(["-c", "1", "sh", "-c"])
        .arg("while :; do /bin/true; done")
        .spawn()
        .expect("spawn the exec loop");
    let summary = capture_ok(syscalls_capture(None, &out).args(["--duration", "2s", "-s", "0"]));
    for mut c in [flood, execs] {
        c.kill().ok();
        c.wait().ok();
    }
    let evs = common::events(&out, true).expect("the file reads");
    assert!(evs.len() > 10_000, "a busy capture: {summary}");
    // Drop marks carry the reader's clock, not the kernel's.
    let mut latest = 0u64;
    let mut late = Vec::new();
    for (i, e) in evs.iter().enumerate() {
        if matches!(e.event_type, 148 | 149) {
            continue;
        }
        // A record still being written when its ring was found empty may
        // go out a few microseconds late, as in libscap: allow 1 ms.
        if e.ts + 1_000_000 < latest {
            late.push((i, (latest - e.ts) / 1000));
        }
        latest = latest.max(e.ts);
    }
    assert!(
        late.is_empty(),
        "{} of {} events more than 1 ms behind an earlier one (index, µs): {:?}\n{summary}",
        late.len(),
        evs.len(),
        &late[..late.len().min(10)]
    );
    // Each event carries the CPU it ran on (its ring's index, as libscap
    // writes it), which evt.cpu shows: both pinned loops' CPUs are there.
    for cpu in [0u16, 1] {
        let n = evs.iter().filter(|e| e.cpu == cpu).count();
        let lost = evs
            .iter()
            .filter(|e| e.cpu == cpu && matches!(e.event_type, 148 | 149));
        assert!(
            n > 100,
            "{n} events on CPU {cpu} ({} drop marks of that CPU)\n{summary}",
            lost.count()
        );
    }
}
