//! Numbers on a comparison's right side, as libsinsp parses them.

use super::*;

/// A number of a filter, wide enough for every 64-bit value either sign:
/// decimal, `0x` hex, or a float with no fraction (`1.0`).
pub(super) fn num_wide(l: &Literal) -> Result<i128, (Span, CompileFault)> {
    let t = l.text.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let v = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok().map(i128::from)
    } else {
        body.parse::<u64>().ok().map(i128::from).or_else(|| {
            body.parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0)
                // `as` saturates: a float beyond i128 is its bound.
                .map(|f| f as i128)
        })
    };
    // |v| < 2^127 here, so neither side of the negation overflows.
    v.map(|v| if neg { -v } else { v }).ok_or_else(|| {
        (
            l.span,
            CompileFault::NotANumber {
                text: l.text.clone(),
            },
        )
    })
}

/// A number for a field of a fixed numeric type: saturated to i64, as
/// libsinsp's signed parse does (`fd.num = 18446744073709551615` matches
/// no fd -1).
pub(super) fn num(l: &Literal) -> Result<i64, (Span, CompileFault)> {
    num_wide(l).map(|v| v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}
