//! What is known of one container: libsinsp's `sinsp_container_info`, and
//! the Kubernetes fields libs derives from the labels the CRI sets.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use crate::cgroup::{ContainerType, SHORT_ID_LEN};

/// Label values longer than this are dropped, as libs does
/// (`sinsp_container_info::m_container_label_max_length`, default 100):
/// it keeps kubectl's `last-applied-configuration` annotation out.
pub const LABEL_MAX_LEN: usize = 100;

/// The CRI label holding the pod's name (`k8s.pod.name`).
pub const LABEL_POD_NAME: &str = "io.kubernetes.pod.name";
/// The CRI label holding the pod's namespace (`k8s.ns.name`).
pub const LABEL_POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
/// The CRI label holding the pod's uid (`k8s.pod.uid`, `k8s.pod.id`).
pub const LABEL_POD_UID: &str = "io.kubernetes.pod.uid";
/// The CRI label holding the container's name in the pod spec.
pub const LABEL_CONTAINER_NAME: &str = "io.kubernetes.container.name";
/// The label dockershim sets on a pod's containers: its sandbox's id.
pub const LABEL_SANDBOX_ID: &str = "io.kubernetes.sandbox.id";

/// One mount of a container (`container.mount*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mount {
    /// Host path (`Source`).
    pub source: String,
    /// Path in the container (`Destination`).
    pub dest: String,
    /// Mount mode (`Mode`, e.g. `z`, `ro`).
    pub mode: String,
    /// Read-write (`RW`).
    pub rw: bool,
    /// Propagation (`Propagation`, e.g. `rprivate`).
    pub propagation: String,
}

impl Mount {
    /// libs' `source:dest:mode:rdwr:propagation` (`container.mounts` items).
    pub fn to_field(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}",
            self.source, self.dest, self.mode, self.rw, self.propagation
        )
    }
}

/// A container's metadata, field for field what libs keeps (and writes in
/// the container JSON event, see [`crate::json`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    /// The first 12 hex digits of the id (`container.id`; the cache key).
    pub id: String,
    /// The full id (`container.full_id`).
    pub full_id: String,
    /// The runtime (`container.type`).
    pub runtime: ContainerType,
    /// Name without docker's leading `/` (`container.name`).
    pub name: String,
    /// Image as the container was created from (`container.image`).
    pub image: String,
    /// Image repository (`container.image.repository`).
    pub image_repo: String,
    /// Image tag (`container.image.tag`; `latest` when none was given).
    pub image_tag: String,
    /// Image id, hex without `sha256:` (`container.image.id`).
    pub image_id: String,
    /// Registry digest `sha256:…` (`container.image.digest`), when known.
    pub image_digest: String,
    /// Labels (values over [`LABEL_MAX_LEN`] dropped).
    pub labels: BTreeMap<String, String>,
    /// Privileged (`container.privileged`).
    pub privileged: bool,
    /// Mounts (`container.mounts`).
    pub mounts: Vec<Mount>,
    /// IPv4 address (`container.ip`; libs tracks IPv4 only).
    pub ip: Option<Ipv4Addr>,
    /// The user the container runs as (`Config.User`), empty for the image's.
    pub user: String,
    /// Creation time, seconds since the epoch (libs' `created_time`).
    pub created_time: i64,
    /// Start time of its current run, ns since the epoch, when known.
    pub started_ns: Option<u64>,
    /// Host's pid namespace (`container.host_pid`).
    pub host_pid: bool,
    /// Host's network namespace (`container.host_network`).
    pub host_network: bool,
    /// Host's IPC namespace (`container.host_ipc`).
    pub host_ipc: bool,
    /// Whether it is a pod's sandbox (pause) container.
    pub is_pod_sandbox: bool,
    /// The pod sandbox's full id (`k8s.pod.full_sandbox_id`), when known.
    pub pod_sandbox_id: String,
    /// The pod's labels (`k8s.pod.label[…]`), from the pod sandbox.
    pub pod_sandbox_labels: BTreeMap<String, String>,
    /// Memory limit in bytes (0 = none).
    pub memory_limit: i64,
    /// Memory + swap limit in bytes (0 = none).
    pub swap_limit: i64,
    /// CPU shares (libs' default 1024).
    pub cpu_shares: i64,
    /// CFS quota (0 = none).
    pub cpu_quota: i64,
    /// CFS period (libs' default 100000).
    pub cpu_period: i64,
    /// CPUs in its cpuset (0 = no restriction).
    pub cpuset_cpu_count: i32,
}

impl ContainerInfo {
    /// An empty entry for `full_id` (short id taken from it), with libs'
    /// defaults (1024 shares, 100000 µs period).
    pub fn new(full_id: &str, runtime: ContainerType) -> ContainerInfo {
        ContainerInfo {
            id: short_id(full_id).to_string(),
            full_id: full_id.to_string(),
            runtime,
            name: String::new(),
            image: String::new(),
            image_repo: String::new(),
            image_tag: String::new(),
            image_id: String::new(),
            image_digest: String::new(),
            labels: BTreeMap::new(),
            privileged: false,
            mounts: Vec::new(),
            ip: None,
            user: String::new(),
            created_time: 0,
            started_ns: None,
            host_pid: false,
            host_network: false,
            host_ipc: false,
            is_pod_sandbox: false,
            pod_sandbox_id: String::new(),
            pod_sandbox_labels: BTreeMap::new(),
            memory_limit: 0,
            swap_limit: 0,
            cpu_shares: 1024,
            cpu_quota: 0,
            cpu_period: 100_000,
            cpuset_cpu_count: 0,
        }
    }

    /// Sets `image` and, from it, repository, tag and digest as libs'
    /// `split_container_image` does (`host[:port]/name[:tag][@digest]`;
    /// the tag defaults to `latest`). A non-empty digest already set is kept
    /// when the image names none.
    pub fn set_image(&mut self, image: &str) {
        self.image = image.to_string();
        let (repo, tag, digest) = split_image(image);
        self.image_repo = repo;
        self.image_tag = if tag.is_empty() { "latest".into() } else { tag };
        if !digest.is_empty() {
            self.image_digest = digest;
        }
    }

    /// Adds a label unless its value is longer than [`LABEL_MAX_LEN`].
    pub fn add_label(&mut self, key: &str, value: &str) {
        if value.len() <= LABEL_MAX_LEN {
            self.labels.insert(key.to_string(), value.to_string());
        }
    }

    fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }

    /// `k8s.pod.name`: the `io.kubernetes.pod.name` label.
    pub fn k8s_pod_name(&self) -> Option<&str> {
        self.label(LABEL_POD_NAME)
    }

    /// `k8s.ns.name`: the `io.kubernetes.pod.namespace` label.
    pub fn k8s_ns_name(&self) -> Option<&str> {
        self.label(LABEL_POD_NAMESPACE)
    }

    /// `k8s.pod.uid` (and the legacy `k8s.pod.id`): the `io.kubernetes.pod.uid` label.
    pub fn k8s_pod_uid(&self) -> Option<&str> {
        self.label(LABEL_POD_UID)
    }

    /// The container's name in the pod spec: `io.kubernetes.container.name`.
    pub fn k8s_container_name(&self) -> Option<&str> {
        self.label(LABEL_CONTAINER_NAME)
    }

    /// `k8s.pod.sandbox_id`: the first 12 characters of the sandbox id.
    pub fn k8s_pod_sandbox_id(&self) -> &str {
        let n = self.pod_sandbox_id.len().min(SHORT_ID_LEN);
        self.pod_sandbox_id.get(..n).unwrap_or_default()
    }

    /// `k8s.pod.label[key]`: from the pod sandbox's labels, as libs.
    pub fn k8s_pod_label(&self, key: &str) -> Option<&str> {
        self.pod_sandbox_labels.get(key).map(String::as_str)
    }

    /// `k8s.pod.labels`: the pod sandbox's labels as libs concatenates them
    /// (`k:v, k2:v2`, `annotation.*` and `io.kubernetes.*` left out).
    pub fn k8s_pod_labels(&self) -> String {
        scapbridge_formats::state::concatenate_labels(&self.pod_sandbox_labels, true)
    }

    /// `container.labels`: the container's labels, concatenated as
    /// [`ContainerInfo::k8s_pod_labels`].
    pub fn container_labels(&self) -> String {
        scapbridge_formats::state::concatenate_labels(&self.labels, true)
    }

    /// `container.mounts`: the mounts' [`Mount::to_field`] joined by `,`.
    pub fn mounts_field(&self) -> String {
        let v: Vec<String> = self.mounts.iter().map(Mount::to_field).collect();
        v.join(",")
    }
}

/// The first 12 characters of an id (all of it when shorter).
pub fn short_id(id: &str) -> &str {
    id.get(..SHORT_ID_LEN).unwrap_or(id)
}

/// libs' `sinsp_utils::split_container_image` with `split_repo = false`:
/// `(repository with its registry host, tag, digest)`.
pub fn split_image(image: &str) -> (String, String, String) {
    // The registry host is the part before the first '/', when there is one.
    let (host, rest) = match image.split_once('/') {
        Some((h, r)) => (Some(h), r),
        None => (None, image),
    };
    let (name_tag, digest) = match rest.split_once('@') {
        Some((n, d)) => (n, d),
        None => (rest, ""),
    };
    let (name, tag) = match name_tag.split_once(':') {
        Some((n, t)) => (n, t),
        None => (name_tag, ""),
    };
    let repo = match host {
        Some(h) => format!("{h}/{name}"),
        None => name.to_string(),
    };
    (repo, tag.to_string(), digest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_split_as_libs_does() {
        let cases = [
            (
                "localhost/scapbridge-workload:bookworm",
                ("localhost/scapbridge-workload", "bookworm", ""),
            ),
            ("redis", ("redis", "", "")),
            ("redis:7", ("redis", "7", "")),
            (
                "docker.io/library/redis:7.2",
                ("docker.io/library/redis", "7.2", ""),
            ),
            (
                "registry.local:5000/team/app:1.0",
                ("registry.local:5000/team/app", "1.0", ""),
            ),
            (
                "quay.io/falco/falco@sha256:abcd",
                ("quay.io/falco/falco", "", "sha256:abcd"),
            ),
            (
                "quay.io/falco/falco:0.38@sha256:abcd",
                ("quay.io/falco/falco", "0.38", "sha256:abcd"),
            ),
        ];
        for (image, (repo, tag, digest)) in cases {
            assert_eq!(
                split_image(image),
                (repo.to_string(), tag.to_string(), digest.to_string()),
                "{image}"
            );
        }
    }

    #[test]
    fn k8s_fields_come_from_the_cri_labels() {
        let mut c = ContainerInfo::new(&"ab".repeat(32), ContainerType::Cri);
        assert_eq!(c.id, "abababababab");
        c.set_image("nginx");
        assert_eq!(
            (c.image_repo.as_str(), c.image_tag.as_str()),
            ("nginx", "latest")
        );
        c.add_label(LABEL_POD_NAME, "web-7d4b9c");
        c.add_label(LABEL_POD_NAMESPACE, "shop");
        c.add_label(LABEL_POD_UID, "0b1d");
        c.add_label(LABEL_CONTAINER_NAME, "web");
        c.add_label("app", "web");
        c.add_label("annotation.kubectl", "x");
        c.add_label("too.long", &"v".repeat(LABEL_MAX_LEN + 1));
        assert_eq!(c.k8s_pod_name(), Some("web-7d4b9c"));
        assert_eq!(c.k8s_ns_name(), Some("shop"));
        assert_eq!(c.k8s_pod_uid(), Some("0b1d"));
        assert_eq!(c.k8s_container_name(), Some("web"));
        assert!(!c.labels.contains_key("too.long"));
        assert_eq!(c.container_labels(), "app:web");
        c.pod_sandbox_labels.insert("app".into(), "web".into());
        c.pod_sandbox_labels.insert("tier".into(), String::new());
        c.pod_sandbox_labels
            .insert(LABEL_POD_NAME.into(), "web-7d4b9c".into());
        assert_eq!(c.k8s_pod_labels(), "app:web, tier");
        assert_eq!(c.k8s_pod_label("app"), Some("web"));
        c.pod_sandbox_id = "cd".repeat(32);
        assert_eq!(c.k8s_pod_sandbox_id(), "cdcdcdcdcdcd");
        c.mounts.push(Mount {
            source: "/srv".into(),
            dest: "/data".into(),
            mode: "z".into(),
            rw: true,
            propagation: "rprivate".into(),
        });
        assert_eq!(c.mounts_field(), "/srv:/data:z:true:rprivate");
    }
}
