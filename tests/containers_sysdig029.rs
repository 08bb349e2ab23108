//! The container JSON in a capture, read by sysdig 0.29 (`/usr/bin/sysdig`):
//! a process whose cgroups name the container, plus a `container` event
//! (CONTAINER_JSON_2_E, 324) with [`container_json`], make sysdig show the
//! container's name, image repository and pod name (tests/containers-readers.md).
//! Skipped when sysdig is missing, unless CI=true.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use scapbridge_containers::cgroup::parse_scap_cgroups;
use scapbridge_containers::json::{container_event_param, PPME_CONTAINER_JSON_2_E};
use scapbridge_containers::{ContainerInfo, ContainerType};
use scapbridge_formats::meta::ProcessInfo;
use scapbridge_formats::{Profile, ScapWriter, WriterOptions};

const ID: &str = "697956520d89a1c0ffee0ddba11de1ec7ab1e5c0de5eed5a1ad0decafbad94f3";

fn sysdig_029() -> bool {
    match Command::new("sysdig").arg("--version").output() {
        Ok(o) if String::from_utf8_lossy(&o.stdout).contains("0.29") => true,
        Ok(o) => common::skip(&format!(
            "sysdig is not 0.29: {}",
            String::from_utf8_lossy(&o.stdout).trim()
        )),
        Err(e) => common::skip(&format!("sysdig does not run: {e}")),
    }
}

fn container() -> ContainerInfo {
    let mut c = ContainerInfo::new(ID, ContainerType::Podman);
    c.name = "sb-web".into();
    c.set_image("localhost/scapbridge-workload:bookworm");
    c.image_id = "9a8efa2c78c8acb9065363de9261243533b9c48f3dbe0946aebdbf450f123e60".into();
    c.created_time = 1_700_000_000;
    c.add_label("io.kubernetes.pod.name", "web-7d4b9c");
    c.add_label("io.kubernetes.pod.namespace", "shop");
    c.add_label(
        "io.kubernetes.pod.uid",
        "0b1d7e0c-1b30-4c55-9d7a-3f1e2a9c1b30",
    );
    c.add_label("io.kubernetes.container.name", "web");
    c
}

fn process(tid: u64, comm: &str, cgroups: Vec<u8>) -> ProcessInfo {
    ProcessInfo {
        tid,
        pid: tid,
        ptid: 1,
        comm: comm.as_bytes().to_vec(),
        exe: comm.as_bytes().to_vec(),
        exepath: format!("/bin/{comm}").into_bytes(),
        cwd: b"/".to_vec(),
        fdlimit: 1024,
        vtid: tid as i64,
        vpid: tid as i64,
        cgroups,
        root: b"/".to_vec(),
        ..ProcessInfo::default()
    }
}

fn write_capture(path: &Path, c: &ContainerInfo) {
    // The container's real podman (cgroupfs) entries, which sysdig 0.29 does
    // not match, plus one in the systemd layout it knows (the research's
    // "extra entry").
    let mut cg = Vec::new();
    for sub in ["cpu", "memory", "pids"] {
        cg.extend_from_slice(format!("{sub}=/libpod_parent/libpod-{ID}\0").as_bytes());
    }
    cg.extend_from_slice(format!("scapbridge=/libpod-{ID}.scope\0").as_bytes());
    let m = parse_scap_cgroups(&cg).expect("our parser names the container");
    assert_eq!((m.full_id, m.runtime), (ID, ContainerType::Podman));

    let f = std::fs::File::create(path).unwrap();
    let mut w = ScapWriter::new(f, WriterOptions::new(Profile::Compat)).unwrap();
    w.write_processes(&[
        process(4242, "cat", cg),
        process(4343, "hostcat", b"cpu=/\0memory=/\0".to_vec()),
    ])
    .unwrap();
    let ts = 1_700_000_100_000_000_000u64;
    // libs writes container events with tid -1.
    w.write_parts(
        0,
        ts,
        u64::MAX,
        PPME_CONTAINER_JSON_2_E,
        &[&container_event_param(c)],
    )
    .unwrap();
    for (i, tid) in [4242u64, 4343].into_iter().enumerate() {
        let t = ts + 1_000 * (i as u64 + 1);
        // close enter (4) and exit (5)
        w.write_parts(0, t, tid, 4, &[&3i64.to_le_bytes()]).unwrap();
        w.write_parts(0, t + 100, tid, 5, &[&0i64.to_le_bytes()])
            .unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn sysdig_029_names_the_container_image_and_pod_from_the_json_event() {
    if !sysdig_029() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("container.scap");
    write_capture(&path, &container());
    let o = Command::new("sysdig")
        .arg("-r")
        .arg(&path)
        .args([
            "-p",
            "*%proc.name %container.id %container.name %container.image.repository %k8s.pod.name %k8s.ns.name",
            "evt.type=close and evt.dir=<",
        ])
        .env("TZ", "UTC")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "sysdig: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<&str> = out.lines().collect();
    eprintln!("{out}");
    assert_eq!(
        lines,
        [
            "cat 697956520d89 sb-web localhost/scapbridge-workload web-7d4b9c shop",
            "hostcat host host <NA> <NA> <NA>",
        ],
        "{out}"
    );
    // The brief's exact format.
    let o = Command::new("sysdig")
        .arg("-r")
        .arg(&path)
        .args([
            "-p",
            "%container.name %container.image.repository %k8s.pod.name",
            "proc.name=cat and evt.type=close and evt.dir=<",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "sb-web localhost/scapbridge-workload web-7d4b9c"
    );
}
