//! Headless capture (`scapbridge capture`): to a file, the summary under
//! each profile, counts, stdout, pcapng, errors as one line with a status, a
//! full disk, progress, logs, capture filters and rules alerts.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::extcap::{
    assert_same, capture, extcap_replay, kill, mkfifo, replay, whole_capture_events,
};
use common::{assert_one_line_error, events, have, scap_dir, scapbridge, scapbridge_bin};
use scapbridge_formats::{Item, ScapReader};
use scapbridge_tests::CaptureArgs;

#[test]
fn headless_capture_to_a_file_equals_the_fixture() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for name in ["falco_cat_write", "libs_sample", "falco_syscall"] {
        let fixture = scap_dir().join(format!("{name}.scap"));
        let out = dir.path().join("out.scap");
        let o = replay(
            fixture.to_str().unwrap(),
            &["--speed", "max", "-w", out.to_str().unwrap()],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            events(&out, true).unwrap() == events(&fixture, true).unwrap(),
            "{name}: events differ"
        );
        let summary = String::from_utf8_lossy(&o.stderr);
        let n = events(&fixture, true).unwrap().len();
        assert!(
            summary.contains("capture finished (end of input)"),
            "{summary}"
        );
        let written = summary
            .lines()
            .find(|l| l.trim_start().starts_with("events"))
            .unwrap();
        assert_eq!(
            written.split_whitespace().nth(1).unwrap().replace(',', ""),
            n.to_string(),
            "{summary}"
        );
    }
}

/// The summary counts what is in the file, and says why that differs from
/// what the source gave when a profile changes it.
#[test]
fn summary_counts_the_file_under_each_profile() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fixture = scap_dir().join("falco_cat_write.scap");
    let out = dir.path().join("out.scap");
    for (profile, why) in [
        (
            "stratoshark",
            "the stratoshark layout merges enter events into their exits",
        ),
        ("keep", ""),
    ] {
        let o = replay(
            fixture.to_str().unwrap(),
            &[
                "--speed",
                "max",
                "--profile",
                profile,
                "-w",
                out.to_str().unwrap(),
            ],
        );
        let summary = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{summary}");
        let line = summary
            .lines()
            .find(|l| l.trim_start().starts_with("events"))
            .unwrap();
        let n = events(&out, false).unwrap().len();
        assert_eq!(
            line.split_whitespace().nth(1).unwrap().replace(',', ""),
            n.to_string(),
            "{profile}: {summary}"
        );
        if why.is_empty() {
            assert!(!line.contains("captured"), "{profile}: {line}");
        } else {
            assert!(line.contains(why), "{profile}: {line}");
        }
    }
}

#[test]
fn headless_count_stdout_pcapng_and_duration() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fixture = scap_dir().join("falco_cat_write.scap");
    let fx = fixture.to_str().unwrap();
    // The fixture as fast as it goes to `out`, with `extra`.
    let fast = |out: &str, extra: &[&str]| {
        let mut args = vec!["--speed", "max", "-w", out];
        args.extend_from_slice(extra);
        replay(fx, &args)
    };
    // --count, to standard output.
    let o = fast("-", &["-c", "42", "-q"]);
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let p = dir.path().join("count.scap");
    std::fs::write(&p, &o.stdout).unwrap();
    let got = events(&p, true).unwrap();
    assert_eq!(got.len(), 42);
    assert!(got[..] == events(&fixture, true).unwrap()[..42]);
    // pcapng container: SHB options that Wireshark shows.
    let p = dir.path().join("p.scap");
    let o = fast(p.to_str().unwrap(), &["--format", "pcapng", "-q"]);
    assert!(o.status.success());
    let mut r = ScapReader::new(std::fs::File::open(&p).unwrap()).unwrap();
    match r.next_item().unwrap() {
        Some(Item::Section(s)) => {
            let comment = s
                .options
                .iter()
                .find(|(c, _)| *c == 1)
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
            assert!(comment.is_some_and(|c| c.contains("scapbridge-replay")));
        }
        other => panic!("expected a section first, got {other:?}"),
    }
    assert_eq!(events(&p, true).unwrap().len(), 345);
    // --duration ends an endless replay with a whole file.
    let p = dir.path().join("d.scap");
    let o = fast(p.to_str().unwrap(), &["--loop", "--duration", "700ms"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("(duration reached)"));
    let n = whole_capture_events(&p);
    assert!(n > 345, "looped at least once: {n}");
    // Loop timestamps keep increasing: no pass goes back in time.
    let evs = events(&p, true).unwrap();
    let first_pass_max = evs[..345].iter().map(|e| e.ts).max().unwrap();
    assert!(evs[345..].iter().all(|e| e.ts > first_pass_max));
}

#[test]
fn headless_errors_are_one_line_with_a_status() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fx = scap_dir().join("falco_cat_write.scap");
    let fx = fx.to_str().unwrap();
    let out = dir.path().join("o.scap");
    let o_ = out.to_str().unwrap();
    let cases: &[(&[&str], i32, &str)] = &[
        (&["-i", "nope", "-w", o_], 2, "unknown interface 'nope'"),
        (
            &["-i", "scapbridge-replay", "-w", o_],
            2,
            "missing required option --file",
        ),
        (
            &[
                "-i",
                "scapbridge-replay",
                "--file",
                fx,
                "--speed",
                "0",
                "-w",
                o_,
            ],
            2,
            "bad value '0' for --speed",
        ),
        (
            &[
                "-i",
                "scapbridge-replay",
                "--file",
                fx,
                "--count",
                "x",
                "-w",
                o_,
            ],
            2,
            "bad value 'x' for --count",
        ),
        (
            &[
                "-i",
                "scapbridge-replay",
                "--file",
                fx,
                "--duration",
                "soon",
                "-w",
                o_,
            ],
            2,
            "bad value 'soon' for --duration",
        ),
        (
            &["-i", "scapbridge-replay", "--file", fx, "--bogus", "-w", o_],
            2,
            "unknown option '--bogus'",
        ),
        (
            &[
                "-i",
                "scapbridge-replay",
                "--file",
                fx,
                "--profile",
                "new",
                "-w",
                o_,
            ],
            2,
            "bad value 'new' for --profile",
        ),
        (
            &["-i", "scapbridge-replay", "--file", fx],
            2,
            "no output given",
        ),
        (
            &[
                "-i",
                "scapbridge-replay",
                "--file",
                fx,
                "-f",
                "proc.name=(cat",
                "-w",
                o_,
            ],
            1,
            "capture filter 'proc.name=(cat': expected a value",
        ),
        (
            &[
                "-i",
                "scapbridge-replay",
                "--file",
                "/nonexistent.scap",
                "-w",
                o_,
            ],
            1,
            "cannot open /nonexistent.scap",
        ),
        (
            &[
                "-i",
                "scapbridge-replay",
                "--file",
                fx,
                "-w",
                "/nonexistent/dir/o.scap",
            ],
            1,
            "cannot open output /nonexistent/dir/o.scap",
        ),
        (
            &[
                "-i",
                "scapbridge-replay",
                "--file",
                fx,
                "--speed",
                "max",
                "-w",
                "/dev/full",
            ],
            1,
            "No space left on device",
        ),
    ];
    for (args, code, want) in cases {
        let o = capture(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(*code), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line:\n{err}");
        assert!(
            err.starts_with("scapbridge: error: ") && err.contains(want),
            "{args:?}: wanted {want:?} in {err}"
        );
    }
    // A typo does not clobber an existing output file.
    std::fs::write(&out, b"precious").unwrap();
    let _ = replay(fx, &["--speed", "nope", "-w", o_]);
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
}

#[test]
fn a_full_disk_leaves_whole_blocks() {
    if !common::have_fixtures() {
        return;
    }
    // A small tmpfs is a real full disk; it needs root (CI runs as root).
    if !common::need_root("mounting a tmpfs needs root") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(mnt)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mount tmpfs");
    let out = mnt.join("full.scap");
    let fx = scap_dir().join("libs_e2e_curl_google.scap");
    let o = replay(
        fx.to_str().unwrap(),
        &["--loop", "--speed", "max", "-w", out.to_str().unwrap()],
    );
    let n = std::panic::catch_unwind(|| whole_capture_events(&out));
    let len = std::fs::metadata(&out).map(|m| m.len());
    let _ = Command::new("umount").arg(mnt).status();
    let err = assert_one_line_error(&o, 1, "No space left on device");
    assert!(err.contains("cut back to"), "{err}");
    let n = n.expect("the cut file reads to its end without error");
    assert!(n > 0, "whole blocks kept ({len:?} bytes)");
}

#[test]
fn progress_only_on_a_terminal() {
    if !common::have_fixtures() {
        return;
    }
    let fx = scap_dir().join("falco_ping_sendto.scap");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.scap");
    let cmd = format!(
        "{} capture -i scapbridge-replay --file {} --speed 8 -w {}",
        scapbridge_bin().display(),
        fx.display(),
        out.display()
    );
    // Not a terminal: no progress line, only the summary.
    let o = replay(
        fx.to_str().unwrap(),
        &["--speed", "8", "-w", out.to_str().unwrap()],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains('\r'), "{err:?}");
    assert!(err.starts_with("scapbridge: capture finished"), "{err}");
    // A terminal (util-linux `script` gives the command a pty).
    if Command::new("script").arg("--version").output().is_err() {
        assert!(!common::ci(), "CI has util-linux");
        return;
    }
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let tty = String::from_utf8_lossy(&o.stdout);
    let updates = tty.matches("\r\x1b[2K").count();
    assert!(updates >= 3, "live progress updates on a terminal: {tty:?}");
    assert!(
        tty.contains(" events ") && tty.contains(" drops ") && tty.contains(" ev/s"),
        "{tty:?}"
    );
    assert!(tty.contains("capture finished (end of input)"), "{tty:?}");
}

#[test]
fn log_file_and_legacy_debug_options() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fx = scap_dir().join("falco_cat_write.scap");
    for (opts, wants_info) in [
        (vec!["--log-level", "info"], true),
        (vec!["--debug"], true),
        (vec!["--log-level=message"], false),
    ] {
        let log = dir.path().join("x.log");
        let _ = std::fs::remove_file(&log);
        let out = dir.path().join("o.scap");
        let mut c = extcap_replay(&out, &fx);
        c.args(["--speed", "max", "--loop", "--extcap-control-in"]);
        // A control pipe nobody opens must not stall the capture.
        let cin = dir.path().join("cin");
        let _ = std::fs::remove_file(&cin);
        mkfifo(&cin);
        c.arg(&cin).args(&opts);
        if opts[0] == "--debug" {
            c.arg("--debug-file").arg(&log);
        } else {
            c.arg("--log-file").arg(&log);
        }
        let mut child = c
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(400));
        kill(&child, "TERM");
        assert!(child.wait().unwrap().success(), "{opts:?}");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            text.contains("scapbridge-replay: replaying"),
            "{opts:?}: {text}"
        );
        assert!(
            text.contains("capture finished (interrupted)") || text.contains("(interrupted)"),
            "{opts:?}: {text}"
        );
        assert_eq!(
            text.contains("loop: pass 2"),
            wants_info,
            "{opts:?}: info lines follow the level: {text}"
        );
        assert!(whole_capture_events(&out) > 345);
    }
}

#[test]
fn capture_filters_keep_what_read_with_the_same_filter_shows() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, flt) in [
        ("falco_cat_write", "evt.type=open"),
        (
            "libs_e2e_curl_google",
            "proc.name=curl and fd.type in (ipv4, ipv6)",
        ),
    ] {
        let fx = scap_dir().join(format!("{name}.scap"));
        let out = dir.path().join("f.scap");
        let o = replay(
            fx.to_str().unwrap(),
            &["--speed", "max", "-f", flt, "-w", out.to_str().unwrap()],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let summary = String::from_utf8_lossy(&o.stderr);
        assert!(summary.contains("left out by the filter"), "{summary}");
        // Every event written matches, and none that matches is missing:
        // the filtered file, read with the filter, shows what the original shows.
        let a = common::run(scapbridge().arg("read").arg("--all").arg(&fx).arg(flt));
        let b = common::run(scapbridge().arg("read").arg("--all").arg(&out));
        // Time, cpu, tid, direction, type: the process and fd names depend on
        // state-changing events the filter may have left out.
        let strip = |o: &Output| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(|l| {
                    let t: Vec<&str> = l.split(' ').collect();
                    format!("{} {} {} {} {}", t[1], t[2], t[4], t[5], t[6])
                })
                .collect::<Vec<_>>()
        };
        let (a, b) = (strip(&a), strip(&b));
        assert!(!a.is_empty(), "{name}: the filter selects something");
        assert_same(&b, &a, &format!("{name}: {flt}"));
    }
}

/// `--rules` on a capture: alerts as `read --rules` gives them (Falco JSON
/// here), the events unchanged, the alerts as journal entries beside them in
/// pcapng (tshark shows them), and exit status 3 when a rule fired.
#[test]
fn capture_rules_alert_beside_the_events() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let trace = scap_dir().join("falco_cat_write.scap");
    let rules = scap_dir().join("falco_legacy/rules/catchall_order.yaml");
    let alerts = dir.path().join("alerts.json");
    let out = dir.path().join("out.pcapng");
    let o = scapbridge()
        .args(["capture", "-i", "scapbridge-replay", "--file"])
        .arg(&trace)
        .args([
            "--speed",
            "max",
            "--format",
            "pcapng",
            "--alerts-format",
            "json",
            "--rules",
        ])
        .arg(&rules)
        .alerts_and_capture_to(&alerts, &out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "a rule fired: {err}");
    let want = scapbridge()
        .arg("read")
        .arg(&trace)
        .args(["--json", "--rules"])
        .arg(&rules)
        .output()
        .unwrap();
    let want = String::from_utf8_lossy(&want.stdout).into_owned();
    let got = std::fs::read_to_string(&alerts).unwrap();
    assert!(!want.is_empty());
    assert_eq!(got, want, "capture alerts equal read --rules alerts");
    let n = want.lines().count();
    assert!(err.contains(&format!("alerts     {n}: ")), "{err}");
    // The events are all there: rules watch, they do not filter.
    assert_eq!(
        events(&out, false).unwrap().len(),
        events(&trace, false).unwrap().len()
    );
    if have("tshark") {
        let t = Command::new("tshark")
            .args(["-n", "-r"])
            .arg(&out)
            .args([
                "-Y",
                "systemd_journal",
                "-T",
                "fields",
                "-e",
                "systemd_journal.message",
            ])
            .output()
            .unwrap();
        assert!(t.status.success());
        let msgs: Vec<String> = String::from_utf8_lossy(&t.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(msgs.len(), n, "one journal entry per alert: {msgs:?}");
        let first: serde_json::Value = serde_json::from_str(want.lines().next().unwrap()).unwrap();
        let rule = first["rule"].as_str().unwrap();
        assert!(msgs[0].starts_with(&format!("{rule}: ")), "{}", msgs[0]);
    }
    // No alert: exit 0; broken rules: one line, exit 1.
    let quiet_rules = scap_dir().join("falco_legacy/rules/detect_connect_using_in.yaml");
    let o = scapbridge()
        .replay_max(&trace)
        .arg("--rules")
        .arg(&quiet_rules)
        .arg("-w")
        .arg(dir.path().join("none.scap"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "- rule: broken\n  desc: x\n  condition: evt.type = open and (\n  output: x\n  priority: INFO\n").unwrap();
    let o = scapbridge()
        .args(["capture", "-i", "scapbridge-replay", "--file"])
        .arg(&trace)
        .arg("--rules")
        .arg(&bad)
        .arg("-w")
        .arg(dir.path().join("bad.scap"))
        .output()
        .unwrap();
    // Names the place.
    assert_one_line_error(&o, 1, "bad.yaml:3:");
    assert!(
        !dir.path().join("bad.scap").exists(),
        "nothing written on a set-up error"
    );
}
