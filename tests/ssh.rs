//! `scapbridge-ssh` against a real OpenSSH sshd started on 127.0.0.1 with
//! throwaway keys (shared/specs/ssh-cloud-crates.md §5): streams read back
//! by sysdig and tshark, host key verification, authentication failures,
//! and shell quoting of user text in the remote command.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use common::sshd::{remote_command, Sshd};
use common::{assert_one_line_error, have, scap_dir, scapbridge, stderr, sysdig_lines, Workload};

/// The fixture `falco_cat_write.scap` and a remote shell command that
/// writes it to stdout, followed by `then`.
fn cat_write(then: &str) -> (std::path::PathBuf, String) {
    let input = scap_dir().join("falco_cat_write.scap");
    let cmd = format!("cat '{}'{then}", input.display());
    (input, cmd)
}

#[test]
fn a_remote_stream_arrives_whole_and_reads_like_the_original() {
    if !common::have_fixtures() {
        return;
    }
    let Some(s) = Sshd::start() else { return };
    let (input, cmd) = cat_write("");
    let out = s.path("remote.scap");
    let o = s.capture(&out, &remote_command(&cmd));
    assert!(o.status.success(), "{}", stderr(&o));
    let (orig, ok1) = sysdig_lines(&input);
    let (got, ok2) = sysdig_lines(&out);
    assert!(ok1 && ok2);
    assert_eq!(got, orig, "sysdig shows the remote capture as the original");
    if have("tshark") {
        let (frames, ok) = common::tshark_frames(&out);
        let (want, _) = common::tshark_frames(&input);
        assert!(ok);
        assert_eq!(frames, want);
    }
}

#[test]
fn host_keys_are_verified_and_failures_say_which() {
    let Some(s) = Sshd::start() else { return };
    let out = s.path("x.scap");
    let one_line = |o: &Output, needle: &str| {
        assert_one_line_error(o, 1, needle);
    };
    let other = &remote_command("true");
    // A capture with `--known-hosts` a file `name` that holds `text`.
    let with_known_hosts = |name: &str, text: String| {
        let path = s.path(name);
        std::fs::write(&path, text).unwrap();
        let path = path.display().to_string();
        let mut args: Vec<&str> = other.to_vec();
        args.extend(["--known-hosts", &path]);
        s.capture(&out, &args)
    };
    // The key of a public key file, as a known_hosts line holds it.
    let key = |file: &str| {
        let k = std::fs::read_to_string(s.path(file)).unwrap();
        k.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
    };
    // Unknown host: an empty known_hosts.
    let o = with_known_hosts("empty_known_hosts", String::new());
    one_line(&o, "is not in");
    // Changed key: known_hosts holds another key for the host.
    let line = format!("[127.0.0.1]:{} {}\n", s.port, key("other_ed25519.pub"));
    one_line(&with_known_hosts("changed_known_hosts", line), "CHANGED");
    // A wildcard entry OpenSSH accepts is accepted.
    let line = format!("[127.0.0.?]:{} {}\n", s.port, key("host_ed25519.pub"));
    let o = with_known_hosts("wild_known_hosts", line);
    // `true` writes no capture: the host key and login passed, the stream
    // is empty, which is reported as such.
    assert!(stderr(&o).contains("not a whole capture"), "{}", stderr(&o));
    // A key the server does not authorize.
    let o = s.capture_with_key(&s.path("other_ed25519"), &out, other);
    one_line(&o, "authentication as root@127.0.0.1 failed");
}

#[test]
fn user_text_in_the_remote_command_is_quoted() {
    let Some(s) = Sshd::start() else { return };
    let pwned = s.path("pwned");
    // A filter that would run `touch` if pasted into the command unquoted;
    // `sysdig` on the remote PATH is a script recording its arguments.
    let args_file = s.path("args");
    let fake = s.path("bin/sysdig");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{}'\nexit 1\n",
            args_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let filter = format!("'; touch {}; '", pwned.display());
    let o = s.capture(&s.path("x.scap"), &["--filter", &filter]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!pwned.exists(), "the filter ran as a command");
    let got = std::fs::read_to_string(&args_file)
        .unwrap_or_else(|e| panic!("the fake sysdig did not run ({e}): {}", stderr(&o)));
    let lines: Vec<&str> = got.lines().collect();
    // sshdig's argument list, the filter last and whole.
    assert_eq!(
        lines,
        [
            "--unbuffered",
            "--modern-bpf",
            "--write=-",
            "--snaplen=80",
            filter.as_str()
        ],
        "{got}"
    );
}

/// Events reach the output as they arrive, not when the remote command ends:
/// the remote side sends a capture and then stays silent; the file must hold
/// every event while the command still runs.
#[test]
fn events_are_flushed_while_the_remote_side_is_quiet() {
    if !common::have_fixtures() {
        return;
    }
    let Some(s) = Sshd::start() else { return };
    let (input, cmd) = cat_write("; sleep 20");
    let out = s.path("live.scap");
    let mut child = s
        .capture_cmd(&s.path("client_ed25519"), &out, &remote_command(&cmd))
        .spawn()
        .unwrap();
    let want = common::events(&input, false).unwrap().len();
    let t0 = Instant::now();
    let mut got = 0;
    while t0.elapsed() < Duration::from_secs(10) {
        if out.exists() {
            got = common::events(&out, false).map(|e| e.len()).unwrap_or(0);
        }
        if got == want {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let still_running = child.try_wait().unwrap().is_none();
    common::signal("TERM", child.id());
    let status = child.wait().unwrap();
    assert!(still_running, "the remote command was still sleeping");
    assert_eq!(got, want, "every event was in the file within 10 s");
    assert!(status.success(), "SIGTERM ends the capture cleanly");
}

/// Wireshark's sshdig command shape (`sysdig --unbuffered --modern-bpf
/// --write=- --numevents=N --snaplen=80 FILTER`), answered on the host by
/// our agent installed as `sysdig`: the events of a known workload arrive
/// and read back under sysdig and tshark.
#[test]
fn sshdig_command_answered_by_the_agent_installed_as_sysdig() {
    let Some((s, work)) = Sshd::start_live("sysdig") else {
        return;
    };
    let out = s.path("sshdig.scap");
    // Checked with sysdig 0.29 and tshark 4.0 below: their layout.
    let o = s.capture(
        &out,
        &[
            "--profile",
            "compat",
            "--remote-count",
            "6",
            "--filter",
            &work.filter(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let evs = common::events(&out, false).unwrap();
    // Six openat exits of the marker, each after the enter half the compat
    // profile writes.
    assert_eq!(evs.iter().filter(|e| e.event_type == 307).count(), 6);
    assert_eq!(evs.len(), 12);
    if have("sysdig") {
        let (lines, ok) = sysdig_lines(&out);
        assert!(ok);
        assert_eq!(lines.len(), 12);
        let marker = work.marker.display().to_string();
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.contains("< openat") && l.contains(&marker))
                .count(),
            6,
            "{lines:#?}"
        );
    }
    if have("tshark") {
        let (frames, ok) = common::tshark_frames(&out);
        assert!(ok);
        assert_eq!(frames.len(), 12);
    }
}

/// What a fault test observes: the client's exit, how long it took after
/// the fault, and what it wrote.
struct FaultOutcome {
    output: Output,
    after_fault: Duration,
}

impl FaultOutcome {
    /// The client failed with one line holding one of `said`, within 2 s
    /// of the fault; `out` ends on a whole block; no agent is left.
    fn assert_reported(&self, said: &[&str], out: &Path, work: &Workload) {
        let e = stderr(&self.output);
        assert_eq!(self.output.status.code(), Some(1), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(
            said.iter().any(|s| e.contains(s)),
            "expected one of {said:?} in: {e}"
        );
        assert!(
            self.after_fault < Duration::from_secs(2),
            "{:?}",
            self.after_fault
        );
        assert_whole(out);
        assert_no_agent_left(work);
    }
}

/// Starts a live capture of the workload (agent as `sysdig`), waits until
/// events reach `out`, applies `fault`, and waits for the client.
fn live_capture_with_fault(
    s: &Sshd,
    work: &Workload,
    out: &Path,
    fault: impl FnOnce(),
) -> FaultOutcome {
    let child = s
        .capture_cmd(
            &s.path("client_ed25519"),
            out,
            &["--filter", &work.filter()],
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    loop {
        let n = if out.exists() {
            common::events(out, true).map(|e| e.len()).unwrap_or(0)
        } else {
            0
        };
        if n >= 4 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no events arrived in 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    fault();
    let t = Instant::now();
    let output = wait_with_deadline(child, Duration::from_secs(10));
    FaultOutcome {
        output,
        after_fault: t.elapsed(),
    }
}

/// Waits for `child`, killing it after `limit` (so a hung client fails the
/// test instead of hanging it).
fn wait_with_deadline(mut child: Child, limit: Duration) -> Output {
    let t = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// No remote capture process is left once the client stopped (pgrep, with
/// the 2 s the client itself is allowed).
fn assert_no_agent_left(work: &Workload) {
    let pattern = format!("--write=- .*{}", work.marker.display());
    let t = Instant::now();
    while !common::pgrep(&pattern).is_empty() && t.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        common::pgrep(&pattern),
        Vec::<u32>::new(),
        "an agent was left running"
    );
}

/// The file a cut capture left: whole blocks, events in it.
fn assert_whole(out: &Path) {
    let evs = common::events(out, false).unwrap_or_else(|e| panic!("not a whole capture: {e}"));
    assert!(evs.len() >= 4, "{} events", evs.len());
    if have("sysdig") {
        let (_, ok) = sysdig_lines(out);
        assert!(ok, "sysdig reads the cut capture");
    }
}

#[test]
fn killing_sshd_mid_capture_ends_the_file_whole_and_leaves_no_agent() {
    let Some((s, work)) = Sshd::start_live("sysdig") else {
        return;
    };
    let out = s.path("cut.scap");
    let r = live_capture_with_fault(&s, &work, &out, || {
        for p in s.sshd_pids() {
            common::signal("KILL", p);
        }
    });
    r.assert_reported(&["SSH connection was lost"], &out, &work);
}

#[test]
fn killing_the_agent_mid_capture_says_so() {
    let Some((s, work)) = Sshd::start_live("sysdig") else {
        return;
    };
    let out = s.path("killed.scap");
    let pattern = format!("--write=- .*{}", work.marker.display());
    let r = live_capture_with_fault(&s, &work, &out, || {
        let pids = common::pgrep(&pattern);
        assert!(!pids.is_empty(), "the agent runs");
        for p in pids {
            common::signal("KILL", p);
        }
    });
    r.assert_reported(&["was killed (SIGKILL)", "exit 137"], &out, &work);
}

/// The analyzer closing its FIFO: the client stops within 2 s, says why,
/// and the agent on the host goes too.
#[test]
fn closing_the_fifo_stops_client_and_agent() {
    let Some((s, work)) = Sshd::start_live("sysdig") else {
        return;
    };
    let fifo = s.path("fifo");
    let ok = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    // Not quiet: the summary names why the capture stopped.
    let quiet = s.capture_cmd(
        &s.path("client_ed25519"),
        &fifo,
        &["--filter", &work.filter()],
    );
    let mut c = scapbridge();
    c.args(quiet.get_args().filter(|a| *a != "-q"));
    let child = c
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read until the events flow, then close the reading end.
    let mut reader = std::fs::File::open(&fifo).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let t0 = Instant::now();
    while got.len() < 64 * 1024 && t0.elapsed() < Duration::from_secs(3) {
        match std::io::Read::read(&mut reader, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    assert!(!got.is_empty(), "the capture reached the FIFO");
    drop(reader);
    let t = Instant::now();
    let o = wait_with_deadline(child, Duration::from_secs(10));
    let after = t.elapsed();
    let e = stderr(&o);
    assert!(after < Duration::from_secs(2), "{after:?}: {e}");
    assert!(e.contains("the reader closed the stream"), "{e}");
    assert!(!e.contains("panick"), "{e}");
    assert_no_agent_left(&work);
}

/// A local account with a password, for password authentication; locked
/// again (`usermod -L`) when dropped, so no password login outlives the
/// test. Its password is random per run.
struct PasswordUser {
    name: &'static str,
    password: String,
}

impl PasswordUser {
    fn create() -> PasswordUser {
        let name = "scapbridge-sshtest";
        let exists = Command::new("id")
            .arg(name)
            .output()
            .unwrap()
            .status
            .success();
        if !exists {
            let ok = Command::new("useradd")
                .args(["-M", "-s", "/bin/sh", name])
                .status()
                .unwrap()
                .success();
            assert!(ok, "useradd");
        }
        let password = format!(
            "pw-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos() ^ u128::from(std::process::id()) << 20
        );
        let mut c = Command::new("chpasswd")
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(
            c.stdin.as_mut().unwrap(),
            format!("{name}:{password}\n").as_bytes(),
        )
        .unwrap();
        drop(c.stdin.take());
        assert!(c.wait().unwrap().success(), "chpasswd");
        PasswordUser { name, password }
    }
}

impl Drop for PasswordUser {
    fn drop(&mut self) {
        let _ = Command::new("usermod").args(["-L", self.name]).status();
    }
}

#[test]
fn password_authentication_and_a_wrong_password() {
    if !common::have_fixtures() {
        return;
    }
    let Some(s) = Sshd::start() else { return };
    let user = PasswordUser::create();
    let args = s.known_capture_args();
    let out = s.path("pw.scap");
    let as_user = |password: &str| {
        s.bare_cmd(&out)
            .args([
                "--remote-username",
                user.name,
                "--remote-password",
                password,
            ])
            .args(&args)
            .output()
            .unwrap()
    };
    let o = as_user(&user.password);
    s.assert_known_capture(&o, &out);
    let o = as_user("not-the-password");
    let e = assert_one_line_error(&o, 1, "the server refused the password");
    assert!(
        !e.contains("not-the-password"),
        "a secret in the message: {e}"
    );
}

/// Every key format OpenSSH writes: encrypted OpenSSH, PEM (plain and
/// encrypted), PKCS#8 (plain and encrypted); a wrong and a missing
/// passphrase each get their own line.
#[test]
fn key_formats_and_passphrases() {
    if !common::have_fixtures() {
        return;
    }
    let Some(s) = Sshd::start() else { return };
    let pass = "correct horse";
    let keys: &[(&str, &[&str], bool)] = &[
        ("enc_ed25519", &["-t", "ed25519"], true),
        ("pem_rsa", &["-t", "rsa", "-b", "2048", "-m", "PEM"], false),
        (
            "pem_rsa_enc",
            &["-t", "rsa", "-b", "2048", "-m", "PEM"],
            true,
        ),
        ("pkcs8_ecdsa", &["-t", "ecdsa", "-m", "PKCS8"], false),
        (
            "pkcs8_rsa_enc",
            &["-t", "rsa", "-b", "2048", "-m", "PKCS8"],
            true,
        ),
    ];
    let mut authorized = std::fs::read_to_string(s.path("authorized_keys")).unwrap();
    for (name, args, encrypted) in keys {
        let ok = Command::new("ssh-keygen")
            .arg("-q")
            .args(*args)
            .args(["-N", if *encrypted { pass } else { "" }, "-C", name, "-f"])
            .arg(s.path(name))
            .status()
            .unwrap()
            .success();
        assert!(ok, "ssh-keygen {name}");
        authorized.push_str(&std::fs::read_to_string(s.path(&format!("{name}.pub"))).unwrap());
    }
    std::fs::write(s.path("authorized_keys"), authorized).unwrap();
    let head = |name: &str| {
        std::fs::read_to_string(s.path(name))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    // The formats are what their names say.
    assert_eq!(head("pem_rsa"), "-----BEGIN RSA PRIVATE KEY-----");
    assert_eq!(head("pkcs8_ecdsa"), "-----BEGIN PRIVATE KEY-----");
    assert_eq!(
        head("pkcs8_rsa_enc"),
        "-----BEGIN ENCRYPTED PRIVATE KEY-----"
    );
    let args = s.known_capture_args();
    let out = s.path("k.scap");
    for (name, _, encrypted) in keys {
        let mut c = s.capture_cmd(&s.path(name), &out, &[]);
        c.args(&args);
        if *encrypted {
            c.args(["--sshkey-passphrase", pass]);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        s.assert_known_capture(&o, &out);
        if !encrypted {
            continue;
        }
        let o = s
            .capture_cmd(&s.path(name), &out, &["--sshkey-passphrase", "wrong one"])
            .args(&args)
            .output()
            .unwrap();
        let e = assert_one_line_error(&o, 1, "wrong passphrase");
        assert!(!e.contains("wrong one"), "a secret in the message: {e}");
        let o = s
            .capture_cmd(&s.path(name), &out, &[])
            .args(&args)
            .output()
            .unwrap();
        assert_one_line_error(&o, 1, "it is encrypted: give --sshkey-passphrase");
    }
}

/// No key given: a key held by ssh-agent, then OpenSSH's default key files.
#[test]
fn ssh_agent_and_default_keys() {
    if !common::have_fixtures() {
        return;
    }
    let Some(s) = Sshd::start() else { return };
    let args = s.known_capture_args();
    let out = s.path("a.scap");
    let as_root = || {
        s.bare_cmd(&out)
            .args(["--remote-username", "root"])
            .args(&args)
            .output()
            .unwrap()
    };
    // Nothing to try at all: one line that says so.
    let o = as_root();
    assert_one_line_error(&o, 1, "no method to try");
    // ssh-agent holding the authorized key.
    let sock = s.path("agent.sock");
    let mut agent = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&sock)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !sock.exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "ssh-agent did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let added = Command::new("ssh-add")
        .arg("-q")
        .arg(s.path("client_ed25519"))
        .env("SSH_AUTH_SOCK", &sock)
        .status()
        .unwrap()
        .success();
    assert!(added, "ssh-add");
    let o = s
        .bare_cmd(&out)
        .env("SSH_AUTH_SOCK", &sock)
        .args(["--remote-username", "root"])
        .args(&args)
        .output()
        .unwrap();
    let _ = agent.kill();
    let _ = agent.wait();
    s.assert_known_capture(&o, &out);
    // The default key file, ~/.ssh/id_ed25519.
    let id = s.path("home/.ssh/id_ed25519");
    std::fs::copy(s.path("client_ed25519"), &id).unwrap();
    std::fs::set_permissions(&id, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let o = as_root();
    s.assert_known_capture(&o, &out);
}

/// ~/.ssh/config: an alias with HostName, Port, User, IdentityFile and
/// UserKnownHostsFile; then the same host through a ProxyCommand (OpenSSH's
/// `ssh -W`) and through a ProxyJump (a direct-tcpip channel of a first
/// connection: sshd accepts two logins).
#[test]
fn ssh_config_proxy_command_and_proxy_jump() {
    if !common::have_fixtures() {
        return;
    }
    let Some(s) = Sshd::start() else { return };
    let args = s.known_capture_args();
    let out = s.path("c.scap");
    let d = s.dir.path().display().to_string();
    let port = s.port;
    let proxied = s.path("proxy-ran");
    let config = format!(
        "Host box\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  IdentityFile {d}/client_ed25519\n  UserKnownHostsFile {d}/known_hosts\n\
         Host viaproxy\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  IdentityFile {d}/client_ed25519\n  UserKnownHostsFile {d}/known_hosts\n  \
         ProxyCommand touch {proxied}; exec ssh -q -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile={d}/known_hosts -i {d}/client_ed25519 -p %p -W %h:%p root@127.0.0.1\n\
         Host viajump\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  IdentityFile {d}/client_ed25519\n  UserKnownHostsFile {d}/known_hosts\n  ProxyJump box\n",
        proxied = proxied.display()
    );
    std::fs::write(s.path("home/.ssh/config"), config).unwrap();
    // The capture command without the fixture's address and known_hosts:
    // everything comes from the config.
    let run = |alias: &str| s.host_cmd(alias, &out).args(&args).output().unwrap();
    let before = s.accepted();
    let o = run("box");
    s.assert_known_capture(&o, &out);
    assert_eq!(s.accepted(), before + 1);
    let o = run("viaproxy");
    s.assert_known_capture(&o, &out);
    assert!(proxied.exists(), "the ProxyCommand ran");
    let before = s.accepted();
    let o = run("viajump");
    s.assert_known_capture(&o, &out);
    assert_eq!(
        s.accepted(),
        before + 2,
        "one login on the jump host, one on the target"
    );
    // A bad line in the config: one line naming file and line.
    std::fs::write(s.path("home/.ssh/config"), "Host box\n  Port nine\n").unwrap();
    let o = run("box");
    assert_one_line_error(&o, 2, ".ssh/config line 2: Port 'nine'");
}

/// Trigger mode on the host: the rules file is uploaded over the channel to
/// `scapbridge-agent`, which cuts the windows there. The stream holds the
/// reads within --pre before the triggering read and --post after it, and
/// not those outside; alerts reach the client's --alerts file as they fire
/// and make the exit status 3. A client killed while the agent waits for
/// the next alert leaves no agent behind.
#[test]
fn remote_trigger_mode_with_rules_uploaded_over_the_channel() {
    let Some(s) = Sshd::start() else { return };
    if !common::probe_available() {
        return;
    }
    s.install_agent("scapbridge-agent");
    let d = s.path("work");
    std::fs::create_dir(&d).unwrap();
    let names = ["warm", "early", "pre", "trigger", "post", "late"];
    for n in names {
        std::fs::write(d.join(n), n).unwrap();
    }
    let p = |n: &str| d.join(n).display().to_string();
    // The rules exist only on this side: the agent gets them over stdin.
    let rules = s.path("local-rules.yaml");
    std::fs::write(
        &rules,
        format!(
            "- rule: Marker opened\n  desc: test\n  condition: evt.type in (open, openat) and evt.dir = < and fd.name in (\"{}\", \"{}\")\n  output: \"marker %fd.name by %proc.name\"\n  priority: WARNING\n",
            p("warm"),
            p("trigger")
        ),
    )
    .unwrap();
    let out = s.path("windows.scap");
    let alerts = s.path("alerts.json");
    let rules_s = rules.display().to_string();
    let alerts_s = alerts.display().to_string();
    // The windows are read with sysdig 0.29 below: its layout, which the
    // client asks the agent for.
    let trigger_args = [
        "--profile",
        "compat",
        "--remote-capture-command-select",
        "scapbridge",
        "--rules",
        &rules_s,
        "--alerts",
        &alerts_s,
        "--alerts-format",
        "json",
        "--trigger",
        // Windows of 2 s around a trigger 0.5 s from `pre` and `post`, and
        // 4 s from `early` and `late`: 1.5 s and 2 s of margin for a loaded
        // machine's delays (1 s windows lost `pre` or `post` in CI runs).
        "--pre",
        "2s",
        "--post",
        "2s",
        // Room for the whole machine's events of the pre-window: with 8M a
        // busy host (parallel tests, a build) evicted `pre` from the ring
        // early, as --max-buffer says it must (the ring's eviction has its
        // own tests in the engine).
        "--max-buffer",
        "256M",
    ];
    let child = s
        .capture_cmd(&s.path("client_ed25519"), &out, &trigger_args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Warm up until the host's first alert arrives here, then let that
    // window close.
    let t0 = Instant::now();
    while std::fs::metadata(&alerts).map_or(0, |m| m.len()) == 0 {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no alert arrived in 30 s"
        );
        let _ = std::fs::read(d.join("warm"));
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(4000));
    let script = format!(
        "cat '{}'; sleep 3.5; cat '{}'; sleep 0.5; cat '{}'; sleep 0.5; cat '{}'; sleep 3.5; cat '{}'",
        p("early"),
        p("pre"),
        p("trigger"),
        p("post"),
        p("late")
    );
    assert!(common::run_sh(&script));
    std::thread::sleep(Duration::from_millis(500));
    common::signal("TERM", child.id());
    let o = wait_with_deadline(child, Duration::from_secs(10));
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "a rule fired on the host: {e}");
    let alert_lines = std::fs::read_to_string(&alerts).unwrap();
    let trigger_alerts = alert_lines
        .lines()
        .filter(|l| l.contains(&p("trigger")))
        .count();
    assert_eq!(trigger_alerts, 1, "{alert_lines}");
    for l in alert_lines.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["rule"], "Marker opened", "{l}");
    }
    // Which of our files the stream shows being opened.
    let read = scapbridge()
        .args(["read", "--json"])
        .arg(&out)
        .arg("evt.type in (open, openat) and evt.dir = <")
        .output()
        .unwrap();
    assert!(read.status.success(), "{}", stderr(&read));
    let mut seen: Vec<&str> = Vec::new();
    for l in String::from_utf8_lossy(&read.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let name = v["evt.args"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if let Some(n) = names.iter().find(|n| name == p(n)) {
            if !seen.contains(n) {
                seen.push(n);
            }
        }
    }
    assert_eq!(
        seen,
        ["warm", "pre", "trigger", "post"],
        "windows in the stream; the client said: {e}"
    );
    if have("sysdig") {
        let (_, ok) = sysdig_lines(&out);
        assert!(ok, "sysdig reads the windows");
    }
    assert_no_remote("scapbridge-agent capture --write=-");
    // Killed outright while the agent waits for an alert: the agent sees
    // its stdout go and leaves.
    let child = s
        .capture_cmd(
            &s.path("client_ed25519"),
            &s.path("idle.scap"),
            &trigger_args,
        )
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Idle means: the probe is attached (an alert came through) and that
    // alert's window closed (--post 1s); after that the agent writes
    // nothing until the next alert.
    let before = std::fs::read_to_string(&alerts).unwrap().len();
    let t0 = Instant::now();
    while std::fs::read_to_string(&alerts).unwrap().len() == before {
        assert!(t0.elapsed() < Duration::from_secs(30), "no alert in 30 s");
        let _ = std::fs::read(d.join("warm"));
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(2500));
    common::signal("KILL", child.id());
    let _ = wait_with_deadline(child, Duration::from_secs(5));
    assert_no_remote("scapbridge-agent capture --write=-");
}

/// pgrep finds nothing matching `pattern` within 2 s.
fn assert_no_remote(pattern: &str) {
    let t = Instant::now();
    while !common::pgrep(pattern).is_empty() && t.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        common::pgrep(pattern),
        Vec::<u32>::new(),
        "a remote agent was left running"
    );
}
