//! Container metadata for the live capture: a
//! [`scapbridge_containers::Resolver`] on the runtime's socket, whose
//! answers go into the stream as `container` events (324) before the next
//! event, as libs' container manager writes them. (The threads' cgroups
//! come from the probe: its events and its `/proc` snapshot.)
//!
//! The event path never waits: [`Containers::note`] is a cache lookup
//! (queued for the resolver's thread on a miss), [`Containers::drain`] takes
//! what the thread found since the last call.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use scapbridge_containers::{container_json, ContainerInfo, Resolver, ResolverConfig};
use scapbridge_formats::{schema, OwnedEvent};

/// Where podman's Docker-compatible API listens (`podman system service`).
pub const PODMAN_SOCKET: &str = "/run/podman/podman.sock";
/// Where docker's API listens.
pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// The socket to ask: `given`, or else podman's or docker's, whichever
/// exists (podman's when neither does: the resolver then warns once).
pub fn default_socket(given: Option<&str>) -> PathBuf {
    if let Some(s) = given.map(str::trim).filter(|s| !s.is_empty()) {
        return PathBuf::from(s);
    }
    [PODMAN_SOCKET, DOCKER_SOCKET]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(PODMAN_SOCKET))
}

/// The resolver of a capture and which containers the stream has had.
#[derive(Debug)]
pub struct Containers {
    resolver: Resolver,
    written: HashSet<String>,
    /// Per event id: where its `cgroups` parameter is, if it has one.
    cgroups_at: Vec<Option<usize>>,
}

impl Containers {
    /// Starts the resolver on `socket` (it lists the running containers
    /// first, in its own thread).
    pub fn start(socket: &Path) -> std::io::Result<Containers> {
        let resolver = Resolver::start(ResolverConfig::new(socket))?;
        let cgroups_at = (0..schema::EVENT_MAX)
            .map(|i| schema::event_info(i).and_then(|e| e.param_index("cgroups")))
            .collect();
        Ok(Containers {
            resolver,
            written: HashSet::new(),
            cgroups_at,
        })
    }

    /// Looks up the container of an event's `cgroups` (execve, clone
    /// exits), so one started during the capture is asked for.
    #[inline]
    pub fn note(&self, ev: &scapbridge_formats::Event<'_>) {
        let Some(&Some(i)) = self.cgroups_at.get(usize::from(ev.event_type())) else {
            return;
        };
        if let Some(c) = ev.param(i).filter(|c| !c.is_empty()) {
            let _ = self.resolver.lookup_cgroups(c);
        }
    }

    /// The container `full_id` from the cache, at once (queued for the
    /// resolver's thread on a miss), as [`Resolver::lookup`].
    pub fn lookup(&self, full_id: &str) -> Option<Arc<ContainerInfo>> {
        self.resolver.lookup(full_id)
    }

    /// The `container` events (324, at `ts`) of the containers found since
    /// the last call and not written yet, of those `keep` accepts (a scoped
    /// capture names only its own containers).
    pub fn drain(&mut self, ts: u64, keep: impl Fn(&ContainerInfo) -> bool) -> Vec<OwnedEvent> {
        let mut out = Vec::new();
        for c in self.resolver.take_updates() {
            if !keep(&c) || !self.written.insert(c.id.clone()) {
                continue;
            }
            let mut e = OwnedEvent::new(ts, u64::MAX, schema::PPME_CONTAINER_JSON_2_E);
            e.push_str(&container_json(&c));
            out.push(e);
        }
        out
    }

    /// The resolver's warnings since the last call, as log lines.
    pub fn warnings(&self) -> Vec<String> {
        self.resolver
            .take_warnings()
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}
