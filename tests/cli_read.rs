//! `scapbridge read` with the habits of sysdig users (issue "An analyst's
//! tool"): `-r FILE`, `-n N` counting as sysdig counts, and `-j` with
//! sysdig's JSON keys, checked against sysdig 0.29 itself on every fixture.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::process::Command;

use common::*;

#[test]
fn read_j_has_sysdigs_keys_and_values_on_every_fixture() {
    if !common::have_fixtures() {
        return;
    }
    if !have("sysdig") {
        return;
    }
    let json = |o: &std::process::Output| -> Vec<serde_json::Value> {
        stdout_lines(o)
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let mut failures = Vec::new();
    for f in real_fixtures() {
        let ours = run(scapbridge().arg("read").arg("-r").arg(&f).arg("-j"));
        assert!(ours.status.success(), "{}: {}", f.display(), stderr(&ours));
        let theirs = run(Command::new("sysdig").arg("-r").arg(&f).arg("-j"));
        let (ours, theirs) = (json(&ours), json(&theirs));
        // Every line of both has sysdig's keys, no more, no fewer.
        let want = theirs.first().map(keys);
        for v in ours.iter().chain(&theirs) {
            if want.as_ref().is_some_and(|w| *w != keys(v)) {
                failures.push(format!(
                    "{}: keys {:?} vs sysdig {want:?}",
                    stem(&f),
                    keys(v)
                ));
                break;
            }
        }
        // Where our text equals sysdig's line for line (tests/fixtures.rs
        // says why the others differ), the JSON values do too.
        if !SAME_AS_SYSDIG.contains(&stem(&f).as_str()) {
            continue;
        }
        if ours.len() != theirs.len() {
            failures.push(format!(
                "{}: {} lines, sysdig {}",
                stem(&f),
                ours.len(),
                theirs.len()
            ));
            continue;
        }
        for (a, b) in ours.iter().zip(&theirs) {
            if a != b {
                failures.push(format!("{}: {a} vs sysdig {b}", stem(&f)));
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn read_r_and_n_count_as_sysdig_does() {
    if !common::have_fixtures() {
        return;
    }
    let f = scap_dir().join("falco_cat_write.scap");
    // -r FILE, then the filter words; -n counts the events that pass the
    // filter, internal ones (not printed) included.
    for (args, want) in [
        (vec!["-n", "140"], 10),
        (vec!["-n", "3", "evt.type=open"], 3),
        (vec!["-n", "3"], 0),
        (vec!["evt.type=open"], 8),
    ] {
        let o = run(scapbridge().arg("read").arg("-r").arg(&f).args(&args));
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout_lines(&o).len(), want, "read -r F {args:?}");
        if have("sysdig") {
            let s = run(Command::new("sysdig").arg("-r").arg(&f).args(&args));
            assert_eq!(stdout_lines(&s).len(), want, "sysdig -r F {args:?}");
        }
    }
    // The file as a positional argument still works, and both at once is
    // a filter word.
    let o = run(scapbridge().arg("read").arg(&f).args(["-n", "140"]));
    assert_eq!(stdout_lines(&o).len(), 10);
}

#[test]
fn fields_lists_every_field_with_its_type_and_source() {
    if !common::have_fixtures() {
        return;
    }
    let o = run(scapbridge().args(["fields", "--json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let list: Vec<serde_json::Value> = stdout_lines(&o)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = list.iter().map(|v| v["name"].as_str().unwrap()).collect();
    for want in [
        "evt.type",
        "proc.name",
        "fd.name",
        "container.name",
        "k8s.pod.name",
        "ct.name",
        "json.value[/POINTER]",
    ] {
        assert!(names.contains(&want), "{want} not listed");
    }
    for v in &list {
        for k in ["name", "type", "source", "desc"] {
            assert!(v[k].as_str().is_some_and(|s| !s.is_empty()), "{v}: {k}");
        }
    }
    // Each syscall field listed is one a filter accepts, on a real read.
    let f = scap_dir().join("falco_cat_write.scap");
    for v in list.iter().filter(|v| v["source"] == "syscall") {
        let name = v["name"]
            .as_str()
            .unwrap()
            .replace("[N]", "[1]")
            .replace("[KEY]", "[app]");
        let o = run(scapbridge()
            .args(["read", "-n", "1"])
            .arg(&f)
            .arg(format!("{name} exists")));
        assert!(o.status.success(), "{name}: {}", stderr(&o));
    }
    // sysdig's spelling, -l on read.
    let o = run(scapbridge().args(["read", "-l"]));
    assert!(o.status.success());
    assert_eq!(
        stdout_lines(&o).len(),
        list.len() + 1 + 2,
        "text: a header per source and a blank line between"
    );
}
