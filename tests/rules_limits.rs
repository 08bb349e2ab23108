//! Hostile rules files (issue 20, item 3): files of a kilobyte that expand
//! to gigabytes through YAML aliases, lists naming lists or macros naming
//! macros, and conditions nested deep once expanded. Each runs `scapbridge
//! rules check` as a user would, under a 1 GiB address-space limit, and
//! must end within seconds with exit status 1 and one error line per cause,
//! `file:line:col: error: …` naming the list, macro or rule and the limit:
//! never an abort, a panic or a stack overflow. The limits are in
//! `remote-agent/rules/src/limits.rs`.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;
use common::*;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// The address space the CLI gets: each of these files reached several
/// gigabytes before the limits.
const AS_LIMIT_KB: u64 = 1 << 20;

/// Longest a refusal may take (a debug build on a shared, loaded machine).
const TIME_LIMIT: Duration = Duration::from_secs(10);

/// `scapbridge ARGS` under the address-space limit: status, stderr, time.
fn limited(args: &[&str]) -> (Option<i32>, String, Duration) {
    let bin = scapbridge_bin();
    let t = Instant::now();
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {AS_LIMIT_KB} && exec \"$0\" \"$@\""))
        .arg(&bin)
        .args(args)
        .env("TZ", "UTC")
        .output()
        .expect("spawn sh");
    (o.status.code(), stderr(&o), t.elapsed())
}

/// One expected error line: at `line:col` (`None`: anywhere in the file),
/// containing every one of `parts`.
struct Want<'a> {
    at: Option<(usize, usize)>,
    parts: &'a [&'a str],
}

/// Writes `yaml`, checks it, and wants exactly the error lines `want`, in
/// order, status 1, within the time limit; then the same refusal from
/// `read --rules`.
fn refused(name: &str, yaml: &str, want: &[Want<'_>]) {
    refused_by(name, yaml, want, true);
}

fn refused_by(name: &str, yaml: &str, want: &[Want<'_>], read_too: bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, yaml).unwrap();
    let p = path.to_str().unwrap();
    let (code, err, took) = limited(&["rules", "check", p]);
    assert_eq!(code, Some(1), "exit status 1 (bad input); stderr: {err}");
    assert!(took < TIME_LIMIT, "took {took:?}; stderr: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), want.len(), "one line per cause: {err}");
    let file_lines = yaml.lines().count();
    for (line, w) in lines.iter().zip(want) {
        let rest = line
            .strip_prefix(&format!("{p}:"))
            .unwrap_or_else(|| panic!("names the file: {line}"));
        let mut f = rest.splitn(3, ':');
        let l: usize = f.next().unwrap().parse().unwrap();
        let c: usize = f.next().unwrap().parse().unwrap();
        let msg = f.next().unwrap();
        assert!(msg.starts_with(" error: "), "{line}");
        match w.at {
            Some(at) => assert_eq!((l, c), at, "{line}"),
            None => assert!(l >= 1 && l <= file_lines && c >= 1, "{line}"),
        }
        for part in w.parts {
            assert!(msg.contains(part), "{line:?} should contain {part:?}");
        }
    }
    // The read half needs a third-party capture.
    if !read_too || !common::have_fixtures() {
        return;
    }
    // The alerts path (`read --rules`) refuses the same way, in one line.
    let trace = scap_dir().join("falco_cat_write.scap");
    let (code, err, took) = limited(&["read", trace.to_str().unwrap(), "--rules", p]);
    assert_eq!(code, Some(1), "read --rules: exit status 1; stderr: {err}");
    assert!(took < TIME_LIMIT, "read --rules took {took:?}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(want[0].parts[0]), "{err}");
}

/// A rule using `cond` (at line `n + 2` when appended after `n` lines).
fn rule(name: &str, cond: &str) -> String {
    format!("- rule: {name}\n  desc: d\n  condition: {cond}\n  output: o %proc.name\n  priority: info\n")
}

#[test]
fn yaml_alias_bomb_is_refused_before_it_is_expanded() {
    // Billion laughs in 10 levels of 10 aliases each: 10^10 nodes.
    let mut y = String::from(
        "- list: a0\n  items: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        let _ = writeln!(
            y,
            "- list: a{i}\n  items: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]"
        );
    }
    assert!(y.len() < 1000, "{} bytes", y.len());
    refused(
        "alias_bomb.yaml",
        &y,
        &[Want {
            at: None,
            parts: &[
                "YAML: aliases make at least",
                "over the limit of 1000000 YAML nodes made by aliases per file",
            ],
        }],
    );
}

#[test]
fn yaml_nested_thousands_deep_is_refused_not_a_stack_overflow() {
    // `- - - … x`: block sequences nested 20,000 deep in 40 KB.
    let y = format!("{}x\n", "- ".repeat(20_000));
    refused(
        "deep.yaml",
        &y,
        &[Want {
            at: Some((1, 513)),
            parts: &["YAML: sequences and mappings nest 257 deep, over the limit of 256 levels of YAML nesting"],
        }],
    );
}

#[test]
fn lists_doubling_40_times_are_refused_at_the_first_list_over_the_limit() {
    // l_i holds l_{i-1} twice: 2^40 items from 1.3 KB. l17 is the first over
    // 100,000 items; the lists and the rule using them are left out silently.
    let mut y = String::from("- list: l0\n  items: [x]\n");
    for i in 1..=40 {
        let _ = writeln!(y, "- list: l{i}\n  items: [l{p}, l{p}]", p = i - 1);
    }
    y.push_str(&rule("R", "proc.name in (l40)"));
    refused(
        "lists.yaml",
        &y,
        &[Want {
            at: Some((35, 7)),
            parts: &[
                "list 'l17': expands to 131072 items, over the limit of 100000 items per list",
            ],
        }],
    );
}

#[test]
fn lists_of_big_items_and_conditions_they_swell_are_refused() {
    // A 64 KiB item named 200 times: 13 MB in one list.
    let big = "x".repeat(64 << 10);
    let refs = ["big"; 200].join(", ");
    let y = format!("- list: big\n  items: [{big}]\n- list: wide\n  items: [{refs}]\n");
    refused(
        "wide.yaml",
        &y,
        &[Want {
            at: Some((3, 7)),
            parts: &[
                "list 'wide': expands to 13107200 bytes, over the limit of 4194304 bytes per list",
            ],
        }],
    );
    // A 4 MiB list is fine, but a condition naming it 3 times is 12 MB.
    let four = "x".repeat(4 << 20);
    let cond = ["proc.name in (four)"; 3].join(" or ");
    let y = format!("- list: four\n  items: [{four}]\n{}", rule("R", &cond));
    refused(
        "swell.yaml",
        &y,
        &[Want {
            at: Some((5, 14)),
            parts: &[
                "rule 'R': is 12582965 bytes long once lists are substituted, over the limit of 8388608 bytes per condition",
            ],
        }],
    );
}

/// `d0` a comparison, `d_i` = `(d_{i-1} or d_{i-1})`, and a rule using the last.
fn doubling_macros(levels: usize) -> String {
    let mut y = String::from("- macro: d0\n  condition: proc.name = x\n");
    for i in 1..=levels {
        let _ = writeln!(y, "- macro: d{i}\n  condition: (d{p} or d{p})", p = i - 1);
    }
    y + &rule("R", &format!("d{levels}"))
}

#[test]
fn macros_doubling_22_and_40_times_are_refused_without_being_expanded() {
    // d_i expands to 2^(i+1) - 1 nodes: d18 is the first over 500,000.
    for levels in [22, 40] {
        refused(
            &format!("macros{levels}.yaml"),
            &doubling_macros(levels),
            &[Want {
                at: Some((38, 14)),
                parts: &[
                    "macro 'd18': expands to 524287 nodes once macros are substituted, over the limit of 500000 nodes per condition",
                ],
            }],
        );
    }
}

/// A demanding user's expectation for 5,000 macros each using the previous
/// one: no quadratic blow-up, a clear answer at once. Such a chain is no
/// real rule set (Falco's nest 3 deep), and expanding it costs stack, so
/// the chain is refused where it passes 100 macros, in well under a
/// second, instead of taking gigabytes as it did.
#[test]
fn a_linear_chain_of_5000_macros_is_refused_at_once() {
    let mut y = String::from("- macro: m0\n  condition: proc.name = x0\n");
    for i in 1..5000 {
        let _ = writeln!(
            y,
            "- macro: m{i}\n  condition: m{p} or proc.name = x{i}",
            p = i - 1
        );
    }
    y.push_str(&rule("R", "m4999"));
    refused(
        "chain.yaml",
        &y,
        &[Want {
            at: Some((202, 14)),
            parts: &["macro 'm100': nests 101 macros in one another, over the limit of 100 macros"],
        }],
    );
}

#[test]
fn nesting_past_256_levels_once_expanded_is_refused_for_macros_and_rules() {
    // Each macro adds 100 `not`s: fine alone (the parser allows 256), 300
    // levels deep in n3. And a rule nesting a 200-level macro 60 levels
    // deeper. Both errors at once.
    let nots = "not ".repeat(100);
    let mut y = String::from("- macro: n0\n  condition: proc.name = x\n");
    for i in 1..50 {
        let _ = writeln!(y, "- macro: n{i}\n  condition: {nots}n{p}", p = i - 1);
    }
    let _ = writeln!(
        y,
        "- macro: deep\n  condition: {}proc.name = y",
        "not ".repeat(200)
    );
    let at = y.lines().count() + 3;
    y.push_str(&rule("R", &format!("{}deep", "not ".repeat(60))));
    refused(
        "nesting.yaml",
        &y,
        &[
            Want {
                at: Some((8, 14)),
                parts: &["macro 'n3': nests 300 levels deep once macros are substituted, over the limit of 256 levels"],
            },
            Want {
                at: Some((at, 14)),
                parts: &["rule 'R': nests 260 levels deep once macros are substituted"],
            },
        ],
    );
}

#[test]
fn many_rules_sharing_a_big_macro_are_refused_past_the_rule_set_budget() {
    // d17 is 262,143 nodes, within the per-condition limit; every rule using
    // it keeps its own copy, so the eighth (R, R1, … R7) passes 2,000,000
    // in all (with the macros' own 52 nodes); the rules after it are no
    // longer built.
    let mut y = doubling_macros(17);
    for i in 1..=12 {
        y.push_str(&rule(&format!("R{i}"), "d17"));
    }
    let rule8 = y.lines().position(|l| l == "- rule: R7").unwrap() + 3;
    // Building the seven rules within the budget is legitimate work (a few
    // seconds in a debug build): checked once, not again by `read`.
    refused_by(
        "budget.yaml",
        &y,
        &[Want {
            at: Some((rule8, 14)),
            parts: &["rule 'R7': brings the conditions to 2097196 nodes once macros are substituted, over the limit of 2000000 nodes of conditions per rule set"],
        }],
        false,
    );
}

#[test]
fn the_falco_rule_sets_load_well_within_the_limits() {
    if !common::have_fixtures() {
        return;
    }
    for (file, want) in [
        (
            "falco_rules.yaml",
            "ok: 25 rules (25 syscall conditions compiled, 0 for other sources), 87 macros, 49 lists, 0 warnings",
        ),
        (
            "aws_cloudtrail_rules.yaml",
            "ok: 20 rules (20 syscall conditions compiled, 0 for other sources), 0 macros, 1 lists, 0 warnings",
        ),
    ] {
        let p = fixtures().join("rules").join(file);
        let o = run(scapbridge().arg("rules").arg("check").arg(&p));
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), want, "{file}");
    }
}
