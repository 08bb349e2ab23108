//! The container id in a thread's cgroups: the parser lives in
//! `scapbridge_formats::cgroup`, below the filter and the capture state
//! that need it too (a thread's `container.id`); re-exported here.

pub use scapbridge_formats::cgroup::*;
