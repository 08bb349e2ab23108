//! The Docker-compatible API (docker's `/var/run/docker.sock`, podman's
//! `podman system service`): `GET /containers/json` and
//! `GET /containers/<id>/json`, parsed as libsinsp's docker engine does
//! (`userspace/libsinsp/container_engine/docker/async_source.cpp`, `parse`).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::cgroup::ContainerType;
use crate::error::{ClientError, HttpFault};
use crate::http;
use crate::info::{short_id, ContainerInfo, Mount, LABEL_SANDBOX_ID};

/// Docker's default socket.
pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";
/// Podman's default (root) socket.
pub const PODMAN_SOCKET: &str = "/run/podman/podman.sock";

/// Default time for one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// Default bound on a response body.
pub const DEFAULT_MAX_RESPONSE: usize = 4 * 1024 * 1024;

/// A client of one runtime socket. Each call is one connection and one
/// request, bounded in time and size.
#[derive(Debug, Clone)]
pub struct DockerClient {
    socket: PathBuf,
    timeout: Duration,
    max_response: usize,
    cancel: Option<Arc<AtomicBool>>,
}

/// One entry of `GET /containers/json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSummary {
    /// Full id.
    pub id: String,
    /// First name, without the leading `/`.
    pub name: String,
    /// Image as listed.
    pub image: String,
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

impl DockerClient {
    /// A client of `socket` with [`DEFAULT_TIMEOUT`] and [`DEFAULT_MAX_RESPONSE`].
    pub fn new(socket: impl Into<PathBuf>) -> DockerClient {
        DockerClient {
            socket: socket.into(),
            timeout: DEFAULT_TIMEOUT,
            max_response: DEFAULT_MAX_RESPONSE,
            cancel: None,
        }
    }

    /// Sets the time one request may take.
    pub fn with_timeout(mut self, timeout: Duration) -> DockerClient {
        self.timeout = timeout;
        self
    }

    /// Sets the bound on a response body.
    pub fn with_max_response(mut self, bytes: usize) -> DockerClient {
        self.max_response = bytes;
        self
    }

    /// A flag that, once set, makes requests in progress end with
    /// [`ClientError::Cancelled`] within [`http::SLICE`].
    pub fn with_cancel(mut self, flag: Arc<AtomicBool>) -> DockerClient {
        self.cancel = Some(flag);
        self
    }

    /// The socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `GET path`: the raw response.
    pub fn get(&self, path: &str) -> Result<http::Response, ClientError> {
        http::get(
            &self.socket,
            path,
            self.timeout,
            self.max_response,
            self.cancel.as_deref(),
        )
    }

    /// `GET path` as JSON; `None` on 404.
    fn get_json(&self, path: &str) -> Result<Option<(Value, bool)>, ClientError> {
        let r = self.get(path)?;
        match r.status {
            200 => Ok(Some((serde_json::from_slice(&r.body)?, r.libpod))),
            404 => Ok(None),
            status => {
                let message = serde_json::from_slice::<Value>(&r.body)
                    .ok()
                    .and_then(|v| v["message"].as_str().map(str::to_string))
                    .unwrap_or_else(|| {
                        String::from_utf8_lossy(&r.body[..r.body.len().min(200)]).into_owned()
                    });
                Err(ClientError::Status { status, message })
            }
        }
    }

    /// The running containers (`GET /containers/json`).
    pub fn list(&self) -> Result<Vec<ContainerSummary>, ClientError> {
        let (v, _) = self
            .get_json("/containers/json")?
            .ok_or(ClientError::NotFound {
                path: "/containers/json",
            })?;
        let arr = v
            .as_array()
            .ok_or(ClientError::BadResponse(HttpFault::ListNotAnArray))?;
        Ok(arr
            .iter()
            .filter(|c| !s(&c["Id"]).is_empty())
            .map(|c| ContainerSummary {
                id: s(&c["Id"]).to_string(),
                name: c["Names"]
                    .as_array()
                    .and_then(|n| n.first())
                    .map(|n| s(n).trim_start_matches('/').to_string())
                    .unwrap_or_default(),
                image: s(&c["Image"]).to_string(),
            })
            .collect())
    }

    /// One container (`GET /containers/<id>/json`, id full or a prefix);
    /// `None` when the runtime does not know it. The image's digest is asked
    /// for (`GET /images/<id>/json`) when the image name carries none, and
    /// the address of a container sharing another's network from that one,
    /// as libsinsp does; those extra questions failing leaves the fields
    /// empty.
    pub fn inspect(&self, id: &str) -> Result<Option<ContainerInfo>, ClientError> {
        let Some((v, libpod)) = self.get_json(&format!("/containers/{id}/json"))? else {
            return Ok(None);
        };
        let runtime = if libpod {
            ContainerType::Podman
        } else {
            ContainerType::Docker
        };
        let mut c = parse_inspect(&v, runtime)?;
        if c.image_digest.is_empty() && !c.image_id.is_empty() {
            if let Ok(Some((img, _))) = self.get_json(&format!("/images/{}/json", c.image_id)) {
                c.image_digest = image_digest(&img, &c.image_repo);
            }
        }
        if c.ip.is_none() {
            let mode = s(&v["HostConfig"]["NetworkMode"]);
            if let Some(other) = mode.strip_prefix("container:") {
                if let Ok(Some((o, _))) = self.get_json(&format!("/containers/{other}/json")) {
                    c.ip = ipv4(s(&o["NetworkSettings"]["IPAddress"]));
                }
            }
        }
        Ok(Some(c))
    }
}

fn ipv4(s: &str) -> Option<Ipv4Addr> {
    s.parse().ok().filter(|ip: &Ipv4Addr| !ip.is_unspecified())
}

/// The digest of an image (`GET /images/<id>/json`): podman's `Digest`, else
/// the `RepoDigests` entry of `repo`, else the only one.
fn image_digest(img: &Value, repo: &str) -> String {
    if let Some(d) = img["Digest"].as_str().filter(|d| !d.is_empty()) {
        return d.to_string();
    }
    let digests: Vec<&str> = img["RepoDigests"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for d in &digests {
        if let Some((r, dig)) = d.split_once('@') {
            if !repo.is_empty() && r.contains(repo) {
                return dig.to_string();
            }
        }
    }
    let mut set: Vec<&str> = digests
        .iter()
        .filter_map(|d| d.split_once('@').map(|(_, g)| g))
        .collect();
    set.dedup();
    if set.len() == 1 {
        set[0].to_string()
    } else {
        String::new()
    }
}

/// CPUs in a cpuset list (`0-3,8`).
fn cpuset_count(list: &str) -> i32 {
    list.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| match p.trim().split_once('-') {
            Some((a, b)) => match (a.parse::<i32>(), b.parse::<i32>()) {
                (Ok(a), Ok(b)) if b >= a => b - a + 1,
                _ => 0,
            },
            None => i32::from(p.trim().parse::<i32>().is_ok()),
        })
        .sum()
}

/// A `GET /containers/<id>/json` answer as libsinsp's docker engine reads it.
pub fn parse_inspect(v: &Value, runtime: ContainerType) -> Result<ContainerInfo, ClientError> {
    let full_id = s(&v["Id"]);
    if full_id.is_empty() {
        return Err(ClientError::BadResponse(HttpFault::NoContainerId));
    }
    let mut c = ContainerInfo::new(full_id, runtime);
    let config = &v["Config"];
    let host = &v["HostConfig"];

    // Image: Config.Image is the name it was run with; Image is the id
    // (docker, podman's compat API: `sha256:<hex>`) or a name (older podman).
    let name_used = s(&config["Image"]);
    let image_field = s(&v["Image"]);
    if image_field.contains('/') {
        c.set_image(if name_used.is_empty() {
            image_field
        } else {
            name_used
        });
    } else {
        c.image_id = image_field
            .split_once(':')
            .map_or(image_field, |(_, h)| h)
            .to_string();
        c.set_image(name_used);
    }

    c.user = s(&config["User"]).to_string();
    c.name = s(&v["Name"]).trim_start_matches('/').to_string();
    c.is_pod_sandbox = c.name.starts_with("k8s_POD");
    c.created_time = rfc3339_ns(s(&v["Created"])).map_or(0, |ns| ns.div_euclid(1_000_000_000));
    c.started_ns = rfc3339_ns(s(&v["State"]["StartedAt"]))
        .and_then(|ns| u64::try_from(ns).ok())
        .filter(|&ns| ns > 0);
    c.ip = ipv4(s(&v["NetworkSettings"]["IPAddress"]));
    if let Some(labels) = config["Labels"].as_object() {
        for (k, val) in labels {
            c.add_label(k, s(val));
        }
    }
    if let Some(sandbox) = c.labels.get(LABEL_SANDBOX_ID) {
        c.pod_sandbox_id = sandbox.clone();
    }

    c.memory_limit = host["Memory"].as_i64().unwrap_or(0);
    c.swap_limit = host["MemorySwap"].as_i64().unwrap_or(0);
    if let Some(shares) = host["CpuShares"].as_i64().filter(|&x| x > 0) {
        c.cpu_shares = shares;
    }
    c.cpu_quota = host["CpuQuota"]
        .as_i64()
        .unwrap_or(0)
        .max(host["NanoCpus"].as_i64().unwrap_or(0) / 10_000);
    if let Some(period) = host["CpuPeriod"].as_i64().filter(|&x| x > 0) {
        c.cpu_period = period;
    }
    c.cpuset_cpu_count = cpuset_count(s(&host["CpusetCpus"]));
    c.privileged = host["Privileged"].as_bool().unwrap_or(false);
    c.host_pid = s(&host["PidMode"]) == "host";
    c.host_network = s(&host["NetworkMode"]) == "host";
    c.host_ipc = s(&host["IpcMode"]) == "host";
    if let Some(mounts) = v["Mounts"].as_array() {
        c.mounts = mounts
            .iter()
            .map(|m| Mount {
                source: s(&m["Source"]).to_string(),
                dest: s(&m["Destination"]).to_string(),
                mode: s(&m["Mode"]).to_string(),
                rw: m["RW"].as_bool().unwrap_or(false),
                propagation: s(&m["Propagation"]).to_string(),
            })
            .collect();
    }
    debug_assert_eq!(c.id, short_id(full_id));
    Ok(c)
}

/// An RFC 3339 time (`2026-12-05T16:52:25.344766432Z`, `…+01:00`) as ns
/// since the epoch; `None` for anything else, and for docker's "never"
/// (`0001-01-01T00:00:00Z`).
pub fn rfc3339_ns(t: &str) -> Option<i64> {
    scapbridge_formats::time::parse_rfc3339(t).and_then(|ns| i64::try_from(ns).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        assert_eq!(rfc3339_ns("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            rfc3339_ns("2023-11-14T22:13:20Z"),
            Some(1_700_000_000_000_000_000)
        );
        assert_eq!(
            rfc3339_ns("2026-12-05T16:52:25.344766432Z"),
            Some(1_796_489_545_344_766_432)
        );
        assert_eq!(
            rfc3339_ns("2026-12-05T17:52:25.5+01:00"),
            Some(1_796_489_545_500_000_000)
        );
        assert_eq!(rfc3339_ns("0001-01-01T00:00:00Z"), None);
        assert_eq!(rfc3339_ns(""), None);
        assert_eq!(rfc3339_ns("2026-13-05T16:52:25Z"), None);
        assert_eq!(rfc3339_ns("2026-12-05T16:52:25"), None);
    }

    #[test]
    fn cpusets() {
        assert_eq!(cpuset_count(""), 0);
        assert_eq!(cpuset_count("0-3,8"), 5);
        assert_eq!(cpuset_count("1"), 1);
    }

    /// The shape podman 4.3's compat API answers on this machine (trimmed).
    #[test]
    fn podman_inspect_answer() {
        let id = "fa2c2f066c1a6917d77d269921fa6f7a55d7643adac2ad41562251950e15f955";
        let v: Value = serde_json::from_str(&format!(
            r#"{{"Id":"{id}","Created":"2026-12-05T16:52:25.344766432Z",
            "State":{{"Status":"running","Running":true,"Pid":14071,"StartedAt":"2026-12-05T16:52:25.41248713Z"}},
            "Image":"sha256:9a8efa2c78c8acb9065363de9261243533b9c48f3dbe0946aebdbf450f123e60",
            "Name":"/probe1",
            "HostConfig":{{"NetworkMode":"none","IpcMode":"shareable","PidMode":"private","Privileged":false,
              "CpuShares":0,"Memory":0,"NanoCpus":0,"CpuPeriod":0,"CpuQuota":0,"CpusetCpus":"","MemorySwap":0}},
            "Mounts":[{{"Type":"bind","Source":"/srv","Destination":"/data","Mode":"","RW":true,"Propagation":"rprivate"}}],
            "Config":{{"Hostname":"fa2c2f066c1a","User":"","Image":"localhost/scapbridge-workload:bookworm",
              "Labels":{{"io.kubernetes.pod.name":"web-1","io.kubernetes.pod.namespace":"shop"}}}},
            "NetworkSettings":{{"IPAddress":"","Networks":{{}}}}}}"#
        ))
        .expect("json");
        let c = parse_inspect(&v, ContainerType::Podman).expect("parse");
        assert_eq!(c.id, "fa2c2f066c1a");
        assert_eq!(c.full_id, id);
        assert_eq!(c.name, "probe1");
        assert_eq!(c.image, "localhost/scapbridge-workload:bookworm");
        assert_eq!(c.image_repo, "localhost/scapbridge-workload");
        assert_eq!(c.image_tag, "bookworm");
        assert_eq!(
            c.image_id,
            "9a8efa2c78c8acb9065363de9261243533b9c48f3dbe0946aebdbf450f123e60"
        );
        assert_eq!(c.k8s_pod_name(), Some("web-1"));
        assert_eq!(c.k8s_ns_name(), Some("shop"));
        assert_eq!(c.created_time, 1_796_489_545);
        assert_eq!(c.started_ns, Some(1_796_489_545_412_487_130));
        assert_eq!(c.ip, None);
        assert_eq!((c.cpu_shares, c.cpu_period), (1024, 100_000));
        assert!(!c.privileged && !c.host_network && !c.host_pid && !c.host_ipc);
        assert_eq!(c.mounts_field(), "/srv:/data::true:rprivate");
    }

    #[test]
    fn docker_inspect_answer() {
        let id = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";
        let v: Value = serde_json::from_str(&format!(
            r#"{{"Id":"{id}","Created":"2023-11-14T22:13:20.5Z","Name":"/k8s_web_web-7d4b9c_shop_0b1d_0",
            "Image":"sha256:ddcca4b8a6f0367b5de2764dfe76b0a4bfa6d75237932185923705da47004347",
            "HostConfig":{{"NetworkMode":"host","PidMode":"host","IpcMode":"host","Privileged":true,"CpuShares":512,
              "NanoCpus":500000000,"CpusetCpus":"0-1","Memory":268435456}},
            "Config":{{"User":"1000:1000","Image":"docker.io/library/nginx@sha256:aaaa",
              "Labels":{{"io.kubernetes.sandbox.id":"cdcdcdcdcdcdcdcd","io.kubernetes.pod.uid":"0b1d"}}}},
            "NetworkSettings":{{"IPAddress":"172.17.0.2"}}}}"#
        ))
        .expect("json");
        let c = parse_inspect(&v, ContainerType::Docker).expect("parse");
        assert_eq!(c.name, "k8s_web_web-7d4b9c_shop_0b1d_0");
        assert!(!c.is_pod_sandbox);
        assert_eq!(c.image_repo, "docker.io/library/nginx");
        assert_eq!(c.image_tag, "latest");
        assert_eq!(c.image_digest, "sha256:aaaa");
        assert_eq!(c.user, "1000:1000");
        assert_eq!(c.ip, Some(Ipv4Addr::new(172, 17, 0, 2)));
        assert!(c.privileged && c.host_network && c.host_pid && c.host_ipc);
        assert_eq!(
            (c.cpu_shares, c.cpu_quota, c.cpuset_cpu_count),
            (512, 50_000, 2)
        );
        assert_eq!(c.memory_limit, 268_435_456);
        assert_eq!(c.pod_sandbox_id, "cdcdcdcdcdcdcdcd");
        assert_eq!(c.k8s_pod_sandbox_id(), "cdcdcdcdcdcd");
        assert_eq!(c.created_time, 1_700_000_000);
    }

    #[test]
    fn digests_from_image_answers() {
        let podman: Value =
            serde_json::from_str(r#"{"Digest":"sha256:1111","RepoDigests":[]}"#).expect("json");
        assert_eq!(image_digest(&podman, "x"), "sha256:1111");
        let docker: Value = serde_json::from_str(
            r#"{"RepoDigests":["docker.io/library/redis@sha256:2222","other/redis@sha256:3333"]}"#,
        )
        .expect("json");
        assert_eq!(image_digest(&docker, "other/redis"), "sha256:3333");
        let local: Value =
            serde_json::from_str(r#"{"RepoDigests":["a@sha256:4444"]}"#).expect("json");
        assert_eq!(image_digest(&local, "retagged"), "sha256:4444");
        assert_eq!(image_digest(&Value::Null, "x"), "");
    }
}
