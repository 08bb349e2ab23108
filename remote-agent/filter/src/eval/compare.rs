//! Values and comparisons: numbers, strings, addresses and networks,
//! globs and path matches.

use super::*;

/// An extracted value.
#[derive(Debug)]
pub(super) enum Value<'a> {
    Str(Cow<'a, str>),
    Num(i64),
    Bool(bool),
    /// Addresses of a socket (`fd.ip`: both ends).
    Ips(Vec<std::net::IpAddr>),
    /// A byte buffer (`evt.buffer`).
    Bytes(Cow<'a, [u8]>),
    /// A number of `evt.rawarg`, which libsinsp compares in the
    /// parameter's own type.
    Raw(RawNum),
}

/// A numeric parameter as `evt.rawarg` holds it. libsinsp (both
/// generations) compares it in the parameter's type: the right side, read
/// as a 64-bit number (`-2` wraps), cut to the parameter's width, then
/// compared signed or unsigned as the type is (sysdig 0.41: lseek's
/// `offset < 0` holds for none, `offset = -2` for an offset of -2, and a
/// UINT8 `whence = 4294967297` for whence 1). A list (`in`, `intersects`)
/// of numbers matches none of them.
#[derive(Debug, Clone, Copy)]
pub(super) struct RawNum {
    /// The value's bytes, little-endian, zero-extended.
    pub(super) bits: u64,
    /// Width in bits: 8, 16, 32 or 64.
    pub(super) width: u32,
    pub(super) signed: bool,
}

impl RawNum {
    // Widths come from `value_u64` (1, 2, 4 or 8 bytes); any other one
    // masks to nothing rather than shifting out of range.
    fn mask(&self) -> u64 {
        match self.width {
            1..=64 => u64::MAX >> (64 - self.width),
            _ => 0,
        }
    }

    /// `x` (already cut to the width) as a signed number of that width.
    fn signed_of(&self, x: u64) -> i64 {
        match self.width {
            1..=64 => {
                let shift = 64 - self.width;
                ((x << shift) as i64) >> shift
            }
            _ => 0,
        }
    }

    fn cmp_rhs(&self, rhs: i64) -> std::cmp::Ordering {
        let (a, b) = (self.bits & self.mask(), rhs as u64 & self.mask());
        if self.signed {
            self.signed_of(a).cmp(&self.signed_of(b))
        } else {
            a.cmp(&b)
        }
    }

    /// The value as a number of its type (an unsigned one above i64::MAX
    /// keeps its bits), for a comparison with another field's value.
    fn as_i64(&self) -> i64 {
        let a = self.bits & self.mask();
        if self.signed {
            self.signed_of(a)
        } else {
            a as i64
        }
    }

    /// The value in decimal, as its type prints.
    fn text(&self) -> String {
        let a = self.bits & self.mask();
        if self.signed {
            self.signed_of(a).to_string()
        } else {
            a.to_string()
        }
    }
}

pub(super) fn in_net(ip: std::net::IpAddr, (net, prefix): (std::net::IpAddr, u8)) -> bool {
    match (ip, net) {
        (std::net::IpAddr::V4(a), std::net::IpAddr::V4(b)) => {
            let m = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            u32::from(a) & m == u32::from(b) & m
        }
        (std::net::IpAddr::V6(a), std::net::IpAddr::V6(b)) => {
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            u128::from(a) & m == u128::from(b) & m
        }
        _ => false,
    }
}

impl<'a> Value<'a> {
    /// The value as text (outputs, transformers).
    pub(super) fn into_text(self) -> Cow<'a, str> {
        match self {
            Value::Str(s) => s,
            Value::Num(n) => Cow::Owned(n.to_string()),
            Value::Raw(r) => Cow::Owned(r.text()),
            Value::Bool(b) => Cow::Owned(b.to_string()),
            Value::Bytes(b) => match b {
                Cow::Borrowed(b) => String::from_utf8_lossy(b),
                Cow::Owned(b) => Cow::Owned(String::from_utf8_lossy(&b).into_owned()),
            },
            Value::Ips(v) => Cow::Owned(
                v.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        }
    }
}

pub(super) fn transform(x: Xform, v: Value<'_>) -> Option<Value<'_>> {
    let s = v.into_text();
    Some(match x {
        Xform::ToLower => Value::Str(Cow::Owned(s.to_lowercase())),
        Xform::ToUpper => Value::Str(Cow::Owned(s.to_uppercase())),
        Xform::Basename => Value::Str(Cow::Owned(s.rsplit('/').next().unwrap_or("").to_string())),
        Xform::Len => Value::Num(s.len() as i64),
        Xform::B64 => Value::Str(Cow::Owned(
            String::from_utf8_lossy(&b64_decode(s.as_bytes())?).into_owned(),
        )),
    })
}

/// Standard base64 with padding, as libs' `b64` transformer decodes it;
/// `None` for text that is not base64.
fn b64_decode(t: &[u8]) -> Option<Vec<u8>> {
    if !t.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let mut out = Vec::with_capacity(t.len() / 4 * 3);
    for (i, q) in t.chunks(4).enumerate() {
        let last = i + 1 == t.len() / 4;
        let pad = q.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for c in &q[..4 - pad] {
            n = n << 6 | val(*c)?;
        }
        n <<= 6 * pad as u32;
        out.extend_from_slice(&n.to_be_bytes()[1..4 - pad]);
    }
    Some(out)
}

/// `a op b` for two fields' values (`val()`): numbers as numbers, anything
/// else as text.
pub(super) fn compare_values(a: &Value<'_>, op: CmpOp, b: &Value<'_>) -> bool {
    let want = match b {
        Value::Num(n) => Want::Num(*n),
        Value::Raw(r) => Want::Num(r.as_i64()),
        Value::Bool(v) => Want::Bool(*v),
        Value::Str(s) if op == CmpOp::IContains => Want::Str(s.to_lowercase()),
        Value::Str(s) => Want::Str(s.to_string()),
        Value::Bytes(v) => Want::Bytes(v.to_vec()),
        Value::Ips(_) => return false,
    };
    compare(a, op, &want)
}

/// For a socket's two addresses (`fd.ip`, `fd.net`): `!=` holds when
/// neither matches, every other operator when one does (libsinsp's
/// `compare_ip`).
pub(super) fn any_or_none(op: CmpOp, any: bool) -> bool {
    if op == CmpOp::Ne {
        !any
    } else {
        any
    }
}

/// A string operator on two strings.
pub(super) fn str_op(s: &str, op: CmpOp, b: &str) -> bool {
    use CmpOp::*;
    match op {
        Eq => s == b,
        Ne => s != b,
        Contains => s.contains(b),
        IContains => s.to_lowercase().contains(b),
        StartsWith => s.starts_with(b),
        EndsWith => s.ends_with(b),
        _ => false,
    }
}

/// A value against one string of a list (modifiers, `=` with a list).
pub(super) fn compare_str(v: &Value<'_>, op: CmpOp, b: &str) -> bool {
    match v {
        Value::Str(s) => str_op(s, op, b),
        Value::Num(n) => str_op(&n.to_string(), op, b),
        Value::Raw(r) => str_op(&r.text(), op, b),
        _ => false,
    }
}

pub(super) fn compare(v: &Value<'_>, op: CmpOp, w: &Want) -> bool {
    use CmpOp::*;
    match (v, w) {
        (Value::Ips(ips), Want::Nets(nets)) => any_or_none(
            op,
            ips.iter().any(|ip| nets.iter().any(|n| in_net(*ip, *n))),
        ),
        (Value::Num(a), Want::Num(b)) => match op {
            Eq => a == b,
            Ne => a != b,
            Lt => a < b,
            Le => a <= b,
            Gt => a > b,
            Ge => a >= b,
            _ => false,
        },
        (Value::Num(a), Want::NumList(l)) => l.contains(a),
        (Value::Raw(r), Want::Num(_) | Want::RawNum { .. }) => {
            let b = match w {
                Want::RawNum { wrapped, saturated } => {
                    if r.signed {
                        *saturated
                    } else {
                        *wrapped
                    }
                }
                Want::Num(b) => *b,
                _ => return false,
            };
            let o = r.cmp_rhs(b);
            match op {
                Eq => o.is_eq(),
                Ne => o.is_ne(),
                Lt => o.is_lt(),
                Le => o.is_le(),
                Gt => o.is_gt(),
                Ge => o.is_ge(),
                _ => false,
            }
        }
        (Value::Bool(a), Want::Bool(b)) => (a == b) == (op == Eq),
        (Value::Str(s), Want::Str(b)) => str_op(s, op, b),
        (Value::Str(s), Want::StrList(l)) => l.iter().any(|x| x == s),
        (Value::Str(s), Want::Regex(r)) => r.is_match(s),
        (Value::Str(s), Want::Glob(g, fold)) => {
            // An iglob pattern was lower-cased when compiled.
            if *fold {
                glob(g.as_bytes(), s.to_lowercase().as_bytes())
            } else {
                glob(g.as_bytes(), s.as_bytes())
            }
        }
        (Value::Str(s), Want::Paths(ps)) => ps.iter().any(|p| pmatch(p, s)),
        (Value::Bytes(v), Want::Bytes(b)) => match op {
            BContains | Contains => b.is_empty() || v.windows(b.len()).any(|w| w == b.as_slice()),
            BStartsWith | StartsWith => v.starts_with(b),
            Eq => v.as_ref() == b.as_slice(),
            Ne => v.as_ref() != b.as_slice(),
            _ => false,
        },

        // evt.rawarg compared as text: numbers print in decimal.
        (Value::Num(n), Want::Str(b)) => str_op(&n.to_string(), op, b),
        (Value::Num(n), Want::StrList(l)) => {
            let t = n.to_string();
            l.contains(&t)
        }
        (Value::Raw(r), Want::Str(b)) => str_op(&r.text(), op, b),
        (Value::Raw(r), Want::StrList(l)) => l.contains(&r.text()),
        _ => false,
    }
}

/// `fnmatch(3)` with flags 0: `*` and `?` also match `/`.
pub fn glob(p: &[u8], s: &[u8]) -> bool {
    // Iterative with one backtrack point for the last `*`.
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                b'?' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, next)) = class(p, pi, s[si]) {
                        if ok {
                            pi = next;
                            si += 1;
                            continue;
                        }
                    } else if s[si] == b'[' {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
                b'\\' if pi + 1 < p.len() && p[pi + 1] == s[si] => {
                    pi += 2;
                    si += 1;
                    continue;
                }
                c if c == s[si] => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// A bracket expression at `p[at]`: whether `c` is in it and where it ends;
/// `None` if the bracket is not closed (then `[` is literal).
pub(super) fn class(p: &[u8], at: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = at + 1;
    let neg = matches!(p.get(i), Some(b'!' | b'^'));
    if neg {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == b']' && !first {
            return Some((hit != neg, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            if p[i] <= c && c <= p[i + 2] {
                hit = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                hit = true;
            }
            i += 1;
        }
    }
    None
}

/// Path-prefix match on whole components; pattern components may be globs.
pub(super) fn pmatch(pattern: &str, path: &str) -> bool {
    let pc: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    let sc: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    if pattern.starts_with('/') != path.starts_with('/') || sc.len() < pc.len() {
        return false;
    }
    pc.iter()
        .zip(&sc)
        .all(|(p, s)| glob(p.as_bytes(), s.as_bytes()))
}
