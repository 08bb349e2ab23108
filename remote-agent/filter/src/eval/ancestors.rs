//! A process's ancestors: `proc.pname` and the other parent fields,
//! `proc.apid`, `proc.aname`, `proc.aexe`, `proc.aexepath` and
//! `proc.acmdline` with an ancestor number (one ancestor) or without (any
//! ancestor), and the walk the group leaders' fields share.

use super::*;

/// What an ancestor field reads of the ancestor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Attr {
    Pid,
    Name,
    Exe,
    Exepath,
    Cmdline,
}

impl Attr {
    /// `proc.a*` names, for lookup and listings.
    /// Each with its listing's name and description.
    #[allow(clippy::type_complexity)]
    pub(super) const NAMED: &'static [(&'static str, &'static str, Attr, &'static str)] = &[
        (
            "proc.apid",
            "proc.apid[N]",
            Attr::Pid,
            "the pid of the Nth ancestor (0: the process, 1: its parent); without N, any ancestor",
        ),
        (
            "proc.aname",
            "proc.aname[N]",
            Attr::Name,
            "the name of the Nth ancestor (1: the parent); without N, any ancestor",
        ),
        (
            "proc.aexe",
            "proc.aexe[N]",
            Attr::Exe,
            "the argv[0] of the Nth ancestor; without N, any ancestor",
        ),
        (
            "proc.aexepath",
            "proc.aexepath[N]",
            Attr::Exepath,
            "the executable path of the Nth ancestor; without N, any ancestor",
        ),
        (
            "proc.acmdline",
            "proc.acmdline[N]",
            Attr::Cmdline,
            "the command line of the Nth ancestor; without N, any ancestor",
        ),
    ];

    pub(super) fn named(name: &str) -> Option<Attr> {
        Self::NAMED.iter().find(|a| a.0 == name).map(|a| a.2)
    }

    pub(super) fn kind(self) -> Kind {
        match self {
            Attr::Pid => Kind::Num,
            _ => Kind::Str,
        }
    }

    /// The attribute of a thread, borrowed when the thread is.
    pub(super) fn of<'s>(self, t: Cow<'s, ThreadEntry>) -> Value<'s> {
        match self {
            Attr::Pid => Value::Num(t.pid as i64),
            Attr::Name => Value::Str(owned(t, |t| &t.comm)),
            Attr::Exe => Value::Str(owned(t, |t| &t.exe)),
            Attr::Exepath => Value::Str(owned(t, |t| &t.exepath)),
            Attr::Cmdline => Value::Str(Cow::Owned(cmdline(&t))),
        }
    }
}

/// `proc.a*[n]`; with no `n`, the nearest ancestor's value, which is all
/// `exists` asks (a comparison goes through [`any_holds`]). No ancestor:
/// missing, so `proc.aname exists` does not hold.
pub(super) fn extract<'s>(
    attr: Attr,
    n: Option<usize>,
    ev: &Event<'_>,
    cx: &EvalContext<'s>,
) -> Option<Value<'s>> {
    let Some(n) = n else {
        return lineage(ev, cx)?.next().map(|p| attr.of(Cow::Borrowed(p)));
    };
    let t = thread(ev, cx)?;
    // sysdig 0.29 counts a thread's ancestors from its main thread, each
    // step to the parent thread itself (its proc.pname is the thread that
    // made it): a rule of its own.
    if n > 0 && cx.state.generation().is_029() {
        let start = main_thread(cx, ev.tid(), t);
        return Some(attr.of(climb(cx, start, n, false)?));
    }
    Some(attr.of(ancestor(ev, cx, n)?))
}

/// Whether `test` holds for one ancestor's value, whatever the operator
/// it applies (libs' `compare_full_a*`: `proc.aname != bash` holds when
/// one ancestor is not bash, as sysdig 0.29 and 0.41 count it), from the
/// main thread's parent up; the walk stops at the first that does.
pub(super) fn any_holds(
    attr: Attr,
    ev: &Event<'_>,
    cx: &EvalContext<'_>,
    test: impl Fn(&Value<'_>) -> bool,
) -> bool {
    lineage(ev, cx).is_some_and(|mut l| l.any(|p| test(&attr.of(Cow::Borrowed(p)))))
}

/// The parents of the event's process, nearest first: [`parents`] of its
/// main thread, the walk of the ancestor fields without a number. `None`
/// for an event without a thread.
fn lineage<'s>(
    ev: &Event<'_>,
    cx: &EvalContext<'s>,
) -> Option<impl Iterator<Item = &'s ThreadEntry>> {
    let start = main_thread(cx, ev.tid(), thread(ev, cx)?);
    Some(parents(cx, &start))
}

/// The parents of `start`, nearest first, each the thread its predecessor
/// names as parent (libsinsp's `traverse_parent_state`). A loop in a
/// damaged capture ends the walk where libsinsp's ends it: a second cursor
/// goes two steps for each of the walk's one, and the walk stops when the
/// cursor meets the next thread after either step, or when the next thread
/// is its own parent (not visited).
pub(super) fn parents<'s>(
    cx: &EvalContext<'s>,
    start: &ThreadEntry,
) -> impl Iterator<Item = &'s ThreadEntry> {
    let state = cx.state;
    let parent = move |t: Option<&'s ThreadEntry>| t.and_then(|t| state.thread(t.ptid));
    let same = |a: Option<&ThreadEntry>, b: Option<&ThreadEntry>| matches!((a, b), (Some(a), Some(b)) if std::ptr::eq(a, b));
    let mut slow = state.thread(start.ptid);
    let mut fast = parent(slow);
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let s = slow?;
        slow = parent(Some(s));
        for _ in 0..2 {
            fast = parent(fast);
            if slow.is_some() && (same(slow, fast) || same(slow, parent(slow))) {
                done = true;
                break;
            }
        }
        Some(s)
    })
}

/// Ancestor process `n` of the event's thread (0: the thread itself
/// under sysdig 0.29, its main thread under libs 0.23), borrowed from the
/// table.
///
/// libs 0.23 (`get_ancestor_process`) starts from the thread's main thread
/// and goes from each one to its parent thread's main thread, so a child
/// of a process's second thread names the process's main thread as its
/// parent (sysdig 0.41 prints `proc.pname` `containers-753f`, not the
/// thread's `stock_container`). A main thread that left before its other
/// threads, which libsinsp keeps until the last one leaves and this table
/// does not, stands in as the thread itself. sysdig 0.29 goes from the
/// thread to the thread that made it.
pub(super) fn ancestor<'s>(
    ev: &Event<'_>,
    cx: &EvalContext<'s>,
    n: usize,
) -> Option<Cow<'s, ThreadEntry>> {
    let t = thread(ev, cx)?;
    if cx.state.generation().is_029() {
        return climb(cx, t, n, false);
    }
    climb(cx, main_thread(cx, ev.tid(), t), n, true)
}

/// The main thread of thread `tid` (entry `t`), or `t` when it is the main
/// thread or its main thread is not in the table.
pub(super) fn main_thread<'s>(
    cx: &EvalContext<'s>,
    tid: u64,
    t: Cow<'s, ThreadEntry>,
) -> Cow<'s, ThreadEntry> {
    if t.pid == tid {
        return t;
    }
    cx.state.thread(t.pid).map_or(t, Cow::Borrowed)
}

/// `n` steps up from `start`, each to the parent thread, and with
/// `to_main` on to that thread's main thread (see [`ancestor`]).
pub(super) fn climb<'s>(
    cx: &EvalContext<'s>,
    start: Cow<'s, ThreadEntry>,
    n: usize,
    to_main: bool,
) -> Option<Cow<'s, ThreadEntry>> {
    let mut a = start;
    for _ in 0..n {
        let ptid = a.ptid;
        let p = Cow::Borrowed(cx.state.thread(ptid)?);
        a = if to_main { main_thread(cx, ptid, p) } else { p };
    }
    Some(a)
}
