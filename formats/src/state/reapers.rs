//! Who takes a leaving thread's children, as libs 0.23 decides it
//! (`remove_thread` and `find_new_reaper` in libsinsp, after the kernel's
//! rule): the thread the procexit names, else another live thread of the
//! same process, else a live thread of the nearest ancestor process that
//! reaps orphans. Reapers are init (pid 1), a pid namespace's init (vpid
//! 1), a process whose prctl said so (a container's conmon) and a process
//! that has already been given orphans.

use super::*;

/// prctl options that set or tell whether a process reaps its orphaned
/// descendants (`PR_SET_CHILD_SUBREAPER`, `PR_GET_CHILD_SUBREAPER`).
const PR_SET_CHILD_SUBREAPER: i64 = 36;
const PR_GET_CHILD_SUBREAPER: i64 = 37;

impl CaptureState {
    /// A prctl exit: a successful `PR_SET_CHILD_SUBREAPER` makes the
    /// caller's process a reaper when `arg2_int` is not 0 and stops it
    /// being one when it is; libs 0.23 takes a `PR_GET_CHILD_SUBREAPER`'s
    /// answer (`arg2_int`, the value read) the same way. A thread the table
    /// lacks marks nothing (libsinsp skips an invalid thread).
    pub(super) fn on_prctl(&mut self, ev: &Event<'_>) {
        if self.i64_arg(ev, "res").is_none_or(|r| r < 0) {
            return;
        }
        let option = self.i64_arg(ev, "option");
        if !matches!(
            option,
            Some(PR_SET_CHILD_SUBREAPER | PR_GET_CHILD_SUBREAPER)
        ) {
            return;
        }
        let (Some(th), Some(arg)) = (self.threads.get(&ev.tid()), self.i64_arg(ev, "arg2_int"))
        else {
            return;
        };
        self.reapers.insert(th.pid, arg != 0);
    }

    /// Whether process `pid` reaps orphans: as a prctl or an earlier
    /// reparenting set it, else when it is init or a pid namespace's init
    /// (libsinsp decides this when it makes the process's thread group).
    fn is_reaper(&self, pid: u64) -> bool {
        match self.reapers.get(&pid) {
            Some(&r) => r,
            None => pid == 1 || self.threads.get(&pid).is_some_and(|t| t.vpid == 1),
        }
    }

    /// A live thread of process `pid` (the lowest id: libsinsp keeps a
    /// group's threads in creation order, the main thread first).
    fn live_thread_of(&self, pid: u64) -> Option<u64> {
        self.threads
            .iter()
            .filter(|(_, o)| o.pid == pid)
            .map(|(tid, _)| *tid)
            .min()
    }

    /// Removes thread `t` as libsinsp's `remove_thread` does: its children
    /// go to `reaper` (0: the one libsinsp finds), and the process's fd
    /// table (its main thread's, kept while other threads live) and its
    /// reaper mark go with its last thread (libsinsp drops the thread
    /// group then): one scan of the table answers both.
    pub(super) fn remove_thread(&mut self, t: u64, reaper: u64) {
        self.made_up.remove(&t);
        self.made_by.remove(&t);
        if let Some(th) = self.threads.remove(&t) {
            self.reparent_children(t, &th, reaper);
            let main = th.pid == t;
            if (main || self.reapers.contains_key(&th.pid))
                && !self.threads.values().any(|o| o.pid == th.pid)
            {
                if main {
                    self.fds.remove(&t);
                }
                self.reapers.remove(&th.pid);
            }
        }
    }

    /// Gives the children of thread `t`, just removed, the parent libs 0.23
    /// gives orphans: `reaper` (the procexit's `reaper_tid`) when the table
    /// holds it, else [`Self::find_new_reaper`]; none (ptid 0) when there
    /// is none. A reaper of another process is marked a reaper for later,
    /// as libsinsp marks it. So an exec'd shell whose parent thread has
    /// gone still names a parent.
    pub(super) fn reparent_children(&mut self, t: u64, gone: &ThreadEntry, reaper: u64) {
        if !self.threads.values().any(|c| c.ptid == t) {
            return;
        }
        let reaper = Some(reaper)
            .filter(|r| *r > 0 && *r < i64::MAX as u64 && self.threads.contains_key(r))
            .or_else(|| self.find_new_reaper(t, gone));
        if let Some(pid) = reaper.and_then(|r| self.threads.get(&r)).map(|r| r.pid) {
            if pid != gone.pid {
                self.reapers.insert(pid, true);
            }
        }
        let new = reaper.unwrap_or(0);
        for c in self.threads.values_mut().filter(|c| c.ptid == t) {
            c.ptid = new;
        }
    }

    /// libsinsp's search for the reaper of `gone`'s children: another live
    /// thread of its process, else a live thread of the nearest ancestor
    /// process that reaps orphans, not looking past a pid namespace's
    /// border (a thread is in a pid namespace when its vtid is known and
    /// not its tid, as libs 0.23's `is_in_pid_namespace` says; the clone
    /// flag `PPM_CL_CHILD_IN_PIDNS`, which it also reads, is not kept
    /// here). Bounded: a damaged capture's parent loop must not hang.
    fn find_new_reaper(&self, t: u64, gone: &ThreadEntry) -> Option<u64> {
        if let Some(sibling) = self.live_thread_of(gone.pid) {
            return Some(sibling);
        }
        // An unknown vtid (libsinsp's -1; 0 from a process list too old to
        // carry one, where libscap takes the tid) says nothing.
        let in_namespace = |tid: u64, th: &ThreadEntry| {
            th.vtid != tid && th.vtid != 0 && th.vtid <= i64::MAX as u64
        };
        let gone_in_namespace = in_namespace(t, gone);
        let mut up = gone.ptid;
        for _ in 0..4096 {
            let a = self.threads.get(&up)?;
            if in_namespace(up, a) != gone_in_namespace {
                return None;
            }
            if self.is_reaper(a.pid) {
                if let Some(r) = self.live_thread_of(a.pid) {
                    return Some(r);
                }
            }
            if a.ptid == up {
                return None;
            }
            up = a.ptid;
        }
        None
    }
}
