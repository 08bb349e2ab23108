//! A throwaway OpenSSH sshd on 127.0.0.1 (shared/specs/ssh-cloud-crates.md
//! §5), for the SSH tests and the SSH benchmark.

#![allow(unreachable_pub)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use super::{ci, scap_dir, scapbridge, stderr, Workload};

/// `--remote-capture-command-select other --remote-capture-command CMD`:
/// the remote side runs `cmd` instead of a capture tool.
pub fn remote_command(cmd: &str) -> [&str; 4] {
    [
        "--remote-capture-command-select",
        "other",
        "--remote-capture-command",
        cmd,
    ]
}

/// A throwaway sshd; stopped on drop.
pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Child,
}

impl Sshd {
    /// Starts sshd, or says why it cannot (`None`); under CI=true it must.
    pub fn start() -> Option<Sshd> {
        let sshd = Path::new("/usr/sbin/sshd");
        let root = is_root();
        if !sshd.exists() || !Path::new("/usr/bin/ssh-keygen").exists() || !root {
            assert!(!ci(), "CI=true needs root, /usr/sbin/sshd and ssh-keygen");
            eprintln!("skipping: sshd fixture needs root, openssh-server and ssh-keygen");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        for k in ["host_ed25519", "client_ed25519", "other_ed25519"] {
            let ok = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", k, "-f"])
                .arg(d.join(k))
                .status()
                .unwrap()
                .success();
            assert!(ok, "ssh-keygen");
        }
        std::fs::copy(d.join("client_ed25519.pub"), d.join("authorized_keys")).unwrap();
        // A free port: bind, read it, release it for sshd.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let bin = d.join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::fs::create_dir_all(d.join("home/.ssh")).unwrap();
        let config = format!(
            "ListenAddress 127.0.0.1\nPort {port}\nHostKey {d}/host_ed25519\nPidFile {d}/sshd.pid\n\
             AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nPubkeyAuthentication yes\n\
             PasswordAuthentication yes\nKbdInteractiveAuthentication no\nUsePAM no\n\
             PermitRootLogin prohibit-password\nPrintMotd no\nForceCommand {d}/login.sh\n",
            d = d.display(),
        );
        std::fs::write(d.join("sshd_config"), config).unwrap();
        // sshd runs the requested command as `$SHELL -c COMMAND` with its
        // compiled-in PATH, which sshd_config cannot change; this wrapper
        // does the same with the fixture's bin/ first, so a test can put
        // programs on the "remote" PATH without touching the system.
        std::fs::write(
            d.join("login.sh"),
            format!(
                "#!/bin/sh\nPATH={}:$PATH; export PATH\nexec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n",
                bin.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(
            d.join("login.sh"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let hostkey = std::fs::read_to_string(d.join("host_ed25519.pub")).unwrap();
        let hostkey: Vec<&str> = hostkey.split_whitespace().take(2).collect();
        std::fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{port} {}\n", hostkey.join(" ")),
        )
        .unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let child = Command::new(sshd)
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stderr(std::fs::File::create(d.join("sshd.log")).unwrap())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "sshd did not start: {}",
                std::fs::read_to_string(d.join("sshd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Sshd { dir, port, child })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// An sshd whose host runs the probe, with our agent on the remote PATH
    /// as `agent` and a known workload running; `None` (skipped, with the
    /// reason) where sshd or the probe cannot run.
    pub fn start_live(agent: &str) -> Option<(Sshd, Workload)> {
        let s = Sshd::start()?;
        if !super::probe_available() {
            return None;
        }
        s.install_agent(agent);
        let work = Workload::start(s.dir.path());
        Some((s, work))
    }

    /// Puts a copy of `scapbridge-agent` on the remote PATH as `name`
    /// (`sysdig` for sshdig's command shape).
    pub fn install_agent(&self, name: &str) {
        let to = self.path("bin").join(name);
        std::fs::copy(super::agent_bin(), &to).unwrap();
        std::fs::set_permissions(&to, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }

    /// The sshd processes serving this fixture: the listener and the
    /// per-connection ones (not what they run).
    pub fn sshd_pids(&self) -> Vec<u32> {
        let mut v: Vec<u32> = super::descendants(self.child.id())
            .into_iter()
            .filter(|(_, comm)| comm == "sshd")
            .map(|(p, _)| p)
            .collect();
        v.push(self.child.id());
        v
    }

    /// `scapbridge capture -i scapbridge-ssh` with the fixture's address,
    /// user, key and known_hosts, then `extra`.
    pub fn capture(&self, out: &Path, extra: &[&str]) -> Output {
        self.capture_with_key(&self.path("client_ed25519"), out, extra)
    }

    /// The same with another private key.
    pub fn capture_with_key(&self, key: &Path, out: &Path, extra: &[&str]) -> Output {
        self.capture_cmd(key, out, extra).output().unwrap()
    }

    /// The command line of [`Sshd::capture_with_key`], to run or spawn.
    pub fn capture_cmd(&self, key: &Path, out: &Path, extra: &[&str]) -> Command {
        let mut c = self.bare_cmd(out);
        c.args(["--remote-username", "root"])
            .arg("--sshkey")
            .arg(key)
            .args(extra);
        c
    }

    /// `scapbridge capture -i scapbridge-ssh` at the fixture's address and
    /// known_hosts, with HOME in the fixture (no ~/.ssh of the machine) and
    /// no ssh-agent: the caller adds user and credentials.
    pub fn bare_cmd(&self, out: &Path) -> Command {
        let mut c = self.host_cmd("127.0.0.1", out);
        c.args(["--remote-port", &self.port.to_string()])
            .arg("--known-hosts")
            .arg(self.path("known_hosts"));
        c
    }

    /// `scapbridge capture -i scapbridge-ssh --remote-host HOST -w OUT`
    /// with HOME in the fixture and no ssh-agent, nothing else: the rest
    /// comes from the caller or the fixture's ~/.ssh/config.
    pub fn host_cmd(&self, host: &str, out: &Path) -> Command {
        let mut c = scapbridge();
        c.env("HOME", self.path("home"))
            .env_remove("SSH_AUTH_SOCK")
            .args([
                "capture",
                "-q",
                "-i",
                "scapbridge-ssh",
                "--remote-host",
                host,
            ])
            .arg("-w")
            .arg(out);
        c
    }

    /// Options running a remote command that sends a known capture
    /// (readable by any user) instead of a live capture.
    pub fn known_capture_args(&self) -> Vec<String> {
        let input = self.path("input.scap");
        if !input.exists() {
            std::fs::copy(scap_dir().join("falco_cat_write.scap"), &input).unwrap();
            std::fs::set_permissions(&input, std::os::unix::fs::PermissionsExt::from_mode(0o644))
                .unwrap();
        }
        vec![
            "--remote-capture-command-select".into(),
            "other".into(),
            "--remote-capture-command".into(),
            format!("cat '{}'", input.display()),
        ]
    }

    /// Whether `o` succeeded and its file reads like the known capture.
    pub fn assert_known_capture(&self, o: &Output, out: &Path) {
        assert!(o.status.success(), "{}", stderr(o));
        let want = super::events(&self.path("input.scap"), false).unwrap();
        let got = super::events(out, false).unwrap();
        assert_eq!(got.len(), want.len());
    }

    /// How many logins sshd accepted so far.
    pub fn accepted(&self) -> usize {
        std::fs::read_to_string(self.path("sshd.log"))
            .unwrap_or_default()
            .matches("Accepted ")
            .count()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub use super::is_root;
