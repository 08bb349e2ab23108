//! The SSH benchmark (issue 6), against a throwaway OpenSSH sshd on
//! 127.0.0.1 (the tests' fixture), every figure beside a reference measured
//! in the same run:
//!
//! 1. transport: a recorded capture streamed through `scapbridge-ssh` (the
//!    host runs `cat FILE`) beside the same file replayed locally
//!    (`scapbridge-replay --speed max`) and beside OpenSSH's own client
//!    copying the same bytes;
//! 2. live: a byte-at-a-time `dd` captured by our agent through SSH beside
//!    the same capture local (`scapbridge-syscalls`), same filter: events
//!    per second written, and events lost;
//! 3. trigger: the delay from a triggering syscall to its first byte
//!    arriving at the client (host-side rules, `--trigger`), idle and under
//!    load, beside the same trigger capture local; p50, p99, max.
//!
//! Run as root: `cargo bench -p scapbridge-tests --bench ssh`. Without root,
//! sshd or the probe it says why and measures nothing. Nothing here asserts
//! on time.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

#[cfg(target_os = "linux")]
#[path = "../common/mod.rs"]
mod common;

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("the SSH benchmark needs Linux (the agent's probe)");
}

#[cfg(target_os = "linux")]
fn main() {
    linux::run();
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::HashMap;
    use std::fs::File;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use scapbridge_formats::{Item, ScapReader};
    use scapbridge_tests::CaptureArgs;

    use super::common::{self, scapbridge, sshd::Sshd};

    /// Runs per throughput figure; the best (least disturbed) counts.
    const RUNS: u32 = 3;
    /// `dd` byte count of the workloads: two syscalls per byte.
    const DD_BYTES: u64 = 500_000;
    /// Triggers per latency series, one every `TRIGGER_EVERY`.
    const TRIGGERS: u32 = 200;
    const TRIGGER_EVERY: Duration = Duration::from_millis(100);

    pub(crate) fn run() {
        if !super::common::sshd::is_root() {
            println!("skipping: the SSH benchmark needs root (sshd, the probe)");
            return;
        }
        let Some(s) = Sshd::start() else { return };
        if !common::probe_available() {
            return;
        }
        s.install_agent("scapbridge-agent");
        println!("== scapbridge-ssh on loopback (OpenSSH sshd on 127.0.0.1, ed25519 keys)");
        transport(&s);
        live(&s);
        trigger(&s);
    }

    fn secs(f: impl FnOnce()) -> f64 {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64()
    }

    fn best_of(mut f: impl FnMut() -> f64) -> f64 {
        (0..RUNS).map(|_| f()).fold(f64::INFINITY, f64::min)
    }

    fn ok(c: &mut Command) {
        let o = c.stdout(Stdio::null()).output().expect("spawn");
        assert!(o.status.success(), "{c:?}: {}", common::stderr(&o));
    }

    fn event_count(p: &Path) -> usize {
        common::events(p, false).expect("a readable capture").len()
    }

    /// (1) A recorded capture (dd under our probe) streamed through SSH
    /// beside the local replay and OpenSSH's client.
    fn transport(s: &Sshd) {
        let input = s.path("bench-input.scap");
        ok(scapbridge()
            .args(["capture", "-q", "-i", "scapbridge-syscalls", "-w"])
            .arg(&input)
            .arg("--")
            .args(dd(DD_BYTES)));
        let events = event_count(&input);
        let mb = std::fs::metadata(&input).unwrap().len() as f64 / 1e6;
        let out = s.path("bench-out.scap");
        let local = best_of(|| secs(|| ok(scapbridge().replay_max(&input).arg("-w").arg(&out))));
        assert_eq!(event_count(&out), events, "local replay");
        let cat = format!("cat '{}'", input.display());
        let ssh = best_of(|| {
            secs(|| {
                let o = s.capture(
                    &out,
                    &[
                        "--remote-capture-command-select",
                        "other",
                        "--remote-capture-command",
                        &cat,
                    ],
                );
                assert!(o.status.success(), "{}", common::stderr(&o));
            })
        });
        assert_eq!(event_count(&out), events, "through SSH");
        let openssh = best_of(|| {
            secs(|| {
                ok(Command::new("ssh")
                    .args(["-T", "-o", "BatchMode=yes", "-p", &s.port.to_string()])
                    .arg("-o")
                    .arg(format!(
                        "UserKnownHostsFile={}",
                        s.path("known_hosts").display()
                    ))
                    .arg("-i")
                    .arg(s.path("client_ed25519"))
                    .args(["root@127.0.0.1", &cat])
                    .stdout(File::create(&out).unwrap()))
            })
        });
        let eps = |t: f64| events as f64 / t;
        println!(
            "1. transport: {events} events, {mb:.1} MB recorded (dd bs=1 count={DD_BYTES}), best of {RUNS}"
        );
        println!(
            "   scapbridge-ssh (host: cat FILE)   {ssh:>7.3} s {:>11.0} ev/s {:>6.1} MB/s",
            eps(ssh),
            mb / ssh
        );
        println!(
            "   local replay --speed max         {local:>7.3} s {:>11.0} ev/s {:>6.1} MB/s   ssh/local {:.2}",
            eps(local),
            mb / local,
            local / ssh
        );
        println!(
            "   OpenSSH ssh cat FILE > out       {openssh:>7.3} s {:>11.0} ev/s {:>6.1} MB/s   ssh/OpenSSH {:.2}",
            eps(openssh),
            mb / openssh,
            openssh / ssh
        );
        let _ = std::fs::remove_file(&out);
    }

    fn dd(bytes: u64) -> Vec<String> {
        ["dd", "if=/dev/zero", "of=/dev/null", "bs=1"]
            .iter()
            .map(|s| s.to_string())
            .chain([format!("count={bytes}")])
            .collect()
    }

    /// Whether the process `pid` holds an attached eBPF link (the probe is
    /// on).
    fn has_bpf_link(pid: u32) -> bool {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|d| {
                d.flatten().any(|e| {
                    std::fs::read_link(e.path())
                        .is_ok_and(|l| l.to_string_lossy() == "anon_inode:bpf_link")
                })
            })
            .unwrap_or(false)
    }

    /// Waits until a process matching `pattern` has its probe attached.
    fn wait_attached(pattern: &str) {
        let t = Instant::now();
        while !common::pgrep(pattern).into_iter().any(has_bpf_link) {
            assert!(t.elapsed() < Duration::from_secs(30), "{pattern}: no probe");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Attached is not yet draining: let the consumer start.
        std::thread::sleep(Duration::from_millis(300));
    }

    fn stop(child: Child) {
        common::signal("TERM", child.id());
        let o = child.wait_with_output().expect("capture exit");
        assert!(
            matches!(o.status.code(), Some(0 | 3)),
            "capture failed: {}",
            common::stderr(&o)
        );
    }

    /// (events written, drop events) of a capture file.
    fn written_and_drops(p: &Path) -> (usize, usize) {
        let evs = common::events(p, false).expect("a readable capture");
        // PPME_DROP_E (0x0e) marks each period of lost events.
        let drops = evs.iter().filter(|e| e.event_type == 14).count();
        (evs.len(), drops)
    }

    /// (2) A live dd, captured by the agent through SSH and locally, with the
    /// same filter.
    fn live(s: &Sshd) {
        let filter = "proc.name=dd";
        let out = s.path("bench-live.scap");
        let mut rows = Vec::new();
        for path in ["local", "ssh"] {
            let (child, pattern) = if path == "local" {
                let c = scapbridge()
                    .args(["capture", "-q", "-i", "scapbridge-syscalls", "-f", filter])
                    .arg("-w")
                    .arg(&out)
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                (c, "scapbridge capture -q -i scapbridge-syscalls")
            } else {
                let c = s
                    .capture_cmd(
                        &s.path("client_ed25519"),
                        &out,
                        &[
                            "--remote-capture-command-select",
                            "scapbridge",
                            "-f",
                            filter,
                        ],
                    )
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                (c, "scapbridge-agent capture --write=-")
            };
            wait_attached(pattern);
            let work = dd(DD_BYTES);
            let took = secs(|| ok(Command::new(&work[0]).args(&work[1..])));
            // Let the stream drain, then stop.
            std::thread::sleep(Duration::from_millis(1500));
            stop(child);
            let (n, drops) = written_and_drops(&out);
            rows.push((path, took, n, drops));
        }
        let expected = 4 * DD_BYTES;
        println!(
            "2. live: dd bs=1 count={DD_BYTES} (about {expected} events in the compat profile), filter {filter}"
        );
        for (path, took, n, drops) in &rows {
            println!(
                "   {:<6} dd {took:.3} s   {n:>9} events written ({:.1} % of the workload's)   {:>11.0} ev/s   {drops} drop periods",
                path,
                100.0 * *n as f64 / expected as f64,
                *n as f64 / took
            );
        }
        let rate = |r: &(&str, f64, usize, usize)| r.2 as f64 / r.1;
        println!("   ssh/local {:.2}", rate(&rows[1]) / rate(&rows[0]));
        let _ = std::fs::remove_file(&out);
    }

    /// The number in `…/sbtrig-N` inside an event's bytes.
    fn trigger_number(raw: &[u8]) -> Option<u32> {
        let at = raw.windows(7).position(|w| w == b"sbtrig-")? + 7;
        let digits: Vec<u8> = raw[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .copied()
            .collect();
        std::str::from_utf8(&digits).ok()?.parse().ok()
    }

    /// Reads the capture from `fifo` and reports the arrival of each
    /// trigger number's first event.
    fn arrivals(fifo: PathBuf, tx: mpsc::Sender<(u32, Instant)>) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            let f = File::open(&fifo).expect("fifo");
            let Ok(mut r) = ScapReader::new(f) else {
                return;
            };
            let mut seen = std::collections::HashSet::new();
            while let Ok(Some(item)) = r.next_item() {
                if let Item::Event(e) = item {
                    let now = Instant::now();
                    if let Some(k) = trigger_number(e.raw()) {
                        if seen.insert(k) && tx.send((k, now)).is_err() {
                            return;
                        }
                    }
                }
            }
        })
    }

    struct Latency {
        p50: f64,
        p99: f64,
        max: f64,
        missing: usize,
    }

    /// One series: `TRIGGERS` opens of marker files, each the trigger of
    /// a window, timed from just before the open to the arrival of its
    /// first event at the reader.
    fn series(s: &Sshd, via_ssh: bool, loaded: bool) -> Latency {
        let dir = s.path("trig");
        let _ = std::fs::create_dir(&dir);
        let marker = |k: u32| dir.join(format!("sbtrig-{k}"));
        let warm = 1_000_000;
        for k in (0..TRIGGERS).chain(warm..warm + 300) {
            std::fs::write(marker(k), "x").unwrap();
        }
        let rules = s.path("trig-rules.yaml");
        std::fs::write(
            &rules,
            format!(
                "- rule: Trigger marker opened\n  desc: bench\n  condition: evt.type in (open, openat) and evt.dir = < and fd.name startswith \"{}/sbtrig-\"\n  output: \"trigger %fd.name\"\n  priority: WARNING\n",
                dir.display()
            ),
        )
        .unwrap();
        let fifo = s.path("trig.fifo");
        let _ = std::fs::remove_file(&fifo);
        assert!(Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let rules_s = rules.display().to_string();
        let trigger_args = [
            "--rules",
            &rules_s,
            "--alerts",
            "/dev/null",
            "--trigger",
            "--pre",
            "50ms",
            "--post",
            "20ms",
        ];
        let (tx, rx) = mpsc::channel();
        let reader = arrivals(fifo.clone(), tx);
        let (child, pattern) = if via_ssh {
            let mut args = vec!["--remote-capture-command-select", "scapbridge"];
            args.extend(trigger_args);
            let c = s
                .capture_cmd(&s.path("client_ed25519"), &fifo, &args)
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            (c, "scapbridge-agent capture --write=-")
        } else {
            let c = scapbridge()
                .args(["capture", "-q", "-i", "scapbridge-syscalls"])
                .args(trigger_args)
                .arg("-w")
                .arg(&fifo)
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            (c, "scapbridge capture -q -i scapbridge-syscalls --rules")
        };
        let mut load = loaded.then(|| {
            Command::new("sh")
                .arg("-c")
                // About a hundred thousand syscalls a second.
                .arg("while :; do dd if=/dev/zero of=/dev/null bs=1 count=5000 2>/dev/null; sleep 0.1; done")
                .spawn()
                .unwrap()
        });
        wait_attached(pattern);
        // Warm up until a whole trigger round trip worked.
        let mut k = warm;
        loop {
            let _ = File::open(marker(k));
            if let Ok((got, _)) = rx.recv_timeout(Duration::from_millis(200)) {
                if got >= warm {
                    break;
                }
            }
            k += 1;
            assert!(k < warm + 300, "no trigger arrived during the warm-up");
        }
        std::thread::sleep(Duration::from_millis(300));
        let mut opened = HashMap::new();
        for k in 0..TRIGGERS {
            let t = Instant::now();
            let _ = File::open(marker(k));
            opened.insert(k, t);
            std::thread::sleep(TRIGGER_EVERY);
        }
        std::thread::sleep(Duration::from_millis(1000));
        if let Some(l) = &mut load {
            common::signal("TERM", l.id());
            let _ = Command::new("pkill")
                .args(["-f", "dd if=/dev/zero of=/dev/null bs=1 count=5000"])
                .status();
            let _ = l.wait();
        }
        stop(child);
        let _ = reader.join();
        let mut delays: Vec<f64> = rx
            .try_iter()
            .filter_map(|(k, at)| opened.get(&k).map(|t| at.duration_since(*t).as_secs_f64()))
            .collect();
        delays.sort_by(f64::total_cmp);
        let missing = TRIGGERS as usize - delays.len();
        let pct = |p: f64| {
            let i = ((p * delays.len() as f64).ceil() as usize).clamp(1, delays.len().max(1)) - 1;
            delays.get(i).copied().unwrap_or(f64::NAN)
        };
        Latency {
            p50: pct(0.50),
            p99: pct(0.99),
            max: delays.last().copied().unwrap_or(f64::NAN),
            missing,
        }
    }

    /// 3. Trigger-to-first-byte, through SSH and locally, idle and loaded.
    fn trigger(s: &Sshd) {
        println!(
            "3. trigger to first byte: {TRIGGERS} triggers {} ms apart, --pre 50ms --post 20ms, rules on the host",
            TRIGGER_EVERY.as_millis()
        );
        for loaded in [false, true] {
            let load = if loaded {
                "loaded (~100k syscalls/s)"
            } else {
                "idle"
            };
            let ssh = series(s, true, loaded);
            let local = series(s, false, loaded);
            for (path, l) in [("ssh", &ssh), ("local", &local)] {
                println!(
                    "   {load:<26} {path:<6} p50 {:>6.1} ms   p99 {:>6.1} ms   max {:>6.1} ms   missing {}",
                    l.p50 * 1e3,
                    l.p99 * 1e3,
                    l.max * 1e3,
                    l.missing
                );
            }
            println!(
                "   {load:<26} p99 ssh/local {:.2} (goal: ssh p99 under 1 s: {})",
                ssh.p99 / local.p99,
                if ssh.p99 < 1.0 { "met" } else { "NOT met" }
            );
        }
    }
}
