//! Schema profiles: which parameter layouts a written file uses, and the
//! adapter that turns events of any layout into a profile's layout.
//!
//! A profile is named for the readers it is written for, because a file is
//! right only when its readers take every event of it:
//!
//! * [`Profile::Stratoshark`]: the libs 0.23 layouts (Stratoshark 0.9,
//!   Wireshark 4.6's libsinsp dissector, sysdig 0.41, current Falco):
//!   exit events only, each with exactly the parameter count of libs 0.23's
//!   own table, so its converter passes every event unchanged and hands out
//!   exactly one event per event block. Stratoshark pairs its libsinsp rows
//!   with frames, so an event libs drops (an enter) or rejects (more
//!   parameters than it knows) would shift every row after it.
//! * [`Profile::Compat`]: the libs 0.21 layouts (exit events carry at most the
//!   0.21 parameter count) with every exit's enter event. sysdig 0.29 and
//!   tshark 4.0 read every parameter they know, and show an exit only after
//!   its enter. The layout for Wireshark ≤ 4.4.
//! * [`Profile::Keep`]: every event as it came.

use std::collections::HashMap;

use crate::error::WriteError;
use crate::event::OwnedEvent;
use crate::fault::Misfit;
use crate::schema::{self, ef, Direction, EventInfo};

/// A schema profile. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// libs 0.21 layouts plus enter events.
    #[default]
    Compat,
    /// libs 0.23 layouts, exit events only, one reader event per block.
    Stratoshark,
    /// Every event as it came: any layout the schema knows (at most the
    /// newest parameter count). For rewriting captures without changing them.
    Keep,
}

impl Profile {
    /// Profile name as the CLI spells it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Compat => "compat",
            Profile::Stratoshark => "stratoshark",
            Profile::Keep => "keep",
        }
    }

    /// The profile a name means: `stratoshark` (also `modern`, its name
    /// before readers were named), `compat` or `keep`.
    pub fn from_name(name: &str) -> Option<Profile> {
        match name {
            "stratoshark" | "modern" => Some(Profile::Stratoshark),
            "compat" => Some(Profile::Compat),
            "keep" => Some(Profile::Keep),
            _ => None,
        }
    }

    /// Readers that show every event of this profile, for summaries.
    pub fn readers(self) -> &'static str {
        match self {
            Profile::Stratoshark => "Stratoshark 0.9, Wireshark 4.6, sysdig 0.41, Falco",
            Profile::Compat => "Wireshark 4.0-4.4, sysdig 0.29",
            Profile::Keep => "as recorded",
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
            Profile::Keep if nparams > info.params.len() => Misfit::MoreThanNewest {
                newest: info.params.len(),
            },
            Profile::Compat if nparams > usize::from(info.compat_nparams) => {
                Misfit::MoreThanCompat {
                    compat: info.compat_nparams,
                }
            }
            Profile::Stratoshark => match libs023_fate(event_type, info) {
                Fate::Unknown => Misfit::UnknownToLibs023,
                Fate::Old => Misfit::OldId,
                Fate::Dropped => Misfit::DroppedEnter,
                Fate::Passed if nparams != usize::from(info.libs023_nparams) => {
                    Misfit::NotLibs023Count {
                        expected: info.libs023_nparams,
                    }
                }
                Fate::Passed => return Ok(()),
            },
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
        WriteError::ProfileMismatch {
            event_type,
            name: info.name,
            nparams,
            profile: self.name(),
            reason: broken,
        }
    }
}

/// What libs 0.23's reader does with an event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Not in its table (or an unused slot): skipped silently.
    Unknown,
    /// An old layout id: converted (enters dropped, exits upgraded).
    Old,
    /// A syscall enter event the converter stores and drops.
    Dropped,
    /// Handed out as one event, as written.
    Passed,
}

fn libs023_fate(event_type: u16, info: &EventInfo) -> Fate {
    let flags = info.libs023_flags;
    // A syscall's enter (its exit slot is used): libs 0.23 converts or
    // drops every one of them; only enter-only events stand alone.
    let syscall_enter = Direction::of(event_type) == Direction::Enter
        && schema::event_info(event_type + 1).is_some_and(|x| x.libs023_flags & ef::UNUSED == 0);
    if flags & ef::UNUSED != 0 {
        Fate::Unknown
    } else if syscall_enter && flags & (ef::OLD_VERSION | ef::TMP_CONVERTER_MANAGED) != 0 {
        Fate::Dropped
    } else if flags & ef::OLD_VERSION != 0 {
        Fate::Old
    } else {
        Fate::Passed
    }
}

/// Lowest generic-event `ID` (ppm syscall code) that sysdig 0.29 does not
/// know: it indexes its syscall table with the code unchecked and crashes on
/// codes from here on (measured: codes 330-399 in a generic event crash
/// `sysdig -r` with SIGSEGV for most values; every code below 330 reads).
pub const COMPAT_SYSCALL_CODES: u16 = 330;

/// One past the highest event id sysdig 0.29 knows (`PPM_EVENT_MAX` of
/// libs e5c53d64): it skips every event from here on without a word, so the
/// `compat` layout writes such events in a form it has.
pub const COMPAT_EVENT_MAX: u16 = 336;

/// An event sysdig 0.29 does not know, in a form it shows, as the event of
/// direction `dir`: the `dup` family as the `dup` events it had (so it
/// follows the new fd), any other syscall as a generic `syscall` event
/// naming it (the ppm code; the native number is not in the event, so
/// `nativeID` is 65535, "unknown"). `None` for events that are no syscall
/// (they have no older form).
fn older_form(ev: &OwnedEvent, dir: Direction) -> Option<OwnedEvent> {
    let info = schema::known_event(ev.event_type)?;
    let param = |name: &str| {
        info.param_index(name)
            .and_then(|i| ev.params.get(i))
            .cloned()
    };
    let mut out = OwnedEvent::new(ev.ts, ev.tid, 0);
    out.cpu = ev.cpu;
    out.dump_flags = ev.dump_flags;
    if info.name.starts_with("dup") {
        // PPME_SYSCALL_DUP_E/X (124/125): enter fd, exit res.
        match dir {
            Direction::Enter => {
                out.event_type = 124;
                out.params
                    .push(param("fd").or_else(|| param("oldfd")).unwrap_or_default());
            }
            Direction::Exit => {
                out.event_type = 125;
                out.params.push(param("res").unwrap_or_default());
            }
        }
        return Some(out);
    }
    if info.category & schema::cat::SYSCALL == 0 {
        return None;
    }
    let code = schema::syscall_code(info.name)?;
    out.params.push(code.to_le_bytes().to_vec());
    match dir {
        Direction::Enter => out.params.push(u16::MAX.to_le_bytes().to_vec()),
        Direction::Exit => out.event_type = 1,
    }
    Some(out)
}

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
/// * To `Stratoshark`: old ids become libs 0.23's current id of the same
///   name (parameters matched by name); exits take the parameters libs 0.23
///   moved into them from the stored enter of the same thread (by name); a
///   parameter neither has gets the default libs' own converter writes
///   in that case ([`missing_value`]); enters are stored, not emitted. Events libs 0.23 does not know are left out and counted
///   ([`ProfileAdapter::left_out`]).
/// * To `Compat`: exits are cut to the libs 0.21 count; if the exit was not
///   preceded by its enter on the same thread, the enter is synthesised from
///   the exit's parameters (by name) and emitted first, so sysdig 0.29, which
///   shows an exit only after its enter, shows it.
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
    left_out: u64,
}

/// libs 0.23's current id for an event of `event_type`'s name and direction.
fn current_id(event_type: u16) -> u16 {
    let Some(info) = schema::event_info(event_type) else {
        return event_type;
    };
    if info.libs023_flags & ef::OLD_VERSION == 0 {
        return event_type;
    }
    let dir = Direction::of(event_type);
    schema::ids_named(info.name)
        .filter(|&id| Direction::of(id) == dir)
        .filter(|&id| {
            schema::event_info(id)
                .is_some_and(|i| i.libs023_flags & (ef::OLD_VERSION | ef::UNUSED) == 0)
        })
        .max()
        .unwrap_or(event_type)
}

/// The exit parameter an enter parameter is found in when the names differ
/// (`dup`'s enter `fd` is its exit's `oldfd`).
fn exit_name_of(enter_param: &'static str, exit: &EventInfo) -> Option<usize> {
    exit.param_index(enter_param).or_else(|| match enter_param {
        "fd" => exit.param_index("oldfd"),
        _ => None,
    })
}

fn remap(ev: &OwnedEvent, to: u16, count: usize, from_enter: Option<&OwnedEvent>) -> OwnedEvent {
    let src = schema::event_info(ev.event_type);
    let dst = schema::event_info(to);
    let enter_info = from_enter.and_then(|e| schema::event_info(e.event_type));
    let mut out = OwnedEvent {
        ts: ev.ts,
        tid: ev.tid,
        event_type: to,
        cpu: ev.cpu,
        dump_flags: ev.dump_flags,
        params: Vec::with_capacity(count),
    };
    let Some(dst) = dst else { return ev.clone() };
    for p in dst.params.iter().take(count) {
        let from_self = src
            .and_then(|s| s.param_index(p.name))
            .and_then(|i| ev.params.get(i))
            .filter(|v| !v.is_empty() || from_enter.is_none());
        let v = from_self.cloned().or_else(|| {
            let e = from_enter?;
            let i = enter_info?.param_index(p.name)?;
            e.params.get(i).cloned()
        });
        out.params.push(v.unwrap_or_else(|| missing_value(dst, p)));
    }
    out
}

/// What libs 0.23's converter writes for a parameter it finds nowhere (an
/// exit whose enter came before the capture): the type's default at its
/// full width (0; `u32::MAX` for uid and gid; one `AF_UNSPEC` byte for a
/// sockaddr), and nothing for variable-length types. Written empty, a
/// fixed-size parameter makes Wireshark's own dissector call the frame
/// malformed, while libs fills the same default, so the row reads alike.
/// The generic event's native id stays empty, as libs leaves it
/// (`CIF_FALLBACK_TO_EMPTY`): a 0 there would name the syscall `read`.
fn missing_value(event: &EventInfo, p: &schema::ParamInfo) -> Vec<u8> {
    use schema::ParamType;
    if event.name == "syscall" && p.name == "nativeID" {
        return Vec::new();
    }
    match p.ty {
        ParamType::Uid | ParamType::Gid => u32::MAX.to_le_bytes().to_vec(),
        ParamType::Sockaddr => vec![0],
        t => vec![0; t.fixed_size().unwrap_or(0)],
    }
}

impl ProfileAdapter {
    /// An adapter to `profile`.
    pub fn new(profile: Profile) -> Self {
        ProfileAdapter {
            profile,
            pending: HashMap::new(),
            last_enter: HashMap::new(),
            enter_in_exit: HashMap::new(),
            left_out: 0,
        }
    }

    /// Events left out because the profile's readers have no such event
    /// and no older form of it (for the summary; none in `keep`).
    pub fn left_out(&self) -> u64 {
        self.left_out
    }

    /// Whether an enter of thread `tid` is held, waiting for its exit to be
    /// merged into (the `stratoshark` layout has no enter events).
    pub fn holds_enter(&self, tid: u64) -> bool {
        self.pending.contains_key(&tid)
    }

    /// Whether [`adapt`](Self::adapt) would hand `ev` out unchanged and
    /// alone without changing the adapter's state, so the caller may write
    /// the borrowed event as it is and skip the copy: in `stratoshark`, an
    /// event already in libs 0.23's layout (current id, its parameter
    /// count, and the length width its block type needs) that is no exit
    /// with a held enter of its thread (the probe's events but the
    /// time-of-check ones). Always false in `compat` and `keep`.
    pub fn unchanged(&self, ev: &crate::event::Event<'_>) -> bool {
        if self.profile != Profile::Stratoshark {
            return false;
        }
        let ty = ev.event_type();
        if schema::known_event(ty).is_none() || current_id(ty) != ty {
            return false;
        }
        let Some(cur) = schema::event_info(ty) else {
            return false;
        };
        libs023_fate(ty, cur) == Fate::Passed
            && ev.nparams() == usize::from(cur.libs023_nparams)
            && ev.is_large() == cur.is_large_payload()
            && (Direction::of(ty) == Direction::Enter || !self.pending.contains_key(&ev.tid()))
    }

    /// Adapts one event; pushes 0, 1 or 2 events to `out`.
    pub fn adapt(&mut self, ev: OwnedEvent, out: &mut Vec<OwnedEvent>) {
        let Some(info) = schema::known_event(ev.event_type) else {
            return;
        };
        match self.profile {
            Profile::Stratoshark => self.adapt_stratoshark(ev, out),
            Profile::Compat => self.adapt_compat(ev, info, out),
            Profile::Keep => out.push(ev),
        }
    }

    fn adapt_stratoshark(&mut self, ev: OwnedEvent, out: &mut Vec<OwnedEvent>) {
        let id = current_id(ev.event_type);
        let Some(cur) = schema::event_info(id) else {
            self.left_out += 1;
            return;
        };
        match libs023_fate(id, cur) {
            Fate::Dropped => {
                self.pending.insert(ev.tid, ev);
            }
            Fate::Unknown | Fate::Old => self.left_out += 1,
            Fate::Passed => {
                let count = usize::from(cur.libs023_nparams);
                let enter = match Direction::of(id) {
                    Direction::Exit => self.pending.remove(&ev.tid).filter(|e| {
                        schema::event_info(e.event_type).is_some_and(|i| i.name == cur.name)
                    }),
                    Direction::Enter => None,
                };
                if id == ev.event_type && enter.is_none() && ev.params.len() == count {
                    out.push(ev);
                } else {
                    out.push(remap(&ev, id, count, enter.as_ref()));
                }
            }
        }
    }

    /// Converts a process list to the profile: in `compat`, each thread's
    /// `cgroups` gets the entry sysdig 0.29 needs to name a podman
    /// container ([`crate::cgroup::with_compat_entry`]).
    pub fn adapt_processes(&self, procs: &mut [crate::meta::ProcessInfo]) {
        if self.profile != Profile::Compat {
            return;
        }
        for p in procs {
            if let Some(n) = crate::cgroup::with_compat_entry(&p.cgroups) {
                p.cgroups = n;
            }
        }
    }

    fn adapt_compat(&mut self, mut ev: OwnedEvent, info: &EventInfo, out: &mut Vec<OwnedEvent>) {
        // Events sysdig 0.29 has no id for: their older form.
        if ev.event_type >= COMPAT_EVENT_MAX {
            // The older form's exit (dup's res, the generic ID) lacks what
            // its enter carries: synthesise the enter from the new exit.
            let dir = Direction::of(ev.event_type);
            let had_enter = match dir {
                Direction::Enter => {
                    self.last_enter.insert(ev.tid, ev.event_type);
                    true
                }
                Direction::Exit => self.last_enter.remove(&ev.tid) == Some(ev.event_type - 1),
            };
            let enter = (!had_enter || dir == Direction::Enter)
                .then(|| older_form(&ev, Direction::Enter))
                .flatten();
            let exit = (dir == Direction::Exit)
                .then(|| older_form(&ev, Direction::Exit))
                .flatten();
            if enter.is_none() && exit.is_none() {
                self.left_out += 1;
            }
            for mut e in enter.into_iter().chain(exit) {
                compat_syscall_code(&mut e);
                compat_cgroups(&mut e);
                out.push(e);
            }
            return;
        }
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
                            .map(|p| exit_name_of(p.name, info))
                            .collect()
                    });
                    // An exit without its enter that holds every parameter
                    // of the enter (an exit-only capture, such as the eBPF
                    // probe's, or an exit with an enter of no parameters):
                    // synthesise the enter from it, since sysdig 0.29 shows
                    // no exit without its enter and takes the fd from it.
                    // Old exits whose enter held more than they do stay as
                    // they are.
                    let compat_enter = &at[..at.len().min(usize::from(einfo.compat_nparams))];
                    let carries_enter = compat_enter
                        .iter()
                        .all(|i| i.is_some_and(|i| i < ev.params.len()));
                    if carries_enter {
                        let mut e = OwnedEvent::new(ev.ts, ev.tid, enter_id);
                        e.cpu = ev.cpu;
                        for i in compat_enter {
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
                compat_cgroups(&mut x);
                out.push(x);
            }
        }
    }
}

/// Adds to an execve/clone exit's `cgroups` the entry sysdig 0.29 needs to
/// name a podman container ([`crate::cgroup::with_compat_entry`] says why).
fn compat_cgroups(ev: &mut OwnedEvent) {
    static AT: std::sync::OnceLock<Vec<Option<usize>>> = std::sync::OnceLock::new();
    let at = AT.get_or_init(|| {
        (0..schema::EVENT_MAX)
            .map(|i| schema::event_info(i).and_then(|e| e.param_index("cgroups")))
            .collect()
    });
    let Some(&Some(i)) = at.get(usize::from(ev.event_type)) else {
        return;
    };
    if let Some(v) = ev.params.get_mut(i) {
        if let Some(n) = crate::cgroup::with_compat_entry(v) {
            *v = n;
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
            Err(WriteError::ProfileMismatch { reason, .. }) => reason.to_string(),
            other => panic!("{p:?} {id} {n}: {other:?}"),
        };
        // close exit (5): 2 parameters newest and in libs 0.23, 1 in libs 0.21.
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
                Profile::Stratoshark,
                11,
                1,
                "the id is an old version; libs 0.23 expects the current id",
            ),
            (
                Profile::Stratoshark,
                4,
                1,
                "libs 0.23 drops this enter event (its parameters belong to the exit)",
            ),
            (
                Profile::Stratoshark,
                5,
                1,
                "exactly 2 parameters in the libs 0.23 layout",
            ),
            (Profile::Stratoshark, 269, 0, "libs 0.23 has no such event"),
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
    fn layouts_follow_each_readers_table() {
        assert!(Profile::Compat.check(5, 1).is_ok());
        assert!(Profile::Compat.check(5, 2).is_err());
        assert!(Profile::Stratoshark.check(5, 2).is_ok());
        assert!(Profile::Stratoshark.check(5, 1).is_err());
        // libs 0.23 drops the enters it converts, openat's included.
        assert!(Profile::Stratoshark.check(306, 4).is_err());
        assert!(
            Profile::Stratoshark.check(186, 5).is_ok(),
            "procexit is enter-only"
        );
        assert!(
            Profile::Stratoshark.check(148, 1).is_ok(),
            "drop enter is passed"
        );
        // socket exit: 5 parameters in libs HEAD, 4 in 0.23.
        assert!(Profile::Stratoshark.check(19, 4).is_ok());
        assert!(Profile::Stratoshark.check(19, 5).is_err());
        // sendto exit: libs 0.23 moved fd, size and tuple into it.
        assert!(Profile::Stratoshark.check(31, 5).is_ok());
    }

    #[test]
    fn stratoshark_merges_enter_into_exit() {
        let mut a = ProfileAdapter::new(Profile::Stratoshark);
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
        assert!(Profile::Stratoshark
            .check(out[0].event_type, out[0].params.len())
            .is_ok());
    }

    /// `unchanged` is true only where `adapt` hands the event out alone and
    /// as it came, for every id of the schema in its newest parameter
    /// count, with and without a held enter of its thread (open's, type 306).
    #[test]
    fn unchanged_events_are_what_adapt_passes_as_they_are() {
        let mut seen = 0;
        for ty in 0..1024u16 {
            let Some(info) = schema::known_event(ty) else {
                continue;
            };
            let mut e = OwnedEvent::new(5, 7, ty);
            for i in 0..info.libs023_nparams {
                e.push([i; 8]);
            }
            let mut raw = Vec::new();
            e.encode_into(&mut raw);
            let Ok(ev) = crate::event::Event::parse(&raw, info.is_large_payload()) else {
                continue;
            };
            for held in [false, true] {
                let mut a = ProfileAdapter::new(Profile::Stratoshark);
                let mut out = Vec::new();
                if held {
                    let mut open = OwnedEvent::new(1, 7, 306);
                    open.push(3i64.to_le_bytes());
                    a.adapt(open, &mut out);
                }
                if a.unchanged(&ev) {
                    seen += 1;
                    a.adapt(e.clone(), &mut out);
                    assert_eq!(out, [e.clone()], "type {ty} held {held}");
                }
            }
        }
        assert!(seen > 150, "{seen} events pass unchanged");
    }

    /// A read exit (type 7) in its 2-parameter form whose enter came before
    /// the capture: fd and size get libs' defaults at full width (8 and 4
    /// zero bytes), never an empty fixed-size value.
    #[test]
    fn stratoshark_fills_what_no_enter_gave_as_libs_does() {
        let mut a = ProfileAdapter::new(Profile::Stratoshark);
        let mut out = Vec::new();
        let mut x = OwnedEvent::new(2, 7, 7);
        x.push(3i64.to_le_bytes()).push(b"ls\n".to_vec());
        a.adapt(x, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].params,
            vec![
                3i64.to_le_bytes().to_vec(),
                b"ls\n".to_vec(),
                vec![0; 8],
                vec![0; 4]
            ]
        );
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

    /// sysdig 0.29 shows no exit without its enter and knows no id from
    /// 336 on: dup2 becomes the `dup` pair it knows (enter fd = the exit's
    /// oldfd), prctl a generic pair naming it; an exit with an enter of no
    /// parameters gets it.
    #[test]
    fn compat_writes_what_sysdig_029_shows() {
        let mut a = ProfileAdapter::new(Profile::Compat);
        let mut out = Vec::new();
        let mut x = OwnedEvent::new(2, 7, 363);
        x.push(1i64.to_le_bytes())
            .push(4i64.to_le_bytes())
            .push(1i64.to_le_bytes());
        a.adapt(x, &mut out);
        let got: Vec<_> = out
            .iter()
            .map(|e| (e.event_type, e.params.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (124, vec![4i64.to_le_bytes().to_vec()]),
                (125, vec![1i64.to_le_bytes().to_vec()])
            ]
        );
        out.clear();
        let mut x = OwnedEvent::new(3, 7, 401);
        x.push(0i64.to_le_bytes())
            .push(15u32.to_le_bytes())
            .push(b"x\0".to_vec())
            .push(0u64.to_le_bytes());
        a.adapt(x, &mut out);
        let code = schema::syscall_code("prctl").expect("prctl");
        assert_eq!(
            out.iter().map(|e| e.event_type).collect::<Vec<_>>(),
            vec![0, 1]
        );
        assert_eq!(out[1].params, vec![code.to_le_bytes().to_vec()]);
        out.clear();
        // capset (353), a syscall with its own layout sysdig 0.29 lacks:
        // a generic pair too.
        let mut x = OwnedEvent::new(4, 7, 353);
        x.push(0i64.to_le_bytes());
        for _ in 0..3 {
            x.push(0u64.to_le_bytes());
        }
        a.adapt(x, &mut out);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(a.left_out() == 0);
    }
}
