//! A bounds-checked cursor over a byte slice, in either byte order. Every read
//! returns a [`Fault::Short`] on underflow; callers add the block offset.

use crate::fault::Fault;

#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    be: bool,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8], be: bool) -> Self {
        Cursor { buf, pos: 0, be }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Fault> {
        if n > self.remaining() {
            return Err(Fault::Short {
                needed: n,
                at: self.pos,
                left: self.remaining(),
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn sub(&mut self, n: usize) -> Result<Cursor<'a>, Fault> {
        let be = self.be;
        Ok(Cursor::new(self.take(n)?, be))
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos..];
        self.pos = self.buf.len();
        s
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Fault> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Fault> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Fault> {
        let a = self.array::<2>()?;
        Ok(if self.be {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        })
    }

    pub(crate) fn u32(&mut self) -> Result<u32, Fault> {
        let a = self.array::<4>()?;
        Ok(if self.be {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Fault> {
        let a = self.array::<8>()?;
        Ok(if self.be {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        })
    }

    /// A u16-length-prefixed string (metadata blocks).
    pub(crate) fn str16(&mut self) -> Result<&'a [u8], Fault> {
        let n = self.u16()? as usize;
        self.take(n)
    }
}

// One bounds check and one load each: indexing byte by byte checked (and
// loaded) every byte, which counted for a tenth of a decode loop's
// instructions.
#[inline]
pub(crate) fn le_u16(b: &[u8], at: usize) -> u16 {
    let mut a = [0u8; 2];
    a.copy_from_slice(&b[at..at + 2]);
    u16::from_le_bytes(a)
}

#[inline]
pub(crate) fn le_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

#[inline]
pub(crate) fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// A u16 at `at` in the section's byte order (`be`: big endian).
#[inline]
pub(crate) fn ord_u16(b: &[u8], at: usize, be: bool) -> u16 {
    let v = le_u16(b, at);
    if be {
        v.swap_bytes()
    } else {
        v
    }
}

/// A u32 at `at` in the section's byte order.
#[inline]
pub(crate) fn ord_u32(b: &[u8], at: usize, be: bool) -> u32 {
    let v = le_u32(b, at);
    if be {
        v.swap_bytes()
    } else {
        v
    }
}

/// A u64 at `at` in the section's byte order.
#[inline]
pub(crate) fn ord_u64(b: &[u8], at: usize, be: bool) -> u64 {
    let v = le_u64(b, at);
    if be {
        v.swap_bytes()
    } else {
        v
    }
}
