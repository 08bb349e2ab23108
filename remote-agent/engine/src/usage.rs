//! A wrong command line or option value: what the capture's set-up reports
//! before anything runs (exit 2 at the binaries' edge).

use std::fmt;

/// A wrong command line (for capture calls; query calls never fail).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UsageError {
    /// No interface named.
    NoInterface,
    /// An interface we do not have.
    UnknownInterface {
        /// The name given.
        name: String,
        /// The interfaces this build has.
        known: Vec<&'static str>,
    },
    /// An option no interface of ours takes.
    UnknownOption(String),
    /// An option no interface of ours takes, close to one that exists
    /// (a typo, or dashes left out: `--buffersize`).
    UnknownOptionLike {
        /// The option as given.
        option: String,
        /// The option it is probably meant to be.
        like: String,
    },
    /// An option given without its value.
    MissingValue(String),
    /// An argument that is not UTF-8 where text is wanted.
    NotUtf8 {
        /// Its position on the command line (1-based).
        position: usize,
        /// Its text, the bad bytes replaced.
        text: String,
    },
    /// A value that does not fit its option.
    BadValue {
        /// The option.
        option: String,
        /// The value given.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// A required option is absent.
    Required(String),
    /// An option that works only with another one, given without it.
    Needs {
        /// The option given.
        option: String,
        /// What it needs, as the user would type it.
        needs: String,
    },
    /// A capture call without `--fifo` (extcap) or `-w` (headless).
    NoOutput,
    /// ~/.ssh/config cannot be used (every bad line, with its number).
    Config(String),
    /// A rule selection Falco refuses (`-t` with `-D`/`-T`, an empty value).
    Selection(scapbridge_rules::SelectionError),
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::NoInterface => write!(
                f,
                "no interface given (use -i NAME; `scapbridge capture --list` shows them)"
            ),
            UsageError::UnknownInterface { name, known } => write!(
                f,
                "unknown interface '{name}' (this build has: {})",
                known.join(", ")
            ),
            UsageError::UnknownOption(o) => write!(f, "unknown option '{o}'"),
            UsageError::UnknownOptionLike { option, like } => {
                write!(f, "unknown option '{option}' (did you mean '{like}'?)")
            }
            UsageError::MissingValue(o) => write!(f, "option '{o}' needs a value"),
            UsageError::BadValue {
                option,
                value,
                expected,
            } => write!(f, "bad value '{value}' for {option}: expected {expected}"),
            UsageError::NotUtf8 { position, text } => write!(
                f,
                "argument {position} ('{text}') is not valid UTF-8: only paths (-w, --fifo, --file, --log-file, --save-dir, --alerts, --rules, --plugin-source) may be any bytes"
            ),
            UsageError::Required(o) => write!(f, "missing required option --{o}"),
            UsageError::Needs { option, needs } => write!(f, "{option} needs {needs}"),
            UsageError::NoOutput => write!(f, "no output given (--fifo PATH, or -w FILE|-)"),
            UsageError::Config(e) => write!(f, "ssh config: {e}"),
            UsageError::Selection(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for UsageError {}

/// The arguments as UTF-8 text, or [`UsageError::NotUtf8`] naming the
/// first that is not (its position and its text with the bad bytes
/// replaced), for commands whose options are text.
pub fn utf8_args(raw: &[std::ffi::OsString]) -> Result<Vec<String>, UsageError> {
    raw.iter()
        .enumerate()
        .map(|(i, a)| {
            a.to_str()
                .map(str::to_owned)
                .ok_or_else(|| UsageError::NotUtf8 {
                    position: i + 1,
                    text: a.to_string_lossy().into_owned(),
                })
        })
        .collect()
}
