//! User and group names as each reader names them: libs 0.23 reading a
//! file has no user database (only root, by id 0, has a name); live, the
//! capture's users are the host's; sysdig 0.29 names the file's users.

#![allow(clippy::unwrap_used)]

use scapbridge_filter::eval::OutputFormat;
use scapbridge_filter::EvalContext;
use scapbridge_formats::meta::{ProcessInfo, UserEntry};
use scapbridge_formats::state::CaptureState;
use scapbridge_formats::{Event, Generation, OwnedEvent};

fn state() -> CaptureState {
    let mut st = CaptureState::new();
    // The V9 tail: pidns start, tty, then the login uid.
    let p = |tid: u64, uid: u32| {
        let mut tail = vec![0u8; 12];
        tail.extend_from_slice(&uid.to_le_bytes());
        tail.resize(76, 0);
        ProcessInfo {
            tid,
            pid: tid,
            ptid: 1,
            comm: b"sh".to_vec(),
            uid,
            gid: uid,
            tail,
            ..ProcessInfo::default()
        }
    };
    st.add_processes(&[p(1, 0), p(10, 1000), p(20, 2000)]);
    let user = |uid: u32, name: &str| UserEntry::User {
        uid,
        gid: uid,
        name: name.as_bytes().to_vec(),
        homedir: Vec::new(),
        shell: Vec::new(),
    };
    let group = |gid: u32, name: &str| UserEntry::Group {
        gid,
        name: name.as_bytes().to_vec(),
    };
    st.add_users(&[
        user(0, "toor"),
        user(1000, "ubuntu"),
        group(0, "wheel"),
        group(1000, "ubuntu"),
    ]);
    st
}

/// `%user.name %group.name %user.loginname` for a scheduler switch of `tid`.
fn names(st: &CaptureState, tid: u64) -> String {
    let mut e = OwnedEvent::new(1, tid, 152);
    e.push(8u64.to_le_bytes());
    let raw = e.encode();
    let ev = Event::parse(&raw, false).unwrap();
    let f =
        OutputFormat::new_as("%user.name %group.name %user.loginname", st.generation()).unwrap();
    f.render(&ev, EvalContext { state: st, num: 1 }).0
}

#[test]
fn each_reader_names_users_its_way() {
    // Live (libs 0.23 with the host's users): the list's names, and for an
    // id it lacks root (id 0) or <NA>.
    let st = state();
    assert_eq!(names(&st, 1), "toor wheel toor");
    assert_eq!(names(&st, 10), "ubuntu ubuntu ubuntu");
    assert_eq!(names(&st, 20), "<NA> <NA> <NA>");
    // Reading a file (sysdig 0.41, Stratoshark): no user but root.
    let mut st = state();
    st.set_offline();
    assert_eq!(names(&st, 1), "root root root");
    assert_eq!(names(&st, 10), "<NA> <NA> <NA>");
    // sysdig 0.29: the file's names; one it lacks is missing (a login
    // name is <NA>).
    st.set_generation(Generation::Sysdig029);
    assert_eq!(names(&st, 1), "toor wheel toor");
    assert_eq!(names(&st, 10), "ubuntu ubuntu ubuntu");
    assert_eq!(names(&st, 20), "<NA> <NA> <NA>");
}
