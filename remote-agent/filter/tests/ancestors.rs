//! A process's ancestors as each reader generation walks them, on a
//! hand-built process list where a process's second thread made a child.

#![allow(clippy::unwrap_used, clippy::panic)]

use scapbridge_filter::eval::OutputFormat;
use scapbridge_filter::EvalContext;
use scapbridge_formats::meta::ProcessInfo;
use scapbridge_formats::state::CaptureState;
use scapbridge_formats::{Event, Generation, OwnedEvent};

fn listed(tid: u64, pid: u64, ptid: u64, comm: &str) -> ProcessInfo {
    ProcessInfo {
        tid,
        pid,
        ptid,
        comm: comm.as_bytes().to_vec(),
        exe: comm.as_bytes().to_vec(),
        ..ProcessInfo::default()
    }
}

/// A scheduler switch of thread `tid`, encoded.
fn switch(tid: u64) -> Vec<u8> {
    let mut e = OwnedEvent::new(1, tid, 152);
    e.push(8u64.to_le_bytes());
    e.encode()
}

/// `fmt` for a scheduler switch of thread `tid`.
fn show(st: &CaptureState, tid: u64, fmt: &str) -> String {
    let raw = switch(tid);
    let ev = Event::parse(&raw, false).unwrap();
    let g = st.generation();
    let f = OutputFormat::new_as(fmt, g).unwrap();
    f.render(&ev, EvalContext { state: st, num: 1 }).0
}

/// libs 0.23 walks from main thread to main thread: the child of a
/// process's second thread has that process's main thread as its parent
/// process, and `proc.aname[0]` of a second thread is its main thread's
/// name. sysdig 0.29 names the thread that made it.
#[test]
fn a_child_of_a_second_thread_has_its_process_as_parent() {
    let mut st = CaptureState::new();
    st.add_processes(&[
        listed(1, 1, 0, "systemd"),
        listed(100, 100, 1, "cargo"),
        listed(200, 200, 100, "harness"),
        listed(201, 200, 100, "worker"),
        listed(300, 300, 201, "sh"),
    ]);
    let fmt = "%proc.pname %proc.ppid %proc.aname[1] %proc.aname[2] %proc.pexe";
    assert_eq!(show(&st, 300, fmt), "harness 200 harness cargo harness");
    assert_eq!(
        show(&st, 201, "%proc.name %proc.aname[0] %proc.pname"),
        "worker harness cargo"
    );
    st.set_generation(Generation::Sysdig029);
    assert_eq!(
        show(&st, 300, "%proc.pname %proc.aname[1]"),
        "worker worker"
    );
}

/// Whether `filter` holds on a scheduler switch of thread `tid`.
fn holds(st: &CaptureState, tid: u64, filter: &str) -> bool {
    let raw = switch(tid);
    let ev = Event::parse(&raw, false).unwrap();
    scapbridge_filter::eval::Filter::new(filter)
        .unwrap()
        .matches(&ev, EvalContext { state: st, num: 1 })
}

/// Without an ancestor number, a comparison holds when it holds for one
/// ancestor, `!=` included (sysdig 0.29 and 0.41 both count
/// `proc.aname != bash` on libs_sample.scap's 182 events that have
/// ancestors, not the 146 with no bash among them); a process with no
/// ancestor has none to compare.
#[test]
fn any_ancestor_comparisons_hold_for_one_ancestor() {
    let mut st = CaptureState::new();
    st.add_processes(&[
        listed(1, 1, 0, "systemd"),
        listed(100, 100, 1, "bash"),
        listed(200, 200, 100, "sh"),
        listed(201, 200, 100, "worker"),
    ]);
    for (tid, filter, want) in [
        (200, "proc.aname != bash", true),
        (200, "proc.aname = bash", true),
        (200, "proc.aname = sh", false),
        (200, "proc.apid = 1", true),
        (200, "proc.apid != 1", true),
        (200, "proc.apid > 100", false),
        (200, "proc.apid[0] = 200", true),
        (200, "proc.apid[2] = 1", true),
        (201, "proc.aname[1] = bash", true),
        (201, "proc.aexe in (systemd)", true),
        (201, "proc.acmdline startswith bash", true),
        (100, "proc.aname != systemd", false),
        (1, "proc.aname exists", false),
        (1, "proc.aname != bash", false),
        (1, "proc.apid[0] = 1", true),
    ] {
        assert_eq!(holds(&st, tid, filter), want, "{filter} on {tid}");
    }
}

/// A parent loop in a damaged capture ends the walk (libsinsp's two
/// cursors) instead of hanging or naming the process itself.
#[test]
fn a_parent_loop_ends_the_walk() {
    let mut st = CaptureState::new();
    st.add_processes(&[listed(10, 10, 11, "a"), listed(11, 11, 10, "b")]);
    assert!(holds(&st, 10, "proc.aname = b"));
    assert!(!holds(&st, 10, "proc.aname = a"));
    // A loop behind a tail, s -> a -> b -> c -> d -> c: libsinsp's second
    // cursor meets the walk at c, which is not visited.
    let mut st = CaptureState::new();
    st.add_processes(&[
        listed(20, 20, 21, "s"),
        listed(21, 21, 22, "a"),
        listed(22, 22, 23, "b"),
        listed(23, 23, 24, "c"),
        listed(24, 24, 23, "d"),
    ]);
    assert!(holds(&st, 20, "proc.aname = b"));
    assert!(!holds(&st, 20, "proc.aname = c"));
    // A parent that is its own parent ends the walk before it.
    let mut st = CaptureState::new();
    st.add_processes(&[
        listed(30, 30, 31, "m"),
        listed(31, 31, 32, "p"),
        listed(32, 32, 32, "x"),
    ]);
    assert!(holds(&st, 30, "proc.aname = p"));
    assert!(!holds(&st, 30, "proc.aname = x"));
}

/// The ancestor fields take no transformer and are neither side of a
/// `val()` comparison (libs' EPF_NO_TRANSFORMER and EPF_NO_RHS), with
/// sysdig 0.41's words; printed without a number, one is the process's
/// own value, as libs extracts it.
#[test]
fn ancestor_fields_refuse_transformers_and_val_and_print_their_own_value() {
    use scapbridge_filter::eval::Filter;
    for (filter, want) in [
        (
            "tolower(proc.aname) = x",
            "field 'proc.aname' does not support transformers",
        ),
        (
            "len(proc.apid[1]) > 1",
            "field 'proc.apid' does not support transformers",
        ),
        (
            "proc.name = val(proc.aname)",
            "field 'proc.aname' can't be used as a right-hand side field",
        ),
        (
            "proc.aexepath = val(proc.exepath)",
            "field 'proc.aexepath' doesn't support right-hand side fields",
        ),
    ] {
        let Err(e) = Filter::new(filter) else {
            panic!("{filter} compiled")
        };
        let e = e.to_string();
        assert!(e.contains(want), "{filter}: {e}");
    }
    let mut st = CaptureState::new();
    st.add_processes(&[listed(1, 1, 0, "systemd"), listed(100, 100, 1, "bash")]);
    assert_eq!(
        show(&st, 100, "%proc.aname %proc.apid %proc.aname[1]"),
        "bash 100 systemd"
    );
}
