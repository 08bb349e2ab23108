//! The capture agent's command line: sysdig's capture flags as sshdig sends
//! them (`--unbuffered --modern-bpf --write=- --numevents=N --snaplen=N
//! 'FILTER'`), so the agent can stand in for sysdig on a monitored host
//! (installed as `sysdig`, or named as sshdig's custom capture command).
//!
//! Parsing knows nothing of the probe; the binary runs the capture.

/// What a capture call asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentArgs {
    /// `-w`/`--write`: `-` for stdout, else a file.
    pub write: Option<String>,
    /// `-n`/`--numevents`: stop after N events.
    pub numevents: Option<u64>,
    /// `-s`/`--snaplen`: I/O bytes kept per event.
    pub snaplen: Option<u32>,
    /// The filter: the remaining arguments joined by spaces, as sysdig does.
    pub filter: Option<String>,
    /// `--rules FILE` (repeatable): Falco rules evaluated on every event.
    pub rules: Vec<String>,
    /// `--rules-stdin`: rules files framed on standard input (what
    /// `scapbridge-ssh` uploads), read before the capture starts.
    pub rules_stdin: bool,
    /// `--trigger`: write only windows around alerts.
    pub trigger: bool,
    /// `--disable-rules TEXT` (repeatable): Falco's `-D`, rules whose name
    /// contains TEXT are disabled.
    pub disable_rules: Vec<String>,
    /// `--disable-tags TAG` (repeatable, or comma-separated): Falco's `-T`.
    pub disable_tags: Vec<String>,
    /// `--run-tags TAG` (repeatable, or comma-separated): Falco's `-t`,
    /// only rules with one of these tags run.
    pub run_tags: Vec<String>,
    /// Valued options passed on to the capture engine by name (without the
    /// dashes): `alerts`, `alerts-format`, `trigger-mode`, `pre`, `post`,
    /// `max-buffer`, `save-dir`, `save-max-bytes`.
    pub options: Vec<(String, String)>,
    /// `--container-socket PATH`: the container runtime's API socket.
    pub container_socket: Option<String>,
    /// `--container ID|NAME` (repeatable, or comma-separated): only these
    /// containers' events, dropped in the kernel otherwise.
    pub containers: Vec<String>,
    /// `--pod [NS/]NAME` (repeatable, or comma-separated): only the
    /// containers of these pods.
    pub pods: Vec<String>,
    /// `--help`.
    pub help: bool,
    /// `--version` (`-V`).
    pub version: bool,
}

/// Valued options the agent hands to the capture engine unchanged.
pub const ENGINE_OPTIONS: &[&str] = &[
    "profile",
    "alerts",
    "alerts-format",
    "trigger-mode",
    "pre",
    "post",
    "max-buffer",
    "save-dir",
    "save-max-bytes",
];

impl AgentArgs {
    /// The value of an engine option, if given.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A wrong command line: which option, and what is wrong with it. Its text
/// is the one line the agent prints before exiting with status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArgsError {
    /// An option that takes a value came last (`-w` alone).
    MissingValue {
        /// The option, in its long form (`--write`).
        option: String,
    },
    /// A numeric option's value is not a number (`-n x`).
    NotANumber {
        /// The option, in its long form (`--numevents`).
        option: String,
        /// The value given.
        value: String,
    },
    /// An option the agent does not know (`--bogus`).
    UnknownOption {
        /// The option as given.
        option: String,
    },
}

impl ArgsError {
    /// The option the error is about.
    pub fn option(&self) -> &str {
        match self {
            ArgsError::MissingValue { option }
            | ArgsError::NotANumber { option, .. }
            | ArgsError::UnknownOption { option } => option,
        }
    }
}

impl std::fmt::Display for ArgsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArgsError::MissingValue { option } => write!(f, "{option} needs a value"),
            ArgsError::NotANumber { option, value } => {
                write!(f, "{option}: '{value}' is not a number")
            }
            ArgsError::UnknownOption { option } => {
                write!(f, "unknown option '{option}' (try --help)")
            }
        }
    }
}

impl std::error::Error for ArgsError {}

fn number<T: std::str::FromStr>(opt: &str, v: &str) -> Result<T, ArgsError> {
    v.trim().parse().map_err(|_| ArgsError::NotANumber {
        option: opt.to_string(),
        value: v.to_string(),
    })
}

/// Parses the arguments (without the program name). A leading `capture` is
/// optional; `--unbuffered` and `--modern-bpf` are accepted (output is
/// flushed per batch anyway; the probe is always ours).
pub fn parse(args: &[impl AsRef<str>]) -> Result<AgentArgs, ArgsError> {
    let mut a = AgentArgs::default();
    let mut rest: Vec<&str> = Vec::new();
    let mut it = args.iter().map(AsRef::as_ref).peekable();
    if it.peek() == Some(&"capture") {
        it.next();
    }
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg, None),
        };
        let mut value = |opt: &str| -> Result<String, ArgsError> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it
                    .next()
                    .map(str::to_string)
                    .ok_or_else(|| ArgsError::MissingValue {
                        option: opt.to_string(),
                    }),
            }
        };
        match name {
            "--unbuffered" | "--modern-bpf" => {}
            "-h" | "--help" => a.help = true,
            "-V" | "--version" => a.version = true,
            "-w" | "--write" => a.write = Some(value("--write")?),
            "-n" | "--numevents" => {
                a.numevents = Some(number("--numevents", &value("--numevents")?)?)
            }
            "-s" | "--snaplen" => a.snaplen = Some(number("--snaplen", &value("--snaplen")?)?),
            "--rules" => a.rules.push(value("--rules")?),
            "--trigger" => a.trigger = true,
            "--rules-stdin" => a.rules_stdin = true,
            "--disable-rules" => a.disable_rules.push(value("--disable-rules")?),
            "--disable-tags" => a.disable_tags.extend(
                value("--disable-tags")?
                    .split(',')
                    .map(|t| t.trim().to_string()),
            ),
            "--run-tags" => a.run_tags.extend(
                value("--run-tags")?
                    .split(',')
                    .map(|t| t.trim().to_string()),
            ),
            "--container-socket" => a.container_socket = Some(value("--container-socket")?),
            "--container" => a.containers.push(value("--container")?),
            "--pod" => a.pods.push(value("--pod")?),
            long if long
                .strip_prefix("--")
                .is_some_and(|n| ENGINE_OPTIONS.contains(&n)) =>
            {
                let v = value(long)?;
                a.options.push((long[2..].to_string(), v));
            }
            "--" => rest.extend(it.by_ref()),
            other if other.starts_with('-') && other.len() > 1 => {
                return Err(ArgsError::UnknownOption {
                    option: other.to_string(),
                })
            }
            other => rest.push(other),
        }
    }
    let filter = rest.join(" ");
    if !filter.trim().is_empty() {
        a.filter = Some(filter);
    }
    Ok(a)
}

/// `--help` text.
pub const USAGE: &str = "\
scapbridge-agent: live system calls of this host as a scap stream, from scapbridge's eBPF probe

Usage: scapbridge-agent [capture] -w -|FILE [-n N] [-s N] [--unbuffered] [--modern-bpf] [--profile L]
                        [--container-socket PATH] [--container ID|NAME]... [--pod [NS/]NAME]...
                        [--rules FILE]... [--rules-stdin] [--alerts FILE] [--alerts-format text|json]
                        [--disable-rules TEXT]... [--disable-tags TAG]... | [--run-tags TAG]...
                        [--trigger [--pre D] [--post D] [--max-buffer SIZE]
                         [--trigger-mode all_rules|rules] [--save-dir DIR] [--save-max-bytes SIZE]]
                        [FILTER...]

  -w, --write -|FILE     where the capture goes (- = standard output)
  -n, --numevents N      stop after N events
  -s, --snaplen N        bytes of read/write data kept per event (default 80)
  --unbuffered, --modern-bpf
                         accepted for sysdig compatibility (sshdig sends them)
  --profile L            event layout: stratoshark (default: libs 0.23, what
                         Stratoshark, Wireshark 4.6 and sysdig 0.41 read) or
                         compat (Wireshark 4.0-4.4 and sysdig 0.29)
  --container-socket PATH
                         the container runtime's Docker-compatible API socket
                         (default: podman's or docker's, whichever exists)
  --container ID|NAME    only this container's events (repeat for several); one
                         that starts during the capture is kept too; the kernel
                         drops the rest before they reach the ring buffer
  --pod [NS/]NAME        only the containers of this Kubernetes pod (from the
                         io.kubernetes.pod.* labels the CRI sets)
  --rules FILE           Falco rules evaluated on every event (repeat for several)
  --rules-stdin          rules files framed on standard input (scapbridge-ssh sends them)
  --disable-rules TEXT   Falco's -D: disable the rules whose name contains TEXT
  --disable-tags TAG     Falco's -T: disable the rules tagged TAG (TAG,TAG too)
  --run-tags TAG         Falco's -t: run only the rules tagged TAG (not with the
                         two above); each repeatable
  --alerts FILE          where alerts go (default standard error)
  --alerts-format F      text (Falco's lines) or json (Falco's JSON objects)
  --trigger              write only windows around alerts: the events of the last
                         --pre before each alert (default 5s), the alert, and the
                         events until --post after the last alert (default 5s)
  --max-buffer SIZE      memory for the events held before an alert (default 64M)
  --trigger-mode M       all_rules (any alert opens a window) or rules (only rules
                         with capture: true; any alert extends an open window)
  --save-dir DIR         also write each window to its own file there (Falco's
                         naming), at most --save-max-bytes each (default 100M)
  FILTER                 a sysdig/Falco filter; several arguments are joined by spaces
  -V, --version          the version, git commit, probe build and layouts

It stops on SIGTERM, SIGINT, SIGHUP or when its reader goes away, leaving the
stream on a whole block and no probe attached. Exit status: 0 done, 1 failed,
2 wrong arguments, 3 done and a rule fired.
";

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn container_and_pod_scopes_repeat() {
        let a = parse(&[
            "-w",
            "-",
            "--container",
            "web",
            "--container=db,cache",
            "--pod",
            "shop/front",
        ])
        .unwrap();
        assert_eq!(a.containers, ["web", "db,cache"]);
        assert_eq!(a.pods, ["shop/front"]);
        assert!(parse(&["--pod"]).is_err());
    }

    #[test]
    fn sshdig_command_lines() {
        // sshdig's default GUI run, after the shell removed the quotes.
        let a = parse(&[
            "--unbuffered",
            "--modern-bpf",
            "--write=-",
            "--snaplen=80",
            "",
        ])
        .unwrap();
        assert_eq!(a.write.as_deref(), Some("-"));
        assert_eq!(a.snaplen, Some(80));
        assert_eq!(a.filter, None);
        let a = parse(&["capture", "-w", "-", "-n", "10", "proc.name", "=", "cat"]).unwrap();
        assert_eq!(a.numevents, Some(10));
        assert_eq!(a.filter.as_deref(), Some("proc.name = cat"));
        let a = parse(&["--numevents=5", "evt.type=open"]).unwrap();
        assert_eq!(
            (a.numevents, a.filter.as_deref()),
            (Some(5), Some("evt.type=open"))
        );
        assert!(parse(&["--bogus"])
            .unwrap_err()
            .to_string()
            .contains("--bogus"));
        assert!(parse(&["-n", "x"])
            .unwrap_err()
            .to_string()
            .contains("not a number"));
        assert!(parse(&["-w"])
            .unwrap_err()
            .to_string()
            .contains("needs a value"));
        let a = parse(&[
            "capture",
            "-w",
            "-",
            "--rules",
            "a.yaml",
            "--rules=b.yaml",
            "--trigger",
            "--pre",
            "2s",
            "--post=1s",
            "--run-tags",
            "a,b",
            "--run-tags=c",
            "--disable-rules",
            "x, y",
            "--disable-tags=d",
            "proc.name=cat",
        ])
        .unwrap();
        assert_eq!(a.rules, ["a.yaml", "b.yaml"]);
        assert_eq!(a.run_tags, ["a", "b", "c"]);
        assert_eq!(
            (&a.disable_rules, &a.disable_tags),
            (&vec!["x, y".to_string()], &vec!["d".to_string()])
        );
        assert!(a.trigger);
        assert_eq!(
            (a.option("pre"), a.option("post")),
            (Some("2s"), Some("1s"))
        );
        assert_eq!(a.filter.as_deref(), Some("proc.name=cat"));
    }

    #[test]
    fn errors_name_the_option_and_the_problem() {
        let e = parse(&["-n", "x"]).unwrap_err();
        assert_eq!(
            e,
            ArgsError::NotANumber {
                option: "--numevents".into(),
                value: "x".into()
            }
        );
        assert_eq!(e.to_string(), "--numevents: 'x' is not a number");
        let e = parse(&["-w"]).unwrap_err();
        assert_eq!(
            (e.option(), e.to_string().as_str()),
            ("--write", "--write needs a value")
        );
        let e = parse(&["--pre"]).unwrap_err();
        assert_eq!(e.option(), "--pre");
        let e = parse(&["--bogus=1"]).unwrap_err();
        assert_eq!(e.to_string(), "unknown option '--bogus' (try --help)");
    }
}
