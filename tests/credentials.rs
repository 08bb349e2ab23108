//! A thread's user and group follow its credential calls (setuid, setgid,
//! setresuid, setresgid, setreuid, setregid) as libs 0.23 follows them: a
//! live capture of `workloads/credentials.py`, read by sysdig 0.41 and by
//! us, names the same user and group on every event of the script.

#![allow(clippy::unwrap_used)]

mod common;

#[test]
fn user_and_group_follow_the_credential_calls_as_in_sysdig_041() {
    if !common::probe_available() || !common::need_root("a live capture") {
        return;
    }
    let Some(root) = common::sid_root() else {
        return;
    };
    let _quiet = common::quiet();
    let dir = tempfile::tempdir().unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/credentials.py");
    let mut cap = common::syscalls_capture(None, &dir.path().join("c.scap"));
    cap.arg("--").arg("python3").arg(&script);
    common::capture_ok(&mut cap);
    let fmt = "*%evt.num %evt.type %user.uid %group.gid %user.name %group.name %evt.args";
    let calls = "proc.name=python3 and evt.type in (setresuid, setresgid, setreuid, setregid, setuid, setgid)";
    let (theirs, ours) =
        common::sysdig041_and_read(&root, dir.path(), "c.scap", &["-p", fmt, calls]);
    let (theirs, ours) = (common::stdout_lines(&theirs), common::stdout_lines(&ours));
    // The ids after each call, in the script's order (a failing test names
    // the first call our state did not follow).
    let ids: Vec<String> = ours
        .iter()
        .map(|l| l.split(' ').skip(1).take(3).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        ids,
        [
            "setresgid 0 65534",
            "setresuid 65534 65534",
            "setresuid 0 65534",
            "setresuid 4294967295 65534",
            "setreuid 1 65534",
            "setreuid 0 65534",
            "setregid 0 2",
            "setgid 0 3",
            "setuid 2 3",
        ],
        "{ours:#?}"
    );
    assert_eq!(ours, theirs, "the calls, ours then sysdig 0.41's");
    // Every event of the script, names included (from the capture's user
    // list: the script runs on the host).
    let all = "proc.name=python3";
    let (theirs, ours) = common::sysdig041_and_read(&root, dir.path(), "c.scap", &["-p", fmt, all]);
    let (theirs, ours) = (common::stdout_lines(&theirs), common::stdout_lines(&ours));
    assert!(
        ours.iter().any(|l| l.contains(" 2 3 bin sys ")),
        "{ours:#?}"
    );
    let differ: Vec<_> = ours
        .iter()
        .zip(&theirs)
        .filter(|(a, b)| a != b)
        .take(5)
        .collect();
    assert!(
        differ.is_empty() && ours.len() == theirs.len(),
        "{} of ours, {} of 0.41's; first differences (ours, 0.41's): {differ:#?}",
        ours.len(),
        theirs.len()
    );
}
