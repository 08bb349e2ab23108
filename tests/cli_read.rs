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
        let ours = run(scapbridge()
            .arg("read")
            .args(["--as", "sysdig-0.29", "-r"])
            .arg(&f)
            .arg("-j"));
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
        // Options after the filter, as sysdig's getopt takes them.
        (vec!["evt.type=open", "-n", "3"], 3),
        (vec!["evt.type", "=", "open", "-n", "2"], 2),
    ] {
        let o = run(scapbridge().arg("read").arg("-r").arg(&f).args(&args));
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout_lines(&o).len(), want, "read -r F {args:?}");
        if have("sysdig") {
            let s = run(Command::new("sysdig").arg("-r").arg(&f).args(&args));
            assert_eq!(stdout_lines(&s).len(), want, "sysdig -r F {args:?}");
        }
    }
    // A negative number is a filter word (sysdig's getopt refuses it:
    // "invalid option -- '1'").
    let words = run(scapbridge().arg("read").arg("-r").arg(&f).args([
        "evt.type=open",
        "and",
        "fd.num",
        "!=",
        "-1",
    ]));
    assert!(words.status.success(), "{}", stderr(&words));
    let quoted = run(scapbridge()
        .arg("read")
        .arg(&f)
        .arg("evt.type=open and fd.num != -1"));
    assert_eq!(stdout_lines(&words), stdout_lines(&quoted));
    assert_eq!(stdout_lines(&words).len(), 4, "the opens whose fd is known");
    // The file as a positional argument still works, and both at once is
    // a filter word.
    let o = run(scapbridge().arg("read").arg(&f).args(["-n", "140"]));
    assert_eq!(stdout_lines(&o).len(), 10);
}

/// `-n N` on every fixture sysdig 0.29 reads, with and without a filter:
/// as many lines as sysdig prints. libsinsp does not return what it keeps
/// as state (a file's user and group lists, libs_sample.scap's 52 first
/// events; the container records that open a file), so they do not count.
#[test]
fn read_n_prints_as_many_lines_as_sysdig_on_every_fixture() {
    if !common::have_fixtures() || !have("sysdig") {
        return;
    }
    let mut differ = Vec::new();
    for entry in std::fs::read_dir(scap_dir()).unwrap() {
        let f = entry.unwrap().path();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        // sysdig 0.29 cannot read it at all (see fixtures.rs).
        if name == "libs_e2e_curl_google_comments.scap" || f.extension().is_none_or(|e| e != "scap")
        {
            continue;
        }
        for n in ["1", "5", "20", "100"] {
            for filter in [None, Some("evt.dir='<'")] {
                let mut ours = scapbridge();
                ours.args(["read", "--as", "sysdig-0.29", "-n", n]).arg(&f);
                let mut theirs = Command::new("sysdig");
                theirs.arg("-r").arg(&f).args(["-n", n]);
                if let Some(flt) = filter {
                    ours.arg(flt);
                    theirs.arg(flt);
                }
                let (a, b) = (run(&mut ours), run(&mut theirs));
                let (a, b) = (stdout_lines(&a).len(), stdout_lines(&b).len());
                if a != b {
                    differ.push(format!("{name} -n {n} {filter:?}: ours {a}, sysdig {b}"));
                }
            }
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// sysdig's `-j -p FORMAT`: one JSON object of the format's fields per
/// event (keys sorted, numbers as numbers, null where missing), byte for
/// byte as sysdig 0.29 prints it.
#[test]
fn read_j_p_prints_the_formats_fields_as_sysdig_does() {
    if !common::have_fixtures() || !have("sysdig") {
        return;
    }
    for stem in [
        "falco_cat_write",
        "libs_e2e_curl_google",
        "falco_connect_localhost",
    ] {
        let f = scap_dir().join(format!("{stem}.scap"));
        for fmt in [
            "%evt.num %proc.name %fd.name %evt.rawres %evt.type %evt.dir %thread.tid",
            "*%evt.num %proc.name %fd.name",
            "%proc.pid %evt.cpu %evt.type %evt.failed",
            // A field with an argument is typed as the field.
            "%proc.aname[0] %proc.apid[1] %evt.num %proc.ppid",
        ] {
            let ours = run(scapbridge()
                .args(["read", "--as", "sysdig-0.29", "-j", "-p", fmt])
                .arg(&f));
            assert!(ours.status.success(), "{stem} {fmt}: {}", stderr(&ours));
            let theirs = run(Command::new("sysdig")
                .arg("-r")
                .arg(&f)
                .args(["-j", "-p", fmt]));
            let (a, b) = (stdout_lines(&ours), stdout_lines(&theirs));
            assert!(
                !a.is_empty() && a[0].starts_with('{'),
                "{stem} {fmt}: {a:?}"
            );
            assert_eq!(a, b, "{stem} {fmt}");
        }
    }
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

/// `read -e F…` (tshark's `-T fields`): the line of `-p '*%f1<TAB>%f2…'`
/// (every event) with `<NA>` emptied, as tshark prints a missing field
/// (`<NA>` being both what -p prints for a missing field and the value
/// sysdig gives some fields when it has none).
#[test]
fn read_e_columns_are_p_lines_with_missing_values_empty() {
    if !common::have_fixtures() {
        return;
    }
    let fields = ["evt.num", "proc.name", "fd.name"];
    let mut compared = 0;
    for stem in [
        "falco_cat_write",
        "libs_e2e_curl_google",
        "falco_connect_localhost",
        "falco_psp_run_as_user_0_container",
    ] {
        let f = scap_dir().join(format!("{stem}.scap"));
        let fmt: Vec<String> = fields.iter().map(|n| format!("%{n}")).collect();
        let p = run(scapbridge()
            .arg("read")
            .arg(&f)
            .arg("-p")
            .arg(format!("*{}", fmt.join("\t"))));
        assert!(p.status.success(), "{stem}: {}", stderr(&p));
        let want: Vec<String> = stdout_lines(&p)
            .iter()
            .map(|l| {
                l.split('\t')
                    .map(|v| if v == "<NA>" { "" } else { v })
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .collect();
        let mut c = scapbridge();
        c.arg("read").arg(&f);
        for n in fields {
            c.args(["-e", n]);
        }
        let e = run(&mut c);
        assert!(e.status.success(), "{stem}: {}", stderr(&e));
        let got = stdout_lines(&e);
        assert_eq!(got, want, "{stem}");
        assert!(
            got.iter().any(|l| l.ends_with('\t')),
            "{stem}: no event without fd.name"
        );
        compared += got.len();
        // --output-type fields says the same; -E header=y adds the names
        // first, -E separator= replaces the tab.
        let mut c = scapbridge();
        c.arg("read").arg(&f).args(["--output-type", "fields"]);
        for n in fields {
            c.args(["-e", n]);
        }
        c.args(["-E", "header=y", "-E", "separator=,"]);
        let h = run(&mut c);
        assert!(h.status.success(), "{stem}: {}", stderr(&h));
        let h = stdout_lines(&h);
        assert_eq!(h[0], "evt.num,proc.name,fd.name");
        let commas: Vec<String> = want.iter().map(|l| l.replace('\t', ",")).collect();
        assert_eq!(h[1..], commas[..], "{stem}");
        // tshark's own spelling, -T fields, without rules to select.
        let mut c = scapbridge();
        c.arg("read").arg(&f).args(["-T", "fields"]);
        for n in fields {
            c.args(["-e", n]);
        }
        let t = run(&mut c);
        assert!(t.status.success(), "{stem} -T fields: {}", stderr(&t));
        assert_eq!(stdout_lines(&t), want, "{stem} -T fields");
    }
    assert!(compared > 100, "only {compared} lines compared");
}

/// A filter and -n apply to columns as to every output; /s is tshark's space.
#[test]
fn read_e_columns_take_the_filter_and_count() {
    if !common::have_fixtures() {
        return;
    }
    let f = scap_dir().join("falco_cat_write.scap");
    let p = run(scapbridge().arg("read").arg(&f).args([
        "-n",
        "3",
        "-p",
        "*%evt.type %fd.name",
        "evt.type=open",
    ]));
    let e = run(scapbridge().arg("read").arg(&f).args([
        "-n",
        "3",
        "-e",
        "evt.type",
        "-e",
        "fd.name",
        "-E",
        "separator=/s",
        "evt.type=open",
    ]));
    assert!(e.status.success(), "{}", stderr(&e));
    let want: Vec<String> = stdout_lines(&p)
        .iter()
        .map(|l| l.replace("<NA>", ""))
        .collect();
    assert_eq!(stdout_lines(&e), want);
    assert_eq!(want.len(), 3);
}

/// An unknown field is one error line naming it, the status `-p` gives a
/// bad format; other -T types and -E options are refused as clearly.
#[test]
fn read_e_refuses_unknown_fields_and_options() {
    if !common::have_fixtures() {
        return;
    }
    let f = scap_dir().join("falco_cat_write.scap");
    let p = run(scapbridge().arg("read").arg(&f).args(["-p", "%proc.nmae"]));
    let code = p.status.code().unwrap();
    assert_ne!(code, 0);
    let e = run(scapbridge()
        .arg("read")
        .arg(&f)
        .args(["-e", "evt.num", "-e", "proc.nmae"]));
    assert_one_line_error(&e, code, "-e 'proc.nmae'");
    // The field meant, wherever a field is written.
    assert_one_line_error(&e, code, "(did you mean 'proc.name'?)");
    assert_one_line_error(&p, code, "(did you mean 'proc.name'?)");
    let filter = run(scapbridge().arg("read").arg(&f).arg("proc.nmae = cat"));
    assert_one_line_error(&filter, code, "(did you mean 'proc.name'?)");
    for (args, needle) in [
        (&["-e", "proc.name x"][..], "not a field name"),
        (&["-e", "evt.num", "-E", "quote=d"][..], "quote=d"),
        (&["-e", "evt.num", "-E", "header=maybe"][..], "header"),
        (&["--output-type", "fields"][..], "-e"),
        (&["--output-type", "json", "-e", "evt.num"][..], "-e"),
    ] {
        let o = run(scapbridge().arg("read").arg(&f).args(args));
        assert_one_line_error(&o, code, needle);
    }
    // clap's refusals: -e with -p, an unknown type.
    for args in [
        &["-e", "evt.num", "-p", "%evt.num"][..],
        &["--output-type", "pdml"][..],
    ] {
        let o = run(scapbridge().arg("read").arg(&f).args(args));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
    // A filter's value with a leading dash, unquoted, reads as an option
    // (`-c`, --config): the line says how to write it.
    let o = run(scapbridge()
        .arg("read")
        .arg(&f)
        .args(["proc.args", "contains", "-c"]));
    let e = assert_one_line_error(
        &o,
        2,
        "quote the whole filter as one argument, as in 'proc.args contains -c'",
    );
    assert!(!e.contains("(one of: )"), "an empty set listed: {e}");
    let o = run(scapbridge()
        .arg("read")
        .arg(&f)
        .arg("proc.args contains -c"));
    assert!(o.status.success(), "{}", stderr(&o));
    // A field name of 100 kB, wherever a field is written, is named by its
    // start and length: the line stays a line.
    let long = format!("proc.{}", "n".repeat(100_000));
    for args in [
        vec![format!("{long} = cat")],
        vec!["-p".into(), format!("%{long}")],
        vec!["-e".into(), long.clone()],
    ] {
        let o = run(scapbridge().arg("read").arg(&f).args(&args));
        let e = assert_one_line_error(&o, code, &format!("... ({} bytes)", long.len()));
        assert!(e.len() < 400, "{} bytes: {}", e.len(), &e[..400]);
    }
}
