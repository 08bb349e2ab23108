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
        st.update(&Event::parse(&raw, false).unwrap());
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
    let file = |fd, name: &[u8]| FdInfo {
        fd,
        ino: 0,
        fd_type: fd_type::FILE_V2,
        data: FdData::FileV2 {
            open_flags: 1,
            name: name.to_vec(),
            dev: None,
        },
    };
    a.add_fds(
        10,
        &[
            file(3, b"/var/log/nginx/access.log"),
            FdInfo {
                fd: 4,
                ino: 0,
                fd_type: fd_type::IPV4_SOCK,
                data: FdData::Ipv4(SocketTuple {
                    sip: [10, 0, 0, 1],
                    dip: [10, 0, 0, 2],
                    sport: 80,
                    dport: 51000,
                    l4proto: 2,
                }),
            },
            FdInfo {
                fd: 5,
                ino: 0,
                fd_type: fd_type::IPV6_SERVSOCK,
                data: FdData::Ipv6Server(ListenAddr {
                    ip: std::net::Ipv6Addr::LOCALHOST.octets(),
                    port: 443,
                    l4proto: 2,
                }),
            },
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
        st.update(&Event::parse(&raw, false).unwrap());
        let mut next = OwnedEvent::new(ts + 1, 30, 152); // switch
        next.push(8u64.to_le_bytes());
        let raw = next.encode();
        st.update(&Event::parse(&raw, false).unwrap());
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
