//! The capture engine: a [`Source`] pushes metadata and events into an
//! [`EventSink`]; the [`Pipeline`] applies limits and counts, and a
//! [`ScapSink`] writes the stream to a FIFO, a file or standard output.
//!
//! The same code runs under the extcap `--capture` call and under
//! `scapbridge capture`; only the output and the progress display differ.
//!
//! Stopping: sources check [`CaptureControl::stop_reason`] between events and
//! at least every 50 ms while they wait, so SIGTERM, SIGINT, a `Q` message, a
//! duration limit or a count limit end the capture promptly, always between
//! two blocks. A reader that goes away (EPIPE) is a normal stop, not an error.

pub use crate::alerts::AlertOutput;
pub use crate::error::{CaptureError, CommandFault, StopReason};
pub use crate::output::Output;
pub use crate::pipeline::{check_filter, CaptureStats, Pipeline, Progress, RuleWatch, Watch};
pub use crate::scap_sink::{ScapSink, ALERT_ASYNC_NAME};
pub use crate::sink::{EventSink, Flow, Metadata};
pub use crate::source::Source;
pub use crate::stop::{stop_flag, CaptureControl, Level, Logger};
pub use crate::text::{group, parse_duration};
