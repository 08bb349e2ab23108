//! scapbridge as Wireshark/Stratoshark interfaces: the extcap protocol, the
//! capture engine and its sources. The `scapbridge` binary is a thin edge
//! over this crate and `scapbridge-formats`.
//!
//! * [`invocation`] parses extcap calls and `scapbridge capture` alike.
//! * [`protocol`] prints the query answers from one table of interfaces.
//! * [`control`] frames toolbar messages.
//! * [`capture`] is the engine: sources push into sinks (FIFO, file, stats).
//! * [`replay`] is the `scapbridge-replay` source.
//! * [`cloudtrail`] is the `scapbridge-cloudtrail` source (local files, S3, SQS).
//! * `syscalls` (Linux) is the `scapbridge-syscalls` source, over the eBPF probe.

pub mod capture;
pub mod clock;
pub mod cloudtrail;
pub mod control;
pub mod filter;
pub mod invocation;
pub mod protocol;
pub mod replay;
pub mod rules;
pub mod ssh;
#[cfg(target_os = "linux")]
pub mod syscalls;
pub mod trigger;

use std::path::Path;

use capture::{CaptureError, Source};
use invocation::{Invocation, UsageError};
use protocol::InterfaceSpec;

/// Builds the source of a checked capture call, validating its option
/// values (file readable, speed well-formed). Opens no output.
pub fn open_source(
    spec: &InterfaceSpec,
    inv: &Invocation,
) -> Result<Box<dyn Source>, CaptureError> {
    match spec.name {
        "scapbridge-replay" => {
            let file = inv.option(spec, "file").unwrap_or_default();
            let speed =
                replay::Speed::parse(&inv.option(spec, "speed").unwrap_or_else(|| "1".into()))?;
            let looping = inv.option(spec, "loop").is_some_and(|v| v == "true");
            Ok(Box::new(replay::Replay::open(
                Path::new(&file),
                speed,
                looping,
            )?))
        }
        #[cfg(target_os = "linux")]
        "scapbridge-syscalls" => {
            let opt = |n: &str| inv.option(spec, n);
            Ok(Box::new(syscalls::SyscallSource::open(
                opt("snaplen").as_deref(),
                opt("buffer-size").as_deref(),
                opt("syscalls").as_deref(),
                opt("pid").as_deref(),
                opt("command").as_deref(),
                &inv.command,
                inv.output.as_deref() == Some("-"),
            )?))
        }
        "scapbridge-ssh" => ssh_source(spec, inv),
        "scapbridge-cloudtrail" => cloudtrail_source(spec, inv),
        other => Err(UsageError::UnknownInterface(other.to_string()).into()),
    }
}

/// Builds the remote command from sshdig's options and connects.
fn ssh_source(spec: &InterfaceSpec, inv: &Invocation) -> Result<Box<dyn Source>, CaptureError> {
    use ssh::command::{self, RemoteCapture, RemoteProgram};
    let opt = |n: &str| inv.option(spec, n).filter(|v| !v.is_empty());
    let bad = |option: &str, value: &str, expected: &str| UsageError::BadValue {
        option: format!("--{option}"),
        value: value.to_string(),
        expected: expected.to_string(),
    };
    let host = opt("remote-host").ok_or_else(|| UsageError::Required("remote-host".into()))?;
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
            Some(c) => RemoteProgram::Other(c),
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
    let capture = RemoteCapture {
        priv_prefix,
        priv_user: opt("remote-priv-user"),
        count: number("remote-count")?,
        snaplen: number("remote-io-snaplen")?,
        modern_bpf: opt("remote-modern-bpf").as_deref() == Some("true"),
        filter: inv.filter.clone(),
        agent_args: Vec::new(),
    };
    let policy = match opt("host-key-policy").as_deref() {
        None | Some("strict") => ssh::HostKeyPolicy::Strict,
        Some("accept-new") => ssh::HostKeyPolicy::AcceptNew,
        Some(v) => return Err(bad("host-key-policy", v, "strict or accept-new").into()),
    };
    let known_hosts = opt("known-hosts")
        .map(std::path::PathBuf::from)
        .or_else(ssh::known_hosts::default_path)
        .ok_or_else(|| UsageError::Required("known-hosts".into()))?;
    let user = opt("remote-username")
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "root".into());
    let target = ssh::Target {
        host,
        port,
        user,
        password: opt("remote-password"),
        key: opt("sshkey").map(Into::into),
        passphrase: opt("sshkey-passphrase"),
        known_hosts,
        policy,
    };
    let cmd = command::build(&program, &capture);
    Ok(Box::new(ssh::SshSource::open(target, cmd)?))
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
    let location = Location::parse(&opt("plugin-source").unwrap_or_default())?;
    let mut o = CloudTrailOptions::default();
    if let Some(c) = opt("cloudtrail-s3downloadconcurrency") {
        o.concurrency = c
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| UsageError::BadValue {
                option: "--cloudtrail-s3downloadconcurrency".into(),
                value: c.clone(),
                expected: "a number of 1 or more".into(),
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
    o.aws = scapbridge_aws::AwsSettings {
        profile: opt("cloudtrail-aws-profile"),
        region: opt("cloudtrail-aws-region"),
        config_file: opt("cloudtrail-aws-config").map(Into::into),
        credentials_file: opt("cloudtrail-aws-credentials").map(Into::into),
        endpoint: opt("cloudtrail-aws-endpoint"),
    };
    Ok(Box::new(CloudTrailSource::open(location, o)?))
}

/// Compiles a capture filter (the sysdig/Falco syntax); a blank filter is
/// no filter.
pub fn check_filter(filter: Option<&str>) -> Result<Option<filter::Filter>, CaptureError> {
    match filter.map(str::trim) {
        None | Some("") => Ok(None),
        Some(f) => filter::Filter::new(f)
            .map(Some)
            .map_err(|source| CaptureError::Filter {
                text: f.to_string(),
                source,
            }),
    }
}

/// The schema profile an interface option names.
pub fn profile_named(name: &str) -> scapbridge_formats::Profile {
    match name {
        "compat" => scapbridge_formats::Profile::Compat,
        "modern" => scapbridge_formats::Profile::Modern,
        _ => scapbridge_formats::Profile::Keep,
    }
}
