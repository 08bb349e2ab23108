//! A thread's user and group after the calls that change them: libsinsp
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
            .and_then(|v| <[u8; 4]>::try_from(v).ok())
            .map(u32::from_le_bytes)
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
