//! What Stratoshark shows of our captures, read by Stratoshark itself:
//! `strato` (Stratoshark 0.9.9's tshark-like reader), the `stratoshark` GUI
//! offscreen and sysdig 0.41 (libs 0.23), from the Debian sid root that
//! `install/install.sh --deps` prepares; sysdig 0.29 on the host for the
//! `compat` layout.
//!
//! Stratoshark pairs its libsinsp rows with frames: a block libs drops or
//! rejects shifts every row after it. So every check here parses
//! `strato -T fields` and requires, frame by frame, that libsinsp's
//! `evt.type` is the frame's own event (`sysdig.event_name`, Wireshark's
//! dissector of the block itself).
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use scapbridge_tests::{trigger_windows, CaptureArgs};

/// sysdig 0.41 reads `name` without complaint.
fn assert_sysdig_041_reads(root: &Path, dir: &Path, name: &str) -> usize {
    let o = in_sid(root, dir, &["sysdig", "-r", &format!("/x/{name}")]);
    let err = stderr(&o);
    assert!(o.status.success(), "sysdig 0.41 -r {name}: {err}");
    assert!(
        !err.contains("is not the right one") && !err.contains("rror"),
        "sysdig 0.41 -r {name}: {err}"
    );
    String::from_utf8_lossy(&o.stdout).lines().count()
}

#[test]
fn libs_023_table_is_the_readers_own() {
    let Some(root) = sid_root() else { return };
    let dir = tempfile::tempdir().unwrap();
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../formats/tools");
    let exe = dir.path().join("libs_event_table");
    let st = Command::new("cc")
        .arg("-o")
        .arg(&exe)
        .arg(tools.join("libs_event_table.c"))
        .arg("-ldl")
        .status()
        .expect("cc");
    assert!(st.success());
    let o = in_sid(&root, dir.path(), &["/x/libs_event_table"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ours = std::fs::read_to_string(tools.join("libs-0.23.2-events.tsv")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        ours,
        "the sid root's libsinsp has another event table than formats/tools/libs-0.23.2-events.tsv: regenerate the schema"
    );
}

/// The workload of the live tests: files, TCP and UDP over IPv4 and IPv6,
/// a Unix socket, dup2 and fcntl(F_DUPFD), clone and execve, a signal.
const WORKLOAD: &str = r#"
import socket, os, subprocess, signal, fcntl
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(fam); s.bind((host, 0)); s.listen()
    c = socket.create_connection(s.getsockname()[:2]); a, _ = s.accept()
    c.send(b"tcp"); a.recv(10); c.close(); a.close(); s.close()
    u = socket.socket(fam, socket.SOCK_DGRAM); u.bind((host, 0))
    u.sendto(b"udp", u.getsockname()); u.recvfrom(10); u.close()
x, y = socket.socketpair(socket.AF_UNIX); x.send(b"unix"); y.recv(10)
# Its own name: the tests of this file run the workload side by side.
path = "/tmp/scapbridge-strato-file-%d" % os.getpid()
with open(path, "w") as f:
    f.write("hello")
os.dup2(1, 7); n = fcntl.fcntl(1, fcntl.F_DUPFD, 10); os.write(n, b"")
subprocess.run(["ls", "/"], stdout=subprocess.DEVNULL)
signal.signal(signal.SIGUSR1, lambda *a: None); os.kill(os.getpid(), signal.SIGUSR1)
os.unlink(path)
"#;

fn capture_workload(dir: &Path, name: &str, extra: &[&str]) {
    let o = run(scapbridge()
        .args(["capture", "-i", "scapbridge-syscalls", "-q", "-w"])
        .arg(dir.join(name))
        .args(extra)
        .args(["--", "python3", "-c", WORKLOAD]));
    assert!(o.status.success(), "capture: {}", stderr(&o));
}

#[test]
fn live_syscalls_show_on_their_own_rows_in_stratoshark() {
    let Some(root) = sid_root() else { return };
    if !probe_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Headless writes the stratoshark layout by default.
    capture_workload(dir.path(), "live.scap", &[]);
    let rows = assert_every_row_is_its_own(&root, dir.path(), "live.scap");
    assert!(rows > 1000, "{rows} rows");
    let (strato, _) = strato_rows(&root, dir.path(), "live.scap");
    for want in [
        "connect",
        "accept4",
        "sendto",
        "recvfrom",
        "socketpair",
        "dup2",
        "fcntl",
        "execve",
        "clone",
        "kill",
        "openat",
        "write",
        "unlink",
    ] {
        assert!(
            strato.iter().any(|r| r.evt_type == want),
            "no {want} row in strato"
        );
    }
    // The values, not just the names: the TCP payload and the dup2 fds.
    assert!(
        strato
            .iter()
            .any(|r| r.evt_type == "sendto" && r.args.contains("data=tcp")),
        "sendto with its data"
    );
    assert!(
        strato.iter().any(|r| r.evt_type == "dup2"
            && r.args.contains("oldfd=1")
            && r.args.contains("newfd=7")),
        "dup2 with its fds"
    );
    let n = assert_sysdig_041_reads(&root, dir.path(), "live.scap");
    assert_eq!(n, rows, "sysdig 0.41 lines vs strato rows");
}

#[test]
fn compat_layout_shows_every_event_in_sysdig_029() {
    if !have("sysdig") || !probe_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    capture_workload(dir.path(), "compat.scap", &["--profile", "compat"]);
    let f = dir.path().join("compat.scap");
    let (lines, ok) = sysdig_lines(&f);
    assert!(ok, "sysdig 0.29 -r");
    let o = run(scapbridge().arg("read").arg("--all").arg(&f));
    let ours = String::from_utf8_lossy(&o.stdout).lines().count();
    assert_eq!(
        lines.len(),
        ours,
        "sysdig 0.29 lines vs `scapbridge read -A`"
    );
    // dup2 arrives as the dup sysdig 0.29 knows, and it names the file
    // written through the new fd.
    assert!(
        lines.iter().any(|l| l.contains("> dup fd=1")),
        "dup2 as dup"
    );
    let o = Command::new("sysdig")
        .arg("-r")
        .arg(&f)
        .arg("evt.type=write and fd.name startswith /tmp/scapbridge-strato-file-")
        .output()
        .unwrap();
    assert!(!o.stdout.is_empty(), "sysdig 0.29 names the written file");
}

#[test]
fn fixture_conversions_show_on_their_own_rows_in_stratoshark() {
    if !common::have_fixtures() {
        return;
    }
    let Some(root) = sid_root() else { return };
    let dir = tempfile::tempdir().unwrap();
    for f in real_fixtures() {
        let name = format!("{}.strato.scap", stem(&f));
        let o = run(scapbridge()
            .arg("convert")
            .arg(&f)
            .arg("-w")
            .arg(dir.path().join(&name))
            .args(["--profile", "stratoshark"]));
        assert!(
            o.status.success(),
            "convert {}: {}",
            f.display(),
            stderr(&o)
        );
        assert_every_row_is_its_own(&root, dir.path(), &name);
        assert_sysdig_041_reads(&root, dir.path(), &name);
    }
}

/// The extcap writes the layout of the host that runs it: Stratoshark
/// 0.9.9 and Wireshark 4.6 pass `--extcap-version=4.6` (libsinsp readers),
/// Wireshark 4.0 passes 4.0 (its own dissector, enter events welcome).
#[test]
fn replay_writes_the_layout_of_the_host() {
    if !common::have_fixtures() {
        return;
    }
    let Some(root) = sid_root() else { return };
    let dir = tempfile::tempdir().unwrap();
    let input = scap_dir().join("libs_e2e_curl_google.scap");
    for (version, enters) in [("4.6", false), ("4.0", true)] {
        let name = format!("replay-{version}.scap");
        let o = run(scapbridge()
            .args([
                "--capture",
                "--extcap-interface",
                "scapbridge-replay",
                &format!("--extcap-version={version}"),
                "--speed",
                "max",
                "--file",
            ])
            .arg(&input)
            .arg("--fifo")
            .arg(dir.path().join(&name)));
        assert!(o.status.success(), "{}", stderr(&o));
        let evs = events(&dir.path().join(&name), false).unwrap();
        let has_enters = evs.iter().any(|e| {
            e.event_type % 2 == 0
                && scapbridge_formats::schema::event_info(e.event_type + 1)
                    .is_some_and(|x| !x.is_unused())
        });
        assert_eq!(has_enters, enters, "--extcap-version={version}");
        if !enters {
            assert_every_row_is_its_own(&root, dir.path(), &name);
        }
    }
}

/// Stratoshark itself lists our interfaces from its personal extcap folder
/// and captures through one: the file equals the fixture in the
/// stratoshark layout.
#[test]
fn stratoshark_gui_lists_and_captures_through_our_interfaces() {
    if !common::have_fixtures() {
        return;
    }
    let Some(root) = sid_root() else { return };
    let dir = tempfile::tempdir().unwrap();
    stratoshark_home(dir.path());
    let o = in_sid(
        &root,
        dir.path(),
        &[
            "env",
            "HOME=/x/home",
            "QT_QPA_PLATFORM=offscreen",
            "timeout",
            "20",
            "stratoshark",
            "-D",
        ],
    );
    let listed = String::from_utf8_lossy(&o.stdout);
    for iface in [
        "scapbridge-replay",
        "scapbridge-syscalls",
        "scapbridge-ssh",
        "scapbridge-cloudtrail",
    ] {
        assert!(listed.contains(iface), "stratoshark -D: {listed}");
    }
    std::fs::copy(
        scap_dir().join("libs_e2e_single_ipv6_conn.scap"),
        dir.path().join("in.scap"),
    )
    .unwrap();
    let (log, stopped) = stratoshark_capture(
        &root,
        dir.path(),
        &[
            "-i",
            "scapbridge-replay",
            "-k",
            "-a",
            "duration:5",
            "-w",
            "/x/gui.scap",
            "-o",
            "extcap.scapbridge_replay.file:/x/in.scap",
            "-o",
            "extcap.scapbridge_replay.speed:max",
        ],
        std::time::Duration::from_secs(30),
    );
    assert!(stopped, "Stratoshark's capture did not stop: {log}");
    let got = events(&dir.path().join("gui.scap"), false).expect("the GUI's capture");
    let o = run(scapbridge()
        .arg("convert")
        .arg(dir.path().join("in.scap"))
        .arg("-w")
        .arg(dir.path().join("want.scap"))
        .args(["--profile", "stratoshark"]));
    assert!(o.status.success());
    let want = events(&dir.path().join("want.scap"), false).unwrap();
    assert_eq!(got.len(), want.len(), "events of the GUI's capture");
    assert!(
        got == want,
        "the GUI's capture differs from the fixture in the stratoshark layout"
    );
    assert_every_row_is_its_own(&root, dir.path(), "gui.scap");
}

/// Stratoshark captures through `scapbridge-syscalls` with the
/// interface's own option restricting the probe to a command (run by the
/// extcap inside the sid root, with its children): every row of the file it
/// saved sits on its frame, and the command's open of a marker shows with
/// its path.
#[test]
fn stratoshark_gui_captures_a_workload_through_scapbridge_syscalls() {
    let Some(root) = sid_root() else { return };
    if !probe_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    stratoshark_home(dir.path());
    std::fs::write(dir.path().join("gui-marker"), "marker").unwrap();
    // The capture ends when the command exits; -a is a backstop.
    let (log, stopped) = stratoshark_capture(
        &root,
        dir.path(),
        &[
            "-i",
            "scapbridge-syscalls",
            "-k",
            "-a",
            "duration:20",
            "-w",
            "/x/gui.scap",
            "-o",
            "extcap.scapbridge_syscalls.command:cat /x/gui-marker; sleep 1",
        ],
        std::time::Duration::from_secs(60),
    );
    assert!(stopped, "Stratoshark's capture did not stop: {log}");
    let ours = events(&dir.path().join("gui.scap"), false).expect("the GUI's capture");
    let (rows, err) = strato_rows(&root, dir.path(), "gui.scap");
    let n = assert_rows_are_their_frames("gui.scap", &ours, &rows, &err);
    assert!(n >= 50, "{n} rows of {} events", ours.len());
    let opens: Vec<_> = rows
        .iter()
        .filter(|r| r.evt_type == "openat" && r.args.contains("name=/x/gui-marker "))
        .collect();
    assert_eq!(opens.len(), 1, "the marker's open in {rows:?}");
    // libsinsp names the new fd by the path, and the open succeeded.
    assert!(
        opens[0].args.contains("(<f>/x/gui-marker)") && opens[0].args.contains("flags=1(O_RDONLY)"),
        "{:?}",
        opens[0]
    );
    assert!(
        rows.iter()
            .any(|r| r.evt_type == "execve" && r.args.contains("exe=cat")),
        "cat's execve"
    );
}

/// Every real fixture replayed the way Stratoshark 0.9.9 starts a capture
/// (the binary in its personal extcap folder, `/` as working directory, the
/// options it passes; recorded from the GUI), read back by strato: the
/// stream is the fixture in the `stratoshark` layout, event for event as
/// `scapbridge convert --profile stratoshark` makes it, every row sits
/// on its frame, and strato shows as many rows as for the fixture itself.
/// All fixtures run in one sid invocation; every failing one is reported.
#[test]
fn replay_of_every_fixture_under_stratoshark_shows_on_its_own_rows() {
    if !common::have_fixtures() {
        return;
    }
    let Some(root) = sid_root() else { return };
    let dir = tempfile::tempdir().unwrap();
    stratoshark_home(dir.path());
    let (fx, out) = (dir.path().join("fx"), dir.path().join("out"));
    std::fs::create_dir(&fx).unwrap();
    std::fs::create_dir(&out).unwrap();
    let fixtures = real_fixtures();
    for f in &fixtures {
        std::fs::copy(f, fx.join(f.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        dir.path().join("replay.sh"),
        r#"cd /
for f in /x/fx/*.scap; do
  n=$(basename "$f" .scap)
  /x/home/.local/lib/stratoshark/extcap/scapbridge --capture \
    --extcap-interface scapbridge-replay --fifo "/x/out/$n.scap" \
    --file "$f" --speed max --pre 5s --post 5s --max-buffer 64M \
    --save-max-bytes 100M 2>"/x/out/$n.extcap-err"
  echo $? >"/x/out/$n.extcap-rc"
  strato -r "/x/out/$n.scap" "$@" >"/x/out/$n.rows" 2>"/x/out/$n.strato-err"
  echo $? >"/x/out/$n.strato-rc"
  strato -r "$f" "$@" >"/x/out/$n.orig-rows" 2>"/x/out/$n.orig-err"
  echo $? >"/x/out/$n.orig-rc"
done
"#,
    )
    .unwrap();
    let mut args = vec!["env", "HOME=/x/home", "sh", "/x/replay.sh"];
    args.extend_from_slice(STRATO_FIELDS);
    let o = in_sid(&root, dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let read = |name: String| std::fs::read_to_string(out.join(name)).unwrap_or_default();
    let mut failures = Vec::new();
    let (mut total_events, mut total_rows) = (0, 0);
    for f in &fixtures {
        let n = stem(f);
        let check = || -> (usize, usize) {
            let rc = read(format!("{n}.extcap-rc"));
            assert_eq!(
                rc.trim(),
                "0",
                "extcap: {}",
                read(format!("{n}.extcap-err"))
            );
            let got = events(&out.join(format!("{n}.scap")), false).expect("the replay");
            let want_file = dir.path().join(format!("{n}.want.scap"));
            let o = run(scapbridge()
                .arg("convert")
                .arg(f)
                .arg("-w")
                .arg(&want_file)
                .args(["--profile", "stratoshark"]));
            assert!(o.status.success(), "convert: {}", stderr(&o));
            let want = events(&want_file, false).unwrap();
            assert_eq!(got.len(), want.len(), "events replayed vs converted");
            assert!(got == want, "the replay differs from the conversion");
            let err = strato_stderr(&read(format!("{n}.strato-err")));
            let rc = read(format!("{n}.strato-rc"));
            assert_eq!(rc.trim(), "0", "strato -r: {err}");
            let rows = parse_strato_rows(&read(format!("{n}.rows")));
            let shown = assert_rows_are_their_frames(&n, &got, &rows, &err);
            // The fixture itself, read by strato: as many rows as the replay
            // (libs 0.23 gives enter frames no row). strato cannot open the
            // scap 1.x section header of the oldest fixtures at all; there
            // the replay shows rows where the original showed none.
            let orig_err = read(format!("{n}.orig-err"));
            if read(format!("{n}.orig-rc")).trim() == "0" {
                let orig = parse_strato_rows(&read(format!("{n}.orig-rows")));
                assert_eq!(
                    shown,
                    orig.len(),
                    "strato rows: the replay vs the fixture itself"
                );
            } else {
                assert!(
                    orig_err.contains("unknown SHB version 1."),
                    "strato fails on the fixture itself for another reason: {orig_err}"
                );
                assert!(shown > 0, "the replay of a scap 1.x fixture shows its rows");
                eprintln!("{n}: strato cannot read the fixture itself (scap 1.x), the replay shows {shown} rows");
            }
            (got.len(), shown)
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(check)) {
            Ok((events, rows)) => {
                eprintln!("{n}: {events} events, {rows} strato rows");
                total_events += events;
                total_rows += rows;
            }
            Err(e) => {
                let why = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{n}: {why}"));
            }
        }
    }
    eprintln!(
        "{} fixtures: {total_events} events, {total_rows} strato rows",
        fixtures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `scapbridge-ssh` with our agent on the host (its default program line,
/// sshdig's `sysdig …`): the agent writes libs 0.23's layout and the client
/// hands it on; every row sits on its frame.
#[test]
fn ssh_capture_shows_on_its_own_rows_in_stratoshark() {
    let Some(root) = sid_root() else { return };
    let Some((s, work)) = sshd::Sshd::start_live("sysdig") else {
        return;
    };
    let out = s.path("ssh.scap");
    let o = s.capture(&out, &["--remote-count", "20", "--filter", &work.filter()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(events(&out, false).unwrap().len(), 20);
    assert_every_row_is_its_own(&root, s.dir.path(), "ssh.scap");
    assert_sysdig_041_reads(&root, s.dir.path(), "ssh.scap");
}

/// Stratoshark's own `sshdig` (Wireshark 4.6.9, from the sid root) runs our
/// agent installed as `sysdig` on the tests' sshd, with the command line it
/// sends (`sysdig --unbuffered --write=- --numevents=N FILTER`).
#[test]
fn stratoshark_sshdig_running_our_agent_as_sysdig() {
    let Some(root) = sid_root() else { return };
    let Some((s, work)) = sshd::Sshd::start_live("sysdig") else {
        return;
    };
    // sshdig (libssh) checks the host key in ~/.ssh/known_hosts.
    let home = s.path("sidhome/.ssh");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::copy(s.path("known_hosts"), home.join("known_hosts")).unwrap();
    let port = s.port.to_string();
    let o = in_sid(
        &root,
        s.dir.path(),
        &[
            "env",
            "HOME=/x/sidhome",
            "timeout",
            "60",
            "/usr/libexec/wireshark/extcap/sshdig",
            "--extcap-interface=sshdig",
            "--capture",
            "--fifo=/x/sshdig.scap",
            "--remote-host=127.0.0.1",
            &format!("--remote-port={port}"),
            "--remote-username=root",
            "--sshkey=/x/client_ed25519",
            "--remote-count=20",
            &format!("--extcap-capture-filter={}", work.filter()),
        ],
    );
    assert!(o.status.success(), "sshdig: {:?} {}", o.status, stderr(&o));
    let n = events(&s.path("sshdig.scap"), false)
        .expect("sshdig's file")
        .len();
    assert_eq!(n, 20, "events sshdig received");
    assert_every_row_is_its_own(&root, s.dir.path(), "sshdig.scap");
    assert_sysdig_041_reads(&root, s.dir.path(), "sshdig.scap");
}

/// CloudTrail plugin events: one row per record. Debian's Stratoshark has
/// no CloudTrail plugin, so it shows each as "Plugin ID: 2 (NOT
/// SUPPORTED)"; what it must do is show every one, on its frame, and warn
/// of nothing.
#[test]
fn cloudtrail_events_each_have_their_row_in_stratoshark() {
    if !common::have_fixtures() {
        return;
    }
    let Some(root) = sid_root() else { return };
    let dir = tempfile::tempdir().unwrap();
    let o = run(scapbridge()
        .args([
            "capture",
            "-i",
            "scapbridge-cloudtrail",
            "-q",
            "--plugin-source",
        ])
        .arg(fixtures().join("cloudtrail"))
        .arg("-w")
        .arg(dir.path().join("ct.scap")));
    assert!(o.status.success(), "{}", stderr(&o));
    let n = events(&dir.path().join("ct.scap"), false).unwrap().len();
    assert!(n > 10, "{n} records");
    let o = in_sid(&root, dir.path(), &["strato", "-r", "/x/ct.scap"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().count(), n, "{out}");
    assert!(out.lines().all(|l| l.contains("Plugin ID: 2")), "{out}");
    for bad in ["Dissector bug", "sinsp", "could not"] {
        assert!(!stderr(&o).contains(bad), "{}", stderr(&o));
    }
}

/// Trigger windows, in the stream and in each `--save-dir` file, and a
/// pcapng capture whose alerts travel beside the events: every row on its
/// frame, each alert a row of its own (an async event carrying Falco's
/// JSON) right after the event that raised it.
#[test]
fn trigger_windows_and_alerts_show_in_stratoshark() {
    if !common::have_fixtures() {
        return;
    }
    let Some(root) = sid_root() else { return };
    let dir = tempfile::tempdir().unwrap();
    let trace = scap_dir().join("falco_cat_write.scap");
    let rules = scap_dir().join("falco_legacy/rules/single_rule.yaml");
    let saved = dir.path().join("windows");
    std::fs::create_dir(&saved).unwrap();
    // The trace replayed in Stratoshark's layout under the rule.
    let capture = |more: &[&str]| {
        let mut c = scapbridge();
        c.replay_max(&trace)
            .args(["--profile", "stratoshark"])
            .arg("--rules")
            .arg(&rules)
            .args(more);
        c
    };
    let o = run(capture(&trigger_windows("1s", "1s"))
        .arg("--save-dir")
        .arg(&saved)
        .arg("-w")
        .arg(dir.path().join("trigger.scap")));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_every_row_is_its_own(&root, dir.path(), "trigger.scap");
    let mut files = 0;
    for f in std::fs::read_dir(&saved).unwrap() {
        let name = f.unwrap().file_name().to_string_lossy().into_owned();
        assert_every_row_is_its_own(&root, &saved, &name);
        files += 1;
    }
    assert!(files > 0, "no window files");

    let o = run(
        capture(&["--format", "pcapng", "--alerts", "/dev/null", "-w"])
            .arg(dir.path().join("alerts.pcapng")),
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_every_row_is_its_own(&root, dir.path(), "alerts.pcapng");
    let (rows, _) = strato_rows(&root, dir.path(), "alerts.pcapng");
    let alerts: Vec<_> = rows
        .iter()
        .filter(|r| r.event_name == "asyncevent")
        .collect();
    assert_eq!(
        alerts.len(),
        8,
        "the 8 alerts of single_rule.yaml on cat_write"
    );
    assert!(
        alerts
            .iter()
            .all(|r| r.evt_type == "falco_alert" && r.args.contains("An open was seen")),
        "{alerts:?}"
    );
    // Each right after the event that raised it: an open's exit, or, where
    // the rule fired on the open's enter (which this layout merges into the
    // exit), that same exit, the row that shows the enter's arguments.
    for a in &alerts {
        let before = rows
            .iter()
            .rev()
            .find(|r| r.frame < a.frame && r.event_name != "asyncevent");
        assert!(
            before.is_some_and(|r| r.evt_type.starts_with("open")),
            "{a:?} follows {before:?}, not the open that raised it"
        );
    }
}
