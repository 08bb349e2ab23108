//! `scapbridge-bench probe rate`: the highest syscall rate the probe keeps
//! with zero lost events, with the other CPU loaded, two ways in the same
//! run:
//!
//! * writing: `scapbridge capture -i scapbridge-syscalls -w FILE` (every
//!   syscall, default 8 MiB rings, the file on this machine's disk);
//! * counting only: `scapbridge-bench probe-count`, the same probe with the
//!   same rings and the capture's drain loop (batches of 4096, a 1 ms sleep
//!   when empty), which counts records and converts and writes nothing.
//!
//! The load: a paced getppid loop pinned to the last CPU (the measured
//! rate), a CPU hog without syscalls pinned to CPU 0, the consumer left
//! unpinned: it takes its time from one of the two. Rates climb a ladder
//! until the first loss, then halve the gap to the highest lossless rate
//! three times. Each step runs 3 s.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use scapbridge_probe::{Probe, ProbeOptions};

use crate::probe::{self, Cpus};

/// Seconds of each step.
const STEP_SECS: u64 = 3;

/// What one step measured: achieved syscalls/s, probe events, lost events.
type Step = (f64, u64, u64);

/// The counting consumer (run as `scapbridge-bench probe-count`): loads the
/// probe for every syscall, prints `attached`, drains and counts until its
/// stdin closes, then prints `RECORDS EVENTS LOST`.
pub(crate) fn count_main() -> Result<()> {
    let mut p = Probe::load(&ProbeOptions::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let done = Arc::new(AtomicBool::new(false));
    let d = Arc::clone(&done);
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::stdin().read_line(&mut s);
        d.store(true, Ordering::Relaxed);
    });
    println!("attached");
    std::io::stdout().flush()?;
    let mut records = 0u64;
    let mut bytes = 0u64;
    while !done.load(Ordering::Relaxed) {
        let n = p.drain(4096, |_, r| {
            bytes += r.len() as u64;
        });
        records += n as u64;
        if n == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    // What is still in the rings, as the capture's final drain.
    let end = Instant::now() + Duration::from_millis(250);
    while Instant::now() < end {
        let n = p.drain(4096, |_, r| bytes += r.len() as u64);
        records += n as u64;
        if n == 0 {
            break;
        }
    }
    let s = p.stats().map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{records} {} {} {bytes}", s.events, s.drops);
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Write,
    Count,
}

/// One step: the consumer in `mode`, the hog, a paced loop at `rate`;
/// returns (achieved syscalls/s, kernel events, lost).
fn step(
    me: &Path,
    scapbridge: &Path,
    tmp: &Path,
    mode: Mode,
    rate: u64,
    cpus: Cpus,
) -> Result<Step> {
    enum Consumer {
        Write(probe::Running),
        Count(Child),
    }
    let consumer = match mode {
        Mode::Write => Consumer::Write(probe::start_capture(
            scapbridge,
            tmp,
            "all",
            "rate",
            Cpus::NONE,
        )?),
        Mode::Count => {
            let mut c = Command::new(me)
                .arg("probe-count")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()?;
            let mut line = String::new();
            BufReader::new(c.stdout.as_mut().context("stdout")?).read_line(&mut line)?;
            anyhow::ensure!(line.trim() == "attached", "probe-count: {line:?}");
            std::thread::sleep(Duration::from_millis(300));
            Consumer::Count(c)
        }
    };
    let hog = probe::on_cpu(cpus.capture, me)
        .args(["workload", "spin", &(STEP_SECS + 1).to_string()])
        .stdout(Stdio::null())
        .spawn()?;
    let o = probe::on_cpu(cpus.workload, me)
        .args([
            "workload",
            "paced",
            &rate.to_string(),
            &STEP_SECS.to_string(),
        ])
        .output()?;
    let done: u64 = String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    std::thread::sleep(Duration::from_millis(200));
    let (seen, lost) = match consumer {
        Consumer::Write(r) => {
            let s = probe::stop(r)?;
            let (seen, lost, _) = probe::summary_numbers(&s);
            (seen, lost)
        }
        Consumer::Count(mut c) => {
            drop(c.stdin.take());
            let out = c.wait_with_output()?;
            let text = String::from_utf8_lossy(&out.stdout);
            let w: Vec<u64> = text
                .lines()
                .last()
                .unwrap_or("")
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect();
            (
                w.get(1).copied().unwrap_or(0),
                w.get(2).copied().unwrap_or(0),
            )
        }
    };
    let mut hog = hog;
    let _ = hog.wait();
    Ok((done as f64 / STEP_SECS as f64, seen, lost))
}

/// The rate search of one mode: the highest achieved rate with zero loss,
/// and the lowest with loss (if any was reached).
fn search(
    me: &Path,
    scapbridge: &Path,
    tmp: &Path,
    mode: Mode,
    cpus: Cpus,
) -> Result<(f64, Option<Step>)> {
    let name = match mode {
        Mode::Write => "writing to a file",
        Mode::Count => "counting only",
    };
    println!("  {name}:");
    println!(
        "    {:>14} {:>14} {:>14} {:>14} {:>10} {:>8}",
        "offered sys/s", "achieved", "probe events", "events/s", "lost", "lost %"
    );
    let mut best = 0.0f64;
    let mut lossy: Option<(u64, f64, u64, u64)> = None;
    let mut lo = 0u64;
    let run = |rate: u64,
               best: &mut f64,
               lossy: &mut Option<(u64, f64, u64, u64)>,
               lo: &mut u64|
     -> Result<bool> {
        let (achieved, seen, lost) = step(me, scapbridge, tmp, mode, rate, cpus)?;
        let pct = if seen > 0 {
            100.0 * lost as f64 / seen as f64
        } else {
            0.0
        };
        // Every process's syscalls reach the probe: the rate the consumer
        // sees is the machine's, over the step and the consumer's settling.
        let eps = seen as f64 / (STEP_SECS as f64 + 0.5);
        let capped = if achieved < 0.9 * rate as f64 {
            "  (loop at its ceiling)"
        } else {
            ""
        };
        println!(
            "    {rate:>14} {achieved:>14.0} {seen:>14} {eps:>14.0} {lost:>10} {pct:>7.2}%{capped}"
        );
        if lost == 0 {
            *best = best.max(achieved);
            *lo = (*lo).max(rate);
        } else if lossy.is_none_or(|l| rate < l.0) {
            *lossy = Some((rate, achieved, seen, lost));
        }
        Ok(lost == 0)
    };
    for rate in [
        500_000u64, 1_000_000, 1_500_000, 2_000_000, 3_000_000, 6_000_000,
    ] {
        if !run(rate, &mut best, &mut lossy, &mut lo)? {
            break;
        }
    }
    for _ in 0..3 {
        let Some((hi, ..)) = lossy else { break };
        let mid = (lo + hi) / 2;
        if hi - lo < 100_000 {
            break;
        }
        run(mid, &mut best, &mut lossy, &mut lo)?;
    }
    Ok((best, lossy.map(|(_, a, s, l)| (a, s, l))))
}

/// The zero-loss rate, writing and counting, in the same run.
pub(crate) fn run(scapbridge: &Path, tmp: &Path) -> Result<()> {
    let me = std::env::current_exe()?;
    let cpus = Cpus::detect();
    println!(
        "probe rate: highest getppid rate with zero lost events, default 8 MiB rings, every syscall, {STEP_SECS} s per step; hog on CPU {:?}, paced loop on CPU {:?}, consumer unpinned",
        cpus.capture, cpus.workload
    );
    let (w, wl) = search(&me, scapbridge, tmp, Mode::Write, cpus)?;
    let (c, cl) = search(&me, scapbridge, tmp, Mode::Count, cpus)?;
    let show = |l: Option<Step>| match l {
        Some((a, s, lost)) => format!(
            "first loss at {a:.0} sys/s ({:.2} % of {s})",
            100.0 * lost as f64 / s.max(1) as f64
        ),
        None => "no loss at any offered rate".into(),
    };
    println!(
        "  zero loss, writing to a file: {w:.0} syscalls/s ({})",
        show(wl)
    );
    println!(
        "  zero loss, counting only:     {c:.0} syscalls/s ({})",
        show(cl)
    );
    if c > 0.0 {
        println!("  writing / counting: {:.2}", w / c);
    }
    Ok(())
}
