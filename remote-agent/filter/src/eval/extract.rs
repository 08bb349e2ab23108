//! Extraction: a field's value on one event, through the capture state.

use super::ancestors::ancestor;
use super::*;

/// The event's thread. libsinsp 0.23 creates an entry for a thread it has
/// not seen when a syscall event names it (name and executable the text
/// `<NA>`, so `proc.name="<NA>"` matches it; empty exepath, pid -1, no
/// parent, cwd `./`), kept for its later events (its procexit included),
/// and none for other events (a context switch of the idle thread has no
/// process fields); so do we, so that comparisons see
/// these values rather than a missing one exactly where sysdig 0.41 does.
/// sysdig 0.29 (asked for with `Generation::Sysdig029`) gave such a
/// thread pid = tid and cwd "".
pub(super) fn thread<'s>(ev: &Event<'_>, cx: &EvalContext<'s>) -> Option<Cow<'s, ThreadEntry>> {
    if ev.tid() == u64::MAX {
        return None;
    }
    Some(match cx.state.thread(ev.tid()) {
        Some(t) => Cow::Borrowed(t),
        None if cx.state.is_made_up(ev.tid())
            || ev
                .info()
                .is_some_and(|i| i.category & schema::cat::SYSCALL != 0) =>
        {
            let old = cx.state.generation().is_029();
            Cow::Owned(ThreadEntry {
                pid: if old { ev.tid() } else { u64::MAX },
                ptid: u64::MAX,
                comm: "<NA>".into(),
                exe: "<NA>".into(),
                cwd: if old { "" } else { "./" }.into(),
                ..ThreadEntry::default()
            })
        }
        None => return None,
    })
}

/// The event's thread for the user and group fields: sysdig 0.29 has none
/// for a thread it made up (the entry [`thread`] makes, not the table's).
fn user_thread<'s>(ev: &Event<'_>, cx: &EvalContext<'s>) -> Option<Cow<'s, ThreadEntry>> {
    match thread(ev, cx)? {
        Cow::Owned(_) if cx.state.generation().is_029() => None,
        t => Some(t),
    }
}

/// libs 0.23's name for an id it has no entry for: `root` for 0, else
/// `<NA>`, a value that exists (sysdig 0.29: none).
fn fallback_name(id: u32, cx: &EvalContext<'_>) -> Option<&'static str> {
    match id {
        _ if cx.state.generation().is_029() => None,
        0 => Some("root"),
        _ => Some("<NA>"),
    }
}

/// Whether the event's thread is one libsinsp made up for it (not in the
/// table): it has no parent at all, so `proc.ppid` is missing.
pub(super) fn made_up(ev: &Event<'_>, cx: &EvalContext<'_>) -> bool {
    cx.state.thread(ev.tid()).is_none()
}

/// `proc.cmdline`: the name followed by the arguments.
pub(super) fn cmdline(t: &ThreadEntry) -> String {
    let mut s = t.comm.clone();
    for a in &t.args {
        s.push(' ');
        s.push_str(a);
    }
    s
}

/// A text field of a thread, borrowed when the thread is in the table.
pub(super) fn owned<'a>(c: Cow<'a, ThreadEntry>, f: fn(&ThreadEntry) -> &str) -> Cow<'a, str> {
    match c {
        Cow::Borrowed(t) => Cow::Borrowed(f(t)),
        Cow::Owned(t) => Cow::Owned(f(&t).to_string()),
    }
}

/// `evt.rawarg.NAME` as text, as libs 0.23 prints it in an output: a
/// number in its parameter's print format (hexadecimal in capitals without
/// `0x`, the parameter's bytes as unsigned; octal), as sysdig 0.41 does;
/// 0.29 printed every number in decimal. Comparisons keep the number.
/// A byte buffer prints as text, a dot for each byte that is not printable
/// (`evt.arg` cuts it shorter), a number of the newest layout that an
/// older one lacks as 0.
pub(super) fn rawarg_text(sel: &ArgSel, ev: &Event<'_>, cx: &EvalContext<'_>) -> Option<String> {
    let Some((ev, i)) = arg_event(ev, sel, cx) else {
        // sysdig 0.29 has no converter: nothing.
        let converted = !cx.state.generation().is_029() && newest_only_number(ev, sel);
        return converted.then(|| "0".to_string());
    };
    let info = ev.info()?.params.get(i)?;
    let v = ev.param(i)?;
    let n = match info.ty {
        // An empty buffer: nothing (`evt.arg` says NULL).
        ParamType::Bytebuf if v.is_empty() => return Some(String::new()),
        ParamType::Bytebuf => {
            let mut s = String::new();
            match render::Names::buffer_format(cx.state) {
                // sysdig 0.41 prints a buffer's first 1021 bytes (an execve's
                // env of 3,400 bytes shows 1021 characters).
                render::BufferFormat::Dots => render::printable(&mut s, &v[..v.len().min(1021)]),
                fmt => render::push_buffer(&mut s, v, fmt),
            }
            return Some(s);
        }
        ParamType::Charbuf | ParamType::Fspath | ParamType::Fsrelpath => {
            return Some(value_str(v).into_owned())
        }
        _ => sint(v)?,
    };
    let bits = 8 * v.len().min(8);
    let raw = if bits == 64 {
        n as u64
    } else {
        n as u64 & ((1u64 << bits) - 1)
    };
    // sysdig 0.29 printed every number in decimal.
    Some(match info.fmt {
        _ if cx.state.generation().is_029() => n.to_string(),
        PrintFormat::Hex => format!("{raw:X}"),
        PrintFormat::Oct => format!("{raw:o}"),
        // An unsigned type unsigned (sysdig 0.41: pread's `pos`
        // 18446744073709547520, where `evt.arg` says -4096).
        _ if matches!(
            info.ty,
            ParamType::Uint8 | ParamType::Uint16 | ParamType::Uint32 | ParamType::Uint64
        ) =>
        {
            raw.to_string()
        }
        _ => n.to_string(),
    })
}

/// Whether `sel` names a number of the newest layout of `ev`'s exit that
/// `ev` (an older layout, its enter included) does not carry: libs 0.23's
/// converter adds it empty, and `evt.rawarg` reads that as 0 (`evt.arg` and
/// `evt.args` as `<NA>`).
fn newest_only_number(ev: &Event<'_>, sel: &ArgSel) -> bool {
    let ArgSel::Name(name) = sel else {
        return false;
    };
    // An exit recorded with no parameters (an old driver's setsockopt) is
    // left as it is; parameters newer than libs 0.23's layout are unknown.
    ev.direction() == Direction::Exit
        && ev.nparams() > 0
        && newest_exit(ev)
            .and_then(|i| {
                let at = i.param_index(name)?;
                (at < usize::from(i.libs023_nparams)).then(|| i.params.get(at))?
            })
            .is_some_and(|p| p.ty.fixed_size().is_some())
}

/// The event and index of an argument: an exit's own, or, by name, its
/// enter's, which libs 0.23 merges into the exit of an old layout (the
/// exit of `open` in a 2016 capture has no `flags`; libs 0.23 gives it the
/// enter's). sysdig 0.29 kept them apart.
fn arg_event<'a>(ev: &Event<'a>, sel: &ArgSel, cx: &EvalContext<'a>) -> Option<(Event<'a>, usize)> {
    if let Some(i) = param_index(ev, sel) {
        return Some((*ev, i));
    }
    // sysdig 0.29 keeps an exit's arguments apart from its enter's.
    if ev.direction() != Direction::Exit
        || !matches!(sel, ArgSel::Name(_))
        || cx.state.generation().is_029()
    {
        return None;
    }
    let enter = cx.state.last_enter(ev)?;
    let i = param_index(&enter, sel)?;
    Some((enter, i))
}

/// An exit's arguments as libs 0.23 shows them: its reader turns every
/// exit into the newest layout, so the list is that layout's, each
/// parameter taken from the exit, else from its enter (the arguments older
/// recorders wrote there), else `<NA>`.
fn exit_args(ev: &Event<'_>, cx: &EvalContext<'_>, out: &mut String) {
    // The generic event shows no arguments; nor does an exit recorded with
    // none (an old driver's setsockopt), which libs 0.23 leaves as it is.
    if ev.event_type() <= 1 || ev.nparams() == 0 {
        return;
    }
    // An older version of the event (execve's, with 16 parameters) is read
    // as the newest one, the others `<NA>`.
    let Some(info) = newest_exit(ev).or_else(|| ev.info()) else {
        return;
    };
    let enter = cx.state.last_enter(ev);
    let n = info
        .params
        .len()
        .min(usize::from(info.libs023_nparams).max(ev.nparams()));
    for p in info.params.iter().take(n) {
        out.push_str(p.name);
        out.push('=');
        let from = param_index(ev, &ArgSel::Name(p.name.into()))
            .map(|i| (*ev, i))
            .or_else(|| {
                let e = enter?;
                Some((e, param_index(&e, &ArgSel::Name(p.name.into()))?))
            });
        if let Some((e, i)) = from {
            if let Some(text) = libs023_param(&e, i, cx) {
                out.push_str(&text);
            }
        } else if let Some(n) = converted_zero(ev, p) {
            let value = scapbridge_formats::value::decode_bytes(ev, &ZERO[..n], p);
            render::push_value_libs023(ev.tid(), &value, Some(&Libs023Names(cx.state)), out);
        } else {
            out.push_str("<NA>");
        }
        out.push(' ');
    }
}

static ZERO: [u8; 32] = [0; 32];

/// The size of `p`, a parameter of the newest layout of `ev` (an old
/// layout's exit), when libs 0.23's converter gives it zero: a number its
/// enter would have carried, the enter not being in the capture (other
/// types it leaves empty, shown `<NA>`).
fn converted_zero(ev: &Event<'_>, p: &ParamInfo) -> Option<usize> {
    p.ty.fixed_size()
        .filter(|_| {
            schema::event_info(ev.event_type().wrapping_sub(1))
                .is_some_and(|i| i.param_index(p.name).is_some())
        })
        .map(|n| n.min(ZERO.len()))
}

/// The newest layout of `ev`'s syscall, which libs 0.23 reads every exit
/// as.
fn newest_exit(ev: &Event<'_>) -> Option<&'static EventInfo> {
    schema::ids_named(ev.name())
        .filter(|id| id % 2 == 1)
        .max()
        .and_then(schema::event_info)
}

/// Linux capability names by bit number.
const CAP_NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// A capability set as libsinsp writes it: the names of its bits, lowest
/// first, separated by spaces (empty for none).
fn cap_names(bits: u64) -> String {
    CAP_NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1u64 << i) != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parameter `i` of `ev` as libs 0.23 writes it in `evt.args`: an empty
/// string `<NA>` (the probe writes an argument it could not read empty),
/// an absolute time as a date, the rest as [`render::push_value_libs023`].
fn libs023_param(ev: &Event<'_>, i: usize, cx: &EvalContext<'_>) -> Option<String> {
    let q = ev.info()?.params.get(i)?;
    let v = ev.param(i)?;
    if v.is_empty() && is_text(q.ty) {
        return Some("<NA>".to_string());
    }
    if q.ty == ParamType::Abstime {
        return Some(crate::clock::local_datetime(sint(v)? as u64));
    }
    let mut out = String::new();
    let value = scapbridge_formats::value::decode_bytes(ev, v, q);
    render::push_value_libs023(ev.tid(), &value, Some(&Libs023Names(cx.state)), &mut out);
    Some(out)
}

fn is_text(ty: ParamType) -> bool {
    matches!(
        ty,
        ParamType::Charbuf | ParamType::Fspath | ParamType::Fsrelpath
    )
}

pub(super) fn param_index(ev: &Event<'_>, sel: &ArgSel) -> Option<usize> {
    match sel {
        ArgSel::Index(i) => (*i < ev.nparams()).then_some(*i),
        ArgSel::Name(n) => ev.info()?.param_index(n).filter(|i| *i < ev.nparams()),
    }
}

pub(super) fn extract<'a>(f: &Field, ev: &Event<'a>, cx: &EvalContext<'a>) -> Option<Value<'a>> {
    use Field::*;
    // libsinsp's result: the exit event's first parameter when it is a
    // number (`res`, `fd` for socket, the new break for brk).
    let res = || -> Option<i64> {
        if ev.direction() != Direction::Exit {
            return None;
        }
        let p0 = ev.info()?.params.first()?;
        // A generic event's first parameter is the syscall's id, not its
        // result: libs has no result for it.
        if matches!(
            p0.ty,
            ParamType::Syscallid
                | ParamType::Charbuf
                | ParamType::Bytebuf
                | ParamType::Fspath
                | ParamType::Sockaddr
                | ParamType::Socktuple
        ) {
            return None;
        }
        sint(ev.param(0)?)
    };
    Some(match f {
        EvtType => Value::Str(cx.state.type_name(ev)),
        EvtDir => Value::Str(Cow::Borrowed(if ev.direction() == Direction::Enter {
            ">"
        } else {
            "<"
        })),
        EvtNum => Value::Num(cx.num as i64),
        // Nanoseconds since 1970 fit an i64 until 2262.
        EvtRawTime => Value::Num(ev.ts() as i64),
        EvtTime => Value::Str(Cow::Owned(crate::clock::local_time(ev.ts()))),
        EvtDatetime => Value::Str(Cow::Owned(crate::clock::local_datetime(ev.ts()))),
        Time(part) => {
            let prev = cx.state.prev_ts();
            time_part(*part, ev, cx, prev)?
        }
        EvtCategory => {
            let info = ev.info()?;
            use schema::cat::{IO_OTHER, IO_READ, IO_WRITE, SUBCATEGORY_MASK};
            let generic = ev.event_type() & !1 == schema::PPME_GENERIC_E;
            if generic && cx.state.generation().is_029() {
                let name = render::type_name(ev);
                match scapbridge_formats::generation::sysdig029_generic_category(&name) {
                    // Named after its fd, which a generic event has none of.
                    "I/O" => return Some(Value::Str(Cow::Borrowed("unknown"))),
                    c => return Some(Value::Str(Cow::Borrowed(c))),
                }
            }
            if !matches!(
                info.category & SUBCATEGORY_MASK,
                IO_READ | IO_WRITE | IO_OTHER
            ) {
                return Some(Value::Str(Cow::Borrowed(info.category_name())));
            }
            // libsinsp names an I/O event's category by what its fd is
            // (a timerfd, an unknown fd: "unknown").
            let typechar = event_fd(ev, cx)
                .and_then(|fd| cx.state.fd(ev.tid(), fd))
                .map(|e| e.typechar);
            Value::Str(Cow::Borrowed(match typechar {
                Some(b'f' | b'd') => "file",
                Some(b'4' | b'6') => "net",
                Some(b'p' | b'u' | b'e' | b's' | b'i') => "ipc",
                _ => "unknown",
            }))
        }
        EvtIsIo(which) => {
            let flags = ev.info()?.flags;
            let mut io = 0u8;
            if flags & schema::ef::READS_FROM_FD != 0 {
                io |= 1;
            }
            if flags & schema::ef::WRITES_TO_FD != 0 {
                io |= 2;
            }
            Value::Bool(io & which != 0)
        }
        // libsinsp: an I/O exit's non-negative result, when the event's fd
        // is in the table (none for an fd opened before the capture).
        EvtBuflen => {
            let i = ev.info()?;
            if ev.direction() != Direction::Exit || i.category & 32 == 0 {
                return None;
            }
            cx.state.fd(ev.tid(), event_fd(ev, cx)?)?;
            Value::Num(res().filter(|r| *r >= 0)?)
        }
        EvtCpu => Value::Num(i64::from(ev.cpu)),
        EvtRawRes => Value::Num(res()?),
        EvtRes => {
            let r = res()?;
            if r >= 0 {
                Value::Str(Cow::Borrowed("SUCCESS"))
            } else {
                Value::Str(Cow::Borrowed(schema::errno_name(r.unsigned_abs())?))
            }
        }
        // libs 0.23: none for an event without a result (a switch, an old
        // driver's mprotect exit); libs 0.21 (sysdig 0.29) said false.
        EvtFailed => match res() {
            Some(r) => Value::Bool(r < 0),
            None if cx.state.generation().is_029() => Value::Bool(false),
            None => return None,
        },
        EvtArg(sel) => {
            let Some((ev, i)) = arg_event(ev, sel, cx) else {
                // An old exit whose enter came before the capture: the zero
                // libs 0.23 gives it, resolved (fd 0 names the fd).
                let ArgSel::Name(name) = sel else { return None };
                if ev.direction() != Direction::Exit || cx.state.generation().is_029() {
                    return None;
                }
                let p = newest_exit(ev)?.params.iter().find(|p| p.name == name)?;
                let Some(n) = converted_zero(ev, p) else {
                    // A number of the newest layout the old one lacks (an
                    // old execve's `flags`): there, empty; it exists and
                    // prints `<NA>` in libs 0.23.
                    return newest_only_number(ev, sel)
                        .then_some(Value::Str(Cow::Borrowed("<NA>")));
                };
                let value = scapbridge_formats::value::decode_bytes(ev, &ZERO[..n], p);
                let mut s = String::new();
                render::push_resolved(ev.tid(), &value, Some(&Libs023Names(cx.state)), &mut s);
                return Some(Value::Str(Cow::Owned(s)));
            };
            let info = ev.info()?.params.get(i)?;
            let v = ev.param(i)?;
            if v.is_empty() && is_text(info.ty) {
                return None;
            }
            if info.ty == ParamType::Abstime {
                return Some(Value::Str(Cow::Owned(crate::clock::local_datetime(
                    sint(v)? as u64,
                ))));
            }
            let mut s = String::new();
            // sysdig 0.29 prints a value as its text line does (mmap's
            // result in hex, a user by name, no fd learnt from a send).
            let libs023 = Libs023Names(cx.state);
            let names: &dyn render::Names = if cx.state.generation().is_029() {
                cx.state
            } else {
                &libs023
            };
            render::arg(&ev, i, info, Some(names), &mut s);
            Value::Str(Cow::Owned(s))
        }
        EvtBuffer => {
            let (ev, i) = arg_event(ev, &ArgSel::Name("data".into()), cx)?;
            Value::Bytes(Cow::Borrowed(ev.param(i)?))
        }
        EvtRawArg(sel) => {
            // A number of the newest layout an old exit lacks prints as 0
            // (`rawarg_text`) but matches nothing in libs 0.23.
            let (ev, i) = arg_event(ev, sel, cx)?;
            let info = ev.info()?.params.get(i)?;
            let v = ev.param(i)?;
            match info.ty {
                ParamType::Charbuf
                | ParamType::Fspath
                | ParamType::Fsrelpath
                | ParamType::Bytebuf => Value::Str(value_str(v)),
                ty => Value::Raw(RawNum {
                    bits: scapbridge_formats::event::value_u64(v)?,
                    width: 8 * v.len() as u32,
                    signed: matches!(
                        ty,
                        ParamType::Int8
                            | ParamType::Int16
                            | ParamType::Int32
                            | ParamType::Int64
                            | ParamType::Errno
                            | ParamType::Fd
                            | ParamType::Pid
                            | ParamType::Fd32
                            | ParamType::Pid32
                    ),
                }),
            }
        }
        ThreadTid => Value::Num(ev.tid() as i64),
        ProcPid => Value::Num(thread(ev, cx)?.pid as i64),
        ProcPpid => {
            let t = thread(ev, cx)?;
            let old = cx.state.generation().is_029();
            if made_up(ev, cx) {
                // sysdig 0.29: -1 for a thread it made up.
                return old.then_some(Value::Num(-1));
            }
            if old {
                // sysdig 0.29: its main thread's parent thread id, known
                // or not (a thread's own parent is the thread that made it).
                let ptid = match cx.state.thread(t.pid) {
                    Some(main) if t.pid != ev.tid() => main.ptid,
                    _ => t.ptid,
                };
                return Some(Value::Num(if ptid == u64::MAX { -1 } else { ptid as i64 }));
            }
            if t.ptid == u64::MAX {
                Value::Num(-1)
            } else {
                // libs 0.23 has no parent pid for a parent it has not
                // seen.
                Value::Num(cx.state.thread(t.ptid)?.pid as i64)
            }
        }
        ProcName => Value::Str(owned(thread(ev, cx)?, |t| &t.comm)),
        Parent(attr) => return Some(attr.of(ancestor(ev, cx, 1)?)),
        ProcExe => Value::Str(owned(thread(ev, cx)?, |t| &t.exe)),
        ProcExepath => Value::Str(owned(thread(ev, cx)?, |t| &t.exepath)),
        ProcArgs => Value::Str(Cow::Owned(thread(ev, cx)?.args.join(" "))),
        ProcCmdline => Value::Str(Cow::Owned(cmdline(&*thread(ev, cx)?))),
        ProcCwd => Value::Str(owned(thread(ev, cx)?, |t| &t.cwd)),
        UserUid => Value::Num(i64::from(user_thread(ev, cx)?.uid)),
        ProcTty => Value::Num(i64::from(thread(ev, cx)?.tty)),
        UserLoginuid => {
            let l = thread(ev, cx)?.loginuid;
            Value::Num(if l == u32::MAX { -1 } else { i64::from(l) })
        }
        ProcExeIno(which) => {
            let e = thread(ev, cx)?.exe_ino;
            let v = match which {
                ExeIno::Ino => e.ino,
                ExeIno::Ctime => e.ctime,
                ExeIno::Mtime => e.mtime,
                ExeIno::CtimeToClone => e.ctime_to_clone,
            };
            // libsinsp: 0 is "not known", the field is missing.
            if v == 0 {
                return None;
            }
            Value::Num(v as i64)
        }
        ThreadCap(set) => {
            let c = thread(ev, cx)?.caps;
            let bits = match set {
                CapSet::Inheritable => c.inheritable,
                CapSet::Permitted => c.permitted,
                CapSet::Effective => c.effective,
            };
            Value::Str(Cow::Owned(cap_names(bits)))
        }
        GroupId(g) => Value::Num(g.id(thread(ev, cx)?.as_ref()) as i64),
        GroupLeader(g, part) => Value::Str(Cow::Owned(groups::leader(ev, cx, *g, *part)?)),
        IsGroupLeader(g) => Value::Bool(g.is_leader(thread(ev, cx)?.as_ref())),
        // Missing when not known (a thread libsinsp made up).
        ProcVpid => match thread(ev, cx)?.vpid {
            u64::MAX => return None,
            v => Value::Num(v as i64),
        },
        ThreadVtid => match thread(ev, cx)?.vtid {
            u64::MAX => return None,
            v => Value::Num(v as i64),
        },
        ProcExeFlag(bit) => Value::Bool(thread(ev, cx)?.exe_flags & bit != 0),
        UserName => {
            let uid = user_thread(ev, cx)?.uid;
            let name = cx.state.user_name_for(ev.tid(), uid);
            Value::Str(Cow::Borrowed(name.or_else(|| fallback_name(uid, cx))?))
        }
        UserLoginname => {
            let id = thread(ev, cx)?.loginuid;
            let name = cx.state.user_name_for(ev.tid(), id);
            Value::Str(Cow::Borrowed(
                name.or_else(|| fallback_name(id, cx)).unwrap_or("<NA>"),
            ))
        }
        GroupGid => Value::Num(i64::from(user_thread(ev, cx)?.gid)),
        GroupName => {
            let gid = user_thread(ev, cx)?.gid;
            let name = cx.state.group_name_for(ev.tid(), gid);
            Value::Str(Cow::Borrowed(name.or_else(|| fallback_name(gid, cx))?))
        }
        Ancestor(attr, n) => return ancestors::extract(*attr, *n, ev, cx),
        EvtArgs => {
            let mut s = String::new();
            let old = cx.state.generation().is_029();
            if ev.direction() == Direction::Exit && !old {
                exit_args(ev, cx, &mut s);
            } else {
                // sysdig 0.29: an exit's own parameters, as its text line.
                render::args(ev, Some(cx.state), &mut s);
            }
            // The space after the last parameter goes (0.29 keeps it); the
            // value's own trailing white space stays (a container event's
            // JSON ends in a newline, which sysdig 0.41 prints).
            if s.ends_with(' ') && !old {
                s.pop();
            }
            Value::Str(Cow::Owned(s))
        }
        EvtIsOpenRead | EvtIsOpenWrite => {
            let is_open = matches!(
                ev.name(),
                "open" | "openat" | "openat2" | "open_by_handle_at" | "creat"
            ) && ev.direction() == Direction::Exit;
            let flags = if is_open {
                cx.state.arg(ev, "flags").and_then(sint).unwrap_or(0)
            } else {
                0
            };
            // PPM_O_RDONLY = 1, PPM_O_WRONLY = 2 (O_RDWR sets both).
            Value::Bool(is_open && flags & if *f == EvtIsOpenRead { 1 } else { 2 } != 0)
        }
        Container(c) => return super::container::extract(c, ev, cx),
        EvtTimeIso8601 => Value::Str(Cow::Owned(crate::clock::rfc3339(ev.ts()))),
        Plugin(f) => {
            let v = f.0.extract(ev, cx.num)?;
            match v.num {
                Some(n) if f.0.is_numeric() => Value::Num(n),
                _ => Value::Str(v.text),
            }
        }
        Unavailable(_) => return None,
        FdNameraw | FdL4proto | FdSip | FdCip | FdSport | FdCport | FdLport | FdRport
        | FdConnected | FdNameChanged | FdIp | FdNet | FdSnet | FdCnet | FdLip | FdRip | FdLnet
        | FdRnet | FdIsServer | FdNum | FdSockfamily | FdName | FdType | FdTypechar
        | FdDirectory | FdFilename => return fd_field(f, ev, cx),
    })
}

/// A time field's value; `prev` is the time `evt.deltatime` counts from
/// (none: 0, as libsinsp's first).
pub(super) fn time_part(
    part: TimePart,
    ev: &Event<'_>,
    cx: &EvalContext<'_>,
    prev: Option<u64>,
) -> Option<Value<'static>> {
    const NS: u64 = 1_000_000_000;
    let ts = ev.ts();
    let secs = |t: &str| t.split_once('.').map_or(t, |(s, _)| s).to_string();
    let latency = || cx.state.latency();
    let n = match part {
        TimePart::RawS => ts / NS,
        TimePart::RawNs => ts % NS,
        TimePart::TimeS => {
            return Some(Value::Str(Cow::Owned(secs(&crate::clock::local_time(ts)))))
        }
        TimePart::DatetimeS => {
            return Some(Value::Str(Cow::Owned(secs(&crate::clock::local_datetime(
                ts,
            )))))
        }
        TimePart::Rel => ts.wrapping_sub(cx.state.first_ts()?),
        TimePart::RelS => ts.wrapping_sub(cx.state.first_ts()?) / NS,
        TimePart::RelNs => ts.wrapping_sub(cx.state.first_ts()?) % NS,
        TimePart::Latency => latency()?,
        TimePart::LatencyS => latency()? / NS,
        TimePart::LatencyNs => latency()? % NS,
        TimePart::LatencyHuman => return Some(Value::Str(Cow::Owned(human_ns(latency()?)))),
        TimePart::Delta | TimePart::DeltaS | TimePart::DeltaNs => {
            let d = prev.map_or(0, |p| ts.wrapping_sub(p));
            match part {
                TimePart::DeltaS => d / NS,
                TimePart::DeltaNs => d % NS,
                _ => d,
            }
        }
    };
    Some(Value::Num(n as i64))
}

/// Nanoseconds as libsinsp's `evt.latency.human` writes them: the largest
/// unit they reach, two decimals cut (not rounded) below 10 of it, none
/// from 10 on (`653ns`, `3.12us`, `17us`, `1.03ms`, `213ms`, `3.11s`).
pub(super) fn human_ns(v: u64) -> String {
    let (unit, name) = match v {
        0..=999 => return format!("{v}ns"),
        1_000..=999_999 => (1_000, "us"),
        1_000_000..=999_999_999 => (1_000_000, "ms"),
        _ => (1_000_000_000, "s"),
    };
    if v / unit < 10 {
        format!("{}.{:02}{name}", v / unit, (v % unit) * 100 / unit)
    } else {
        format!("{}{name}", v / unit)
    }
}
