//! Container metadata for the live capture: a
//! [`scapbridge_containers::Resolver`] on the runtime's socket, whose
//! answers go into the stream as `container` events (324) before the next
//! event, as libs' container manager writes them; and the cgroups of the
//! threads of the `/proc` snapshot.
//!
//! The event path never waits: [`Containers::note`] is a cache lookup
//! (queued for the resolver's thread on a miss), [`Containers::drain`] takes
//! what the thread found since the last call.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use scapbridge_containers::{container_json, Resolver, ResolverConfig};
use scapbridge_formats::meta::ProcessInfo;
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

    /// The `container` events (324, at `ts`) of the containers found since
    /// the last call and not written yet.
    pub fn drain(&mut self, ts: u64) -> Vec<OwnedEvent> {
        let mut out = Vec::new();
        for c in self.resolver.take_updates() {
            if !self.written.insert(c.id.clone()) {
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

/// Fills the `cgroups` of each thread of a `/proc` snapshot that has none,
/// from `/proc/TID/cgroup`, as libscap's `scap_proc_fill_cgroups` does:
/// `controller=path` items, one per cgroup v1 controller (`name=systemd`
/// as is), or, on a pure cgroup v2 system, the unified path under each
/// controller of `cgroup.controllers`. (The `/proc` reader of the probe
/// crate leaves them empty; this belongs there once it reads them.)
pub fn fill_cgroups(proc_root: &Path, procs: &mut [ProcessInfo]) {
    let v2_controllers = std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
        .map(|s| s.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .unwrap_or_default();
    for p in procs.iter_mut().filter(|p| p.cgroups.is_empty()) {
        let Ok(text) = std::fs::read_to_string(proc_root.join(p.tid.to_string()).join("cgroup"))
        else {
            continue;
        };
        p.cgroups = scap_cgroups(&text, &v2_controllers);
    }
}

/// A `/proc/PID/cgroup` text as a scap `cgroups` list.
pub fn scap_cgroups(text: &str, v2_controllers: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut unified = None;
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(ctrls), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if ctrls.is_empty() {
            unified = Some(path);
            continue;
        }
        for c in ctrls.split(',') {
            out.extend_from_slice(format!("{c}={path}").as_bytes());
            out.push(0);
        }
    }
    if out.is_empty() {
        if let Some(path) = unified {
            for c in v2_controllers {
                out.extend_from_slice(format!("{c}={path}").as_bytes());
                out.push(0);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::scap_cgroups;

    #[test]
    fn proc_cgroup_text_becomes_the_scap_list() {
        let v1 = "9:name=systemd:/libpod_parent/libpod-x\n4:cpu,cpuacct:/a\n0::/b\n";
        assert_eq!(
            scap_cgroups(v1, &[]),
            b"name=systemd=/libpod_parent/libpod-x\0cpu=/a\0cpuacct=/a\0".to_vec()
        );
        let v2 = "0::/system.slice/x.scope\n";
        assert_eq!(
            scap_cgroups(v2, &["cpu".into(), "memory".into()]),
            b"cpu=/system.slice/x.scope\0memory=/system.slice/x.scope\0".to_vec()
        );
    }
}
