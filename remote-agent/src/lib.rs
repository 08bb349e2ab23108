//! The capture agent that runs on every monitored host: the engine over the
//! eBPF probe, and nothing else (no SSH client, no AWS SDK, no extcap).
//!
//! * [`args`]: sysdig's capture flags as sshdig sends them.
//! * `syscalls` (Linux): the `scapbridge-syscalls` source over the probe,
//!   also what the analyst's `scapbridge` runs locally.
//! * `containers` (Linux): container metadata from the runtime's socket
//!   into the live stream.
//! * `scope` (Linux): `--container`/`--pod`, the cgroups the probe keeps.

pub mod args;
pub use args::{parse, AgentArgs, ArgsError, USAGE};
#[cfg(target_os = "linux")]
pub mod containers;
#[cfg(target_os = "linux")]
mod held;
#[cfg(target_os = "linux")]
pub mod scope;
#[cfg(target_os = "linux")]
pub mod syscalls;
