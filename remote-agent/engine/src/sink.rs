//! Where sources push what they capture: metadata, events, flushes.

use scapbridge_formats::meta::{FdInfo, Interface, MachineInfo, ProcessInfo, UserEntry};
use scapbridge_formats::Event;

use crate::error::{CaptureError, StopReason};

/// Metadata blocks a source can emit.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Metadata {
    /// Machine info.
    MachineInfo(MachineInfo),
    /// Interface list.
    Interfaces(Vec<Interface>),
    /// User and group list.
    Users(Vec<UserEntry>),
    /// Processes.
    Processes(Vec<ProcessInfo>),
    /// Fds of one thread.
    Fds {
        /// Thread.
        tid: u64,
        /// Its fds.
        fds: Vec<FdInfo>,
    },
}

impl Metadata {
    /// The metadata an item of a capture carries, if it is metadata (a
    /// copy: the item borrows the reader).
    pub fn from_item(item: scapbridge_formats::Item<'_>) -> Option<Metadata> {
        use scapbridge_formats::Item;
        Some(match item {
            Item::MachineInfo(m) => Metadata::MachineInfo(m.clone()),
            Item::Interfaces(i) => Metadata::Interfaces(i.to_vec()),
            Item::Users(u) => Metadata::Users(u.to_vec()),
            Item::Processes(p) => Metadata::Processes(p.to_vec()),
            Item::Fds { tid, fds } => Metadata::Fds {
                tid,
                fds: fds.to_vec(),
            },
            _ => return None,
        })
    }
}

/// Whether a source should go on after handing over an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// Stop now, for this reason.
    Stop(StopReason),
}

/// Where sources push what they capture.
pub trait EventSink {
    /// A new section starts (readers reset their tables).
    fn section(&mut self) -> Result<(), CaptureError>;
    /// A metadata block.
    fn metadata(&mut self, m: Metadata) -> Result<(), CaptureError>;
    /// An event.
    fn event(&mut self, ev: &Event<'_>) -> Result<Flow, CaptureError>;
    /// A batch boundary: everything so far becomes visible to the reader.
    fn flush(&mut self) -> Result<Flow, CaptureError>;
}
