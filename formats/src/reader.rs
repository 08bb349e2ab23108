//! Streaming scap reader over any [`Read`]: files, pipes, stdin, gzip or not.
//!
//! The reader is a lending iterator: [`ScapReader::next_item`] returns one
//! [`Item`] per block, borrowing the reader's buffer until the next call. It
//! never seeks, so it works on FIFOs, and it holds one block in memory.
//!
//! Unlike libscap it accepts metadata blocks anywhere (as Wireshark does) and
//! both byte orders (big-endian sections are normalised to little-endian
//! events). Event blocks v1 (`0x204`/`0x208`) are normalised to the v2 layout
//! by inferring the parameter count from the schema, as libscap does.
//!
//! Dropping the reader drops the underlying reader; nothing is buffered for
//! writing, so there is nothing to flush or lose.

use std::collections::BTreeMap;
use std::io::{self, BufReader, Read};

use flate2::bufread::MultiGzDecoder;

use crate::block;
use crate::bytes::{le_u16, le_u32, ord_u16, ord_u32, ord_u64, Cursor};
use crate::error::ReadError;
use crate::event::{self, Event, HEADER_LEN};
use crate::fault::{Fault, LengthFault};
use crate::meta::{FdInfo, Interface, MachineInfo, PlVersion, ProcessInfo, UserEntry};
use crate::schema::{self, ParamType, EVENT_MAX};

mod normalize;
use normalize::*;

/// Bytes asked of the source per read.
const READ_CHUNK: usize = 1 << 20;

/// Largest block the reader accepts; anything larger is treated as corrupt
/// rather than allocated.
pub const MAX_BLOCK_LEN: u32 = 64 << 20;

/// A section header block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionHeader {
    /// Byte offset of the block.
    pub offset: u64,
    /// Major version (1).
    pub major: u16,
    /// Minor version (0, 1 or 2).
    pub minor: u16,
    /// Whether the section was written big-endian.
    pub big_endian: bool,
    /// Section length field (`u64::MAX` = unknown).
    pub section_length: u64,
    /// pcapng options (code, value), in file order.
    pub options: Vec<(u16, Vec<u8>)>,
}

/// One block of a capture, borrowed from the reader until its next call
/// (clone what must outlive it).
///
/// `Copy`, with nothing to drop: a value with drop glue stays in memory,
/// and moving one per event through the caller's loop cost as much as
/// reading the event.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Item<'a> {
    /// A new section starts; readers reset their thread and fd tables.
    Section(&'a SectionHeader),
    /// Machine info.
    MachineInfo(&'a MachineInfo),
    /// One process-list block's threads.
    Processes(&'a [ProcessInfo]),
    /// One fd-list block: the fds of thread `tid`.
    Fds {
        /// Owner thread.
        tid: u64,
        /// Its fds.
        fds: &'a [FdInfo],
    },
    /// Interface list.
    Interfaces(&'a [Interface]),
    /// User and group list.
    Users(&'a [UserEntry]),
    /// An event.
    Event(Event<'a>),
    /// A block of a type this reader does not interpret (pcapng packets,
    /// custom blocks); skipped and counted.
    Skipped {
        /// Block type.
        block_type: u32,
        /// Byte offset.
        offset: u64,
        /// Total length.
        length: u32,
    },
}

/// Reader options.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct ReaderOptions {
    /// Skip events whose id is past the schema (as libscap does) instead of
    /// failing with [`ReadError::UnknownEventType`]. Skipped events are counted
    /// in [`ReaderStats::unknown_events`].
    pub skip_unknown_events: bool,
}

impl ReaderOptions {
    /// Options with `skip_unknown_events` set.
    pub fn skipping_unknown_events() -> Self {
        ReaderOptions {
            skip_unknown_events: true,
        }
    }
}

/// Counters kept while reading.
#[derive(Debug, Clone, Default)]
pub struct ReaderStats {
    /// Blocks seen, by type.
    pub blocks_by_type: BTreeMap<u32, u64>,
    /// Blocks skipped because their type is not interpreted.
    pub skipped_blocks: u64,
    /// Events skipped because their id is unknown, by id.
    pub unknown_events: BTreeMap<u16, u64>,
    /// Sections seen.
    pub sections: u64,
    /// Events returned.
    pub events: u64,
    /// Decompressed bytes consumed.
    pub bytes: u64,
}

enum Source<R: Read> {
    Plain(BufReader<Peeked<R>>),
    Gzip(Box<MultiGzDecoder<BufReader<Peeked<R>>>>),
}

/// The source with its first two bytes read ahead, for the gzip magic: a
/// pipe may deliver them in two reads, and deciding on the first byte alone
/// took a gzip stream for a plain one.
struct Peeked<R> {
    head: [u8; 2],
    /// Bytes of `head` read from the source (fewer at its end).
    len: usize,
    /// Bytes of `head` already handed out.
    at: usize,
    inner: R,
}

impl<R: Read> Peeked<R> {
    fn new(mut inner: R) -> io::Result<Self> {
        let mut head = [0u8; 2];
        let mut len = 0;
        while len < 2 {
            match inner.read(&mut head[len..]) {
                Ok(0) => break,
                Ok(k) => len += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Peeked {
            head,
            len,
            at: 0,
            inner,
        })
    }
}

impl<R: Read> Read for Peeked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at < self.len {
            let n = (self.len - self.at).min(buf.len());
            buf[..n].copy_from_slice(&self.head[self.at..self.at + n]);
            self.at += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

/// Streaming reader of scap/pcapng captures.
pub struct ScapReader<R: Read> {
    src: Source<R>,
    gzip: bool,
    offset: u64,
    /// Refill buffer: blocks are parsed in place from `buf[pos..end]`, one
    /// copy from the source and no read call per block.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    norm: Vec<u8>,
    /// The metadata block last read, lent out by `next_item`.
    meta: Meta,
    section: Option<SectionHeader>,
    /// The current section is little-endian: its v2 event blocks can take
    /// the fast path of [`ScapReader::next_item`].
    le_section: bool,
    stats: ReaderStats,
    /// Blocks of the four v2 event types (`HOT_BLOCKS`), counted here and
    /// merged into `stats.blocks_by_type` by [`ScapReader::stats`]: a map
    /// update per event showed in profiles.
    hot_blocks: [u64; 4],
    opts: ReaderOptions,
}

/// The event block types counted in `ScapReader::hot_blocks`, by index.
const HOT_BLOCKS: [u32; 4] = [
    block::EV_V2,
    block::EVF_V2,
    block::EV_V2_LARGE,
    block::EVF_V2_LARGE,
];

/// Where an event is, as plain positions (no borrow of the buffer): found
/// by the fast path or the general one, turned into an [`Event`] by the
/// inlined `next_item`.
#[derive(Clone, Copy)]
struct FastEvent {
    start: usize,
    end: usize,
    /// The event is `ScapReader::norm` (converted from v1 or big-endian).
    in_norm: bool,
    cpu: u16,
    flags: Option<u32>,
    block_type: u32,
    offset: u64,
    large: bool,
    nparams: u8,
}

impl<R: Read> std::fmt::Debug for ScapReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScapReader")
            .field("offset", &self.offset)
            .field("gzip", &self.gzip)
            .finish()
    }
}

impl<R: Read> ScapReader<R> {
    /// Wraps `inner`, detecting gzip by its magic (`1f 8b`).
    pub fn new(inner: R) -> Result<Self, ReadError> {
        Self::with_options(inner, ReaderOptions::default())
    }

    /// Like [`ScapReader::new`] with options.
    pub fn with_options(inner: R, opts: ReaderOptions) -> Result<Self, ReadError> {
        let peeked = Peeked::new(inner).map_err(|source| ReadError::Io { offset: 0, source })?;
        if peeked.len == 0 {
            return Err(ReadError::Empty);
        }
        let gzip = peeked.head == [0x1f, 0x8b];
        let br = BufReader::with_capacity(256 * 1024, peeked);
        let src = if gzip {
            Source::Gzip(Box::new(MultiGzDecoder::new(br)))
        } else {
            Source::Plain(br)
        };
        Ok(ScapReader {
            src,
            gzip,
            offset: 0,
            buf: vec![0; READ_CHUNK],
            pos: 0,
            end: 0,
            norm: Vec::new(),
            // A placeholder: `dispatch` sets `meta` before every Step::Meta.
            meta: Meta::Skipped {
                block_type: 0,
                offset: 0,
                length: 0,
            },
            section: None,
            le_section: false,
            stats: ReaderStats::default(),
            hot_blocks: [0; 4],
            opts,
        })
    }

    /// Whether the input is gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// Decompressed bytes consumed so far (= offset of the next block).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Counters so far (a copy: the reader keeps the busiest counters
    /// apart and merges them here).
    pub fn stats(&self) -> ReaderStats {
        let mut st = self.stats.clone();
        for (bt, n) in HOT_BLOCKS.iter().zip(self.hot_blocks) {
            if n > 0 {
                *st.blocks_by_type.entry(*bt).or_insert(0) += n;
            }
        }
        st
    }

    /// The current section header.
    pub fn section(&self) -> Option<&SectionHeader> {
        self.section.as_ref()
    }

    fn count_block(&mut self, block_type: u32) {
        match HOT_BLOCKS.iter().position(|&b| b == block_type) {
            Some(i) => self.hot_blocks[i] += 1,
            None => *self.stats.blocks_by_type.entry(block_type).or_insert(0) += 1,
        }
    }

    /// The common case, decided without the general block machinery: a
    /// whole little-endian v2 event block of a known event type, already in
    /// the buffer, that validates. Anything else (another block, a short
    /// buffer, an unknown type, any error) returns `None` and goes through
    /// [`ScapReader::next_block`], which reads, checks and reports it; this
    /// path only skips work for blocks that path would accept as they are.
    #[inline(always)]
    fn fast_event(&mut self) -> Option<FastEvent> {
        use block::{EVF_V2, EVF_V2_LARGE, EV_V2, EV_V2_LARGE};
        if !self.le_section {
            return None;
        }
        let b = &self.buf[self.pos..self.end];
        if b.len() < 8 {
            return None;
        }
        let block_type = le_u32(b, 0);
        let (idx, pre) = match block_type {
            EV_V2 => (0, 2),
            EVF_V2 => (1, 6),
            EV_V2_LARGE => (2, 2),
            EVF_V2_LARGE => (3, 6),
            _ => return None,
        };
        let length = le_u32(b, 4) as usize;
        if length < 12 + pre + HEADER_LEN || !length.is_multiple_of(4) || length > b.len() {
            return None;
        }
        if le_u32(b, length - 4) as usize != length {
            return None;
        }
        let evb = &b[8 + pre..length - 4];
        let info = schema::event_info(le_u16(evb, 20))?;
        let large = info.is_large_payload() || idx >= 2;
        let nparams = event::check(evb, large).ok()?;
        let cpu = le_u16(b, 8);
        let flags = (pre == 6).then(|| le_u32(b, 10));
        let start = self.pos + 8 + pre;
        let fast = FastEvent {
            start,
            end: start + evb.len(),
            in_norm: false,
            cpu,
            flags,
            block_type,
            offset: self.offset,
            large,
            nparams,
        };
        self.pos += length;
        self.offset += length as u64;
        self.stats.bytes = self.offset;
        self.stats.events += 1;
        self.hot_blocks[idx] += 1;
        Some(fast)
    }

    /// Makes at least `n` bytes available at `buf[pos..]` unless the input
    /// ends first; returns how many are available.
    fn ensure(&mut self, n: usize) -> Result<usize, ReadError> {
        if self.end - self.pos >= n {
            return Ok(self.end - self.pos);
        }
        // Move the partial block to the front, grow for blocks larger than
        // the buffer, then read as much as fits.
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.buf.len() < n {
            self.buf.resize(n.max(READ_CHUNK), 0);
        }
        while self.end < n {
            let dst = &mut self.buf[self.end..];
            let r = match &mut self.src {
                Source::Plain(r) => r.read(dst),
                Source::Gzip(r) => r.read(dst),
            };
            match r {
                Ok(0) => break,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    let offset = self.offset + self.end as u64;
                    return Err(if self.gzip {
                        ReadError::Gzip { offset, source }
                    } else {
                        ReadError::Io { offset, source }
                    });
                }
            }
        }
        Ok(self.end)
    }

    /// Reads the next block. `Ok(None)` at a clean end of input (after a whole
    /// block). A capture that ends inside a block gives [`ReadError::Truncated`].
    ///
    /// The common case (a whole little-endian v2 event block already in the
    /// buffer) is inlined into the caller, and the general path hands back
    /// plain positions rather than an `Item`, so the event is built from
    /// registers on both paths: a result merged from two paths stays in
    /// memory, and reloading it with wider loads than it was stored with
    /// stalled on every event (a quarter of a convert loop's time).
    #[inline(always)]
    pub fn next_item(&mut self) -> Result<Option<Item<'_>>, ReadError> {
        let f = match self.fast_event() {
            Some(f) => f,
            None => match self.next_general()? {
                Next::Event(f) => f,
                Next::Meta => return Ok(Some(self.meta_item())),
                Next::End => return Ok(None),
            },
        };
        let raw = if f.in_norm {
            &self.norm[..]
        } else {
            &self.buf[f.start..f.end]
        };
        let ev = Event::from_validated(raw, f.large, f.nparams).with_block(
            f.cpu,
            f.flags,
            f.block_type,
            f.offset,
        );
        Ok(Some(Item::Event(ev)))
    }

    /// The metadata block just read, as an item.
    fn meta_item(&self) -> Item<'_> {
        match &self.meta {
            Meta::Section(s) => Item::Section(s),
            Meta::MachineInfo(m) => Item::MachineInfo(m),
            Meta::Processes(p) => Item::Processes(p),
            Meta::Fds { tid, fds } => Item::Fds { tid: *tid, fds },
            Meta::Interfaces(i) => Item::Interfaces(i),
            Meta::Users(u) => Item::Users(u),
            Meta::Skipped {
                block_type,
                offset,
                length,
            } => Item::Skipped {
                block_type: *block_type,
                offset: *offset,
                length: *length,
            },
        }
    }

    /// [`ScapReader::next_item`] for any block, out of line.
    #[inline(never)]
    fn next_general(&mut self) -> Result<Next, ReadError> {
        loop {
            if let Some(f) = self.fast_event() {
                return Ok(Next::Event(f));
            }
            match self.next_block()? {
                None => return Ok(Next::End),
                Some(Step::Event(f)) => return Ok(Next::Event(f)),
                Some(Step::Meta) => return Ok(Next::Meta),
                Some(Step::Skip) => continue,
            }
        }
    }

    fn next_block(&mut self) -> Result<Option<Step>, ReadError> {
        let offset = self.offset;
        let got = self.ensure(8)?;
        if got == 0 {
            if offset == 0 {
                return Err(ReadError::Empty);
            }
            return Ok(None);
        }
        if got < 8 {
            return Err(ReadError::Truncated {
                offset,
                needed: 8,
                available: got as u64,
            });
        }
        let raw_type = le_u32(&self.buf, self.pos);
        let (block_type, be) = if raw_type == block::SHB {
            let g = self.ensure(12)?;
            if g < 12 {
                return Err(ReadError::Truncated {
                    offset,
                    needed: 12,
                    available: g as u64,
                });
            }
            let magic = le_u32(&self.buf, self.pos + 8);
            let be = if magic == block::BYTE_ORDER_MAGIC {
                false
            } else if magic.swap_bytes() == block::BYTE_ORDER_MAGIC {
                true
            } else {
                return Err(ReadError::BadMagic { offset, magic });
            };
            (block::SHB, be)
        } else {
            let Some(sec) = &self.section else {
                return Err(ReadError::NotACapture {
                    offset,
                    block_type: raw_type,
                });
            };
            let be = sec.big_endian;
            (if be { raw_type.swap_bytes() } else { raw_type }, be)
        };
        let rd32 = |b: &[u8], at: usize| ord_u32(b, at, be);
        let length = rd32(&self.buf, self.pos + 4);
        let bad = |reason| ReadError::BadBlockLength {
            offset,
            block_type,
            length,
            reason,
        };
        if length < 12 {
            return Err(bad(LengthFault::BelowMinimum));
        }
        if length % 4 != 0 {
            return Err(bad(LengthFault::NotAligned));
        }
        if length > MAX_BLOCK_LEN {
            return Err(bad(LengthFault::TooLarge));
        }
        if block_type == block::SHB && length < 28 {
            return Err(bad(LengthFault::ShortSectionHeader));
        }
        let total = length as usize;
        let g = self.ensure(total)?;
        if g < total {
            return Err(ReadError::Truncated {
                offset,
                needed: u64::from(length),
                available: g as u64,
            });
        }
        let base = self.pos;
        let trailer = rd32(&self.buf, base + total - 4);
        if trailer != length {
            return Err(ReadError::TrailerMismatch {
                offset,
                header: length,
                trailer,
            });
        }
        // The block stays in place until the next call (events borrow it).
        self.pos += total;
        self.offset += u64::from(length);
        self.stats.bytes = self.offset;
        self.count_block(block_type);
        self.dispatch(BlockAt {
            bt: block_type,
            be,
            offset,
            base,
            length,
        })
    }

    fn dispatch(&mut self, at: BlockAt) -> Result<Option<Step>, ReadError> {
        use block::*;
        let BlockAt {
            bt,
            be,
            offset,
            length,
            ..
        } = at;
        let meta_err = |what: &'static str| {
            move |reason: Fault| ReadError::BadMetadata {
                offset,
                what,
                reason,
            }
        };
        let body = &self.buf[at.body()];
        let mut c = Cursor::new(body, be);
        let item = match bt {
            SHB => {
                // The body starts with the byte-order magic, already checked.
                let mut c = Cursor::new(&body[4..], be);
                let major = c.u16().map_err(meta_err("section header"))?;
                let minor = c.u16().map_err(meta_err("section header"))?;
                if major != 1 {
                    return Err(ReadError::UnsupportedVersion {
                        offset,
                        major,
                        minor,
                    });
                }
                let section_length = c.u64().map_err(meta_err("section header"))?;
                let mut options = Vec::new();
                while c.remaining() >= 4 {
                    let code = c.u16().map_err(meta_err("section header"))?;
                    let len = c.u16().map_err(meta_err("section header"))? as usize;
                    if code == 0 {
                        break;
                    }
                    let v = c
                        .take(len)
                        .map_err(meta_err("section header option"))?
                        .to_vec();
                    let pad = (4 - len % 4) % 4;
                    let _ = c.take(pad.min(c.remaining()));
                    options.push((code, v));
                }
                let sh = SectionHeader {
                    offset,
                    major,
                    minor,
                    big_endian: be,
                    section_length,
                    options,
                };
                self.le_section = !be;
                self.section = Some(sh.clone());
                self.stats.sections += 1;
                Meta::Section(sh)
            }
            MI | MI_INT => {
                Meta::MachineInfo(MachineInfo::parse(&mut c).map_err(meta_err("machine info"))?)
            }
            PL_V1 | PL_V1_INT | PL_V2 | PL_V2_INT | PL_V3 | PL_V3_INT | PL_V4 | PL_V5 | PL_V6
            | PL_V7 | PL_V8 | PL_V9 => {
                let v = match bt {
                    PL_V1 | PL_V1_INT => PlVersion::V1,
                    PL_V2 | PL_V2_INT => PlVersion::V2,
                    PL_V3 | PL_V3_INT => PlVersion::V3,
                    PL_V4 => PlVersion::V4,
                    PL_V5 => PlVersion::V5,
                    PL_V6 => PlVersion::V6,
                    PL_V7 => PlVersion::V7,
                    PL_V8 => PlVersion::V8,
                    _ => PlVersion::V9,
                };
                Meta::Processes(
                    ProcessInfo::parse_list(&mut c, v).map_err(meta_err("process list"))?,
                )
            }
            FDL_V1 | FDL_INT | FDL_V2 => {
                let (tid, fds) =
                    FdInfo::parse_list(&mut c, bt == FDL_V2).map_err(meta_err("fd list"))?;
                Meta::Fds { tid, fds }
            }
            IL_V1 | IL_INT | IL_V2 => Meta::Interfaces(
                Interface::parse_list(&mut c, bt == IL_V2).map_err(meta_err("interface list"))?,
            ),
            UL_V1 | UL_INT | UL_V2 => Meta::Users(
                UserEntry::parse_list(&mut c, bt == UL_V2).map_err(meta_err("user list"))?,
            ),
            EV_V2 | EVF_V2 | EV_V2_LARGE | EVF_V2_LARGE | EV_V1 | EV_INT | EVF_V1 => {
                return self.event_block(at);
            }
            _ => {
                self.stats.skipped_blocks += 1;
                Meta::Skipped {
                    block_type: bt,
                    offset,
                    length,
                }
            }
        };
        self.meta = item;
        Ok(Some(Step::Meta))
    }

    fn event_block(&mut self, at: BlockAt) -> Result<Option<Step>, ReadError> {
        use block::*;
        let BlockAt {
            bt,
            be,
            offset,
            base,
            ..
        } = at;
        let body = &self.buf[at.body()];
        let with_flags = matches!(bt, EVF_V2 | EVF_V2_LARGE | EVF_V1);
        let v1 = matches!(bt, EV_V1 | EV_INT | EVF_V1);
        let pre = if with_flags { 6 } else { 2 };
        let bad = |event_type: u16, reason: Fault| ReadError::BadEvent {
            offset,
            event_type,
            reason,
        };
        if body.len() < pre {
            return Err(bad(0, Fault::NoCpuId { body: body.len() }));
        }
        let rd16 = |at: usize| ord_u16(body, at, be);
        let rd32 = |at: usize| ord_u32(body, at, be);
        let cpu = rd16(0);
        let flags = with_flags.then(|| rd32(2));
        let ev_start = base + 8 + pre;
        let hdr = if v1 { 22 } else { HEADER_LEN };
        let evb = &body[pre..];
        if evb.len() < hdr {
            return Err(bad(
                0,
                Fault::ShortHeader {
                    header: hdr,
                    have: evb.len(),
                },
            ));
        }
        let event_type = ord_u16(evb, 20, be);
        if event_type >= EVENT_MAX {
            if self.opts.skip_unknown_events {
                *self.stats.unknown_events.entry(event_type).or_insert(0) += 1;
                return Ok(Some(Step::Skip));
            }
            return Err(ReadError::UnknownEventType {
                offset,
                event_type,
                max: EVENT_MAX,
            });
        }
        let info = schema::event_info(event_type);
        // The length width comes from the schema flag (libscap), not the block type.
        let large =
            info.is_some_and(|i| i.is_large_payload()) || matches!(bt, EV_V2_LARGE | EVF_V2_LARGE);
        // (start, end, in_norm) of the event, and its parameter count.
        let (start, end, in_norm, nparams) = if v1 || be {
            self.norm.clear();
            if v1 {
                normalize_v1(evb, be, event_type, &mut self.norm)
                    .map_err(|r| bad(event_type, r))?;
                if be {
                    swap_param_values(&mut self.norm, false);
                }
            } else {
                normalize_be(evb, large, &mut self.norm).map_err(|r| bad(event_type, r))?;
            }
            // Built by the normalisers in the v2 layout, parameter count included.
            let n = crate::bytes::le_u32(&self.norm, 22) as u8;
            (0, self.norm.len(), true, n)
        } else {
            let n = event::check(evb, large).map_err(|r| bad(event_type, r.into()))?;
            (ev_start, at.body().end, false, n)
        };
        self.stats.events += 1;
        Ok(Some(Step::Event(FastEvent {
            start,
            end,
            in_norm,
            cpu,
            flags,
            block_type: bt,
            offset,
            large,
            nparams,
        })))
    }
}

/// Where a whole block stands: its type, byte order and file offset, and
/// where it starts in the read buffer.
#[derive(Clone, Copy)]
struct BlockAt {
    bt: u32,
    be: bool,
    offset: u64,
    base: usize,
    length: u32,
}

impl BlockAt {
    /// The body in the buffer: after the type and length, before the trailer.
    fn body(&self) -> std::ops::Range<usize> {
        self.base + 8..self.base + self.length as usize - 4
    }
}

/// What [`ScapReader::next_general`] found.
enum Next {
    Event(FastEvent),
    Meta,
    End,
}

/// What the general path found: an event (where it is) or a metadata
/// block (parsed into `ScapReader::meta`).
enum Step {
    Event(FastEvent),
    Meta,
    Skip,
}

/// The parsed metadata block [`Item`] borrows.
enum Meta {
    Section(SectionHeader),
    MachineInfo(MachineInfo),
    Processes(Vec<ProcessInfo>),
    Fds {
        tid: u64,
        fds: Vec<FdInfo>,
    },
    Interfaces(Vec<Interface>),
    Users(Vec<UserEntry>),
    Skipped {
        block_type: u32,
        offset: u64,
        length: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_is_an_error() {
        assert!(matches!(ScapReader::new(&b""[..]), Err(ReadError::Empty)));
    }

    #[test]
    fn garbage_is_not_a_capture() {
        let mut r = ScapReader::new(&b"hello world, this is text"[..]).unwrap();
        assert!(matches!(
            r.next_item(),
            Err(ReadError::NotACapture { offset: 0, .. })
        ));
    }
}
