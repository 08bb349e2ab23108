//! Captures with the gaps a loaded machine leaves: a thread that predates
//! the capture but left before the `/proc` snapshot (no process-list
//! entry), a snapshot that missed a process's fds, an event the ring lost,
//! a thread cloned after the probe attached that the snapshot listed too.
//! Cut from a whole capture, so the readers' answers on the cut file can be
//! compared where a live run only shows them by chance.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use scapbridge_formats::meta::{FdInfo, ProcessInfo};
use scapbridge_formats::{Event, Item, Profile, ScapReader, ScapWriter, WriterOptions};

/// A new time for an event, or `None` to keep its own.
pub type Retime<'a> = &'a dyn Fn(&Event<'_>) -> Option<u64>;

/// What a cut leaves out; `None` of a rule keeps everything.
#[derive(Default)]
pub struct Cut<'a> {
    /// Process-list entries to leave out.
    pub process: Option<&'a dyn Fn(&ProcessInfo) -> bool>,
    /// Fd lists (by owner thread) to leave out.
    pub fds: Option<&'a dyn Fn(u64) -> bool>,
    /// Events to leave out.
    pub event: Option<&'a dyn Fn(&Event<'_>) -> bool>,
    /// Entries added to the first process list.
    pub listed: Vec<ProcessInfo>,
    /// Fd lists (owner thread, fds) added after the first process list.
    pub listed_fds: Vec<(u64, Vec<FdInfo>)>,
    /// Events given another time, in their place: a record that went out
    /// after newer ones of another CPU (libscap's consumer, like ours, does
    /// not wait for a ring found empty).
    pub retime: Option<Retime<'a>>,
}

impl<'a> Cut<'a> {
    /// Process-list entries and fd lists left out: processes that left
    /// before the snapshot read them.
    pub fn unlisted(
        process: &'a dyn Fn(&ProcessInfo) -> bool,
        fds: &'a dyn Fn(u64) -> bool,
    ) -> Self {
        Cut {
            process: Some(process),
            fds: Some(fds),
            ..Cut::default()
        }
    }

    /// Events left out: what a full ring loses.
    pub fn lost(event: &'a dyn Fn(&Event<'_>) -> bool) -> Self {
        Cut {
            event: Some(event),
            ..Cut::default()
        }
    }
}

/// The process-list entry `/proc` would give the thread a clone exit
/// made, read before that thread ran anything else.
pub fn listed_as_cloned(ev: &Event<'_>) -> ProcessInfo {
    let bytes = |n: &str| ev.param_by_name(n).unwrap_or_default().to_vec();
    let num = |n: &str| {
        let b = bytes(n);
        let mut a = [0u8; 8];
        a[..b.len().min(8)].copy_from_slice(&b[..b.len().min(8)]);
        u64::from_le_bytes(a)
    };
    ProcessInfo {
        tid: ev.tid(),
        pid: num("pid"),
        ptid: num("ptid"),
        comm: bytes("comm"),
        exe: bytes("exe"),
        args: bytes("args"),
        cwd: bytes("cwd"),
        fdlimit: num("fdlimit"),
        uid: num("uid") as u32,
        gid: num("gid") as u32,
        vtid: num("vtid") as i64,
        vpid: num("vpid") as i64,
        cgroups: bytes("cgroups"),
        ..ProcessInfo::default()
    }
}

/// Writes `src` to `dst` without what `cut` names, every other block as it
/// was (layouts kept); how many items it left out, added or changed.
pub fn rewrite(src: &Path, dst: &Path, cut: &Cut<'_>) -> usize {
    let mut r = ScapReader::new(std::fs::File::open(src).unwrap()).unwrap();
    let out = std::fs::File::create(dst).unwrap();
    let mut w = ScapWriter::new(
        std::io::BufWriter::new(out),
        WriterOptions::new(Profile::Keep),
    )
    .unwrap();
    let mut left_out = 0;
    let mut listed_done = false;
    while let Some(item) = r.next_item().unwrap() {
        match item {
            Item::MachineInfo(m) => w.write_machine_info(m).unwrap(),
            Item::Interfaces(i) => w.write_interfaces(i).unwrap(),
            Item::Users(u) => w.write_users(u).unwrap(),
            Item::Processes(ps) => {
                let mut kept: Vec<ProcessInfo> = ps
                    .iter()
                    .filter(|p| !cut.process.is_some_and(|f| f(p)))
                    .cloned()
                    .collect();
                left_out += ps.len() - kept.len();
                let first = !listed_done;
                if first {
                    kept.extend(cut.listed.iter().cloned());
                    left_out += cut.listed.len();
                    listed_done = true;
                }
                w.write_processes(&kept).unwrap();
                if first {
                    for (tid, fds) in &cut.listed_fds {
                        w.write_fds(*tid, fds).unwrap();
                        left_out += 1;
                    }
                }
            }
            Item::Fds { tid, fds } => {
                if cut.fds.is_some_and(|f| f(tid)) {
                    left_out += 1;
                } else {
                    w.write_fds(tid, fds).unwrap();
                }
            }
            Item::Event(ev) => {
                if cut.event.is_some_and(|f| f(&ev)) {
                    left_out += 1;
                } else if let Some(ts) = cut.retime.and_then(|f| f(&ev)) {
                    let mut moved = ev.to_owned_event();
                    moved.ts = ts;
                    w.write_owned(&moved).unwrap();
                    left_out += 1;
                } else {
                    w.write_event(&ev).unwrap();
                }
            }
            Item::Section(_) | Item::Skipped { .. } => {}
            _ => {}
        }
    }
    w.finish().unwrap();
    left_out
}
