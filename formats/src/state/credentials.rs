//! A thread's user and group after the calls that change them, and their
//! names as libsinsp gives them for a thread. libsinsp
//! (`parse_set*id_exit`) takes the new effective id from a successful
//! setuid, setgid, setresuid or setresgid, and libs 0.23 from setreuid
//! and setregid too; sysdig 0.29 does not follow those two.

use super::CaptureState;
use crate::Event;

impl CaptureState {
    /// Applies a credential call's exit `ev` of thread `tid`, named
    /// `name`. An id of -1 ("leave unchanged") changes nothing in sysdig
    /// 0.29; libs 0.23 takes it as the id (sysdig 0.41 shows `user.uid`
    /// 4294967295 after `setresuid(-1, -1, -1)`).
    pub(super) fn on_credentials(&mut self, ev: &Event<'_>, tid: u64, name: &str) {
        let (param, user) = match name {
            "setuid" => ("uid", true),
            "setresuid" => ("euid", true),
            "setgid" => ("gid", false),
            "setresgid" => ("egid", false),
            "setreuid" if !self.generation.is_029() => ("euid", true),
            "setregid" if !self.generation.is_029() => ("egid", false),
            _ => return,
        };
        if self.i64_arg(ev, "res") != Some(0) {
            return;
        }
        let Some(id) = self
            .arg(ev, param)
            .and_then(crate::event::value_u64)
            .and_then(|v| u32::try_from(v).ok())
            .filter(|&id| id != u32::MAX || !self.generation.is_029())
        else {
            return;
        };
        if let Some(t) = self.threads.get_mut(&tid) {
            if user {
                t.uid = id;
            } else {
                t.gid = id;
            }
        }
    }
}

impl CaptureState {
    /// The name of user `uid` as libsinsp names it for thread `tid`: from
    /// the capture's list, which libs 0.23 consults for a host thread only
    /// (it keeps a list per container and a file fills the host's alone:
    /// sysdig 0.41 prints a container's `euid=0(<NA>)`; its `user.name`
    /// falls back to `root` for id 0 on its own); sysdig 0.29 for every
    /// thread.
    pub fn user_name_for(&self, tid: u64, uid: u32) -> Option<&str> {
        self.id_name_for(tid, uid, CaptureState::user_name)
    }

    /// The name of group `gid` for thread `tid`, as [`Self::user_name_for`].
    pub fn group_name_for(&self, tid: u64, gid: u32) -> Option<&str> {
        self.id_name_for(tid, gid, CaptureState::group_name)
    }

    fn id_name_for(
        &self,
        tid: u64,
        id: u32,
        lookup: fn(&CaptureState, u32) -> Option<&str>,
    ) -> Option<&str> {
        match self.thread(tid) {
            Some(t) if !t.container_id.is_empty() && !self.generation.is_029() => None,
            _ => lookup(self, id),
        }
    }
}
