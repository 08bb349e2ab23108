//! Differential test of the filter engine against sysdig 0.41 (libs 0.23),
//! the Debian sid one of the Stratoshark tests (`common::sid_root`), over
//! the fixtures and over live captures of our own probe.
//!
//! What is compared, and why so: libs 0.23 converts every old enter/exit
//! pair into one exit event carrying both halves' parameters and never
//! returns the enter half, and it numbers only the events it returns, so
//! neither the printed lines nor `evt.num` can be compared with our `read`,
//! which shows both halves as sysdig 0.29 does. What can be compared is the
//! *set of matching events*, each named by what both sides print for it:
//! `%evt.rawtime %thread.tid %evt.dir %evt.type` (`-p '*…'`, so an event
//! missing a field still prints). The events compared are those sysdig 0.41
//! shows without a filter (its *domain*: exits, and events that have no
//! pair); for each filter, sysdig's matches must be exactly our matches
//! within that domain. Our enter halves, which 0.41 does not have, are out
//! of the comparison; an event 0.41 shows that we do not is a difference.
//!
//! An event 0.41 names otherwise than we do is in [`DOMAIN_LIMITS`] with
//! the reason and left out. `evt.num` is not among the filters: 0.41's
//! numbers skip the enter halves it dropped, so no filter on it can agree.
//!
//! A difference is a failure unless the pair (filter, file) is in
//! [`LIMITS`], with the reason; a listed limit that shows on every run and
//! no longer differs fails too, so the list cannot go stale. Where sysdig
//! 0.29 (`tests/filters.rs`) and 0.41 differ, we follow 0.41.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use common::live_workload::{gap_cuts, live, Live};
use common::*;

/// The 40 most used fields of the stock `falco_rules.yaml`, most used first:
/// occurrences in rule and macro conditions (as parsed) and in outputs
/// (`%field`), ties in the order of first use in the file
/// ([`top_fields_of_the_stock_rules_are_the_listed_ones`] recounts them).
const TOP_FIELDS: &[&str] = &[
    "proc.cmdline",
    "proc.name",
    "proc.pname",
    "proc.aname",
    "evt.type",
    "proc.args",
    "user.name",
    "user.uid",
    "proc.exepath",
    "proc.tty",
    "user.loginuid",
    "fd.name",
    "proc.pcmdline",
    "proc.pexe",
    "evt.arg.flags",
    "container.image.repository",
    "fd.typechar",
    "fd.l4proto",
    "evt.arg.request",
    "proc.cwd",
    "evt.res",
    "fd.type",
    "proc.exe",
    "fd.directory",
    "fd.lport",
    "fd.rport",
    "thread.cap_effective",
    "fd.num",
    "fd.nameraw",
    "evt.arg.target",
    "proc.pexepath",
    "evt.arg.oldpath",
    "evt.rawres",
    "group.gid",
    "group.name",
    "user.loginname",
    "proc.sname",
    "container.start_ts",
    "evt.is_open_write",
    "evt.is_open_read",
];

/// Top fields no filter here can compare, with the reason.
const FIELDS_NOT_COMPARED: &[(&str, &str)] = &[
    (
        "container.image.repository",
        "sysdig 0.41 of Debian has no container plugin: 'unknown field' (tests/containers*.rs cover it)",
    ),
    (
        "container.start_ts",
        "sysdig 0.41 of Debian has no container plugin: 'unknown field'",
    ),
];

/// The filters: every operator libs 0.23 has, its transformers, `val()`,
/// and the fields above; most select events in the fixtures or in the live
/// workload (some select none on purpose: a wrong match is a difference).
const FILTERS: &[&str] = &[
    // evt.type and the comparison operators on a string field.
    "evt.type = open",
    "evt.type != open",
    "evt.type in (open, openat, openat2)",
    "evt.type intersects (read, write, pread)",
    // A generic event of syscall code 0 (falco_cat_write.scap's fadvise64,
    // a 2016 capture) is named by its native number in libs 0.23.
    "evt.type = fadvise64",
    "evt.type in (fadvise64, close)",
    // libs 0.23 takes only event names on the right of evt.type ("unknown
    // event type sendm"), so the string operators are on other fields.
    "proc.name startswith cu",
    "proc.name endswith sh",
    "fd.name contains .so",
    "proc.name icontains CUR",
    "proc.exepath glob '/usr/*'",
    "proc.name iglob 'C*'",
    "proc.name regex '(cat|curl|ln)'",
    "evt.type in (execve, execveat) and evt.dir = <",
    "evt.dir = >",
    // Results.
    "evt.res = SUCCESS",
    "evt.res != SUCCESS",
    "evt.res startswith E",
    "evt.rawres < 0",
    "evt.rawres >= 0",
    "evt.rawres > 3",
    "evt.rawres <= 1",
    "evt.failed = true",
    // Arguments (on an exit, 0.41 has the enter's too).
    "evt.arg.flags contains O_RDONLY",
    "evt.arg.flags contains O_CREAT",
    "evt.arg.flags icontains o_wronly",
    "evt.arg.flags exists",
    "evt.arg.request exists",
    "evt.arg.target exists",
    "evt.arg.oldpath exists",
    "evt.arg.name contains ld",
    "evt.arg[0] exists",
    "evt.is_open_read = true",
    "evt.is_open_write = true",
    "evt.buffer bcontains 2f",
    "evt.buffer bstartswith 7f454c46",
    // Processes.
    "proc.name = cat",
    "proc.name in (cat, curl, bash, sh, ln)",
    "proc.name pmatch (/usr)",
    "proc.pname = bash",
    "proc.pname in (bash, sh, sudo)",
    "proc.aname = bash",
    "proc.aname[2] = bash",
    "proc.aname[1] exists",
    "proc.aname != bash",
    "proc.aname in (sshd, sudo, bash)",
    "proc.apid = 1",
    "proc.apid != 1",
    "proc.apid[1] = 1",
    "proc.aexe contains sh",
    "proc.aexepath startswith /usr/bin",
    "proc.acmdline contains bash",
    "proc.aexepath[1] exists",
    "thread.vtid != val(thread.tid)",
    "thread.vtid exists and thread.vtid < 100",
    "proc.cmdline contains /etc",
    "proc.cmdline startswith 'cat '",
    "proc.args contains -",
    "proc.args = ''",
    "proc.exepath endswith /cat",
    "proc.exepath glob '/usr/bin/*'",
    "proc.exe = cat",
    "proc.pexe contains sh",
    "proc.pexepath startswith /bin",
    "proc.pexepath exists",
    "proc.pcmdline contains sh",
    "proc.tty = 0",
    "proc.tty != 0",
    "proc.cwd startswith /",
    "proc.cwd exists",
    "proc.sname exists",
    "proc.sname = bash",
    // Sessions and process groups, and their leaders.
    "proc.vpgid.name = bash",
    "proc.is_vpgid_leader = true",
    "proc.pgid.exepath startswith /usr",
    "proc.sid.exe exists and proc.is_sid_leader = false",
    "proc.vpid != val(proc.pid)",
    "proc.pgid = val(proc.vpgid) and proc.is_pgid_leader = false",
    // The executable's flags (execve's `flags`, the process list's bytes).
    "proc.is_exe_writable = true",
    "proc.is_exe_from_memfd = false and proc.is_exe_lower_layer = false",
    "proc.pid > 100",
    "proc.ppid <= 1",
    "thread.tid >= 20072",
    "thread.cap_effective contains CAP_SYS_ADMIN",
    "thread.cap_effective exists",
    // Users and groups.
    "user.name = root",
    "user.name != root",
    "user.uid = 0",
    "user.uid != 0",
    "user.loginuid = -1",
    "user.loginuid >= 0",
    "user.loginname = root",
    "user.loginname exists",
    "group.gid = 0",
    "group.name = root",
    // File descriptors.
    "fd.name startswith /etc",
    "fd.name pmatch (/etc, /usr/lib)",
    "fd.name glob '/lib/*'",
    "fd.name iglob '/LIB/*'",
    // Neither libs 0.23 nor we take `\.` in a quoted string.
    "fd.name regex '.*[.]so([.][0-9]+)*'",
    "fd.name exists",
    "fd.nameraw contains .so",
    "fd.typechar = f",
    "fd.typechar in (4, 6)",
    "fd.type in (ipv4, ipv6)",
    "fd.type = unix",
    "fd.l4proto = tcp",
    "fd.l4proto in (udp, icmp)",
    "fd.lport = 80",
    "fd.rport = 80",
    "fd.rport > 1000",
    "fd.sip = 127.0.0.1",
    "fd.lip = 127.0.0.1",
    "fd.rip = ::1",
    "fd.is_server = true",
    "fd.cnet = 10.0.0.0/8",
    "fd.lnet = 10.0.0.0/8",
    "fd.rnet = 2001:db8::/32",
    "fd.filename exists",
    "evt.rawarg.flags = 0",
    // evt.rawarg compares in the parameter's type: lseek's offset is
    // UINT64 (the workload seeks back 2), whence ENUMFLAGS8; a list of
    // numbers matches none.
    "evt.rawarg.offset < 0",
    "evt.rawarg.offset = -2",
    "evt.rawarg.offset > 100",
    "evt.rawarg.whence = 257",
    "evt.rawarg.whence > -1",
    "evt.rawarg.fd in (3, 4, 5)",
    "evt.arg.res = ERESTARTNOHAND",
    "evt.arg.name = /",
    "evt.failed = false",
    "fd.num >= 0",
    "fd.num = -100",
    "fd.num < 3",
    "fd.directory = /etc",
    "fd.filename endswith .so.6",
    // An fd the table lacks: a failed creator's (-1; `?` for memfd_create),
    // a connect's or accept's named by its tuple (`NULL` when empty).
    "fd.num = -1",
    "fd.name = NULL",
    "fd.name contains ->",
    "fd.typechar = \"?\"",
    "fd.typechar in (p, e, m)",
    "fd.name = scapbridge-mem",
    // Opened as /etc/../etc/hostname and /etc/: libs names them /etc/hostname, /etc.
    "fd.name contains ..",
    "fd.name endswith /",
    "fd.name = /etc",
    "fd.directory = /",
    // Transformers.
    "tolower(proc.name) = cat",
    "toupper(proc.name) = CAT",
    "basename(proc.exepath) = cat",
    "len(proc.name) > 4",
    "len(fd.name) >= 20",
    "tolower(fd.name) contains lib",
    "b64(evt.arg.data) exists",
    // Field against field.
    "proc.name = val(proc.pname)",
    "proc.pid = val(thread.tid)",
    "proc.pid != val(proc.ppid)",
    // libs 0.23 compares fields of one type only (user.loginuid is INT64).
    "user.uid = val(group.gid)",
    // Logic.
    "not proc.name = cat",
    "proc.name = cat and not evt.type = read",
    "(evt.type = read or evt.type = write) and fd.num = 1",
    "not fd.type exists",
    "evt.type = connect and (fd.type = ipv4 or fd.type = ipv6) and not fd.rport = 53",
];

/// Differences known and not fixed: (filter, file stem or `*` for every
/// file, whether it shows on every run, reason). One that shows on every
/// run fails the test when it stops showing (the list cannot go stale);
/// the others depend on the reading host (see the reasons).
const LIMITS: &[(&str, &str, bool, &str)] = &[
    // Old layouts, which libs 0.23 upgrades and we read as they are.
    // The live capture's events vary from run to run.
    ("proc.exepath glob '/usr/*'", "live", false, LIVE_LINEAGE),
    ("proc.pname = bash", "live", false, LIVE_LINEAGE),
    (
        "proc.pname in (bash, sh, sudo)",
        "live",
        false,
        LIVE_LINEAGE,
    ),
    ("proc.aname = bash", "live", false, LIVE_LINEAGE),
    ("proc.aname[2] = bash", "live", false, LIVE_LINEAGE),
    (
        "proc.exepath glob '/usr/bin/*'",
        "live",
        false,
        LIVE_LINEAGE,
    ),
    ("proc.pexe contains sh", "live", false, LIVE_LINEAGE),
    ("proc.pcmdline contains sh", "live", false, LIVE_LINEAGE),
    ("proc.cwd startswith /", "live", false, LIVE_LINEAGE),
    ("proc.sname = bash", "live", false, LIVE_LINEAGE),
    ("user.name = root", "live", false, LIVE_LINEAGE),
    ("user.name != root", "live", false, LIVE_LINEAGE),
    ("user.uid = 0", "live", false, LIVE_LINEAGE),
    ("user.uid != 0", "live", false, LIVE_LINEAGE),
    ("group.gid = 0", "live", false, LIVE_LINEAGE),
    ("group.name = root", "live", false, LIVE_LINEAGE),
    ("proc.name = val(proc.pname)", "live", false, LIVE_LINEAGE),
    ("proc.aname[1] exists", "live", false, UNSEEN_PARENT),
    ("proc.pexepath exists", "live", false, UNSEEN_PARENT),
    ("proc.ppid <= 1", "live", false, UNSEEN_PARENT),
    ("proc.pid != val(proc.ppid)", "live", false, UNSEEN_PARENT),
    ("proc.aname != bash", "live", false, LINEAGE_ANCESTORS),
    (
        "proc.aname in (sshd, sudo, bash)",
        "live",
        false,
        LINEAGE_ANCESTORS,
    ),
    ("proc.apid = 1", "live", false, LINEAGE_ANCESTORS),
    ("proc.apid != 1", "live", false, LINEAGE_ANCESTORS),
    ("proc.apid[1] = 1", "live", false, LINEAGE_ANCESTORS),
    ("proc.aexe contains sh", "live", false, LINEAGE_ANCESTORS),
    (
        "proc.aexepath startswith /usr/bin",
        "live",
        false,
        LINEAGE_ANCESTORS,
    ),
    (
        "proc.acmdline contains bash",
        "live",
        false,
        LINEAGE_ANCESTORS,
    ),
    ("proc.aexepath[1] exists", "live", false, LINEAGE_ANCESTORS),
    (
        "thread.vtid != val(thread.tid)",
        "gap_child_side",
        false,
        VTID_CHILD_SIDE,
    ),
    (
        "thread.vtid exists and thread.vtid < 100",
        "gap_child_side",
        false,
        VTID_CHILD_SIDE,
    ),
];

const LIVE_LINEAGE: &str = "seen in one CI run on 2026-12-06 (17 filters at once): the \
    children a thread cloned right after the probe attached carry, in our state, the \
    parent, user and cwd of their clone exit, and libs 0.23 has none for them (the \
    thread predates the capture and is not in its process list). The parent half may \
    be libs' rule that a thread made while its parent is unknown gets parent 0 for \
    good (cut on purpose as gap_unlisted_cloner, now agreeing); the user and cwd half \
    is not one of the cuts, so not yet explained";
const UNSEEN_PARENT: &str = "seen in some live runs on a loaded machine (2026-12-06): a \
    thread whose parent is not in our table has, in libs 0.23, a parent pid of 0 or 1 with \
    an (empty) executable path; we leave the parent missing. An unlisted parent, cut on \
    purpose below, agrees: not yet explained";
const LINEAGE_ANCESTORS: &str = "the ancestor fields added on 2026-12-07 read the parent \
    chain that LIVE_LINEAGE and UNSEEN_PARENT describe (a live run where those show would \
    show these too); not seen differing in the live runs of that day";
const VTID_CHILD_SIDE: &str = "seen in one run of six on 2026-12-06 (22 differences in the \
    cut that loses the child side of every clone), not in the five later runs that day nor in 8 on 2026-12-07 \
    (4 with both CPUs loaded): not yet diagnosed; a run where it shows prints it as a listed \
    difference in the log, and SCAPBRIDGE_KEEP_CUTS=DIR keeps the cut";
/// Events sysdig 0.41 shows that our `read` names otherwise, left out of
/// every comparison: (file stem, key, reason).
const DOMAIN_LIMITS: &[(&str, &str, &str)] = &[];

/// Key format: what names an event on both sides.
const KEY: &str = "*%evt.rawtime %thread.tid %evt.dir %evt.type";

/// One file's results: per filter, the matching keys (or the error).
type Matches = Vec<Result<Vec<String>, String>>;

fn is_key(line: &str) -> bool {
    let mut w = line.split_whitespace();
    w.next().is_some_and(|t| t.parse::<u64>().is_ok()) && w.count() == 3
}

/// sysdig 0.41's keys for every filter (the first, "", is the domain), in
/// one run of the sid root per file.
fn sysdig041(root: &Path, dir: &Path, file: &str, filters: &[&str]) -> Matches {
    std::fs::write(dir.join("filters.txt"), filters.join("\n") + "\n").unwrap();
    let script = format!(
        r#"while IFS= read -r flt; do echo '@@@'; sysdig -r /x/{file} -p '{KEY}' "$flt" 2>&1; echo "@@@rc $?"; done < /x/filters.txt"#
    );
    let o = in_sid(root, dir, &["sh", "-c", &script]);
    assert!(o.status.success(), "sysdig 0.41 loop: {}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    let mut out = Vec::new();
    for chunk in text.split("@@@\n").skip(1) {
        let (body, rc) = chunk.rsplit_once("@@@rc ").unwrap();
        let keys: Vec<String> = body
            .lines()
            .filter(|l| is_key(l))
            .map(String::from)
            .collect();
        let other: Vec<&str> = body.lines().filter(|l| !is_key(l)).collect();
        if rc.trim() == "0" {
            out.push(Ok(keys));
        } else {
            out.push(Err(other.join(" ")));
        }
    }
    assert_eq!(out.len(), filters.len(), "sysdig 0.41 output: {text}");
    out
}

/// Our keys for every filter.
fn ours(path: &Path, filters: &[&str]) -> Matches {
    filters
        .iter()
        .map(|f| {
            let mut c = scapbridge();
            c.arg("read").arg(path).args(["-p", KEY]);
            if !f.is_empty() {
                c.arg(f);
            }
            let o = run(&mut c);
            if o.status.success() {
                Ok(stdout_lines(&o))
            } else {
                Err(stderr(&o))
            }
        })
        .collect()
}

/// Compares one file; returns (events 0.41 matched, differences).
fn compare(name: &str, filters: &[&str], theirs: &Matches, ours: &Matches) -> (usize, Vec<String>) {
    let count = |v: &[String]| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for k in v {
            *m.entry(k.clone()).or_default() += 1;
        }
        m
    };
    let mut domain: BTreeSet<String> = match &theirs[0] {
        Ok(v) => v.iter().cloned().collect(),
        Err(e) => panic!("{name}: sysdig 0.41 cannot read it: {e}"),
    };
    let mut diffs = Vec::new();
    // The domain: 0.41's events, each also ours unless listed (and then
    // out of the comparison); one not ours and not listed is a difference.
    let all_ours: BTreeSet<&String> = ours[0]
        .as_ref()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    for (file, key, _) in DOMAIN_LIMITS {
        if *file == name {
            assert!(
                domain.remove(*key),
                "{name}: listed event {key:?} is not in sysdig 0.41's output"
            );
            assert!(
                !all_ours.contains(&key.to_string()),
                "{name}: listed event {key:?} is ours now: drop the limit"
            );
        }
    }
    let missing: Vec<&String> = domain
        .iter()
        .filter(|k| !all_ours.contains(k))
        .take(5)
        .collect();
    if !missing.is_empty() {
        diffs.push(format!(
            "{name}: \"\": events of sysdig 0.41 we do not show: {missing:?}"
        ));
    }
    let mut matched = 0;
    for (i, flt) in filters.iter().enumerate().skip(1) {
        match (&theirs[i], &ours[i]) {
            (Ok(t), Ok(o)) => {
                matched += t.len();
                let t = count(
                    &t.iter()
                        .filter(|k| domain.contains(*k))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
                let o = count(
                    &o.iter()
                        .filter(|k| domain.contains(*k))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
                if t != o {
                    let only_t: Vec<_> = t
                        .keys()
                        .filter(|k| t.get(*k) != o.get(*k))
                        .take(3)
                        .collect();
                    let only_o: Vec<_> = o
                        .keys()
                        .filter(|k| t.get(*k) != o.get(*k))
                        .take(3)
                        .collect();
                    diffs.push(format!(
                        "{name}: {flt:?}: sysdig 0.41 {} events, ours {}; 0.41's not ours {only_t:?}, ours not 0.41's {only_o:?}",
                        t.values().sum::<usize>(),
                        o.values().sum::<usize>()
                    ));
                }
            }
            (Err(e), Err(_)) => diffs.push(format!(
                "{name}: {flt:?}: both reject it (sysdig 0.41: {e})"
            )),
            (Err(e), Ok(_)) => diffs.push(format!("{name}: {flt:?}: sysdig 0.41 rejects it: {e}")),
            (Ok(_), Err(e)) => diffs.push(format!("{name}: {flt:?}: we reject it: {}", e.trim())),
        }
    }
    (matched, diffs)
}

/// Runs every filter on `files` (paths), both sides; (matched, differences).
fn run_all(root: &Path, files: &[std::path::PathBuf]) -> (usize, Vec<String>) {
    let mut filters = vec![""];
    filters.extend_from_slice(FILTERS);
    let dir = tempfile::tempdir().unwrap();
    let mut matched = 0;
    let mut diffs = Vec::new();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::copy(f, dir.path().join(&name)).unwrap();
        let theirs = sysdig041(root, dir.path(), &name, &filters);
        let ours = ours(f, &filters);
        let (m, d) = compare(&stem(f), &filters, &theirs, &ours);
        eprintln!(
            "{name}: {} events in 0.41's domain, {m} matched over {} filters, {} differences",
            theirs[0].as_ref().map_or(0, Vec::len),
            FILTERS.len(),
            d.len()
        );
        matched += m;
        diffs.extend(d);
    }
    (matched, diffs)
}

/// Runs every filter on `files` and fails on a difference not listed;
/// the events sysdig 0.41 matched.
fn assert_same_matches(root: &Path, files: &[std::path::PathBuf], what: &str) -> usize {
    let (matched, diffs) = run_all(root, files);
    let names: Vec<String> = files.iter().map(|f| stem(f)).collect();
    let failures = judge(diffs, &names);
    eprintln!(
        "{what}: {} filters x {} files, {matched} events matched by sysdig 0.41",
        FILTERS.len(),
        files.len()
    );
    assert_no_failures(&failures, "differences");
    matched
}

/// Splits differences into the listed limits and the failures; a listed
/// limit that did not show is a failure too.
fn judge(diffs: Vec<String>, files: &[String]) -> Vec<String> {
    let listed = |d: &str| {
        LIMITS.iter().any(|(flt, file, _, _)| {
            d.contains(&format!(": {flt:?}:"))
                && (*file == "*" || d.starts_with(&format!("{file}:")))
        })
    };
    let mut failures: Vec<String> = diffs.iter().filter(|d| !listed(d)).cloned().collect();
    // Listed differences that showed, in the log: the live ones are not
    // reproduced at will, so a CI run's log is where their cause is seen.
    // Written to stderr itself, which the test harness does not capture
    // (eprintln! shows only when the test fails).
    for d in diffs.iter().filter(|d| listed(d)) {
        use std::io::Write as _;
        let end = d.char_indices().nth(2000).map_or(d.len(), |(i, _)| i);
        let _ = writeln!(std::io::stderr(), "listed difference seen: {}", &d[..end]);
    }
    for (flt, file, steady, why) in LIMITS {
        if !steady || (*file != "*" && !files.iter().any(|f| f == file)) {
            continue;
        }
        let seen = diffs.iter().any(|d| {
            d.contains(&format!(": {flt:?}:"))
                && (*file == "*" || d.starts_with(&format!("{file}:")))
        });
        if !seen {
            failures.push(format!(
                "listed limit no longer differs: {flt:?} on {file} ({why})"
            ));
        }
    }
    failures
}

#[test]
fn top_fields_of_the_stock_rules_are_the_listed_ones() {
    if !common::have_fixtures() {
        return;
    }
    let path = fixtures().join("rules/falco_rules.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let docs = scapbridge_rules::yaml::load(&text).unwrap();
    let mut uses: HashMap<String, (usize, usize)> = HashMap::new();
    let mut order = 0;
    let mut add = |name: &str| {
        order += 1;
        let e = uses.entry(name.to_string()).or_insert((0, order));
        e.0 += 1;
    };
    for item in docs.iter().flat_map(|d| match d {
        scapbridge_rules::yaml::Node::Seq(items, _) => items.as_slice(),
        _ => &[],
    }) {
        if let Some(cond) = item.get("condition").and_then(|c| c.as_str()) {
            let expr = scapbridge_filter::parse(cond).unwrap_or_else(|e| panic!("{cond}: {e:?}"));
            let mut names = Vec::new();
            expr_fields(&expr, &mut names);
            names.iter().for_each(|n| add(n));
        }
        if let Some(out) = item.get("output").and_then(|c| c.as_str()) {
            for part in out.split('%').skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
                    .collect();
                let name = name.trim_end_matches('.');
                if name.contains('.') {
                    add(name);
                }
            }
        }
    }
    let mut ranked: Vec<(String, (usize, usize))> = uses.into_iter().collect();
    ranked.sort_by_key(|(_, (n, first))| (std::cmp::Reverse(*n), *first));
    let top: Vec<&str> = ranked.iter().take(40).map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        top,
        TOP_FIELDS,
        "the 40 most used fields of falco_rules.yaml: {:?}",
        &ranked[..45.min(ranked.len())]
    );
    // Each is in some filter, unless it cannot be compared (said why).
    let mut in_filters = Vec::new();
    for f in FILTERS {
        let expr = scapbridge_filter::parse(f).unwrap_or_else(|e| panic!("{f}: {e:?}"));
        expr_fields(&expr, &mut in_filters);
    }
    for field in TOP_FIELDS {
        let excused = FIELDS_NOT_COMPARED.iter().any(|(f, _)| f == field);
        assert!(
            in_filters.iter().any(|f| f == field) != excused,
            "{field}: in a filter {}, listed as not compared {excused}",
            in_filters.iter().any(|f| f == field)
        );
    }
}

/// Every field name of a condition (macros are names, not fields).
fn expr_fields(e: &scapbridge_filter::Expr, out: &mut Vec<String>) {
    use scapbridge_filter::ast::{Operand, Rhs};
    use scapbridge_filter::Expr;
    fn operand(o: &Operand, out: &mut Vec<String>) {
        match o {
            Operand::Field(f) => out.push(f.name.clone()),
            Operand::Transformer { args, .. } => args.iter().for_each(|a| operand(a, out)),
            Operand::Literal(_) => {}
        }
    }
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().for_each(|x| expr_fields(x, out)),
        Expr::Not(x) => expr_fields(x, out),
        Expr::Compare { lhs, rhs, .. } => {
            operand(lhs, out);
            match rhs {
                Rhs::Val(f) => out.push(f.name.clone()),
                Rhs::Transformer(o) => operand(o, out),
                _ => {}
            }
        }
        Expr::Exists { lhs, .. } => operand(lhs, out),
        Expr::Macro { .. } => {}
    }
}

#[test]
fn every_operator_of_libs_023_is_in_a_filter() {
    for op in [
        " = ",
        " != ",
        " < ",
        " <= ",
        " > ",
        " >= ",
        " in ",
        " intersects ",
        " contains ",
        " icontains ",
        " bcontains ",
        " startswith ",
        " bstartswith ",
        " endswith ",
        " glob ",
        " iglob ",
        " pmatch ",
        " regex ",
        " exists",
        "not ",
        " and ",
        " or ",
        "tolower(",
        "toupper(",
        "b64(",
        "basename(",
        "len(",
        "val(",
    ] {
        assert!(
            FILTERS.iter().any(|f| f.contains(op)),
            "no filter uses {op:?}"
        );
    }
    assert!(
        FILTERS.len() >= 80,
        "at least 80 filters ({})",
        FILTERS.len()
    );
}

#[test]
fn filters_match_sysdig041_on_the_fixtures() {
    if !common::have_fixtures() {
        return;
    }
    let Some(root) = sid_root() else { return };
    let files = real_fixtures();
    let matched = assert_same_matches(&root, &files, "fixtures");
    assert!(
        matched > 10_000,
        "the filters select a real share of events ({matched})"
    );
}

#[test]
fn filters_match_sysdig041_on_live_captures() {
    let Some(Live {
        root,
        dir: _dir,
        cap,
        _quiet,
    }) = live()
    else {
        return;
    };
    let matched = assert_same_matches(&root, std::slice::from_ref(&cap), "live");
    assert!(
        matched > 1_000,
        "the filters select a real share of events ({matched})"
    );
}

/// The gaps a loaded machine leaves, made on purpose: the live limits
/// above showed only now and then, so each likely cause is cut into a copy
/// of one live capture and every filter compared on the copy: a process
/// (or its parent) that left before the `/proc` snapshot listed it, a
/// snapshot without a process's fds, a child cloned after the probe
/// attached that the snapshot lists too, either side of every clone lost, lost
/// execve exits, procexits, `socket` exits (and `close` exits with them:
/// a socket then lands on a stale file), both clone exits of the children
/// with an even tid (libs makes them up, and their own children are then
/// cloned by a thread it made up), every 7th event lost; and a process
/// the snapshot listed that ended unseen, whose tid the kernel gave again
/// to the root's first vforked and first forked child (pids wrap at 32768
/// here, within a test run); and each child's clone exit that came after
/// its caller's, given a time just before it (a record that went out after
/// newer ones of another CPU, which libs' unsigned stale test takes for an
/// old entry's: 147 differences before we followed it).
/// Before the fixes they found, a thread first seen at its execve had no
/// user (libs takes the exit's `uid`/`gid`) and a session id of 0 (libs:
/// -1, no leader), a dup of an fd the table lacked was put on the new fd,
/// a connect on a socket the table lacked had no `fd.name` (libs: its
/// tuple), and a child on a reused tid kept the ended process's fds (libs
/// replaces the stale entry at either clone exit): its ioctl, dup2 and
/// close on its shell's pipes read as files or as no fd, as a live run of
/// 2026-12-07 showed in 14 of these cuts at once.
#[test]
fn filters_match_sysdig041_on_live_captures_with_gaps() {
    let Some(Live {
        root,
        dir,
        cap,
        _quiet,
    }) = live()
    else {
        return;
    };
    let files = gap_cuts(&cap, dir.path());
    assert_same_matches(&root, &files, "live with gaps");
}
