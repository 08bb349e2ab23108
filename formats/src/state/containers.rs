//! Containers of a capture: the records of its `container` events
//! (`PPME_CONTAINER_JSON_E` 272, `PPME_CONTAINER_JSON_2_E` 324), kept as
//! libsinsp's container manager keeps them, and a thread's container from
//! its cgroups.

use std::collections::BTreeMap;

use crate::cgroup;
use crate::event::OwnedEvent;
use crate::json::{JsonDoc, JsonValue};
use crate::schema;

/// Labels as the container plugin concatenates them for `container.labels`
/// and `k8s.pod.labels`: `k:v, k2:v2` (a key alone when its value is
/// empty), in the iterator's order; with `skip_own`, the runtime's own
/// (`annotation.*`, `io.kubernetes.*`) left out.
pub fn concatenate_labels<'a>(
    labels: impl IntoIterator<Item = (&'a String, &'a String)>,
    skip_own: bool,
) -> String {
    let mut s = String::new();
    for (k, v) in labels {
        if skip_own && (k.starts_with("annotation.") || k.starts_with("io.kubernetes.")) {
            continue;
        }
        if !s.is_empty() {
            s.push_str(", ");
        }
        s.push_str(k);
        if !v.is_empty() {
            s.push(':');
            s.push_str(v);
        }
    }
    s
}

/// What a `container` event says of one container: the fields libsinsp's
/// `sinsp_container_info` keeps from the JSON (and the container plugin
/// reads), plus the JSON itself so a writer can put the event out again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerRecord {
    /// Short id, 12 hex digits (`container.id`; the table's key).
    pub id: String,
    /// Full id (`container.full_id`).
    pub full_id: String,
    /// libs' `sinsp_container_type` (0 docker, 6 cri, 7 containerd, 8
    /// cri-o, 11 podman…).
    pub ctype: u32,
    /// `container.name`.
    pub name: String,
    /// `container.image`.
    pub image: String,
    /// `container.image.id`.
    pub image_id: String,
    /// `container.image.repository`.
    pub image_repo: String,
    /// `container.image.tag`.
    pub image_tag: String,
    /// `container.image.digest`.
    pub image_digest: String,
    /// `container.privileged`, when the JSON says.
    pub privileged: Option<bool>,
    /// Mounts as `source:dest:mode:rw:propagation` (`container.mounts`).
    pub mounts: Vec<String>,
    /// IPv4 address as written (`container.ip`; `0.0.0.0` = none).
    pub ip: String,
    /// Labels (`io.kubernetes.pod.*` give the `k8s.*` fields).
    pub labels: BTreeMap<String, String>,
    /// Creation time, seconds since the epoch (0 = unknown).
    pub created_time: i64,
    /// Whether it is a pod's sandbox.
    pub is_pod_sandbox: bool,
    /// The pod sandbox's id.
    pub pod_sandbox_id: String,
    /// The pod's labels (`k8s.pod.label[…]`, `k8s.pod.labels`).
    pub pod_sandbox_labels: BTreeMap<String, String>,
    /// The event's JSON (`{"container":{…}}`, without the NUL).
    pub json: Vec<u8>,
}

/// The CRI label of the pod's name.
pub const LABEL_POD_NAME: &str = "io.kubernetes.pod.name";
/// The CRI label of the pod's namespace.
pub const LABEL_POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
/// The CRI label of the pod's uid.
pub const LABEL_POD_UID: &str = "io.kubernetes.pod.uid";

fn string_map(v: Option<JsonValue<'_, '_>>) -> BTreeMap<String, String> {
    v.map(|m| {
        m.members()
            .filter_map(|(k, v)| Some((k.into_owned(), v.as_str()?.into_owned())))
            .collect()
    })
    .unwrap_or_default()
}

impl ContainerRecord {
    /// The record of a `container` event's JSON (`{"container":{…}}`, a
    /// trailing NUL allowed), or `None` when it is not that shape or has
    /// no id.
    pub fn from_json(raw: &[u8]) -> Option<ContainerRecord> {
        let end = raw.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        let json = &raw[..end];
        let doc = JsonDoc::parse(json).ok()?;
        let c = doc.root().get("container")?;
        let s = |k: &str| {
            c.get(k)
                .and_then(|v| v.as_str().map(|s| s.into_owned()))
                .unwrap_or_default()
        };
        let num = |k: &str| c.get(k).and_then(|v| v.text().parse::<i64>().ok());
        let full_id = s("full_id");
        let mut id = s("id");
        if id.is_empty() {
            id = full_id
                .get(..cgroup::SHORT_ID_LEN)
                .unwrap_or(&full_id)
                .into();
        }
        if id.is_empty() {
            return None;
        }
        let mounts = c
            .get("Mounts")
            .map(|m| {
                m.items()
                    .map(|m| {
                        let f = |k: &str| {
                            m.get(k)
                                .map(|v| v.as_str().unwrap_or_else(|| v.text()))
                                .unwrap_or_default()
                        };
                        format!(
                            "{}:{}:{}:{}:{}",
                            f("Source"),
                            f("Destination"),
                            f("Mode"),
                            f("RW"),
                            f("Propagation")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(ContainerRecord {
            id,
            full_id,
            ctype: num("type").and_then(|t| u32::try_from(t).ok()).unwrap_or(0),
            name: s("name"),
            image: s("image"),
            image_id: s("imageid"),
            image_repo: s("imagerepo"),
            image_tag: s("imagetag"),
            image_digest: s("imagedigest"),
            privileged: c.get("privileged").and_then(|v| v.as_bool()),
            mounts,
            ip: s("ip"),
            labels: string_map(c.get("labels")),
            created_time: num("created_time").unwrap_or(0),
            is_pod_sandbox: c
                .get("is_pod_sandbox")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            pod_sandbox_id: s("pod_sandbox_id"),
            pod_sandbox_labels: string_map(c.get("pod_sandbox_labels")),
            json: json.to_vec(),
        })
    }

    /// `container.type`: the container plugin's names for libs' codes.
    pub fn type_name(&self) -> &'static str {
        match self.ctype {
            0 => "docker",
            1 => "lxc",
            2 => "libvirt-lxc",
            3 => "mesos",
            4 => "rkt",
            5 => "custom",
            6 => "cri",
            7 => "containerd",
            8 => "cri-o",
            9 => "bpm",
            10 => "static",
            11 => "podman",
            _ => "unknown",
        }
    }

    /// A label's value, if set.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }

    /// The `container` event (324, u32 lengths) carrying this record's
    /// JSON, at `ts`, thread -1 as libs writes it.
    pub fn to_event(&self, ts: u64) -> OwnedEvent {
        let mut e = OwnedEvent::new(ts, u64::MAX, schema::PPME_CONTAINER_JSON_2_E);
        let mut v = self.json.clone();
        v.push(0);
        e.push(v);
        e
    }
}

/// The short container id of a scap `cgroups` list (NUL-separated
/// `subsys=path`), empty for a host thread.
pub(super) fn container_id_of(cgroups: &[u8]) -> String {
    cgroup::parse_scap_cgroups(cgroups)
        .map(|m| m.short_id().to_string())
        .unwrap_or_default()
}

impl super::ThreadEntry {
    /// Sets the thread's cgroups and, from them, its container id. Cgroups
    /// equal to the thread's (an execve in the same cgroups: nearly every
    /// one) are neither copied nor parsed again.
    pub fn set_cgroups(&mut self, cgroups: &[u8]) {
        if *self.cgroups != *cgroups {
            self.container_id = container_id_of(cgroups).into();
            self.cgroups = cgroups.into();
        }
    }
}

impl super::CaptureState {
    /// A container `container` events described, by short id.
    pub fn container(&self, id: &str) -> Option<&ContainerRecord> {
        self.containers.get(id)
    }

    /// Every container the capture described, by short id: what a new
    /// file or window writes first ([`ContainerRecord::to_event`]) so it
    /// stands alone.
    pub fn containers(&self) -> impl Iterator<Item = &ContainerRecord> {
        self.containers.values()
    }

    /// Adds or replaces a container (as a `container` event does).
    pub fn add_container(&mut self, c: ContainerRecord) {
        // Socket fields compare this address on every event of a
        // container thread: parse it once, here.
        match c.ip.parse() {
            Ok(ip) => self.container_ipv4.insert(c.id.clone(), ip),
            Err(_) => self.container_ipv4.remove(&c.id),
        };
        self.containers.insert(c.id.clone(), c);
    }

    /// A `container` event (272 or 324): its JSON is the container's record.
    pub(super) fn on_container(&mut self, ev: &crate::event::Event<'_>) {
        if let Some(c) = ev.param(0).and_then(ContainerRecord::from_json) {
            self.add_container(c);
        }
    }
}
