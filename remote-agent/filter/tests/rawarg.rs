//! `evt.rawarg` compared as libsinsp compares it: in the parameter's own
//! type (checked against sysdig 0.41 on a live lseek capture, and sysdig
//! 0.29 on its compat copy, before this table was written).
#![allow(clippy::panic, clippy::unwrap_used)]

use scapbridge_filter::{EvalContext, Filter};
use scapbridge_formats::state::CaptureState;
use scapbridge_formats::{Event, Generation, OwnedEvent};

/// An lseek exit (event 87 of the libs 0.23 layout: res, fd, offset as
/// UINT64, whence as ENUMFLAGS8) that seeked back 2 from fd -100.
fn lseek_back_2() -> Vec<u8> {
    let mut exit = OwnedEvent::new(1, 7, 87);
    exit.push(5i64.to_le_bytes())
        .push((-100i64).to_le_bytes())
        .push((-2i64).to_le_bytes())
        .push([1u8]);
    exit.encode()
}

/// A field of a fixed type takes a number beyond i64 saturated (no panic
/// on i64::MIN's magnitude, no wrap of 2^64 - 1 to -1).
#[test]
fn numbers_beyond_i64_saturate_for_fixed_fields() {
    let raw = lseek_back_2();
    let ev = Event::parse(&raw, false).unwrap();
    let mut st = CaptureState::new();
    st.update(&ev);
    let cx = EvalContext { state: &st, num: 1 };
    for (flt, want) in [
        ("evt.num = 18446744073709551615", false),
        ("evt.num < 18446744073709551615", true),
        ("evt.num > -9223372036854775808", true),
        ("evt.num > -99999999999999999999", true),
        ("evt.num = 0x1", true),
    ] {
        assert_eq!(Filter::new(flt).unwrap().matches(&ev, cx), want, "{flt}");
    }
}

#[test]
fn a_raw_argument_compares_in_its_parameters_type() {
    let raw = lseek_back_2();
    let ev = Event::parse(&raw, false).unwrap();
    for g in [Generation::Libs023, Generation::Sysdig029] {
        let mut st = CaptureState::new();
        st.set_generation(g);
        st.update(&ev);
        let cx = EvalContext { state: &st, num: 1 };
        for (flt, want) in [
            // UINT64: unsigned, the right side read as a 64-bit number.
            ("evt.rawarg.offset < 0", false),
            ("evt.rawarg.offset >= 0", true),
            ("evt.rawarg.offset > 100", true),
            ("evt.rawarg.offset = -2", true),
            ("evt.rawarg.offset = 18446744073709551614", true),
            ("evt.rawarg.offset > -3", true),
            ("evt.rawarg.offset < -1", true),
            // ENUMFLAGS8: the right side cut to 8 bits.
            ("evt.rawarg.whence = 1", true),
            ("evt.rawarg.whence = 257", true),
            ("evt.rawarg.whence = 4294967297", true),
            ("evt.rawarg.whence > -1", false),
            // FD and ERRNO: signed 64-bit.
            ("evt.rawarg.fd = -100", true),
            ("evt.rawarg.fd < 0", true),
            ("evt.rawarg.res > 0", true),
            // A signed parameter takes a number beyond i64 saturated, as
            // libsinsp's signed parse: no wrap to -100 or to -1.
            ("evt.rawarg.fd = 18446744073709551516", false),
            ("evt.rawarg.fd < 18446744073709551516", true),
            ("evt.rawarg.fd > -9223372036854775808", true),
            ("evt.rawarg.fd > -18446744073709551615", true),
            // A list of numbers matches no number of evt.rawarg.
            ("evt.rawarg.offset in (-2, 5)", false),
            ("evt.rawarg.whence in (0, 1)", false),
            ("evt.rawarg.fd intersects (-100)", false),
        ] {
            assert_eq!(
                Filter::new(flt).unwrap().matches(&ev, cx),
                want,
                "{g:?} {flt}"
            );
        }
    }
}
