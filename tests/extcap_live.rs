//! A capture that runs until stopped: signals and a closed FIFO stop it on a
//! whole block, the toolbar's control pipes pause and restart it, and the
//! trigger keeps the windows around alerts (also when the save folder fills).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::extcap::{
    extcap_replay, kill, mkfifo, replay, wait_with_deadline, whole_capture_events,
};
use common::{events, have, scap_dir};

/// Reads a FIFO on a thread into a shared buffer, as dumpcap would; stops
/// after `limit` bytes if given (closing the FIFO early).
fn drain(
    path: PathBuf,
    limit: Option<usize>,
) -> (Arc<Mutex<Vec<u8>>>, std::thread::JoinHandle<()>) {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let b = Arc::clone(&buf);
    let h = std::thread::spawn(move || {
        let mut f = std::fs::File::open(path).unwrap();
        let mut chunk = vec![0u8; 65536];
        loop {
            match f.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    let mut g = b.lock().unwrap();
                    g.extend_from_slice(&chunk[..n]);
                    if limit.is_some_and(|l| g.len() >= l) {
                        return;
                    }
                }
            }
        }
    });
    (buf, h)
}

fn extcap_capture(fifo: &Path, extra: &[&str]) -> Child {
    let fixture = scap_dir().join("falco_ping_sendto.scap");
    let mut c = extcap_replay(fifo, &fixture);
    c.arg("--loop").args(extra);
    c.stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn sigterm_and_sigint_stop_within_a_second_on_a_whole_block() {
    if !common::have_fixtures() {
        return;
    }
    for sig in ["TERM", "INT"] {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        let child = extcap_capture(&fifo, &["--speed", "1"]);
        let (buf, reader) = drain(fifo, None);
        std::thread::sleep(Duration::from_millis(600));
        let t = Instant::now();
        kill(&child, sig);
        let o = wait_with_deadline(child, Duration::from_secs(10));
        let took = t.elapsed();
        reader.join().unwrap();
        eprintln!("SIG{sig}: stopped after {took:?}");
        assert!(
            o.status.success(),
            "SIG{sig}: exit {:?}: {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            o.stderr.is_empty(),
            "stderr must stay empty on a normal stop"
        );
        let bytes = buf.lock().unwrap().clone();
        let p = dir.path().join("got.scap");
        std::fs::write(&p, &bytes).unwrap();
        assert!(
            whole_capture_events(&p) > 0,
            "events were streamed before the signal"
        );
    }
}

#[test]
fn a_closed_fifo_stops_the_capture_with_status_0() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let child = extcap_capture(&fifo, &["--speed", "max"]);
    let (_buf, reader) = drain(fifo, Some(200_000));
    reader.join().unwrap(); // the reader goes away: EPIPE on the next write
    let o = wait_with_deadline(child, Duration::from_secs(10));
    assert!(
        o.status.success(),
        "{:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn toolbar_pause_restart_status_and_log() {
    if !common::have_fixtures() {
        return;
    }
    use scapbridge::control::{command, encode, read_message, Message};
    use scapbridge::protocol::controls;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let cin = dir.path().join("ws_to_ext");
    let cout = dir.path().join("ext_to_ws");
    for p in [&fifo, &cin, &cout] {
        mkfifo(p);
    }
    let mut child = extcap_capture(
        &fifo,
        &[
            "--speed",
            "4",
            "--log-level",
            "info",
            "--extcap-control-in",
            cin.to_str().unwrap(),
            "--extcap-control-out",
            cout.to_str().unwrap(),
        ],
    );
    let (buf, reader) = drain(fifo, None);
    // Host side: read what the extcap sends; write our controls.
    let msgs = Arc::new(Mutex::new(Vec::<Message>::new()));
    let m = Arc::clone(&msgs);
    let cout2 = cout.clone();
    let msg_reader = std::thread::spawn(move || {
        let mut f = std::fs::File::open(cout2).unwrap();
        while let Ok(Some(msg)) = read_message(&mut f) {
            m.lock().unwrap().push(msg);
        }
    });
    let mut to_ext = std::fs::OpenOptions::new().write(true).open(&cin).unwrap();
    use std::io::Write;
    to_ext
        .write_all(&encode(0, command::INITIALIZED, &[]))
        .unwrap();
    let wait_for = |pred: &dyn Fn(&Message) -> bool, what: &str| {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            if msgs.lock().unwrap().iter().any(pred) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no {what} message; got {:?}", msgs.lock().unwrap());
    };
    let text = |m: &Message, control: u8, cmd: u8, needle: &str| matches!(m, Message::Toolbar { control: c, command: k, payload } if *c == control && *k == cmd && String::from_utf8_lossy(payload).contains(needle));
    wait_for(
        &|m| text(m, 0, command::STATUSBAR, "replaying"),
        "status bar",
    );
    std::thread::sleep(Duration::from_millis(300));
    // Pause: the stream stops growing.
    to_ext
        .write_all(&encode(controls::PAUSE, command::SET, &[1]))
        .unwrap();
    wait_for(
        &|m| text(m, controls::LOG, command::ADD, "replay paused"),
        "log 'paused'",
    );
    std::thread::sleep(Duration::from_millis(200));
    let held = buf.lock().unwrap().len();
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(buf.lock().unwrap().len(), held, "paused: nothing written");
    // Unpause: it grows again.
    to_ext
        .write_all(&encode(controls::PAUSE, command::SET, &[0]))
        .unwrap();
    wait_for(
        &|m| text(m, controls::LOG, command::ADD, "replay resumed"),
        "log 'resumed'",
    );
    let t = Instant::now();
    while buf.lock().unwrap().len() == held && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        buf.lock().unwrap().len() > held,
        "resumed: events flow again"
    );
    // Restart: a new pass, announced in the log and the status bar.
    to_ext
        .write_all(&encode(controls::RESTART, command::SET, &[]))
        .unwrap();
    wait_for(
        &|m| text(m, controls::LOG, command::ADD, "restart: pass 2"),
        "log 'restart'",
    );
    wait_for(
        &|m| text(m, 0, command::STATUSBAR, "restarted"),
        "status 'restarted'",
    );
    kill(&child, "TERM");
    let st = child.wait().unwrap();
    assert!(st.success());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.is_empty(), "{err}");
    reader.join().unwrap();
    drop(to_ext);
    msg_reader.join().unwrap();
    // Every frame parsed (read_message would have stopped at a bad one) and
    // the final status names the stop.
    wait_for(
        &|m| text(m, 0, command::STATUSBAR, "interrupted"),
        "final status",
    );
    let p = dir.path().join("got.scap");
    std::fs::write(&p, &*buf.lock().unwrap()).unwrap();
    let evs = events(&p, true).unwrap();
    // After the restart, timestamps still go forward.
    assert!(
        evs.windows(2)
            .filter(|w| w[1].ts + 1_000_000_000 < w[0].ts)
            .count()
            == 0,
        "no jump back in time"
    );
}

/// `sysdig -r FILE -p '%evt.rawtime' [FILTER]`: event times, in file order.
fn sysdig_times(file: &Path, filter: Option<&str>) -> Vec<u64> {
    let mut c = Command::new("sysdig");
    c.arg("-r").arg(file).args(["-p", "%evt.rawtime"]);
    if let Some(f) = filter {
        c.arg(f);
    }
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "sysdig: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Trigger mode over a replayed capture, checked against sysdig as an
/// independent filter engine: the alerts' times come from sysdig's own
/// evaluation of the rule's condition, and the output must hold exactly the
/// original's events within `pre` before an alert or `post` after one.
#[test]
fn trigger_windows_are_exactly_the_events_around_the_alerts() {
    if !common::have_fixtures() {
        return;
    }
    if !have("sysdig") {
        eprintln!("skipping: sysdig not installed");
        return;
    }
    let input = scap_dir().join("libs_e2e_curl_google.scap");
    let condition = "evt.type=connect and evt.dir=< and fd.type=ipv6";
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        format!("- rule: IPv6 connect\n  desc: t\n  condition: {condition}\n  output: \"%fd.name\"\n  priority: NOTICE\n"),
    )
    .unwrap();
    let (pre, post) = (1_000_000u64, 2_000_000u64); // 1 ms, 2 ms
    let out = dir.path().join("windows.scap");
    let saved = dir.path().join("saved");
    let (input_s, rules_s) = (input.to_str().unwrap(), rules.to_str().unwrap());
    let with_rules = |extra: &[&str]| {
        let mut args = vec![
            "-q",
            "--speed",
            "max",
            "--rules",
            rules_s,
            "--alerts",
            "/dev/null",
        ];
        args.extend_from_slice(extra);
        replay(input_s, &args)
    };
    let o = with_rules(&[
        "--trigger",
        "--pre",
        "1ms",
        "--post",
        "2ms",
        "--save-dir",
        saved.to_str().unwrap(),
        "-w",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let alerts = sysdig_times(&input, Some(condition));
    assert!(
        alerts.len() >= 2,
        "the fixture raises several alerts: {alerts:?}"
    );
    let expected: Vec<u64> = sysdig_times(&input, None)
        .into_iter()
        .filter(|t| alerts.iter().any(|a| *t + pre >= *a && *t <= a + post))
        .collect();
    let got = sysdig_times(&out, None);
    assert!(!expected.is_empty());
    assert_eq!(got, expected, "the stream holds exactly the windows");

    // Each window file stands alone and together they hold the stream.
    let mut files: Vec<PathBuf> = std::fs::read_dir(&saved)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let merged: Vec<u64> = files.iter().flat_map(|f| sysdig_times(f, None)).collect();
    assert_eq!(merged, expected, "window files: {files:?}");
    // Without --trigger, the same rules write everything.
    let all = dir.path().join("all.scap");
    let o = with_rules(&["-w", all.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(sysdig_times(&all, None).len() > got.len());
}

/// --save-dir on a full disk: saving stops with one clear line, the stream
/// goes on whole, and what was saved still reads.
#[test]
fn a_full_save_dir_stops_saving_and_the_stream_goes_on() {
    if !common::have_fixtures() {
        return;
    }
    if !common::need_root("mounting a tmpfs needs root") {
        return;
    }
    let input = scap_dir().join("libs_e2e_curl_google.scap");
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "- rule: Any connect\n  desc: t\n  condition: evt.type=connect and evt.dir=<\n  output: \"%fd.name\"\n  priority: NOTICE\n",
    )
    .unwrap();
    let saved = dir.path().join("saved");
    std::fs::create_dir(&saved).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=12k", "tmpfs"])
        .arg(&saved)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mount tmpfs");
    let run = |out: &Path, save: bool| {
        let mut args = vec![
            "-q",
            "--speed",
            "max",
            "--rules",
            rules.to_str().unwrap(),
            "--alerts",
            "/dev/null",
            "--trigger",
            "--pre",
            "5ms",
            "--post",
            "5ms",
            "-w",
            out.to_str().unwrap(),
        ];
        if save {
            args.extend(["--save-dir", saved.to_str().unwrap()]);
        }
        replay(input.to_str().unwrap(), &args)
    };
    let out = dir.path().join("windows.scap");
    let o = run(&out, true);
    let files: Vec<PathBuf> = std::fs::read_dir(&saved)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let readable: Vec<bool> = files.iter().map(|f| events(f, false).is_ok()).collect();
    let _ = Command::new("umount").arg(&saved).status();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(3), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("saving")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("No space left on device") && lines[0].contains("the stream goes on"),
        "{err}"
    );
    assert!(!files.is_empty(), "a window file was started");
    assert!(
        readable.iter().all(|r| *r),
        "saved files read whole: {files:?}"
    );
    // The stream is the same as without saving.
    let plain = dir.path().join("plain.scap");
    assert_eq!(run(&plain, false).status.code(), Some(3));
    assert_eq!(events(&out, false).unwrap(), events(&plain, false).unwrap());
}
