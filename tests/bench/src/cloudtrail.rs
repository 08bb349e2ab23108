//! The CloudTrail benchmark: records/s of `scapbridge capture -i
//! scapbridge-cloudtrail` from a local directory of many log files (with
//! and without the 22 public CloudTrail rules) and from moto's S3, each
//! beside a reference measured in the same run on the same data:
//!
//! * local: `gzip -dcf` of the same files (the read + inflate floor every
//!   reader pays) and a Python `json.load` of every file plus a
//!   `json.dumps` of each record (what a script consumer of the logs costs);
//! * S3: boto3 downloading the same objects with the same concurrency
//!   (what moto can serve; our cost above it is ours).
//!
//! Usage: scapbridge-bench cloudtrail FIXTURES_DIR [FILES] (FIXTURES_DIR is
//! `shared/fixtures`; default 2,000 files of 50 records).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use scapbridge_tests::CaptureArgs;

/// Records per generated log file (CloudTrail writes files of a few
/// records to a few hundred).
const PER_FILE: usize = 50;

fn timed(mut c: Command) -> Result<f64> {
    let t = Instant::now();
    let o = c.stdout(Stdio::null()).stderr(Stdio::piped()).output()?;
    let s = t.elapsed().as_secs_f64();
    if !o.status.success() && o.status.code() != Some(3) {
        bail!("{:?} failed: {}", c, String::from_utf8_lossy(&o.stderr));
    }
    Ok(s)
}

fn best(runs: u32, mut f: impl FnMut() -> Result<f64>) -> Result<f64> {
    let mut b = f64::MAX;
    for _ in 0..runs {
        b = b.min(f()?);
    }
    Ok(b)
}

/// Writes `files` log files of [`PER_FILE`] records each, built from the
/// fixture records with distinct ids and times; every other file gzip.
fn generate(fixtures: &Path, dir: &Path, files: usize) -> Result<usize> {
    let src = std::fs::read(fixtures.join("cloudtrail/SerializerTestFile.json"))?;
    let split =
        scapbridge_formats::cloudtrail::split_records(&src).map_err(|e| anyhow::anyhow!("{e}"))?;
    let templates: Vec<String> = split
        .records
        .iter()
        .map(|r| String::from_utf8_lossy(&src[r.clone()]).into_owned())
        .collect();
    std::fs::create_dir_all(dir)?;
    let mut n = 0usize;
    for f in 0..files {
        let mut body = String::from("{\"Records\":[");
        for i in 0..PER_FILE {
            let t = &templates[(f + i) % templates.len()];
            let secs = 1_700_000_000 + (f * PER_FILE + i) as i64;
            let time = chrono::DateTime::from_timestamp(secs, 0)
                .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default();
            let rec = t
                .replace("2013-11-01T00:00:00Z", &time)
                .replace("\"eventID\": \"", &format!("\"eventID\": \"{f}-{i}-"));
            if i > 0 {
                body.push(',');
            }
            body.push_str(&rec);
            n += 1;
        }
        body.push_str("]}");
        let stamp = chrono::DateTime::from_timestamp(1_700_000_000 + (f * PER_FILE) as i64, 0)
            .map(|d| d.format("%Y%m%dT%H%MZ").to_string())
            .unwrap_or_default();
        let name = format!("123456789012_CloudTrail_us-east-1_{stamp}_{f:05}.json");
        if f % 2 == 0 {
            std::fs::write(dir.join(name), body)?;
        } else {
            let mut gz = flate2::write::GzEncoder::new(
                std::fs::File::create(dir.join(format!("{name}.gz")))?,
                flate2::Compression::default(),
            );
            gz.write_all(body.as_bytes())?;
            gz.finish()?;
        }
    }
    Ok(n)
}

fn line(what: &str, secs: f64, records: usize, reference: f64, ref_name: &str) {
    println!(
        "  {what:<44} {secs:>7.3} s {:>10.0} records/s   {:.2}x {ref_name} ({reference:.3} s)",
        records as f64 / secs,
        reference / secs
    );
}

/// Runs the CloudTrail benchmark.
pub(crate) fn run(scapbridge: &Path, fixtures: &Path, files: usize, tmp: &Path) -> Result<()> {
    let dir = tmp.join("cloudtrail-logs");
    let _ = std::fs::remove_dir_all(&dir);
    let records = generate(fixtures, &dir, files)?;
    let bytes: u64 = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "cloudtrail: {files} log files, {records} records, {:.1} MB on disk (half gzip)",
        bytes as f64 / 1e6
    );
    let out = tmp.join("cloudtrail.scap");
    // `scapbridge capture -q -i scapbridge-cloudtrail --plugin-source SRC -w OUT`.
    let capture_cmd = |source: &std::ffi::OsStr| {
        let mut c = Command::new(scapbridge);
        c.cloudtrail(source).arg("-w").arg(&out);
        c
    };
    let capture = |extra: &[&str]| {
        let mut c = capture_cmd(dir.as_os_str());
        c.args(extra);
        timed(c)
    };
    let ours = best(3, || capture(&[]))?;
    let rules = fixtures.join("rules/aws_cloudtrail_rules.yaml");
    let rules_s = rules.to_str().context("rules path")?;
    let with_rules = best(3, || {
        capture(&["--rules", rules_s, "--alerts", "/dev/null"])
    })?;
    let mut list: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    list.sort();
    let floor = best(3, || {
        let mut c = Command::new("gzip");
        c.arg("-dcf").args(&list);
        timed(c)
    })?;
    let py_script = "import sys, json, gzip, os\nn=0\nfor f in sorted(os.listdir(sys.argv[1])):\n    p=os.path.join(sys.argv[1], f)\n    o=gzip.open if f.endswith('.gz') else open\n    with o(p, 'rb') as h:\n        for r in json.load(h)['Records']:\n            json.dumps(r); n+=1\nprint(n)\n";
    let python = best(3, || {
        let mut c = Command::new("python3");
        c.arg("-c").arg(py_script).arg(&dir);
        timed(c)
    })?;
    println!("local directory (best of 3, whole process):");
    line(
        "scapbridge capture (records -> .scap)",
        ours,
        records,
        floor,
        "gzip -dcf floor",
    );
    line("", ours, records, python, "python json.load + dumps");
    line(
        "scapbridge capture + 22 CloudTrail rules",
        with_rules,
        records,
        python,
        "python json.load + dumps",
    );

    // moto S3: the same files as objects.
    let venv = std::env::var("SCAPBRIDGE_MOTO_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
                .join(".cache/scapbridge/moto")
        });
    if !venv.join("bin/moto_server").exists() {
        println!(
            "S3: skipped, moto not installed at {} (install/install.sh --deps)",
            venv.display()
        );
        return Ok(());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut moto = Command::new(venv.join("bin/moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let endpoint = format!("http://127.0.0.1:{port}");
    let result = (|| -> Result<()> {
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if t0.elapsed() > Duration::from_secs(30) {
                bail!("moto did not start");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(500));
        let env = [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
        ];
        let py = |script: &str| -> Result<f64> {
            let mut c = Command::new(venv.join("bin/python"));
            c.arg("-c")
                .arg(format!(
                    "import boto3, os, sys\nfrom concurrent.futures import ThreadPoolExecutor\n\
                     s3=boto3.client('s3', endpoint_url='{endpoint}', region_name='us-east-1')\n{script}"
                ))
                .arg(&dir)
                .envs(env);
            timed(c)
        };
        py("s3.create_bucket(Bucket='bench')\nfor f in sorted(os.listdir(sys.argv[1])):\n    s3.upload_file(os.path.join(sys.argv[1], f), 'bench', 'AWSLogs/123456789012/CloudTrail/us-east-1/'+f)\n")?;
        let ours = best(3, || {
            let mut c = capture_cmd("s3://bench/AWSLogs/".as_ref());
            c.args(["--cloudtrail-aws-endpoint", &endpoint]).envs(env);
            timed(c)
        })?;
        let boto = best(3, || {
            py("keys=[o['Key'] for p in s3.get_paginator('list_objects_v2').paginate(Bucket='bench', Prefix='AWSLogs/') for o in p.get('Contents', [])]\n\
                with ThreadPoolExecutor(32) as ex:\n    n=sum(len(b) for b in ex.map(lambda k: s3.get_object(Bucket='bench', Key=k)['Body'].read(), keys))\n")
        })?;
        println!("moto S3 on 127.0.0.1 (best of 3, whole process, 32 downloads at a time):");
        line(
            "scapbridge capture s3://",
            ours,
            records,
            boto,
            "boto3 list + download",
        );
        Ok(())
    })();
    let _ = moto.kill();
    let _ = moto.wait();
    result
}
