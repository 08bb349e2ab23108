//! A runtime socket that accepts and never answers delays no lookup: the
//! resolver reports the timeout, and dropping it returns within 1 s even with
//! a request in flight. Needs no container runtime.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::wait_for;
use scapbridge_containers::{Resolver, ResolverConfig, ResolverWarning};

/// A listener that accepts every connection, reads nothing and never
/// answers; keeps the connections open until dropped.
struct MuteRuntime {
    socket: std::path::PathBuf,
    accepted: Arc<Mutex<Vec<UnixStream>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl MuteRuntime {
    fn start() -> MuteRuntime {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("mute.sock");
        let l = UnixListener::bind(&socket).unwrap();
        l.set_nonblocking(true).unwrap();
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, s) = (Arc::clone(&accepted), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((c, _)) => a.lock().unwrap().push(c),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        MuteRuntime {
            socket,
            accepted,
            stop,
            thread: Some(thread),
            _dir: dir,
        }
    }

    fn connections(&self) -> usize {
        self.accepted.lock().unwrap().len()
    }
}

impl Drop for MuteRuntime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn ids(n: usize) -> Vec<String> {
    // Distinct in their first 12 hex digits (the cache key).
    (0..n)
        .map(|i| format!("{i:012x}{}", "e".repeat(52)))
        .collect()
}

#[test]
fn a_runtime_that_never_answers_delays_no_lookup_and_is_reported() {
    let mute = MuteRuntime::start();
    let r = Resolver::start(
        ResolverConfig::new(&mute.socket)
            .request_timeout(Duration::from_millis(300))
            .retry_after(Duration::from_millis(500)),
    )
    .unwrap();

    // 20 000 lookups of 2 000 unknown ids while the worker is stuck on the
    // start listing and then on one lookup after another.
    let ids = ids(2_000);
    let mut worst = Duration::ZERO;
    let t_all = Instant::now();
    let n = 20_000;
    for i in 0..n {
        let t = Instant::now();
        assert!(r.lookup(&ids[i % ids.len()]).is_none());
        worst = worst.max(t.elapsed());
    }
    let mean = t_all.elapsed() / n as u32;
    eprintln!("{n} lookups against a mute runtime: mean {mean:?}, worst {worst:?}");
    assert!(mean < Duration::from_micros(50), "mean lookup {mean:?}");
    assert!(worst < Duration::from_millis(20), "worst lookup {worst:?}");

    // The runtime was asked (the listing at least) and the timeout reported.
    let warnings = wait_for(Duration::from_secs(3), || {
        let w = r.take_warnings();
        (!w.is_empty()).then_some(w)
    })
    .expect("a timeout warning");
    assert!(mute.connections() >= 1);
    assert!(
        matches!(
            &warnings[0],
            ResolverWarning::Timeout { what, after } if what == "list" && *after == Duration::from_millis(300)
        ),
        "{warnings:?}"
    );
    eprintln!("warning: {}", warnings[0]);
    let s = r.stats();
    eprintln!("{s:?}, connections {}", mute.connections());
    assert!(s.timeouts >= 1 && s.resolved == 0 && s.hits == 0);
    assert_eq!(s.misses, n as u64);
    // Each id is queued at most once per retry delay, not once per lookup.
    assert!(s.queued <= 2 * ids.len() as u64, "{s:?}");

    let t0 = Instant::now();
    drop(r);
    let took = t0.elapsed();
    eprintln!("drop took {took:?}");
    assert!(took < Duration::from_secs(1), "drop took {took:?}");
}

#[test]
fn dropping_the_resolver_mid_request_returns_within_a_second() {
    let mute = MuteRuntime::start();
    // A request that would wait 60 s.
    let r =
        Resolver::start(ResolverConfig::new(&mute.socket).request_timeout(Duration::from_secs(60)))
            .unwrap();
    wait_for(Duration::from_secs(5), || {
        (mute.connections() >= 1).then_some(())
    })
    .expect("the start listing connects");
    std::thread::sleep(Duration::from_millis(100));
    let t0 = Instant::now();
    drop(r);
    let took = t0.elapsed();
    eprintln!("drop with a request in flight took {took:?}");
    assert!(took < Duration::from_secs(1), "drop took {took:?}");
}
