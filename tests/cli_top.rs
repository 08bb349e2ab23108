//! `scapbridge info --top KIND` (issue "An analyst's tool"): every
//! ranking's figures against figures computed another way — sysdig 0.29's
//! own chisels (topfiles_bytes, topconns, topscalls) where they count the
//! same thing, sysdig's `-p` lines counted here where no chisel does, and
//! our `read -p` lines counted here.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;

/// A ranking as rows: the key columns joined by a space, and the figure.
type Table = BTreeMap<String, u64>;

/// Every row of our ranking (`-n` past any fixture's size), from --json.
fn ours(kind: &str, f: &Path, filter: Option<&str>) -> Table {
    let mut c = scapbridge();
    c.args(["info", "--top", kind, "-n", "1000000", "--json"])
        .arg(f);
    if let Some(flt) = filter {
        c.arg(flt);
    }
    let o = run(&mut c);
    assert!(o.status.success(), "{kind} {}: {}", f.display(), stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (keys, figure): (&[&str], &str) = match kind {
        "procs" => (&["process", "pid"], "events"),
        "files" => (&["file"], "bytes"),
        "connections" => (&["proto", "connection"], "bytes"),
        "syscalls" => (&["syscall"], "calls"),
        "errors" => (&["syscall", "errno"], "failures"),
        _ => unreachable!(),
    };
    let mut t = Table::new();
    for row in v.as_array().unwrap() {
        let key: Vec<String> = keys
            .iter()
            .map(|k| match &row[k] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        let prev = t.insert(key.join(" "), row[figure].as_u64().unwrap());
        assert!(prev.is_none(), "{kind} {}: a row twice: {row}", f.display());
    }
    t
}

/// A sysdig chisel's table from its `-j` output (`data`: key columns then
/// the figure); `None` where sysdig cannot read the file.
fn chisel(chisel: &str, f: &Path, filter: Option<&str>) -> Option<Vec<(String, u64)>> {
    let mut c = Command::new("sysdig");
    c.arg("-j").arg("-r").arg(f).args(["-c", chisel]);
    if let Some(flt) = filter {
        c.arg(flt);
    }
    let o = run(&mut c);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).ok()?;
    let rows = v["data"].as_array().unwrap();
    Some(
        rows.iter()
            .map(|r| {
                let r = r.as_array().unwrap();
                let (fig, key) = r.split_last().unwrap();
                let key: Vec<&str> = key.iter().map(|k| k.as_str().unwrap()).collect();
                (key.join(" "), fig.as_u64().unwrap())
            })
            .collect(),
    )
}

/// A chisel prints its `limit` largest rows, ties in hash order: every row
/// it prints is ours with the same figure, and ours has no other row above
/// its smallest figure (nor any other row at all when it printed fewer
/// than its limit).
fn same_top(what: &str, ours: &Table, theirs: &[(String, u64)], limit: usize) -> Vec<String> {
    let mut bad = Vec::new();
    for (k, n) in theirs {
        if ours.get(k) != Some(n) {
            bad.push(format!("{what}: sysdig {k} = {n}, ours {:?}", ours.get(k)));
        }
    }
    let floor = theirs.iter().map(|(_, n)| *n).min().unwrap_or(0);
    for (k, n) in ours {
        let printed = theirs.iter().any(|(t, _)| t == k);
        if !printed && (theirs.len() < limit || *n > floor) {
            bad.push(format!("{what}: ours {k} = {n}, not in sysdig's table"));
        }
    }
    bad
}

/// Lines counted: each distinct line and how many times it came.
fn counted(lines: impl IntoIterator<Item = String>) -> Table {
    let mut t = Table::new();
    for l in lines {
        *t.entry(l).or_insert(0) += 1;
    }
    t
}

/// The fixtures sysdig 0.29 reads (it refuses the one with comments).
fn sysdig_fixtures() -> Vec<std::path::PathBuf> {
    real_fixtures()
        .into_iter()
        .filter(|f| stem(f) != "libs_e2e_curl_google_comments")
        .collect()
}

#[test]
fn top_files_equals_sysdig_topfiles_bytes() {
    if !have_fixtures() || !have("sysdig") {
        return;
    }
    let (mut bad, mut rows) = (Vec::new(), 0);
    for f in sysdig_fixtures() {
        let theirs = chisel("topfiles_bytes", &f, None).expect("sysdig reads it");
        rows += theirs.len();
        bad.extend(same_top(&stem(&f), &ours("files", &f, None), &theirs, 10));
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(rows >= 10, "the fixtures gave only {rows} rows to compare");
}

/// Connections where our state names a socket otherwise than sysdig 0.29
/// does (the same differences `tests/cli_print.rs` lists for `%fd.name`):
/// (fixture, text of the difference, why). A listed difference that stops
/// happening fails the test, so the list cannot go stale.
const CONNS_DIFFER: &[(&str, &str, &str)] = &[(
    "falco_ping_sendto",
    "ours udp 10.0.2.15:1->128.32.41.1:0 = 640",
    "0.29 does not learn a socket from a send's address (ping's sendmsg); 0.41 and we do",
)];

#[test]
fn top_connections_equals_sysdig_topconns() {
    if !have_fixtures() || !have("sysdig") {
        return;
    }
    let (mut bad, mut rows) = (Vec::new(), 0);
    for f in sysdig_fixtures() {
        let theirs = chisel("topconns", &f, None).expect("sysdig reads it");
        rows += theirs.len();
        bad.extend(same_top(
            &stem(&f),
            &ours("connections", &f, None),
            &theirs,
            30,
        ));
    }
    for (fixture, diff, why) in CONNS_DIFFER {
        let seen = format!("{fixture}: {diff}");
        let before = bad.len();
        bad.retain(|b| !b.starts_with(&seen));
        if bad.len() == before {
            bad.push(format!(
                "{seen} no longer differs: take it out of CONNS_DIFFER ({why})"
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(rows >= 3, "the fixtures gave only {rows} rows to compare");
}

/// Rows where sysdig 0.29's topscalls and ours differ by generation, with
/// the reason: (the failure lines the difference makes, why). A listed
/// difference that no longer shows fails the test.
const SCALLS_DIFFER: &[(&[&str], &str)] = &[(
    &[
        "falco_cat_write: sysdig <unknown> = 1, ours None",
        "falco_cat_write: ours fadvise64 = 1, not in sysdig's table",
    ],
    "a generic event of syscall code 0: libs 0.23 (sysdig 0.41, and our evt.type) names it \
     by its native x86-64 number, fadvise64; sysdig 0.29 `<unknown>`",
)];

/// sysdig's topscalls counts every event of a type, enters and exits
/// alike; with `evt.dir='<'` given to both it counts the exits, which is
/// what ours counts for every syscall that has them.
#[test]
fn top_syscalls_equals_sysdig_topscalls_of_exits() {
    if !have_fixtures() || !have("sysdig") {
        return;
    }
    let exits = Some("evt.dir='<'");
    let mut bad = Vec::new();
    for f in sysdig_fixtures() {
        let theirs = chisel("topscalls", &f, exits).expect("sysdig reads it");
        let filtered = ours("syscalls", &f, exits);
        bad.extend(same_top(&stem(&f), &filtered, &theirs, 30));
        // Unfiltered, a syscall that has exits has the same count: enters
        // are counted only for the events that have no exit.
        let all = ours("syscalls", &f, None);
        for (k, n) in &filtered {
            if all.get(k) != Some(n) {
                bad.push(format!(
                    "{}: {k} {n} exits, unfiltered {:?}",
                    stem(&f),
                    all.get(k)
                ));
            }
        }
    }
    for (lines, why) in SCALLS_DIFFER {
        let before = bad.len();
        bad.retain(|b| !lines.contains(&b.as_str()));
        if before - bad.len() != lines.len() {
            bad.push(format!(
                "{lines:?} no longer all differ: take it out of SCALLS_DIFFER ({why})"
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// No chisel ranks failures by errno: sysdig's own `-p` lines of failed
/// exits, counted here, are the figures.
#[test]
fn top_errors_equals_sysdigs_failed_exits_counted() {
    if !have_fixtures() || !have("sysdig") {
        return;
    }
    let (mut bad, mut rows) = (Vec::new(), 0);
    for f in sysdig_fixtures() {
        let o = run(Command::new("sysdig").arg("-r").arg(&f).args([
            "-p",
            "%evt.type %evt.res",
            "evt.failed=true and evt.dir='<'",
        ]));
        assert!(o.status.success(), "{}", stderr(&o));
        let theirs = counted(stdout_lines(&o));
        rows += theirs.len();
        let ours = ours("errors", &f, None);
        if ours != theirs {
            bad.push(format!("{}: ours {ours:?}\n  sysdig {theirs:?}", stem(&f)));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(rows >= 3, "the fixtures gave only {rows} rows to compare");
}

/// Events per process: our `read -p` lines counted on every fixture, and
/// sysdig's on those our `read` prints exactly as sysdig does. A thread
/// the capture never described is `<NA>` to both, and sysdig 0.29 makes
/// up its pid (= its tid) where 0.41 and we say -1 (`tests/cli_print.rs`):
/// those rows are compared by their total.
#[test]
fn top_procs_equals_read_and_sysdig_p_lines_counted() {
    if !have_fixtures() {
        return;
    }
    let sysdig = have("sysdig");
    let mut bad = Vec::new();
    for f in real_fixtures() {
        let fmt = "%proc.name %proc.pid";
        let o = run(scapbridge().arg("read").arg(&f).args(["-p", fmt]));
        assert!(o.status.success(), "{}", stderr(&o));
        let read = counted(stdout_lines(&o));
        let top = ours("procs", &f, None);
        if top != read {
            bad.push(format!("{}: top {top:?}\n  read -p {read:?}", stem(&f)));
        }
        if sysdig && SAME_AS_SYSDIG.contains(&stem(&f).as_str()) {
            let o = run(Command::new("sysdig").arg("-r").arg(&f).args(["-p", fmt]));
            let unnamed = |t: &Table| -> Table {
                let mut u = Table::new();
                for (k, n) in t {
                    let k = if k.starts_with("<NA> ") { "<NA> *" } else { k };
                    *u.entry(k.to_string()).or_insert(0) += n;
                }
                u
            };
            let theirs = unnamed(&counted(stdout_lines(&o)));
            if unnamed(&top) != theirs {
                bad.push(format!("{}: top {top:?}\n  sysdig -p {theirs:?}", stem(&f)));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The user's filter narrows every ranking: files with `proc.name=X` are
/// the files counted from `read -p` of X's I/O exits.
#[test]
fn top_files_with_a_filter_equals_read_p_bytes_summed() {
    if !have_fixtures() {
        return;
    }
    let f = scap_dir().join("falco_psp_run_as_user_0_container.scap");
    let filter = "proc.name=bash";
    let o = run(scapbridge().arg("read").arg(&f).args([
        "-p",
        "%fd.name %evt.rawarg.res",
        "fd.type=file and evt.is_io=true and",
        filter,
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let mut want = Table::new();
    for l in stdout_lines(&o) {
        let (name, res) = l.rsplit_once(' ').unwrap();
        let res: i64 = res.parse().unwrap();
        if res > 0 {
            *want.entry(name.to_string()).or_insert(0) += res as u64;
        }
    }
    assert!(!want.is_empty(), "bash did no file I/O in the fixture");
    assert_eq!(ours("files", &f, Some(filter)), want);
    assert_ne!(ours("files", &f, None), want, "the filter narrowed nothing");
}

/// Text: a header, then the N largest rows as JSON has them, figure
/// right-aligned, columns aligned.
#[test]
fn top_text_is_the_n_largest_rows_aligned() {
    if !have_fixtures() {
        return;
    }
    let f = scap_dir().join("libs_e2e_curl_google.scap");
    let all = ours("syscalls", &f, None);
    let mut rows: Vec<(&String, &u64)> = all.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for n in [None, Some(3)] {
        let mut c = scapbridge();
        c.args(["info", "--top", "syscalls"]).arg(&f);
        if let Some(n) = n {
            c.args(["-n", &n.to_string()]);
        }
        let o = run(&mut c);
        assert!(o.status.success(), "{}", stderr(&o));
        let lines = stdout_lines(&o);
        let want = n.unwrap_or(10);
        assert_eq!(lines.len(), want + 1, "{lines:?}");
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["CALLS", "SYSCALL"]
        );
        let at = lines[0].find("SYSCALL").unwrap();
        for (l, (name, calls)) in lines[1..].iter().zip(&rows) {
            assert_eq!(l[..at].trim_start(), format!("{calls}  "), "{l}");
            assert_eq!(&l[at..], name.as_str(), "{l}");
        }
    }
}

#[test]
fn top_refuses_an_unknown_kind_and_a_bad_filter() {
    if !have_fixtures() {
        return;
    }
    let f = scap_dir().join("falco_cat_write.scap");
    let o = run(scapbridge().args(["info", "--top", "threads"]).arg(&f));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("procs"), "{}", stderr(&o));
    let o = run(scapbridge()
        .args(["info", "--top", "files"])
        .arg(&f)
        .arg("proc.nmae=cat"));
    assert_one_line_error(&o, 1, "proc.nmae");
}
