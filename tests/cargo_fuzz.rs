//! Runs the coverage-guided libFuzzer targets of `tests/fuzz` (cargo-fuzz)
//! for a bounded time each, from the corpus kept in the repository and a
//! pinned seed, and checks that the corpus and its notes are complete.
//!
//! cargo-fuzz passes `-Z` flags (`-Zsanitizer=address`), so it runs on the
//! stable toolchain with `RUSTC_BOOTSTRAP=1`: no nightly is fetched or
//! used. Time per target: `FUZZ_SECONDS` (default 30 under CI=true, 3
//! elsewhere); seed: `FUZZ_SEED` (CI pins it). Without cargo-fuzz the run
//! is skipped, except under CI=true where it fails (install/install.sh
//! --deps installs it).

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::{ci, fuzz_budget};
use scapbridge_formats::meta::{fd_type, FdData, FdInfo, ProcessInfo, UserEntry};
use scapbridge_formats::{Container, PcapngOptions, Profile, ScapWriter, WriterOptions};

/// Every target, in the order they run.
const TARGETS: [&str; 7] = [
    "scap_reader",
    "rules_loader",
    "filter_parser",
    "cloudtrail",
    "extcap_args",
    "ssh_config",
    "known_hosts",
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The workspace's target folder (honouring `CARGO_TARGET_DIR`); the fuzz
/// build goes in `fuzz/` under it, its own cargo lock and flags apart from
/// the build running this test.
fn fuzz_target_dir() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    base.join("fuzz")
}

#[test]
fn every_target_has_a_source_a_corpus_and_a_note() {
    let dir = fuzz_dir();
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let mut sources: Vec<String> = std::fs::read_dir(dir.join("fuzz_targets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    sources.sort();
    let mut listed: Vec<String> = TARGETS.iter().map(|t| t.to_string()).collect();
    listed.sort();
    assert_eq!(sources, listed, "fuzz_targets/*.rs and TARGETS differ");
    for t in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{t}\"")),
            "{t} is not a [[bin]] of tests/fuzz/Cargo.toml"
        );
        let corpus = dir.join("corpus").join(t);
        let files = std::fs::read_dir(&corpus)
            .unwrap_or_else(|e| panic!("{}: {e}", corpus.display()))
            .count();
        assert!(files > 0, "{} is empty", corpus.display());
        // The README's per-target record: found-and-fixed, or none found.
        assert!(
            readme.contains(&format!("### `{t}`")),
            "tests/fuzz/README.md has no section for {t}"
        );
    }
}

/// The `scap_reader` seeds, made with the project's own writer (the shared
/// fixtures are third-party captures and stay out of the repository).
fn scap_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let proc = ProcessInfo {
        tid: 100,
        pid: 100,
        ptid: 1,
        comm: b"cat".to_vec(),
        exe: b"/usr/bin/cat".to_vec(),
        exepath: b"/usr/bin/cat".to_vec(),
        args: b"/etc/passwd\0".to_vec(),
        cwd: b"/root/".to_vec(),
        fdlimit: 1024,
        vtid: 100,
        vpid: 100,
        root: b"/".to_vec(),
        ..ProcessInfo::default()
    };
    let fds = [
        FdInfo {
            fd: 3,
            ino: 7,
            fd_type: fd_type::FILE_V2,
            data: FdData::FileV2 {
                open_flags: 1,
                name: b"/etc/hosts".to_vec(),
                dev: Some(0x803),
            },
        },
        FdInfo::ipv4(4, ([127, 0, 0, 1], 40000), ([127, 0, 0, 1], 22), 6),
    ];
    let user = UserEntry::User {
        uid: 0,
        gid: 0,
        name: b"root".to_vec(),
        homedir: b"/root".to_vec(),
        shell: b"/bin/sh".to_vec(),
    };
    let name = b"/etc/passwd\0".as_slice();
    let u32le = |v: u32| v.to_le_bytes();
    let i64le = |v: i64| v.to_le_bytes();
    // open E/X (2, 3), read E/X (6, 7), close E/X (4, 5), in the libs 0.23
    // layouts (shared/specs: formats/src/schema/generated.rs).
    let events = |w: &mut ScapWriter<Vec<u8>>| {
        w.write_parts(0, 1_000, 100, 2, &[name, &u32le(1), &u32le(0)])
            .unwrap();
        w.write_parts(
            0,
            2_000,
            100,
            3,
            &[
                &i64le(5),
                name,
                &u32le(1),
                &u32le(0),
                &u32le(0x803),
                &8u64.to_le_bytes(),
            ],
        )
        .unwrap();
        w.write_parts(1, 3_000, 100, 6, &[&i64le(5), &u32le(64)])
            .unwrap();
        w.write_parts(
            1,
            4_000,
            100,
            7,
            &[&i64le(5), b"root:x:0:0", &i64le(5), &u32le(64)],
        )
        .unwrap();
        w.write_parts(0, 5_000, 100, 4, &[&i64le(5)]).unwrap();
        w.write_parts(0, 6_000, 100, 5, &[&i64le(0)]).unwrap();
    };
    let mut out = Vec::new();
    // The same capture as plain scap and as a pcapng section with header
    // options and an alert (a systemd journal block) after the events.
    let pcapng = Container::Pcapng(PcapngOptions {
        hardware: Some("x86_64".into()),
        os: Some("Linux".into()),
        application: Some("scapbridge".into()),
        comment: Some("fuzz seed".into()),
    });
    for (file, container) in [
        ("proc_open_read.scap", Container::Scap),
        ("proc_open_read.scap.pcapng", pcapng),
    ] {
        let opts = WriterOptions::new(Profile::Keep).container(container);
        let mut w = ScapWriter::new(Vec::new(), opts).unwrap();
        w.write_users(std::slice::from_ref(&user)).unwrap();
        w.write_processes(std::slice::from_ref(&proc)).unwrap();
        w.write_fds(100, &fds).unwrap();
        events(&mut w);
        let _ = w
            .write_journal_entry(
                7_000,
                &[("PRIORITY", "4"), ("MESSAGE", "cat read\n/etc/passwd")],
            )
            .unwrap();
        out.push((file, w.finish().unwrap()));
    }
    // Events alone, no tables: the reader's shortest path to an event.
    let mut w = ScapWriter::new(Vec::new(), WriterOptions::new(Profile::Keep)).unwrap();
    events(&mut w);
    out.push(("events_only.scap", w.finish().unwrap()));
    out
}

/// The generated seeds in the corpus are what the writer makes today, so a
/// format change cannot leave the fuzzer starting from stale files.
/// `FUZZ_WRITE_SEEDS=1` rewrites them.
#[test]
fn scap_seeds_are_current() {
    let dir = fuzz_dir().join("corpus/scap_reader");
    let write = std::env::var_os("FUZZ_WRITE_SEEDS").is_some_and(|v| v == "1");
    for (file, bytes) in scap_seeds() {
        let path = dir.join(file);
        if write {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (FUZZ_WRITE_SEEDS=1 makes it)", path.display()));
        assert!(
            committed == bytes,
            "{} differs from what the writer makes now; rerun with FUZZ_WRITE_SEEDS=1",
            path.display()
        );
        // And the reader takes it whole: a seed the reader refuses would
        // only exercise the header check.
        let mut r = scapbridge_formats::ScapReader::new(&bytes[..]).unwrap();
        let mut events = 0;
        while let Some(item) = r.next_item().unwrap() {
            events += usize::from(matches!(item, scapbridge_formats::Item::Event(_)));
        }
        assert_eq!(events, 6, "{file}");
    }
}

/// Whether `cargo fuzz` runs; under CI=true it must.
fn have_cargo_fuzz() -> bool {
    let ok = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !ci(),
            "cargo-fuzz is required under CI=true (install/install.sh --deps installs it)"
        );
        eprintln!("skipping: cargo-fuzz not installed (bash install/install.sh --deps)");
    }
    ok
}

/// `cargo fuzz <sub>` on the stable toolchain, with the fuzz crate and
/// target folder of this repository.
fn cargo_fuzz(sub: &str) -> Command {
    let mut c = Command::new("cargo");
    c.arg("fuzz")
        .arg(sub)
        .arg("--fuzz-dir")
        .arg(fuzz_dir())
        .arg("--target-dir")
        .arg(fuzz_target_dir())
        // ASan from stable's own rust-std (librustc-stable_rt.asan.a).
        .args(["--sanitizer", "address"])
        // cargo-fuzz's `-Z` flags on a stable compiler; no nightly needed.
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    c
}

/// libFuzzer's final stats line `stat::<name>: <n>`.
fn stat(log: &str, name: &str) -> Option<u64> {
    log.lines()
        .find_map(|l| l.strip_prefix(&format!("stat::{name}:")))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn cargo_fuzz_targets_run_clean() {
    let (seconds, seed) = fuzz_budget(30, 3);
    if !have_cargo_fuzz() {
        return;
    }
    let dir = fuzz_dir();
    // cargo-fuzz has no --locked: the lock file must come out as it went in.
    let lock = std::fs::read(dir.join("Cargo.lock")).unwrap();
    let t0 = Instant::now();
    let built = cargo_fuzz("build").status().unwrap();
    assert!(built.success(), "cargo fuzz build failed (see above)");
    assert!(
        std::fs::read(dir.join("Cargo.lock")).unwrap() == lock,
        "cargo fuzz build changed tests/fuzz/Cargo.lock: commit the new one"
    );
    eprintln!("cargo fuzz build: {:.0} s", t0.elapsed().as_secs_f64());

    let mut failures = Vec::new();
    for t in TARGETS {
        // New inputs go to a scratch folder, the first corpus libFuzzer is
        // given; the committed corpus is only read.
        let scratch = tempfile::tempdir().unwrap();
        let artifacts = dir.join("artifacts").join(t);
        let before: Vec<PathBuf> = list(&artifacts);
        let t1 = Instant::now();
        let out = cargo_fuzz("run")
            .arg(t)
            .arg(scratch.path())
            .arg(dir.join("corpus").join(t))
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg(format!("-seed={}", seed % (1 << 31)))
            .arg("-rss_limit_mb=2048")
            // One slow input is a finding too (hostile rules must be
            // refused in seconds), not a hang of CI.
            .arg("-timeout=20")
            .arg("-print_final_stats=1")
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr);
        let (runs, speed) = (
            stat(&log, "number_of_executed_units").unwrap_or(0),
            stat(&log, "average_exec_per_sec").unwrap_or(0),
        );
        eprintln!(
            "fuzz {t}: {runs} runs, {speed} exec/s, {:.0} s, seed {}",
            t1.elapsed().as_secs_f64(),
            seed % (1 << 31)
        );
        if !out.status.success() {
            let new: Vec<PathBuf> = list(&artifacts)
                .into_iter()
                .filter(|p| !before.contains(p))
                .collect();
            // The panic's message sits above a long ASan stack; the tail
            // has libFuzzer's summary and cargo-fuzz's reproducer.
            let lines: Vec<&str> = log.lines().collect();
            for (i, l) in lines.iter().enumerate() {
                if l.contains("panicked at") || l.starts_with("==") && l.contains("ERROR") {
                    eprintln!("{l}\n{}", lines.get(i + 1).unwrap_or(&""));
                }
            }
            let from = lines.len().saturating_sub(40);
            eprintln!(
                "fuzz {t} FAILED ({}):\n{}",
                out.status,
                lines[from..].join("\n")
            );
            for a in &new {
                eprintln!(
                    "artifact: {}\nreproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir tests/fuzz --sanitizer address {t} {}",
                    a.display(),
                    a.display()
                );
            }
            failures.push(t);
        } else if runs == 0 {
            // A run that executed nothing proves nothing.
            eprintln!("fuzz {t}: no final stats; log:\n{log}");
            failures.push(t);
        }
    }
    assert!(failures.is_empty(), "fuzz targets failed: {failures:?}");
}

fn list(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}
