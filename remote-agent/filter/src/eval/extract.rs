//! Extraction: a field's value on one event, through the capture state.

use super::*;

/// The event's thread. libsinsp 0.23 creates an entry for a thread it has
/// not seen when a syscall event names it (name and executable the text
/// `<NA>`, so `proc.name="<NA>"` matches it; empty exepath, pid -1, no
/// parent, cwd `./`), and none for other events (a context switch of the
/// idle thread has no process fields); so do we, so that comparisons see
/// these values rather than a missing one exactly where sysdig 0.41 does.
/// (sysdig 0.29 gave such a thread pid = tid and cwd "".)
pub(super) fn thread<'s>(ev: &Event<'_>, cx: &EvalContext<'s>) -> Option<Cow<'s, ThreadEntry>> {
    if ev.tid() == u64::MAX {
        return None;
    }
    Some(match cx.state.thread(ev.tid()) {
        Some(t) => Cow::Borrowed(t),
        None if ev
            .info()
            .is_some_and(|i| i.category & schema::cat::SYSCALL != 0) =>
        {
            Cow::Owned(ThreadEntry {
                pid: u64::MAX,
                ptid: u64::MAX,
                comm: "<NA>".into(),
                exe: "<NA>".into(),
                cwd: "./".into(),
                ..ThreadEntry::default()
            })
        }
        None => return None,
    })
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

/// Ancestor `n` of the event's thread (0 = itself), borrowed from the table.
pub(super) fn ancestor<'s>(
    ev: &Event<'_>,
    cx: &EvalContext<'s>,
    n: usize,
) -> Option<Cow<'s, ThreadEntry>> {
    let mut t = thread(ev, cx)?;
    for _ in 0..n {
        t = Cow::Borrowed(cx.state.thread(t.ptid)?);
    }
    Some(t)
}

/// `proc.sname` as libsinsp finds it: outside a pid namespace the thread
/// whose id is the session id (a session id is its leader's pid); else,
/// or when that leader is gone, the highest ancestor of the process's main
/// thread still in the same session. A container's threads stand for a
/// pid namespace (its session ids are the namespace's numbers).
fn session_leader(ev: &Event<'_>, cx: &EvalContext<'_>) -> Option<String> {
    let t = thread(ev, cx)?;
    let sid = t.sid;
    if t.container_id.is_empty() {
        if let Some(leader) = cx.state.thread(sid) {
            return Some(leader.comm.clone());
        }
    }
    let mut mt: &ThreadEntry = match cx.state.thread(t.pid) {
        Some(m) => m,
        None => return Some(t.comm.clone()),
    };
    // Bounded: a parent loop in a damaged capture must not hang.
    for _ in 0..4096 {
        match cx.state.thread(mt.ptid) {
            Some(p) if p.sid == sid && !std::ptr::eq(p, mt) => mt = p,
            _ => break,
        }
    }
    Some(mt.comm.clone())
}

/// A text field of a thread, borrowed when the thread is in the table.
pub(super) fn owned<'a>(c: Cow<'a, ThreadEntry>, f: fn(&ThreadEntry) -> &str) -> Cow<'a, str> {
    match c {
        Cow::Borrowed(t) => Cow::Borrowed(f(t)),
        Cow::Owned(t) => Cow::Owned(f(&t).to_string()),
    }
}

/// The fd an event works on, as libsinsp picks it: the result of an exit
/// that creates one; otherwise, for events that use an fd, the first
/// parameter when it is an fd (of the event, or of its enter event for an
/// exit). Events whose fd is elsewhere (mmap) have none.
pub(super) fn event_fd(ev: &Event<'_>, cx: &EvalContext<'_>) -> Option<i64> {
    let info = ev.info()?;
    if info.flags & schema::ef::CREATES_FD != 0 && ev.direction() == Direction::Exit {
        let res = sint(ev.param(0)?)?;
        // A failed open has fd -1 in libs 0.23 (its fd fields then come
        // from the event: see `unknown_fd`); sysdig 0.29 had none.
        return match res {
            // libs 0.23's fd of a pipe is the second one it made.
            r if r >= 0 && matches!(ev.name(), "pipe" | "pipe2") => sint(cx.state.arg(ev, "fd2")?),
            r if r >= 0 => Some(r),
            _ if is_open(ev) => Some(-1),
            _ => None,
        };
    }
    let uses_fd = info.flags & schema::ef::USES_FD != 0;
    let fd_first = |e: &Event<'_>| {
        e.info()
            .and_then(|i| i.params.first())
            .is_some_and(|p| matches!(p.ty, ParamType::Fd | ParamType::Fd32))
    };
    if ev.direction() == Direction::Enter {
        return if uses_fd && fd_first(ev) {
            sint(ev.param(0)?)
        } else {
            None
        };
    }
    if uses_fd && fd_first(ev) && info.params.first()?.name == "fd" {
        return sint(ev.param(0)?);
    }
    // An exit an old driver wrote with no parameters (setsockopt): libs
    // 0.23 gives it fd -1.
    if ev.nparams() == 0 && uses_fd && info.param_index("fd").is_some() {
        return Some(-1);
    }
    // libs 0.23 reads an exit's fd where its layout has it (mmap's exit
    // carries `fd` after the result), and merges an old layout's enter
    // parameters into the exit, so the enter's `fd` counts wherever it is
    // (sysdig 0.29 took only an enter's first parameter, and none for mmap).
    if let Some(v) = ev.param_by_name("fd").filter(|v| !v.is_empty()) {
        return sint(v);
    }
    // newfstatat and mknodat work on their `dirfd` (libs 0.23).
    if let Some(v) = ev
        .param_by_name("dirfd")
        .filter(|v| uses_fd && !v.is_empty())
    {
        return sint(v);
    }
    let Some(enter) = cx.state.last_enter(ev) else {
        // An old layout's exit whose enter came before the capture: libs
        // 0.23's converter gives it the enter's parameters as zeros, so
        // its fd is 0.
        let converted = ev.nparams() < usize::from(info.libs023_nparams);
        let enter_has_fd = schema::event_info(ev.event_type().wrapping_sub(1))
            .is_some_and(|i| i.param_index("fd").is_some());
        return (uses_fd && converted && enter_has_fd).then_some(0);
    };
    if uses_fd && fd_first(&enter) {
        sint(enter.param(0)?)
    } else {
        sint(enter.param_by_name("fd")?)
    }
}

/// The event and index of an argument: an exit's own, or, by name, its
/// enter's, which libs 0.23 merges into the exit of an old layout (the
/// exit of `open` in a 2016 capture has no `flags`; libs 0.23 gives it the
/// enter's). sysdig 0.29 kept them apart.
fn arg_event<'a>(ev: &Event<'a>, sel: &ArgSel, cx: &EvalContext<'a>) -> Option<(Event<'a>, usize)> {
    if let Some(i) = param_index(ev, sel) {
        return Some((*ev, i));
    }
    if ev.direction() != Direction::Exit || !matches!(sel, ArgSel::Name(_)) {
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
    let newest = schema::ids_named(ev.name())
        .filter(|id| id % 2 == 1)
        .max()
        .and_then(schema::event_info);
    let Some(info) = newest.or_else(|| ev.info()) else {
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
            let q = e.info().and_then(|info| info.params.get(i));
            if let (Some(q), Some(v)) = (q, e.param(i)) {
                let value = scapbridge_formats::value::decode_bytes(&e, v, q);
                render::push_value_libs023(e.tid(), &value, Some(&Libs023Names(cx.state)), out);
            }
        } else if let Some(n) = p.ty.fixed_size().filter(|_| {
            schema::event_info(ev.event_type().wrapping_sub(1))
                .is_some_and(|i| i.param_index(p.name).is_some())
        }) {
            // A number its enter would have carried, the enter not being
            // there: libs 0.23's converter writes zero (and nothing for
            // the other types, shown `<NA>`).
            static ZERO: [u8; 32] = [0; 32];
            let value = scapbridge_formats::value::decode_bytes(ev, &ZERO[..n.min(32)], p);
            render::push_value_libs023(ev.tid(), &value, Some(&Libs023Names(cx.state)), out);
        } else {
            out.push_str("<NA>");
        }
        out.push(' ');
    }
}

/// An open-family exit (the events whose fd fields libs 0.23 takes from
/// the event's own path when the open failed).
fn is_open(ev: &Event<'_>) -> bool {
    matches!(ev.name(), "open" | "openat" | "openat2" | "creat")
}

/// The fd entry libs 0.23 gives an event whose fd is not in the table: of
/// unknown type (`o`), named, for a failed open, by the path asked for,
/// else empty (an anonymous mmap's -1, an fd opened before the capture).
/// A failed open recorded in the current layout (its exit complete, as our
/// probe writes it) is a file (`f`); one of an older, shorter layout (2016
/// and 2018 captures), which libs 0.23 converts, stays `o` (seen, not
/// derived from its source).
fn unknown_fd(ev: &Event<'_>, cx: &EvalContext<'_>) -> FdEntry {
    let failed_open = is_open(ev) && ev.direction() == Direction::Exit;
    let name = failed_open
        .then(|| cx.state.arg(ev, "name"))
        .flatten()
        .map(|n| value_str(n).into_owned())
        .unwrap_or_default();
    let complete = ev
        .info()
        .is_some_and(|i| ev.nparams() >= usize::from(i.libs023_nparams));
    FdEntry {
        typechar: if failed_open && complete { b'f' } else { b'o' },
        name,
        ..FdEntry::default()
    }
}

/// The name of an errno, the kernel's own restart codes included (a
/// syscall interrupted by a signal returns -514, ERESTARTNOHAND, to the
/// probe; libs names them).
fn errno_name(e: u64) -> Option<&'static str> {
    schema::errno_name(e).or(match e {
        512 => Some("ERESTARTSYS"),
        513 => Some("ERESTARTNOINTR"),
        514 => Some("ERESTARTNOHAND"),
        515 => Some("ENOIOCTLCMD"),
        516 => Some("ERESTART_RESTARTBLOCK"),
        _ => None,
    })
}

pub(super) fn param_index(ev: &Event<'_>, sel: &ArgSel) -> Option<usize> {
    match sel {
        ArgSel::Index(i) => (*i < ev.nparams()).then_some(*i),
        ArgSel::Name(n) => ev.info()?.param_index(n).filter(|i| *i < ev.nparams()),
    }
}

pub(super) fn fd_type_name(c: u8) -> &'static str {
    match c {
        b'f' => "file",
        b'd' => "directory",
        b'4' => "ipv4",
        b'6' => "ipv6",
        b'u' => "unix",
        b'p' => "pipe",
        b'e' => "event",
        b's' => "signalfd",
        b'l' => "eventpoll",
        b'i' => "inotify",
        b't' => "timerfd",
        b'n' => "netlink",
        b'b' => "bpf",
        b'r' => "io_uring",
        b'm' => "memfd",
        b'P' => "pidfd",
        _ => "unknown",
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
        EvtType => Value::Str(render::type_name(ev)),
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
        EvtCategory => {
            let info = ev.info()?;
            use schema::cat::{IO_OTHER, IO_READ, IO_WRITE, SUBCATEGORY_MASK};
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
                Value::Str(Cow::Borrowed(errno_name(r.unsigned_abs())?))
            }
        }
        EvtFailed => Value::Bool(res().is_some_and(|r| r < 0)),
        EvtArg(sel) => {
            let (ev, i) = arg_event(ev, sel, cx)?;
            let info = ev.info()?.params.get(i)?;
            let mut s = String::new();
            render::arg(&ev, i, info, Some(&Libs023Names(cx.state)), &mut s);
            Value::Str(Cow::Owned(s))
        }
        EvtBuffer => {
            let (ev, i) = arg_event(ev, &ArgSel::Name("data".into()), cx)?;
            Value::Bytes(Cow::Borrowed(ev.param(i)?))
        }
        EvtRawArg(sel) => {
            let (ev, i) = arg_event(ev, sel, cx)?;
            let info = ev.info()?.params.get(i)?;
            let v = ev.param(i)?;
            match info.ty {
                ParamType::Charbuf
                | ParamType::Fspath
                | ParamType::Fsrelpath
                | ParamType::Bytebuf => Value::Str(value_str(v)),
                _ => Value::Num(sint(v)?),
            }
        }
        ThreadTid => Value::Num(ev.tid() as i64),
        ProcPid => Value::Num(thread(ev, cx)?.pid as i64),
        ProcPpid => {
            let t = thread(ev, cx)?;
            if made_up(ev, cx) {
                return None;
            }
            if t.ptid == u64::MAX {
                Value::Num(-1)
            } else {
                // libs 0.23 has no parent pid for a parent it has not
                // seen (sysdig 0.29 gave the parent's thread id).
                Value::Num(cx.state.thread(t.ptid)?.pid as i64)
            }
        }
        ProcName => Value::Str(owned(thread(ev, cx)?, |t| &t.comm)),
        ProcPname => Value::Str(owned(ancestor(ev, cx, 1)?, |t| &t.comm)),
        ProcExe => Value::Str(owned(thread(ev, cx)?, |t| &t.exe)),
        ProcExepath => Value::Str(owned(thread(ev, cx)?, |t| &t.exepath)),
        ProcArgs => Value::Str(Cow::Owned(thread(ev, cx)?.args.join(" "))),
        ProcCmdline => Value::Str(Cow::Owned(cmdline(&*thread(ev, cx)?))),
        ProcCwd => Value::Str(owned(thread(ev, cx)?, |t| &t.cwd)),
        UserUid => Value::Num(i64::from(thread(ev, cx)?.uid)),
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
        ProcSid => Value::Num(thread(ev, cx)?.sid as i64),
        ProcSname => Value::Str(Cow::Owned(session_leader(ev, cx)?)),
        // PPM_EXE_UPPER_LAYER.
        ProcIsExeUpperLayer => Value::Bool(thread(ev, cx)?.exe_flags & 0x2 != 0),
        // libs 0.23 names a user or group it has no entry for "<NA>", a
        // value that exists (sysdig 0.29: missing).
        UserName => Value::Str(Cow::Borrowed(
            cx.state.user_name(thread(ev, cx)?.uid).unwrap_or("<NA>"),
        )),
        UserLoginname => Value::Str(Cow::Borrowed(
            cx.state
                .user_name(thread(ev, cx)?.loginuid)
                .unwrap_or("<NA>"),
        )),
        GroupGid => Value::Num(i64::from(thread(ev, cx)?.gid)),
        GroupName => Value::Str(Cow::Borrowed(
            cx.state.group_name(thread(ev, cx)?.gid).unwrap_or("<NA>"),
        )),
        ProcAname(Some(n)) => Value::Str(owned(ancestor(ev, cx, *n)?, |t| &t.comm)),
        ProcAname(None) => {
            // Every ancestor (not the process itself), borrowed from the
            // table; bounded against loops in a corrupt table.
            let start = thread(ev, cx)?;
            let (mut pid, mut comm, mut ptid) = (start.pid, start.comm.as_str(), start.ptid);
            let mut names = Vec::new();
            for _ in 0..64 {
                match cx.state.thread(ptid) {
                    Some(p) if p.pid != pid || p.comm != comm => {
                        names.push(p.comm.as_str());
                        (pid, comm, ptid) = (p.pid, p.comm.as_str(), p.ptid);
                    }
                    _ => break,
                }
            }
            Value::Multi(names)
        }
        ProcAexepath(n) => Value::Str(owned(ancestor(ev, cx, *n)?, |t| &t.exepath)),
        ProcPcmdline => Value::Str(Cow::Owned(cmdline(&*ancestor(ev, cx, 1)?))),
        ProcPexe => Value::Str(owned(ancestor(ev, cx, 1)?, |t| &t.exe)),
        ProcPexepath => Value::Str(owned(ancestor(ev, cx, 1)?, |t| &t.exepath)),
        EvtArgs => {
            let mut s = String::new();
            if ev.direction() == Direction::Exit {
                exit_args(ev, cx, &mut s);
            } else {
                render::args(ev, Some(cx.state), &mut s);
            }
            Value::Str(Cow::Owned(s.trim_end().to_string()))
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
        FdNameraw => {
            if matches!(ev.name(), "open" | "openat" | "openat2" | "creat") {
                if let Some(v) = ev.param_by_name("name") {
                    return Some(Value::Str(value_str(v)));
                }
            }
            let fd = event_fd(ev, cx)?;
            // libs 0.23 keeps a raw name for files only: a socket's or a
            // pipe's is empty.
            match cx.state.fd(ev.tid(), fd) {
                Some(e) if matches!(e.typechar, b'f' | b'd') => {
                    Value::Str(Cow::Borrowed(e.name.as_str()))
                }
                Some(_) => Value::Str(Cow::Borrowed("")),
                None => Value::Str(Cow::Owned(unknown_fd(ev, cx).name)),
            }
        }
        FdL4proto | FdSip | FdCip | FdSport | FdCport | FdLport | FdRport | FdConnected
        | FdNameChanged | FdIp | FdNet | FdSnet => {
            let fd = event_fd(ev, cx)?;
            let e = cx.state.fd(ev.tid(), fd)?;
            if *f == FdNameChanged {
                return Some(Value::Bool(false));
            }
            if *f == FdL4proto {
                return Some(Value::Str(Cow::Borrowed(match e.l4 {
                    b't' => "tcp",
                    b'u' => "udp",
                    b'r' => "raw",
                    b'i' => "icmp",
                    _ => return None,
                })));
            }
            if !matches!(e.typechar, b'4' | b'6') {
                return if *f == FdConnected {
                    Some(Value::Bool(false))
                } else {
                    None
                };
            }
            // fd.name of an inet socket: "cip:cport->sip:sport".
            let tuple = e.name.split_once("->");
            if *f == FdConnected {
                return Some(Value::Bool(tuple.is_some()));
            }
            let (c, srv) = tuple?;
            let split = |ep: &str| -> Option<(std::net::IpAddr, i64)> {
                let (ip, port) = ep.rsplit_once(':')?;
                Some((
                    ip.trim_matches(|ch| ch == '[' || ch == ']').parse().ok()?,
                    port.parse().ok()?,
                ))
            };
            let (cip, cport) = split(c)?;
            let (sip, sport) = split(srv)?;
            match f {
                FdSip => Value::Ips(vec![sip]),
                FdCip => Value::Ips(vec![cip]),
                FdIp | FdNet => Value::Ips(vec![cip, sip]),
                FdSnet => Value::Ips(vec![sip]),
                FdSport | FdRport => Value::Num(sport),
                FdCport | FdLport => Value::Num(cport),
                _ => return None,
            }
        }
        FdNum => Value::Num(event_fd(ev, cx)?),
        FdSockfamily => {
            let fd = event_fd(ev, cx)?;
            match cx.state.fd(ev.tid(), fd)?.typechar {
                b'4' | b'6' => Value::Str(Cow::Borrowed("ip")),
                b'u' => Value::Str(Cow::Borrowed("unix")),
                _ => return None,
            }
        }
        FdName | FdType | FdTypechar | FdDirectory | FdFilename => {
            let fd = event_fd(ev, cx)?;
            let e = match cx.state.fd(ev.tid(), fd) {
                Some(e) => Cow::Borrowed(e),
                // libs 0.23 answers name, type character and directory of
                // a failed open from its path, not its type or file name.
                None if matches!(f, FdType | FdFilename) => return None,
                None => Cow::Owned(unknown_fd(ev, cx)),
            };
            let name = |e: Cow<'a, FdEntry>| -> Cow<'a, str> {
                match e {
                    Cow::Borrowed(e) => Cow::Borrowed(e.name.as_str()),
                    Cow::Owned(e) => Cow::Owned(e.name),
                }
            };
            match f {
                FdName => Value::Str(name(e)),
                FdType => Value::Str(Cow::Borrowed(fd_type_name(e.typechar))),
                FdTypechar => Value::Str(Cow::Owned(char::from(e.typechar).to_string())),
                // libs 0.23's fd of unknown type: no file name, and the
                // directory of its path, `/` when it has none.
                FdDirectory if e.typechar == b'o' => {
                    let dir = e.name.rsplit_once('/').map_or("", |(d, _)| d);
                    Value::Str(Cow::Owned(
                        if dir.is_empty() { "/" } else { dir }.to_string(),
                    ))
                }
                FdFilename if e.typechar == b'o' => return None,
                FdDirectory | FdFilename => {
                    if !matches!(e.typechar, b'f' | b'd') {
                        return None;
                    }
                    // A directory's fd.directory is the directory itself.
                    if *f == FdDirectory && e.typechar == b'd' {
                        return Some(Value::Str(name(e)));
                    }
                    let (dir, file) = e.name.rsplit_once('/')?;
                    let part = if *f == FdDirectory {
                        if dir.is_empty() {
                            "/"
                        } else {
                            dir
                        }
                    } else {
                        file
                    };
                    Value::Str(Cow::Owned(part.to_string()))
                }
                _ => return None,
            }
        }
    })
}
