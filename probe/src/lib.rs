//! The local eBPF syscall probe (Linux only).
//!
//! Nothing here yet: the kernel side (C, CO-RE) and the aya loader arrive with
//! issue 4. The crate exists so the workspace layout is the final one; it builds
//! to an empty library on every platform.
#![cfg_attr(not(target_os = "linux"), allow(unused))]
