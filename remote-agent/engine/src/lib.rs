//! The capture engine: a [`capture::Source`] pushes events through the
//! [`capture::Pipeline`]'s stages (count, filter, rules, trigger windows)
//! into a [`capture::ScapSink`] over a file, a FIFO or standard output.
//!
//! * [`capture`]: the Source and EventSink traits, the pipeline, outputs,
//!   stop control and the capture error.
//! * [`trigger`]: capture only when rules fire, with windows before and
//!   after each alert.
//! * [`control`]: the extcap toolbar (pause, restart, log) a capture obeys.
//! * [`fsio`]: files created new (never through a symlink) and FIFO waits
//!   that obey a stop request.
//! * [`usage`]: a wrong option value, reported before anything runs.
//! * [`upload`]: the frame of rules files `scapbridge-ssh` sends the agent
//!   on its standard input.
//!
//! No source lives here: the syscalls source is the agent's, the others the
//! extcap crate's.

mod alerts;
pub mod capture;
pub mod control;
mod error;
pub mod fsio;
mod output;
mod pipeline;
mod scap_sink;
mod sink;
mod source;
mod stop;
mod text;
pub mod trigger;
pub mod upload;
pub mod usage;
mod version;

/// Falco's rule selection (`-D`/`-T`/`-t`), for the interfaces' options.
pub use scapbridge_rules::{Selection, SelectionError};
pub use usage::{utf8_args, Expected, SourceFault, SshConfigFault, UsageError};
pub use version::version_text;
