//! `scapbridge-formats`: bytes of Falco/sysdig `.scap` captures.
//!
//! * [`reader::ScapReader`] streams blocks from any `Read` (gzip detected).
//! * [`schema`] describes every event id; [`event::Event`] is a validated view.
//! * [`value`] decodes each parameter to a typed [`value::Value`];
//!   [`render`] prints those exactly as sysdig does, with the thread and fd
//!   tables of [`state::CaptureState`].
//! * [`writer::ScapWriter`] writes scap or pcapng-with-options, checking every
//!   event against a [`profile::Profile`]; [`profile::ProfileAdapter`]
//!   converts layouts between profiles.
//!
//! This crate knows bytes, not policy: it opens no files and picks no defaults
//! for the caller beyond what the formats themselves define.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::panic))]

pub mod block;
mod bytes;
pub mod cgroup;
pub mod cloudtrail;
pub mod error;
pub mod event;
pub mod fault;
pub mod generation;
pub mod json;
pub mod meta;
pub mod profile;
pub mod reader;
pub mod render;
pub mod schema;
pub mod state;
pub mod time;
pub mod value;
pub mod writer;

pub use error::{ReadError, WriteError};
pub use event::{Event, Invalid, OwnedEvent};
pub use fault::{Fault, LengthFault, Misfit};
pub use generation::Generation;
pub use profile::{Profile, ProfileAdapter};
pub use reader::{Item, ReaderOptions, ScapReader};
pub use writer::{Container, PcapngOptions, ScapWriter, WriterOptions};
