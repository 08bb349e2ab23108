//! Container metadata as Falco's container plugin gets it (issue 22, item 2).
//!
//! * [`cgroup`]: the container id and runtime in a cgroup path, a
//!   `/proc/PID/cgroup` text or a scap `cgroups` parameter (libsinsp's
//!   layouts: docker, podman, containerd/CRI, cri-o).

pub mod cgroup;

pub use cgroup::{CgroupMatch, ContainerType};
