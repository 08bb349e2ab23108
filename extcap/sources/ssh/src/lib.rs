//! `scapbridge-ssh`: system calls of a remote host, captured there by
//! sysdig or `scapbridge-agent` and streamed back over SSH (russh on our
//! side, plain OpenSSH on the host), with sshdig's options and defaults.

pub mod command;
pub mod config;
pub mod failure;
pub use failure::RemoteFailure;
pub mod known_hosts;
pub mod session;
pub use session::{AuthAttempt, ConnectFault, HostKeyPolicy, KeyFault, Proxy, SshError, Target};
pub mod source;
pub use scapbridge_engine::upload;
pub use source::SshSource;
