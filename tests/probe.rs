//! The eBPF probe against the real kernel: a child makes a known sequence of
//! syscalls under `scapbridge capture -i scapbridge-syscalls -- CHILD`, and
//! the capture must contain exactly those events with the right arguments,
//! as our reader, sysdig 0.29 and tshark 4.0 all show them.
//!
//! These tests need root (or CAP_BPF + CAP_PERFMON) and a kernel with BTF.
//! Elsewhere they skip with the reason; with CI=true they must run.

// A test fails by panicking.
#![allow(clippy::panic)]

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

// The tests that flood the machine with syscalls (the drop counter's, the
// full disk's) hold `flooding`; those that check exact events (a trigger
// window's execve of `cat`) hold `quiet`.
use common::{
    assert_one_line_error, capture_ok, flooding, have, probe_available, quiet, scapbridge,
    status_kb, syscalls_capture,
};
use scapbridge_formats::schema::{event_info, Direction};
use serde_json::Value;

fn child_bin() -> &'static str {
    env!("CARGO_BIN_EXE_probe-child")
}

/// `scapbridge read --json FILE [FILTER]` as JSON values.
fn read_json(file: &Path, filter: Option<&str>) -> Vec<Value> {
    let mut c = scapbridge();
    c.arg("read").arg("--json").arg(file);
    if let Some(f) = filter {
        c.arg(f);
    }
    let o = c.output().expect("scapbridge read");
    assert!(
        o.status.success(),
        "read: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn arg<'a>(ev: &'a Value, name: &str) -> &'a str {
    ev["evt.args"][name].as_str().unwrap_or("")
}

struct Traced {
    _dir: tempfile::TempDir,
    out: std::path::PathBuf,
    file: std::path::PathBuf,
    port: u16,
    summary: String,
}

/// Runs the child under the probe; returns the capture.
fn trace_child(extra: &[&str]) -> Traced {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("child.scap");
    let file = dir.path().join("probe-target.txt");
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let accept = std::thread::spawn(move || listener.accept().map(|_| ()));
    // The layout sysdig 0.29 and tshark 4.0, which these checks read with, take.
    let summary = capture_ok(
        syscalls_capture(Some("compat"), &out)
            .args(extra)
            .arg("--")
            .arg(child_bin())
            .arg(&file)
            .arg(port.to_string()),
    );
    accept.join().expect("accept thread").expect("accepted");
    Traced {
        _dir: dir,
        out,
        file,
        port,
        summary,
    }
}

#[test]
fn known_syscalls_are_captured_in_order_with_their_arguments() {
    if !probe_available() {
        return;
    }
    let _guard = quiet();
    let t = trace_child(&[]);
    assert!(
        t.summary
            .lines()
            .any(|l| l.trim_start().starts_with("kernel") && l.ends_with(", 0 lost")),
        "{}",
        t.summary
    );
    assert!(
        t.summary.contains("command    exited with exit status: 0"),
        "{}",
        t.summary
    );
    // The summary counts what is in the file: with the compat profile,
    // the enter events too.
    let written = t
        .summary
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("events"))
        .and_then(|l| l.split_whitespace().next())
        .map(|n| n.replace(',', ""));
    let in_file = common::events(&t.out, false).expect("events").len();
    assert_eq!(written, Some(in_file.to_string()), "{}", t.summary);
    let all = read_json(&t.out, None);
    // The child's pid: the process that exec'd the child binary.
    let exec_child = all
        .iter()
        .find(|e| {
            e["evt.type"] == "execve"
                && e["evt.dir"] == "<"
                && arg(e, "exe").ends_with("probe-child")
        })
        .expect("the child's execve");
    let pid = exec_child["thread.tid"].as_u64().expect("tid");
    let mine: Vec<&Value> = all
        .iter()
        .filter(|e| e["thread.tid"].as_u64() == Some(pid))
        .collect();
    // Only the traced tree is in the capture: every event is the child's.
    let others: Vec<&Value> = all
        .iter()
        .filter(|e| e["thread.tid"].as_u64() != Some(pid))
        .collect();
    assert!(
        others.is_empty(),
        "events of other threads: {:?}",
        &others[..others.len().min(3)]
    );

    let file = t.file.to_str().expect("utf-8 path");
    let pos = |pred: &dyn Fn(&Value) -> bool, what: &str| -> usize {
        mine.iter()
            .position(|e| pred(e))
            .unwrap_or_else(|| panic!("no {what} event"))
    };
    let open_x = pos(
        &|e| e["evt.type"] == "openat" && e["evt.dir"] == "<" && arg(e, "name") == file,
        "openat exit",
    );
    let open = mine[open_x];
    assert_eq!(open["proc.name"], "probe-child");
    // O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, in sysdig's spelling.
    assert_eq!(
        arg(open, "flags"),
        "4358(O_TRUNC|O_CREAT|O_WRONLY|O_CLOEXEC)"
    );
    assert_eq!(arg(open, "mode"), "0666");
    let fd: i64 = arg(open, "fd")
        .split('(')
        .next()
        .expect("fd")
        .parse()
        .expect("fd number");
    assert!(fd >= 3, "fd {fd}");
    assert!(
        arg(open, "fd").contains(file),
        "fd resolves to the file: {}",
        arg(open, "fd")
    );
    let open_e = mine[open_x - 1];
    assert_eq!(
        (open_e["evt.type"].as_str(), open_e["evt.dir"].as_str()),
        (Some("openat"), Some(">"))
    );
    // The time-of-check copy: the enter event was written by the kernel at
    // syscall entry (earlier than the exit), with the path and flags as the
    // kernel was about to read them, not synthesised from the exit.
    assert!(
        open_e["evt.time"].as_u64() < open["evt.time"].as_u64(),
        "openat enter written at entry: {open_e} / {open}"
    );
    assert_eq!(arg(open_e, "name"), file);
    assert_eq!(arg(open_e, "flags"), arg(open, "flags"));

    let write_x = pos(
        &|e| e["evt.type"] == "write" && e["evt.dir"] == "<",
        "write exit",
    );
    let w = mine[write_x];
    assert_eq!(arg(w, "res"), "22");
    assert_eq!(arg(w, "data"), "scapbridge probe test.");
    assert!(
        arg(mine[write_x - 1], "fd").starts_with(&format!("{fd}(")),
        "write enter fd"
    );
    assert!(arg(mine[write_x - 1], "fd").contains(file));

    let close_x = pos(
        &|e| e["evt.type"] == "close" && e["evt.dir"] == ">" && arg(e, "fd").contains(file),
        "close",
    );
    let conn_x = pos(
        &|e| e["evt.type"] == "connect" && e["evt.dir"] == "<",
        "connect exit",
    );
    let c = mine[conn_x];
    assert_eq!(arg(c, "res"), "0");
    let c_e = mine[conn_x - 1];
    assert_eq!(
        (c_e["evt.type"].as_str(), c_e["evt.dir"].as_str()),
        (Some("connect"), Some(">"))
    );
    assert!(
        c_e["evt.time"].as_u64() < c["evt.time"].as_u64(),
        "connect enter written at entry: {c_e} / {c}"
    );
    assert_eq!(arg(c_e, "addr"), format!("127.0.0.1:{}", t.port));
    let tuple = arg(c, "tuple");
    assert!(
        tuple.starts_with("127.0.0.1:") && tuple.ends_with(&format!("->127.0.0.1:{}", t.port)),
        "tuple {tuple}"
    );

    let exec_x = pos(
        &|e| e["evt.type"] == "execve" && e["evt.dir"] == "<" && arg(e, "exe") == "/bin/true",
        "execve /bin/true",
    );
    let x = mine[exec_x];
    assert_eq!(arg(x, "res"), "0");
    assert_eq!(arg(x, "args"), "probe-marker.");
    assert_eq!(x["proc.name"], "true");
    assert_eq!(
        arg(x, "ptid").split('(').next(),
        Some(
            exec_child["evt.args"]["ptid"]
                .as_str()
                .unwrap_or("")
                .split('(')
                .next()
                .unwrap_or("")
        )
    );
    let exit_x = pos(&|e| e["evt.type"] == "procexit", "procexit");
    assert_eq!(arg(mine[exit_x], "status"), "0");
    assert!(open_x < write_x && write_x < close_x && close_x < conn_x && conn_x < exec_x && exec_x < exit_x,
        "order: open {open_x} write {write_x} close {close_x} connect {conn_x} execve {exec_x} exit {exit_x}");
    assert_eq!(exit_x, mine.len() - 1, "procexit is the last event");
    let ts: Vec<u64> = mine
        .iter()
        .map(|e| e["evt.time"].as_u64().expect("time"))
        .collect();
    assert!(
        ts.windows(2).all(|w| w[0] <= w[1]),
        "timestamps never go back"
    );

    // What the child wrote is what the probe saw.
    assert_eq!(
        std::fs::read_to_string(&t.file).expect("file"),
        "scapbridge probe test\n"
    );

    // sysdig 0.29 reads the same file and prints the same lines for the child.
    if have("sysdig") {
        let filter = format!("thread.tid={pid}");
        let sd = Command::new("sysdig")
            .arg("-r")
            .arg(&t.out)
            .arg(&filter)
            .env("TZ", "UTC")
            .output()
            .expect("sysdig");
        assert!(
            sd.status.success(),
            "sysdig -r failed: {}",
            String::from_utf8_lossy(&sd.stderr)
        );
        let ours = scapbridge()
            .arg("read")
            .args(["--as", "sysdig-0.29"])
            .arg(&t.out)
            .arg(&filter)
            .output()
            .expect("read");
        let (a, b) = (
            String::from_utf8_lossy(&sd.stdout),
            String::from_utf8_lossy(&ours.stdout),
        );
        let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
        assert_eq!(a.len(), mine.len(), "sysdig shows every event of the child");
        for (x, y) in a.iter().zip(&b) {
            // sysdig 0.29 prints only the execve exit parameters its libs
            // knew (up to `flags`) and calls parameter 17 `pgid`, which later
            // libs renamed `vpgid`: its line is a prefix of ours then.
            let y = y.replace(" vpgid=", " pgid=");
            assert!(
                y.starts_with(x.trim_end()),
                "sysdig vs scapbridge read:\n  {x}\n  {y}"
            );
        }
        for needle in [
            format!("openat fd={fd}(<f>{file})"),
            "write res=22 data=scapbridge probe test.".to_string(),
            "connect res=0 tuple=127.0.0.1:".to_string(),
            "execve res=0 exe=/bin/true args=probe-marker.".to_string(),
        ] {
            assert!(
                a.iter().any(|l| l.contains(&needle)),
                "sysdig lacks {needle:?}"
            );
        }
    }
    // tshark 4.0 reads it: one frame per event block plus the metadata blocks.
    if have("tshark") {
        let (frames, ok) = common::tshark_frames(&t.out);
        assert!(ok, "tshark -r failed");
        let n_events = common::events(&t.out, false).expect("events").len();
        let syscall_frames = frames.iter().filter(|(ty, _)| !ty.is_empty()).count();
        assert_eq!(syscall_frames, n_events, "tshark shows every event");
        // tshark 4.0's Info column is the type name; the arguments are in the tree.
        let v = Command::new("tshark")
            .args(["-n", "-V", "-r"])
            .arg(&t.out)
            .output()
            .expect("tshark -V");
        let tree = String::from_utf8_lossy(&v.stdout);
        assert!(
            tree.contains("probe-marker"),
            "tshark shows the execve args"
        );
        assert!(tree.contains(file), "tshark shows the opened path");
    }
}

/// I/O data is cut at the snaplen whichever way the probe reads it: through
/// its 80-byte stack buffer (1, 80 bytes, and 81+ at snaplen 80) or straight
/// into its scratch area (81 and 200 bytes at snaplen 200), for write and
/// for writev's first iovec. The bytes are checked against the file the
/// child wrote. Paths likewise cross the 96-byte stack buffer for strings.
#[test]
fn io_data_and_paths_on_both_read_paths() {
    if !probe_available() {
        return;
    }
    let _guard = quiet();
    for snaplen in [80usize, 200, 0] {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("io.scap");
        let file = dir.path().join("io.txt");
        capture_ok(
            syscalls_capture(Some("compat"), &out)
                .arg(format!("--snaplen={snaplen}"))
                .arg("--")
                .arg(child_bin())
                .arg("--io")
                .arg(&file),
        );
        let written = std::fs::read(&file).expect("the child's file");
        assert_eq!(written.len(), 1 + 80 + 81 + 200 + 204);
        let name = file.to_str().expect("utf-8 path");
        let filter = format!(
            "evt.dir=< and (evt.type=write or evt.type=writev) and proc.name=probe-child and fd.name={name}"
        );
        // The filter picks the events; their data bytes come from the raw
        // parameters, as the text shows at most 80 of them.
        let raw = common::events(&out, false).expect("events");
        let got: Vec<(String, String, Vec<u8>)> = read_json(&out, Some(&filter))
            .iter()
            .map(|e| {
                let (ts, tid) = (e["evt.time"].as_u64(), e["thread.tid"].as_u64());
                let r = raw
                    .iter()
                    .find(|r| {
                        Some(r.ts) == ts
                            && Some(r.tid) == tid
                            && Direction::of(r.event_type) == Direction::Exit
                    })
                    .expect("the raw event");
                let info = event_info(r.event_type).expect("known event");
                let data = &r.params[info.param_index("data").expect("a data parameter")];
                (
                    info.name.to_string(),
                    arg(e, "res").to_string(),
                    data.clone(),
                )
            })
            .collect();
        let mut at = 0;
        let mut want = Vec::new();
        for (ty, len, first) in [
            ("write", 1, 1),
            ("write", 80, 80),
            ("write", 81, 81),
            ("write", 200, 200),
            ("writev", 204, 200),
        ] {
            let kept = written[at..at + first.min(snaplen)].to_vec();
            want.push((ty.to_string(), len.to_string(), kept));
            at += len;
        }
        assert_eq!(got, want, "snaplen {snaplen}");

        // Paths of 94, 95, 96 and 200 bytes: each whole, on both sides of
        // the probe's 96-byte stack buffer for strings.
        let dir = dir.path().to_str().expect("utf-8 path");
        let want: Vec<String> = [94, 95, 96, 200]
            .iter()
            .map(|&len| format!("{dir}/{}", "p".repeat(len - dir.len() - 1)))
            .collect();
        let names = |filter: String| -> Vec<String> {
            read_json(&out, Some(&filter))
                .iter()
                .map(|e| arg(e, "name").to_string())
                .collect()
        };
        let got = names(format!(
            "evt.type=openat and evt.dir=< and proc.name=probe-child and fd.name startswith {dir}/p"
        ));
        assert_eq!(got, want, "snaplen {snaplen}");
        // The time-of-check enter events carry the same paths.
        let got = names(format!(
            "evt.type=openat and evt.dir=> and proc.name=probe-child and evt.arg.name startswith {dir}/p"
        ));
        assert_eq!(got, want, "snaplen {snaplen}, enter events");
    }
}

#[test]
fn syscall_set_limits_the_capture() {
    if !probe_available() {
        return;
    }
    let t = trace_child(&["--syscalls", "openat,connect"]);
    let evs = read_json(&t.out, None);
    assert!(!evs.is_empty());
    let mut types: Vec<&str> = evs.iter().filter_map(|e| e["evt.type"].as_str()).collect();
    types.sort_unstable();
    types.dedup();
    assert_eq!(
        types,
        vec!["connect", "openat", "procexit"],
        "only the asked syscalls (and process exits)"
    );
}

#[test]
fn without_privileges_one_line_names_the_missing_capabilities() {
    if !probe_available() || !Path::new("/usr/bin/setpriv").exists() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // A copy nobody can run (the build tree may not be readable by nobody).
    let bin = dir.path().join("scapbridge");
    std::fs::copy(common::scapbridge_bin(), &bin).expect("copy");
    let out = dir.path().join("out.scap");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .expect("chmod");
    let o = Command::new("setpriv")
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(&bin)
        .args(["capture", "-i", "scapbridge-syscalls", "-w"])
        .arg(&out)
        .args(["--", "/bin/true"])
        .output()
        .expect("setpriv");
    assert_one_line_error(&o, 1, "CAP_BPF and CAP_PERFMON");
}

/// A ring too small for a burst loses events, and says so: the summary's
/// kernel line, drop events in the stream, and a file sysdig still reads.
#[test]
fn drops_are_counted_and_marked_in_the_stream() {
    if !probe_available() {
        return;
    }
    let _guard = flooding();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("drops.scap");
    let summary = capture_ok(syscalls_capture(Some("compat"), &out).args([
        "--buffer-size",
        "4k",
        "--",
        "/bin/dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=1",
        "count=50000",
    ]));
    let kernel = summary
        .lines()
        .find(|l| l.trim_start().starts_with("kernel"))
        .expect("kernel line");
    let words: Vec<&str> = kernel.split_whitespace().collect();
    // Numbers have thousands separators.
    let number = |w: &str| -> u64 { w.replace(',', "").parse().expect("a count") };
    let seen = number(words[1]);
    let lost = number(words[words.iter().position(|w| *w == "lost").expect("lost") - 1]);
    assert!(
        lost > 0 && lost < seen,
        "a 4 KiB ring loses part of 100,000 events: {kernel}"
    );
    // Readers consume drop events instead of printing them (sysdig does), so
    // look at the blocks.
    let evs = common::events(&out, false).expect("the file reads");
    let drops: Vec<_> = evs.iter().filter(|e| e.event_type == 148).collect();
    assert!(!drops.is_empty(), "drop events mark the losses");
    let marked: u64 = drops
        .iter()
        .map(|e| {
            u64::from(u32::from_le_bytes(
                e.params[0][..4].try_into().expect("ratio"),
            ))
        })
        .sum();
    assert_eq!(marked, lost, "the drop events add up to the kernel's count");
    if have("sysdig") {
        let sd = Command::new("sysdig")
            .arg("-r")
            .arg(&out)
            .arg("evt.type=write")
            .output()
            .expect("sysdig");
        assert!(sd.status.success(), "sysdig reads a capture with losses");
        assert!(String::from_utf8_lossy(&sd.stdout).lines().count() > 100);
    }
}

/// The agent stands in for sysdig: sshdig's flags, scap on stdout, the
/// event count and filter honoured, and one line for a wrong option.
#[test]
fn agent_streams_scap_with_sysdig_flags() {
    if !probe_available() {
        return;
    }
    let _guard = quiet();
    let dir = tempfile::tempdir().expect("tempdir");
    // A workload that outlives the capture, opening its marker.
    let work = common::Workload::start(dir.path());
    let filter = work.filter();
    let o = Command::new(common::agent_bin())
        .args([
            "--unbuffered",
            "--modern-bpf",
            "--profile=compat",
            "--write=-",
            "--numevents=6",
            "--snaplen=80",
        ])
        .arg(&filter)
        .output()
        .expect("agent");
    drop(work);
    assert!(
        o.status.success(),
        "agent: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = dir.path().join("agent.scap");
    std::fs::write(&out, &o.stdout).expect("write");
    let evs = common::events(&out, false).expect("the stream reads");
    // Six matching events (openat exits: fd.name resolves there), each with
    // the enter the compat profile writes before it.
    assert_eq!(
        evs.iter().filter(|e| e.event_type == 307).count(),
        6,
        "--numevents=6"
    );
    assert_eq!(evs.len(), 12, "each exit with its enter");
    assert!(
        evs.iter()
            .all(|e| e.event_type == 306 || e.event_type == 307),
        "only openat"
    );
    if have("sysdig") {
        let sd = Command::new("sysdig")
            .arg("-r")
            .arg(&out)
            .output()
            .expect("sysdig");
        assert!(sd.status.success());
        assert_eq!(String::from_utf8_lossy(&sd.stdout).lines().count(), 12);
    }
    let bad = Command::new(common::agent_bin())
        .args(["-w", "-", "--bogus"])
        .output()
        .expect("agent");
    assert_one_line_error(&bad, 2, "--bogus");
}

/// `--numevents` counts what the reader gets, as sysdig's does: in the
/// default (stratoshark) layout the probe's enter events are left out, and
/// they must not use up the count (`-n 200` once wrote no event at all).
#[test]
fn agent_numevents_counts_written_events() {
    if !probe_available() {
        return;
    }
    // Not beside a flood: its drops would add drop marks to the stream.
    let _guard = quiet();
    let dir = tempfile::tempdir().expect("tempdir");
    for n in [1u64, 200] {
        let o = Command::new(common::agent_bin())
            .args(["--unbuffered", "--modern-bpf", "--write=-"])
            .arg(format!("--numevents={n}"))
            .output()
            .expect("agent");
        assert!(
            o.status.success(),
            "agent: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let out = dir.path().join(format!("n{n}.scap"));
        std::fs::write(&out, &o.stdout).expect("write");
        let evs = common::events(&out, false).expect("the stream reads");
        // Drop marks (148/149), which readers consume without a row, are
        // not what the count counts.
        let shown = evs
            .iter()
            .filter(|e| !matches!(e.event_type, 148 | 149))
            .count();
        assert_eq!(shown as u64, n, "--numevents={n} writes {n} events");
    }
}

/// A full disk under a live capture: one line, exit 1, the file cut back to
/// whole blocks that still read.
#[test]
fn a_full_disk_fails_the_live_capture_cleanly() {
    if !probe_available() {
        return;
    }
    let _guard = flooding();
    let dir = tempfile::tempdir().expect("tempdir");
    // The disk must hold the /proc snapshot and then fill with events, and
    // the snapshot's size depends on the machine (a CI host busy building
    // has a far longer process list than an idle VM): measure it first.
    let probe_file = dir.path().join("snapshot.scap");
    capture_ok(syscalls_capture(None, &probe_file).args(["-q", "--", "true"]));
    let snapshot = std::fs::metadata(&probe_file).expect("snapshot").len();
    let size_kib = snapshot / 1024 + 128;
    let mnt = &dir.path().join("mnt");
    std::fs::create_dir(mnt).expect("mount point");
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size_kib}k"), "tmpfs"])
        .arg(mnt)
        .status()
        .expect("mount")
        .success();
    assert!(ok, "mount tmpfs");
    let out = mnt.join("full.scap");
    let o = syscalls_capture(None, &out)
        .args([
            "-q",
            "--",
            "/bin/sh",
            "-c",
            "for i in $(seq 1 300); do cat /etc/services >/dev/null; done",
        ])
        .output()
        .expect("capture");
    let read = common::events(&out, false).map(|e| e.len());
    let kept = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    let _ = Command::new("umount").arg(mnt).status();
    let err = assert_one_line_error(&o, 1, "No space left on device");
    assert!(err.contains("cut back to"), "{err}");
    assert!(read.expect("the cut file reads to its end") > 0);
    // Every whole block that reached the disk is kept: at most one event
    // block (< 64 KiB) short of the disk's size, and the length reported is
    // the file's.
    assert!(
        err.contains(&format!("cut back to {kept} bytes")),
        "{err} vs {kept}"
    );
    assert!(
        kept > size_kib * 1024 - 65_536,
        "kept {kept} of {size_kib} KiB"
    );
}

/// Trigger mode on the live probe: a rule fires on opening a named file; the
/// stream and the window file hold the events within --pre before it and
/// --post after it, and nothing of the same workload outside.
#[test]
fn agent_trigger_mode_keeps_only_the_window_around_the_alert() {
    if !probe_available() {
        return;
    }
    let _guard = quiet();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let names = ["warm", "a", "a2", "trigger", "b", "b2", "c"];
    for n in names {
        std::fs::write(d.join(n), n).expect("file");
    }
    let rules = d.join("rules.yaml");
    std::fs::write(
        &rules,
        format!(
            "- rule: Marker opened\n  desc: test\n  condition: evt.type in (open, openat) and evt.dir = < and fd.name in (\"{w}\", \"{t}\")\n  output: \"marker %fd.name by %proc.name\"\n  priority: WARNING\n",
            w = d.join("warm").display(),
            t = d.join("trigger").display()
        ),
    )
    .expect("rules");
    let out = d.join("trigger.scap");
    let alerts = d.join("alerts.json");
    let saved = d.join("windows");
    let agent = Command::new(common::agent_bin())
        .args(["capture", "--profile", "compat", "-w"])
        .arg(&out)
        .arg("--rules")
        .arg(&rules)
        .args(["--alerts-format", "json", "--alerts"])
        .arg(&alerts)
        // Margins of 2.5 s on each side of what must be in or out: on a
        // loaded CI machine starting `cat` can take most of a second.
        .args([
            "--trigger",
            "--pre",
            "3s",
            "--post",
            "3s",
            // 3 s of system-wide events while the other probe tests run
            // beside this one: 8M held too little (the ring dropped cat's
            // execve before the window opened).
            "--max-buffer",
            "48M",
        ])
        .arg("--save-dir")
        .arg(&saved)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("agent");
    // Warm up: open the warm marker until its alert shows the probe is on,
    // then let that window close (post 3 s) before the real workload.
    let warm = d.join("warm");
    let t0 = std::time::Instant::now();
    while std::fs::metadata(&alerts).map_or(0, |m| m.len()) == 0 {
        assert!(
            t0.elapsed().as_secs() < 20,
            "the agent raised no alert in 20 s"
        );
        let _ = std::fs::read(&warm);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(5500));
    let p = |n: &str| d.join(n).display().to_string();
    let script = format!(
        "cat '{}'; sleep 5.5; cat '{}'; sleep 0.5; cat '{}'; cat '{}'; sleep 0.5; cat '{}'; sleep 5.5; cat '{}'",
        p("a"),
        p("a2"),
        p("trigger"),
        p("b"),
        p("b2"),
        p("c")
    );
    assert!(common::run_sh(&script));
    // The agent's memory: the ring is bounded by --max-buffer.
    let hwm_kb = status_kb(agent.id(), "VmHWM:").unwrap_or(0);
    common::signal("TERM", agent.id());
    let o = agent.wait_with_output().expect("agent exit");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "alerts fired: {err}");
    assert!(err.contains("trigger: 2 windows"), "{err}");
    // Which markers each output holds: the reads of our files, by name.
    let opened = |file: &Path| -> Vec<String> {
        let evs = read_json(file, Some("evt.type in (open, openat) and evt.dir = <"));
        let mut seen: Vec<String> = Vec::new();
        for e in evs {
            let name = arg(&e, "name").to_string();
            if let Some(n) = names.iter().find(|n| name == p(n)) {
                if !seen.iter().any(|s| s == n) {
                    seen.push((*n).to_string());
                }
            }
        }
        seen
    };
    let stream = opened(&out);
    assert_eq!(
        stream,
        ["warm", "a2", "trigger", "b", "b2"],
        "stream windows"
    );
    let mut files: Vec<_> = std::fs::read_dir(&saved)
        .expect("save dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(
        opened(&files[1]),
        ["a2", "trigger", "b", "b2"],
        "window file"
    );
    if have("sysdig") {
        // The window file stands alone: sysdig resolves the reader's name
        // from the snapshot even for the events before the alert.
        let sd = Command::new("sysdig")
            .arg("-r")
            .arg(&files[1])
            .arg("-p")
            .arg("%proc.name %fd.name")
            .arg(format!(
                "evt.type=openat and evt.dir=< and fd.name={}",
                p("a2")
            ))
            .output()
            .expect("sysdig");
        assert!(
            sd.status.success(),
            "sysdig reads the window file: {}",
            String::from_utf8_lossy(&sd.stderr)
        );
        let named = String::from_utf8_lossy(&sd.stdout).trim().to_string();
        if named != format!("cat {}", p("a2")) {
            // What the file says of the reader's thread, for the log: a
            // failure seen once in CI (named sh) left nothing to study.
            let of_thread = |filter: String| {
                let o = Command::new("sysdig")
                    .arg("-r")
                    .arg(&files[1])
                    .args(["-p", "%evt.num %evt.rawtime %evt.type %evt.dir %thread.tid %proc.pid %proc.name %evt.args"])
                    .arg(filter)
                    .output()
                    .expect("sysdig");
                String::from_utf8_lossy(&o.stdout).into_owned()
            };
            let opener = of_thread(format!(
                "evt.type=openat and evt.dir=< and fd.name={}",
                p("a2")
            ));
            let tid = opener.split_whitespace().nth(4).unwrap_or("0").to_string();
            let events = of_thread(format!(
                "thread.tid={tid} or evt.rawarg.res={tid} or evt.type=procexit"
            ));
            let listed = Command::new(common::scapbridge_bin())
                .arg("info")
                .arg(&files[1])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            // sysdig 0.29 rebuilds a vfork child from its caller's exit when
            // that exit comes after the child's own (the kernel's order on a
            // busy machine), so the child's later events are the caller's
            // `sh`. libs 0.23 and our reader keep the child: it is 0.29's
            // limit only when the file has that order and they name `cat`.
            let child_first = |ev: &str| {
                let at = |needle: &str| ev.lines().position(|l| l.contains(needle));
                let child = at(&format!("vfork < {tid} {tid} "));
                let caller = at(&format!("res={tid}("));
                matches!((child, caller), (Some(a), Some(b)) if a < b)
            };
            let want = format!("cat {}", p("a2"));
            let a2_filter = format!("evt.type=openat and evt.dir=< and fd.name={}", p("a2"));
            let ours = common::run(common::scapbridge().arg("read").arg(&files[1]).args([
                "-p",
                "%proc.name %fd.name",
                &a2_filter,
            ]));
            let ours = String::from_utf8_lossy(&ours.stdout).trim().to_string();
            let libs023 = common::sid_root().map(|root| {
                let d = files[1].parent().expect("dir");
                let name = files[1]
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned();
                let o = common::in_sid(
                    &root,
                    d,
                    &[
                        "sysdig",
                        "-r",
                        &format!("/x/{name}"),
                        "-p",
                        "%proc.name %fd.name",
                        &a2_filter,
                    ],
                );
                String::from_utf8_lossy(&o.stdout).trim().to_string()
            });
            if named.starts_with("sh ")
                && child_first(&events)
                && ours == want
                && libs023.as_ref().is_none_or(|n| *n == want)
            {
                eprintln!("sysdig 0.29 names the vfork child run before its caller's exit sh; libs 0.23 and read: cat");
            } else {
                panic!(
                    "sysdig 0.29 named the reader of a2 {named:?} (read: {ours:?}, sysdig 0.41: \
                 {libs023:?}); its thread's events in the window file:\n{events}\nthe file:\n\
                 {listed}\nthe agent said: {err}"
                );
            }
        }
        let sd = Command::new("sysdig")
            .arg("-r")
            .arg(&out)
            .output()
            .expect("sysdig");
        assert!(
            sd.status.success() && !sd.stdout.is_empty(),
            "sysdig reads the stream: {}",
            String::from_utf8_lossy(&sd.stderr)
        );
    }
    // Documented bound: --max-buffer plus 64 MiB for the probe's rings (two
    // of 8 MiB on the 2-CPU CI machine), the state tables and the program.
    assert!(
        hwm_kb > 0 && hwm_kb < (48 + 64) * 1024,
        "peak RSS {hwm_kb} kB over --max-buffer 48M + 64M"
    );
}
