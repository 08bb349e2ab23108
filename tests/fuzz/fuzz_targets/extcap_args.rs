//! The extcap and `scapbridge capture` argument parsers. The input is an
//! argv, one argument per line (so arguments may hold spaces); bytes that
//! are not UTF-8 go through `utf8_args`, as the binary's `main` does, and
//! stop there. Then the checks a capture call runs, and every option the
//! named interface's table knows, through each of the value parsers those
//! options use (durations, sizes, speeds, CloudTrail locations and
//! intervals).
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use libfuzzer_sys::fuzz_target;
use scapbridge_extcap::invocation::{is_extcap_call, parse_extcap, parse_headless, truthy, utf8_args};

/// Every value parser an option can reach; which one applies depends on
/// the option, but each must survive any text.
fn values(v: &str) {
    let _ = truthy(v);
    let _ = scapbridge_engine::capture::parse_duration(v);
    let _ = scapbridge_replay::Speed::parse(v);
    let _ = scapbridge_engine::trigger::parse_bytes(v);
    let _ = scapbridge_cloudtrail::spec::Location::parse(v);
    // A fixed "now" (2024-01-02T03:04:05Z, in s), so a run is repeatable.
    let _ = scapbridge_cloudtrail::spec::Interval::parse(v, 1_704_164_645);
    let _ = scapbridge_cloudtrail::spec::parse_accounts(v);
}

fuzz_target!(|input: &[u8]| {
    let raw: Vec<OsString> = input
        .split(|&b| b == b'\n')
        .map(|a| OsString::from_vec(a.to_vec()))
        .collect();
    let Ok(args) = utf8_args(&raw) else {
        return;
    };
    let _ = is_extcap_call(&args);
    for inv in [parse_extcap(&args), parse_headless(&args)] {
        let _ = inv.check_capture();
        if let Ok(spec) = inv.interface_spec() {
            for arg in spec.all_args() {
                if let Some(v) = inv.option(spec, arg.name) {
                    values(&v);
                }
            }
        }
    }
});
