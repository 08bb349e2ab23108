//! Bad input: each case gives a typed error naming the byte offset, and the
//! CLI prints one line and exits 1 (never a panic, never exit 101).

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;
use std::io::Write;

use common::*;
use scapbridge_formats::{LengthFault, ReadError};

fn base() -> Vec<u8> {
    std::fs::read(scap_dir().join("synthetic/old_layout.scap")).unwrap()
}

/// Offset of the first event block of `old_layout.scap` (SHB 28 + MI 192 + PL 252).
const FIRST_EVENT: usize = 472;

fn read_all(bytes: &[u8]) -> Result<usize, ReadError> {
    let mut r = scapbridge_formats::ScapReader::new(bytes)?;
    let mut n = 0;
    while r.next_item()?.is_some() {
        n += 1;
    }
    Ok(n)
}

fn cli_fails_with_offset(bytes: &[u8], want: &str) {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    let o = run(scapbridge().arg("read").arg(f.path()));
    let err = assert_one_line_error(&o, 1, want);
    assert!(err.contains("offset"), "{err:?} should name the offset");
}

#[test]
fn truncated_file() {
    if !common::have_fixtures() {
        return;
    }
    let mut b = base();
    b.truncate(b.len() - 10);
    let e = read_all(&b).unwrap_err();
    assert!(matches!(e, ReadError::Truncated { .. }), "{e}");
    cli_fails_with_offset(&b, "truncated");
    // The real truncated probe too.
    let t = std::fs::read(scap_dir().join("synthetic/truncated.scap")).unwrap();
    assert!(matches!(
        read_all(&t).unwrap_err(),
        ReadError::Truncated { .. }
    ));
}

#[test]
fn wrong_magic() {
    if !common::have_fixtures() {
        return;
    }
    let b = std::fs::read(scap_dir().join("synthetic/bad_magic.scap")).unwrap();
    assert!(matches!(
        read_all(&b).unwrap_err(),
        ReadError::BadMagic {
            offset: 0,
            magic: 0xdeadbeef
        }
    ));
    cli_fails_with_offset(&b, "magic");
    let t = std::fs::read(scap_dir().join("synthetic/shb_major2.scap")).unwrap();
    assert!(matches!(
        read_all(&t).unwrap_err(),
        ReadError::UnsupportedVersion { major: 2, .. }
    ));
}

#[test]
fn block_length_not_multiple_of_4() {
    if !common::have_fixtures() {
        return;
    }
    let mut b = base();
    b[FIRST_EVENT + 4] = 77;
    let e = read_all(&b).unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::BadBlockLength {
                offset: 472,
                reason: LengthFault::NotAligned,
                ..
            }
        ),
        "{e}"
    );
    cli_fails_with_offset(&b, "multiple of 4");
}

#[test]
fn block_length_past_the_end() {
    if !common::have_fixtures() {
        return;
    }
    let mut b = base();
    b[FIRST_EVENT + 4..FIRST_EVENT + 8].copy_from_slice(&4000u32.to_le_bytes());
    let e = read_all(&b).unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::Truncated {
                offset: 472,
                needed: 4000,
                ..
            }
        ),
        "{e}"
    );
    cli_fails_with_offset(&b, "4000");
}

#[test]
fn trailer_mismatch() {
    if !common::have_fixtures() {
        return;
    }
    let b = std::fs::read(scap_dir().join("synthetic/bad_trailer.scap")).unwrap();
    let e = read_all(&b).unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::TrailerMismatch {
                header: 68,
                trailer: 4278190148,
                ..
            }
        ),
        "{e}"
    );
    cli_fails_with_offset(&b, "trailer");
}

#[test]
fn parameter_lengths_past_the_block() {
    if !common::have_fixtures() {
        return;
    }
    let b = std::fs::read(scap_dir().join("synthetic/bad_evlen.scap")).unwrap();
    let e = read_all(&b).unwrap_err();
    assert!(matches!(e, ReadError::BadEvent { .. }), "{e}");
    assert!(e.to_string().contains("len 500"), "{e}");
    // A parameter length past the event.
    let mut b = base();
    b[FIRST_EVENT + 10 + 26] = 0xff; // first parameter length of the first event
    let e = read_all(&b).unwrap_err();
    assert!(e.to_string().contains("runs past"), "{e}");
    cli_fails_with_offset(&b, "parameter 0");
}

#[test]
fn unknown_event_id() {
    if !common::have_fixtures() {
        return;
    }
    let b = std::fs::read(scap_dir().join("synthetic/unknown_ids_600.scap")).unwrap();
    assert!(matches!(
        read_all(&b).unwrap_err(),
        ReadError::UnknownEventType {
            event_type: 600,
            ..
        }
    ));
    cli_fails_with_offset(&b, "unknown event type 600");
    // --skip-unknown reads on, like libscap.
    let p = scap_dir().join("synthetic/unknown_ids_600.scap");
    let o = run(scapbridge().args(["read", "--skip-unknown"]).arg(&p));
    assert!(o.status.success());
}

#[test]
fn corrupt_gzip() {
    if !common::have_fixtures() {
        return;
    }
    let orig = std::fs::read(scap_dir().join("synthetic/old_layout.scap.gz")).unwrap();
    // A wrong CRC in the gzip trailer.
    let mut b = orig.clone();
    let n = b.len();
    b[n - 8] ^= 0xff;
    let e = read_all(&b).unwrap_err();
    assert!(matches!(e, ReadError::Gzip { .. }), "{e}");
    cli_fails_with_offset(&b, "gzip");
    // A cut gzip stream.
    let e = read_all(&orig[..orig.len() / 2]).unwrap_err();
    assert!(
        matches!(e, ReadError::Gzip { .. } | ReadError::Truncated { .. }),
        "{e}"
    );
    // Garbage inside the deflate data: some typed error, never a panic.
    let mut b = orig.clone();
    let mid = b.len() / 2;
    for x in &mut b[mid..mid + 40] {
        *x ^= 0x5a;
    }
    assert!(read_all(&b).is_err());
}

#[test]
fn empty_file() {
    assert!(matches!(read_all(b"").unwrap_err(), ReadError::Empty));
    cli_fails_with_offset(b"", "empty");
}

#[test]
fn not_a_capture() {
    cli_fails_with_offset(b"this is a text file, not a capture\n", "not a scap");
}

#[test]
fn convert_stops_on_a_whole_block() {
    if !common::have_fixtures() {
        return;
    }
    let mut b = base();
    b.truncate(b.len() - 10);
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(&b).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.scap");
    let o = run(scapbridge()
        .arg("convert")
        .arg(f.path())
        .arg("-w")
        .arg(&out));
    assert_eq!(o.status.code(), Some(1));
    // What was written is a valid capture of the events before the damage.
    let evs = events(&out, false).unwrap();
    assert_eq!(evs.len(), 14);
}

#[test]
fn missing_file_and_bad_arguments() {
    let o = run(scapbridge().args(["read", "/nonexistent/x.scap"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot open /nonexistent/x.scap"));
    let o = run(scapbridge().args(["convert", "x"]));
    assert_eq!(o.status.code(), Some(2), "clap usage error");
}
