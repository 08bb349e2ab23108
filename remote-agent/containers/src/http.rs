//! A minimal HTTP/1.1 client over a unix socket: `GET` only, one request per
//! connection (`Connection: close`), bodies framed by `Content-Length`,
//! `Transfer-Encoding: chunked` or the end of the connection. Every request
//! has a deadline (connecting aside: a unix socket connects at once unless
//! the listener's backlog is full) and a bound on the response's size, and
//! can be cancelled: reads wait at most [`SLICE`] before the deadline and the
//! cancel flag are looked at again.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{ClientError, HttpFault};

/// Longest a read blocks before the deadline and the cancel flag are checked.
pub const SLICE: Duration = Duration::from_millis(50);

/// Largest response head (status line and headers) taken.
const MAX_HEAD: usize = 64 * 1024;

/// One response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Whether the server is podman's (`Libpod-Api-Version` header).
    pub libpod: bool,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

/// The connection with what has been read and not yet used.
struct Conn<'a> {
    stream: UnixStream,
    buf: Vec<u8>,
    pos: usize,
    deadline: Instant,
    timeout: Duration,
    cancel: Option<&'a AtomicBool>,
    /// Total bytes the response may take (head included).
    limit: usize,
    max_body: usize,
    eof: bool,
}

impl Conn<'_> {
    fn check(&self) -> Result<Duration, ClientError> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(ClientError::Cancelled);
        }
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ClientError::Timeout {
                after: self.timeout,
            });
        }
        Ok(left.min(SLICE))
    }

    /// Reads more bytes; false at the end of the stream.
    fn fill(&mut self) -> Result<bool, ClientError> {
        if self.eof {
            return Ok(false);
        }
        if self.buf.len() >= self.limit {
            return Err(ClientError::TooLarge {
                limit: self.max_body,
            });
        }
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let wait = self.check()?;
            self.stream.set_read_timeout(Some(wait))?;
            let room = (self.limit - self.buf.len()).min(chunk.len());
            match self.stream.read(&mut chunk[..room]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The next line (without CRLF) of the head or of the chunk framing.
    fn line(&mut self, max: usize) -> Result<String, ClientError> {
        loop {
            if let Some(i) = self.buf[self.pos..].windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[self.pos..self.pos + i]).into_owned();
                self.pos += i + 2;
                return Ok(line);
            }
            if self.buf.len() - self.pos > max {
                return Err(ClientError::BadResponse(HttpFault::LineTooLong));
            }
            if !self.fill()? {
                return Err(ClientError::BadResponse(HttpFault::ClosedInHead));
            }
        }
    }

    /// Exactly `n` more bytes.
    fn take(&mut self, n: usize) -> Result<&[u8], ClientError> {
        while self.buf.len() - self.pos < n {
            if !self.fill()? {
                return Err(ClientError::BadResponse(HttpFault::ClosedInBody));
            }
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
}

/// `GET path` on the unix socket `socket`: the whole response within
/// `timeout`, its body at most `max_body` bytes; `cancel` (when set) aborts
/// it within [`SLICE`].
pub fn get(
    socket: &Path,
    path: &str,
    timeout: Duration,
    max_body: usize,
    cancel: Option<&AtomicBool>,
) -> Result<Response, ClientError> {
    let deadline = Instant::now() + timeout;
    let stream = match UnixStream::connect(socket) {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ClientError::NoSocket {
                path: socket.to_path_buf(),
            })
        }
        Err(e) => return Err(ClientError::Connect(e)),
    };
    stream.set_write_timeout(Some(timeout))?;
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: scapbridge\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    (&stream)
        .write_all(req.as_bytes())
        .map_err(|e| match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                ClientError::Timeout { after: timeout }
            }
            _ => ClientError::Io(e),
        })?;
    let mut c = Conn {
        stream,
        buf: Vec::with_capacity(8 * 1024),
        pos: 0,
        deadline,
        timeout,
        cancel,
        limit: MAX_HEAD + max_body,
        max_body,
        eof: false,
    };
    read_response(&mut c)
}

fn read_response(c: &mut Conn<'_>) -> Result<Response, ClientError> {
    // Status line; 1xx interim answers are skipped.
    let (status, mut length, mut chunked, mut libpod);
    loop {
        let status_line = c.line(MAX_HEAD)?;
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        if !version.starts_with("HTTP/1.") {
            return Err(ClientError::BadResponse(HttpFault::NotHttp1 {
                line: status_line,
            }));
        }
        let code: u16 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(|| {
            ClientError::BadResponse(HttpFault::StatusLine {
                line: status_line.clone(),
            })
        })?;
        length = None;
        chunked = false;
        libpod = false;
        loop {
            let h = c.line(MAX_HEAD)?;
            if h.is_empty() {
                break;
            }
            if c.pos > MAX_HEAD {
                return Err(ClientError::BadResponse(HttpFault::HeadTooLarge));
            }
            let Some((name, value)) = h.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<usize>().map_err(|_| {
                    ClientError::BadResponse(HttpFault::ContentLength {
                        value: value.to_string(),
                    })
                })?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value
                    .rsplit(',')
                    .next()
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("chunked"));
            } else if name.eq_ignore_ascii_case("libpod-api-version") {
                libpod = true;
            }
        }
        if !(100..200).contains(&code) {
            status = code;
            break;
        }
    }
    let max = c.max_body;
    let too_large = || ClientError::TooLarge { limit: max };
    let body = if chunked {
        let mut body = Vec::new();
        loop {
            let size_line = c.line(1024)?;
            let hex = size_line.split(';').next().unwrap_or_default().trim();
            let n = usize::from_str_radix(hex, 16).map_err(|_| {
                ClientError::BadResponse(HttpFault::ChunkSize {
                    line: size_line.clone(),
                })
            })?;
            if n == 0 {
                break; // trailers, if any, are not needed
            }
            if body.len() + n > max {
                return Err(too_large());
            }
            body.extend_from_slice(c.take(n)?);
            if c.take(2)? != b"\r\n" {
                return Err(ClientError::BadResponse(HttpFault::ChunkWithoutCrlf));
            }
        }
        body
    } else if let Some(n) = length {
        if n > max {
            return Err(too_large());
        }
        c.take(n)?.to_vec()
    } else if status == 204 || status == 304 {
        Vec::new()
    } else {
        // Delimited by the end of the connection.
        while c.fill()? {}
        let body = c.buf[c.pos..].to_vec();
        if body.len() > max {
            return Err(too_large());
        }
        body
    };
    Ok(Response {
        status,
        libpod,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;
    use std::thread;

    /// Serves `answer` (sent in pieces of `piece` bytes) to one connection.
    fn serve(
        answer: Vec<u8>,
        piece: usize,
    ) -> (
        tempfile::TempDir,
        std::path::PathBuf,
        thread::JoinHandle<String>,
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.sock");
        let l = UnixListener::bind(&path).expect("bind");
        let h = thread::spawn(move || {
            let (mut s, _) = l.accept().expect("accept");
            let mut req = Vec::new();
            let mut b = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut b).expect("read");
                if n == 0 {
                    break;
                }
                req.extend_from_slice(&b[..n]);
            }
            for p in answer.chunks(piece.max(1)) {
                if s.write_all(p).is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(1));
            }
            String::from_utf8_lossy(&req).into_owned()
        });
        (dir, path, h)
    }

    const T: Duration = Duration::from_secs(5);

    #[test]
    fn content_length_body() {
        let (_d, p, h) = serve(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLibpod-Api-Version: 4.3.1\r\nContent-Length: 7\r\n\r\n[1,2,3]".to_vec(),
            5,
        );
        let r = get(&p, "/containers/json", T, 1024, None).expect("get");
        assert_eq!(
            (r.status, r.libpod, r.body.as_slice()),
            (200, true, b"[1,2,3]".as_slice())
        );
        let req = h.join().expect("server");
        assert!(
            req.starts_with("GET /containers/json HTTP/1.1\r\n"),
            "{req}"
        );
        assert!(req.contains("Host: docker\r\n"), "{req}");
    }

    #[test]
    fn chunked_body() {
        let (_d, p, _h) = serve(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;ext=1\r\n:1}\r\n0\r\n\r\n".to_vec(),
            3,
        );
        let r = get(&p, "/x", T, 1024, None).expect("get");
        assert_eq!(
            (r.status, r.libpod, r.body.as_slice()),
            (200, false, b"{\"a\":1}".as_slice())
        );
    }

    #[test]
    fn interim_answer_and_body_to_the_end() {
        let (_d, p, _h) = serve(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 404 Not Found\r\n\r\nno such".to_vec(),
            100,
        );
        let r = get(&p, "/x", T, 1024, None).expect("get");
        assert_eq!((r.status, r.body.as_slice()), (404, b"no such".as_slice()));
    }

    #[test]
    fn size_bounds() {
        let (_d, p, _h) = serve(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n".to_vec(),
            100,
        );
        assert!(matches!(
            get(&p, "/x", T, 1000, None),
            Err(ClientError::TooLarge { limit: 1000 })
        ));
        let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..20 {
            chunked.extend_from_slice(b"64\r\n");
            chunked.extend_from_slice(&[b'x'; 100]);
            chunked.extend_from_slice(b"\r\n");
        }
        let (_d, p, _h) = serve(chunked, 4096);
        assert!(matches!(
            get(&p, "/x", T, 1000, None),
            Err(ClientError::TooLarge { limit: 1000 })
        ));
        let mut endless = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        endless.extend_from_slice(&[b'y'; 5000]);
        let (_d, p, _h) = serve(endless, 4096);
        assert!(matches!(
            get(&p, "/x", T, 1000, None),
            Err(ClientError::TooLarge { .. })
        ));
    }

    #[test]
    fn garbage_is_a_bad_response() {
        let (_d, p, _h) = serve(b"SSH-2.0-OpenSSH\r\n\r\n".to_vec(), 100);
        assert!(matches!(
            get(&p, "/x", T, 1000, None),
            Err(ClientError::BadResponse(_))
        ));
        let (_d, p, _h) = serve(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec(),
            100,
        );
        assert!(matches!(
            get(&p, "/x", T, 1000, None),
            Err(ClientError::BadResponse(_))
        ));
    }

    #[test]
    fn silent_server_times_out_and_cancel_stops_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("mute.sock");
        let _l = UnixListener::bind(&path).expect("bind"); // never accepts
        let t0 = Instant::now();
        let r = get(&path, "/x", Duration::from_millis(200), 1000, None);
        let took = t0.elapsed();
        assert!(matches!(r, Err(ClientError::Timeout { .. })), "{r:?}");
        assert!(
            took >= Duration::from_millis(200) && took < Duration::from_millis(500),
            "{took:?}"
        );
        let cancel = AtomicBool::new(true);
        let t0 = Instant::now();
        let r = get(&path, "/x", Duration::from_secs(30), 1000, Some(&cancel));
        assert!(matches!(r, Err(ClientError::Cancelled)), "{r:?}");
        assert!(t0.elapsed() < Duration::from_millis(200));
    }

    #[test]
    fn missing_socket() {
        let r = get(Path::new("/nonexistent/scapbridge.sock"), "/x", T, 10, None);
        assert!(matches!(r, Err(ClientError::NoSocket { .. })), "{r:?}");
    }
}
