//! Exit codes a CI job can trust (issue "An analyst's tool"): `capture --
//! CMD` exits as CMD did, 127/126 when it cannot start (as a shell), 3 with
//! `--alert-exit` when a rule fired; the command is exec'd directly (no
//! shell's PATH search in the capture); `-n` is the event count.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;

fn capture(dir: &std::path::Path, extra: &[&str], cmd: &[&str]) -> std::process::Output {
    run(scapbridge()
        .args(["capture", "-i", "scapbridge-syscalls", "-q", "-w"])
        .arg(dir.join("c.scap"))
        .args(extra)
        .arg("--")
        .args(cmd))
}

#[test]
fn capture_exits_with_the_commands_status() {
    if !probe_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = capture(d, &[], &["sh", "-c", "exit 7"]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    let o = capture(d, &[], &["true"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Killed by a signal: 128 + 9, as a shell says.
    let o = capture(d, &[], &["sh", "-c", "kill -9 $$"]);
    assert_eq!(o.status.code(), Some(137), "{}", stderr(&o));
}

#[test]
fn a_command_that_cannot_start_is_127_or_126_with_one_line() {
    if !probe_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for missing in ["no-such-command-scapbridge", "/no/such/command"] {
        let o = capture(d, &[], &[missing]);
        assert_eq!(o.status.code(), Some(127), "{missing}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("scapbridge: error: cannot run ") && err.contains(missing),
            "{err}"
        );
    }
    let f = d.join("data-file");
    std::fs::write(&f, "not a program").unwrap();
    let o = capture(d, &[], &[f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(126), "{}", stderr(&o));
    assert!(stderr(&o).contains("permission denied"), "{}", stderr(&o));
    // Found and executable, but its execve fails in the child, as bash
    // says: a missing `#!` interpreter 127, not a program 126.
    use std::os::unix::fs::PermissionsExt;
    for (name, body, code, words) in [
        (
            "bad-interpreter",
            "#!/no/such/interpreter\n",
            127,
            "required file not found",
        ),
        (
            "not-a-program",
            "\x7fELF and then nothing",
            126,
            "exec format error",
        ),
    ] {
        let f = d.join(name);
        std::fs::write(&f, body).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
        let o = capture(d, &[], &[f.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(code), "{name}: {err}");
        assert_eq!(
            err.trim_end(),
            format!("scapbridge: error: cannot run {}: {words}", f.display()),
            "{name}"
        );
    }
}

#[test]
fn alert_exit_makes_a_fired_rule_win() {
    if !probe_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rules = d.join("rules.yaml");
    std::fs::write(
        &rules,
        "- rule: cat reads the hostname\n  desc: test\n  condition: evt.type in (open, openat) and evt.dir=< and proc.name=cat and fd.name=/etc/hostname\n  output: \"cat read %fd.name\"\n  priority: WARNING\n",
    )
    .unwrap();
    let cmd = ["sh", "-c", "cat /etc/hostname >/dev/null; exit 7"];
    let r = rules.to_str().unwrap();
    let o = capture(d, &["--rules", r, "--alerts", "/dev/null"], &cmd);
    assert_eq!(
        o.status.code(),
        Some(7),
        "without --alert-exit: {}",
        stderr(&o)
    );
    let o = capture(
        d,
        &["--rules", r, "--alerts", "/dev/null", "--alert-exit"],
        &cmd,
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "with --alert-exit: {}",
        stderr(&o)
    );
    // No alert: the command's status, --alert-exit or not.
    let o = capture(
        d,
        &["--rules", r, "--alerts", "/dev/null", "--alert-exit"],
        &["sh", "-c", "exit 5"],
    );
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
}

/// `capture -- CMD` started by a shell that exits at once (nohup, a CI
/// runner's step): its process group turns orphaned while the command is
/// held for the probe, and the kernel sends a group with a stopped member
/// SIGHUP and SIGCONT. That SIGCONT let the command run before the probe
/// attached: a capture of 0 events, exit 0 (seen twice in 91 runs of two
/// loops started with `(nohup … &)`, each time as the shell that started
/// the loop exited; this test reproduced it every time).
#[test]
fn a_command_held_in_an_orphaned_process_group_is_captured() {
    if !probe_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cap, log) = (dir.path().join("c.scap"), dir.path().join("log"));
    // A session of its own, the capture in a job (a process group of its
    // own) whose shell exits 0.2 s later, while the probe loads; SIGHUP
    // ignored, as nohup does.
    let script = r#"set -m; ( trap '' HUP; "$0" capture -i scapbridge-syscalls -w "$1" -- cat /etc/hostname > "$2" 2>&1 & sleep 0.2 ); sleep 0.1"#;
    let o = run(std::process::Command::new("setsid")
        .args(["bash", "-c", script])
        .arg(scapbridge_bin())
        .args([&cap, &log]));
    assert!(o.status.success(), "{}", stderr(&o));
    // The capture outlives the shell: wait for its summary.
    let t = std::time::Instant::now();
    let summary = loop {
        let s = std::fs::read_to_string(&log).unwrap_or_default();
        if s.contains("command ") || t.elapsed().as_secs() > 120 {
            break s;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(summary.contains("exited with exit status: 0"), "{summary}");
    let evs = events(&cap, false).unwrap();
    let execs = evs
        .iter()
        .filter(|e| {
            scapbridge_formats::schema::event_info(e.event_type).is_some_and(|i| i.name == "execve")
        })
        .count();
    assert_eq!(
        execs,
        1,
        "the command's execve, of {} events: {summary}",
        evs.len()
    );
}

#[test]
fn the_command_is_execd_directly_and_n_counts_events() {
    if !probe_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = capture(d, &[], &["true"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let evs = events(&d.join("c.scap"), false).unwrap();
    let execs: Vec<_> = evs
        .iter()
        .filter(|e| {
            scapbridge_formats::schema::event_info(e.event_type).is_some_and(|i| i.name == "execve")
        })
        .collect();
    // One execve, the command's own, first of the traced events: no shell
    // trying each PATH entry before it.
    assert_eq!(execs.len(), 1, "execve events: {}", execs.len());
    let res = i64::from_le_bytes(execs[0].params[0][..8].try_into().unwrap());
    assert_eq!(res, 0, "the execve succeeded");
    let o = capture(d, &["-n", "5"], &["ls", "/"]);
    assert!(o.status.success(), "-n 5: {}", stderr(&o));
    assert_eq!(events(&d.join("c.scap"), false).unwrap().len(), 5, "-n 5");
}

#[test]
fn a_mistyped_option_is_named_with_the_one_meant() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.scap");
    for (args, like) in [
        (vec!["--interace", "scapbridge-replay"], "--interface"),
        (
            vec!["-i", "scapbridge-syscalls", "--buffersize", "8"],
            "--buffer-size",
        ),
        (
            vec!["-i", "scapbridge-replay", "--speeed", "max"],
            "--speed",
        ),
        // One letter off a short name.
        (vec!["-i", "scapbridge-replay", "--cout", "3"], "--count"),
        (vec!["-i", "scapbridge-replay", "--fille", "x"], "--file"),
    ] {
        // With the output given, and without: the typo is named first (it
        // is often why the output or the interface seems missing).
        for with_output in [true, false] {
            let mut c = scapbridge();
            c.arg("capture").args(&args);
            if with_output {
                c.arg("-w").arg(&out);
            }
            let o = run(&mut c);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
            let err = stderr(&o);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(
                err.contains(&format!("did you mean '{like}'?")),
                "{args:?} (output given: {with_output}): {err}"
            );
        }
    }
    // The help of an interface we do not have is an error naming it.
    let o = run(scapbridge().args(["capture", "-i", "scapbridge-sycalls", "--help"]));
    assert_eq!(o.status.code(), Some(2), "{:?}", stdout_lines(&o));
    assert!(
        stderr(&o).starts_with("scapbridge: error: unknown interface 'scapbridge-sycalls'"),
        "{}",
        stderr(&o)
    );
    // Nothing close: no guess.
    let o = run(scapbridge()
        .args(["capture", "-i", "scapbridge-replay", "--zzz"])
        .arg("-w")
        .arg(&out));
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).contains("did you mean"), "{}", stderr(&o));
}

#[test]
fn help_of_one_interface_shows_its_options_only() {
    let all = run(scapbridge().args(["capture", "--help"]));
    assert!(all.status.success());
    let all = String::from_utf8_lossy(&all.stdout).into_owned();
    let one = run(scapbridge().args(["capture", "-i", "scapbridge-replay", "--help"]));
    assert!(one.status.success());
    let one = String::from_utf8_lossy(&one.stdout).into_owned();
    assert!(one.contains("Options of scapbridge-replay"), "{one}");
    assert!(one.contains("--speed"), "{one}");
    assert!(
        one.contains("Options of every interface"),
        "the rules options: {one}"
    );
    for other in [
        "Options of scapbridge-ssh",
        "Options of scapbridge-cloudtrail",
        "--remote-host",
    ] {
        assert!(!one.contains(other), "{other} in the replay help");
        assert!(all.contains(other), "{other} missing from the full help");
    }
    assert!(
        one.lines().count() * 2 < all.lines().count(),
        "{} vs {} lines",
        one.lines().count(),
        all.lines().count()
    );
}

#[test]
fn binary_data_is_not_written_to_a_terminal() {
    if !common::have_fixtures() {
        return;
    }
    if !have("script") {
        return;
    }
    // `script` gives the capture a terminal as its standard output.
    let cmd = format!(
        "{} capture -i scapbridge-replay --file {} -w -",
        scapbridge_bin().display(),
        scap_dir().join("falco_cat_write.scap").display()
    );
    let o = run(std::process::Command::new("script").args(["-qec", &cmd, "/dev/null"]));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("standard output redirected"), "{out}");
    assert!(
        !out.contains("\u{1a}\u{2b}\u{3c}\u{4d}"),
        "the section header reached the terminal"
    );
}
