//! A scoped live capture (`--container ID|NAME`, `--pod [NS/]NAME`): keeps
//! the probe's set of cgroup ids in step with the containers that match,
//! those running at start and those that start during the capture, so the
//! kernel drops every other thread's events before they reach a ring.
//!
//! Each scan reads the cgroup hierarchy the probe checks
//! ([`scapbridge_containers::CgroupTree`]): a container directory not seen
//! before is kept at once when the scope names its id, and otherwise when
//! the resolver's metadata (name, pod labels) matches; until the resolver
//! answers it is looked at again on the next scan. Directories that went
//! away leave the probe's set.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use scapbridge_containers::{CgroupTree, ContainerInfo, Hierarchy, ScopeSpec};
use scapbridge_engine::capture::CaptureError;
use scapbridge_probe::{CgroupScope, Probe, ProbeError, ScopeHierarchy};

use crate::containers::Containers;

/// Where the cgroup hierarchies are mounted.
pub const CGROUP_ROOT: &str = "/sys/fs/cgroup";
/// Time between two scans of the hierarchy.
pub const SCAN_EVERY: Duration = Duration::from_millis(200);
/// Longest wait at start for the runtime to name the running containers.
pub const START_WAIT: Duration = Duration::from_secs(3);

/// What was decided of one container directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Kept,
    Out,
    /// Waiting for the runtime's metadata.
    Pending,
}

/// The scope of a capture and the cgroups kept so far.
#[derive(Debug)]
pub struct ContainerScope {
    spec: ScopeSpec,
    tree: CgroupTree,
    /// cgroup id → decision, for the directories of the last scan.
    seen: HashMap<u64, Decision>,
    last_scan: Option<Instant>,
    /// Containers kept (short ids), in the order found.
    kept: Vec<String>,
}

impl ContainerScope {
    /// The scope of `spec` over this machine's hierarchy. Fails when there
    /// is no cgroup hierarchy to check.
    pub fn new(spec: ScopeSpec) -> Result<ContainerScope, CaptureError> {
        let tree = CgroupTree::detect(Path::new(CGROUP_ROOT)).ok_or_else(|| CaptureError::Open {
            path: CGROUP_ROOT.into(),
            source: std::io::Error::other(
                "neither a cgroup v2 root nor a v1 memory hierarchy: --container/--pod cannot be scoped",
            ),
        })?;
        Ok(ContainerScope {
            spec,
            tree,
            seen: HashMap::new(),
            last_scan: None,
            kept: Vec::new(),
        })
    }

    /// The probe's option: the hierarchy to check, no cgroup yet (the
    /// first [`ContainerScope::scan`] adds them).
    pub fn probe_scope(&self) -> CgroupScope {
        CgroupScope {
            hierarchy: match self.tree.hierarchy() {
                Hierarchy::Unified => ScopeHierarchy::Unified,
                Hierarchy::Memory => ScopeHierarchy::Memory,
            },
            cgroup_ids: Vec::new(),
        }
    }

    /// The spec.
    pub fn spec(&self) -> &ScopeSpec {
        &self.spec
    }

    /// Whether the container `info` is in the scope (its `container` event
    /// goes into the stream).
    pub fn matches(&self, info: &ContainerInfo) -> bool {
        self.spec.matches(info)
    }

    /// Containers kept so far (short ids).
    pub fn kept(&self) -> &[String] {
        &self.kept
    }

    /// Whether some container directory waits for the runtime's answer.
    pub fn pending(&self) -> bool {
        self.seen.values().any(|d| *d == Decision::Pending)
    }

    /// Scans if [`SCAN_EVERY`] has passed since the last scan; see
    /// [`ContainerScope::scan`].
    pub fn tick(
        &mut self,
        containers: Option<&Containers>,
        probe: &mut Probe,
    ) -> Result<Vec<String>, ProbeError> {
        if self.last_scan.is_some_and(|t| t.elapsed() < SCAN_EVERY) {
            return Ok(Vec::new());
        }
        self.scan(containers, probe)
    }

    /// Reads the hierarchy, adds the directories of matching containers to
    /// the probe and removes those that went away. Returns a line for the
    /// log per container newly kept.
    pub fn scan(
        &mut self,
        containers: Option<&Containers>,
        probe: &mut Probe,
    ) -> Result<Vec<String>, ProbeError> {
        self.last_scan = Some(Instant::now());
        let mut now = HashMap::new();
        let mut lines = Vec::new();
        for c in self.tree.containers() {
            let before = self.seen.get(&c.cgroup_id).copied();
            let d = match before {
                Some(d @ (Decision::Kept | Decision::Out)) => d,
                _ if self.spec.matches_id(&c.full_id) => Decision::Kept,
                _ if !self.spec.needs_metadata() => Decision::Out,
                _ => match containers.and_then(|r| r.lookup(&c.full_id)) {
                    Some(info) if self.spec.matches(&info) => Decision::Kept,
                    Some(_) => Decision::Out,
                    None => Decision::Pending,
                },
            };
            if d == Decision::Kept && before != Some(Decision::Kept) {
                probe.add_scope_cgroup(c.cgroup_id)?;
                let short = c.full_id[..12].to_string();
                lines.push(format!(
                    "scope: container {short} kept (cgroup {} {})",
                    c.cgroup_id, c.path
                ));
                if !self.kept.contains(&short) {
                    self.kept.push(short);
                }
            }
            now.insert(c.cgroup_id, d);
        }
        for (id, d) in &self.seen {
            if *d == Decision::Kept && !now.contains_key(id) {
                probe.remove_scope_cgroup(*id)?;
            }
        }
        self.seen = now;
        Ok(lines)
    }
}
