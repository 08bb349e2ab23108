//! `container.*` and `k8s.*` on hand-built events: a thread's container
//! from its cgroups (process list, execve, clone inheritance) and the
//! records of the capture's `container` events.

#![allow(clippy::unwrap_used)]

use scapbridge_filter::eval::OutputFormat;
use scapbridge_filter::{EvalContext, Filter};
use scapbridge_formats::meta::ProcessInfo;
use scapbridge_formats::schema::{self, Direction};
use scapbridge_formats::state::CaptureState;
use scapbridge_formats::{Event, OwnedEvent};

const ID: &str = "5bca5afd3dc545b7787391fce58a3430a2a0623e15ec2f1af99c9b051e1046a9";

fn json() -> String {
    format!(
        r#"{{"container":{{"Mounts":[{{"Source":"/srv","Destination":"/data","Mode":"z","RW":true,"Propagation":"rprivate"}}],"created_time":1700000000,"full_id":"{ID}","id":"5bca5afd3dc5","image":"localhost/scapbridge-workload:bookworm","imagedigest":"","imageid":"9a8efa2c78c8","imagerepo":"localhost/scapbridge-workload","imagetag":"bookworm","ip":"0.0.0.0","is_pod_sandbox":false,"labels":{{"io.kubernetes.pod.name":"web-7d4b9c","io.kubernetes.pod.namespace":"shop","io.kubernetes.pod.uid":"0b1d-1b30"}},"name":"sb-web","pod_sandbox_labels":{{"app":"web"}},"privileged":false,"type":11}}}}"#
    )
}

/// The exit event of `name` with the most parameters, with `values` by
/// parameter name (the others empty or zero).
fn exit(name: &str, ts: u64, tid: u64, values: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let id = schema::ids_named(name)
        .filter(|i| Direction::of(*i) == Direction::Exit)
        .max_by_key(|i| schema::event_info(*i).unwrap().params.len())
        .unwrap();
    let mut e = OwnedEvent::new(ts, tid, id);
    for p in schema::event_info(id).unwrap().params {
        let v = values
            .iter()
            .find(|(n, _)| *n == p.name)
            .map(|(_, v)| v.clone());
        e.push(v.unwrap_or_else(|| vec![0; p.ty.fixed_size().unwrap_or(0)]));
    }
    e.encode()
}

fn parse(raw: &[u8]) -> Event<'_> {
    let large = schema::event_info(u16::from_le_bytes([raw[20], raw[21]]))
        .is_some_and(|i| i.is_large_payload());
    Event::parse(raw, large).unwrap()
}

fn show(st: &CaptureState, raw: &[u8], fmt: &str) -> String {
    let cx = EvalContext { state: st, num: 1 };
    OutputFormat::new(fmt).unwrap().render(&parse(raw), cx).0
}

fn matches(st: &CaptureState, raw: &[u8], filter: &str) -> bool {
    Filter::new(filter)
        .unwrap()
        .matches(&parse(raw), EvalContext { state: st, num: 1 })
}

fn i64le(v: i64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn state() -> CaptureState {
    let mut st = CaptureState::new();
    st.add_processes(&[
        ProcessInfo {
            tid: 100,
            pid: 100,
            ptid: 1,
            comm: b"sleep".to_vec(),
            cgroups: format!("cpu=/libpod_parent/libpod-{ID}\0memory=/libpod_parent/libpod-{ID}\0")
                .into_bytes(),
            ..ProcessInfo::default()
        },
        ProcessInfo {
            tid: 200,
            pid: 200,
            ptid: 1,
            comm: b"bash".to_vec(),
            cgroups: b"cpu=/\0memory=/user.slice\0".to_vec(),
            ..ProcessInfo::default()
        },
    ]);
    let mut c = OwnedEvent::new(5, u64::MAX, schema::PPME_CONTAINER_JSON_2_E);
    let mut j = json().into_bytes();
    j.push(0);
    c.push(j);
    st.update(&parse(&c.encode()));
    st
}

const ALL: &str = "%container.id %container.full_id %container.name %container.image %container.image.repository %container.image.tag %container.image.id %container.image.digest %container.type %container.privileged %container.mounts %container.ip %container.start_ts %k8s.ns.name %k8s.pod.name %k8s.pod.uid %k8s.pod.labels %k8s.pod.label[app] %k8s.pod.label[none]";

#[test]
fn a_container_thread_has_its_container_fields_and_the_host_stays_host() {
    let st = state();
    let ev = exit("close", 10, 100, &[]);
    assert_eq!(
        show(&st, &ev, ALL),
        format!(
            "5bca5afd3dc5 {ID} sb-web localhost/scapbridge-workload:bookworm \
             localhost/scapbridge-workload bookworm 9a8efa2c78c8 <NA> podman false \
             /srv:/data:z:true:rprivate 0.0.0.0 1700000000000000000 shop web-7d4b9c \
             0b1d-1b30 app:web web <NA>"
        )
    );
    let host = exit("close", 10, 200, &[]);
    assert_eq!(
        show(&st, &host, ALL),
        "host host host <NA> <NA> <NA> <NA> <NA> host <NA> <NA> <NA> <NA> <NA> <NA> <NA> <NA> <NA> <NA>"
    );
    assert!(matches(
        &st,
        &ev,
        "container.name = sb-web and k8s.pod.name = web-7d4b9c"
    ));
    assert!(matches(&st, &host, "container.id = host"));
    assert!(!matches(&st, &host, "container.name = sb-web"));
    let later = exit("close", 1_700_000_005_000_000_000, 100, &[]);
    assert!(matches(&st, &later, "container.duration = 5000000000"));
}

#[test]
fn clone_children_inherit_cgroups_and_execve_sets_them() {
    let mut st = state();
    // sleep (100) forks 101; the child's clone exit carries no cgroups.
    let child = exit(
        "clone",
        20,
        101,
        &[("res", i64le(0)), ("pid", i64le(101)), ("ptid", i64le(100))],
    );
    st.update(&parse(&child));
    let ev = exit("close", 21, 101, &[]);
    assert_eq!(
        show(&st, &ev, "%container.id %container.name"),
        "5bca5afd3dc5 sb-web"
    );
    // bash (200) execs with a container's cgroups (a runtime's exec).
    let cg = format!("cpu=/libpod_parent/libpod-{ID}\0");
    let exec = exit(
        "execve",
        22,
        200,
        &[
            ("res", i64le(0)),
            ("exe", b"cat\0".to_vec()),
            ("cgroups", cg.into_bytes()),
        ],
    );
    st.update(&parse(&exec));
    let ev = exit("close", 23, 200, &[]);
    assert_eq!(
        show(&st, &ev, "%proc.name %container.name %k8s.ns.name"),
        "cat sb-web shop"
    );
    // A container named by its cgroups but never described: id only.
    let mut st = CaptureState::new();
    st.add_processes(&[ProcessInfo {
        tid: 7,
        pid: 7,
        cgroups: format!("cpu=/docker/{ID}\0").into_bytes(),
        ..ProcessInfo::default()
    }]);
    let ev = exit("close", 1, 7, &[]);
    assert_eq!(
        show(&st, &ev, "%container.id %container.name %container.image"),
        "5bca5afd3dc5 <NA> <NA>"
    );
}

#[test]
fn a_snapshot_keeps_cgroups_and_the_containers_for_a_new_file() {
    let st = state();
    let (procs, _) = st.snapshot();
    let mut b = CaptureState::new();
    b.add_processes(&procs);
    for c in st.containers() {
        b.update(&parse(&c.to_event(1).encode()));
    }
    let ev = exit("close", 10, 100, &[]);
    assert_eq!(show(&b, &ev, ALL), show(&st, &ev, ALL));
    assert_eq!(b.containers().count(), 1);
}

#[test]
fn container_field_arguments_are_checked() {
    assert!(Filter::new("k8s.pod.label = x").is_err());
    assert!(Filter::new("container.name[x] = y").is_err());
    assert!(Filter::new("k8s.pod.label[app] = web").is_ok());
}

/// libs 0.23 takes a connection's end as local when its address is the
/// thread's: one of the machine's interfaces on the host, the container's
/// own address in a container (not the machine's, though it is local to
/// the capture).
#[test]
fn the_local_end_of_a_connection_is_the_threads_own() {
    use scapbridge_formats::meta::{FdInfo, IfAddr, Interface};
    let mut st = CaptureState::new();
    st.add_interfaces(&[Interface::V4(IfAddr {
        name: b"eth0".to_vec(),
        addr: [10, 0, 2, 15],
        netmask: [255, 255, 255, 0],
        bcast: [10, 0, 2, 255],
        linkspeed: 0,
    })]);
    st.add_processes(&state().snapshot().0);
    let mut c = OwnedEvent::new(5, u64::MAX, schema::PPME_CONTAINER_JSON_2_E);
    let mut j = json()
        .replace(r#""ip":"0.0.0.0""#, r#""ip":"10.88.0.5""#)
        .into_bytes();
    j.push(0);
    c.push(j);
    st.update(&parse(&c.encode()));
    let sock = |fd, sip, sport, dip, dport| FdInfo::ipv4(fd, (sip, sport), (dip, dport), 3);
    // The host's bash (200): a client of a remote server, a server of a
    // remote client.
    st.add_fds(
        200,
        &[
            sock(3, [10, 0, 2, 15], 40000, [93, 184, 216, 34], 443),
            sock(4, [198, 51, 100, 7], 50000, [10, 0, 2, 15], 22),
        ],
    );
    // The container's sleep (100): a client of the machine's address.
    st.add_fds(100, &[sock(3, [10, 88, 0, 5], 41000, [10, 0, 2, 15], 8080)]);
    let fmt = "%fd.lip %fd.lport %fd.rip %fd.rport %fd.is_server";
    let write = |tid, fd| exit("write", 10, tid, &[("res", i64le(1)), ("fd", i64le(fd))]);
    assert_eq!(
        show(&st, &write(200, 3), fmt),
        "10.0.2.15 40000 93.184.216.34 443 false"
    );
    assert_eq!(
        show(&st, &write(200, 4), fmt),
        "10.0.2.15 22 198.51.100.7 50000 true"
    );
    assert_eq!(
        show(&st, &write(100, 3), fmt),
        "10.88.0.5 41000 10.0.2.15 8080 false"
    );
}

/// libs 0.23 looks a thread's user and group up in its container's list,
/// and a file lists the host's alone: a container's uid 1000 is `<NA>`
/// (root stays `root`), the host's is the list's name. sysdig 0.29 names
/// both from the list.
#[test]
fn users_are_named_from_the_list_on_the_host_only() {
    use scapbridge_formats::meta::UserEntry;
    use scapbridge_formats::Generation;
    let mut st = CaptureState::new();
    let mut procs = state().snapshot().0;
    for p in &mut procs {
        p.uid = 1000;
        p.gid = 1000;
    }
    st.add_processes(&procs);
    st.add_users(&[
        UserEntry::User {
            uid: 1000,
            gid: 1000,
            name: b"ubuntu".to_vec(),
            homedir: b"/home/ubuntu".to_vec(),
            shell: b"/bin/bash".to_vec(),
        },
        UserEntry::Group {
            gid: 1000,
            name: b"ubuntu".to_vec(),
        },
    ]);
    let fmt = "%user.name %group.name %user.loginname";
    assert_eq!(
        show(&st, &exit("close", 10, 200, &[]), fmt),
        "ubuntu ubuntu <NA>"
    );
    assert_eq!(
        show(&st, &exit("close", 10, 100, &[]), fmt),
        "<NA> <NA> <NA>"
    );
    // setuid(0) in the container: root without a list.
    let setuid = exit(
        "setuid",
        11,
        100,
        &[("res", i64le(0)), ("uid", 0u32.to_le_bytes().to_vec())],
    );
    st.update(&parse(&setuid));
    // A user id in the arguments is named for the event's thread the same
    // way, without the fallback to root (sysdig 0.41: `euid=0(<NA>)`).
    assert_eq!(show(&st, &setuid, "%evt.args"), "res=0 uid=0(<NA>)");
    let to = |tid, uid: u32| {
        exit(
            "setuid",
            13,
            tid,
            &[("res", i64le(0)), ("uid", uid.to_le_bytes().to_vec())],
        )
    };
    assert_eq!(
        show(&st, &to(100, 1000), "%evt.args"),
        "res=0 uid=1000(<NA>)"
    );
    assert_eq!(
        show(&st, &to(200, 1000), "%evt.args"),
        "res=0 uid=1000(ubuntu)"
    );
    assert_eq!(
        show(&st, &exit("close", 12, 100, &[]), "%user.name %user.uid"),
        "root 0"
    );
    let mut old = CaptureState::new();
    old.set_generation(Generation::Sysdig029);
    old.add_processes(&procs);
    old.add_users(&[UserEntry::User {
        uid: 1000,
        gid: 1000,
        name: b"ubuntu".to_vec(),
        homedir: b"/home/ubuntu".to_vec(),
        shell: b"/bin/bash".to_vec(),
    }]);
    assert_eq!(
        show(&old, &exit("close", 10, 100, &[]), "%user.name"),
        "ubuntu"
    );
}
