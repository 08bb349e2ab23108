//! x86-64 syscall numbers and names, and their ppm syscall codes.
//!
//! The table (`formats/src/schema/x86_64_syscalls.rs`, which readers use
//! too) was generated from Debian's `asm/unistd_64.h`:
//! `grep '#define __NR_' /usr/include/x86_64-linux-gnu/asm/unistd_64.h`.
//! Syscalls newer than that header are still captured, as generic events
//! with their number.

use crate::x86_64_syscalls::X86_64;

/// The name of syscall `nr`.
pub fn name(nr: u16) -> Option<&'static str> {
    X86_64
        .binary_search_by_key(&nr, |(n, _)| *n)
        .ok()
        .map(|i| X86_64[i].1)
}

/// The number of a syscall name.
pub fn number(name: &str) -> Option<u16> {
    X86_64.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
}

/// Every known syscall, by number.
pub fn all() -> impl Iterator<Item = (u16, &'static str)> {
    X86_64.iter().copied()
}

/// The ppm syscall code readers use for the generic event's `ID`.
pub(crate) fn ppm_sc(name: &str) -> Option<u16> {
    // The x86-64 names that libs spell differently.
    let libs = match name {
        "pread64" => "pread",
        "pwrite64" => "pwrite",
        "umount2" => "umount2",
        other => other,
    };
    scapbridge_formats::schema::syscall_code(libs)
}
