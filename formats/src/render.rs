//! Parameter rendering exactly as sysdig 0.29 prints `%evt.args`/`%evt.info`:
//! fds with their type and name, errno names, flag names in the libs table
//! order, socket tuples, byte buffers as printable text cut at 80 bytes (or in
//! sysdig's hex, ASCII and base64 formats: [`BufferFormat`]).
//! Each parameter is decoded by [`crate::value`] first, then printed.

use std::fmt::Write as _;
use std::net::Ipv6Addr;

use crate::bytes::{le_u16, le_u64};
use crate::event::{value_u64 as uint, Event};
use crate::meta::{FdData, ListenAddr, SocketTuple};
use crate::schema::{self, ParamInfo, PrintFormat};
use crate::value::{self, PathBase, SockAddr, SockTuple, Value};

/// Byte buffers longer than this are cut and followed by `...` (sysdig's default).
pub const MAX_BUF_PRINT: usize = 80;

/// How byte buffers (read and write data, execve's arguments, environment
/// and cgroups) print: sysdig's `-x`, `-X`, `-A` and `-b`, which libsinsp
/// applies to every buffer it renders (`evt.args`, `evt.info`, `evt.arg.*`,
/// `evt.rawarg.*`, `-j`). Every format but [`BufferFormat::Dots`] prints the
/// whole buffer; an empty one prints nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum BufferFormat {
    /// Printable text, a dot for every other byte, cut at
    /// [`MAX_BUF_PRINT`] (sysdig's default).
    #[default]
    Dots,
    /// `-x`: rows of 16 bytes in 16-bit big-endian groups,
    /// `\n\t0x0000: 2f64 6576 …`, then a newline.
    Hex,
    /// `-X`: [`BufferFormat::Hex`] with each row padded and followed by its
    /// bytes as text (a dot for a byte that is not printable).
    HexAscii,
    /// `-A`: a newline, then the printable bytes alone; a carriage return
    /// becomes a newline, a newline after one is dropped (so are other
    /// bytes and a newline that opens the buffer).
    Ascii,
    /// `-b`: base64 with padding.
    Base64,
}

/// Appends `v` in format `fmt` (for [`BufferFormat::Dots`]: cut at
/// [`MAX_BUF_PRINT`] with `...`), as libsinsp's buffer printers do.
pub fn push_buffer(out: &mut String, v: &[u8], fmt: BufferFormat) {
    if v.is_empty() {
        return;
    }
    match fmt {
        BufferFormat::Dots => bytebuf(out, v),
        BufferFormat::Hex | BufferFormat::HexAscii => {
            hex_rows(out, v, fmt == BufferFormat::HexAscii)
        }
        BufferFormat::Ascii => {
            out.push('\n');
            for (j, &b) in v.iter().enumerate() {
                match b {
                    0x20..=0x7e => out.push(b as char),
                    b'\r' => out.push('\n'),
                    b'\n' if j > 0 && v[j - 1] != b'\r' => out.push('\n'),
                    _ => {}
                }
            }
        }
        BufferFormat::Base64 => base64(out, v),
    }
}

fn hex_rows(out: &mut String, v: &[u8], ascii: bool) {
    for (row, chunk) in v.chunks(16).enumerate() {
        let _ = write!(out, "\n\t0x{:04x}:", row * 16);
        for pair in chunk.chunks(2) {
            match pair {
                [a, b] => {
                    let _ = write!(out, " {a:02x}{b:02x}");
                }
                [a] => {
                    let _ = write!(out, " {a:02x}");
                }
                _ => {}
            }
        }
        if ascii {
            // Short rows are padded to the width of eight groups.
            for _ in chunk.len().div_ceil(2)..8 {
                out.push_str("     ");
            }
            out.push_str("  ");
            printable(out, chunk);
        }
    }
    out.push('\n');
}

fn base64(out: &mut String, v: &[u8]) {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for c in v.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(c.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(c.get(2).copied().unwrap_or(0));
        for k in 0..4 {
            if k <= c.len() {
                out.push(TABLE[(n >> (18 - 6 * k)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
}

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

/// Text of a raw address of either width, as [`ipv4`] or [`ipv6`] write it.
fn ip(a: &[u8]) -> String {
    match (<&[u8; 4]>::try_from(a), <&[u8; 16]>::try_from(a)) {
        (Ok(v4), _) => ipv4(v4),
        (_, Ok(v6)) => ipv6(v6),
        _ => String::new(),
    }
}

/// `sip:sport->dip:dport`, libsinsp's `fd.name` of a connected socket.
impl<const N: usize> std::fmt::Display for SocketTuple<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (s, d) = (ip(&self.sip), ip(&self.dip));
        write!(f, "{s}:{}->{d}:{}", self.sport, self.dport)
    }
}

/// `ip:port`, libsinsp's `fd.name` of a listening socket.
impl<const N: usize> std::fmt::Display for ListenAddr<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", ip(&self.ip), self.port)
    }
}

impl FdData {
    /// libsinsp's `fd.name` of an inet socket; `None` for the other kinds.
    pub fn inet_name(&self) -> Option<String> {
        Some(match self {
            FdData::Ipv4(t) => t.to_string(),
            FdData::Ipv6(t) => t.to_string(),
            FdData::Ipv4Server(l) => l.to_string(),
            FdData::Ipv6Server(l) => l.to_string(),
            _ => return None,
        })
    }
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

fn push_endpoint4(out: &mut String, ip: &[u8; 4], port: u16) {
    push_ipv4(out, ip);
    out.push(':');
    push_u64(out, u64::from(port));
}

fn push_endpoint6(out: &mut String, ip: &[u8; 16], port: u16) {
    push_ipv6_or_mapped(out, ip);
    out.push(':');
    push_u64(out, u64::from(port));
}

/// Text of a socket tuple (`1.2.3.4:5->6.7.8.9:10`, unix: `src->dst path`).
pub fn socktuple(v: &[u8]) -> Option<String> {
    let mut s = String::with_capacity(48);
    push_socktuple(&mut s, v)?;
    Some(s)
}

/// Appends a socket tuple; `None` (and nothing appended) if it is malformed.
pub fn push_socktuple(out: &mut String, v: &[u8]) -> Option<()> {
    push_socktuple_value(out, &value::socktuple(v))
}

fn push_socktuple_value(out: &mut String, t: &SockTuple<'_>) -> Option<()> {
    match *t {
        SockTuple::Inet4 {
            sip,
            sport,
            dip,
            dport,
        } => {
            push_endpoint4(out, &sip, sport);
            out.push_str("->");
            push_endpoint4(out, &dip, dport);
        }
        SockTuple::Inet6 {
            sip,
            sport,
            dip,
            dport,
        } => {
            push_endpoint6(out, &sip, sport);
            out.push_str("->");
            push_endpoint6(out, &dip, dport);
        }
        SockTuple::Unix { src, dst, path } => {
            let _ = write!(out, "{src:x}->{dst:x} {}", String::from_utf8_lossy(path));
        }
        _ => return None,
    }
    Some(())
}

/// Appends a socket address; `None` (and nothing appended) if malformed.
fn push_sockaddr_value(out: &mut String, a: &SockAddr<'_>) -> Option<()> {
    match *a {
        SockAddr::Inet4 { ip, port } => push_endpoint4(out, &ip, port),
        SockAddr::Inet6 { ip, port } => push_endpoint6(out, &ip, port),
        SockAddr::Unix(path) => out.push_str(&String::from_utf8_lossy(path)),
        _ => return None,
    }
    Some(())
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
    printable(out, &v[..n]);
    if v.len() > MAX_BUF_PRINT {
        out.push_str("...");
    }
}

/// Bytes as printable text, each other byte a dot.
pub fn printable(out: &mut String, v: &[u8]) {
    for &b in v {
        out.push(if (0x20..0x7f).contains(&b) {
            b as char
        } else {
            '.'
        });
    }
}

/// Renders parameter `i` of `ev` into `out`, using `state` for fd and thread names.
pub fn param(ev: &Event<'_>, i: usize, p: &ParamInfo, state: Option<&dyn Names>, out: &mut String) {
    let Some(v) = ev.param(i) else { return };
    push_value(ev.tid(), &value::decode_bytes(ev, v, p), state, out);
}

/// Renders parameter `i` of `ev` as libsinsp's `evt.arg.NAME` gives it: the
/// resolved form alone where the value has one (`<f>/etc/passwd` for an fd,
/// `O_RDONLY|O_CLOEXEC` for flags, `ENOENT` for an error, a user's name),
/// else the value as [`param`] writes it. sysdig's `-p` and Falco's outputs
/// print this, and filters compare against it.
pub fn arg(ev: &Event<'_>, i: usize, p: &ParamInfo, state: Option<&dyn Names>, out: &mut String) {
    let Some(v) = ev.param(i) else { return };
    push_resolved(ev.tid(), &value::decode_bytes(ev, v, p), state, out);
}

/// Appends `v`'s resolved form alone when it has one, else what
/// [`push_value_libs023`] writes (libs 0.23's `evt.arg`: mmap's result in
/// decimal, as sysdig 0.41 prints it), or [`push_value`] for names that
/// are not libs 0.23's (sysdig 0.29's `evt.arg`).
pub fn push_resolved(tid: u64, v: &Value<'_>, state: Option<&dyn Names>, out: &mut String) {
    let len = out.len();
    if state.is_some_and(|s| !s.is_libs023()) {
        push_value(tid, v, state, out);
    } else {
        push_value_libs023(tid, v, state, out);
    }
    // Every resolved form is written by push_value as `RAW(RESOLVED)`; the
    // kinds below are those, so their parentheses are ours, not the data's.
    let resolvable = matches!(
        v,
        Value::Errno { .. }
            | Value::Fd(_)
            | Value::Pid(_)
            | Value::Uid(_)
            | Value::Gid(_)
            | Value::Flags { .. }
            | Value::Signal(_)
            | Value::RelPath { .. }
    );
    if !resolvable || !out.ends_with(')') {
        return;
    }
    let Some(open) = out[len..].find('(') else {
        return;
    };
    let resolved = out[len + open + 1..out.len() - 1].to_string();
    if !resolved.is_empty() {
        out.truncate(len);
        out.push_str(&resolved);
    }
}

/// Appends a decoded value as libs 0.23 (sysdig 0.41, Stratoshark) prints
/// it where that differs from [`push_value`] (libs 0.21, sysdig 0.29): an
/// error-number result in decimal whatever its format (mmap's), every name
/// of an enumeration that gives its value more than one (`AF_LOCAL|AF_UNIX`),
/// an empty buffer as `NULL`, a user or group named for the thread's
/// container.
pub fn push_value_libs023(tid: u64, v: &Value<'_>, state: Option<&dyn Names>, out: &mut String) {
    match *v {
        Value::Errno { v, .. } if v >= 0 => push_i64(out, v),
        Value::Flags {
            bits,
            names,
            exact: true,
        } if names.iter().filter(|(_, n)| u64::from(*n) == bits).count() > 1 => {
            push_u64(out, bits);
            let same: Vec<&str> = names
                .iter()
                .filter(|(_, n)| u64::from(*n) == bits)
                .map(|(name, _)| *name)
                .collect();
            let _ = write!(out, "({})", same.join("|"));
        }
        Value::Bytes([]) => out.push_str("NULL"),
        // libs 0.23 names a user or group from the list of the event
        // thread's container (a file lists the host's), `<NA>` when it has
        // none, and `<NONE>` for -1.
        Value::Uid(u) | Value::Gid(u) if u == u64::from(u32::MAX) => out.push_str("-1(<NONE>)"),
        Value::Uid(u) => push_named_id(out, u, state.and_then(|s| s.user_name_for(tid, u as u32))),
        Value::Gid(u) => push_named_id(out, u, state.and_then(|s| s.group_name_for(tid, u as u32))),
        _ => push_value(tid, v, state, out),
    }
}

/// Appends `id(name)`, `<NA>` for a name unknown or empty.
fn push_named_id(out: &mut String, id: u64, name: Option<&str>) {
    push_u64(out, id);
    let _ = write!(
        out,
        "({})",
        name.filter(|n| !n.is_empty()).unwrap_or("<NA>")
    );
}

/// Appends a decoded value as sysdig prints it. `tid` is the thread of the
/// event it came from: fds, relative paths and poll lists are named from
/// that thread's tables in `state`.
pub fn push_value(tid: u64, v: &Value<'_>, state: Option<&dyn Names>, out: &mut String) {
    match *v {
        Value::Missing => out.push_str("<NA>"),
        Value::Int { v, width, fmt } => num(out, v as u64 & mask(usize::from(width)), Some(v), fmt),
        // A 64-bit unsigned decimal prints signed in both generations
        // (lseek's `offset=-2`, pread's `pos=-4096`).
        Value::Uint { v, fmt } => num(out, v, (v > i64::MAX as u64).then_some(v as i64), fmt),
        Value::RelTime { ns, fmt } => {
            num(out, ns, None, fmt);
            if fmt != PrintFormat::Hex {
                let _ = write!(out, "({})", reltime(ns));
            }
        }
        Value::Errno { v, fmt } => {
            if v < 0 {
                push_i64(out, v);
                if let Some(n) = schema::errno_name(v.unsigned_abs()) {
                    let _ = write!(out, "({n})");
                }
            } else {
                num(out, v as u64, Some(v), fmt);
            }
        }
        // libsinsp names the "relative to the cwd" dirfd before errno names
        // (-100 is also ENETDOWN's number).
        Value::Fd(-100) => out.push_str("-100(AT_FDCWD)"),
        Value::Fd(fd) if fd < 0 => {
            push_i64(out, fd);
            if let Some(n) = schema::errno_name(fd.unsigned_abs()) {
                let _ = write!(out, "({n})");
            }
        }
        Value::Fd(fd) => {
            push_i64(out, fd);
            if let Some(e) = state.and_then(|s| s.fd_name(tid, fd)) {
                out.push_str("(<");
                out.push(e.typechar as char);
                if e.l4 != 0 && !e.name.is_empty() {
                    out.push(e.l4 as char);
                }
                out.push('>');
                out.push_str(e.name);
                out.push(')');
            }
        }
        Value::Pid(pid) => {
            push_i64(out, pid);
            if pid > 0 {
                if let Some(comm) = state.and_then(|s| s.comm(pid as u64)) {
                    let _ = write!(out, "({comm})");
                }
            }
        }
        Value::Uid(u) | Value::Gid(u) if u == u64::from(u32::MAX) => out.push_str("-1"),
        Value::Uid(u) => {
            push_u64(out, u);
            if let Some(n) = state.and_then(|s| s.user_name(u as u32)) {
                let _ = write!(out, "({n})");
            }
        }
        Value::Gid(u) => {
            push_u64(out, u);
            if let Some(n) = state.and_then(|s| s.group_name(u as u32)) {
                let _ = write!(out, "({n})");
            }
        }
        Value::Flags { bits, names, exact } => {
            push_u64(out, bits);
            let mut text = String::new();
            if flag_names(bits as u32, names, exact, &mut text) {
                let _ = write!(out, "({text})");
            }
        }
        Value::Signal(s) => {
            push_i64(out, i64::from(s));
            if let Some(n) = schema::signal_name(s) {
                let _ = write!(out, "({n})");
            }
        }
        Value::SockFamily(f) => push_u64(out, u64::from(f)),
        Value::SyscallId(u) => push_u64(out, u),
        Value::Str(s) => out.push_str(&String::from_utf8_lossy(s)),
        Value::RelPath { path, base } => {
            let s = String::from_utf8_lossy(path);
            out.push_str(&s);
            if s.starts_with('/') || s.is_empty() {
                return;
            }
            let Some(st) = state else { return };
            let dir = match base {
                PathBase::Fd(fd) => st
                    .fd_name(tid, fd)
                    .map(|f| format!("{}/", f.name.trim_end_matches('/'))),
                PathBase::Cwd => st.cwd(tid).map(str::to_string),
                _ => None,
            };
            if let Some(b) = dir.filter(|b| !b.is_empty()) {
                let _ = write!(out, "({})", normalize_path(&format!("{b}{s}")));
            }
        }
        Value::Bytes(b) | Value::Raw(b) => push_buffer(out, b, buffer_format(state)),
        Value::SockAddr(SockAddr::Null) | Value::SockTuple(SockTuple::Null) => out.push_str("NULL"),
        Value::SockAddr(a) => {
            if push_sockaddr_value(out, &a).is_none() {
                out.push_str("<NA>");
            }
        }
        Value::SockTuple(t) => {
            if push_socktuple_value(out, &t).is_none() {
                out.push_str("<NA>");
            }
        }
        Value::Ipv4(a) => push_ipv4(out, &a),
        Value::Ipv6(a) => out.push_str(&ipv6(&a)),
        Value::FdList(v) => fdlist(tid, v, state, out),
        Value::Double(d) => {
            let _ = write!(out, "{d}");
        }
    }
}

fn mask(len: usize) -> u64 {
    if len >= 8 {
        u64::MAX
    } else {
        (1u64 << (len * 8)) - 1
    }
}

/// A relative time in seconds as libsinsp prints it: C's `%lg` of the
/// seconds (six significant digits), then `s` (`0.0123457s`, `2.5s`).
fn reltime(ns: u64) -> String {
    format!("{}s", c_g(ns as f64 / 1e9))
}

/// C's `%g`: six significant digits, trailing zeros dropped, exponent form
/// below 1e-4 and from 1e6 on.
fn c_g(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return if x == 0.0 { "0".into() } else { x.to_string() };
    }
    let sci = format!("{x:.5e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
    } else {
        let decimals = usize::try_from(5 - exp).unwrap_or(0);
        trim(&format!("{x:.decimals$}"))
    }
}

fn fdlist(tid: u64, v: &[u8], state: Option<&dyn Names>, out: &mut String) {
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
        if let Some(e) = state.and_then(|s| s.fd_name(tid, fd)) {
            out.push(e.typechar as char);
        }
        let _ = write!(out, "{flags:X}");
    }
}

/// Appends sysdig's `%evt.args` for `ev`: `name=value ` for each parameter
/// the schema names (parameters past the schema are not shown, as in sysdig).
pub fn args(ev: &Event<'_>, state: Option<&dyn Names>, out: &mut String) {
    args_with(ev, state, out, false);
}

/// [`args`] with byte buffers whole, as sysdig's `-j` prints `evt.info`.
pub fn args_untruncated(ev: &Event<'_>, state: Option<&dyn Names>, out: &mut String) {
    args_with(ev, state, out, true);
}

fn args_with(ev: &Event<'_>, state: Option<&dyn Names>, out: &mut String, whole: bool) {
    let Some(info) = ev.info() else { return };
    // The generic syscall event shows its name in the type column and no args.
    if ev.event_type() <= 1 {
        return;
    }
    for (i, p) in info.params.iter().enumerate().take(ev.nparams()) {
        // libs 0.21 (sysdig 0.29) calls execve's process group `pgid`;
        // the newer tables, ours among them, `vpgid`.
        out.push_str(if p.name == "vpgid" { "pgid" } else { p.name });
        out.push('=');
        if let Some(v) = ev.param(i) {
            match value::decode_bytes(ev, v, p) {
                Value::Bytes(b) | Value::Raw(b)
                    if whole && buffer_format(state) == BufferFormat::Dots =>
                {
                    printable(out, b)
                }
                other => push_value(ev.tid(), &other, state, out),
            }
        }
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
/// What rendering names through the capture's state: fds, processes,
/// users and groups (`state::CaptureState` implements it; rendering itself
/// keeps no state).
pub trait Names {
    /// Fd `fd` of thread `tid`.
    fn fd_name(&self, tid: u64, fd: i64) -> Option<FdName<'_>>;
    /// The command name of process `pid`.
    fn comm(&self, pid: u64) -> Option<&str>;
    /// The working directory of thread `tid`.
    fn cwd(&self, tid: u64) -> Option<&str>;
    /// The name of user `uid`.
    fn user_name(&self, uid: u32) -> Option<&str>;
    /// The name of group `gid`.
    fn group_name(&self, gid: u32) -> Option<&str>;
    /// The name of user `uid` as libs 0.23 names it for thread `tid`
    /// (from the list of the thread's container); by default [`Names::user_name`].
    fn user_name_for(&self, _tid: u64, uid: u32) -> Option<&str> {
        self.user_name(uid)
    }
    /// The name of group `gid` for thread `tid`, as [`Names::user_name_for`].
    fn group_name_for(&self, _tid: u64, gid: u32) -> Option<&str> {
        self.group_name(gid)
    }
    /// How byte buffers print (libsinsp's inspector-wide buffer format).
    fn buffer_format(&self) -> BufferFormat {
        BufferFormat::Dots
    }
    /// Whether values print as libs 0.23 prints them ([`push_resolved`]);
    /// else as sysdig 0.29 does.
    fn is_libs023(&self) -> bool {
        false
    }
}

/// `state`'s buffer format, [`BufferFormat::Dots`] without one.
pub fn buffer_format(state: Option<&dyn Names>) -> BufferFormat {
    state.map_or(BufferFormat::Dots, Names::buffer_format)
}

/// An fd as rendering shows it: `<4t>127.0.0.1:80->…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdName<'a> {
    /// sysdig's type character (`f`, `4`, `6`, `u`, `p`, …).
    pub typechar: u8,
    /// The layer-4 character (`t`, `u`), 0 if none.
    pub l4: u8,
    /// The fd's name.
    pub name: &'a str,
}

/// Collapses `.` and `..` path components (libsinsp does the same).
pub fn normalize_path(p: &str) -> String {
    // Most paths are already normal: copy them without splitting into a
    // vector and joining again (this runs on every open).
    if is_normal_path(p) {
        return p.to_owned();
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut s = String::from("/");
    s.push_str(&parts.join("/"));
    s
}

/// Whether [`normalize_path`] would return `p` unchanged: absolute, no
/// empty, `.` or `..` component, no trailing `/` (but `/` itself).
fn is_normal_path(p: &str) -> bool {
    p == "/"
        || (p.starts_with('/')
            && p[1..]
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != ".."))
}

#[cfg(test)]
mod tests {
    use super::{push_buffer, reltime, BufferFormat};

    fn buffer(v: &[u8], fmt: BufferFormat) -> String {
        let mut s = String::new();
        push_buffer(&mut s, v, fmt);
        s
    }

    /// Paths as libsinsp names them, those the fast path copies and those
    /// it leaves to the slow one alike.
    #[test]
    fn paths_normalize_as_libsinsp_does() {
        for (p, want) in [
            ("/", "/"),
            ("/etc/hostname", "/etc/hostname"),
            ("/etc/", "/etc"),
            ("//etc//x", "/etc/x"),
            ("/etc/./x", "/etc/x"),
            ("/etc/../etc/x", "/etc/x"),
            ("/etc/.", "/etc"),
            ("/..", "/"),
            ("/a/..b/.c", "/a/..b/.c"),
            ("rel/x", "/rel/x"),
            ("", "/"),
        ] {
            assert_eq!(super::normalize_path(p), want, "{p:?}");
        }
    }

    /// The cases the fixtures lack: an odd last byte, a short row's padding,
    /// carriage returns, a newline that opens the buffer, base64 padding.
    #[test]
    fn buffers_print_as_libsinsps_printers_do() {
        assert_eq!(buffer(b"abc", BufferFormat::Hex), "\n\t0x0000: 6162 63\n");
        assert_eq!(
            buffer(b"abc", BufferFormat::HexAscii),
            format!("\n\t0x0000: 6162 63{}  abc\n", " ".repeat(30))
        );
        assert_eq!(buffer(b"\na\r\nb\nc\x01", BufferFormat::Ascii), "\na\nb\nc");
        assert_eq!(buffer(b"ab", BufferFormat::Base64), "YWI=");
        assert_eq!(buffer(b"a", BufferFormat::Base64), "YQ==");
        assert_eq!(buffer(b"", BufferFormat::HexAscii), "");
        assert_eq!(
            buffer(&[b'x'; 81], BufferFormat::Dots),
            format!("{}...", "x".repeat(77))
        );
    }

    /// As sysdig 0.29 and 0.41 print relative times (`%lgs`).
    #[test]
    fn relative_times_read_as_libsinsp_prints_them() {
        assert_eq!(reltime(12_345_678), "0.0123457s");
        assert_eq!(reltime(2_500_000_000), "2.5s");
        assert_eq!(reltime(640_000), "0.00064s");
        assert_eq!(reltime(0), "0s");
        assert_eq!(reltime(2_000_000_000), "2s");
        assert_eq!(reltime(50_000), "5e-05s");
        assert_eq!(reltime(3_600_000_000_000_000), "3.6e+06s");
    }
}
