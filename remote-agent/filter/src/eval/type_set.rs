//! `evt.type` as a set of names, matched by event id and, for generic
//! events, by the syscall they carry: what filters and the rules' index
//! read.

use scapbridge_formats::state::CaptureState;
use scapbridge_formats::{render, schema, Event};

/// The events a set of `evt.type` names matches, named as libsinsp names
/// them: by event id, except generic `syscall` events, which take the name
/// of the syscall they carry (`<unknown>` for code 0, `syscall_N` for a
/// code without a name; see [`render::type_name`]), and under libs 0.23 a
/// generic event of code 0 the name of its native number
/// ([`CaptureState::native_name`]).
#[derive(Debug, Clone, Default)]
pub struct TypeSet {
    /// By event id.
    ids: Vec<bool>,
    /// By syscall code, for generic events.
    codes: Vec<bool>,
    /// `syscall_N` names beyond the code table.
    far_codes: Vec<u64>,
    /// The names that are x86-64 syscalls', for generic events of code 0.
    natives: Vec<&'static str>,
}

impl TypeSet {
    /// The set for these names.
    pub fn from_names<'n>(names: impl IntoIterator<Item = &'n str>) -> TypeSet {
        let mut t = TypeSet {
            ids: vec![false; usize::from(schema::EVENT_MAX)],
            codes: Vec::new(),
            far_codes: Vec::new(),
            natives: Vec::new(),
        };
        fn add_code(t: &mut TypeSet, c: u64) {
            match usize::try_from(c) {
                Ok(i) if i < 1 << 16 => {
                    if t.codes.len() <= i {
                        t.codes.resize(i + 1, false);
                    }
                    t.codes[i] = true;
                }
                _ => t.far_codes.push(c),
            }
        }
        for n in names {
            for id in schema::ids_named(n) {
                if let Some(slot) = t.ids.get_mut(usize::from(id)) {
                    *slot = true;
                }
            }
            for c in schema::syscall_codes_named(n) {
                add_code(&mut t, u64::from(c));
            }
            if n == "<unknown>" {
                add_code(&mut t, 0);
            }
            if let Some(&(_, native)) = schema::X86_64_SYSCALLS.iter().find(|(_, s)| *s == n) {
                t.natives.push(native);
            }
            let unnamed = n
                .strip_prefix("syscall_")
                .and_then(|d| d.parse::<u64>().ok());
            if let Some(c) = unnamed.filter(|c| {
                *c != 0
                    && u16::try_from(*c)
                        .ok()
                        .and_then(schema::syscall_name)
                        .is_none()
            }) {
                add_code(&mut t, c);
            }
        }
        t
    }

    /// Whether `ev` has one of the names, as `state`'s generation names it.
    pub fn matches(&self, ev: &Event<'_>, state: &CaptureState) -> bool {
        if let Some(native) = state.native_name(ev) {
            return self.natives.contains(&native);
        }
        match render::generic_code(ev) {
            Some(c) => self.names_code(c),
            None => self
                .ids
                .get(usize::from(ev.event_type()))
                .copied()
                .unwrap_or(false),
        }
    }

    /// Event ids the set can match: its named ids, and the generic event's
    /// when it names syscalls.
    pub fn event_ids(&self) -> impl Iterator<Item = u16> + '_ {
        let generic =
            self.codes.iter().any(|c| *c) || !self.far_codes.is_empty() || !self.natives.is_empty();
        self.ids
            .iter()
            .enumerate()
            .filter(move |(i, hit)| **hit || (generic && *i <= 1))
            .map(|(i, _)| i as u16)
    }

    /// Whether a generic event carrying syscall code `code` can match (one
    /// of code 0 also by its native name).
    pub fn has_code(&self, code: u64) -> bool {
        self.names_code(code) || (code == 0 && !self.natives.is_empty())
    }

    /// Whether the set names syscall code `code`.
    fn names_code(&self, code: u64) -> bool {
        match usize::try_from(code).ok().and_then(|i| self.codes.get(i)) {
            Some(hit) => *hit,
            None => self.far_codes.contains(&code),
        }
    }
}
