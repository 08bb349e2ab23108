//! `scapbridge-bench stratoshark [FILE]`: the read+write path in the
//! `stratoshark` layout beside `sysdig -r IN -w OUT` of sysdig 0.41 on libs
//! 0.23 (what Stratoshark reads with), from the Debian sid root that
//! `install/install.sh --deps` prepares, on a capture the probe recorded
//! (at least 1 M events of a real workload; FILE to reuse one).
//!
//! sysdig runs in the root through a private mount namespace and chroot,
//! whose set-up (a few milliseconds) is inside its figure; its run takes
//! seconds, so that is noise.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use scapbridge_formats::{Item, Profile, ScapReader, ScapWriter, WriterOptions};

/// Events the recorded workload must reach.
const EVENTS: u64 = 1_000_000;
const RUNS: u32 = 5;

/// The Debian sid root with sysdig 0.41, or why it is missing.
pub(crate) fn sid_root() -> Result<PathBuf> {
    let root = PathBuf::from(
        std::env::var("SCAPBRIDGE_SID_ROOT")
            .unwrap_or_else(|_| "/var/cache/scapbridge/sid-root".into()),
    );
    if !root.join("usr/bin/sysdig").exists() {
        bail!(
            "no sysdig 0.41 in {} (install/install.sh --deps prepares it)",
            root.display()
        );
    }
    Ok(root)
}

/// A live capture the sid root's sysdig reads too.
pub(crate) struct LiveInput {
    /// The file.
    pub(crate) path: PathBuf,
    /// Its folder (sysdig sees it bound at `/x`).
    pub(crate) dir: PathBuf,
    /// Its path for sysdig: `/x/NAME`.
    pub(crate) in_sid: String,
    /// Its events.
    pub(crate) events: u64,
}

/// A live capture of at least [`EVENTS`] events: `file` when given, else
/// one recorded now.
pub(crate) fn live_input(
    scapbridge: &Path,
    tmp: &Path,
    file: Option<PathBuf>,
) -> Result<LiveInput> {
    let input = match file {
        Some(f) => f,
        None => record(scapbridge, tmp)?,
    };
    let mut n = 0u64;
    let mut r = ScapReader::new(File::open(&input)?)?;
    while let Some(i) = r.next_item()? {
        if let Item::Event(_) = i {
            n += 1;
        }
    }
    if n < EVENTS {
        bail!(
            "{} holds {n} events, fewer than the {EVENTS} this benchmark needs",
            input.display()
        );
    }
    let dir = input.parent().context("input folder")?.to_path_buf();
    let name = input.file_name().context("input name")?.to_string_lossy();
    Ok(LiveInput {
        in_sid: format!("/x/{name}"),
        dir,
        path: input,
        events: n,
    })
}

/// `sysdig ARGS` of the sid root, with the folder `dir` bound at `/x`
/// there (a private mount namespace and chroot: the set-up, a few
/// milliseconds, is inside any figure taken of it).
pub(crate) fn sid_sysdig(root: &Path, dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("unshare");
    c.args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(
            r#"r="$1"; d="$2"; shift 2
mount -t proc proc "$r/proc" && mkdir -p "$r/x" && mount --bind "$d" "$r/x" &&
exec chroot "$r" sysdig "$@""#,
        )
        .arg("sh")
        .arg(root)
        .arg(dir)
        .args(args)
        .env("TZ", "UTC");
    c
}

pub(crate) fn run(scapbridge: &Path, tmp: &Path, file: Option<PathBuf>) -> Result<()> {
    let root = sid_root()?;
    let LiveInput {
        path: input,
        dir,
        in_sid,
        events: n,
    } = live_input(scapbridge, tmp, file)?;
    let mb = std::fs::metadata(&input)?.len() as f64 / 1e6;
    println!("== stratoshark layout: read+write vs sysdig 0.41 (libs 0.23) -r IN -w OUT");
    println!("input: {} ({n} events, {mb:.1} MB)", input.display());

    let out = dir.join("ours_out.scap");
    let ours = || -> Result<f64> {
        let _ = std::fs::remove_file(&out);
        let t = Instant::now();
        let mut r = ScapReader::new(File::open(&input)?)?;
        let mut w = ScapWriter::new(
            File::create(&out)?,
            WriterOptions::new(Profile::Stratoshark),
        )?;
        while let Some(i) = r.next_item()? {
            if let Item::Event(e) = i {
                w.write_event(&e)?;
            }
        }
        w.finish()?;
        Ok(t.elapsed().as_secs_f64())
    };
    let theirs = || -> Result<f64> {
        let _ = std::fs::remove_file(dir.join("sysdig_out.scap"));
        let t = Instant::now();
        let st = sid_sysdig(
            &root,
            &dir,
            &["-q", "-r", &in_sid, "-w", "/x/sysdig_out.scap"],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
        let secs = t.elapsed().as_secs_f64();
        if !st.success() {
            bail!("sysdig 0.41 -r {in_sid} -w: {st}");
        }
        Ok(secs)
    };
    // Interleaved rounds, best of each (a noisy moment slows one round of
    // both, not all the runs of one).
    let (mut a, mut b) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..RUNS {
        a = a.min(ours()?);
        b = b.min(theirs()?);
    }
    println!(
        "scapbridge read+write (stratoshark layout) {a:>8.3} s {:>12.0} ev/s {:>8.1} MB/s",
        n as f64 / a,
        mb / a
    );
    println!(
        "sysdig 0.41 -r IN -w OUT                  {b:>8.3} s {:>12.0} ev/s {:>8.1} MB/s",
        n as f64 / b,
        mb / b
    );
    println!("ratio (sysdig time / ours): {:.1}x   (goal: 3x)", b / a);
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(dir.join("sysdig_out.scap"));
    Ok(())
}

/// Records a busy workload (a walk of /usr and /etc, over and over) with
/// the probe until it has [`EVENTS`] events, in the stratoshark layout.
fn record(scapbridge: &Path, tmp: &Path) -> Result<PathBuf> {
    let out = tmp.join("stratoshark_in.scap");
    // The capture stops at the count; the traced command goes on, so it
    // ends itself when this file appears (else it would load the machine
    // through every timed run below).
    let stop = tmp.join("stratoshark_workload.stop");
    let _ = std::fs::remove_file(&stop);
    let workload = format!(
        "while [ ! -e '{}' ]; do ls -laR /usr/share/doc /etc >/dev/null 2>&1; cat /etc/passwd >/dev/null; done",
        stop.display()
    );
    let st = Command::new(scapbridge)
        .args(["capture", "-i", "scapbridge-syscalls", "-q", "--count"])
        // --count counts the probe's events, enters included; the layout
        // keeps exits only, so ask for a fifth more than the file needs.
        .arg((EVENTS + EVENTS / 5).to_string())
        .arg("-w")
        .arg(&out)
        .args(["--", "sh", "-c", &workload])
        .status()
        .context("scapbridge capture");
    std::fs::write(&stop, b"")?;
    let st = st?;
    // The count stops the capture, not the command: any status is fine as
    // long as the file holds the events.
    let _ = st;
    Ok(out)
}
