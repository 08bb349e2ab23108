//! The fd fields: which fd an event works on, and what libs 0.23 says of it,
//! from the table or, for an fd the table lacks, from the event itself.

use super::*;
use scapbridge_formats::state::fd_creator;

/// The fd an event works on, as libsinsp picks it: the result of an exit
/// that creates one; otherwise, for events that use an fd, the first
/// parameter when it is an fd (of the event, or of its enter event for an
/// exit). Events whose fd is elsewhere (mmap) have none.
pub(super) fn event_fd(ev: &Event<'_>, cx: &EvalContext<'_>) -> Option<i64> {
    if cx.state.generation().is_029() {
        return event_fd_029(ev, cx);
    }
    let info = ev.info()?;
    if let Some(fd) = dup_or_created(ev, cx, info) {
        return fd;
    }
    // An exit uses an fd as libs 0.23's table says (unlinkat, symlinkat,
    // mkdirat, fchmodat and fchownat use their dirfd there, AT_FDCWD
    // included); an enter, which only sysdig 0.29 shows, as the older one.
    let flags = match ev.direction() {
        Direction::Exit => info.libs023_flags,
        _ => info.flags,
    };
    let uses_fd = flags & schema::ef::USES_FD != 0;
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
    // fcntl(F_DUPFD, F_DUPFD_CLOEXEC) that succeeded: libs 0.23 gives the
    // exit the new fd, the copy it made.
    if ev.direction() == Direction::Exit && ev.name() == "fcntl" {
        let dup = cx
            .state
            .arg(ev, "cmd")
            .and_then(|c| c.first())
            .is_some_and(|c| matches!(c, 1 | 26));
        if let Some(res) = ev.param(0).and_then(sint).filter(|r| dup && *r >= 0) {
            return Some(res);
        }
    }
    if uses_fd && empty_old_exit(ev, info) {
        return Some(-1);
    }
    // libs 0.23 reads an exit's fd where its layout has it (mmap's exit
    // carries `fd` after the result), and merges an old layout's enter
    // parameters into the exit, so the enter's `fd` counts wherever it is
    // (sysdig 0.29 took only an enter's first parameter, and none for mmap).
    if let Some(v) = ev.param_by_name("fd").filter(|v| !v.is_empty()) {
        return sint(v);
    }
    // An exit whose fd has another name (copy_file_range's `fdout`, the
    // `dirfd` of newfstatat, mknodat, unlinkat...): libs 0.23 takes its
    // first fd.
    if let Some(i) = info
        .params
        .iter()
        .skip(1)
        .position(|p| uses_fd && matches!(p.ty, ParamType::Fd | ParamType::Fd32))
    {
        if let Some(v) = ev.param(i + 1).filter(|v| !v.is_empty()) {
            return sint(v);
        }
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

/// The rules both generations apply first, `None` when neither does:
/// - a dup of an fd the table did not have: libsinsp made no copy and
///   leaves the event on the old fd (a shell's saved fds, opened before
///   the capture of a process it did not list);
/// - an exit that creates an fd: its result, a pipe's second fd; a failed
///   open, socket, accept, pipe or eventfd has fd -1 (libs 0.23 then takes
///   its fd fields from the event: see `unknown_fd`), a failed
///   memfd_create its error in libs 0.23 and -1 in sysdig 0.29.
fn dup_or_created(ev: &Event<'_>, cx: &EvalContext<'_>, info: &EventInfo) -> Option<Option<i64>> {
    if ev.direction() != Direction::Exit {
        return None;
    }
    if cx.state.dup_missed(ev) {
        let old = cx.state.arg(ev, "oldfd").or_else(|| cx.state.arg(ev, "fd"));
        return Some(old.and_then(sint));
    }
    if info.flags & schema::ef::CREATES_FD == 0 {
        return None;
    }
    let Some(res) = ev.param(0).and_then(sint) else {
        return Some(None);
    };
    let old = cx.state.generation().is_029();
    Some(match res {
        r if r >= 0 && matches!(ev.name(), "pipe" | "pipe2") => {
            cx.state.arg(ev, "fd2").and_then(sint)
        }
        r if r >= 0 => Some(r),
        r if !old && ev.name() == "memfd_create" => Some(r),
        _ => Some(-1),
    })
}

/// An exit an old driver wrote with no parameters although its layout has
/// an fd (setsockopt): both generations give it fd -1.
fn empty_old_exit(ev: &Event<'_>, info: &EventInfo) -> bool {
    ev.direction() == Direction::Exit && ev.nparams() == 0 && info.param_index("fd").is_some()
}

/// The fd an event works on as sysdig 0.29 picks it: after the shared
/// rules ([`dup_or_created`], [`empty_old_exit`]), for an event that uses
/// an fd, the first parameter of the event (of its enter, for an exit)
/// when that is an fd (none for mmap).
fn event_fd_029(ev: &Event<'_>, cx: &EvalContext<'_>) -> Option<i64> {
    let info = ev.info()?;
    if let Some(fd) = dup_or_created(ev, cx, info) {
        return fd;
    }
    if info.flags & schema::ef::USES_FD == 0 {
        return None;
    }
    if empty_old_exit(ev, info) {
        return Some(-1);
    }
    let e = if ev.direction() == Direction::Exit {
        cx.state.last_enter(ev)?
    } else {
        *ev
    };
    let first = e.info()?.params.first()?;
    if !matches!(first.ty, ParamType::Fd | ParamType::Fd32) {
        return None;
    }
    sint(e.param(0)?)
}

/// An open-family exit (the events whose fd fields libs 0.23 takes from
/// the event's own path when the open failed).
fn is_open(ev: &Event<'_>) -> bool {
    matches!(ev.name(), "open" | "openat" | "openat2" | "creat")
}

/// The fd entry libs 0.23 gives an event whose fd is not in the table,
/// as sysdig 0.41 shows it:
/// - named, for a failed open, by the path asked for; for a connect or
///   accept exit, by its tuple as `evt.args` shows it (`NULL` when empty:
///   a socket made before the capture, a lost `socket` exit, a failed
///   accept); else empty (an anonymous mmap's -1, an fd opened earlier);
/// - its type character from the syscall that would have made it (`4` for
///   socket and accept whatever the family, `p` pipe, `e` eventfd, `s`
///   signalfd, `t` timerfd, `i` inotify), else `o`; a failed open recorded
///   in the current layout (its exit complete, as our probe writes it) is
///   a file (`f`), one of an older, shorter layout (2016 and 2018
///   captures), which libs 0.23 converts, stays `o` (seen, not derived
///   from its source); a failed memfd_create's is `?`, its type `<NA>`
///   and it has no directory.
fn unknown_fd(ev: &Event<'_>, cx: &EvalContext<'_>) -> FdEntry {
    let exit = ev.direction() == Direction::Exit;
    let failed_open = is_open(ev) && exit;
    let name = if exit && matches!(ev.name(), "connect" | "accept" | "accept4") {
        ev.info()
            .and_then(|i| i.params.get(1))
            .map(|p| {
                let mut s = String::new();
                render::arg(ev, 1, p, Some(&Libs023Names(cx.state)), &mut s);
                s
            })
            .unwrap_or_default()
    } else {
        // The path as libsinsp resolves it (`..` and a trailing `/`
        // collapsed, relative to dirfd or the cwd).
        failed_open
            .then(|| cx.state.arg(ev, "name"))
            .flatten()
            .map(|n| {
                let dirfd = cx.state.arg(ev, "dirfd").and_then(sint);
                cx.state.resolve_path(ev.tid(), dirfd, &value_str(n))
            })
            .unwrap_or_default()
    };
    let complete = ev
        .info()
        .is_some_and(|i| ev.nparams() >= usize::from(i.libs023_nparams));
    let typechar = if failed_open {
        if complete {
            b'f'
        } else {
            b'o'
        }
    } else {
        // A failed creator's fd (or a signalfd enter's fd -1).
        fd_creator(ev.name()).and_then(|c| c.failed).unwrap_or(b'o')
    };
    FdEntry {
        typechar,
        name,
        ..FdEntry::default()
    }
}

/// libsinsp's directory of an fd name: up to its last `/` unless that is
/// the first or the last character (`/` with none or the first; the whole
/// name when it ends in one).
fn directory_of(name: &str) -> &str {
    match name.rfind('/') {
        Some(0) | None => "/",
        Some(i) if i + 1 == name.len() => name,
        Some(i) => &name[..i],
    }
}

/// libsinsp's file name of a file fd: after its last `/`, the whole name
/// when it ends in one, `/` when it has none.
fn file_name_of(name: &str) -> &str {
    match name.rfind('/') {
        None => "/",
        Some(i) if i + 1 == name.len() => name,
        Some(i) => &name[i + 1..],
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

/// An fd field's value on one event.
pub(super) fn fd_field<'a>(f: &Field, ev: &Event<'a>, cx: &EvalContext<'a>) -> Option<Value<'a>> {
    use Field::*;
    Some(match f {
        FdNameraw => {
            if matches!(ev.name(), "open" | "openat" | "openat2" | "creat") {
                if let Some(v) = ev.param_by_name("name") {
                    return Some(Value::Str(value_str(v)));
                }
            }
            let fd = event_fd(ev, cx)?;
            // libs 0.23 keeps a raw name for files it saw opened only: a
            // socket's, a pipe's, or one of the capture's fd list is empty.
            match cx.state.fd(ev.tid(), fd) {
                Some(e) if matches!(e.typechar, b'f' | b'd') && !e.from_list => {
                    Value::Str(Cow::Borrowed(e.name_raw.as_deref().unwrap_or(&e.name)))
                }
                Some(_) => Value::Str(Cow::Borrowed("")),
                None => Value::Str(Cow::Owned(unknown_fd(ev, cx).name)),
            }
        }
        FdL4proto | FdSip | FdCip | FdSport | FdCport | FdLport | FdRport | FdConnected
        | FdNameChanged | FdIp | FdNet | FdSnet | FdCnet | FdLip | FdRip | FdLnet | FdRnet
        | FdIsServer => {
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
                    // sysdig 0.29: a value, where libs 0.23 has none.
                    _ if cx.state.generation().is_029() => "<NA>",
                    _ => return None,
                })));
            }
            if !matches!(e.typechar, b'4' | b'6') {
                return match f {
                    FdConnected | FdIsServer => Some(Value::Bool(false)),
                    _ => None,
                };
            }
            let split = |ep: &str| -> Option<(std::net::IpAddr, i64)> {
                let (ip, port) = ep.rsplit_once(':')?;
                Some((
                    ip.trim_matches(|ch| ch == '[' || ch == ']').parse().ok()?,
                    port.parse().ok()?,
                ))
            };
            // libsinsp takes the client end as local when its address is
            // the thread's, and calls the fd a server's when the server
            // end's address is: sysdig 0.29 by the machine's interfaces,
            // libs 0.23 by them on the host and by the container's address
            // in a container.
            let local = |ip| {
                if cx.state.generation().is_029() {
                    cx.state.is_machine_address(ip)
                } else {
                    let container = cx.state.thread(ev.tid()).map(|t| &*t.container_id);
                    cx.state.is_local_address(container.unwrap_or(""), ip)
                }
            };
            // fd.name of an inet socket: "cip:cport->sip:sport"; of a bound
            // one that is not connected, "ip:port": libs' server socket
            // when bound to a port (not to 0, a client's bind before its
            // connect), which the server fields answer and the client ones
            // do not.
            let Some((c, srv)) = e.name.split_once("->") else {
                let listen = split(&e.name).filter(|(_, port)| *port > 0);
                return match f {
                    FdConnected => Some(Value::Bool(false)),
                    // Not listening: libsinsp asks whether the server end
                    // it has not learnt (0.0.0.0, ::) is local, which an
                    // IPv6 loopback interface makes true (`::` shares its
                    // first 64 bits).
                    FdIsServer => Some(Value::Bool(
                        listen.is_some()
                            || local(if e.typechar == b'6' {
                                std::net::Ipv6Addr::UNSPECIFIED.into()
                            } else {
                                std::net::Ipv4Addr::UNSPECIFIED.into()
                            }),
                    )),
                    FdSip | FdIp | FdNet | FdSnet => Some(Value::Ips(vec![listen?.0])),
                    FdSport => Some(Value::Num(listen?.1)),
                    _ => None,
                };
            };
            let (cip, cport) = split(c)?;
            let (sip, sport) = split(srv)?;
            match f {
                FdConnected => Value::Bool(true),
                FdSip | FdSnet => Value::Ips(vec![sip]),
                FdCip | FdCnet => Value::Ips(vec![cip]),
                FdIp | FdNet => Value::Ips(vec![cip, sip]),
                FdSport => Value::Num(sport),
                FdCport => Value::Num(cport),
                // Only these ask which end is the thread's (an interface
                // scan and a thread lookup): the client's when local.
                FdIsServer => Value::Bool(local(sip)),
                FdLip | FdLnet | FdRip | FdRnet | FdLport | FdRport => {
                    let client_local = local(cip);
                    let ((lip, lport), (rip, rport)) = if client_local {
                        ((cip, cport), (sip, sport))
                    } else {
                        ((sip, sport), (cip, cport))
                    };
                    match f {
                        FdLip | FdLnet => Value::Ips(vec![lip]),
                        FdRip | FdRnet => Value::Ips(vec![rip]),
                        FdLport => Value::Num(lport),
                        _ => Value::Num(rport),
                    }
                }
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
            let Some(e) = cx.state.fd(ev.tid(), fd) else {
                // sysdig 0.29 has only a name, and only on an exit, for an
                // fd it lacks (the path a failed open asked for, the
                // tuple of a connect, else empty).
                if cx.state.generation().is_029() {
                    let exit = ev.direction() == Direction::Exit;
                    return (*f == FdName && exit)
                        .then(|| Value::Str(Cow::Owned(unknown_fd(ev, cx).name)));
                }
                // libs 0.23 answers name, type character and directory of
                // an fd it lacks from the event (see `unknown_fd`), never
                // its file name, nor its type but for a failed memfd.
                let e = unknown_fd(ev, cx);
                return Some(match f {
                    FdName => Value::Str(Cow::Owned(e.name)),
                    FdTypechar => Value::Str(Cow::Owned(char::from(e.typechar).to_string())),
                    FdDirectory if e.typechar != b'?' => {
                        Value::Str(Cow::Owned(directory_of(&e.name).to_string()))
                    }
                    // libs 0.23 adds a failed memfd_create's error as an fd
                    // of no type, whose type string is "<NA>".
                    FdType if e.typechar == b'?' => Value::Str(Cow::Borrowed("<NA>")),
                    _ => return None,
                });
            };
            match f {
                // sysdig 0.29 names a failed connect's fd by the event's
                // tuple (the table keeps the socket unnamed).
                FdName
                    if cx.state.generation().is_029()
                        && ev.name() == "connect"
                        && ev.direction() == Direction::Exit
                        && ev.param(0).and_then(sint).is_some_and(|r| r < 0) =>
                {
                    Value::Str(Cow::Owned(unknown_fd(ev, cx).name))
                }
                FdName => Value::Str(Cow::Borrowed(e.name.as_str())),
                FdType => Value::Str(Cow::Borrowed(fd_type_name(e.typechar))),
                FdTypechar => Value::Str(Cow::Owned(char::from(e.typechar).to_string())),
                // A directory's fd.directory is the directory itself, and
                // it has no file name.
                FdDirectory if e.typechar == b'd' => Value::Str(Cow::Borrowed(e.name.as_str())),
                // A file's or an fd of unknown type's (libs 0.23 cuts both
                // the same way; the latter has no file name).
                FdDirectory if matches!(e.typechar, b'f' | b'o') => {
                    Value::Str(Cow::Borrowed(directory_of(&e.name)))
                }
                // A file named without a `/` (a socket first seen at its
                // bind, which libs 0.23 takes for a file) is in `/`.
                FdFilename if e.typechar == b'f' => {
                    Value::Str(Cow::Borrowed(file_name_of(&e.name)))
                }
                _ => return None,
            }
        }
        _ => return None,
    })
}
