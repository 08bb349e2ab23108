//! Typed parameter values: each parameter of an event decoded by its schema
//! type, borrowing the event's bytes, with no allocation.
//!
//! [`crate::render`] turns a [`Value`] into sysdig's text (adding what the
//! capture state knows: fd names, process names, user names), so decoding
//! and rendering are one path: what the sysdig-equality tests check of the
//! text holds for the values. Tools that need numbers, paths or addresses
//! (filters, rules, statistics) read the values without rendering text.

use crate::bytes::{le_u16, le_u64};
use crate::event::{value_i64, value_u64, Event};
use crate::schema::{ParamAux, ParamInfo, ParamType, PrintFormat};

/// One decoded parameter. Borrowed from the event (valid as long as it is).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// A zero-length value of a type that needs bytes: not available
    /// (sysdig prints `<NA>`).
    Missing,
    /// A signed integer `width` bytes wide on the wire.
    Int {
        /// The value.
        v: i64,
        /// Its width in bytes (hexadecimal output shows that many).
        width: u8,
        /// How the schema prints it.
        fmt: PrintFormat,
    },
    /// An unsigned integer (also ports, protocols, booleans, signal sets,
    /// absolute times).
    Uint {
        /// The value.
        v: u64,
        /// How the schema prints it.
        fmt: PrintFormat,
    },
    /// A duration in nanoseconds.
    RelTime {
        /// Nanoseconds.
        ns: u64,
        /// How the schema prints it.
        fmt: PrintFormat,
    },
    /// A return value: negative is `-errno`.
    Errno {
        /// The value.
        v: i64,
        /// How the schema prints it.
        fmt: PrintFormat,
    },
    /// A file descriptor (negative: `-errno`, or -100 for `AT_FDCWD`).
    Fd(i64),
    /// A thread or process id.
    Pid(i64),
    /// A user id (`u32::MAX` is "none", printed `-1`).
    Uid(u64),
    /// A group id (`u32::MAX` is "none").
    Gid(u64),
    /// Flag bits or an enumeration value, with the libs names table (empty
    /// when the schema has none).
    Flags {
        /// The bits.
        bits: u64,
        /// Names of bits or values, in the libs table order.
        names: &'static [(&'static str, u32)],
        /// Only an exact value has a name (an enumeration, not bits).
        exact: bool,
    },
    /// A signal number.
    Signal(u8),
    /// A socket address family.
    SockFamily(u8),
    /// A syscall code.
    SyscallId(u64),
    /// Text up to its NUL (strings, absolute paths); not necessarily UTF-8.
    Str(&'a [u8]),
    /// A path that may be relative (up to its NUL), and what it is
    /// relative to.
    RelPath {
        /// The path as the process gave it.
        path: &'a [u8],
        /// The directory it is relative to.
        base: PathBase,
    },
    /// Raw bytes: I/O data (cut at the capture's snaplen), argument and
    /// environment lists (NUL-separated).
    Bytes(&'a [u8]),
    /// A socket address.
    SockAddr(SockAddr<'a>),
    /// The two endpoints of a socket.
    SockTuple(SockTuple<'a>),
    /// An IPv4 address.
    Ipv4([u8; 4]),
    /// An IPv6 address.
    Ipv6([u8; 16]),
    /// A poll fd list (`u16` count, then `fd: i64, flags: u16` each).
    FdList(&'a [u8]),
    /// A floating-point number.
    Double(f64),
    /// Bytes whose length does not fit their declared type (an integer of
    /// 3 bytes, say): shown as bytes.
    Raw(&'a [u8]),
}

/// What a possibly relative path is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathBase {
    /// The schema links it to no directory: shown as given.
    Unlinked,
    /// The thread's working directory (`AT_FDCWD`, or no usable dirfd).
    Cwd,
    /// The directory open as this fd.
    Fd(i64),
}

/// A socket address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SockAddr<'a> {
    /// No address (a zero-length value; sysdig prints `NULL`).
    Null,
    /// IPv4 address and port.
    Inet4 {
        /// Address.
        ip: [u8; 4],
        /// Port.
        port: u16,
    },
    /// IPv6 address and port.
    Inet6 {
        /// Address.
        ip: [u8; 16],
        /// Port.
        port: u16,
    },
    /// A unix socket path (up to its NUL).
    Unix(&'a [u8]),
    /// A family this format does not describe, or a short value.
    Malformed,
}

/// A socket's two endpoints, as scap encodes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SockTuple<'a> {
    /// No tuple (zero-length; sysdig prints `NULL`).
    Null,
    /// IPv4 source and destination.
    Inet4 {
        /// Source address.
        sip: [u8; 4],
        /// Source port.
        sport: u16,
        /// Destination address.
        dip: [u8; 4],
        /// Destination port.
        dport: u16,
    },
    /// IPv6 source and destination.
    Inet6 {
        /// Source address.
        sip: [u8; 16],
        /// Source port.
        sport: u16,
        /// Destination address.
        dip: [u8; 16],
        /// Destination port.
        dport: u16,
    },
    /// Unix socket: kernel addresses of the two ends, and the path.
    Unix {
        /// Source end.
        src: u64,
        /// Destination end.
        dst: u64,
        /// Path (up to its NUL).
        path: &'a [u8],
    },
    /// A family this format does not describe, or a short value.
    Malformed,
}

/// Bytes up to the first NUL.
fn until_nul(v: &[u8]) -> &[u8] {
    let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
    &v[..end]
}

fn arr<const N: usize>(v: &[u8], at: usize) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&v[at..at + N]);
    a
}

/// Decodes a socket address value.
pub fn sockaddr(v: &[u8]) -> SockAddr<'_> {
    match v.first() {
        None => SockAddr::Null,
        Some(2) if v.len() >= 7 => SockAddr::Inet4 {
            ip: arr(v, 1),
            port: le_u16(v, 5),
        },
        Some(10) if v.len() >= 19 => SockAddr::Inet6 {
            ip: arr(v, 1),
            port: le_u16(v, 17),
        },
        Some(1) => SockAddr::Unix(until_nul(&v[1..])),
        Some(_) => SockAddr::Malformed,
    }
}

/// Decodes a socket tuple value.
pub fn socktuple(v: &[u8]) -> SockTuple<'_> {
    match v.first() {
        None => SockTuple::Null,
        Some(2) if v.len() >= 13 => SockTuple::Inet4 {
            sip: arr(v, 1),
            sport: le_u16(v, 5),
            dip: arr(v, 7),
            dport: le_u16(v, 11),
        },
        Some(10) if v.len() >= 37 => SockTuple::Inet6 {
            sip: arr(v, 1),
            sport: le_u16(v, 17),
            dip: arr(v, 19),
            dport: le_u16(v, 35),
        },
        Some(1) if v.len() >= 17 => SockTuple::Unix {
            src: le_u64(v, 1),
            dst: le_u64(v, 9),
            path: until_nul(&v[17..]),
        },
        Some(_) => SockTuple::Malformed,
    }
}

/// Whether a zero-length value of `ty` is a value (an empty string, no
/// address) rather than "not available".
fn empty_is_a_value(ty: ParamType) -> bool {
    matches!(
        ty,
        ParamType::Charbuf
            | ParamType::Fspath
            | ParamType::Fsrelpath
            | ParamType::Bytebuf
            | ParamType::Sockaddr
            | ParamType::Socktuple
    )
}

/// Parameter `i` of `ev` (described by `p`, its schema entry), decoded;
/// `None` when the event has fewer parameters.
pub fn decode<'a>(ev: &Event<'a>, i: usize, p: &ParamInfo) -> Option<Value<'a>> {
    Some(decode_bytes(ev, ev.param(i)?, p))
}

/// A parameter's bytes `v` decoded by its schema entry `p`. `ev` is the
/// event it belongs to (a relative path's dirfd is another of its
/// parameters).
///
/// Inlined, as is the decoder behind it: a `Value` returned through memory
/// was reloaded with wider loads than it was stored with, a stall on every
/// parameter that cost more than decoding it.
#[inline]
pub fn decode_bytes<'a>(ev: &Event<'a>, v: &'a [u8], p: &ParamInfo) -> Value<'a> {
    if v.is_empty() && !empty_is_a_value(p.ty) {
        return Value::Missing;
    }
    typed(ev, v, p.ty, p.fmt, p.aux)
}

/// Every parameter the schema names, decoded, in order: (its schema entry,
/// its value). One pass over the length array.
pub fn values<'e, 'a: 'e>(
    ev: &'e Event<'a>,
) -> impl Iterator<Item = (&'static ParamInfo, Value<'a>)> + 'e {
    let params: &'static [ParamInfo] = ev.info().map_or(&[], |i| i.params);
    params
        .iter()
        .zip(ev.params())
        .map(move |(p, v)| (p, decode_bytes(ev, v, p)))
}

#[inline(always)]
fn typed<'a>(
    ev: &Event<'a>,
    v: &'a [u8],
    ty: ParamType,
    fmt: PrintFormat,
    aux: ParamAux,
) -> Value<'a> {
    use ParamType as T;
    // A dynamic parameter is one of its alternatives, chosen by its first
    // byte; resolved here, once, so the decoder below is not recursive
    // (and can be inlined into every caller).
    let (v, ty, fmt, aux) = match (ty, aux) {
        (T::Dyn, ParamAux::Dyn(alts)) => {
            match v
                .split_first()
                .and_then(|(&k, rest)| Some((alts.get(usize::from(k))?, rest)))
            {
                Some((alt, rest)) => (rest, alt.ty, alt.fmt, ParamAux::None),
                None => return Value::Raw(v),
            }
        }
        (T::Dyn, _) => return Value::Raw(v),
        _ => (v, ty, fmt, aux),
    };
    let raw = Value::Raw(v);
    match ty {
        T::Int8 | T::Int16 | T::Int32 | T::Int64 => value_i64(v).map_or(raw, |s| Value::Int {
            v: s,
            width: v.len() as u8,
            fmt,
        }),
        T::Reltime => value_u64(v).map_or(raw, |ns| Value::RelTime { ns, fmt }),
        T::Uint8
        | T::Uint16
        | T::Uint32
        | T::Uint64
        | T::Abstime
        | T::Port
        | T::L4proto
        | T::Bool
        | T::Sigset => value_u64(v).map_or(raw, |u| Value::Uint { v: u, fmt }),
        T::Errno => value_i64(v).map_or(raw, |s| Value::Errno { v: s, fmt }),
        T::Fd | T::Fd32 => value_i64(v).map_or(raw, Value::Fd),
        T::Pid | T::Pid32 => value_i64(v).map_or(raw, Value::Pid),
        T::Uid => value_u64(v).map_or(raw, Value::Uid),
        T::Gid => value_u64(v).map_or(raw, Value::Gid),
        T::Charbuf => Value::Str(until_nul(v)),
        // libsinsp resolves a relative path against the thread's cwd.
        T::Fspath => Value::RelPath {
            path: until_nul(v),
            base: PathBase::Cwd,
        },
        T::Fsrelpath => Value::RelPath {
            path: until_nul(v),
            base: match aux {
                ParamAux::DirFd(d) => match ev.param(usize::from(d)).and_then(value_i64) {
                    Some(fd) if fd != -100 => PathBase::Fd(fd),
                    _ => PathBase::Cwd,
                },
                _ => PathBase::Unlinked,
            },
        },
        T::Bytebuf | T::Charbufarray | T::CharbufPairArray => Value::Bytes(v),
        T::Sockaddr => Value::SockAddr(sockaddr(v)),
        T::Socktuple => Value::SockTuple(socktuple(v)),
        T::Fdlist => Value::FdList(v),
        T::Syscallid => value_u64(v).map_or(raw, Value::SyscallId),
        T::Sigtype => v.first().map_or(raw, |&s| Value::Signal(s)),
        T::Sockfamily => v.first().map_or(raw, |&f| Value::SockFamily(f)),
        T::Ipv4addr if v.len() == 4 => Value::Ipv4(arr(v, 0)),
        T::Ipv6addr if v.len() == 16 => Value::Ipv6(arr(v, 0)),
        T::Ipaddr if v.len() == 4 => Value::Ipv4(arr(v, 0)),
        T::Ipaddr if v.len() == 16 => Value::Ipv6(arr(v, 0)),
        T::Flags8
        | T::Flags16
        | T::Flags32
        | T::Enumflags8
        | T::Enumflags16
        | T::Enumflags32
        | T::Mode => value_u64(v).map_or(raw, |bits| Value::Flags {
            bits,
            names: match aux {
                ParamAux::Flags(t) => t,
                _ => &[],
            },
            exact: matches!(ty, T::Enumflags8 | T::Enumflags16 | T::Enumflags32),
        }),
        T::Double if v.len() == 8 => Value::Double(f64::from_le_bytes(arr(v, 0))),
        _ => Value::Bytes(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::OwnedEvent;

    fn ev(raw: &[u8]) -> Event<'_> {
        Event::parse(raw, false).unwrap()
    }

    #[test]
    fn openat_exit_decodes_by_type() {
        // openat exit (307): fd, dirfd, name, flags, mode, dev, ino.
        let mut e = OwnedEvent::new(1, 42, 307);
        e.push(3i64.to_le_bytes())
            .push((-100i64).to_le_bytes())
            .push_str("etc/passwd")
            .push(0x4001u32.to_le_bytes())
            .push(0u32.to_le_bytes())
            .push(0x803u32.to_le_bytes())
            .push(77u64.to_le_bytes());
        let raw = e.encode();
        let ev = ev(&raw);
        let v: Vec<_> = values(&ev).map(|(p, v)| (p.name, v)).collect();
        assert_eq!(v[0], ("fd", Value::Fd(3)));
        assert_eq!(v[1], ("dirfd", Value::Fd(-100)));
        assert_eq!(
            v[2],
            (
                "name",
                Value::RelPath {
                    path: b"etc/passwd",
                    base: PathBase::Cwd
                }
            )
        );
        assert!(
            matches!(v[3].1, Value::Flags { bits: 0x4001, exact: false, names } if !names.is_empty())
        );
        assert_eq!(v.len(), 7);
    }

    #[test]
    fn sockets_and_odd_sizes() {
        let t = [2u8, 127, 0, 0, 1, 0x50, 0, 10, 0, 0, 1, 0xbb, 1];
        assert_eq!(
            socktuple(&t),
            SockTuple::Inet4 {
                sip: [127, 0, 0, 1],
                sport: 0x50,
                dip: [10, 0, 0, 1],
                dport: 0x1bb
            }
        );
        assert_eq!(socktuple(&t[..12]), SockTuple::Malformed);
        assert_eq!(sockaddr(&[]), SockAddr::Null);
        assert_eq!(sockaddr(b"\x01/tmp/s\0x"), SockAddr::Unix(b"/tmp/s"));
        // close exit (5: res, an errno) with a 3-byte value: kept as bytes.
        let mut e = OwnedEvent::new(1, 1, 5);
        e.push(vec![1u8, 2, 3]);
        let raw = e.encode();
        let ev = ev(&raw);
        assert_eq!(values(&ev).next().unwrap().1, Value::Raw(&[1, 2, 3]));
        // An empty errno is not available; an empty path is an empty path.
        let mut e = OwnedEvent::new(1, 1, 5);
        e.push(Vec::new());
        let raw = e.encode();
        assert_eq!(
            values(&super::tests::ev(&raw)).next().unwrap().1,
            Value::Missing
        );
    }
}
