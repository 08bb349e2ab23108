//! The extcap protocol's answers as Wireshark's parser reads them: the
//! interface list, each interface's config, DLTs, reload and version
//! answers, query calls with unknown options, the capture filter check.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::extcap::{f, interface_names, query, Sentence};
use common::scapbridge;

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
        out.contains("unknown field 'proc.nme' (did you mean 'proc.name'?) at column 1")
            && out.contains("'x' is not a number"),
        "{out}"
    );
}
