//! The agent's memory in trigger mode over 60 s of heavy load. A test
//! binary of its own: its workload (a hundred thousand syscalls a
//! second) would overflow the probe of any capture running beside it, and
//! cargo runs test binaries one after another.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

mod common;

use std::process::Command;

use common::{probe_available, status_kb};

/// Trigger mode for 60 s under a steady workload (a byte-at-a-time `dd`,
/// about a hundred thousand syscalls a second) with an alert every 10 s:
/// the agent's resident memory stays under --max-buffer plus the
/// documented constant (64 MiB: probe rings, state tables, buffers), and
/// does not grow: the peak of the last 30 s is within 8 MiB of the first
/// 30 s's.
#[test]
fn agent_memory_is_bounded_and_flat_over_60_seconds_of_trigger_mode() {
    if !probe_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let marker = d.join("marker");
    std::fs::write(&marker, "m").expect("marker");
    let rules = d.join("rules.yaml");
    std::fs::write(
        &rules,
        format!(
            "- rule: Marker opened\n  desc: test\n  condition: evt.type in (open, openat) and evt.dir = < and fd.name = \"{}\"\n  output: \"marker %fd.name\"\n  priority: WARNING\n",
            marker.display()
        ),
    )
    .expect("rules");
    let out = d.join("windows.scap");
    let agent = Command::new(common::agent_bin())
        .args(["capture", "-w"])
        .arg(&out)
        .arg("--rules")
        .arg(&rules)
        .args(scapbridge_tests::trigger_windows("2s", "1s"))
        .args(["--max-buffer", "8M"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("agent");
    let mut load = Command::new("sh")
        .arg("-c")
        // Throttled (~100k syscalls/s) so that the probe loses nothing and
        // the alerts fire; still 8 MiB of events within seconds.
        .arg(
            "while :; do dd if=/dev/zero of=/dev/null bs=1 count=5000 2>/dev/null; sleep 0.1; done",
        )
        .spawn()
        .expect("workload");
    let mut samples: Vec<u64> = Vec::new();
    for second in 0..60 {
        std::thread::sleep(std::time::Duration::from_secs(1));
        if second % 10 == 5 {
            let _ = std::fs::read(&marker);
        }
        samples.push(status_kb(agent.id(), "VmRSS:").unwrap_or(0));
    }
    common::signal("TERM", load.id());
    let _ = Command::new("pkill")
        .args(["-f", "dd if=/dev/zero of=/dev/null bs=1 count=5000"])
        .status();
    let _ = load.wait();
    common::signal("TERM", agent.id());
    let o = agent.wait_with_output().expect("agent exit");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    // The ring was full: the bound was exercised, not just respected.
    let peak: u64 = err
        .split("ring peak ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no ring peak in: {err}"));
    eprintln!("{err}");
    assert!(
        peak > 6 << 20 && peak <= 8 << 20,
        "ring peak {peak} bytes with --max-buffer 8M"
    );
    let first = samples[..30].iter().max().copied().unwrap_or(0);
    let last = samples[30..].iter().max().copied().unwrap_or(0);
    eprintln!("agent RSS kB per second: {samples:?}");
    assert!(
        samples.iter().all(|k| *k > 0),
        "the agent ran throughout: {samples:?}"
    );
    assert!(
        first.max(last) < (8 + 64) * 1024,
        "RSS {} kB over --max-buffer 8M + 64M: {samples:?}",
        first.max(last)
    );
    assert!(
        last <= first + 8 * 1024,
        "RSS grew from {first} kB to {last} kB: {samples:?}"
    );
}
