//! Hostile input and hostile neighbours (issue 20): names that would add
//! shell syntax to a ProxyCommand, symlinks planted where trigger windows
//! are saved, FIFOs that never get their other end, arguments that are not
//! UTF-8, a remote command's exit status and signal, the window size cap,
//! and errors said once. Each test looks for the effect a hostile input
//! would have (a file a payload creates, a truncated target, a process
//! still alive), so it fails where the defect is.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::sshd::Sshd;
use common::{assert_one_line_error, scap_dir, scapbridge, stderr};
use scapbridge_tests::{trigger_windows, CaptureArgs};

/// `scapbridge capture -q -i scapbridge-ssh` with HOME at `home` and no
/// ssh-agent, for the caller to add the rest.
fn ssh_capture(home: &Path) -> Command {
    let mut c = scapbridge();
    c.env("HOME", home)
        .env_remove("SSH_AUTH_SOCK")
        .args(["capture", "-q", "-i", "scapbridge-ssh"]);
    c
}

// ------------------------------------------------------------ ProxyCommand

/// `--remote-host`, `--remote-username` and a `~/.ssh/config` Host pattern
/// whose ProxyCommand uses `%h`/`%n`/`%r`: a name holding shell syntax is
/// refused before anything runs (OpenSSH 9.6's rule), so the payload's file
/// never appears. Needs no sshd: the old code ran the payload while
/// starting the ProxyCommand.
#[test]
fn names_cannot_inject_commands_through_proxycommand() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    let pwned = dir.path().join("pwned");
    let p = pwned.display().to_string();
    let out = dir.path().join("out.scap");
    let run = |extra: &[&str]| {
        ssh_capture(&home)
            .args(["--remote-port", "1"])
            .args(extra)
            .arg("-w")
            .arg(&out)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let host_payload = format!("127.0.0.1;touch {p};");
    let o = run(&["--remote-host", &host_payload, "--proxycommand", "nc %h %p"]);
    assert_one_line_error(&o, 2, "--remote-host");
    assert!(!pwned.exists(), "the host name ran a command");

    let user_payload = format!("root$(touch {p})");
    let o = run(&[
        "--remote-host",
        "127.0.0.1",
        "--remote-username",
        &user_payload,
        "--proxycommand",
        "nc %h %p # %r",
    ]);
    assert_one_line_error(&o, 2, "--remote-username");
    assert!(!pwned.exists(), "the user name ran a command");

    // A Host pattern catching any name, its ProxyCommand using %h and %n.
    std::fs::write(
        home.join(".ssh/config"),
        "Host *\n  ProxyCommand exec nc %h %p # %n\n",
    )
    .unwrap();
    for payload in [
        format!("a`touch {p}`"),
        format!("a$(touch {p})"),
        format!("a|touch {p}"),
        format!("-oProxyCommand=touch {p}"),
    ] {
        let o = run(&["--remote-host", &payload]);
        assert_one_line_error(&o, 2, "--remote-host");
        assert!(!pwned.exists(), "{payload} ran a command");
    }
}

// ------------------------------------------------------------ --save-dir

fn rules_file(dir: &Path) -> PathBuf {
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        "- rule: IPv6 connect\n  desc: t\n  condition: evt.type=connect and evt.dir=< and fd.type=ipv6\n  output: \"%fd.name\"\n  priority: NOTICE\n",
    )
    .unwrap();
    rules
}

/// A first trigger run into `DIR/saved` (a rule fired: exit 3), where the
/// fixtures are there; the temp dir and the save folder.
fn first_windows() -> Option<(tempfile::TempDir, PathBuf)> {
    if !common::have_fixtures() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved");
    let o = trigger_run(dir.path(), &saved, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    Some((dir, saved))
}

fn trigger_run(dir: &Path, saved: &Path, extra: &[&str]) -> Output {
    let input = scap_dir().join("libs_e2e_curl_google.scap");
    let rules = rules_file(dir);
    scapbridge()
        .replay_max(&input)
        .arg("--rules")
        .arg(&rules)
        .args(trigger_windows("1ms", "2ms"))
        .arg("--save-dir")
        .arg(saved)
        .args(extra)
        .arg("-w")
        .arg(dir.join("stream.scap"))
        .output()
        .unwrap()
}

fn listing(d: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// Window names are predictable; a symlink planted at each one (and a
/// regular file at another) must not be followed, truncated or written:
/// the windows go to new files beside them.
#[test]
fn save_dir_never_writes_through_a_planted_symlink() {
    let Some((dir, saved)) = first_windows() else {
        return;
    };
    let names = listing(&saved);
    assert!(names.len() >= 2, "several windows: {names:?}");
    let sizes: Vec<u64> = names.iter().map(|n| n.metadata().unwrap().len()).collect();
    for n in &names {
        std::fs::remove_file(n).unwrap();
    }
    // The victim: a file only root may write, as /etc/something would be.
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    for n in &names[1..] {
        std::os::unix::fs::symlink(&victim, n).unwrap();
    }
    std::fs::write(&names[0], b"someone else's file").unwrap();
    let o = trigger_run(dir.path(), &saved, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        b"precious",
        "the symlink's target was written"
    );
    assert_eq!(std::fs::read(&names[0]).unwrap(), b"someone else's file");
    for n in &names[1..] {
        assert!(n.symlink_metadata().unwrap().file_type().is_symlink());
    }
    // Every window still reached a file of its own, of the same size.
    let now: Vec<PathBuf> = listing(&saved)
        .into_iter()
        .filter(|p| !names.contains(p))
        .collect();
    let new_sizes: Vec<u64> = now.iter().map(|n| n.metadata().unwrap().len()).collect();
    assert_eq!(new_sizes, sizes, "{now:?}");
}

/// `--save-max-bytes` is a cap: no window file is larger, each ends on a
/// whole block (sysdig... here our reader reads it to the end), and a
/// window whose header alone is larger is not kept.
#[test]
fn save_max_bytes_caps_every_window_file() {
    let Some((dir, saved)) = first_windows() else {
        return;
    };
    let full: Vec<u64> = listing(&saved)
        .iter()
        .map(|n| n.metadata().unwrap().len())
        .collect();
    let smallest = *full.iter().min().unwrap();
    std::fs::remove_dir_all(&saved).unwrap();
    // Below the smallest window: every file is cut, none passes the cap.
    let cap = smallest - 200;
    let o = trigger_run(dir.path(), &saved, &["--save-max-bytes", &cap.to_string()]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let files = listing(&saved);
    assert!(!files.is_empty());
    for f in &files {
        let len = f.metadata().unwrap().len();
        assert!(len <= cap, "{} is {len} bytes, cap {cap}", f.display());
        let r = scapbridge().arg("info").arg(f).output().unwrap();
        assert!(
            r.status.success(),
            "{} does not read whole: {}",
            f.display(),
            stderr(&r)
        );
    }
    assert!(stderr(&o).contains("--save-max-bytes"), "{}", stderr(&o));
    // A cap below the header and process table: no window file at all.
    std::fs::remove_dir_all(&saved).unwrap();
    let o = trigger_run(dir.path(), &saved, &["--save-max-bytes", "100"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(listing(&saved).is_empty(), "{:?}", listing(&saved));
    assert!(stderr(&o).contains("not kept"), "{}", stderr(&o));
}

// ------------------------------------------------------------ FIFOs

/// Spawns `c`, sends SIGTERM after `after`, and returns how long it took to
/// end after the signal and its output. Kills it if it outlives 10 s.
fn term_after(mut c: Command, after: Duration) -> (Duration, Output) {
    let child = c
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let pid = child.id();
    common::signal("TERM", pid);
    let t = Instant::now();
    let waiter = std::thread::spawn(move || child.wait_with_output().unwrap());
    while !waiter.is_finished() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    if !waiter.is_finished() {
        common::signal("KILL", pid);
    }
    let o = waiter.join().unwrap();
    (t.elapsed(), o)
}

/// `c` ends with status 0 (a stop like any other) well within 5 s of a
/// SIGTERM sent `after` its start.
fn assert_stops_on_sigterm(c: Command, after: Duration, what: &str) {
    let (took, o) = term_after(c, after);
    assert!(
        took < Duration::from_secs(5),
        "{what}: still waiting {took:?} after SIGTERM"
    );
    assert_eq!(o.status.code(), Some(0), "{what}: {}", stderr(&o));
}

/// A temp dir holding a FIFO nobody has opened, and the capture to feed
/// it: `(dir, fifo, fixture)`; `None` without the fixtures.
fn fifo_and_fixture() -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    if !common::have_fixtures() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let ok = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo");
    Some((dir, fifo, scap_dir().join("falco_cat_write.scap")))
}

/// Blocked opening a FIFO (an input without a writer, an output without a
/// reader, the extcap's --fifo): SIGTERM ends the process, with status 0
/// (a stop like any other), long before the 10 s this waits. The old code
/// stayed in open(2) until SIGKILL.
#[test]
fn sigterm_ends_a_capture_blocked_on_a_fifo() {
    let Some((dir, fifo, fixture)) = fifo_and_fixture() else {
        return;
    };

    // replay --file FIFO, nobody writing.
    let mut c = scapbridge();
    c.replay(&fifo).arg("-w").arg(dir.path().join("o.scap"));
    assert_stops_on_sigterm(c, Duration::from_millis(500), "replay --file FIFO");

    // -w FIFO, nobody reading.
    let mut c = scapbridge();
    c.replay(&fixture).arg("-w").arg(&fifo);
    assert_stops_on_sigterm(c, Duration::from_millis(500), "-w FIFO");

    // The extcap call: --capture --fifo with no host reading.
    let mut c = scapbridge();
    c.args([
        "--capture",
        "--extcap-interface",
        "scapbridge-replay",
        "--file",
    ])
    .arg(&fixture)
    .arg("--fifo")
    .arg(&fifo);
    assert_stops_on_sigterm(c, Duration::from_millis(500), "--capture --fifo");

    // A writer that opened the FIFO and then stalls mid-stream.
    let mut writer = Command::new("sh")
        .arg("-c")
        .arg(format!("head -c 300 '{}'; sleep 30", fixture.display()))
        .stdout(
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&fifo)
                .unwrap(),
        )
        .spawn()
        .unwrap();
    let mut c = scapbridge();
    c.replay(&fifo)
        .arg("-w")
        .arg(dir.path().join("stalled.scap"));
    let (took, o) = term_after(c, Duration::from_millis(800));
    let _ = writer.kill();
    let _ = writer.wait();
    assert!(
        took < Duration::from_secs(5),
        "stalled writer: still blocked {took:?} after SIGTERM"
    );
    assert_eq!(o.status.code(), Some(0), "stalled writer: {}", stderr(&o));
}

/// A TCP server on 127.0.0.1 that accepts and never speaks (for 60 s):
/// an SSH server stuck before its banner, an S3 or SQS endpoint that never
/// answers. Returns its port.
fn silent_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(60) {
            if let Ok((c, _)) = listener.accept() {
                held.push(c);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    port
}

/// An SSH server that accepts and never speaks: SIGTERM ends the capture
/// waiting in the handshake (the old code waited for the server).
#[test]
fn sigterm_ends_a_capture_waiting_for_a_silent_ssh_server() {
    // Built first: a build may take longer than the server below waits.
    let _ = common::scapbridge_bin();
    let port = silent_server();
    let dir = tempfile::tempdir().unwrap();
    let mut c = ssh_capture(dir.path());
    c.args(["--remote-host", "127.0.0.1"])
        .args([
            "--remote-port",
            &port.to_string(),
            "--remote-username",
            "root",
        ])
        .args(["--remote-password", "x", "-w"])
        .arg(dir.path().join("o.scap"));
    assert_stops_on_sigterm(c, Duration::from_millis(800), "silent SSH server");
}

/// An S3 or SQS endpoint that accepts and never answers: SIGTERM ends the
/// capture at once (the SDK alone would wait 60 s per attempt, twice).
#[test]
fn sigterm_ends_a_capture_waiting_for_a_silent_aws_endpoint() {
    let _ = common::scapbridge_bin();
    let port = silent_server();
    let dir = tempfile::tempdir().unwrap();
    for source in ["s3://trail/AWSLogs/", "sqs://notify"] {
        let mut c = scapbridge();
        c.cloudtrail(source)
            .args([
                "--cloudtrail-aws-endpoint",
                &format!("http://127.0.0.1:{port}"),
            ])
            .envs([
                ("AWS_ACCESS_KEY_ID", "testing"),
                ("AWS_SECRET_ACCESS_KEY", "testing"),
                ("AWS_REGION", "us-east-1"),
                ("AWS_CONFIG_FILE", "/nonexistent"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
            ])
            .arg("-w")
            .arg(dir.path().join("ct.scap"));
        assert_stops_on_sigterm(c, Duration::from_millis(1500), source);
    }
}

/// A FIFO can be replayed once (`--loop` needs a file to read again).
#[test]
fn a_fifo_replays_once_and_loop_asks_for_a_file() {
    let Some((dir, fifo, fixture)) = fifo_and_fixture() else {
        return;
    };
    let feeder = {
        let (fixture, fifo) = (fixture.clone(), fifo.clone());
        std::thread::spawn(move || {
            let data = std::fs::read(&fixture).unwrap();
            std::fs::write(&fifo, data).unwrap();
        })
    };
    let out = dir.path().join("o.scap");
    let o = scapbridge()
        .replay_max(&fifo)
        .arg("-w")
        .arg(&out)
        .output()
        .unwrap();
    feeder.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let want = common::events(&fixture, false).unwrap();
    let got = common::events(&out, false).unwrap();
    assert_eq!(got.len(), want.len());
}

// ------------------------------------------------------------ arguments

/// Arguments that are not UTF-8: paths are OS strings everywhere (`read`,
/// `info`, `capture`'s -w/--file/--log-file/--save-dir/--alerts/--rules,
/// the agent's -w) and work; other text (a filter) gets one line naming it,
/// exit 2. The old code panicked (exit 101) on any of them.
#[test]
fn arguments_that_are_not_utf8_never_panic() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let odd = |name: &[u8]| dir.path().join(std::ffi::OsStr::from_bytes(name));
    let input = odd(b"caf\xe9.scap");
    std::fs::copy(scap_dir().join("falco_cat_write.scap"), &input).unwrap();
    let o = scapbridge().arg("info").arg(&input).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = scapbridge().arg("read").arg(&input).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!o.stdout.is_empty());

    // capture: every path option an OS string.
    let (out, log, saved, alerts) = (
        odd(b"out\xff.scap"),
        odd(b"log\xfe.txt"),
        odd(b"win\xfd"),
        odd(b"alerts\xfc.txt"),
    );
    let curl = scap_dir().join("libs_e2e_curl_google.scap");
    let o = scapbridge()
        .replay_max(&input)
        .arg("-w")
        .arg(&out)
        .arg("--log-file")
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let want = common::events(&input, false).unwrap();
    assert_eq!(common::events(&out, false).unwrap().len(), want.len());
    let rules = odd(b"rules\xfb.yaml");
    std::fs::rename(rules_file(dir.path()), &rules).unwrap();
    let o = scapbridge()
        .replay_max(&curl)
        .arg("--rules")
        .arg(scap_dir().join("../rules/falco_rules.yaml"))
        .arg("--rules")
        .arg(&rules)
        .args(["--trigger", "--save-dir"])
        .arg(&saved)
        .alerts_and_capture_to(&alerts, &out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        !listing(&saved).is_empty(),
        "no window file in the odd folder"
    );
    assert!(
        std::fs::metadata(&alerts).unwrap().len() > 0,
        "no alert in the odd file"
    );

    // CloudTrail's --plugin-source: a local folder is a path too.
    let logs = odd(b"trail\xfa");
    std::fs::create_dir(&logs).unwrap();
    let record = common::fixtures().join("cloudtrail/alice_start_instances.json");
    std::fs::copy(&record, logs.join("a.json")).unwrap();
    let o = scapbridge()
        .cloudtrail(&logs)
        .arg("-w")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plugin_events = common::events(&out, false)
        .unwrap()
        .iter()
        .filter(|e| e.event_type == 322)
        .count();
    assert!(
        plugin_events >= 1,
        "no CloudTrail event from the odd folder"
    );
    // An address is text: s3:// with a byte that is not UTF-8 is refused.
    let o = scapbridge()
        .cloudtrail(std::ffi::OsStr::from_bytes(b"s3://b\xff/x"))
        .arg("-w")
        .arg(&out)
        .output()
        .unwrap();
    assert_one_line_error(&o, 2, "--plugin-source");

    // Text that is not UTF-8: one line naming the argument.
    let o = scapbridge()
        .replay(&input)
        .arg("--filter")
        .arg(std::ffi::OsStr::from_bytes(b"proc.name=\xff"))
        .arg("-w")
        .arg(&out)
        .output()
        .unwrap();
    assert_one_line_error(&o, 2, "argument 8");
    // The agent: its -w is a path (the usage error is about the option
    // after it, not the file name); a filter is text.
    let o = Command::new(common::agent_bin())
        .arg("-w")
        .arg(&out)
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("UTF-8") && stderr(&o).contains("--bogus"),
        "{}",
        stderr(&o)
    );
    let o = Command::new(common::agent_bin())
        .arg("-w")
        .arg("-")
        .arg(std::ffi::OsStr::from_bytes(b"proc.name=\xff"))
        .output()
        .unwrap();
    assert_one_line_error(&o, 2, "not valid UTF-8");
    // A live agent writing to an odd file with odd rules and alerts files.
    if common::probe_available() {
        let agent_out = odd(b"agent\xfa.scap");
        let agent_alerts = odd(b"agent-alerts\xf9.txt");
        let o = Command::new(common::agent_bin())
            .arg("-w")
            .arg(&agent_out)
            .arg("--rules")
            .arg(&rules)
            .arg("--alerts")
            .arg(&agent_alerts)
            .args(["-n", "5000"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(!common::events(&agent_out, false).unwrap().is_empty());
    }
}

/// An error whose cause is already in its text is said once.
#[test]
fn errors_say_their_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let o = scapbridge().arg("read").arg(dir.path()).output().unwrap();
    let e = stderr(&o);
    assert_eq!((o.status.code(), e.lines().count()), (Some(1), 1), "{e}");
    assert_eq!(e.matches("Is a directory").count(), 1, "{e}");
}

// ------------------------------------------------------------ remote status

/// The remote command's exit status and signal reach the user: a command
/// that sends a whole capture and exits 7, or is killed, is a failure (exit
/// 1) naming it, not "end of input". A refused login lands in --log-file.
#[test]
fn the_remote_exit_status_and_signal_are_reported() {
    if !common::have_fixtures() {
        return;
    }
    let Some(s) = Sshd::start() else { return };
    let args = s.known_capture_args();
    let cat = args.last().unwrap().clone();
    let out = s.path("x.scap");
    let with_command = |cmd: &str| {
        s.capture(
            &out,
            &[
                "--remote-capture-command-select",
                "other",
                "--remote-capture-command",
                cmd,
            ],
        )
    };
    let o = with_command(&format!("{cat}; exit 7"));
    assert_one_line_error(&o, 1, "(exit 7)");
    let o = with_command(&format!("{cat}; kill -KILL $$"));
    assert_one_line_error(&o, 1, "SIGKILL");
    let o = with_command(&format!("{cat}; kill -TERM $$"));
    assert_one_line_error(&o, 1, "SIGTERM");
    // And a clean end is still a success.
    let o = with_command(&cat);
    assert!(o.status.success(), "{}", stderr(&o));

    let log = s.path("capture.log");
    let o = s
        .bare_cmd(&out)
        .args(["--remote-username", "root", "--remote-password", "wrong"])
        .arg("--log-file")
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("error:"),
        "the log says nothing of the failure: {text:?}"
    );
    assert!(!text.contains("wrong"), "the password reached the log");
}

// ------------------------------------------------------------ exit status

/// README's exit status table, one documented case per row, for every
/// command: 0 success (each way `capture` can stop), 3 a rule fired, 1 bad
/// input or a failure, 2 wrong arguments.
#[test]
fn readme_exit_status_table_holds_for_every_command() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = scap_dir().join("falco_cat_write.scap");
    let good = good.to_str().unwrap();
    let damaged = d.join("damaged.scap");
    let mut bytes = std::fs::read(good).unwrap();
    bytes.truncate(40);
    bytes.extend_from_slice(&[0xff; 64]);
    std::fs::write(&damaged, bytes).unwrap();
    let damaged = damaged.to_str().unwrap();
    let rules = rules_file(d);
    let rules = rules.to_str().unwrap();
    let bad_rules = d.join("bad.yaml");
    std::fs::write(&bad_rules, "- rule: x\n  condition: evt.type=\n").unwrap();
    let bad_rules = bad_rules.to_str().unwrap();
    let out = d.join("out.scap");
    let out = out.to_str().unwrap();
    let curl = scap_dir().join("libs_e2e_curl_google.scap");
    let curl = curl.to_str().unwrap();
    let replay = |rest: &[&str]| {
        let mut v = vec!["capture", "-q", "-i", "scapbridge-replay"];
        v.extend_from_slice(rest);
        v.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let cases: Vec<(&str, i32, Vec<String>)> = vec![
        (
            "capture: end of input",
            0,
            replay(&["--file", good, "--speed", "max", "-w", out]),
        ),
        (
            "capture: --count",
            0,
            replay(&["--file", good, "--count", "5", "-w", out]),
        ),
        (
            "capture: --duration",
            0,
            replay(&[
                "--file",
                curl,
                "--speed",
                "0.001",
                "--duration",
                "1s",
                "-w",
                out,
            ]),
        ),
        (
            "capture: a rule fired",
            3,
            replay(&[
                "--file",
                curl,
                "--speed",
                "max",
                "--rules",
                rules,
                "--alerts",
                "/dev/null",
                "-w",
                out,
            ]),
        ),
        (
            "capture: damaged input",
            1,
            replay(&["--file", damaged, "--speed", "max", "-w", out]),
        ),
        (
            "capture: output cannot be created",
            1,
            replay(&["--file", good, "-w", "/nonexistent-dir/x.scap"]),
        ),
        (
            "capture: rules that do not load",
            1,
            replay(&["--file", good, "--rules", bad_rules, "-w", out]),
        ),
        (
            "capture: unknown interface",
            2,
            vec![
                "capture".into(),
                "-i".into(),
                "nope".into(),
                "-w".into(),
                out.into(),
            ],
        ),
        (
            "capture: unknown option",
            2,
            replay(&["--file", good, "--bogus", "-w", out]),
        ),
        (
            "capture: bad value",
            2,
            replay(&["--file", good, "--speed", "0", "-w", out]),
        ),
        ("capture: missing --file", 2, replay(&["-w", out])),
        ("read: success", 0, vec!["read".into(), good.into()]),
        (
            "read: damaged input",
            1,
            vec!["read".into(), damaged.into()],
        ),
        (
            "read: unknown option",
            2,
            vec!["read".into(), "--bogus".into(), good.into()],
        ),
        (
            "convert: success",
            0,
            vec!["convert".into(), good.into(), "-w".into(), out.into()],
        ),
        (
            "convert: damaged input",
            1,
            vec!["convert".into(), damaged.into(), "-w".into(), out.into()],
        ),
        (
            "convert: missing output",
            2,
            vec!["convert".into(), good.into()],
        ),
        ("info: success", 0, vec!["info".into(), good.into()]),
        (
            "info: missing file",
            1,
            vec!["info".into(), d.join("none").to_str().unwrap().into()],
        ),
        ("info: no file given", 2, vec!["info".into()]),
        (
            "rules check: good",
            0,
            vec!["rules".into(), "check".into(), rules.into()],
        ),
        (
            "rules check: bad",
            1,
            vec!["rules".into(), "check".into(), bad_rules.into()],
        ),
    ];
    let mut wrong = Vec::new();
    for (what, code, args) in &cases {
        let o = scapbridge()
            .args(args)
            .stdout(Stdio::null())
            .output()
            .unwrap();
        if o.status.code() != Some(*code) {
            wrong.push(format!(
                "{what}: exit {:?}, README says {code}: {}",
                o.status.code(),
                stderr(&o)
            ));
        }
    }
    // SIGTERM and the reader closing the pipe: 0 too.
    let mut c = scapbridge();
    c.args(replay(&["--file", curl, "--speed", "0.001", "-w", out]));
    let (_, o) = term_after(c, Duration::from_millis(700));
    if o.status.code() != Some(0) {
        wrong.push(format!("capture: SIGTERM: exit {:?}", o.status.code()));
    }
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' capture -q -i scapbridge-replay --file '{curl}' --speed max -w - | head -c 100 >/dev/null; exit ${{PIPESTATUS[0]}}",
            common::scapbridge_bin().display()
        ))
        .output()
        .unwrap();
    if o.status.code() != Some(0) {
        wrong.push(format!(
            "capture: reader closed the pipe: exit {:?}: {}",
            o.status.code(),
            stderr(&o)
        ));
    }
    // The agent: wrong arguments are 2 as well.
    let o = Command::new(common::agent_bin())
        .arg("--bogus")
        .output()
        .unwrap();
    if o.status.code() != Some(2) {
        wrong.push(format!("agent: unknown option: exit {:?}", o.status.code()));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
