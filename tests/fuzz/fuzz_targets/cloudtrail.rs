//! CloudTrail log files: the in-memory splitter against the streaming one
//! fed in uneven chunks with a small record limit (both must find the same
//! records at the same offsets, and a record's bytes must be the file's),
//! then each record's checks (JSON parse, `eventTime`) and the RFC 3339
//! parser on the input as text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scapbridge_formats::cloudtrail::{
    check_record, parse_rfc3339, split_records, Piece, RecordSplitter,
};

/// Small enough that fuzzed records go over it, so `TooLarge` is exercised.
const LIMIT: usize = 48;
/// Chunk sizes fed in turn: escapes, quotes, braces and the byte order mark
/// land on every boundary.
const CHUNKS: [usize; 8] = [1, 2, 3, 5, 8, 13, 64, 4096];

fuzz_target!(|file: &[u8]| {
    let whole = split_records(file);

    let mut s = RecordSplitter::new(LIMIT);
    // (start, len) of every piece, in order.
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut streamed = Ok(false);
    let (mut at, mut k) = (0, 0);
    while at < file.len() {
        let end = (at + CHUNKS[k % CHUNKS.len()]).min(file.len());
        k += 1;
        streamed = s.feed(&file[at..end], |p| match p {
            Piece::Record { start, bytes } => {
                let start = start as usize;
                assert!(bytes.len() <= LIMIT, "a kept record over the limit");
                assert_eq!(
                    bytes,
                    &file[start..start + bytes.len()],
                    "a record's bytes are not the file's"
                );
                pieces.push((start, bytes.len()));
            }
            Piece::TooLarge { start, len } => {
                assert!(
                    len as usize > LIMIT,
                    "a record under the limit reported too large"
                );
                pieces.push((start as usize, len as usize));
            }
            _ => {}
        });
        match streamed {
            Ok(true) | Err(_) => break,
            Ok(false) => at = end,
        }
    }
    let streamed = streamed.and_then(|_| s.finish());

    match (&whole, &streamed) {
        (Ok(w), Ok(truncated)) => {
            let ranges: Vec<(usize, usize)> =
                w.records.iter().map(|r| (r.start, r.len())).collect();
            assert_eq!(ranges, pieces, "the two splitters disagree on the records");
            assert_eq!(
                w.truncated,
                truncated.map(|t| t as usize),
                "the two splitters disagree on where the file was cut"
            );
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "the two splitters fail differently"),
        _ => panic!("one splitter failed and not the other: {whole:?} / {streamed:?}"),
    }

    if let Ok(w) = whole {
        for r in w.records {
            let rec = &file[r];
            assert!(rec.first() == Some(&b'{') && rec.last() == Some(&b'}'));
            let _ = check_record(rec);
        }
    }
    if let Ok(text) = std::str::from_utf8(file) {
        if text.len() < 64 {
            let _ = parse_rfc3339(text);
        }
    }
});
