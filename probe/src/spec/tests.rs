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
/// an event of its name as a recorder gap: there is none left, and a new
/// syscall in the table that libs describes shows here.
#[test]
fn every_syscall_libs_has_an_event_for_has_a_layout() {
    let missing: Vec<&str> = crate::x86_64_syscalls::X86_64
        .iter()
        .map(|(_, name)| *name)
        .filter(|name| schema::ids_named(name).next().is_some() && layout(name).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "libs events the probe writes generic: {missing:?}"
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

/// spec.h is the other half of the contract: its numbers must be the ones
/// this side encodes (a kind renumbered on one side only would make the
/// kernel write another parameter than the schema says, which the layout
/// checks above cannot see).
#[test]
fn spec_h_agrees_with_the_encoding() {
    let header = include_str!("../../bpf/spec.h");
    let define = |name: &str| -> u32 {
        let line = header
            .lines()
            .find(|l| l.split_whitespace().take(2).eq(["#define", name]))
            .unwrap_or_else(|| panic!("spec.h has no {name}"));
        let v = line.split_whitespace().nth(2).expect("a value");
        match v.strip_prefix("0x") {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => v.parse(),
        }
        .unwrap_or_else(|e| panic!("{name} = {v}: {e}"))
    };
    let kinds: &[(&str, P)] = &[
        ("K_EMPTY", Empty),
        ("K_RET", Ret),
        ("K_ARG", Arg(0, 4)),
        ("K_ARG", Int(0)),
        ("K_ZERO", Zero(4)),
        ("K_USTR", Str(0)),
        ("K_UBUF", BufRet(0)),
        ("K_UBUF", BufArg(0, 1)),
        ("K_SOCKADDR", Sockaddr(0, 1)),
        ("K_TUPLE", Tuple(None, false)),
        ("K_TASK", Task(T_TID, 8)),
        ("K_TASK", ExeArgs(None)),
        ("K_SC_ID", ScId),
        ("K_NATIVE_ID", NativeId),
        ("K_IOV", Iov(1)),
        ("K_RET_SIZE", RetSize),
        ("K_SKIP", Skip),
        ("K_MSG_IOV", MsgIov(1)),
        ("K_UDEREF", Deref(1, 0, 4)),
        ("K_EXEC_NAME", ExecName(0)),
        ("K_DYN64", Dyn64(0)),
        ("K_FCNTL_CMD", FcntlCmd(1)),
        ("K_FD_DEV", FdDev(None)),
        ("K_FD_INO", FdIno(None)),
        ("K_FD_INO", FdInoAt(0, 0)),
        ("K_FDLIST", FdList(0, 1)),
        ("K_RELTIME", RelTime(0)),
        ("K_INT_AT", IntAt(0, 0)),
        ("K_O_FLAGS16", OFlags16(0)),
        ("K_FD_PATH", FdPath(None)),
        ("K_SOCKOPT", Sockopt(false)),
        ("K_FSCONFIG_VALUE", FsconfigValue(true)),
        ("K_QUOTACTL", Quotactl(qc::CMD)),
        ("K_PRCTL_ARG2", PrctlArg2(true)),
    ];
    for &(name, p) in kinds {
        assert_eq!(u32::from(p.encode()[0]), define(name), "{name} ({p:?})");
    }
    for (name, v) in [
        ("ARG_RET", 0xff),
        ("AUX_LEN_RET", 0xff),
        ("T_EXE_ARGS", 1),
        ("AUX_FD_AT_USER", 1),
    ] {
        assert_eq!(define(name), v, "{name}");
    }
    for (name, v) in [
        ("T_TID", T_TID),
        ("T_PID", T_PID),
        ("T_PTID", T_PTID),
        ("T_CWD", T_CWD),
        ("T_FDLIMIT", T_FDLIMIT),
        ("T_PGFT_MAJ", T_PGFT_MAJ),
        ("T_PGFT_MIN", T_PGFT_MIN),
        ("T_COMM", T_COMM),
        ("T_ENV", T_ENV),
        ("T_TTY", T_TTY),
        ("T_PGID", T_PGID),
        ("T_LOGINUID", T_LOGINUID),
        ("T_CAP_INH", T_CAP_INH),
        ("T_CAP_PERM", T_CAP_PERM),
        ("T_CAP_EFF", T_CAP_EFF),
        ("T_UID", T_UID),
        ("T_GID", T_GID),
        ("T_EXEPATH", T_EXEPATH),
        ("T_CGROUPS", T_CGROUPS),
        ("T_VTID", T_VTID),
        ("T_VPID", T_VPID),
        ("T_VPGID", T_VPGID),
        ("T_PIDNS_START", T_PIDNS_START),
        ("T_EXE_FLAGS", T_EXE_FLAGS),
        ("T_EXE_INO", T_EXE_INO),
        ("T_EXE_CTIME", T_EXE_CTIME),
        ("T_EXE_MTIME", T_EXE_MTIME),
        ("T_VM_SIZE", T_VM_SIZE),
        ("T_VM_RSS", T_VM_RSS),
        ("T_VM_SWAP", T_VM_SWAP),
        ("QC_QUOTAFILE", qc::QUOTAFILE),
        ("QC_DQI_BGRACE", qc::DQI_BGRACE),
        ("QC_DQI_IGRACE", qc::DQI_IGRACE),
        ("QC_DQI_FLAGS", qc::DQI_FLAGS),
        ("QC_FMT_OUT", qc::FMT_OUT),
        ("QC_CMD", qc::CMD),
        ("QC_TYPE", qc::TYPE),
        ("QC_ID", qc::ID),
        ("QC_FMT", qc::FMT),
    ] {
        assert_eq!(define(name), u32::from(v), "{name}");
    }
    assert_eq!(define("QC_DQB_FIRST"), 1);
    assert_eq!(define("QC_DQB_LAST"), 7);
    assert_eq!(define("SPEC_MAX_PARAMS") as usize, MAX_PARAMS);
    assert_eq!(define("SYSCALL_TABLE_SIZE") as usize, TABLE_SIZE);
    assert_eq!(define("SIMPLE_MAX") as usize, SIMPLE_MAX);
    // The flag bits encode() sets in enter_n and exit_n.
    let flags = |name: &str| {
        let nr = crate::syscalls::number(name).expect(name);
        let e = layout_for(nr).encode(nr).expect("encodes").0;
        (e[6], e[7])
    };
    assert_eq!(
        u32::from(flags("openat").0 & 0x80),
        define("ENTER_AT_ENTRY")
    );
    assert_eq!(
        u32::from(flags("recvmmsg").0 & 0xc0),
        define("EACH_MESSAGE")
    );
    assert_eq!(u32::from(flags("read").1 & 0x80), define("EXIT_SIMPLE"));
    assert_eq!(u32::from(flags("quotactl").1 & 0xc0), define("EXIT_RARE"));
    assert_eq!(define("EXIT_N_MASK"), 0x3f);
    assert_eq!(define("ENTER_N_MASK"), 0x3f);
}

/// The kernel writes message events (sendmmsg, recvmmsg) with its own small
/// writer (message_param_cb in emit.h), which knows only these kinds, and these
/// arguments: the fd in argument 0, the msghdr in argument 1.
#[test]
fn message_layouts_use_only_what_the_message_writer_knows() {
    let mut seen = 0;
    for &(nr, name) in crate::x86_64_syscalls::X86_64 {
        let l = layout_for(nr);
        if !l.each_message() {
            continue;
        }
        seen += 1;
        assert!(l.enter.is_empty(), "{name}: no enter event");
        assert!(l.exit.len() <= 8, "{name}: MESSAGE_MAX_PARAMS");
        for p in l.exit {
            assert!(
                matches!(
                    p,
                    Ret | Int(0) | RetSize | MsgIov(1) | Tuple(Some(0), _) | Empty
                ),
                "{name}: {p:?} is not a kind message_param_cb writes"
            );
        }
    }
    assert_eq!(seen, 2, "sendmmsg and recvmmsg");
}

/// The layouts with a rare kind are written by `param_rare_cb`, which knows
/// no other kinds than [`P::rare_cb_writes`]; the others by `param_cb`,
/// which no longer knows the rare ones.
#[test]
fn rare_layouts_use_only_what_the_rare_writer_knows() {
    let mut rare = Vec::new();
    for &(nr, name) in crate::x86_64_syscalls::X86_64 {
        let l = layout_for(nr);
        let flagged = l.encode(nr).expect("encodes").0[7] & 0x40 != 0;
        assert_eq!(flagged, l.is_rare(), "{name}: EXIT_RARE");
        if l.is_rare() {
            rare.push(name);
            assert!(!l.enter_at_entry, "{name}: the entry hooks use param_cb");
            for p in l.enter.iter().chain(l.exit) {
                assert!(
                    p.rare_cb_writes(),
                    "{name}: param_rare_cb cannot write {p:?}"
                );
            }
        }
    }
    assert_eq!(
        rare,
        ["setsockopt", "getsockopt", "prctl", "quotactl", "fsconfig"]
    );
}
