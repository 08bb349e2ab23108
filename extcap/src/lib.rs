//! scapbridge as Wireshark/Stratoshark interfaces: the extcap protocol, the
//! capture engine and its sources. The `scapbridge` binary is a thin edge
//! over this crate and `scapbridge-formats`.
//!
//! * [`invocation`] parses extcap calls and `scapbridge capture` alike.
//! * [`protocol`] prints the query answers from one table of interfaces.
//! * [`control`] frames toolbar messages.
//! * [`capture`] is the engine: sources push into sinks (FIFO, file, stats).
//! * [`replay`] is the `scapbridge-replay` source.
//! * `syscalls` (Linux) is the `scapbridge-syscalls` source, over the eBPF probe.

pub mod capture;
pub mod clock;
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
        other => Err(UsageError::UnknownInterface(other.to_string()).into()),
    }
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
