// Shared by the build scripts of scapbridge (extcap/build.rs) and
// scapbridge-agent (remote-agent/build.rs): both name their commit in
// `--version`. Included, not a crate: a build script's own dependency
// would be one more crate to build before either binary.

/// `git ARGS` in the package's folder, its trimmed output when it worked.
fn git(args: &[&str]) -> Option<String> {
    let o = std::process::Command::new("git").args(args).output().ok()?;
    if !o.status.success() {
        return None;
    }
    let s = String::from_utf8(o.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// Sets `SCAPBRIDGE_GIT_COMMIT` (`unknown` outside a git checkout, as in a
/// crates.io tarball), and has the script run again when HEAD moves or the
/// branch gets a commit (only paths that exist: a missing one would
/// rebuild every time).
fn record_git_commit(shared: &str) {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed={shared}");
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo::rustc-env=SCAPBRIDGE_GIT_COMMIT={commit}");
    let mut watch = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch.push(git(&["rev-parse", "--git-path", &branch]));
    }
    watch.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    for p in watch.into_iter().flatten() {
        if std::path::Path::new(&p).exists() {
            println!("cargo::rerun-if-changed={p}");
        }
    }
}
