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
}

impl fmt::Display for OutputFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputFormatError::NoFieldName { at } => {
                write!(f, "'%' at byte {at} is not followed by a field name")
            }
            OutputFormatError::Field { error, .. } => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for OutputFormatError {}

impl OutputFormat {
    /// Parses a format; an unknown field is an error naming it.
    pub fn new(fmt: &str) -> Result<OutputFormat, OutputFormatError> {
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
            let name = &fmt[name_start..j];
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
