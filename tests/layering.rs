//! The workspace's shape holds: crates depend only downward (bytes →
//! kernel → engine → interfaces), the agent links nothing of the analyst's
//! side, and no crate's modules import each other in a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(workspace());
    c
}

/// Each workspace crate and the workspace crates it may depend on (normal
/// dependencies). A crate not listed here fails the test: a new crate must
/// take its place in the layers.
const ALLOWED: &[(&str, &[&str])] = &[
    ("scapbridge-formats", &[]),
    ("scapbridge-probe", &["scapbridge-formats"]),
    ("scapbridge-filter", &["scapbridge-formats"]),
    (
        "scapbridge-rules",
        &["scapbridge-formats", "scapbridge-filter"],
    ),
    (
        "scapbridge-engine",
        &[
            "scapbridge-formats",
            "scapbridge-probe",
            "scapbridge-filter",
            "scapbridge-rules",
        ],
    ),
    (
        "scapbridge-agent",
        &[
            "scapbridge-formats",
            "scapbridge-probe",
            "scapbridge-filter",
            "scapbridge-rules",
            "scapbridge-engine",
            "scapbridge-containers",
        ],
    ),
    ("scapbridge-containers", &["scapbridge-formats"]),
    ("scapbridge-aws", &[]),
    // The readers' plugin (a .so they load), on the format layer only.
    ("scapbridge-container-plugin", &["scapbridge-formats"]),
    (
        "scapbridge-extcap",
        &["scapbridge-formats", "scapbridge-engine"],
    ),
    (
        "scapbridge-replay",
        &["scapbridge-formats", "scapbridge-engine"],
    ),
    (
        "scapbridge-ssh",
        &["scapbridge-formats", "scapbridge-engine"],
    ),
    (
        "scapbridge-cloudtrail",
        &[
            "scapbridge-formats",
            "scapbridge-filter",
            "scapbridge-engine",
            "scapbridge-aws",
        ],
    ),
    (
        "scapbridge",
        &[
            "scapbridge-formats",
            "scapbridge-probe",
            "scapbridge-filter",
            "scapbridge-rules",
            "scapbridge-engine",
            "scapbridge-agent",
            "scapbridge-extcap",
            "scapbridge-replay",
            "scapbridge-ssh",
            "scapbridge-cloudtrail",
        ],
    ),
    // The tests and the benchmarks may use every crate.
    ("scapbridge-tests", &[]),
    ("scapbridge-bench", &[]),
];

/// Crates outside the product, which may depend on anything.
const ANY: &[&str] = &["scapbridge-tests", "scapbridge-bench"];

/// `cargo metadata` of the workspace's own crates.
fn metadata() -> serde_json::Value {
    let o = cargo()
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .output()
        .expect("cargo metadata");
    assert!(
        o.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("metadata JSON")
}

/// Each workspace crate's workspace dependencies of kind normal
/// (dev-dependencies and build-dependencies aside).
fn workspace_deps() -> BTreeMap<String, BTreeSet<String>> {
    let v = metadata();
    let packages = v["packages"].as_array().expect("packages");
    let names: BTreeSet<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].is_null())
                .filter_map(|d| d["name"].as_str())
                .filter(|d| names.contains(*d))
                .map(str::to_string)
                .collect();
            (p["name"].as_str().unwrap_or_default().to_string(), deps)
        })
        .collect()
}

#[test]
fn crates_depend_only_downward() {
    let deps = workspace_deps();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (krate, uses) in &deps {
        let Some(ok) = allowed.get(krate.as_str()) else {
            wrong.push(format!(
                "{krate}: not placed in the layers (tests/layering.rs)"
            ));
            continue;
        };
        if ANY.contains(&krate.as_str()) {
            continue;
        }
        for u in uses {
            if !ok.contains(&u.as_str()) {
                wrong.push(format!("{krate} depends on {u}, against the layering"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The agent runs on every monitored host: no SSH client, no AWS SDK, no
/// extcap crate, no command-line framework in its build.
#[test]
fn the_agent_links_nothing_of_the_analysts_side() {
    let o = cargo()
        .args([
            "tree",
            "-p",
            "scapbridge-agent",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .output()
        .expect("cargo tree");
    assert!(
        o.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout);
    let crates: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let banned: Vec<&&str> = crates
        .iter()
        .filter(|c| {
            c.starts_with("aws-")
                || [
                    "russh",
                    "ssh-key",
                    "scapbridge",
                    "scapbridge-aws",
                    "clap",
                    "tokio",
                ]
                .contains(c)
        })
        .collect();
    assert!(banned.is_empty(), "the agent links {banned:?}");
    // Before the crates were split it linked about 280; a third of that.
    assert!(
        crates.len() <= 93,
        "the agent links {} crates: {crates:?}",
        crates.len()
    );
}

/// `use crate::a` in module `b` and `use crate::b` in module `a` make a
/// circle that keeps the two from being understood (or split) apart.
#[test]
fn no_module_imports_in_a_circle() {
    let v = metadata();
    let mut found = Vec::new();
    let crates: Vec<(String, PathBuf)> = v["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| {
            let manifest = PathBuf::from(p["manifest_path"].as_str()?);
            Some((
                p["name"].as_str()?.to_string(),
                manifest.parent()?.join("src"),
            ))
        })
        .collect();
    assert!(crates.len() >= 10, "the workspace's crates: {crates:?}");
    for (krate, src) in &crates {
        let mut files = Vec::new();
        collect_rs(src, &mut files);
        // Module path of each file (`capture::pipeline`), and the modules
        // it names through `crate::`.
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in &files {
            let m = module_of(src, f);
            let text = std::fs::read_to_string(f).expect("source");
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let mut uses = BTreeSet::new();
            for line in code.lines() {
                let line = line.trim_start();
                if line.starts_with("//") {
                    continue;
                }
                for (i, _) in line.match_indices("crate::") {
                    let rest = &line[i + "crate::".len()..];
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() && name != top(&m) {
                        uses.insert(name);
                    }
                }
            }
            graph.entry(top(&m).to_string()).or_default().extend(uses);
        }
        for (a, uses) in &graph {
            for b in uses {
                if a < b && graph.get(b).is_some_and(|u| u.contains(a)) {
                    found.push(format!("{krate}: {a} <-> {b}"));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "modules in a circle:\n{}",
        found.join("\n")
    );
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("below src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_rs(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every crate and test builds without a compiler or clippy warning, so a
/// missing doc comment (`missing_docs`) or a needlessly public item
/// (`unreachable_pub`), both on in `[workspace.lints]`, fails CI.
#[test]
fn the_workspace_has_no_warnings() {
    let clippy = cargo().args(["clippy", "--version"]).output();
    if !clippy.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "cargo clippy is missing (rustup component add clippy)"
        );
        eprintln!("skipping: cargo clippy not installed (rustup component add clippy)");
        return;
    }
    let o = cargo()
        .args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--offline",
            "--message-format",
            "short",
        ])
        .output()
        .expect("cargo clippy");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "cargo clippy failed:\n{err}");
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("warning:") && !l.contains("generated"))
        .collect();
    assert!(
        warnings.is_empty(),
        "{} warnings:\n{}",
        warnings.len(),
        warnings.join("\n")
    );
}
