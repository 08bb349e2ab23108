//! Streaming scap writer.
//!
//! Writes a 28-byte SHB 1.2 (scap container) or an SHB with pcapng options
//! (pcapng container), then metadata (machine info, interface list v2, user
//! list v2, process list v9 split into blocks ≤ 256 KiB, fd list v2), then
//! event blocks `0x216`, `0x221` for `EF_LARGE_PAYLOAD` events, and the EVF
//! variants only for events that carry dump flags (state-only events).
//!
//! Every event is checked against the selected [`Profile`] before a byte of it
//! is written, so a refused event leaves the stream on a whole block.
//!
//! Buffering: blocks are built straight into one output buffer (one copy),
//! which goes to the sink in chunks of about 256 KiB that always end on a
//! block boundary. [`ScapWriter::flush`] is the explicit flush point for
//! FIFOs (call it per batch). [`ScapWriter::finish`] flushes and closes the
//! gzip stream and returns the sink. Dropping a writer without `finish`
//! writes what is buffered on a best-effort basis and ignores errors; a gzip
//! stream dropped that way is still closed (`GzEncoder`'s drop), but a write
//! error at that point goes unreported.

use std::io::{self, Write};

use flate2::write::GzEncoder;

use crate::block;
use crate::error::WriteError;
use crate::event::{self, Event, OwnedEvent};
use crate::meta::{FdInfo, Interface, MachineInfo, ProcessInfo, UserEntry, MACHINE_INFO_BODY_LEN};
use crate::profile::Profile;
use crate::schema;

/// Container of the output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Container {
    /// A plain scap file: SHB without options. Readable by every libscap.
    #[default]
    Scap,
    /// A pcapng section whose SHB carries options Wireshark shows (libscap
    /// before libs 0.10, i.e. sysdig 0.29, cannot read SHB options).
    Pcapng(PcapngOptions),
}

/// pcapng SHB options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PcapngOptions {
    /// `shb_hardware`.
    pub hardware: Option<String>,
    /// `shb_os`.
    pub os: Option<String>,
    /// `shb_userappl`.
    pub application: Option<String>,
    /// `opt_comment`.
    pub comment: Option<String>,
}

/// Writer options.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WriterOptions {
    /// Container.
    pub container: Container,
    /// Schema profile every event must fit.
    pub profile: Profile,
    /// gzip-compress the stream (files only; FIFOs must stay plain).
    pub gzip: bool,
    /// Largest metadata block written (dumpcap's pipe reader stops at 262144).
    pub max_block: usize,
}

impl WriterOptions {
    /// Options for `profile` with the scap container, uncompressed.
    pub fn new(profile: Profile) -> Self {
        WriterOptions {
            container: Container::Scap,
            profile,
            gzip: false,
            max_block: block::PIPE_MAX_BLOCK,
        }
    }

    /// Sets the container.
    pub fn container(mut self, c: Container) -> Self {
        self.container = c;
        self
    }

    /// Enables or disables gzip.
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }
}

/// Output buffered before a write to the sink.
const OUT_CHUNK: usize = 256 * 1024;

enum Sink<W: Write> {
    Plain(W),
    Gzip(GzEncoder<W>),
}

impl<W: Write> Sink<W> {
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
        }
    }
}

/// Counters of a writer.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriterStats {
    /// Bytes handed to the sink (before compression).
    pub bytes: u64,
    /// Event blocks written.
    pub events: u64,
    /// Blocks written.
    pub blocks: u64,
}

/// Streaming writer of scap captures. See the module docs for cancel/drop.
pub struct ScapWriter<W: Write> {
    /// `None` only after `finish` took it.
    sink: Option<Sink<W>>,
    out: Vec<u8>,
    /// Bytes the sink accepted.
    drained: u64,
    opts: WriterOptions,
    stats: WriterStats,
    in_events: bool,
}

impl<W: Write> std::fmt::Debug for ScapWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScapWriter")
            .field("stats", &self.stats)
            .field("profile", &self.opts.profile)
            .finish()
    }
}

/// `write_all` that says how much was taken before an error.
fn write_counting<W: Write>(w: &mut W, mut buf: &[u8]) -> Result<(), (usize, io::Error)> {
    let mut taken = 0;
    while !buf.is_empty() {
        match w.write(buf) {
            Ok(0) => return Err((taken, io::ErrorKind::WriteZero.into())),
            Ok(k) => {
                taken += k;
                buf = &buf[k..];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((taken, e)),
        }
    }
    Ok(())
}

/// Length of the whole blocks at the start of `chunk` (a run of framed
/// blocks, as the writer buffers them) that fit in its first `taken` bytes.
fn whole_blocks_within(chunk: &[u8], taken: usize) -> usize {
    let mut end = 0;
    while let Some(len) = chunk
        .get(end + 4..end + 8)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    {
        if len == 0 || end + len > taken {
            break;
        }
        end += len;
    }
    end
}

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

impl<W: Write> ScapWriter<W> {
    /// Starts a capture on `w`, writing the section header at once.
    pub fn new(w: W, opts: WriterOptions) -> Result<Self, WriteError> {
        let sink = if opts.gzip {
            Sink::Gzip(GzEncoder::new(w, flate2::Compression::fast()))
        } else {
            Sink::Plain(w)
        };
        let mut wr = ScapWriter {
            sink: Some(sink),
            out: Vec::with_capacity(OUT_CHUNK + 64 * 1024),
            drained: 0,
            opts,
            stats: WriterStats::default(),
            in_events: false,
        };
        wr.write_shb()?;
        Ok(wr)
    }

    /// Counters so far.
    pub fn stats(&self) -> WriterStats {
        self.stats
    }

    /// The profile in force.
    pub fn profile(&self) -> Profile {
        self.opts.profile
    }

    /// Whether the output is a pcapng section (which can carry journal entries).
    pub fn is_pcapng(&self) -> bool {
        matches!(self.opts.container, Container::Pcapng(_))
    }

    /// Hands the buffered blocks to the sink. On failure the buffer is
    /// discarded and the error's `written` counts the bytes of *whole
    /// blocks* the sink took (a plain sink that took half a block reports
    /// the boundary before it), so a caller can cut a file back there and
    /// keep everything that made it to disk.
    fn drain(&mut self) -> Result<(), WriteError> {
        if self.out.is_empty() {
            return Ok(());
        }
        let r = match self.sink.as_mut() {
            Some(Sink::Plain(w)) => write_counting(w, &self.out),
            Some(Sink::Gzip(w)) => w.write_all(&self.out).map_err(|e| (0, e)),
            None => Ok(()),
        };
        let n = self.out.len() as u64;
        let result = match r {
            Ok(()) => {
                self.drained += n;
                Ok(())
            }
            Err((taken, source)) => Err(WriteError::Io {
                written: self.drained + whole_blocks_within(&self.out, taken) as u64,
                source,
            }),
        };
        self.out.clear();
        result
    }

    /// Appends one block: type, length, the `body_len` bytes that `body`
    /// appends, padding, trailer; hands the buffer to the sink once it
    /// holds a chunk. Inlined, and in fixed-size pieces (moves rather than
    /// memcpy calls): the event path frames every event through it.
    #[inline]
    fn frame(
        &mut self,
        block_type: u32,
        body_len: usize,
        body: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), WriteError> {
        let pad = pad4(body_len);
        let total = 12 + body_len + pad;
        let mut head = [0u8; 8];
        head[..4].copy_from_slice(&block_type.to_le_bytes());
        head[4..].copy_from_slice(&(total as u32).to_le_bytes());
        let b = &mut self.out;
        b.reserve(total);
        b.extend_from_slice(&head);
        body(b);
        match pad {
            1 => b.push(0),
            2 => b.extend_from_slice(&[0; 2]),
            3 => b.extend_from_slice(&[0; 3]),
            _ => {}
        }
        b.extend_from_slice(&(total as u32).to_le_bytes());
        self.stats.bytes += total as u64;
        self.stats.blocks += 1;
        if self.out.len() >= OUT_CHUNK {
            self.drain_cold()?;
        }
        Ok(())
    }

    /// [`ScapWriter::drain`] kept out of the inlined framing.
    #[inline(never)]
    fn drain_cold(&mut self) -> Result<(), WriteError> {
        self.drain()
    }

    fn block(&mut self, block_type: u32, body: &[u8]) -> Result<(), WriteError> {
        self.frame(block_type, body.len(), |b| b.extend_from_slice(body))
    }

    fn write_shb(&mut self) -> Result<(), WriteError> {
        let mut body = Vec::with_capacity(64);
        body.extend_from_slice(&block::BYTE_ORDER_MAGIC.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&2u16.to_le_bytes());
        body.extend_from_slice(&u64::MAX.to_le_bytes());
        if let Container::Pcapng(o) = &self.opts.container {
            let opts = [
                (1u16, &o.comment),
                (2, &o.hardware),
                (3, &o.os),
                (4, &o.application),
            ];
            let mut any = false;
            for (code, v) in opts {
                if let Some(v) = v {
                    let v = v.as_bytes();
                    let n = v.len().min(u16::MAX as usize - 3);
                    body.extend_from_slice(&code.to_le_bytes());
                    body.extend_from_slice(&(n as u16).to_le_bytes());
                    body.extend_from_slice(&v[..n]);
                    body.resize(body.len() + pad4(n), 0);
                    any = true;
                }
            }
            if any {
                body.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
            }
        }
        self.block(block::SHB, &body)
    }

    /// Starts a new section (a new SHB): readers reset their thread and fd
    /// tables, and metadata may be written again before the next event.
    pub fn new_section(&mut self) -> Result<(), WriteError> {
        self.write_shb()?;
        self.in_events = false;
        Ok(())
    }

    fn check_meta(&self, what: &'static str) -> Result<(), WriteError> {
        if self.in_events {
            return Err(WriteError::MetadataAfterEvents { what });
        }
        Ok(())
    }

    /// Writes a machine-info block.
    pub fn write_machine_info(&mut self, mi: &MachineInfo) -> Result<(), WriteError> {
        self.check_meta("machine info")?;
        let mut body = Vec::with_capacity(MACHINE_INFO_BODY_LEN);
        mi.serialize(&mut body);
        self.block(block::MI, &body)
    }

    /// Writes an interface-list v2 block.
    pub fn write_interfaces(&mut self, ifs: &[Interface]) -> Result<(), WriteError> {
        self.check_meta("interface list")?;
        let mut body = Vec::new();
        for i in ifs {
            i.serialize_v2(&mut body);
        }
        self.block(block::IL_V2, &body)
    }

    /// Writes user-list v2 blocks.
    pub fn write_users(&mut self, users: &[UserEntry]) -> Result<(), WriteError> {
        self.check_meta("user list")?;
        let max = self.opts.max_block - 12;
        let mut body = Vec::new();
        let mut tmp = Vec::new();
        for u in users {
            tmp.clear();
            u.serialize_v2(&mut tmp);
            if !body.is_empty() && body.len() + tmp.len() > max {
                self.block(block::UL_V2, &body)?;
                body.clear();
            }
            body.extend_from_slice(&tmp);
        }
        self.block(block::UL_V2, &body)
    }

    /// Writes the process table as PL_V9 blocks, each at most `max_block` bytes.
    pub fn write_processes(&mut self, procs: &[ProcessInfo]) -> Result<(), WriteError> {
        self.check_meta("process list")?;
        let max = self.opts.max_block - 12;
        let mut body = Vec::new();
        for p in procs {
            let n = p.v9_len();
            if !body.is_empty() && body.len() + n > max {
                self.block(block::PL_V9, &body)?;
                body.clear();
            }
            p.serialize_v9(&mut body);
        }
        if !body.is_empty() {
            self.block(block::PL_V9, &body)?;
        }
        Ok(())
    }

    /// Writes the fds of thread `tid` as FDL_V2 blocks, each at most `max_block` bytes.
    pub fn write_fds(&mut self, tid: u64, fds: &[FdInfo]) -> Result<(), WriteError> {
        self.check_meta("fd list")?;
        let max = self.opts.max_block - 12;
        let mut body = tid.to_le_bytes().to_vec();
        let mut tmp = Vec::new();
        for f in fds {
            tmp.clear();
            f.serialize_v2(&mut tmp);
            if body.len() > 8 && body.len() + tmp.len() > max {
                self.block(block::FDL_V2, &body)?;
                body.truncate(8);
            }
            body.extend_from_slice(&tmp);
        }
        self.block(block::FDL_V2, &body)
    }

    /// Writes an event read from a capture, keeping its cpu and dump flags.
    #[inline]
    pub fn write_event(&mut self, ev: &Event<'_>) -> Result<(), WriteError> {
        self.write_raw_event(
            ev.cpu,
            ev.dump_flags.unwrap_or(0),
            ev.event_type(),
            ev.nparams(),
            ev.raw(),
        )
    }

    /// Writes an owned event.
    pub fn write_owned(&mut self, ev: &OwnedEvent) -> Result<(), WriteError> {
        let mut raw = Vec::new();
        ev.encode_into(&mut raw);
        self.write_raw_event(ev.cpu, ev.dump_flags, ev.event_type, ev.params.len(), &raw)
    }

    /// Checks one encoded event against the profile and the block limits,
    /// then frames it as an event block straight into the output buffer
    /// (one schema lookup; the error paths are out of line).
    #[inline]
    fn write_raw_event(
        &mut self,
        cpu: u16,
        flags: u32,
        event_type: u16,
        nparams: usize,
        raw: &[u8],
    ) -> Result<(), WriteError> {
        let Some(info) = schema::known_event(event_type) else {
            return Err(WriteError::UnknownEventType { event_type });
        };
        self.opts.profile.check_info(event_type, info, nparams)?;
        let large = info.is_large_payload();
        let max = if large {
            // MAX_LARGE_EVENT_LEN for the default block limit.
            self.opts.max_block - (block::PIPE_MAX_BLOCK - block::MAX_LARGE_EVENT_LEN)
        } else {
            block::LIBSCAP_MAX_EVENT_BLOCK - 8
        };
        if raw.len() > max {
            return Err(WriteError::TooLarge {
                event_type,
                len: raw.len(),
                max,
            });
        }
        let bt = match (large, flags != 0) {
            (false, false) => block::EV_V2,
            (false, true) => block::EVF_V2,
            (true, false) => block::EV_V2_LARGE,
            (true, true) => block::EVF_V2_LARGE,
        };
        let body_len = if flags != 0 { 6 } else { 2 } + raw.len();
        self.frame(bt, body_len, |b| {
            b.extend_from_slice(&cpu.to_le_bytes());
            if flags != 0 {
                b.extend_from_slice(&flags.to_le_bytes());
            }
            b.extend_from_slice(raw);
        })?;
        self.in_events = true;
        self.stats.events += 1;
        Ok(())
    }

    /// Builds and writes an event from parts without an intermediate owned event.
    pub fn write_parts(
        &mut self,
        cpu: u16,
        ts: u64,
        tid: u64,
        event_type: u16,
        params: &[&[u8]],
    ) -> Result<(), WriteError> {
        let large = schema::event_info(event_type).is_some_and(|i| i.is_large_payload());
        let mut raw = Vec::new();
        event::encode_parts(ts, tid, event_type, large, params.iter().copied(), &mut raw);
        self.write_raw_event(cpu, 0, event_type, params.len(), &raw)
    }

    /// Writes a systemd journal export block (pcapng block type 9) holding
    /// one journal entry: `__REALTIME_TIMESTAMP` from `ts` (ns since the
    /// epoch), then `fields` (names of `A-Z`, `0-9`, `_`). Wireshark shows it
    /// beside the events as a systemd journal entry; it is how alerts travel
    /// in a pcapng capture. Only in a pcapng container, since libscap readers
    /// stop at unknown block types: returns whether it was written.
    pub fn write_journal_entry(
        &mut self,
        ts: u64,
        fields: &[(&str, &str)],
    ) -> Result<bool, WriteError> {
        if !self.is_pcapng() {
            return Ok(false);
        }
        let mut body = format!("__REALTIME_TIMESTAMP={}\n", ts / 1000).into_bytes();
        for (k, v) in fields {
            if v.contains('\n') {
                // The export format's binary-safe form: name, length, data.
                body.extend_from_slice(k.as_bytes());
                body.push(b'\n');
                body.extend_from_slice(&(v.len() as u64).to_le_bytes());
                body.extend_from_slice(v.as_bytes());
                body.push(b'\n');
            } else {
                body.extend_from_slice(k.as_bytes());
                body.push(b'=');
                body.extend_from_slice(v.as_bytes());
                body.push(b'\n');
            }
        }
        body.push(b'\n');
        self.block(block::PCAPNG_JOURNAL, &body)?;
        Ok(true)
    }

    /// Explicit flush point: pushes buffered blocks to the sink (and a gzip
    /// sync flush), so a FIFO reader sees every whole block written so far.
    pub fn flush(&mut self) -> Result<(), WriteError> {
        self.drain()?;
        let r = match self.sink.as_mut() {
            Some(s) => s.flush(),
            None => Ok(()),
        };
        r.map_err(|source| WriteError::Io {
            written: self.drained,
            source,
        })
    }

    /// Flushes, ends the gzip stream if any, and returns the sink.
    pub fn finish(mut self) -> Result<W, WriteError> {
        self.drain()?;
        let written = self.drained;
        let io = |source: io::Error| WriteError::Io { written, source };
        let mut w = match self.sink.take() {
            Some(Sink::Plain(w)) => w,
            Some(Sink::Gzip(g)) => g.finish().map_err(io)?,
            None => return Err(io(io::Error::other("writer already finished"))),
        };
        w.flush().map_err(io)?;
        Ok(w)
    }
}

impl<W: Write> Drop for ScapWriter<W> {
    fn drop(&mut self) {
        // Best effort (see the module docs); `finish` reports errors.
        if self.sink.is_some() {
            let _ = self.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A disk that takes `room` bytes and then reports it is full.
    struct SmallDisk {
        data: Vec<u8>,
        room: usize,
    }

    impl Write for SmallDisk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(self.room - self.data.len());
            if n == 0 {
                return Err(io::Error::other("no space left"));
            }
            self.data.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_sink_reports_the_whole_blocks_it_took() {
        let disk = SmallDisk {
            data: Vec::new(),
            room: 300_000,
        };
        let mut w = ScapWriter::new(disk, WriterOptions::new(Profile::Compat)).expect("shb");
        let payload = vec![b'x'; 1000];
        let mut err = None;
        for i in 0..1000u64 {
            // write exit (9): res, data
            let r = w.write_parts(0, i, 1, 9, &[&(i as i64).to_le_bytes(), &payload]);
            if let Err(e) = r {
                err = Some(e);
                break;
            }
        }
        let Some(WriteError::Io { written, .. }) = err else {
            panic!("the disk filled: {err:?}");
        };
        let written = written as usize;
        assert!(written <= 300_000 && written > 300_000 - 1100, "{written}");
        // The boundary is a block boundary: walking lengths from the start
        // lands exactly on it.
        let sink = w.sink.take();
        let Some(Sink::Plain(disk)) = sink else {
            panic!("plain sink");
        };
        assert_eq!(whole_blocks_within(&disk.data, written), written);
        assert!(disk.data.len() >= written);
    }
}
