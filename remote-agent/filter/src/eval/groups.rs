//! Sessions and process groups: `proc.sid`, `proc.vpgid`, `proc.pgid`, the
//! name, argv[0] and path of each one's leader, and whether the event's
//! process leads it, as libs 0.23 finds them.

use super::*;

/// Which grouping of processes a field reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Group {
    /// The session (`proc.sid`, `proc.sname`, `proc.sid.*`).
    Session,
    /// The process group in the thread's pid namespace (`proc.vpgid*`).
    Vpgid,
    /// The process group in the host's pid namespace (`proc.pgid*`).
    Pgid,
}

/// What of a group's leader a field gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LeaderPart {
    /// Its name (`proc.sname`, `proc.vpgid.name`, `proc.pgid.name`).
    Name,
    /// Its argv[0] (`proc.sid.exe`, …).
    Exe,
    /// Its executable path (`proc.sid.exepath`, …).
    Exepath,
}

impl Group {
    /// The thread's id of this group; `u64::MAX` (-1) when not known.
    pub(super) fn id(self, t: &ThreadEntry) -> u64 {
        match self {
            Group::Session => t.sid,
            Group::Vpgid => t.vpgid,
            Group::Pgid => t.pgid,
        }
    }

    /// Whether the event's process leads its group: the group id is its
    /// pid (in its namespace for the session and `vpgid`, as libs 0.23
    /// compares with `proc.vpid`; in the host's for `pgid`).
    pub(super) fn is_leader(self, t: &ThreadEntry) -> bool {
        match self {
            Group::Session | Group::Vpgid => self.id(t) == t.vpid,
            Group::Pgid => t.pgid == t.pid,
        }
    }
}

/// The leader of the event's group, as libsinsp finds it: where the ids
/// are the host's (outside a pid namespace, and always for `pgid`), the
/// thread whose id is the group id (a group id is its leader's pid); else,
/// or when that leader is gone, the highest ancestor of the process's main
/// thread still in the same group. A container's threads stand for a pid
/// namespace (its ids are the namespace's numbers) and are never looked
/// up by id. The walk counts ancestors only, so a process whose parent is
/// in another group (a container's first shell, a process whose group
/// leader was not listed) has an empty leader, not itself (sysdig 0.41 on
/// the 2019 container captures and on cut live captures; a main thread
/// that is its own parent in a damaged capture is its own ancestor, as
/// libsinsp's walk takes it). An unknown
/// group, or a thread libsinsp made up for the event, has an empty leader
/// too.
pub(super) fn leader(
    ev: &Event<'_>,
    cx: &EvalContext<'_>,
    group: Group,
    part: LeaderPart,
) -> Option<String> {
    let t = thread(ev, cx)?;
    let id = group.id(&t);
    // A group libs 0.23 does not know (a thread first seen at its execve
    // has no session): no leader.
    if id == u64::MAX {
        return Some(String::new());
    }
    let in_pidns = !t.container_id.is_empty();
    let take = |l: &ThreadEntry| match part {
        LeaderPart::Name => l.comm.clone(),
        LeaderPart::Exe => l.exe.clone(),
        LeaderPart::Exepath => l.exepath.clone(),
    };
    if group == Group::Pgid || !in_pidns {
        if let Some(l) = cx.state.thread(id) {
            return Some(take(l));
        }
    }
    // A thread libsinsp made up for the event (not in the table) or one
    // whose main thread is gone: no leader.
    let Some(main) = cx.state.thread(t.pid) else {
        return Some(String::new());
    };
    // The highest ancestor in the same group (libs 0.23 walks
    // `traverse_parent_state` from the main thread).
    // No ancestor in the same group: libs 0.23 names none (its walk starts
    // from nothing), on the host as in a container.
    let top = super::ancestors::parents(cx, main)
        .take_while(|p| group.id(p) == id)
        .last();
    Some(top.map(take).unwrap_or_default())
}
