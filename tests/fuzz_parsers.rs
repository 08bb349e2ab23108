//! Bounded-time mutation fuzzers for the parsers that read text an
//! attacker may write: the rules loader (its YAML included), the CloudTrail
//! record splitter and checker, the extcap/headless argument parser, and
//! the `~/.ssh/config` and `known_hosts` parsers. The capture reader and the
//! filter language have their own (`fuzz_reader.rs`, `fuzz_filter.rs`).
//!
//! Each target starts from real inputs (the shared fixtures' rules and
//! logs, the README's command lines, OpenSSH's config syntax) and mutates
//! them: bytes flipped, pieces of syntax inserted, spans deleted, repeated
//! or swapped in from another seed. A panic fails the test and prints the
//! input that caused it. Duration per target: `FUZZ_SECONDS` (default 10
//! under CI=true, 1 elsewhere); the seed is printed and pinned with
//! `FUZZ_SEED` (CI pins it).

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use common::{fixtures, fuzz_budget, Rng};

/// Runs `target` on mutations of `seeds` for the budget; a panic fails the
/// test naming the input (lossy text and its bytes).
fn fuzz(name: &str, seeds: &[Vec<u8>], pieces: &[&[u8]], target: impl Fn(&[u8])) {
    let (seconds, seed) = fuzz_budget(10, 1);
    eprintln!("fuzz {name}: {seconds} s from seed {seed}");
    let mut rng = Rng(seed | 1);
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    // Seeds first, unchanged.
    let mut queue: Vec<Vec<u8>> = seeds.to_vec();
    while Instant::now() < end || !queue.is_empty() {
        let input = match queue.pop() {
            Some(i) => i,
            None => mutate(&mut rng, seeds, pieces),
        };
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| target(&input))) {
            let why = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!(
                "fuzz {name}: panic ({why}) after {runs} runs (FUZZ_SEED={seed}) on input {:?}\nbytes: {:?}",
                String::from_utf8_lossy(&input),
                input
            );
        }
        runs += 1;
    }
    eprintln!("fuzz {name}: {runs} inputs, no panic");
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], pieces: &[&[u8]]) -> Vec<u8> {
    let mut v = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(8) {
        let at = rng.below(v.len() + 1);
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let p = pieces[rng.below(pieces.len())];
                v.splice(at..at, p.iter().copied());
            }
            2 if !v.is_empty() => {
                let len = rng.below((v.len() - at).min(64) + 1);
                v.drain(at..at + len);
            }
            3 if v.len() > at => {
                // Repeat a span a few times (nesting, long lists).
                let len = rng.below((v.len() - at).min(32) + 1);
                let span: Vec<u8> = v[at..at + len].to_vec();
                for _ in 0..rng.below(16) {
                    v.splice(at..at, span.iter().copied());
                }
            }
            4 => {
                // A span of another seed.
                let o = &seeds[rng.below(seeds.len())];
                let from = rng.below(o.len() + 1);
                let len = rng.below((o.len() - from).min(128) + 1);
                v.splice(at..at, o[from..from + len].iter().copied());
            }
            _ => v.truncate(at),
        }
    }
    v
}

/// The seeds of a fuzz run: the files `names` of the fixtures' folder
/// `folder`, those that read (a missing one is left out, not an error).
fn fixture_seeds(folder: &str, names: &[&str]) -> Vec<Vec<u8>> {
    let dir = fixtures().join(folder);
    names
        .iter()
        .filter_map(|n| std::fs::read(dir.join(n)).ok())
        .collect()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn fuzz_rules_loader() {
    if !common::have_fixtures() {
        return;
    }
    let mut seeds = fixture_seeds(
        "rules",
        &[
            "falco_rules.yaml",
            "aws_cloudtrail_rules.yaml",
            "cloudtrail_create_instances.yaml",
        ],
    );
    // Small seeds mutate into interesting shapes far more often than a
    // 100 KB file does.
    seeds.push(
        b"- list: l\n  items: [a, \"b\", c]\n- macro: m\n  condition: proc.name in (l)\n- rule: r\n  desc: d\n  condition: evt.type=open and m and not fd.name startswith /tmp\n  output: \"%proc.name %fd.name\"\n  priority: WARNING\n  tags: [x]\n  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      comps: [=, startswith]\n      values: [[a, /b]]\n".to_vec(),
    );
    seeds.push(b"- required_engine_version: 0.26.0\n- macro: a\n  condition: &x (b or c)\n- macro: b\n  condition: *x\n- rule: r\n  condition: a\n  output: o\n  priority: INFO\n  desc: d\n  append: true\n  override:\n    condition: append\n".to_vec());
    let pieces: &[&[u8]] = &[
        b"\n",
        b"  ",
        b"- ",
        b": ",
        b"&a ",
        b"*a",
        b"[",
        b"]",
        b"{",
        b"}",
        b"\"",
        b"'",
        b"|\n",
        b">\n",
        b"(",
        b")",
        b" and ",
        b" or ",
        b"not ",
        b"macro: ",
        b"list: ",
        b"rule: ",
        b"condition: ",
        b"append: true",
        b"items: [",
        b"!!binary ",
        b"%",
        b"\t",
        b"\xff",
        b"\0",
        b"---\n",
        b"...\n",
    ];
    fuzz("rules", &seeds, pieces, |b| {
        let _ = scapbridge::rules::RuleSet::load_texts(&[("fuzz.yaml".into(), text(b))]);
    });
}

#[test]
fn fuzz_cloudtrail_records() {
    if !common::have_fixtures() {
        return;
    }
    let mut seeds = fixture_seeds(
        "cloudtrail",
        &[
            "SerializerTestFile.json",
            "alice_start_instances.json",
            "SQSMessageBody.json",
        ],
    );
    seeds.push(br#"{"Records":[{"eventTime":"2024-01-02T03:04:05Z","eventType":"AwsApiCall","eventName":"x","userIdentity":{"type":"Root"}}]}"#.to_vec());
    let pieces: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b"\\",
        b"\\u00",
        b"\\ud800",
        b",",
        b":",
        b"\"Records\":",
        b"\"eventTime\":",
        b"\"2024-13-45T99:99:99Z\"",
        b"1e999",
        b"-0",
        b"null",
        b"\xff",
        b"\0",
    ];
    fuzz("cloudtrail", &seeds, pieces, |b| {
        if let Ok(split) = scapbridge_formats::cloudtrail::split_records(b) {
            for r in split.records {
                let _ = scapbridge_formats::cloudtrail::check_record(&b[r]);
            }
        }
    });
}

#[test]
fn fuzz_argument_parser() {
    let lines = [
        "capture -i scapbridge-syscalls -w /tmp/x.scap --duration 5s --count 10 --filter proc.name=cat -- ls /",
        "capture -i scapbridge-replay --file a.scap --speed 2.5x --loop -w - --format pcapng -q",
        "capture -i scapbridge-ssh --remote-host h --remote-port 22 --remote-username u --sshkey k --rules r.yaml --trigger --pre 2s --post 10s --save-dir d --save-max-bytes 16M -w o",
        "capture -i scapbridge-cloudtrail --plugin-source s3://b/AWSLogs/ --cloudtrail-s3interval 2d -w ct.scap",
        "--extcap-interfaces --extcap-version=4.6",
        "--extcap-interface scapbridge-syscalls --extcap-config",
        "--capture --extcap-interface scapbridge-replay --fifo /tmp/f --file x --extcap-capture-filter evt.type=open --extcap-control-in /a --extcap-control-out /b",
    ];
    let seeds: Vec<Vec<u8>> = lines.iter().map(|l| l.as_bytes().to_vec()).collect();
    let pieces: &[&[u8]] = &[
        b" ",
        b" --",
        b"=",
        b" -",
        b" -w",
        b" --count ",
        b" -1",
        b" 99999999999999999999",
        b"s",
        b"ms",
        b"x",
        b" --extcap-interface ",
        b" --capture",
        b" --",
        b"\"",
        b"\xff",
    ];
    fuzz("arguments", &seeds, pieces, |b| {
        let args: Vec<String> = text(b).split(' ').map(String::from).collect();
        let _ = scapbridge::invocation::parse_headless(&args[1.min(args.len())..]);
        let _ = scapbridge::invocation::parse_extcap(&args);
    });
}

#[test]
fn fuzz_ssh_config_and_known_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let config_seeds: Vec<Vec<u8>> = vec![
        b"Host box *.example.com !bad\n  HostName 10.0.0.1\n  Port 2222\n  User root\n  IdentityFile ~/.ssh/id_%r\n  ProxyCommand ssh -W %h:%p jump\nMatch all\n  UserKnownHostsFile ~/.ssh/kh\nHost *\n  ProxyJump a@b:22,[::1]:23\nInclude other\n".to_vec(),
        b"Host=\"a b\"\nPort=22\nUser \"open\nHostName\t%h.x\n".to_vec(),
    ];
    let pieces: &[&[u8]] = &[
        b"\n",
        b" ",
        b"\t",
        b"=",
        b"\"",
        b"Host ",
        b"Match ",
        b"Include ",
        b"*",
        b"?",
        b"!",
        b"%",
        b"%%",
        b"~",
        b"Port ",
        b"65536",
        b"\xff",
        b"\0",
        b"ProxyJump ",
        b"[",
        b"]:",
    ];
    let path = dir.path().join("config");
    fuzz("ssh config", &config_seeds, pieces, |b| {
        std::fs::write(&path, b).unwrap();
        for host in ["box", "a.example.com", "bad", "x"] {
            let _ = scapbridge::ssh::config::lookup(&path, host);
        }
    });

    // A throwaway public key (made once with ssh-keygen; no secret anywhere).
    let openssh =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINaQuoavBTjjjLoru+79dVe4KXmjUn7G3dcGPHNitz8N";
    let pubkey = russh::keys::PublicKey::from_openssh(openssh).unwrap();
    let line = format!("[127.0.0.1]:2222,host {openssh}\n");
    let kh_seeds: Vec<Vec<u8>> = vec![
        line.clone().into_bytes(),
        format!("@revoked * {openssh}\n@cert-authority *.x {openssh}\n|1|c2FsdA==|aGFzaA== {openssh}\n# c\n").into_bytes(),
    ];
    let pieces: &[&[u8]] = &[
        b"\n",
        b" ",
        b",",
        b"[",
        b"]:",
        b"*",
        b"?",
        b"!",
        b"|1|",
        b"@revoked ",
        b"@cert-authority ",
        b"ssh-ed25519 ",
        b"AAAA",
        b"=",
        b"\xff",
    ];
    fuzz("known_hosts", &kh_seeds, pieces, |b| {
        let t = text(b);
        for (h, p) in [("127.0.0.1", 2222), ("host", 22), ("a.x", 22)] {
            let _ = scapbridge::ssh::known_hosts::check_text(&t, h, p, &pubkey);
        }
    });
}
