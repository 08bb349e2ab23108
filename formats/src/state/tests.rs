//! Tests of the capture state.

#![allow(clippy::unwrap_used)]

use super::*;

/// An open exit of the old layout (fd only) takes its path from its
/// enter, even when enter-only events of the same thread (a scheduler
/// switch, a procinfo) come between: they have no exit and must not
/// take the enter's place.
#[test]
fn enter_only_events_do_not_hide_the_syscall_enter() {
    use crate::event::OwnedEvent;
    let mut st = CaptureState::new();
    let tid = 7;
    let mut enter = OwnedEvent::new(1, tid, 2); // open enter: name, flags, mode
    enter
        .push_str("/etc/hosts")
        .push(1u32.to_le_bytes())
        .push(0u32.to_le_bytes());
    let mut switch = OwnedEvent::new(2, tid, 152);
    switch.push(8u64.to_le_bytes());
    let mut procinfo = OwnedEvent::new(3, tid, 234);
    procinfo.push(0u64.to_le_bytes()).push(0u64.to_le_bytes());
    let mut exit = OwnedEvent::new(4, tid, 3); // open exit, old layout: fd only
    exit.push(5i64.to_le_bytes());
    for e in [&enter, &switch, &procinfo, &exit] {
        let raw = e.encode();
        apply(&mut st, &raw);
    }
    let f = st.fd(tid, 5).expect("the open created fd 5");
    assert_eq!(f.name, "/etc/hosts");
}

#[test]
fn a_snapshot_rebuilds_the_same_threads_and_fd_names() {
    let mut a = CaptureState::new();
    a.add_processes(&[ProcessInfo {
        tid: 10,
        pid: 10,
        ptid: 1,
        comm: b"nginx".to_vec(),
        exe: b"nginx:".to_vec(),
        exepath: b"/usr/sbin/nginx".to_vec(),
        args: b"-g\0daemon off;\0".to_vec(),
        cwd: b"/srv".to_vec(),
        uid: 33,
        gid: 33,
        ..ProcessInfo::default()
    }]);
    a.add_fds(
        10,
        &[
            file(3, b"/var/log/nginx/access.log"),
            FdInfo::ipv4(4, ([10, 0, 0, 1], 80), ([10, 0, 0, 2], 51000), 2),
            FdInfo::ipv6_server(5, std::net::Ipv6Addr::LOCALHOST.octets(), 443, 2),
            FdInfo {
                fd: 6,
                ino: 0,
                fd_type: fd_type::UNIX_SOCK,
                data: FdData::Unix {
                    source: 1,
                    dest: 2,
                    name: b"/run/app.sock".to_vec(),
                },
            },
        ],
    );
    // fds of a process no thread is left of: libscap refuses an fd list
    // naming an unknown thread, so they are not written.
    a.add_fds(99, &[file(3, b"/orphan")]);
    let (procs, fds) = a.snapshot();
    assert!(fds
        .iter()
        .all(|(tid, _)| procs.iter().any(|p| p.tid == *tid)));
    assert!(!fds.iter().any(|(tid, _)| *tid == 99));
    let mut b = CaptureState::new();
    b.add_processes(&procs);
    for (tid, list) in &fds {
        b.add_fds(*tid, list);
    }
    let (ta, tb) = (a.thread(10).unwrap(), b.thread(10).unwrap());
    assert_eq!(
        (
            &ta.comm,
            &ta.exe,
            &ta.exepath,
            &ta.args,
            &ta.cwd,
            ta.uid,
            ta.ptid
        ),
        (
            &tb.comm,
            &tb.exe,
            &tb.exepath,
            &tb.args,
            &tb.cwd,
            tb.uid,
            tb.ptid
        )
    );
    assert_eq!(tb.cwd, "/srv/");
    for fd in 3..=6 {
        let (fa, fb) = (a.fd(10, fd).unwrap(), b.fd(10, fd).unwrap());
        assert_eq!(
            (fa.typechar, fa.l4, &fa.name),
            (fb.typechar, fb.l4, &fb.name),
            "fd {fd}"
        );
    }
    assert_eq!(b.fd(10, 4).unwrap().name, "10.0.0.1:80->10.0.0.2:51000");
}

/// A thread's children outlive it with libsinsp's new parent: another live
/// thread of the same process first, init once the process is gone.
#[test]
fn orphans_take_a_live_sibling_then_init_as_parent() {
    use crate::event::OwnedEvent;
    let proc_ = |tid, pid, ptid, comm: &[u8]| ProcessInfo {
        tid,
        pid,
        ptid,
        comm: comm.to_vec(),
        ..ProcessInfo::default()
    };
    let mut st = CaptureState::new();
    st.add_processes(&[
        proc_(1, 1, 0, b"systemd"),
        proc_(20, 20, 1, b"runc"),
        proc_(21, 20, 20, b"runc"),
        // The shell a runc thread made, then the binary it runs.
        proc_(30, 30, 21, b"sh"),
    ]);
    let exit_of = |tid: u64, ts: u64, st: &mut CaptureState| {
        // procexit (enter only), then any event of another thread, at
        // which libsinsp removes the thread.
        let mut e = OwnedEvent::new(ts, tid, schema::ids_named("procexit").next().unwrap());
        e.push(0i64.to_le_bytes());
        let raw = e.encode();
        apply(st, &raw);
        let mut next = OwnedEvent::new(ts + 1, 30, 152); // switch
        next.push(8u64.to_le_bytes());
        let raw = next.encode();
        apply(st, &raw);
    };
    exit_of(21, 10, &mut st);
    assert_eq!(
        st.thread(30).unwrap().ptid,
        20,
        "the process's other thread"
    );
    exit_of(20, 20, &mut st);
    assert_eq!(st.thread(30).unwrap().ptid, 1, "init, once runc is gone");
}

/// An event of type `ty` with every parameter of its layout: the value
/// `val` gives by name, else a zero of the parameter's size (empty for a
/// variable-size one).
fn event_of(ts: u64, tid: u64, ty: u16, val: impl Fn(&str) -> Option<Vec<u8>>) -> Vec<u8> {
    use crate::event::OwnedEvent;
    let mut e = OwnedEvent::new(ts, tid, ty);
    for p in schema::event_info(ty).unwrap().params {
        let v = val(p.name).unwrap_or_else(|| vec![0; p.ty.fixed_size().unwrap_or(0)]);
        e.push(v);
    }
    e.encode()
}

/// The newest layout's exit event id of syscall `name`.
fn newest_exit(name: &str) -> u16 {
    schema::ids_named(name)
        .filter(|i| i % 2 == 1)
        .max()
        .unwrap()
}

/// A fd-list entry of a file open for reading.
fn file(fd: i64, name: &[u8]) -> FdInfo {
    FdInfo::file(fd, name, 1)
}

/// A state whose process list holds one process `pid` (parent 1) named `comm`.
fn state_with(pid: u64, comm: &[u8]) -> CaptureState {
    let mut st = CaptureState::new();
    st.add_processes(&[ProcessInfo {
        tid: pid,
        pid,
        ptid: 1,
        comm: comm.to_vec(),
        ..ProcessInfo::default()
    }]);
    st
}

/// Applies the encoded event `raw` to `st`.
fn apply(st: &mut CaptureState, raw: &[u8]) {
    st.update(&Event::parse(raw, false).unwrap());
}

/// A clone in a container returns the child's id in the container's pid
/// namespace: libsinsp makes the child from the child's own clone exit
/// only, not a thread of that id from the caller's (a container's bash
/// cloning `ls` made thread 6, named bash, which then named every pid 6).
#[test]
fn a_clone_in_a_container_makes_its_child_from_the_childs_exit() {
    let clone = newest_exit("clone");
    let mut st = state_with(500, b"bash");
    let caller = event_of(1, 500, clone, |n| match n {
        "res" => Some(6i64.to_le_bytes().to_vec()),
        "pid" | "tid" => Some(500i64.to_le_bytes().to_vec()),
        "vtid" | "vpid" => Some(1i64.to_le_bytes().to_vec()),
        "comm" => Some(b"bash\0".to_vec()),
        _ => None,
    });
    apply(&mut st, &caller);
    assert!(st.thread(6).is_none(), "no thread of the namespaced id");
    let child = event_of(2, 600, clone, |n| match n {
        "res" => Some(0i64.to_le_bytes().to_vec()),
        "pid" | "tid" => Some(600i64.to_le_bytes().to_vec()),
        "ptid" => Some(500i64.to_le_bytes().to_vec()),
        "vtid" | "vpid" => Some(6i64.to_le_bytes().to_vec()),
        "comm" => Some(b"bash\0".to_vec()),
        _ => None,
    });
    apply(&mut st, &child);
    let t = st.thread(600).expect("the child, from its own exit");
    assert_eq!((t.pid, t.ptid), (600, 500));
    // Outside a container the caller's exit still makes the child (a
    // child whose own exit is lost is known all the same).
    let host = event_of(3, 500, clone, |n| match n {
        "res" => Some(700i64.to_le_bytes().to_vec()),
        "pid" | "tid" | "vtid" | "vpid" => Some(500i64.to_le_bytes().to_vec()),
        _ => None,
    });
    apply(&mut st, &host);
    assert_eq!(st.thread(700).map(|t| t.ptid), Some(500));
}

/// The fd list gives a socket with this end first; one whose port is a
/// listening port of the list is the server's end and turns round
/// (`client->server`), as libsinsp names it; the others stay.
#[test]
fn sockets_of_the_fd_list_are_named_client_first() {
    let mut st = state_with(40, b"sshd");
    let sock = |fd, sip, sport, dip, dport| FdInfo::ipv4(fd, (sip, sport), (dip, dport), 2);
    st.add_fds(
        40,
        &[
            FdInfo::ipv4_server(3, [0; 4], 22, 2),
            sock(4, [10, 0, 2, 15], 22, [10, 0, 2, 2], 49289),
            sock(5, [10, 0, 2, 15], 40000, [1, 2, 3, 4], 443),
            // A port listened on over IPv6 counts too (libsinsp keeps one
            // set of server ports).
            FdInfo::ipv6_server(6, [0; 16], 8080, 2),
            sock(7, [127, 0, 0, 1], 8080, [127, 0, 0, 1], 51000),
        ],
    );
    let mut switch = crate::event::OwnedEvent::new(1, 40, 152);
    switch.push(8u64.to_le_bytes());
    let raw = switch.encode();
    apply(&mut st, &raw);
    assert_eq!(st.fd(40, 4).unwrap().name, "10.0.2.2:49289->10.0.2.15:22");
    assert_eq!(st.fd(40, 5).unwrap().name, "10.0.2.15:40000->1.2.3.4:443");
    assert_eq!(
        st.fd(40, 7).unwrap().name,
        "127.0.0.1:51000->127.0.0.1:8080"
    );
    assert!(st.fd(40, 4).unwrap().from_list);
}

/// Arguments split as libsinsp splits them: empty ones kept (nginx blanks
/// its arguments with NULs), the last NUL ending the last one.
#[test]
fn empty_arguments_are_kept() {
    assert_eq!(
        split_args(b"nginx: worker\0\0\0"),
        ["nginx: worker", "", ""]
    );
    assert_eq!(split_args(b"ls\0-l\0"), ["ls", "-l"]);
    assert!(split_args(b"").is_empty());
    assert!(split_args(b"\0").is_empty());
}

/// A vfork's caller returns only once its child has exec'd or exited; its
/// exit coming after the child's exit must not bring the child back.
#[test]
fn a_vfork_callers_late_exit_does_not_bring_its_child_back() {
    let vfork = newest_exit("vfork");
    let mut st = state_with(50, b"sh");
    let ids = |tid: i64| {
        move |n: &str| match n {
            "pid" | "tid" | "vtid" | "vpid" => Some(tid.to_le_bytes().to_vec()),
            "ptid" => Some(50i64.to_le_bytes().to_vec()),
            "comm" => Some(b"sh\0".to_vec()),
            _ => None,
        }
    };
    let child = event_of(1, 51, vfork, |n| match n {
        "res" => Some(0i64.to_le_bytes().to_vec()),
        n => ids(51)(n),
    });
    apply(&mut st, &child);
    assert!(st.thread(51).is_some());
    let mut exit =
        crate::event::OwnedEvent::new(2, 51, schema::ids_named("procexit").next().unwrap());
    exit.push(0i64.to_le_bytes());
    let raw = exit.encode();
    apply(&mut st, &raw);
    let caller = event_of(3, 50, vfork, |n| match n {
        "res" => Some(51i64.to_le_bytes().to_vec()),
        n => ids(50)(n),
    });
    apply(&mut st, &caller);
    assert!(st.thread(51).is_none(), "the exited child stays gone");
}

/// A vfork child's exit before its caller's first event, the caller
/// predating the capture unlisted (a busy machine): the child gets parent
/// 0 and keeps it when the caller turns up; the caller's own exit gives
/// it its ids (its parent, listed, kept) but no names (libs 0.23's
/// `create_thread_dependencies` and clone caller parser, as sysdig 0.41
/// shows them).
#[test]
fn a_child_made_before_its_unknown_parent_keeps_no_parent() {
    let vfork = newest_exit("vfork");
    let mut st = state_with(40, b"scapbridge");
    let ids = |tid: i64, ptid: i64| {
        move |n: &str| match n {
            "pid" | "tid" | "vtid" | "vpid" => Some(tid.to_le_bytes().to_vec()),
            "ptid" => Some(ptid.to_le_bytes().to_vec()),
            "comm" => Some(b"sh\0".to_vec()),
            "exe" => Some(b"sh\0".to_vec()),
            _ => None,
        }
    };
    let child = event_of(1, 51, vfork, |n| match n {
        "res" => Some(0i64.to_le_bytes().to_vec()),
        n => ids(51, 50)(n),
    });
    apply(&mut st, &child);
    assert_eq!(st.thread(51).unwrap().ptid, 0, "the parent was unknown");
    let caller = event_of(2, 50, vfork, |n| match n {
        "res" => Some(51i64.to_le_bytes().to_vec()),
        n => ids(50, 40)(n),
    });
    apply(&mut st, &caller);
    let c = st.thread(50).expect("the caller's exit made it");
    assert_eq!((c.pid, c.ptid), (50, 40));
    assert_eq!((c.comm.as_str(), c.exe.as_str()), ("<NA>", "<NA>"));
    assert_eq!(st.thread(51).unwrap().ptid, 0, "still no parent");
}

/// The process list may span several blocks (the writer cuts it at 256
/// KiB): a thread listed before its parent keeps that parent, and only one
/// whose parent is in no block gets parent 0, once the list is read.
#[test]
fn listed_threads_are_linked_to_parents_in_any_block() {
    let proc_of = |tid: u64, ptid: u64| ProcessInfo {
        tid,
        pid: tid,
        ptid,
        comm: b"sh".to_vec(),
        ..ProcessInfo::default()
    };
    let mut st = CaptureState::new();
    st.add_processes(&[proc_of(100, 900), proc_of(101, 77)]);
    st.add_processes(&[proc_of(900, 1), proc_of(1, 0)]);
    let mut ev =
        crate::event::OwnedEvent::new(1, 100, schema::ids_named("getppid").next().unwrap_or(1));
    ev.push(0i64.to_le_bytes());
    let raw = ev.encode();
    apply(&mut st, &raw);
    assert_eq!(
        st.thread(100).unwrap().ptid,
        900,
        "its parent came in the next block"
    );
    assert_eq!(st.thread(101).unwrap().ptid, 0, "its parent is in no block");
    assert_eq!(st.thread(900).unwrap().ptid, 1);
}

/// A thread made from its caller's clone exit has its process's parent
/// (libs 0.23 gives it the caller's own), not the caller: a thread that
/// took its caller for parent could become its own parent when the caller
/// leaves and its children go to another thread of the process.
#[test]
fn a_thread_made_by_its_caller_has_its_process_parent() {
    let clone = newest_exit("clone");
    let mut st = state_with(50, b"python3");
    st.add_processes(&[ProcessInfo {
        tid: 1,
        pid: 1,
        comm: b"init".to_vec(),
        ..ProcessInfo::default()
    }]);
    let caller = event_of(1, 50, clone, |n| match n {
        "res" => Some(51i64.to_le_bytes().to_vec()),
        "pid" | "tid" | "vtid" | "vpid" => Some(50i64.to_le_bytes().to_vec()),
        "ptid" => Some(1i64.to_le_bytes().to_vec()),
        "flags" => Some(0x2000u32.to_le_bytes().to_vec()), // PPM_CL_CLONE_THREAD
        "comm" => Some(b"python3\0".to_vec()),
        _ => None,
    });
    apply(&mut st, &caller);
    let t = st.thread(51).expect("the caller's exit made the thread");
    assert_eq!((t.pid, t.ptid), (50, 1));
}

/// libs 0.23's reapers: a process that said so with prctl (a container's
/// conmon) takes the orphans of its descendants before init does; a pid
/// namespace's init (vpid 1) takes its namespace's; a procexit's own
/// `reaper_tid` comes first; a prctl that unsets it is followed.
#[test]
fn orphans_go_to_the_nearest_reaper_as_libs_finds_it() {
    let proc_ = |tid: u64, pid: u64, ptid: u64, vtid: i64, vpid: i64| ProcessInfo {
        tid,
        pid,
        ptid,
        vtid,
        vpid,
        comm: format!("p{tid}").into_bytes(),
        ..ProcessInfo::default()
    };
    let fresh = || {
        let mut st = CaptureState::new();
        st.add_processes(&[
            proc_(1, 1, 0, 1, 1),
            proc_(10, 10, 1, 10, 10),  // conmon
            proc_(20, 20, 10, 20, 20), // runc
            proc_(21, 20, 10, 21, 20), // a runc thread
            proc_(30, 30, 21, 30, 30), // the shell that thread made
            proc_(40, 40, 10, 1, 1),   // a container's init
            proc_(41, 41, 40, 2, 2),
            proc_(42, 42, 41, 3, 3),
            // In a pid namespace below conmon, no init of its own listed.
            proc_(60, 60, 10, 7, 7),
            proc_(61, 61, 60, 8, 8),
            // A vtid not known (-1), below conmon.
            proc_(70, 70, 10, -1, -1),
            proc_(71, 71, 70, 71, 71),
        ]);
        st
    };
    let prctl = |st: &mut CaptureState, tid: u64, option: u32, arg2: i64| {
        let raw = event_of(1, tid, newest_exit("prctl"), |n| match n {
            "option" => Some(option.to_le_bytes().to_vec()),
            "arg2_int" => Some(arg2.to_le_bytes().to_vec()),
            _ => None,
        });
        apply(st, &raw);
    };
    // A procexit, then any event of another thread, at which libsinsp
    // removes the thread.
    let exit = |st: &mut CaptureState, tid: u64, reaper: i64| {
        let id = schema::ids_named("procexit").max().unwrap();
        let raw = event_of(2, tid, id, |n| {
            (n == "reaper_tid").then(|| reaper.to_le_bytes().to_vec())
        });
        apply(st, &raw);
        let mut next = crate::event::OwnedEvent::new(3, 1, 152); // switch
        next.push(8u64.to_le_bytes());
        apply(st, &next.encode());
    };

    let mut st = fresh();
    prctl(&mut st, 10, 36, 1); // PR_SET_CHILD_SUBREAPER, 1
    exit(&mut st, 21, 0);
    assert_eq!(
        st.thread(30).unwrap().ptid,
        20,
        "the process's other thread"
    );
    exit(&mut st, 20, 0);
    assert_eq!(st.thread(30).unwrap().ptid, 10, "the subreaper, not init");
    exit(&mut st, 41, 0);
    assert_eq!(st.thread(42).unwrap().ptid, 40, "the namespace's init");
    exit(&mut st, 60, 0);
    assert_eq!(
        st.thread(61).unwrap().ptid,
        0,
        "not past the namespace's border"
    );
    exit(&mut st, 70, 0);
    assert_eq!(
        st.thread(71).unwrap().ptid,
        10,
        "an unknown vtid is no border"
    );

    // Without the prctl (or after one that unsets it), init.
    let mut st = fresh();
    prctl(&mut st, 10, 36, 1);
    prctl(&mut st, 10, 36, 0);
    exit(&mut st, 21, 0);
    exit(&mut st, 20, 0);
    assert_eq!(st.thread(30).unwrap().ptid, 1);

    // PR_GET_CHILD_SUBREAPER's answer counts too.
    let mut st = fresh();
    prctl(&mut st, 10, 37, 1);
    exit(&mut st, 21, 0);
    exit(&mut st, 20, 0);
    assert_eq!(st.thread(30).unwrap().ptid, 10);

    // The procexit's reaper, when the table holds it.
    let mut st = fresh();
    prctl(&mut st, 10, 36, 1);
    exit(&mut st, 21, 1);
    exit(&mut st, 20, 1);
    assert_eq!(st.thread(30).unwrap().ptid, 1);
}

/// A tid the process list gave a process that ended unseen, given again
/// by the kernel to a new child: libs 0.23 replaces the stale entry at
/// either clone exit, its fds with it, and the child has its parent's
/// (a shell's pipes must not read as another process's files).
#[test]
fn a_child_on_a_stale_tid_has_its_parents_fds() {
    let fresh = || {
        let mut st = state_with(50, b"sh");
        st.add_fds(50, &[file(1, b"/dev/null")]);
        st.add_processes(&[ProcessInfo {
            tid: 60,
            pid: 60,
            ptid: 1,
            comm: b"stale".to_vec(),
            uid: 1000,
            ..ProcessInfo::default()
        }]);
        st.add_fds(60, &[file(1, b"/var/log/stale.log"), file(7, b"/db")]);
        st
    };
    // The child's exit first, then its caller's; the caller's alone; the
    // child's alone.
    for order in [
        vec![sh_clone_exit(1, 60, 0), sh_clone_exit(2, 50, 60)],
        vec![sh_clone_exit(1, 50, 60)],
        vec![sh_clone_exit(1, 60, 0)],
    ] {
        let mut st = fresh();
        for e in &order {
            apply(&mut st, e);
        }
        let names: Vec<Option<String>> = [1, 7]
            .iter()
            .map(|fd| st.fd(60, *fd).map(|f| f.name.clone()))
            .collect();
        assert_eq!(
            names,
            [Some("/dev/null".to_string()), None],
            "{} events",
            order.len()
        );
        assert_eq!(st.thread(60).unwrap().uid, 0, "the clone's user");
    }
}

/// A child's own clone exit 2 s or more after its caller's (a child
/// scheduled late), or with an earlier time (its record went out after
/// newer ones of another CPU): libsinsp's stale test (`CLONE_STALE_TIME_NS`,
/// unsigned) finds the entry the caller's exit made stale and makes the
/// child again, with its parent's fds as they are at the child's exit.
#[test]
fn a_late_child_exit_makes_the_child_again() {
    const S: u64 = 1_000_000_000;
    // (the child's exit time, a process list read between the two exits
    // (its entry has no clone time), whether the child sees the fd its
    // parent opened after the caller's exit at 10 s)
    for (child_ts, listed, again) in [
        (10 * S + 1, false, false),
        (12 * S - 1, false, false),
        (12 * S, false, true),
        (10 * S - 1, false, true),
        (10 * S + 1, true, true),
    ] {
        let mut st = state_with(50, b"sh");
        st.add_fds(50, &[file(1, b"/dev/null")]);
        apply(&mut st, &sh_clone_exit(10 * S, 50, 60));
        if listed {
            st.add_processes(&[ProcessInfo {
                tid: 60,
                pid: 60,
                ptid: 50,
                comm: b"sh".to_vec(),
                ..ProcessInfo::default()
            }]);
        }
        st.add_fds(50, &[file(5, b"/late")]);
        apply(&mut st, &sh_clone_exit(child_ts, 60, 0));
        assert_eq!(st.fd(60, 5).is_some(), again, "child's exit at {child_ts}");
        assert_eq!(st.fd(60, 1).map(|f| f.name.as_str()), Some("/dev/null"));
        assert_eq!(st.thread(60).map(|t| t.ptid), Some(50));
    }
}

/// A clone exit of a shell, 50 (parent 1), making 60: the caller's
/// (`res` the child) or the child's (`res` 0, `tid` 60).
fn sh_clone_exit(ts: u64, tid: u64, res: i64) -> Vec<u8> {
    event_of(ts, tid, newest_exit("clone"), move |n| match n {
        "res" => Some(res.to_le_bytes().to_vec()),
        "pid" | "tid" | "vtid" | "vpid" => Some(tid.to_le_bytes().to_vec()),
        "ptid" => Some(if res == 0 { 50u64 } else { 1 }.to_le_bytes().to_vec()),
        "comm" => Some(b"sh\0".to_vec()),
        _ => None,
    })
}
