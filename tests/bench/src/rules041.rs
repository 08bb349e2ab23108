//! `scapbridge-bench rules041 RULES [FILE]`: the stock Falco rules over a
//! live capture of at least 1 M events (`scapbridge read IN --rules
//! RULES`), beside sysdig 0.41 (libs 0.23, from the Debian sid root)
//! running the same conditions as one filter: the disjunction of every
//! enabled syscall rule's condition, macros and lists expanded, as
//! `scapbridge rules list --expanded` prints it. sysdig has no rules engine,
//! so this is the closest comparable work: every condition on every
//! event; ours also formats each alert's output, sysdig each matching
//! event's line.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, ensure, Result};

use crate::stratoshark::{live_input, sid_root, sid_sysdig, LiveInput};

const RUNS: u32 = 5;

pub(crate) fn run(
    scapbridge: &Path,
    tmp: &Path,
    rules: &Path,
    file: Option<PathBuf>,
) -> Result<()> {
    let root = sid_root()?;
    let live: LiveInput = live_input(scapbridge, tmp, file)?;
    let (input, n) = (&live.path, live.events);
    let listed = Command::new(scapbridge)
        .args(["rules", "list", "--json", "--expanded"])
        .arg(rules)
        .output()?;
    ensure!(
        listed.status.success(),
        "rules list: {}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let mut conditions = Vec::new();
    for line in String::from_utf8_lossy(&listed.stdout).lines() {
        let r: serde_json::Value = serde_json::from_str(line)?;
        if r["enabled"] == true && r["source"] == "syscall" {
            if let Some(c) = r["expanded"].as_str() {
                conditions.push(format!("({c})"));
            }
        }
    }
    if conditions.is_empty() {
        bail!("{} has no syscall rule that compiles", rules.display());
    }
    let filter = conditions.join(" or ");
    let rules_arg = rules.to_path_buf();
    let ours = || -> Result<(f64, usize)> {
        let t = Instant::now();
        let o = Command::new(scapbridge)
            .arg("read")
            .arg(input)
            .arg("--rules")
            .arg(&rules_arg)
            .stderr(Stdio::null())
            .output()?;
        let secs = t.elapsed().as_secs_f64();
        ensure!(o.status.success(), "scapbridge read --rules: {}", o.status);
        Ok((secs, o.stdout.iter().filter(|b| **b == b'\n').count()))
    };
    let theirs = || -> Result<(f64, usize)> {
        let t = Instant::now();
        let o = sid_sysdig(&root, &live.dir, &["-r", &live.in_sid, &filter])
            .stderr(Stdio::null())
            .output()?;
        let secs = t.elapsed().as_secs_f64();
        ensure!(o.status.success(), "sysdig 0.41 -r IN FILTER: {}", o.status);
        Ok((secs, o.stdout.iter().filter(|b| **b == b'\n').count()))
    };
    println!(
        "== rules: {} stock syscall rules, ours vs sysdig 0.41 -r IN \"(c1) or … or (c{})\" (best of {RUNS}, interleaved)",
        conditions.len(),
        conditions.len()
    );
    println!("input: {} ({n} events)", input.display());
    let (mut a, mut b) = (f64::INFINITY, f64::INFINITY);
    let (mut alerts, mut matched) = (0, 0);
    for _ in 0..RUNS {
        let (t, k) = ours()?;
        a = a.min(t);
        alerts = k;
        let (t, k) = theirs()?;
        b = b.min(t);
        matched = k;
    }
    println!(
        "scapbridge read --rules    {a:>8.3} s {:>12.0} ev/s   {alerts} alerts",
        n as f64 / a
    );
    println!(
        "sysdig 0.41 -r IN FILTER   {b:>8.3} s {:>12.0} ev/s   {matched} events matched",
        n as f64 / b
    );
    println!("ratio (sysdig time / ours): {:.1}x   (goal: 2x)", b / a);
    Ok(())
}
