//! A bounded-time mutation fuzzer for the reader, the renderer and the writer.
//!
//! cargo-fuzz needs a nightly toolchain, which this project's machines do not
//! have, so this in-process fuzzer runs in CI instead: it mutates the fixture
//! captures (bit flips, interesting values in length fields, truncation,
//! chunk duplication, splicing) and feeds every input through
//! read → state → render → write. Any panic fails the test and leaves the input in
//! `target/fuzz-crashes/`. Duration: `FUZZ_SECONDS` (default 60 under CI=true,
//! 5 elsewhere); the seed is printed and can be pinned with `FUZZ_SEED`.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;
use std::io::Read;
use std::time::{Duration, Instant};

use common::*;
// The walk the cargo-fuzz target `scap_reader` runs too.
#[path = "common/scap_walk.rs"]
mod scap_walk;
use scap_walk::exercise;

fn seeds() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for dir in [scap_dir().join("synthetic"), scap_dir()] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if !p.is_file() || !p.to_string_lossy().contains(".scap") {
                continue;
            }
            let raw = std::fs::read(&p).unwrap();
            let mut plain = Vec::new();
            if raw.starts_with(&[0x1f, 0x8b]) {
                let _ = flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut plain);
            } else {
                plain = raw;
            }
            plain.truncate(64 * 1024); // keep iterations fast; the front holds every block kind
            v.push(plain);
        }
    }
    v
}

const INTERESTING: &[u32] = &[
    0,
    1,
    3,
    4,
    11,
    12,
    26,
    27,
    28,
    0x7f,
    0x80,
    0xff,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0xffff_ffff,
    262_144,
    65_536,
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], input: &mut Vec<u8>) {
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        if input.is_empty() {
            input.push(0);
        }
        let len = input.len();
        match rng.below(7) {
            0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len);
                input[i] = rng.next() as u8;
            }
            2 => {
                // an interesting u32 at a 4-aligned offset (block lengths, counts)
                let i = rng.below(len / 4) * 4;
                let v = INTERESTING[rng.below(INTERESTING.len())].to_le_bytes();
                for (k, b) in v.iter().enumerate() {
                    if i + k < len {
                        input[i + k] = *b;
                    }
                }
            }
            3 => input.truncate(rng.below(len)),
            4 => {
                let a = rng.below(len);
                let n = rng.below((len - a).min(512));
                let chunk = input[a..a + n].to_vec();
                let at = rng.below(len);
                input.splice(at..at, chunk);
            }
            5 => {
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let n = rng.below((other.len() - a).min(1024));
                    let at = rng.below(len);
                    input.truncate(at);
                    input.extend_from_slice(&other[a..a + n]);
                }
            }
            _ => {
                // a u16 length field inside an event
                let i = rng.below(len.saturating_sub(2));
                let v = (rng.next() as u16).to_le_bytes();
                input[i] = v[0];
                if i + 1 < len {
                    input[i + 1] = v[1];
                }
            }
        }
    }
}

#[test]
fn fuzz_reader_bounded() {
    if !common::have_fixtures() {
        return;
    }
    let (secs, seed) = fuzz_budget(60, 5);
    eprintln!("fuzz: {secs} s, FUZZ_SEED={seed}");
    let seeds = seeds();
    assert!(seeds.len() > 20);
    let mut rng = Rng(seed);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut runs = 0u64;
    let crash_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-crashes");
    std::panic::set_hook(Box::new(|_| {}));
    while Instant::now() < deadline {
        let mut input = seeds[rng.below(seeds.len())].clone();
        mutate(&mut rng, &seeds, &mut input);
        let r = std::panic::catch_unwind(|| exercise(&input));
        if let Err(p) = r {
            let _ = std::panic::take_hook();
            std::fs::create_dir_all(&crash_dir).unwrap();
            let path = crash_dir.join(format!("crash-{seed}-{runs}.scap"));
            std::fs::write(&path, &input).unwrap();
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("panic on input saved to {}: {msg}", path.display());
        }
        runs += 1;
    }
    let _ = std::panic::take_hook();
    eprintln!("fuzz: {runs} inputs, no panic");
    assert!(runs > 0);
}
