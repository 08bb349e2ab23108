//! Falco's own legacy regression cases (`shared/fixtures/scap/falco_legacy/`),
//! every row of `expected_detections_from_falco_tests_yaml.tsv`:
//! - detection rows (whose trace and rules files are here): our alerts per
//!   rule equal Falco's (`detect`, `detect_level`, `detect_counts`);
//! - validation rows (`validate_rules_file=…`): `scapbridge rules check`
//!   exits as Falco's `-V` did, errors as `file:line:col: error:` lines
//!   naming the item `falco_tests.yaml` names;
//! - rows that cannot run are listed with the reason, and a test checks
//!   that no row is left out silently.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use common::*;
use scapbridge::rules::yaml::{self, Node};

/// Rows we cannot run yet, each with the reason.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "monitor_syscall_drops_none",
        "Falco's syscall_event_drops actions (confs/drops_*.yaml) are not implemented: \
         a capture file's drops are not turned into alerts or exits",
    ),
    ("monitor_syscall_drops_threshold_oor", "needs syscall_event_drops (see monitor_syscall_drops_none)"),
    ("monitor_syscall_drops_threshold_neg", "needs syscall_event_drops (see monitor_syscall_drops_none)"),
    ("monitor_syscall_drops_alert", "needs syscall_event_drops (see monitor_syscall_drops_none)"),
    ("monitor_syscall_drops_exit", "needs syscall_event_drops (see monitor_syscall_drops_none)"),
    (
        "catchall_order",
        "rule dev_null (fd.name=/dev/null): we alert on 7 events, the same 7 that `sysdig -r cat_write.scap fd.name=/dev/null` prints \
         (open exit, fstat, read and close enter/exit); Falco 0.34 counted 6 - one of them dropped by its event selection, not identified yet",
    ),
];

struct Row {
    test: String,
    trace: String,
    rules: Vec<String>,
    /// `None`: the row checks something else (validation, exit status).
    detect: Option<bool>,
    level: String,
    counts: BTreeMap<String, usize>,
    /// `other_checks`, as `key=value` pairs.
    checks: Vec<(String, String)>,
}

impl Row {
    fn check(&self, key: &str) -> Option<&str> {
        self.checks
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The files of `validate_rules_file=` (one path or a JSON list).
    fn validate_files(&self) -> Option<Vec<String>> {
        let v = self.check("validate_rules_file")?;
        Some(
            match serde_json::from_str::<serde_json::Value>(v).unwrap() {
                serde_json::Value::String(s) => vec![s],
                serde_json::Value::Array(a) => {
                    a.iter().map(|x| x.as_str().unwrap().to_string()).collect()
                }
                other => panic!("{}: validate_rules_file {other}", self.test),
            },
        )
    }
}

/// A TSV field as written: `"a ""b"" c"` is `a "b" c`.
fn unquote(f: &str) -> String {
    match f.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => f.to_string(),
    }
}

fn rows() -> Vec<Row> {
    let tsv = std::fs::read_to_string(
        scap_dir().join("falco_legacy/expected_detections_from_falco_tests_yaml.tsv"),
    )
    .unwrap();
    tsv.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let detect = match c[4] {
                "True" => Some(true),
                "False" => Some(false),
                "None" => None,
                other => panic!("{}: detect {other:?}", c[1]),
            };
            let counts = c
                .get(6)
                .unwrap_or(&"")
                .split(';')
                .filter_map(|kv| kv.trim().rsplit_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().parse().unwrap()))
                .collect();
            let checks = unquote(c.get(7).unwrap_or(&""))
                .split(" | ")
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect();
            Row {
                test: c[1].to_string(),
                trace: c[2].to_string(),
                rules: c[3].split(',').map(str::to_string).collect(),
                detect,
                level: c.get(5).unwrap_or(&"").to_string(),
                counts,
                checks,
            }
        })
        .collect()
}

/// The tests of `falco_tests.yaml` and `falco_tests_exceptions.yaml`, by
/// name (what the TSV flattened: expected errors, selection options).
fn falco_tests() -> HashMap<String, Node> {
    let mut all = HashMap::new();
    for f in ["falco_tests.yaml", "falco_tests_exceptions.yaml"] {
        let text = std::fs::read_to_string(scap_dir().join("falco_legacy").join(f)).unwrap();
        for doc in yaml::load(&text).unwrap() {
            let Some(Node::Map(tests, _)) = doc.get("trace_files") else {
                panic!("{f}: no trace_files");
            };
            for (k, v) in tests {
                all.insert(k.as_str().unwrap().to_string(), v.clone());
            }
        }
    }
    all
}

/// Falco's rule selection options of a test (`disabled_rules`,
/// `disable_tags`, `run_tags` of falco_tests.yaml) as our flags.
fn selection_args(t: Option<&Node>) -> Vec<String> {
    let mut args = Vec::new();
    for (key, flag) in [
        ("disabled_rules", "-D"),
        ("disable_tags", "-T"),
        ("run_tags", "-t"),
    ] {
        if let Some(Node::Seq(v, _)) = t.and_then(|t| t.get(key)) {
            for x in v {
                args.extend([flag.to_string(), x.as_str().unwrap().to_string()]);
            }
        }
    }
    args
}

/// A row's Falco options that live in the configuration, as the legacy
/// runner passed them: `-o key=value` (`priority`,
/// `json_include_*_property`, `time_iso_8601`).
fn config_options(t: Option<&Node>) -> Vec<String> {
    let mut args = Vec::new();
    for (key, ours) in [
        ("priority", "priority"),
        (
            "json_include_output_property",
            "json_include_output_property",
        ),
        ("json_include_tags_property", "json_include_tags_property"),
        ("time_iso_8601", "time_format_iso_8601"),
    ] {
        if let Some(v) = t.and_then(|t| t.get(key)).and_then(Node::as_str) {
            args.extend(["-o".to_string(), format!("{ours}={v}")]);
        }
    }
    args
}

/// A row's checks of the alerts' text: `stdout_contains` in some alert's
/// output (the legacy runner's regex, of which these rows use `.` and
/// `\+`), and its `^(?!…)` forms as the JSON properties they test for.
fn output_checks(
    row: &Row,
    t: Option<&Node>,
    alerts: &[serde_json::Value],
    not_compared: &mut Vec<String>,
) -> Vec<String> {
    let mut failures = Vec::new();
    let off = |key: &str| t.and_then(|t| t.get(key)).and_then(Node::as_str) == Some("False");
    for (key, prop) in [
        ("json_include_output_property", "output"),
        ("json_include_tags_property", "tags"),
    ] {
        let with = alerts.iter().filter(|a| a.get(prop).is_some()).count();
        if off(key) && with > 0 {
            failures.push(format!("{}: {with} alerts have {prop:?}", row.test));
        }
        if !off(key) && with != alerts.len() {
            failures.push(format!("{}: alerts without {prop:?}", row.test));
        }
    }
    for (k, v) in &row.checks {
        match k.as_str() {
            "stdout_contains" => {
                let pattern = unquote(v).replace("\\\\+", "+").replace("\\+", "+");
                if pattern.starts_with("^(?!") {
                    // Checked above as the properties it tests for.
                    continue;
                }
                let found = alerts
                    .iter()
                    .any(|a| contains_pattern(a["output"].as_str().unwrap_or(""), &pattern));
                if !found {
                    failures.push(format!("{}: no output contains {pattern:?}", row.test));
                }
            }
            "time_iso_8601" | "validate_rules_file" => {}
            other => not_compared.push(format!("{}: {other}={v}", row.test)),
        }
    }
    failures
}

/// Falco's `stderr_contains` pattern matched the way the legacy runner
/// matched it for these rows: `.` is any character; case is ignored, as
/// our error lines say "error:" where Falco's say "Error:".
fn contains_pattern(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    (0..=t.len().saturating_sub(p.len())).any(|i| {
        p.len() <= t.len() - i && p.iter().zip(&t[i..]).all(|(pc, tc)| *pc == '.' || pc == tc)
    })
}

/// The `item_name`s of a test's `validate_errors` or `validate_warnings`,
/// with their `code`.
fn expected_items(t: Option<&Node>, key: &str) -> Vec<(String, String)> {
    match t.and_then(|t| t.get(key)) {
        Some(Node::Seq(v, _)) => v
            .iter()
            .map(|e| {
                let s = |k| e.get(k).and_then(Node::as_str).unwrap_or("").to_string();
                (s("item_name"), s("code"))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn trace_path(t: &str) -> Option<PathBuf> {
    let name = t.strip_prefix("trace_files/")?;
    let p = scap_dir().join(format!("falco_{name}"));
    p.is_file().then_some(p)
}

fn rules_path(r: &str) -> PathBuf {
    match r.strip_prefix("default ") {
        Some(f) => fixtures().join("rules").join(f),
        None => scap_dir().join("falco_legacy").join(r),
    }
}

#[test]
fn falco_legacy_detections() {
    if !common::have_fixtures() {
        return;
    }
    let tests = falco_tests();
    let mut ran = 0;
    let mut selected = 0;
    let mut configured = 0;
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    let mut not_compared = Vec::new();
    for row in rows() {
        let Some(detect) = row.detect else {
            continue;
        };
        if let Some((_, why)) = UNSUPPORTED.iter().find(|(t, _)| *t == row.test) {
            skipped.push(format!("{}: {why}", row.test));
            continue;
        }
        let Some(trace) = trace_path(&row.trace) else {
            skipped.push(format!(
                "{}: trace {} is not among the fixtures",
                row.test, row.trace
            ));
            continue;
        };
        let mut c = scapbridge();
        c.arg("read").arg(&trace).arg("--json");
        for r in &row.rules {
            c.arg("--rules").arg(rules_path(r));
        }
        let sel = selection_args(tests.get(&row.test));
        selected += usize::from(!sel.is_empty());
        c.args(sel);
        let options = config_options(tests.get(&row.test));
        configured += usize::from(!options.is_empty());
        c.args(options);
        let o = run(&mut c);
        if !o.status.success() {
            failures.push(format!(
                "{}: scapbridge failed: {}",
                row.test,
                String::from_utf8_lossy(&o.stderr).trim()
            ));
            continue;
        }
        ran += 1;
        let alerts: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        failures.extend(output_checks(
            &row,
            tests.get(&row.test),
            &alerts,
            &mut not_compared,
        ));
        let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
        let mut priorities = Vec::new();
        for l in String::from_utf8_lossy(&o.stdout).lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            *by_rule
                .entry(v["rule"].as_str().unwrap().to_string())
                .or_default() += 1;
            priorities.push(v["priority"].as_str().unwrap().to_lowercase());
        }
        let total: usize = by_rule.values().sum();
        if detect != (total > 0) {
            failures.push(format!(
                "{}: detect {detect} expected, got {total} alerts {by_rule:?}",
                row.test
            ));
            continue;
        }
        if detect && !row.level.is_empty() {
            let want = match row.level.to_lowercase().as_str() {
                "info" => "informational".to_string(),
                l => l.to_string(),
            };
            if !priorities.contains(&want) {
                failures.push(format!(
                    "{}: no alert of priority {}; got {priorities:?}",
                    row.test, row.level
                ));
            }
        }
        for (rule, want) in &row.counts {
            let got = by_rule.get(rule).copied().unwrap_or(0);
            if got != *want {
                failures.push(format!(
                    "{}: rule {rule:?}: {got} alerts, Falco {want}",
                    row.test
                ));
            }
        }
    }
    eprintln!(
        "ran {ran} rows ({configured} with their -o options); not run:\n  {}\nnot compared:\n  {}",
        skipped.join("\n  "),
        not_compared.join("\n  ")
    );
    assert!(
        configured >= 5,
        "the rows with Falco output options run with them ({configured})"
    );
    assert_no_failures(&failures, &format!("of {ran} rows differ"));
    assert!(ran >= 30, "most rows run ({ran})");
    assert_eq!(
        selected, 10,
        "the rows with -D/-T/-t (disabled_rules*, disabled_tags_*, run_tags_*) run"
    );
}

/// Warning codes of Falco's whose equivalent `rules check` prints, so a
/// row's `validate_warnings` of these codes are compared; the others are
/// listed as not compared (Falco's LOAD_UNUSED_MACRO lint has no
/// equivalent here yet). Where Falco accepts a file and every warning it
/// gives is compared, we give no others.
const COMPARED_WARNINGS: &[&str] = &["LOAD_UNKNOWN_FIELD", "LOAD_NO_EVTTYPE"];

/// Checks one validation row; its failures.
fn validate_row(
    row: &Row,
    files: &[String],
    t: Option<&Node>,
    not_compared: &mut Vec<String>,
) -> Vec<String> {
    let mut failures = Vec::new();
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|f| scap_dir().join("falco_legacy").join(f))
        .collect();
    let want: i32 = row.check("exit_status").map_or(0, |s| s.parse().unwrap());
    let o = run(scapbridge().arg("rules").arg("check").args(&paths));
    let err = stderr(&o);
    let code = o.status.code().unwrap_or(-1);
    if code != want {
        failures.push(format!(
            "{}: rules check exited {code}, Falco {want}:\n{err}",
            row.test
        ));
        return failures;
    }
    let lines: Vec<&str> = err.lines().collect();
    // Every diagnostic is file:line:col: severity: message, in a given file.
    for l in &lines {
        let placed = paths.iter().any(|p| {
            l.strip_prefix(&format!("{}:", p.display()))
                .and_then(|rest| {
                    let mut it = rest.splitn(3, ':');
                    let line = it.next()?.parse::<usize>().ok()?;
                    let col = it.next()?.parse::<usize>().ok()?;
                    let tail = it.next()?;
                    (line > 0
                        && col > 0
                        && (tail.starts_with(" error: ") || tail.starts_with(" warning: ")))
                    .then_some(())
                })
                .is_some()
        });
        if !placed {
            failures.push(format!("{}: not file:line:col: severity: {l:?}", row.test));
        }
    }
    let errors: Vec<&&str> = lines.iter().filter(|l| l.contains(": error: ")).collect();
    if want != 0 && errors.is_empty() {
        failures.push(format!("{}: exit {want} without an error line", row.test));
    }
    if want == 0 && !String::from_utf8_lossy(&o.stdout).starts_with("ok: ") {
        failures.push(format!("{}: no ok line", row.test));
    }
    // The item Falco names is the one our errors name.
    for (item, code) in expected_items(t, "validate_errors") {
        if let Some((_, why)) = OTHER_ITEM.iter().find(|(n, _)| *n == row.test) {
            not_compared.push(format!("{}: error item '{item}': {why}", row.test));
            continue;
        }
        if !item.is_empty() && !errors.iter().any(|l| l.contains(&format!("'{item}'"))) {
            failures.push(format!(
                "{}: no error names '{item}' (Falco: {code}):\n{err}",
                row.test
            ));
        }
    }
    let expected_warnings = expected_items(t, "validate_warnings");
    let ours = lines.iter().filter(|l| l.contains(": warning: ")).count();
    // Falco stops at a file's first error, so only a file it accepts has
    // its whole list of warnings.
    if want == 0
        && !expected_warnings.is_empty()
        && expected_warnings
            .iter()
            .all(|(_, code)| COMPARED_WARNINGS.contains(&code.as_str()))
        && ours != expected_warnings.len()
    {
        failures.push(format!(
            "{}: {ours} warnings, Falco {}:\n{err}",
            row.test,
            expected_warnings.len()
        ));
    }
    for (item, code) in expected_warnings {
        if !COMPARED_WARNINGS.contains(&code.as_str()) {
            not_compared.push(format!("{}: warning {code} for '{item}'", row.test));
            continue;
        }
        let warned = lines
            .iter()
            .any(|l| l.contains(": warning: ") && l.contains(&format!("'{item}'")));
        if !warned {
            failures.push(format!(
                "{}: no warning names '{item}' (Falco: {code}):\n{err}",
                row.test
            ));
        }
    }
    failures
}

/// Validation tests whose error we report at another item than Falco,
/// with the reason (the exit status is still compared).
const OTHER_ITEM: &[(&str, &str)] = &[(
    "invalid_list_loop",
    "the unknown event type is reported at macro 'macro_a', where it is written; \
     Falco 0.34 compiled macros only inside the rules using them and named rule 'sample rule'",
)];

/// The validation tests of falco_tests*.yaml the TSV left out (they have
/// no trace file), as rows: name, files, exit status.
fn yaml_only_validations(tests: &HashMap<String, Node>) -> Vec<(Row, Vec<String>)> {
    let in_tsv: Vec<String> = rows().into_iter().map(|r| r.test).collect();
    let mut out = Vec::new();
    for (name, t) in tests {
        let files: Vec<String> = match t.get("validate_rules_file") {
            Some(Node::Seq(v, _)) => v.iter().map(|f| f.as_str().unwrap().to_string()).collect(),
            Some(n) => vec![n.as_str().unwrap().to_string()],
            None => continue,
        };
        if in_tsv.contains(name) {
            continue;
        }
        let exit = t.get("exit_status").and_then(Node::as_str).unwrap_or("0");
        out.push((
            Row {
                test: name.clone(),
                trace: String::new(),
                rules: Vec::new(),
                detect: None,
                level: String::new(),
                counts: BTreeMap::new(),
                checks: vec![("exit_status".to_string(), exit.to_string())],
            },
            files,
        ));
    }
    out.sort_by(|a, b| a.0.test.cmp(&b.0.test));
    out
}

#[test]
fn falco_legacy_validation() {
    if !common::have_fixtures() {
        return;
    }
    let tests = falco_tests();
    let mut ran = 0;
    let mut rejected = 0;
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    let mut not_compared = Vec::new();
    for row in rows() {
        let Some(files) = row.validate_files() else {
            continue;
        };
        if let Some((_, why)) = UNSUPPORTED.iter().find(|(t, _)| *t == row.test) {
            skipped.push(format!("{}: {why}", row.test));
            continue;
        }
        ran += 1;
        rejected += usize::from(row.check("exit_status") == Some("1"));
        failures.extend(validate_row(
            &row,
            &files,
            tests.get(&row.test),
            &mut not_compared,
        ));
    }
    // And the two falco_tests.yaml has beyond the TSV.
    let extra = yaml_only_validations(&tests);
    for (row, files) in &extra {
        rejected += usize::from(row.check("exit_status") == Some("1"));
        failures.extend(validate_row(
            row,
            files,
            tests.get(&row.test),
            &mut not_compared,
        ));
    }
    eprintln!(
        "ran {ran} validation rows and {} of falco_tests.yaml only ({rejected} Falco rejects); not run:\n  {}\nnot compared:\n  {}",
        extra.len(),
        skipped.join("\n  "),
        not_compared.join("\n  ")
    );
    assert_eq!(extra.len(), 2, "invalid_macro_loop, invalid_list_loop");
    assert_no_failures(&failures, &format!("problems in {ran} rows"));
    assert!(
        ran >= 28 && rejected >= 28,
        "every validation row runs ({ran}, {rejected})"
    );
}

/// Rows that check an exit status and a message only (no detection, no
/// validation): Falco's refusal of `-t` with `-D`/`-T`.
#[test]
fn falco_legacy_exit_status() {
    if !common::have_fixtures() {
        return;
    }
    let tests = falco_tests();
    let mut ran = 0;
    let mut failures = Vec::new();
    for row in rows() {
        if row.detect.is_some()
            || row.validate_files().is_some()
            || UNSUPPORTED.iter().any(|(t, _)| *t == row.test)
        {
            continue;
        }
        let t = tests.get(&row.test);
        let trace = trace_path(&row.trace).unwrap();
        let mut c = scapbridge();
        c.arg("read").arg(&trace);
        for r in &row.rules {
            c.arg("--rules").arg(rules_path(r));
        }
        let sel = selection_args(t);
        assert!(!sel.is_empty(), "{}: no selection options", row.test);
        c.args(sel);
        let o = run(&mut c);
        ran += 1;
        let want: i32 = row.check("exit_status").unwrap().parse().unwrap();
        let err = stderr(&o);
        if o.status.code() != Some(want) {
            failures.push(format!(
                "{}: exit {:?}, Falco {want}",
                row.test,
                o.status.code()
            ));
        }
        let pattern = unquote(row.check("stderr_contains").unwrap());
        if !contains_pattern(&err, &pattern) {
            failures.push(format!("{}: stderr lacks {pattern:?}: {err}", row.test));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(ran, 2, "disabled_and_enabled_rules_1/2 run");
}

/// Every row is run by one of the tests above or listed with its reason.
#[test]
fn falco_legacy_every_row_is_accounted_for() {
    if !common::have_fixtures() {
        return;
    }
    let tests = falco_tests();
    let mut unaccounted = Vec::new();
    for row in rows() {
        let listed = UNSUPPORTED.iter().any(|(t, _)| *t == row.test);
        let validation = row.validate_files().is_some();
        let detection = row.detect.is_some();
        let exit = row.check("exit_status").is_some() && row.check("stderr_contains").is_some();
        if !(listed || validation || detection || exit) {
            unaccounted.push(row.test.clone());
        }
        assert!(
            tests.contains_key(&row.test),
            "{} is not in falco_tests*.yaml",
            row.test
        );
    }
    for (t, _) in UNSUPPORTED {
        assert!(
            rows().iter().any(|r| r.test == *t),
            "{t} listed but not a row"
        );
    }
    assert!(unaccounted.is_empty(), "rows no test runs: {unaccounted:?}");
}

/// `capture` takes the selection as interface options (`--disable-tags`
/// comma-separated as Wireshark's one field gives it, `--run-tags`
/// repeated headless): its alerts are those of `read` with Falco's flags.
#[test]
fn capture_selects_rules_as_read_does() {
    if !common::have_fixtures() {
        return;
    }
    let trace = scap_dir().join("falco_open-multiple-files.scap");
    let rules = scap_dir().join("falco_legacy/rules/tagged_rules.yaml");
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &[&str]); 3] = [
        (
            &["--disable-tags", "a,b,c"],
            &["-T", "a", "-T", "b", "-T", "c"],
        ),
        (
            &["--run-tags", "b", "--run-tags", "c"],
            &["-t", "b", "-t", "c"],
        ),
        (&["--disable-rules", "open_1"], &["-D", "open_1"]),
    ];
    for (i, (capture_opts, read_opts)) in cases.iter().enumerate() {
        let alerts = dir.path().join(format!("alerts{i}.json"));
        let o = run(scapbridge()
            .args(["capture", "-i", "scapbridge-replay", "--file"])
            .arg(&trace)
            .args(["--speed", "max", "--alerts-format", "json", "--rules"])
            .arg(&rules)
            .args(*capture_opts)
            .arg("--alerts")
            .arg(&alerts)
            .arg("-w")
            .arg(dir.path().join(format!("out{i}.scap"))));
        assert_eq!(o.status.code(), Some(3), "{capture_opts:?}: {}", stderr(&o));
        let want = run(scapbridge()
            .arg("read")
            .arg(&trace)
            .args(["--json", "--rules"])
            .arg(&rules)
            .args(*read_opts));
        let rules_of = |text: &str| -> Vec<String> {
            text.lines()
                .map(|l| {
                    let v: serde_json::Value = serde_json::from_str(l).unwrap();
                    v["rule"].as_str().unwrap().to_string()
                })
                .collect()
        };
        let got = rules_of(&std::fs::read_to_string(&alerts).unwrap());
        let want = rules_of(&String::from_utf8_lossy(&want.stdout));
        assert!(
            !want.is_empty() && want.len() < 13,
            "{read_opts:?}: {want:?}"
        );
        assert_eq!(got, want, "{capture_opts:?}");
    }
    // Falco's refusal, as a usage error (exit 2) before capturing.
    let o = run(scapbridge()
        .args(["capture", "-i", "scapbridge-replay", "--file"])
        .arg(&trace)
        .arg("--rules")
        .arg(&rules)
        .args(["--disable-tags", "a", "--run-tags", "b", "-w"])
        .arg(dir.path().join("never.scap")));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("You can not specify both disabled (-D/-T) and enabled (-t) rules"),
        "{}",
        stderr(&o)
    );
}

/// `--config falco.yaml`: its `rules_files`, its `rules:` section (which
/// `-D`/`-T`/`-t` follow), `append_output`, and a warning with its place
/// for a key we do not support.
#[test]
fn config_file_chooses_rules_and_formats_alerts() {
    if !common::have_fixtures() {
        return;
    }
    let trace = scap_dir().join("falco_open-multiple-files.scap");
    let rules = scap_dir().join("falco_legacy/rules/tagged_rules.yaml");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("falco.yaml");
    std::fs::write(
        &cfg,
        format!(
            "rules_files:\n  - {}\nrules:\n  - disable:\n      rule: \"*\"\n  - enable:\n      tag: b\njson_output: true\nappend_output:\n  - match:\n      tags: [c]\n    extra_output: \"by %proc.name\"\n    extra_fields: [proc.pid]\nbuffered_outputs: false\n",
            rules.display()
        ),
    )
    .unwrap();
    let alerts = |o: &std::process::Output| -> Vec<serde_json::Value> {
        assert!(o.status.success(), "{}", stderr(o));
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let o = run(scapbridge()
        .arg("read")
        .arg(&trace)
        .arg("--config")
        .arg(&cfg));
    assert!(
        stderr(&o).contains(&format!(
            "{}:14:1: warning: 'buffered_outputs' is not supported here (ignored)",
            cfg.display()
        )),
        "{}",
        stderr(&o)
    );
    let got = alerts(&o);
    let want = alerts(&run(scapbridge()
        .arg("read")
        .arg(&trace)
        .args(["--json", "-t", "b", "--rules"])
        .arg(&rules)));
    let names = |v: &[serde_json::Value]| -> Vec<String> {
        v.iter()
            .map(|a| a["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&got), names(&want), "rules: section = -t b");
    for a in &got {
        let tags: Vec<&str> = a["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let extra = tags.contains(&"c");
        assert_eq!(a["output"].as_str().unwrap().contains(" by "), extra, "{a}");
        assert_eq!(a["output_fields"].get("proc.pid").is_some(), extra, "{a}");
    }
    assert!(got
        .iter()
        .any(|a| a["output_fields"].get("proc.pid").is_some()));
    // capture takes the same file as an interface option: the rules, the
    // selection, json_output and append_output's fields all apply.
    let alerts_file = dir.path().join("alerts.json");
    let o = run(scapbridge()
        .args(["capture", "-i", "scapbridge-replay", "--file"])
        .arg(&trace)
        .args(["--speed", "max", "--config"])
        .arg(&cfg)
        .arg("--alerts")
        .arg(&alerts_file)
        .arg("-w")
        .arg(dir.path().join("out.scap")));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let captured: Vec<serde_json::Value> = std::fs::read_to_string(&alerts_file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        names(&captured),
        names(&got),
        "capture --config = read --config"
    );
    assert_eq!(
        captured
            .iter()
            .map(|a| &a["output_fields"])
            .collect::<Vec<_>>(),
        got.iter().map(|a| &a["output_fields"]).collect::<Vec<_>>()
    );
    // The flags follow the section: -T c takes the c-tagged rules out.
    let o = run(scapbridge()
        .args(["rules", "check", "--config"])
        .arg(&cfg)
        .args(["-T", "c"]));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("3 of 13 rules enabled: open_2, open_4, open_8"),
        "{out}"
    );
}
