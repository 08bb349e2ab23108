//! Helpers shared by the integration tests.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use scapbridge_formats::{Item, OwnedEvent, ReaderOptions, ScapReader};

pub mod extcap;
pub mod live_workload;
pub mod podman;
pub mod reader_plugin;
pub mod sshd;
pub mod surgery;

/// `shared/fixtures`, beside the repository (or `$SCAPBRIDGE_FIXTURES`).
pub fn fixtures() -> PathBuf {
    if let Ok(p) = std::env::var("SCAPBRIDGE_FIXTURES") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

/// Whether the third-party data beside the clone is there: `../shared/fixtures`
/// (sysdig's and Falco's captures and rules files, CloudTrail logs), which
/// the project does not copy into its tree. A test that needs it starts with
/// `if !common::have_fixtures() { return; }`. Under CI=true it must be
/// there (the test fails); elsewhere the test is skipped with one line on
/// standard error that `cargo test` shows (written past the harness's
/// output capture), naming the test and the reason.
pub fn have_fixtures() -> bool {
    let dir = fixtures();
    if dir.is_dir() {
        return true;
    }
    assert!(
        !ci(),
        "required under CI=true: the third-party fixtures at {} (../shared/fixtures beside the clone, or SCAPBRIDGE_FIXTURES)",
        dir.display()
    );
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_string();
    let line = format!(
        "skipped {test}: needs the third-party captures and rules of ../shared/fixtures, absent beside this clone (or set SCAPBRIDGE_FIXTURES)\n"
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    false
}

pub fn scap_dir() -> PathBuf {
    fixtures().join("scap")
}

/// The 15 real captures.
pub fn real_fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(scap_dir())
        .expect("fixtures folder (../shared/fixtures) is missing")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scap"))
        .collect();
    v.sort();
    assert_eq!(v.len(), 15, "expected the 15 real fixtures");
    v
}

pub fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Whether CI demands the real tools (CI=true) or they may be skipped.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips a test whose tool is missing: prints the reason and returns false;
/// under CI=true, where every tool must be there, panics instead.
pub fn skip(reason: &str) -> bool {
    assert!(
        !ci(),
        "required under CI=true: {reason} (install/install.sh --deps)"
    );
    eprintln!("skipping: {reason}");
    false
}

/// Whether this test runs as root (`id -u` is 0).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Whether a test that needs root may go on: true as root; elsewhere
/// [`skip`]s with `reason` (CI runs as root, so under CI=true it fails).
pub fn need_root(reason: &str) -> bool {
    is_root() || skip(reason)
}

/// Tests that flood the machine with syscalls run alone: a whole-machine
/// capture beside them loses events to its kernel ring, and the tests that
/// check exact events then fail for that, not for a bug. One lock per test
/// binary, as each includes `common`.
static FLOOD: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Held by a test that floods: no exact-event test runs meanwhile.
pub fn flooding() -> std::sync::RwLockWriteGuard<'static, ()> {
    FLOOD
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Held by a test that checks exact events: no flood runs meanwhile.
pub fn quiet() -> std::sync::RwLockReadGuard<'static, ()> {
    FLOOD
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Polls `f` every 20 ms until it gives a value or `limit` passes.
pub fn wait_for<T>(limit: std::time::Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Returns whether `tool` runs; panics under CI if it does not.
pub fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success() || !o.stdout.is_empty());
    if !ok {
        assert!(
            !ci(),
            "{tool} is required under CI=true (install/install.sh installs it)"
        );
        eprintln!("skipping: {tool} not installed (run install/install.sh)");
    }
    ok
}

/// All events of a capture, owned.
pub fn events(
    path: &Path,
    skip_unknown: bool,
) -> Result<Vec<OwnedEvent>, scapbridge_formats::ReadError> {
    let f = std::fs::File::open(path).unwrap();
    let opts = if skip_unknown {
        ReaderOptions::skipping_unknown_events()
    } else {
        ReaderOptions::default()
    };
    let mut r = ScapReader::with_options(f, opts)?;
    let mut out = Vec::new();
    while let Some(item) = r.next_item()? {
        if let Item::Event(e) = item {
            out.push(e.to_owned_event());
        }
    }
    Ok(out)
}

/// Path of the `scapbridge` binary of this build profile, building it once if
/// `cargo test` did not (binaries of other workspace packages are not built
/// for this package's tests).
pub fn scapbridge_bin() -> PathBuf {
    static BUILD: std::sync::Once = std::sync::Once::new();
    workspace_bin(&BUILD, "scapbridge", "scapbridge")
}

/// Path of the `scapbridge-agent` binary, built once like [`scapbridge_bin`].
#[allow(dead_code)]
pub fn agent_bin() -> PathBuf {
    static BUILD: std::sync::Once = std::sync::Once::new();
    workspace_bin(&BUILD, "scapbridge-agent", "scapbridge-agent")
}

fn workspace_bin(once: &std::sync::Once, package: &str, bin: &str) -> PathBuf {
    let path = target_dir().join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    once.call_once(|| cargo_build(&["-p", package, "--bin", bin], bin));
    path
}

/// `target/<profile>` of the running test binary: where the workspace's
/// binaries and libraries of this profile are.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// `cargo build -q ARGS` in the tests' profile (release when the tests
/// run from target/release); panics naming `what` when it fails.
pub fn cargo_build(args: &[&str], what: &str) {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.args(["build", "-q"]).args(args);
    if target_dir().file_name().is_some_and(|n| n == "release") {
        c.arg("--release");
    }
    let st = c
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo build");
    assert!(st.success(), "building {what} failed");
}

pub fn scapbridge() -> Command {
    let mut c = Command::new(scapbridge_bin());
    c.env("TZ", "UTC");
    c
}

/// A command's standard error as text.
pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `o` failed with status `code` and one line of standard error holding
/// `needle`: how the command line tells every refusal. Returns that line,
/// for further checks.
pub fn assert_one_line_error(o: &std::process::Output, code: i32, needle: &str) -> String {
    let e = stderr(o);
    assert_eq!((o.status.code(), e.lines().count()), (Some(code), 1), "{e}");
    assert!(e.contains(needle), "expected '{needle}' in: {e}");
    e
}

pub fn run(c: &mut Command) -> std::process::Output {
    c.output().expect("spawn")
}

/// `sysdig -r FILE` stdout lines and status.
pub fn sysdig_lines(path: &Path) -> (Vec<String>, bool) {
    let o = Command::new("sysdig")
        .arg("-r")
        .arg(path)
        .env("TZ", "UTC")
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
        o.status.success(),
    )
}

/// tshark frames: (event type, Info column), and status.
pub fn tshark_frames(path: &Path) -> (Vec<(String, String)>, bool) {
    let o = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args([
            "-T",
            "fields",
            "-E",
            "separator=\t",
            "-e",
            "sysdig.event_type",
            "-e",
            "_ws.col.Info",
        ])
        .output()
        .unwrap();
    let frames = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let mut it = l.splitn(2, '\t');
            (
                it.next().unwrap_or("").to_string(),
                it.next().unwrap_or("").to_string(),
            )
        })
        .collect();
    (frames, o.status.success())
}

/// Whether a capture uses event v1 blocks (0x204/0x208). tshark 4.0 shows
/// their events without parameter values, while our v2 blocks show them, so
/// tshark's Info column can only be compared for v2 originals.
pub fn uses_v1_event_blocks(path: &Path) -> bool {
    let mut r = ScapReader::with_options(
        std::fs::File::open(path).unwrap(),
        ReaderOptions::skipping_unknown_events(),
    )
    .unwrap();
    while r.next_item().unwrap().is_some() {}
    let bt = &r.stats().blocks_by_type;
    bt.contains_key(&0x204) || bt.contains_key(&0x208)
}

/// A small xorshift generator for the in-process fuzzers (reproducible from
/// its seed).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// The fuzzers' budget and seed: `FUZZ_SECONDS` (else `ci_default` under
/// CI=true, `local_default` elsewhere) and `FUZZ_SEED` (else the clock).
pub fn fuzz_budget(ci_default: u64, local_default: u64) -> (u64, u64) {
    let seconds = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if ci() { ci_default } else { local_default });
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    (seconds, seed)
}

/// Whether the eBPF probe can run here; under CI=true it must.
pub fn probe_available() -> bool {
    match scapbridge_probe::check_available() {
        Ok(()) => true,
        Err(e) => {
            assert!(!ci(), "the probe must run under CI=true, but: {e}");
            eprintln!("skipping: eBPF probe unavailable here: {e}");
            false
        }
    }
}

/// `scapbridge capture -i scapbridge-syscalls [--profile PROFILE] -w OUT`: a
/// live capture through the probe (the default layout without a profile),
/// for the caller to add its options and `-- COMMAND…`.
pub fn syscalls_capture(profile: Option<&str>, out: &Path) -> Command {
    let mut c = scapbridge();
    c.args(["capture", "-i", "scapbridge-syscalls"]);
    if let Some(p) = profile {
        c.args(["--profile", p]);
    }
    c.arg("-w").arg(out);
    c
}

/// Runs a capture to its end and asserts that it succeeded; its standard
/// error, which holds the summary.
pub fn capture_ok(c: &mut Command) -> String {
    let o = c.output().expect("spawn scapbridge capture");
    let summary = stderr(&o);
    assert!(o.status.success(), "capture failed: {summary}");
    summary
}

/// The process table entry of `tid` in a capture's `/proc` snapshot (the
/// last one, should several blocks list it).
pub fn snapshot_process(path: &Path, tid: u64) -> Option<scapbridge_formats::meta::ProcessInfo> {
    let f = std::fs::File::open(path).expect("open the capture");
    let mut r = ScapReader::new(f).expect("reader");
    let mut entry = None;
    while let Some(item) = r.next_item().expect("item") {
        if let Item::Processes(ps) = item {
            if let Some(p) = ps.iter().find(|p| p.tid == tid) {
                entry = Some(p.clone());
            }
        }
    }
    entry
}

/// `pgrep -f PATTERN`: the pids of matching processes.
pub fn pgrep(pattern: &str) -> Vec<u32> {
    let o = Command::new("pgrep")
        .arg("-f")
        .arg("--")
        .arg(pattern)
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Every descendant of `pid` with its command name (`/proc/*/stat`).
pub fn descendants(pid: u32) -> Vec<(u32, String)> {
    let mut all: Vec<(u32, u32, String)> = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        let ppid = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        all.push((p, ppid, comm));
    }
    let mut out: Vec<(u32, String)> = Vec::new();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        for (p, pp, comm) in &all {
            if *pp == parent {
                out.push((*p, comm.clone()));
                frontier.push(*p);
            }
        }
    }
    out
}

/// `/proc/PID/status` field in kB (`VmHWM:` peak resident memory, `VmRSS:`).
pub fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `kill -SIG PID`; whether it was delivered.
pub fn signal(sig: &str, pid: u32) -> bool {
    Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

/// A file opened in a loop until dropped: a known workload for live tests.
pub struct Workload {
    /// The file it opens.
    pub marker: PathBuf,
    child: std::process::Child,
}

impl Workload {
    /// Starts it, opening `dir`/workload-marker every 10 ms.
    pub fn start(dir: &Path) -> Workload {
        let marker = dir.join("workload-marker");
        std::fs::write(&marker, "x").unwrap();
        let child = Command::new("sh")
            .arg("-c")
            .arg("while :; do cat \"$0\" >/dev/null; sleep 0.01; done")
            .arg(&marker)
            .spawn()
            .unwrap();
        Workload { marker, child }
    }

    /// The capture filter that keeps only the workload's opens.
    pub fn filter(&self) -> String {
        format!("evt.type=openat and fd.name={}", self.marker.display())
    }
}

impl Drop for Workload {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `script` with `sh -c`, its stdout discarded; whether it succeeded.
pub fn run_sh(script: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The Debian sid root with Stratoshark 0.9.9 (`strato`), tshark 4.6 and
/// sysdig 0.41 on libs 0.23 that `install/install.sh --deps` prepares, or
/// `None` (with the reason on stderr) where it is missing; under CI=true it
/// must be there. Our container plugin of this tree is installed in it
/// first (once per test process): what its readers show of a host
/// thread's user and socket ends depends on the plugin, so a plugin left
/// there by another build would make their answers stale.
pub fn sid_root() -> Option<PathBuf> {
    let root = PathBuf::from(
        std::env::var("SCAPBRIDGE_SID_ROOT")
            .unwrap_or_else(|_| "/var/cache/scapbridge/sid-root".into()),
    );
    let ready = root.join("usr/bin/strato").exists() && root.join(".scapbridge-ready").exists();
    if !ready {
        assert!(
            !ci(),
            "the Debian sid root (Stratoshark's readers) is required under CI=true: {} (install/install.sh --deps makes it)",
            root.display()
        );
        eprintln!(
            "skipping: no Debian sid root with Stratoshark at {} (run install/install.sh --deps)",
            root.display()
        );
        return None;
    }
    reader_plugin::install_in_sid(&root);
    Some(root)
}

/// Runs `args` inside the sid root, with `dir` (a test's temp dir) bound at
/// `/x` there, in a private mount namespace with `/proc`, `/sys` and `/dev`
/// (nothing stays mounted when it ends).
pub fn in_sid(root: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    sid_command(root, dir, args).output().expect("unshare")
}

/// `sysdig -r /x/FILE ARGS…` in the sid root (sysdig 0.41, times in UTC)
/// and `scapbridge read DIR/FILE ARGS…`, each asserted to succeed: their
/// standard outputs, sysdig's first.
pub fn sysdig041_and_read(root: &Path, dir: &Path, file: &str, args: &[&str]) -> (Output, Output) {
    let at = format!("/x/{file}");
    let mut sysdig = vec!["env", "TZ=UTC", "sysdig", "-r", &at];
    sysdig.extend_from_slice(args);
    let theirs = in_sid(root, dir, &sysdig);
    assert!(
        theirs.status.success(),
        "sysdig 0.41 {args:?}: {}",
        stderr(&theirs)
    );
    let ours = run(scapbridge().arg("read").arg(dir.join(file)).args(args));
    assert!(ours.status.success(), "read {args:?}: {}", stderr(&ours));
    (theirs, ours)
}

/// `sysdig -r FILE THEIRS…` (the host's sysdig 0.29) and `scapbridge read
/// FILE --as sysdig-0.29 OURS…` (our reader following 0.29 where the
/// generations differ), both with times in UTC, each asserted to succeed:
/// their outputs, sysdig's first.
pub fn sysdig029_and_read(file: &Path, theirs: &[&str], ours: &[&str]) -> (Output, Output) {
    let t = run(Command::new("sysdig")
        .arg("-r")
        .arg(file)
        .args(theirs)
        .env("TZ", "UTC"));
    assert!(t.status.success(), "sysdig {theirs:?}: {}", stderr(&t));
    let o = run(scapbridge()
        .arg("read")
        .arg(file)
        .args(["--as", "sysdig-0.29"])
        .args(ours)
        .env("TZ", "UTC"));
    assert!(o.status.success(), "read {ours:?}: {}", stderr(&o));
    (t, o)
}

/// The command [`in_sid`] runs, to be spawned.
pub fn sid_command(root: &Path, dir: &Path, args: &[&str]) -> Command {
    chroot_command(r#"r="$1"; d="$2""#, root, dir, args)
}

/// A command running `args` chrooted into the folder `$r`, with `/proc`,
/// `/sys`, `/dev` and the folder `$d` at `/x` there, in a private mount
/// namespace (nothing stays mounted when it ends). `setup`, shell, sets `r`
/// and `d` from `$1` (`one`) and `$2` (`two`), mounting the root first if
/// it has to: the sid root as it is, or an overlay of it (package.rs).
pub fn chroot_command(setup: &str, one: &Path, two: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("unshare");
    c.args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(format!(
            r#"{setup} && shift 2 &&
mount -t proc proc "$r/proc" && mount --rbind /sys "$r/sys" && mount --rbind /dev "$r/dev" &&
mkdir -p "$r/x" && mount --bind "$d" "$r/x" && exec chroot "$r" "$@""#
        ))
        .arg("sh")
        .arg(one)
        .arg(two)
        .args(args)
        .env("HOME", "/root")
        .env("LC_ALL", "C.UTF-8");
    c
}

/// One frame as Stratoshark's `strato -T fields` shows it: the frame's
/// event name by Wireshark's own dissector, whether Wireshark marked it
/// malformed (a dissector exception, "Dissector bug" included), and the
/// libsinsp columns.
#[derive(Debug, Clone)]
pub struct StratoRow {
    pub frame: u64,
    pub event_name: String,
    pub malformed: bool,
    pub evt_type: String,
    pub args: String,
}

/// The `strato -r FILE` arguments that print [`StratoRow`]s.
pub const STRATO_FIELDS: &[&str] = &[
    "-T",
    "fields",
    "-E",
    "occurrence=f",
    "-e",
    "frame.number",
    "-e",
    "sysdig.event_name",
    "-e",
    "_ws.malformed",
    "-e",
    "evt.type",
    "-e",
    "evt.args",
];

/// Parses `strato` output made with [`STRATO_FIELDS`].
pub fn parse_strato_rows(out: &str) -> Vec<StratoRow> {
    out.lines()
        .map(|l| {
            let mut f = l.splitn(5, '\t');
            StratoRow {
                frame: f.next().unwrap_or("").parse().expect("frame number"),
                event_name: f.next().unwrap_or("").to_string(),
                malformed: !f.next().unwrap_or("").is_empty(),
                evt_type: f.next().unwrap_or("").to_string(),
                args: f.next().unwrap_or("").to_string(),
            }
        })
        .collect()
}

/// strato's standard error without its "Running as user root" notice.
pub fn strato_stderr(err: &str) -> String {
    err.lines()
        .filter(|l| !l.starts_with("Running as user"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every frame of `name` (a file in `dir`) as strato reads it, with its
/// stderr; panics if strato fails.
pub fn strato_rows(root: &Path, dir: &Path, name: &str) -> (Vec<StratoRow>, String) {
    let file = format!("/x/{name}");
    let mut args = vec!["strato", "-r", &file];
    args.extend_from_slice(STRATO_FIELDS);
    let o = in_sid(root, dir, &args);
    let err = strato_stderr(&stderr(&o));
    assert!(o.status.success(), "strato -r {name}: {:?} {err}", o.status);
    (parse_strato_rows(&String::from_utf8_lossy(&o.stdout)), err)
}

/// Every frame of `name` shows its own event in strato: see
/// [`assert_rows_are_their_frames`]. Returns the number of rows.
pub fn assert_every_row_is_its_own(root: &Path, dir: &Path, name: &str) -> usize {
    let (rows, err) = strato_rows(root, dir, name);
    let ours = events(&dir.join(name), false).expect("our reader");
    assert_rows_are_their_frames(name, &ours, &rows, &err)
}

/// strato's `rows` of a file whose events are `ours` (by our reader) each
/// show their own frame's event: each row is the frame of that number among
/// our events, libsinsp's `evt.type` is the frame's own event, every event
/// but libs' internal ones (procinfo, container: Stratoshark hides them) has
/// its row, no frame is malformed, and strato (`err`) warns of nothing.
/// Returns the number of rows.
pub fn assert_rows_are_their_frames(
    name: &str,
    ours: &[OwnedEvent],
    rows: &[StratoRow],
    err: &str,
) -> usize {
    use scapbridge_formats::schema;
    // Stratoshark shows no row for libs' internal events (procinfo): their
    // frames are skipped, not shifted. A container meta event has a row
    // unless it is the first event of the file (tests/containers-readers.md
    // §3 shows it with strato and sysdig 0.41): each may or may not have a
    // row here, but every row shown is its frame's own.
    let has_cat = |t: u16, c: u32| schema::event_info(t).is_some_and(|i| i.category & c != 0);
    let internal = |t: u16| has_cat(t, schema::cat::INTERNAL);
    let visible = ours.iter().filter(|e| !internal(e.event_type)).count();
    let meta = ours
        .iter()
        .filter(|e| !internal(e.event_type) && has_cat(e.event_type, schema::cat::METAEVENT))
        .count();
    assert!(
        (visible - meta..=visible).contains(&rows.len()),
        "{name}: {} strato rows for {visible} events that are not internal ({meta} meta events)",
        rows.len()
    );
    // The frame's event by our reader: a generic event is named by its
    // syscall code, and where that is 0 ("unknown", old captures) by its
    // x86-64 number, as libsinsp 0.23 names it (Wireshark 4.6's own
    // dissector says "unknown" there).
    let own_name = |e: &OwnedEvent| -> Option<String> {
        if e.event_type <= 1 {
            let u16_at = |i: usize| {
                e.params
                    .get(i)
                    .filter(|p| p.len() == 2)
                    .map(|p| u16::from_le_bytes([p[0], p[1]]))
            };
            match u16_at(0)? {
                0 => scapbridge_probe::syscalls::name(u16_at(1)?).map(str::to_string),
                code => schema::syscall_name(code).map(str::to_string),
            }
        } else if e.event_type == schema::PPME_ASYNCEVENT_E {
            // libsinsp names an async event by its name parameter.
            let name = e.params.get(1)?;
            Some(
                String::from_utf8_lossy(name)
                    .trim_end_matches('\0')
                    .to_string(),
            )
        } else {
            schema::event_info(e.event_type).map(|i| i.name.to_string())
        }
    };
    let shifted: Vec<_> = rows
        .iter()
        .filter(|r| {
            let frame = usize::try_from(r.frame)
                .ok()
                .and_then(|f| ours.get(f.wrapping_sub(1)));
            let own = frame.filter(|e| !internal(e.event_type)).and_then(own_name);
            let async_event = r.event_name == "asyncevent";
            own.as_deref() != Some(r.evt_type.as_str())
                || (r.event_name != "unknown" && !async_event && r.event_name != r.evt_type)
        })
        .take(5)
        .collect();
    assert!(
        shifted.is_empty(),
        "{name}: rows showing another event than their frame's: {shifted:?}"
    );
    let malformed: Vec<_> = rows.iter().filter(|r| r.malformed).take(5).collect();
    assert!(
        malformed.is_empty(),
        "{name}: frames Wireshark's dissector failed on: {malformed:?}"
    );
    for bad in [
        "Dissector bug",
        "sinsp",
        "converter",
        "could not",
        "xception",
    ] {
        assert!(!err.contains(bad), "{name}: strato said {err}");
    }
    rows.len()
}

/// Makes `dir`/home a Stratoshark home (`HOME=/x/home` in the sid root)
/// whose personal extcap folder holds our binary, as `install.sh` puts it.
pub fn stratoshark_home(dir: &Path) {
    let ext = dir.join("home/.local/lib/stratoshark/extcap");
    std::fs::create_dir_all(&ext).unwrap();
    std::fs::copy(scapbridge_bin(), ext.join("scapbridge")).unwrap();
}

/// Runs the `stratoshark` GUI offscreen in the sid root (home from
/// [`stratoshark_home`]) with `args`, a capture (`-k … -w /x/FILE`), until it
/// logs that the capture stopped or `limit` passes, then closes it (the GUI
/// stays open after a capture). Returns its log and whether the capture
/// stopped; once it has, the file Stratoshark saved is complete.
pub fn stratoshark_capture(
    root: &Path,
    dir: &Path,
    args: &[&str],
    limit: std::time::Duration,
) -> (String, bool) {
    use std::io::BufRead;
    let backstop = (limit.as_secs() + 30).to_string();
    let mut a = vec![
        "env",
        "HOME=/x/home",
        "QT_QPA_PLATFORM=offscreen",
        "timeout",
        &backstop,
        "stratoshark",
    ];
    a.extend_from_slice(args);
    let mut child = sid_command(root, dir, &a)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("unshare");
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut log = String::new();
        for line in std::io::BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            if line.contains("Capture stopped") {
                let _ = tx.send(());
            }
            log.push_str(&line);
            log.push('\n');
        }
        log
    });
    let stopped = rx.recv_timeout(limit).is_ok();
    // The child is `timeout` (unshare, sh, chroot and env exec): it passes
    // SIGTERM on to Stratoshark and its process group.
    signal("TERM", child.id());
    let _ = child.wait();
    (reader.join().unwrap(), stopped)
}

/// The fixtures our `read` prints exactly as sysdig 0.29 does, line for
/// line (`tests/fixtures.rs` says why the others differ).
#[allow(dead_code)]
pub const SAME_AS_SYSDIG: &[&str] = &[
    "falco_cat_write",
    "falco_connect_localhost",
    "libs_e2e_curl_google",
    "libs_e2e_single_ipv6_conn",
    "falco_syscall",
    "falco_ping_sendto",
    "libs_sample",
    "falco_empty",
];

/// The log options that let [`wait_capturing`] see a live syscalls capture
/// start: `--log-file LOG --log-level info`.
#[allow(dead_code)]
pub fn capture_log_args(log: &Path) -> Vec<String> {
    vec![
        "--log-file".into(),
        log.display().to_string(),
        "--log-level".into(),
        "info".into(),
    ]
}

/// Waits until the capture logging to `log` (see [`capture_log_args`]) has
/// its probe attached, so what a test does next is captured however long
/// the probe's load takes on a busy machine (a fixed sleep lost the
/// workload when it took longer). Panics after two minutes.
#[allow(dead_code)]
pub fn wait_capturing(log: &Path) {
    let t0 = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains("probe loaded and attached") {
            return;
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(120),
            "the capture did not attach its probe in 2 min: {text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A command's standard output, line by line.
#[allow(dead_code)]
pub fn stdout_lines(o: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Fails when `failures` is not empty, with their count before `what` and
/// then every one, a line each: a comparison over many inputs shows all
/// it found in one run, not the first.
pub fn assert_no_failures(failures: &[String], what: &str) {
    assert!(
        failures.is_empty(),
        "{} {what}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
