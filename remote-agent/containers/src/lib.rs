//! Container metadata as Falco's container plugin gets it (issue 22, item 2).
//!
//! * [`cgroup`]: the container id and runtime in a cgroup path, a
//!   `/proc/PID/cgroup` text or a scap `cgroups` parameter (libsinsp's
//!   layouts: docker, podman, containerd/CRI, cri-o).
//! * [`info`]: [`ContainerInfo`], libsinsp's container record, with the
//!   Kubernetes fields derived from the CRI labels.
//! * [`docker`]: a client of the Docker-compatible API (docker, podman)
//!   over a unix socket, on [`http`], a minimal bounded HTTP/1.1 client.
//! * [`resolver`]: [`Resolver`], a cache answering at once with a background
//!   thread asking the runtime.
//! * [`json`]: [`container_json`], the JSON of the `container` event libs
//!   writes into a capture.
//! * [`scope`]: [`ScopeSpec`], the containers a scoped capture keeps
//!   (`--container`, `--pod`), and on Linux the cgroup directories holding
//!   containers, whose ids the probe checks in the kernel.
//! * [`bench`]: the per-lookup cost of these paths.
//!
//! Dependencies: std, serde_json, thiserror, and scapbridge-formats for the
//! cgroup parser ([`cgroup`] re-exports it).

pub mod bench;
pub mod cgroup;
pub mod docker;
pub mod error;
pub mod http;
pub mod info;
pub mod json;
pub mod resolver;
pub mod scope;

pub use cgroup::{CgroupMatch, ContainerType};
pub use docker::{ContainerSummary, DockerClient};
pub use error::{ClientError, HttpFault};
pub use info::{ContainerInfo, Mount};
pub use json::container_json;
pub use resolver::{Resolver, ResolverConfig, ResolverStats, ResolverWarning};
#[cfg(target_os = "linux")]
pub use scope::{CgroupTree, ContainerCgroup, Hierarchy};
pub use scope::{PodRef, ScopeError, ScopeSpec};
