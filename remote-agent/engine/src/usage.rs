//! A wrong command line or option value: what the capture's set-up reports
//! before anything runs (exit 2 at the binaries' edge).

use std::fmt;
use std::sync::Arc;

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
    UnknownOption {
        /// The option as given.
        option: String,
    },
    /// An option no interface of ours takes, close to one that exists
    /// (a typo, or dashes left out: `--buffersize`).
    UnknownOptionLike {
        /// The option as given.
        option: String,
        /// The option it is probably meant to be.
        like: String,
    },
    /// An option given without its value.
    MissingValue {
        /// The option as given (`--file`).
        option: String,
    },
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
        expected: Expected,
    },
    /// A required option is absent.
    Required {
        /// The option's name, without dashes (`remote-host`).
        option: String,
    },
    /// An option that works only with another one, given without it.
    Needs {
        /// The option given.
        option: String,
        /// What it needs, in words fixed where the option is checked, the
        /// option to add as the user would type it.
        needs: &'static str,
    },
    /// A capture call without `--fifo` (extcap) or `-w` (headless).
    NoOutput,
    /// ~/.ssh/config cannot be used.
    Config(SshConfigFault),
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
            UsageError::UnknownOption { option } => write!(f, "unknown option '{option}'"),
            UsageError::UnknownOptionLike { option, like } => {
                write!(f, "unknown option '{option}' (did you mean '{like}'?)")
            }
            UsageError::MissingValue { option } => write!(f, "option '{option}' needs a value"),
            UsageError::BadValue {
                option,
                value,
                expected,
            } => write!(f, "bad value '{value}' for {option}: expected {expected}"),
            UsageError::NotUtf8 { position, text } => write!(
                f,
                "argument {position} ('{text}') is not valid UTF-8: only paths (-w, --fifo, --file, --log-file, --save-dir, --alerts, --rules, --plugin-source) may be any bytes"
            ),
            UsageError::Required { option } => write!(f, "missing required option --{option}"),
            UsageError::Needs { option, needs } => write!(f, "{option} needs {needs}"),
            UsageError::NoOutput => write!(f, "no output given (--fifo PATH, or -w FILE|-)"),
            UsageError::Config(e) => write!(f, "ssh config: {e}"),
            UsageError::Selection(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for UsageError {}

/// What the value of an option should have been (see
/// [`UsageError::BadValue`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// The form the option takes, in words fixed where the option is
    /// parsed (`a number of 1 or more`).
    Form(&'static str),
    /// One of the option's choices.
    OneOf(Vec<&'static str>),
    /// A host name; the value breaks this rule of one.
    HostName {
        /// The rule (`no spaces or shell characters`, ...).
        rule: &'static str,
    },
    /// A user name; the value breaks this rule of one.
    UserName {
        /// The rule.
        rule: &'static str,
    },
    /// A syscall set (names or numbers, `falco` or `all`); the value has
    /// this fault.
    SyscallSet(scapbridge_probe::SyscallSetError),
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Form(form) => f.write_str(form),
            Expected::OneOf(choices) => f.write_str(&choices.join(", ")),
            Expected::HostName { rule } => write!(f, "a host name ({rule})"),
            Expected::UserName { rule } => write!(f, "a user name ({rule})"),
            Expected::SyscallSet(e) => {
                write!(f, "syscall names or numbers, 'falco' or 'all' ({e})")
            }
        }
    }
}

/// Why `~/.ssh/config` cannot be used (see [`UsageError::Config`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SshConfigFault {
    /// Lines of the file (or of a file it includes) that cannot be used:
    /// the SSH source's own error, every bad line with its file and number.
    Lines(SourceFault),
    /// ProxyJump hops that lead back to themselves (more than 8 deep).
    JumpLoop {
        /// The host whose ProxyJump loops.
        alias: String,
    },
    /// A ProxyJump hop whose port is not a port.
    JumpPort {
        /// The hop as written.
        hop: String,
        /// Its port part.
        port: String,
    },
}

impl fmt::Display for SshConfigFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SshConfigFault::Lines(e) => write!(f, "{e}"),
            SshConfigFault::JumpLoop { alias } => write!(f, "ProxyJump for {alias} loops"),
            SshConfigFault::JumpPort { hop, port } => {
                write!(f, "ProxyJump {hop}: '{port}' is not a port")
            }
        }
    }
}

/// A typed error of a crate above this one (the SSH source's config
/// errors), kept whole and shared so that [`UsageError`] stays `Clone`.
/// Two are equal when they are the same error (one `Arc`), not when their
/// texts match.
#[derive(Debug, Clone)]
pub struct SourceFault(pub Arc<dyn std::error::Error + Send + Sync + 'static>);

impl SourceFault {
    /// Wraps `e`.
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        SourceFault(Arc::new(e))
    }
}

impl PartialEq for SourceFault {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SourceFault {}

impl fmt::Display for SourceFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_reasons_read_as_one_line() {
        let bad = |expected| {
            UsageError::BadValue {
                option: "--x".into(),
                value: "v".into(),
                expected,
            }
            .to_string()
        };
        assert_eq!(
            bad(Expected::Form("a number")),
            "bad value 'v' for --x: expected a number"
        );
        assert_eq!(
            bad(Expected::OneOf(vec!["scap", "pcapng"])),
            "bad value 'v' for --x: expected scap, pcapng"
        );
        assert_eq!(
            bad(Expected::HostName { rule: "no spaces" }),
            "bad value 'v' for --x: expected a host name (no spaces)"
        );
        assert_eq!(
            bad(Expected::SyscallSet(scapbridge_probe::SyscallSetError::Empty)),
            "bad value 'v' for --x: expected syscall names or numbers, 'falco' or 'all' (empty syscall set)"
        );
        assert_eq!(
            UsageError::Config(SshConfigFault::JumpPort {
                hop: "b:x".into(),
                port: "x".into()
            })
            .to_string(),
            "ssh config: ProxyJump b:x: 'x' is not a port"
        );
        let e = SourceFault::new(std::io::Error::other("line 3: bad"));
        assert_eq!(
            UsageError::Config(SshConfigFault::Lines(e.clone())),
            UsageError::Config(SshConfigFault::Lines(e))
        );
    }
}
