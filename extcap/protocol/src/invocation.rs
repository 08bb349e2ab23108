//! Command lines: the extcap calls Wireshark/Stratoshark make, and
//! `scapbridge capture`, parsed by one tolerant parser.
//!
//! Why not clap here: the host passes options in any order, as `--opt value`
//! or `--opt=value`, and may pass options we do not know (a newer host, a
//! stale `extcap.cfg`); query calls must accept all of that and exit 0, and
//! `--extcap-interfaces` must answer in a few milliseconds.

use std::collections::BTreeMap;

use crate::protocol::{self, ArgType, InterfaceSpec};

/// What the host asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Call {
    /// `--extcap-interfaces`.
    Interfaces,
    /// `--extcap-version` alone.
    Version,
    /// `--extcap-dlts`.
    Dlts,
    /// `--extcap-config`, with `--extcap-reload-option`.
    Config {
        /// The option whose values to reload.
        reload: Option<String>,
    },
    /// `--extcap-capture-filter F` without `--capture`: validate F.
    FilterCheck,
    /// `--capture`, or `scapbridge capture`.
    Capture,
    /// `--extcap-cleanup-postkill` (newer hosts, after a hard kill).
    CleanupPostkill,
}

pub use scapbridge_engine::utf8_args;
pub use scapbridge_engine::{Expected, UsageError};

/// Output container of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Plain scap.
    #[default]
    Scap,
    /// pcapng section with SHB options.
    Pcapng,
}

/// A parsed command line.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// The call, if any was recognised.
    pub call: Option<Call>,
    /// `--extcap-interface` / `-i`.
    pub interface: Option<String>,
    /// `--extcap-version` value.
    pub host_version: Option<String>,
    /// `--extcap-capture-filter` / `--filter`.
    pub filter: Option<String>,
    /// `--fifo` (extcap) or `-w` (headless); `-` = standard output.
    pub output: Option<String>,
    /// `--extcap-control-in`: messages to us.
    pub control_in: Option<String>,
    /// `--extcap-control-out`: messages from us.
    pub control_out: Option<String>,
    /// `--log-level` (or `debug` from the legacy `--debug`).
    pub log_level: Option<String>,
    /// `--log-file` / `--debug-file`.
    pub log_file: Option<String>,
    /// Headless: `--duration`.
    pub duration: Option<String>,
    /// Headless: `--count`.
    pub count: Option<String>,
    /// Headless: `--format`.
    pub format: OutputFormat,
    /// Headless: `--quiet`.
    pub quiet: bool,
    /// Headless: `--list`.
    pub list: bool,
    /// Headless: `--alert-exit`: exit 3 when a rule fired, whatever the
    /// traced command's status.
    pub alert_exit: bool,
    /// Headless: `--help`.
    pub help: bool,
    /// Interface options as given (name without dashes → last value).
    pub options: BTreeMap<String, String>,
    /// Arguments after `--` (a command to trace, for interfaces that take one).
    pub command: Vec<String>,
    /// Problems found; capture calls report the first, query calls ignore them.
    pub errors: Vec<UsageError>,
    /// Path options given as OS strings that are not UTF-8 (by canonical
    /// option name: `write`, `file`, `log-file`, `save-dir`, `alerts`,
    /// `rules#N`, `plugin-source`):
    /// their text in the fields above is only for messages; see
    /// [`Invocation::path`].
    pub os_paths: BTreeMap<String, std::path::PathBuf>,
}

/// Options whose value is a path and may be any OS string.
const PATH_OPTIONS: &[&str] = &[
    "write",
    "fifo",
    "log-file",
    "debug-file",
    "file",
    "save-dir",
    "alerts",
    "rules",
    "config",
    // CloudTrail's source: a local file or folder, or an s3:// / sqs:// URL.
    "plugin-source",
];

/// Options that may be given several times, their values kept in order
/// (one a line).
const REPEATABLE: &[&str] = &["rules", "disable-rules", "disable-tags", "run-tags"];

/// The canonical name under which [`Invocation::os_paths`] keeps `option`.
fn path_key(option: &str) -> &str {
    match option {
        "fifo" => "write",
        "debug-file" => "log-file",
        other => other,
    }
}

/// Whether a command line is an extcap call (rather than a subcommand).
pub fn is_extcap_call(args: &[String]) -> bool {
    args.iter().any(|a| {
        let name = a.split('=').next().unwrap_or("");
        name.starts_with("--extcap-") || name == "--capture" || name == "--fifo"
    })
}

/// Extcap-level options that take a value.
const EXTCAP_VALUE_OPTS: &[&str] = &[
    "extcap-interface",
    "extcap-capture-filter",
    "extcap-reload-option",
    "extcap-config-option-name",
    "extcap-config-option-value",
    "fifo",
    "extcap-control-in",
    "extcap-control-out",
    "log-level",
    "log-file",
    "debug-file",
];

/// An option of headless capture (`scapbridge capture`) that no
/// interface declares: the one table that the parser, the typo
/// suggestions and the shell completions read.
#[derive(Debug, Clone, Copy)]
pub struct HeadlessOpt {
    /// Long name, without the dashes.
    pub long: &'static str,
    /// A short alias (a long name may have several, one row each).
    pub short: Option<char>,
    /// It takes a value (`--write FILE`) rather than standing alone.
    pub takes_value: bool,
}

const fn value(long: &'static str, short: char) -> HeadlessOpt {
    HeadlessOpt {
        long,
        short: Some(short),
        takes_value: true,
    }
}

const fn flag(long: &'static str, short: Option<char>) -> HeadlessOpt {
    HeadlessOpt {
        long,
        short,
        takes_value: false,
    }
}

/// The options of headless capture beyond the interfaces' own.
pub const HEADLESS_OPTS: &[HeadlessOpt] = &[
    value("interface", 'i'),
    value("write", 'w'),
    value("duration", 'd'),
    // sysdig's -M (seconds; our durations take a bare number as seconds).
    value("duration", 'M'),
    value("count", 'c'),
    // sysdig's and tcpdump's habit for the event count.
    value("count", 'n'),
    value("filter", 'f'),
    // tshark's -F, the output file type.
    value("format", 'F'),
    // tshark's and dumpcap's autostop condition: duration:N or packets:N.
    value("autostop", 'a'),
    flag("quiet", Some('q')),
    flag("help", Some('h')),
    // tshark's and dumpcap's -D: list the interfaces.
    flag("list", Some('D')),
    flag("alert-exit", None),
];

enum Mode {
    Extcap,
    Headless,
}

/// Parses an extcap call (argv without the program name).
pub fn parse_extcap(args: &[String]) -> Invocation {
    parse(args, Mode::Extcap)
}

/// Parses `scapbridge capture …` (argv after `capture`).
pub fn parse_headless(args: &[String]) -> Invocation {
    let mut inv = parse(args, Mode::Headless);
    inv.call = Some(Call::Capture);
    inv
}

/// Finds the interface first: options are interpreted by the interface's
/// table, and the host may pass them before `--extcap-interface`.
fn find_interface(args: &[String], headless: bool) -> Option<String> {
    let mut it = args.iter();
    let mut found = None;
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if a.starts_with("--") => (n, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let is_iface =
            name == "--extcap-interface" || (headless && (name == "--interface" || name == "-i"));
        if is_iface {
            found = inline.or_else(|| it.next().cloned());
        }
    }
    found
}

/// Parses an extcap call given as OS strings: values of path options may
/// be any bytes ([`Invocation::path`]); any other argument that is not
/// UTF-8 is a usage error naming it.
pub fn parse_extcap_os(args: &[std::ffi::OsString]) -> Invocation {
    parse_os(args, Mode::Extcap)
}

/// [`parse_headless`] for OS strings, as [`parse_extcap_os`].
pub fn parse_headless_os(args: &[std::ffi::OsString]) -> Invocation {
    parse_os(args, Mode::Headless)
}

fn parse_os(args: &[std::ffi::OsString], mode: Mode) -> Invocation {
    let text: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let raw: BTreeMap<usize, &std::ffi::OsString> = args
        .iter()
        .enumerate()
        .filter(|(_, a)| a.to_str().is_none())
        .collect();
    parse_with(&text, mode, &raw)
}

fn parse(args: &[String], mode: Mode) -> Invocation {
    parse_with(args, mode, &BTreeMap::new())
}

/// The path an argument that is not UTF-8 names: the whole argument, or
/// what follows `--name=` in it.
fn raw_value(raw: &std::ffi::OsString, inline: bool) -> std::path::PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::{OsStrExt, OsStringExt};
        let bytes = raw.as_bytes();
        if inline {
            if let Some(eq) = bytes.iter().position(|b| *b == b'=') {
                return std::ffi::OsString::from_vec(bytes[eq + 1..].to_vec()).into();
            }
        }
        raw.into()
    }
    #[cfg(not(unix))]
    {
        let _ = inline;
        raw.into()
    }
}

fn parse_with(
    args: &[String],
    mode: Mode,
    raw: &BTreeMap<usize, &std::ffi::OsString>,
) -> Invocation {
    let mut raw_used = std::collections::BTreeSet::new();
    let headless = matches!(mode, Mode::Headless);
    let mut inv = Invocation::default();
    let iface_name = find_interface(args, headless);
    let spec: Option<&InterfaceSpec> = iface_name.as_deref().and_then(protocol::interface);
    let (mut interfaces, mut dlts, mut config, mut capture, mut postkill, mut version_flag) =
        (false, false, false, false, false, false);
    let mut reload = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            inv.command = args[i..].to_vec();
            break;
        }
        // Short options of the headless form: `-i NAME`, `-wFILE`, `-q`.
        // `given` is the option as typed, for the error that names it.
        let (name, inline, given): (String, Option<String>, String) =
            if let Some(long) = a.strip_prefix("--") {
                match long.split_once('=') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string()), format!("--{n}")),
                    None => (long.to_string(), None, a.clone()),
                }
            } else if headless && a.len() >= 2 && a.starts_with('-') && a != "-" {
                let c = a[1..].chars().next().unwrap_or('?');
                let rest = &a[1 + c.len_utf8()..];
                let long = match c {
                    // sysdig's and tcpdump's -s: an interface option
                    // (scapbridge-syscalls' data bytes per event).
                    's' => "snaplen".to_string(),
                    _ => HEADLESS_OPTS
                        .iter()
                        .find(|o| o.short == Some(c))
                        .map_or_else(|| a.clone(), |o| o.long.to_string()),
                };
                let given = format!("-{c}");
                (long, (!rest.is_empty()).then(|| rest.to_string()), given)
            } else {
                inv.errors.push(unknown_option(a, headless));
                continue;
            };
        // Does this option take a value?
        let takes_value = if EXTCAP_VALUE_OPTS.contains(&name.as_str())
            || (headless
                && HEADLESS_OPTS
                    .iter()
                    .any(|o| o.takes_value && o.long == name))
        {
            Some(true)
        } else if let Some(arg) = spec.and_then(|s| s.arg(&name)) {
            Some(arg.ty.takes_value())
        } else if matches!(
            name.as_str(),
            "extcap-interfaces"
                | "extcap-dlts"
                | "extcap-config"
                | "capture"
                | "extcap-cleanup-postkill"
                | "debug"
                | "extcap-version"
        ) || (headless
            && HEADLESS_OPTS
                .iter()
                .any(|o| !o.takes_value && o.long == name))
        {
            Some(false)
        } else {
            None
        };
        // Which argument holds the value, and whether after `=`.
        let value_at = match (&inline, takes_value) {
            (Some(_), _) => Some((i - 1, true)),
            (None, Some(true)) if i < args.len() => Some((i, false)),
            _ => None,
        };
        if let Some((at, inline)) = value_at {
            if let Some(r) = raw.get(&at) {
                if PATH_OPTIONS.contains(&name.as_str()) {
                    // --rules repeats: each file is kept under its place in
                    // the list (`rules#N`, see [`Invocation::rules_paths`]).
                    let key = if name == "rules" {
                        let n = inv.options.get("rules").map_or(0, |v| v.lines().count());
                        format!("rules#{n}")
                    } else {
                        path_key(&name).to_string()
                    };
                    inv.os_paths.insert(key, raw_value(r, inline));
                    raw_used.insert(at);
                }
            }
        }
        let value: Option<String> = match (takes_value, inline) {
            // Unknown, even with a value attached (`-vv`, `--bogus=1`): a
            // following word that is not an option is its value.
            (None, inline) => {
                if inline.is_none() && i < args.len() && !args[i].starts_with('-') {
                    i += 1;
                }
                inv.errors.push(unknown_option(&given, headless));
                continue;
            }
            (_, Some(v)) => Some(v),
            (Some(true), None) => {
                if i < args.len() {
                    i += 1;
                    Some(args[i - 1].clone())
                } else {
                    inv.errors.push(UsageError::MissingValue {
                        option: format!("--{name}"),
                    });
                    continue;
                }
            }
            (Some(false), None) => None,
        };
        let v = || value.clone().unwrap_or_default();
        match name.as_str() {
            "extcap-interfaces" => interfaces = true,
            "extcap-version" => {
                version_flag = true;
                inv.host_version = value.clone();
            }
            "extcap-dlts" => dlts = true,
            "extcap-config" => config = true,
            "extcap-reload-option" => reload = Some(v()),
            "capture" => capture = true,
            "extcap-cleanup-postkill" => postkill = true,
            "extcap-interface" | "interface" => inv.interface = Some(v()),
            "extcap-capture-filter" | "filter" => inv.filter = Some(v()),
            "fifo" | "write" => inv.output = Some(v()),
            "extcap-control-in" => inv.control_in = Some(v()),
            "extcap-control-out" => inv.control_out = Some(v()),
            "log-level" => inv.log_level = Some(v()),
            "debug" => inv.log_level = Some("debug".into()),
            "log-file" | "debug-file" => inv.log_file = Some(v()),
            "extcap-config-option-name" | "extcap-config-option-value" => {}
            "duration" => inv.duration = Some(v()),
            "count" => inv.count = Some(v()),
            "autostop" => match v().split_once(':') {
                Some(("duration", n)) => inv.duration = Some(n.to_string()),
                Some(("packets" | "events", n)) => inv.count = Some(n.to_string()),
                _ => inv.errors.push(UsageError::BadValue {
                    option: "-a".into(),
                    value: v(),
                    expected: Expected::Form("duration:SECONDS or packets:COUNT"),
                }),
            },
            "format" => match v().as_str() {
                "scap" => inv.format = OutputFormat::Scap,
                "pcapng" => inv.format = OutputFormat::Pcapng,
                other => inv.errors.push(UsageError::BadValue {
                    option: "--format".into(),
                    value: other.into(),
                    expected: Expected::Form("scap or pcapng"),
                }),
            },
            "quiet" => inv.quiet = true,
            "alert-exit" => inv.alert_exit = true,
            "list" => inv.list = true,
            "help" => inv.help = true,
            opt => {
                // An interface option (known, since takes_value was Some).
                let arg = spec.and_then(|s| s.arg(opt));
                let val = match (arg.map(|a| a.ty), value) {
                    (Some(ArgType::Boolflag), None) => "true".to_string(),
                    (Some(ArgType::Boolflag), Some(x)) => {
                        if truthy(&x) { "true" } else { "false" }.to_string()
                    }
                    (_, Some(x)) => x,
                    (_, None) => String::new(),
                };
                // --rules and the selection options may be given several
                // times; values are kept in order.
                match inv.options.get_mut(opt) {
                    Some(prev) if REPEATABLE.contains(&opt) && !val.is_empty() => {
                        prev.push('\n');
                        prev.push_str(&val);
                    }
                    _ => {
                        inv.options.insert(opt.to_string(), val);
                    }
                }
            }
        }
    }
    // Positions count from the program's first argument (`capture` is 1
    // in the headless form, whose arguments start after it).
    let first = if headless { 2 } else { 1 };
    for (at, r) in raw {
        if !raw_used.contains(at) {
            inv.errors.push(UsageError::NotUtf8 {
                position: at + first,
                text: r.to_string_lossy().into_owned(),
            });
        }
    }
    if !headless {
        inv.call = if capture {
            Some(Call::Capture)
        } else if interfaces {
            Some(Call::Interfaces)
        } else if dlts {
            Some(Call::Dlts)
        } else if config {
            Some(Call::Config { reload })
        } else if inv.filter.is_some() {
            Some(Call::FilterCheck)
        } else if postkill {
            Some(Call::CleanupPostkill)
        } else if version_flag {
            Some(Call::Version)
        } else {
            None
        };
    }
    if let Some(n) = &iface_name {
        if spec.is_none() {
            inv.errors.insert(0, unknown_interface(n));
        }
    }
    inv
}

/// The host's boolean rule: true if the value contains y, t or 1-9.
pub fn truthy(v: &str) -> bool {
    v.chars()
        .any(|c| matches!(c.to_ascii_lowercase(), 'y' | 't' | '1'..='9'))
}

impl Invocation {
    /// The interface spec, checked.
    pub fn interface_spec(&self) -> Result<&'static InterfaceSpec, UsageError> {
        let name = self.interface.as_deref().ok_or(UsageError::NoInterface)?;
        protocol::interface(name).ok_or_else(|| unknown_interface(name))
    }

    /// The path option `name` (`write`, `file`, `log-file`, `save-dir`,
    /// `alerts`, `plugin-source`) as given, OS string or text.
    pub fn path(&self, spec: &InterfaceSpec, name: &str) -> Option<std::path::PathBuf> {
        if let Some(p) = self.os_paths.get(name) {
            return Some(p.clone());
        }
        match name {
            "write" => self.output.clone().map(Into::into),
            "log-file" => self.log_file.clone().map(Into::into),
            _ => self.option(spec, name).map(Into::into),
        }
    }

    /// The `--rules` files in the order given, each as given (OS string
    /// or text).
    pub fn rules_paths(&self, spec: &InterfaceSpec) -> Vec<std::path::PathBuf> {
        let list = self.option(spec, "rules").unwrap_or_default();
        list.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                self.os_paths
                    .get(&format!("rules#{i}"))
                    .cloned()
                    .unwrap_or_else(|| l.into())
            })
            .collect()
    }

    /// Falco's rule selection from `--disable-rules` (`-D`, each value
    /// whole), `--disable-tags` (`-T`) and `--run-tags` (`-t`), tags
    /// comma-separated or repeated.
    pub fn rule_selection(
        &self,
        spec: &InterfaceSpec,
    ) -> Result<scapbridge_engine::Selection, UsageError> {
        let values = |name: &str, split: bool| -> Vec<String> {
            let all = self.option(spec, name).unwrap_or_default();
            all.lines()
                .flat_map(|l| {
                    if split {
                        l.split(',').map(str::to_string).collect()
                    } else {
                        vec![l.to_string()]
                    }
                })
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect()
        };
        scapbridge_engine::Selection::from_flags(
            &values("disable-rules", false),
            &values("disable-tags", true),
            &values("run-tags", true),
        )
        .map_err(UsageError::Selection)
    }

    /// The value of interface option `name`: as given, else our default.
    /// Boolflags read `"true"`/`"false"`.
    pub fn option(&self, spec: &InterfaceSpec, name: &str) -> Option<String> {
        if let Some(v) = self.options.get(name) {
            return Some(v.clone());
        }
        let arg = spec.arg(name)?;
        match arg.ty {
            ArgType::Boolflag => Some(arg.default.unwrap_or("false").to_string()),
            _ => arg.default.map(str::to_string),
        }
    }

    /// Checks a capture call: an interface we have, an output, only known
    /// options, every required option present and selector values valid.
    pub fn check_capture(&self) -> Result<&'static InterfaceSpec, UsageError> {
        // A mistyped option first: it is often why the interface or the
        // output seems missing (`--interace x`).
        if let Some(e) = self.errors.first() {
            return Err(e.clone());
        }
        let spec = self.interface_spec()?;
        if self.output.is_none() {
            return Err(UsageError::NoOutput);
        }
        for a in spec.all_args() {
            let v = self.option(spec, a.name);
            if a.required && v.as_deref().is_none_or(str::is_empty) {
                return Err(UsageError::Required {
                    option: a.name.to_string(),
                });
            }
            if let (ArgType::Selector, Some(v)) = (a.ty, &v) {
                if !a.choices.iter().any(|c| c.value == v) {
                    return Err(UsageError::BadValue {
                        option: format!("--{}", a.name),
                        value: v.clone(),
                        expected: Expected::OneOf(a.choices.iter().map(|c| c.value).collect()),
                    });
                }
            }
        }
        Ok(spec)
    }
}

/// Edit distance between two short option names (Levenshtein).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The error for an option nobody takes, naming the closest one that
/// exists when the given one is a likely typo of it: the same letters
/// without dashes (`--buffersize`), one edit away for names of three
/// letters or more (`--cout`, `--fille`), two for names of five or more
/// (`--interace`).
fn unknown_option(given: &str, headless: bool) -> UsageError {
    let bare = given.trim_start_matches('-');
    let squash = |s: &str| s.replace(['-', '_'], "").to_ascii_lowercase();
    let mut names: Vec<&str> = EXTCAP_VALUE_OPTS.to_vec();
    names.extend(
        HEADLESS_OPTS
            .iter()
            .filter(|o| headless || o.takes_value)
            .map(|o| o.long),
    );
    names.extend(
        crate::protocol::INTERFACES
            .iter()
            .flat_map(|i| i.all_args())
            .map(|a| a.name),
    );
    let best = names
        .iter()
        .map(|n| {
            let d = if squash(n) == squash(bare) {
                0
            } else {
                distance(&bare.to_ascii_lowercase(), n)
            };
            (d, *n)
        })
        .filter(|(d, n)| {
            *d == 0
                || (*d == 1 && bare.len() >= 3 && n.len() >= 3)
                || (*d <= 2 && bare.len() >= 5 && n.len() >= 5)
        })
        .min();
    match best {
        Some((_, like)) if bare.len() > 1 => UsageError::UnknownOptionLike {
            option: given.to_string(),
            like: format!("--{like}"),
        },
        _ => UsageError::UnknownOption {
            option: given.to_string(),
        },
    }
}

/// The error for an interface name this build does not have, listing those
/// it has.
pub fn unknown_interface(name: &str) -> UsageError {
    UsageError::UnknownInterface {
        name: name.to_string(),
        known: protocol::INTERFACES.iter().map(|i| i.name).collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn query_calls_tolerate_unknown_options_and_both_forms() {
        let inv = parse_extcap(&v(&[
            "--extcap-interfaces",
            "--frobnicate",
            "7",
            "--extcap-version=4.0",
        ]));
        assert_eq!(inv.call, Some(Call::Interfaces));
        assert_eq!(inv.host_version.as_deref(), Some("4.0"));
        let inv = parse_extcap(&v(&[
            "--extcap-config",
            "--extcap-interface=scapbridge-replay",
            "--extcap-reload-option",
            "profile",
        ]));
        assert_eq!(
            inv.call,
            Some(Call::Config {
                reload: Some("profile".into())
            })
        );
        assert_eq!(inv.interface.as_deref(), Some("scapbridge-replay"));
    }

    #[test]
    fn capture_call_in_any_order_with_defaults() {
        let inv = parse_extcap(&v(&[
            "--speed=max",
            "--capture",
            "--fifo",
            "/tmp/f",
            "--extcap-interface",
            "scapbridge-replay",
            "--file",
            "/x.scap",
            "--loop",
        ]));
        assert_eq!(inv.call, Some(Call::Capture));
        let spec = inv.check_capture().unwrap();
        assert_eq!(inv.option(spec, "speed").as_deref(), Some("max"));
        assert_eq!(inv.option(spec, "loop").as_deref(), Some("true"));
        assert_eq!(inv.option(spec, "profile").as_deref(), Some("auto"));
        assert_eq!(inv.option(spec, "log-level").as_deref(), Some("message"));
    }

    #[test]
    fn capture_call_reports_problems() {
        type Check = fn(&UsageError) -> bool;
        let cases: [(&[&str], Check); 4] = [
            (&["scapbridge-replay"], |e| {
                *e == UsageError::Required {
                    option: "file".into(),
                }
            }),
            (&["scapbridge-replay", "--file", "x", "--bogus"], |e| {
                *e == UsageError::UnknownOption {
                    option: "--bogus".into(),
                }
            }),
            (&["nope"], |e| {
                matches!(e, UsageError::UnknownInterface { .. })
            }),
            (
                &["scapbridge-replay", "--file", "x", "--profile", "zz"],
                |e| matches!(e, UsageError::BadValue { .. }),
            ),
        ];
        for (rest, expected) in cases {
            let mut args = v(&["--capture", "--fifo", "/f", "--extcap-interface"]);
            args.extend(v(rest));
            let err = parse_extcap(&args).check_capture().unwrap_err();
            assert!(expected(&err), "{rest:?}: {err:?}");
        }
    }

    #[test]
    fn headless_short_options_and_trailing_command() {
        let inv = parse_headless(&v(&[
            "-i",
            "scapbridge-replay",
            "--file",
            "a.scap",
            "-wout.scap",
            "-c",
            "10",
            "-q",
            "--",
            "ls",
            "-l",
        ]));
        assert_eq!(inv.output.as_deref(), Some("out.scap"));
        assert_eq!(inv.count.as_deref(), Some("10"));
        assert!(inv.quiet);
        assert_eq!(inv.command, v(&["ls", "-l"]));
        assert!(inv.check_capture().is_ok());
    }

    #[test]
    fn detects_extcap_calls() {
        assert!(is_extcap_call(&v(&["--extcap-interfaces"])));
        assert!(is_extcap_call(&v(&["--capture", "--fifo=/x"])));
        assert!(!is_extcap_call(&v(&["read", "x.scap"])));
    }
}
