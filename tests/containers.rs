//! Real containers (issue 22): podman with runc and cgroupfs, the image
//! `install/install.sh --deps` imports, Kubernetes pod labels set with
//! `--label`, and podman's Docker-compatible API from `podman system
//! service`. Skipped, with the reason, where podman or the image is missing,
//! unless CI=true.
//!
//! For now these check the ground the container support stands on: that a
//! labelled container runs the known workload, that its processes' cgroup
//! paths carry the container id in the layout the cgroup parser must read,
//! and that the API socket reports the name, image and labels the capture
//! has to carry (tests/containers-readers.md says how each reader takes them).
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::podman::{self, ApiService, Container, PodLabels};

fn pod_labels() -> PodLabels {
    PodLabels {
        pod_name: "web-7d4b9c".into(),
        namespace: "shop".into(),
        pod_uid: "0b1d4a8e-3f5c-4e7a-9a51-6c2f7e9d1b30".into(),
        container_name: "web".into(),
    }
}

/// Every cgroup line of a process in the container names the container by
/// its full id, in podman's cgroupfs layout `/libpod_parent/libpod-<id>`:
/// each cgroup v1 controller and the unified (v2) line of this hybrid
/// machine, or the unified line alone on a pure cgroup v2 machine.
fn assert_cgroups_name(cgroup: &str, id: &str, what: &str) {
    let lines: Vec<&str> = cgroup.lines().filter(|l| !l.is_empty()).collect();
    assert!(!lines.is_empty(), "{what}: empty cgroup file");
    for line in &lines {
        // hierarchy-ID:controller-list:path
        let path = line.splitn(3, ':').nth(2).unwrap_or("");
        assert_eq!(
            podman::libpod_id(path),
            Some(id),
            "{what}: cgroup line {line:?} does not name container {id}\n{cgroup}"
        );
    }
    assert!(
        lines.iter().any(|l| l.starts_with("0::")),
        "{what}: no unified (cgroup v2) line:\n{cgroup}"
    );
}

#[test]
fn labelled_container_runs_the_workload_and_its_cgroups_name_it() {
    if !podman::podman_available() {
        return;
    }
    let labels = pod_labels();
    let c = Container::run("sb-web", Some(&labels), &["sleep", "300"]);
    assert!(podman::is_full_id(&c.id), "{}", c.id);
    assert_eq!(c.inspect("{{.Id}}"), c.id);
    assert_eq!(c.inspect("{{.Name}}"), c.name);
    for (k, v) in labels.pairs() {
        assert_eq!(
            c.inspect(&format!("{{{{index .Config.Labels \"{k}\"}}}}")),
            v,
            "label {k}"
        );
    }

    // The container's first process, seen from the host, and a process
    // started in it later (`podman exec`), seen from inside.
    assert_cgroups_name(&c.host_cgroup(), &c.id, "host view of sleep");
    let o = c.exec(&["cat", "/proc/self/cgroup"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert_cgroups_name(&String::from_utf8_lossy(&o.stdout), &c.id, "exec'd cat");

    // The workload of the issue: a shell with a terminal (`script`), a
    // sensitive file read, a listener, and a new binary written and run
    // below /tmp.
    let o = c.exec(&["script", "-qec", "tty", "/dev/null"]);
    assert!(o.status.success(), "script: {}", common::stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("/dev/pts/"),
        "script gave no terminal: {:?}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = c.exec(&["cat", "/etc/shadow"]);
    assert!(
        o.status.success(),
        "cat /etc/shadow: {}",
        common::stderr(&o)
    );
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("root:"));
    let o = c.exec(&["sh", "-c", "nc -l -p 4444 </dev/null & sleep 0.2; kill $!"]);
    assert!(o.status.success(), "nc -l: {}", common::stderr(&o));
    let o = c.exec(&[
        "sh",
        "-c",
        "cp /bin/true /tmp/dropped && /tmp/dropped && echo ran",
    ]);
    assert!(o.status.success(), "new binary: {}", common::stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "ran");

    // The host's own processes are in no libpod cgroup.
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    assert!(
        own.lines()
            .all(|l| podman::libpod_id(l.splitn(3, ':').nth(2).unwrap_or("")).is_none()),
        "the test itself is in a container cgroup: {own}"
    );
}

#[test]
fn container_is_removed_on_drop() {
    if !podman::podman_available() {
        return;
    }
    let name = {
        let c = Container::run("sb-drop", None, &["sleep", "300"]);
        assert!(c.pid() > 0);
        c.name.clone()
    };
    let st = podman::podman()
        .args(["container", "exists", &name])
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(1), "{name} still exists after drop");
}

/// podman's Docker-compatible API answers on its own socket with what the
/// capture must carry: full id, name, image and the pod labels.
#[test]
fn docker_compatible_api_reports_name_image_and_pod_labels() {
    if !podman::podman_available() {
        return;
    }
    let labels = pod_labels();
    let c = Container::run("sb-api", Some(&labels), &["sleep", "300"]);
    let api = ApiService::start();
    let (status, body) = api.get(&format!("/v1.40/containers/{}/json", c.short_id()));
    assert_eq!(status, 200, "{body}");
    let j: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(j["Id"], c.id.as_str());
    assert_eq!(j["Name"], format!("/{}", c.name).as_str());
    assert_eq!(j["Config"]["Image"], podman::image().as_str());
    for (k, v) in labels.pairs() {
        assert_eq!(j["Config"]["Labels"][k], v, "label {k} in {body}");
    }
    assert_eq!(j["State"]["Pid"], u64::from(c.pid()));
    // The list the runtime gives at capture start, for containers that
    // already run.
    let (status, body) = api.get("/v1.40/containers/json");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&c.id), "{body}");
    let socket = api.socket.clone();
    drop(api);
    assert!(
        podman::http_get(&socket, "/_ping").is_err(),
        "the API service still answers after drop"
    );
}

/// `scapbridge capture -q -i scapbridge-syscalls` asking `api` for the
/// containers, with `args`, into `file`.
fn live_capture(api: &ApiService, args: &[&str], file: &std::path::Path) -> std::process::Command {
    let mut c = common::scapbridge();
    c.args([
        "capture",
        "-q",
        "-i",
        "scapbridge-syscalls",
        "--container-socket",
    ])
    .arg(&api.socket)
    .args(args)
    .arg("-w")
    .arg(file);
    c
}

/// A labelled container, running before the capture, reads /etc/shadow
/// with `cat` while `scapbridge capture -i scapbridge-syscalls --profile
/// compat` runs system-wide. The container's threads are known from the
/// `/proc` snapshot's cgroups (cat is a child of the container's shell, so
/// it inherits them) and its metadata from the runtime's socket, written as
/// a `container` event before the first event.
#[test]
fn live_capture_names_the_container_in_read_sysdig_029_and_the_rules() {
    if !common::have_fixtures() {
        return;
    }
    if !podman::podman_available() || !common::probe_available() || !common::have("sysdig") {
        return;
    }
    let labels = pod_labels();
    let api = ApiService::start();
    let c = Container::run(
        "sb-live",
        Some(&labels),
        &[
            "sh",
            "-c",
            "while [ ! -e /tmp/go ]; do sleep 0.1; done; cat /etc/shadow >/dev/null; sleep 300",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("live.scap");
    let cap = live_capture(&api, &["--profile", "compat", "--duration", "8"], &file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Events flow once the file grows past its header and process table.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut size = 0;
    while std::time::Instant::now() < deadline {
        let now = std::fs::metadata(&file).map_or(0, |m| m.len());
        if size > 0 && now > size + 64 * 1024 {
            break;
        }
        size = size.max(now);
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let o = c.exec(&["touch", "/tmp/go"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let o = cap.wait_with_output().unwrap();
    assert!(o.status.success(), "capture: {}", common::stderr(&o));

    // Our reader: the container's cat, named, with its pod.
    let fmt = "%proc.name %container.id %container.name %container.image.repository %k8s.pod.name %k8s.ns.name %k8s.pod.uid";
    let want = format!(
        "cat {} {} localhost/scapbridge-workload {} {} {}",
        c.short_id(),
        c.name,
        labels.pod_name,
        labels.namespace,
        labels.pod_uid
    );
    let o = common::run(
        common::scapbridge()
            .arg("read")
            .arg(&file)
            .args(["-p", fmt])
            .arg(format!("container.name={} and proc.name=cat", c.name)),
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let got = common::stdout_lines(&o);
    assert!(!got.is_empty(), "no events of the container's cat");
    assert!(got.iter().all(|l| *l == want), "{got:?}\nwant {want}");
    // The host's own processes (podman exec ran on the host) stay host.
    let o = common::run(common::scapbridge().arg("read").arg(&file).args([
        "-p",
        "%container.id %container.name",
        "proc.name=podman",
    ]));
    let got = common::stdout_lines(&o);
    assert!(!got.is_empty(), "no podman events on the host");
    assert!(got.iter().all(|l| l == "host host"), "{got:?}");

    // sysdig 0.29: the container's threads of the /proc snapshot (its
    // shell) carry the compat layout's extra cgroup entry, and the
    // container event gives name and pod.
    let sysdig = |filter: &str| {
        let o = std::process::Command::new("sysdig")
            .env("TZ", "UTC")
            .arg("-r")
            .arg(&file)
            .args([
                "-p",
                "*%proc.name %container.id %container.name %k8s.pod.name %k8s.ns.name",
            ])
            .arg(filter)
            .output()
            .unwrap();
        assert!(o.status.success(), "sysdig: {}", common::stderr(&o));
        common::stdout_lines(&o)
    };
    let shell = sysdig(&format!("container.id={} and proc.name=sh", c.short_id()));
    let want_sh = format!(
        "sh {} {} {} {}",
        c.short_id(),
        c.name,
        labels.pod_name,
        labels.namespace
    );
    assert!(!shell.is_empty(), "sysdig 0.29 puts no sh in the container");
    assert!(shell.iter().all(|l| *l == want_sh), "{shell:?}");
    let host = sysdig("proc.name=podman");
    assert!(!host.is_empty());
    assert!(
        host.iter().all(|l| l.starts_with("podman host host")),
        "{host:?}"
    );
    // cat was execve'd: sysdig 0.29 takes a thread's cgroups from the
    // execve exit itself, which the probe fills (issue 22, item 1).
    // (Other tests' containers run cat at the same time: this container's
    // by name; an unnamed cat would leave this empty.)
    let cat = sysdig(&format!(
        "proc.name=cat and evt.type=openat and container.name={}",
        c.name
    ));
    let execve_cgroups = common::stdout_lines(&common::run(
        common::scapbridge()
            .arg("read")
            .arg(&file)
            .args(["-p", "%evt.arg.cgroups"])
            .arg("proc.name=cat and evt.type=execve and evt.dir=< and evt.arg.cgroups contains libpod"),
    ));
    assert!(
        !execve_cgroups.is_empty(),
        "cat's execve exit carries no libpod cgroups"
    );
    let want_cat = want_sh.replacen("sh", "cat", 1);
    assert!(!cat.is_empty(), "sysdig 0.29 shows no openat of cat");
    assert!(cat.iter().all(|l| *l == want_cat), "{cat:?}");

    // The stock rules, unchanged: "Read sensitive file untrusted" fires on
    // the container's cat.
    let o = common::run(
        common::scapbridge()
            .arg("read")
            .arg(&file)
            .arg("--rules")
            .arg(common::fixtures().join("rules/falco_rules.yaml"))
            .arg(format!("container.name={}", c.name)),
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let alerts = common::stdout_lines(&o);
    assert!(
        alerts.iter().any(|l| l
            .contains("Sensitive file opened for reading by non-trusted program")
            && l.contains("file=/etc/shadow")
            && l.contains("process=cat")),
        "{alerts:?}"
    );
}

/// The stratoshark layout with a container: the `container` event (324)
/// our capture writes is one libs 0.23 reads and Stratoshark hides, so
/// every other row is still its own frame in strato, and our reader names
/// the container's processes from it.
#[test]
fn stratoshark_layout_with_a_container_keeps_every_row_its_own() {
    if !podman::podman_available() || !common::probe_available() {
        return;
    }
    let labels = pod_labels();
    let api = ApiService::start();
    let c = Container::run(
        "sb-strato",
        Some(&labels),
        &[
            "sh",
            "-c",
            "while true; do cat /etc/hostname >/dev/null; sleep 0.2; done",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("strato.scap");
    let pid = c.pid().to_string();
    let o = common::run(&mut live_capture(
        &api,
        &["--profile", "stratoshark", "--duration", "3", "--pid", &pid],
        &file,
    ));
    assert!(o.status.success(), "capture: {}", common::stderr(&o));
    let evs = common::events(&file, false).unwrap();
    let json: Vec<String> = evs
        .iter()
        .filter(|e| e.event_type == 324)
        .map(|e| String::from_utf8_lossy(&e.params[0]).into_owned())
        .collect();
    assert!(
        json.iter()
            .any(|j| j.contains(&c.name) && j.contains(&labels.pod_name)),
        "no container event naming {}: {json:?}",
        c.name
    );
    let o = common::run(common::scapbridge().arg("read").arg(&file).args([
        "-p",
        "%proc.name %container.name %k8s.pod.name",
        "proc.name=cat and evt.type=openat",
    ]));
    let got = common::stdout_lines(&o);
    assert!(!got.is_empty(), "no cat in the container");
    let want = format!("cat {} {}", c.name, labels.pod_name);
    assert!(got.iter().all(|l| *l == want), "{got:?}");
    if let Some(root) = common::sid_root() {
        let rows = common::assert_every_row_is_its_own(&root, dir.path(), "strato.scap");
        assert!(rows > 10, "strato shows {rows} rows");
    }
}

/// Falco's stock rules, unchanged, on the issue's workload in a labelled
/// container (a shell with a terminal from `podman exec -t`, a read of
/// /etc/shadow, a binary written below /tmp and run): "Terminal shell in
/// container", "Read sensitive file untrusted" and "Drop and execute new
/// binary in container" fire with the container and pod in their output;
/// the same shell with a terminal on the host fires no container rule.
#[test]
fn stock_container_rules_fire_on_the_workload_and_not_on_the_host() {
    if !common::have_fixtures() {
        return;
    }
    if !podman::podman_available() || !common::probe_available() || !common::have("script") {
        return;
    }
    let labels = pod_labels();
    let api = ApiService::start();
    let c = Container::run("sb-rules", Some(&labels), &["sleep", "300"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.scap");
    let log = dir.path().join("capture.log");
    let cap = live_capture(&api, &["--duration", "8"], &file)
        .args(common::capture_log_args(&log))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    common::wait_capturing(&log);
    // `script` gives podman (and so the shell in the container) a terminal.
    let workload = format!(
        "podman exec -t {} sh -c 'cat /etc/shadow >/dev/null; cp /bin/true /tmp/dropped; /tmp/dropped'",
        c.name
    );
    let o = common::run(std::process::Command::new("script").args(["-qc", &workload, "/dev/null"]));
    assert!(o.status.success(), "workload: {}", common::stderr(&o));
    let o = common::run(std::process::Command::new("script").args([
        "-qc",
        "sh -c 'cat /etc/hostname >/dev/null'",
        "/dev/null",
    ]));
    assert!(o.status.success(), "host shell: {}", common::stderr(&o));
    let o = cap.wait_with_output().unwrap();
    assert!(o.status.success(), "capture: {}", common::stderr(&o));
    let cap_err = common::stderr(&o);

    let rules = common::fixtures().join("rules/falco_rules.yaml");
    let o = common::run(
        common::scapbridge()
            .arg("read")
            .arg(&file)
            .arg("--rules")
            .arg(&rules)
            .arg("--json"),
    );
    let alerts: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let of = |rule: &str| -> Vec<&serde_json::Value> {
        alerts.iter().filter(|a| a["rule"] == rule).collect()
    };
    let pod = format!(
        "container_id={} container_name={} k8s_ns={} k8s_pod_name={}",
        c.short_id(),
        c.name,
        labels.namespace,
        labels.pod_name
    );
    for rule in [
        "Terminal shell in container",
        "Read sensitive file untrusted",
        "Drop and execute new binary in container",
    ] {
        let fired = of(rule);
        let ours: Vec<&&serde_json::Value> = fired
            .iter()
            .filter(|a| a["output_fields"]["container.name"] == c.name.as_str())
            .collect();
        assert!(
            !ours.is_empty(),
            "'{rule}' did not fire in the container; alerts: {:?}\n{}",
            alerts.iter().map(|a| &a["rule"]).collect::<Vec<_>>(),
            spawns_and_summary(&file, &log, &cap_err)
        );
        for a in ours {
            let text = a["output"].as_str().unwrap_or("");
            assert!(text.ends_with(&pod), "'{rule}' output: {text}");
            assert_eq!(a["output_fields"]["k8s.pod.name"], labels.pod_name.as_str());
        }
    }
    // The host's shell with a terminal raised no container rule.
    for a in of("Terminal shell in container") {
        assert_ne!(a["output_fields"]["container.id"], "host", "{a}");
    }
    let dropped = of("Drop and execute new binary in container");
    assert!(
        dropped
            .iter()
            .all(|a| a["output_fields"]["proc.exe"] == "/tmp/dropped"),
        "{dropped:?}"
    );
}

/// What a failed rule check needs to be studied (CI once saw "Terminal
/// shell in container" missing and left nothing else): every process
/// start in the file with the fields the rule's condition reads, the
/// file's summary (lost events) and the capture's log and stderr.
fn spawns_and_summary(file: &std::path::Path, log: &std::path::Path, cap_err: &str) -> String {
    let spawns = common::run(common::scapbridge().arg("read").arg(file).args([
        "-p",
        "%evt.num %thread.tid %proc.name %proc.pname %proc.ppid %proc.tty %container.name %evt.arg.res",
        "evt.type in (execve, execveat) and evt.dir=<",
    ]));
    let info = common::run(common::scapbridge().arg("info").arg(file));
    format!(
        "process starts:\n{}{}\nsummary:\n{}\ncapture log:\n{}\ncapture stderr:\n{cap_err}",
        String::from_utf8_lossy(&spawns.stdout),
        common::stderr(&spawns),
        String::from_utf8_lossy(&info.stdout),
        std::fs::read_to_string(log).unwrap_or_default()
    )
}

/// A container started during the capture is named as well as one that
/// ran before it: the runtime's answer for the new one arrives while
/// events flow, goes into the stream as a `container` event, and names the
/// new container's processes in our reader and in sysdig 0.29.
#[test]
fn a_container_started_during_the_capture_is_named_too() {
    if !podman::podman_available() || !common::probe_available() || !common::have("sysdig") {
        return;
    }
    let labels = pod_labels();
    let api = ApiService::start();
    let loop_cmd = [
        "sh",
        "-c",
        "while true; do cat /etc/hostname >/dev/null; sleep 0.2; done",
    ];
    let before = Container::run("sb-before", Some(&labels), &loop_cmd);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("during.scap");
    let log = dir.path().join("capture.log");
    let cap = live_capture(&api, &["--profile", "compat", "--duration", "9"], &file)
        .args(common::capture_log_args(&log))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    common::wait_capturing(&log);
    // A moment of the first container alone before the second starts.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let during = Container::run("sb-during", Some(&labels), &loop_cmd);
    let o = cap.wait_with_output().unwrap();
    assert!(o.status.success(), "capture: {}", common::stderr(&o));

    // The new container's event comes after the first events of the file.
    let evs = common::events(&file, false).unwrap();
    let first_syscall = evs
        .iter()
        .position(|e| e.event_type != 324)
        .expect("events");
    let at = evs
        .iter()
        .position(|e| {
            e.event_type == 324 && String::from_utf8_lossy(&e.params[0]).contains(&during.name)
        })
        .expect("a container event for the container started during the capture");
    assert!(
        at > first_syscall,
        "its event is at {at}, before any syscall"
    );
    for c in [&before, &during] {
        let o = common::run(common::scapbridge().arg("read").arg(&file).args([
            "-p",
            "%container.name %k8s.pod.name",
            &format!(
                "proc.name=cat and evt.type=openat and container.id={}",
                c.short_id()
            ),
        ]));
        let got = common::stdout_lines(&o);
        assert!(!got.is_empty(), "no cat of {} in our reader", c.name);
        let want = format!("{} {}", c.name, labels.pod_name);
        assert!(got.iter().all(|l| *l == want), "{got:?}");
        let o = common::run(
            std::process::Command::new("sysdig")
                .arg("-r")
                .arg(&file)
                .args([
                    "-p",
                    "%container.name",
                    &format!(
                        "proc.name=cat and evt.type=openat and container.id={}",
                        c.short_id()
                    ),
                ]),
        );
        let got = common::stdout_lines(&o);
        assert!(!got.is_empty(), "sysdig 0.29 puts no cat in {}", c.name);
        assert!(got.iter().all(|l| *l == c.name), "sysdig 0.29: {got:?}");
    }
}
