//! The layouts against the schema and the kernel side's table.

use super::*;

#[test]
fn every_layout_matches_the_schema() {
    let mut specific = 0;
    for &(nr, name) in crate::x86_64_syscalls::X86_64 {
        let l = layout_for(nr);
        if l.event != "syscall" {
            specific += 1;
        }
        if let Err(e) = l.encode(nr) {
            panic!("{name}: {e}");
        }
    }
    assert!(specific >= 60, "{specific} syscalls with their own layout");
}

/// `scapbridge info` reports a syscall written generic although libs has
/// an event of its name as a recorder gap. These are the gaps left: each
/// needs a conversion in the kernel side first (quotactl's per-command structs,
/// the first mmsghdr), so a new gap, or one closed, shows here.
#[test]
fn every_syscall_libs_has_an_event_for_has_a_layout() {
    let missing: Vec<&str> = crate::x86_64_syscalls::X86_64
        .iter()
        .map(|(_, name)| *name)
        .filter(|name| schema::ids_named(name).next().is_some() && layout(name).is_none())
        .collect();
    assert_eq!(
        missing,
        ["quotactl", "recvmmsg", "sendmmsg",],
        "libs events the probe writes generic"
    );
}

#[test]
fn entry_hooks_are_the_layouts_written_at_entry() {
    let at_entry: Vec<&str> = crate::x86_64_syscalls::X86_64
        .iter()
        .filter(|(nr, _)| layout_for(*nr).enter_at_entry)
        .map(|(_, name)| *name)
        .collect();
    let hooked: Vec<&str> = ENTRY_HOOKS.iter().map(|h| h.2).collect();
    assert_eq!(at_entry.len(), hooked.len(), "{at_entry:?}");
    for name in hooked {
        assert!(at_entry.contains(&name), "{name} is hooked at entry");
        let nr = crate::syscalls::number(name).expect("number");
        let e = layout_for(nr).encode(nr).expect("encodes");
        assert_eq!(e.0[6] & 0x80, 0x80, "{name}: the at-entry bit");
        assert!(e.0[6] & 0x7f > 0, "{name}: enter parameters");
    }
}

#[test]
fn busy_syscalls_take_the_straight_line_path() {
    let flag = |name: &str| {
        let nr = crate::syscalls::number(name).expect(name);
        layout_for(nr).encode(nr).expect("encodes").0[7] & 0x80 != 0
    };
    for name in [
        "read", "write", "pread64", "pwrite64", "getppid", "close", "kill",
    ] {
        assert!(flag(name), "{name}: simple kinds only");
    }
    // A path, a socket tuple, the task, an iovec: the general writer.
    for name in ["openat", "connect", "execve", "readv", "sendto", "mkdir"] {
        assert!(!flag(name), "{name}: needs the general writer");
    }
}

#[test]
fn generic_event_carries_the_ppm_code() {
    let nr = crate::syscalls::number("getppid").expect("getppid");
    let e = layout_for(nr).encode(nr).expect("encodes");
    let sc = u16::from_ne_bytes([e.0[4], e.0[5]]);
    assert_eq!(schema::syscall_name(sc), Some("getppid"));
    assert_eq!(u16::from_ne_bytes([e.0[0], e.0[1]]), 0, "generic enter id");
}
