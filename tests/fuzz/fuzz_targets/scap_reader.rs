//! The capture reader on any bytes, and everything downstream of it that a
//! hostile capture reaches: the state tables, the renderer, and the writer,
//! whose output must read back cleanly (the walk of `tests/fuzz_reader.rs`,
//! shared with it, coverage-guided here).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../common/scap_walk.rs"]
mod scap_walk;

fuzz_target!(|input: &[u8]| scap_walk::exercise(input));
