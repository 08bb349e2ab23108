//! The rules loader on any text: YAML parsing (anchors, aliases, tags),
//! lists and macros expanded within the loader's limits, conditions
//! compiled, outputs and exceptions checked. Errors are fine; a panic, an
//! abort, a time-out or memory past libFuzzer's limit is a bug (the loader
//! promises hard limits on hostile files).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    // Rules files are read as UTF-8 text; other bytes never reach the parser.
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let _ = scapbridge_rules::RuleSet::load_texts(&[("fuzz.yaml".into(), text.to_string())]);
});
