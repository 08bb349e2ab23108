//! Schema profiles: which parameter layouts a written file uses, and the
//! adapter that turns events of any layout into a profile's layout.
//!
//! * [`Profile::Compat`]: the libs 0.21 layouts (exit events carry at most the
//!   0.21 parameter count) with enter events. sysdig 0.29 and tshark 4.0 read
//!   every parameter they know; libs ≥ 0.21 upgrade it with their converter.
//!   The default for files and for tshark/Wireshark 4.0 FIFOs.
//! * [`Profile::Modern`]: the newest layouts (exact current parameter counts),
//!   exit events only, except the enter events current libs still pass on
//!   (open, openat, openat2, creat, connect, execve). Current Falco and
//!   Stratoshark read it without converter rejections and with one libsinsp
//!   event per event block. sysdig 0.29 then lacks the fds of read/write/close.

use std::collections::HashMap;

use crate::error::WriteError;
use crate::event::OwnedEvent;
use crate::schema::{self, ef, Direction, EventInfo};

/// A schema profile. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// libs 0.21 layouts plus enter events.
    #[default]
    Compat,
    /// Newest layouts, exit events only.
    Modern,
    /// Every event as it came: any layout the schema knows (at most the
    /// newest parameter count). For rewriting captures without changing them.
    Keep,
}

/// Enter events that current libs still deliver (time-of-check information).
const MODERN_KEPT_ENTERS: &[&str] = &["open", "openat", "openat2", "creat", "connect", "execve"];

impl Profile {
    /// Profile name as the CLI spells it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Compat => "compat",
            Profile::Modern => "modern",
            Profile::Keep => "keep",
        }
    }

    /// Whether an enter event of `info` exists in this profile.
    fn keeps_enter(self, event_type: u16, info: &EventInfo) -> bool {
        match self {
            Profile::Compat | Profile::Keep => true,
            Profile::Modern => {
                // Enter-only events (procexit, switch, plugin events...) have an unused exit slot.
                let exit_unused = schema::event_info(event_type + 1).is_none_or(|x| x.is_unused());
                exit_unused || MODERN_KEPT_ENTERS.contains(&info.name)
            }
        }
    }

    /// Checks that an event of `event_type` with `nparams` parameters fits.
    pub fn check(self, event_type: u16, nparams: usize) -> Result<(), WriteError> {
        let Some(info) = schema::known_event(event_type) else {
            return Err(WriteError::UnknownEventType { event_type });
        };
        self.check_info(event_type, info, nparams)
    }

    /// [`Profile::check`] for an id already looked up (`info` is
    /// `schema::known_event(event_type)`): the writer's per-event path. The
    /// rule an event breaks is decided here, once; only its message is
    /// built out of line.
    #[inline]
    pub(crate) fn check_info(
        self,
        event_type: u16,
        info: &'static EventInfo,
        nparams: usize,
    ) -> Result<(), WriteError> {
        let broken = match self {
            Profile::Keep if nparams > info.params.len() => Misfit::MoreThanNewest,
            Profile::Compat if nparams > usize::from(info.compat_nparams) => Misfit::MoreThanCompat,
            Profile::Modern if info.flags & ef::OLD_VERSION != 0 => Misfit::OldId,
            Profile::Modern
                if Direction::of(event_type) == Direction::Enter
                    && !self.keeps_enter(event_type, info) =>
            {
                Misfit::DroppedEnter
            }
            Profile::Modern if nparams != info.params.len() => Misfit::NotCurrentCount,
            _ => return Ok(()),
        };
        Err(self.mismatch(event_type, info, nparams, broken))
    }

    /// The error for an event that breaks rule `broken`.
    #[cold]
    fn mismatch(
        self,
        event_type: u16,
        info: &'static EventInfo,
        nparams: usize,
        broken: Misfit,
    ) -> WriteError {
        let reason = match broken {
            Misfit::MoreThanNewest => format!(
                "more than the {} parameters of the newest known layout",
                info.params.len()
            ),
            Misfit::MoreThanCompat => format!(
                "at most {} parameters (libs 0.21 layout); libs 0.21 rejects more",
                info.compat_nparams
            ),
            Misfit::OldId => "the id is an old version; current libs expect the newest id".into(),
            Misfit::DroppedEnter => {
                "current libs drop this enter event (its parameters belong to the exit)".into()
            }
            Misfit::NotCurrentCount => format!(
                "exactly {} parameters in the current layout",
                info.params.len()
            ),
        };
        WriteError::ProfileMismatch {
            event_type,
            name: info.name,
            nparams,
            profile: self.name(),
            reason,
        }
    }
}

/// The profile rule an event breaks (see [`Profile::check_info`]).
#[derive(Debug, Clone, Copy)]
enum Misfit {
    MoreThanNewest,
    MoreThanCompat,
    OldId,
    DroppedEnter,
    NotCurrentCount,
}

/// Lowest generic-event `ID` (ppm syscall code) that sysdig 0.29 does not
/// know: it indexes its syscall table with the code unchecked and crashes on
/// codes from here on (measured: codes 330-399 in a generic event crash
/// `sysdig -r` with SIGSEGV for most values; every code below 330 reads).
pub const COMPAT_SYSCALL_CODES: u16 = 330;

/// In the compat profile, a generic event with a code sysdig 0.29 lacks says
/// "unknown" (code 0) instead; the enter event's `nativeID` still names the
/// syscall by number.
fn compat_syscall_code(ev: &mut OwnedEvent) {
    if ev.event_type > 1 {
        return;
    }
    if let Some(id) = ev.params.first_mut().filter(|p| p.len() == 2) {
        if u16::from_le_bytes([id[0], id[1]]) >= COMPAT_SYSCALL_CODES {
            id.copy_from_slice(&0u16.to_le_bytes());
        }
    }
}

/// Turns events of any layout into the layout of a profile.
///
/// * To `Modern`: old ids become the current id of the same name (parameters
///   matched by name), exits get missing parameters from the stored enter of
///   the same thread (by name) or empty, dropped enters are stored, not emitted.
/// * To `Compat`: exits are cut to the libs 0.21 count; if the exit was not
///   preceded by its enter on the same thread, the enter is synthesised from
///   the exit's parameters (by name) and emitted first.
///
/// Holds one pending enter per thread; dropping the adapter loses nothing
/// that was emitted.
#[derive(Debug)]
pub struct ProfileAdapter {
    profile: Profile,
    pending: HashMap<u64, OwnedEvent>,
    last_enter: HashMap<u64, u16>,
    /// Per exit id: where each parameter of its enter stands in the exit
    /// (matched by name once, not per event); `None` inside: not there.
    enter_in_exit: HashMap<u16, Vec<Option<usize>>>,
}

fn current_id(event_type: u16) -> u16 {
    let Some(info) = schema::event_info(event_type) else {
        return event_type;
    };
    if info.flags & ef::OLD_VERSION == 0 {
        return event_type;
    }
    let dir = Direction::of(event_type);
    schema::ids_named(info.name)
        .filter(|&id| Direction::of(id) == dir)
        .filter(|&id| schema::event_info(id).is_some_and(|i| i.flags & ef::OLD_VERSION == 0))
        .max()
        .unwrap_or(event_type)
}

fn remap(ev: &OwnedEvent, to: u16, from_enter: Option<&OwnedEvent>) -> OwnedEvent {
    let src = schema::event_info(ev.event_type);
    let dst = schema::event_info(to);
    let enter_info = from_enter.and_then(|e| schema::event_info(e.event_type));
    let mut out = OwnedEvent {
        ts: ev.ts,
        tid: ev.tid,
        event_type: to,
        cpu: ev.cpu,
        dump_flags: ev.dump_flags,
        params: Vec::new(),
    };
    let Some(dst) = dst else { return ev.clone() };
    for p in dst.params {
        let from_self = src
            .and_then(|s| s.param_index(p.name))
            .and_then(|i| ev.params.get(i))
            .filter(|v| !v.is_empty() || from_enter.is_none());
        let v = from_self.cloned().or_else(|| {
            let e = from_enter?;
            let i = enter_info?.param_index(p.name)?;
            e.params.get(i).cloned()
        });
        out.params.push(v.unwrap_or_default());
    }
    out
}

impl ProfileAdapter {
    /// An adapter to `profile`.
    pub fn new(profile: Profile) -> Self {
        ProfileAdapter {
            profile,
            pending: HashMap::new(),
            last_enter: HashMap::new(),
            enter_in_exit: HashMap::new(),
        }
    }

    /// Adapts one event; pushes 0, 1 or 2 events to `out`.
    pub fn adapt(&mut self, ev: OwnedEvent, out: &mut Vec<OwnedEvent>) {
        let Some(info) = schema::known_event(ev.event_type) else {
            return;
        };
        match self.profile {
            Profile::Modern => self.adapt_modern(ev, info, out),
            Profile::Compat => self.adapt_compat(ev, info, out),
            Profile::Keep => out.push(ev),
        }
    }

    fn adapt_modern(&mut self, ev: OwnedEvent, info: &EventInfo, out: &mut Vec<OwnedEvent>) {
        let id = current_id(ev.event_type);
        let cur = schema::event_info(id).unwrap_or(info);
        match Direction::of(id) {
            Direction::Enter if !Profile::Modern.keeps_enter(id, cur) => {
                self.pending.insert(ev.tid, ev);
            }
            Direction::Enter => {
                let e = remap(&ev, id, None);
                self.pending.insert(ev.tid, ev);
                out.push(e);
            }
            Direction::Exit => {
                let enter = self.pending.remove(&ev.tid).filter(|e| {
                    schema::event_info(e.event_type).is_some_and(|i| i.name == cur.name)
                });
                out.push(remap(&ev, id, enter.as_ref()));
            }
        }
    }

    fn adapt_compat(&mut self, mut ev: OwnedEvent, info: &EventInfo, out: &mut Vec<OwnedEvent>) {
        compat_syscall_code(&mut ev);
        match Direction::of(ev.event_type) {
            Direction::Enter => {
                self.last_enter.insert(ev.tid, ev.event_type);
                let mut e = ev;
                e.params.truncate(usize::from(info.compat_nparams));
                out.push(e);
            }
            Direction::Exit => {
                let enter_id = ev.event_type - 1;
                let had_enter = self.last_enter.remove(&ev.tid) == Some(enter_id);
                let einfo = schema::known_event(enter_id).filter(|e| !e.is_unused());
                if let (false, Some(einfo)) = (had_enter, einfo) {
                    let at = self.enter_in_exit.entry(ev.event_type).or_insert_with(|| {
                        einfo
                            .params
                            .iter()
                            .map(|p| info.param_index(p.name))
                            .collect()
                    });
                    // An exit holds its enter's information when it carries
                    // more than the 0.21 layout, or every enter parameter (an
                    // exit-only capture, such as the eBPF probe's): synthesise
                    // the enter from it then, so readers that take the fd from
                    // the enter (sysdig 0.29) see it. Old exits without their
                    // enter stay as they are.
                    let carries_enter =
                        !at.is_empty() && at.iter().all(|i| i.is_some_and(|i| i < ev.params.len()));
                    if ev.params.len() > usize::from(info.compat_nparams) || carries_enter {
                        let mut e = OwnedEvent::new(ev.ts, ev.tid, enter_id);
                        e.cpu = ev.cpu;
                        for i in at.iter().take(usize::from(einfo.compat_nparams)) {
                            let v = i
                                .and_then(|i| ev.params.get(i))
                                .cloned()
                                .unwrap_or_default();
                            e.params.push(v);
                        }
                        out.push(e);
                    }
                }
                let mut x = ev;
                x.params.truncate(usize::from(info.compat_nparams));
                out.push(x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each rule of each profile, broken once, with its explanation.
    #[test]
    fn each_broken_rule_says_which() {
        let reason = |p: Profile, id: u16, n: usize| match p.check(id, n) {
            Err(WriteError::ProfileMismatch { reason, .. }) => reason,
            other => panic!("{p:?} {id} {n}: {other:?}"),
        };
        // close exit (5): 2 parameters newest, 1 in libs 0.21.
        let cases = [
            (
                Profile::Keep,
                5,
                3,
                "more than the 2 parameters of the newest known layout",
            ),
            (
                Profile::Compat,
                5,
                2,
                "at most 1 parameters (libs 0.21 layout); libs 0.21 rejects more",
            ),
            (
                Profile::Modern,
                10,
                1,
                "the id is an old version; current libs expect the newest id",
            ),
            (
                Profile::Modern,
                4,
                1,
                "current libs drop this enter event (its parameters belong to the exit)",
            ),
            (
                Profile::Modern,
                5,
                1,
                "exactly 2 parameters in the current layout",
            ),
        ];
        for (p, id, n, why) in cases {
            assert_eq!(reason(p, id, n), why, "{p:?} {id} {n}");
        }
        assert!(matches!(
            Profile::Keep.check(65535, 0),
            Err(WriteError::UnknownEventType { .. })
        ));
    }

    #[test]
    fn compat_refuses_head_close() {
        assert!(Profile::Compat.check(5, 1).is_ok());
        assert!(Profile::Compat.check(5, 2).is_err());
        assert!(Profile::Modern.check(5, 2).is_ok());
        assert!(Profile::Modern.check(5, 1).is_err());
        assert!(
            Profile::Modern.check(4, 1).is_err(),
            "close enter is dropped by current libs"
        );
        assert!(
            Profile::Modern.check(306, 4).is_ok(),
            "openat enter is kept"
        );
        assert!(
            Profile::Modern.check(186, 5).is_ok(),
            "procexit is enter-only"
        );
    }

    #[test]
    fn modern_merges_enter_into_exit() {
        let mut a = ProfileAdapter::new(Profile::Modern);
        let mut out = Vec::new();
        let mut e = OwnedEvent::new(1, 7, 4);
        e.push(3i64.to_le_bytes());
        a.adapt(e, &mut out);
        assert!(out.is_empty());
        let mut x = OwnedEvent::new(2, 7, 5);
        x.push(0i64.to_le_bytes());
        a.adapt(x, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].params,
            vec![0i64.to_le_bytes().to_vec(), 3i64.to_le_bytes().to_vec()]
        );
        assert!(Profile::Modern
            .check(out[0].event_type, out[0].params.len())
            .is_ok());
    }

    #[test]
    fn compat_synthesises_enter() {
        let mut a = ProfileAdapter::new(Profile::Compat);
        let mut out = Vec::new();
        let mut x = OwnedEvent::new(2, 7, 5);
        x.push(0i64.to_le_bytes()).push(3i64.to_le_bytes());
        a.adapt(x, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].event_type, 4);
        assert_eq!(out[0].params, vec![3i64.to_le_bytes().to_vec()]);
        assert_eq!(out[1].params.len(), 1);
    }
}
