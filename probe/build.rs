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
        Ok(s) if s.success() => println!("cargo::rustc-cfg=probe_object"),
        Ok(s) => panic!("{clang} failed to compile bpf/probe.bpf.c ({s})"),
        Err(e) => panic!(
            "cannot run {clang} ({e}): the eBPF probe needs clang and the libbpf headers \
             (apt-get install clang libbpf-dev, or run install/install.sh --deps)"
        ),
    }
}
