//! One walk over any bytes through everything a hostile capture reaches:
//! the reader, the state tables, the renderer, and the writer, whose output
//! must read back cleanly. Shared by `tests/fuzz_reader.rs` and the
//! cargo-fuzz target `scap_reader` (coverage-guided there).

#![allow(clippy::panic)]

use scapbridge_formats::state::CaptureState;
use scapbridge_formats::{
    render, Item, Profile, ReaderOptions, ScapReader, ScapWriter, WriterOptions,
};

/// Exercises everything on one input; errors are fine, panics are not.
pub(crate) fn exercise(input: &[u8]) {
    let Ok(mut r) = ScapReader::with_options(input, ReaderOptions::skipping_unknown_events())
    else {
        return;
    };
    let mut state = CaptureState::new();
    let mut w = ScapWriter::new(Vec::new(), WriterOptions::new(Profile::Keep))
        .expect("a writer into memory");
    let mut s = String::new();
    let mut in_events = false;
    for _ in 0..10_000 {
        match r.next_item() {
            Ok(Some(Item::Event(ev))) => {
                in_events = true;
                state.update(&ev);
                s.clear();
                render::args(&ev, Some(&state), &mut s);
                let _ = render::type_name(&ev);
                let _ = w.write_event(&ev);
            }
            Ok(Some(Item::Processes(p))) => {
                state.add_processes(p);
                if !in_events {
                    let _ = w.write_processes(p);
                }
            }
            Ok(Some(Item::Fds { tid, fds })) => {
                state.add_fds(tid, fds);
                if !in_events {
                    let _ = w.write_fds(tid, fds);
                }
            }
            Ok(Some(Item::Users(u))) => state.add_users(u),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let out = w.finish().expect("finishing a writer into memory");
    // Whatever we wrote must read back cleanly (whole blocks only).
    let mut r2 = ScapReader::with_options(&out[..], ReaderOptions::skipping_unknown_events())
        .expect("our own output opens");
    while let Some(_item) = r2
        .next_item()
        .unwrap_or_else(|e| panic!("our own output does not read back: {e}"))
    {}
}
