//! The filter language on any text: parse and compile, the error's message,
//! and, for what compiles, evaluation over a few events and their process
//! table (the generated `scap_reader` seed `proc_open_read.scap`).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scapbridge_filter::{EvalContext, Filter};
use scapbridge_formats::state::CaptureState;
use scapbridge_formats::{Item, ReaderOptions, ScapReader};

/// One capture's events (raw bytes, large flag) and the state after reading
/// its tables.
struct Trace {
    events: Vec<(Vec<u8>, bool)>,
    state: CaptureState,
}

fn trace() -> &'static Trace {
    static TRACE: OnceLock<Trace> = OnceLock::new();
    TRACE.get_or_init(|| {
        let bytes = include_bytes!("../corpus/scap_reader/proc_open_read.scap");
        let mut r = ScapReader::with_options(&bytes[..], ReaderOptions::skipping_unknown_events())
            .expect("the seed capture opens");
        let mut t = Trace {
            events: Vec::new(),
            state: CaptureState::new(),
        };
        while let Some(item) = r.next_item().expect("the seed capture reads") {
            match item {
                Item::Processes(p) => t.state.add_processes(&p),
                Item::Fds { tid, fds } => t.state.add_fds(tid, &fds),
                Item::Event(e) => t.events.push((e.raw().to_vec(), e.is_large())),
                _ => {}
            }
        }
        assert!(!t.events.is_empty(), "the seed capture holds events");
        t
    })
}

fuzz_target!(|input: &[u8]| {
    // Filters come from the command line and rules files: always text.
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    match Filter::new(text) {
        Ok(f) => {
            let t = trace();
            for (num, (raw, large)) in t.events.iter().enumerate() {
                let ev = scapbridge_formats::Event::parse(raw, *large).expect("a seed event");
                let _ = f.matches(
                    &ev,
                    EvalContext {
                        state: &t.state,
                        num: num as u64 + 1,
                    },
                );
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
