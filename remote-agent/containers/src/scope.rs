//! Scoped captures (`--container ID|NAME`, `--pod [NS/]NAME`, issue 22):
//! which containers a capture keeps ([`ScopeSpec`]), and, on Linux, the
//! cgroup directories that hold containers ([`CgroupTree`]), whose ids the
//! probe checks in the kernel so other events never reach user space.
//!
//! A container given by id (12 to 64 hex digits) is decided from its
//! cgroup path alone; one given by name, and a pod, need the runtime's
//! metadata (the resolver's answer), so a container is kept from the moment
//! both its cgroup and its metadata are known.

use crate::info::ContainerInfo;

/// A value of `--container` or `--pod` that cannot name one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// The value is empty or has characters no container or pod name has.
    #[error("--{option} '{value}': expected {expected}")]
    BadValue {
        /// The option (`container` or `pod`).
        option: &'static str,
        /// What was given.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
}

/// A pod: its name and, if given, its namespace (`k8s.ns.name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRef {
    /// `io.kubernetes.pod.namespace`; `None` matches any.
    pub namespace: Option<String>,
    /// `io.kubernetes.pod.name`.
    pub name: String,
}

/// The containers a scoped capture keeps: any container named in
/// `containers` (by id prefix or name) or belonging to a pod in `pods`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSpec {
    /// Container ids (12 to 64 hex digits, a prefix of the full id) or names.
    pub containers: Vec<String>,
    /// Pods.
    pub pods: Vec<PodRef>,
}

/// Characters of container names (docker: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`)
/// and of Kubernetes names and namespaces (DNS labels and subdomains).
fn is_name(s: &str) -> bool {
    s.len() <= 253
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Whether `s` reads as a container id prefix libs would show or accept.
fn is_id_prefix(s: &str) -> bool {
    (crate::cgroup::SHORT_ID_LEN..=crate::cgroup::FULL_ID_LEN).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The comma-separated items of several option values.
fn items<'a>(values: &'a [&'a str]) -> impl Iterator<Item = &'a str> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl ScopeSpec {
    /// Reads `--container` and `--pod` values (each may hold several,
    /// comma-separated; blank values are ignored). A pod is `NAME` or
    /// `NAMESPACE/NAME`.
    pub fn parse(containers: &[&str], pods: &[&str]) -> Result<ScopeSpec, ScopeError> {
        let mut spec = ScopeSpec::default();
        for c in items(containers) {
            if !is_name(c) {
                return Err(ScopeError::BadValue {
                    option: "container",
                    value: c.to_string(),
                    expected: "a container id (12 to 64 hex digits) or name",
                });
            }
            spec.containers.push(c.to_ascii_lowercase_if_id());
        }
        for p in items(pods) {
            let (namespace, name) = match p.split_once('/') {
                Some((ns, name)) => (Some(ns), name),
                None => (None, p),
            };
            if !is_name(name) || namespace.is_some_and(|ns| !is_name(ns)) {
                return Err(ScopeError::BadValue {
                    option: "pod",
                    value: p.to_string(),
                    expected: "a pod name, or NAMESPACE/NAME",
                });
            }
            spec.pods.push(PodRef {
                namespace: namespace.map(str::to_string),
                name: name.to_string(),
            });
        }
        Ok(spec)
    }

    /// Whether nothing is asked: the capture is not scoped.
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty() && self.pods.is_empty()
    }

    /// Whether the container with this full id is kept by id alone.
    pub fn matches_id(&self, full_id: &str) -> bool {
        self.containers
            .iter()
            .any(|c| is_id_prefix(c) && full_id.starts_with(c.as_str()))
    }

    /// Whether some container is asked by name or pod: deciding those needs
    /// the runtime's metadata.
    pub fn needs_metadata(&self) -> bool {
        !self.pods.is_empty() || self.containers.iter().any(|c| !is_id_prefix(c))
    }

    /// Whether `info` is kept: by id, by name, or by its pod.
    pub fn matches(&self, info: &ContainerInfo) -> bool {
        if self.matches_id(&info.full_id) || self.containers.contains(&info.name) {
            return true;
        }
        let Some(pod) = info.k8s_pod_name() else {
            return false;
        };
        let ns = info.k8s_ns_name();
        self.pods
            .iter()
            .any(|p| p.name == pod && p.namespace.as_deref().is_none_or(|want| Some(want) == ns))
    }

    /// `container web, pod shop/web-1` for logs and summaries.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .containers
            .iter()
            .map(|c| format!("container {c}"))
            .collect();
        parts.extend(self.pods.iter().map(|p| match &p.namespace {
            Some(ns) => format!("pod {ns}/{}", p.name),
            None => format!("pod {}", p.name),
        }));
        parts.join(", ")
    }
}

/// Ids are matched in lower case, as runtimes print them.
trait LowerIfId {
    fn to_ascii_lowercase_if_id(&self) -> String;
}

impl LowerIfId for str {
    fn to_ascii_lowercase_if_id(&self) -> String {
        if is_id_prefix(self) {
            self.to_ascii_lowercase()
        } else {
            self.to_string()
        }
    }
}

#[cfg(target_os = "linux")]
pub use tree::{CgroupTree, ContainerCgroup, Hierarchy};

#[cfg(target_os = "linux")]
mod tree {
    use std::os::unix::fs::MetadataExt;
    use std::path::{Path, PathBuf};

    use crate::cgroup::{self, ContainerType};

    /// Deepest cgroup directory looked at below the root (Kubernetes puts
    /// containers at depth 4: kubepods/burstable/pod<uid>/<id>).
    const MAX_DEPTH: usize = 8;
    /// Most directories read in one scan.
    const MAX_DIRS: usize = 20_000;

    /// Which cgroup hierarchy the probe reads a thread's cgroup from.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Hierarchy {
        /// cgroup v2 alone (`/sys/fs/cgroup` is cgroup2): the default
        /// hierarchy, where every controller's cgroup is the same.
        Unified,
        /// cgroup v1 or a hybrid (v1 controllers and a v2 `unified` beside
        /// them): the memory controller's hierarchy, the one every runtime
        /// places containers in to limit them.
        Memory,
    }

    /// One container's cgroup directory.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ContainerCgroup {
        /// The cgroup id: the directory's inode number (kernfs numbers
        /// both alike on 64-bit kernels).
        pub cgroup_id: u64,
        /// The container's full id, from the path.
        pub full_id: String,
        /// Its runtime, from the path's layout.
        pub runtime: ContainerType,
        /// The path below the hierarchy's root, as `/proc/PID/cgroup` shows it.
        pub path: String,
    }

    /// The cgroup hierarchy a scoped capture watches.
    #[derive(Debug, Clone)]
    pub struct CgroupTree {
        root: PathBuf,
        hierarchy: Hierarchy,
    }

    impl CgroupTree {
        /// The hierarchy under `base` (normally `/sys/fs/cgroup`): cgroup v2
        /// when its root has `cgroup.controllers`, else the v1 memory
        /// controller's. `None` when neither is there.
        pub fn detect(base: &Path) -> Option<CgroupTree> {
            if base.join("cgroup.controllers").exists() {
                return Some(CgroupTree {
                    root: base.to_path_buf(),
                    hierarchy: Hierarchy::Unified,
                });
            }
            let memory = base.join("memory");
            memory.join("cgroup.procs").exists().then_some(CgroupTree {
                root: memory,
                hierarchy: Hierarchy::Memory,
            })
        }

        /// A tree rooted at `root` read as `hierarchy` (tests).
        pub fn at(root: impl Into<PathBuf>, hierarchy: Hierarchy) -> CgroupTree {
            CgroupTree {
                root: root.into(),
                hierarchy,
            }
        }

        /// Which hierarchy it is.
        pub fn hierarchy(&self) -> Hierarchy {
            self.hierarchy
        }

        /// Its root directory.
        pub fn root(&self) -> &Path {
            &self.root
        }

        /// Every directory whose path names a container (libsinsp's
        /// layouts), down to [`MAX_DEPTH`]. Children of a container's
        /// directory are not listed: the probe keeps them through their
        /// ancestor. Unreadable directories are skipped.
        pub fn containers(&self) -> Vec<ContainerCgroup> {
            let mut out = Vec::new();
            let mut stack = vec![(self.root.clone(), String::new(), 0usize)];
            let mut seen = 0usize;
            while let Some((dir, rel, depth)) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for e in entries.flatten() {
                    if !e.file_type().is_ok_and(|t| t.is_dir()) {
                        continue;
                    }
                    seen += 1;
                    if seen > MAX_DIRS {
                        return out;
                    }
                    let Some(name) = e.file_name().to_str().map(str::to_string) else {
                        continue;
                    };
                    let path = format!("{rel}/{name}");
                    if let Some(m) = cgroup::parse_path(&path) {
                        if let Ok(md) = e.metadata() {
                            out.push(ContainerCgroup {
                                cgroup_id: md.ino(),
                                full_id: m.full_id.to_string(),
                                runtime: m.runtime,
                                path: path.clone(),
                            });
                        }
                    } else if depth + 1 < MAX_DEPTH {
                        stack.push((e.path(), path, depth + 1));
                    }
                }
            }
            out
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cgroup::ContainerType;

    fn info(id: &str, name: &str, pod: Option<(&str, &str)>) -> ContainerInfo {
        let mut c = ContainerInfo::new(id, ContainerType::Podman);
        c.name = name.into();
        if let Some((ns, pod)) = pod {
            c.add_label("io.kubernetes.pod.namespace", ns);
            c.add_label("io.kubernetes.pod.name", pod);
        }
        c
    }

    #[test]
    fn containers_by_id_or_name_and_pods_with_or_without_namespace() {
        let id = "ab".repeat(32);
        let other = "cd".repeat(32);
        let s = ScopeSpec::parse(&["web, ABABABABABAB"], &["shop/front", "db-0"]).unwrap();
        assert_eq!(s.containers, vec!["web", "abababababab"]);
        assert!(s.matches_id(&id) && !s.matches_id(&other));
        assert!(s.needs_metadata());
        assert!(s.matches(&info(&other, "web", None)));
        assert!(s.matches(&info(&id, "x", None)));
        assert!(s.matches(&info(&other, "x", Some(("shop", "front")))));
        assert!(!s.matches(&info(&other, "x", Some(("dev", "front")))));
        assert!(s.matches(&info(&other, "x", Some(("any", "db-0")))));
        assert!(!s.matches(&info(&other, "webb", None)));
        assert_eq!(
            s.describe(),
            "container web, container abababababab, pod shop/front, pod db-0"
        );
        let by_id = ScopeSpec::parse(&[&id[..12]], &[]).unwrap();
        assert!(!by_id.needs_metadata());
        assert!(ScopeSpec::parse(&[""], &[" "]).unwrap().is_empty());
    }

    #[test]
    fn values_no_container_or_pod_has_are_refused() {
        for bad in ["a b", "../x", "-x", "x;rm", "$(id)"] {
            assert!(ScopeSpec::parse(&[bad], &[]).is_err(), "{bad}");
            assert!(ScopeSpec::parse(&[], &[bad]).is_err(), "{bad}");
        }
        assert!(ScopeSpec::parse(&[], &["a/b/c"]).is_err());
        assert!(ScopeSpec::parse(&[], &["/pod"]).is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_tree_lists_container_directories_not_their_children() {
        let d = tempfile::tempdir().unwrap();
        let id = "ef".repeat(32);
        let c = d.path().join("libpod_parent").join(format!("libpod-{id}"));
        std::fs::create_dir_all(c.join("child")).unwrap();
        std::fs::create_dir_all(d.path().join("libpod_parent/conmon")).unwrap();
        let t = CgroupTree::at(d.path(), Hierarchy::Memory);
        let got = t.containers();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].full_id, id);
        assert_eq!(got[0].path, format!("/libpod_parent/libpod-{id}"));
        use std::os::unix::fs::MetadataExt;
        assert_eq!(got[0].cgroup_id, std::fs::metadata(&c).unwrap().ino());
    }
}
