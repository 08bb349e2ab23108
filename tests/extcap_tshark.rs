//! The extcap interfaces as tshark 4.0.17 drives them, with scapbridge
//! installed by `install/install.sh` in a temporary HOME: the interface
//! list, a replay equal to the fixture, --duration, wrong values, capture
//! filters, live syscalls and CloudTrail logs.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::extcap::{
    assert_same, f, interface_names, query, wait_with_deadline, whole_capture_events,
};
use common::{events, have, scap_dir, scapbridge_bin, sysdig_lines, tshark_frames};

/// A temporary HOME with scapbridge installed by `install/install.sh`.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../install/install.sh");
        let o = Command::new("bash")
            .arg(&script)
            .arg("--extcap-only")
            .env("HOME", dir.path())
            .env_remove("XDG_CONFIG_HOME")
            .env("SCAPBRIDGE_BIN", scapbridge_bin())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "install.sh: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let said = String::from_utf8_lossy(&o.stdout);
        for d in [
            ".config/wireshark/extcap",
            ".local/lib/wireshark/extcap",
            ".local/lib/stratoshark/extcap",
        ] {
            assert!(
                dir.path().join(d).join("scapbridge").is_file(),
                "{d} missing; install.sh said:\n{said}"
            );
        }
        Home { dir }
    }

    fn tshark(&self) -> Command {
        let mut c = Command::new("tshark");
        c.env("HOME", self.dir.path())
            .env_remove("XDG_CONFIG_HOME")
            .env("TZ", "UTC")
            .current_dir(self.dir.path());
        c
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn run_tshark(mut c: Command, limit: Duration) -> Output {
    let child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_with_deadline(child, limit)
}

fn pref(name: &str, value: &str) -> String {
    format!("extcap.scapbridge_replay.{name}:{value}")
}

#[test]
fn tshark_lists_our_interfaces_after_install() {
    if !have("tshark") {
        return;
    }
    let home = Home::new();
    let o = run_tshark(
        {
            let mut c = home.tshark();
            c.arg("-D");
            c
        },
        Duration::from_secs(60),
    );
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    for name in interface_names() {
        let display = query(&["--extcap-interfaces"])
            .into_iter()
            .find(|s| s.keyword == "interface" && f(s, "value") == name)
            .unwrap();
        let want = format!("{name} ({})", f(&display, "display"));
        assert!(
            out.lines()
                .any(|l| l.split_once(". ").is_some_and(|(_, rest)| rest == want)),
            "tshark -D lacks {want:?}:\n{out}"
        );
    }
}

#[test]
fn tshark_replay_capture_equals_the_fixture() {
    if !common::have_fixtures() {
        return;
    }
    if !have("tshark") || !have("sysdig") {
        return;
    }
    let home = Home::new();
    for name in [
        "falco_cat_write",
        "falco_connect_localhost",
        "libs_e2e_curl_google",
        "libs_e2e_single_ipv6_conn",
    ] {
        let fixture = scap_dir().join(format!("{name}.scap"));
        let out = home.path(&format!("{name}.out.scap"));
        let mut c = home.tshark();
        c.args(["-i", "scapbridge-replay", "-o"])
            .arg(pref("file", fixture.to_str().unwrap()));
        c.args(["-o", &pref("speed", "max"), "-w"]).arg(&out);
        let o = run_tshark(c, Duration::from_secs(120));
        assert!(
            o.status.success(),
            "{name}: tshark failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            !String::from_utf8_lossy(&o.stderr).contains("Error by extcap"),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        // The events dumpcap stored are the fixture's, byte for byte.
        let want = events(&fixture, true).unwrap();
        let got = events(&out, true).unwrap();
        assert_same(&got, &want, &format!("{name}: events"));
        // sysdig reads dumpcap's file and prints what it prints for the fixture.
        let (a, ok_a) = sysdig_lines(&fixture);
        let (b, ok_b) = sysdig_lines(&out);
        assert!(ok_a && ok_b);
        assert_same(&a, &b, &format!("{name}: sysdig -r output"));
        let (ta, _) = tshark_frames(&fixture);
        let (tb, ok) = tshark_frames(&out);
        assert!(ok);
        if common::uses_v1_event_blocks(&fixture) {
            let types = |v: &[(String, String)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
            assert_same(
                &types(&ta),
                &types(&tb),
                &format!("{name}: tshark -r event types"),
            );
        } else {
            assert_same(&ta, &tb, &format!("{name}: tshark -r event types and Info"));
        }
    }
}

fn our_processes(marker: &str) -> Vec<String> {
    let o = Command::new("pgrep")
        .args(["-af", marker])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.contains("scapbridge") && !l.contains("pgrep"))
        .map(str::to_string)
        .collect()
}

#[test]
fn tshark_duration_stops_an_endless_replay_cleanly() {
    if !common::have_fixtures() {
        return;
    }
    if !have("tshark") {
        return;
    }
    let home = Home::new();
    // A copy under the temp HOME makes the extcap's command line unique.
    let fixture = home.path("endless-input.scap");
    std::fs::copy(scap_dir().join("falco_cat_write.scap"), &fixture).unwrap();
    let out = home.path("endless.scap");
    for speed in ["max", "1"] {
        let mut c = home.tshark();
        c.args(["-i", "scapbridge-replay", "-o"])
            .arg(pref("file", fixture.to_str().unwrap()));
        c.args([
            "-o",
            &pref("loop", "true"),
            "-o",
            &pref("speed", speed),
            "-a",
            "duration:2",
            "-w",
        ])
        .arg(&out);
        let o = run_tshark(c, Duration::from_secs(60));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success(),
            "speed {speed}: tshark rc {:?}: {err}",
            o.status
        );
        assert!(!err.contains("Error by extcap"), "speed {speed}: {err}");
        // tshark waits for the extcap; give the process table a moment anyway.
        let mut left = our_processes(fixture.to_str().unwrap());
        for _ in 0..50 {
            if left.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
            left = our_processes(fixture.to_str().unwrap());
        }
        assert!(left.is_empty(), "scapbridge still running: {left:?}");
        let n = whole_capture_events(&out);
        if speed == "max" {
            assert!(
                n > 345,
                "a loop at max speed for 2 s replays the 345 events more than once (got {n})"
            );
        } else {
            assert!(
                n > 0 && n < 345 * 2,
                "recorded pace: the first seconds of the file (got {n})"
            );
        }
    }
}

#[test]
fn tshark_shows_one_clear_line_for_wrong_values() {
    if !common::have_fixtures() {
        return;
    }
    if !have("tshark") {
        return;
    }
    let home = Home::new();
    let fixture = scap_dir().join("falco_cat_write.scap");
    let fx = fixture.to_str().unwrap();
    let cases: &[(&[String], &str)] = &[
        (
            &[pref("file", "/nonexistent/x.scap")],
            "cannot open /nonexistent/x.scap",
        ),
        (
            &[pref("file", fx), pref("speed", "fast")],
            "bad value 'fast' for --speed",
        ),
        (
            &[pref(
                "file",
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("Cargo.toml")
                    .to_str()
                    .unwrap(),
            )],
            "not a",
        ),
        (
            &[pref("file", fx), "-f".into(), "evt.typ=open".into()],
            "capture filter 'evt.typ=open': unknown field 'evt.typ' (did you mean 'evt.type'?) at column 1",
        ),
        (&[], "missing required option --file"),
    ];
    for (args, want) in cases {
        let mut c = home.tshark();
        c.args(["-i", "scapbridge-replay"]);
        for a in *args {
            if a.starts_with('-') || a.starts_with("evt.") || a.starts_with("proc.") {
                c.arg(a);
            } else {
                c.args(["-o", a]);
            }
        }
        c.args(["-w"]).arg(home.path("err.scap"));
        let o = run_tshark(c, Duration::from_secs(30));
        let err = String::from_utf8_lossy(&o.stderr);
        let ours: Vec<&str> = err
            .lines()
            .filter(|l| l.contains("scapbridge: error:"))
            .collect();
        assert_eq!(
            ours.len(),
            1,
            "{args:?}: one line from scapbridge expected in:\n{err}"
        );
        assert!(
            ours[0].contains("Error by extcap pipe: scapbridge: error: "),
            "{err}"
        );
        assert!(
            ours[0].contains(want),
            "{args:?}: wanted {want:?} in {:?}",
            ours[0]
        );
    }
}

#[test]
fn tshark_capture_filter_goes_to_the_extcap() {
    if !common::have_fixtures() {
        return;
    }
    if !have("tshark") || !have("sysdig") {
        return;
    }
    let home = Home::new();
    let fixture = scap_dir().join("falco_cat_write.scap");
    let out = home.path("filtered.scap");
    let mut c = home.tshark();
    c.args([
        "-i",
        "scapbridge-replay",
        "-f",
        "evt.type=open and evt.dir='<'",
        "-o",
    ])
    .arg(pref("file", fixture.to_str().unwrap()));
    c.args(["-o", &pref("speed", "max"), "-w"]).arg(&out);
    let o = run_tshark(c, Duration::from_secs(60));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (want, _) = {
        let o = Command::new("sysdig")
            .arg("-r")
            .arg(&fixture)
            .arg("evt.type=open and evt.dir='<'")
            .env("TZ", "UTC")
            .output()
            .unwrap();
        (String::from_utf8_lossy(&o.stdout).lines().count(), ())
    };
    let got = events(&out, true).unwrap();
    assert_eq!(got.len(), want, "open exits, as sysdig counts them");
    assert!(
        got.iter().all(|e| e.event_type == 3),
        "only open exits (type 3)"
    );
}

/// `tshark -i scapbridge-syscalls -a duration:10` while a known workload runs
/// yields a file with that workload's events.
#[test]
fn tshark_captures_live_syscalls() {
    if !have("tshark") {
        return;
    }
    if let Err(e) = scapbridge_probe::check_available() {
        assert!(!common::ci(), "the probe must run under CI=true, but: {e}");
        eprintln!("skipping: eBPF probe unavailable here: {e}");
        return;
    }
    let home = Home::new();
    let marker = home.path(&format!("live-marker-{}.txt", std::process::id()));
    std::fs::write(&marker, "marker\n").unwrap();
    let out = home.path("live.scap");
    // The workload outlives the capture: cat of the marker every 20 ms.
    let mut work = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "i=0; while [ $i -lt 1000 ]; do cat '{}' >/dev/null; i=$((i+1)); sleep 0.02; done",
            marker.display()
        ))
        .spawn()
        .unwrap();
    let mut c = home.tshark();
    c.args(["-i", "scapbridge-syscalls", "-o"])
        .arg("extcap.scapbridge_syscalls.syscalls:openat,execve,close")
        // 10 s: under load the probe takes seconds to load, and a 3 s
        // capture then held no event at all.
        .args(["-a", "duration:10", "-w"])
        .arg(&out);
    let o = run_tshark(c, Duration::from_secs(60));
    let _ = work.kill();
    let _ = work.wait();
    assert!(
        o.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let evs = events(&out, false).expect("tshark's file reads");
    let name = marker.to_str().unwrap().as_bytes();
    let opens = evs
        .iter()
        .filter(|e| {
            e.event_type == 307
                && e.params
                    .get(2)
                    .is_some_and(|p| p.strip_suffix(b"\0") == Some(name))
        })
        .count();
    let cats = evs
        .iter()
        .filter(|e| e.event_type == 293 && e.params.get(1).is_some_and(|p| p.starts_with(b"cat")))
        .count();
    // Up to 10 s at one cat per 20 ms: dozens of each, whatever the load.
    assert!(
        opens >= 5,
        "{opens} openat of the marker in {} events",
        evs.len()
    );
    assert!(cats >= 5, "{cats} execve of cat");
    let other: std::collections::BTreeSet<u16> = evs
        .iter()
        .map(|e| e.event_type)
        // 148/149: the drop marks a loaded machine's lost events leave in
        // the stream, as sysdig's do.
        .filter(|t| ![306, 307, 292, 293, 4, 5, 186, 148, 149].contains(t))
        .collect();
    assert!(
        other.is_empty(),
        "only the asked syscalls and process exits, but also event types {other:?}"
    );
}

#[test]
fn tshark_captures_cloudtrail_logs_through_the_extcap() {
    if !common::have_fixtures() {
        return;
    }
    if !have("tshark") {
        return;
    }
    let home = Home::new();
    let logs = common::fixtures().join("cloudtrail");
    let out = home.path("ct.scap");
    let mut c = home.tshark();
    c.args(["-i", "scapbridge-cloudtrail", "-o"])
        .arg(format!(
            "extcap.scapbridge_cloudtrail.pluginsource:{}",
            logs.display()
        ))
        .arg("-w")
        .arg(&out);
    let o = run_tshark(c, Duration::from_secs(120));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "tshark: {err}");
    assert!(!err.contains("Error by extcap"), "{err}");
    // dumpcap stored every record of the four log files as a CloudTrail
    // plugin event, in time order.
    let evs = events(&out, false).unwrap();
    assert_eq!(evs.len(), 14, "{err}");
    assert!(evs
        .iter()
        .all(|e| e.event_type == 322 && e.params[0] == 2u32.to_le_bytes()));
    assert!(evs.windows(2).all(|w| w[0].ts <= w[1].ts));
}
