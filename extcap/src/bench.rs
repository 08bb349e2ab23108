//! `scapbridge-bench`: read+decode and write throughput of the format layer,
//! beside `sysdig -r IN -w OUT` on the same file in the same run.
//!
//! Usage: scapbridge-bench FIXTURES_SCAP_DIR [EVENTS] (default 1,000,000 events)

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use scapbridge_formats::state::CaptureState;
use scapbridge_formats::{
    render, Item, OwnedEvent, Profile, ReaderOptions, ScapReader, ScapWriter, WriterOptions,
};

fn load(dir: &Path) -> Result<Vec<OwnedEvent>> {
    let mut evs = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "scap"))
        .collect();
    names.sort();
    for p in names {
        let mut r =
            ScapReader::with_options(File::open(&p)?, ReaderOptions::skipping_unknown_events())?;
        while let Some(i) = r.next_item()? {
            if let Item::Event(e) = i {
                evs.push(e.to_owned_event());
            }
        }
    }
    Ok(evs)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(
        args.get(1)
            .context("usage: scapbridge-bench FIXTURES_SCAP_DIR [EVENTS]")?,
    );
    let target: usize = args
        .get(2)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let base = load(&dir)?;
    let tmp = std::env::temp_dir().join("scapbridge-bench");
    std::fs::create_dir_all(&tmp)?;
    let input = tmp.join("in.scap");

    // Build the input: the fixtures' events repeated with increasing timestamps.
    let t0 = Instant::now();
    let mut w = ScapWriter::new(
        BufWriter::new(File::create(&input)?),
        WriterOptions::new(Profile::Keep),
    )?;
    let mut ts = 1_700_000_000_000_000_000u64;
    for i in 0..target {
        let mut e = base[i % base.len()].clone();
        ts += 1000;
        e.ts = ts;
        w.write_owned(&e)?;
    }
    w.finish()?;
    let build = t0.elapsed();
    let bytes = std::fs::metadata(&input)?.len();
    let mb = bytes as f64 / 1e6;
    println!(
        "input: {target} events, {mb:.1} MB (built in {:.2} s)",
        build.as_secs_f64()
    );

    // 1. read + validate
    let t = Instant::now();
    let mut r = ScapReader::new(File::open(&input)?)?;
    let mut n = 0u64;
    while let Some(i) = r.next_item()? {
        if let Item::Event(_) = i {
            n += 1;
        }
    }
    let read_s = t.elapsed().as_secs_f64();

    // 2. read + decode every parameter (sysdig-style rendering with state)
    let t = Instant::now();
    let mut r = ScapReader::new(File::open(&input)?)?;
    let mut st = CaptureState::new();
    let mut s = String::with_capacity(1024);
    let mut chars = 0usize;
    while let Some(i) = r.next_item()? {
        if let Item::Event(e) = i {
            st.update(&e);
            s.clear();
            render::args(&e, Some(&st), &mut s);
            chars += s.len();
        }
    }
    let decode_s = t.elapsed().as_secs_f64();

    // 3. read + write (a convert), to a file
    let out = tmp.join("out.scap");
    let t = Instant::now();
    let mut r = ScapReader::new(File::open(&input)?)?;
    let mut w = ScapWriter::new(File::create(&out)?, WriterOptions::new(Profile::Keep))?;
    while let Some(i) = r.next_item()? {
        if let Item::Event(e) = i {
            w.write_event(&e)?;
        }
    }
    w.finish()?;
    let write_s = t.elapsed().as_secs_f64();

    // Reference: sysdig -r IN -w OUT on the same file.
    let sout = tmp.join("sysdig_out.scap");
    let t = Instant::now();
    let st_ok = Command::new("sysdig")
        .arg("-q")
        .arg("-r")
        .arg(&input)
        .arg("-w")
        .arg(&sout)
        .stderr(std::process::Stdio::null())
        .status();
    let sysdig_s = t.elapsed().as_secs_f64();
    let sysdig_ok = st_ok.as_ref().is_ok_and(|s| s.success());

    let rate = |secs: f64| (n as f64 / secs, mb / secs);
    let row = |name: &str, secs: f64| {
        let (eps, mbps) = rate(secs);
        let ratio = if sysdig_ok {
            format!("{:.1}x", sysdig_s / secs)
        } else {
            "n/a".into()
        };
        println!(
            "{name:<28} {secs:>8.3} s {:>12.0} ev/s {:>9.1} MB/s   vs sysdig: {ratio}",
            eps, mbps
        );
    };
    println!("events read: {n}; rendered {chars} chars");
    row("read+validate", read_s);
    row("read+decode (render args)", decode_s);
    row("read+write (convert)", write_s);
    if sysdig_ok {
        let so = std::fs::metadata(&sout).map(|m| m.len()).unwrap_or(0);
        println!("sysdig wrote {:.1} MB", so as f64 / 1e6);
        row("sysdig -r IN -w OUT", sysdig_s);
    } else {
        println!("sysdig -r IN -w OUT: not available ({st_ok:?})");
    }
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(&sout);
    let _ = std::fs::remove_file(&input);
    Ok(())
}
