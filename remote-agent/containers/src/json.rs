//! The container metadata as libs writes it into a capture: the JSON
//! parameter of a `container` event (`PPME_CONTAINER_JSON_E`, 272, or
//! `PPME_CONTAINER_JSON_2_E`, 324, whose length fields are u32).
//!
//! Keys: those of libsinsp's `sinsp_container_manager::container_to_json`
//! (falcosecurity/libs `userspace/libsinsp/container.cpp`: `id`, `full_id`,
//! `type`, `name`, `image`, `imageid`, `imagerepo`, `imagetag`,
//! `imagedigest`, `privileged`, `is_pod_sandbox`, `lookup_state`,
//! `created_time`, `Mounts` [`Source`, `Destination`, `Mode`, `RW`,
//! `Propagation`], `ip` (dotted IPv4, `0.0.0.0` when none), `port_mappings`,
//! `labels`, `env`, `memory_limit`, `swap_limit`, `cpu_shares`, `cpu_quota`,
//! `cpu_period`, `cpuset_cpu_count`, `metadata_deadline`), plus the keys the
//! container plugin's `to_json`/`from_json` add (falcosecurity/plugins
//! `plugins/container/src/container_info_json.cpp`: `User`, `cni_json`,
//! `host_ipc`, `host_network`, `host_pid`, `pod_sandbox_id`,
//! `pod_sandbox_labels`, `size`), so both libs before 0.20 (sysdig 0.29) and
//! the plugin read every field. Readers ignore keys they do not know.

use serde_json::{json, Map, Value};

use crate::info::ContainerInfo;

/// libs' `sinsp_container_lookup::state::SUCCESSFUL`.
const LOOKUP_SUCCESSFUL: u8 = 1;

/// The event type of a container JSON event with u32 lengths (large payload).
pub const PPME_CONTAINER_JSON_2_E: u16 = 324;
/// The event type of the older container JSON event (u16 lengths).
pub const PPME_CONTAINER_JSON_E: u16 = 272;

fn labels(m: &std::collections::BTreeMap<String, String>) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect::<Map<String, Value>>(),
    )
}

/// The `{"container":{…}}` JSON of `c`, one line, as libs writes it in a
/// container event (without the NUL the event's charbuf adds).
pub fn container_json(c: &ContainerInfo) -> String {
    let mounts: Vec<Value> = c
        .mounts
        .iter()
        .map(|m| {
            json!({
                "Source": m.source,
                "Destination": m.dest,
                "Mode": m.mode,
                "RW": m.rw,
                "Propagation": m.propagation,
            })
        })
        .collect();
    let ip = c.ip.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED).to_string();
    let v = json!({
        "container": {
            "id": c.id,
            "full_id": c.full_id,
            "type": c.runtime.libs_code(),
            "name": c.name,
            "image": c.image,
            "imageid": c.image_id,
            "imagerepo": c.image_repo,
            "imagetag": c.image_tag,
            "imagedigest": c.image_digest,
            "privileged": c.privileged,
            "is_pod_sandbox": c.is_pod_sandbox,
            "lookup_state": LOOKUP_SUCCESSFUL,
            "created_time": c.created_time,
            "Mounts": mounts,
            "ip": ip,
            "port_mappings": [],
            "labels": labels(&c.labels),
            "env": [],
            "memory_limit": c.memory_limit,
            "swap_limit": c.swap_limit,
            "cpu_shares": c.cpu_shares,
            "cpu_quota": c.cpu_quota,
            "cpu_period": c.cpu_period,
            "cpuset_cpu_count": c.cpuset_cpu_count,
            "metadata_deadline": 0,
            "User": c.user,
            "cni_json": "",
            "host_ipc": c.host_ipc,
            "host_network": c.host_network,
            "host_pid": c.host_pid,
            "pod_sandbox_id": c.pod_sandbox_id,
            "pod_sandbox_labels": labels(&c.pod_sandbox_labels),
            "size": -1,
        }
    });
    v.to_string()
}

/// The encoded `json` parameter of a container event: the JSON and its NUL.
pub fn container_event_param(c: &ContainerInfo) -> Vec<u8> {
    let mut p = container_json(c).into_bytes();
    p.push(0);
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::ContainerType;
    use crate::info::Mount;

    #[test]
    fn keys_and_values_as_libs_writes_them() {
        let mut c = ContainerInfo::new(&"0a".repeat(32), ContainerType::Podman);
        c.name = "sb-web".into();
        c.set_image("localhost/scapbridge-workload:bookworm");
        c.image_id = "9a8efa2c78c8".into();
        c.add_label("io.kubernetes.pod.name", "web-7d4b9c");
        c.ip = Some("10.88.0.5".parse().expect("ip"));
        c.created_time = 1_700_000_000;
        c.mounts.push(Mount {
            source: "/srv".into(),
            dest: "/data".into(),
            mode: String::new(),
            rw: false,
            propagation: "rprivate".into(),
        });
        let s = container_json(&c);
        assert!(!s.contains('\n'));
        let v: Value = serde_json::from_str(&s).expect("valid JSON");
        let o = &v["container"];
        assert_eq!(o["id"], "0a0a0a0a0a0a");
        assert_eq!(o["full_id"], "0a".repeat(32));
        assert_eq!(o["type"], 11);
        assert_eq!(o["name"], "sb-web");
        assert_eq!(o["image"], "localhost/scapbridge-workload:bookworm");
        assert_eq!(o["imagerepo"], "localhost/scapbridge-workload");
        assert_eq!(o["imagetag"], "bookworm");
        assert_eq!(o["imageid"], "9a8efa2c78c8");
        assert_eq!(o["imagedigest"], "");
        assert_eq!(o["privileged"], false);
        assert_eq!(o["lookup_state"], 1);
        assert_eq!(o["created_time"], 1_700_000_000);
        assert_eq!(o["ip"], "10.88.0.5");
        assert_eq!(o["labels"]["io.kubernetes.pod.name"], "web-7d4b9c");
        assert_eq!(o["Mounts"][0]["Destination"], "/data");
        assert_eq!(o["Mounts"][0]["RW"], false);
        assert_eq!(o["cpu_shares"], 1024);
        assert_eq!(o["cpu_period"], 100_000);
        assert_eq!(o["User"], "");
        assert!(o["pod_sandbox_labels"].is_object());
        c.ip = None;
        let v: Value = serde_json::from_str(&container_json(&c)).expect("json");
        assert_eq!(v["container"]["ip"], "0.0.0.0");
        let p = container_event_param(&c);
        assert_eq!(p.last(), Some(&0));
    }
}
