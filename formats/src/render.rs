//! Parameter rendering exactly as sysdig 0.29 prints `%evt.args`/`%evt.info`:
//! fds with their type and name, errno names, flag names in the libs table
//! order, socket tuples, byte buffers as printable text cut at 80 bytes.

use std::fmt::Write as _;
use std::net::Ipv6Addr;

use crate::bytes::{le_u16, le_u64};
use crate::event::{value_i64 as sint, value_str as cstr, value_u64 as uint, Event};
use crate::schema::{self, ParamAux, ParamInfo, ParamType, PrintFormat};
use crate::state::CaptureState;

/// Byte buffers longer than this are cut and followed by `...` (sysdig's default).
pub const MAX_BUF_PRINT: usize = 80;

/// Dotted-quad text of a raw IPv4 address.
pub fn ipv4(a: &[u8; 4]) -> String {
    let mut s = String::with_capacity(15);
    push_ipv4(&mut s, a);
    s
}

/// Compressed text of a raw IPv6 address.
pub fn ipv6(a: &[u8; 16]) -> String {
    Ipv6Addr::from(*a).to_string()
}

/// Appends a decimal number without the formatting machinery (hot path).
fn push_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend(buf[i..].iter().map(|&b| char::from(b)));
}

/// Appends a dotted quad.
pub fn push_ipv4(out: &mut String, a: &[u8; 4]) {
    for (i, b) in a.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_u64(out, u64::from(*b));
    }
}

/// Appends an IPv6 address as libsinsp prints it: IPv4-mapped addresses as
/// plain IPv4, others compressed.
fn push_ipv6_or_mapped(out: &mut String, a: &[u8; 16]) {
    if a[..10].iter().all(|&b| b == 0) && a[10] == 0xff && a[11] == 0xff {
        push_ipv4(out, &[a[12], a[13], a[14], a[15]]);
    } else {
        let _ = write!(out, "{}", Ipv6Addr::from(*a));
    }
}

fn push_endpoint4(out: &mut String, v: &[u8], at: usize) -> Option<()> {
    let ip: [u8; 4] = v.get(at..at + 4)?.try_into().ok()?;
    push_ipv4(out, &ip);
    out.push(':');
    push_u64(out, u64::from(le_u16(v, at + 4)));
    Some(())
}

fn push_endpoint6(out: &mut String, v: &[u8], at: usize) -> Option<()> {
    let ip: [u8; 16] = v.get(at..at + 16)?.try_into().ok()?;
    push_ipv6_or_mapped(out, &ip);
    out.push(':');
    push_u64(out, u64::from(le_u16(v, at + 16)));
    Some(())
}

/// Text of a socket tuple (`1.2.3.4:5->6.7.8.9:10`, unix: `src->dst path`).
pub fn socktuple(v: &[u8]) -> Option<String> {
    let mut s = String::with_capacity(48);
    push_socktuple(&mut s, v)?;
    Some(s)
}

/// Appends a socket tuple; `None` (and nothing appended) if it is malformed.
pub fn push_socktuple(out: &mut String, v: &[u8]) -> Option<()> {
    let mark = out.len();
    let ok = match *v.first()? {
        2 if v.len() >= 13 => push_endpoint4(out, v, 1).and_then(|()| {
            out.push_str("->");
            push_endpoint4(out, v, 7)
        }),
        10 if v.len() >= 37 => push_endpoint6(out, v, 1).and_then(|()| {
            out.push_str("->");
            push_endpoint6(out, v, 19)
        }),
        1 if v.len() >= 17 => {
            let _ = write!(
                out,
                "{:x}->{:x} {}",
                le_u64(v, 1),
                le_u64(v, 9),
                cstr(&v[17..])
            );
            Some(())
        }
        _ => None,
    };
    if ok.is_none() {
        out.truncate(mark);
    }
    ok
}

/// Appends a socket address; `None` (and nothing appended) if malformed.
fn push_sockaddr(out: &mut String, v: &[u8]) -> Option<()> {
    let mark = out.len();
    let ok = match *v.first()? {
        2 if v.len() >= 7 => push_endpoint4(out, v, 1),
        10 if v.len() >= 19 => push_endpoint6(out, v, 1),
        1 => {
            out.push_str(&cstr(&v[1..]));
            Some(())
        }
        _ => None,
    };
    if ok.is_none() {
        out.truncate(mark);
    }
    ok
}

fn num(out: &mut String, v: u64, signed: Option<i64>, fmt: PrintFormat) {
    let _ = match fmt {
        PrintFormat::Hex => write!(out, "{v:X}"),
        PrintFormat::Oct => {
            if v == 0 {
                write!(out, "0")
            } else {
                write!(out, "0{v:o}")
            }
        }
        _ => {
            match signed {
                Some(s) => push_i64(out, s),
                None => push_u64(out, v),
            }
            Ok(())
        }
    };
}

/// Appends a signed decimal number (hot path).
fn push_i64(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Appends the names of `val` from a libs flag table, sysdig's way: an exact
/// match wins alone; otherwise every entry whose bits are all set, in table
/// order, each consuming its bits; a 0-valued entry only matches 0.
pub fn flag_names(val: u32, table: &[(&str, u32)], exact_only: bool, out: &mut String) -> bool {
    if let Some((n, _)) = table.iter().find(|(_, v)| *v == val) {
        out.push_str(n);
        return true;
    }
    if exact_only {
        return false;
    }
    let mut rest = val;
    let mut first = true;
    for (n, v) in table {
        if *v != 0 && rest & v == *v && rest != 0 {
            if !first {
                out.push('|');
            }
            out.push_str(n);
            first = false;
            rest &= !v;
        }
    }
    !first
}

fn bytebuf(out: &mut String, v: &[u8]) {
    // sysdig keeps the whole text within MAX_BUF_PRINT, "..." included.
    let n = if v.len() > MAX_BUF_PRINT {
        MAX_BUF_PRINT - 3
    } else {
        v.len()
    };
    for &b in &v[..n] {
        out.push(if (0x20..0x7f).contains(&b) {
            b as char
        } else {
            '.'
        });
    }
    if v.len() > MAX_BUF_PRINT {
        out.push_str("...");
    }
}

/// Renders parameter `i` of `ev` into `out`, using `state` for fd and thread names.
pub fn param(
    ev: &Event<'_>,
    i: usize,
    p: &ParamInfo,
    state: Option<&CaptureState>,
    out: &mut String,
) {
    let Some(v) = ev.param(i) else { return };
    if v.is_empty()
        && !matches!(
            p.ty,
            ParamType::Charbuf
                | ParamType::Fspath
                | ParamType::Fsrelpath
                | ParamType::Bytebuf
                | ParamType::Sockaddr
                | ParamType::Socktuple
        )
    {
        out.push_str("<NA>");
        return;
    }
    value(ev, v, p.ty, p.fmt, p.aux, state, out);
}

fn value(
    ev: &Event<'_>,
    v: &[u8],
    ty: ParamType,
    fmt: PrintFormat,
    aux: ParamAux,
    state: Option<&CaptureState>,
    out: &mut String,
) {
    use ParamType as T;
    match ty {
        T::Int8 | T::Int16 | T::Int32 | T::Int64 => match sint(v) {
            Some(s) => num(out, s as u64 & mask(v.len()), Some(s), fmt),
            None => bytebuf(out, v),
        },
        T::Uint8
        | T::Uint16
        | T::Uint32
        | T::Uint64
        | T::Reltime
        | T::Abstime
        | T::Port
        | T::L4proto
        | T::Bool
        | T::Sigset => match uint(v) {
            Some(u) => {
                num(out, u, None, fmt);
                if ty == T::Reltime && fmt != PrintFormat::Hex {
                    let _ = write!(out, "({})", reltime(u));
                }
            }
            None => bytebuf(out, v),
        },
        T::Errno => match sint(v) {
            Some(s) if s < 0 => {
                push_i64(out, s);
                if let Some(n) = schema::errno_name(s.unsigned_abs()) {
                    let _ = write!(out, "({n})");
                }
            }
            Some(s) => num(out, s as u64, Some(s), fmt),
            None => bytebuf(out, v),
        },
        T::Fd | T::Fd32 => match sint(v) {
            // libsinsp names the "relative to the cwd" dirfd before errno names
            // (-100 is also ENETDOWN's number).
            Some(-100) => out.push_str("-100(AT_FDCWD)"),
            Some(fd) if fd < 0 => {
                push_i64(out, fd);
                if let Some(n) = schema::errno_name(fd.unsigned_abs()) {
                    let _ = write!(out, "({n})");
                }
            }
            Some(fd) => {
                push_i64(out, fd);
                if let Some(e) = state.and_then(|s| s.fd(ev.tid(), fd)) {
                    out.push_str("(<");
                    out.push(e.typechar as char);
                    if e.l4 != 0 && !e.name.is_empty() {
                        out.push(e.l4 as char);
                    }
                    out.push('>');
                    out.push_str(&e.name);
                    out.push(')');
                }
            }
            None => bytebuf(out, v),
        },
        T::Pid | T::Pid32 => match sint(v) {
            Some(pid) => {
                push_i64(out, pid);
                if pid > 0 {
                    if let Some(t) = state.and_then(|s| s.thread(pid as u64)) {
                        let _ = write!(out, "({})", t.comm);
                    }
                }
            }
            None => bytebuf(out, v),
        },
        T::Uid | T::Gid => match uint(v) {
            Some(u) => {
                if u == u64::from(u32::MAX) {
                    out.push_str("-1");
                } else {
                    push_u64(out, u);
                    let name = state.and_then(|s| {
                        if ty == T::Uid {
                            s.user_name(u as u32)
                        } else {
                            s.group_name(u as u32)
                        }
                    });
                    if let Some(n) = name {
                        let _ = write!(out, "({n})");
                    }
                }
            }
            None => bytebuf(out, v),
        },
        T::Charbuf | T::Fspath => out.push_str(&cstr(v)),
        T::Fsrelpath => {
            let s = cstr(v);
            out.push_str(&s);
            if !s.starts_with('/') && !s.is_empty() {
                if let (ParamAux::DirFd(d), Some(st)) = (aux, state) {
                    let dirfd = ev.param(usize::from(d)).and_then(sint);
                    let base = match dirfd {
                        Some(fd) if fd != -100 => st
                            .fd(ev.tid(), fd)
                            .map(|f| format!("{}/", f.name.trim_end_matches('/'))),
                        _ => st.thread(ev.tid()).map(|t| t.cwd.clone()),
                    };
                    if let Some(b) = base.filter(|b| !b.is_empty()) {
                        let _ = write!(
                            out,
                            "({})",
                            crate::state::normalize_path(&format!("{b}{s}"))
                        );
                    }
                }
            }
        }
        T::Bytebuf | T::Charbufarray | T::CharbufPairArray => bytebuf(out, v),
        T::Sockaddr | T::Socktuple if v.is_empty() => out.push_str("NULL"),
        T::Sockaddr => {
            if push_sockaddr(out, v).is_none() {
                out.push_str("<NA>");
            }
        }
        T::Socktuple => {
            if push_socktuple(out, v).is_none() {
                out.push_str("<NA>");
            }
        }
        T::Fdlist => fdlist(ev, v, state, out),
        T::Syscallid => {
            if let Some(u) = uint(v) {
                push_u64(out, u);
            }
        }
        T::Sigtype => {
            let Some(&s) = v.first() else { return };
            push_i64(out, i64::from(s));
            if let Some(n) = schema::signal_name(s) {
                let _ = write!(out, "({n})");
            }
        }
        T::Sockfamily => {
            let _ = write!(out, "{}", v[0]);
        }
        T::Ipv4addr if v.len() == 4 => push_ipv4(out, &[v[0], v[1], v[2], v[3]]),
        T::Ipv6addr if v.len() == 16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(v);
            out.push_str(&ipv6(&a));
        }
        T::Ipaddr => match v.len() {
            4 => push_ipv4(out, &[v[0], v[1], v[2], v[3]]),
            16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(v);
                out.push_str(&ipv6(&a));
            }
            _ => bytebuf(out, v),
        },
        T::Flags8
        | T::Flags16
        | T::Flags32
        | T::Enumflags8
        | T::Enumflags16
        | T::Enumflags32
        | T::Mode => {
            let Some(u) = uint(v) else {
                return bytebuf(out, v);
            };
            push_u64(out, u);
            if let ParamAux::Flags(table) = aux {
                let exact = matches!(ty, T::Enumflags8 | T::Enumflags16 | T::Enumflags32);
                let mut names = String::new();
                if flag_names(u as u32, table, exact, &mut names) {
                    let _ = write!(out, "({names})");
                }
            }
        }
        T::Dyn => {
            if let ParamAux::Dyn(alts) = aux {
                if let Some(alt) = alts.get(usize::from(v[0])) {
                    return value(ev, &v[1..], alt.ty, alt.fmt, ParamAux::None, state, out);
                }
            }
            bytebuf(out, v);
        }
        T::Double if v.len() == 8 => {
            let _ = write!(
                out,
                "{}",
                f64::from_le_bytes([v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]])
            );
        }
        _ => bytebuf(out, v),
    }
}

fn mask(len: usize) -> u64 {
    if len >= 8 {
        u64::MAX
    } else {
        (1u64 << (len * 8)) - 1
    }
}

fn reltime(ns: u64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    if ns.is_multiple_of(1_000_000_000) {
        return format!("{}s", ns / 1_000_000_000);
    }
    format!("{}.{:09}s", ns / 1_000_000_000, ns % 1_000_000_000)
}

fn fdlist(ev: &Event<'_>, v: &[u8], state: Option<&CaptureState>, out: &mut String) {
    if v.len() < 2 {
        return;
    }
    let n = usize::from(le_u16(v, 0));
    let mut first = true;
    for k in 0..n {
        let at = 2 + k * 10;
        if at + 10 > v.len() {
            break;
        }
        let fd = le_u64(v, at) as i64;
        let flags = le_u16(v, at + 8);
        if !first {
            out.push(' ');
        }
        first = false;
        let _ = write!(out, "{fd}:");
        if let Some(e) = state.and_then(|s| s.fd(ev.tid(), fd)) {
            out.push(e.typechar as char);
        }
        let _ = write!(out, "{flags:X}");
    }
}

/// Appends sysdig's `%evt.args` for `ev`: `name=value ` for each parameter
/// the schema names (parameters past the schema are not shown, as in sysdig).
pub fn args(ev: &Event<'_>, state: Option<&CaptureState>, out: &mut String) {
    let Some(info) = ev.info() else { return };
    // The generic syscall event shows its name in the type column and no args.
    if ev.event_type() <= 1 {
        return;
    }
    for (i, p) in info.params.iter().enumerate().take(ev.nparams()) {
        out.push_str(p.name);
        out.push('=');
        param(ev, i, p, state, out);
        out.push(' ');
    }
}

/// The name sysdig shows in the type column: the event name, or for the
/// generic `syscall` event, the syscall's own name.
pub fn type_name(ev: &Event<'_>) -> std::borrow::Cow<'static, str> {
    if let Some(id) = generic_code(ev) {
        if id == 0 {
            return "<unknown>".into();
        }
        if let Some(n) = u16::try_from(id).ok().and_then(schema::syscall_name) {
            return n.into();
        }
        return format!("syscall_{id}").into();
    }
    ev.name().into()
}

/// The syscall code (`ppm_sc`) a generic `syscall` event carries, if it is
/// one and has it: what its `evt.type` name comes from.
pub fn generic_code(ev: &Event<'_>) -> Option<u64> {
    if ev.event_type() > 1 {
        return None;
    }
    ev.param(0).and_then(uint)
}
