//! A producer of events.

use crate::alerts::AlertOutput;
use crate::error::{CaptureError, StopReason};
use crate::sink::EventSink;
use crate::stop::CaptureControl;

/// A producer of events.
pub trait Source {
    /// Streams into `sink` until the input ends or `ctl` says stop.
    /// Returns why it stopped; the sink is left on a whole block.
    fn run(
        &mut self,
        sink: &mut dyn EventSink,
        ctl: &CaptureControl,
    ) -> Result<StopReason, CaptureError>;
    /// One line for the status bar and the summary.
    fn describe(&self) -> String;
    /// Extra summary lines (each ending in a newline) once `run` returned,
    /// such as the kernel's drop counters.
    fn report(&self) -> Option<String> {
        None
    }
    /// Whether the rules are evaluated at the source (the agent of
    /// `scapbridge-ssh` in trigger mode) rather than in this pipeline.
    fn evaluates_rules(&self) -> bool {
        false
    }
    /// Where alerts raised at the source go; ignored by sources that raise
    /// none.
    fn set_alert_output(&mut self, _out: AlertOutput) {}
    /// Alerts raised at the source so far.
    fn alerts(&self) -> u64 {
        0
    }
    /// How the traced command ended, for a source that ran one (`capture
    /// -- CMD`): the capture then exits with its status. `None` otherwise,
    /// or while it runs.
    fn command_status(&self) -> Option<std::process::ExitStatus> {
        None
    }
}
