//! Real containers for the tests: Debian's podman with runc and cgroupfs (crun
//! fails on this machine's cgroup v1/v2 hybrid layout), no network, and the
//! image `install/install.sh --deps` imports from a debootstrap root (no
//! registry is asked). Every container and API service a test starts is
//! removed or stopped when its handle is dropped.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::ci;

pub use scapbridge_tests::{podman, podman_image as image};

/// Whether podman runs here, as root, with the tests' image; under CI=true
/// all of it must be there. Otherwise prints why the test is skipped.
pub fn podman_available() -> bool {
    let reason = match Command::new("podman").arg("--version").output() {
        Err(e) => Some(format!("podman does not run: {e}")),
        Ok(o) if !o.status.success() => Some(format!(
            "podman --version failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Ok(_) => {
            // /proc/self belongs to the effective uid.
            let root = std::fs::metadata("/proc/self")
                .is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0);
            if !root {
                Some(
                    "the container tests run podman as root (rootless podman has other cgroups)"
                        .into(),
                )
            } else {
                let img = image();
                let exists = podman()
                    .args(["image", "exists", &img])
                    .status()
                    .is_ok_and(|s| s.success());
                (!exists).then(|| format!("the image {img} is not in podman's store"))
            }
        }
    };
    match reason {
        None => true,
        Some(r) => {
            assert!(
                !ci(),
                "podman and the tests' image are required under CI=true: {r} (install/install.sh --deps installs them)"
            );
            eprintln!("skipping: {r} (run install/install.sh --deps)");
            false
        }
    }
}

/// The labels the CRI sets on a Kubernetes pod's containers, which
/// container runtimes report and Falco's `k8s.*` fields are read from.
#[derive(Debug, Clone)]
pub struct PodLabels {
    pub pod_name: String,
    pub namespace: String,
    pub pod_uid: String,
    pub container_name: String,
}

impl PodLabels {
    /// `--label K=V` pairs for `podman run`.
    pub fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            ("io.kubernetes.pod.name", &self.pod_name),
            ("io.kubernetes.pod.namespace", &self.namespace),
            ("io.kubernetes.pod.uid", &self.pod_uid),
            ("io.kubernetes.container.name", &self.container_name),
        ]
    }
}

/// A detached container, force-removed on drop.
#[derive(Debug)]
pub struct Container {
    /// Its name (unique per test process: the base name given, the pid and
    /// a counter).
    pub name: String,
    /// Its full id (64 hex digits).
    pub id: String,
}

static SEQ: AtomicU32 = AtomicU32::new(0);

impl Container {
    /// Runs `command` detached in the tests' image, with no network, named
    /// from `base`, with the pod's labels if given. Panics if podman fails.
    pub fn run(base: &str, labels: Option<&PodLabels>, command: &[&str]) -> Container {
        let name = format!(
            "{base}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let mut c = podman();
        c.args(["run", "-d", "--name", &name, "--network", "none"]);
        if let Some(l) = labels {
            for (k, v) in l.pairs() {
                c.arg("--label").arg(format!("{k}={v}"));
            }
        }
        c.arg(image()).args(command);
        let o = c.output().expect("spawn podman run");
        assert!(
            o.status.success(),
            "podman run {name}: {:?} {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        let id = String::from_utf8_lossy(&o.stdout).trim().to_string();
        assert!(
            is_full_id(&id),
            "podman run printed no container id: {id:?}"
        );
        Container { name, id }
    }

    /// The first 12 hex digits of the id, as `container.id` shows it.
    pub fn short_id(&self) -> &str {
        &self.id[..12]
    }

    /// `podman exec NAME ARGS…`, to be spawned.
    pub fn exec_command(&self, args: &[&str]) -> Command {
        let mut c = podman();
        c.args(["exec", &self.name]).args(args);
        c
    }

    /// Runs `args` in the container and waits for it.
    pub fn exec(&self, args: &[&str]) -> Output {
        self.exec_command(args).output().expect("spawn podman exec")
    }

    /// `podman inspect --format FORMAT` of this container, trimmed.
    pub fn inspect(&self, format: &str) -> String {
        let o = podman()
            .args(["inspect", "--format", format, &self.name])
            .output()
            .expect("spawn podman inspect");
        assert!(
            o.status.success(),
            "podman inspect {}: {}",
            self.name,
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    /// The host pid of the container's first process (0 once it stopped).
    pub fn pid(&self) -> u32 {
        self.inspect("{{.State.Pid}}").parse().unwrap_or(0)
    }

    /// `/proc/PID/cgroup` of the container's first process, read on the host.
    pub fn host_cgroup(&self) -> String {
        let pid = self.pid();
        assert!(pid > 0, "container {} is not running", self.name);
        std::fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("read /proc/PID/cgroup")
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = podman()
            .args(["rm", "-f", "-t", "0", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Whether `s` is a full container id: 64 lowercase hex digits.
pub fn is_full_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The container id in one cgroup path as podman lays it out: the last
/// component `libpod-<64 hex>` (cgroupfs, here `/libpod_parent/libpod-<id>`),
/// or `libpod-<64 hex>.scope` (systemd), possibly followed by `/container`.
pub fn libpod_id(path: &str) -> Option<&str> {
    let path = path.strip_suffix("/container").unwrap_or(path);
    let last = path.rsplit('/').next()?;
    let id = last.strip_prefix("libpod-")?;
    let id = id.strip_suffix(".scope").unwrap_or(id);
    is_full_id(id).then_some(id)
}

/// `podman system service` serving the Docker-compatible API on a unix
/// socket in a temporary folder; stopped on drop.
#[derive(Debug)]
pub struct ApiService {
    /// The socket.
    pub socket: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl ApiService {
    /// Starts it and waits (up to 20 s) until `GET /_ping` answers `OK`.
    pub fn start() -> ApiService {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("podman.sock");
        let child = podman()
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn podman system service");
        let mut svc = ApiService {
            socket,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if svc.socket.exists() {
                if let Ok((200, body)) = svc.try_get("/_ping") {
                    if body.trim() == "OK" {
                        return svc;
                    }
                }
            }
            if let Ok(Some(st)) = svc.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = svc.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("podman system service exited: {st:?} {err}");
            }
            assert!(
                Instant::now() < deadline,
                "podman system service did not answer on {} within 20 s",
                svc.socket.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `GET path` on the socket (HTTP/1.0, so the answer ends with the
    /// connection): status and body. Panics on a transport error.
    pub fn get(&self, path: &str) -> (u16, String) {
        self.try_get(path).expect("GET on the podman API socket")
    }

    fn try_get(&self, path: &str) -> std::io::Result<(u16, String)> {
        http_get(&self.socket, path)
    }
}

impl Drop for ApiService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.0 GET over a unix socket: status and body.
pub fn http_get(socket: &Path, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = std::os::unix::net::UnixStream::connect(socket)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: d\r\n\r\n")?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}
