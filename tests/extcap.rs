//! The extcap protocol, as Wireshark's parser reads it and as tshark 4.0.17
//! drives it; the replay interface; headless capture; stopping; toolbar
//! control pipes.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{events, have, scap_dir, scapbridge, scapbridge_bin, sysdig_lines, tshark_frames};
use scapbridge_formats::{Item, ScapReader};
use scapbridge_tests::CaptureArgs;

// ---------------------------------------------------------------- grammar

/// One sentence as Wireshark's extcap parser reads it (`extcap_parser.c`):
/// a keyword, whitespace, then `{key=value}` fields where a value runs to the
/// first `}` that is followed by `{`, the end of the line or whitespace.
#[derive(Debug)]
struct Sentence {
    keyword: String,
    fields: BTreeMap<String, String>,
}

fn parse_sentence(line: &str) -> Result<Sentence, String> {
    let (kw, rest) = line
        .split_once(' ')
        .ok_or_else(|| format!("no fields: {line:?}"))?;
    if !["extcap", "interface", "dlt", "arg", "value", "control"].contains(&kw) {
        return Err(format!("unknown keyword {kw:?}"));
    }
    let mut fields = BTreeMap::new();
    let mut s = rest;
    while !s.is_empty() {
        let body = s
            .strip_prefix('{')
            .ok_or_else(|| format!("expected '{{' at {s:?} in {line:?}"))?;
        let eq = body.find('=').ok_or_else(|| format!("no '=' in {s:?}"))?;
        let key = &body[..eq];
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphabetic() || c == '_' || c == '-')
        {
            return Err(format!("bad key {key:?} in {line:?}"));
        }
        let after = &body[eq + 1..];
        // The value ends at the first '}' followed by '{' or the end.
        let mut end = None;
        for (i, c) in after.char_indices() {
            if c == '}' && (after[i + 1..].is_empty() || after[i + 1..].starts_with('{')) {
                end = Some(i);
                break;
            }
        }
        let end = end.ok_or_else(|| format!("unterminated value in {line:?}"))?;
        let value = &after[..end];
        if value.contains("}{") {
            return Err(format!("value contains '}}{{': {value:?}"));
        }
        if fields.insert(key.to_string(), value.to_string()).is_some() {
            return Err(format!("duplicate key {key} in {line:?}"));
        }
        s = &after[end + 1..];
    }
    Ok(Sentence {
        keyword: kw.to_string(),
        fields,
    })
}

/// Runs a query call; checks exit 0 and an empty stderr; parses every line.
fn query(args: &[&str]) -> Vec<Sentence> {
    let o = scapbridge().args(args).output().unwrap();
    assert!(o.status.success(), "{args:?} exited {:?}", o.status);
    assert!(
        o.stderr.is_empty(),
        "{args:?} wrote to stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8(o.stdout).expect("UTF-8 output");
    out.lines()
        .map(|l| parse_sentence(l).unwrap_or_else(|e| panic!("{args:?}: {e}")))
        .collect()
}

fn f<'a>(s: &'a Sentence, k: &str) -> &'a str {
    s.fields
        .get(k)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("{} sentence without {k}: {:?}", s.keyword, s.fields))
}

fn interface_names() -> Vec<String> {
    query(&["--extcap-interfaces", "--extcap-version=4.0"])
        .iter()
        .filter(|s| s.keyword == "interface")
        .map(|s| f(s, "value").to_string())
        .collect()
}

#[test]
fn interfaces_answer_has_the_exact_grammar() {
    let s = query(&["--extcap-interfaces", "--extcap-version=4.0"]);
    assert_eq!(
        s[0].keyword, "extcap",
        "the extcap sentence must come first"
    );
    assert!(!f(&s[0], "version").is_empty());
    let ifaces: Vec<&Sentence> = s.iter().filter(|x| x.keyword == "interface").collect();
    assert!(ifaces.iter().any(|i| f(i, "value") == "scapbridge-replay"));
    for i in &ifaces {
        assert!(!f(i, "display").is_empty());
    }
    let controls: Vec<&Sentence> = s.iter().filter(|x| x.keyword == "control").collect();
    let types: Vec<&str> = controls.iter().map(|c| f(c, "type")).collect();
    assert!(
        types.contains(&"button") && types.contains(&"boolean"),
        "{types:?}"
    );
    assert!(
        controls
            .iter()
            .any(|c| c.fields.get("role").is_some_and(|r| r == "logger")),
        "a log window"
    );
    let mut numbers: Vec<u32> = controls
        .iter()
        .map(|c| f(c, "number").parse().unwrap())
        .collect();
    numbers.dedup();
    assert_eq!(numbers.len(), controls.len(), "control numbers are unique");
    // Only these sentence kinds belong in this answer.
    assert!(s
        .iter()
        .all(|x| ["extcap", "interface", "control", "value"].contains(&x.keyword.as_str())));
}

#[test]
fn config_answer_has_the_exact_grammar_for_every_interface() {
    const TYPES: &[&str] = &[
        "integer",
        "unsigned",
        "long",
        "double",
        "string",
        "password",
        "boolean",
        "boolflag",
        "fileselect",
        "selector",
        "radio",
        "multicheck",
    ];
    for iface in interface_names() {
        let s = query(&["--extcap-config", "--extcap-interface", &iface]);
        let mut next_arg = 0u32;
        let mut args: BTreeMap<u32, (String, String)> = BTreeMap::new();
        let mut defaults: BTreeMap<u32, u32> = BTreeMap::new();
        for x in &s {
            match x.keyword.as_str() {
                "arg" => {
                    let n: u32 = f(x, "number").parse().unwrap();
                    assert_eq!(n, next_arg, "{iface}: args are numbered in order");
                    next_arg += 1;
                    let call = f(x, "call");
                    assert!(
                        call.starts_with("--") && call.len() > 2,
                        "{iface}: call {call:?}"
                    );
                    assert!(!f(x, "display").is_empty());
                    let ty = f(x, "type");
                    assert!(TYPES.contains(&ty), "{iface}: type {ty}");
                    args.insert(n, (call.to_string(), ty.to_string()));
                }
                "value" => {
                    let n: u32 = f(x, "arg").parse().unwrap();
                    let (_, ty) = args
                        .get(&n)
                        .unwrap_or_else(|| panic!("{iface}: value before its arg {n}"));
                    assert!(
                        ["selector", "radio", "multicheck"].contains(&ty.as_str()),
                        "{iface}: value for a {ty}"
                    );
                    assert_eq!(n + 1, next_arg, "{iface}: value lines follow their arg");
                    assert!(!f(x, "value").is_empty() && !f(x, "display").is_empty());
                    if x.fields.get("default").is_some_and(|d| d == "true") {
                        *defaults.entry(n).or_default() += 1;
                    }
                }
                k => panic!("{iface}: unexpected {k} sentence in --extcap-config"),
            }
        }
        for (n, (call, ty)) in &args {
            if ty == "selector" {
                assert_eq!(
                    defaults.get(n),
                    Some(&1),
                    "{iface}: selector {call} has exactly one default value"
                );
            }
        }
        let calls: Vec<&str> = args.values().map(|(c, _)| c.as_str()).collect();
        assert!(
            calls.contains(&"--log-level") && calls.contains(&"--log-file"),
            "{iface}: the standard debug options"
        );
    }
}

#[test]
fn dlts_reload_and_version_answers() {
    for iface in interface_names() {
        let s = query(&["--extcap-dlts", "--extcap-interface", &iface]);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].keyword, "dlt");
        assert_eq!(f(&s[0], "number"), "147");
        assert_eq!(f(&s[0], "name"), iface);
        let r = query(&[
            "--extcap-config",
            "--extcap-interface",
            &iface,
            "--extcap-reload-option",
            "log-level",
        ]);
        assert!(
            !r.is_empty() && r.iter().all(|x| x.keyword == "value"),
            "reload answers only value lines"
        );
    }
    let v = query(&["--extcap-version"]);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].keyword, "extcap");
}

#[test]
fn query_calls_tolerate_unknown_options_and_both_option_forms() {
    let plain = query(&["--extcap-interfaces", "--extcap-version=4.0"]).len();
    assert_eq!(
        query(&[
            "--extcap-interfaces",
            "--bogus",
            "1",
            "--extcap-version",
            "4.0",
            "--log-level=debug",
            "--debug"
        ])
        .len(),
        plain
    );
    let cfg = query(&["--extcap-config", "--extcap-interface", "scapbridge-replay"]).len();
    assert_eq!(
        query(&[
            "--extcap-config",
            "--extcap-interface=scapbridge-replay",
            "--frob=1",
            "--speed",
            "2"
        ])
        .len(),
        cfg
    );
    assert_eq!(
        query(&[
            "--extcap-interface",
            "scapbridge-replay",
            "--whatever",
            "--extcap-dlts"
        ])
        .len(),
        1
    );
    // An interface we do not have: an empty answer, still exit 0.
    assert!(query(&["--extcap-config", "--extcap-interface", "nope"]).is_empty());
    assert!(query(&[
        "--extcap-cleanup-postkill",
        "--extcap-interface",
        "scapbridge-replay"
    ])
    .is_empty());
}

#[test]
fn capture_filter_check_answers_on_stdout() {
    // Valid (empty) filter: nothing at all.
    let o = scapbridge()
        .args([
            "--extcap-capture-filter",
            "",
            "--extcap-interface",
            "scapbridge-replay",
        ])
        .output()
        .unwrap();
    assert!(o.status.success() && o.stdout.is_empty() && o.stderr.is_empty());
    let o = scapbridge()
        .args([
            "--extcap-capture-filter",
            "evt.type=open and proc.name in (cat, bash)",
            "--extcap-interface",
            "scapbridge-replay",
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success() && o.stdout.is_empty() && o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // Invalid: the first stdout line is shown as the error, with every problem.
    let o = scapbridge()
        .args([
            "--extcap-capture-filter",
            "proc.nme=cat and fd.num = x",
            "--extcap-interface",
            "scapbridge-replay",
        ])
        .output()
        .unwrap();
    assert!(o.status.success() && o.stderr.is_empty());
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("unknown field 'proc.nme' at column 1") && out.contains("'x' is not a number"),
        "{out}"
    );
}

// ---------------------------------------------------------------- tshark

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

/// Waits for a child with a deadline (a hung tshark fails the test instead of
/// hanging CI), draining its pipes meanwhile; returns its output.
fn wait_with_deadline(mut child: Child, limit: Duration) -> Output {
    fn pump<R: Read + Send + 'static>(r: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut v);
            }
            v
        })
    }
    let out = pump(child.stdout.take());
    let err = pump(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "did not finish within {limit:?}; stderr: {}",
                String::from_utf8_lossy(&err.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Asserts two sequences are equal, showing only the first difference.
fn assert_same<T: PartialEq + std::fmt::Debug>(a: &[T], b: &[T], what: &str) {
    if let Some(i) = (0..a.len().min(b.len())).find(|&i| a[i] != b[i]) {
        panic!(
            "{what}: first difference at index {i}:\n  {:?}\n  {:?}",
            a[i], b[i]
        );
    }
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
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

fn whole_capture_events(path: &Path) -> usize {
    let mut r = ScapReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut n = 0;
    while let Some(i) = r
        .next_item()
        .unwrap_or_else(|e| panic!("{}: not whole: {e}", path.display()))
    {
        if matches!(i, Item::Event(_)) {
            n += 1;
        }
    }
    n
}

#[test]
fn tshark_duration_stops_an_endless_replay_cleanly() {
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
            "capture filter 'evt.typ=open': unknown field 'evt.typ' at column 1",
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

// ---------------------------------------------------------------- headless

fn capture(args: &[&str]) -> Output {
    let mut c = scapbridge();
    c.arg("capture").args(args);
    wait_with_deadline(
        c.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        Duration::from_secs(60),
    )
}

/// `scapbridge capture -i scapbridge-replay --file FILE` then `rest`.
fn replay(file: &str, rest: &[&str]) -> Output {
    let mut args = vec!["-i", "scapbridge-replay", "--file", file];
    args.extend_from_slice(rest);
    capture(&args)
}

#[test]
fn headless_capture_to_a_file_equals_the_fixture() {
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
    let dir = tempfile::tempdir().unwrap();
    let fixture = scap_dir().join("falco_cat_write.scap");
    let fx = fixture.to_str().unwrap();
    // --count, to standard output.
    let o = replay(fx, &["--speed", "max", "-c", "42", "-w", "-", "-q"]);
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
    let o = replay(
        fx,
        &[
            "--speed",
            "max",
            "--format",
            "pcapng",
            "-q",
            "-w",
            p.to_str().unwrap(),
        ],
    );
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
    let o = replay(
        fx,
        &[
            "--loop",
            "--speed",
            "max",
            "--duration",
            "700ms",
            "-w",
            p.to_str().unwrap(),
        ],
    );
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
    // A small tmpfs is a real full disk; it needs root (CI runs as root).
    if !nix_is_root() {
        assert!(!common::ci(), "CI runs as root");
        eprintln!("skipping: mounting a tmpfs needs root");
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
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let n = std::panic::catch_unwind(|| whole_capture_events(&out));
    let len = std::fs::metadata(&out).map(|m| m.len());
    let _ = Command::new("umount").arg(mnt).status();
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("No space left on device") && err.contains("cut back to"),
        "{err}"
    );
    let n = n.expect("the cut file reads to its end without error");
    assert!(n > 0, "whole blocks kept ({len:?} bytes)");
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

// ---------------------------------------------------------------- FIFO, signals, toolbar

fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

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
    let mut c = Command::new(scapbridge_bin());
    c.args([
        "--capture",
        "--extcap-interface",
        "scapbridge-replay",
        "--fifo",
    ])
    .arg(fifo);
    c.args(["--file", fixture.to_str().unwrap(), "--loop"])
        .args(extra);
    c.stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn kill(child: &Child, sig: &str) {
    assert!(common::signal(sig, child.id()));
}

#[test]
fn sigterm_and_sigint_stop_within_a_second_on_a_whole_block() {
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

#[test]
fn progress_only_on_a_terminal() {
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
        let mut c = Command::new(scapbridge_bin());
        c.args([
            "--capture",
            "--extcap-interface",
            "scapbridge-replay",
            "--fifo",
        ])
        .arg(&out);
        c.args([
            "--file",
            fx.to_str().unwrap(),
            "--speed",
            "max",
            "--loop",
            "--extcap-control-in",
        ]);
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
        let a = common::run(scapbridge().arg("read").arg("-A").arg(&fx).arg(flt));
        let b = common::run(scapbridge().arg("read").arg("-A").arg(&out));
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

#[test]
fn tshark_capture_filter_goes_to_the_extcap() {
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

/// `tshark -i scapbridge-syscalls -a duration:3` while a known workload runs
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
            "i=0; while [ $i -lt 500 ]; do cat '{}' >/dev/null; i=$((i+1)); sleep 0.02; done",
            marker.display()
        ))
        .spawn()
        .unwrap();
    let mut c = home.tshark();
    c.args(["-i", "scapbridge-syscalls", "-o"])
        .arg("extcap.scapbridge_syscalls.syscalls:openat,execve,close")
        .args(["-a", "duration:3", "-w"])
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
    // 3 s at one cat per 20 ms: dozens of each; at least a few survive any load.
    assert!(
        opens >= 5,
        "{opens} openat of the marker in {} events",
        evs.len()
    );
    assert!(cats >= 5, "{cats} execve of cat");
    assert!(
        !evs.iter()
            .any(|e| ![306, 307, 292, 293, 4, 5, 186].contains(&e.event_type)),
        "only the asked syscalls and process exits"
    );
}

/// `--rules` on a capture: alerts as `read --rules` gives them (Falco JSON
/// here), the events unchanged, the alerts as journal entries beside them in
/// pcapng (tshark shows them), and exit status 3 when a rule fired.
#[test]
fn capture_rules_alert_beside_the_events() {
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
        .arg("--alerts")
        .arg(&alerts)
        .arg("-w")
        .arg(&out)
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
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.yaml:3:"), "names the place: {err}");
    assert!(
        !dir.path().join("bad.scap").exists(),
        "nothing written on a set-up error"
    );
}

// ---------------------------------------------------------------- trigger

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
    if !nix_is_root() {
        assert!(!common::ci(), "CI runs as root");
        eprintln!("skipping: mounting a tmpfs needs root");
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

#[test]
fn tshark_captures_cloudtrail_logs_through_the_extcap() {
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
