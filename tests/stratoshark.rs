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

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Every frame of `name` shows its own event in strato: each row is the
/// frame of that number among our reader's events, libsinsp's `evt.type`
/// is the frame's own event, every event but libs' internal ones
/// (procinfo, container: Stratoshark hides them) has its row, and the reader warns
/// of nothing. Returns the number of rows.
fn assert_every_row_is_its_own(root: &Path, dir: &Path, name: &str) -> usize {
    use scapbridge_formats::schema;
    let (rows, err) = strato_rows(root, dir, name);
    let ours = events(&dir.join(name), false).expect("our reader");
    // Stratoshark shows no row for libs' internal and meta events
    // (procinfo, container): their frames are skipped, not shifted.
    let internal = |t: u16| {
        schema::event_info(t)
            .is_some_and(|i| i.category & (schema::cat::INTERNAL | schema::cat::METAEVENT) != 0)
    };
    let visible = ours.iter().filter(|e| !internal(e.event_type)).count();
    assert_eq!(rows.len(), visible, "{name}: strato rows vs our events that are not internal");
    // The frame's event by our reader: a generic event is named by its
    // syscall code, and where that is 0 ("unknown", old captures) by its
    // x86-64 number, as libsinsp 0.23 names it (Wireshark 4.6's own
    // dissector says "unknown" there).
    let own_name = |e: &scapbridge_formats::OwnedEvent| -> Option<String> {
        if e.event_type <= 1 {
            let u16_at = |i: usize| {
                e.params
                    .get(i)
                    .filter(|p| p.len() == 2)
                    .map(|p| u16::from_le_bytes([p[0], p[1]]))
            };
            match u16_at(0)? {
                0 => scapbridge_probe::syscalls::name(u16_at(1)?).map(str::to_string),
                code => schema::syscall_name(code).map(str::to_string),
            }
        } else {
            schema::event_info(e.event_type).map(|i| i.name.to_string())
        }
    };
    let shifted: Vec<_> = rows
        .iter()
        .filter(|r| {
            let frame = usize::try_from(r.frame).ok().and_then(|f| ours.get(f.wrapping_sub(1)));
            let own = frame.filter(|e| !internal(e.event_type)).and_then(own_name);
            own.as_deref() != Some(r.evt_type.as_str())
                || (r.event_name != "unknown" && r.event_name != r.evt_type)
        })
        .take(5)
        .collect();
    assert!(
        shifted.is_empty(),
        "{name}: rows showing another event than their frame's: {shifted:?}"
    );
    for bad in ["Dissector bug", "sinsp", "converter", "could not"] {
        assert!(!err.contains(bad), "{name}: strato said {err}");
    }
    rows.len()
}

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
with open("/tmp/scapbridge-strato-file", "w") as f:
    f.write("hello")
os.dup2(1, 7); n = fcntl.fcntl(1, fcntl.F_DUPFD, 10); os.write(n, b"")
subprocess.run(["ls", "/"], stdout=subprocess.DEVNULL)
signal.signal(signal.SIGUSR1, lambda *a: None); os.kill(os.getpid(), signal.SIGUSR1)
os.unlink("/tmp/scapbridge-strato-file")
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
        "connect", "accept4", "sendto", "recvfrom", "socketpair", "dup2", "fcntl", "execve",
        "clone", "kill", "openat", "write", "unlink",
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
        strato
            .iter()
            .any(|r| r.evt_type == "dup2" && r.args.contains("oldfd=1") && r.args.contains("newfd=7")),
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
    let o = run(scapbridge().arg("read").arg("-A").arg(&f));
    let ours = String::from_utf8_lossy(&o.stdout).lines().count();
    assert_eq!(lines.len(), ours, "sysdig 0.29 lines vs `scapbridge read -A`");
    // dup2 arrives as the dup sysdig 0.29 knows, and it names the file
    // written through the new fd.
    assert!(lines.iter().any(|l| l.contains("> dup fd=1")), "dup2 as dup");
    let o = Command::new("sysdig")
        .arg("-r")
        .arg(&f)
        .arg("evt.type=write and fd.name=/tmp/scapbridge-strato-file")
        .output()
        .unwrap();
    assert!(!o.stdout.is_empty(), "sysdig 0.29 names the written file");
}

#[test]
fn fixture_conversions_show_on_their_own_rows_in_stratoshark() {
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
        assert!(o.status.success(), "convert {}: {}", f.display(), stderr(&o));
        assert_every_row_is_its_own(&root, dir.path(), &name);
        assert_sysdig_041_reads(&root, dir.path(), &name);
    }
}

/// The extcap writes the layout of the host that runs it: Stratoshark
/// 0.9.9 and Wireshark 4.6 pass `--extcap-version=4.6` (libsinsp readers),
/// Wireshark 4.0 passes 4.0 (its own dissector, enter events welcome).
#[test]
fn replay_writes_the_layout_of_the_host() {
    let Some(root) = sid_root() else { return };
    let dir = tempfile::tempdir().unwrap();
    let input = scap_dir().join("libs_e2e_curl_google.scap");
    for (version, enters) in [("4.6", false), ("4.0", true)] {
        let name = format!("replay-{version}.scap");
        let o = run(scapbridge().args([
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
    let Some(root) = sid_root() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ext = dir.path().join("home/.local/lib/stratoshark/extcap");
    std::fs::create_dir_all(&ext).unwrap();
    std::fs::copy(scapbridge_bin(), ext.join("scapbridge")).unwrap();
    let gui = |args: &[&str]| {
        let mut a = vec!["env", "HOME=/x/home", "QT_QPA_PLATFORM=offscreen", "timeout", "20", "stratoshark"];
        a.extend_from_slice(args);
        in_sid(&root, dir.path(), &a)
    };
    let o = gui(&["-D"]);
    let listed = String::from_utf8_lossy(&o.stdout);
    for iface in ["scapbridge-replay", "scapbridge-syscalls", "scapbridge-ssh", "scapbridge-cloudtrail"] {
        assert!(listed.contains(iface), "stratoshark -D: {listed}");
    }
    std::fs::copy(
        scap_dir().join("libs_e2e_single_ipv6_conn.scap"),
        dir.path().join("in.scap"),
    )
    .unwrap();
    // The GUI stays open after the capture; timeout closes it.
    let _ = gui(&[
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
    ]);
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
    assert!(got == want, "the GUI's capture differs from the fixture in the stratoshark layout");
    assert_every_row_is_its_own(&root, dir.path(), "gui.scap");
}
