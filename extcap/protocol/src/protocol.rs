//! The extcap query sentences (`extcap`, `interface`, `dlt`, `arg`, `value`,
//! `control`) and the table of our interfaces and their options.
//!
//! One table ([`INTERFACES`]) drives everything: what `--extcap-interfaces`
//! lists, what `--extcap-config` prints, which options a capture accepts (in
//! the extcap call and in `scapbridge capture`), and the defaults we apply
//! ourselves, because the host never passes selector/radio/password defaults
//! (see `shared/specs/extcap.md` §2.2).
//!
//! Printing is plain string building: query calls run at every Wireshark
//! start-up, so they must not start a runtime, open sockets or load BPF.

use std::fmt::Write as _;

/// The nominal link type of every interface: USER0. The real record type
/// comes from the scap blocks in the stream.
pub const DLT_USER0: u32 = 147;

/// Version announced in the `extcap` sentence.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How an option is presented by the host and passed back to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArgType {
    /// Free text, `--opt text`.
    String,
    /// Non-negative integer, `--opt N`.
    Unsigned,
    /// Checkbox passed as a bare `--opt` only when ticked.
    Boolflag,
    /// Path with a file dialog.
    Fileselect {
        /// Open dialog (file must exist) rather than save dialog.
        must_exist: bool,
    },
    /// Combo box of `value` lines.
    Selector,
    /// Masked text, never saved by the host.
    Password,
}

impl ArgType {
    fn keyword(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Unsigned => "unsigned",
            ArgType::Boolflag => "boolflag",
            ArgType::Fileselect { .. } => "fileselect",
            ArgType::Selector => "selector",
            ArgType::Password => "password",
        }
    }

    /// Whether the option is followed by a value on the command line.
    pub fn takes_value(self) -> bool {
        !matches!(self, ArgType::Boolflag)
    }
}

/// One entry of a selector.
#[derive(Debug, Clone, Copy)]
pub struct Choice {
    /// Value passed back.
    pub value: &'static str,
    /// Text shown.
    pub display: &'static str,
}

/// One configurable option of an interface.
#[derive(Debug, Clone, Copy)]
pub struct ArgSpec {
    /// Option name without the leading dashes (`file` for `--file`).
    pub name: &'static str,
    /// Label in the options dialog.
    pub display: &'static str,
    /// Widget and passing convention.
    pub ty: ArgType,
    /// Tooltip; also the help text of `scapbridge capture --help`.
    pub tooltip: &'static str,
    /// Our default, applied by us when the option is absent.
    pub default: Option<&'static str>,
    /// Whether a capture cannot start without it.
    pub required: bool,
    /// Options-dialog tab.
    pub group: &'static str,
    /// Selector entries (the default is marked from `default`).
    pub choices: &'static [Choice],
    /// A regular expression the GUI checks before starting (no backslashes:
    /// the sentence grammar has no escaping).
    pub validation: Option<&'static str>,
    /// File-dialog filter for fileselect.
    pub fileext: Option<&'static str>,
}

impl ArgSpec {
    const fn new(
        name: &'static str,
        display: &'static str,
        ty: ArgType,
        group: &'static str,
        tooltip: &'static str,
    ) -> Self {
        ArgSpec {
            name,
            display,
            ty,
            tooltip,
            default: None,
            required: false,
            group,
            choices: &[],
            validation: None,
            fileext: None,
        }
    }
}

/// One interface we announce.
#[derive(Debug)]
pub struct InterfaceSpec {
    /// `value`: the name passed back with `--extcap-interface`.
    pub name: &'static str,
    /// `display`: shown beside the name in interface lists.
    pub display: &'static str,
    /// Interface-specific options, in dialog order.
    pub args: &'static [ArgSpec],
}

impl InterfaceSpec {
    /// The option called `name`, including the rules and debug options.
    pub fn arg(&self, name: &str) -> Option<&'static ArgSpec> {
        self.all_args().find(|a| a.name == name)
    }

    /// All options in `--extcap-config` order (the interface's, the rules
    /// options every interface has, then the debug ones).
    pub fn all_args(&self) -> impl Iterator<Item = &'static ArgSpec> {
        self.args
            .iter()
            .chain(RULES_ARGS.iter())
            .chain(DEBUG_ARGS.iter())
    }
}

/// Log levels accepted by `--log-level` (Wireshark's extcap-base set, plus
/// the ws_log levels some hosts pass).
pub const LOG_LEVELS: &[Choice] = &[
    Choice {
        value: "message",
        display: "Message",
    },
    Choice {
        value: "info",
        display: "Info",
    },
    Choice {
        value: "debug",
        display: "Debug",
    },
    Choice {
        value: "noisy",
        display: "Noisy",
    },
];

const ALERT_FORMATS: &[Choice] = &[
    Choice {
        value: "text",
        display: "Text lines, as Falco prints them",
    },
    Choice {
        value: "json",
        display: "Falco JSON objects (falcosidekick, SIEMs)",
    },
];

/// Falco rules on any interface: alerts as text or Falco JSON, and in a
/// pcapng capture as journal entries beside the events.
pub const RULES_ARGS: &[ArgSpec] = &[
    ArgSpec {
        fileext: Some("Falco rules (*.yaml *.yml);;All files (*)"),
        ..ArgSpec::new(
            "rules",
            "Falco rules file",
            ArgType::Fileselect { must_exist: true },
            "Rules",
            "Evaluate these Falco rules on every event (a file or a directory of them; repeat headless for several)",
        )
    },
    ArgSpec::new(
        "alerts",
        "Alerts file",
        ArgType::Fileselect { must_exist: false },
        "Rules",
        "Where alerts are appended (headless default: standard error; in Wireshark: the log); a pcapng capture also carries them beside the events",
    ),
    ArgSpec {
        default: Some("text"),
        choices: ALERT_FORMATS,
        ..ArgSpec::new(
            "alerts-format",
            "Alerts format",
            ArgType::Selector,
            "Rules",
            "text = Falco's lines; json = Falco's JSON objects",
        )
    },
    ArgSpec {
        fileext: Some("Falco configuration (*.yaml *.yml);;All files (*)"),
        ..ArgSpec::new(
            "config",
            "Falco configuration",
            ArgType::Fileselect { must_exist: true },
            "Rules",
            "A falco.yaml: its rules_files (without --rules), rules: section, priority, json_output, json_include_* and append_output",
        )
    },
    ArgSpec::new(
        "disable-rules",
        "Disable rules named",
        ArgType::String,
        "Rules",
        "Falco's -D: disable the rules whose name contains this text (repeat headless for several)",
    ),
    ArgSpec::new(
        "disable-tags",
        "Disable rules tagged",
        ArgType::String,
        "Rules",
        "Falco's -T: disable the rules with one of these tags (comma-separated, or repeated headless)",
    ),
    ArgSpec::new(
        "run-tags",
        "Run only rules tagged",
        ArgType::String,
        "Rules",
        "Falco's -t: run only the rules with one of these tags (comma-separated, or repeated headless); not with the two above",
    ),
    ArgSpec::new(
        "trigger",
        "Capture only around alerts",
        ArgType::Boolflag,
        "Trigger",
        "Write only windows around alerts: the events before each alert (--pre), the alert, and the events after it (--post)",
    ),
    ArgSpec {
        default: Some("all_rules"),
        choices: TRIGGER_MODES,
        ..ArgSpec::new(
            "trigger-mode",
            "Which alerts open a window",
            ArgType::Selector,
            "Trigger",
            "all_rules = any alert; rules = only rules with capture: true (Falco's capture.mode)",
        )
    },
    ArgSpec {
        default: Some("5s"),
        ..ArgSpec::new(
            "pre",
            "Before each alert",
            ArgType::String,
            "Trigger",
            "How much time before an alert its window starts (10, 2.5s, 500ms, 3m)",
        )
    },
    ArgSpec {
        default: Some("5s"),
        ..ArgSpec::new(
            "post",
            "After the last alert",
            ArgType::String,
            "Trigger",
            "How long a window stays open after its last alert, unless the rule sets capture_duration",
        )
    },
    ArgSpec {
        default: Some("64M"),
        ..ArgSpec::new(
            "max-buffer",
            "Memory for the pre-alert ring",
            ArgType::String,
            "Trigger",
            "Most bytes of events held while no window is open (64k, 16M, 1G)",
        )
    },
    ArgSpec::new(
        "save-dir",
        "Save each window in",
        ArgType::String,
        "Trigger",
        "Also write each window to its own self-contained file in this directory (Falco's capture naming)",
    ),
    ArgSpec {
        default: Some("100M"),
        ..ArgSpec::new(
            "save-max-bytes",
            "Largest window file",
            ArgType::String,
            "Trigger",
            "A window file stops growing past this size (the stream goes on)",
        )
    },
];

const TRIGGER_MODES: &[Choice] = &[
    Choice {
        value: "all_rules",
        display: "Any alert",
    },
    Choice {
        value: "rules",
        display: "Rules with capture: true",
    },
];

/// The two options every Wireshark extcap appends (`extcap_config_debug`).
pub const DEBUG_ARGS: &[ArgSpec] = &[
    ArgSpec {
        default: Some("message"),
        choices: LOG_LEVELS,
        ..ArgSpec::new(
            "log-level",
            "Set the log level",
            ArgType::Selector,
            "Debug",
            "Log level",
        )
    },
    ArgSpec::new(
        "log-file",
        "Use a file for logging",
        ArgType::Fileselect { must_exist: false },
        "Debug",
        "Set a file where log messages are written",
    ),
];

const PROFILES: &[Choice] = &[
    LIVE_PROFILES[0],
    LIVE_PROFILES[1],
    LIVE_PROFILES[2],
    Choice {
        value: "keep",
        display: "As recorded (exact copy; Wireshark 4.0 shows every event)",
    },
];

/// Layouts of a live source (there is no recording to keep as it was).
const LIVE_PROFILES: &[Choice] = &[
    Choice {
        value: "auto",
        display: "What this analyzer reads (Stratoshark/Wireshark 4.6: stratoshark; Wireshark 4.0-4.4: compat)",
    },
    Choice {
        value: "stratoshark",
        display: "stratoshark: Stratoshark, Wireshark 4.6, sysdig 0.41, Falco (libs 0.23)",
    },
    Choice {
        value: "compat",
        display: "compat: Wireshark 4.0-4.4, sysdig 0.29 (with enter events)",
    },
];

/// The event layout of a recorded or forwarded stream (replay, ssh: our
/// agent on the host is asked for the layout given here).
const LAYOUT_ARG: ArgSpec = ArgSpec {
    default: Some("auto"),
    choices: PROFILES,
    ..ArgSpec::new(
        "profile",
        "Event layout",
        ArgType::Selector,
        "Output",
        "Event layout of the stream: auto = the one this analyzer reads every event of (headless: as recorded or sent); stratoshark = libs 0.23 (Stratoshark, Wireshark 4.6, sysdig 0.41); compat = Wireshark 4.0-4.4 and sysdig 0.29; keep = as recorded or sent",
    )
};

/// Options of `scapbridge-replay`.
pub const REPLAY_ARGS: &[ArgSpec] = &[
    ArgSpec {
        required: true,
        fileext: Some("Capture files (*.scap *.scap.gz *.pcapng *.scap.pcapng);;All files (*)"),
        ..ArgSpec::new(
            "file",
            "Capture file",
            ArgType::Fileselect { must_exist: true },
            "Replay",
            "The .scap capture to stream as a live interface (gzip and pcapng-framed files work too)",
        )
    },
    ArgSpec {
        default: Some("1"),
        validation: Some("^ *([Mm][Aa][Xx]|[0-9]+([.][0-9]+)?[xX]?) *$"),
        ..ArgSpec::new(
            "speed",
            "Speed",
            ArgType::String,
            "Replay",
            "1 = the recorded pace, N (or Nx) = N times faster, max = as fast as the reader takes them",
        )
    },
    ArgSpec::new(
        "loop",
        "Loop",
        ArgType::Boolflag,
        "Replay",
        "Start again at the end of the file; timestamps keep increasing so the analyzer sees one continuous capture",
    ),
    LAYOUT_ARG,
];

/// Options of `scapbridge-syscalls`.
pub const SYSCALLS_ARGS: &[ArgSpec] = &[
    ArgSpec {
        default: Some("all"),
        ..ArgSpec::new(
            "syscalls",
            "System calls",
            ArgType::String,
            "Capture",
            "Comma-separated syscall names or numbers; falco = those the stock Falco rules use; all = every syscall (the rest as generic events)",
        )
    },
    ArgSpec {
        default: Some("80"),
        validation: Some("^[0-9]+$"),
        ..ArgSpec::new(
            "snaplen",
            "I/O snaplen",
            ArgType::Unsigned,
            "Capture",
            "Bytes of read/write data kept per event (0-4096; sysdig keeps 80)",
        )
    },
    ArgSpec {
        default: Some("8"),
        validation: Some("^[0-9]+$"),
        ..ArgSpec::new(
            "buffer-size",
            "Buffer size (MiB)",
            ArgType::Unsigned,
            "Capture",
            "Size of each CPU's kernel ring buffer in MiB, a power of two; larger rides out longer bursts before dropping",
        )
    },
    ArgSpec {
        validation: Some("^[0-9]*$"),
        ..ArgSpec::new(
            "pid",
            "Only this process",
            ArgType::Unsigned,
            "Processes",
            "Trace only this process id and its descendants (empty or 0: every process)",
        )
    },
    ArgSpec::new(
        "command",
        "Run and trace a command",
        ArgType::String,
        "Processes",
        "A shell command line to start and trace with its children; the capture ends when it exits",
    ),
    ArgSpec::new(
        "container-socket",
        "Container runtime socket",
        ArgType::String,
        "Processes",
        "The container runtime's Docker-compatible API socket, asked for container names, images and pod labels (empty: /run/podman/podman.sock or /var/run/docker.sock, whichever exists; none: one warning, container ids only)",
    ),
    ArgSpec {
        validation: Some("^[A-Za-z0-9_.,-]*$"),
        ..ArgSpec::new(
            "container",
            "Only these containers",
            ArgType::String,
            "Processes",
            "Capture only these containers' processes, by id (12 to 64 hex digits) or name, comma-separated; also one that starts during the capture. The kernel drops the other events (empty: every process)",
        )
    },
    ArgSpec {
        validation: Some("^[A-Za-z0-9_./,-]*$"),
        ..ArgSpec::new(
            "pod",
            "Only these Kubernetes pods",
            ArgType::String,
            "Processes",
            "Capture only the containers of these pods, NAME or NAMESPACE/NAME (from the io.kubernetes.pod.* labels), comma-separated; the kernel drops the other events (empty: every process)",
        )
    },
    ArgSpec {
        default: Some("auto"),
        choices: LIVE_PROFILES,
        ..ArgSpec::new(
            "profile",
            "Event layout",
            ArgType::Selector,
            "Output",
            "auto = the one this analyzer reads every event of; stratoshark = libs 0.23 (Stratoshark, Wireshark 4.6, sysdig 0.41: exit events with every argument); compat = Wireshark 4.0-4.4 and sysdig 0.29 (enter and exit events)",
        )
    },
];

const CAPTURE_COMMANDS: &[Choice] = &[
    Choice {
        value: "sysdig",
        display: "sysdig (sshdig's command)",
    },
    Choice {
        value: "scapbridge",
        display: "scapbridge-agent (rules and trigger mode on the host)",
    },
    Choice {
        value: "other",
        display: "The custom command below",
    },
];

const PRIVS: &[Choice] = &[
    Choice {
        value: "none",
        display: "none",
    },
    Choice {
        value: "sudo",
        display: "sudo",
    },
    Choice {
        value: "doas -n",
        display: "doas -n",
    },
];

const HOST_KEY_POLICIES: &[Choice] = &[
    Choice {
        value: "strict",
        display: "Only keys in known_hosts",
    },
    Choice {
        value: "accept-new",
        display: "Add unknown hosts, refuse changed keys",
    },
];

/// `scapbridge-ssh`: sshdig's options, names and defaults, plus ours.
pub const SSH_ARGS: &[ArgSpec] = &[
    ArgSpec {
        required: true,
        ..ArgSpec::new("remote-host", "Remote SSH server address", ArgType::String, "Server", "The remote SSH host (name or address)")
    },
    ArgSpec {
        default: Some("22"),
        ..ArgSpec::new("remote-port", "Remote SSH server port", ArgType::Unsigned, "Server", "The remote SSH port (1-65535)")
    },
    ArgSpec::new("proxycommand", "ProxyCommand", ArgType::String, "Server", "A command whose stdin/stdout reach the SSH server, run with sh -c (%h host, %p port, %r user); default: ~/.ssh/config's ProxyCommand or ProxyJump"),
    ArgSpec::new("ssh-sha1", "Support SHA-1 keys (deprecated)", ArgType::Boolflag, "Server", "Also offer SHA-1 key exchanges, for old servers"),
    ArgSpec::new("remote-username", "Remote SSH server username", ArgType::String, "Authentication", "The remote user (default: the local user)"),
    ArgSpec::new("remote-password", "Remote SSH server password", ArgType::Password, "Authentication", "The password, tried after the key"),
    ArgSpec::new("sshkey", "Path to SSH private key", ArgType::Fileselect { must_exist: true }, "Authentication", "The private key (OpenSSH, PEM or PKCS#8)"),
    ArgSpec::new("sshkey-passphrase", "SSH key passphrase", ArgType::Password, "Authentication", "Passphrase of the private key"),
    ArgSpec::new("known-hosts", "known_hosts file", ArgType::Fileselect { must_exist: false }, "Authentication", "Host keys to trust (default ~/.ssh/known_hosts)"),
    ArgSpec {
        default: Some("strict"),
        choices: HOST_KEY_POLICIES,
        ..ArgSpec::new("host-key-policy", "Host key policy", ArgType::Selector, "Authentication", "strict = only keys in known_hosts; accept-new = add unknown hosts, refuse changed keys")
    },
    ArgSpec {
        default: Some("sysdig"),
        choices: CAPTURE_COMMANDS,
        ..ArgSpec::new("remote-capture-command-select", "Remote capture command selection", ArgType::Selector, "Capture", "The remote capture program")
    },
    ArgSpec::new("remote-capture-command", "Remote capture command", ArgType::String, "Capture", "A custom command that writes a scap stream to standard output"),
    ArgSpec {
        default: Some("none"),
        choices: PRIVS,
        ..ArgSpec::new("remote-priv", "Gain capture privileges", ArgType::Selector, "Capture", "Run the capture command with sudo or doas -n")
    },
    ArgSpec::new("remote-priv-user", "Privileged user name", ArgType::String, "Capture", "The user sudo or doas switches to (-u)"),
    ArgSpec {
        default: Some("0"),
        ..ArgSpec::new("remote-count", "Maximum number of events", ArgType::Unsigned, "Capture", "Stop after this many events (0 = no limit)")
    },
    ArgSpec {
        default: Some("80"),
        ..ArgSpec::new("remote-io-snaplen", "I/O data bytes", ArgType::Unsigned, "Capture", "Bytes of read/write data kept per event")
    },
    ArgSpec {
        default: Some("true"),
        ..ArgSpec::new("remote-modern-bpf", "Use the modern BPF probe", ArgType::Boolflag, "Capture", "Pass --modern-bpf to the capture command")
    },
    LAYOUT_ARG,
];

/// `scapbridge-cloudtrail`: falcodump's CloudTrail options (the plugin's
/// init config as `--cloudtrail-…`, the open parameters as
/// `--plugin-source`), plus an endpoint, a region filter and follow mode.
pub const CLOUDTRAIL_ARGS: &[ArgSpec] = &[
    ArgSpec {
        required: true,
        ..ArgSpec::new("plugin-source", "Log source", ArgType::String, "Source", "A .json/.json.gz CloudTrail file or directory, s3://BUCKET[/PREFIX], or sqs://QUEUE (S3 or CloudTrail-over-SNS notifications)")
    },
    ArgSpec::new("follow", "Follow", ArgType::Boolflag, "Source", "Keep watching a directory for new log files (an SQS queue is always followed)"),
    ArgSpec {
        default: Some("32"),
        ..ArgSpec::new("cloudtrail-s3downloadconcurrency", "S3 download concurrency", ArgType::Unsigned, "S3", "Objects downloaded at a time")
    },
    ArgSpec::new("cloudtrail-s3interval", "S3 time interval", ArgType::String, "S3", "Only log files whose name time is in this range: 5d, 12h, an RFC 3339 time, or a range such as 5d-2d"),
    ArgSpec::new("cloudtrail-s3accountlist", "S3 account list", ArgType::String, "S3", "Only these accounts' logs (comma-separated 12-digit ids; organisation trails)"),
    ArgSpec::new("cloudtrail-s3regionlist", "S3 region list", ArgType::String, "S3", "Only these regions' logs (comma-separated, such as us-east-1,eu-west-1)"),
    ArgSpec {
        default: Some("true"),
        ..ArgSpec::new("cloudtrail-sqsdelete", "Delete SQS messages", ArgType::Boolflag, "SQS", "Delete each SQS message once its log files are captured (=false keeps them)")
    },
    ArgSpec::new("cloudtrail-uses3sns", "S3 notifications via SNS", ArgType::Boolflag, "SQS", "Accepted for falcodump compatibility: S3 event and CloudTrail notifications are both recognised"),
    ArgSpec::new("cloudtrail-sqsowneraccount", "SQS queue owner account", ArgType::String, "SQS", "The account that owns the queue, when not yours"),
    ArgSpec::new("cloudtrail-useasync", "Async extraction", ArgType::Boolflag, "SQS", "Accepted for falcodump compatibility (no effect)"),
    ArgSpec::new("cloudtrail-aws-profile", "AWS profile", ArgType::String, "AWS", "Profile of the shared config files (default: AWS_PROFILE, else default)"),
    ArgSpec::new("cloudtrail-aws-region", "AWS region", ArgType::String, "AWS", "Region (default: AWS_REGION or the profile's)"),
    ArgSpec::new("cloudtrail-aws-config", "AWS config file", ArgType::Fileselect { must_exist: true }, "AWS", "Shared config file (default ~/.aws/config)"),
    ArgSpec::new("cloudtrail-aws-credentials", "AWS credentials file", ArgType::Fileselect { must_exist: true }, "AWS", "Shared credentials file (default ~/.aws/credentials)"),
    ArgSpec::new("cloudtrail-aws-endpoint", "AWS endpoint URL", ArgType::String, "AWS", "An S3/SQS-compatible endpoint such as http://127.0.0.1:5000 (default: AWS_ENDPOINT_URL or AWS itself)"),
];

const CLOUDTRAIL: InterfaceSpec = InterfaceSpec {
    name: "scapbridge-cloudtrail",
    display: "scapbridge: AWS CloudTrail logs (files, S3, SQS)",
    args: CLOUDTRAIL_ARGS,
};

const SSH: InterfaceSpec = InterfaceSpec {
    name: "scapbridge-ssh",
    display: "scapbridge: system calls of a remote host over SSH",
    args: SSH_ARGS,
};

const REPLAY: InterfaceSpec = InterfaceSpec {
    name: "scapbridge-replay",
    display: "scapbridge: replay a capture file live",
    args: REPLAY_ARGS,
};

#[cfg(target_os = "linux")]
const SYSCALLS: InterfaceSpec = InterfaceSpec {
    name: "scapbridge-syscalls",
    display: "scapbridge: system calls of this machine (eBPF)",
    args: SYSCALLS_ARGS,
};

/// Every interface this build can serve, in listing order. An interface is
/// listed only once its source works: the SSH and CloudTrail interfaces join
/// this table as they land; the local probe is listed on Linux only.
#[cfg(target_os = "linux")]
pub const INTERFACES: &[InterfaceSpec] = &[SYSCALLS, SSH, CLOUDTRAIL, REPLAY];
/// Every interface this build can serve, in listing order.
#[cfg(not(target_os = "linux"))]
pub const INTERFACES: &[InterfaceSpec] = &[SSH, CLOUDTRAIL, REPLAY];

/// Looks an interface up by name.
pub fn interface(name: &str) -> Option<&'static InterfaceSpec> {
    INTERFACES.iter().find(|i| i.name == name)
}

/// Toolbar control numbers (shared by all interfaces of this executable, as
/// the host gives one toolbar per extcap).
pub use scapbridge_engine::control::controls;

/// Makes a value safe for a sentence: one line, no `}{` (the grammar has no
/// escaping, and a value ends at a `}` followed by `{`).
fn clean(v: &str) -> String {
    let mut s: String = v
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    while s.contains("}{") {
        s = s.replace("}{", "} {");
    }
    s
}

fn field(out: &mut String, key: &str, value: &str) {
    let _ = write!(out, "{{{key}={}}}", clean(value));
}

/// The answer to `--extcap-version` alone and the first line of
/// `--extcap-interfaces`.
pub fn extcap_sentence(out: &mut String) {
    out.push_str("extcap ");
    field(out, "version", VERSION);
    // `help` must be a URL; announce one only when the package names its home.
    let home = env!("CARGO_PKG_REPOSITORY");
    if !home.is_empty() {
        field(out, "help", home);
    }
    field(out, "display", "scapbridge");
    out.push('\n');
}

/// The answer to `--extcap-interfaces`.
pub fn interfaces(out: &mut String) {
    extcap_sentence(out);
    for i in INTERFACES {
        out.push_str("interface ");
        field(out, "value", i.name);
        field(out, "display", i.display);
        out.push('\n');
    }
    control(
        out,
        controls::PAUSE,
        "boolean",
        "Pause",
        &[
            ("default", "false"),
            (
                "tooltip",
                "Hold events back; the capture goes on when unticked",
            ),
        ],
    );
    control(
        out,
        controls::RESTART,
        "button",
        "Restart",
        &[(
            "tooltip",
            "Replay interfaces: start again at the first event of the file",
        )],
    );
    control(
        out,
        controls::LOG,
        "button",
        "Log",
        &[
            ("role", "logger"),
            ("tooltip", "Show scapbridge's capture log"),
        ],
    );
}

fn control(out: &mut String, number: u8, ty: &str, display: &str, extra: &[(&str, &str)]) {
    out.push_str("control ");
    field(out, "number", &number.to_string());
    field(out, "type", ty);
    field(out, "display", display);
    for (k, v) in extra {
        field(out, k, v);
    }
    out.push('\n');
}

/// The answer to `--extcap-dlts --extcap-interface NAME`.
pub fn dlts(iface: &InterfaceSpec, out: &mut String) {
    out.push_str("dlt ");
    field(out, "number", &DLT_USER0.to_string());
    field(out, "name", iface.name);
    field(out, "display", "Falco/sysdig events (scap)");
    out.push('\n');
}

/// The answer to `--extcap-config --extcap-interface NAME`, or with
/// `reload = Some(option)` only that option's `value` lines.
pub fn config(iface: &InterfaceSpec, reload: Option<&str>, out: &mut String) {
    for (n, a) in iface.all_args().enumerate() {
        if let Some(r) = reload {
            if r.trim_start_matches('-') == a.name {
                values(n, a, out);
            }
            continue;
        }
        out.push_str("arg ");
        field(out, "number", &n.to_string());
        field(out, "call", &format!("--{}", a.name));
        field(out, "display", a.display);
        field(out, "type", a.ty.keyword());
        field(out, "tooltip", a.tooltip);
        // Selector defaults belong on the value line (an arg-line default is
        // ignored by the host for selectors).
        if let (Some(d), false) = (a.default, a.ty == ArgType::Selector) {
            field(out, "default", d);
        }
        if let ArgType::Fileselect { must_exist } = a.ty {
            field(out, "mustexist", if must_exist { "true" } else { "false" });
        }
        if let Some(v) = a.validation {
            field(out, "validation", v);
        }
        if let Some(e) = a.fileext {
            field(out, "fileext", e);
        }
        field(out, "required", if a.required { "true" } else { "false" });
        field(out, "group", a.group);
        out.push('\n');
        values(n, a, out);
    }
}

fn values(n: usize, a: &ArgSpec, out: &mut String) {
    for c in a.choices {
        out.push_str("value ");
        field(out, "arg", &n.to_string());
        field(out, "value", c.value);
        field(out, "display", c.display);
        field(
            out,
            "default",
            if Some(c.value) == a.default {
                "true"
            } else {
                "false"
            },
        );
        out.push('\n');
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn values_never_contain_the_field_separator() {
        assert_eq!(clean("a}{b}{{c\nd"), "a} {b} {{c d");
    }

    #[test]
    fn every_selector_default_is_one_of_its_choices() {
        for i in INTERFACES {
            for a in i.all_args() {
                if a.ty == ArgType::Selector {
                    assert!(
                        a.choices.iter().any(|c| Some(c.value) == a.default),
                        "{}: {}",
                        i.name,
                        a.name
                    );
                }
            }
        }
    }

    #[test]
    fn reload_prints_only_value_lines() {
        let mut s = String::new();
        let replay = interface("scapbridge-replay").expect("replay");
        config(replay, Some("profile"), &mut s);
        assert_eq!(s.lines().count(), 4);
        assert!(s.lines().all(|l| l.starts_with("value {arg=3}")), "{s}");
    }
}
