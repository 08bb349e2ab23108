//! Toolbar control pipes (GUI only; tshark passes none).
//!
//! Frame, both directions: `'T'`, a 3-byte big-endian length of what follows
//! (control number + command + payload), the control number, the command,
//! the payload (≤ 65535 bytes). Newer hosts also send `'Q'` (quit) to ask for
//! a graceful stop. See `shared/specs/extcap.md` §7.
//!
//! Opening a FIFO blocks until its peer opens the other end, so each pipe is
//! opened on its own thread, after the data FIFO: a host that never opens
//! them cannot stall the capture. Both threads are detached; they end when
//! the host closes its side or when the process exits. Dropping a
//! [`Toolbar`] closes the outgoing queue (the writer thread then ends).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;

/// Control commands (`shared/specs/extcap.md` §7).
pub mod command {
    /// Host → extcap: all `Set` messages have been sent.
    pub const INITIALIZED: u8 = 0;
    /// Set a value.
    pub const SET: u8 = 1;
    /// Add to a logger or selector.
    pub const ADD: u8 = 2;
    /// Remove from a selector.
    pub const REMOVE: u8 = 3;
    /// Enable a control.
    pub const ENABLE: u8 = 4;
    /// Disable a control.
    pub const DISABLE: u8 = 5;
    /// Status-bar message.
    pub const STATUSBAR: u8 = 6;
    /// Information dialog.
    pub const INFORMATION: u8 = 7;
    /// Warning dialog.
    pub const WARNING: u8 = 8;
    /// Error dialog.
    pub const ERROR: u8 = 9;
}

/// Largest payload of a `T` frame.
pub const MAX_PAYLOAD: usize = 65535;

/// One control message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// A toolbar message.
    Toolbar {
        /// Control number.
        control: u8,
        /// Command.
        command: u8,
        /// Payload.
        payload: Vec<u8>,
    },
    /// Quit (newer hosts).
    Quit,
}

/// Encodes a `T` frame; payloads longer than [`MAX_PAYLOAD`] are cut on a
/// UTF-8 boundary if they are text.
pub fn encode(control: u8, command: u8, payload: &[u8]) -> Vec<u8> {
    let mut n = payload.len().min(MAX_PAYLOAD);
    while n < payload.len() && n > 0 && (payload[n] & 0xC0) == 0x80 {
        n -= 1;
    }
    let len = (n + 2) as u32;
    let mut f = Vec::with_capacity(6 + n);
    f.push(b'T');
    f.extend_from_slice(&len.to_be_bytes()[1..]);
    f.push(control);
    f.push(command);
    f.extend_from_slice(&payload[..n]);
    f
}

/// Reads one message; `Ok(None)` at a clean end of stream. Unknown
/// indicators are skipped with their length, as the host does.
pub fn read_message<R: Read>(r: &mut R) -> io::Result<Option<Message>> {
    loop {
        let mut head = [0u8; 4];
        match r.read_exact(&mut head[..1]) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        r.read_exact(&mut head[1..])?;
        let len = u32::from_be_bytes([0, head[1], head[2], head[3]]) as usize;
        let mut body = vec![0u8; len];
        r.read_exact(&mut body)?;
        match head[0] {
            b'T' if len >= 2 => {
                return Ok(Some(Message::Toolbar {
                    control: body[0],
                    command: body[1],
                    payload: body[2..].to_vec(),
                }))
            }
            b'Q' => return Ok(Some(Message::Quit)),
            _ => continue,
        }
    }
}

/// Shared state the host can change through the toolbar.
#[derive(Debug, Default)]
pub struct ControlState {
    /// Pause ticked.
    pub paused: AtomicBool,
    /// Restart pressed (taken by the source).
    pub restart: AtomicBool,
    /// A quit message arrived.
    pub quit: AtomicBool,
    /// The host sent `Initialized`.
    pub initialized: AtomicBool,
}

/// Our side of the toolbar.
#[derive(Debug, Clone)]
pub struct Toolbar {
    out: Option<Sender<Vec<u8>>>,
    /// Frames queued and frames written, to let the last status out at exit.
    queued: Arc<AtomicU64>,
    written: Arc<AtomicU64>,
    /// What the host set.
    pub state: Arc<ControlState>,
}

impl Toolbar {
    /// A toolbar with no pipes (tshark, headless): messages go nowhere.
    pub fn none() -> Self {
        Toolbar {
            out: None,
            queued: Arc::default(),
            written: Arc::default(),
            state: Arc::new(ControlState::default()),
        }
    }

    /// Opens the pipes on background threads (see the module docs).
    pub fn open(control_in: Option<&str>, control_out: Option<&str>) -> Self {
        let state = Arc::new(ControlState::default());
        if let Some(p) = control_in {
            let p = p.to_string();
            let st = Arc::clone(&state);
            std::thread::spawn(move || {
                if let Ok(mut f) = File::open(&p) {
                    while let Ok(Some(m)) = read_message(&mut f) {
                        apply(&st, &m);
                    }
                }
            });
        }
        let written = Arc::new(AtomicU64::new(0));
        let out = control_out.map(|p| {
            let (tx, rx) = mpsc::channel::<Vec<u8>>();
            let p = p.to_string();
            let done = Arc::clone(&written);
            std::thread::spawn(move || {
                let Ok(mut f) = OpenOptions::new().write(true).open(&p) else {
                    return;
                };
                for frame in rx {
                    if f.write_all(&frame).and_then(|()| f.flush()).is_err() {
                        return;
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                }
            });
            tx
        });
        Toolbar {
            out,
            queued: Arc::default(),
            written,
            state,
        }
    }

    fn send(&self, control: u8, command: u8, payload: &[u8]) {
        if let Some(tx) = &self.out {
            if tx.send(encode(control, command, payload)).is_ok() {
                self.queued.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    /// Waits up to `limit` for queued messages to reach the host (call before
    /// exiting, so the final status is shown); returns whether all did.
    pub fn drain(&self, limit: std::time::Duration) -> bool {
        let end = std::time::Instant::now() + limit;
        while self.written.load(Ordering::SeqCst) < self.queued.load(Ordering::SeqCst) {
            if std::time::Instant::now() >= end {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        true
    }

    /// Shows `text` in the host's status bar.
    pub fn status(&self, text: &str) {
        self.send(0, command::STATUSBAR, text.as_bytes());
    }

    /// Appends a line to the log window.
    pub fn log(&self, line: &str) {
        let mut l = line.to_string();
        l.push('\n');
        self.send(controls::LOG, command::ADD, l.as_bytes());
    }

    /// Greys out a control that does not apply to this interface.
    pub fn disable(&self, control: u8) {
        self.send(control, command::DISABLE, &[]);
    }

    /// Whether pipes were given.
    pub fn is_connected(&self) -> bool {
        self.out.is_some()
    }
}

fn apply(st: &ControlState, m: &Message) {
    match m {
        Message::Quit => st.quit.store(true, Ordering::SeqCst),
        Message::Toolbar {
            control,
            command,
            payload,
        } => match (*control, *command) {
            (_, command::INITIALIZED) => st.initialized.store(true, Ordering::SeqCst),
            (controls::PAUSE, command::SET) => st
                .paused
                .store(payload.first().is_some_and(|b| *b != 0), Ordering::SeqCst),
            (controls::RESTART, command::SET) => st.restart.store(true, Ordering::SeqCst),
            _ => {}
        },
    }
}

/// The toolbar's control numbers (`{number=N}` in `--extcap-config`'s
/// `control` lines).
pub mod controls {
    /// Boolean: hold events back while set.
    pub const PAUSE: u8 = 0;
    /// Button: replay from the first event.
    pub const RESTART: u8 = 1;
    /// Logger button: the capture log.
    pub const LOG: u8 = 2;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn frame_layout() {
        assert_eq!(
            encode(2, command::ADD, b"hi"),
            vec![b'T', 0, 0, 4, 2, 2, b'h', b'i']
        );
        let big = vec![b'a'; 70000];
        let f = encode(0, command::STATUSBAR, &big);
        assert_eq!(f.len(), 6 + MAX_PAYLOAD);
        assert_eq!(&f[1..4], &[0x01, 0x00, 0x01]); // 65537
    }

    #[test]
    fn reads_frames_and_skips_unknown_ones() {
        let mut bytes = encode(0, command::SET, &[1]);
        bytes.extend_from_slice(&[b'X', 0, 0, 1, 9]);
        bytes.extend_from_slice(&[b'Q', 0, 0, 0]);
        let mut r = &bytes[..];
        assert_eq!(
            read_message(&mut r).unwrap(),
            Some(Message::Toolbar {
                control: 0,
                command: 1,
                payload: vec![1]
            })
        );
        assert_eq!(read_message(&mut r).unwrap(), Some(Message::Quit));
        assert_eq!(read_message(&mut r).unwrap(), None);
        let st = ControlState::default();
        apply(
            &st,
            &Message::Toolbar {
                control: 0,
                command: 1,
                payload: vec![1],
            },
        );
        assert!(st.paused.load(Ordering::SeqCst));
    }
}
