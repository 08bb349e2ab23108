//! The Debian package (`install/deb.sh`): built from this build's binaries,
//! installed with `dpkg -i` on a clean root (an overlay over the Debian sid
//! root of `install/install.sh --deps`, in a private mount namespace, so the
//! shared root is never written), where `tshark -D` (Wireshark 4.6) and
//! `stratoshark -D` (Stratoshark 0.9.9) must list our interfaces and `man scapbridge`
//! must render. The package must also hold the extcap in the folder the
//! host's own tshark (4.0 on Debian 12) runs extcaps from. And what
//! `install/install.sh` installs besides the extcap: the command, its man
//! pages and its completion.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// Runs `args` chrooted into an overlay of `lower` whose changes go to
/// `tmp/upper` (kept between calls, so one call's `dpkg -i` is there for the
/// next), with `/proc`, `/sys`, `/dev` and `tmp/x` at `/x`; every mount is in
/// a private namespace and ends with the command.
fn in_overlay(lower: &Path, tmp: &Path, args: &[&str]) -> Output {
    chroot_command(
        r#"l="$1"; t="$2"; r="$t/root"; d="$t/x"
mkdir -p "$t/upper" "$t/work" "$r" "$d" &&
mount -t overlay overlay -o "lowerdir=$l,upperdir=$t/upper,workdir=$t/work" "$r""#,
        lower,
        tmp,
        args,
    )
    .env("MANWIDTH", "100")
    .env_remove("MANPAGER")
    .env_remove("PAGER")
    .output()
    .expect("unshare")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The global extcap folder `tshark -G folders` (or `strato`) names.
fn global_extcap_dir(folders: &str) -> PathBuf {
    let line = folders
        .lines()
        .find(|l| l.starts_with("Global Extcap path:") || l.starts_with("Extcap path:"))
        .unwrap_or_else(|| panic!("no extcap path in -G folders:\n{folders}"));
    PathBuf::from(line.split_once(':').unwrap().1.trim())
}

/// Builds the package of this build's binaries into `out`; its path.
fn build_deb(out: &Path) -> PathBuf {
    let bin = scapbridge_bin();
    let agent = agent_bin();
    assert_eq!(bin.parent(), agent.parent());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../install/deb.sh");
    let o = Command::new("bash")
        .arg(script)
        .arg("--bin-dir")
        .arg(bin.parent().unwrap())
        .arg("--out")
        .arg(out)
        .arg("--fast")
        .output()
        .unwrap();
    assert!(o.status.success(), "install/deb.sh: {}", stderr(&o));
    let deb = PathBuf::from(stdout(&o).trim());
    assert!(deb.is_file(), "no package at {}", deb.display());
    assert!(
        deb.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("scapbridge_"),
        "{}",
        deb.display()
    );
    deb
}

#[test]
fn dpkg_i_puts_the_extcap_where_tshark_and_stratoshark_list_it_and_man_works() {
    if !need_root("installing a package in a chroot needs root") {
        return;
    }
    let Some(sid) = sid_root() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    for p in [sid.as_path(), t] {
        assert!(
            !p.to_string_lossy().contains([',', ':']),
            "an overlay option cannot hold {}",
            p.display()
        );
    }
    std::fs::create_dir(t.join("x")).unwrap();
    let deb = build_deb(&t.join("x"));
    let deb_in_root = format!("/x/{}", deb.file_name().unwrap().to_string_lossy());

    // What the package holds: the extcap in the host's tshark folder too.
    let contents = Command::new("dpkg-deb")
        .arg("-c")
        .arg(&deb)
        .output()
        .unwrap();
    assert!(
        contents.status.success(),
        "dpkg-deb -c: {}",
        stderr(&contents)
    );
    let contents = stdout(&contents);
    let paths: Vec<&str> = contents
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .collect();
    for want in [
        "./usr/bin/scapbridge",
        "./usr/bin/scapbridge-agent",
        "./usr/share/man/man1/scapbridge.1.gz",
        "./usr/share/man/man1/scapbridge-capture.1.gz",
        "./usr/share/man/man1/scapbridge-agent.1.gz",
        "./usr/share/bash-completion/completions/scapbridge",
    ] {
        assert!(
            paths.contains(&want),
            "{want} missing from the package:\n{contents}"
        );
    }
    if have("tshark") {
        let f = Command::new("tshark")
            .args(["-G", "folders"])
            .output()
            .unwrap();
        let dir = global_extcap_dir(&stdout(&f));
        let want = format!(".{}/scapbridge", dir.display());
        assert!(
            paths.contains(&want.as_str()),
            "the host tshark's extcap folder {} is not in the package:\n{contents}",
            dir.display()
        );
    }

    // Clean: no host lists an interface of ours before the package.
    let o = in_overlay(&sid, t, &["tshark", "-D"]);
    assert!(!stdout(&o).contains("scapbridge-"), "{}", stdout(&o));

    let o = in_overlay(&sid, t, &["dpkg", "-i", &deb_in_root]);
    assert!(o.status.success(), "dpkg -i: {}{}", stdout(&o), stderr(&o));

    let want_ifaces: &[&str] = if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        &[
            "scapbridge-syscalls",
            "scapbridge-ssh",
            "scapbridge-cloudtrail",
            "scapbridge-replay",
        ]
    } else {
        &[
            "scapbridge-ssh",
            "scapbridge-cloudtrail",
            "scapbridge-replay",
        ]
    };
    // tshark is Wireshark 4.6; `stratoshark -D` (the GUI's binary, which
    // lists and exits; `strato` has no capture support) is Stratoshark 0.9.9.
    let listings: [(&str, &[&str]); 2] = [
        ("tshark", &["tshark", "-D"]),
        (
            "stratoshark",
            &["env", "QT_QPA_PLATFORM=offscreen", "stratoshark", "-D"],
        ),
    ];
    for (tool, list) in listings {
        let o = in_overlay(&sid, t, list);
        let listed = stdout(&o);
        assert!(o.status.success(), "{tool} -D: {}", stderr(&o));
        for iface in want_ifaces {
            assert!(
                listed.lines().any(|l| l.contains(&format!(". {iface} "))),
                "{tool} -D in the clean root does not list {iface}:\n{listed}{}",
                stderr(&o)
            );
        }
        // And from the folder the tool itself names.
        let folders_of = if tool == "stratoshark" {
            "strato"
        } else {
            tool
        };
        let f = in_overlay(&sid, t, &[folders_of, "-G", "folders"]);
        let dir = global_extcap_dir(&stdout(&f));
        let want = format!(".{}/scapbridge", dir.display());
        assert!(
            paths.contains(&want.as_str()),
            "{tool}: {want} not in the package"
        );
    }

    // `man scapbridge`, as a user types it (no pager: standard output is a pipe).
    let o = in_overlay(&sid, t, &["man", "scapbridge"]);
    let page = stdout(&o);
    assert!(o.status.success(), "man scapbridge: {}", stderr(&o));
    for want in [
        "NAME",
        "scapbridge",
        "SYNOPSIS",
        "capture",
        "read",
        "completions",
    ] {
        assert!(
            page.contains(want),
            "man scapbridge lacks {want:?}:\n{page}"
        );
    }
    // capture's page holds every interface's options; the agent's its own.
    for (name, wants) in [
        (
            "scapbridge-capture",
            ["--interface", "Options of scapbridge-replay"],
        ),
        ("scapbridge-agent", ["--numevents", "--version"]),
    ] {
        let o = in_overlay(&sid, t, &["man", name]);
        let page = stdout(&o);
        assert!(o.status.success(), "man {name}: {}", stderr(&o));
        for want in wants {
            assert!(page.contains(want), "man {name} lacks {want}:\n{page}");
        }
    }

    // The extcap links are the binary itself (hard links: a link's path
    // tells the extcap its host), and the package goes away whole.
    let o = in_overlay(
        &sid,
        t,
        &["sh", "-c", "stat -c %i /usr/bin/scapbridge /usr/libexec/stratoshark/extcap/scapbridge | uniq | wc -l"],
    );
    assert_eq!(stdout(&o).trim(), "1", "{}", stderr(&o));
    let o = in_overlay(&sid, t, &["dpkg", "-r", "scapbridge"]);
    assert!(o.status.success(), "dpkg -r: {}", stderr(&o));
    for (_, list) in listings {
        let o = in_overlay(&sid, t, list);
        assert!(!stdout(&o).contains("scapbridge-"), "{}", stdout(&o));
    }
}

/// `install.sh` (the README's first command) puts the command on PATH with
/// its man pages and bash completion: here under a temporary prefix with
/// `--command-only`, then `--uninstall` takes them away again.
#[test]
fn install_sh_puts_the_command_its_man_pages_and_completion_under_the_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    let prefix = tmp.path().join("prefix");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../install/install.sh");
    let install = |mode: &str| {
        let o = Command::new("bash")
            .arg(&script)
            .arg(mode)
            .env("HOME", tmp.path().join("home"))
            .env_remove("XDG_CONFIG_HOME")
            .env("SCAPBRIDGE_PREFIX", &prefix)
            .env("SCAPBRIDGE_BIN", scapbridge_bin())
            .output()
            .unwrap();
        assert!(o.status.success(), "install.sh {mode}: {}", stderr(&o));
        stdout(&o)
    };
    install("--command-only");
    let bin = prefix.join("bin/scapbridge");
    let v = Command::new(&bin).arg("--version").output().unwrap();
    assert!(stdout(&v).starts_with("scapbridge "), "{}", stdout(&v));
    let man1 = prefix.join("share/man/man1");
    for page in [
        "scapbridge.1.gz",
        "scapbridge-capture.1.gz",
        "scapbridge-read.1.gz",
    ] {
        let text = Command::new("gzip")
            .arg("-dc")
            .arg(man1.join(page))
            .output()
            .unwrap();
        assert!(text.status.success(), "{page}: {}", stderr(&text));
        assert!(stdout(&text).contains(".TH "), "{page} is no man page");
    }
    let completion = prefix.join("share/bash-completion/completions/scapbridge");
    let script_text = std::fs::read_to_string(&completion).unwrap();
    assert!(
        script_text.contains("complete -F _scapbridge"),
        "not a bash completion for scapbridge"
    );
    // capture's options (parsed by the extcap's own parser, not clap's) are
    // there too, with the interface names to complete after -i.
    let capture = script_text
        .split("scapbridge__subcmd__capture)")
        .nth(1)
        .and_then(|s| s.lines().find(|l| l.trim_start().starts_with("opts=")))
        .unwrap_or_default();
    for opt in [
        "-i",
        "-w",
        "--count",
        "--snaplen",
        "--remote-host",
        "--file",
    ] {
        assert!(
            capture.split(['"', ' ']).any(|w| w == opt),
            "{opt} not completed after capture: {capture}"
        );
    }
    assert!(
        script_text.contains("scapbridge-syscalls scapbridge-ssh"),
        "no interface names to complete"
    );
    let said = install("--uninstall");
    for gone in [bin, man1.join("scapbridge.1.gz"), completion] {
        assert!(
            !gone.exists(),
            "{} left; install.sh said:\n{said}",
            gone.display()
        );
    }
}
