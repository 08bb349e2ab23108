//! Helpers of this crate's integration tests: podman with runc and cgroupfs
//! (as tests/common/podman.rs of the workspace tests), its API service, and
//! the skip-unless-CI rule.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Whether CI demands the real tools (CI=true) or they may be skipped.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips (false, with the reason on stderr) or, under CI=true, fails.
pub fn skip(reason: &str) -> bool {
    assert!(
        !ci(),
        "required under CI=true: {reason} (install/install.sh --deps)"
    );
    eprintln!("skipping: {reason}");
    false
}

/// The tests' image.
pub fn image() -> String {
    std::env::var("SCAPBRIDGE_IMAGE")
        .unwrap_or_else(|_| "localhost/scapbridge-workload:bookworm".into())
}

/// `podman` with runc, cgroupfs and file events, whatever containers.conf says.
pub fn podman() -> Command {
    let mut c = Command::new("podman");
    c.args([
        "--runtime",
        "runc",
        "--cgroup-manager=cgroupfs",
        "--events-backend=file",
    ]);
    c
}

/// Whether podman runs here as root with the image; else skip (or fail under CI).
pub fn podman_available() -> bool {
    match Command::new("podman").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return skip(&format!(
                "podman --version failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ))
        }
        Err(e) => return skip(&format!("podman does not run: {e}")),
    }
    let root =
        std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0);
    if !root {
        return skip("the container tests run podman as root");
    }
    let img = image();
    if !podman()
        .args(["image", "exists", &img])
        .status()
        .is_ok_and(|s| s.success())
    {
        return skip(&format!("the image {img} is not in podman's store"));
    }
    true
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A detached container, removed on drop.
#[derive(Debug)]
pub struct Container {
    /// Unique name.
    pub name: String,
    /// Full id.
    pub id: String,
}

impl Container {
    /// `podman run -d --network none --label K=V… IMAGE command…`.
    pub fn run(base: &str, labels: &[(&str, &str)], command: &[&str]) -> Container {
        let name = format!(
            "{base}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let mut c = podman();
        c.args(["run", "-d", "--name", &name, "--network", "none"]);
        for (k, v) in labels {
            c.arg("--label").arg(format!("{k}={v}"));
        }
        c.arg(image()).args(command);
        let o = c.output().expect("spawn podman run");
        assert!(
            o.status.success(),
            "podman run {name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let id = String::from_utf8_lossy(&o.stdout).trim().to_string();
        assert_eq!(id.len(), 64, "podman run printed {id:?}");
        Container { name, id }
    }

    /// `/proc/PID/cgroup` of its first process, read on the host.
    pub fn host_cgroup(&self) -> String {
        let o = podman()
            .args(["inspect", "--format", "{{.State.Pid}}", &self.name])
            .output()
            .expect("podman inspect");
        let pid: u32 = String::from_utf8_lossy(&o.stdout)
            .trim()
            .parse()
            .unwrap_or(0);
        assert!(pid > 0, "container {} is not running", self.name);
        std::fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("read cgroup")
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

/// `podman system service` on a socket in a temporary folder; killed on drop.
#[derive(Debug)]
pub struct ApiService {
    /// The socket.
    pub socket: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl ApiService {
    /// Starts it and waits (up to 20 s) until `GET /_ping` answers.
    pub fn start() -> ApiService {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("podman.sock");
        let child = podman()
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn podman system service");
        let svc = ApiService {
            socket,
            child,
            _dir: dir,
        };
        let client = scapbridge_containers::DockerClient::new(&svc.socket);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = client.get("/_ping") {
                if r.status == 200 {
                    return svc;
                }
            }
            assert!(
                Instant::now() < deadline,
                "podman system service did not answer within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ApiService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `f` every 20 ms until it gives a value or `limit` passes.
pub fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
