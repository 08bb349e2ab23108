//! What libsinsp does once it has read the capture's process and fd lists:
//! it links the threads to their parents, and orients the sockets.
//!
//! Sockets of the capture's fd list, oriented as libsinsp orients them.
//!
//! The fd list (written from `/proc` when the capture started) gives an
//! IPv4 socket's tuple with this end first, as the kernel lists it, so an
//! accepted connection reads `server->client`. libsinsp (0.21 and 0.23
//! alike) turns such a socket round once the whole list is read: when its
//! first port is one a listening socket of the list (IPv4 or IPv6) listens
//! on, the socket is the server's end and its name becomes
//! `client->server` (`fix_sockets_coming_from_proc`). IPv6 sockets are left
//! as they are, as libsinsp leaves them.

use std::collections::HashSet;

use super::CaptureState;
use crate::meta::{FdData, FdInfo};

/// What the fd list said, until the first event.
#[derive(Debug, Default)]
pub(super) struct ProcSockets {
    /// IPv4 sockets: process id and fd.
    sockets: Vec<(u64, i64)>,
    /// Ports of the list's listening sockets.
    server_ports: HashSet<u16>,
}

impl ProcSockets {
    /// Notes one entry of a fd-list block.
    pub(super) fn note(&mut self, pid: u64, f: &FdInfo) {
        match &f.data {
            FdData::Ipv4(_) => self.sockets.push((pid, f.fd)),
            // libsinsp counts the ports of both families' listening
            // sockets (and turns IPv4 sockets only).
            FdData::Ipv4Server(l) => {
                self.server_ports.insert(l.port);
            }
            FdData::Ipv6Server(l) => {
                self.server_ports.insert(l.port);
            }
            _ => {}
        }
    }

    /// Whether sockets wait to be turned.
    #[inline]
    pub(super) fn pending(&self) -> bool {
        !self.sockets.is_empty()
    }
}

impl CaptureState {
    /// Turns the fd list's IPv4 sockets whose first port is a listening
    /// port (see the module); called once, before the first event.
    pub(super) fn fix_sockets_from_proc(&mut self) {
        let ProcSockets {
            sockets,
            server_ports,
        } = std::mem::take(&mut self.from_proc);
        for (pid, fd) in sockets {
            let Some(e) = self.fds.get_mut(&pid).and_then(|t| t.get_mut(&fd)) else {
                continue;
            };
            let Some((this, peer)) = e.name.split_once("->") else {
                continue;
            };
            let port = this
                .rsplit_once(':')
                .and_then(|(_, p)| p.parse::<u16>().ok());
            if port.is_some_and(|p| server_ports.contains(&p)) {
                e.name = format!("{peer}->{this}");
            }
        }
    }

    /// libs 0.23 links the process list's threads to their parents once it
    /// has read the whole list: one whose parent it does not hold gets
    /// parent 0 (`create_thread_dependencies_after_proc_scan`) and keeps it
    /// should that parent turn up in the events. Every thread in the table
    /// before the first event came from the list.
    pub(super) fn link_listed_parents(&mut self) {
        let orphans: Vec<u64> = self
            .threads
            .iter()
            .filter(|(_, t)| t.ptid != 0 && self.known_parent(t.ptid) == 0)
            .map(|(&tid, _)| tid)
            .collect();
        for tid in orphans {
            if let Some(t) = self.threads.get_mut(&tid) {
                t.ptid = 0;
            }
        }
    }
}
