//! scapbridge's interfaces for Wireshark and Stratoshark: each interface of
//! the extcap table opened as its source with its options checked. The
//! `scapbridge` binary (CLI and extcap) is a thin edge over this crate.
//!
//! The parts are crates of their own (see ARCHITECTURE.md), re-exported
//! here under their module names:
//! * [`protocol`], [`invocation`], [`host`]: the extcap protocol
//!   (`scapbridge-extcap`);
//! * [`replay`], [`ssh`], [`cloudtrail`]: the sources (`scapbridge-replay`,
//!   `scapbridge-ssh`, `scapbridge-cloudtrail`);
//! * `syscalls` (Linux): the local probe's source (`scapbridge-agent`);
//! * [`capture`], [`trigger`], [`control`], [`fsio`]: the engine
//!   (`scapbridge-engine`); [`filter`], [`rules`]: the filter language and
//!   Falco rules.

pub use scapbridge_cloudtrail as cloudtrail;
pub use scapbridge_extcap::{host, invocation, protocol};
pub use scapbridge_replay as replay;
pub use scapbridge_ssh as ssh;

#[cfg(target_os = "linux")]
pub use scapbridge_agent::syscalls;
pub use scapbridge_engine::capture::check_filter;
pub use scapbridge_engine::{capture, control, fsio, trigger};
pub use scapbridge_filter as filter;
pub use scapbridge_filter::clock;
pub use scapbridge_rules as rules;

/// Registers what this crate's sources add to the filter language (the
/// CloudTrail fields and the `aws_cloudtrail` rule source). Idempotent;
/// call before compiling filters or loading rules.
pub fn init() {
    cloudtrail::register_fields();
}

use capture::{CaptureError, Source};
use invocation::{Expected, Invocation, UsageError};
use protocol::InterfaceSpec;
use scapbridge_engine::{SourceFault, SshConfigFault};

/// Builds the source of a checked capture call, validating its option
/// values (file readable, speed well-formed). Opens no output.
pub fn open_source(
    spec: &InterfaceSpec,
    inv: &Invocation,
) -> Result<Box<dyn Source>, CaptureError> {
    init();
    match spec.name {
        "scapbridge-replay" => {
            let file = inv.path(spec, "file").unwrap_or_default();
            let speed =
                replay::Speed::parse(&inv.option(spec, "speed").unwrap_or_else(|| "1".into()))?;
            let looping = inv.option(spec, "loop").is_some_and(|v| v == "true");
            Ok(Box::new(replay::Replay::open(&file, speed, looping)?))
        }
        #[cfg(target_os = "linux")]
        "scapbridge-syscalls" => {
            let opt = |n: &str| inv.option(spec, n);
            Ok(Box::new(
                syscalls::SyscallSource::open(
                    opt("snaplen").as_deref(),
                    opt("buffer-size").as_deref(),
                    opt("syscalls").as_deref(),
                    opt("pid").as_deref(),
                    opt("command").as_deref(),
                    &inv.command,
                    inv.output.as_deref() == Some("-"),
                )?
                .container_socket(opt("container-socket").as_deref())
                .container_scope(opt("container").as_deref(), opt("pod").as_deref())?,
            ))
        }
        "scapbridge-ssh" => ssh_source(spec, inv),
        "scapbridge-cloudtrail" => cloudtrail_source(spec, inv),
        other => Err(invocation::unknown_interface(other).into()),
    }
}

/// Builds the remote command from sshdig's options and connects.
fn ssh_source(spec: &InterfaceSpec, inv: &Invocation) -> Result<Box<dyn Source>, CaptureError> {
    use ssh::command::{self, RemoteCapture, RemoteProgram};
    let opt = |n: &str| inv.option(spec, n).filter(|v| !v.is_empty());
    let bad = |option: &str, value: &str, expected: &'static str| UsageError::BadValue {
        option: format!("--{option}"),
        value: value.to_string(),
        expected: Expected::Form(expected),
    };
    let host = opt("remote-host").ok_or_else(|| UsageError::Required {
        option: "remote-host".into(),
    })?;
    // The port is checked even when ~/.ssh/config will supply another.
    let port_text = opt("remote-port").unwrap_or_else(|| "22".into());
    let port = port_text
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| bad("remote-port", &port_text, "a port from 1 to 65535"))?;
    let number = |n: &str| -> Result<u64, UsageError> {
        let v = opt(n).unwrap_or_else(|| "0".into());
        v.parse().map_err(|_| bad(n, &v, "a number"))
    };
    let priv_text = opt("remote-priv").unwrap_or_default();
    let priv_prefix = command::priv_prefix(&priv_text)
        .ok_or_else(|| bad("remote-priv", &priv_text, "none, sudo or doas -n"))?;
    let program = match opt("remote-capture-command-select").as_deref() {
        None | Some("sysdig") => RemoteProgram::Sysdig,
        Some("scapbridge") => RemoteProgram::Agent,
        Some("other") => match opt("remote-capture-command") {
            Some(command) => RemoteProgram::Other { command },
            None => RemoteProgram::Sysdig,
        },
        Some(v) => {
            return Err(bad(
                "remote-capture-command-select",
                v,
                "sysdig, scapbridge or other",
            )
            .into())
        }
    };
    let (agent_args, upload) = if program == RemoteProgram::Agent {
        let (mut args, upload) = rules_for_agent(spec, inv)?;
        // The agent writes the layout asked for here (its window files too).
        if let Some(p) = inv
            .options
            .get("profile")
            .filter(|p| *p == "compat" || *p == "stratoshark")
        {
            args.extend(["--profile".to_string(), p.clone()]);
        }
        (args, upload)
    } else {
        (Vec::new(), None)
    };
    let capture = RemoteCapture {
        priv_prefix,
        priv_user: opt("remote-priv-user"),
        count: number("remote-count")?,
        snaplen: number("remote-io-snaplen")?,
        modern_bpf: opt("remote-modern-bpf").as_deref() == Some("true"),
        filter: inv.filter.clone(),
        agent_args,
    };
    let policy = match opt("host-key-policy").as_deref() {
        None | Some("strict") => ssh::HostKeyPolicy::Strict,
        Some("accept-new") => ssh::HostKeyPolicy::AcceptNew,
        Some(v) => return Err(bad("host-key-policy", v, "strict or accept-new").into()),
    };
    let explicit_port = explicit(spec, inv, "remote-port").map(|_| port);
    let target = ssh_target(SshOptions {
        alias: host,
        port: explicit_port,
        user: opt("remote-username"),
        password: opt("remote-password"),
        key: opt("sshkey").map(Into::into),
        passphrase: opt("sshkey-passphrase"),
        known_hosts: opt("known-hosts").map(Into::into),
        policy,
        proxy_command: opt("proxycommand"),
        sha1: opt("ssh-sha1").as_deref() == Some("true"),
    })?;
    let cmd = command::build(&program, &capture);
    Ok(Box::new(ssh::SshSource::open(target, cmd, upload)?))
}

/// With `scapbridge-agent` on the host, the rules options go there: the
/// rules files are read here (the capture's set-up has already compiled
/// them, so a mistake is reported before connecting, with local file
/// names) and sent over the channel; trigger
/// mode cuts the windows on the host, so only windows cross the link.
/// Returns the agent's arguments and the frame for its stdin.
fn rules_for_agent(
    spec: &InterfaceSpec,
    inv: &Invocation,
) -> Result<(Vec<String>, Option<Vec<u8>>), CaptureError> {
    if let Some(c) = inv.option(spec, "config").filter(|c| !c.is_empty()) {
        // Its rules: section, priority and output keys would be lost on
        // the way: refused rather than half applied.
        return Err(UsageError::BadValue {
            option: "--config".into(),
            value: c,
            expected: Expected::Form("no falco.yaml with scapbridge-agent yet (it is not passed on): --rules with --disable-rules/--disable-tags/--run-tags are"),
        }
        .into());
    }
    let paths: Vec<std::path::PathBuf> = inv.rules_paths(spec);
    if paths.is_empty() {
        return Ok((Vec::new(), None));
    }
    let mut files = Vec::new();
    for f in rules::RuleSet::files(&paths) {
        let text = std::fs::read_to_string(&f).map_err(|source| CaptureError::Open {
            path: f.clone(),
            source,
        })?;
        files.push((f.display().to_string(), text));
    }
    let mut args = vec!["--rules-stdin".to_string()];
    let format = inv
        .option(spec, "alerts-format")
        .unwrap_or_else(|| "text".into());
    args.extend(["--alerts-format".to_string(), format]);
    // The selection as the agent takes it: one flag a value.
    for name in ["disable-rules", "disable-tags", "run-tags"] {
        let all = inv.option(spec, name).unwrap_or_default();
        for v in all.lines().filter(|v| !v.trim().is_empty()) {
            args.extend([format!("--{name}"), v.to_string()]);
        }
    }
    if inv.option(spec, "trigger").as_deref() == Some("true") {
        args.push("--trigger".into());
        for name in ["pre", "post", "max-buffer", "trigger-mode"] {
            if let Some(v) = inv.option(spec, name).filter(|v| !v.is_empty()) {
                args.extend([format!("--{name}"), v]);
            }
        }
    }
    Ok((args, Some(ssh::upload::encode(&files))))
}

/// An option the user gave with a value other than its default. Wireshark
/// passes every option back with its stored value, defaults included, so a
/// default cannot be told from a choice; ~/.ssh/config then decides, as it
/// does for OpenSSH when no option is given.
fn explicit(spec: &InterfaceSpec, inv: &Invocation, name: &str) -> Option<String> {
    let v = inv.options.get(name).filter(|v| !v.is_empty())?;
    let default = spec.arg(name).and_then(|a| a.default);
    (default != Some(v.as_str())).then(|| v.clone())
}

/// What the command line says about the SSH connection.
struct SshOptions {
    alias: String,
    port: Option<u16>,
    user: Option<String>,
    password: Option<String>,
    key: Option<std::path::PathBuf>,
    passphrase: Option<String>,
    known_hosts: Option<std::path::PathBuf>,
    policy: ssh::HostKeyPolicy,
    proxy_command: Option<String>,
    sha1: bool,
}

/// The connection target: the options given, then ~/.ssh/config for the
/// host as given (HostName, Port, User, IdentityFile, ProxyCommand,
/// ProxyJump, UserKnownHostsFile), then OpenSSH's defaults (port 22, the
/// local user, the default keys, ~/.ssh/known_hosts, SSH_AUTH_SOCK).
fn ssh_target(o: SshOptions) -> Result<ssh::Target, CaptureError> {
    ssh_target_at(o, 0)
}

fn ssh_target_at(o: SshOptions, depth: usize) -> Result<ssh::Target, CaptureError> {
    use ssh::config;
    // Names from the command line (and ProxyJump hops) are checked before
    // ~/.ssh/config can feed them to a ProxyCommand's shell.
    if let Some(why) = config::check_host_name(&o.alias) {
        return Err(UsageError::BadValue {
            option: "--remote-host".into(),
            value: o.alias.escape_debug().to_string(),
            expected: Expected::HostName { rule: why },
        }
        .into());
    }
    if let Some(why) = o.user.as_deref().and_then(config::check_user_name) {
        return Err(UsageError::BadValue {
            option: "--remote-username".into(),
            value: o
                .user
                .as_deref()
                .unwrap_or_default()
                .escape_debug()
                .to_string(),
            expected: Expected::UserName { rule: why },
        }
        .into());
    }
    let cfg = match config::default_path() {
        Some(p) => config::lookup(&p, &o.alias)
            .map_err(|e| UsageError::Config(SshConfigFault::Lines(SourceFault::new(e))))?,
        None => config::HostConfig::default(),
    };
    let host = cfg.host_name.clone().unwrap_or_else(|| o.alias.clone());
    let port = o.port.or(cfg.port).unwrap_or(22);
    let user = o
        .user
        .or(cfg.user.clone())
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "root".into());
    let tokens = |s: &str| config::expand_tokens(s, &host, port, &user, &o.alias);
    let known_hosts = o
        .known_hosts
        .or_else(|| {
            cfg.known_hosts
                .as_deref()
                .map(|k| config::expand_tilde(&tokens(k)).into())
        })
        .or_else(ssh::known_hosts::default_path)
        .ok_or_else(|| UsageError::Required {
            option: "known-hosts".into(),
        })?;
    let identities: Vec<std::path::PathBuf> = if cfg.identity_files.is_empty() {
        let home = config::home();
        ["id_rsa", "id_ecdsa", "id_ed25519"]
            .iter()
            .filter_map(|n| home.as_ref().map(|h| h.join(".ssh").join(n)))
            .filter(|p| p.is_file())
            .collect()
    } else {
        cfg.identity_files
            .iter()
            .map(|f| config::expand_tilde(&tokens(f)).into())
            .collect()
    };
    let none = |v: &Option<String>| v.clone().filter(|v| !v.eq_ignore_ascii_case("none"));
    let proxy = if let Some(cmd) = o.proxy_command.or_else(|| none(&cfg.proxy_command)) {
        ssh::Proxy::Command {
            line: config::expand_command_tokens(&cmd, &host, port, &user, &o.alias),
        }
    } else if let Some(jump) = none(&cfg.proxy_jump) {
        if depth > 8 {
            return Err(UsageError::Config(SshConfigFault::JumpLoop { alias: o.alias }).into());
        }
        let mut hops = Vec::new();
        for hop in jump.split(',') {
            let (user, alias, port) = jump_hop(hop)?;
            // Each hop is looked up in ~/.ssh/config in turn; the password
            // and the explicit key belong to the final host.
            hops.push(ssh_target_at(
                SshOptions {
                    alias,
                    port,
                    user,
                    password: None,
                    key: None,
                    passphrase: o.passphrase.clone(),
                    known_hosts: Some(known_hosts.clone()),
                    policy: o.policy,
                    proxy_command: None,
                    sha1: o.sha1,
                },
                depth + 1,
            )?);
        }
        ssh::Proxy::Jump(hops)
    } else {
        ssh::Proxy::Direct
    };
    Ok(ssh::Target {
        host,
        port,
        user,
        password: o.password,
        key: o.key,
        passphrase: o.passphrase,
        agent: std::env::var_os("SSH_AUTH_SOCK")
            .filter(|s| !s.is_empty())
            .map(Into::into),
        identities,
        known_hosts,
        policy: o.policy,
        proxy,
        sha1: o.sha1,
    })
}

/// One ProxyJump hop, `[user@]host[:port]` or `[user@][v6-address]:port`,
/// as OpenSSH's -J takes it: (user, host, port).
fn jump_hop(hop: &str) -> Result<(Option<String>, String, Option<u16>), UsageError> {
    let (user, rest) = match hop.rsplit_once('@') {
        Some((u, r)) => (Some(u.to_string()), r),
        None => (None, hop),
    };
    let (host, port_text) = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once("]:") {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (v6.trim_end_matches(']').to_string(), None),
        }
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (rest.to_string(), None),
        }
    };
    let port = match port_text {
        None => None,
        Some(p) => Some(p.parse::<u16>().map_err(|_| {
            UsageError::Config(SshConfigFault::JumpPort {
                hop: hop.to_string(),
                port: p.to_string(),
            })
        })?),
    };
    Ok((user, host, port))
}

/// Reads falcodump's CloudTrail options into a source.
fn cloudtrail_source(
    spec: &InterfaceSpec,
    inv: &Invocation,
) -> Result<Box<dyn Source>, CaptureError> {
    use cloudtrail::source::{CloudTrailOptions, CloudTrailSource};
    use cloudtrail::spec::{parse_accounts, Interval, Location};
    let opt = |n: &str| inv.option(spec, n).filter(|v| !v.is_empty());
    let flag = |n: &str| opt(n).is_some_and(|v| v != "false");
    let text = opt("plugin-source").unwrap_or_default();
    let location = match inv.os_paths.get("plugin-source") {
        // A local path may be any OS string; a URL must be text (bucket and
        // queue names are ASCII).
        Some(path) if !text.starts_with("s3://") && !text.starts_with("sqs://") => {
            Location::Local(path.clone())
        }
        Some(_) => {
            return Err(UsageError::BadValue {
                option: "--plugin-source".into(),
                value: text,
                expected: Expected::Form("an s3:// or sqs:// address in UTF-8"),
            }
            .into())
        }
        None => Location::parse(&text)?,
    };
    let mut o = CloudTrailOptions::default();
    if let Some(c) = opt("cloudtrail-s3downloadconcurrency") {
        o.concurrency = c
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| UsageError::BadValue {
                option: "--cloudtrail-s3downloadconcurrency".into(),
                value: c.clone(),
                expected: Expected::Form("a number of 1 or more"),
            })?;
    }
    if let Some(i) = opt("cloudtrail-s3interval") {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        o.interval = Some(Interval::parse(&i, now)?);
    }
    if let Some(a) = opt("cloudtrail-s3accountlist") {
        o.accounts = parse_accounts(&a)?;
    }
    if let Some(r) = opt("cloudtrail-s3regionlist") {
        o.regions = r
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect();
    }
    o.sqs_delete = flag("cloudtrail-sqsdelete");
    o.sqs_owner = opt("cloudtrail-sqsowneraccount");
    o.follow = flag("follow");
    o.aws = cloudtrail::AwsSettings {
        profile: opt("cloudtrail-aws-profile"),
        region: opt("cloudtrail-aws-region"),
        config_file: opt("cloudtrail-aws-config").map(Into::into),
        credentials_file: opt("cloudtrail-aws-credentials").map(Into::into),
        endpoint: opt("cloudtrail-aws-endpoint"),
    };
    Ok(Box::new(CloudTrailSource::open(location, o)?))
}

/// The event layout an interface option names; `None` for `auto` (the
/// host's own: see [`host::Host::layout`]).
pub fn profile_named(name: &str) -> Option<scapbridge_formats::Profile> {
    scapbridge_formats::Profile::from_name(name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::jump_hop;

    #[test]
    fn proxy_jump_hops() {
        let h = |s: &str| jump_hop(s).unwrap();
        assert_eq!(h("box"), (None, "box".into(), None));
        assert_eq!(
            h("me@box:2222"),
            (Some("me".into()), "box".into(), Some(2222))
        );
        assert_eq!(h("[::1]:2200"), (None, "::1".into(), Some(2200)));
        assert_eq!(
            h("a@b@[fe80::1]"),
            (Some("a@b".into()), "fe80::1".into(), None)
        );
        assert!(jump_hop("box:ssh")
            .unwrap_err()
            .to_string()
            .contains("'ssh' is not a port"));
    }
}
