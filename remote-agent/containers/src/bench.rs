//! Cost of the container lookup path, for the bench binary: per lookup, a
//! cache hit by id, the cgroup parse alone (a container's and a host
//! thread's `cgroups`), and parse plus lookup.

use std::hint::black_box;
use std::time::Instant;

use crate::cgroup::{self, ContainerType};
use crate::info::ContainerInfo;
use crate::resolver::{Resolver, ResolverConfig};

/// Nanoseconds per lookup on each path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LookupCost {
    /// Containers in the cache.
    pub containers: usize,
    /// Lookups timed per path.
    pub lookups: usize,
    /// [`Resolver::lookup`] by short id, always a hit.
    pub hit_ns: f64,
    /// [`cgroup::parse_scap_cgroups`] of a container thread's `cgroups`
    /// (ten podman cgroupfs entries, as on this machine).
    pub parse_ns: f64,
    /// [`cgroup::parse_scap_cgroups`] of a host thread's `cgroups` (no match).
    pub parse_host_ns: f64,
    /// [`Resolver::lookup_cgroups`]: parse plus hit.
    pub parse_and_hit_ns: f64,
}

impl std::fmt::Display for LookupCost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} containers, {} lookups: hit {:.1} ns, cgroup parse {:.1} ns (host thread {:.1} ns), parse+hit {:.1} ns",
            self.containers,
            self.lookups,
            self.hit_ns,
            self.parse_ns,
            self.parse_host_ns,
            self.parse_and_hit_ns
        )
    }
}

/// A scap `cgroups` parameter of a podman (cgroupfs) container thread.
pub fn podman_cgroups(full_id: &str) -> Vec<u8> {
    let mut p = Vec::new();
    for sub in [
        "cpuset",
        "cpu",
        "cpuacct",
        "blkio",
        "memory",
        "devices",
        "freezer",
        "net_cls",
        "pids",
        "name=systemd",
    ] {
        p.extend_from_slice(format!("{sub}=/libpod_parent/libpod-{full_id}").as_bytes());
        p.push(0);
    }
    p
}

/// A host thread's `cgroups` parameter.
pub fn host_cgroups() -> Vec<u8> {
    let mut p = Vec::new();
    for sub in [
        "cpuset", "cpu", "cpuacct", "blkio", "memory", "devices", "freezer", "net_cls", "pids",
    ] {
        p.extend_from_slice(format!("{sub}=/\0").as_bytes());
    }
    p.extend_from_slice(b"name=systemd=/user.slice/user-0.slice/session-3.scope\0");
    p
}

/// A pseudo-random 64-hex id for container `i`.
fn fake_id(i: usize) -> String {
    let mut x = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut s = String::with_capacity(64);
    for _ in 0..4 {
        x ^= x >> 29;
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        s.push_str(&format!("{x:016x}"));
    }
    s
}

fn per(n: usize, t: Instant) -> f64 {
    t.elapsed().as_nanos() as f64 / n.max(1) as f64
}

/// Measures the paths with `n_containers` containers in the cache and
/// `n_lookups` lookups per path (ids taken round robin). The resolver has
/// no runtime socket: only the in-memory paths are timed.
pub fn lookup_cost(n_containers: usize, n_lookups: usize) -> std::io::Result<LookupCost> {
    let n_containers = n_containers.max(1);
    let r = Resolver::start(
        ResolverConfig::new("/nonexistent/scapbridge-bench.sock").list_at_start(false),
    )?;
    let ids: Vec<String> = (0..n_containers).map(fake_id).collect();
    for (i, id) in ids.iter().enumerate() {
        let mut c = ContainerInfo::new(id, ContainerType::Podman);
        c.name = format!("bench-{i}");
        r.insert(c);
    }
    let short: Vec<&str> = ids.iter().map(|i| &i[..12]).collect();
    let cgroups: Vec<Vec<u8>> = ids.iter().map(|i| podman_cgroups(i)).collect();
    let host = host_cgroups();

    let t = Instant::now();
    for i in 0..n_lookups {
        black_box(r.lookup(black_box(short[i % n_containers])));
    }
    let hit_ns = per(n_lookups, t);

    let t = Instant::now();
    for i in 0..n_lookups {
        black_box(cgroup::parse_scap_cgroups(black_box(
            &cgroups[i % n_containers],
        )));
    }
    let parse_ns = per(n_lookups, t);

    let t = Instant::now();
    for _ in 0..n_lookups {
        black_box(cgroup::parse_scap_cgroups(black_box(&host)));
    }
    let parse_host_ns = per(n_lookups, t);

    let t = Instant::now();
    for i in 0..n_lookups {
        black_box(r.lookup_cgroups(black_box(&cgroups[i % n_containers])));
    }
    let parse_and_hit_ns = per(n_lookups, t);

    Ok(LookupCost {
        containers: n_containers,
        lookups: n_lookups,
        hit_ns,
        parse_ns,
        parse_host_ns,
        parse_and_hit_ns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_runs_and_every_lookup_hits() {
        let c = lookup_cost(50, 10_000).expect("bench");
        assert_eq!(c.containers, 50);
        assert!(
            c.hit_ns > 0.0 && c.parse_ns > 0.0 && c.parse_and_hit_ns > 0.0,
            "{c}"
        );
        let id = fake_id(3);
        let cg = podman_cgroups(&id);
        let m = cgroup::parse_scap_cgroups(&cg).expect("match");
        assert_eq!(m.full_id, id);
        assert!(cgroup::parse_scap_cgroups(&host_cgroups()).is_none());
        eprintln!("{c}");
    }
}
