//! Hostile CloudTrail input (issue 20, items 4 and 5): gzip bombs, a log
//! named `*.json` that is `/dev/zero` or a FIFO, a symbolic link loop, a
//! record too large for a capture block. Each capture runs with its
//! address space limited to 1 GiB (`ulimit -v`), so holding a file
//! decompressed in memory fails the test instead of the machine, and under
//! a deadline, so reading an endless file fails it instead of hanging.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{aws_env, ct_dir, plugin_events, record_fields, records_of, upload_script, Moto};
use crate::common::scapbridge_bin;

/// What a limited capture did: its exit code, standard error, and the
/// peak virtual size and resident set seen in `/proc` (kB; sampled, so a
/// lower bound).
struct Limited {
    code: Option<i32>,
    err: String,
    vm_peak_kb: u64,
    rss_peak_kb: u64,
}

/// `scapbridge capture -i scapbridge-cloudtrail --plugin-source SOURCE -w
/// OUT` under `ulimit -v 1048576`, killed after `secs` seconds.
fn capture_limited(source: &Path, out: &Path, secs: u64) -> Limited {
    capture_limited_with(source.as_os_str(), out, secs, &[], &[])
}

/// [`capture_limited`] with more options and environment.
fn capture_limited_with(
    source: &std::ffi::OsStr,
    out: &Path,
    secs: u64,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Limited {
    let err_path = out.with_extension("stderr");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v 1048576 && exec "$0" "$@""#)
        .arg(scapbridge_bin())
        .args(["capture", "-i", "scapbridge-cloudtrail", "--plugin-source"])
        .arg(source)
        .arg("-w")
        .arg(out)
        .args(extra)
        .env("TZ", "UTC")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    // `exec` keeps the pid: /proc/<pid> is scapbridge once sh is gone.
    let status = format!("/proc/{}/status", child.id());
    let field = |text: &str, name: &str| -> u64 {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let (mut vm, mut rss) = (0, 0);
    let t0 = Instant::now();
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        if let Ok(text) = std::fs::read_to_string(&status) {
            if text.contains("Name:\tscapbridge") {
                vm = vm.max(field(&text, "VmPeak:"));
                rss = rss.max(field(&text, "VmHWM:"));
            }
        }
        if t0.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the capture of {} did not end within {secs} s: {}",
                source.to_string_lossy(),
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let err = std::fs::read_to_string(&err_path).unwrap_or_default();
    eprintln!(
        "{}: exit {code:?}, peak virtual {} MiB, peak resident {} MiB",
        source.to_string_lossy(),
        vm / 1024,
        rss / 1024
    );
    Limited {
        code,
        err,
        vm_peak_kb: vm,
        rss_peak_kb: rss,
    }
}

fn gzip(b: &[u8]) -> Vec<u8> {
    // Best compression: 1 MiB of one byte in about 1 KiB, as a bomb has it.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// A gzip bomb: `head`, then `mib` MiB of `fill`, as gzip members (one
/// file to `gzip -d`, and to the plugin's reader). A few MB on disk.
fn bomb(path: &Path, head: &[u8], fill: u8, mib: usize) {
    let member = gzip(&vec![fill; 1 << 20]);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    if !head.is_empty() {
        f.write_all(&gzip(head)).unwrap();
    }
    for _ in 0..mib {
        f.write_all(&member).unwrap();
    }
    f.flush().unwrap();
}

/// A record bomb: a log whose first record is a string of `mib` MiB.
fn record_bomb(path: &Path, mib: usize) {
    bomb(path, br#"{"Records":[{"eventVersion":""#, b'0', mib);
}

/// The tester's bomb: `mib` MiB of zero bytes.
fn zero_bomb(path: &Path, mib: usize) {
    bomb(path, b"", 0, mib);
}

fn logs_with_alice(dir: &Path) -> std::path::PathBuf {
    let logs = dir.join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::copy(
        ct_dir().join("alice_start_instances.json"),
        logs.join("alice.json"),
    )
    .unwrap();
    logs
}

/// The capture's report (its standard error) has each of `lines`.
fn assert_reports(err: &str, lines: &[&str]) {
    for line in lines {
        assert!(err.contains(line), "{line:?} not in:\n{err}");
    }
}

fn assert_normal(l: &Limited) {
    assert_eq!(l.code, Some(0), "a normal capture's exit: {}", l.err);
    assert!(!l.err.contains("panicked"), "{}", l.err);
    assert!(l.vm_peak_kb < 1 << 20, "{} kB", l.vm_peak_kb);
}

#[test]
fn a_gzip_bomb_is_skipped_within_1_gib_of_address_space() {
    if !crate::common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let logs = logs_with_alice(dir.path());
    // 2 GiB inside one record's string: read up to the 1 GiB a log may
    // hold, keeping at most one record's worth of it.
    record_bomb(&logs.join("bomb.json.gz"), 2048);
    let out = dir.path().join("out.scap");
    let l = capture_limited(&logs, &out, 120);
    assert_normal(&l);
    assert_eq!(plugin_events(&out).len(), 1, "alice's record: {}", l.err);
    assert_reports(
        &l.err,
        &[
            "1 records from 1 log files, 1 files unreadable",
            "bad files  1 too large after decompression",
            "bomb.json.gz: more than 1024 MiB (after decompression)",
        ],
    );
    // Memory held is one record at most, not the file.
    assert!(l.rss_peak_kb < 256 << 10, "{} kB resident", l.rss_peak_kb);
}

#[test]
fn an_s3_bomb_is_skipped_within_1_gib_of_address_space() {
    if !crate::common::have_fixtures() {
        return;
    }
    let Some(m) = Moto::start(&[]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let bomb_path = dir.path().join("bomb.json.gz");
    record_bomb(&bomb_path, 2048);
    let zeros_path = dir.path().join("zeros.json.gz");
    zero_bomb(&zeros_path, 2048);
    let prefix = "AWSLogs/123456789012/CloudTrail/us-east-2/2014/03/06/123456789012_CloudTrail_us-east-2_20140306T2100Z";
    let keys = [
        (
            format!("{prefix}_alice.json"),
            ct_dir().join("alice_start_instances.json"),
        ),
        (format!("{prefix}_bomb.json.gz"), bomb_path),
        (format!("{prefix}_zeros.json.gz"), zeros_path),
    ];
    m.boto(&upload_script("bombs", &keys));
    let out = dir.path().join("out.scap");
    let mut env = aws_env().to_vec();
    env.extend([
        ("AWS_CONFIG_FILE", "/nonexistent"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
    ]);
    let l = capture_limited_with(
        "s3://bombs/AWSLogs/".as_ref(),
        &out,
        180,
        &["--cloudtrail-aws-endpoint", &m.endpoint()],
        &env,
    );
    assert_normal(&l);
    assert_eq!(plugin_events(&out).len(), 1, "{}", l.err);
    assert_reports(
        &l.err,
        &[
            "bad files  1 not a CloudTrail log, 1 too large after decompression",
            "_bomb.json.gz: more than 1024 MiB",
        ],
    );
    assert!(l.rss_peak_kb < 256 << 10, "{} kB resident", l.rss_peak_kb);
}

#[test]
fn several_bombs_in_a_directory_stay_within_1_gib() {
    if !crate::common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let logs = logs_with_alice(dir.path());
    // 10 GiB of zeros each, the tester's files: not a log from byte 0, so
    // not decompressed past the first block.
    for i in 0..3 {
        zero_bomb(&logs.join(format!("zeros{i}.json.gz")), 10 * 1024);
    }
    // Read to the per-log limit, two at a time on two CPUs.
    for i in 0..2 {
        record_bomb(&logs.join(format!("record{i}.json.gz")), 1100);
    }
    let out = dir.path().join("out.scap");
    let l = capture_limited(&logs, &out, 180);
    assert_normal(&l);
    assert_eq!(plugin_events(&out).len(), 1, "{}", l.err);
    assert_reports(
        &l.err,
        &["bad files  3 not a CloudTrail log, 2 too large after decompression"],
    );
    assert!(l.rss_peak_kb < 256 << 10, "{} kB resident", l.rss_peak_kb);
}

#[test]
fn a_log_that_is_dev_zero_or_a_fifo_is_skipped_and_named() {
    if !crate::common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let logs = logs_with_alice(dir.path());
    std::os::unix::fs::symlink("/dev/zero", logs.join("zero.json")).unwrap();
    let fifo = logs.join("fifo.json.gz");
    let st = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(st.success());
    let out = dir.path().join("out.scap");
    let l = capture_limited(&logs, &out, 60);
    assert_normal(&l);
    assert_eq!(plugin_events(&out).len(), 1, "{}", l.err);
    assert_reports(
        &l.err,
        &[
            "bad files  2 not a regular file",
            "zero.json: not a regular file (a character device)",
            "fifo.json.gz: not a regular file (a FIFO)",
        ],
    );

    // Named directly: refused in one line.
    let l = capture_limited(Path::new("/dev/zero"), &out, 60);
    assert_eq!(l.code, Some(1), "{}", l.err);
    assert_eq!(l.err.trim().lines().count(), 1, "{}", l.err);
    assert_reports(
        &l.err,
        &["/dev/zero: not a regular file (a character device)"],
    );
}

#[test]
fn a_symlink_loop_reads_each_log_once() {
    if !crate::common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let sub = logs.join("a");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::copy(
        ct_dir().join("alice_start_instances.json"),
        sub.join("alice.json"),
    )
    .unwrap();
    std::fs::copy(
        ct_dir().join("SerializerTestFileCompact.json.gz"),
        logs.join("compact.json.gz"),
    )
    .unwrap();
    // A link back to the top (a loop) and a second name for a log.
    std::os::unix::fs::symlink("..", sub.join("up")).unwrap();
    std::os::unix::fs::symlink("a/alice.json", logs.join("again.json")).unwrap();
    let out = dir.path().join("out.scap");
    let l = capture_limited(&logs, &out, 60);
    assert_normal(&l);
    let got: Vec<Vec<u8>> = plugin_events(&out).into_iter().map(|e| e.3).collect();
    let mut want = records_of(&ct_dir().join("alice_start_instances.json"));
    want.extend(records_of(
        &ct_dir().join("SerializerTestFileCompact.json.gz"),
    ));
    assert_eq!(got.len(), want.len(), "each record once: {}", l.err);
    for w in &want {
        assert_eq!(got.iter().filter(|g| *g == w).count(), 1);
    }
    assert_reports(&l.err, &["links      2 symbolic links led to"]);
}

#[test]
fn a_record_too_large_for_a_block_is_skipped_and_the_others_written() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let rec = |name: &str, pad: usize| {
        format!(
            r#"{{"eventTime":"2024-01-01T00:00:0{}Z","eventType":"AwsApiCall","eventName":"{name}","pad":"{}"}}"#,
            name.len() % 10,
            "x".repeat(pad)
        )
    };
    // 262,086 bytes is the most a plugin event in a 256 KiB block carries.
    let big = rec("Big", 270_000);
    assert!(big.len() > 262_124);
    let edge = rec("Edge", 0);
    let edge = rec("Edge", 262_086 - edge.len());
    assert_eq!(edge.len(), 262_086);
    let first = rec("First", 10);
    std::fs::write(
        logs.join("a.json"),
        format!(
            r#"{{"Records":[{first},{big},{},{edge}]}}"#,
            rec("Second", 10)
        ),
    )
    .unwrap();
    let big_at = r#"{"Records":["#.len() + first.len() + 1;
    let out = dir.path().join("out.scap");
    let l = capture_limited(&logs, &out, 60);
    assert_normal(&l);
    // Read back by scapbridge read, as an analyst would.
    let r = Command::new(scapbridge_bin())
        .args(["read", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(String::from_utf8_lossy(&r.stdout).lines().count(), 3);
    let names: Vec<String> = record_fields(&out, "eventName");
    assert_eq!(names, ["Edge", "First", "Second"], "{}", l.err);
    assert_reports(
        &l.err,
        &[
            "3 records from 1 log files, 0 files unreadable",
            "skipped    1 too large",
            format!(
                "a.json bytes {big_at}..{}: {} bytes, over the 262086 bytes",
                big_at + big.len(),
                big.len()
            )
            .as_str(),
        ],
    );
    assert!(!l.err.contains("cut back"), "{}", l.err);
}

/// The "cut back to 28 bytes" of the report: an event the writer refused
/// made the sink truncate the file to its last flush, throwing away the
/// good events buffered since. Refused events write nothing, so nothing is
/// cut, and the good events reach the file.
#[test]
fn a_refused_event_cuts_nothing_from_the_output() {
    use scapbridge::capture::{CaptureError, EventSink, ScapSink};
    use scapbridge_formats::cloudtrail::CLOUDTRAIL_PLUGIN_ID;
    use scapbridge_formats::event::encode_parts;
    use scapbridge_formats::schema::PPME_PLUGINEVENT_E;
    use scapbridge_formats::{Container, Event, Profile};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.scap");
    let file = std::fs::File::create(&path).unwrap();
    let mut sink = ScapSink::for_file(file, "out.scap", Profile::Keep, Container::Scap).unwrap();
    let event = |payload: &[u8]| {
        let mut raw = Vec::new();
        let id = CLOUDTRAIL_PLUGIN_ID.to_le_bytes();
        encode_parts(
            1,
            u64::MAX,
            PPME_PLUGINEVENT_E,
            true,
            [&id[..], payload].into_iter(),
            &mut raw,
        );
        raw
    };
    let good = event(br#"{"eventTime":"2024-01-01T00:00:00Z"}"#);
    sink.event(&Event::parse(&good, true).unwrap()).unwrap();
    let huge = event(&vec![b' '; 300_000]);
    match sink.event(&Event::parse(&huge, true).unwrap()) {
        Err(CaptureError::Write { truncated, .. }) => assert_eq!(truncated, None),
        other => panic!("expected a refused event, got {other:?}"),
    }
    sink.event(&Event::parse(&good, true).unwrap()).unwrap();
    sink.finish().unwrap();
    assert_eq!(plugin_events(&path).len(), 2);
}
