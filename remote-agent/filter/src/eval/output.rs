//! Output formats (`%proc.name opened %fd.name`): compiled once, rendered
//! per event.

use std::sync::atomic::Ordering::Relaxed;

use super::*;

/// A rule output format: text with `%field` substitutions (missing values
/// print as `<NA>`, as Falco's `*`-prefixed formats do).
#[derive(Debug)]
pub struct OutputFormat {
    parts: Vec<OutPart>,
    /// The time of the last event rendered (`evt.deltatime` in an output
    /// counts from it, as sysdig's `-p`); `u64::MAX` before the first.
    last_rendered: std::sync::atomic::AtomicU64,
}

#[derive(Debug)]
pub(super) enum OutPart {
    Text(String),
    Field { field: Field, name: String },
}

/// Why an output format (`%proc.name opened %fd.name`) does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputFormatError {
    /// A `%` with no field name after it.
    NoFieldName {
        /// Byte offset of the `%`.
        at: usize,
    },
    /// A field the filter language does not know (or misused).
    Field {
        /// Where the field's name is.
        span: Span,
        /// What is wrong with it.
        error: FieldError,
    },
    /// A field the reader generation asked for lacks, none of whose
    /// shorter prefixes is one of its fields (see [`OutputFormat::new_as`]).
    NotInGeneration {
        /// Where the field's name is.
        span: Span,
        /// The field, as written.
        field: String,
    },
}

impl fmt::Display for OutputFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputFormatError::NoFieldName { at } => {
                write!(f, "'%' at byte {at} is not followed by a field name")
            }
            OutputFormatError::Field { error, .. } => write!(f, "{error}"),
            OutputFormatError::NotInGeneration { field, .. } => {
                write!(f, "sysdig 0.29 has no field '{field}'")
            }
        }
    }
}

impl std::error::Error for OutputFormatError {}

/// Fields of ours that sysdig 0.29 does not have (its `-l` against ours,
/// the syscall source's; plugin fields need their plugin in any reader).
const NOT_IN_SYSDIG029: &[&str] = &[
    "container.duration",
    "container.full_id",
    "container.ip",
    "container.start_ts",
    "fd.nameraw",
    "k8s.pod.uid",
    "proc.acmdline",
    "proc.aexe",
    "proc.aexepath",
    "proc.exe_ino",
    "proc.exe_ino.ctime",
    "proc.exe_ino.ctime_duration_proc_start",
    "proc.exe_ino.mtime",
    "proc.is_exe_from_memfd",
    "proc.is_exe_lower_layer",
    "proc.is_exe_upper_layer",
    "proc.is_pgid_leader",
    "proc.is_sid_leader",
    "proc.is_vpgid_leader",
    "proc.pexe",
    "proc.pexepath",
    "proc.pgid",
    "proc.pgid.exe",
    "proc.pgid.exepath",
    "proc.pgid.name",
    "proc.sid.exe",
    "proc.sid.exepath",
    "proc.vpgid.exe",
    "proc.vpgid.exepath",
    "proc.vpgid.name",
    "thread.cap_effective",
    "thread.cap_inheritable",
    "thread.cap_permitted",
];

/// The longest start of `name` that is a field sysdig 0.29 has.
fn sysdig029_prefix(name: &str) -> Option<&str> {
    (1..name.len()).rev().map(|k| &name[..k]).find(|p| {
        !NOT_IN_SYSDIG029.contains(p)
            && lookup(&FieldRef {
                name: (*p).to_string(),
                arg: None,
                span: Span::new(0, 0),
            })
            .is_ok()
    })
}

impl OutputFormat {
    /// Parses a format; an unknown field is an error naming it.
    pub fn new(fmt: &str) -> Result<OutputFormat, OutputFormatError> {
        Self::new_as(fmt, Generation::default())
    }

    /// Parses a format as reader generation `g` parses it: sysdig 0.29
    /// takes the longest field it has that starts a name and the rest as
    /// text (`%fd.nameraw` is `%fd.name` then `raw`).
    pub fn new_as(fmt: &str, g: Generation) -> Result<OutputFormat, OutputFormatError> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let b = fmt.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                let ch = fmt[i..].chars().next().unwrap_or(' ');
                text.push(ch);
                i += ch.len_utf8();
                continue;
            }
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1; // width: accepted, not applied
            }
            let name_start = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
                j += 1;
            }
            while j > name_start && b[j - 1] == b'.' {
                j -= 1;
            }
            if j == name_start {
                return Err(OutputFormatError::NoFieldName { at: i });
            }
            let mut name = &fmt[name_start..j];
            if g.is_029() && NOT_IN_SYSDIG029.contains(&name) {
                name =
                    sysdig029_prefix(name).ok_or_else(|| OutputFormatError::NotInGeneration {
                        span: Span::new(start, j),
                        field: name.to_string(),
                    })?;
                j = name_start + name.len();
            }
            let mut arg = None;
            if j < b.len() && b[j] == b'[' {
                if let Some(end) = fmt[j..].find(']') {
                    arg = Some(fmt[j + 1..j + end].to_string());
                    j += end + 1;
                }
            }
            let r = FieldRef {
                name: name.to_string(),
                arg: arg.clone(),
                span: Span::new(start, j),
            };
            let field = lookup(&r).map_err(|error| OutputFormatError::Field {
                span: r.span,
                error,
            })?;
            if !text.is_empty() {
                parts.push(OutPart::Text(std::mem::take(&mut text)));
            }
            let full = match &arg {
                Some(a) => format!("{name}[{a}]"),
                None => name.to_string(),
            };
            parts.push(OutPart::Field { field, name: full });
            i = j;
        }
        if !text.is_empty() {
            parts.push(OutPart::Text(text));
        }
        Ok(OutputFormat {
            parts,
            last_rendered: std::sync::atomic::AtomicU64::new(u64::MAX),
        })
    }

    /// The fields the format prints, in order, as written (with `[ARG]`).
    pub fn field_names(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                OutPart::Field { name, .. } => Some(name.as_str()),
                OutPart::Text(_) => None,
            })
            .collect()
    }

    /// The formatted text, and each field's value (`None` if missing).
    pub fn render(
        &self,
        ev: &Event<'_>,
        cx: EvalContext<'_>,
    ) -> (String, Vec<(String, Option<String>)>) {
        let mut out = String::new();
        let mut fields = Vec::new();
        for p in &self.parts {
            match p {
                OutPart::Text(t) => out.push_str(t),
                OutPart::Field { field, name } => {
                    let v = match field {
                        Field::EvtRawArg(sel) => rawarg_text(sel, ev, &cx),
                        Field::Time(part) => {
                            let prev =
                                Some(self.last_rendered.load(Relaxed)).filter(|&t| t != u64::MAX);
                            time_part(*part, ev, &cx, prev).map(|v| match v {
                                Value::Num(n) if part.padded() => format!("{n:09}"),
                                v => v.into_text().into_owned(),
                            })
                        }
                        // An ancestor field without a number prints the
                        // process's own value, as libs 0.23 extracts it.
                        Field::Ancestor(attr, None) => {
                            super::ancestors::extract(*attr, Some(0), ev, &cx)
                                .map(|v| v.into_text().into_owned())
                        }
                        _ => extract(field, ev, &cx).map(|v| v.into_text().into_owned()),
                    };
                    out.push_str(v.as_deref().unwrap_or("<NA>"));
                    fields.push((name.clone(), v));
                }
            }
        }
        self.last_rendered.store(ev.ts(), Relaxed);
        (out, fields)
    }

    /// Whether rendering needs [`CaptureState::track_latency`] (the format
    /// names an `evt.latency` field).
    pub fn needs_latency(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, OutPart::Field { field: Field::Time(t), .. } if t.is_latency()))
    }
}
