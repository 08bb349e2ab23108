//! Typed errors of the format layer. Every variant that comes from input bytes
//! carries the byte offset (in the decompressed stream) of the block at fault.

use std::io;

use crate::fault::Misfit;
use crate::fault::{Fault, LengthFault};

/// An error while reading a capture.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The input holds no bytes at all.
    #[error("empty input at byte offset 0: not a capture file (0 bytes)")]
    Empty,
    /// An I/O error from the underlying reader.
    #[error("read error at byte offset {offset}: {source}")]
    Io {
        /// Offset reached when the error happened.
        offset: u64,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The gzip layer is corrupt.
    #[error("corrupt gzip data at decompressed byte offset {offset}: {source}")]
    Gzip {
        /// Decompressed offset reached when the error happened.
        offset: u64,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The input ended inside a block.
    #[error("truncated capture: block at byte offset {offset} needs {needed} bytes, only {available} present")]
    Truncated {
        /// Start of the incomplete block.
        offset: u64,
        /// Bytes the block header announced (or the 8-byte header itself).
        needed: u64,
        /// Bytes that were there.
        available: u64,
    },
    /// The first block is not a section header.
    #[error("not a scap/pcapng capture: first block at byte offset {offset} has type {block_type:#010x}, expected a section header (0x0a0d0d0a)")]
    NotACapture {
        /// Always 0.
        offset: u64,
        /// The type found.
        block_type: u32,
    },
    /// The section header's byte-order magic is wrong.
    #[error(
        "invalid byte-order magic {magic:#010x} in the section header at byte offset {offset}"
    )]
    BadMagic {
        /// Offset of the SHB.
        offset: u64,
        /// The magic found.
        magic: u32,
    },
    /// The section header's major version is not 1.
    #[error(
        "unsupported section version {major}.{minor} at byte offset {offset} (only 1.x is defined)"
    )]
    UnsupportedVersion {
        /// Offset of the SHB.
        offset: u64,
        /// Major version.
        major: u16,
        /// Minor version.
        minor: u16,
    },
    /// A block's total length is impossible.
    #[error("bad block length {length} for block type {block_type:#x} at byte offset {offset}: {reason}")]
    BadBlockLength {
        /// Offset of the block.
        offset: u64,
        /// Block type.
        block_type: u32,
        /// Length found.
        length: u32,
        /// What is wrong with it.
        reason: LengthFault,
    },
    /// The trailing length differs from the leading one.
    #[error("block trailer mismatch at byte offset {offset}: header says {header} bytes, trailer says {trailer}")]
    TrailerMismatch {
        /// Offset of the block.
        offset: u64,
        /// Leading length.
        header: u32,
        /// Trailing length.
        trailer: u32,
    },
    /// An event block is malformed.
    #[error("malformed event (type {event_type}) in block at byte offset {offset}: {reason}")]
    BadEvent {
        /// Offset of the block.
        offset: u64,
        /// Event type from the header (0 if unreadable).
        event_type: u16,
        /// What is wrong.
        reason: Fault,
    },
    /// An event id that the schema does not know.
    #[error("unknown event type {event_type} in block at byte offset {offset} (schema knows ids below {max})")]
    UnknownEventType {
        /// Offset of the block.
        offset: u64,
        /// The id.
        event_type: u16,
        /// One past the highest known id.
        max: u16,
    },
    /// A metadata block (machine info, process/fd/interface/user list) is malformed.
    #[error("malformed {what} block at byte offset {offset}: {reason}")]
    BadMetadata {
        /// Offset of the block.
        offset: u64,
        /// Which kind of block.
        what: &'static str,
        /// What is wrong.
        reason: Fault,
    },
}

impl ReadError {
    /// The byte offset the error refers to, if it has one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            ReadError::Empty => Some(0),
            ReadError::Io { offset, .. }
            | ReadError::Gzip { offset, .. }
            | ReadError::Truncated { offset, .. }
            | ReadError::NotACapture { offset, .. }
            | ReadError::BadMagic { offset, .. }
            | ReadError::UnsupportedVersion { offset, .. }
            | ReadError::BadBlockLength { offset, .. }
            | ReadError::TrailerMismatch { offset, .. }
            | ReadError::BadEvent { offset, .. }
            | ReadError::UnknownEventType { offset, .. }
            | ReadError::BadMetadata { offset, .. } => Some(*offset),
        }
    }
}

/// An error while writing a capture.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The sink failed (full disk, closed pipe, ...).
    #[error("write failed after {written} bytes: {source}")]
    Io {
        /// Bytes successfully handed to the sink before the failure.
        written: u64,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The event does not fit the selected schema profile.
    #[error("event {name} (type {event_type}) with {nparams} parameters does not fit the {profile} profile: {reason}")]
    ProfileMismatch {
        /// Event type.
        event_type: u16,
        /// Display name.
        name: &'static str,
        /// Parameter count of the event.
        nparams: usize,
        /// Profile name.
        profile: &'static str,
        /// The profile's rule the event breaks.
        reason: Misfit,
    },
    /// The event is larger than any reader accepts.
    #[error(
        "event type {event_type} is {len} bytes, above the {max}-byte limit of its block type"
    )]
    TooLarge {
        /// Event type.
        event_type: u16,
        /// Event length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// Metadata was written after the first event (libscap would reject the file).
    #[error(
        "{what} written after the first event; libscap readers only accept metadata before events"
    )]
    MetadataAfterEvents {
        /// What was attempted.
        what: &'static str,
    },
    /// Unknown event type.
    #[error("cannot write unknown event type {event_type}")]
    UnknownEventType {
        /// The id.
        event_type: u16,
    },
}
