//! `scapbridge-bench probe families`: what the layout families the probe
//! writes since issue 23 cost, per syscall of the traced workload and per
//! run of the `sys_exit` program, beside the untraced syscall and bpftrace
//! counting in the same run.
//!
//! Each family is one workload of this binary (`scapbridge-bench workload
//! FAMILY N`), N raw syscalls alternating between two of the family's
//! syscalls, printing the CPU ns they took:
//!
//! * memory: `mmap` of one anonymous page, then `munmap` of it (both write
//!   vm_size/vm_rss/vm_swap read from the mm);
//! * stat: `newfstatat(AT_FDCWD, "/tmp")` and `access("/tmp", F_OK)`;
//! * polling: `poll` and `ppoll` of a pipe's read end, timeout 0;
//! * signals: `kill(getpid(), 0)` and `tgkill(getpid(), gettid(), 0)`
//!   (rt_sigaction has no libs event: it stays generic, so it is not here);
//! * generic: `getppid`, the event without parameters, as the reference.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Result};

use crate::probe::{self, Cpus, Tracer};

/// The families, in the order of the tables.
const FAMILIES: [(&str, &str); 5] = [
    ("generic", "getppid"),
    ("memory", "mmap + munmap, 1 page"),
    ("stat", "newfstatat + access"),
    ("polling", "poll + ppoll, 1 fd, timeout 0"),
    ("signals", "kill + tgkill, signal 0"),
];

/// Runs `n` syscalls of `family`; prints the CPU ns they took.
#[allow(unsafe_code)]
pub(crate) fn workload(family: &str, n: u64) -> Result<()> {
    let t0 = probe::cpu_ns();
    let mut x = 0i64;
    // SAFETY (every block below): raw syscalls with valid arguments:
    // pointers to live locals or C string literals, a page this loop
    // mapped, this process's own ids.
    match family {
        "generic" => {
            for _ in 0..n {
                x = x.wrapping_add(unsafe { libc::syscall(libc::SYS_getppid) });
            }
        }
        "memory" => {
            for _ in 0..n / 2 {
                let p = unsafe {
                    libc::mmap(
                        std::ptr::null_mut(),
                        4096,
                        libc::PROT_READ | libc::PROT_WRITE,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                        -1,
                        0,
                    )
                };
                if p == libc::MAP_FAILED {
                    bail!("mmap failed");
                }
                x = x.wrapping_add(i64::from(unsafe { libc::munmap(p, 4096) }));
            }
        }
        "stat" => {
            let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
            for _ in 0..n / 2 {
                x = x.wrapping_add(unsafe {
                    libc::syscall(
                        libc::SYS_newfstatat,
                        libc::AT_FDCWD,
                        c"/tmp".as_ptr(),
                        st.as_mut_ptr(),
                        0,
                    )
                });
                x = x.wrapping_add(unsafe {
                    libc::syscall(libc::SYS_access, c"/tmp".as_ptr(), libc::F_OK)
                });
            }
        }
        "polling" => {
            let mut fds = [0i32; 2];
            if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
                bail!("pipe failed");
            }
            let mut pfd = libc::pollfd {
                fd: fds[0],
                events: libc::POLLIN,
                revents: 0,
            };
            let zero = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            for _ in 0..n / 2 {
                x = x.wrapping_add(unsafe {
                    libc::syscall(libc::SYS_poll, &mut pfd as *mut libc::pollfd, 1, 0)
                });
                x = x.wrapping_add(unsafe {
                    libc::syscall(
                        libc::SYS_ppoll,
                        &mut pfd as *mut libc::pollfd,
                        1,
                        &zero as *const libc::timespec,
                        std::ptr::null::<libc::sigset_t>(),
                        0,
                    )
                });
            }
        }
        "signals" => {
            let pid = std::process::id() as i64;
            let tid = unsafe { libc::syscall(libc::SYS_gettid) };
            for _ in 0..n / 2 {
                x = x.wrapping_add(unsafe { libc::syscall(libc::SYS_kill, pid, 0) });
                x = x.wrapping_add(unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, 0) });
            }
        }
        // A CPU hog with no syscalls, for SECS = n seconds (the rate bench's
        // load on the other CPU).
        "spin" => {
            let end = std::time::Instant::now() + std::time::Duration::from_secs(n);
            let mut k = 0u64;
            while std::time::Instant::now() < end {
                for _ in 0..100_000 {
                    k = std::hint::black_box(k.wrapping_mul(31).wrapping_add(7));
                }
            }
            x = k as i64;
        }
        other => bail!("unknown workload '{other}'"),
    }
    let t1 = probe::cpu_ns();
    println!("{} {x}", t1 - t0);
    Ok(())
}

/// CPU ns per syscall of `family` run on the workload CPU.
fn family_ns(me: &Path, family: &str, n: u64, cpus: Cpus) -> Result<f64> {
    let o = probe::on_cpu(cpus.workload, me)
        .args(["workload", family, &n.to_string()])
        .output()?;
    anyhow::ensure!(
        o.status.success(),
        "workload {family}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let ns = probe::workload_ns(&o)?;
    // Pairs: n rounded down to even.
    let calls = if family == "generic" { n } else { n / 2 * 2 };
    Ok(ns / calls as f64)
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The families' cost tables.
pub(crate) fn run(scapbridge: &Path, tmp: &Path) -> Result<()> {
    let me = std::env::current_exe()?;
    let n = env_num("BENCH_FAMILY_SYSCALLS", 400_000);
    let rounds = env_num("BENCH_FAMILY_ROUNDS", 3) as usize;
    let stat_rounds = env_num("BENCH_FAMILY_STAT_ROUNDS", 5) as usize;
    let bpftrace = probe::bpftrace_ready();
    let mut tracers = vec![Tracer::None, Tracer::ProbeFiltered, Tracer::ProbeFull];
    if bpftrace {
        tracers.insert(1, Tracer::Bpftrace);
    } else {
        println!("note: bpftrace (or tracefs) missing: install/install.sh --bench; its column is left out");
    }
    let cpus = Cpus::detect();
    // [tracer][family] -> ns per syscall, one per round
    let mut v = vec![vec![Vec::new(); FAMILIES.len()]; tracers.len()];
    for round in 0..rounds {
        for (i, &t) in tracers.iter().enumerate() {
            let r = probe::start(t, scapbridge, tmp, cpus)?;
            for (f, (fam, _)) in FAMILIES.iter().enumerate() {
                v[i][f].push(family_ns(&me, fam, n, cpus)?);
            }
            if let Some(r) = r {
                probe::stop(r)?;
            }
        }
        eprint!("\rfamilies: round {}/{rounds}", round + 1);
    }
    eprintln!();
    let m: Vec<Vec<f64>> = v
        .iter_mut()
        .map(|per| per.iter_mut().map(|x| probe::median(x)).collect())
        .collect();
    println!(
        "probe families: CPU ns per syscall of the traced workload ({n} syscalls per run, median of {rounds} interleaved rounds, {})",
        cpus.describe()
    );
    let col = |t: Tracer| tracers.iter().position(|x| *x == t);
    print!("  {:<9} {:<30} {:>9}", "family", "syscalls", "untraced");
    for t in &tracers[1..] {
        print!(" {:>22}", short(*t));
    }
    println!("   full/bpftrace (added)");
    for (f, (fam, what)) in FAMILIES.iter().enumerate() {
        let base = m[0][f];
        print!("  {fam:<9} {what:<30} {base:>9.0}");
        for row in &m[1..] {
            print!(" {:>12.0} ({:>+7.0})", row[f], row[f] - base);
        }
        match (col(Tracer::Bpftrace), col(Tracer::ProbeFull)) {
            (Some(b), Some(c)) => println!("   {:.2}x", (m[c][f] - base) / (m[b][f] - base)),
            _ => println!(),
        }
    }

    // Per run of sys_exit (bpf_stats), each family alone, as probe's
    // per-run table measures getppid and dd.
    if !Command::new("bpftool")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        println!("  per-run cost: bpftool missing (install/install.sh --bench)");
        return Ok(());
    }
    let configs = [
        (Tracer::ProbeFiltered, "openat", 64.0),
        (Tracer::ProbeFull, "all", 349.0),
    ];
    // [config][family] -> ns per run
    let mut per = vec![vec![Vec::new(); FAMILIES.len()]; configs.len()];
    for round in 0..stat_rounds {
        for (c, (_, syscalls, _)) in configs.iter().enumerate() {
            for (f, (fam, _)) in FAMILIES.iter().enumerate() {
                let _ = std::fs::write("/proc/sys/kernel/bpf_stats_enabled", "1");
                let r = probe::start_capture(scapbridge, tmp, syscalls, "stats", cpus)?;
                family_ns(&me, fam, n / 2, cpus)?;
                let ns = probe::bpf_run_ns("sys_exit");
                probe::stop(r)?;
                let _ = std::fs::write("/proc/sys/kernel/bpf_stats_enabled", "0");
                if let Some(ns) = ns {
                    per[c][f].push(ns);
                }
            }
        }
        eprint!("\rfamilies per run: round {}/{stat_rounds}", round + 1);
    }
    eprintln!();
    println!(
        "probe families: sys_exit program run time (bpf_stats; median [min-max] of {stat_rounds} interleaved runs, {})",
        cpus.describe()
    );
    println!(
        "  {:<9} {:>22} {:>22} {:>14} {:>14}",
        "family", "filtered out", "full capture", "full - filt.", "vs Falco 349"
    );
    for (f, (fam, _)) in FAMILIES.iter().enumerate() {
        let mut cell = |c: usize| -> (f64, String) {
            let x = &mut per[c][f];
            if x.is_empty() {
                return (f64::NAN, "n/a".into());
            }
            let med = probe::median(x);
            (
                med,
                format!("{med:.0} ns [{:.0}-{:.0}]", x[0], x[x.len() - 1]),
            )
        };
        let (fm, fs) = cell(0);
        let (cm, cs) = cell(1);
        println!(
            "  {fam:<9} {fs:>22} {cs:>22} {:>11.0} ns {:>13.2}x",
            cm - fm,
            cm / configs[1].2
        );
    }
    Ok(())
}

fn short(t: Tracer) -> &'static str {
    match t {
        Tracer::None => "untraced",
        Tracer::Bpftrace | Tracer::BpftraceRecord => "bpftrace count (added)",
        Tracer::ProbeFiltered => "filtered out (added)",
        Tracer::ProbeFull => "full capture (added)",
    }
}
