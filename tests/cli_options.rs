//! The options sysdig and tshark users already type, on `scapbridge
//! capture`: `-D` lists the interfaces (tshark), `-M` stops after seconds
//! (sysdig), `-F` picks the output file type (tshark), `-s` the bytes of I/O
//! data per event (sysdig); and `--version` names the build. Each on a live
//! capture of our own probe (no third-party data).
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use scapbridge_formats::{Item, ScapReader};

#[test]
fn capture_d_lists_the_interfaces_as_list_does() {
    let d = run(scapbridge().args(["capture", "-D"]));
    let list = run(scapbridge().args(["capture", "--list"]));
    assert!(d.status.success(), "{}", stderr(&d));
    assert!(!d.stdout.is_empty());
    assert_eq!(d.stdout, list.stdout);
    let text = String::from_utf8_lossy(&d.stdout);
    for iface in [
        "scapbridge-replay",
        "scapbridge-ssh",
        "scapbridge-cloudtrail",
    ] {
        assert!(text.lines().any(|l| l.starts_with(iface)), "{text}");
    }
}

#[test]
fn version_names_the_commit_the_probe_and_the_layouts() {
    let o = run(scapbridge().arg("--version"));
    assert_version("scapbridge", &o);
    // The agent too, with the same commit.
    if cfg!(target_os = "linux") {
        let agent = run(std::process::Command::new(agent_bin()).arg("--version"));
        assert_version("scapbridge-agent", &agent);
        let commit = |o: &std::process::Output| {
            let t = String::from_utf8_lossy(&o.stdout).into_owned();
            t.split("(git ")
                .nth(1)
                .and_then(|r| r.split(')').next())
                .map(str::to_string)
        };
        assert_eq!(commit(&agent), commit(&o));
    }
}

fn assert_version(name: &str, o: &std::process::Output) {
    assert!(o.status.success(), "{name}: {}", stderr(o));
    let text = String::from_utf8_lossy(&o.stdout);
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("{name} {} (git ", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("\nprobe: "), "{text}");
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        assert!(text.contains("eBPF CO-RE object, "), "{text}");
    }
    assert!(
        text.contains("layouts: stratoshark") && text.contains("compat"),
        "{text}"
    );
}

#[test]
fn capture_m_stops_after_the_seconds() {
    let Some(dir) = probe_dir() else {
        return;
    };
    let out = dir.path().join("m.scap");
    let t = Instant::now();
    let o = run(syscalls_capture(None, &out).args(["--syscalls", "getpid", "-M", "1", "-q"]));
    let took = t.elapsed();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(20),
        "-M 1 took {took:?}"
    );
    events(&out, false).unwrap();
}

#[test]
fn capture_f_pcapng_writes_the_pcapng_section_as_format_does() {
    let Some(dir) = probe_dir() else {
        return;
    };
    // The section header's comment (option 1) is what pcapng adds.
    let comment = |p: &std::path::Path| -> Option<String> {
        let mut r = ScapReader::new(std::fs::File::open(p).unwrap()).unwrap();
        match r.next_item().unwrap() {
            Some(Item::Section(s)) => s
                .options
                .iter()
                .find(|(c, _)| *c == 1)
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned()),
            other => panic!("expected a section first, got {other:?}"),
        }
    };
    for (flag, pcapng) in [("pcapng", true), ("scap", false)] {
        let out = dir.path().join(format!("{flag}.scap"));
        let o = run(syscalls_capture(None, &out).args(["-F", flag, "-q", "--", "true"]));
        assert!(o.status.success(), "-F {flag}: {}", stderr(&o));
        let c = comment(&out);
        assert_eq!(c.is_some(), pcapng, "-F {flag}: section comment {c:?}");
        assert!(!events(&out, false).unwrap().is_empty());
    }
    let o = run(scapbridge().args([
        "capture",
        "-i",
        "scapbridge-syscalls",
        "-F",
        "pcap",
        "-w",
        "-",
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("scap or pcapng"), "{}", stderr(&o));
}

#[test]
fn capture_s_keeps_that_many_data_bytes() {
    let Some(dir) = probe_dir() else {
        return;
    };
    let data = dir.path().join("data.txt");
    std::fs::write(&data, "a".repeat(3000)).unwrap();
    let data = data.to_str().unwrap();
    for snaplen in [16usize, 200] {
        let out = dir.path().join(format!("s{snaplen}.scap"));
        let o = run(syscalls_capture(None, &out).args([
            "-s",
            &snaplen.to_string(),
            "-q",
            "--",
            "cat",
            data,
        ]));
        assert!(o.status.success(), "-s {snaplen}: {}", stderr(&o));
        // cat's read of the file and its write of it: their data
        // parameter is the file's first bytes, as many as the snaplen.
        let longest = events(&out, false)
            .unwrap()
            .iter()
            .flat_map(|e| e.params.iter())
            .filter(|p| !p.is_empty() && p.iter().all(|b| *b == b'a'))
            .map(Vec::len)
            .max();
        assert_eq!(longest, Some(snaplen), "-s {snaplen}");
    }
}

#[test]
fn unknown_short_options_are_named_as_typed() {
    // A capture to /dev/null with one more option.
    let capture_with = |more: &[&str]| {
        run(scapbridge()
            .args(["capture", "-i", "scapbridge-syscalls", "-w", "/dev/null"])
            .args(more))
    };
    // Before: `-v` came back as "unknown option '---v'".
    for (given, named) in [
        ("-v", "'-v'"),
        ("-vv", "'-v'"),
        ("--verbose", "'--verbose'"),
    ] {
        let o = capture_with(&[given]);
        assert_eq!(o.status.code(), Some(2), "{given}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!("unknown option {named}")) && !err.contains("---"),
            "{given}: {err}"
        );
    }
    let o = capture_with(&["-a", "filesize:10"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("duration:SECONDS or packets:COUNT"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn capture_a_is_tsharks_autostop() {
    let Some(dir) = probe_dir() else {
        return;
    };
    let out = dir.path().join("a.scap");
    let o =
        run(syscalls_capture(None, &out).args(["--syscalls", "getpid", "-a", "duration:1", "-q"]));
    assert!(o.status.success(), "{}", stderr(&o));
    events(&out, false).unwrap();
    let o = run(syscalls_capture(None, &out).args(["-a", "packets:7", "-q"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let n = events(&out, false).unwrap().len();
    let o = run(syscalls_capture(None, &out).args(["-c", "7", "-q"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        n,
        events(&out, false).unwrap().len(),
        "-a packets:7 stops as -c 7 does"
    );
}

/// Every subcommand refuses a bad command line in the same style as
/// `capture`: one line, `scapbridge: error: …`, with clap's suggestion
/// where it has one, exit 2 (before: clap's five-line block).
#[test]
fn bad_command_lines_get_one_line_everywhere() {
    let cases: &[(&[&str], &str)] = &[
        (&["read", "-vv", "x.scap"], "'-v'"),
        (&["read", "--jsn", "x.scap"], "did you mean '--json'"),
        (&["read"], "<FILE>"),
        (&["convert", "x.scap"], "--write"),
        (&["info", "--bogus"], "'--bogus'"),
        (&["rules", "chek"], "did you mean 'check'"),
        (&["bogus"], "'bogus'"),
        (&["info", "--top", "threads", "x.scap"], "one of: procs"),
        (&["fields", "--source", "k8s"], "no fields of source 'k8s'"),
        (
            &["read", "x.scap", "-T", "pdml"],
            "tshark's -T takes fields, json or text",
        ),
        (
            &[
                "capture",
                "-i",
                "scapbridge-syscalls",
                "-w",
                "/dev/null",
                "--interace",
                "x",
            ],
            "did you mean",
        ),
    ];
    for (args, says) in cases {
        let o = run(scapbridge().args(*args));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("scapbridge: error: ") && err.contains(says),
            "{args:?}: {err}"
        );
    }
    // A rules file that cannot be read: named as a compiler names a file
    // it cannot open (no made-up line and column), exit 1 as any bad rules.
    let o = run(scapbridge().args(["rules", "check", "/nonexistent/x.yaml"]));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("/nonexistent/x.yaml: error: cannot read: ") && err.lines().count() == 1,
        "{err}"
    );
}

/// A scratch folder for a test of the probe, or `None` (the test skips,
/// saying why) where there is no probe to run.
fn probe_dir() -> Option<tempfile::TempDir> {
    (need_root("the probe needs root") && probe_available()).then(|| tempfile::tempdir().unwrap())
}
