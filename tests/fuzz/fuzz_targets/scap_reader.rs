//! The capture reader on any bytes, and everything downstream of it that a
//! hostile capture reaches: the state tables, the renderer, and the writer,
//! whose output must read back cleanly (the same walk as
//! `tests/fuzz_reader.rs`, coverage-guided here).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scapbridge_formats::state::CaptureState;
use scapbridge_formats::{
    render, Item, Profile, ReaderOptions, ScapReader, ScapWriter, WriterOptions,
};

fuzz_target!(|input: &[u8]| {
    let Ok(mut r) = ScapReader::with_options(input, ReaderOptions::skipping_unknown_events())
    else {
        return;
    };
    let mut state = CaptureState::new();
    let mut w = ScapWriter::new(Vec::new(), WriterOptions::new(Profile::Keep))
        .expect("a writer into memory");
    let mut s = String::new();
    let mut in_events = false;
    // Bounded: a reader that made no progress would otherwise spin here and
    // read as a timeout rather than the bug it is.
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
                state.add_processes(&p);
                // The writer takes tables only before the first event.
                if !in_events {
                    let _ = w.write_processes(&p);
                }
            }
            Ok(Some(Item::Fds { tid, fds })) => {
                state.add_fds(tid, &fds);
                if !in_events {
                    let _ = w.write_fds(tid, &fds);
                }
            }
            Ok(Some(Item::Users(u))) => state.add_users(&u),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let out = w.finish().expect("finishing a writer into memory");
    // Whatever the writer accepted it must be able to read back.
    let mut back = ScapReader::with_options(&out[..], ReaderOptions::skipping_unknown_events())
        .expect("our own output opens");
    while let Some(_item) = back
        .next_item()
        .unwrap_or_else(|e| panic!("our own output does not read back: {e}"))
    {}
});
