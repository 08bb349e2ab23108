//! Old and big-endian event layouts rewritten into the current one, so the
//! rest of the reader sees one layout.

use super::*;

/// v1 event (22-byte header, no nparams) → v2 layout. The parameter count is
/// the largest count, from the schema's down to 0, whose lengths exactly fill
/// the event (libscap's rule).
pub(super) fn normalize_v1(
    evb: &[u8],
    be: bool,
    event_type: u16,
    out: &mut Vec<u8>,
) -> Result<(), Fault> {
    let r16 = |at: usize| ord_u16(evb, at, be);
    let r32 = |at: usize| ord_u32(evb, at, be);
    let r64 = |at: usize| ord_u64(evb, at, be);
    let len = r32(16) as usize;
    if len < 22 || len > evb.len() {
        return Err(Fault::V1LenOutside {
            len,
            have: evb.len(),
        });
    }
    let max_n = schema::event_info(event_type).map_or(0, |i| i.params.len());
    let mut found = None;
    for n in (0..=max_n).rev() {
        let lens_end = 22 + 2 * n;
        if lens_end > len {
            continue;
        }
        let sum: usize = (0..n).map(|i| r16(22 + 2 * i) as usize).sum();
        if lens_end + sum == len {
            found = Some(n);
            break;
        }
    }
    let Some(n) = found else {
        return Err(Fault::V1ParamCount { len });
    };
    out.extend_from_slice(&r64(0).to_le_bytes());
    out.extend_from_slice(&r64(8).to_le_bytes());
    out.extend_from_slice(&((len + 4) as u32).to_le_bytes());
    out.extend_from_slice(&event_type.to_le_bytes());
    out.extend_from_slice(&(n as u32).to_le_bytes());
    for i in 0..n {
        out.extend_from_slice(&r16(22 + 2 * i).to_le_bytes());
    }
    out.extend_from_slice(&evb[22 + 2 * n..len]);
    Ok(())
}

/// Big-endian v2 event → little-endian: header, lengths and fixed-size values.
pub(super) fn normalize_be(evb: &[u8], large: bool, out: &mut Vec<u8>) -> Result<(), Fault> {
    if evb.len() < HEADER_LEN {
        return Err(Fault::ShortHeader {
            header: HEADER_LEN,
            have: evb.len(),
        });
    }
    let len = ord_u32(evb, 16, true) as usize;
    let n = ord_u32(evb, 22, true) as usize;
    let w = if large { 4 } else { 2 };
    if len > evb.len() || HEADER_LEN + n * w > len || n > event::MAX_PARAMS {
        return Err(Fault::BigEndianMisfit { len, nparams: n });
    }
    out.extend_from_slice(&ord_u64(evb, 0, true).to_le_bytes());
    out.extend_from_slice(&ord_u64(evb, 8, true).to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&ord_u16(evb, 20, true).to_le_bytes());
    out.extend_from_slice(&(n as u32).to_le_bytes());
    for i in 0..n {
        let at = HEADER_LEN + i * w;
        if large {
            out.extend_from_slice(&ord_u32(evb, at, true).to_le_bytes());
        } else {
            out.extend_from_slice(&ord_u16(evb, at, true).to_le_bytes());
        }
    }
    out.extend_from_slice(&evb[HEADER_LEN + n * w..len]);
    event::check(out, large)?;
    swap_param_values(out, large);
    Ok(())
}

/// Byte-swaps the fixed-size numeric parameter values of an event in place.
pub(super) fn swap_param_values(ev: &mut [u8], large: bool) {
    let Ok(n) = event::check(ev, large) else {
        return;
    };
    let Some(info) = schema::event_info(le_u16(ev, 20)) else {
        return;
    };
    let w = if large { 4 } else { 2 };
    let mut starts = [0usize; event::MAX_PARAMS + 1];
    starts[0] = HEADER_LEN + usize::from(n) * w;
    for i in 0..usize::from(n) {
        let at = HEADER_LEN + i * w;
        let len = if large {
            le_u32(ev, at) as usize
        } else {
            usize::from(le_u16(ev, at))
        };
        starts[i + 1] = starts[i] + len;
    }
    for i in 0..usize::from(n) {
        let Some(p) = info.params.get(i) else { break };
        let (s, e) = (starts[i], starts[i + 1]);
        let size = match p.ty {
            ParamType::Ipv4addr | ParamType::Ipv6addr | ParamType::Ipv4net | ParamType::Ipv6net => {
                continue
            }
            t => t.fixed_size(),
        };
        if size == Some(e - s) && e - s > 1 {
            ev[s..e].reverse();
        }
    }
}
