//! Why the bytes of one event or metadata block could not be read. The
//! block's offset lives in the enclosing [`crate::ReadError`]; a fault says
//! what inside the block is wrong, as values (so callers can match on it and
//! the per-byte paths never build text).

use crate::event::Invalid;

/// What is wrong inside one block (see [`crate::ReadError::BadEvent`] and
/// [`crate::ReadError::BadMetadata`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Fault {
    /// A field runs past the end of the block's body (or of an entry).
    #[error("needs {needed} bytes at body offset {at}, only {left} left")]
    Short {
        /// Bytes the field needs.
        needed: usize,
        /// Where in the body (or entry) it starts.
        at: usize,
        /// Bytes left from there.
        left: usize,
    },
    /// An event's own header, lengths or values are inconsistent.
    #[error(transparent)]
    Event(#[from] Invalid),
    /// An event block too short for its cpu id (and flags).
    #[error("block body of {body} bytes has no room for the cpu id")]
    NoCpuId {
        /// The body's length.
        body: usize,
    },
    /// An event block too short for the event header of its layout.
    #[error("event needs a {header}-byte header, block holds {have}")]
    ShortHeader {
        /// The header's length in this layout (22 for v1, 26 after).
        header: usize,
        /// Bytes there.
        have: usize,
    },
    /// A v1 event's `len` does not fit its block.
    #[error("v1 event len {len} outside the {have}-byte block")]
    V1LenOutside {
        /// The header's `len`.
        len: usize,
        /// The bytes the block holds.
        have: usize,
    },
    /// No parameter count makes a v1 event's lengths fill it exactly.
    #[error("cannot infer the parameter count of a v1 event of len {len}")]
    V1ParamCount {
        /// The header's `len`.
        len: usize,
    },
    /// A big-endian event whose `len` and parameter count do not fit.
    #[error("event len {len} with {nparams} parameters does not fit the block")]
    BigEndianMisfit {
        /// The header's `len`.
        len: usize,
        /// The header's parameter count.
        nparams: usize,
    },
    /// A fixed-size metadata body of the wrong size.
    #[error("body is {have} bytes, expected {expected}")]
    BodyLength {
        /// Bytes there.
        have: usize,
        /// Bytes the block type has.
        expected: usize,
    },
    /// A list entry whose own length runs past the block.
    #[error("{entry} entry at body offset {at} has length {len}, past the block")]
    EntryPastBlock {
        /// Which list ("process", "fd", "interface", "user").
        entry: &'static str,
        /// Where the entry starts in the body.
        at: usize,
        /// Its length field.
        len: usize,
    },
    /// A fault inside one list entry.
    #[error("{entry} entry at body offset {at}: {fault}")]
    InEntry {
        /// Which list.
        entry: &'static str,
        /// Where the entry starts in the body.
        at: usize,
        /// What is wrong in it.
        fault: Box<Fault>,
    },
    /// An interface-list entry of a type libscap does not define.
    #[error("unknown interface type {0}")]
    UnknownInterfaceType(u16),
    /// A user-list entry of a type libscap does not define.
    #[error("unknown user-list entry type {0}")]
    UnknownUserEntryType(u8),
}

impl Fault {
    /// This fault, as found inside the `entry` list entry starting at `at`.
    pub(crate) fn in_entry(self, entry: &'static str, at: usize) -> Fault {
        Fault::InEntry {
            entry,
            at,
            fault: Box::new(self),
        }
    }
}

/// What is wrong with a block's total length (see
/// [`crate::ReadError::BadBlockLength`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LengthFault {
    /// Below the 12 bytes of a block's type and two lengths.
    #[error("shorter than the 12-byte minimum")]
    BelowMinimum,
    /// Blocks are padded to 32 bits.
    #[error("not a multiple of 4")]
    NotAligned,
    /// Above [`crate::reader::MAX_BLOCK_LEN`].
    #[error("larger than 64 MiB")]
    TooLarge,
    /// A section header shorter than its fixed fields.
    #[error("a section header needs at least 28 bytes")]
    ShortSectionHeader,
}

/// The rule of a [`crate::Profile`] an event breaks (see
/// [`crate::Profile::check`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Misfit {
    /// More parameters than the newest layout the schema knows.
    #[error("more than the {newest} parameters of the newest known layout")]
    MoreThanNewest {
        /// The newest layout's parameter count.
        newest: usize,
    },
    /// More parameters than libs 0.21 (sysdig 0.29, Wireshark 4.0) accepts.
    #[error("at most {compat} parameters (libs 0.21 layout); libs 0.21 rejects more")]
    MoreThanCompat {
        /// libs 0.21's parameter count.
        compat: u8,
    },
    /// An id libs 0.23 does not have.
    #[error("libs 0.23 has no such event")]
    UnknownToLibs023,
    /// An old layout's id, which libs 0.23 converts rather than reads.
    #[error("the id is an old version; libs 0.23 expects the current id")]
    OldId,
    /// A syscall enter event, which libs 0.23 drops.
    #[error("libs 0.23 drops this enter event (its parameters belong to the exit)")]
    DroppedEnter,
    /// Not libs 0.23's parameter count for the id.
    #[error("exactly {expected} parameters in the libs 0.23 layout")]
    NotLibs023Count {
        /// libs 0.23's parameter count.
        expected: u8,
    },
}
