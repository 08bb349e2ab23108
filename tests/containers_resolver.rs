//! The container resolver (`scapbridge-containers`) against a real runtime:
//! podman (runc, cgroupfs) and its Docker-compatible API from `podman system
//! service`, through the same helpers as `containers.rs`. Skipped with a
//! reason when podman or the image is missing, unless CI=true.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::podman::{self, podman_available, ApiService, Container, PodLabels};
use common::wait_for;
use scapbridge_containers::cgroup::parse_proc_cgroup;
use scapbridge_containers::{
    container_json, ContainerInfo, ContainerType, Resolver, ResolverConfig,
};

fn pod(name: &str, ns: &str, uid: &str, cname: &str) -> PodLabels {
    PodLabels {
        pod_name: name.into(),
        namespace: ns.into(),
        pod_uid: uid.into(),
        container_name: cname.into(),
    }
}

fn run_labelled(base: &str, labels: &PodLabels) -> Container {
    Container::run(base, Some(labels), &["sleep", "300"])
}

fn check(info: &ContainerInfo, c: &Container, pod_name: &str, ns: &str, uid: &str) {
    assert_eq!(info.full_id, c.id);
    assert_eq!(info.id, &c.id[..12]);
    assert_eq!(info.name, c.name);
    assert_eq!(info.runtime, ContainerType::Podman);
    assert_eq!(info.image, podman::image());
    assert_eq!(info.image_repo, "localhost/scapbridge-workload");
    assert_eq!(info.image_tag, "bookworm");
    assert_eq!(info.image_id.len(), 64, "{:?}", info.image_id);
    assert_eq!(info.k8s_pod_name(), Some(pod_name));
    assert_eq!(info.k8s_ns_name(), Some(ns));
    assert_eq!(info.k8s_pod_uid(), Some(uid));
    assert!(info.created_time > 1_600_000_000, "{}", info.created_time);
    assert!(info.started_ns.is_some());
}

#[test]
fn containers_running_before_and_started_after_the_resolver_are_resolved() {
    if !podman_available() {
        return;
    }
    let svc = ApiService::start();
    let before = run_labelled("sb-before", &pod("web-7d4b9c", "shop", "0b1d-1", "web"));

    let r = Resolver::start(ResolverConfig::new(&svc.socket)).unwrap();
    // Listed at start: handed out by take_updates without any lookup.
    let mut seen: Vec<Arc<ContainerInfo>> = Vec::new();
    let got = wait_for(Duration::from_secs(20), || {
        seen.extend(r.take_updates());
        seen.iter().find(|i| i.full_id == before.id).cloned()
    })
    .expect("the running container is listed at start");
    check(&got, &before, "web-7d4b9c", "shop", "0b1d-1");
    assert_eq!(
        r.lookup(&before.id[..12]).map(|i| i.name.clone()),
        Some(before.name.clone())
    );

    // Started after: found from its cgroup, a miss first, then resolved.
    let after = run_labelled("sb-after", &pod("api-5f6c8d", "billing", "77aa-2", "api"));
    let cgroup_text = after.host_cgroup();
    let m = parse_proc_cgroup(&cgroup_text).expect("the cgroup names the container");
    assert_eq!(
        (m.full_id, m.runtime),
        (after.id.as_str(), ContainerType::Podman)
    );
    let t0 = Instant::now();
    let first = r.lookup(m.short_id());
    let miss_took = t0.elapsed();
    assert!(first.is_none(), "not known before it is asked for");
    assert!(
        miss_took < Duration::from_millis(5),
        "a miss took {miss_took:?}"
    );
    let t0 = Instant::now();
    let got = wait_for(Duration::from_secs(20), || r.lookup(m.short_id()))
        .expect("the new container is resolved");
    eprintln!(
        "miss answered in {miss_took:?}; resolved {:?} later",
        t0.elapsed()
    );
    check(&got, &after, "api-5f6c8d", "billing", "77aa-2");
    let updates = r.take_updates();
    assert!(
        updates.iter().any(|i| i.full_id == after.id),
        "take_updates hands the late answer out: {updates:?}"
    );
    // Its event JSON carries the names.
    let json = container_json(&got);
    assert!(
        json.contains(&format!("\"name\":\"{}\"", after.name)),
        "{json}"
    );
    assert!(
        json.contains("\"io.kubernetes.pod.name\":\"api-5f6c8d\""),
        "{json}"
    );

    // An id podman does not know: a miss, no update, no warning but counted.
    let unknown = "0123456789ab".repeat(5) + "cdef";
    assert!(r.lookup(&unknown).is_none());
    wait_for(Duration::from_secs(10), || {
        (r.stats().unknown >= 1).then_some(())
    })
    .expect("the unknown id is asked and answered 404");
    assert!(r.take_warnings().is_empty());
    let s = r.stats();
    eprintln!("{s:?}");
    assert_eq!(s.timeouts, 0);

    let t0 = Instant::now();
    drop(r);
    assert!(
        t0.elapsed() < Duration::from_secs(1),
        "drop took {:?}",
        t0.elapsed()
    );
}
