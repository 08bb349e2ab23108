//! `scapbridge-cloudtrail`: CloudTrail logs from a directory, from S3 and
//! through SQS notifications (moto on 127.0.0.1 as the endpoint), read
//! back by our reader, tshark and sysdig; the Falco rules; the fields and
//! their offsets; bad input.
//!
//! The expected records come from serde_json's `RawValue` (an independent
//! parser that also keeps each record's original bytes), not from our
//! splitter.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;
#[path = "cloudtrail_hostile.rs"]
mod hostile;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{ci, fixtures, have, scapbridge, stderr};

fn ct_dir() -> PathBuf {
    fixtures().join("cloudtrail")
}

fn rules_dir() -> PathBuf {
    fixtures().join("rules")
}

/// The log files of the fixture folder (the SQS message body is not one).
const LOGS: &[&str] = &[
    "alice_start_instances.json",
    "alice_start_instances_bigevent.json",
    "SerializerTestFile.json",
    "SerializerTestFileCompact.json.gz",
];

/// The records of a log file as serde_json sees them: original bytes.
fn records_of(path: &Path) -> Vec<Vec<u8>> {
    let mut raw = std::fs::read(path).unwrap();
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut d = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut d)
            .unwrap();
        raw = d;
    }
    #[derive(serde::Deserialize)]
    struct File<'a> {
        #[serde(rename = "Records", borrow)]
        records: Vec<&'a serde_json::value::RawValue>,
    }
    let f: File<'_> = serde_json::from_slice(&raw).unwrap();
    f.records
        .iter()
        .map(|r| r.get().as_bytes().to_vec())
        .collect()
}

/// eventTime of a record, by serde_json, in ns (whole seconds suffice for
/// the fixtures).
fn event_time(rec: &[u8]) -> u64 {
    let v: serde_json::Value = serde_json::from_slice(rec).unwrap();
    let t = v["eventTime"].as_str().unwrap();
    let out = Command::new("date")
        .args(["-u", "-d", t, "+%s"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse::<u64>()
        .unwrap()
        * 1_000_000_000
}

/// The expected stream: every record of `files`, ordered by time (stable).
fn expected(files: &[PathBuf]) -> Vec<(u64, Vec<u8>)> {
    let mut v: Vec<(u64, Vec<u8>)> = files
        .iter()
        .flat_map(|f| records_of(f))
        .map(|r| (event_time(&r), r))
        .collect();
    v.sort_by_key(|(t, _)| *t);
    v
}

/// (time, tid, plugin id, payload) of every event of a capture.
fn plugin_events(path: &Path) -> Vec<(u64, u64, u32, Vec<u8>)> {
    common::events(path, false)
        .unwrap()
        .into_iter()
        .map(|e| {
            assert_eq!(e.event_type, 322, "only plugin events");
            let id = u32::from_le_bytes(e.params[0].clone().try_into().unwrap());
            (e.ts, e.tid, id, e.params[1].clone())
        })
        .collect()
}

/// The string field `key` (`eventName`, `eventID`) of every record a
/// capture holds, in order.
fn record_fields(path: &Path, key: &str) -> Vec<String> {
    plugin_events(path)
        .iter()
        .map(|e| {
            let v: serde_json::Value = serde_json::from_slice(&e.3).unwrap();
            v[key].as_str().unwrap().to_string()
        })
        .collect()
}

/// `scapbridge capture -i scapbridge-cloudtrail --plugin-source SOURCE -w OUT`.
fn capture_cmd(source: impl AsRef<std::ffi::OsStr>, out: &Path) -> Command {
    let mut c = scapbridge();
    c.args(["capture", "-i", "scapbridge-cloudtrail", "--plugin-source"])
        .arg(source)
        .arg("-w")
        .arg(out);
    c
}

fn capture(source: &str, out: &Path, extra: &[&str]) -> Output {
    capture_cmd(source, out).args(extra).output().unwrap()
}

/// A capture with a rules file of the fixtures, alerts as Falco JSON
/// lines into `alerts`.
fn capture_with_rules(source: &Path, out: &Path, rules: &str, alerts: &Path) -> Output {
    capture(
        source.to_str().unwrap(),
        out,
        &[
            "--rules",
            rules_dir().join(rules).to_str().unwrap(),
            "--alerts",
            alerts.to_str().unwrap(),
            "--alerts-format",
            "json",
        ],
    )
}

fn fixture_logs() -> Vec<PathBuf> {
    LOGS.iter().map(|n| ct_dir().join(n)).collect()
}

#[test]
fn a_directory_gives_every_record_byte_identical_in_time_order() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dir.scap");
    let o = capture(ct_dir().to_str().unwrap(), &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = plugin_events(&out);
    let want = expected(&fixture_logs());
    assert_eq!(want.len(), 14);
    assert_eq!(got.len(), want.len(), "{}", stderr(&o));
    for ((ts, tid, id, payload), (wts, wrec)) in got.iter().zip(&want) {
        assert_eq!((*ts, *tid, *id), (*wts, u64::MAX, 2));
        assert_eq!(payload, wrec, "payload is the record's original bytes");
    }
    // The 64 KiB record went out whole (32-bit parameter lengths).
    assert!(got.iter().any(|e| e.3.len() > 65_536));
    if have("tshark") {
        let t = Command::new("tshark").arg("-r").arg(&out).output().unwrap();
        assert!(t.status.success(), "{}", stderr(&t));
        assert_eq!(String::from_utf8_lossy(&t.stdout).lines().count(), 14);
    }
    if have("sysdig") {
        let s = Command::new("sysdig").arg("-r").arg(&out).output().unwrap();
        assert!(s.status.success(), "sysdig: {}", stderr(&s));
        assert_eq!(String::from_utf8_lossy(&s.stdout).lines().count(), 14);
    }
}

#[test]
fn the_create_instance_rule_fires_once_and_fields_have_hand_checked_offsets() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("alice.scap");
    let alerts = dir.path().join("alerts.json");
    let input = ct_dir().join("alice_start_instances.json");
    let o = capture_with_rules(&input, &out, "cloudtrail_create_instances.yaml", &alerts);
    assert_eq!(
        o.status.code(),
        Some(3),
        "exit 3 = a rule fired: {}",
        stderr(&o)
    );
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&alerts)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "exactly one alert");
    assert_eq!(lines[0]["rule"], "Cloudtrail Create Instance");
    assert_eq!(lines[0]["priority"], "Informational");
    assert_eq!(lines[0]["source"], "aws_cloudtrail");
    assert_eq!(
        lines[0]["output_fields"]["json.value[/userIdentity/userName]"],
        "Alice"
    );

    let r = scapbridge()
        .args(["read", "--fields", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", stderr(&r));
    let ev: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&r.stdout).lines().next().unwrap()).unwrap();
    let fields = ev["fields"].as_array().unwrap();
    let field = |n: &str| fields.iter().find(|f| f["name"] == n).cloned();
    // Offsets from the event's first byte (38 + offset in the record; the
    // record starts at byte 13 of the file). Checked by hand against the
    // file: e.g. bytes 13+414-38 .. +14 of alice_start_instances.json are
    // "StartInstances".
    // (field, value, (offset, length) or None for generated values)
    type Row<'a> = (&'a str, &'a str, Option<(u64, u64)>);
    let table: &[Row<'_>] = &[
        ("ct.name", "StartInstances", Some((414, 14))),
        ("ct.user", "Alice", Some((270, 5))),
        ("ct.user.identitytype", "IAMUser", Some((99, 7))),
        (
            "ct.user.arn",
            "arn:aws:iam::123456789012:user/Alice",
            Some((153, 36)),
        ),
        ("ct.user.accountid", "123456789012", Some((241, 12))),
        ("ct.time", "2014-03-06T21:22:54Z", Some((302, 20))),
        ("ct.src", "ec2.amazonaws.com", Some((345, 17))),
        ("ct.shortsrc", "ec2", Some((345, 17))),
        ("ct.region", "us-east-2", Some((449, 9))),
        ("ct.srcip", "205.251.233.176", Some((485, 15))),
        ("ct.useragent", "ec2-api-tools 1.6.12.2", Some((521, 22))),
        ("ct.eventtype", "AwsApiCall", Some((383, 10))),
        (
            "ct.request",
            r#"{"instancesSet":{"items":[{"instanceId":"i-ebeaf9e2"}]}}"#,
            Some((571, 59)),
        ),
        (
            "ct.info",
            "Alice via 205.251.233.176 → StartInstances",
            None,
        ),
        ("s3.cnt.other", "1", None),
    ];
    let raw = std::fs::read(&input).unwrap();
    for (name, value, span) in table {
        let f = field(name).unwrap_or_else(|| panic!("{name} missing: {fields:?}"));
        assert_eq!(f["value"], *value, "{name}");
        match span {
            Some((off, len)) => {
                assert_eq!(
                    (f["offset"].as_u64(), f["length"].as_u64()),
                    (Some(*off), Some(*len)),
                    "{name}"
                );
                // And the bytes there are the value's (strings without quotes).
                let at = 13 + *off as usize - 38;
                let bytes = &raw[at..at + *len as usize];
                if !value.starts_with('{') && *name != "ct.shortsrc" {
                    assert_eq!(bytes, value.as_bytes(), "{name}");
                }
            }
            None => assert!(f["offset"].is_null(), "{name} is generated"),
        }
    }
    // Not in the record: no field.
    assert!(field("ct.error").is_none());
    assert!(field("s3.bucket").is_none());
}

#[test]
fn the_public_cloudtrail_rules_load_and_fire_on_the_right_records() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let user = r#""userIdentity":{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::123456789012:user/bob","accountId":"123456789012","userName":"bob"}"#;
    let recs = [
        // Console Login Without MFA (json.value on two pointers).
        format!(
            r#"{{{user},"eventTime":"2024-05-01T10:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","responseElements":{{"ConsoleLogin":"Success"}},"additionalEventData":{{"MFAUsed":"No"}},"eventID":"e-1","eventType":"AwsConsoleSignIn"}}"#
        ),
        // The same with MFA: nothing.
        format!(
            r#"{{{user},"eventTime":"2024-05-01T10:00:01Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","responseElements":{{"ConsoleLogin":"Success"}},"additionalEventData":{{"MFAUsed":"Yes"}},"eventID":"e-2","eventType":"AwsConsoleSignIn"}}"#
        ),
        // Run Instances, and in a non-approved region.
        format!(
            r#"{{{user},"eventTime":"2024-05-01T10:00:05Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"eu-west-3","sourceIPAddress":"198.51.100.7","requestParameters":{{"availabilityZone":"eu-west-3a"}},"responseElements":{{"reservationId":"r-1","subnetId":"subnet-9"}},"eventID":"e-3","eventType":"AwsApiCall"}}"#
        ),
        // Failed: `not ct.error exists` keeps it out.
        format!(
            r#"{{{user},"eventTime":"2024-05-01T10:00:03Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"eu-west-3","sourceIPAddress":"198.51.100.7","errorCode":"Client.UnauthorizedOperation","eventID":"e-4","eventType":"AwsApiCall"}}"#
        ),
        // Delete Bucket Public Access Block (json.value on a boolean).
        format!(
            r#"{{{user},"eventTime":"2024-05-01T10:00:09Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketPublicAccessBlock","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","requestParameters":{{"bucketName":"b","publicAccessBlock":"","PublicAccessBlockConfiguration":{{"RestrictPublicBuckets":false,"BlockPublicPolicy":true,"BlockPublicAcls":true,"IgnorePublicAcls":true}}}},"eventID":"e-5","eventType":"AwsApiCall"}}"#
        ),
    ];
    std::fs::write(
        logs.join("synthetic.json"),
        format!("{{\"Records\":[{}]}}", recs.join(",\n")),
    )
    .unwrap();
    let alerts = dir.path().join("alerts.json");
    let out = dir.path().join("out.scap");
    let o = capture_with_rules(&logs, &out, "aws_cloudtrail_rules.yaml", &alerts);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let fired: Vec<(String, String)> = std::fs::read_to_string(&alerts)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["rule"].as_str().unwrap().to_string(),
                v["time"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let names: Vec<&str> = fired.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Console Login Without MFA",
            "Run Instances",
            "Run Instances in Non-approved Region",
            "Delete Bucket Public Access Block",
        ],
        "in time order"
    );
    // The fixture record of Falco's own test raises none of these rules.
    let o = capture(
        ct_dir()
            .join("alice_start_instances.json")
            .to_str()
            .unwrap(),
        &dir.path().join("alice.scap"),
        &[
            "--rules",
            rules_dir()
                .join("aws_cloudtrail_rules.yaml")
                .to_str()
                .unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn trigger_mode_keeps_only_the_records_around_the_alert() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    // 60 records one second apart; record 30 is a StartInstances.
    let recs: Vec<String> = (0..60)
        .map(|i| {
            let name = if i == 30 { "StartInstances" } else { "DescribeInstances" };
            format!(
                r#"{{"eventTime":"2024-05-01T10:{:02}:{:02}Z","eventType":"AwsApiCall","eventName":"{name}","awsRegion":"us-east-1","eventID":"id-{i}"}}"#,
                i / 60,
                i % 60
            )
        })
        .collect();
    std::fs::write(
        logs.join("many.json"),
        format!("{{\"Records\":[{}]}}", recs.join(",")),
    )
    .unwrap();
    let out = dir.path().join("window.scap");
    let rules = rules_dir().join("cloudtrail_create_instances.yaml");
    let mut args = vec!["--rules", rules.to_str().unwrap()];
    args.extend(scapbridge_tests::trigger_windows("5s", "3s"));
    let o = capture(logs.to_str().unwrap(), &out, &args);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let ids: Vec<String> = record_fields(&out, "eventID");
    let want: Vec<String> = (25..=33).map(|i| format!("id-{i}")).collect();
    assert_eq!(ids, want, "5 s before to 3 s after the alert");
}

#[test]
fn bad_files_and_records_are_counted_and_the_good_records_go_out() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    for n in [
        "alice_start_instances.json",
        "alice_start_instances_bigevent.json",
    ] {
        std::fs::copy(ct_dir().join(n), logs.join(n)).unwrap();
    }
    let mut gz = std::fs::read(ct_dir().join("SerializerTestFileCompact.json.gz")).unwrap();
    let n = gz.len();
    gz[n / 2] ^= 0x55; // corrupt the deflate stream
    std::fs::write(logs.join("corrupt.json.gz"), &gz).unwrap();
    std::fs::write(
        logs.join("mixed.json"),
        r#"{"Records":[{"eventTime":"2024-01-01T00:00:00Z","eventType":"AwsApiCall","eventName":"Good"},{"eventTime": nope},{"eventType":"AwsApiCall","eventName":"NoTime"},{"eventTime":"2024-01-01T00:00:01Z","eventType":"AwsCloudTrailInsight"}]}"#,
    )
    .unwrap();
    std::fs::write(logs.join("cut.json"), r#"{"Records":[{"eventTime":"2024-01-01T00:00:02Z","eventType":"AwsApiCall","eventName":"BeforeCut"},{"eventTime":"2024-01"#).unwrap();
    let out = dir.path().join("out.scap");
    let o = capture(logs.to_str().unwrap(), &out, &[]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let names: Vec<String> = record_fields(&out, "eventName");
    assert_eq!(
        names,
        ["StartInstances", "StartInstances", "Good", "BeforeCut"],
        "{err}"
    );
    assert!(
        err.contains("4 records from 4 log files, 1 files unreadable"),
        "{err}"
    );
    assert!(
        err.contains("skipped    1 Insights event, 1 file cut short, 1 no eventTime, 1 not JSON"),
        "{err}"
    );
    assert!(err.contains("corrupt.json.gz: corrupt gzip"), "{err}");

    // Nothing to read at all: one line, non-zero.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = capture(empty.to_str().unwrap(), &dir.path().join("e.scap"), &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("no .json or .json.gz CloudTrail files"),
        "{err}"
    );
    let o = capture("/nonexistent/ct", &dir.path().join("n.scap"), &[]);
    assert!(!o.status.success());
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
}

#[test]
fn a_followed_directory_streams_files_that_appear_later() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::copy(
        ct_dir().join("alice_start_instances.json"),
        logs.join("a.json"),
    )
    .unwrap();
    let out = dir.path().join("follow.scap");
    let mut child = capture_cmd(&logs, &out)
        .args(["-q", "--follow"])
        .args(["--count", "7"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    std::fs::copy(
        ct_dir().join("SerializerTestFileCompact.json.gz"),
        logs.join("later.json.gz"),
    )
    .unwrap();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "follow did not pick the new file up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let ev = plugin_events(&out);
    assert_eq!(ev.len(), 7);
    // The first file's record, then the later file's six, in their order.
    assert_eq!(
        ev[0].3,
        records_of(&ct_dir().join("alice_start_instances.json"))[0]
    );
    let later = records_of(&ct_dir().join("SerializerTestFileCompact.json.gz"));
    let got: Vec<Vec<u8>> = ev[1..].iter().map(|e| e.3.clone()).collect();
    assert_eq!(got, later);
}

// ---------------------------------------------------------------- moto

/// A moto server on a free loopback port; killed on drop.
struct Moto {
    child: Child,
    port: u16,
    venv: PathBuf,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_venv() -> PathBuf {
    if let Ok(p) = std::env::var("SCAPBRIDGE_MOTO_VENV") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    Path::new(&home).join(".cache/scapbridge/moto")
}

impl Moto {
    /// Starts moto, or says why not (`None`); CI=true requires it.
    fn start(env: &[(&str, &str)]) -> Option<Moto> {
        let venv = moto_venv();
        let server = venv.join("bin/moto_server");
        if !server.exists() {
            assert!(
                !ci(),
                "CI=true needs moto at {} (install/install.sh --deps)",
                server.display()
            );
            eprintln!(
                "skipping: moto not installed at {} (run install/install.sh --deps)",
                server.display()
            );
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let m = Moto { child, port, venv };
        let t0 = Instant::now();
        loop {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(b"GET /moto-api/ HTTP/1.0\r\n\r\n");
                let mut head = [0u8; 12];
                if s.read_exact(&mut head).is_ok() && head.ends_with(b"200") {
                    return Some(m);
                }
            }
            assert!(t0.elapsed() < Duration::from_secs(30), "moto did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs a boto3 script with `s3`, `sqs` clients and `E` (the endpoint)
    /// defined; returns its standard output.
    fn boto(&self, script: &str) -> String {
        let prelude = "import boto3, json, os, sys\nE=os.environ['E']\n\
            s3=boto3.client('s3', endpoint_url=E, region_name='us-east-1')\n\
            sqs=boto3.client('sqs', endpoint_url=E, region_name='us-east-1')\n";
        let o = Command::new(self.venv.join("bin/python"))
            .arg("-c")
            .arg(format!("{prelude}{script}"))
            .env("E", self.endpoint())
            .envs(aws_env())
            .output()
            .unwrap();
        assert!(o.status.success(), "boto3: {}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
}

fn aws_env() -> [(&'static str, &'static str); 4] {
    [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_REGION", "us-east-1"),
    ]
}

fn capture_aws(m: &str, source: &str, out: &Path, extra: &[&str]) -> Output {
    capture_cmd(source, out)
        .args(["--cloudtrail-aws-endpoint", m])
        .args(extra)
        .envs(aws_env())
        // No stray shared config of the machine.
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()
        .unwrap()
}

/// Keys as CloudTrail names them, one per fixture log.
fn s3_keys() -> Vec<(String, PathBuf)> {
    LOGS.iter()
        .enumerate()
        .map(|(i, n)| {
            let ext = if n.ends_with(".gz") { "json.gz" } else { "json" };
            (
                format!("AWSLogs/123456789012/CloudTrail/us-east-2/2014/03/06/123456789012_CloudTrail_us-east-2_20140306T21{i:02}Z_f{i}.{ext}"),
                ct_dir().join(n),
            )
        })
        .collect()
}

fn upload_script(bucket: &str, keys: &[(String, PathBuf)]) -> String {
    let mut s = format!("s3.create_bucket(Bucket='{bucket}')\n");
    for (k, p) in keys {
        s.push_str(&format!(
            "s3.upload_file('{}', '{bucket}', '{k}')\n",
            p.display()
        ));
    }
    s
}

#[test]
fn s3_gives_the_same_records_as_the_directory_and_errors_are_one_line() {
    if !common::have_fixtures() {
        return;
    }
    let Some(m) = Moto::start(&[]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json.gz");
    std::fs::write(&bad, b"\x1f\x8b\x08\x00not gzip at all").unwrap();
    let mut keys = s3_keys();
    keys.push((
        "AWSLogs/123456789012/CloudTrail/us-east-2/2014/03/06/123456789012_CloudTrail_us-east-2_20140306T2199Z_bad.json.gz".into(),
        bad,
    ));
    m.boto(&upload_script("ct-logs", &keys));
    let out = dir.path().join("s3.scap");
    let o = capture_aws(
        &m.endpoint(),
        "s3://ct-logs/AWSLogs/",
        &out,
        &["--cloudtrail-s3downloadconcurrency", "2"],
    );
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let got: Vec<(u64, Vec<u8>)> = plugin_events(&out)
        .into_iter()
        .map(|e| (e.0, e.3))
        .collect();
    assert_eq!(got, expected(&fixture_logs()), "{err}");
    assert!(
        err.contains("14 records from 4 log files, 1 files unreadable"),
        "{err}"
    );
    assert!(err.contains("_bad.json.gz: corrupt gzip"), "{err}");

    // Account and region filters, on the key layout.
    let o = capture_aws(
        &m.endpoint(),
        "s3://ct-logs",
        &out,
        &["--cloudtrail-s3accountlist", "000000000000"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(plugin_events(&out).len(), 0);
    let o = capture_aws(
        &m.endpoint(),
        "s3://ct-logs",
        &out,
        &[
            "--cloudtrail-s3regionlist",
            "us-east-2",
            "--cloudtrail-s3interval",
            "2014-03-06T21:00:00Z-2014-03-06T21:01:00Z",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        plugin_events(&out).len(),
        2,
        "only the files named 21:00 and 21:01"
    );

    // Credentials and region from a profile of given files, and none at all.
    let creds = dir.path().join("credentials");
    let conf = dir.path().join("config");
    std::fs::write(
        &creds,
        "[ct]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = file-secret\n",
    )
    .unwrap();
    std::fs::write(&conf, "[profile ct]\nregion = us-east-2\n").unwrap();
    let bare = |extra: &[&str]| {
        let mut c = capture_cmd("s3://ct-logs/AWSLogs/", &out);
        c.args(["--cloudtrail-aws-endpoint", &m.endpoint()])
            .args(extra);
        for v in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
        ] {
            c.env_remove(v);
        }
        c.env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            // No instance-metadata lookups from a test.
            .env("AWS_EC2_METADATA_DISABLED", "true");
        c.output().unwrap()
    };
    let o = bare(&[
        "--cloudtrail-aws-profile",
        "ct",
        "--cloudtrail-aws-credentials",
        creds.to_str().unwrap(),
        "--cloudtrail-aws-config",
        conf.to_str().unwrap(),
    ]);
    assert!(
        o.status.success(),
        "profile from the given files: {}",
        stderr(&o)
    );
    assert_eq!(plugin_events(&out).len(), 14);
    let o = bare(&["--cloudtrail-aws-region", "us-east-1"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no AWS credentials found"), "{err}");
    let o = bare(&[]);
    assert!(stderr(&o).contains("no AWS region set"), "{}", stderr(&o));

    // A missing bucket, an unreachable endpoint: one line, non-zero.
    let o = capture_aws(&m.endpoint(), "s3://no-such-bucket", &out, &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("S3 bucket 'no-such-bucket' does not exist"),
        "{err}"
    );
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = capture_aws(
        &format!("http://127.0.0.1:{closed}"),
        "s3://ct-logs",
        &out,
        &[],
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("cannot reach AWS at http://127.0.0.1:{closed}")),
        "{err}"
    );
}

#[test]
fn wrong_credentials_are_one_clear_line() {
    // moto checks credentials against its IAM when told to from the first
    // request: "testing" is then an unknown access key, as it is for AWS.
    let Some(m) = Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let o = capture_aws(
        &m.endpoint(),
        "s3://ct-logs",
        &dir.path().join("x.scap"),
        &[],
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("AWS refused the credentials"), "{err}");
    assert!(
        !err.contains("testing\""),
        "no secret in the message: {err}"
    );
}

#[test]
fn sqs_notifications_from_s3_and_sns_bring_the_records_and_are_deleted_when_asked() {
    if !common::have_fixtures() {
        return;
    }
    let Some(m) = Moto::start(&[]) else { return };
    let keys = s3_keys();
    // S3 -> SQS event notifications, set up before the uploads.
    m.boto(
        "q=sqs.create_queue(QueueName='ct-notify')['QueueUrl']\n\
         arn=sqs.get_queue_attributes(QueueUrl=q, AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n\
         s3.create_bucket(Bucket='ct-sqs')\n\
         s3.put_bucket_notification_configuration(Bucket='ct-sqs', NotificationConfiguration={'QueueConfigurations':[{'QueueArn':arn,'Events':['s3:ObjectCreated:*']}]})\n",
    );
    let mut up = String::new();
    for (k, p) in &keys {
        up.push_str(&format!(
            "s3.upload_file('{}', 'ct-sqs', '{k}')\n",
            p.display()
        ));
    }
    m.boto(&up);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sqs.scap");
    let o = capture_aws(
        &m.endpoint(),
        "sqs://ct-notify",
        &out,
        &["--count", "14", "--duration", "60s"],
    );
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let mut got: Vec<(u64, Vec<u8>)> = plugin_events(&out)
        .into_iter()
        .map(|e| (e.0, e.3))
        .collect();
    // Each message is one object; within it, time order.
    got.sort();
    let mut want = expected(&fixture_logs());
    want.sort();
    assert_eq!(got, want, "{err}");
    assert!(
        err.contains("1 named no log file"),
        "moto's s3:TestEvent: {err}"
    );
    let left = m.boto(
        "q=sqs.get_queue_url(QueueName='ct-notify')['QueueUrl']\n\
         a=sqs.get_queue_attributes(QueueUrl=q, AttributeNames=['All'])['Attributes']\n\
         print(a['ApproximateNumberOfMessages'], a['ApproximateNumberOfMessagesNotVisible'])\n",
    );
    assert_eq!(left.trim(), "0 0", "every handled message deleted: {err}");

    // An SNS-wrapped CloudTrail notification (the shape of the fixture),
    // kept on the queue when deletion is off.
    m.boto(&format!(
        "s3.create_bucket(Bucket='ct-logs')\n\
         s3.upload_file('{}', 'ct-logs', 'AWSLogs/a.json.gz')\n\
         q=sqs.create_queue(QueueName='ct-sns')['QueueUrl']\n\
         env=json.load(open('{}'))\n\
         env['Message']=json.dumps({{'s3Bucket':'ct-logs','s3ObjectKey':['AWSLogs/a.json.gz']}})\n\
         sqs.send_message(QueueUrl=q, MessageBody=json.dumps(env))\n",
        ct_dir().join("SerializerTestFileCompact.json.gz").display(),
        ct_dir().join("SQSMessageBody.json").display(),
    ));
    let o = capture_aws(
        &m.endpoint(),
        "sqs://ct-sns",
        &out,
        &[
            "--count",
            "6",
            "--duration",
            "60s",
            "--cloudtrail-sqsdelete=false",
        ],
    );
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let got: Vec<Vec<u8>> = plugin_events(&out).into_iter().map(|e| e.3).collect();
    assert_eq!(
        got,
        records_of(&ct_dir().join("SerializerTestFileCompact.json.gz")),
        "{err}"
    );
    let left = m.boto(
        "q=sqs.get_queue_url(QueueName='ct-sns')['QueueUrl']\n\
         a=sqs.get_queue_attributes(QueueUrl=q, AttributeNames=['All'])['Attributes']\n\
         print(int(a['ApproximateNumberOfMessages'])+int(a['ApproximateNumberOfMessagesNotVisible']))\n",
    );
    assert_eq!(left.trim(), "1", "the message stays: {err}");

    // A queue that does not exist: one line.
    let o = capture_aws(
        &m.endpoint(),
        "sqs://no-such-queue",
        &out,
        &["--duration", "20s"],
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("SQS queue 'no-such-queue' does not exist"),
        "{err}"
    );
}
