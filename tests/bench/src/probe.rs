//! `scapbridge-bench probe`: what the eBPF probe costs the traced programs,
//! beside no tracing and a bpftrace counting probe measured in the same run,
//! the rate at which it starts dropping, and the capture's memory at full
//! rate. Needs root; bpftrace is optional (install/install.sh --bench).
//!
//! Cost is CPU time of the traced workload (the probe runs in its context),
//! so the consumer's own CPU does not hide in it: a getppid loop (CPU ns from
//! /proc/thread-self/schedstat) and `dd bs=1` (user+sys from bash `times`).
//! Configurations run interleaved, round by round; medians are printed. The
//! workload and the capture run on different CPUs (taskset) where there are
//! two; the drop and memory runs leave both unpinned.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The workloads run by this binary itself (`scapbridge-bench workload ...`).
pub(crate) fn workload(args: &[String]) -> Result<()> {
    let kind = args.first().map(String::as_str).unwrap_or("");
    let n: u64 = args.get(1).context("workload count")?.parse()?;
    match kind {
        // N getppid calls; prints the CPU ns they took.
        "getppid" => {
            let t0 = cpu_ns();
            let mut x = 0u32;
            for _ in 0..n {
                x = x.wrapping_add(std::os::unix::process::parent_id());
            }
            let t1 = cpu_ns();
            println!("{} {x}", t1 - t0);
        }
        // getppid at N calls per second for SECS seconds (paced in 1 ms slices).
        "paced" => {
            let secs: f64 = args.get(2).context("seconds")?.parse()?;
            let start = Instant::now();
            let mut done = 0u64;
            let mut x = 0u32;
            while start.elapsed().as_secs_f64() < secs {
                let due = (start.elapsed().as_secs_f64() * n as f64) as u64;
                if done < due {
                    for _ in done..due.min(done + 10_000) {
                        x = x.wrapping_add(std::os::unix::process::parent_id());
                    }
                    done = due.min(done + 10_000);
                } else {
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
            println!("{done} {x}");
        }
        other => bail!("unknown probe workload '{other}'"),
    }
    Ok(())
}

/// Where the capture (its consumer) and the measured workload run: two
/// different CPUs when the machine has them, so the consumer draining the
/// rings neither takes the workload's CPU nor its caches (on this shared
/// 2-vCPU VM, unpinned per-run figures of the same program varied from 337
/// to 561 ns). `None` without taskset or with one CPU.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cpus {
    pub(crate) capture: Option<usize>,
    pub(crate) workload: Option<usize>,
}

impl Cpus {
    /// Nothing pinned.
    pub(crate) const NONE: Cpus = Cpus {
        capture: None,
        workload: None,
    };

    pub(crate) fn detect() -> Cpus {
        let n = std::thread::available_parallelism().map_or(1, usize::from);
        let taskset = Command::new("taskset")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if n >= 2 && taskset {
            Cpus {
                capture: Some(0),
                workload: Some(n - 1),
            }
        } else {
            Cpus::NONE
        }
    }

    pub(crate) fn describe(self) -> String {
        match (self.capture, self.workload) {
            (Some(c), Some(w)) => format!("capture on CPU {c}, workload on CPU {w}"),
            _ => "not pinned (one CPU, or no taskset)".into(),
        }
    }
}

/// `prog` to run on `cpu` (through taskset), or as it is.
pub(crate) fn on_cpu(cpu: Option<usize>, prog: impl AsRef<std::ffi::OsStr>) -> Command {
    match cpu {
        Some(c) => {
            let mut cmd = Command::new("taskset");
            cmd.arg("-c").arg(c.to_string()).arg(prog);
            cmd
        }
        None => Command::new(prog),
    }
}

/// CPU time of this thread, ns (schedstat's first field).
pub(crate) fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Tracer {
    None,
    Bpftrace,
    BpftraceRecord,
    ProbeFiltered,
    ProbeFull,
}

impl Tracer {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Tracer::None => "no tracing",
            Tracer::Bpftrace => "bpftrace counting sys_enter",
            Tracer::BpftraceRecord => "bpftrace printf time,tid,id,ret to file",
            Tracer::ProbeFiltered => "our probe, syscall filtered out",
            Tracer::ProbeFull => "our probe, full capture to .scap",
        }
    }
}

pub(crate) struct Running {
    pub(crate) child: Child,
    out: Option<PathBuf>,
}

pub(crate) fn stop(mut r: Running) -> Result<String> {
    let _ = Command::new("kill")
        .args(["-INT", &r.child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while r.child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = r.child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = r.child.wait_with_output()?;
    if let Some(p) = r.out {
        let _ = std::fs::remove_file(p);
    }
    Ok(String::from_utf8_lossy(&o.stderr).into_owned())
}

/// Starts `scapbridge capture` on the probe and waits until it is attached.
pub(crate) fn start_capture(
    scapbridge: &Path,
    tmp: &Path,
    syscalls: &str,
    tag: &str,
    cpus: Cpus,
) -> Result<Running> {
    let out = tmp.join(format!("probe-{tag}.scap"));
    let log = tmp.join(format!("probe-{tag}.log"));
    let _ = std::fs::remove_file(&log);
    let child = on_cpu(cpus.capture, scapbridge)
        .args([
            "capture",
            "-i",
            "scapbridge-syscalls",
            "--syscalls",
            syscalls,
            "-w",
        ])
        .arg(&out)
        .args(["--log-level", "info", "--log-file"])
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if std::fs::read_to_string(&log).is_ok_and(|l| l.contains("probe loaded and attached")) {
            break;
        }
        if Instant::now() > deadline {
            bail!("the probe capture did not start (see {})", log.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // Let the /proc snapshot pass before measuring.
    std::thread::sleep(Duration::from_millis(300));
    Ok(Running {
        child,
        out: Some(out),
    })
}

/// The bpftrace references: counting every syscall in a map, the cheapest
/// thing a tracer can do per syscall; and printing four numbers of every
/// syscall exit (time, tid, id, return; no arguments) to a file, the
/// simplest per-syscall record a bpftrace user writes. bpftrace's perf
/// buffer wakes its reader through irq_work on the traced CPU, one
/// self-interrupt per event; in a VM each is an MSR write that exits to the
/// hypervisor (perf: native_write_msr, 85% of the workload's CPU). Our probe
/// submits without wake-ups and its reader polls: this row shows what that
/// design choice is worth.
const BPFTRACE_COUNT: &str = "tracepoint:raw_syscalls:sys_enter { @c = count(); }";
const BPFTRACE_RECORD: &str =
    "tracepoint:raw_syscalls:sys_exit { printf(\"%llu %d %ld %ld\\n\", nsecs, tid, args->id, args->ret); }";

/// Starts bpftrace with `script` writing to a file in `tmp` (pinned like the
/// capture), and waits until its probes are attached.
fn start_bpftrace(script: &str, tmp: &Path, cpus: Cpus) -> Result<Running> {
    let out = tmp.join("bpftrace.out");
    let _ = std::fs::remove_file(&out);
    let child = on_cpu(cpus.capture, "bpftrace")
        .arg("-o")
        .arg(&out)
        .args(["-e", script])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("bpftrace")?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&out).is_ok_and(|l| l.starts_with("Attaching")) {
        if Instant::now() > deadline {
            bail!("bpftrace did not attach ({})", out.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    Ok(Running {
        child,
        out: Some(out),
    })
}

pub(crate) fn start(
    t: Tracer,
    scapbridge: &Path,
    tmp: &Path,
    cpus: Cpus,
) -> Result<Option<Running>> {
    Ok(match t {
        Tracer::None => None,
        Tracer::Bpftrace => Some(start_bpftrace(BPFTRACE_COUNT, tmp, cpus)?),
        Tracer::BpftraceRecord => Some(start_bpftrace(BPFTRACE_RECORD, tmp, cpus)?),
        // openat is captured, getppid/read/write are not: the filtered path.
        Tracer::ProbeFiltered => Some(start_capture(scapbridge, tmp, "openat", "filtered", cpus)?),
        Tracer::ProbeFull => Some(start_capture(scapbridge, tmp, "all", "full", cpus)?),
    })
}

fn getppid_ns(me: &Path, n: u64, cpus: Cpus) -> Result<f64> {
    let o = on_cpu(cpus.workload, me)
        .args(["workload", "getppid", &n.to_string()])
        .output()?;
    Ok(workload_ns(&o)? / n as f64)
}

/// The nanoseconds a workload run printed first on its stdout.
pub(crate) fn workload_ns(o: &std::process::Output) -> Result<f64> {
    Ok(String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .context("workload output")?
        .parse()?)
}

fn dd_ns(n: u64, cpus: Cpus) -> Result<f64> {
    let o = on_cpu(cpus.workload, "bash")
        .arg("-c")
        .arg(format!(
            "dd if=/dev/zero of=/dev/null bs=1 count={n} 2>/dev/null; times"
        ))
        .output()?;
    let s = String::from_utf8_lossy(&o.stdout);
    let line = s.lines().nth(1).context("times output")?;
    let secs = |t: &str| -> f64 {
        let (m, rest) = t.split_once('m').unwrap_or(("0", t));
        m.parse::<f64>().unwrap_or(0.0) * 60.0
            + rest.trim_end_matches('s').parse::<f64>().unwrap_or(0.0)
    };
    let total: f64 = line.split_whitespace().map(secs).sum();
    Ok(total * 1e9 / (2 * n) as f64)
}

pub(crate) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

pub(crate) fn summary_numbers(summary: &str) -> (u64, u64, u64) {
    let num = |line_key: &str, word: &str| -> u64 {
        summary
            .lines()
            .find(|l| l.trim_start().starts_with(line_key))
            .and_then(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                w.iter()
                    .position(|x| x.starts_with(word))
                    .and_then(|i| w.get(i - 1))
                    .map(|v| v.replace(',', ""))
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (
        num("kernel", "events"),
        num("kernel", "lost"),
        num("events", "written"),
    )
}

/// run_time_ns / run_cnt of the newest loaded program called `name`.
pub(crate) fn bpf_run_ns(name: &str) -> Option<f64> {
    let o = Command::new("bpftool")
        .args(["-j", "prog", "show", "name", name])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&o.stdout);
    // One JSON object per program (possibly several, newline or array separated).
    let v: serde_json::Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("[{}]", text.trim().replace("}\n{", "},{"))))
        .ok()?;
    let progs: Vec<&serde_json::Value> = match &v {
        serde_json::Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let p = progs
        .into_iter()
        .max_by_key(|p| p["id"].as_u64().unwrap_or(0))?;
    let t = p["run_time_ns"].as_f64()?;
    let c = p["run_cnt"].as_f64()?;
    (c > 0.0).then(|| t / c)
}

fn vm_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// The whole probe benchmark.
pub(crate) fn run(scapbridge: &Path, tmp: &Path) -> Result<()> {
    let me = std::env::current_exe()?;
    let n_getppid: u64 = std::env::var("BENCH_SYSCALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000);
    let n_dd: u64 = n_getppid / 2;
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mem_secs: u64 = std::env::var("BENCH_MEM_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let bpftrace = bpftrace_ready();
    let mut tracers = vec![Tracer::None, Tracer::ProbeFiltered, Tracer::ProbeFull];
    if bpftrace {
        tracers.splice(1..1, [Tracer::Bpftrace, Tracer::BpftraceRecord]);
    } else {
        println!(
            "note: bpftrace (or tracefs) missing: install/install.sh --bench; its row is left out"
        );
    }
    let cpus = Cpus::detect();
    // The drop and memory runs load both CPUs on purpose: nothing pinned.
    let unpinned = Cpus::NONE;
    let mut g: Vec<Vec<f64>> = vec![Vec::new(); tracers.len()];
    let mut d: Vec<Vec<f64>> = vec![Vec::new(); tracers.len()];
    let mut drops_seen = 0u64;
    for round in 0..rounds {
        for (i, &t) in tracers.iter().enumerate() {
            let r = start(t, scapbridge, tmp, cpus)?;
            g[i].push(getppid_ns(&me, n_getppid, cpus)?);
            d[i].push(dd_ns(n_dd, cpus)?);
            if let Some(r) = r {
                let s = stop(r)?;
                drops_seen += summary_numbers(&s).1;
            }
        }
        eprint!("\rround {}/{rounds}", round + 1);
    }
    eprintln!();
    let gm: Vec<f64> = g.iter_mut().map(|v| median(v)).collect();
    let dm: Vec<f64> = d.iter_mut().map(|v| median(v)).collect();
    println!(
        "probe: CPU ns per syscall of the traced workload (median of {rounds} interleaved rounds, {})",
        cpus.describe()
    );
    println!(
        "  {:<36} {:>12} {:>8} {:>12} {:>8}",
        "configuration", "getppid", "added", "dd bs=1", "added"
    );
    for (i, t) in tracers.iter().enumerate() {
        println!(
            "  {:<36} {:>12.0} {:>+8.0} {:>12.0} {:>+8.0}",
            t.label(),
            gm[i],
            gm[i] - gm[0],
            dm[i],
            dm[i] - dm[0]
        );
    }
    let added = |t: Tracer| {
        tracers
            .iter()
            .position(|x| *x == t)
            .map(|i| (gm[i] - gm[0], dm[i] - dm[0]))
    };
    if let (Some((fg, fd)), Some((cg, cd))) =
        (added(Tracer::ProbeFiltered), added(Tracer::ProbeFull))
    {
        // Falco's anchors are per program run; they are compared with the
        // per-run figures below. These include the tracepoint path and the
        // program's effect on the syscall itself.
        println!(
            "  added per syscall: filtered out +{fg:.0} / +{fd:.0} ns, full capture +{cg:.0} / +{cd:.0} ns (getppid / dd)"
        );
        if let Some((bg, bd)) = added(Tracer::Bpftrace) {
            println!(
                "  filtered vs bpftrace counting: {:.2}x (getppid), {:.2}x (dd)",
                fg / bg,
                fd / bd
            );
            println!(
                "  full capture vs bpftrace counting: {:.2}x (getppid), {:.2}x (dd)",
                cg / bg,
                cd / bd
            );
        }
        if let Some((rg, rd)) = added(Tracer::BpftraceRecord) {
            println!(
                "  full capture vs bpftrace printing 4 numbers per syscall: {:.2}x (getppid), {:.2}x (dd)",
                cg / rg,
                cd / rd
            );
        }
    }
    println!("  ring drops during the cost runs: {drops_seen}");

    // Falco's anchors are per program run (kernel.bpf_stats_enabled), so
    // measure ours the same way: run time / run count of sys_exit, for each
    // workload alone, several times (interleaved), median and range. The
    // stats' own two clock reads are in every figure, ours and Falco's: the
    // filtered-out run (one array lookup, then return) is nearly all that,
    // so full minus filtered is what capturing an event adds.
    if Command::new("bpftool")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        // Short runs (about 0.5 s each) on a VM whose host adds bursts of
        // 50-100 ns: more of them than the cost rounds, so the median holds.
        let stat_rounds = rounds.max(9);
        println!(
            "probe: sys_exit program run time (kernel.bpf_stats_enabled; median [min-max] of {stat_rounds} interleaved runs, {})",
            cpus.describe()
        );
        let configs = [
            (Tracer::ProbeFiltered, "openat", 64.0),
            (Tracer::ProbeFull, "all", 349.0),
        ];
        // [config][workload: getppid, dd] -> ns per run
        let mut per: Vec<[Vec<f64>; 2]> = vec![[Vec::new(), Vec::new()]; configs.len()];
        for _ in 0..stat_rounds {
            for ((_, syscalls, _), runs) in configs.iter().zip(per.iter_mut()) {
                for (w, slot) in runs.iter_mut().enumerate() {
                    let _ = std::fs::write("/proc/sys/kernel/bpf_stats_enabled", "1");
                    let r = start_capture(scapbridge, tmp, syscalls, "stats", cpus)?;
                    if w == 0 {
                        getppid_ns(&me, n_getppid / 2, cpus)?;
                    } else {
                        dd_ns(n_dd / 2, cpus)?;
                    }
                    let ns = bpf_run_ns("sys_exit");
                    stop(r)?;
                    let _ = std::fs::write("/proc/sys/kernel/bpf_stats_enabled", "0");
                    if let Some(ns) = ns {
                        slot.push(ns);
                    }
                }
            }
        }
        let mut med = [[f64::NAN; 2]; 2];
        for (c, (t, _, falco)) in configs.iter().enumerate() {
            for (w, name) in [
                "getppid (generic event)",
                "dd bs=1 (read/write, 1 byte of data)",
            ]
            .iter()
            .enumerate()
            {
                let v = &mut per[c][w];
                if v.is_empty() {
                    continue;
                }
                let m = median(v);
                med[c][w] = m;
                println!(
                    "  {:<33} {name:<38} {m:>5.0} ns [{:.0}-{:.0}]   Falco {falco:.0} ns: ratio {:.2}",
                    t.label(),
                    v[0],
                    v[v.len() - 1],
                    m / falco
                );
            }
        }
        for (w, name) in ["getppid", "dd bs=1"].iter().enumerate() {
            let net = med[1][w] - med[0][w];
            println!(
                "  capturing one event adds (full - filtered)   {name:<12} {net:>5.0} ns   Falco 349 - 64 = 285 ns: ratio {:.2}",
                net / 285.0
            );
        }
    }

    // Drop onset: paced getppid loops, full capture to a file.
    println!(
        "probe: drops by offered rate (getppid, full capture to .scap, 8 MiB rings, 3 s each)"
    );
    println!(
        "  {:>14} {:>14} {:>14} {:>10} {:>8}",
        "offered sys/s", "probe records", "events written", "lost", "lost %"
    );
    let mut onset = None;
    for rate in [
        250_000u64, 500_000, 1_000_000, 1_500_000, 2_000_000, 4_000_000,
    ] {
        let r = start_capture(scapbridge, tmp, "all", "rate", unpinned)?;
        let workers = if rate > 1_000_000 { 2 } else { 1 };
        let per = rate / workers;
        let kids: Vec<Child> = (0..workers)
            .map(|_| {
                Command::new(&me)
                    .args(["workload", "paced", &per.to_string(), "3"])
                    .stdout(Stdio::piped())
                    .spawn()
            })
            .collect::<Result<_, _>>()?;
        let mut done = 0u64;
        for k in kids {
            let o = k.wait_with_output()?;
            done += String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
        std::thread::sleep(Duration::from_millis(200));
        let s = stop(r)?;
        let (seen, lost, written) = summary_numbers(&s);
        let achieved = done as f64 / 3.0;
        let pct = if seen > 0 {
            100.0 * lost as f64 / seen as f64
        } else {
            0.0
        };
        println!(
            "  {:>14.0} {:>14} {:>14} {:>10} {:>7.2}%",
            achieved, seen, written, lost, pct
        );
        if lost > 0 && onset.is_none() {
            onset = Some(achieved);
        }
    }
    match onset {
        Some(r) => println!(
            "  drops start at about {r:.0} syscalls/s ({:.0} events/s written: enter+exit each)",
            2.0 * r
        ),
        None => println!("  no drops at any offered rate"),
    }

    // Memory at full rate.
    if mem_secs > 0 {
        let r = start_capture(scapbridge, tmp, "all", "mem", unpinned)?;
        let pid = r.child.id();
        let kids: Vec<Child> = (0..2)
            .map(|_| {
                Command::new(&me)
                    .args(["workload", "paced", "100000000", &mem_secs.to_string()])
                    .stdout(Stdio::null())
                    .spawn()
            })
            .collect::<Result<_, _>>()?;
        let mut peak_rss = 0;
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(mem_secs) {
            peak_rss = peak_rss.max(vm_kb(pid, "VmRSS:"));
            std::thread::sleep(Duration::from_millis(500));
        }
        let hwm = vm_kb(pid, "VmHWM:");
        for mut k in kids {
            let _ = k.wait();
        }
        let s = stop(r)?;
        let (seen, lost, written) = summary_numbers(&s);
        println!(
            "probe: memory at full rate for {mem_secs} s (2 unpaced getppid loops): peak RSS {:.1} MiB (VmHWM {:.1} MiB); {seen} records, {written} events written, {lost} lost",
            peak_rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        );
    }
    Ok(())
}

/// Whether bpftrace can run here as a reference: installed, with tracefs
/// for its tracepoint probes (mounted here when it is not).
pub(crate) fn bpftrace_ready() -> bool {
    if !Path::new("/sys/kernel/tracing/events").exists() {
        let _ = Command::new("mount")
            .args(["-t", "tracefs", "nodev", "/sys/kernel/tracing"])
            .status();
    }
    Command::new("bpftrace")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        && Path::new("/sys/kernel/tracing/events").exists()
}
