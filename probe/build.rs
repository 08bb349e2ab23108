//! Compiles the kernel side (`bpf/probe.bpf.c` and the parts it includes)
//! with clang into one object in OUT_DIR.
//!
//! Only for Linux on x86-64 (the register layout the program reads); on other
//! targets the crate builds without the object and `Probe::load` reports the
//! probe as unsupported. The compiler comes from `$CLANG` (default `clang`).

// A build script reports failure by panicking: cargo shows the message.
#![allow(clippy::panic)]

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(probe_object)");
    // The whole folder: probe.bpf.c includes its parts (maps.h, read.h,
    // task.h, emit.h) and the shared headers.
    println!("cargo::rerun-if-changed=bpf");
    println!("cargo::rerun-if-env-changed=CLANG");
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if os != "linux" || arch != "x86_64" {
        println!("cargo::rustc-env=SCAPBRIDGE_PROBE_BUILD=none (the probe is for Linux on x86-64)");
        return;
    }
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let clang = env::var("CLANG").unwrap_or_else(|_| "clang".into());
    let obj = out.join("probe.bpf.o");
    let status = Command::new(&clang)
        .args([
            "-O2",
            "-g",
            "-target",
            "bpf",
            "-D__TARGET_ARCH_x86",
            "-Wall",
            "-Werror",
        ])
        .arg("-Ibpf")
        .args(["-c", "bpf/probe.bpf.c", "-o"])
        .arg(&obj)
        .status();
    match status {
        Ok(s) if s.success() => {
            println!("cargo::rustc-cfg=probe_object");
            println!(
                "cargo::rustc-env=SCAPBRIDGE_PROBE_BUILD={}",
                build_info(&clang, &obj)
            );
        }
        Ok(s) => panic!("{clang} failed to compile bpf/probe.bpf.c ({s})"),
        Err(e) => panic!(
            "cannot run {clang} ({e}): the eBPF probe needs clang and the libbpf headers \
             (apt-get install clang libbpf-dev, or run install/install.sh --deps)"
        ),
    }
}

/// What `scapbridge --version` says of the probe: the object's size and
/// FNV-1a hash (two builds load the same program when they match) and the
/// compiler that made it.
fn build_info(clang: &str, obj: &std::path::Path) -> String {
    let bytes = std::fs::read(obj).unwrap_or_default();
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    let compiler = Command::new(clang)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| clang.to_string());
    format!(
        "eBPF CO-RE object, {} bytes, fnv1a {hash:016x}, built by {compiler}",
        bytes.len()
    )
}
