//! Captures with the gaps a loaded machine leaves: a thread that predates
//! the capture but left before the `/proc` snapshot (no process-list
//! entry), a snapshot that missed a process's fds, an event the ring lost.
//! Cut from a whole capture, so the readers' answers on the cut file can be
//! compared where a live run only shows them by chance.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use scapbridge_formats::meta::ProcessInfo;
use scapbridge_formats::{Event, Item, Profile, ScapReader, ScapWriter, WriterOptions};

/// What a cut leaves out; `None` of a rule keeps everything.
#[derive(Default)]
pub struct Cut<'a> {
    /// Process-list entries to leave out.
    pub process: Option<&'a dyn Fn(&ProcessInfo) -> bool>,
    /// Fd lists (by owner thread) to leave out.
    pub fds: Option<&'a dyn Fn(u64) -> bool>,
    /// Events to leave out.
    pub event: Option<&'a dyn Fn(&Event<'_>) -> bool>,
}

/// Writes `src` to `dst` without what `cut` names, every other block as it
/// was (layouts kept); how many items it left out.
pub fn rewrite(src: &Path, dst: &Path, cut: &Cut<'_>) -> usize {
    let mut r = ScapReader::new(std::fs::File::open(src).unwrap()).unwrap();
    let out = std::fs::File::create(dst).unwrap();
    let mut w = ScapWriter::new(
        std::io::BufWriter::new(out),
        WriterOptions::new(Profile::Keep),
    )
    .unwrap();
    let mut left_out = 0;
    while let Some(item) = r.next_item().unwrap() {
        match item {
            Item::MachineInfo(m) => w.write_machine_info(m).unwrap(),
            Item::Interfaces(i) => w.write_interfaces(i).unwrap(),
            Item::Users(u) => w.write_users(u).unwrap(),
            Item::Processes(ps) => {
                let kept: Vec<ProcessInfo> = ps
                    .iter()
                    .filter(|p| !cut.process.is_some_and(|f| f(p)))
                    .cloned()
                    .collect();
                left_out += ps.len() - kept.len();
                w.write_processes(&kept).unwrap();
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
