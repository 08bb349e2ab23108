//! A bounded-time mutation fuzzer for the filter parser and compiler, and
//! evaluation of what compiles over a real trace.
//!
//! Seeds are the conditions of the stock Falco rules file plus filters of
//! the differential test; mutations insert, delete and repeat tokens and
//! characters (parentheses, quotes, operators, escapes). Any panic fails the
//! test and prints the input. Duration: `FUZZ_SECONDS` (default 30 under
//! CI=true, 3 elsewhere); seed printed, pinnable with `FUZZ_SEED`.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;
use std::time::{Duration, Instant};

use common::*;
use scapbridge::filter::{EvalContext, Filter};
use scapbridge_formats::state::CaptureState;
use scapbridge_formats::{Item, ReaderOptions, ScapReader};

const PIECES: &[&str] = &[
    "(",
    ")",
    "\"",
    "'",
    "\\",
    "\\x4",
    " and ",
    " or ",
    "not ",
    "=",
    "!=",
    "<=",
    " in ",
    " pmatch ",
    " glob ",
    " regex ",
    " exists",
    " startswith anyof ",
    ",",
    "[",
    "]",
    "proc.name",
    "fd.num",
    "evt.arg[",
    "tolower(",
    "val(",
    "0x",
    "-",
    "*",
    "?",
    "é",
    "\u{0}",
];

fn seeds() -> Vec<String> {
    let mut v: Vec<String> = vec![
        "evt.type=open and proc.name in (cat, bash)".into(),
        "fd.name pmatch (/etc, /usr/lib) or not fd.typechar = 4".into(),
        "proc.name startswith anyof (cu, ca) and evt.rawres < 0".into(),
        "tolower(proc.name) glob 'c*' and fd.num >= 0x3".into(),
        "proc.cmdline regex 'a.*b' and evt.arg[0] exists".into(),
    ];
    // Conditions from the stock rules file: real-world shapes and sizes.
    let rules =
        std::fs::read_to_string(fixtures().join("rules/falco_rules.yaml")).unwrap_or_default();
    for line in rules.lines() {
        if let Some(c) = line.trim_start().strip_prefix("condition:") {
            let c = c.trim();
            if !c.is_empty() && c != ">" {
                v.push(c.to_string());
            }
        }
    }
    v
}

#[test]
fn filter_parser_and_evaluator_never_panic() {
    if !common::have_fixtures() {
        return;
    }
    let (seconds, seed) = fuzz_budget(30, 3);
    eprintln!("filter fuzz: seed {seed}, {seconds} s");
    let mut rng = Rng(seed);
    let seeds = seeds();
    assert!(
        seeds.len() > 20,
        "the stock rules' conditions are among the seeds"
    );
    // A few hundred real events to evaluate compiled filters on.
    let mut r = ScapReader::with_options(
        std::fs::File::open(scap_dir().join("falco_cat_write.scap")).unwrap(),
        ReaderOptions::skipping_unknown_events(),
    )
    .unwrap();
    let mut raw_events = Vec::new();
    let mut state = CaptureState::new();
    while let Some(i) = r.next_item().unwrap() {
        match i {
            Item::Processes(p) => state.add_processes(p),
            Item::Event(e) => raw_events.push((e.raw().to_vec(), e.is_large())),
            _ => {}
        }
    }
    let end = Instant::now() + Duration::from_secs(seconds);
    let (mut runs, mut compiled) = (0u64, 0u64);
    while Instant::now() < end {
        let mut s: Vec<char> = seeds[rng.below(seeds.len())].chars().collect();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(s.len() + 1);
            match rng.below(4) {
                0 => s
                    .splice(at..at, PIECES[rng.below(PIECES.len())].chars())
                    .for_each(drop),
                1 if !s.is_empty() => {
                    let n = 1 + rng.below(8);
                    s.drain(at.min(s.len() - 1)..(at + n).min(s.len()));
                }
                2 => {
                    let p = PIECES[rng.below(PIECES.len())];
                    let n = rng.below(300);
                    s.splice(at..at, p.repeat(n).chars()).for_each(drop);
                }
                _ => s.truncate(at),
            }
        }
        let text: String = s.into_iter().collect();
        if let Ok(p) = std::env::var("FUZZ_LOG") {
            // Crashes that abort (stack overflow) leave no panic message:
            // this keeps the last input.
            std::fs::write(p, &text).unwrap();
        }
        let result = std::panic::catch_unwind(|| {
            let f = Filter::new(&text);
            if let Ok(f) = &f {
                for (raw, large) in raw_events.iter().take(50) {
                    let ev = scapbridge_formats::Event::parse(raw, *large).unwrap();
                    let _ = f.matches(
                        &ev,
                        EvalContext {
                            state: &state,
                            num: 1,
                        },
                    );
                }
            } else if let Err(e) = &f {
                let _ = e.to_string();
            }
            f.is_ok()
        });
        match result {
            Ok(ok) => compiled += u64::from(ok),
            Err(_) => panic!("panic on filter {text:?} (seed {seed})"),
        }
        runs += 1;
    }
    eprintln!("filter fuzz: {runs} inputs, {compiled} compiled");
    assert!(runs > 100);
}
