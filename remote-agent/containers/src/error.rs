//! Errors of the runtime client.

use std::path::PathBuf;
use std::time::Duration;

/// Why a request to the container runtime failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The socket does not exist (no runtime, or another one).
    #[error("no container runtime socket at {}", path.display())]
    NoSocket {
        /// The socket asked for.
        path: PathBuf,
    },
    /// Connecting failed (refused, permission…).
    #[error("cannot connect to the container runtime: {0}")]
    Connect(#[source] std::io::Error),
    /// No whole answer within the request's time.
    #[error("the container runtime did not answer within {after:?}")]
    Timeout {
        /// The request's time limit.
        after: Duration,
    },
    /// The request was cancelled (the resolver is stopping).
    #[error("request cancelled")]
    Cancelled,
    /// The body is larger than allowed.
    #[error("the container runtime's answer is larger than {limit} bytes")]
    TooLarge {
        /// The bound.
        limit: usize,
    },
    /// Not HTTP, cut short, or not the answer the API defines.
    #[error("bad HTTP answer from the container runtime: {0}")]
    BadResponse(HttpFault),
    /// An HTTP status other than 200 (404 is reported as `Ok(None)` by
    /// lookups).
    #[error("the container runtime answered {status}: {message}")]
    Status {
        /// The status code.
        status: u16,
        /// The body's `message`, or the start of the body, as received.
        message: String,
    },
    /// A path the API always has answered 404 (not a Docker-compatible
    /// API).
    #[error("the container runtime answered 404: {path} not found")]
    NotFound {
        /// The request's path.
        path: &'static str,
    },
    /// The body is not the JSON expected.
    #[error("bad JSON from the container runtime: {0}")]
    Json(#[from] serde_json::Error),
    /// A read or write on the socket failed.
    #[error("container runtime socket: {0}")]
    Io(#[from] std::io::Error),
}

/// What is wrong with an answer of the container runtime (see
/// [`ClientError::BadResponse`]). Texts quoted from the answer are kept
/// as received (the HTTP reader bounds their length).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpFault {
    /// A head line longer than the reader allows.
    #[error("line too long")]
    LineTooLong,
    /// The head as a whole is longer than the reader allows.
    #[error("response head too large")]
    HeadTooLarge,
    /// The connection closed before the head ended.
    #[error("connection closed in the response head")]
    ClosedInHead,
    /// The connection closed before the body's announced end.
    #[error("connection closed in the body")]
    ClosedInBody,
    /// The first line is not an HTTP/1 status line.
    #[error("not an HTTP/1 status line: {line:?}")]
    NotHttp1 {
        /// The first line, as received.
        line: String,
    },
    /// The status line has no numeric code.
    #[error("bad status line {line:?}")]
    StatusLine {
        /// The status line, as received.
        line: String,
    },
    /// A Content-Length that is not a number.
    #[error("bad Content-Length {value:?}")]
    ContentLength {
        /// The header's value, as received.
        value: String,
    },
    /// A chunk size that is not hexadecimal.
    #[error("bad chunk size {line:?}")]
    ChunkSize {
        /// The chunk-size line, as received.
        line: String,
    },
    /// A chunk not followed by CRLF.
    #[error("chunk without CRLF")]
    ChunkWithoutCrlf,
    /// `/containers/json` answered something other than an array.
    #[error("/containers/json is not an array")]
    ListNotAnArray,
    /// A container object without its `Id`.
    #[error("container without an Id")]
    NoContainerId,
}
