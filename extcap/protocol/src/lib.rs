//! The Wireshark/Stratoshark extcap protocol, as scapbridge speaks it.
//!
//! * [`protocol`]: the table of interfaces and their options, and the query
//!   answers printed from it (`--extcap-interfaces`, `--extcap-config`, …).
//! * [`invocation`]: the command lines, extcap calls and `scapbridge
//!   capture` alike, parsed by one tolerant parser into an [`invocation::Invocation`].
//! * [`host`]: which event layout the host that started us reads.
//!
//! Nothing here opens a source or a runtime: query calls run at every
//! Wireshark start-up and must answer in milliseconds.

pub mod host;
pub mod invocation;
pub mod protocol;
